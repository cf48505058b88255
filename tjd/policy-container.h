/*
 * A container's own firewall: the pure compiler from its parsed policy
 * labels (common/rulespec.h) to the ruleset tjd installs inside that
 * container's network namespace.  No I/O: names in rules (containers,
 * docker ps filters, address sets) are resolved by the caller's function.
 *
 * In the namespace, INPUT is what reaches the container and OUTPUT what it
 * sends; FORWARD is not used.  Per hook and family, in order:
 *   loopback passes (Docker's embedded DNS at 127.0.0.11 included);
 *   replies pass (ESTABLISHED, and RELATED: ICMP errors about the
 *     container's own connections);
 *   IPv6 neighbour solicitations and advertisements pass (without them
 *     IPv6 stops working);
 *   the rules, in ascending N: allow -> RETURN, deny -> DROP, reject ->
 *     REJECT (a TCP reset for TCP, ICMP or ICMPv6 port unreachable for the
 *     rest: a rule without a protocol rejects TCP with a reset first);
 *   the default policy: deny -> DROP; allow -> nothing (RETURN).
 * Nothing else passes by itself: unlike DCFW, no ping in, no multicast out.
 *
 * A rule becomes one kernel rule per family it applies to, per address of
 * each side, and per source x destination port range.  A side naming
 * containers or a set that resolves to no address of a family matches
 * nothing in that family, so the rule is left out there (an allow grants
 * nothing, a deny takes nothing that is not there).
 */
#ifndef TJD_POLICY_CONTAINER_H
#define TJD_POLICY_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/rulespec.h"
#include "tjd/ruleset.h"

/* Most kernel rules one container's policy may become. */
#define POLICY_CONTAINER_RULES_MAX 8192

/*
 * Resolves a CONTAINER, FILTER or SET side to its current addresses (both
 * families, full-length prefixes).  Fills *out (malloc'd; the compiler
 * frees it) and *count; 0, or -1 with err set (the name cannot be
 * resolved now: the compile fails, and the caller fails closed).
 */
typedef int (*policy_container_resolve_fn)(void *arg, const struct rulespec_address *side,
					   struct prefix **out, size_t *count, char *err,
					   size_t errlen);

/* What a compile noticed beyond the rules. */
struct policy_container_notes {
	size_t log_rules; /* rules with `log` (each kernel rule preceded by a RULE_LOG twin) */
};

/*
 * Compiles `policy` into `out` (reset first).  0, or -1 with err set (a
 * name could not be resolved, too many kernel rules, out of memory); on
 * failure *out is reset and the caller installs policy_container_deny_all.
 * notes may be NULL.
 */
int policy_container_compile(const struct rulespec_policy *policy,
			     policy_container_resolve_fn resolve, void *arg, struct ruleset *out,
			     struct policy_container_notes *notes, char *err, size_t errlen);

/*
 * The fail-closed ruleset: loopback, replies and IPv6 neighbour discovery
 * pass; everything else is dropped, in both directions.  0, or -1 (out of
 * memory, *out reset).
 */
int policy_container_deny_all(struct ruleset *out);

#endif
