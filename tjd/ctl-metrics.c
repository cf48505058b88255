/* metrics: tjd's counters in Prometheus' text format (tjd/metrics.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/enforce.h"
#include "tjd/metrics.h"
#include "tjd/overlay.h"
#include "tjd/pktlog.h"
#include "tjd/policy-host.h"

/* Fills one configured network's figures; counter is NULL when the backend keeps none. */
static void ctl_metrics_network(const struct tjd *tjd, const struct conf_network *cn,
				const struct backend_counter *counter, struct metrics_network *out)
{
	const struct inv_network *net = inventory_find_network(tjd->inventory, cn->name);
	const struct peer_set *peers;

	memset(out, 0, sizeof(*out));
	out->name = cn->name;
	if (net == NULL)
		return;
	out->present = true;
	out->overlay = overlay_network(net);
	for (size_t e = 0; e < net->endpoint_count; e++)
		out->allowed += net->endpoints[e].allowed;
	out->rules = enforce_rule_count(tjd->enforce, net->id);
	if (counter != NULL) {
		out->has_drops = true;
		for (int k = 0; k < METRICS_DROP_KINDS && k < BACKEND_DROP_KINDS; k++) {
			out->dropped_packets[k] = counter->kind_packets[k];
			out->dropped_bytes[k] = counter->kind_bytes[k];
		}
	}
	peers = peer_sets_find(tjd->peers, tjd->peer_network_count, net->id);
	if (peers != NULL) {
		out->has_peers = true;
		out->peers_updated = peers->updated;
	}
}

char *ctl_metrics_text(struct tjd *tjd)
{
	const struct conf *conf = tjd->conf;
	const struct enforce_stats *stats = enforce_stats(tjd->enforce);
	size_t count = conf->network_count, wanted_count = 0, containers;
	struct metrics_network *networks = calloc(count + 1, sizeof(*networks));
	struct backend_counter *wanted = calloc(count + 1, sizeof(*wanted));
	size_t *index = calloc(count + 1, sizeof(*index));
	const struct enforce_container_status *firewalls;
	struct metrics_snapshot snapshot;
	struct metrics_set *sets = NULL;
	bool counted = false;
	char err[256], *text = NULL;

	if (networks == NULL || wanted == NULL || index == NULL)
		goto out;
	/* every local bridge's drop counters from one read of the kernel */
	for (size_t n = 0; n < count; n++) {
		const struct inv_network *net =
		    inventory_find_network(tjd->inventory, conf->networks[n].name);
		if (net == NULL || net->bridge[0] == '\0')
			continue;
		wanted[wanted_count].bridge = net->bridge;
		index[wanted_count++] = n;
	}
	if (wanted_count > 0)
		counted =
		    enforce_counters(tjd->enforce, wanted, wanted_count, err, sizeof(err)) == 0;
	for (size_t n = 0; n < count; n++) {
		const struct backend_counter *counter = NULL;

		for (size_t c = 0; counted && c < wanted_count; c++)
			if (index[c] == n)
				counter = &wanted[c];
		ctl_metrics_network(tjd, &conf->networks[n], counter, &networks[n]);
	}
	memset(&snapshot, 0, sizeof(snapshot));
	snapshot.version = PACKAGE_VERSION;
	snapshot.backend = enforce_backend_name(tjd->enforce);
	snapshot.now = time(NULL);
	snapshot.started = tjd->started;
	snapshot.ready = stats->ready;
	snapshot.docker_connected = tjd->docker_connected;
	snapshot.reconciles = tjd->reconcile_count;
	snapshot.applies = stats->apply_count;
	snapshot.drift_repairs = stats->drift_repairs;
	snapshot.conntrack_purges = stats->conntrack_purges;
	snapshot.conntrack_deleted = stats->conntrack_deleted;
	snapshot.conntrack_failures = stats->conntrack_failures;
	snapshot.reconcile_seconds = &tjd->reconcile_seconds;
	snapshot.last_error = tjd->last_error_time;
	snapshot.last_reconcile = tjd->last_reconcile;
	firewalls = enforce_containers(tjd->enforce, &containers);
	snapshot.container_firewalls = containers;
	for (size_t i = 0; i < containers; i++)
		snapshot.container_firewall_problems += firewalls[i].problem[0] != '\0';
	if (tjd->pktlog != NULL)
		pktlog_counts(tjd->pktlog, &snapshot.log_lines, &snapshot.log_lines_suppressed);
	snapshot.networks = networks;
	snapshot.network_count = count;
	sets = calloc(conf->set_count + 1, sizeof(*sets));
	if (sets == NULL)
		goto out;
	for (size_t i = 0; i < conf->set_count; i++) {
		size_t ipv4, ipv6;

		sets[i].name = conf->sets[i].name;
		policy_host_set_members(enforce_installed(tjd->enforce), conf->sets[i].name, &ipv4,
					&ipv6);
		sets[i].ipv4 = ipv4;
		sets[i].ipv6 = ipv6;
	}
	snapshot.sets = sets;
	snapshot.set_count = conf->set_count;
	if (conf->published.present) {
		struct backend_counter all = {.bridge = NULL};
		if (enforce_counters(tjd->enforce, &all, 1, err, sizeof(err)) == 0) {
			snapshot.has_published_drops = true;
			snapshot.published_packets = all.kind_packets[BACKEND_DROP_PUBLISHED];
			snapshot.published_bytes = all.kind_bytes[BACKEND_DROP_PUBLISHED];
		}
	}
	text = metrics_render(&snapshot);
out:
	free(sets);
	free(networks);
	free(wanted);
	free(index);
	return text;
}

/* Renders the metrics into the reply. */
static int ctl_metrics_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			    Tjd__V1__Response *reply)
{
	Tjd__V1__MetricsResponse *metrics;
	char *text;

	(void)request;
	text = ctl_metrics_text(ctx->tjd);
	if (text == NULL)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED, "out of memory");
	metrics = ctl_alloc(ctx, sizeof(*metrics));
	if (metrics != NULL) {
		tjd__v1__metrics_response__init(metrics);
		metrics->text = ctl_strdup(ctx, text);
		if (metrics->text != NULL) {
			reply->result_case = TJD__V1__RESPONSE__RESULT_METRICS;
			reply->metrics = metrics;
		}
	}
	free(text);
	return 0;
}

const struct ctl_command ctl_metrics_command = {
    .name = "metrics",
    .command = TJD__V1__REQUEST__COMMAND_METRICS,
    .flags = 0,
    .exec = ctl_metrics_exec,
};
