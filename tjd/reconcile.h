/*
 * Reconciliation: turns Docker's state into an inventory.
 *
 * A run asks Docker (asynchronously, never blocking the loop) which
 * configured networks exist, what is on them, which endpoints an allow
 * filter matches, and where each allow-listed container's bridge port is;
 * then it hands the inventory to its owner (the daemon hands it to the
 * enforcement layer, tjd/enforce.h).  Runs are driven by Docker's event
 * stream (debounced), by the owner (poll timer, control commands), and
 * retried with back-off when they fail.  A failed run hands nothing over,
 * so the kernel keeps what it had.
 *
 * An event names what changed: a network event that network, a container
 * event the networks that container is on; a run then reads only those
 * (a partial run, from the last inventory), while the poll, the stream
 * reopening, a failure and anything unknown read everything (a full run).
 *
 * Stages of one run, each a function below and each waiting for all of
 * its requests before the next starts (a partial run skips the first):
 *   networks   GET /networks                   which configured names exist
 *   inspect    GET /networks/{id}              subnets, bridge, endpoints
 *   allowed    GET /containers/json?filters=   per allow filter: who matches
 *   sandboxes  GET /containers/{id}/json       per endpoint of a bridge network
 *                                              (per allow-listed one of an
 *                                              overlay): its sandbox, then its
 *                                              port
 * and, at the end, every bridge's ports as the kernel lists them, so that
 * a port tjd cannot attribute to a container is known to be one.
 */
#ifndef TJD_RECONCILE_H
#define TJD_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tjd/inventory.h"

struct netns_peers;

struct conf;
struct docker_client;
struct event_base;
struct reconcile;

/* Delay that lets a burst of Docker events become one reconcile. */
#define RECONCILE_DEBOUNCE_USEC 2000
#define RECONCILE_BACKOFF_MIN_MSEC 100
#define RECONCILE_BACKOFF_MAX_MSEC 5000

/* What one run found. */
struct reconcile_result {
	/* The whole inventory, or NULL when the run failed. */
	const struct inventory *inventory;
	const char *error;    /* NULL on success */
	const char *withheld; /* "" or the first allowance withheld (fail closed), for status */
	bool partial;	      /* only some networks were read again; the rest is the last run's */
	unsigned answers_reused; /* Docker answers identical to the last run's: not parsed again */
	unsigned answers_parsed; /* Docker answers read afresh */
	uint32_t elapsed_usec;
};

struct reconcile_hooks {
	/*
	 * A run finished.  Returns 0 when what it found is in place (it becomes
	 * reconcile_inventory), 1 when it is but something needs another try,
	 * -1 when it could not be put in place; after 1 and -1 a full run
	 * follows with back-off, as after a failed run.
	 */
	int (*done)(void *arg, const struct reconcile_result *result);
	/* Docker's event stream could not start or ended; message says which. */
	void (*docker_lost)(void *arg, const char *message);
};

/*
 * How a container's bridge port is found (tjd/netns.h in the daemon; a
 * table in tests).  Both return 0 with port filled, or -1 with err.
 */
struct reconcile_ports {
	/*
	 * The veth on `bridge`, in tjd's namespace, of the interface with `mac`
	 * in the sandbox; `host_side` is the run's table of that bridge, for a
	 * lookup that cannot see the sandbox (netns_bridge_port).
	 */
	int (*bridge_port)(const char *sandbox_key, const char *mac, const char *bridge,
			   struct netns_peers *host_side, char *port, size_t portlen, char *err,
			   size_t errlen);
	/* The port on `bridge` inside overlay_netns of the interface with `mac`. */
	int (*overlay_port)(const char *sandbox_key, const char *mac, const char *overlay_netns,
			    const char *bridge, char *port, size_t portlen, char *err,
			    size_t errlen);
	/* Every port of a bridge network's bridge (at most max). */
	int (*bridge_members)(const struct inv_network *net, char (*ports)[TJD_IFNAMSIZ],
			      size_t max, size_t *count, char *err, size_t errlen);
};

/* The real lookups (tjd/netns.h): bridge ports from tjd's namespace, overlays' inside theirs. */
extern const struct reconcile_ports reconcile_netns_ports;

struct reconcile *reconcile_new(struct event_base *base, struct docker_client *docker,
				const struct conf *conf, const struct reconcile_ports *ports,
				const struct reconcile_hooks *hooks, void *arg);
void reconcile_free(struct reconcile *reconcile);
/* The configuration runs read from now on (the caller keeps it alive). */
void reconcile_set_conf(struct reconcile *reconcile, const struct conf *conf);
/* Runs a first reconcile and, when follow_events, follows Docker's event stream. */
void reconcile_start(struct reconcile *reconcile, bool follow_events);
/* Asks for a full run soon; coalesces with one pending or running. */
void reconcile_request(struct reconcile *reconcile, const char *reason);
/*
 * The inventory of the last run the owner took (empty before the first);
 * the address stays the same for the reconciler's lifetime.
 */
const struct inventory *reconcile_inventory(const struct reconcile *reconcile);
/* Bytes the reconciler holds between runs (inventory, remembered ports and answers). */
size_t reconcile_memory(const struct reconcile *reconcile);

#endif
