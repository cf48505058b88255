/*
 * Netlink datagrams tjd may act on: sent by the kernel, and whole.
 *
 * Any local process can send a datagram to a netlink socket whose port it
 * knows or guesses, including a process inside the container whose network
 * namespace tjd opened a socket in.  libmnl's mnl_socket_recvfrom does not
 * say who the sender was, and mnl_cb_run stops quietly at a message that
 * runs past the end of the datagram; both checks live here, once, for every
 * netlink reader in tjd (netns.c, the nftables monitor, nft-owner.c).
 */
#ifndef TJD_NETLINK_H
#define TJD_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mnl_socket;

/*
 * Receives one datagram (flags as for recv, e.g. MSG_DONTWAIT): its length;
 * 0 when someone other than the kernel sent it (it is dropped); -1 with
 * errno set, ENOSPC when it was larger than the buffer (its rest is lost).
 */
ssize_t netlink_receive(struct mnl_socket *sock, void *buffer, size_t size, int flags);
/* The same on a netlink socket that is not libmnl's (libnftables' own, for one). */
ssize_t netlink_receive_fd(int fd, void *buffer, size_t size, int flags);

/* Tells whether a datagram is a run of netlink messages that ends exactly at its end. */
bool netlink_datagram_whole(const void *buffer, size_t length);

#endif
