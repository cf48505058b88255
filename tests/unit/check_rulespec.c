/*
 * common/rulespec: the rule grammar and the dcfw.* / tjd.* policy labels.
 * DCFW's own examples must mean what its README says; what DCFW gets
 * wrong (one-character words dropped, ports without a protocol ignored,
 * any port number or host name passed on) must be refused or fixed here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/rulespec.h"

/* Parses text, which must succeed, into *rule. */
static void parse_ok(const char *text, struct rulespec_rule *rule)
{
	struct rulespec_error err;
	char message[RULESPEC_ERROR_TEXT_MAX];

	if (rulespec_parse_rule(text, rule, &err) < 0) {
		rulespec_error_format(&err, message, sizeof(message));
		ck_abort_msg("\"%s\": %s", text, message);
	}
}

/* Parses text, which must succeed, and returns its canonical form. */
static const char *canonical(const char *text)
{
	static char buf[RULESPEC_FORMAT_MAX];
	struct rulespec_rule rule;

	parse_ok(text, &rule);
	ck_assert_int_ge(rulespec_format_rule(&rule, buf, sizeof(buf)), 0);
	rulespec_rule_free(&rule);
	return buf;
}

/* Parses text, which must fail at column on word, the reason containing need. */
static void expect_error(const char *text, size_t column, const char *word, const char *need)
{
	struct rulespec_rule rule;
	struct rulespec_error err;

	memset(&err, 0, sizeof(err));
	ck_assert_msg(rulespec_parse_rule(text, &rule, &err) == -1, "accepted \"%s\"", text);
	ck_assert_msg(err.column == column, "\"%s\": column %zu, not %zu (%s)", text, err.column,
		      column, err.reason);
	ck_assert_msg(strcmp(err.word, word) == 0, "\"%s\": word \"%s\", not \"%s\"", text,
		      err.word, word);
	ck_assert_msg(strstr(err.reason, need) != NULL, "\"%s\": reason \"%s\" lacks \"%s\"", text,
		      err.reason, need);
	ck_assert_str_eq(err.key, "");
	ck_assert_ptr_null(rule.from.name);
	ck_assert_ptr_null(rule.to.name);
	ck_assert_ptr_null(rule.comment);
	rulespec_rule_free(&rule);
}

/* Checks an address clause is the network text (canonical "ADDR/LEN"). */
static void assert_net(const struct rulespec_address *address, const char *text)
{
	char buf[PREFIX_TEXT_MAX];

	ck_assert_int_eq(address->kind, RULESPEC_ADDRESS_NET);
	ck_assert_int_eq(prefix_format(&address->net, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, text);
}

/* Checks a port condition is the single range first-last. */
static void assert_port(const struct rulespec_ports *ports, unsigned first, unsigned last)
{
	ck_assert_uint_eq(ports->count, 1);
	ck_assert_uint_eq(ports->ranges[0].first, first);
	ck_assert_uint_eq(ports->ranges[0].last, last);
}

/* Reads labels given as "key=value" strings; returns what rulespec_parse_labels() does. */
static int parse_labels(const char *const *pairs, size_t count, struct rulespec_policy *policy,
			struct rulespec_error *err)
{
	struct rulespec_label labels[RULESPEC_RULES_MAX + 8];
	char *copies[RULESPEC_RULES_MAX + 8];
	int rc;

	ck_assert_uint_le(count, RULESPEC_RULES_MAX + 8);
	for (size_t i = 0; i < count; i++) {
		char *equals;
		copies[i] = strdup(pairs[i]);
		ck_assert_ptr_nonnull(copies[i]);
		equals = strchr(copies[i], '=');
		ck_assert_ptr_nonnull(equals);
		*equals = '\0';
		labels[i].key = copies[i];
		labels[i].value = equals + 1;
	}
	rc = rulespec_parse_labels(labels, count, policy, err);
	for (size_t i = 0; i < count; i++)
		free(copies[i]);
	return rc;
}

/* Reads labels that must fail; returns the formatted error. */
static const char *labels_error(const char *const *pairs, size_t count)
{
	static char message[RULESPEC_ERROR_TEXT_MAX];
	struct rulespec_policy policy;
	struct rulespec_error err;

	ck_assert_int_eq(parse_labels(pairs, count, &policy, &err), -1);
	ck_assert_ptr_null(policy.input.entries);
	ck_assert_ptr_null(policy.output.entries);
	ck_assert_ptr_null(policy.source);
	rulespec_error_format(&err, message, sizeof(message));
	return message;
}

/* What an error quotes of a long word: its first 61 bytes and "...". */
static const char *shown(const char *word)
{
	static char buf[RULESPEC_SHOWN_MAX + 1];

	snprintf(buf, sizeof(buf), "%.61s...", word);
	return buf;
}

/* Checks haystack contains needle. */
#define assert_contains(haystack, needle)                                                          \
	ck_assert_msg(strstr((haystack), (needle)) != NULL, "\"%s\" lacks \"%s\"", (haystack),     \
		      (needle))

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_dcfw_readme_rules)
{
	struct rulespec_rule rule;

	/* dcfw.input.rule.1 of the README */
	parse_ok("allow on eth0 proto tcp from 192.168.110.0/24 to any port 80", &rule);
	ck_assert_int_eq(rule.action, RULESPEC_ALLOW);
	ck_assert(!rule.log);
	ck_assert_str_eq(rule.iface, "eth0");
	ck_assert_int_eq(rule.proto, RULESPEC_PROTO_TCP);
	ck_assert_int_eq(rule.family, AF_INET);
	assert_net(&rule.from, "192.168.110.0/24");
	ck_assert_uint_eq(rule.from.ports.count, 0);
	ck_assert_int_eq(rule.to.kind, RULESPEC_ADDRESS_ANY);
	assert_port(&rule.to.ports, 80, 80);
	ck_assert_ptr_null(rule.comment);
	rulespec_rule_free(&rule);
	/* dcfw.input.rule.2 */
	parse_ok("allow on eth0 proto tcp from 172.16.64.0/24 to any port 80", &rule);
	assert_net(&rule.from, "172.16.64.0/24");
	assert_port(&rule.to.ports, 80, 80);
	rulespec_rule_free(&rule);
	/* dcfw.output.rule.1, both versions */
	parse_ok("allow proto tcp to 192.168.150.6 port 3306 comment \"Allow access to MariaDB\"",
		 &rule);
	ck_assert_str_eq(rule.iface, "");
	ck_assert_int_eq(rule.from.kind, RULESPEC_ADDRESS_ANY);
	assert_net(&rule.to, "192.168.150.6/32");
	assert_port(&rule.to.ports, 3306, 3306);
	ck_assert_str_eq(rule.comment, "Allow access to MariaDB");
	rulespec_rule_free(&rule);
	parse_ok(
	    "allow proto tcp to 192.168.150.6 port 8080 comment \"Allow communication to proxy\"",
	    &rule);
	assert_port(&rule.to.ports, 8080, 8080);
	ck_assert_str_eq(rule.comment, "Allow communication to proxy");
	rulespec_rule_free(&rule);
	/* the syntax line: every clause, and the protocols it names */
	parse_ok("reject log on eth1 proto udp from 1.2.3.4 port 53 to any port 1024-65535 comment "
		 "\"dns\"",
		 &rule);
	ck_assert_int_eq(rule.action, RULESPEC_REJECT);
	ck_assert(rule.log);
	ck_assert_int_eq(rule.proto, RULESPEC_PROTO_UDP);
	assert_net(&rule.from, "1.2.3.4/32");
	assert_port(&rule.from.ports, 53, 53);
	assert_port(&rule.to.ports, 1024, 65535);
	rulespec_rule_free(&rule);
	parse_ok("deny proto igmp", &rule);
	ck_assert_int_eq(rule.action, RULESPEC_DENY);
	ck_assert_int_eq(rule.proto, RULESPEC_PROTO_IGMP);
	ck_assert_int_eq(rule.family, AF_INET);
	rulespec_rule_free(&rule);
	/* "any (for any host, which is equivalent to 0.0.0.0/0)", and here to ::/0 too */
	parse_ok("allow from any to any", &rule);
	ck_assert_int_eq(rule.from.kind, RULESPEC_ADDRESS_ANY);
	ck_assert_int_eq(rule.to.kind, RULESPEC_ADDRESS_ANY);
	ck_assert_int_eq(rule.family, 0);
	rulespec_rule_free(&rule);
}
END_TEST

START_TEST(test_dcfw_readme_labels)
{
	/* the README's docker-compose example, the map form and the list form alike */
	static const char *const labels[] = {
	    "dcfw.enable=true",
	    "dcfw.input.policy=deny",
	    "dcfw.input.rule.1=allow on eth0 proto tcp from 192.168.110.0/24 to any port 80",
	    "dcfw.input.rule.2=allow on eth0 proto tcp from 172.16.64.0/24 to any port 80",
	    "dcfw.output.policy=deny",
	    "dcfw.output.rule.1=allow proto tcp to 192.168.150.6 port 3306 comment \"Allow access "
	    "to MariaDB\"",
	    "com.docker.compose.project=web",
	};
	struct rulespec_policy policy;
	struct rulespec_error err;

	ck_assert_int_eq(parse_labels(labels, COUNT(labels), &policy, &err), 1);
	ck_assert_str_eq(policy.source, "dcfw");
	ck_assert(policy.enabled);
	ck_assert_int_eq(policy.input_policy, RULESPEC_DENY);
	ck_assert_int_eq(policy.output_policy, RULESPEC_DENY);
	ck_assert_uint_eq(policy.input.count, 2);
	ck_assert_uint_eq(policy.input.entries[0].number, 1);
	assert_net(&policy.input.entries[0].rule.from, "192.168.110.0/24");
	ck_assert_uint_eq(policy.input.entries[1].number, 2);
	assert_net(&policy.input.entries[1].rule.from, "172.16.64.0/24");
	ck_assert_uint_eq(policy.output.count, 1);
	ck_assert_str_eq(policy.output.entries[0].rule.comment, "Allow access to MariaDB");
	rulespec_policy_free(&policy);
	/* the defaults: input deny, output allow */
	ck_assert_int_eq(parse_labels(labels, 1, &policy, &err), 1);
	ck_assert_int_eq(policy.input_policy, RULESPEC_DENY);
	ck_assert_int_eq(policy.output_policy, RULESPEC_ALLOW);
	ck_assert_uint_eq(policy.input.count + policy.output.count, 0);
	rulespec_policy_free(&policy);
}
END_TEST

START_TEST(test_dcfw_defects)
{
	struct rulespec_rule rule;

	/* DCFW drops one-character words: "port 8" and "on e" are words here */
	parse_ok("allow on e proto tcp to any port 8", &rule);
	ck_assert_str_eq(rule.iface, "e");
	assert_port(&rule.to.ports, 8, 8);
	rulespec_rule_free(&rule);
	parse_ok("allow proto udp from 1.2.3.4 port 1 comment x", &rule);
	assert_port(&rule.from.ports, 1, 1);
	ck_assert_str_eq(rule.comment, "x");
	rulespec_rule_free(&rule);
	/* DCFW ignores a port without a protocol and matches everything */
	expect_error("allow to any port 80", 14, "port", "a port needs proto tcp, udp or sctp");
	expect_error("allow from 10.0.0.1 port 22", 21, "port", "needs proto tcp");
	expect_error("allow proto icmp to any port 80", 25, "port", "not icmp");
	expect_error("allow proto any to any port 80", 24, "port", "needs proto");
	/* DCFW hands any number to iptables */
	expect_error("deny to any port 99999", 18, "99999", "port out of range 1-65535");
	expect_error("deny proto tcp to any port 0", 28, "0", "port out of range 1-65535");
	/* and any host name, resolved once at start */
	expect_error("allow from example.com", 12, "example.com", "hostnames are not allowed");
	expect_error("allow proto tcp to db port 5432", 20, "db",
		     "hostnames are not allowed; use an address, a network, `container NAME` or "
		     "`label K=V`");
	expect_error("allow from localhost", 12, "localhost", "hostnames");
	expect_error("allow to my_db-1", 10, "my_db-1", "hostnames");
	/* and garbage */
	expect_error("allow from 10.0.0.256", 12, "10.0.0.256", "not a valid IPv4 address");
	expect_error("allow from 1.2.3", 12, "1.2.3", "not a valid IPv4 address");
	expect_error("allow from 1.2.3.4.5", 12, "1.2.3.4.5", "IPv4");
	expect_error("allow from 010.0.0.1", 12, "010.0.0.1", "IPv4");
	expect_error("allow to ::g", 10, "::g", "not a valid IPv6 address");
	expect_error("allow to fe80::1%eth0", 10, "fe80::1%eth0", "IPv6");
	expect_error("allow to 1:2:3:4:5:6:7:8:9", 10, "1:2:3:4:5:6:7:8:9", "IPv6");
	expect_error("allow to 10.0.0.0/", 10, "10.0.0.0/", "prefix length");
	expect_error("allow to 10.0.0.0/33", 10, "10.0.0.0/33", "/0 to /32");
	expect_error("allow to fd00::/129", 10, "fd00::/129", "/0 to /128");
	expect_error("allow to 10.0.0.0/+8", 10, "10.0.0.0/+8", "prefix length");
	expect_error("allow to /24", 10, "/24", "not an address");
	expect_error("allow to a,b", 10, "a,b", "not an address");
}
END_TEST

START_TEST(test_networks)
{
	struct rulespec_rule rule;

	/* host bits are an error naming the network */
	expect_error("allow from 10.0.0.1/24", 12, "10.0.0.1/24",
		     "host bits set; the network is 10.0.0.0/24");
	expect_error("allow from fd00::1/64", 12, "fd00::1/64", "the network is fd00::/64");
	expect_error("allow from 192.168.1.128/24", 12, "192.168.1.128/24", "192.168.1.0/24");
	parse_ok("allow from 0.0.0.0/0 to 10.0.0.0/8", &rule);
	assert_net(&rule.from, "0.0.0.0/0");
	assert_net(&rule.to, "10.0.0.0/8");
	ck_assert_int_eq(rule.family, AF_INET);
	rulespec_rule_free(&rule);
	parse_ok("allow from 10.1.2.3/32", &rule);
	assert_net(&rule.from, "10.1.2.3/32");
	rulespec_rule_free(&rule);
	/* IPv6 addresses and networks */
	parse_ok("allow proto tcp from fd00::/8 to 2001:DB8::1 port 443", &rule);
	assert_net(&rule.from, "fd00::/8");
	assert_net(&rule.to, "2001:db8::1/128");
	ck_assert_int_eq(rule.family, AF_INET6);
	rulespec_rule_free(&rule);
	parse_ok("allow from ::/0 to ::ffff:10.0.0.1", &rule);
	assert_net(&rule.from, "::/0");
	assert_net(&rule.to, "::ffff:10.0.0.1/128");
	rulespec_rule_free(&rule);
	parse_ok("allow from 2001:db8:0:0:0:0:0:0/32", &rule);
	assert_net(&rule.from, "2001:db8::/32");
	rulespec_rule_free(&rule);
	parse_ok("allow proto icmpv6 from fe80::/10", &rule);
	ck_assert_int_eq(rule.proto, RULESPEC_PROTO_ICMPV6);
	rulespec_rule_free(&rule);
	ck_assert_str_eq(canonical("allow proto ipv6-icmp to fd00::1"),
			 "allow proto icmpv6 to fd00::1");
	/* one family per rule: any and names are both */
	expect_error("allow from 10.0.0.1 to fd00::1", 24, "fd00::1",
		     "to is IPv6, but from is IPv4");
	expect_error("allow to fd00::1 from 10.0.0.0/8", 23, "10.0.0.0/8",
		     "from is IPv4, but to is IPv6");
	expect_error("allow proto icmp from fd00::1", 23, "fd00::1",
		     "from is IPv6, but proto icmp is IPv4");
	expect_error("allow to 10.0.0.1 proto icmpv6", 25, "icmpv6",
		     "proto icmpv6 is IPv6, but to is IPv4");
	expect_error("allow to 10.0.0.1 proto ipv6-icmp", 25, "ipv6-icmp", "proto icmpv6 is IPv6");
	expect_error("allow proto igmp to fd00::1", 21, "fd00::1", "proto igmp is IPv4");
	parse_ok("allow proto icmp from any to container web", &rule);
	ck_assert_int_eq(rule.family, AF_INET);
	rulespec_rule_free(&rule);
	parse_ok("allow from 10.0.0.1 to @v6hosts", &rule);
	ck_assert_int_eq(rule.family, AF_INET);
	rulespec_rule_free(&rule);
	parse_ok("allow proto tcp to label app=db port 5432", &rule);
	ck_assert_int_eq(rule.family, 0);
	rulespec_rule_free(&rule);
}
END_TEST

START_TEST(test_ports)
{
	struct rulespec_rule rule;
	char many[512];

	parse_ok("allow proto tcp to any port 80,443", &rule);
	ck_assert_uint_eq(rule.to.ports.count, 2);
	ck_assert_uint_eq(rule.to.ports.ranges[0].first, 80);
	ck_assert_uint_eq(rule.to.ports.ranges[1].first, 443);
	rulespec_rule_free(&rule);
	parse_ok("allow proto sctp to any port 8000-8080", &rule);
	assert_port(&rule.to.ports, 8000, 8080);
	rulespec_rule_free(&rule);
	parse_ok("allow proto udp to any port 1-65535", &rule);
	assert_port(&rule.to.ports, 1, 65535);
	rulespec_rule_free(&rule);
	/* a port after other clauses belongs to the address read last */
	ck_assert_str_eq(
	    canonical("allow from label app=tautulli to name=plex proto tcp port 32400"),
	    "allow proto tcp from label=app=tautulli to name=plex port 32400");
	ck_assert_str_eq(canonical("allow from 10.0.0.0/8 proto udp port 53 to any"),
			 "allow proto udp from 10.0.0.0/8 port 53");
	/* sorted; a range of one port is the port */
	ck_assert_str_eq(canonical("allow proto tcp to any port 8000-8080,443,80,22-22"),
			 "allow proto tcp to any port 22,80,443,8000-8080");
	ck_assert_str_eq(canonical("allow proto tcp to any port 00080,65535"),
			 "allow proto tcp to any port 80,65535");
	/* adjacent is fine, overlapping is not */
	ck_assert_str_eq(canonical("allow proto tcp to any port 81,80"),
			 "allow proto tcp to any port 80,81");
	expect_error("allow proto tcp to any port 80,80", 32, "80", "overlaps 80");
	expect_error("allow proto tcp to any port 85,80-90", 32, "80-90", "overlaps 85");
	expect_error("allow proto tcp to any port 80-90,100,85", 39, "85", "overlaps 80-90");
	/* bad items, each pointed at */
	expect_error("allow proto tcp to any port 80,99999", 32, "99999", "out of range");
	expect_error("allow proto tcp to any port 65536", 29, "65536", "out of range");
	expect_error("allow proto tcp to any port 123456789012345678901234", 29,
		     "123456789012345678901234", "out of range");
	expect_error("allow proto tcp to any port 0-80", 29, "0-80", "out of range");
	expect_error("allow proto tcp to any port +80", 29, "+80", "not a port");
	expect_error("allow proto tcp to any port -80", 29, "-80", "not a port");
	expect_error("allow proto tcp to any port 80-", 29, "80-", "not a port");
	expect_error("allow proto tcp to any port 80-90-100", 29, "80-90-100", "not a port");
	expect_error("allow proto tcp to any port http", 29, "http", "not a port");
	expect_error("allow proto tcp to any port 8O", 29, "8O", "not a port");
	expect_error("allow proto tcp to any port 90-80", 29, "90-80", "backwards");
	expect_error("allow proto tcp to any port 80,", 32, "", "empty item");
	expect_error("allow proto tcp to any port ,80", 29, "", "empty item");
	expect_error("allow proto tcp to any port 80,,81", 32, "", "empty item");
	expect_error("allow proto tcp to any port", 24, "port", "expected ports after port");
	expect_error("allow proto tcp to any port 80 port 81", 32, "port",
		     "to has a port clause already");
	expect_error("allow proto tcp port 80", 17, "port", "port must follow");
	expect_error("allow from any port 1 proto tcp port 2", 33, "port",
		     "from has a port clause already");
	/* at most RULESPEC_PORTS_MAX items */
	strcpy(many, "allow proto tcp to any port 1");
	for (int i = 2; i <= RULESPEC_PORTS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",%d", i);
	parse_ok(many, &rule);
	ck_assert_uint_eq(rule.to.ports.count, RULESPEC_PORTS_MAX);
	rulespec_rule_free(&rule);
	strcat(many, ",1000");
	expect_error(many, strlen(many) - 3, "1000", "more than 32 ports");
}
END_TEST

START_TEST(test_names)
{
	struct rulespec_rule rule;
	char name[RULESPEC_CONTAINER_MAX + 40];

	parse_ok("allow proto tcp from container /traefik to container web.1_a-b port 80", &rule);
	ck_assert_int_eq(rule.from.kind, RULESPEC_ADDRESS_CONTAINER);
	ck_assert_str_eq(rule.from.name, "traefik");
	ck_assert_int_eq(rule.to.kind, RULESPEC_ADDRESS_CONTAINER);
	ck_assert_str_eq(rule.to.name, "web.1_a-b");
	rulespec_rule_free(&rule);
	/* a container named like a keyword is still a container */
	parse_ok("allow from container log", &rule);
	ck_assert_str_eq(rule.from.name, "log");
	rulespec_rule_free(&rule);
	expect_error("allow from container -web", 22, "-web", "not a container name");
	expect_error("allow from container /", 22, "/", "not a container name");
	expect_error("allow from container //web", 22, "//web", "not a container name");
	expect_error("allow from container we:b", 22, "we:b", "not a container name");
	expect_error("allow from container caf\xc3\xa9", 22, "caf??", "not a container name");
	expect_error("allow from container", 12, "container", "expected a container name");
	memset(name, 'c', sizeof(name));
	memcpy(name, "allow from container ", 21);
	name[21 + RULESPEC_CONTAINER_MAX] = '\0';
	parse_ok(name, &rule);
	ck_assert_uint_eq(strlen(rule.from.name), RULESPEC_CONTAINER_MAX);
	rulespec_rule_free(&rule);
	name[21 + RULESPEC_CONTAINER_MAX] = 'c';
	name[21 + RULESPEC_CONTAINER_MAX + 1] = '\0';
	expect_error(name, 22, shown(name + 21), "longer than 128");
	/* label KEY[=VALUE] is the filter term label=KEY[=VALUE] */
	parse_ok("allow from label app=tautulli to label tjd.web", &rule);
	ck_assert_int_eq(rule.from.kind, RULESPEC_ADDRESS_FILTER);
	ck_assert_str_eq(rule.from.name, "label=app=tautulli");
	ck_assert_str_eq(rule.to.name, "label=tjd.web");
	rulespec_rule_free(&rule);
	ck_assert_str_eq(canonical("allow from label app=x"), "allow from label=app=x");
	expect_error("allow from label =x", 18, "=x", "empty label key");
	expect_error("allow from label", 12, "label", "expected a label KEY");
	/* docker ps filter terms, for tjd.conf */
	parse_ok("allow from name=plex to label=app=tautulli", &rule);
	ck_assert_int_eq(rule.from.kind, RULESPEC_ADDRESS_FILTER);
	ck_assert_str_eq(rule.from.name, "name=plex");
	ck_assert_str_eq(rule.to.name, "label=app=tautulli");
	rulespec_rule_free(&rule);
	parse_ok("allow from ancestor=traefik:v3", &rule);
	ck_assert_str_eq(rule.from.name, "ancestor=traefik:v3");
	rulespec_rule_free(&rule);
	expect_error("allow from colour=red", 12, "colour=red", "unknown filter key");
	expect_error("allow from =red", 12, "=red", "unknown filter key");
	expect_error("allow from name=", 12, "name=", "empty value");
	expect_error("allow from label==x", 12, "label==x", "empty label key");
	expect_error("allow from status=sleeping", 12, "status=sleeping", "unknown status");
	/* address sets */
	parse_ok("allow to @trusted_hosts-1", &rule);
	ck_assert_int_eq(rule.to.kind, RULESPEC_ADDRESS_SET);
	ck_assert_str_eq(rule.to.name, "trusted_hosts-1");
	rulespec_rule_free(&rule);
	parse_ok("allow to @abcdefghijklmnopqrstuvwxyz012345", &rule);
	rulespec_rule_free(&rule);
	expect_error("allow to @abcdefghijklmnopqrstuvwxyz0123456", 10,
		     "@abcdefghijklmnopqrstuvwxyz0123456", "1-32 bytes");
	expect_error("allow to @", 10, "@", "1-32 bytes");
	expect_error("allow to @a.b", 10, "@a.b", "not an address set name");
	/* a missing address is not an address called "port" */
	expect_error("allow proto tcp from port 80", 17, "from", "expected an address after from");
	expect_error("allow to", 7, "to", "expected an address after to");
}
END_TEST

START_TEST(test_interfaces_and_protocols)
{
	struct rulespec_rule rule;

	parse_ok("allow on abcdefghijklmno", &rule);
	ck_assert_str_eq(rule.iface, "abcdefghijklmno");
	rulespec_rule_free(&rule);
	parse_ok("allow on eth0.100", &rule);
	rulespec_rule_free(&rule);
	expect_error("allow on abcdefghijklmnop", 10, "abcdefghijklmnop", "not an interface name");
	expect_error("allow on a/b", 10, "a/b", "not an interface name");
	expect_error("allow on eth0:1", 10, "eth0:1", "not an interface name");
	expect_error("allow on .", 10, ".", "not an interface name");
	expect_error("allow on ..", 10, "..", "not an interface name");
	expect_error("allow on \xc3\xa9th0", 10, "??th0", "not an interface name");
	expect_error("allow on", 7, "on", "expected an interface name");
	ck_assert_str_eq(canonical("allow proto all"), "allow");
	ck_assert_str_eq(canonical("allow proto any"), "allow");
	ck_assert_str_eq(canonical("allow proto sctp"), "allow proto sctp");
	expect_error("allow proto gre", 13, "gre", "unknown protocol");
	expect_error("allow proto TCP", 13, "TCP", "unknown protocol");
	expect_error("allow proto 6", 13, "6", "unknown protocol");
	expect_error("allow proto", 7, "proto", "expected a protocol");
}
END_TEST

START_TEST(test_comments)
{
	struct rulespec_rule rule;
	char text[RULESPEC_COMMENT_MAX + 64];

	parse_ok("allow comment \"  spaced  out  \"", &rule);
	ck_assert_str_eq(rule.comment, "  spaced  out  ");
	rulespec_rule_free(&rule);
	parse_ok("allow comment \"say \\\"hi\\\" \\\\o/\"", &rule);
	ck_assert_str_eq(rule.comment, "say \"hi\" \\o/");
	rulespec_rule_free(&rule);
	ck_assert_str_eq(canonical("allow comment \"say \\\"hi\\\" \\\\o/\""),
			 "allow comment \"say \\\"hi\\\" \\\\o/\"");
	parse_ok("allow comment caf\xc3\xa9", &rule);
	ck_assert_str_eq(rule.comment, "caf\xc3\xa9");
	rulespec_rule_free(&rule);
	ck_assert_str_eq(canonical("allow comment plain"), "allow comment \"plain\"");
	/* the clause may come first, and a quoted comment may hold keywords */
	ck_assert_str_eq(canonical("allow comment \"to any port\" proto tcp"),
			 "allow proto tcp comment \"to any port\"");
	expect_error("allow comment \"a\\nb\"", 17, "\\n", "unknown escape");
	expect_error("allow comment \"a\\", 17, "\\", "unknown escape");
	expect_error("allow comment \"open to any", 15, "\"open to any", "closing quote");
	expect_error("allow comment \"a\"b", 18, "b", "expected a space after the comment");
	expect_error("allow comment \"a\tb\"", 17, "?", "control character (tab)");
	expect_error("allow comment \"\"", 15, "\"\"", "empty comment");
	expect_error("allow comment", 7, "comment", "expected text after comment");
	expect_error("allow comment   ", 7, "comment", "expected text after comment");
	expect_error("allow comment a\"b", 15, "a\"b", "must be quoted");
	expect_error("allow comment a\\b", 15, "a\\b", "must be quoted");
	expect_error("allow comment \"a\" comment \"b\"", 19, "comment", "comment given twice");
	/* C1 controls (U+0085 here) are controls too */
	expect_error("allow comment \"a\xc2\x85\"", 17, "\"a??\"", "control character");
	/* at most RULESPEC_COMMENT_MAX bytes, unescaped */
	memset(text, 'x', sizeof(text));
	memcpy(text, "allow comment \"", 15);
	memcpy(text + 15 + RULESPEC_COMMENT_MAX, "\"", 2);
	parse_ok(text, &rule);
	ck_assert_uint_eq(strlen(rule.comment), RULESPEC_COMMENT_MAX);
	rulespec_rule_free(&rule);
	memcpy(text + 15 + RULESPEC_COMMENT_MAX - 1, "\\\"\"", 4);
	parse_ok(text, &rule);
	ck_assert_uint_eq(strlen(rule.comment), RULESPEC_COMMENT_MAX);
	rulespec_rule_free(&rule);
	memset(text + 15, 'x', RULESPEC_COMMENT_MAX + 1);
	memcpy(text + 15 + RULESPEC_COMMENT_MAX + 1, "\"", 2);
	expect_error(text, 15, shown(text + 14), "longer than 128 bytes");
}
END_TEST

START_TEST(test_words)
{
	struct rulespec_rule rule;
	char text[RULESPEC_RULE_MAX + 2];

	/* spaces and tabs, any number, either end */
	ck_assert_str_eq(canonical(" \tdeny\t\tproto  tcp  to any port 22 \t"),
			 "deny proto tcp to any port 22");
	/* the clauses in any order, each once */
	ck_assert_str_eq(canonical("allow to any port 80 comment web proto tcp log on eth0 from "
				   "10.0.0.0/8"),
			 "allow log on eth0 proto tcp from 10.0.0.0/8 to any port 80 comment "
			 "\"web\"");
	ck_assert_str_eq(canonical("allow"), "allow");
	ck_assert_str_eq(canonical("allow from any port 1 proto udp"),
			 "allow proto udp from any port 1");
	expect_error("", 0, "", "empty rule");
	expect_error(" \t ", 0, "", "empty rule");
	expect_error("Allow", 1, "Allow", "unknown action");
	expect_error("permit from any", 1, "permit", "a rule starts with allow, deny or reject");
	expect_error("allow allow", 7, "allow", "unexpected word");
	expect_error("allow tcp", 7, "tcp", "expected log, on, proto, from, to or comment");
	expect_error("allow proto tcp proto udp", 17, "proto",
		     "proto given twice (first at column 7)");
	expect_error("allow from any from any", 16, "from", "from given twice");
	expect_error("allow to any to any", 14, "to", "to given twice");
	expect_error("allow log log", 11, "log", "log given twice");
	expect_error("allow on a on b", 12, "on", "on given twice");
	expect_error("allow from any to any extra", 23, "extra", "unexpected word");
	/* control characters and malformed UTF-8, wherever they are */
	expect_error("allow from a\x01"
		     "b",
		     13, "a?b", "control character");
	expect_error("allow\nfrom any", 6, "allow?from", "control character");
	expect_error("allow\rfrom any", 6, "allow?from", "control character");
	expect_error("allow \x7f", 7, "?", "control character");
	expect_error("allow \x1b[31m", 7, "?[31m", "control character");
	expect_error("allow comment \"\xff\"", 16, "\"?\"", "not valid UTF-8");
	expect_error("allow comment \"\xc0\xaf\"", 16, "\"??\"", "not valid UTF-8");
	expect_error("allow comment \"\xed\xa0\x80\"", 16, "\"???\"", "not valid UTF-8");
	/* at most RULESPEC_RULE_MAX bytes */
	memset(text, ' ', sizeof(text));
	memcpy(text, "allow", 5);
	text[RULESPEC_RULE_MAX] = '\0';
	parse_ok(text, &rule);
	rulespec_rule_free(&rule);
	text[RULESPEC_RULE_MAX] = ' ';
	text[RULESPEC_RULE_MAX + 1] = '\0';
	expect_error(text, 0, "", "rule longer than 1024 bytes (1025)");
}
END_TEST

START_TEST(test_error_format)
{
	static const char *const rule_label[] = {"dcfw.enable=true",
						 "dcfw.input.rule.10=deny to any port 99999"};
	static const char *const enable_label[] = {"dcfw.enable=maybe"};
	static const char *const shown_label[] = {"tjd.enable=1", "tjd.input.rule.1\x1b[2J=deny"};
	struct rulespec_rule rule;
	struct rulespec_error err;
	char message[RULESPEC_ERROR_TEXT_MAX];
	size_t length;

	ck_assert_str_eq(labels_error(rule_label, 2),
			 "label dcfw.input.rule.10, column 18 (\"99999\"): port out of range "
			 "1-65535");
	ck_assert_str_eq(labels_error(enable_label, 1),
			 "label dcfw.enable (\"maybe\"): expected true or false (or yes/no, "
			 "on/off, 1/0)");
	/* label keys and words are shown safe to log */
	ck_assert_str_eq(labels_error(shown_label, 2),
			 "label tjd.input.rule.1?[2J: rule number N must be decimal digits");
	ck_assert_int_eq(rulespec_parse_rule("allow from \xc3\xa9x", &rule, &err), -1);
	length = rulespec_error_format(&err, message, sizeof(message));
	ck_assert_str_eq(message, "column 12 (\"??x\"): not an address; expected any, an address, "
				  "a network, container NAME, label K=V, a filter term or @SET");
	ck_assert_uint_eq(length, strlen(message));
	ck_assert_int_eq(rulespec_parse_rule("", &rule, &err), -1);
	rulespec_error_format(&err, message, sizeof(message));
	ck_assert_str_eq(message, "empty rule");
	/* cut to the buffer */
	ck_assert_int_eq(rulespec_parse_rule("deny to any port 99999", &rule, &err), -1);
	length = rulespec_error_format(&err, message, 10);
	ck_assert_str_eq(message, "column 18");
	ck_assert_uint_eq(length, 9);
	ck_assert_uint_eq(rulespec_error_format(&err, message, 0), 0);
	/* a NULL error is allowed */
	ck_assert_int_eq(rulespec_parse_rule("nope", &rule, NULL), -1);
}
END_TEST

START_TEST(test_labels_prefixes)
{
	static const char *const tjd[] = {
	    "tjd.enable=yes",
	    "tjd.output.policy=deny",
	    "tjd.output.rule.5=allow proto udp to any port 53",
	    "tjd.allow=true", /* an allow filter's label, not the policy's */
	    "tjd.anything.else=x",
	    "dcfwx.enable=nonsense",
	    "dcfw=1",
	};
	static const char *const both[] = {"dcfw.enable=true", "tjd.input.rule.1=allow"};
	static const char *const both_late[] = {"tjd.enable=true", "com.x=y",
						"dcfw.input.policy=allow"};
	static const char *const tjd_only_other[] = {"tjd.allow=true", "tjd.inptu.policy=allow"};
	static const char *const none[] = {"com.docker.compose.service=web"};
	static const char *const tjd_unknown[] = {"tjd.enable=true", "tjd.input.rules.1=allow"};
	static const char *const dcfw_and_tjd_allow[] = {"dcfw.enable=true", "tjd.allow=true"};
	struct rulespec_policy policy;
	struct rulespec_error err;

	ck_assert_int_eq(parse_labels(tjd, COUNT(tjd), &policy, &err), 1);
	ck_assert_str_eq(policy.source, "tjd");
	ck_assert_int_eq(policy.input_policy, RULESPEC_DENY);
	ck_assert_int_eq(policy.output_policy, RULESPEC_DENY);
	ck_assert_uint_eq(policy.output.count, 1);
	ck_assert_uint_eq(policy.output.entries[0].number, 5);
	rulespec_policy_free(&policy);
	assert_contains(labels_error(both, 2),
			"label tjd.input.rule.1: dcfw. and tjd. policy labels on one container "
			"(also dcfw.enable); use one prefix");
	assert_contains(labels_error(both_late, 3), "label dcfw.input.policy: dcfw. and tjd.");
	assert_contains(labels_error(tjd_unknown, 2),
			"label tjd.input.rules.1: unknown policy label");
	/* tjd.* labels outside the policy's keys are someone else's */
	ck_assert_int_eq(parse_labels(tjd_only_other, 2, &policy, &err), 0);
	ck_assert_ptr_null(policy.source);
	ck_assert_int_eq(parse_labels(none, 1, &policy, &err), 0);
	ck_assert_ptr_null(policy.source);
	ck_assert_int_eq(rulespec_parse_labels(NULL, 0, &policy, &err), 0);
	ck_assert_int_eq(parse_labels(dcfw_and_tjd_allow, 2, &policy, &err), 1);
	ck_assert_str_eq(policy.source, "dcfw");
	rulespec_policy_free(&policy);
}
END_TEST

START_TEST(test_labels_enable)
{
	static const char *const yes[] = {"true", "TRUE", "True", "yes", "Yes", "on", "1"};
	static const char *const no[] = {"false", "FALSE", "no", "NO", "off", "0"};
	static const char *const bad[] = {"maybe", "", " true", "true ", "2", "t", "y", "enable"};
	static const char *const disabled[] = {"dcfw.enable=false", "dcfw.input.policy=perhaps",
					       "dcfw.input.rule.1=allow from nowhere.example",
					       "dcfw.output.rule.1=nonsense"};
	static const char *const disabled_unknown[] = {"dcfw.enable=false",
						       "dcfw.inptu.policy=deny"};
	static const char *const no_enable[] = {"dcfw.input.policy=allow",
						"dcfw.input.rule.1=allow from nowhere.example"};
	static const char *const no_enable_unknown[] = {"dcfw.enabel=true"};
	struct rulespec_policy policy;
	struct rulespec_error err;
	char pair[64];
	const char *pairs[1] = {pair};

	for (size_t i = 0; i < COUNT(yes); i++) {
		snprintf(pair, sizeof(pair), "dcfw.enable=%s", yes[i]);
		ck_assert_msg(parse_labels(pairs, 1, &policy, &err) == 1, "%s", pair);
		ck_assert(policy.enabled);
		rulespec_policy_free(&policy);
	}
	for (size_t i = 0; i < COUNT(no); i++) {
		snprintf(pair, sizeof(pair), "tjd.enable=%s", no[i]);
		ck_assert_msg(parse_labels(pairs, 1, &policy, &err) == 0, "%s", pair);
		ck_assert_str_eq(policy.source, "tjd");
		ck_assert(!policy.enabled);
		rulespec_policy_free(&policy);
	}
	for (size_t i = 0; i < COUNT(bad); i++) {
		snprintf(pair, sizeof(pair), "dcfw.enable=%s", bad[i]);
		assert_contains(labels_error(pairs, 1), "expected true or false");
	}
	/* disabled: nothing else is read, so disabling always works; keys are still checked */
	ck_assert_int_eq(parse_labels(disabled, COUNT(disabled), &policy, &err), 0);
	ck_assert(!policy.enabled);
	ck_assert_ptr_null(policy.input.entries);
	rulespec_policy_free(&policy);
	assert_contains(labels_error(disabled_unknown, 2), "label dcfw.inptu.policy: unknown");
	/* no enable label: no policy, as with DCFW; but a misspelt one is an error */
	ck_assert_int_eq(parse_labels(no_enable, COUNT(no_enable), &policy, &err), 0);
	ck_assert_str_eq(policy.source, "dcfw");
	ck_assert(!policy.enabled);
	rulespec_policy_free(&policy);
	assert_contains(labels_error(no_enable_unknown, 1), "label dcfw.enabel: unknown policy");
}
END_TEST

START_TEST(test_labels_keys)
{
	static const char *const unknown[] = {
	    "dcfw.input.rules.1",
	    "dcfw.inptu.policy",
	    "dcfw.Enable",
	    "dcfw.input",
	    "dcfw.",
	    "dcfw.input.rule",
	    "dcfw.output.policy.1",
	    "dcfw.input.Policy",
	    "dcfw.forward.rule.1",
	};
	static const char *const bad_numbers[] = {
	    "dcfw.input.rule.",	    "dcfw.input.rule.-1", "dcfw.input.rule.+1",
	    "dcfw.input.rule.1a",   "dcfw.input.rule. 1", "dcfw.input.rule.0x1",
	    "dcfw.output.rule.1.5",
	};
	static const char *const big[] = {"dcfw.enable=true", "dcfw.input.rule.2147483647=deny",
					  "dcfw.input.rule.0=allow",
					  "dcfw.input.rule.000000000000000000000000007=reject"};
	static const char *const too_big[] = {"dcfw.input.rule.2147483648=deny"};
	static const char *const huge[] = {"dcfw.input.rule.99999999999999999999999=deny"};
	static const char *const same_n[] = {"dcfw.enable=true", "dcfw.input.rule.01=allow",
					     "dcfw.input.rule.1=deny"};
	static const char *const same_n_other_way[] = {"dcfw.output.rule.1=deny",
						       "dcfw.input.rule.1=allow"};
	static const char *const repeated[] = {"dcfw.enable=true", "dcfw.enable=true"};
	static const char *const repeated_policy[] = {"dcfw.output.policy=deny",
						      "dcfw.output.policy=allow"};
	static const char *const bad_policy[] = {"dcfw.enable=true", "dcfw.input.policy=reject"};
	static const char *const bad_policy_case[] = {"dcfw.enable=true",
						      "dcfw.output.policy=Allow"};
	static const char *const bad_rule[] = {"dcfw.enable=true", "dcfw.input.rule.1=allow",
					       "dcfw.output.rule.7=allow proto tcp port 80"};
	struct rulespec_policy policy;
	struct rulespec_error err;
	char pair[128];
	const char *pairs[1] = {pair};

	for (size_t i = 0; i < COUNT(unknown); i++) {
		snprintf(pair, sizeof(pair), "%s=allow", unknown[i]);
		assert_contains(labels_error(pairs, 1), "unknown policy label");
	}
	for (size_t i = 0; i < COUNT(bad_numbers); i++) {
		snprintf(pair, sizeof(pair), "%s=allow", bad_numbers[i]);
		assert_contains(labels_error(pairs, 1), "rule number N must be decimal digits");
	}
	ck_assert_int_eq(parse_labels(big, COUNT(big), &policy, &err), 1);
	ck_assert_uint_eq(policy.input.count, 3);
	ck_assert_uint_eq(policy.input.entries[0].number, 0);
	ck_assert_uint_eq(policy.input.entries[1].number, 7);
	ck_assert_int_eq(policy.input.entries[1].rule.action, RULESPEC_REJECT);
	ck_assert_uint_eq(policy.input.entries[2].number, RULESPEC_NUMBER_MAX);
	rulespec_policy_free(&policy);
	assert_contains(labels_error(too_big, 1), "rule number above 2147483647");
	assert_contains(labels_error(huge, 1), "rule number above 2147483647");
	ck_assert_str_eq(labels_error(same_n, COUNT(same_n)),
			 "label dcfw.input.rule.1: rule number 1 given twice (also "
			 "dcfw.input.rule.01)");
	/* one N in each direction is fine */
	ck_assert_int_eq(parse_labels(same_n_other_way, 2, &policy, &err), 0);
	ck_assert_ptr_nonnull(policy.source);
	ck_assert_str_eq(labels_error(repeated, 2), "label dcfw.enable: label given twice");
	/* a NULL error is allowed */
	ck_assert_int_eq(parse_labels(repeated, 2, &policy, NULL), -1);
	ck_assert_ptr_null(policy.source);
	ck_assert_str_eq(labels_error(repeated_policy, 2),
			 "label dcfw.output.policy: label given twice");
	ck_assert_str_eq(labels_error(bad_policy, 2),
			 "label dcfw.input.policy (\"reject\"): expected allow or deny");
	assert_contains(labels_error(bad_policy_case, 2), "(\"Allow\"): expected allow or deny");
	ck_assert_str_eq(labels_error(bad_rule, COUNT(bad_rule)),
			 "label dcfw.output.rule.7, column 17 (\"port\"): port must follow the "
			 "address of from or to");
}
END_TEST

START_TEST(test_labels_order)
{
	static const char *const labels[] = {
	    "dcfw.output.rule.3=deny to 10.0.0.0/8",	 "dcfw.input.rule.10=allow comment ten",
	    "dcfw.input.rule.2=allow comment two",	 "dcfw.enable=1",
	    "dcfw.input.rule.100=allow comment hundred", "dcfw.input.rule.1=allow comment one",
	    "dcfw.output.rule.0=allow to 10.0.0.1",
	};
	static const char *const order[] = {"one", "two", "ten", "hundred"};
	static const uint32_t numbers[] = {1, 2, 10, 100};
	struct rulespec_policy policy;
	struct rulespec_error err;

	ck_assert_int_eq(parse_labels(labels, COUNT(labels), &policy, &err), 1);
	ck_assert_uint_eq(policy.input.count, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(policy.input.entries[i].number, numbers[i]);
		ck_assert_str_eq(policy.input.entries[i].rule.comment, order[i]);
	}
	ck_assert_uint_eq(policy.output.count, 2);
	ck_assert_uint_eq(policy.output.entries[0].number, 0);
	ck_assert_int_eq(policy.output.entries[0].rule.action, RULESPEC_ALLOW);
	ck_assert_uint_eq(policy.output.entries[1].number, 3);
	ck_assert_int_eq(policy.output.entries[1].rule.action, RULESPEC_DENY);
	rulespec_policy_free(&policy);
	/* freeing twice, or an empty policy, is harmless */
	rulespec_policy_free(&policy);
}
END_TEST

START_TEST(test_labels_limits)
{
	static char storage[RULESPEC_RULES_MAX + 2][64];
	const char *pairs[RULESPEC_RULES_MAX + 2];
	struct rulespec_policy policy;
	struct rulespec_error err;
	char message[RULESPEC_ERROR_TEXT_MAX];

	snprintf(storage[0], sizeof(storage[0]), "tjd.enable=true");
	pairs[0] = storage[0];
	for (size_t i = 1; i <= RULESPEC_RULES_MAX + 1; i++) {
		snprintf(storage[i], sizeof(storage[i]),
			 "tjd.%s.rule.%zu=allow proto tcp to any port %zu",
			 i % 2 ? "input" : "output", 1000 - i, i);
		pairs[i] = storage[i];
	}
	ck_assert_int_eq(parse_labels(pairs, RULESPEC_RULES_MAX + 1, &policy, &err), 1);
	ck_assert_uint_eq(policy.input.count + policy.output.count, RULESPEC_RULES_MAX);
	for (size_t i = 1; i < policy.input.count; i++)
		ck_assert_uint_lt(policy.input.entries[i - 1].number,
				  policy.input.entries[i].number);
	rulespec_policy_free(&policy);
	ck_assert_int_eq(parse_labels(pairs, RULESPEC_RULES_MAX + 2, &policy, &err), -1);
	rulespec_error_format(&err, message, sizeof(message));
	ck_assert_str_eq(message, "label tjd.input.rule.743: more than 256 rules on one container");
}
END_TEST

START_TEST(test_round_trip)
{
	static const char *const rules[] = {
	    "allow",
	    "deny log",
	    "reject on eth0",
	    "allow on eth0 proto tcp from 192.168.110.0/24 to any port 80",
	    "allow proto tcp to 192.168.150.6 port 3306 comment \"Allow access to MariaDB\"",
	    "allow proto udp from any port 53 to any port 1024-65535",
	    "deny proto tcp from 10.0.0.0/8 port 1,2,3-9,100 to 10.1.2.3 port 80,443",
	    "allow proto icmp from 0.0.0.0/0",
	    "allow proto icmpv6 to fd00::1",
	    "allow proto ipv6-icmp to 2001:0db8:0000::0001",
	    "allow proto sctp to ::ffff:1.2.3.4 port 9",
	    "allow from container /web to container db",
	    "allow from label tjd.web to label app=db",
	    "allow from name=plex to label=app=tautulli",
	    "allow from @trusted to @v6-hosts",
	    "allow comment \"\\\"quoted\\\" and \\\\ back\"",
	    "allow comment bare",
	    "allow comment \"caf\xc3\xa9 \xe2\x82\xac\"",
	    "allow to any port 80 proto tcp from any log",
	    "allow proto all on lo",
	};
	char first[RULESPEC_FORMAT_MAX], second[RULESPEC_FORMAT_MAX];

	for (size_t i = 0; i < COUNT(rules); i++) {
		struct rulespec_rule a, b;
		int length;

		parse_ok(rules[i], &a);
		length = rulespec_format_rule(&a, first, sizeof(first));
		ck_assert_int_eq(length, (int)strlen(first));
		parse_ok(first, &b);
		ck_assert_msg(rulespec_rule_equal(&a, &b), "\"%s\" -> \"%s\"", rules[i], first);
		ck_assert_int_eq(rulespec_format_rule(&b, second, sizeof(second)), length);
		ck_assert_str_eq(first, second);
		/* too small a buffer fails cleanly */
		ck_assert_int_eq(rulespec_format_rule(&a, second, (size_t)length), -1);
		ck_assert_str_eq(second, "");
		ck_assert_int_eq(rulespec_format_rule(&a, second, (size_t)length + 1), length);
		rulespec_rule_free(&a);
		rulespec_rule_free(&b);
	}
	ck_assert_str_eq(canonical("allow proto ipv6-icmp to 2001:0db8:0000::0001"),
			 "allow proto icmpv6 to 2001:db8::1");
	ck_assert_str_eq(canonical("allow from container /web"), "allow from container web");
}
END_TEST

START_TEST(test_equal)
{
	struct rulespec_rule a, b;

	parse_ok("allow proto tcp from 10.0.0.0/8 to any port 80", &a);
	parse_ok("allow proto tcp from 10.0.0.0/8 to any port 81", &b);
	ck_assert(!rulespec_rule_equal(&a, &b));
	rulespec_rule_free(&b);
	parse_ok("allow proto tcp from 10.0.0.0/9 to any port 80", &b);
	ck_assert(!rulespec_rule_equal(&a, &b));
	rulespec_rule_free(&b);
	parse_ok("allow proto tcp from 10.0.0.0/8 to any port 80 comment x", &b);
	ck_assert(!rulespec_rule_equal(&a, &b));
	rulespec_rule_free(&b);
	parse_ok("allow proto tcp from 10.0.0.0/8 to any port 80", &b);
	ck_assert(rulespec_rule_equal(&a, &b));
	rulespec_rule_free(&b);
	parse_ok("allow from container a", &b);
	rulespec_rule_free(&a);
	parse_ok("allow from name=a", &a);
	ck_assert(!rulespec_rule_equal(&a, &b));
	rulespec_rule_free(&a);
	rulespec_rule_free(&b);
	/* freeing twice is harmless */
	rulespec_rule_free(&b);
	ck_assert_str_eq(rulespec_action_name(RULESPEC_REJECT), "reject");
	ck_assert_str_eq(rulespec_proto_name(RULESPEC_PROTO_ANY), "any");
	ck_assert_str_eq(rulespec_proto_name(RULESPEC_PROTO_ICMPV6), "icmpv6");
}
END_TEST

/* The suite. */
static Suite *rulespec_suite(void)
{
	Suite *s = suite_create("rulespec");
	TCase *grammar = tcase_create("grammar");
	TCase *labels = tcase_create("labels");

	tcase_add_test(grammar, test_dcfw_readme_rules);
	tcase_add_test(grammar, test_dcfw_defects);
	tcase_add_test(grammar, test_networks);
	tcase_add_test(grammar, test_ports);
	tcase_add_test(grammar, test_names);
	tcase_add_test(grammar, test_interfaces_and_protocols);
	tcase_add_test(grammar, test_comments);
	tcase_add_test(grammar, test_words);
	tcase_add_test(grammar, test_error_format);
	tcase_add_test(grammar, test_round_trip);
	tcase_add_test(grammar, test_equal);
	tcase_add_test(labels, test_dcfw_readme_labels);
	tcase_add_test(labels, test_labels_prefixes);
	tcase_add_test(labels, test_labels_enable);
	tcase_add_test(labels, test_labels_keys);
	tcase_add_test(labels, test_labels_order);
	tcase_add_test(labels, test_labels_limits);
	suite_add_tcase(s, grammar);
	suite_add_tcase(s, labels);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(rulespec_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
