/* Reconciliation: Docker's state into an inventory; see reconcile.h. */
#include "config.h"

#include "tjd/reconcile.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "tjd/conf.h"
#include "tjd/docker-json.h"
#include "tjd/docker.h"
#include "tjd/netns.h"
#include "tjd/overlay.h"

/* Events that cannot change addresses, membership or liveness. */
static const char *const reconcile_ignored_actions[] = {
    "exec_create", "exec_start", "exec_die", "exec_detach", "health_status", "top",
    "attach",	   "resize",	 "commit",   "copy",	    "archive-path",  "export",
};

enum reconcile_stage {
	RECONCILE_STAGE_NETWORKS,  /* GET /networks */
	RECONCILE_STAGE_INSPECT,   /* GET /networks/{id} per protected network */
	RECONCILE_STAGE_ALLOWED,   /* GET /containers/json per allow filter */
	RECONCILE_STAGE_SANDBOXES, /* GET /containers/{id}/json per allowed endpoint */
};

struct reconcile_run;

/*
 * A bridge port found in an earlier run.  Docker gives every endpoint a
 * new EndpointID when a container (re)connects or restarts, and tears the
 * veth down with the endpoint, so while the same endpoint is listed with
 * the same MAC its port is the same: no container inspect and no trip
 * into its namespace on every poll.
 */
struct reconcile_known_port {
	char network_id[INV_ID_MAX + 1];
	char container_id[INV_ID_MAX + 1];
	char endpoint_id[INV_ID_MAX + 1];
	char mac[18];
	char port[TJD_IFNAMSIZ];
};

/* One outstanding Docker request of a run. */
struct reconcile_call {
	struct reconcile_run *run;
	struct reconcile_call *next;
	struct docker_request *request;
	size_t network;		     /* index into run->inventory */
	size_t endpoint;	     /* index into that network's endpoints */
	bool probe;		     /* only to learn where dockerd keeps namespaces */
	char name[INV_NAME_MAX + 1]; /* configured network name (stage NETWORKS) */
};

/* One pass over Docker's state. */
struct reconcile_run {
	struct reconcile *owner;
	struct inventory inventory;
	struct timespec started;
	enum reconcile_stage stage;
	unsigned pending;
	bool failed;
	bool probing; /* a container inspect is finding the netns directory */
	char error[512];
	char withheld[512]; /* first allowance withheld, for status */
	struct reconcile_call *calls;
};

struct reconcile {
	struct event_base *base;
	struct docker_client *docker;
	const struct conf *conf;
	const struct reconcile_ports *ports;
	struct reconcile_hooks hooks;
	void *hook_arg;
	struct reconcile_run *run; /* NULL when idle */
	/* Bridge ports found by earlier runs; see reconcile_recall_port. */
	struct reconcile_known_port *known;
	size_t known_count;
	char netns_dir[INV_NETNS_DIR_MAX + 1]; /* where dockerd keeps namespaces, once seen */
	bool again;			       /* a request arrived while running */
	struct event *debounce;
	struct event *retry;
	struct event *stream_retry;
	unsigned backoff_msec;
	unsigned stream_backoff_msec;
};

const struct reconcile_ports reconcile_netns_ports = {
    .bridge_port = netns_bridge_port,
    .overlay_port = netns_overlay_port,
};

static void reconcile_begin(struct reconcile *reconcile);
static void reconcile_stream_end(void *arg, const char *error);

/* Microseconds between two monotonic times. */
static uint32_t reconcile_elapsed_usec(const struct timespec *start)
{
	struct timespec now;
	int64_t usec;

	clock_gettime(CLOCK_MONOTONIC, &now);
	usec =
	    (int64_t)(now.tv_sec - start->tv_sec) * 1000000 + (now.tv_nsec - start->tv_nsec) / 1000;
	return usec < 0 ? 0 : usec > UINT32_MAX ? UINT32_MAX : (uint32_t)usec;
}

/* Arms a one-shot timer. */
static void reconcile_arm(struct event *ev, unsigned msec)
{
	struct timeval tv = {.tv_sec = msec / 1000, .tv_usec = (msec % 1000) * 1000};

	event_add(ev, &tv);
}

/* Marks the run failed with the first error seen. */
static void reconcile_fail(struct reconcile_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reconcile_fail(struct reconcile_run *run, const char *fmt, ...)
{
	va_list ap;

	if (run->failed)
		return;
	run->failed = true;
	va_start(ap, fmt);
	vsnprintf(run->error, sizeof(run->error), fmt, ap);
	va_end(ap);
}

/* Frees a run; in-flight requests are cancelled without callbacks. */
static void reconcile_run_free(struct reconcile_run *run)
{
	struct reconcile_call *call, *next;

	for (call = run->calls; call != NULL; call = next) {
		next = call->next;
		if (call->request != NULL)
			docker_request_cancel(call->request);
		free(call);
	}
	inventory_free(&run->inventory);
	free(run);
}

/* Issues one GET for the run; counts it as pending. */
static struct reconcile_call *reconcile_get(struct reconcile_run *run, const char *path,
					    docker_response_cb cb)
{
	struct reconcile_call *call = calloc(1, sizeof(*call));

	if (call == NULL) {
		reconcile_fail(run, "out of memory");
		return NULL;
	}
	call->run = run;
	call->request = docker_get(run->owner->docker, path, cb, call);
	if (call->request == NULL) {
		free(call);
		reconcile_fail(run, "cannot start Docker request %s", path);
		return NULL;
	}
	call->next = run->calls;
	run->calls = call;
	run->pending++;
	return call;
}

/* Common checks at the top of a response callback; false if unusable. */
static bool reconcile_response_ok(struct reconcile_call *call, const char *what, long status,
				  const char *error)
{
	struct reconcile_run *run = call->run;

	call->request = NULL;
	run->pending--;
	if (run->failed)
		return false;
	if (error != NULL) {
		reconcile_fail(run, "Docker %s: %s", what, error);
		return false;
	}
	if (status != 200) {
		reconcile_fail(run, "Docker %s: HTTP %ld", what, status);
		return false;
	}
	return true;
}

/* Fills an endpoint's bridge port from an earlier run; false when not known. */
static bool reconcile_recall_port(const struct reconcile *reconcile, const struct inv_network *net,
				  struct inv_endpoint *endpoint)
{
	if (endpoint->endpoint_id[0] == '\0' || endpoint->mac[0] == '\0')
		return false;
	for (size_t i = 0; i < reconcile->known_count; i++) {
		const struct reconcile_known_port *known = &reconcile->known[i];
		if (strcmp(known->endpoint_id, endpoint->endpoint_id) == 0 &&
		    strcmp(known->container_id, endpoint->container_id) == 0 &&
		    strcmp(known->network_id, net->id) == 0 &&
		    strcmp(known->mac, endpoint->mac) == 0) {
			memcpy(endpoint->bridge_port, known->port, sizeof(endpoint->bridge_port));
			return true;
		}
	}
	return false;
}

/* Remembers every bridge port a successful run found, for the next runs. */
static void reconcile_remember_ports(struct reconcile *reconcile, const struct inventory *inv)
{
	struct reconcile_known_port *known;
	size_t count = 0, total = 0;

	for (size_t n = 0; n < inv->count; n++)
		total += inv->networks[n].endpoint_count;
	known = calloc(total ? total : 1, sizeof(*known));
	if (known == NULL) {
		/* Only a cache: the next run looks everything up again. */
		total = 0;
	}
	for (size_t n = 0; known != NULL && n < inv->count; n++) {
		const struct inv_network *net = &inv->networks[n];
		for (size_t e = 0; e < net->endpoint_count; e++) {
			const struct inv_endpoint *endpoint = &net->endpoints[e];
			struct reconcile_known_port *slot;
			if (endpoint->bridge_port[0] == '\0' || endpoint->endpoint_id[0] == '\0' ||
			    endpoint->mac[0] == '\0')
				continue;
			slot = &known[count++];
			memcpy(slot->network_id, net->id, sizeof(slot->network_id));
			memcpy(slot->container_id, endpoint->container_id,
			       sizeof(slot->container_id));
			memcpy(slot->endpoint_id, endpoint->endpoint_id, sizeof(slot->endpoint_id));
			memcpy(slot->mac, endpoint->mac, sizeof(slot->mac));
			memcpy(slot->port, endpoint->bridge_port, sizeof(slot->port));
		}
	}
	free(reconcile->known);
	reconcile->known = known;
	reconcile->known_count = count;
	if (inv->netns_dir[0] != '\0')
		memcpy(reconcile->netns_dir, inv->netns_dir, sizeof(reconcile->netns_dir));
}

/* Forgets every remembered port (Docker restarted: nothing it said still holds). */
static void reconcile_forget_ports(struct reconcile *reconcile)
{
	free(reconcile->known);
	reconcile->known = NULL;
	reconcile->known_count = 0;
	reconcile->netns_dir[0] = '\0';
}

/*
 * An overlay endpoint's SandboxKey: its directory is where dockerd keeps
 * every namespace (the overlay's own among them), and for an allow-listed
 * container the port its veth has on br0 inside the overlay namespace.
 */
static void reconcile_overlay_sandbox(struct reconcile_run *run, struct inv_network *net,
				      struct inv_endpoint *endpoint, const char *sandbox,
				      bool probe)
{
	char dir[INV_NETNS_DIR_MAX + 1], netns[OVERLAY_PATH_MAX + 1], err[256];
	const char *slash = strrchr(sandbox, '/');
	size_t length = slash != NULL ? (size_t)(slash - sandbox) : 0;

	endpoint->bridge_port[0] = '\0';
	if (sandbox[0] == '\0' || length == 0 || length > INV_NETNS_DIR_MAX) {
		if (!probe)
			log_warnx("allow-listed container %s on %s: no usable sandbox; "
				  "withholding its allowance",
				  endpoint->name, net->name);
		return;
	}
	memcpy(dir, sandbox, length);
	dir[length] = '\0';
	if (run->inventory.netns_dir[0] == '\0')
		memcpy(run->inventory.netns_dir, dir, length + 1);
	if (probe)
		return;
	if (endpoint->mac[0] == '\0' ||
	    overlay_netns_path(dir, net->id, false, netns, sizeof(netns)) < 0 ||
	    run->owner->ports->overlay_port(sandbox, endpoint->mac, netns, OVERLAY_BRIDGE,
					    endpoint->bridge_port, sizeof(endpoint->bridge_port),
					    err, sizeof(err)) < 0) {
		endpoint->bridge_port[0] = '\0';
		log_warnx("allow-listed container %s on overlay %s: port on %s unknown (%s); "
			  "withholding its allowance",
			  endpoint->name, net->name, OVERLAY_BRIDGE,
			  endpoint->mac[0] ? err : "no MAC address");
	}
}

/*
 * Finds the port of this node's load-balancer endpoint (lb-<network>, in
 * namespace lb_<id>) on br0, so its allowance is bound to it like any
 * other.  Unresolved, the allowance is withheld (fail closed).
 */
static void reconcile_overlay_lb_ports(const struct reconcile *reconcile, struct inventory *inv)
{
	const struct reconcile_ports *ports = reconcile->ports;

	char lb_netns[OVERLAY_PATH_MAX + 1], netns[OVERLAY_PATH_MAX + 1], err[256];

	for (size_t n = 0; n < inv->count; n++) {
		struct inv_network *net = &inv->networks[n];
		if (!overlay_network(net))
			continue;
		for (size_t e = 0; e < net->endpoint_count; e++) {
			struct inv_endpoint *endpoint = &net->endpoints[e];
			if (!overlay_is_lb_endpoint(net, endpoint))
				continue;
			endpoint->bridge_port[0] = '\0';
			if (reconcile_recall_port(reconcile, net, endpoint))
				continue;
			if (endpoint->mac[0] == '\0' ||
			    overlay_netns_path(inv->netns_dir, net->id, true, lb_netns,
					       sizeof(lb_netns)) < 0 ||
			    overlay_netns_path(inv->netns_dir, net->id, false, netns,
					       sizeof(netns)) < 0)
				continue;
			if (ports->overlay_port(lb_netns, endpoint->mac, netns, OVERLAY_BRIDGE,
						endpoint->bridge_port,
						sizeof(endpoint->bridge_port), err,
						sizeof(err)) < 0) {
				endpoint->bridge_port[0] = '\0';
				log_warnx(
				    "overlay %s: load-balancer port unknown (%s); withholding "
				    "its allowance",
				    net->name, err);
			}
		}
	}
}

/* Hands the outcome of a completed run to the owner, then retries or goes again. */
static void reconcile_finish(struct reconcile_run *run)
{
	struct reconcile *reconcile = run->owner;
	struct reconcile_result result = {.withheld = run->withheld};
	bool ok;

	if (!run->failed)
		reconcile_overlay_lb_ports(reconcile, &run->inventory);
	result.inventory = run->failed ? NULL : &run->inventory;
	result.error = run->failed ? run->error : NULL;
	result.elapsed_usec = reconcile_elapsed_usec(&run->started);
	reconcile->run = NULL;
	if (!run->failed)
		reconcile_remember_ports(reconcile, &run->inventory);
	ok = reconcile->hooks.done(reconcile->hook_arg, &result) && !run->failed;
	log_debug("reconcile %s in %u us", ok ? "done" : "failed", result.elapsed_usec);
	reconcile_run_free(run);
	if (ok) {
		reconcile->backoff_msec = 0;
	} else {
		/* Retry with back-off; the kernel keeps the last good rules meanwhile. */
		reconcile->backoff_msec = reconcile->backoff_msec ? reconcile->backoff_msec * 2
								  : RECONCILE_BACKOFF_MIN_MSEC;
		if (reconcile->backoff_msec > RECONCILE_BACKOFF_MAX_MSEC)
			reconcile->backoff_msec = RECONCILE_BACKOFF_MAX_MSEC;
		reconcile_arm(reconcile->retry, reconcile->backoff_msec);
	}
	if (reconcile->again) {
		reconcile->again = false;
		reconcile_request(reconcile, "changes during the last reconcile");
	}
}

/* Moves to the next stage once every request of this one has answered. */
static void reconcile_advance(struct reconcile_run *run);

/* Stage SANDBOXES: resolves an allowed endpoint's host-side bridge port. */
static void reconcile_sandbox_done(void *arg, long status, const char *body, size_t len,
				   const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	struct inv_network *net;
	struct inv_endpoint *endpoint;
	char sandbox[4096], err[256];

	if (!reconcile_response_ok(call, "container inspect", status, error))
		goto out;
	net = &run->inventory.networks[call->network];
	endpoint = &net->endpoints[call->endpoint];
	if (docker_json_sandbox_key(body, len, sandbox, sizeof(sandbox), err, sizeof(err)) < 0) {
		reconcile_fail(run, "container %.12s: %s", endpoint->container_id, err);
		goto out;
	}
	if (overlay_network(net)) {
		reconcile_overlay_sandbox(run, net, endpoint, sandbox, call->probe);
		goto out;
	}
	if (sandbox[0] == '\0' || endpoint->mac[0] == '\0' ||
	    run->owner->ports->bridge_port(sandbox, endpoint->mac, endpoint->bridge_port,
					   sizeof(endpoint->bridge_port), err, sizeof(err)) < 0) {
		/* Not fatal for the run: the allowance is withheld (fail closed). */
		endpoint->bridge_port[0] = '\0';
		if (run->withheld[0] == '\0')
			snprintf(run->withheld, sizeof(run->withheld),
				 "allow-listed container %.64s on %.64s: bridge port unknown "
				 "(%.200s); withholding its allowance",
				 endpoint->name, net->name, sandbox[0] ? err : "no sandbox");
		else
			log_warnx("allow-listed container %s on %s: bridge port unknown (%s); "
				  "withholding its allowance",
				  endpoint->name, net->name, sandbox[0] ? err : "no sandbox");
	}
out:
	reconcile_advance(run);
}

/* Stage ALLOWED: marks the endpoints an allow filter matched. */
static void reconcile_allowed_done(void *arg, long status, const char *body, size_t len,
				   const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	struct inv_network *net;
	char **ids = NULL;
	size_t count = 0;
	char err[256];

	if (!reconcile_response_ok(call, "container list", status, error))
		goto out;
	net = &run->inventory.networks[call->network];
	if (docker_json_container_ids(body, len, &ids, &count, err, sizeof(err)) < 0) {
		reconcile_fail(run, "container list for %s: %s", net->name, err);
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		struct inv_endpoint *endpoint = inv_network_find_endpoint(net, ids[i]);
		if (endpoint != NULL)
			endpoint->allowed = true;
		free(ids[i]);
	}
	free(ids);
out:
	reconcile_advance(run);
}

/* Stage INSPECT: fills one network of the inventory. */
static void reconcile_inspect_done(void *arg, long status, const char *body, size_t len,
				   const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	struct inv_network *net;
	char err[256], expected_name[INV_NAME_MAX + 1];

	if (!reconcile_response_ok(call, "network inspect", status, error))
		goto out;
	net = &run->inventory.networks[call->network];
	snprintf(expected_name, sizeof(expected_name), "%s", net->name);
	if (docker_json_parse_network(body, len, net, err, sizeof(err)) < 0) {
		reconcile_fail(run, "network %s: %s", expected_name, err);
		goto out;
	}
	if (strcmp(net->name, expected_name) != 0)
		reconcile_fail(run, "network %s was renamed to %s while reading it", expected_name,
			       net->name);
out:
	reconcile_advance(run);
}

/* Stage NETWORKS: finds which configured networks exist, and their ids. */
static void reconcile_networks_done(void *arg, long status, const char *body, size_t len,
				    const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	const struct conf *conf = run->owner->conf;
	char id[INV_ID_MAX + 1], err[256];

	if (!reconcile_response_ok(call, "network list", status, error))
		goto out;
	for (size_t i = 0; i < conf->network_count && !run->failed; i++) {
		int found = docker_json_find_network(body, len, conf->networks[i].name, id,
						     sizeof(id), err, sizeof(err));
		struct inv_network *net;
		if (found < 0) {
			reconcile_fail(run, "network list: %s", err);
			break;
		}
		if (found > 0)
			continue;
		net = inventory_add_network(&run->inventory);
		if (net == NULL) {
			reconcile_fail(run, "out of memory");
			break;
		}
		snprintf(net->id, sizeof(net->id), "%s", id);
		snprintf(net->name, sizeof(net->name), "%s", conf->networks[i].name);
	}
out:
	reconcile_advance(run);
}

/*
 * An overlay network with no allow-listed container here still needs the
 * namespace directory: inspect one of its containers just for that.
 */
static void reconcile_overlay_probe(struct reconcile_run *run, size_t n)
{
	struct inv_network *net = &run->inventory.networks[n];
	struct reconcile_call *call;
	char path[256];

	if (run->inventory.netns_dir[0] != '\0' || run->probing)
		return;
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		if (endpoint->allowed || overlay_is_lb_endpoint(net, endpoint) ||
		    strcmp(endpoint->container_id, "ingress-sbox") == 0)
			continue;
		snprintf(path, sizeof(path), "/containers/%s/json", endpoint->container_id);
		call = reconcile_get(run, path, reconcile_sandbox_done);
		if (call != NULL) {
			call->network = n;
			call->endpoint = e;
			call->probe = true;
			run->probing = true;
		}
		return;
	}
}

/* Stage INSPECT: one network inspect per configured network that exists. */
static void reconcile_stage_inspect(struct reconcile_run *run)
{
	char path[256];

	for (size_t n = 0; n < run->inventory.count; n++) {
		struct reconcile_call *call;
		snprintf(path, sizeof(path), "/networks/%s", run->inventory.networks[n].id);
		call = reconcile_get(run, path, reconcile_inspect_done);
		if (call != NULL)
			call->network = n;
	}
}

/* Stage ALLOWED: one container list per allow filter of a network with endpoints. */
static void reconcile_stage_allowed(struct reconcile_run *run)
{
	const struct conf *conf = run->owner->conf;
	char path[1024], err[256];

	for (size_t n = 0; n < run->inventory.count && !run->failed; n++) {
		struct inv_network *net = &run->inventory.networks[n];
		const struct conf_network *cn = conf_find_network(conf, net->name);

		for (size_t a = 0; cn != NULL && a < cn->allow_count; a++) {
			char *filters, *escaped;
			struct reconcile_call *call;

			if (net->endpoint_count == 0)
				break;
			filters = docker_filters_json(cn->allow[a], net->id, err, sizeof(err));
			escaped = filters ? docker_escape(filters) : NULL;
			if (escaped == NULL ||
			    (size_t)snprintf(path, sizeof(path), "/containers/json?filters=%s",
					     escaped) >= sizeof(path)) {
				reconcile_fail(run, "allow filter \"%s\": %s", cn->allow[a],
					       filters ? "too long" : err);
				free(filters);
				free(escaped);
				break;
			}
			free(filters);
			free(escaped);
			call = reconcile_get(run, path, reconcile_allowed_done);
			if (call != NULL)
				call->network = n;
		}
	}
}

/* Stage SANDBOXES: one container inspect per allow-listed endpoint tjd can enforce. */
static void reconcile_stage_sandboxes(struct reconcile_run *run)
{
	char path[256];

	for (size_t n = 0; n < run->inventory.count && !run->failed; n++) {
		struct inv_network *net = &run->inventory.networks[n];

		if (net->bridge[0] == '\0' && !overlay_network(net))
			continue;
		if (overlay_network(net))
			reconcile_overlay_probe(run, n);
		for (size_t e = 0; e < net->endpoint_count; e++) {
			struct reconcile_call *call;
			if (!net->endpoints[e].allowed ||
			    reconcile_recall_port(run->owner, net, &net->endpoints[e]))
				continue;
			snprintf(path, sizeof(path), "/containers/%s/json",
				 net->endpoints[e].container_id);
			call = reconcile_get(run, path, reconcile_sandbox_done);
			if (call != NULL) {
				call->network = n;
				call->endpoint = e;
			}
		}
	}
}

/* Starts the next stage once every request of this one has answered; finishes at the end. */
static void reconcile_advance(struct reconcile_run *run)
{
	if (run->pending > 0)
		return;
	while (!run->failed && run->pending == 0) {
		switch (run->stage) {
		case RECONCILE_STAGE_NETWORKS:
			run->stage = RECONCILE_STAGE_INSPECT;
			reconcile_stage_inspect(run);
			break;
		case RECONCILE_STAGE_INSPECT:
			run->stage = RECONCILE_STAGE_ALLOWED;
			reconcile_stage_allowed(run);
			break;
		case RECONCILE_STAGE_ALLOWED:
			run->stage = RECONCILE_STAGE_SANDBOXES;
			reconcile_stage_sandboxes(run);
			break;
		case RECONCILE_STAGE_SANDBOXES:
			reconcile_finish(run);
			return;
		}
	}
	if (run->failed && run->pending == 0)
		reconcile_finish(run);
}

/* Starts a run if none is in flight. */
static void reconcile_begin(struct reconcile *reconcile)
{
	struct reconcile_run *run;

	if (reconcile->run != NULL) {
		reconcile->again = true;
		return;
	}
	event_del(reconcile->retry);
	run = calloc(1, sizeof(*run));
	if (run == NULL) {
		struct reconcile_result result = {.error = "out of memory starting a reconcile",
						  .withheld = ""};
		reconcile->hooks.done(reconcile->hook_arg, &result);
		reconcile_arm(reconcile->retry, RECONCILE_BACKOFF_MAX_MSEC);
		return;
	}
	run->owner = reconcile;
	inventory_init(&run->inventory);
	memcpy(run->inventory.netns_dir, reconcile->netns_dir, sizeof(run->inventory.netns_dir));
	clock_gettime(CLOCK_MONOTONIC, &run->started);
	run->stage = RECONCILE_STAGE_NETWORKS;
	reconcile->run = run;
	if (reconcile_get(run, "/networks", reconcile_networks_done) == NULL)
		reconcile_finish(run);
}

/* Timer callback for debounce and retry. */
static void reconcile_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	reconcile_begin(arg);
}

void reconcile_request(struct reconcile *reconcile, const char *reason)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = RECONCILE_DEBOUNCE_USEC};

	log_debug("reconcile requested: %s", reason);
	if (reconcile->run != NULL) {
		reconcile->again = true;
		return;
	}
	if (!evtimer_pending(reconcile->debounce, NULL))
		event_add(reconcile->debounce, &tv);
}

/* One line of Docker's event stream. */
static void reconcile_event_line(void *arg, const char *line, size_t len)
{
	struct reconcile *reconcile = arg;
	struct docker_event event;
	char err[256], reason[160];

	reconcile->stream_backoff_msec = 0;
	if (docker_json_parse_event(line, len, &event, err, sizeof(err)) < 0) {
		log_warnx("ignoring unreadable Docker event: %s", err);
		return;
	}
	for (size_t i = 0; i < sizeof(reconcile_ignored_actions) / sizeof(char *); i++)
		if (strncmp(event.action, reconcile_ignored_actions[i],
			    strlen(reconcile_ignored_actions[i])) == 0)
			return;
	snprintf(reason, sizeof(reason), "%s %s %.12s", event.type, event.action, event.id);
	reconcile_request(reconcile, reason);
}

/* Opens the event stream. */
static void reconcile_stream_open(struct reconcile *reconcile)
{
	static const char path[] = "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22"
				   "network%22%5D%7D";

	if (docker_stream_start(reconcile->docker, path, reconcile_event_line, reconcile_stream_end,
				reconcile) < 0) {
		reconcile->hooks.docker_lost(reconcile->hook_arg,
					     "cannot start the Docker event stream");
		reconcile_arm(reconcile->stream_retry, RECONCILE_BACKOFF_MAX_MSEC);
		return;
	}
	/* Whatever happened while we were not listening, look now, from scratch. */
	reconcile_forget_ports(reconcile);
	reconcile_request(reconcile, "event stream (re)opened");
}

/* The event stream ended: Docker went away or restarted. Reopen with back-off. */
static void reconcile_stream_end(void *arg, const char *error)
{
	struct reconcile *reconcile = arg;
	char message[512];

	snprintf(message, sizeof(message), "Docker event stream ended (%s); rules stay in place",
		 error ? error : "closed by Docker");
	reconcile->hooks.docker_lost(reconcile->hook_arg, message);
	reconcile->stream_backoff_msec = reconcile->stream_backoff_msec
					     ? reconcile->stream_backoff_msec * 2
					     : RECONCILE_BACKOFF_MIN_MSEC;
	if (reconcile->stream_backoff_msec > RECONCILE_BACKOFF_MAX_MSEC)
		reconcile->stream_backoff_msec = RECONCILE_BACKOFF_MAX_MSEC;
	reconcile_arm(reconcile->stream_retry, reconcile->stream_backoff_msec);
}

/* Timer callback: try the event stream again. */
static void reconcile_stream_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	reconcile_stream_open(arg);
}

struct reconcile *reconcile_new(struct event_base *base, struct docker_client *docker,
				const struct conf *conf, const struct reconcile_ports *ports,
				const struct reconcile_hooks *hooks, void *arg)
{
	struct reconcile *reconcile = calloc(1, sizeof(*reconcile));

	if (reconcile == NULL)
		return NULL;
	reconcile->base = base;
	reconcile->docker = docker;
	reconcile->conf = conf;
	reconcile->ports = ports;
	reconcile->hooks = *hooks;
	reconcile->hook_arg = arg;
	reconcile->debounce = evtimer_new(base, reconcile_timer_cb, reconcile);
	reconcile->retry = evtimer_new(base, reconcile_timer_cb, reconcile);
	reconcile->stream_retry = evtimer_new(base, reconcile_stream_retry_cb, reconcile);
	if (reconcile->debounce == NULL || reconcile->retry == NULL ||
	    reconcile->stream_retry == NULL) {
		reconcile_free(reconcile);
		return NULL;
	}
	return reconcile;
}

void reconcile_free(struct reconcile *reconcile)
{
	if (reconcile == NULL)
		return;
	if (reconcile->run != NULL)
		reconcile_run_free(reconcile->run);
	if (reconcile->debounce)
		event_free(reconcile->debounce);
	if (reconcile->retry)
		event_free(reconcile->retry);
	if (reconcile->stream_retry)
		event_free(reconcile->stream_retry);
	free(reconcile->known);
	free(reconcile);
}

void reconcile_set_conf(struct reconcile *reconcile, const struct conf *conf)
{
	reconcile->conf = conf;
}

void reconcile_start(struct reconcile *reconcile, bool follow_events)
{
	if (follow_events)
		reconcile_stream_open(reconcile);
	else
		reconcile_request(reconcile, "first reconcile");
}
