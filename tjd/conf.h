/*
 * tjd's configuration: an INI file plus TrafficJam's environment variables.
 * Parsed into a fresh struct; the caller swaps it in only when it is valid.
 */
#ifndef TJD_CONF_H
#define TJD_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define CONF_DEFAULT_PATH SYSCONFDIR "/tjd/tjd.conf"
#define CONF_DEFAULT_DOCKER_HOST "unix:///var/run/docker.sock"
#define CONF_DEFAULT_POLL_INTERVAL 5
#define CONF_MAX_POLL_INTERVAL 86400
#define CONF_DEFAULT_METRICS_INTERVAL 15
/* Longest path accepted for a file tjd writes (metrics_file). */
#define CONF_MAX_PATH 1024
#define CONF_MAX_NETWORKS 64
#define CONF_MAX_ALLOW 32
#define CONF_MAX_VALUE 1024
/* inih reads lines of at most this many bytes; longer lines are refused. */
#define CONF_MAX_LINE 199

struct conf_network {
	char *name;
	char **allow;             /* docker ps filter expressions, any may match */
	size_t allow_count;
	bool allow_host_traffic;
	unsigned line;            /* where the section starts, for messages */
};

struct conf {
	char *path;               /* file read, or NULL if none */
	char *docker_host;
	unsigned poll_interval;   /* seconds */
	char *instance_id;        /* "" = default */
	char *backend;            /* "auto", "nftables" or "iptables" */
	bool own_tables;          /* nftables: tables only tjd may change (default yes) */
	bool container_rules;     /* enforce containers' dcfw.* / tjd.* labels (default yes) */
	bool drop_log;            /* log samples of blocked connection attempts (default yes) */
	bool debug;
	char *metrics_file;       /* write Prometheus metrics here; NULL = never */
	unsigned metrics_interval; /* seconds between writes */
	struct conf_network *networks;
	size_t network_count;
};

/* Environment lookups go through this so tests can supply their own. */
typedef char *(*conf_getenv_fn)(const char *name);

/*
 * Loads the configuration: the file at `path` (if `required` is false, a
 * missing file is not an error), then TrafficJam's environment variables
 * (NETWORK, WHITELIST_FILTER, POLL_INTERVAL, ALLOW_HOST_TRAFFIC, DEBUG,
 * INSTANCE_ID, DOCKER_HOST) on top.  Validates everything, including each
 * allow expression.  Returns a new conf or NULL with err naming file, line
 * and key.
 */
struct conf *conf_load(const char *path, bool required, conf_getenv_fn getenv_fn, char *err,
		       size_t errlen);
/*
 * What clearing needs, whatever else the configuration says: the instance
 * (INSTANCE_ID, else [daemon] instance_id of the file at `path`, which may
 * be missing), read without judging any other key or section, so that a
 * configuration that does not load, or TrafficJam's environment without
 * WHITELIST_FILTER, still lets `tjd --clear` remove tjd's rules.  NULL with
 * err only when the instance itself cannot be told.
 */
struct conf *conf_load_for_clear(const char *path, conf_getenv_fn getenv_fn, char *err,
				 size_t errlen);
void conf_free(struct conf *conf);
const struct conf_network *conf_find_network(const struct conf *conf, const char *name);

/* Parses yes/no/true/false/1/0/on/off; -1 if none of those. */
int conf_parse_bool(const char *value);

#endif
