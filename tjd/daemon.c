#include "config.h"

#include "tjd/daemon.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "tjd/control.h"
#include "tjd/docker.h"
#include "tjd/overlay.h"
#include "tjd/reconcile.h"
#include "tjd/state.h"

/* How often the kernel is compared with tjd's rules where it cannot notify. */
#define DAEMON_DRIFT_CHECK_MSEC 200

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

void daemon_free_peers(struct tjd *tjd)
{
	for (size_t i = 0; i < tjd->peer_network_count; i++) {
		free(tjd->peers[i].lb_ips);
		free(tjd->peers[i].allowed_ips);
	}
	free(tjd->peers);
	tjd->peers = NULL;
	tjd->peer_network_count = 0;
}

void daemon_stop(struct tjd *tjd, int exit_code)
{
	tjd->stopping = true;
	tjd->exit_code = exit_code;
	event_base_loopexit(tjd->base, NULL);
}

int daemon_clear_and_exit(struct tjd *tjd, char *err, size_t errlen)
{
	if (tjd->backend.ops->clear(&tjd->backend, err, errlen) < 0)
		return -1;
	/* The overlay namespaces too: nothing of tjd's stays behind anywhere. */
	if (overlay_clear(tjd->overlays, err, errlen) < 0)
		return -1;
	if (tjd->state_file != NULL && state_remove(tjd->state_file, err, errlen) < 0)
		log_warnx("%s", err);
	log_info("removed every rule tjd installed; exiting");
	tjd->stopping = true;
	ruleset_free(&tjd->installed);
	return 0;
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
	if (strcmp(conf->docker_host, tjd->conf->docker_host) != 0) {
		docker = docker_client_new(tjd->base, conf->docker_host, err, errlen);
		if (docker == NULL) {
			conf_free(conf);
			return -1;
		}
	}
	conf_free(tjd->conf);
	tjd->conf = conf;
	log_set_debug(conf->debug || log_is_debug());
	if (docker != NULL) {
		/* The old client's requests die with it; start over on the new one. */
		reconcile_free(tjd->reconcile);
		docker_client_free(tjd->docker);
		tjd->docker = docker;
		tjd->reconcile = reconcile_new(tjd);
		if (tjd->reconcile == NULL)
			fatalx("out of memory recreating the reconciler");
		reconcile_start(tjd->reconcile);
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
static void daemon_print_networks(const struct tjd *tjd, FILE *out)
{
	char text[INET6_ADDRSTRLEN + 8];

	for (size_t n = 0; n < tjd->conf->network_count; n++) {
		const char *name = tjd->conf->networks[n].name;
		const struct inv_network *net = NULL;

		for (size_t i = 0; i < tjd->inventory.count; i++)
			if (strcmp(tjd->inventory.networks[i].name, name) == 0)
				net = &tjd->inventory.networks[i];
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

/* Whether READY=1 went out: after the first apply, restored or reconciled. */
static bool daemon_notified;

/* Keeps the kernel's ruleset on disk whenever it changed. */
static void daemon_save_state(struct tjd *tjd)
{
	char err[512];

	if (tjd->state_file == NULL || tjd->apply_count == tjd->saved_apply_count)
		return;
	if (state_save(tjd->state_file, &tjd->installed, err, sizeof(err)) < 0) {
		log_warnx("saving the ruleset for the next start: %s", err);
		return;
	}
	tjd->saved_apply_count = tjd->apply_count;
}

/*
 * Fail-closed boot: reinstalls the last applied ruleset before Docker is
 * reachable, so protected networks are closed when Docker starts its
 * containers.  The first reconcile with Docker corrects anything stale.
 */
static void daemon_restore_state(struct tjd *tjd)
{
	struct ruleset saved;
	bool changed = false;
	char err[512];
	int rc;

	if (tjd->state_file == NULL)
		return;
	ruleset_init(&saved);
	rc = state_load(tjd->state_file, &saved, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			log_warnx("ignoring the saved ruleset: %s", err);
		ruleset_free(&saved);
		return;
	}
	if (tjd->backend.ops->apply(&tjd->backend, &saved, &changed, err, sizeof(err)) < 0) {
		daemon_set_error(tjd, "restoring the saved ruleset: %s", err);
		ruleset_free(&saved);
		return;
	}
	ruleset_free(&tjd->installed);
	tjd->installed = saved;
	tjd->ready = true;
	log_info("restored %zu saved rules from %s before contacting Docker", saved.count,
		 tjd->state_file);
	daemon_notified = true;
	daemon_sd_notify("READY=1\nSTATUS=enforcing the saved ruleset; waiting for Docker");
}

/* After each reconcile: readiness once, and dry-run's single pass. */
static void daemon_reconcile_done(struct tjd *tjd, bool ok)
{

	if (tjd->dry_run) {
		char *text = ruleset_format(&tjd->installed, tjd->backend.chain_forward,
					    tjd->backend.chain_input);
		if (ok && text != NULL) {
			daemon_print_networks(tjd, stdout);
			fputs(text, stdout);
		}
		free(text);
		daemon_stop(tjd, ok ? 0 : 1);
		return;
	}
	if (ok)
		daemon_save_state(tjd);
	/*
	 * Nothing saved and Docker not up yet (first boot, ordered before
	 * docker.service): there is nothing known to protect, and waiting for
	 * Docker here would deadlock the boot.  Report ready; the first
	 * reconcile with Docker follows as soon as it answers.
	 */
	if (!ok && !daemon_notified && !tjd->docker_connected && !tjd->ready) {
		daemon_notified = true;
		log_info("no saved ruleset and Docker not reachable yet; ready, waiting for Docker");
		daemon_sd_notify("READY=1\nSTATUS=no saved ruleset; waiting for Docker");
	}
	if (ok && !daemon_notified) {
		daemon_notified = true;
		log_info("first ruleset in place; ready");
		daemon_sd_notify("READY=1\nSTATUS=enforcing");
	}
}

/* Tells whether a backend name is one tjd knows. */
static bool daemon_backend_known(const char *name)
{
	return strcmp(name, "auto") == 0 || strcmp(name, "nftables") == 0 ||
	       strcmp(name, "iptables") == 0;
}

/*
 * Opens the chosen backend.  auto prefers nftables, Docker's own direction
 * and one lookup per packet for any number of allowed addresses; it falls
 * back to the legacy tables only where nf_tables does not work.
 */
static int daemon_open_backend(struct tjd *tjd, const char *choice, char *err, size_t errlen)
{
	const char *instance = tjd->conf->instance_id;
	char nft_err[384];

	if (strcmp(choice, "iptables") == 0 || strcmp(choice, "nftables") == 0) {
		backend_init(&tjd->backend,
			     strcmp(choice, "iptables") == 0 ? &backend_iptc_ops : &backend_nft_ops,
			     instance);
		snprintf(tjd->backend_reason, sizeof(tjd->backend_reason), "configured");
		return tjd->backend.ops->open(&tjd->backend, err, errlen);
	}
	backend_init(&tjd->backend, &backend_nft_ops, instance);
	if (tjd->backend.ops->open(&tjd->backend, nft_err, sizeof(nft_err)) == 0) {
		snprintf(tjd->backend_reason, sizeof(tjd->backend_reason),
			 "auto: the kernel's nf_tables works");
		return 0;
	}
	log_warnx("nftables unusable (%s); using the legacy iptables tables", nft_err);
	backend_init(&tjd->backend, &backend_iptc_ops, instance);
	snprintf(tjd->backend_reason, sizeof(tjd->backend_reason),
		 "auto: nf_tables unusable: %.200s", nft_err);
	return tjd->backend.ops->open(&tjd->backend, err, errlen);
}

/* Removes what the other backend installed in an earlier run, if anything. */
static void daemon_clear_backend(const struct backend_ops *ops, const char *instance)
{
	struct backend other;
	char err[512];

	backend_init(&other, ops, instance);
	other.clear_only = true;
	if (other.ops->open(&other, err, sizeof(err)) < 0) {
		log_debug("not clearing %s: %s", ops->name, err);
		return;
	}
	if (other.ops->clear(&other, err, sizeof(err)) < 0)
		log_warnx("clearing what %s held: %s", ops->name, err);
	other.ops->close(&other);
}

/* Puts tjd's last rules back if the kernel no longer holds them. */
static void daemon_repair_drift(struct tjd *tjd)
{
	bool changed = false;
	char err[512];

	if (!tjd->ready || tjd->stopping)
		return;
	if (tjd->backend.ops->apply(&tjd->backend, &tjd->installed, &changed, err,
				    sizeof(err)) < 0) {
		daemon_set_error(tjd, "restoring rules changed outside tjd: %s", err);
		return;
	}
	if (changed) {
		tjd->drift_repairs++;
		log_warnx("repaired drift: tjd's rules were changed outside tjd; restored");
		reconcile_request(tjd->reconcile, "firewall changed outside tjd");
	}
}

/* Live drift repair: the backend saw someone change tjd's rules. */
static void daemon_monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tjd *tjd = arg;

	if (tjd->backend.ops->monitor_drain(&tjd->backend))
		daemon_repair_drift(tjd);
}

/* Without change notifications (legacy x_tables), compare often instead. */
static void daemon_drift_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	daemon_repair_drift(arg);
}

/*
 * Watches the backend's change notifications where it has them; otherwise
 * reads the kernel back every DAEMON_DRIFT_CHECK_MSEC (a cheap compare that
 * commits nothing unless someone changed tjd's rules).
 */
static int daemon_watch_backend(struct tjd *tjd)
{
	struct timeval interval = {.tv_sec = 0, .tv_usec = DAEMON_DRIFT_CHECK_MSEC * 1000};
	int fd = -1;

	if (tjd->backend.ops->monitor_fd != NULL && tjd->backend.ops->monitor_drain != NULL)
		fd = tjd->backend.ops->monitor_fd(&tjd->backend);
	if (fd >= 0) {
		tjd->monitor_event =
			event_new(tjd->base, fd, EV_READ | EV_PERSIST, daemon_monitor_cb, tjd);
		return tjd->monitor_event == NULL || event_add(tjd->monitor_event, NULL) < 0 ? -1
											       : 0;
	}
	tjd->monitor_event = event_new(tjd->base, -1, EV_PERSIST, daemon_drift_timer_cb, tjd);
	return tjd->monitor_event == NULL || event_add(tjd->monitor_event, &interval) < 0 ? -1 : 0;
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
	if (tjd->monitor_event != NULL)
		event_free(tjd->monitor_event);
	if (tjd->backend_open)
		tjd->backend.ops->close(&tjd->backend);
	inventory_free(&tjd->inventory);
	ruleset_free(&tjd->installed);
	free(tjd->rule_counts);
	daemon_free_peers(tjd);
	overlay_state_free(tjd->overlays);
	conf_free(tjd->conf);
	if (tjd->base != NULL)
		event_base_free(tjd->base);
}

/* tjd --clear: remove everything without a running daemon, in both backends. */
static int daemon_clear_only(struct tjd *tjd)
{
	static const struct backend_ops *const all[] = {&backend_iptc_ops, &backend_nft_ops};
	char err[512];
	int rc = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct backend backend;

		backend_init(&backend, all[i], tjd->conf->instance_id);
		backend.clear_only = true;
		if (backend.ops->open(&backend, err, sizeof(err)) < 0) {
			/* A backend the kernel cannot run holds nothing of ours. */
			log_debug("%s: %s", all[i]->name, err);
			continue;
		}
		if (backend.ops->clear(&backend, err, sizeof(err)) < 0) {
			log_warnx("clear (%s) failed: %s", all[i]->name, err);
			rc = 1;
		}
		backend.ops->close(&backend);
	}
	if (rc == 0 && tjd->state_file != NULL && state_remove(tjd->state_file, err, sizeof(err)) < 0)
		log_warnx("%s", err);
	if (rc == 0)
		log_info("removed every rule tjd installed");
	return rc;
}

int daemon_main(const struct daemon_options *options)
{
	struct tjd tjd;
	const char *choice;
	char err[512];
	int rc = 1;

	memset(&tjd, 0, sizeof(tjd));
	tjd.conf_path = options->conf_path;
	tjd.conf_required = options->conf_required;
	tjd.socket_path = options->socket_path;
	tjd.dry_run = options->dry_run;
	tjd.state_file = options->dry_run ? NULL : options->state_file;
	tjd.started = time(NULL);
	log_init("tjd", options->foreground || options->check_config || options->dry_run ||
				options->clear,
		 options->debug);
	if (options->backend != NULL && !daemon_backend_known(options->backend)) {
		log_warnx("unknown backend \"%s\" (expected auto, nftables or iptables)",
			  options->backend);
		return 2;
	}
	tjd.conf = conf_load(tjd.conf_path, tjd.conf_required, getenv, err, sizeof(err));
	if (tjd.conf == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	log_set_debug(options->debug || tjd.conf->debug);
	if (options->check_config) {
		printf("configuration OK: %zu protected network(s)\n", tjd.conf->network_count);
		rc = 0;
		goto out;
	}
	choice = options->backend ? options->backend : tjd.conf->backend;
	if (backend_init(&tjd.backend, options->dry_run ? &backend_fake_ops : &backend_iptc_ops,
			 tjd.conf->instance_id) < 0)
		fatalx("instance id passed validation but backend_init refused it");
	if (options->clear) {
		rc = daemon_clear_only(&tjd);
		goto out;
	}
	if (tjd.conf->network_count == 0)
		log_warnx("no network is protected: name one in the configuration "
			  "([network NAME]) or set NETWORK and WHITELIST_FILTER");
	if (!options->dry_run && backend_check_bridge_netfilter(err, sizeof(err)) < 0) {
		log_warnx("refusing to start: %s", err);
		goto out;
	}
	if (options->dry_run) {
		if (tjd.backend.ops->open(&tjd.backend, err, sizeof(err)) < 0)
			fatalx("fake backend: %s", err);
	} else if (daemon_open_backend(&tjd, choice, err, sizeof(err)) < 0) {
		log_warnx("refusing to start: backend %s: %s", tjd.backend.ops->name, err);
		goto out;
	}
	tjd.backend_open = true;
	if (!options->dry_run) {
		/* Switching backends leaves nothing of the other one behind. */
		daemon_clear_backend(tjd.backend.ops == &backend_nft_ops ? &backend_iptc_ops
									 : &backend_nft_ops,
				     tjd.conf->instance_id);
		daemon_restore_state(&tjd);
	}
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
	tjd.reconcile = reconcile_new(&tjd);
	tjd.poll_timer = evtimer_new(tjd.base, daemon_poll_cb, &tjd);
	if (tjd.reconcile == NULL || tjd.poll_timer == NULL || daemon_signals(&tjd) < 0)
		fatalx("out of memory setting up the event loop");
	reconcile_set_done_hook(tjd.reconcile, daemon_reconcile_done);
	if (!options->dry_run && daemon_watch_backend(&tjd) < 0)
		fatalx("out of memory watching the firewall");
	if (!options->dry_run) {
		tjd.control = control_new(&tjd, tjd.socket_path, err, sizeof(err));
		if (tjd.control == NULL) {
			log_warnx("control socket: %s", err);
			goto out;
		}
		daemon_arm_poll(&tjd);
	}
	log_info("tjd %s starting: backend %s, %zu protected network(s), docker %s",
		 PACKAGE_VERSION, tjd.backend.ops->name, tjd.conf->network_count,
		 tjd.conf->docker_host);
	reconcile_start(tjd.reconcile);
	if (event_base_dispatch(tjd.base) < 0)
		fatalx("event loop failed");
	rc = tjd.exit_code;
out:
	daemon_free(&tjd);
	return rc;
}
