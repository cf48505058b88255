/*
 * explain over the compiled rules: every verdict of the demo's matrix, the
 * words that name the deciding rule, a container's own firewall taking its
 * part, and the questions it refuses.
 */
#include "config.h"

#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/prefix.h"
#include "tjd/conf.h"
#include "tjd/explain.h"
#include "tjd/inventory.h"

static struct conf *conf;
static struct inventory inv;
static char conf_path[] = "/tmp/check_explain_XXXXXX";

/* An endpoint of net with both families. */
static void endpoint(struct inv_network *net, const char *name, const char *v4, const char *v6,
		     bool allowed, const char *port)
{
	struct inv_endpoint *e = inv_network_add_endpoint(net);

	ck_assert_ptr_nonnull(e);
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->container_id, sizeof(e->container_id), "%064zx", net->endpoint_count);
	ck_assert_int_eq(prefix_parse(v4, &e->ipv4), 0);
	ck_assert_int_eq(prefix_parse(v6, &e->ipv6), 0);
	e->allowed = allowed;
	snprintf(e->bridge_port, sizeof(e->bridge_port), "%s", port);
}

/* A bridge network of the inventory. */
static struct inv_network *network(const char *name, const char *bridge, const char *v4,
				   const char *v6)
{
	struct inv_network *net = inventory_add_network(&inv);

	ck_assert_ptr_nonnull(net);
	snprintf(net->name, sizeof(net->name), "%s", name);
	snprintf(net->id, sizeof(net->id), "%s0123456789", name);
	snprintf(net->driver, sizeof(net->driver), "bridge");
	snprintf(net->bridge, sizeof(net->bridge), "%s", bridge);
	ck_assert_int_eq(prefix_parse(v4, &net->subnets[0]), 0);
	ck_assert_int_eq(prefix_parse(v6, &net->subnets[1]), 0);
	net->subnet_count = 2;
	return net;
}

/* web: the proxy allowed, b1 and b2, and proxy2 allowed without its port; open: host allowed. */
static void setup(void)
{
	static const char text[] = "[network web]\n"
				   "allow = label=tjd.allow=true\n"
				   "[network open]\n"
				   "allow = name=none\n"
				   "allow_host_traffic = yes\n";
	struct inv_network *web, *open;
	char err[256];
	int fd = mkstemp(conf_path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	conf = conf_load(conf_path, true, NULL, err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	inventory_init(&inv);
	web = network("web", "br-web", "172.30.0.0/24", "fd00:30::/64");
	endpoint(web, "proxy", "172.30.0.10/32", "fd00:30::10/128", true, "veth1");
	endpoint(web, "b1", "172.30.0.11/32", "fd00:30::11/128", false, "veth2");
	endpoint(web, "b2", "172.30.0.12/32", "fd00:30::12/128", false, "veth3");
	endpoint(web, "proxy2", "172.30.0.13/32", "fd00:30::13/128", true, "");
	open = network("open", "br-open", "172.31.0.0/24", "fd00:31::/64");
	endpoint(open, "o1", "172.31.0.11/32", "fd00:31::11/128", false, "veth4");
}

static void teardown(void)
{
	unlink(conf_path);
	strcpy(conf_path, "/tmp/check_explain_XXXXXX");
	conf_free(conf);
	inventory_free(&inv);
}

/* Asks; checks the verdict and that the words hold `words`. */
static void expect(const char *from, const char *to, uint8_t protocol, uint16_t port, bool blocked,
		   const char *words)
{
	struct explain_query query = {.from = from, .to = to, .protocol = protocol, .port = port};
	struct explain_result result;
	char err[256];

	ck_assert_msg(explain(conf, &inv, &query, &result, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(result.blocked == blocked, "%s -> %s: %s", from, to, result.text);
	ck_assert_msg(strstr(result.text, words) != NULL, "%s -> %s: \"%s\" lacks \"%s\"", from, to,
		      result.text, words);
}

START_TEST(test_matrix)
{
	expect("proxy", "b1", IPPROTO_TCP, 80, false, "allowed: proxy is allow-listed on web");
	expect("proxy", "b2", IPPROTO_UDP, 53, false, "allow-listed");
	expect("b1", "b2", IPPROTO_TCP, 80, true,
	       "blocked: both on web, b1 is not allow-listed (allow = label=tjd.allow=true)");
	expect("b2", "b1", IPPROTO_TCP, 80, true, "b2 is not allow-listed");
	expect("b1", "proxy", IPPROTO_TCP, 443, true, "b1 is not allow-listed");
	expect("proxy2", "b1", IPPROTO_TCP, 80, true, "its allowance is withheld");
	expect("b1", "host", IPPROTO_TCP, 8080, true,
	       "blocked: web is closed to the host (allow_host_traffic = no)");
	expect("proxy", "host", IPPROTO_TCP, 8080, true, "closed to the host");
	expect("host", "b1", IPPROTO_TCP, 80, false, "allowed");
	expect("o1", "host", IPPROTO_TCP, 8080, false, "allowed");
	/* by address */
	expect("172.30.0.11", "172.30.0.12", IPPROTO_TCP, 80, true, "b1 is not allow-listed");
	expect("fd00:30::10", "fd00:30::11", IPPROTO_TCP, 80, false, "allow-listed");
	/* no network in common */
	expect("b1", "o1", IPPROTO_TCP, 80, false, "share no network tjd protects");
}
END_TEST

/* Adds a running container with labels to the inventory's container list. */
static void container(const char *name, const char *address, const char *const *labels,
		      size_t count)
{
	struct inv_container *grown =
	    realloc(inv.containers, (inv.container_count + 1) * sizeof(*grown));
	struct inv_container *c;

	ck_assert_ptr_nonnull(grown);
	inv.containers = grown;
	c = &grown[inv.container_count++];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%064x", (unsigned)inv.container_count);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->network_mode, sizeof(c->network_mode), "bridge");
	snprintf(c->netns, sizeof(c->netns), "/run/docker/netns/%s", name);
	c->running = true;
	c->policy = true;
	c->labels = calloc(count, sizeof(*c->labels));
	c->addresses = calloc(1, sizeof(*c->addresses));
	ck_assert_ptr_nonnull(c->labels);
	ck_assert_ptr_nonnull(c->addresses);
	for (size_t i = 0; i < count; i++) {
		const char *equals = strchr(labels[i], '=');

		c->labels[i].key = strndup(labels[i], (size_t)(equals - labels[i]));
		c->labels[i].value = strdup(equals + 1);
		c->label_count++;
	}
	ck_assert_int_eq(prefix_parse(address, &c->addresses[0]), 0);
	c->address_count = 1;
}

/* A container's own firewall decides after tjd's rules let the connection through. */
START_TEST(test_own_firewall)
{
	static const char *const b1_labels[] = {
	    "dcfw.enable=true",
	    "dcfw.input.policy=deny",
	    "dcfw.input.rule.1=allow proto tcp from 172.30.0.10 to any port 80",
	};

	container("b1", "172.30.0.11/32", b1_labels, 3);
	expect("proxy", "b1", IPPROTO_TCP, 80, false, "allow-listed");
	expect("proxy", "b1", IPPROTO_TCP, 81, true,
	       "blocked: by b1's own input rules: tjd container input policy deny");
	/* from an address the rule does not name */
	expect("host", "b1", IPPROTO_TCP, 80, true, "b1's own input rules");
}
END_TEST

START_TEST(test_refused)
{
	struct explain_query query = {
	    .from = "nosuch", .to = "b1", .protocol = IPPROTO_TCP, .port = 80};
	struct explain_result result;
	char err[256];

	ck_assert_int_eq(explain(conf, &inv, &query, &result, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no container nosuch"));
	query.from = "host";
	query.to = "host";
	ck_assert_int_eq(explain(conf, &inv, &query, &result, err, sizeof(err)), -1);
	query.to = "b1";
	query.protocol = IPPROTO_ICMP;
	ck_assert_int_eq(explain(conf, &inv, &query, &result, err, sizeof(err)), -1);
}
END_TEST

static Suite *explain_suite(void)
{
	Suite *suite = suite_create("explain");
	TCase *tcase = tcase_create("explain");

	tcase_add_checked_fixture(tcase, setup, teardown);
	tcase_add_test(tcase, test_matrix);
	tcase_add_test(tcase, test_own_firewall);
	tcase_add_test(tcase, test_refused);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(explain_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
