/*
 * A container's bridge port, found through rtnetlink (libmnl).
 *
 * Docker reports a container's MAC address and its network namespace
 * (NetworkSettings.SandboxKey); the bridge port an allowance is bound to is
 * the other end of that container's veth.  The lookup has two halves, each
 * a few RTM_GETLINK requests on a socket in the namespace it asks about:
 *
 *   inside   dump the container's links, find the one with the MAC and read
 *            its IFLA_LINK: the peer's ifindex in the namespace the veth was
 *            created in (dockerd's, or an overlay network's)
 *   outside  ask that namespace for the ifindex and check it really is the
 *            other end: a veth pointing back at the container's interface,
 *            enslaved to a bridge
 *
 * Today the inside socket is opened by entering the sandbox (setns, which
 * needs CAP_SYS_ADMIN) just long enough to create it.  A lookup from the
 * host side with CAP_NET_ADMIN alone would differ only in how it reaches
 * the inside: the sandbox's nsid from tjd's own socket (RTM_GETNSID with
 * NETNSA_FD on the opened SandboxKey), then the same dump carrying
 * IFLA_TARGET_NETNSID.  netns_request_links is where that attribute goes;
 * both halves would be reused as they are.
 *
 * Trust: a process in the container can send datagrams to a socket opened
 * in its namespace, so only the kernel's are read (netlink_receive), and
 * mnl_cb_run checks each answer carries our port and sequence number.
 * Every attribute is validated (mnl_attr_validate) before its payload is
 * read; a request is bounded in links and datagrams, each receive in time.
 * Only a regular file is opened as a namespace, without following a final
 * symlink, so a FIFO cannot block the daemon nor a device be opened.  The
 * thread always returns to its own namespace: if it cannot, nothing it did
 * afterwards would happen where it thinks, so that is fatal.
 */
#include "config.h"

#include "tjd/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "tjd/netlink.h"

/* Big enough for any rtnetlink dump datagram; a larger one fails the lookup. */
#define NETNS_RECV_BUFFER 65536
/* A netlink answer that takes longer than this means something is badly wrong. */
#define NETNS_RECV_TIMEOUT_S 2
/* More links than this in one namespace, even the host's with every container's veth, is not real.
 */
#define NETNS_LINKS_MAX 65536
/* Datagrams one request may read, the kernel's and dropped ones alike. */
#define NETNS_DATAGRAMS_MAX 8192
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

/* Called for each link; returns 0 to continue, -1 (err set) to fail the request. */
typedef int (*netns_link_fn)(const struct netns_link *link, void *arg, char *err, size_t errlen);

/* One RTM_GETLINK request being answered. */
struct netns_request {
	int index; /* 0 for a dump */
	netns_link_fn fn;
	void *arg;
	unsigned int links; /* answered so far */
	char *err;
	size_t errlen;
	bool failed; /* err says why */
};

/* State of the search for the container's interface. */
struct netns_search {
	unsigned char mac[NETNS_MAC_LEN];
	int matches;
	struct netns_link found;
};

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
static struct mnl_socket *netns_socket_open(char *err, size_t errlen)
{
	struct timeval timeout = {.tv_sec = NETNS_RECV_TIMEOUT_S};
	struct mnl_socket *sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);

	if (sock == NULL) {
		error_format(err, errlen, "netlink socket: %s", strerror(errno));
		return NULL;
	}
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout)) < 0 ||
	    mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		error_format(err, errlen, "netlink socket: %s", strerror(errno));
		mnl_socket_close(sock);
		return NULL;
	}
	return sock;
}

/* mnl_attr_parse_nested callback: IFLA_LINKINFO's IFLA_INFO_KIND, when it is one. */
static int netns_linkinfo_attribute(const struct nlattr *attribute, void *data)
{
	struct netns_link *link = data;
	size_t length = mnl_attr_get_payload_len(attribute);

	/* an unreadable kind is no kind: the link then matches none we look for */
	if (mnl_attr_get_type(attribute) != IFLA_INFO_KIND ||
	    mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) < 0 || length > sizeof(link->kind))
		return MNL_CB_OK;
	memcpy(link->kind, mnl_attr_get_str(attribute), length);
	return MNL_CB_OK;
}

/* mnl_attr_parse callback: the RTM_NEWLINK attributes tjd reads, each validated first. */
static int netns_link_attribute(const struct nlattr *attribute, void *data)
{
	struct netns_link *link = data;
	size_t length;

	switch (mnl_attr_get_type(attribute)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		length = strlen(mnl_attr_get_str(attribute));
		if (length == 0 || length >= sizeof(link->name))
			return MNL_CB_ERROR;
		memcpy(link->name, mnl_attr_get_str(attribute), length + 1);
		break;
	case IFLA_ADDRESS:
		/* not every link has an Ethernet address; the others keep none */
		if (mnl_attr_get_payload_len(attribute) == NETNS_MAC_LEN) {
			memcpy(link->address, mnl_attr_get_payload(attribute), NETNS_MAC_LEN);
			link->has_address = true;
		}
		break;
	case IFLA_LINK:
		if (mnl_attr_validate(attribute, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		link->peer_index = (int)mnl_attr_get_u32(attribute);
		link->has_peer = true;
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(attribute, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		link->master = (int)mnl_attr_get_u32(attribute);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attribute, MNL_TYPE_NESTED) == 0)
			(void)mnl_attr_parse_nested(attribute, netns_linkinfo_attribute, link);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* mnl_cb_run callback: decodes one RTM_NEWLINK and hands it to the request's fn. */
static int netns_link_message(const struct nlmsghdr *message, void *data)
{
	struct netns_request *request = data;
	const struct ifinfomsg *ifi;
	struct netns_link link;

	if (message->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	memset(&link, 0, sizeof(link));
	if (mnl_nlmsg_get_payload_len(message) < sizeof(*ifi) ||
	    mnl_attr_parse(message, sizeof(*ifi), netns_link_attribute, &link) < 0) {
		error_format(request->err, request->errlen, "netlink: malformed link message");
		goto fail;
	}
	ifi = mnl_nlmsg_get_payload(message);
	link.index = ifi->ifi_index;
	if (++request->links > NETNS_LINKS_MAX) {
		error_format(request->err, request->errlen, "netlink: more than %d interfaces",
			     NETNS_LINKS_MAX);
		goto fail;
	}
	if (request->fn(&link, request->arg, request->err, request->errlen) < 0)
		goto fail;
	/* A single-link query ends with its one answer. */
	if (request->index != 0 && !(message->nlmsg_flags & NLM_F_MULTI))
		return MNL_CB_STOP;
	return MNL_CB_OK;
fail:
	request->failed = true;
	return MNL_CB_ERROR;
}

/* Writes RTM_GETLINK into buffer: a dump when index is 0, else the link with that index. */
static struct nlmsghdr *netns_request_links(void *buffer, uint32_t seq, int index)
{
	struct nlmsghdr *message = mnl_nlmsg_put_header(buffer);
	struct ifinfomsg *ifi;

	message->nlmsg_type = RTM_GETLINK;
	message->nlmsg_flags = NLM_F_REQUEST | (index == 0 ? NLM_F_DUMP : 0);
	message->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(message, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return message;
}

/* Says why mnl_cb_run gave up on the answer to RTM_GETLINK, from the errno it left. */
static void netns_answer_error(int index, char *err, size_t errlen)
{
	if (errno == EINTR)
		error_format(err, errlen, "netlink RTM_GETLINK %d: links changed during the dump",
			     index);
	else if (errno == ESRCH || errno == EPROTO)
		error_format(err, errlen, "netlink RTM_GETLINK %d: answer to another request",
			     index);
	else
		error_format(err, errlen, "netlink RTM_GETLINK %d: %s", index, strerror(errno));
}

/*
 * Sends RTM_GETLINK on sock (a dump when index is 0, else one link) and
 * calls fn for every link in the answer.  Bounded in datagrams and links.
 */
static int netns_links(struct mnl_socket *sock, int index, netns_link_fn fn, void *arg, char *err,
		       size_t errlen)
{
	static uint32_t sequence;
	struct netns_request request = {
	    .index = index, .fn = fn, .arg = arg, .err = err, .errlen = errlen};
	uint32_t seq = ++sequence;
	struct nlmsghdr *message;
	int status = MNL_CB_OK;
	char *buffer;
	int ret = -1;

	/* malloc'd memory is aligned for struct nlmsghdr; the request goes out first */
	buffer = malloc(NETNS_RECV_BUFFER);
	if (buffer == NULL) {
		error_format(err, errlen, "netlink: out of memory");
		return -1;
	}
	message = netns_request_links(buffer, seq, index);
	if (mnl_socket_sendto(sock, message, message->nlmsg_len) < 0) {
		error_format(err, errlen, "netlink send: %s", strerror(errno));
		goto out;
	}
	for (int datagrams = 0; status > MNL_CB_STOP; datagrams++) {
		ssize_t got;

		if (datagrams == NETNS_DATAGRAMS_MAX) {
			error_format(err, errlen,
				     "netlink: no end to the answer after %d datagrams",
				     NETNS_DATAGRAMS_MAX);
			goto out;
		}
		got = netlink_receive(sock, buffer, NETNS_RECV_BUFFER, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_format(err, errlen, "netlink receive: %s",
				     errno == ENOSPC ? "message truncated" : strerror(errno));
			goto out;
		}
		if (got == 0)
			continue; /* not from the kernel */
		if (!netlink_datagram_whole(buffer, (size_t)got)) {
			error_format(err, errlen, "netlink: malformed message");
			goto out;
		}
		status = mnl_cb_run(buffer, (size_t)got, seq, mnl_socket_get_portid(sock),
				    netns_link_message, &request);
		if (status < MNL_CB_STOP && !request.failed)
			netns_answer_error(index, err, errlen);
	}
	if (status < MNL_CB_STOP)
		goto out;
	ret = 0;
out:
	free(buffer);
	return ret;
}

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
 * Opens the namespace file at path for setns: a regular file (what nsfs
 * files are, bind-mounted or not), not reached through a final symlink,
 * and the very file looked at.  Anything else fails with EINVAL, as setns
 * does for a file that is not a namespace (a symlink with ELOOP, as
 * O_NOFOLLOW would); errno is kept for the caller.
 * Messages show at most 256 characters of the path, so the reason fits.
 */
static int netns_open_file(const char *path, char *err, size_t errlen)
{
	struct stat seen, opened;
	int saved_errno, fd;

	if (lstat(path, &seen) < 0) {
		saved_errno = errno;
		error_format(err, errlen, "%.256s: %s", path, strerror(saved_errno));
		errno = saved_errno;
		return -1;
	}
	if (!S_ISREG(seen.st_mode)) {
		error_format(err, errlen, "%.256s: not a network namespace (%s)", path,
			     S_ISLNK(seen.st_mode) ? "a symbolic link" : "not a regular file");
		errno = S_ISLNK(seen.st_mode) ? ELOOP : EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		saved_errno = errno;
		error_format(err, errlen, "%.256s: %s", path, strerror(saved_errno));
		errno = saved_errno;
		return -1;
	}
	if (fstat(fd, &opened) < 0 || opened.st_dev != seen.st_dev ||
	    opened.st_ino != seen.st_ino) {
		error_format(err, errlen, "%.256s: replaced while being opened", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Opens a netlink socket inside the namespace at path; the thread always comes back. */
static struct mnl_socket *netns_socket_open_at(const char *path, char *err, size_t errlen)
{
	char inner_err[128] = "";
	struct mnl_socket *sock;
	int saved_fd;

	if (netns_enter(path, &saved_fd, err, errlen) < 0)
		return NULL;
	sock = netns_socket_open(inner_err, sizeof(inner_err));
	netns_leave(saved_fd, path);
	if (sock == NULL)
		error_format(err, errlen, "%s: %s", path, inner_err);
	return sock;
}

/*
 * The inside half: the one link on `inside` (the namespace at sandbox_key)
 * whose MAC is `address` (`mac` as text), which must have a peer in another
 * namespace.
 */
static int netns_container_link(struct mnl_socket *inside, const char *sandbox_key, const char *mac,
				const unsigned char address[NETNS_MAC_LEN],
				struct netns_link *found, char *err, size_t errlen)
{
	struct netns_search search;

	memset(&search, 0, sizeof(search));
	memcpy(search.mac, address, NETNS_MAC_LEN);
	if (netns_links(inside, 0, netns_match_mac, &search, err, errlen) < 0)
		return -1;
	if (search.matches == 0) {
		error_format(err, errlen, "%s: no interface with MAC %s", sandbox_key, mac);
		return -1;
	}
	if (search.matches > 1) {
		error_format(err, errlen, "%s: %d interfaces with MAC %s", sandbox_key,
			     search.matches, mac);
		return -1;
	}
	if (!search.found.has_peer || search.found.peer_index <= 0 ||
	    search.found.peer_index == search.found.index) {
		error_format(err, errlen, "%s: interface %s has no peer (not a veth)", sandbox_key,
			     search.found.name);
		return -1;
	}
	*found = search.found;
	return 0;
}

/*
 * The outside half.  IFLA_LINK is an index in the namespace Docker created
 * the veth in (dockerd's for a bridge network, the overlay namespace for an
 * overlay), here `outside`, named `where` in messages.  Checks the link
 * with that index really is the other end: a veth pointing back at the
 * container's interface, enslaved to a bridge (named `bridge` unless NULL).
 */
static int netns_host_port(struct mnl_socket *outside, const char *where, const char *hint,
			   const struct netns_link *inner, const char *bridge, char *port,
			   size_t portlen, char *err, size_t errlen)
{
	struct netns_link host, master;
	char inner_err[128] = "";

	memset(&host, 0, sizeof(host));
	if (netns_links(outside, inner->peer_index, netns_copy_link, &host, inner_err,
			sizeof(inner_err)) < 0) {
		error_format(err, errlen, "peer of %s (index %d) in %s: %s%s", inner->name,
			     inner->peer_index, where, inner_err, hint);
		return -1;
	}
	if (host.index != inner->peer_index || host.name[0] == '\0') {
		error_format(err, errlen, "peer of %s (index %d) not found in %s", inner->name,
			     inner->peer_index, where);
		return -1;
	}
	if (strcmp(host.kind, "veth") != 0 || !host.has_peer || host.peer_index != inner->index) {
		error_format(err, errlen,
			     "interface %s (index %d) in %s is not the veth peer of %s%s",
			     host.name, host.index, where, inner->name, hint);
		return -1;
	}
	if (host.master <= 0) {
		error_format(err, errlen, "veth %s is not attached to a bridge", host.name);
		return -1;
	}
	memset(&master, 0, sizeof(master));
	if (netns_links(outside, host.master, netns_copy_link, &master, err, errlen) < 0)
		return -1;
	if (strcmp(master.kind, "bridge") != 0) {
		error_format(err, errlen, "veth %s is enslaved to %s, which is not a bridge",
			     host.name, master.name);
		return -1;
	}
	if (bridge != NULL && strcmp(master.name, bridge) != 0) {
		error_format(err, errlen, "veth %s is enslaved to %s, not %s", host.name,
			     master.name, bridge);
		return -1;
	}
	if (strlen(host.name) >= portlen) {
		error_format(err, errlen, "port name %s too long", host.name);
		return -1;
	}
	memcpy(port, host.name, strlen(host.name) + 1);
	return 0;
}

/*
 * Finds the other end of the container's interface with MAC `mac` in the
 * namespace at outer_path (tjd's own when NULL), entering the sandbox to
 * look inside.
 */
static int netns_peer_port(const char *sandbox_key, const char *mac, const char *outer_path,
			   const char *bridge, char *port, size_t portlen, char *err, size_t errlen)
{
	const char *where = outer_path != NULL ? outer_path : "tjd's namespace";
	const char *hint = outer_path != NULL ? "" : "; is tjd in dockerd's network namespace?";
	struct mnl_socket *inside = NULL, *outside = NULL;
	unsigned char address[NETNS_MAC_LEN];
	struct netns_link inner;
	int ret = -1;

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
	/* refuse a bad MAC before entering anything */
	if (netns_parse_mac(mac, address) < 0) {
		error_format(err, errlen, "invalid MAC address \"%.32s\"", mac ? mac : "");
		return -1;
	}
	inside = netns_socket_open_at(sandbox_key, err, errlen);
	if (inside == NULL ||
	    netns_container_link(inside, sandbox_key, mac, address, &inner, err, errlen) < 0)
		goto out;
	outside = outer_path != NULL ? netns_socket_open_at(outer_path, err, errlen)
				     : netns_socket_open(err, errlen);
	if (outside == NULL ||
	    netns_host_port(outside, where, hint, &inner, bridge, port, portlen, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	if (inside != NULL)
		mnl_socket_close(inside);
	if (outside != NULL)
		mnl_socket_close(outside);
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

/* What netns_collect_member gathers. */
struct netns_members {
	int bridge;
	char (*ports)[16];
	size_t max;
	size_t count;
};

/* netns_links callback: keeps the links enslaved to the bridge. */
static int netns_collect_member(const struct netns_link *link, void *arg, char *err, size_t errlen)
{
	struct netns_members *members = arg;

	if (link->master != members->bridge)
		return 0;
	if (members->count == members->max) {
		error_format(err, errlen, "bridge has more than %zu ports", members->max);
		return -1;
	}
	snprintf(members->ports[members->count++], 16, "%.15s", link->name);
	return 0;
}

int netns_bridge_members(const char *bridge, char (*ports)[16], size_t max, size_t *count,
			 char *err, size_t errlen)
{
	struct netns_members members = {.ports = ports, .max = max};
	struct mnl_socket *sock;
	int ret;

	*count = 0;
	members.bridge = (int)if_nametoindex(bridge);
	if (members.bridge == 0) {
		error_format(err, errlen, "bridge %.15s: %s", bridge, strerror(errno));
		return -1;
	}
	sock = netns_socket_open(err, errlen);
	if (sock == NULL)
		return -1;
	ret = netns_links(sock, 0, netns_collect_member, &members, err, errlen);
	mnl_socket_close(sock);
	if (ret == 0)
		*count = members.count;
	return ret;
}

int netns_enter(const char *path, int *saved_fd, char *err, size_t errlen)
{
	int target_fd, self_fd;

	*saved_fd = -1;
	target_fd = netns_open_file(path, err, errlen);
	if (target_fd < 0)
		return -1;
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
