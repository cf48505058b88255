/* Swarm peer sets; see peers.h. */
#include "config.h"

#include "tjd/peers.h"

#include <stdlib.h>
#include <string.h>

void peer_sets_free(struct peer_set *sets, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(sets[i].lb_ips);
		free(sets[i].allowed_ips);
	}
	free(sets);
}

void peer_parts_free(struct peer_parts *parts)
{
	if (parts == NULL)
		return;
	peer_sets_free(parts->sets, parts->set_count);
	free(parts);
}

const struct peer_set *peer_sets_find(const struct peer_set *sets, size_t count,
				      const char *network_id)
{
	for (size_t i = 0; network_id != NULL && i < count; i++)
		if (strcmp(sets[i].network_id, network_id) == 0)
			return &sets[i];
	return NULL;
}
