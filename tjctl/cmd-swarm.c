/* tjctl swarm: coordinate, agent and status (see swarm.h for the design). */
#include "config.h"

#include "tjctl/swarm.h"

#include <string.h>

static int cmd_swarm_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_swarm_entry = {
    .name = "swarm",
    .usage = "coordinate|agent|status [OPTIONS]",
    .summary = "Docker Swarm: coordinate peer sets, relay them on a node, or show every node",
    .flags = 0,
    .exec = cmd_swarm_exec,
};

/* Runs the subcommand named by argv[1]. */
static int cmd_swarm_exec(const struct tjctl_context *context, int argc, char **argv)
{
	if (argc < 2)
		return tjctl_usage_error(context->entry, "swarm needs coordinate, agent or status");
	if (strcmp(argv[1], "coordinate") == 0)
		return cmd_swarm_coordinate(context, argc - 1, argv + 1);
	if (strcmp(argv[1], "agent") == 0)
		return cmd_swarm_agent(context, argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_swarm_status(context, argc - 1, argv + 1);
	return tjctl_usage_error(context->entry, "unknown swarm subcommand \"%s\"", argv[1]);
}
