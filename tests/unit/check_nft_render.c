/*
 * The nft backend's script, without a kernel: what backend_nft_render
 * produces for a ruleset (tables, sets, chains, the bridge-port binding,
 * the ruleset's named sets and conntrack DNAT conditions), the element
 * deltas between two, and that names and comments cannot smuggle nft
 * syntax in.
 */
#include "config.h"

#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/backend.h"
#include "tjd/ruleset.h"

static struct backend check_render_backend;
static struct ruleset check_render_set;
static char check_render_err[512];

/* The script for a protected network "web" on br-web, both families, both hooks. */
static const char check_render_policy_script[] =
    "add table inet tjd\n"
    "delete table inet tjd\n"
    "add table bridge tjd\n"
    "delete table bridge tjd\n"
    "table inet tjd {\n"
    "\tcomment \"managed by tjd; edits are reverted\"\n"
    "\tset fwd4_br_web {\n"
    "\t\ttype ipv4_addr\n"
    "\t\telements = { 172.20.0.2 comment \"tjd web allow proxy\",\n"
    "\t\t\t     172.20.0.7 comment \"tjd web allow metrics\" }\n"
    "\t}\n"
    "\tset fwd6_br_web {\n"
    "\t\ttype ipv6_addr\n"
    "\t\telements = { fd00:20::2 comment \"tjd web allow proxy\" }\n"
    "\t}\n"
    "\tset in4_br_web {\n"
    "\t\ttype ipv4_addr\n"
    "\t\telements = { 172.20.0.2 comment \"tjd web allow proxy\",\n"
    "\t\t\t     172.20.0.7 comment \"tjd web allow metrics\" }\n"
    "\t}\n"
    "\tchain forward {\n"
    "\t\ttype filter hook forward priority -10; policy accept;\n"
    "\t\tmeta nfproto ipv4 ct state established,related return comment \"tjd replies\"\n"
    "\t\tmeta nfproto ipv4 iifname \"br-web\" oifname \"br-web\" ip saddr @fwd4_br_web "
    "return comment \"tjd web allow\"\n"
    "\t\tmeta nfproto ipv4 iifname \"br-web\" oifname \"br-web\" counter drop "
    "comment \"tjd web isolate\"\n"
    "\t\tmeta nfproto ipv6 ct state established,related return comment \"tjd replies\"\n"
    "\t\tmeta nfproto ipv6 iifname \"br-web\" oifname \"br-web\" icmpv6 type 135 return "
    "comment \"tjd web neighbour-discovery\"\n"
    "\t\tmeta nfproto ipv6 iifname \"br-web\" oifname \"br-web\" icmpv6 type 136 return "
    "comment \"tjd web neighbour-discovery\"\n"
    "\t\tmeta nfproto ipv6 iifname \"br-web\" oifname \"br-web\" ip6 saddr @fwd6_br_web "
    "return comment \"tjd web allow proxy\"\n"
    "\t\tmeta nfproto ipv6 iifname \"br-web\" oifname \"br-web\" counter drop "
    "comment \"tjd web isolate\"\n"
    "\t}\n"
    "\tchain input {\n"
    "\t\ttype filter hook input priority -10; policy accept;\n"
    "\t\tmeta nfproto ipv4 ct state established,related return comment \"tjd replies\"\n"
    "\t\tmeta nfproto ipv4 iifname \"br-web\" ip saddr @in4_br_web return "
    "comment \"tjd web allow\"\n"
    "\t\tmeta nfproto ipv4 iifname \"br-web\" counter drop comment \"tjd web no-host\"\n"
    "\t}\n"
    "\tchain output {\n"
    "\t\ttype filter hook output priority -10; policy accept;\n"
    "\t\tmeta nfproto ipv4 oifname \"br-web\" ct state new tcp flags & (fin | syn | rst | "
    "ack) != syn counter drop comment \"tjd web host mid-stream\"\n"
    "\t}\n"
    "}\n"
    "table bridge tjd {\n"
    "\tcomment \"managed by tjd: each container's port may send only its own addresses\"\n"
    "\tset addr4 {\n"
    "\t\ttype ipv4_addr\n"
    "\t\telements = { 172.20.0.2,\n"
    "\t\t\t     172.20.0.7 }\n"
    "\t}\n"
    "\tset bound4 {\n"
    "\t\ttype ipv4_addr . ifname\n"
    "\t\telements = { 172.20.0.2 . \"veth1111111\",\n"
    "\t\t\t     172.20.0.7 . \"veth7777777\" }\n"
    "\t}\n"
    "\tset quoted4 {\n"
    "\t\ttypeof @th,192,32 . iifname\n"
    "\t}\n"
    "\tset addr6 {\n"
    "\t\ttype ipv6_addr\n"
    "\t\telements = { fd00:20::2 }\n"
    "\t}\n"
    "\tset bound6 {\n"
    "\t\ttype ipv6_addr . ifname\n"
    "\t\telements = { fd00:20::2 . \"veth1111111\" }\n"
    "\t}\n"
    "\tset macs {\n"
    "\t\ttype ether_addr . ifname\n"
    "\t}\n"
    "\tset nd6 {\n"
    "\t\ttypeof @th,64,128 . iifname\n"
    "\t}\n"
    "\tmap ports {\n"
    "\t\ttype ifname : verdict\n"
    "\t}\n"
    "\tchain prerouting {\n"
    "\t\ttype filter hook prerouting priority -300; policy accept;\n"
    "\t\tether type ip ip saddr @addr4 ip saddr . iifname != @bound4 counter drop "
    "comment \"tjd spoofed source\"\n"
    "\t\tether type arp arp saddr ip @addr4 arp saddr ip . iifname != @bound4 counter drop "
    "comment \"tjd spoofed source\"\n"
    "\t\tether type ip6 ip6 saddr @addr6 ip6 saddr . iifname != @bound6 counter drop "
    "comment \"tjd spoofed source\"\n"
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
    "\t\tether type ip icmp type { destination-unreachable, source-quench, time-exceeded, "
    "parameter-problem } @th,192,32 . iifname != @quoted4 counter drop "
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
    "}\n";

/* The script for nothing to protect: both tables, empty chains and sets. */
static const char check_render_empty_script[] =
    "add table inet tjd_blue\n"
    "delete table inet tjd_blue\n"
    "add table bridge tjd_blue\n"
    "delete table bridge tjd_blue\n"
    "table inet tjd_blue {\n"
    "\tcomment \"managed by tjd; edits are reverted\"\n"
    "\tchain forward {\n"
    "\t\ttype filter hook forward priority -10; policy accept;\n"
    "\t}\n"
    "\tchain input {\n"
    "\t\ttype filter hook input priority -10; policy accept;\n"
    "\t}\n"
    "\tchain output {\n"
    "\t\ttype filter hook output priority -10; policy accept;\n"
    "\t}\n"
    "}\n"
    "table bridge tjd_blue {\n"
    "\tcomment \"managed by tjd: each container's port may send only its own addresses\"\n"
    "\tset addr4 {\n"
    "\t\ttype ipv4_addr\n"
    "\t}\n"
    "\tset bound4 {\n"
    "\t\ttype ipv4_addr . ifname\n"
    "\t}\n"
    "\tset quoted4 {\n"
    "\t\ttypeof @th,192,32 . iifname\n"
    "\t}\n"
    "\tset addr6 {\n"
    "\t\ttype ipv6_addr\n"
    "\t}\n"
    "\tset bound6 {\n"
    "\t\ttype ipv6_addr . ifname\n"
    "\t}\n"
    "\tset macs {\n"
    "\t\ttype ether_addr . ifname\n"
    "\t}\n"
    "\tset nd6 {\n"
    "\t\ttypeof @th,64,128 . iifname\n"
    "\t}\n"
    "\tmap ports {\n"
    "\t\ttype ifname : verdict\n"
    "\t}\n"
    "\tchain prerouting {\n"
    "\t\ttype filter hook prerouting priority -300; policy accept;\n"
    "\t\tether type ip ip saddr @addr4 ip saddr . iifname != @bound4 counter drop "
    "comment \"tjd spoofed source\"\n"
    "\t\tether type arp arp saddr ip @addr4 arp saddr ip . iifname != @bound4 counter drop "
    "comment \"tjd spoofed source\"\n"
    "\t\tether type ip6 ip6 saddr @addr6 ip6 saddr . iifname != @bound6 counter drop "
    "comment \"tjd spoofed source\"\n"
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
    "\t\tether type ip icmp type { destination-unreachable, source-quench, time-exceeded, "
    "parameter-problem } @th,192,32 . iifname != @quoted4 counter drop "
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
    "}\n";

/* Appends a rule with the given family, hook and verdict. */
static struct rule *check_render_rule(int family, enum rule_hook hook, enum rule_verdict verdict)
{
	struct rule *rule = ruleset_add(&check_render_set);

	ck_assert_ptr_nonnull(rule);
	rule->family = family;
	rule->hook = hook;
	rule->verdict = verdict;
	return rule;
}

/* Parses a prefix the test knows to be valid. */
static void check_render_prefix(struct prefix *prefix, const char *text)
{
	ck_assert_msg(prefix_parse(text, prefix) == 0, "bad test prefix %s", text);
}

/* An allowance the way the policy compiler writes one. */
static struct rule *check_render_allow(int family, enum rule_hook hook, const char *address,
				       const char *port, const char *name)
{
	struct rule *rule = check_render_rule(family, hook, RULE_RETURN);

	strcpy(rule->in_iface, "br-web");
	if (hook == RULE_HOOK_FORWARD)
		strcpy(rule->out_iface, "br-web");
	check_render_prefix(&rule->src, address);
	strcpy(rule->physdev_in, port);
	snprintf(rule->comment, sizeof(rule->comment), "tjd web allow %s", name);
	return rule;
}

/* The "replies pass" rule. */
static void check_render_replies(int family, enum rule_hook hook)
{
	struct rule *rule = check_render_rule(family, hook, RULE_RETURN);

	rule->ctstate = RULE_CT_ESTABLISHED | RULE_CT_RELATED;
	strcpy(rule->comment, "tjd replies");
}

/* A closing drop for br-web. */
static void check_render_drop(int family, enum rule_hook hook, const char *comment)
{
	struct rule *rule = check_render_rule(family, hook, RULE_DROP);

	strcpy(rule->in_iface, "br-web");
	if (hook == RULE_HOOK_FORWARD)
		strcpy(rule->out_iface, "br-web");
	strcpy(rule->comment, comment);
}

/* Renders the set, which must succeed (malloc'd). */
static char *check_render(void)
{
	char *script;

	check_render_err[0] = '\0';
	script = backend_nft_render(&check_render_backend, &check_render_set, check_render_err,
				    sizeof(check_render_err));
	ck_assert_msg(script != NULL, "render failed: %s", check_render_err);
	return script;
}

/* Renders the set, which must fail with a reason containing `reason`. */
static void check_render_fails(const char *reason)
{
	char *script;

	check_render_err[0] = '\0';
	script = backend_nft_render(&check_render_backend, &check_render_set, check_render_err,
				    sizeof(check_render_err));
	ck_assert_msg(script == NULL, "render accepted what it should refuse:\n%s", script);
	ck_assert_msg(strstr(check_render_err, reason) != NULL, "error \"%s\" lacks \"%s\"",
		      check_render_err, reason);
}

/* Counts occurrences of `needle` in `text`. */
static int check_render_count(const char *text, const char *needle)
{
	int count = 0;

	for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
		count++;
	return count;
}

/* Each case: default instance, empty ruleset. */
static void check_render_setup(void)
{
	ck_assert_int_eq(backend_init(&check_render_backend, &backend_nft_ops, ""), 0);
	ruleset_init(&check_render_set);
}

/* Frees the ruleset. */
static void check_render_teardown(void)
{
	ruleset_free(&check_render_set);
}

START_TEST(test_policy_shape)
{
	char *script;
	struct rule *rule;

	/* what policy_compile writes for one network, IPv4 then IPv6, forward then input */
	check_render_replies(AF_INET, RULE_HOOK_FORWARD);
	check_render_allow(AF_INET, RULE_HOOK_FORWARD, "172.20.0.2", "veth1111111", "proxy");
	check_render_allow(AF_INET, RULE_HOOK_FORWARD, "172.20.0.7", "veth7777777", "metrics");
	check_render_drop(AF_INET, RULE_HOOK_FORWARD, "tjd web isolate");
	check_render_replies(AF_INET6, RULE_HOOK_FORWARD);
	for (uint8_t type = 135; type <= 136; type++) {
		rule = check_render_rule(AF_INET6, RULE_HOOK_FORWARD, RULE_RETURN);
		strcpy(rule->in_iface, "br-web");
		strcpy(rule->out_iface, "br-web");
		rule->protocol = IPPROTO_ICMPV6;
		rule->has_icmp_type = true;
		rule->icmp_type = type;
		strcpy(rule->comment, "tjd web neighbour-discovery");
	}
	check_render_allow(AF_INET6, RULE_HOOK_FORWARD, "fd00:20::2", "veth1111111", "proxy");
	check_render_drop(AF_INET6, RULE_HOOK_FORWARD, "tjd web isolate");
	check_render_replies(AF_INET, RULE_HOOK_INPUT);
	check_render_allow(AF_INET, RULE_HOOK_INPUT, "172.20.0.2", "veth1111111", "proxy");
	check_render_allow(AF_INET, RULE_HOOK_INPUT, "172.20.0.7", "veth7777777", "metrics");
	check_render_drop(AF_INET, RULE_HOOK_INPUT, "tjd web no-host");
	rule = check_render_rule(AF_INET, RULE_HOOK_OUTPUT, RULE_DROP);
	strcpy(rule->out_iface, "br-web");
	rule->ctstate = RULE_CT_NEW;
	rule->protocol = IPPROTO_TCP;
	rule->tcp_not_syn = true;
	strcpy(rule->comment, "tjd web host mid-stream");
	script = check_render();
	ck_assert_str_eq(script, check_render_policy_script);
	free(script);
}
END_TEST

/* The forward chain of a network with the given allowances ("" ends the list). */
static void check_render_network(struct ruleset *set, const char *const *addresses)
{
	struct ruleset saved = check_render_set;

	ruleset_init(&check_render_set);
	check_render_replies(AF_INET, RULE_HOOK_FORWARD);
	for (size_t i = 0; addresses[i][0] != '\0'; i++) {
		char port[16];
		snprintf(port, sizeof(port), "veth%c", addresses[i][strlen(addresses[i]) - 1]);
		check_render_allow(AF_INET, RULE_HOOK_FORWARD, addresses[i], port, "app");
	}
	check_render_drop(AF_INET, RULE_HOOK_FORWARD, "tjd web isolate");
	*set = check_render_set;
	check_render_set = saved;
}

START_TEST(test_delta_of_set_elements)
{
	static const char *const two[] = {"172.20.0.2", "172.20.0.3", ""};
	static const char *const three[] = {"172.20.0.2", "172.20.0.3", "172.20.0.4", ""};
	static const char *const other[] = {"172.20.0.2", "172.20.0.4", ""};
	static const char *const one[] = {"172.20.0.2", ""};
	struct ruleset a, b, c, d;
	char *delta;

	check_render_network(&a, two);
	check_render_network(&b, three);
	check_render_network(&c, other);
	check_render_network(&d, one);
	/* an allowance more: its address in the inet set and both binding sets, nothing else */
	delta = backend_nft_render_delta(&check_render_backend, &a, &b, check_render_err,
					 sizeof(check_render_err));
	ck_assert_msg(delta != NULL, "%s", check_render_err);
	ck_assert_str_eq(delta, "add element inet tjd fwd4_br_web { 172.20.0.4 comment \"tjd web "
				"allow app\" }\n"
				"add element bridge tjd addr4 { 172.20.0.4 }\n"
				"add element bridge tjd bound4 { 172.20.0.4 . \"veth4\" }\n");
	free(delta);
	/* one replaced by another: deletions first, by key */
	delta = backend_nft_render_delta(&check_render_backend, &a, &c, check_render_err,
					 sizeof(check_render_err));
	ck_assert_msg(delta != NULL, "%s", check_render_err);
	ck_assert_str_eq(delta, "delete element inet tjd fwd4_br_web { 172.20.0.3 }\n"
				"delete element bridge tjd addr4 { 172.20.0.3 }\n"
				"delete element bridge tjd bound4 { 172.20.0.3 . \"veth3\" }\n"
				"add element inet tjd fwd4_br_web { 172.20.0.4 comment \"tjd web "
				"allow app\" }\n"
				"add element bridge tjd addr4 { 172.20.0.4 }\n"
				"add element bridge tjd bound4 { 172.20.0.4 . \"veth4\" }\n");
	free(delta);
	/* the same: nothing to run */
	delta = backend_nft_render_delta(&check_render_backend, &b, &b, check_render_err,
					 sizeof(check_render_err));
	ck_assert_str_eq(delta, "");
	free(delta);
	/* down to one: still only elements, since the rule's comment is the same */
	delta = backend_nft_render_delta(&check_render_backend, &a, &d, check_render_err,
					 sizeof(check_render_err));
	ck_assert_ptr_nonnull(delta);
	ck_assert_int_eq(check_render_count(delta, "delete element"), 3);
	ck_assert_int_eq(check_render_count(delta, "add element"), 0);
	free(delta);
	/* a rule more or less is no delta either */
	b.rules[b.count - 1].verdict = RULE_RETURN;
	ck_assert_ptr_null(backend_nft_render_delta(&check_render_backend, &a, &b, check_render_err,
						    sizeof(check_render_err)));
	/* nor a comment that changed under the same address */
	strcpy(c.rules[1].comment, "tjd web allow renamed");
	ck_assert_ptr_null(backend_nft_render_delta(&check_render_backend, &c, &a, check_render_err,
						    sizeof(check_render_err)));
	ruleset_free(&a);
	ruleset_free(&b);
	ruleset_free(&c);
	ruleset_free(&d);
}
END_TEST

/* A container's port on br-web: known ones carry MAC 02:42:ac:14:00:HOST and its addresses. */
static void check_render_port(struct ruleset *set, const char *port, int host, bool known)
{
	struct l2_port *l2 = ruleset_add_port(set);
	char address[64];

	ck_assert_ptr_nonnull(l2);
	strcpy(l2->bridge, "br-web");
	strcpy(l2->port, port);
	l2->known = known;
	if (!known)
		return;
	snprintf(address, sizeof(address), "02:42:ac:14:00:%02x", host);
	ck_assert_int_eq(l2_mac_parse(address, l2->mac), 0);
	snprintf(address, sizeof(address), "172.20.0.%d", host);
	check_render_prefix(&l2->ipv4, address);
	snprintf(address, sizeof(address), "fd00:20::%d", host);
	check_render_prefix(&l2->ipv6, address);
	l2_link_local(l2->mac, &l2->ipv6_link);
	snprintf(l2->comment, sizeof(l2->comment), "tjd web c%d", host);
}

START_TEST(test_layer2_ports)
{
	struct ruleset a, b;
	char *script, *delta;

	check_render_port(&check_render_set, "vethaaa", 5, true);
	check_render_port(&check_render_set, "vethbbb", 0, false);
	script = check_render();
	/* the known port: its MAC, its addresses bound to it, its ND targets as integers */
	ck_assert_ptr_nonnull(
	    strstr(script, "\t\telements = { 02:42:ac:14:00:05 . \"vethaaa\" }\n"));
	ck_assert_ptr_nonnull(strstr(script, "\t\telements = { 172.20.0.5 . \"vethaaa\" }\n"));
	ck_assert_ptr_nonnull(strstr(script, "fd00:20::5 . \"vethaaa\""));
	ck_assert_ptr_nonnull(strstr(script, "fe80::42:acff:fe14:5 . \"vethaaa\""));
	ck_assert_ptr_nonnull(strstr(script, "0xfd000020000000000000000000000005 . \"vethaaa\""));
	ck_assert_ptr_nonnull(strstr(script, "\t\telements = { 0xac140005 . \"vethaaa\" }\n"));
	ck_assert_ptr_nonnull(strstr(script, "0xfe800000000000000042acfffe140005 . \"vethaaa\""));
	/* the map: the known port is checked, the unknown one sends nothing */
	ck_assert_ptr_nonnull(strstr(script, "\"vethaaa\" : jump bound"));
	ck_assert_ptr_nonnull(strstr(script, "\"vethbbb\" : jump unattributed"));
	ck_assert_int_eq(check_render_count(script, "vethbbb"), 1);
	free(script);

	/* a container more: only elements change, the map's included */
	ruleset_init(&a);
	ruleset_init(&b);
	check_render_port(&a, "vethaaa", 5, true);
	check_render_port(&b, "vethaaa", 5, true);
	check_render_port(&b, "vethccc", 6, true);
	delta = backend_nft_render_delta(&check_render_backend, &a, &b, check_render_err,
					 sizeof(check_render_err));
	ck_assert_msg(delta != NULL, "%s", check_render_err);
	ck_assert_int_eq(check_render_count(delta, "delete element"), 0);
	ck_assert_ptr_nonnull(strstr(delta, "add element bridge tjd ports { \"vethccc\" : jump "
					    "bound }\n"));
	ck_assert_ptr_nonnull(
	    strstr(delta, "add element bridge tjd macs { 02:42:ac:14:00:06 . \"vethccc\" }\n"));
	free(delta);
	/* and gone again: a map element is deleted by its key alone */
	delta = backend_nft_render_delta(&check_render_backend, &b, &a, check_render_err,
					 sizeof(check_render_err));
	ck_assert_msg(delta != NULL, "%s", check_render_err);
	ck_assert_int_eq(check_render_count(delta, "add element"), 0);
	ck_assert_ptr_nonnull(strstr(delta, "delete element bridge tjd ports { \"vethccc\" }\n"));
	free(delta);
	/* a port that becomes unattributed changes a map value: not a mere delta */
	b.ports[1].known = false;
	check_render_port(&a, "vethccc", 6, true);
	ck_assert_ptr_null(backend_nft_render_delta(&check_render_backend, &a, &b, check_render_err,
						    sizeof(check_render_err)));
	ruleset_free(&a);
	ruleset_free(&b);
}
END_TEST

START_TEST(test_layer2_bad_port_names_refused)
{
	check_render_port(&check_render_set, "vethaaa", 5, true);
	strcpy(check_render_set.ports[0].port, "veth\"x");
	check_render_fails("unusable interface name");
	strcpy(check_render_set.ports[0].port, "vethaaa");
	strcpy(check_render_set.ports[0].bridge, "br web");
	check_render_fails("unusable interface name");
}
END_TEST

START_TEST(test_empty_ruleset_and_instance_table)
{
	char *script;

	ck_assert_int_eq(backend_init(&check_render_backend, &backend_nft_ops, "blue"), 0);
	script = check_render();
	ck_assert_str_eq(script, check_render_empty_script);
	free(script);
}
END_TEST

START_TEST(test_unusable_chain_names_refused)
{
	memset(&check_render_backend, 0, sizeof(check_render_backend));
	check_render_fails("table name");
	strcpy(check_render_backend.chain_forward, "TJD-FORWARD-a;b");
	check_render_fails("table name");
	strcpy(check_render_backend.chain_forward, "OTHER");
	check_render_fails("table name");
	strcpy(check_render_backend.chain_forward, "TJD-FORWARD-");
	check_render_fails("table name");
}
END_TEST

START_TEST(test_every_match)
{
	char *script;
	struct rule *rule;

	rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	check_render_prefix(&rule->src, "10.1.2.3/8"); /* host bits go */
	check_render_prefix(&rule->dst, "192.168.7.129/25");
	rule->protocol = IPPROTO_TCP;
	rule->ctstate = RULE_CT_NEW;
	rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_RETURN);
	rule->protocol = IPPROTO_ICMP;
	rule->has_icmp_type = true;
	rule->icmp_type = 8;
	rule->ctstate = RULE_CT_NEW | RULE_CT_ESTABLISHED | RULE_CT_RELATED;
	rule = check_render_rule(AF_INET6, RULE_HOOK_INPUT, RULE_DROP);
	check_render_prefix(&rule->dst, "fd00:1::1/128");
	check_render_prefix(&rule->src, "::/0"); /* any */
	rule->protocol = IPPROTO_UDP;
	rule->ctstate = RULE_CT_NEW | RULE_CT_RELATED;
	rule = check_render_rule(AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	strcpy(rule->in_iface, "br-web");
	strcpy(rule->out_iface, "br-web");
	rule->protocol = IPPROTO_TCP;
	rule->tcp_not_syn = true;
	rule->ctstate = RULE_CT_NEW;
	rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_REJECT);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = 8000;
	rule->dport_last = 8080;
	rule = check_render_rule(AF_INET6, RULE_HOOK_OUTPUT, RULE_REJECT);
	rule->protocol = IPPROTO_UDP;
	rule->sport_first = rule->sport_last = 53;
	rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 25;
	rule->tcp_not_syn = true;
	script = check_render();
	ck_assert_ptr_nonnull(strstr(script, "\t\tmeta nfproto ipv4 meta l4proto 6 th dport "
					     "8000-8080 counter reject with tcp reset\n"));
	ck_assert_ptr_nonnull(strstr(script, "\t\tmeta nfproto ipv6 meta l4proto 17 th sport 53 "
					     "counter reject\n"));
	ck_assert_ptr_nonnull(strstr(script, "\t\tmeta nfproto ipv4 meta l4proto 6 th dport 25 "
					     "tcp flags & (fin | syn | rst | ack) != syn counter "
					     "drop\n"));
	ck_assert_ptr_nonnull(strstr(script,
				     "\t\tmeta nfproto ipv6 iifname \"br-web\" oifname "
				     "\"br-web\" ct state new tcp flags & (fin | syn | rst | "
				     "ack) != syn counter drop\n"));
	ck_assert_ptr_nonnull(strstr(script,
				     "\t\tmeta nfproto ipv4 ct state new ip saddr 10.0.0.0/8 "
				     "ip daddr 192.168.7.128/25 meta l4proto 6 counter "
				     "drop\n"));
	ck_assert_ptr_nonnull(strstr(script, "\t\tmeta nfproto ipv4 ct state "
					     "new,established,related icmp type 8 return\n"));
	ck_assert_ptr_nonnull(strstr(script, "\t\tmeta nfproto ipv6 ct state new,related "
					     "ip6 daddr fd00:1::1 meta l4proto 17 counter drop\n"));
	/* rules land in their hook's chain, in order */
	ck_assert_ptr_nonnull(strstr(script, "type filter hook input priority -10; policy accept;\n"
					     "\t\tmeta nfproto ipv4 ct state"));
	free(script);
}
END_TEST

START_TEST(test_allowances_without_port_share_a_set_but_bind_nothing)
{
	char *script;
	struct rule *rule;

	rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	check_render_prefix(&rule->src, "10.0.0.5");
	rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	check_render_prefix(&rule->src, "10.0.0.6");
	script = check_render();
	ck_assert_ptr_nonnull(strstr(script,
				     "\tset fwd4_any {\n\t\ttype ipv4_addr\n"
				     "\t\telements = { 10.0.0.5,\n\t\t\t     10.0.0.6 }\n"));
	ck_assert_ptr_nonnull(strstr(script, "\t\tmeta nfproto ipv4 ip saddr @fwd4_any return\n"));
	ck_assert_ptr_nonnull(strstr(script, "\tset bound4 {\n\t\ttype ipv4_addr . ifname\n\t}\n"));
	free(script);
}
END_TEST

START_TEST(test_set_names_stay_unique)
{
	char *script;
	struct rule *rule;

	/* "br-a" and "br_a" sanitise alike; a drop between two runs splits a bridge's set */
	rule = check_render_allow(AF_INET, RULE_HOOK_FORWARD, "10.0.0.2", "vethA", "a");
	strcpy(rule->in_iface, "br-a");
	rule = check_render_allow(AF_INET, RULE_HOOK_FORWARD, "10.0.1.2", "vethB", "b");
	strcpy(rule->in_iface, "br_a");
	check_render_drop(AF_INET, RULE_HOOK_FORWARD, "x");
	rule = check_render_allow(AF_INET, RULE_HOOK_FORWARD, "10.0.0.3", "vethC", "c");
	strcpy(rule->in_iface, "br-a");
	script = check_render();
	ck_assert_int_eq(check_render_count(script, "\tset fwd4_br_a {"), 1);
	ck_assert_int_eq(check_render_count(script, "\tset fwd4_br_a_1 {"), 1);
	ck_assert_int_eq(check_render_count(script, "\tset fwd4_br_a_3 {"), 1);
	ck_assert_ptr_nonnull(strstr(script, "iifname \"br-a\" oifname \"br-web\" ip saddr "
					     "@fwd4_br_a return"));
	ck_assert_ptr_nonnull(strstr(script, "iifname \"br_a\" oifname \"br-web\" ip saddr "
					     "@fwd4_br_a_1 return"));
	ck_assert_ptr_nonnull(strstr(script, "iifname \"br-a\" oifname \"br-web\" ip saddr "
					     "@fwd4_br_a_3 return"));
	free(script);
}
END_TEST

START_TEST(test_duplicates_appear_once)
{
	char *script;

	/* one address twice in a run; two ports for one address */
	check_render_allow(AF_INET, RULE_HOOK_FORWARD, "10.0.0.2", "vethA", "a");
	check_render_allow(AF_INET, RULE_HOOK_FORWARD, "10.0.0.2", "vethA", "again");
	check_render_allow(AF_INET, RULE_HOOK_FORWARD, "10.0.0.2", "vethB", "b");
	check_render_allow(AF_INET, RULE_HOOK_INPUT, "10.0.0.2", "vethA", "a");
	script = check_render();
	ck_assert_ptr_nonnull(strstr(script, "\t\telements = { 10.0.0.2 comment "
					     "\"tjd web allow a\" }\n"));
	ck_assert_ptr_nonnull(strstr(script, "\t\telements = { 10.0.0.2 . \"vethA\",\n"
					     "\t\t\t     10.0.0.2 . \"vethB\" }\n"));
	ck_assert_ptr_nonnull(strstr(script, "\tset addr4 {\n\t\ttype ipv4_addr\n"
					     "\t\telements = { 10.0.0.2 }\n"));
	free(script);
}
END_TEST

START_TEST(test_comments_cannot_escape)
{
	static const char *const hostile[] = {
	    "a\" ; flush ruleset ; \"",
	    "x}\n table ip evil { chain c { type filter hook input priority 0; policy drop; } }",
	    "back\\slash \\\" $var #hash {brace} [br] 'q' `t` *wild* ;semi",
	    "\x01\x7f\xff tab\there",
	};
	static const char *const sanitised[] = {
	    "a_ _ flush ruleset _ _",
	    "x__ table ip evil _ chain c _ type filter hook input priority 0", /* cut at 63 */
	    "back_slash __ _var _hash _brace_ _br_ _q_ _t_ _wild_ _semi",
	    "___ tab_here",
	};
	char *script;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct rule *rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_DROP);
		char expected[RULE_COMMENT_MAX + 64];

		snprintf(rule->comment, sizeof(rule->comment), "%s", hostile[i]);
		script = check_render();
		snprintf(expected, sizeof(expected), "counter drop comment \"%s\"\n", sanitised[i]);
		ck_assert_msg(strstr(script, expected) != NULL, "no %s in\n%s", expected, script);
		/* quotes only in pairs we wrote: one per comment/name delimiter */
		ck_assert_int_eq(check_render_count(script, "\"") % 2, 0);
		ck_assert_ptr_null(strstr(script, "evil {"));
		ck_assert_ptr_null(strstr(script, "\\"));
		free(script);
		ruleset_reset(&check_render_set);
	}
}
END_TEST

START_TEST(test_comment_without_terminator_is_bounded)
{
	struct rule *rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	char expected[RULE_COMMENT_MAX + 32];
	char *script;

	memset(rule->comment, 'c', sizeof(rule->comment));
	script = check_render();
	snprintf(expected, sizeof(expected), "comment \"%.*s\"\n", RULE_COMMENT_MAX - 1,
		 rule->comment);
	ck_assert_ptr_nonnull(strstr(script, expected));
	free(script);
}
END_TEST

/* Interface names that must never reach a quoted nft string. */
static const char *const check_render_bad_names[] = {
    "br\"x", "br*", "br x", "a;b", "br\\", "br{", "br$x", "br\n", "veth@1", "br/0",
};

START_TEST(test_bad_interface_names_refused)
{
	struct rule *rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	const char *name = check_render_bad_names[_i];

	check_render_prefix(&rule->src, "10.0.0.2");
	strcpy(rule->in_iface, name);
	check_render_fails("interface name");
	rule->in_iface[0] = '\0';
	strcpy(rule->out_iface, name);
	check_render_fails("interface name");
	rule->out_iface[0] = '\0';
	strcpy(rule->physdev_in, name);
	check_render_fails("interface name");
}
END_TEST

START_TEST(test_unterminated_interface_refused)
{
	struct rule *rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_DROP);

	memset(rule->in_iface, 'b', sizeof(rule->in_iface));
	check_render_fails("interface name");
}
END_TEST

START_TEST(test_unexpressible_rules_refused)
{
	struct rule *rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_DROP);

	/* a port binding on anything but a one-address allowance */
	strcpy(rule->physdev_in, "veth1");
	check_render_fails("physdev");
	rule->verdict = RULE_RETURN;
	check_render_prefix(&rule->src, "10.0.0.0/24");
	check_render_fails("physdev");
	check_render_prefix(&rule->src, "10.0.0.1");
	free(check_render()); /* now valid */
	/* mismatched families, types and states */
	check_render_prefix(&rule->src, "fd00::1");
	check_render_fails("other family");
	check_render_prefix(&rule->src, "10.0.0.1");
	rule->has_icmp_type = true;
	rule->protocol = IPPROTO_ICMPV6;
	check_render_fails("ICMP type");
	rule->has_icmp_type = false;
	rule->protocol = IPPROTO_UDP;
	rule->tcp_not_syn = true;
	check_render_fails("TCP flags");
	rule->tcp_not_syn = false;
	rule->protocol = IPPROTO_ICMP;
	rule->dport_first = rule->dport_last = 80;
	check_render_fails("ports without protocol");
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = 81;
	check_render_fails("port range");
	rule->dport_first = 0;
	check_render_fails("port range");
	rule->dport_first = rule->dport_last = 0;
	rule->sport_first = 5;
	check_render_fails("port range");
	rule->sport_first = 0;
	rule->protocol = 0;
	rule->ctstate = 0x8;
	check_render_fails("conntrack state");
	rule->ctstate = 0;
	rule->family = AF_UNIX;
	check_render_fails("rule 1 ");
	rule->family = AF_INET;
	rule->verdict = 7;
	check_render_fails("verdict");
	rule->verdict = RULE_RETURN;
	rule->hook = 5;
	check_render_fails("hook");
}
END_TEST

/* Adds a named set to `set` with the given members ("" ends the list). */
static void check_render_named(struct ruleset *set, const char *name, int family,
			       const char *comment, const char *const *members)
{
	struct rule_addrset *named = ruleset_add_set(set, name, family);

	ck_assert_ptr_nonnull(named);
	snprintf(named->comment, sizeof(named->comment), "%s", comment);
	for (size_t i = 0; members[i][0] != '\0'; i++) {
		struct prefix member;

		check_render_prefix(&member, members[i]);
		ck_assert_int_eq(ruleset_add_member(set, &member), 0);
	}
}

/* The inet table of the script for check_render_sets_ruleset (the bridge table follows). */
static const char check_render_sets_inet[] =
    "add table inet tjd\n"
    "delete table inet tjd\n"
    "add table bridge tjd\n"
    "delete table bridge tjd\n"
    "table inet tjd {\n"
    "\tcomment \"managed by tjd; edits are reverted\"\n"
    "\tset set_trusted {\n"
    "\t\ttype ipv4_addr\n"
    "\t\tflags interval\n"
    "\t\tcomment \"tjd set trusted\"\n"
    "\t\telements = { 10.0.0.0/24,\n"
    "\t\t\t     10.0.1.5,\n"
    "\t\t\t     192.168.0.0/16 }\n"
    "\t}\n"
    "\tset set_v6-peers {\n"
    "\t\ttype ipv6_addr\n"
    "\t\tflags interval\n"
    "\t}\n"
    "\tset fwd4_br_web {\n"
    "\t\ttype ipv4_addr\n"
    "\t\telements = { 172.20.0.2 comment \"tjd web allow proxy\" }\n"
    "\t}\n"
    "\tchain forward {\n"
    "\t\ttype filter hook forward priority -10; policy accept;\n"
    "\t\tmeta nfproto ipv4 iifname \"br-web\" oifname \"br-web\" ip saddr @fwd4_br_web "
    "return comment \"tjd web allow proxy\"\n"
    "\t\tmeta nfproto ipv4 iifname \"br-web\" ip saddr @set_trusted ip daddr 172.20.0.0/16 "
    "return comment \"tjd web from trusted\"\n"
    "\t\tmeta nfproto ipv4 ct state new ct status dnat ip saddr @set_trusted meta l4proto 6 "
    "th dport 80 ct original proto-dst 8080 counter drop comment \"tjd published web 8080\"\n"
    "\t\tmeta nfproto ipv6 ct status dnat ip6 daddr @set_v6-peers meta l4proto 17 "
    "ct original proto-dst 5000-5010 counter drop comment \"tjd published udp\"\n"
    "\t}\n"
    "\tchain input {\n"
    "\t\ttype filter hook input priority -10; policy accept;\n"
    "\t\tmeta nfproto ipv6 ip6 saddr @set_v6-peers ip6 daddr @set_v6-peers counter drop\n"
    "\t\tmeta nfproto ipv4 ct status dnat icmp type 8 counter drop\n"
    "\t\tmeta nfproto ipv4 meta l4proto 6 ct original proto-dst 443 tcp flags & (fin | syn | "
    "rst | ack) != syn counter drop\n"
    "\t}\n"
    "\tchain output {\n"
    "\t\ttype filter hook output priority -10; policy accept;\n"
    "\t}\n"
    "}\n"
    "table bridge tjd {\n";

/* A set of each family, rules that look into them, and the conntrack DNAT conditions. */
static void check_render_sets_ruleset(struct ruleset *set, const char *const *trusted)
{
	static const char *const none[] = {""};
	struct ruleset saved = check_render_set;
	struct rule *rule;

	ruleset_init(&check_render_set);
	check_render_named(&check_render_set, "trusted", AF_INET, "tjd set trusted", trusted);
	check_render_named(&check_render_set, "v6-peers", AF_INET6, "", none);
	check_render_allow(AF_INET, RULE_HOOK_FORWARD, "172.20.0.2", "veth1", "proxy");
	/* a RETURN next to the allowance, with a set for its source: a rule of its own */
	rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	strcpy(rule->in_iface, "br-web");
	strcpy(rule->src_set, "trusted");
	check_render_prefix(&rule->dst, "172.20.0.0/16");
	strcpy(rule->comment, "tjd web from trusted");
	rule = check_render_rule(AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	rule->ctstate = RULE_CT_NEW;
	rule->ct_dnat = true;
	strcpy(rule->src_set, "trusted");
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 80;
	rule->ct_dport_first = rule->ct_dport_last = 8080;
	strcpy(rule->comment, "tjd published web 8080");
	rule = check_render_rule(AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	rule->ct_dnat = true;
	strcpy(rule->dst_set, "v6-peers");
	rule->protocol = IPPROTO_UDP;
	rule->ct_dport_first = 5000;
	rule->ct_dport_last = 5010;
	strcpy(rule->comment, "tjd published udp");
	rule = check_render_rule(AF_INET6, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->src_set, "v6-peers");
	strcpy(rule->dst_set, "v6-peers");
	rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->ct_dnat = true;
	rule->protocol = IPPROTO_ICMP;
	rule->has_icmp_type = true;
	rule->icmp_type = 8;
	rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->protocol = IPPROTO_TCP;
	rule->tcp_not_syn = true;
	rule->ct_dport_first = rule->ct_dport_last = 443;
	*set = check_render_set;
	check_render_set = saved;
}

START_TEST(test_ruleset_sets_and_dnat)
{
	static const char *const trusted[] = {"10.0.0.0/24", "10.0.1.5", "192.168.7.1/16", ""};
	struct ruleset built;
	char *script;

	check_render_sets_ruleset(&built, trusted);
	ruleset_free(&check_render_set);
	check_render_set = built;
	script = check_render();
	ck_assert_msg(strncmp(script, check_render_sets_inet, strlen(check_render_sets_inet)) == 0,
		      "the script starts\n%.*s", (int)strlen(check_render_sets_inet), script);
	/* the bridge table holds only the allowance's binding */
	ck_assert_ptr_null(strstr(script + strlen(check_render_sets_inet), "set_"));
	ck_assert_ptr_nonnull(strstr(script, "\t\telements = { 172.20.0.2 . \"veth1\" }\n"));
	free(script);
}
END_TEST

START_TEST(test_delta_of_set_members)
{
	static const char *const trusted[] = {"10.0.0.0/24", "10.0.1.5", "192.168.7.1/16", ""};
	static const char *const moved[] = {"10.0.0.0/25", "10.0.0.128/25", "192.168.0.0/16",
					    "fd00::1", ""};
	static const char *const empty[] = {""};
	struct ruleset a, b, c;
	char *delta;

	check_render_sets_ruleset(&a, trusted);
	check_render_sets_ruleset(&b, moved);
	/* an IPv6 member in an IPv4 set is refused, with the set and member named */
	check_render_set = b;
	check_render_fails("set \"trusted\" cannot be written to nftables: a member of the other "
			   "family (member 4)");
	ruleset_init(&check_render_set);
	b.member_count--;
	b.sets[0].count--;
	b.sets[1].first--;
	ck_assert(ruleset_rules_equal(&a, &b));
	ck_assert(!ruleset_sets_equal(&a, &b));
	/* members only: their deletions first, then their additions, in the inet table only */
	delta = backend_nft_render_delta(&check_render_backend, &a, &b, check_render_err,
					 sizeof(check_render_err));
	ck_assert_msg(delta != NULL, "%s", check_render_err);
	ck_assert_str_eq(delta,
			 "delete element inet tjd set_trusted { 10.0.0.0/24, 10.0.1.5 }\n"
			 "add element inet tjd set_trusted { 10.0.0.0/25, 10.0.0.128/25 }\n");
	free(delta);
	/* emptied, and filled again: an empty set stays declared, so this is a delta too */
	check_render_sets_ruleset(&c, empty);
	delta = backend_nft_render_delta(&check_render_backend, &a, &c, check_render_err,
					 sizeof(check_render_err));
	ck_assert_msg(delta != NULL, "%s", check_render_err);
	ck_assert_str_eq(delta, "delete element inet tjd set_trusted { 10.0.0.0/24, 10.0.1.5, "
				"192.168.0.0/16 }\n");
	free(delta);
	delta = backend_nft_render_delta(&check_render_backend, &c, &a, check_render_err,
					 sizeof(check_render_err));
	ck_assert_msg(delta != NULL, "%s", check_render_err);
	ck_assert_str_eq(delta, "add element inet tjd set_trusted { 10.0.0.0/24, 10.0.1.5, "
				"192.168.0.0/16 }\n");
	free(delta);
	/* a set's comment is no element: the whole ruleset goes in */
	strcpy(c.sets[0].comment, "tjd set renamed");
	ck_assert_ptr_null(backend_nft_render_delta(&check_render_backend, &a, &c, check_render_err,
						    sizeof(check_render_err)));
	ruleset_free(&a);
	ruleset_free(&b);
	ruleset_free(&c);
}
END_TEST

START_TEST(test_set_conditions_refused)
{
	static const char *const members[] = {"10.0.0.0/24", ""};
	struct rule *rule;

	check_render_named(&check_render_set, "trusted", AF_INET, "", members);
	rule = check_render_rule(AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->src_set, "missing");
	check_render_fails("rule 1 cannot be written to nftables: set \"missing\": the ruleset "
			   "has no set of that name");
	rule->src_set[0] = '\0';
	strcpy(rule->dst_set, "missing");
	check_render_fails("set \"missing\": the ruleset has no set of that name");
	strcpy(rule->dst_set, "trusted");
	free(check_render()); /* now valid */
	rule->family = AF_INET6;
	check_render_fails("set \"trusted\": the set is of the other family");
	rule->family = AF_INET;
	check_render_prefix(&rule->dst, "10.0.0.1");
	check_render_fails("both an address and a set on one side");
	memset(&rule->dst, 0, sizeof(rule->dst));
	strcpy(rule->dst_set, "a\"b");
	check_render_fails("set name not");
	ck_assert_ptr_null(strstr(check_render_err, "a\"b"));
	memset(rule->dst_set, 'x', sizeof(rule->dst_set));
	check_render_fails("set name not");
	rule->dst_set[0] = '\0';
	/* the original destination port needs a protocol with ports, in order */
	rule->ct_dport_first = rule->ct_dport_last = 8080;
	check_render_fails("original destination port (conntrack) without protocol TCP, UDP or "
			   "SCTP");
	rule->protocol = IPPROTO_ICMP;
	check_render_fails("original destination port (conntrack) without protocol");
	rule->protocol = IPPROTO_TCP;
	free(check_render());
	rule->ct_dport_first = 8081;
	check_render_fails("original destination port range");
	rule->ct_dport_first = 0;
	check_render_fails("original destination port range");
	rule->ct_dport_last = 0;
	rule->ct_dport_first = 1;
	check_render_fails("original destination port range");
	rule->ct_dport_first = 0;
	free(check_render());
}
END_TEST

START_TEST(test_unwritable_sets_refused)
{
	static const char *const members[] = {"10.0.0.0/24", "10.0.1.0/24", ""};
	static const char *const overlapping[] = {"10.0.0.0/16", "10.0.1.0/24", ""};
	static const char *const unordered[] = {"10.0.1.0/24", "10.0.0.0/24", ""};
	static const char *const twice[] = {"10.0.1.5", "10.0.1.5", ""};
	static const char *const hosts[] = {"10.0.1.5/24", "10.0.1.7/24", ""};

	check_render_named(&check_render_set, "a", AF_INET, "", members);
	free(check_render());
	check_render_named(&check_render_set, "a", AF_INET, "", members);
	check_render_fails("set 2 cannot be written to nftables: a second set of that name");
	ruleset_reset(&check_render_set);
	check_render_named(&check_render_set, "a", AF_INET, "", overlapping);
	check_render_fails("set \"a\" cannot be written to nftables: members overlapping or out "
			   "of order (member 2)");
	ruleset_reset(&check_render_set);
	check_render_named(&check_render_set, "a", AF_INET, "", unordered);
	check_render_fails("members overlapping or out of order (member 2)");
	ruleset_reset(&check_render_set);
	check_render_named(&check_render_set, "a", AF_INET, "", twice);
	check_render_fails("members overlapping or out of order (member 2)");
	/* one network written with two of its hosts' addresses */
	ruleset_reset(&check_render_set);
	check_render_named(&check_render_set, "a", AF_INET, "", hosts);
	check_render_fails("members overlapping or out of order (member 2)");
	ruleset_reset(&check_render_set);
	check_render_named(&check_render_set, "a", AF_INET, "", members);
	check_render_set.members[1].length = 0;
	check_render_fails("a member of length 0 or longer than the address (member 2)");
	check_render_set.members[1].length = 33;
	check_render_fails("a member of length 0 or longer than the address (member 2)");
	check_render_set.members[1].length = 24;
	check_render_set.sets[0].count = 3;
	check_render_fails("set 1 cannot be written to nftables: members beyond the ruleset's");
	check_render_set.sets[0].count = 2;
	check_render_set.sets[0].family = AF_UNIX;
	check_render_fails("set 1 cannot be written to nftables: unknown address family");
	check_render_set.sets[0].family = AF_INET;
	strcpy(check_render_set.sets[0].name, "9lives");
	check_render_fails("set 1 cannot be written to nftables: name not");
}
END_TEST

/* The suite. */
static Suite *check_render_suite(void)
{
	Suite *suite = suite_create("nft_render");
	TCase *tcase = tcase_create("render");

	tcase_add_checked_fixture(tcase, check_render_setup, check_render_teardown);
	tcase_add_test(tcase, test_policy_shape);
	tcase_add_test(tcase, test_empty_ruleset_and_instance_table);
	tcase_add_test(tcase, test_delta_of_set_elements);
	tcase_add_test(tcase, test_layer2_ports);
	tcase_add_test(tcase, test_layer2_bad_port_names_refused);
	tcase_add_test(tcase, test_unusable_chain_names_refused);
	tcase_add_test(tcase, test_every_match);
	tcase_add_test(tcase, test_allowances_without_port_share_a_set_but_bind_nothing);
	tcase_add_test(tcase, test_set_names_stay_unique);
	tcase_add_test(tcase, test_duplicates_appear_once);
	tcase_add_test(tcase, test_comments_cannot_escape);
	tcase_add_test(tcase, test_comment_without_terminator_is_bounded);
	tcase_add_loop_test(tcase, test_bad_interface_names_refused, 0,
			    sizeof(check_render_bad_names) / sizeof(check_render_bad_names[0]));
	tcase_add_test(tcase, test_unterminated_interface_refused);
	tcase_add_test(tcase, test_unexpressible_rules_refused);
	tcase_add_test(tcase, test_ruleset_sets_and_dnat);
	tcase_add_test(tcase, test_delta_of_set_members);
	tcase_add_test(tcase, test_set_conditions_refused);
	tcase_add_test(tcase, test_unwritable_sets_refused);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(check_render_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
