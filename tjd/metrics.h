/*
 * Prometheus metrics: what tjd counts, in the text exposition format.
 *
 * tjd opens no network port: `tjctl metrics` prints the text, and
 * `metrics_file` in tjd.conf has tjd write it for node_exporter's textfile
 * collector.  metrics_render is pure: a snapshot in, the text out; names
 * follow Prometheus' conventions (tjd_ prefix, base units, _total for
 * counters) and label values are escaped as the format says.
 */
#ifndef TJD_METRICS_H
#define TJD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The reconcile duration histogram's upper bounds, in seconds (+Inf after). */
#define METRICS_BUCKETS 12
extern const double metrics_bucket_bounds[METRICS_BUCKETS];

struct metrics_histogram {
	uint64_t buckets[METRICS_BUCKETS]; /* observations <= each bound (not cumulative) */
	uint64_t count;			   /* all observations, +Inf included */
	double sum;			   /* seconds */
};

/* Counts one observation of `seconds`. */
void metrics_histogram_observe(struct metrics_histogram *histogram, double seconds);

/* Kinds of drops, as the kind label names them (metrics_drop_kinds). */
#define METRICS_DROP_KINDS 3
extern const char *const metrics_drop_kinds[METRICS_DROP_KINDS];

/* One configured network. */
struct metrics_network {
	const char *name;
	bool present;	/* Docker has it */
	bool overlay;	/* a swarm overlay network */
	size_t allowed; /* allow-listed containers */
	size_t rules;	/* kernel rules the last apply gave it */
	bool has_drops; /* the backend counts its drops */
	/* per kind: isolation (between containers), no-host, host (mid-stream out) */
	uint64_t dropped_packets[METRICS_DROP_KINDS], dropped_bytes[METRICS_DROP_KINDS];
	bool has_peers;	      /* overlay: a peer set was pushed */
	time_t peers_updated; /* when */
};

/* One named set of tjd.conf: how many members the kernel holds, per family. */
struct metrics_set {
	const char *name;
	uint64_t ipv4, ipv6;
};

struct metrics_snapshot {
	const char *version;
	const char *backend;
	time_t now;
	time_t started;
	bool ready;
	bool docker_connected;
	uint64_t reconciles;
	uint64_t applies;
	uint64_t drift_repairs;
	uint64_t conntrack_purges, conntrack_deleted, conntrack_failures;
	const struct metrics_histogram *reconcile_seconds;
	time_t last_error; /* 0: none */
	time_t last_reconcile;
	size_t container_firewalls;	    /* containers with a firewall of their own */
	size_t container_firewall_problems; /* of them, denied everything or refused */
	uint64_t log_lines, log_lines_suppressed;
	const struct metrics_network *networks;
	size_t network_count;
	const struct metrics_set *sets;
	size_t set_count;
	/* [published]: connections to published ports its rules refused (backends that count) */
	bool has_published_drops;
	uint64_t published_packets, published_bytes;
};

/* The exposition text; malloc'd, NULL when out of memory. */
char *metrics_render(const struct metrics_snapshot *snapshot);

/*
 * Writes text to path atomically (a temporary file beside it, renamed over
 * it, mode 0644); 0, or -1 with err set.
 */
int metrics_write_file(const char *path, const char *text, char *err, size_t errlen);

#endif
