/* The swarm deployment controller: parsers, child specs and the loop; see deploy.h. */
#include "config.h"

#include "swarm/deploy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/ident.h"
#include "common/jsonfield.h"
#include "common/log.h"
#include "swarm/docker.h"
#include "swarm/plan.h"

/* Where the children see what the controller mounts. */
#define DEPLOY_CERTS_TARGET "/var/lib/docker/swarm/certificates"
#define DEPLOY_RUN_TARGET "/run/tjd"
#define DEPLOY_STATE_TARGET "/var/lib/tjd"
#define DEPLOY_SOCK_TARGET "/var/run/docker.sock"
#define DEPLOY_NS_PER_S 1000000000LL

/* SIGTERM/SIGINT (stop) and SIGUSR1 (clear), set by the handlers. */
static volatile sig_atomic_t deploy_stop, deploy_clear;

/* ---------------------------------------------------------------- parsers */

/* A short word (a state, a role): lowercase letters and '-' only, "" when absent. */
static int deploy_word(json_t *object, const char *key, char *out, size_t size, const char *where,
		       char *err, size_t errlen)
{
	if (jsonfield_text(object, key, out, size, where, err, errlen) < 0)
		return -1;
	for (const char *c = out; *c != '\0'; c++) {
		if ((*c < 'a' || *c > 'z') && *c != '-') {
			error_format(err, errlen, "%s: invalid %s", where, key);
			return -1;
		}
	}
	return 0;
}

bool swarm_deploy_valid_image(const char *s, size_t len)
{
	if (len == 0 || len > SWARM_DEPLOY_IMAGE_MAX || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '/' || c == ':' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

/* A service name: a container name's characters, at most SWARM_DEPLOY_NAME_MAX bytes. */
static bool deploy_valid_name(const char *s, size_t len)
{
	return len <= SWARM_DEPLOY_NAME_MAX && ident_valid_container_name(s, len);
}

int swarm_deploy_parse_self(const char *json, size_t len, struct swarm_deploy_self *self, char *err,
			    size_t errlen)
{
	static const char where[] = "container inspect";
	json_t *root = jsonfield_load(json, len, SWARM_MAX_DOCUMENT, where, err, errlen);
	json_t *config, *labels;
	const char *text;
	size_t length;
	int ret = -1;

	memset(self, 0, sizeof(*self));
	if (root == NULL)
		return -1;
	if (jsonfield_string(root, "Id", true, &text, &length, where, err, errlen) < 0)
		goto out;
	if (length != 64 || !ident_valid_container_id(text, length)) {
		error_format(err, errlen, "%s: invalid Id (64 hex digits)", where);
		goto out;
	}
	memcpy(self->container_id, text, length + 1);
	if (jsonfield_string(root, "Image", true, &text, &length, where, err, errlen) < 0)
		goto out;
	if (length != 71 || strncmp(text, "sha256:", 7) != 0 ||
	    !ident_valid_container_id(text + 7, 64)) {
		error_format(err, errlen, "%s: invalid Image (sha256:<64 hex digits>)", where);
		goto out;
	}
	memcpy(self->image_id, text, length + 1);
	if (jsonfield_object(root, "Config", true, &config, where, err, errlen) < 0 ||
	    jsonfield_string(config, "Image", true, &text, &length, where, err, errlen) < 0)
		goto out;
	if (!swarm_deploy_valid_image(text, length)) {
		error_format(err, errlen, "%s: invalid Config.Image", where);
		goto out;
	}
	memcpy(self->image_ref, text, length + 1);
	if (jsonfield_object(config, "Labels", false, &labels, where, err, errlen) < 0 ||
	    jsonfield_id(labels, "com.docker.swarm.service.id", self->service_id, true, where, err,
			 errlen) < 0 ||
	    jsonfield_id(labels, "com.docker.swarm.node.id", self->node_id, true, where, err,
			 errlen) < 0 ||
	    jsonfield_string(labels, "com.docker.swarm.service.name", true, &text, &length, where,
			     err, errlen) < 0)
		goto out;
	if (!deploy_valid_name(text, length)) {
		error_format(err, errlen, "%s: invalid com.docker.swarm.service.name", where);
		goto out;
	}
	memcpy(self->service_name, text, length + 1);
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int swarm_deploy_parse_image(const char *json, size_t len, char *digest, size_t size, char *err,
			     size_t errlen)
{
	static const char where[] = "image inspect";
	json_t *root = jsonfield_load(json, len, SWARM_MAX_DOCUMENT, where, err, errlen);
	json_t *digests, *first;
	int ret = -1;

	digest[0] = '\0';
	if (root == NULL)
		return -1;
	if (jsonfield_array(root, "RepoDigests", false, 1024, &digests, where, err, errlen) < 0)
		goto out;
	first = digests != NULL ? json_array_get(digests, 0) : NULL;
	if (first != NULL) {
		const char *text = json_string_value(first);
		size_t length = text != NULL ? json_string_length(first) : 0;
		const char *at = text != NULL ? strstr(text, "@sha256:") : NULL;

		if (text == NULL || !swarm_deploy_valid_image(text, length) || at == NULL ||
		    strlen(at) != 8 + 64 || !ident_valid_container_id(at + 8, 64) ||
		    length >= size) {
			error_format(err, errlen, "%s: invalid RepoDigests item", where);
			goto out;
		}
		memcpy(digest, text, length + 1);
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* "HOST:PORT" or "[V6]:PORT" (or a bare address) to the address; "" when not one. */
static void deploy_address_of(const char *text, char *out, size_t size)
{
	char host[SWARM_DEPLOY_ADDRESS_MAX + 2];
	const char *colon = strrchr(text, ':');
	size_t length = strlen(text);
	unsigned char binary[16];

	out[0] = '\0';
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || (size_t)(close - text - 1) >= sizeof(host))
			return;
		length = (size_t)(close - text - 1);
		memcpy(host, text + 1, length);
	} else if (colon != NULL && strchr(text, ':') == colon) {
		length = (size_t)(colon - text);
		if (length >= sizeof(host))
			return;
		memcpy(host, text, length);
	} else {
		if (length >= sizeof(host))
			return;
		memcpy(host, text, length);
	}
	host[length] = '\0';
	if ((inet_pton(AF_INET, host, binary) == 1 || inet_pton(AF_INET6, host, binary) == 1) &&
	    strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0 && length < size)
		memcpy(out, host, length + 1);
}

/* One node object into node. */
static int deploy_node(json_t *item, struct swarm_deploy_node *node, const char *where, char *err,
		       size_t errlen)
{
	json_t *status, *spec, *manager;
	char text[SWARM_DEPLOY_ADDRESS_MAX + 16], word[16];

	memset(node, 0, sizeof(*node));
	if (jsonfield_id(item, "ID", node->id, true, where, err, errlen) < 0 ||
	    jsonfield_object(item, "Status", false, &status, where, err, errlen) < 0 ||
	    jsonfield_object(item, "Spec", false, &spec, where, err, errlen) < 0 ||
	    jsonfield_object(item, "ManagerStatus", false, &manager, where, err, errlen) < 0 ||
	    deploy_word(status, "State", word, sizeof(word), where, err, errlen) < 0)
		return -1;
	node->ready = strcmp(word, "ready") == 0;
	if (deploy_word(spec, "Availability", word, sizeof(word), where, err, errlen) < 0)
		return -1;
	node->active = strcmp(word, "active") == 0;
	if (jsonfield_text(manager, "Addr", text, sizeof(text), where, err, errlen) < 0)
		return -1;
	deploy_address_of(text, node->address, sizeof(node->address));
	if (node->address[0] == '\0') {
		if (jsonfield_text(status, "Addr", text, sizeof(text), where, err, errlen) < 0)
			return -1;
		deploy_address_of(text, node->address, sizeof(node->address));
	}
	return 0;
}

int swarm_deploy_parse_node(const char *json, size_t len, struct swarm_deploy_node *node, char *err,
			    size_t errlen)
{
	json_t *root = jsonfield_load(json, len, SWARM_MAX_DOCUMENT, "node inspect", err, errlen);
	int ret;

	memset(node, 0, sizeof(*node));
	if (root == NULL)
		return -1;
	ret = deploy_node(root, node, "node inspect", err, errlen);
	json_decref(root);
	return ret;
}

int swarm_deploy_parse_nodes(const char *json, size_t len, struct swarm_deploy_node **nodes,
			     size_t *count, char *err, size_t errlen)
{
	json_t *root = jsonfield_load(json, len, SWARM_MAX_DOCUMENT, "node list", err, errlen);
	json_t *item;
	size_t index;
	int ret = -1;

	*nodes = NULL;
	*count = 0;
	if (root == NULL)
		return -1;
	if (!json_is_array(root) || json_array_size(root) > SWARM_DEPLOY_MAX_NODES) {
		error_format(err, errlen, "node list: not an array of at most %d nodes",
			     SWARM_DEPLOY_MAX_NODES);
		goto out;
	}
	*nodes = calloc(json_array_size(root) + 1, sizeof(**nodes));
	if (*nodes == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		char where[48];

		snprintf(where, sizeof(where), "node list item %zu", index);
		if (deploy_node(item, &(*nodes)[index], where, err, errlen) < 0)
			goto out;
		*count = index + 1;
	}
	ret = 0;
out:
	if (ret < 0) {
		free(*nodes);
		*nodes = NULL;
		*count = 0;
	}
	json_decref(root);
	return ret;
}

int swarm_deploy_parse_services(const char *json, size_t len, struct swarm_deploy_service *services,
				size_t *count, char *err, size_t errlen)
{
	json_t *root = jsonfield_load(json, len, SWARM_MAX_DOCUMENT, "service list", err, errlen);
	json_t *item;
	size_t index;
	int ret = -1;

	*count = 0;
	if (root == NULL)
		return -1;
	if (!json_is_array(root) || json_array_size(root) > SWARM_DEPLOY_MAX_SERVICES) {
		error_format(err, errlen, "service list: not an array of at most %d services",
			     SWARM_DEPLOY_MAX_SERVICES);
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		struct swarm_deploy_service *service = &services[index];
		json_t *version, *spec, *labels, *number;
		char where[48];
		const char *text;
		size_t length;

		memset(service, 0, sizeof(*service));
		snprintf(where, sizeof(where), "service list item %zu", index);
		if (jsonfield_id(item, "ID", service->id, true, where, err, errlen) < 0 ||
		    jsonfield_object(item, "Version", true, &version, where, err, errlen) < 0 ||
		    jsonfield_object(item, "Spec", true, &spec, where, err, errlen) < 0 ||
		    jsonfield_object(spec, "Labels", false, &labels, where, err, errlen) < 0 ||
		    jsonfield_string(spec, "Name", true, &text, &length, where, err, errlen) < 0)
			goto out;
		if (!deploy_valid_name(text, length)) {
			error_format(err, errlen, "%s: invalid Spec.Name", where);
			goto out;
		}
		memcpy(service->name, text, length + 1);
		number = json_object_get(version, "Index");
		if (!json_is_integer(number) || json_integer_value(number) < 0) {
			error_format(err, errlen, "%s: invalid Version.Index", where);
			goto out;
		}
		service->version = (uint64_t)json_integer_value(number);
		if (deploy_word(labels, SWARM_DEPLOY_LABEL_ROLE, service->role,
				sizeof(service->role), where, err, errlen) < 0 ||
		    jsonfield_text(labels, SWARM_DEPLOY_LABEL_SPEC, service->spec,
				   sizeof(service->spec), where, err, errlen) < 0)
			goto out;
		*count = index + 1;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int swarm_deploy_parse_tasks(const char *json, size_t len, struct swarm_deploy_task **tasks,
			     size_t *count, char *err, size_t errlen)
{
	json_t *root = jsonfield_load(json, len, SWARM_MAX_DOCUMENT, "task list", err, errlen);
	json_t *item;
	size_t index;
	int ret = -1;

	*tasks = NULL;
	*count = 0;
	if (root == NULL)
		return -1;
	if (!json_is_array(root) || json_array_size(root) > SWARM_DEPLOY_MAX_TASKS) {
		error_format(err, errlen, "task list: not an array of at most %d tasks",
			     SWARM_DEPLOY_MAX_TASKS);
		goto out;
	}
	*tasks = calloc(json_array_size(root) + 1, sizeof(**tasks));
	if (*tasks == NULL) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	json_array_foreach(root, index, item)
	{
		struct swarm_deploy_task *task = &(*tasks)[index];
		json_t *status, *spec, *container_spec, *labels, *container_status, *code;
		char where[48];

		snprintf(where, sizeof(where), "task list item %zu", index);
		task->exit_code = -1;
		if (jsonfield_id(item, "ID", task->id, true, where, err, errlen) < 0 ||
		    jsonfield_id(item, "NodeID", task->node_id, false, where, err, errlen) < 0 ||
		    deploy_word(item, "DesiredState", task->desired, sizeof(task->desired), where,
				err, errlen) < 0 ||
		    jsonfield_object(item, "Status", false, &status, where, err, errlen) < 0 ||
		    deploy_word(status, "State", task->state, sizeof(task->state), where, err,
				errlen) < 0 ||
		    jsonfield_object(status, "ContainerStatus", false, &container_status, where,
				     err, errlen) < 0 ||
		    jsonfield_object(item, "Spec", false, &spec, where, err, errlen) < 0 ||
		    jsonfield_object(spec, "ContainerSpec", false, &container_spec, where, err,
				     errlen) < 0 ||
		    jsonfield_object(container_spec, "Labels", false, &labels, where, err, errlen) <
			0 ||
		    deploy_word(labels, SWARM_DEPLOY_LABEL_ROLE, task->role, sizeof(task->role),
				where, err, errlen) < 0)
			goto out;
		code =
		    container_status != NULL ? json_object_get(container_status, "ExitCode") : NULL;
		if (code != NULL && json_is_integer(code) && json_integer_value(code) >= 0 &&
		    json_integer_value(code) <= 255)
			task->exit_code = (long)json_integer_value(code);
		*count = index + 1;
	}
	ret = 0;
out:
	if (ret < 0) {
		free(*tasks);
		*tasks = NULL;
		*count = 0;
	}
	json_decref(root);
	return ret;
}

int swarm_deploy_container_id(const char *mountinfo, size_t len, char *id, size_t size)
{
	static const char marker[] = "/containers/";
	const char *at = mountinfo, *end = mountinfo + len;

	if (size < 65)
		return -1;
	while (at < end) {
		const char *found = memmem(at, (size_t)(end - at), marker, sizeof(marker) - 1);
		const char *candidate;

		if (found == NULL)
			break;
		candidate = found + sizeof(marker) - 1;
		if (end - candidate > 64 && candidate[64] == '/' &&
		    ident_valid_container_id(candidate, 64)) {
			memcpy(id, candidate, 64);
			id[64] = '\0';
			return 0;
		}
		at = candidate;
	}
	return -1;
}

/* ---------------------------------------------------------------- the Docker API */

/* One request whose answer must have status `want`; *body (may be NULL) is the caller's. */
static int deploy_call(const struct swarm_deploy_config *config, const char *method,
		       const char *path, const char *request, long want, char **body, size_t *len,
		       char *err, size_t errlen)
{
	long status = 0;
	char *answer = NULL;
	size_t length = 0;

	if (swarm_docker_request(config->docker_host, method, path, request, &status, &answer,
				 &length, err, errlen) < 0)
		return -1;
	if (status != want) {
		json_t *root = answer != NULL ? json_loadb(answer, length, 0, NULL) : NULL;
		const char *message =
		    root != NULL ? json_string_value(json_object_get(root, "message")) : NULL;
		char safe[256] = "";

		/* Docker's own message, printable bytes only */
		for (size_t i = 0, j = 0;
		     message != NULL && message[i] != '\0' && j + 1 < sizeof(safe); i++)
			safe[j++] = (message[i] >= 0x20 && message[i] < 0x7f) ? message[i] : '?';
		error_format(err, errlen, "Docker %s %s: HTTP %ld%s%s", method, path, status,
			     safe[0] ? ": " : "", safe);
		json_decref(root);
		free(answer);
		return status == 404 ? -2 : -1;
	}
	if (body != NULL) {
		*body = answer;
		*len = length;
	} else {
		free(answer);
	}
	return 0;
}

/* Percent-encodes a filters document for a query string. */
static void deploy_url_encode(const char *text, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (size_t i = 0; text[i] != '\0' && j + 4 < size; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.') {
			out[j++] = (char)c;
		} else {
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	out[j] = '\0';
}

/* ---------------------------------------------------------------- the controller */

/* What the controller knows while it runs. */
struct deploy {
	const struct swarm_deploy_config *config;
	struct swarm_deploy_self self;
	char image[SWARM_DEPLOY_IMAGE_MAX + 1];
	char address[SWARM_DEPLOY_ADDRESS_MAX]; /* the controller's node on the swarm */
	char coordinator[SWARM_DEPLOY_ADDRESS_MAX + 16];
	char names[2][SWARM_DEPLOY_NAME_MAX + 1]; /* [0] coordinator, [1] node */
	char report[4096];			  /* the last per-node report logged */
};

enum { DEPLOY_COORDINATOR, DEPLOY_NODE };
static const char *const deploy_roles[] = {"coordinator", "node"};

/* 64-bit FNV-1a of text, as 16 hex digits. */
static void deploy_hash(const char *text, char out[17])
{
	uint64_t hash = 1469598103934665603ULL;

	for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++)
		hash = (hash ^ *c) * 1099511628211ULL;
	snprintf(out, 17, "%016llx", (unsigned long long)hash);
}

/* A bind mount of source at target. */
static json_t *deploy_bind(const char *source, const char *target, bool read_only,
			   const char *propagation)
{
	json_t *mount = json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source", source,
				  "Target", target, "ReadOnly", read_only);

	if (mount != NULL && propagation != NULL)
		json_object_set_new(mount, "BindOptions",
				    json_pack("{s:s}", "Propagation", propagation));
	return mount;
}

/* A bind mount of dir when set, else the local volume <service>-suffix, at target. */
static json_t *deploy_dir_mount(const struct deploy *deploy, const char *dir, const char *suffix,
				const char *target)
{
	char volume[SWARM_DEPLOY_NAME_MAX + 16];

	if (dir != NULL)
		return deploy_bind(dir, target, false, NULL);
	snprintf(volume, sizeof(volume), "%s-%s", deploy->self.service_name, suffix);
	return json_pack("{s:s, s:s, s:s}", "Type", "volume", "Source", volume, "Target", target);
}

/* Appends the items of more to array, then releases more. */
static void deploy_extend(json_t *array, json_t *more)
{
	json_array_extend(array, more);
	json_decref(more);
}

/* "NAME=value" into env. */
static void deploy_env_add(json_t *env, const char *name, const char *value)
{
	char *item;

	if (value == NULL || asprintf(&item, "%s=%s", name, value) < 0)
		return;
	json_array_append_new(env, json_string(item));
	free(item);
}

/*
 * The spec of child `role` (the node service in the clear role when
 * clearing), labelled with the hash of everything else in it.
 */
static json_t *deploy_spec(const struct deploy *deploy, int role, bool clearing)
{
	const struct swarm_deploy_config *config = deploy->config;
	json_t *spec, *container, *mounts, *env = json_array(), *args = json_array();
	json_t *template;
	char listen[SWARM_DEPLOY_ADDRESS_MAX + 16], hash[17], *text;
	const char *role_label = clearing ? "clear" : deploy_roles[role];

	mounts =
	    json_pack("[o]", deploy_bind(config->docker_sock, DEPLOY_SOCK_TARGET, false, NULL));
	json_array_append_new(mounts,
			      deploy_bind(config->certs_dir, DEPLOY_CERTS_TARGET, true, NULL));
	json_array_append_new(mounts,
			      deploy_dir_mount(deploy, config->run_dir, "run", DEPLOY_RUN_TARGET));
	if (role == DEPLOY_COORDINATOR) {
		snprintf(listen, sizeof(listen), strchr(deploy->address, ':') ? "[%s]:%s" : "%s:%s",
			 deploy->address, config->port);
		deploy_extend(args, json_pack("[s,s,s,s,s,s,s,s,s]", "tjctl", "--socket",
					      DEPLOY_RUN_TARGET "/tjd.sock", "swarm", "coordinate",
					      "--certs", DEPLOY_CERTS_TARGET, "--listen", listen));
		if (config->interval != NULL)
			deploy_extend(args, json_pack("[s,s]", "--interval", config->interval));
	} else {
		json_array_append_new(
		    mounts, deploy_bind(config->netns_dir, config->netns_dir, true, "rslave"));
		json_array_append_new(mounts, deploy_dir_mount(deploy, config->state_dir, "state",
							       DEPLOY_STATE_TARGET));
		deploy_env_add(env, "TJD_SWARM_ROLE", clearing ? "clear" : "node");
		deploy_env_add(env, "TJD_SWARM_COORDINATOR", deploy->coordinator);
		deploy_env_add(env, "TJD_SWARM_CERTS", DEPLOY_CERTS_TARGET);
		deploy_env_add(env, "TJD_SWARM_INTERVAL", config->interval);
		deploy_env_add(env, "TJD_STATE_FILE", DEPLOY_STATE_TARGET "/ruleset.json");
		for (size_t i = 0; i < config->env_count; i++)
			json_array_append_new(env, json_string(config->env[i]));
	}
	container = json_pack("{s:s, s:o, s:o, s:o, s:{s:s}, s:I}", "Image", deploy->image, "Args",
			      args, "Env", env, "Mounts", mounts, "Labels", SWARM_DEPLOY_LABEL_ROLE,
			      role_label, "StopGracePeriod", (json_int_t)(5 * DEPLOY_NS_PER_S));
	template = json_pack("{s:o, s:[{s:s}], s:{s:s, s:I}}", "ContainerSpec", container,
			     "Networks", "Target", "host", "RestartPolicy", "Condition",
			     clearing ? "none" : "any", "Delay", (json_int_t)DEPLOY_NS_PER_S);
	if (template == NULL)
		return NULL;
	if (role == DEPLOY_COORDINATOR) {
		char constraint[SWARM_DEPLOY_ID_MAX + 16];

		snprintf(constraint, sizeof(constraint), "node.id==%s", deploy->self.node_id);
		json_object_set_new(template, "Placement",
				    json_pack("{s:[s]}", "Constraints", constraint));
	} else {
		/* tjd enters the overlay namespaces: it needs these besides Docker's defaults */
		json_object_set_new(
		    container, "CapabilityAdd",
		    json_pack("[s,s,s]", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SYS_ADMIN"));
	}
	spec = json_pack("{s:s, s:{s:s, s:s}, s:o}", "Name", deploy->names[role], "Labels",
			 SWARM_DEPLOY_LABEL_CONTROLLER, deploy->self.service_name,
			 SWARM_DEPLOY_LABEL_ROLE, deploy_roles[role], "TaskTemplate", template);
	if (spec == NULL)
		return NULL;
	if (role == DEPLOY_COORDINATOR)
		json_object_set_new(spec, "Mode",
				    json_pack("{s:{s:i}}", "Replicated", "Replicas", 1));
	else
		json_object_set_new(spec, "Mode", json_pack("{s:{}}", "Global"));
	/* every node at once: a node's tjd is stopped only for the moment its task is replaced */
	json_object_set_new(spec, "UpdateConfig",
			    json_pack("{s:i, s:s, s:s}", "Parallelism", 0, "Order", "stop-first",
				      "FailureAction", "continue"));
	text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		json_decref(spec);
		return NULL;
	}
	deploy_hash(text, hash);
	free(text);
	json_object_set_new(json_object_get(spec, "Labels"), SWARM_DEPLOY_LABEL_SPEC,
			    json_string(hash));
	return spec;
}

/* The child services labelled as this controller's. */
static int deploy_list(struct deploy *deploy, struct swarm_deploy_service *services, size_t *count,
		       char *err, size_t errlen)
{
	char filters[256], encoded[768], path[1024], *body = NULL;
	size_t len = 0;
	int ret;

	snprintf(filters, sizeof(filters), "{\"label\":[\"%s=%s\"]}", SWARM_DEPLOY_LABEL_CONTROLLER,
		 deploy->self.service_name);
	deploy_url_encode(filters, encoded, sizeof(encoded));
	snprintf(path, sizeof(path), "/services?filters=%s", encoded);
	if (deploy_call(deploy->config, "GET", path, NULL, 200, &body, &len, err, errlen) < 0)
		return -1;
	ret = swarm_deploy_parse_services(body, len, services, count, err, errlen);
	free(body);
	return ret;
}

/* Finds the child of role in services (by name and role label); NULL when absent. */
static const struct swarm_deploy_service *deploy_find(const struct deploy *deploy,
						      const struct swarm_deploy_service *services,
						      size_t count, int role)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(services[i].name, deploy->names[role]) == 0 &&
		    strcmp(services[i].role, deploy_roles[role]) == 0)
			return &services[i];
	return NULL;
}

/* Creates the child, or updates it when its spec label differs; clearing: the clear role. */
static int deploy_apply(struct deploy *deploy, const struct swarm_deploy_service *current, int role,
			bool clearing, char *err, size_t errlen)
{
	json_t *spec = deploy_spec(deploy, role, clearing);
	const char *hash;
	char path[256], *text;
	int ret;

	if (spec == NULL) {
		error_format(err, errlen, "out of memory");
		return -1;
	}
	hash = json_string_value(
	    json_object_get(json_object_get(spec, "Labels"), SWARM_DEPLOY_LABEL_SPEC));
	if (current != NULL && hash != NULL && strcmp(current->spec, hash) == 0) {
		json_decref(spec);
		return 0;
	}
	text = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	if (text == NULL) {
		error_format(err, errlen, "out of memory");
		return -1;
	}
	if (current == NULL)
		snprintf(path, sizeof(path), "/services/create");
	else
		snprintf(path, sizeof(path), "/services/%s/update?version=%llu", current->id,
			 (unsigned long long)current->version);
	ret = deploy_call(deploy->config, "POST", path, text, current == NULL ? 201 : 200, NULL,
			  NULL, err, errlen);
	free(text);
	if (ret == 0)
		log_info("%s service %s%s", current == NULL ? "created" : "updated",
			 deploy->names[role], clearing ? " (clear role)" : "");
	return ret < 0 ? -1 : 0;
}

/* GET path and parse it as a task list. */
static int deploy_tasks(struct deploy *deploy, int role, struct swarm_deploy_task **tasks,
			size_t *count, char *err, size_t errlen)
{
	char filters[256], encoded[768], path[1024], *body = NULL;
	size_t len = 0;
	int ret;

	snprintf(filters, sizeof(filters), "{\"service\":[\"%s\"]}", deploy->names[role]);
	deploy_url_encode(filters, encoded, sizeof(encoded));
	snprintf(path, sizeof(path), "/tasks?filters=%s", encoded);
	if (deploy_call(deploy->config, "GET", path, NULL, 200, &body, &len, err, errlen) < 0)
		return -1;
	ret = swarm_deploy_parse_tasks(body, len, tasks, count, err, errlen);
	free(body);
	return ret;
}

/* The swarm's nodes. */
static int deploy_nodes(struct deploy *deploy, struct swarm_deploy_node **nodes, size_t *count,
			char *err, size_t errlen)
{
	char *body = NULL;
	size_t len = 0;
	int ret;

	if (deploy_call(deploy->config, "GET", "/nodes", NULL, 200, &body, &len, err, errlen) < 0)
		return -1;
	ret = swarm_deploy_parse_nodes(body, len, nodes, count, err, errlen);
	free(body);
	return ret;
}

/* Logs which nodes run the node task, when that changes. */
static void deploy_report(struct deploy *deploy)
{
	struct swarm_deploy_task *tasks = NULL;
	size_t count = 0, running = 0, length = 0;
	char report[sizeof(deploy->report)], err[512];

	report[0] = '\0';
	if (deploy_tasks(deploy, DEPLOY_NODE, &tasks, &count, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(tasks[i].desired, "running") != 0)
			continue;
		if (strcmp(tasks[i].state, "running") == 0)
			running++;
		if (length + SWARM_DEPLOY_ID_MAX + 20 < sizeof(report))
			length += (size_t)snprintf(report + length, sizeof(report) - length,
						   " %s:%s", tasks[i].node_id, tasks[i].state);
	}
	free(tasks);
	if (strcmp(report, deploy->report) != 0) {
		log_info("node service %s: %zu task(s) running; node:state%s; coordinator on %s",
			 deploy->names[DEPLOY_NODE], running, report, deploy->coordinator);
		memcpy(deploy->report, report, sizeof(report));
	}
}

/* Brings both children to what they should be; -1 (logged by the caller) on failure. */
static int deploy_converge(struct deploy *deploy, char *err, size_t errlen)
{
	struct swarm_deploy_service services[SWARM_DEPLOY_MAX_SERVICES];
	size_t count = 0;

	if (deploy_list(deploy, services, &count, err, errlen) < 0)
		return -1;
	for (int role = DEPLOY_COORDINATOR; role <= DEPLOY_NODE; role++)
		if (deploy_apply(deploy, deploy_find(deploy, services, count, role), role, false,
				 err, errlen) < 0)
			return -1;
	deploy_report(deploy);
	return 0;
}

/* Milliseconds on the monotonic clock. */
static long long deploy_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Sleeps ms unless a signal asks for something first. */
static void deploy_sleep(int ms)
{
	long long until = deploy_now_ms() + ms;

	while (!deploy_stop && !deploy_clear && deploy_now_ms() < until) {
		struct timespec step = {0, 50 * 1000000L};
		nanosleep(&step, NULL);
	}
}

/*
 * Succeeds when every ready, active node ran the clear role to its end;
 * *pending says how many have not yet.  Logs each node once.
 */
static int deploy_cleared(struct deploy *deploy, size_t *pending, size_t *failed, char *logged,
			  size_t logged_size, char *err, size_t errlen)
{
	struct swarm_deploy_task *tasks = NULL;
	struct swarm_deploy_node *nodes = NULL;
	size_t task_count = 0, node_count = 0;

	*pending = 0;
	if (deploy_tasks(deploy, DEPLOY_NODE, &tasks, &task_count, err, errlen) < 0)
		return -1;
	if (deploy_nodes(deploy, &nodes, &node_count, err, errlen) < 0) {
		free(tasks);
		return -1;
	}
	for (size_t n = 0; n < node_count; n++) {
		const struct swarm_deploy_task *done = NULL;

		if (!nodes[n].ready || !nodes[n].active)
			continue;
		for (size_t t = 0; t < task_count; t++) {
			const struct swarm_deploy_task *task = &tasks[t];
			if (strcmp(task->node_id, nodes[n].id) == 0 &&
			    strcmp(task->role, "clear") == 0 &&
			    (strcmp(task->state, "complete") == 0 ||
			     strcmp(task->state, "failed") == 0 ||
			     strcmp(task->state, "rejected") == 0))
				done = task;
		}
		if (done == NULL) {
			(*pending)++;
			continue;
		}
		if (strstr(logged, nodes[n].id) == NULL &&
		    strlen(logged) + strlen(nodes[n].id) + 2 < logged_size) {
			strcat(logged, nodes[n].id);
			strcat(logged, " ");
			if (strcmp(done->state, "complete") == 0) {
				log_info("node %s: tjd's rules removed", nodes[n].id);
			} else {
				log_warnx("node %s: clearing %s (exit status %ld); its rules stay",
					  nodes[n].id, done->state, done->exit_code);
				(*failed)++;
			}
		}
	}
	free(tasks);
	free(nodes);
	return 0;
}

/* Removes the child service of role, if it exists. */
static int deploy_remove(struct deploy *deploy, const struct swarm_deploy_service *service,
			 char *err, size_t errlen)
{
	char path[256];
	int ret;

	if (service == NULL)
		return 0;
	snprintf(path, sizeof(path), "/services/%s", service->id);
	ret = deploy_call(deploy->config, "DELETE", path, NULL, 200, NULL, NULL, err, errlen);
	if (ret == 0)
		log_info("removed service %s", service->name);
	return ret == -1 ? -1 : 0;
}

/*
 * Clears every node: the coordinator goes, the node service becomes the
 * clear role, and once every node ran it (or the time is up) it goes too.
 */
static int deploy_clear_all(struct deploy *deploy, char *err, size_t errlen)
{
	struct swarm_deploy_service services[SWARM_DEPLOY_MAX_SERVICES];
	const struct swarm_deploy_service *node;
	long long deadline = deploy_now_ms() + deploy->config->clear_timeout_ms;
	size_t count = 0, pending = 0, failed = 0;
	char logged[8192] = "";
	int ret = 0;

	log_info("clearing every node's rules");
	if (deploy_list(deploy, services, &count, err, errlen) < 0 ||
	    deploy_remove(deploy, deploy_find(deploy, services, count, DEPLOY_COORDINATOR), err,
			  errlen) < 0)
		return -1;
	node = deploy_find(deploy, services, count, DEPLOY_NODE);
	if (node == NULL) {
		log_info("no node service: nothing to clear");
		return 0;
	}
	if (deploy_apply(deploy, node, DEPLOY_NODE, true, err, errlen) < 0)
		return -1;
	for (;;) {
		if (deploy_cleared(deploy, &pending, &failed, logged, sizeof(logged), err, errlen) <
		    0)
			log_warnx("%s", err);
		else if (pending == 0)
			break;
		if (deploy_now_ms() >= deadline) {
			log_warnx("%zu node(s) did not report clearing within %d ms; their rules "
				  "may stay",
				  pending, deploy->config->clear_timeout_ms);
			ret = -1;
			break;
		}
		struct timespec step = {0, 200 * 1000000L};
		nanosleep(&step, NULL);
	}
	/* the service itself, listed again: the update changed its version */
	if (deploy_list(deploy, services, &count, err, errlen) < 0 ||
	    deploy_remove(deploy, deploy_find(deploy, services, count, DEPLOY_NODE), err, errlen) <
		0)
		return -1;
	if (ret == 0 && failed == 0)
		log_info("every node's rules removed");
	if (ret < 0 || failed > 0) {
		error_format(err, errlen, "clearing did not finish on every node");
		return -1;
	}
	return 0;
}

/* Learns the controller's container, service, node, image and address. */
static int deploy_learn(struct deploy *deploy, char *err, size_t errlen)
{
	const struct swarm_deploy_config *config = deploy->config;
	char id[SWARM_DEPLOY_ID_MAX + 1] = "", path[512], *body = NULL, digest[256];
	struct swarm_deploy_node node;
	size_t len = 0;
	FILE *file = fopen("/proc/self/mountinfo", "re");
	const char *hostname = getenv("HOSTNAME");

	if (file != NULL) {
		char *text = malloc(1 << 20);
		size_t got = text != NULL ? fread(text, 1, (1 << 20) - 1, file) : 0;

		if (text != NULL)
			swarm_deploy_container_id(text, got, id, sizeof(id));
		free(text);
		fclose(file);
	}
	if (id[0] == '\0' && hostname != NULL && strlen(hostname) >= 12 &&
	    ident_valid_container_id(hostname, strlen(hostname)))
		snprintf(id, sizeof(id), "%s", hostname);
	if (id[0] == '\0') {
		error_format(err, errlen,
			     "cannot tell which container this is (neither /proc/self/mountinfo "
			     "nor HOSTNAME names it): run the controller as a swarm service");
		return -1;
	}
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	if (deploy_call(config, "GET", path, NULL, 200, &body, &len, err, errlen) < 0)
		return -1;
	if (swarm_deploy_parse_self(body, len, &deploy->self, err, errlen) < 0) {
		free(body);
		error_format(err + strlen(err), errlen - strlen(err),
			     " (is the controller a swarm service's task?)");
		return -1;
	}
	free(body);
	if (config->image != NULL) {
		snprintf(deploy->image, sizeof(deploy->image), "%s", config->image);
	} else {
		snprintf(path, sizeof(path), "/images/%s/json", deploy->self.image_id);
		if (deploy_call(config, "GET", path, NULL, 200, &body, &len, err, errlen) < 0)
			return -1;
		if (swarm_deploy_parse_image(body, len, digest, sizeof(digest), err, errlen) < 0) {
			free(body);
			return -1;
		}
		free(body);
		/* pinned by digest when the image came from a registry, else as the service names
		 * it */
		snprintf(deploy->image, sizeof(deploy->image), "%s",
			 digest[0] ? digest : deploy->self.image_ref);
	}
	snprintf(path, sizeof(path), "/nodes/%s", deploy->self.node_id);
	if (deploy_call(config, "GET", path, NULL, 200, &body, &len, err, errlen) < 0)
		return -1;
	if (swarm_deploy_parse_node(body, len, &node, err, errlen) < 0) {
		free(body);
		return -1;
	}
	free(body);
	if (node.address[0] == '\0') {
		error_format(err, errlen, "node %s: no usable swarm address", node.id);
		return -1;
	}
	memcpy(deploy->address, node.address, sizeof(deploy->address));
	snprintf(deploy->coordinator, sizeof(deploy->coordinator),
		 strchr(node.address, ':') ? "[%s]:%s" : "%s:%s", node.address, config->port);
	if (strlen(deploy->self.service_name) + strlen("-coordinator") > SWARM_DEPLOY_NAME_MAX) {
		error_format(err, errlen, "service name %s too long for its children's names",
			     deploy->self.service_name);
		return -1;
	}
	snprintf(deploy->names[DEPLOY_COORDINATOR], sizeof(deploy->names[0]), "%s-coordinator",
		 deploy->self.service_name);
	snprintf(deploy->names[DEPLOY_NODE], sizeof(deploy->names[0]), "%s-node",
		 deploy->self.service_name);
	return 0;
}

/* Records a stop request. */
static void deploy_on_stop(int signo)
{
	(void)signo;
	deploy_stop = 1;
}

/* Records a clear request (TrafficJam's SIGUSR1). */
static void deploy_on_clear(int signo)
{
	(void)signo;
	deploy_clear = 1;
}

/* Succeeds (1) when the controller's own service is gone from the API. */
static int deploy_service_removed(struct deploy *deploy)
{
	char path[256], err[512];
	int ret;

	snprintf(path, sizeof(path), "/services/%s", deploy->self.service_id);
	ret = deploy_call(deploy->config, "GET", path, NULL, 200, NULL, NULL, err, sizeof(err));
	if (ret == -1)
		log_warnx("%s: keeping every rule in place", err);
	return ret == -2;
}

int swarm_deploy_run(const struct swarm_deploy_config *config, char *err, size_t errlen)
{
	struct deploy *deploy = calloc(1, sizeof(*deploy));
	struct sigaction action;
	int ret = -1;

	if (deploy == NULL) {
		error_format(err, errlen, "out of memory");
		return -1;
	}
	deploy->config = config;
	memset(&action, 0, sizeof(action));
	sigemptyset(&action.sa_mask);
	action.sa_handler = deploy_on_stop;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	action.sa_handler = deploy_on_clear;
	sigaction(SIGUSR1, &action, NULL);
	if (deploy_learn(deploy, err, errlen) < 0)
		goto out;
	log_info("controller %s (service %s) on node %s (%s); image %s", deploy->self.service_name,
		 deploy->self.service_id, deploy->self.node_id, deploy->address, deploy->image);
	log_info("children: %s (coordinator, listening on %s), %s (global)",
		 deploy->names[DEPLOY_COORDINATOR], deploy->coordinator,
		 deploy->names[DEPLOY_NODE]);
	while (!deploy_stop && !deploy_clear) {
		if (deploy_converge(deploy, err, errlen) < 0)
			log_warnx("%s", err);
		deploy_sleep(config->check_ms);
	}
	if (deploy_clear) {
		log_info("SIGUSR1: clearing every node, then exiting");
	} else if (deploy_service_removed(deploy)) {
		log_info("service %s removed: clearing every node", deploy->self.service_name);
	} else {
		log_info("stopping; the child services and every node's rules stay in place");
		ret = 0;
		goto out;
	}
	ret = deploy_clear_all(deploy, err, errlen);
out:
	free(deploy);
	return ret;
}
