/* tjctl clear: remove every rule tjd installed; the daemon then exits. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdio.h>

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
	Tjd__V1__ClearRequest clear = TJD__V1__CLEAR_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	int status;

	status = tjctl_no_arguments(context, argc, argv);
	if (status != TJCTL_EXIT_OK)
		goto done;
	request.command_case = TJD__V1__REQUEST__COMMAND_CLEAR;
	request.clear = &clear;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	printf("rules removed; tjd is exiting\n");
done:
	client_response_free(response);
	return status;
}
