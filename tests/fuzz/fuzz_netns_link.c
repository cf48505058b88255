/*
 * Fuzz target: what tjd/netns.c reads of the kernel's RTM_GETLINK answers
 * (netns_link_read, every message of a datagram that netlink_datagram_whole
 * accepts), and the host-side route's choice of a port (netns_peer_match)
 * over the links so read.  Input: the MAC looked for (6 bytes), then one
 * datagram.
 */
#include "config.h"

#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/netlink.h"
#include "tjd/netns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Most links one input is turned into. */
#define FUZZ_NETNS_PEERS 64

/* Aborts unless text is NUL-terminated within size bytes. */
static void fuzz_netns_terminated(const char *text, size_t size)
{
	if (memchr(text, '\0', size) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct nlmsghdr header;
		uint8_t bytes[65536];
	} datagram;
	struct netns_peer peers[FUZZ_NETNS_PEERS];
	char mac[18], port[NETNS_IFNAMSIZ], err[256];
	size_t count = 0, length, at = 0, matches = 0, same = 0;
	int ret;

	if (size < NETNS_MAC_LEN)
		return 0;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", data[0], data[1], data[2],
		 data[3], data[4], data[5]);
	length = size - NETNS_MAC_LEN;
	if (length > sizeof(datagram.bytes))
		length = sizeof(datagram.bytes);
	/* an aligned copy, as a receive buffer is */
	memcpy(datagram.bytes, data + NETNS_MAC_LEN, length);
	if (!netlink_datagram_whole(datagram.bytes, length))
		return 0;
	while (at < length) {
		const struct nlmsghdr *message = (const struct nlmsghdr *)(datagram.bytes + at);
		struct netns_link link;
		int decoded = netns_link_read(message, length - at, &link);

		if (decoded < -1 || decoded > 1)
			abort();
		if (decoded == 1) {
			fuzz_netns_terminated(link.name, sizeof(link.name));
			fuzz_netns_terminated(link.kind, sizeof(link.kind));
			if (link.name[0] != '\0' && count < FUZZ_NETNS_PEERS) {
				memset(&peers[count], 0, sizeof(peers[count]));
				memcpy(peers[count].port, link.name, sizeof(link.name));
				memcpy(peers[count].mac, link.address, NETNS_MAC_LEN);
				peers[count].port_index = link.index;
				count++;
			}
		}
		at += NLMSG_ALIGN(message->nlmsg_len);
	}
	/* a port is chosen only when exactly one has the MAC, and it is that one */
	for (size_t i = 0; i < count; i++)
		same += memcmp(peers[i].mac, data, NETNS_MAC_LEN) == 0;
	ret = netns_peer_match(peers, count, mac, &matches, port, sizeof(port), err, sizeof(err));
	if (matches != same || (ret == 0) != (same == 1))
		abort();
	if (ret == 0) {
		size_t i;
		for (i = 0; i < count; i++)
			if (memcmp(peers[i].mac, data, NETNS_MAC_LEN) == 0)
				break;
		if (i == count || strcmp(port, peers[i].port) != 0)
			abort();
	} else if (port[0] != '\0' || memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	return 0;
}
