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

/* Loads text and expects it to load, failing with the error if it does not. */
static struct conf *config_expect_valid(const char *text)
{
	char err[512] = "";
	struct conf *conf = conf_load(config_write(text), true, config_getenv, err, sizeof(err));

	unlink(path);
	ck_assert_msg(conf != NULL, "refused: %s", err);
	return conf;
}

/* Formats a prefix for comparisons. */
static const char *config_prefix_text(const struct prefix *prefix)
{
	static char text[PREFIX_TEXT_MAX];

	ck_assert_int_eq(prefix_format(prefix, text, sizeof(text)), 0);
	return text;
}

START_TEST(test_sets_and_published)
{
	struct conf *conf = config_expect_valid("[set office]\n"
						"members = 192.168.122.193, 2001:db8:122::193\n"
						"members =  10.1.0.0/16 ,192.168.122.193,fd00::/8\n"
						"members =\n"
						"containers = label=role=office status=running\n"
						"[published]\n"
						"policy = deny\n"
						"rule = allow from @office proto tcp "
						"to any port 8000\n"
						"rule = reject log on eth0 proto udp "
						"from 10.0.0.0/8 to container web port 53\n"
						"rule = deny from @later to name=web\n"
						"rule = allow from 2001:db8::/32 to label app=web\n"
						"rule = allow\n"
						"[set later]\n"
						"containers = name=^backup$\n"
						"[set A_b-9]\n"
						"members = 10.0.0.0/8\n");
	const struct conf_set *office, *later;
	const struct conf_published *published = &conf->published;
	const struct rulespec_rule *rule;

	ck_assert_uint_eq(conf->set_count, 3);
	office = conf_find_set(conf, "office");
	later = conf_find_set(conf, "later");
	ck_assert_ptr_eq(office, &conf->sets[0]);
	ck_assert_ptr_eq(later, &conf->sets[1]);
	ck_assert_ptr_eq(conf_find_set(conf, "A_b-9"), &conf->sets[2]);
	ck_assert_ptr_null(conf_find_set(conf, "Office"));
	ck_assert_str_eq(office->name, "office");
	ck_assert_uint_eq(office->line, 1);
	/* in order as written, the repeated address once */
	ck_assert_uint_eq(office->member_count, 4);
	ck_assert_str_eq(config_prefix_text(&office->members[0]), "192.168.122.193/32");
	ck_assert_str_eq(config_prefix_text(&office->members[1]), "2001:db8:122::193/128");
	ck_assert_str_eq(config_prefix_text(&office->members[2]), "10.1.0.0/16");
	ck_assert_str_eq(config_prefix_text(&office->members[3]), "fd00::/8");
	ck_assert_str_eq(office->containers, "label=role=office status=running");
	ck_assert_uint_eq(later->member_count, 0);
	ck_assert_ptr_null(later->members);
	ck_assert_str_eq(later->containers, "name=^backup$");
	ck_assert_uint_eq(later->line, 13);
	ck_assert_ptr_null(conf->sets[2].containers);

	ck_assert(published->present);
	ck_assert_uint_eq(published->line, 6);
	ck_assert_int_eq(published->policy, RULESPEC_DENY);
	ck_assert_uint_eq(published->rule_count, 5);
	ck_assert_str_eq(published->rules[0].text,
			 "allow from @office proto tcp to any port 8000");
	ck_assert_uint_eq(published->rules[0].line, 8);
	rule = &published->rules[0].rule;
	ck_assert_int_eq(rule->action, RULESPEC_ALLOW);
	ck_assert_int_eq(rule->proto, RULESPEC_PROTO_TCP);
	ck_assert_int_eq(rule->from.kind, RULESPEC_ADDRESS_SET);
	ck_assert_str_eq(rule->from.name, "office");
	ck_assert_int_eq(rule->to.kind, RULESPEC_ADDRESS_ANY);
	ck_assert_uint_eq(rule->to.ports.count, 1);
	ck_assert_uint_eq(rule->to.ports.ranges[0].first, 8000);
	rule = &published->rules[1].rule;
	ck_assert_int_eq(rule->action, RULESPEC_REJECT);
	ck_assert(rule->log);
	ck_assert_str_eq(rule->iface, "eth0");
	ck_assert_int_eq(rule->from.kind, RULESPEC_ADDRESS_NET);
	ck_assert_str_eq(config_prefix_text(&rule->from.net), "10.0.0.0/8");
	ck_assert_int_eq(rule->to.kind, RULESPEC_ADDRESS_CONTAINER);
	ck_assert_str_eq(rule->to.name, "web");
	/* a set defined after the rule that names it */
	rule = &published->rules[2].rule;
	ck_assert_int_eq(rule->action, RULESPEC_DENY);
	ck_assert_str_eq(rule->from.name, "later");
	ck_assert_int_eq(rule->to.kind, RULESPEC_ADDRESS_FILTER);
	ck_assert_str_eq(rule->to.name, "name=web");
	ck_assert_str_eq(published->rules[3].rule.to.name, "label=app=web");
	ck_assert_int_eq(published->rules[4].rule.from.kind, RULESPEC_ADDRESS_ANY);
	ck_assert_uint_eq(published->rules[4].line, 12);
	conf_free(conf);
}
END_TEST

/* The pyfw example of tjd.conf(5): only Host 2 reaches the published port 8000. */
START_TEST(test_published_example)
{
	struct conf *conf = config_expect_valid("[set office]\n"
						"members = 192.168.122.193, 2001:db8:122::193\n"
						"\n"
						"[published]\n"
						"policy = deny\n"
						"rule = allow from @office proto tcp "
						"to any port 8000\n");

	ck_assert_uint_eq(conf->set_count, 1);
	ck_assert_uint_eq(conf->sets[0].member_count, 2);
	ck_assert(conf->published.present);
	ck_assert_int_eq(conf->published.policy, RULESPEC_DENY);
	ck_assert_uint_eq(conf->published.rule_count, 1);
	ck_assert_uint_eq(conf->network_count, 0);
	conf_free(conf);
}
END_TEST

START_TEST(test_published_defaults)
{
	struct conf *conf = config_expect_valid("[daemon]\ndebug = no\n");

	ck_assert(!conf->published.present);
	ck_assert_int_eq(conf->published.policy, RULESPEC_ALLOW);
	ck_assert_uint_eq(conf->published.rule_count, 0);
	ck_assert_uint_eq(conf->set_count, 0);
	conf_free(conf);
	conf = config_expect_valid("[published]\nrule = deny from 203.0.113.0/24\n");
	ck_assert(conf->published.present);
	ck_assert_int_eq(conf->published.policy, RULESPEC_ALLOW);
	ck_assert_uint_eq(conf->published.rule_count, 1);
	conf_free(conf);
	/* a section without keys still exists */
	conf = config_expect_valid("[daemon]\ndebug = no\n[published]\n");
	ck_assert(conf->published.present);
	ck_assert_uint_eq(conf->published.line, 3);
	ck_assert_int_eq(conf->published.policy, RULESPEC_ALLOW);
	ck_assert_uint_eq(conf->published.rule_count, 0);
	conf_free(conf);
	conf = config_expect_valid("[published]\npolicy = deny\npolicy = allow\n");
	ck_assert_int_eq(conf->published.policy, RULESPEC_ALLOW);
	conf_free(conf);
}
END_TEST

START_TEST(test_network_rules)
{
	struct conf *conf = config_expect_valid("[network web]\n"
						"allow = label=proxy\n"
						"rule = allow proto tcp from container app "
						"to container db port 5432\n"
						"rule = deny log from label app=web to name=cache\n"
						"rule = reject proto icmp from label=role "
						"to container /db\n"
						"reach_allowed = yes\n"
						"lan_allow = @dns, @nas\n"
						"lan_egress = deny\n"
						"lan_allow = @dns,@printer\n"
						"[set dns]\n"
						"members = 192.168.1.53, fd00:1::53\n"
						"[set nas]\n"
						"containers = label=nas\n"
						"[set printer]\n"
						"members = 192.168.1.9\n"
						"[network other]\n"
						"allow = name=x\n"
						"reach_allowed = no\n"
						"lan_egress = allow\n"
						"[network third]\n"
						"allow = name=y\n");
	const struct conf_network *web = conf_find_network(conf, "web");
	const struct conf_network *other = conf_find_network(conf, "other");
	const struct conf_network *third = conf_find_network(conf, "third");
	const struct rulespec_rule *rule;

	ck_assert_ptr_nonnull(web);
	ck_assert_uint_eq(web->line, 1);
	ck_assert_uint_eq(web->rule_count, 3);
	ck_assert_str_eq(web->rules[0].text,
			 "allow proto tcp from container app to container db port 5432");
	ck_assert_uint_eq(web->rules[0].line, 3);
	rule = &web->rules[0].rule;
	ck_assert_int_eq(rule->from.kind, RULESPEC_ADDRESS_CONTAINER);
	ck_assert_str_eq(rule->from.name, "app");
	ck_assert_str_eq(rule->to.name, "db");
	ck_assert_uint_eq(rule->to.ports.ranges[0].first, 5432);
	rule = &web->rules[1].rule;
	ck_assert_int_eq(rule->action, RULESPEC_DENY);
	ck_assert(rule->log);
	ck_assert_int_eq(rule->from.kind, RULESPEC_ADDRESS_FILTER);
	ck_assert_str_eq(rule->from.name, "label=app=web");
	ck_assert_str_eq(rule->to.name, "name=cache");
	ck_assert_int_eq(web->rules[2].rule.proto, RULESPEC_PROTO_ICMP);
	ck_assert_str_eq(web->rules[2].rule.from.name, "label=role");
	ck_assert_int_eq(web->rules[2].rule.to.kind, RULESPEC_ADDRESS_CONTAINER);
	ck_assert_str_eq(web->rules[2].rule.to.name, "db");
	ck_assert(web->reach_allowed);
	ck_assert(web->lan_deny);
	/* lan_allow before lan_egress, sets defined later, the repeated name once */
	ck_assert_uint_eq(web->lan_allow_count, 3);
	ck_assert_str_eq(web->lan_allow[0], "dns");
	ck_assert_str_eq(web->lan_allow[1], "nas");
	ck_assert_str_eq(web->lan_allow[2], "printer");
	ck_assert_uint_eq(other->rule_count, 0);
	ck_assert(!other->reach_allowed);
	ck_assert(!other->lan_deny);
	ck_assert_uint_eq(other->lan_allow_count, 0);
	ck_assert_uint_eq(third->line, 20);
	ck_assert(!third->reach_allowed);
	ck_assert(!third->lan_deny);
	ck_assert_ptr_null(third->rules);
	ck_assert_ptr_null(third->lan_allow);
	conf_free(conf);
}
END_TEST

START_TEST(test_set_errors)
{
	config_expect_error("[set 1office]\nmembers = 10.0.0.1\n",
			    ":2: invalid set name \"1office\"");
	config_expect_error("[set of.fice]\nmembers = 10.0.0.1\n", ":2: invalid set name");
	config_expect_error("[set]\nmembers = 10.0.0.1\n", ":2: invalid set name \"\"");
	config_expect_error("[set abcdefghijklmnopqrstuvwxy]\nmembers = 10.0.0.1\n",
			    ":2: invalid set name \"abcdefghijklmnopqrstuvwxy\"");
	config_expect_error("[set office]\nmembers = 10.0.0.1\n[set  office]\nmembers = 10.0.0.2\n",
			    ":4: set \"office\" is defined twice (first on line 1)");
	config_expect_error("[set office]\nmembers = 10.0.0.1\n[set office]\nmembers = 10.0.0.2\n",
			    ":3: section [set office] repeats line 1");
	config_expect_error("[set office]\nmembers = 10.0.0.1, office.example.com\n",
			    ":2: members: \"office.example.com\" is not an address or a network");
	config_expect_error("[set office]\nmembers = 10.0.0.1 10.0.0.2\n",
			    ":2: members: \"10.0.0.1 10.0.0.2\" is not an address");
	config_expect_error("[set office]\nmembers = 10.0.0.1/33\n",
			    ":2: members: \"10.0.0.1/33\"");
	config_expect_error("[set office]\nmembers = 10.0.0.5\nmembers = 10.0.0.1/24\n",
			    ":3: members: 10.0.0.1/24 has host bits set; "
			    "the network is 10.0.0.0/24");
	config_expect_error("[set office]\nmembers = fd00::1/8\n",
			    ":2: members: fd00::1/8 has host bits set; the network is fd00::/8");
	config_expect_error("[set office]\nmembers = 10.0.0.1,,10.0.0.2\n",
			    ":2: members: empty item in the list");
	config_expect_error("[set office]\nmembers = 10.0.0.1,\n", ":2: members: empty item");
	config_expect_error("[set office]\nmembers = ,\n", ":2: members: empty item");
	config_expect_error("[set office]\ncontainers = colour=red\n",
			    ":2: containers: filter term \"colour=red\": unknown key");
	config_expect_error("[set office]\ncontainers =\n", ":2: containers: empty filter");
	config_expect_error("[set office]\ncontainers = name=a\nmembers = 10.0.0.1\n"
			    "containers = name=b\n",
			    ":4: containers is given twice in [set office]");
	config_expect_error("[set office]\nmember = 10.0.0.1\n",
			    ":2: unknown key \"member\" in [set office]");
	config_expect_error("[set office]\nallow = name=x\n",
			    ":2: unknown key \"allow\" in [set office]");
	/* a set without keys: inih never reports it, the file is checked afterwards */
	config_expect_error("[daemon]\ndebug = no\n[set office]\n[published]\npolicy = deny\n",
			    ":3: [set office] needs members = or containers =");
	config_expect_error("[set office]\n", ":1: [set office] needs members = or containers =");
	config_expect_error("[set 9lives]\n", ":1: invalid set name \"9lives\"");
	config_expect_error("[set a]\n[set  a]\nmembers = 10.0.0.1\n",
			    ":1: set \"a\" is defined twice");
	config_expect_error("[sets office]\nmembers = 10.0.0.1\n",
			    ":2: unknown section [sets office]");
}
END_TEST

START_TEST(test_set_limits)
{
	size_t size = 64 * (CONF_MAX_SETS + 2) + 16 * (CONF_MAX_SET_MEMBERS + 2);
	char *text = malloc(size), expected[128];
	size_t length = 0;
	unsigned line = 0, last_line = 0;
	struct conf *conf;

	ck_assert_ptr_nonnull(text);
	/* CONF_MAX_SETS sets are fine, one more is not */
	for (int i = 0; i < CONF_MAX_SETS; i++)
		length += (size_t)sprintf(text + length, "[set s%d]\nmembers = 10.0.%d.0/24\n", i,
					  i);
	conf = config_expect_valid(text);
	ck_assert_uint_eq(conf->set_count, CONF_MAX_SETS);
	conf_free(conf);
	sprintf(text + length, "[set one_more]\nmembers = 10.1.0.0/24\n");
	snprintf(expected, sizeof(expected), ":%d: too many sets (at most %d)",
		 2 * CONF_MAX_SETS + 2, CONF_MAX_SETS);
	config_expect_error(text, expected);

	/* members over many lines: CONF_MAX_SET_MEMBERS distinct ones, repeats dropped */
	length = (size_t)sprintf(text, "[set big]\n");
	line = 1;
	for (int i = 0; i < CONF_MAX_SET_MEMBERS; i++) {
		if (i % 12 == 0) {
			length += (size_t)sprintf(text + length, "%smembers = ", i ? "\n" : "");
			line++;
		} else {
			length += (size_t)sprintf(text + length, ", ");
		}
		length += (size_t)sprintf(text + length, "10.%d.%d.1", i / 256, i % 256);
	}
	length += (size_t)sprintf(text + length, "\nmembers = 10.0.0.1, 10.15.255.1\n");
	line++;
	conf = config_expect_valid(text);
	ck_assert_uint_eq(conf->sets[0].member_count, CONF_MAX_SET_MEMBERS);
	ck_assert_str_eq(config_prefix_text(&conf->sets[0].members[0]), "10.0.0.1/32");
	ck_assert_str_eq(config_prefix_text(&conf->sets[0].members[17]), "10.0.17.1/32");
	ck_assert_str_eq(config_prefix_text(&conf->sets[0].members[CONF_MAX_SET_MEMBERS - 1]),
			 "10.15.255.1/32");
	conf_free(conf);
	last_line = line + 1;
	sprintf(text + length, "members = 10.0.0.1, fd00::1, 10.0.0.2\n");
	snprintf(expected, sizeof(expected),
		 ":%u: members: too many members in [set big] (at most %d)", last_line,
		 CONF_MAX_SET_MEMBERS);
	config_expect_error(text, expected);
	free(text);
}
END_TEST

START_TEST(test_published_errors)
{
	config_expect_error("[published]\npolicy = reject\n", ":2: policy must be allow or deny");
	config_expect_error("[published]\npolicy = Deny\n", ":2: policy must be allow or deny");
	config_expect_error("[published]\nrules = allow\n",
			    ":2: unknown key \"rules\" in [published]");
	config_expect_error("[published]\npolicy = deny\n[published]\n",
			    ":3: section [published] repeats line 1");
	config_expect_error("[published]\nrule = permit from any\n",
			    ":2: rule, column 1 (\"permit\"): unknown action");
	config_expect_error("[published]\nrule = allow to any port 8000\n",
			    ":2: rule, column 14 (\"port\"): a port needs proto tcp, udp or sctp");
	config_expect_error("[published]\nrule = allow from 10.0.0.1/8\n",
			    ":2: rule, column 12 (\"10.0.0.1/8\"): host bits set; the network is "
			    "10.0.0.0/8");
	config_expect_error("[published]\nrule = allow proto icmp from 10.0.0.0/8\n",
			    ":2: rule: proto icmp in [published]: "
			    "published ports are tcp, udp or sctp");
	config_expect_error("[published]\nrule = allow proto icmpv6\n", ":2: rule: proto icmpv6");
	config_expect_error("[published]\nrule = allow from container web\n",
			    ":2: rule: from in [published] must be any, an address, a network "
			    "or @SET");
	config_expect_error("[published]\nrule = allow from label app=x\n",
			    ":2: rule: from in [published] must be");
	config_expect_error("[published]\n"
			    "rule = allow proto tcp from 10.0.0.0/8 port 1024 to any\n",
			    ":2: rule: from ... port is not allowed in [published]");
	config_expect_error("[published]\nrule = allow proto tcp to 192.168.1.5 port 8000\n",
			    ":2: rule: to in [published] names the container");
	config_expect_error("[published]\nrule = allow to 10.0.0.0/8\n",
			    "the published port is to ... port N");
	config_expect_error("[set office]\nmembers = 10.0.0.1\n"
			    "[published]\nrule = allow to @office\n",
			    ":4: rule: to in [published] names the container");
	/* a set used but not defined, also after others are */
	config_expect_error("[published]\nrule = allow from @office\n",
			    ":2: rule: @office names no [set office] of the file");
	config_expect_error("[set office]\nmembers = 10.0.0.1\n[published]\n"
			    "rule = allow from @office\nrule = deny from @offices\n",
			    ":5: rule: @offices names no [set offices] of the file");
	/* set names the rule grammar takes but a [set] cannot have */
	config_expect_error("[published]\nrule = allow from @9lives\n",
			    ":2: rule: @9lives names no [set 9lives]");
	/* of the errors found once the file is read, the first in the file */
	config_expect_error("[published]\nrule = allow from @nowhere\n[set empty]\n",
			    ":2: rule: @nowhere names no [set nowhere]");
	config_expect_error("[set empty]\n[published]\nrule = allow from @nowhere\n",
			    ":1: [set empty] needs members = or containers =");
}
END_TEST

START_TEST(test_network_rule_errors)
{
	static const char *const head = "[network web]\nallow = label=proxy\n";
	static const struct {
		const char *text;
		const char *expected;
	} cases[] = {
	    {"rule = allow from any to container db\n",
	     ":3: rule: from in [network web] must name containers"},
	    {"rule = allow to container db\n", ":3: rule: from in [network web] must name"},
	    {"rule = allow from container app\n", ":3: rule: to in [network web] must name"},
	    {"rule = allow from container app to any\n", ":3: rule: to in [network web]"},
	    {"rule = allow from 10.0.0.1 to container db\n", ":3: rule: from in [network web]"},
	    {"rule = allow from container app to 10.0.0.0/8\n", ":3: rule: to in [network web]"},
	    {"rule = allow from @office to container db\n", ":3: rule: from in [network web]"},
	    {"rule = allow from container app to @office\n", ":3: rule: to in [network web]"},
	    {"rule = allow on eth0 from container a to container b\n",
	     ":3: rule: on IFACE is not allowed in [network web]"},
	    {"rule = allow proto tcp from container a port 80 to container b\n",
	     ":3: rule: from ... port is not allowed in [network web]"},
	    {"rule = allow from container a to container b port 80\n",
	     ":3: rule, column 39 (\"port\"): a port needs proto tcp, udp or sctp"},
	    {"rule = allow from container a to container b comment\n",
	     ":3: rule, column 39 (\"comment\"): expected text after comment"},
	    {"reach_allowed = sometimes\n", ":3: reach_allowed must be yes or no"},
	    {"lan_egress = block\n", ":3: lan_egress must be allow or deny"},
	    {"lan_egress = deny\nlan_allow = dns\n", ":4: lan_allow: \"dns\" is not @NAME"},
	    {"lan_egress = deny\nlan_allow = @dns,,@nas\n", ":4: lan_allow: empty item"},
	    {"lan_egress = deny\nlan_allow =\n", ":4: lan_allow must list sets"},
	    {"lan_egress = deny\nlan_allow = @9\n", ":4: lan_allow: \"@9\" is not @NAME"},
	    /* a set used but not defined */
	    {"lan_egress = deny\nlan_allow = @dns\n", ":4: lan_allow: @dns names no [set dns]"},
	    /* lan_allow without lan_egress = deny */
	    {"lan_allow = @dns\n[set dns]\nmembers = 10.0.0.53\n",
	     ":3: lan_allow needs lan_egress = deny in [network web]"},
	    {"lan_allow = @dns\nlan_egress = allow\n[set dns]\nmembers = 10.0.0.53\n",
	     ":3: lan_allow needs lan_egress = deny in [network web]"},
	    {"lan_egress = deny\nlan_allow = @dns\nlan_egress = allow\n[set dns]\nmembers =\n",
	     ":4: lan_allow needs lan_egress = deny"},
	    {"lan_egres = deny\n", ":3: unknown key \"lan_egres\" in [network web]"},
	};
	char text[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, cases[i].text);
		config_expect_error(text, cases[i].expected);
	}
	/* rules do not stand in for the allow-list */
	config_expect_error("[network web]\nrule = allow from name=a to name=b\n",
			    "[network web] has no allow = filter");
}
END_TEST

START_TEST(test_too_many_rules)
{
	char *text = malloc(64 * (CONF_MAX_RULES + 4));
	char expected[128];
	size_t length;
	struct conf *conf;

	ck_assert_ptr_nonnull(text);
	length = (size_t)sprintf(text, "[published]\n");
	for (int i = 0; i < CONF_MAX_RULES; i++)
		length += (size_t)sprintf(text + length, "rule = deny proto tcp to any port %d\n",
					  i + 1);
	conf = config_expect_valid(text);
	ck_assert_uint_eq(conf->published.rule_count, CONF_MAX_RULES);
	ck_assert_uint_eq(conf->published.rules[CONF_MAX_RULES - 1].rule.to.ports.ranges[0].first,
			  CONF_MAX_RULES);
	conf_free(conf);
	strcpy(text + length, "rule = allow\n");
	snprintf(expected, sizeof(expected), ":%d: too many rules in [published] (at most %d)",
		 CONF_MAX_RULES + 2, CONF_MAX_RULES);
	config_expect_error(text, expected);

	length = (size_t)sprintf(text, "[network web]\nallow = name=p\n");
	for (int i = 0; i < CONF_MAX_RULES + 1; i++)
		length += (size_t)sprintf(text + length,
					  "rule = allow from name=a to name=b%d\n", i);
	snprintf(expected, sizeof(expected), ":%d: too many rules in [network web] (at most %d)",
		 CONF_MAX_RULES + 3, CONF_MAX_RULES);
	config_expect_error(text, expected);
	free(text);
}
END_TEST

/* inih's buffer holds a line of the longest length without its newline: lines still count right. */
START_TEST(test_longest_line)
{
	char text[1024], line[CONF_MAX_LINE + 1];
	size_t length;
	struct conf *conf;

	/* "members = " and addresses "10.0.0.N, " up to exactly CONF_MAX_LINE bytes */
	length = (size_t)snprintf(line, sizeof(line), "members = 10.0.0.1");
	for (int i = 2; length + 10 <= CONF_MAX_LINE - 8; i++)
		length += (size_t)snprintf(line + length, sizeof(line) - length, ", 10.0.0.%d", i);
	while (length < CONF_MAX_LINE - 8)
		line[length++] = ' ';
	length += (size_t)snprintf(line + length, sizeof(line) - length, ",fd00::1");
	ck_assert_uint_eq(length, CONF_MAX_LINE);
	snprintf(text, sizeof(text), "[set wide]\n%s\nmembers = 10.1.0.0/16\n", line);
	conf = config_expect_valid(text);
	ck_assert_str_eq(config_prefix_text(&conf->sets[0].members[conf->sets[0].member_count - 1]),
			 "10.1.0.0/16");
	ck_assert_str_eq(config_prefix_text(&conf->sets[0].members[conf->sets[0].member_count - 2]),
			 "fd00::1/128");
	conf_free(conf);
	snprintf(text, sizeof(text), "[set wide]\n%s\nbogus = 1\n", line);
	config_expect_error(text, ":3: unknown key \"bogus\" in [set wide]");
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
	tcase_add_test(tc, test_sets_and_published);
	tcase_add_test(tc, test_published_example);
	tcase_add_test(tc, test_published_defaults);
	tcase_add_test(tc, test_network_rules);
	tcase_add_test(tc, test_set_errors);
	tcase_add_test(tc, test_set_limits);
	tcase_add_test(tc, test_published_errors);
	tcase_add_test(tc, test_network_rule_errors);
	tcase_add_test(tc, test_too_many_rules);
	tcase_add_test(tc, test_longest_line);
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
