/* Policy compiler: config + inventory -> ruleset, without a kernel. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tjd/conf.h"
#include "tjd/policy.h"

static struct conf *conf;
static struct inventory inv;
static struct ruleset out;
static char conf_path[] = "/tmp/check_policy_XXXXXX";

/* Writes a config with two networks, one allowing host traffic. */
static void policy_setup(void)
{
	static const char text[] = "[network web]\n"
				   "allow = label=tjd.allow=true\n"
				   "[network open]\n"
				   "allow = name=proxy\n"
				   "allow_host_traffic = yes\n";
	char err[256];
	int fd = mkstemp(conf_path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	conf = conf_load(conf_path, true, NULL, err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	inventory_init(&inv);
	ruleset_init(&out);
}

static void policy_teardown(void)
{
	unlink(conf_path);
	strcpy(conf_path, "/tmp/check_policy_XXXXXX");
	conf_free(conf);
	inventory_free(&inv);
	ruleset_free(&out);
}

/* Adds a protected bridge network with v4 and v6 subnets. */
static struct inv_network *policy_network(const char *name, const char *bridge)
{
	struct inv_network *net = inventory_add_network(&inv);

	ck_assert_ptr_nonnull(net);
	strcpy(net->name, name);
	strcpy(net->id, "0123456789abcdef");
	strcpy(net->driver, "bridge");
	strcpy(net->bridge, bridge);
	ck_assert_int_eq(prefix_parse("172.30.0.0/24", &net->subnets[0]), 0);
	ck_assert_int_eq(prefix_parse("fd00:30::/64", &net->subnets[1]), 0);
	net->subnet_count = 2;
	return net;
}

/* Adds an endpoint with both families. */
static struct inv_endpoint *policy_endpoint(struct inv_network *net, const char *name,
					    const char *v4, const char *v6, bool allowed,
					    const char *port)
{
	struct inv_endpoint *e = inv_network_add_endpoint(net);

	ck_assert_ptr_nonnull(e);
	strcpy(e->name, name);
	snprintf(e->container_id, sizeof(e->container_id), "%064x", (unsigned)net->endpoint_count);
	ck_assert_int_eq(prefix_parse(v4, &e->ipv4), 0);
	if (v6 != NULL)
		ck_assert_int_eq(prefix_parse(v6, &e->ipv6), 0);
	e->allowed = allowed;
	strcpy(e->bridge_port, port);
	return e;
}

/* Finds the index of the first rule matching the predicate fields (the mid-stream drop aside), or
 * -1. */
static int policy_find(int family, enum rule_hook hook, enum rule_verdict verdict, const char *src,
		       const char *physdev)
{
	struct prefix p;

	if (src != NULL)
		prefix_parse(src, &p);
	for (size_t i = 0; i < out.count; i++) {
		const struct rule *r = &out.rules[i];
		if (r->family != family || r->hook != hook || r->verdict != verdict ||
		    r->tcp_not_syn)
			continue;
		if (src != NULL && !prefix_equal(&r->src, &p))
			continue;
		if (physdev != NULL && strcmp(r->physdev_in, physdev) != 0)
			continue;
		return (int)i;
	}
	return -1;
}

START_TEST(test_empty_inventory_no_rules)
{
	char err[256];

	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(out.count, 0);
}
END_TEST

START_TEST(test_isolation_and_allowance)
{
	struct inv_network *net = policy_network("web", "br-web");
	size_t counts[1];
	char err[256];
	int established, allow4, allow6, drop4, drop6;

	policy_endpoint(net, "proxy", "172.30.0.2", "fd00:30::2", true, "vethproxy");
	policy_endpoint(net, "b1", "172.30.0.3", "fd00:30::3", false, "vethb1");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, counts, err, sizeof(err)), 0);

	established = policy_find(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN, NULL, NULL);
	ck_assert_int_eq(established, 0);
	ck_assert_uint_eq(out.rules[0].ctstate, RULE_CT_ESTABLISHED | RULE_CT_RELATED);

	allow4 = policy_find(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN, "172.30.0.2", "vethproxy");
	allow6 = policy_find(AF_INET6, RULE_HOOK_FORWARD, RULE_RETURN, "fd00:30::2", "vethproxy");
	drop4 = policy_find(AF_INET, RULE_HOOK_FORWARD, RULE_DROP, NULL, NULL);
	drop6 = policy_find(AF_INET6, RULE_HOOK_FORWARD, RULE_DROP, NULL, NULL);
	ck_assert_int_ge(allow4, 0);
	ck_assert_int_ge(allow6, 0);
	ck_assert_int_gt(drop4, allow4);
	ck_assert_int_gt(drop6, allow6);
	/* The drop covers the whole bridge: both sides, every address. */
	ck_assert_str_eq(out.rules[drop4].in_iface, "br-web");
	ck_assert_str_eq(out.rules[drop4].out_iface, "br-web");
	ck_assert_int_eq(out.rules[drop4].src.family, 0);
	/* The non-allow-listed backend gets no allowance at all. */
	ck_assert_int_lt(policy_find(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN, "172.30.0.3", NULL),
			 0);
	ck_assert_int_lt(policy_find(AF_INET, RULE_HOOK_INPUT, RULE_RETURN, "172.30.0.3", NULL), 0);
	/* Nor may the proxy open connections to the host: no INPUT allowance at all. */
	ck_assert_int_lt(policy_find(AF_INET, RULE_HOOK_INPUT, RULE_RETURN, "172.30.0.2", NULL), 0);
	ck_assert_int_lt(policy_find(AF_INET6, RULE_HOOK_INPUT, RULE_RETURN, "fd00:30::2", NULL),
			 0);
	/* Host traffic from the network is dropped on INPUT, for both families. */
	ck_assert_int_ge(policy_find(AF_INET, RULE_HOOK_INPUT, RULE_DROP, NULL, NULL), 0);
	ck_assert_int_ge(policy_find(AF_INET6, RULE_HOOK_INPUT, RULE_DROP, NULL, NULL), 0);
	ck_assert_uint_eq(counts[0], out.count - 4); /* minus the four "replies" rules */
	/* Right after the replies, forward only: no TCP picked up in mid-stream. */
	for (size_t f = 0; f < 2; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;
		int replies = policy_find(family, RULE_HOOK_FORWARD, RULE_RETURN, NULL, NULL);
		const struct rule *r = &out.rules[replies + 1];
		ck_assert(r->tcp_not_syn);
		ck_assert_int_eq(r->family, family);
		ck_assert_int_eq(r->verdict, RULE_DROP);
		ck_assert_uint_eq(r->ctstate, RULE_CT_NEW);
		ck_assert_uint_eq(r->protocol, IPPROTO_TCP);
		ck_assert_str_eq(r->in_iface, "br-web");
		ck_assert_str_eq(r->out_iface, "br-web");
		ck_assert_str_eq(r->comment, "tjd web mid-stream");
	}
	/* and what the host sends into the network: no connection picked up either */
	for (size_t f = 0; f < 2; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;
		int output = -1;
		for (size_t i = 0; i < out.count; i++)
			if (out.rules[i].family == family && out.rules[i].hook == RULE_HOOK_OUTPUT)
				output = output < 0 ? (int)i : -2;
		ck_assert_int_ge(output, 0); /* exactly one */
		ck_assert(out.rules[output].tcp_not_syn);
		ck_assert_uint_eq(out.rules[output].ctstate, RULE_CT_NEW);
		ck_assert_str_eq(out.rules[output].out_iface, "br-web");
		ck_assert_str_eq(out.rules[output].in_iface, "");
		ck_assert_int_eq(out.rules[output].verdict, RULE_DROP);
	}
}
END_TEST

START_TEST(test_neighbour_discovery_only_ns_na_forward)
{
	struct inv_network *net = policy_network("web", "br-web");
	char err[256];
	bool seen[256] = {false};
	int drop6;

	policy_endpoint(net, "b1", "172.30.0.3", "fd00:30::3", false, "vethb1");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	drop6 = policy_find(AF_INET6, RULE_HOOK_FORWARD, RULE_DROP, NULL, NULL);
	for (size_t i = 0; i < out.count; i++) {
		const struct rule *r = &out.rules[i];
		if (r->family == AF_INET6 && r->hook == RULE_HOOK_FORWARD && r->has_icmp_type) {
			ck_assert_int_eq(r->protocol, IPPROTO_ICMPV6);
			ck_assert_int_lt((int)i, drop6);
			seen[r->icmp_type] = true;
		}
		/* No ICMP exemption ever leaks into the IPv4 chain. */
		if (r->family == AF_INET)
			ck_assert(!r->has_icmp_type);
	}
	ck_assert(seen[135] && seen[136]);
	/* Router advertisements and redirects between containers stay dropped. */
	ck_assert(!seen[134] && !seen[137]);
}
END_TEST

START_TEST(test_allowance_needs_bridge_port)
{
	struct inv_network *net = policy_network("web", "br-web");
	char err[256];

	policy_endpoint(net, "proxy", "172.30.0.2", NULL, true, "");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	ck_assert_int_lt(policy_find(AF_INET, RULE_HOOK_FORWARD, RULE_RETURN, "172.30.0.2", NULL),
			 0);
	ck_assert_int_ge(policy_find(AF_INET, RULE_HOOK_FORWARD, RULE_DROP, NULL, NULL), 0);
}
END_TEST

START_TEST(test_allow_host_traffic_skips_input)
{
	struct inv_network *net = policy_network("open", "br-open");
	char err[256];

	policy_endpoint(net, "b1", "172.30.0.3", NULL, false, "vethb1");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(ruleset_count(&out, AF_INET, RULE_HOOK_INPUT), 0);
	ck_assert_uint_eq(ruleset_count(&out, AF_INET6, RULE_HOOK_INPUT), 0);
	/* the host may be talked to: nothing of its own output is dropped either */
	ck_assert_uint_eq(ruleset_count(&out, AF_INET, RULE_HOOK_OUTPUT), 0);
	ck_assert_uint_eq(ruleset_count(&out, AF_INET6, RULE_HOOK_OUTPUT), 0);
	ck_assert_int_ge(policy_find(AF_INET, RULE_HOOK_FORWARD, RULE_DROP, NULL, NULL), 0);
}
END_TEST

START_TEST(test_unconfigured_or_bridgeless_network_ignored)
{
	struct inv_network *net = policy_network("stranger", "br-x");
	char err[256];

	policy_endpoint(net, "b1", "172.30.0.3", NULL, false, "vethb1");
	net = policy_network("web", "");
	strcpy(net->driver, "macvlan");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(out.count, 0);
}
END_TEST

START_TEST(test_two_networks_one_replies_rule_per_chain)
{
	struct inv_network *web = policy_network("web", "br-web");
	struct inv_network *open = policy_network("open", "br-open");
	size_t counts[2];
	char err[256];
	size_t replies = 0;

	policy_endpoint(web, "b1", "172.30.0.3", NULL, false, "veth1");
	policy_endpoint(open, "b2", "172.31.0.3", NULL, false, "veth2");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, counts, err, sizeof(err)), 0);
	for (size_t i = 0; i < out.count; i++)
		replies += (out.rules[i].ctstate & RULE_CT_ESTABLISHED) != 0;
	/* FORWARD v4+v6 and INPUT v4+v6 (only web needs INPUT). */
	ck_assert_uint_eq(replies, 4);
	ck_assert_uint_eq(counts[0] + counts[1] + replies, out.count);
	ck_assert_uint_gt(counts[0], counts[1]);
}
END_TEST

START_TEST(test_compile_is_deterministic)
{
	struct inv_network *net = policy_network("web", "br-web");
	struct ruleset again;
	char err[256];

	ruleset_init(&again);
	for (int i = 0; i < 50; i++) {
		char v4[32];
		snprintf(v4, sizeof(v4), "172.30.0.%d", i + 2);
		policy_endpoint(net, "c", v4, NULL, i % 3 == 0, "vethx");
	}
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(policy_compile(conf, &inv, &again, NULL, err, sizeof(err)), 0);
	ck_assert(ruleset_equal(&out, &again));
	/* replies, mid-stream, 17 allowances, the drop and its log twin */
	ck_assert_uint_eq(ruleset_count(&out, AF_INET, RULE_HOOK_FORWARD), 1 + 1 + 17 + 2);
	/* drop_log = no: the closing drops alone */
	conf->drop_log = false;
	ck_assert_int_eq(policy_compile(conf, &inv, &again, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(ruleset_count(&again, AF_INET, RULE_HOOK_FORWARD), 1 + 1 + 17 + 1);
	for (size_t i = 0; i < again.count; i++)
		ck_assert_int_ne(again.rules[i].verdict, RULE_LOG);
	ruleset_free(&again);
}
END_TEST

/* The compiled layer-2 port named `port`, or NULL. */
static const struct l2_port *policy_port(const char *port)
{
	for (size_t i = 0; i < out.port_count; i++)
		if (strcmp(out.ports[i].port, port) == 0)
			return &out.ports[i];
	return NULL;
}

START_TEST(test_layer2_binds_every_port_and_nothing_unknown)
{
	struct inv_network *net = policy_network("web", "br-web");
	struct inv_network *open = policy_network("open", "br-open");
	struct inv_network *other = policy_network("unprotected", "br-other");
	struct inv_endpoint *e;
	const struct l2_port *port;
	char err[256];

	e = policy_endpoint(net, "proxy", "172.30.0.2", "fd00:30::2", true, "veth1");
	strcpy(e->mac, "02:42:ac:1e:00:02");
	e = policy_endpoint(net, "b1", "172.30.0.3", NULL, false, "veth2");
	strcpy(e->mac, "02:42:AC:1E:00:03");
	/* a port whose container tjd could not find, and one no container claims */
	policy_endpoint(net, "b2", "172.30.0.4", NULL, false, "");
	/* two containers claiming one port: neither is believed */
	e = policy_endpoint(net, "twin1", "172.30.0.5", NULL, false, "veth5");
	strcpy(e->mac, "02:42:ac:1e:00:05");
	e = policy_endpoint(net, "twin2", "172.30.0.6", NULL, false, "veth5");
	strcpy(e->mac, "02:42:ac:1e:00:06");
	/* a port with a MAC Docker did not give */
	policy_endpoint(net, "nomac", "172.30.0.7", NULL, false, "veth7");
	net->members = calloc(5, sizeof(*net->members));
	strcpy(net->members[0], "veth2");
	strcpy(net->members[1], "veth1");
	strcpy(net->members[2], "vethx");
	strcpy(net->members[3], "veth5");
	strcpy(net->members[4], "veth7");
	net->member_count = 5;
	net->members_read = true;
	/* the open network is protected too; the unprotected one gets nothing */
	e = policy_endpoint(open, "o1", "172.30.0.9", NULL, false, "veth9");
	strcpy(e->mac, "02:42:ac:1e:00:09");
	e = policy_endpoint(other, "x", "172.31.0.2", NULL, false, "vethq");
	strcpy(e->mac, "02:42:ac:1f:00:02");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(out.port_count, 6);
	/* sorted by bridge, then port */
	ck_assert_str_eq(out.ports[0].bridge, "br-open");
	ck_assert_str_eq(out.ports[1].port, "veth1");
	port = policy_port("veth1");
	ck_assert(port->known);
	ck_assert_uint_eq(port->mac[5], 0x02);
	ck_assert_int_eq(port->ipv4.length, 32);
	ck_assert_int_eq(port->ipv6.family, AF_INET6);
	ck_assert_str_eq(port->comment, "tjd web proxy");
	port = policy_port("veth2");
	ck_assert(port->known);
	ck_assert_uint_eq(port->mac[2], 0xac);
	ck_assert_int_eq(port->ipv6.family, 0);
	/* its link-local address is the kernel's EUI-64 one */
	{
		struct prefix want;
		ck_assert_int_eq(prefix_parse("fe80::42:acff:fe1e:3", &want), 0);
		ck_assert(prefix_equal(&port->ipv6_link, &want));
	}
	ck_assert(!policy_port("vethx")->known);
	ck_assert(!policy_port("veth5")->known);
	ck_assert(!policy_port("veth7")->known);
	ck_assert_ptr_null(policy_port("vethq"));
	ck_assert(policy_port("veth9")->known);
}
END_TEST

/* Builds the suite. */
/* A host prefix the test knows to be valid. */
static struct prefix policy_address(const char *text)
{
	struct prefix p;

	ck_assert_int_eq(prefix_parse(text, &p), 0);
	return p;
}

START_TEST(test_conntrack_picture_is_what_the_rules_admit)
{
	struct inv_network *web = policy_network("web", "br-web");
	struct inv_network *open = policy_network("open", "br-open");
	struct policy_conntrack pc;
	struct inv_endpoint *e;
	struct prefix want;
	char err[256];

	policy_network("unprotected", "br-other");
	e = policy_endpoint(web, "proxy", "172.30.0.2", "fd00:30::2", true, "veth1");
	strcpy(e->mac, "02:42:ac:1e:00:02");
	/* allowed, but its port is unknown: the allowance is withheld, so not admitted */
	policy_endpoint(web, "proxy2", "172.30.0.8", NULL, true, "");
	e = policy_endpoint(web, "b1", "172.30.0.3", NULL, false, "veth2");
	strcpy(e->mac, "02:42:ac:1e:00:03");
	e = policy_endpoint(open, "o1", "172.30.1.9", NULL, true, "veth9");
	strcpy(e->mac, "02:42:ac:1e:01:09");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	policy_conntrack_init(&pc);
	ck_assert_int_eq(policy_conntrack_build(conf, &inv, &out, &pc), 0);
	/* the protected networks only, in inventory order, each with its views */
	ck_assert_uint_eq(pc.count, 2);
	ck_assert_str_eq(pc.networks[0].bridge, "br-web");
	ck_assert(pc.networks[0].host_closed);
	ck_assert(!pc.networks[1].host_closed);
	ck_assert_uint_eq(pc.views[0].subnet_count, 2);
	/* the proxy's two addresses, once each although both hooks allow them */
	ck_assert_uint_eq(pc.views[0].allowed_count, 2);
	want = policy_address("172.30.0.2");
	ck_assert(prefix_equal(&pc.views[0].allowed[0], &want) ||
		  prefix_equal(&pc.views[0].allowed[1], &want));
	/* the bound ports' link-local addresses: proxy and b1 */
	ck_assert_uint_eq(pc.views[0].link_local_count, 2);
	want = policy_address("fe80::42:acff:fe1e:3");
	ck_assert(prefix_equal(&pc.views[0].link_local[0], &want) ||
		  prefix_equal(&pc.views[0].link_local[1], &want));
	ck_assert_uint_eq(pc.views[1].allowed_count, 1);
	policy_conntrack_free(&pc);
}
END_TEST

START_TEST(test_conntrack_picture_from_the_saved_rules)
{
	struct inv_network *web = policy_network("web", "br-web");
	struct inv_network *open = policy_network("open", "br-open");
	struct policy_conntrack pc;
	struct inv_endpoint *e;
	struct prefix want;
	bool found = false;
	char err[256];

	e = policy_endpoint(web, "proxy", "172.30.0.2", "fd00:30::2", true, "veth1");
	strcpy(e->mac, "02:42:ac:1e:00:02");
	e = policy_endpoint(web, "b1", "172.30.0.3", NULL, false, "veth2");
	strcpy(e->mac, "02:42:ac:1e:00:03");
	e = policy_endpoint(open, "o1", "172.30.1.9", NULL, false, "veth9");
	strcpy(e->mac, "02:42:ac:1e:01:09");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	policy_conntrack_init(&pc);
	ck_assert_int_eq(policy_conntrack_from_rules(&out, &pc), 0);
	/* both protected bridges, told apart by their isolating drops */
	ck_assert_uint_eq(pc.count, 2);
	ck_assert_str_eq(pc.networks[0].bridge, "br-web");
	ck_assert_str_eq(pc.networks[1].bridge, "br-open");
	/* the host: closed to web (its input drop), open to "open" */
	ck_assert(pc.networks[0].host_closed);
	ck_assert(!pc.networks[1].host_closed);
	/* members are the bound ports' addresses, each its own subnet */
	ck_assert_uint_eq(pc.views[0].subnet_count, 3);
	want = policy_address("172.30.0.3");
	for (size_t i = 0; i < pc.views[0].subnet_count; i++)
		found = found || prefix_equal(&pc.views[0].subnets[i], &want);
	ck_assert(found);
	ck_assert_uint_eq(pc.views[0].allowed_count, 2);
	ck_assert_uint_eq(pc.views[0].link_local_count, 2);
	ck_assert_uint_eq(pc.views[1].subnet_count, 1);
	ck_assert_uint_eq(pc.views[1].allowed_count, 0);
	/* what the saved rules say is judged like the inventory: the b1 -> proxy flow goes */
	{
		struct prefix host = policy_address("172.30.0.1");
		struct prefix b1 = policy_address("172.30.0.3");
		struct prefix proxy = policy_address("172.30.0.2");
		ck_assert(conntrack_should_delete(pc.views, pc.count, &host, 1, &b1, &proxy, NULL));
		ck_assert(
		    !conntrack_should_delete(pc.views, pc.count, &host, 1, &proxy, &b1, NULL));
		ck_assert(conntrack_should_delete(pc.views, pc.count, &host, 1, &b1, &host, NULL));
	}
	policy_conntrack_free(&pc);
}
END_TEST

START_TEST(test_conntrack_purge_only_when_stricter)
{
	struct inv_network *web = policy_network("web", "br-web");
	struct policy_conntrack none, before, after;
	char err[256];

	policy_endpoint(web, "proxy", "172.30.0.2", NULL, true, "veth1");
	policy_endpoint(web, "b1", "172.30.0.3", NULL, false, "veth2");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	policy_conntrack_init(&none);
	policy_conntrack_init(&before);
	policy_conntrack_init(&after);
	ck_assert_int_eq(policy_conntrack_build(conf, &inv, &out, &before), 0);
	/* a network newly protected */
	ck_assert(policy_conntrack_stricter(&none, &before));
	ck_assert(!policy_conntrack_stricter(&before, &none));
	ck_assert(!policy_conntrack_stricter(&before, &before));
	/* an allowance more: looser, no purge; withdrawn again: stricter */
	policy_endpoint(web, "metrics", "172.30.0.4", NULL, true, "veth3");
	ck_assert_int_eq(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(policy_conntrack_build(conf, &inv, &out, &after), 0);
	ck_assert(!policy_conntrack_stricter(&before, &after));
	ck_assert(policy_conntrack_stricter(&after, &before));
	/* the host closed where it was open (the same picture otherwise) */
	ck_assert_int_eq(policy_conntrack_build(conf, &inv, &out, &none), 0);
	none.networks[0].host_closed = false;
	ck_assert(policy_conntrack_stricter(&none, &after));
	ck_assert(!policy_conntrack_stricter(&after, &none));
	policy_conntrack_free(&none);
	/* a subnet more */
	after.networks[0].subnets =
	    realloc(after.networks[0].subnets, 3 * sizeof(*after.networks[0].subnets));
	ck_assert_ptr_nonnull(after.networks[0].subnets);
	ck_assert_int_eq(prefix_parse("10.9.0.0/16", &after.networks[0].subnets[2]), 0);
	after.networks[0].subnet_count = 3;
	ck_assert(policy_conntrack_stricter(&before, &after));
	/* the network re-created: a new bridge */
	strcpy(after.networks[0].bridge, "br-new");
	after.networks[0].subnet_count = 2;
	ck_assert(policy_conntrack_stricter(&before, &after));
	policy_conntrack_free(&before);
	policy_conntrack_free(&after);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("compile");

	tcase_add_checked_fixture(tc, policy_setup, policy_teardown);
	tcase_add_test(tc, test_layer2_binds_every_port_and_nothing_unknown);
	tcase_add_test(tc, test_empty_inventory_no_rules);
	tcase_add_test(tc, test_isolation_and_allowance);
	tcase_add_test(tc, test_neighbour_discovery_only_ns_na_forward);
	tcase_add_test(tc, test_allowance_needs_bridge_port);
	tcase_add_test(tc, test_allow_host_traffic_skips_input);
	tcase_add_test(tc, test_unconfigured_or_bridgeless_network_ignored);
	tcase_add_test(tc, test_two_networks_one_replies_rule_per_chain);
	tcase_add_test(tc, test_compile_is_deterministic);
	tcase_add_test(tc, test_conntrack_picture_is_what_the_rules_admit);
	tcase_add_test(tc, test_conntrack_purge_only_when_stricter);
	tcase_add_test(tc, test_conntrack_picture_from_the_saved_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(policy_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
