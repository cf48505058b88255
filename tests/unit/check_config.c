/* Configuration: INI file, TrafficJam environment, and every error path. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tjd/conf.h"

static char path[] = "/tmp/check_config_XXXXXX";
static const char *const *environment;

/* Looks names up in the test's own environment table. */
static char *config_getenv(const char *name)
{
	for (size_t i = 0; environment != NULL && environment[i] != NULL; i += 2)
		if (strcmp(environment[i], name) == 0)
			return (char *)environment[i + 1];
	return NULL;
}

/* Writes text to a fresh temporary file. */
static const char *config_write(const char *text)
{
	int fd;

	strcpy(path, "/tmp/check_config_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Loads text and expects an error containing `expected`. */
static void config_expect_error(const char *text, const char *expected)
{
	char err[512] = "";
	struct conf *conf = conf_load(config_write(text), true, config_getenv, err, sizeof(err));

	unlink(path);
	ck_assert_msg(conf == NULL, "accepted: %s", text);
	ck_assert_msg(strstr(err, expected) != NULL, "error \"%s\" lacks \"%s\"", err, expected);
	ck_assert_msg(strstr(err, path) != NULL || strstr(err, "environment") != NULL,
		      "error \"%s\" does not name the file", err);
}

START_TEST(test_full_file)
{
	char err[512];
	struct conf *conf = conf_load(config_write("# comment\n"
						   "[daemon]\n"
						   "docker_host = unix:///run/d.sock\n"
						   "poll_interval = 7\n"
						   "instance_id = blue_1\n"
						   "own_tables = no\n"
						   "container_rules = no\n"
						   "metrics_file = /var/lib/node_exporter/tjd.prom\n"
						   "metrics_interval = 30\n"
						   "drop_log = no\n"
						   "debug = yes\n"
						   "[network traefik_public]\n"
						   "allow = ancestor=traefik:v3\n"
						   "allow = label=tjd.allow=true\n"
						   "allow_host_traffic = no\n"
						   "[network other.net]\n"
						   "allow = name=proxy label=a=b ; inline comment\n"
						   "allow_host_traffic = true\n"),
				      true, config_getenv, err, sizeof(err));

	unlink(path);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->docker_host, "unix:///run/d.sock");
	ck_assert_uint_eq(conf->poll_interval, 7);
	ck_assert_str_eq(conf->instance_id, "blue_1");
	ck_assert(!conf->own_tables);
	ck_assert(!conf->container_rules);
	ck_assert_str_eq(conf->metrics_file, "/var/lib/node_exporter/tjd.prom");
	ck_assert_uint_eq(conf->metrics_interval, 30);
	ck_assert(!conf->drop_log);
	ck_assert(conf->debug);
	ck_assert_uint_eq(conf->network_count, 2);
	ck_assert_str_eq(conf->networks[0].name, "traefik_public");
	ck_assert_uint_eq(conf->networks[0].allow_count, 2);
	ck_assert_str_eq(conf->networks[0].allow[1], "label=tjd.allow=true");
	ck_assert(!conf->networks[0].allow_host_traffic);
	ck_assert_str_eq(conf->networks[1].allow[0], "name=proxy label=a=b");
	ck_assert(conf->networks[1].allow_host_traffic);
	ck_assert_ptr_eq(conf_find_network(conf, "other.net"), &conf->networks[1]);
	conf_free(conf);
}
END_TEST

START_TEST(test_defaults_and_missing_optional_file)
{
	char err[512];
	struct conf *conf = conf_load("/nonexistent/tjd.conf", false, config_getenv, err,
				      sizeof(err));

	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->docker_host, CONF_DEFAULT_DOCKER_HOST);
	ck_assert_uint_eq(conf->poll_interval, CONF_DEFAULT_POLL_INTERVAL);
	ck_assert_uint_eq(conf->network_count, 0);
	conf_free(conf);
	conf = conf_load("/nonexistent/tjd.conf", true, config_getenv, err, sizeof(err));
	ck_assert_ptr_null(conf);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/tjd.conf"));
}
END_TEST

START_TEST(test_errors_name_line_and_key)
{
	char expected[64];

	config_expect_error("[daemon]\npoll_interval = 5\nalow = x\n", ":3: unknown key \"alow\"");
	config_expect_error("[network web]\nallow = label=x\nallow_host = yes\n",
			    ":3: unknown key \"allow_host\" in [network web]");
	config_expect_error("[daemon]\npoll_interval = 0\n", ":2: poll_interval");
	config_expect_error("[daemon]\npoll_interval = 5s\n", ":2: poll_interval");
	config_expect_error("[daemon]\npoll_interval = 99999999999999999999\n", ":2:");
	config_expect_error("[daemon]\ndocker_host = http://x\n", ":2: docker_host");
	config_expect_error("[daemon]\ninstance_id = way-too-long-instance\n", ":2: instance_id");
	config_expect_error("[daemon]\ndebug = maybe\n", ":2: debug");
	config_expect_error("[daemon]\nown_tables = sometimes\n", ":2: own_tables");
	config_expect_error("[daemon]\ncontainer_rules = maybe\n", ":2: container_rules");
	config_expect_error("[daemon]\nmetrics_file = tjd.prom\n", ":2: metrics_file");
	config_expect_error("[daemon]\nmetrics_file = /tmp/a\x1b[2Jb\n",
			    ":2: bad value for \"metrics_file\"");
	config_expect_error("[daemon]\nmetrics_interval = 0\n", ":2: metrics_interval");
	config_expect_error("[daemon]\ndrop_log = loud\n", ":2: drop_log");
	config_expect_error("[network web]\nallow = colour=red\n", ":2:");
	config_expect_error("[network web]\nallow = label\n", ":2:");
	config_expect_error("[network web]\nallow = label=x\nallow_host_traffic = sometimes\n",
			    ":3: allow_host_traffic");
	config_expect_error("[network web]\nallow = label=x\n[network web]\nallow = name=y\n",
			    ":3: section [network web] repeats line 1");
	config_expect_error("[network a]\nallow = name=a\n[network b]\nallow = name=b\n"
			    "[network a]\nallow = name=c\n",
			    "repeats line 1");
	config_expect_error("[network bad name!]\nallow = label=x\n", ":2: invalid network name");
	config_expect_error("[netwerk web]\nallow = label=x\n", ":2: unknown section");
	config_expect_error("allow = label=x\n", ":1: key \"allow\" outside any section");
	config_expect_error("[network web]\nallow_host_traffic = no\n", "has no allow = filter");
	config_expect_error("[network web\nallow = label=x\n", ":1:");
	snprintf(expected, sizeof(expected), ":2: line longer than %d", CONF_MAX_LINE);
	{
		char text[600];
		memset(text, 'a', sizeof(text));
		memcpy(text, "[daemon]\ndebug=", 15);
		text[sizeof(text) - 2] = '\n';
		text[sizeof(text) - 1] = '\0';
		config_expect_error(text, expected);
	}
}
END_TEST

START_TEST(test_too_many_networks)
{
	char *text = malloc(64 * (CONF_MAX_NETWORKS + 2));
	size_t length = 0;

	ck_assert_ptr_nonnull(text);
	for (int i = 0; i < CONF_MAX_NETWORKS + 1; i++)
		length += (size_t)sprintf(text + length, "[network n%d]\nallow = name=p\n", i);
	config_expect_error(text, "too many");
	free(text);
}
END_TEST

START_TEST(test_trafficjam_environment)
{
	static const char *const env[] = {"NETWORK",          "traefik_public",
					  "WHITELIST_FILTER", "ancestor=traefik:v3.0",
					  "POLL_INTERVAL",    "2",
					  "ALLOW_HOST_TRAFFIC", "true",
					  "DEBUG",            "true",
					  "INSTANCE_ID",      "x1",
					  "DOCKER_HOST",      "tcp://socket-proxy:2375",
					  NULL};
	char err[512];
	struct conf *conf;

	environment = env;
	conf = conf_load(NULL, false, config_getenv, err, sizeof(err));
	environment = NULL;
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->network_count, 1);
	ck_assert_str_eq(conf->networks[0].name, "traefik_public");
	ck_assert_str_eq(conf->networks[0].allow[0], "ancestor=traefik:v3.0");
	ck_assert(conf->networks[0].allow_host_traffic);
	ck_assert_uint_eq(conf->poll_interval, 2);
	ck_assert(conf->debug);
	ck_assert(conf->own_tables); /* the default */
	ck_assert(conf->container_rules); /* the default */
	ck_assert_ptr_null(conf->metrics_file);
	ck_assert(conf->drop_log);
	ck_assert_uint_eq(conf->metrics_interval, CONF_DEFAULT_METRICS_INTERVAL);
	ck_assert_str_eq(conf->instance_id, "x1");
	ck_assert_str_eq(conf->docker_host, "tcp://socket-proxy:2375");
	conf_free(conf);
}
END_TEST

START_TEST(test_environment_errors)
{
	static const char *const only_network[] = {"NETWORK", "web", NULL};
	static const char *const bad_poll[] = {"POLL_INTERVAL", "-1", NULL};
	static const char *const bad_filter[] = {"NETWORK", "web", "WHITELIST_FILTER", "bogus",
						 NULL};
	static const char *const clash[] = {"NETWORK", "web", "WHITELIST_FILTER", "name=p", NULL};
	char err[512];

	environment = only_network;
	ck_assert_ptr_null(conf_load(NULL, false, config_getenv, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "WHITELIST_FILTER"));
	environment = bad_poll;
	ck_assert_ptr_null(conf_load(NULL, false, config_getenv, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "POLL_INTERVAL"));
	environment = bad_filter;
	ck_assert_ptr_null(conf_load(NULL, false, config_getenv, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "WHITELIST_FILTER"));
	/* The same network in the file and the environment is a conflict. */
	environment = clash;
	config_expect_error("[network web]\nallow = name=q\n", "configured twice");
	environment = NULL;
}
END_TEST

/*
 * Clearing reads only the instance: the configurations conf_load refuses
 * (TrafficJam's environment without WHITELIST_FILTER, a file with errors
 * elsewhere) still name it; only a bad instance itself is refused.
 */
START_TEST(test_load_for_clear)
{
	static const char *const only_network[] = {"NETWORK", "traefik_public", NULL};
	static const char *const instance[] = {"NETWORK", "web", "INSTANCE_ID", "green", NULL};
	static const char *const bad_instance[] = {"INSTANCE_ID", "no-dashes", NULL};
	static const char *const broken =
	    "[daemon]\ninstance_id = blue\npoll_interval = never\n[network web]\n[bogus]\n";
	char err[512];
	struct conf *conf;

	environment = only_network;
	ck_assert_ptr_null(conf_load(NULL, false, config_getenv, err, sizeof(err)));
	conf = conf_load_for_clear("/nonexistent/tjd.conf", config_getenv, err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->instance_id, "");
	conf_free(conf);
	/* a file conf_load refuses still names its instance */
	ck_assert_ptr_null(conf_load(config_write(broken), true, config_getenv, err, sizeof(err)));
	conf = conf_load_for_clear(config_write(broken), config_getenv, err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->instance_id, "blue");
	conf_free(conf);
	unlink(path);
	/* INSTANCE_ID overrides the file, as for conf_load */
	environment = instance;
	conf = conf_load_for_clear(config_write(broken), config_getenv, err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->instance_id, "green");
	conf_free(conf);
	unlink(path);
	/* the instance itself must be right: clearing another one would leave the rules */
	environment = bad_instance;
	ck_assert_ptr_null(conf_load_for_clear(NULL, config_getenv, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "INSTANCE_ID"));
	environment = NULL;
	ck_assert_ptr_null(conf_load_for_clear(config_write("[daemon]\ninstance_id = a.b\n"),
					       config_getenv, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "instance_id"));
	unlink(path);
}
END_TEST

START_TEST(test_bool_values)
{
	ck_assert_int_eq(conf_parse_bool("Yes"), 1);
	ck_assert_int_eq(conf_parse_bool("on"), 1);
	ck_assert_int_eq(conf_parse_bool("0"), 0);
	ck_assert_int_eq(conf_parse_bool("FALSE"), 0);
	ck_assert_int_eq(conf_parse_bool("2"), -1);
	ck_assert_int_eq(conf_parse_bool("yess"), -1);
}
END_TEST

/* Builds the suite. */
static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_defaults_and_missing_optional_file);
	tcase_add_test(tc, test_errors_name_line_and_key);
	tcase_add_test(tc, test_too_many_networks);
	tcase_add_test(tc, test_trafficjam_environment);
	tcase_add_test(tc, test_environment_errors);
	tcase_add_test(tc, test_load_for_clear);
	tcase_add_test(tc, test_bool_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(config_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
