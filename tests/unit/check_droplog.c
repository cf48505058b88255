/*
 * droplog_resolve and droplog_format: a sampled packet of a closing drop,
 * named from the inventory (containers, the host, why it was dropped).
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/prefix.h"
#include "tjd/droplog.h"
#include "tjd/inventory.h"

static struct inventory inv;

/* Adds an endpoint with its IPv4 and IPv6 address. */
static void endpoint(struct inv_network *net, const char *name, const char *v4, const char *v6,
		     bool allowed, const char *port)
{
	struct inv_endpoint *e = inv_network_add_endpoint(net);

	ck_assert_ptr_nonnull(e);
	snprintf(e->name, sizeof(e->name), "%s", name);
	ck_assert_int_eq(prefix_parse_address(v4, &e->ipv4), 0);
	ck_assert_int_eq(prefix_parse_address(v6, &e->ipv6), 0);
	e->allowed = allowed;
	snprintf(e->bridge_port, sizeof(e->bridge_port), "%s", port);
}

/* web (172.30.0.0/16, fd00:30::/64): proxy allowed, b1 and b2, and a proxy without its port. */
static void setup(void)
{
	struct inv_network *net;

	inventory_init(&inv);
	net = inventory_add_network(&inv);
	ck_assert_ptr_nonnull(net);
	strcpy(net->name, "web");
	strcpy(net->bridge, "br-web");
	ck_assert_int_eq(prefix_parse_network("172.30.0.0/16", &net->subnets[0]), 0);
	ck_assert_int_eq(prefix_parse_network("fd00:30::/64", &net->subnets[1]), 0);
	net->subnet_count = 2;
	endpoint(net, "proxy", "172.30.0.10", "fd00:30::10", true, "veth1");
	endpoint(net, "b1", "172.30.0.11", "fd00:30::11", false, "veth2");
	endpoint(net, "b2", "172.30.0.12", "fd00:30::12", false, "veth3");
	endpoint(net, "proxy2", "172.30.0.13", "fd00:30::13", true, "");
}

static void teardown(void)
{
	inventory_free(&inv);
}

/* A packet with the prefix, between two addresses, tcp to port. */
static struct pktlog_event packet(const char *prefix, const char *src, const char *dst,
				  uint16_t port)
{
	struct pktlog_event event;

	memset(&event, 0, sizeof(event));
	snprintf(event.prefix, sizeof(event.prefix), "%s", prefix);
	event.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(event.family, src, event.src), 1);
	ck_assert_int_eq(inet_pton(event.family, dst, event.dst), 1);
	event.protocol = IPPROTO_TCP;
	event.has_ports = true;
	event.sport = 40000;
	event.dport = port;
	return event;
}

/* Resolves and formats; checks the line. */
static void expect_line(const struct pktlog_event *event, const char *want)
{
	struct droplog_event out;
	char line[512];

	ck_assert_int_eq(droplog_resolve(&inv, event, &out), 0);
	droplog_format(&out, line, sizeof(line));
	ck_assert_str_eq(line, want);
}

START_TEST(test_isolation)
{
	struct pktlog_event event = packet("tjd web isolate", "172.30.0.11", "172.30.0.12", 80);
	struct droplog_event out;

	expect_line(&event, "web b1 (172.30.0.11) -> b2 (172.30.0.12) tcp/80 blocked: b1 is not "
			    "allow-listed");
	ck_assert_int_eq(droplog_resolve(&inv, &event, &out), 0);
	ck_assert_int_eq(out.kind, DROPLOG_ISOLATION);
	ck_assert_str_eq(droplog_kind_name(out.kind), "isolation");
	ck_assert(!out.src.allowed);
	event = packet("tjd web isolate", "fd00:30::12", "fd00:30::10", 443);
	expect_line(&event, "web b2 (fd00:30::12) -> proxy (fd00:30::10) tcp/443 blocked: b2 is "
			    "not allow-listed");
	/* an allow-listed container without its bridge port: withheld */
	event = packet("tjd web isolate", "172.30.0.13", "172.30.0.12", 80);
	expect_line(&event, "web proxy2 (172.30.0.13) -> b2 (172.30.0.12) tcp/80 blocked: "
			    "proxy2's allowance is withheld (its bridge port is unknown)");
	/* an address no container has */
	event = packet("tjd web isolate", "172.30.0.99", "172.30.0.12", 22);
	expect_line(&event, "web ? (172.30.0.99) -> b2 (172.30.0.12) tcp/22 blocked: 172.30.0.99 "
			    "is no container tjd knows on web");
}
END_TEST

START_TEST(test_no_host)
{
	struct pktlog_event event = packet("tjd web no-host", "172.30.0.11", "172.30.0.1", 8080);
	struct droplog_event out;

	expect_line(&event, "web b1 (172.30.0.11) -> host (172.30.0.1) tcp/8080 blocked: web is "
			    "closed to the host");
	ck_assert_int_eq(droplog_resolve(&inv, &event, &out), 0);
	ck_assert_int_eq(out.kind, DROPLOG_NO_HOST);
	/* no port: ICMP */
	event.protocol = IPPROTO_ICMP;
	event.has_ports = false;
	expect_line(&event, "web b1 (172.30.0.11) -> host (172.30.0.1) icmp blocked: web is "
			    "closed to the host");
}
END_TEST

START_TEST(test_published_and_lan_egress)
{
	struct pktlog_event event = packet("tjd published policy", "10.232.0.3", "172.30.0.12", 80);
	struct droplog_event out;
	struct inv_container *c;

	/* a forwarded one: the destination is the container behind the published port */
	expect_line(&event, "published ? (10.232.0.3) -> host (172.30.0.12) tcp/80 blocked: no "
			    "[published] rule lets 10.232.0.3 in, and the policy is deny");
	inv.containers = calloc(1, sizeof(*inv.containers));
	ck_assert_ptr_nonnull(inv.containers);
	c = &inv.containers[0];
	inv.container_count = 1;
	strcpy(c->name, "web");
	c->addresses = calloc(1, sizeof(*c->addresses));
	ck_assert_ptr_nonnull(c->addresses);
	ck_assert_int_eq(prefix_parse("172.30.0.12", &c->addresses[0]), 0);
	c->address_count = 1;
	expect_line(&event, "published ? (10.232.0.3) -> web (172.30.0.12) tcp/80 blocked: no "
			    "[published] rule lets 10.232.0.3 in, and the policy is deny");
	ck_assert_int_eq(droplog_resolve(&inv, &event, &out), 0);
	ck_assert_str_eq(droplog_kind_name(out.kind), "published");
	/* LAN egress: a container to a private address outside Docker */
	event = packet("tjd web lan-egress", "172.30.0.11", "192.168.1.20", 445);
	expect_line(&event, "web b1 (172.30.0.11) -> ? (192.168.1.20) tcp/445 blocked: web's "
			    "containers may not reach private ranges outside Docker");
	ck_assert_int_eq(droplog_resolve(&inv, &event, &out), 0);
	ck_assert_str_eq(droplog_kind_name(out.kind), "lan-egress");
	/* a published rule's own log is not a drop */
	event = packet("tjd published rule 1", "10.232.0.3", "172.30.0.12", 80);
	ck_assert_int_eq(droplog_resolve(&inv, &event, &out), -1);
}
END_TEST

/* A name cut short in the prefix: the network is found by the sender's subnet. */
START_TEST(test_network_by_subnet)
{
	struct pktlog_event event = packet("tjd we isolate", "172.30.0.11", "172.30.0.12", 80);

	expect_line(&event, "web b1 (172.30.0.11) -> b2 (172.30.0.12) tcp/80 blocked: b1 is not "
			    "allow-listed");
}
END_TEST

/* Prefixes that are not a closing drop's are not the drop log's. */
START_TEST(test_other_prefixes)
{
	static const char *const prefixes[] = {
	    "",
	    "tjd",
	    "tjd ",
	    "tjd isolate",
	    "tjd  isolate",
	    "dcfw.input.rule.1: web",
	    "tjd web allow proxy",
	    "tjd web isolated",
	    "xtjd web isolate",
	};
	struct droplog_event out;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct pktlog_event event = packet(prefixes[i], "172.30.0.11", "172.30.0.12", 80);

		ck_assert_msg(droplog_resolve(&inv, &event, &out) == -1, "prefix \"%s\"",
			      prefixes[i]);
	}
}
END_TEST

static Suite *droplog_suite(void)
{
	Suite *suite = suite_create("droplog");
	TCase *tcase = tcase_create("resolve");

	tcase_add_checked_fixture(tcase, setup, teardown);
	tcase_add_test(tcase, test_isolation);
	tcase_add_test(tcase, test_no_host);
	tcase_add_test(tcase, test_network_by_subnet);
	tcase_add_test(tcase, test_other_prefixes);
	tcase_add_test(tcase, test_published_and_lan_egress);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(droplog_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
