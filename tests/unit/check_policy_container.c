/* A container's own firewall: labels in, the ruleset for its namespace out. */
#include "config.h"

#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/policy-container.h"
#include "tjd/policy.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const char *const chains[RULE_HOOK_COUNT] = {"TJD-FORWARD", "TJD-INPUT", "TJD-OUTPUT"};

/* The resolver's answers: a name, and the addresses it has now. */
struct resolver {
	const char *name;
	const char *const *addresses;
	size_t count;
	int calls;
};

/* policy_container_resolve_fn over a struct resolver; unknown names fail. */
static int resolve(void *arg, const struct rulespec_address *side, struct prefix **out,
		   size_t *count, char *err, size_t errlen)
{
	struct resolver *resolver = arg;

	resolver->calls++;
	if (resolver->name == NULL || strcmp(side->name, resolver->name) != 0) {
		snprintf(err, errlen, "no container %s", side->name);
		return -1;
	}
	*out = calloc(resolver->count ? resolver->count : 1, sizeof(**out));
	ck_assert_ptr_nonnull(*out);
	for (size_t i = 0; i < resolver->count; i++)
		ck_assert_int_eq(prefix_parse(resolver->addresses[i], &(*out)[i]), 0);
	*count = resolver->count;
	return 0;
}

/* Parses labels "key=value" into a policy that must be enabled. */
static void parse(const char *const *texts, size_t count, struct rulespec_policy *policy)
{
	struct rulespec_label labels[16];
	char keys[16][64];
	struct rulespec_error err;

	ck_assert_uint_le(count, COUNT(labels));
	for (size_t i = 0; i < count; i++) {
		const char *equals = strchr(texts[i], '=');

		ck_assert_ptr_nonnull(equals);
		snprintf(keys[i], sizeof(keys[i]), "%.*s", (int)(equals - texts[i]), texts[i]);
		labels[i].key = keys[i];
		labels[i].value = equals + 1;
	}
	ck_assert_int_eq(rulespec_parse_labels(labels, count, policy, &err), 1);
}

/* Compiles labels (which must compile) and returns the listing (malloc'd). */
static char *compile(const char *const *texts, size_t count, struct resolver *resolver,
		     struct ruleset *set, struct policy_container_notes *notes)
{
	struct rulespec_policy policy;
	char err[256] = "";
	char *text;

	parse(texts, count, &policy);
	ck_assert_msg(
	    policy_container_compile(&policy, resolve, resolver, set, notes, err, sizeof(err)) == 0,
	    "%s", err);
	rulespec_policy_free(&policy);
	text = ruleset_format(set, chains);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* Asserts text holds line (a whole line, "-A ..."). */
static void has_line(const char *text, const char *line)
{
	char wanted[512];

	snprintf(wanted, sizeof(wanted), "\n%s\n", line);
	ck_assert_msg(strstr(text, wanted) != NULL, "missing line\n  %s\nin\n%s", line, text);
}

/* Asserts text does not hold fragment. */
static void lacks(const char *text, const char *fragment)
{
	ck_assert_msg(strstr(text, fragment) == NULL, "unexpected \"%s\" in\n%s", fragment, text);
}

/* The index of a line in text; -1 when missing. */
static long line_at(const char *text, const char *line)
{
	char wanted[512];
	const char *found;

	snprintf(wanted, sizeof(wanted), "\n%s\n", line);
	found = strstr(text, wanted);
	return found ? found - text : -1;
}

/*
 * DCFW's README example: a web server taking port 80 from two subnets on
 * eth0 and reaching a MariaDB at 192.168.150.6:3306, nothing else.
 */
START_TEST(test_dcfw_readme_example)
{
	static const char *const labels[] = {
	    "dcfw.enable=true",
	    "dcfw.input.policy=deny",
	    "dcfw.input.rule.1=allow on eth0 proto tcp from 192.168.110.0/24 to any port 80",
	    "dcfw.input.rule.2=allow on eth0 proto tcp from 172.16.64.0/24 to any port 80",
	    "dcfw.output.policy=deny",
	    "dcfw.output.rule.1=allow proto tcp to 192.168.150.6 port 3306 comment \"Allow access "
	    "to MariaDB\"",
	};
	struct ruleset set;
	struct policy_container_notes notes;
	char *text;

	ruleset_init(&set);
	text = compile(labels, COUNT(labels), NULL, &set, &notes);
	/* built-ins first, in both directions and families */
	has_line(text, "-A TJD-INPUT -i lo -m comment --comment \"tjd container loopback\" -j "
		       "RETURN");
	has_line(text, "-A TJD-OUTPUT -o lo -m comment --comment \"tjd container loopback\" -j "
		       "RETURN");
	has_line(text, "-A TJD-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -m comment "
		       "--comment \"tjd replies\" -j RETURN");
	has_line(text, "-A TJD-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m comment "
		       "--comment \"tjd container neighbour discovery\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m comment "
		       "--comment \"tjd container neighbour discovery\" -j RETURN");
	/* the rules, IPv4 only since their networks are */
	has_line(text, "-A TJD-INPUT -s 192.168.110.0/24 -i eth0 -p tcp -m tcp --dport 80 -m "
		       "comment --comment \"dcfw.input.rule.1\" -j RETURN");
	has_line(text, "-A TJD-INPUT -s 172.16.64.0/24 -i eth0 -p tcp -m tcp --dport 80 -m "
		       "comment --comment \"dcfw.input.rule.2\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -d 192.168.150.6/32 -p tcp -m tcp --dport 3306 -m comment "
		       "--comment \"dcfw.output.rule.1: Allow access to MariaDB\" -j RETURN");
	ck_assert_uint_eq(ruleset_count(&set, AF_INET6, RULE_HOOK_INPUT), 5);
	/* then the default policies, after the rules */
	has_line(text, "-A TJD-INPUT -m comment --comment \"tjd container input policy deny\" "
		       "-j DROP");
	has_line(text, "-A TJD-OUTPUT -m comment --comment \"tjd container output policy deny\" "
		       "-j DROP");
	ck_assert_int_lt(line_at(text, "-A TJD-INPUT -s 172.16.64.0/24 -i eth0 -p tcp -m tcp "
				       "--dport 80 -m comment --comment \"dcfw.input.rule.2\" -j "
				       "RETURN"),
			 line_at(text, "-A TJD-INPUT -m comment --comment \"tjd container input "
				       "policy deny\" -j DROP"));
	lacks(text, "-j REJECT");
	lacks(text, "-A TJD-FORWARD");
	ck_assert_uint_eq(notes.log_rules, 0);
	free(text);
	ruleset_free(&set);
}
END_TEST

/* Defaults: input deny, output allow; allow policies add no closing drop. */
START_TEST(test_default_policies)
{
	static const char *const defaults[] = {"dcfw.enable=true"};
	static const char *const open[] = {"tjd.enable=yes", "tjd.input.policy=allow"};
	struct ruleset set;
	char *text;

	ruleset_init(&set);
	text = compile(defaults, COUNT(defaults), NULL, &set, NULL);
	has_line(text, "-A TJD-INPUT -m comment --comment \"tjd container input policy deny\" "
		       "-j DROP");
	lacks(text, "output policy deny");
	free(text);
	text = compile(open, COUNT(open), NULL, &set, NULL);
	lacks(text, "-j DROP");
	free(text);
	ruleset_free(&set);
}
END_TEST

/* Reject answers TCP with a reset, the rest with port unreachable; deny drops. */
START_TEST(test_reject_and_deny)
{
	static const char *const labels[] = {
	    "dcfw.enable=true",
	    "dcfw.input.policy=allow",
	    "dcfw.input.rule.5=reject from 10.0.0.0/8",
	    "dcfw.input.rule.7=deny proto udp from fd00::/8 port 53",
	};
	struct ruleset set;
	char *text;

	ruleset_init(&set);
	text = compile(labels, COUNT(labels), NULL, &set, NULL);
	has_line(text,
		 "-A TJD-INPUT -s 10.0.0.0/8 -p tcp -m comment --comment \"dcfw.input.rule.5\" "
		 "-j REJECT --reject-with tcp-reset");
	has_line(text, "-A TJD-INPUT -s 10.0.0.0/8 -m comment --comment \"dcfw.input.rule.5\" -j "
		       "REJECT --reject-with icmp-port-unreachable");
	ck_assert_int_lt(line_at(text, "-A TJD-INPUT -s 10.0.0.0/8 -p tcp -m comment --comment "
				       "\"dcfw.input.rule.5\" -j REJECT --reject-with tcp-reset"),
			 line_at(text, "-A TJD-INPUT -s 10.0.0.0/8 -m comment --comment "
				       "\"dcfw.input.rule.5\" -j REJECT --reject-with "
				       "icmp-port-unreachable"));
	has_line(text, "-A TJD-INPUT -s fd00::/8 -p udp -m udp --sport 53 -m comment --comment "
		       "\"dcfw.input.rule.7\" -j DROP");
	free(text);
	ruleset_free(&set);
}
END_TEST

/* `any` and names apply to both families; protocols of one family stay there. */
START_TEST(test_families)
{
	static const char *const labels[] = {
	    "tjd.enable=1",
	    "tjd.input.rule.1=allow proto tcp to any port 443",
	    "tjd.input.rule.2=allow proto icmp",
	    "tjd.input.rule.3=allow proto icmpv6",
	};
	struct ruleset set;
	char *text;

	ruleset_init(&set);
	text = compile(labels, COUNT(labels), NULL, &set, NULL);
	/* 4 built-ins (v6), rules 1 and 3, the closing drop */
	ck_assert_uint_eq(ruleset_count(&set, AF_INET6, RULE_HOOK_INPUT), 4 + 2 + 1);
	/* 2 built-ins (v4), rules 1 and 2, the closing drop */
	ck_assert_uint_eq(ruleset_count(&set, AF_INET, RULE_HOOK_INPUT), 2 + 2 + 1);
	has_line(text, "-A TJD-INPUT -p icmp -m comment --comment \"tjd.input.rule.2\" -j RETURN");
	has_line(text,
		 "-A TJD-INPUT -p ipv6-icmp -m comment --comment \"tjd.input.rule.3\" -j RETURN");
	free(text);
	ruleset_free(&set);
}
END_TEST

/* Lists and ranges: one kernel rule per source range x destination range. */
START_TEST(test_port_lists)
{
	static const char *const labels[] = {
	    "dcfw.enable=true",
	    "dcfw.output.policy=deny",
	    "dcfw.output.rule.1=allow proto tcp from any port 1000-2000,3000 to 192.0.2.1 port "
	    "80,443",
	};
	struct ruleset set;
	char *text;

	ruleset_init(&set);
	text = compile(labels, COUNT(labels), NULL, &set, NULL);
	has_line(text, "-A TJD-OUTPUT -d 192.0.2.1/32 -p tcp -m tcp --sport 1000:2000 --dport 80 "
		       "-m comment --comment \"dcfw.output.rule.1\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -d 192.0.2.1/32 -p tcp -m tcp --sport 1000:2000 --dport 443 "
		       "-m comment --comment \"dcfw.output.rule.1\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -d 192.0.2.1/32 -p tcp -m tcp --sport 3000 --dport 80 -m "
		       "comment --comment \"dcfw.output.rule.1\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -d 192.0.2.1/32 -p tcp -m tcp --sport 3000 --dport 443 -m "
		       "comment --comment \"dcfw.output.rule.1\" -j RETURN");
	ck_assert_uint_eq(ruleset_count(&set, AF_INET, RULE_HOOK_OUTPUT), 2 + 4 + 1);
	free(text);
	ruleset_free(&set);
}
END_TEST

/* Names resolve to the addresses they have now; one family's absence leaves it out. */
START_TEST(test_containers_resolved)
{
	static const char *const labels[] = {
	    "dcfw.enable=true",
	    "dcfw.output.policy=deny",
	    "dcfw.output.rule.1=allow proto tcp to container db port 3306",
	};
	static const char *const both[] = {"10.0.0.5", "fd00::5"};
	static const char *const v4[] = {"10.0.0.5"};
	struct resolver resolver = {.name = "db", .addresses = both, .count = 2};
	struct rulespec_policy policy;
	struct ruleset set;
	char err[256] = "";
	char *text;

	ruleset_init(&set);
	text = compile(labels, COUNT(labels), &resolver, &set, NULL);
	ck_assert_int_eq(resolver.calls, 1);
	has_line(text, "-A TJD-OUTPUT -d 10.0.0.5/32 -p tcp -m tcp --dport 3306 -m comment "
		       "--comment \"dcfw.output.rule.1\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -d fd00::5/128 -p tcp -m tcp --dport 3306 -m comment "
		       "--comment \"dcfw.output.rule.1\" -j RETURN");
	free(text);
	resolver.addresses = v4;
	resolver.count = 1;
	text = compile(labels, COUNT(labels), &resolver, &set, NULL);
	ck_assert_uint_eq(ruleset_count(&set, AF_INET6, RULE_HOOK_OUTPUT), 4 + 1);
	free(text);
	/* not there at all: nothing allowed, the rest still compiled */
	resolver.count = 0;
	text = compile(labels, COUNT(labels), &resolver, &set, NULL);
	lacks(text, "dcfw.output.rule.1");
	has_line(text, "-A TJD-OUTPUT -m comment --comment \"tjd container output policy deny\" "
		       "-j DROP");
	free(text);
	/* a resolver that fails fails the compile, with nothing left in the ruleset */
	resolver.name = "other";
	parse(labels, COUNT(labels), &policy);
	ck_assert_int_eq(
	    policy_container_compile(&policy, resolve, &resolver, &set, NULL, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "no container db");
	ck_assert_uint_eq(set.count, 0);
	/* and so does a name with no resolver at all */
	ck_assert_int_eq(
	    policy_container_compile(&policy, NULL, NULL, &set, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "db"));
	rulespec_policy_free(&policy);
	ruleset_free(&set);
}
END_TEST

/* A rule that would become too many kernel rules fails the compile. */
START_TEST(test_kernel_rule_limit)
{
	static const char *const labels[] = {
	    "dcfw.enable=true",
	    "dcfw.output.rule.1=allow proto tcp to label tier=db port "
	    "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,"
	    "32",
	};
	static char texts[300][16];
	static const char *addresses[300];
	struct resolver resolver = {.name = "label=tier=db", .addresses = addresses, .count = 300};
	struct rulespec_policy policy;
	struct ruleset set;
	char err[256] = "";

	for (size_t i = 0; i < 300; i++) {
		snprintf(texts[i], sizeof(texts[i]), "10.0.%zu.%zu", i / 200, i % 200 + 1);
		addresses[i] = texts[i];
	}
	ruleset_init(&set);
	parse(labels, COUNT(labels), &policy);
	ck_assert_int_eq(
	    policy_container_compile(&policy, resolve, &resolver, &set, NULL, err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "dcfw.output.rule.1: more than 8192 kernel rules") != NULL, "%s",
		      err);
	ck_assert_uint_eq(set.count, 0);
	/* 200 addresses x 32 ports fit */
	resolver.count = 200;
	ck_assert_msg(policy_container_compile(&policy, resolve, &resolver, &set, NULL, err,
					       sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(ruleset_count(&set, AF_INET, RULE_HOOK_OUTPUT), 2 + 200 * 32);
	rulespec_policy_free(&policy);
	ruleset_free(&set);
}
END_TEST

/*
 * log puts a rate-limited NFLOG twin before the rule's verdict; iface and
 * comment reach the kernel rule (and the log prefix) as printable ASCII.
 */
START_TEST(test_log_iface_and_comment)
{
	static const char *const labels[] = {
	    "dcfw.enable=true",
	    "dcfw.input.rule.3=deny log on eth1 from 198.51.100.0/24 comment \"caf\xc3\xa9 "
	    "\\\"x\\\"\"",
	};
	struct ruleset set;
	struct policy_container_notes notes;
	char *text;

	ruleset_init(&set);
	text = compile(labels, COUNT(labels), NULL, &set, &notes);
	ck_assert_uint_eq(notes.log_rules, 1);
	has_line(text, "-A TJD-INPUT -s 198.51.100.0/24 -i eth1 -m comment --comment "
		       "\"dcfw.input.rule.3: caf?? ?x?\" -j DROP");
	has_line(text,
		 "-A TJD-INPUT -s 198.51.100.0/24 -i eth1 -m comment --comment "
		 "\"dcfw.input.rule.3: caf?? ?x?\" -m limit --limit 5/sec --limit-burst 10 "
		 "-j NFLOG --nflog-prefix \"dcfw.input.rule.3: caf?? ?x?\" --nflog-group 7480");
	for (size_t i = 0; i + 1 < set.count; i++)
		if (set.rules[i].verdict == RULE_LOG) {
			ck_assert_int_eq(set.rules[i + 1].verdict, RULE_DROP);
			ck_assert_str_eq(set.rules[i].comment, set.rules[i + 1].comment);
		}
	ck_assert(strstr(text, "NFLOG") < strstr(text, "caf?? ?x?\" -j DROP"));
	free(text);
	ruleset_free(&set);
}
END_TEST

/* The fail-closed ruleset: only loopback, replies and neighbour discovery pass. */
START_TEST(test_deny_all)
{
	struct ruleset set;
	char *text;

	ruleset_init(&set);
	ck_assert_int_eq(policy_container_deny_all(&set), 0);
	text = ruleset_format(&set, chains);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(ruleset_count(&set, AF_INET, RULE_HOOK_INPUT), 3);
	ck_assert_uint_eq(ruleset_count(&set, AF_INET6, RULE_HOOK_OUTPUT), 5);
	has_line(text, "-A TJD-INPUT -m comment --comment \"tjd container fail closed\" -j DROP");
	has_line(text, "-A TJD-OUTPUT -m comment --comment \"tjd container fail closed\" -j DROP");
	for (size_t i = 0; i < set.count; i++)
		ck_assert(set.rules[i].hook != RULE_HOOK_FORWARD);
	free(text);
	ruleset_free(&set);
}
END_TEST

/* Adds a running container to inv: labels "k=v" and addresses. */
static struct inv_container *add_container(struct inventory *inv, const char *id, const char *name,
					   const char *mode, const char *netns,
					   const char *const *labels, size_t label_count,
					   const char *const *addresses, size_t address_count)
{
	struct inv_container *grown =
	    realloc(inv->containers, (inv->container_count + 1) * sizeof(*grown));
	struct inv_container *container;

	ck_assert_ptr_nonnull(grown);
	inv->containers = grown;
	container = &grown[inv->container_count++];
	memset(container, 0, sizeof(*container));
	snprintf(container->id, sizeof(container->id), "%s", id);
	snprintf(container->name, sizeof(container->name), "%s", name);
	snprintf(container->network_mode, sizeof(container->network_mode), "%s", mode);
	snprintf(container->netns, sizeof(container->netns), "%s", netns);
	container->labels = calloc(label_count ? label_count : 1, sizeof(*container->labels));
	container->addresses =
	    calloc(address_count ? address_count : 1, sizeof(*container->addresses));
	ck_assert_ptr_nonnull(container->labels);
	ck_assert_ptr_nonnull(container->addresses);
	for (size_t i = 0; i < label_count; i++) {
		const char *equals = strchr(labels[i], '=');

		container->labels[i].key = strndup(labels[i], (size_t)(equals - labels[i]));
		container->labels[i].value = strdup(equals + 1);
		container->label_count++;
		if (strncmp(labels[i], "dcfw.", 5) == 0 ||
		    strncmp(labels[i], "tjd.enable", 10) == 0)
			container->policy = true;
	}
	for (size_t i = 0; i < address_count; i++)
		ck_assert_int_eq(prefix_parse(addresses[i], &container->addresses[i]), 0);
	container->address_count = address_count;
	return container;
}

/* The plan's target for a container name; NULL when none. */
static const struct policy_target *target_of(const struct policy_plan *plan, const char *name)
{
	for (size_t t = 0; t < plan->count; t++)
		if (strcmp(plan->targets[t].container_name, name) == 0)
			return &plan->targets[t];
	return NULL;
}

#define ID(c) "c" #c "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* One plan over a host's containers: each kind of container gets what it should. */
START_TEST(test_plan_over_the_inventory)
{
	static const char *const web[] = {
	    "dcfw.enable=true", "dcfw.output.policy=deny",
	    "dcfw.output.rule.1=allow proto tcp to label tier=db port 5432",
	    "com.docker.compose.service=web"};
	static const char *const db[] = {"tier=db"};
	static const char *const db_addresses[] = {"10.9.0.5", "fd00:9::5"};
	static const char *const replica_addresses[] = {"10.9.0.6"};
	static const char *const bad[] = {"dcfw.enable=true",
					  "dcfw.input.rule.1=allow to any port 8"};
	static const char *const host[] = {"dcfw.enable=true"};
	static const char *const off[] = {"dcfw.enable=false", "dcfw.input.policy=allow"};
	static const char *const sidecar[] = {"tjd.enable=true", "tjd.input.policy=allow"};
	static const char *const unknown[] = {"dcfw.enable=true",
					      "dcfw.output.rule.1=allow to container nowhere"};
	struct conf conf = {.container_rules = true};
	struct inventory inv;
	struct policy_plan plan;
	const struct policy_target *target;
	char err[256] = "";
	char *text;

	inventory_init(&inv);
	policy_plan_init(&plan);
	add_container(&inv, ID(1), "web", "app", "/run/docker/netns/web", web, COUNT(web), NULL, 0);
	add_container(&inv, ID(2), "db", "app", "", db, COUNT(db), db_addresses,
		      COUNT(db_addresses));
	add_container(&inv, ID(3), "replica", "app", "", db, COUNT(db), replica_addresses,
		      COUNT(replica_addresses));
	add_container(&inv, ID(4), "bad", "app", "/run/docker/netns/bad", bad, COUNT(bad), NULL, 0);
	add_container(&inv, ID(5), "host", "host", "", host, COUNT(host), NULL, 0);
	add_container(&inv, ID(6), "off", "app", "/run/docker/netns/off", off, COUNT(off), NULL, 0);
	add_container(&inv, ID(7), "sidecar", "container:" ID(4), "", sidecar, COUNT(sidecar), NULL,
		      0);
	add_container(&inv, ID(8), "lost", "app", "/run/docker/netns/lost", unknown, COUNT(unknown),
		      NULL, 0);
	ck_assert_msg(policy_compile_containers(&conf, &inv, &plan, err, sizeof(err)) == 0, "%s",
		      err);
	/* web: its rule names both databases by label, in both families */
	target = target_of(&plan, "web");
	ck_assert_ptr_nonnull(target);
	ck_assert_str_eq(target->netns, "/run/docker/netns/web");
	ck_assert_str_eq(target->container_id, ID(1));
	ck_assert_str_eq(target->problem, "");
	text = ruleset_format(&target->rules, chains);
	has_line(text, "-A TJD-OUTPUT -d 10.9.0.5/32 -p tcp -m tcp --dport 5432 -m comment "
		       "--comment \"dcfw.output.rule.1\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -d 10.9.0.6/32 -p tcp -m tcp --dport 5432 -m comment "
		       "--comment \"dcfw.output.rule.1\" -j RETURN");
	has_line(text, "-A TJD-OUTPUT -d fd00:9::5/128 -p tcp -m tcp --dport 5432 -m comment "
		       "--comment \"dcfw.output.rule.1\" -j RETURN");
	free(text);
	/* bad: denied both ways, saying why; and the sidecar sharing its namespace conflicts */
	target = target_of(&plan, "bad");
	ck_assert_ptr_nonnull(target);
	ck_assert_msg(strstr(target->problem, "containers bad and sidecar share a network "
					      "namespace") != NULL,
		      "%s", target->problem);
	text = ruleset_format(&target->rules, chains);
	has_line(text, "-A TJD-INPUT -m comment --comment \"tjd container fail closed\" -j DROP");
	has_line(text, "-A TJD-OUTPUT -m comment --comment \"tjd container fail closed\" -j DROP");
	free(text);
	ck_assert_ptr_null(target_of(&plan, "sidecar"));
	/* host: refused, nothing to write */
	target = target_of(&plan, "host");
	ck_assert_ptr_nonnull(target);
	ck_assert_str_eq(target->netns, "");
	ck_assert_uint_eq(target->rules.count, 0);
	ck_assert_ptr_nonnull(strstr(target->problem, "network_mode host: refused"));
	/* off, db, replica: no policy, no target */
	ck_assert_ptr_null(target_of(&plan, "off"));
	ck_assert_ptr_null(target_of(&plan, "db"));
	/* lost: a container name that resolves to nothing is nothing allowed, not an error */
	target = target_of(&plan, "lost");
	ck_assert_ptr_nonnull(target);
	ck_assert_str_eq(target->problem, "");
	ck_assert_uint_eq(plan.count, 4);
	policy_plan_free(&plan);
	/* drop_log = yes: tjd's closing drops get their sampling twin, the user's rules not */
	conf.drop_log = true;
	policy_plan_init(&plan);
	ck_assert_int_eq(policy_compile_containers(&conf, &inv, &plan, err, sizeof(err)), 0);
	target = target_of(&plan, "bad");
	text = ruleset_format(&target->rules, chains);
	has_line(text, "-A TJD-INPUT -m conntrack --ctstate NEW -m comment --comment \"tjd "
		       "container fail closed\" -m limit --limit 5/sec --limit-burst 10 -j NFLOG "
		       "--nflog-prefix \"tjd container fail closed\" --nflog-group 7480");
	ck_assert(strstr(text, "NFLOG") < strstr(text, "fail closed\" -j DROP"));
	free(text);
	target = target_of(&plan, "web");
	for (size_t i = 0; i < target->rules.count; i++)
		if (target->rules.rules[i].verdict == RULE_LOG)
			ck_assert_msg(
			    strncmp(target->rules.rules[i].comment, "tjd container ", 14) == 0,
			    "%s", target->rules.rules[i].comment);
	policy_plan_free(&plan);
	conf.drop_log = false;
	/* container_rules = no: nothing at all */
	conf.container_rules = false;
	policy_plan_init(&plan);
	ck_assert_int_eq(policy_compile_containers(&conf, &inv, &plan, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.count, 0);
	policy_plan_free(&plan);
	inventory_free(&inv);
}
END_TEST

/* A label that cannot be parsed names itself in the problem; only label= filters resolve. */
START_TEST(test_plan_problems)
{
	static const char *const bad_port[] = {
	    "dcfw.enable=true", "dcfw.input.rule.10=deny proto tcp to any port 99999"};
	static const char *const other_filter[] = {"dcfw.enable=true",
						   "dcfw.output.rule.1=allow to name=db"};
	static const char *const set[] = {"tjd.enable=true", "tjd.output.rule.1=allow to @office"};
	struct conf conf = {.container_rules = true};
	struct inventory inv;
	struct policy_plan plan;
	char err[256] = "";

	inventory_init(&inv);
	policy_plan_init(&plan);
	add_container(&inv, ID(1), "a", "app", "/n/a", bad_port, COUNT(bad_port), NULL, 0);
	add_container(&inv, ID(2), "b", "app", "/n/b", other_filter, COUNT(other_filter), NULL, 0);
	add_container(&inv, ID(3), "c", "app", "/n/c", set, COUNT(set), NULL, 0);
	ck_assert_int_eq(policy_compile_containers(&conf, &inv, &plan, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.count, 3);
	ck_assert_msg(
	    strstr(target_of(&plan, "a")->problem,
		   "label dcfw.input.rule.10, column 28 (\"99999\"): port out of range") != NULL,
	    "%s", target_of(&plan, "a")->problem);
	ck_assert_msg(strstr(target_of(&plan, "b")->problem, "only label= filters") != NULL, "%s",
		      target_of(&plan, "b")->problem);
	ck_assert_msg(strstr(target_of(&plan, "c")->problem, "no address set @office") != NULL,
		      "%s", target_of(&plan, "c")->problem);
	for (size_t t = 0; t < plan.count; t++)
		ck_assert_uint_eq(ruleset_count(&plan.targets[t].rules, AF_INET, RULE_HOOK_INPUT),
				  3);
	policy_plan_free(&plan);
	inventory_free(&inv);
}
END_TEST

static Suite *policy_container_suite(void)
{
	Suite *s = suite_create("policy_container");
	TCase *tc = tcase_create("compile");

	tcase_add_test(tc, test_dcfw_readme_example);
	tcase_add_test(tc, test_default_policies);
	tcase_add_test(tc, test_reject_and_deny);
	tcase_add_test(tc, test_families);
	tcase_add_test(tc, test_port_lists);
	tcase_add_test(tc, test_containers_resolved);
	tcase_add_test(tc, test_kernel_rule_limit);
	tcase_add_test(tc, test_log_iface_and_comment);
	tcase_add_test(tc, test_deny_all);
	tcase_add_test(tc, test_plan_over_the_inventory);
	tcase_add_test(tc, test_plan_problems);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(policy_container_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
