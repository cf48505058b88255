/*
 * The enforcement layer with the fake backend: one commit per change, the
 * one drift rule, the state file across a restart, failures that leave
 * the kernel as it was, clearing, and namespaces other than tjd's own
 * (real network namespaces, created and deleted by the test, as dockerd
 * does with an overlay network's).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <sched.h>

#include "check-util.h"
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tjd/backend.h"
#include "tjd/conf.h"
#include "tjd/enforce.h"
#include "tjd/overlay.h"
#include "tjd/policy.h"

/* An overlay network id whose namespace is "1-" and its first 10 characters. */
#define OVERLAY_ID "ovtest1234wxyz0123456789a"
#define OVERLAY_NETNS_NAME "1-ovtest1234"
#define OVERLAY_NETNS_PATH "/run/netns/" OVERLAY_NETNS_NAME

static struct {
	struct event_base *base;
	struct conf *conf;
	struct inventory inv;
	struct enforce *enforce;
	char conf_path[64];
	char state_dir[64];
	char state_file[96];
} fx;

/* Runs a shell command, failing the test when it fails. */
static void check_enforce_run(const char *command)
{
	ck_assert_msg(system(command) == 0, "failed: %s", command);
}

/* A protected bridge network "web" with an allow-listed proxy and a backend. */
static void check_enforce_inventory(void)
{
	struct inv_network *net = inventory_add_network(&fx.inv);
	struct inv_endpoint *endpoint;

	ck_assert_ptr_nonnull(net);
	strcpy(net->name, "web");
	strcpy(net->id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	strcpy(net->driver, "bridge");
	strcpy(net->bridge, "br-0123456789ab");
	ck_assert_int_eq(prefix_parse("172.30.0.0/24", &net->subnets[0]), 0);
	net->subnet_count = 1;
	endpoint = inv_network_add_endpoint(net);
	strcpy(endpoint->name, "proxy");
	ck_assert_int_eq(prefix_parse("172.30.0.2", &endpoint->ipv4), 0);
	strcpy(endpoint->bridge_port, "veth0");
	endpoint->allowed = true;
	endpoint = inv_network_add_endpoint(net);
	strcpy(endpoint->name, "b1");
	ck_assert_int_eq(prefix_parse("172.30.0.3", &endpoint->ipv4), 0);
	strcpy(endpoint->bridge_port, "veth1");
}

/* Adds the overlay network "ovl" with a local allow-listed task. */
static void check_enforce_overlay(void)
{
	struct inv_network *net = inventory_add_network(&fx.inv);
	struct inv_endpoint *endpoint;

	ck_assert_ptr_nonnull(net);
	strcpy(net->name, "ovl");
	strcpy(net->id, OVERLAY_ID);
	strcpy(net->driver, "overlay");
	strcpy(fx.inv.netns_dir, "/run/netns");
	endpoint = inv_network_add_endpoint(net);
	strcpy(endpoint->name, "proxy.1.x");
	ck_assert_int_eq(prefix_parse("10.231.0.2", &endpoint->ipv4), 0);
	strcpy(endpoint->bridge_port, "veth2");
	endpoint->allowed = true;
}

/* Opens an enforcement layer over the fake backend, watching on the loop. */
static struct enforce *check_enforce_open(void)
{
	const struct enforce_options options = {
	    .instance_id = "", .state_file = fx.state_file, .ops = &backend_fake_ops};
	char err[256];
	struct enforce *enforce = enforce_new(&options, err, sizeof(err));

	ck_assert_msg(enforce != NULL, "%s", err);
	ck_assert_int_eq(enforce_watch(enforce, fx.base), 0);
	return enforce;
}

static void check_enforce_setup(void)
{
	static const char text[] = "[network web]\nallow = name=proxy\n"
				   "[network ovl]\nallow = name=proxy\n";
	char err[256];
	int fd;

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.conf_path, sizeof(fx.conf_path), "/tmp/check_enforce_XXXXXX");
	fd = mkstemp(fx.conf_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	fx.conf = conf_load(fx.conf_path, true, NULL, err, sizeof(err));
	ck_assert_msg(fx.conf != NULL, "%s", err);
	snprintf(fx.state_dir, sizeof(fx.state_dir), "/tmp/check_enforce_state_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.state_dir));
	snprintf(fx.state_file, sizeof(fx.state_file), "%s/ruleset.json", fx.state_dir);
	fx.base = event_base_new();
	inventory_init(&fx.inv);
	check_enforce_inventory();
	fx.enforce = check_enforce_open();
	(void)system("ip netns delete " OVERLAY_NETNS_NAME " 2>/dev/null");
}

static void check_enforce_teardown(void)
{
	enforce_free(fx.enforce);
	inventory_free(&fx.inv);
	conf_free(fx.conf);
	event_base_free(fx.base);
	unlink(fx.conf_path);
	unlink(fx.state_file);
	rmdir(fx.state_dir);
	(void)system("ip netns delete " OVERLAY_NETNS_NAME " 2>/dev/null");
}

/* What the fake backend in tjd's namespace holds. */
static struct backend_fake_state *check_enforce_kernel(void)
{
	struct backend_fake_state *state = backend_fake_state(enforce_backend(fx.enforce));

	ck_assert_ptr_nonnull(state);
	return state;
}

/* Rules in the fake kernel whose comment starts with prefix. */
static size_t check_enforce_network_rules(const char *prefix)
{
	const struct ruleset *set = &check_enforce_kernel()->installed;
	size_t count = 0;

	for (size_t i = 0; i < set->count; i++)
		count += strncmp(set->rules[i].comment, prefix, strlen(prefix)) == 0;
	return count;
}

/* Applies the fixture's inventory through another enforcement layer. */
static int check_enforce_apply_to(struct enforce *enforce)
{
	char err[512];
	int rc = enforce_apply(enforce, fx.conf, &fx.inv, NULL, 0, err, sizeof(err));

	ck_assert_msg(rc >= 0, "%s", err);
	return rc;
}

/* Applies the fixture's inventory; returns enforce_apply's result. */
static int check_enforce_apply(void)
{
	char err[512];
	int rc = enforce_apply(fx.enforce, fx.conf, &fx.inv, NULL, 0, err, sizeof(err));

	ck_assert_msg(rc >= 0, "%s", err);
	return rc;
}

/* Counts the drift hook's calls. */
static void check_enforce_drift_hook(void *arg)
{
	(*(int *)arg)++;
}

START_TEST(test_one_commit_per_change_and_drift_once)
{
	struct ruleset expected;
	unsigned applies;
	char err[256];
	int hooks = 0;

	ruleset_init(&expected);
	ck_assert_int_eq(policy_compile(fx.conf, &fx.inv, &expected, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert(ruleset_equal(&expected, &check_enforce_kernel()->installed));
	ck_assert_uint_eq(check_enforce_kernel()->commits, 1);
	ck_assert_uint_eq(enforce_stats(fx.enforce)->apply_count, 1);
	ck_assert(enforce_stats(fx.enforce)->ready);
	/* the same again: watched, so not even read back */
	applies = check_enforce_kernel()->apply_calls;
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert_uint_eq(check_enforce_kernel()->apply_calls, applies);
	/* someone else empties tjd's rules: the watch puts them back, counted once */
	enforce_set_drift_hook(fx.enforce, check_enforce_drift_hook, &hooks);
	ruleset_free(&check_enforce_kernel()->installed);
	check_util_loop_for(fx.base, 3 * ENFORCE_DRIFT_CHECK_MSEC);
	ck_assert(ruleset_equal(&expected, &check_enforce_kernel()->installed));
	ck_assert_uint_eq(enforce_stats(fx.enforce)->drift_repairs, 1);
	ck_assert_uint_eq(enforce_stats(fx.enforce)->apply_count, 2);
	ck_assert_int_eq(hooks, 1);
	/* a real change commits, and is no drift */
	fx.inv.networks[0].endpoints[1].allowed = true;
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert_uint_eq(check_enforce_kernel()->commits, 3);
	ck_assert_uint_eq(enforce_stats(fx.enforce)->drift_repairs, 1);
	ck_assert_uint_eq(enforce_rule_count(fx.enforce, fx.inv.networks[0].id),
			  check_enforce_network_rules("tjd web "));
	ruleset_free(&expected);
}
END_TEST

START_TEST(test_failed_commit_leaves_kernel)
{
	struct ruleset before;
	char err[256];

	ck_assert_int_eq(check_enforce_apply(), 0);
	ruleset_init(&before);
	ck_assert_int_eq(ruleset_copy(&before, &check_enforce_kernel()->installed), 0);
	check_enforce_kernel()->fail_next_apply = true;
	fx.inv.networks[0].endpoints[0].allowed = false;
	ck_assert_int_eq(enforce_apply(fx.enforce, fx.conf, &fx.inv, NULL, 0, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "apply failed as requested"));
	ck_assert(ruleset_equal(&before, &check_enforce_kernel()->installed));
	ck_assert_uint_eq(enforce_stats(fx.enforce)->apply_count, 1);
	/* the next try gets through */
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert(!ruleset_equal(&before, &check_enforce_kernel()->installed));
	ruleset_free(&before);
}
END_TEST

START_TEST(test_state_survives_restart)
{
	struct ruleset installed;
	struct stat st;
	char err[256];

	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert_int_eq(stat(fx.state_file, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ruleset_init(&installed);
	ck_assert_int_eq(ruleset_copy(&installed, &check_enforce_kernel()->installed), 0);
	/* a new tjd (the fake kernel starts empty) restores before any inventory */
	enforce_free(fx.enforce);
	fx.enforce = check_enforce_open();
	ck_assert(!enforce_stats(fx.enforce)->ready);
	ck_assert_int_eq(enforce_restore(fx.enforce, err, sizeof(err)), 1);
	ck_assert(enforce_stats(fx.enforce)->ready);
	ck_assert(ruleset_equal(&installed, &check_enforce_kernel()->installed));
	ck_assert(ruleset_equal(&installed, enforce_installed(fx.enforce)));
	/* a damaged file installs nothing and says so */
	enforce_free(fx.enforce);
	{
		FILE *file = fopen(fx.state_file, "w");
		fputs("{\"version\": 1, \"rules\": [{\"family\": 99}]}", file);
		fclose(file);
	}
	fx.enforce = check_enforce_open();
	ck_assert_int_eq(enforce_restore(fx.enforce, err, sizeof(err)), 0);
	ck_assert_uint_eq(check_enforce_kernel()->commits, 0);
	ck_assert(!enforce_stats(fx.enforce)->ready);
	ruleset_free(&installed);
}
END_TEST

START_TEST(test_clear_removes_everything_and_stops)
{
	char err[256];

	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert_int_eq(access(fx.state_file, F_OK), 0);
	ck_assert_int_eq(enforce_clear(fx.enforce, err, sizeof(err)), 0);
	ck_assert_uint_eq(check_enforce_kernel()->clear_calls, 1);
	ck_assert_uint_eq(check_enforce_kernel()->installed.count, 0);
	ck_assert_int_eq(access(fx.state_file, F_OK), -1);
	/* nothing is committed after a clear, not even drift repair */
	ck_assert_int_eq(enforce_apply(fx.enforce, fx.conf, &fx.inv, NULL, 0, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "stopping"));
	check_util_loop_for(fx.base, 2 * ENFORCE_DRIFT_CHECK_MSEC);
	ck_assert_uint_eq(check_enforce_kernel()->installed.count, 0);
}
END_TEST

START_TEST(test_overlay_namespace_lifecycle)
{
	struct enforce_netns_status status;
	uint64_t drift;

	check_enforce_overlay();
	/* no namespace yet (no local endpoint): nothing to protect there */
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert(enforce_netns_lookup(fx.enforce, OVERLAY_ID, &status));
	ck_assert(!status.enforced);
	/* dockerd creates it: the next apply puts the rules inside */
	check_enforce_run("ip netns add " OVERLAY_NETNS_NAME);
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert(enforce_netns_lookup(fx.enforce, OVERLAY_ID, &status));
	ck_assert(status.enforced);
	ck_assert_str_eq(status.netns, OVERLAY_NETNS_PATH);
	ck_assert_uint_gt(status.rule_count, 0);
	ck_assert_uint_eq(enforce_rule_count(fx.enforce, OVERLAY_ID), status.rule_count);
	/* re-created by dockerd: applied afresh, and that is not drift */
	drift = enforce_stats(fx.enforce)->drift_repairs;
	check_enforce_run("ip netns delete " OVERLAY_NETNS_NAME);
	check_enforce_run("ip netns add " OVERLAY_NETNS_NAME);
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert(enforce_netns_lookup(fx.enforce, OVERLAY_ID, &status));
	ck_assert(status.enforced);
	ck_assert_uint_eq(enforce_stats(fx.enforce)->drift_repairs, drift);
	/* no longer protected: cleared and forgotten */
	inventory_free(&fx.inv);
	inventory_init(&fx.inv);
	check_enforce_inventory();
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert(!enforce_netns_lookup(fx.enforce, OVERLAY_ID, &status));
}
END_TEST

/*
 * tjctl rules: every namespace headed by where it lives, one by name, and
 * what does not fit in a reply left out and named.
 */
START_TEST(test_dump_every_namespace)
{
	char err[256], *text = NULL, *host = NULL;

	check_enforce_overlay();
	check_enforce_run("ip netns add " OVERLAY_NETNS_NAME);
	ck_assert_int_eq(check_enforce_apply(), 0);
	ck_assert_int_eq(enforce_dump_all(fx.enforce, 65536, &text, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(text, "# tjd's own network namespace (backend "));
	ck_assert_ptr_nonnull(
	    strstr(text, "# overlay network ovl, namespace " OVERLAY_NETNS_PATH "\n"));
	ck_assert_ptr_null(strstr(text, "not shown"));
	free(text);
	/* by name and by id prefix; a network tjd holds nothing for is refused */
	ck_assert_int_eq(enforce_dump_network(fx.enforce, "ovl", &text, err, sizeof(err)), 0);
	free(text);
	ck_assert_int_eq(enforce_dump_network(fx.enforce, "ovtest12", &text, err, sizeof(err)), 0);
	free(text);
	ck_assert_int_eq(enforce_dump_network(fx.enforce, "web", &text, err, sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "no overlay namespace for network web"));
	/* a budget the host's section alone fills: the overlay is named, not shown */
	ck_assert_int_eq(enforce_dump(fx.enforce, &host, err, sizeof(err)), 0);
	ck_assert_int_eq(enforce_dump_all(fx.enforce, strlen(host) + 80, &text, err, sizeof(err)),
			 0);
	ck_assert_ptr_null(strstr(text, "# overlay network ovl, namespace"));
	ck_assert_ptr_nonnull(strstr(text, "# 1 more not shown (the reply's size limit): overlay "
					   "network ovl; name one with tjctl rules --network"));
	free(text);
	free(host);
	check_enforce_run("ip netns delete " OVERLAY_NETNS_NAME);
}
END_TEST

/* Writes a value into a /proc/sys file. */
static void check_enforce_sysctl(const char *path, const char *value)
{
	FILE *file = fopen(path, "we");

	ck_assert_msg(file != NULL, "%s", path);
	ck_assert_int_ge(fputs(value, file), 0);
	ck_assert_int_eq(fclose(file), 0);
}

/* Opens the real backend `name` in this namespace, as tjd does at start. */
static struct enforce *check_enforce_real_with(const char *name, bool unowned)
{
	const struct enforce_options options = {
	    .instance_id = "", .backend = name, .unowned_tables = unowned};
	char err[256];
	struct enforce *enforce = enforce_new(&options, err, sizeof(err));

	ck_assert_msg(enforce != NULL, "%s", err);
	return enforce;
}

/* A real backend, with owned nftables tables where the kernel has them. */
static struct enforce *check_enforce_real(const char *name)
{
	return check_enforce_real_with(name, false);
}

/* Runs the backend switch one way: `from` enforces, then tjd starts with `to`. */
static void check_enforce_switch(const char *from, const char *to, const char *from_probe,
				 const char *to_probe)
{
	struct enforce *old, *new;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	check_enforce_sysctl("/proc/sys/net/bridge/bridge-nf-call-iptables", "1");
	check_enforce_sysctl("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "1");
	old = check_enforce_real(from);
	ck_assert_int_eq(check_enforce_apply_to(old), 0);
	enforce_free(old);
	ck_assert_int_eq(check_util_run("%s", from_probe), 0);
	/* the new backend opens: the old rules stay until the new ones are in */
	new = check_enforce_real(to);
	ck_assert_int_eq(check_util_run("%s", from_probe), 0);
	ck_assert_int_ne(check_util_run("%s", to_probe), 0);
	ck_assert_int_eq(check_enforce_apply_to(new), 0);
	ck_assert_int_eq(check_util_run("%s", to_probe), 0);
	ck_assert_int_ne(check_util_run("%s", from_probe), 0);
	enforce_free(new);
}

START_TEST(test_backend_switch_keeps_old_rules_until_new_ones_are_in)
{
	static const char iptables[] = "iptables-legacy -S TJD-FORWARD >/dev/null 2>&1";
	static const char nftables[] = "nft list table inet tjd >/dev/null 2>&1";

	if (_i == 0)
		check_enforce_switch("iptables", "nftables", iptables, nftables);
	else
		check_enforce_switch("nftables", "iptables", nftables, iptables);
}
END_TEST

/*
 * A real backend in an overlay's namespace: someone deleting tjd's rules
 * there is repaired while the loop runs, as in tjd's own namespace (the
 * nftables backend hears of it, the legacy one is compared on the timer).
 */
START_TEST(test_overlay_namespace_repaired_live)
{
	static const char *const backends[] = {"nftables", "iptables"};
	static const char *const present[] = {
	    "nsenter --net=" OVERLAY_NETNS_PATH " nft list table inet tjd >/dev/null 2>&1",
	    "nsenter --net=" OVERLAY_NETNS_PATH " iptables-legacy -S TJD-FORWARD 2>/dev/null | "
	    "grep -q DROP"};
	static const char *const remove[] = {
	    "nsenter --net=" OVERLAY_NETNS_PATH " nft delete table inet tjd",
	    "nsenter --net=" OVERLAY_NETNS_PATH " iptables-legacy -F TJD-FORWARD"};
	struct enforce *enforce;
	uint64_t repairs;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	check_enforce_sysctl("/proc/sys/net/bridge/bridge-nf-call-iptables", "1");
	check_enforce_sysctl("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "1");
	/* tables anyone may change, so that there is drift to repair */
	enforce = check_enforce_real_with(backends[_i], true);
	ck_assert_int_eq(enforce_watch(enforce, fx.base), 0);
	check_enforce_overlay();
	check_enforce_run("ip netns add " OVERLAY_NETNS_NAME);
	ck_assert_int_eq(check_enforce_apply_to(enforce), 0);
	ck_assert_int_eq(check_util_run("%s", present[_i]), 0);
	repairs = enforce_stats(enforce)->drift_repairs;
	check_enforce_run(remove[_i]);
	ck_assert_int_ne(check_util_run("%s", present[_i]), 0);
	/* no apply: only the watch can put them back */
	check_util_loop_for(fx.base, 3 * ENFORCE_DRIFT_CHECK_MSEC);
	ck_assert_msg(check_util_run("%s", present[_i]) == 0,
		      "%s: the overlay namespace's rules were not repaired", backends[_i]);
	ck_assert_uint_eq(enforce_stats(enforce)->drift_repairs, repairs + 1);
	/* re-created by dockerd: the new namespace is watched too */
	check_enforce_run("ip netns delete " OVERLAY_NETNS_NAME);
	check_enforce_run("ip netns add " OVERLAY_NETNS_NAME);
	ck_assert_int_eq(check_enforce_apply_to(enforce), 0);
	check_enforce_run(remove[_i]);
	check_util_loop_for(fx.base, 3 * ENFORCE_DRIFT_CHECK_MSEC);
	ck_assert_msg(check_util_run("%s", present[_i]) == 0,
		      "%s: the re-created namespace's rules were not repaired", backends[_i]);
	ck_assert_uint_eq(enforce_stats(enforce)->drift_repairs, repairs + 2);
	enforce_free(enforce);
}
END_TEST

/* Opens a real backend with the fixture's state file, as the daemon does. */
static struct enforce *check_enforce_real_with_state(const char *name)
{
	const struct enforce_options options = {
	    .instance_id = "", .backend = name, .state_file = fx.state_file};
	char err[256];
	struct enforce *enforce = enforce_new(&options, err, sizeof(err));

	ck_assert_msg(enforce != NULL, "%s", err);
	return enforce;
}

/*
 * What tjd wrote into an overlay's namespace does not outlive it: `tjd
 * --clear` with no daemon running empties the namespaces the state file
 * lists, and a tjd started after the network stopped being protected
 * clears what the earlier run left there.
 */
START_TEST(test_overlay_namespaces_cleared_without_docker)
{
	static const char present[] =
	    "nsenter --net=" OVERLAY_NETNS_PATH " nft list table inet tjd >/dev/null 2>&1";
	struct enforce *enforce;
	char err[256];

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	check_enforce_sysctl("/proc/sys/net/bridge/bridge-nf-call-iptables", "1");
	check_enforce_sysctl("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "1");
	check_enforce_overlay();
	check_enforce_run("ip netns add " OVERLAY_NETNS_NAME);
	enforce = check_enforce_real_with_state("nftables");
	ck_assert_int_eq(check_enforce_apply_to(enforce), 0);
	enforce_free(enforce);
	ck_assert_int_eq(check_util_run("%s", present), 0);
	/* no daemon: the offline clear finds the namespace in the state file */
	ck_assert_int_eq(enforce_clear_offline("", fx.state_file), 0);
	ck_assert_int_ne(check_util_run("%s", present), 0);
	ck_assert_int_ne(check_util_run("nft list table inet tjd >/dev/null 2>&1"), 0);
	ck_assert_int_ne(access(fx.state_file, F_OK), 0);

	/* again, then a restart after the overlay stopped being protected */
	enforce = check_enforce_real_with_state("nftables");
	ck_assert_int_eq(check_enforce_apply_to(enforce), 0);
	enforce_free(enforce);
	ck_assert_int_eq(check_util_run("%s", present), 0);
	inventory_free(&fx.inv);
	inventory_init(&fx.inv);
	check_enforce_inventory();
	enforce = check_enforce_real_with_state("nftables");
	ck_assert_int_eq(enforce_restore(enforce, err, sizeof(err)), 1);
	/* until the first apply it stays as it was: fail closed */
	ck_assert_int_eq(check_util_run("%s", present), 0);
	ck_assert_int_eq(check_enforce_apply_to(enforce), 0);
	ck_assert_int_ne(check_util_run("%s", present), 0);
	enforce_free(enforce);
}
END_TEST

/* The suite. */
static Suite *enforce_suite(void)
{
	Suite *suite = suite_create("enforce");
	TCase *tc = tcase_create("fake backend");

	tcase_add_checked_fixture(tc, check_enforce_setup, check_enforce_teardown);
	tcase_add_test(tc, test_one_commit_per_change_and_drift_once);
	tcase_add_test(tc, test_failed_commit_leaves_kernel);
	tcase_add_test(tc, test_state_survives_restart);
	tcase_add_test(tc, test_dump_every_namespace);
	tcase_add_test(tc, test_clear_removes_everything_and_stops);
	tcase_add_test(tc, test_overlay_namespace_lifecycle);
	tcase_add_loop_test(tc, test_overlay_namespace_repaired_live, 0, 2);
	tcase_add_test(tc, test_overlay_namespaces_cleared_without_docker);
	tcase_add_loop_test(tc, test_backend_switch_keeps_old_rules_until_new_ones_are_in, 0, 2);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(enforce_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
