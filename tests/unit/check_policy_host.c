/* Host and network policy (tjd/policy-host.c): tjd.conf + inventory -> ruleset, without a kernel.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tjd/conf.h"
#include "tjd/policy.h"

static const char *const chains[RULE_HOOK_COUNT] = {"F", "I", "O"};

static struct conf *conf;
static struct inventory inv;
static struct ruleset out;
static char *text;

/* Loads a configuration from text. */
static void load(const char *config)
{
	char path[] = "/tmp/check_policy_host_XXXXXX", err[512];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, config, strlen(config)), (ssize_t)strlen(config));
	close(fd);
	conf = conf_load(path, true, NULL, err, sizeof(err));
	unlink(path);
	ck_assert_msg(conf != NULL, "%s", err);
}

static void setup(void)
{
	conf = NULL;
	text = NULL;
	inventory_init(&inv);
	ruleset_init(&out);
}

static void teardown(void)
{
	conf_free(conf);
	inventory_free(&inv);
	ruleset_free(&out);
	free(text);
}

/* Compiles and renders; the text is what the assertions look in. */
static void compile(void)
{
	char err[256];

	ck_assert_msg(policy_compile(conf, &inv, &out, NULL, err, sizeof(err)) == 0, "%s", err);
	free(text);
	text = ruleset_format(&out, chains);
	ck_assert_ptr_nonnull(text);
}

/* Asserts that a line is in the rendered ruleset; returns its offset. */
static size_t has(const char *line)
{
	char *found;
	size_t len = strlen(line);

	for (found = strstr(text, line); found != NULL; found = strstr(found + 1, line))
		if ((found == text || found[-1] == '\n') && found[len] == '\n')
			return (size_t)(found - text);
	fprintf(stderr, "in:\n%s\n", text);
	ck_abort_msg("missing line: %s", line);
	return 0;
}

/* Asserts that no line holds the text. */
static void lacks(const char *part)
{
	ck_assert_msg(strstr(text, part) == NULL, "unexpected: %s\nin:\n%s", part, text);
}

/* Adds a protected bridge network. */
static struct inv_network *network(const char *name, const char *bridge, const char *id)
{
	struct inv_network *net = inventory_add_network(&inv);

	ck_assert_ptr_nonnull(net);
	snprintf(net->name, sizeof(net->name), "%s", name);
	snprintf(net->id, sizeof(net->id), "%s", id);
	strcpy(net->driver, "bridge");
	snprintf(net->bridge, sizeof(net->bridge), "%s", bridge);
	ck_assert_int_eq(prefix_parse("172.30.0.0/24", &net->subnets[0]), 0);
	net->subnet_count = 1;
	return net;
}

/* Adds an endpoint (IPv4, and IPv6 when v6 is not NULL); its container id is NAME padded. */
static struct inv_endpoint *endpoint(struct inv_network *net, const char *name, const char *v4,
				     const char *v6, bool allowed, const char *port)
{
	struct inv_endpoint *e = inv_network_add_endpoint(net);

	ck_assert_ptr_nonnull(e);
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->container_id, sizeof(e->container_id), "%-64s", name);
	ck_assert_int_eq(prefix_parse(v4, &e->ipv4), 0);
	if (v6 != NULL)
		ck_assert_int_eq(prefix_parse(v6, &e->ipv6), 0);
	e->allowed = allowed;
	snprintf(e->bridge_port, sizeof(e->bridge_port), "%s", port);
	return e;
}

/* Adds a running container with addresses and published tcp ports (host:container pairs). */
static void container(const char *name, const char *v4, const char *v6, const uint16_t *ports,
		      size_t port_count)
{
	struct inv_container *c;

	inv.containers = reallocarray(inv.containers, inv.container_count + 1, sizeof(*c));
	ck_assert_ptr_nonnull(inv.containers);
	c = &inv.containers[inv.container_count++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->id, sizeof(c->id), "%-64s", name);
	c->running = true;
	c->addresses = calloc(2, sizeof(*c->addresses));
	ck_assert_ptr_nonnull(c->addresses);
	ck_assert_int_eq(prefix_parse(v4, &c->addresses[c->address_count++]), 0);
	if (v6 != NULL)
		ck_assert_int_eq(prefix_parse(v6, &c->addresses[c->address_count++]), 0);
	if (port_count > 0) {
		c->bindings = calloc(port_count / 2, sizeof(*c->bindings));
		ck_assert_ptr_nonnull(c->bindings);
	}
	for (size_t i = 0; i + 1 < port_count; i += 2) {
		struct inv_binding *b = &c->bindings[c->binding_count++];
		b->protocol = IPPROTO_TCP;
		b->host_port = ports[i];
		b->container_port = ports[i + 1];
	}
	inv.containers_read = true;
}

/* Records that `expression` (scoped to network_id, "" for none) matched the named containers. */
static void matched(const char *expression, const char *network_id, const char *const *names,
		    size_t count)
{
	struct inv_match *m;

	inv.matches = reallocarray(inv.matches, inv.match_count + 1, sizeof(*m));
	ck_assert_ptr_nonnull(inv.matches);
	m = &inv.matches[inv.match_count++];
	memset(m, 0, sizeof(*m));
	m->expression = strdup(expression);
	snprintf(m->network_id, sizeof(m->network_id), "%s", network_id);
	m->ids = calloc(count ? count : 1, sizeof(*m->ids));
	ck_assert_ptr_nonnull(m->ids);
	for (size_t i = 0; i < count; i++) {
		m->ids[i] = malloc(65);
		ck_assert_ptr_nonnull(m->ids[i]);
		snprintf(m->ids[i], 65, "%-64s", names[i]);
		m->id_count++;
	}
	inv.matches_read = true;
}

START_TEST(test_pyfw_scenario)
{
	static const uint16_t web_ports[] = {8000, 80};
	size_t rule, policy, host;

	load("[set office]\n"
	     "members = 192.168.122.193, 2001:db8:122::193\n"
	     "[published]\n"
	     "policy = deny\n"
	     "rule = allow from @office proto tcp to any port 8000\n");
	container("web", "172.17.0.2", NULL, web_ports, 2);
	compile();
	/* the set, one half per family, exactly its members */
	has("# set office-4 (1 member) \"tjd set office\": 192.168.122.193/32");
	has("# set office-6 (1 member) \"tjd set office\": 2001:db8:122::193/128");
	/* forwarded (DNAT): office passes, the rest of every published port is dropped */
	has("-A F -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment \"tjd replies\" "
	    "-j RETURN");
	rule = has("-A F -p tcp -m set --match-set office-4 src -m conntrack --ctstate NEW "
		   "-m conntrack --ctstate DNAT --ctproto 6 --ctorigdstport 8000 -m comment "
		   "--comment \"tjd published "
		   "rule 1\" -j RETURN");
	policy = has("-A F -m conntrack --ctstate NEW -m conntrack --ctstate DNAT -m comment "
		     "--comment \"tjd "
		     "published policy\" -j DROP");
	ck_assert_uint_lt(rule, policy);
	/* a sample of what the policy drops goes to the drop log first */
	has("-A F -m conntrack --ctstate NEW -m conntrack --ctstate DNAT -m comment --comment "
	    "\"tjd published "
	    "policy\" -m limit --limit 5/sec --limit-burst 10 -j NFLOG --nflog-prefix \"tjd "
	    "published policy\" --nflog-group 7480");
	has("-A F -p tcp -m set --match-set office-6 src -m conntrack --ctstate NEW -m conntrack "
	    "--ctstate DNAT --ctproto 6 --ctorigdstport 8000 -m comment --comment \"tjd published "
	    "rule 1\" -j RETURN");
	/* to docker-proxy on the host: the host itself first, then per published port */
	host = has("-A I -i lo -m comment --comment \"tjd published host\" -j RETURN");
	rule = has("-A I -p tcp -m tcp --dport 8000 -m set --match-set office-4 src -m conntrack "
		   "--ctstate NEW -m comment --comment \"tjd published rule 1\" -j RETURN");
	policy = has("-A I -p tcp -m tcp --dport 8000 -m conntrack --ctstate NEW -m comment "
		     "--comment \"tjd published policy\" -j DROP");
	ck_assert_uint_lt(host, rule);
	ck_assert_uint_lt(rule, policy);
	has("-A I -p tcp -m tcp --dport 8000 -m set --match-set office-6 src -m conntrack "
	    "--ctstate NEW -m comment --comment \"tjd published rule 1\" -j RETURN");
	/* the port nobody publishes is not judged on input; established traffic never */
	lacks("--dport 80 ");
	lacks("ESTABLISHED -m comment --comment \"tjd published");
}
END_TEST

START_TEST(test_set_members_exact_and_from_containers)
{
	static const char *const dbs[] = {"db1", "db2"};

	load("[set mixed]\n"
	     "members = 10.0.0.0/8, 10.1.2.3, 0.0.0.0/0\n"
	     "members = fd00::/8, ::/0\n"
	     "containers = label=role=db\n"
	     "[set dbs]\n"
	     "containers = label=role=db\n"
	     "[published]\n");
	container("db1", "172.18.0.3", "fd00:18::3", NULL, 0);
	container("db2", "172.18.0.2", NULL, NULL, 0);
	container("other", "172.18.0.9", NULL, NULL, 0);
	matched("label=role=db", "", dbs, 2);
	compile();
	/* 0.0.0.0/0 as two halves, the rest inside them left out */
	has("# set mixed-4 (2 members) \"tjd set mixed\": 0.0.0.0/1 128.0.0.0/1");
	has("# set mixed-6 (2 members) \"tjd set mixed\": ::/1 8000::/1");
	/* the containers' addresses, sorted, and nobody else's */
	has("# set dbs-4 (2 members) \"tjd set dbs\": 172.18.0.2/32 172.18.0.3/32");
	has("# set dbs-6 (1 member) \"tjd set dbs\": fd00:18::3/128");
	lacks("172.18.0.9");
	/* without an answer for the filter: only what the file lists */
	inventory_free_matches(&inv);
	compile();
	has("# set dbs-4 (0 members) \"tjd set dbs\"");
}
END_TEST

START_TEST(test_published_to_container_and_reject)
{
	static const uint16_t web_ports[] = {8000, 80, 8443, 443};
	static const uint16_t api_ports[] = {9000, 9000};
	static const char *const webs[] = {"web"};

	load("[published]\n"
	     "rule = reject log from 10.0.0.0/8 proto tcp to name=web port 8443\n"
	     "rule = allow on eth0 from 2001:db8::/32 to container api\n");
	container("web", "172.17.0.2", NULL, web_ports, 4);
	container("api", "172.17.0.3", NULL, api_ports, 2);
	matched("name=web", "", webs, 1);
	compile();
	/* to the container's published port only, with its log sample before */
	has("-A F -s 10.0.0.0/8 -p tcp -m conntrack --ctstate NEW -m conntrack --ctstate DNAT "
	    "--ctproto 6 --ctorigdstport "
	    "8443 -m comment --comment \"tjd published rule 1\" -m limit --limit 5/sec "
	    "--limit-burst 10 -j NFLOG --nflog-prefix \"tjd published rule 1\" --nflog-group 7480");
	has("-A F -s 10.0.0.0/8 -p tcp -m conntrack --ctstate NEW -m conntrack --ctstate DNAT "
	    "--ctproto 6 --ctorigdstport "
	    "8443 -m comment --comment \"tjd published rule 1\" -j REJECT --reject-with tcp-reset");
	has("-A I -s 10.0.0.0/8 -p tcp -m tcp --dport 8443 -m conntrack --ctstate NEW -m comment "
	    "--comment \"tjd published rule 1\" -j REJECT --reject-with tcp-reset");
	lacks("--ctorigdstport 8000");
	/* an IPv6 source: rules of that family only; the interface it comes in on */
	has("-A F -s 2001:db8::/32 -i eth0 -p tcp -m conntrack --ctstate NEW -m conntrack "
	    "--ctstate DNAT "
	    "--ctproto 6 --ctorigdstport 9000 -m comment --comment \"tjd published rule 2\" -j "
	    "RETURN");
	has("-A I -s 2001:db8::/32 -i eth0 -p tcp -m tcp --dport 9000 -m conntrack --ctstate NEW "
	    "-m "
	    "comment --comment \"tjd published rule 2\" -j RETURN");
	/* policy allow: nothing dropped for what no rule decides */
	lacks("published policy");
}
END_TEST

START_TEST(test_pair_rule_reach_allowed_and_order)
{
	static const char *const tautulli[] = {"tautulli"};
	static const uint16_t web_ports[] = {8000, 80};
	struct inv_network *net;
	size_t pair, allow, reach, drop, published, egress;

	load("[set nas]\n"
	     "members = 192.168.1.10\n"
	     "[published]\n"
	     "policy = deny\n"
	     "[network web]\n"
	     "allow = label=tjd.allow=true\n"
	     "rule = allow from label app=tautulli to container plex proto tcp port 32400\n"
	     "reach_allowed = yes\n"
	     "lan_egress = deny\n"
	     "lan_allow = @nas\n");
	net = network("web", "br-web", "netweb");
	endpoint(net, "proxy", "172.30.0.2", "fd00:30::2", true, "vethproxy");
	endpoint(net, "tautulli", "172.30.0.3", "fd00:30::3", false, "vethtau");
	endpoint(net, "plex", "172.30.0.4", NULL, false, "vethplex");
	endpoint(net, "ghost", "172.30.0.5", NULL, false, "");
	matched("label=app=tautulli", "netweb", tautulli, 1);
	container("web", "172.17.0.2", NULL, web_ports, 2);
	compile();
	/* the pair, bound to tautulli's port, before the allow-list; not the reverse */
	pair =
	    has("-A F -s 172.30.0.3/32 -d 172.30.0.4/32 -i br-web -o br-web -p tcp -m tcp --dport "
		"32400 -m physdev --physdev-in vethtau -m comment --comment \"tjd web rule 1 "
		"tautulli\" -j RETURN");
	lacks("-s 172.30.0.4/32 -d 172.30.0.3/32");
	/* plex has no IPv6 address: no IPv6 pair rule */
	lacks("-d fd00:30::4");
	allow =
	    has("-A F -s 172.30.0.2/32 -i br-web -o br-web -m physdev --physdev-in vethproxy -m "
		"comment --comment \"tjd web allow proxy\" -j RETURN");
	/* reach_allowed: each other container to the proxy, bound to its own port */
	reach =
	    has("-A F -s 172.30.0.3/32 -d 172.30.0.2/32 -i br-web -o br-web -m physdev "
		"--physdev-in vethtau -m comment --comment \"tjd web reach-allowed tautulli\" -j "
		"RETURN");
	has("-A F -s fd00:30::3/128 -d fd00:30::2/128 -i br-web -o br-web -m physdev --physdev-in "
	    "vethtau -m comment --comment \"tjd web reach-allowed tautulli\" -j RETURN");
	has("-A F -s 172.30.0.4/32 -d 172.30.0.2/32 -i br-web -o br-web -m physdev --physdev-in "
	    "vethplex -m comment --comment \"tjd web reach-allowed plex\" -j RETURN");
	/* a container whose port is unknown gets nothing; nor do the others reach each other */
	lacks("-s 172.30.0.5/32");
	lacks("-d 172.30.0.4/32 -i br-web -o br-web -m physdev --physdev-in vethtau -m comment "
	      "--comment \"tjd web reach");
	drop = has("-A F -i br-web -o br-web -m comment --comment \"tjd web isolate\" -j DROP");
	published = has("-A F -m conntrack --ctstate NEW -m conntrack --ctstate DNAT -m comment "
			"--comment \"tjd "
			"published policy\" -j DROP");
	/* LAN egress last: published ports aside, the listed set, then private ranges */
	has("-A F -i br-web -m conntrack --ctstate DNAT -m comment --comment \"tjd "
	    "web "
	    "lan-published\" -j RETURN");
	has("-A F -i br-web -m set --match-set nas-4 dst -m comment --comment \"tjd web lan-allow "
	    "nas\" -j RETURN");
	egress =
	    has("-A F -d 192.168.0.0/16 -i br-web -m comment --comment \"tjd web lan-egress\" -j "
		"DROP");
	has("-A F -d 10.0.0.0/8 -i br-web -m comment --comment \"tjd web lan-egress\" -j DROP");
	has("-A F -d 172.16.0.0/12 -i br-web -m comment --comment \"tjd web lan-egress\" -j DROP");
	has("-A F -d fc00::/7 -i br-web -m comment --comment \"tjd web lan-egress\" -j DROP");
	has("-A F -d 10.0.0.0/8 -i br-web -m conntrack --ctstate NEW -m comment --comment \"tjd "
	    "web "
	    "lan-egress\" -m limit --limit 5/sec --limit-burst 10 -j NFLOG --nflog-prefix \"tjd "
	    "web "
	    "lan-egress\" --nflog-group 7480");
	ck_assert_uint_lt(pair, allow);
	ck_assert_uint_lt(allow, reach);
	ck_assert_uint_lt(reach, drop);
	ck_assert_uint_lt(drop, published);
	ck_assert_uint_lt(published, egress);
}
END_TEST

START_TEST(test_network_deny_rule_and_no_drop_log)
{
	static const char *const dbs[] = {"db"};
	struct inv_network *net;
	size_t deny, allow;

	load("[daemon]\n"
	     "drop_log = no\n"
	     "[network web]\n"
	     "allow = label=tjd.allow=true\n"
	     "rule = deny from container proxy to label role=db\n");
	net = network("web", "br-web", "netweb");
	endpoint(net, "proxy", "172.30.0.2", NULL, true, "vethproxy");
	endpoint(net, "db", "172.30.0.7", NULL, false, "vethdb");
	matched("label=role=db", "netweb", dbs, 1);
	compile();
	/* a deny needs no port binding: it takes, never grants */
	deny =
	    has("-A F -s 172.30.0.2/32 -d 172.30.0.7/32 -i br-web -o br-web -m comment --comment "
		"\"tjd web rule 1 proxy\" -j DROP");
	allow =
	    has("-A F -s 172.30.0.2/32 -i br-web -o br-web -m physdev --physdev-in vethproxy -m "
		"comment --comment \"tjd web allow proxy\" -j RETURN");
	ck_assert_uint_lt(deny, allow);
	lacks("NFLOG");
}
END_TEST

START_TEST(test_pair_rule_sources_are_not_allow_listed_for_conntrack)
{
	static const char *const tautulli[] = {"tautulli"};
	struct policy_conntrack pc;
	struct inv_network *net;

	load("[network web]\n"
	     "allow = label=tjd.allow=true\n"
	     "rule = allow from label app=tautulli to container plex proto tcp port 32400\n"
	     "reach_allowed = yes\n");
	net = network("web", "br-web", "netweb");
	endpoint(net, "proxy", "172.30.0.2", NULL, true, "vethproxy");
	endpoint(net, "tautulli", "172.30.0.3", NULL, false, "vethtau");
	endpoint(net, "plex", "172.30.0.4", NULL, false, "vethplex");
	matched("label=app=tautulli", "netweb", tautulli, 1);
	compile();
	policy_conntrack_init(&pc);
	ck_assert_int_eq(policy_conntrack_build(conf, &inv, &out, &pc), 0);
	ck_assert_uint_eq(pc.count, 1);
	/* only the proxy may open connections to anyone: tautulli and plex only to some */
	ck_assert_uint_eq(pc.networks[0].allowed_count, 1);
	policy_conntrack_free(&pc);
}
END_TEST

START_TEST(test_lately_published_ports_linger)
{
	static const uint16_t web_ports[] = {8000, 80};
	struct inventory before, now;

	/* what a run notes: the ports published now, and those of the run before not long gone */
	inventory_init(&before);
	inventory_init(&now);
	container("web", "172.17.0.2", NULL, web_ports, 2);
	ck_assert_int_eq(inventory_note_published(&inv, NULL, 1000), 0);
	ck_assert_uint_eq(inv.published_count, 1);
	ck_assert_uint_eq(inv.published[0].port, 8000);
	ck_assert_int_eq(inventory_copy(&before, &inv), 0);
	/* web went: 8000 stays for INV_PUBLISHED_LINGER seconds, then goes */
	ck_assert_int_eq(inventory_note_published(&now, &before, 1000 + INV_PUBLISHED_LINGER - 1),
			 0);
	ck_assert_uint_eq(now.published_count, 1);
	ck_assert_int_eq(now.published[0].seen, 1000);
	ck_assert_int_eq(inventory_note_published(&now, &before, 1000 + INV_PUBLISHED_LINGER), 0);
	ck_assert_uint_eq(now.published_count, 0);
	inventory_free(&before);
	inventory_free(&now);

	/* compiled: the docker-proxy path keeps judging a port no container publishes right now */
	load("[published]\n"
	     "policy = deny\n"
	     "rule = allow from 10.0.0.0/8 to any port 9000 proto tcp\n"
	     "rule = allow from 10.1.0.0/16 to container web\n");
	inventory_free_containers(&inv);
	free(inv.published);
	inv.published = calloc(1, sizeof(*inv.published));
	ck_assert_ptr_nonnull(inv.published);
	inv.published[0] = (struct inv_published){.protocol = IPPROTO_TCP, .port = 9000, .seen = 1};
	inv.published_count = 1;
	compile();
	has("-A I -s 10.0.0.0/8 -p tcp -m tcp --dport 9000 -m conntrack --ctstate NEW -m comment "
	    "--comment \"tjd published rule 1\" -j RETURN");
	has("-A I -p tcp -m tcp --dport 9000 -m conntrack --ctstate NEW -m comment --comment \"tjd "
	    "published policy\" -j DROP");
	/* a rule to a container only covers what that container publishes now */
	lacks("-s 10.1.0.0/16");
}
END_TEST

static Suite *policy_host_suite(void)
{
	Suite *s = suite_create("policy_host");
	TCase *tc = tcase_create("compile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pyfw_scenario);
	tcase_add_test(tc, test_lately_published_ports_linger);
	tcase_add_test(tc, test_set_members_exact_and_from_containers);
	tcase_add_test(tc, test_published_to_container_and_reject);
	tcase_add_test(tc, test_pair_rule_reach_allowed_and_order);
	tcase_add_test(tc, test_network_deny_rule_and_no_drop_log);
	tcase_add_test(tc, test_pair_rule_sources_are_not_allow_listed_for_conntrack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(policy_host_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
