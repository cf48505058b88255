/* clear: remove every rule tjd installed, reply, then exit 0. */
#include "config.h"

#include "tjd/ctl.h"
#include "tjd/daemon.h"

/* Leaves the loop once the reply is on its way. */
static void ctl_clear_after_reply(struct tjd *tjd)
{
	daemon_stop(tjd, 0);
}

/* Clears the kernel state; on failure tjd keeps running and enforcing. */
static int ctl_clear_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			  Tjd__V1__Response *reply)
{
	char err[512];

	if (daemon_clear_and_exit(ctx->tjd, err, sizeof(err)) < 0)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED, "clear failed: %s",
				 err);
	ctx->after_reply = ctl_clear_after_reply;
	return 0;
}

const struct ctl_command ctl_clear_command = {
	.name = "clear",
	.command = TJD__V1__REQUEST__COMMAND_CLEAR,
	.flags = CTL_MUTATES,
	.exec = ctl_clear_exec,
};
