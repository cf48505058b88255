/* Configuration: the INI file and TrafficJam's environment; see conf.h. */
#include "config.h"

#include "tjd/conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/filter.h"
#include "common/text.h"
#include "tjd/backend.h"

/* Parser state handed to inih's callback. */
struct conf_parse {
	struct conf *conf;
	const char *path;
	struct conf_network *current;  /* NULL in [daemon] */
	bool in_daemon;
	bool section_seen;
	char section[256];
	char error[512];
};

/* Releases one network section. */
static void conf_network_free(struct conf_network *network)
{
	free(network->name);
	for (size_t i = 0; i < network->allow_count; i++)
		free(network->allow[i]);
	free(network->allow);
}

void conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; i < conf->network_count; i++)
		conf_network_free(&conf->networks[i]);
	free(conf->networks);
	free(conf->path);
	free(conf->docker_host);
	free(conf->instance_id);
	free(conf->backend);
	free(conf->metrics_file);
	free(conf);
}

const struct conf_network *conf_find_network(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->network_count; i++)
		if (strcmp(conf->networks[i].name, name) == 0)
			return &conf->networks[i];
	return NULL;
}

int conf_parse_bool(const char *value)
{
	static const char *const truths[] = {"yes", "true", "1", "on"};
	static const char *const falsehoods[] = {"no", "false", "0", "off", ""};

	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++)
		if (strcasecmp(value, truths[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(falsehoods) / sizeof(falsehoods[0]); i++)
		if (strcasecmp(value, falsehoods[i]) == 0)
			return 0;
	return -1;
}

/* Parses a poll interval in whole seconds, 1..CONF_MAX_POLL_INTERVAL. */
static int conf_parse_interval(const char *value, unsigned *out)
{
	char *end;
	unsigned long n;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > CONF_MAX_POLL_INTERVAL)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* Docker network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, as Docker enforces. */
static bool conf_valid_network_name(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > 255 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < length; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

/* Checks docker_host's form; the client rechecks when it connects. */
static bool conf_valid_docker_host(const char *value)
{
	if (strncmp(value, "unix://", 7) == 0)
		return value[7] == '/';
	if (strncmp(value, "tcp://", 6) == 0)
		return value[6] != '\0' && strchr(value + 6, '/') == NULL;
	return false;
}

/* Replaces *slot with a copy of value; -1 on OOM. */
static int conf_set_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/* Adds a [network NAME] section; NULL with error set if invalid. */
static struct conf_network *conf_add_network(struct conf *conf, const char *name, char *error,
					      size_t errlen)
{
	struct conf_network *networks, *network;

	if (!conf_valid_network_name(name)) {
		snprintf(error, errlen, "invalid network name \"%.64s\"", name);
		return NULL;
	}
	if (conf_find_network(conf, name) != NULL) {
		snprintf(error, errlen, "network \"%s\" is configured twice", name);
		return NULL;
	}
	if (conf->network_count >= CONF_MAX_NETWORKS) {
		snprintf(error, errlen, "too many networks (at most %d)", CONF_MAX_NETWORKS);
		return NULL;
	}
	networks = reallocarray(conf->networks, conf->network_count + 1, sizeof(*networks));
	if (networks == NULL) {
		snprintf(error, errlen, "out of memory");
		return NULL;
	}
	conf->networks = networks;
	network = &networks[conf->network_count];
	memset(network, 0, sizeof(*network));
	network->name = strdup(name);
	if (network->name == NULL) {
		snprintf(error, errlen, "out of memory");
		return NULL;
	}
	conf->network_count++;
	return network;
}

/* Validates and appends one allow expression. */
static int conf_add_allow(struct conf_network *network, const char *value, char *error,
			  size_t errlen)
{
	char filter_error[256];
	struct filter filter;
	char *copy, **allow;

	if (network->allow_count >= CONF_MAX_ALLOW) {
		snprintf(error, errlen, "too many allow filters (at most %d)", CONF_MAX_ALLOW);
		return -1;
	}
	/* The tokeniser tjd queries Docker with, and the swarm coordinator judges tasks by. */
	if (filter_parse(value, &filter, filter_error, sizeof(filter_error)) < 0) {
		snprintf(error, errlen, "%s", filter_error);
		return -1;
	}
	filter_free(&filter);
	copy = strdup(value);
	allow = copy ? reallocarray(network->allow, network->allow_count + 1, sizeof(*allow))
		     : NULL;
	if (allow == NULL) {
		free(copy);
		snprintf(error, errlen, "out of memory");
		return -1;
	}
	network->allow = allow;
	network->allow[network->allow_count++] = copy;
	return 0;
}

/* Applies one key of the [daemon] section. */
static int conf_daemon_key(struct conf_parse *parse, const char *name, const char *value)
{
	struct conf *conf = parse->conf;
	int flag;

	if (strcmp(name, "docker_host") == 0) {
		if (!conf_valid_docker_host(value)) {
			snprintf(parse->error, sizeof(parse->error),
				 "docker_host must be unix:///PATH or tcp://HOST:PORT");
			return -1;
		}
		return conf_set_string(&conf->docker_host, value);
	}
	if (strcmp(name, "poll_interval") == 0) {
		if (conf_parse_interval(value, &conf->poll_interval) < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "poll_interval must be whole seconds between 1 and %d",
				 CONF_MAX_POLL_INTERVAL);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "instance_id") == 0) {
		struct backend probe;
		if (backend_init(&probe, NULL, value) < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "instance_id must be at most 12 characters of [A-Za-z0-9_]");
			return -1;
		}
		return conf_set_string(&conf->instance_id, value);
	}
	if (strcmp(name, "backend") == 0) {
		if (strcmp(value, "auto") != 0 && strcmp(value, "nftables") != 0 &&
		    strcmp(value, "iptables") != 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "backend must be auto, nftables or iptables");
			return -1;
		}
		return conf_set_string(&conf->backend, value);
	}
	if (strcmp(name, "metrics_file") == 0) {
		bool plain = true;

		for (const char *c = value; *c != '\0'; c++)
			plain = plain && (unsigned char)*c >= 0x20 && *c != 0x7f;
		if (value[0] != '/' || strlen(value) > CONF_MAX_PATH || !plain) {
			snprintf(parse->error, sizeof(parse->error),
				 "metrics_file must be an absolute path of at most %d bytes, "
				 "without control characters",
				 CONF_MAX_PATH);
			return -1;
		}
		return conf_set_string(&conf->metrics_file, value);
	}
	if (strcmp(name, "metrics_interval") == 0) {
		if (conf_parse_interval(value, &conf->metrics_interval) < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "metrics_interval must be whole seconds between 1 and %d",
				 CONF_MAX_POLL_INTERVAL);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "drop_log") == 0) {
		flag = conf_parse_bool(value);
		if (flag < 0) {
			snprintf(parse->error, sizeof(parse->error), "drop_log must be yes or no");
			return -1;
		}
		conf->drop_log = flag;
		return 0;
	}
	if (strcmp(name, "container_rules") == 0) {
		flag = conf_parse_bool(value);
		if (flag < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "container_rules must be yes or no");
			return -1;
		}
		conf->container_rules = flag;
		return 0;
	}
	if (strcmp(name, "own_tables") == 0) {
		flag = conf_parse_bool(value);
		if (flag < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "own_tables must be yes or no");
			return -1;
		}
		conf->own_tables = flag;
		return 0;
	}
	if (strcmp(name, "debug") == 0) {
		flag = conf_parse_bool(value);
		if (flag < 0) {
			snprintf(parse->error, sizeof(parse->error), "debug must be yes or no");
			return -1;
		}
		conf->debug = flag;
		return 0;
	}
	snprintf(parse->error, sizeof(parse->error), "unknown key \"%.64s\" in [daemon]", name);
	return -1;
}

/* Applies one key of a [network NAME] section. */
static int conf_network_key(struct conf_parse *parse, const char *name, const char *value)
{
	struct conf_network *network = parse->current;
	int flag;

	if (strcmp(name, "allow") == 0)
		return conf_add_allow(network, value, parse->error, sizeof(parse->error));
	if (strcmp(name, "allow_host_traffic") == 0) {
		flag = conf_parse_bool(value);
		if (flag < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "allow_host_traffic must be yes or no");
			return -1;
		}
		network->allow_host_traffic = flag;
		return 0;
	}
	snprintf(parse->error, sizeof(parse->error), "unknown key \"%.64s\" in [network %s]", name,
		 network->name);
	return -1;
}

/* Starts a new section when its name differs from the current one. */
static int conf_enter_section(struct conf_parse *parse, const char *section)
{
	if (strcmp(section, "daemon") == 0) {
		parse->in_daemon = true;
		parse->current = NULL;
		return 0;
	}
	if (strncmp(section, "network ", 8) == 0) {
		const char *name = section + 8;
		while (*name == ' ')
			name++;
		parse->in_daemon = false;
		parse->current = conf_add_network(parse->conf, name, parse->error,
						  sizeof(parse->error));
		return parse->current ? 0 : -1;
	}
	snprintf(parse->error, sizeof(parse->error),
		 "unknown section [%.64s] (expected [daemon] or [network NAME])", section);
	return -1;
}

/* inih callback: one name=value; returns 0 to report the line as bad. */
static int conf_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *parse = user;
	int rc;

	if (parse->error[0] != '\0')
		return 0;
	/* inih repeats the section name with every key; detect a new header. */
	if (!parse->section_seen || strcmp(section, parse->section) != 0) {
		if (section[0] == '\0') {
			snprintf(parse->error, sizeof(parse->error),
				 "key \"%.64s\" outside any section", name);
			return 0;
		}
		snprintf(parse->section, sizeof(parse->section), "%s", section);
		parse->section_seen = true;
		if (conf_enter_section(parse, section) < 0)
			return 0;
	}
	if (strlen(value) > CONF_MAX_VALUE || text_has_control(value, strlen(value))) {
		snprintf(parse->error, sizeof(parse->error), "bad value for \"%.64s\"", name);
		return 0;
	}
	rc = parse->in_daemon ? conf_daemon_key(parse, name, value)
			      : conf_network_key(parse, name, value);
	if (rc < 0 && parse->error[0] == '\0')
		snprintf(parse->error, sizeof(parse->error), "out of memory");
	return rc < 0 ? 0 : 1;
}

/*
 * Checks what inih cannot report: lines longer than it reads (it would split
 * them), NUL bytes, and a section header repeated (inih merges those).
 */
static int conf_prescan(FILE *file, const char *path, char *err, size_t errlen)
{
	char *line = NULL;
	size_t line_capacity = 0;
	char (*headers)[CONF_MAX_LINE + 1] = NULL;
	unsigned *header_lines = NULL;
	size_t header_count = 0;
	unsigned number = 0;
	ssize_t length;
	int rc = -1;

	while ((length = getline(&line, &line_capacity, file)) > 0) {
		char *start = line, *end;
		void *grown;

		number++;
		if (line[length - 1] == '\n')
			line[--length] = '\0';
		if (length > CONF_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %d characters", path, number,
				 CONF_MAX_LINE);
			goto out;
		}
		if (memchr(line, '\0', (size_t)length) != NULL) {
			snprintf(err, errlen, "%s:%u: NUL byte in configuration", path, number);
			goto out;
		}
		while (*start == ' ' || *start == '\t')
			start++;
		if (*start != '[' || (end = strchr(start, ']')) == NULL)
			continue;
		*end = '\0';
		for (size_t i = 0; i < header_count; i++) {
			if (strcmp(headers[i], start + 1) == 0) {
				snprintf(err, errlen, "%s:%u: section [%s] repeats line %u", path,
					 number, start + 1, header_lines[i]);
				goto out;
			}
		}
		if (header_count >= CONF_MAX_NETWORKS + 1) {
			snprintf(err, errlen, "%s:%u: too many sections", path, number);
			goto out;
		}
		grown = reallocarray(headers, header_count + 1, sizeof(*headers));
		if (grown == NULL)
			goto oom;
		headers = grown;
		grown = reallocarray(header_lines, header_count + 1, sizeof(*header_lines));
		if (grown == NULL)
			goto oom;
		header_lines = grown;
		snprintf(headers[header_count], sizeof(headers[header_count]), "%s", start + 1);
		header_lines[header_count++] = number;
	}
	rewind(file);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(line);
	free(headers);
	free(header_lines);
	return rc;
}

/* Reads the INI file into conf; 0, or -1 with err naming file and line. */
static int conf_read_file(struct conf *conf, const char *path, bool required, char *err,
			  size_t errlen)
{
	struct conf_parse parse;
	FILE *file;
	int rc;

	file = fopen(path, "re");
	if (file == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (conf_prescan(file, path, err, errlen) < 0) {
		fclose(file);
		return -1;
	}
	memset(&parse, 0, sizeof(parse));
	parse.conf = conf;
	parse.path = path;
	rc = ini_parse_file(file, conf_ini_handler, &parse);
	fclose(file);
	if (rc > 0) {
		if (parse.error[0] == '\0')
			snprintf(parse.error, sizeof(parse.error), "syntax error");
		snprintf(err, errlen, "%s:%d: %s", path, rc, parse.error);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot parse", path);
		return -1;
	}
	if (conf_set_string(&conf->path, path) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Applies TrafficJam's environment variables over the file's settings. */
static int conf_read_environment(struct conf *conf, conf_getenv_fn getenv_fn, char *err,
				 size_t errlen)
{
	struct conf_parse parse;
	const char *network = getenv_fn("NETWORK");
	const char *filter = getenv_fn("WHITELIST_FILTER");
	const char *value;
	static const char *const daemon_keys[][2] = {
		{"DOCKER_HOST", "docker_host"},
		{"POLL_INTERVAL", "poll_interval"},
		{"INSTANCE_ID", "instance_id"},
		{"DEBUG", "debug"},
	};

	memset(&parse, 0, sizeof(parse));
	parse.conf = conf;
	for (size_t i = 0; i < sizeof(daemon_keys) / sizeof(daemon_keys[0]); i++) {
		value = getenv_fn(daemon_keys[i][0]);
		if (value == NULL || value[0] == '\0')
			continue;
		if (strlen(value) > CONF_MAX_VALUE || text_has_control(value, strlen(value)) ||
		    conf_daemon_key(&parse, daemon_keys[i][1], value) < 0) {
			snprintf(err, errlen, "environment %s: %s", daemon_keys[i][0],
				 parse.error[0] ? parse.error : "bad value");
			return -1;
		}
	}
	if ((network == NULL || network[0] == '\0') && (filter == NULL || filter[0] == '\0'))
		return 0;
	if (network == NULL || network[0] == '\0' || filter == NULL || filter[0] == '\0') {
		snprintf(err, errlen, "environment: NETWORK and WHITELIST_FILTER must be set together");
		return -1;
	}
	parse.current = conf_add_network(conf, network, parse.error, sizeof(parse.error));
	if (parse.current == NULL ||
	    conf_network_key(&parse, "allow", filter) < 0) {
		snprintf(err, errlen, "environment NETWORK/WHITELIST_FILTER: %s", parse.error);
		return -1;
	}
	value = getenv_fn("ALLOW_HOST_TRAFFIC");
	if (value != NULL && value[0] != '\0' &&
	    conf_network_key(&parse, "allow_host_traffic", value) < 0) {
		snprintf(err, errlen, "environment ALLOW_HOST_TRAFFIC: %s", parse.error);
		return -1;
	}
	return 0;
}

/* A network with no allow filter would isolate everyone; say so early. */
static int conf_validate(const struct conf *conf, char *err, size_t errlen)
{
	for (size_t i = 0; i < conf->network_count; i++) {
		if (conf->networks[i].allow_count == 0) {
			snprintf(err, errlen, "%s: [network %s] has no allow = filter",
				 conf->path ? conf->path : "environment", conf->networks[i].name);
			return -1;
		}
	}
	return 0;
}

struct conf *conf_load(const char *path, bool required, conf_getenv_fn getenv_fn, char *err,
		       size_t errlen)
{
	struct conf *conf = calloc(1, sizeof(*conf));

	if (conf == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	conf->poll_interval = CONF_DEFAULT_POLL_INTERVAL;
	conf->own_tables = true;
	conf->container_rules = true;
	conf->drop_log = true;
	conf->metrics_interval = CONF_DEFAULT_METRICS_INTERVAL;
	if (conf_set_string(&conf->docker_host, CONF_DEFAULT_DOCKER_HOST) < 0 ||
	    conf_set_string(&conf->instance_id, "") < 0 ||
	    conf_set_string(&conf->backend, "auto") < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (path != NULL && conf_read_file(conf, path, required, err, errlen) < 0)
		goto fail;
	if (getenv_fn != NULL && conf_read_environment(conf, getenv_fn, err, errlen) < 0)
		goto fail;
	if (conf_validate(conf, err, errlen) < 0)
		goto fail;
	return conf;
fail:
	conf_free(conf);
	return NULL;
}

/* inih callback for conf_load_for_clear(): [daemon] instance_id, nothing else. */
static int conf_clear_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *parse = user;

	if (parse->error[0] != '\0' || strcmp(section, "daemon") != 0 ||
	    strcmp(name, "instance_id") != 0)
		return 1;
	if (strlen(value) > CONF_MAX_VALUE || text_has_control(value, strlen(value)) ||
	    conf_daemon_key(parse, name, value) < 0) {
		if (parse->error[0] == '\0')
			snprintf(parse->error, sizeof(parse->error), "bad value for instance_id");
		return 0;
	}
	return 1;
}

struct conf *conf_load_for_clear(const char *path, conf_getenv_fn getenv_fn, char *err,
				 size_t errlen)
{
	struct conf *conf = calloc(1, sizeof(*conf));
	struct conf_parse parse;
	const char *value;
	FILE *file = NULL;
	int rc;

	if (conf == NULL || conf_set_string(&conf->docker_host, CONF_DEFAULT_DOCKER_HOST) < 0 ||
	    conf_set_string(&conf->instance_id, "") < 0 ||
	    conf_set_string(&conf->backend, "auto") < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memset(&parse, 0, sizeof(parse));
	parse.conf = conf;
	parse.path = path;
	if (path != NULL && (file = fopen(path, "re")) == NULL && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (file != NULL) {
		rc = ini_parse_file(file, conf_clear_handler, &parse);
		fclose(file);
		if (parse.error[0] != '\0') {
			snprintf(err, errlen, "%s:%d: %s", path, rc, parse.error);
			goto fail;
		}
	}
	value = getenv_fn != NULL ? getenv_fn("INSTANCE_ID") : NULL;
	if (value != NULL && value[0] != '\0' &&
	    (strlen(value) > CONF_MAX_VALUE || text_has_control(value, strlen(value)) ||
	     conf_daemon_key(&parse, "instance_id", value) < 0)) {
		snprintf(err, errlen, "environment INSTANCE_ID: %s",
			 parse.error[0] ? parse.error : "bad value");
		goto fail;
	}
	return conf;
fail:
	conf_free(conf);
	return NULL;
}
