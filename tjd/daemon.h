/* The daemon's state: one struct tjd owns everything and is passed around. */
#ifndef TJD_DAEMON_H
#define TJD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tjd/backend.h"
#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/ruleset.h"

struct event_base;
struct event;
struct docker_client;
struct reconcile;
struct control;
struct overlay_state;

#define DAEMON_MAX_PEER_NETWORKS 64
#define DAEMON_MAX_PEERS 1024

/* Addresses the swarm coordinator pushed for one overlay network. */
struct daemon_peers {
	char network_id[INV_ID_MAX + 1];
	char network_name[INV_NAME_MAX + 1];
	struct prefix *lb_ips;
	size_t lb_count;
	struct prefix *allowed_ips;
	size_t allowed_count;
	time_t updated;
};

struct tjd {
	struct event_base *base;
	struct conf *conf;
	const char *conf_path;
	bool conf_required;          /* -c given: a missing file is an error */
	const char *socket_path;
	struct backend backend;
	bool backend_open;
	bool dry_run;                /* compile and print, touch nothing */
	struct docker_client *docker;
	struct reconcile *reconcile;
	struct control *control;
	struct event *poll_timer;
	struct event *signal_events[5];

	/* What the last successful reconcile saw and installed. */
	struct inventory inventory;
	struct ruleset installed;
	size_t *rule_counts;         /* per inventory network */

	/* Status. */
	time_t started;
	bool ready;                  /* first successful apply done */
	bool docker_connected;
	time_t last_reconcile;
	uint32_t last_reconcile_usec;
	char last_error[512];
	time_t last_error_time;
	uint64_t reconcile_count;
	uint64_t apply_count;
	uint64_t drift_repairs;

	/* Swarm peers (set-peers). */
	struct daemon_peers *peers;
	size_t peer_network_count;
	char last_peer_push_from[128];
	time_t last_peer_push;

	/* Swarm overlay namespaces tjd put rules into (tjd/overlay.h); NULL until the first. */
	struct overlay_state *overlays;

	bool stopping;               /* no more applies: clearing or exiting */
	char backend_reason[256];    /* why this backend: for status */
	struct event *monitor_event; /* live drift repair, where the backend has it */
	const char *state_file;
	uint64_t saved_apply_count;  /* apply_count when the state was last saved */
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
void daemon_free_peers(struct tjd *tjd);



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
	const char *backend;         /* "auto", "nftables", "iptables"; NULL: the config's */
	const char *state_file;      /* last applied ruleset, restored at start */
};

/* Runs tjd as the options say; returns the process exit code. */
int daemon_main(const struct daemon_options *options);
#endif
