/*
 * tjctl swarm coordinate: the coordinator's command line.  The
 * coordinator itself is swarm/coordinator.c.
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/log.h"
#include "swarm/coordinator.h"

static int cmd_swarm_coordinate_exec(const struct tjctl_context *context, int argc, char **argv);

/* The options, indexed by this enum. */
enum {
	COORDINATE_LISTEN,
	COORDINATE_DOCKER_HOST,
	COORDINATE_CERTS,
	COORDINATE_STATUS_SOCKET,
	COORDINATE_INTERVAL,
	COORDINATE_DEBUG,
	COORDINATE_OPTIONS,
};

static const struct cmd_option cmd_swarm_coordinate_options[] = {
    [COORDINATE_LISTEN] = {"listen", "[HOST]:PORT"},
    [COORDINATE_DOCKER_HOST] = {"docker-host", "URL"},
    [COORDINATE_CERTS] = {"certs", "DIR"},
    [COORDINATE_STATUS_SOCKET] = {"status-socket", "PATH"},
    [COORDINATE_INTERVAL] = {"interval", "SECONDS"},
    [COORDINATE_DEBUG] = {"debug", NULL},
    [COORDINATE_OPTIONS] = {NULL, NULL},
};

const struct cmd_entry cmd_swarm_coordinate_entry = {
    .name = "coordinate",
    .usage = "[--listen [HOST]:PORT] [--docker-host URL] [--certs DIR] [--status-socket PATH] "
	     "[--interval SECONDS] [--debug]",
    .summary = "plan every node's peer set on a manager and push it to the agents",
    .flags = 0,
    .options = cmd_swarm_coordinate_options,
    .exec = cmd_swarm_coordinate_exec,
};

/* Reads the options over their defaults, then runs the coordinator until it is stopped. */
static int cmd_swarm_coordinate_exec(const struct tjctl_context *context, int argc, char **argv)
{
	const char *values[COORDINATE_OPTIONS];
	const char *docker_host = getenv("DOCKER_HOST");
	struct swarm_coordinator_config config = {
	    .docker_host = docker_host && docker_host[0] ? docker_host : SWARM_DEFAULT_DOCKER_HOST,
	    .certs = SWARM_DEFAULT_CERTS,
	    .status_path = SWARM_DEFAULT_STATUS_SOCKET,
	    .listen_host = "",
	    .listen_port = SWARM_DEFAULT_PORT,
	    .interval_ms = 1000,
	};
	char host[256], port[16], err[512];
	struct swarm_tjd tjd;
	int status = tjctl_parse_options(context, &cmd_swarm_coordinate_entry, argc, argv, values);

	if (status != TJCTL_EXIT_OK)
		return status;
	if (values[COORDINATE_LISTEN] != NULL) {
		if (swarm_split_host_port(values[COORDINATE_LISTEN], false, host, sizeof(host),
					  port, sizeof(port)) < 0)
			return tjctl_usage_error(context->entry, "invalid --listen \"%s\"",
						 values[COORDINATE_LISTEN]);
		config.listen_host = host;
		config.listen_port = port;
	}
	if (values[COORDINATE_DOCKER_HOST] != NULL)
		config.docker_host = values[COORDINATE_DOCKER_HOST];
	if (values[COORDINATE_CERTS] != NULL)
		config.certs = values[COORDINATE_CERTS];
	if (values[COORDINATE_STATUS_SOCKET] != NULL) {
		if (strlen(values[COORDINATE_STATUS_SOCKET]) >=
		    sizeof(((struct sockaddr_un *)NULL)->sun_path))
			return tjctl_usage_error(context->entry, "status socket path too long");
		config.status_path = values[COORDINATE_STATUS_SOCKET];
	}
	if (values[COORDINATE_INTERVAL] != NULL) {
		config.interval_ms = (int)(strtod(values[COORDINATE_INTERVAL], NULL) * 1000);
		if (config.interval_ms < 100 || config.interval_ms > 3600000)
			return tjctl_usage_error(context->entry, "--interval: 0.1 to 3600 seconds");
	}
	log_init("tjctl-swarm", true, values[COORDINATE_DEBUG] != NULL);
	cmd_swarm_tjd(context, &tjd);
	config.tjd = &tjd;
	if (swarm_coordinator_run(&config, err, sizeof(err)) < 0) {
		tjctl_error("%s", err);
		return TJCTL_EXIT_ERROR;
	}
	return TJCTL_EXIT_OK;
}
