/*
 * The two messages between a swarm agent and the coordinator, one JSON
 * object per line:
 *   agent -> coordinator  {"type":"report","tjd_ready":..,"tjd_error":..,
 *                          "networks":[{"id","name","lb_ips":[..],"peer_count",
 *                          "peers_updated_unix","enforced","rule_count"}]}
 *   coordinator -> agent  {"type":"peers","generation":N,"coordinator":"<node id>",
 *                          "networks":[{"id","name","lb_ips":[..],"allowed_ips":[..]}]}
 * Both sides decode with the same suspicion: bounded sizes and counts,
 * checked types, validated ids, names and addresses.  A peers message
 * carries the whole set (up to SWARM_PEERS_LINE_MAX); the agent splits it
 * into as many set-peers requests as tjd's frame limit needs.
 */
#ifndef TJD_SWARM_WIRE_H
#define TJD_SWARM_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/tjd.pb-c.h"
#include "swarm/plan.h"
#include "swarm/swarm.h"

/* Addresses per list in one peer set (tjd's own limit, PEERS_MAX_ADDRESSES). */
#define SWARM_MAX_PEERS 1024
/* Parts of one set-peers push (tjd's PEERS_MAX_PARTS); the largest set needs fewer than 100. */
#define SWARM_MAX_PARTS 256

/* What an agent says about one network of its node (from its tjd's status). */
struct swarm_wire_network {
	char id[SWARM_ID_MAX + 1];
	char name[SWARM_NAME_MAX + 1];
	char lb_ips[2][SWARM_ADDRESS_MAX];
	size_t lb_count;
	/* For status only, never for planning: what the node's tjd holds. */
	size_t peer_count;
	long long peers_updated_unix;
	bool enforced;
	unsigned rule_count;
};

struct swarm_wire_report {
	struct swarm_wire_network networks[SWARM_MAX_NETWORKS];
	size_t network_count;
	bool tjd_ready;
	char tjd_error[256];
};

/* Encodes/decodes a report; decoding validates everything. Encode returns malloc'd text. */
char *swarm_wire_report_encode(const struct swarm_wire_report *report);
int swarm_wire_report_decode(const char *line, struct swarm_wire_report *report, char *err,
			     size_t errlen);
/* Encodes one node's plan as a peers message; malloc'd. */
char *swarm_wire_peers_encode(const struct swarm_node_plan *plan, unsigned long long generation,
			      const char *coordinator);
/*
 * Decodes a peers message into a SetPeersRequest (every string and array
 * malloc'd; release with swarm_wire_peers_free).  Validates ids, names and
 * addresses, and the counts tjd accepts.
 */
int swarm_wire_peers_decode(const char *line, Tjd__V1__SetPeersRequest *request, char *err,
			    size_t errlen);
void swarm_wire_peers_free(Tjd__V1__SetPeersRequest *request);

/*
 * Checks that a node's plan is a set tjd holds: at most SWARM_MAX_NETWORKS
 * networks and SWARM_MAX_PEERS addresses per list.  -1 with err naming the
 * network when not (the coordinator then pushes nothing: a shortened list
 * would be a silent change of policy).
 */
int swarm_wire_peers_fit(const struct swarm_node_plan *plan, char *err, size_t errlen);

/*
 * Splits a peer set into set-peers requests that each pack, inside their
 * Request, into at most frame_max bytes (FRAME_MAX, common/frame.h): the set
 * itself when it fits, else parts 0..n-1 (part and part_count set) filled in
 * order, a network that does not fit in what is left of one part continuing
 * in the next, which tjd applies whole with the last part.  Every part is
 * measured with protobuf-c before it is returned.  The parts point into
 * request's strings; release them with swarm_wire_parts_free.  Returns the
 * number of parts, or 0 with err (out of memory, more than SWARM_MAX_PARTS).
 */
size_t swarm_wire_peers_split(const Tjd__V1__SetPeersRequest *request, size_t frame_max,
			      Tjd__V1__SetPeersRequest **parts, char *err, size_t errlen);
void swarm_wire_parts_free(Tjd__V1__SetPeersRequest *parts, size_t count);

#endif
