/*
 * Swarm overlay networks: enforcement inside each overlay network's own
 * network namespace on this node.
 *
 * An overlay network has no bridge in dockerd's namespace.  Its bridge
 * (br0) and VXLAN device (vxlan0) live in <netns dir>/1-<first 10
 * characters of the network id>, which dockerd creates when the first
 * local endpoint joins and deletes when the last one leaves.  Containers'
 * veths, the node's load-balancer endpoint (lb-<network>, in namespace
 * lb_<first 9 characters>) and remote nodes (through vxlan0) all meet on
 * br0 there, so that namespace's FORWARD hook sees every new connection
 * into the subnet.
 *
 * overlay_compile is pure: configuration + inventory + pushed peers in,
 * one ruleset per namespace out.  overlay_apply enters each namespace on
 * the calling thread, hands the ruleset to a backend of tjd's kind opened
 * inside that namespace (the backends are namespace-agnostic: libiptc and
 * libnftables open their sockets where the thread is), and always returns.
 */
#ifndef TJD_OVERLAY_H
#define TJD_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tjd/backend.h"
#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/ruleset.h"

struct daemon_peers;

/* Longest namespace path: the inventory's directory plus "/1-" and 10 characters. */
#define OVERLAY_PATH_MAX (INV_NETNS_DIR_MAX + 16)
/* Where dockerd keeps namespaces when no container told us otherwise. */
#define OVERLAY_DEFAULT_NETNS_DIR "/var/run/docker/netns"
/* Names Docker's overlay driver gives the devices inside the namespace. */
#define OVERLAY_BRIDGE "br0"
#define OVERLAY_VXLAN "vxlan0"
/* An overlay namespace is named after this many characters of the network id. */
#define OVERLAY_ID_CHARS 10
/* ...and the load-balancer namespace after this many. */
#define OVERLAY_LB_ID_CHARS 9

/* One overlay network on this node and the rules tjd wants in its namespace. */
struct overlay_target {
	char network_id[INV_ID_MAX + 1];
	char network_name[INV_NAME_MAX + 1];
	char netns[OVERLAY_PATH_MAX + 1];
	struct ruleset rules;
};

struct overlay_plan {
	struct overlay_target *targets;
	size_t count;
};

void overlay_plan_init(struct overlay_plan *plan);
void overlay_plan_free(struct overlay_plan *plan);

/* "<dir>/1-<id[:10]>" (or lb_<id[:9]> when lb); dir "" means the default. -1 if too long. */
int overlay_netns_path(const char *netns_dir, const char *network_id, bool lb, char *out,
		       size_t outlen);
/* True for an endpoint that is the node's load balancer on this network ("lb-<name>"). */
bool overlay_is_lb_endpoint(const struct inv_network *net, const struct inv_endpoint *endpoint);
/* True for a network whose rules belong in an overlay namespace. */
bool overlay_network(const struct inv_network *net);

/*
 * Compiles, for every overlay network of `inv` that `conf` protects, the
 * FORWARD rules of its namespace, per family:
 *   replies pass; IPv6 neighbour discovery on br0 passes;
 *   each local allow-listed container, from its address AND its port on br0;
 *   this node's load-balancer endpoint, from its address AND its port;
 *   each pushed peer (other nodes' load-balancer and allow-listed task
 *     addresses), from its address AND vxlan0 (it must come from another
 *     node: a local container cannot claim it);
 *   everything else between two ports of br0 is dropped.
 * A pushed address that belongs to a local endpoint is ignored: what this
 * node's Docker says about its own containers wins.  `out` is reset first.
 * Returns 0, or -1 with err set (out of memory).
 */
int overlay_compile(const struct conf *conf, const struct inventory *inv,
		    const struct daemon_peers *peers, size_t peer_count, struct overlay_plan *out,
		    char *err, size_t errlen);

/* The namespaces tjd has put rules into, with a backend open in each. */
struct overlay_state;

/* What status shows about one overlay network. */
struct overlay_status {
	char netns[OVERLAY_PATH_MAX + 1];
	bool enforced; /* the namespace holds the rules of the last plan */
	size_t rule_count;
};

struct overlay_state *overlay_state_new(void);
/* Closes every namespace's backend; the kernel keeps the rules. */
void overlay_state_free(struct overlay_state *state);

/*
 * Installs each target's rules inside its namespace with a backend of
 * `template`'s kind and chain names, opened there on first use (and again
 * when dockerd re-created the namespace).  A target whose namespace does
 * not exist (no local endpoint, so nothing to protect) is skipped.  Before
 * applying, br_netfilter is checked inside the namespace and switched on
 * there if it is off.  Namespaces touched before but absent from the plan
 * are cleared.  Sets *changed when any kernel ruleset changed.  Returns 0,
 * or -1 with err naming the first namespace that failed (the others are
 * still applied).
 */
int overlay_apply(struct overlay_state *state, const struct backend *template,
		  const struct overlay_plan *plan, bool *changed, char *err, size_t errlen);
/* Removes tjd's rules from every namespace it touched; absent is success. */
int overlay_clear(struct overlay_state *state, char *err, size_t errlen);
/* Fills *status for a network id; false when tjd holds nothing for it. */
bool overlay_lookup(const struct overlay_state *state, const char *network_id,
		    struct overlay_status *status);

#endif
