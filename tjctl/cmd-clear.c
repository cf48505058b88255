/* tjctl clear: remove every rule tjd installed; the daemon then exits. */
#include "config.h"

#include "tjctl/tjctl.h"

static int cmd_clear_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_clear_entry = {
    .name = "clear",
    .usage = "",
    .summary = "remove all rules tjd installed, then stop tjd",
    .flags = CMD_MUTATES,
    .exec = cmd_clear_exec,
};

/* Asks the daemon to clear its rules and exit. */
static int cmd_clear_exec(const struct tjctl_context *context, int argc, char **argv)
{
	return client_call_simple(context, argc, argv, TJD__V1__REQUEST__COMMAND_CLEAR,
				  "rules removed; tjd is exiting");
}
