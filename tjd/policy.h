/*
 * The policy compilers: pure functions from configuration + inventory (+
 * the swarm peers) to the desired rulesets.  No I/O, no globals; tests
 * call them directly, and the enforcement layer (tjd/enforce.h) hands
 * their output to the backends.
 *
 *   policy_compile           the host namespace: every protected network
 *                            on a local bridge (policy.c);
 *   policy_compile_overlays  one ruleset per swarm overlay namespace on
 *                            this node (policy-overlay.c).
 */
#ifndef TJD_POLICY_H
#define TJD_POLICY_H

#include <stddef.h>

#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/overlay.h"
#include "tjd/peers.h"
#include "tjd/ruleset.h"

/*
 * Compiles the rules for every network in `inv` that `conf` protects (the
 * inventory should hold only those).  `out` is reset first.  If
 * rule_counts is non-NULL it receives, per inventory network, how many
 * rules it contributed.  Returns 0, or -1 with err set (out of memory).
 */
int policy_compile(const struct conf *conf, const struct inventory *inv, struct ruleset *out,
		   size_t *rule_counts, char *err, size_t errlen);

/* One network namespace other than tjd's own, and the rules tjd wants there. */
struct policy_target {
	char network_id[INV_ID_MAX + 1];
	char network_name[INV_NAME_MAX + 1];
	char netns[OVERLAY_PATH_MAX + 1];
	struct ruleset rules;
};

/* Every such namespace of one compile. */
struct policy_plan {
	struct policy_target *targets;
	size_t count;
};

void policy_plan_init(struct policy_plan *plan);
void policy_plan_free(struct policy_plan *plan);
/* Appends an empty target; NULL on OOM. */
struct policy_target *policy_plan_add(struct policy_plan *plan);

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
 * Returns 0, or -1 with err set (out of memory, path too long).
 */
int policy_compile_overlays(const struct conf *conf, const struct inventory *inv,
			    const struct peer_set *peers, size_t peer_count,
			    struct policy_plan *out, char *err, size_t errlen);

#endif
