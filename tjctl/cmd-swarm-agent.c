/*
 * tjctl swarm agent: the agent's command line.  The agent itself is
 * swarm/agent.c.
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdlib.h>

#include "common/log.h"
#include "swarm/agent.h"

static int cmd_swarm_agent_exec(const struct tjctl_context *context, int argc, char **argv);

/* The options, indexed by this enum. */
enum {
	AGENT_COORDINATOR,
	AGENT_CERTS,
	AGENT_INTERVAL,
	AGENT_DEBUG,
	AGENT_OPTIONS,
};

static const struct cmd_option cmd_swarm_agent_options[] = {
    [AGENT_COORDINATOR] = {"coordinator", "HOST:PORT"},
    [AGENT_CERTS] = {"certs", "DIR"},
    [AGENT_INTERVAL] = {"interval", "SECONDS"},
    [AGENT_DEBUG] = {"debug", NULL},
    [AGENT_OPTIONS] = {NULL, NULL},
};

const struct cmd_entry cmd_swarm_agent_entry = {
    .name = "agent",
    .usage = "[--coordinator HOST:PORT] [--certs DIR] [--interval SECONDS] [--debug]",
    .summary = "report this node to the coordinator and hand its peer sets to tjd",
    .flags = 0,
    .options = cmd_swarm_agent_options,
    .exec = cmd_swarm_agent_exec,
};

/* Reads the options over their defaults, then runs the agent until it is stopped. */
static int cmd_swarm_agent_exec(const struct tjctl_context *context, int argc, char **argv)
{
	const char *values[AGENT_OPTIONS];
	const char *target = SWARM_DEFAULT_COORDINATOR ":" SWARM_DEFAULT_PORT;
	struct swarm_agent_config config = {
	    .certs = SWARM_DEFAULT_CERTS,
	    .interval_ms = 1000,
	};
	char host[256], port[16];
	struct swarm_tjd tjd;
	int status = tjctl_parse_options(context, &cmd_swarm_agent_entry, argc, argv, values);

	if (status != TJCTL_EXIT_OK)
		return status;
	if (values[AGENT_COORDINATOR] != NULL)
		target = values[AGENT_COORDINATOR];
	if (values[AGENT_CERTS] != NULL)
		config.certs = values[AGENT_CERTS];
	if (values[AGENT_INTERVAL] != NULL) {
		config.interval_ms = (int)(strtod(values[AGENT_INTERVAL], NULL) * 1000);
		if (config.interval_ms < 100 || config.interval_ms > 3600000)
			return tjctl_usage_error(context->entry, "--interval: 0.1 to 3600 seconds");
	}
	if (swarm_split_host_port(target, true, host, sizeof(host), port, sizeof(port)) < 0)
		return tjctl_usage_error(context->entry, "--coordinator wants HOST:PORT");
	config.host = host;
	config.port = port;
	log_init("tjctl-swarm", true, values[AGENT_DEBUG] != NULL);
	cmd_swarm_tjd(context, &tjd);
	config.tjd = &tjd;
	swarm_agent_run(&config);
	return TJCTL_EXIT_OK;
}
