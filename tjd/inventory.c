/* The inventory; see inventory.h. */
#include "config.h"

#include "tjd/inventory.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void inventory_init(struct inventory *inv)
{
	memset(inv, 0, sizeof(*inv));
}

void inv_container_free(struct inv_container *container)
{
	for (size_t i = 0; i < container->label_count; i++) {
		free(container->labels[i].key);
		free(container->labels[i].value);
	}
	free(container->labels);
	free(container->addresses);
	free(container->bindings);
	memset(container, 0, sizeof(*container));
}

void inventory_free_containers(struct inventory *inv)
{
	for (size_t i = 0; i < inv->container_count; i++)
		inv_container_free(&inv->containers[i]);
	free(inv->containers);
	inv->containers = NULL;
	inv->container_count = 0;
	inv->containers_read = false;
}

int inv_container_copy(struct inv_container *dst, const struct inv_container *src)
{
	*dst = *src;
	dst->labels = NULL;
	dst->label_count = 0;
	dst->addresses = NULL;
	dst->address_count = 0;
	dst->bindings = NULL;
	dst->binding_count = 0;
	if (src->binding_count > 0) {
		dst->bindings = calloc(src->binding_count, sizeof(*dst->bindings));
		if (dst->bindings == NULL)
			goto fail;
		memcpy(dst->bindings, src->bindings, src->binding_count * sizeof(*src->bindings));
		dst->binding_count = src->binding_count;
	}
	if (src->label_count > 0) {
		dst->labels = calloc(src->label_count, sizeof(*dst->labels));
		if (dst->labels == NULL)
			goto fail;
		for (size_t i = 0; i < src->label_count; i++) {
			dst->labels[i].key = strdup(src->labels[i].key);
			dst->labels[i].value = strdup(src->labels[i].value);
			dst->label_count++;
			if (dst->labels[i].key == NULL || dst->labels[i].value == NULL)
				goto fail;
		}
	}
	if (src->address_count > 0) {
		dst->addresses = calloc(src->address_count, sizeof(*dst->addresses));
		if (dst->addresses == NULL)
			goto fail;
		memcpy(dst->addresses, src->addresses,
		       src->address_count * sizeof(*src->addresses));
		dst->address_count = src->address_count;
	}
	return 0;
fail:
	inv_container_free(dst);
	return -1;
}

const struct inv_container *inventory_find_container(const struct inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->container_count; i++)
		if (strcmp(inv->containers[i].id, id) == 0)
			return &inv->containers[i];
	return NULL;
}

void inventory_free_matches(struct inventory *inv)
{
	for (size_t i = 0; i < inv->match_count; i++) {
		for (size_t j = 0; j < inv->matches[i].id_count; j++)
			free(inv->matches[i].ids[j]);
		free(inv->matches[i].ids);
		free(inv->matches[i].expression);
	}
	free(inv->matches);
	inv->matches = NULL;
	inv->match_count = 0;
	inv->matches_read = false;
}

const struct inv_match *inventory_find_match(const struct inventory *inv, const char *expression,
					     const char *network_id)
{
	for (size_t i = 0; i < inv->match_count; i++)
		if (strcmp(inv->matches[i].expression, expression) == 0 &&
		    strcmp(inv->matches[i].network_id, network_id) == 0)
			return &inv->matches[i];
	return NULL;
}

/* Deep copy of the matches into an empty inventory; 0, or -1 on OOM. */
static int inventory_copy_matches(struct inventory *dst, const struct inventory *src)
{
	if (src->match_count == 0)
		return 0;
	dst->matches = calloc(src->match_count, sizeof(*dst->matches));
	if (dst->matches == NULL)
		return -1;
	for (size_t i = 0; i < src->match_count; i++) {
		const struct inv_match *from = &src->matches[i];
		struct inv_match *to = &dst->matches[i];

		dst->match_count++;
		memcpy(to->network_id, from->network_id, sizeof(to->network_id));
		to->expression = strdup(from->expression);
		if (to->expression == NULL)
			return -1;
		if (from->id_count == 0)
			continue;
		to->ids = calloc(from->id_count, sizeof(*to->ids));
		if (to->ids == NULL)
			return -1;
		for (size_t j = 0; j < from->id_count; j++) {
			to->ids[j] = strdup(from->ids[j]);
			if (to->ids[j] == NULL)
				return -1;
			to->id_count++;
		}
	}
	dst->matches_read = src->matches_read;
	return 0;
}

/* Adds or refreshes one port in a list kept ascending; false when full. */
static bool inventory_published_add(struct inv_published *list, size_t *count, uint8_t protocol,
				    uint16_t port, time_t seen)
{
	size_t at = 0;

	while (at < *count && (list[at].protocol < protocol ||
			       (list[at].protocol == protocol && list[at].port < port)))
		at++;
	if (at < *count && list[at].protocol == protocol && list[at].port == port) {
		if (seen > list[at].seen)
			list[at].seen = seen;
		return true;
	}
	if (*count >= INV_MAX_PUBLISHED)
		return false;
	memmove(&list[at + 1], &list[at], (*count - at) * sizeof(*list));
	list[at] = (struct inv_published){.protocol = protocol, .port = port, .seen = seen};
	(*count)++;
	return true;
}

int inventory_note_published(struct inventory *inv, const struct inventory *before, time_t now)
{
	struct inv_published *list = calloc(INV_MAX_PUBLISHED, sizeof(*list));
	size_t count = 0;

	free(inv->published);
	inv->published = NULL;
	inv->published_count = 0;
	if (list == NULL)
		return -1;
	for (size_t c = 0; c < inv->container_count; c++)
		for (size_t b = 0; b < inv->containers[c].binding_count; b++)
			(void)inventory_published_add(
			    list, &count, inv->containers[c].bindings[b].protocol,
			    inv->containers[c].bindings[b].host_port, now);
	for (size_t i = 0; before != NULL && i < before->published_count; i++) {
		const struct inv_published *old = &before->published[i];
		if (old->seen <= now && now - old->seen < INV_PUBLISHED_LINGER)
			(void)inventory_published_add(list, &count, old->protocol, old->port,
						      old->seen);
	}
	inv->published = list;
	inv->published_count = count;
	return 0;
}

void inventory_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->count; i++) {
		free(inv->networks[i].endpoints);
		free(inv->networks[i].members);
	}
	free(inv->networks);
	inventory_free_containers(inv);
	inventory_free_matches(inv);
	free(inv->published);
	inventory_init(inv);
}

struct inv_network *inventory_add_network(struct inventory *inv)
{
	struct inv_network *net;

	if (inv->count >= INV_MAX_NETWORKS)
		return NULL;
	if (inv->count == inv->capacity) {
		size_t capacity = inv->capacity ? inv->capacity * 2 : 4;
		struct inv_network *networks =
		    reallocarray(inv->networks, capacity, sizeof(*networks));
		if (networks == NULL)
			return NULL;
		inv->networks = networks;
		inv->capacity = capacity;
	}
	net = &inv->networks[inv->count++];
	memset(net, 0, sizeof(*net));
	return net;
}

struct inv_endpoint *inv_network_add_endpoint(struct inv_network *net)
{
	struct inv_endpoint *endpoint;

	if (net->endpoint_count >= INV_MAX_ENDPOINTS)
		return NULL;
	if (net->endpoint_count == net->endpoint_capacity) {
		size_t capacity = net->endpoint_capacity ? net->endpoint_capacity * 2 : 8;
		struct inv_endpoint *endpoints =
		    reallocarray(net->endpoints, capacity, sizeof(*endpoints));
		if (endpoints == NULL)
			return NULL;
		net->endpoints = endpoints;
		net->endpoint_capacity = capacity;
	}
	endpoint = &net->endpoints[net->endpoint_count++];
	memset(endpoint, 0, sizeof(*endpoint));
	return endpoint;
}

const struct inv_network *inventory_find_network(const struct inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->count; i++)
		if (strcmp(inv->networks[i].name, name) == 0)
			return &inv->networks[i];
	return NULL;
}

struct inv_endpoint *inv_network_find_endpoint(struct inv_network *net, const char *container_id)
{
	for (size_t i = 0; i < net->endpoint_count; i++)
		if (strcmp(net->endpoints[i].container_id, container_id) == 0)
			return &net->endpoints[i];
	return NULL;
}

int inventory_copy(struct inventory *dst, const struct inventory *src)
{
	struct inventory copy;

	inventory_init(&copy);
	memcpy(copy.netns_dir, src->netns_dir, sizeof(copy.netns_dir));
	if (src->container_count > 0) {
		copy.containers = calloc(src->container_count, sizeof(*copy.containers));
		if (copy.containers == NULL)
			goto fail;
		for (size_t i = 0; i < src->container_count; i++) {
			if (inv_container_copy(&copy.containers[i], &src->containers[i]) < 0)
				goto fail;
			copy.container_count++;
		}
	}
	copy.containers_read = src->containers_read;
	if (inventory_copy_matches(&copy, src) < 0)
		goto fail;
	if (src->published_count > 0) {
		copy.published = calloc(src->published_count, sizeof(*copy.published));
		if (copy.published == NULL)
			goto fail;
		memcpy(copy.published, src->published,
		       src->published_count * sizeof(*copy.published));
		copy.published_count = src->published_count;
	}
	for (size_t n = 0; n < src->count; n++) {
		const struct inv_network *from = &src->networks[n];
		struct inv_network *to = inventory_add_network(&copy);

		if (to == NULL)
			goto fail;
		*to = *from;
		to->endpoints = NULL;
		to->endpoint_count = to->endpoint_capacity = 0;
		to->members = NULL;
		to->member_count = 0;
		if (from->member_count > 0) {
			to->members = calloc(from->member_count, sizeof(*to->members));
			if (to->members == NULL)
				goto fail;
			memcpy(to->members, from->members,
			       from->member_count * sizeof(*to->members));
			to->member_count = from->member_count;
		}
		if (from->endpoint_count == 0)
			continue;
		to->endpoints = calloc(from->endpoint_count, sizeof(*to->endpoints));
		if (to->endpoints == NULL)
			goto fail;
		memcpy(to->endpoints, from->endpoints,
		       from->endpoint_count * sizeof(*to->endpoints));
		to->endpoint_count = to->endpoint_capacity = from->endpoint_count;
	}
	inventory_free(dst);
	*dst = copy;
	return 0;
fail:
	inventory_free(&copy);
	return -1;
}

void inv_network_clear(struct inv_network *net)
{
	char id[INV_ID_MAX + 1], name[INV_NAME_MAX + 1];

	memcpy(id, net->id, sizeof(id));
	memcpy(name, net->name, sizeof(name));
	free(net->endpoints);
	free(net->members);
	memset(net, 0, sizeof(*net));
	memcpy(net->id, id, sizeof(id));
	memcpy(net->name, name, sizeof(name));
}

void inventory_remove_network(struct inventory *inv, size_t index)
{
	free(inv->networks[index].endpoints);
	free(inv->networks[index].members);
	memmove(&inv->networks[index], &inv->networks[index + 1],
		(inv->count - index - 1) * sizeof(*inv->networks));
	inv->count--;
}

const struct inv_network *inventory_find_network_id(const struct inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->count; i++)
		if (strcmp(inv->networks[i].id, id) == 0)
			return &inv->networks[i];
	return NULL;
}
