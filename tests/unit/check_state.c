/* Saved ruleset: round trip, atomic write, and refusal of damaged files. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tjd/state.h"

static char directory[] = "/tmp/check_state_XXXXXX";
static char path[256];

static void state_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(directory));
	snprintf(path, sizeof(path), "%s/sub/ruleset.json", directory);
}

static void state_teardown(void)
{
	char command[512];

	snprintf(command, sizeof(command), "rm -rf '%s'", directory);
	ck_assert_int_eq(system(command), 0);
	strcpy(directory, "/tmp/check_state_XXXXXX");
}

/* Layer-2 ports: one known, dual-stack; one unknown. */
static void state_sample_ports(struct ruleset *set)
{
	struct l2_port *port = ruleset_add_port(set);

	strcpy(port->bridge, "br-0123456789ab");
	strcpy(port->port, "veth1234567");
	port->known = true;
	ck_assert_int_eq(l2_mac_parse("02:42:ac:1e:00:02", port->mac), 0);
	prefix_parse("172.30.0.2", &port->ipv4);
	prefix_parse("fd00:30::2", &port->ipv6);
	l2_link_local(port->mac, &port->ipv6_link);
	strcpy(port->comment, "tjd web proxy");
	port = ruleset_add_port(set);
	strcpy(port->bridge, "br-0123456789ab");
	strcpy(port->port, "vethdeadbee");
	strcpy(port->comment, "tjd web unknown port");
}

/* A ruleset using every field. */
static void state_sample(struct ruleset *set)
{
	struct rule *r;

	ruleset_init(set);
	r = ruleset_add(set);
	r->family = AF_INET;
	r->ctstate = RULE_CT_ESTABLISHED | RULE_CT_RELATED;
	strcpy(r->comment, "tjd replies");
	r = ruleset_add(set);
	r->family = AF_INET;
	strcpy(r->in_iface, "br-0123456789ab");
	strcpy(r->out_iface, "br-0123456789ab");
	strcpy(r->physdev_in, "veth1234567");
	prefix_parse("172.30.0.2", &r->src);
	prefix_parse("172.30.0.0/24", &r->dst);
	strcpy(r->comment, "tjd web allow proxy");
	r = ruleset_add(set);
	r->family = AF_INET6;
	r->hook = RULE_HOOK_INPUT;
	strcpy(r->in_iface, "br-0123456789ab");
	r->protocol = IPPROTO_ICMPV6;
	r->has_icmp_type = true;
	r->icmp_type = 135;
	r = ruleset_add(set);
	r->family = AF_INET6;
	r->hook = RULE_HOOK_INPUT;
	strcpy(r->in_iface, "br-0123456789ab");
	r->verdict = RULE_DROP;
	r = ruleset_add(set);
	r->family = AF_INET;
	strcpy(r->in_iface, "br-0123456789ab");
	strcpy(r->out_iface, "br-0123456789ab");
	r->ctstate = RULE_CT_NEW;
	r->protocol = IPPROTO_TCP;
	r->tcp_not_syn = true;
	r->verdict = RULE_DROP;
	r = ruleset_add(set);
	r->family = AF_INET6;
	r->hook = RULE_HOOK_OUTPUT;
	r->protocol = IPPROTO_UDP;
	r->sport_first = 1024;
	r->sport_last = 65535;
	r->dport_first = r->dport_last = 53;
	r->verdict = RULE_REJECT;
	state_sample_ports(set);
}

/* Writes text as the state file. */
static void state_write(const char *text)
{
	FILE *file;
	char sub[300];

	snprintf(sub, sizeof(sub), "%s/sub", directory);
	mkdir(sub, 0700);
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	fputs(text, file);
	fclose(file);
}

START_TEST(test_round_trip)
{
	struct ruleset saved, loaded;
	char err[256], temporary[300];
	struct stat st;

	state_sample(&saved);
	ruleset_init(&loaded);
	ck_assert_int_eq(state_load(path, &loaded, err, sizeof(err)), 1);
	ck_assert_msg(state_save(path, &saved, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(temporary, sizeof(temporary), "%s.tmp", path);
	ck_assert_int_ne(access(temporary, F_OK), 0);
	ck_assert_msg(state_load(path, &loaded, err, sizeof(err)) == 0, "%s", err);
	ck_assert(ruleset_equal(&saved, &loaded));
	ck_assert_int_eq(state_remove(path, err, sizeof(err)), 0);
	ck_assert_int_eq(state_load(path, &loaded, err, sizeof(err)), 1);
	ck_assert_int_eq(state_remove(path, err, sizeof(err)), 0);
	ruleset_free(&saved);
	ruleset_free(&loaded);
}
END_TEST

/*
 * A state directory whose parents are missing too (a build with
 * --prefix=/usr/local has no /usr/local/var/lib): all of them are made,
 * the state directory itself 0700, the ones above it 0755.
 */
START_TEST(test_save_makes_missing_parents)
{
	char deep[400], parent[256], state_dir[300], err[256];
	struct ruleset saved;
	struct stat st;
	mode_t mask = umask(0);

	umask(mask);
	snprintf(parent, sizeof(parent), "%.200s/usr/local/var/lib", directory);
	snprintf(state_dir, sizeof(state_dir), "%s/tjd", parent);
	snprintf(deep, sizeof(deep), "%s/ruleset.json", state_dir);
	ck_assert_int_ne(access(parent, F_OK), 0);
	state_sample(&saved);
	ck_assert_msg(state_save(deep, &saved, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(state_dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(parent, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0755 & ~mask);
	/* saved again into what now exists */
	ck_assert_msg(state_save(deep, &saved, err, sizeof(err)) == 0, "%s", err);
	ruleset_free(&saved);
}
END_TEST

START_TEST(test_namespaces_round_trip)
{
	static const char *const refused[] = {
	    "run/netns/x", "/",		  "/run//netns",     "/run/./netns",
	    "/run/../etc", "/run/netns/", "/run/netns/\x01", ""};
	struct state_netns ns = {0}, loaded = {0};
	struct ruleset saved, back;
	char err[256], long_path[STATE_NETNS_PATH_MAX + 2];
	const char *bad_files[] = {
	    "{\"version\":1,\"rules\":[],\"namespaces\":\"/run/netns/x\"}",
	    "{\"version\":1,\"rules\":[],\"namespaces\":[1]}",
	    "{\"version\":1,\"rules\":[],\"namespaces\":[\"/run/../etc/x\"]}",
	    "{\"version\":1,\"rules\":[],\"namespaces\":[\"/run/netns/a\\u0000b\"]}",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(state_netns_add(&ns, refused[i]) < 0, "accepted %s", refused[i]);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	ck_assert_int_lt(state_netns_add(&ns, long_path), 0);
	ck_assert_uint_eq(ns.count, 0);
	ck_assert_int_eq(state_netns_add(&ns, "/var/run/docker/netns/1-abcdef0123"), 0);
	ck_assert_int_eq(state_netns_add(&ns, "/run/netns/.hidden..ok"), 0);
	state_sample(&saved);
	ruleset_init(&back);
	ck_assert_msg(state_save_with(path, &saved, &ns, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(state_load_with(path, &back, &loaded, err, sizeof(err)) == 0, "%s", err);
	ck_assert(ruleset_equal(&saved, &back));
	ck_assert_uint_eq(loaded.count, 2);
	ck_assert_str_eq(loaded.paths[0], "/var/run/docker/netns/1-abcdef0123");
	ck_assert_str_eq(loaded.paths[1], "/run/netns/.hidden..ok");
	/* a reader that does not ask for them still loads the rules */
	ck_assert_int_eq(state_load(path, &back, err, sizeof(err)), 0);
	ck_assert(ruleset_equal(&saved, &back));
	/* and a damaged list fails the whole file, asked for or not */
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		ck_assert_msg(state_parse_with(bad_files[i], strlen(bad_files[i]), &back, &loaded,
					       err, sizeof(err)) < 0,
			      "accepted %s", bad_files[i]);
		ck_assert_uint_eq(loaded.count, 0);
		ck_assert_int_lt(
		    state_parse(bad_files[i], strlen(bad_files[i]), &back, err, sizeof(err)), 0);
	}
	state_netns_free(&ns);
	state_netns_free(&loaded);
	ruleset_free(&saved);
	ruleset_free(&back);
}
END_TEST

/* Saved files that must be refused, each for one reason. */
static const char *const damaged[] = {
    "",
    "{",
    "[]",
    "{\"version\":2,\"rules\":[]}",
    "{\"version\":1,\"rules\":{}}",
    "{\"version\":1,\"rules\":[{\"family\":5,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":0}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"prerouting\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":0}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"accept\","
    "\"ctstate\":0,\"protocol\":0}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":0,\"in\":\"../etc\"}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":0,\"in\":\"a-very-long-interface-name\"}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":0,\"src\":\"fd00::1/128\"}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":64,\"protocol\":0}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":6,\"icmp_type\":3}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"return\","
    "\"ctstate\":0,\"protocol\":58,\"icmp_type\":135}]}",
    "{\"version\":1,\"rules\":[{\"family\":6,\"hook\":\"forward\",\"verdict\":\"return\","
    "\"ctstate\":0,\"protocol\":1,\"icmp_type\":8}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":0,\"comment\":\"a\\\"b\"}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":1,\"protocol\":17,\"tcp_not_syn\":true}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\","
    "\"ctstate\":1,\"protocol\":6,\"tcp_not_syn\":1}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"input\",\"verdict\":\"reject\","
    "\"ctstate\":0,\"protocol\":1,\"dport\":[80,80]}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"input\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":6,\"dport\":[81,80]}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"input\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":6,\"sport\":[0,80]}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"input\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":17,\"dport\":[1,65536]}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"input\",\"verdict\":\"drop\","
    "\"ctstate\":0,\"protocol\":17,\"dport\":80}]}",
    "{\"version\":1,\"rules\":[{\"family\":4,\"hook\":\"input\",\"verdict\":\"accept\","
    "\"ctstate\":0,\"protocol\":0}]}",
    "{\"version\":1,\"version\":1,\"rules\":[]}",
};

START_TEST(test_damaged_files_refused)
{
	struct ruleset loaded;
	char err[256];

	ruleset_init(&loaded);
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		state_write(damaged[i]);
		ck_assert_msg(state_load(path, &loaded, err, sizeof(err)) == -1, "accepted %zu: %s",
			      i, damaged[i]);
		ck_assert_uint_eq(loaded.count, 0);
	}
	ruleset_free(&loaded);
}
END_TEST

START_TEST(test_parse_buffer)
{
	struct ruleset saved, parsed;
	char err[256], *text, *unterminated;
	size_t length;

	state_sample(&saved);
	ruleset_init(&parsed);
	text = state_format(&saved);
	ck_assert_ptr_nonnull(text);
	length = strlen(text);
	/* The length bounds the text: what follows it is not read. */
	unterminated = malloc(length + 8);
	ck_assert_ptr_nonnull(unterminated);
	memcpy(unterminated, text, length);
	memcpy(unterminated + length, "garbage", 8);
	ck_assert_msg(state_parse(unterminated, length, &parsed, err, sizeof(err)) == 0, "%s", err);
	ck_assert(ruleset_equal(&saved, &parsed));
	/* What state_save writes is what state_format returns, and a newline. */
	ck_assert_msg(state_save(path, &saved, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(state_load(path, &parsed, err, sizeof(err)), 0);
	ck_assert(ruleset_equal(&saved, &parsed));
	ck_assert_int_eq(state_parse(unterminated, length - 1, &parsed, err, sizeof(err)), -1);
	ck_assert_uint_eq(parsed.count, 0);
	ck_assert_ptr_nonnull(strstr(err, "line 1"));
	free(unterminated);
	free(text);
	ruleset_free(&saved);
	ruleset_free(&parsed);
}
END_TEST

START_TEST(test_parse_refuses_damaged_ports)
{
	static const char *const ports[] = {
	    "\"ports\":{}",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"v1\"}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"v1\",\"known\":true}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"v1\",\"known\":true,"
	    "\"mac\":\"02:42:zz:00:00:01\"}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"v1\",\"known\":true,"
	    "\"mac\":\"02:42:00:00:00:01\",\"ipv4\":\"10.0.0.0/24\"}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"v1\",\"known\":true,"
	    "\"mac\":\"02:42:00:00:00:01\",\"ipv6\":\"10.0.0.1\"}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"v1\",\"known\":false,"
	    "\"mac\":\"02:42:00:00:00:01\"}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"a/b\",\"known\":false}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"known\":false}]",
	    "\"ports\":[{\"bridge\":\"br0\",\"port\":\"v1\",\"known\":false,"
	    "\"comment\":\"a\\\"b\"}]",
	};
	struct ruleset parsed;
	char text[512], err[256];

	ruleset_init(&parsed);
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		snprintf(text, sizeof(text), "{\"version\":1,\"rules\":[],%s}", ports[i]);
		ck_assert_msg(state_parse(text, strlen(text), &parsed, err, sizeof(err)) == -1,
			      "accepted %s", text);
		ck_assert_uint_eq(parsed.port_count, 0);
	}
	snprintf(text, sizeof(text),
		 "{\"version\":1,\"rules\":[],\"ports\":[{\"bridge\":"
		 "\"br0\",\"port\":\"v1\",\"known\":true,\"mac\":"
		 "\"02:42:00:00:00:01\",\"ipv4\":\"10.0.0.1\"}]}");
	ck_assert_msg(state_parse(text, strlen(text), &parsed, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(parsed.port_count, 1);
	ck_assert_uint_eq(parsed.ports[0].ipv6_link.addr.v6.s6_addr[15], 0x01);
	ruleset_free(&parsed);
}
END_TEST

START_TEST(test_sets_round_trip_and_damage)
{
	static const char *const bad[] = {
	    /* a rule naming a set the file lacks, or one of the other family */
	    "\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\",\"src_set\":\"x-"
	    "4\"}]",
	    "\"rules\":[{\"family\":6,\"hook\":\"forward\",\"verdict\":\"drop\",\"src_set\":\"o-"
	    "4\"}],"
	    "\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[]}]",
	    /* a set and a prefix on one side; an invalid name; ct_dport without a port protocol */
	    "\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\",\"src_set\":\"o-"
	    "4\","
	    "\"src\":\"10.0.0.0/8\"}],\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[]}]",
	    "\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\",\"src_set\":\"o "
	    "4\"}]",
	    "\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\",\"ct_dport\":[1,2]}"
	    "]",
	    "\"rules\":[{\"family\":4,\"hook\":\"forward\",\"verdict\":\"drop\",\"ct_dnat\":1}]",
	    /* members: of the other family, unsorted, one inside another, host bits, /0 */
	    "\"rules\":[],\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[\"fd00::1\"]}]",
	    "\"rules\":[],\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[\"10.0.0.2\","
	    "\"10.0.0.1\"]}]",
	    "\"rules\":[],\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[\"10.0.0.0/8\","
	    "\"10.1.0.0/16\"]}]",
	    "\"rules\":[],\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[\"10.0.0.1/8\"]}]",
	    "\"rules\":[],\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[\"0.0.0.0/0\"]}]",
	    /* two sets of one name */
	    "\"rules\":[],\"sets\":[{\"name\":\"o-4\",\"family\":4,\"members\":[]},"
	    "{\"name\":\"o-4\",\"family\":4,\"members\":[]}]",
	    "\"rules\":[],\"sets\":{}",
	};
	struct ruleset set, back;
	struct prefix p;
	struct rule *rule;
	char *text, buf[1024], err[256];

	ruleset_init(&set);
	ruleset_init(&back);
	ck_assert_ptr_nonnull(ruleset_add_set(&set, "office-4", AF_INET));
	ck_assert_int_eq(prefix_parse("10.1.0.0/16", &p), 0);
	ck_assert_int_eq(ruleset_add_member(&set, &p), 0);
	ck_assert_int_eq(prefix_parse("192.168.122.193", &p), 0);
	ck_assert_int_eq(ruleset_add_member(&set, &p), 0);
	ck_assert_ptr_nonnull(ruleset_add_set(&set, "office-6", AF_INET6));
	rule = ruleset_add(&set);
	rule->family = AF_INET;
	rule->hook = RULE_HOOK_FORWARD;
	rule->protocol = IPPROTO_TCP;
	rule->ctstate = RULE_CT_NEW;
	rule->ct_dnat = true;
	rule->ct_dport_first = 8000;
	rule->ct_dport_last = 8010;
	strcpy(rule->src_set, "office-4");
	rule->verdict = RULE_RETURN;
	strcpy(rule->comment, "tjd published rule 1");
	text = state_format(&set);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(state_parse(text, strlen(text), &back, err, sizeof(err)) == 0, "%s", err);
	ck_assert(ruleset_equal(&set, &back));
	free(text);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"version\":1,%s}", bad[i]);
		ck_assert_msg(state_parse(buf, strlen(buf), &back, err, sizeof(err)) == -1,
			      "accepted %s", buf);
		ck_assert_uint_eq(back.count + back.set_count, 0);
	}
	ruleset_free(&set);
	ruleset_free(&back);
}
END_TEST

START_TEST(test_parse_refuses_damaged)
{
	struct ruleset parsed;
	char err[256];

	ruleset_init(&parsed);
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		/* A stale rule must not survive a refusal. */
		ck_assert_ptr_nonnull(ruleset_add(&parsed));
		err[0] = '\0';
		ck_assert_msg(
		    state_parse(damaged[i], strlen(damaged[i]), &parsed, err, sizeof(err)) == -1,
		    "accepted %zu: %s", i, damaged[i]);
		ck_assert_uint_eq(parsed.count, 0);
		ck_assert_msg(err[0] != '\0', "no message for %zu", i);
	}
	ck_assert_int_eq(state_parse("{\"version\":1,\"rules\":[]}", 24, &parsed, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(parsed.count, 0);
	ruleset_free(&parsed);
}
END_TEST

START_TEST(test_load_names_the_file)
{
	struct ruleset loaded;
	char err[256];

	ruleset_init(&loaded);
	state_write("{\"version\":1,\n\"rules\":[{}]}");
	ck_assert_int_eq(state_load(path, &loaded, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "rule 0 is invalid") != NULL, "%s",
		      err);
	state_write("{\"version\":1,\n\"rules\":[}");
	ck_assert_int_eq(state_load(path, &loaded, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "line 2") != NULL, "%s", err);
	ruleset_free(&loaded);
}
END_TEST

START_TEST(test_symlink_refused)
{
	struct ruleset set;
	char err[256], sub[300];

	ruleset_init(&set);
	snprintf(sub, sizeof(sub), "%s/sub", directory);
	mkdir(sub, 0700);
	ck_assert_int_eq(symlink("/etc/hostname", path), 0);
	ck_assert_int_eq(state_load(path, &set, err, sizeof(err)), -1);
	ruleset_free(&set);
}
END_TEST

/* Builds the suite. */
static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("file");

	tcase_add_checked_fixture(tc, state_setup, state_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_save_makes_missing_parents);
	tcase_add_test(tc, test_namespaces_round_trip);
	tcase_add_test(tc, test_damaged_files_refused);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_load_names_the_file);
	tcase_add_test(tc, test_parse_buffer);
	tcase_add_test(tc, test_parse_refuses_damaged);
	tcase_add_test(tc, test_parse_refuses_damaged_ports);
	tcase_add_test(tc, test_sets_round_trip_and_damage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(state_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
