/*
 * Control command dispatch: a decoded request goes to one handler per
 * command (tjd/ctl-*.c), registered in a table with its flags.  The
 * dispatcher never sees a socket: it takes bytes and the caller's uid and
 * hands back the packed reply through a callback.
 */
#ifndef TJD_CTL_H
#define TJD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/tjd.pb-c.h"

struct tjd;

/* The command changes state: only uid 0 may run it. */
#define CTL_MUTATES 0x1

/* Allocations for one reply, freed together by the dispatcher. */
struct ctl_arena;

struct ctl_context {
	struct tjd *tjd;
	uid_t uid;
	struct ctl_arena *arena;
	/* Run after the reply was sent (clear uses it to exit). */
	void (*after_reply)(struct tjd *tjd);
};

struct ctl_command {
	const char *name;
	Tjd__V1__Request__CommandCase command;
	unsigned flags;
	/*
	 * Fills reply (ok/code/error/result).  Allocates only through the
	 * context's arena.  Returns 0 on success, -1 after setting an error.
	 */
	int (*exec)(struct ctl_context *ctx, const Tjd__V1__Request *request,
		    Tjd__V1__Response *reply);
};

extern const struct ctl_command ctl_status_command;
extern const struct ctl_command ctl_clear_command;
extern const struct ctl_command ctl_reload_command;
extern const struct ctl_command ctl_rules_command;
extern const struct ctl_command ctl_set_peers_command;
extern const struct ctl_command ctl_metrics_command;
extern const struct ctl_command ctl_log_command;
extern const struct ctl_command ctl_explain_command;
extern const struct ctl_command ctl_diff_command;

/* The metrics text (tjd/metrics.h) as tjd stands now; malloc'd, NULL when out of memory. */
char *ctl_metrics_text(struct tjd *tjd);

typedef void (*ctl_send_fn)(void *arg, const uint8_t *reply, size_t len);

/*
 * Decodes one request (untrusted bytes; `truncated` if the frame exceeded
 * the limit), checks version and permission, runs the handler and sends
 * exactly one reply through `send`.  Never fails the daemon.
 */
void ctl_dispatch(struct tjd *tjd, const uint8_t *frame, size_t len, bool truncated, uid_t uid,
		  ctl_send_fn send, void *send_arg);

/* Arena helpers for handlers; all return NULL on OOM (the dispatcher reports it). */
void *ctl_alloc(struct ctl_context *ctx, size_t size);
char *ctl_strdup(struct ctl_context *ctx, const char *s);
/* Sets an error reply; returns -1 for `return ctl_error(...)`. */
int ctl_error(struct ctl_context *ctx, Tjd__V1__Response *reply, Tjd__V1__ErrorCode code,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
