/*
 * The daemon: one struct tjd owns everything and is passed around.  It
 * wires the parts together: Docker's state comes in through reconcile.c
 * as an inventory, goes out to the kernel through enforce.c, and the
 * control socket (control.c, ctl-*.c) reads the status kept here.
 */
#ifndef TJD_DAEMON_H
#define TJD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/metrics.h"
#include "tjd/peers.h"

struct event_base;
struct event;
struct docker_client;
struct reconcile;
struct control;
struct enforce;
struct pktlog;
struct events;

struct tjd {
	struct event_base *base;
	struct conf *conf;
	const char *conf_path;
	bool conf_required; /* -c given: a missing file is an error */
	const char *socket_path;
	bool dry_run; /* compile and print, touch nothing */
	struct docker_client *docker;
	struct reconcile *reconcile; /* Docker's state -> inventory */
	struct enforce *enforce;     /* inventory -> the kernel (the only writer) */
	struct pktlog *pktlog;	     /* what log rules pass on, read in their namespaces */
	struct events *events;	     /* the recent ones, for tjctl log */
	struct control *control;
	struct event *poll_timer;
	struct event *signal_events[5];

	/* What the last reconcile that reached the kernel saw (the reconciler's). */
	const struct inventory *inventory;

	/* Status. */
	time_t started;
	bool notified; /* READY=1 went out (restored or reconciled) */
	bool docker_connected;
	time_t last_reconcile;
	uint32_t last_reconcile_usec;
	char last_error[512];
	time_t last_error_time;
	uint64_t reconcile_count;
	struct metrics_histogram reconcile_seconds;
	struct event *metrics_timer; /* metrics_file: written every metrics_interval */

	/* Swarm peers (set-peers). */
	struct peer_set *peers;
	size_t peer_network_count;
	char last_peer_push_from[128];
	time_t last_peer_push;
	struct peer_parts *peer_parts; /* a push in parts, until its last part */

	bool stopping; /* no more applies: clearing or exiting */
	int exit_code;
};

/* Records an error for status and logs it. */
void daemon_set_error(struct tjd *tjd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void daemon_clear_error(struct tjd *tjd);
/* Loads the config again; on failure keeps the old one, returns -1 with err. */
int daemon_reload(struct tjd *tjd, char *err, size_t errlen);
/* Removes every rule tjd installed, then leaves the event loop with 0. */
int daemon_clear_and_exit(struct tjd *tjd, char *err, size_t errlen);
/* Stops the event loop, leaving rules in place. */
void daemon_stop(struct tjd *tjd, int exit_code);
/* Replaces the swarm peers (ownership passes) and has them enforced. */
void daemon_set_peers(struct tjd *tjd, struct peer_set *peers, size_t count,
		      const char *coordinator);

/* Command-line choices that main() hands to daemon_main(). */
struct daemon_options {
	const char *conf_path;
	bool conf_required;
	const char *socket_path;
	bool foreground;
	bool debug;
	bool check_config;
	bool dry_run;
	bool clear;
	const char *backend;	/* "auto", "nftables", "iptables"; NULL: the config's */
	const char *state_file; /* last applied ruleset, restored at start */
};

/* Runs tjd as the options say; returns the process exit code. */
int daemon_main(const struct daemon_options *options);
#endif
