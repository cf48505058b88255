/*
 * tjctl status: the daemon's state and each protected network, as an
 * aligned table for people or (--json) one JSON object for scripts.
 *
 * Every string in the reply comes from the daemon, and through it from
 * Docker (names, labels, filters), so all of them go through output.h,
 * which shows no control character on the terminal and puts no invalid
 * UTF-8 in the JSON.
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tjctl/output.h"

/* Docker's short form of a 64-hex-digit id. */
#define CMD_STATUS_SHORT_ID 12
/* Indent of the allow-listed containers' sub-table. */
#define CMD_STATUS_TABLE_INDENT 4

static int cmd_status_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_status_entry = {
    .name = "status",
    .usage = "[--json]",
    .summary = "show the daemon's state and every protected network",
    .flags = 0,
    .exec = cmd_status_exec,
};

/* ---- text output ---- */

/* Maps NULL (never sent by protobuf-c, but cheap to survive) to "". */
static const char *cmd_status_str(const char *s)
{
	return s != NULL ? s : "";
}

/* Maps an empty string to "-" for a value that should never be blank. */
static const char *cmd_status_or_dash(const char *s)
{
	return cmd_status_str(s)[0] != '\0' ? s : "-";
}

/* Formats a unix time as local "YYYY-MM-DD HH:MM:SS ZONE". */
static void cmd_status_format_time(int64_t unix_time, char *buf, size_t size)
{
	time_t t = (time_t)unix_time;
	struct tm tm;

	if ((int64_t)t != unix_time || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, size, "@%" PRId64, unix_time);
}

/* Formats how long ago then was, e.g. "42s ago", "3h12m ago", "in 5s". */
static void cmd_status_format_age(int64_t then, time_t now, char *buf, size_t size)
{
	int64_t delta = (int64_t)now - then;
	bool future = delta < 0;
	uint64_t s = future ? (uint64_t)0 - (uint64_t)delta : (uint64_t)delta;
	char amount[64];

	if (s < 60)
		snprintf(amount, sizeof(amount), "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(amount, sizeof(amount), "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(amount, sizeof(amount), "%" PRIu64 "h%" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(amount, sizeof(amount), "%" PRIu64 "d%" PRIu64 "h", s / 86400,
			 s / 3600 % 24);
	snprintf(buf, size, future ? "in %s" : "%s ago", amount);
}

/* Formats "TIME (AGE)", or "never" for the protocol's unset time 0. */
static void cmd_status_format_when(int64_t unix_time, time_t now, char *buf, size_t size)
{
	char when[64], age[64];

	if (unix_time == 0) {
		snprintf(buf, size, "never");
		return;
	}
	cmd_status_format_time(unix_time, when, sizeof(when));
	cmd_status_format_age(unix_time, now, age, sizeof(age));
	snprintf(buf, size, "%s (%s)", when, age);
}

/* Prints the daemon-wide rows at the top of the table. */
static void cmd_status_print_daemon(const Tjd__V1__StatusResponse *status, time_t now)
{
	char when[160];
	double ms = status->last_reconcile_usec / 1000.0;

	output_field(stdout, 0, "version", "%s", cmd_status_or_dash(status->version));
	if (cmd_status_str(status->backend_reason)[0] != '\0')
		output_field(stdout, 0, "backend", "%s (%s)", cmd_status_or_dash(status->backend),
			     status->backend_reason);
	else
		output_field(stdout, 0, "backend", "%s", cmd_status_or_dash(status->backend));
	output_field(stdout, 0, "instance", "%s", cmd_status_or_dash(status->instance_id));
	output_field(stdout, 0, "config file", "%s", cmd_status_or_dash(status->config_file));
	if (status->poll_interval > 0)
		output_field(stdout, 0, "poll interval", "%" PRIu32 "s", status->poll_interval);
	else
		output_field(stdout, 0, "poll interval", "-");
	output_field(stdout, 0, "docker", "%s (%s)", cmd_status_or_dash(status->docker_host),
		     status->docker_connected ? "connected" : "NOT connected");
	output_field(stdout, 0, "ready", "%s",
		     status->ready ? "yes" : "no (rules not applied yet)");
	cmd_status_format_when(status->started_unix, now, when, sizeof(when));
	output_field(stdout, 0, "started", "%s", when);
	cmd_status_format_when(status->last_reconcile_unix, now, when, sizeof(when));
	if (status->last_reconcile_unix != 0)
		output_field(stdout, 0, "last reconcile", "%s, took %.*f ms", when,
			     ms < 1.0 ? 3 : 1, ms);
	else
		output_field(stdout, 0, "last reconcile", "%s", when);
	output_field(stdout, 0, "reconciles", "%" PRIu64, status->reconcile_count);
	output_field(stdout, 0, "rule applies", "%" PRIu64, status->apply_count);
	output_field(stdout, 0, "drift repairs", "%" PRIu64, status->drift_repairs);
	if (status->conntrack_failures > 0)
		output_field(stdout, 0, "connections cut",
			     "%" PRIu64 " in %" PRIu64 " purge(s), %" PRIu64 " purge(s) FAILED",
			     status->conntrack_deleted, status->conntrack_purges,
			     status->conntrack_failures);
	else
		output_field(stdout, 0, "connections cut", "%" PRIu64 " in %" PRIu64 " purge(s)",
			     status->conntrack_deleted, status->conntrack_purges);
	if (cmd_status_str(status->last_error)[0] != '\0') {
		output_field(stdout, 0, "last error", "%s", status->last_error);
		if (status->last_error_unix != 0) {
			cmd_status_format_when(status->last_error_unix, now, when, sizeof(when));
			output_field(stdout, 0, "last error at", "%s", when);
		}
	} else {
		output_field(stdout, 0, "last error", "none");
	}
	if (cmd_status_str(status->last_peer_push_from)[0] != '\0' ||
	    status->last_peer_push_unix != 0) {
		cmd_status_format_when(status->last_peer_push_unix, now, when, sizeof(when));
		output_field(stdout, 0, "peers pushed", "by %s, %s",
			     cmd_status_or_dash(status->last_peer_push_from), when);
	}
}

/* Prints the allow-listed containers of one network as an aligned sub-table. */
static void cmd_status_print_allowed(const Tjd__V1__NetworkStatus *network)
{
	static const char *const headers[] = {"NAME", "SHORT-ID", "ADDRESSES", "BRIDGE-PORT"};
	int name_width = (int)strlen(headers[0]);
	int id_width = (int)strlen(headers[1]);
	int addresses_width = (int)strlen(headers[2]);
	char short_id[CMD_STATUS_SHORT_ID + 1];
	size_t i;

	for (i = 0; i < network->n_allowed; i++) {
		const Tjd__V1__AllowedContainer *container = network->allowed[i];
		int width;

		if (container == NULL)
			continue;
		width = output_width(container->name);
		if (width > name_width)
			name_width = width;
		snprintf(short_id, sizeof(short_id), "%s", cmd_status_str(container->id));
		width = output_width(short_id);
		if (width > id_width)
			id_width = width;
		width = output_list_width(container->addresses, container->n_addresses);
		if (width > addresses_width)
			addresses_width = width;
	}

	printf("%*s%-*s  %-*s  %-*s  %s\n", CMD_STATUS_TABLE_INDENT, "", name_width, headers[0],
	       id_width, headers[1], addresses_width, headers[2], headers[3]);
	for (i = 0; i < network->n_allowed; i++) {
		const Tjd__V1__AllowedContainer *container = network->allowed[i];
		int pad;

		if (container == NULL)
			continue;
		printf("%*s", CMD_STATUS_TABLE_INDENT, "");
		output_cell(stdout, container->name, name_width);
		fputs("  ", stdout);
		snprintf(short_id, sizeof(short_id), "%s", cmd_status_str(container->id));
		output_cell(stdout, short_id, id_width);
		fputs("  ", stdout);
		output_list(stdout, container->addresses, container->n_addresses, "-");
		pad = addresses_width -
		      output_list_width(container->addresses, container->n_addresses);
		printf("%*s  ", pad > 0 ? pad : 0, "");
		output_cell(stdout, container->bridge_port, 0);
		putchar('\n');
	}
}

/* Prints one network's block. */
static void cmd_status_print_network(const Tjd__V1__NetworkStatus *network, time_t now)
{
	const char *parts[3][2] = {
	    {"id ", cmd_status_str(network->id)},
	    {"driver ", cmd_status_str(network->driver)},
	    {"interface ", cmd_status_str(network->interface)},
	};
	char short_id[CMD_STATUS_SHORT_ID + 1];
	char when[160];
	bool opened = false;
	size_t i;

	snprintf(short_id, sizeof(short_id), "%s", parts[0][1]);
	parts[0][1] = short_id;
	fputs("\nnetwork ", stdout);
	output_text(stdout, cmd_status_or_dash(network->name));
	for (i = 0; i < 3; i++) {
		if (parts[i][1][0] == '\0')
			continue;
		fputs(opened ? ", " : " (", stdout);
		fputs(parts[i][0], stdout);
		output_text(stdout, parts[i][1]);
		opened = true;
	}
	fputs(opened ? ")\n" : "\n", stdout);

	output_field(stdout, 2, "state", "%s",
		     network->present ? "present" : "not found in Docker");
	output_label(stdout, 2, "subnets");
	output_list(stdout, network->subnets, network->n_subnets, "none");
	putchar('\n');
	output_field_lines(stdout, 2, "allow", network->allow_filters, network->n_allow_filters);
	output_field(stdout, 2, "allow host traffic", "%s",
		     network->allow_host_traffic ? "yes" : "no");
	output_field(stdout, 2, "rules", "%" PRIu32, network->rule_count);
	if (network->n_rules > 0)
		output_field_lines(stdout, 2, "network rules", network->rules, network->n_rules);
	if (network->reach_allowed)
		output_field(stdout, 2, "reach allowed", "yes");
	if (strcmp(cmd_status_str(network->lan_egress), "deny") == 0) {
		output_label(stdout, 2, "lan egress");
		fputs("deny, except ", stdout);
		output_list(stdout, network->lan_allow, network->n_lan_allow, "nothing");
		putchar('\n');
	}
	if (network->counters_available)
		output_field(stdout, 2, "dropped", "%" PRIu64 " packets, %" PRIu64 " bytes",
			     network->dropped_packets, network->dropped_bytes);
	output_field(stdout, 2, "endpoints", "%" PRIu32, network->endpoint_count);
	if (network->n_lb_ips > 0 || cmd_status_str(network->netns)[0] != '\0') {
		output_label(stdout, 2, "load balancer");
		output_list(stdout, network->lb_ips, network->n_lb_ips, "none");
		putchar('\n');
		output_field(stdout, 2, "overlay namespace", "%s (%s)",
			     cmd_status_or_dash(network->netns),
			     network->overlay_enforced ? "enforced" : "NOT enforced");
	}
	if (network->n_peer_ips > 0 || network->peers_updated_unix != 0) {
		output_label(stdout, 2, "peer IPs");
		output_list(stdout, network->peer_ips, network->n_peer_ips, "none");
		if (network->peers_updated_unix != 0) {
			cmd_status_format_age(network->peers_updated_unix, now, when, sizeof(when));
			printf(" (updated %s)", when);
		}
		putchar('\n');
	}
	if (network->n_allowed == 0) {
		output_field(stdout, 2, "allowed containers", "none");
		return;
	}
	output_field(stdout, 2, "allowed containers", "%zu", network->n_allowed);
	cmd_status_print_allowed(network);
}

/* Prints the containers that carry a firewall of their own. */
static void cmd_status_print_containers(const Tjd__V1__StatusResponse *status)
{
	for (size_t i = 0; i < status->n_containers; i++) {
		const Tjd__V1__ContainerPolicyStatus *container = status->containers[i];
		char short_id[CMD_STATUS_SHORT_ID + 1];

		if (container == NULL)
			continue;
		snprintf(short_id, sizeof(short_id), "%s", cmd_status_str(container->id));
		fputs("\ncontainer ", stdout);
		output_text(stdout, cmd_status_or_dash(container->name));
		fputs(" (id ", stdout);
		output_text(stdout, short_id);
		fputs(")\n", stdout);
		output_label(stdout, 2, "namespace");
		output_text(stdout, cmd_status_or_dash(container->netns));
		putchar('\n');
		output_field(stdout, 2, "rules", "%" PRIu32 "%s", container->rule_count,
			     container->enforced			   ? ""
			     : cmd_status_str(container->netns)[0] == '\0' ? " (none written)"
									   : " (NOT in place)");
		if (cmd_status_str(container->problem)[0] != '\0') {
			output_label(stdout, 2, "problem");
			output_text(stdout, container->problem);
			putchar('\n');
		}
	}
}

/* Prints the named sets. */
static void cmd_status_print_sets(const Tjd__V1__StatusResponse *status, time_t now)
{
	char when[160];

	for (size_t i = 0; i < status->n_sets; i++) {
		const Tjd__V1__SetStatus *set = status->sets[i];

		if (set == NULL)
			continue;
		fputs("\nset ", stdout);
		output_text(stdout, cmd_status_or_dash(set->name));
		putchar('\n');
		output_field(stdout, 2, "members",
			     "%" PRIu32 " IPv4, %" PRIu32 " IPv6 (%" PRIu32 " listed in the file)",
			     set->ipv4_members, set->ipv6_members, set->configured_members);
		if (cmd_status_str(set->containers)[0] != '\0') {
			output_label(stdout, 2, "containers");
			output_text(stdout, set->containers);
			putchar('\n');
		}
		cmd_status_format_when(set->changed_unix, now, when, sizeof(when));
		output_field(stdout, 2, "last change", "%s", when);
	}
}

/* Prints the published-port policy. */
static void cmd_status_print_published(const Tjd__V1__PublishedStatus *published)
{
	if (published == NULL || !published->present)
		return;
	fputs("\npublished ports\n", stdout);
	output_field(stdout, 2, "policy", "%s", cmd_status_or_dash(published->policy));
	output_field_lines(stdout, 2, "rules", published->rules, published->n_rules);
	output_label(stdout, 2, "ports");
	output_list(stdout, published->ports, published->n_ports, "none");
	putchar('\n');
	if (published->counters_available)
		output_field(stdout, 2, "dropped", "%" PRIu64 " packets, %" PRIu64 " bytes",
			     published->dropped_packets, published->dropped_bytes);
}

/* Prints the whole human-readable status. */
static void cmd_status_print_text(const Tjd__V1__StatusResponse *status)
{
	time_t now = time(NULL);
	size_t i;

	cmd_status_print_daemon(status, now);
	if (status->n_networks == 0)
		fputs("\nno networks configured\n", stdout);
	for (i = 0; i < status->n_networks; i++) {
		if (status->networks[i] != NULL)
			cmd_status_print_network(status->networks[i], now);
	}
	cmd_status_print_containers(status);
	cmd_status_print_sets(status, now);
	cmd_status_print_published(status->published);
}

/* ---- JSON output ---- */

/* A JSON integer from an unsigned protocol counter (clamped, never negative). */
static json_t *cmd_status_json_unsigned(uint64_t n)
{
	return json_integer(n > (uint64_t)LLONG_MAX ? LLONG_MAX : (json_int_t)n);
}

/*
 * Adds "<base>_unix" (the protocol's seconds, 0 when unset) and
 * "<base>_iso" (UTC ISO-8601, null when unset).
 */
static void cmd_status_json_time(json_t *object, const char *base, int64_t unix_time, bool *failed)
{
	char key[64], iso[64];
	time_t t = (time_t)unix_time;
	json_t *iso_value = json_null();
	struct tm tm;

	snprintf(key, sizeof(key), "%s_unix", base);
	output_json_set(object, key, json_integer(unix_time), failed);
	if (unix_time != 0 && (int64_t)t == unix_time && gmtime_r(&t, &tm) != NULL &&
	    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) != 0)
		iso_value = json_string(iso);
	snprintf(key, sizeof(key), "%s_iso", base);
	output_json_set(object, key, iso_value, failed);
}

/* One allow-listed container as a JSON object. */
static json_t *cmd_status_json_container(const Tjd__V1__AllowedContainer *container, bool *failed)
{
	json_t *object = json_object();

	if (object == NULL)
		return NULL;
	output_json_set(object, "id", output_json_string(container->id), failed);
	output_json_set(object, "name", output_json_string(container->name), failed);
	output_json_set(object, "addresses",
			output_json_strings(container->addresses, container->n_addresses), failed);
	output_json_set(object, "bridge_port", output_json_string(container->bridge_port), failed);
	return object;
}

/* One network as a JSON object, keys in .proto field order. */
static json_t *cmd_status_json_network(const Tjd__V1__NetworkStatus *network, bool *failed)
{
	json_t *object = json_object();
	json_t *allowed = json_array();
	size_t i;

	if (object == NULL || allowed == NULL) {
		json_decref(object);
		json_decref(allowed);
		return NULL;
	}
	for (i = 0; i < network->n_allowed; i++) {
		if (network->allowed[i] == NULL)
			continue;
		if (json_array_append_new(
			allowed, cmd_status_json_container(network->allowed[i], failed)) != 0)
			*failed = true;
	}
	output_json_set(object, "name", output_json_string(network->name), failed);
	output_json_set(object, "id", output_json_string(network->id), failed);
	output_json_set(object, "driver", output_json_string(network->driver), failed);
	output_json_set(object, "interface", output_json_string(network->interface), failed);
	output_json_set(object, "subnets",
			output_json_strings(network->subnets, network->n_subnets), failed);
	output_json_set(object, "allowed", allowed, failed);
	output_json_set(object, "rule_count", json_integer(network->rule_count), failed);
	if (network->counters_available) {
		output_json_set(object, "dropped_packets",
				cmd_status_json_unsigned(network->dropped_packets), failed);
		output_json_set(object, "dropped_bytes",
				cmd_status_json_unsigned(network->dropped_bytes), failed);
	}
	output_json_set(object, "allow_host_traffic", json_boolean(network->allow_host_traffic),
			failed);
	output_json_set(object, "present", json_boolean(network->present), failed);
	output_json_set(object, "allow_filters",
			output_json_strings(network->allow_filters, network->n_allow_filters),
			failed);
	output_json_set(object, "endpoint_count", json_integer(network->endpoint_count), failed);
	output_json_set(object, "peer_ips",
			output_json_strings(network->peer_ips, network->n_peer_ips), failed);
	cmd_status_json_time(object, "peers_updated", network->peers_updated_unix, failed);
	output_json_set(object, "lb_ips", output_json_strings(network->lb_ips, network->n_lb_ips),
			failed);
	output_json_set(object, "netns", output_json_string(network->netns), failed);
	output_json_set(object, "overlay_enforced", json_boolean(network->overlay_enforced),
			failed);
	output_json_set(object, "rules", output_json_strings(network->rules, network->n_rules),
			failed);
	output_json_set(object, "reach_allowed", json_boolean(network->reach_allowed), failed);
	output_json_set(object, "lan_egress", output_json_string(network->lan_egress), failed);
	output_json_set(object, "lan_allow",
			output_json_strings(network->lan_allow, network->n_lan_allow), failed);
	return object;
}

/* The named sets as a JSON array. */
static json_t *cmd_status_json_sets(const Tjd__V1__StatusResponse *status, bool *failed)
{
	json_t *array = json_array();

	for (size_t i = 0; array != NULL && i < status->n_sets; i++) {
		const Tjd__V1__SetStatus *set = status->sets[i];
		json_t *object;

		if (set == NULL)
			continue;
		object = json_object();
		if (object == NULL) {
			*failed = true;
			continue;
		}
		output_json_set(object, "name", output_json_string(set->name), failed);
		output_json_set(object, "ipv4_members", json_integer(set->ipv4_members), failed);
		output_json_set(object, "ipv6_members", json_integer(set->ipv6_members), failed);
		cmd_status_json_time(object, "changed", set->changed_unix, failed);
		output_json_set(object, "containers", output_json_string(set->containers), failed);
		output_json_set(object, "configured_members", json_integer(set->configured_members),
				failed);
		if (json_array_append_new(array, object) != 0)
			*failed = true;
	}
	return array;
}

/* The published-port policy as a JSON object (null without a [published] section). */
static json_t *cmd_status_json_published(const Tjd__V1__PublishedStatus *published, bool *failed)
{
	json_t *object;

	if (published == NULL || !published->present)
		return json_null();
	object = json_object();
	if (object == NULL)
		return NULL;
	output_json_set(object, "policy", output_json_string(published->policy), failed);
	output_json_set(object, "rules", output_json_strings(published->rules, published->n_rules),
			failed);
	output_json_set(object, "ports", output_json_strings(published->ports, published->n_ports),
			failed);
	if (published->counters_available) {
		output_json_set(object, "dropped_packets",
				cmd_status_json_unsigned(published->dropped_packets), failed);
		output_json_set(object, "dropped_bytes",
				cmd_status_json_unsigned(published->dropped_bytes), failed);
	}
	return object;
}

/* The containers with a firewall of their own, as a JSON array. */
static json_t *cmd_status_json_containers(const Tjd__V1__StatusResponse *status, bool *failed)
{
	json_t *array = json_array();

	for (size_t i = 0; array != NULL && i < status->n_containers; i++) {
		const Tjd__V1__ContainerPolicyStatus *container = status->containers[i];
		json_t *object;

		if (container == NULL)
			continue;
		object = json_object();
		if (object == NULL) {
			*failed = true;
			continue;
		}
		output_json_set(object, "id", output_json_string(container->id), failed);
		output_json_set(object, "name", output_json_string(container->name), failed);
		output_json_set(object, "netns", output_json_string(container->netns), failed);
		output_json_set(object, "rule_count", json_integer(container->rule_count), failed);
		output_json_set(object, "enforced", json_boolean(container->enforced), failed);
		output_json_set(object, "problem", output_json_string(container->problem), failed);
		if (json_array_append_new(array, object) != 0)
			*failed = true;
	}
	return array;
}

/* The whole StatusResponse as one JSON object, keys in .proto field order. */
static json_t *cmd_status_json(const Tjd__V1__StatusResponse *status, bool *failed)
{
	json_t *object = json_object();
	json_t *networks = json_array();
	size_t i;

	if (object == NULL || networks == NULL) {
		json_decref(object);
		json_decref(networks);
		return NULL;
	}
	for (i = 0; i < status->n_networks; i++) {
		if (status->networks[i] == NULL)
			continue;
		if (json_array_append_new(
			networks, cmd_status_json_network(status->networks[i], failed)) != 0)
			*failed = true;
	}
	output_json_set(object, "version", output_json_string(status->version), failed);
	output_json_set(object, "backend", output_json_string(status->backend), failed);
	output_json_set(object, "backend_reason", output_json_string(status->backend_reason),
			failed);
	output_json_set(object, "docker_host", output_json_string(status->docker_host), failed);
	output_json_set(object, "docker_connected", json_boolean(status->docker_connected), failed);
	output_json_set(object, "ready", json_boolean(status->ready), failed);
	cmd_status_json_time(object, "started", status->started_unix, failed);
	cmd_status_json_time(object, "last_reconcile", status->last_reconcile_unix, failed);
	output_json_set(object, "last_reconcile_usec", json_integer(status->last_reconcile_usec),
			failed);
	output_json_set(object, "last_error", output_json_string(status->last_error), failed);
	cmd_status_json_time(object, "last_error", status->last_error_unix, failed);
	output_json_set(object, "reconcile_count",
			cmd_status_json_unsigned(status->reconcile_count), failed);
	output_json_set(object, "apply_count", cmd_status_json_unsigned(status->apply_count),
			failed);
	output_json_set(object, "drift_repairs", cmd_status_json_unsigned(status->drift_repairs),
			failed);
	output_json_set(object, "networks", networks, failed);
	output_json_set(object, "instance_id", output_json_string(status->instance_id), failed);
	output_json_set(object, "config_file", output_json_string(status->config_file), failed);
	output_json_set(object, "poll_interval", json_integer(status->poll_interval), failed);
	output_json_set(object, "last_peer_push_from",
			output_json_string(status->last_peer_push_from), failed);
	cmd_status_json_time(object, "last_peer_push", status->last_peer_push_unix, failed);
	output_json_set(object, "conntrack_purges",
			cmd_status_json_unsigned(status->conntrack_purges), failed);
	output_json_set(object, "conntrack_deleted",
			cmd_status_json_unsigned(status->conntrack_deleted), failed);
	output_json_set(object, "conntrack_failures",
			cmd_status_json_unsigned(status->conntrack_failures), failed);
	output_json_set(object, "containers", cmd_status_json_containers(status, failed), failed);
	output_json_set(object, "sets", cmd_status_json_sets(status, failed), failed);
	output_json_set(object, "published", cmd_status_json_published(status->published, failed),
			failed);
	return object;
}

/* Prints the status as indented JSON; keys keep .proto field order. */
static int cmd_status_print_json(const Tjd__V1__StatusResponse *status)
{
	bool failed = false;
	json_t *root = cmd_status_json(status, &failed);
	int result = TJCTL_EXIT_ERROR;

	if (root != NULL && !failed && output_json(stdout, root) == 0)
		result = TJCTL_EXIT_OK;
	else
		tjctl_error("cannot build the JSON output (out of memory?)");
	json_decref(root);
	return result;
}

/* ---- the command ---- */

/* Asks the daemon for its status and prints it as a table or as JSON. */
static int cmd_status_exec(const struct tjctl_context *context, int argc, char **argv)
{
	Tjd__V1__StatusRequest status_request = TJD__V1__STATUS_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	bool json = false;
	int status = TJCTL_EXIT_OK;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			status = tjctl_usage_error(
			    context->entry, "%s \"%s\" for status",
			    argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
			goto done;
		}
	}

	request.command_case = TJD__V1__REQUEST__COMMAND_STATUS;
	request.status = &status_request;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	if (response->result_case != TJD__V1__RESPONSE__RESULT_STATUS || response->status == NULL) {
		status = client_garbled(context, "the reply carries no status");
		goto done;
	}
	if (json)
		status = cmd_status_print_json(response->status);
	else
		cmd_status_print_text(response->status);
	/* Scripts (and proxies waiting to start) can test readiness by exit code. */
	if (status == TJCTL_EXIT_OK && !response->status->ready)
		status = TJCTL_EXIT_NOT_READY;
done:
	client_response_free(response);
	return status;
}
