/*
 * The iptc backend against the real kernel.  The binary first moves into a
 * throw-away network namespace, and every test case then takes a fresh one
 * of its own, so the host firewall is never touched and no case sees
 * another's leftovers.  Needs root: without it the run FAILS, loudly.
 *
 * Kernel state is checked through iptables-legacy-save / ip6tables-legacy-
 * save and ipset save, independent readers of what libiptc and libipset
 * wrote.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>

#include "check-util.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tjd/backend.h"
#include "tjd/ruleset.h"

#define CHECK_IPTC_BRIDGE_IPV4 "/proc/sys/net/bridge/bridge-nf-call-iptables"
#define CHECK_IPTC_BRIDGE_IPV6 "/proc/sys/net/bridge/bridge-nf-call-ip6tables"
/* ipset save with what a refill changes by itself (the hash seed) left out, members sorted. */
#define CHECK_IPTC_IPSET_SAVE "ipset save | sed 's/ initval 0x[0-9a-f]*//' | sort"
#define CHECK_IPTC_SAVE                                                                            \
	"iptables-legacy-save -t filter && echo '# ---- IPv6' && ip6tables-legacy-save -t filter"  \
	" && echo '# ---- ipset' && " CHECK_IPTC_IPSET_SAVE
#define CHECK_IPTC_PORT 5555

static struct backend check_iptc_backend;
static char check_iptc_err[512];

/* Writes a short value into a file (a sysctl); fails the test on error. */
static void check_iptc_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, value, strlen(value)) == (ssize_t)strlen(value), "write %s: %s",
		      path, strerror(errno));
	close(fd);
}

/* Runs a shell command that must succeed. */
#define CHECK_IPTC_MUST(...) ck_assert_int_eq(check_util_run(__VA_ARGS__), 0)

/* Returns a command's standard output (malloc'd). */
static char *check_iptc_capture(const char *command)
{
	FILE *stream = popen(command, "r");
	size_t length = 0, capacity = 4096;
	char *text = malloc(capacity);
	size_t got;

	ck_assert_ptr_nonnull(stream);
	ck_assert_ptr_nonnull(text);
	while ((got = fread(text + length, 1, capacity - length - 1, stream)) > 0) {
		length += got;
		if (capacity - length < 2) {
			char *bigger = realloc(text, capacity * 2);
			ck_assert_ptr_nonnull(bigger);
			text = bigger;
			capacity *= 2;
		}
	}
	text[length] = '\0';
	ck_assert_int_eq(pclose(stream), 0);
	return text;
}

/*
 * Both filter tables as iptables-save text, minus what changes by itself:
 * comment/date lines and the counters on chain lines.
 */
static char *check_iptc_save(void)
{
	char *raw = check_iptc_capture(CHECK_IPTC_SAVE);
	char *out = calloc(1, strlen(raw) + 1);
	char *line, *save = NULL;

	ck_assert_ptr_nonnull(out);
	for (line = strtok_r(raw, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' && strncmp(line, "# ----", 6) != 0)
			continue;
		if (line[0] == ':') {
			char *counters = strstr(line, " [");
			if (counters != NULL)
				*counters = '\0';
		}
		strcat(out, line);
		strcat(out, "\n");
	}
	free(raw);
	return out;
}

/* The lines of `text` that start with `prefix`, in order, each ending in \n. */
static char *check_iptc_lines(const char *text, const char *prefix)
{
	char *copy = strdup(text);
	char *out = calloc(1, strlen(text) + 1);
	char *line, *save = NULL;

	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_nonnull(out);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		strcat(out, line);
		strcat(out, "\n");
	}
	free(copy);
	return out;
}

/* The first line of `text` starting with `prefix`, or "" (malloc'd). */
static char *check_iptc_first_line(const char *text, const char *prefix)
{
	char *lines = check_iptc_lines(text, prefix);
	char *newline = strchr(lines, '\n');

	if (newline != NULL)
		*newline = '\0';
	return lines;
}

/* One family's half of check_iptc_save's or ruleset_format's output. */
static char *check_iptc_section(const char *text, int family)
{
	const char *marker = family == AF_INET ? NULL : strstr(text, "IPv6");
	const char *end = family == AF_INET ? strstr(text, "IPv6") : NULL;
	const char *start = family == AF_INET ? text : marker;
	size_t length;
	char *out;

	ck_assert_ptr_nonnull(start);
	length = end != NULL ? (size_t)(end - start) : strlen(start);
	out = strndup(start, length);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Removes double quotes: iptables-save quotes comments only when it must. */
static void check_iptc_unquote(char *text)
{
	char *to = text;

	for (const char *from = text; *from != '\0'; from++)
		if (*from != '"')
			*to++ = *from;
	*to = '\0';
}

/* Counts occurrences of `needle` in `text`. */
static int check_iptc_count(const char *text, const char *needle)
{
	int count = 0;

	for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
		count++;
	return count;
}

/* Appends a rule with the given family, hook and verdict to `set`. */
static struct rule *check_iptc_rule(struct ruleset *set, int family, enum rule_hook hook,
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
static void check_iptc_prefix(struct prefix *prefix, const char *text)
{
	ck_assert_msg(prefix_parse(text, prefix) == 0, "bad test prefix %s", text);
}

/* The policy's "no TCP picked up in mid-stream" rule. */
static void check_iptc_midstream(struct ruleset *set, int family)
{
	struct rule *rule = check_iptc_rule(set, family, RULE_HOOK_FORWARD, RULE_DROP);

	strcpy(rule->in_iface, "br-tjd");
	strcpy(rule->out_iface, "br-tjd");
	rule->ctstate = RULE_CT_NEW;
	rule->protocol = IPPROTO_TCP;
	rule->tcp_not_syn = true;
	strcpy(rule->comment, "tjd web mid-stream");
}

/*
 * A ruleset that uses every field and match, grouped by family and hook
 * (the order dump reads the chains back in).
 */
static void check_iptc_rich(struct ruleset *set)
{
	struct rule *rule;

	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	strcpy(rule->in_iface, "br-tjd");
	strcpy(rule->out_iface, "br-tjd");
	rule->ctstate = RULE_CT_RELATED | RULE_CT_ESTABLISHED;
	strcpy(rule->comment, "tjd replies");
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	check_iptc_prefix(&rule->src, "172.20.0.5");
	check_iptc_prefix(&rule->dst, "172.20.0.0/16");
	strcpy(rule->in_iface, "br-tjd");
	strcpy(rule->out_iface, "br-tjd");
	rule->ctstate = RULE_CT_NEW;
	strcpy(rule->comment, "tjd-allow-proxy");
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	check_iptc_prefix(&rule->src, "172.20.0.0/16");
	check_iptc_prefix(&rule->dst, "172.20.0.0/16");
	strcpy(rule->physdev_in, "veth1234567");
	strcpy(rule->comment, "tjd isolate");
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	check_iptc_prefix(&rule->src, "172.20.0.0/16");
	rule->protocol = IPPROTO_ICMP;
	rule->has_icmp_type = true;
	rule->icmp_type = 8;
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	check_iptc_prefix(&rule->dst, "10.0.0.0/8");
	rule->protocol = IPPROTO_TCP;
	check_iptc_midstream(set, AF_INET);
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "br-tjd");
	rule->ctstate = RULE_CT_NEW;
	strcpy(rule->comment, "tjd no host");
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_INPUT, RULE_RETURN);
	strcpy(rule->in_iface, "br-tjd");
	rule->protocol = IPPROTO_UDP;
	rule = check_iptc_rule(set, AF_INET6, RULE_HOOK_FORWARD, RULE_RETURN);
	rule->protocol = IPPROTO_ICMPV6;
	rule->has_icmp_type = true;
	rule->icmp_type = 135;
	rule = check_iptc_rule(set, AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	check_iptc_prefix(&rule->src, "fd00:db8::/64");
	check_iptc_prefix(&rule->dst, "fd00:db8::/64");
	strcpy(rule->physdev_in, "vethabc");
	rule->ctstate = RULE_CT_NEW | RULE_CT_ESTABLISHED | RULE_CT_RELATED;
	strcpy(rule->comment, "tjd isolate v6");
	rule = check_iptc_rule(set, AF_INET6, RULE_HOOK_FORWARD, RULE_RETURN);
	check_iptc_prefix(&rule->src, "fd00:db8::5");
	check_iptc_midstream(set, AF_INET6);
	rule = check_iptc_rule(set, AF_INET6, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "br-tjd");
	check_iptc_prefix(&rule->dst, "fd00:db8::1/128");
}

/* A small ruleset for the drift cases: two rules per family and hook. */
static void check_iptc_small(struct ruleset *set)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct rule *rule;

	for (size_t f = 0; f < 2; f++) {
		bool v4 = families[f] == AF_INET;
		rule = check_iptc_rule(set, families[f], RULE_HOOK_FORWARD, RULE_RETURN);
		rule->ctstate = RULE_CT_RELATED | RULE_CT_ESTABLISHED;
		rule = check_iptc_rule(set, families[f], RULE_HOOK_FORWARD, RULE_DROP);
		check_iptc_prefix(&rule->src, v4 ? "10.0.0.0/24" : "fd00::/64");
		check_iptc_prefix(&rule->dst, v4 ? "10.0.0.0/24" : "fd00::/64");
		strcpy(rule->comment, "isolate");
		rule = check_iptc_rule(set, families[f], RULE_HOOK_INPUT, RULE_RETURN);
		rule->ctstate = RULE_CT_RELATED | RULE_CT_ESTABLISHED;
		rule = check_iptc_rule(set, families[f], RULE_HOOK_INPUT, RULE_DROP);
		check_iptc_prefix(&rule->src, v4 ? "10.0.0.0/24" : "fd00::/64");
	}
}

/* Applies a ruleset that must succeed; returns *changed. */
static bool check_iptc_apply(const struct ruleset *set)
{
	bool changed = true;

	check_iptc_err[0] = '\0';
	ck_assert_msg(check_iptc_backend.ops->apply(&check_iptc_backend, set, &changed,
						    check_iptc_err, sizeof(check_iptc_err)) == 0,
		      "apply failed: %s", check_iptc_err);
	return changed;
}

/* Applies a ruleset that must fail; checks it says why and changed nothing. */
static void check_iptc_apply_fails(const struct ruleset *set, const char *reason)
{
	bool changed = true;
	char *before = check_iptc_save();
	char *after;

	check_iptc_err[0] = '\0';
	ck_assert_int_eq(check_iptc_backend.ops->apply(&check_iptc_backend, set, &changed,
						       check_iptc_err, sizeof(check_iptc_err)),
			 -1);
	ck_assert_msg(!changed, "a failed apply reported a change");
	ck_assert_msg(strstr(check_iptc_err, reason) != NULL,
		      "error \"%s\" does not mention \"%s\"", check_iptc_err, reason);
	after = check_iptc_save();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}

/* What dump says now (malloc'd). */
static char *check_iptc_dump(void)
{
	char *text = NULL;

	ck_assert_msg(check_iptc_backend.ops->dump(&check_iptc_backend, &text, check_iptc_err,
						   sizeof(check_iptc_err)) == 0,
		      "dump failed: %s", check_iptc_err);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* Asserts dump renders exactly ruleset_format(expected). */
static void check_iptc_dump_is(const struct ruleset *expected)
{
	char *text = check_iptc_dump();
	const char *chains[RULE_HOOK_COUNT];
	char *formatted;

	backend_chain_names(&check_iptc_backend, chains);
	formatted = ruleset_format(expected, chains);

	ck_assert_ptr_nonnull(formatted);
	ck_assert_str_eq(text, formatted);
	free(text);
	free(formatted);
}

/* Puts br_netfilter's per-namespace switches for both families to `value`. */
static void check_iptc_bridge(const char *value)
{
	check_iptc_write(CHECK_IPTC_BRIDGE_IPV4, value);
	check_iptc_write(CHECK_IPTC_BRIDGE_IPV6, value);
}

/* Each case: a fresh network namespace and an open backend. */
static void check_iptc_setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	check_iptc_bridge("1");
	ck_assert_int_eq(backend_init(&check_iptc_backend, &backend_iptc_ops, ""), 0);
	ck_assert_msg(check_iptc_backend.ops->open(&check_iptc_backend, check_iptc_err,
						   sizeof(check_iptc_err)) == 0,
		      "open failed: %s", check_iptc_err);
}

/* Frees the backend; the namespace goes away with the test process. */
static void check_iptc_teardown(void)
{
	if (check_iptc_backend.ops != NULL)
		check_iptc_backend.ops->close(&check_iptc_backend);
}

START_TEST(test_open_refuses_without_bridge_netfilter)
{
	struct backend other;

	ck_assert_int_eq(backend_init(&other, &backend_iptc_ops, "x1"), 0);
	check_iptc_write(CHECK_IPTC_BRIDGE_IPV4, "0");
	ck_assert_int_eq(other.ops->open(&other, check_iptc_err, sizeof(check_iptc_err)), -1);
	ck_assert_ptr_nonnull(strstr(check_iptc_err, "bridge-nf-call-iptables"));
	ck_assert_ptr_null(other.priv);
	check_iptc_write(CHECK_IPTC_BRIDGE_IPV4, "1");
	check_iptc_write(CHECK_IPTC_BRIDGE_IPV6, "0");
	ck_assert_int_eq(other.ops->open(&other, check_iptc_err, sizeof(check_iptc_err)), -1);
	ck_assert_ptr_nonnull(strstr(check_iptc_err, "bridge-nf-call-ip6tables"));
	check_iptc_write(CHECK_IPTC_BRIDGE_IPV6, "1");
	ck_assert_msg(other.ops->open(&other, check_iptc_err, sizeof(check_iptc_err)) == 0,
		      "open failed: %s", check_iptc_err);
	other.ops->close(&other);
	ck_assert_ptr_null(other.priv);
}
END_TEST

START_TEST(test_closed_backend_refuses)
{
	struct backend closed;
	struct ruleset empty;
	bool changed = true;

	ruleset_init(&empty);
	ck_assert_int_eq(backend_init(&closed, &backend_iptc_ops, ""), 0);
	ck_assert_int_eq(
	    closed.ops->apply(&closed, &empty, &changed, check_iptc_err, sizeof(check_iptc_err)),
	    -1);
	ck_assert(!changed);
	ck_assert_int_eq(closed.ops->clear(&closed, check_iptc_err, sizeof(check_iptc_err)), -1);
}
END_TEST

START_TEST(test_apply_installs_chains_and_jumps)
{
	struct ruleset empty;
	char *save;

	ruleset_init(&empty);
	/* foreign rules already there: our jumps must still come first */
	CHECK_IPTC_MUST("for t in iptables-legacy ip6tables-legacy; do $t -A FORWARD -j ACCEPT && "
			"$t -A INPUT -j ACCEPT && $t -A OUTPUT -j ACCEPT || exit 1; done");
	ck_assert(check_iptc_apply(&empty));
	save = check_iptc_save();
	for (int f = 0; f < 2; f++) {
		char *section = check_iptc_section(save, f == 0 ? AF_INET : AF_INET6);
		ck_assert_ptr_nonnull(strstr(section, ":TJD-FORWARD -\n"));
		ck_assert_ptr_nonnull(strstr(section, ":TJD-INPUT -\n"));
		ck_assert_ptr_nonnull(strstr(section, ":TJD-OUTPUT -\n"));
		char *first = check_iptc_first_line(section, "-A FORWARD ");
		ck_assert_str_eq(first, "-A FORWARD -j TJD-FORWARD");
		free(first);
		first = check_iptc_first_line(section, "-A INPUT ");
		ck_assert_str_eq(first, "-A INPUT -j TJD-INPUT");
		free(first);
		first = check_iptc_first_line(section, "-A OUTPUT ");
		ck_assert_str_eq(first, "-A OUTPUT -j TJD-OUTPUT");
		free(first);
		ck_assert_int_eq(check_iptc_count(section, "-j TJD-FORWARD"), 1);
		ck_assert_int_eq(check_iptc_count(section, "-j TJD-INPUT"), 1);
		ck_assert_int_eq(check_iptc_count(section, "-j TJD-OUTPUT"), 1);
		ck_assert_int_eq(check_iptc_count(section, "-j ACCEPT"), 3);
		free(section);
	}
	free(save);
	check_iptc_dump_is(&empty);
	ruleset_free(&empty);
}
END_TEST

START_TEST(test_second_apply_does_not_commit)
{
	struct ruleset set;
	struct sockaddr_in to4 = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct sockaddr_in6 to6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	struct rule *rule;
	char *before, *after, *counted;
	int sock;

	ruleset_init(&set);
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_RETURN);
	strcpy(rule->in_iface, "lo");
	rule->protocol = IPPROTO_UDP;
	rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_INPUT, RULE_RETURN);
	strcpy(rule->in_iface, "lo");
	rule->protocol = IPPROTO_UDP;
	ck_assert(check_iptc_apply(&set));

	/* one packet per family through our rules gives them non-zero counters */
	CHECK_IPTC_MUST("ip link set lo up");
	to4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to6.sin6_addr = in6addr_loopback;
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(sendto(sock, "x", 1, 0, (struct sockaddr *)&to4, sizeof(to4)), 1);
	close(sock);
	sock = socket(AF_INET6, SOCK_DGRAM, 0);
	ck_assert_int_eq(sendto(sock, "x", 1, 0, (struct sockaddr *)&to6, sizeof(to6)), 1);
	close(sock);
	before = check_iptc_capture("iptables-legacy-save -c -t filter | grep -v '^#';"
				    "ip6tables-legacy-save -c -t filter | grep -v '^#'");
	counted = check_iptc_lines(before, "[1:");
	ck_assert_int_eq(check_iptc_count(counted, "-A TJD-INPUT -i lo -p udp -j RETURN"), 2);
	free(counted);

	/* identical: no commit, so the counters survive */
	ck_assert(!check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	after = check_iptc_capture("iptables-legacy-save -c -t filter | grep -v '^#';"
				   "ip6tables-legacy-save -c -t filter | grep -v '^#'");
	ck_assert_str_eq(after, before);
	free(after);

	/* and a real difference does commit */
	check_iptc_rule(&set, AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	free(before);
	ruleset_free(&set);
}
END_TEST

/* Someone else's edits that the next apply must undo exactly. */
static const char *const check_iptc_drifts[] = {
    "iptables-legacy -F TJD-FORWARD",
    "iptables-legacy -D FORWARD -j TJD-FORWARD",
    "iptables-legacy -D INPUT -j TJD-INPUT",
    "iptables-legacy -D OUTPUT -j TJD-OUTPUT",
    "ip6tables-legacy -D OUTPUT -j TJD-OUTPUT && ip6tables-legacy -X TJD-OUTPUT",
    "iptables-legacy -A FORWARD -j TJD-FORWARD",
    "iptables-legacy -A OUTPUT -j TJD-INPUT",
    "iptables-legacy -I FORWARD 1 -g TJD-FORWARD",
    "iptables-legacy -D FORWARD -j TJD-FORWARD && iptables-legacy -F TJD-FORWARD"
    " && iptables-legacy -X TJD-FORWARD",
    "iptables-legacy -A TJD-INPUT -p tcp --dport 22 -j DROP",
    "iptables-legacy -R TJD-FORWARD 2 ! -s 10.0.0.0/24 -d 10.0.0.0/24"
    " -m comment --comment isolate -j DROP",
    "iptables-legacy -R TJD-FORWARD 2 -s 10.0.0.0/24 -d 10.0.0.0/24"
    " -m comment --comment edited -j DROP",
    "iptables-legacy -R TJD-FORWARD 2 -s 10.0.0.0/24 -d 10.0.0.0/24"
    " -m comment --comment isolate -j RETURN",
    "iptables-legacy -I TJD-FORWARD 1 -i br+ -j RETURN",
    "iptables-legacy -R TJD-FORWARD 1 -m conntrack --ctstate RELATED,ESTABLISHED,INVALID"
    " -j RETURN",
    "iptables-legacy -R TJD-FORWARD 1 -m conntrack --ctstate RELATED,ESTABLISHED"
    " --ctproto tcp -j RETURN",
    "iptables-legacy -D TJD-INPUT 1",
    "ip6tables-legacy -F TJD-INPUT",
    "ip6tables-legacy -D INPUT -j TJD-INPUT",
    "ip6tables-legacy -I TJD-FORWARD 2 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j RETURN",
    "ip6tables-legacy -R TJD-INPUT 2 -s fd00::/48 -j DROP",
};

START_TEST(test_drift_is_repaired)
{
	struct ruleset set;
	char *before, *after;

	ruleset_init(&set);
	check_iptc_small(&set);
	ck_assert(check_iptc_apply(&set));
	before = check_iptc_save();
	CHECK_IPTC_MUST("%s", check_iptc_drifts[_i]);
	after = check_iptc_save();
	ck_assert_msg(strcmp(after, before) != 0, "drift command changed nothing: %s",
		      check_iptc_drifts[_i]);
	free(after);
	ck_assert_msg(check_iptc_apply(&set), "drift not noticed: %s", check_iptc_drifts[_i]);
	after = check_iptc_save();
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);
	free(before);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_rule_before_jump_is_moved_behind)
{
	struct ruleset set;
	char *save, *lines;

	ruleset_init(&set);
	check_iptc_small(&set);
	ck_assert(check_iptc_apply(&set));
	CHECK_IPTC_MUST("iptables-legacy -I FORWARD 1 -s 10.9.9.9 -j ACCEPT");
	CHECK_IPTC_MUST("ip6tables-legacy -I INPUT 1 -p tcp -j ACCEPT");
	ck_assert(check_iptc_apply(&set));
	save = check_iptc_save();
	lines = check_iptc_lines(save, "-A FORWARD ");
	ck_assert_str_eq(lines, "-A FORWARD -j TJD-FORWARD\n"
				"-A FORWARD -s 10.9.9.9/32 -j ACCEPT\n"
				"-A FORWARD -j TJD-FORWARD\n");
	free(lines);
	lines = check_iptc_lines(save, "-A INPUT ");
	ck_assert_str_eq(lines, "-A INPUT -j TJD-INPUT\n"
				"-A INPUT -j TJD-INPUT\n"
				"-A INPUT -p tcp -j ACCEPT\n");
	free(lines);
	free(save);
	ck_assert(!check_iptc_apply(&set));
	ruleset_free(&set);
}
END_TEST

/* The default instance's chain names, as ruleset_format takes them. */
static const char *const check_iptc_chains[RULE_HOOK_COUNT] = {"TJD-FORWARD", "TJD-INPUT",
							       "TJD-OUTPUT"};

/* Rules of one family in the order ruleset_format prints them. */
static void check_iptc_compare_save(const struct ruleset *set, int family)
{
	char *formatted = ruleset_format(set, check_iptc_chains);
	char *save = check_iptc_save();
	char *formatted_section, *save_section, *expected, *actual;

	ck_assert_ptr_nonnull(formatted);
	formatted_section = check_iptc_section(formatted, family);
	save_section = check_iptc_section(save, family);
	expected = check_iptc_lines(formatted_section, "-A TJD-");
	actual = check_iptc_lines(save_section, "-A TJD-");
	check_iptc_unquote(expected);
	check_iptc_unquote(actual);
	ck_assert_str_eq(actual, expected);
	free(formatted);
	free(save);
	free(formatted_section);
	free(save_section);
	free(expected);
	free(actual);
}

START_TEST(test_all_matches_round_trip)
{
	struct ruleset set;
	char *save;

	ruleset_init(&set);
	check_iptc_rich(&set);
	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	/* read back through libiptc by us ... */
	check_iptc_dump_is(&set);
	/* ... and through iptables-save, which knows nothing of tjd */
	check_iptc_compare_save(&set, AF_INET);
	check_iptc_compare_save(&set, AF_INET6);
	save = check_iptc_save();
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-FORWARD -s 172.20.0.0/16 -d 172.20.0.0/16 "
					   "-m physdev --physdev-in veth1234567 -m comment "
					   "--comment \"tjd isolate\" -j DROP\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-FORWARD -s 172.20.0.5/32 -d 172.20.0.0/16 "
					   "-i br-tjd -o br-tjd -m conntrack --ctstate NEW "
					   "-m comment --comment tjd-allow-proxy -j RETURN\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-FORWARD -s 172.20.0.0/16 -p icmp -m icmp "
					   "--icmp-type 8 -j RETURN\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-FORWARD -s fd00:db8::/64 -d fd00:db8::/64 "
					   "-m physdev --physdev-in vethabc -m conntrack "
					   "--ctstate NEW,RELATED,ESTABLISHED -m comment "
					   "--comment \"tjd isolate v6\" -j DROP\n"));
	ck_assert_ptr_nonnull(strstr(save,
				     "-A TJD-FORWARD -i br-tjd -o br-tjd -p tcp -m tcp "
				     "! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack "
				     "--ctstate NEW -m comment --comment \"tjd web mid-stream\" "
				     "-j DROP\n"));
	free(save);
	ruleset_free(&set);
}
END_TEST

/* Port ranges and REJECT, as a container's policy uses them, grouped by family and hook. */
static void check_iptc_ports(struct ruleset *set)
{
	struct rule *rule;

	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_INPUT, RULE_RETURN);
	check_iptc_prefix(&rule->src, "10.1.0.0/16");
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 80;
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_INPUT, RULE_REJECT);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = 8000;
	rule->dport_last = 8080;
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->protocol = IPPROTO_TCP;
	rule->sport_first = rule->sport_last = 25;
	rule->tcp_not_syn = true;
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_INPUT, RULE_REJECT);
	rule->protocol = IPPROTO_UDP;
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_OUTPUT, RULE_RETURN);
	rule->protocol = IPPROTO_UDP;
	rule->sport_first = 1024;
	rule->sport_last = 65535;
	rule->dport_first = rule->dport_last = 53;
	rule = check_iptc_rule(set, AF_INET, RULE_HOOK_OUTPUT, RULE_REJECT);
	rule = check_iptc_rule(set, AF_INET6, RULE_HOOK_INPUT, RULE_REJECT);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 443;
	rule = check_iptc_rule(set, AF_INET6, RULE_HOOK_OUTPUT, RULE_DROP);
	rule->protocol = IPPROTO_UDP;
	rule->dport_first = rule->dport_last = 5353;
	strcpy(rule->comment, "no mdns");
	rule = check_iptc_rule(set, AF_INET6, RULE_HOOK_OUTPUT, RULE_REJECT);
	rule->protocol = IPPROTO_UDP;
}

/* Ports and REJECT read back exactly, and say what iptables-save says. */
START_TEST(test_ports_and_reject_round_trip)
{
	struct ruleset set;
	char *save;

	ruleset_init(&set);
	check_iptc_ports(&set);
	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);
	check_iptc_compare_save(&set, AF_INET);
	check_iptc_compare_save(&set, AF_INET6);
	save = check_iptc_save();
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -s 10.1.0.0/16 -p tcp -m tcp --dport 80 "
					   "-j RETURN\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -p tcp -m tcp --dport 8000:8080 "
					   "-j REJECT --reject-with tcp-reset\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -p udp -j REJECT --reject-with "
					   "icmp-port-unreachable\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-OUTPUT -p udp -m udp --sport 1024:65535 "
					   "--dport 53 -j RETURN\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-OUTPUT -p udp -j REJECT --reject-with "
					   "icmp6-port-unreachable\n"));
	free(save);
	ruleset_free(&set);
}
END_TEST

/* What the legacy tables cannot hold as tjd writes them is refused before the kernel. */
START_TEST(test_ports_refused_without_their_protocol)
{
	struct ruleset set;
	struct rule *rule;

	ruleset_init(&set);
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->protocol = IPPROTO_SCTP;
	rule->dport_first = rule->dport_last = 9;
	check_iptc_apply_fails(&set, "ports need protocol TCP or UDP");
	rule->protocol = IPPROTO_ICMP;
	check_iptc_apply_fails(&set, "ports need protocol TCP or UDP");
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = 90;
	rule->dport_last = 80;
	check_iptc_apply_fails(&set, "port range");
	rule->dport_first = 0;
	check_iptc_apply_fails(&set, "port range");
	rule->dport_first = 80;
	ck_assert(check_iptc_apply(&set));
	ruleset_free(&set);
}
END_TEST

START_TEST(test_interleaved_order_is_kept_per_chain)
{
	struct ruleset rich, interleaved, grouped;
	size_t order[] = {8, 0, 6, 12, 1, 9, 2, 7, 3, 10, 11, 4, 5};

	ruleset_init(&rich);
	ruleset_init(&interleaved);
	ruleset_init(&grouped);
	check_iptc_rich(&rich);
	ck_assert_uint_eq(rich.count, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < rich.count; i++)
		*ruleset_add(&interleaved) = rich.rules[order[i]];
	ck_assert(check_iptc_apply(&interleaved));
	ck_assert(!check_iptc_apply(&interleaved));
	/* same rules in the same order per chain: dump groups them by chain */
	check_iptc_dump_is(&rich);
	/* the grouped order is the same kernel state, so nothing to commit */
	ck_assert(!check_iptc_apply(&rich));
	/* swapping two rules in one chain is a change */
	for (size_t i = 0; i < rich.count; i++)
		*ruleset_add(&grouped) = rich.rules[i];
	grouped.rules[0] = rich.rules[1];
	grouped.rules[1] = rich.rules[0];
	ck_assert(check_iptc_apply(&grouped));
	check_iptc_dump_is(&grouped);
	ruleset_free(&rich);
	ruleset_free(&interleaved);
	ruleset_free(&grouped);
}
END_TEST

START_TEST(test_ipv6_neighbour_discovery)
{
	struct ruleset set;
	struct rule *rule;
	char *save, *lines;

	ruleset_init(&set);
	for (uint8_t type = 133; type <= 137; type++) {
		rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_FORWARD, RULE_RETURN);
		rule->protocol = IPPROTO_ICMPV6;
		rule->has_icmp_type = true;
		rule->icmp_type = type;
	}
	rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	check_iptc_prefix(&rule->src, "fd00:1::/64");
	check_iptc_prefix(&rule->dst, "fd00:1::/64");
	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	save = check_iptc_save();
	lines = check_iptc_lines(save, "-A TJD-FORWARD ");
	ck_assert_str_eq(lines, "-A TJD-FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 133 -j RETURN\n"
				"-A TJD-FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j RETURN\n"
				"-A TJD-FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j RETURN\n"
				"-A TJD-FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j RETURN\n"
				"-A TJD-FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 137 -j RETURN\n"
				"-A TJD-FORWARD -s fd00:1::/64 -d fd00:1::/64 -j DROP\n");
	free(lines);
	free(save);
	check_iptc_dump_is(&set);
	check_iptc_compare_save(&set, AF_INET6);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_docker_user_gets_the_forward_jump)
{
	struct ruleset set;
	char *save, *section, *lines;

	ruleset_init(&set);
	check_iptc_small(&set);
	/* before Docker: the jump lives in FORWARD */
	ck_assert(check_iptc_apply(&set));
	/* Docker (legacy iptables) starts and makes DOCKER-USER, IPv4 only */
	CHECK_IPTC_MUST("iptables-legacy -N DOCKER-USER && iptables-legacy -A DOCKER-USER -j RETURN"
			" && iptables-legacy -I FORWARD 1 -j DOCKER-USER");
	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	save = check_iptc_save();
	section = check_iptc_section(save, AF_INET);
	lines = check_iptc_lines(section, "-A DOCKER-USER ");
	ck_assert_str_eq(lines, "-A DOCKER-USER -j TJD-FORWARD\n-A DOCKER-USER -j RETURN\n");
	free(lines);
	lines = check_iptc_lines(section, "-A FORWARD ");
	ck_assert_str_eq(lines, "-A FORWARD -j DOCKER-USER\n");
	free(lines);
	free(section);
	section = check_iptc_section(save, AF_INET6);
	lines = check_iptc_lines(section, "-A FORWARD ");
	ck_assert_str_eq(lines, "-A FORWARD -j TJD-FORWARD\n");
	free(lines);
	free(section);
	free(save);
	/* our jump pushed down in DOCKER-USER is drift too */
	CHECK_IPTC_MUST("iptables-legacy -I DOCKER-USER 1 -j RETURN");
	ck_assert(check_iptc_apply(&set));
	save = check_iptc_save();
	section = check_iptc_section(save, AF_INET);
	lines = check_iptc_first_line(section, "-A DOCKER-USER ");
	ck_assert_str_eq(lines, "-A DOCKER-USER -j TJD-FORWARD");
	free(lines);
	free(section);
	free(save);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_clear_restores_the_tables)
{
	struct ruleset set;
	char *before, *after;

	ruleset_init(&set);
	check_iptc_rich(&set);
	/* nothing installed yet: clear is a successful no-op */
	ck_assert_int_eq(check_iptc_backend.ops->clear(&check_iptc_backend, check_iptc_err,
						       sizeof(check_iptc_err)),
			 0);
	CHECK_IPTC_MUST("iptables-legacy -N DOCKER-USER && iptables-legacy -A DOCKER-USER -j RETURN"
			" && iptables-legacy -A FORWARD -j DOCKER-USER"
			" && iptables-legacy -A INPUT -i lo -j ACCEPT"
			" && ip6tables-legacy -A INPUT -p ipv6-icmp -j ACCEPT"
			" && ip6tables-legacy -N OTHER && ip6tables-legacy -A OTHER -j DROP");
	before = check_iptc_save();
	ck_assert(check_iptc_apply(&set));
	/* leftovers from drift are ours to remove as well */
	CHECK_IPTC_MUST("iptables-legacy -A OUTPUT -j TJD-INPUT");
	CHECK_IPTC_MUST("ip6tables-legacy -A FORWARD -j TJD-FORWARD");
	after = check_iptc_save();
	ck_assert_str_ne(after, before);
	free(after);
	ck_assert_msg(check_iptc_backend.ops->clear(&check_iptc_backend, check_iptc_err,
						    sizeof(check_iptc_err)) == 0,
		      "clear failed: %s", check_iptc_err);
	after = check_iptc_save();
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert_int_eq(check_iptc_backend.ops->clear(&check_iptc_backend, check_iptc_err,
						       sizeof(check_iptc_err)),
			 0);
	after = check_iptc_save();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_invalid_rule_changes_nothing)
{
	struct ruleset good, bad;

	ruleset_init(&good);
	ruleset_init(&bad);
	/* nothing installed yet, then over an installed ruleset */
	for (int round = 0; round < 2; round++) {
		struct rule *rule;

		ruleset_reset(&bad);
		check_iptc_small(&bad);
		rule = check_iptc_rule(&bad, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
		rule->protocol = IPPROTO_TCP;
		rule->has_icmp_type = true;
		check_iptc_apply_fails(&bad, "rule 9");

		bad.rules[8].has_icmp_type = false;
		check_iptc_prefix(&bad.rules[8].src, "fd00::/8");
		check_iptc_apply_fails(&bad, "rule 9");

		memset(&bad.rules[8], 0, sizeof(bad.rules[8]));
		bad.rules[8].family = AF_INET6;
		memset(bad.rules[8].physdev_in, 'v', TJD_IFNAMSIZ);
		check_iptc_apply_fails(&bad, "rule 9");

		memset(&bad.rules[8], 0, sizeof(bad.rules[8]));
		bad.rules[8].family = AF_INET;
		strcpy(bad.rules[8].comment, "tab\there");
		check_iptc_apply_fails(&bad, "printable");

		bad.rules[8].comment[0] = '\0';
		bad.rules[8].family = 12345;
		check_iptc_apply_fails(&bad, "family");

		if (round == 0) {
			check_iptc_small(&good);
			ck_assert(check_iptc_apply(&good));
		}
	}
	/* the failed applies left the good ruleset exactly in place */
	ck_assert(!check_iptc_apply(&good));
	check_iptc_dump_is(&good);
	ruleset_free(&good);
	ruleset_free(&bad);
}
END_TEST

/*
 * Finds a cgroup2 mount (or mounts one) so a cgroup match can name a cgroup
 * we then remove: the kernel re-checks every entry on each commit, so such
 * a stale foreign rule makes every later commit of that table fail.
 */
static void check_iptc_cgroup_root(char *root, size_t size, bool *mounted)
{
	FILE *mounts = fopen("/proc/self/mountinfo", "r");
	char line[1024];

	*mounted = false;
	root[0] = '\0';
	ck_assert_ptr_nonnull(mounts);
	while (root[0] == '\0' && fgets(line, sizeof(line), mounts) != NULL) {
		char mount_root[512], mount_point[512];
		const char *type = strstr(line, " - cgroup2 ");
		if (type == NULL ||
		    sscanf(line, "%*s %*s %*s %511s %511s", mount_root, mount_point) != 2)
			continue;
		if (strcmp(mount_root, "/") == 0)
			snprintf(root, size, "%s", mount_point);
	}
	fclose(mounts);
	if (root[0] != '\0')
		return;
	snprintf(root, size, "/tmp/check-iptc-cgroup.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_msg(mount("cgroup2", root, "cgroup2", 0, NULL) == 0, "mount cgroup2: %s",
		      strerror(errno));
	*mounted = true;
}

/* Makes one family's filter table refuse every commit (see above). */
static void check_iptc_poison(const char *iptables, const char *root)
{
	char name[64];

	snprintf(name, sizeof(name), "check-iptc-%d", (int)getpid());
	CHECK_IPTC_MUST("mkdir %s/%s && %s -A OUTPUT -m cgroup --path /%s -j ACCEPT && rmdir %s/%s",
			root, name, iptables, name, root, name);
	ck_assert_msg(check_util_run("%s -N CHECK-POISONED 2>/dev/null", iptables) != 0,
		      "%s still accepts commits: cannot provoke a kernel failure", iptables);
}

/* Two rulesets differing in both families. */
static void check_iptc_two_rulesets(struct ruleset *first, struct ruleset *second)
{
	struct rule *rule;

	check_iptc_small(first);
	check_iptc_small(second);
	rule = check_iptc_rule(second, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	check_iptc_prefix(&rule->dst, "192.0.2.0/24");
	rule = check_iptc_rule(second, AF_INET6, RULE_HOOK_INPUT, RULE_DROP);
	check_iptc_prefix(&rule->dst, "2001:db8::/32");
}

START_TEST(test_ipv6_commit_failure_rolls_ipv4_back)
{
	struct ruleset first, second;
	char root[512];
	bool mounted;

	ruleset_init(&first);
	ruleset_init(&second);
	check_iptc_two_rulesets(&first, &second);
	ck_assert(check_iptc_apply(&first));
	check_iptc_cgroup_root(root, sizeof(root), &mounted);
	check_iptc_poison("ip6tables-legacy", root);
	/* IPv4 commits first and succeeds; IPv6 fails; IPv4 must be put back */
	check_iptc_apply_fails(&second, "IPv6");
	ck_assert_ptr_nonnull(strstr(check_iptc_err, "nothing was changed"));
	check_iptc_dump_is(&first);
	/* and the same from an empty start */
	ck_assert_int_eq(check_util_run("iptables-legacy -D FORWARD -j TJD-FORWARD && "
					"iptables-legacy -D INPUT -j TJD-INPUT && "
					"iptables-legacy -F && iptables-legacy -X"),
			 0);
	check_iptc_apply_fails(&second, "IPv6");
	if (mounted) {
		umount(root);
		rmdir(root);
	}
	ruleset_free(&first);
	ruleset_free(&second);
}
END_TEST

START_TEST(test_ipv4_commit_failure_changes_nothing)
{
	struct ruleset first, second;
	char root[512];
	bool mounted;

	ruleset_init(&first);
	ruleset_init(&second);
	check_iptc_two_rulesets(&first, &second);
	ck_assert(check_iptc_apply(&first));
	check_iptc_cgroup_root(root, sizeof(root), &mounted);
	check_iptc_poison("iptables-legacy", root);
	check_iptc_apply_fails(&second, "IPv4");
	check_iptc_dump_is(&first);
	ck_assert_int_eq(check_iptc_backend.ops->clear(&check_iptc_backend, check_iptc_err,
						       sizeof(check_iptc_err)),
			 -1);
	check_iptc_dump_is(&first);
	if (mounted) {
		umount(root);
		rmdir(root);
	}
	ruleset_free(&first);
	ruleset_free(&second);
}
END_TEST

START_TEST(test_held_lock_times_out)
{
	char path[] = "/tmp/check-iptc-lock.XXXXXX";
	char lock_name[64];
	struct ruleset set;
	struct timespec start, end;
	double seconds;
	char *save;
	int holder = mkstemp(path);

	ruleset_init(&set);
	check_iptc_small(&set);
	ck_assert_int_ge(holder, 0);
	/*
	 * iptables and tjd both take the lock named by XTABLES_LOCKFILE.  Name
	 * the file through our (inherited) descriptor so it can be unlinked at
	 * once and never outlives a failed run.
	 */
	unlink(path);
	snprintf(lock_name, sizeof(lock_name), "/proc/self/fd/%d", holder);
	ck_assert_int_eq(setenv("XTABLES_LOCKFILE", lock_name, 1), 0);
	check_iptc_backend.ops->close(&check_iptc_backend);
	ck_assert_int_eq(check_iptc_backend.ops->open(&check_iptc_backend, check_iptc_err,
						      sizeof(check_iptc_err)),
			 0);
	ck_assert_int_eq(flock(holder, LOCK_EX), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	check_iptc_apply_fails(&set, "xtables lock");
	clock_gettime(CLOCK_MONOTONIC, &end);
	seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	/* It waited for the lock, then gave up rather than hanging (bound is loose: CI is noisy).
	 */
	ck_assert_msg(seconds >= 1.5 && seconds < 20.0, "gave up after %.2f s", seconds);
	save = check_iptc_save();
	ck_assert_ptr_null(strstr(save, "TJD-"));
	free(save);
	/* the iptables CLI is held off by the same lock (it waits forever unless -w) */
	ck_assert_int_ne(check_util_run("iptables-legacy -w 1 -N CHECK-LOCKED 2>/dev/null"), 0);
	ck_assert_int_eq(flock(holder, LOCK_UN), 0);
	ck_assert(check_iptc_apply(&set));
	close(holder);
	unsetenv("XTABLES_LOCKFILE");
	ruleset_free(&set);
}
END_TEST

/* Starts a child that sits in a new network namespace until we die. */
static pid_t check_iptc_namespace_child(void)
{
	int ready[2];
	char byte = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
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
	return pid;
}

/* Moves this process into the network namespace behind `namespace_fd`. */
static void check_iptc_enter(int namespace_fd)
{
	ck_assert_msg(setns(namespace_fd, CLONE_NEWNET) == 0, "setns: %s", strerror(errno));
}

/* Opens a handle on a child's network namespace. */
static int check_iptc_namespace_fd(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Listens on ADDRESS:CHECK_IPTC_PORT inside the namespace `inside`. */
static int check_iptc_listen(int home, int inside, int family, const char *address)
{
	struct sockaddr_storage where = {0};
	socklen_t length;
	int one = 1;
	int sock;

	check_iptc_enter(inside);
	sock = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sock, 0);
	setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&where;
		v4->sin_family = AF_INET;
		v4->sin_port = htons(CHECK_IPTC_PORT);
		ck_assert_int_eq(inet_pton(AF_INET, address, &v4->sin_addr), 1);
		length = sizeof(*v4);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&where;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(CHECK_IPTC_PORT);
		ck_assert_int_eq(inet_pton(AF_INET6, address, &v6->sin6_addr), 1);
		length = sizeof(*v6);
	}
	ck_assert_msg(bind(sock, (struct sockaddr *)&where, length) == 0, "bind %s: %s", address,
		      strerror(errno));
	ck_assert_int_eq(listen(sock, 16), 0);
	check_iptc_enter(home);
	return sock;
}

/* Tries a TCP connect from inside `inside`; true if it completed within 1.5 s. */
static bool check_iptc_connects(int home, int inside, int family, const char *address)
{
	struct sockaddr_storage where = {0};
	struct pollfd waiter = {0};
	socklen_t length;
	int error = -1;
	socklen_t error_length = sizeof(error);
	int sock;

	check_iptc_enter(inside);
	sock = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	check_iptc_enter(home);
	ck_assert_int_ge(sock, 0);
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&where;
		v4->sin_family = AF_INET;
		v4->sin_port = htons(CHECK_IPTC_PORT);
		ck_assert_int_eq(inet_pton(AF_INET, address, &v4->sin_addr), 1);
		length = sizeof(*v4);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&where;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(CHECK_IPTC_PORT);
		ck_assert_int_eq(inet_pton(AF_INET6, address, &v6->sin6_addr), 1);
		length = sizeof(*v6);
	}
	if (connect(sock, (struct sockaddr *)&where, length) == 0) {
		close(sock);
		return true;
	}
	ck_assert_int_eq(errno, EINPROGRESS);
	waiter.fd = sock;
	waiter.events = POLLOUT;
	if (poll(&waiter, 1, 1500) == 1)
		getsockopt(sock, SOL_SOCKET, SO_ERROR, &error, &error_length);
	close(sock);
	return error == 0;
}

START_TEST(test_drop_stops_real_packets)
{
	pid_t client, server;
	int home, client_ns, server_ns, listen4, listen6;
	struct ruleset set;
	struct rule *rule;

	ruleset_init(&set);
	/* client 10.1.0.2 / fd00:1::2 -- this namespace routes -- server 10.2.0.2 / fd00:2::2 */
	check_iptc_write("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
	client = check_iptc_namespace_child();
	server = check_iptc_namespace_child();
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(home, 0);
	client_ns = check_iptc_namespace_fd(client);
	server_ns = check_iptc_namespace_fd(server);
	CHECK_IPTC_MUST("ip link set lo up");
	check_iptc_write("/proc/sys/net/ipv4/ip_forward", "1");
	check_iptc_write("/proc/sys/net/ipv6/conf/all/forwarding", "1");
	for (int side = 1; side <= 2; side++) {
		pid_t pid = side == 1 ? client : server;
		CHECK_IPTC_MUST("ip link add side%d type veth peer name eth0 netns %d", side,
				(int)pid);
		CHECK_IPTC_MUST("ip addr add 10.%d.0.1/24 dev side%d && "
				"ip -6 addr add fd00:%d::1/64 dev side%d nodad && "
				"ip link set side%d up",
				side, side, side, side, side);
		CHECK_IPTC_MUST("nsenter --net=/proc/%d/ns/net sh -c '"
				"echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad && "
				"ip link set lo up && ip link set eth0 up && "
				"ip addr add 10.%d.0.2/24 dev eth0 && "
				"ip -6 addr add fd00:%d::2/64 dev eth0 nodad && "
				"ip route add default via 10.%d.0.1 && "
				"ip -6 route add default via fd00:%d::1'",
				(int)pid, side, side, side, side);
	}
	listen4 = check_iptc_listen(home, server_ns, AF_INET, "10.2.0.2");
	listen6 = check_iptc_listen(home, server_ns, AF_INET6, "fd00:2::2");

	ck_assert_msg(check_iptc_connects(home, client_ns, AF_INET, "10.2.0.2"),
		      "no IPv4 connection even without rules");
	ck_assert_msg(check_iptc_connects(home, client_ns, AF_INET6, "fd00:2::2"),
		      "no IPv6 connection even without rules");

	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	check_iptc_prefix(&rule->src, "10.1.0.0/24");
	check_iptc_prefix(&rule->dst, "10.2.0.0/24");
	rule->protocol = IPPROTO_TCP;
	rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_FORWARD, RULE_DROP);
	check_iptc_prefix(&rule->src, "fd00:1::/64");
	check_iptc_prefix(&rule->dst, "fd00:2::/64");
	ck_assert(check_iptc_apply(&set));
	ck_assert_msg(!check_iptc_connects(home, client_ns, AF_INET, "10.2.0.2"),
		      "IPv4 connection got through a DROP rule");
	ck_assert_msg(!check_iptc_connects(home, client_ns, AF_INET6, "fd00:2::2"),
		      "IPv6 connection got through a DROP rule");

	ck_assert_int_eq(check_iptc_backend.ops->clear(&check_iptc_backend, check_iptc_err,
						       sizeof(check_iptc_err)),
			 0);
	ck_assert_msg(check_iptc_connects(home, client_ns, AF_INET, "10.2.0.2"),
		      "IPv4 still blocked after clear");
	ck_assert_msg(check_iptc_connects(home, client_ns, AF_INET6, "fd00:2::2"),
		      "IPv6 still blocked after clear");

	close(listen4);
	close(listen6);
	close(client_ns);
	close(server_ns);
	close(home);
	kill(client, SIGKILL);
	kill(server, SIGKILL);
	waitpid(client, NULL, 0);
	waitpid(server, NULL, 0);
	ruleset_free(&set);
}
END_TEST

/* All cases share one fixture: a fresh namespace and an open backend. */
/* True when this namespace lists the family's legacy filter table. */
static bool check_iptc_table_listed(const char *file)
{
	char line[64];
	bool found = false;
	FILE *names = fopen(file, "re");

	while (names != NULL && fgets(line, sizeof(line), names) != NULL)
		found = found || strcmp(line, "filter\n") == 0;
	if (names != NULL)
		fclose(names);
	return found;
}

START_TEST(test_clearing_creates_no_legacy_tables)
{
	struct backend backend;

	/* a namespace that never had legacy tables, as on an nftables-only host */
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	ck_assert(!check_iptc_table_listed("/proc/thread-self/net/ip_tables_names"));
	ck_assert_int_eq(backend_init(&backend, &backend_iptc_ops, ""), 0);
	backend.clear_only = true;
	ck_assert_msg(backend.ops->open(&backend, check_iptc_err, sizeof(check_iptc_err)) == 0,
		      "%s", check_iptc_err);
	ck_assert_msg(backend.ops->clear(&backend, check_iptc_err, sizeof(check_iptc_err)) == 0,
		      "%s", check_iptc_err);
	backend.ops->close(&backend);
	ck_assert(!check_iptc_table_listed("/proc/thread-self/net/ip_tables_names"));
	ck_assert(!check_iptc_table_listed("/proc/thread-self/net/ip6_tables_names"));
	/* where the tables exist, clearing still removes tjd's chains (the positive control) */
	CHECK_IPTC_MUST("iptables-legacy -N TJD-FORWARD && ip6tables-legacy -N TJD-FORWARD");
	ck_assert(check_iptc_table_listed("/proc/thread-self/net/ip_tables_names"));
	ck_assert_int_eq(backend.ops->open(&backend, check_iptc_err, sizeof(check_iptc_err)), 0);
	ck_assert_msg(backend.ops->clear(&backend, check_iptc_err, sizeof(check_iptc_err)) == 0,
		      "%s", check_iptc_err);
	backend.ops->close(&backend);
	ck_assert_int_ne(check_util_run("iptables-legacy -L TJD-FORWARD -n >/dev/null 2>&1"), 0);
	ck_assert_int_ne(check_util_run("ip6tables-legacy -L TJD-FORWARD -n >/dev/null 2>&1"), 0);
}
END_TEST

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
	ck_assert(check_iptc_apply(&set));
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
	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);
	check_iptc_compare_save(&set, AF_INET);
	check_iptc_compare_save(&set, AF_INET6);
	check_util_expect_logged(true);
	ruleset_free(&set);
}
END_TEST

/* Dropped packets are counted per kind, and a rewrite keeps what was counted. */
START_TEST(test_drop_counters)
{
	struct backend_counter counter = {.bridge = NULL}, after = {.bridge = NULL};
	struct ruleset set;
	struct rule *rule;

	ck_assert_int_eq(check_util_loopback_up(), 0);
	ruleset_init(&set);
	check_util_ports_ruleset(&set);
	ck_assert(check_iptc_apply(&set));
	ck_assert_int_eq(check_iptc_backend.ops->counters(&check_iptc_backend, &counter, 1,
							  check_iptc_err, sizeof(check_iptc_err)),
			 0);
	ck_assert_uint_eq(counter.packets, 0);
	check_util_expect_ports(true);
	ck_assert_int_eq(check_iptc_backend.ops->counters(&check_iptc_backend, &counter, 1,
							  check_iptc_err, sizeof(check_iptc_err)),
			 0);
	/* INPUT: all of it no-host, both families (REJECTs and DROPs) */
	ck_assert_uint_gt(counter.packets, 5);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_NO_HOST], counter.packets);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_ISOLATION], 0);
	ck_assert_uint_gt(counter.bytes, counter.packets * 20);
	/* a changed ruleset is rewritten: the counts stay */
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 9999;
	ck_assert(check_iptc_apply(&set));
	ck_assert_int_eq(check_iptc_backend.ops->counters(&check_iptc_backend, &after, 1,
							  check_iptc_err, sizeof(check_iptc_err)),
			 0);
	ck_assert_uint_eq(after.packets, counter.packets);
	ck_assert_uint_eq(after.bytes, counter.bytes);
	ruleset_free(&set);
}
END_TEST

/* Fills a socket address for a test address and port; returns its length. */
static socklen_t check_iptc_address(int family, const char *text, unsigned port,
				    struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)out;

		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET, text, &v4->sin_addr), 1);
		return sizeof(*v4);
	}
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;

	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET6, text, &v6->sin6_addr), 1);
	return sizeof(*v6);
}

/*
 * Opens a TCP connection in this namespace from local address `source` to
 * `destination`:`port`, with a listener on `destination`:`listen_port`
 * (another port when a DNAT rule rewrites it) so that a refusal proves a
 * rule answered; says what came back within 1.5 s.
 */
static enum check_util_probe check_iptc_probe(int family, const char *source,
					      const char *destination, unsigned port,
					      unsigned listen_port)
{
	struct sockaddr_storage from, to, at;
	socklen_t from_length = check_iptc_address(family, source, 0, &from);
	socklen_t to_length = check_iptc_address(family, destination, port, &to);
	socklen_t at_length = check_iptc_address(family, destination, listen_port, &at);
	struct pollfd waiter = {0};
	socklen_t error_length;
	int listener, client, error = 0, one = 1;
	enum check_util_probe result = CHECK_PROBE_SILENT;

	listener = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(listener, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_msg(bind(listener, (struct sockaddr *)&at, at_length) == 0, "bind %s: %s",
		      destination, strerror(errno));
	ck_assert_int_eq(listen(listener, 8), 0);
	client = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(client, 0);
	ck_assert_msg(bind(client, (struct sockaddr *)&from, from_length) == 0, "bind %s: %s",
		      source, strerror(errno));
	if (connect(client, (struct sockaddr *)&to, to_length) == 0) {
		result = CHECK_PROBE_ANSWERED;
	} else {
		ck_assert_int_eq(errno, EINPROGRESS);
		waiter.fd = client;
		waiter.events = POLLOUT;
		if (poll(&waiter, 1, 1500) == 1) {
			error_length = sizeof(error);
			getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &error_length);
			ck_assert_msg(error == 0 || error == ECONNREFUSED, "connect: %s",
				      strerror(error));
			result = error == 0 ? CHECK_PROBE_ANSWERED : CHECK_PROBE_REFUSED;
		}
	}
	close(client);
	close(listener);
	return result;
}

/*
 * A drop of the published-port policy (comment "tjd published ...") counts
 * as BACKEND_DROP_PUBLISHED on whichever chain it is; the chain decides
 * for the others, and a rewrite keeps both counts.
 */
START_TEST(test_published_drops_counted)
{
	struct backend_counter counter = {.bridge = NULL}, after = {.bridge = NULL};
	struct ruleset set;
	struct rule *rule;

	ck_assert_int_eq(check_util_loopback_up(), 0);
	ruleset_init(&set);
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_REJECT);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 8080;
	strcpy(rule->comment, "tjd published 8080");
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_REJECT);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 8081;
	strcpy(rule->comment, "tjd no host");
	rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_OUTPUT, RULE_REJECT);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 8082;
	strcpy(rule->comment, "tjd published x");
	/* "tjd publishe" is not the policy's: a prefix of the prefix does not count */
	rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_OUTPUT, RULE_REJECT);
	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = 8083;
	strcpy(rule->comment, "tjd publishe");
	ck_assert(check_iptc_apply(&set));
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.1", "127.0.0.1", 8080, 8080),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.1", "127.0.0.1", 8081, 8081),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "::1", "::1", 8082, 8082), CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "::1", "::1", 8083, 8083), CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_backend.ops->counters(&check_iptc_backend, &counter, 1,
							  check_iptc_err, sizeof(check_iptc_err)),
			 0);
	ck_assert_uint_eq(counter.packets, 4);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_PUBLISHED], 2);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_NO_HOST], 1);
	ck_assert_uint_eq(counter.kind_packets[BACKEND_DROP_HOST], 1);
	ck_assert_uint_gt(counter.kind_bytes[BACKEND_DROP_PUBLISHED], 0);
	/* rewritten: the counts stay, by kind */
	check_iptc_rule(&set, AF_INET, RULE_HOOK_FORWARD, RULE_DROP);
	ck_assert(check_iptc_apply(&set));
	ck_assert_int_eq(check_iptc_backend.ops->counters(&check_iptc_backend, &after, 1,
							  check_iptc_err, sizeof(check_iptc_err)),
			 0);
	ck_assert_mem_eq(after.kind_packets, counter.kind_packets, sizeof(after.kind_packets));
	ruleset_free(&set);
}
END_TEST

/*
 * A connection to a published port: ctstate NEW, conntrack status DNAT
 * and the original destination port, read back exactly and what
 * iptables-save shows (restorable: DNAT is a --ctstate to iptables, in a
 * match of its own since one match's states are any-of); on real
 * connections rewritten by a nat DNAT rule, only those to that port.
 */
START_TEST(test_dnat_conditions)
{
	struct ruleset set;
	struct rule *rule;
	char *save;

	ck_assert_int_eq(check_util_loopback_up(), 0);
	ruleset_init(&set);
	/* grouped by family and hook, the order dump reads them back in */
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	rule->protocol = IPPROTO_UDP;
	rule->ct_dport_first = 5000;
	rule->ct_dport_last = 5010;
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_RETURN);
	rule->protocol = IPPROTO_TCP;
	rule->ct_dnat = true;
	rule->dport_first = rule->dport_last = 80;
	for (int f = 0; f < 2; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;

		if (family == AF_INET6) {
			rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_INPUT, RULE_DROP);
			rule->protocol = IPPROTO_SCTP;
			rule->ctstate = RULE_CT_NEW | RULE_CT_ESTABLISHED;
			rule->ct_dport_first = rule->ct_dport_last = 9;
		}
		rule = check_iptc_rule(&set, family, RULE_HOOK_OUTPUT, RULE_REJECT);
		rule->protocol = IPPROTO_TCP;
		rule->ctstate = RULE_CT_NEW;
		rule->ct_dnat = true;
		rule->ct_dport_first = rule->ct_dport_last = 8080;
		strcpy(rule->comment, "tjd published web");
	}

	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);
	save = check_iptc_save();
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-OUTPUT -p tcp -m conntrack --ctstate NEW "
					   "-m conntrack --ctstate DNAT --ctproto 6 "
					   "--ctorigdstport 8080 -m comment --comment "
					   "\"tjd published web\" -j REJECT --reject-with "
					   "tcp-reset\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -p udp -m conntrack --ctproto 17 "
					   "--ctorigdstport 5000:5010 -j DROP\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -p tcp -m tcp --dport 80 -m conntrack "
					   "--ctstate DNAT -j RETURN\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -p sctp -m conntrack --ctstate "
					   "NEW,ESTABLISHED -m conntrack --ctproto 132 "
					   "--ctorigdstport 9 -j DROP\n"));
	free(save);
	/* what iptables-save wrote, iptables-restore takes back */
	CHECK_IPTC_MUST("iptables-legacy-save -t filter | iptables-legacy-restore && "
			"ip6tables-legacy-save -t filter | ip6tables-legacy-restore");
	ck_assert(!check_iptc_apply(&set));

	/* the host publishes 8080 and 8081 on 9090; only 8080 is refused */
	CHECK_IPTC_MUST("for p in 8080 8081; do "
			"iptables-legacy -t nat -A OUTPUT -p tcp -d 127.0.0.1 --dport $p "
			"-j DNAT --to-destination 127.0.0.1:9090 && "
			"ip6tables-legacy -t nat -A OUTPUT -p tcp -d ::1 --dport $p "
			"-j DNAT --to-destination [::1]:9090 || exit 1; done");
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.1", "127.0.0.1", 8080, 9090),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.1", "127.0.0.1", 8081, 9090),
			 CHECK_PROBE_ANSWERED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "::1", "::1", 8080, 9090), CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "::1", "::1", 8081, 9090),
			 CHECK_PROBE_ANSWERED);
	/* 9090 itself, not rewritten: no DNAT status, whatever the port */
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.1", "127.0.0.1", 9090, 9090),
			 CHECK_PROBE_ANSWERED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "::1", "::1", 9090, 9090),
			 CHECK_PROBE_ANSWERED);
	ruleset_free(&set);
}
END_TEST

/*
 * Rules of conntrack states alone as iptables itself writes them: the
 * bytes tjd wrote before it had DNAT conditions (one conntrack match of
 * states, still written the same), so they read back as the same rules
 * and there is nothing to commit after an upgrade.
 */
START_TEST(test_ctstate_rules_of_before_are_adopted)
{
	struct ruleset set;
	struct rule *rule;

	ruleset_init(&set);
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_FORWARD, RULE_RETURN);
	rule->ctstate = RULE_CT_RELATED | RULE_CT_ESTABLISHED;
	rule = check_iptc_rule(&set, AF_INET, RULE_HOOK_INPUT, RULE_DROP);
	strcpy(rule->in_iface, "br-tjd");
	rule->ctstate = RULE_CT_NEW;
	strcpy(rule->comment, "tjd no host");
	rule = check_iptc_rule(&set, AF_INET6, RULE_HOOK_FORWARD, RULE_RETURN);
	rule->ctstate = RULE_CT_RELATED | RULE_CT_ESTABLISHED;
	/* the chains and jumps as iptables makes them from those rules' text */
	CHECK_IPTC_MUST("for t in iptables-legacy ip6tables-legacy; do "
			"$t -N TJD-FORWARD && $t -N TJD-INPUT && $t -N TJD-OUTPUT && "
			"$t -I FORWARD -j TJD-FORWARD && $t -I INPUT -j TJD-INPUT && "
			"$t -I OUTPUT -j TJD-OUTPUT && "
			"$t -A TJD-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
			" || exit 1; done && "
			"iptables-legacy -A TJD-INPUT -i br-tjd -m conntrack --ctstate NEW "
			"-m comment --comment 'tjd no host' -j DROP");
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);
	ruleset_free(&set);
}
END_TEST

/* Appends a set with the members given (NULL-terminated), in that order. */
static void check_iptc_set(struct ruleset *set, const char *name, int family, const char *comment,
			   ...)
{
	struct rule_addrset *named = ruleset_add_set(set, name, family);
	const char *member;
	va_list members;

	ck_assert_ptr_nonnull(named);
	snprintf(named->comment, sizeof(named->comment), "%s", comment);
	va_start(members, comment);
	while ((member = va_arg(members, const char *)) != NULL) {
		struct prefix prefix;

		check_iptc_prefix(&prefix, member);
		ck_assert_int_eq(ruleset_add_member(set, &prefix), 0);
	}
	va_end(members);
}

/* The members of one ipset as `ipset save` lists them, sorted, one "add" line each. */
static char *check_iptc_members(const char *kernel_name)
{
	char command[128];

	snprintf(command, sizeof(command), "ipset save %s | grep '^add ' | sort", kernel_name);
	return check_iptc_capture(command);
}

/* The names of the namespace's ipsets, sorted, one a line. */
static char *check_iptc_ipsets(void)
{
	return check_iptc_capture("ipset list -name | sort");
}

/* Loopback addresses beside 127.0.0.1 and ::1 for the set probes: ::2 to ::5 of fd00:99::/64. */
static void check_iptc_loopback_addresses(void)
{
	ck_assert_int_eq(check_util_loopback_up(), 0);
	CHECK_IPTC_MUST("for i in 1 2 3 4 5; do ip -6 addr add fd00:99::$i/128 dev lo nodad || "
			"exit 1; done");
}

/* A TCP port rule rejecting what a set condition picks, on `hook`. */
static struct rule *check_iptc_set_rule(struct ruleset *set, int family, enum rule_hook hook,
					const char *src_set, const char *dst_set)
{
	struct rule *rule = check_iptc_rule(set, family, hook, RULE_REJECT);

	rule->protocol = IPPROTO_TCP;
	rule->dport_first = rule->dport_last = CHECK_IPTC_PORT + 1;
	snprintf(rule->src_set, sizeof(rule->src_set), "%s", src_set);
	snprintf(rule->dst_set, sizeof(rule->dst_set), "%s", dst_set);
	return rule;
}

/*
 * Sets of both families, by source and by destination: the ipsets hold the
 * members (masked as the kernel keeps them), the rules read back equal,
 * iptables-save shows the set matches, and real connections from and to
 * members are refused while the others go through.
 */
START_TEST(test_set_matches_round_trip_and_packets)
{
	const unsigned port = CHECK_IPTC_PORT + 1;
	struct ruleset set;
	struct rule *rule;
	char *save, *members;

	check_iptc_loopback_addresses();
	ruleset_init(&set);
	check_iptc_set(&set, "blocked-4", AF_INET, "tjd set blocked", "10.0.0.0/8", "127.0.0.2",
		       NULL);
	check_iptc_set(&set, "blocked-6", AF_INET6, "", "fd00:99::2", "fd00:aa::/64", NULL);
	check_iptc_set(&set, "targets-4", AF_INET, "", "127.0.0.3", NULL);
	check_iptc_set(&set, "targets-6", AF_INET6, "tjd set targets", "fd00:99::3", NULL);
	rule = check_iptc_set_rule(&set, AF_INET, RULE_HOOK_INPUT, "blocked-4", "");
	strcpy(rule->comment, "tjd blocked");
	check_iptc_set_rule(&set, AF_INET, RULE_HOOK_OUTPUT, "", "targets-4");
	rule = check_iptc_set_rule(&set, AF_INET6, RULE_HOOK_INPUT, "blocked-6", "");
	rule->ctstate = RULE_CT_NEW;
	check_iptc_set_rule(&set, AF_INET6, RULE_HOOK_OUTPUT, "", "targets-6");

	/* the positive control: every probe goes through before the rules */
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.2", "127.0.0.1", port, port),
			 CHECK_PROBE_ANSWERED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "fd00:99::2", "::1", port, port),
			 CHECK_PROBE_ANSWERED);
	ck_assert(check_iptc_apply(&set));
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);

	members = check_iptc_members("tjd-blocked-4");
	ck_assert_str_eq(members, "add tjd-blocked-4 10.0.0.0/8 comment \"tjd set blocked\"\n"
				  "add tjd-blocked-4 127.0.0.2 comment \"tjd set blocked\"\n");
	free(members);
	members = check_iptc_members("tjd-blocked-6");
	ck_assert_str_eq(members, "add tjd-blocked-6 fd00:99::2\n"
				  "add tjd-blocked-6 fd00:aa::/64\n");
	free(members);
	save = check_iptc_save();
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -p tcp -m tcp --dport 5556 -m set "
					   "--match-set tjd-blocked-4 src -m comment --comment "
					   "\"tjd blocked\" -j REJECT --reject-with tcp-reset\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-OUTPUT -p tcp -m tcp --dport 5556 -m set "
					   "--match-set tjd-targets-4 dst -j REJECT --reject-with "
					   "tcp-reset\n"));
	ck_assert_ptr_nonnull(strstr(save, "-A TJD-INPUT -p tcp -m tcp --dport 5556 -m set "
					   "--match-set tjd-blocked-6 src -m conntrack --ctstate "
					   "NEW -j REJECT --reject-with tcp-reset\n"));
	ck_assert_ptr_nonnull(strstr(save, "create tjd-targets-6 hash:net family inet6 "));
	free(save);
	/* iptables-restore makes the set matches from that text exactly as tjd wrote them */
	CHECK_IPTC_MUST("iptables-legacy-save -t filter | iptables-legacy-restore && "
			"ip6tables-legacy-save -t filter | ip6tables-legacy-restore");
	ck_assert(!check_iptc_apply(&set));

	/* by source: the member is refused, its neighbour not */
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.2", "127.0.0.1", port, port),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.4", "127.0.0.1", port, port),
			 CHECK_PROBE_ANSWERED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "fd00:99::2", "::1", port, port),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "fd00:99::4", "::1", port, port),
			 CHECK_PROBE_ANSWERED);
	/* by destination, on the way out */
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.1", "127.0.0.3", port, port),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.1", "127.0.0.5", port, port),
			 CHECK_PROBE_ANSWERED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "::1", "fd00:99::3", port, port),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "::1", "fd00:99::5", port, port),
			 CHECK_PROBE_ANSWERED);
	/* and each rule counted its one refusal */
	save = check_iptc_capture("iptables-legacy-save -c -t filter; ip6tables-legacy-save -c -t "
				  "filter");
	members = check_iptc_lines(save, "[1:");
	ck_assert_int_eq(check_iptc_count(members, "-A TJD-"), 4);
	free(members);
	free(save);
	ruleset_free(&set);
}
END_TEST

/* The ruleset of the members-only cases: one source set per family. */
static void check_iptc_blocked(struct ruleset *set, const char *v4, const char *v4_more,
			       const char *v6)
{
	ruleset_reset(set);
	check_iptc_set(set, "blocked-4", AF_INET, "tjd set blocked", v4, v4_more, NULL);
	check_iptc_set(set, "blocked-6", AF_INET6, "tjd set blocked", v6, NULL);
	check_iptc_set_rule(set, AF_INET, RULE_HOOK_INPUT, "blocked-4", "");
	check_iptc_set_rule(set, AF_INET6, RULE_HOOK_INPUT, "blocked-6", "");
}

/*
 * When only members change, no table is committed: every entry keeps its
 * counters (a commit rewrites our chains, which starts them at zero), yet
 * the ipsets hold the new members, apply says it changed something, and
 * connections follow the new members at once.
 */
START_TEST(test_members_only_change_commits_nothing)
{
	const unsigned port = CHECK_IPTC_PORT + 1;
	const char *counted = "iptables-legacy-save -c -t filter | grep -v '^#'; "
			      "ip6tables-legacy-save -c -t filter | grep -v '^#'";
	struct ruleset set;
	char *before, *after, *members, *names;

	check_iptc_loopback_addresses();
	ruleset_init(&set);
	check_iptc_blocked(&set, "127.0.0.2", NULL, "fd00:99::2");
	ck_assert(check_iptc_apply(&set));
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.2", "127.0.0.1", port, port),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "fd00:99::2", "::1", port, port),
			 CHECK_PROBE_REFUSED);
	before = check_iptc_capture(counted);
	members = check_iptc_lines(before, "[1:");
	ck_assert_int_eq(check_iptc_count(members, "-A TJD-INPUT "), 2);
	free(members);

	check_iptc_blocked(&set, "127.0.0.4", "127.0.0.5", "fd00:99::4");
	ck_assert(check_iptc_apply(&set));
	after = check_iptc_capture(counted);
	ck_assert_str_eq(after, before);
	free(after);
	members = check_iptc_members("tjd-blocked-4");
	ck_assert_str_eq(members, "add tjd-blocked-4 127.0.0.4 comment \"tjd set blocked\"\n"
				  "add tjd-blocked-4 127.0.0.5 comment \"tjd set blocked\"\n");
	free(members);
	members = check_iptc_members("tjd-blocked-6");
	ck_assert_str_eq(members, "add tjd-blocked-6 fd00:99::4 comment \"tjd set blocked\"\n");
	free(members);
	/* the twins that carried the new members are gone */
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "tjd-blocked-4\ntjd-blocked-6\n");
	free(names);
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);

	/* the old member goes through now, the new ones are refused */
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.2", "127.0.0.1", port, port),
			 CHECK_PROBE_ANSWERED);
	ck_assert_int_eq(check_iptc_probe(AF_INET, "127.0.0.5", "127.0.0.1", port, port),
			 CHECK_PROBE_REFUSED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "fd00:99::2", "::1", port, port),
			 CHECK_PROBE_ANSWERED);
	ck_assert_int_eq(check_iptc_probe(AF_INET6, "fd00:99::4", "::1", port, port),
			 CHECK_PROBE_REFUSED);
	/* a set emptied is a members-only change too */
	check_iptc_blocked(&set, NULL, NULL, NULL);
	ck_assert(check_iptc_apply(&set));
	members = check_iptc_members("tjd-blocked-4");
	ck_assert_str_eq(members, "");
	free(members);
	ck_assert(!check_iptc_apply(&set));
	/* a set's comment lives on its members: an empty set reads back without one */
	set.sets[0].comment[0] = set.sets[1].comment[0] = '\0';
	check_iptc_dump_is(&set);
	free(before);
	ruleset_free(&set);
}
END_TEST

/* Someone else's ipset commands on our sets, which the next apply must undo. */
static const char *const check_iptc_set_drifts[] = {
    "ipset add tjd-drift-4 10.9.9.9",
    "ipset del tjd-drift-4 10.0.1.0/24",
    "ipset add tjd-drift-6 fd00:9::/64 comment 'tjd set drift'",
    "ipset flush tjd-drift-6",
    "ipset add tjd-drift-4 10.9.0.0/16 nomatch comment 'tjd set drift'",
    /* the same member back, without its comment */
    "ipset del tjd-drift-4 10.0.1.0/24 && ipset add tjd-drift-4 10.0.1.0/24",
    /* our members moved into someone else's set, theirs into ours */
    "ipset create other hash:net comment && ipset add other 10.7.0.0/16 && "
    "ipset swap other tjd-drift-4",
    /* sets no rule refers to can go, or come back as something else */
    "ipset destroy tjd-spare-4",
    "ipset destroy tjd-spare-4 && ipset create tjd-spare-4 hash:ip",
    "ipset destroy tjd-spare-4 && ipset create tjd-spare-4 hash:net family inet6 comment",
    /* ours by its name, but not the ruleset's */
    "ipset create tjd-spare-4x hash:net",
    "ipset create tjd+drift-4 hash:net comment",
};

START_TEST(test_set_drift_is_repaired)
{
	struct ruleset set;
	char *before, *after;

	ruleset_init(&set);
	check_iptc_set(&set, "drift-4", AF_INET, "tjd set drift", "10.0.1.0/24", "10.0.2.0/24",
		       NULL);
	check_iptc_set(&set, "drift-6", AF_INET6, "tjd set drift", "fd00:1::/64", NULL);
	check_iptc_set(&set, "spare-4", AF_INET, "", "192.0.2.0/24", NULL);
	check_iptc_set_rule(&set, AF_INET, RULE_HOOK_FORWARD, "drift-4", "");
	check_iptc_set_rule(&set, AF_INET6, RULE_HOOK_FORWARD, "", "drift-6");
	ck_assert(check_iptc_apply(&set));
	before = check_iptc_save();
	CHECK_IPTC_MUST("%s", check_iptc_set_drifts[_i]);
	after = check_iptc_save();
	ck_assert_msg(strcmp(after, before) != 0, "drift command changed nothing: %s",
		      check_iptc_set_drifts[_i]);
	free(after);
	ck_assert_msg(check_iptc_apply(&set), "drift not noticed: %s", check_iptc_set_drifts[_i]);
	after = check_iptc_save();
	/* "other" is someone else's: it keeps what the swap gave it (tjd-spare-4x is ours, gone) */
	CHECK_IPTC_MUST("ipset destroy other 2>/dev/null; true");
	free(after);
	after = check_iptc_save();
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);
	free(before);
	ruleset_free(&set);
}
END_TEST

/*
 * A set no rule refers to any more goes after the commit that stops the
 * references (the kernel refuses to destroy one in use before), and clear
 * removes every set of ours, twins included, and nobody else's.
 */
START_TEST(test_clear_and_unreferenced_sets_remove_ipsets)
{
	struct ruleset set;
	char *names;

	ruleset_init(&set);
	check_iptc_set(&set, "keep-4", AF_INET, "", "10.0.1.0/24", NULL);
	check_iptc_set(&set, "old-4", AF_INET, "", "10.0.2.0/24", NULL);
	check_iptc_set(&set, "old-6", AF_INET6, "", "fd00:2::/64", NULL);
	check_iptc_set_rule(&set, AF_INET, RULE_HOOK_FORWARD, "keep-4", "old-4");
	check_iptc_set_rule(&set, AF_INET6, RULE_HOOK_INPUT, "old-6", "");
	ck_assert(check_iptc_apply(&set));
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "tjd-keep-4\ntjd-old-4\ntjd-old-6\n");
	free(names);

	ruleset_reset(&set);
	check_iptc_set(&set, "keep-4", AF_INET, "", "10.0.1.0/24", NULL);
	check_iptc_set_rule(&set, AF_INET, RULE_HOOK_FORWARD, "keep-4", "");
	ck_assert(check_iptc_apply(&set));
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "tjd-keep-4\n");
	free(names);
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);

	/* a foreign rule holding a set we no longer want: kept, and tried again */
	ruleset_reset(&set);
	CHECK_IPTC_MUST("iptables-legacy -A INPUT -m set --match-set tjd-keep-4 src -j ACCEPT");
	ck_assert(check_iptc_apply(&set));
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "tjd-keep-4\n");
	free(names);
	CHECK_IPTC_MUST("iptables-legacy -D INPUT -m set --match-set tjd-keep-4 src -j ACCEPT");
	ck_assert(check_iptc_apply(&set));
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "");
	free(names);
	ck_assert(!check_iptc_apply(&set));

	/* clear: ours go (a leftover twin too), someone else's stay */
	ruleset_reset(&set);
	check_iptc_set(&set, "keep-4", AF_INET, "", "10.0.1.0/24", NULL);
	check_iptc_set(&set, "keep-6", AF_INET6, "", NULL);
	check_iptc_set_rule(&set, AF_INET, RULE_HOOK_FORWARD, "keep-4", "");
	check_iptc_set_rule(&set, AF_INET6, RULE_HOOK_FORWARD, "", "keep-6");
	ck_assert(check_iptc_apply(&set));
	CHECK_IPTC_MUST("ipset create tjd+keep-4 hash:net && ipset create mine hash:ip");
	/* while a foreign rule holds one, clear says which */
	CHECK_IPTC_MUST("ip6tables-legacy -A INPUT -m set --match-set tjd-keep-6 dst -j ACCEPT");
	ck_assert_int_eq(check_iptc_backend.ops->clear(&check_iptc_backend, check_iptc_err,
						       sizeof(check_iptc_err)),
			 -1);
	ck_assert_msg(strstr(check_iptc_err, "tjd-keep-6") != NULL &&
			  strstr(check_iptc_err, "in use") != NULL,
		      "clear said: %s", check_iptc_err);
	CHECK_IPTC_MUST("ip6tables-legacy -D INPUT -m set --match-set tjd-keep-6 dst -j ACCEPT");
	ck_assert_msg(check_iptc_backend.ops->clear(&check_iptc_backend, check_iptc_err,
						    sizeof(check_iptc_err)) == 0,
		      "clear failed: %s", check_iptc_err);
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "mine\n");
	free(names);
	names = check_iptc_save();
	ck_assert_ptr_null(strstr(names, "TJD-"));
	free(names);
	ruleset_free(&set);
}
END_TEST

/*
 * Two instances in one namespace: each names its ipsets with its own
 * prefix, reads back only its own, and clearing one leaves the other's.
 */
START_TEST(test_instances_keep_their_own_sets)
{
	struct backend other;
	struct ruleset set;
	char kernel_name[64];
	char *names, *text;

	ruleset_init(&set);
	check_iptc_set(&set, "shared-4", AF_INET, "", "10.0.1.0/24", NULL);
	check_iptc_set_rule(&set, AF_INET, RULE_HOOK_INPUT, "shared-4", "");
	ck_assert_int_eq(backend_init(&other, &backend_iptc_ops, "x1"), 0);
	ck_assert_int_eq(strlen(other.set_prefix), BACKEND_SET_PREFIX_MAX);
	ck_assert_str_ne(other.set_prefix, check_iptc_backend.set_prefix);
	ck_assert_str_eq(check_iptc_backend.set_prefix, "tjd-");
	ck_assert_msg(other.ops->open(&other, check_iptc_err, sizeof(check_iptc_err)) == 0, "%s",
		      check_iptc_err);
	ck_assert(check_iptc_apply(&set));
	{
		bool changed = false;
		ck_assert_msg(other.ops->apply(&other, &set, &changed, check_iptc_err,
					       sizeof(check_iptc_err)) == 0,
			      "%s", check_iptc_err);
		ck_assert(changed);
	}
	snprintf(kernel_name, sizeof(kernel_name), "%sshared-4", other.set_prefix);
	names = check_iptc_ipsets();
	ck_assert_ptr_nonnull(strstr(names, "tjd-shared-4\n"));
	ck_assert_ptr_nonnull(strstr(names, kernel_name));
	free(names);
	ck_assert_int_eq(other.ops->dump(&other, &text, check_iptc_err, sizeof(check_iptc_err)), 0);
	ck_assert_int_eq(check_iptc_count(text, "# set shared-4 (1 member)"), 1);
	free(text);
	ck_assert_int_eq(other.ops->clear(&other, check_iptc_err, sizeof(check_iptc_err)), 0);
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "tjd-shared-4\n");
	free(names);
	ck_assert(!check_iptc_apply(&set));
	other.ops->close(&other);
	ruleset_free(&set);
}
END_TEST

/*
 * Set conditions the backend cannot honour are refused before the kernel
 * is touched, naming the rule or set and why.
 */
START_TEST(test_bad_sets_refused)
{
	struct ruleset set;
	struct rule *rule;
	char *names;

	ruleset_init(&set);
	check_iptc_set(&set, "hosts-4", AF_INET, "", "10.0.1.0/24", NULL);
	check_iptc_set(&set, "hosts-6", AF_INET6, "", "fd00:1::/64", NULL);
	rule = check_iptc_set_rule(&set, AF_INET, RULE_HOOK_INPUT, "nowhere", "");
	check_iptc_apply_fails(&set, "rule 1 (IPv4 INPUT): set nowhere is not one of the "
				     "ruleset's sets");
	strcpy(rule->src_set, "hosts-6");
	check_iptc_apply_fails(&set, "rule 1 (IPv4 INPUT): set hosts-6 holds IPv6 addresses, "
				     "the rule matches IPv4");
	strcpy(rule->src_set, "hosts-4");
	strcpy(rule->dst_set, "hosts-6");
	check_iptc_apply_fails(&set, "set hosts-6 holds IPv6 addresses");
	rule->dst_set[0] = '\0';
	check_iptc_prefix(&rule->src, "10.0.0.0/8");
	check_iptc_apply_fails(&set, "a set or a prefix, not both");
	memset(&rule->src, 0, sizeof(rule->src));
	strcpy(rule->src_set, "9lives");
	check_iptc_apply_fails(&set, "a set name must be");
	strcpy(rule->src_set, "hosts-4");
	rule->ct_dport_first = rule->ct_dport_last = 80;
	rule->protocol = IPPROTO_ICMP;
	rule->dport_first = rule->dport_last = 0;
	check_iptc_apply_fails(&set, "original destination port needs protocol");
	rule->protocol = IPPROTO_TCP;
	rule->ct_dport_first = 81;
	check_iptc_apply_fails(&set, "original destination port range");
	rule->ct_dport_first = 80;
	/* the sets themselves: a member of the other family, a /0, a name twice */
	set.members[1].family = AF_INET;
	check_iptc_apply_fails(&set, "set hosts-6: member 1 is not an IPv6 network");
	check_iptc_prefix(&set.members[1], "::/0");
	check_iptc_apply_fails(&set, "set hosts-6: member 1 is not an IPv6 network of prefix "
				     "length 1 to 128");
	check_iptc_prefix(&set.members[1], "fd00:1::/64");
	strcpy(set.sets[1].name, "hosts-4");
	check_iptc_apply_fails(&set, "set hosts-4: a second set of that name");
	strcpy(set.sets[1].name, "hosts 6");
	check_iptc_apply_fails(&set, "set 2: a set name must be");
	names = check_iptc_ipsets();
	ck_assert_str_eq(names, "");
	free(names);
	/* and fixed, it goes in; host bits are dropped as the kernel drops them */
	strcpy(set.sets[1].name, "hosts-6");
	check_iptc_prefix(&set.members[0], "10.0.1.7/24");
	ck_assert(check_iptc_apply(&set));
	check_iptc_prefix(&set.members[0], "10.0.1.0/24");
	ck_assert(!check_iptc_apply(&set));
	check_iptc_dump_is(&set);
	ruleset_free(&set);
}
END_TEST

static Suite *check_iptc_suite(void)
{
	Suite *suite = suite_create("backend_iptc");
	TCase *tc = tcase_create("kernel");

	tcase_add_checked_fixture(tc, check_iptc_setup, check_iptc_teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_open_refuses_without_bridge_netfilter);
	tcase_add_test(tc, test_closed_backend_refuses);
	tcase_add_test(tc, test_apply_installs_chains_and_jumps);
	tcase_add_test(tc, test_second_apply_does_not_commit);
	tcase_add_loop_test(tc, test_drift_is_repaired, 0,
			    (int)(sizeof(check_iptc_drifts) / sizeof(check_iptc_drifts[0])));
	tcase_add_test(tc, test_rule_before_jump_is_moved_behind);
	tcase_add_test(tc, test_all_matches_round_trip);
	tcase_add_test(tc, test_ports_and_reject_round_trip);
	tcase_add_test(tc, test_ports_and_reject_packets);
	tcase_add_test(tc, test_drop_counters);
	tcase_add_test(tc, test_log_rules_packets);
	tcase_add_test(tc, test_ports_refused_without_their_protocol);
	tcase_add_test(tc, test_interleaved_order_is_kept_per_chain);
	tcase_add_test(tc, test_ipv6_neighbour_discovery);
	tcase_add_test(tc, test_docker_user_gets_the_forward_jump);
	tcase_add_test(tc, test_clear_restores_the_tables);
	tcase_add_test(tc, test_invalid_rule_changes_nothing);
	tcase_add_test(tc, test_ipv6_commit_failure_rolls_ipv4_back);
	tcase_add_test(tc, test_ipv4_commit_failure_changes_nothing);
	tcase_add_test(tc, test_held_lock_times_out);
	tcase_add_test(tc, test_drop_stops_real_packets);
	tcase_add_test(tc, test_published_drops_counted);
	tcase_add_test(tc, test_dnat_conditions);
	tcase_add_test(tc, test_ctstate_rules_of_before_are_adopted);
	tcase_add_test(tc, test_set_matches_round_trip_and_packets);
	tcase_add_test(tc, test_members_only_change_commits_nothing);
	tcase_add_loop_test(
	    tc, test_set_drift_is_repaired, 0,
	    (int)(sizeof(check_iptc_set_drifts) / sizeof(check_iptc_set_drifts[0])));
	tcase_add_test(tc, test_clear_and_unreferenced_sets_remove_ipsets);
	tcase_add_test(tc, test_instances_keep_their_own_sets);
	tcase_add_test(tc, test_bad_sets_refused);
	suite_add_tcase(suite, tc);
	tc = tcase_create("clear only");
	tcase_add_test(tc, test_clearing_creates_no_legacy_tables);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner;
	int failed;

	/* from here on nothing this binary does can reach the host's firewall */
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr,
			"check_backend_iptc: FAIL: unshare(CLONE_NEWNET): %s\n"
			"  This test drives the real kernel inside a throw-away network namespace\n"
			"  and must run as root (CAP_SYS_ADMIN + CAP_NET_ADMIN).\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	if (access("/proc/sys/net/bridge", F_OK) != 0) {
		if (check_util_run("modprobe br_netfilter >/dev/null 2>&1") != 0 ||
		    access(CHECK_IPTC_BRIDGE_IPV4, F_OK) != 0) {
			fprintf(stderr,
				"check_backend_iptc: FAIL: br_netfilter is not available "
				"(/proc/sys/net/bridge missing, modprobe br_netfilter failed)\n");
			return EXIT_FAILURE;
		}
	}
	runner = srunner_create(check_iptc_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
