/*
 * The nftables backend: tjd's own tables, written through libnftables.
 *
 * Layout (table name "tjd", or "tjd_<instance>"):
 *
 *   table inet tjd     base chains `forward` and `input`, priority filter - 10,
 *                      so they run before Docker's filter-priority chains
 *                      (iptables-nft's FORWARD, legacy x_tables, Docker's
 *                      native nftables) yet after conntrack (-200) and mangle.
 *                      One ruleset for IPv4 and IPv6.  An IR RETURN is nft
 *                      `return` (the base chain's accept policy: the packet
 *                      goes on to everyone else's chains); DROP is `drop`,
 *                      final whichever base chain says it.
 *   table bridge tjd   the bridge-port half of each allowance (physdev-in).
 *                      The inet family cannot see the bridge port: with
 *                      br_netfilter `iifname` is the bridge, `meta ibrname`
 *                      is refused outside the bridge family, and xt physdev
 *                      exists only as an nft_compat blob libnftables cannot
 *                      write.  So the binding is checked where the port is
 *                      visible: a bridge prerouting chain (priority -300,
 *                      before br_netfilter hands the frame to the IP hooks)
 *                      drops any frame whose source address is allow-listed
 *                      but which did not come in through that address's own
 *                      port (ARP too, so no one else can claim the address
 *                      in neighbours' caches).  The inet allowance then needs
 *                      only the address.
 *
 * Allow-listed addresses live in named sets, one per run of allowances (per
 * network, family and hook), so a packet costs one lookup however many
 * there are.  Drop rules carry counters.  The ruleset's own named sets
 * (struct rule_addrset) are interval sets of the inet table under
 * "set_<name>", which no allowance set's name can be; a rule's set
 * condition is `ip saddr @set_<name>` (ip6, daddr alike).  Conntrack's
 * DNAT status is `ct status dnat`, the original destination port `ct
 * original proto-dst N[-M]` after the protocol match nft needs for it.
 * A drop rule whose comment starts BACKEND_PUBLISHED_COMMENT counts as a
 * published-port drop, whatever its chain.
 *
 * apply renders the whole desired state as one nft script that deletes and
 * re-creates both tables (owned ones: their contents, see below), and runs
 * it as one transaction: the kernel swaps
 * generations atomically, so no packet sees a half-written ruleset and a
 * failed script changes nothing.  To commit only when something differs,
 * the kernel's own listing of the tables (stateless: no counter values) is
 * kept right after each commit; the next apply with the same script lists
 * again and commits only if the listing changed (table deleted, chain
 * flushed, rule or element edited or added by someone else).  Comparing
 * the kernel with itself avoids predicting nft's output format.  The first
 * apply of a process always commits once (atomically, so no window).
 * When the kernel holds our last commit (watched, owned, or listing as it
 * did right after it) and the new script differs from it only in set
 * elements (allow-listed addresses, members of the ruleset's sets), the
 * commit is those elements' deletions and additions alone, in one
 * transaction: no rule or chain is touched, handles and counters stay.
 *
 * A netlink socket subscribed to NFNLGRP_NFTABLES (libmnl) reports, between
 * polls, transactions by other processes that touched our tables, so the
 * daemon can re-apply within milliseconds.  A transaction's object events
 * come first and its NEWGEN event last; every event carries the netlink
 * port of the socket that committed it, and NEWGEN the committer's pid as
 * the kernel numbers it.  Ours are ignored: the port of our libnftables
 * context is learned at open from the probe transaction, whose table name
 * no one else uses (it carries the monitor's own port).  The port, not the
 * pid, is what tells in a pid namespace (tjd's container image), where
 * getpid() is not the kernel's number and every own commit looked foreign:
 * each dropped the listing, so the repair committed again, forever.  The
 * pid still counts where the port could not be learned.  A drain reads a
 * bounded number of datagrams, so a stream of events cannot hold the event
 * loop; the socket stays readable and the rest come on the next callback.
 * Only the kernel's datagrams are read (netlink.c); libnftnl's parsers are
 * not used: the monitor needs one attribute per event (the table, which
 * every object message has first), and libnftnl's nftnl_gen has no pid.
 *
 * Ownership (tjd/nft-owner.h; own_tables, on by default).  Where the kernel
 * keeps persistent tables (Linux 6.9), both tables are owned by the socket
 * of our libnftables context: the kernel refuses every change and the
 * deletion from anyone else, and keeps them, rules and all, when the socket
 * closes (tjd stopped or crashed: fail closed), for the next tjd to adopt.
 * Open finds that socket and proves the kernel can do it (a scratch table
 * made and deleted owned, in one transaction); the first whole commit
 * claims the tables (a missing one made, an orphan adopted: a flags update
 * that leaves the rules alone).  nft 1.0.6 cannot ask for PERSIST, and the
 * kernel refuses any table message for an owned table whose flags are not
 * exactly its own, so an owned commit never names the table itself: it
 * deletes what the tables hold (named from our last commit, which the
 * kernel holds exactly, or else from its listing) and adds the script's
 * chains, sets and rules, in one transaction, the tables staying.  A table
 * that exists without PERSIST (made while ownership was off, or by an older
 * tjd) cannot be adopted: it is replaced whole, a copy of the ruleset
 * standing in meanwhile (backend_nft_handover), so that never opens a gap
 * either.  Changes of set elements are committed as they were.  Where the
 * tables cannot be owned, everything is as it was before ownership: the
 * monitor below reports foreign changes and the daemon repairs them; the
 * `protection` op says which holds, for status.
 *
 * libnftables binds its netlink socket when the context is made, so open
 * must run inside the network namespace the backend is for.
 */
#include "config.h"

#include "common/error.h"
#include "common/log.h"
#include "common/text.h"

#include "tjd/backend.h"
#include "tjd/netlink.h"
#include "tjd/nft-owner.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* libnftables.h defines _GNU_SOURCE again, without a value; config.h has. */
#undef _GNU_SOURCE
#include <nftables/libnftables.h>

#define BACKEND_NFT_TABLE "tjd"
/* The bridge-only backend's table: its own name, so both never hold the same table. */
#define BACKEND_NFT_BRIDGE_SUFFIX "-l2"
#define BACKEND_NFT_TABLE_MAX 32
/* Prefix of the probe's table name: no instance can produce it (instance ids have no '-'). */
#define BACKEND_NFT_PROBE_TABLE "tjd-probe"
/* Appended to a table's name for the copy that protects while the table is replaced whole. */
#define BACKEND_NFT_HANDOVER_SUFFIX "-handover"
/* Longest table comment (nft keeps it in one byte-long user-data record). */
#define BACKEND_NFT_COMMENT_MAX 128
#define BACKEND_NFT_PRIORITY_INET -10
#define BACKEND_NFT_PRIORITY_BRIDGE -300
/* Hard cap on a rendered script or a listing. */
#define BACKEND_NFT_TEXT_MAX (64u << 20)
/* Larger than the largest nf_tables event datagram (a set element batch, ~64 KiB). */
#define BACKEND_NFT_MONITOR_BUFFER (128u * 1024u)
#define BACKEND_NFT_MONITOR_RCVBUF (8 << 20)
/* Datagrams one drain reads at most; far more than one apply of ours produces. */
#define BACKEND_NFT_MONITOR_BATCH 256
#define BACKEND_NFT_SET_NAME_MAX 48
/*
 * Put before the name of each of the ruleset's own sets (struct
 * rule_addrset) in the inet table.  The sets made for runs of allowances
 * are named "fwd", "in" or "out", a digit and more, so no name of either
 * kind can be the other's.
 */
#define BACKEND_NFT_RULESET_SET_PREFIX "set_"
#define BACKEND_NFT_ADDRESS_MAX (INET6_ADDRSTRLEN + 4)
/* Tally key of the bridge table's drops: '/' is in no interface name. */
#define BACKEND_NFT_BINDING_TALLY "/port-binding"

/* Every object message names its table in attribute 1; the monitor relies on it. */
_Static_assert(NFTA_TABLE_NAME == 1 && NFTA_CHAIN_TABLE == 1 && NFTA_RULE_TABLE == 1 &&
		   NFTA_SET_TABLE == 1 && NFTA_SET_ELEM_LIST_TABLE == 1 && NFTA_OBJ_TABLE == 1 &&
		   NFTA_FLOWTABLE_TABLE == 1,
	       "nf_tables object messages name their table in attribute 1");

/* Per-backend state behind backend->priv. */
struct backend_nft_state {
	struct nft_ctx *ctx;
	char table[BACKEND_NFT_TABLE_MAX];
	char *applied_script;  /* the script of our last commit */
	char *applied_listing; /* the kernel's stateless listing right after it */
	/*
	 * The kernel holds applied_script's state as far as tjd knows: set by
	 * our full commits, cleared when the monitor sees someone else's.  Only
	 * then can a change be committed as a difference of set elements.
	 */
	bool applied_trusted;
	/* backend_nft_bridge_ops: only the bridge table, beside another IP backend. */
	bool bridge_only;
	/* Counts from tables we replaced, so counters() never goes backwards. */
	struct backend_tallies baseline;
	struct mnl_socket *monitor;
	unsigned char *monitor_buffer;
	bool monitor_touched; /* the transaction being read touched our tables */
	bool own_port_known;
	uint32_t own_port; /* netlink port our libnftables context commits from */
	/*
	 * Ownership (tjd/nft-owner.h): owning when our tables are to be owned
	 * by our libnftables socket, found as `owner`; `owned` the bits of
	 * those that are (1 inet, 2 bridge); protection says how it stands.
	 */
	bool owning;
	struct nft_owner owner;
	unsigned owned;
	bool handover_left; /* copies made to replace a table whole are still there */
	char protection[224];
};

/* A growable text buffer with a hard cap. */
struct backend_nft_text {
	char *data;
	size_t length;
	size_t capacity;
	bool failed;
};

/* A run of consecutive rules of one hook rendered as one nft rule. */
struct backend_nft_group {
	size_t start; /* index into the hook-ordered list */
	size_t end;   /* one past the last member */
	bool uses_set;
	char set_name[BACKEND_NFT_SET_NAME_MAX];
};

/* The rendering plan: rules ordered by hook, grouped. */
struct backend_nft_plan {
	const struct ruleset *set;
	size_t *order;
	size_t group_count;
	struct backend_nft_group *groups;
};

/* Appends formatted text; marks the buffer failed on OOM or past the cap. */
static void backend_nft_append(struct backend_nft_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void backend_nft_append(struct backend_nft_text *text, const char *format, ...)
{
	va_list args;
	int needed;

	if (text->failed)
		return;
	va_start(args, format);
	needed = vsnprintf(NULL, 0, format, args);
	va_end(args);
	if (needed < 0 || (size_t)needed >= BACKEND_NFT_TEXT_MAX - text->length) {
		text->failed = true;
		return;
	}
	if (text->length + (size_t)needed + 1 > text->capacity) {
		size_t capacity = text->capacity ? text->capacity : 4096;
		char *data;
		while (capacity < text->length + (size_t)needed + 1)
			capacity *= 2;
		data = realloc(text->data, capacity);
		if (data == NULL) {
			text->failed = true;
			return;
		}
		text->data = data;
		text->capacity = capacity;
	}
	va_start(args, format);
	vsnprintf(text->data + text->length, text->capacity - text->length, format, args);
	va_end(args);
	text->length += (size_t)needed;
}

/* Hands over the text (malloc'd), or NULL and frees it if anything failed. */
static char *backend_nft_text_take(struct backend_nft_text *text)
{
	char *data = text->data;

	if (text->failed || data == NULL) {
		free(data);
		data = text->failed ? NULL : strdup("");
	}
	memset(text, 0, sizeof(*text));
	return data;
}

/* Interface names go into quoted nft strings: letters, digits, '_', '.', '-'. */
static bool backend_nft_valid_iface(const char *name)
{
	size_t length = strnlen(name, TJD_IFNAMSIZ);

	if (length == 0 || length >= TJD_IFNAMSIZ)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Copies a comment keeping only characters that are inert in a quoted nft string. */
static void backend_nft_comment(char *out, size_t size, const char *in, size_t in_max)
{
	static const char allowed[] = " _.,:=+/@()-";
	size_t length = strnlen(in, in_max);
	size_t n = 0;

	for (size_t i = 0; i < length && n + 1 < size; i++) {
		char c = in[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || (c != '\0' && strchr(allowed, c) != NULL);
		out[n++] = plain ? c : '_';
	}
	out[n] = '\0';
}

/* The table name for this backend: "tjd", or "tjd_<instance>" from the chain names. */
static int backend_nft_table_name(const struct backend *backend, char *out, size_t size)
{
	static const char base[] = "TJD-FORWARD";
	const char *chain = backend->chain_forward;
	size_t length = strnlen(chain, sizeof(backend->chain_forward));
	const char *instance;

	if (length >= sizeof(backend->chain_forward) || strncmp(chain, base, strlen(base)) != 0)
		return -1;
	instance = chain + strlen(base);
	if (*instance == '\0')
		return snprintf(out, size, "%s", BACKEND_NFT_TABLE) < (int)size ? 0 : -1;
	if (*instance != '-' || instance[1] == '\0')
		return -1;
	instance++;
	for (const char *c = instance; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_'))
			return -1;
	return snprintf(out, size, "%s_%s", BACKEND_NFT_TABLE, instance) < (int)size ? 0 : -1;
}

/* Tells whether a prefix is one whole address (/32 or /128). */
static bool backend_nft_is_host(const struct prefix *prefix)
{
	return (prefix->family == AF_INET && prefix->length == 32) ||
	       (prefix->family == AF_INET6 && prefix->length == 128);
}

/* Writes a prefix as nft text ("10.0.0.0/8", "fd00::1"), host bits cleared. */
static int backend_nft_prefix(const struct prefix *prefix, char *out, size_t size)
{
	unsigned char bytes[16];
	size_t byte_count = prefix->family == AF_INET ? 4 : 16;
	unsigned int max = prefix->family == AF_INET ? 32 : 128;
	char address[INET6_ADDRSTRLEN];

	if ((prefix->family != AF_INET && prefix->family != AF_INET6) || prefix->length > max)
		return -1;
	memcpy(bytes,
	       prefix->family == AF_INET ? (const void *)&prefix->addr.v4
					 : (const void *)&prefix->addr.v6,
	       byte_count);
	for (size_t i = 0; i < byte_count; i++) {
		unsigned int first_bit = (unsigned int)i * 8;
		if (first_bit >= prefix->length)
			bytes[i] = 0;
		else if (first_bit + 8 > prefix->length)
			bytes[i] &= (unsigned char)(0xff << (8 - (prefix->length - first_bit)));
	}
	if (inet_ntop(prefix->family, bytes, address, sizeof(address)) == NULL)
		return -1;
	if (prefix->length == max)
		return snprintf(out, size, "%s", address) < (int)size ? 0 : -1;
	return snprintf(out, size, "%s/%u", address, prefix->length) < (int)size ? 0 : -1;
}

/*
 * Why a rule's set condition on one side (`name`, "" = none) cannot be
 * written, or NULL when it can: the set must be one of the ruleset's, of
 * the rule's family, and that side must have no address besides.
 */
static const char *backend_nft_check_side(const struct ruleset *set, const struct rule *rule,
					  const char *name, const struct prefix *address)
{
	const struct rule_addrset *named;

	if (name[0] == '\0')
		return NULL;
	if (!rule_set_name_valid(name))
		return "set name not [A-Za-z][A-Za-z0-9_-]* of at most 27 bytes";
	if (address->family != 0)
		return "both an address and a set on one side";
	named = ruleset_find_set(set, name);
	if (named == NULL)
		return "the ruleset has no set of that name";
	if (named->family != rule->family)
		return "the set is of the other family";
	return NULL;
}

/* Refuses, with the reason, any rule this backend cannot express exactly. */
static int backend_nft_check_rule(const struct ruleset *set, const struct rule *rule, size_t index,
				  char *err, size_t errlen)
{
	const char *why = NULL;
	const char *named = NULL; /* the set the reason is about */

	if (rule->family != AF_INET && rule->family != AF_INET6)
		why = "unknown address family";
	else if ((unsigned)rule->hook >= RULE_HOOK_COUNT)
		why = "unknown hook";
	else if (rule->verdict != RULE_RETURN && rule->verdict != RULE_DROP &&
		 rule->verdict != RULE_REJECT && rule->verdict != RULE_LOG)
		why = "unknown verdict";
	else if ((rule->in_iface[0] != '\0' && !backend_nft_valid_iface(rule->in_iface)) ||
		 (rule->out_iface[0] != '\0' && !backend_nft_valid_iface(rule->out_iface)) ||
		 (rule->physdev_in[0] != '\0' && !backend_nft_valid_iface(rule->physdev_in)))
		why = "interface name with characters other than letters, digits, '_', '.', '-'";
	else if ((rule->src.family != 0 && rule->src.family != rule->family) ||
		 (rule->dst.family != 0 && rule->dst.family != rule->family))
		why = "address of the other family";
	else if ((rule->src.family != 0 &&
		  rule->src.length > (rule->family == AF_INET ? 32 : 128)) ||
		 (rule->dst.family != 0 && rule->dst.length > (rule->family == AF_INET ? 32 : 128)))
		why = "prefix longer than the address";
	else if (rule->ctstate & ~(RULE_CT_NEW | RULE_CT_ESTABLISHED | RULE_CT_RELATED))
		why = "unknown conntrack state";
	else if (rule->has_icmp_type &&
		 rule->protocol != (rule->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6))
		why = "ICMP type without the family's ICMP protocol";
	else if (rule->tcp_not_syn && rule->protocol != IPPROTO_TCP)
		why = "TCP flags without protocol TCP";
	else if ((rule->sport_last != 0 || rule->dport_last != 0) &&
		 !rule_protocol_has_ports(rule->protocol))
		why = "ports without protocol TCP, UDP or SCTP";
	else if ((rule->sport_last != 0 &&
		  (rule->sport_first == 0 || rule->sport_first > rule->sport_last)) ||
		 (rule->sport_last == 0 && rule->sport_first != 0) ||
		 (rule->dport_last != 0 &&
		  (rule->dport_first == 0 || rule->dport_first > rule->dport_last)) ||
		 (rule->dport_last == 0 && rule->dport_first != 0))
		why = "port range out of order or with port 0";
	else if (rule->ct_dport_last != 0 && !rule_protocol_has_ports(rule->protocol))
		why = "original destination port (conntrack) without protocol TCP, UDP or SCTP";
	else if ((rule->ct_dport_last != 0 &&
		  (rule->ct_dport_first == 0 || rule->ct_dport_first > rule->ct_dport_last)) ||
		 (rule->ct_dport_last == 0 && rule->ct_dport_first != 0))
		why = "original destination port range out of order or with port 0";
	else if (rule->physdev_in[0] != '\0' &&
		 (rule->verdict != RULE_RETURN || !backend_nft_is_host(&rule->src)))
		why = "a bridge port (physdev-in) can only bind an allowance: RETURN from one "
		      "host address";
	if (why == NULL) {
		named = rule->src_set;
		why = backend_nft_check_side(set, rule, rule->src_set, &rule->src);
	}
	if (why == NULL) {
		named = rule->dst_set;
		why = backend_nft_check_side(set, rule, rule->dst_set, &rule->dst);
	}
	if (why == NULL)
		return 0;
	if (named != NULL && rule_set_name_valid(named))
		error_format(err, errlen,
			     "rule %zu cannot be written to nftables: set \"%.*s\": %s", index + 1,
			     RULE_SET_NAME_MAX - 1, named, why);
	else
		error_format(err, errlen, "rule %zu cannot be written to nftables: %s", index + 1,
			     why);
	return -1;
}

/*
 * Refuses, with the reason, any set this backend cannot hold as an
 * interval set: a bad or repeated name, an unknown family, members out of
 * bounds, of the other family, of length 0 or beyond the address, or not
 * sorted and apart (nft refuses overlapping intervals).
 */
static int backend_nft_check_sets(const struct ruleset *set, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->set_count; i++) {
		const struct rule_addrset *named = &set->sets[i];
		unsigned max = named->family == AF_INET ? 32 : 128;
		const char *why = NULL;
		size_t bad = 0;

		if (!rule_set_name_valid(named->name))
			why = "name not [A-Za-z][A-Za-z0-9_-]* of at most 27 bytes";
		else if (named->family != AF_INET && named->family != AF_INET6)
			why = "unknown address family";
		else if (named->first > set->member_count ||
			 named->count > set->member_count - named->first)
			why = "members beyond the ruleset's";
		for (size_t j = 0; why == NULL && j < i; j++)
			if (strncmp(set->sets[j].name, named->name, RULE_SET_NAME_MAX) == 0)
				why = "a second set of that name";
		for (size_t m = 0; why == NULL && m < named->count; m++) {
			struct prefix member = set->members[named->first + m], previous;

			bad = m + 1;
			if (member.family != named->family)
				why = "a member of the other family";
			else if (member.length == 0 || member.length > max)
				why = "a member of length 0 or longer than the address";
			if (why != NULL || m == 0)
				continue;
			previous = set->members[named->first + m - 1];
			prefix_network(&member);
			prefix_network(&previous);
			if (prefix_compare(&previous, &member) >= 0 ||
			    prefix_contains(&previous, &member))
				why = "members overlapping or out of order";
		}
		if (why == NULL)
			continue;
		if (bad > 0)
			error_format(err, errlen,
				     "set \"%.*s\" cannot be written to nftables: %s "
				     "(member %zu)",
				     RULE_SET_NAME_MAX - 1, named->name, why, bad);
		else
			error_format(err, errlen, "set %zu cannot be written to nftables: %s",
				     i + 1, why);
		return -1;
	}
	return 0;
}

/* Tells whether a rule can share an address set with others: RETURN from one host. */
static bool backend_nft_groupable(const struct rule *rule)
{
	return rule->verdict == RULE_RETURN && backend_nft_is_host(&rule->src);
}

/* Tells whether two groupable rules differ only in source, port and comment. */
static bool backend_nft_same_group(const struct rule *a, const struct rule *b)
{
	return a->family == b->family && a->hook == b->hook &&
	       strncmp(a->in_iface, b->in_iface, TJD_IFNAMSIZ) == 0 &&
	       strncmp(a->out_iface, b->out_iface, TJD_IFNAMSIZ) == 0 &&
	       prefix_equal(&a->dst, &b->dst) && a->ctstate == b->ctstate &&
	       a->protocol == b->protocol && a->has_icmp_type == b->has_icmp_type &&
	       (!a->has_icmp_type || a->icmp_type == b->icmp_type) &&
	       a->tcp_not_syn == b->tcp_not_syn && a->sport_first == b->sport_first &&
	       a->sport_last == b->sport_last && a->dport_first == b->dport_first &&
	       a->dport_last == b->dport_last && a->ct_dnat == b->ct_dnat &&
	       a->ct_dport_first == b->ct_dport_first && a->ct_dport_last == b->ct_dport_last &&
	       strncmp(a->src_set, b->src_set, RULE_SET_NAME_MAX) == 0 &&
	       strncmp(a->dst_set, b->dst_set, RULE_SET_NAME_MAX) == 0 && a->verdict == b->verdict;
}

/* Tells whether an earlier group's set already has this group's set name. */
static bool backend_nft_set_name_taken(const struct backend_nft_plan *plan, size_t group_index)
{
	for (size_t i = 0; i < group_index; i++)
		if (plan->groups[i].uses_set &&
		    strcmp(plan->groups[i].set_name, plan->groups[group_index].set_name) == 0)
			return true;
	return false;
}

/* Names a group's set after hook, family and bridge, unique within the plan. */
static void backend_nft_set_name(struct backend_nft_plan *plan, size_t group_index)
{
	struct backend_nft_group *group = &plan->groups[group_index];
	const struct rule *rule = &plan->set->rules[plan->order[group->start]];
	char iface[TJD_IFNAMSIZ];
	char base[BACKEND_NFT_SET_NAME_MAX - 24];
	char *c;

	snprintf(iface, sizeof(iface), "%.*s", TJD_IFNAMSIZ - 1,
		 rule->in_iface[0]    ? rule->in_iface
		 : rule->out_iface[0] ? rule->out_iface
				      : "any");
	for (c = iface; *c; c++)
		if (*c == '-' || *c == '.')
			*c = '_';
	snprintf(base, sizeof(base), "%s%d_%s",
		 rule->hook == RULE_HOOK_FORWARD ? "fwd"
		 : rule->hook == RULE_HOOK_INPUT ? "in"
						 : "out",
		 rule->family == AF_INET ? 4 : 6, iface);
	snprintf(group->set_name, sizeof(group->set_name), "%s", base);
	/* a clash (br-a vs br_a, or a bridge's second run) takes the first free _<n> */
	for (size_t suffix = group_index; backend_nft_set_name_taken(plan, group_index);)
		snprintf(group->set_name, sizeof(group->set_name), "%s_%zu", base, suffix++);
}

/* Orders rules by hook (keeping their order within a hook) and groups allowances. */
static int backend_nft_plan(struct backend_nft_plan *plan, const struct ruleset *set, char *err,
			    size_t errlen)
{
	static const enum rule_hook hooks[] = {RULE_HOOK_FORWARD, RULE_HOOK_INPUT,
					       RULE_HOOK_OUTPUT};
	size_t n = 0;
	int ret = -1;

	memset(plan, 0, sizeof(*plan));
	plan->set = set;
	if (backend_nft_check_sets(set, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < set->count; i++)
		if (backend_nft_check_rule(set, &set->rules[i], i, err, errlen) < 0)
			goto out;
	if (set->count > 0) {
		plan->order = calloc(set->count, sizeof(*plan->order));
		plan->groups = calloc(set->count, sizeof(*plan->groups));
		if (plan->order == NULL || plan->groups == NULL) {
			error_format(err, errlen, "out of memory");
			goto out;
		}
	}
	for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++)
		for (size_t i = 0; i < set->count; i++)
			if (set->rules[i].hook == hooks[h])
				plan->order[n++] = i;
	for (size_t i = 0; i < n;) {
		const struct rule *first = &set->rules[plan->order[i]];
		struct backend_nft_group *group = &plan->groups[plan->group_count];
		size_t end = i + 1;

		if (backend_nft_groupable(first))
			while (end < n && backend_nft_groupable(&set->rules[plan->order[end]]) &&
			       backend_nft_same_group(first, &set->rules[plan->order[end]]))
				end++;
		group->start = i;
		group->end = end;
		group->uses_set = backend_nft_groupable(first);
		if (group->uses_set)
			backend_nft_set_name(plan, plan->group_count);
		plan->group_count++;
		i = end;
	}
	ret = 0;
out:
	if (ret < 0) {
		free(plan->order);
		free(plan->groups);
		memset(plan, 0, sizeof(*plan));
	}
	return ret;
}

/* Frees a plan. */
static void backend_nft_plan_free(struct backend_nft_plan *plan)
{
	free(plan->order);
	free(plan->groups);
	memset(plan, 0, sizeof(*plan));
}

/* Tells whether the group's rule at position `member` repeats an earlier source. */
static bool backend_nft_duplicate_source(const struct backend_nft_plan *plan,
					 const struct backend_nft_group *group, size_t member)
{
	const struct rule *rule = &plan->set->rules[plan->order[member]];

	for (size_t i = group->start; i < member; i++)
		if (prefix_equal(&plan->set->rules[plan->order[i]].src, &rule->src))
			return true;
	return false;
}

/* The longest run of whole words all comments of a group start with. */
static void backend_nft_group_comment(const struct backend_nft_plan *plan,
				      const struct backend_nft_group *group, char *out, size_t size)
{
	char first[RULE_COMMENT_MAX];
	size_t common;

	backend_nft_comment(first, sizeof(first),
			    plan->set->rules[plan->order[group->start]].comment, RULE_COMMENT_MAX);
	common = strlen(first);
	for (size_t i = group->start + 1; i < group->end; i++) {
		char other[RULE_COMMENT_MAX];
		size_t same = 0;

		backend_nft_comment(other, sizeof(other), plan->set->rules[plan->order[i]].comment,
				    RULE_COMMENT_MAX);
		while (same < common && other[same] == first[same])
			same++;
		/* cut back to a word boundary unless both strings end right here */
		if (same < common || other[same] != '\0') {
			while (same > 0 && first[same] != ' ')
				same--;
		}
		common = same;
	}
	while (common > 0 && first[common - 1] == ' ')
		common--;
	snprintf(out, size, "%.*s", (int)common, first);
}

/* Declares the address set of one group. */
static void backend_nft_render_set(struct backend_nft_text *text,
				   const struct backend_nft_plan *plan,
				   const struct backend_nft_group *group)
{
	const struct rule *first = &plan->set->rules[plan->order[group->start]];
	bool any = false;

	backend_nft_append(text, "\tset %s {\n\t\ttype %s\n", group->set_name,
			   first->family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	for (size_t i = group->start; i < group->end; i++) {
		const struct rule *rule = &plan->set->rules[plan->order[i]];
		char address[BACKEND_NFT_ADDRESS_MAX];
		char comment[RULE_COMMENT_MAX];

		if (backend_nft_duplicate_source(plan, group, i))
			continue;
		if (backend_nft_prefix(&rule->src, address, sizeof(address)) < 0) {
			text->failed = true;
			return;
		}
		backend_nft_comment(comment, sizeof(comment), rule->comment, RULE_COMMENT_MAX);
		backend_nft_append(text, "%s%s", any ? ",\n\t\t\t     " : "\t\telements = { ",
				   address);
		if (comment[0] != '\0')
			backend_nft_append(text, " comment \"%s\"", comment);
		any = true;
	}
	if (any)
		backend_nft_append(text, " }\n");
	backend_nft_append(text, "\t}\n");
}

/*
 * Declares one of the ruleset's sets: an interval set of its family under
 * BACKEND_NFT_RULESET_SET_PREFIX and its name, holding its members (host
 * bits cleared).  An empty set is declared too: rules may look into it.
 */
static void backend_nft_render_named_set(struct backend_nft_text *text, const struct ruleset *set,
					 const struct rule_addrset *named)
{
	char comment[RULE_COMMENT_MAX];

	backend_nft_append(text, "\tset %s%.*s {\n\t\ttype %s\n\t\tflags interval\n",
			   BACKEND_NFT_RULESET_SET_PREFIX, RULE_SET_NAME_MAX - 1, named->name,
			   named->family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	backend_nft_comment(comment, sizeof(comment), named->comment, RULE_COMMENT_MAX);
	if (comment[0] != '\0')
		backend_nft_append(text, "\t\tcomment \"%s\"\n", comment);
	for (size_t m = 0; m < named->count; m++) {
		char address[BACKEND_NFT_ADDRESS_MAX];

		if (backend_nft_prefix(&set->members[named->first + m], address, sizeof(address)) <
		    0) {
			text->failed = true;
			return;
		}
		backend_nft_append(text, "%s%s", m > 0 ? ",\n\t\t\t     " : "\t\telements = { ",
				   address);
	}
	if (named->count > 0)
		backend_nft_append(text, " }\n");
	backend_nft_append(text, "\t}\n");
}

/* Appends " ct state new,established,..." for a rule's conntrack bits, if any. */
static void backend_nft_render_ctstate(struct backend_nft_text *text, uint8_t ctstate)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} states[] = {
	    {RULE_CT_NEW, "new"},
	    {RULE_CT_ESTABLISHED, "established"},
	    {RULE_CT_RELATED, "related"},
	};
	const char *separator = " ct state ";

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (!(ctstate & states[i].bit))
			continue;
		backend_nft_append(text, "%s%s", separator, states[i].name);
		separator = ",";
	}
}

/* Appends " th NAME FIRST[-LAST]" for a port range that is set. */
static void backend_nft_render_ports(struct backend_nft_text *text, const char *name,
				     uint16_t first, uint16_t last)
{
	if (last == 0)
		return;
	if (first == last)
		backend_nft_append(text, " th %s %u", name, first);
	else
		backend_nft_append(text, " th %s %u-%u", name, first, last);
}

/*
 * Appends " ip saddr 10.0.0.0/8" or " ip6 daddr @set_NAME" for one side
 * of a rule (`side` "saddr" or "daddr"): its named set, else its prefix,
 * else nothing.
 */
static void backend_nft_render_address(struct backend_nft_text *text, const struct rule *rule,
				       const char *side, const char *set_name,
				       const struct prefix *prefix)
{
	const char *ip = rule->family == AF_INET ? "ip" : "ip6";
	char address[BACKEND_NFT_ADDRESS_MAX];

	if (set_name[0] != '\0')
		backend_nft_append(text, " %s %s @%s%.*s", ip, side, BACKEND_NFT_RULESET_SET_PREFIX,
				   RULE_SET_NAME_MAX - 1, set_name);
	else if (prefix->family != 0 && prefix->length > 0 &&
		 backend_nft_prefix(prefix, address, sizeof(address)) < 0)
		text->failed = true;
	else if (prefix->family != 0 && prefix->length > 0)
		backend_nft_append(text, " %s %s %s", ip, side, address);
}

/* Appends the matches of a rule; the source is `@set` when set_name is given. */
static void backend_nft_render_matches(struct backend_nft_text *text, const struct rule *rule,
				       const char *set_name)
{
	backend_nft_append(text, "meta nfproto %s", rule->family == AF_INET ? "ipv4" : "ipv6");
	if (rule->in_iface[0] != '\0')
		backend_nft_append(text, " iifname \"%.*s\"", TJD_IFNAMSIZ, rule->in_iface);
	if (rule->out_iface[0] != '\0')
		backend_nft_append(text, " oifname \"%.*s\"", TJD_IFNAMSIZ, rule->out_iface);
	backend_nft_render_ctstate(text, rule->ctstate);
	if (rule->ct_dnat)
		backend_nft_append(text, " ct status dnat");
	if (set_name != NULL)
		backend_nft_append(text, " %s saddr @%s", rule->family == AF_INET ? "ip" : "ip6",
				   set_name);
	else
		backend_nft_render_address(text, rule, "saddr", rule->src_set, &rule->src);
	backend_nft_render_address(text, rule, "daddr", rule->dst_set, &rule->dst);
	/* an ICMP type brings its protocol match along, and so do TCP flags */
	if (rule->has_icmp_type) {
		backend_nft_append(text, " %s type %u", rule->family == AF_INET ? "icmp" : "icmpv6",
				   rule->icmp_type);
		return;
	}
	/* conntrack's original port needs the protocol named before it */
	if (rule->protocol != 0 && (!rule->tcp_not_syn || rule->sport_last != 0 ||
				    rule->dport_last != 0 || rule->ct_dport_last != 0))
		backend_nft_append(text, " meta l4proto %u", rule->protocol);
	/* the transport header's ports, for TCP, UDP and SCTP alike */
	backend_nft_render_ports(text, "sport", rule->sport_first, rule->sport_last);
	backend_nft_render_ports(text, "dport", rule->dport_first, rule->dport_last);
	/* the port the connection was opened to, before DNAT (the published port) */
	if (rule->ct_dport_last != 0 && rule->ct_dport_first == rule->ct_dport_last)
		backend_nft_append(text, " ct original proto-dst %u", rule->ct_dport_first);
	else if (rule->ct_dport_last != 0)
		backend_nft_append(text, " ct original proto-dst %u-%u", rule->ct_dport_first,
				   rule->ct_dport_last);
	if (rule->tcp_not_syn)
		backend_nft_append(text, " tcp flags & (fin | syn | rst | ack) != syn");
}

/* The verdict of a rule: REJECT answers TCP with a reset, the rest with port unreachable. */
static const char *backend_nft_verdict(const struct rule *rule)
{
	if (rule->verdict == RULE_REJECT)
		return rule->protocol == IPPROTO_TCP ? " counter reject with tcp reset"
						     : " counter reject";
	return rule->verdict == RULE_DROP ? " counter drop" : " return";
}

/* Renders one base chain of the inet table. */
static void backend_nft_render_chain(struct backend_nft_text *text,
				     const struct backend_nft_plan *plan, enum rule_hook hook)
{
	const char *name = rule_hook_name(hook);

	backend_nft_append(text,
			   "\tchain %s {\n\t\ttype filter hook %s priority %d; policy accept;\n",
			   name, name, BACKEND_NFT_PRIORITY_INET);
	for (size_t g = 0; g < plan->group_count; g++) {
		const struct backend_nft_group *group = &plan->groups[g];
		const struct rule *rule = &plan->set->rules[plan->order[group->start]];
		char comment[RULE_COMMENT_MAX];

		if (rule->hook != hook)
			continue;
		backend_nft_append(text, "\t\t");
		backend_nft_render_matches(text, rule, group->uses_set ? group->set_name : NULL);
		if (group->uses_set)
			backend_nft_group_comment(plan, group, comment, sizeof(comment));
		else
			backend_nft_comment(comment, sizeof(comment), rule->comment,
					    RULE_COMMENT_MAX);
		if (rule->verdict == RULE_LOG)
			backend_nft_append(
			    text,
			    " limit rate %u/second burst %u packets log prefix \"%s\" "
			    "group %u",
			    RULE_LOG_RATE, RULE_LOG_BURST, comment, RULE_LOG_GROUP);
		else
			backend_nft_append(text, "%s", backend_nft_verdict(rule));
		if (comment[0] != '\0')
			backend_nft_append(text, " comment \"%s\"", comment);
		backend_nft_append(text, "\n");
	}
	backend_nft_append(text, "\t}\n");
}

static int backend_nft_compare_items(const void *a, const void *b);

/* A sorted, duplicate-free list of rendered set or map elements. */
struct backend_nft_list {
	char **items;
	size_t count;
	size_t capacity;
	bool failed;
};

/* Adds one formatted element to a list. */
static void backend_nft_list_add(struct backend_nft_list *list, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void backend_nft_list_add(struct backend_nft_list *list, const char *format, ...)
{
	va_list ap;
	char *item = NULL;
	int n;

	if (list->failed)
		return;
	va_start(ap, format);
	n = vasprintf(&item, format, ap);
	va_end(ap);
	if (n < 0) {
		list->failed = true;
		return;
	}
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 16;
		char **grown = reallocarray(list->items, capacity, sizeof(*grown));
		if (grown == NULL) {
			free(item);
			list->failed = true;
			return;
		}
		list->items = grown;
		list->capacity = capacity;
	}
	list->items[list->count++] = item;
}

/* Appends `\t\telements = { a,\n...b }\n` (nothing when empty) and frees the list. */
static void backend_nft_list_render(struct backend_nft_text *text, struct backend_nft_list *list)
{
	bool any = false;

	if (list->failed)
		text->failed = true;
	if (list->count > 1)
		qsort(list->items, list->count, sizeof(char *), backend_nft_compare_items);
	for (size_t i = 0; i < list->count; i++) {
		if (i > 0 && strcmp(list->items[i], list->items[i - 1]) == 0)
			continue;
		backend_nft_append(text, "%s%s", any ? ",\n\t\t\t     " : "\t\telements = { ",
				   list->items[i]);
		any = true;
	}
	if (any)
		backend_nft_append(text, " }\n");
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* An address as the 32- or 128-bit integer a raw-payload set element is. */
static void backend_nft_address_integer(const struct prefix *address, char *out, size_t size)
{
	const uint8_t *bytes = address->family == AF_INET ? (const uint8_t *)&address->addr.v4
							  : address->addr.v6.s6_addr;
	size_t length = address->family == AF_INET ? 4 : 16;
	size_t n = (size_t)snprintf(out, size, "0x");

	for (size_t i = 0; i < length && n + 2 < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%02x", bytes[i]);
}

/* What the bridge table's sets and map hold. */
struct backend_nft_layer2 {
	struct backend_nft_list addr4, bound4, quoted4, addr6, bound6, nd6, macs, ports;
};

/*
 * Binds one address to a port: in the address set and its address . port
 * set and, for a port's own addresses (`own`), as the raw integer the
 * ICMP-error and neighbour-advertisement rules compare with.
 */
static void backend_nft_layer2_bind(struct backend_nft_layer2 *l2, const struct prefix *address,
				    const char *port, bool own)
{
	char text[BACKEND_NFT_ADDRESS_MAX], integer[40];

	if (address->family == 0)
		return;
	if (backend_nft_prefix(address, text, sizeof(text)) < 0) {
		l2->addr4.failed = true;
		return;
	}
	if (own)
		backend_nft_address_integer(address, integer, sizeof(integer));
	if (address->family == AF_INET) {
		backend_nft_list_add(&l2->addr4, "%s", text);
		backend_nft_list_add(&l2->bound4, "%s . \"%.*s\"", text, TJD_IFNAMSIZ, port);
		if (own)
			backend_nft_list_add(&l2->quoted4, "%s . \"%.*s\"", integer, TJD_IFNAMSIZ,
					     port);
		return;
	}
	backend_nft_list_add(&l2->addr6, "%s", text);
	backend_nft_list_add(&l2->bound6, "%s . \"%.*s\"", text, TJD_IFNAMSIZ, port);
	if (own)
		backend_nft_list_add(&l2->nd6, "%s . \"%.*s\"", integer, TJD_IFNAMSIZ, port);
}

/*
 * Collects the bridge table's elements: every layer-2 port (known ones
 * bound to their container's MAC and addresses, unknown ones to nothing),
 * and the port of every allowance, so an allow-listed address is bound
 * even where no layer-2 port was compiled.  -1 on an unusable name.
 */
static int backend_nft_layer2_collect(const struct ruleset *set, struct backend_nft_layer2 *l2,
				      char *err, size_t errlen)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct rule *rule = &set->rules[i];
		struct prefix host;

		if (rule->physdev_in[0] == '\0' || rule->verdict != RULE_RETURN)
			continue;
		host = rule->src;
		backend_nft_layer2_bind(l2, &host, rule->physdev_in, false);
	}
	for (size_t i = 0; i < set->port_count; i++) {
		const struct l2_port *port = &set->ports[i];

		if (!backend_nft_valid_iface(port->port) ||
		    !backend_nft_valid_iface(port->bridge)) {
			error_format(err, errlen, "layer-2 port %zu: unusable interface name", i);
			return -1;
		}
		if (!port->known) {
			backend_nft_list_add(&l2->ports, "\"%.*s\" : jump unattributed",
					     TJD_IFNAMSIZ, port->port);
			continue;
		}
		backend_nft_list_add(&l2->ports, "\"%.*s\" : jump bound", TJD_IFNAMSIZ, port->port);
		backend_nft_list_add(&l2->macs, "%02x:%02x:%02x:%02x:%02x:%02x . \"%.*s\"",
				     port->mac[0], port->mac[1], port->mac[2], port->mac[3],
				     port->mac[4], port->mac[5], TJD_IFNAMSIZ, port->port);
		backend_nft_layer2_bind(l2, &port->ipv4, port->port, true);
		backend_nft_layer2_bind(l2, &port->ipv6, port->port, true);
		backend_nft_layer2_bind(l2, &port->ipv6_link, port->port, true);
	}
	return 0;
}

/* Renders one set or map of the bridge table. */
static void backend_nft_layer2_set(struct backend_nft_text *text, const char *kind,
				   const char *name, const char *type,
				   struct backend_nft_list *list)
{
	backend_nft_append(text, "\t%s %s {\n\t\t%s\n", kind, name, type);
	backend_nft_list_render(text, list);
	backend_nft_append(text, "\t}\n");
}

/*
 * The bridge table: layer 2 for every port of a protected bridge.  The
 * inet family cannot see bridge ports, and br_netfilter hands the IP hooks
 * only untagged frames, so this is where ports are bound to what they may
 * send.  In prerouting (priority -300, before br_netfilter), any port: an
 * address bound to a port only from that port (this also covers a port
 * tjd has not heard of yet).  Then each port tjd knows jumps to `bound`:
 * only untagged IPv4, IPv6 and ARP, from its own MAC and addresses as
 * Ethernet and ARP sender, IP source and neighbour-advertisement target,
 * no router advertisement or redirect, and ICMP errors only about packets
 * that were sent to it: the quoted header's destination (at a fixed
 * offset, so a quoted IPv4 header with options is dropped too) must be
 * one of its own addresses.  Conntrack would pass any error quoting a
 * live flow as RELATED, so without this a third container could inject
 * errors into a flow it is no part of.  A port tjd cannot attribute jumps
 * to `unattributed` and sends nothing.
 */
static int backend_nft_render_layer2(struct backend_nft_text *text, const char *table,
				     const struct ruleset *set, char *err, size_t errlen)
{
	struct backend_nft_layer2 l2;

	memset(&l2, 0, sizeof(l2));
	if (backend_nft_layer2_collect(set, &l2, err, errlen) < 0) {
		struct backend_nft_list *lists[] = {&l2.addr4,	&l2.bound4, &l2.quoted4, &l2.addr6,
						    &l2.bound6, &l2.nd6,    &l2.macs,	 &l2.ports};
		struct backend_nft_text discard = {0};
		for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
			backend_nft_list_render(&discard, lists[i]);
		free(discard.data);
		return -1;
	}
	backend_nft_append(text,
			   "table bridge %s {\n\tcomment \"managed by tjd: each container's port "
			   "may send only its own addresses\"\n",
			   table);
	backend_nft_layer2_set(text, "set", "addr4", "type ipv4_addr", &l2.addr4);
	backend_nft_layer2_set(text, "set", "bound4", "type ipv4_addr . ifname", &l2.bound4);
	backend_nft_layer2_set(text, "set", "quoted4", "typeof @th,192,32 . iifname", &l2.quoted4);
	backend_nft_layer2_set(text, "set", "addr6", "type ipv6_addr", &l2.addr6);
	backend_nft_layer2_set(text, "set", "bound6", "type ipv6_addr . ifname", &l2.bound6);
	backend_nft_layer2_set(text, "set", "macs", "type ether_addr . ifname", &l2.macs);
	backend_nft_layer2_set(text, "set", "nd6", "typeof @th,64,128 . iifname", &l2.nd6);
	backend_nft_layer2_set(text, "map", "ports", "type ifname : verdict", &l2.ports);
	backend_nft_append(
	    text,
	    "\tchain prerouting {\n"
	    "\t\ttype filter hook prerouting priority %d; policy accept;\n"
	    "\t\tether type ip ip saddr @addr4 ip saddr . iifname != @bound4 counter "
	    "drop comment \"tjd spoofed source\"\n"
	    "\t\tether type arp arp saddr ip @addr4 arp saddr ip . iifname != @bound4 "
	    "counter drop comment \"tjd spoofed source\"\n"
	    "\t\tether type ip6 ip6 saddr @addr6 ip6 saddr . iifname != @bound6 counter "
	    "drop comment \"tjd spoofed source\"\n"
	    "\t\tiifname vmap @ports\n"
	    "\t}\n"
	    "\tchain bound {\n"
	    "\t\tether type != { ip, ip6, arp } counter drop comment \"tjd layer 2 ethertype\"\n"
	    "\t\tether saddr . iifname != @macs counter drop comment \"tjd layer 2 mac\"\n"
	    "\t\tether type arp arp saddr ether . iifname != @macs counter drop "
	    "comment \"tjd layer 2 arp sender\"\n"
	    "\t\tether type arp arp saddr ip != 0.0.0.0 arp saddr ip . iifname != @bound4 "
	    "counter drop comment \"tjd layer 2 arp sender\"\n"
	    "\t\tether type ip ip saddr . iifname != @bound4 counter drop "
	    "comment \"tjd layer 2 source\"\n"
	    "\t\tether type ip6 ip6 saddr != :: ip6 saddr . iifname != @bound6 counter drop "
	    "comment \"tjd layer 2 source\"\n"
	    "\t\tether type ip6 ip6 saddr :: meta l4proto != 58 counter drop "
	    "comment \"tjd layer 2 unspecified source\"\n"
	    "\t\tether type ip6 ip6 saddr :: icmpv6 type != { nd-neighbor-solicit, "
	    "mld2-listener-report } counter drop comment \"tjd layer 2 unspecified source\"\n"
	    "\t\tether type ip icmp type { redirect, router-advertisement } counter drop "
	    "comment \"tjd layer 2 router advertisement or redirect\"\n"
	    "\t\tether type ip6 icmpv6 type { nd-router-advert, nd-redirect } counter drop "
	    "comment \"tjd layer 2 router advertisement or redirect\"\n"
	    "\t\tether type ip icmp type { destination-unreachable, source-quench, "
	    "time-exceeded, parameter-problem } @th,192,32 . iifname != @quoted4 counter drop "
	    "comment \"tjd layer 2 icmp error about another's packet\"\n"
	    "\t\tether type ip6 icmpv6 type { destination-unreachable, packet-too-big, "
	    "time-exceeded, parameter-problem } @th,256,128 . iifname != @nd6 counter drop "
	    "comment \"tjd layer 2 icmp error about another's packet\"\n"
	    "\t\tether type ip6 icmpv6 type nd-neighbor-advert @th,64,128 . iifname != @nd6 "
	    "counter drop comment \"tjd layer 2 neighbour advertisement target\"\n"
	    "\t}\n"
	    "\tchain unattributed {\n"
	    "\t\tcounter drop comment \"tjd layer 2 unattributed port\"\n"
	    "\t}\n"
	    "}\n",
	    BACKEND_NFT_PRIORITY_BRIDGE);
	return 0;
}

/*
 * The whole desired state as one nft script: both tables deleted (created
 * first, so a missing one is no error) and re-created in one transaction.
 */
static char *backend_nft_script(const char *table, const struct ruleset *desired, char *err,
				size_t errlen);

/* The bridge table alone as one nft script, for backend_nft_bridge_ops. */
static char *backend_nft_bridge_script(const char *table, const struct ruleset *desired, char *err,
				       size_t errlen)
{
	struct backend_nft_text text = {0};
	char *script;

	backend_nft_append(&text, "add table bridge %s\ndelete table bridge %s\n", table, table);
	if (backend_nft_render_layer2(&text, table, desired, err, errlen) < 0) {
		free(text.data);
		return NULL;
	}
	script = backend_nft_text_take(&text);
	if (script == NULL)
		error_format(err, errlen, "out of memory (or over %u bytes) rendering the ruleset",
			     BACKEND_NFT_TEXT_MAX);
	return script;
}

static char *backend_nft_script(const char *table, const struct ruleset *desired, char *err,
				size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	struct backend_nft_text text = {0};
	struct backend_nft_plan plan;
	char *script;

	if (backend_nft_plan(&plan, desired, err, errlen) < 0)
		return NULL;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		backend_nft_append(&text, "add table %s %s\ndelete table %s %s\n", families[f],
				   table, families[f], table);
	backend_nft_append(
	    &text, "table inet %s {\n\tcomment \"managed by tjd; edits are reverted\"\n", table);
	for (size_t i = 0; i < desired->set_count; i++)
		backend_nft_render_named_set(&text, desired, &desired->sets[i]);
	for (size_t g = 0; g < plan.group_count; g++)
		if (plan.groups[g].uses_set)
			backend_nft_render_set(&text, &plan, &plan.groups[g]);
	backend_nft_render_chain(&text, &plan, RULE_HOOK_FORWARD);
	backend_nft_render_chain(&text, &plan, RULE_HOOK_INPUT);
	backend_nft_render_chain(&text, &plan, RULE_HOOK_OUTPUT);
	backend_nft_append(&text, "}\n");
	if (backend_nft_render_layer2(&text, table, desired, err, errlen) < 0) {
		backend_nft_plan_free(&plan);
		free(text.data);
		return NULL;
	}
	backend_nft_plan_free(&plan);
	script = backend_nft_text_take(&text);
	if (script == NULL)
		error_format(err, errlen, "out of memory (or over %u bytes) rendering the ruleset",
			     BACKEND_NFT_TEXT_MAX);
	return script;
}

/* The script apply would run for `desired`, for tests and previews. */
char *backend_nft_render(const struct backend *backend, const struct ruleset *desired, char *err,
			 size_t errlen)
{
	char table[BACKEND_NFT_TABLE_MAX];

	if (backend_nft_table_name(backend, table, sizeof(table)) < 0) {
		error_format(err, errlen, "cannot derive a table name from chain \"%.*s\"",
			     BACKEND_CHAIN_MAX, backend->chain_forward);
		return NULL;
	}
	return backend_nft_script(table, desired, err, errlen);
}

/* One set's elements in a rendered script. */
struct backend_nft_elements {
	char family[8];
	char set[BACKEND_NFT_SET_NAME_MAX];
	char **items; /* as rendered, comment included; sorted */
	size_t count;
};

/* A rendered script split into its skeleton (all but set elements) and the elements. */
struct backend_nft_split {
	struct backend_nft_text skeleton;
	struct backend_nft_elements *sets;
	size_t set_count;
	bool failed;
};

/* Frees what backend_nft_split_script made. */
static void backend_nft_split_free(struct backend_nft_split *split)
{
	for (size_t i = 0; i < split->set_count; i++) {
		for (size_t j = 0; j < split->sets[i].count; j++)
			free(split->sets[i].items[j]);
		free(split->sets[i].items);
	}
	free(split->sets);
	free(split->skeleton.data);
	memset(split, 0, sizeof(*split));
}

/* Appends one element to the last set of a split. */
static void backend_nft_split_item(struct backend_nft_split *split, const char *item, size_t length)
{
	struct backend_nft_elements *set;
	char **grown;

	if (split->set_count == 0 || split->failed) {
		split->failed = true;
		return;
	}
	set = &split->sets[split->set_count - 1];
	grown = reallocarray(set->items, set->count + 1, sizeof(*set->items));
	if (grown == NULL) {
		split->failed = true;
		return;
	}
	set->items = grown;
	grown[set->count] = strndup(item, length);
	if (grown[set->count] == NULL) {
		split->failed = true;
		return;
	}
	set->count++;
}

/* Orders element strings. */
static int backend_nft_compare_items(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Opens a new set in a split, in the table family seen last. */
static void backend_nft_split_set(struct backend_nft_split *split, const char *family,
				  const char *name)
{
	struct backend_nft_elements *grown =
	    reallocarray(split->sets, split->set_count + 1, sizeof(*split->sets));

	if (grown == NULL) {
		split->failed = true;
		return;
	}
	split->sets = grown;
	memset(&grown[split->set_count], 0, sizeof(*grown));
	snprintf(grown[split->set_count].family, sizeof(grown->family), "%s", family);
	snprintf(grown[split->set_count].set, sizeof(grown->set), "%s", name);
	split->set_count++;
}

/*
 * Splits a script that backend_nft_script rendered: `table F N {` opens a
 * table, `\tset S {` or `\tmap S {` a set, `\t\telements = { a,` and its continuation
 * lines carry the elements, ` }` closes them.  Everything else is the
 * skeleton.  -1 when the script does not have that shape.
 */
static int backend_nft_split_script(const char *script, struct backend_nft_split *split)
{
	static const char opening[] = "\t\telements = { ", continuation[] = "\t\t\t     ";
	char family[8] = "", name[BACKEND_NFT_SET_NAME_MAX];
	bool in_elements = false;

	memset(split, 0, sizeof(*split));
	for (const char *line = script; *line != '\0' && !split->failed;) {
		const char *end = strchr(line, '\n');
		size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
		const char *prefix = in_elements ? continuation : opening;
		size_t prefix_length = strlen(prefix);

		if (in_elements ||
		    (length >= prefix_length && strncmp(line, opening, prefix_length) == 0)) {
			const char *item = line + prefix_length;
			size_t item_length = length >= prefix_length ? length - prefix_length : 0;
			bool last =
			    item_length >= 2 && strncmp(item + item_length - 2, " }", 2) == 0;
			bool more = item_length >= 1 && item[item_length - 1] == ',';

			if (length < prefix_length || strncmp(line, prefix, prefix_length) != 0 ||
			    (!last && !more))
				split->failed = true;
			else
				backend_nft_split_item(split, item, item_length - (last ? 2 : 1));
			in_elements = more;
		} else {
			if (sscanf(line, "table %7s ", family) != 1 &&
			    (sscanf(line, "\tset %47s {", name) == 1 ||
			     sscanf(line, "\tmap %47s {", name) == 1))
				backend_nft_split_set(split, family, name);
			backend_nft_append(&split->skeleton, "%.*s\n", (int)length, line);
			split->failed = split->failed || split->skeleton.failed;
		}
		line = end != NULL ? end + 1 : line + length;
	}
	for (size_t i = 0; i < split->set_count; i++)
		if (split->sets[i].count > 1)
			qsort(split->sets[i].items, split->sets[i].count, sizeof(char *),
			      backend_nft_compare_items);
	return split->failed || in_elements ? -1 : 0;
}

/* The length of an element's key: what comes before its comment or a map's value. */
static size_t backend_nft_item_key(const char *item)
{
	const char *comment = strstr(item, " comment \"");
	size_t length = comment != NULL ? (size_t)(comment - item) : strlen(item);
	const char *value = memmem(item, length, " : ", 3);

	return value != NULL ? (size_t)(value - item) : length;
}

/*
 * Appends `delete element F T S { keys }` for the elements of `from` that
 * `to` lacks, or `add element F T S { elements }` for those of `to` that
 * `from` lacks.
 */
static void backend_nft_delta_set(struct backend_nft_text *text, const char *table,
				  const struct backend_nft_elements *from,
				  const struct backend_nft_elements *to, bool adding)
{
	const struct backend_nft_elements *source = adding ? to : from;
	const struct backend_nft_elements *other = adding ? from : to;
	bool any = false;

	for (size_t i = 0; i < source->count; i++) {
		const char *item = source->items[i];

		if (other->count > 0 && bsearch(&item, other->items, other->count, sizeof(char *),
						backend_nft_compare_items) != NULL)
			continue;
		if (!any)
			backend_nft_append(text, "%s element %s %s %s { ",
					   adding ? "add" : "delete", source->family, table,
					   source->set);
		backend_nft_append(text, "%s%.*s", any ? ", " : "",
				   (int)(adding ? strlen(item) : backend_nft_item_key(item)), item);
		any = true;
	}
	if (any)
		backend_nft_append(text, " }\n");
}

/*
 * True when the two sets hold an element with the same key and another
 * comment (or, in a map, another value).  Both are sorted, and sorting whole items sorts them by
 * key first (a key ends where " comment" starts, and ' ' sorts before every character an address
 * has), so one walk over both finds it.
 */
static bool backend_nft_comment_changed(const struct backend_nft_elements *a,
					const struct backend_nft_elements *b)
{
	size_t i = 0, j = 0;

	while (i < a->count && j < b->count) {
		size_t key_a = backend_nft_item_key(a->items[i]);
		size_t key_b = backend_nft_item_key(b->items[j]);
		int order = strncmp(a->items[i], b->items[j], key_a < key_b ? key_a : key_b);

		if (order == 0 && key_a != key_b)
			order = key_a < key_b ? -1 : 1;
		if (order == 0 && strcmp(a->items[i], b->items[j]) != 0)
			return true;
		if (order <= 0)
			i++;
		if (order >= 0)
			j++;
	}
	return false;
}

/*
 * When two scripts differ only in set elements, the commands that turn the
 * first into the second (deletions first); "" when they are the same;
 * NULL when they differ in more, when an element keeps its key but changes
 * its comment, or when out of memory.
 */
static char *backend_nft_delta(const char *table, const char *from_script, const char *to_script)
{
	struct backend_nft_split from = {0}, to = {0};
	struct backend_nft_text text = {0};
	char *delta = NULL;

	if (backend_nft_split_script(from_script, &from) < 0 ||
	    backend_nft_split_script(to_script, &to) < 0 || from.set_count != to.set_count ||
	    from.skeleton.length != to.skeleton.length ||
	    memcmp(from.skeleton.data, to.skeleton.data, from.skeleton.length) != 0)
		goto out;
	for (size_t i = 0; i < to.set_count; i++)
		if (strcmp(from.sets[i].set, to.sets[i].set) != 0 ||
		    strcmp(from.sets[i].family, to.sets[i].family) != 0 ||
		    backend_nft_comment_changed(&from.sets[i], &to.sets[i]))
			goto out;
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < to.set_count; i++)
			backend_nft_delta_set(&text, table, &from.sets[i], &to.sets[i], pass == 1);
	if (text.failed)
		goto out;
	delta = backend_nft_text_take(&text);
out:
	free(text.data);
	backend_nft_split_free(&from);
	backend_nft_split_free(&to);
	return delta;
}

char *backend_nft_render_delta(const struct backend *backend, const struct ruleset *from,
			       const struct ruleset *to, char *err, size_t errlen)
{
	char *from_script = backend_nft_render(backend, from, err, errlen);
	char *to_script = from_script != NULL ? backend_nft_render(backend, to, err, errlen) : NULL;
	char table[BACKEND_NFT_TABLE_MAX];
	char *delta = NULL;

	if (to_script != NULL && backend_nft_table_name(backend, table, sizeof(table)) == 0)
		delta = backend_nft_delta(table, from_script, to_script);
	if (delta == NULL && to_script != NULL)
		error_format(err, errlen, "the rulesets differ in more than set elements");
	free(from_script);
	free(to_script);
	return delta;
}

/* Condenses libnftables' error report into one printable line. */
static void backend_nft_report(const char *report, const char *what, char *err, size_t errlen)
{
	char line[384] = "";
	size_t n = 0;

	if (report == NULL)
		report = "";
	/* the first line says what went wrong; the second names the command */
	for (int lines = 0; *report != '\0' && n + 1 < sizeof(line); report++) {
		char c = *report;
		if (c == '\n') {
			if (++lines == 2)
				break;
			c = ' ';
			if (n > 0 && line[n - 1] == ' ')
				continue;
		}
		line[n++] = text_printable_byte((unsigned char)c) ? c : '?';
	}
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	error_format(err, errlen, "%s: %s", what, n ? line : "libnftables failed");
}

/*
 * Runs commands with the given output flags; on success hands over what
 * they printed (malloc'd, when output is not NULL).
 */
static int backend_nft_run(struct backend_nft_state *state, unsigned int flags,
			   const char *commands, char **output, const char *what, char *err,
			   size_t errlen)
{
	const char *printed;
	int ret = -1;

	if (output != NULL)
		*output = NULL;
	/* reading the buffers empties them */
	(void)nft_ctx_get_output_buffer(state->ctx);
	(void)nft_ctx_get_error_buffer(state->ctx);
	nft_ctx_output_set_flags(state->ctx, flags);
	if (nft_run_cmd_from_buffer(state->ctx, commands) != 0) {
		backend_nft_report(nft_ctx_get_error_buffer(state->ctx), what, err, errlen);
		goto out;
	}
	printed = nft_ctx_get_output_buffer(state->ctx);
	if (output != NULL) {
		*output = strndup(printed ? printed : "", BACKEND_NFT_TEXT_MAX);
		if (*output == NULL) {
			error_format(err, errlen, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	return ret;
}

/* Finds which of the two tables called `table` we write exist: bit 0 inet, bit 1 bridge. */
static int backend_nft_present_named(struct backend_nft_state *state, const char *table,
				     unsigned *present, char *err, size_t errlen)
{
	char *tables = NULL;
	char inet[BACKEND_NFT_TABLE_MAX + 16], bridge[BACKEND_NFT_TABLE_MAX + 16];
	char *line, *save = NULL;

	*present = 0;
	if (backend_nft_run(state, 0, "list tables", &tables, "listing tables", err, errlen) < 0)
		return -1;
	snprintf(inet, sizeof(inet), "table inet %s", table);
	snprintf(bridge, sizeof(bridge), "table bridge %s", table);
	for (line = strtok_r(tables, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, inet) == 0 && !state->bridge_only)
			*present |= 1;
		else if (strcmp(line, bridge) == 0)
			*present |= 2;
	}
	free(tables);
	return 0;
}

/* Finds which of our two tables exist: bit 0 inet, bit 1 bridge. */
static int backend_nft_present(struct backend_nft_state *state, unsigned *present, char *err,
			       size_t errlen)
{
	return backend_nft_present_named(state, state->table, present, err, errlen);
}

/*
 * Lists our tables with the given flags, concatenated; a missing table is
 * a line saying so (so "missing" never equals "present").
 */
static int backend_nft_list(struct backend_nft_state *state, unsigned int flags, char **out,
			    char *err, size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	struct backend_nft_text text = {0};
	unsigned present;
	int ret = -1;

	*out = NULL;
	if (backend_nft_present(state, &present, err, errlen) < 0)
		goto out;
	for (size_t f = state->bridge_only ? 1 : 0; f < 2; f++) {
		char command[BACKEND_NFT_TABLE_MAX + 32];
		char *listing = NULL;

		if (!(present & (1u << f))) {
			backend_nft_append(&text, "# table %s %s absent\n", families[f],
					   state->table);
			continue;
		}
		snprintf(command, sizeof(command), "list table %s %s", families[f], state->table);
		if (backend_nft_run(state, flags, command, &listing, "listing our table", err,
				    errlen) < 0)
			goto out;
		backend_nft_append(&text, "%s", listing);
		free(listing);
	}
	*out = backend_nft_text_take(&text);
	if (*out == NULL) {
		error_format(err, errlen, "out of memory reading our tables back");
		goto out;
	}
	ret = 0;
out:
	free(text.data);
	return ret;
}

/*
 * The kind of a drop rule in the inet table: the published-port policy's
 * by its comment, whatever its chain; the others by their chain; -1 for
 * another chain.
 */
static int backend_nft_drop_kind(json_t *rule)
{
	const char *chain = json_string_value(json_object_get(rule, "chain"));
	const char *comment = json_string_value(json_object_get(rule, "comment"));

	if (comment != NULL &&
	    strncmp(comment, BACKEND_PUBLISHED_COMMENT, strlen(BACKEND_PUBLISHED_COMMENT)) == 0)
		return BACKEND_DROP_PUBLISHED;
	if (chain == NULL)
		return -1;
	if (strcmp(chain, "forward") == 0)
		return BACKEND_DROP_ISOLATION;
	if (strcmp(chain, "input") == 0)
		return BACKEND_DROP_NO_HOST;
	if (strcmp(chain, "output") == 0)
		return BACKEND_DROP_HOST;
	return -1;
}

/* Reads one rule of a JSON listing: its counter, if it drops, and its input interface. */
static void backend_nft_json_rule(json_t *rule, bool *drops, const char **iface,
				  json_int_t *packets, json_int_t *bytes)
{
	json_t *expressions = json_object_get(rule, "expr");
	const char *out_iface = NULL;
	size_t i;
	json_t *expression;

	*drops = false;
	*iface = "";
	*packets = *bytes = -1;
	if (!json_is_array(expressions))
		return;
	json_array_foreach(expressions, i, expression)
	{
		json_t *match = json_object_get(expression, "match");
		json_t *counter = json_object_get(expression, "counter");

		if (json_object_get(expression, "drop") != NULL)
			*drops = true;
		if (json_is_object(counter)) {
			json_t *p = json_object_get(counter, "packets");
			json_t *b = json_object_get(counter, "bytes");
			if (json_is_integer(p) && json_is_integer(b)) {
				*packets = json_integer_value(p);
				*bytes = json_integer_value(b);
			}
		}
		if (json_is_object(match)) {
			json_t *left = json_object_get(match, "left");
			json_t *meta = json_object_get(left, "meta");
			json_t *key = json_object_get(meta, "key");
			json_t *right = json_object_get(match, "right");
			json_t *op = json_object_get(match, "op");
			bool equal = op == NULL || (json_is_string(op) &&
						    strcmp(json_string_value(op), "==") == 0);
			if (json_is_string(key) && json_is_string(right) && equal &&
			    strcmp(json_string_value(key), "iifname") == 0)
				*iface = json_string_value(right);
			/* an output rule has only the bridge it goes out on */
			if (json_is_string(key) && json_is_string(right) && equal &&
			    strcmp(json_string_value(key), "oifname") == 0)
				out_iface = json_string_value(right);
		}
	}
	if ((*iface)[0] == '\0' && out_iface != NULL)
		*iface = out_iface;
}

/* Sums the counters of every drop rule in our tables, per input interface. */
static int backend_nft_collect(struct backend_nft_state *state, struct backend_tallies *out,
			       char *err, size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	unsigned present;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (backend_nft_present(state, &present, err, errlen) < 0)
		goto out;
	for (size_t f = state->bridge_only ? 1 : 0; f < 2; f++) {
		char command[BACKEND_NFT_TABLE_MAX + 32];
		char *listing = NULL;
		json_error_t error;
		json_t *root, *items, *item;
		size_t i;

		if (!(present & (1u << f)))
			continue;
		snprintf(command, sizeof(command), "list table %s %s", families[f], state->table);
		if (backend_nft_run(state, NFT_CTX_OUTPUT_JSON, command, &listing,
				    "reading counters", err, errlen) < 0)
			goto out;
		root = json_loads(listing, 0, &error);
		free(listing);
		items = json_object_get(root, "nftables");
		if (!json_is_array(items)) {
			error_format(err, errlen, "reading counters: unexpected JSON from nft: %s",
				     root == NULL ? error.text : "no \"nftables\" array");
			json_decref(root);
			goto out;
		}
		json_array_foreach(items, i, item)
		{
			json_t *rule = json_object_get(item, "rule");
			const char *iface;
			json_int_t packets, bytes;
			bool drops;

			if (!json_is_object(rule))
				continue;
			backend_nft_json_rule(rule, &drops, &iface, &packets, &bytes);
			if (!drops || packets < 0 || bytes < 0)
				continue;
			/* port-binding drops (bridge table) belong to no one bridge */
			if (backend_tally_add(out, f == 0 ? iface : BACKEND_NFT_BINDING_TALLY,
					      f == 0 ? backend_nft_drop_kind(rule) : -1,
					      (uint64_t)packets, (uint64_t)bytes) < 0) {
				error_format(err, errlen, "out of memory");
				json_decref(root);
				goto out;
			}
		}
		json_decref(root);
	}
	ret = 0;
out:
	if (ret < 0) {
		free(out->items);
		memset(out, 0, sizeof(*out));
	}
	return ret;
}

/* Opens the monitor: a netlink socket on the nf_tables event group. */
static struct mnl_socket *backend_nft_monitor_open(char *err, size_t errlen)
{
	struct mnl_socket *monitor =
	    mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int group = NFNLGRP_NFTABLES;
	int size = BACKEND_NFT_MONITOR_RCVBUF;

	if (monitor == NULL) {
		error_format(err, errlen, "no netfilter netlink here (socket: %s)",
			     strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(monitor, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(monitor, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		error_format(err, errlen, "cannot subscribe to nf_tables events: %s",
			     strerror(errno));
		goto fail;
	}
	/* a flushed host ruleset is thousands of events: make room (root may exceed rmem_max) */
	if (setsockopt(mnl_socket_get_fd(monitor), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0)
		(void)setsockopt(mnl_socket_get_fd(monitor), SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	return monitor;
fail:
	if (monitor != NULL)
		mnl_socket_close(monitor);
	return NULL;
}

/* mnl_attr_parse callback: the table an object event names (its first attribute 1). */
static int backend_nft_table_attribute(const struct nlattr *attribute, void *data)
{
	const char **table = data;

	if (mnl_attr_get_type(attribute) != NFTA_TABLE_NAME)
		return MNL_CB_OK;
	if (mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) == 0)
		*table = mnl_attr_get_str(attribute);
	return MNL_CB_STOP;
}

/* Tells whether a message is an nf_tables event of the given type. */
static bool backend_nft_event_is(const struct nlmsghdr *message, unsigned int type)
{
	return mnl_nlmsg_get_payload_len(message) >= sizeof(struct nfgenmsg) &&
	       NFNL_SUBSYS_ID(message->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
	       NFNL_MSG_TYPE(message->nlmsg_type) == type;
}

/* The table an nf_tables object event of the inet or bridge family names; NULL if none. */
static const char *backend_nft_event_table(const struct nlmsghdr *message)
{
	const struct nfgenmsg *header = mnl_nlmsg_get_payload(message);
	unsigned int type = NFNL_MSG_TYPE(message->nlmsg_type);
	const char *table = NULL;

	if (mnl_nlmsg_get_payload_len(message) < sizeof(*header) ||
	    NFNL_SUBSYS_ID(message->nlmsg_type) != NFNL_SUBSYS_NFTABLES || type == NFT_MSG_NEWGEN ||
	    type == NFT_MSG_TRACE)
		return NULL;
	if (header->nfgen_family != NFPROTO_INET && header->nfgen_family != NFPROTO_BRIDGE)
		return NULL;
	(void)mnl_attr_parse(message, sizeof(*header), backend_nft_table_attribute, &table);
	return table;
}

/* Prints the probe's table name, unique to this backend: it carries the monitor's port. */
static void backend_nft_probe_table(const struct backend_nft_state *state, char *out, size_t size)
{
	snprintf(out, size, "%s-%u", BACKEND_NFT_PROBE_TABLE,
		 mnl_socket_get_portid(state->monitor));
}

/*
 * Learns the netlink port our libnftables context commits from: the probe
 * open just committed named a table only this backend uses, and the kernel
 * queues a transaction's events before it acknowledges the commit.  What
 * came before the probe is dropped (the first apply commits anyway).
 * Without the port, commits are told apart by pid alone.
 */
static void backend_nft_monitor_learn(struct backend_nft_state *state)
{
	char probe[BACKEND_NFT_TABLE_MAX];

	backend_nft_probe_table(state, probe, sizeof(probe));
	for (unsigned int i = 0; i < BACKEND_NFT_MONITOR_BATCH && !state->own_port_known; i++) {
		const struct nlmsghdr *message = (const struct nlmsghdr *)state->monitor_buffer;
		ssize_t got = netlink_receive(state->monitor, state->monitor_buffer,
					      BACKEND_NFT_MONITOR_BUFFER, MSG_DONTWAIT);
		int remaining = (int)got;

		if (got < 0 && errno != EINTR && errno != ENOBUFS && errno != ENOSPC)
			break;
		if (got <= 0 || !netlink_datagram_whole(message, (size_t)got))
			continue;
		for (; mnl_nlmsg_ok(message, remaining);
		     message = mnl_nlmsg_next(message, &remaining)) {
			const char *table = backend_nft_event_table(message);

			if (table != NULL && strcmp(table, probe) == 0) {
				state->own_port = message->nlmsg_pid;
				state->own_port_known = true;
				break;
			}
		}
	}
	state->monitor_touched = false;
}

/* The bits of the tables this backend writes: inet (1) and bridge (2), or bridge alone. */
static unsigned backend_nft_ours(const struct backend_nft_state *state)
{
	return state->bridge_only ? 2u : 3u;
}

/* Says, for status, how our tables are kept from others. */
static void backend_nft_protection_update(struct backend_nft_state *state, const char *why)
{
	if (!state->owning)
		snprintf(state->protection, sizeof(state->protection),
			 "tables not owned (%.160s): deletion repaired", why);
	else if (state->owned == backend_nft_ours(state))
		snprintf(state->protection, sizeof(state->protection),
			 "tables owned by tjd: deletion refused by the kernel");
	else
		snprintf(state->protection, sizeof(state->protection),
			 "tables to be owned by tjd from its first commit");
}

/* Gives up owning our tables (the kernel or the circumstances refuse), saying why. */
static void backend_nft_disown(struct backend_nft_state *state, const char *why)
{
	state->owning = false;
	state->owned = 0;
	backend_nft_protection_update(state, why);
}

/*
 * Decides at open whether our tables will be owned: wanted, libnftables'
 * socket found among this process's sockets (it appeared since `before`
 * and committed the probe), and a kernel that keeps persistent tables,
 * which a scratch table created and deleted in one transaction proves.
 */
static void backend_nft_owning_open(const struct backend *backend, struct backend_nft_state *state,
				    const struct nft_owner_sockets *before)
{
	static const uint8_t families[] = {NFPROTO_INET, NFPROTO_BRIDGE};
	char why[224], detail[160], scratch[BACKEND_NFT_TABLE_MAX];
	struct nft_owner_request probe[2];
	int kernel_error = 0;

	state->owning = true;
	state->owned = 0;
	if (backend->unowned_tables) {
		backend_nft_disown(state, "own_tables = no");
		return;
	}
	if (backend->clear_only) {
		backend_nft_disown(state, "opened to clear");
		return;
	}
	if (nft_owner_find(&state->owner, before, state->own_port_known ? state->own_port : 0,
			   detail, sizeof(detail)) < 0) {
		snprintf(why, sizeof(why), "libnftables' netlink socket not identified: %s",
			 detail);
		log_info("nftables: %s; tjd's tables stay unowned", why);
		backend_nft_disown(state, why);
		return;
	}
	backend_nft_probe_table(state, scratch, sizeof(scratch));
	probe[0] = (struct nft_owner_request){
	    .op = NFT_OWNER_CLAIM, .family = families[state->bridge_only], .table = scratch};
	probe[1] = probe[0];
	probe[1].op = NFT_OWNER_DELETE;
	if (nft_owner_send(&state->owner, probe, 2, &kernel_error, detail, sizeof(detail)) < 0) {
		if (kernel_error == EOPNOTSUPP || kernel_error == EINVAL)
			snprintf(why, sizeof(why), "kernel lacks table persist, Linux 6.9");
		else
			snprintf(why, sizeof(why), "no owned table could be made: %s", detail);
		log_info("nftables: %s; tjd's tables stay unowned", why);
		backend_nft_disown(state, why);
		return;
	}
	backend_nft_protection_update(state, NULL);
}

/* One chain, set or map of a rendered script, and where its lines are. */
struct backend_nft_object {
	size_t family; /* 0 inet, 1 bridge */
	char kind[16];
	char name[BACKEND_NFT_SET_NAME_MAX];
	const char *body; /* its lines, each "\t\t...\n" */
	size_t body_length;
};

/* A script that backend_nft_script rendered, taken apart. */
struct backend_nft_layout {
	struct backend_nft_object *objects;
	size_t count;
	unsigned tables;			  /* bits of the tables it declares */
	char comment[2][BACKEND_NFT_COMMENT_MAX]; /* each table's */
};

/* Frees what backend_nft_layout_parse made. */
static void backend_nft_layout_free(struct backend_nft_layout *layout)
{
	free(layout->objects);
	memset(layout, 0, sizeof(*layout));
}

/* Reads one line of a table block, outside any object, into the layout; false if unexpected. */
static bool backend_nft_layout_line(struct backend_nft_layout *layout, size_t family,
				    const char *line, size_t length, const char *next)
{
	static const char comment[] = "\tcomment \"";
	char copy[128], kind[16], name[BACKEND_NFT_SET_NAME_MAX], brace[2];
	struct backend_nft_object *grown;
	int used = 0;

	if (length >= sizeof(copy))
		return false;
	memcpy(copy, line, length);
	copy[length] = '\0';
	if (strncmp(copy, comment, strlen(comment)) == 0 && length > strlen(comment) &&
	    copy[length - 1] == '"') {
		snprintf(layout->comment[family], sizeof(layout->comment[family]), "%.*s",
			 (int)(length - strlen(comment) - 1), copy + strlen(comment));
		return true;
	}
	if (copy[0] != '\t' || copy[1] == '\t' ||
	    sscanf(copy + 1, "%15s %47s %1s%n", kind, name, brace, &used) != 3 ||
	    strcmp(brace, "{") != 0 || (size_t)used != length - 1)
		return false;
	grown = reallocarray(layout->objects, layout->count + 1, sizeof(*grown));
	if (grown == NULL)
		return false;
	layout->objects = grown;
	grown = &layout->objects[layout->count++];
	memset(grown, 0, sizeof(*grown));
	grown->family = family;
	snprintf(grown->kind, sizeof(grown->kind), "%s", kind);
	snprintf(grown->name, sizeof(grown->name), "%s", name);
	grown->body = next;
	return true;
}

/*
 * Takes apart a script of the shape backend_nft_script renders: the lines
 * adding and deleting tables, then `table F T {` blocks holding a comment
 * and `\t<kind> <name> {` objects whose lines start with two tabs.  -1
 * when it has another shape.
 */
static int backend_nft_layout_parse(const char *script, const char *table,
				    struct backend_nft_layout *layout)
{
	static const char *const families[] = {"inet", "bridge"};
	struct backend_nft_object *object = NULL;
	bool in_table = false;
	size_t family = 0;

	memset(layout, 0, sizeof(*layout));
	for (const char *line = script; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
		const char *next = end != NULL ? end + 1 : line + length;
		bool ok = true;

		if (object != NULL) {
			if (length == 2 && strncmp(line, "\t}", 2) == 0)
				object = NULL;
			else if (length > 2 && strncmp(line, "\t\t", 2) == 0)
				object->body_length = (size_t)(next - object->body);
			else
				ok = false;
		} else if (in_table) {
			if (length == 1 && line[0] == '}') {
				in_table = false;
			} else {
				ok = backend_nft_layout_line(layout, family, line, length, next);
				if (ok && layout->count > 0 &&
				    layout->objects[layout->count - 1].body == next)
					object = &layout->objects[layout->count - 1];
			}
		} else if (strncmp(line, "add table ", 10) == 0 ||
			   strncmp(line, "delete table ", 13) == 0) {
			/* the unowned commit's way of replacing tables */
		} else {
			ok = false;
			for (size_t f = 0; f < 2 && !ok; f++) {
				char header[BACKEND_NFT_TABLE_MAX + 32];

				snprintf(header, sizeof(header), "table %s %s {", families[f],
					 table);
				if (length == strlen(header) &&
				    strncmp(line, header, length) == 0 &&
				    !(layout->tables & (1u << f))) {
					ok = in_table = true;
					family = f;
					layout->tables |= 1u << f;
				}
			}
		}
		if (!ok) {
			backend_nft_layout_free(layout);
			return -1;
		}
		line = next;
	}
	if (in_table || object != NULL) {
		backend_nft_layout_free(layout);
		return -1;
	}
	return 0;
}

/* The hook line of a chain's body (its `type ... hook ...` line), or NULL for a regular chain. */
static const char *backend_nft_hook_line(const struct backend_nft_object *object, size_t *length)
{
	for (const char *line = object->body; line < object->body + object->body_length;) {
		const char *end =
		    memchr(line, '\n', (size_t)(object->body + object->body_length - line));
		size_t line_length = end != NULL
					 ? (size_t)(end - line + 1)
					 : (size_t)(object->body + object->body_length - line);

		if (strncmp(line, "\t\ttype ", 7) == 0) {
			*length = line_length;
			return line;
		}
		line += line_length;
	}
	return NULL;
}

/*
 * The script's objects as commands adding them to tables that exist
 * already (a table block would send the table itself, and nft cannot ask
 * for the flags an owned table has, which the kernel insists on): every
 * chain first, hooked ones with their hook (the maps' verdicts jump to
 * them), then sets and maps whole (the rules look into them), then each
 * chain's rules.  In the script's order, so the kernel lists the same.
 */
static void backend_nft_layout_commands(struct backend_nft_text *text,
					const struct backend_nft_layout *layout, const char *table)
{
	static const char *const families[] = {"inet", "bridge"};

	for (size_t i = 0; i < layout->count; i++) {
		const struct backend_nft_object *object = &layout->objects[i];
		size_t length = 0;
		const char *hook = backend_nft_hook_line(object, &length);

		if (strcmp(object->kind, "chain") != 0)
			continue;
		backend_nft_append(text, "add chain %s %s %s", families[object->family], table,
				   object->name);
		if (hook != NULL)
			backend_nft_append(text, " { %.*s }", (int)(length - 3), hook + 2);
		backend_nft_append(text, "\n");
	}
	for (size_t i = 0; i < layout->count; i++) {
		const struct backend_nft_object *object = &layout->objects[i];

		if (strcmp(object->kind, "chain") == 0)
			continue;
		backend_nft_append(text, "add %s %s %s %s {\n%.*s}\n", object->kind,
				   families[object->family], table, object->name,
				   (int)object->body_length, object->body);
	}
	for (size_t i = 0; i < layout->count; i++) {
		const struct backend_nft_object *object = &layout->objects[i];
		size_t length = 0;
		const char *hook = backend_nft_hook_line(object, &length);
		size_t before = hook != NULL ? (size_t)(hook - object->body) : object->body_length;
		size_t after = hook != NULL ? object->body_length - before - length : 0;

		if (strcmp(object->kind, "chain") != 0 || before + after == 0)
			continue;
		backend_nft_append(text, "add chain %s %s %s {\n%.*s%.*s}\n",
				   families[object->family], table, object->name, (int)before,
				   object->body, (int)after,
				   hook != NULL ? hook + length : object->body);
	}
}

/* Tells whether a JSON listing's object kind is one a whole replacement deletes by handle. */
static const char *backend_nft_deletable(const char *kind)
{
	static const char *const kinds[][2] = {
	    {"set", "set"},	{"map", "set"},	    {"counter", "counter"},
	    {"quota", "quota"}, {"limit", "limit"}, {"flowtable", "flowtable"},
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i][0]) == 0)
			return kinds[i][1];
	return NULL;
}

/*
 * Appends the commands that delete what table `family` holds, as the
 * kernel lists it: flush (its rules hold on to sets, maps and chains),
 * then sets, maps and named objects by handle, then chains.  1 when it
 * holds something else (nothing appended), 0 done, -1 error.
 */
static int backend_nft_emptying_listed(struct backend_nft_state *state, size_t family,
				       struct backend_nft_text *text, char *err, size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	struct backend_nft_text commands = {0}, chains = {0};
	char command[BACKEND_NFT_TABLE_MAX + 32], *listing = NULL;
	json_t *root = NULL, *items, *item;
	json_error_t error;
	bool any = false;
	size_t i;
	int ret = -1;

	snprintf(command, sizeof(command), "list table %s %s", families[family], state->table);
	if (backend_nft_run(state, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_TERSE, command, &listing,
			    "reading our table", err, errlen) < 0)
		goto out;
	root = json_loads(listing, 0, &error);
	items = json_object_get(root, "nftables");
	if (!json_is_array(items)) {
		error_format(err, errlen, "reading our table: unexpected JSON from nft");
		goto out;
	}
	ret = 1;
	json_array_foreach(items, i, item)
	{
		const char *kind = json_object_iter_key(json_object_iter(item));
		json_t *object = json_object_get(item, kind != NULL ? kind : "");
		json_t *handle = json_object_get(object, "handle");
		const char *deleted = kind != NULL ? backend_nft_deletable(kind) : NULL;

		if (kind == NULL || json_object_size(item) != 1)
			goto out;
		if (strcmp(kind, "metainfo") == 0 || strcmp(kind, "table") == 0 ||
		    strcmp(kind, "rule") == 0)
			continue;
		if ((deleted == NULL && strcmp(kind, "chain") != 0) || !json_is_integer(handle) ||
		    json_integer_value(handle) <= 0)
			goto out;
		any = true;
		backend_nft_append(deleted != NULL ? &commands : &chains,
				   "delete %s %s %s handle %" JSON_INTEGER_FORMAT "\n",
				   deleted != NULL ? deleted : "chain", families[family],
				   state->table, json_integer_value(handle));
	}
	if (any)
		backend_nft_append(text, "flush table %s %s\n%s%s", families[family], state->table,
				   commands.data != NULL ? commands.data : "",
				   chains.data != NULL ? chains.data : "");
	ret = commands.failed || chains.failed ? -1 : 0;
	if (ret < 0)
		error_format(err, errlen, "out of memory");
out:
	json_decref(root);
	free(listing);
	free(commands.data);
	free(chains.data);
	return ret;
}

/*
 * Appends the commands that delete what table `family` holds before a
 * whole replacement.  The kernel holds the script we committed last when
 * we own the table and nothing failed since: its names say it all.  Else
 * the kernel's listing does (an orphan we adopted may hold anything).
 * 1 when the table holds something these commands cannot delete.
 */
static int backend_nft_emptying(struct backend_nft_state *state, size_t family,
				struct backend_nft_text *text, char *err, size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	struct backend_nft_layout last;
	bool any = false;

	if (!state->applied_trusted || state->applied_script == NULL ||
	    backend_nft_layout_parse(state->applied_script, state->table, &last) < 0)
		return backend_nft_emptying_listed(state, family, text, err, errlen);
	for (int chains = 0; chains < 2; chains++) {
		for (size_t i = 0; i < last.count; i++) {
			const struct backend_nft_object *object = &last.objects[i];

			if (object->family != family ||
			    (strcmp(object->kind, "chain") == 0) != (chains == 1))
				continue;
			if (!any)
				backend_nft_append(text, "flush table %s %s\n", families[family],
						   state->table);
			any = true;
			backend_nft_append(text, "delete %s %s %s %s\n", object->kind,
					   families[family], state->table, object->name);
		}
	}
	backend_nft_layout_free(&last);
	return 0;
}

/* The name of the copy that protects while our table is replaced whole. */
static void backend_nft_handover_table(const struct backend_nft_state *state, char *out,
				       size_t size)
{
	/* the longest name (tjd_<12>-l2) leaves room for the suffix */
	snprintf(out, size, "%.*s%s",
		 (int)(BACKEND_NFT_TABLE_MAX - sizeof(BACKEND_NFT_HANDOVER_SUFFIX)), state->table,
		 BACKEND_NFT_HANDOVER_SUFFIX);
}

/* Appends the deletion of whatever copies a replacement left, if any are there. */
static int backend_nft_handover_cleanup(struct backend_nft_state *state,
					struct backend_nft_text *text, char *err, size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	char copy[BACKEND_NFT_TABLE_MAX];
	unsigned present;

	if (!state->handover_left)
		return 0;
	backend_nft_handover_table(state, copy, sizeof(copy));
	if (backend_nft_present_named(state, copy, &present, err, errlen) < 0)
		return -1;
	for (size_t f = 0; f < 2; f++)
		if (present & (1u << f))
			backend_nft_append(text, "delete table %s %s\n", families[f], copy);
	return 0;
}

/*
 * Replaces the contents of our owned tables in one transaction, leaving
 * the tables (and their flags) in place: what they hold is deleted, the
 * script's objects added.  1 when a table holds what cannot be deleted
 * piecewise; then nothing was committed.
 */
static int backend_nft_replace(struct backend_nft_state *state,
			       const struct backend_nft_layout *layout, char *err, size_t errlen)
{
	struct backend_nft_text text = {0};
	int ret = -1, rc = 0;

	for (size_t f = 0; f < 2 && rc == 0; f++)
		if (backend_nft_ours(state) & (1u << f))
			rc = backend_nft_emptying(state, f, &text, err, errlen);
	if (rc != 0) {
		ret = rc;
		goto out;
	}
	backend_nft_layout_commands(&text, layout, state->table);
	if (backend_nft_handover_cleanup(state, &text, err, errlen) < 0)
		goto out;
	if (text.failed) {
		error_format(err, errlen, "out of memory (or over %u bytes) rendering the ruleset",
			     BACKEND_NFT_TEXT_MAX);
		goto out;
	}
	if (backend_nft_run(state, 0, text.data, NULL, "nftables refused the ruleset", err,
			    errlen) < 0)
		goto out;
	state->handover_left = false;
	ret = 0;
out:
	free(text.data);
	return ret;
}

/*
 * Replaces our tables whole without a moment unprotected, where their
 * contents cannot be replaced in place (`tables`: a table made before
 * tjd owned it, which cannot be adopted; or one holding what cannot be
 * named): a copy of the desired state goes in first under another name
 * (tables only ever drop, so both together are only stricter), then one
 * transaction of ours deletes the tables and makes them again owned, then
 * one fills them and deletes the copy.
 */
static int backend_nft_handover(struct backend_nft_state *state, const struct ruleset *desired,
				const struct backend_nft_layout *layout, unsigned tables, char *err,
				size_t errlen)
{
	static const uint8_t families[] = {NFPROTO_INET, NFPROTO_BRIDGE};
	struct nft_owner_request requests[4];
	char copy[BACKEND_NFT_TABLE_MAX], *script;
	size_t count = 0;
	int kernel_error, rc;

	backend_nft_handover_table(state, copy, sizeof(copy));
	script = state->bridge_only ? backend_nft_bridge_script(copy, desired, err, errlen)
				    : backend_nft_script(copy, desired, err, errlen);
	if (script == NULL)
		return -1;
	rc = backend_nft_run(state, 0, script, NULL, "nftables refused the ruleset", err, errlen);
	free(script);
	if (rc < 0)
		return -1;
	state->handover_left = true;
	for (size_t f = 0; f < 2; f++) {
		if (!(tables & (1u << f)))
			continue;
		requests[count++] = (struct nft_owner_request){
		    .op = NFT_OWNER_DELETE, .family = families[f], .table = state->table};
		requests[count++] = (struct nft_owner_request){.op = NFT_OWNER_CLAIM,
							       .family = families[f],
							       .table = state->table,
							       .comment = layout->comment[f]};
	}
	if (nft_owner_send(&state->owner, requests, count, &kernel_error, err, errlen) < 0)
		return -1;
	state->owned |= tables;
	/* they are empty now: what was committed last is in the copy only */
	state->applied_trusted = false;
	backend_nft_protection_update(state, NULL);
	rc = backend_nft_replace(state, layout, err, errlen);
	if (rc > 0)
		error_format(err, errlen, "our tables, just made, hold what cannot be deleted");
	return rc == 0 ? 0 : -1;
}

/* Says who owns one of our tables, when someone else does (for messages). */
static void backend_nft_owner_phrase(const struct nft_owner_table *info, char *out, size_t size)
{
	char comm[32];
	pid_t pid = nft_owner_pid(info->owner, comm, sizeof(comm));

	if (pid > 0 && strcmp(comm, "tjd") == 0)
		snprintf(out, size, "the running tjd (pid %d)", (int)pid);
	else if (pid > 0)
		snprintf(out, size, "process %d (%s)", (int)pid, comm);
	else
		snprintf(out, size, "another process's netlink socket (port %u)", info->owner);
}

/*
 * Makes every table of ours owned by our socket: a missing one is made,
 * an orphan adopted (its contents stay until the commit replaces them);
 * those that exist without persist are left in *handover.  -1 when
 * someone else owns one (the kernel would refuse every change of ours).
 */
static int backend_nft_claim(struct backend_nft_state *state, unsigned *handover,
			     const struct backend_nft_layout *layout, char *err, size_t errlen)
{
	static const char *const names[] = {"inet", "bridge"};
	static const uint8_t families[] = {NFPROTO_INET, NFPROTO_BRIDGE};
	struct nft_owner_request requests[2];
	size_t count = 0;
	unsigned claiming = 0;
	int kernel_error;

	*handover = 0;
	for (size_t f = 0; f < 2; f++) {
		struct nft_owner_table info;
		char owner[96];

		if (!(backend_nft_ours(state) & ~state->owned & (1u << f)))
			continue;
		if (nft_owner_query(families[f], state->table, &info, err, errlen) < 0)
			return -1;
		if (info.exists && info.has_owner && info.owner == state->owner.port) {
			state->owned |= 1u << f;
		} else if (info.exists && info.has_owner) {
			backend_nft_owner_phrase(&info, owner, sizeof(owner));
			error_format(err, errlen, "table %s %s is owned by %s: %s", names[f],
				     state->table, owner, strerror(EPERM));
			return -1;
		} else if (info.exists && !(info.flags & NFT_OWNER_FLAG_PERSIST)) {
			*handover |= 1u << f;
		} else {
			claiming |= 1u << f;
			requests[count++] =
			    (struct nft_owner_request){.op = NFT_OWNER_CLAIM,
						       .family = families[f],
						       .table = state->table,
						       .comment = layout->comment[f]};
		}
	}
	if (count > 0 &&
	    nft_owner_send(&state->owner, requests, count, &kernel_error, err, errlen) < 0)
		return -1;
	state->owned |= claiming;
	backend_nft_protection_update(state, NULL);
	return 0;
}

/* A whole commit into owned tables: claimed first, then their contents replaced. */
static int backend_nft_commit_owned(struct backend_nft_state *state, const struct ruleset *desired,
				    const char *script, char *err, size_t errlen)
{
	struct backend_nft_layout layout;
	unsigned handover = 0;
	int rc = -1;

	if (backend_nft_layout_parse(script, state->table, &layout) < 0 ||
	    layout.tables != backend_nft_ours(state)) {
		error_format(err, errlen, "the rendered ruleset has an unexpected shape");
		return -1;
	}
	if (backend_nft_claim(state, &handover, &layout, err, errlen) < 0)
		goto out;
	if (handover == 0) {
		rc = backend_nft_replace(state, &layout, err, errlen);
		if (rc <= 0)
			goto out;
		/* something we cannot name in a table we adopted: replace it whole */
		handover = backend_nft_ours(state);
	}
	rc = backend_nft_handover(state, desired, &layout, handover, err, errlen);
out:
	backend_nft_layout_free(&layout);
	return rc;
}

/*
 * A whole commit into unowned tables: those that exist are deleted and
 * made anew in one transaction.  (The rendered script's own way, adding
 * each table before deleting it so a missing one is no error, sends the
 * table without flags, which the kernel refuses for a persistent orphan
 * that an owning run left.)  A table that vanished meanwhile is retried.
 */
static int backend_nft_commit_unowned(struct backend_nft_state *state, const char *script,
				      char *err, size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	const char *body = script;
	unsigned present, again;

	while (strncmp(body, "add table ", 10) == 0 || strncmp(body, "delete table ", 13) == 0) {
		const char *end = strchr(body, '\n');
		body = end != NULL ? end + 1 : body + strlen(body);
	}
	if (backend_nft_present(state, &present, err, errlen) < 0)
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct backend_nft_text text = {0};
		char ignored[128];
		int rc;

		for (size_t f = 0; f < 2; f++)
			if (present & (1u << f))
				backend_nft_append(&text, "delete table %s %s\n", families[f],
						   state->table);
		backend_nft_append(&text, "%s", body);
		if (text.failed) {
			free(text.data);
			error_format(err, errlen,
				     "out of memory (or over %u bytes) rendering the ruleset",
				     BACKEND_NFT_TEXT_MAX);
			return -1;
		}
		rc = backend_nft_run(state, 0, text.data, NULL, "nftables refused the ruleset", err,
				     errlen);
		free(text.data);
		if (rc == 0)
			return 0;
		/* err keeps the commit's error */
		if (backend_nft_present(state, &again, ignored, sizeof(ignored)) < 0 ||
		    again == present)
			return -1;
		present = again;
	}
	return -1;
}

/* A whole commit: into owned tables where tjd owns them or can, else as before. */
static int backend_nft_commit(struct backend_nft_state *state, const struct ruleset *desired,
			      const char *script, char *err, size_t errlen)
{
	if (state->owning)
		return backend_nft_commit_owned(state, desired, script, err, errlen);
	return backend_nft_commit_unowned(state, script, err, errlen);
}

/* Frees everything the state holds. */
static void backend_nft_state_free(struct backend_nft_state *state)
{
	if (state == NULL)
		return;
	if (state->ctx != NULL)
		nft_ctx_free(state->ctx);
	if (state->monitor != NULL)
		mnl_socket_close(state->monitor);
	free(state->monitor_buffer);
	free(state->applied_script);
	free(state->applied_listing);
	free(state->baseline.items);
	free(state);
}

/* Checks nf_tables is there and writable (inet and bridge), and prepares. */
static int backend_nft_open(struct backend *backend, char *err, size_t errlen)
{
	struct backend_nft_state *state = NULL;
	struct nft_owner_sockets before = {0};
	char probe[256], probe_table[BACKEND_NFT_TABLE_MAX], why[160];
	bool listed;
	int ret = -1;

	backend->priv = NULL;
	state = calloc(1, sizeof(*state));
	if (state == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	state->bridge_only = backend->ops == &backend_nft_bridge_ops;
	if (backend_nft_table_name(backend, state->table, sizeof(state->table)) < 0 ||
	    (state->bridge_only &&
	     strlen(state->table) + strlen(BACKEND_NFT_BRIDGE_SUFFIX) >= sizeof(state->table))) {
		error_format(err, errlen, "cannot derive a table name from chain \"%.*s\"",
			     BACKEND_CHAIN_MAX, backend->chain_forward);
		goto out;
	}
	if (state->bridge_only)
		strcat(state->table, BACKEND_NFT_BRIDGE_SUFFIX);
	/* only enforcing needs br_netfilter; `tjd --clear` must work without it */
	if (!backend->clear_only && backend_check_bridge_netfilter(err, errlen) < 0)
		goto out;
	/* libnftables exits the process when it cannot open netlink: find out first */
	state->monitor = backend_nft_monitor_open(err, errlen);
	if (state->monitor == NULL)
		goto out;
	state->monitor_buffer = malloc(BACKEND_NFT_MONITOR_BUFFER);
	/* libnftables' socket is the one that appears with its context */
	listed = nft_owner_sockets_list(&before, why, sizeof(why)) == 0;
	state->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (state->monitor_buffer == NULL || state->ctx == NULL ||
	    nft_ctx_buffer_output(state->ctx) != 0 || nft_ctx_buffer_error(state->ctx) != 0) {
		error_format(err, errlen, "out of memory setting up libnftables");
		goto out;
	}
	if (backend_nft_run(state, 0, "list tables", NULL, "nf_tables is not usable", err, errlen) <
	    0)
		goto out;
	/*
	 * A real transaction that leaves nothing behind: proves we may write
	 * and that the kernel has both families.  (nft's check mode never
	 * hears the kernel's verdict.)
	 */
	backend_nft_probe_table(state, probe_table, sizeof(probe_table));
	snprintf(probe, sizeof(probe),
		 "add table inet %s\ndelete table inet %s\n"
		 "add table bridge %s\ndelete table bridge %s\n",
		 probe_table, probe_table, probe_table, probe_table);
	if (backend_nft_run(state, 0, probe, NULL, "cannot write inet and bridge nftables tables",
			    err, errlen) < 0)
		goto out;
	backend_nft_monitor_learn(state);
	if (listed)
		backend_nft_owning_open(backend, state, &before);
	else
		backend_nft_disown(state, why);
	backend->priv = state;
	state = NULL;
	ret = 0;
out:
	nft_owner_sockets_free(&before);
	backend_nft_state_free(state);
	return ret;
}

/* Adds the counters of the tables about to be replaced to the baseline. */
static void backend_nft_keep_counts(struct backend_nft_state *state)
{
	struct backend_tallies current;
	char ignored[256];

	if (backend_nft_collect(state, &current, ignored, sizeof(ignored)) < 0)
		return;
	(void)backend_tallies_merge(&state->baseline, &current);
	free(current.items);
}

/* Makes the kernel hold `desired`, committing only if it differs. */
static int backend_nft_apply(struct backend *backend, const struct ruleset *desired, bool *changed,
			     char *err, size_t errlen)
{
	struct backend_nft_state *state = backend->priv;
	char *script = NULL, *listing = NULL, *delta = NULL;
	bool kept, same, holds;
	int ret = -1;

	*changed = false;
	if (state == NULL) {
		error_format(err, errlen, "nft backend is not open");
		goto out;
	}
	/* the kernel holds our last commit unless the monitor said otherwise, or no one else may */
	kept = backend->watched || (state->owning && state->owned == backend_nft_ours(state));
	script = state->bridge_only ? backend_nft_bridge_script(state->table, desired, err, errlen)
				    : backend_nft_script(state->table, desired, err, errlen);
	if (script == NULL)
		goto out;
	same = state->applied_script != NULL && strcmp(script, state->applied_script) == 0;
	/* watched (or owned), and the kernel holds our last commit: nothing to do */
	holds = kept && state->applied_trusted && state->applied_script != NULL;
	if (holds && same) {
		ret = 0;
		goto out;
	}
	/* what turns our last commit into this one, when only set elements differ */
	if (state->applied_script != NULL && !same)
		delta = backend_nft_delta(state->table, state->applied_script, script);
	/*
	 * Otherwise the kernel holds our last commit when it lists the same
	 * as right after it: then an unchanged script needs nothing, and a
	 * delta may go in.  A difference is drift, repaired by a whole commit.
	 */
	if (!holds && state->applied_script != NULL && state->applied_listing != NULL &&
	    (same || (delta != NULL && delta[0] != '\0'))) {
		if (backend_nft_list(state, NFT_CTX_OUTPUT_STATELESS, &listing, err, errlen) < 0)
			goto out;
		holds = strcmp(listing, state->applied_listing) == 0;
		free(listing);
		listing = NULL;
		if (holds && same) {
			ret = 0;
			goto out;
		}
	}
	/*
	 * A change of set elements alone (allow-listed addresses, members of
	 * the ruleset's sets) is committed as just that, in one transaction,
	 * whatever the size of the rest: every rule and chain stays, handles
	 * and counters with it.
	 */
	if (holds && delta != NULL && delta[0] != '\0' &&
	    backend_nft_run(state, 0, delta, NULL, "nftables refused the change", err, errlen) ==
		0) {
		*changed = true;
		free(state->applied_script);
		free(state->applied_listing);
		state->applied_script = script;
		state->applied_listing = NULL;
		script = NULL;
		/* as after a whole commit, the next apply compares with this listing */
		if (!kept &&
		    backend_nft_list(state, NFT_CTX_OUTPUT_STATELESS, &listing, err, errlen) == 0) {
			state->applied_listing = listing;
			listing = NULL;
		}
		ret = 0;
		goto out;
	}
	backend_nft_keep_counts(state);
	if (backend_nft_commit(state, desired, script, err, errlen) < 0)
		goto out;
	*changed = true;
	state->applied_trusted = true;
	free(state->applied_script);
	free(state->applied_listing);
	state->applied_script = script;
	state->applied_listing = NULL;
	script = NULL;
	/*
	 * Without the listing the next apply simply commits again.  A watched
	 * backend learns of foreign changes from the monitor, and an owned
	 * table has none, so it need not read back what it just wrote.
	 */
	if (!kept &&
	    backend_nft_list(state, NFT_CTX_OUTPUT_STATELESS, &listing, err, errlen) == 0) {
		state->applied_listing = listing;
		listing = NULL;
	}
	ret = 0;
out:
	free(script);
	free(listing);
	free(delta);
	return ret;
}

/*
 * 1 when another socket than ours owns one of our tables, with err saying
 * whose; 0 when none does; -1 when the kernel cannot be asked.
 */
static int backend_nft_owned_elsewhere(struct backend_nft_state *state, char *err, size_t errlen)
{
	static const uint8_t families[] = {NFPROTO_INET, NFPROTO_BRIDGE};

	for (size_t f = 0; f < 2; f++) {
		struct nft_owner_table info;
		char owner[96];

		if (!(backend_nft_ours(state) & (1u << f)))
			continue;
		if (nft_owner_query(families[f], state->table, &info, err, errlen) < 0)
			return -1;
		if (!info.exists || !info.has_owner ||
		    (state->owning && info.owner == state->owner.port))
			continue;
		backend_nft_owner_phrase(&info, owner, sizeof(owner));
		error_format(err, errlen,
			     "tjd's nftables tables are owned by %s, and the kernel refuses their "
			     "deletion to anyone else; use `tjctl clear`",
			     owner);
		return 1;
	}
	return 0;
}

/*
 * Deletes our tables (and copies a whole replacement left) in one
 * transaction; absent is success.  Only the tables that exist are named:
 * adding one first, so a missing one is no error, would be refused for a
 * persistent orphan.  A table that came or went meanwhile is retried.
 */
static int backend_nft_clear(struct backend *backend, char *err, size_t errlen)
{
	static const char *const families[] = {"inet", "bridge"};
	struct backend_nft_state *state = backend->priv;
	char copy[BACKEND_NFT_TABLE_MAX];
	unsigned listed[2] = {0, 0};

	if (state == NULL) {
		error_format(err, errlen, "nft backend is not open");
		return -1;
	}
	backend_nft_handover_table(state, copy, sizeof(copy));
	for (int attempt = 0;; attempt++) {
		const char *names[2] = {state->table, copy};
		char commands[4 * (BACKEND_NFT_TABLE_MAX + 32)];
		unsigned present[2];
		size_t n = 0;

		for (size_t t = 0; t < 2; t++)
			if (backend_nft_present_named(state, names[t], &present[t], err, errlen) <
			    0)
				return -1;
		if (attempt > 0 && present[0] == listed[0] && present[1] == listed[1])
			return -1; /* err: the deletion's own error */
		listed[0] = present[0];
		listed[1] = present[1];
		for (size_t t = 0; t < 2; t++)
			for (size_t f = 0; f < 2; f++)
				if (present[t] & (1u << f))
					n += (size_t)snprintf(commands + n, sizeof(commands) - n,
							      "delete table %s %s\n", families[f],
							      names[t]);
		if (n == 0 || backend_nft_run(state, 0, commands, NULL, "cannot delete our tables",
					      err, errlen) == 0)
			break;
		if (backend_nft_owned_elsewhere(state, err, errlen) != 0 || attempt > 0)
			return -1;
	}
	free(state->applied_script);
	free(state->applied_listing);
	state->applied_script = state->applied_listing = NULL;
	state->applied_trusted = false;
	state->handover_left = false;
	if (state->owning) {
		state->owned = 0;
		backend_nft_protection_update(state, NULL);
	}
	free(state->baseline.items);
	memset(&state->baseline, 0, sizeof(state->baseline));
	return 0;
}

/* Our tables as nft lists them, counters included (malloc'd). */
static int backend_nft_dump(struct backend *backend, char **text, char *err, size_t errlen)
{
	struct backend_nft_state *state = backend->priv;

	*text = NULL;
	if (state == NULL) {
		error_format(err, errlen, "nft backend is not open");
		return -1;
	}
	return backend_nft_list(state, 0, text, err, errlen);
}

/*
 * Dropped packets and bytes since tjd first installed its tables: for one
 * bridge (the network's in_iface), or for everything when bridge is NULL
 * (which includes frames dropped for a spoofed allow-listed source).
 */
static int backend_nft_counters(struct backend *backend, struct backend_counter *counters,
				size_t count, char *err, size_t errlen)
{
	struct backend_nft_state *state = backend->priv;
	struct backend_tallies current;
	const struct backend_tallies *both[2];

	if (state == NULL) {
		backend_tallies_sum(NULL, 0, counters, count);
		error_format(err, errlen, "nft backend is not open");
		return -1;
	}
	if (backend_nft_collect(state, &current, err, errlen) < 0) {
		backend_tallies_sum(NULL, 0, counters, count);
		return -1;
	}
	both[0] = &current;
	both[1] = &state->baseline;
	backend_tallies_sum(both, 2, counters, count);
	free(current.items);
	return 0;
}

/* The monitor's file descriptor, for the daemon's event loop. */
static int backend_nft_monitor_fd(struct backend *backend)
{
	struct backend_nft_state *state = backend->priv;

	return state != NULL && state->monitor != NULL ? mnl_socket_get_fd(state->monitor) : -1;
}

/* mnl_attr_parse callback: the committing process a NEWGEN event names, in *data. */
static int backend_nft_pid_attribute(const struct nlattr *attribute, void *data)
{
	int64_t *pid = data;

	if (mnl_attr_get_type(attribute) != NFTA_GEN_PROC_PID)
		return MNL_CB_OK;
	if (mnl_attr_validate(attribute, MNL_TYPE_U32) == 0)
		*pid = ntohl(mnl_attr_get_u32(attribute));
	return MNL_CB_STOP;
}

/* Tells whether a NEWGEN event ends a transaction of ours. */
static bool backend_nft_monitor_ours(const struct backend_nft_state *state,
				     const struct nlmsghdr *message)
{
	int64_t pid = -1;

	if (state->own_port_known && message->nlmsg_pid == state->own_port)
		return true;
	/* no pid: cannot tell, so assume someone else */
	(void)mnl_attr_parse(message, sizeof(struct nfgenmsg), backend_nft_pid_attribute, &pid);
	return pid == (int64_t)getpid();
}

/*
 * Reads one event.  Object events of a transaction come first and its
 * NEWGEN last, naming who committed it: returns true when a transaction by
 * anyone but us touched our tables.
 */
static bool backend_nft_monitor_message(struct backend_nft_state *state,
					const struct nlmsghdr *message)
{
	const char *table;
	bool touched;

	if (!backend_nft_event_is(message, NFT_MSG_NEWGEN)) {
		table = backend_nft_event_table(message);
		if (table != NULL && strcmp(table, state->table) == 0)
			state->monitor_touched = true;
		return false;
	}
	touched = state->monitor_touched;
	state->monitor_touched = false;
	return touched && !backend_nft_monitor_ours(state, message);
}

/*
 * Reads pending events, at most BACKEND_NFT_MONITOR_BATCH datagrams; true
 * if someone else changed our tables (or events were lost, when we cannot
 * know).  What is left keeps the socket readable for the next call.
 */
static bool backend_nft_monitor_drain(struct backend *backend)
{
	struct backend_nft_state *state = backend->priv;
	bool foreign = false;

	if (state == NULL || state->monitor == NULL)
		return false;
	for (unsigned int i = 0; i < BACKEND_NFT_MONITOR_BATCH; i++) {
		const struct nlmsghdr *message = (const struct nlmsghdr *)state->monitor_buffer;
		ssize_t got = netlink_receive(state->monitor, state->monitor_buffer,
					      BACKEND_NFT_MONITOR_BUFFER, MSG_DONTWAIT);
		int remaining = (int)got;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* ENOBUFS: the kernel dropped events for us; ENOSPC: one was cut */
			foreign = true;
			if (errno == ENOBUFS || errno == ENOSPC)
				continue;
			break;
		}
		if (got == 0)
			continue; /* not from the kernel */
		if (!netlink_datagram_whole(message, (size_t)got)) {
			foreign = true; /* malformed: we cannot know what it said */
			continue;
		}
		for (; mnl_nlmsg_ok(message, remaining);
		     message = mnl_nlmsg_next(message, &remaining))
			if (backend_nft_monitor_message(state, message))
				foreign = true;
	}
	/*
	 * A change that landed between our commit and the listing taken right
	 * after it would look like ours: distrust that listing, so the next
	 * apply commits whatever it finds.
	 */
	if (foreign) {
		free(state->applied_listing);
		state->applied_listing = NULL;
		state->applied_trusted = false;
	}
	return foreign;
}

/* How our tables are kept from others (static text in the state). */
static const char *backend_nft_protection(const struct backend *backend)
{
	const struct backend_nft_state *state = backend->priv;

	return state != NULL ? state->protection : "nft backend not open";
}

/* For `tjd --clear`: 1 when a running process owns our tables (err says which). */
static int backend_nft_held_elsewhere(struct backend *backend, char *err, size_t errlen)
{
	struct backend_nft_state *state = backend->priv;

	if (state == NULL) {
		error_format(err, errlen, "nft backend is not open");
		return -1;
	}
	return backend_nft_owned_elsewhere(state, err, errlen);
}

/* Frees the state; our tables stay in the kernel (owned ones as orphans, flags persist). */
static void backend_nft_close(struct backend *backend)
{
	backend_nft_state_free(backend->priv);
	backend->priv = NULL;
}

const struct backend_ops backend_nft_ops = {
    .name = "nftables",
    .open = backend_nft_open,
    .apply = backend_nft_apply,
    .clear = backend_nft_clear,
    .dump = backend_nft_dump,
    .close = backend_nft_close,
    .counters = backend_nft_counters,
    .monitor_fd = backend_nft_monitor_fd,
    .monitor_drain = backend_nft_monitor_drain,
    .protection = backend_nft_protection,
    .held_elsewhere = backend_nft_held_elsewhere,
};

const struct backend_ops backend_nft_bridge_ops = {
    .name = "nftables layer 2",
    .open = backend_nft_open,
    .apply = backend_nft_apply,
    .clear = backend_nft_clear,
    .dump = backend_nft_dump,
    .close = backend_nft_close,
    .counters = backend_nft_counters,
    .monitor_fd = backend_nft_monitor_fd,
    .monitor_drain = backend_nft_monitor_drain,
    .protection = backend_nft_protection,
    .held_elsewhere = backend_nft_held_elsewhere,
};
