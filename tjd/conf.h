/*
 * tjd's configuration: an INI file plus TrafficJam's environment variables.
 * Parsed into a fresh struct; the caller swaps it in only when it is valid.
 */
#ifndef TJD_CONF_H
#define TJD_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/prefix.h"
#include "common/rulespec.h"

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

/* Most [set] sections, members of one set, and rule = lines of one section. */
#define CONF_MAX_SETS 64
#define CONF_MAX_SET_MEMBERS 4096
#define CONF_MAX_RULES 256
/* Longest set name: [A-Za-z][A-Za-z0-9_-]*, so that NAME-4 fits a kernel set name. */
#define CONF_SET_NAME_MAX 24

/*
 * [set NAME]: a named address set.  members = ADDR[/LEN], ... (repeatable,
 * appended; networks with host bits clear, IPv4 and IPv6 mixed) and/or
 * containers = a docker ps filter expression (the addresses of the running
 * containers it matches, kept current).  Exact membership: the kernel's
 * set holds these and nothing else.
 */
struct conf_set {
	char *name;
	struct prefix *members;	  /* as written, in order, duplicates removed */
	size_t member_count;
	char *containers;	  /* filter expression, NULL for none */
	unsigned line;
};

/* One `rule =` line: the parsed rule, its text as written, and where. */
struct conf_rule {
	struct rulespec_rule rule;
	char *text;
	unsigned line;
};

/*
 * [published]: who may open connections to the ports the host publishes.
 * present is false when the file has no such section (nothing is
 * compiled).  policy: RULESPEC_ALLOW (default) or RULESPEC_DENY, for what
 * no rule decides.  Rules (ordered, first match decides): from is any, a
 * network or @SET; to is any or a container (container NAME, or one filter
 * term), with port = the published (host) port; on IFACE = the interface
 * the connection comes in on.
 */
struct conf_published {
	bool present;
	int policy; /* enum rulespec_action: RULESPEC_ALLOW or RULESPEC_DENY */
	struct conf_rule *rules;
	size_t rule_count;
	unsigned line;
};

struct conf_network {
	char *name;
	char **allow;             /* docker ps filter expressions, any may match */
	size_t allow_count;
	bool allow_host_traffic;
	unsigned line;            /* where the section starts, for messages */
	/*
	 * rule = ... between the network's containers, checked before the
	 * allow-list: from and to are container NAME, label KEY[=VALUE] or one
	 * filter term (never any, a network or a set); to may carry a port
	 * (with proto).
	 */
	struct conf_rule *rules;
	size_t rule_count;
	/* reach_allowed = yes: the other containers may open connections to the allow-listed ones. */
	bool reach_allowed;
	/*
	 * lan_egress = deny: the network's containers may not open connections
	 * to private ranges outside Docker, except to lan_allow's sets.
	 */
	bool lan_deny;
	char **lan_allow; /* set names (without '@'), each a [set] of the file */
	size_t lan_allow_count;
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
	struct conf_set *sets;
	size_t set_count;
	struct conf_published published;
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
const struct conf_set *conf_find_set(const struct conf *conf, const char *name);

/* Parses yes/no/true/false/1/0/on/off; -1 if none of those. */
int conf_parse_bool(const char *value);

#endif
