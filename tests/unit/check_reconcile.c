/*
 * The reconcile state machine against a simulated Docker API (docker-sim.h
 * over http-fixture.h, spoken to by tjd's real libcurl client on a real
 * libevent loop), wired to the enforcement layer with the fake backend as
 * the daemon wires them: Docker's state and events in, the ruleset that
 * reaches the "kernel" out.  Bridge ports come from a table instead of
 * network namespaces.
 */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check-util.h"
#include "docker-sim.h"
#include "http-fixture.h"
#include "tjd/backend.h"
#include "tjd/conf.h"
#include "tjd/docker.h"
#include "tjd/enforce.h"
#include "tjd/overlay.h"
#include "tjd/policy.h"
#include "tjd/reconcile.h"

#define SAFETY_MS 10000

/* Everything one case sets up, and what the hooks saw. */
static struct {
	struct event_base *base;
	struct http_fixture *http;
	struct docker_sim *sim;
	struct docker_client *docker;
	struct conf *conf;
	struct enforce *enforce;
	struct reconcile *reconcile;
	struct inventory inventory; /* of the last successful run */
	unsigned runs;
	unsigned partial_runs;
	unsigned reused;
	unsigned failures;
	unsigned lost;
	char error[512];
	char withheld[512];
	char conf_path[64];
	/* MACs whose bridge port the fake lookup cannot find */
	const char *unresolvable[4];
} fx;

static size_t net_web, net_other;
static size_t c_proxy, c_b1, c_b2;

/* The bridge port of a MAC: "vp" and its last two bytes, unless it is unresolvable. */
static int fake_bridge_port(const char *sandbox_key, const char *mac, const char *bridge,
			    struct netns_peers *host_side, char *port, size_t portlen, char *err,
			    size_t errlen)
{
	for (size_t i = 0; i < sizeof(fx.unresolvable) / sizeof(fx.unresolvable[0]); i++) {
		if (fx.unresolvable[i] != NULL && strcmp(fx.unresolvable[i], mac) == 0) {
			snprintf(err, errlen, "no link with MAC %s in %s", mac, sandbox_key);
			return -1;
		}
	}
	ck_assert_uint_eq(strlen(mac), 17);
	ck_assert_ptr_nonnull(strstr(sandbox_key, "/sim/netns/"));
	/* a bridge network's lookup names its bridge, and the run's table for it */
	ck_assert(bridge == NULL || bridge[0] != '\0');
	ck_assert(bridge == NULL || host_side != NULL);
	snprintf(port, portlen, "vp%.2s%.2s", mac + 12, mac + 15);
	return 0;
}

/* The same for overlay namespaces: "op" and the last two bytes. */
static int fake_overlay_port(const char *sandbox_key, const char *mac, const char *overlay_netns,
			     const char *bridge, char *port, size_t portlen, char *err,
			     size_t errlen)
{
	ck_assert_str_eq(bridge, OVERLAY_BRIDGE);
	ck_assert_ptr_nonnull(strstr(overlay_netns, "/sim/netns/1-"));
	if (fake_bridge_port(sandbox_key, mac, NULL, NULL, port, portlen, err, errlen) < 0)
		return -1;
	port[0] = 'o';
	return 0;
}

/* A bridge's ports: one per endpoint with a MAC, as the fake lookup names them, and a stray one. */
static int fake_bridge_members(const struct inv_network *net, char (*ports)[TJD_IFNAMSIZ],
			       size_t max, size_t *count, char *err, size_t errlen)
{
	*count = 0;
	for (size_t e = 0; e < net->endpoint_count && *count < max; e++)
		if (strlen(net->endpoints[e].mac) == 17)
			snprintf(ports[(*count)++], TJD_IFNAMSIZ, "vp%.2s%.2s",
				 net->endpoints[e].mac + 12, net->endpoints[e].mac + 15);
	if (*count < max)
		snprintf(ports[(*count)++], TJD_IFNAMSIZ, "vstray");
	return 0;
}

static const struct reconcile_ports fake_ports = {
    .bridge_port = fake_bridge_port,
    .overlay_port = fake_overlay_port,
    .bridge_members = fake_bridge_members,
};

/* The daemon's part: what a run found goes to the enforcement layer. */
static int fixture_done(void *arg, const struct reconcile_result *result)
{
	char err[512];

	fx.runs++;
	fx.partial_runs += result->partial;
	fx.reused = result->answers_reused;
	snprintf(fx.withheld, sizeof(fx.withheld), "%s", result->withheld);
	if (result->inventory == NULL) {
		fx.failures++;
		snprintf(fx.error, sizeof(fx.error), "%s", result->error);
		return -1;
	}
	if (enforce_apply(fx.enforce, fx.conf, result->inventory, NULL, 0, err, sizeof(err)) < 0) {
		fx.failures++;
		snprintf(fx.error, sizeof(fx.error), "%s", err);
		return -1;
	}
	fx.error[0] = '\0';
	ck_assert_int_eq(inventory_copy(&fx.inventory, result->inventory), 0);
	return 0;
}

/* Docker's event stream went away. */
static void fixture_lost(void *arg, const char *message)
{
	fx.lost++;
	snprintf(fx.error, sizeof(fx.error), "%s", message);
}

static const struct reconcile_hooks fixture_hooks = {
    .done = fixture_done,
    .docker_lost = fixture_lost,
};

/* Writes the configuration and loads it. */
static void fixture_conf(const char *text)
{
	char err[256];
	int fd;

	snprintf(fx.conf_path, sizeof(fx.conf_path), "/tmp/check_reconcile_XXXXXX");
	fd = mkstemp(fx.conf_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	fx.conf = conf_load(fx.conf_path, true, NULL, err, sizeof(err));
	ck_assert_msg(fx.conf != NULL, "%s", err);
}

/*
 * The standard world: "web" (protected, dual-stack) with an allow-listed
 * proxy and two backends, and "other" (not protected) with b1 on it too.
 */
static void fixture_setup(void)
{
	const struct enforce_options options = {.instance_id = "", .dry_run = true};
	char host[256], err[256];

	memset(&fx, 0, sizeof(fx));
	inventory_init(&fx.inventory);
	fixture_conf("[network web]\nallow = label=tjd.allow=true\n");
	fx.sim = docker_sim_new();
	net_web = docker_sim_add_network(fx.sim, "web", "bridge", "172.30.0.0/24", "fd00:30::/64");
	net_other = docker_sim_add_network(fx.sim, "other", "bridge", "172.31.0.0/24", NULL);
	c_proxy = docker_sim_add_container(fx.sim, "proxy", "tjd.allow=true");
	c_b1 = docker_sim_add_container(fx.sim, "b1", "role=app");
	c_b2 = docker_sim_add_container(fx.sim, "b2", "");
	docker_sim_connect(fx.sim, c_proxy, net_web, "172.30.0.2", "fd00:30::2",
			   "02:42:ac:1e:00:02");
	docker_sim_connect(fx.sim, c_b1, net_web, "172.30.0.11", "fd00:30::11",
			   "02:42:ac:1e:00:0b");
	docker_sim_connect(fx.sim, c_b2, net_web, "172.30.0.12", "fd00:30::12",
			   "02:42:ac:1e:00:0c");
	docker_sim_connect(fx.sim, c_b1, net_other, "172.31.0.11", NULL, "02:42:ac:1f:00:0b");
	fx.http = http_fixture_start(NULL, 0, false);
	http_fixture_set_handler(fx.http, docker_sim_handler, fx.sim);
	http_fixture_set_stream(fx.http, "/events");
	fx.base = event_base_new();
	ck_assert_ptr_nonnull(fx.base);
	http_fixture_host(fx.http, host, sizeof(host));
	fx.docker = docker_client_new(fx.base, host, err, sizeof(err));
	ck_assert_msg(fx.docker != NULL, "%s", err);
	fx.enforce = enforce_new(&options, err, sizeof(err));
	ck_assert_msg(fx.enforce != NULL, "%s", err);
	fx.reconcile =
	    reconcile_new(fx.base, fx.docker, fx.conf, &fake_ports, &fixture_hooks, NULL);
	ck_assert_ptr_nonnull(fx.reconcile);
}

static void fixture_teardown(void)
{
	reconcile_free(fx.reconcile);
	docker_client_free(fx.docker);
	enforce_free(fx.enforce);
	http_fixture_stop(fx.http);
	docker_sim_free(fx.sim);
	event_base_free(fx.base);
	inventory_free(&fx.inventory);
	conf_free(fx.conf);
	unlink(fx.conf_path);
}

/* Safety timer callback. */
static void fixture_expired(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

/* Runs the loop until `runs` runs have finished in all, or ms pass; false on time-out. */
static bool fixture_wait_runs(unsigned runs, int ms)
{
	bool expired = false;
	struct event *timer = evtimer_new(fx.base, fixture_expired, &expired);
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	ck_assert_ptr_nonnull(timer);
	evtimer_add(timer, &tv);
	while (fx.runs < runs && !expired)
		event_base_loop(fx.base, EVLOOP_ONCE);
	event_free(timer);
	return fx.runs >= runs;
}

/* Runs the loop until the event stream is open. */
static void fixture_wait_stream(void)
{
	for (int i = 0; i < SAFETY_MS / 10 && http_fixture_stream_count(fx.http) == 0; i++)
		check_util_loop_for(fx.base, 10);
	ck_assert_int_eq(http_fixture_stream_count(fx.http), 1);
}

/* Sends one Docker event line; name ("" for none) goes in Actor.Attributes.name. */
static void fixture_event_named(const char *type, const char *action, const char *id,
				const char *name)
{
	char line[768];

	snprintf(line, sizeof(line),
		 "{\"Type\":\"%s\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\","
		 "\"Attributes\":{\"name\":\"%s\"}},\"time\":1764000000}\n",
		 type, action, id, name);
	ck_assert_int_eq(http_fixture_stream_send(fx.http, line), 1);
}

/* Sends one Docker event line without attributes. */
static void fixture_event(const char *type, const char *action, const char *id)
{
	fixture_event_named(type, action, id, "");
}

/* What Docker sends when a container starts on a network: connect, then start. */
static void fixture_container_started(size_t container, size_t network)
{
	fixture_event_named("network", "connect", docker_sim_network_id(fx.sim, network), "web");
	fixture_event("container", "start", docker_sim_container_id(fx.sim, container));
}

/* What the fake backend holds now. */
static struct backend_fake_state *fixture_kernel(void)
{
	struct backend_fake_state *state = backend_fake_state(enforce_backend(fx.enforce));

	ck_assert_ptr_nonnull(state);
	return state;
}

/* True when the kernel has an allowance for address (host) from port. */
static bool fixture_allows(const char *address, const char *port)
{
	const struct ruleset *set = &fixture_kernel()->installed;
	struct prefix want;

	ck_assert_int_eq(prefix_parse(address, &want), 0);
	for (size_t i = 0; i < set->count; i++) {
		const struct rule *rule = &set->rules[i];
		if (rule->verdict == RULE_RETURN && rule->hook == RULE_HOOK_FORWARD &&
		    prefix_equal(&rule->src, &want) && strcmp(rule->physdev_in, port) == 0)
			return true;
	}
	return false;
}

/* The kernel holds exactly what the policy compiler makes of the last inventory. */
static void fixture_assert_compiled(void)
{
	struct ruleset expected;
	char err[256];

	ruleset_init(&expected);
	ck_assert_int_eq(policy_compile(fx.conf, &fx.inventory, &expected, NULL, err, sizeof(err)),
			 0);
	ck_assert(ruleset_equal(&expected, &fixture_kernel()->installed));
	ruleset_free(&expected);
}

START_TEST(test_first_run_builds_inventory_and_rules)
{
	const struct inv_network *net;
	const struct inv_endpoint *proxy;

	reconcile_start(fx.reconcile, false);
	ck_assert_msg(fixture_wait_runs(1, SAFETY_MS), "no reconcile finished");
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	/* only the protected network, with everything Docker said about it */
	ck_assert_uint_eq(fx.inventory.count, 1);
	net = &fx.inventory.networks[0];
	ck_assert_str_eq(net->name, "web");
	ck_assert_str_eq(net->id, docker_sim_network_id(fx.sim, net_web));
	ck_assert_uint_eq(net->subnet_count, 2);
	ck_assert_uint_eq(net->endpoint_count, 3);
	proxy = inv_network_find_endpoint((struct inv_network *)net,
					  docker_sim_container_id(fx.sim, c_proxy));
	ck_assert_ptr_nonnull(proxy);
	ck_assert(proxy->allowed);
	ck_assert_str_eq(proxy->bridge_port, "vp0002");
	for (size_t e = 0; e < net->endpoint_count; e++)
		if (&net->endpoints[e] != proxy)
			ck_assert(!net->endpoints[e].allowed);
	/* the kernel got the compiled ruleset, in one commit */
	fixture_assert_compiled();
	ck_assert_uint_eq(fixture_kernel()->commits, 1);
	ck_assert(fixture_allows("172.30.0.2", "vp0002"));
	ck_assert(fixture_allows("fd00:30::2", "vp0002"));
	ck_assert(!fixture_allows("172.30.0.11", "vp000b"));
	/* one inspect per container (layer 2 binds every one to its port), the allow
	 * filter's list, and the list of every container (for containers' own firewalls) */
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/json?filters"), 1);
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/"), 5);
	/* every port of the bridge is bound to its container, the stray one to nothing */
	ck_assert_uint_eq(net->member_count, 4);
	ck_assert_uint_eq(fixture_kernel()->installed.port_count, 4);
	for (size_t i = 0; i < fixture_kernel()->installed.port_count; i++) {
		const struct l2_port *port = &fixture_kernel()->installed.ports[i];
		ck_assert_str_eq(port->bridge, net->bridge);
		ck_assert(port->known == (strcmp(port->port, "vstray") != 0));
		if (strcmp(port->port, "vp000b") == 0) {
			ck_assert_uint_eq(port->mac[5], 0x0b);
			ck_assert_int_eq(port->ipv4.family, AF_INET);
			ck_assert_int_eq(port->ipv6.family, AF_INET6);
			ck_assert_int_eq(port->ipv6_link.family, AF_INET6);
			ck_assert_ptr_nonnull(strstr(port->comment, "b1"));
		}
	}
	ck_assert(enforce_stats(fx.enforce)->ready);
}
END_TEST

START_TEST(test_event_brings_new_allowance)
{
	size_t c_proxy2;

	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	ck_assert(!fixture_allows("172.30.0.3", "vp0003"));
	c_proxy2 = docker_sim_add_container(fx.sim, "proxy2", "tjd.allow=true");
	docker_sim_connect(fx.sim, c_proxy2, net_web, "172.30.0.3", "fd00:30::3",
			   "02:42:ac:1e:00:03");
	fixture_container_started(c_proxy2, net_web);
	ck_assert_msg(fixture_wait_runs(2, SAFETY_MS), "the event started no reconcile");
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	ck_assert(fixture_allows("172.30.0.3", "vp0003"));
	ck_assert(fixture_allows("fd00:30::3", "vp0003"));
	fixture_assert_compiled();
	/* and a stopped proxy loses it on the next event */
	docker_sim_remove_container(fx.sim, c_proxy2);
	fixture_event("network", "disconnect", docker_sim_network_id(fx.sim, net_web));
	ck_assert(fixture_wait_runs(3, SAFETY_MS));
	ck_assert(!fixture_allows("172.30.0.3", "vp0003"));
	ck_assert(fixture_allows("172.30.0.2", "vp0002"));
}
END_TEST

START_TEST(test_event_burst_coalesces)
{
	char burst[64 * 160] = "";

	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	for (int i = 0; i < 60; i++)
		snprintf(burst + strlen(burst), sizeof(burst) - strlen(burst),
			 "{\"Type\":\"%s\",\"Action\":\"start\",\"Actor\":{\"ID\":\"%s\"}}\n",
			 i % 2 ? "container" : "network",
			 i % 2 ? docker_sim_container_id(fx.sim, c_b1)
			       : docker_sim_network_id(fx.sim, net_web));
	ck_assert_int_eq(http_fixture_stream_send(fx.http, burst), 1);
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	check_util_loop_for(fx.base, 200);
	/* 60 events: the debounced run, at most one more for those that came during it */
	ck_assert_uint_le(fx.runs, 3);
	ck_assert_uint_eq(fixture_kernel()->commits, 1);
}
END_TEST

START_TEST(test_ignored_and_garbage_events)
{
	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	fixture_event("container", "exec_start: sh", docker_sim_container_id(fx.sim, c_b1));
	fixture_event("container", "health_status: healthy", docker_sim_container_id(fx.sim, c_b1));
	ck_assert_int_eq(http_fixture_stream_send(fx.http, "not json at all\n{\"Type\":1}\n"), 1);
	check_util_loop_for(fx.base, 300);
	ck_assert_uint_eq(fx.runs, 1);
	/* the stream survives garbage: a real event still gets through */
	fixture_event("container", "die", docker_sim_container_id(fx.sim, c_b2));
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	ck_assert_uint_eq(fx.lost, 0);
}
END_TEST

START_TEST(test_docker_error_leaves_rules_untouched)
{
	struct ruleset before;
	unsigned commits;

	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	ruleset_init(&before);
	ck_assert_int_eq(ruleset_copy(&before, &fixture_kernel()->installed), 0);
	commits = fixture_kernel()->commits;
	/* the proxy goes, but Docker fails mid-run: nothing reaches the kernel */
	docker_sim_remove_container(fx.sim, c_proxy);
	docker_sim_fail(fx.sim, "/containers/json", 500);
	fixture_event("container", "die", docker_sim_container_id(fx.sim, c_proxy));
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	ck_assert_uint_eq(fx.failures, 1);
	ck_assert_msg(strstr(fx.error, "HTTP 500") != NULL, "%s", fx.error);
	ck_assert_uint_eq(fixture_kernel()->commits, commits);
	ck_assert(ruleset_equal(&before, &fixture_kernel()->installed));
	/* an answer that is not what Docker sends is a failure too */
	docker_sim_fail(fx.sim, "/networks/", 200);
	ck_assert(fixture_wait_runs(3, SAFETY_MS));
	ck_assert_uint_eq(fx.failures, 2);
	ck_assert(ruleset_equal(&before, &fixture_kernel()->installed));
	/* retried with back-off without any event once Docker answers again */
	docker_sim_fail(fx.sim, NULL, 0);
	ck_assert(fixture_wait_runs(4, SAFETY_MS));
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	ck_assert(!fixture_allows("172.30.0.2", "vp0002"));
	fixture_assert_compiled();
	ck_assert_uint_eq(fixture_kernel()->commits, commits + 1);
	ruleset_free(&before);
}
END_TEST

START_TEST(test_unknown_port_withholds_allowance)
{
	fx.unresolvable[0] = "02:42:ac:1e:00:02";
	reconcile_start(fx.reconcile, false);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	ck_assert_msg(strstr(fx.withheld, "proxy") != NULL &&
			  strstr(fx.withheld, "withholding") != NULL,
		      "%s", fx.withheld);
	/* fail closed: the proxy is listed but gets no allowance, the network stays closed */
	ck_assert_uint_eq(fx.inventory.networks[0].endpoint_count, 3);
	ck_assert(!fixture_allows("172.30.0.2", ""));
	ck_assert_uint_gt(fixture_kernel()->installed.count, 0);
	fixture_assert_compiled();
}
END_TEST

START_TEST(test_network_created_later)
{
	size_t late;

	conf_free(fx.conf);
	unlink(fx.conf_path);
	fixture_conf("[network late]\nallow = name=proxy\n");
	reconcile_set_conf(fx.reconcile, fx.conf);
	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	ck_assert_uint_eq(fx.inventory.count, 0);
	ck_assert_uint_eq(fixture_kernel()->installed.count, 0);
	late = docker_sim_add_network(fx.sim, "late", "bridge", "10.9.0.0/24", NULL);
	docker_sim_connect(fx.sim, c_proxy, late, "10.9.0.2", NULL, "02:42:0a:09:00:02");
	docker_sim_connect(fx.sim, c_b1, late, "10.9.0.3", NULL, "02:42:0a:09:00:03");
	fixture_event("network", "create", docker_sim_network_id(fx.sim, late));
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	ck_assert_uint_eq(fx.inventory.count, 1);
	ck_assert(fixture_allows("10.9.0.2", "vp0002"));
	ck_assert(!fixture_allows("10.9.0.3", "vp0003"));
	fixture_assert_compiled();
}
END_TEST

START_TEST(test_stream_end_reopens)
{
	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	http_fixture_stream_end(fx.http);
	for (int i = 0; i < SAFETY_MS / 10 && fx.lost == 0; i++)
		check_util_loop_for(fx.base, 10);
	ck_assert_uint_eq(fx.lost, 1);
	ck_assert_ptr_nonnull(strstr(fx.error, "event stream ended"));
	/* reopened after back-off, and what happened meanwhile is looked at */
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	fixture_wait_stream();
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/events"), 2);
}
END_TEST

START_TEST(test_overlay_ports_and_netns_dir)
{
	size_t ovl, c_task, c_lb;
	const struct inv_network *net;

	conf_free(fx.conf);
	unlink(fx.conf_path);
	fixture_conf("[network ovl]\nallow = label=tjd.allow=true\n");
	reconcile_set_conf(fx.reconcile, fx.conf);
	ovl = docker_sim_add_network(fx.sim, "ovl", "overlay", "10.231.0.0/24", NULL);
	c_task = docker_sim_add_container(fx.sim, "proxy.1.x", "tjd.allow=true");
	docker_sim_connect(fx.sim, c_task, ovl, "10.231.0.2", NULL, "02:42:0a:e7:00:02");
	docker_sim_connect(fx.sim, c_b2, ovl, "10.231.0.3", NULL, "02:42:0a:e7:00:03");
	c_lb = docker_sim_add_container(fx.sim, "ovl-endpoint", "");
	docker_sim_set_container_id(fx.sim, c_lb, "lb-ovl");
	docker_sim_connect(fx.sim, c_lb, ovl, "10.231.0.5", NULL, "02:42:0a:e7:00:05");
	reconcile_start(fx.reconcile, false);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	ck_assert_uint_eq(fx.inventory.count, 1);
	net = &fx.inventory.networks[0];
	ck_assert_str_eq(net->driver, "overlay");
	ck_assert_str_eq(fx.inventory.netns_dir, "/sim/netns");
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		if (strcmp(endpoint->name, "proxy.1.x") == 0) {
			ck_assert(endpoint->allowed);
			ck_assert_str_eq(endpoint->bridge_port, "op0002");
		} else if (strcmp(endpoint->container_id, "lb-ovl") == 0) {
			/* this node's load balancer: bound to its port too */
			ck_assert(overlay_is_lb_endpoint(net, endpoint));
			ck_assert_str_eq(endpoint->bridge_port, "op0005");
		} else {
			ck_assert(!endpoint->allowed);
			ck_assert_str_eq(endpoint->bridge_port, "");
		}
	}
	/* nothing for the host's own chains: overlays are enforced in their namespaces */
	ck_assert_uint_eq(fixture_kernel()->installed.count, 0);
}
END_TEST

START_TEST(test_known_ports_spare_inspects)
{
	size_t inspects;

	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	inspects = http_fixture_requests(fx.http, "/containers/") -
		   http_fixture_requests(fx.http, "/containers/json");
	ck_assert_uint_eq(inspects, 3);
	/* the next runs (poll, events) know the proxy's port from its endpoint */
	reconcile_request(fx.reconcile, "poll");
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	fixture_event("container", "restart", docker_sim_container_id(fx.sim, c_b2));
	ck_assert(fixture_wait_runs(3, SAFETY_MS));
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/") -
			      http_fixture_requests(fx.http, "/containers/json"),
			  inspects);
	ck_assert(fixture_allows("172.30.0.2", "vp0002"));
	/* a restarted proxy is a new endpoint: looked up again, whatever its MAC */
	docker_sim_remove_container(fx.sim, c_proxy);
	c_proxy = docker_sim_add_container(fx.sim, "proxy", "tjd.allow=true");
	docker_sim_connect(fx.sim, c_proxy, net_web, "172.30.0.2", "fd00:30::2",
			   "02:42:ac:1e:00:02");
	fixture_container_started(c_proxy, net_web);
	ck_assert(fixture_wait_runs(4, SAFETY_MS));
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/") -
			      http_fixture_requests(fx.http, "/containers/json"),
			  inspects + 1);
	ck_assert(fixture_allows("172.30.0.2", "vp0002"));
	/* a port that could not be found is not remembered: tried again each run */
	fx.unresolvable[0] = "02:42:ac:1e:00:03";
	c_b1 = docker_sim_add_container(fx.sim, "proxy3", "tjd.allow=true");
	docker_sim_connect(fx.sim, c_b1, net_web, "172.30.0.3", NULL, "02:42:ac:1e:00:03");
	reconcile_request(fx.reconcile, "poll");
	ck_assert(fixture_wait_runs(5, SAFETY_MS));
	reconcile_request(fx.reconcile, "poll");
	ck_assert(fixture_wait_runs(6, SAFETY_MS));
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/") -
			      http_fixture_requests(fx.http, "/containers/json"),
			  inspects + 3);
	/* Docker restarted (the stream ends): everything is looked up afresh */
	fx.unresolvable[0] = NULL;
	http_fixture_stream_end(fx.http);
	ck_assert(fixture_wait_runs(7, SAFETY_MS));
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/") -
			      http_fixture_requests(fx.http, "/containers/json"),
			  inspects + 7);
}
END_TEST

/*
 * Containers' own firewalls: every full run lists the running containers,
 * and the start of a container whose labels carry a policy is read even on
 * no protected network, asking only the container list and that container.
 */
START_TEST(test_container_start_reads_its_firewall)
{
	const struct inv_container *app = NULL;
	size_t c_app;

	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	ck_assert(fx.inventory.containers_read);
	for (size_t i = 0; i < fx.inventory.container_count; i++)
		ck_assert(!fx.inventory.containers[i].policy);
	http_fixture_reset_requests(fx.http);
	c_app = docker_sim_add_container(fx.sim, "app", "dcfw.enable=true,dcfw.input.policy=deny");
	/* Docker's container events carry the container's labels among the attributes */
	{
		char line[768];

		snprintf(line, sizeof(line),
			 "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"%s\","
			 "\"Attributes\":{\"name\":\"app\",\"dcfw.enable\":\"true\"}},"
			 "\"time\":1764000000}\n",
			 docker_sim_container_id(fx.sim, c_app));
		ck_assert_int_eq(http_fixture_stream_send(fx.http, line), 1);
	}
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/networks"), 0);
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/json"), 1);
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/"), 2);
	for (size_t i = 0; i < fx.inventory.container_count; i++)
		if (strcmp(fx.inventory.containers[i].name, "app") == 0)
			app = &fx.inventory.containers[i];
	ck_assert_ptr_nonnull(app);
	ck_assert(app->policy);
	ck_assert_uint_eq(app->label_count, 2);
	ck_assert_str_eq(app->netns, docker_sim_sandbox(fx.sim, c_app));
	ck_assert_str_eq(app->network_mode, "default");
}
END_TEST

START_TEST(test_events_read_only_what_changed)
{
	size_t api, c_api, c_stranger;

	/* a second protected network */
	conf_free(fx.conf);
	unlink(fx.conf_path);
	/* (containers' own firewalls off: with them, any container's start is read) */
	fixture_conf("[daemon]\ncontainer_rules = no\n"
		     "[network web]\nallow = label=tjd.allow=true\n"
		     "[network api]\nallow = label=tjd.allow=true\n");
	reconcile_set_conf(fx.reconcile, fx.conf);
	api = docker_sim_add_network(fx.sim, "api", "bridge", "172.32.0.0/24", NULL);
	c_api = docker_sim_add_container(fx.sim, "api1", "");
	docker_sim_connect(fx.sim, c_api, api, "172.32.0.5", NULL, "02:42:ac:20:00:05");
	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	ck_assert_uint_eq(fx.inventory.count, 2);
	http_fixture_reset_requests(fx.http);
	/* a container on web starts: web is read again, api and the network list are not */
	c_stranger = docker_sim_add_container(fx.sim, "proxy9", "tjd.allow=true");
	docker_sim_connect(fx.sim, c_stranger, net_web, "172.30.0.9", NULL, "02:42:ac:1e:00:09");
	fixture_container_started(c_stranger, net_web);
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	ck_assert_uint_eq(fx.partial_runs, 1);
	ck_assert(fixture_allows("172.30.0.9", "vp0009"));
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/networks?"), 0);
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/networks/"), 1);
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/containers/json?filters"), 1);
	ck_assert_uint_eq(fx.inventory.count, 2);
	fixture_assert_compiled();
	/* a known container's event reads the networks it is on */
	http_fixture_reset_requests(fx.http);
	fixture_event("container", "rename", docker_sim_container_id(fx.sim, c_api));
	ck_assert(fixture_wait_runs(3, SAFETY_MS));
	ck_assert_uint_eq(http_fixture_requests(fx.http, "/networks/"), 1);
	ck_assert_uint_eq(fx.partial_runs, 2);
	/* events about networks and containers tjd does not protect read nothing */
	http_fixture_reset_requests(fx.http);
	fixture_event_named("network", "connect", docker_sim_network_id(fx.sim, net_other),
			    "other");
	fixture_event("container", "start", docker_sim_container_id(fx.sim, c_b2) + 1);
	check_util_loop_for(fx.base, 200);
	ck_assert_uint_eq(fx.runs, 3);
	ck_assert_uint_eq(http_fixture_requests(fx.http, NULL), 0);
	/* a protected network removed: the partial run drops it */
	docker_sim_remove_network(fx.sim, api);
	fixture_event_named("network", "destroy", docker_sim_network_id(fx.sim, api), "api");
	ck_assert(fixture_wait_runs(4, SAFETY_MS));
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	ck_assert_uint_eq(fx.partial_runs, 3);
	ck_assert_uint_eq(fx.inventory.count, 1);
	ck_assert_str_eq(fx.inventory.networks[0].name, "web");
	/* a network renamed under tjd's feet fails the partial run; the retry reads everything */
	docker_sim_rename_network(fx.sim, net_web, "web2");
	fixture_event_named("network", "connect", docker_sim_network_id(fx.sim, net_web), "web2");
	ck_assert(fixture_wait_runs(5, SAFETY_MS));
	ck_assert_uint_eq(fx.failures, 1);
	ck_assert_ptr_nonnull(strstr(fx.error, "renamed"));
	ck_assert(fixture_wait_runs(6, SAFETY_MS));
	ck_assert_uint_eq(fx.partial_runs, 4);
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	ck_assert_uint_eq(fx.inventory.count, 0);
	ck_assert_uint_eq(fixture_kernel()->installed.count, 0);
	fixture_assert_compiled();
}
END_TEST

/* The members the kernel's set `name` holds, as text "a b c". */
static void fixture_set_members(const char *name, char *out, size_t size)
{
	const struct ruleset *set = &fixture_kernel()->installed;
	const struct rule_addrset *named = ruleset_find_set(set, name);
	size_t n = 0;

	out[0] = '\0';
	ck_assert_msg(named != NULL, "no set %s", name);
	for (size_t m = 0; m < named->count; m++) {
		char text[PREFIX_TEXT_MAX];
		ck_assert_int_eq(prefix_format(&set->members[named->first + m], text, sizeof(text)),
				 0);
		n += (size_t)snprintf(out + n, size - n, "%s%s", m ? " " : "", text);
	}
}

START_TEST(test_sets_and_rules_follow_their_filters)
{
	const struct ruleset *installed;
	char members[512];
	size_t c_db, pairs = 0;

	/* sets and network rules name containers by filters Docker evaluates */
	conf_free(fx.conf);
	unlink(fx.conf_path);
	fixture_conf("[network web]\nallow = label=tjd.allow=true\n"
		     "rule = allow from label role=app to container b2 proto tcp port 5432\n"
		     "[set apps]\ncontainers = label=role=app\nmembers = 192.0.2.0/24\n"
		     "[published]\npolicy = deny\nrule = allow from @apps\n");
	reconcile_set_conf(fx.reconcile, fx.conf);
	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	ck_assert_msg(fx.error[0] == '\0', "%s", fx.error);
	ck_assert(fx.inventory.matches_read);
	ck_assert_ptr_nonnull(inventory_find_match(&fx.inventory, "label=role=app", ""));
	ck_assert_ptr_nonnull(inventory_find_match(&fx.inventory, "label=role=app",
						   docker_sim_network_id(fx.sim, net_web)));
	/* b1, on both networks, in the set with every address; the file's member beside it */
	fixture_set_members("apps-4", members, sizeof(members));
	ck_assert_str_eq(members, "172.30.0.11/32 172.31.0.11/32 192.0.2.0/24");
	fixture_set_members("apps-6", members, sizeof(members));
	ck_assert_str_eq(members, "fd00:30::11/128");
	/* the pair rule: b1 to b2's port, from b1's own bridge port */
	installed = &fixture_kernel()->installed;
	for (size_t i = 0; i < installed->count; i++) {
		const struct rule *r = &installed->rules[i];
		char dst[PREFIX_TEXT_MAX];
		if (r->dport_first != 5432 || prefix_format(&r->dst, dst, sizeof(dst)) < 0)
			continue;
		pairs++;
		ck_assert_str_eq(r->physdev_in, "vp000b");
		ck_assert(strcmp(dst, "172.30.0.12/32") == 0 ||
			  strcmp(dst, "fd00:30::12/128") == 0);
	}
	ck_assert_uint_eq(pairs, 2);
	fixture_assert_compiled();
	/* a new app container on a network tjd does not protect: its start alone updates the set */
	c_db = docker_sim_add_container(fx.sim, "worker", "role=app");
	docker_sim_connect(fx.sim, c_db, net_other, "172.31.0.40", NULL, "02:42:ac:1f:00:28");
	fixture_event("container", "start", docker_sim_container_id(fx.sim, c_db));
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	fixture_set_members("apps-4", members, sizeof(members));
	ck_assert_str_eq(members, "172.30.0.11/32 172.31.0.11/32 172.31.0.40/32 192.0.2.0/24");
	fixture_assert_compiled();
}
END_TEST

START_TEST(test_unchanged_answers_are_not_parsed_again)
{
	size_t c_new;

	reconcile_start(fx.reconcile, true);
	ck_assert(fixture_wait_runs(1, SAFETY_MS));
	fixture_wait_stream();
	ck_assert_uint_eq(fx.reused, 0);
	/* a poll on an idle host: the network list, the inspect and the container list are the same
	 */
	reconcile_request(fx.reconcile, "poll");
	ck_assert(fixture_wait_runs(2, SAFETY_MS));
	ck_assert_uint_eq(fx.reused, 3);
	ck_assert(fixture_allows("172.30.0.2", "vp0002"));
	fixture_assert_compiled();
	/* a change the stream did not announce: different bytes, read and enforced */
	c_new = docker_sim_add_container(fx.sim, "proxy4", "tjd.allow=true");
	docker_sim_connect(fx.sim, c_new, net_web, "172.30.0.4", NULL, "02:42:ac:1e:00:04");
	reconcile_request(fx.reconcile, "poll");
	ck_assert(fixture_wait_runs(3, SAFETY_MS));
	ck_assert_uint_eq(fx.reused, 1); /* only the network list is the same */
	ck_assert(fixture_allows("172.30.0.4", "vp0004"));
	ck_assert(fixture_allows("172.30.0.2", "vp0002"));
	fixture_assert_compiled();
	/* the allow filter's answer changes alone (the proxy stops matching): noticed too */
	docker_sim_remove_container(fx.sim, c_new);
	reconcile_request(fx.reconcile, "poll");
	ck_assert(fixture_wait_runs(4, SAFETY_MS));
	ck_assert(!fixture_allows("172.30.0.4", "vp0004"));
	fixture_assert_compiled();
	/* a failed run forgets every kept answer */
	docker_sim_fail(fx.sim, "/containers/json", 500);
	reconcile_request(fx.reconcile, "poll");
	ck_assert(fixture_wait_runs(5, SAFETY_MS));
	docker_sim_fail(fx.sim, NULL, 0);
	ck_assert(fixture_wait_runs(6, SAFETY_MS));
	ck_assert_uint_eq(fx.reused, 0);
	fixture_assert_compiled();
}
END_TEST

/* The suite. */
static Suite *reconcile_suite(void)
{
	Suite *suite = suite_create("reconcile");
	TCase *tc = tcase_create("against simulated Docker");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_first_run_builds_inventory_and_rules);
	tcase_add_test(tc, test_event_brings_new_allowance);
	tcase_add_test(tc, test_event_burst_coalesces);
	tcase_add_test(tc, test_ignored_and_garbage_events);
	tcase_add_test(tc, test_docker_error_leaves_rules_untouched);
	tcase_add_test(tc, test_unknown_port_withholds_allowance);
	tcase_add_test(tc, test_network_created_later);
	tcase_add_test(tc, test_stream_end_reopens);
	tcase_add_test(tc, test_overlay_ports_and_netns_dir);
	tcase_add_test(tc, test_known_ports_spare_inspects);
	tcase_add_test(tc, test_events_read_only_what_changed);
	tcase_add_test(tc, test_container_start_reads_its_firewall);
	tcase_add_test(tc, test_unchanged_answers_are_not_parsed_again);
	tcase_add_test(tc, test_sets_and_rules_follow_their_filters);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(reconcile_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
