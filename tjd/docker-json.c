/*
 * Docker Engine API JSON into tjd's structs; see docker-json.h.  The
 * checks themselves are common/'s (prefixes, ids, text, JSON members,
 * allow expressions), shared with the swarm code.
 */
#include "config.h"

#include "common/error.h"

#include "tjd/docker-json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/filter.h"
#include "common/ident.h"
#include "common/jsonfield.h"
#include "common/text.h"
#include "tjd/docker.h"
#include "tjd/ruleset.h"

/* No container list we accept is longer than this (a sanity bound, not a policy). */
#define DOCKER_JSON_MAX_CONTAINERS 65536
/* The network option Docker uses to name a bridge explicitly (docker0 has it). */
#define DOCKER_JSON_BRIDGE_NAME_OPTION "com.docker.network.bridge.name"

_Static_assert(INV_ID_MAX == IDENT_ID_MAX, "inventory ids are Docker ids");
_Static_assert(TJD_IFNAMSIZ == IDENT_IFNAMSIZ, "rule interfaces are Linux interface names");

/* Parses a whole document of at most DOCKER_MAX_BODY bytes. */
static json_t *docker_json_load(const char *json, size_t len, const char *what, char *err,
				size_t errlen)
{
	return jsonfield_load(json, len, DOCKER_MAX_BODY, what, err, errlen);
}

int docker_json_find_networks(const char *json, size_t len, const char *const *names, size_t count,
			      char (*ids)[INV_ID_MAX + 1], char *err, size_t errlen)
{
	json_t *root, *item;
	size_t index;
	int ret = -1;

	for (size_t n = 0; n < count; n++)
		ids[n][0] = '\0';
	root = docker_json_load(json, len, "network list", err, errlen);
	if (root == NULL)
		return -1;
	if (!json_is_array(root)) {
		error_format(err, errlen, "network list: not an array");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		const char *item_name, *item_id;
		size_t name_len, id_len;
		char where[48];

		snprintf(where, sizeof(where), "network list item %zu", index);
		if (!json_is_object(item)) {
			error_format(err, errlen, "%s: not an object", where);
			goto out;
		}
		if (jsonfield_string(item, "Name", true, &item_name, &name_len, where, err,
				     errlen) < 0 ||
		    jsonfield_string(item, "Id", true, &item_id, &id_len, where, err, errlen) < 0)
			goto out;
		for (size_t n = 0; n < count; n++) {
			if (name_len != strlen(names[n]) || strcmp(item_name, names[n]) != 0)
				continue;
			/* Docker allows a local and a swarm network to share a name: refuse to
			 * guess. */
			if (ids[n][0] != '\0') {
				error_format(err, errlen, "network name \"%s\" is ambiguous",
					     names[n]);
				goto out;
			}
			if (!ident_valid_id(item_id, id_len)) {
				error_format(err, errlen, "network \"%s\": invalid Id", names[n]);
				goto out;
			}
			if (jsonfield_copy(ids[n], sizeof(ids[n]), item_id, id_len, where, "Id",
					   err, errlen) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		for (size_t n = 0; n < count; n++)
			ids[n][0] = '\0';
	return ret;
}

int docker_json_find_network(const char *json, size_t len, const char *name, char *id, size_t idlen,
			     char *err, size_t errlen)
{
	char found[1][INV_ID_MAX + 1];

	if (docker_json_find_networks(json, len, &name, 1, found, err, errlen) < 0)
		return -1;
	if (found[0][0] == '\0')
		return 1;
	if (strlen(found[0]) >= idlen) {
		error_format(err, errlen, "network \"%s\": Id too long", name);
		return -1;
	}
	memcpy(id, found[0], strlen(found[0]) + 1);
	return 0;
}

char *docker_network_names_filter(const char *const *names, size_t count, char *err, size_t errlen)
{
	json_t *values = json_array(), *filters = json_object();
	char *result = NULL;

	if (values == NULL || filters == NULL || json_object_set(filters, "name", values) < 0)
		goto fail;
	for (size_t n = 0; n < count; n++) {
		json_t *name = json_string(names[n]);
		if (name == NULL || json_array_append_new(values, name) < 0)
			goto fail;
	}
	result = json_dumps(filters, JSON_COMPACT);
	if (result != NULL)
		goto out;
fail:
	error_format(err, errlen, "network filter: out of memory or invalid name");
out:
	json_decref(values);
	json_decref(filters);
	return result;
}

/* Parses "192.0.2.5/24" (or "" for none) into a host prefix of the wanted family. */
static int docker_json_host_address(const char *text, size_t len, int family, struct prefix *out,
				    const char *where, const char *what, char *err, size_t errlen)
{
	char buf[64];

	memset(out, 0, sizeof(*out));
	if (text == NULL || len == 0)
		return 0;
	if (len >= sizeof(buf) || text_has_control(text, len)) {
		error_format(err, errlen, "%s: invalid %s", where, what);
		return -1;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (prefix_parse(buf, out) < 0 || out->family != family) {
		memset(out, 0, sizeof(*out));
		error_format(err, errlen, "%s: invalid %s \"%s\"", where, what, buf);
		return -1;
	}
	prefix_host(out);
	return 0;
}

/* Checks "02:42:ac:11:00:02" (or "") and stores it lowercased. */
static int docker_json_mac(const char *text, size_t len, char *out, size_t outsize,
			   const char *where, char *err, size_t errlen)
{
	out[0] = '\0';
	if (text == NULL || len == 0)
		return 0;
	if (len != 17 || outsize < 18)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (i % 3 == 2) {
			if (c != ':')
				goto bad;
		} else if (c >= 'A' && c <= 'F') {
			c = (char)(c - 'A' + 'a');
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			goto bad;
		}
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
bad:
	out[0] = '\0';
	error_format(err, errlen, "%s: invalid MacAddress", where);
	return -1;
}

/*
 * Keys of a network's Containers map: container ids, plus the sandboxes
 * swarm adds itself: "lb-<network name>" (the node's load-balancer
 * endpoint) and "ingress-sbox" (the routing mesh on the ingress network).
 */
static bool docker_json_valid_endpoint_key(const char *key, const struct inv_network *net)
{
	size_t len = strlen(key);

	if (ident_valid_container_id(key, len))
		return true;
	if (strncmp(key, "lb-", 3) == 0 && strcmp(key + 3, net->name) == 0)
		return true;
	return strcmp(key, "ingress-sbox") == 0;
}

/* Fills one endpoint from a member of the network's Containers map. */
static int docker_json_parse_endpoint(struct inv_network *net, const char *key, json_t *value,
				      char *err, size_t errlen)
{
	struct inv_endpoint *endpoint;
	const char *text;
	size_t len;
	char where[128];

	snprintf(where, sizeof(where), "network %.64s: endpoint %.12s", net->name, key);
	/*
	 * "ep-<endpoint id>": an endpoint whose container is going or not yet
	 * there (seen while a container restarts).  Not a container: skip it.
	 */
	if (strncmp(key, "ep-", 3) == 0 && ident_valid_container_id(key + 3, strlen(key + 3)))
		return 0;
	if (strlen(key) > INV_ID_MAX) {
		error_format(err, errlen, "%s: container id too long", where);
		return -1;
	}
	if (!docker_json_valid_endpoint_key(key, net)) {
		error_format(err, errlen, "%s: invalid container id", where);
		return -1;
	}
	if (!json_is_object(value)) {
		error_format(err, errlen, "%s: not an object", where);
		return -1;
	}
	endpoint = inv_network_add_endpoint(net);
	if (endpoint == NULL) {
		error_format(err, errlen, "%s: too many endpoints", where);
		return -1;
	}
	snprintf(endpoint->container_id, sizeof(endpoint->container_id), "%s", key);

	if (jsonfield_string(value, "Name", false, &text, &len, where, err, errlen) < 0)
		return -1;
	if (text != NULL && len > 0 && text[0] == '/') {
		text++;
		len--;
	}
	if (text != NULL && jsonfield_copy(endpoint->name, sizeof(endpoint->name), text, len, where,
					   "Name", err, errlen) < 0)
		return -1;

	if (jsonfield_string(value, "MacAddress", false, &text, &len, where, err, errlen) < 0 ||
	    docker_json_mac(text, len, endpoint->mac, sizeof(endpoint->mac), where, err, errlen) <
		0)
		return -1;

	if (jsonfield_string(value, "IPv4Address", false, &text, &len, where, err, errlen) < 0 ||
	    docker_json_host_address(text, len, AF_INET, &endpoint->ipv4, where, "IPv4Address", err,
				     errlen) < 0)
		return -1;

	if (jsonfield_string(value, "IPv6Address", false, &text, &len, where, err, errlen) < 0 ||
	    docker_json_host_address(text, len, AF_INET6, &endpoint->ipv6, where, "IPv6Address",
				     err, errlen) < 0)
		return -1;

	/* Optional: it only lets tjd remember this endpoint's bridge port between runs. */
	if (jsonfield_string(value, "EndpointID", false, &text, &len, where, err, errlen) < 0)
		return -1;
	if (text != NULL && len > 0) {
		if (!ident_valid_container_id(text, len)) {
			error_format(err, errlen, "%s: invalid EndpointID", where);
			return -1;
		}
		memcpy(endpoint->endpoint_id, text, len);
		endpoint->endpoint_id[len] = '\0';
	}
	return 0;
}

/* Reads IPAM.Config[].Subnet, every entry, both families. */
static int docker_json_parse_subnets(struct inv_network *net, json_t *root, char *err,
				     size_t errlen)
{
	json_t *ipam, *config, *item;
	size_t index;
	char where[300];

	snprintf(where, sizeof(where), "network %s: IPAM", net->name);
	if (jsonfield_object(root, "IPAM", false, &ipam, where, err, errlen) < 0)
		return -1;
	if (ipam == NULL)
		return 0;
	config = json_object_get(ipam, "Config");
	if (config == NULL || json_is_null(config))
		return 0;
	if (!json_is_array(config)) {
		error_format(err, errlen, "%s: \"Config\" is not an array", where);
		return -1;
	}
	json_array_foreach(config, index, item)
	{
		const char *subnet;
		size_t len;
		char buf[64];
		struct prefix *prefix;

		if (!json_is_object(item)) {
			error_format(err, errlen, "%s: Config[%zu] is not an object", where, index);
			return -1;
		}
		if (jsonfield_string(item, "Subnet", false, &subnet, &len, where, err, errlen) < 0)
			return -1;
		if (subnet == NULL || len == 0)
			continue;
		if (net->subnet_count >= INV_MAX_SUBNETS) {
			error_format(err, errlen, "%s: more than %d subnets", where,
				     INV_MAX_SUBNETS);
			return -1;
		}
		if (len >= sizeof(buf) || text_has_control(subnet, len)) {
			error_format(err, errlen, "%s: Config[%zu]: invalid Subnet", where, index);
			return -1;
		}
		memcpy(buf, subnet, len);
		buf[len] = '\0';
		prefix = &net->subnets[net->subnet_count];
		if (prefix_parse(buf, prefix) < 0) {
			memset(prefix, 0, sizeof(*prefix));
			error_format(err, errlen, "%s: Config[%zu]: invalid Subnet \"%s\"", where,
				     index, buf);
			return -1;
		}
		net->subnet_count++;
	}
	return 0;
}

/* Names the Linux bridge: the explicit option, else Docker's "br-" + 12 id characters. */
static int docker_json_parse_bridge(struct inv_network *net, json_t *root, char *err, size_t errlen)
{
	json_t *options;
	const char *name = NULL;
	size_t len;
	char where[300];

	net->bridge[0] = '\0';
	snprintf(where, sizeof(where), "network %s: Options", net->name);
	if (jsonfield_object(root, "Options", false, &options, where, err, errlen) < 0)
		return -1;
	if (options != NULL && jsonfield_string(options, DOCKER_JSON_BRIDGE_NAME_OPTION, false,
						&name, &len, where, err, errlen) < 0)
		return -1;
	if (options != NULL && name != NULL && len > 0) {
		if (!ident_valid_ifname(name, len)) {
			error_format(err, errlen, "%s: invalid bridge name", where);
			return -1;
		}
		memcpy(net->bridge, name, len + 1);
		return 0;
	}
	if (strcmp(net->driver, "bridge") == 0) {
		if (strlen(net->id) < 12) {
			error_format(err, errlen, "network %s: Id too short for a bridge name",
				     net->name);
			return -1;
		}
		snprintf(net->bridge, sizeof(net->bridge), "br-%.12s", net->id);
	}
	return 0;
}

int docker_json_parse_network(const char *json, size_t len, struct inv_network *net, char *err,
			      size_t errlen)
{
	json_t *root, *value, *containers;
	const char *text, *key;
	size_t text_len;
	int ret = -1;

	root = docker_json_load(json, len, "network", err, errlen);
	if (root == NULL)
		return -1;
	if (!json_is_object(root)) {
		error_format(err, errlen, "network: not an object");
		goto out;
	}

	if (jsonfield_string(root, "Name", true, &text, &text_len, "network", err, errlen) < 0 ||
	    jsonfield_copy(net->name, sizeof(net->name), text, text_len, "network", "Name", err,
			   errlen) < 0)
		goto out;
	if (text_len == 0) {
		error_format(err, errlen, "network: empty Name");
		goto out;
	}
	if (jsonfield_string(root, "Id", true, &text, &text_len, net->name, err, errlen) < 0)
		goto out;
	if (text_len > INV_ID_MAX) {
		error_format(err, errlen, "network %s: Id too long (%zu bytes)", net->name,
			     text_len);
		goto out;
	}
	if (!ident_valid_id(text, text_len)) {
		error_format(err, errlen, "network %s: invalid Id", net->name);
		goto out;
	}
	memcpy(net->id, text, text_len + 1);

	if (jsonfield_string(root, "Driver", true, &text, &text_len, net->name, err, errlen) < 0 ||
	    jsonfield_copy(net->driver, sizeof(net->driver), text, text_len, net->name, "Driver",
			   err, errlen) < 0)
		goto out;
	if (jsonfield_string(root, "Scope", false, &text, &text_len, net->name, err, errlen) < 0)
		goto out;
	net->scope[0] = '\0';
	if (text != NULL && jsonfield_copy(net->scope, sizeof(net->scope), text, text_len,
					   net->name, "Scope", err, errlen) < 0)
		goto out;

	value = json_object_get(root, "Internal");
	if (value != NULL && !json_is_null(value) && !json_is_boolean(value)) {
		error_format(err, errlen, "network %s: \"Internal\" is not a boolean", net->name);
		goto out;
	}
	net->internal = value != NULL && json_is_true(value);

	net->subnet_count = 0;
	if (docker_json_parse_subnets(net, root, err, errlen) < 0)
		goto out;
	if (docker_json_parse_bridge(net, root, err, errlen) < 0)
		goto out;

	if (jsonfield_object(root, "Containers", false, &containers, net->name, err, errlen) < 0)
		goto out;
	if (containers != NULL) {
		/* Refuse before allocating anything for an oversized map. */
		if (json_object_size(containers) > INV_MAX_ENDPOINTS) {
			error_format(err, errlen, "network %s: %zu endpoints, at most %d",
				     net->name, json_object_size(containers), INV_MAX_ENDPOINTS);
			goto out;
		}
		json_object_foreach(containers, key, value)
		{
			if (docker_json_parse_endpoint(net, key, value, err, errlen) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* Frees an id array built by docker_json_container_ids. */
static void docker_json_free_ids(char **ids, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
}

/* GET /containers/json's array, of at most `max` containers; NULL with err set. */
static json_t *docker_json_load_list(const char *json, size_t len, size_t max, size_t *total,
				     char *err, size_t errlen)
{
	json_t *root = docker_json_load(json, len, "container list", err, errlen);

	if (root == NULL)
		return NULL;
	if (!json_is_array(root)) {
		error_format(err, errlen, "container list: not an array");
		json_decref(root);
		return NULL;
	}
	*total = json_array_size(root);
	if (*total > max) {
		error_format(err, errlen, "container list: %zu containers, at most %zu", *total,
			     max);
		json_decref(root);
		return NULL;
	}
	return root;
}

int docker_json_container_ids(const char *json, size_t len, char ***ids, size_t *count, char *err,
			      size_t errlen)
{
	json_t *root, *item;
	char **list = NULL;
	size_t index, n = 0, total;
	int ret = -1;

	*ids = NULL;
	*count = 0;
	root = docker_json_load_list(json, len, DOCKER_JSON_MAX_CONTAINERS, &total, err, errlen);
	if (root == NULL)
		return -1;
	list = calloc(total ? total : 1, sizeof(*list));
	if (list == NULL) {
		error_format(err, errlen, "container list: out of memory");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		const char *id;
		size_t id_len;
		char where[48];

		snprintf(where, sizeof(where), "container list item %zu", index);
		if (!json_is_object(item)) {
			error_format(err, errlen, "%s: not an object", where);
			goto out;
		}
		if (jsonfield_string(item, "Id", true, &id, &id_len, where, err, errlen) < 0)
			goto out;
		if (!ident_valid_container_id(id, id_len)) {
			error_format(err, errlen, "%s: invalid Id", where);
			goto out;
		}
		list[n] = strndup(id, id_len);
		if (list[n] == NULL) {
			error_format(err, errlen, "container list: out of memory");
			goto out;
		}
		n++;
	}
	*ids = list;
	*count = n;
	list = NULL;
	ret = 0;
out:
	if (list != NULL)
		docker_json_free_ids(list, n);
	json_decref(root);
	return ret;
}

/* We open this path and setns() into it: an absolute, plain path, no ".." component. */
static bool docker_json_plain_absolute_path(const char *path, size_t len)
{
	if (len == 0 || path[0] != '/' || text_has_control(path, len))
		return false;
	if (strstr(path, "/../") != NULL)
		return false;
	return !(len >= 3 && strcmp(path + len - 3, "/..") == 0);
}

int docker_json_sandbox_key(const char *json, size_t len, char *sandbox, size_t sandboxlen,
			    char *err, size_t errlen)
{
	json_t *root, *settings;
	const char *key;
	size_t key_len;
	int ret = -1;

	if (sandboxlen == 0) {
		error_format(err, errlen, "container: no room for SandboxKey");
		return -1;
	}
	sandbox[0] = '\0';
	root = docker_json_load(json, len, "container", err, errlen);
	if (root == NULL)
		return -1;
	if (!json_is_object(root)) {
		error_format(err, errlen, "container: not an object");
		goto out;
	}
	if (jsonfield_object(root, "NetworkSettings", false, &settings, "container", err, errlen) <
	    0)
		goto out;
	if (settings == NULL) {
		ret = 0;
		goto out;
	}
	if (jsonfield_string(settings, "SandboxKey", false, &key, &key_len,
			     "container: NetworkSettings", err, errlen) < 0)
		goto out;
	if (key == NULL || key_len == 0) {
		ret = 0;
		goto out;
	}
	if (!docker_json_plain_absolute_path(key, key_len)) {
		error_format(err, errlen, "container: SandboxKey is not an absolute path");
		goto out;
	}
	if (jsonfield_copy(sandbox, sandboxlen, key, key_len, "container", "SandboxKey", err,
			   errlen) < 0)
		goto out;
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/*
 * Actor.ID is only checked for the two types tjd acts on.  Others carry
 * ids of their own shapes ("sha256:..." for images, names for volumes);
 * for them the id is kept when it looks like an id and left empty otherwise.
 */
static int docker_json_event_id(struct docker_event *event, const char *id, size_t len, char *err,
				size_t errlen)
{
	bool container = strcmp(event->type, "container") == 0;
	bool network = strcmp(event->type, "network") == 0;
	bool valid = ident_valid_id(id, len);

	if (container && !ident_valid_container_id(id, len)) {
		error_format(err, errlen, "event: invalid container id");
		return -1;
	}
	if (network && !valid) {
		error_format(err, errlen, "event: invalid network id");
		return -1;
	}
	if (valid)
		memcpy(event->id, id, len + 1);
	return 0;
}

/*
 * Actor.Attributes.name, optional: the network's name on network events,
 * the container's on container events.  It only narrows which reconcile an
 * event asks for, so an odd one is dropped rather than refused.
 */
static void docker_json_event_name(json_t *actor, struct docker_event *event)
{
	json_t *attributes = json_object_get(actor, "Attributes");
	json_t *name = json_is_object(attributes) ? json_object_get(attributes, "name") : NULL;
	const char *text = json_is_string(name) ? json_string_value(name) : NULL;
	size_t text_len = text != NULL ? json_string_length(name) : 0;

	if (text != NULL && text_len < sizeof(event->name) && !text_has_control(text, text_len)) {
		memcpy(event->name, text, text_len);
		event->name[text_len] = '\0';
	}
	/* container events carry the container's labels among the attributes */
	if (json_is_object(attributes)) {
		const char *key;
		json_t *value;

		json_object_foreach(attributes, key, value)
		{
			if (strncmp(key, "dcfw.", 5) == 0 || strcmp(key, "tjd.enable") == 0)
				event->policy = true;
		}
	}
	/* network connect/disconnect: which container */
	name = json_is_object(attributes) ? json_object_get(attributes, "container") : NULL;
	text = json_is_string(name) ? json_string_value(name) : NULL;
	text_len = text != NULL ? json_string_length(name) : 0;
	if (text != NULL && text_len == 64 && strspn(text, "0123456789abcdef") == 64) {
		memcpy(event->container, text, text_len);
		event->container[text_len] = '\0';
	}
}

int docker_json_parse_event(const char *json, size_t len, struct docker_event *event, char *err,
			    size_t errlen)
{
	json_t *root, *actor;
	const char *text, *colon;
	size_t text_len;
	int ret = -1;

	memset(event, 0, sizeof(*event));
	if (len > DOCKER_MAX_EVENT_LINE) {
		error_format(err, errlen, "event: line too long (%zu bytes)", len);
		return -1;
	}
	root = docker_json_load(json, len, "event", err, errlen);
	if (root == NULL)
		return -1;
	if (!json_is_object(root)) {
		error_format(err, errlen, "event: not an object");
		goto out;
	}
	if (jsonfield_string(root, "Type", true, &text, &text_len, "event", err, errlen) < 0 ||
	    jsonfield_copy(event->type, sizeof(event->type), text, text_len, "event", "Type", err,
			   errlen) < 0)
		goto out;
	if (jsonfield_string(root, "Action", true, &text, &text_len, "event", err, errlen) < 0)
		goto out;
	/*
	 * exec_create/exec_start/health_status append ": <command or status>",
	 * which can be arbitrarily long: keep the verb only.
	 */
	colon = memchr(text, ':', text_len);
	if (colon != NULL)
		text_len = (size_t)(colon - text);
	if (jsonfield_copy(event->action, sizeof(event->action), text, text_len, "event", "Action",
			   err, errlen) < 0)
		goto out;
	if (jsonfield_object(root, "Actor", false, &actor, "event", err, errlen) < 0)
		goto out;
	if (actor != NULL) {
		if (jsonfield_string(actor, "ID", false, &text, &text_len, "event: Actor", err,
				     errlen) < 0)
			goto out;
		if (text != NULL && docker_json_event_id(event, text, text_len, err, errlen) < 0)
			goto out;
		docker_json_event_name(actor, event);
	}
	if (event->type[0] == '\0' || event->action[0] == '\0') {
		error_format(err, errlen, "event: empty Type or Action");
		goto out;
	}
	if (event->id[0] == '\0' &&
	    (strcmp(event->type, "container") == 0 || strcmp(event->type, "network") == 0)) {
		error_format(err, errlen, "event: %s event without Actor.ID", event->type);
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		memset(event, 0, sizeof(*event));
	json_decref(root);
	return ret;
}

/* Appends value to filters[key], creating the array. */
static int docker_json_filter_add(json_t *filters, const char *key, const char *value, char *err,
				  size_t errlen)
{
	json_t *values = json_object_get(filters, key);

	if (values == NULL) {
		values = json_array();
		if (values == NULL || json_object_set_new(filters, key, values) < 0) {
			error_format(err, errlen, "filters: out of memory");
			return -1;
		}
	}
	/* the values are UTF-8 (checked before): only memory can fail */
	if (json_array_append_new(values, json_string(value)) < 0) {
		error_format(err, errlen, "filters: out of memory");
		return -1;
	}
	return 0;
}

/* The expression through the common tokeniser (common/filter.h), then Docker's filters JSON. */
char *docker_filters_json(const char *expression, const char *network, char *err, size_t errlen)
{
	struct filter filter = {0};
	json_t *filters = NULL;
	char *result = NULL;
	bool has_network_term = false;

	/* NULL means "no allow terms" (e.g. list a network); an empty string is a config error. */
	if (expression != NULL && filter_parse(expression, &filter, err, errlen) < 0)
		return NULL;
	if (network != NULL && (network[0] == '\0' || strlen(network) > INV_NAME_MAX ||
				text_has_control(network, strlen(network)) ||
				!text_is_utf8(network, strlen(network)))) {
		error_format(err, errlen, "filters: invalid network name");
		goto out;
	}
	filters = json_object();
	if (filters == NULL) {
		error_format(err, errlen, "filters: out of memory");
		goto out;
	}
	/*
	 * Docker ANDs different keys but ORs the values of one key, so
	 * "name=a name=b" matches either container.
	 */
	for (size_t i = 0; i < filter.count; i++) {
		if (docker_json_filter_add(filters, filter.terms[i].key, filter.terms[i].value, err,
					   errlen) < 0)
			goto out;
		if (strcmp(filter.terms[i].key, "network") == 0)
			has_network_term = true;
	}
	/*
	 * The network argument narrows the query to the protected network.
	 * If the expression has its own network term, adding ours to the same
	 * key would OR it in and widen the match, so it is left out: the
	 * caller intersects the result with the network's endpoints anyway.
	 */
	if (network != NULL && !has_network_term &&
	    docker_json_filter_add(filters, "network", network, err, errlen) < 0)
		goto out;
	result = json_dumps(filters, JSON_COMPACT | JSON_SORT_KEYS);
	if (result == NULL)
		error_format(err, errlen, "filters: out of memory");
out:
	json_decref(filters);
	filter_free(&filter);
	return result;
}

/* The container parsers keep to their own bounds. */
_Static_assert(DOCKER_CONTAINERS_MAX <= DOCKER_JSON_MAX_CONTAINERS, "a list tjd reads in full");
_Static_assert(INV_NAME_MAX == IDENT_NAME_MAX, "inventory names are Docker names");
/* Names a container has: its own, plus one "/parent/alias" per legacy link to it. */
#define DOCKER_JSON_MAX_NAMES 4096

/*
 * The length of a member key of an object being iterated.  jansson's
 * parser refuses NUL in keys (and, without JSON_ALLOW_NUL, in values), but
 * the length comes from jansson where it can, so that a key holding one
 * would be refused, never cut.
 */
static size_t docker_json_key_length(const char *key)
{
#if JANSSON_VERSION_HEX >= 0x020e00
	return json_object_iter_key_len(json_object_key_to_iter(key));
#else
	return strlen(key);
#endif
}

/* Untrusted text made printable (and cut) for an error message. */
static const char *docker_json_shown(const char *text, size_t len, char *buf, size_t size)
{
	text_sanitize(buf, size, text, len, '?');
	return buf;
}

void docker_container_free(struct docker_container *container)
{
	if (container == NULL)
		return;
	free(container->labels);
	free(container->label_text);
	free(container->addresses);
	free(container->bindings);
	memset(container, 0, sizeof(*container));
}

/* Frees a list built by docker_json_container_list. */
static void docker_json_free_containers(struct docker_container *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		docker_container_free(&list[i]);
	free(list);
}

/* Id: exactly 64 lowercase hex digits, as Docker names containers. */
static int docker_json_container_id(json_t *item, struct docker_container *container,
				    const char *where, char *err, size_t errlen)
{
	const char *id;
	size_t len;

	if (jsonfield_string(item, "Id", true, &id, &len, where, err, errlen) < 0)
		return -1;
	if (len != INV_ID_MAX || !ident_valid_container_id(id, len)) {
		error_format(err, errlen, "%s: invalid Id", where);
		return -1;
	}
	memcpy(container->id, id, len + 1);
	return 0;
}

/* A Docker name, "/name", stored without its '/'. */
static int docker_json_container_name(const char *text, size_t len,
				      struct docker_container *container, const char *where,
				      char *err, size_t errlen)
{
	char shown[64];

	if (len > 0 && text[0] == '/') {
		text++;
		len--;
	}
	if (!ident_valid_container_name(text, len)) {
		error_format(err, errlen, "%s: invalid container name \"%s\"", where,
			     docker_json_shown(text, len, shown, sizeof(shown)));
		return -1;
	}
	memcpy(container->name, text, len);
	container->name[len] = '\0';
	return 0;
}

/*
 * Names, from a list: the first that is the container's own.  A legacy
 * link adds "/parent/alias", which may sort before it.
 */
static int docker_json_container_names(json_t *item, struct docker_container *container,
				       const char *where, char *err, size_t errlen)
{
	json_t *names, *name;
	size_t index;

	if (jsonfield_array(item, "Names", true, DOCKER_JSON_MAX_NAMES, &names, where, err,
			    errlen) < 0)
		return -1;
	json_array_foreach(names, index, name)
	{
		const char *text;
		size_t len;

		if (!json_is_string(name)) {
			error_format(err, errlen, "%s: Names[%zu] is not a string", where, index);
			return -1;
		}
		text = json_string_value(name);
		len = json_string_length(name);
		if (len > 0 && memchr(text + 1, '/', len - 1) != NULL)
			continue;
		return docker_json_container_name(text, len, container, where, err, errlen);
	}
	error_format(err, errlen, "%s: no container name in Names", where);
	return -1;
}

/* HostConfig.NetworkMode: any text Docker may store ("host", "container:<id>", a network). */
static int docker_json_network_mode(json_t *item, struct docker_container *container,
				    const char *where, char *err, size_t errlen)
{
	json_t *host_config;
	const char *mode;
	size_t len;

	if (jsonfield_object(item, "HostConfig", false, &host_config, where, err, errlen) < 0 ||
	    jsonfield_string(host_config, "NetworkMode", false, &mode, &len, where, err, errlen) <
		0)
		return -1;
	if (mode == NULL)
		return 0;
	if (!text_is_utf8(mode, len)) {
		error_format(err, errlen, "%s: NetworkMode is not UTF-8", where);
		return -1;
	}
	return jsonfield_copy(container->network_mode, sizeof(container->network_mode), mode, len,
			      where, "NetworkMode", err, errlen);
}

/*
 * Checks one label: a key of 1 to DOCKER_LABEL_KEY_MAX bytes of UTF-8
 * without control characters, a value of at most DOCKER_LABEL_VALUE_MAX
 * bytes of UTF-8 without NUL (a value may span lines; what a policy label
 * may hold is the rule grammar's to say).
 */
static int docker_json_check_label(const char *key, size_t key_len, json_t *value,
				   const char *where, char *err, size_t errlen)
{
	const char *text;
	size_t len;
	char shown[64];

	docker_json_shown(key, key_len, shown, sizeof(shown));
	if (key_len == 0 || key_len > DOCKER_LABEL_KEY_MAX || text_has_control(key, key_len) ||
	    !text_is_utf8(key, key_len)) {
		error_format(err, errlen, "%s: invalid label key \"%s\" (%zu bytes)", where, shown,
			     key_len);
		return -1;
	}
	if (!json_is_string(value)) {
		error_format(err, errlen, "%s: label \"%s\" is not a string", where, shown);
		return -1;
	}
	text = json_string_value(value);
	len = json_string_length(value);
	if (len > DOCKER_LABEL_VALUE_MAX) {
		error_format(err, errlen, "%s: label \"%s\" too long (%zu bytes, at most %d)",
			     where, shown, len, DOCKER_LABEL_VALUE_MAX);
		return -1;
	}
	if (memchr(text, '\0', len) != NULL || !text_is_utf8(text, len)) {
		error_format(err, errlen, "%s: label \"%s\": value holds NUL or is not UTF-8",
			     where, shown);
		return -1;
	}
	return 0;
}

/* A Labels object (NULL: none) into container->labels, all text in one allocation. */
static int docker_json_container_labels(json_t *labels, struct docker_container *container,
					const char *where, char *err, size_t errlen)
{
	const char *key;
	json_t *value;
	size_t total = 0, count, used = 0;

	if (labels == NULL || json_object_size(labels) == 0)
		return 0;
	count = json_object_size(labels);
	if (count > DOCKER_LABELS_MAX) {
		error_format(err, errlen, "%s: %zu labels, at most %d", where, count,
			     DOCKER_LABELS_MAX);
		return -1;
	}
	json_object_foreach(labels, key, value)
	{
		size_t key_len = docker_json_key_length(key);

		if (docker_json_check_label(key, key_len, value, where, err, errlen) < 0)
			return -1;
		total += key_len + 1 + json_string_length(value) + 1;
	}
	container->labels = calloc(count, sizeof(*container->labels));
	container->label_text = malloc(total);
	if (container->labels == NULL || container->label_text == NULL) {
		error_format(err, errlen, "%s: out of memory", where);
		return -1;
	}
	/* jansson iterates in insertion order, the same both times. */
	json_object_foreach(labels, key, value)
	{
		struct rulespec_label *label = &container->labels[container->label_count++];
		size_t key_len = docker_json_key_length(key);
		size_t value_len = json_string_length(value);
		char *text = container->label_text + used;

		memcpy(text, key, key_len);
		text[key_len] = '\0';
		memcpy(text + key_len + 1, json_string_value(value), value_len);
		text[key_len + 1 + value_len] = '\0';
		label->key = text;
		label->value = text + key_len + 1;
		used += key_len + 1 + value_len + 1;
	}
	return 0;
}

/* A bare address of the wanted family ("" for none) into a host prefix. */
static int docker_json_bare_address(json_t *endpoint, const char *member, int family,
				    struct prefix *out, const char *where, char *err, size_t errlen)
{
	const char *text;
	size_t len;
	char buf[PREFIX_TEXT_MAX], shown[PREFIX_TEXT_MAX];

	memset(out, 0, sizeof(*out));
	if (jsonfield_string(endpoint, member, false, &text, &len, where, err, errlen) < 0)
		return -1;
	if (text == NULL || len == 0)
		return 0;
	if (len < sizeof(buf) && !text_has_control(text, len)) {
		memcpy(buf, text, len);
		buf[len] = '\0';
		if (prefix_parse_address(buf, out) == 0 && out->family == family)
			return 0;
	}
	memset(out, 0, sizeof(*out));
	error_format(err, errlen, "%s: invalid %s \"%s\"", where, member,
		     docker_json_shown(text, len, shown, sizeof(shown)));
	return -1;
}

/* One member of NetworkSettings.Networks: the network's name and the endpoint in it. */
static int docker_json_container_address(const char *network, json_t *endpoint,
					 struct docker_container_address *address,
					 const char *where, char *err, size_t errlen)
{
	size_t network_len = docker_json_key_length(network);
	const char *text;
	size_t len;
	char at[INV_NAME_MAX + 64], shown[64];

	if (network_len == 0 || network_len > INV_NAME_MAX ||
	    text_has_control(network, network_len) || !text_is_utf8(network, network_len)) {
		error_format(err, errlen, "%s: invalid network name \"%s\"", where,
			     docker_json_shown(network, network_len, shown, sizeof(shown)));
		return -1;
	}
	memcpy(address->network, network, network_len + 1);
	snprintf(at, sizeof(at), "%s: network %.64s", where, address->network);
	if (!json_is_object(endpoint)) {
		error_format(err, errlen, "%s: not an object", at);
		return -1;
	}
	/* "" while the container is created but not started. */
	if (jsonfield_string(endpoint, "NetworkID", false, &text, &len, at, err, errlen) < 0)
		return -1;
	if (text != NULL && len > 0) {
		if (!ident_valid_id(text, len)) {
			error_format(err, errlen, "%s: invalid NetworkID", at);
			return -1;
		}
		memcpy(address->network_id, text, len + 1);
	}
	if (docker_json_bare_address(endpoint, "IPAddress", AF_INET, &address->ipv4, at, err,
				     errlen) < 0 ||
	    docker_json_bare_address(endpoint, "GlobalIPv6Address", AF_INET6, &address->ipv6, at,
				     err, errlen) < 0)
		return -1;
	if (jsonfield_string(endpoint, "MacAddress", false, &text, &len, at, err, errlen) < 0)
		return -1;
	return docker_json_mac(text, len, address->mac, sizeof(address->mac), at, err, errlen);
}

/* NetworkSettings.Networks (settings NULL, or no Networks: none). */
static int docker_json_container_networks(json_t *settings, struct docker_container *container,
					  const char *where, char *err, size_t errlen)
{
	json_t *networks, *endpoint;
	const char *network;
	size_t count;

	if (jsonfield_object(settings, "Networks", false, &networks, where, err, errlen) < 0)
		return -1;
	count = networks != NULL ? json_object_size(networks) : 0;
	if (count == 0)
		return 0;
	if (count > DOCKER_CONTAINER_NETWORKS_MAX) {
		error_format(err, errlen, "%s: %zu networks, at most %d", where, count,
			     DOCKER_CONTAINER_NETWORKS_MAX);
		return -1;
	}
	container->addresses = calloc(count, sizeof(*container->addresses));
	if (container->addresses == NULL) {
		error_format(err, errlen, "%s: out of memory", where);
		return -1;
	}
	json_object_foreach(networks, network, endpoint)
	{
		if (docker_json_container_address(network, endpoint,
						  &container->addresses[container->address_count],
						  where, err, errlen) < 0)
			return -1;
		container->address_count++;
	}
	return 0;
}

/* A list item's State: a short lower-case word when present. */
static int docker_json_list_state(json_t *item, struct docker_container *container,
				  const char *where, char *err, size_t errlen)
{
	const char *state;
	size_t len;

	if (jsonfield_string(item, "State", false, &state, &len, where, err, errlen) < 0)
		return -1;
	if (state == NULL)
		return 0;
	if (len == 0 || len >= sizeof(container->state) ||
	    strspn(state, "abcdefghijklmnopqrstuvwxyz") != len) {
		error_format(err, errlen, "%s: State is not a state", where);
		return -1;
	}
	memcpy(container->state, state, len);
	container->state[len] = '\0';
	container->running = strcmp(container->state, "running") == 0;
	return 0;
}

/* A port number member of a Ports entry: 1-65535, or 0 when absent and not required. */
static int docker_json_port_number(json_t *entry, const char *key, bool required, uint16_t *out,
				   const char *where, char *err, size_t errlen)
{
	json_t *value = json_object_get(entry, key);
	json_int_t number;

	*out = 0;
	if (value == NULL || json_is_null(value)) {
		if (!required)
			return 0;
		error_format(err, errlen, "%s: \"%s\" missing", where, key);
		return -1;
	}
	if (!json_is_integer(value)) {
		error_format(err, errlen, "%s: \"%s\" is not an integer", where, key);
		return -1;
	}
	number = json_integer_value(value);
	if (number < 1 || number > 65535) {
		error_format(err, errlen, "%s: %s %lld out of range 1-65535", where, key,
			     (long long)number);
		return -1;
	}
	*out = (uint16_t)number;
	return 0;
}

/* One Ports entry: *out filled, or protocol 0 when it is not published (no PublicPort). */
static int docker_json_port(json_t *entry, struct inv_binding *out, const char *where, char *err,
			    size_t errlen)
{
	char type[8], ip[INET6_ADDRSTRLEN + 1];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(entry)) {
		error_format(err, errlen, "%s: not an object", where);
		return -1;
	}
	if (jsonfield_text(entry, "Type", type, sizeof(type), where, err, errlen) < 0 ||
	    jsonfield_text(entry, "IP", ip, sizeof(ip), where, err, errlen) < 0 ||
	    docker_json_port_number(entry, "PrivatePort", true, &out->container_port, where, err,
				    errlen) < 0 ||
	    docker_json_port_number(entry, "PublicPort", false, &out->host_port, where, err,
				    errlen) < 0)
		return -1;
	if (strcmp(type, "tcp") == 0)
		out->protocol = IPPROTO_TCP;
	else if (strcmp(type, "udp") == 0)
		out->protocol = IPPROTO_UDP;
	else if (strcmp(type, "sctp") == 0)
		out->protocol = IPPROTO_SCTP;
	else {
		error_format(err, errlen, "%s: Type is not tcp, udp or sctp", where);
		return -1;
	}
	if (ip[0] != '\0' && prefix_parse_address(ip, &out->host_ip) < 0) {
		error_format(err, errlen, "%s: IP is not an address", where);
		return -1;
	}
	if (out->host_port == 0)
		out->protocol = 0;
	return 0;
}

/* A list item's Ports: the published ones into container->bindings. */
static int docker_json_container_ports(json_t *item, struct docker_container *container,
				       const char *where, char *err, size_t errlen)
{
	json_t *ports, *entry;
	size_t index;

	if (jsonfield_array(item, "Ports", false, DOCKER_PORTS_MAX, &ports, where, err, errlen) <
	    0)
		return -1;
	if (ports == NULL || json_array_size(ports) == 0)
		return 0;
	container->bindings = calloc(json_array_size(ports), sizeof(*container->bindings));
	if (container->bindings == NULL) {
		error_format(err, errlen, "%s: out of memory", where);
		return -1;
	}
	json_array_foreach(ports, index, entry)
	{
		struct inv_binding binding;
		char at[96];
		bool seen = false;

		snprintf(at, sizeof(at), "%s: Ports item %zu", where, index);
		if (docker_json_port(entry, &binding, at, err, errlen) < 0)
			return -1;
		if (binding.protocol == 0)
			continue;
		for (size_t i = 0; i < container->binding_count && !seen; i++) {
			const struct inv_binding *b = &container->bindings[i];
			seen = b->protocol == binding.protocol && b->host_port == binding.host_port &&
			       b->container_port == binding.container_port &&
			       prefix_equal(&b->host_ip, &binding.host_ip);
		}
		if (!seen)
			container->bindings[container->binding_count++] = binding;
	}
	return 0;
}

/* One item of GET /containers/json. */
static int docker_json_list_item(json_t *item, struct docker_container *container,
				 const char *where, char *err, size_t errlen)
{
	json_t *labels, *settings;

	if (!json_is_object(item)) {
		error_format(err, errlen, "%s: not an object", where);
		return -1;
	}
	if (docker_json_container_id(item, container, where, err, errlen) < 0 ||
	    docker_json_list_state(item, container, where, err, errlen) < 0 ||
	    docker_json_container_names(item, container, where, err, errlen) < 0 ||
	    docker_json_network_mode(item, container, where, err, errlen) < 0 ||
	    jsonfield_object(item, "Labels", false, &labels, where, err, errlen) < 0 ||
	    docker_json_container_labels(labels, container, where, err, errlen) < 0 ||
	    jsonfield_object(item, "NetworkSettings", false, &settings, where, err, errlen) < 0 ||
	    docker_json_container_networks(settings, container, where, err, errlen) < 0 ||
	    docker_json_container_ports(item, container, where, err, errlen) < 0)
		return -1;
	return 0;
}

int docker_json_container_list(const char *json, size_t len, struct docker_container **out,
			       size_t *count, char *err, size_t errlen)
{
	struct docker_container *list = NULL;
	json_t *root, *item;
	size_t index, total = 0;
	int ret = -1;

	*out = NULL;
	*count = 0;
	root = docker_json_load_list(json, len, DOCKER_CONTAINERS_MAX, &total, err, errlen);
	if (root == NULL)
		return -1;
	list = calloc(total ? total : 1, sizeof(*list));
	if (list == NULL) {
		error_format(err, errlen, "container list: out of memory");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		char where[48];

		snprintf(where, sizeof(where), "container list item %zu", index);
		if (docker_json_list_item(item, &list[index], where, err, errlen) < 0)
			goto out;
	}
	*out = list;
	*count = total;
	list = NULL;
	ret = 0;
out:
	/* Items not reached are still zeroed: freeing them all is fine. */
	if (list != NULL)
		docker_json_free_containers(list, total);
	json_decref(root);
	return ret;
}

/* State.Pid and State.Running, both required. */
static int docker_json_container_state(json_t *root, struct docker_container *container, char *err,
				       size_t errlen)
{
	json_t *state, *value;
	json_int_t pid;

	if (jsonfield_object(root, "State", true, &state, "container", err, errlen) < 0)
		return -1;
	value = json_object_get(state, "Pid");
	if (!json_is_integer(value)) {
		error_format(err, errlen, "container: State: \"Pid\" missing or not an integer");
		return -1;
	}
	pid = json_integer_value(value);
	if (pid < 0 || pid > INT32_MAX) {
		error_format(err, errlen, "container: State: Pid %lld out of range",
			     (long long)pid);
		return -1;
	}
	container->pid = (long)pid;
	value = json_object_get(state, "Running");
	if (!json_is_boolean(value)) {
		error_format(err, errlen, "container: State: \"Running\" missing or not a boolean");
		return -1;
	}
	container->running = json_is_true(value);
	return 0;
}

/* NetworkSettings.SandboxKey: "" (not started, or sharing another's) or a plain absolute path. */
static int docker_json_container_sandbox(json_t *settings, struct docker_container *container,
					 char *err, size_t errlen)
{
	const char *key;
	size_t len;

	if (jsonfield_string(settings, "SandboxKey", false, &key, &len,
			     "container: NetworkSettings", err, errlen) < 0)
		return -1;
	if (key == NULL || len == 0)
		return 0;
	if (len > DOCKER_SANDBOX_KEY_MAX) {
		error_format(err, errlen, "container: SandboxKey too long (%zu bytes)", len);
		return -1;
	}
	if (!docker_json_plain_absolute_path(key, len)) {
		error_format(err, errlen, "container: SandboxKey is not a plain absolute path");
		return -1;
	}
	memcpy(container->sandbox_key, key, len + 1);
	return 0;
}

int docker_json_container_inspect(const char *json, size_t len, struct docker_container *out,
				  char *err, size_t errlen)
{
	json_t *root, *config, *labels, *settings;
	const char *name;
	size_t name_len;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	root = docker_json_load(json, len, "container", err, errlen);
	if (root == NULL)
		return -1;
	if (!json_is_object(root)) {
		error_format(err, errlen, "container: not an object");
		goto out;
	}
	if (docker_json_container_id(root, out, "container", err, errlen) < 0 ||
	    jsonfield_string(root, "Name", true, &name, &name_len, "container", err, errlen) < 0 ||
	    docker_json_container_name(name, name_len, out, "container", err, errlen) < 0 ||
	    docker_json_container_state(root, out, err, errlen) < 0 ||
	    docker_json_network_mode(root, out, "container", err, errlen) < 0 ||
	    jsonfield_object(root, "Config", false, &config, "container", err, errlen) < 0 ||
	    jsonfield_object(config, "Labels", false, &labels, "container: Config", err, errlen) <
		0 ||
	    docker_json_container_labels(labels, out, "container", err, errlen) < 0 ||
	    jsonfield_object(root, "NetworkSettings", false, &settings, "container", err, errlen) <
		0 ||
	    docker_json_container_sandbox(settings, out, err, errlen) < 0 ||
	    docker_json_container_networks(settings, out, "container", err, errlen) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		docker_container_free(out);
	json_decref(root);
	return ret;
}
