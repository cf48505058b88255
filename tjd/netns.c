/*
 * A container's bridge port, found through rtnetlink (libmnl).
 *
 * Docker reports a container's MAC address and its network namespace
 * (NetworkSettings.SandboxKey); the bridge port an allowance is bound to is
 * the other end of that container's veth.  A bridge network's port is
 * found from tjd's own namespace with CAP_NET_ADMIN alone: the kernel
 * answers RTM_GETLINK for another namespace named by its nsid
 * (IFLA_TARGET_NETNSID, Linux 4.20), so nothing has to enter one.  Which
 * namespace is looked at decides the route (netns.h says when each runs):
 *
 *   sandbox    the nsid of the SandboxKey (RTM_GETNSID with NETNSA_FD, one
 *              allocated with RTM_NEWNSID if it has none); dump its links,
 *              find the one with the MAC and read its IFLA_LINK; in tjd's
 *              namespace that index must be a veth pointing back at it,
 *              whose other end is in the sandbox's nsid, on the bridge.
 *              The namespace Docker named is the identity: a MAC another
 *              container copies does not matter.
 *   host side  (the SandboxKey's directory is missing or empty in tjd's
 *              mount namespace) dump tjd's links, keep the veths enslaved to the bridge whose
 *              other end is in another namespace (IFLA_LINK_NETNSID and
 *              IFLA_LINK), read each other end there and keep its MAC; the
 *              MAC is then the identity, so it must name exactly one port.
 *              A container needs CAP_NET_ADMIN to change its MAC; doing so
 *              can make a lookup fail (two ports with one MAC), never bind
 *              it elsewhere, since every other end is read afresh and any
 *              one unreadable fails the table.
 *
 * Overlay networks' ports live in the overlay's namespace, whose nsids tjd
 * does not know: there the lookup enters the sandbox and the overlay
 * namespace (setns, CAP_SYS_ADMIN), as writing rules there does anyway.
 *
 * Trust: a process in a container can send datagrams to a socket opened in
 * its namespace, and any local process to tjd's, so only the kernel's are
 * read (netlink_receive), and mnl_cb_run checks each answer carries our
 * port and sequence number.  Every attribute is validated
 * (netns_link_read) before its payload is read; an answer for another
 * namespace must say which (IFLA_TARGET_NETNSID), so a kernel that ignored
 * the attribute is not taken to have answered for the container.  A
 * request is bounded in links and datagrams, each receive in time.  Only a
 * regular file is opened as a namespace, without following a final
 * symlink, so a FIFO cannot block the daemon nor a device be opened.  The
 * thread always returns to its own namespace: if it cannot, nothing it did
 * afterwards would happen where it thinks, so that is fatal.
 */
#include "config.h"

#include "tjd/netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
/* No namespace id: ask tjd's own namespace. */
#define NETNS_HERE (-1)

/* Called for each link; returns 0 to continue, -1 (err set) to fail the request. */
typedef int (*netns_link_fn)(const struct netns_link *link, void *arg, char *err, size_t errlen);

/* One RTM_GETLINK request being answered. */
struct netns_request {
	int index; /* 0 for a dump */
	int nsid;  /* the namespace asked about, NETNS_HERE for the socket's own */
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

/* Reads a 32-bit attribute's value into *value; false when it is not one. */
static bool netns_attribute_s32(const struct nlattr *attribute, int *value)
{
	if (mnl_attr_validate(attribute, MNL_TYPE_U32) < 0)
		return false;
	*value = (int)mnl_attr_get_u32(attribute);
	return true;
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
		if (!netns_attribute_s32(attribute, &link->peer_index))
			return MNL_CB_ERROR;
		link->has_peer = true;
		break;
	case IFLA_LINK_NETNSID:
		if (!netns_attribute_s32(attribute, &link->link_netnsid))
			return MNL_CB_ERROR;
		link->has_link_netnsid = true;
		break;
	case IFLA_TARGET_NETNSID:
		if (!netns_attribute_s32(attribute, &link->target_netnsid))
			return MNL_CB_ERROR;
		link->has_target_netnsid = true;
		break;
	case IFLA_MASTER:
		if (!netns_attribute_s32(attribute, &link->master))
			return MNL_CB_ERROR;
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

/*
 * Whether the attributes after a message's fixed header of `offset` bytes
 * each fit in the message: mnl_attr_parse stops quietly at one that does
 * not, and measures the last against the message's length rounded up.
 */
static bool netns_attributes_whole(const struct nlmsghdr *message, size_t offset)
{
	size_t at = MNL_ALIGN(sizeof(*message)) + MNL_ALIGN(offset);
	size_t length = message->nlmsg_len;

	while (at < length) {
		const struct nlattr *attribute =
		    (const struct nlattr *)((const char *)message + at);

		if (length - at < sizeof(*attribute) || attribute->nla_len < sizeof(*attribute) ||
		    attribute->nla_len > length - at)
			return false;
		at += MNL_ALIGN(attribute->nla_len);
	}
	return true;
}

int netns_link_read(const void *message_bytes, size_t length, struct netns_link *link)
{
	const struct nlmsghdr *message = message_bytes;
	const struct ifinfomsg *ifi;

	memset(link, 0, sizeof(*link));
	if (message == NULL || length < sizeof(*message) || message->nlmsg_len < sizeof(*message) ||
	    message->nlmsg_len > length)
		return -1;
	if (message->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (mnl_nlmsg_get_payload_len(message) < sizeof(*ifi) ||
	    !netns_attributes_whole(message, sizeof(*ifi)) ||
	    mnl_attr_parse(message, sizeof(*ifi), netns_link_attribute, link) < 0) {
		memset(link, 0, sizeof(*link));
		return -1;
	}
	ifi = mnl_nlmsg_get_payload(message);
	link->index = ifi->ifi_index;
	return 1;
}

/* mnl_cb_run callback: decodes one RTM_NEWLINK and hands it to the request's fn. */
static int netns_link_message(const struct nlmsghdr *message, void *data)
{
	struct netns_request *request = data;
	struct netns_link link;
	int decoded = netns_link_read(message, message->nlmsg_len, &link);

	if (decoded == 0)
		return MNL_CB_OK;
	if (decoded < 0) {
		error_format(request->err, request->errlen, "netlink: malformed link message");
		goto fail;
	}
	if (++request->links > NETNS_LINKS_MAX) {
		error_format(request->err, request->errlen, "netlink: more than %d interfaces",
			     NETNS_LINKS_MAX);
		goto fail;
	}
	/* an answer for another namespace says which: else it is not the one asked about */
	if (request->nsid != NETNS_HERE &&
	    (!link.has_target_netnsid || link.target_netnsid != request->nsid)) {
		error_format(request->err, request->errlen,
			     "netlink: the kernel did not answer for namespace id %d "
			     "(IFLA_TARGET_NETNSID needs Linux 4.20)",
			     request->nsid);
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

/*
 * Writes RTM_GETLINK into buffer: a dump when index is 0, else the link with
 * that index; of the namespace with id nsid, unless that is NETNS_HERE.
 */
static struct nlmsghdr *netns_request_links(void *buffer, uint32_t seq, int index, int nsid)
{
	struct nlmsghdr *message = mnl_nlmsg_put_header(buffer);
	struct ifinfomsg *ifi;

	message->nlmsg_type = RTM_GETLINK;
	message->nlmsg_flags = NLM_F_REQUEST | (index == 0 ? NLM_F_DUMP : 0);
	message->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(message, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	if (nsid != NETNS_HERE)
		mnl_attr_put_u32(message, IFLA_TARGET_NETNSID, (uint32_t)nsid);
	return message;
}

/* Says why mnl_cb_run gave up on the answer to `what`, from the errno it left. */
static void netns_answer_error(const char *what, char *err, size_t errlen)
{
	if (errno == EINTR)
		error_format(err, errlen, "netlink %s: links changed during the dump", what);
	else if (errno == ESRCH || errno == EPROTO)
		error_format(err, errlen, "netlink %s: answer to another request", what);
	else
		error_format(err, errlen, "netlink %s: %s", what, strerror(errno));
}

/* A sequence number no earlier request of this process used. */
static uint32_t netns_sequence(void)
{
	static uint32_t sequence;

	return ++sequence;
}

/*
 * Sends the request in buffer (NETNS_RECV_BUFFER bytes, reused for the
 * answers) on sock and runs cb over every answer until the kernel ends it.
 * Bounded in datagrams; `what` names the request in messages; *failed is
 * set by cb when it wrote err itself.
 */
static int netns_ask(struct mnl_socket *sock, char *buffer, const char *what, mnl_cb_t cb,
		     void *data, const bool *failed, char *err, size_t errlen)
{
	const struct nlmsghdr *message = (const struct nlmsghdr *)buffer;
	uint32_t seq = message->nlmsg_seq;
	int status = MNL_CB_OK;

	if (mnl_socket_sendto(sock, message, message->nlmsg_len) < 0) {
		error_format(err, errlen, "netlink send: %s", strerror(errno));
		return -1;
	}
	for (int datagrams = 0; status > MNL_CB_STOP; datagrams++) {
		ssize_t got;

		if (datagrams == NETNS_DATAGRAMS_MAX) {
			error_format(err, errlen,
				     "netlink: no end to the answer after %d datagrams",
				     NETNS_DATAGRAMS_MAX);
			return -1;
		}
		got = netlink_receive(sock, buffer, NETNS_RECV_BUFFER, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_format(err, errlen, "netlink receive: %s",
				     errno == ENOSPC ? "message truncated" : strerror(errno));
			return -1;
		}
		if (got == 0)
			continue; /* not from the kernel */
		if (!netlink_datagram_whole(buffer, (size_t)got)) {
			error_format(err, errlen, "netlink: malformed message");
			return -1;
		}
		status =
		    mnl_cb_run(buffer, (size_t)got, seq, mnl_socket_get_portid(sock), cb, data);
		if (status < MNL_CB_STOP && !*failed)
			netns_answer_error(what, err, errlen);
	}
	return status < MNL_CB_STOP ? -1 : 0;
}

/*
 * Sends RTM_GETLINK on sock (a dump when index is 0, else one link) about
 * the namespace with id nsid (NETNS_HERE: the socket's own) and calls fn
 * for every link in the answer.  Bounded in datagrams and links.
 */
static int netns_links(struct mnl_socket *sock, int index, int nsid, netns_link_fn fn, void *arg,
		       char *err, size_t errlen)
{
	struct netns_request request = {
	    .index = index, .nsid = nsid, .fn = fn, .arg = arg, .err = err, .errlen = errlen};
	char what[32];
	char *buffer;
	int ret;

	/* malloc'd memory is aligned for struct nlmsghdr; the request goes out first */
	buffer = malloc(NETNS_RECV_BUFFER);
	if (buffer == NULL) {
		error_format(err, errlen, "netlink: out of memory");
		return -1;
	}
	netns_request_links(buffer, netns_sequence(), index, nsid);
	snprintf(what, sizeof(what), "RTM_GETLINK %d", index);
	ret = netns_ask(sock, buffer, what, netns_link_message, &request, &request.failed, err,
			errlen);
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

/* What the answer to RTM_GETNSID says. */
struct netns_nsid_answer {
	int nsid;
	bool seen;
	bool failed; /* never set: the answer has no error of its own to tell */
};

/* mnl_attr_parse callback: NETNSA_NSID, validated. */
static int netns_nsid_attribute(const struct nlattr *attribute, void *data)
{
	struct netns_nsid_answer *answer = data;

	if (mnl_attr_get_type(attribute) != NETNSA_NSID)
		return MNL_CB_OK;
	if (!netns_attribute_s32(attribute, &answer->nsid))
		return MNL_CB_ERROR;
	answer->seen = true;
	return MNL_CB_OK;
}

/* mnl_cb_run callback: the one RTM_NEWNSID answering RTM_GETNSID. */
static int netns_nsid_message(const struct nlmsghdr *message, void *data)
{
	if (message->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(message) < MNL_ALIGN(sizeof(struct rtgenmsg)) ||
	    !netns_attributes_whole(message, sizeof(struct rtgenmsg)) ||
	    mnl_attr_parse(message, sizeof(struct rtgenmsg), netns_nsid_attribute, data) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_STOP;
}

/*
 * Sends RTM_GETNSID (or, when assign, RTM_NEWNSID asking for any id) about
 * the namespace open at fd; 0 with answer filled (GETNSID) or acknowledged.
 */
static int netns_nsid_ask(struct mnl_socket *sock, int fd, bool assign,
			  struct netns_nsid_answer *answer, char *err, size_t errlen)
{
	struct nlmsghdr *message;
	struct rtgenmsg *rtgen;
	char *buffer;
	int ret;

	buffer = malloc(NETNS_RECV_BUFFER);
	if (buffer == NULL) {
		error_format(err, errlen, "netlink: out of memory");
		return -1;
	}
	message = mnl_nlmsg_put_header(buffer);
	message->nlmsg_type = assign ? RTM_NEWNSID : RTM_GETNSID;
	message->nlmsg_flags = NLM_F_REQUEST | (assign ? NLM_F_ACK : 0);
	message->nlmsg_seq = netns_sequence();
	rtgen = mnl_nlmsg_put_extra_header(message, sizeof(*rtgen));
	rtgen->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(message, NETNSA_FD, (uint32_t)fd);
	if (assign)
		mnl_attr_put_u32(message, NETNSA_NSID, (uint32_t)NETNSA_NSID_NOT_ASSIGNED);
	memset(answer, 0, sizeof(*answer));
	ret = netns_ask(sock, buffer, assign ? "RTM_NEWNSID" : "RTM_GETNSID", netns_nsid_message,
			answer, &answer->failed, err, errlen);
	free(buffer);
	return ret;
}

/*
 * The id tjd's namespace (sock's) has for the namespace open at fd,
 * assigning one if it has none yet (as `ip netns set` would).  -1 with err
 * set when the kernel gives none.
 */
static int netns_nsid(struct mnl_socket *sock, int fd, char *err, size_t errlen)
{
	struct netns_nsid_answer answer;
	char inner_err[128] = "";

	for (int attempt = 0; attempt < 2; attempt++) {
		if (netns_nsid_ask(sock, fd, false, &answer, err, errlen) < 0)
			return -1;
		if (!answer.seen) {
			error_format(err, errlen, "netlink RTM_GETNSID: no id in the answer");
			return -1;
		}
		if (answer.nsid >= 0)
			return answer.nsid;
		if (answer.nsid != NETNSA_NSID_NOT_ASSIGNED || attempt > 0)
			break;
		/* EEXIST: someone assigned one meanwhile, which the next question reads */
		if (netns_nsid_ask(sock, fd, true, &answer, inner_err, sizeof(inner_err)) < 0 &&
		    errno != EEXIST) {
			error_format(err, errlen, "cannot give the namespace an id: %s", inner_err);
			return -1;
		}
	}
	error_format(err, errlen, "netlink RTM_GETNSID: the namespace has no id (%d)", answer.nsid);
	return -1;
}

/*
 * Opens the namespace file at path: a regular file (what nsfs files are,
 * bind-mounted or not), not reached through a final symlink, and the very
 * file looked at.  Anything else fails with EINVAL, as setns does for a
 * file that is not a namespace (a symlink with ELOOP, as O_NOFOLLOW would);
 * errno is kept for the caller.
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
 * The inside half: the one link of the namespace sock reaches as `nsid`
 * (the sandbox at sandbox_key) whose MAC is `address` (`mac` as text),
 * which must have a peer in another namespace.
 */
static int netns_container_link(struct mnl_socket *sock, int nsid, const char *sandbox_key,
				const char *mac, const unsigned char address[NETNS_MAC_LEN],
				struct netns_link *found, char *err, size_t errlen)
{
	struct netns_search search;

	memset(&search, 0, sizeof(search));
	memcpy(search.mac, address, NETNS_MAC_LEN);
	if (netns_links(sock, 0, nsid, netns_match_mac, &search, err, errlen) < 0)
		return -1;
	if (search.matches == 0) {
		error_format(err, errlen, "%.256s: no interface with MAC %s", sandbox_key, mac);
		return -1;
	}
	if (search.matches > 1) {
		error_format(err, errlen, "%.256s: %d interfaces with MAC %s", sandbox_key,
			     search.matches, mac);
		return -1;
	}
	if (!search.found.has_peer || search.found.peer_index <= 0 ||
	    search.found.peer_index == search.found.index) {
		error_format(err, errlen, "%.256s: interface %s has no peer (not a veth)",
			     sandbox_key, search.found.name);
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
 * container's interface (whose namespace is, unless nsid is NETNS_HERE,
 * the one `outside` names nsid), enslaved to a bridge (named `bridge`
 * unless NULL).
 */
static int netns_host_port(struct mnl_socket *outside, const char *where, const char *hint,
			   const struct netns_link *inner, int nsid, const char *bridge, char *port,
			   size_t portlen, char *err, size_t errlen)
{
	struct netns_link host, master;
	char inner_err[128] = "";

	memset(&host, 0, sizeof(host));
	if (netns_links(outside, inner->peer_index, NETNS_HERE, netns_copy_link, &host, inner_err,
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
	if (strcmp(host.kind, "veth") != 0 || !host.has_peer || host.peer_index != inner->index ||
	    (nsid != NETNS_HERE && (!host.has_link_netnsid || host.link_netnsid != nsid))) {
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
	if (netns_links(outside, host.master, NETNS_HERE, netns_copy_link, &master, err, errlen) <
	    0)
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

/* The sandbox route's answer when tjd does not see dockerd's namespace directory. */
#define NETNS_UNSEEN 1

/*
 * Whether the directory holding path can be dockerd's namespace directory
 * as tjd sees it: false only when it (or one above it) is missing, or it
 * is empty.  dockerd's holds the namespace of every running container with
 * a network, the one just reported among them; an empty one is a mount
 * point nothing was mounted on (tjd's image has /var/run/docker/netns).
 */
static bool netns_directory_dockerd(const char *path)
{
	const char *slash = strrchr(path, '/');
	char directory[4096];
	struct dirent *entry;
	bool empty = true;
	DIR *dir;

	if (slash == NULL || slash == path)
		return true;
	if ((size_t)(slash - path) >= sizeof(directory))
		return true;
	memcpy(directory, path, (size_t)(slash - path));
	directory[slash - path] = '\0';
	dir = opendir(directory);
	if (dir == NULL)
		return errno != ENOENT && errno != ENOTDIR;
	errno = 0;
	while (empty && (entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			empty = false;
	/* a directory that cannot be read through is not known to be empty */
	if (empty && errno != 0)
		empty = false;
	closedir(dir);
	return !empty;
}

/*
 * The sandbox route (see the top of the file): 0 with port filled, -1 with
 * err set, NETNS_UNSEEN (err set) when tjd does not see dockerd's
 * namespace directory where the SandboxKey is.  The namespace stays open, and so cannot be replaced
 * by another with its id, until the answer is in.
 */
static int netns_sandbox_port(const char *sandbox_key, const char *mac,
			      const unsigned char address[NETNS_MAC_LEN], const char *bridge,
			      char *port, size_t portlen, char *err, size_t errlen)
{
	struct mnl_socket *sock = NULL;
	struct netns_link inner;
	int fd, type, nsid, ret = -1;

	fd = netns_open_file(sandbox_key, err, errlen);
	if (fd < 0) {
		if (errno == ENOENT && !netns_directory_dockerd(sandbox_key))
			return NETNS_UNSEEN;
		return -1;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		error_format(err, errlen,
			     "%.256s: not a network namespace (the container stopped, or the "
			     "directory is mounted without rslave)",
			     sandbox_key);
		goto out;
	}
	sock = netns_socket_open(err, errlen);
	if (sock == NULL)
		goto out;
	nsid = netns_nsid(sock, fd, err, errlen);
	if (nsid < 0 ||
	    netns_container_link(sock, nsid, sandbox_key, mac, address, &inner, err, errlen) < 0 ||
	    netns_host_port(sock, "tjd's namespace", "; is tjd in dockerd's network namespace?",
			    &inner, nsid, bridge, port, portlen, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	if (sock != NULL)
		mnl_socket_close(sock);
	close(fd);
	return ret;
}

void netns_peers_clear(struct netns_peers *peers)
{
	free(peers->peers);
	memset(peers, 0, sizeof(*peers));
}

int netns_peer_match(const struct netns_peer *peers, size_t count, const char *mac, size_t *matches,
		     char *port, size_t portlen, char *err, size_t errlen)
{
	unsigned char address[NETNS_MAC_LEN];
	const struct netns_peer *found = NULL;
	size_t seen = 0, length;

	if (matches != NULL)
		*matches = 0;
	if (port == NULL || portlen == 0) {
		error_format(err, errlen, "no room for the port name");
		return -1;
	}
	port[0] = '\0';
	if (netns_parse_mac(mac, address) < 0) {
		error_format(err, errlen, "invalid MAC address \"%.32s\"", mac ? mac : "");
		return -1;
	}
	for (size_t i = 0; peers != NULL && i < count; i++) {
		if (memcmp(peers[i].mac, address, NETNS_MAC_LEN) != 0)
			continue;
		seen++;
		found = &peers[i];
	}
	if (matches != NULL)
		*matches = seen;
	if (seen == 0) {
		error_format(err, errlen, "no port whose other end has MAC %s", mac);
		return -1;
	}
	if (seen > 1) {
		error_format(err, errlen,
			     "%zu ports whose other ends have MAC %s: which one is the "
			     "container's is unknowable",
			     seen, mac);
		return -1;
	}
	length = strnlen(found->port, sizeof(found->port));
	if (length == 0 || length == sizeof(found->port)) {
		error_format(err, errlen, "a port without a valid name");
		return -1;
	}
	if (length >= portlen) {
		error_format(err, errlen, "port name %s too long", found->port);
		return -1;
	}
	memcpy(port, found->port, length + 1);
	return 0;
}

/* What the dump of tjd's namespace keeps: the bridge's veths whose other end is elsewhere. */
struct netns_scan {
	int bridge;
	struct netns_peer *peers;
	size_t count;
	size_t capacity;
};

/* netns_links callback: keeps a port of the bridge that can be a container's. */
static int netns_scan_port(const struct netns_link *link, void *arg, char *err, size_t errlen)
{
	struct netns_scan *scan = arg;
	struct netns_peer *peer;

	/* not a container's: another bridge's, one without a peer, one whose peer is here */
	if (link->master != scan->bridge || strcmp(link->kind, "veth") != 0 ||
	    !link->has_link_netnsid)
		return 0;
	if (link->name[0] == '\0' || link->index <= 0 || !link->has_peer || link->peer_index <= 0 ||
	    link->link_netnsid < 0) {
		error_format(err, errlen, "bridge port %.15s (index %d): no readable other end",
			     link->name, link->index);
		return -1;
	}
	if (scan->count == scan->capacity) {
		size_t capacity = scan->capacity ? scan->capacity * 2 : 64;
		struct netns_peer *grown;

		if (scan->capacity >= NETNS_PEERS_MAX) {
			error_format(err, errlen, "bridge has more than %d veth ports",
				     NETNS_PEERS_MAX);
			return -1;
		}
		if (capacity > NETNS_PEERS_MAX)
			capacity = NETNS_PEERS_MAX;
		grown = reallocarray(scan->peers, capacity, sizeof(*grown));
		if (grown == NULL) {
			error_format(err, errlen, "out of memory");
			return -1;
		}
		scan->peers = grown;
		scan->capacity = capacity;
	}
	peer = &scan->peers[scan->count++];
	memset(peer, 0, sizeof(*peer));
	memcpy(peer->port, link->name, sizeof(peer->port));
	peer->port_index = link->index;
	peer->nsid = link->link_netnsid;
	peer->peer_index = link->peer_index;
	return 0;
}

/* Reads the other end of one port found by the scan, in its own namespace: its MAC. */
static int netns_read_peer(struct mnl_socket *sock, const char *bridge, struct netns_peer *peer,
			   char *err, size_t errlen)
{
	char inner_err[128] = "";
	struct netns_link other;

	memset(&other, 0, sizeof(other));
	if (netns_links(sock, peer->peer_index, peer->nsid, netns_copy_link, &other, inner_err,
			sizeof(inner_err)) < 0) {
		error_format(err, errlen,
			     "%s port %s: its other end (index %d, namespace id %d): %s", bridge,
			     peer->port, peer->peer_index, peer->nsid, inner_err);
		return -1;
	}
	if (other.index != peer->peer_index || strcmp(other.kind, "veth") != 0 || !other.has_peer ||
	    other.peer_index != peer->port_index || !other.has_address) {
		error_format(err, errlen,
			     "%s port %s: interface %d in namespace id %d is not its veth peer",
			     bridge, peer->port, peer->peer_index, peer->nsid);
		return -1;
	}
	memcpy(peer->mac, other.address, NETNS_MAC_LEN);
	return 0;
}

/* Reads the host-side table of `bridge` into peers (which keeps the error if that fails). */
static void netns_peers_read(const char *bridge, struct netns_peers *peers)
{
	struct netns_scan scan = {0};
	struct netns_link master;
	struct mnl_socket *sock;
	char *err = peers->error;
	size_t errlen = sizeof(peers->error);
	bool ok = false;

	free(peers->peers);
	peers->peers = NULL;
	peers->count = 0;
	peers->reads++;
	peers->failed = true;
	err[0] = '\0';
	scan.bridge = (int)if_nametoindex(bridge);
	if (scan.bridge == 0) {
		error_format(err, errlen, "bridge %.15s: %s", bridge, strerror(errno));
		return;
	}
	sock = netns_socket_open(err, errlen);
	if (sock == NULL)
		return;
	memset(&master, 0, sizeof(master));
	if (netns_links(sock, scan.bridge, NETNS_HERE, netns_copy_link, &master, err, errlen) < 0)
		goto out;
	if (strcmp(master.kind, "bridge") != 0 || strcmp(master.name, bridge) != 0) {
		error_format(err, errlen, "%.15s (index %d) is not a bridge", bridge, scan.bridge);
		goto out;
	}
	if (netns_links(sock, 0, NETNS_HERE, netns_scan_port, &scan, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < scan.count; i++)
		if (netns_read_peer(sock, bridge, &scan.peers[i], err, errlen) < 0)
			goto out;
	ok = true;
out:
	mnl_socket_close(sock);
	if (!ok) {
		free(scan.peers);
		return;
	}
	peers->peers = scan.peers;
	peers->count = scan.count;
	peers->failed = false;
}

/* The host-side route (see the top of the file), through the caller's table if it has one. */
static int netns_host_side_port(const char *mac, const char *bridge, struct netns_peers *table,
				char *port, size_t portlen, char *err, size_t errlen)
{
	struct netns_peers local = {0};
	char inner_err[192] = "";
	size_t matches = 0;
	int ret = -1;

	if (table == NULL)
		table = &local;
	if (table->reads == 0)
		netns_peers_read(bridge, table);
	for (;;) {
		if (table->failed) {
			error_format(err, errlen, "%s", table->error);
			break;
		}
		ret = netns_peer_match(table->peers, table->count, mac, &matches, port, portlen,
				       inner_err, sizeof(inner_err));
		if (ret == 0 || matches != 0 || table->reads >= 2) {
			if (ret < 0)
				error_format(err, errlen, "%s: %s", bridge, inner_err);
			break;
		}
		/* not there: read once more, for a container that started since */
		netns_peers_read(bridge, table);
	}
	netns_peers_clear(&local);
	return ret;
}

int netns_bridge_port(const char *sandbox_key, const char *mac, const char *bridge,
		      struct netns_peers *host_side, char *port, size_t portlen, char *err,
		      size_t errlen)
{
	unsigned char address[NETNS_MAC_LEN];
	char unseen[320] = "";
	int ret;

	if (port == NULL || portlen == 0) {
		error_format(err, errlen, "no room for the port name");
		return -1;
	}
	port[0] = '\0';
	if (sandbox_key == NULL || sandbox_key[0] != '/') {
		error_format(err, errlen, "namespace path is not absolute");
		return -1;
	}
	if (bridge == NULL || bridge[0] == '\0' || strlen(bridge) >= NETNS_IFNAMSIZ) {
		error_format(err, errlen, "no valid bridge name given");
		return -1;
	}
	/* refuse a bad MAC before asking anything */
	if (netns_parse_mac(mac, address) < 0) {
		error_format(err, errlen, "invalid MAC address \"%.32s\"", mac ? mac : "");
		return -1;
	}
	ret = netns_sandbox_port(sandbox_key, mac, address, bridge, port, portlen, unseen,
				 sizeof(unseen));
	if (ret != NETNS_UNSEEN) {
		if (ret < 0) {
			port[0] = '\0';
			error_format(err, errlen, "%s", unseen);
		}
		return ret;
	}
	log_debug("%s; the port of MAC %s is looked up from the host side", unseen, mac);
	ret = netns_host_side_port(mac, bridge, host_side, port, portlen, err, errlen);
	if (ret < 0)
		port[0] = '\0';
	return ret;
}

int netns_overlay_port(const char *sandbox_key, const char *mac, const char *overlay_netns,
		       const char *bridge, char *port, size_t portlen, char *err, size_t errlen)
{
	struct mnl_socket *inside = NULL, *outside = NULL;
	unsigned char address[NETNS_MAC_LEN];
	struct netns_link inner;
	int ret = -1;

	if (port == NULL || portlen == 0) {
		error_format(err, errlen, "no room for the port name");
		return -1;
	}
	port[0] = '\0';
	if (overlay_netns == NULL || bridge == NULL) {
		error_format(err, errlen, "no overlay namespace or bridge given");
		return -1;
	}
	if (sandbox_key == NULL || sandbox_key[0] != '/' || overlay_netns[0] != '/') {
		error_format(err, errlen, "namespace path is not absolute");
		return -1;
	}
	/* refuse a bad MAC before entering anything */
	if (netns_parse_mac(mac, address) < 0) {
		error_format(err, errlen, "invalid MAC address \"%.32s\"", mac ? mac : "");
		return -1;
	}
	inside = netns_socket_open_at(sandbox_key, err, errlen);
	if (inside == NULL || netns_container_link(inside, NETNS_HERE, sandbox_key, mac, address,
						   &inner, err, errlen) < 0)
		goto out;
	outside = netns_socket_open_at(overlay_netns, err, errlen);
	if (outside == NULL || netns_host_port(outside, overlay_netns, "", &inner, NETNS_HERE,
					       bridge, port, portlen, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		port[0] = '\0';
	if (inside != NULL)
		mnl_socket_close(inside);
	if (outside != NULL)
		mnl_socket_close(outside);
	return ret;
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
	ret = netns_links(sock, 0, NETNS_HERE, netns_collect_member, &members, err, errlen);
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
