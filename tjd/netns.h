/*
 * A container's bridge port, found through rtnetlink; and moving a thread
 * into a network namespace (CAP_SYS_ADMIN), for overlays and the backends
 * that write rules inside one.
 */
#ifndef TJD_NETNS_H
#define TJD_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#define NETNS_MAC_LEN 6
#define NETNS_IFNAMSIZ 16
/* Most ports netns_bridge_port reads of one bridge from the host side. */
#define NETNS_PEERS_MAX 8192

/* What one RTM_NEWLINK message says about a link (netns_link_read). */
struct netns_link {
	int index;
	char name[NETNS_IFNAMSIZ];
	unsigned char address[NETNS_MAC_LEN];
	bool has_address;
	int peer_index; /* IFLA_LINK */
	bool has_peer;
	/* IFLA_LINK_NETNSID: the peer's namespace, as the asking socket's names it */
	int link_netnsid;
	bool has_link_netnsid;
	/* IFLA_TARGET_NETNSID: the namespace the kernel answered for, when asked for another */
	int target_netnsid;
	bool has_target_netnsid;
	int master;    /* IFLA_MASTER, 0 if none */
	char kind[16]; /* IFLA_LINKINFO/IFLA_INFO_KIND, "" if none */
};

/*
 * Decodes one netlink message of at most `length` bytes: 1 with *link
 * filled when it is an RTM_NEWLINK, 0 when it is some other message (left
 * to the caller), -1 when it is malformed.  Every attribute read is
 * validated first; names and kinds come out NUL-terminated and in bounds.
 */
int netns_link_read(const void *message, size_t length, struct netns_link *link);

/* One port of a bridge as seen from the host side: its veth and the other end's MAC. */
struct netns_peer {
	char port[NETNS_IFNAMSIZ];
	int port_index;
	int nsid;	/* the other end's namespace, as tjd's names it */
	int peer_index; /* the other end's ifindex in that namespace */
	unsigned char mac[NETNS_MAC_LEN];
};

/*
 * The host-side route's table of one bridge, read at most twice per owner
 * (a reconcile run): once when first needed, once more when a MAC is not
 * in it (a container that started since).  Zero-initialised; see
 * netns_peers_clear.
 */
struct netns_peers {
	struct netns_peer *peers;
	size_t count;
	unsigned reads;
	bool failed;	 /* the last read failed; error says why */
	char error[192]; /* so each lookup of a run does not read again */
};

/* Frees a table and zeroes it. */
void netns_peers_clear(struct netns_peers *peers);

/*
 * The one port in peers whose other end has MAC `mac` (text, either case):
 * 0 with port filled, or -1 with err set (invalid MAC, no such port, more
 * than one: never a guess).  *matches says how many had the MAC.  Pure.
 */
int netns_peer_match(const struct netns_peer *peers, size_t count, const char *mac, size_t *matches,
		     char *port, size_t portlen, char *err, size_t errlen);

/*
 * Finds the port of `bridge`, in tjd's own network namespace, that is the
 * other end of a container's interface with MAC `mac`.  Needs CAP_NET_ADMIN
 * only: nothing enters any namespace.  Two routes:
 *
 *   sandbox    when the SandboxKey is a network namespace tjd can open: the
 *              kernel names it (RTM_GETNSID), tjd reads the container's
 *              links through IFLA_TARGET_NETNSID, finds the MAC there and
 *              checks its peer is a veth on `bridge` whose other end is in
 *              that very namespace.
 *   host side  when tjd does not see dockerd's namespace directory: the
 *              SandboxKey's directory is missing or empty (tjd's container
 *              run without dockerd's netns directory mounted):
 *              every veth port of `bridge`, its other end read through
 *              IFLA_TARGET_NETNSID, and the one whose MAC is `mac`; none or
 *              several fail.  `host_side` caches the table for the caller
 *              (NULL: a table for this call alone).
 *
 * Any other state of the SandboxKey (gone from a directory holding other
 * namespaces, not a network namespace, a symlink) fails: the container is going away, and a
 * MAC alone could name whoever inherits its address.  Returns 0 with port
 * filled, -1 with err set.
 */
int netns_bridge_port(const char *sandbox_key, const char *mac, const char *bridge,
		      struct netns_peers *host_side, char *port, size_t portlen, char *err,
		      size_t errlen);

/*
 * The same for a container on an overlay network: its veth's other end is
 * in the overlay namespace at overlay_netns, enslaved to `bridge` there
 * ("br0").  Enters the sandbox and the overlay namespace (CAP_SYS_ADMIN).
 * Returns 0 with the port's name (as seen in that namespace).
 */
int netns_overlay_port(const char *sandbox_key, const char *mac, const char *overlay_netns,
		       const char *bridge, char *port, size_t portlen, char *err, size_t errlen);

/*
 * Lists the ports of `bridge` in the calling thread's namespace (one
 * RTM_GETLINK dump): every link enslaved to it, into ports (at most max;
 * more is an error).  0 with *count set, or -1 with err set.
 */
int netns_bridge_members(const char *bridge, char (*ports)[16], size_t max, size_t *count,
			 char *err, size_t errlen);

/*
 * Moves the calling thread into the network namespace at path and hands
 * back a handle to its own; 0, or -1 with err set (the thread has not
 * moved).  Every successful netns_enter must be paired with netns_leave.
 */
int netns_enter(const char *path, int *saved_fd, char *err, size_t errlen);
/* Returns the thread to its own namespace; fatal if it cannot (nothing after would be safe). */
void netns_leave(int saved_fd, const char *path);

#endif
