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
	return netlink_receive_fd(mnl_socket_get_fd(sock), buffer, size, flags);
}

ssize_t netlink_receive_fd(int fd, void *buffer, size_t size, int flags)
{
	struct sockaddr_nl sender;
	socklen_t sender_length = sizeof(sender);
	ssize_t got;

	got = recvfrom(fd, buffer, size, flags | MSG_TRUNC, (struct sockaddr *)&sender,
		       &sender_length);
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
	const unsigned char *at = buffer;
	size_t left = length;

	if (length == 0 || length > INT_MAX)
		return false;
	/*
	 * By hand: libmnl's mnl_nlmsg_ok compares the length as an int, so a
	 * message claiming 2 GiB or more passes it and the walk leaves the
	 * buffer.
	 */
	while (left > 0) {
		const struct nlmsghdr *message = (const struct nlmsghdr *)at;
		size_t size;

		if (left < sizeof(*message))
			return false;
		size = message->nlmsg_len;
		if (size < sizeof(*message) || size > left)
			return false;
		/* the last message's padding may be missing: nothing else may be */
		size = NLMSG_ALIGN(size);
		if (size >= left)
			return true;
		at += size;
		left -= size;
	}
	return true;
}
