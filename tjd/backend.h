/*
 * Firewall backends: the only code that talks to the kernel's firewall.
 * One struct of function pointers per backend (iptc, fake; later nft).
 */
#ifndef TJD_BACKEND_H
#define TJD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tjd/ruleset.h"

/* Longest chain name x_tables accepts (XT_EXTENSION_MAXNAMELEN - 1). */
#define BACKEND_CHAIN_MAX 28

struct backend;

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
	 * Optional (NULL where unsupported).  Dropped packets and bytes since tjd
	 * installed its rules: for the network whose bridge is `bridge`, or all
	 * when NULL.
	 */
	int (*counters)(struct backend *backend, const char *bridge, uint64_t *packets,
			uint64_t *bytes, char *err, size_t errlen);
	/*
	 * Optional live drift repair: an fd that is readable when the firewall
	 * changes (-1: none); drain reads it and says whether someone else
	 * touched tjd's rules, which the daemon then restores at once.
	 */
	int (*monitor_fd)(struct backend *backend);
	bool (*monitor_drain)(struct backend *backend);
};

struct backend {
	const struct backend_ops *ops;
	char chain_forward[BACKEND_CHAIN_MAX + 1];
	char chain_input[BACKEND_CHAIN_MAX + 1];
	/* Opened only to clear: skip the checks that enforcing needs (br_netfilter). */
	bool clear_only;
	void *priv;
};

extern const struct backend_ops backend_iptc_ops;
extern const struct backend_ops backend_fake_ops;
extern const struct backend_ops backend_nft_ops;
/* The nft script the nft backend's apply runs for `desired` (malloc'd); NULL + err. */
char *backend_nft_render(const struct backend *backend, const struct ruleset *desired, char *err,
			 size_t errlen);

/*
 * Fills in the chain names for an instance ("" = default: TJD-FORWARD and
 * TJD-INPUT; otherwise TJD-FORWARD-<id> / TJD-INPUT-<id>) and sets ops.
 * Returns -1 if the instance id is too long or not [A-Za-z0-9_].
 */
int backend_init(struct backend *backend, const struct backend_ops *ops, const char *instance_id);

/*
 * Refuses to pretend: without br_netfilter (in the calling thread's network
 * namespace) nothing bridged reaches the firewall.  0, or -1 with err set.
 */
int backend_check_bridge_netfilter(char *err, size_t errlen);

/* What the fake backend recorded, for tests. */
struct backend_fake_state {
	struct ruleset installed;
	unsigned apply_calls;
	unsigned commits;
	unsigned clear_calls;
	bool fail_next_apply;
};
struct backend_fake_state *backend_fake_state(struct backend *backend);

#endif
