/*
 * tjctl swarm: the verb and its table of subcommands (coordinate, agent,
 * status, deploy; one cmd-swarm-*.c each, with its options as data).  They run
 * the swarm library (swarm/swarm.h for the design) and reach the node's
 * tjd through client_call().
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdio.h>
#include <string.h>

#include "swarm/swarm.h"

static int cmd_swarm_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_swarm_entry = {
    .name = "swarm",
    .usage = "coordinate|agent|status|deploy [OPTIONS]",
    .summary = "Docker Swarm: coordinate peer sets, relay them on a node, show every node, "
	       "or deploy it all",
    .flags = 0,
    .exec = cmd_swarm_exec,
};

/* The subcommands, in the order messages name them. */
static const struct cmd_entry *const cmd_swarm_commands[] = {
    &cmd_swarm_coordinate_entry,
    &cmd_swarm_agent_entry,
    &cmd_swarm_status_entry,
    &cmd_swarm_deploy_entry,
};

#define CMD_SWARM_NCOMMANDS (sizeof(cmd_swarm_commands) / sizeof(cmd_swarm_commands[0]))

/* client_call() behind the swarm library's view of tjd. */
static int cmd_swarm_tjd_call(const struct swarm_tjd *tjd, Tjd__V1__Request *request,
			      Tjd__V1__Response **response)
{
	return client_call(tjd->context, request, response) == TJCTL_EXIT_OK ? 0 : -1;
}

/* Points the swarm library at the tjd this command line names. */
void cmd_swarm_tjd(const struct tjctl_context *context, struct swarm_tjd *tjd)
{
	tjd->call = cmd_swarm_tjd_call;
	tjd->context = context;
	tjd->socket_path = context->socket_path;
}

/* Runs the subcommand named by argv[1]. */
static int cmd_swarm_exec(const struct tjctl_context *context, int argc, char **argv)
{
	char names[128] = "";

	if (argc >= 2) {
		for (size_t i = 0; i < CMD_SWARM_NCOMMANDS; i++)
			if (strcmp(argv[1], cmd_swarm_commands[i]->name) == 0)
				return cmd_swarm_commands[i]->exec(context, argc - 1, argv + 1);
		return tjctl_usage_error(context->entry, "unknown swarm subcommand \"%s\"",
					 argv[1]);
	}
	/* "coordinate, agent, status or deploy" */
	for (size_t i = 0; i < CMD_SWARM_NCOMMANDS; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i == 0				? ""
			 : i + 1 == CMD_SWARM_NCOMMANDS ? " or "
							: ", ",
			 cmd_swarm_commands[i]->name);
	return tjctl_usage_error(context->entry, "swarm needs %s", names);
}
