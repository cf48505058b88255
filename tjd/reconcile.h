/*
 * Reconciliation: asks Docker (asynchronously) what the protected networks
 * look like, compiles the desired ruleset and hands it to the backend.
 * Driven by Docker's event stream (debounced), by a periodic timer, and by
 * control commands.  A failed reconcile changes nothing in the kernel.
 */
#ifndef TJD_RECONCILE_H
#define TJD_RECONCILE_H

#include <stdbool.h>

struct tjd;
struct reconcile;

/* Delay that lets a burst of Docker events become one reconcile. */
#define RECONCILE_DEBOUNCE_USEC 2000
#define RECONCILE_BACKOFF_MIN_MSEC 100
#define RECONCILE_BACKOFF_MAX_MSEC 5000

struct reconcile *reconcile_new(struct tjd *tjd);
void reconcile_free(struct reconcile *reconcile);
/* Starts following Docker's event stream and runs a first reconcile. */
void reconcile_start(struct reconcile *reconcile);
/* Asks for a reconcile soon; coalesces with one pending or running. */
void reconcile_request(struct reconcile *reconcile, const char *reason);
/* Called once when a reconcile finishes (dry-run uses it to exit). */
void reconcile_set_done_hook(struct reconcile *reconcile,
			     void (*hook)(struct tjd *tjd, bool ok));

#endif
