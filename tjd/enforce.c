/*
 * The enforcement layer; see enforce.h.
 *
 * Every write to the firewall is a call to enforce_commit (a ruleset into
 * one target) or enforce_target_clear, and those are the only callers of
 * a backend's apply and clear.  A target is one network namespace with a
 * backend opened in it (tjd/backend-netns.h) and the ruleset tjd last
 * committed there, which is what drift is judged against.
 */
#include "config.h"

#include "tjd/enforce.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "tjd/backend-netns.h"
#include "tjd/policy.h"
#include "tjd/state.h"

/* One network namespace tjd writes rules into. */
struct enforce_target {
	char network_id[INV_ID_MAX + 1]; /* "" for tjd's own namespace */
	char network_name[INV_NAME_MAX + 1];
	struct backend_netns netns;
	/*
	 * Layer 2 beside an IP backend that has none (iptables): the nftables
	 * bridge table, committed right after the IP rules, repaired with them.
	 */
	struct backend_netns layer2;
	bool has_layer2;
	struct ruleset installed; /* what tjd last committed here */
	bool has_installed;	  /* installed is known to be in the kernel */
	size_t rule_count;
	bool wanted; /* scratch: in the plan being applied */
	/* Another namespace's change notifications (the host's are enforce's own). */
	struct event *monitor_event;
	int monitor_fd; /* the fd monitor_event watches, -1 when none */
};

/* How many rules the host ruleset gives one network. */
struct enforce_network_rules {
	char network_id[INV_ID_MAX + 1];
	size_t count;
};

struct enforce {
	struct event_base *base;
	char instance_id[64];
	char *state_file;
	bool dry_run;
	bool unowned_tables;		      /* enforce_options.unowned_tables */
	const struct backend_ops *forced_ops; /* enforce_options.ops */
	bool stopping;
	struct enforce_target host;
	struct enforce_target *namespaces;
	size_t namespace_count;
	struct enforce_network_rules *host_rules;
	size_t host_rules_count;
	struct enforce_stats stats;
	bool state_dirty; /* the host ruleset changed since it was last saved */
	char backend_reason[256];
	char layer2_reason[256];
	struct event *monitor_event;
	/* The backends tjd does not use, opened to clear what an earlier run left in them. */
	struct backend other[2];
	size_t other_count;
	struct event *layer2_event; /* the layer-2 companion's change notifications */
	void (*drift_hook)(void *arg);
	void *drift_arg;
	struct state_netns saved_netns; /* the namespaces the state file lists */
	/* Namespaces the saved state listed, not yet seen in a plan: cleared at the first apply. */
	struct state_netns restored_netns;
	bool conntrack_purge; /* enforce_options.conntrack_purge */
	/* The container problems the last apply logged (policy_target.problem). */
	char (*problems)[400];
	size_t problem_count;
	struct enforce_container_status *containers; /* for status, from the last apply */
	size_t container_count;
	struct policy_conntrack purged; /* what the last purge (or apply) judged by */
	bool purged_once;
	struct enforce_set_change *set_changes; /* when each host set's members last changed */
	size_t set_change_count;
	struct ruleset sets_seen; /* the host ruleset those times were taken from */
};

/* When one named set of the host ruleset last changed its members. */
struct enforce_set_change {
	char name[RULE_SET_NAME_MAX];
	time_t changed;
};

static void enforce_retire_other(struct enforce *enforce);
static void enforce_open_layer2(struct enforce *enforce);

/* Arguments of enforce_apply_fn. */
struct enforce_apply_arg {
	const struct ruleset *rules;
	bool changed;
};

/* Runs inside the target's namespace: the backend's apply. */
static int enforce_apply_fn(struct backend *backend, void *arg, char *err, size_t errlen)
{
	struct enforce_apply_arg *apply = arg;

	return backend->ops->apply(backend, apply->rules, &apply->changed, err, errlen);
}

/* Runs inside the target's namespace: the backend's clear. */
static int enforce_clear_fn(struct backend *backend, void *arg, char *err, size_t errlen)
{
	return backend->ops->clear(backend, err, errlen);
}

/* Names a target for messages. */
static const char *enforce_target_name(const struct enforce_target *target)
{
	return target->netns.path[0] != '\0' ? target->netns.path : "tjd's network namespace";
}

/*
 * Commits `desired` to one target.  The one rule for drift: the kernel
 * differed although tjd wanted exactly what it had committed there before,
 * so someone else changed it.  Unless `verify`, a target whose drift is
 * watched (tjd's own namespace: the backend reports every foreign change,
 * or it is compared every ENFORCE_DRIFT_CHECK_MSEC) is not read back when
 * tjd wants what it committed there: the watch repairs it otherwise.
 * Returns 1 committed (or already in place), 0 the namespace is gone
 * (nothing to protect in it), -1 error.
 */
static int enforce_commit(struct enforce *enforce, struct enforce_target *target,
			  const struct ruleset *desired, bool verify, bool *changed, char *err,
			  size_t errlen)
{
	struct enforce_apply_arg apply = {.rules = desired};
	bool repair;
	int rc;

	*changed = false;
	if (enforce->stopping) {
		error_format(err, errlen, "tjd is stopping");
		return -1;
	}
	if (!verify && target == &enforce->host && enforce->monitor_event != NULL &&
	    target->has_installed && ruleset_equal(desired, &target->installed))
		return 1;
	rc = backend_netns_run(&target->netns, true, enforce_apply_fn, &apply, err, errlen);
	if (rc > 0 && target->has_layer2) {
		struct enforce_apply_arg layer2 = {.rules = desired};
		rc = backend_netns_run(&target->layer2, true, enforce_apply_fn, &layer2, err,
				       errlen);
		apply.changed = apply.changed || layer2.changed;
	}
	if (rc <= 0) {
		if (rc == 0)
			target->has_installed = false;
		return rc;
	}
	/* A namespace opened afresh (new, or re-created by dockerd) held nothing of ours. */
	if (target->netns.fresh)
		target->has_installed = false;
	*changed = apply.changed;
	repair =
	    apply.changed && target->has_installed && ruleset_equal(desired, &target->installed);
	if (apply.changed) {
		enforce->stats.apply_count++;
		if (repair) {
			enforce->stats.drift_repairs++;
			log_warnx("repaired drift in %s: tjd's rules had been changed outside tjd",
				  enforce_target_name(target));
		} else if (target == &enforce->host) {
			enforce->state_dirty = true;
		}
	}
	if (target == &enforce->host)
		enforce_retire_other(enforce);
	if (desired != &target->installed && ruleset_copy(&target->installed, desired) < 0) {
		/* The kernel holds it; only the record is lost, so the next apply commits. */
		target->has_installed = false;
		error_format(err, errlen, "out of memory");
		return -1;
	}
	target->has_installed = true;
	return 1;
}

/* Clears one target; absent is success. */
static int enforce_target_clear(struct enforce_target *target, char *err, size_t errlen)
{
	int rc;

	if (target->netns.path[0] != '\0' && !target->netns.open)
		return 0; /* never opened: nothing of ours inside */
	rc = backend_netns_run(&target->netns, false, enforce_clear_fn, NULL, err, errlen);
	if (rc >= 0 && target->has_layer2)
		rc = backend_netns_run(&target->layer2, false, enforce_clear_fn, NULL, err, errlen);
	if (rc < 0)
		return -1;
	ruleset_free(&target->installed);
	target->has_installed = false;
	target->rule_count = 0;
	return 0;
}

/* Frees a target's memory and closes its backend. */
static void enforce_target_free(struct enforce_target *target)
{
	if (target->monitor_event != NULL)
		event_free(target->monitor_event);
	target->monitor_event = NULL;
	backend_netns_close(&target->netns);
	if (target->has_layer2)
		backend_netns_close(&target->layer2);
	ruleset_free(&target->installed);
}

/* True when two namespace lists hold the same paths in the same order. */
static bool enforce_netns_equal(const struct state_netns *a, const struct state_netns *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return false;
	return true;
}

/*
 * Saves the host ruleset, and the namespaces holding tjd's rules (for
 * `tjd --clear`), when either changed since the last save.
 */
static void enforce_save_state(struct enforce *enforce)
{
	struct state_netns now = {0};
	char err[512];

	if (enforce->state_file == NULL)
		return;
	for (size_t i = 0; i < enforce->namespace_count; i++)
		if (enforce->namespaces[i].has_installed &&
		    state_netns_add(&now, enforce->namespaces[i].netns.path) < 0)
			log_warnx("namespace %s is left out of the state file",
				  enforce->namespaces[i].netns.path);
	if (!enforce->state_dirty && enforce_netns_equal(&now, &enforce->saved_netns)) {
		state_netns_free(&now);
		return;
	}
	if (state_save_with(enforce->state_file, &enforce->host.installed, &now, err, sizeof(err)) <
	    0) {
		log_warnx("saving the ruleset for the next start: %s", err);
		state_netns_free(&now);
		return;
	}
	state_netns_free(&enforce->saved_netns);
	enforce->saved_netns = now;
	enforce->state_dirty = false;
}

/* Puts tjd's last host rules back if the kernel no longer holds them. */
static void enforce_repair_drift(struct enforce *enforce)
{
	bool changed = false;
	char err[512];

	if (!enforce->host.has_installed || enforce->stopping)
		return;
	if (enforce_commit(enforce, &enforce->host, &enforce->host.installed, true, &changed, err,
			   sizeof(err)) < 0) {
		log_warnx("restoring rules changed outside tjd: %s", err);
		return;
	}
	if (changed && enforce->drift_hook != NULL)
		enforce->drift_hook(enforce->drift_arg);
}

/* Live drift repair: the backend saw someone change tjd's rules. */
static void enforce_monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	struct enforce *enforce = arg;
	struct backend *backend = &enforce->host.netns.backend;

	if (backend->ops->monitor_drain(backend))
		enforce_repair_drift(enforce);
}

/* Live drift repair of the layer-2 companion. */
static void enforce_layer2_monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	struct enforce *enforce = arg;
	struct backend *backend = &enforce->host.layer2.backend;

	if (backend->ops->monitor_drain(backend))
		enforce_repair_drift(enforce);
}

static void enforce_namespace_watch(struct enforce *enforce, struct enforce_target *target);

/* Puts a namespace's rules back if its kernel no longer holds them. */
static void enforce_repair_namespace(struct enforce *enforce, struct enforce_target *target)
{
	bool changed = false;
	char err[512];

	if (!target->has_installed || enforce->stopping)
		return;
	if (enforce_commit(enforce, target, &target->installed, true, &changed, err, sizeof(err)) <
	    0)
		log_warnx("restoring rules changed outside tjd in %s: %s",
			  enforce_target_name(target), err);
	else
		enforce_namespace_watch(enforce, target);
}

/* Live drift repair in another namespace: its backend saw someone change tjd's rules. */
static void enforce_namespace_monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	struct enforce *enforce = arg;

	/* targets move when others come and go: find this one by its fd */
	for (size_t i = 0; i < enforce->namespace_count; i++) {
		struct enforce_target *target = &enforce->namespaces[i];
		struct backend *backend = &target->netns.backend;

		if (target->monitor_fd != fd)
			continue;
		if (backend->ops->monitor_drain(backend))
			enforce_repair_namespace(enforce, target);
		return;
	}
}

/*
 * Watches a namespace target's backend for foreign changes, once the host
 * is watched: anew when the backend was re-opened (the namespace was
 * re-created) and its fd changed.  A backend without notifications
 * (legacy x_tables) is compared on the host's timer instead.
 */
static void enforce_namespace_watch(struct enforce *enforce, struct enforce_target *target)
{
	struct backend *backend = &target->netns.backend;
	int fd = -1;

	if (enforce->base == NULL || !target->netns.open)
		return;
	if (backend->ops->monitor_fd != NULL && backend->ops->monitor_drain != NULL)
		fd = backend->ops->monitor_fd(backend);
	/* a re-opened backend may get the old fd's number: the event must still be new */
	if (!target->netns.fresh && fd == target->monitor_fd &&
	    (fd < 0 || target->monitor_event != NULL))
		return;
	if (target->monitor_event != NULL)
		event_free(target->monitor_event);
	target->monitor_event = NULL;
	target->monitor_fd = -1;
	if (fd < 0)
		return;
	target->monitor_event = event_new(enforce->base, fd, EV_READ | EV_PERSIST,
					  enforce_namespace_monitor_cb, enforce);
	if (target->monitor_event == NULL || event_add(target->monitor_event, NULL) < 0) {
		log_warnx("watching %s for changes: out of memory; compared at each poll instead",
			  enforce_target_name(target));
		if (target->monitor_event != NULL)
			event_free(target->monitor_event);
		target->monitor_event = NULL;
		backend->watched = false;
		return;
	}
	backend->watched = true;
	target->monitor_fd = fd;
}

/* Without change notifications (legacy x_tables), compare often instead. */
static void enforce_drift_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct enforce *enforce = arg;

	enforce_repair_drift(enforce);
	for (size_t i = 0; i < enforce->namespace_count; i++)
		if (enforce->namespaces[i].monitor_event == NULL)
			enforce_repair_namespace(enforce, &enforce->namespaces[i]);
}

int enforce_watch(struct enforce *enforce, struct event_base *base)
{
	struct timeval interval = {.tv_sec = 0, .tv_usec = ENFORCE_DRIFT_CHECK_MSEC * 1000};
	const struct backend *backend = &enforce->host.netns.backend;
	int fd = -1;

	if (enforce->dry_run || enforce->monitor_event != NULL)
		return 0;
	enforce->base = base;
	for (size_t i = 0; i < enforce->namespace_count; i++)
		enforce_namespace_watch(enforce, &enforce->namespaces[i]);
	if (enforce->host.has_layer2 && (fd = enforce->host.layer2.backend.ops->monitor_fd(
					     &enforce->host.layer2.backend)) >= 0) {
		enforce->host.layer2.backend.watched = true;
		enforce->layer2_event = event_new(enforce->base, fd, EV_READ | EV_PERSIST,
						  enforce_layer2_monitor_cb, enforce);
		if (enforce->layer2_event == NULL || event_add(enforce->layer2_event, NULL) < 0)
			return -1;
		fd = -1;
	}
	if (backend->ops->monitor_fd != NULL && backend->ops->monitor_drain != NULL)
		fd = backend->ops->monitor_fd(&enforce->host.netns.backend);
	if (fd >= 0) {
		/* Every foreign change is reported and repaired: the backend may rely on it. */
		enforce->host.netns.backend.watched = true;
		enforce->monitor_event =
		    event_new(enforce->base, fd, EV_READ | EV_PERSIST, enforce_monitor_cb, enforce);
		return enforce->monitor_event == NULL || event_add(enforce->monitor_event, NULL) < 0
			   ? -1
			   : 0;
	}
	enforce->monitor_event =
	    event_new(enforce->base, -1, EV_PERSIST, enforce_drift_timer_cb, enforce);
	return enforce->monitor_event == NULL || event_add(enforce->monitor_event, &interval) < 0
		   ? -1
		   : 0;
}

/* Opens a backend of `ops` for clearing only; false when the kernel cannot run it. */
static bool enforce_open_for_clearing(struct backend *backend, const struct backend_ops *ops,
				      const char *instance_id)
{
	char err[512];

	if (backend_init(backend, ops, instance_id) < 0)
		return false;
	backend->clear_only = true;
	if (backend->ops->open(backend, err, sizeof(err)) < 0) {
		/* A backend the kernel cannot run holds nothing of ours. */
		log_debug("%s: %s", ops->name, err);
		return false;
	}
	return true;
}

/*
 * Removes what the other backend installed in an earlier run, if anything,
 * once this backend's first ruleset is in the kernel: until then the old
 * rules go on protecting (both only ever drop, so together they are only
 * stricter), and switching backends opens no window.
 */
static void enforce_retire_other(struct enforce *enforce)
{
	char err[512];

	for (size_t i = 0; i < enforce->other_count; i++) {
		struct backend *other = &enforce->other[i];
		if (other->ops->clear(other, err, sizeof(err)) < 0)
			log_warnx("clearing what %s held: %s", other->ops->name, err);
		else
			log_debug("cleared what %s held", other->ops->name);
		other->ops->close(other);
	}
	enforce->other_count = 0;
}
/*
 * The iptables backend has no layer 2: beside it, the nftables bridge
 * table alone, wherever nf_tables works.  Without it VLAN-tagged frames,
 * ARP and neighbour advertisements are not bound to ports; that is said
 * in the log and in status.
 */
static void enforce_open_layer2(struct enforce *enforce)
{
	struct backend template;
	char err[384];

	if (backend_init(&template, &backend_nft_bridge_ops, enforce->instance_id) < 0 ||
	    backend_netns_init(&enforce->host.layer2, &template, "") < 0)
		return;
	enforce->host.layer2.backend.unowned_tables = enforce->unowned_tables;
	if (template.ops->open(&enforce->host.layer2.backend, err, sizeof(err)) < 0) {
		log_warnx("no layer-2 protection beside the iptables tables (%s): VLAN-tagged "
			  "frames, ARP and neighbour advertisements are not bound to ports",
			  err);
		snprintf(enforce->layer2_reason, sizeof(enforce->layer2_reason),
			 "none: nf_tables unusable: %.200s", err);
		return;
	}
	enforce->host.layer2.open = true;
	enforce->host.has_layer2 = true;
	snprintf(enforce->layer2_reason, sizeof(enforce->layer2_reason),
		 "nftables bridge table beside the iptables tables");
}

/* Opens `ops` as the host backend; 0 or -1 with err set. */
static int enforce_open_backend(struct enforce *enforce, const struct backend_ops *ops, char *err,
				size_t errlen)
{
	struct backend template;

	if (backend_init(&template, ops, enforce->instance_id) < 0 ||
	    backend_netns_init(&enforce->host.netns, &template, "") < 0) {
		error_format(err, errlen, "invalid instance id \"%s\"", enforce->instance_id);
		return -1;
	}
	/* overlay namespaces' backends copy it from this one */
	enforce->host.netns.backend.unowned_tables = enforce->unowned_tables;
	if (ops->open(&enforce->host.netns.backend, err, errlen) < 0)
		return -1;
	enforce->host.netns.open = true;
	if (ops == &backend_iptc_ops)
		enforce_open_layer2(enforce);
	return 0;
}

/* Picks the backend as `choice` says; see enforce_new. */
static int enforce_choose(struct enforce *enforce, const char *choice, char *err, size_t errlen)
{
	char nft_err[384];

	if (enforce->dry_run) {
		snprintf(enforce->backend_reason, sizeof(enforce->backend_reason), "dry run");
		return enforce_open_backend(enforce, &backend_fake_ops, err, errlen);
	}
	if (enforce->forced_ops != NULL) {
		snprintf(enforce->backend_reason, sizeof(enforce->backend_reason), "given");
		return enforce_open_backend(enforce, enforce->forced_ops, err, errlen);
	}
	if (strcmp(choice, "iptables") == 0 || strcmp(choice, "nftables") == 0) {
		snprintf(enforce->backend_reason, sizeof(enforce->backend_reason), "configured");
		return enforce_open_backend(
		    enforce, strcmp(choice, "iptables") == 0 ? &backend_iptc_ops : &backend_nft_ops,
		    err, errlen);
	}
	if (enforce_open_backend(enforce, &backend_nft_ops, nft_err, sizeof(nft_err)) == 0) {
		snprintf(enforce->backend_reason, sizeof(enforce->backend_reason),
			 "auto: the kernel's nf_tables works");
		return 0;
	}
	log_warnx("nftables unusable (%s); using the legacy iptables tables", nft_err);
	snprintf(enforce->backend_reason, sizeof(enforce->backend_reason),
		 "auto: nf_tables unusable: %.200s", nft_err);
	return enforce_open_backend(enforce, &backend_iptc_ops, err, errlen);
}

struct enforce *enforce_new(const struct enforce_options *options, char *err, size_t errlen)
{
	struct enforce *enforce = calloc(1, sizeof(*enforce));
	const char *choice = options->backend != NULL ? options->backend : "auto";

	if (enforce == NULL) {
		error_format(err, errlen, "out of memory");
		return NULL;
	}
	enforce->dry_run = options->dry_run;
	enforce->conntrack_purge = options->conntrack_purge;
	enforce->unowned_tables = options->unowned_tables;
	enforce->forced_ops = options->ops;
	ruleset_init(&enforce->host.installed);
	if ((size_t)snprintf(enforce->instance_id, sizeof(enforce->instance_id), "%s",
			     options->instance_id ? options->instance_id : "") >=
	    sizeof(enforce->instance_id)) {
		error_format(err, errlen, "instance id too long");
		goto fail;
	}
	if (options->state_file != NULL && !options->dry_run) {
		enforce->state_file = strdup(options->state_file);
		if (enforce->state_file == NULL) {
			error_format(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (strcmp(choice, "auto") != 0 && strcmp(choice, "nftables") != 0 &&
	    strcmp(choice, "iptables") != 0) {
		error_format(err, errlen,
			     "unknown backend \"%s\" (expected auto, nftables or iptables)",
			     choice);
		goto fail;
	}
	if (!enforce->dry_run && enforce->forced_ops == NULL &&
	    backend_check_bridge_netfilter(err, errlen) < 0)
		goto fail;
	if (enforce_choose(enforce, choice, err, errlen) < 0)
		goto fail;
	if (!enforce->dry_run && enforce->forced_ops == NULL) {
		/*
		 * Switching backends leaves nothing of the other one behind (see
		 * enforce_retire_other): nftables' other is iptables with its
		 * layer-2 table, iptables' other is nftables.
		 */
		bool nft = enforce->host.netns.backend.ops == &backend_nft_ops;
		const struct backend_ops *others[2] = {nft ? &backend_iptc_ops : &backend_nft_ops,
						       nft ? &backend_nft_bridge_ops : NULL};
		for (size_t i = 0; i < 2; i++)
			if (others[i] != NULL &&
			    enforce_open_for_clearing(&enforce->other[enforce->other_count],
						      others[i], enforce->instance_id))
				enforce->other_count++;
	}
	return enforce;
fail:
	enforce_free(enforce);
	return NULL;
}

void enforce_free(struct enforce *enforce)
{
	if (enforce == NULL)
		return;
	if (enforce->monitor_event != NULL)
		event_free(enforce->monitor_event);
	/* Not retired yet: the old backend's rules stay, as tjd's own do. */
	for (size_t i = 0; i < enforce->other_count; i++)
		enforce->other[i].ops->close(&enforce->other[i]);
	if (enforce->layer2_event != NULL)
		event_free(enforce->layer2_event);
	enforce_target_free(&enforce->host);
	for (size_t i = 0; i < enforce->namespace_count; i++)
		enforce_target_free(&enforce->namespaces[i]);
	policy_conntrack_free(&enforce->purged);
	state_netns_free(&enforce->saved_netns);
	state_netns_free(&enforce->restored_netns);
	free(enforce->namespaces);
	free(enforce->host_rules);
	free(enforce->problems);
	free(enforce->containers);
	free(enforce->state_file);
	free(enforce->set_changes);
	ruleset_free(&enforce->sets_seen);
	free(enforce);
}

void enforce_set_drift_hook(struct enforce *enforce, void (*hook)(void *arg), void *arg)
{
	enforce->drift_hook = hook;
	enforce->drift_arg = arg;
}

/* Milliseconds on the monotonic clock. */
static double enforce_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

/*
 * After a host commit: deletes the tracked connections the committed
 * policy (`now`, which this takes) would not have admitted, when it is
 * stricter than the one the last purge judged by (the first always is).
 * A failure is logged and leaves the old picture, so the next commit
 * tries again.
 */
static void enforce_purge(struct enforce *enforce, struct policy_conntrack now)
{
	struct conntrack_purge_stats done = {0};
	char err[512];
	double started;

	if (enforce->purged_once && !policy_conntrack_stricter(&enforce->purged, &now)) {
		policy_conntrack_free(&enforce->purged);
		enforce->purged = now;
		return;
	}
	started = enforce_now_ms();
	if (conntrack_purge(now.views, now.count, 0, &done, err, sizeof(err)) < 0) {
		log_warnx("conntrack: %s (%zu deleted); trying again at the next apply", err,
			  done.deleted);
		enforce->stats.conntrack_failures++;
		enforce->stats.conntrack_deleted += done.deleted;
		policy_conntrack_free(&now);
		return;
	}
	enforce->stats.conntrack_purges++;
	enforce->stats.conntrack_deleted += done.deleted;
	if (done.deleted > 0)
		log_info("conntrack: deleted %zu of %zu tracked connections the policy no longer "
			 "admits (%.1f ms)",
			 done.deleted, done.examined, enforce_now_ms() - started);
	else
		log_debug("conntrack: none of %zu tracked connections to delete (%.1f ms)",
			  done.examined, enforce_now_ms() - started);
	policy_conntrack_free(&enforce->purged);
	enforce->purged = now;
	enforce->purged_once = true;
}

/* Purges by what conf + inventory admit, the committed host ruleset being their result. */
static void enforce_purge_conntrack(struct enforce *enforce, const struct conf *conf,
				    const struct inventory *inv, const struct ruleset *committed)
{
	struct policy_conntrack now;

	policy_conntrack_init(&now);
	if (policy_conntrack_build(conf, inv, committed, &now) < 0) {
		log_warnx("conntrack: out of memory describing the policy; not purged");
		enforce->stats.conntrack_failures++;
		return;
	}
	enforce_purge(enforce, now);
}

int enforce_restore(struct enforce *enforce, char *err, size_t errlen)
{
	struct ruleset saved;
	bool changed = false;
	int rc;

	if (enforce->state_file == NULL)
		return 0;
	ruleset_init(&saved);
	rc = state_load_with(enforce->state_file, &saved, &enforce->restored_netns, err, errlen);
	if (rc != 0) {
		/* A damaged file installs nothing; the first reconcile decides. */
		if (rc < 0)
			log_warnx("ignoring the saved ruleset: %s", err);
		ruleset_free(&saved);
		return 0;
	}
	rc = enforce_commit(enforce, &enforce->host, &saved, true, &changed, err, errlen);
	if (rc > 0 && enforce->conntrack_purge && !enforce->dry_run) {
		/* Before ready: what the saved rules would not admit goes now, not once Docker
		 * answers. */
		struct policy_conntrack now;
		policy_conntrack_init(&now);
		if (policy_conntrack_from_rules(&saved, &now) == 0)
			enforce_purge(enforce, now);
		else
			log_warnx(
			    "conntrack: out of memory describing the saved rules; not purged");
	}
	if (rc > 0) {
		/* What is installed is what is saved. */
		enforce->state_dirty = false;
		enforce->stats.ready = true;
		log_info("restored %zu saved rules from %s before contacting Docker", saved.count,
			 enforce->state_file);
	}
	ruleset_free(&saved);
	return rc > 0 ? 1 : -1;
}

/* Records, per network id, how many host rules each network got. */
static int enforce_note_host_rules(struct enforce *enforce, const struct inventory *inv,
				   const size_t *counts)
{
	struct enforce_network_rules *rules = calloc(inv->count ? inv->count : 1, sizeof(*rules));

	if (rules == NULL)
		return -1;
	for (size_t n = 0; n < inv->count; n++) {
		snprintf(rules[n].network_id, sizeof(rules[n].network_id), "%s",
			 inv->networks[n].id);
		rules[n].count = counts[n];
	}
	free(enforce->host_rules);
	enforce->host_rules = rules;
	enforce->host_rules_count = inv->count;
	return 0;
}

/* The target for a namespace path, added when new; NULL on OOM or a bad path. */
static struct enforce_target *enforce_namespace(struct enforce *enforce,
						const struct policy_target *wanted)
{
	struct enforce_target *grown, *target;

	for (size_t i = 0; i < enforce->namespace_count; i++)
		if (strcmp(enforce->namespaces[i].netns.path, wanted->netns) == 0)
			return &enforce->namespaces[i];
	grown = reallocarray(enforce->namespaces, enforce->namespace_count + 1,
			     sizeof(*enforce->namespaces));
	if (grown == NULL)
		return NULL;
	enforce->namespaces = grown;
	target = &enforce->namespaces[enforce->namespace_count];
	memset(target, 0, sizeof(*target));
	target->monitor_fd = -1;
	ruleset_init(&target->installed);
	if (backend_netns_init(&target->netns, &enforce->host.netns.backend, wanted->netns) < 0)
		return NULL;
	enforce->namespace_count++;
	return target;
}

/* Removes namespace target i, closing its backend. */
static void enforce_namespace_remove(struct enforce *enforce, size_t i)
{
	enforce_target_free(&enforce->namespaces[i]);
	enforce->namespaces[i] = enforce->namespaces[enforce->namespace_count - 1];
	enforce->namespace_count--;
}

/*
 * Clears whatever either backend of tjd's holds in the namespace at
 * `path`: 1 cleared, 0 no namespace there (its rules went with it), -1
 * error (err set; the other backends are still cleared).
 */
static int enforce_clear_namespace(const char *instance_id, const char *path, char *err,
				   size_t errlen)
{
	static const struct backend_ops *const all[] = {&backend_iptc_ops, &backend_nft_ops};
	int ret = 1;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct backend template;
		struct backend_netns bn;
		char one[512];
		int rc;

		if (backend_init(&template, all[i], instance_id) < 0 ||
		    backend_netns_init(&bn, &template, path) < 0) {
			error_format(err, errlen, "%s: invalid instance id or path", path);
			return -1;
		}
		rc = backend_netns_run(&bn, false, enforce_clear_fn, NULL, one, sizeof(one));
		backend_netns_close(&bn);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			if (ret > 0)
				error_format(err, errlen, "%s", one);
			ret = -1;
		}
	}
	return ret;
}

/* Commits a plan's namespaces and clears those no longer in it; 0 or -1 (first error). */
static int enforce_namespaces(struct enforce *enforce, const struct policy_plan *plan, char *err,
			      size_t errlen)
{
	char one[512];
	int ret = 0;

	for (size_t i = 0; i < enforce->namespace_count; i++)
		enforce->namespaces[i].wanted = false;
	for (size_t t = 0; t < plan->count; t++) {
		const struct policy_target *wanted = &plan->targets[t];
		struct enforce_target *target;
		bool changed = false;
		int found;

		if (wanted->netns[0] == '\0')
			continue; /* refused (network_mode host), or no namespace to write */
		target = enforce_namespace(enforce, wanted);
		if (target == NULL) {
			error_format(err, errlen, "out of memory");
			return -1;
		}
		target->wanted = true;
		snprintf(target->network_id, sizeof(target->network_id), "%s", wanted->network_id);
		snprintf(target->network_name, sizeof(target->network_name), "%s",
			 wanted->network_name);
		found = enforce_commit(enforce, target, &wanted->rules, true, &changed, one,
				       sizeof(one));
		if (found < 0) {
			target->has_installed = false;
			if (ret == 0)
				snprintf(err, errlen, "%s", one);
			ret = -1;
			continue;
		}
		target->rule_count = found > 0 ? wanted->rules.count : 0;
		if (found > 0)
			enforce_namespace_watch(enforce, target);
		if (changed && wanted->container_id[0] != '\0')
			log_info("container %s: %zu rules applied in %s", wanted->container_name,
				 wanted->rules.count, target->netns.path);
		else if (changed)
			log_info("overlay %s: %zu rules applied in %s", wanted->network_name,
				 wanted->rules.count, target->netns.path);
	}
	/* Namespaces no longer protected (network unprotected or gone): take ours out. */
	for (size_t i = enforce->namespace_count; i-- > 0;) {
		struct enforce_target *target = &enforce->namespaces[i];

		if (target->wanted)
			continue;
		if (enforce_target_clear(target, one, sizeof(one)) < 0) {
			if (ret == 0)
				snprintf(err, errlen, "%s", one);
			ret = -1;
			continue;
		}
		log_info("network namespace %s: no longer protected, rules removed",
			 target->netns.path);
		enforce_namespace_remove(enforce, i);
	}
	/* What an earlier run left in namespaces this one does not manage goes too. */
	for (size_t i = 0; i < enforce->restored_netns.count; i++) {
		const char *path = enforce->restored_netns.paths[i];
		bool managed = false;
		int rc;

		for (size_t t = 0; t < enforce->namespace_count && !managed; t++)
			managed = strcmp(enforce->namespaces[t].netns.path, path) == 0;
		if (managed)
			continue;
		rc = enforce_clear_namespace(enforce->instance_id, path, one, sizeof(one));
		if (rc < 0)
			log_warnx("clearing what an earlier run left: %s", one);
		else if (rc > 0)
			log_info("network namespace %s: no longer protected, rules removed", path);
	}
	state_netns_free(&enforce->restored_netns);
	return ret;
}

/*
 * Logs each container problem of the plan (fail closed, refused) once: when
 * it appears or its text changes, not at every apply.
 */
static void enforce_note_problems(struct enforce *enforce, const struct policy_plan *plan)
{
	char(*now)[sizeof(plan->targets[0].problem)] = NULL;
	size_t count = 0;

	for (size_t t = 0; t < plan->count; t++) {
		const char *problem = plan->targets[t].problem;
		bool known = false;

		if (problem[0] == '\0')
			continue;
		for (size_t i = 0; i < enforce->problem_count && !known; i++)
			known = strcmp(enforce->problems[i], problem) == 0;
		if (!known)
			log_warnx("%s", problem);
		if (now == NULL)
			now = calloc(plan->count, sizeof(*now));
		if (now != NULL)
			snprintf(now[count++], sizeof(now[0]), "%s", problem);
	}
	free(enforce->problems);
	enforce->problems = now;
	enforce->problem_count = now != NULL ? count : 0;
}

/* Notes, for status, what each container target of the plan got. */
static void enforce_note_containers(struct enforce *enforce, const struct policy_plan *plan)
{
	size_t count = 0;

	free(enforce->containers);
	enforce->containers = calloc(plan->count ? plan->count : 1, sizeof(*enforce->containers));
	enforce->container_count = 0;
	if (enforce->containers == NULL)
		return;
	for (size_t t = 0; t < plan->count; t++) {
		const struct policy_target *wanted = &plan->targets[t];
		struct enforce_container_status *status = &enforce->containers[count];

		if (wanted->container_id[0] == '\0')
			continue;
		snprintf(status->id, sizeof(status->id), "%s", wanted->container_id);
		snprintf(status->name, sizeof(status->name), "%s", wanted->container_name);
		snprintf(status->netns, sizeof(status->netns), "%s", wanted->netns);
		snprintf(status->problem, sizeof(status->problem), "%s", wanted->problem);
		status->rule_count = wanted->rules.count;
		for (size_t i = 0; i < wanted->rules.count; i++)
			if (wanted->rules.rules[i].verdict == RULE_LOG)
				status->log_rule_count++;
		for (size_t i = 0; i < enforce->namespace_count && wanted->netns[0] != '\0'; i++)
			if (strcmp(enforce->namespaces[i].netns.path, wanted->netns) == 0)
				status->enforced = enforce->namespaces[i].has_installed;
		count++;
	}
	enforce->container_count = count;
}

const struct enforce_container_status *enforce_containers(const struct enforce *enforce,
							  size_t *count)
{
	*count = enforce->container_count;
	return enforce->containers;
}

/* Whether set `name` of `a` and of `b` hold the same members (absent from one: no). */
static bool enforce_same_members(const struct ruleset *a, const struct ruleset *b, const char *name)
{
	const struct rule_addrset *x = ruleset_find_set(a, name), *y = ruleset_find_set(b, name);

	if (x == NULL || y == NULL || x->count != y->count)
		return false;
	for (size_t m = 0; m < x->count; m++)
		if (!prefix_equal(&a->members[x->first + m], &b->members[y->first + m]))
			return false;
	return true;
}

/* Notes when each set of the ruleset now committed changed, for status. */
static void enforce_note_set_changes(struct enforce *enforce, const struct ruleset *now)
{
	struct enforce_set_change *changes;
	time_t when = time(NULL);

	changes = calloc(now->set_count ? now->set_count : 1, sizeof(*changes));
	if (changes == NULL)
		return; /* status keeps the old times */
	for (size_t i = 0; i < now->set_count; i++) {
		const char *name = now->sets[i].name;
		time_t before = 0;

		snprintf(changes[i].name, sizeof(changes[i].name), "%s", name);
		for (size_t j = 0; j < enforce->set_change_count; j++)
			if (strcmp(enforce->set_changes[j].name, name) == 0)
				before = enforce->set_changes[j].changed;
		changes[i].changed =
		    before != 0 && enforce_same_members(&enforce->sets_seen, now, name) ? before
											: when;
	}
	free(enforce->set_changes);
	enforce->set_changes = changes;
	enforce->set_change_count = now->set_count;
	(void)ruleset_copy(&enforce->sets_seen, now);
}

time_t enforce_set_changed(const struct enforce *enforce, const char *name)
{
	for (size_t i = 0; i < enforce->set_change_count; i++)
		if (strcmp(enforce->set_changes[i].name, name) == 0)
			return enforce->set_changes[i].changed;
	return 0;
}

int enforce_apply(struct enforce *enforce, const struct conf *conf, const struct inventory *inv,
		  const struct peer_set *peers, size_t peer_count, char *err, size_t errlen)
{
	struct ruleset desired;
	struct policy_plan plan;
	size_t *counts = NULL;
	bool changed = false;
	int ret = -1;

	ruleset_init(&desired);
	policy_plan_init(&plan);
	counts = calloc(inv->count ? inv->count : 1, sizeof(*counts));
	if (counts == NULL) {
		error_format(err, errlen, "compiling the ruleset: out of memory");
		goto out;
	}
	if (policy_compile(conf, inv, &desired, counts, err, errlen) < 0 ||
	    policy_compile_overlays(conf, inv, peers, peer_count, &plan, err, errlen) < 0 ||
	    policy_compile_containers(conf, inv, &plan, err, errlen) < 0)
		goto out;
	enforce_note_problems(enforce, &plan);
	if (enforce_commit(enforce, &enforce->host, &desired, false, &changed, err, errlen) < 0)
		goto out;
	enforce_note_set_changes(enforce, &desired);
	if (changed)
		log_info("ruleset applied: %zu rules for %zu network(s)", desired.count,
			 inv->count);
	if (enforce->conntrack_purge && !enforce->dry_run)
		enforce_purge_conntrack(enforce, conf, inv, &desired);
	enforce->stats.ready = true;
	if (enforce_note_host_rules(enforce, inv, counts) < 0) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
	if (enforce->dry_run) {
		for (size_t t = 0; t < plan.count; t++)
			if (plan.targets[t].container_id[0] != '\0')
				log_info(
				    "dry run: container %s would get %zu rules in %s",
				    plan.targets[t].container_name, plan.targets[t].rules.count,
				    plan.targets[t].netns[0] ? plan.targets[t].netns : "(none)");
			else
				log_info("dry run: overlay %s would get %zu rules in %s",
					 plan.targets[t].network_name, plan.targets[t].rules.count,
					 plan.targets[t].netns);
	} else if (enforce_namespaces(enforce, &plan, err, errlen) < 0) {
		ret = 1;
	}
	enforce_note_containers(enforce, &plan);
	enforce_save_state(enforce);
out:
	free(counts);
	policy_plan_free(&plan);
	ruleset_free(&desired);
	return ret;
}

int enforce_clear(struct enforce *enforce, char *err, size_t errlen)
{
	char one[512];

	if (enforce_target_clear(&enforce->host, err, errlen) < 0)
		return -1;
	enforce_retire_other(enforce);
	/* The other namespaces too: nothing of tjd's stays behind anywhere. */
	for (size_t i = enforce->namespace_count; i-- > 0;) {
		if (enforce_target_clear(&enforce->namespaces[i], one, sizeof(one)) < 0) {
			error_format(err, errlen, "%s", one);
			return -1;
		}
		enforce_namespace_remove(enforce, i);
	}
	for (size_t i = 0; i < enforce->restored_netns.count; i++)
		if (enforce_clear_namespace(enforce->instance_id, enforce->restored_netns.paths[i],
					    one, sizeof(one)) < 0) {
			error_format(err, errlen, "%s", one);
			return -1;
		}
	state_netns_free(&enforce->restored_netns);
	if (enforce->state_file != NULL && state_remove(enforce->state_file, one, sizeof(one)) < 0)
		log_warnx("%s", one);
	enforce->state_dirty = false;
	enforce_stop(enforce);
	log_info("removed every rule tjd installed");
	return 0;
}

void enforce_stop(struct enforce *enforce)
{
	enforce->stopping = true;
}

int enforce_clear_offline(const char *instance_id, const char *state_file)
{
	static const struct backend_ops *const all[] = {&backend_iptc_ops, &backend_nft_ops,
							&backend_nft_bridge_ops};
	struct backend opened[sizeof(all) / sizeof(all[0])];
	bool usable[sizeof(all) / sizeof(all[0])];
	char err[512];
	int rc = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		usable[i] = enforce_open_for_clearing(&opened[i], all[i], instance_id);
	/* All or nothing: a running tjd that holds some of them keeps every one. */
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && rc == 0; i++) {
		if (usable[i] && opened[i].ops->held_elsewhere != NULL &&
		    opened[i].ops->held_elsewhere(&opened[i], err, sizeof(err)) != 0) {
			log_warnx("not clearing: %s", err);
			rc = -1;
		}
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!usable[i])
			continue;
		if (rc == 0 && opened[i].ops->clear(&opened[i], err, sizeof(err)) < 0) {
			log_warnx("clear (%s) failed: %s", all[i]->name, err);
			rc = -1;
		}
		opened[i].ops->close(&opened[i]);
	}
	/* and the other namespaces the last run wrote into, as its state file lists them */
	if (state_file != NULL) {
		struct state_netns namespaces = {0};
		struct ruleset saved;

		ruleset_init(&saved);
		if (state_load_with(state_file, &saved, &namespaces, err, sizeof(err)) < 0) {
			log_warnx("cannot tell which other namespaces hold tjd's rules: %s", err);
			rc = -1;
		}
		for (size_t i = 0; i < namespaces.count; i++) {
			int cleared = enforce_clear_namespace(instance_id, namespaces.paths[i], err,
							      sizeof(err));
			if (cleared < 0) {
				log_warnx("clear failed: %s", err);
				rc = -1;
			} else if (cleared > 0) {
				log_info("network namespace %s: rules removed",
					 namespaces.paths[i]);
			}
		}
		state_netns_free(&namespaces);
		ruleset_free(&saved);
	}
	if (rc == 0 && state_file != NULL && state_remove(state_file, err, sizeof(err)) < 0)
		log_warnx("%s", err);
	if (rc == 0)
		log_info("removed every rule tjd installed");
	return rc;
}

const struct enforce_stats *enforce_stats(const struct enforce *enforce)
{
	return &enforce->stats;
}

const char *enforce_backend_name(const struct enforce *enforce)
{
	return enforce->host.netns.backend.ops->name;
}

const char *enforce_backend_reason(const struct enforce *enforce)
{
	return enforce->backend_reason;
}

const struct backend *enforce_backend(const struct enforce *enforce)
{
	return &enforce->host.netns.backend;
}

const struct backend *enforce_layer2_backend(const struct enforce *enforce)
{
	return enforce->host.has_layer2 ? &enforce->host.layer2.backend : NULL;
}

const struct ruleset *enforce_installed(const struct enforce *enforce)
{
	return &enforce->host.installed;
}

size_t enforce_rule_count(const struct enforce *enforce, const char *network_id)
{
	for (size_t i = 0; i < enforce->namespace_count; i++)
		if (strcmp(enforce->namespaces[i].network_id, network_id) == 0)
			return enforce->namespaces[i].rule_count;
	for (size_t i = 0; i < enforce->host_rules_count; i++)
		if (strcmp(enforce->host_rules[i].network_id, network_id) == 0)
			return enforce->host_rules[i].count;
	return 0;
}

bool enforce_netns_lookup(const struct enforce *enforce, const char *network_id,
			  struct enforce_netns_status *status)
{
	memset(status, 0, sizeof(*status));
	for (size_t i = 0; i < enforce->namespace_count; i++) {
		const struct enforce_target *target = &enforce->namespaces[i];
		if (strcmp(target->network_id, network_id) != 0)
			continue;
		snprintf(status->netns, sizeof(status->netns), "%s", target->netns.path);
		status->enforced = target->has_installed;
		status->rule_count = target->rule_count;
		return true;
	}
	return false;
}

int enforce_counters(struct enforce *enforce, struct backend_counter *counters, size_t count,
		     char *err, size_t errlen)
{
	struct backend *backend = &enforce->host.netns.backend;

	if (backend->ops->counters == NULL) {
		error_format(err, errlen, "the %s backend keeps no counters", backend->ops->name);
		return -1;
	}
	return backend->ops->counters(backend, counters, count, err, errlen);
}

/* backend_netns_fn: dumps the namespace's backend into *(char **)arg. */
static int enforce_dump_fn(struct backend *backend, void *arg, char *err, size_t errlen)
{
	return backend->ops->dump(backend, (char **)arg, err, errlen);
}

int enforce_dump_container(struct enforce *enforce, const char *container, char **text, char *err,
			   size_t errlen)
{
	const struct enforce_container_status *found = NULL;
	size_t length = strlen(container);
	int rc;

	*text = NULL;
	for (size_t i = 0; i < enforce->container_count && found == NULL; i++)
		if (strcmp(enforce->containers[i].name, container) == 0)
			found = &enforce->containers[i];
	for (size_t i = 0; i < enforce->container_count && found == NULL && length > 0; i++)
		if (strncmp(enforce->containers[i].id, container, length) == 0)
			found = &enforce->containers[i];
	if (found == NULL) {
		error_format(err, errlen, "no container %s has a firewall of its own", container);
		return 1;
	}
	if (found->netns[0] == '\0') {
		error_format(err, errlen, "container %s: no rules written: %s", found->name,
			     found->problem);
		return 1;
	}
	for (size_t i = 0; i < enforce->namespace_count; i++) {
		struct enforce_target *target = &enforce->namespaces[i];

		if (strcmp(target->netns.path, found->netns) != 0)
			continue;
		rc = backend_netns_run(&target->netns, false, enforce_dump_fn, text, err, errlen);
		if (rc == 0)
			error_format(err, errlen, "container %s: its namespace %s is gone",
				     found->name, found->netns);
		return rc > 0 ? 0 : -1;
	}
	error_format(err, errlen, "container %s: namespace %s not written yet", found->name,
		     found->netns);
	return 1;
}

/* Reads one namespace's rules back, layer 2 after the IP rules; 0, 1 when it is gone, -1. */
static int enforce_dump_target(struct enforce_target *target, char **text, char *err, size_t errlen)
{
	char *ip = NULL, *layer2 = NULL;
	int rc;

	*text = NULL;
	rc = backend_netns_run(&target->netns, false, enforce_dump_fn, &ip, err, errlen);
	if (rc <= 0)
		return rc == 0 ? 1 : -1;
	if (!target->has_layer2) {
		*text = ip;
		return 0;
	}
	rc = backend_netns_run(&target->layer2, false, enforce_dump_fn, &layer2, err, errlen);
	if (rc <= 0) {
		free(ip);
		return rc == 0 ? 1 : -1;
	}
	if (asprintf(text, "%s\n# layer 2\n%s", ip, layer2) < 0) {
		*text = NULL;
		error_format(err, errlen, "out of memory");
	}
	free(ip);
	free(layer2);
	return *text != NULL ? 0 : -1;
}

/* The overlay network's target, by name or (a prefix of) its id; NULL when tjd holds none. */
static struct enforce_target *enforce_find_overlay(struct enforce *enforce, const char *network)
{
	size_t length = strlen(network);

	for (size_t i = 0; i < enforce->namespace_count; i++)
		if (enforce->namespaces[i].network_id[0] != '\0' &&
		    strcmp(enforce->namespaces[i].network_name, network) == 0)
			return &enforce->namespaces[i];
	for (size_t i = 0; i < enforce->namespace_count && length > 0; i++)
		if (enforce->namespaces[i].network_id[0] != '\0' &&
		    strncmp(enforce->namespaces[i].network_id, network, length) == 0)
			return &enforce->namespaces[i];
	return NULL;
}

int enforce_dump_network(struct enforce *enforce, const char *network, char **text, char *err,
			 size_t errlen)
{
	struct enforce_target *target = enforce_find_overlay(enforce, network);
	int rc;

	*text = NULL;
	if (target == NULL) {
		error_format(err, errlen, "tjd holds no overlay namespace for network %s", network);
		return 1;
	}
	rc = enforce_dump_target(target, text, err, errlen);
	if (rc == 1)
		error_format(err, errlen, "network %s: its namespace %s is gone",
			     target->network_name, target->netns.path);
	return rc == 1 ? -1 : rc;
}

/* Text growing up to a budget, with what did not fit named at the end. */
struct enforce_listing {
	char *text;
	size_t length;
	size_t budget;
	char left_out[512];
	size_t left_out_count;
	bool failed;
};

/* Appends a section (heading and body), or notes its name when it would not fit. */
static void enforce_listing_add(struct enforce_listing *listing, const char *name,
				const char *heading, const char *body)
{
	size_t heading_length = strlen(heading), body_length = body ? strlen(body) : 0;
	size_t need = heading_length + body_length + 2;
	char *grown;

	if (listing->failed)
		return;
	if (listing->length + need > listing->budget) {
		size_t used = strlen(listing->left_out);

		if (used + strlen(name) + 3 < sizeof(listing->left_out))
			snprintf(listing->left_out + used, sizeof(listing->left_out) - used, "%s%s",
				 used ? ", " : "", name);
		listing->left_out_count++;
		return;
	}
	grown = realloc(listing->text, listing->length + need + 1);
	if (grown == NULL) {
		listing->failed = true;
		return;
	}
	listing->text = grown;
	memcpy(listing->text + listing->length, heading, heading_length);
	listing->length += heading_length;
	if (body_length > 0) {
		memcpy(listing->text + listing->length, body, body_length);
		listing->length += body_length;
		if (body[body_length - 1] != '\n')
			listing->text[listing->length++] = '\n';
	}
	listing->text[listing->length++] = '\n';
	listing->text[listing->length] = '\0';
}

int enforce_dump_all(struct enforce *enforce, size_t budget, char **text, char *err, size_t errlen)
{
	struct enforce_listing listing = {.budget = budget};
	char heading[INV_NETNS_PATH_MAX + INV_NAME_MAX + 640], name[INV_NAME_MAX + 32];
	char *body = NULL;

	*text = NULL;
	if (enforce_dump(enforce, &body, err, errlen) < 0)
		return -1;
	snprintf(heading, sizeof(heading), "# tjd's own network namespace (backend %s)\n",
		 enforce_backend_name(enforce));
	enforce_listing_add(&listing, "tjd's own namespace", heading, body);
	free(body);
	for (size_t i = 0; i < enforce->namespace_count; i++) {
		struct enforce_target *target = &enforce->namespaces[i];
		char why[256];
		int rc;

		if (target->network_id[0] == '\0')
			continue;
		snprintf(name, sizeof(name), "overlay network %s", target->network_name);
		rc = enforce_dump_target(target, &body, why, sizeof(why));
		if (rc == 0)
			snprintf(heading, sizeof(heading), "# %s, namespace %s\n", name,
				 target->netns.path);
		else
			snprintf(heading, sizeof(heading),
				 "# %s, namespace %s: cannot be read: %s\n", name,
				 target->netns.path, rc == 1 ? "it is gone" : why);
		enforce_listing_add(&listing, name, heading, rc == 0 ? body : NULL);
		free(body);
		body = NULL;
	}
	for (size_t i = 0; i < enforce->container_count; i++) {
		const struct enforce_container_status *container = &enforce->containers[i];
		char why[256];
		int rc = 1;

		snprintf(name, sizeof(name), "container %s", container->name);
		if (container->netns[0] == '\0') {
			snprintf(heading, sizeof(heading), "# %s: no rules written: %s\n", name,
				 container->problem);
			enforce_listing_add(&listing, name, heading, NULL);
			continue;
		}
		for (size_t t = 0; t < enforce->namespace_count; t++)
			if (strcmp(enforce->namespaces[t].netns.path, container->netns) == 0)
				rc = enforce_dump_target(&enforce->namespaces[t], &body, why,
							 sizeof(why));
		if (rc == 0)
			snprintf(heading, sizeof(heading), "# %s, namespace %s\n", name,
				 container->netns);
		else
			snprintf(heading, sizeof(heading),
				 "# %s, namespace %s: cannot be read: %s\n", name, container->netns,
				 rc == 1 ? "not written or gone" : why);
		enforce_listing_add(&listing, name, heading, rc == 0 ? body : NULL);
		free(body);
		body = NULL;
	}
	if (!listing.failed && listing.left_out_count > 0) {
		/* the note itself always fits: the budget leaves room below the frame limit */
		char note[768];
		size_t length;
		char *grown;

		snprintf(note, sizeof(note),
			 "# %zu more not shown (the reply's size limit): %s%s; name one with "
			 "tjctl rules --network NAME or tjctl rules CONTAINER\n",
			 listing.left_out_count, listing.left_out,
			 strlen(listing.left_out) + 40 >= sizeof(listing.left_out) ? ", ..." : "");
		length = strlen(note);
		grown = realloc(listing.text, listing.length + length + 1);
		if (grown == NULL) {
			listing.failed = true;
		} else {
			listing.text = grown;
			memcpy(listing.text + listing.length, note, length + 1);
			listing.length += length;
		}
	}
	if (listing.failed) {
		free(listing.text);
		error_format(err, errlen, "out of memory");
		return -1;
	}
	*text = listing.text != NULL ? listing.text : strdup("");
	return *text != NULL ? 0 : -1;
}

int enforce_dump(struct enforce *enforce, char **text, char *err, size_t errlen)
{
	struct backend *backend = &enforce->host.netns.backend;
	char *ip = NULL, *layer2 = NULL;

	if (backend->ops->dump(backend, &ip, err, errlen) < 0)
		return -1;
	if (!enforce->host.has_layer2) {
		*text = ip;
		return 0;
	}
	backend = &enforce->host.layer2.backend;
	if (backend->ops->dump(backend, &layer2, err, errlen) < 0) {
		free(ip);
		return -1;
	}
	*text = NULL;
	if (asprintf(text, "%s\n# layer 2\n%s", ip, layer2) < 0) {
		*text = NULL;
		error_format(err, errlen, "out of memory");
	}
	free(ip);
	free(layer2);
	return *text != NULL ? 0 : -1;
}

const char *enforce_layer2_reason(const struct enforce *enforce)
{
	return enforce->layer2_reason;
}
