/* diff: what a reload of the file on disk would change in the host's rules. */
#include "config.h"

#include <stdlib.h>

#include "common/linediff.h"

#include "tjd/backend.h"
#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/enforce.h"
#include "tjd/policy.h"

/* Compiles the file on disk against what Docker said last, and compares with what is in place. */
static int ctl_diff_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			 Tjd__V1__Response *reply)
{
	struct tjd *tjd = ctx->tjd;
	const char *chains[RULE_HOOK_COUNT];
	struct inventory empty;
	struct ruleset next;
	struct conf *conf;
	Tjd__V1__DiffResponse *answer;
	char err[512], *before = NULL, *after = NULL, *text = NULL;
	size_t removed = 0, added = 0;
	int ret = 0;

	(void)request;
	conf = conf_load(tjd->conf_path, tjd->conf_required, getenv, err, sizeof(err));
	if (conf == NULL)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "the configuration would be refused: %s", err);
	inventory_init(&empty);
	ruleset_init(&next);
	if (policy_compile(conf, tjd->inventory != NULL ? tjd->inventory : &empty, &next, NULL, err,
			   sizeof(err)) < 0) {
		ret = ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED, "%s", err);
		goto out;
	}
	backend_chain_names(enforce_backend(tjd->enforce), chains);
	before = ruleset_format(enforce_installed(tjd->enforce), chains);
	after = ruleset_format(&next, chains);
	text = before != NULL && after != NULL ? linediff(before, after, &removed, &added) : NULL;
	answer = ctl_alloc(ctx, sizeof(*answer));
	if (text == NULL || answer == NULL) {
		ret = ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED, "out of memory");
		goto out;
	}
	tjd__v1__diff_response__init(answer);
	answer->config_file = ctl_strdup(ctx, conf->path != NULL ? conf->path : "");
	answer->text = ctl_strdup(ctx, text);
	answer->removed = (uint32_t)removed;
	answer->added = (uint32_t)added;
	if (answer->config_file == NULL || answer->text == NULL) {
		ret = ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED, "out of memory");
		goto out;
	}
	reply->result_case = TJD__V1__RESPONSE__RESULT_DIFF;
	reply->diff = answer;
out:
	free(before);
	free(after);
	free(text);
	ruleset_free(&next);
	conf_free(conf);
	return ret;
}

const struct ctl_command ctl_diff_command = {
    .name = "diff",
    .command = TJD__V1__REQUEST__COMMAND_DIFF,
    .flags = 0,
    .exec = ctl_diff_exec,
};
