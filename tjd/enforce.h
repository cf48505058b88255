/*
 * Enforcement: the one place tjd writes the firewall.
 *
 * Everything that reaches the kernel's firewall goes through here: the
 * ruleset restored from disk at boot, every reconcile's result, drift
 * repair, clearing, and the switch between backends.  The module owns
 *
 *   the backend (chosen here: nftables where nf_tables works, else the
 *     legacy iptables tables) and one target per network namespace tjd
 *     manages: tjd's own (the host's bridge networks) and each swarm
 *     overlay network's namespace (container namespaces come next);
 *   compiling: enforce_apply takes the configuration, the inventory and
 *     the swarm peers and runs the pure compilers (tjd/policy.h);
 *   committing: one function applies a ruleset to one target; when the
 *     kernel differed although tjd wanted what it had installed before,
 *     someone else changed tjd's rules, and that is counted once, as a
 *     drift repair, whatever noticed it (a reconcile, the live monitor or
 *     the periodic comparison);
 *   drift detection: the backend's change notifications, or a cheap
 *     comparison every ENFORCE_DRIFT_CHECK_MSEC where it has none;
 *   the state file: every host ruleset it commits is saved, and restored
 *     at start before Docker is asked anything (fail-closed boot);
 *   what status shows: counters, rule counts, per-namespace state.
 *
 * Nothing here talks to Docker; reconcile.c turns Docker's answers into
 * the inventory that enforce_apply takes.
 */
#ifndef TJD_ENFORCE_H
#define TJD_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tjd/backend.h"
#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/peers.h"
#include "tjd/ruleset.h"

struct event_base;
struct enforce;

/* How often the kernel is compared with tjd's rules where it cannot notify. */
#define ENFORCE_DRIFT_CHECK_MSEC 200

struct enforce_options {
	const char *instance_id; /* chain and table names; "" = default */
	const char *backend;	 /* "auto", "nftables", "iptables" */
	const char *state_file;	 /* NULL: none */
	bool dry_run;		 /* a fake backend: compile, touch nothing */
	/*
	 * Delete the tracked connections a stricter policy no longer admits
	 * (tjd/conntrack.h), in tjd's own namespace, after the host commit.
	 */
	bool conntrack_purge;
	bool unowned_tables; /* nftables: tables anyone may change (own_tables = no) */
	/* Tests: this backend as it is, with no choosing and no br_netfilter check. */
	const struct backend_ops *ops;
};

/* Counters for status. */
struct enforce_stats {
	uint64_t apply_count;	     /* commits that changed a kernel ruleset */
	uint64_t drift_repairs;	     /* of them, undoing someone else's change */
	bool ready;		     /* a ruleset is in place (restored or applied) */
	uint64_t conntrack_purges;   /* purges run (the policy became stricter) */
	uint64_t conntrack_deleted;  /* connections they deleted */
	uint64_t conntrack_failures; /* purges that failed (retried at the next apply) */
};

/* What status shows about one container with its own firewall. */
struct enforce_container_status {
	char id[INV_ID_MAX + 1];
	char name[INV_NAME_MAX + 1];
	char netns[INV_NETNS_PATH_MAX + 1]; /* "" when refused or unknown */
	size_t rule_count;
	size_t log_rule_count; /* of them, RULE_LOG (tjd/pktlog.h reads what they pass on) */
	bool enforced;
	char problem[400];
};

/* What status shows about one network namespace tjd manages. */
struct enforce_netns_status {
	char netns[256];
	bool enforced; /* the namespace holds the rules of the last apply */
	size_t rule_count;
};

/*
 * Checks br_netfilter, chooses and opens the backend ("auto" prefers
 * nftables, Docker's own direction, and falls back to the legacy tables
 * only where nf_tables does not work) and removes what the other backend
 * left from an earlier run.  NULL with err set when tjd cannot enforce here.
 */
struct enforce *enforce_new(const struct enforce_options *options, char *err, size_t errlen);
/*
 * Starts live drift repair on `base`: the backend's change notifications,
 * or a comparison every ENFORCE_DRIFT_CHECK_MSEC.  0, or -1 (out of memory).
 */
int enforce_watch(struct enforce *enforce, struct event_base *base);
/* Closes every backend; the kernel keeps the rules. */
void enforce_free(struct enforce *enforce);

/* Called after a drift repair, so the owner can re-read Docker too. */
void enforce_set_drift_hook(struct enforce *enforce, void (*hook)(void *arg), void *arg);

/*
 * Reinstalls the saved ruleset (fail-closed boot).  1 restored, 0 nothing
 * (usable) saved, -1 the kernel refused it (err set).
 */
int enforce_restore(struct enforce *enforce, char *err, size_t errlen);

/*
 * Compiles conf + inventory + peers and commits the result: the host
 * first, then every other namespace (a failure there never holds the
 * host's rules back).  Namespaces no longer wanted are cleared.  Returns 0;
 * -1 when the host ruleset could not be compiled or committed (the kernel
 * keeps what it had; err set); 1 when the host is done but a namespace
 * failed (err names it).
 */
int enforce_apply(struct enforce *enforce, const struct conf *conf, const struct inventory *inv,
		  const struct peer_set *peers, size_t peer_count, char *err, size_t errlen);

/* Removes every rule tjd installed, in every namespace, and the saved state. */
int enforce_clear(struct enforce *enforce, char *err, size_t errlen);
/* Stops all further commits (clearing or exiting); drift is no longer repaired. */
void enforce_stop(struct enforce *enforce);

/*
 * tjd --clear without a running daemon: removes what either backend holds
 * in tjd's namespace, and the saved state.  0, or -1 (logged).  Refuses,
 * removing nothing, when a running tjd holds rules the kernel keeps from
 * anyone else (owned nftables tables): that one must clear them.
 */
int enforce_clear_offline(const char *instance_id, const char *state_file);

/* Reading back, for status, rules and --dry-run. */
const struct enforce_stats *enforce_stats(const struct enforce *enforce);
const char *enforce_backend_name(const struct enforce *enforce);
const char *enforce_backend_reason(const struct enforce *enforce);
/* How layer 2 is enforced beside an IP backend without it ("" when the backend has it). */
const char *enforce_layer2_reason(const struct enforce *enforce);
const struct backend *enforce_backend(const struct enforce *enforce);
/* The layer-2 companion beside an IP backend without layer 2; NULL when there is none. */
const struct backend *enforce_layer2_backend(const struct enforce *enforce);
/* The host ruleset last committed (or compiled, in a dry run). */
const struct ruleset *enforce_installed(const struct enforce *enforce);
/* When the members of the host ruleset's set `name` last changed (0: not committed yet). */
time_t enforce_set_changed(const struct enforce *enforce, const char *name);
/* Rules the last apply gave a network (by id): the host's, or its namespace's. */
size_t enforce_rule_count(const struct enforce *enforce, const char *network_id);
/* Fills *status for an overlay network id; false when tjd holds nothing for it. */
bool enforce_netns_lookup(const struct enforce *enforce, const char *network_id,
			  struct enforce_netns_status *status);
/* The containers with a firewall of their own, as the last apply left them. */
const struct enforce_container_status *enforce_containers(const struct enforce *enforce,
							  size_t *count);
/* Dropped-packet counters of many networks from one read; -1 if unsupported or failing. */
int enforce_counters(struct enforce *enforce, struct backend_counter *counters, size_t count,
		     char *err, size_t errlen);
/* The host's rules as the kernel holds them, in the backend's syntax; malloc'd. */
int enforce_dump(struct enforce *enforce, char **text, char *err, size_t errlen);
/*
 * The same for the namespace of a container with a firewall of its own,
 * named by its name or (a prefix of) its id.  0; 1 when tjd holds no such
 * container (err says so); -1 on failure.
 */
int enforce_dump_container(struct enforce *enforce, const char *container, char **text, char *err,
			   size_t errlen);

/*
 * The same for an overlay network's namespace, named by its name or (a
 * prefix of) its id.  0; 1 when tjd holds no namespace for it; -1.
 */
int enforce_dump_network(struct enforce *enforce, const char *network, char **text, char *err,
			 size_t errlen);
/*
 * Every namespace tjd manages, each headed by a comment saying where it
 * lives: its own, each overlay network's, each container's.  Sections
 * that would take the text past `budget` bytes are left out and named at
 * the end.  0, or -1 (err set).
 */
int enforce_dump_all(struct enforce *enforce, size_t budget, char **text, char *err, size_t errlen);

#endif
