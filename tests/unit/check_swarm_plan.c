/*
 * The swarm coordinator's planning on Docker API responses recorded from a
 * real two-node swarm (tests/unit/data/swarm/): node 1 "swnode1" (manager,
 * load balancer 10.231.0.5 on network "web"), node 2 "swnode2" (worker,
 * load balancer 10.231.0.6); an allow-listed "proxy" service (container
 * label tjd.allow=true), a global "backend" service, and a standalone
 * container.  "moved" is the same swarm after the proxy moved to node 2.
 * The "split" cases check how a peer set too large for one control frame is
 * cut into set-peers parts (wire.h), at the frame limit and past it.
 */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"
#include "swarm/plan.h"
#include "swarm/wire.h"

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

/* A generated peer set: `networks` networks of `lb` + `allowed` addresses (IPv6 with v6). */
struct test_set {
	Tjd__V1__SetPeersRequest request;
	Tjd__V1__NetworkPeers *networks[SWARM_MAX_NETWORKS];
	char ids[SWARM_MAX_NETWORKS][SWARM_ID_MAX + 1];
	char names[SWARM_MAX_NETWORKS][SWARM_NAME_MAX + 1];
};

/* Fills a test set; free with test_set_free. */
static void test_set_make(struct test_set *set, size_t networks, size_t lb, size_t allowed, bool v6)
{
	memset(set, 0, sizeof(*set));
	tjd__v1__set_peers_request__init(&set->request);
	set->request.coordinator = (char *)"swarm coordinator on " NODE1;
	set->request.generation = 77;
	set->request.networks = set->networks;
	for (size_t n = 0; n < networks; n++) {
		Tjd__V1__NetworkPeers *np = calloc(1, sizeof(*np));
		ck_assert_ptr_nonnull(np);
		tjd__v1__network_peers__init(np);
		snprintf(set->ids[n], sizeof(set->ids[n]), "net%022zu", n);
		snprintf(set->names[n], sizeof(set->names[n]), "network-%zu", n);
		np->network_id = set->ids[n];
		np->network_name = set->names[n];
		np->lb_ips = calloc(lb + 1, sizeof(char *));
		np->allowed_ips = calloc(allowed + 1, sizeof(char *));
		for (size_t i = 0; i < lb + allowed; i++) {
			char text[64];
			if (v6)
				snprintf(text, sizeof(text), "fd00:%zx:1234:5678:9abc:def0:%zx:%zx",
					 n, i / 7 + 1, i + 1);
			else
				snprintf(text, sizeof(text), "10.%zu.%zu.%zu", n, i / 250,
					 i % 250 + 1);
			if (i < lb)
				np->lb_ips[np->n_lb_ips++] = strdup(text);
			else
				np->allowed_ips[np->n_allowed_ips++] = strdup(text);
		}
		set->networks[set->request.n_networks++] = np;
	}
}

/* Releases a test set's networks. */
static void test_set_free(struct test_set *set)
{
	for (size_t n = 0; n < set->request.n_networks; n++) {
		Tjd__V1__NetworkPeers *np = set->networks[n];
		for (size_t i = 0; i < np->n_lb_ips; i++)
			free(np->lb_ips[i]);
		for (size_t i = 0; i < np->n_allowed_ips; i++)
			free(np->allowed_ips[i]);
		free(np->lb_ips);
		free(np->allowed_ips);
		free(np);
	}
}

/* The packed size of the Request carrying push, as the agent sends it. */
static size_t test_packed(const Tjd__V1__SetPeersRequest *push)
{
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;

	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = TJD__V1__REQUEST__COMMAND_SET_PEERS;
	request.set_peers = (Tjd__V1__SetPeersRequest *)push;
	return tjd__v1__request__get_packed_size(&request);
}

/*
 * Checks parts against the set they came from, as tjd merges them: each
 * packs into frame_max, they are numbered 0..count-1 (or are one whole
 * request), and their networks, each list appended in order, are the set.
 * Every part but the last is full: its next address would not have fit.
 */
static void test_parts_check(const struct test_set *set, const Tjd__V1__SetPeersRequest *parts,
			     size_t count, size_t frame_max)
{
	size_t network = 0, lb = 0, allowed = 0;

	ck_assert_uint_gt(count, 0);
	for (size_t p = 0; p < count; p++) {
		const Tjd__V1__SetPeersRequest *part = &parts[p];
		size_t packed = test_packed(part);

		ck_assert_uint_le(packed, frame_max);
		ck_assert_uint_eq(part->part, count > 1 ? p : 0);
		ck_assert_uint_eq(part->part_count, count > 1 ? count : 0);
		ck_assert_uint_eq(part->generation, 77);
		ck_assert_str_eq(part->coordinator, set->request.coordinator);
		if (p + 1 < count) /* the next address: tag, length, up to 39 characters */
			ck_assert_uint_gt(packed + 2 + 39 + 6 + 2 * 24, frame_max);
		for (size_t n = 0; n < part->n_networks; n++) {
			const Tjd__V1__NetworkPeers *np = part->networks[n];
			const Tjd__V1__NetworkPeers *want;
			/* a network continues, or the next one starts */
			if (lb == set->networks[network]->n_lb_ips &&
			    allowed == set->networks[network]->n_allowed_ips && (n > 0 || p > 0)) {
				network++;
				lb = allowed = 0;
			}
			ck_assert_uint_lt(network, set->request.n_networks);
			want = set->networks[network];
			ck_assert_str_eq(np->network_id, want->network_id);
			ck_assert_str_eq(np->network_name, want->network_name);
			ck_assert_uint_le(lb + np->n_lb_ips, want->n_lb_ips);
			ck_assert_uint_le(allowed + np->n_allowed_ips, want->n_allowed_ips);
			ck_assert(np->n_allowed_ips == 0 || lb + np->n_lb_ips == want->n_lb_ips);
			for (size_t i = 0; i < np->n_lb_ips; i++)
				ck_assert_str_eq(np->lb_ips[i], want->lb_ips[lb + i]);
			for (size_t i = 0; i < np->n_allowed_ips; i++)
				ck_assert_str_eq(np->allowed_ips[i],
						 want->allowed_ips[allowed + i]);
			lb += np->n_lb_ips;
			allowed += np->n_allowed_ips;
		}
	}
	ck_assert_uint_eq(network + 1, set->request.n_networks);
	ck_assert_uint_eq(lb, set->networks[network]->n_lb_ips);
	ck_assert_uint_eq(allowed, set->networks[network]->n_allowed_ips);
}

START_TEST(test_split_at_the_frame_limit)
{
	struct test_set set;
	Tjd__V1__SetPeersRequest *parts;
	size_t count, packed;
	char err[256], name[SWARM_NAME_MAX + 1];

	/* Eight networks of 600 + 150 addresses: some 70 kB; drop addresses to just below. */
	test_set_make(&set, 8, 600, 150, false);
	while (test_packed(&set.request) > FRAME_MAX - 100) {
		Tjd__V1__NetworkPeers *last = set.networks[7];
		if (last->n_allowed_ips > 0)
			free(last->allowed_ips[--last->n_allowed_ips]);
		else
			free(last->lb_ips[--last->n_lb_ips]);
	}
	/* The last network's name makes the whole request exactly FRAME_MAX bytes. */
	packed = test_packed(&set.request);
	memset(name, 'n', sizeof(name));
	name[strlen(set.names[7]) + (FRAME_MAX - packed)] = '\0';
	set.networks[7]->network_name = name;
	ck_assert_uint_eq(test_packed(&set.request), FRAME_MAX);
	count = swarm_wire_peers_split(&set.request, FRAME_MAX, &parts, err, sizeof(err));
	ck_assert_msg(count == 1, "%zu parts: %s", count, err);
	ck_assert_uint_eq(test_packed(&parts[0]), FRAME_MAX);
	test_parts_check(&set, parts, count, FRAME_MAX);
	swarm_wire_parts_free(parts, count);
	/* One byte more: two parts, each within the limit, together the same set. */
	strcat(name, "n");
	ck_assert_uint_eq(test_packed(&set.request), FRAME_MAX + 1);
	count = swarm_wire_peers_split(&set.request, FRAME_MAX, &parts, err, sizeof(err));
	ck_assert_msg(count == 2, "%zu parts: %s", count, err);
	test_parts_check(&set, parts, count, FRAME_MAX);
	swarm_wire_parts_free(parts, count);
	set.networks[7]->network_name = set.names[7];
	test_set_free(&set);
}
END_TEST

START_TEST(test_split_swarm_scale)
{
	/* 500 nodes, 50 networks: 499 load balancers and 200 allowed tasks on each. */
	struct test_set set;
	Tjd__V1__SetPeersRequest *parts;
	size_t count;
	char err[256];

	test_set_make(&set, 50, 499, 200, false);
	ck_assert_uint_gt(test_packed(&set.request), 6 * FRAME_MAX);
	count = swarm_wire_peers_split(&set.request, FRAME_MAX, &parts, err, sizeof(err));
	ck_assert_msg(count >= 7 && count <= 8, "%zu parts: %s", count, err);
	test_parts_check(&set, parts, count, FRAME_MAX);
	swarm_wire_parts_free(parts, count);
	test_set_free(&set);
	/* The largest set tjd holds: 64 networks of 2 x 1,024 long IPv6 addresses. */
	test_set_make(&set, SWARM_MAX_NETWORKS, SWARM_MAX_PEERS, SWARM_MAX_PEERS, true);
	count = swarm_wire_peers_split(&set.request, FRAME_MAX, &parts, err, sizeof(err));
	ck_assert_msg(count > 64 && count < SWARM_MAX_PARTS, "%zu parts: %s", count, err);
	test_parts_check(&set, parts, count, FRAME_MAX);
	swarm_wire_parts_free(parts, count);
	test_set_free(&set);
}
END_TEST

START_TEST(test_split_small_frames_and_refusals)
{
	struct test_set set;
	Tjd__V1__SetPeersRequest *parts;
	size_t count;
	char err[256];

	/* Empty networks travel too, and a frame of a few addresses still works. */
	test_set_make(&set, 5, 3, 2, true);
	set.networks[2]->n_lb_ips = 0;
	set.networks[2]->n_allowed_ips = 0;
	for (size_t frame = 200; frame < 700; frame += 37) {
		count = swarm_wire_peers_split(&set.request, frame, &parts, err, sizeof(err));
		ck_assert_msg(count > 1, "frame %zu: %s", frame, err);
		test_parts_check(&set, parts, count, frame);
		swarm_wire_parts_free(parts, count);
	}
	set.networks[2]->n_lb_ips = 3;
	set.networks[2]->n_allowed_ips = 2;
	/* A frame that cannot hold one address with its network: refused, nothing to send. */
	count = swarm_wire_peers_split(&set.request, 120, &parts, err, sizeof(err));
	ck_assert_uint_eq(count, 0);
	ck_assert_ptr_null(parts);
	ck_assert_ptr_nonnull(strstr(err, "does not split"));
	test_set_free(&set);
	/* More parts than tjd takes: refused. */
	test_set_make(&set, 4, 1000, 0, true);
	count = swarm_wire_peers_split(&set.request, 400, &parts, err, sizeof(err));
	ck_assert_uint_eq(count, 0);
	test_set_free(&set);
}
END_TEST

START_TEST(test_peers_message_past_a_line)
{
	/* A peers message above the 64 KiB report line: decoded whole by the agent. */
	struct swarm_node_plan plan;
	Tjd__V1__SetPeersRequest peers;
	char err[256], *message;

	memset(&plan, 0, sizeof(plan));
	snprintf(plan.node_id, sizeof(plan.node_id), "%s", NODE2);
	plan.networks = calloc(10, sizeof(*plan.networks));
	ck_assert_ptr_nonnull(plan.networks);
	for (size_t n = 0; n < 10; n++) {
		struct swarm_peer_network *net = &plan.networks[plan.network_count++];
		snprintf(net->network_id, sizeof(net->network_id), "net%022zu", n);
		snprintf(net->network_name, sizeof(net->network_name), "network-%zu", n);
		net->lb_ips = calloc(SWARM_MAX_PEERS + 1, sizeof(*net->lb_ips));
		ck_assert_ptr_nonnull(net->lb_ips);
		for (size_t i = 0; i < 700; i++)
			snprintf(net->lb_ips[net->lb_count++], SWARM_ADDRESS_MAX, "10.%zu.%zu.%zu",
				 n, i / 250, i % 250 + 1);
	}
	ck_assert_int_eq(swarm_wire_peers_fit(&plan, err, sizeof(err)), 0);
	message = swarm_wire_peers_encode(&plan, 9, NODE1);
	ck_assert_ptr_nonnull(message);
	ck_assert_uint_gt(strlen(message), SWARM_LINE_MAX);
	ck_assert_int_eq(swarm_wire_peers_decode(message, &peers, err, sizeof(err)), 0);
	ck_assert_uint_eq(peers.n_networks, 10);
	ck_assert_uint_eq(peers.networks[9]->n_lb_ips, 700);
	swarm_wire_peers_free(&peers);
	free(message);
	/* One address past tjd's limit on a list: the plan is not pushed at all. */
	for (size_t i = 700; i <= SWARM_MAX_PEERS; i++)
		snprintf(plan.networks[3].lb_ips[plan.networks[3].lb_count++], SWARM_ADDRESS_MAX,
			 "10.3.%zu.%zu", i / 250, i % 250 + 1);
	ck_assert_int_eq(swarm_wire_peers_fit(&plan, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "network-3: 1025 load-balancer"));
	for (size_t n = 0; n < plan.network_count; n++)
		free(plan.networks[n].lb_ips);
	free(plan.networks);
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
	tc = tcase_create("split");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_split_at_the_frame_limit);
	tcase_add_test(tc, test_split_swarm_scale);
	tcase_add_test(tc, test_split_small_frames_and_refusals);
	tcase_add_test(tc, test_peers_message_past_a_line);
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
