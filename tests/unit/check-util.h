/* Helpers the Check suites share: shell commands and running an event loop. */
#ifndef TJD_TESTS_CHECK_UTIL_H
#define TJD_TESTS_CHECK_UTIL_H

#include <stdbool.h>

struct event_base;

/* Runs a shell command; returns its exit status, or -1 if it did not exit. */
int check_util_run(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Runs the event loop for ms, whatever happens on it. */
void check_util_loop_for(struct event_base *base, int ms);

/* What a probe of a local port met (check_util_probe_local). */
enum check_util_probe {
	CHECK_PROBE_SILENT = -1,  /* nothing came back in time: dropped */
	CHECK_PROBE_REFUSED = 0,  /* a TCP reset, or ICMP port unreachable */
	CHECK_PROBE_ANSWERED = 1, /* connected (TCP), or the datagram arrived (UDP) */
};

/*
 * Brings lo up in this namespace (a new one has it down); 0 or -1.
 */
int check_util_loopback_up(void);
/*
 * Listens on the loopback address of `family` (AF_INET, AF_INET6) at
 * `port`, over TCP (SOCK_STREAM) or UDP (SOCK_DGRAM), and tries it from a
 * client socket of its own bound to `client_port` (0: any): so a refusal
 * proves a rule answered, not that nobody listened.
 */
enum check_util_probe check_util_probe_local(int family, int type, unsigned port,
					     unsigned client_port);

struct ruleset;
/*
 * Fills set with the INPUT rules check_util_expect_ports() checks: REJECT
 * tcp/8080, DROP tcp/8081, REJECT tcp/9000-9010, DROP tcp from source port
 * 40000, REJECT udp/5300, over IPv4; REJECT tcp/8443 and udp/5301 over IPv6.
 */
void check_util_ports_ruleset(struct ruleset *set);
/*
 * Probes loopback with and without those rules: `installed` false checks
 * every probe answers (the positive control), true that each meets its
 * rule and the ports next to them still answer.
 */
void check_util_expect_ports(bool installed);

/*
 * Fills set with INPUT rules that log and drop tcp/8095 (IPv4) and tcp/8096
 * (IPv6), each a RULE_LOG twin before its DROP, as a container's `log`
 * rule compiles; check_util_expect_logged() checks what they pass on.
 */
void check_util_log_ruleset(struct ruleset *set);
/*
 * Listens to the log group in this thread's namespace (tjd/pktlog.c),
 * probes tcp/8095 and tcp6/8096 on loopback, and checks that each probe
 * was logged, decoded (family, protocol, destination port) and carries its
 * rule's comment as prefix, when `installed`; that nothing was logged
 * otherwise (and each probe answered).
 */
void check_util_expect_logged(bool installed);

#endif
