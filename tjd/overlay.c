/* Where Docker's overlay driver puts things on this node; see overlay.h. */
#include "config.h"

#include "tjd/overlay.h"

#include <stdio.h>
#include <string.h>

int overlay_netns_path(const char *netns_dir, const char *network_id, bool lb, char *out,
		       size_t outlen)
{
	const char *dir =
	    netns_dir != NULL && netns_dir[0] != '\0' ? netns_dir : OVERLAY_DEFAULT_NETNS_DIR;
	int n;

	if (strlen(network_id) < (lb ? OVERLAY_LB_ID_CHARS : OVERLAY_ID_CHARS))
		return -1;
	if (lb)
		n = snprintf(out, outlen, "%s/lb_%.*s", dir, OVERLAY_LB_ID_CHARS, network_id);
	else
		n = snprintf(out, outlen, "%s/1-%.*s", dir, OVERLAY_ID_CHARS, network_id);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

bool overlay_is_lb_endpoint(const struct inv_network *net, const struct inv_endpoint *endpoint)
{
	return strncmp(endpoint->container_id, "lb-", 3) == 0 &&
	       strcmp(endpoint->container_id + 3, net->name) == 0;
}

bool overlay_network(const struct inv_network *net)
{
	return strcmp(net->driver, "overlay") == 0 && net->bridge[0] == '\0';
}
