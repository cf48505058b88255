/*
 * Owning tjd's nftables tables; see nft-owner.h.
 *
 * Messages are built with libnftnl (the table, its comment as nft's own
 * user data, the batch around it) in libmnl's batch buffer, and sent on
 * libnftables' socket; what comes back is read with libmnl alone.  Its replies are NLMSG_ERROR
 * messages, one per request that asked for an acknowledgement, all queued by the time the send
 * returns (the kernel runs the batch in the sender's context); the wait is bounded anyway.
 */
#include "config.h"

#include "tjd/nft-owner.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/text.h"
#include "tjd/netlink.h"

/* Room for any reply of ours: an error carries our request back (at most a batch page). */
#define NFT_OWNER_RECEIVE_BUFFER 16384
/* Datagrams one exchange reads at most, stale ones included. */
#define NFT_OWNER_DATAGRAMS_MAX 64
/* Longest table name nf_tables takes (NFT_TABLE_MAXNAMELEN - 1). */
#define NFT_OWNER_TABLE_MAX 255
/* A comment is one user-data TLV: a byte of length, the NUL included. */
#define NFT_OWNER_COMMENT_MAX 254
/* Bounds on the walk through /proc when looking for a socket's process. */
#define NFT_OWNER_PROC_FDS_MAX (1u << 20)
/* The largest errno the kernel reports in an NLMSG_ERROR (MAX_ERRNO). */
#define NFT_OWNER_ERRNO_MAX 4095

uint32_t nft_owner_claim_flags = NFT_OWNER_FLAGS;

/* Tells whether fd is a netlink socket of the netfilter family. */
static bool nft_owner_is_netfilter(int fd)
{
	int domain = -1, protocol = -1;
	socklen_t length = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) < 0 || domain != AF_NETLINK)
		return false;
	length = sizeof(protocol);
	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &length) == 0 &&
	       protocol == NETLINK_NETFILTER;
}

/* Tells whether an inode is in a list. */
static bool nft_owner_listed(const struct nft_owner_sockets *sockets, ino_t inode)
{
	for (size_t i = 0; i < sockets->count; i++)
		if (sockets->inodes[i] == inode)
			return true;
	return false;
}

/*
 * Walks this process's descriptors: calls found(fd, inode, arg) for each
 * netfilter socket; 0, or -1 with err set.
 */
static int nft_owner_walk(void (*found)(int fd, ino_t inode, void *arg), void *arg, char *err,
			  size_t errlen)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;

	if (dir == NULL) {
		error_format(err, errlen, "cannot list /proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		char *end;
		long fd = strtol(entry->d_name, &end, 10);
		struct stat st;

		if (*end != '\0' || end == entry->d_name || fd < 0 || fd > INT32_MAX ||
		    fd == dirfd(dir))
			continue;
		if (!nft_owner_is_netfilter((int)fd) || fstat((int)fd, &st) < 0)
			continue;
		found((int)fd, st.st_ino, arg);
	}
	closedir(dir);
	return 0;
}

/* nft_owner_walk callback: adds the inode to the list (once). */
static void nft_owner_collect(int fd, ino_t inode, void *arg)
{
	struct nft_owner_sockets *sockets = arg;
	ino_t *grown;

	(void)fd;
	if (nft_owner_listed(sockets, inode))
		return;
	grown = reallocarray(sockets->inodes, sockets->count + 1, sizeof(*grown));
	if (grown == NULL)
		return; /* an unlisted old socket only makes the later search ambiguous */
	sockets->inodes = grown;
	sockets->inodes[sockets->count++] = inode;
}

int nft_owner_sockets_list(struct nft_owner_sockets *sockets, char *err, size_t errlen)
{
	memset(sockets, 0, sizeof(*sockets));
	return nft_owner_walk(nft_owner_collect, sockets, err, errlen);
}

void nft_owner_sockets_free(struct nft_owner_sockets *sockets)
{
	free(sockets->inodes);
	memset(sockets, 0, sizeof(*sockets));
}

/* What nft_owner_find is looking for: sockets not in `before`. */
struct nft_owner_search {
	const struct nft_owner_sockets *before;
	ino_t inode; /* the first new one */
	int fd;
	size_t fresh; /* distinct new inodes */
};

/* nft_owner_walk callback: counts the new sockets, keeps the first. */
static void nft_owner_candidate(int fd, ino_t inode, void *arg)
{
	struct nft_owner_search *search = arg;

	if (nft_owner_listed(search->before, inode))
		return;
	if (search->fresh > 0 && inode == search->inode)
		return; /* the same socket under a second descriptor */
	if (search->fresh++ == 0) {
		search->inode = inode;
		search->fd = fd;
	}
}

int nft_owner_find(struct nft_owner *owner, const struct nft_owner_sockets *before, uint32_t port,
		   char *err, size_t errlen)
{
	struct nft_owner_search search = {.before = before, .fd = -1};
	struct sockaddr_nl address;
	socklen_t length = sizeof(address);
	int flags;

	memset(owner, 0, sizeof(*owner));
	owner->fd = -1;
	if (port == 0) {
		error_format(err, errlen, "the netlink port libnftables commits from is not known");
		return -1;
	}
	if (nft_owner_walk(nft_owner_candidate, &search, err, errlen) < 0)
		return -1;
	if (search.fresh != 1) {
		error_format(err, errlen,
			     "%zu netfilter sockets appeared with the libnftables context, not one",
			     search.fresh);
		return -1;
	}
	memset(&address, 0, sizeof(address));
	if (getsockname(search.fd, (struct sockaddr *)&address, &length) < 0 ||
	    length != sizeof(address) || address.nl_family != AF_NETLINK) {
		error_format(err, errlen, "cannot read the address of libnftables' socket: %s",
			     strerror(errno));
		return -1;
	}
	if (address.nl_pid != port) {
		error_format(err, errlen,
			     "the new netfilter socket has port %u, libnftables committed from %u",
			     address.nl_pid, port);
		return -1;
	}
	/*
	 * libnftables opens it without close-on-exec: a program tjd ran would
	 * keep the socket, and so the tables owned, after tjd is gone.
	 */
	flags = fcntl(search.fd, F_GETFD);
	if (flags < 0 || fcntl(search.fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
		error_format(err, errlen, "cannot make libnftables' socket close-on-exec: %s",
			     strerror(errno));
		return -1;
	}
	owner->fd = search.fd;
	owner->port = port;
	/* far from libnftables' numbers (seconds since 1970, counting up) */
	owner->seq = (uint32_t)time(NULL) ^ 0x80000000u;
	return 0;
}

/* Appends one request to a batch in a page of `size` bytes; false if it does not fit or is invalid.
 */
static bool nft_owner_put(struct mnl_nlmsg_batch *batch, size_t size,
			  const struct nft_owner_request *request, uint32_t seq)
{
	struct nftnl_table *table = nftnl_table_alloc();
	struct nftnl_udata_buf *udata = NULL;
	struct nlmsghdr *message;
	size_t name_length = strnlen(request->table, NFT_OWNER_TABLE_MAX + 1);
	bool ok = false;

	if (table == NULL || name_length == 0 || name_length > NFT_OWNER_TABLE_MAX)
		goto out;
	nftnl_table_set_str(table, NFTNL_TABLE_NAME, request->table);
	if (request->op == NFT_OWNER_CLAIM) {
		nftnl_table_set_u32(table, NFTNL_TABLE_FLAGS, nft_owner_claim_flags);
		if (request->comment != NULL && request->comment[0] != '\0') {
			if (strlen(request->comment) > NFT_OWNER_COMMENT_MAX)
				goto out;
			udata = nftnl_udata_buf_alloc(NFT_OWNER_COMMENT_MAX + 2);
			if (udata == NULL || !nftnl_udata_put_strz(udata, NFTNL_UDATA_TABLE_COMMENT,
								   request->comment))
				goto out;
			nftnl_table_set_data(table, NFTNL_TABLE_USERDATA,
					     nftnl_udata_buf_data(udata),
					     nftnl_udata_buf_len(udata));
		}
	}
	/* one table's header and attributes take well under 1 KiB */
	if (mnl_nlmsg_batch_size(batch) + 1024 > size)
		goto out;
	message = nftnl_table_nlmsg_build_hdr(
	    mnl_nlmsg_batch_current(batch),
	    request->op == NFT_OWNER_CLAIM ? NFT_MSG_NEWTABLE : NFT_MSG_DELTABLE, request->family,
	    (request->op == NFT_OWNER_CLAIM ? NLM_F_CREATE : 0) | NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(message, table);
	mnl_nlmsg_batch_next(batch);
	ok = true;
out:
	if (udata != NULL)
		nftnl_udata_buf_free(udata);
	if (table != NULL)
		nftnl_table_free(table);
	return ok;
}

/* Reads and drops whatever waits on the socket (bounded). */
static void nft_owner_drain(int fd, void *buffer)
{
	for (unsigned int i = 0; i < NFT_OWNER_DATAGRAMS_MAX; i++) {
		ssize_t got =
		    netlink_receive_fd(fd, buffer, NFT_OWNER_RECEIVE_BUFFER, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (got < 0 && errno != EINTR && errno != ENOSPC && errno != ENOBUFS)
			return;
	}
}

/* Milliseconds on the monotonic clock. */
static long long nft_owner_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * Reads datagrams from fd into `read` until done(arg) or the deadline;
 * 0 when done, -1 with err set otherwise.
 */
static int nft_owner_receive(int fd, void *buffer, void (*read)(const void *, size_t, void *),
			     bool (*done)(void *), void *arg, char *err, size_t errlen)
{
	long long deadline = nft_owner_now_ms() + NFT_OWNER_TIMEOUT_MS;

	for (unsigned int i = 0; i < NFT_OWNER_DATAGRAMS_MAX && !done(arg);) {
		ssize_t got =
		    netlink_receive_fd(fd, buffer, NFT_OWNER_RECEIVE_BUFFER, MSG_DONTWAIT);
		long long left;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (got > 0) {
			read(buffer, (size_t)got, arg);
			i++;
			continue;
		}
		if (got == 0) {
			i++; /* not from the kernel: dropped */
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == ENOSPC) {
			i++; /* larger than any reply of ours: someone else's */
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			error_format(err, errlen, "reading the kernel's answer: %s",
				     strerror(errno));
			return -1;
		}
		left = deadline - nft_owner_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			break;
	}
	if (done(arg))
		return 0;
	error_format(err, errlen, "no answer from the kernel within %d ms", NFT_OWNER_TIMEOUT_MS);
	return -1;
}

/* nft_owner_receive callbacks for a batch. */
static void nft_owner_batch_read(const void *datagram, size_t length, void *arg)
{
	nft_owner_replies_read(arg, datagram, length);
}

static bool nft_owner_batch_done(void *arg)
{
	return nft_owner_replies_done(arg);
}

int nft_owner_send(struct nft_owner *owner, const struct nft_owner_request *requests, size_t count,
		   int *kernel_error, char *err, size_t errlen)
{
	static const struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char page[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_nlmsg_batch *batch = NULL;
	struct nft_owner_replies replies;
	void *buffer = NULL;
	uint32_t first;
	int ret = -1;

	*kernel_error = 0;
	if (owner->fd < 0 || count == 0 || count > NFT_OWNER_BATCH_MAX) {
		error_format(err, errlen, "no socket or no requests to send");
		return -1;
	}
	buffer = malloc(NFT_OWNER_RECEIVE_BUFFER);
	batch = mnl_nlmsg_batch_start(page, sizeof(page));
	if (buffer == NULL || batch == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	first = owner->seq;
	owner->seq += (uint32_t)count + 2;
	nftnl_batch_begin(mnl_nlmsg_batch_current(batch), first);
	mnl_nlmsg_batch_next(batch);
	for (size_t i = 0; i < count; i++) {
		if (!nft_owner_put(batch, sizeof(page), &requests[i], first + 1 + (uint32_t)i)) {
			error_format(err, errlen, "cannot build the request for table %.64s",
				     requests[i].table);
			goto out;
		}
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(batch), first + 1 + (uint32_t)count);
	mnl_nlmsg_batch_next(batch);
	/* whatever waits is not an answer to this batch */
	nft_owner_drain(owner->fd, buffer);
	if (sendto(owner->fd, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch), 0,
		   (const struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		error_format(err, errlen, "sending to nf_tables: %s", strerror(errno));
		goto out;
	}
	nft_owner_replies_init(&replies, owner->port, first, (uint32_t)count);
	if (nft_owner_receive(owner->fd, buffer, nft_owner_batch_read, nft_owner_batch_done,
			      &replies, err, errlen) < 0)
		goto out;
	if (replies.error != 0) {
		*kernel_error = replies.error;
		error_format(err, errlen, "nf_tables refused: %s", strerror(replies.error));
		goto out;
	}
	ret = 0;
out:
	/* libnftables must find its socket as it left it */
	if (buffer != NULL)
		nft_owner_drain(owner->fd, buffer);
	if (batch != NULL)
		mnl_nlmsg_batch_stop(batch);
	free(buffer);
	return ret;
}

void nft_owner_replies_init(struct nft_owner_replies *replies, uint32_t port, uint32_t first_seq,
			    uint32_t count)
{
	memset(replies, 0, sizeof(*replies));
	replies->port = port;
	replies->first_seq = first_seq;
	replies->count = count > NFT_OWNER_BATCH_MAX ? NFT_OWNER_BATCH_MAX : count;
}

/* The errno an NLMSG_ERROR message carries, or -1 when it is not a sound one. */
static int nft_owner_error_of(const struct nlmsghdr *message)
{
	const struct nlmsgerr *error;

	if (message->nlmsg_type != NLMSG_ERROR ||
	    mnl_nlmsg_get_payload_len(message) < sizeof(struct nlmsgerr))
		return -1;
	error = mnl_nlmsg_get_payload(message);
	/* the kernel repeats the request's header: it must be the one answered */
	if (error->error > 0 || error->error < -NFT_OWNER_ERRNO_MAX ||
	    error->msg.nlmsg_seq != message->nlmsg_seq)
		return -1;
	return -error->error;
}

void nft_owner_replies_read(struct nft_owner_replies *replies, const void *datagram, size_t length)
{
	const struct nlmsghdr *message = datagram;
	int remaining;

	if (!netlink_datagram_whole(datagram, length))
		return;
	remaining = (int)length;
	for (; mnl_nlmsg_ok(message, remaining); message = mnl_nlmsg_next(message, &remaining)) {
		uint32_t offset = message->nlmsg_seq - replies->first_seq;
		int error = nft_owner_error_of(message);

		if (error < 0 || message->nlmsg_pid != replies->port || offset > replies->count + 1)
			continue;
		if (error != 0 && replies->error == 0)
			replies->error = error;
		if (offset == 0 || offset == replies->count + 1) {
			/* only a refusal answers the begin or end of a batch */
			if (error != 0)
				replies->refused = true;
			continue;
		}
		replies->answered |= 1u << (offset - 1);
	}
}

bool nft_owner_replies_done(const struct nft_owner_replies *replies)
{
	uint32_t all = replies->count >= 32 ? UINT32_MAX : (1u << replies->count) - 1;

	return replies->refused || (replies->answered & all) == all;
}

/* A NEWTABLE answer's attributes (nft_owner_table_attribute). */
struct nft_owner_attributes {
	const char *name;
	bool has_flags, has_owner, bad;
	uint32_t flags, owner;
};

/*
 * mnl_attr_parse callback: the name, flags and owner, each checked.
 * (libnftnl's own parser is not used on what the kernel sends: it exits
 * the process on an attribute it finds malformed.)
 */
static int nft_owner_table_attribute(const struct nlattr *attribute, void *data)
{
	struct nft_owner_attributes *found = data;
	uint16_t type = mnl_attr_get_type(attribute);

	if (type == NFTA_TABLE_NAME) {
		if (mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) < 0)
			goto bad;
		found->name = mnl_attr_get_str(attribute);
	} else if (type == NFTA_TABLE_FLAGS || type == NFTA_TABLE_OWNER) {
		if (mnl_attr_validate(attribute, MNL_TYPE_U32) < 0)
			goto bad;
		if (type == NFTA_TABLE_FLAGS) {
			found->has_flags = true;
			found->flags = ntohl(mnl_attr_get_u32(attribute));
		} else {
			found->has_owner = true;
			found->owner = ntohl(mnl_attr_get_u32(attribute));
		}
	}
	return MNL_CB_OK;
bad:
	found->bad = true;
	return MNL_CB_ERROR;
}

/* Reads a NEWTABLE answer into *result: false when it is not about family and name. */
static bool nft_owner_table_answer(const struct nlmsghdr *message, uint8_t family, const char *name,
				   struct nft_owner_table *result)
{
	const struct nfgenmsg *header = mnl_nlmsg_get_payload(message);
	struct nft_owner_attributes found;

	memset(&found, 0, sizeof(found));
	if (header->nfgen_family != family ||
	    mnl_attr_parse(message, sizeof(*header), nft_owner_table_attribute, &found) <
		MNL_CB_STOP ||
	    found.bad || found.name == NULL || !found.has_flags || strcmp(found.name, name) != 0)
		return false;
	memset(result, 0, sizeof(*result));
	result->exists = true;
	result->flags = found.flags;
	result->has_owner = (found.flags & NFT_OWNER_FLAG_OWNER) && found.has_owner;
	result->owner = result->has_owner ? found.owner : 0;
	return true;
}

int nft_owner_table_read(const void *datagram, size_t length, uint32_t port, uint32_t seq,
			 uint8_t family, const char *table, struct nft_owner_table *result,
			 int *error)
{
	const struct nlmsghdr *message = datagram;
	int remaining;

	if (!netlink_datagram_whole(datagram, length))
		return 0;
	remaining = (int)length;
	for (; mnl_nlmsg_ok(message, remaining); message = mnl_nlmsg_next(message, &remaining)) {
		int kernel_error;

		if (message->nlmsg_seq != seq || message->nlmsg_pid != port)
			continue;
		kernel_error = nft_owner_error_of(message);
		if (kernel_error > 0) {
			memset(result, 0, sizeof(*result));
			*error = kernel_error;
			return 1;
		}
		if (kernel_error == 0 ||
		    message->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE) ||
		    mnl_nlmsg_get_payload_len(message) < sizeof(struct nfgenmsg))
			continue;
		if (nft_owner_table_answer(message, family, table, result)) {
			*error = 0;
			return 1;
		}
	}
	return 0;
}

/* What a query waits for. */
struct nft_owner_question {
	uint32_t port, seq;
	uint8_t family;
	const char *table;
	struct nft_owner_table *result;
	int error;
	bool answered;
};

/* nft_owner_receive callbacks for a query. */
static void nft_owner_question_read(const void *datagram, size_t length, void *arg)
{
	struct nft_owner_question *question = arg;

	if (!question->answered)
		question->answered =
		    nft_owner_table_read(datagram, length, question->port, question->seq,
					 question->family, question->table, question->result,
					 &question->error) == 1;
}

static bool nft_owner_question_done(void *arg)
{
	return ((struct nft_owner_question *)arg)->answered;
}

int nft_owner_query(uint8_t family, const char *table, struct nft_owner_table *result, char *err,
		    size_t errlen)
{
	struct mnl_socket *sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	char request[MNL_SOCKET_BUFFER_SIZE];
	struct nft_owner_question question = {.family = family, .table = table, .result = result};
	struct nftnl_table *asked = nftnl_table_alloc();
	struct nlmsghdr *message;
	void *buffer = malloc(NFT_OWNER_RECEIVE_BUFFER);
	int ret = -1;

	memset(result, 0, sizeof(*result));
	if (sock == NULL || asked == NULL || buffer == NULL ||
	    strnlen(table, NFT_OWNER_TABLE_MAX + 1) > NFT_OWNER_TABLE_MAX) {
		error_format(err, errlen, "cannot ask nf_tables about table %.64s: %s", table,
			     sock == NULL ? strerror(errno) : "out of memory or bad name");
		goto out;
	}
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		error_format(err, errlen, "netfilter netlink: %s", strerror(errno));
		goto out;
	}
	question.port = mnl_socket_get_portid(sock);
	question.seq = (uint32_t)time(NULL);
	nftnl_table_set_str(asked, NFTNL_TABLE_NAME, table);
	message = nftnl_table_nlmsg_build_hdr(request, NFT_MSG_GETTABLE, family, 0, question.seq);
	nftnl_table_nlmsg_build_payload(message, asked);
	if (mnl_socket_sendto(sock, message, message->nlmsg_len) < 0) {
		error_format(err, errlen, "asking nf_tables about table %.64s: %s", table,
			     strerror(errno));
		goto out;
	}
	if (nft_owner_receive(mnl_socket_get_fd(sock), buffer, nft_owner_question_read,
			      nft_owner_question_done, &question, err, errlen) < 0)
		goto out;
	if (question.error != 0 && question.error != ENOENT) {
		error_format(err, errlen, "reading table %.64s: %s", table,
			     strerror(question.error));
		goto out;
	}
	ret = 0;
out:
	if (asked != NULL)
		nftnl_table_free(asked);
	if (sock != NULL)
		mnl_socket_close(sock);
	free(buffer);
	return ret;
}

/* The inode of the netfilter socket bound to port in this thread's namespace; 0 if none. */
static unsigned long nft_owner_socket_inode(uint32_t port)
{
	FILE *file = fopen("/proc/thread-self/net/netlink", "re");
	char line[256];
	unsigned long inode = 0;

	if (file == NULL)
		return 0;
	/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
	while (inode == 0 && fgets(line, sizeof(line), file) != NULL) {
		int protocol;
		unsigned int bound;
		unsigned long number;

		if (sscanf(line, "%*s %d %u %*s %*s %*s %*s %*s %*s %lu", &protocol, &bound,
			   &number) == 3 &&
		    protocol == NETLINK_NETFILTER && bound == port)
			inode = number;
	}
	fclose(file);
	return inode;
}

/* Tells whether process `pid` has the socket `link` ("socket:[inode]") open; counts fds seen. */
static bool nft_owner_holds(const char *pid, const char *link, unsigned int *seen)
{
	char path[600], target[64];
	DIR *dir;
	struct dirent *entry;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (dir == NULL)
		return false;
	while (!found && *seen < NFT_OWNER_PROC_FDS_MAX && (entry = readdir(dir)) != NULL) {
		ssize_t length;

		if (entry->d_name[0] == '.')
			continue;
		(*seen)++;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, entry->d_name);
		length = readlink(path, target, sizeof(target) - 1);
		if (length <= 0)
			continue;
		target[length] = '\0';
		found = strcmp(target, link) == 0;
	}
	closedir(dir);
	return found;
}

pid_t nft_owner_pid(uint32_t port, char *comm, size_t commlen)
{
	unsigned long inode = nft_owner_socket_inode(port);
	char link[64];
	DIR *proc;
	struct dirent *entry;
	unsigned int seen = 0;
	pid_t pid = -1;

	if (commlen > 0)
		comm[0] = '\0';
	if (inode == 0 || (proc = opendir("/proc")) == NULL)
		return -1;
	snprintf(link, sizeof(link), "socket:[%lu]", inode);
	while (pid < 0 && (entry = readdir(proc)) != NULL) {
		char *end;
		long number = strtol(entry->d_name, &end, 10);

		if (*end != '\0' || number <= 0)
			continue;
		if (nft_owner_holds(entry->d_name, link, &seen))
			pid = (pid_t)number;
	}
	closedir(proc);
	if (pid > 0 && commlen > 0) {
		char path[64];
		FILE *file;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		file = fopen(path, "re");
		if (file != NULL) {
			if (fgets(comm, (int)commlen, file) == NULL)
				comm[0] = '\0';
			fclose(file);
		}
		comm[strcspn(comm, "\n")] = '\0';
		for (char *c = comm; *c; c++)
			if (!text_printable_byte((unsigned char)*c))
				*c = '?';
	}
	return pid;
}
