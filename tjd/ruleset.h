/*
 * The backend-neutral firewall ruleset: what the policy compiler produces,
 * what a backend installs, what --dry-run and `tjctl rules` print.
 *
 * A ruleset is an ordered list of rules for three chains per family,
 * jumped to from FORWARD, INPUT and OUTPUT.  Each rule either
 * RETURNs (this packet is not ours to stop; Docker's own rules decide),
 * DROPs, or REJECTs (drops with an answer).  tjd never ACCEPTs: it only
 * takes traffic away.
 *
 * Addresses are struct prefix (common/prefix.h), included here so every
 * user of a ruleset has the prefix helpers too.
 */
#ifndef TJD_RULESET_H
#define TJD_RULESET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/prefix.h"

#define TJD_IFNAMSIZ 16
#define RULE_COMMENT_MAX 64
/*
 * Room for a set name with its NUL: [A-Za-z0-9_-], starting with a letter,
 * at most RULE_SET_NAME_MAX - 1 bytes.  Backends may put a prefix of at
 * most 4 bytes before it in the kernel (ipset names hold 31 bytes).
 */
#define RULE_SET_NAME_MAX 28

enum rule_hook {
	RULE_HOOK_FORWARD = 0,
	RULE_HOOK_INPUT = 1,
	RULE_HOOK_OUTPUT = 2, /* what the host itself sends */
};
#define RULE_HOOK_COUNT 3

/* "forward", "input" or "output". */
const char *rule_hook_name(enum rule_hook hook);

enum rule_verdict {
	RULE_RETURN = 0,
	RULE_DROP = 1,
	/*
	 * Dropped with an answer: a TCP reset for a rule with protocol TCP,
	 * else ICMP (ICMPv6) port unreachable.
	 */
	RULE_REJECT = 2,
	/*
	 * Not a verdict: a sample of the packets the rule matches, at most
	 * RULE_LOG_RATE a second after a burst of RULE_LOG_BURST, goes to
	 * netfilter's log group RULE_LOG_GROUP with the rule's comment as
	 * prefix, and evaluation goes on with the next rule.
	 */
	RULE_LOG = 3,
};

/* The netfilter log group (nfnetlink_log) of RULE_LOG rules, in every namespace. */
#define RULE_LOG_GROUP 7480
/* Packets a RULE_LOG rule passes on per second, and its burst. */
#define RULE_LOG_RATE 5
#define RULE_LOG_BURST 10

/* Whether a protocol has ports a rule may match (TCP, UDP, SCTP). */
bool rule_protocol_has_ports(uint8_t protocol);

/* conntrack state bits (rule.ctstate); 0 means no conntrack match. */
#define RULE_CT_NEW 0x1
#define RULE_CT_ESTABLISHED 0x2
#define RULE_CT_RELATED 0x4

struct rule {
	int family; /* AF_INET or AF_INET6 */
	enum rule_hook hook;
	char in_iface[TJD_IFNAMSIZ];   /* "" = any */
	char out_iface[TJD_IFNAMSIZ];  /* "" = any */
	char physdev_in[TJD_IFNAMSIZ]; /* "" = no physdev match */
	struct prefix src;	       /* family 0 = any */
	struct prefix dst;	       /* family 0 = any */
	uint8_t ctstate;	       /* RULE_CT_* bits, 0 = any */
	uint8_t protocol;	       /* 0 = any, else IPPROTO_* */
	bool has_icmp_type;	       /* only with protocol ICMP/ICMPV6 */
	uint8_t icmp_type;
	/*
	 * Only with protocol TCP: a segment that is not a bare connection
	 * request, (flags & (FIN|SYN|RST|ACK)) != SYN.  With ctstate NEW it
	 * is the kernel picking a connection up in mid-stream.
	 */
	bool tcp_not_syn;
	/*
	 * Port ranges, first..last inclusive, only with a protocol that has
	 * ports (rule_protocol_has_ports); 0..0 = any port.
	 */
	uint16_t sport_first, sport_last;
	uint16_t dport_first, dport_last;
	/*
	 * Only connections whose destination was rewritten (conntrack status
	 * DNAT): on a Docker host, connections to a published port.
	 */
	bool ct_dnat;
	/*
	 * The destination port the connection was opened to, before any DNAT
	 * (conntrack's original tuple: the published port on the host), a
	 * range first..last; only with a protocol that has ports; 0..0 = any.
	 */
	uint16_t ct_dport_first, ct_dport_last;
	/*
	 * The source or destination address is a member of the named set of
	 * the ruleset (ruleset.sets, of the rule's family); "" = no set
	 * condition.  A side has a set or a prefix, never both.
	 */
	char src_set[RULE_SET_NAME_MAX];
	char dst_set[RULE_SET_NAME_MAX];
	enum rule_verdict verdict;
	char comment[RULE_COMMENT_MAX]; /* "" = none; printable ASCII only */
};

/*
 * A named address set: rules match its members through one lookup, and a
 * change of members alone is committed to the kernel's set without
 * touching any rule.  Members are ruleset.members[first .. first+count),
 * all of the set's family, sorted (prefix_compare order), none inside
 * another and none of length 0 (the compiler splits ::/0 and 0.0.0.0/0
 * into two halves), so every backend can hold them as intervals.
 */
struct rule_addrset {
	char name[RULE_SET_NAME_MAX]; /* see RULE_SET_NAME_MAX */
	int family;		      /* AF_INET or AF_INET6 */
	size_t first, count;
	char comment[RULE_COMMENT_MAX]; /* "" = none; printable ASCII only */
};

/*
 * Layer 2: what one port of a protected bridge may send.  A known port
 * belongs to one container and may send only untagged IPv4, IPv6 and ARP
 * with that container's MAC and addresses (as Ethernet and ARP sender, IP
 * source and neighbour-advertisement target), and no router advertisement
 * or redirect; a port tjd cannot attribute may send nothing.
 */
#define L2_MAC_LEN 6
struct l2_port {
	char bridge[TJD_IFNAMSIZ];
	char port[TJD_IFNAMSIZ];
	bool known; /* false: whose it is is unknown, so it sends nothing */
	uint8_t mac[L2_MAC_LEN];
	struct prefix ipv4;		/* family 0 if none; length 32 */
	struct prefix ipv6;		/* global; family 0 if none; length 128 */
	struct prefix ipv6_link;	/* fe80:: derived from the MAC; length 128 */
	char comment[RULE_COMMENT_MAX]; /* "tjd NETWORK CONTAINER"; printable ASCII only */
};

struct ruleset {
	struct rule *rules;
	size_t count;
	size_t capacity;
	struct l2_port *ports; /* layer 2, for the bridge family; backends without it ignore it */
	size_t port_count;
	size_t port_capacity;
	struct rule_addrset *sets; /* named address sets the rules refer to */
	size_t set_count;
	size_t set_capacity;
	struct prefix *members; /* every set's members, see struct rule_addrset */
	size_t member_count;
	size_t member_capacity;
};

void ruleset_init(struct ruleset *set);
void ruleset_free(struct ruleset *set);
void ruleset_reset(struct ruleset *set);
/* Appends a zeroed rule and returns it; NULL when out of memory. */
struct rule *ruleset_add(struct ruleset *set);
/* Appends a zeroed layer-2 port and returns it; NULL when out of memory. */
struct l2_port *ruleset_add_port(struct ruleset *set);
bool l2_port_equal(const struct l2_port *a, const struct l2_port *b);
/*
 * Appends an empty set named `name` of `family` (its members are the ones
 * ruleset_add_member adds next) and returns it; NULL when out of memory or
 * the name does not fit.
 */
struct rule_addrset *ruleset_add_set(struct ruleset *set, const char *name, int family);
/* Adds a member to the last set added; 0, or -1 when out of memory. */
int ruleset_add_member(struct ruleset *set, const struct prefix *member);
/* The set named `name`, or NULL. */
const struct rule_addrset *ruleset_find_set(const struct ruleset *set, const char *name);
/* True when the name is a valid set name (see RULE_SET_NAME_MAX). */
bool rule_set_name_valid(const char *name);
/* True when the sets hold the same members under the same names, in order. */
bool ruleset_sets_equal(const struct ruleset *a, const struct ruleset *b);
/* True when the rules and layer-2 ports are the same, whatever the sets hold. */
bool ruleset_rules_equal(const struct ruleset *a, const struct ruleset *b);
/* Parses "02:42:ac:11:00:02" (either case); 0, or -1 when it is not a MAC. */
int l2_mac_parse(const char *text, uint8_t mac[L2_MAC_LEN]);
/* The link-local address the kernel derives from a MAC (EUI-64), as a /128. */
void l2_link_local(const uint8_t mac[L2_MAC_LEN], struct prefix *out);
/* Deep copy; returns 0 or -1 on allocation failure. */
int ruleset_copy(struct ruleset *dst, const struct ruleset *src);
/* Rules, layer-2 ports and sets all the same. */
bool ruleset_equal(const struct ruleset *a, const struct ruleset *b);
bool rule_equal(const struct rule *a, const struct rule *b);
/* Number of rules of one family (AF_INET/AF_INET6) on one hook. */
size_t ruleset_count(const struct ruleset *set, int family, enum rule_hook hook);

/*
 * Renders the ruleset in iptables-save syntax, one section per family, with
 * the given chain names, each family's sets as comment lines before its
 * rules (a rule's set condition as `-m set --match-set NAME src|dst`), and
 * the layer-2 ports as comment lines after;
 * returns a malloc'd string or NULL on OOM.
 */
char *ruleset_format(const struct ruleset *set, const char *const chains[RULE_HOOK_COUNT]);
/* Renders one rule as iptables arguments (no chain); returns bytes written. */
int rule_format(const struct rule *rule, char *buf, size_t size);

#endif
