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
/* Parts of one set-peers push (the largest set takes fewer than 100 frames). */
#define PEERS_MAX_PARTS 256

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

/* The parts of a push received so far, held aside until the last one (set-peers). */
struct peer_parts {
	char coordinator[128];
	unsigned long long generation;
	unsigned next;	/* the part expected next */
	unsigned count; /* parts in the push */
	struct peer_set *sets;
	size_t set_count;
};

/* Frees `count` peer sets and the array holding them. */
void peer_sets_free(struct peer_set *sets, size_t count);
/* Frees a push's parts (NULL is fine). */
void peer_parts_free(struct peer_parts *parts);
/* The peer set of a network id, or NULL. */
const struct peer_set *peer_sets_find(const struct peer_set *sets, size_t count,
				      const char *network_id);

#endif
