/*
 * The conntrack purge; see conntrack.h.
 *
 * What is deleted.  An entry is judged on its original source S and its
 * final destination D: the reply source when the entry has a reply tuple
 * (after DNAT it is the address that really answers, e.g. a sibling
 * reached through a port the host publishes), else the original
 * destination.  The policy judges the first packet after DNAT too.
 *
 *   S is one of the host's own addresses: kept.  Flows the host opens
 *     (the gateway is a host address, and in the subnet) are not tjd's.
 *   S is in no protected network: kept.  Flows from the outside world,
 *     from unprotected networks and from the host are never touched.
 *   D is one of the host's own addresses: deleted when a protected
 *     network holding S is host_closed, whoever S is (the policy closes
 *     the host to allow-listed containers too); kept otherwise.
 *   D is in the same protected network as S: deleted unless S is one of
 *     that network's allowed addresses.
 *   Anything else (the outside world, another network): kept.
 *
 * "In a network" means inside one of its subnets, or one of its
 * containers' link-local addresses.  The host's addresses are those of
 * the calling namespace (getifaddrs, both families, link-local ones
 * included), read once per purge.  When subnets of protected networks
 * overlap, S may be in several: the entry goes when any of them says so.
 * Each rule is the one the policy applies to a NEW packet: it drops those
 * from a non-allowed source between two ports of a protected bridge, and
 * those from any port of a host-closed bridge to the host.  An entry
 * names no bridge port, so a flow from an allowed address is kept
 * whichever port it came in on; the policy binds new ones to the port.
 *
 * IPv6 link-local (fe80::/10).  Containers' link-local addresses lie in
 * no subnet, and the same address can exist on several links, so an
 * entry between two of them says nothing by itself about which bridge it
 * crossed.  The caller names each network's containers' link-local
 * addresses (made from their MACs as the kernel makes them); an entry
 * from one of them to another container of the network, or to the host
 * when the network is host_closed, is deleted.  The policy allows no
 * link-local source between ports (its allowances name the containers'
 * global addresses), and an allow-listed container's link-local address
 * is not an allowed address: such flows go too, as the policy would drop
 * them.  Host-originated link-local flows (S a host address) are kept.
 * Link-local entries between addresses nobody named are kept: they may be
 * a virtual machine's, the LAN's, an unprotected network's.  What remains
 * open: a link-local flow of a container whose address is not the one
 * its MAC gives (an addr_gen_mode other than EUI-64, an address it added
 * itself), until it ends; new ones meet the bridge-scoped policy.
 *
 * After the purge.  A deleted flow's next packet is NEW, from whichever
 * end sends it: the kernel picks TCP up mid-stream (nf_conntrack_tcp_loose,
 * on by default).  When that end is one the policy admits (a proxy
 * answering on a connection a backend opened to it), the flow carries on,
 * tracked the other way round.  A policy that drops NEW TCP packets
 * without SYN between ports of a protected bridge closes that too.
 *
 * How.  One dump per family (the kernel filters by family; entries of
 * another family, from a kernel that does not, are skipped), on a
 * NETLINK_NETFILTER socket opened in the calling thread's namespace,
 * read through libmnl and parsed by libnetfilter_conntrack.  Entries to
 * delete are collected while a datagram is parsed and deleted after it,
 * on a second socket, before the next datagram is read: memory stays at
 * one datagram's worth whatever the table holds, and the dump's cursor is
 * never an entry we deleted (it is the first one not yet sent to us).  A
 * delete names the entry by its original tuple, zone and id, so an entry
 * that ended and was replaced by a new connection with the same tuple
 * (which met the current rules) is not deleted: the kernel answers
 * ENOENT, as for one that is simply gone.  Deletes go out many to a
 * datagram, each acknowledged.  No delete is ever sent without a tuple:
 * the kernel reads a tupleless delete as "flush the table".
 *
 * Trust.  A process in the namespace may send datagrams to our sockets;
 * only the kernel's are read (netlink_receive), each answer must carry our
 * port and sequence number (mnl_cb_run), and libnetfilter_conntrack
 * validates every attribute (it aborts the process on one that breaks the
 * kernel's ABI: another reason only the kernel's datagrams reach it).
 * The work is bounded: at most entry_limit
 * entries and a fixed number of foreign or empty datagrams per dump, each
 * receive by CONNTRACK_RECV_TIMEOUT_S.
 */
#include "config.h"

#include "tjd/conntrack.h"
#include "tjd/ruleset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "common/error.h"
#include "tjd/netlink.h"

/* Big enough for any datagram of a conntrack dump (the kernel caps them at 32 KiB). */
#define CONNTRACK_RECV_BUFFER 65536
/* A netlink answer that takes longer than this means something is badly wrong. */
#define CONNTRACK_RECV_TIMEOUT_S 2
/* Datagrams per dump that bring no entry (foreign ones, the end) before it is given up. */
#define CONNTRACK_IDLE_DATAGRAMS_MAX 1024
/* Room for the delete requests sent in one datagram. */
#define CONNTRACK_SEND_BUFFER 16384
/* Room one delete request may take (tuple, zone, id: about 120 bytes for IPv6). */
#define CONNTRACK_DELETE_MAX 512

/* Attributes a delete carries: the original tuple, the zones and the id. */
static const enum nf_conntrack_attr conntrack_delete_attributes[] = {
    ATTR_ORIG_L3PROTO,	ATTR_ORIG_IPV4_SRC,
    ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_SRC,
    ATTR_ORIG_IPV6_DST, ATTR_ORIG_L4PROTO,
    ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST,
    ATTR_ICMP_TYPE,	ATTR_ICMP_CODE,
    ATTR_ICMP_ID,	ATTR_ORIG_ZONE,
    ATTR_ZONE,		ATTR_ID,
};

/* One purge in progress. */
struct conntrack_purge {
	const struct conntrack_network *networks;
	size_t count;
	struct prefix *host;
	size_t host_count;
	size_t entry_limit;
	int family; /* of the dump being read */
	struct mnl_socket *dump;
	struct mnl_socket *delete;
	uint32_t dump_seq;
	uint32_t delete_seq;
	char *buffer; /* CONNTRACK_RECV_BUFFER, for receiving */
	char *send;   /* CONNTRACK_SEND_BUFFER, for delete requests */
	/* Entries of the current datagram to delete: their delete attributes only. */
	struct nf_conntrack **victims;
	size_t victim_count;
	size_t victim_capacity;
	struct conntrack_purge_stats stats;
	bool over_limit;
	size_t refused;	   /* deletes the kernel refused (not ENOENT) */
	int refused_errno; /* the first refusal's */
	char *err;
	size_t errlen;
	bool failed; /* err says why */
};

/* Tells whether a and b are the same address, whatever their lengths. */
static bool conntrack_same_address(const struct prefix *a, const struct prefix *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
	return false;
}

/* Tells whether address is one of list's addresses (their lengths ignored). */
static bool conntrack_listed(const struct prefix *list, size_t count, const struct prefix *address)
{
	for (size_t i = 0; i < count; i++)
		if (conntrack_same_address(&list[i], address))
			return true;
	return false;
}

/* Tells whether address belongs to the network: a subnet, or a container's link-local address. */
static bool conntrack_member(const struct conntrack_network *network, const struct prefix *address)
{
	for (size_t i = 0; i < network->subnet_count; i++) {
		/* a zero-length "subnet" would claim the whole family, the host's traffic too */
		if (network->subnets[i].length > 0 &&
		    prefix_contains(&network->subnets[i], address))
			return true;
	}
	return conntrack_listed(network->link_local, network->link_local_count, address);
}

/* Tells whether p is a usable IPv4 or IPv6 address. */
static bool conntrack_address_set(const struct prefix *p)
{
	return p != NULL && (p->family == AF_INET || p->family == AF_INET6);
}

bool conntrack_should_delete(const struct conntrack_network *networks, size_t count,
			     const struct prefix *host_addresses, size_t host_count,
			     const struct prefix *orig_src, const struct prefix *orig_dst,
			     const struct prefix *reply_src)
{
	struct prefix source, destination;
	bool to_host;

	if (!conntrack_address_set(orig_src))
		return false;
	if (conntrack_address_set(reply_src) && reply_src->family == orig_src->family)
		destination = *reply_src;
	else if (conntrack_address_set(orig_dst) && orig_dst->family == orig_src->family)
		destination = *orig_dst;
	else
		return false;
	source = *orig_src;
	prefix_host(&source);
	prefix_host(&destination);
	if (conntrack_listed(host_addresses, host_count, &source))
		return false;
	to_host = conntrack_listed(host_addresses, host_count, &destination);
	for (size_t n = 0; n < count; n++) {
		const struct conntrack_network *network = &networks[n];

		if (!conntrack_member(network, &source))
			continue;
		if (to_host) {
			if (network->host_closed)
				return true;
			continue;
		}
		if (conntrack_member(network, &destination) &&
		    !conntrack_listed(network->allowed, network->allowed_count, &source))
			return true;
	}
	return false;
}

int conntrack_link_local(const char *mac, struct prefix *out)
{
	uint8_t bytes[L2_MAC_LEN];

	memset(out, 0, sizeof(*out));
	if (l2_mac_parse(mac, bytes) < 0)
		return -1;
	l2_link_local(bytes, out);
	return 0;
}

/* Collects the calling namespace's own addresses, both families; 0 or -1 (err set). */
static int conntrack_host_addresses(struct conntrack_purge *purge)
{
	struct ifaddrs *all = NULL;
	size_t count = 0;

	if (getifaddrs(&all) < 0) {
		error_format(purge->err, purge->errlen, "reading the host's addresses: %s",
			     strerror(errno));
		return -1;
	}
	for (struct ifaddrs *ifa = all; ifa != NULL; ifa = ifa->ifa_next)
		if (ifa->ifa_addr != NULL &&
		    (ifa->ifa_addr->sa_family == AF_INET || ifa->ifa_addr->sa_family == AF_INET6))
			count++;
	purge->host = calloc(count ? count : 1, sizeof(*purge->host));
	if (purge->host == NULL) {
		freeifaddrs(all);
		error_format(purge->err, purge->errlen, "out of memory");
		return -1;
	}
	for (struct ifaddrs *ifa = all; ifa != NULL; ifa = ifa->ifa_next) {
		struct prefix *address = &purge->host[purge->host_count];

		if (ifa->ifa_addr == NULL)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			address->family = AF_INET;
			address->addr.v4 = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			address->family = AF_INET6;
			address->addr.v6 = ((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		} else {
			continue;
		}
		prefix_host(address);
		purge->host_count++;
	}
	freeifaddrs(all);
	return 0;
}

/* Opens a NETLINK_NETFILTER socket in the calling thread's namespace; NULL with err set. */
static struct mnl_socket *conntrack_socket_open(struct conntrack_purge *purge)
{
	struct timeval timeout = {.tv_sec = CONNTRACK_RECV_TIMEOUT_S};
	struct mnl_socket *sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int on = 1;

	if (sock == NULL) {
		error_format(purge->err, purge->errlen, "conntrack netlink socket: %s",
			     strerror(errno));
		return NULL;
	}
	/* acks of refused deletes without the request echoed: they stay small */
	(void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &on, sizeof(on));
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout)) < 0 ||
	    mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		error_format(purge->err, purge->errlen, "conntrack netlink socket: %s",
			     strerror(errno));
		mnl_socket_close(sock);
		return NULL;
	}
	return sock;
}

/* Writes a ctnetlink request header for `type` and `family` into buffer. */
static struct nlmsghdr *conntrack_request(void *buffer, uint8_t type, uint16_t flags, int family,
					  uint32_t seq)
{
	struct nlmsghdr *message = mnl_nlmsg_put_header(buffer);
	struct nfgenmsg *header;

	message->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	message->nlmsg_flags = NLM_F_REQUEST | flags;
	message->nlmsg_seq = seq;
	header = mnl_nlmsg_put_extra_header(message, sizeof(*header));
	header->nfgen_family = (uint8_t)family;
	header->version = NFNETLINK_V0;
	header->res_id = 0;
	return message;
}

/* Reads one address attribute of ct into *out; false when the entry lacks it. */
static bool conntrack_attribute_address(const struct nf_conntrack *ct, int family,
					enum nf_conntrack_attr v4, enum nf_conntrack_attr v6,
					struct prefix *out)
{
	enum nf_conntrack_attr which = family == AF_INET ? v4 : v6;
	const void *value;

	memset(out, 0, sizeof(*out));
	if (nfct_attr_is_set(ct, which) <= 0 || (value = nfct_get_attr(ct, which)) == NULL)
		return false;
	out->family = family;
	if (family == AF_INET)
		memcpy(&out->addr.v4, value, sizeof(out->addr.v4));
	else
		memcpy(&out->addr.v6, value, sizeof(out->addr.v6));
	prefix_host(out);
	return true;
}

/* Tells whether the entry should go, from its addresses. */
static bool conntrack_judge(const struct conntrack_purge *purge, const struct nf_conntrack *ct)
{
	struct prefix orig_src, orig_dst, reply_src;
	bool has_reply;

	if (!conntrack_attribute_address(ct, purge->family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC,
					 &orig_src) ||
	    !conntrack_attribute_address(ct, purge->family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST,
					 &orig_dst))
		return false; /* no tuple to judge, nor to delete by */
	has_reply = conntrack_attribute_address(ct, purge->family, ATTR_REPL_IPV4_SRC,
						ATTR_REPL_IPV6_SRC, &reply_src);
	return conntrack_should_delete(purge->networks, purge->count, purge->host,
				       purge->host_count, &orig_src, &orig_dst,
				       has_reply ? &reply_src : NULL);
}

/* Keeps what a delete of ct needs; 0, or -1 (out of memory). */
static int conntrack_add_victim(struct conntrack_purge *purge, const struct nf_conntrack *ct)
{
	struct nf_conntrack *victim;

	if (purge->victim_count == purge->victim_capacity) {
		size_t capacity = purge->victim_capacity ? purge->victim_capacity * 2 : 64;
		struct nf_conntrack **grown =
		    reallocarray(purge->victims, capacity, sizeof(*purge->victims));

		if (grown == NULL)
			return -1;
		purge->victims = grown;
		purge->victim_capacity = capacity;
	}
	victim = nfct_new();
	if (victim == NULL)
		return -1;
	for (size_t i = 0;
	     i < sizeof(conntrack_delete_attributes) / sizeof(conntrack_delete_attributes[0]);
	     i++) {
		enum nf_conntrack_attr attribute = conntrack_delete_attributes[i];

		if (nfct_attr_is_set(ct, attribute) > 0)
			nfct_set_attr(victim, attribute, nfct_get_attr(ct, attribute));
	}
	purge->victims[purge->victim_count++] = victim;
	return 0;
}

/* mnl_cb_run callback: judges one entry of the dump. */
static int conntrack_dump_entry(const struct nlmsghdr *message, void *data)
{
	struct conntrack_purge *purge = data;
	struct nf_conntrack *ct;
	int ret = MNL_CB_OK;

	if (message->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW) ||
	    mnl_nlmsg_get_payload_len(message) < sizeof(struct nfgenmsg))
		return MNL_CB_OK;
	if (purge->stats.examined == purge->entry_limit) {
		purge->over_limit = true;
		return MNL_CB_STOP;
	}
	purge->stats.examined++;
	ct = nfct_new();
	if (ct == NULL) {
		error_format(purge->err, purge->errlen, "out of memory");
		purge->failed = true;
		return MNL_CB_ERROR;
	}
	if (nfct_nlmsg_parse(message, ct) < 0) {
		nfct_destroy(ct);
		return MNL_CB_OK; /* nothing readable to judge */
	}
	/* a kernel that ignores the dump's family sends the other one too; its dump judges it */
	if (nfct_attr_is_set(ct, ATTR_ORIG_L3PROTO) > 0 &&
	    nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) == purge->family &&
	    conntrack_judge(purge, ct) && conntrack_add_victim(purge, ct) < 0) {
		error_format(purge->err, purge->errlen, "out of memory");
		purge->failed = true;
		ret = MNL_CB_ERROR;
	}
	nfct_destroy(ct);
	return ret;
}

/* Tells whether a victim names a whole original tuple (a delete without one would flush). */
static bool conntrack_victim_complete(const struct nf_conntrack *victim, int family)
{
	return nfct_attr_is_set(victim, ATTR_ORIG_L3PROTO) > 0 &&
	       nfct_attr_is_set(victim, ATTR_ORIG_L4PROTO) > 0 &&
	       nfct_attr_is_set(victim,
				family == AF_INET ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV6_SRC) > 0 &&
	       nfct_attr_is_set(victim,
				family == AF_INET ? ATTR_ORIG_IPV4_DST : ATTR_ORIG_IPV6_DST) > 0;
}

/* Acks of one batch of deletes being read. */
struct conntrack_acks {
	struct conntrack_purge *purge;
	size_t pending;
};

/* mnl_cb_run2 control callback: one delete's ack, success or refusal. */
static int conntrack_delete_ack(const struct nlmsghdr *message, void *data)
{
	struct conntrack_acks *acks = data;
	struct conntrack_purge *purge = acks->purge;
	const struct nlmsgerr *ack = mnl_nlmsg_get_payload(message);

	if (mnl_nlmsg_get_payload_len(message) < sizeof(*ack)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (acks->pending == 0)
		return MNL_CB_OK; /* more acks than deletes: not ours to count */
	acks->pending--;
	/* ENOENT: gone on its own, or replaced by a connection the current rules admitted */
	if (ack->error == 0)
		purge->stats.deleted++;
	else if (ack->error != -ENOENT && purge->refused++ == 0)
		purge->refused_errno = -ack->error;
	return MNL_CB_OK;
}

/* Sends one datagram of deletes and reads their acks; 0, or -1 with err set. */
static int conntrack_send_batch(struct conntrack_purge *purge, size_t length, size_t requests)
{
	mnl_cb_t controls[NLMSG_MIN_TYPE] = {[NLMSG_ERROR] = conntrack_delete_ack};
	struct conntrack_acks acks = {.purge = purge, .pending = requests};
	size_t idle = 0;

	if (mnl_socket_sendto(purge->delete, purge->send, length) < 0) {
		error_format(purge->err, purge->errlen, "conntrack delete: %s", strerror(errno));
		return -1;
	}
	while (acks.pending > 0) {
		ssize_t got =
		    netlink_receive(purge->delete, purge->buffer, CONNTRACK_RECV_BUFFER, 0);
		int status;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_format(purge->err, purge->errlen, "conntrack delete: %s",
				     errno == ENOSPC ? "answer truncated" : strerror(errno));
			return -1;
		}
		if (got == 0 || !netlink_datagram_whole(purge->buffer, (size_t)got)) {
			if (++idle > CONNTRACK_IDLE_DATAGRAMS_MAX) {
				error_format(purge->err, purge->errlen,
					     "conntrack delete: no answer after %d datagrams",
					     CONNTRACK_IDLE_DATAGRAMS_MAX);
				return -1;
			}
			continue; /* not from the kernel, or malformed */
		}
		status = mnl_cb_run2(purge->buffer, (size_t)got, purge->delete_seq,
				     mnl_socket_get_portid(purge->delete), NULL, &acks, controls,
				     NLMSG_MIN_TYPE);
		if (status < MNL_CB_STOP && errno != ESRCH && errno != EPROTO) {
			error_format(purge->err, purge->errlen, "conntrack delete: %s",
				     strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Deletes the victims collected so far, many to a datagram; 0, or -1 with err set. */
static int conntrack_delete_victims(struct conntrack_purge *purge)
{
	size_t length = 0, requests = 0;
	int ret = 0;

	purge->delete_seq++;
	for (size_t i = 0; i < purge->victim_count && ret == 0; i++) {
		struct nlmsghdr *message;

		if (!conntrack_victim_complete(purge->victims[i], purge->family))
			continue;
		if (CONNTRACK_SEND_BUFFER - length < CONNTRACK_DELETE_MAX) {
			ret = conntrack_send_batch(purge, length, requests);
			length = requests = 0;
			purge->delete_seq++;
			if (ret < 0)
				break;
		}
		/* attribute padding is sent as it is in the buffer: zeroed, not left over */
		memset(purge->send + length, 0, CONNTRACK_DELETE_MAX);
		message = conntrack_request(purge->send + length, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
					    purge->family, purge->delete_seq);
		if (nfct_nlmsg_build(message, purge->victims[i]) < 0) {
			error_format(purge->err, purge->errlen,
				     "conntrack delete: cannot build the request");
			ret = -1;
			break;
		}
		/* the library leaves the id out; with it, a newer entry of the same tuple stays */
		if (nfct_attr_is_set(purge->victims[i], ATTR_ID) > 0)
			mnl_attr_put_u32(message, CTA_ID,
					 htonl(nfct_get_attr_u32(purge->victims[i], ATTR_ID)));
		if (message->nlmsg_len > CONNTRACK_DELETE_MAX) {
			error_format(purge->err, purge->errlen,
				     "conntrack delete: request of %u bytes", message->nlmsg_len);
			ret = -1;
			break;
		}
		length += NLMSG_ALIGN(message->nlmsg_len);
		requests++;
	}
	if (ret == 0 && requests > 0)
		ret = conntrack_send_batch(purge, length, requests);
	for (size_t i = 0; i < purge->victim_count; i++)
		nfct_destroy(purge->victims[i]);
	purge->victim_count = 0;
	return ret;
}

/* Dumps one family's entries and deletes what should go; 0, or -1 with err set. */
static int conntrack_purge_family(struct conntrack_purge *purge, int family)
{
	struct nlmsghdr *message;
	int status = MNL_CB_OK;
	size_t idle = 0;

	purge->family = family;
	purge->dump_seq++;
	message = conntrack_request(purge->buffer, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family,
				    purge->dump_seq);
	if (mnl_socket_sendto(purge->dump, message, message->nlmsg_len) < 0) {
		error_format(purge->err, purge->errlen, "conntrack dump: %s", strerror(errno));
		return -1;
	}
	while (status > MNL_CB_STOP) {
		size_t examined = purge->stats.examined;
		ssize_t got;

		got = netlink_receive(purge->dump, purge->buffer, CONNTRACK_RECV_BUFFER, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_format(purge->err, purge->errlen, "conntrack dump: %s",
				     errno == ENOSPC ? "message truncated" : strerror(errno));
			return -1;
		}
		if (got > 0 && !netlink_datagram_whole(purge->buffer, (size_t)got)) {
			error_format(purge->err, purge->errlen,
				     "conntrack dump: malformed message");
			return -1;
		}
		if (got > 0) {
			status = mnl_cb_run(purge->buffer, (size_t)got, purge->dump_seq,
					    mnl_socket_get_portid(purge->dump),
					    conntrack_dump_entry, purge);
			if (status < MNL_CB_STOP && !purge->failed) {
				error_format(purge->err, purge->errlen, "conntrack dump: %s",
					     strerror(errno));
				purge->failed = true;
			}
		}
		/* what this datagram condemned goes before the next is read */
		if (purge->victim_count > 0 && conntrack_delete_victims(purge) < 0)
			return -1;
		if (purge->failed)
			return -1;
		if (purge->stats.examined == examined && ++idle > CONNTRACK_IDLE_DATAGRAMS_MAX) {
			error_format(purge->err, purge->errlen,
				     "conntrack dump: no end after %d datagrams without entries",
				     CONNTRACK_IDLE_DATAGRAMS_MAX);
			return -1;
		}
	}
	return 0;
}

int conntrack_purge(const struct conntrack_network *networks, size_t count, size_t entry_limit,
		    struct conntrack_purge_stats *stats, char *err, size_t errlen)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct conntrack_purge purge = {
	    .networks = networks,
	    .count = count,
	    .entry_limit = entry_limit ? entry_limit : CONNTRACK_PURGE_MAX_ENTRIES,
	    .dump_seq = (uint32_t)time(NULL),
	    .delete_seq = (uint32_t)time(NULL),
	    .err = err,
	    .errlen = errlen,
	};
	int ret = -1;

	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (count == 0)
		return 0; /* nothing protected: nothing to delete, no table to read */
	if (conntrack_host_addresses(&purge) < 0)
		goto out;
	purge.buffer = malloc(CONNTRACK_RECV_BUFFER);
	purge.send = malloc(CONNTRACK_SEND_BUFFER);
	if (purge.buffer == NULL || purge.send == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	purge.dump = conntrack_socket_open(&purge);
	if (purge.dump == NULL)
		goto out;
	purge.delete = conntrack_socket_open(&purge);
	if (purge.delete == NULL)
		goto out;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]) && !purge.over_limit; f++)
		if (conntrack_purge_family(&purge, families[f]) < 0)
			goto out;
	if (purge.over_limit) {
		error_format(err, errlen,
			     "the conntrack table holds more than %zu entries: only the first %zu "
			     "were examined (%zu deleted)",
			     purge.entry_limit, purge.stats.examined, purge.stats.deleted);
		goto out;
	}
	if (purge.refused > 0) {
		error_format(err, errlen, "the kernel refused to delete %zu conntrack entries: %s",
			     purge.refused, strerror(purge.refused_errno));
		goto out;
	}
	ret = 0;
out:
	if (stats != NULL)
		*stats = purge.stats;
	for (size_t i = 0; i < purge.victim_count; i++)
		nfct_destroy(purge.victims[i]);
	free(purge.victims);
	if (purge.delete != NULL)
		mnl_socket_close(purge.delete);
	if (purge.dump != NULL)
		mnl_socket_close(purge.dump);
	free(purge.send);
	free(purge.buffer);
	free(purge.host);
	return ret;
}
