/* The saved ruleset, written atomically and read back with suspicion; see state.h. */
#include "config.h"

#include "tjd/state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ident.h"
#include "common/text.h"

#define STATE_VERSION 1

/* Adds an interface name member when set. */
static int state_put_iface(json_t *object, const char *key, const char *name)
{
	if (name[0] == '\0')
		return 0;
	return json_object_set_new(object, key, json_stringn(name, strnlen(name, TJD_IFNAMSIZ)));
}

/* Adds a prefix member when set. */
static int state_put_prefix(json_t *object, const char *key, const struct prefix *p)
{
	char text[INET6_ADDRSTRLEN + 8];

	if (p->family == 0)
		return 0;
	if (prefix_format(p, text, sizeof(text)) < 0)
		return -1;
	return json_object_set_new(object, key, json_string(text));
}

/* Adds "KEY": [first, last] for a port range that is set; 0, or -1 on failure. */
static int state_put_ports(json_t *object, const char *key, uint16_t first, uint16_t last)
{
	json_t *pair;

	if (last == 0)
		return 0;
	pair = json_pack("[ii]", (int)first, (int)last);
	return pair == NULL ? -1 : json_object_set_new(object, key, pair);
}

/* The saved name of a verdict. */
static const char *state_verdict_name(enum rule_verdict verdict)
{
	return verdict == RULE_DROP	? "drop"
	       : verdict == RULE_REJECT ? "reject"
	       : verdict == RULE_LOG	? "log"
					: "return";
}

/* One rule as a JSON object; NULL on failure. */
static json_t *state_rule_json(const struct rule *rule)
{
	json_t *object = json_object();

	if (object == NULL ||
	    json_object_set_new(object, "family", json_integer(rule->family == AF_INET ? 4 : 6)) ||
	    json_object_set_new(object, "hook", json_string(rule_hook_name(rule->hook))) ||
	    state_put_iface(object, "in", rule->in_iface) ||
	    state_put_iface(object, "out", rule->out_iface) ||
	    state_put_iface(object, "physdev_in", rule->physdev_in) ||
	    state_put_prefix(object, "src", &rule->src) ||
	    state_put_prefix(object, "dst", &rule->dst) ||
	    json_object_set_new(object, "ctstate", json_integer(rule->ctstate)) ||
	    json_object_set_new(object, "protocol", json_integer(rule->protocol)) ||
	    (rule->has_icmp_type &&
	     json_object_set_new(object, "icmp_type", json_integer(rule->icmp_type))) ||
	    (rule->tcp_not_syn && json_object_set_new(object, "tcp_not_syn", json_true())) ||
	    state_put_ports(object, "sport", rule->sport_first, rule->sport_last) ||
	    state_put_ports(object, "dport", rule->dport_first, rule->dport_last) ||
	    (rule->ct_dnat && json_object_set_new(object, "ct_dnat", json_true())) ||
	    state_put_ports(object, "ct_dport", rule->ct_dport_first, rule->ct_dport_last) ||
	    (rule->src_set[0] != '\0' &&
	     json_object_set_new(
		 object, "src_set",
		 json_stringn(rule->src_set, strnlen(rule->src_set, RULE_SET_NAME_MAX)))) ||
	    (rule->dst_set[0] != '\0' &&
	     json_object_set_new(
		 object, "dst_set",
		 json_stringn(rule->dst_set, strnlen(rule->dst_set, RULE_SET_NAME_MAX)))) ||
	    json_object_set_new(object, "verdict",
				json_string(state_verdict_name(rule->verdict))) ||
	    json_object_set_new(
		object, "comment",
		json_stringn(rule->comment, strnlen(rule->comment, RULE_COMMENT_MAX)))) {
		json_decref(object);
		return NULL;
	}
	return object;
}

/* One named set with its members as a JSON object; NULL on failure. */
static json_t *state_set_json(const struct ruleset *set, const struct rule_addrset *named)
{
	json_t *object = json_object(), *members = json_array();

	if (object == NULL || members == NULL ||
	    json_object_set_new(
		object, "name",
		json_stringn(named->name, strnlen(named->name, RULE_SET_NAME_MAX))) ||
	    json_object_set_new(object, "family", json_integer(named->family == AF_INET ? 4 : 6)) ||
	    json_object_set_new(
		object, "comment",
		json_stringn(named->comment, strnlen(named->comment, RULE_COMMENT_MAX)))) {
		json_decref(object);
		json_decref(members);
		return NULL;
	}
	if (json_object_set_new(object, "members", members)) {
		json_decref(object);
		return NULL;
	}
	for (size_t m = 0; m < named->count; m++) {
		char text[PREFIX_TEXT_MAX];
		if (prefix_format(&set->members[named->first + m], text, sizeof(text)) < 0 ||
		    json_array_append_new(members, json_string(text))) {
			json_decref(object);
			return NULL;
		}
	}
	return object;
}

/* One layer-2 port as a JSON object; NULL on failure. */
static json_t *state_port_json(const struct l2_port *port)
{
	json_t *object = json_object();
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", port->mac[0], port->mac[1],
		 port->mac[2], port->mac[3], port->mac[4], port->mac[5]);
	if (object == NULL || state_put_iface(object, "bridge", port->bridge) ||
	    state_put_iface(object, "port", port->port) ||
	    json_object_set_new(object, "known", json_boolean(port->known)) ||
	    (port->known && json_object_set_new(object, "mac", json_string(mac))) ||
	    state_put_prefix(object, "ipv4", &port->ipv4) ||
	    state_put_prefix(object, "ipv6", &port->ipv6) ||
	    json_object_set_new(
		object, "comment",
		json_stringn(port->comment, strnlen(port->comment, RULE_COMMENT_MAX)))) {
		json_decref(object);
		return NULL;
	}
	return object;
}

/*
 * Creates the state directory if it is missing, mode 0700, and any missing
 * directory above it, mode 0755 (as `install -d` would: a tree built with
 * --prefix=/usr/local has no /usr/local/var/lib until something makes it).
 */
static int state_make_directory(const char *path, char *err, size_t errlen)
{
	char directory[4096];
	char *slash;

	if ((size_t)snprintf(directory, sizeof(directory), "%s", path) >= sizeof(directory)) {
		snprintf(err, errlen, "state path too long");
		return -1;
	}
	slash = strrchr(directory, '/');
	if (slash == NULL || slash == directory)
		return 0;
	*slash = '\0';
	for (char *next = strchr(directory + 1, '/');; next = strchr(next + 1, '/')) {
		bool last = next == NULL;

		if (!last)
			*next = '\0';
		if (mkdir(directory, last ? 0700 : 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "creating %s: %s", directory, strerror(errno));
			return -1;
		}
		if (last)
			return 0;
		*next = '/';
	}
}

void state_netns_free(struct state_netns *ns)
{
	free(ns->paths);
	ns->paths = NULL;
	ns->count = 0;
}

/* A plain absolute path: '/', printable, no "//", "." or ".." component, no final '/'. */
static bool state_netns_path_valid(const char *path, size_t length)
{
	if (length < 2 || length > STATE_NETNS_PATH_MAX || path[0] != '/' ||
	    path[length - 1] == '/' || !text_is_printable(path, length))
		return false;
	for (size_t i = 0; i < length; i++) {
		size_t end = i + 1;
		if (path[i] != '/')
			continue;
		while (end < length && path[end] != '/')
			end++;
		/* the component between this '/' and the next */
		if (end == i + 1 || (end == i + 2 && path[i + 1] == '.') ||
		    (end == i + 3 && path[i + 1] == '.' && path[i + 2] == '.'))
			return false;
	}
	return true;
}

int state_netns_add(struct state_netns *ns, const char *path)
{
	size_t length = strnlen(path, STATE_NETNS_PATH_MAX + 1);
	char(*grown)[STATE_NETNS_PATH_MAX + 1];

	if (!state_netns_path_valid(path, length) || ns->count >= STATE_NETNS_MAX)
		return -1;
	grown = reallocarray(ns->paths, ns->count + 1, sizeof(*ns->paths));
	if (grown == NULL)
		return -1;
	ns->paths = grown;
	memcpy(ns->paths[ns->count++], path, length + 1);
	return 0;
}

char *state_format(const struct ruleset *set)
{
	return state_format_with(set, NULL);
}

char *state_format_with(const struct ruleset *set, const struct state_netns *ns)
{
	json_t *root = json_object(), *rules;
	char *text = NULL;

	if (root == NULL)
		return NULL;
	rules = json_array();
	if (json_object_set_new(root, "version", json_integer(STATE_VERSION))) {
		json_decref(rules);
		goto out;
	}
	/* The _new setters take the reference even when they fail. */
	if (json_object_set_new(root, "rules", rules))
		goto out;
	for (size_t i = 0; i < set->count; i++) {
		json_t *rule = state_rule_json(&set->rules[i]);
		if (rule == NULL || json_array_append_new(rules, rule))
			goto out;
	}
	if (set->port_count > 0) {
		json_t *ports = json_array();
		if (json_object_set_new(root, "ports", ports))
			goto out;
		for (size_t i = 0; i < set->port_count; i++) {
			json_t *port = state_port_json(&set->ports[i]);
			if (port == NULL || json_array_append_new(ports, port))
				goto out;
		}
	}
	if (set->set_count > 0) {
		json_t *sets = json_array();
		if (json_object_set_new(root, "sets", sets))
			goto out;
		for (size_t i = 0; i < set->set_count; i++) {
			json_t *named = state_set_json(set, &set->sets[i]);
			if (named == NULL || json_array_append_new(sets, named))
				goto out;
		}
	}
	if (ns != NULL && ns->count > 0) {
		json_t *paths = json_array();
		if (json_object_set_new(root, "namespaces", paths))
			goto out;
		for (size_t i = 0; i < ns->count; i++)
			if (json_array_append_new(paths, json_string(ns->paths[i])))
				goto out;
	}
	text = json_dumps(root, JSON_COMPACT);
out:
	json_decref(root);
	return text;
}

int state_save(const char *path, const struct ruleset *set, char *err, size_t errlen)
{
	return state_save_with(path, set, NULL, err, errlen);
}

int state_save_with(const char *path, const struct ruleset *set, const struct state_netns *ns,
		    char *err, size_t errlen)
{
	char *text = NULL, temporary[4096];
	size_t length;
	int fd = -1, rc = -1;

	if (state_make_directory(path, err, errlen) < 0)
		return -1;
	text = state_format_with(set, ns);
	if (text == NULL)
		goto oom;
	length = strlen(text);
	if ((size_t)snprintf(temporary, sizeof(temporary), "%s.tmp", path) >= sizeof(temporary)) {
		snprintf(err, errlen, "state path too long");
		goto out;
	}
	fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, text, length) != (ssize_t)length || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "writing %s: %s", temporary, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(temporary, path) < 0) {
		snprintf(err, errlen, "renaming %s: %s", temporary, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (fd >= 0) {
		close(fd);
		unlink(temporary);
	}
	free(text);
	return rc;
}

/* Copies an optional interface name, refusing anything not a plain name. */
static int state_get_iface(json_t *object, const char *key, char *out)
{
	json_t *value = json_object_get(object, key);
	const char *text;
	size_t length;

	if (value == NULL)
		return 0;
	if (!json_is_string(value))
		return -1;
	text = json_string_value(value);
	length = json_string_length(value);
	if (!ident_valid_ifname(text, length))
		return -1;
	memcpy(out, text, length + 1);
	return 0;
}

/* Reads an optional prefix member of the rule's family. */
static int state_get_prefix(json_t *object, const char *key, int family, struct prefix *out)
{
	json_t *value = json_object_get(object, key);

	if (value == NULL)
		return 0;
	if (!json_is_string(value) || prefix_parse(json_string_value(value), out) < 0 ||
	    out->family != family)
		return -1;
	return 0;
}

/* Reads an integer member within [0, max]. */
static int state_get_small(json_t *object, const char *key, long long max, long long *out)
{
	json_t *value = json_object_get(object, key);

	if (!json_is_integer(value))
		return -1;
	*out = json_integer_value(value);
	return *out < 0 || *out > max ? -1 : 0;
}

/* Reads an optional "KEY": [first, last], 1 <= first <= last <= 65535; 0, or -1. */
static int state_get_ports(json_t *object, const char *key, uint16_t *first, uint16_t *last)
{
	json_t *pair = json_object_get(object, key);
	json_int_t low, high;

	if (pair == NULL)
		return 0;
	if (!json_is_array(pair) || json_array_size(pair) != 2 ||
	    !json_is_integer(json_array_get(pair, 0)) || !json_is_integer(json_array_get(pair, 1)))
		return -1;
	low = json_integer_value(json_array_get(pair, 0));
	high = json_integer_value(json_array_get(pair, 1));
	if (low < 1 || low > high || high > 65535)
		return -1;
	*first = (uint16_t)low;
	*last = (uint16_t)high;
	return 0;
}

/* Validates a saved comment: printable ASCII without '"', shorter than RULE_COMMENT_MAX. */
static int state_get_comment(json_t *object, char out[RULE_COMMENT_MAX])
{
	json_t *comment = json_object_get(object, "comment");
	const char *text = json_is_string(comment) ? json_string_value(comment) : NULL;
	size_t length = text ? json_string_length(comment) : 0;

	if (comment == NULL)
		return 0;
	if (text == NULL || length >= RULE_COMMENT_MAX || !text_is_printable(text, length) ||
	    memchr(text, '"', length) != NULL)
		return -1;
	memcpy(out, text, length + 1);
	return 0;
}

/* Reads an optional set name member (rule_set_name_valid); 0, or -1. */
static int state_get_set_name(json_t *object, const char *key, char out[RULE_SET_NAME_MAX])
{
	json_t *name = json_object_get(object, key);

	if (name == NULL)
		return 0;
	if (!json_is_string(name) || json_string_length(name) >= RULE_SET_NAME_MAX ||
	    strlen(json_string_value(name)) != json_string_length(name) ||
	    !rule_set_name_valid(json_string_value(name)))
		return -1;
	memcpy(out, json_string_value(name), json_string_length(name) + 1);
	return 0;
}

/* Validates and adds one saved named set to `set`; 0, or -1. */
static int state_set_parse(json_t *object, struct ruleset *set)
{
	json_t *name = json_object_get(object, "name"),
	       *members = json_object_get(object, "members");
	struct rule_addrset *added;
	long long family;
	char checked[RULE_SET_NAME_MAX] = "";

	if (!json_is_object(object) || state_get_small(object, "family", 6, &family) < 0 ||
	    (family != 4 && family != 6) || name == NULL ||
	    state_get_set_name(object, "name", checked) < 0 ||
	    ruleset_find_set(set, checked) != NULL || !json_is_array(members) ||
	    json_array_size(members) > STATE_MAX_MEMBERS)
		return -1;
	added = ruleset_add_set(set, checked, family == 4 ? AF_INET : AF_INET6);
	if (added == NULL || state_get_comment(object, added->comment) < 0)
		return -1;
	for (size_t m = 0; m < json_array_size(members); m++) {
		json_t *member = json_array_get(members, m);
		struct prefix p;

		if (!json_is_string(member) ||
		    strlen(json_string_value(member)) != json_string_length(member) ||
		    prefix_parse(json_string_value(member), &p) < 0 || p.family != added->family ||
		    p.length == 0 || ruleset_add_member(set, &p) < 0)
			return -1;
		/* sorted and none inside another, as every backend holds them */
		if (m > 0) {
			const struct prefix *before = &set->members[set->member_count - 2];
			if (prefix_compare(before, &p) >= 0 || prefix_contains(before, &p))
				return -1;
		}
		prefix_network(&set->members[set->member_count - 1]);
		if (!prefix_equal(&set->members[set->member_count - 1], &p))
			return -1;
	}
	return 0;
}

/* Validates and converts one saved rule. */
static int state_rule_parse(json_t *object, struct rule *rule)
{
	json_t *hook = json_object_get(object, "hook");
	json_t *verdict = json_object_get(object, "verdict");
	long long family, ctstate, protocol, icmp_type;

	if (!json_is_object(object) || state_get_small(object, "family", 6, &family) < 0 ||
	    (family != 4 && family != 6))
		return -1;
	rule->family = family == 4 ? AF_INET : AF_INET6;
	if (!json_is_string(hook) || !json_is_string(verdict))
		return -1;
	if (strcmp(json_string_value(hook), "forward") == 0)
		rule->hook = RULE_HOOK_FORWARD;
	else if (strcmp(json_string_value(hook), "input") == 0)
		rule->hook = RULE_HOOK_INPUT;
	else if (strcmp(json_string_value(hook), "output") == 0)
		rule->hook = RULE_HOOK_OUTPUT;
	else
		return -1;
	if (strcmp(json_string_value(verdict), "drop") == 0)
		rule->verdict = RULE_DROP;
	else if (strcmp(json_string_value(verdict), "return") == 0)
		rule->verdict = RULE_RETURN;
	else if (strcmp(json_string_value(verdict), "reject") == 0)
		rule->verdict = RULE_REJECT;
	else if (strcmp(json_string_value(verdict), "log") == 0)
		rule->verdict = RULE_LOG;
	else
		return -1;
	if (state_get_iface(object, "in", rule->in_iface) < 0 ||
	    state_get_iface(object, "out", rule->out_iface) < 0 ||
	    state_get_iface(object, "physdev_in", rule->physdev_in) < 0 ||
	    state_get_prefix(object, "src", rule->family, &rule->src) < 0 ||
	    state_get_prefix(object, "dst", rule->family, &rule->dst) < 0 ||
	    state_get_small(object, "ctstate", RULE_CT_NEW | RULE_CT_ESTABLISHED | RULE_CT_RELATED,
			    &ctstate) < 0 ||
	    state_get_small(object, "protocol", 255, &protocol) < 0)
		return -1;
	rule->ctstate = (uint8_t)ctstate;
	rule->protocol = (uint8_t)protocol;
	if (json_object_get(object, "icmp_type") != NULL) {
		/* Both backends refuse an ICMP type under the other family's protocol. */
		if (state_get_small(object, "icmp_type", 255, &icmp_type) < 0 ||
		    rule->protocol != (rule->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6))
			return -1;
		rule->has_icmp_type = true;
		rule->icmp_type = (uint8_t)icmp_type;
	}
	if (json_object_get(object, "tcp_not_syn") != NULL) {
		/* TCP flags belong to TCP only */
		if (!json_is_true(json_object_get(object, "tcp_not_syn")) ||
		    rule->protocol != IPPROTO_TCP)
			return -1;
		rule->tcp_not_syn = true;
	}
	if (state_get_ports(object, "sport", &rule->sport_first, &rule->sport_last) < 0 ||
	    state_get_ports(object, "dport", &rule->dport_first, &rule->dport_last) < 0 ||
	    state_get_ports(object, "ct_dport", &rule->ct_dport_first, &rule->ct_dport_last) < 0)
		return -1;
	/* ports belong to TCP, UDP and SCTP only */
	if ((rule->sport_last != 0 || rule->dport_last != 0 || rule->ct_dport_last != 0) &&
	    !rule_protocol_has_ports(rule->protocol))
		return -1;
	if (json_object_get(object, "ct_dnat") != NULL) {
		if (!json_is_true(json_object_get(object, "ct_dnat")))
			return -1;
		rule->ct_dnat = true;
	}
	if (state_get_set_name(object, "src_set", rule->src_set) < 0 ||
	    state_get_set_name(object, "dst_set", rule->dst_set) < 0 ||
	    (rule->src_set[0] != '\0' && rule->src.family != 0) ||
	    (rule->dst_set[0] != '\0' && rule->dst.family != 0))
		return -1;
	return state_get_comment(object, rule->comment);
}

/* Validates and converts one saved layer-2 port. */
static int state_port_parse(json_t *object, struct l2_port *port)
{
	json_t *known = json_object_get(object, "known");
	json_t *mac = json_object_get(object, "mac");

	if (!json_is_object(object) || !json_is_boolean(known) ||
	    state_get_iface(object, "bridge", port->bridge) < 0 ||
	    state_get_iface(object, "port", port->port) < 0 || port->bridge[0] == '\0' ||
	    port->port[0] == '\0' || state_get_comment(object, port->comment) < 0)
		return -1;
	port->known = json_is_true(known);
	if (!port->known)
		return mac == NULL && json_object_get(object, "ipv4") == NULL &&
			       json_object_get(object, "ipv6") == NULL
			   ? 0
			   : -1;
	if (!json_is_string(mac) || l2_mac_parse(json_string_value(mac), port->mac) < 0 ||
	    state_get_prefix(object, "ipv4", AF_INET, &port->ipv4) < 0 ||
	    state_get_prefix(object, "ipv6", AF_INET6, &port->ipv6) < 0 ||
	    (port->ipv4.family != 0 && port->ipv4.length != 32) ||
	    (port->ipv6.family != 0 && port->ipv6.length != 128))
		return -1;
	l2_link_local(port->mac, &port->ipv6_link);
	return 0;
}

/* Reads the optional list of namespaces; -1 when it is not a list of plain paths. */
static int state_netns_parse(json_t *paths, struct state_netns *ns)
{
	struct state_netns scratch = {0};

	if (paths == NULL)
		return 0;
	if (!json_is_array(paths) || json_array_size(paths) > STATE_NETNS_MAX)
		return -1;
	for (size_t i = 0; i < json_array_size(paths); i++) {
		json_t *path = json_array_get(paths, i);
		if (!json_is_string(path) ||
		    strlen(json_string_value(path)) != json_string_length(path) ||
		    state_netns_add(ns != NULL ? ns : &scratch, json_string_value(path)) < 0) {
			state_netns_free(&scratch);
			return -1;
		}
	}
	state_netns_free(&scratch);
	return 0;
}

int state_parse(const char *text, size_t len, struct ruleset *set, char *err, size_t errlen)
{
	return state_parse_with(text, len, set, NULL, err, errlen);
}

int state_parse_with(const char *text, size_t len, struct ruleset *set, struct state_netns *ns,
		     char *err, size_t errlen)
{
	json_error_t error;
	json_t *root, *rules, *version, *ports, *sets;
	int rc = -1;

	ruleset_reset(set);
	if (ns != NULL)
		state_netns_free(ns);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL) {
		snprintf(err, errlen, "line %d: %s", error.line, error.text);
		return -1;
	}
	version = json_object_get(root, "version");
	rules = json_object_get(root, "rules");
	if (!json_is_integer(version) || json_integer_value(version) != STATE_VERSION ||
	    !json_is_array(rules) || json_array_size(rules) > STATE_MAX_RULES) {
		snprintf(err, errlen, "not a tjd state file of version %d", STATE_VERSION);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(rules); i++) {
		struct rule *rule = ruleset_add(set);
		if (rule == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (state_rule_parse(json_array_get(rules, i), rule) < 0) {
			snprintf(err, errlen, "rule %zu is invalid", i);
			goto out;
		}
	}
	ports = json_object_get(root, "ports");
	if (ports != NULL && (!json_is_array(ports) || json_array_size(ports) > STATE_MAX_RULES)) {
		snprintf(err, errlen, "layer-2 ports: not a list of at most %d", STATE_MAX_RULES);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(ports); i++) {
		struct l2_port *port = ruleset_add_port(set);
		if (port == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (state_port_parse(json_array_get(ports, i), port) < 0) {
			snprintf(err, errlen, "layer-2 port %zu is invalid", i);
			goto out;
		}
	}
	sets = json_object_get(root, "sets");
	if (sets != NULL && (!json_is_array(sets) || json_array_size(sets) > STATE_MAX_SETS)) {
		snprintf(err, errlen, "sets: not a list of at most %d", STATE_MAX_SETS);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(sets); i++)
		if (state_set_parse(json_array_get(sets, i), set) < 0) {
			snprintf(err, errlen, "set %zu is invalid", i);
			goto out;
		}
	/* every set a rule names is there, of its family */
	for (size_t i = 0; i < set->count; i++) {
		const struct rule *rule = &set->rules[i];
		const struct rule_addrset *src =
		    rule->src_set[0] ? ruleset_find_set(set, rule->src_set) : NULL;
		const struct rule_addrset *dst =
		    rule->dst_set[0] ? ruleset_find_set(set, rule->dst_set) : NULL;
		if ((rule->src_set[0] && (src == NULL || src->family != rule->family)) ||
		    (rule->dst_set[0] && (dst == NULL || dst->family != rule->family))) {
			snprintf(err, errlen, "rule %zu names a set the file does not hold", i);
			goto out;
		}
	}
	if (state_netns_parse(json_object_get(root, "namespaces"), ns) < 0) {
		snprintf(err, errlen, "namespaces: not a list of at most %d plain absolute paths",
			 STATE_NETNS_MAX);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		ruleset_reset(set);
		if (ns != NULL)
			state_netns_free(ns);
	}
	json_decref(root);
	return rc;
}

int state_load(const char *path, struct ruleset *set, char *err, size_t errlen)
{
	return state_load_with(path, set, NULL, err, errlen);
}

int state_load_with(const char *path, struct ruleset *set, struct state_netns *ns, char *err,
		    size_t errlen)
{
	char *text = NULL, parse_error[256];
	size_t length = 0;
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	ruleset_reset(set);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path,
			 STATE_MAX_BYTES);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* The file is replaced by rename, never rewritten: its size holds. */
	while (length < (size_t)st.st_size &&
	       (n = read(fd, text + length, (size_t)st.st_size - length)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		length += (size_t)n;
	}
	if (state_parse_with(text, length, set, ns, parse_error, sizeof(parse_error)) < 0) {
		snprintf(err, errlen, "%s: %s", path, parse_error);
		goto out;
	}
	rc = 0;
out:
	free(text);
	close(fd);
	return rc;
}

int state_remove(const char *path, char *err, size_t errlen)
{
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "removing %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
