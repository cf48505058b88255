/*
 * The swarm coordinator's pure logic; see plan.h.  Addresses, ids, text,
 * JSON members and allow expressions are checked with common/'s modules,
 * the checks tjd itself applies; addresses are kept as canonical text.
 */
#include "config.h"

#include "common/error.h"

#include "swarm/plan.h"

#include <jansson.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/filter.h"
#include "common/ident.h"
#include "common/jsonfield.h"
#include "common/prefix.h"
#include "common/text.h"

_Static_assert(SWARM_ID_MAX == IDENT_ID_MAX, "swarm ids are Docker ids");
_Static_assert(SWARM_ADDRESS_MAX >= INET6_ADDRSTRLEN, "an address slot holds any address");

/* A growable list of (node, network, address) facts used while planning. */
struct swarm_fact {
	size_t node;
	size_t network;
	char address[SWARM_ADDRESS_MAX];
	bool rejected;
};

struct swarm_facts {
	struct swarm_fact *items;
	size_t count;
};

/* ---- addresses ---- */

/* Canonical text of a bare address ("10.0.0.5", "fd00::5"); -1 if it is not one. */
int swarm_canonical_address(const char *text, char *out, size_t outlen)
{
	struct prefix address;

	if (prefix_parse_address(text, &address) < 0)
		return -1;
	return prefix_format_address(&address, out, outlen);
}

/* Canonical text of "10.0.0.5/24"-style endpoint addresses, without the length. */
static int swarm_canonical_endpoint(const char *text, char *out, size_t outlen)
{
	struct prefix address;

	if (prefix_parse(text, &address) < 0)
		return -1;
	return prefix_format_address(&address, out, outlen);
}

/* True when the subnet ("10.0.0.0/24") holds the address (canonical text). */
static bool swarm_subnet_contains(const char *subnet, const char *address)
{
	struct prefix net, host;

	return prefix_parse_network(subnet, &net) == 0 &&
	       prefix_parse_address(address, &host) == 0 && prefix_contains(&net, &host);
}

/* Family of a canonical address text. */
static int swarm_family(const char *address)
{
	return strchr(address, ':') != NULL ? AF_INET6 : AF_INET;
}

/* ---- JSON access (common/jsonfield.h) ---- */

/* Parses a whole document of at most SWARM_MAX_DOCUMENT bytes. */
static json_t *swarm_load(const char *json, size_t len, const char *what, char *err, size_t errlen)
{
	return jsonfield_load(json, len, SWARM_MAX_DOCUMENT, what, err, errlen);
}

/* Member `key` of object (NULL: absent) as a C string, NULL when absent or null. */
static int swarm_string(json_t *object, const char *key, const char **out, const char *where,
			char *err, size_t errlen)
{
	size_t length;

	return jsonfield_string(object, key, false, out, &length, where, err, errlen);
}

/* Grows an array of `size`-byte items by one, zeroed; NULL at `limit` or OOM. */
static void *swarm_grow(void **array, size_t *count, size_t size, size_t limit)
{
	void *grown;

	if (*count >= limit)
		return NULL;
	grown = realloc(*array, (*count + 1) * size);
	if (grown == NULL)
		return NULL;
	*array = grown;
	memset((char *)grown + *count * size, 0, size);
	return (char *)grown + (*count)++ * size;
}

/* ---- the cluster model ---- */

/* An empty cluster. */
void swarm_cluster_init(struct swarm_cluster *cluster)
{
	memset(cluster, 0, sizeof(*cluster));
}

/* Frees one task's labels and attachments. */
static void swarm_task_free(struct swarm_task *task)
{
	for (size_t i = 0; i < task->label_count; i++) {
		free(task->labels[i].key);
		free(task->labels[i].value);
	}
	free(task->labels);
	free(task->attachments);
}

/* Releases every node, service, task and network of the cluster. */
void swarm_cluster_free(struct swarm_cluster *cluster)
{
	for (size_t i = 0; i < cluster->task_count; i++)
		swarm_task_free(&cluster->tasks[i]);
	for (size_t i = 0; i < cluster->network_count; i++) {
		for (size_t a = 0; a < cluster->networks[i].allow_count; a++)
			free(cluster->networks[i].allow[a]);
		free(cluster->networks[i].allow);
		free(cluster->networks[i].endpoint_ips);
	}
	free(cluster->nodes);
	free(cluster->services);
	free(cluster->tasks);
	free(cluster->networks);
	swarm_cluster_init(cluster);
}

/* GET /nodes: id, hostname, address, readiness and role of every node. */
int swarm_parse_nodes(const char *json, size_t len, struct swarm_cluster *cluster, char *err,
		      size_t errlen)
{
	json_t *root = swarm_load(json, len, "node list", err, errlen), *item;
	size_t index;
	int ret = -1;

	if (root == NULL)
		return -1;
	if (!json_is_array(root)) {
		error_format(err, errlen, "node list: not an array");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		json_t *description, *status, *spec;
		struct swarm_node *node;
		const char *text;
		char where[48];

		snprintf(where, sizeof(where), "node list item %zu", index);
		node = swarm_grow((void **)&cluster->nodes, &cluster->node_count, sizeof(*node),
				  SWARM_MAX_NODES);
		if (node == NULL) {
			error_format(err, errlen, "%s: too many nodes or out of memory", where);
			goto out;
		}
		if (jsonfield_id(item, "ID", node->id, true, where, err, errlen) < 0 ||
		    jsonfield_object(item, "Description", false, &description, where, err, errlen) <
			0 ||
		    jsonfield_object(item, "Status", false, &status, where, err, errlen) < 0 ||
		    jsonfield_object(item, "Spec", false, &spec, where, err, errlen) < 0 ||
		    jsonfield_text(description, "Hostname", node->hostname, sizeof(node->hostname),
				   where, err, errlen) < 0 ||
		    jsonfield_text(status, "Addr", node->address, sizeof(node->address), where, err,
				   errlen) < 0 ||
		    swarm_string(status, "State", &text, where, err, errlen) < 0)
			goto out;
		node->ready = text != NULL && strcmp(text, "ready") == 0;
		if (swarm_string(spec, "Role", &text, where, err, errlen) < 0)
			goto out;
		node->manager = text != NULL && strcmp(text, "manager") == 0;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* GET /services: id, name and mode of every service. */
int swarm_parse_services(const char *json, size_t len, struct swarm_cluster *cluster, char *err,
			 size_t errlen)
{
	json_t *root = swarm_load(json, len, "service list", err, errlen), *item;
	size_t index;
	int ret = -1;

	if (root == NULL)
		return -1;
	if (!json_is_array(root)) {
		error_format(err, errlen, "service list: not an array");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		struct swarm_service *service;
		json_t *spec, *mode, *global;
		char where[48];

		snprintf(where, sizeof(where), "service list item %zu", index);
		service = swarm_grow((void **)&cluster->services, &cluster->service_count,
				     sizeof(*service), SWARM_MAX_SERVICES);
		if (service == NULL) {
			error_format(err, errlen, "%s: too many services or out of memory", where);
			goto out;
		}
		if (jsonfield_id(item, "ID", service->id, true, where, err, errlen) < 0 ||
		    jsonfield_object(item, "Spec", false, &spec, where, err, errlen) < 0 ||
		    jsonfield_text(spec, "Name", service->name, sizeof(service->name), where, err,
				   errlen) < 0 ||
		    jsonfield_object(spec, "Mode", false, &mode, where, err, errlen) < 0 ||
		    jsonfield_object(mode, "Global", false, &global, where, err, errlen) < 0)
			goto out;
		service->global = global != NULL;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* Spec.ContainerSpec.Labels of a task. */
static int swarm_parse_labels(json_t *labels, struct swarm_task *task, const char *where, char *err,
			      size_t errlen)
{
	const char *key;
	json_t *value;

	if (labels == NULL)
		return 0;
	if (json_object_size(labels) > SWARM_MAX_LABELS) {
		error_format(err, errlen, "%s: too many labels", where);
		return -1;
	}
	json_object_foreach(labels, key, value)
	{
		struct swarm_label *label;

		if (!json_is_string(value) || strlen(key) > SWARM_NAME_MAX ||
		    json_string_length(value) > 4096 || text_has_control(key, strlen(key))) {
			error_format(err, errlen, "%s: invalid label", where);
			return -1;
		}
		label = swarm_grow((void **)&task->labels, &task->label_count, sizeof(*label),
				   SWARM_MAX_LABELS);
		if (label == NULL) {
			error_format(err, errlen, "%s: out of memory", where);
			return -1;
		}
		label->key = strdup(key);
		label->value = strdup(json_string_value(value));
		if (label->key == NULL || label->value == NULL) {
			error_format(err, errlen, "%s: out of memory", where);
			return -1;
		}
	}
	return 0;
}

/* NetworksAttachments of a task. */
static int swarm_parse_attachments(json_t *item, struct swarm_task *task, const char *where,
				   char *err, size_t errlen)
{
	json_t *list, *attached, *network, *addresses, *address;
	size_t index, a;

	if (jsonfield_array(item, "NetworksAttachments", false, SWARM_MAX_NETWORKS * 4, &list,
			    where, err, errlen) < 0)
		return -1;
	json_array_foreach(list, index, attached)
	{
		struct swarm_attachment *attachment;

		attachment = swarm_grow((void **)&task->attachments, &task->attachment_count,
					sizeof(*attachment), SWARM_MAX_NETWORKS * 4);
		if (attachment == NULL) {
			error_format(err, errlen, "%s: out of memory", where);
			return -1;
		}
		if (jsonfield_object(attached, "Network", true, &network, where, err, errlen) < 0 ||
		    jsonfield_id(network, "ID", attachment->network_id, true, where, err, errlen) <
			0 ||
		    jsonfield_array(attached, "Addresses", false, SWARM_MAX_ADDRESSES, &addresses,
				    where, err, errlen) < 0)
			return -1;
		json_array_foreach(addresses, a, address)
		{
			char *slot = attachment->addresses[attachment->address_count];
			if (!json_is_string(address) ||
			    swarm_canonical_endpoint(json_string_value(address), slot,
						     SWARM_ADDRESS_MAX) < 0) {
				error_format(err, errlen, "%s: invalid address", where);
				return -1;
			}
			attachment->address_count++;
		}
	}
	return 0;
}

/* One running task's fields, labels and attachments. */
static int swarm_parse_task(json_t *item, json_t *status, struct swarm_task *task,
			    const char *where, char *err, size_t errlen)
{
	json_t *spec, *container, *container_status, *labels;
	json_t *slot = json_object_get(item, "Slot");

	task->running = true;
	if (jsonfield_id(item, "ID", task->id, true, where, err, errlen) < 0 ||
	    jsonfield_id(item, "ServiceID", task->service_id, false, where, err, errlen) < 0 ||
	    jsonfield_id(item, "NodeID", task->node_id, false, where, err, errlen) < 0 ||
	    jsonfield_object(status, "ContainerStatus", false, &container_status, where, err,
			     errlen) < 0 ||
	    jsonfield_id(container_status, "ContainerID", task->container_id, false, where, err,
			 errlen) < 0 ||
	    jsonfield_object(item, "Spec", false, &spec, where, err, errlen) < 0 ||
	    jsonfield_object(spec, "ContainerSpec", false, &container, where, err, errlen) < 0 ||
	    jsonfield_text(container, "Image", task->image, sizeof(task->image), where, err,
			   errlen) < 0 ||
	    jsonfield_object(container, "Labels", false, &labels, where, err, errlen) < 0)
		return -1;
	if (slot != NULL && json_is_integer(slot) && json_integer_value(slot) >= 0)
		task->slot = (unsigned long)json_integer_value(slot);
	if (swarm_parse_labels(labels, task, where, err, errlen) < 0 ||
	    swarm_parse_attachments(item, task, where, err, errlen) < 0)
		return -1;
	return 0;
}

/* GET /tasks: every running task, with its labels and addresses. */
int swarm_parse_tasks(const char *json, size_t len, struct swarm_cluster *cluster, char *err,
		      size_t errlen)
{
	json_t *root = swarm_load(json, len, "task list", err, errlen), *item;
	size_t index;
	int ret = -1;

	if (root == NULL)
		return -1;
	if (!json_is_array(root)) {
		error_format(err, errlen, "task list: not an array");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		struct swarm_task task, *slot_task;
		const char *state, *desired;
		json_t *status;
		char where[48];

		snprintf(where, sizeof(where), "task list item %zu", index);
		memset(&task, 0, sizeof(task));
		if (!json_is_object(item)) {
			error_format(err, errlen, "%s: not an object", where);
			goto out;
		}
		if (jsonfield_object(item, "Status", false, &status, where, err, errlen) < 0 ||
		    swarm_string(status, "State", &state, where, err, errlen) < 0 ||
		    swarm_string(item, "DesiredState", &desired, where, err, errlen) < 0)
			goto out;
		/* Only running tasks hold addresses anyone may be allowed from. */
		if (state == NULL || desired == NULL || strcmp(state, "running") != 0 ||
		    strcmp(desired, "running") != 0)
			continue;
		if (swarm_parse_task(item, status, &task, where, err, errlen) < 0)
			goto fail;
		slot_task = swarm_grow((void **)&cluster->tasks, &cluster->task_count, sizeof(task),
				       SWARM_MAX_TASKS);
		if (slot_task == NULL) {
			error_format(err, errlen, "%s: too many tasks or out of memory", where);
			goto fail;
		}
		*slot_task = task;
		continue;
	fail:
		swarm_task_free(&task);
		goto out;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* GET /networks: the id of the one swarm-scoped network called name. */
int swarm_find_network(const char *json, size_t len, const char *name, char *id, size_t idlen,
		       char *err, size_t errlen)
{
	json_t *root = swarm_load(json, len, "network list", err, errlen), *item;
	size_t index;
	int found = 1;

	if (root == NULL)
		return -1;
	if (!json_is_array(root)) {
		error_format(err, errlen, "network list: not an array");
		found = -1;
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		const char *item_name, *item_id, *scope;
		if (swarm_string(item, "Name", &item_name, "network list", err, errlen) < 0 ||
		    swarm_string(item, "Id", &item_id, "network list", err, errlen) < 0 ||
		    swarm_string(item, "Scope", &scope, "network list", err, errlen) < 0) {
			found = -1;
			goto out;
		}
		if (item_name == NULL || strcmp(item_name, name) != 0 || scope == NULL ||
		    strcmp(scope, "swarm") != 0)
			continue;
		if (found == 0) {
			error_format(err, errlen, "network name \"%s\" is ambiguous", name);
			found = -1;
			goto out;
		}
		if (item_id == NULL || !ident_valid_id(item_id, strlen(item_id)) ||
		    strlen(item_id) >= idlen) {
			error_format(err, errlen, "network \"%s\": invalid Id", name);
			found = -1;
			goto out;
		}
		strcpy(id, item_id);
		found = 0;
	}
out:
	json_decref(root);
	return found;
}

/* Adds one endpoint address (any form Docker uses) to a network's list. */
static int swarm_add_endpoint_ip(struct swarm_network *net, const char *text)
{
	char canonical[SWARM_ADDRESS_MAX];
	char(*slot)[SWARM_ADDRESS_MAX];

	if (text == NULL || text[0] == '\0')
		return 0;
	if (swarm_canonical_endpoint(text, canonical, sizeof(canonical)) < 0)
		return -1;
	slot = swarm_grow((void **)&net->endpoint_ips, &net->endpoint_count, sizeof(*slot),
			  SWARM_MAX_TASKS);
	if (slot == NULL)
		return -1;
	strcpy(*slot, canonical);
	return 0;
}

/* Subnets (IPAM.Config[].Subnet) of a network document. */
static int swarm_parse_subnets(json_t *root, struct swarm_network *net, char *err, size_t errlen)
{
	json_t *ipam, *config, *item;
	size_t index;

	if (jsonfield_object(root, "IPAM", false, &ipam, net->name, err, errlen) < 0 ||
	    jsonfield_array(ipam, "Config", false, SIZE_MAX, &config, net->name, err, errlen) < 0)
		return -1;
	json_array_foreach(config, index, item)
	{
		struct prefix prefix;
		const char *subnet;
		if (swarm_string(item, "Subnet", &subnet, net->name, err, errlen) < 0)
			return -1;
		if (subnet == NULL || subnet[0] == '\0')
			continue;
		if (net->subnet_count >= SWARM_MAX_SUBNETS ||
		    strlen(subnet) >= sizeof(net->subnets[0]) ||
		    prefix_parse_network(subnet, &prefix) < 0) {
			error_format(err, errlen, "network %s: invalid subnet", net->name);
			return -1;
		}
		strcpy(net->subnets[net->subnet_count++], subnet);
	}
	return 0;
}

/* Every endpoint address the manager knows on the network: tasks cluster-wide, its own containers.
 */
static int swarm_parse_endpoints(json_t *root, struct swarm_network *net, char *err, size_t errlen)
{
	json_t *services, *containers, *value, *tasks, *task;
	char lb_key[SWARM_NAME_MAX + 8];
	const char *key, *text;
	size_t index;

	/* Every task cluster-wide (verbose), standalone containers under "". */
	if (jsonfield_object(root, "Services", false, &services, net->name, err, errlen) < 0 ||
	    jsonfield_object(root, "Containers", false, &containers, net->name, err, errlen) < 0)
		return -1;
	json_object_foreach(services, key, value)
	{
		if (jsonfield_array(value, "Tasks", false, SWARM_MAX_TASKS, &tasks, net->name, err,
				    errlen) < 0)
			return -1;
		json_array_foreach(tasks, index, task)
		{
			const char *name;

			if (swarm_string(task, "Name", &name, net->name, err, errlen) < 0 ||
			    swarm_string(task, "EndpointIP", &text, net->name, err, errlen) < 0)
				return -1;
			/* A node's load balancer ("<network>-endpoint"), should Docker list it. */
			if (name != NULL && strncmp(name, net->name, strlen(net->name)) == 0 &&
			    strcmp(name + strlen(net->name), "-endpoint") == 0)
				continue;
			if (swarm_add_endpoint_ip(net, text) < 0) {
				error_format(err, errlen, "network %s: invalid EndpointIP",
					     net->name);
				return -1;
			}
		}
	}
	/* The manager's own endpoints, except its load balancer (claimed like any node's). */
	snprintf(lb_key, sizeof(lb_key), "lb-%s", net->name);
	json_object_foreach(containers, key, value)
	{
		const char *v4, *v6;
		if (strcmp(key, lb_key) == 0)
			continue;
		if (swarm_string(value, "IPv4Address", &v4, net->name, err, errlen) < 0 ||
		    swarm_string(value, "IPv6Address", &v6, net->name, err, errlen) < 0)
			return -1;
		if (swarm_add_endpoint_ip(net, v4) < 0 || swarm_add_endpoint_ip(net, v6) < 0) {
			error_format(err, errlen, "network %s: invalid container address",
				     net->name);
			return -1;
		}
	}
	return 0;
}

/* GET /networks/{id}?verbose=true: a protected network and every address on it. */
int swarm_parse_network(const char *json, size_t len, char *const *allow, size_t allow_count,
			struct swarm_cluster *cluster, char *err, size_t errlen)
{
	json_t *root = swarm_load(json, len, "network", err, errlen);
	struct swarm_network *net;
	int ret = -1;

	if (root == NULL)
		return -1;
	net = swarm_grow((void **)&cluster->networks, &cluster->network_count, sizeof(*net),
			 SWARM_MAX_NETWORKS);
	if (net == NULL) {
		error_format(err, errlen, "too many networks or out of memory");
		goto out;
	}
	if (!json_is_object(root)) {
		error_format(err, errlen, "network: not an object");
		goto out;
	}
	if (jsonfield_id(root, "Id", net->id, true, "network", err, errlen) < 0 ||
	    jsonfield_text(root, "Name", net->name, sizeof(net->name), "network", err, errlen) <
		0 ||
	    swarm_parse_subnets(root, net, err, errlen) < 0)
		goto out;
	if (allow_count > SWARM_MAX_FILTERS) {
		error_format(err, errlen, "network %s: too many allow expressions", net->name);
		goto out;
	}
	net->allow = calloc(allow_count + 1, sizeof(char *));
	if (net->allow == NULL)
		goto oom;
	for (size_t a = 0; a < allow_count; a++) {
		net->allow[a] = strdup(allow[a]);
		if (net->allow[a] == NULL)
			goto oom;
		net->allow_count++;
	}
	if (swarm_parse_endpoints(root, net, err, errlen) < 0)
		goto out;
	ret = 0;
	goto out;
oom:
	error_format(err, errlen, "out of memory");
out:
	json_decref(root);
	return ret;
}

/* ---- allow expressions against tasks ---- */

/*
 * The keys a manager's view of tasks can judge; status only as "running",
 * the only tasks planned for.
 */
static const char *const swarm_judged_keys[] = {"label",   "name",    "id",    "ancestor",
						"is-task", "network", "status"};

/* Checks a parsed expression's terms against what a manager can judge. */
static int swarm_filter_judgeable(const struct filter *filter, char *err, size_t errlen)
{
	for (size_t t = 0; t < filter->count; t++) {
		const struct filter_term *term = &filter->terms[t];
		bool known = false;
		for (size_t k = 0; k < sizeof(swarm_judged_keys) / sizeof(swarm_judged_keys[0]);
		     k++)
			known |= strcmp(term->key, swarm_judged_keys[k]) == 0;
		if (!known ||
		    (strcmp(term->key, "status") == 0 && strcmp(term->value, "running") != 0)) {
			error_format(err, errlen,
				     "allow term \"%s=%.64s\" cannot be judged from a manager's "
				     "view of tasks",
				     term->key, term->value);
			return -1;
		}
	}
	return 0;
}

/* Parses with the tokeniser tjd uses (common/filter.h), then checks the keys. */
int swarm_filter_check(const char *expression, char *err, size_t errlen)
{
	struct filter filter;
	int ret;

	if (filter_parse(expression, &filter, err, errlen) < 0)
		return -1;
	ret = swarm_filter_judgeable(&filter, err, errlen);
	filter_free(&filter);
	return ret;
}

/* The service of a task, or NULL. */
static const struct swarm_service *swarm_service_of(const struct swarm_cluster *cluster,
						    const struct swarm_task *task)
{
	for (size_t i = 0; i < cluster->service_count; i++)
		if (strcmp(cluster->services[i].id, task->service_id) == 0)
			return &cluster->services[i];
	return NULL;
}

/* The name Docker gives the task's container: <service>.<slot or node>.<task>. */
static void swarm_container_name(const struct swarm_cluster *cluster, const struct swarm_task *task,
				 char *out, size_t outlen)
{
	const struct swarm_service *service = swarm_service_of(cluster, task);

	if (service == NULL) {
		snprintf(out, outlen, "%s", task->id);
		return;
	}
	if (service->global || task->slot == 0)
		snprintf(out, outlen, "%s.%s.%s", service->name, task->node_id, task->id);
	else
		snprintf(out, outlen, "%s.%lu.%s", service->name, task->slot, task->id);
}

/* Does the task carry label key (and value, when the term has one)? */
static bool swarm_task_label(const struct swarm_cluster *cluster, const struct swarm_task *task,
			     const char *term)
{
	const struct swarm_service *service = swarm_service_of(cluster, task);
	char name[SWARM_NAME_MAX * 2 + 2 * SWARM_ID_MAX + 8];
	const char *equals = strchr(term, '=');
	size_t key_length = equals != NULL ? (size_t)(equals - term) : strlen(term);
	/* The labels Docker adds to every task container. */
	const char *implicit[][2] = {
	    {"com.docker.swarm.service.name", service != NULL ? service->name : ""},
	    {"com.docker.swarm.service.id", task->service_id},
	    {"com.docker.swarm.task.id", task->id},
	    {"com.docker.swarm.task.name", name},
	    {"com.docker.swarm.node.id", task->node_id},
	};

	swarm_container_name(cluster, task, name, sizeof(name));
	for (size_t i = 0; i < sizeof(implicit) / sizeof(implicit[0]); i++) {
		if (strlen(implicit[i][0]) != key_length ||
		    strncmp(implicit[i][0], term, key_length) != 0)
			continue;
		if (equals == NULL || strcmp(implicit[i][1], equals + 1) == 0)
			return true;
	}
	for (size_t i = 0; i < task->label_count; i++) {
		if (strlen(task->labels[i].key) != key_length ||
		    strncmp(task->labels[i].key, term, key_length) != 0)
			continue;
		if (equals == NULL || strcmp(task->labels[i].value, equals + 1) == 0)
			return true;
	}
	return false;
}

/* Image reference without digest and registry defaults, with an explicit tag. */
static void swarm_image_name(const char *image, char *out, size_t outlen)
{
	const char *last_slash;
	size_t length = strcspn(image, "@");

	if (strncmp(image, "docker.io/library/", 18) == 0 && length > 18) {
		image += 18;
		length -= 18;
	} else if (strncmp(image, "docker.io/", 10) == 0 && length > 10) {
		image += 10;
		length -= 10;
	}
	snprintf(out, outlen, "%.*s", (int)length, image);
	last_slash = strrchr(out, '/');
	if (strchr(last_slash != NULL ? last_slash : out, ':') == NULL && strlen(out) + 8 < outlen)
		strcat(out, ":latest");
}

/* Does one term hold for the task? */
static bool swarm_term_matches(const struct swarm_cluster *cluster, const struct swarm_task *task,
			       const struct filter_term *term)
{
	char name[SWARM_NAME_MAX * 2 + 2 * SWARM_ID_MAX + 8];
	char wanted[SWARM_NAME_MAX + 16], have[SWARM_NAME_MAX + 16];

	if (strcmp(term->key, "label") == 0)
		return swarm_task_label(cluster, task, term->value);
	if (strcmp(term->key, "name") == 0) {
		regex_t regex;
		bool match;
		/* Docker matches the name (with its leading '/') as a regular expression. */
		snprintf(name, sizeof(name), "/");
		swarm_container_name(cluster, task, name + 1, sizeof(name) - 1);
		if (regcomp(&regex, term->value, REG_EXTENDED | REG_NOSUB) != 0)
			return false;
		match = regexec(&regex, name, 0, NULL, 0) == 0;
		regfree(&regex);
		return match;
	}
	if (strcmp(term->key, "id") == 0)
		return task->container_id[0] != '\0' &&
		       strncmp(task->container_id, term->value, strlen(term->value)) == 0;
	if (strcmp(term->key, "ancestor") == 0) {
		swarm_image_name(term->value, wanted, sizeof(wanted));
		swarm_image_name(task->image, have, sizeof(have));
		return strcmp(wanted, have) == 0;
	}
	if (strcmp(term->key, "is-task") == 0)
		return strcmp(term->value, "true") == 0;
	if (strcmp(term->key, "status") == 0)
		return strcmp(term->value, "running") == 0;
	if (strcmp(term->key, "network") == 0) {
		for (size_t a = 0; a < task->attachment_count; a++) {
			const char *id = task->attachments[a].network_id;
			if (strcmp(id, term->value) == 0)
				return true;
			for (size_t n = 0; n < cluster->network_count; n++)
				if (strcmp(cluster->networks[n].id, id) == 0 &&
				    strcmp(cluster->networks[n].name, term->value) == 0)
					return true;
		}
		return false;
	}
	return false;
}

/* Judges a running task by an allow expression, as docker ps would. */
bool swarm_task_matches(const struct swarm_cluster *cluster, const struct swarm_task *task,
			const char *expression)
{
	struct filter filter;
	bool match = task->running;

	if (!match || filter_parse(expression, &filter, NULL, 0) < 0)
		return false;
	if (swarm_filter_judgeable(&filter, NULL, 0) < 0)
		match = false;
	/* Different keys AND, values of one key OR (as docker ps). */
	for (size_t t = 0; match && t < filter.count; t++) {
		const char *key = filter.terms[t].key;
		bool any = false, seen_before = false;
		for (size_t u = 0; u < t; u++)
			seen_before |= strcmp(filter.terms[u].key, key) == 0;
		if (seen_before)
			continue;
		for (size_t u = t; u < filter.count; u++)
			if (strcmp(filter.terms[u].key, key) == 0)
				any |= swarm_term_matches(cluster, task, &filter.terms[u]);
		match = any;
	}
	filter_free(&filter);
	return match;
}

/* ---- planning ---- */

/* Index of a node id, or -1. */
static long swarm_node_index(const struct swarm_cluster *cluster, const char *id)
{
	for (size_t i = 0; i < cluster->node_count; i++)
		if (strcmp(cluster->nodes[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* Index of a protected network id, or -1. */
static long swarm_network_index(const struct swarm_cluster *cluster, const char *id)
{
	for (size_t i = 0; i < cluster->network_count; i++)
		if (strcmp(cluster->networks[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* Appends a fact; -1 on OOM. */
static int swarm_fact_add(struct swarm_facts *facts, size_t node, size_t network,
			  const char *address)
{
	struct swarm_fact *fact = swarm_grow((void **)&facts->items, &facts->count, sizeof(*fact),
					     SIZE_MAX / sizeof(*fact));

	if (fact == NULL)
		return -1;
	fact->node = node;
	fact->network = network;
	snprintf(fact->address, sizeof(fact->address), "%s", address);
	return 0;
}

/* qsort/bsearch comparator for address slots. */
static int swarm_address_compare(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every address of every task the manager knows, sorted, to look claims up in. */
struct swarm_taken {
	char (*addresses)[SWARM_ADDRESS_MAX];
	size_t count;
};

/* Collects and sorts the tasks' addresses; -1 on OOM. */
static int swarm_taken_build(const struct swarm_cluster *cluster, struct swarm_taken *taken)
{
	size_t total = 0;

	for (size_t t = 0; t < cluster->task_count; t++)
		for (size_t a = 0; a < cluster->tasks[t].attachment_count; a++)
			total += cluster->tasks[t].attachments[a].address_count;
	taken->count = 0;
	taken->addresses = malloc((total + 1) * sizeof(*taken->addresses));
	if (taken->addresses == NULL)
		return -1;
	for (size_t t = 0; t < cluster->task_count; t++)
		for (size_t a = 0; a < cluster->tasks[t].attachment_count; a++)
			for (size_t i = 0; i < cluster->tasks[t].attachments[a].address_count; i++)
				strcpy(taken->addresses[taken->count++],
				       cluster->tasks[t].attachments[a].addresses[i]);
	qsort(taken->addresses, taken->count, sizeof(*taken->addresses), swarm_address_compare);
	return 0;
}

/* True when the manager knows the address as a task's or container's. */
static bool swarm_address_taken(const struct swarm_cluster *cluster,
				const struct swarm_taken *taken, size_t network,
				const char *address)
{
	const struct swarm_network *net = &cluster->networks[network];

	for (size_t i = 0; i < net->endpoint_count; i++)
		if (strcmp(net->endpoint_ips[i], address) == 0)
			return true;
	return bsearch(address, taken->addresses, taken->count, sizeof(*taken->addresses),
		       swarm_address_compare) != NULL;
}

/* Orders facts by network, then address, then node. */
static int swarm_fact_compare(const void *a, const void *b)
{
	const struct swarm_fact *x = a, *y = b;
	int order;

	if (x->network != y->network)
		return x->network < y->network ? -1 : 1;
	order = strcmp(x->address, y->address);
	if (order != 0)
		return order;
	return (x->node > y->node) - (x->node < y->node);
}

/* Notes a rejected claim in the plan. */
static void swarm_reject(struct swarm_plan *plan, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void swarm_reject(struct swarm_plan *plan, const char *fmt, ...)
{
	va_list ap;

	if (plan->rejected_reports++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(plan->first_rejection, sizeof(plan->first_rejection), fmt, ap);
	va_end(ap);
}

/* The verified load-balancer addresses of every ready node. */
static int swarm_verify_reports(const struct swarm_cluster *cluster,
				const struct swarm_report *reports, size_t report_count,
				struct swarm_facts *out, struct swarm_plan *plan)
{
	struct swarm_taken taken;

	if (swarm_taken_build(cluster, &taken) < 0)
		return -1;
	for (size_t r = 0; r < report_count; r++) {
		const struct swarm_report *report = &reports[r];
		long node = swarm_node_index(cluster, report->node_id);
		long network = swarm_network_index(cluster, report->network_id);
		bool family_seen[2] = {false, false};

		if (node < 0 || !cluster->nodes[node].ready || network < 0)
			continue; /* gone, down or unprotected: nothing to verify against */
		for (size_t i = 0; i < report->lb_count && i < 2; i++) {
			const char *address = report->lb_ips[i];
			const struct swarm_network *net = &cluster->networks[network];
			int family = swarm_family(address) == AF_INET ? 0 : 1;
			bool inside = false;
			char canonical[SWARM_ADDRESS_MAX];

			if (swarm_canonical_address(address, canonical, sizeof(canonical)) < 0 ||
			    strcmp(canonical, address) != 0) {
				swarm_reject(plan, "node %s: \"%.46s\" is not an address",
					     report->node_id, address);
				continue;
			}
			for (size_t s = 0; s < net->subnet_count; s++)
				inside |= swarm_subnet_contains(net->subnets[s], address);
			if (!inside || family_seen[family] ||
			    swarm_address_taken(cluster, &taken, (size_t)network, address)) {
				swarm_reject(plan,
					     "node %s: load-balancer address %s on %s refused "
					     "(outside the subnets, a second one, or a task's)",
					     report->node_id, address, net->name);
				continue;
			}
			family_seen[family] = true;
			if (swarm_fact_add(out, (size_t)node, (size_t)network, address) < 0) {
				free(taken.addresses);
				return -1;
			}
		}
	}
	free(taken.addresses);
	/* An address two nodes claim belongs to neither (facts sorted by network, address). */
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items), swarm_fact_compare);
	for (size_t i = 0; i < out->count; i++)
		for (size_t j = i + 1;
		     j < out->count && out->items[j].network == out->items[i].network &&
		     strcmp(out->items[i].address, out->items[j].address) == 0;
		     j++)
			if (out->items[i].node != out->items[j].node) {
				out->items[i].rejected = out->items[j].rejected = true;
				swarm_reject(plan, "load-balancer address %s claimed by two nodes",
					     out->items[i].address);
			}
	return 0;
}

/* The addresses of allow-listed running tasks on ready nodes. */
static int swarm_allowed_tasks(const struct swarm_cluster *cluster, struct swarm_facts *out)
{
	for (size_t t = 0; t < cluster->task_count; t++) {
		const struct swarm_task *task = &cluster->tasks[t];
		long node = swarm_node_index(cluster, task->node_id);

		if (node < 0 || !cluster->nodes[node].ready)
			continue;
		for (size_t a = 0; a < task->attachment_count; a++) {
			long network =
			    swarm_network_index(cluster, task->attachments[a].network_id);
			const struct swarm_network *net;
			bool allowed = false;

			if (network < 0)
				continue;
			net = &cluster->networks[network];
			for (size_t f = 0; f < net->allow_count && !allowed; f++)
				allowed = swarm_task_matches(cluster, task, net->allow[f]);
			if (!allowed)
				continue;
			for (size_t i = 0; i < task->attachments[a].address_count; i++) {
				const char *address = task->attachments[a].addresses[i];
				bool inside = false;
				for (size_t s = 0; s < net->subnet_count; s++)
					inside |= swarm_subnet_contains(net->subnets[s], address);
				if (inside &&
				    swarm_fact_add(out, (size_t)node, (size_t)network, address) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* The range of facts (sorted by network, address) on each network. */
static int swarm_fact_ranges(struct swarm_facts *facts, size_t network_count, size_t **first)
{
	*first = calloc(network_count + 1, sizeof(**first));
	if (*first == NULL)
		return -1;
	if (facts->count > 1)
		qsort(facts->items, facts->count, sizeof(*facts->items), swarm_fact_compare);
	for (size_t k = 0, i = 0; k <= network_count; k++) {
		while (i < facts->count && facts->items[i].network < k)
			i++;
		(*first)[k] = i;
	}
	return 0;
}

/*
 * Collects the addresses of facts on `network` (facts[first[network]] up to
 * the next network's) not on `node`: sorted, each once.
 */
static int swarm_collect(const struct swarm_facts *facts, const size_t *first, size_t node,
			 size_t network, char (**out)[SWARM_ADDRESS_MAX], size_t *count)
{
	size_t begin = first[network], end = first[network + 1];

	*count = 0;
	*out = malloc((end - begin + 1) * sizeof(**out));
	if (*out == NULL)
		return -1;
	for (size_t i = begin; i < end; i++) {
		const struct swarm_fact *fact = &facts->items[i];
		if (fact->rejected || fact->node == node)
			continue;
		if (*count > 0 && strcmp((*out)[*count - 1], fact->address) == 0)
			continue;
		strcpy((*out)[(*count)++], fact->address);
	}
	return 0;
}

/* Appends text to a malloc'd digest. */
static int swarm_digest_add(char **digest, size_t *length, const char *text)
{
	size_t add = strlen(text);
	char *grown = realloc(*digest, *length + add + 1);

	if (grown == NULL)
		return -1;
	memcpy(grown + *length, text, add + 1);
	*digest = grown;
	*length += add;
	return 0;
}

/* The canonical text of one node's peer set. */
static int swarm_digest(struct swarm_node_plan *node)
{
	size_t length = 0;

	if (swarm_digest_add(&node->digest, &length, "") < 0)
		return -1;
	for (size_t n = 0; n < node->network_count; n++) {
		const struct swarm_peer_network *net = &node->networks[n];
		if (swarm_digest_add(&node->digest, &length, net->network_id) < 0 ||
		    swarm_digest_add(&node->digest, &length, " lb") < 0)
			return -1;
		for (size_t i = 0; i < net->lb_count; i++)
			if (swarm_digest_add(&node->digest, &length, " ") < 0 ||
			    swarm_digest_add(&node->digest, &length, net->lb_ips[i]) < 0)
				return -1;
		if (swarm_digest_add(&node->digest, &length, " allow") < 0)
			return -1;
		for (size_t i = 0; i < net->allowed_count; i++)
			if (swarm_digest_add(&node->digest, &length, " ") < 0 ||
			    swarm_digest_add(&node->digest, &length, net->allowed_ips[i]) < 0)
				return -1;
		if (swarm_digest_add(&node->digest, &length, "\n") < 0)
			return -1;
	}
	return 0;
}

/* Releases every node plan. */
void swarm_plan_free(struct swarm_plan *plan)
{
	for (size_t n = 0; n < plan->node_count; n++) {
		struct swarm_node_plan *node = &plan->nodes[n];
		for (size_t i = 0; i < node->network_count; i++) {
			free(node->networks[i].lb_ips);
			free(node->networks[i].allowed_ips);
		}
		free(node->networks);
		free(node->digest);
	}
	free(plan->nodes);
	memset(plan, 0, sizeof(*plan));
}

/* Verifies the reports, then builds every ready node's peer set and its digest. */
int swarm_plan_compute(const struct swarm_cluster *cluster, const struct swarm_report *reports,
		       size_t report_count, struct swarm_plan *plan, char *err, size_t errlen)
{
	struct swarm_facts lbs = {0}, allowed = {0};
	size_t *lb_first = NULL, *allowed_first = NULL;
	int ret = -1;

	memset(plan, 0, sizeof(*plan));
	if (swarm_verify_reports(cluster, reports, report_count, &lbs, plan) < 0 ||
	    swarm_allowed_tasks(cluster, &allowed) < 0 ||
	    swarm_fact_ranges(&lbs, cluster->network_count, &lb_first) < 0 ||
	    swarm_fact_ranges(&allowed, cluster->network_count, &allowed_first) < 0)
		goto oom;
	for (size_t n = 0; n < cluster->node_count; n++) {
		struct swarm_node_plan *node;

		if (!cluster->nodes[n].ready)
			continue;
		node = swarm_grow((void **)&plan->nodes, &plan->node_count, sizeof(*node),
				  SWARM_MAX_NODES);
		if (node == NULL)
			goto oom;
		strcpy(node->node_id, cluster->nodes[n].id);
		node->networks = calloc(cluster->network_count + 1, sizeof(*node->networks));
		if (node->networks == NULL)
			goto oom;
		for (size_t k = 0; k < cluster->network_count; k++) {
			struct swarm_peer_network *net = &node->networks[node->network_count++];
			strcpy(net->network_id, cluster->networks[k].id);
			strcpy(net->network_name, cluster->networks[k].name);
			if (swarm_collect(&lbs, lb_first, n, k, &net->lb_ips, &net->lb_count) < 0 ||
			    swarm_collect(&allowed, allowed_first, n, k, &net->allowed_ips,
					  &net->allowed_count) < 0)
				goto oom;
		}
		if (swarm_digest(node) < 0)
			goto oom;
	}
	ret = 0;
	goto out;
oom:
	error_format(err, errlen, "out of memory planning peer sets");
	swarm_plan_free(plan);
out:
	free(lb_first);
	free(allowed_first);
	free(lbs.items);
	free(allowed.items);
	return ret;
}

const struct swarm_node_plan *swarm_plan_node(const struct swarm_plan *plan, const char *node_id)
{
	for (size_t n = 0; n < plan->node_count; n++)
		if (strcmp(plan->nodes[n].node_id, node_id) == 0)
			return &plan->nodes[n];
	return NULL;
}

/* Compares one node's digests in two plans. */
bool swarm_plan_changed(const struct swarm_plan *old_plan, const struct swarm_plan *new_plan,
			const char *node_id)
{
	const struct swarm_node_plan *a = old_plan ? swarm_plan_node(old_plan, node_id) : NULL;
	const struct swarm_node_plan *b = new_plan ? swarm_plan_node(new_plan, node_id) : NULL;

	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a->digest, b->digest) != 0;
}
