/*
 * tjctl explain: whether tjd lets one party open a connection to another,
 * and which rule decides.
 *
 * Not a second policy: explain compiles the rulesets with the compilers
 * that build what the kernel holds (policy_compile, and
 * policy_compile_containers for containers with firewalls of their own),
 * then walks them for one new connection as netfilter would: the sender's
 * own output rules, tjd's rules in its namespace (FORWARD between two
 * containers of a network, INPUT to the host, OUTPUT from it), the
 * receiver's own input rules.  The first rule that decides is named, in
 * the user's words where tjd knows them (the allow filters, the host
 * setting).  Pure: configuration and inventory in, the answer out.
 */
#ifndef TJD_EXPLAIN_H
#define TJD_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/ruleset.h"

/* A new connection to ask about. */
struct explain_query {
	const char *from; /* a container's name, "host", or an address */
	const char *to;
	uint8_t protocol; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t port;
};

struct explain_result {
	bool blocked;
	char text[1024]; /* "allowed: ..." or "blocked: ...", one line */
};

/* One packet as the matcher sees it. */
struct explain_packet {
	int family;
	enum rule_hook hook;
	const char *in_iface, *out_iface; /* "" none; NULL: any but lo (inside a container) */
	const char *physdev_in;		  /* "" none */
	struct prefix src, dst;
	uint8_t protocol;
	uint16_t sport, dport;
};

/*
 * The rule of `set` that decides a new connection's first packet (a TCP
 * SYN), or NULL when none does (the chain falls through: tjd lets it
 * pass).  RULE_LOG rules never decide.
 */
const struct rule *explain_match(const struct ruleset *set, const struct explain_packet *packet);

/*
 * Answers a query; 0 with *result filled, or -1 with err set (a party tjd
 * cannot name, a protocol without ports, out of memory).
 */
int explain(const struct conf *conf, const struct inventory *inv, const struct explain_query *query,
	    struct explain_result *result, char *err, size_t errlen);

#endif
