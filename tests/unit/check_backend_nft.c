/*
 * The nft backend against the real kernel.  The binary first moves into a
 * throw-away network namespace, and every test case then takes a fresh one
 * of its own, so the host firewall is never touched and no case sees
 * another's leftovers.  Needs root: without it the run FAILS, loudly.
 *
 * Kernel state is checked through the nft command, an independent reader
 * of what libnftables wrote; the packet case builds a bridge with three
 * "containers" (namespaces on veth ports) and sends real traffic.  The
 * ruleset's named sets and conntrack DNAT conditions meet real datagrams
 * and connections over loopback (a nat chain for the DNAT), and their
 * changes are watched as nf_tables events.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>

#include "check-util.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tjd/backend-netns.h"
#include "tjd/backend.h"
#include "tjd/enforce.h"
#include "tjd/nft-owner.h"
#include "tjd/ruleset.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

/* libnftables.h defines _GNU_SOURCE again, without a value; config.h has. */
#undef _GNU_SOURCE
#include <nftables/libnftables.h>

#define CHECK_NFT_BRIDGE_IPV4 "/proc/sys/net/bridge/bridge-nf-call-iptables"
#define CHECK_NFT_BRIDGE_IPV6 "/proc/sys/net/bridge/bridge-nf-call-ip6tables"
/* How long the monitor may take to report a foreign change before we fail. */
#define CHECK_NFT_MONITOR_TIMEOUT_MS 2000
/* How long the monitor must stay quiet when a change is not ours to repair. */
#define CHECK_NFT_QUIET_MS 200
#define CHECK_NFT_CONTAINERS 4

static struct backend check_nft_backend;
static char check_nft_err[512];

/* Writes a short value into a file (a sysctl); fails the test on error. */
static void check_nft_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, value, strlen(value)) == (ssize_t)strlen(value), "write %s: %s",
		      path, strerror(errno));
	close(fd);
}

/* Runs a shell command that must succeed. */
#define CHECK_NFT_MUST(...) ck_assert_int_eq(check_util_run(__VA_ARGS__), 0)

/* Returns a command's standard output (malloc'd); the command must succeed. */
static char *check_nft_capture(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *check_nft_capture(const char *format, ...)
{
	char command[2048];
	va_list args;
	FILE *stream;
	size_t length = 0, capacity = 4096;
	char *text = malloc(capacity);
	size_t got;

	va_start(args, format);
	vsnprintf(command, sizeof(command), format, args);
	va_end(args);
	stream = popen(command, "r");
	ck_assert_ptr_nonnull(stream);
	ck_assert_ptr_nonnull(text);
	while ((got = fread(text + length, 1, capacity - length - 1, stream)) > 0) {
		length += got;
		if (capacity - length < 2) {
			char *grown = realloc(text, capacity * 2);
			ck_assert_ptr_nonnull(grown);
			text = grown;
			capacity *= 2;
		}
	}
	text[length] = '\0';
	ck_assert_msg(pclose(stream) == 0, "command failed: %s", command);
	return text;
}

/* The whole ruleset as nft lists it, without counter values. */
static char *check_nft_ruleset(void)
{
	return check_nft_capture("nft -s list ruleset");
}

/* Milliseconds on the monotonic clock. */
static double check_nft_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

/* Appends a rule with the given family, hook and verdict to `set`. */
static struct rule *check_nft_rule(struct ruleset *set, int family, enum rule_hook hook,
				   enum rule_verdict verdict)
{
	struct rule *rule = ruleset_add(set);

	ck_assert_ptr_nonnull(rule);
	rule->family = family;
	rule->hook = hook;
	rule->verdict = verdict;
	return rule;
}

/* Parses a prefix that the test knows to be valid. */
static void check_nft_prefix(struct prefix *prefix, const char *text)
{
	ck_assert_msg(prefix_parse(text, prefix) == 0, "bad test prefix %s", text);
}

/*
 * What the policy compiler writes for one protected network on `bridge`
 * whose one allow-listed container has `ipv4`/`ipv6` on port `port`.
 */
static void check_nft_policy(struct ruleset *set, const char *bridge, const char *ipv4,
			     const char *ipv6, const char *port)
{
	static const enum rule_hook hooks[] = {RULE_HOOK_FORWARD, RULE_HOOK_INPUT};
	static const int families[] = {AF_INET, AF_INET6};

	for (size_t h = 0; h < 2; h++) {
		bool forward = hooks[h] == RULE_HOOK_FORWARD;
		for (size_t f = 0; f < 2; f++) {
			bool v6 = families[f] == AF_INET6;
			struct rule *rule = check_nft_rule(set, families[f], hooks[h], RULE_RETURN);

			rule->ctstate = RULE_CT_ESTABLISHED | RULE_CT_RELATED;
			strcpy(rule->comment, "tjd replies");
			for (uint8_t type = forward ? 135 : 133; v6 && type <= 136; type++) {
				if (type == 134)
					continue;
				rule = check_nft_rule(set, AF_INET6, hooks[h], RULE_RETURN);
				strcpy(rule->in_iface, bridge);
				if (forward)
					strcpy(rule->out_iface, bridge);
				rule->protocol = IPPROTO_ICMPV6;
				rule->has_icmp_type = true;
				rule->icmp_type = type;
				strcpy(rule->comment, "tjd web neighbour-discovery");
			}
			rule = check_nft_rule(set, families[f], hooks[h], RULE_RETURN);
			strcpy(rule->in_iface, bridge);
			if (forward)
				strcpy(rule->out_iface, bridge);
			check_nft_prefix(&rule->src, v6 ? ipv6 : ipv4);
			strcpy(rule->physdev_in, port);
			strcpy(rule->comment, "tjd web allow proxy");
			rule = check_nft_rule(set, families[f], hooks[h], RULE_DROP);
			strcpy(rule->in_iface, bridge);
			if (forward)
				strcpy(rule->out_iface, bridge);
			strcpy(rule->comment, forward ? "tjd web isolate" : "tjd web no-host");
		}
	}
}

/*
 * A layer-2 port as the policy compiler writes one: bound to `mac` and the
 * addresses, or, with no MAC, one whose owner is unknown.
 */
static void check_nft_l2_port(struct ruleset *set, const char *bridge, const char *name,
			      const char *mac, const char *ipv4, const char *ipv6)
{
	struct l2_port *port = ruleset_add_port(set);

	ck_assert_ptr_nonnull(port);
	snprintf(port->bridge, sizeof(port->bridge), "%s", bridge);
	snprintf(port->port, sizeof(port->port), "%s", name);
	port->known = mac != NULL;
	if (mac == NULL)
		return;
	ck_assert_int_eq(l2_mac_parse(mac, port->mac), 0);
	check_nft_prefix(&port->ipv4, ipv4);
	check_nft_prefix(&port->ipv6, ipv6);
	l2_link_local(port->mac, &port->ipv6_link);
	snprintf(port->comment, sizeof(port->comment), "tjd web %s", name);
}

/* One network's dropped-packet counters through the backend's counters op. */
static int check_nft_counters(struct backend *backend, const char *bridge, uint64_t *packets,
			      uint64_t *bytes)
{
	struct backend_counter counter = {.bridge = bridge};
	int rc = backend->ops->counters(backend, &counter, 1, check_nft_err, sizeof(check_nft_err));

	*packets = counter.packets;
	*bytes = counter.bytes;
	return rc;
}

/* Applies a ruleset that must succeed; returns *changed. */
static bool check_nft_apply_with(struct backend *backend, const struct ruleset *set)
{
	bool changed = false;

	check_nft_err[0] = '\0';
	ck_assert_msg(
	    backend->ops->apply(backend, set, &changed, check_nft_err, sizeof(check_nft_err)) == 0,
	    "apply failed: %s", check_nft_err);
	return changed;
}

/* Applies through the test's backend. */
static bool check_nft_apply(const struct ruleset *set)
{
	return check_nft_apply_with(&check_nft_backend, set);
}

/* Waits until the monitor fd is readable; returns false on timeout. */
static bool check_nft_monitor_wait(struct backend *backend, int timeout_ms)
{
	struct pollfd pfd = {.fd = backend->ops->monitor_fd(backend), .events = POLLIN};

	ck_assert_int_ge(pfd.fd, 0);
	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

/*
 * Waits until the monitor reports a change by someone else, draining as
 * events come (a transaction's NEWGEN, which names who made it, may come
 * a moment after the events that woke us); false after timeout_ms.  The
 * time of the first wake-up goes to *woke_ms when asked for.
 */
static bool check_nft_monitor_reports(struct backend *backend, int timeout_ms, double *woke_ms)
{
	double deadline = check_nft_now_ms() + timeout_ms;

	for (double now = check_nft_now_ms(); now < deadline; now = check_nft_now_ms()) {
		if (!check_nft_monitor_wait(backend, (int)(deadline - now) + 1))
			return false;
		if (woke_ms != NULL && *woke_ms == 0)
			*woke_ms = check_nft_now_ms();
		if (backend->ops->monitor_drain(backend))
			return true;
	}
	return false;
}

/* Puts br_netfilter's per-namespace switches for both families to `value`. */
static void check_nft_bridge(const char *value)
{
	check_nft_write(CHECK_NFT_BRIDGE_IPV4, value);
	check_nft_write(CHECK_NFT_BRIDGE_IPV6, value);
}

/* Each case: a fresh network namespace and an open backend. */
static void check_nft_setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	check_nft_bridge("1");
	CHECK_NFT_MUST("ip link set lo up");
	ck_assert_int_eq(backend_init(&check_nft_backend, &backend_nft_ops, ""), 0);
	ck_assert_msg(check_nft_backend.ops->open(&check_nft_backend, check_nft_err,
						  sizeof(check_nft_err)) == 0,
		      "open failed: %s", check_nft_err);
}

/*
 * For the cases about repairing someone else's changes: the test's backend
 * reopened with unowned tables (own_tables = no), which anyone may change.
 * With owned ones the kernel refuses those changes (the test_owned_ cases).
 */
static void check_nft_unowned(void)
{
	check_nft_backend.ops->close(&check_nft_backend);
	ck_assert_int_eq(backend_init(&check_nft_backend, &backend_nft_ops, ""), 0);
	check_nft_backend.unowned_tables = true;
	ck_assert_msg(check_nft_backend.ops->open(&check_nft_backend, check_nft_err,
						  sizeof(check_nft_err)) == 0,
		      "open failed: %s", check_nft_err);
	ck_assert_ptr_nonnull(strstr(check_nft_backend.ops->protection(&check_nft_backend),
				     "not owned (own_tables = no)"));
}

/* Frees the backend; the namespace goes away with the test process. */
static void check_nft_teardown(void)
{
	if (check_nft_backend.ops != NULL)
		check_nft_backend.ops->close(&check_nft_backend);
}

START_TEST(test_open_refuses_without_bridge_netfilter)
{
	struct backend other;

	ck_assert_int_eq(backend_init(&other, &backend_nft_ops, "x1"), 0);
	check_nft_write(CHECK_NFT_BRIDGE_IPV4, "0");
	ck_assert_int_eq(other.ops->open(&other, check_nft_err, sizeof(check_nft_err)), -1);
	ck_assert_ptr_nonnull(strstr(check_nft_err, "bridge-nf-call-iptables"));
	ck_assert_ptr_null(other.priv);
	check_nft_write(CHECK_NFT_BRIDGE_IPV4, "1");
	check_nft_write(CHECK_NFT_BRIDGE_IPV6, "0");
	ck_assert_int_eq(other.ops->open(&other, check_nft_err, sizeof(check_nft_err)), -1);
	ck_assert_ptr_nonnull(strstr(check_nft_err, "bridge-nf-call-ip6tables"));
	check_nft_write(CHECK_NFT_BRIDGE_IPV6, "1");
	ck_assert_msg(other.ops->open(&other, check_nft_err, sizeof(check_nft_err)) == 0,
		      "open failed: %s", check_nft_err);
	other.ops->close(&other);
	ck_assert_ptr_null(other.priv);
}
END_TEST

START_TEST(test_clear_only_needs_no_bridge_netfilter)
{
	struct backend clearing;
	struct ruleset set;
	char *tables;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	/* as after tjd stopped: its tables stay, owned by no one (see test_owned_clear_*) */
	check_nft_backend.ops->close(&check_nft_backend);
	check_nft_bridge("0");
	ck_assert_int_eq(backend_init(&clearing, &backend_nft_ops, ""), 0);
	clearing.clear_only = true;
	ck_assert_msg(clearing.ops->open(&clearing, check_nft_err, sizeof(check_nft_err)) == 0,
		      "open failed: %s", check_nft_err);
	ck_assert_int_eq(clearing.ops->clear(&clearing, check_nft_err, sizeof(check_nft_err)), 0);
	clearing.ops->close(&clearing);
	tables = check_nft_capture("nft list tables");
	ck_assert_str_eq(tables, "");
	free(tables);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_open_leaves_nothing_behind)
{
	char *ruleset = check_nft_ruleset();

	/* the probe transaction creates and deletes its scratch tables */
	ck_assert_str_eq(ruleset, "");
	free(ruleset);
}
END_TEST

START_TEST(test_closed_backend_refuses)
{
	struct backend closed;
	struct ruleset empty;
	bool changed = true;
	uint64_t packets, bytes;
	char *text = NULL;

	ruleset_init(&empty);
	ck_assert_int_eq(backend_init(&closed, &backend_nft_ops, ""), 0);
	ck_assert_int_eq(
	    closed.ops->apply(&closed, &empty, &changed, check_nft_err, sizeof(check_nft_err)), -1);
	ck_assert(!changed);
	ck_assert_int_eq(closed.ops->clear(&closed, check_nft_err, sizeof(check_nft_err)), -1);
	ck_assert_int_eq(closed.ops->dump(&closed, &text, check_nft_err, sizeof(check_nft_err)),
			 -1);
	ck_assert_int_eq(check_nft_counters(&closed, NULL, &packets, &bytes), -1);
	ck_assert_int_eq(closed.ops->monitor_fd(&closed), -1);
	ck_assert(!closed.ops->monitor_drain(&closed));
}
END_TEST

START_TEST(test_apply_installs_tables)
{
	struct ruleset set;
	char *tables, *chain, *text;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	tables = check_nft_capture("nft list tables");
	ck_assert_str_eq(tables, "table inet tjd\ntable bridge tjd\n");
	free(tables);
	chain = check_nft_capture("nft list chain inet tjd forward");
	ck_assert_ptr_nonnull(strstr(chain, "hook forward priority filter - 10; policy accept;"));
	ck_assert_ptr_nonnull(strstr(chain, "iifname \"br-web\" oifname \"br-web\" ip saddr "
					    "@fwd4_br_web return"));
	ck_assert_ptr_nonnull(strstr(chain, "icmpv6 type nd-neighbor-advert return"));
	ck_assert_ptr_nonnull(strstr(chain, "meta nfproto ipv6 iifname \"br-web\" oifname "
					    "\"br-web\" counter packets 0 bytes 0 drop comment "
					    "\"tjd web isolate\""));
	free(chain);
	chain = check_nft_capture("nft list set bridge tjd bound6");
	ck_assert_ptr_nonnull(strstr(chain, "elements = { fd00:20::2 . \"veth1111111\" }"));
	free(chain);
	ck_assert_int_eq(check_nft_backend.ops->dump(&check_nft_backend, &text, check_nft_err,
						     sizeof(check_nft_err)),
			 0);
	ck_assert_ptr_nonnull(strstr(text, "table inet tjd {"));
	ck_assert_ptr_nonnull(strstr(text, "table bridge tjd {"));
	ck_assert_ptr_nonnull(strstr(text, "counter packets 0 bytes 0 drop"));
	free(text);
	ruleset_free(&set);
}
END_TEST

/*
 * A minimal container image has no /etc/protocols or /etc/services: the
 * script must name nothing that only those files resolve.
 */
START_TEST(test_apply_needs_no_name_databases)
{
	struct ruleset set;

	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
	CHECK_NFT_MUST("mount --make-rprivate / && mount --bind /dev/null /etc/protocols && "
		       "mount --bind /dev/null /etc/services");
	ck_assert_int_ne(check_util_run("getent protocols ipv6-icmp >/dev/null"), 0);
	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1");
	check_nft_l2_port(&set, "br-web", "veth1", "02:42:ac:14:00:02", "172.20.0.2", "fd00:20::2");
	check_nft_l2_port(&set, "br-web", "veth2", NULL, NULL, NULL);
	ck_assert(check_nft_apply(&set));
	ruleset_free(&set);
}
END_TEST

START_TEST(test_second_apply_does_not_commit)
{
	struct ruleset set;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct rule *rule;
	char *before, *after;
	uint64_t packets, bytes;
	int sock;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	rule = check_nft_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "lo");
	rule->protocol = IPPROTO_UDP;
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));

	/* one dropped packet gives the lo rule a non-zero counter */
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(sendto(sock, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(sock);
	before = check_nft_capture("nft -a list ruleset");
	ck_assert_ptr_nonnull(strstr(before, "iifname \"lo\" meta l4proto udp counter packets 1 "));

	/* identical: no commit, so handles and counters survive and no event fires */
	ck_assert(!check_nft_apply(&set));
	ck_assert(!check_nft_apply(&set));
	after = check_nft_capture("nft -a list ruleset");
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert(!check_nft_monitor_wait(&check_nft_backend, 0));
	ck_assert_int_eq(check_nft_counters(&check_nft_backend, "lo", &packets, &bytes), 0);
	ck_assert_uint_eq(packets, 1);
	ck_assert_uint_eq(bytes, 29);

	/* a real difference commits, and the counts taken before it are kept */
	rule = check_nft_rule(&set, AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_apply(&set));
	ck_assert_int_eq(check_nft_counters(&check_nft_backend, "lo", &packets, &bytes), 0);
	ck_assert_uint_eq(packets, 1);
	ck_assert_int_eq(check_nft_counters(&check_nft_backend, NULL, &packets, &bytes), 0);
	ck_assert_uint_eq(packets, 1);
	ck_assert_int_eq(check_nft_counters(&check_nft_backend, "br-web", &packets, &bytes), 0);
	ck_assert_uint_eq(packets, 0);
	{
		/* several networks from one read of the kernel */
		struct backend_counter several[3] = {{.bridge = "br-web"}, {.bridge = "lo"}, {0}};
		ck_assert_int_eq(check_nft_backend.ops->counters(&check_nft_backend, several, 3,
								 check_nft_err,
								 sizeof(check_nft_err)),
				 0);
		ck_assert_uint_eq(several[0].packets, 0);
		ck_assert_uint_eq(several[1].packets, 1);
		ck_assert_uint_eq(several[1].bytes, 29);
		ck_assert_uint_eq(several[2].packets, 1);
	}
	/* our own commits never count as someone else's */
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	free(before);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_watched_commits_only_differences)
{
	struct ruleset set, wider;
	struct backend fresh;
	char *handles_before, *handles_after, *by_delta, *by_whole;

	ruleset_init(&set);
	ruleset_init(&wider);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1");
	check_nft_policy(&wider, "br-web", "172.20.0.2", "fd00:20::2", "veth1");
	/* a second allow-listed container in every chain, as the compiler writes it */
	for (size_t i = wider.count; i-- > 0;) {
		struct rule *rule = &wider.rules[i], *copy;
		if (rule->physdev_in[0] == '\0')
			continue;
		copy = ruleset_add(&wider);
		*copy = wider.rules[i];
		check_nft_prefix(&copy->src, copy->family == AF_INET ? "172.20.0.9" : "fd00:20::9");
		strcpy(copy->physdev_in, "veth9");
	}
	/* the copies go next to their originals, where the compiler puts them */
	{
		struct ruleset ordered;
		ruleset_init(&ordered);
		for (size_t i = 0; i < set.count; i++) {
			*ruleset_add(&ordered) = set.rules[i];
			if (set.rules[i].physdev_in[0] == '\0')
				continue;
			for (size_t j = set.count; j < wider.count; j++)
				if (wider.rules[j].family == set.rules[i].family &&
				    wider.rules[j].hook == set.rules[i].hook)
					*ruleset_add(&ordered) = wider.rules[j];
		}
		ruleset_free(&wider);
		wider = ordered;
	}
	/* and its layer-2 port, next to the first one's */
	check_nft_l2_port(&set, "br-web", "veth1", "02:42:ac:14:00:02", "172.20.0.2", "fd00:20::2");
	check_nft_l2_port(&wider, "br-web", "veth1", "02:42:ac:14:00:02", "172.20.0.2",
			  "fd00:20::2");
	check_nft_l2_port(&wider, "br-web", "veth9", "02:42:ac:14:00:09", "172.20.0.9",
			  "fd00:20::9");
	/* a second backend writes the same tables (see test_owned_applies_keep_working) */
	check_nft_unowned();
	check_nft_backend.watched = true;
	ck_assert(check_nft_apply(&set));
	handles_before = check_nft_capture("nft -a list chain inet tjd forward && "
					   "nft -a list chain bridge tjd bound");
	/* the second container: only set elements change, the rules keep their handles */
	ck_assert(check_nft_apply(&wider));
	ck_assert(!check_nft_apply(&wider));
	handles_after = check_nft_capture("nft -a list chain inet tjd forward && "
					  "nft -a list chain bridge tjd bound");
	ck_assert_str_eq(handles_after, handles_before);
	by_delta = check_nft_capture("nft -s list ruleset");
	ck_assert_ptr_nonnull(strstr(by_delta, "172.20.0.9"));
	ck_assert_ptr_nonnull(strstr(by_delta, "\"veth9\""));
	ck_assert_ptr_nonnull(strstr(by_delta, "\"veth9\" : jump bound"));
	ck_assert_ptr_nonnull(strstr(by_delta, "02:42:ac:14:00:09 . \"veth9\""));
	/* exactly what a whole commit of the same ruleset leaves */
	ck_assert_int_eq(backend_init(&fresh, &backend_nft_ops, ""), 0);
	fresh.unowned_tables = true;
	ck_assert_msg(fresh.ops->open(&fresh, check_nft_err, sizeof(check_nft_err)) == 0, "%s",
		      check_nft_err);
	ck_assert(check_nft_apply_with(&fresh, &wider));
	by_whole = check_nft_capture("nft -s list ruleset");
	ck_assert_str_eq(by_delta, by_whole);
	/* and back: the delete commands leave what a whole commit of `set` leaves */
	ck_assert(check_nft_apply(&set));
	free(by_delta);
	by_delta = check_nft_capture("nft -s list ruleset");
	ck_assert(check_nft_apply_with(&fresh, &set));
	free(by_whole);
	by_whole = check_nft_capture("nft -s list ruleset");
	ck_assert_str_eq(by_delta, by_whole);
	fresh.ops->close(&fresh);
	free(handles_before);
	free(handles_after);
	free(by_delta);
	free(by_whole);
	ruleset_free(&set);
	ruleset_free(&wider);
}
END_TEST

/* Someone else's edits that the next apply must undo exactly. */
static const char *const check_nft_drifts[] = {
    "nft delete table inet tjd",
    "nft delete table bridge tjd",
    "nft flush ruleset",
    "nft flush table inet tjd",
    "nft flush chain inet tjd forward",
    "nft flush chain bridge tjd prerouting",
    "nft delete rule inet tjd forward handle "
    "$(nft -a list chain inet tjd forward | awk '/isolate/ { print $NF; exit }')",
    "nft replace rule inet tjd forward handle "
    "$(nft -a list chain inet tjd forward | awk '/isolate/ { print $NF; exit }')"
    " iifname br-web oifname br-web counter accept",
    "nft insert rule inet tjd forward accept",
    "nft add rule inet tjd input tcp dport 22 drop",
    "nft 'chain inet tjd forward { policy drop ; }'",
    "nft flush chain inet tjd input && nft delete chain inet tjd input",
    "nft add chain inet tjd sneaky '{ type filter hook forward priority -20; }'",
    "nft add element inet tjd fwd4_br_web '{ 172.20.0.66 }'",
    "nft delete element inet tjd fwd6_br_web '{ fd00:20::2 }'",
    "nft flush set bridge tjd bound4",
    "nft delete element bridge tjd bound6 '{ fd00:20::2 . \"veth1111111\" }'",
    "nft add element bridge tjd bound4 '{ 172.20.0.66 . \"vethevil\" }'",
    "nft add table inet tjd '{ flags dormant; }'",
    "nft add table bridge tjd '{ flags dormant; }'",
};

START_TEST(test_drift_is_repaired)
{
	struct ruleset set;
	char *before, *after;

	check_nft_unowned();
	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	before = check_nft_ruleset();
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	CHECK_NFT_MUST("%s", check_nft_drifts[_i]);
	after = check_nft_ruleset();
	ck_assert_msg(strcmp(after, before) != 0, "drift command changed nothing: %s",
		      check_nft_drifts[_i]);
	free(after);
	/* the monitor saw it ... */
	ck_assert_msg(
	    check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_MONITOR_TIMEOUT_MS, NULL),
	    "monitor missed: %s", check_nft_drifts[_i]);
	/* ... and the next apply puts back exactly what was there */
	ck_assert_msg(check_nft_apply(&set), "drift not noticed: %s", check_nft_drifts[_i]);
	after = check_nft_ruleset();
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert(!check_nft_apply(&set));
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	free(before);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_clear_restores_the_ruleset)
{
	struct ruleset set;
	char *before, *after;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	/* somebody else's firewall, which must come through untouched */
	CHECK_NFT_MUST("nft add table ip foreign && nft add chain ip foreign fc "
		       "'{ type filter hook forward priority 0; }' && "
		       "nft add rule ip foreign fc iifname br-web counter accept && "
		       "nft add table bridge other");
	before = check_nft_ruleset();
	ck_assert(check_nft_apply(&set));
	ck_assert_int_eq(
	    check_nft_backend.ops->clear(&check_nft_backend, check_nft_err, sizeof(check_nft_err)),
	    0);
	after = check_nft_ruleset();
	ck_assert_str_eq(after, before);
	free(after);
	/* absent is success, and a later apply installs again */
	ck_assert_int_eq(
	    check_nft_backend.ops->clear(&check_nft_backend, check_nft_err, sizeof(check_nft_err)),
	    0);
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_apply(&set));
	ck_assert_int_eq(
	    check_nft_backend.ops->clear(&check_nft_backend, check_nft_err, sizeof(check_nft_err)),
	    0);
	after = check_nft_ruleset();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_unexpressible_apply_changes_nothing)
{
	struct ruleset set, bad;
	struct rule *rule;
	bool changed = true;
	char *before, *after;

	ruleset_init(&set);
	ruleset_init(&bad);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	before = check_nft_capture("nft -a list ruleset");
	ck_assert_int_eq(ruleset_copy(&bad, &set), 0);
	rule = check_nft_rule(&bad, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	strcpy(rule->in_iface, "br\"x");
	ck_assert_int_eq(check_nft_backend.ops->apply(&check_nft_backend, &bad, &changed,
						      check_nft_err, sizeof(check_nft_err)),
			 -1);
	ck_assert(!changed);
	ck_assert_ptr_nonnull(strstr(check_nft_err, "interface name"));
	after = check_nft_capture("nft -a list ruleset");
	ck_assert_str_eq(after, before);
	free(after);
	/* once expressible, the same ruleset goes in */
	strcpy(rule->in_iface, "br-x");
	ck_assert(check_nft_apply(&bad));
	ck_assert(!check_nft_apply(&bad));
	free(before);
	ruleset_free(&set);
	ruleset_free(&bad);
}
END_TEST

START_TEST(test_kernel_refusal_changes_nothing)
{
	struct ruleset set;
	bool changed = true;
	char *before, *after;
	int release[2];
	char byte;
	pid_t squatter;
	int status;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	/* another process owns "inet tjd" (owner flag): the kernel refuses our delete */
	ck_assert_int_eq(pipe(release), 0);
	squatter = fork();
	ck_assert_int_ge(squatter, 0);
	if (squatter == 0) {
		struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
		close(release[1]);
		if (ctx == NULL ||
		    nft_run_cmd_from_buffer(ctx, "add table inet tjd { flags owner; }\n"
						 "add chain inet tjd forward\n") != 0)
			_exit(1);
		if (read(release[0], &byte, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(release[0]);
	for (int tries = 0; tries < 200 && check_util_run("nft list table inet tjd >/dev/null "
							  "2>&1") != 0;
	     tries++)
		usleep(10000);
	before = check_nft_capture("nft -a list ruleset");
	ck_assert_int_eq(check_nft_backend.ops->apply(&check_nft_backend, &set, &changed,
						      check_nft_err, sizeof(check_nft_err)),
			 -1);
	ck_assert(!changed);
	ck_assert_msg(strstr(check_nft_err, "Operation not permitted") != NULL, "error: %s",
		      check_nft_err);
	/* one transaction: the bridge table it would also have made is not there either */
	after = check_nft_capture("nft -a list ruleset");
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert_int_eq(
	    check_nft_backend.ops->clear(&check_nft_backend, check_nft_err, sizeof(check_nft_err)),
	    -1);
	/* the owner goes, its table with it, and we get in */
	close(release[1]);
	ck_assert_int_eq(waitpid(squatter, &status, 0), squatter);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_apply(&set));
	free(before);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_instances_keep_to_their_tables)
{
	struct backend blue;
	struct ruleset set;
	char *tables;

	check_nft_unowned();
	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert_int_eq(backend_init(&blue, &backend_nft_ops, "blue"), 0);
	blue.unowned_tables = true;
	ck_assert_msg(blue.ops->open(&blue, check_nft_err, sizeof(check_nft_err)) == 0,
		      "open failed: %s", check_nft_err);
	ck_assert(check_nft_apply(&set));
	ck_assert(check_nft_apply_with(&blue, &set));
	tables = check_nft_capture("nft list tables");
	ck_assert_str_eq(tables, "table inet tjd\ntable bridge tjd\n"
				 "table inet tjd_blue\ntable bridge tjd_blue\n");
	free(tables);
	/* one instance's commits are not the other's drift, and tjd's are never "foreign" */
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	ck_assert(!blue.ops->monitor_drain(&blue));
	CHECK_NFT_MUST("nft delete table inet tjd_blue");
	ck_assert(check_nft_monitor_reports(&blue, CHECK_NFT_MONITOR_TIMEOUT_MS, NULL));
	ck_assert(!check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_QUIET_MS, NULL));
	ck_assert(!check_nft_apply(&set));
	ck_assert(check_nft_apply_with(&blue, &set));
	ck_assert_int_eq(blue.ops->clear(&blue, check_nft_err, sizeof(check_nft_err)), 0);
	tables = check_nft_capture("nft list tables");
	ck_assert_str_eq(tables, "table inet tjd\ntable bridge tjd\n");
	free(tables);
	blue.ops->close(&blue);
	ruleset_free(&set);
}
END_TEST

/*
 * Deletes our inet table from another process, as `nft delete table` does;
 * with hold, that process keeps its netlink socket open until told.
 */
static pid_t check_nft_foreign_delete(bool hold, int *release)
{
	int pipe_fds[2];
	pid_t child;

	ck_assert_int_eq(pipe(pipe_fds), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char byte;
		close(pipe_fds[1]);
		if (!hold) {
			execlp("nft", "nft", "delete", "table", "inet", "tjd", (char *)NULL);
			_exit(127);
		} else {
			struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
			if (ctx == NULL ||
			    nft_run_cmd_from_buffer(ctx, "delete table inet tjd") != 0)
				_exit(1);
			if (read(pipe_fds[0], &byte, 1) < 0)
				_exit(1);
			_exit(0);
		}
	}
	close(pipe_fds[0]);
	*release = pipe_fds[1];
	return child;
}

START_TEST(test_monitor_repairs_within_milliseconds)
{
	struct ruleset set;
	char *before, *after;

	check_nft_unowned();
	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	before = check_nft_ruleset();
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));

	/* unrelated changes wake the monitor but are not ours to repair */
	CHECK_NFT_MUST("nft add table inet unrelated && nft add table bridge unrelated");
	ck_assert(!check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_QUIET_MS, NULL));
	CHECK_NFT_MUST("nft delete table inet unrelated && nft delete table bridge unrelated");
	ck_assert(!check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_QUIET_MS, NULL));

	/*
	 * What the daemon does: wait on the fd, drain, re-apply.  Twice: once
	 * with the nft command, which exits at once (closing its socket makes
	 * the kernel wait out an RCU grace period under the commit mutex, which
	 * our commit then queues behind), once with a deleter that stays.
	 */
	for (int hold = 0; hold < 2; hold++) {
		double started, seen, restored;
		int release, status;
		pid_t child;

		started = check_nft_now_ms();
		child = check_nft_foreign_delete(hold, &release);
		seen = 0;
		ck_assert(check_nft_monitor_reports(&check_nft_backend,
						    CHECK_NFT_MONITOR_TIMEOUT_MS, &seen));
		ck_assert(check_nft_apply(&set));
		restored = check_nft_now_ms();
		close(release);
		ck_assert_int_eq(waitpid(child, &status, 0), child);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		printf("nft backend: foreign delete of inet tjd (%s) -> protection restored "
		       "%.2f ms after the kernel reported it (%.2f ms after the deleter started)\n",
		       hold ? "deleter keeps its netlink socket" : "`nft delete table`, exits",
		       restored - seen, restored - started);
		fflush(stdout);
		ck_assert_msg(restored - seen < 250.0, "repair took %.2f ms", restored - seen);
		after = check_nft_ruleset();
		ck_assert_str_eq(after, before);
		free(after);
		ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	}
	free(before);
	ruleset_free(&set);
}
END_TEST

/*
 * The child of test_own_commits_in_a_pid_namespace, pid 1 of a pid
 * namespace: returns 0, or the number of the step that went wrong.
 */
static int check_nft_pid_namespace_child(void)
{
	struct backend inside;
	struct ruleset set;
	char err[512];
	bool changed = false, reported = false;

	if (getpid() != 1)
		return 1;
	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	if (backend_init(&inside, &backend_nft_ops, "inside") != 0)
		return 2;
	/* the deletion below is the foreign change to report */
	inside.unowned_tables = true;
	if (inside.ops->open(&inside, err, sizeof(err)) != 0)
		return 2;
	if (inside.ops->apply(&inside, &set, &changed, err, sizeof(err)) != 0 || !changed)
		return 3;
	/* our commit's events are queued by now; they are ours, not drift */
	if (inside.ops->monitor_drain(&inside))
		return 4;
	/* and the repair the daemon would run commits nothing */
	if (inside.ops->apply(&inside, &set, &changed, err, sizeof(err)) != 0 || changed)
		return 5;
	if (check_util_run("nft delete table bridge tjd_inside") != 0)
		return 6;
	for (int tries = 0; tries < 20 && !reported; tries++) {
		struct pollfd pfd = {.fd = inside.ops->monitor_fd(&inside), .events = POLLIN};

		if (poll(&pfd, 1, 100) == 1)
			reported = inside.ops->monitor_drain(&inside);
	}
	if (!reported)
		return 7;
	if (inside.ops->apply(&inside, &set, &changed, err, sizeof(err)) != 0 || !changed)
		return 8;
	if (inside.ops->monitor_drain(&inside))
		return 9;
	inside.ops->close(&inside);
	/* and libnftables' socket is found here too: another instance's tables get owned */
	if (backend_init(&inside, &backend_nft_ops, "owned") != 0 ||
	    inside.ops->open(&inside, err, sizeof(err)) != 0)
		return 10;
	if (inside.ops->apply(&inside, &set, &changed, err, sizeof(err)) != 0 || !changed ||
	    strcmp(inside.ops->protection(&inside),
		   "tables owned by tjd: deletion refused by the kernel") != 0)
		return 11;
	if (check_util_run("nft delete table inet tjd_owned 2>/dev/null") == 0)
		return 12;
	inside.ops->close(&inside);
	ruleset_free(&set);
	return 0;
}

/*
 * In a pid namespace of its own (tjd's container image) getpid() is not
 * the pid the kernel writes into NEWGEN.  tjd still knows its own commits
 * (by the netlink port it commits from), so they neither count as drift
 * nor make the repair commit again, while someone else's still do.
 */
START_TEST(test_own_commits_in_a_pid_namespace)
{
	int status;
	pid_t child;

	/*
	 * A go-between unshares, so this process can still fork afterwards
	 * (LeakSanitizer does, at exit) once the namespace's init is gone.
	 */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pid_t init;

		if (unshare(CLONE_NEWPID) != 0)
			_exit(100);
		init = fork();
		if (init == 0)
			_exit(check_nft_pid_namespace_child());
		if (init < 0 || waitpid(init, &status, 0) != init || !WIFEXITED(status))
			_exit(101);
		_exit(WEXITSTATUS(status));
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "in the pid namespace, step %d failed", WEXITSTATUS(status));
}
END_TEST

/*
 * A stream of events is read a batch per drain, so one callback cannot
 * hold the daemon's event loop; what is left keeps the socket readable,
 * and a foreign change behind the stream is still reported.
 */
START_TEST(test_drain_is_bounded)
{
	struct nft_ctx *other = nft_ctx_new(NFT_CTX_DEFAULT);
	struct ruleset set;
	bool reported = false;
	int drains = 1;

	ck_assert_ptr_nonnull(other);
	check_nft_unowned();
	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	ck_assert(!check_nft_monitor_wait(&check_nft_backend, 0));
	/* each transaction is at least two datagrams: its objects, then NEWGEN */
	for (int i = 0; i < 300; i++) {
		char command[64];

		snprintf(command, sizeof(command), "add table inet unrelated%d", i);
		ck_assert_int_eq(nft_run_cmd_from_buffer(other, command), 0);
	}
	CHECK_NFT_MUST("nft delete table inet tjd");
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	ck_assert(check_nft_monitor_wait(&check_nft_backend, 0));
	for (; drains < 10 && !reported; drains++)
		reported = check_nft_backend.ops->monitor_drain(&check_nft_backend);
	ck_assert_msg(reported, "the foreign delete was not reported after %d drains", drains);
	ck_assert(check_nft_apply(&set));
	nft_ctx_free(other);
	ruleset_free(&set);
}
END_TEST

/* A namespace standing in for a container: a child that unshared and waits. */
struct check_nft_container {
	pid_t pid;
	char port[TJD_IFNAMSIZ];
	char ipv4[INET_ADDRSTRLEN];
	char ipv6[INET6_ADDRSTRLEN];
};

static struct check_nft_container check_nft_containers[CHECK_NFT_CONTAINERS];

/* Starts a child in its own network namespace, plugged into br0 through `port`. */
static void check_nft_container_start(struct check_nft_container *container, const char *port,
				      int host)
{
	int ready[2];
	char byte;

	ck_assert_int_eq(pipe(ready), 0);
	container->pid = fork();
	ck_assert_int_ge(container->pid, 0);
	if (container->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	snprintf(container->port, sizeof(container->port), "%s", port);
	snprintf(container->ipv4, sizeof(container->ipv4), "10.77.0.%d", host);
	snprintf(container->ipv6, sizeof(container->ipv6), "fd77::%d", host);
	CHECK_NFT_MUST("ip link add %s type veth peer name eth0 netns %d && "
		       "ip link set %s master br0 up",
		       port, (int)container->pid, port);
	CHECK_NFT_MUST("nsenter --net=/proc/%d/ns/net sh -c 'ip link set lo up && "
		       "ip link set eth0 up && ip addr add %s/24 dev eth0 && "
		       "ip -6 addr add %s/64 dev eth0 nodad'",
		       (int)container->pid, container->ipv4, container->ipv6);
}

/* Sends one ping from a container; true if it was answered. */
static bool check_nft_ping(const struct check_nft_container *from, const char *to)
{
	return check_util_run("nsenter --net=/proc/%d/ns/net busybox ping %s -c 1 -W 1 %s "
			      ">/dev/null 2>&1",
			      (int)from->pid, strchr(to, ':') ? "-6" : "", to) == 0;
}

/* Opens a TCP connection from one container to another; true if it connected. */
static bool check_nft_tcp(const struct check_nft_container *from,
			  const struct check_nft_container *to)
{
	/* a one-shot listener, gone after a connection or 4 s */
	CHECK_NFT_MUST("nsenter --net=/proc/%d/ns/net timeout 4 busybox nc -l -p 8080 "
		       "</dev/null >/dev/null 2>&1 & sleep 0.2",
		       (int)to->pid);
	return check_util_run("nsenter --net=/proc/%d/ns/net busybox nc -w 2 %s 8080 "
			      "</dev/null >/dev/null 2>&1",
			      (int)from->pid, to->ipv4) == 0;
}

/* ICMP echo requests a container has received so far (from /proc/net/snmp). */
static long check_nft_echoes_received(const struct check_nft_container *container)
{
	char *snmp = check_nft_capture("nsenter --net=/proc/%d/ns/net cat /proc/net/snmp",
				       (int)container->pid);
	char *names = strstr(snmp, "Icmp: ");
	char *values = names ? strstr(names + 1, "Icmp: ") : NULL;
	char *name_save = NULL, *value_save = NULL;
	char *name, *value;
	long echoes = -1;

	ck_assert_ptr_nonnull(values);
	*strchr(names, '\n') = '\0';
	*strchrnul(values, '\n') = '\0';
	for (name = strtok_r(names, " ", &name_save), value = strtok_r(values, " ", &value_save);
	     name != NULL && value != NULL;
	     name = strtok_r(NULL, " ", &name_save), value = strtok_r(NULL, " ", &value_save))
		if (strcmp(name, "InEchos") == 0)
			echoes = strtol(value, NULL, 10);
	free(snmp);
	ck_assert_int_ge(echoes, 0);
	return echoes;
}

/* A container's MAC address (static buffer per container slot). */
static const char *check_nft_mac(const struct check_nft_container *container)
{
	static char macs[CHECK_NFT_CONTAINERS][32];
	char *slot = macs[container - check_nft_containers];
	char *text = check_nft_capture("nsenter --net=/proc/%d/ns/net ip -o link show eth0",
				       (int)container->pid);
	char *ether = strstr(text, "link/ether ");

	ck_assert_ptr_nonnull(ether);
	ck_assert_int_eq(sscanf(ether, "link/ether %31s", slot), 1);
	free(text);
	return slot;
}

/* Asserts a container's neighbour cache maps `address` to `mac`. */
static void check_nft_neighbour_is(const struct check_nft_container *container, const char *address,
				   const char *mac)
{
	char *text = check_nft_capture("nsenter --net=/proc/%d/ns/net ip neigh show %s",
				       (int)container->pid, address);

	ck_assert_msg(strstr(text, mac) != NULL, "neighbour %s is \"%s\", not %s", address, text,
		      mac);
	free(text);
}

START_TEST(test_real_packets)
{
	struct check_nft_container *proxy = &check_nft_containers[0];
	struct check_nft_container *backend = &check_nft_containers[1];
	struct check_nft_container *other = &check_nft_containers[2];
	struct ruleset set;
	uint64_t packets, bytes, spoof_packets;
	long echoes;
	double started, restored;

	/* someone deletes tjd's tables below: they must be unowned to let them */
	check_nft_unowned();
	CHECK_NFT_MUST(
	    "ip link add br0 type bridge && ip link set br0 up && "
	    "ip addr add 10.77.0.1/24 dev br0 && ip -6 addr add fd77::1/64 dev br0 nodad");
	check_nft_container_start(proxy, "vethproxy", 2);
	check_nft_container_start(backend, "vethbackend", 3);
	check_nft_container_start(other, "vethother", 4);

	/* no firewall: everyone reaches everyone */
	ck_assert(check_nft_ping(backend, proxy->ipv4));
	ck_assert(check_nft_ping(backend, proxy->ipv6));
	ck_assert(check_nft_ping(other, "10.77.0.1"));

	/* Docker's own accept rules for the bridge, as iptables-nft and legacy write them */
	CHECK_NFT_MUST("nft add table ip filter && nft add chain ip filter FORWARD "
		       "'{ type filter hook forward priority 0; policy drop; }' && "
		       "nft add rule ip filter FORWARD iifname br0 accept && "
		       "nft add rule ip filter FORWARD oifname br0 accept && "
		       "iptables-legacy -A FORWARD -i br0 -j ACCEPT && "
		       "iptables-legacy -A INPUT -i br0 -j ACCEPT");
	ruleset_init(&set);
	check_nft_policy(&set, "br0", proxy->ipv4, proxy->ipv6, proxy->port);
	ck_assert(check_nft_apply(&set));

	/* the allow-listed proxy opens connections (replies come back), both families */
	ck_assert(check_nft_ping(proxy, backend->ipv4));
	ck_assert(check_nft_ping(proxy, backend->ipv6));
	ck_assert(check_nft_tcp(proxy, backend));
	ck_assert(check_nft_ping(proxy, "10.77.0.1"));
	/* the others cannot: not to the proxy, not to each other, not to the host */
	ck_assert(!check_nft_ping(backend, proxy->ipv4));
	ck_assert(!check_nft_ping(backend, proxy->ipv6));
	ck_assert(!check_nft_tcp(other, backend));
	ck_assert(!check_nft_ping(backend, "10.77.0.1"));
	ck_assert_int_eq(check_nft_counters(&check_nft_backend, "br0", &packets, &bytes), 0);
	ck_assert_uint_ge(packets, 4);
	ck_assert_uint_gt(bytes, 0);
	printf("nft backend: %llu packets / %llu bytes dropped on br0 so far\n",
	       (unsigned long long)packets, (unsigned long long)bytes);

	/*
	 * "other" takes the proxy's address.  Its ARP is dropped for coming in
	 * on the wrong port (a gratuitous one does not repoint the backend's
	 * cache), so it is handed the backend's MAC to send the IP frames.
	 */
	ck_assert(check_nft_ping(proxy, backend->ipv4));
	CHECK_NFT_MUST("nsenter --net=/proc/%d/ns/net sh -c 'ip addr flush dev eth0 scope global "
		       "&& ip addr add %s/24 dev eth0 && busybox arping -U -c 1 -I eth0 %s "
		       ">/dev/null 2>&1; ip neigh replace %s lladdr %s dev eth0 nud permanent'",
		       (int)other->pid, proxy->ipv4, proxy->ipv4, backend->ipv4,
		       check_nft_mac(backend));
	check_nft_neighbour_is(backend, proxy->ipv4, check_nft_mac(proxy));
	echoes = check_nft_echoes_received(backend);
	ck_assert(!check_nft_ping(other, backend->ipv4));
	ck_assert_int_eq(check_nft_echoes_received(backend), echoes);
	ck_assert_int_eq(check_nft_counters(&check_nft_backend, NULL, &spoof_packets, &bytes), 0);
	ck_assert_uint_ge(spoof_packets, packets + 2);
	/* it is the bridge table's binding that stops it: without it the spoof gets in */
	CHECK_NFT_MUST("nft delete table bridge tjd");
	(void)check_nft_ping(other, backend->ipv4); /* the reply goes to the real proxy */
	ck_assert_int_gt(check_nft_echoes_received(backend), echoes);
	ck_assert(check_nft_apply(&set));
	echoes = check_nft_echoes_received(backend);
	ck_assert(!check_nft_ping(other, backend->ipv4));
	ck_assert_int_eq(check_nft_echoes_received(backend), echoes);
	/* the real proxy, from its own port, still gets through */
	ck_assert(check_nft_ping(proxy, backend->ipv4));

	/* deleting our table opens the network until tjd repairs it */
	(void)check_nft_backend.ops->monitor_drain(&check_nft_backend); /* the deletion above */
	started = check_nft_now_ms();
	CHECK_NFT_MUST("nft delete table inet tjd");
	ck_assert(
	    check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_MONITOR_TIMEOUT_MS, NULL));
	ck_assert(check_nft_apply(&set));
	restored = check_nft_now_ms();
	printf("nft backend: packets blocked again %.2f ms after `nft delete table inet tjd` "
	       "was started\n",
	       restored - started);
	fflush(stdout);
	ck_assert(!check_nft_ping(backend, proxy->ipv4));
	ck_assert(check_nft_ping(proxy, backend->ipv4));
	ruleset_free(&set);
	for (size_t i = 0; i < CHECK_NFT_CONTAINERS; i++)
		if (check_nft_containers[i].pid > 0)
			kill(check_nft_containers[i].pid, SIGKILL);
}
END_TEST

/*
 * Layer 2, frame by frame: raw frames sent from one container's eth0 (an
 * AF_PACKET socket, what a root process with NET_RAW in a container has)
 * and looked for on another's, so what is measured is what the bridge
 * forwards, whatever the receiving stack would make of it.
 */
#define CHECK_NFT_FRAME_MAX 256
#define CHECK_NFT_FRAME_WAIT_MS 400

struct check_nft_frame {
	uint8_t data[CHECK_NFT_FRAME_MAX];
	size_t len;
	char marker[17]; /* 16 bytes that only this probe's frame carries */
};

/* Appends bytes to a frame. */
static void check_nft_frame_put(struct check_nft_frame *frame, const void *bytes, size_t n)
{
	ck_assert_uint_le(frame->len + n, sizeof(frame->data));
	memcpy(frame->data + frame->len, bytes, n);
	frame->len += n;
}

/* Appends a 16-bit value in network order. */
static void check_nft_frame_put16(struct check_nft_frame *frame, uint16_t value)
{
	uint8_t bytes[2] = {(uint8_t)(value >> 8), (uint8_t)value};

	check_nft_frame_put(frame, bytes, 2);
}

/* Appends the probe's marker. */
static void check_nft_frame_marker(struct check_nft_frame *frame, const char *name)
{
	snprintf(frame->marker, sizeof(frame->marker), "tjd-probe-%-6.6s", name);
	check_nft_frame_put(frame, frame->marker, 16);
}

/* The one's-complement sum RFC 1071 checksums are made of. */
static uint32_t check_nft_sum(const uint8_t *data, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (len % 2)
		sum += (uint32_t)data[len - 1] << 8;
	return sum;
}

static uint16_t check_nft_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A MAC the test knows to be valid. */
static void check_nft_mac_bytes(const char *text, uint8_t mac[L2_MAC_LEN])
{
	ck_assert_int_eq(l2_mac_parse(text, mac), 0);
}

/* Ethernet header: destination, source, then each (TPID, TCI) tag, then `type`. */
static void check_nft_frame_ether(struct check_nft_frame *frame, const uint8_t dst[L2_MAC_LEN],
				  const uint8_t src[L2_MAC_LEN], const uint16_t *tags,
				  size_t tag_count, uint16_t type)
{
	frame->len = 0;
	check_nft_frame_put(frame, dst, L2_MAC_LEN);
	check_nft_frame_put(frame, src, L2_MAC_LEN);
	for (size_t i = 0; i < tag_count; i++) {
		check_nft_frame_put16(frame, tags[i]);
		check_nft_frame_put16(frame, 0); /* priority 0, VLAN 0 */
	}
	check_nft_frame_put16(frame, type);
}

/* IPv4/UDP to port 9 carrying the marker. */
static void check_nft_frame_udp4(struct check_nft_frame *frame, const char *src, const char *dst,
				 const char *name)
{
	uint8_t header[20] = {0x45, 0, 0, 20 + 8 + 16, 0, 1, 0x40, 0, 64, IPPROTO_UDP};
	uint8_t udp[8] = {0x30, 0x39, 0, 9, 0, 8 + 16, 0, 0};
	uint16_t sum;

	ck_assert_int_eq(inet_pton(AF_INET, src, header + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, dst, header + 16), 1);
	sum = check_nft_fold(check_nft_sum(header, sizeof(header), 0));
	header[10] = (uint8_t)(sum >> 8);
	header[11] = (uint8_t)sum;
	check_nft_frame_put(frame, header, sizeof(header));
	check_nft_frame_put(frame, udp, sizeof(udp));
	check_nft_frame_marker(frame, name);
}

/*
 * An ICMP error (type, code) whose quoted packet is an IPv4 UDP header
 * from quoted_src port 9 to quoted_dst port 12345 (the reverse of the
 * datagram check_nft_proxy_datagram sends); the marker follows.
 */
static void check_nft_frame_icmp4_error(struct check_nft_frame *frame, const char *src,
					const char *dst, uint8_t type, uint8_t code,
					const char *quoted_src, const char *quoted_dst,
					const char *name)
{
	uint8_t header[20] = {0x45, 0, 0, 20 + 8 + 28 + 16, 0, 2, 0x40, 0, 64, IPPROTO_ICMP};
	uint8_t body[8 + 28 + 16] = {type, code, 0, 0, 0, 0, 0x05, 0x00};
	uint8_t *quoted = body + 8;
	uint16_t sum;

	quoted[0] = 0x45;
	quoted[3] = 28 + 16;
	quoted[8] = 64;
	quoted[9] = IPPROTO_UDP;
	ck_assert_int_eq(inet_pton(AF_INET, quoted_src, quoted + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, quoted_dst, quoted + 16), 1);
	quoted[21] = 9; /* ports 9 -> 12345, length */
	quoted[22] = 0x30;
	quoted[23] = 0x39;
	quoted[25] = 8 + 16;
	snprintf(frame->marker, sizeof(frame->marker), "tjd-probe-%-6.6s", name);
	memcpy(body + 8 + 28, frame->marker, 16);
	sum = check_nft_fold(check_nft_sum(body, sizeof(body), 0));
	body[2] = (uint8_t)(sum >> 8);
	body[3] = (uint8_t)sum;
	ck_assert_int_eq(inet_pton(AF_INET, src, header + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, dst, header + 16), 1);
	sum = check_nft_fold(check_nft_sum(header, sizeof(header), 0));
	header[10] = (uint8_t)(sum >> 8);
	header[11] = (uint8_t)sum;
	check_nft_frame_put(frame, header, sizeof(header));
	check_nft_frame_put(frame, body, sizeof(body));
}

/* An ARP packet (op 1 request, 2 reply) with the marker in its padding. */
static void check_nft_frame_arp(struct check_nft_frame *frame, uint16_t op,
				const uint8_t sender_mac[L2_MAC_LEN], const char *sender_ip,
				const char *target_ip, const char *name)
{
	uint8_t head[8] = {0, 1, 0x08, 0x00, 6, 4, 0, (uint8_t)op};
	uint8_t zero[L2_MAC_LEN] = {0};
	uint8_t ip[4];

	check_nft_frame_put(frame, head, sizeof(head));
	check_nft_frame_put(frame, sender_mac, L2_MAC_LEN);
	ck_assert_int_eq(inet_pton(AF_INET, sender_ip, ip), 1);
	check_nft_frame_put(frame, ip, 4);
	check_nft_frame_put(frame, zero, L2_MAC_LEN);
	ck_assert_int_eq(inet_pton(AF_INET, target_ip, ip), 1);
	check_nft_frame_put(frame, ip, 4);
	check_nft_frame_marker(frame, name);
}

/*
 * An IPv6 packet: next header `next`, then `payload` (an ICMPv6 message
 * gets its checksum filled in), then the marker (as payload for UDP, as a
 * trailing option for ICMPv6, which the parsers skip over).
 */
static void check_nft_frame_ipv6(struct check_nft_frame *frame, const char *src, const char *dst,
				 uint8_t next, const uint8_t *payload, size_t payload_len,
				 const char *name)
{
	uint8_t header[40] = {0x60};
	uint8_t body[128];
	size_t body_len = payload_len;
	uint32_t sum;
	uint16_t checksum;

	ck_assert_uint_le(payload_len + 16, sizeof(body));
	memcpy(body, payload, payload_len);
	snprintf(frame->marker, sizeof(frame->marker), "tjd-probe-%-6.6s", name);
	if (next == IPPROTO_ICMPV6) {
		/* an unknown option (type 250), two 8-byte units: 2 + marker + 6 */
		uint8_t option[24] = {250, 3};
		memcpy(option + 2, frame->marker, 16);
		memcpy(body + body_len, option, sizeof(option));
		body_len += sizeof(option);
	} else {
		memcpy(body + body_len, frame->marker, 16);
		body_len += 16;
	}
	header[4] = (uint8_t)(body_len >> 8);
	header[5] = (uint8_t)body_len;
	header[6] = next;
	header[7] = 255;
	ck_assert_int_eq(inet_pton(AF_INET6, src, header + 8), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, dst, header + 24), 1);
	if (next == IPPROTO_UDP) {
		body[4] = (uint8_t)(body_len >> 8);
		body[5] = (uint8_t)body_len;
	}
	/* the checksum over the pseudo-header: ICMPv6's at offset 2, UDP's at 6 */
	sum = check_nft_sum(header + 8, 32, 0);
	sum += (uint32_t)body_len + next;
	sum = check_nft_sum(body, body_len, sum);
	checksum = check_nft_fold(sum);
	body[next == IPPROTO_UDP ? 6 : 2] = (uint8_t)(checksum >> 8);
	body[next == IPPROTO_UDP ? 7 : 3] = (uint8_t)checksum;
	check_nft_frame_put(frame, header, sizeof(header));
	check_nft_frame_put(frame, body, body_len);
}

/* Enters a container's network namespace (in a child) and opens eth0 raw. */
static int check_nft_raw_socket(const struct check_nft_container *container)
{
	char path[64];
	struct sockaddr_ll address = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int ns, fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)container->pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET) != 0)
		_exit(3);
	close(ns);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	address.sll_ifindex = (int)if_nametoindex("eth0");
	if (fd < 0 || address.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0)
		_exit(3);
	return fd;
}

/*
 * Sends `frame` from `from`'s eth0; true if it shows up on `to`'s eth0
 * within CHECK_NFT_FRAME_WAIT_MS.
 */
static bool check_nft_frame_arrives(const struct check_nft_container *from,
				    const struct check_nft_container *to,
				    const struct check_nft_frame *frame)
{
	int ready[2], status;
	pid_t receiver, sender;
	char byte;

	ck_assert_int_eq(pipe(ready), 0);
	receiver = fork();
	ck_assert_int_ge(receiver, 0);
	if (receiver == 0) {
		int fd = check_nft_raw_socket(to);
		double deadline = check_nft_now_ms() + CHECK_NFT_FRAME_WAIT_MS;
		uint8_t buffer[2048];

		close(ready[0]);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		for (double now = check_nft_now_ms(); now < deadline; now = check_nft_now_ms()) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			ssize_t got;

			if (poll(&pfd, 1, (int)(deadline - now) + 1) != 1)
				continue;
			struct sockaddr_ll from_address;
			socklen_t from_length = sizeof(from_address);

			got = recvfrom(fd, buffer, sizeof(buffer), 0,
				       (struct sockaddr *)&from_address, &from_length);
			/* what the container sent itself is not what it received */
			if (got > 0 && from_address.sll_pkttype != PACKET_OUTGOING &&
			    memmem(buffer, (size_t)got, frame->marker, 16) != NULL)
				_exit(0);
		}
		_exit(1);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	sender = fork();
	ck_assert_int_ge(sender, 0);
	if (sender == 0) {
		int fd = check_nft_raw_socket(from);
		_exit(send(fd, frame->data, frame->len, 0) == (ssize_t)frame->len ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(sender, &status, 0), sender);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sending the %s probe failed",
		      frame->marker);
	ck_assert_int_eq(waitpid(receiver, &status, 0), receiver);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 1,
		      "receiving the %s probe failed", frame->marker);
	return WEXITSTATUS(status) == 0;
}

/* A container as a layer-2 port of br0, bound (or not) to what it is. */
static void check_nft_port(struct ruleset *set, const struct check_nft_container *container,
			   bool known)
{
	check_nft_l2_port(set, "br0", container->port, known ? check_nft_mac(container) : NULL,
			  container->ipv4, container->ipv6);
}

/* The kinds of probe "other" (or the unattributed container) sends. */
enum check_nft_probe {
	CHECK_NFT_VLAN,	      /* 802.1Q priority tag around IPv4 to the backend */
	CHECK_NFT_QINQ,	      /* 802.1ad + 802.1Q around the same */
	CHECK_NFT_ETHERTYPE,  /* an ethertype that is neither IP nor ARP */
	CHECK_NFT_ARP_CLAIM,  /* ARP reply claiming the proxy's address */
	CHECK_NFT_MAC_SPOOF,  /* a frame from a MAC that is not the sender's */
	CHECK_NFT_NA_CLAIM,   /* neighbour advertisement for the proxy's address */
	CHECK_NFT_RA,	      /* router advertisement */
	CHECK_NFT_UNSPEC_UDP, /* IPv6 from :: that is not neighbour discovery */
	CHECK_NFT_REDIRECT,   /* ICMP redirect */
	CHECK_NFT_ERROR4,     /* "fragmentation needed" about the proxy's packet to the backend */
	CHECK_NFT_ERROR6,     /* "packet too big", the same over IPv6 */
	CHECK_NFT_ARP_OWN,    /* control: an honest ARP request */
	CHECK_NFT_NA_OWN,     /* control: an honest neighbour advertisement */
	CHECK_NFT_ERROR4_OWN, /* control: the kernel's "port unreachable" to the proxy's datagram */
	CHECK_NFT_ERROR6_OWN, /* control: the same over IPv6 */
	CHECK_NFT_PROBES
};

static const char *const check_nft_probe_names[CHECK_NFT_PROBES] = {
    "vlan",   "qinq",	"ethtyp", "arpclm", "macspf", "naclm",	"ra",	 "unspec",
    "redir4", "error4", "error6", "arpown", "naown",  "err4ok", "err6ok"};

/*
 * Who sends a probe and who should receive it: "other" to the backend,
 * but the proxy sends the datagram of the kernel-made errors and listens
 * for the error that comes back.
 */
static void check_nft_probe_ends(enum check_nft_probe probe, struct check_nft_container *other,
				 struct check_nft_container *backend,
				 struct check_nft_container *proxy,
				 struct check_nft_container **sender,
				 struct check_nft_container **receiver)
{
	bool kernel_made = probe == CHECK_NFT_ERROR4_OWN || probe == CHECK_NFT_ERROR6_OWN;

	*sender = kernel_made ? proxy : other;
	*receiver = kernel_made ? proxy : backend;
}

/* True for the probes an honest container sends: they must pass. */
static bool check_nft_probe_honest(enum check_nft_probe probe)
{
	return probe == CHECK_NFT_ARP_OWN || probe == CHECK_NFT_NA_OWN ||
	       probe == CHECK_NFT_ERROR4_OWN || probe == CHECK_NFT_ERROR6_OWN;
}

/* Builds one probe from `from` (whose real MAC and addresses it knows). */
static void check_nft_probe_build(struct check_nft_frame *frame, enum check_nft_probe probe,
				  const struct check_nft_container *from,
				  const struct check_nft_container *backend,
				  const struct check_nft_container *proxy)
{
	static const uint16_t dot1q[] = {0x8100}, qinq[] = {0x88a8, 0x8100};
	static const uint8_t broadcast[L2_MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t all_nodes[L2_MAC_LEN] = {0x33, 0x33, 0, 0, 0, 1};
	static const uint8_t forged[L2_MAC_LEN] = {0x02, 0, 0, 0, 0, 0x99};
	const char *name = check_nft_probe_names[probe];
	uint8_t mac[L2_MAC_LEN], to[L2_MAC_LEN];
	char link_local[INET6_ADDRSTRLEN];
	struct prefix link;
	uint8_t icmp[24] = {0};

	check_nft_mac_bytes(check_nft_mac(from), mac);
	check_nft_mac_bytes(check_nft_mac(backend), to);
	l2_link_local(mac, &link);
	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &link.addr.v6, link_local, sizeof(link_local)));
	memset(frame, 0, sizeof(*frame));
	switch (probe) {
	case CHECK_NFT_VLAN:
	case CHECK_NFT_QINQ:
		check_nft_frame_ether(frame, to, mac, probe == CHECK_NFT_VLAN ? dot1q : qinq,
				      probe == CHECK_NFT_VLAN ? 1 : 2, 0x0800);
		check_nft_frame_udp4(frame, from->ipv4, backend->ipv4, name);
		break;
	case CHECK_NFT_ETHERTYPE:
		check_nft_frame_ether(frame, broadcast, mac, NULL, 0, 0x88b5);
		check_nft_frame_marker(frame, name);
		break;
	case CHECK_NFT_ARP_CLAIM:
		check_nft_frame_ether(frame, broadcast, mac, NULL, 0, 0x0806);
		check_nft_frame_arp(frame, 2, mac, proxy->ipv4, backend->ipv4, name);
		break;
	case CHECK_NFT_MAC_SPOOF:
		check_nft_frame_ether(frame, broadcast, forged, NULL, 0, 0x0806);
		check_nft_frame_arp(frame, 1, forged, from->ipv4, backend->ipv4, name);
		break;
	case CHECK_NFT_ARP_OWN:
		check_nft_frame_ether(frame, broadcast, mac, NULL, 0, 0x0806);
		check_nft_frame_arp(frame, 1, mac, from->ipv4, backend->ipv4, name);
		break;
	case CHECK_NFT_NA_CLAIM:
	case CHECK_NFT_NA_OWN:
		/* type 136, override flag, target, target link-layer address option */
		icmp[0] = 136;
		icmp[4] = 0x20;
		ck_assert_int_eq(inet_pton(AF_INET6,
					   probe == CHECK_NFT_NA_CLAIM ? proxy->ipv6 : from->ipv6,
					   icmp + 8),
				 1);
		check_nft_frame_ether(frame, all_nodes, mac, NULL, 0, 0x86dd);
		check_nft_frame_ipv6(frame, link_local, "ff02::1", IPPROTO_ICMPV6, icmp, 24, name);
		break;
	case CHECK_NFT_RA:
		/* type 134, hop limit 64, router lifetime 1800 s */
		icmp[0] = 134;
		icmp[4] = 64;
		icmp[6] = 0x07;
		icmp[7] = 0x08;
		check_nft_frame_ether(frame, all_nodes, mac, NULL, 0, 0x86dd);
		check_nft_frame_ipv6(frame, link_local, "ff02::1", IPPROTO_ICMPV6, icmp, 16, name);
		break;
	case CHECK_NFT_UNSPEC_UDP: {
		uint8_t udp[8] = {0x30, 0x39, 0, 9, 0, 8 + 16, 0, 0};
		check_nft_frame_ether(frame, to, mac, NULL, 0, 0x86dd);
		check_nft_frame_ipv6(frame, "::", backend->ipv6, IPPROTO_UDP, udp, 8, name);
		break;
	}
	case CHECK_NFT_REDIRECT:
		check_nft_frame_ether(frame, to, mac, NULL, 0, 0x0800);
		check_nft_frame_icmp4_error(frame, from->ipv4, backend->ipv4, 5, 1, backend->ipv4,
					    proxy->ipv4, name);
		break;
	case CHECK_NFT_ERROR4:
		/* about the backend's (would-be) answer to the proxy's datagram */
		check_nft_frame_ether(frame, to, mac, NULL, 0, 0x0800);
		check_nft_frame_icmp4_error(frame, from->ipv4, backend->ipv4, 3, 4, backend->ipv4,
					    proxy->ipv4, name);
		break;
	case CHECK_NFT_ERROR6: {
		/* type 2, code 0, MTU 1280, then the quoted IPv6 header and UDP 9 -> 12345 */
		uint8_t error[8 + 48] = {2, 0, 0, 0, 0, 0, 0x05, 0x00, 0x60};
		error[8 + 5] = 8;
		error[8 + 6] = IPPROTO_UDP;
		error[8 + 7] = 64;
		ck_assert_int_eq(inet_pton(AF_INET6, backend->ipv6, error + 8 + 8), 1);
		ck_assert_int_eq(inet_pton(AF_INET6, proxy->ipv6, error + 8 + 24), 1);
		error[8 + 41] = 9;
		error[8 + 42] = 0x30;
		error[8 + 43] = 0x39;
		error[8 + 45] = 8;
		check_nft_frame_ether(frame, to, mac, NULL, 0, 0x86dd);
		check_nft_frame_ipv6(frame, from->ipv6, backend->ipv6, IPPROTO_ICMPV6, error,
				     sizeof(error), name);
		break;
	}
	case CHECK_NFT_ERROR4_OWN:
	case CHECK_NFT_ERROR6_OWN: {
		/*
		 * The proxy's datagram to a closed port of `from`: the error
		 * `from`'s own kernel answers with quotes it, marker and all.
		 */
		uint8_t proxy_mac[L2_MAC_LEN], udp[8] = {0x30, 0x39, 0, 9, 0, 8 + 16, 0, 0};
		check_nft_mac_bytes(check_nft_mac(proxy), proxy_mac);
		if (probe == CHECK_NFT_ERROR4_OWN) {
			check_nft_frame_ether(frame, mac, proxy_mac, NULL, 0, 0x0800);
			check_nft_frame_udp4(frame, proxy->ipv4, from->ipv4, name);
		} else {
			check_nft_frame_ether(frame, mac, proxy_mac, NULL, 0, 0x86dd);
			check_nft_frame_ipv6(frame, proxy->ipv6, from->ipv6, IPPROTO_UDP, udp,
					     sizeof(udp), name);
		}
		break;
	}
	case CHECK_NFT_PROBES:
		ck_abort();
	}
}

/*
 * The proxy sends a datagram to the backend's closed port 9 over both
 * families (the probes of the kernel-made errors, aimed at the backend).
 */
static void check_nft_proxy_datagrams(struct check_nft_container *proxy,
				      struct check_nft_container *backend,
				      struct check_nft_container *other)
{
	static const enum check_nft_probe kinds[] = {CHECK_NFT_ERROR4_OWN, CHECK_NFT_ERROR6_OWN};
	struct check_nft_frame frame;

	for (size_t i = 0; i < 2; i++) {
		check_nft_probe_build(&frame, kinds[i], backend, other, proxy);
		(void)check_nft_frame_arrives(proxy, proxy, &frame);
	}
}

/* True if br0's forwarding database has learnt `mac` on `port`. */
static bool check_nft_fdb_has(const char *mac, const char *port)
{
	char *text = check_nft_capture("bridge fdb show br br0");
	char needle[64];
	bool found;

	snprintf(needle, sizeof(needle), "%s dev %s", mac, port);
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

START_TEST(test_layer2_packets)
{
	struct check_nft_container *proxy = &check_nft_containers[0];
	struct check_nft_container *backend = &check_nft_containers[1];
	struct check_nft_container *other = &check_nft_containers[2];
	struct check_nft_container *stranger = &check_nft_containers[3];
	static const enum check_nft_probe past_ip_rules[] = {CHECK_NFT_VLAN, CHECK_NFT_ERROR4,
							     CHECK_NFT_ERROR6};
	struct check_nft_container *sender, *receiver;
	struct check_nft_frame frame;
	struct ruleset set;
	bool arrived[CHECK_NFT_PROBES];

	check_nft_unowned(); /* the bridge table is deleted below, to show what it stops */
	CHECK_NFT_MUST(
	    "ip link add br0 type bridge && ip link set br0 up && "
	    "ip addr add 10.77.0.1/24 dev br0 && ip -6 addr add fd77::1/64 dev br0 nodad");
	check_nft_container_start(proxy, "vethproxy", 2);
	check_nft_container_start(backend, "vethbackend", 3);
	check_nft_container_start(other, "vethother", 4);
	check_nft_container_start(stranger, "vethstranger", 5);

	/* no firewall: every probe reaches the backend, and the forged MAC is learnt */
	for (int p = 0; p < CHECK_NFT_PROBES; p++) {
		check_nft_probe_ends((enum check_nft_probe)p, other, backend, proxy, &sender,
				     &receiver);
		check_nft_probe_build(&frame, (enum check_nft_probe)p, other, backend, proxy);
		ck_assert_msg(check_nft_frame_arrives(sender, receiver, &frame),
			      "without tjd, the %s probe did not arrive", check_nft_probe_names[p]);
	}
	ck_assert(check_nft_fdb_has("02:00:00:00:00:99", "vethother"));
	check_nft_probe_build(&frame, CHECK_NFT_ARP_OWN, stranger, backend, proxy);
	ck_assert(check_nft_frame_arrives(stranger, backend, &frame));
	CHECK_NFT_MUST("bridge fdb del 02:00:00:00:00:99 dev vethother master");

	ruleset_init(&set);
	check_nft_policy(&set, "br0", proxy->ipv4, proxy->ipv6, proxy->port);
	check_nft_port(&set, proxy, true);
	check_nft_port(&set, backend, true);
	check_nft_port(&set, other, true);
	check_nft_port(&set, stranger, false);
	ck_assert(check_nft_apply(&set));

	/*
	 * The proxy's datagrams to the backend make the flows the forged
	 * errors quote: conntrack takes such an error for RELATED, and the IP
	 * rules let RELATED through, so only the bridge table can stop it.
	 */
	check_nft_proxy_datagrams(proxy, backend, other);

	/* with tjd: the attacks stop at other's port, the honest frames pass */
	for (int p = 0; p < CHECK_NFT_PROBES; p++) {
		check_nft_probe_ends((enum check_nft_probe)p, other, backend, proxy, &sender,
				     &receiver);
		check_nft_probe_build(&frame, (enum check_nft_probe)p, other, backend, proxy);
		arrived[p] = check_nft_frame_arrives(sender, receiver, &frame);
		printf("nft layer 2: %-6s from a bound port %s\n", check_nft_probe_names[p],
		       arrived[p] ? "arrived" : "dropped");
	}
	fflush(stdout);
	for (int p = 0; p < CHECK_NFT_PROBES; p++) {
		bool honest = check_nft_probe_honest((enum check_nft_probe)p);
		ck_assert_msg(arrived[p] == honest, "with tjd, the %s probe %s",
			      check_nft_probe_names[p], arrived[p] ? "arrived" : "was dropped");
	}
	ck_assert(!check_nft_fdb_has("02:00:00:00:00:99", "vethother"));
	/* a port tjd cannot attribute sends nothing, honest or not */
	check_nft_probe_build(&frame, CHECK_NFT_ARP_OWN, stranger, backend, proxy);
	ck_assert(!check_nft_frame_arrives(stranger, backend, &frame));

	/* address resolution from scratch still works for the bound ports, both families */
	CHECK_NFT_MUST("nsenter --net=/proc/%d/ns/net ip neigh flush all && "
		       "nsenter --net=/proc/%d/ns/net ip neigh flush all",
		       (int)proxy->pid, (int)backend->pid);
	ck_assert(check_nft_ping(proxy, backend->ipv4));
	ck_assert(check_nft_ping(proxy, backend->ipv6));
	check_nft_neighbour_is(proxy, backend->ipv4, check_nft_mac(backend));
	check_nft_neighbour_is(proxy, backend->ipv6, check_nft_mac(backend));

	/*
	 * It is the bridge table that stops them: without it the VLAN-tagged
	 * frame and the forged errors pass the IP rules.
	 */
	CHECK_NFT_MUST("nft delete table bridge tjd");
	check_nft_proxy_datagrams(proxy, backend, other);
	for (size_t i = 0; i < sizeof(past_ip_rules) / sizeof(past_ip_rules[0]); i++) {
		check_nft_probe_build(&frame, past_ip_rules[i], other, backend, proxy);
		ck_assert_msg(check_nft_frame_arrives(other, backend, &frame),
			      "without the bridge table, the %s probe did not arrive",
			      check_nft_probe_names[past_ip_rules[i]]);
	}
	ck_assert(check_nft_apply(&set));
	check_nft_probe_build(&frame, CHECK_NFT_VLAN, other, backend, proxy);
	ck_assert(!check_nft_frame_arrives(other, backend, &frame));

	ruleset_free(&set);
	for (size_t i = 0; i < CHECK_NFT_CONTAINERS; i++)
		if (check_nft_containers[i].pid > 0)
			kill(check_nft_containers[i].pid, SIGKILL);
}
END_TEST

/*
 * Owned tables (tjd/nft-owner.h): the kernel refuses every change by
 * anyone but the backend's own socket, and keeps the tables when it goes.
 */

/* A table as the kernel describes it (flags, owner). */
static struct nft_owner_table check_nft_table(uint8_t family, const char *name)
{
	struct nft_owner_table info;

	ck_assert_msg(nft_owner_query(family, name, &info, check_nft_err, sizeof(check_nft_err)) ==
			  0,
		      "query: %s", check_nft_err);
	return info;
}

/* Asserts both of the default instance's tables exist, owned (OWNER|PERSIST) or orphans. */
static void check_nft_tables_are(bool owned)
{
	static const uint8_t families[] = {NFPROTO_INET, NFPROTO_BRIDGE};

	for (size_t f = 0; f < 2; f++) {
		struct nft_owner_table info = check_nft_table(families[f], "tjd");

		ck_assert_msg(info.exists, "table %zu is gone", f);
		ck_assert_uint_eq(info.flags, owned ? NFT_OWNER_FLAGS : NFT_OWNER_FLAG_PERSIST);
		ck_assert(info.has_owner == owned);
	}
}

/* What the default instance's tables hold, without the lines that show owner and flags. */
static char *check_nft_contents(void)
{
	return check_nft_capture("for f in inet bridge; do nft -s list table $f tjd | "
				 "sed -e '/^table /d' -e '/^[[:space:]]flags/d' -e '/^$/d'; done");
}

/* The handle the kernel gave table `family` tjd: a new table, a new handle. */
static long check_nft_table_handle(const char *family)
{
	char *text = check_nft_capture("nft -a list table %s tjd | head -n 1", family);
	char *at = strstr(text, "# handle ");
	long handle = -1;

	if (at == NULL)
		at = strstr(text, " handle ");
	ck_assert_msg(at != NULL, "no handle in \"%s\"", text);
	handle = strtol(strstr(at, "handle ") + 7, NULL, 10);
	free(text);
	ck_assert_int_gt(handle, 0);
	return handle;
}

/* Asserts two listings are equal, printing how they differ when not (too long for Check). */
static void check_nft_same(const char *got, const char *expected)
{
	FILE *file;

	if (strcmp(got, expected) == 0)
		return;
	file = fopen("/tmp/check_nft_got", "w");
	if (file != NULL) {
		fputs(got, file);
		fclose(file);
	}
	file = fopen("/tmp/check_nft_expected", "w");
	if (file != NULL) {
		fputs(expected, file);
		fclose(file);
	}
	(void)check_util_run("diff -u /tmp/check_nft_expected /tmp/check_nft_got >&2");
	ck_abort_msg("the listings differ (diff above)");
}

/* The test's backend reopened owned (a restart of tjd, the old socket gone). */
static void check_nft_reopen(void)
{
	check_nft_backend.ops->close(&check_nft_backend);
	ck_assert_int_eq(backend_init(&check_nft_backend, &backend_nft_ops, ""), 0);
	ck_assert_msg(check_nft_backend.ops->open(&check_nft_backend, check_nft_err,
						  sizeof(check_nft_err)) == 0,
		      "open failed: %s", check_nft_err);
}

/* Asserts the test's backend says its tables are owned. */
static void check_nft_says_owned(void)
{
	const char *said = check_nft_backend.ops->protection(&check_nft_backend);

	ck_assert_msg(strcmp(said, "tables owned by tjd: deletion refused by the kernel") == 0,
		      "protection: %s", said);
}

/* Changes someone else might try; `flush ruleset` passes over owned tables and succeeds. */
static const struct {
	const char *command;
	bool refused; /* with our tables owned, the command fails */
} check_nft_foreign[] = {
    {"nft delete table inet tjd", true},
    {"nft delete table bridge tjd", true},
    {"nft flush ruleset", false},
    {"nft flush table inet tjd", true},
    {"nft flush chain inet tjd forward", true},
    {"nft flush chain bridge tjd prerouting", true},
    {"nft delete rule inet tjd forward handle "
     "$(nft -a list chain inet tjd forward | awk '/isolate/ { print $NF; exit }')",
     true},
    {"nft insert rule inet tjd forward accept", true},
    {"nft add rule inet tjd input tcp dport 22 drop", true},
    {"nft 'chain inet tjd forward { policy drop ; }'", true},
    {"nft add chain inet tjd sneaky '{ type filter hook forward priority -20; }'", true},
    {"nft add element inet tjd fwd4_br_web '{ 172.20.0.66 }'", true},
    {"nft delete element inet tjd fwd6_br_web '{ fd00:20::2 }'", true},
    {"nft flush set bridge tjd bound4", true},
    {"nft add element bridge tjd bound4 '{ 172.20.0.66 . \"vethevil\" }'", true},
    {"nft add table inet tjd '{ flags dormant; }'", true},
};

START_TEST(test_owned_refuses_others)
{
	const char *command = check_nft_foreign[_i].command;
	struct backend unowned;
	struct ruleset set;
	char *before, *after;
	int rc;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	/* first, without ownership: the command works and changes our tables */
	ck_assert_int_eq(backend_init(&unowned, &backend_nft_ops, ""), 0);
	unowned.unowned_tables = true;
	ck_assert_msg(unowned.ops->open(&unowned, check_nft_err, sizeof(check_nft_err)) == 0, "%s",
		      check_nft_err);
	ck_assert(check_nft_apply_with(&unowned, &set));
	before = check_nft_ruleset();
	ck_assert_msg(check_util_run("%s", command) == 0, "unowned: `%s` failed", command);
	after = check_nft_ruleset();
	ck_assert_msg(strcmp(before, after) != 0, "unowned: `%s` changed nothing", command);
	free(before);
	free(after);
	ck_assert_int_eq(unowned.ops->clear(&unowned, check_nft_err, sizeof(check_nft_err)), 0);
	unowned.ops->close(&unowned);

	/* owned: the kernel refuses it, and nothing changes */
	check_nft_backend.watched = true;
	(void)check_nft_backend.ops->monitor_drain(&check_nft_backend); /* the control's events */
	ck_assert(check_nft_apply(&set));
	check_nft_tables_are(true);
	check_nft_says_owned();
	before = check_nft_ruleset();
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	rc = check_util_run("%s 2>/dev/null", command);
	if (check_nft_foreign[_i].refused)
		ck_assert_msg(rc != 0, "owned: `%s` was not refused", command);
	else
		ck_assert_msg(rc == 0, "owned: `%s` failed", command);
	after = check_nft_ruleset();
	ck_assert_str_eq(after, before);
	check_nft_tables_are(true);
	/* nothing of ours changed, so nothing to repair */
	ck_assert(!check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_QUIET_MS, NULL));
	ck_assert(!check_nft_apply(&set));
	free(before);
	free(after);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_owned_applies_keep_working)
{
	struct ruleset set, wider;
	struct rule *rule;
	char *handles_before, *handles_after, *by_delta, *by_whole;
	long inet_handle, bridge_handle;

	ruleset_init(&set);
	ruleset_init(&wider);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1");
	check_nft_l2_port(&set, "br-web", "veth1", "02:42:ac:14:00:02", "172.20.0.2", "fd00:20::2");
	ck_assert_int_eq(ruleset_copy(&wider, &set), 0);
	check_nft_l2_port(&wider, "br-web", "veth9", "02:42:ac:14:00:09", "172.20.0.9",
			  "fd00:20::9");
	check_nft_backend.watched = true;
	ck_assert(check_nft_apply(&set));
	check_nft_tables_are(true);
	inet_handle = check_nft_table_handle("inet");
	bridge_handle = check_nft_table_handle("bridge");
	/* a port more: set elements only, committed as such into the owned tables */
	handles_before = check_nft_capture("nft -a list chain bridge tjd bound");
	ck_assert(check_nft_apply(&wider));
	ck_assert(!check_nft_apply(&wider));
	handles_after = check_nft_capture("nft -a list chain bridge tjd bound");
	ck_assert_str_eq(handles_after, handles_before);
	by_delta = check_nft_contents();
	ck_assert_ptr_nonnull(strstr(by_delta, "\"veth9\" : jump bound"));
	/* exactly what a whole commit of the same ruleset leaves */
	ck_assert_int_eq(
	    check_nft_backend.ops->clear(&check_nft_backend, check_nft_err, sizeof(check_nft_err)),
	    0);
	by_whole = check_nft_capture("nft list tables");
	ck_assert_str_eq(by_whole, "");
	free(by_whole);
	ck_assert(check_nft_apply(&wider));
	check_nft_tables_are(true);
	by_whole = check_nft_contents();
	check_nft_same(by_whole, by_delta);
	free(by_whole);
	/* a new rule: a whole commit, in place, so the tables (and their flags) stay */
	inet_handle = check_nft_table_handle("inet");
	bridge_handle = check_nft_table_handle("bridge");
	rule = check_nft_rule(&wider, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "br-web");
	strcpy(rule->comment, "tjd web extra");
	ck_assert(check_nft_apply(&wider));
	ck_assert(!check_nft_apply(&wider));
	ck_assert_int_eq(check_nft_table_handle("inet"), inet_handle);
	ck_assert_int_eq(check_nft_table_handle("bridge"), bridge_handle);
	check_nft_tables_are(true);
	by_whole = check_nft_contents();
	ck_assert_ptr_nonnull(strstr(by_whole, "tjd web extra"));
	/* the names of the last commit told what to delete: nothing was left behind */
	ck_assert_int_eq(check_util_run("nft list table inet tjd | grep -c 'chain forward' | "
					"grep -qx 1"),
			 0);
	ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	free(handles_before);
	free(handles_after);
	free(by_delta);
	free(by_whole);
	ruleset_free(&set);
	ruleset_free(&wider);
}
END_TEST

START_TEST(test_owned_tables_outlive_their_owner)
{
	struct ruleset set;
	char *contents, *now;
	long inet_handle, bridge_handle;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	check_nft_tables_are(true);
	contents = check_nft_contents();
	inet_handle = check_nft_table_handle("inet");
	bridge_handle = check_nft_table_handle("bridge");
	/* tjd stops (or crashes): its socket goes, the tables stay, rules and all */
	check_nft_backend.ops->close(&check_nft_backend);
	check_nft_tables_are(false);
	now = check_nft_contents();
	check_nft_same(now, contents);
	free(now);
	/* the next tjd adopts them: owned again, the same tables (never deleted) */
	check_nft_reopen();
	ck_assert(check_nft_apply(&set));
	check_nft_tables_are(true);
	check_nft_says_owned();
	ck_assert_int_eq(check_nft_table_handle("inet"), inet_handle);
	ck_assert_int_eq(check_nft_table_handle("bridge"), bridge_handle);
	now = check_nft_contents();
	check_nft_same(now, contents);
	free(now);
	ck_assert_int_ne(check_util_run("nft delete table inet tjd 2>/dev/null"), 0);
	/* and clearing, by the owner, deletes them */
	ck_assert_int_eq(
	    check_nft_backend.ops->clear(&check_nft_backend, check_nft_err, sizeof(check_nft_err)),
	    0);
	now = check_nft_capture("nft list tables");
	ck_assert_str_eq(now, "");
	free(now);
	free(contents);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_owned_clear_from_elsewhere)
{
	struct backend clearing;
	struct ruleset set;
	char *before, *after, expected[64];

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	before = check_nft_ruleset();
	/* `tjd --clear` while tjd runs: refused with the reason, nothing removed */
	ck_assert_int_eq(backend_init(&clearing, &backend_nft_ops, ""), 0);
	clearing.clear_only = true;
	ck_assert_msg(clearing.ops->open(&clearing, check_nft_err, sizeof(check_nft_err)) == 0,
		      "open failed: %s", check_nft_err);
	ck_assert_int_eq(
	    clearing.ops->held_elsewhere(&clearing, check_nft_err, sizeof(check_nft_err)), 1);
	snprintf(expected, sizeof(expected), "owned by process %d (", (int)getpid());
	ck_assert_msg(strstr(check_nft_err, expected) != NULL, "said: %s", check_nft_err);
	ck_assert_ptr_nonnull(strstr(check_nft_err, "use `tjctl clear`"));
	ck_assert_int_eq(clearing.ops->clear(&clearing, check_nft_err, sizeof(check_nft_err)), -1);
	ck_assert_ptr_nonnull(strstr(check_nft_err, "use `tjctl clear`"));
	clearing.ops->close(&clearing);
	ck_assert_int_eq(enforce_clear_offline("", NULL), -1);
	after = check_nft_ruleset();
	ck_assert_str_eq(after, before);
	free(after);
	/* the owner itself may */
	ck_assert_int_eq(check_nft_backend.ops->held_elsewhere(&check_nft_backend, check_nft_err,
							       sizeof(check_nft_err)),
			 0);
	/* once tjd is gone, `tjd --clear` removes the orphans */
	check_nft_backend.ops->close(&check_nft_backend);
	ck_assert_int_eq(enforce_clear_offline("", NULL), 0);
	after = check_nft_capture("nft list tables");
	ck_assert_str_eq(after, "");
	free(after);
	free(before);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_owned_falls_back_without_persist)
{
	struct ruleset set;
	char *before, *after;
	const char *said;

	/* a flag no kernel knows is refused exactly as PERSIST is before Linux 6.9 */
	nft_owner_claim_flags = NFT_OWNER_FLAGS | 0x80000000u;
	check_nft_reopen();
	said = check_nft_backend.ops->protection(&check_nft_backend);
	ck_assert_msg(strcmp(said, "tables not owned (kernel lacks table persist, Linux 6.9): "
				   "deletion repaired") == 0,
		      "protection: %s", said);
	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	check_nft_backend.watched = true;
	ck_assert(check_nft_apply(&set));
	ck_assert_uint_eq(check_nft_table(NFPROTO_INET, "tjd").flags, 0);
	ck_assert_uint_eq(check_nft_table(NFPROTO_BRIDGE, "tjd").flags, 0);
	before = check_nft_ruleset();
	/* today's behaviour: the deletion goes through and is repaired */
	CHECK_NFT_MUST("nft delete table inet tjd");
	ck_assert(
	    check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_MONITOR_TIMEOUT_MS, NULL));
	ck_assert(check_nft_apply(&set));
	after = check_nft_ruleset();
	ck_assert_str_eq(after, before);
	nft_owner_claim_flags = NFT_OWNER_FLAGS;
	free(before);
	free(after);
	ruleset_free(&set);
}
END_TEST

/* A netlink socket that hears every nf_tables transaction in the namespace. */
static struct mnl_socket *check_nft_listen(void)
{
	struct mnl_socket *sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int group = NFNLGRP_NFTABLES, size = 8 << 20;

	ck_assert_ptr_nonnull(sock);
	ck_assert_int_eq(mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID), 0);
	ck_assert_int_eq(mnl_socket_setsockopt(sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)),
			 0);
	(void)setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return sock;
}

/* What an event names: its table (attribute 1) and, for a chain, the chain (attribute 3). */
struct check_nft_event_names {
	const char *table;
	const char *chain;
};

/* mnl_attr_parse callback filling check_nft_event_names. */
static int check_nft_event_attribute(const struct nlattr *attribute, void *data)
{
	struct check_nft_event_names *names = data;

	if (mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(attribute) == 1)
		names->table = mnl_attr_get_str(attribute);
	else if (mnl_attr_get_type(attribute) == NFTA_CHAIN_NAME)
		names->chain = mnl_attr_get_str(attribute);
	return MNL_CB_OK;
}

/* One family's protection at a transaction's end: tjd's table, its chains, the copy. */
struct check_nft_cover {
	bool table;
	char chains[8][32];
	bool copy;
};

/* Adds or removes a chain name of a cover. */
static void check_nft_cover_chain(struct check_nft_cover *cover, const char *name, bool add)
{
	for (size_t i = 0; i < 8; i++)
		if (strcmp(cover->chains[i], name) == 0) {
			if (!add)
				cover->chains[i][0] = '\0';
			return;
		}
	for (size_t i = 0; add && i < 8; i++)
		if (cover->chains[i][0] == '\0') {
			snprintf(cover->chains[i], sizeof(cover->chains[i]), "%s", name);
			return;
		}
}

/* Counts a cover's chains. */
static int check_nft_cover_chains(const struct check_nft_cover *cover)
{
	int count = 0;

	for (size_t i = 0; i < 8; i++)
		count += cover->chains[i][0] != '\0';
	return count;
}

/*
 * Replays the table and chain events heard since `sock` was opened, from
 * tjd's unowned tables with their chains: at the end of every transaction,
 * each family must still be covered, by tjd's table with all its chains or
 * by the copy "tjd-handover".  Returns the transactions that touched them;
 * *swapped says whether tjd's table was deleted and made again.
 */
static int check_nft_never_uncovered(struct mnl_socket *sock, bool *swapped)
{
	static const char *const base[2][3] = {{"forward", "input", "output"},
					       {"prerouting", "bound", "unattributed"}};
	struct check_nft_cover cover[2];
	static char buffer[256 * 1024];
	int transactions = 0;
	bool touched = false;

	*swapped = false;
	memset(cover, 0, sizeof(cover));
	for (size_t f = 0; f < 2; f++) {
		cover[f].table = true;
		for (size_t c = 0; c < 3; c++)
			if (base[f][c] != NULL)
				check_nft_cover_chain(&cover[f], base[f][c], true);
	}
	for (;;) {
		ssize_t got = recv(mnl_socket_get_fd(sock), buffer, sizeof(buffer), MSG_DONTWAIT);
		const struct nlmsghdr *message = (const struct nlmsghdr *)buffer;
		int remaining = (int)got;

		if (got < 0) {
			ck_assert_msg(errno == EAGAIN, "reading events: %s", strerror(errno));
			break;
		}
		for (; mnl_nlmsg_ok(message, remaining);
		     message = mnl_nlmsg_next(message, &remaining)) {
			const struct nfgenmsg *header = mnl_nlmsg_get_payload(message);
			unsigned type = NFNL_MSG_TYPE(message->nlmsg_type);
			struct check_nft_event_names names = {NULL, NULL};
			struct check_nft_cover *family;

			if (NFNL_SUBSYS_ID(message->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
				continue;
			if (type == NFT_MSG_NEWGEN) {
				for (size_t f = 0; touched && f < 2; f++)
					ck_assert_msg(
					    cover[f].copy ||
						(cover[f].table &&
						 check_nft_cover_chains(&cover[f]) == 3),
					    "after transaction %d, family %zu was uncovered",
					    transactions + 1, f);
				transactions += touched;
				touched = false;
				continue;
			}
			if (header->nfgen_family != NFPROTO_INET &&
			    header->nfgen_family != NFPROTO_BRIDGE)
				continue;
			family = &cover[header->nfgen_family == NFPROTO_BRIDGE];
			(void)mnl_attr_parse(message, sizeof(*header), check_nft_event_attribute,
					     &names);
			if (names.table == NULL)
				continue;
			if (strcmp(names.table, "tjd-handover") == 0 &&
			    (type == NFT_MSG_NEWTABLE || type == NFT_MSG_DELTABLE)) {
				family->copy = type == NFT_MSG_NEWTABLE;
				touched = true;
			}
			if (strcmp(names.table, "tjd") != 0)
				continue;
			touched = true;
			if (type == NFT_MSG_DELTABLE) {
				family->table = false;
				memset(family->chains, 0, sizeof(family->chains));
				*swapped = true;
			} else if (type == NFT_MSG_NEWTABLE) {
				family->table = true;
			} else if ((type == NFT_MSG_NEWCHAIN || type == NFT_MSG_DELCHAIN) &&
				   names.chain != NULL) {
				check_nft_cover_chain(family, names.chain,
						      type == NFT_MSG_NEWCHAIN);
			}
		}
	}
	return transactions;
}

START_TEST(test_owned_replaces_unowned_tables_without_a_gap)
{
	struct backend unowned;
	struct mnl_socket *events;
	struct ruleset set;
	char *contents, *now;
	bool swapped;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	/* an earlier tjd, or own_tables = no, left tables that cannot be adopted */
	ck_assert_int_eq(backend_init(&unowned, &backend_nft_ops, ""), 0);
	unowned.unowned_tables = true;
	ck_assert_msg(unowned.ops->open(&unowned, check_nft_err, sizeof(check_nft_err)) == 0, "%s",
		      check_nft_err);
	ck_assert(check_nft_apply_with(&unowned, &set));
	unowned.ops->close(&unowned);
	ck_assert_uint_eq(check_nft_table(NFPROTO_INET, "tjd").flags, 0);
	contents = check_nft_contents();
	events = check_nft_listen();
	ck_assert(check_nft_apply(&set));
	check_nft_tables_are(true);
	check_nft_says_owned();
	now = check_nft_contents();
	check_nft_same(now, contents);
	free(now);
	now = check_nft_capture("nft list tables");
	ck_assert_str_eq(now, "table inet tjd\ntable bridge tjd\n");
	free(now);
	ck_assert_int_ge(check_nft_never_uncovered(events, &swapped), 3);
	ck_assert_msg(swapped, "the unowned tables were not replaced");
	mnl_socket_close(events);
	free(contents);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_owned_adoption_replaces_what_cannot_be_named)
{
	struct mnl_socket *events;
	struct ruleset set;
	char *contents, *now;
	bool swapped;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1111111");
	ck_assert(check_nft_apply(&set));
	contents = check_nft_contents();
	check_nft_backend.ops->close(&check_nft_backend);
	/* while no tjd runs, anyone may add to the orphan; a ct helper has no handle to delete by
	 */
	CHECK_NFT_MUST("nft add ct helper inet tjd ftp '{ type \"ftp\" protocol tcp; }'");
	check_nft_reopen();
	events = check_nft_listen();
	ck_assert(check_nft_apply(&set));
	check_nft_tables_are(true);
	now = check_nft_contents();
	check_nft_same(now, contents);
	free(now);
	ck_assert_int_ge(check_nft_never_uncovered(events, &swapped), 3);
	ck_assert(swapped);
	mnl_socket_close(events);
	free(contents);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_owned_layer2_companion)
{
	struct backend layer2;
	struct ruleset set;
	struct nft_owner_table info;
	const char *said;

	ruleset_init(&set);
	check_nft_policy(&set, "br-web", "172.20.0.2", "fd00:20::2", "veth1");
	check_nft_l2_port(&set, "br-web", "veth1", "02:42:ac:14:00:02", "172.20.0.2", "fd00:20::2");
	ck_assert_int_eq(backend_init(&layer2, &backend_nft_bridge_ops, ""), 0);
	ck_assert_msg(layer2.ops->open(&layer2, check_nft_err, sizeof(check_nft_err)) == 0, "%s",
		      check_nft_err);
	ck_assert(check_nft_apply_with(&layer2, &set));
	info = check_nft_table(NFPROTO_BRIDGE, "tjd-l2");
	ck_assert_uint_eq(info.flags, NFT_OWNER_FLAGS);
	said = layer2.ops->protection(&layer2);
	ck_assert_str_eq(said, "tables owned by tjd: deletion refused by the kernel");
	ck_assert_int_ne(check_util_run("nft delete table bridge tjd-l2 2>/dev/null"), 0);
	ck_assert_int_ne(check_util_run("nft flush chain bridge tjd-l2 bound 2>/dev/null"), 0);
	ck_assert(!check_nft_apply_with(&layer2, &set));
	layer2.ops->close(&layer2);
	ck_assert_uint_eq(check_nft_table(NFPROTO_BRIDGE, "tjd-l2").flags, NFT_OWNER_FLAG_PERSIST);
	ck_assert_int_eq(check_util_run("nft delete table bridge tjd-l2"), 0);
	ruleset_free(&set);
}
END_TEST

/* Runs a backend's apply (backend_netns_run's callback). */
static int check_nft_netns_apply(struct backend *backend, void *arg, char *err, size_t errlen)
{
	bool changed;

	return backend->ops->apply(backend, arg, &changed, err, errlen);
}

START_TEST(test_owned_in_another_namespace)
{
	struct check_nft_container *overlay = &check_nft_containers[0];
	struct backend_netns netns;
	struct ruleset set;
	char path[64];

	/* a namespace bound at a path of its own, as dockerd binds a swarm overlay's */
	CHECK_NFT_MUST("ip link add br0 type bridge && ip link set br0 up");
	check_nft_container_start(overlay, "vethoverlay", 2);
	snprintf(path, sizeof(path), "/tmp/check_nft_netns.%d", (int)getpid());
	CHECK_NFT_MUST("touch %s && mount --bind /proc/%d/ns/net %s", path, (int)overlay->pid,
		       path);
	ruleset_init(&set);
	check_nft_policy(&set, "br0", "10.77.0.9", "fd77::9", "veth9");
	ck_assert_int_eq(backend_netns_init(&netns, &check_nft_backend, path), 0);
	ck_assert_msg(backend_netns_run(&netns, true, check_nft_netns_apply, &set, check_nft_err,
					sizeof(check_nft_err)) == 1,
		      "%s", check_nft_err);
	/* inside, no one else may touch it; tjd's own namespace has nothing of it */
	CHECK_NFT_MUST("nsenter --net=%s nft list table inet tjd | grep -q 'flags owner'", path);
	ck_assert_int_ne(
	    check_util_run("nsenter --net=%s nft delete table inet tjd 2>/dev/null", path), 0);
	ck_assert_int_ne(
	    check_util_run("nsenter --net=%s nft flush chain bridge tjd prerouting 2>/dev/null",
			   path),
	    0);
	ck_assert_int_ne(check_util_run("nft list table inet tjd >/dev/null 2>&1"), 0);
	/* closed (tjd stops): the namespace keeps its rules, an orphan anyone may delete */
	backend_netns_close(&netns);
	CHECK_NFT_MUST("nsenter --net=%s nft list chain inet tjd forward | grep -q isolate", path);
	CHECK_NFT_MUST("nsenter --net=%s nft delete table inet tjd", path);
	CHECK_NFT_MUST("umount %s && rm -f %s", path, path);
	ruleset_free(&set);
	kill(overlay->pid, SIGKILL);
}
END_TEST

START_TEST(test_owned_packets)
{
	struct check_nft_container *proxy = &check_nft_containers[0];
	struct check_nft_container *backend = &check_nft_containers[1];
	struct ruleset set;
	double started;

	CHECK_NFT_MUST(
	    "ip link add br0 type bridge && ip link set br0 up && "
	    "ip addr add 10.77.0.1/24 dev br0 && ip -6 addr add fd77::1/64 dev br0 nodad");
	check_nft_container_start(proxy, "vethproxy", 2);
	check_nft_container_start(backend, "vethbackend", 3);
	/* no firewall: the backend reaches the proxy */
	ck_assert(check_nft_ping(backend, proxy->ipv4));
	/* opened after the forks: a child holding the socket would keep the tables owned */
	check_nft_reopen();
	ruleset_init(&set);
	check_nft_policy(&set, "br0", proxy->ipv4, proxy->ipv6, proxy->port);
	check_nft_backend.watched = true;
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_ping(backend, proxy->ipv4));
	ck_assert(check_nft_ping(proxy, backend->ipv4));
	/* root deletes tjd's table: refused, so the network never opens */
	started = check_nft_now_ms();
	ck_assert_int_ne(check_util_run("nft delete table inet tjd 2>/dev/null"), 0);
	printf("nft backend (owned): `nft delete table inet tjd` refused by the kernel "
	       "(%.2f ms for the command); the table never left: no gap, nothing to repair\n",
	       check_nft_now_ms() - started);
	ck_assert(!check_nft_ping(backend, proxy->ipv4));
	ck_assert(!check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_QUIET_MS, NULL));
	fflush(stdout);
	/* tjd gone (as after a crash): the rules stay */
	check_nft_backend.ops->close(&check_nft_backend);
	ck_assert(!check_nft_ping(backend, proxy->ipv4));
	ck_assert(check_nft_ping(proxy, backend->ipv4));
	/* it is that table that blocks: an orphan anyone may delete, and then it opens */
	CHECK_NFT_MUST("nft delete table inet tjd");
	ck_assert(check_nft_ping(backend, proxy->ipv4));
	ruleset_free(&set);
	for (size_t i = 0; i < CHECK_NFT_CONTAINERS; i++)
		if (check_nft_containers[i].pid > 0)
			kill(check_nft_containers[i].pid, SIGKILL);
}
END_TEST

/* The suite. */
/*
 * Ports and REJECT on real packets over loopback: each probe first
 * answers without the rules; with them, REJECT answers (a TCP reset, ICMP
 * port unreachable), DROP stays silent, and the ports beside them answer.
 */
START_TEST(test_ports_and_reject_packets)
{
	struct ruleset set;

	ck_assert_int_eq(check_util_loopback_up(), 0);
	check_util_expect_ports(false);
	ruleset_init(&set);
	check_util_ports_ruleset(&set);
	ck_assert(check_nft_apply(&set));
	check_util_expect_ports(true);
	ruleset_free(&set);
}
END_TEST

/*
 * Log rules on real packets: their samples reach tjd's reader in the
 * namespace, decoded and with the rule's comment as prefix, and the rules
 * read back as written (a second apply commits nothing).
 */
START_TEST(test_log_rules_packets)
{
	struct ruleset set;

	ck_assert_int_eq(check_util_loopback_up(), 0);
	check_util_expect_logged(false);
	ruleset_init(&set);
	check_util_log_ruleset(&set);
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_apply(&set));
	check_util_expect_logged(true);
	ruleset_free(&set);
}
END_TEST

/*
 * The ruleset's named sets and conntrack DNAT conditions on real packets
 * over loopback: addresses on lo (every 127/8 address is local, the IPv6
 * ones are added), datagrams sent from one bound source to another.
 */
#define CHECK_NFT_SET_PORT 9411
#define CHECK_NFT_SET_WAIT_MS 300

/* Fills a socket address for `text` (IPv4 or IPv6) and `port`; returns its length. */
static socklen_t check_nft_sockaddr(struct sockaddr_storage *out, const char *text, unsigned port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	struct sockaddr_in *in = (struct sockaddr_in *)out;

	memset(out, 0, sizeof(*out));
	if (strchr(text, ':') != NULL) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
		return sizeof(*in6);
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, text, &in->sin_addr), 1);
	return sizeof(*in);
}

/* Sends one UDP datagram from `src` to `dst` (local addresses of one family); true if it came. */
static bool check_nft_udp_arrives(const char *src, const char *dst, unsigned port)
{
	struct sockaddr_storage from, to;
	socklen_t from_length = check_nft_sockaddr(&from, src, 0);
	socklen_t to_length = check_nft_sockaddr(&to, dst, port);
	int receiver = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int sender = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct pollfd pfd = {.fd = receiver, .events = POLLIN};
	char byte;
	bool arrived;

	ck_assert_int_ge(receiver, 0);
	ck_assert_int_ge(sender, 0);
	ck_assert_msg(bind(receiver, (struct sockaddr *)&to, to_length) == 0, "bind %s: %s", dst,
		      strerror(errno));
	ck_assert_msg(bind(sender, (struct sockaddr *)&from, from_length) == 0, "bind %s: %s", src,
		      strerror(errno));
	/* a drop on the way out fails the send itself */
	if (sendto(sender, "x", 1, 0, (struct sockaddr *)&to, to_length) != 1)
		ck_assert_msg(errno == EPERM, "send to %s: %s", dst, strerror(errno));
	arrived = poll(&pfd, 1, CHECK_NFT_SET_WAIT_MS) == 1 &&
		  recv(receiver, &byte, 1, MSG_DONTWAIT) == 1;
	close(sender);
	close(receiver);
	return arrived;
}

/* Opens a TCP connection to 127.0.0.1:port (the kernel answers for `listener`); true if it did. */
static bool check_nft_tcp_connects(unsigned port, int listener)
{
	struct sockaddr_storage to;
	socklen_t to_length = check_nft_sockaddr(&to, "127.0.0.1", port);
	int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd pfd = {.fd = client, .events = POLLOUT};
	int error = -1, accepted;
	socklen_t length = sizeof(error);

	ck_assert_int_ge(client, 0);
	if (connect(client, (struct sockaddr *)&to, to_length) != 0)
		ck_assert_int_eq(errno, EINPROGRESS);
	if (poll(&pfd, 1, CHECK_NFT_SET_WAIT_MS) == 1)
		ck_assert_int_eq(getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &length), 0);
	close(client);
	/* take the connection off the backlog, if one came */
	accepted = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (accepted >= 0)
		close(accepted);
	return error == 0;
}

/* Adds a named set with the given members ("" ends the list) to `set`. */
static void check_nft_named_set(struct ruleset *set, const char *name, int family,
				const char *const *members)
{
	struct rule_addrset *named = ruleset_add_set(set, name, family);

	ck_assert_ptr_nonnull(named);
	snprintf(named->comment, sizeof(named->comment), "tjd test %s", name);
	for (size_t i = 0; members[i][0] != '\0'; i++) {
		struct prefix member;

		check_nft_prefix(&member, members[i]);
		ck_assert_int_eq(ruleset_add_member(set, &member), 0);
	}
}

/*
 * A set of each family (and an empty one) and INPUT rules on lo that drop
 * UDP to CHECK_NFT_SET_PORT from a member of "blocked4", and to a member
 * of "guarded6", and anything from a member of "empty6".
 */
static void check_nft_sets_ruleset(struct ruleset *set, const char *const *blocked4,
				   const char *const *guarded6)
{
	static const char *const none[] = {""};
	struct rule *rule;

	ruleset_init(set);
	check_nft_named_set(set, "blocked4", AF_INET, blocked4);
	check_nft_named_set(set, "guarded6", AF_INET6, guarded6);
	check_nft_named_set(set, "empty6", AF_INET6, none);
	rule = check_nft_rule(set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "lo");
	strcpy(rule->src_set, "blocked4");
	rule->protocol = IPPROTO_UDP;
	rule->dport_first = rule->dport_last = CHECK_NFT_SET_PORT;
	strcpy(rule->comment, "tjd test blocked");
	rule = check_nft_rule(set, AF_INET6, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "lo");
	strcpy(rule->dst_set, "guarded6");
	rule->protocol = IPPROTO_UDP;
	strcpy(rule->comment, "tjd test guarded");
	rule = check_nft_rule(set, AF_INET6, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->src_set, "empty6");
	strcpy(rule->comment, "tjd test empty");
}

/* Brings lo up with the IPv6 addresses the set cases send from and to. */
static void check_nft_set_addresses(void)
{
	ck_assert_int_eq(check_util_loopback_up(), 0);
	CHECK_NFT_MUST("for a in fd00:99::1 fd00:99::4 fd00:99::5 fd00:99:1::7; do "
		       "ip -6 addr add $a/128 dev lo nodad || exit 1; done");
}

static const char *const check_nft_blocked4[] = {"127.0.0.2", "127.0.1.0/24", ""};
static const char *const check_nft_guarded6[] = {"fd00:99::4", "fd00:99:1::/64", ""};

/* Members as source (IPv4) and destination (IPv6), one address or a prefix, on real packets. */
START_TEST(test_set_packets)
{
	struct ruleset set;
	uint64_t packets, bytes;
	char *chain;

	check_nft_set_addresses();
	/* without the rules, everything arrives */
	ck_assert(check_nft_udp_arrives("127.0.0.2", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("127.0.1.9", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("fd00:99::1", "fd00:99::4", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("fd00:99::1", "fd00:99:1::7", CHECK_NFT_SET_PORT));
	check_nft_sets_ruleset(&set, check_nft_blocked4, check_nft_guarded6);
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_apply(&set));
	/* a member as source, or inside a member prefix: dropped */
	ck_assert(!check_nft_udp_arrives("127.0.0.2", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("127.0.1.9", "127.0.0.1", CHECK_NFT_SET_PORT));
	/* a non-member, or another port: through */
	ck_assert(check_nft_udp_arrives("127.0.0.3", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("127.0.2.1", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("127.0.0.2", "127.0.0.1", CHECK_NFT_SET_PORT + 1));
	/* IPv6: a member as destination is dropped, a non-member is not */
	ck_assert(!check_nft_udp_arrives("fd00:99::1", "fd00:99::4", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("fd00:99::1", "fd00:99:1::7", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("fd00:99::1", "fd00:99::5", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("fd00:99::4", "fd00:99::1", CHECK_NFT_SET_PORT));
	/* the four drops, counted on lo (input: no-host) */
	ck_assert_int_eq(check_nft_counters(&check_nft_backend, "lo", &packets, &bytes), 0);
	ck_assert_uint_eq(packets, 4);
	/* as the kernel reads the sets and rules back */
	chain = check_nft_capture("nft list table inet tjd");
	ck_assert_ptr_nonnull(strstr(chain, "\tset set_blocked4 {\n\t\ttype ipv4_addr\n\t\tflags "
					    "interval\n\t\tcomment \"tjd test blocked4\"\n\t\t"
					    "elements = { 127.0.0.2, 127.0.1.0/24 }\n"));
	ck_assert_ptr_nonnull(strstr(chain, "\tset set_empty6 {\n\t\ttype ipv6_addr\n\t\tflags "
					    "interval\n\t\tcomment \"tjd test empty6\"\n\t}\n"));
	ck_assert_ptr_nonnull(strstr(chain, "iifname \"lo\" ip saddr @set_blocked4 udp dport "
					    "9411 counter packets 2 "));
	ck_assert_ptr_nonnull(strstr(chain, "iifname \"lo\" ip6 daddr @set_guarded6 meta l4proto "
					    "udp counter packets 2 "));
	ck_assert_ptr_nonnull(strstr(chain, "ip6 saddr @set_empty6 counter packets 0 "));
	free(chain);
	/* and dump shows them, with the counters */
	ck_assert_int_eq(check_nft_backend.ops->dump(&check_nft_backend, &chain, check_nft_err,
						     sizeof(check_nft_err)),
			 0);
	ck_assert_ptr_nonnull(strstr(chain, "set set_guarded6 {"));
	ck_assert_ptr_nonnull(strstr(chain, "elements = { fd00:99::4,"));
	ck_assert_ptr_nonnull(strstr(chain, " fd00:99:1::/64 }"));
	ck_assert_ptr_nonnull(strstr(chain, "@set_blocked4 udp dport 9411 counter packets 2 "));
	free(chain);
	ruleset_free(&set);
}
END_TEST

/* What nf_tables events did to the tables called tjd (heard on a check_nft_listen socket). */
struct check_nft_tally {
	int transactions; /* that touched them */
	int elements;	  /* set element events */
	int others;	  /* every other event naming them: tables, chains, sets, rules */
};

/* Reads every event heard so far on `sock` into a tally. */
static struct check_nft_tally check_nft_tally_events(struct mnl_socket *sock)
{
	static char buffer[256 * 1024];
	struct check_nft_tally tally = {0, 0, 0};
	bool touched = false;

	for (;;) {
		ssize_t got = recv(mnl_socket_get_fd(sock), buffer, sizeof(buffer), MSG_DONTWAIT);
		const struct nlmsghdr *message = (const struct nlmsghdr *)buffer;
		int remaining = (int)got;

		if (got < 0) {
			ck_assert_msg(errno == EAGAIN, "reading events: %s", strerror(errno));
			break;
		}
		for (; mnl_nlmsg_ok(message, remaining);
		     message = mnl_nlmsg_next(message, &remaining)) {
			const struct nfgenmsg *header = mnl_nlmsg_get_payload(message);
			unsigned type = NFNL_MSG_TYPE(message->nlmsg_type);
			struct check_nft_event_names names = {NULL, NULL};

			if (NFNL_SUBSYS_ID(message->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
				continue;
			if (type == NFT_MSG_NEWGEN) {
				tally.transactions += touched;
				touched = false;
				continue;
			}
			(void)mnl_attr_parse(message, sizeof(*header), check_nft_event_attribute,
					     &names);
			if (names.table == NULL || strcmp(names.table, "tjd") != 0)
				continue;
			touched = true;
			if (type == NFT_MSG_NEWSETELEM || type == NFT_MSG_DELSETELEM)
				tally.elements++;
			else
				tally.others++;
		}
	}
	return tally;
}

/* The chains of both tables with their rules' handles and counters. */
static char *check_nft_rules_with_handles(void)
{
	return check_nft_capture("for c in input forward output; do "
				 "nft -a list chain inet tjd $c || exit 1; done && "
				 "for c in prerouting bound unattributed; do "
				 "nft -a list chain bridge tjd $c || exit 1; done");
}

/*
 * Members change, nothing else: one transaction of element events only,
 * every rule keeps its handle and its counter, and the packets follow
 * the new members.  Owned (0), unowned and compared by listing (1),
 * unowned and watched (2).
 */
START_TEST(test_set_members_change_alone)
{
	static const char *const blocked4[] = {"127.0.0.3", "127.0.1.0/25", ""};
	static const char *const guarded6[] = {"fd00:99::5", "fd00:99:1::/64", ""};
	struct ruleset set, moved;
	struct mnl_socket *sock;
	struct check_nft_tally tally;
	char *before, *after, *by_delta, *by_whole;

	check_nft_set_addresses();
	if (_i > 0)
		check_nft_unowned();
	check_nft_backend.watched = _i == 2;
	check_nft_sets_ruleset(&set, check_nft_blocked4, check_nft_guarded6);
	check_nft_sets_ruleset(&moved, blocked4, guarded6);
	ck_assert(ruleset_rules_equal(&set, &moved));
	ck_assert(!ruleset_sets_equal(&set, &moved));
	ck_assert(check_nft_apply(&set));
	if (_i == 0)
		check_nft_tables_are(true);
	/* a counter that is not 0, to see that it survives */
	ck_assert(!check_nft_udp_arrives("127.0.0.2", "127.0.0.1", CHECK_NFT_SET_PORT));
	before = check_nft_rules_with_handles();
	ck_assert_ptr_nonnull(strstr(before, "counter packets 1 "));
	sock = check_nft_listen();
	ck_assert(check_nft_apply(&moved));
	ck_assert(!check_nft_apply(&moved));
	tally = check_nft_tally_events(sock);
	mnl_socket_close(sock);
	ck_assert_int_eq(tally.transactions, 1);
	ck_assert_int_gt(tally.elements, 0);
	ck_assert_int_eq(tally.others, 0);
	after = check_nft_rules_with_handles();
	check_nft_same(after, before);
	/* the new members hold */
	ck_assert(check_nft_udp_arrives("127.0.0.2", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("127.0.0.3", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("127.0.1.9", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("127.0.1.200", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("fd00:99::1", "fd00:99::4", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("fd00:99::1", "fd00:99::5", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("fd00:99::1", "fd00:99:1::7", CHECK_NFT_SET_PORT));
	if (_i == 0) {
		check_nft_tables_are(true);
		/* owned: no one else may add a member */
		ck_assert_int_ne(check_util_run("nft add element inet tjd set_blocked4 "
						"'{ 127.0.0.9 }' 2>/dev/null"),
				 0);
	}
	if (_i == 2)
		ck_assert(!check_nft_backend.ops->monitor_drain(&check_nft_backend));
	/* exactly what a whole commit of the new ruleset leaves */
	by_delta = check_nft_capture("nft -s list ruleset");
	ck_assert_ptr_nonnull(strstr(by_delta, "elements = { 127.0.0.3, 127.0.1.0/25 }"));
	ck_assert_int_eq(
	    check_nft_backend.ops->clear(&check_nft_backend, check_nft_err, sizeof(check_nft_err)),
	    0);
	ck_assert(check_nft_apply(&moved));
	by_whole = check_nft_capture("nft -s list ruleset");
	check_nft_same(by_whole, by_delta);
	/* and back, as a delta again */
	free(before);
	free(after);
	before = check_nft_rules_with_handles();
	ck_assert(check_nft_apply(&set));
	after = check_nft_rules_with_handles();
	check_nft_same(after, before);
	ck_assert(!check_nft_udp_arrives("127.0.0.2", "127.0.0.1", CHECK_NFT_SET_PORT));
	free(before);
	free(after);
	free(by_delta);
	free(by_whole);
	ruleset_free(&set);
	ruleset_free(&moved);
}
END_TEST

/* Someone else's edits of the members of our sets, which the next apply must undo. */
static const char *const check_nft_set_drifts[] = {
    "nft add element inet tjd set_blocked4 '{ 127.0.0.9 }'",
    "nft delete element inet tjd set_blocked4 '{ 127.0.0.2 }'",
    "nft delete element inet tjd set_guarded6 '{ fd00:99:1::/64 }'",
    "nft flush set inet tjd set_guarded6",
    "nft add element inet tjd set_empty6 '{ fd00::/8 }'",
};

START_TEST(test_set_drift_is_repaired)
{
	const char *command = check_nft_set_drifts[_i];
	struct ruleset set;
	char *before, *after;

	check_nft_set_addresses();
	check_nft_unowned();
	check_nft_sets_ruleset(&set, check_nft_blocked4, check_nft_guarded6);
	/* not watched: the listing tells */
	ck_assert(check_nft_apply(&set));
	before = check_nft_ruleset();
	CHECK_NFT_MUST("%s", command);
	after = check_nft_ruleset();
	ck_assert_msg(strcmp(after, before) != 0, "`%s` changed nothing", command);
	free(after);
	ck_assert_msg(check_nft_apply(&set), "drift not noticed: %s", command);
	after = check_nft_ruleset();
	check_nft_same(after, before);
	free(after);
	ck_assert(!check_nft_apply(&set));
	ck_assert(!check_nft_udp_arrives("127.0.0.2", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(check_nft_udp_arrives("127.0.0.9", "127.0.0.1", CHECK_NFT_SET_PORT));
	/* watched: the monitor tells */
	check_nft_backend.watched = true;
	(void)check_nft_backend.ops->monitor_drain(&check_nft_backend);
	CHECK_NFT_MUST("%s", command);
	ck_assert_msg(
	    check_nft_monitor_reports(&check_nft_backend, CHECK_NFT_MONITOR_TIMEOUT_MS, NULL),
	    "monitor missed: %s", command);
	ck_assert(check_nft_apply(&set));
	after = check_nft_ruleset();
	check_nft_same(after, before);
	free(after);
	ck_assert(!check_nft_apply(&set));
	free(before);
	ruleset_free(&set);
}
END_TEST

/*
 * Conntrack's DNAT status and original port on a real DNAT: a nat output
 * chain sends 127.0.0.1:8080, :8081 and :8085 to a listener on :9000.
 * The rules drop connections DNAT'ed from 8080, from 8082-8089, and those
 * DNAT'ed from 9000, which none is: connecting to 9000 itself is no DNAT.
 */
START_TEST(test_dnat_conditions_packets)
{
	static const char *const published[] = {"tjd published web 8080", "tjd published web range",
						"tjd published never"};
	static const uint16_t ports[][2] = {{8080, 8080}, {8082, 8089}, {9000, 9000}};
	struct sockaddr_storage address;
	socklen_t length = check_nft_sockaddr(&address, "127.0.0.1", 9000);
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct backend_counter counter = {.bridge = NULL};
	struct ruleset set;
	struct rule *rule;
	char *chain;

	ck_assert_int_eq(check_util_loopback_up(), 0);
	ck_assert_int_ge(listener, 0);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&address, length), 0);
	ck_assert_int_eq(listen(listener, 16), 0);
	CHECK_NFT_MUST(
	    "nft add table ip nat && nft add chain ip nat output "
	    "'{ type nat hook output priority -100; }' && "
	    "nft add rule ip nat output ip daddr 127.0.0.1 tcp dport '{ 8080, 8081, 8085 }' "
	    "dnat to 127.0.0.1:9000");
	/* without the rules, every port reaches the listener */
	ck_assert(check_nft_tcp_connects(8080, listener));
	ck_assert(check_nft_tcp_connects(8081, listener));
	ck_assert(check_nft_tcp_connects(8085, listener));
	ck_assert(check_nft_tcp_connects(9000, listener));
	ruleset_init(&set);
	for (size_t i = 0; i < 3; i++) {
		rule = check_nft_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
		rule->ct_dnat = true;
		rule->protocol = IPPROTO_TCP;
		rule->ct_dport_first = ports[i][0];
		rule->ct_dport_last = ports[i][1];
		strcpy(rule->comment, published[i]);
	}
	/* the IPv6 twin, which no packet here meets, and a port match beside conntrack's */
	rule = check_nft_rule(&set, AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	rule->ct_dnat = true;
	rule->ctstate = RULE_CT_NEW;
	rule->protocol = IPPROTO_UDP;
	rule->dport_first = rule->dport_last = 53;
	rule->ct_dport_first = rule->ct_dport_last = 5353;
	strcpy(rule->comment, "tjd published dns");
	/* conntrack's port before TCP flags, which would imply the protocol only after it */
	rule = check_nft_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->protocol = IPPROTO_TCP;
	rule->tcp_not_syn = true;
	rule->ct_dport_first = rule->ct_dport_last = 443;
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_apply(&set));
	/* DNAT'ed from 8080 and 8085: dropped; from 8081: through; no DNAT: through */
	ck_assert(!check_nft_tcp_connects(8080, listener));
	ck_assert(!check_nft_tcp_connects(8085, listener));
	ck_assert(check_nft_tcp_connects(8081, listener));
	ck_assert(check_nft_tcp_connects(9000, listener));
	/* every drop counted as the published-port policy's, none as "no host" */
	ck_assert_int_eq(check_nft_backend.ops->counters(&check_nft_backend, &counter, 1,
							 check_nft_err, sizeof(check_nft_err)),
			 0);
	ck_assert_uint_ge(counter.kind_packets[BACKEND_DROP_PUBLISHED], 2);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_PUBLISHED], counter.packets);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_NO_HOST], 0);
	chain = check_nft_capture("nft -s list table inet tjd");
	ck_assert_ptr_nonnull(
	    strstr(chain, "\t\tmeta nfproto ipv4 ct status dnat meta l4proto tcp ct original "
			  "proto-dst 8080 counter drop comment \"tjd published "
			  "web 8080\"\n"));
	ck_assert_ptr_nonnull(
	    strstr(chain, "\t\tmeta nfproto ipv4 ct status dnat meta l4proto tcp ct original "
			  "proto-dst 8082-8089 counter drop comment \"tjd "
			  "published web range\"\n"));
	ck_assert_ptr_nonnull(strstr(chain, "\t\tmeta nfproto ipv6 ct state new ct status dnat "
					    "udp dport 53 ct original proto-dst 5353 counter drop "
					    "comment \"tjd published dns\"\n"));
	free(chain);
	close(listener);
	ruleset_free(&set);
}
END_TEST

/*
 * A drop rule of the published-port policy counts as such on any chain,
 * under its interface like every drop; the others by their chain.
 */
START_TEST(test_published_drops_counted)
{
	struct backend_counter counter = {.bridge = "lo"};
	struct ruleset set;
	struct rule *rule;

	ck_assert_int_eq(check_util_loopback_up(), 0);
	ruleset_init(&set);
	rule = check_nft_rule(&set, AF_INET, RULE_HOOK_OUTPUT, RULE_DROP);
	strcpy(rule->out_iface, "lo");
	rule->protocol = IPPROTO_UDP;
	rule->dport_first = rule->dport_last = CHECK_NFT_SET_PORT;
	strcpy(rule->comment, "tjd published x");
	rule = check_nft_rule(&set, AF_INET, RULE_HOOK_OUTPUT, RULE_DROP);
	strcpy(rule->out_iface, "lo");
	rule->protocol = IPPROTO_UDP;
	rule->dport_first = rule->dport_last = CHECK_NFT_SET_PORT + 1;
	strcpy(rule->comment, "tjd host");
	rule = check_nft_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "lo");
	rule->protocol = IPPROTO_UDP;
	rule->dport_first = rule->dport_last = CHECK_NFT_SET_PORT + 2;
	strcpy(rule->comment, "tjd published y");
	rule = check_nft_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "lo");
	rule->protocol = IPPROTO_UDP;
	rule->dport_first = rule->dport_last = CHECK_NFT_SET_PORT + 3;
	strcpy(rule->comment, "tjd publishing is not it");
	ck_assert(check_nft_apply(&set));
	ck_assert(!check_nft_udp_arrives("127.0.0.1", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("127.0.0.1", "127.0.0.1", CHECK_NFT_SET_PORT));
	ck_assert(!check_nft_udp_arrives("127.0.0.1", "127.0.0.1", CHECK_NFT_SET_PORT + 1));
	ck_assert(!check_nft_udp_arrives("127.0.0.1", "127.0.0.1", CHECK_NFT_SET_PORT + 2));
	ck_assert(!check_nft_udp_arrives("127.0.0.1", "127.0.0.1", CHECK_NFT_SET_PORT + 3));
	ck_assert_int_eq(check_nft_backend.ops->counters(&check_nft_backend, &counter, 1,
							 check_nft_err, sizeof(check_nft_err)),
			 0);
	ck_assert_uint_eq(counter.packets, 5);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_PUBLISHED], 3);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_HOST], 1);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_NO_HOST], 1);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_ISOLATION], 0);
	ck_assert_uint_eq(counter.kind_bytes[BACKEND_DROP_PUBLISHED], 3 * 29);
	ruleset_free(&set);
}
END_TEST

/* Rules naming an unknown set or one of the other family are refused, and nothing changes. */
START_TEST(test_set_rules_refused)
{
	static const char *const reasons[] = {
	    "set \"absent\": the ruleset has no set of that name",
	    "set \"guarded6\": the set is of the other family",
	    "both an address and a set on one side",
	    "original destination port (conntrack) without protocol TCP, UDP or SCTP",
	};
	struct ruleset set;
	char *before, *after;

	check_nft_sets_ruleset(&set, check_nft_blocked4, check_nft_guarded6);
	ck_assert(check_nft_apply(&set));
	before = check_nft_capture("nft -a list ruleset");
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		struct ruleset bad;
		struct rule *rule;
		bool changed = true;

		ruleset_init(&bad);
		ck_assert_int_eq(ruleset_copy(&bad, &set), 0);
		rule = check_nft_rule(&bad, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
		if (i == 0)
			strcpy(rule->src_set, "absent");
		else if (i == 1)
			strcpy(rule->dst_set, "guarded6");
		else if (i == 2) {
			strcpy(rule->src_set, "blocked4");
			check_nft_prefix(&rule->src, "10.0.0.0/8");
		} else {
			rule->ct_dnat = true;
			rule->ct_dport_first = rule->ct_dport_last = 8080;
		}
		ck_assert_int_eq(check_nft_backend.ops->apply(&check_nft_backend, &bad, &changed,
							      check_nft_err, sizeof(check_nft_err)),
				 -1);
		ck_assert(!changed);
		ck_assert_msg(strstr(check_nft_err, reasons[i]) != NULL,
			      "error \"%s\" lacks \"%s\"", check_nft_err, reasons[i]);
		ck_assert_ptr_nonnull(strstr(check_nft_err, "rule 4 cannot be written"));
		after = check_nft_capture("nft -a list ruleset");
		ck_assert_str_eq(after, before);
		free(after);
		ruleset_free(&bad);
	}
	free(before);
	ruleset_free(&set);
}
END_TEST

static Suite *check_nft_suite(void)
{
	Suite *suite = suite_create("backend_nft");
	TCase *tcase = tcase_create("kernel");

	tcase_add_checked_fixture(tcase, check_nft_setup, check_nft_teardown);
	tcase_set_timeout(tcase, 60);
	tcase_add_test(tcase, test_open_refuses_without_bridge_netfilter);
	tcase_add_test(tcase, test_clear_only_needs_no_bridge_netfilter);
	tcase_add_test(tcase, test_open_leaves_nothing_behind);
	tcase_add_test(tcase, test_closed_backend_refuses);
	tcase_add_test(tcase, test_apply_installs_tables);
	tcase_add_test(tcase, test_watched_commits_only_differences);
	tcase_add_test(tcase, test_apply_needs_no_name_databases);
	tcase_add_test(tcase, test_second_apply_does_not_commit);
	tcase_add_loop_test(tcase, test_drift_is_repaired, 0,
			    sizeof(check_nft_drifts) / sizeof(check_nft_drifts[0]));
	tcase_add_test(tcase, test_clear_restores_the_ruleset);
	tcase_add_test(tcase, test_unexpressible_apply_changes_nothing);
	tcase_add_test(tcase, test_kernel_refusal_changes_nothing);
	tcase_add_test(tcase, test_instances_keep_to_their_tables);
	tcase_add_test(tcase, test_monitor_repairs_within_milliseconds);
	tcase_add_test(tcase, test_own_commits_in_a_pid_namespace);
	tcase_add_test(tcase, test_drain_is_bounded);
	tcase_add_test(tcase, test_real_packets);
	tcase_add_test(tcase, test_layer2_packets);
	tcase_add_test(tcase, test_ports_and_reject_packets);
	tcase_add_test(tcase, test_log_rules_packets);
	tcase_add_loop_test(tcase, test_owned_refuses_others, 0,
			    sizeof(check_nft_foreign) / sizeof(check_nft_foreign[0]));
	tcase_add_test(tcase, test_owned_applies_keep_working);
	tcase_add_test(tcase, test_owned_tables_outlive_their_owner);
	tcase_add_test(tcase, test_owned_clear_from_elsewhere);
	tcase_add_test(tcase, test_owned_falls_back_without_persist);
	tcase_add_test(tcase, test_owned_replaces_unowned_tables_without_a_gap);
	tcase_add_test(tcase, test_owned_adoption_replaces_what_cannot_be_named);
	tcase_add_test(tcase, test_owned_layer2_companion);
	tcase_add_test(tcase, test_owned_in_another_namespace);
	tcase_add_test(tcase, test_owned_packets);
	tcase_add_test(tcase, test_set_packets);
	tcase_add_loop_test(tcase, test_set_members_change_alone, 0, 3);
	tcase_add_loop_test(tcase, test_set_drift_is_repaired, 0,
			    sizeof(check_nft_set_drifts) / sizeof(check_nft_set_drifts[0]));
	tcase_add_test(tcase, test_dnat_conditions_packets);
	tcase_add_test(tcase, test_published_drops_counted);
	tcase_add_test(tcase, test_set_rules_refused);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner;
	int failed;

	if (geteuid() != 0) {
		fprintf(stderr, "check_backend_nft: must run as root (network namespaces, "
				"nf_tables); this is a FAILURE, not a skip\n");
		return 99;
	}
	/* never touch the host's firewall, even before the first case forks */
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "check_backend_nft: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 99;
	}
	runner = srunner_create(check_nft_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
