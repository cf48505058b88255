/* Helpers the Check suites share; see check-util.h. */
#include "config.h"

#include "check-util.h"

#include <check.h>

#include "tjd/pktlog.h"
#include "tjd/ruleset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a probe waits for an answer: loopback answers in microseconds. */
#define CHECK_UTIL_PROBE_MSEC 300

int check_util_run(const char *format, ...)
{
	char command[2048];
	va_list args;
	int status;

	va_start(args, format);
	vsnprintf(command, sizeof(command), format, args);
	va_end(args);
	status = system(command);
	return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
}

/* Timer callback: time is up. */
static void check_util_expired(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

void check_util_loop_for(struct event_base *base, int ms)
{
	bool expired = false;
	struct event *timer = evtimer_new(base, check_util_expired, &expired);
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	if (timer == NULL)
		abort();
	evtimer_add(timer, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(timer);
}

int check_util_loopback_up(void)
{
	struct ifreq request;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, sizeof(request.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &request) == 0) {
		request.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &request);
	}
	close(fd);
	return rc;
}

/* The loopback address of family at port. */
static socklen_t check_util_loopback(int family, unsigned port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
		return sizeof(*in6);
	}
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in->sin_port = htons((uint16_t)port);
	return sizeof(*in);
}

/* A socket of family and type bound to the loopback address at port; -1 on failure. */
static int check_util_bound(int family, int type, unsigned port)
{
	struct sockaddr_storage address;
	socklen_t length = check_util_loopback(family, port, &address);
	int one = 1;
	int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&address, length) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

enum check_util_probe check_util_probe_local(int family, int type, unsigned port,
					     unsigned client_port)
{
	struct sockaddr_storage address;
	socklen_t length = check_util_loopback(family, port, &address);
	enum check_util_probe result = CHECK_PROBE_SILENT;
	int server = check_util_bound(family, type, port);
	int client = check_util_bound(family, type, client_port);
	struct pollfd wait;
	char byte = 'x';

	if (server < 0 || client < 0 || (type == SOCK_STREAM && listen(server, 4) < 0))
		goto out;
	if (connect(client, (struct sockaddr *)&address, length) < 0 && errno != EINPROGRESS) {
		result = errno == ECONNREFUSED ? CHECK_PROBE_REFUSED : CHECK_PROBE_SILENT;
		goto out;
	}
	if (type == SOCK_STREAM) {
		int error = 0;
		socklen_t size = sizeof(error);

		wait = (struct pollfd){.fd = client, .events = POLLOUT};
		if (poll(&wait, 1, CHECK_UTIL_PROBE_MSEC) == 1 &&
		    getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &size) == 0)
			result = error == 0		 ? CHECK_PROBE_ANSWERED
				 : error == ECONNREFUSED ? CHECK_PROBE_REFUSED
							 : CHECK_PROBE_SILENT;
		goto out;
	}
	if (send(client, &byte, 1, 0) != 1)
		goto out;
	/* the datagram at the server, or port unreachable at the client */
	for (int round = 0; round < CHECK_UTIL_PROBE_MSEC / 10; round++) {
		if (recv(server, &byte, 1, 0) == 1) {
			result = CHECK_PROBE_ANSWERED;
			break;
		}
		if (recv(client, &byte, 1, 0) < 0 && errno == ECONNREFUSED) {
			result = CHECK_PROBE_REFUSED;
			break;
		}
		(void)poll(NULL, 0, 10);
	}
out:
	if (server >= 0)
		close(server);
	if (client >= 0)
		close(client);
	return result;
}

/* One INPUT rule of the ports ruleset. */
static struct rule *check_util_port_rule(struct ruleset *set, int family, uint8_t protocol,
					 enum rule_verdict verdict, unsigned first, unsigned last)
{
	struct rule *rule = ruleset_add(set);

	ck_assert_ptr_nonnull(rule);
	rule->family = family;
	rule->hook = RULE_HOOK_INPUT;
	rule->protocol = protocol;
	rule->verdict = verdict;
	rule->dport_first = (uint16_t)first;
	rule->dport_last = (uint16_t)last;
	return rule;
}

void check_util_ports_ruleset(struct ruleset *set)
{
	struct rule *rule;

	check_util_port_rule(set, AF_INET, IPPROTO_TCP, RULE_REJECT, 8080, 8080);
	check_util_port_rule(set, AF_INET, IPPROTO_TCP, RULE_DROP, 8081, 8081);
	check_util_port_rule(set, AF_INET, IPPROTO_TCP, RULE_REJECT, 9000, 9010);
	rule = check_util_port_rule(set, AF_INET, IPPROTO_TCP, RULE_DROP, 0, 0);
	rule->sport_first = rule->sport_last = 40000;
	check_util_port_rule(set, AF_INET, IPPROTO_UDP, RULE_REJECT, 5300, 5300);
	check_util_port_rule(set, AF_INET6, IPPROTO_TCP, RULE_REJECT, 8443, 8443);
	check_util_port_rule(set, AF_INET6, IPPROTO_UDP, RULE_REJECT, 5301, 5301);
}

void check_util_expect_ports(bool installed)
{
	static const struct {
		int family, type;
		unsigned port, client_port;
		enum check_util_probe with_rules;
		const char *what;
	} probes[] = {
	    {AF_INET, SOCK_STREAM, 8080, 0, CHECK_PROBE_REFUSED, "tcp/8080 (REJECT: reset)"},
	    {AF_INET, SOCK_STREAM, 8081, 0, CHECK_PROBE_SILENT, "tcp/8081 (DROP)"},
	    {AF_INET, SOCK_STREAM, 8082, 0, CHECK_PROBE_ANSWERED, "tcp/8082 (no rule)"},
	    {AF_INET, SOCK_STREAM, 9000, 0, CHECK_PROBE_REFUSED, "tcp/9000 (range start)"},
	    {AF_INET, SOCK_STREAM, 9010, 0, CHECK_PROBE_REFUSED, "tcp/9010 (range end)"},
	    {AF_INET, SOCK_STREAM, 9011, 0, CHECK_PROBE_ANSWERED, "tcp/9011 (past the range)"},
	    {AF_INET, SOCK_STREAM, 8082, 40000, CHECK_PROBE_SILENT, "tcp/8082 from port 40000"},
	    {AF_INET, SOCK_DGRAM, 5300, 0, CHECK_PROBE_REFUSED, "udp/5300 (REJECT: unreachable)"},
	    {AF_INET, SOCK_DGRAM, 5302, 0, CHECK_PROBE_ANSWERED, "udp/5302 (no rule)"},
	    {AF_INET6, SOCK_STREAM, 8443, 0, CHECK_PROBE_REFUSED, "tcp6/8443 (REJECT: reset)"},
	    {AF_INET6, SOCK_STREAM, 8080, 0, CHECK_PROBE_ANSWERED, "tcp6/8080 (an IPv4 rule)"},
	    {AF_INET6, SOCK_DGRAM, 5301, 0, CHECK_PROBE_REFUSED, "udp6/5301 (REJECT)"},
	    {AF_INET6, SOCK_DGRAM, 5300, 0, CHECK_PROBE_ANSWERED, "udp6/5300 (an IPv4 rule)"},
	};

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		enum check_util_probe want =
		    installed ? probes[i].with_rules : CHECK_PROBE_ANSWERED;
		enum check_util_probe got = check_util_probe_local(
		    probes[i].family, probes[i].type, probes[i].port, probes[i].client_port);

		ck_assert_msg(got == want, "%s %s: got %d, expected %d",
			      installed ? "with the rules" : "without rules", probes[i].what,
			      (int)got, (int)want);
	}
}

/* Comments (and so log prefixes) of the log ruleset's two rules. */
#define CHECK_UTIL_LOG_V4 "tjd.input.rule.7: probe v4"
#define CHECK_UTIL_LOG_V6 "tjd.input.rule.8: probe v6"

void check_util_log_ruleset(struct ruleset *set)
{
	static const struct {
		int family;
		unsigned port;
		const char *comment;
	} rules[] = {
	    {AF_INET, 8095, CHECK_UTIL_LOG_V4},
	    {AF_INET6, 8096, CHECK_UTIL_LOG_V6},
	};

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		for (int pass = 0; pass < 2; pass++) {
			struct rule *rule = check_util_port_rule(set, rules[i].family, IPPROTO_TCP,
								 pass == 0 ? RULE_LOG : RULE_DROP,
								 rules[i].port, rules[i].port);
			snprintf(rule->comment, sizeof(rule->comment), "%s", rules[i].comment);
		}
	}
}

/* What the observer saw. */
struct check_util_logged {
	size_t count;
	struct pktlog_event events[16];
};

/* Keeps each decoded packet. */
static void check_util_observe(void *arg, const char *id, const char *container,
			       const struct pktlog_event *event)
{
	struct check_util_logged *seen = arg;

	ck_assert_str_eq(id, "0123456789ab");
	ck_assert_str_eq(container, "probe");
	if (seen->count < sizeof(seen->events) / sizeof(seen->events[0]))
		seen->events[seen->count++] = *event;
}

/* Whether a logged packet is the probe of `port` over `family`, with `prefix`. */
static bool check_util_logged_has(const struct check_util_logged *seen, int family, unsigned port,
				  const char *prefix)
{
	for (size_t i = 0; i < seen->count; i++) {
		const struct pktlog_event *event = &seen->events[i];

		if (event->family == family && event->protocol == IPPROTO_TCP && event->has_ports &&
		    event->dport == port && strcmp(event->prefix, prefix) == 0)
			return true;
	}
	return false;
}

/*
 * A path to this thread's network namespace that is not a symbolic link
 * (as Docker's are): bound over a file, in a mount namespace of the test's
 * own so that nothing outlives it.
 */
static const char *check_util_netns_path(void)
{
	static char path[64];
	int fd;

	if (path[0] != '\0')
		return path;
	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(path, sizeof(path), "/tmp/check-util-netns.%ld", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_msg(mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) == 0,
		      "bind mount of the namespace: %s", strerror(errno));
	return path;
}

void check_util_expect_logged(bool installed)
{
	struct event_base *base = event_base_new();
	struct pktlog *log;
	struct check_util_logged seen;
	struct pktlog_source source = {
	    .id = "0123456789ab", .name = "probe", .netns = check_util_netns_path()};
	enum check_util_probe want = installed ? CHECK_PROBE_SILENT : CHECK_PROBE_ANSWERED;

	memset(&seen, 0, sizeof(seen));
	ck_assert_ptr_nonnull(base);
	log = pktlog_new(base);
	ck_assert_ptr_nonnull(log);
	pktlog_set_observer(log, check_util_observe, &seen);
	ck_assert_uint_eq(pktlog_sync(log, &source, 1), 1);
	/* a second sync keeps the listener it has */
	ck_assert_uint_eq(pktlog_sync(log, &source, 1), 1);
	ck_assert_int_eq(check_util_probe_local(AF_INET, SOCK_STREAM, 8095, 0), want);
	ck_assert_int_eq(check_util_probe_local(AF_INET6, SOCK_STREAM, 8096, 0), want);
	check_util_loop_for(base, 200);
	if (installed) {
		ck_assert_msg(check_util_logged_has(&seen, AF_INET, 8095, CHECK_UTIL_LOG_V4),
			      "the IPv4 probe was not logged (%zu packets logged)", seen.count);
		ck_assert_msg(check_util_logged_has(&seen, AF_INET6, 8096, CHECK_UTIL_LOG_V6),
			      "the IPv6 probe was not logged (%zu packets logged)", seen.count);
	} else {
		ck_assert_uint_eq(seen.count, 0);
	}
	ck_assert_uint_eq(pktlog_sync(log, NULL, 0), 0);
	pktlog_free(log);
	event_base_free(base);
}
