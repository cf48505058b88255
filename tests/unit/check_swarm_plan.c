/*
 * The swarm coordinator's planning on Docker API responses recorded from a
 * real two-node swarm (tests/unit/data/swarm/): node 1 "swnode1" (manager,
 * load balancer 10.231.0.5 on network "web"), node 2 "swnode2" (worker,
 * load balancer 10.231.0.6); an allow-listed "proxy" service (container
 * label tjd.allow=true), a global "backend" service, and a standalone
 * container.  "moved" is the same swarm after the proxy moved to node 2.
 */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/plan.h"

#define NODE1 "sthjie69it85cvsvytguf1eac"
#define NODE2 "88t34illgcs4phzz92e3h7m2i"
#define WEB "pdjhre727w9ivsy0282l6llvk"

static char *const test_allow[] = {(char *)"label=tjd.allow=true"};

/* Reads tests/unit/data/swarm/NAME (from $srcdir); the caller frees it. */
static char *test_read(const char *name, size_t *len)
{
	const char *srcdir = getenv("srcdir");
	char path[1024];
	char *buf;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/data/swarm/%s", srcdir ? srcdir : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return buf;
}

/* Parses one recorded document with `parse`, which must succeed. */
static void test_parse(const char *name, struct swarm_cluster *cluster,
		       int (*parse)(const char *, size_t, struct swarm_cluster *, char *, size_t))
{
	char err[256] = "";
	size_t len;
	char *json = test_read(name, &len);

	ck_assert_msg(parse(json, len, cluster, err, sizeof(err)) == 0, "%s: %s", name, err);
	free(json);
}

/* Builds the cluster from one recorded scenario. */
static void test_cluster(struct swarm_cluster *cluster, bool moved)
{
	char err[256] = "";
	size_t len;
	char *json;

	swarm_cluster_init(cluster);
	test_parse("nodes.json", cluster, swarm_parse_nodes);
	test_parse(moved ? "services-moved.json" : "services.json", cluster, swarm_parse_services);
	test_parse(moved ? "tasks-moved.json" : "tasks.json", cluster, swarm_parse_tasks);
	json =
	    test_read(moved ? "network-web-verbose-moved.json" : "network-web-verbose.json", &len);
	ck_assert_msg(swarm_parse_network(json, len, test_allow, 1, cluster, err, sizeof(err)) == 0,
		      "%s", err);
	free(json);
}

/* One report: node claims lb on web. */
static struct swarm_report test_report(const char *node, const char *lb)
{
	struct swarm_report report;

	memset(&report, 0, sizeof(report));
	snprintf(report.node_id, sizeof(report.node_id), "%s", node);
	snprintf(report.network_id, sizeof(report.network_id), "%s", WEB);
	snprintf(report.lb_ips[0], sizeof(report.lb_ips[0]), "%s", lb);
	report.lb_count = 1;
	return report;
}

/* Asserts a node's peer set on web: expected lb and allowed lists as text. */
static void test_expect(const struct swarm_plan *plan, const char *node, const char *lb,
			const char *allowed)
{
	const struct swarm_node_plan *np = swarm_plan_node(plan, node);
	char text[512] = "";

	ck_assert_ptr_nonnull(np);
	ck_assert_uint_eq(np->network_count, 1);
	ck_assert_str_eq(np->networks[0].network_id, WEB);
	ck_assert_str_eq(np->networks[0].network_name, "web");
	for (size_t i = 0; i < np->networks[0].lb_count; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", i ? "," : "",
			 np->networks[0].lb_ips[i]);
	ck_assert_str_eq(text, lb);
	text[0] = '\0';
	for (size_t i = 0; i < np->networks[0].allowed_count; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", i ? "," : "",
			 np->networks[0].allowed_ips[i]);
	ck_assert_str_eq(text, allowed);
}

START_TEST(test_parse_recorded)
{
	struct swarm_cluster cluster;

	test_cluster(&cluster, false);
	ck_assert_uint_eq(cluster.node_count, 2);
	ck_assert_str_eq(cluster.nodes[1].id, NODE1);
	ck_assert_str_eq(cluster.nodes[1].hostname, "swnode1");
	ck_assert(cluster.nodes[1].manager && cluster.nodes[1].ready);
	ck_assert(!cluster.nodes[0].manager && cluster.nodes[0].ready);
	ck_assert_uint_eq(cluster.service_count, 2);
	ck_assert_uint_eq(cluster.task_count, 3);
	ck_assert_uint_eq(cluster.network_count, 1);
	ck_assert_str_eq(cluster.networks[0].subnets[0], "10.231.0.0/24");
	/* three tasks, the standalone container, and the manager's own containers */
	ck_assert_uint_ge(cluster.networks[0].endpoint_count, 4);
	for (size_t i = 0; i < cluster.networks[0].endpoint_count; i++)
		ck_assert_str_ne(cluster.networks[0].endpoint_ips[i], "10.231.0.5");
	swarm_cluster_free(&cluster);
}
END_TEST

START_TEST(test_plan_proxy_on_node1)
{
	struct swarm_report reports[] = {test_report(NODE1, "10.231.0.5"),
					 test_report(NODE2, "10.231.0.6")};
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	char err[256];

	test_cluster(&cluster, false);
	ck_assert_int_eq(swarm_plan_compute(&cluster, reports, 2, &plan, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.rejected_reports, 0);
	/* node 2 lets in node 1's load balancer and the proxy; node 1 only node 2's lb */
	test_expect(&plan, NODE2, "10.231.0.5", "10.231.0.2");
	test_expect(&plan, NODE1, "10.231.0.6", "");
	swarm_plan_free(&plan);
	swarm_cluster_free(&cluster);
}
END_TEST

START_TEST(test_plan_proxy_moved)
{
	struct swarm_report reports[] = {test_report(NODE1, "10.231.0.5"),
					 test_report(NODE2, "10.231.0.6")};
	struct swarm_cluster before, after;
	struct swarm_plan old_plan, new_plan, same_plan;
	char err[256];

	test_cluster(&before, false);
	test_cluster(&after, true);
	ck_assert_int_eq(swarm_plan_compute(&before, reports, 2, &old_plan, err, sizeof(err)), 0);
	ck_assert_int_eq(swarm_plan_compute(&after, reports, 2, &new_plan, err, sizeof(err)), 0);
	test_expect(&new_plan, NODE1, "10.231.0.6", "10.231.0.9");
	test_expect(&new_plan, NODE2, "10.231.0.5", "");
	ck_assert(swarm_plan_changed(&old_plan, &new_plan, NODE1));
	ck_assert(swarm_plan_changed(&old_plan, &new_plan, NODE2));
	/* the same state again: nothing to push */
	ck_assert_int_eq(swarm_plan_compute(&after, reports, 2, &same_plan, err, sizeof(err)), 0);
	ck_assert(!swarm_plan_changed(&new_plan, &same_plan, NODE1));
	ck_assert(!swarm_plan_changed(&new_plan, &same_plan, NODE2));
	swarm_plan_free(&old_plan);
	swarm_plan_free(&new_plan);
	swarm_plan_free(&same_plan);
	swarm_cluster_free(&before);
	swarm_cluster_free(&after);
}
END_TEST

START_TEST(test_plan_node_leaves)
{
	struct swarm_report reports[] = {test_report(NODE1, "10.231.0.5"),
					 test_report(NODE2, "10.231.0.6")};
	struct swarm_cluster full, shrunk;
	struct swarm_plan old_plan, new_plan;
	char err[256];

	test_cluster(&full, false);
	test_cluster(&shrunk, false);
	/* node 2 left: the manager marks it down (then `docker node rm` removes it) */
	shrunk.nodes[0].ready = false;
	ck_assert_int_eq(swarm_plan_compute(&full, reports, 2, &old_plan, err, sizeof(err)), 0);
	ck_assert_int_eq(swarm_plan_compute(&shrunk, reports, 2, &new_plan, err, sizeof(err)), 0);
	ck_assert_ptr_null(swarm_plan_node(&new_plan, NODE2));
	test_expect(&new_plan, NODE1, "", "");
	ck_assert(swarm_plan_changed(&old_plan, &new_plan, NODE1));
	ck_assert(swarm_plan_changed(&old_plan, &new_plan, NODE2));
	swarm_plan_free(&old_plan);
	swarm_plan_free(&new_plan);
	swarm_cluster_free(&full);
	swarm_cluster_free(&shrunk);
}
END_TEST

START_TEST(test_reports_verified)
{
	struct swarm_report reports[] = {
	    test_report(NODE1, "10.231.0.5"),
	    /* a worker claiming a backend's address, one outside the subnet, one
	     * that is not an address, and a node that does not exist */
	    test_report(NODE2, "10.231.0.4"),
	    test_report(NODE2, "10.9.9.9"),
	    test_report(NODE2, "10.231.0.999"),
	    test_report("zzzzzzzzzzzzzzzzzzzzzzzzz", "10.231.0.200"),
	};
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	char err[256];

	test_cluster(&cluster, false);
	ck_assert_int_eq(swarm_plan_compute(&cluster, reports, 5, &plan, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.rejected_reports, 3);
	test_expect(&plan, NODE1, "", "");
	test_expect(&plan, NODE2, "10.231.0.5", "10.231.0.2");
	swarm_plan_free(&plan);
	swarm_cluster_free(&cluster);
}
END_TEST

START_TEST(test_reports_conflict_and_second)
{
	struct swarm_report reports[] = {test_report(NODE1, "10.231.0.6"),
					 test_report(NODE2, "10.231.0.6")};
	struct swarm_report two = test_report(NODE2, "10.231.0.6");
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	char err[256];

	test_cluster(&cluster, false);
	/* the same address from two nodes belongs to neither */
	ck_assert_int_eq(swarm_plan_compute(&cluster, reports, 2, &plan, err, sizeof(err)), 0);
	test_expect(&plan, NODE1, "", "");
	test_expect(&plan, NODE2, "", "10.231.0.2");
	swarm_plan_free(&plan);
	/* a second IPv4 load balancer for one node is refused */
	snprintf(two.lb_ips[1], sizeof(two.lb_ips[1]), "10.231.0.100");
	two.lb_count = 2;
	ck_assert_int_eq(swarm_plan_compute(&cluster, &two, 1, &plan, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.rejected_reports, 1);
	test_expect(&plan, NODE1, "10.231.0.6", "");
	swarm_plan_free(&plan);
	swarm_cluster_free(&cluster);
}
END_TEST

START_TEST(test_filters)
{
	struct swarm_cluster cluster;
	const struct swarm_task *proxy = NULL, *backend = NULL;
	char err[256];

	test_cluster(&cluster, false);
	for (size_t i = 0; i < cluster.task_count; i++) {
		if (strcmp(cluster.tasks[i].id, "vbco11236ce2tx3ikf7qpkmsw") == 0)
			proxy = &cluster.tasks[i];
		if (strcmp(cluster.tasks[i].id, "hxmidgk83y5vtwqjqcflt92z3") == 0)
			backend = &cluster.tasks[i];
	}
	ck_assert_ptr_nonnull(proxy);
	ck_assert_ptr_nonnull(backend);
	ck_assert(swarm_task_matches(&cluster, proxy, "label=tjd.allow=true"));
	ck_assert(swarm_task_matches(&cluster, proxy, "label=tjd.allow"));
	ck_assert(!swarm_task_matches(&cluster, backend, "label=tjd.allow=true"));
	ck_assert(!swarm_task_matches(&cluster, proxy, "label=tjd.allow=false"));
	ck_assert(swarm_task_matches(&cluster, proxy, "name=^/proxy\\."));
	ck_assert(!swarm_task_matches(&cluster, backend, "name=^/proxy"));
	ck_assert(swarm_task_matches(&cluster, backend, "name=backend." NODE2));
	ck_assert(swarm_task_matches(&cluster, proxy, "label=com.docker.swarm.service.name=proxy"));
	ck_assert(swarm_task_matches(&cluster, proxy, "ancestor=tjdbox"));
	ck_assert(swarm_task_matches(&cluster, proxy, "ancestor=tjdbox:latest"));
	ck_assert(!swarm_task_matches(&cluster, proxy, "ancestor=traefik:v3"));
	ck_assert(swarm_task_matches(&cluster, proxy, "id=27894031e8"));
	ck_assert(swarm_task_matches(&cluster, proxy, "network=web label=tjd.allow=true"));
	/* values of one key OR, different keys AND */
	ck_assert(swarm_task_matches(&cluster, backend, "name=^/proxy name=^/backend"));
	ck_assert(!swarm_task_matches(&cluster, backend, "name=^/backend label=tjd.allow"));
	/* what a manager cannot judge matches nothing (fail closed) */
	ck_assert_int_eq(swarm_filter_check("publish=80", err, sizeof(err)), -1);
	ck_assert_int_eq(swarm_filter_check("status=exited", err, sizeof(err)), -1);
	ck_assert_int_eq(swarm_filter_check("label", err, sizeof(err)), -1);
	ck_assert(!swarm_task_matches(&cluster, proxy, "label=tjd.allow=true publish=80"));
	swarm_cluster_free(&cluster);
}
END_TEST

START_TEST(test_hostile_documents)
{
	static const char *const bad_tasks[] = {
	    "{}",
	    "[1]",
	    "[{\"ID\":\"UPPER\",\"Status\":{\"State\":\"running\"},\"DesiredState\":\"running\"}]",
	    "[{\"ID\":\"abc\",\"Status\":{\"State\":\"running\"},\"DesiredState\":\"running\","
	    "\"NetworksAttachments\":[{\"Network\":{\"ID\":\"n1\"},\"Addresses\":[\"junk\"]}]}]",
	    "[{\"ID\":\"abc\",\"Status\":{\"State\":\"running\"},\"DesiredState\":\"running\","
	    "\"NetworksAttachments\":[{\"Network\":{\"ID\":\"n1\"},\"Addresses\":[7]}]}]",
	    "[{\"ID\":\"abc\",\"Status\":{\"State\":\"running\"},\"DesiredState\":\"running\","
	    "\"Spec\":{\"ContainerSpec\":{\"Labels\":{\"a\":1}}}}]",
	    "not json",
	};
	struct swarm_cluster cluster;
	char err[256];

	for (size_t i = 0; i < sizeof(bad_tasks) / sizeof(bad_tasks[0]); i++) {
		swarm_cluster_init(&cluster);
		ck_assert_msg(swarm_parse_tasks(bad_tasks[i], strlen(bad_tasks[i]), &cluster, err,
						sizeof(err)) == -1,
			      "accepted %s", bad_tasks[i]);
		swarm_cluster_free(&cluster);
	}
	static const char bad_node[] = "[{\"ID\":\"a/b\"}]";
	static const char bad_subnet[] =
	    "{\"Id\":\"x\",\"Name\":\"w\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/99\"}]}}";
	static const char stopped[] = "[{\"ID\":\"UPPER\",\"Status\":{\"State\":\"shutdown\"}}]";

	swarm_cluster_init(&cluster);
	ck_assert_int_eq(swarm_parse_nodes(bad_node, strlen(bad_node), &cluster, err, sizeof(err)),
			 -1);
	ck_assert_int_eq(swarm_parse_network(bad_subnet, strlen(bad_subnet), test_allow, 1,
					     &cluster, err, sizeof(err)),
			 -1);
	swarm_cluster_free(&cluster);
	/* tasks that are not running are skipped without looking further */
	swarm_cluster_init(&cluster);
	ck_assert_int_eq(swarm_parse_tasks(stopped, strlen(stopped), &cluster, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(cluster.task_count, 0);
	swarm_cluster_free(&cluster);
}
END_TEST

START_TEST(test_find_network)
{
	char id[SWARM_ID_MAX + 1], err[256];
	size_t len;
	char *json = test_read("networks-overlay.json", &len);

	ck_assert_int_eq(swarm_find_network(json, len, "web", id, sizeof(id), err, sizeof(err)), 0);
	ck_assert_str_eq(id, WEB);
	ck_assert_int_eq(swarm_find_network(json, len, "nope", id, sizeof(id), err, sizeof(err)),
			 1);
	free(json);
}
END_TEST

/* The suite. */
static Suite *swarm_plan_suite(void)
{
	Suite *suite = suite_create("swarm-plan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_recorded);
	tcase_add_test(tc, test_plan_proxy_on_node1);
	tcase_add_test(tc, test_plan_proxy_moved);
	tcase_add_test(tc, test_plan_node_leaves);
	tcase_add_test(tc, test_reports_verified);
	tcase_add_test(tc, test_reports_conflict_and_second);
	tcase_add_test(tc, test_filters);
	tcase_add_test(tc, test_hostile_documents);
	tcase_add_test(tc, test_find_network);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(swarm_plan_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
