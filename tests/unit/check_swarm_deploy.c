/*
 * The swarm deployment controller's parsers of Docker API documents
 * (swarm/deploy.h), on documents shaped as Docker 20.10 answers, and on
 * hostile ones: every id, name, image and address is validated, every
 * bound holds, and nothing malformed is taken.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/deploy.h"

#define CID "4f7c2d5c0b1e9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d"
#define IMG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NODE "eryjc52293gy4mj0ep4n7xyw6"
#define SVC "mvcb57ipda14b4jp4af5rqp1c"

/* A container inspect of the controller's task with labels labels (JSON object text). */
static char *test_self_doc(const char *id, const char *image, const char *ref, const char *labels)
{
	char *doc;

	ck_assert_int_ge(asprintf(&doc,
				  "{\"Id\":\"%s\",\"Image\":\"%s\",\"Config\":{\"Image\":\"%s\","
				  "\"Labels\":%s},\"HostConfig\":{}}",
				  id, image, ref, labels),
			 0);
	return doc;
}

#define LABELS                                                                                     \
	"{\"com.docker.swarm.node.id\":\"" NODE "\",\"com.docker.swarm.service.id\":\"" SVC        \
	"\",\"com.docker.swarm.service.name\":\"trafficjam\",\"com.docker.swarm.task.id\":\"x\"}"

/* The controller's own container: id, image, service and node. */
START_TEST(test_self)
{
	struct swarm_deploy_self self;
	char err[256] = "", *doc = test_self_doc(CID, IMG, "tjd:latest", LABELS);

	ck_assert_msg(swarm_deploy_parse_self(doc, strlen(doc), &self, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_str_eq(self.container_id, CID);
	ck_assert_str_eq(self.image_id, IMG);
	ck_assert_str_eq(self.image_ref, "tjd:latest");
	ck_assert_str_eq(self.service_name, "trafficjam");
	ck_assert_str_eq(self.service_id, SVC);
	ck_assert_str_eq(self.node_id, NODE);
	free(doc);
}
END_TEST

/* What a container could carry in its labels or image name is refused, never copied. */
START_TEST(test_self_hostile)
{
	static const char *const refs[] = {"tjd latest", "-tjd", "tjd\\n", "tjd;rm", ""};
	static const char *const labels[] = {
	    "{}",
	    "{\"com.docker.swarm.node.id\":\"" NODE "\",\"com.docker.swarm.service.id\":\"" SVC
	    "\",\"com.docker.swarm.service.name\":\"trafficjam,x=y\"}",
	    "{\"com.docker.swarm.node.id\":\"../etc\",\"com.docker.swarm.service.id\":\"" SVC
	    "\",\"com.docker.swarm.service.name\":\"t\"}",
	    "{\"com.docker.swarm.node.id\":\"" NODE "\",\"com.docker.swarm.service.id\":\"" SVC
	    "\",\"com.docker.swarm.service.name\":"
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	    "[]",
	};
	struct swarm_deploy_self self;
	char err[256], *doc;

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		doc = test_self_doc(CID, IMG, refs[i], LABELS);
		ck_assert_msg(swarm_deploy_parse_self(doc, strlen(doc), &self, err, sizeof(err)) <
				  0,
			      "image %s", refs[i]);
		free(doc);
	}
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		doc = test_self_doc(CID, IMG, "tjd", labels[i]);
		ck_assert_msg(swarm_deploy_parse_self(doc, strlen(doc), &self, err, sizeof(err)) <
				  0,
			      "labels %zu", i);
		free(doc);
	}
	doc = test_self_doc("xyz", IMG, "tjd", LABELS);
	ck_assert_int_lt(swarm_deploy_parse_self(doc, strlen(doc), &self, err, sizeof(err)), 0);
	free(doc);
	doc = test_self_doc(CID, "sha256:1234", "tjd", LABELS);
	ck_assert_int_lt(swarm_deploy_parse_self(doc, strlen(doc), &self, err, sizeof(err)), 0);
	free(doc);
	ck_assert_int_lt(swarm_deploy_parse_self("{\"Id\":", 6, &self, err, sizeof(err)), 0);
}
END_TEST

/* RepoDigests pins the image; none leaves "", a malformed one is refused. */
START_TEST(test_image)
{
	static const char with[] =
	    "{\"RepoDigests\":[\"registry.example/tjd@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]}";
	char digest[256], err[256];

	ck_assert_int_eq(
	    swarm_deploy_parse_image(with, strlen(with), digest, sizeof(digest), err, sizeof(err)),
	    0);
	ck_assert_str_eq(digest,
			 "registry.example/tjd@sha256:"
			 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ck_assert_int_eq(swarm_deploy_parse_image("{\"RepoDigests\":[]}", 18, digest,
						  sizeof(digest), err, sizeof(err)),
			 0);
	ck_assert_str_eq(digest, "");
	ck_assert_int_eq(
	    swarm_deploy_parse_image("{}", 2, digest, sizeof(digest), err, sizeof(err)), 0);
	ck_assert_int_lt(swarm_deploy_parse_image("{\"RepoDigests\":[\"tjd@sha256:12\"]}", 33,
						  digest, sizeof(digest), err, sizeof(err)),
			 0);
	ck_assert_int_lt(swarm_deploy_parse_image("{\"RepoDigests\":[7]}", 19, digest,
						  sizeof(digest), err, sizeof(err)),
			 0);
}
END_TEST

/* A manager's address comes from ManagerStatus, else Status; 0.0.0.0 is no address. */
START_TEST(test_node)
{
	static const char manager[] =
	    "{\"ID\":\"" NODE "\",\"Spec\":{\"Role\":\"manager\",\"Availability\":\"active\"},"
	    "\"Status\":{\"State\":\"ready\",\"Addr\":\"0.0.0.0\"},"
	    "\"ManagerStatus\":{\"Leader\":true,\"Addr\":\"192.168.231.1:2377\"}}";
	static const char worker6[] = "{\"ID\":\"" NODE "\",\"Spec\":{\"Availability\":\"drain\"},"
				      "\"Status\":{\"State\":\"down\",\"Addr\":\"fd00::2\"}}";
	static const char v6manager[] = "{\"ID\":\"" NODE "\",\"Status\":{\"State\":\"ready\"},"
					"\"ManagerStatus\":{\"Addr\":\"[fd00::1]:2377\"}}";
	static const char *const bad[] = {
	    "{\"ID\":\"" NODE "\",\"Status\":{\"State\":\"Ready!\"}}",
	    "{\"ID\":\"no/pe\"}",
	    "{\"ID\":\"" NODE "\",\"Status\":{\"Addr\":7}}",
	    "[]",
	};
	struct swarm_deploy_node node, *nodes;
	char err[256], list[1024];
	size_t count;

	ck_assert_int_eq(swarm_deploy_parse_node(manager, strlen(manager), &node, err, sizeof(err)),
			 0);
	ck_assert_str_eq(node.address, "192.168.231.1");
	ck_assert(node.ready && node.active);
	ck_assert_int_eq(swarm_deploy_parse_node(worker6, strlen(worker6), &node, err, sizeof(err)),
			 0);
	ck_assert_str_eq(node.address, "fd00::2");
	ck_assert(!node.ready && !node.active);
	ck_assert_int_eq(
	    swarm_deploy_parse_node(v6manager, strlen(v6manager), &node, err, sizeof(err)), 0);
	ck_assert_str_eq(node.address, "fd00::1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(
		    swarm_deploy_parse_node(bad[i], strlen(bad[i]), &node, err, sizeof(err)) < 0,
		    "%s", bad[i]);
	snprintf(list, sizeof(list), "[%s,%s]", manager, worker6);
	ck_assert_int_eq(
	    swarm_deploy_parse_nodes(list, strlen(list), &nodes, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 2);
	ck_assert_str_eq(nodes[1].address, "fd00::2");
	free(nodes);
	ck_assert_int_lt(swarm_deploy_parse_nodes("{}", 2, &nodes, &count, err, sizeof(err)), 0);
	ck_assert_ptr_null(nodes);
}
END_TEST

/* The child services: id, name, version and the controller's labels. */
START_TEST(test_services)
{
	static const char list[] =
	    "[{\"ID\":\"" SVC
	    "\",\"Version\":{\"Index\":42},\"Spec\":{\"Name\":\"trafficjam-node\","
	    "\"Labels\":{\"tjd.swarm.controller\":\"trafficjam\",\"tjd.swarm.role\":\"node\","
	    "\"tjd.swarm.spec\":\"00112233aabbccdd\"}}},"
	    "{\"ID\":\"" NODE "\",\"Version\":{\"Index\":7},\"Spec\":{\"Name\":\"other\"}}]";
	static const char *const bad[] = {
	    "[{\"ID\":\"" SVC "\",\"Version\":{\"Index\":-1},\"Spec\":{\"Name\":\"a\"}}]",
	    "[{\"ID\":\"" SVC "\",\"Version\":{\"Index\":1},\"Spec\":{\"Name\":\"a b\"}}]",
	    "[{\"ID\":\"" SVC "\",\"Version\":{\"Index\":1},\"Spec\":{\"Name\":\"a\","
	    "\"Labels\":{\"tjd.swarm.role\":\"NODE\"}}}]",
	    "[{\"ID\":\"" SVC "\",\"Spec\":{\"Name\":\"a\"}}]",
	    "{}",
	};
	struct swarm_deploy_service services[SWARM_DEPLOY_MAX_SERVICES];
	char err[256], *many;
	size_t count, length = 0;

	ck_assert_msg(swarm_deploy_parse_services(list, strlen(list), services, &count, err,
						  sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(count, 2);
	ck_assert_str_eq(services[0].name, "trafficjam-node");
	ck_assert_uint_eq(services[0].version, 42);
	ck_assert_str_eq(services[0].role, "node");
	ck_assert_str_eq(services[0].spec, "00112233aabbccdd");
	ck_assert_str_eq(services[1].role, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(swarm_deploy_parse_services(bad[i], strlen(bad[i]), services, &count,
							  err, sizeof(err)) < 0,
			      "%s", bad[i]);
	/* more services than the array holds */
	many = malloc(SWARM_DEPLOY_MAX_SERVICES * 4 + 16);
	ck_assert_ptr_nonnull(many);
	many[length++] = '[';
	for (int i = 0; i <= SWARM_DEPLOY_MAX_SERVICES; i++)
		length += (size_t)sprintf(many + length, "%s{}", i ? "," : "");
	many[length++] = ']';
	ck_assert_int_lt(
	    swarm_deploy_parse_services(many, length, services, &count, err, sizeof(err)), 0);
	free(many);
}
END_TEST

/* Tasks: node, states, role label and exit code. */
START_TEST(test_tasks)
{
	static const char list[] =
	    "[{\"ID\":\"" SVC "\",\"NodeID\":\"" NODE "\",\"DesiredState\":\"shutdown\","
	    "\"Status\":{\"State\":\"complete\",\"ContainerStatus\":{\"ExitCode\":0}},"
	    "\"Spec\":{\"ContainerSpec\":{\"Labels\":{\"tjd.swarm.role\":\"clear\"}}}},"
	    "{\"ID\":\"" NODE
	    "\",\"DesiredState\":\"running\",\"Status\":{\"State\":\"pending\"}}]";
	static const char *const bad[] = {
	    "[{\"ID\":\"" SVC "\",\"NodeID\":\"../x\"}]",
	    "[{\"ID\":\"" SVC "\",\"Status\":{\"State\":\"complete\\u0000\"}}]",
	    "[{\"ID\":\"" SVC "\",\"Spec\":{\"ContainerSpec\":{\"Labels\":[]}}}]",
	    "[1]",
	};
	struct swarm_deploy_task *tasks;
	char err[256];
	size_t count;

	ck_assert_msg(
	    swarm_deploy_parse_tasks(list, strlen(list), &tasks, &count, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(count, 2);
	ck_assert_str_eq(tasks[0].node_id, NODE);
	ck_assert_str_eq(tasks[0].state, "complete");
	ck_assert_str_eq(tasks[0].role, "clear");
	ck_assert_int_eq(tasks[0].exit_code, 0);
	ck_assert_str_eq(tasks[1].node_id, "");
	ck_assert_int_eq(tasks[1].exit_code, -1);
	free(tasks);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(swarm_deploy_parse_tasks(bad[i], strlen(bad[i]), &tasks, &count, err,
						       sizeof(err)) < 0,
			      "%s", bad[i]);
		ck_assert_ptr_null(tasks);
	}
}
END_TEST

/* The container id from /proc/self/mountinfo, cgroup v2 style. */
START_TEST(test_container_id)
{
	static const char mountinfo[] =
	    "612 590 0:52 / / rw,relatime - overlay overlay rw\n"
	    "630 612 8:1 /var/lib/docker/containers/short/hostname /etc/hostname rw - ext4 x rw\n"
	    "631 612 8:1 /tmp/tjd-swarm/n1/data/containers/" CID
	    "/resolv.conf /etc/resolv.conf rw - ext4 /dev/sda1 rw\n";
	char id[65];

	ck_assert_int_eq(swarm_deploy_container_id(mountinfo, strlen(mountinfo), id, sizeof(id)),
			 0);
	ck_assert_str_eq(id, CID);
	ck_assert_int_lt(swarm_deploy_container_id("/containers/abc/", 16, id, sizeof(id)), 0);
	ck_assert_int_lt(swarm_deploy_container_id(mountinfo, strlen(mountinfo), id, 10), 0);
}
END_TEST

/* Image references: what Docker takes, nothing that could be an option or a second word. */
START_TEST(test_valid_image)
{
	ck_assert(swarm_deploy_valid_image("tjd", 3));
	ck_assert(swarm_deploy_valid_image("reg.example:5000/tjd:1.0@sha256:ab", 34));
	ck_assert(!swarm_deploy_valid_image("", 0));
	ck_assert(!swarm_deploy_valid_image("-x", 2));
	ck_assert(!swarm_deploy_valid_image("a b", 3));
	ck_assert(!swarm_deploy_valid_image("a,b", 3));
}
END_TEST

/* The suite. */
static Suite *swarm_deploy_suite(void)
{
	Suite *suite = suite_create("swarm-deploy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_self);
	tcase_add_test(tc, test_self_hostile);
	tcase_add_test(tc, test_image);
	tcase_add_test(tc, test_node);
	tcase_add_test(tc, test_services);
	tcase_add_test(tc, test_tasks);
	tcase_add_test(tc, test_container_id);
	tcase_add_test(tc, test_valid_image);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(swarm_deploy_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
