/* Configuration: the INI file and TrafficJam's environment; see conf.h. */
#include "config.h"

#include "tjd/conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/filter.h"
#include "common/text.h"
#include "tjd/backend.h"

/* Most section headers a file may hold: [daemon], [published], the networks and the sets. */
#define CONF_MAX_SECTIONS (CONF_MAX_NETWORKS + CONF_MAX_SETS + 2)

/* Which kind of section the keys being read belong to. */
enum conf_section_kind {
	CONF_SECTION_DAEMON,
	CONF_SECTION_NETWORK,
	CONF_SECTION_SET,
	CONF_SECTION_PUBLISHED,
};

/* A section header as the prescan found it, and whether inih entered it. */
struct conf_header {
	char name[CONF_MAX_LINE + 1];
	unsigned line;
	bool entered;
};

/* A set name a lan_allow line gives, checked once the whole file is read. */
struct conf_reference {
	size_t network;   /* index in conf->networks */
	const char *name; /* the network's copy, without '@' */
	unsigned line;
};

/* Parser state handed to inih's callback. */
struct conf_parse {
	struct conf *conf;
	const char *path;
	FILE *file;
	unsigned line;                 /* the line inih is reading */
	struct conf_network *current;  /* the [network NAME] being read */
	struct conf_set *current_set;  /* the [set NAME] being read */
	enum conf_section_kind kind;
	bool section_seen;
	char section[256];
	char error[512];
	struct conf_header *headers;   /* every section header, in file order */
	size_t header_count;
	struct conf_reference *references;
	size_t reference_count;
	unsigned late_line;            /* the earliest error found after reading, 0 for none */
	char late_error[512];
};

/* Releases a section's rule = lines. */
static void conf_rules_free(struct conf_rule *rules, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		rulespec_rule_free(&rules[i].rule);
		free(rules[i].text);
	}
	free(rules);
}

/* Releases one network section. */
static void conf_network_free(struct conf_network *network)
{
	free(network->name);
	for (size_t i = 0; i < network->allow_count; i++)
		free(network->allow[i]);
	free(network->allow);
	conf_rules_free(network->rules, network->rule_count);
	for (size_t i = 0; i < network->lan_allow_count; i++)
		free(network->lan_allow[i]);
	free(network->lan_allow);
}

/* Releases one set section. */
static void conf_set_free(struct conf_set *set)
{
	free(set->name);
	free(set->members);
	free(set->containers);
}

void conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; i < conf->network_count; i++)
		conf_network_free(&conf->networks[i]);
	free(conf->networks);
	for (size_t i = 0; i < conf->set_count; i++)
		conf_set_free(&conf->sets[i]);
	free(conf->sets);
	conf_rules_free(conf->published.rules, conf->published.rule_count);
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

/* The [set NAME] section called name, or NULL. */
const struct conf_set *conf_find_set(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->set_count; i++)
		if (strcmp(conf->sets[i].name, name) == 0)
			return &conf->sets[i];
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

/* Set names: [A-Za-z][A-Za-z0-9_-]*, at most CONF_SET_NAME_MAX bytes, whatever the locale. */
static bool conf_valid_set_name(const char *name)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	static const char others[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789_-";
	size_t length = strlen(name);

	return length > 0 && length <= CONF_SET_NAME_MAX && strchr(letters, name[0]) != NULL &&
	       strspn(name, others) == length;
}

/* Adds a [set NAME] section; NULL with error set if invalid. */
static struct conf_set *conf_add_set(struct conf *conf, const char *name, unsigned line,
				     char *error, size_t errlen)
{
	struct conf_set *sets, *set;

	if (!conf_valid_set_name(name)) {
		snprintf(error, errlen,
			 "invalid set name \"%.64s\" (expected [A-Za-z][A-Za-z0-9_-]*, "
			 "at most %d bytes)",
			 name, CONF_SET_NAME_MAX);
		return NULL;
	}
	for (size_t i = 0; i < conf->set_count; i++) {
		if (strcmp(conf->sets[i].name, name) == 0) {
			snprintf(error, errlen, "set \"%s\" is defined twice (first on line %u)",
				 name, conf->sets[i].line);
			return NULL;
		}
	}
	if (conf->set_count >= CONF_MAX_SETS) {
		snprintf(error, errlen, "too many sets (at most %d)", CONF_MAX_SETS);
		return NULL;
	}
	sets = reallocarray(conf->sets, conf->set_count + 1, sizeof(*sets));
	if (sets == NULL) {
		snprintf(error, errlen, "out of memory");
		return NULL;
	}
	conf->sets = sets;
	set = &sets[conf->set_count];
	memset(set, 0, sizeof(*set));
	set->line = line;
	set->name = strdup(name);
	if (set->name == NULL) {
		snprintf(error, errlen, "out of memory");
		return NULL;
	}
	conf->set_count++;
	return set;
}

/*
 * Splits a comma-separated list in place: the next item with the spaces and
 * tabs around it removed, *cursor moved past it; NULL after the last.
 */
static char *conf_next_item(char **cursor)
{
	char *item = *cursor, *comma, *end;

	if (item == NULL)
		return NULL;
	comma = strchr(item, ',');
	if (comma != NULL)
		*comma = '\0';
	*cursor = comma != NULL ? comma + 1 : NULL;
	item += strspn(item, " \t");
	end = item + strlen(item);
	while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return item;
}

/* Appends one members = line's addresses and networks to the current set. */
static int conf_add_members(struct conf_parse *parse, const char *value)
{
	struct conf_set *set = parse->current_set;
	char canonical[PREFIX_TEXT_MAX];
	char *copy, *cursor, *item;
	struct prefix member, network;
	int rc = -1;

	if (value[0] == '\0')
		return 0;
	copy = cursor = strdup(value);
	if (copy == NULL)
		return -1;
	while ((item = conf_next_item(&cursor)) != NULL) {
		struct prefix *members;
		bool known = false;

		if (item[0] == '\0') {
			snprintf(parse->error, sizeof(parse->error),
				 "members: empty item in the list");
			goto out;
		}
		if (prefix_parse(item, &member) < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "members: \"%.64s\" is not an address or a network (ADDR[/LEN])",
				 item);
			goto out;
		}
		network = member;
		prefix_network(&network);
		if (!prefix_equal(&network, &member)) {
			prefix_format(&network, canonical, sizeof(canonical));
			snprintf(parse->error, sizeof(parse->error),
				 "members: %s has host bits set; the network is %s", item,
				 canonical);
			goto out;
		}
		for (size_t i = 0; i < set->member_count && !known; i++)
			known = prefix_equal(&set->members[i], &member);
		if (known)
			continue;
		if (set->member_count >= CONF_MAX_SET_MEMBERS) {
			snprintf(parse->error, sizeof(parse->error),
				 "members: too many members in [set %s] (at most %d)", set->name,
				 CONF_MAX_SET_MEMBERS);
			goto out;
		}
		members = reallocarray(set->members, set->member_count + 1, sizeof(*members));
		if (members == NULL)
			goto out;
		set->members = members;
		set->members[set->member_count++] = member;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* Applies one key of a [set NAME] section. */
static int conf_set_key(struct conf_parse *parse, const char *name, const char *value)
{
	struct conf_set *set = parse->current_set;
	char filter_error[256];
	struct filter filter;

	if (strcmp(name, "members") == 0)
		return conf_add_members(parse, value);
	if (strcmp(name, "containers") == 0) {
		if (set->containers != NULL) {
			snprintf(parse->error, sizeof(parse->error),
				 "containers is given twice in [set %s]", set->name);
			return -1;
		}
		if (filter_parse(value, &filter, filter_error, sizeof(filter_error)) < 0) {
			snprintf(parse->error, sizeof(parse->error), "containers: %s",
				 filter_error);
			return -1;
		}
		filter_free(&filter);
		return conf_set_string(&set->containers, value);
	}
	snprintf(parse->error, sizeof(parse->error), "unknown key \"%.64s\" in [set %s]", name,
		 set->name);
	return -1;
}

/*
 * Parses one rule = line, checks it with the section's check, and appends
 * it to rules; -1 with parse->error set.
 */
static int conf_add_rule(struct conf_parse *parse, const char *value, const char *section,
			 int (*check)(struct conf_parse *, const struct rulespec_rule *),
			 struct conf_rule **rules, size_t *count)
{
	char message[RULESPEC_ERROR_TEXT_MAX];
	struct rulespec_error rule_error;
	struct conf_rule *grown;
	struct rulespec_rule rule;
	char *text;

	if (*count >= CONF_MAX_RULES) {
		snprintf(parse->error, sizeof(parse->error), "too many rules in %s (at most %d)",
			 section, CONF_MAX_RULES);
		return -1;
	}
	if (rulespec_parse_rule(value, &rule, &rule_error) < 0) {
		rulespec_error_format(&rule_error, message, sizeof(message));
		snprintf(parse->error, sizeof(parse->error), "rule%s%s",
			 rule_error.column != 0 ? ", " : rule_error.word[0] != '\0' ? " " : ": ",
			 message);
		return -1;
	}
	if (check(parse, &rule) < 0) {
		rulespec_rule_free(&rule);
		return -1;
	}
	text = strdup(value);
	grown = text != NULL ? reallocarray(*rules, *count + 1, sizeof(*grown)) : NULL;
	if (grown == NULL) {
		free(text);
		rulespec_rule_free(&rule);
		return -1;
	}
	*rules = grown;
	grown[*count].rule = rule;
	grown[*count].text = text;
	grown[*count].line = parse->line;
	(*count)++;
	return 0;
}

/* Refuses what a [published] rule cannot say. */
static int conf_check_published_rule(struct conf_parse *parse, const struct rulespec_rule *rule)
{
	enum rulespec_address_kind from = rule->from.kind, to = rule->to.kind;

	if (rule->proto != RULESPEC_PROTO_ANY && rule->proto != RULESPEC_PROTO_TCP &&
	    rule->proto != RULESPEC_PROTO_UDP && rule->proto != RULESPEC_PROTO_SCTP) {
		snprintf(parse->error, sizeof(parse->error),
			 "rule: proto %s in [published]: published ports are tcp, udp or sctp",
			 rulespec_proto_name(rule->proto));
		return -1;
	}
	if (from == RULESPEC_ADDRESS_CONTAINER || from == RULESPEC_ADDRESS_FILTER) {
		snprintf(parse->error, sizeof(parse->error),
			 "rule: from in [published] must be any, an address, a network or @SET");
		return -1;
	}
	if (rule->from.ports.count != 0) {
		snprintf(parse->error, sizeof(parse->error),
			 "rule: from ... port is not allowed in [published] (the published "
			 "port is to ... port N)");
		return -1;
	}
	if (to == RULESPEC_ADDRESS_NET || to == RULESPEC_ADDRESS_SET) {
		snprintf(parse->error, sizeof(parse->error),
			 "rule: to in [published] names the container (any, container NAME "
			 "or a filter term such as name=web), not an address or a set; the "
			 "published port is to ... port N");
		return -1;
	}
	return 0;
}

/* True when an address clause names containers: container NAME or a filter term. */
static bool conf_names_containers(const struct rulespec_address *address)
{
	return address->kind == RULESPEC_ADDRESS_CONTAINER ||
	       address->kind == RULESPEC_ADDRESS_FILTER;
}

/* Refuses what a [network NAME] rule cannot say. */
static int conf_check_network_rule(struct conf_parse *parse, const struct rulespec_rule *rule)
{
	const char *network = parse->current->name;

	if (rule->iface[0] != '\0') {
		snprintf(parse->error, sizeof(parse->error),
			 "rule: on IFACE is not allowed in [network %s]", network);
		return -1;
	}
	if (!conf_names_containers(&rule->from) || !conf_names_containers(&rule->to)) {
		snprintf(parse->error, sizeof(parse->error),
			 "rule: %s in [network %s] must name containers: container NAME, "
			 "label KEY[=VALUE] or a filter term (not any, an address, a network "
			 "or a set)",
			 conf_names_containers(&rule->from) ? "to" : "from", network);
		return -1;
	}
	if (rule->from.ports.count != 0) {
		snprintf(parse->error, sizeof(parse->error),
			 "rule: from ... port is not allowed in [network %s] (a port belongs "
			 "to to)",
			 network);
		return -1;
	}
	return 0;
}

/* Applies one key of the [published] section. */
static int conf_published_key(struct conf_parse *parse, const char *name, const char *value)
{
	struct conf_published *published = &parse->conf->published;

	if (strcmp(name, "policy") == 0) {
		if (strcmp(value, "allow") == 0) {
			published->policy = RULESPEC_ALLOW;
		} else if (strcmp(value, "deny") == 0) {
			published->policy = RULESPEC_DENY;
		} else {
			snprintf(parse->error, sizeof(parse->error),
				 "policy must be allow or deny");
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "rule") == 0)
		return conf_add_rule(parse, value, "[published]", conf_check_published_rule,
				     &published->rules, &published->rule_count);
	snprintf(parse->error, sizeof(parse->error), "unknown key \"%.64s\" in [published]",
		 name);
	return -1;
}

/* Appends one lan_allow = line's @SET names to the current network. */
static int conf_add_lan_allow(struct conf_parse *parse, const char *value)
{
	struct conf_network *network = parse->current;
	char *copy, *cursor, *item;
	int rc = -1;

	if (value[0] == '\0') {
		snprintf(parse->error, sizeof(parse->error),
			 "lan_allow must list sets: @NAME, @NAME ...");
		return -1;
	}
	copy = cursor = strdup(value);
	if (copy == NULL)
		return -1;
	while ((item = conf_next_item(&cursor)) != NULL) {
		struct conf_reference *references;
		char **names, *name;
		bool known = false;

		if (item[0] == '\0') {
			snprintf(parse->error, sizeof(parse->error),
				 "lan_allow: empty item in the list");
			goto out;
		}
		if (item[0] != '@' || !conf_valid_set_name(item + 1)) {
			snprintf(parse->error, sizeof(parse->error),
				 "lan_allow: \"%.64s\" is not @NAME, the name of a [set NAME]",
				 item);
			goto out;
		}
		for (size_t i = 0; i < network->lan_allow_count && !known; i++)
			known = strcmp(network->lan_allow[i], item + 1) == 0;
		if (known)
			continue;
		if (network->lan_allow_count >= CONF_MAX_SETS) {
			snprintf(parse->error, sizeof(parse->error),
				 "lan_allow: too many sets in [network %s] (at most %d)",
				 network->name, CONF_MAX_SETS);
			goto out;
		}
		names = reallocarray(network->lan_allow, network->lan_allow_count + 1,
				     sizeof(*names));
		if (names == NULL)
			goto out;
		network->lan_allow = names;
		references = reallocarray(parse->references, parse->reference_count + 1,
					  sizeof(*references));
		if (references == NULL)
			goto out;
		parse->references = references;
		name = strdup(item + 1);
		if (name == NULL)
			goto out;
		names[network->lan_allow_count++] = name;
		references[parse->reference_count].network =
		    (size_t)(network - parse->conf->networks);
		references[parse->reference_count].name = name;
		references[parse->reference_count].line = parse->line;
		parse->reference_count++;
	}
	rc = 0;
out:
	free(copy);
	return rc;
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
	if (strcmp(name, "rule") == 0) {
		char section[300];

		snprintf(section, sizeof(section), "[network %s]", network->name);
		return conf_add_rule(parse, value, section, conf_check_network_rule,
				     &network->rules, &network->rule_count);
	}
	if (strcmp(name, "reach_allowed") == 0) {
		flag = conf_parse_bool(value);
		if (flag < 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "reach_allowed must be yes or no");
			return -1;
		}
		network->reach_allowed = flag;
		return 0;
	}
	if (strcmp(name, "lan_egress") == 0) {
		if (strcmp(value, "allow") != 0 && strcmp(value, "deny") != 0) {
			snprintf(parse->error, sizeof(parse->error),
				 "lan_egress must be allow or deny");
			return -1;
		}
		network->lan_deny = strcmp(value, "deny") == 0;
		return 0;
	}
	if (strcmp(name, "lan_allow") == 0)
		return conf_add_lan_allow(parse, value);
	snprintf(parse->error, sizeof(parse->error), "unknown key \"%.64s\" in [network %s]", name,
		 network->name);
	return -1;
}

/* The line of the section header called name (marked entered), else the current line. */
static unsigned conf_header_line(struct conf_parse *parse, const char *name)
{
	for (size_t i = 0; i < parse->header_count; i++) {
		if (strcmp(parse->headers[i].name, name) == 0) {
			parse->headers[i].entered = true;
			return parse->headers[i].line;
		}
	}
	return parse->line;
}

/* Starts a new section when its name differs from the current one. */
static int conf_enter_section(struct conf_parse *parse, const char *section)
{
	unsigned line = conf_header_line(parse, section);

	parse->current = NULL;
	parse->current_set = NULL;
	if (strcmp(section, "daemon") == 0) {
		parse->kind = CONF_SECTION_DAEMON;
		return 0;
	}
	if (strncmp(section, "network ", 8) == 0) {
		const char *name = section + 8;
		while (*name == ' ')
			name++;
		parse->kind = CONF_SECTION_NETWORK;
		parse->current = conf_add_network(parse->conf, name, parse->error,
						  sizeof(parse->error));
		if (parse->current == NULL)
			return -1;
		parse->current->line = line;
		return 0;
	}
	if (strncmp(section, "set", 3) == 0 && (section[3] == ' ' || section[3] == '\0')) {
		const char *name = section + 3;
		while (*name == ' ')
			name++;
		parse->kind = CONF_SECTION_SET;
		parse->current_set = conf_add_set(parse->conf, name, line, parse->error,
						  sizeof(parse->error));
		return parse->current_set ? 0 : -1;
	}
	if (strcmp(section, "published") == 0) {
		struct conf_published *published = &parse->conf->published;

		if (published->present) {
			snprintf(parse->error, sizeof(parse->error),
				 "[published] is given twice (first on line %u)", published->line);
			return -1;
		}
		parse->kind = CONF_SECTION_PUBLISHED;
		published->present = true;
		published->line = line;
		return 0;
	}
	snprintf(parse->error, sizeof(parse->error),
		 "unknown section [%.64s] (expected [daemon], [network NAME], [set NAME] "
		 "or [published])",
		 section);
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
	switch (parse->kind) {
	case CONF_SECTION_DAEMON:
		rc = conf_daemon_key(parse, name, value);
		break;
	case CONF_SECTION_NETWORK:
		rc = conf_network_key(parse, name, value);
		break;
	case CONF_SECTION_SET:
		rc = conf_set_key(parse, name, value);
		break;
	default:
		rc = conf_published_key(parse, name, value);
		break;
	}
	if (rc < 0 && parse->error[0] == '\0')
		snprintf(parse->error, sizeof(parse->error), "out of memory");
	return rc < 0 ? 0 : 1;
}

/*
 * Checks what inih cannot report: lines longer than it reads (it would split
 * them), NUL bytes, and a section header repeated (inih merges those).
 * Keeps the headers, with their lines, in parse.
 */
static int conf_prescan(FILE *file, struct conf_parse *parse, char *err, size_t errlen)
{
	char *line = NULL;
	size_t line_capacity = 0;
	unsigned number = 0;
	ssize_t length;
	int rc = -1;

	while ((length = getline(&line, &line_capacity, file)) > 0) {
		struct conf_header *headers;
		char *start = line, *end;

		number++;
		if (line[length - 1] == '\n')
			line[--length] = '\0';
		if (length > CONF_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %d characters", parse->path,
				 number, CONF_MAX_LINE);
			goto out;
		}
		if (memchr(line, '\0', (size_t)length) != NULL) {
			snprintf(err, errlen, "%s:%u: NUL byte in configuration", parse->path,
				 number);
			goto out;
		}
		while (*start == ' ' || *start == '\t')
			start++;
		if (*start != '[' || (end = strchr(start, ']')) == NULL)
			continue;
		*end = '\0';
		for (size_t i = 0; i < parse->header_count; i++) {
			if (strcmp(parse->headers[i].name, start + 1) == 0) {
				snprintf(err, errlen, "%s:%u: section [%s] repeats line %u",
					 parse->path, number, start + 1, parse->headers[i].line);
				goto out;
			}
		}
		if (parse->header_count >= CONF_MAX_SECTIONS) {
			snprintf(err, errlen, "%s:%u: too many sections", parse->path, number);
			goto out;
		}
		headers = reallocarray(parse->headers, parse->header_count + 1, sizeof(*headers));
		if (headers == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		parse->headers = headers;
		memset(&headers[parse->header_count], 0, sizeof(*headers));
		snprintf(headers[parse->header_count].name, sizeof(headers->name), "%s", start + 1);
		headers[parse->header_count++].line = number;
	}
	rewind(file);
	rc = 0;
out:
	free(line);
	return rc;
}

/*
 * inih's line reader: fgets on the file, counting lines.  A line of the
 * longest length the prescan lets through fills inih's buffer without its
 * newline, which is taken here, so that inih does not read it as a line.
 */
static char *conf_read_line(char *str, int num, void *stream)
{
	struct conf_parse *parse = stream;
	size_t length;
	int next;

	if (fgets(str, num, parse->file) == NULL)
		return NULL;
	parse->line++;
	length = strlen(str);
	if (length > 0 && str[length - 1] != '\n' && (next = getc(parse->file)) != EOF &&
	    next != '\n')
		ungetc(next, parse->file);
	return str;
}

/* Keeps an error found after reading the file when it is the earliest so far. */
__attribute__((format(printf, 3, 4))) static void
conf_late_error(struct conf_parse *parse, unsigned line, const char *format, ...)
{
	va_list args;

	if (parse->late_line != 0 && parse->late_line <= line)
		return;
	parse->late_line = line;
	va_start(args, format);
	vsnprintf(parse->late_error, sizeof(parse->late_error), format, args);
	va_end(args);
}

/*
 * What only the whole file tells: sections without keys (which inih never
 * reports: a set needs one, [published] is present with its defaults), and
 * the sets that rules and lan_allow name.  Keeps the earliest error.
 */
static void conf_check_file(struct conf_parse *parse)
{
	const struct conf *conf = parse->conf;
	const struct conf_published *published = &conf->published;

	for (size_t i = 0; i < parse->header_count; i++) {
		const struct conf_header *header = &parse->headers[i];
		bool set = strncmp(header->name, "set", 3) == 0 &&
			   (header->name[3] == ' ' || header->name[3] == '\0');

		if (header->entered || (!set && strcmp(header->name, "published") != 0))
			continue;
		parse->error[0] = '\0';
		if (conf_enter_section(parse, header->name) < 0)
			conf_late_error(parse, header->line, "%s",
					parse->error[0] ? parse->error : "out of memory");
		else if (set)
			conf_late_error(parse, header->line,
					"[set %s] needs members = or containers =",
					parse->current_set->name);
	}
	for (size_t i = 0; i < published->rule_count; i++) {
		const struct rulespec_address *from = &published->rules[i].rule.from;

		if (from->kind == RULESPEC_ADDRESS_SET && conf_find_set(conf, from->name) == NULL)
			conf_late_error(parse, published->rules[i].line,
					"rule: @%s names no [set %s] of the file", from->name,
					from->name);
	}
	for (size_t i = 0; i < parse->reference_count; i++) {
		const struct conf_reference *reference = &parse->references[i];
		const struct conf_network *network = &conf->networks[reference->network];

		if (conf_find_set(conf, reference->name) == NULL)
			conf_late_error(parse, reference->line,
					"lan_allow: @%s names no [set %s] of the file",
					reference->name, reference->name);
		if (!network->lan_deny)
			conf_late_error(parse, reference->line,
					"lan_allow needs lan_egress = deny in [network %s]",
					network->name);
	}
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
	memset(&parse, 0, sizeof(parse));
	parse.conf = conf;
	parse.path = path;
	parse.file = file;
	if (conf_prescan(file, &parse, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	rc = ini_parse_stream(conf_read_line, &parse, conf_ini_handler, &parse);
	if (rc > 0) {
		if (parse.error[0] == '\0')
			snprintf(parse.error, sizeof(parse.error), "syntax error");
		snprintf(err, errlen, "%s:%d: %s", path, rc, parse.error);
		rc = -1;
		goto out;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot parse", path);
		rc = -1;
		goto out;
	}
	conf_check_file(&parse);
	if (parse.late_line != 0) {
		snprintf(err, errlen, "%s:%u: %s", path, parse.late_line, parse.late_error);
		rc = -1;
		goto out;
	}
	if (conf_set_string(&conf->path, path) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
out:
	fclose(file);
	free(parse.headers);
	free(parse.references);
	return rc;
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
	conf->published.policy = RULESPEC_ALLOW;
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
