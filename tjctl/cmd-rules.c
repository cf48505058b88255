/* tjctl rules: print the ruleset as installed in the kernel. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdio.h>
#include <string.h>

static int cmd_rules_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_rules_entry = {
    .name = "rules",
    .usage = "[CONTAINER]",
    .summary = "print the ruleset as installed (in a container's namespace), in the "
	       "backend's syntax",
    .flags = 0,
    .exec = cmd_rules_exec,
};

/* Fetches the installed ruleset and prints it verbatim. */
static int cmd_rules_exec(const struct tjctl_context *context, int argc, char **argv)
{
	Tjd__V1__RulesRequest rules = TJD__V1__RULES_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	const char *text;
	size_t len;
	int status;

	if (argc > 2) {
		status = tjctl_usage_error(context->entry, "rules takes at most one container");
		goto done;
	}
	if (argc == 2 && (argv[1][0] == '\0' || strlen(argv[1]) > 255)) {
		status = tjctl_usage_error(context->entry, "a container name is 1 to 255 bytes");
		goto done;
	}
	if (argc == 2)
		rules.container = argv[1];
	request.command_case = TJD__V1__REQUEST__COMMAND_RULES;
	request.rules = &rules;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	if (response->result_case != TJD__V1__RESPONSE__RESULT_RULES || response->rules == NULL) {
		status = client_garbled(context, "the reply carries no ruleset");
		goto done;
	}
	text = response->rules->text != NULL ? response->rules->text : "";
	len = strlen(text);
	fwrite(text, 1, len, stdout);
	/* Keep the shell prompt off the last rule. */
	if (len > 0 && text[len - 1] != '\n')
		putchar('\n');
done:
	client_response_free(response);
	return status;
}
