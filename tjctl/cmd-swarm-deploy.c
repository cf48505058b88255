/*
 * tjctl swarm deploy: the swarm deployment controller's command line (the
 * image runs it for SWARM_DAEMON=true).  Its settings come from the
 * environment, as TrafficJam's do; the controller itself is
 * swarm/deploy.c.
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "swarm/deploy.h"
#include "swarm/swarm.h"

static int cmd_swarm_deploy_exec(const struct tjctl_context *context, int argc, char **argv);

/* The options, indexed by this enum. */
enum {
	DEPLOY_DEBUG,
	DEPLOY_OPTIONS,
};

static const struct cmd_option cmd_swarm_deploy_options[] = {
    [DEPLOY_DEBUG] = {"debug", NULL},
    [DEPLOY_OPTIONS] = {NULL, NULL},
};

const struct cmd_entry cmd_swarm_deploy_entry = {
    .name = "deploy",
    .usage = "[--debug]",
    .summary = "as a service on a manager: run the coordinator and tjd on every node",
    .flags = 0,
    .options = cmd_swarm_deploy_options,
    .exec = cmd_swarm_deploy_exec,
};

/* TrafficJam's variables (and tjd's) passed on to tjd on every node. */
static const char *const cmd_swarm_deploy_passed[] = {
    "NETWORK", "WHITELIST_FILTER", "POLL_INTERVAL", "ALLOW_HOST_TRAFFIC", "DEBUG", "INSTANCE_ID",
};

/* The variable's value, or fallback when unset or empty. */
static const char *cmd_swarm_deploy_env(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	return value != NULL && value[0] != '\0' ? value : fallback;
}

/* An absolute path without control characters, or NULL (reported). */
static const char *cmd_swarm_deploy_path(const char *name, const char *fallback)
{
	const char *value = cmd_swarm_deploy_env(name, fallback);

	if (value != NULL &&
	    (value[0] != '/' || strlen(value) > 1024 || text_has_control(value, strlen(value)) ||
	     strchr(value, ',') != NULL)) {
		tjctl_error("%s must be an absolute path (no commas)", name);
		return "";
	}
	return value;
}

/* Reads the environment, then runs the controller until its service is removed or stopped. */
static int cmd_swarm_deploy_exec(const struct tjctl_context *context, int argc, char **argv)
{
	const char *values[DEPLOY_OPTIONS];
	static char items[sizeof(cmd_swarm_deploy_passed) / sizeof(char *)][4096];
	struct swarm_deploy_config config = {
	    .docker_host = cmd_swarm_deploy_env("DOCKER_HOST", SWARM_DEFAULT_DOCKER_HOST),
	    .image = cmd_swarm_deploy_env("SWARM_IMAGE", NULL),
	    .docker_sock = cmd_swarm_deploy_path("SWARM_DOCKER_SOCK", "/var/run/docker.sock"),
	    .netns_dir = cmd_swarm_deploy_path("SWARM_NETNS_DIR", "/var/run/docker/netns"),
	    .certs_dir = cmd_swarm_deploy_path("SWARM_CERTS_DIR", SWARM_DEFAULT_CERTS),
	    .run_dir = cmd_swarm_deploy_path("SWARM_RUN_DIR", NULL),
	    .state_dir = cmd_swarm_deploy_path("SWARM_STATE_DIR", NULL),
	    .port = cmd_swarm_deploy_env("SWARM_PORT", SWARM_DEFAULT_PORT),
	    .interval = cmd_swarm_deploy_env("SWARM_INTERVAL", NULL),
	    .check_ms = 2000,
	    .clear_timeout_ms = 20000,
	};
	const char *value;
	char err[1024];
	int status = tjctl_parse_options(context, &cmd_swarm_deploy_entry, argc, argv, values);

	if (status != TJCTL_EXIT_OK)
		return status;
	if (strcmp(config.docker_sock, "") == 0 || strcmp(config.netns_dir, "") == 0 ||
	    strcmp(config.certs_dir, "") == 0 ||
	    (config.run_dir != NULL && config.run_dir[0] == '\0') ||
	    (config.state_dir != NULL && config.state_dir[0] == '\0'))
		return TJCTL_EXIT_USAGE;
	if (strspn(config.port, "0123456789") != strlen(config.port) || strlen(config.port) > 5 ||
	    atoi(config.port) < 1 || atoi(config.port) > 65535)
		return tjctl_usage_error(context->entry, "SWARM_PORT must be a port number");
	if (config.interval != NULL &&
	    (strtod(config.interval, NULL) < 0.1 || strtod(config.interval, NULL) > 3600 ||
	     strspn(config.interval, "0123456789.") != strlen(config.interval)))
		return tjctl_usage_error(context->entry, "SWARM_INTERVAL: 0.1 to 3600 seconds");
	if (config.image != NULL && !swarm_deploy_valid_image(config.image, strlen(config.image)))
		return tjctl_usage_error(context->entry, "SWARM_IMAGE is not an image reference");
	value = cmd_swarm_deploy_env("SWARM_CLEAR_TIMEOUT", NULL);
	if (value != NULL) {
		config.clear_timeout_ms = (int)(strtod(value, NULL) * 1000);
		if (config.clear_timeout_ms < 1000 || config.clear_timeout_ms > 600000)
			return tjctl_usage_error(context->entry,
						 "SWARM_CLEAR_TIMEOUT: 1 to 600 seconds");
	}
	for (size_t i = 0; i < sizeof(cmd_swarm_deploy_passed) / sizeof(char *); i++) {
		value = cmd_swarm_deploy_env(cmd_swarm_deploy_passed[i], NULL);
		if (value == NULL)
			continue;
		if (strlen(value) + strlen(cmd_swarm_deploy_passed[i]) + 2 > sizeof(items[i]) ||
		    text_has_control(value, strlen(value)))
			return tjctl_usage_error(context->entry, "%s: too long or not text",
						 cmd_swarm_deploy_passed[i]);
		snprintf(items[i], sizeof(items[i]), "%s=%s", cmd_swarm_deploy_passed[i], value);
		config.env[config.env_count++] = items[i];
	}
	log_init("tjctl-swarm", true, values[DEPLOY_DEBUG] != NULL);
	if (getenv("NETWORK") == NULL)
		log_warnx("NETWORK and WHITELIST_FILTER are not set: tjd on every node protects "
			  "nothing unless its image carries /etc/tjd/tjd.conf");
	if (swarm_deploy_run(&config, err, sizeof(err)) < 0) {
		tjctl_error("%s", err);
		return TJCTL_EXIT_ERROR;
	}
	return TJCTL_EXIT_OK;
}
