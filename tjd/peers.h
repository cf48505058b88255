/*
 * Swarm peers: for each overlay network, the addresses the swarm
 * coordinator pushed through set-peers (other nodes' load balancers and
 * the allow-listed tasks cluster-wide).  The overlay compiler reads them;
 * nothing here trusts them further than "an address that may arrive from
 * another node through vxlan0".
 */
#ifndef TJD_PEERS_H
#define TJD_PEERS_H

#include <stddef.h>
#include <time.h>

#include "tjd/inventory.h"
#include "tjd/ruleset.h"

#define PEERS_MAX_NETWORKS 64
#define PEERS_MAX_ADDRESSES 1024

/* Addresses the swarm coordinator pushed for one overlay network. */
struct peer_set {
	char network_id[INV_ID_MAX + 1];
	char network_name[INV_NAME_MAX + 1];
	struct prefix *lb_ips;
	size_t lb_count;
	struct prefix *allowed_ips;
	size_t allowed_count;
	time_t updated;
};

/* Frees `count` peer sets and the array holding them. */
void peer_sets_free(struct peer_set *sets, size_t count);
/* The peer set of a network id, or NULL. */
const struct peer_set *peer_sets_find(const struct peer_set *sets, size_t count,
				      const char *network_id);

#endif
