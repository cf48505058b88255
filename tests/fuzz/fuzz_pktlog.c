/*
 * Fuzz target: what tjd/pktlog.c reads from a log group, a datagram of
 * netlink messages whose packet bytes a container controls.  Input: one
 * datagram, walked message by message as the reader walks it; each is
 * decoded and, when it decodes, described.
 */
#include "config.h"

#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/netlink.h"
#include "tjd/pktlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The decoder's promises about one event. */
static void fuzz_pktlog_check(const struct pktlog_event *event)
{
	char line[160];

	if ((event->family != AF_INET && event->family != AF_INET6) ||
	    memchr(event->prefix, '\0', sizeof(event->prefix)) == NULL ||
	    (event->fragment && event->has_ports))
		abort();
	for (const char *c = event->prefix; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e)
			abort();
	pktlog_describe(event, line, sizeof(line));
	if (memchr(line, '\0', sizeof(line)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* aligned, as a received datagram is */
	uint8_t *copy = malloc(size ? size : 1);
	const struct nlmsghdr *message;
	size_t left = size;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (!netlink_datagram_whole(copy, size)) {
		free(copy);
		return 0;
	}
	for (message = (const struct nlmsghdr *)copy; left >= NLMSG_HDRLEN;) {
		struct pktlog_event event;
		size_t step = NLMSG_ALIGN(message->nlmsg_len);

		if (pktlog_decode(message, left, &event) == 0)
			fuzz_pktlog_check(&event);
		if (step == 0 || step >= left)
			break;
		left -= step;
		message = (const struct nlmsghdr *)((const uint8_t *)message + step);
	}
	free(copy);
	return 0;
}
