/* Prometheus text exposition of tjd's counters; see metrics.h. */
#include "config.h"

#include "tjd/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/textbuf.h"

const char *const metrics_drop_kinds[METRICS_DROP_KINDS] = {"isolation", "no-host", "host"};

const double metrics_bucket_bounds[METRICS_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void metrics_histogram_observe(struct metrics_histogram *histogram, double seconds)
{
	if (seconds < 0)
		seconds = 0;
	for (size_t i = 0; i < METRICS_BUCKETS; i++)
		if (seconds <= metrics_bucket_bounds[i]) {
			histogram->buckets[i]++;
			break;
		}
	histogram->count++;
	histogram->sum += seconds;
}

/* A label value as the format wants it: backslash, quote and newline escaped. */
static void metrics_escape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; in != NULL && *in != '\0' && n + 3 < size; in++) {
		if (*in == '\\' || *in == '"') {
			out[n++] = '\\';
			out[n++] = *in;
		} else if (*in == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *in;
		}
	}
	out[n] = '\0';
}

/* HELP and TYPE lines of one metric family. */
static void metrics_family(struct textbuf *text, const char *name, const char *type,
			   const char *help)
{
	textbuf_add(text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family with one unlabelled sample. */
static void metrics_single(struct textbuf *text, const char *name, const char *type,
			   const char *help, double value)
{
	metrics_family(text, name, type, help);
	textbuf_add(text, "%s %.17g\n", name, value);
}

/* What one per-network family shows. */
enum metrics_field {
	METRICS_PRESENT,
	METRICS_ALLOWED,
	METRICS_RULES,
	METRICS_PEERS_AGE,
};

/* Whether a network has a sample of the field, and its value. */
static bool metrics_network_value(const struct metrics_network *n, enum metrics_field field,
				  time_t now, double *value)
{
	switch (field) {
	case METRICS_PRESENT:
		*value = n->present;
		return true;
	case METRICS_ALLOWED:
		*value = (double)n->allowed;
		return n->present;
	case METRICS_RULES:
		*value = (double)n->rules;
		return n->present;
	case METRICS_PEERS_AGE:
		*value = now > n->peers_updated ? (double)(now - n->peers_updated) : 0;
		return n->overlay && n->has_peers;
	}
	return false;
}

/* A family with one sample per configured network that has the field. */
static void metrics_per_network(struct textbuf *text, const struct metrics_snapshot *s,
				const char *name, const char *type, const char *help,
				enum metrics_field field)
{
	bool any = false;

	for (size_t i = 0; i < s->network_count; i++) {
		char label[512];
		double value;

		if (!metrics_network_value(&s->networks[i], field, s->now, &value))
			continue;
		if (!any)
			metrics_family(text, name, type, help);
		any = true;
		metrics_escape(s->networks[i].name, label, sizeof(label));
		textbuf_add(text, "%s{network=\"%s\"} %.17g\n", name, label, value);
	}
}

/* A drop family: one sample per network whose drops are counted, and kind. */
static void metrics_drops(struct textbuf *text, const struct metrics_snapshot *s, const char *name,
			  const char *help, bool bytes)
{
	bool any = false;

	for (size_t i = 0; i < s->network_count; i++) {
		const struct metrics_network *n = &s->networks[i];
		char label[512];

		if (!n->present || !n->has_drops)
			continue;
		if (!any)
			metrics_family(text, name, "counter", help);
		any = true;
		metrics_escape(n->name, label, sizeof(label));
		for (int k = 0; k < METRICS_DROP_KINDS; k++)
			textbuf_add(text, "%s{network=\"%s\",kind=\"%s\"} %llu\n", name, label,
				    metrics_drop_kinds[k],
				    (unsigned long long)(bytes ? n->dropped_bytes[k]
							       : n->dropped_packets[k]));
	}
}

/* The reconcile duration histogram, cumulative buckets as the format wants. */
static void metrics_histogram(struct textbuf *text, const struct metrics_histogram *h)
{
	static const struct metrics_histogram empty;
	uint64_t cumulative = 0;

	if (h == NULL)
		h = &empty;
	metrics_family(text, "tjd_reconcile_duration_seconds", "histogram",
		       "Time from a reconcile's start to its inventory, in seconds.");
	for (size_t i = 0; i < METRICS_BUCKETS; i++) {
		cumulative += h->buckets[i];
		textbuf_add(text, "tjd_reconcile_duration_seconds_bucket{le=\"%g\"} %llu\n",
			    metrics_bucket_bounds[i], (unsigned long long)cumulative);
	}
	textbuf_add(text, "tjd_reconcile_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		    (unsigned long long)h->count);
	textbuf_add(text, "tjd_reconcile_duration_seconds_sum %.17g\n", h->sum);
	textbuf_add(text, "tjd_reconcile_duration_seconds_count %llu\n",
		    (unsigned long long)h->count);
}

char *metrics_render(const struct metrics_snapshot *s)
{
	struct textbuf text = {0};
	char version[128], backend[64];

	metrics_escape(s->version, version, sizeof(version));
	metrics_escape(s->backend, backend, sizeof(backend));
	metrics_family(&text, "tjd_build_info", "gauge",
		       "Always 1; the version and the firewall backend in use as labels.");
	textbuf_add(&text, "tjd_build_info{version=\"%s\",backend=\"%s\"} 1\n", version, backend);
	metrics_single(&text, "tjd_ready", "gauge",
		       "1 once a ruleset is in place (restored or applied), else 0.", s->ready);
	metrics_single(&text, "tjd_docker_connected", "gauge",
		       "1 when the last reconcile reached Docker, else 0.", s->docker_connected);
	metrics_single(&text, "tjd_start_time_seconds", "gauge",
		       "When tjd started, in seconds since the epoch.", (double)s->started);
	metrics_single(&text, "tjd_last_reconcile_timestamp_seconds", "gauge",
		       "When the last reconcile finished, in seconds since the epoch; 0 before "
		       "the first.",
		       (double)s->last_reconcile);
	metrics_single(&text, "tjd_last_error_timestamp_seconds", "gauge",
		       "When tjd last recorded an error, in seconds since the epoch; 0 for none.",
		       (double)s->last_error);
	metrics_single(&text, "tjd_reconciles_total", "counter",
		       "Reconciles with Docker finished, successful or not.",
		       (double)s->reconciles);
	metrics_single(&text, "tjd_applies_total", "counter",
		       "Commits that changed a kernel ruleset, in any namespace.",
		       (double)s->applies);
	metrics_single(&text, "tjd_drift_repairs_total", "counter",
		       "Commits that undid someone else's change to tjd's rules.",
		       (double)s->drift_repairs);
	metrics_histogram(&text, s->reconcile_seconds);
	metrics_single(&text, "tjd_conntrack_purges_total", "counter",
		       "Purges of tracked connections a stricter policy no longer admits.",
		       (double)s->conntrack_purges);
	metrics_single(&text, "tjd_conntrack_deleted_connections_total", "counter",
		       "Tracked connections those purges deleted.", (double)s->conntrack_deleted);
	metrics_single(&text, "tjd_conntrack_purge_failures_total", "counter",
		       "Purges that failed (retried at the next apply).",
		       (double)s->conntrack_failures);
	metrics_single(&text, "tjd_container_firewalls", "gauge",
		       "Containers with a firewall of their own (dcfw.* or tjd.* labels).",
		       (double)s->container_firewalls);
	metrics_single(&text, "tjd_container_firewall_problems", "gauge",
		       "Of them, containers denied everything or refused (see tjctl status).",
		       (double)s->container_firewall_problems);
	metrics_single(&text, "tjd_log_lines_total", "counter",
		       "Lines written for packets that log rules passed on.", (double)s->log_lines);
	metrics_single(&text, "tjd_log_lines_suppressed_total", "counter",
		       "Packets log rules passed on that the rate limit kept out of the log.",
		       (double)s->log_lines_suppressed);
	metrics_per_network(&text, s, "tjd_network_present", "gauge",
			    "1 when Docker has the configured network, else 0.", METRICS_PRESENT);
	metrics_per_network(&text, s, "tjd_network_allowed_containers", "gauge",
			    "Allow-listed containers on the network.", METRICS_ALLOWED);
	metrics_per_network(&text, s, "tjd_network_rules", "gauge",
			    "Kernel rules the last apply gave the network.", METRICS_RULES);
	metrics_drops(&text, s, "tjd_network_dropped_packets_total",
		      "Packets tjd's rules dropped on the network, by kind: isolation (between "
		      "containers), no-host (to the host), host (from the host, mid-stream).",
		      false);
	metrics_drops(&text, s, "tjd_network_dropped_bytes_total", "Bytes of those packets.", true);
	if (s->has_published_drops) {
		metrics_single(&text, "tjd_published_dropped_packets_total", "counter",
			       "Packets to published ports the [published] policy refused.",
			       (double)s->published_packets);
		metrics_single(&text, "tjd_published_dropped_bytes_total", "counter",
			       "Bytes of those packets.", (double)s->published_bytes);
	}
	for (size_t i = 0; i < s->set_count; i++) {
		char label[512];

		if (i == 0)
			metrics_family(
			    &text, "tjd_set_members", "gauge",
			    "Members the kernel holds in a named set of tjd.conf, by family.");
		metrics_escape(s->sets[i].name, label, sizeof(label));
		textbuf_add(&text, "tjd_set_members{set=\"%s\",family=\"ipv4\"} %llu\n", label,
			    (unsigned long long)s->sets[i].ipv4);
		textbuf_add(&text, "tjd_set_members{set=\"%s\",family=\"ipv6\"} %llu\n", label,
			    (unsigned long long)s->sets[i].ipv6);
	}
	metrics_per_network(&text, s, "tjd_overlay_peers_age_seconds", "gauge",
			    "Seconds since the swarm coordinator last pushed the overlay "
			    "network's peers.",
			    METRICS_PEERS_AGE);
	return textbuf_take(&text);
}

int metrics_write_file(const char *path, const char *text, char *err, size_t errlen)
{
	char temporary[4096];
	size_t length = strlen(text), done = 0;
	int fd;

	if (snprintf(temporary, sizeof(temporary), "%s.tmp", path) >= (int)sizeof(temporary)) {
		error_format(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		error_format(err, errlen, "%s: %s", temporary, strerror(errno));
		return -1;
	}
	while (done < length) {
		ssize_t n = write(fd, text + done, length - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_format(err, errlen, "%s: %s", temporary,
				     n < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(temporary);
			return -1;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0644) < 0 || close(fd) < 0) {
		error_format(err, errlen, "%s: %s", temporary, strerror(errno));
		unlink(temporary);
		return -1;
	}
	if (rename(temporary, path) < 0) {
		error_format(err, errlen, "%s: %s", path, strerror(errno));
		unlink(temporary);
		return -1;
	}
	return 0;
}
