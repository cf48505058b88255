/*
 * Host and network policy from tjd.conf, compiled into the host
 * namespace's ruleset beside the protected networks' rules (policy.c):
 *
 *   named sets      [set NAME]: one kernel set per family, "NAME-4" and
 *                   "NAME-6", holding the configured members and the
 *                   addresses of the containers its filter matches;
 *   network rules   [network] rule = ...: between the network's
 *                   containers, before its allow-list, first match
 *                   decides; sources bound to their bridge ports;
 *   reach_allowed   the network's other containers may open connections
 *                   to its allow-listed ones (bound to their ports);
 *   published       [published]: new connections to published ports from
 *                   anyone but the host itself; forwarded ones (conntrack
 *                   DNAT, original destination port = the published
 *                   port) after every network's forward rules, and ones
 *                   to docker-proxy (input, per published port) after
 *                   every network's input rules;
 *   LAN egress      lan_egress = deny: new connections from the network's
 *                   bridge to private ranges, except lan_allow's sets
 *                   and connections to published ports, are dropped; last
 *                   in the forward chain.
 *
 * Placement: every RETURN of tjd's chains ends tjd's judgement of the
 * packet, so a section may come after another only if what the earlier
 * one lets pass needs nothing of it.  The networks' forward sections
 * judge traffic between two ports of one bridge; their RETURNs (replies,
 * allowances, network rules) are traffic the published and egress
 * sections have no say in.  The published section's RETURNs are
 * DNAT'd connections, which the egress section lets pass anyway.
 *
 * Pure: conf + inventory in, rules out.  Internal to policy.c.
 */
#ifndef TJD_POLICY_HOST_H
#define TJD_POLICY_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/policy-build.h"

/* Whether the configuration has host or network policy that needs Docker's containers. */
bool policy_host_wanted(const struct conf *conf);

/*
 * Calls fn for every docker ps filter expression the configuration's sets
 * and rules name, with the network it is scoped to (NULL: unscoped), each
 * (expression, network) once.
 */
void policy_host_queries(const struct conf *conf,
			 void (*fn)(void *arg, const char *expression, const char *network),
			 void *arg);

/* The kernel name of set `name`'s half of `family` ("office-4"); out has RULE_SET_NAME_MAX. */
void policy_host_set_name(const char *name, int family, char out[RULE_SET_NAME_MAX]);

/* How many members `rules` holds in set `name`'s IPv4 and IPv6 halves (0 for a half it lacks). */
void policy_host_set_members(const struct ruleset *rules, const char *name, size_t *ipv4,
			     size_t *ipv6);

/* Appends every configured set, both families, with its members now. */
void policy_host_sets(struct policy_build *build, const struct conf *conf,
		      const struct inventory *inv);

/* A network's rules (before its allowances) on one family of the forward hook. */
void policy_host_network_rules(struct policy_build *build, const struct conf_network *cn,
			       const struct inventory *inv, const struct inv_network *net,
			       int family);

/* reach_allowed's allowances (after the allow-list's) on one family of the forward hook. */
void policy_host_reach_allowed(struct policy_build *build, const struct conf_network *cn,
			       const struct inv_network *net, int family);

/* The [published] section of one family and hook (forward or input), if configured. */
void policy_host_published(struct policy_build *build, const struct conf *conf,
			   const struct inventory *inv, int family, enum rule_hook hook);

/* Every lan_egress = deny network's egress section of one family (forward). */
void policy_host_egress(struct policy_build *build, const struct conf *conf,
			const struct inventory *inv, int family);

#endif
