/*
 * A backend opened inside one network namespace: tjd's own (path "") or
 * another one bound at a path (a swarm overlay network's namespace, or a
 * container's with a firewall of its own).  The backends are namespace-agnostic:
 * libiptc and libnftables open their sockets in whatever namespace the
 * calling thread is in, so opening one inside a namespace ties it there.
 *
 * This module knows namespaces, not rules: backend_netns_run enters the
 * namespace, opens the backend there on first use (and again when the
 * namespace at the path was re-created), runs one operation the caller
 * hands it, and always brings the thread back.  The enforcement layer
 * (tjd/enforce.c) is its only user and decides what to run.
 */
#ifndef TJD_BACKEND_NETNS_H
#define TJD_BACKEND_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tjd/backend.h"

/* Longest namespace path accepted. */
#define BACKEND_NETNS_PATH_MAX 255

struct backend_netns {
	char path[BACKEND_NETNS_PATH_MAX + 1]; /* "" = the namespace tjd runs in */
	struct backend backend;
	bool open;
	bool fresh; /* the last run opened the backend: the namespace held nothing of ours */
	dev_t dev;  /* identity of the namespace the backend was opened in */
	ino_t ino;
};

/* An operation run inside the namespace on its open backend. */
typedef int (*backend_netns_fn)(struct backend *backend, void *arg, char *err, size_t errlen);

/*
 * Prepares `bn` for the namespace at `path` with a backend of template's
 * kind, chain names and table ownership, not opened yet.  -1 if the path is too long.
 */
int backend_netns_init(struct backend_netns *bn, const struct backend *template, const char *path);
/* Closes the backend (from any namespace: it frees memory and fds); the kernel keeps the rules. */
void backend_netns_close(struct backend_netns *bn);

/*
 * Runs fn on the namespace's backend from inside the namespace.  When
 * `enforcing`, br_netfilter's switches are turned on inside first (each
 * namespace has its own; without them bridged traffic skips the
 * firewall).  Returns 1 when fn ran and succeeded, 0 when no namespace is
 * bound at the path (nothing of tjd's can be in it), -1 with err naming
 * the namespace.  For path "" the backend must already be open.
 */
int backend_netns_run(struct backend_netns *bn, bool enforcing, backend_netns_fn fn, void *arg,
		      char *err, size_t errlen);

#endif
