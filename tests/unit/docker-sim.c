/* A simulated Docker Engine API; see docker-sim.h. */
#include "config.h"

#include "docker-sim.h"
#include "http-fixture.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_NAME_MAX 128
#define SIM_LABELS_MAX 8

struct sim_network {
	bool removed;
	char id[65];
	char name[SIM_NAME_MAX];
	char driver[16];
	char subnet4[64];
	char subnet6[64];
};

struct sim_container {
	char id[65];
	char name[SIM_NAME_MAX];
	char labels[SIM_LABELS_MAX][2][64];
	size_t label_count;
	char sandbox[128];
	bool removed;
};

struct sim_endpoint {
	size_t container;
	size_t network;
	char ipv4[64];
	char ipv6[64];
	char mac[18];
	char endpoint_id[65];
};

struct docker_sim {
	pthread_mutex_t lock;
	struct sim_network *networks;
	size_t network_count;
	struct sim_container *containers;
	size_t container_count;
	struct sim_endpoint *endpoints;
	size_t endpoint_count;
	unsigned long serial;
	char fail_prefix[256];
	int fail_status;
};

/* A fresh 64-hex-digit id, distinct for each call. */
static void docker_sim_new_id(struct docker_sim *sim, char tag, char id[65])
{
	unsigned long serial = ++sim->serial;

	memset(id, 'a' + (tag % 6), 64);
	for (int i = 0; i < 16; i++) {
		id[63 - i] = "0123456789abcdef"[serial & 0xf];
		serial >>= 4;
	}
	id[64] = '\0';
}

/* Grows an array by one zeroed element. */
static void *docker_sim_grow(void *array, size_t *count, size_t size)
{
	char *grown = realloc(array, (*count + 1) * size);

	FIXTURE_ASSERT((grown) != NULL);
	memset(grown + *count * size, 0, size);
	(*count)++;
	return grown;
}

struct docker_sim *docker_sim_new(void)
{
	struct docker_sim *sim = calloc(1, sizeof(*sim));

	FIXTURE_ASSERT((sim) != NULL);
	pthread_mutex_init(&sim->lock, NULL);
	return sim;
}

void docker_sim_free(struct docker_sim *sim)
{
	if (sim == NULL)
		return;
	pthread_mutex_destroy(&sim->lock);
	free(sim->networks);
	free(sim->containers);
	free(sim->endpoints);
	free(sim);
}

size_t docker_sim_add_network(struct docker_sim *sim, const char *name, const char *driver,
			      const char *subnet4, const char *subnet6)
{
	struct sim_network *net;
	size_t index;

	pthread_mutex_lock(&sim->lock);
	sim->networks = docker_sim_grow(sim->networks, &sim->network_count, sizeof(*net));
	index = sim->network_count - 1;
	net = &sim->networks[index];
	docker_sim_new_id(sim, 'n', net->id);
	snprintf(net->name, sizeof(net->name), "%s", name);
	snprintf(net->driver, sizeof(net->driver), "%s", driver);
	snprintf(net->subnet4, sizeof(net->subnet4), "%s", subnet4 ? subnet4 : "");
	snprintf(net->subnet6, sizeof(net->subnet6), "%s", subnet6 ? subnet6 : "");
	pthread_mutex_unlock(&sim->lock);
	return index;
}

size_t docker_sim_add_container(struct docker_sim *sim, const char *name, const char *labels)
{
	struct sim_container *container;
	size_t index;
	char copy[512], *save = NULL;

	pthread_mutex_lock(&sim->lock);
	sim->containers =
	    docker_sim_grow(sim->containers, &sim->container_count, sizeof(*container));
	index = sim->container_count - 1;
	container = &sim->containers[index];
	docker_sim_new_id(sim, 'c', container->id);
	snprintf(container->name, sizeof(container->name), "%s", name);
	snprintf(container->sandbox, sizeof(container->sandbox), "/sim/netns/%.12s",
		 container->id + 52);
	snprintf(copy, sizeof(copy), "%s", labels ? labels : "");
	for (char *label = strtok_r(copy, ",", &save); label != NULL;
	     label = strtok_r(NULL, ",", &save)) {
		char *equals = strchr(label, '=');
		FIXTURE_ASSERT((container->label_count) < (SIM_LABELS_MAX));
		if (equals != NULL)
			*equals = '\0';
		snprintf(container->labels[container->label_count][0], 64, "%s", label);
		snprintf(container->labels[container->label_count][1], 64, "%s",
			 equals ? equals + 1 : "");
		container->label_count++;
	}
	pthread_mutex_unlock(&sim->lock);
	return index;
}

void docker_sim_set_container_id(struct docker_sim *sim, size_t container, const char *id)
{
	pthread_mutex_lock(&sim->lock);
	snprintf(sim->containers[container].id, sizeof(sim->containers[container].id), "%s", id);
	pthread_mutex_unlock(&sim->lock);
}

void docker_sim_connect(struct docker_sim *sim, size_t container, size_t network, const char *ipv4,
			const char *ipv6, const char *mac)
{
	struct sim_endpoint *endpoint;

	pthread_mutex_lock(&sim->lock);
	sim->endpoints = docker_sim_grow(sim->endpoints, &sim->endpoint_count, sizeof(*endpoint));
	endpoint = &sim->endpoints[sim->endpoint_count - 1];
	endpoint->container = container;
	endpoint->network = network;
	snprintf(endpoint->ipv4, sizeof(endpoint->ipv4), "%s", ipv4 ? ipv4 : "");
	snprintf(endpoint->ipv6, sizeof(endpoint->ipv6), "%s", ipv6 ? ipv6 : "");
	snprintf(endpoint->mac, sizeof(endpoint->mac), "%s", mac ? mac : "");
	docker_sim_new_id(sim, 'e', endpoint->endpoint_id);
	pthread_mutex_unlock(&sim->lock);
}

void docker_sim_remove_container(struct docker_sim *sim, size_t container)
{
	pthread_mutex_lock(&sim->lock);
	sim->containers[container].removed = true;
	for (size_t i = sim->endpoint_count; i-- > 0;) {
		if (sim->endpoints[i].container != container)
			continue;
		sim->endpoints[i] = sim->endpoints[sim->endpoint_count - 1];
		sim->endpoint_count--;
	}
	pthread_mutex_unlock(&sim->lock);
}

void docker_sim_remove_network(struct docker_sim *sim, size_t network)
{
	pthread_mutex_lock(&sim->lock);
	sim->networks[network].removed = true;
	for (size_t i = sim->endpoint_count; i-- > 0;) {
		if (sim->endpoints[i].network != network)
			continue;
		sim->endpoints[i] = sim->endpoints[sim->endpoint_count - 1];
		sim->endpoint_count--;
	}
	pthread_mutex_unlock(&sim->lock);
}

void docker_sim_rename_network(struct docker_sim *sim, size_t network, const char *name)
{
	pthread_mutex_lock(&sim->lock);
	snprintf(sim->networks[network].name, sizeof(sim->networks[network].name), "%s", name);
	pthread_mutex_unlock(&sim->lock);
}

void docker_sim_fail(struct docker_sim *sim, const char *prefix, int status)
{
	pthread_mutex_lock(&sim->lock);
	snprintf(sim->fail_prefix, sizeof(sim->fail_prefix), "%s", prefix ? prefix : "");
	sim->fail_status = status;
	pthread_mutex_unlock(&sim->lock);
}

const char *docker_sim_network_id(struct docker_sim *sim, size_t network)
{
	return sim->networks[network].id;
}

const char *docker_sim_container_id(struct docker_sim *sim, size_t container)
{
	return sim->containers[container].id;
}

const char *docker_sim_sandbox(struct docker_sim *sim, size_t container)
{
	return sim->containers[container].sandbox;
}

/* True when a name filter of GET /networks (substring, as Docker's pattern) lets name through. */
static bool docker_sim_name_wanted(json_t *filters, const char *name)
{
	json_t *names = json_object_get(filters, "name");

	if (filters == NULL || names == NULL)
		return true;
	for (size_t i = 0; i < json_array_size(names); i++)
		if (strstr(name, json_string_value(json_array_get(names, i))) != NULL)
			return true;
	return false;
}

/* Decodes %XX escapes in place. */
static void docker_sim_unescape(char *text);

/* GET /networks, with an optional ?filters= (only "name" is known). */
static json_t *docker_sim_networks(struct docker_sim *sim, const char *query)
{
	json_t *list = json_array(), *filters = NULL;

	if (query != NULL) {
		char *text = strdup(query);
		FIXTURE_ASSERT((text) != NULL);
		docker_sim_unescape(text);
		filters = json_loads(text, 0, NULL);
		free(text);
		FIXTURE_ASSERT((filters) != NULL);
	}
	for (size_t n = 0; n < sim->network_count; n++)
		if (!sim->networks[n].removed &&
		    docker_sim_name_wanted(filters, sim->networks[n].name))
			json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "Name",
							      sim->networks[n].name, "Id",
							      sim->networks[n].id, "Driver",
							      sim->networks[n].driver));
	json_decref(filters);
	return list;
}

/* One IPAM entry or interface address with its prefix length. */
static json_t *docker_sim_subnets(const struct sim_network *net)
{
	json_t *config = json_array();

	if (net->subnet4[0] != '\0')
		json_array_append_new(config, json_pack("{s:s}", "Subnet", net->subnet4));
	if (net->subnet6[0] != '\0')
		json_array_append_new(config, json_pack("{s:s}", "Subnet", net->subnet6));
	return config;
}

/* "ADDR/LEN" with the length of the network's subnet of that family. */
static void docker_sim_cidr(char *out, size_t size, const char *address, const char *subnet)
{
	const char *slash = strchr(subnet, '/');

	if (address[0] == '\0')
		out[0] = '\0';
	else
		snprintf(out, size, "%s%s", address, slash ? slash : "");
}

/* GET /networks/{id}; NULL when no such network. */
static json_t *docker_sim_inspect(struct docker_sim *sim, const char *id)
{
	const struct sim_network *net = NULL;
	json_t *containers, *doc;
	bool overlay;

	for (size_t n = 0; n < sim->network_count; n++)
		if (!sim->networks[n].removed && strcmp(sim->networks[n].id, id) == 0)
			net = &sim->networks[n];
	if (net == NULL)
		return NULL;
	overlay = strcmp(net->driver, "overlay") == 0;
	containers = json_object();
	for (size_t e = 0; e < sim->endpoint_count; e++) {
		const struct sim_endpoint *endpoint = &sim->endpoints[e];
		const struct sim_container *container = &sim->containers[endpoint->container];
		char v4[80], v6[80];

		if (&sim->networks[endpoint->network] != net)
			continue;
		docker_sim_cidr(v4, sizeof(v4), endpoint->ipv4, net->subnet4);
		docker_sim_cidr(v6, sizeof(v6), endpoint->ipv6, net->subnet6);
		json_object_set_new(containers, container->id,
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", container->name,
					      "EndpointID", endpoint->endpoint_id, "MacAddress",
					      endpoint->mac, "IPv4Address", v4, "IPv6Address", v6));
	}
	doc =
	    json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:s, s:o}, s:b, s:o, s:o, s:o}", "Name",
		      net->name, "Id", net->id, "Scope", overlay ? "swarm" : "local", "Driver",
		      net->driver, "EnableIPv6", net->subnet6[0] != '\0', "IPAM", "Driver",
		      "default", "Config", docker_sim_subnets(net), "Internal", false, "Containers",
		      containers, "Options", json_object(), "Labels", json_object());
	return doc;
}

/* True when the container carries label "key" or "key=value". */
static bool docker_sim_has_label(const struct sim_container *container, const char *wanted)
{
	const char *equals = strchr(wanted, '=');
	size_t key_length = equals ? (size_t)(equals - wanted) : strlen(wanted);

	for (size_t l = 0; l < container->label_count; l++) {
		if (strlen(container->labels[l][0]) != key_length ||
		    strncmp(container->labels[l][0], wanted, key_length) != 0)
			continue;
		if (equals == NULL || strcmp(container->labels[l][1], equals + 1) == 0)
			return true;
	}
	return false;
}

/* Decodes %XX escapes in place. */
static void docker_sim_unescape(char *text)
{
	char *out = text;

	for (char *in = text; *in != '\0'; in++) {
		unsigned value;
		if (*in == '%' && in[1] != '\0' && in[2] != '\0' &&
		    sscanf(in + 1, "%2x", &value) == 1) {
			*out++ = (char)value;
			in += 2;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

/*
 * Marks in `match` every container one filter value lets through; false
 * for a key the simulation does not know.  One pass over the endpoints for
 * a network value, so large worlds answer quickly.
 */
static bool docker_sim_mark(const struct docker_sim *sim, const char *key, const char *value,
			    bool *match)
{
	if (strcmp(key, "network") == 0) {
		for (size_t e = 0; e < sim->endpoint_count; e++) {
			const struct sim_network *net = &sim->networks[sim->endpoints[e].network];
			if (strcmp(net->id, value) == 0 || strcmp(net->name, value) == 0)
				match[sim->endpoints[e].container] = true;
		}
		return true;
	}
	for (size_t c = 0; c < sim->container_count; c++) {
		const struct sim_container *container = &sim->containers[c];
		if (strcmp(key, "label") == 0)
			match[c] = match[c] || docker_sim_has_label(container, value);
		else if (strcmp(key, "name") == 0)
			match[c] = match[c] || strstr(container->name, value) != NULL;
		else if (strcmp(key, "id") == 0)
			match[c] = match[c] || strncmp(container->id, value, strlen(value)) == 0;
		else
			return false;
	}
	return true;
}

/* GET /containers/json?filters=...; NULL for a filter it cannot evaluate. */
static json_t *docker_sim_list(struct docker_sim *sim, const char *query)
{
	char *text = strdup(query);
	bool *all = calloc(sim->container_count + 1, sizeof(bool));
	bool *any = calloc(sim->container_count + 1, sizeof(bool));
	json_t *filters, *list = NULL, *values;
	const char *key;

	FIXTURE_ASSERT(text != NULL && all != NULL && any != NULL);
	docker_sim_unescape(text);
	filters = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(filters))
		goto out;
	for (size_t c = 0; c < sim->container_count; c++)
		all[c] = !sim->containers[c].removed;
	json_object_foreach(filters, key, values)
	{
		memset(any, 0, (sim->container_count + 1) * sizeof(bool));
		for (size_t i = 0; i < json_array_size(values); i++) {
			const char *value = json_string_value(json_array_get(values, i));
			if (value == NULL || !docker_sim_mark(sim, key, value, any))
				goto out;
		}
		for (size_t c = 0; c < sim->container_count; c++)
			all[c] = all[c] && any[c];
	}
	list = json_array();
	for (size_t c = 0; c < sim->container_count; c++)
		if (all[c])
			json_array_append_new(list, json_pack("{s:s, s:[s+]}", "Id",
							      sim->containers[c].id, "Names", "/",
							      sim->containers[c].name));
out:
	json_decref(filters);
	free(all);
	free(any);
	return list;
}

/* A listed container's NetworkSettings.Networks: its endpoints' addresses by network name. */
static json_t *docker_sim_container_networks(struct docker_sim *sim, size_t container)
{
	json_t *networks = json_object();

	FIXTURE_ASSERT(networks != NULL);
	for (size_t e = 0; e < sim->endpoint_count; e++) {
		const struct sim_endpoint *endpoint = &sim->endpoints[e];
		const struct sim_network *net = &sim->networks[endpoint->network];

		if (endpoint->container != container || net->removed)
			continue;
		json_object_set_new(networks, net->name,
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "NetworkID", net->id,
					      "EndpointID", endpoint->endpoint_id, "IPAddress",
					      endpoint->ipv4, "GlobalIPv6Address", endpoint->ipv6,
					      "MacAddress", endpoint->mac));
	}
	return networks;
}

/* GET /containers/json: every running container, with its labels. */
static json_t *docker_sim_all(struct docker_sim *sim)
{
	json_t *list = json_array();

	FIXTURE_ASSERT(list != NULL);
	for (size_t c = 0; c < sim->container_count; c++) {
		const struct sim_container *container = &sim->containers[c];
		json_t *labels = json_object();

		/* Docker lists containers only: no load-balancer endpoints */
		if (container->removed || strlen(container->id) != 64 ||
		    strspn(container->id, "0123456789abcdef") != 64) {
			json_decref(labels);
			continue;
		}
		FIXTURE_ASSERT(labels != NULL);
		for (size_t l = 0; l < container->label_count; l++)
			json_object_set_new(labels, container->labels[l][0],
					    json_string(container->labels[l][1]));
		json_array_append_new(list, json_pack("{s:s, s:[s+], s:o, s:{s:s}, s:{s:o}}", "Id",
						      container->id, "Names", "/", container->name,
						      "Labels", labels, "HostConfig", "NetworkMode",
						      "default", "NetworkSettings", "Networks",
						      docker_sim_container_networks(sim, c)));
	}
	return list;
}

/* GET /containers/{id}/json; NULL when no such container. */
static json_t *docker_sim_container(struct docker_sim *sim, const char *id)
{
	for (size_t c = 0; c < sim->container_count; c++) {
		const struct sim_container *container = &sim->containers[c];
		if (container->removed || strcmp(container->id, id) != 0)
			continue;
		return json_pack("{s:s, s:s+, s:{s:i, s:b}, s:{s:s}, s:{s:s}}", "Id", container->id,
				 "Name", "/", container->name, "State", "Pid", 4242, "Running", 1,
				 "HostConfig", "NetworkMode", "default", "NetworkSettings",
				 "SandboxKey", container->sandbox);
	}
	return NULL;
}

bool docker_sim_handler(void *arg, const char *target, int *status, char **body, size_t *len)
{
	struct docker_sim *sim = arg;
	json_t *doc = NULL;
	int code = 200;
	char id[80];

	pthread_mutex_lock(&sim->lock);
	if (sim->fail_prefix[0] != '\0' &&
	    strncmp(target, sim->fail_prefix, strlen(sim->fail_prefix)) == 0) {
		code = sim->fail_status;
		doc = json_pack("{s:s}", "message", "simulated failure");
	} else if (strcmp(target, "/networks") == 0) {
		doc = docker_sim_networks(sim, NULL);
	} else if (strncmp(target, "/networks?filters=", 18) == 0) {
		doc = docker_sim_networks(sim, target + 18);
	} else if (strcmp(target, "/containers/json") == 0) {
		doc = docker_sim_all(sim);
	} else if (strncmp(target, "/containers/json?filters=", 25) == 0) {
		doc = docker_sim_list(sim, target + 25);
		if (doc == NULL) {
			code = 400;
			doc = json_pack("{s:s}", "message", "invalid filter");
		}
	} else if (sscanf(target, "/networks/%79[0-9a-z]", id) == 1) {
		doc = docker_sim_inspect(sim, id);
	} else if (sscanf(target, "/containers/%79[0-9a-z]/json", id) == 1) {
		doc = docker_sim_container(sim, id);
	}
	pthread_mutex_unlock(&sim->lock);
	if (doc == NULL)
		return false;
	*status = code;
	*body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	FIXTURE_ASSERT((*body) != NULL);
	*len = strlen(*body);
	return true;
}
