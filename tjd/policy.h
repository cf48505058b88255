/*
 * The policy compilers: pure functions from configuration + inventory (+
 * the swarm peers) to the desired rulesets.  No I/O, no globals; tests
 * call them directly, and the enforcement layer (tjd/enforce.h) hands
 * their output to the backends.
 *
 *   policy_compile           the host namespace: every protected network
 *                            on a local bridge (policy.c);
 *   policy_compile_overlays  one ruleset per swarm overlay namespace on
 *                            this node (policy-overlay.c);
 *   policy_compile_containers one ruleset per namespace of a container
 *                            with a firewall policy in its labels
 *                            (policy-containers.c, over policy-container.h);
 *   policy_conntrack_build   what the conntrack purge judges tracked
 *                            connections by (policy-conntrack.c).
 */
#ifndef TJD_POLICY_H
#define TJD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "tjd/conf.h"
#include "tjd/conntrack.h"
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

/*
 * One network namespace other than tjd's own, and the rules tjd wants
 * there: a swarm overlay's (network_id set) or a container's (container_id
 * set: the container whose namespace it is).
 */
struct policy_target {
	char network_id[INV_ID_MAX + 1];
	char network_name[INV_NAME_MAX + 1];
	char container_id[INV_ID_MAX + 1];
	char container_name[INV_NAME_MAX + 1];
	char netns[OVERLAY_PATH_MAX + 1]; /* "" : refused, nothing to write (see problem) */
	struct ruleset rules;
	/* Containers: why the rules are the fail-closed ones, or why none (refused). */
	char problem[400];
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

/*
 * Appends to `out`, for every container of `inv` whose dcfw.* / tjd.*
 * labels enable a policy (when conf->container_rules), a target for its
 * network namespace: the compiled policy; the fail-closed rules (deny both
 * ways) when the labels cannot be parsed, a name in them cannot be
 * resolved, or containers sharing the namespace carry conflicting
 * policies; nothing (netns "", problem set) for network_mode host, which
 * tjd refuses: the host's own firewall is never rewritten from a label.
 * Names resolve against the inventory's containers: `container NAME` to
 * that container's addresses, `label KEY[=VALUE]` to those carrying it;
 * other filter keys and address sets are errors.  Returns 0, or -1 with
 * err set (out of memory).
 */
int policy_compile_containers(const struct conf *conf, const struct inventory *inv,
			      struct policy_plan *out, char *err, size_t errlen);

/*
 * The host namespace's protected networks as the conntrack purge sees
 * them (tjd/conntrack.h), with the arrays its views point into.
 */
struct policy_conntrack_network {
	char bridge[TJD_IFNAMSIZ];
	struct prefix *subnets;
	size_t subnet_count;
	struct prefix *link_local; /* the bound ports' link-local addresses */
	size_t link_local_count;
	struct prefix *allowed; /* the forward allowances' sources */
	size_t allowed_count;
	bool host_closed;
};

struct policy_conntrack {
	struct policy_conntrack_network *networks;
	size_t count;
	struct conntrack_network *views; /* count of them, for conntrack_purge */
};

void policy_conntrack_init(struct policy_conntrack *pc);
void policy_conntrack_free(struct policy_conntrack *pc);
/*
 * Describes what `compiled` (policy_compile's output for conf and inv)
 * admits, network by network.  `out` is replaced.  0, or -1 on OOM.
 */
int policy_conntrack_build(const struct conf *conf, const struct inventory *inv,
			   const struct ruleset *compiled, struct policy_conntrack *out);
/*
 * The same from a ruleset alone (the one saved on disk, restored before
 * Docker answers): each protected bridge's members are the addresses its
 * layer-2 ports and allowances name, as one-address subnets.  0, or -1 on
 * OOM.
 */
int policy_conntrack_from_rules(const struct ruleset *rules, struct policy_conntrack *out);
/*
 * True when `after` admits less than `before` somewhere, so connections
 * tracked under `before` may now be ones `after` would refuse: a network
 * newly protected (or re-created), a subnet more, the host newly closed,
 * an allowed address withdrawn.  Only then is a purge worth its cost.
 */
bool policy_conntrack_stricter(const struct policy_conntrack *before,
			       const struct policy_conntrack *after);

#endif
