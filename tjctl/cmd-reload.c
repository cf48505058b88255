/* tjctl reload: make the daemon re-read its configuration file. */
#include "config.h"

#include "tjctl/tjctl.h"

static int cmd_reload_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_reload_entry = {
    .name = "reload",
    .usage = "",
    .summary = "re-read the configuration file",
    .flags = CMD_MUTATES,
    .exec = cmd_reload_exec,
};

/* Asks the daemon to reload; its error text says why a reload was refused. */
static int cmd_reload_exec(const struct tjctl_context *context, int argc, char **argv)
{
	return client_call_simple(context, argc, argv, TJD__V1__REQUEST__COMMAND_RELOAD,
				  "configuration reloaded");
}
