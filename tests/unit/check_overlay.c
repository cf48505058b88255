/* The overlay compiler: config + inventory + pushed peers -> per-namespace rulesets. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tjd/conf.h"
#include "tjd/overlay.h"
#include "tjd/policy.h"

#define WEB_ID "pdjhre727w9ivsy0282l6llvk"

static struct conf *conf;
static struct inventory inv;
static struct policy_plan plan;
static struct peer_set peers;
static char conf_path[] = "/tmp/check_overlay_XXXXXX";

/* Protects "web" (an overlay) and "local" (a bridge). */
static void overlay_setup(void)
{
	static const char text[] = "[network web]\n"
				   "allow = label=tjd.allow=true\n"
				   "[network local]\n"
				   "allow = name=proxy\n";
	char err[256];
	int fd = mkstemp(conf_path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	conf = conf_load(conf_path, true, NULL, err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	inventory_init(&inv);
	policy_plan_init(&plan);
	memset(&peers, 0, sizeof(peers));
}

static void overlay_teardown(void)
{
	unlink(conf_path);
	strcpy(conf_path, "/tmp/check_overlay_XXXXXX");
	conf_free(conf);
	inventory_free(&inv);
	policy_plan_free(&plan);
	free(peers.lb_ips);
	free(peers.allowed_ips);
}

/* Adds an endpoint; port "" for none. */
static struct inv_endpoint *overlay_endpoint(struct inv_network *net, const char *id,
					     const char *name, const char *v4, const char *v6,
					     bool allowed, const char *port)
{
	struct inv_endpoint *endpoint = inv_network_add_endpoint(net);

	ck_assert_ptr_nonnull(endpoint);
	strcpy(endpoint->container_id, id);
	strcpy(endpoint->name, name);
	if (v4 != NULL)
		ck_assert_int_eq(prefix_parse(v4, &endpoint->ipv4), 0);
	if (v6 != NULL)
		ck_assert_int_eq(prefix_parse(v6, &endpoint->ipv6), 0);
	endpoint->allowed = allowed;
	strcpy(endpoint->bridge_port, port);
	return endpoint;
}

/* The swarm network "web" on this node: proxy, backend, and the load balancer. */
static struct inv_network *overlay_web(void)
{
	struct inv_network *net = inventory_add_network(&inv);

	ck_assert_ptr_nonnull(net);
	strcpy(net->name, "web");
	strcpy(net->id, WEB_ID);
	strcpy(net->driver, "overlay");
	strcpy(net->scope, "swarm");
	ck_assert_int_eq(prefix_parse("10.231.0.0/24", &net->subnets[0]), 0);
	net->subnet_count = 1;
	overlay_endpoint(net, "aaaa", "proxy.1.x", "10.231.0.2", "fd00:231::2", true, "veth2");
	overlay_endpoint(net, "bbbb", "backend.n1.y", "10.231.0.3", NULL, false, "");
	overlay_endpoint(net, "lb-web", "web-endpoint", "10.231.0.5", NULL, false, "veth0");
	return net;
}

/* Sets the pushed peers for web. */
static void overlay_peers(const char *const *lbs, size_t nlb, const char *const *allowed,
			  size_t nallowed)
{
	strcpy(peers.network_id, WEB_ID);
	strcpy(peers.network_name, "web");
	peers.lb_ips = calloc(nlb + 1, sizeof(struct prefix));
	peers.allowed_ips = calloc(nallowed + 1, sizeof(struct prefix));
	for (size_t i = 0; i < nlb; i++)
		ck_assert_int_eq(prefix_parse(lbs[i], &peers.lb_ips[i]), 0);
	for (size_t i = 0; i < nallowed; i++)
		ck_assert_int_eq(prefix_parse(allowed[i], &peers.allowed_ips[i]), 0);
	peers.lb_count = nlb;
	peers.allowed_count = nallowed;
}

/* Renders one family's rules of the first target as "verdict src port;" text. */
static void overlay_render(int family, char *out, size_t size)
{
	out[0] = '\0';
	ck_assert_uint_ge(plan.count, 1);
	for (size_t i = 0; i < plan.targets[0].rules.count; i++) {
		const struct rule *rule = &plan.targets[0].rules.rules[i];
		char src[64] = "any";
		if (rule->family != family)
			continue;
		ck_assert_int_eq(rule->hook, RULE_HOOK_FORWARD);
		if (rule->src.family != 0)
			prefix_format(&rule->src, src, sizeof(src));
		snprintf(out + strlen(out), size - strlen(out), "%s%s %s %s%s;",
			 rule->verdict == RULE_DROP  ? "drop"
			 : rule->verdict == RULE_LOG ? "log"
						     : "return",
			 rule->ctstate	       ? "(ct)"
			 : rule->has_icmp_type ? "(nd)"
					       : "",
			 src, rule->physdev_in[0] ? rule->physdev_in : "-",
			 rule->in_iface[0] ? "@br0" : "");
	}
}

START_TEST(test_overlay_rules)
{
	static const char *const lbs[] = {"10.231.0.6"};
	/* 10.231.0.3 is a local backend: a push must never make it a peer */
	static const char *const allowed[] = {"10.231.0.9", "10.231.0.3", "10.231.0.6",
					      "fd00:231::9"};
	char err[256], text[1024];

	overlay_web();
	strcpy(inv.netns_dir, "/tmp/tjd-swarm/n1/exec/netns");
	overlay_peers(lbs, 1, allowed, 4);
	ck_assert_int_eq(policy_compile_overlays(conf, &inv, &peers, 1, &plan, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(plan.count, 1);
	ck_assert_str_eq(plan.targets[0].netns, "/tmp/tjd-swarm/n1/exec/netns/1-pdjhre727w");
	ck_assert_str_eq(plan.targets[0].network_id, WEB_ID);
	overlay_render(AF_INET, text, sizeof(text));
	ck_assert_str_eq(text, "return(ct) any -;"
			       "return 10.231.0.2/32 veth2@br0;"
			       "return 10.231.0.5/32 veth0@br0;"
			       "return 10.231.0.6/32 vxlan0@br0;"
			       "return 10.231.0.9/32 vxlan0@br0;"
			       "log(ct) any -@br0;"
			       "drop any -@br0;");
	overlay_render(AF_INET6, text, sizeof(text));
	ck_assert_str_eq(text, "return(ct) any -;"
			       "return(nd) any -@br0;"
			       "return(nd) any -@br0;"
			       "return fd00:231::2/128 veth2@br0;"
			       "return fd00:231::9/128 vxlan0@br0;"
			       "log(ct) any -@br0;"
			       "drop any -@br0;");
}
END_TEST

START_TEST(test_overlay_withholds_unbound)
{
	struct inv_network *net;
	char err[256], text[1024];

	net = overlay_web();
	/* ports unknown: the proxy's and the load balancer's allowances are withheld */
	net->endpoints[0].bridge_port[0] = '\0';
	net->endpoints[2].bridge_port[0] = '\0';
	ck_assert_int_eq(policy_compile_overlays(conf, &inv, NULL, 0, &plan, err, sizeof(err)), 0);
	overlay_render(AF_INET, text, sizeof(text));
	ck_assert_str_eq(text, "return(ct) any -;log(ct) any -@br0;drop any -@br0;");
	/* without a namespace directory, dockerd's default */
	ck_assert_str_eq(plan.targets[0].netns, "/var/run/docker/netns/1-pdjhre727w");
}
END_TEST

START_TEST(test_overlay_only_protected_overlays)
{
	struct inv_network *local, *other;
	char err[256];

	local = inventory_add_network(&inv);
	strcpy(local->name, "local");
	strcpy(local->id, "0123456789abcdef0123");
	strcpy(local->driver, "bridge");
	strcpy(local->bridge, "br-0123456789ab");
	other = overlay_web();
	strcpy(other->name, "unprotected");
	ck_assert_int_eq(policy_compile_overlays(conf, &inv, NULL, 0, &plan, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.count, 0);
}
END_TEST

START_TEST(test_overlay_paths)
{
	char path[OVERLAY_PATH_MAX + 1];
	struct inv_network net;
	struct inv_endpoint endpoint;

	ck_assert_int_eq(overlay_netns_path("/run/docker/netns", WEB_ID, true, path, sizeof(path)),
			 0);
	ck_assert_str_eq(path, "/run/docker/netns/lb_pdjhre727");
	ck_assert_int_eq(overlay_netns_path("", "short", false, path, sizeof(path)), -1);
	memset(&net, 0, sizeof(net));
	memset(&endpoint, 0, sizeof(endpoint));
	strcpy(net.name, "web");
	strcpy(endpoint.container_id, "lb-web");
	ck_assert(overlay_is_lb_endpoint(&net, &endpoint));
	strcpy(endpoint.container_id, "lb-webx");
	ck_assert(!overlay_is_lb_endpoint(&net, &endpoint));
}
END_TEST

/* The suite. */
static Suite *overlay_suite(void)
{
	Suite *suite = suite_create("overlay");
	TCase *tc = tcase_create("compile");

	tcase_add_checked_fixture(tc, overlay_setup, overlay_teardown);
	tcase_add_test(tc, test_overlay_rules);
	tcase_add_test(tc, test_overlay_withholds_unbound);
	tcase_add_test(tc, test_overlay_only_protected_overlays);
	tcase_add_test(tc, test_overlay_paths);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(overlay_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
