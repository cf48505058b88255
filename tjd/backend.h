/*
 * Firewall backends: the only code that talks to the kernel's firewall.
 * One struct of function pointers per backend: nftables (libnftables),
 * iptables (the legacy x_tables through libiptc), and a fake that records
 * what it was asked, for tests.  The enforcement layer (tjd/enforce.h) is
 * their only caller; a backend works in whatever network namespace the
 * calling thread is in (tjd/backend-netns.h).
 */
#ifndef TJD_BACKEND_H
#define TJD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tjd/ruleset.h"

/* Longest chain name x_tables accepts (XT_EXTENSION_MAXNAMELEN - 1). */
#define BACKEND_CHAIN_MAX 28
/*
 * Longest prefix a backend puts before a ruleset set's name where set
 * names are shared by everyone in the namespace (ipset): the room
 * RULE_SET_NAME_MAX leaves.
 */
#define BACKEND_SET_PREFIX_MAX 4

struct backend;

/* How the comment of every rule of the published-port policy starts. */
#define BACKEND_PUBLISHED_COMMENT "tjd published"

/* Which of tjd's rules dropped: the hook they live on. */
enum backend_drop_kind {
	BACKEND_DROP_ISOLATION, /* forward: between two ports of a network */
	BACKEND_DROP_NO_HOST,	/* input: from a network to the host */
	BACKEND_DROP_HOST,	/* output: from the host, mid-stream */
	/*
	 * forward or input: a connection to a published port the [published]
	 * policy refuses; any rule whose comment starts BACKEND_PUBLISHED_COMMENT.
	 */
	BACKEND_DROP_PUBLISHED,
	BACKEND_DROP_KINDS,
};

/* One network's dropped-packet counters (backend_ops.counters). */
struct backend_counter {
	const char *bridge; /* in: the network's bridge; NULL = every network */
	uint64_t packets;   /* out: all kinds */
	uint64_t bytes;	    /* out */
	uint64_t kind_packets[BACKEND_DROP_KINDS]; /* out: per kind */
	uint64_t kind_bytes[BACKEND_DROP_KINDS];
};

/*
 * Drops counted per interface (a network's bridge), all kinds and per
 * kind: what a backend reads off its rules and keeps across replacing them.
 */
struct backend_tally {
	char iface[TJD_IFNAMSIZ];
	uint64_t packets, bytes; /* every kind, and drops of no kind */
	uint64_t kind_packets[BACKEND_DROP_KINDS];
	uint64_t kind_bytes[BACKEND_DROP_KINDS];
};

struct backend_tallies {
	struct backend_tally *items;
	size_t count, capacity;
};

/* Adds drops of `kind` (-1: of no kind) to iface's tally; 0, or -1 when out of memory. */
int backend_tally_add(struct backend_tallies *tallies, const char *iface, int kind,
		      uint64_t packets, uint64_t bytes);
/* Adds every tally of `from` into `to`, kinds kept; 0, or -1 when out of memory. */
int backend_tallies_merge(struct backend_tallies *to, const struct backend_tallies *from);
/*
 * Zeroes the counters (keeping each one's bridge) and adds into each the
 * tallies of its bridge (every tally for a NULL bridge), from each list.
 */
void backend_tallies_sum(const struct backend_tallies *const *lists, size_t list_count,
			 struct backend_counter *counters, size_t count);

struct backend_ops {
	const char *name;
	/* Checks prerequisites and prepares; returns 0 or -1 with err set. */
	int (*open)(struct backend *backend, char *err, size_t errlen);
	/*
	 * Makes the kernel hold exactly `desired` in tjd's chains, with each
	 * jump first in its parent chain.  Atomic per table: one commit, no
	 * flush-then-add window.  Commits only when the kernel differs from
	 * `desired` (including drift: our chain flushed or the jump moved),
	 * and then sets *changed.  On failure the kernel is left as it was.
	 */
	int (*apply)(struct backend *backend, const struct ruleset *desired, bool *changed,
		     char *err, size_t errlen);
	/* Removes every chain and jump tjd installed; absent is success. */
	int (*clear)(struct backend *backend, char *err, size_t errlen);
	/* Reads back tjd's rules as text, in the backend's own syntax; malloc'd. */
	int (*dump)(struct backend *backend, char **text, char *err, size_t errlen);
	void (*close)(struct backend *backend);
	/*
	 * Optional (NULL where unsupported).  Dropped packets and bytes since
	 * tjd installed its rules, for each entry of `counters` (the network
	 * whose bridge is counters[i].bridge, or all when that is NULL), from
	 * one read of the kernel whatever the count.
	 */
	int (*counters)(struct backend *backend, struct backend_counter *counters, size_t count,
			char *err, size_t errlen);
	/*
	 * Optional live drift repair: an fd that is readable when the firewall
	 * changes (-1: none); drain reads it and says whether someone else
	 * touched tjd's rules, which the daemon then restores at once.
	 */
	int (*monitor_fd)(struct backend *backend);
	bool (*monitor_drain)(struct backend *backend);
	/*
	 * Optional: how tjd's rules are kept from others, for status (a
	 * phrase such as "tables owned by tjd: deletion refused by the kernel").
	 */
	const char *(*protection)(const struct backend *backend);
	/*
	 * Optional: 1 when another running process holds tjd's rules so that
	 * clear would be refused (err names it), 0 when not, -1 on error.
	 */
	int (*held_elsewhere)(struct backend *backend, char *err, size_t errlen);
};

struct backend {
	const struct backend_ops *ops;
	char chain_forward[BACKEND_CHAIN_MAX + 1];
	char chain_input[BACKEND_CHAIN_MAX + 1];
	char chain_output[BACKEND_CHAIN_MAX + 1];
	/*
	 * What goes before a ruleset set's name in a kernel-wide set name
	 * (the iptables backend's ipsets): "tjd-" for the default instance,
	 * else three characters derived from the instance id and '-'.
	 */
	char set_prefix[BACKEND_SET_PREFIX_MAX + 1];
	/* Opened only to clear: skip the checks that enforcing needs (br_netfilter). */
	bool clear_only;
	/*
	 * nftables: leave tjd's tables unowned (own_tables = no), so that
	 * anyone may change them and the monitor repairs it, rather than the
	 * kernel refusing it (tjd/nft-owner.h).
	 */
	bool unowned_tables;
	/*
	 * The caller drains monitor_fd and repairs every foreign change it
	 * reports: apply may then trust that the kernel holds its last commit
	 * (commit only differences, skip reading back what it wrote).
	 */
	bool watched;
	void *priv;
};

extern const struct backend_ops backend_iptc_ops;
extern const struct backend_ops backend_fake_ops;
extern const struct backend_ops backend_nft_ops;
/*
 * The nftables backend's bridge table (layer 2) alone, under its own table
 * name: what tjd writes beside the iptables backend, which has no layer 2.
 */
extern const struct backend_ops backend_nft_bridge_ops;
/* The nft script the nft backend's apply runs for `desired` (malloc'd); NULL + err. */
char *backend_nft_render(const struct backend *backend, const struct ruleset *desired, char *err,
			 size_t errlen);
/*
 * The commands a watched nft backend runs to go from `from` to `to` when
 * they differ only in allow-listed addresses ("" when equal); NULL + err
 * when a whole new ruleset must be committed instead.
 */
char *backend_nft_render_delta(const struct backend *backend, const struct ruleset *from,
			       const struct ruleset *to, char *err, size_t errlen);

/* The backend's chain names, indexed by enum rule_hook (for ruleset_format). */
void backend_chain_names(const struct backend *backend, const char *names[RULE_HOOK_COUNT]);

/*
 * Fills in the chain names for an instance ("" = default: TJD-FORWARD and
 * TJD-INPUT; otherwise TJD-FORWARD-<id> / TJD-INPUT-<id>), the set prefix
 * and ops.  Returns -1 if the instance id is too long or not [A-Za-z0-9_].
 */
int backend_init(struct backend *backend, const struct backend_ops *ops, const char *instance_id);

/*
 * Refuses to pretend: without br_netfilter (in the calling thread's network
 * namespace) nothing bridged reaches the firewall.  0, or -1 with err set.
 */
int backend_check_bridge_netfilter(char *err, size_t errlen);
/*
 * The same inside a namespace tjd manages (`where` names it): a switch
 * that reads 0 is turned on, there only.  0, or -1 with err set.
 */
int backend_enable_bridge_netfilter(const char *where, char *err, size_t errlen);

/* What the fake backend recorded, for tests. */
struct backend_fake_state {
	struct ruleset installed;
	unsigned apply_calls;
	unsigned commits;
	unsigned clear_calls;
	bool fail_next_apply;
};
struct backend_fake_state *backend_fake_state(const struct backend *backend);

#endif
