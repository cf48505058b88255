/* The ruleset IR: building, comparing and rendering rules; see ruleset.h. */
#include "config.h"

#include "tjd/ruleset.h"

#include "common/textbuf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void ruleset_init(struct ruleset *set)
{
	memset(set, 0, sizeof(*set));
}

void ruleset_free(struct ruleset *set)
{
	free(set->rules);
	free(set->ports);
	free(set->sets);
	free(set->members);
	ruleset_init(set);
}

/* Forgets the rules but keeps the allocation for reuse. */
void ruleset_reset(struct ruleset *set)
{
	set->count = 0;
	set->port_count = 0;
	set->set_count = 0;
	set->member_count = 0;
}

bool rule_set_name_valid(const char *name)
{
	size_t len = strnlen(name, RULE_SET_NAME_MAX);

	if (len == 0 || len >= RULE_SET_NAME_MAX ||
	    !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

struct rule_addrset *ruleset_add_set(struct ruleset *set, const char *name, int family)
{
	struct rule_addrset *added;

	if (!rule_set_name_valid(name) || (family != AF_INET && family != AF_INET6))
		return NULL;
	if (set->set_count == set->set_capacity) {
		size_t capacity = set->set_capacity ? set->set_capacity * 2 : 8;
		struct rule_addrset *sets = reallocarray(set->sets, capacity, sizeof(*sets));
		if (sets == NULL)
			return NULL;
		set->sets = sets;
		set->set_capacity = capacity;
	}
	added = &set->sets[set->set_count++];
	memset(added, 0, sizeof(*added));
	snprintf(added->name, sizeof(added->name), "%s", name);
	added->family = family;
	added->first = set->member_count;
	return added;
}

int ruleset_add_member(struct ruleset *set, const struct prefix *member)
{
	if (set->set_count == 0)
		return -1;
	if (set->member_count == set->member_capacity) {
		size_t capacity = set->member_capacity ? set->member_capacity * 2 : 32;
		struct prefix *members = reallocarray(set->members, capacity, sizeof(*members));
		if (members == NULL)
			return -1;
		set->members = members;
		set->member_capacity = capacity;
	}
	set->members[set->member_count++] = *member;
	set->sets[set->set_count - 1].count++;
	return 0;
}

const struct rule_addrset *ruleset_find_set(const struct ruleset *set, const char *name)
{
	for (size_t i = 0; i < set->set_count; i++)
		if (strncmp(set->sets[i].name, name, RULE_SET_NAME_MAX) == 0)
			return &set->sets[i];
	return NULL;
}

bool ruleset_sets_equal(const struct ruleset *a, const struct ruleset *b)
{
	if (a->set_count != b->set_count)
		return false;
	for (size_t i = 0; i < a->set_count; i++) {
		const struct rule_addrset *x = &a->sets[i], *y = &b->sets[i];
		if (strncmp(x->name, y->name, RULE_SET_NAME_MAX) != 0 || x->family != y->family ||
		    x->count != y->count || strncmp(x->comment, y->comment, RULE_COMMENT_MAX) != 0)
			return false;
		for (size_t m = 0; m < x->count; m++)
			if (!prefix_equal(&a->members[x->first + m], &b->members[y->first + m]))
				return false;
	}
	return true;
}

struct l2_port *ruleset_add_port(struct ruleset *set)
{
	struct l2_port *port;

	if (set->port_count == set->port_capacity) {
		size_t capacity = set->port_capacity ? set->port_capacity * 2 : 16;
		struct l2_port *ports = reallocarray(set->ports, capacity, sizeof(*ports));
		if (ports == NULL)
			return NULL;
		set->ports = ports;
		set->port_capacity = capacity;
	}
	port = &set->ports[set->port_count++];
	memset(port, 0, sizeof(*port));
	return port;
}

bool l2_port_equal(const struct l2_port *a, const struct l2_port *b)
{
	return strncmp(a->bridge, b->bridge, TJD_IFNAMSIZ) == 0 &&
	       strncmp(a->port, b->port, TJD_IFNAMSIZ) == 0 && a->known == b->known &&
	       memcmp(a->mac, b->mac, L2_MAC_LEN) == 0 && prefix_equal(&a->ipv4, &b->ipv4) &&
	       prefix_equal(&a->ipv6, &b->ipv6) && prefix_equal(&a->ipv6_link, &b->ipv6_link) &&
	       strncmp(a->comment, b->comment, RULE_COMMENT_MAX) == 0;
}

int l2_mac_parse(const char *text, uint8_t mac[L2_MAC_LEN])
{
	if (text == NULL || strlen(text) != 3 * L2_MAC_LEN - 1)
		return -1;
	for (size_t i = 0; i < L2_MAC_LEN; i++) {
		unsigned value = 0;
		for (size_t j = 0; j < 2; j++) {
			char c = text[i * 3 + j];
			int digit = c >= '0' && c <= '9'   ? c - '0'
				    : c >= 'a' && c <= 'f' ? c - 'a' + 10
				    : c >= 'A' && c <= 'F' ? c - 'A' + 10
							   : -1;
			if (digit < 0)
				return -1;
			value = value * 16 + (unsigned)digit;
		}
		if (i + 1 < L2_MAC_LEN && text[i * 3 + 2] != ':')
			return -1;
		mac[i] = (uint8_t)value;
	}
	return 0;
}

void l2_link_local(const uint8_t mac[L2_MAC_LEN], struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	out->length = 128;
	out->addr.v6.s6_addr[0] = 0xfe;
	out->addr.v6.s6_addr[1] = 0x80;
	/* EUI-64: the MAC split by ff:fe, its universal/local bit flipped */
	out->addr.v6.s6_addr[8] = mac[0] ^ 0x02;
	out->addr.v6.s6_addr[9] = mac[1];
	out->addr.v6.s6_addr[10] = mac[2];
	out->addr.v6.s6_addr[11] = 0xff;
	out->addr.v6.s6_addr[12] = 0xfe;
	out->addr.v6.s6_addr[13] = mac[3];
	out->addr.v6.s6_addr[14] = mac[4];
	out->addr.v6.s6_addr[15] = mac[5];
}

struct rule *ruleset_add(struct ruleset *set)
{
	struct rule *rule;

	if (set->count == set->capacity) {
		size_t capacity = set->capacity ? set->capacity * 2 : 32;
		struct rule *rules = reallocarray(set->rules, capacity, sizeof(*rules));
		if (rules == NULL)
			return NULL;
		set->rules = rules;
		set->capacity = capacity;
	}
	rule = &set->rules[set->count++];
	memset(rule, 0, sizeof(*rule));
	return rule;
}

int ruleset_copy(struct ruleset *dst, const struct ruleset *src)
{
	struct ruleset copy;

	ruleset_init(&copy);
	if (src->count > 0) {
		copy.rules = calloc(src->count, sizeof(*copy.rules));
		if (copy.rules == NULL)
			return -1;
		memcpy(copy.rules, src->rules, src->count * sizeof(*copy.rules));
		copy.count = copy.capacity = src->count;
	}
	if (src->port_count > 0) {
		copy.ports = calloc(src->port_count, sizeof(*copy.ports));
		if (copy.ports == NULL) {
			free(copy.rules);
			return -1;
		}
		memcpy(copy.ports, src->ports, src->port_count * sizeof(*copy.ports));
		copy.port_count = copy.port_capacity = src->port_count;
	}
	if (src->set_count > 0) {
		copy.sets = calloc(src->set_count, sizeof(*copy.sets));
		if (copy.sets == NULL) {
			ruleset_free(&copy);
			return -1;
		}
		memcpy(copy.sets, src->sets, src->set_count * sizeof(*copy.sets));
		copy.set_count = copy.set_capacity = src->set_count;
	}
	if (src->member_count > 0) {
		copy.members = calloc(src->member_count, sizeof(*copy.members));
		if (copy.members == NULL) {
			ruleset_free(&copy);
			return -1;
		}
		memcpy(copy.members, src->members, src->member_count * sizeof(*copy.members));
		copy.member_count = copy.member_capacity = src->member_count;
	}
	ruleset_free(dst);
	*dst = copy;
	return 0;
}

bool rule_protocol_has_ports(uint8_t protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP;
}

/* Field-by-field comparison, so struct padding never matters. */
bool rule_equal(const struct rule *a, const struct rule *b)
{
	return a->family == b->family && a->hook == b->hook &&
	       strncmp(a->in_iface, b->in_iface, TJD_IFNAMSIZ) == 0 &&
	       strncmp(a->out_iface, b->out_iface, TJD_IFNAMSIZ) == 0 &&
	       strncmp(a->physdev_in, b->physdev_in, TJD_IFNAMSIZ) == 0 &&
	       prefix_equal(&a->src, &b->src) && prefix_equal(&a->dst, &b->dst) &&
	       a->ctstate == b->ctstate && a->protocol == b->protocol &&
	       a->has_icmp_type == b->has_icmp_type &&
	       (!a->has_icmp_type || a->icmp_type == b->icmp_type) &&
	       a->tcp_not_syn == b->tcp_not_syn && a->sport_first == b->sport_first &&
	       a->sport_last == b->sport_last && a->dport_first == b->dport_first &&
	       a->dport_last == b->dport_last && a->ct_dnat == b->ct_dnat &&
	       a->ct_dport_first == b->ct_dport_first && a->ct_dport_last == b->ct_dport_last &&
	       strncmp(a->src_set, b->src_set, RULE_SET_NAME_MAX) == 0 &&
	       strncmp(a->dst_set, b->dst_set, RULE_SET_NAME_MAX) == 0 &&
	       a->verdict == b->verdict && strncmp(a->comment, b->comment, RULE_COMMENT_MAX) == 0;
}

bool ruleset_equal(const struct ruleset *a, const struct ruleset *b)
{
	return ruleset_rules_equal(a, b) && ruleset_sets_equal(a, b);
}

bool ruleset_rules_equal(const struct ruleset *a, const struct ruleset *b)
{
	if (a->count != b->count || a->port_count != b->port_count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!rule_equal(&a->rules[i], &b->rules[i]))
			return false;
	for (size_t i = 0; i < a->port_count; i++)
		if (!l2_port_equal(&a->ports[i], &b->ports[i]))
			return false;
	return true;
}

size_t ruleset_count(const struct ruleset *set, int family, enum rule_hook hook)
{
	size_t n = 0;

	for (size_t i = 0; i < set->count; i++)
		if (set->rules[i].family == family && set->rules[i].hook == hook)
			n++;
	return n;
}

/* Names a conntrack state mask the way iptables prints it. */
static void ruleset_format_ctstate(uint8_t ctstate, char *buf, size_t size)
{
	buf[0] = '\0';
	if (ctstate & RULE_CT_NEW)
		strncat(buf, "NEW,", size - strlen(buf) - 1);
	if (ctstate & RULE_CT_RELATED)
		strncat(buf, "RELATED,", size - strlen(buf) - 1);
	if (ctstate & RULE_CT_ESTABLISHED)
		strncat(buf, "ESTABLISHED,", size - strlen(buf) - 1);
	if (buf[0] != '\0')
		buf[strlen(buf) - 1] = '\0';
}

int rule_format(const struct rule *rule, char *buf, size_t size)
{
	char text[512];
	char address[INET6_ADDRSTRLEN + 8];
	size_t n = 0;

#define RULE_FORMAT_ADD(...)                                                                       \
	do {                                                                                       \
		int w = snprintf(text + n, sizeof(text) - n, __VA_ARGS__);                         \
		if (w > 0)                                                                         \
			n = (size_t)w < sizeof(text) - n ? n + (size_t)w : sizeof(text) - 1;       \
	} while (0)

	text[0] = '\0';
	if (rule->src.family != 0 && prefix_format(&rule->src, address, sizeof(address)) == 0)
		RULE_FORMAT_ADD(" -s %s", address);
	if (rule->dst.family != 0 && prefix_format(&rule->dst, address, sizeof(address)) == 0)
		RULE_FORMAT_ADD(" -d %s", address);
	if (rule->in_iface[0] != '\0')
		RULE_FORMAT_ADD(" -i %.*s", TJD_IFNAMSIZ, rule->in_iface);
	if (rule->out_iface[0] != '\0')
		RULE_FORMAT_ADD(" -o %.*s", TJD_IFNAMSIZ, rule->out_iface);
	if (rule->protocol == IPPROTO_ICMPV6)
		RULE_FORMAT_ADD(" -p ipv6-icmp");
	else if (rule->protocol == IPPROTO_ICMP)
		RULE_FORMAT_ADD(" -p icmp");
	else if (rule->protocol == IPPROTO_TCP)
		RULE_FORMAT_ADD(" -p tcp");
	else if (rule->protocol == IPPROTO_UDP)
		RULE_FORMAT_ADD(" -p udp");
	else if (rule->protocol == IPPROTO_SCTP)
		RULE_FORMAT_ADD(" -p sctp");
	else if (rule->protocol != 0)
		RULE_FORMAT_ADD(" -p %u", rule->protocol);
	if (rule->has_icmp_type) {
		if (rule->protocol == IPPROTO_ICMPV6)
			RULE_FORMAT_ADD(" -m icmp6 --icmpv6-type %u", rule->icmp_type);
		else
			RULE_FORMAT_ADD(" -m icmp --icmp-type %u", rule->icmp_type);
	}
	if (rule->tcp_not_syn || rule->sport_last != 0 || rule->dport_last != 0) {
		const char *match = rule->protocol == IPPROTO_TCP   ? "tcp"
				    : rule->protocol == IPPROTO_UDP ? "udp"
								    : "sctp";

		RULE_FORMAT_ADD(" -m %s", match);
		if (rule->sport_last != 0 && rule->sport_first == rule->sport_last)
			RULE_FORMAT_ADD(" --sport %u", rule->sport_first);
		else if (rule->sport_last != 0)
			RULE_FORMAT_ADD(" --sport %u:%u", rule->sport_first, rule->sport_last);
		if (rule->dport_last != 0 && rule->dport_first == rule->dport_last)
			RULE_FORMAT_ADD(" --dport %u", rule->dport_first);
		else if (rule->dport_last != 0)
			RULE_FORMAT_ADD(" --dport %u:%u", rule->dport_first, rule->dport_last);
		if (rule->tcp_not_syn)
			RULE_FORMAT_ADD(" ! --tcp-flags FIN,SYN,RST,ACK SYN");
	}
	if (rule->src_set[0] != '\0')
		RULE_FORMAT_ADD(" -m set --match-set %.*s src", RULE_SET_NAME_MAX, rule->src_set);
	if (rule->dst_set[0] != '\0')
		RULE_FORMAT_ADD(" -m set --match-set %.*s dst", RULE_SET_NAME_MAX, rule->dst_set);
	if (rule->physdev_in[0] != '\0')
		RULE_FORMAT_ADD(" -m physdev --physdev-in %.*s", TJD_IFNAMSIZ, rule->physdev_in);
	if (rule->ctstate != 0) {
		char states[64];
		ruleset_format_ctstate(rule->ctstate, states, sizeof(states));
		RULE_FORMAT_ADD(" -m conntrack --ctstate %s", states);
	}
	/* a second match, as iptables writes it: its states would be ORed with the first's */
	if (rule->ct_dnat || rule->ct_dport_last != 0) {
		RULE_FORMAT_ADD(" -m conntrack");
		if (rule->ct_dnat)
			RULE_FORMAT_ADD(" --ctstate DNAT");
		if (rule->ct_dport_last != 0)
			RULE_FORMAT_ADD(" --ctproto %u", rule->protocol);
		if (rule->ct_dport_last != 0 && rule->ct_dport_first == rule->ct_dport_last)
			RULE_FORMAT_ADD(" --ctorigdstport %u", rule->ct_dport_first);
		else if (rule->ct_dport_last != 0)
			RULE_FORMAT_ADD(" --ctorigdstport %u:%u", rule->ct_dport_first,
					rule->ct_dport_last);
	}
	if (rule->comment[0] != '\0')
		RULE_FORMAT_ADD(" -m comment --comment \"%.*s\"", RULE_COMMENT_MAX, rule->comment);
	if (rule->verdict == RULE_REJECT && rule->protocol == IPPROTO_TCP)
		RULE_FORMAT_ADD(" -j REJECT --reject-with tcp-reset");
	else if (rule->verdict == RULE_REJECT)
		RULE_FORMAT_ADD(" -j REJECT --reject-with %s", rule->family == AF_INET6
								   ? "icmp6-port-unreachable"
								   : "icmp-port-unreachable");
	else if (rule->verdict == RULE_LOG)
		RULE_FORMAT_ADD(" -m limit --limit %u/sec --limit-burst %u -j NFLOG --nflog-prefix "
				"\"%.*s\" --nflog-group %u",
				RULE_LOG_RATE, RULE_LOG_BURST, RULE_COMMENT_MAX, rule->comment,
				RULE_LOG_GROUP);
	else
		RULE_FORMAT_ADD(" -j %s", rule->verdict == RULE_DROP ? "DROP" : "RETURN");
#undef RULE_FORMAT_ADD
	return snprintf(buf, size, "%s", text + 1);
}

const char *rule_hook_name(enum rule_hook hook)
{
	switch (hook) {
	case RULE_HOOK_FORWARD:
		return "forward";
	case RULE_HOOK_INPUT:
		return "input";
	case RULE_HOOK_OUTPUT:
		return "output";
	}
	return "unknown";
}

char *ruleset_format(const struct ruleset *set, const char *const chains[RULE_HOOK_COUNT])
{
	static const int families[] = {AF_INET, AF_INET6};
	struct textbuf text = {0};
	char line[600];

	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		textbuf_add(&text, "# %s\n*filter\n", families[f] == AF_INET ? "IPv4" : "IPv6");
		for (size_t i = 0; i < set->set_count; i++) {
			const struct rule_addrset *named = &set->sets[i];
			char member[PREFIX_TEXT_MAX];

			if (named->family != families[f])
				continue;
			textbuf_add(&text, "# set %.*s (%zu member%s)%s%.*s%s", RULE_SET_NAME_MAX,
				    named->name, named->count, named->count == 1 ? "" : "s",
				    named->comment[0] ? " \"" : "", RULE_COMMENT_MAX,
				    named->comment, named->comment[0] ? "\"" : "");
			for (size_t m = 0; m < named->count; m++)
				if (prefix_format(&set->members[named->first + m], member,
						  sizeof(member)) == 0)
					textbuf_add(&text, "%s%s", m == 0 ? ": " : " ", member);
			textbuf_add(&text, "\n");
		}
		for (size_t h = 0; h < RULE_HOOK_COUNT; h++)
			textbuf_add(&text, ":%s - [0:0]\n", chains[h]);
		for (size_t i = 0; i < set->count; i++) {
			const struct rule *rule = &set->rules[i];
			if (rule->family != families[f])
				continue;
			rule_format(rule, line, sizeof(line));
			textbuf_add(&text, "-A %s %s\n",
				    (unsigned)rule->hook < RULE_HOOK_COUNT ? chains[rule->hook]
									   : "?",
				    line);
		}
		textbuf_add(&text, "COMMIT\n");
	}
	for (size_t i = 0; i < set->port_count; i++) {
		const struct l2_port *port = &set->ports[i];
		char v4[INET6_ADDRSTRLEN + 8] = "-", v6[INET6_ADDRSTRLEN + 8] = "-",
					   link[INET6_ADDRSTRLEN + 8] = "-";

		if (i == 0)
			textbuf_add(&text, "# layer 2: what each port of a protected bridge "
					   "may send\n");
		if (!port->known) {
			textbuf_add(&text, "# %.*s %.*s: nothing (whose port it is is unknown)\n",
				    TJD_IFNAMSIZ, port->bridge, TJD_IFNAMSIZ, port->port);
			continue;
		}
		if (port->ipv4.family != 0)
			prefix_format(&port->ipv4, v4, sizeof(v4));
		if (port->ipv6.family != 0)
			prefix_format(&port->ipv6, v6, sizeof(v6));
		prefix_format(&port->ipv6_link, link, sizeof(link));
		textbuf_add(&text,
			    "# %.*s %.*s: mac %02x:%02x:%02x:%02x:%02x:%02x ipv4 %s ipv6 %s %s"
			    " (%.*s)\n",
			    TJD_IFNAMSIZ, port->bridge, TJD_IFNAMSIZ, port->port, port->mac[0],
			    port->mac[1], port->mac[2], port->mac[3], port->mac[4], port->mac[5],
			    v4, v6, link, RULE_COMMENT_MAX, port->comment);
	}
	return textbuf_take(&text);
}
