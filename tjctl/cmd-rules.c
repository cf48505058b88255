/* tjctl rules: print the rules as installed, in one namespace or every one tjd manages. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int cmd_rules_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_rules_entry = {
    .name = "rules",
    .usage = "[--host | --network NETWORK | CONTAINER]",
    .summary = "print the rules as installed in every namespace tjd manages (or in one), in "
	       "the backend's syntax",
    .flags = 0,
    .exec = cmd_rules_exec,
};

/* Checks a name given on the command line; TJCTL_EXIT_OK or a usage error. */
static int cmd_rules_name(const struct tjctl_context *context, const char *what, const char *name)
{
	if (name[0] == '\0' || strlen(name) > 255)
		return tjctl_usage_error(context->entry, "a %s name is 1 to 255 bytes", what);
	return TJCTL_EXIT_OK;
}

/* Reads [--host | --network NETWORK | CONTAINER] into the request. */
static int cmd_rules_parse(const struct tjctl_context *context, int argc, char **argv,
			   Tjd__V1__RulesRequest *rules)
{
	int chosen = 0, status;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--host") == 0) {
			rules->host = true;
		} else if (strcmp(arg, "--network") == 0 || strncmp(arg, "--network=", 10) == 0) {
			const char *value = arg[9] == '=' ? arg + 10 : NULL;

			if (value == NULL && i + 1 >= argc)
				return tjctl_usage_error(context->entry,
							 "--network needs a network");
			if (value == NULL)
				value = argv[++i];
			if ((status = cmd_rules_name(context, "network", value)) != TJCTL_EXIT_OK)
				return status;
			rules->network = (char *)value;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return tjctl_usage_error(context->entry, "unknown option for rules: %s",
						 arg);
		} else {
			if ((status = cmd_rules_name(context, "container", arg)) != TJCTL_EXIT_OK)
				return status;
			if (rules->container != NULL && rules->container[0] != '\0')
				return tjctl_usage_error(context->entry,
							 "rules takes at most one container");
			rules->container = (char *)arg;
		}
	}
	chosen = rules->host + (rules->network != NULL && rules->network[0] != '\0') +
		 (rules->container != NULL && rules->container[0] != '\0');
	if (chosen > 1)
		return tjctl_usage_error(context->entry,
					 "give one of --host, --network NETWORK and CONTAINER");
	return TJCTL_EXIT_OK;
}

/* Fetches the installed rules and prints them verbatim. */
static int cmd_rules_exec(const struct tjctl_context *context, int argc, char **argv)
{
	Tjd__V1__RulesRequest rules = TJD__V1__RULES_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	const char *text;
	size_t len;
	int status;

	status = cmd_rules_parse(context, argc, argv, &rules);
	if (status != TJCTL_EXIT_OK)
		goto done;
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
