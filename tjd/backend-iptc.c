/*
 * The legacy x_tables backend: tjd's chains, one jumped to from each of
 * FORWARD (or DOCKER-USER), INPUT and OUTPUT, in the filter table of
 * ip_tables and ip6_tables, written through libiptc / libip6tc.
 *
 * An apply reads each family's table once, compares tjd's chains and jumps
 * with the desired ruleset and, only where they differ, rewrites them in
 * that snapshot and commits it once.  The kernel swaps a whole table per
 * commit, so no packet ever sees a half-written chain.  IPv4 and IPv6 are
 * two tables and therefore two commits; if the second fails, the first
 * table is put back the way it was, so a failed apply changes nothing.
 * The xtables lock (the one iptables takes) is held throughout, so the
 * iptables CLI never races us.
 *
 * The ruleset's named sets are ipsets (tjd/backend-iptc-ipset.h), made to
 * hold their members before the tables are read: a rule's set match holds
 * the set's kernel index, which must exist when the rule goes in.  When
 * only members changed, the sets are refilled and swapped and no table is
 * committed at all.  Sets no rule refers to any more are destroyed after
 * the commit that stops referring to them.
 */
#include "config.h"

#include "common/error.h"
#include "common/text.h"

#include "tjd/backend-iptc-ipset.h"
#include "tjd/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_NFLOG.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_physdev.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

#define BACKEND_IPTC_TABLE "filter"
#define BACKEND_IPTC_DOCKER_USER "DOCKER-USER"
#define BACKEND_IPTC_LOCK_DEFAULT "/run/xtables.lock"
/* 40 tries 50 ms apart: we give up on the lock after about 2 s. */
#define BACKEND_IPTC_LOCK_ATTEMPTS 40
#define BACKEND_IPTC_LOCK_INTERVAL_NS 50000000L
/*
 * Largest entry we build: IPv6 header, tcp, two set matches, physdev, two
 * conntrack matches, comment, limit and the NFLOG target come to about
 * 1300 bytes.
 */
#define BACKEND_IPTC_ENTRY_MAX 2048

_Static_assert(TJD_IFNAMSIZ == IFNAMSIZ, "rule interface names must fit x_tables ones");
_Static_assert(BACKEND_CHAIN_MAX < XT_EXTENSION_MAXNAMELEN,
	       "a chain name must fit a jump target's name");
_Static_assert(RULE_COMMENT_MAX <= XT_MAX_COMMENT_LEN, "comments must fit xt_comment");

/* What the two libiptc flavours and entry layouts differ in. */
struct backend_iptc_family {
	int family;		   /* AF_INET or AF_INET6 */
	const char *name;	   /* "IPv4", for messages */
	const char *tables_file;   /* where the kernel lists this namespace's legacy tables */
	const struct xtc_ops *ops; /* the calls whose types do not name an entry */
	size_t entry_size;	   /* sizeof(struct ipt_entry) or ip6t_entry */
	uint8_t icmp_protocol;
	const char *icmp_match;
	/* REJECT's answers: the family's ICMP port unreachable, and a TCP reset */
	uint32_t reject_port_unreachable;
	uint32_t reject_tcp_reset;
	const void *(*first_rule)(const char *chain, struct xtc_handle *handle);
	const void *(*next_rule)(const void *previous, struct xtc_handle *handle);
	const char *(*get_target)(const void *entry, struct xtc_handle *handle);
	int (*insert_entry)(const char *chain, const void *entry, unsigned int position,
			    struct xtc_handle *handle);
	int (*append_entry)(const char *chain, const void *entry, struct xtc_handle *handle);
	int (*delete_num_entry)(const char *chain, unsigned int position,
				struct xtc_handle *handle);
	int (*delete_chain)(const char *chain, struct xtc_handle *handle);
	int (*get_references)(unsigned int *references, const char *chain,
			      struct xtc_handle *handle);
	/* Writes the address/interface/protocol part and the two offsets. */
	void (*encode_header)(void *entry, const struct rule *rule, uint16_t target_offset,
			      uint16_t next_offset);
	/* Reads that part back; -1 when it uses anything tjd never writes. */
	int (*decode_header)(const void *entry, struct rule *rule);
	void (*entry_offsets)(const void *entry, uint16_t *target_offset, uint16_t *next_offset);
	/* The entry's counters and its input and output interface names. */
	void (*entry_counts)(const void *entry, uint64_t *packets, uint64_t *bytes,
			     const char **in_iface, const char **out_iface);
};

/* Per-backend state behind backend->priv. */
struct backend_iptc_state {
	char lock_path[PATH_MAX];
	/* Opened to clear: which families (IPv4, IPv6) have a legacy filter table at all. */
	bool present[2];
	/* Drops counted by rules a rewrite replaced (new entries start at zero). */
	struct backend_tallies baseline;
};

/* Chain names as the full, zero-padded buffers libiptc's label API takes. */
struct backend_iptc_labels {
	xt_chainlabel chain[RULE_HOOK_COUNT];  /* indexed by enum rule_hook */
	xt_chainlabel parent[RULE_HOOK_COUNT]; /* DOCKER-USER or FORWARD; INPUT; OUTPUT */
};

/* A growable list of chain labels, or of (chain, rule position) pairs. */
struct backend_iptc_places {
	xt_chainlabel *chains;
	unsigned int *positions;
	size_t count;
	size_t capacity;
};

static void backend_iptc_close(struct backend *backend);
struct backend_iptc_labels;
static int backend_iptc_collect(const struct backend_iptc_family *family, struct xtc_handle *handle,
				const struct backend_iptc_labels *labels,
				struct backend_tallies *out);

/* One entry under construction, aligned like the kernel wants it. */
union backend_iptc_entry_buffer {
	struct ipt_entry ipv4;
	struct ip6t_entry ipv6;
	unsigned char bytes[BACKEND_IPTC_ENTRY_MAX];
};

/* libip4tc entry-typed calls, reshaped so both families share one table. */
static const void *backend_iptc_ipv4_first_rule(const char *chain, struct xtc_handle *handle)
{
	return iptc_first_rule(chain, handle);
}

/* See backend_iptc_ipv4_first_rule. */
static const void *backend_iptc_ipv4_next_rule(const void *previous, struct xtc_handle *handle)
{
	return iptc_next_rule(previous, handle);
}

/* See backend_iptc_ipv4_first_rule. */
static const char *backend_iptc_ipv4_get_target(const void *entry, struct xtc_handle *handle)
{
	return iptc_get_target(entry, handle);
}

static void backend_iptc_ipv4_entry_counts(const void *entry, uint64_t *packets, uint64_t *bytes,
					   const char **in_iface, const char **out_iface)
{
	const struct ipt_entry *e = entry;

	*packets = e->counters.pcnt;
	*bytes = e->counters.bcnt;
	*in_iface = e->ip.iniface;
	*out_iface = e->ip.outiface;
}

static void backend_iptc_ipv6_entry_counts(const void *entry, uint64_t *packets, uint64_t *bytes,
					   const char **in_iface, const char **out_iface)
{
	const struct ip6t_entry *e = entry;

	*packets = e->counters.pcnt;
	*bytes = e->counters.bcnt;
	*in_iface = e->ipv6.iniface;
	*out_iface = e->ipv6.outiface;
}

/* See backend_iptc_ipv4_first_rule. */
static int backend_iptc_ipv4_insert_entry(const char *chain, const void *entry,
					  unsigned int position, struct xtc_handle *handle)
{
	return iptc_insert_entry(chain, entry, position, handle);
}

/* See backend_iptc_ipv4_first_rule. */
static int backend_iptc_ipv4_append_entry(const char *chain, const void *entry,
					  struct xtc_handle *handle)
{
	return iptc_append_entry(chain, entry, handle);
}

/* libip6tc entry-typed calls, reshaped like the IPv4 ones. */
static const void *backend_iptc_ipv6_first_rule(const char *chain, struct xtc_handle *handle)
{
	return ip6tc_first_rule(chain, handle);
}

/* See backend_iptc_ipv6_first_rule. */
static const void *backend_iptc_ipv6_next_rule(const void *previous, struct xtc_handle *handle)
{
	return ip6tc_next_rule(previous, handle);
}

/* See backend_iptc_ipv6_first_rule. */
static const char *backend_iptc_ipv6_get_target(const void *entry, struct xtc_handle *handle)
{
	return ip6tc_get_target(entry, handle);
}

/* See backend_iptc_ipv6_first_rule. */
static int backend_iptc_ipv6_insert_entry(const char *chain, const void *entry,
					  unsigned int position, struct xtc_handle *handle)
{
	return ip6tc_insert_entry(chain, entry, position, handle);
}

/* See backend_iptc_ipv6_first_rule. */
static int backend_iptc_ipv6_append_entry(const char *chain, const void *entry,
					  struct xtc_handle *handle)
{
	return ip6tc_append_entry(chain, entry, handle);
}

/* Builds a prefix mask of `size` bytes with `length` leading ones. */
static void backend_iptc_mask(uint8_t *mask, size_t size, unsigned int length)
{
	for (size_t i = 0; i < size; i++) {
		size_t bits = length > 8 * i ? length - 8 * i : 0;
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
	}
}

/* Returns the prefix length of a contiguous mask, or -1 for a gappy one. */
static int backend_iptc_mask_length(const uint8_t *mask, size_t size)
{
	uint8_t expected[sizeof(struct in6_addr)];
	unsigned int length = 0;

	while (length < 8 * size && (mask[length / 8] & (0x80 >> (length % 8))))
		length++;
	backend_iptc_mask(expected, size, length);
	return memcmp(expected, mask, size) == 0 ? (int)length : -1;
}

/* Address bytes of a prefix, whichever family it is. */
static size_t backend_iptc_address_size(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

/* Writes a prefix as x_tables' address + mask pair (zero for "any"). */
static void backend_iptc_encode_prefix(const struct prefix *prefix, void *address, void *mask)
{
	if (prefix->family == 0)
		return;
	memcpy(address, &prefix->addr, backend_iptc_address_size(prefix->family));
	backend_iptc_mask(mask, backend_iptc_address_size(prefix->family), prefix->length);
}

/* Reads an address + mask pair back; -1 unless it is what we would write. */
static int backend_iptc_decode_prefix(int family, const void *address, const void *mask,
				      struct prefix *out)
{
	size_t size = backend_iptc_address_size(family);
	const uint8_t *address_bytes = address;
	const uint8_t *mask_bytes = mask;
	int length = backend_iptc_mask_length(mask_bytes, size);

	memset(out, 0, sizeof(*out));
	if (length < 0)
		return -1;
	for (size_t i = 0; i < size; i++)
		if (address_bytes[i] & (uint8_t)~mask_bytes[i])
			return -1; /* host bits outside the mask: never matches */
	if (length == 0)
		return 0;
	out->family = family;
	out->length = (uint8_t)length;
	memcpy(&out->addr, address, size);
	return 0;
}

/* Writes an exact interface name the way iptables does (mask covers the NUL). */
static void backend_iptc_encode_interface(const char *name, char *field, unsigned char *mask)
{
	size_t length = strlen(name);

	if (length == 0)
		return;
	memcpy(field, name, length);
	memset(mask, 0xff, length + 1);
}

/* Reads an interface match back into `out`; -1 for wildcards or odd masks. */
static int backend_iptc_decode_interface(const char *field, const unsigned char *mask, char *out)
{
	size_t length = strnlen(field, IFNAMSIZ);

	memset(out, 0, TJD_IFNAMSIZ);
	if (length == IFNAMSIZ)
		return -1;
	for (size_t i = 0; i < IFNAMSIZ; i++) {
		unsigned char expected = (length > 0 && i <= length) ? 0xff : 0;
		if (mask[i] != expected || (i >= length && field[i] != '\0'))
			return -1;
	}
	memcpy(out, field, length);
	return 0;
}

/* IPv4 header: addresses, interfaces and protocol of an ipt_entry. */
static void backend_iptc_ipv4_encode_header(void *buffer, const struct rule *rule,
					    uint16_t target_offset, uint16_t next_offset)
{
	struct ipt_entry *entry = buffer;

	backend_iptc_encode_prefix(&rule->src, &entry->ip.src, &entry->ip.smsk);
	backend_iptc_encode_prefix(&rule->dst, &entry->ip.dst, &entry->ip.dmsk);
	backend_iptc_encode_interface(rule->in_iface, entry->ip.iniface, entry->ip.iniface_mask);
	backend_iptc_encode_interface(rule->out_iface, entry->ip.outiface, entry->ip.outiface_mask);
	entry->ip.proto = rule->protocol;
	entry->target_offset = target_offset;
	entry->next_offset = next_offset;
}

/* Reads an ipt_entry header; refuses flags, inversions and wildcards. */
static int backend_iptc_ipv4_decode_header(const void *buffer, struct rule *rule)
{
	const struct ipt_entry *entry = buffer;
	const struct ipt_ip *ip = &entry->ip;

	if (ip->flags != 0 || ip->invflags != 0 || ip->proto > UINT8_MAX)
		return -1;
	if (backend_iptc_decode_prefix(AF_INET, &ip->src, &ip->smsk, &rule->src) < 0 ||
	    backend_iptc_decode_prefix(AF_INET, &ip->dst, &ip->dmsk, &rule->dst) < 0 ||
	    backend_iptc_decode_interface(ip->iniface, ip->iniface_mask, rule->in_iface) < 0 ||
	    backend_iptc_decode_interface(ip->outiface, ip->outiface_mask, rule->out_iface) < 0)
		return -1;
	rule->protocol = (uint8_t)ip->proto;
	return 0;
}

/* Offsets of an ipt_entry. */
static void backend_iptc_ipv4_entry_offsets(const void *buffer, uint16_t *target_offset,
					    uint16_t *next_offset)
{
	const struct ipt_entry *entry = buffer;

	*target_offset = entry->target_offset;
	*next_offset = entry->next_offset;
}

/* IPv6 header: like IPv4, plus the flag that says "proto is set". */
static void backend_iptc_ipv6_encode_header(void *buffer, const struct rule *rule,
					    uint16_t target_offset, uint16_t next_offset)
{
	struct ip6t_entry *entry = buffer;

	backend_iptc_encode_prefix(&rule->src, &entry->ipv6.src, &entry->ipv6.smsk);
	backend_iptc_encode_prefix(&rule->dst, &entry->ipv6.dst, &entry->ipv6.dmsk);
	backend_iptc_encode_interface(rule->in_iface, entry->ipv6.iniface,
				      entry->ipv6.iniface_mask);
	backend_iptc_encode_interface(rule->out_iface, entry->ipv6.outiface,
				      entry->ipv6.outiface_mask);
	if (rule->protocol != 0) {
		entry->ipv6.proto = rule->protocol;
		entry->ipv6.flags |= IP6T_F_PROTO;
	}
	entry->target_offset = target_offset;
	entry->next_offset = next_offset;
}

/* Reads an ip6t_entry header; refuses anything but an optional protocol flag. */
static int backend_iptc_ipv6_decode_header(const void *buffer, struct rule *rule)
{
	const struct ip6t_entry *entry = buffer;
	const struct ip6t_ip6 *ip = &entry->ipv6;
	bool has_protocol = (ip->flags & IP6T_F_PROTO) != 0;

	if ((ip->flags & ~IP6T_F_PROTO) != 0 || ip->invflags != 0 || ip->tos != 0 ||
	    ip->proto > UINT8_MAX || has_protocol != (ip->proto != 0))
		return -1;
	if (backend_iptc_decode_prefix(AF_INET6, &ip->src, &ip->smsk, &rule->src) < 0 ||
	    backend_iptc_decode_prefix(AF_INET6, &ip->dst, &ip->dmsk, &rule->dst) < 0 ||
	    backend_iptc_decode_interface(ip->iniface, ip->iniface_mask, rule->in_iface) < 0 ||
	    backend_iptc_decode_interface(ip->outiface, ip->outiface_mask, rule->out_iface) < 0)
		return -1;
	rule->protocol = (uint8_t)ip->proto;
	return 0;
}

/* Offsets of an ip6t_entry. */
static void backend_iptc_ipv6_entry_offsets(const void *buffer, uint16_t *target_offset,
					    uint16_t *next_offset)
{
	const struct ip6t_entry *entry = buffer;

	*target_offset = entry->target_offset;
	*next_offset = entry->next_offset;
}

/* One field per line; clang-format would indent this table oddly. */
/* clang-format off */
static const struct backend_iptc_family backend_iptc_families[] = {
	{
		.family = AF_INET,
		.name = "IPv4",
		.tables_file = "/proc/thread-self/net/ip_tables_names",
		.ops = &iptc_ops,
		.entry_size = sizeof(struct ipt_entry),
		.icmp_protocol = IPPROTO_ICMP,
		.icmp_match = "icmp",
		.reject_port_unreachable = IPT_ICMP_PORT_UNREACHABLE,
		.reject_tcp_reset = IPT_TCP_RESET,
		.first_rule = backend_iptc_ipv4_first_rule,
		.next_rule = backend_iptc_ipv4_next_rule,
		.get_target = backend_iptc_ipv4_get_target,
		.insert_entry = backend_iptc_ipv4_insert_entry,
		.append_entry = backend_iptc_ipv4_append_entry,
		.delete_num_entry = iptc_delete_num_entry,
		.delete_chain = iptc_delete_chain,
		.get_references = iptc_get_references,
		.encode_header = backend_iptc_ipv4_encode_header,
		.decode_header = backend_iptc_ipv4_decode_header,
		.entry_offsets = backend_iptc_ipv4_entry_offsets,
		.entry_counts = backend_iptc_ipv4_entry_counts,
	},
	{
		.family = AF_INET6,
		.name = "IPv6",
		.tables_file = "/proc/thread-self/net/ip6_tables_names",
		.ops = &ip6tc_ops,
		.entry_size = sizeof(struct ip6t_entry),
		.icmp_protocol = IPPROTO_ICMPV6,
		.icmp_match = "icmp6",
		.reject_port_unreachable = IP6T_ICMP6_PORT_UNREACH,
		.reject_tcp_reset = IP6T_TCP_RESET,
		.first_rule = backend_iptc_ipv6_first_rule,
		.next_rule = backend_iptc_ipv6_next_rule,
		.get_target = backend_iptc_ipv6_get_target,
		.insert_entry = backend_iptc_ipv6_insert_entry,
		.append_entry = backend_iptc_ipv6_append_entry,
		.delete_num_entry = ip6tc_delete_num_entry,
		.delete_chain = ip6tc_delete_chain,
		.get_references = ip6tc_get_references,
		.encode_header = backend_iptc_ipv6_encode_header,
		.decode_header = backend_iptc_ipv6_decode_header,
		.entry_offsets = backend_iptc_ipv6_entry_offsets,
		.entry_counts = backend_iptc_ipv6_entry_counts,
	},
};
/* clang-format on */
#define BACKEND_IPTC_FAMILIES (sizeof(backend_iptc_families) / sizeof(backend_iptc_families[0]))
_Static_assert(BACKEND_IPTC_FAMILIES == sizeof(((struct backend_iptc_state *)0)->present),
	       "one presence flag per family");

/* The family table entry for AF_INET/AF_INET6, or NULL. */
static const struct backend_iptc_family *backend_iptc_family_of(int family)
{
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++)
		if (backend_iptc_families[i].family == family)
			return &backend_iptc_families[i];
	return NULL;
}

/* A hook's name for messages. */
static const char *backend_iptc_hook_name(enum rule_hook hook)
{
	switch (hook) {
	case RULE_HOOK_FORWARD:
		return "FORWARD";
	case RULE_HOOK_INPUT:
		return "INPUT";
	case RULE_HOOK_OUTPUT:
		return "OUTPUT";
	}
	return "unknown hook";
}

/* Tells whether a fixed-size string field holds a NUL. */
static bool backend_iptc_terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

/* Copies a prefix keeping only the bits its mask keeps; /0 becomes "any". */
static int backend_iptc_canonical_prefix(int family, const struct prefix *in, struct prefix *out)
{
	uint8_t mask[sizeof(struct in6_addr)];
	uint8_t *bytes = (uint8_t *)&out->addr;
	size_t size;

	memset(out, 0, sizeof(*out));
	if (in->family == 0)
		return 0;
	if (in->family != family || in->length > 8 * backend_iptc_address_size(family))
		return -1;
	if (in->length == 0)
		return 0;
	size = backend_iptc_address_size(family);
	out->family = family;
	out->length = in->length;
	memcpy(&out->addr, &in->addr, size);
	backend_iptc_mask(mask, size, in->length);
	for (size_t i = 0; i < size; i++)
		bytes[i] &= mask[i];
	return 0;
}

/*
 * Checks a rule and writes the one form the kernel gives back: zeroed
 * padding, masked prefixes, no stray icmp type.  Comparing canonical rules
 * is what keeps an unchanged ruleset from being rewritten on every apply.
 */
static int backend_iptc_canonical_rule(const struct rule *in, struct rule *out, char *why,
				       size_t whylen)
{
	const struct backend_iptc_family *family = backend_iptc_family_of(in->family);

	memset(out, 0, sizeof(*out));
	if (family == NULL) {
		error_format(why, whylen, "unknown address family %d", in->family);
		return -1;
	}
	if ((unsigned)in->hook >= RULE_HOOK_COUNT) {
		error_format(why, whylen, "unknown hook %d", (int)in->hook);
		return -1;
	}
	if (in->verdict != RULE_RETURN && in->verdict != RULE_DROP && in->verdict != RULE_REJECT &&
	    in->verdict != RULE_LOG) {
		error_format(why, whylen, "unknown verdict %d", (int)in->verdict);
		return -1;
	}
	if (!backend_iptc_terminated(in->in_iface, TJD_IFNAMSIZ) ||
	    !backend_iptc_terminated(in->out_iface, TJD_IFNAMSIZ) ||
	    !backend_iptc_terminated(in->physdev_in, TJD_IFNAMSIZ)) {
		error_format(why, whylen, "interface name longer than %d characters",
			     TJD_IFNAMSIZ - 1);
		return -1;
	}
	if (backend_iptc_canonical_prefix(in->family, &in->src, &out->src) < 0 ||
	    backend_iptc_canonical_prefix(in->family, &in->dst, &out->dst) < 0) {
		error_format(why, whylen, "address of the wrong family or bad prefix length");
		return -1;
	}
	if (in->ctstate & ~(RULE_CT_NEW | RULE_CT_ESTABLISHED | RULE_CT_RELATED)) {
		error_format(why, whylen, "unknown conntrack state bits 0x%x", in->ctstate);
		return -1;
	}
	if (in->has_icmp_type && in->protocol != family->icmp_protocol) {
		error_format(why, whylen, "an icmp type needs protocol %u on %s",
			     family->icmp_protocol, family->name);
		return -1;
	}
	if (in->tcp_not_syn && in->protocol != IPPROTO_TCP) {
		error_format(why, whylen, "TCP flags need protocol TCP");
		return -1;
	}
	if ((in->sport_last != 0 || in->dport_last != 0) && in->protocol != IPPROTO_TCP &&
	    in->protocol != IPPROTO_UDP) {
		error_format(why, whylen,
			     "ports need protocol TCP or UDP here (the legacy tables "
			     "have no SCTP port match in tjd)");
		return -1;
	}
	if ((in->sport_last != 0 && (in->sport_first == 0 || in->sport_first > in->sport_last)) ||
	    (in->sport_last == 0 && in->sport_first != 0) ||
	    (in->dport_last != 0 && (in->dport_first == 0 || in->dport_first > in->dport_last)) ||
	    (in->dport_last == 0 && in->dport_first != 0)) {
		error_format(why, whylen, "port range out of order or with port 0");
		return -1;
	}
	if ((in->ct_dport_last != 0 || in->ct_dport_first != 0) &&
	    !rule_protocol_has_ports(in->protocol)) {
		error_format(why, whylen,
			     "a connection's original destination port needs protocol TCP, UDP "
			     "or SCTP");
		return -1;
	}
	if ((in->ct_dport_last != 0 &&
	     (in->ct_dport_first == 0 || in->ct_dport_first > in->ct_dport_last)) ||
	    (in->ct_dport_last == 0 && in->ct_dport_first != 0)) {
		error_format(why, whylen,
			     "original destination port range out of order or with port 0");
		return -1;
	}
	if (!backend_iptc_terminated(in->src_set, RULE_SET_NAME_MAX) ||
	    !backend_iptc_terminated(in->dst_set, RULE_SET_NAME_MAX) ||
	    (in->src_set[0] != '\0' && !rule_set_name_valid(in->src_set)) ||
	    (in->dst_set[0] != '\0' && !rule_set_name_valid(in->dst_set))) {
		error_format(why, whylen,
			     "a set name must be a letter and up to %d more letters, digits, "
			     "'_' or '-'",
			     RULE_SET_NAME_MAX - 2);
		return -1;
	}
	if ((in->src_set[0] != '\0' && out->src.family != 0) ||
	    (in->dst_set[0] != '\0' && out->dst.family != 0)) {
		error_format(why, whylen, "an address side has a set or a prefix, not both");
		return -1;
	}
	if (!backend_iptc_terminated(in->comment, RULE_COMMENT_MAX)) {
		error_format(why, whylen, "comment longer than %d characters",
			     RULE_COMMENT_MAX - 1);
		return -1;
	}
	if (!text_is_printable(in->comment, strlen(in->comment))) {
		error_format(why, whylen, "comment is not printable ASCII");
		return -1;
	}
	out->family = in->family;
	out->hook = in->hook;
	strcpy(out->in_iface, in->in_iface);
	strcpy(out->out_iface, in->out_iface);
	strcpy(out->physdev_in, in->physdev_in);
	out->ctstate = in->ctstate;
	out->protocol = in->protocol;
	out->has_icmp_type = in->has_icmp_type;
	out->icmp_type = in->has_icmp_type ? in->icmp_type : 0;
	out->tcp_not_syn = in->tcp_not_syn;
	out->sport_first = in->sport_first;
	out->sport_last = in->sport_last;
	out->dport_first = in->dport_first;
	out->dport_last = in->dport_last;
	out->ct_dnat = in->ct_dnat;
	out->ct_dport_first = in->ct_dport_first;
	out->ct_dport_last = in->ct_dport_last;
	strcpy(out->src_set, in->src_set);
	strcpy(out->dst_set, in->dst_set);
	out->verdict = in->verdict;
	strcpy(out->comment, in->comment);
	return 0;
}

/* `-p tcp ! --syn`: any ports, flags & (FIN|SYN|RST|ACK) != SYN. */
static const struct xt_tcp backend_iptc_not_syn = {
    .spts = {0, 0xffff},
    .dpts = {0, 0xffff},
    .flg_mask = 0x01 | 0x02 | 0x04 | 0x10,
    .flg_cmp = 0x02,
    .invflags = XT_TCP_INV_FLAGS,
};

/* A rule's port range in the tcp/udp match's encoding: any port is 0..65535. */
static void backend_iptc_port_range(uint16_t first, uint16_t last, uint16_t out[2])
{
	out[0] = last != 0 ? first : 0;
	out[1] = last != 0 ? last : 0xffff;
}

/* Ends an entry under construction with a target and its payload; 0, or -1 when it is full. */
static int backend_iptc_put_target(const struct backend_iptc_family *family,
				   union backend_iptc_entry_buffer *buffer, const struct rule *rule,
				   size_t offset, const char *name, const void *payload,
				   size_t payload_size)
{
	size_t size = XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(payload_size);
	struct xt_entry_target *target;

	if (offset + size > sizeof(buffer->bytes))
		return -1;
	target = (struct xt_entry_target *)(buffer->bytes + offset);
	target->u.user.target_size = (uint16_t)size;
	snprintf(target->u.user.name, sizeof(target->u.user.name), "%s", name);
	memcpy(target->data, payload, payload_size);
	family->encode_header(buffer, rule, (uint16_t)offset, (uint16_t)(offset + size));
	return 0;
}

/* Appends one match (header + payload) to an entry under construction. */
static int backend_iptc_put_match(union backend_iptc_entry_buffer *buffer, size_t *offset,
				  const char *name, uint8_t revision, const void *payload,
				  size_t payload_size)
{
	size_t size = XT_ALIGN(sizeof(struct xt_entry_match)) + XT_ALIGN(payload_size);
	struct xt_entry_match *match;

	if (*offset + size > sizeof(buffer->bytes))
		return -1;
	match = (struct xt_entry_match *)(buffer->bytes + *offset);
	match->u.user.match_size = (uint16_t)size;
	snprintf(match->u.user.name, sizeof(match->u.user.name), "%s", name);
	match->u.user.revision = revision;
	memcpy(match->data, payload, payload_size);
	*offset += size;
	return 0;
}

/* Conntrack state bits in xt_conntrack's encoding. */
static uint16_t backend_iptc_state_mask(uint8_t ctstate)
{
	uint16_t mask = 0;

	if (ctstate & RULE_CT_NEW)
		mask |= XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
	if (ctstate & RULE_CT_ESTABLISHED)
		mask |= XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
	if (ctstate & RULE_CT_RELATED)
		mask |= XT_CONNTRACK_STATE_BIT(IP_CT_RELATED);
	return mask;
}

/*
 * Appends an xt set match on the source or the destination address:
 * revision 4, the one iptables writes, with no counter conditions, so
 * iptables-save shows it (iptables 1.8.9 prints revision 1 as
 * "[unsupported revision]") and iptables-restore gives back the same
 * bytes.  -1 when the set has no kernel index or the entry is full.
 */
static int backend_iptc_put_set(union backend_iptc_entry_buffer *buffer, size_t *offset,
				struct backend_iptc_ipset *sets, const char *name, bool source)
{
	struct xt_set_info_match_v4 info;
	uint16_t index;

	if (sets == NULL || backend_iptc_ipset_index(sets, name, &index, NULL, 0) < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	info.match_set.index = index;
	info.match_set.dim = IPSET_DIM_ONE;
	info.match_set.flags = source ? IPSET_DIM_ONE_SRC : 0;
	return backend_iptc_put_match(buffer, offset, "set", 4, &info, sizeof(info));
}

/*
 * The conntrack match of a rule's DNAT and original-port conditions, apart
 * from the one of its states: one match's state bits are any-of, so DNAT
 * among them would mean NEW or DNAT.  DNAT is the kernel's state bit for
 * the DST_NAT status (iptables: --ctstate DNAT).  Not the status mask:
 * iptables names no DNAT status, so iptables-save would print an empty
 * --ctstatus that iptables-restore refuses.
 */
static void backend_iptc_dnat_match(const struct rule *rule, struct xt_conntrack_mtinfo3 *out)
{
	memset(out, 0, sizeof(*out));
	if (rule->ct_dnat) {
		out->match_flags |= XT_CONNTRACK_STATE;
		out->state_mask = XT_CONNTRACK_STATE_DNAT;
	}
	if (rule->ct_dport_last != 0) {
		/* revision 3 takes the range in host order; the port needs its protocol */
		out->match_flags |= XT_CONNTRACK_PROTO | XT_CONNTRACK_ORIGDST_PORT;
		out->l4proto = rule->protocol;
		out->origdst_port = rule->ct_dport_first;
		out->origdst_port_high = rule->ct_dport_last;
	}
}

/*
 * Builds the entry for a canonical rule, or for a plain jump when
 * `jump_to` is set; `sets` gives the set matches their kernel indices.
 * Matches go in the order iptables-save prints them in ruleset_format:
 * icmp or tcp, set, physdev, conntrack, comment.  The conditions on a
 * connection's states come in a conntrack match of their own, as before
 * there were others, so rules written then read back unchanged.
 */
static int backend_iptc_encode(const struct backend_iptc_family *family, const struct rule *rule,
			       const char *jump_to, struct backend_iptc_ipset *sets,
			       union backend_iptc_entry_buffer *buffer)
{
	size_t offset = family->entry_size;
	size_t target_size = XT_ALIGN(sizeof(struct xt_standard_target));
	struct xt_standard_target *target;
	const char *target_name;

	memset(buffer, 0, sizeof(*buffer));
	if (rule->has_icmp_type) {
		/* ipt_icmp and ip6t_icmp share one layout: type, code range, flags */
		struct ipt_icmp icmp = {.type = rule->icmp_type, .code = {0, 0xff}};
		if (backend_iptc_put_match(buffer, &offset, family->icmp_match, 0, &icmp,
					   sizeof(icmp)) < 0)
			return -1;
	}
	if (rule->protocol == IPPROTO_TCP &&
	    (rule->tcp_not_syn || rule->sport_last != 0 || rule->dport_last != 0)) {
		struct xt_tcp tcp;

		memset(&tcp, 0, sizeof(tcp));
		if (rule->tcp_not_syn)
			tcp = backend_iptc_not_syn;
		backend_iptc_port_range(rule->sport_first, rule->sport_last, tcp.spts);
		backend_iptc_port_range(rule->dport_first, rule->dport_last, tcp.dpts);
		if (backend_iptc_put_match(buffer, &offset, "tcp", 0, &tcp, sizeof(tcp)) < 0)
			return -1;
	} else if (rule->protocol == IPPROTO_UDP &&
		   (rule->sport_last != 0 || rule->dport_last != 0)) {
		struct xt_udp udp;

		memset(&udp, 0, sizeof(udp));
		backend_iptc_port_range(rule->sport_first, rule->sport_last, udp.spts);
		backend_iptc_port_range(rule->dport_first, rule->dport_last, udp.dpts);
		if (backend_iptc_put_match(buffer, &offset, "udp", 0, &udp, sizeof(udp)) < 0)
			return -1;
	}
	if (rule->src_set[0] != '\0' &&
	    backend_iptc_put_set(buffer, &offset, sets, rule->src_set, true) < 0)
		return -1;
	if (rule->dst_set[0] != '\0' &&
	    backend_iptc_put_set(buffer, &offset, sets, rule->dst_set, false) < 0)
		return -1;
	if (rule->physdev_in[0] != '\0') {
		struct xt_physdev_info physdev = {.bitmask = XT_PHYSDEV_OP_IN};
		backend_iptc_encode_interface(rule->physdev_in, physdev.physindev,
					      (unsigned char *)physdev.in_mask);
		if (backend_iptc_put_match(buffer, &offset, "physdev", 0, &physdev,
					   sizeof(physdev)) < 0)
			return -1;
	}
	if (rule->ctstate != 0) {
		struct xt_conntrack_mtinfo3 conntrack = {
		    .match_flags = XT_CONNTRACK_STATE,
		    .state_mask = backend_iptc_state_mask(rule->ctstate),
		};
		if (backend_iptc_put_match(buffer, &offset, "conntrack", 3, &conntrack,
					   sizeof(conntrack)) < 0)
			return -1;
	}
	if (rule->ct_dnat || rule->ct_dport_last != 0) {
		struct xt_conntrack_mtinfo3 conntrack;

		backend_iptc_dnat_match(rule, &conntrack);
		if (backend_iptc_put_match(buffer, &offset, "conntrack", 3, &conntrack,
					   sizeof(conntrack)) < 0)
			return -1;
	}
	if (rule->comment[0] != '\0') {
		struct xt_comment_info comment;
		memset(&comment, 0, sizeof(comment));
		strcpy(comment.comment, rule->comment);
		if (backend_iptc_put_match(buffer, &offset, "comment", 0, &comment,
					   sizeof(comment)) < 0)
			return -1;
	}
	if (jump_to == NULL && rule->verdict == RULE_LOG) {
		/* the limit match last, so that it counts only the packets the rest matched */
		struct xt_rateinfo limit;
		struct xt_nflog_info nflog;

		memset(&limit, 0, sizeof(limit));
		limit.avg = XT_LIMIT_SCALE / RULE_LOG_RATE;
		limit.burst = RULE_LOG_BURST;
		if (backend_iptc_put_match(buffer, &offset, "limit", 0, &limit, sizeof(limit)) < 0)
			return -1;
		memset(&nflog, 0, sizeof(nflog));
		nflog.group = RULE_LOG_GROUP;
		/* threshold 0, iptables' default: the reader's own queue threshold applies */
		snprintf(nflog.prefix, sizeof(nflog.prefix), "%s", rule->comment);
		return backend_iptc_put_target(family, buffer, rule, offset, "NFLOG", &nflog,
					       sizeof(nflog));
	}
	if (jump_to == NULL && rule->verdict == RULE_REJECT) {
		/* REJECT's payload is one 32-bit answer code in both families */
		uint32_t with = rule->protocol == IPPROTO_TCP ? family->reject_tcp_reset
							      : family->reject_port_unreachable;

		return backend_iptc_put_target(family, buffer, rule, offset, "REJECT", &with,
					       sizeof(with));
	}
	if (offset + target_size > sizeof(buffer->bytes))
		return -1;
	target = (struct xt_standard_target *)(buffer->bytes + offset);
	target->target.u.user.target_size = (uint16_t)target_size;
	if (jump_to != NULL)
		target_name = jump_to;
	else
		target_name = rule->verdict == RULE_DROP ? IPTC_LABEL_DROP : IPTC_LABEL_RETURN;
	snprintf(target->target.u.user.name, sizeof(target->target.u.user.name), "%s", target_name);
	family->encode_header(buffer, rule, (uint16_t)offset, (uint16_t)(offset + target_size));
	return 0;
}

/* Reads a port range back from the tcp/udp match's encoding; -1 for an empty one. */
static int backend_iptc_decode_ports(const uint16_t in[2], uint16_t *first, uint16_t *last)
{
	if (in[0] == 0 && in[1] == 0xffff) {
		*first = *last = 0;
		return 0;
	}
	if (in[0] == 0 || in[0] > in[1])
		return -1;
	*first = in[0];
	*last = in[1];
	return 0;
}

/* Reads conntrack state bits back; -1 for bits tjd never sets. */
static int backend_iptc_decode_state_mask(uint16_t mask, uint8_t *ctstate)
{
	*ctstate = 0;
	if (mask & XT_CONNTRACK_STATE_BIT(IP_CT_NEW))
		*ctstate |= RULE_CT_NEW;
	if (mask & XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED))
		*ctstate |= RULE_CT_ESTABLISHED;
	if (mask & XT_CONNTRACK_STATE_BIT(IP_CT_RELATED))
		*ctstate |= RULE_CT_RELATED;
	return backend_iptc_state_mask(*ctstate) == mask ? 0 : -1;
}

/*
 * Reads a set match back: the set at its index must be one of this
 * backend's live sets (its ruleset name goes into the rule); -1 otherwise.
 */
static int backend_iptc_decode_set(const struct xt_set_info_match_v4 *info,
				   struct backend_iptc_ipset *sets, struct rule *rule)
{
	bool source = info->match_set.flags == IPSET_DIM_ONE_SRC;
	char *side = source ? rule->src_set : rule->dst_set;

	if (sets == NULL || info->match_set.dim != IPSET_DIM_ONE ||
	    (info->match_set.flags != 0 && !source) || side[0] != '\0')
		return -1;
	return backend_iptc_ipset_name(sets, info->match_set.index, side);
}

/*
 * Reads a conntrack match back: the one of the connection's states, or
 * the one of DNAT and the original destination port after it; -1 for
 * anything else.
 */
static int backend_iptc_decode_conntrack(const struct xt_conntrack_mtinfo3 *conntrack,
					 struct rule *rule)
{
	bool dnat_match = (conntrack->match_flags & XT_CONNTRACK_ORIGDST_PORT) != 0 ||
			  ((conntrack->match_flags & XT_CONNTRACK_STATE) != 0 &&
			   conntrack->state_mask == XT_CONNTRACK_STATE_DNAT);

	/* the states' match comes first, at most one of each; the re-encoding checks the rest */
	if (rule->ct_dnat || rule->ct_dport_last != 0)
		return -1;
	if (dnat_match) {
		rule->ct_dnat = (conntrack->match_flags & XT_CONNTRACK_STATE) != 0;
		if (conntrack->match_flags & XT_CONNTRACK_ORIGDST_PORT) {
			rule->ct_dport_first = conntrack->origdst_port;
			rule->ct_dport_last = conntrack->origdst_port_high;
		}
		return rule->ct_dnat || rule->ct_dport_last != 0 ? 0 : -1;
	}
	if (rule->ctstate != 0 ||
	    backend_iptc_decode_state_mask(conntrack->state_mask, &rule->ctstate) < 0)
		return -1;
	return rule->ctstate != 0 ? 0 : -1;
}

/* Fills the rule field one match stands for; -1 for a match tjd never writes. */
static int backend_iptc_decode_match(const struct backend_iptc_family *family,
				     const struct xt_entry_match *match,
				     struct backend_iptc_ipset *sets, struct rule *rule)
{
	size_t payload = match->u.match_size - XT_ALIGN(sizeof(*match));
	const char *name = match->u.user.name;
	uint8_t revision = match->u.user.revision;

	if (!backend_iptc_terminated(name, sizeof(match->u.user.name)))
		return -1;
	if (strcmp(name, family->icmp_match) == 0 && revision == 0 &&
	    payload == XT_ALIGN(sizeof(struct ipt_icmp)) && !rule->has_icmp_type) {
		const struct ipt_icmp *icmp = (const void *)match->data;
		rule->has_icmp_type = true;
		rule->icmp_type = icmp->type;
		return 0;
	}
	if (strcmp(name, "tcp") == 0 && revision == 0 &&
	    payload == XT_ALIGN(sizeof(struct xt_tcp)) && !rule->tcp_not_syn &&
	    rule->sport_last == 0 && rule->dport_last == 0) {
		const struct xt_tcp *tcp = (const void *)match->data;
		const struct xt_tcp *want = &backend_iptc_not_syn;
		bool not_syn = tcp->flg_mask != 0 || tcp->flg_cmp != 0 || tcp->invflags != 0;

		/* field by field: the kernel gives the struct's padding back as it got it */
		if (tcp->option != 0 ||
		    (not_syn && (tcp->flg_mask != want->flg_mask || tcp->flg_cmp != want->flg_cmp ||
				 tcp->invflags != want->invflags)) ||
		    backend_iptc_decode_ports(tcp->spts, &rule->sport_first, &rule->sport_last) <
			0 ||
		    backend_iptc_decode_ports(tcp->dpts, &rule->dport_first, &rule->dport_last) < 0)
			return -1;
		rule->tcp_not_syn = not_syn;
		/* a tcp match that matches everything is not one tjd writes */
		return not_syn || rule->sport_last != 0 || rule->dport_last != 0 ? 0 : -1;
	}
	if (strcmp(name, "udp") == 0 && revision == 0 &&
	    payload == XT_ALIGN(sizeof(struct xt_udp)) && rule->sport_last == 0 &&
	    rule->dport_last == 0) {
		const struct xt_udp *udp = (const void *)match->data;

		if (udp->invflags != 0 ||
		    backend_iptc_decode_ports(udp->spts, &rule->sport_first, &rule->sport_last) <
			0 ||
		    backend_iptc_decode_ports(udp->dpts, &rule->dport_first, &rule->dport_last) < 0)
			return -1;
		return rule->sport_last != 0 || rule->dport_last != 0 ? 0 : -1;
	}
	if (strcmp(name, "physdev") == 0 && revision == 0 &&
	    payload == XT_ALIGN(sizeof(struct xt_physdev_info)) && rule->physdev_in[0] == '\0') {
		const struct xt_physdev_info *physdev = (const void *)match->data;
		if (!backend_iptc_terminated(physdev->physindev, IFNAMSIZ))
			return -1;
		memcpy(rule->physdev_in, physdev->physindev, IFNAMSIZ);
		return rule->physdev_in[0] != '\0' ? 0 : -1;
	}
	if (strcmp(name, "set") == 0 && revision == 4 &&
	    payload == XT_ALIGN(sizeof(struct xt_set_info_match_v4)))
		return backend_iptc_decode_set((const void *)match->data, sets, rule);
	if (strcmp(name, "conntrack") == 0 && revision == 3 &&
	    payload == XT_ALIGN(sizeof(struct xt_conntrack_mtinfo3)))
		return backend_iptc_decode_conntrack((const void *)match->data, rule);
	/* its rate and burst are checked against the re-encoding, as the verdict is */
	if (strcmp(name, "limit") == 0 && revision == 0 &&
	    payload == XT_ALIGN(sizeof(struct xt_rateinfo)))
		return 0;
	if (strcmp(name, "comment") == 0 && revision == 0 &&
	    payload == XT_ALIGN(sizeof(struct xt_comment_info)) && rule->comment[0] == '\0') {
		const struct xt_comment_info *comment = (const void *)match->data;
		if (strnlen(comment->comment, XT_MAX_COMMENT_LEN) >= RULE_COMMENT_MAX)
			return -1;
		strcpy(rule->comment, comment->comment);
		return rule->comment[0] != '\0' ? 0 : -1;
	}
	return -1;
}

/*
 * Compares the matches of two entries by size, name, revision and payload.
 * Not byte-wise: the kernel only writes a match name up to its NUL, and
 * libiptc reads entries into a buffer it never clears, so the bytes after
 * the NUL are whatever was in memory.
 */
static bool backend_iptc_same_matches(const unsigned char *a, const unsigned char *b, size_t start,
				      size_t end)
{
	for (size_t offset = start; offset < end;) {
		const struct xt_entry_match *left = (const void *)(a + offset);
		const struct xt_entry_match *right = (const void *)(b + offset);
		size_t header = XT_ALIGN(sizeof(*left));

		if (left->u.match_size != right->u.match_size || left->u.match_size < header ||
		    left->u.match_size > end - offset ||
		    strncmp(left->u.user.name, right->u.user.name, sizeof(left->u.user.name)) !=
			0 ||
		    left->u.user.revision != right->u.user.revision ||
		    memcmp(left->data, right->data, left->u.match_size - header) != 0)
			return false;
		offset += left->u.match_size;
	}
	return true;
}

/*
 * Reads one kernel entry back into a rule.  Only entries byte-for-byte
 * equal to what backend_iptc_encode writes are accepted; anything else
 * (a foreign match, an inverted test, a wildcard) returns -1 and counts as
 * drift, so it gets rewritten rather than silently misread.
 */
static int backend_iptc_decode(const struct backend_iptc_family *family, struct xtc_handle *handle,
			       struct backend_iptc_ipset *sets, const void *entry,
			       enum rule_hook hook, struct rule *out)
{
	union backend_iptc_entry_buffer expected;
	const unsigned char *bytes = entry;
	uint16_t target_offset, next_offset, expected_target_offset, expected_next_offset;
	struct rule rule;
	const char *target;
	size_t offset;

	memset(&rule, 0, sizeof(rule));
	rule.family = family->family;
	rule.hook = hook;
	family->entry_offsets(entry, &target_offset, &next_offset);
	if (target_offset < family->entry_size || target_offset > next_offset)
		return -1;
	if (family->decode_header(entry, &rule) < 0)
		return -1;
	for (offset = family->entry_size; offset < target_offset;) {
		const struct xt_entry_match *match = (const void *)(bytes + offset);
		if (target_offset - offset < sizeof(*match) ||
		    match->u.match_size < XT_ALIGN(sizeof(*match)) ||
		    match->u.match_size > target_offset - offset)
			return -1;
		if (backend_iptc_decode_match(family, match, sets, &rule) < 0)
			return -1;
		offset += match->u.match_size;
	}
	target = family->get_target(entry, handle);
	if (target != NULL && strcmp(target, IPTC_LABEL_DROP) == 0)
		rule.verdict = RULE_DROP;
	else if (target != NULL && strcmp(target, IPTC_LABEL_RETURN) == 0)
		rule.verdict = RULE_RETURN;
	else if (target != NULL && strcmp(target, "REJECT") == 0)
		rule.verdict = RULE_REJECT;
	else if (target != NULL && strcmp(target, "NFLOG") == 0)
		rule.verdict = RULE_LOG;
	else
		return -1;
	if (backend_iptc_canonical_rule(&rule, out, NULL, 0) < 0)
		return -1;
	if (backend_iptc_encode(family, out, NULL, sets, &expected) < 0)
		return -1;
	family->entry_offsets(&expected, &expected_target_offset, &expected_next_offset);
	if (expected_target_offset != target_offset || expected_next_offset != next_offset)
		return -1;
	/* the matches must be exactly ours: no extra flags, ranges or bytes */
	if (!backend_iptc_same_matches(expected.bytes, bytes, family->entry_size, target_offset))
		return -1;
	/* and REJECT's answer, NFLOG's group and prefix the ones tjd asks for */
	if ((rule.verdict == RULE_REJECT || rule.verdict == RULE_LOG) &&
	    memcmp(((const struct xt_entry_target *)(expected.bytes + target_offset))->data,
		   ((const struct xt_entry_target *)(bytes + target_offset))->data,
		   rule.verdict == RULE_REJECT ? sizeof(uint32_t) : sizeof(struct xt_nflog_info)) !=
		0)
		return -1;
	return 0;
}

/* Tells whether an entry is an unconditional jump to `chain` and nothing else. */
static bool backend_iptc_is_plain_jump(const struct backend_iptc_family *family,
				       struct xtc_handle *handle, const void *entry,
				       const char *chain)
{
	union backend_iptc_entry_buffer expected;
	uint16_t target_offset, next_offset, expected_target_offset, expected_next_offset;
	struct rule header;
	struct rule any;
	const char *target;

	memset(&header, 0, sizeof(header));
	memset(&any, 0, sizeof(any));
	family->entry_offsets(entry, &target_offset, &next_offset);
	if (backend_iptc_encode(family, &any, chain, NULL, &expected) < 0)
		return false;
	family->entry_offsets(&expected, &expected_target_offset, &expected_next_offset);
	if (target_offset != expected_target_offset || next_offset != expected_next_offset)
		return false;
	if (family->decode_header(entry, &header) < 0 || header.src.family != 0 ||
	    header.dst.family != 0 || header.in_iface[0] != '\0' || header.out_iface[0] != '\0' ||
	    header.protocol != 0)
		return false;
	target = family->get_target(entry, handle);
	return target != NULL && strcmp(target, chain) == 0;
}

/* Makes room for one more place in the list; -1 when out of memory. */
static int backend_iptc_places_grow(struct backend_iptc_places *places)
{
	size_t capacity;
	xt_chainlabel *chains;
	unsigned int *positions;

	if (places->count < places->capacity)
		return 0;
	capacity = places->capacity ? places->capacity * 2 : 16;
	chains = reallocarray(places->chains, capacity, sizeof(*chains));
	if (chains == NULL)
		return -1;
	places->chains = chains;
	positions = reallocarray(places->positions, capacity, sizeof(*positions));
	if (positions == NULL)
		return -1;
	places->positions = positions;
	places->capacity = capacity;
	return 0;
}

/* Records a chain (and a rule position in it); -1 when out of memory. */
static int backend_iptc_places_add(struct backend_iptc_places *places, const char *chain,
				   unsigned int position)
{
	if (backend_iptc_places_grow(places) < 0)
		return -1;
	memset(places->chains[places->count], 0, sizeof(xt_chainlabel));
	snprintf(places->chains[places->count], sizeof(xt_chainlabel), "%s", chain);
	places->positions[places->count] = position;
	places->count++;
	return 0;
}

/* Tells whether the list names `chain`. */
static bool backend_iptc_places_has(const struct backend_iptc_places *places, const char *chain)
{
	for (size_t i = 0; i < places->count; i++)
		if (strcmp(places->chains[i], chain) == 0)
			return true;
	return false;
}

/* Frees the list. */
static void backend_iptc_places_free(struct backend_iptc_places *places)
{
	free(places->chains);
	free(places->positions);
	memset(places, 0, sizeof(*places));
}

/* Lists every chain of a table, built-in ones included. */
static int backend_iptc_list_chains(const struct backend_iptc_family *family,
				    struct xtc_handle *handle, struct backend_iptc_places *out)
{
	for (const char *chain = family->ops->first_chain(handle); chain != NULL;
	     chain = family->ops->next_chain(handle))
		if (backend_iptc_places_add(out, chain, 0) < 0)
			return -1;
	return 0;
}

/* The chain our jump for `hook` belongs in: DOCKER-USER when it exists. */
static const char *backend_iptc_parent(const struct backend_iptc_family *family,
				       struct xtc_handle *handle, enum rule_hook hook)
{
	if (hook == RULE_HOOK_INPUT)
		return "INPUT";
	if (hook == RULE_HOOK_OUTPUT)
		return "OUTPUT";
	if (family->ops->is_chain(BACKEND_IPTC_DOCKER_USER, handle) &&
	    !family->ops->builtin(BACKEND_IPTC_DOCKER_USER, handle))
		return BACKEND_IPTC_DOCKER_USER;
	return "FORWARD";
}

/* Fills the zero-padded chain labels for this table. */
static void backend_iptc_labels_init(const struct backend_iptc_family *family,
				     struct xtc_handle *handle, const struct backend *backend,
				     struct backend_iptc_labels *labels)
{
	memset(labels, 0, sizeof(*labels));
	snprintf(labels->chain[RULE_HOOK_FORWARD], sizeof(xt_chainlabel), "%s",
		 backend->chain_forward);
	snprintf(labels->chain[RULE_HOOK_INPUT], sizeof(xt_chainlabel), "%s", backend->chain_input);
	snprintf(labels->chain[RULE_HOOK_OUTPUT], sizeof(xt_chainlabel), "%s",
		 backend->chain_output);
	for (int hook = RULE_HOOK_FORWARD; hook < RULE_HOOK_COUNT; hook++)
		snprintf(labels->parent[hook], sizeof(xt_chainlabel), "%s",
			 backend_iptc_parent(family, handle, (enum rule_hook)hook));
}

/*
 * Reads one of our chains into `out` (appending); entries that are not
 * tjd's own are counted in *unparsed.  An absent chain reads as empty.
 */
static int backend_iptc_read_chain(const struct backend_iptc_family *family,
				   struct xtc_handle *handle, struct backend_iptc_ipset *sets,
				   const char *chain, enum rule_hook hook, struct ruleset *out,
				   size_t *unparsed)
{
	if (!family->ops->is_chain(chain, handle))
		return 0;
	for (const void *entry = family->first_rule(chain, handle); entry != NULL;
	     entry = family->next_rule(entry, handle)) {
		struct rule rule;
		struct rule *slot;
		if (backend_iptc_decode(family, handle, sets, entry, hook, &rule) < 0) {
			(*unparsed)++;
			continue;
		}
		slot = ruleset_add(out);
		if (slot == NULL)
			return -1;
		*slot = rule;
	}
	return 0;
}

/*
 * Tells whether this table already holds exactly `desired` (canonical) in
 * our chains, with each jump first in its parent and the only reference.
 */
static int backend_iptc_in_sync(const struct backend_iptc_family *family, struct xtc_handle *handle,
				const struct backend_iptc_labels *labels,
				struct backend_iptc_ipset *sets, const struct ruleset *desired,
				bool *in_sync, char *err, size_t errlen)
{
	struct ruleset installed;
	int ret = -1;

	ruleset_init(&installed);
	*in_sync = false;
	for (int hook = RULE_HOOK_FORWARD; hook < RULE_HOOK_COUNT; hook++) {
		const char *chain = labels->chain[hook];
		const void *first;
		unsigned int references = 0;
		size_t unparsed = 0;
		size_t next = 0;

		if (!family->ops->is_chain(chain, handle)) {
			ret = 0;
			goto out;
		}
		ruleset_reset(&installed);
		if (backend_iptc_read_chain(family, handle, sets, chain, (enum rule_hook)hook,
					    &installed, &unparsed) < 0) {
			error_format(err, errlen, "out of memory reading %s chain %s", family->name,
				     chain);
			goto out;
		}
		if (unparsed > 0) {
			ret = 0;
			goto out;
		}
		for (size_t i = 0; i < desired->count; i++) {
			const struct rule *rule = &desired->rules[i];
			if (rule->family != family->family || (int)rule->hook != hook)
				continue;
			if (next >= installed.count || !rule_equal(rule, &installed.rules[next])) {
				ret = 0;
				goto out;
			}
			next++;
		}
		if (next != installed.count) {
			ret = 0;
			goto out;
		}
		first = family->first_rule(labels->parent[hook], handle);
		if (first == NULL || !backend_iptc_is_plain_jump(family, handle, first, chain)) {
			ret = 0;
			goto out;
		}
		if (!family->get_references(&references, chain, handle) || references != 1) {
			ret = 0;
			goto out;
		}
	}
	*in_sync = true;
	ret = 0;
out:
	ruleset_free(&installed);
	return ret;
}

/* Deletes every rule anywhere in the table that jumps to one of our chains. */
static int backend_iptc_remove_jumps(const struct backend_iptc_family *family,
				     struct xtc_handle *handle,
				     const struct backend_iptc_labels *labels, bool *removed,
				     char *err, size_t errlen)
{
	struct backend_iptc_places chains = {0};
	struct backend_iptc_places jumps = {0};
	int ret = -1;

	if (backend_iptc_list_chains(family, handle, &chains) < 0) {
		error_format(err, errlen, "out of memory listing %s chains", family->name);
		goto out;
	}
	for (size_t c = 0; c < chains.count; c++) {
		unsigned int position = 0;
		for (const void *entry = family->first_rule(chains.chains[c], handle);
		     entry != NULL; entry = family->next_rule(entry, handle), position++) {
			const char *target = family->get_target(entry, handle);
			bool ours = false;
			for (int hook = 0; target != NULL && hook < RULE_HOOK_COUNT; hook++)
				ours = ours || strcmp(target, labels->chain[hook]) == 0;
			if (!ours)
				continue;
			if (backend_iptc_places_add(&jumps, chains.chains[c], position) < 0) {
				error_format(err, errlen, "out of memory listing %s jumps",
					     family->name);
				goto out;
			}
		}
	}
	/* backwards, so earlier positions in the same chain stay valid */
	for (size_t i = jumps.count; i-- > 0;) {
		if (!family->delete_num_entry(jumps.chains[i], jumps.positions[i], handle)) {
			error_format(err, errlen, "removing a jump from %s chain %s: %s",
				     family->name, jumps.chains[i], family->ops->strerror(errno));
			goto out;
		}
		*removed = true;
	}
	ret = 0;
out:
	backend_iptc_places_free(&chains);
	backend_iptc_places_free(&jumps);
	return ret;
}

/* Why a rule could not be encoded: a set with no kernel index, or no room. */
static void backend_iptc_explain_encode(const struct backend_iptc_family *family,
					const struct rule *rule, struct backend_iptc_ipset *sets,
					char *why, size_t whylen)
{
	const char *names[] = {rule->src_set, rule->dst_set};
	uint16_t index;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i][0] == '\0')
			continue;
		if (sets == NULL) {
			error_format(why, whylen, "set %s: no ipsets to refer to", names[i]);
			return;
		}
		if (backend_iptc_ipset_index(sets, names[i], &index, why, whylen) < 0)
			return;
	}
	error_format(why, whylen, "does not fit an %s entry", family->name);
}

/*
 * Rewrites our part of one table in the handle (nothing reaches the kernel
 * yet): chains created or flushed and refilled in `desired`'s order, every
 * old jump removed and one jump inserted first in each parent chain.
 */
static int backend_iptc_rewrite(const struct backend_iptc_family *family, struct xtc_handle *handle,
				const struct backend_iptc_labels *labels,
				struct backend_iptc_ipset *sets, const struct ruleset *desired,
				char *err, size_t errlen)
{
	union backend_iptc_entry_buffer entry;
	struct rule any;
	bool removed = false;

	memset(&any, 0, sizeof(any));
	for (int hook = RULE_HOOK_FORWARD; hook < RULE_HOOK_COUNT; hook++) {
		const char *chain = labels->chain[hook];
		bool exists = family->ops->is_chain(chain, handle);
		if (exists ? !family->ops->flush_entries(chain, handle)
			   : !family->ops->create_chain(chain, handle)) {
			error_format(err, errlen, "%s %s chain %s: %s",
				     exists ? "flushing" : "creating", family->name, chain,
				     family->ops->strerror(errno));
			return -1;
		}
	}
	for (size_t i = 0; i < desired->count; i++) {
		const struct rule *rule = &desired->rules[i];
		if (rule->family != family->family)
			continue;
		if (backend_iptc_encode(family, rule, NULL, sets, &entry) < 0) {
			char why[160];

			backend_iptc_explain_encode(family, rule, sets, why, sizeof(why));
			error_format(err, errlen, "rule %zu: %s", i + 1, why);
			return -1;
		}
		if (!family->append_entry(labels->chain[rule->hook], &entry, handle)) {
			error_format(err, errlen, "adding rule %zu to %s chain %s: %s", i + 1,
				     family->name, labels->chain[rule->hook],
				     family->ops->strerror(errno));
			return -1;
		}
	}
	if (backend_iptc_remove_jumps(family, handle, labels, &removed, err, errlen) < 0)
		return -1;
	for (int hook = RULE_HOOK_FORWARD; hook < RULE_HOOK_COUNT; hook++) {
		if (backend_iptc_encode(family, &any, labels->chain[hook], NULL, &entry) < 0 ||
		    !family->insert_entry(labels->parent[hook], &entry, 0, handle)) {
			error_format(err, errlen, "inserting the jump to %s into %s chain %s: %s",
				     labels->chain[hook], family->name, labels->parent[hook],
				     family->ops->strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Removes our jumps and chains from the handle; *dirty says if anything was there. */
static int backend_iptc_remove(const struct backend_iptc_family *family, struct xtc_handle *handle,
			       const struct backend_iptc_labels *labels, bool *dirty, char *err,
			       size_t errlen)
{
	if (backend_iptc_remove_jumps(family, handle, labels, dirty, err, errlen) < 0)
		return -1;
	for (int hook = RULE_HOOK_FORWARD; hook < RULE_HOOK_COUNT; hook++) {
		const char *chain = labels->chain[hook];
		if (!family->ops->is_chain(chain, handle))
			continue;
		if (!family->ops->flush_entries(chain, handle)) {
			error_format(err, errlen, "flushing %s chain %s: %s", family->name, chain,
				     family->ops->strerror(errno));
			return -1;
		}
		*dirty = true;
	}
	for (int hook = RULE_HOOK_FORWARD; hook < RULE_HOOK_COUNT; hook++) {
		const char *chain = labels->chain[hook];
		if (!family->ops->is_chain(chain, handle))
			continue;
		if (!family->delete_chain(chain, handle)) {
			error_format(err, errlen, "deleting %s chain %s: %s", family->name, chain,
				     family->ops->strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Appends a copy of a snapshot entry, naming its standard target again. */
static int backend_iptc_copy_entry(const struct backend_iptc_family *family,
				   struct xtc_handle *snapshot, const void *entry,
				   struct xtc_handle *handle, const char *chain)
{
	uint16_t target_offset, next_offset;
	struct xt_entry_target *target;
	unsigned char *copy;
	int ok = 0;

	family->entry_offsets(entry, &target_offset, &next_offset);
	if (target_offset + sizeof(*target) > next_offset) {
		errno = EINVAL;
		return 0;
	}
	copy = malloc(next_offset);
	if (copy == NULL)
		return 0;
	memcpy(copy, entry, next_offset);
	target = (struct xt_entry_target *)(copy + target_offset);
	/* the kernel stores verdicts and jumps unnamed; libiptc wants the name */
	if (target->u.user.name[0] == '\0') {
		const char *label = family->get_target(entry, snapshot);
		if (label == NULL || strlen(label) >= sizeof(target->u.user.name)) {
			errno = EINVAL;
			goto out;
		}
		memset(target->u.user.name, 0, sizeof(target->u.user.name));
		memcpy(target->u.user.name, label, strlen(label));
	}
	ok = family->append_entry(chain, copy, handle);
out:
	free(copy);
	return ok;
}

/*
 * Puts a table back the way `snapshot` saw it, after we committed it but a
 * later commit of the other family failed.  The kernel only accepts a
 * replacement read from the current table, so we read it afresh and make
 * every chain hold the snapshot's entries (with their counters) again.
 */
static int backend_iptc_restore(const struct backend_iptc_family *family,
				struct xtc_handle *snapshot, char *err, size_t errlen)
{
	struct backend_iptc_places wanted = {0};
	struct backend_iptc_places present = {0};
	struct xtc_handle *handle = NULL;
	const char *step = "reading the table";
	int ret = -1;

	handle = family->ops->init(BACKEND_IPTC_TABLE);
	if (handle == NULL)
		goto out;
	step = "listing chains";
	if (backend_iptc_list_chains(family, snapshot, &wanted) < 0 ||
	    backend_iptc_list_chains(family, handle, &present) < 0) {
		errno = ENOMEM;
		goto out;
	}
	step = "emptying chains";
	for (size_t i = 0; i < present.count; i++)
		if (!family->ops->flush_entries(present.chains[i], handle))
			goto out;
	for (size_t i = 0; i < present.count; i++)
		if (!backend_iptc_places_has(&wanted, present.chains[i]) &&
		    !family->delete_chain(present.chains[i], handle))
			goto out;
	step = "recreating chains";
	for (size_t i = 0; i < wanted.count; i++)
		if (!backend_iptc_places_has(&present, wanted.chains[i]) &&
		    !family->ops->create_chain(wanted.chains[i], handle))
			goto out;
	step = "copying rules";
	for (size_t i = 0; i < wanted.count; i++)
		for (const void *entry = family->first_rule(wanted.chains[i], snapshot);
		     entry != NULL; entry = family->next_rule(entry, snapshot))
			if (!backend_iptc_copy_entry(family, snapshot, entry, handle,
						     wanted.chains[i]))
				goto out;
	step = "committing";
	if (!family->ops->commit(handle))
		goto out;
	ret = 0;
out:
	if (ret < 0)
		error_format(err, errlen, "%s: %s", step, family->ops->strerror(errno));
	if (handle != NULL)
		family->ops->free(handle);
	backend_iptc_places_free(&wanted);
	backend_iptc_places_free(&present);
	return ret;
}

/* Takes the xtables lock, retrying without blocking for about 2 s; returns the fd. */
static int backend_iptc_lock(const struct backend_iptc_state *state, char *err, size_t errlen)
{
	const struct timespec interval = {.tv_sec = 0, .tv_nsec = BACKEND_IPTC_LOCK_INTERVAL_NS};
	int fd = open(state->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		error_format(err, errlen, "cannot open the xtables lock %s: %s", state->lock_path,
			     strerror(errno));
		return -1;
	}
	for (int attempt = 0; attempt < BACKEND_IPTC_LOCK_ATTEMPTS; attempt++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			error_format(err, errlen, "cannot take the xtables lock %s: %s",
				     state->lock_path, strerror(errno));
			close(fd);
			return -1;
		}
		nanosleep(&interval, NULL);
	}
	error_format(err, errlen, "another program holds the xtables lock %s; gave up after 2 s",
		     state->lock_path);
	close(fd);
	return -1;
}

/*
 * The shared body of apply and clear, called under the lock: read both
 * tables, edit them in memory (rewrite where out of sync, or remove), then
 * commit each edited table once.  If the IPv6 commit fails after the IPv4
 * one went through, IPv4 is restored from a snapshot taken under the same
 * lock.  `sets` resolves the set matches (the sets exist by now).
 */
static int backend_iptc_transaction(struct backend *backend, const struct ruleset *desired,
				    struct backend_iptc_ipset *sets, bool *changed, char *err,
				    size_t errlen)
{
	struct xtc_handle *handles[BACKEND_IPTC_FAMILIES] = {NULL};
	struct xtc_handle *snapshots[BACKEND_IPTC_FAMILIES] = {NULL};
	struct backend_tallies kept[BACKEND_IPTC_FAMILIES] = {{0}};
	bool dirty[BACKEND_IPTC_FAMILIES] = {false};
	struct backend_iptc_labels labels;
	size_t last_dirty = BACKEND_IPTC_FAMILIES;
	int ret = -1;

	*changed = false;
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		const struct backend_iptc_family *family = &backend_iptc_families[i];
		const struct backend_iptc_state *state = backend->priv;
		bool in_sync = false;

		if (!state->present[i]) {
			if (desired != NULL) {
				error_format(err, errlen, "iptc backend opened only to clear");
				goto out;
			}
			continue;
		}
		handles[i] = family->ops->init(BACKEND_IPTC_TABLE);
		if (handles[i] == NULL) {
			error_format(err, errlen, "reading the %s filter table: %s", family->name,
				     family->ops->strerror(errno));
			goto out;
		}
		backend_iptc_labels_init(family, handles[i], backend, &labels);
		if (desired != NULL) {
			if (backend_iptc_in_sync(family, handles[i], &labels, sets, desired,
						 &in_sync, err, errlen) < 0)
				goto out;
			/* a rewrite starts its entries' counters at zero: keep what they hold */
			if (!in_sync)
				(void)backend_iptc_collect(family, handles[i], &labels, &kept[i]);
			if (!in_sync && backend_iptc_rewrite(family, handles[i], &labels, sets,
							     desired, err, errlen) < 0)
				goto out;
			dirty[i] = !in_sync;
		} else if (backend_iptc_remove(family, handles[i], &labels, &dirty[i], err,
					       errlen) < 0) {
			goto out;
		}
		if (dirty[i])
			last_dirty = i;
	}
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		const struct backend_iptc_family *family = &backend_iptc_families[i];

		if (!dirty[i])
			continue;
		if (i != last_dirty) {
			snapshots[i] = family->ops->init(BACKEND_IPTC_TABLE);
			if (snapshots[i] == NULL) {
				error_format(err, errlen, "re-reading the %s filter table: %s",
					     family->name, family->ops->strerror(errno));
				goto out;
			}
		}
		if (!family->ops->commit(handles[i])) {
			char reason[256];
			snprintf(reason, sizeof(reason), "%s", family->ops->strerror(errno));
			for (size_t j = 0; j < i; j++) {
				char undo[256];
				if (snapshots[j] == NULL)
					continue;
				if (backend_iptc_restore(&backend_iptc_families[j], snapshots[j],
							 undo, sizeof(undo)) < 0) {
					error_format(
					    err, errlen,
					    "committing the %s filter table: %s (see the kernel "
					    "log); putting the %s table back also failed (%s), "
					    "so it holds the new rules",
					    family->name, reason, backend_iptc_families[j].name,
					    undo);
					goto out;
				}
			}
			error_format(err, errlen,
				     "committing the %s filter table: %s (see the kernel log); "
				     "nothing was changed",
				     family->name, reason);
			goto out;
		}
	}
	*changed = last_dirty != BACKEND_IPTC_FAMILIES;
	/* committed: what the replaced entries counted joins the baseline */
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		struct backend_iptc_state *state = backend->priv;

		if (dirty[i])
			(void)backend_tallies_merge(&state->baseline, &kept[i]);
	}
	ret = 0;
out:
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		free(kept[i].items);
		if (handles[i] != NULL)
			backend_iptc_families[i].ops->free(handles[i]);
		if (snapshots[i] != NULL)
			backend_iptc_families[i].ops->free(snapshots[i]);
	}
	return ret;
}

/*
 * Whether this namespace has the family's legacy filter table.  Opening
 * one through libiptc creates it, and from then on every iptables-nft call
 * here warns that legacy tables are present, so tjd looks before it
 * touches a table it only means to clear.
 */
static bool backend_iptc_table_exists(const struct backend_iptc_family *family)
{
	char line[64];
	bool found = false;
	FILE *file = fopen(family->tables_file, "re");

	if (file == NULL)
		return false; /* no x_tables for this family here: nothing of ours either */
	while (!found && fgets(line, sizeof(line), file) != NULL)
		found = strcmp(line, BACKEND_IPTC_TABLE "\n") == 0;
	fclose(file);
	return found;
}

/* Checks the chain names, br_netfilter and access to both filter tables. */
static int backend_iptc_open(struct backend *backend, char *err, size_t errlen)
{
	struct backend_iptc_state *state = NULL;
	const char *lock_path = getenv("XTABLES_LOCKFILE");
	int ret = -1;

	if (backend->chain_forward[0] == '\0' || backend->chain_input[0] == '\0' ||
	    backend->chain_output[0] == '\0' ||
	    !backend_iptc_terminated(backend->chain_forward, sizeof(backend->chain_forward)) ||
	    !backend_iptc_terminated(backend->chain_input, sizeof(backend->chain_input)) ||
	    !backend_iptc_terminated(backend->chain_output, sizeof(backend->chain_output)) ||
	    strcmp(backend->chain_forward, backend->chain_input) == 0 ||
	    strcmp(backend->chain_forward, backend->chain_output) == 0 ||
	    strcmp(backend->chain_input, backend->chain_output) == 0) {
		error_format(err, errlen, "bad chain names \"%.*s\", \"%.*s\" and \"%.*s\"",
			     BACKEND_CHAIN_MAX, backend->chain_forward, BACKEND_CHAIN_MAX,
			     backend->chain_input, BACKEND_CHAIN_MAX, backend->chain_output);
		goto out;
	}
	if (backend->set_prefix[0] == '\0' ||
	    !backend_iptc_terminated(backend->set_prefix, sizeof(backend->set_prefix))) {
		error_format(err, errlen,
			     "no set prefix (the backend was not made by backend_init)");
		goto out;
	}
	/* Removing rules must work even where tjd could not enforce them. */
	if (!backend->clear_only && backend_check_bridge_netfilter(err, errlen) < 0)
		goto out;
	state = calloc(1, sizeof(*state));
	if (state == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		const struct backend_iptc_family *family = &backend_iptc_families[i];
		struct xtc_handle *handle;

		/* Clearing only: a table that is not there holds nothing of ours. */
		state->present[i] = !backend->clear_only || backend_iptc_table_exists(family);
		if (!state->present[i])
			continue;
		handle = family->ops->init(BACKEND_IPTC_TABLE);
		if (handle == NULL) {
			error_format(err, errlen, "cannot read the legacy %s filter table: %s",
				     family->name, family->ops->strerror(errno));
			goto out;
		}
		family->ops->free(handle);
	}
	/* iptables itself honours XTABLES_LOCKFILE; share whichever lock it uses */
	if (lock_path == NULL || lock_path[0] == '\0')
		lock_path = BACKEND_IPTC_LOCK_DEFAULT;
	if ((size_t)snprintf(state->lock_path, sizeof(state->lock_path), "%s", lock_path) >=
	    sizeof(state->lock_path)) {
		error_format(err, errlen, "xtables lock path too long");
		goto out;
	}
	backend_iptc_close(backend);
	backend->priv = state;
	state = NULL;
	ret = 0;
out:
	free(state);
	return ret;
}

/* Orders prefixes for qsort. */
static int backend_iptc_compare_prefixes(const void *a, const void *b)
{
	return prefix_compare(a, b);
}

/*
 * Checks one set of the ruleset and appends it to `out` as the kernel
 * gives it back: members masked to their length, sorted, each once.  0,
 * or -1 with why set (or out of memory).
 */
static int backend_iptc_canonical_set(const struct ruleset *in, const struct rule_addrset *named,
				      struct ruleset *out, char *why, size_t whylen)
{
	const struct backend_iptc_family *family = backend_iptc_family_of(named->family);
	struct rule_addrset *copy;
	size_t first, kept = 0;

	if (family == NULL) {
		error_format(why, whylen, "unknown address family %d", named->family);
		return -1;
	}
	if (ruleset_find_set(out, named->name) != NULL) {
		error_format(why, whylen, "a second set of that name");
		return -1;
	}
	if (named->first > in->member_count || named->count > in->member_count - named->first) {
		error_format(why, whylen, "members past the end of the ruleset's");
		return -1;
	}
	if (!backend_iptc_terminated(named->comment, RULE_COMMENT_MAX) ||
	    !text_is_printable(named->comment, strlen(named->comment))) {
		error_format(why, whylen,
			     "comment longer than %d characters or not printable ASCII",
			     RULE_COMMENT_MAX - 1);
		return -1;
	}
	copy = ruleset_add_set(out, named->name, named->family);
	if (copy == NULL) {
		error_format(why, whylen, "out of memory");
		return -1;
	}
	strcpy(copy->comment, named->comment);
	first = out->member_count;
	for (size_t m = 0; m < named->count; m++) {
		const struct prefix *member = &in->members[named->first + m];
		struct prefix masked;

		/* hash:net holds networks of length 1 and up: ::/0 must come as two halves */
		if (member->family != named->family || member->length == 0 ||
		    backend_iptc_canonical_prefix(named->family, member, &masked) < 0) {
			error_format(why, whylen,
				     "member %zu is not an %s network of prefix length 1 to %zu",
				     m + 1, family->name,
				     8 * backend_iptc_address_size(named->family));
			return -1;
		}
		if (ruleset_add_member(out, &masked) < 0) {
			error_format(why, whylen, "out of memory");
			return -1;
		}
	}
	if (named->count > 1) /* an empty set may have no member array at all */
		qsort(out->members + first, named->count, sizeof(*out->members),
		      backend_iptc_compare_prefixes);
	for (size_t m = 0; m < named->count; m++)
		if (kept == 0 ||
		    !prefix_equal(&out->members[first + kept - 1], &out->members[first + m]))
			out->members[first + kept++] = out->members[first + m];
	out->sets[out->set_count - 1].count = kept;
	out->member_count = first + kept;
	return 0;
}

/*
 * Checks that a rule's set conditions name sets of the ruleset, of the
 * rule's family; 0, or -1 with why set.
 */
static int backend_iptc_check_set_refs(const struct ruleset *sets, const struct rule *rule,
				       char *why, size_t whylen)
{
	const char *names[] = {rule->src_set, rule->dst_set};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct rule_addrset *named;

		if (names[i][0] == '\0')
			continue;
		named = ruleset_find_set(sets, names[i]);
		if (named == NULL) {
			error_format(why, whylen, "set %s is not one of the ruleset's sets",
				     names[i]);
			return -1;
		}
		if (named->family != rule->family) {
			error_format(why, whylen, "set %s holds %s addresses, the rule matches %s",
				     names[i], named->family == AF_INET ? "IPv4" : "IPv6",
				     rule->family == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
	}
	return 0;
}

/*
 * Installs `desired`, committing only when the kernel differs from it:
 * the sets first (created, or refilled and swapped), then the tables when
 * their rules differ, then the sets nothing refers to any more go.
 */
static int backend_iptc_apply(struct backend *backend, const struct ruleset *desired, bool *changed,
			      char *err, size_t errlen)
{
	struct backend_iptc_ipset *sets = NULL;
	struct ruleset canonical;
	bool sets_changed = false;
	char why[160];
	int lock = -1;
	int ret = -1;

	*changed = false;
	ruleset_init(&canonical);
	if (backend->priv == NULL) {
		error_format(err, errlen, "iptc backend used before open");
		return -1;
	}
	for (size_t i = 0; i < desired->set_count; i++) {
		const struct rule_addrset *named = &desired->sets[i];

		if (!backend_iptc_terminated(named->name, RULE_SET_NAME_MAX) ||
		    !rule_set_name_valid(named->name)) {
			error_format(err, errlen,
				     "set %zu: a set name must be a letter and up to %d more "
				     "letters, digits, '_' or '-'; nothing was changed",
				     i + 1, RULE_SET_NAME_MAX - 2);
			goto out;
		}
		if (backend_iptc_canonical_set(desired, named, &canonical, why, sizeof(why)) < 0) {
			error_format(err, errlen, "set %s: %s; nothing was changed", named->name,
				     why);
			goto out;
		}
	}
	for (size_t i = 0; i < desired->count; i++) {
		const struct rule *rule = &desired->rules[i];
		struct rule *slot = ruleset_add(&canonical);
		if (slot == NULL) {
			error_format(err, errlen, "out of memory");
			goto out;
		}
		if (backend_iptc_canonical_rule(rule, slot, why, sizeof(why)) < 0 ||
		    backend_iptc_check_set_refs(&canonical, slot, why, sizeof(why)) < 0) {
			const struct backend_iptc_family *family =
			    backend_iptc_family_of(rule->family);

			error_format(err, errlen, "rule %zu (%s %s): %s; nothing was changed",
				     i + 1, family != NULL ? family->name : "unknown family",
				     backend_iptc_hook_name(rule->hook), why);
			goto out;
		}
	}
	lock = backend_iptc_lock(backend->priv, err, errlen);
	if (lock < 0)
		goto out;
	sets = backend_iptc_ipset_new(backend->set_prefix);
	if (sets == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	if (backend_iptc_ipset_prepare(sets, &canonical, &sets_changed, err, errlen) < 0 ||
	    backend_iptc_transaction(backend, &canonical, sets, changed, err, errlen) < 0) {
		backend_iptc_ipset_undo(sets);
		*changed = false;
		goto out;
	}
	backend_iptc_ipset_finish(sets, &canonical, &sets_changed);
	*changed = *changed || sets_changed;
	ret = 0;
out:
	backend_iptc_ipset_free(sets);
	if (lock >= 0)
		close(lock); /* closing drops the flock */
	ruleset_free(&canonical);
	return ret;
}

/* Removes our jumps and chains from both families, then our sets. */
static int backend_iptc_clear(struct backend *backend, char *err, size_t errlen)
{
	struct backend_iptc_ipset *sets = NULL;
	bool changed = false;
	int lock;
	int ret = -1;

	if (backend->priv == NULL) {
		error_format(err, errlen, "iptc backend used before open");
		return -1;
	}
	lock = backend_iptc_lock(backend->priv, err, errlen);
	if (lock < 0)
		return -1;
	/* rules first: the kernel keeps a set while a rule refers to it */
	if (backend_iptc_transaction(backend, NULL, NULL, &changed, err, errlen) < 0)
		goto out;
	sets = backend_iptc_ipset_new(backend->set_prefix);
	if (sets == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	ret = backend_iptc_ipset_clear(sets, err, errlen);
out:
	backend_iptc_ipset_free(sets);
	close(lock);
	return ret;
}

/* The text of an entry's comment match, or "" when it has none. */
static const char *backend_iptc_entry_comment(const struct backend_iptc_family *family,
					      const void *entry)
{
	const unsigned char *bytes = entry;
	uint16_t target_offset, next_offset;

	family->entry_offsets(entry, &target_offset, &next_offset);
	for (size_t offset = family->entry_size;
	     offset + sizeof(struct xt_entry_match) <= target_offset;) {
		const struct xt_entry_match *match = (const void *)(bytes + offset);
		size_t size = match->u.match_size;

		if (size < XT_ALIGN(sizeof(*match)) || size > target_offset - offset)
			break;
		if (strncmp(match->u.user.name, "comment", sizeof(match->u.user.name)) == 0 &&
		    size >= XT_ALIGN(sizeof(*match)) + sizeof(struct xt_comment_info)) {
			const struct xt_comment_info *comment = (const void *)match->data;

			return backend_iptc_terminated(comment->comment, XT_MAX_COMMENT_LEN)
				   ? comment->comment
				   : "";
		}
		offset += size;
	}
	return "";
}

/*
 * Adds the counters of every DROP and REJECT entry of tjd's chains in one
 * family's table: by the bridge they came in on (forward, input) or go out
 * on (output), and the kind: the published-port policy's by its comment,
 * else the chain's.  0, or -1 when out of memory.
 */
static int backend_iptc_collect(const struct backend_iptc_family *family, struct xtc_handle *handle,
				const struct backend_iptc_labels *labels,
				struct backend_tallies *out)
{
	static const int kinds[RULE_HOOK_COUNT] = {
	    [RULE_HOOK_FORWARD] = BACKEND_DROP_ISOLATION,
	    [RULE_HOOK_INPUT] = BACKEND_DROP_NO_HOST,
	    [RULE_HOOK_OUTPUT] = BACKEND_DROP_HOST,
	};

	for (int hook = 0; hook < RULE_HOOK_COUNT; hook++) {
		const char *chain = labels->chain[hook];

		if (!family->ops->is_chain(chain, handle))
			continue;
		for (const void *entry = family->first_rule(chain, handle); entry != NULL;
		     entry = family->next_rule(entry, handle)) {
			const char *target = family->get_target(entry, handle);
			const char *in_iface, *out_iface;
			uint64_t packets, bytes;
			int kind = kinds[hook];

			if (target == NULL ||
			    (strcmp(target, IPTC_LABEL_DROP) != 0 && strcmp(target, "REJECT") != 0))
				continue;
			if (strncmp(backend_iptc_entry_comment(family, entry),
				    BACKEND_PUBLISHED_COMMENT,
				    strlen(BACKEND_PUBLISHED_COMMENT)) == 0)
				kind = BACKEND_DROP_PUBLISHED;
			family->entry_counts(entry, &packets, &bytes, &in_iface, &out_iface);
			if (backend_tally_add(out, hook == RULE_HOOK_OUTPUT ? out_iface : in_iface,
					      kind, packets, bytes) < 0)
				return -1;
		}
	}
	return 0;
}

/* Dropped-packet counters per network: what the chains hold now plus what rewrites replaced. */
static int backend_iptc_counters(struct backend *backend, struct backend_counter *counters,
				 size_t count, char *err, size_t errlen)
{
	struct backend_iptc_state *state = backend->priv;
	struct backend_tallies current = {0};
	const struct backend_tallies *both[2] = {&current, NULL};
	int ret = -1;

	backend_tallies_sum(NULL, 0, counters, count);
	if (state == NULL) {
		error_format(err, errlen, "iptc backend used before open");
		return -1;
	}
	both[1] = &state->baseline;
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		const struct backend_iptc_family *family = &backend_iptc_families[i];
		struct backend_iptc_labels labels;
		struct xtc_handle *handle;
		int failed;

		if (!state->present[i])
			continue;
		handle = family->ops->init(BACKEND_IPTC_TABLE);
		if (handle == NULL) {
			error_format(err, errlen, "reading the %s filter table: %s", family->name,
				     family->ops->strerror(errno));
			goto out;
		}
		backend_iptc_labels_init(family, handle, backend, &labels);
		failed = backend_iptc_collect(family, handle, &labels, &current);
		family->ops->free(handle);
		if (failed < 0) {
			error_format(err, errlen, "out of memory");
			goto out;
		}
	}
	backend_tallies_sum(both, 2, counters, count);
	ret = 0;
out:
	free(current.items);
	return ret;
}

/* Renders what the kernel holds in our sets and chains, in ruleset_format's syntax. */
static int backend_iptc_dump(struct backend *backend, char **text, char *err, size_t errlen)
{
	struct backend_iptc_ipset *sets = backend_iptc_ipset_new(backend->set_prefix);
	struct ruleset installed;
	size_t unparsed[BACKEND_IPTC_FAMILIES][RULE_HOOK_COUNT] = {{0}};
	const char *chains[RULE_HOOK_COUNT];
	char *formatted = NULL;
	char *result = NULL;
	size_t length;
	int ret = -1;

	*text = NULL;
	ruleset_init(&installed);
	backend_chain_names(backend, chains);
	if (sets == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	if (backend_iptc_ipset_read(sets, &installed, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		const struct backend_iptc_family *family = &backend_iptc_families[i];
		struct xtc_handle *handle = family->ops->init(BACKEND_IPTC_TABLE);
		int failed = 0;

		if (handle == NULL) {
			error_format(err, errlen, "reading the %s filter table: %s", family->name,
				     family->ops->strerror(errno));
			goto out;
		}
		for (int hook = 0; hook < RULE_HOOK_COUNT; hook++)
			failed |= backend_iptc_read_chain(family, handle, sets, chains[hook],
							  (enum rule_hook)hook, &installed,
							  &unparsed[i][hook]);
		family->ops->free(handle);
		if (failed) {
			error_format(err, errlen, "out of memory");
			goto out;
		}
	}
	formatted = ruleset_format(&installed, chains);
	if (formatted == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	/* room for one note line per chain about entries that are not ours */
	length = strlen(formatted) + BACKEND_IPTC_FAMILIES * RULE_HOOK_COUNT * 128 + 1;
	result = malloc(length);
	if (result == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	strcpy(result, formatted);
	for (size_t i = 0; i < BACKEND_IPTC_FAMILIES; i++) {
		for (int hook = RULE_HOOK_FORWARD; hook < RULE_HOOK_COUNT; hook++) {
			size_t used = strlen(result);
			if (unparsed[i][hook] == 0)
				continue;
			snprintf(result + used, length - used,
				 "# %s %s: %zu entries that tjd did not write\n",
				 backend_iptc_families[i].name, chains[hook], unparsed[i][hook]);
		}
	}
	*text = result;
	result = NULL;
	ret = 0;
out:
	backend_iptc_ipset_free(sets);
	free(result);
	free(formatted);
	ruleset_free(&installed);
	return ret;
}

/* Frees the state; the kernel keeps its rules. */
static void backend_iptc_close(struct backend *backend)
{
	struct backend_iptc_state *state = backend->priv;

	if (state != NULL)
		free(state->baseline.items);
	free(state);
	backend->priv = NULL;
}

const struct backend_ops backend_iptc_ops = {
    .name = "iptables",
    .open = backend_iptc_open,
    .apply = backend_iptc_apply,
    .clear = backend_iptc_clear,
    .dump = backend_iptc_dump,
    .counters = backend_iptc_counters,
    .close = backend_iptc_close,
};
