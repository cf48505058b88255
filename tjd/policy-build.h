/*
 * The rule builders both policy compilers share (the host's bridge
 * networks in policy.c, swarm overlay namespaces in policy-overlay.c), so
 * that "an allowance", "the closing drop" and "neighbour discovery" have
 * one shape wherever tjd enforces.  Internal to the compilers.
 */
#ifndef TJD_POLICY_BUILD_H
#define TJD_POLICY_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/rulespec.h"
#include "tjd/ruleset.h"

/* Compiler state: where rules go and the first error. */
struct policy_build {
	struct ruleset *out;
	char *err;
	size_t errlen;
	bool failed;
	bool drop_log; /* closing drops get their RULE_LOG twin (conf drop_log) */
};

/* The IP protocol number of a rule's protocol (common/rulespec.h); 0 for any. */
uint8_t policy_build_protocol(enum rulespec_proto proto);
/* Whether a protocol exists in a family (icmp and igmp are IPv4's, icmpv6 IPv6's). */
bool policy_build_protocol_in(uint8_t protocol, int family);
/* Appends a zeroed rule of family/hook/verdict; NULL (and build failed) on OOM. */
struct rule *policy_build_rule(struct policy_build *build, int family, enum rule_hook hook,
			       enum rule_verdict verdict);
/* Sets "tjd NETWORK WHAT[ NAME]" as the comment, printable ASCII only, truncated. */
void policy_build_comment(struct rule *rule, const char *network, const char *what,
			  const char *name);
/* The leading "replies pass" rule of a chain (conntrack ESTABLISHED,RELATED). */
void policy_build_replies(struct policy_build *build, int family, enum rule_hook hook);
/*
 * IPv6 neighbour discovery that must cross `bridge` (forward: between two
 * ports) or reach the host from it (input: router solicitation too).
 */
void policy_build_neighbour_discovery(struct policy_build *build, const char *bridge,
				      const char *network, enum rule_hook hook);
/*
 * An allowance: `address` may open connections when it enters `bridge`
 * through `port` (both ends on the bridge for forward).
 */
void policy_build_allow(struct policy_build *build, enum rule_hook hook, const char *bridge,
			const struct prefix *address, const char *port, const char *network,
			const char *what, const char *name);
/*
 * The closing drop of a network's rules on one hook (forward: between ports of
 * `bridge`), after a RULE_LOG twin that samples the connection attempts it drops.
 */
void policy_build_drop(struct policy_build *build, int family, enum rule_hook hook,
		       const char *bridge, const char *network);

#endif
