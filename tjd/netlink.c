/*
 * See netlink.h.  recvfrom rather than mnl_socket_recvfrom, for the
 * sender's address; MSG_TRUNC so a datagram larger than the buffer is
 * reported, not parsed cut short.
 */
#include "config.h"

#include "tjd/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <sys/socket.h>

ssize_t netlink_receive(struct mnl_socket *sock, void *buffer, size_t size, int flags)
{
	struct sockaddr_nl sender;
	socklen_t sender_length = sizeof(sender);
	ssize_t got;

	got = recvfrom(mnl_socket_get_fd(sock), buffer, size, flags | MSG_TRUNC,
		       (struct sockaddr *)&sender, &sender_length);
	if (got < 0)
		return -1;
	if (sender_length != sizeof(sender) || sender.nl_family != AF_NETLINK || sender.nl_pid != 0)
		return 0;
	if ((size_t)got > size) {
		errno = ENOSPC;
		return -1;
	}
	return got;
}

bool netlink_datagram_whole(const void *buffer, size_t length)
{
	const struct nlmsghdr *message = buffer;
	int remaining;

	if (length == 0 || length > INT_MAX)
		return false;
	remaining = (int)length;
	while (mnl_nlmsg_ok(message, remaining))
		message = mnl_nlmsg_next(message, &remaining);
	/* the last message's padding may be missing: nothing else may be */
	return remaining <= 0 && remaining > -(int)NLMSG_ALIGNTO;
}
