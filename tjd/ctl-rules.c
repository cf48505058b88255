/* rules: the ruleset as the kernel holds it, read back by the backend. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/enforce.h"

/* Reads tjd's chains back from the kernel. */
static int ctl_rules_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			  Tjd__V1__Response *reply)
{
	struct tjd *tjd = ctx->tjd;
	Tjd__V1__RulesResponse *rules;
	char err[512], *text = NULL;

	const char *container = request->rules != NULL ? request->rules->container : NULL;

	if (container != NULL &&
	    (strlen(container) > 255 || text_has_control(container, strlen(container))))
		return ctl_error(
		    ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
		    "a container is named by 1 to 255 bytes without control characters");
	if (container != NULL && container[0] != '\0') {
		int rc = enforce_dump_container(tjd->enforce, container, &text, err, sizeof(err));

		if (rc > 0)
			return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID, "%s", err);
		if (rc < 0)
			return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED,
					 "reading the ruleset back: %s", err);
	} else if (enforce_dump(tjd->enforce, &text, err, sizeof(err)) < 0) {
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED,
				 "reading the ruleset back: %s", err);
	}
	rules = ctl_alloc(ctx, sizeof(*rules));
	if (rules != NULL) {
		tjd__v1__rules_response__init(rules);
		rules->text = ctl_strdup(ctx, text);
		if (rules->text == NULL)
			rules->text = (char *)"";
		reply->result_case = TJD__V1__RESPONSE__RESULT_RULES;
		reply->rules = rules;
	}
	free(text);
	return 0;
}

const struct ctl_command ctl_rules_command = {
    .name = "rules",
    .command = TJD__V1__REQUEST__COMMAND_RULES,
    .flags = 0,
    .exec = ctl_rules_exec,
};
