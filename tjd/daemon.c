#include "config.h"

#include "tjd/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "tjd/control.h"
#include "tjd/ctl.h"
#include "tjd/docker.h"
#include "tjd/droplog.h"
#include "tjd/enforce.h"
#include "tjd/events.h"
#include "tjd/pktlog.h"
#include "tjd/policy.h"
#include "tjd/reconcile.h"

static void daemon_enforce_again(struct tjd *tjd, const char *why);

void daemon_set_error(struct tjd *tjd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tjd->last_error, sizeof(tjd->last_error), fmt, ap);
	va_end(ap);
	tjd->last_error_time = time(NULL);
	log_warnx("%s", tjd->last_error);
}

void daemon_clear_error(struct tjd *tjd)
{
	tjd->last_error[0] = '\0';
	tjd->last_error_time = 0;
}

void daemon_set_peers(struct tjd *tjd, struct peer_set *peers, size_t count,
		      const char *coordinator)
{
	peer_sets_free(tjd->peers, tjd->peer_network_count);
	tjd->peers = peers;
	tjd->peer_network_count = count;
	snprintf(tjd->last_peer_push_from, sizeof(tjd->last_peer_push_from), "%s", coordinator);
	tjd->last_peer_push = time(NULL);
	log_info("peers updated by %s for %zu network(s)", coordinator, count);
	daemon_enforce_again(tjd, "set-peers");
}

void daemon_stop(struct tjd *tjd, int exit_code)
{
	tjd->stopping = true;
	if (tjd->enforce != NULL)
		enforce_stop(tjd->enforce);
	tjd->exit_code = exit_code;
	event_base_loopexit(tjd->base, NULL);
}

int daemon_clear_and_exit(struct tjd *tjd, char *err, size_t errlen)
{
	if (enforce_clear(tjd->enforce, err, errlen) < 0)
		return -1;
	log_info("exiting");
	tjd->stopping = true;
	return 0;
}

static int daemon_new_reconcile(struct tjd *tjd);

/* Writes the metrics file (metrics_file), and arms the next write. */
static void daemon_metrics_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tjd *tjd = arg;
	struct timeval next = {.tv_sec = tjd->conf->metrics_interval};
	char err[512], *text;

	(void)fd;
	(void)what;
	if (tjd->conf->metrics_file == NULL)
		return;
	text = ctl_metrics_text(tjd);
	if (text == NULL || metrics_write_file(tjd->conf->metrics_file, text, err, sizeof(err)) < 0)
		daemon_set_error(tjd, "writing the metrics file: %s",
				 text == NULL ? "out of memory" : err);
	free(text);
	evtimer_add(tjd->metrics_timer, &next);
}

/* Writes the metrics file now and then every metrics_interval, or stops when there is none. */
static void daemon_arm_metrics(struct tjd *tjd)
{
	struct timeval now = {0};

	if (tjd->metrics_timer == NULL)
		return;
	if (tjd->conf->metrics_file != NULL)
		evtimer_add(tjd->metrics_timer, &now);
	else
		evtimer_del(tjd->metrics_timer);
}

/*
 * Why a container's own rules dropped a sampled packet, from the closing
 * rule's prefix ("tjd container input policy deny", "... fail closed");
 * false for a user's `log` rule.
 */
static bool daemon_policy_reason(const char *prefix, const char *name, char *out, size_t size)
{
	const char *what;

	if (strncmp(prefix, "tjd container ", 14) != 0)
		return false;
	what = prefix + 14;
	if (strcmp(what, "input policy deny") == 0)
		snprintf(out, size, "%s's input policy is deny", name);
	else if (strcmp(what, "output policy deny") == 0)
		snprintf(out, size, "%s's output policy is deny", name);
	else if (strcmp(what, "fail closed") == 0)
		snprintf(out, size, "%s's labels cannot be used: denying all (see tjctl status)",
			 name);
	else
		snprintf(out, size, "%s's rules (%s)", name, what);
	return true;
}

/* Appends " (and N more not shown)" to a line when the rate limit held some back. */
static void daemon_held_suffix(char *line, size_t size, uint64_t held)
{
	size_t used = strlen(line);

	if (held > 0 && used < size)
		snprintf(line + used, size - used, " (and %llu more not shown)",
			 (unsigned long long)held);
}

/*
 * Writes the log entry of a sampled packet: the drop log's words for
 * tjd's own namespace (tjd/droplog.h), a container's log rule otherwise;
 * with structured fields when the journal takes them (TJD_NETWORK= ...).
 */
static void daemon_pktlog_write(void *arg, const char *id, const char *name,
				const struct pktlog_event *packet, uint64_t held)
{
	struct tjd *tjd = arg;
	struct droplog_event event;
	char line[1024], what[160], port[8] = "", count[24];
	struct log_field fields[10];
	size_t n = 0;

	snprintf(count, sizeof(count), "%llu", (unsigned long long)held);
	if (packet->has_ports)
		snprintf(port, sizeof(port), "%u", packet->dport);
	if (strcmp(id, "tjd") == 0 && tjd->inventory != NULL &&
	    droplog_resolve(tjd->inventory, packet, &event) == 0) {
		droplog_format(&event, line, sizeof(line));
		fields[n++] = (struct log_field){"TJD_KIND", droplog_kind_name(event.kind)};
		fields[n++] = (struct log_field){"TJD_NETWORK", event.network};
		fields[n++] = (struct log_field){"TJD_SRC_CONTAINER", event.src.name};
		fields[n++] = (struct log_field){"TJD_SRC_ADDRESS", event.src.address};
		fields[n++] = (struct log_field){"TJD_DST_CONTAINER", event.dst.name};
		fields[n++] = (struct log_field){"TJD_DST_ADDRESS", event.dst.address};
		fields[n++] = (struct log_field){"TJD_REASON", event.reason};
	} else {
		char reason[INV_NAME_MAX + 96];

		pktlog_describe(packet, what, sizeof(what));
		if (strcmp(id, "tjd") == 0)
			snprintf(line, sizeof(line), "%s: %s",
				 packet->prefix[0] ? packet->prefix : "tjd", what);
		else if (daemon_policy_reason(packet->prefix, name, reason, sizeof(reason)))
			snprintf(line, sizeof(line), "container %s: %s blocked: %s", name, what,
				 reason);
		else
			snprintf(line, sizeof(line), "container %s: %s: %s", name,
				 packet->prefix[0] ? packet->prefix : "log rule", what);
		fields[n++] = (struct log_field){"TJD_KIND",
						 strncmp(packet->prefix, "tjd container ", 14) == 0
						     ? "container-policy"
						     : "container"};
		fields[n++] = (struct log_field){"TJD_CONTAINER", name};
		fields[n++] = (struct log_field){"TJD_RULE", packet->prefix};
	}
	fields[n++] = (struct log_field){"TJD_PORT", port};
	fields[n++] = (struct log_field){"TJD_HELD", count};
	daemon_held_suffix(line, sizeof(line), held);
	log_info_fields(fields, n, line);
}

/* The name of the container with this address, from the inventory; "" when none. */
static void daemon_address_owner(const struct tjd *tjd, int family, const uint8_t *bytes,
				 char *name, size_t size)
{
	const struct inventory *inv = tjd->inventory;

	name[0] = '\0';
	for (size_t c = 0; inv != NULL && c < inv->container_count; c++)
		for (size_t a = 0; a < inv->containers[c].address_count; a++) {
			const struct prefix *address = &inv->containers[c].addresses[a];

			if (address->family == family &&
			    memcmp(&address->addr, bytes, family == AF_INET ? 4 : 16) == 0) {
				snprintf(name, size, "%s", inv->containers[c].name);
				return;
			}
		}
}

/* Keeps every decoded packet in the ring tjctl log reads. */
static void daemon_pktlog_observe(void *arg, const char *id, const char *name,
				  const struct pktlog_event *packet)
{
	struct tjd *tjd = arg;
	struct events_entry entry;
	struct droplog_event drop;

	if (tjd->events == NULL)
		return;
	memset(&entry, 0, sizeof(entry));
	entry.time = time(NULL);
	snprintf(entry.rule, sizeof(entry.rule), "%s", packet->prefix);
	if (pktlog_protocol_name(packet->protocol) != NULL)
		snprintf(entry.protocol, sizeof(entry.protocol), "%s",
			 pktlog_protocol_name(packet->protocol));
	else
		snprintf(entry.protocol, sizeof(entry.protocol), "%u", packet->protocol);
	entry.port = packet->has_ports ? packet->dport : 0;
	if (strcmp(id, "tjd") == 0) {
		if (tjd->inventory == NULL || droplog_resolve(tjd->inventory, packet, &drop) < 0)
			return;
		snprintf(entry.kind, sizeof(entry.kind), "%s", droplog_kind_name(drop.kind));
		snprintf(entry.network, sizeof(entry.network), "%s", drop.network);
		snprintf(entry.src_name, sizeof(entry.src_name), "%s", drop.src.name);
		snprintf(entry.src_address, sizeof(entry.src_address), "%s", drop.src.address);
		snprintf(entry.dst_name, sizeof(entry.dst_name), "%s", drop.dst.name);
		snprintf(entry.dst_address, sizeof(entry.dst_address), "%s", drop.dst.address);
		snprintf(entry.reason, sizeof(entry.reason), "%s", drop.reason);
	} else {
		snprintf(entry.kind, sizeof(entry.kind), "%s",
			 strncmp(packet->prefix, "tjd container ", 14) == 0 ? "container-policy"
									    : "container");
		snprintf(entry.container, sizeof(entry.container), "%s", name);
		if (inet_ntop(packet->family, packet->src, entry.src_address,
			      sizeof(entry.src_address)) == NULL ||
		    inet_ntop(packet->family, packet->dst, entry.dst_address,
			      sizeof(entry.dst_address)) == NULL)
			return;
		daemon_address_owner(tjd, packet->family, packet->src, entry.src_name,
				     sizeof(entry.src_name));
		daemon_address_owner(tjd, packet->family, packet->dst, entry.dst_name,
				     sizeof(entry.dst_name));
		if (!daemon_policy_reason(packet->prefix, name, entry.reason, sizeof(entry.reason)))
			snprintf(entry.reason, sizeof(entry.reason), "matched %s's log rule", name);
	}
	events_add(tjd->events, &entry);
}

/* Listens in the namespaces of the containers whose rules log, as the last apply left them. */
static void daemon_pktlog_sync(struct tjd *tjd)
{
	const struct enforce_container_status *containers;
	struct pktlog_source *sources;
	size_t count, wanted = 0;

	if (tjd->pktlog == NULL)
		return;
	containers = enforce_containers(tjd->enforce, &count);
	sources = calloc(count + 1, sizeof(*sources));
	if (sources == NULL)
		return;
	/* tjd's own namespace: what the networks' closing drops sample */
	sources[wanted].id = "tjd";
	sources[wanted].name = "tjd";
	sources[wanted].netns = "";
	wanted++;
	for (size_t i = 0; i < count; i++) {
		if (containers[i].log_rule_count == 0 || !containers[i].enforced ||
		    containers[i].netns[0] == '\0')
			continue;
		sources[wanted].id = containers[i].id;
		sources[wanted].name = containers[i].name;
		sources[wanted].netns = containers[i].netns;
		wanted++;
	}
	pktlog_sync(tjd->pktlog, sources, wanted);
	free(sources);
}

/*
 * Something tjd holds besides Docker's state changed (the swarm peers):
 * compile and commit again from the last inventory, without asking Docker;
 * before any reconcile there is none, so ask for one.
 */
static void daemon_enforce_again(struct tjd *tjd, const char *why)
{
	char err[512];

	if (tjd->inventory->count == 0 || tjd->stopping) {
		reconcile_request(tjd->reconcile, why);
		return;
	}
	if (enforce_apply(tjd->enforce, tjd->conf, tjd->inventory, tjd->peers,
			  tjd->peer_network_count, err, sizeof(err)) != 0) {
		daemon_set_error(tjd, "%s: %s", why, err);
		reconcile_request(tjd->reconcile, why);
	}
	daemon_pktlog_sync(tjd);
}

/* Tells systemd (if it started us with Type=notify) a state line. */
static void daemon_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t length;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(addr.sun_path))
		return;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, strlen(path));
	if (addr.sun_path[0] == '@')
		addr.sun_path[0] = '\0';
	length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, length) < 0)
		log_warn("sd_notify");
	close(fd);
}

/* Arms the periodic full reconcile. */
static void daemon_arm_poll(struct tjd *tjd)
{
	struct timeval tv = {.tv_sec = tjd->conf->poll_interval};

	if (tjd->poll_timer == NULL)
		return;
	event_del(tjd->poll_timer);
	event_add(tjd->poll_timer, &tv);
}

int daemon_reload(struct tjd *tjd, char *err, size_t errlen)
{
	struct conf *conf = conf_load(tjd->conf_path, tjd->conf_required, getenv, err, errlen);
	struct docker_client *docker = NULL;

	if (conf == NULL)
		return -1;
	if (strcmp(conf->instance_id, tjd->conf->instance_id) != 0) {
		snprintf(err, errlen, "instance_id cannot change on reload; restart tjd");
		conf_free(conf);
		return -1;
	}
	if (conf->own_tables != tjd->conf->own_tables) {
		/* the kernel lets no one take the owner flag off a table */
		snprintf(err, errlen, "own_tables cannot change on reload; restart tjd");
		conf_free(conf);
		return -1;
	}
	if (strcmp(conf->docker_host, tjd->conf->docker_host) != 0) {
		docker = docker_client_new(tjd->base, conf->docker_host, err, errlen);
		if (docker == NULL) {
			conf_free(conf);
			return -1;
		}
	}
	reconcile_set_conf(tjd->reconcile, conf);
	conf_free(tjd->conf);
	tjd->conf = conf;
	daemon_arm_metrics(tjd);
	log_set_debug(conf->debug || log_is_debug());
	if (docker != NULL) {
		/* The old client's requests die with it; start over on the new one. */
		reconcile_free(tjd->reconcile);
		docker_client_free(tjd->docker);
		tjd->docker = docker;
		if (daemon_new_reconcile(tjd) < 0)
			fatalx("out of memory recreating the reconciler");
		reconcile_start(tjd->reconcile, true);
	} else {
		reconcile_request(tjd->reconcile, "configuration reloaded");
	}
	daemon_arm_poll(tjd);
	log_info("configuration reloaded: %zu protected network(s)", conf->network_count);
	return 0;
}

/* Periodic safety net: a full reconcile, which also repairs drift. */
static void daemon_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tjd *tjd = arg;

	reconcile_request(tjd->reconcile, "poll interval");
	daemon_arm_poll(tjd);
}

/* SIGTERM/SIGINT stop (rules stay), SIGHUP reloads, SIGUSR1 clears and exits. */
static void daemon_signal_cb(evutil_socket_t signal_number, short what, void *arg)
{
	struct tjd *tjd = arg;
	char err[512];

	switch (signal_number) {
	case SIGTERM:
	case SIGINT:
		log_info("stopping on signal %d; rules stay in place", (int)signal_number);
		daemon_stop(tjd, 0);
		break;
	case SIGHUP:
		if (daemon_reload(tjd, err, sizeof(err)) < 0)
			daemon_set_error(tjd, "reload refused, previous configuration kept: %s",
					 err);
		break;
	case SIGUSR1:
		if (daemon_clear_and_exit(tjd, err, sizeof(err)) < 0) {
			daemon_set_error(tjd, "clear on SIGUSR1 failed: %s", err);
			daemon_stop(tjd, 1);
		} else {
			daemon_stop(tjd, 0);
		}
		break;
	}
}

/* Summarises, as comments, what each protected network looked like. */
static void daemon_print_networks(const struct tjd *tjd, const struct inventory *inv, FILE *out)
{
	char text[INET6_ADDRSTRLEN + 8];

	for (size_t n = 0; n < tjd->conf->network_count; n++) {
		const char *name = tjd->conf->networks[n].name;
		const struct inv_network *net = inventory_find_network(inv, name);

		if (net == NULL) {
			fprintf(out, "# network %s: not found in Docker\n", name);
			continue;
		}
		fprintf(out, "# network %s: %s %s, subnets", name, net->driver,
			net->bridge[0] ? net->bridge : "(no local bridge: not enforced here)");
		for (size_t s = 0; s < net->subnet_count; s++)
			if (prefix_format(&net->subnets[s], text, sizeof(text)) == 0)
				fprintf(out, " %s", text);
		fprintf(out, "; allowed:");
		for (size_t e = 0; e < net->endpoint_count; e++)
			if (net->endpoints[e].allowed)
				fprintf(out, " %s", net->endpoints[e].name);
		fputc('\n', out);
	}
}

/* READY=1 once, with a status line. */
static void daemon_ready(struct tjd *tjd, const char *status)
{
	char state[256];

	if (tjd->notified)
		return;
	tjd->notified = true;
	snprintf(state, sizeof(state), "READY=1\nSTATUS=%s", status);
	daemon_sd_notify(state);
}

/* Dry run: each container's own firewall, as it would be installed in its namespace. */
static void daemon_print_containers(struct tjd *tjd, const struct inventory *inv,
				    const char *const chains[RULE_HOOK_COUNT], FILE *out)
{
	struct policy_plan plan;
	char err[256];

	policy_plan_init(&plan);
	if (policy_compile_containers(tjd->conf, inv, &plan, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		policy_plan_free(&plan);
		return;
	}
	for (size_t t = 0; t < plan.count; t++) {
		const struct policy_target *target = &plan.targets[t];
		char *text = ruleset_format(&target->rules, chains);

		fprintf(out, "\n# container %s, namespace %s\n", target->container_name,
			target->netns[0] ? target->netns : "(none: nothing written)");
		if (target->problem[0] != '\0')
			fprintf(out, "# %s\n", target->problem);
		if (text != NULL && target->netns[0] != '\0')
			fputs(text, out);
		free(text);
	}
	policy_plan_free(&plan);
}

/* Dry run: prints what a reconcile found and would install, then stops. */
static void daemon_dry_run_done(struct tjd *tjd, const struct inventory *inv, bool ok)
{
	const struct backend *backend = enforce_backend(tjd->enforce);
	const char *chains[RULE_HOOK_COUNT];
	char *text;

	backend_chain_names(backend, chains);
	text = ruleset_format(enforce_installed(tjd->enforce), chains);

	if (ok && text != NULL) {
		daemon_print_networks(tjd, inv, stdout);
		fputs(text, stdout);
		daemon_print_containers(tjd, inv, chains, stdout);
	}
	free(text);
	daemon_stop(tjd, ok ? 0 : 1);
}

/*
 * A reconcile finished: what it found goes to the kernel through the
 * enforcement layer; status and readiness follow.  The verdict tells the
 * reconciler whether the inventory is now what tjd enforces (see
 * reconcile_hooks.done).
 */
static int daemon_reconcile_done(void *arg, const struct reconcile_result *result)
{
	struct tjd *tjd = arg;
	int verdict = -1;
	char err[512];
	int rc;

	tjd->reconcile_count++;
	/* Give back what parsing Docker's answers left on the heap (nothing to give on an idle
	 * poll). */
	if (result->answers_parsed > 0)
		malloc_trim(0);
	tjd->last_reconcile = time(NULL);
	tjd->last_reconcile_usec = result->elapsed_usec;
	metrics_histogram_observe(&tjd->reconcile_seconds, result->elapsed_usec / 1e6);
	if (tjd->stopping)
		return -1;
	if (result->inventory == NULL) {
		daemon_set_error(tjd, "reconcile failed, rules left as they were: %s",
				 result->error);
		goto out;
	}
	tjd->docker_connected = true;
	rc = enforce_apply(tjd->enforce, tjd->conf, result->inventory, tjd->peers,
			   tjd->peer_network_count, err, sizeof(err));
	daemon_pktlog_sync(tjd);
	if (rc < 0) {
		daemon_set_error(tjd, "applying the ruleset (%s): %s",
				 enforce_backend_name(tjd->enforce), err);
		goto out;
	}
	if (rc > 0) {
		daemon_set_error(tjd, "overlay rules: %s", err);
		verdict = 1;
		goto out;
	}
	verdict = 0;
	daemon_clear_error(tjd);
	/* Fail closed, but visibly: status says whose allowance is withheld. */
	if (result->withheld[0] != '\0')
		daemon_set_error(tjd, "%s", result->withheld);
out:
	if (tjd->dry_run) {
		/* What was compiled is the result's: print it before the reconciler takes it. */
		daemon_dry_run_done(tjd, result->inventory, verdict == 0);
		return verdict;
	}
	/*
	 * Nothing saved and Docker not up yet (first boot, ordered before
	 * docker.service): there is nothing known to protect, and waiting for
	 * Docker here would deadlock the boot.  Report ready; the first
	 * reconcile with Docker follows as soon as it answers.
	 */
	if (verdict < 0 && !tjd->notified && !tjd->docker_connected &&
	    !enforce_stats(tjd->enforce)->ready) {
		log_info(
		    "no saved ruleset and Docker not reachable yet; ready, waiting for Docker");
		daemon_ready(tjd, "no saved ruleset; waiting for Docker");
	}
	if (enforce_stats(tjd->enforce)->ready && !tjd->notified) {
		log_info("first ruleset in place; ready");
		daemon_ready(tjd, "enforcing");
	}
	return verdict;
}

/* Docker's event stream is down: rules stay, status says so. */
static void daemon_docker_lost(void *arg, const char *message)
{
	struct tjd *tjd = arg;

	tjd->docker_connected = false;
	daemon_set_error(tjd, "%s", message);
}

/* Someone changed tjd's rules and the enforcement layer put them back: look at Docker too. */
static void daemon_drift_repaired(void *arg)
{
	struct tjd *tjd = arg;

	reconcile_request(tjd->reconcile, "firewall changed outside tjd");
}

/* Creates the reconciler on tjd's Docker client; 0 or -1 (out of memory). */
static int daemon_new_reconcile(struct tjd *tjd)
{
	static const struct reconcile_hooks hooks = {
	    .done = daemon_reconcile_done,
	    .docker_lost = daemon_docker_lost,
	};

	tjd->reconcile =
	    reconcile_new(tjd->base, tjd->docker, tjd->conf, &reconcile_netns_ports, &hooks, tjd);
	if (tjd->reconcile == NULL)
		return -1;
	tjd->inventory = reconcile_inventory(tjd->reconcile);
	return 0;
}

/*
 * Fail-closed boot: reinstalls the last applied ruleset before Docker is
 * reachable, so protected networks are closed when Docker starts its
 * containers.  The first reconcile with Docker corrects anything stale.
 */
static void daemon_restore_state(struct tjd *tjd)
{
	char err[512];
	int rc = enforce_restore(tjd->enforce, err, sizeof(err));

	if (rc < 0)
		daemon_set_error(tjd, "restoring the saved ruleset: %s", err);
	if (rc > 0)
		daemon_ready(tjd, "enforcing the saved ruleset; waiting for Docker");
}

/* Tells whether a backend name is one tjd knows. */
static bool daemon_backend_known(const char *name)
{
	return strcmp(name, "auto") == 0 || strcmp(name, "nftables") == 0 ||
	       strcmp(name, "iptables") == 0;
}

/* Installs the signal handlers on the loop. */
static int daemon_signals(struct tjd *tjd)
{
	static const int signals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		tjd->signal_events[i] = evsignal_new(tjd->base, signals[i], daemon_signal_cb, tjd);
		if (tjd->signal_events[i] == NULL || event_add(tjd->signal_events[i], NULL) < 0)
			return -1;
	}
	return 0;
}

/* Releases everything daemon_main built. */
static void daemon_free(struct tjd *tjd)
{
	reconcile_free(tjd->reconcile);
	control_free(tjd->control);
	docker_client_free(tjd->docker);
	for (size_t i = 0; i < sizeof(tjd->signal_events) / sizeof(tjd->signal_events[0]); i++)
		if (tjd->signal_events[i] != NULL)
			event_free(tjd->signal_events[i]);
	if (tjd->poll_timer != NULL)
		event_free(tjd->poll_timer);
	if (tjd->metrics_timer != NULL)
		event_free(tjd->metrics_timer);
	pktlog_free(tjd->pktlog);
	events_free(tjd->events);
	enforce_free(tjd->enforce);
	peer_sets_free(tjd->peers, tjd->peer_network_count);
	peer_parts_free(tjd->peer_parts);
	conf_free(tjd->conf);
	if (tjd->base != NULL)
		event_base_free(tjd->base);
}

int daemon_main(const struct daemon_options *options)
{
	struct tjd tjd;
	struct enforce_options enforce_options;
	char err[512];
	int rc = 1;

	memset(&tjd, 0, sizeof(tjd));
	tjd.conf_path = options->conf_path;
	tjd.conf_required = options->conf_required;
	tjd.socket_path = options->socket_path;
	tjd.dry_run = options->dry_run;
	tjd.started = time(NULL);
	log_init("tjd",
		 options->foreground || options->check_config || options->dry_run || options->clear,
		 options->debug);
	if (options->backend != NULL && !daemon_backend_known(options->backend)) {
		log_warnx("unknown backend \"%s\" (expected auto, nftables or iptables)",
			  options->backend);
		return 2;
	}
	if (options->clear) {
		/* clearing never depends on the rest of the configuration */
		tjd.conf = conf_load_for_clear(tjd.conf_path, getenv, err, sizeof(err));
		if (tjd.conf == NULL) {
			log_warnx("%s", err);
			return 1;
		}
		rc = enforce_clear_offline(tjd.conf->instance_id, options->state_file) < 0 ? 1 : 0;
		goto out;
	}
	tjd.conf = conf_load(tjd.conf_path, tjd.conf_required, getenv, err, sizeof(err));
	if (tjd.conf == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	log_set_debug(options->debug || tjd.conf->debug);
	if (options->check_config) {
		printf("configuration OK: %zu protected network(s), %zu set(s)%s\n",
		       tjd.conf->network_count, tjd.conf->set_count,
		       !tjd.conf->published.present ? ""
		       : tjd.conf->published.policy == RULESPEC_DENY
			   ? ", published ports: policy deny"
			   : ", published ports: policy allow");
		rc = 0;
		goto out;
	}
	if (tjd.conf->network_count == 0)
		log_warnx("no network is protected: name one in the configuration "
			  "([network NAME]) or set NETWORK and WHITELIST_FILTER");
	enforce_options = (struct enforce_options){
	    .instance_id = tjd.conf->instance_id,
	    .backend = options->backend ? options->backend : tjd.conf->backend,
	    .state_file = options->state_file,
	    .dry_run = options->dry_run,
	    .conntrack_purge = true,
	    .unowned_tables = !tjd.conf->own_tables,
	};
	tjd.enforce = enforce_new(&enforce_options, err, sizeof(err));
	if (tjd.enforce == NULL) {
		log_warnx("refusing to start: %s", err);
		goto out;
	}
	if (!options->dry_run)
		daemon_restore_state(&tjd);
	if (!options->foreground && !options->dry_run && daemon(0, 0) < 0) {
		log_warn("daemon");
		goto out;
	}
	tjd.base = event_base_new();
	if (tjd.base == NULL)
		fatalx("cannot create the event loop");
	tjd.docker = docker_client_new(tjd.base, tjd.conf->docker_host, err, sizeof(err));
	if (tjd.docker == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	tjd.poll_timer = evtimer_new(tjd.base, daemon_poll_cb, &tjd);
	if (daemon_new_reconcile(&tjd) < 0 || tjd.poll_timer == NULL || daemon_signals(&tjd) < 0)
		fatalx("out of memory setting up the event loop");
	enforce_set_drift_hook(tjd.enforce, daemon_drift_repaired, &tjd);
	if (enforce_watch(tjd.enforce, tjd.base) < 0)
		fatalx("out of memory watching the firewall");
	if (!options->dry_run) {
		tjd.pktlog = pktlog_new(tjd.base);
		tjd.metrics_timer = evtimer_new(tjd.base, daemon_metrics_cb, &tjd);
		if (tjd.pktlog == NULL || tjd.metrics_timer == NULL)
			fatalx("out of memory setting up the log readers and metrics");
		pktlog_set_writer(tjd.pktlog, daemon_pktlog_write, &tjd);
		tjd.events = events_new();
		if (tjd.events == NULL)
			fatalx("out of memory setting up the connection log");
		pktlog_set_observer(tjd.pktlog, daemon_pktlog_observe, &tjd);
		tjd.control = control_new(&tjd, tjd.socket_path, err, sizeof(err));
		if (tjd.control == NULL) {
			log_warnx("control socket: %s", err);
			goto out;
		}
		daemon_arm_poll(&tjd);
		daemon_arm_metrics(&tjd);
	}
	log_info("tjd %s starting: backend %s, %zu protected network(s), docker %s",
		 PACKAGE_VERSION, enforce_backend_name(tjd.enforce), tjd.conf->network_count,
		 tjd.conf->docker_host);
	reconcile_start(tjd.reconcile, !options->dry_run);
	if (event_base_dispatch(tjd.base) < 0)
		fatalx("event loop failed");
	rc = tjd.exit_code;
out:
	daemon_free(&tjd);
	return rc;
}
