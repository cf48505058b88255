/* rules: the rules as the kernel holds them, in one namespace or every one tjd manages. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"
#include "common/text.h"

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/enforce.h"

/* Room the reply's framing takes besides the text. */
#define CTL_RULES_OVERHEAD 1024

/* Whether a name from the request is 0 to 255 bytes without control characters. */
static bool ctl_rules_name_ok(const char *name)
{
	return name == NULL || (strlen(name) <= 255 && !text_has_control(name, strlen(name)));
}

/* Reads tjd's rules back from the kernel: one namespace, or all of them. */
static int ctl_rules_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			  Tjd__V1__Response *reply)
{
	struct tjd *tjd = ctx->tjd;
	const Tjd__V1__RulesRequest *asked = request->rules;
	const char *container = asked != NULL ? asked->container : NULL;
	const char *network = asked != NULL ? asked->network : NULL;
	bool host = asked != NULL && asked->host;
	Tjd__V1__RulesResponse *rules;
	char err[512], *text = NULL;
	int rc, chosen;

	if (!ctl_rules_name_ok(container) || !ctl_rules_name_ok(network))
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "a container or network is named by 1 to 255 bytes without "
				 "control characters");
	container = container != NULL && container[0] != '\0' ? container : NULL;
	network = network != NULL && network[0] != '\0' ? network : NULL;
	chosen = (container != NULL) + (network != NULL) + host;
	if (chosen > 1)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "ask for one namespace: a container, a network or the host");
	if (container != NULL)
		rc = enforce_dump_container(tjd->enforce, container, &text, err, sizeof(err));
	else if (network != NULL)
		rc = enforce_dump_network(tjd->enforce, network, &text, err, sizeof(err));
	else if (host)
		rc = enforce_dump(tjd->enforce, &text, err, sizeof(err));
	else
		rc = enforce_dump_all(tjd->enforce, FRAME_MAX - CTL_RULES_OVERHEAD, &text, err,
				      sizeof(err));
	if (rc > 0)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID, "%s", err);
	if (rc < 0)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED,
				 "reading the ruleset back: %s", err);
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
