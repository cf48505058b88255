/* The agent <-> coordinator messages, encoded and decoded with suspicion; see wire.h. */
#include "config.h"

#include "swarm/wire.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"
#include "common/ident.h"
#include "common/jsonfield.h"

/* The largest peers message within the limits fits in a peers line (names: escapes, 6x). */
_Static_assert((unsigned long long)
			   SWARM_MAX_NETWORKS *(2ull * SWARM_MAX_PEERS * (SWARM_ADDRESS_MAX + 3) +
						6ull * SWARM_NAME_MAX + 2 * SWARM_ID_MAX + 256) +
		       1024 <
		   SWARM_PEERS_LINE_MAX,
	       "a peer set within tjd's limits fits in one peers message");

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
static json_t *swarm_wire_load(const char *line, const char *type, size_t limit, char *err,
			       size_t errlen)
{
	json_t *root = jsonfield_load(line, strlen(line), limit, "message", err, errlen);
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
	json_t *root = swarm_wire_load(line, "report", SWARM_LINE_MAX, err, errlen), *networks,
	       *item;
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
	json_t *root = swarm_wire_load(line, "peers", SWARM_PEERS_LINE_MAX, err, errlen), *networks,
	       *item, *generation;
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

/* Checks a plan against the limits tjd holds. */
int swarm_wire_peers_fit(const struct swarm_node_plan *plan, char *err, size_t errlen)
{
	if (plan->network_count > SWARM_MAX_NETWORKS) {
		snprintf(err, errlen, "%zu networks, more than tjd holds (%d)", plan->network_count,
			 SWARM_MAX_NETWORKS);
		return -1;
	}
	for (size_t n = 0; n < plan->network_count; n++) {
		const struct swarm_peer_network *net = &plan->networks[n];
		if (net->lb_count > SWARM_MAX_PEERS || net->allowed_count > SWARM_MAX_PEERS) {
			snprintf(err, errlen,
				 "network %s: %zu load-balancer and %zu allowed addresses, more "
				 "than tjd holds per list (%d)",
				 net->network_name, net->lb_count, net->allowed_count,
				 SWARM_MAX_PEERS);
			return -1;
		}
	}
	return 0;
}

/* Bytes of a protobuf varint. */
static size_t swarm_wire_varint(unsigned long long value)
{
	size_t bytes = 1;

	while (value >= 0x80) {
		value >>= 7;
		bytes++;
	}
	return bytes;
}

/* Bytes of a length-delimited field (one-byte tag) holding `length` bytes. */
static size_t swarm_wire_field(size_t length)
{
	return 1 + swarm_wire_varint(length) + length;
}

/* Bytes of a proto3 string field: nothing when empty. */
static size_t swarm_wire_string_field(const char *text)
{
	size_t length = text != NULL ? strlen(text) : 0;

	return length == 0 ? 0 : swarm_wire_field(length);
}

/* Bytes of the Request around a SetPeersRequest of `size` bytes. */
static size_t swarm_wire_frame(size_t size)
{
	return 1 + swarm_wire_varint(TJD_PROTOCOL_VERSION) + swarm_wire_field(size);
}

/* The packed size of a Request carrying one set-peers request, as tjd receives it. */
static size_t swarm_wire_packed(const Tjd__V1__SetPeersRequest *push)
{
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;

	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = TJD__V1__REQUEST__COMMAND_SET_PEERS;
	request.set_peers = (Tjd__V1__SetPeersRequest *)push;
	return tjd__v1__request__get_packed_size(&request);
}

/* Parts being built: each a range of fragments, each fragment a network's slice. */
struct swarm_wire_split {
	Tjd__V1__NetworkPeers **fragments;
	size_t fragment_count;
	size_t *part_first; /* first fragment of each part */
	size_t part_count;
};

/* Opens a fragment of network np (its lists empty so far); false on OOM. */
static bool swarm_wire_fragment(struct swarm_wire_split *split, const Tjd__V1__NetworkPeers *np,
				size_t lb_first, size_t allowed_first)
{
	Tjd__V1__NetworkPeers **grown =
	    realloc(split->fragments, (split->fragment_count + 1) * sizeof(*grown));
	Tjd__V1__NetworkPeers *fragment = malloc(sizeof(*fragment));

	if (grown != NULL)
		split->fragments = grown;
	if (grown == NULL || fragment == NULL) {
		free(fragment);
		return false;
	}
	tjd__v1__network_peers__init(fragment);
	fragment->network_id = np->network_id;
	fragment->network_name = np->network_name;
	fragment->lb_ips = np->lb_ips != NULL ? np->lb_ips + lb_first : NULL;
	fragment->allowed_ips = np->allowed_ips != NULL ? np->allowed_ips + allowed_first : NULL;
	split->fragments[split->fragment_count++] = fragment;
	return true;
}

/* Starts a new part at the next fragment; false on OOM or past SWARM_MAX_PARTS. */
static bool swarm_wire_part(struct swarm_wire_split *split)
{
	size_t *grown;

	if (split->part_count >= SWARM_MAX_PARTS)
		return false;
	grown = realloc(split->part_first, (split->part_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return false;
	split->part_first = grown;
	split->part_first[split->part_count++] = split->fragment_count;
	return true;
}

/*
 * Fills parts in order.  A part's size is kept exactly (protobuf's rules,
 * with room for its part and part_count fields) and checked before every
 * address is added: the current fragment's bytes, the fragments closed
 * before it in this part, and the fixed fields.
 */
static bool swarm_wire_fill(const Tjd__V1__SetPeersRequest *request, size_t frame_max,
			    struct swarm_wire_split *split)
{
	/* coordinator, generation, and part/part_count at their widest (< 2^14) */
	size_t fixed = swarm_wire_string_field(request->coordinator) +
		       (request->generation ? 1 + swarm_wire_varint(request->generation) : 0) +
		       2 * (1 + swarm_wire_varint(SWARM_MAX_PARTS));
	size_t closed = 0; /* bytes of the fragments closed in the current part */

	if (!swarm_wire_part(split))
		return false;
	for (size_t n = 0; n < request->n_networks; n++) {
		const Tjd__V1__NetworkPeers *np = request->networks[n];
		size_t header = swarm_wire_string_field(np->network_id) +
				swarm_wire_string_field(np->network_name);
		size_t total = np->n_lb_ips + np->n_allowed_ips;
		size_t current = header; /* bytes of the open fragment */

		for (size_t i = 0; i <= total; i++) {
			const char *address = i < np->n_lb_ips ? np->lb_ips[i]
					      : i < total      ? np->allowed_ips[i - np->n_lb_ips]
							       : NULL;
			size_t add = address != NULL ? swarm_wire_field(strlen(address)) : 0;

			if (i == total && i > 0)
				break; /* the last address is in */
			if (i == 0 ||
			    swarm_wire_frame(fixed + closed + swarm_wire_field(current + add)) >
				frame_max) {
				/* A fragment opens here: in this part if it fits, else in a new
				 * one. */
				if (i > 0 ||
				    swarm_wire_frame(fixed + closed +
						     swarm_wire_field(header + add)) > frame_max) {
					if (!swarm_wire_part(split))
						return false;
					closed = 0;
				}
				if (swarm_wire_frame(fixed + closed +
						     swarm_wire_field(header + add)) > frame_max)
					return false; /* not even alone in a part */
				current = header;
				if (!swarm_wire_fragment(split, np,
							 i < np->n_lb_ips ? i : np->n_lb_ips,
							 i < np->n_lb_ips ? 0 : i - np->n_lb_ips))
					return false;
			}
			if (address == NULL)
				break; /* a network without addresses */
			current += add;
			if (i < np->n_lb_ips)
				split->fragments[split->fragment_count - 1]->n_lb_ips++;
			else
				split->fragments[split->fragment_count - 1]->n_allowed_ips++;
		}
		closed += swarm_wire_field(current);
	}
	return true;
}

/* Releases parts from swarm_wire_peers_split (their fragments, not the strings). */
void swarm_wire_parts_free(Tjd__V1__SetPeersRequest *parts, size_t count)
{
	for (size_t p = 0; parts != NULL && p < count; p++) {
		for (size_t n = 0; n < parts[p].n_networks; n++)
			free(parts[p].networks[n]);
		free(parts[p].networks);
	}
	free(parts);
}

/* Splits a peer set into requests that each fit in a frame; see wire.h. */
size_t swarm_wire_peers_split(const Tjd__V1__SetPeersRequest *request, size_t frame_max,
			      Tjd__V1__SetPeersRequest **parts, char *err, size_t errlen)
{
	struct swarm_wire_split split = {0};
	Tjd__V1__SetPeersRequest whole = *request;
	size_t count = 0;

	*parts = NULL;
	whole.part = 0;
	whole.part_count = 0;
	if (swarm_wire_packed(&whole) <= frame_max) {
		/* One request, as before parts existed: one fragment per network. */
		if (!swarm_wire_part(&split))
			goto oom;
		for (size_t n = 0; n < request->n_networks; n++) {
			if (!swarm_wire_fragment(&split, request->networks[n], 0, 0))
				goto oom;
			split.fragments[n]->n_lb_ips = request->networks[n]->n_lb_ips;
			split.fragments[n]->n_allowed_ips = request->networks[n]->n_allowed_ips;
		}
	} else if (!swarm_wire_fill(request, frame_max, &split)) {
		snprintf(err, errlen,
			 "the peer set (%zu bytes) does not split into %d frames of %zu bytes",
			 swarm_wire_packed(&whole), SWARM_MAX_PARTS, frame_max);
		goto fail;
	}
	*parts = calloc(split.part_count, sizeof(**parts));
	if (*parts == NULL)
		goto oom;
	for (count = 0; count < split.part_count; count++) {
		Tjd__V1__SetPeersRequest *part = &(*parts)[count];
		size_t first = split.part_first[count];
		size_t end = count + 1 < split.part_count ? split.part_first[count + 1]
							  : split.fragment_count;

		tjd__v1__set_peers_request__init(part);
		part->coordinator = request->coordinator;
		part->generation = request->generation;
		if (split.part_count > 1) {
			part->part = (uint32_t)count;
			part->part_count = (uint32_t)split.part_count;
		}
		part->networks = calloc(end - first + 1, sizeof(*part->networks));
		if (part->networks == NULL)
			goto oom;
		for (size_t f = first; f < end; f++) {
			part->networks[part->n_networks++] = split.fragments[f];
			split.fragments[f] = NULL;
		}
	}
	/* Measured, not only estimated: a part too large is never handed out. */
	for (size_t p = 0; p < count; p++) {
		size_t packed = swarm_wire_packed(&(*parts)[p]);
		if (packed > frame_max) {
			snprintf(err, errlen, "part %zu of %zu packs into %zu bytes, more than %zu",
				 p, count, packed, frame_max);
			goto fail;
		}
	}
	for (size_t f = 0; f < split.fragment_count; f++)
		free(split.fragments[f]);
	free(split.fragments);
	free(split.part_first);
	return count;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	for (size_t f = 0; f < split.fragment_count; f++)
		free(split.fragments[f]);
	free(split.fragments);
	free(split.part_first);
	swarm_wire_parts_free(*parts, count);
	*parts = NULL;
	return 0;
}
