/* Command dispatch with the fake backend recording what would reach the kernel. */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/frame.h"
#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/enforce.h"
#include "tjd/policy.h"
#include "tjd/reconcile.h"

static struct tjd tjd;
static struct inventory inventory; /* what tjd.inventory shows */
/* What policy_compile makes of the fixture's network: all rules, and the network's own. */
static size_t compiled_rules, network_rules;
static Tjd__V1__Response *reply;
static unsigned replies;
static char conf_path[] = "/tmp/check_ctl_XXXXXX";

/* Captures the reply the dispatcher sends. */
static void ctl_test_send(void *arg, const uint8_t *data, size_t len)
{
	replies++;
	if (reply != NULL)
		tjd__v1__response__free_unpacked(reply, NULL);
	reply = tjd__v1__response__unpack(NULL, len, data);
	ck_assert_ptr_nonnull(reply);
}

/* Answers for the reconciler, which these cases never run to completion. */
static int ctl_test_reconcile_done(void *arg, const struct reconcile_result *result)
{
	return -1;
}

/* See ctl_test_reconcile_done. */
static void ctl_test_docker_lost(void *arg, const char *message)
{
}

/* A daemon with one protected network, a known inventory and its rules installed. */
static void ctl_setup(void)
{
	static const char text[] = "[network web]\nallow = label=tjd.allow=true\n";
	static const struct reconcile_hooks hooks = {
	    .done = ctl_test_reconcile_done,
	    .docker_lost = ctl_test_docker_lost,
	};
	const struct enforce_options options = {.instance_id = "", .dry_run = true};
	struct inv_network *net;
	struct inv_endpoint *e;
	struct ruleset compiled;
	size_t counts[1];
	char err[256];
	int fd = mkstemp(conf_path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	memset(&tjd, 0, sizeof(tjd));
	tjd.conf_path = conf_path;
	tjd.conf_required = true;
	tjd.conf = conf_load(conf_path, true, NULL, err, sizeof(err));
	ck_assert_msg(tjd.conf != NULL, "%s", err);
	tjd.base = event_base_new();
	tjd.reconcile =
	    reconcile_new(tjd.base, NULL, tjd.conf, &reconcile_netns_ports, &hooks, &tjd);
	ck_assert_ptr_nonnull(tjd.reconcile);
	tjd.enforce = enforce_new(&options, err, sizeof(err));
	ck_assert_msg(tjd.enforce != NULL, "%s", err);
	inventory_init(&inventory);
	tjd.inventory = &inventory;
	net = inventory_add_network(&inventory);
	strcpy(net->name, "web");
	strcpy(net->id, "abcdef0123456789");
	strcpy(net->driver, "bridge");
	strcpy(net->bridge, "br-abcdef012345");
	prefix_parse("172.30.0.0/24", &net->subnets[0]);
	prefix_parse("fd00:30::/64", &net->subnets[1]);
	net->subnet_count = 2;
	e = inv_network_add_endpoint(net);
	strcpy(e->name, "proxy");
	memset(e->container_id, 'a', 64);
	prefix_parse("172.30.0.2", &e->ipv4);
	prefix_parse("fd00:30::2", &e->ipv6);
	strcpy(e->bridge_port, "veth0");
	e->allowed = true;
	ck_assert_msg(enforce_apply(tjd.enforce, tjd.conf, &inventory, NULL, 0, err, sizeof(err)) ==
			  0,
		      "%s", err);
	ruleset_init(&compiled);
	ck_assert_int_eq(policy_compile(tjd.conf, &inventory, &compiled, counts, err, sizeof(err)),
			 0);
	compiled_rules = compiled.count;
	network_rules = counts[0];
	ck_assert_uint_gt(network_rules, 0);
	ruleset_free(&compiled);
	replies = 0;
	reply = NULL;
}

static void ctl_teardown(void)
{
	if (reply != NULL)
		tjd__v1__response__free_unpacked(reply, NULL);
	reply = NULL;
	reconcile_free(tjd.reconcile);
	enforce_free(tjd.enforce);
	inventory_free(&inventory);
	peer_sets_free(tjd.peers, tjd.peer_network_count);
	peer_parts_free(tjd.peer_parts);
	conf_free(tjd.conf);
	event_base_free(tjd.base);
	unlink(conf_path);
	strcpy(conf_path, "/tmp/check_ctl_XXXXXX");
}

/* Packs and dispatches a request as `uid`. */
static void ctl_test_call(Tjd__V1__Request *request, uid_t uid)
{
	uint8_t buffer[FRAME_MAX];
	size_t size = tjd__v1__request__pack(request, buffer);

	ctl_dispatch(&tjd, buffer, size, false, uid, ctl_test_send, NULL);
}

/* A request with just a command and the current version. */
static void ctl_test_simple(Tjd__V1__Request__CommandCase command, uid_t uid)
{
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__StatusRequest empty = TJD__V1__STATUS_REQUEST__INIT;

	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = command;
	request.status = &empty; /* every empty request message packs alike */
	ctl_test_call(&request, uid);
}

START_TEST(test_status_reports_networks)
{
	Tjd__V1__NetworkStatus *ns;

	ctl_test_simple(TJD__V1__REQUEST__COMMAND_STATUS, 1000);
	ck_assert_uint_eq(replies, 1);
	ck_assert(reply->ok);
	ck_assert_int_eq(reply->result_case, TJD__V1__RESPONSE__RESULT_STATUS);
	ck_assert(reply->status->ready);
	ck_assert_str_eq(reply->status->backend, "fake");
	ck_assert_uint_eq(reply->status->n_networks, 1);
	ns = reply->status->networks[0];
	ck_assert_str_eq(ns->name, "web");
	ck_assert(ns->present);
	ck_assert_str_eq(ns->interface, "br-abcdef012345");
	ck_assert_uint_eq(ns->n_subnets, 2);
	ck_assert_str_eq(ns->subnets[1], "fd00:30::/64");
	ck_assert_uint_eq(ns->rule_count, network_rules);
	ck_assert_uint_eq(ns->n_allowed, 1);
	ck_assert_str_eq(ns->allowed[0]->name, "proxy");
	ck_assert_uint_eq(ns->allowed[0]->n_addresses, 2);
	ck_assert_str_eq(ns->allowed[0]->addresses[0], "172.30.0.2");
	ck_assert_str_eq(ns->allowed[0]->addresses[1], "fd00:30::2");
	ck_assert_str_eq(ns->allowed[0]->bridge_port, "veth0");
}
END_TEST

START_TEST(test_rules_reads_backend)
{
	ctl_test_simple(TJD__V1__REQUEST__COMMAND_RULES, 1000);
	ck_assert(reply->ok);
	ck_assert_int_eq(reply->result_case, TJD__V1__RESPONSE__RESULT_RULES);
	ck_assert_ptr_nonnull(strstr(
	    reply->rules->text, "-A TJD-FORWARD -i br-abcdef012345 -o br-abcdef012345 -m comment "
				"--comment \"tjd web isolate\" -j DROP"));
}
END_TEST

START_TEST(test_clear_needs_root)
{
	struct backend_fake_state *state = backend_fake_state(enforce_backend(tjd.enforce));

	ctl_test_simple(TJD__V1__REQUEST__COMMAND_CLEAR, 1000);
	ck_assert(!reply->ok);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_PERMISSION);
	ck_assert_uint_eq(state->clear_calls, 0);
	ck_assert_uint_eq(state->installed.count, compiled_rules);
	ck_assert(!tjd.stopping);
}
END_TEST

START_TEST(test_clear_as_root_removes_and_stops)
{
	struct backend_fake_state *state = backend_fake_state(enforce_backend(tjd.enforce));

	ctl_test_simple(TJD__V1__REQUEST__COMMAND_CLEAR, 0);
	ck_assert(reply->ok);
	ck_assert_uint_eq(state->clear_calls, 1);
	ck_assert_uint_eq(state->installed.count, 0);
	ck_assert(tjd.stopping);
	ck_assert_int_eq(tjd.exit_code, 0);
}
END_TEST

START_TEST(test_reload_needs_root_and_keeps_old_on_error)
{
	struct conf *before = tjd.conf;
	FILE *file;

	ctl_test_simple(TJD__V1__REQUEST__COMMAND_RELOAD, 1000);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_PERMISSION);
	file = fopen(conf_path, "w");
	fputs("[network web]\nalow = x\n", file);
	fclose(file);
	ctl_test_simple(TJD__V1__REQUEST__COMMAND_RELOAD, 0);
	ck_assert(!reply->ok);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ck_assert_ptr_nonnull(strstr(reply->error, ":2: unknown key \"alow\""));
	ck_assert_ptr_eq(tjd.conf, before);
	file = fopen(conf_path, "w");
	fputs("[network web]\nallow = name=p\n[network api]\nallow = name=p\n", file);
	fclose(file);
	ctl_test_simple(TJD__V1__REQUEST__COMMAND_RELOAD, 0);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_uint_eq(tjd.conf->network_count, 2);
}
END_TEST

START_TEST(test_hostile_frames)
{
	static const uint8_t garbage[] = {0xff, 0x01, 0x02, 0x80, 0x80};
	uint8_t big[64] = {0};
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;

	ctl_dispatch(&tjd, garbage, sizeof(garbage), false, 0, ctl_test_send, NULL);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_MALFORMED);
	ctl_dispatch(&tjd, big, sizeof(big), true, 0, ctl_test_send, NULL);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_TOO_LARGE);
	ctl_dispatch(&tjd, big, 0, false, 0, ctl_test_send, NULL);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_VERSION);
	request.version = 99;
	request.command_case = TJD__V1__REQUEST__COMMAND__NOT_SET;
	ctl_test_call(&request, 0);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_VERSION);
	request.version = TJD_PROTOCOL_VERSION;
	ctl_test_call(&request, 0);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_UNKNOWN_COMMAND);
	ck_assert_uint_eq(replies, 5);
	ck_assert_uint_eq(backend_fake_state(enforce_backend(tjd.enforce))->clear_calls, 0);
	ck_assert(!tjd.stopping);
}
END_TEST

/* Sends part `part` of `count` of a push (generation) with one network as root. */
static void ctl_test_set_peers_part(const char *id, char **lb, size_t n_lb,
				    unsigned long long generation, unsigned part, unsigned count)
{
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__SetPeersRequest push = TJD__V1__SET_PEERS_REQUEST__INIT;
	Tjd__V1__NetworkPeers network = TJD__V1__NETWORK_PEERS__INIT;
	Tjd__V1__NetworkPeers *networks[] = {&network};

	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = TJD__V1__REQUEST__COMMAND_SET_PEERS;
	request.set_peers = &push;
	push.coordinator = (char *)"manager-1";
	push.generation = generation;
	push.part = part;
	push.part_count = count;
	push.n_networks = 1;
	push.networks = networks;
	network.network_id = (char *)id;
	network.network_name = (char *)"ovl";
	network.lb_ips = lb;
	network.n_lb_ips = n_lb;
	ctl_test_call(&request, 0);
}

/* Sends a set-peers with one network as uid. */
static void ctl_test_set_peers(const char *id, char **lb, size_t n_lb, uid_t uid)
{
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__SetPeersRequest push = TJD__V1__SET_PEERS_REQUEST__INIT;
	Tjd__V1__NetworkPeers network = TJD__V1__NETWORK_PEERS__INIT;
	Tjd__V1__NetworkPeers *networks[] = {&network};

	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = TJD__V1__REQUEST__COMMAND_SET_PEERS;
	request.set_peers = &push;
	push.coordinator = (char *)"manager-1";
	push.n_networks = 1;
	push.networks = networks;
	network.network_id = (char *)id;
	network.network_name = (char *)"ovl";
	network.lb_ips = lb;
	network.n_lb_ips = n_lb;
	ctl_test_call(&request, uid);
}

START_TEST(test_set_peers_validates_everything)
{
	char *good[] = {(char *)"10.0.1.5", (char *)"fd00::5"};
	char *bad[] = {(char *)"10.0.1.5", (char *)"10.0.1.0/24"};

	ctl_test_set_peers("abc123", good, 2, 1000);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_PERMISSION);
	ck_assert_uint_eq(tjd.peer_network_count, 0);
	ctl_test_set_peers("abc123", bad, 2, 0);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ck_assert_uint_eq(tjd.peer_network_count, 0);
	ctl_test_set_peers("not-hex!", good, 2, 0);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_set_peers("abc123", good, 2, 0);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_uint_eq(tjd.peer_network_count, 1);
	ck_assert_uint_eq(tjd.peers[0].lb_count, 2);
	ck_assert_str_eq(tjd.last_peer_push_from, "manager-1");
	/* A later invalid push leaves the accepted set in place. */
	ctl_test_set_peers("abc123", bad, 2, 0);
	ck_assert_uint_eq(tjd.peers[0].lb_count, 2);
	/* Swarm network ids are 25 base-36 characters, not hex. */
	ctl_test_set_peers("pdjhre727w9ivsy0282l6llvk", good, 1, 0);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_str_eq(tjd.peers[0].network_id, "pdjhre727w9ivsy0282l6llvk");
	ctl_test_set_peers("PDJHRE727W", good, 1, 0);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
}
END_TEST

/* Asserts that tjd holds the peer set of the first whole push: network abc123, 2 addresses. */
static void ctl_test_peers_unchanged(void)
{
	ck_assert_ptr_null(tjd.peer_parts);
	ck_assert_uint_eq(tjd.peer_network_count, 1);
	ck_assert_str_eq(tjd.peers[0].network_id, "abc123");
	ck_assert_uint_eq(tjd.peers[0].lb_count, 2);
}

START_TEST(test_set_peers_in_parts_apply_whole)
{
	char *good[] = {(char *)"10.0.1.5", (char *)"fd00::5"};
	char *more[] = {(char *)"10.0.1.6"};
	static char texts[PEERS_MAX_ADDRESSES][16];
	static char *many[PEERS_MAX_ADDRESSES];

	for (size_t i = 0; i < PEERS_MAX_ADDRESSES; i++) {
		snprintf(texts[i], sizeof(texts[i]), "10.1.%zu.%zu", i / 250, i % 250 + 1);
		many[i] = texts[i];
	}
	ctl_test_set_peers("abc123", good, 2, 0);
	ck_assert_msg(reply->ok, "%s", reply->error);
	/* Parts are held aside: nothing changes before the last one. */
	ctl_test_set_peers_part("def456", good, 2, 5, 0, 3);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_uint_eq(tjd.peer_network_count, 1);
	ck_assert_str_eq(tjd.peers[0].network_id, "abc123");
	ctl_test_set_peers_part("def456", more, 1, 5, 1, 3);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_str_eq(tjd.peers[0].network_id, "abc123");
	ck_assert_ptr_nonnull(tjd.peer_parts);
	/* The last part swaps in the union: one network, its lists appended. */
	ctl_test_set_peers_part("def456", more, 1, 5, 2, 3);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_ptr_null(tjd.peer_parts);
	ck_assert_uint_eq(tjd.peer_network_count, 1);
	ck_assert_str_eq(tjd.peers[0].network_id, "def456");
	ck_assert_uint_eq(tjd.peers[0].lb_count, 4);
	ck_assert_str_eq(tjd.last_peer_push_from, "manager-1");
	/* Exactly the limit across parts is accepted. */
	ctl_test_set_peers_part("abc123", many, PEERS_MAX_ADDRESSES - 1, 6, 0, 2);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ctl_test_set_peers_part("abc123", more, 1, 6, 1, 2);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_uint_eq(tjd.peers[0].lb_count, PEERS_MAX_ADDRESSES);
	ctl_test_set_peers("abc123", good, 2, 0);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ctl_test_peers_unchanged();
}
END_TEST

START_TEST(test_set_peers_in_parts_fail_closed)
{
	char *good[] = {(char *)"10.0.1.5", (char *)"fd00::5"};
	char *more[] = {(char *)"10.0.1.6"};
	char *bad[] = {(char *)"10.0.1.7/24"};
	static char texts[PEERS_MAX_ADDRESSES][16];
	static char *many[PEERS_MAX_ADDRESSES];

	for (size_t i = 0; i < PEERS_MAX_ADDRESSES; i++) {
		snprintf(texts[i], sizeof(texts[i]), "10.1.%zu.%zu", i / 250, i % 250 + 1);
		many[i] = texts[i];
	}
	ctl_test_set_peers("abc123", good, 2, 0);
	ck_assert_msg(reply->ok, "%s", reply->error);
	/* A part without its predecessors. */
	ctl_test_set_peers_part("def456", more, 1, 5, 1, 2);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_peers_unchanged();
	/* A skipped part discards the push: the parts after it are refused too. */
	ctl_test_set_peers_part("def456", more, 1, 5, 0, 3);
	ctl_test_set_peers_part("def456", more, 1, 5, 2, 3);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_set_peers_part("def456", more, 1, 5, 1, 3);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_peers_unchanged();
	/* Parts of two generations, or two part counts, do not mix. */
	ctl_test_set_peers_part("def456", more, 1, 7, 0, 2);
	ctl_test_set_peers_part("def456", more, 1, 8, 1, 2);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_set_peers_part("def456", more, 1, 9, 0, 2);
	ctl_test_set_peers_part("def456", more, 1, 9, 1, 3);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_peers_unchanged();
	/* An invalid last part: the valid ones before it are not applied. */
	ctl_test_set_peers_part("def456", more, 1, 10, 0, 2);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ctl_test_set_peers_part("def456", bad, 1, 10, 1, 2);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_peers_unchanged();
	/* The limit holds across parts: 1,024 + 1 addresses on one network. */
	ctl_test_set_peers_part("def456", many, PEERS_MAX_ADDRESSES, 11, 0, 2);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ctl_test_set_peers_part("def456", more, 1, 11, 1, 2);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ck_assert_ptr_nonnull(strstr(reply->error, "more than 1024 addresses"));
	ctl_test_peers_unchanged();
	/* A whole set between parts supersedes them. */
	ctl_test_set_peers_part("def456", more, 1, 12, 0, 2);
	ctl_test_set_peers("abc123", good, 2, 0);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ctl_test_set_peers_part("def456", more, 1, 12, 1, 2);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_peers_unchanged();
	/* Nonsense counts. */
	ctl_test_set_peers_part("def456", more, 1, 13, 2, 2);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_set_peers_part("def456", more, 1, 13, 0, PEERS_MAX_PARTS + 1);
	ck_assert_int_eq(reply->code, TJD__V1__ERROR_CODE__ERROR_INVALID);
	ctl_test_peers_unchanged();
	/* A push cut short (the agent went away) is never applied; teardown frees it. */
	ctl_test_set_peers_part("def456", more, 1, 14, 0, 2);
	ck_assert_msg(reply->ok, "%s", reply->error);
	ck_assert_uint_eq(tjd.peers[0].lb_count, 2);
}
END_TEST

/* Builds the suite. */
static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("dispatch");

	tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
	tcase_add_test(tc, test_status_reports_networks);
	tcase_add_test(tc, test_rules_reads_backend);
	tcase_add_test(tc, test_clear_needs_root);
	tcase_add_test(tc, test_clear_as_root_removes_and_stops);
	tcase_add_test(tc, test_reload_needs_root_and_keeps_old_on_error);
	tcase_add_test(tc, test_hostile_frames);
	tcase_add_test(tc, test_set_peers_validates_everything);
	tcase_add_test(tc, test_set_peers_in_parts_apply_whole);
	tcase_add_test(tc, test_set_peers_in_parts_fail_closed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(ctl_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
