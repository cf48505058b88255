/* reload: read the configuration again; a bad file keeps the old one. */
#include "config.h"

#include "tjd/ctl.h"
#include "tjd/daemon.h"

/* Reloads and reports the parser's message on failure. */
static int ctl_reload_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			   Tjd__V1__Response *reply)
{
	char err[512];

	if (daemon_reload(ctx->tjd, err, sizeof(err)) < 0)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "reload refused, previous configuration still active: %s", err);
	return 0;
}

const struct ctl_command ctl_reload_command = {
	.name = "reload",
	.command = TJD__V1__REQUEST__COMMAND_RELOAD,
	.flags = CTL_MUTATES,
	.exec = ctl_reload_exec,
};
