/*
 * tjctl swarm status: every node's view, as the coordinator on this host
 * knows it (its status socket): role and readiness, the agent's link, the
 * node's load-balancer addresses, the peer set planned for it, the
 * generation pushed, and what the node's tjd reports holding.
 */
#include "config.h"

#include "tjctl/swarm.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Reads the coordinator's whole status document. */
static char *swarm_status_read(const char *path, int timeout_ms)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	char *buffer = NULL;
	size_t used = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(address.sun_path)) {
		tjctl_error("bad status socket %s", path);
		goto fail;
	}
	memcpy(address.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		tjctl_error("cannot reach the coordinator on %s: %s (is `tjctl swarm coordinate` "
			    "running here?)",
			    path, strerror(errno));
		goto fail;
	}
	buffer = malloc(SWARM_STATUS_MAX + 1);
	if (buffer == NULL)
		goto fail;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) != 1) {
			tjctl_error("the coordinator did not answer in time");
			goto fail;
		}
		n = recv(fd, buffer + used, SWARM_STATUS_MAX - used, 0);
		if (n < 0) {
			tjctl_error("reading from the coordinator: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used >= SWARM_STATUS_MAX) {
			tjctl_error("status document too large");
			goto fail;
		}
	}
	buffer[used] = '\0';
	close(fd);
	return buffer;
fail:
	if (fd >= 0)
		close(fd);
	free(buffer);
	return NULL;
}

/* A string member, "-" when missing; control characters shown as '?'. */
static void swarm_status_put(json_t *object, const char *key)
{
	json_t *value = json_object_get(object, key);
	const char *text = json_is_string(value) ? json_string_value(value) : "";

	if (text[0] == '\0')
		text = "-";
	for (; *text; text++)
		putchar((unsigned char)*text < 0x20 || *text == 0x7f ? '?' : *text);
}

/* An array of strings joined by ", ", or "none". */
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
		if (json_is_string(value))
			for (const char *c = json_string_value(value); *c; c++)
				putchar((unsigned char)*c < 0x20 ? '?' : *c);
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
	printf(", refused claims: %" PRId64 "\n",
	       (int64_t)json_integer_value(json_object_get(self, "rejected_reports")));
	json_array_foreach(nodes, index, node)
	{
		json_t *networks = json_object_get(node, "networks"), *net;
		size_t n;

		fputs("\nnode ", stdout);
		swarm_status_put(node, "hostname");
		fputs(" (", stdout);
		swarm_status_put(node, "id");
		fputs(", ", stdout);
		swarm_status_put(node, "role");
		printf(", %s)\n",
		       json_is_true(json_object_get(node, "ready")) ? "ready" : "NOT ready");
		printf("  agent:              %s, last report ",
		       json_is_true(json_object_get(node, "agent_connected")) ? "connected"
									      : "NOT connected");
		swarm_status_age(node, "last_report_unix");
		printf("\n  peer set:           generation %" PRId64 ", pushed %" PRId64 " (",
		       (int64_t)json_integer_value(json_object_get(node, "generation")),
		       (int64_t)json_integer_value(json_object_get(node, "pushed_generation")));
		swarm_status_age(node, "last_push_unix");
		printf(")\n  tjd:                %s, last error: ",
		       json_is_true(json_object_get(node, "tjd_ready")) ? "ready" : "not ready");
		swarm_status_put(node, "tjd_error");
		putchar('\n');
		json_array_foreach(networks, n, net)
		{
			fputs("  network ", stdout);
			swarm_status_put(net, "name");
			fputs("\n    load balancer:    ", stdout);
			swarm_status_list(net, "lb_ips");
			fputs("\n    peer LBs:         ", stdout);
			swarm_status_list(net, "peer_lb_ips");
			fputs("\n    peer allowed:     ", stdout);
			swarm_status_list(net, "peer_allowed_ips");
			printf("\n    tjd holds:        %" PRId64 " peer(s), updated ",
			       (int64_t)json_integer_value(
				   json_object_get(net, "installed_peer_count")));
			swarm_status_age(net, "peers_updated_unix");
			printf(", %s, %" PRId64 " rule(s)\n",
			       json_is_true(json_object_get(net, "enforced")) ? "enforced"
									      : "NOT enforced here",
			       (int64_t)json_integer_value(json_object_get(net, "rule_count")));
		}
	}
}

int cmd_swarm_status(const struct tjctl_context *context, int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"status-socket", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = SWARM_DEFAULT_STATUS_SOCKET;
	json_error_t jerr;
	json_t *root;
	char *text;
	bool json = false;
	int option;

	optind = 0; /* a new argument vector: glibc re-initialises getopt */
	while ((option = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (option) {
		case 'j':
			json = true;
			break;
		case 'S':
			path = optarg;
			break;
		default:
			return tjctl_usage_error(context->entry, "unknown option for swarm status");
		}
	}
	if (optind < argc)
		return tjctl_usage_error(context->entry, "unexpected argument \"%s\"",
					 argv[optind]);
	text = swarm_status_read(path, context->timeout_ms);
	if (text == NULL)
		return TJCTL_EXIT_UNREACHABLE;
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root) ||
	    !json_is_array(json_object_get(root, "nodes"))) {
		tjctl_error("garbled status from the coordinator");
		free(text);
		json_decref(root);
		return TJCTL_EXIT_UNREACHABLE;
	}
	if (json) {
		char *pretty = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (pretty != NULL)
			puts(pretty);
		free(pretty);
	} else {
		swarm_status_print(root);
	}
	json_decref(root);
	free(text);
	return TJCTL_EXIT_OK;
}
