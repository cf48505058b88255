/*
 * tjctl swarm status: every node's view, as the coordinator on this host
 * knows it (its status socket): role and readiness, the agent's link, the
 * node's load-balancer addresses, the peer set planned for it, the
 * generation pushed, and what the node's tjd reports holding.  Every
 * string in the document came from another node or from Docker: all go
 * through output.h, as in tjctl status.
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "swarm/coordinator.h"
#include "tjctl/output.h"

static int cmd_swarm_status_exec(const struct tjctl_context *context, int argc, char **argv);

/* The options, indexed by this enum. */
enum {
	SWARM_STATUS_JSON,
	SWARM_STATUS_SOCKET,
	SWARM_STATUS_OPTIONS,
};

static const struct cmd_option cmd_swarm_status_options[] = {
    [SWARM_STATUS_JSON] = {"json", NULL},
    [SWARM_STATUS_SOCKET] = {"status-socket", "PATH"},
    [SWARM_STATUS_OPTIONS] = {NULL, NULL},
};

const struct cmd_entry cmd_swarm_status_entry = {
    .name = "status",
    .usage = "[--json] [--status-socket PATH]",
    .summary = "show every node as the coordinator on this host sees it",
    .flags = 0,
    .options = cmd_swarm_status_options,
    .exec = cmd_swarm_status_exec,
};

/* A string member through the printer, "-" when missing or empty. */
static void swarm_status_put(json_t *object, const char *key)
{
	json_t *value = json_object_get(object, key);
	const char *text = json_is_string(value) ? json_string_value(value) : "";

	output_text(stdout, text[0] != '\0' ? text : "-");
}

/* An array of strings joined by ", " (anything else shown empty), or "none". */
static void swarm_status_list(json_t *object, const char *key)
{
	json_t *array = json_object_get(object, key), *value;
	size_t index;

	if (!json_is_array(array) || json_array_size(array) == 0) {
		fputs("none", stdout);
		return;
	}
	json_array_foreach(array, index, value)
	{
		printf("%s", index ? ", " : "");
		output_text(stdout, json_is_string(value) ? json_string_value(value) : "");
	}
}

/* "12s ago" for a unix time, "never" for 0. */
static void swarm_status_age(json_t *object, const char *key)
{
	json_t *value = json_object_get(object, key);
	int64_t then = json_is_integer(value) ? json_integer_value(value) : 0;

	if (then == 0)
		fputs("never", stdout);
	else
		printf("%" PRId64 "s ago", (int64_t)time(NULL) - then);
}

/* An integer member, 0 when missing. */
static int64_t swarm_status_integer(json_t *object, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(object, key));
}

/* A boolean member: yes or no. */
static const char *swarm_status_flag(json_t *object, const char *key, const char *yes,
				     const char *no)
{
	return json_is_true(json_object_get(object, key)) ? yes : no;
}

/* Prints one protected network as one node's tjd and the coordinator see it. */
static void swarm_status_print_network(json_t *net)
{
	fputs("  network ", stdout);
	swarm_status_put(net, "name");
	putchar('\n');
	output_label(stdout, 4, "load balancer");
	swarm_status_list(net, "lb_ips");
	putchar('\n');
	output_label(stdout, 4, "peer LBs");
	swarm_status_list(net, "peer_lb_ips");
	putchar('\n');
	output_label(stdout, 4, "peer allowed");
	swarm_status_list(net, "peer_allowed_ips");
	putchar('\n');
	output_label(stdout, 4, "tjd holds");
	printf("%" PRId64 " peer(s), updated ", swarm_status_integer(net, "installed_peer_count"));
	swarm_status_age(net, "peers_updated_unix");
	printf(", %s, %" PRId64 " rule(s)\n",
	       swarm_status_flag(net, "enforced", "enforced", "NOT enforced here"),
	       swarm_status_integer(net, "rule_count"));
}

/* Prints one node's block. */
static void swarm_status_print_node(json_t *node)
{
	json_t *networks = json_object_get(node, "networks"), *net;
	size_t n;

	fputs("\nnode ", stdout);
	swarm_status_put(node, "hostname");
	fputs(" (", stdout);
	swarm_status_put(node, "id");
	fputs(", ", stdout);
	swarm_status_put(node, "role");
	printf(", %s)\n", swarm_status_flag(node, "ready", "ready", "NOT ready"));
	output_label(stdout, 2, "agent");
	printf("%s, last report ",
	       swarm_status_flag(node, "agent_connected", "connected", "NOT connected"));
	swarm_status_age(node, "last_report_unix");
	putchar('\n');
	output_label(stdout, 2, "peer set");
	printf("generation %" PRId64 ", pushed %" PRId64 " (",
	       swarm_status_integer(node, "generation"),
	       swarm_status_integer(node, "pushed_generation"));
	swarm_status_age(node, "last_push_unix");
	fputs(")\n", stdout);
	if (json_string_length(json_object_get(node, "push_error")) > 0) {
		output_label(stdout, 2, "NOT pushed");
		swarm_status_put(node, "push_error");
		putchar('\n');
	}
	output_label(stdout, 2, "tjd");
	printf("%s, last error: ", swarm_status_flag(node, "tjd_ready", "ready", "not ready"));
	swarm_status_put(node, "tjd_error");
	putchar('\n');
	json_array_foreach(networks, n, net) swarm_status_print_network(net);
}

/* Prints the document as a table. */
static void swarm_status_print(json_t *root)
{
	json_t *self = json_object_get(root, "coordinator");
	json_t *nodes = json_object_get(root, "nodes"), *node;
	size_t index;

	fputs("coordinator on node ", stdout);
	swarm_status_put(self, "node");
	fputs(", last plan ", stdout);
	swarm_status_age(self, "last_plan_unix");
	fputs(", last error: ", stdout);
	swarm_status_put(self, "last_error");
	printf(", refused claims: %" PRId64 "\n", swarm_status_integer(self, "rejected_reports"));
	json_array_foreach(nodes, index, node) swarm_status_print_node(node);
}

/* Reads the coordinator's document and prints it as a table or as JSON. */
static int cmd_swarm_status_exec(const struct tjctl_context *context, int argc, char **argv)
{
	const char *values[SWARM_STATUS_OPTIONS];
	const char *path = SWARM_DEFAULT_STATUS_SOCKET;
	json_error_t jerr;
	json_t *root;
	char *text, err[512];
	int status = tjctl_parse_options(context, &cmd_swarm_status_entry, argc, argv, values);

	if (status != TJCTL_EXIT_OK)
		return status;
	if (values[SWARM_STATUS_SOCKET] != NULL)
		path = values[SWARM_STATUS_SOCKET];
	text = swarm_coordinator_status_read(path, context->timeout_ms, err, sizeof(err));
	if (text == NULL) {
		tjctl_error("%s", err);
		return TJCTL_EXIT_UNREACHABLE;
	}
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root) ||
	    !json_is_array(json_object_get(root, "nodes"))) {
		tjctl_error("garbled status from the coordinator");
		free(text);
		json_decref(root);
		return TJCTL_EXIT_UNREACHABLE;
	}
	if (values[SWARM_STATUS_JSON] == NULL)
		swarm_status_print(root);
	else if (output_json(stdout, root) < 0) {
		tjctl_error("cannot build the JSON output (out of memory?)");
		status = TJCTL_EXIT_ERROR;
	}
	json_decref(root);
	free(text);
	return status;
}
