/* Reading what tjd's log rules pass on, per container namespace; see pktlog.h. */
#include "config.h"

#include "tjd/pktlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "tjd/inventory.h"
#include "tjd/netlink.h"
#include "tjd/netns.h"
#include "tjd/ruleset.h"

/* Datagrams read per wakeup, so that one busy namespace cannot hold the loop. */
#define PKTLOG_BATCH 32
/* IPv6 extension headers walked before giving up on finding the transport header. */
#define PKTLOG_IPV6_HEADERS_MAX 8
/* The socket's receive buffer: a burst beyond it is dropped by the kernel, not queued. */
#define PKTLOG_RCVBUF (64 * 1024)
/* Containers remembered as already warned about. */
#define PKTLOG_WARNED_MAX 1024

/* One namespace listened in. */
struct pktlog_listener {
	char id[INV_ID_MAX + 1];
	char name[INV_NAME_MAX + 1];
	char netns[INV_NETNS_PATH_MAX + 1];
	dev_t netns_dev; /* the namespace file's identity: a new namespace at the path is another */
	ino_t netns_ino;
	struct mnl_socket *sock;
	struct event *event;
	struct pktlog *owner;
	double tokens; /* the rate limit's bucket */
	struct timespec refilled;
	uint64_t held; /* lines held back since the last one written */
	bool seen;     /* marked by a sync */
};

struct pktlog {
	struct event_base *base;
	struct pktlog_listener **listeners;
	size_t count;
	char (*failed)[INV_ID_MAX + 1]; /* ids already warned about */
	size_t failed_count;
	uint64_t logged, suppressed;
	pktlog_observer_fn *observer;
	void *observer_arg;
	pktlog_write_fn *writer;
	void *writer_arg;
};

/* Copies an attribute's string, at most size-1 bytes, non-printable bytes as '?'. */
static void pktlog_copy_prefix(const struct nlattr *attr, char *out, size_t size)
{
	const unsigned char *text = mnl_attr_get_payload(attr);
	size_t length = mnl_attr_get_payload_len(attr), n = 0;

	for (size_t i = 0; i < length && text[i] != '\0' && n + 1 < size; i++)
		out[n++] = (text[i] >= 0x20 && text[i] < 0x7f) ? (char)text[i] : '?';
	out[n] = '\0';
}

/* Reads the ports or ICMP type at `at` of a transport header of `protocol`. */
static void pktlog_transport(struct pktlog_event *out, const uint8_t *at, size_t left)
{
	switch (out->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (left >= 4) {
			out->has_ports = true;
			out->sport = (uint16_t)(at[0] << 8 | at[1]);
			out->dport = (uint16_t)(at[2] << 8 | at[3]);
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (left >= 2) {
			out->has_icmp = true;
			out->icmp_type = at[0];
			out->icmp_code = at[1];
		}
		break;
	default:
		break;
	}
}

/* The IPv4 header and what follows; 0, or -1 when it is not a valid header. */
static int pktlog_ipv4(struct pktlog_event *out, const uint8_t *packet, size_t length)
{
	size_t header;

	if (length < 20 || (packet[0] >> 4) != 4)
		return -1;
	header = (size_t)(packet[0] & 0x0f) * 4;
	if (header < 20 || header > length)
		return -1;
	out->family = AF_INET;
	memcpy(out->src, packet + 12, 4);
	memcpy(out->dst, packet + 16, 4);
	out->protocol = packet[9];
	/* the fragment offset: only the first fragment has the transport header */
	if (((packet[6] & 0x1f) << 8 | packet[7]) != 0) {
		out->fragment = true;
		return 0;
	}
	pktlog_transport(out, packet + header, length - header);
	return 0;
}

/* The IPv6 header, its extension headers and what follows; 0, or -1. */
static int pktlog_ipv6(struct pktlog_event *out, const uint8_t *packet, size_t length)
{
	size_t offset = 40;
	uint8_t next;

	if (length < 40 || (packet[0] >> 4) != 6)
		return -1;
	out->family = AF_INET6;
	memcpy(out->src, packet + 8, 16);
	memcpy(out->dst, packet + 24, 16);
	next = packet[6];
	for (int i = 0; i < PKTLOG_IPV6_HEADERS_MAX; i++) {
		size_t size;

		if (next == IPPROTO_FRAGMENT) {
			if (length - offset < 8)
				break;
			if (((packet[offset + 2] << 8 | packet[offset + 3]) & 0xfff8) != 0) {
				out->protocol = packet[offset];
				out->fragment = true;
				return 0;
			}
			next = packet[offset];
			offset += 8;
			continue;
		}
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
		    next != IPPROTO_AH)
			break;
		if (length - offset < 2)
			break;
		size = next == IPPROTO_AH ? ((size_t)packet[offset + 1] + 2) * 4
					  : ((size_t)packet[offset + 1] + 1) * 8;
		if (size > length - offset)
			break;
		next = packet[offset];
		offset += size;
	}
	out->protocol = next;
	pktlog_transport(out, packet + offset, length - offset);
	return 0;
}

int pktlog_decode(const struct nlmsghdr *message, size_t length, struct pktlog_event *out)
{
	struct nlattr *attrs[NFULA_MAX + 1];
	const struct nfgenmsg *gen;
	const uint8_t *packet;
	size_t packet_length;

	memset(out, 0, sizeof(*out));
	if (length < NLMSG_HDRLEN + sizeof(struct nfgenmsg) || message->nlmsg_len > length ||
	    message->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -1;
	if (message->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
		return -1;
	gen = mnl_nlmsg_get_payload(message);
	memset(attrs, 0, sizeof(attrs));
	if (nflog_nlmsg_parse(message, attrs) < 0 || attrs[NFULA_PAYLOAD] == NULL)
		return -1;
	packet = mnl_attr_get_payload(attrs[NFULA_PAYLOAD]);
	packet_length = mnl_attr_get_payload_len(attrs[NFULA_PAYLOAD]);
	if (attrs[NFULA_PREFIX] != NULL)
		pktlog_copy_prefix(attrs[NFULA_PREFIX], out->prefix, sizeof(out->prefix));
	if (attrs[NFULA_IFINDEX_INDEV] != NULL &&
	    mnl_attr_get_payload_len(attrs[NFULA_IFINDEX_INDEV]) == sizeof(uint32_t))
		out->indev = ntohl(mnl_attr_get_u32(attrs[NFULA_IFINDEX_INDEV]));
	if (attrs[NFULA_IFINDEX_OUTDEV] != NULL &&
	    mnl_attr_get_payload_len(attrs[NFULA_IFINDEX_OUTDEV]) == sizeof(uint32_t))
		out->outdev = ntohl(mnl_attr_get_u32(attrs[NFULA_IFINDEX_OUTDEV]));
	if (gen->nfgen_family == NFPROTO_IPV4)
		return pktlog_ipv4(out, packet, packet_length);
	if (gen->nfgen_family == NFPROTO_IPV6)
		return pktlog_ipv6(out, packet, packet_length);
	return -1;
}

const char *pktlog_protocol_name(uint8_t protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return NULL;
	}
}

void pktlog_describe(const struct pktlog_event *event, char *buf, size_t size)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], proto[16];
	const char *name = pktlog_protocol_name(event->protocol);
	bool v6 = event->family == AF_INET6;

	if (size == 0)
		return;
	if (inet_ntop(event->family, event->src, src, sizeof(src)) == NULL ||
	    inet_ntop(event->family, event->dst, dst, sizeof(dst)) == NULL) {
		snprintf(buf, size, "(an unreadable packet)");
		return;
	}
	if (name != NULL)
		snprintf(proto, sizeof(proto), "%s", name);
	else
		snprintf(proto, sizeof(proto), "proto %u", event->protocol);
	if (event->has_ports)
		snprintf(buf, size, "%s %s%s%s:%u -> %s%s%s:%u", proto, v6 ? "[" : "", src,
			 v6 ? "]" : "", event->sport, v6 ? "[" : "", dst, v6 ? "]" : "",
			 event->dport);
	else if (event->has_icmp)
		snprintf(buf, size, "%s type %u code %u %s -> %s", proto, event->icmp_type,
			 event->icmp_code, src, dst);
	else
		snprintf(buf, size, "%s %s -> %s%s", proto, src, dst,
			 event->fragment ? " (fragment)" : "");
}

/* Seconds since `then`, monotonic. */
static double pktlog_elapsed(const struct timespec *then, const struct timespec *now)
{
	return (double)(now->tv_sec - then->tv_sec) + (double)(now->tv_nsec - then->tv_nsec) / 1e9;
}

/* Whether the rate limit lets one more line of this listener through. */
static bool pktlog_take_token(struct pktlog_listener *listener)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	listener->tokens += pktlog_elapsed(&listener->refilled, &now) * PKTLOG_LINES_PER_SEC;
	if (listener->tokens > PKTLOG_LINES_BURST)
		listener->tokens = PKTLOG_LINES_BURST;
	listener->refilled = now;
	if (listener->tokens < 1.0)
		return false;
	listener->tokens -= 1.0;
	return true;
}

/* Logs one decoded packet, or counts it when the rate limit holds it back. */
static void pktlog_emit(struct pktlog_listener *listener, const struct pktlog_event *event)
{
	char what[160];

	if (listener->owner->observer != NULL)
		listener->owner->observer(listener->owner->observer_arg, listener->id,
					  listener->name, event);
	if (!pktlog_take_token(listener)) {
		listener->held++;
		listener->owner->suppressed++;
		return;
	}
	if (listener->owner->writer != NULL) {
		listener->owner->writer(listener->owner->writer_arg, listener->id, listener->name,
					event, listener->held);
		listener->held = 0;
		listener->owner->logged++;
		return;
	}
	pktlog_describe(event, what, sizeof(what));
	if (listener->held > 0)
		log_info("container %s: %s: %s (and %llu more matches not shown)", listener->name,
			 event->prefix[0] != '\0' ? event->prefix : "log rule", what,
			 (unsigned long long)listener->held);
	else
		log_info("container %s: %s: %s", listener->name,
			 event->prefix[0] != '\0' ? event->prefix : "log rule", what);
	listener->held = 0;
	listener->owner->logged++;
}

/* Reads what the kernel sent one listener, at most PKTLOG_BATCH datagrams. */
static void pktlog_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pktlog_listener *listener = arg;
	static uint8_t buffer[16384];

	(void)fd;
	(void)what;
	for (int i = 0; i < PKTLOG_BATCH; i++) {
		ssize_t got = netlink_receive(listener->sock, buffer, sizeof(buffer), MSG_DONTWAIT);
		size_t left;
		const struct nlmsghdr *message;

		if (got < 0 && errno == ENOBUFS) {
			/* the kernel dropped messages: they were over the buffer */
			listener->owner->suppressed++;
			continue;
		}
		if (got < 0)
			return;
		if (got == 0 || !netlink_datagram_whole(buffer, (size_t)got))
			continue;
		left = (size_t)got;
		for (message = (const struct nlmsghdr *)buffer; left >= NLMSG_HDRLEN;) {
			struct pktlog_event event;
			size_t size = NLMSG_ALIGN(message->nlmsg_len);

			if (pktlog_decode(message, left, &event) == 0)
				pktlog_emit(listener, &event);
			if (size == 0 || size >= left)
				break;
			left -= size;
			message = (const struct nlmsghdr *)((const uint8_t *)message + size);
		}
	}
}

/* Sends one configuration message and waits for its acknowledgement; 0, or -1 with errno. */
static int pktlog_configure(struct mnl_socket *sock, struct nlmsghdr *message)
{
	uint8_t answer[MNL_SOCKET_BUFFER_SIZE];
	uint32_t port = mnl_socket_get_portid(sock);
	unsigned int seq = (unsigned int)time(NULL);

	message->nlmsg_flags |= NLM_F_ACK;
	message->nlmsg_seq = seq;
	if (mnl_socket_sendto(sock, message, message->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t got = netlink_receive(sock, answer, sizeof(answer), 0);
		int ret;

		if (got < 0)
			return -1;
		if (got == 0 || !netlink_datagram_whole(answer, (size_t)got))
			continue;
		ret = mnl_cb_run(answer, (size_t)got, seq, port, NULL, NULL);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -1 : 0;
	}
}

/*
 * Opens a socket in the listener's namespace bound to the log group; 0, or
 * -1 with err set.
 */
static int pktlog_open_socket(struct pktlog_listener *listener, char *err, size_t errlen)
{
	uint8_t buffer[MNL_SOCKET_BUFFER_SIZE];
	struct timeval timeout = {.tv_sec = 1};
	int rcvbuf = PKTLOG_RCVBUF;
	struct nlmsghdr *message;
	struct mnl_socket *sock;
	int saved;

	if (listener->netns[0] == '\0') {
		sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	} else {
		if (netns_enter(listener->netns, &saved, err, errlen) < 0)
			return -1;
		sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
		netns_leave(saved, listener->netns);
	}
	if (sock == NULL) {
		error_format(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout)) < 0 ||
	    setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) <
		0) {
		error_format(err, errlen, "netlink socket: %s", strerror(errno));
		mnl_socket_close(sock);
		return -1;
	}
	message =
	    nflog_nlmsg_put_header((char *)buffer, NFULNL_MSG_CONFIG, AF_UNSPEC, RULE_LOG_GROUP);
	nflog_attr_put_cfg_cmd(message, NFULNL_CFG_CMD_BIND);
	if (pktlog_configure(sock, message) < 0) {
		error_format(
		    err, errlen, "binding log group %u: %s%s", RULE_LOG_GROUP, strerror(errno),
		    errno == EBUSY ? " (another listener holds it in that namespace)" : "");
		mnl_socket_close(sock);
		return -1;
	}
	message =
	    nflog_nlmsg_put_header((char *)buffer, NFULNL_MSG_CONFIG, AF_UNSPEC, RULE_LOG_GROUP);
	nflog_attr_put_cfg_mode(message, NFULNL_COPY_PACKET, PKTLOG_COPY_RANGE);
	/* each packet at once, not batched for up to a second */
	mnl_attr_put_u32(message, NFULA_CFG_QTHRESH, htonl(1));
	if (pktlog_configure(sock, message) < 0) {
		error_format(err, errlen, "configuring log group %u: %s", RULE_LOG_GROUP,
			     strerror(errno));
		mnl_socket_close(sock);
		return -1;
	}
	listener->sock = sock;
	return 0;
}

/* Closes one listener and frees it. */
static void pktlog_listener_free(struct pktlog_listener *listener)
{
	if (listener == NULL)
		return;
	if (listener->event != NULL)
		event_free(listener->event);
	if (listener->sock != NULL)
		mnl_socket_close(listener->sock);
	free(listener);
}

struct pktlog *pktlog_new(struct event_base *base)
{
	struct pktlog *log = calloc(1, sizeof(*log));

	if (log != NULL)
		log->base = base;
	return log;
}

void pktlog_free(struct pktlog *log)
{
	if (log == NULL)
		return;
	for (size_t i = 0; i < log->count; i++)
		pktlog_listener_free(log->listeners[i]);
	free(log->listeners);
	free(log->failed);
	free(log);
}

/* Whether a failure for this container was already reported; remembers it if not. */
static bool pktlog_warned(struct pktlog *log, const char *id)
{
	void *grown;

	for (size_t i = 0; i < log->failed_count; i++)
		if (strcmp(log->failed[i], id) == 0)
			return true;
	/* bounded: past this many, old containers are forgotten (and may warn again) */
	if (log->failed_count >= PKTLOG_WARNED_MAX)
		log->failed_count = 0;
	grown = realloc(log->failed, (log->failed_count + 1) * sizeof(*log->failed));
	if (grown == NULL)
		return false;
	log->failed = grown;
	snprintf(log->failed[log->failed_count++], sizeof(*log->failed), "%s", id);
	return false;
}

/* Opens a listener for one source; NULL (warned once) when it cannot be. */
static struct pktlog_listener *
pktlog_listener_open(struct pktlog *log, const struct pktlog_source *source, const struct stat *st)
{
	struct pktlog_listener *listener = calloc(1, sizeof(*listener));
	char err[256];

	if (listener == NULL)
		return NULL;
	snprintf(listener->id, sizeof(listener->id), "%s", source->id);
	snprintf(listener->name, sizeof(listener->name), "%s", source->name);
	snprintf(listener->netns, sizeof(listener->netns), "%s", source->netns);
	listener->netns_dev = st->st_dev;
	listener->netns_ino = st->st_ino;
	listener->owner = log;
	listener->tokens = PKTLOG_LINES_BURST;
	clock_gettime(CLOCK_MONOTONIC, &listener->refilled);
	if (pktlog_open_socket(listener, err, sizeof(err)) < 0) {
		bool first = !pktlog_warned(log, source->id);

		if (first && source->netns[0] != '\0')
			log_warnx("container %s: its log rules' matches cannot be read: %s",
				  source->name, err);
		else if (first)
			log_warnx("blocked connections cannot be logged: %s", err);
		pktlog_listener_free(listener);
		return NULL;
	}
	listener->event = event_new(log->base, mnl_socket_get_fd(listener->sock),
				    EV_READ | EV_PERSIST, pktlog_readable, listener);
	if (listener->event == NULL || event_add(listener->event, NULL) < 0) {
		pktlog_listener_free(listener);
		return NULL;
	}
	return listener;
}

/* The listener for a source that still fits it (same id, path and namespace), if any. */
static struct pktlog_listener *pktlog_find(struct pktlog *log, const struct pktlog_source *source,
					   const struct stat *st)
{
	for (size_t i = 0; i < log->count; i++) {
		struct pktlog_listener *listener = log->listeners[i];

		if (strcmp(listener->id, source->id) == 0 &&
		    strcmp(listener->netns, source->netns) == 0 &&
		    listener->netns_dev == st->st_dev && listener->netns_ino == st->st_ino)
			return listener;
	}
	return NULL;
}

size_t pktlog_sync(struct pktlog *log, const struct pktlog_source *sources, size_t count)
{
	size_t kept = 0;

	for (size_t i = 0; i < log->count; i++)
		log->listeners[i]->seen = false;
	for (size_t i = 0; i < count; i++) {
		struct pktlog_listener *listener;
		struct stat st;
		void *grown;

		/* tjd's own namespace: its identity through /proc */
		if (stat(sources[i].netns[0] != '\0' ? sources[i].netns : "/proc/self/ns/net",
			 &st) < 0)
			continue;
		listener = pktlog_find(log, &sources[i], &st);
		if (listener != NULL) {
			listener->seen = true;
			snprintf(listener->name, sizeof(listener->name), "%s", sources[i].name);
			continue;
		}
		grown = realloc(log->listeners, (log->count + 1) * sizeof(*log->listeners));
		if (grown == NULL)
			continue;
		log->listeners = grown;
		listener = pktlog_listener_open(log, &sources[i], &st);
		if (listener == NULL)
			continue;
		listener->seen = true;
		log->listeners[log->count++] = listener;
	}
	for (size_t i = 0; i < log->count; i++) {
		if (log->listeners[i]->seen)
			log->listeners[kept++] = log->listeners[i];
		else
			pktlog_listener_free(log->listeners[i]);
	}
	log->count = kept;
	return kept;
}

void pktlog_set_observer(struct pktlog *log, pktlog_observer_fn *fn, void *arg)
{
	log->observer = fn;
	log->observer_arg = arg;
}

void pktlog_set_writer(struct pktlog *log, pktlog_write_fn *fn, void *arg)
{
	log->writer = fn;
	log->writer_arg = arg;
}

void pktlog_counts(const struct pktlog *log, uint64_t *logged, uint64_t *suppressed)
{
	*logged = log->logged;
	*suppressed = log->suppressed;
}
