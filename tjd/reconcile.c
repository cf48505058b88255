/* Reconciliation: Docker's state into an inventory; see reconcile.h. */
#include "config.h"

#include "tjd/reconcile.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include <linux/magic.h>

#include "common/log.h"
#include "tjd/conf.h"
#include "tjd/docker-json.h"
#include "tjd/docker.h"
#include "tjd/netns.h"
#include "tjd/overlay.h"
#include "tjd/policy-host.h"

/* Events that cannot change addresses, membership or liveness. */
static const char *const reconcile_ignored_actions[] = {
    "exec_create", "exec_start", "exec_die", "exec_detach", "health_status", "top",
    "attach",	   "resize",	 "commit",   "copy",	    "archive-path",  "export",
};

enum reconcile_stage {
	RECONCILE_STAGE_NETWORKS,	  /* GET /networks */
	RECONCILE_STAGE_INSPECT,	  /* GET /networks/{id} per protected network */
	RECONCILE_STAGE_ALLOWED,	  /* GET /containers/json per allow filter */
	RECONCILE_STAGE_SANDBOXES,	  /* GET /containers/{id}/json per allowed endpoint */
	RECONCILE_STAGE_CONTAINERS,	  /* GET /containers/json: every running container */
	RECONCILE_STAGE_MATCHES,	  /* GET /containers/json per filter of sets and rules */
	RECONCILE_STAGE_POLICY_SANDBOXES, /* GET /containers/{id}/json per policy namespace */
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

/*
 * What a run must look at: everything, or some networks (by id) and the
 * networks some containers are on (resolved against the last inventory
 * when the run begins, so an event that arrived while a run was in flight
 * sees that run's result).
 */
struct reconcile_scope {
	bool full;
	char (*networks)[INV_ID_MAX + 1];
	size_t network_count;
	char (*containers)[INV_ID_MAX + 1];
	size_t container_count;
};

/* More ids than this in one scope: a full run is cheaper to reason about. */
#define RECONCILE_SCOPE_MAX 64

/* One outstanding Docker request of a run. */
struct reconcile_call {
	struct reconcile_run *run;
	struct reconcile_call *next;
	struct docker_request *request;
	size_t network;	 /* index into run->inventory */
	size_t endpoint; /* index into that network's endpoints (or its containers) */
	bool probe;	 /* only to learn where dockerd keeps namespaces */
	char *path;	 /* what was asked (malloc'd) */
};

/*
 * An answer Docker gave an earlier run, kept whole: when the next answer
 * to the same GET is byte for byte the same, what was read from it still
 * holds and it is not parsed again (a poll on an idle host parses almost
 * nothing).  Compared whole, not by a hash: a name chosen to collide
 * cannot hide a change.
 */
struct reconcile_answer {
	char *path;
	char *body;
	size_t len;
	char **ids; /* container lists: the ids read from it */
	size_t id_count;
	bool used; /* asked by the current run */
};

/* One pass over Docker's state. */
struct reconcile_run {
	struct reconcile *owner;
	struct inventory inventory;
	/*
	 * A partial run starts from the last inventory and reads only the
	 * networks marked fresh; networks Docker no longer has are dropped.
	 */
	bool partial;
	bool *fresh; /* per inventory network */
	bool *gone;  /* per inventory network (partial runs: inspect said 404) */
	struct timespec started;
	enum reconcile_stage stage;
	unsigned pending;
	bool failed;
	bool probing; /* a container inspect is finding the netns directory */
	char error[512];
	char withheld[512]; /* first allowance withheld, for status */
	unsigned reused;    /* answers identical to the last run's, not parsed again */
	unsigned parsed;    /* answers read afresh */
	struct reconcile_call *calls;
	/* Per inventory network: its bridge's ports read from the host side, when needed. */
	struct netns_peers *host_side;
	size_t host_side_count;
	/* Containers' own firewalls are read in this run (always in a full one). */
	bool containers;
	/* The containers the events behind a partial run named (their ids). */
	char (*named)[INV_ID_MAX + 1];
	size_t named_count;
	unsigned epoch; /* the owner's docker_epoch when the run began */
};

struct reconcile {
	struct event_base *base;
	struct docker_client *docker;
	const struct conf *conf;
	const struct reconcile_ports *ports;
	struct reconcile_hooks hooks;
	void *hook_arg;
	struct reconcile_run *run;     /* NULL when idle */
	struct reconcile_scope wanted; /* what the next run must look at */
	/*
	 * A partial run read networks and left containers' own firewalls for
	 * a run of their own (Docker answers the container list slowly while
	 * a container starts, and that must not hold the network's rules back).
	 */
	bool containers_wanted;
	/* The last inventory the owner took: partial runs start from it. */
	struct inventory last;
	bool have_last;
	/*
	 * Counts the event stream's openings (reconcile_forget_ports): the
	 * containers' namespaces in `last` are recalled only when the run that
	 * read them began after the latest (last_epoch == docker_epoch).
	 * While tjd did not listen, Docker may have replaced a namespace and
	 * left a file at the old path.
	 */
	unsigned docker_epoch;
	unsigned last_epoch;
	struct reconcile_answer *answers;
	size_t answer_count;
	/* Bridge ports found by earlier runs; see reconcile_recall_port. */
	struct reconcile_known_port *known;
	size_t known_count;
	char netns_dir[INV_NETNS_DIR_MAX + 1]; /* where dockerd keeps namespaces, once seen */
	struct event *debounce;
	struct event *retry;
	struct event *stream_retry;
	unsigned backoff_msec;
	unsigned stream_backoff_msec;
};

/* reconcile_ports.bridge_members through rtnetlink in tjd's namespace. */
static int reconcile_netns_members(const struct inv_network *net, char (*ports)[TJD_IFNAMSIZ],
				   size_t max, size_t *count, char *err, size_t errlen)
{
	return netns_bridge_members(net->bridge, ports, max, count, err, errlen);
}

const struct reconcile_ports reconcile_netns_ports = {
    .bridge_port = netns_bridge_port,
    .overlay_port = netns_overlay_port,
    .bridge_members = reconcile_netns_members,
};

static void reconcile_begin(struct reconcile *reconcile);
static void reconcile_schedule(struct reconcile *reconcile, const char *reason);
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
		free(call->path);
		free(call);
	}
	inventory_free(&run->inventory);
	for (size_t n = 0; n < run->host_side_count; n++)
		netns_peers_clear(&run->host_side[n]);
	free(run->host_side);
	free(run->named);
	free(run->fresh);
	free(run->gone);
	free(run);
}

/* Forgets every id in a scope. */
static void reconcile_scope_clear(struct reconcile_scope *scope)
{
	free(scope->networks);
	free(scope->containers);
	memset(scope, 0, sizeof(*scope));
}

/* Adds an id to one of a scope's lists; too many, or no memory, make it full. */
static void reconcile_scope_add(struct reconcile_scope *scope, bool network, const char *id)
{
	char(**list)[INV_ID_MAX + 1] = network ? &scope->networks : &scope->containers;
	size_t *count = network ? &scope->network_count : &scope->container_count;
	char(*grown)[INV_ID_MAX + 1];

	if (scope->full)
		return;
	for (size_t i = 0; i < *count; i++)
		if (strcmp((*list)[i], id) == 0)
			return;
	if (*count >= RECONCILE_SCOPE_MAX || strlen(id) > INV_ID_MAX ||
	    (grown = reallocarray(*list, *count + 1, sizeof(**list))) == NULL) {
		reconcile_scope_clear(scope);
		scope->full = true;
		return;
	}
	*list = grown;
	snprintf(grown[*count], sizeof(grown[*count]), "%s", id);
	(*count)++;
}

/* True when a scope asks for nothing. */
static bool reconcile_scope_empty(const struct reconcile_scope *scope)
{
	return !scope->full && scope->network_count == 0 && scope->container_count == 0;
}

/* True unless a partial run leaves network n as the last run saw it. */
static bool reconcile_fresh(const struct reconcile_run *run, size_t n)
{
	return !run->partial || run->fresh[n];
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
	call->path = strdup(path);
	call->request = call->path != NULL ? docker_get(run->owner->docker, path, cb, call) : NULL;
	if (call->request == NULL) {
		free(call->path);
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

static void reconcile_forget_answers(struct reconcile *reconcile);

/* Forgets every remembered port and answer (Docker restarted: nothing it said still holds). */
static void reconcile_forget_ports(struct reconcile *reconcile)
{
	free(reconcile->known);
	reconcile->known = NULL;
	reconcile->known_count = 0;
	reconcile->netns_dir[0] = '\0';
	reconcile->docker_epoch++;
	reconcile_forget_answers(reconcile);
}

/* Frees one kept answer's contents. */
static void reconcile_answer_clear(struct reconcile_answer *answer)
{
	for (size_t i = 0; i < answer->id_count; i++)
		free(answer->ids[i]);
	free(answer->ids);
	free(answer->path);
	free(answer->body);
	memset(answer, 0, sizeof(*answer));
}

/* Forgets every kept answer. */
static void reconcile_forget_answers(struct reconcile *reconcile)
{
	for (size_t i = 0; i < reconcile->answer_count; i++)
		reconcile_answer_clear(&reconcile->answers[i]);
	free(reconcile->answers);
	reconcile->answers = NULL;
	reconcile->answer_count = 0;
}

/* The kept answer to path when Docker said exactly the same again, else NULL. */
static struct reconcile_answer *reconcile_same_answer(struct reconcile *reconcile, const char *path,
						      const char *body, size_t len)
{
	for (size_t i = 0; i < reconcile->answer_count; i++) {
		struct reconcile_answer *answer = &reconcile->answers[i];
		if (strcmp(answer->path, path) != 0)
			continue;
		answer->used = true;
		return answer->len == len && memcmp(answer->body, body, len) == 0 ? answer : NULL;
	}
	return NULL;
}

/*
 * Keeps an answer (replacing the one to the same path), taking ids; false
 * on OOM, which only means the next run parses it again.
 */
static bool reconcile_keep_answer(struct reconcile *reconcile, const char *path, const char *body,
				  size_t len, char **ids, size_t id_count)
{
	struct reconcile_answer *answer = NULL, fresh = {0};

	fresh.path = strdup(path);
	fresh.body = malloc(len + 1);
	if (fresh.path == NULL || fresh.body == NULL) {
		free(fresh.path);
		free(fresh.body);
		return false;
	}
	memcpy(fresh.body, body, len);
	fresh.body[len] = '\0';
	fresh.len = len;
	fresh.ids = ids;
	fresh.id_count = id_count;
	fresh.used = true;
	for (size_t i = 0; i < reconcile->answer_count && answer == NULL; i++)
		if (strcmp(reconcile->answers[i].path, path) == 0)
			answer = &reconcile->answers[i];
	if (answer == NULL) {
		struct reconcile_answer *grown = reallocarray(
		    reconcile->answers, reconcile->answer_count + 1, sizeof(*reconcile->answers));
		if (grown == NULL) {
			fresh.ids = NULL;
			fresh.id_count = 0;
			reconcile_answer_clear(&fresh);
			return false;
		}
		reconcile->answers = grown;
		answer = &grown[reconcile->answer_count++];
		memset(answer, 0, sizeof(*answer));
	}
	reconcile_answer_clear(answer);
	*answer = fresh;
	return true;
}

/* Keeps a network list with the ids read from it, one per configured name ("" if absent). */
static void reconcile_keep_ids(struct reconcile *reconcile, const char *path, const char *body,
			       size_t len, char (*ids)[INV_ID_MAX + 1], size_t count)
{
	char **copy = calloc(count + 1, sizeof(*copy));
	size_t made = 0;

	while (copy != NULL && made < count && (copy[made] = strdup(ids[made])) != NULL)
		made++;
	if (copy != NULL && made == count &&
	    reconcile_keep_answer(reconcile, path, body, len, copy, count))
		return;
	for (size_t i = 0; copy != NULL && i < made; i++)
		free(copy[i]);
	free(copy);
}

/* After a successful run: answers no request of it asked for are stale. */
static void reconcile_prune_answers(struct reconcile *reconcile, bool full)
{
	for (size_t i = reconcile->answer_count; i-- > 0;) {
		struct reconcile_answer *answer = &reconcile->answers[i];
		if (!answer->used && full) {
			reconcile_answer_clear(answer);
			reconcile->answers[i] = reconcile->answers[--reconcile->answer_count];
			continue;
		}
		answer->used = false;
	}
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

/* Most ports one bridge may have. */
#define RECONCILE_MEMBERS_MAX 8192

/*
 * Reads every bridge's ports from the kernel (cheap: no Docker call), for
 * every network of the run, fresh or not: a port that appeared without an
 * event is then known to exist, and may send nothing until it is
 * attributed.  A failure is logged and leaves members_read false.
 */
static void reconcile_bridge_members(const struct reconcile *reconcile, struct inventory *inv)
{
	char(*scratch)[TJD_IFNAMSIZ] = NULL;
	char err[256];

	for (size_t n = 0; n < inv->count; n++) {
		struct inv_network *net = &inv->networks[n];
		size_t count = 0;

		free(net->members);
		net->members = NULL;
		net->member_count = 0;
		net->members_read = false;
		if (net->bridge[0] == '\0' || reconcile->ports->bridge_members == NULL)
			continue;
		if (scratch == NULL)
			scratch = malloc(RECONCILE_MEMBERS_MAX * sizeof(*scratch));
		if (scratch == NULL ||
		    reconcile->ports->bridge_members(net, scratch, RECONCILE_MEMBERS_MAX, &count,
						     err, sizeof(err)) < 0 ||
		    (count > 0 && (net->members = calloc(count, sizeof(*net->members))) == NULL)) {
			log_warnx("network %s: cannot list its bridge's ports (%s); ports tjd "
				  "has not attributed are not restricted at layer 2",
				  net->name, scratch != NULL && count == 0 ? err : "out of memory");
			continue;
		}
		if (count > 0)
			memcpy(net->members, scratch, count * sizeof(*scratch));
		net->member_count = count;
		net->members_read = true;
	}
	free(scratch);
}

/* Hands the outcome of a completed run to the owner, then retries or goes again. */
static void reconcile_finish(struct reconcile_run *run)
{
	struct reconcile *reconcile = run->owner;
	struct reconcile_result result = {.withheld = run->withheld};
	int verdict = -1;

	if (!run->failed && run->partial) {
		for (size_t n = run->inventory.count; n-- > 0;)
			if (run->gone[n])
				inventory_remove_network(&run->inventory, n);
	}
	if (!run->failed) {
		reconcile_overlay_lb_ports(reconcile, &run->inventory);
		reconcile_bridge_members(reconcile, &run->inventory);
		if (inventory_note_published(&run->inventory,
					     reconcile->have_last ? &reconcile->last : NULL,
					     time(NULL)) < 0)
			reconcile_fail(run, "published ports: out of memory");
	}
	result.inventory = run->failed ? NULL : &run->inventory;
	result.error = run->failed ? run->error : NULL;
	result.partial = run->partial;
	result.answers_reused = run->reused;
	result.answers_parsed = run->parsed;
	result.elapsed_usec = reconcile_elapsed_usec(&run->started);
	reconcile->run = NULL;
	if (!run->failed)
		reconcile_remember_ports(reconcile, &run->inventory);
	verdict = reconcile->hooks.done(reconcile->hook_arg, &result);
	if (run->failed)
		verdict = -1;
	if (verdict >= 0) {
		/* Taken: the next partial run starts from it. */
		inventory_free(&reconcile->last);
		reconcile->last = run->inventory;
		inventory_init(&run->inventory);
		reconcile->have_last = true;
		reconcile->last_epoch = run->epoch;
		reconcile_prune_answers(reconcile, !run->partial);
	} else {
		/* The kept answers must match the last inventory: start again from nothing. */
		reconcile_forget_answers(reconcile);
	}
	log_debug("reconcile (%s) %s in %u us", run->partial ? "partial" : "full",
		  verdict == 0 ? "done" : "failed", result.elapsed_usec);
	if (verdict != 0) {
		/* What this run was for is still to be done: the retry reads everything. */
		reconcile_scope_clear(&reconcile->wanted);
		reconcile->wanted.full = true;
	}
	reconcile_run_free(run);
	if (verdict == 0) {
		reconcile->backoff_msec = 0;
	} else {
		/* Retry with back-off; the kernel keeps the last good rules meanwhile. */
		reconcile->backoff_msec = reconcile->backoff_msec ? reconcile->backoff_msec * 2
								  : RECONCILE_BACKOFF_MIN_MSEC;
		if (reconcile->backoff_msec > RECONCILE_BACKOFF_MAX_MSEC)
			reconcile->backoff_msec = RECONCILE_BACKOFF_MAX_MSEC;
		reconcile_arm(reconcile->retry, reconcile->backoff_msec);
		return;
	}
	if (!reconcile_scope_empty(&reconcile->wanted))
		reconcile_schedule(reconcile, "changes during the last reconcile");
	else if (reconcile->containers_wanted)
		reconcile_schedule(reconcile, "a container with a firewall of its own");
}

/* Moves to the next stage once every request of this one has answered. */
static void reconcile_advance(struct reconcile_run *run);

/*
 * The run's host-side table of network n's bridge (read by netns.c when a
 * lookup needs it); NULL when out of memory, and the lookup reads its own.
 */
static struct netns_peers *reconcile_host_side(struct reconcile_run *run, size_t n)
{
	if (run->host_side == NULL) {
		run->host_side = calloc(run->inventory.count, sizeof(*run->host_side));
		if (run->host_side == NULL)
			return NULL;
		run->host_side_count = run->inventory.count;
	}
	return n < run->host_side_count ? &run->host_side[n] : NULL;
}

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
	    run->owner->ports->bridge_port(
		sandbox, endpoint->mac, net->bridge, reconcile_host_side(run, call->network),
		endpoint->bridge_port, sizeof(endpoint->bridge_port), err, sizeof(err)) < 0) {
		/*
		 * Not fatal for the run: fail closed.  An allow-listed container's
		 * allowance is withheld; and any container's port, not attributed,
		 * may send nothing at layer 2.
		 */
		endpoint->bridge_port[0] = '\0';
		if (run->withheld[0] == '\0')
			snprintf(run->withheld, sizeof(run->withheld),
				 "%scontainer %.64s on %.64s: bridge port unknown (%.200s); %s",
				 endpoint->allowed ? "allow-listed " : "", endpoint->name,
				 net->name, sandbox[0] ? err : "no sandbox",
				 endpoint->allowed ? "withholding its allowance"
						   : "it may send nothing at layer 2");
		else
			log_warnx("%scontainer %s on %s: bridge port unknown (%s); %s",
				  endpoint->allowed ? "allow-listed " : "", endpoint->name,
				  net->name, sandbox[0] ? err : "no sandbox",
				  endpoint->allowed ? "withholding its allowance"
						    : "it may send nothing at layer 2");
	}
out:
	reconcile_advance(run);
}

/*
 * The container ids of a container list answer: those of an identical
 * earlier answer, or parsed (what is parsed must then go to
 * reconcile_ids_done).  *same says which; 0, or -1 with err set.
 */
static int reconcile_ids(struct reconcile_run *run, const struct reconcile_call *call,
			 const char *body, size_t len, char ***ids, size_t *count,
			 struct reconcile_answer **same, char *err, size_t errlen)
{
	*same = reconcile_same_answer(run->owner, call->path, body, len);
	if (*same != NULL) {
		*ids = (*same)->ids;
		*count = (*same)->id_count;
		run->reused++;
		return 0;
	}
	if (docker_json_container_ids(body, len, ids, count, err, errlen) < 0)
		return -1;
	run->parsed++;
	return 0;
}

/* Keeps parsed ids for the next run's identical answer, or frees them. */
static void reconcile_ids_done(struct reconcile_run *run, const struct reconcile_call *call,
			       const char *body, size_t len, char **ids, size_t count,
			       const struct reconcile_answer *same)
{
	if (same != NULL || reconcile_keep_answer(run->owner, call->path, body, len, ids, count))
		return;
	for (size_t i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
}

/* Stage ALLOWED: marks the endpoints an allow filter matched. */
static void reconcile_allowed_done(void *arg, long status, const char *body, size_t len,
				   const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	struct reconcile_answer *same;
	struct inv_network *net;
	char **ids = NULL;
	size_t count = 0;
	char err[256];

	if (!reconcile_response_ok(call, "container list", status, error))
		goto out;
	net = &run->inventory.networks[call->network];
	if (reconcile_ids(run, call, body, len, &ids, &count, &same, err, sizeof(err)) < 0) {
		reconcile_fail(run, "container list for %s: %s", net->name, err);
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		struct inv_endpoint *endpoint = inv_network_find_endpoint(net, ids[i]);
		if (endpoint != NULL)
			endpoint->allowed = true;
	}
	reconcile_ids_done(run, call, body, len, ids, count, same);
out:
	reconcile_advance(run);
}

/*
 * Fills `net` with what the last inventory says of it, as a parse of the
 * same answer would: allowances and ports are found again by the stages
 * after.  0, or -1 on OOM.
 */
static int reconcile_reuse_network(struct inv_network *net, const struct inv_network *last)
{
	struct inv_endpoint *endpoints = NULL;

	if (last->endpoint_count > 0) {
		endpoints = calloc(last->endpoint_count, sizeof(*endpoints));
		if (endpoints == NULL)
			return -1;
		memcpy(endpoints, last->endpoints, last->endpoint_count * sizeof(*endpoints));
	}
	free(net->endpoints);
	free(net->members);
	*net = *last;
	net->endpoints = endpoints;
	net->endpoint_capacity = net->endpoint_count;
	net->members = NULL; /* read again at the end of the run */
	net->member_count = 0;
	for (size_t e = 0; e < net->endpoint_count; e++) {
		net->endpoints[e].allowed = false;
		net->endpoints[e].bridge_port[0] = '\0';
	}
	return 0;
}

/* Stage INSPECT: fills one network of the inventory. */
static void reconcile_inspect_done(void *arg, long status, const char *body, size_t len,
				   const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	const struct inv_network *last;
	struct inv_network *net;
	char err[256], expected_name[INV_NAME_MAX + 1];

	/* In a partial run a network can have gone since the last one: drop it. */
	if (run->partial && error == NULL && status == 404 && !run->failed) {
		call->request = NULL;
		run->pending--;
		run->gone[call->network] = true;
		goto out;
	}
	if (!reconcile_response_ok(call, "network inspect", status, error))
		goto out;
	net = &run->inventory.networks[call->network];
	snprintf(expected_name, sizeof(expected_name), "%s", net->name);
	/* Docker said exactly what it said last time: the network is as tjd last took it. */
	if (reconcile_same_answer(run->owner, call->path, body, len) != NULL &&
	    (last = inventory_find_network_id(&run->owner->last, net->id)) != NULL &&
	    strcmp(last->name, expected_name) == 0) {
		if (reconcile_reuse_network(net, last) < 0)
			reconcile_fail(run, "out of memory");
		run->reused++;
		goto out;
	}
	if (docker_json_parse_network(body, len, net, err, sizeof(err)) < 0) {
		reconcile_fail(run, "network %s: %s", expected_name, err);
		goto out;
	}
	run->parsed++;
	(void)reconcile_keep_answer(run->owner, call->path, body, len, NULL, 0);
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
	struct reconcile_answer *same;
	const char **names = NULL;
	char(*ids)[INV_ID_MAX + 1] = NULL;
	char err[256];

	if (!reconcile_response_ok(call, "network list", status, error))
		goto out;
	names = calloc(conf->network_count + 1, sizeof(*names));
	ids = calloc(conf->network_count + 1, sizeof(*ids));
	if (names == NULL || ids == NULL) {
		reconcile_fail(run, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < conf->network_count; i++)
		names[i] = conf->networks[i].name;
	/* The same list as last time (the path names the same networks in order): same ids. */
	same = reconcile_same_answer(run->owner, call->path, body, len);
	if (same != NULL && same->id_count == conf->network_count) {
		for (size_t i = 0; i < conf->network_count; i++)
			snprintf(ids[i], sizeof(ids[i]), "%s", same->ids[i]);
		run->reused++;
	} else if (docker_json_find_networks(body, len, names, conf->network_count, ids, err,
					     sizeof(err)) < 0) {
		reconcile_fail(run, "network list: %s", err);
		goto out;
	} else {
		run->parsed++;
		reconcile_keep_ids(run->owner, call->path, body, len, ids, conf->network_count);
	}
	for (size_t i = 0; i < conf->network_count; i++) {
		struct inv_network *net;
		if (ids[i][0] == '\0')
			continue;
		net = inventory_add_network(&run->inventory);
		if (net == NULL) {
			reconcile_fail(run, "out of memory");
			break;
		}
		snprintf(net->id, sizeof(net->id), "%s", ids[i]);
		snprintf(net->name, sizeof(net->name), "%s", conf->networks[i].name);
	}
out:
	free(names);
	free(ids);
	reconcile_advance(run);
}

/*
 * GET /networks, narrowed to the configured names (whatever else the host
 * has is not read); NULL when nothing is configured, so nothing to ask.
 */
static char *reconcile_networks_path(struct reconcile_run *run)
{
	const struct conf *conf = run->owner->conf;
	const char **names = calloc(conf->network_count + 1, sizeof(*names));
	char *filters = NULL, *escaped = NULL, *path = NULL;
	char err[256];

	if (names == NULL || conf->network_count == 0)
		goto out;
	for (size_t i = 0; i < conf->network_count; i++)
		names[i] = conf->networks[i].name;
	filters = docker_network_names_filter(names, conf->network_count, err, sizeof(err));
	escaped = filters != NULL ? docker_escape(filters) : NULL;
	if (escaped != NULL && asprintf(&path, "/networks?filters=%s", escaped) < 0)
		path = NULL;
	if (path == NULL)
		reconcile_fail(run, "network list: %s", filters ? "out of memory" : err);
out:
	free(names);
	free(filters);
	free(escaped);
	return path;
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
		if (!reconcile_fresh(run, n))
			continue;
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

		if (!reconcile_fresh(run, n) || (run->gone != NULL && run->gone[n]))
			continue;
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

		if (!reconcile_fresh(run, n) || (run->gone != NULL && run->gone[n]))
			continue;
		if (net->bridge[0] == '\0' && !overlay_network(net))
			continue;
		if (overlay_network(net))
			reconcile_overlay_probe(run, n);
		for (size_t e = 0; e < net->endpoint_count; e++) {
			struct reconcile_call *call;
			/* Layer 2 binds every container of a bridge network to its port. */
			if ((!net->endpoints[e].allowed && overlay_network(net)) ||
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

/* Whether a label is one of a container firewall's (dcfw.*, tjd.enable, tjd.input.*, tjd.output.*).
 */
static bool reconcile_policy_label(const char *key)
{
	return strncmp(key, "dcfw.", 5) == 0 || strcmp(key, "tjd.enable") == 0 ||
	       strncmp(key, "tjd.input.", 10) == 0 || strncmp(key, "tjd.output.", 11) == 0;
}

/* Turns one listed container into the inventory's form; 0, or -1 on OOM. */
static int reconcile_container_take(const struct docker_container *from, struct inv_container *to)
{
	size_t addresses = 0;

	memset(to, 0, sizeof(*to));
	snprintf(to->id, sizeof(to->id), "%s", from->id);
	snprintf(to->name, sizeof(to->name), "%s", from->name);
	snprintf(to->network_mode, sizeof(to->network_mode), "%s", from->network_mode);
	to->running = from->running || from->state[0] == '\0';
	if (from->label_count > 0) {
		to->labels = calloc(from->label_count, sizeof(*to->labels));
		if (to->labels == NULL)
			goto fail;
	}
	for (size_t i = 0; i < from->label_count; i++) {
		to->labels[i].key = strdup(from->labels[i].key);
		to->labels[i].value = strdup(from->labels[i].value);
		to->label_count++;
		if (to->labels[i].key == NULL || to->labels[i].value == NULL)
			goto fail;
		to->policy = to->policy || reconcile_policy_label(from->labels[i].key);
	}
	if (from->address_count > 0) {
		to->addresses = calloc(2 * from->address_count, sizeof(*to->addresses));
		if (to->addresses == NULL)
			goto fail;
	}
	for (size_t i = 0; i < from->address_count; i++) {
		if (from->addresses[i].ipv4.family != 0)
			to->addresses[addresses++] = from->addresses[i].ipv4;
		if (from->addresses[i].ipv6.family != 0)
			to->addresses[addresses++] = from->addresses[i].ipv6;
	}
	to->address_count = addresses;
	if (from->binding_count > 0) {
		to->bindings = calloc(from->binding_count, sizeof(*to->bindings));
		if (to->bindings == NULL)
			goto fail;
		memcpy(to->bindings, from->bindings, from->binding_count * sizeof(*to->bindings));
		to->binding_count = from->binding_count;
	}
	return 0;
fail:
	inv_container_free(to);
	return -1;
}

/*
 * The namespace an earlier run found for a container, while a namespace is
 * still mounted there.  dockerd may leave a plain file at a namespace's
 * path when it replaces the namespace (a restart without live-restore):
 * stat() finds it, but it is no namespace, and the container lives in a
 * new one elsewhere, which only an inspect finds.
 */
static void reconcile_recall_netns(const struct reconcile *reconcile,
				   struct inv_container *container)
{
	const struct inv_container *before =
	    reconcile->have_last && reconcile->last_epoch == reconcile->docker_epoch
		? inventory_find_container(&reconcile->last, container->id)
		: NULL;
	struct statfs fs;

	/*
	 * a container restarted while tjd listened has a new namespace and left the list
	 * meanwhile; one restarted while it did not is not recalled (see docker_epoch)
	 */
	if (before != NULL && before->netns[0] != '\0' && statfs(before->netns, &fs) == 0 &&
	    (unsigned long)fs.f_type == (unsigned long)NSFS_MAGIC)
		snprintf(container->netns, sizeof(container->netns), "%s", before->netns);
}

static bool reconcile_named(const struct reconcile_run *run, const char *id);

/* Stage CONTAINERS: every running container, for their policies and for names in rules. */
static void reconcile_containers_done(void *arg, long status, const char *body, size_t len,
				      const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	struct inventory *inv = &run->inventory;
	struct docker_container *listed = NULL;
	size_t count = 0;
	char err[256];

	if (!reconcile_response_ok(call, "container list", status, error))
		goto out;
	if (docker_json_container_list(body, len, &listed, &count, err, sizeof(err)) < 0) {
		reconcile_fail(run, "container list: %s", err);
		goto out;
	}
	run->parsed++;
	inventory_free_containers(inv);
	if (count > INV_MAX_CONTAINERS) {
		reconcile_fail(run, "container list: more than %d containers", INV_MAX_CONTAINERS);
		goto out;
	}
	inv->containers = calloc(count ? count : 1, sizeof(*inv->containers));
	if (inv->containers == NULL) {
		reconcile_fail(run, "container list: out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		struct inv_container *container = &inv->containers[inv->container_count];
		const char *state = listed[i].state;

		/*
		 * The list holds running containers; one in another state (a
		 * created one, listed as it is being started) is kept too when
		 * Docker shows it, as its namespace may be there already.
		 */
		if (state[0] != '\0' && strcmp(state, "running") != 0 &&
		    strcmp(state, "created") != 0)
			continue;
		if (reconcile_container_take(&listed[i], container) < 0) {
			reconcile_fail(run, "container list: out of memory");
			goto out;
		}
		inv->container_count++;
		/* an event named it (started, died, connected): its namespace may be new */
		if (!reconcile_named(run, container->id))
			reconcile_recall_netns(run->owner, container);
	}
	inv->containers_read = true;
out:
	for (size_t i = 0; i < count; i++)
		docker_container_free(&listed[i]);
	free(listed);
	reconcile_advance(run);
}

static void reconcile_stage_containers(struct reconcile_run *run)
{
	if (!run->owner->conf->container_rules && !policy_host_wanted(run->owner->conf)) {
		inventory_free_containers(&run->inventory);
		return;
	}
	(void)reconcile_get(run, "/containers/json", reconcile_containers_done);
}

/* Stage MATCHES: the containers one filter expression matched. */
static void reconcile_match_done(void *arg, long status, const char *body, size_t len,
				 const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	struct reconcile_answer *same;
	struct inv_match *match;
	char **ids = NULL;
	size_t count = 0;
	char err[256];

	if (!reconcile_response_ok(call, "container list", status, error))
		goto out;
	match = &run->inventory.matches[call->endpoint];
	if (reconcile_ids(run, call, body, len, &ids, &count, &same, err, sizeof(err)) < 0) {
		reconcile_fail(run, "containers matching \"%.200s\": %s", match->expression, err);
		goto out;
	}
	match->ids = calloc(count ? count : 1, sizeof(*match->ids));
	for (size_t i = 0; match->ids != NULL && i < count; i++) {
		match->ids[i] = strdup(ids[i]);
		if (match->ids[i] == NULL)
			break;
		match->id_count++;
	}
	if (match->ids == NULL || match->id_count != count)
		reconcile_fail(run, "containers matching \"%.200s\": out of memory",
			       match->expression);
	reconcile_ids_done(run, call, body, len, ids, count, same);
out:
	reconcile_advance(run);
}

/* Asks Docker which containers one expression matches (in one network, or anywhere). */
static void reconcile_match_query(void *arg, const char *expression, const char *network)
{
	struct reconcile_run *run = arg;
	struct inventory *inv = &run->inventory;
	const struct inv_network *net = NULL;
	struct inv_match *grown, *match;
	struct reconcile_call *call;
	char *filters, *escaped = NULL, *path = NULL, err[256];

	if (run->failed)
		return;
	if (network != NULL) {
		net = inventory_find_network(inv, network);
		if (net == NULL)
			return; /* not there: its rules have no one to name */
	}
	if (inventory_find_match(inv, expression, net != NULL ? net->id : "") != NULL)
		return;
	grown = reallocarray(inv->matches, inv->match_count + 1, sizeof(*inv->matches));
	if (grown == NULL) {
		reconcile_fail(run, "filter \"%.200s\": out of memory", expression);
		return;
	}
	inv->matches = grown;
	match = &inv->matches[inv->match_count];
	memset(match, 0, sizeof(*match));
	match->expression = strdup(expression);
	if (match->expression == NULL) {
		reconcile_fail(run, "filter \"%.200s\": out of memory", expression);
		return;
	}
	if (net != NULL)
		snprintf(match->network_id, sizeof(match->network_id), "%s", net->id);
	inv->match_count++;
	filters = docker_filters_json(expression, net != NULL ? net->id : NULL, err, sizeof(err));
	escaped = filters != NULL ? docker_escape(filters) : NULL;
	if (escaped == NULL || asprintf(&path, "/containers/json?filters=%s", escaped) < 0)
		path = NULL;
	if (path == NULL || strlen(path) >= 4096) {
		reconcile_fail(run, "filter \"%.200s\": %s", expression,
			       filters == NULL ? err
			       : path == NULL  ? "out of memory"
					       : "too long");
	} else {
		call = reconcile_get(run, path, reconcile_match_done);
		if (call != NULL)
			call->endpoint = inv->match_count - 1;
	}
	free(filters);
	free(escaped);
	free(path);
}

static void reconcile_stage_matches(struct reconcile_run *run)
{
	inventory_free_matches(&run->inventory);
	policy_host_queries(run->owner->conf, reconcile_match_query, run);
	run->inventory.matches_read = !run->failed;
}

/* Stage POLICY_SANDBOXES: one container's network namespace. */
static void reconcile_policy_sandbox_done(void *arg, long status, const char *body, size_t len,
					  const char *error)
{
	struct reconcile_call *call = arg;
	struct reconcile_run *run = call->run;
	struct inv_container *container;
	struct docker_container inspected;
	char err[256];

	memset(&inspected, 0, sizeof(inspected));
	if (!reconcile_response_ok(call, "container inspect", status, error))
		goto out;
	container = &run->inventory.containers[call->endpoint];
	if (docker_json_container_inspect(body, len, &inspected, err, sizeof(err)) < 0) {
		reconcile_fail(run, "container %.12s: %s", container->id, err);
		goto out;
	}
	run->parsed++;
	/* a path longer than tjd keeps stays unknown: that container's policy is reported, not
	 * applied */
	if (strlen(inspected.sandbox_key) <= INV_NETNS_PATH_MAX)
		snprintf(container->netns, sizeof(container->netns), "%s", inspected.sandbox_key);
	else
		log_warnx("container %s: network namespace path longer than %d bytes",
			  container->name, INV_NETNS_PATH_MAX);
out:
	docker_container_free(&inspected);
	reconcile_advance(run);
}

/* Whether some container with a policy runs in `owner`'s namespace (network_mode container:). */
static bool reconcile_namespace_wanted(const struct inventory *inv,
				       const struct inv_container *owner)
{
	if (owner->policy)
		return true;
	for (size_t i = 0; i < inv->container_count; i++) {
		const char *mode = inv->containers[i].network_mode;

		if (inv->containers[i].policy && strncmp(mode, "container:", 10) == 0 &&
		    (strcmp(mode + 10, owner->id) == 0 || strcmp(mode + 10, owner->name) == 0))
			return true;
	}
	return false;
}

/*
 * Whether an event behind this run named the container: a created one is
 * worth an inspect then (it is being started: its namespace may be there
 * before its process runs), not at every poll.
 */
static bool reconcile_named(const struct reconcile_run *run, const char *id)
{
	for (size_t i = 0; i < run->named_count; i++)
		if (strcmp(run->named[i], id) == 0)
			return true;
	return false;
}

static void reconcile_stage_policy_sandboxes(struct reconcile_run *run)
{
	struct inventory *inv = &run->inventory;
	char path[256];

	for (size_t i = 0; i < inv->container_count && !run->failed; i++) {
		struct inv_container *container = &inv->containers[i];
		struct reconcile_call *call;

		if (!run->owner->conf->container_rules)
			break;
		if (container->netns[0] != '\0' || strcmp(container->network_mode, "host") == 0 ||
		    strncmp(container->network_mode, "container:", 10) == 0 ||
		    !reconcile_namespace_wanted(inv, container) ||
		    (!container->running && !reconcile_named(run, container->id)))
			continue;
		snprintf(path, sizeof(path), "/containers/%s/json", container->id);
		call = reconcile_get(run, path, reconcile_policy_sandbox_done);
		if (call != NULL)
			call->endpoint = i;
	}
}

/* Whether the last inventory holds a container with a firewall of its own. */
static bool reconcile_last_has_policy(const struct reconcile *reconcile)
{
	for (size_t i = 0; reconcile->have_last && i < reconcile->last.container_count; i++)
		if (reconcile->last.containers[i].policy)
			return true;
	return false;
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
			if (run->partial && !run->containers) {
				/*
				 * No container with a firewall of its own is known or
				 * named: an event about the networks reads nothing more
				 * (Docker answers the container list slowly while a
				 * container starts; the network's rules must not wait).
				 */
				reconcile_finish(run);
				return;
			}
			run->stage = RECONCILE_STAGE_CONTAINERS;
			reconcile_stage_containers(run);
			break;
		case RECONCILE_STAGE_CONTAINERS:
			run->stage = RECONCILE_STAGE_MATCHES;
			reconcile_stage_matches(run);
			break;
		case RECONCILE_STAGE_MATCHES:
			run->stage = RECONCILE_STAGE_POLICY_SANDBOXES;
			reconcile_stage_policy_sandboxes(run);
			break;
		case RECONCILE_STAGE_POLICY_SANDBOXES:
			reconcile_finish(run);
			return;
		}
	}
	if (run->failed && run->pending == 0)
		reconcile_finish(run);
}

/*
 * Turns the wanted scope into the networks of a partial run: false when
 * it must be a full run.  Containers tjd does not know are on no
 * protected network as far as the last run saw; had one joined since,
 * Docker's connect event for that network is in this scope or was read by
 * a later run, so it can be left out.
 */
static bool reconcile_partial(struct reconcile *reconcile, struct reconcile_run *run,
			      const struct reconcile_scope *scope)
{
	const struct inventory *last = &reconcile->last;

	if (scope->full || !reconcile->have_last || last->count == 0)
		return false;
	if (inventory_copy(&run->inventory, last) < 0)
		return false;
	run->fresh = calloc(last->count, sizeof(*run->fresh));
	run->gone = calloc(last->count, sizeof(*run->gone));
	if (run->fresh == NULL || run->gone == NULL) {
		inventory_free(&run->inventory);
		return false;
	}
	for (size_t n = 0; n < last->count; n++) {
		const struct inv_network *net = &last->networks[n];
		for (size_t i = 0; i < scope->network_count && !run->fresh[n]; i++)
			run->fresh[n] = strcmp(net->id, scope->networks[i]) == 0;
		for (size_t i = 0; i < scope->container_count && !run->fresh[n]; i++)
			run->fresh[n] = inv_network_find_endpoint((struct inv_network *)net,
								  scope->containers[i]) != NULL;
		if (run->fresh[n])
			inv_network_clear(&run->inventory.networks[n]);
	}
	run->partial = true;
	return true;
}

/* Starts a run if none is in flight: full, or only what the wanted scope names. */
static void reconcile_begin(struct reconcile *reconcile)
{
	struct reconcile_scope scope = reconcile->wanted;
	struct reconcile_run *run;
	char *path;
	bool any = false, containers;

	if (reconcile->run != NULL)
		return; /* the wanted scope waits for the run in flight to finish */
	event_del(reconcile->retry);
	memset(&reconcile->wanted, 0, sizeof(reconcile->wanted));
	containers = reconcile->containers_wanted;
	reconcile->containers_wanted = false;
	if (reconcile_scope_empty(&scope) && !containers)
		return;
	run = calloc(1, sizeof(*run));
	if (run == NULL) {
		struct reconcile_result result = {.error = "out of memory starting a reconcile",
						  .withheld = ""};
		reconcile_scope_clear(&scope);
		reconcile->wanted.full = true;
		reconcile->hooks.done(reconcile->hook_arg, &result);
		reconcile_arm(reconcile->retry, RECONCILE_BACKOFF_MAX_MSEC);
		return;
	}
	run->owner = reconcile;
	run->epoch = reconcile->docker_epoch;
	inventory_init(&run->inventory);
	clock_gettime(CLOCK_MONOTONIC, &run->started);
	reconcile->run = run;
	if (reconcile_partial(reconcile, run, &scope)) {
		bool container_event = scope.container_count > 0 || containers;

		/* some container carries a policy (or an event said one does): read them */
		run->containers = (reconcile->conf->container_rules &&
				   (containers || reconcile_last_has_policy(reconcile))) ||
				  policy_host_wanted(reconcile->conf);
		/* kept: a created container is inspected only when an event names it */
		if (container_event) {
			run->named = calloc(scope.container_count, sizeof(*run->named));
			if (run->named != NULL) {
				memcpy(run->named, scope.containers,
				       scope.container_count * sizeof(*run->named));
				run->named_count = scope.container_count;
			}
		}

		reconcile_scope_clear(&scope);
		for (size_t n = 0; n < run->inventory.count; n++)
			any = any || run->fresh[n];
		if (!any && !(container_event && run->containers)) {
			/* Nothing tjd protects was touched: nothing to read. */
			reconcile->run = NULL;
			reconcile_run_free(run);
			return;
		}
		/* only containers changed: their firewalls are all there is to read */
		run->stage = any ? RECONCILE_STAGE_NETWORKS : RECONCILE_STAGE_SANDBOXES;
		reconcile_advance(run);
		return;
	}
	reconcile_scope_clear(&scope);
	memcpy(run->inventory.netns_dir, reconcile->netns_dir, sizeof(run->inventory.netns_dir));
	run->stage = RECONCILE_STAGE_NETWORKS;
	path = reconcile_networks_path(run);
	if (path == NULL && !run->failed && policy_host_wanted(reconcile->conf)) {
		/* no network to protect, but sets and published ports need the containers */
		run->stage = RECONCILE_STAGE_SANDBOXES;
		reconcile_advance(run);
		return;
	}
	/* Nothing configured: nothing to ask Docker (the run still tells the owner so). */
	if (path == NULL || reconcile_get(run, path, reconcile_networks_done) == NULL) {
		free(path);
		reconcile_finish(run);
		return;
	}
	free(path);
}

/* Timer callback for debounce and retry. */
static void reconcile_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	reconcile_begin(arg);
}

/* Starts the debounce unless it runs or a run is in flight (which reschedules at its end). */
static void reconcile_schedule(struct reconcile *reconcile, const char *reason)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = RECONCILE_DEBOUNCE_USEC};

	log_debug("reconcile requested: %s", reason);
	if (reconcile->run != NULL)
		return;
	if (!evtimer_pending(reconcile->debounce, NULL))
		event_add(reconcile->debounce, &tv);
}

void reconcile_request(struct reconcile *reconcile, const char *reason)
{
	reconcile_scope_clear(&reconcile->wanted);
	reconcile->wanted.full = true;
	reconcile_schedule(reconcile, reason);
}

/* True when a network event is about a network tjd protects or may protect. */
static bool reconcile_event_network_matters(const struct reconcile *reconcile,
					    const struct docker_event *event)
{
	if (reconcile->have_last && inventory_find_network_id(&reconcile->last, event->id) != NULL)
		return true;
	/* A network tjd does not know, named: only a configured name can matter. */
	return event->name[0] == '\0' || conf_find_network(reconcile->conf, event->name) != NULL;
}

/* One line of Docker's event stream: which part of Docker's state to read again. */
static void reconcile_event_line(void *arg, const char *line, size_t len)
{
	struct reconcile *reconcile = arg;
	struct docker_event event;
	char err[256], reason[160];
	bool known;

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
	if (strcmp(event.type, "network") == 0) {
		/*
		 * A container joins a network before its process starts: the
		 * earliest moment its own firewall can go in.
		 */
		if (reconcile->conf->container_rules && strcmp(event.action, "connect") == 0 &&
		    event.container[0] != '\0' &&
		    !reconcile_event_network_matters(reconcile, &event)) {
			reconcile_scope_add(&reconcile->wanted, false, event.container);
			reconcile_schedule(reconcile, reason);
			return;
		}
		if (!reconcile_event_network_matters(reconcile, &event)) {
			log_debug("ignoring %s: not a protected network", reason);
			return;
		}
		known = reconcile->have_last &&
			inventory_find_network_id(&reconcile->last, event.id) != NULL;
		if (known)
			reconcile_scope_add(&reconcile->wanted, true, event.id);
		else
			reconcile_request(reconcile, reason);
	} else if (strcmp(event.type, "container") == 0) {
		if (event.policy)
			reconcile->containers_wanted = true;
		if (policy_host_wanted(reconcile->conf)) {
			/* a container's addresses, ports and filters may be in sets and rules */
			reconcile_request(reconcile, reason);
			return;
		}
		reconcile_scope_add(&reconcile->wanted, false, event.id);
	} else {
		reconcile_scope_clear(&reconcile->wanted);
		reconcile->wanted.full = true;
	}
	reconcile_schedule(reconcile, reason);
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
	reconcile_forget_answers(reconcile);
	reconcile_scope_clear(&reconcile->wanted);
	inventory_free(&reconcile->last);
	free(reconcile);
}

const struct inventory *reconcile_inventory(const struct reconcile *reconcile)
{
	return &reconcile->last;
}

size_t reconcile_memory(const struct reconcile *reconcile)
{
	size_t bytes = sizeof(*reconcile) + reconcile->last.capacity * sizeof(struct inv_network) +
		       reconcile->known_count * sizeof(*reconcile->known) +
		       reconcile->answer_count * sizeof(*reconcile->answers);

	for (size_t n = 0; n < reconcile->last.count; n++)
		bytes +=
		    reconcile->last.networks[n].endpoint_capacity * sizeof(struct inv_endpoint);
	for (size_t i = 0; i < reconcile->answer_count; i++) {
		const struct reconcile_answer *answer = &reconcile->answers[i];
		bytes +=
		    strlen(answer->path) + 1 + answer->len + 1 + answer->id_count * sizeof(char *);
		for (size_t j = 0; j < answer->id_count; j++)
			bytes += strlen(answer->ids[j]) + 1;
	}
	return bytes;
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
