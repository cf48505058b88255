/*
 * Conntrack purge: deleting the tracked connections tjd's current policy
 * would not have admitted.
 *
 * The kernel checks a connection against the firewall only on its first
 * packet; every later one is ESTABLISHED and tjd lets replies pass.  So a
 * connection opened before tjd protected a network, or by a container
 * whose allowance has since been withdrawn, keeps flowing whatever the
 * rules now say.  Deleting its conntrack entry closes that: its next
 * packet, from either end, is NEW again and meets the rules.
 *
 * Which entries go is decided from three addresses of each entry (the
 * original source, the original destination and the reply source, which
 * is where the connection really ends up when it was DNAT'ed) by a pure
 * function, conntrack_should_delete; conntrack.c's head note states the
 * rules.  conntrack_purge reads the table of the calling thread's network
 * namespace through libnetfilter_conntrack and deletes what should go, so
 * a caller that enters another namespace first purges that one.
 *
 * Nothing here knows Docker or the configuration: the caller describes
 * each protected network as plain data.
 */
#ifndef TJD_CONNTRACK_H
#define TJD_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/prefix.h"

/* Entries one purge reads at most (both families together); past it, it fails. */
#define CONNTRACK_PURGE_MAX_ENTRIES (1u << 20)

/* One protected network as the purge sees it. */
struct conntrack_network {
	/* The network's subnets; a zero-length prefix is ignored. */
	const struct prefix *subnets;
	size_t subnet_count;
	/*
	 * Its containers' IPv6 link-local addresses (conntrack_link_local
	 * makes them from the MACs); lengths are ignored.  Link-local
	 * addresses are in no subnet, so without them link-local flows
	 * between containers are never deleted.
	 */
	const struct prefix *link_local;
	size_t link_local_count;
	/*
	 * The addresses the policy's allowances name: the allow-listed
	 * containers' IPv4 and IPv6 addresses (lengths are ignored).
	 */
	const struct prefix *allowed;
	size_t allowed_count;
	bool host_closed; /* its containers may not open connections to the host */
};

/* What one purge did. */
struct conntrack_purge_stats {
	size_t examined; /* entries read from the table */
	size_t deleted;	 /* of them, deleted by this purge */
};

/*
 * Decides one entry: true when it should be deleted.  orig_dst and
 * reply_src may be NULL (reply_src NULL: the entry was not DNAT'ed).
 * host_addresses are the addresses of the namespace the entry lives in.
 */
bool conntrack_should_delete(const struct conntrack_network *networks, size_t count,
			     const struct prefix *host_addresses, size_t host_count,
			     const struct prefix *orig_src, const struct prefix *orig_dst,
			     const struct prefix *reply_src);

/*
 * The link-local address the kernel gives an interface with this MAC
 * ("02:42:ac:11:00:02", as the inventory keeps it): fe80::/64 with the
 * modified EUI-64 interface identifier.  0, or -1 if mac is not that form.
 */
int conntrack_link_local(const char *mac, struct prefix *out);

/*
 * Reads the conntrack table of the calling thread's network namespace
 * once per family and deletes every entry conntrack_should_delete picks,
 * judged against that namespace's own addresses (with no networks it
 * reads nothing).  Reads at most entry_limit entries (0 means
 * CONNTRACK_PURGE_MAX_ENTRIES).  Returns 0, or -1 with err set: the table
 * could not be read, held more entries than the limit, or the kernel
 * refused to delete some; *stats counts what was done before that (stats
 * may be NULL).  An entry that went away on its own meanwhile is not an
 * error.  Costs a few microseconds per entry read (check_conntrack
 * prints the figure): a commit that makes the rules stricter (a network
 * newly protected or closed to the host, an allowance withdrawn) needs a
 * purge after it; one that only adds allowances does not.
 */
int conntrack_purge(const struct conntrack_network *networks, size_t count, size_t entry_limit,
		    struct conntrack_purge_stats *stats, char *err, size_t errlen);

#endif
