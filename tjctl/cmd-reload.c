/* tjctl reload: make the daemon re-read its configuration file. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdio.h>

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
	Tjd__V1__ReloadRequest reload = TJD__V1__RELOAD_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	int status;

	status = tjctl_no_arguments(context, argc, argv);
	if (status != TJCTL_EXIT_OK)
		goto done;
	request.command_case = TJD__V1__REQUEST__COMMAND_RELOAD;
	request.reload = &reload;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	printf("configuration reloaded\n");
done:
	client_response_free(response);
	return status;
}
