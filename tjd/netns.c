#include "config.h"

#include "common/error.h"

#include "tjd/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/log.h"

/* Big enough for any rtnetlink dump message; larger ones are reported as truncated. */
#define NETNS_RECV_BUFFER 65536
/* A netlink answer that takes longer than this means something is badly wrong. */
#define NETNS_RECV_TIMEOUT_S 2
#define NETNS_MAC_LEN 6

/* What one RTM_NEWLINK message says about a link. */
struct netns_link {
	int index;
	char name[IF_NAMESIZE];
	unsigned char address[NETNS_MAC_LEN];
	bool has_address;
	int peer_index; /* IFLA_LINK */
	bool has_peer;
	int master;    /* IFLA_MASTER, 0 if none */
	char kind[16]; /* IFLA_LINKINFO/IFLA_INFO_KIND, "" if none */
};

/* Called for each link; returns 0 to continue, -1 to fail the walk. */
typedef int (*netns_link_fn)(const struct netns_link *link, void *arg, char *err, size_t errlen);

/* Parses "02:42:ac:11:00:02" (either case). */
static int netns_parse_mac(const char *text, unsigned char mac[NETNS_MAC_LEN])
{
	if (text == NULL || strlen(text) != 17)
		return -1;
	for (int i = 0; i < NETNS_MAC_LEN; i++) {
		unsigned int value = 0;
		for (int j = 0; j < 2; j++) {
			char c = text[i * 3 + j];
			value <<= 4;
			if (c >= '0' && c <= '9')
				value |= (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				value |= (unsigned int)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				value |= (unsigned int)(c - 'A' + 10);
			else
				return -1;
		}
		if (i < NETNS_MAC_LEN - 1 && text[i * 3 + 2] != ':')
			return -1;
		mac[i] = (unsigned char)value;
	}
	return 0;
}

/* Opens a NETLINK_ROUTE socket in the calling thread's current namespace. */
static int netns_netlink_open(char *err, size_t errlen)
{
	struct timeval timeout = {.tv_sec = NETNS_RECV_TIMEOUT_S};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		error_format(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
		error_format(err, errlen, "netlink socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads IFLA_LINKINFO's nested IFLA_INFO_KIND, checking every length. */
static void netns_parse_linkinfo(const struct rtattr *nest, struct netns_link *link)
{
	const struct rtattr *rta = RTA_DATA(nest);
	int len = (int)RTA_PAYLOAD(nest);

	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t payload = RTA_PAYLOAD(rta);
		const char *data = RTA_DATA(rta);
		size_t n = strnlen(data, payload);

		if ((rta->rta_type & NLA_TYPE_MASK) != IFLA_INFO_KIND)
			continue;
		/* The kernel NUL-terminates the kind; do not rely on it. */
		if (n >= sizeof(link->kind))
			continue;
		memcpy(link->kind, data, n);
		link->kind[n] = '\0';
	}
}

/* Decodes one RTM_NEWLINK message; -1 if it is malformed. */
static int netns_parse_link(const struct nlmsghdr *nlh, struct netns_link *link)
{
	const struct ifinfomsg *ifi;
	const struct rtattr *rta;
	int len;

	memset(link, 0, sizeof(*link));
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	ifi = NLMSG_DATA(nlh);
	link->index = ifi->ifi_index;
	len = (int)(nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t payload = RTA_PAYLOAD(rta);
		const void *data = RTA_DATA(rta);

		switch (rta->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME: {
			size_t n = strnlen(data, payload);
			if (n == 0 || n >= sizeof(link->name))
				return -1;
			memcpy(link->name, data, n);
			link->name[n] = '\0';
			break;
		}
		case IFLA_ADDRESS:
			if (payload == NETNS_MAC_LEN) {
				memcpy(link->address, data, NETNS_MAC_LEN);
				link->has_address = true;
			}
			break;
		case IFLA_LINK:
			if (payload < sizeof(int32_t))
				return -1;
			memcpy(&link->peer_index, data, sizeof(int32_t));
			link->has_peer = true;
			break;
		case IFLA_MASTER:
			if (payload < sizeof(int32_t))
				return -1;
			memcpy(&link->master, data, sizeof(int32_t));
			break;
		case IFLA_LINKINFO:
			netns_parse_linkinfo(rta, link);
			break;
		default:
			break;
		}
	}
	return 0;
}

/*
 * Sends RTM_GETLINK (a dump when index is 0, else one link) and calls fn
 * for every link in the answer.  Every length is checked before use.
 */
static int netns_links(int fd, int index, netns_link_fn fn, void *arg, char *err, size_t errlen)
{
	static uint32_t sequence;
	char *buf;
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
	} request;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	uint32_t seq = ++sequence;
	bool done = false;
	int ret = -1;

	memset(&request, 0, sizeof(request));
	request.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(request.ifi));
	request.nlh.nlmsg_type = RTM_GETLINK;
	request.nlh.nlmsg_flags = NLM_F_REQUEST | (index == 0 ? NLM_F_DUMP : 0);
	request.nlh.nlmsg_seq = seq;
	request.ifi.ifi_family = AF_UNSPEC;
	request.ifi.ifi_index = index;
	if (sendto(fd, &request, request.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		error_format(err, errlen, "netlink send: %s", strerror(errno));
		return -1;
	}
	/* malloc'd memory is aligned for struct nlmsghdr. */
	buf = malloc(NETNS_RECV_BUFFER);
	if (buf == NULL) {
		error_format(err, errlen, "netlink: out of memory");
		return -1;
	}
	while (!done) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t got;
		const char *next;
		size_t remaining;

		got = recvfrom(fd, buf, NETNS_RECV_BUFFER, MSG_TRUNC, (struct sockaddr *)&from,
			       &fromlen);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			error_format(err, errlen, "netlink receive: %s", strerror(errno));
			goto out;
		}
		if ((size_t)got > NETNS_RECV_BUFFER) {
			error_format(err, errlen, "netlink receive: message truncated");
			goto out;
		}
		if (fromlen < sizeof(from) || from.nl_pid != 0)
			continue; /* not from the kernel */
		next = buf;
		remaining = (size_t)got;
		while (!done && remaining >= sizeof(struct nlmsghdr)) {
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)next;
			size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
			struct netns_link link;

			if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > remaining) {
				error_format(err, errlen, "netlink: malformed message");
				goto out;
			}
			if (step > remaining)
				step = remaining;
			next += step;
			remaining -= step;
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);
				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					error_format(err, errlen, "netlink: short error message");
					goto out;
				}
				if (e->error == 0) { /* an ACK */
					done = true;
					break;
				}
				error_format(err, errlen, "netlink RTM_GETLINK %d: %s", index,
					     strerror(-e->error));
				goto out;
			}
			if (nlh->nlmsg_type != RTM_NEWLINK)
				continue;
			if (netns_parse_link(nlh, &link) < 0) {
				error_format(err, errlen, "netlink: malformed link message");
				goto out;
			}
			if (fn(&link, arg, err, errlen) < 0)
				goto out;
			/* A single-link query ends with its one answer. */
			if (index != 0 && !(nlh->nlmsg_flags & NLM_F_MULTI))
				done = true;
		}
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* State of the search for the container's interface. */
struct netns_search {
	unsigned char mac[NETNS_MAC_LEN];
	int matches;
	struct netns_link found;
};

/* netns_links callback: remembers the link with the wanted MAC. */
static int netns_match_mac(const struct netns_link *link, void *arg, char *err, size_t errlen)
{
	struct netns_search *search = arg;

	if (!link->has_address || memcmp(link->address, search->mac, NETNS_MAC_LEN) != 0)
		return 0;
	search->matches++;
	search->found = *link;
	return 0;
}

/* netns_links callback: copies the one link asked for. */
static int netns_copy_link(const struct netns_link *link, void *arg, char *err, size_t errlen)
{
	struct netns_link *out = arg;

	*out = *link;
	return 0;
}

/*
 * Opens a netlink socket inside the namespace at sandbox_key.  The thread
 * always comes back to its own namespace; if it cannot, nothing it does
 * afterwards would be where it thinks, so that is fatal.
 */
static int netns_open_in(const char *sandbox_key, char *err, size_t errlen)
{
	int sandbox_fd = -1, self_fd = -1, fd = -1;
	char inner_err[128] = "";

	sandbox_fd = open(sandbox_key, O_RDONLY | O_CLOEXEC);
	if (sandbox_fd < 0) {
		error_format(err, errlen, "%s: %s", sandbox_key, strerror(errno));
		goto out;
	}
	self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		error_format(err, errlen, "/proc/thread-self/ns/net: %s", strerror(errno));
		goto out;
	}
	if (setns(sandbox_fd, CLONE_NEWNET) < 0) {
		error_format(err, errlen, "setns %s: %s", sandbox_key, strerror(errno));
		goto out;
	}
	fd = netns_netlink_open(inner_err, sizeof(inner_err));
	if (setns(self_fd, CLONE_NEWNET) < 0)
		fatal("cannot return to own network namespace after entering %s", sandbox_key);
	if (fd < 0)
		error_format(err, errlen, "%s: %s", sandbox_key, inner_err);
out:
	if (self_fd >= 0)
		close(self_fd);
	if (sandbox_fd >= 0)
		close(sandbox_fd);
	return fd;
}

/*
 * Finds the other end of the container's interface with MAC `mac` in the
 * namespace at outer_path (tjd's own when NULL): a veth that points back
 * at the container's interface and is enslaved to a bridge (named `bridge`
 * unless NULL).
 */
static int netns_peer_port(const char *sandbox_key, const char *mac, const char *outer_path,
			   const char *bridge, char *port, size_t portlen, char *err, size_t errlen)
{
	const char *where = outer_path != NULL ? outer_path : "tjd's namespace";
	const char *hint = outer_path != NULL ? "" : "; is tjd in dockerd's network namespace?";
	struct netns_search search;
	struct netns_link host, master;
	char inner_err[128] = "";
	int inner_fd = -1, outer_fd = -1;
	int ret = -1;

	memset(&search, 0, sizeof(search));
	if (port == NULL || portlen == 0) {
		error_format(err, errlen, "no room for the port name");
		return -1;
	}
	port[0] = '\0';
	if (sandbox_key == NULL || sandbox_key[0] != '/' ||
	    (outer_path != NULL && outer_path[0] != '/')) {
		error_format(err, errlen, "namespace path is not absolute");
		return -1;
	}
	if (netns_parse_mac(mac, search.mac) < 0) {
		error_format(err, errlen, "invalid MAC address \"%.32s\"", mac ? mac : "");
		return -1;
	}

	inner_fd = netns_open_in(sandbox_key, err, errlen);
	if (inner_fd < 0)
		goto out;
	if (netns_links(inner_fd, 0, netns_match_mac, &search, err, errlen) < 0)
		goto out;
	if (search.matches == 0) {
		error_format(err, errlen, "%s: no interface with MAC %s", sandbox_key, mac);
		goto out;
	}
	if (search.matches > 1) {
		error_format(err, errlen, "%s: %d interfaces with MAC %s", sandbox_key,
			     search.matches, mac);
		goto out;
	}
	if (!search.found.has_peer || search.found.peer_index <= 0 ||
	    search.found.peer_index == search.found.index) {
		error_format(err, errlen, "%s: interface %s has no peer (not a veth)", sandbox_key,
			     search.found.name);
		goto out;
	}

	/*
	 * IFLA_LINK is an index in the namespace Docker created the veth in
	 * (dockerd's for a bridge network, the overlay namespace for an
	 * overlay).  Check the link we find there really is the other end: a
	 * veth pointing back at the container's interface, enslaved to a bridge.
	 */
	outer_fd = outer_path != NULL ? netns_open_in(outer_path, err, errlen)
				      : netns_netlink_open(err, errlen);
	if (outer_fd < 0)
		goto out;
	memset(&host, 0, sizeof(host));
	if (netns_links(outer_fd, search.found.peer_index, netns_copy_link, &host, inner_err,
			sizeof(inner_err)) < 0) {
		error_format(err, errlen, "peer of %s (index %d) in %s: %s%s", search.found.name,
			     search.found.peer_index, where, inner_err, hint);
		goto out;
	}
	if (host.index != search.found.peer_index || host.name[0] == '\0') {
		error_format(err, errlen, "peer of %s (index %d) not found in %s",
			     search.found.name, search.found.peer_index, where);
		goto out;
	}
	if (strcmp(host.kind, "veth") != 0 || !host.has_peer ||
	    host.peer_index != search.found.index) {
		error_format(err, errlen,
			     "interface %s (index %d) in %s is not the veth peer of %s%s",
			     host.name, host.index, where, search.found.name, hint);
		goto out;
	}
	if (host.master <= 0) {
		error_format(err, errlen, "veth %s is not attached to a bridge", host.name);
		goto out;
	}
	memset(&master, 0, sizeof(master));
	if (netns_links(outer_fd, host.master, netns_copy_link, &master, err, errlen) < 0)
		goto out;
	if (strcmp(master.kind, "bridge") != 0) {
		error_format(err, errlen, "veth %s is enslaved to %s, which is not a bridge",
			     host.name, master.name);
		goto out;
	}
	if (bridge != NULL && strcmp(master.name, bridge) != 0) {
		error_format(err, errlen, "veth %s is enslaved to %s, not %s", host.name,
			     master.name, bridge);
		goto out;
	}
	if (strlen(host.name) >= portlen) {
		error_format(err, errlen, "port name %s too long", host.name);
		goto out;
	}
	memcpy(port, host.name, strlen(host.name) + 1);
	ret = 0;
out:
	if (inner_fd >= 0)
		close(inner_fd);
	if (outer_fd >= 0)
		close(outer_fd);
	return ret;
}

int netns_bridge_port(const char *sandbox_key, const char *mac, char *port, size_t portlen,
		      char *err, size_t errlen)
{
	return netns_peer_port(sandbox_key, mac, NULL, NULL, port, portlen, err, errlen);
}

int netns_overlay_port(const char *sandbox_key, const char *mac, const char *overlay_netns,
		       const char *bridge, char *port, size_t portlen, char *err, size_t errlen)
{
	if (overlay_netns == NULL || bridge == NULL) {
		error_format(err, errlen, "no overlay namespace or bridge given");
		return -1;
	}
	return netns_peer_port(sandbox_key, mac, overlay_netns, bridge, port, portlen, err, errlen);
}

int netns_enter(const char *path, int *saved_fd, char *err, size_t errlen)
{
	int target_fd, self_fd;

	*saved_fd = -1;
	target_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (target_fd < 0) {
		int saved_errno = errno;

		error_format(err, errlen, "%s: %s", path, strerror(saved_errno));
		errno = saved_errno;
		return -1;
	}
	self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		error_format(err, errlen, "/proc/thread-self/ns/net: %s", strerror(errno));
		close(target_fd);
		return -1;
	}
	if (setns(target_fd, CLONE_NEWNET) < 0) {
		int saved_errno = errno;

		error_format(err, errlen, "setns %s: %s", path, strerror(saved_errno));
		close(target_fd);
		close(self_fd);
		errno = saved_errno; /* callers tell "not a namespace" (EINVAL) apart */
		return -1;
	}
	close(target_fd);
	*saved_fd = self_fd;
	return 0;
}

void netns_leave(int saved_fd, const char *path)
{
	if (setns(saved_fd, CLONE_NEWNET) < 0)
		fatal("cannot return to own network namespace after entering %s", path);
	close(saved_fd);
}
