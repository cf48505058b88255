/*
 * Fuzz target: what tjd/pktlog.c reads from a log group, a datagram of
 * netlink messages whose packet bytes a container controls.  Input: one
 * datagram, walked message by message as the reader walks it; each is
 * decoded and, when it decodes, described and resolved by the drop log
 * (tjd/droplog.c) against a small inventory.
 */
#include "config.h"

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/prefix.h"
#include "tjd/droplog.h"
#include "tjd/netlink.h"
#include "tjd/pktlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One network "web" with one container, built once. */
static const struct inventory *fuzz_pktlog_inventory(void)
{
	static struct inventory inv;
	static bool built;
	struct inv_network *net;
	struct inv_endpoint *endpoint;

	if (built)
		return &inv;
	built = true;
	inventory_init(&inv);
	net = inventory_add_network(&inv);
	if (net == NULL)
		abort();
	strcpy(net->name, "web");
	if (prefix_parse_network("10.1.0.0/16", &net->subnets[0]) < 0 ||
	    prefix_parse_network("fd00:1::/64", &net->subnets[1]) < 0)
		abort();
	net->subnet_count = 2;
	endpoint = inv_network_add_endpoint(net);
	if (endpoint == NULL || prefix_parse_address("10.1.0.5", &endpoint->ipv4) < 0)
		abort();
	strcpy(endpoint->name, "app1");
	return &inv;
}

/* The decoder's promises about one event, and the drop log's about its line. */
static void fuzz_pktlog_check(const struct pktlog_event *event)
{
	struct droplog_event drop;
	char line[160], drop_line[768];

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
	if (droplog_resolve(fuzz_pktlog_inventory(), event, &drop) == 0) {
		droplog_format(&drop, drop_line, sizeof(drop_line));
		if (memchr(drop_line, '\0', sizeof(drop_line)) == NULL ||
		    strncmp(event->prefix, "tjd ", 4) != 0)
			abort();
	}
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
