/* The agent <-> coordinator messages, encoded and decoded with suspicion; see wire.h. */
#include "config.h"

#include "swarm/wire.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ident.h"
#include "common/jsonfield.h"

/* Appends an array of address strings; false on OOM. */
static bool swarm_wire_addresses(json_t *object, const char *key, char (*items)[SWARM_ADDRESS_MAX],
				 size_t count)
{
	json_t *array = json_array();

	if (array == NULL || json_object_set_new(object, key, array) < 0)
		return false;
	for (size_t i = 0; i < count; i++)
		if (json_array_append_new(array, json_string(items[i])) < 0)
			return false;
	return true;
}

/* Encodes an agent's report as one line of JSON. */
char *swarm_wire_report_encode(const struct swarm_wire_report *report)
{
	json_t *root = json_object(), *networks = json_array();
	char *text = NULL;
	bool ok = root != NULL && networks != NULL;

	ok = ok && json_object_set_new(root, "type", json_string("report")) == 0;
	ok = ok && json_object_set_new(root, "tjd_ready", json_boolean(report->tjd_ready)) == 0;
	ok = ok && json_object_set_new(root, "tjd_error", json_string(report->tjd_error)) == 0;
	for (size_t n = 0; ok && n < report->network_count; n++) {
		const struct swarm_wire_network *net = &report->networks[n];
		json_t *item = json_object();
		char lb[2][SWARM_ADDRESS_MAX];

		memcpy(lb, net->lb_ips, sizeof(lb));
		ok = item != NULL && json_array_append_new(networks, item) == 0;
		ok = ok && json_object_set_new(item, "id", json_string(net->id)) == 0;
		ok = ok && json_object_set_new(item, "name", json_string(net->name)) == 0;
		ok = ok && swarm_wire_addresses(item, "lb_ips", lb, net->lb_count);
		ok = ok && json_object_set_new(item, "peer_count",
					       json_integer((json_int_t)net->peer_count)) == 0;
		ok = ok && json_object_set_new(item, "peers_updated_unix",
					       json_integer(net->peers_updated_unix)) == 0;
		ok = ok && json_object_set_new(item, "enforced", json_boolean(net->enforced)) == 0;
		ok = ok &&
		     json_object_set_new(item, "rule_count", json_integer(net->rule_count)) == 0;
	}
	ok = ok && json_object_set(root, "networks", networks) == 0;
	if (ok)
		text = json_dumps(root, JSON_COMPACT);
	json_decref(networks);
	json_decref(root);
	return text;
}

/* Parses one message (at most a line's worth) and checks its type. */
static json_t *swarm_wire_load(const char *line, const char *type, char *err, size_t errlen)
{
	json_t *root = jsonfield_load(line, strlen(line), SWARM_LINE_MAX, "message", err, errlen);
	const char *text;
	size_t length;

	if (root == NULL)
		return NULL;
	if (!json_is_object(root) ||
	    jsonfield_string(root, "type", true, &text, &length, "message", err, errlen) < 0 ||
	    strcmp(text, type) != 0) {
		snprintf(err, errlen, "not a %s message", type);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* A bounded, control-free string member copied into out; "" when absent and not required. */
static int swarm_wire_string(json_t *object, const char *key, char *out, size_t outlen,
			     bool required, char *err, size_t errlen)
{
	const char *text;
	size_t length;

	out[0] = '\0';
	if (jsonfield_string(object, key, required, &text, &length, "message", err, errlen) < 0)
		return -1;
	return text == NULL
		   ? 0
		   : jsonfield_copy(out, outlen, text, length, "message", key, err, errlen);
}

/* A member that must be a valid id (common/ident.h). */
static int swarm_wire_id(json_t *object, const char *key, char *out, size_t outlen, char *err,
			 size_t errlen)
{
	if (swarm_wire_string(object, key, out, outlen, true, err, errlen) < 0)
		return -1;
	if (!ident_valid_id(out, strlen(out))) {
		snprintf(err, errlen, "message: invalid %s", key);
		return -1;
	}
	return 0;
}

/* Decodes and checks an agent's report. */
int swarm_wire_report_decode(const char *line, struct swarm_wire_report *report, char *err,
			     size_t errlen)
{
	json_t *root = swarm_wire_load(line, "report", err, errlen), *networks, *item;
	size_t index;
	int ret = -1;

	memset(report, 0, sizeof(*report));
	if (root == NULL)
		return -1;
	report->tjd_ready = json_is_true(json_object_get(root, "tjd_ready"));
	if (swarm_wire_string(root, "tjd_error", report->tjd_error, sizeof(report->tjd_error),
			      false, err, errlen) < 0)
		goto out;
	networks = json_object_get(root, "networks");
	if (!json_is_array(networks) || json_array_size(networks) > SWARM_MAX_NETWORKS) {
		snprintf(err, errlen, "\"networks\" missing or too many");
		goto out;
	}
	json_array_foreach(networks, index, item)
	{
		struct swarm_wire_network *net = &report->networks[report->network_count];
		json_t *lbs = json_object_get(item, "lb_ips"), *value;
		size_t i;

		if (!json_is_object(item) ||
		    swarm_wire_id(item, "id", net->id, sizeof(net->id), err, errlen) < 0 ||
		    swarm_wire_string(item, "name", net->name, sizeof(net->name), true, err,
				      errlen) < 0)
			goto out;
		if (!json_is_array(lbs) || json_array_size(lbs) > 2) {
			snprintf(err, errlen, "network %s: \"lb_ips\" missing or more than 2",
				 net->id);
			goto out;
		}
		json_array_foreach(lbs, i, value)
		{
			if (!json_is_string(value) ||
			    swarm_canonical_address(json_string_value(value), net->lb_ips[i],
						    SWARM_ADDRESS_MAX) < 0) {
				snprintf(err, errlen, "network %s: invalid lb address", net->id);
				goto out;
			}
			net->lb_count++;
		}
		value = json_object_get(item, "peer_count");
		net->peer_count = json_is_integer(value) && json_integer_value(value) >= 0
				      ? (size_t)json_integer_value(value)
				      : 0;
		value = json_object_get(item, "peers_updated_unix");
		net->peers_updated_unix = json_is_integer(value) ? json_integer_value(value) : 0;
		net->enforced = json_is_true(json_object_get(item, "enforced"));
		value = json_object_get(item, "rule_count");
		net->rule_count = json_is_integer(value) && json_integer_value(value) >= 0 &&
					  json_integer_value(value) < 1000000
				      ? (unsigned)json_integer_value(value)
				      : 0;
		report->network_count++;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* Encodes one node's peer set as one line of JSON. */
char *swarm_wire_peers_encode(const struct swarm_node_plan *plan, unsigned long long generation,
			      const char *coordinator)
{
	json_t *root = json_object(), *networks = json_array();
	char *text = NULL;
	bool ok = root != NULL && networks != NULL;

	ok = ok && json_object_set_new(root, "type", json_string("peers")) == 0;
	ok = ok &&
	     json_object_set_new(root, "generation", json_integer((json_int_t)generation)) == 0;
	ok = ok && json_object_set_new(root, "coordinator", json_string(coordinator)) == 0;
	for (size_t n = 0; ok && plan != NULL && n < plan->network_count; n++) {
		const struct swarm_peer_network *net = &plan->networks[n];
		json_t *item = json_object();

		ok = item != NULL && json_array_append_new(networks, item) == 0;
		ok = ok && json_object_set_new(item, "id", json_string(net->network_id)) == 0;
		ok = ok && json_object_set_new(item, "name", json_string(net->network_name)) == 0;
		ok = ok && swarm_wire_addresses(item, "lb_ips", net->lb_ips, net->lb_count);
		ok = ok && swarm_wire_addresses(item, "allowed_ips", net->allowed_ips,
						net->allowed_count);
	}
	ok = ok && json_object_set(root, "networks", networks) == 0;
	if (ok)
		text = json_dumps(root, JSON_COMPACT);
	json_decref(networks);
	json_decref(root);
	return text;
}

/* Decodes an address array into malloc'd canonical strings. */
static int swarm_wire_peer_list(json_t *array, char ***out, size_t *count, char *err, size_t errlen)
{
	json_t *value;
	size_t i;

	*out = NULL;
	*count = 0;
	if (!json_is_array(array) || json_array_size(array) > SWARM_MAX_PEERS) {
		snprintf(err, errlen, "address list missing or longer than %d", SWARM_MAX_PEERS);
		return -1;
	}
	*out = calloc(json_array_size(array) + 1, sizeof(char *));
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(array, i, value)
	{
		char canonical[SWARM_ADDRESS_MAX];
		if (!json_is_string(value) ||
		    swarm_canonical_address(json_string_value(value), canonical,
					    sizeof(canonical)) < 0) {
			snprintf(err, errlen, "invalid address in a peer list");
			return -1;
		}
		(*out)[*count] = strdup(canonical);
		if ((*out)[*count] == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		(*count)++;
	}
	return 0;
}

/* Decodes and checks a peer set into the request tjd takes. */
int swarm_wire_peers_decode(const char *line, Tjd__V1__SetPeersRequest *request, char *err,
			    size_t errlen)
{
	json_t *root = swarm_wire_load(line, "peers", err, errlen), *networks, *item, *generation;
	char coordinator[SWARM_ID_MAX + 1];
	size_t index;
	int ret = -1;

	tjd__v1__set_peers_request__init(request);
	if (root == NULL)
		return -1;
	generation = json_object_get(root, "generation");
	networks = json_object_get(root, "networks");
	if (!json_is_integer(generation) || json_integer_value(generation) < 0 ||
	    swarm_wire_id(root, "coordinator", coordinator, sizeof(coordinator), err, errlen) < 0 ||
	    !json_is_array(networks) || json_array_size(networks) > SWARM_MAX_NETWORKS) {
		snprintf(err, errlen, "malformed peers message");
		goto out;
	}
	request->generation = (uint64_t)json_integer_value(generation);
	request->coordinator = malloc(64 + SWARM_ID_MAX);
	request->networks = calloc(json_array_size(networks) + 1, sizeof(*request->networks));
	if (request->coordinator == NULL || request->networks == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(request->coordinator, 64 + SWARM_ID_MAX, "swarm coordinator on %s", coordinator);
	json_array_foreach(networks, index, item)
	{
		Tjd__V1__NetworkPeers *peers = calloc(1, sizeof(*peers));
		char id[SWARM_ID_MAX + 1], name[SWARM_NAME_MAX + 1];

		if (peers == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		tjd__v1__network_peers__init(peers);
		request->networks[request->n_networks++] = peers;
		if (!json_is_object(item) ||
		    swarm_wire_id(item, "id", id, sizeof(id), err, errlen) < 0 ||
		    swarm_wire_string(item, "name", name, sizeof(name), true, err, errlen) < 0) {
			snprintf(err, errlen, "malformed network in a peers message");
			goto out;
		}
		peers->network_id = strdup(id);
		peers->network_name = strdup(name);
		if (peers->network_id == NULL || peers->network_name == NULL ||
		    swarm_wire_peer_list(json_object_get(item, "lb_ips"), &peers->lb_ips,
					 &peers->n_lb_ips, err, errlen) < 0 ||
		    swarm_wire_peer_list(json_object_get(item, "allowed_ips"), &peers->allowed_ips,
					 &peers->n_allowed_ips, err, errlen) < 0)
			goto out;
	}
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		swarm_wire_peers_free(request);
	return ret;
}

/* Releases what swarm_wire_peers_decode() allocated. */
void swarm_wire_peers_free(Tjd__V1__SetPeersRequest *request)
{
	for (size_t n = 0; request->networks != NULL && n < request->n_networks; n++) {
		Tjd__V1__NetworkPeers *peers = request->networks[n];
		if (peers == NULL)
			continue;
		if (peers->network_id != protobuf_c_empty_string)
			free(peers->network_id);
		if (peers->network_name != protobuf_c_empty_string)
			free(peers->network_name);
		for (size_t i = 0; peers->lb_ips != NULL && i < peers->n_lb_ips; i++)
			free(peers->lb_ips[i]);
		for (size_t i = 0; peers->allowed_ips != NULL && i < peers->n_allowed_ips; i++)
			free(peers->allowed_ips[i]);
		free(peers->lb_ips);
		free(peers->allowed_ips);
		free(peers);
	}
	free(request->networks);
	if (request->coordinator != protobuf_c_empty_string)
		free(request->coordinator);
	tjd__v1__set_peers_request__init(request);
}
