/*
 * Per-container firewall rules: the rule grammar and the container labels
 * that carry it, read the way DCFW (github.com/dimajix/dcfw) defines them
 * and checked more strictly.  Pure parsing: nothing here talks to Docker
 * or the kernel, and names (containers, filters, address sets) are left
 * for the caller to resolve.
 *
 * Labels (one container's, as Docker reports them):
 *   dcfw.enable            true|false (also yes|no, on|off, 1|0; any case)
 *   dcfw.input.policy      allow|deny, default deny
 *   dcfw.output.policy     allow|deny, default allow
 *   dcfw.input.rule.N      one rule for traffic into the container
 *   dcfw.output.rule.N     one rule for traffic out of it
 * N is decimal digits only, at most 2^31-1; rules apply in ascending N, and
 * two keys naming one N ("rule.01", "rule.1") are an error.  The same keys
 * under "tjd." work alike; one container uses one prefix, never both.
 * Every "dcfw." key is DCFW's, so an unknown one ("dcfw.inptu.policy") is
 * an error.  Under "tjd." only tjd.enable and keys starting "tjd.input." or
 * "tjd.output." are the policy's (an unknown one of those is an error):
 * other tjd.* labels, such as those allow filters match, are left alone.
 * Without an enable label the container has no policy.  With enable false
 * it has none either, and the rules and policies are not read (so
 * disabling always works), but the keys are still checked.
 *
 * A rule:
 *   ACTION [log] [on IFACE] [proto PROTO] [from ADDR [port PORTS]]
 *          [to ADDR [port PORTS]] [comment "TEXT"]
 *   - ACTION: allow, deny (drop) or reject.  Keywords are lower case.
 *   - The clauses after ACTION may come in any order, each at most once;
 *     "port" belongs to the from or to clause read last before it
 *     ("to name=plex proto tcp port 32400" is "to name=plex port 32400"),
 *     and there must be one.
 *   - IFACE: a Linux interface name (see ident_valid_ifname()), taken
 *     literally: no wildcards.
 *   - PROTO: tcp, udp, sctp, icmp (IPv4 only), icmpv6 or ipv6-icmp (IPv6
 *     only), igmp (IPv4 only); all or any for no condition.
 *   - ADDR: any (both families); an IPv4 or IPv6 address; a network
 *     "ADDR/LEN" whose host bits are clear (10.0.0.1/24 is an error naming
 *     10.0.0.0/24, since it rarely means what it says); "container NAME"
 *     (Docker's name characters [a-zA-Z0-9][a-zA-Z0-9_.-]*, a leading '/'
 *     dropped); "label KEY[=VALUE]", read as the filter term
 *     label=KEY[=VALUE]; one docker ps filter term KEY=VALUE
 *     (common/filter.h), e.g. name=plex; "@SET", a named address set
 *     ([A-Za-z0-9_-]{1,32}).  Host names are refused, as are addresses
 *     inet_pton(3) refuses ("1.2.3", "10.0.0.256").
 *   - PORTS: comma-separated ports (1-65535) and ranges LO-HI (LO <= HI),
 *     at most RULESPEC_PORTS_MAX items, no overlaps; kept sorted.  A port
 *     needs proto tcp, udp or sctp (DCFW would silently drop it).
 *   - TEXT: in double quotes, may hold spaces (not tabs); \" and \\ are the only
 *     escapes; a single word needs no quotes.  Unescaped, 1 to
 *     RULESPEC_COMMENT_MAX bytes of UTF-8 without control characters (C0,
 *     DEL, C1).  What reaches the kernel must still be made printable.
 *   - An IPv4 network or address with an IPv6 one (from and to, or with
 *     the protocol) is an error.
 *   - Words are separated by spaces and tabs; a rule is at most
 *     RULESPEC_RULE_MAX bytes of UTF-8 without control characters.
 *     One-character words are words ("port 8", "on e").
 */
#ifndef TJD_COMMON_RULESPEC_H
#define TJD_COMMON_RULESPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ident.h"
#include "common/prefix.h"

/* Longest rule text, in bytes. */
#define RULESPEC_RULE_MAX 1024
/* Room for what rulespec_format_rule() writes of any parsed rule, NUL included. */
#define RULESPEC_FORMAT_MAX (RULESPEC_RULE_MAX + 256)
/* Most ports and ranges in one port clause. */
#define RULESPEC_PORTS_MAX 32
/* Longest comment, unescaped, in bytes. */
#define RULESPEC_COMMENT_MAX 128
/* Longest container name (without the leading '/'). */
#define RULESPEC_CONTAINER_MAX 128
/* Longest address set name (without the '@'). */
#define RULESPEC_SET_MAX 32
/* Most rules on one container, input and output together. */
#define RULESPEC_RULES_MAX 256
/* Highest rule number N. */
#define RULESPEC_NUMBER_MAX 2147483647u
/* How much of a label key or a word an error quotes. */
#define RULESPEC_SHOWN_MAX 64
/* Room for rulespec_error_format()'s text, NUL included. */
#define RULESPEC_ERROR_TEXT_MAX 400

/* What a rule does with what it matches; the default policies use allow and deny. */
enum rulespec_action {
	RULESPEC_ALLOW,
	RULESPEC_DENY,
	RULESPEC_REJECT,
};

/* The protocol condition. */
enum rulespec_proto {
	RULESPEC_PROTO_ANY,
	RULESPEC_PROTO_TCP,
	RULESPEC_PROTO_UDP,
	RULESPEC_PROTO_SCTP,
	RULESPEC_PROTO_ICMP,
	RULESPEC_PROTO_ICMPV6,
	RULESPEC_PROTO_IGMP,
};

/* What an address clause names. */
enum rulespec_address_kind {
	RULESPEC_ADDRESS_ANY,	    /* no condition (also: clause absent) */
	RULESPEC_ADDRESS_NET,	    /* net: an address (full length) or a network */
	RULESPEC_ADDRESS_CONTAINER, /* name: a container's name, without '/' */
	RULESPEC_ADDRESS_FILTER,    /* name: one docker ps filter term, "label=app=x" */
	RULESPEC_ADDRESS_SET,	    /* name: an address set's name, without '@' */
};

/* One port or range, first <= last. */
struct rulespec_port_range {
	uint16_t first;
	uint16_t last;
};

/* A port condition: count 0 for none; ranges ascending, disjoint. */
struct rulespec_ports {
	size_t count;
	struct rulespec_port_range ranges[RULESPEC_PORTS_MAX];
};

/* The from or to side of a rule. */
struct rulespec_address {
	enum rulespec_address_kind kind;
	struct prefix net; /* RULESPEC_ADDRESS_NET */
	char *name;	   /* CONTAINER, FILTER, SET; NULL otherwise */
	struct rulespec_ports ports;
};

/* One parsed rule; release with rulespec_rule_free(). */
struct rulespec_rule {
	enum rulespec_action action;
	bool log;
	char iface[IDENT_IFNAMSIZ]; /* "" for any */
	enum rulespec_proto proto;
	int family; /* AF_INET or AF_INET6 when an address or the protocol says so, else 0 */
	struct rulespec_address from;
	struct rulespec_address to;
	char *comment; /* NULL for none */
};

/* A rule with the N of its label. */
struct rulespec_entry {
	uint32_t number;
	struct rulespec_rule rule;
};

/* One direction's rules, ascending by number. */
struct rulespec_chain {
	struct rulespec_entry *entries;
	size_t count;
};

/* One container's policy; release with rulespec_policy_free(). */
struct rulespec_policy {
	const char *source; /* "dcfw" or "tjd" (static), NULL when no policy label */
	bool enabled;
	enum rulespec_action input_policy;  /* RULESPEC_ALLOW or RULESPEC_DENY */
	enum rulespec_action output_policy; /* the same */
	struct rulespec_chain input;
	struct rulespec_chain output;
};

/* One container label. */
struct rulespec_label {
	const char *key;
	const char *value;
};

/*
 * Where and why parsing failed.  Every field is printable ASCII (other
 * bytes shown as '?', long text cut and ending in "..."), safe to log.
 */
struct rulespec_error {
	char key[RULESPEC_SHOWN_MAX + 1];  /* the label, "" for none */
	size_t column;			   /* 1-based byte of word in the value, 0 for none */
	char word[RULESPEC_SHOWN_MAX + 1]; /* the offending word, "" for none */
	char reason[192];
};

/*
 * Parses one rule.  Returns 0 with *out filled, or -1 with *out empty
 * (safe to free) and err (if non-NULL) set with no key.
 */
int rulespec_parse_rule(const char *text, struct rulespec_rule *out, struct rulespec_error *err);
/*
 * Reads one container's labels (count of them, keys and values non-NULL,
 * other labels among them ignored).  Returns 1 with the enabled policy in
 * *out; 0 when there is none: no policy label (source NULL), or no enable
 * label or enable false (source set, enabled false, no rules); -1 on error
 * with err set (its key the label's) and *out empty.  Every error is an
 * error whatever the enable label says, except those in the values of
 * policies and rules, which are read only when enabled.  *out is always
 * safe to free.
 */
int rulespec_parse_labels(const struct rulespec_label *labels, size_t count,
			  struct rulespec_policy *out, struct rulespec_error *err);

/* Releases what a rule holds and empties it; an empty rule is fine. */
void rulespec_rule_free(struct rulespec_rule *rule);
/* Releases what a policy holds and empties it; an empty policy is fine. */
void rulespec_policy_free(struct rulespec_policy *policy);
/* True when two rules mean the same (every field, names and comment by content). */
bool rulespec_rule_equal(const struct rulespec_rule *a, const struct rulespec_rule *b);

/*
 * Writes the rule canonically: clauses in the grammar's order, defaults
 * left out, addresses in canonical text, ports sorted, the comment quoted.
 * Parsing the result gives an equal rule (if it fits RULESPEC_RULE_MAX:
 * canonical addresses can be longer than written, "::ffff:0.0.0.0" for
 * "::ffff:0:0").  Returns the length, or -1 when size is too small
 * (RULESPEC_FORMAT_MAX always suffices).
 */
int rulespec_format_rule(const struct rulespec_rule *rule, char *buf, size_t size);
/*
 * Writes the error as one line, e.g.
 *   label dcfw.input.rule.10, column 18 ("99999"): port out of range 1-65535
 * and returns its length (cut to size - 1).
 */
size_t rulespec_error_format(const struct rulespec_error *err, char *buf, size_t size);

/* The keyword of an action ("allow") and of a protocol ("tcp"; "any" for none). */
const char *rulespec_action_name(enum rulespec_action action);
const char *rulespec_proto_name(enum rulespec_proto proto);

#endif
