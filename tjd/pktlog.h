/*
 * Packets tjd's RULE_LOG rules pass on (nfnetlink_log), read and logged.
 *
 * A rule with `log` in a container's labels compiles to a RULE_LOG twin
 * before it: the kernel sends a rate-limited sample of what it matches to
 * log group RULE_LOG_GROUP of the namespace the rule lives in, with the
 * rule's comment as prefix.  nfnetlink_log is per network namespace, so
 * tjd opens one socket inside each container namespace whose rules log,
 * and writes a line per packet naming the container, the rule and the
 * connection:
 *
 *   container web: dcfw.input.rule.1: Allow HTTP: tcp 10.1.0.5:41234 -> 10.1.0.2:80
 *
 * What arrives carries bytes a container controls (the packet's headers),
 * so pktlog_decode checks every length and copies nothing it has not
 * bounded; the prefix is sanitized like any text tjd logs.  Lines are
 * rate-limited per container on top of the kernel's own limit.
 */
#ifndef TJD_PKTLOG_H
#define TJD_PKTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct nlmsghdr;

/* The longest prefix kept (nftables allows 127 bytes; tjd writes at most 63). */
#define PKTLOG_PREFIX_MAX 128
/* Bytes of each packet the kernel copies: enough for IPv6 with extension headers. */
#define PKTLOG_COPY_RANGE 256
/* Lines a second one container may log, after a burst; the rest are counted. */
#define PKTLOG_LINES_PER_SEC 10
#define PKTLOG_LINES_BURST 20

/* One logged packet, decoded. */
struct pktlog_event {
	char prefix[PKTLOG_PREFIX_MAX]; /* printable ASCII; "" when none */
	int family;			/* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];	/* 4 or 16 bytes used */
	uint8_t protocol;		/* IPPROTO_*; the last header seen */
	bool has_ports;			/* TCP, UDP, SCTP, UDP-Lite with ports read */
	uint16_t sport, dport;
	bool has_icmp; /* ICMP or ICMPv6 with its type read */
	uint8_t icmp_type, icmp_code;
	bool fragment;		/* a fragment after the first: no transport header */
	uint32_t indev, outdev; /* interface indexes, 0 when absent */
};

/*
 * Decodes one netlink message from the log group: 0 and *out filled for a
 * packet message with a payload that is IPv4 or IPv6 (of the family the
 * message says); -1 for anything else (malformed, another message type,
 * no or short payload).  Never reads outside the message.
 */
int pktlog_decode(const struct nlmsghdr *message, size_t length, struct pktlog_event *out);

/* The name lines give a protocol ("tcp", "icmpv6", ...); NULL for one without a name here. */
const char *pktlog_protocol_name(uint8_t protocol);
/* "tcp 10.1.0.5:41234 -> 10.1.0.2:80" (or "icmpv6 type 128 ...", "proto 47 ..."). */
void pktlog_describe(const struct pktlog_event *event, char *buf, size_t size);

/* A namespace to listen in: tjd's own, or a container's whose rules log. */
struct pktlog_source {
	const char *id;	   /* the container's id; "tjd" for tjd's own namespace */
	const char *name;  /* its name, for the lines */
	const char *netns; /* its namespace's path; "" for tjd's own */
};

struct pktlog;

/* An empty set of listeners on `base`; NULL on allocation failure. */
struct pktlog *pktlog_new(struct event_base *base);
/* Closes every listener. */
void pktlog_free(struct pktlog *log);
/*
 * Listens in exactly these namespaces: opens what is new (or whose
 * namespace changed), closes the rest.  A namespace tjd cannot listen in
 * is reported once (a warning) and tried again at the next sync; the
 * rules are not affected.  Returns how many sources are listened to.
 */
size_t pktlog_sync(struct pktlog *log, const struct pktlog_source *sources, size_t count);
/*
 * Also hands every decoded packet (rate limit or not) to fn, with the
 * source's id and name; NULL to stop.
 */
typedef void pktlog_observer_fn(void *arg, const char *id, const char *name,
				const struct pktlog_event *event);
void pktlog_set_observer(struct pktlog *log, pktlog_observer_fn *fn, void *arg);
/*
 * Writes the log entry of a packet from source `id` (name: the source's
 * name) that the rate limit let through; `held` more were held back since
 * the last one.  Without a writer, pktlog writes "container NAME: PREFIX:
 * what" itself.
 */
typedef void pktlog_write_fn(void *arg, const char *id, const char *name,
			     const struct pktlog_event *event, uint64_t held);
void pktlog_set_writer(struct pktlog *log, pktlog_write_fn *fn, void *arg);
/* Lines written and held back by the rate limit, since start. */
void pktlog_counts(const struct pktlog *log, uint64_t *logged, uint64_t *suppressed);

#endif
