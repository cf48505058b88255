/*
 * Firewall backends: the only code that talks to the kernel's firewall.
 * One struct of function pointers per backend (iptc, fake; later nft).
 */
#ifndef TJD_BACKEND_H
#define TJD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

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
	/* Reads back tjd's chains as text (iptables-save style); malloc'd. */
	int (*dump)(struct backend *backend, char **text, char *err, size_t errlen);
	void (*close)(struct backend *backend);
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

/*
 * Fills in the chain names for an instance ("" = default: TJD-FORWARD and
 * TJD-INPUT; otherwise TJD-FORWARD-<id> / TJD-INPUT-<id>) and sets ops.
 * Returns -1 if the instance id is too long or not [A-Za-z0-9_].
 */
int backend_init(struct backend *backend, const struct backend_ops *ops, const char *instance_id);

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
