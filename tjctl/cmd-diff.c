/* tjctl diff: what `tjctl reload` would change in the host's rules, before it is run. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "tjctl/output.h"

static int cmd_diff_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_diff_entry = {
    .name = "diff",
    .usage = "[--exit-code] [--json]",
    .summary = "show what a reload of the configuration file would change in the rules",
    .flags = 0,
    .exec = cmd_diff_exec,
};

/* Prints the reply as JSON; TJCTL_EXIT_OK or TJCTL_EXIT_ERROR. */
static int cmd_diff_json(const Tjd__V1__DiffResponse *diff)
{
	json_t *root = json_object();
	bool failed = root == NULL;
	int status = TJCTL_EXIT_ERROR;

	if (root != NULL) {
		output_json_set(root, "config_file", output_json_string(diff->config_file),
				&failed);
		output_json_set(root, "removed", json_integer(diff->removed), &failed);
		output_json_set(root, "added", json_integer(diff->added), &failed);
		output_json_set(root, "diff", output_json_string(diff->text), &failed);
	}
	if (!failed && output_json(stdout, root) == 0)
		status = TJCTL_EXIT_OK;
	else
		tjctl_error("cannot build the JSON output (out of memory?)");
	json_decref(root);
	return status;
}

/* Asks tjd; with --exit-code, exit status 1 when a reload would change something. */
static int cmd_diff_exec(const struct tjctl_context *context, int argc, char **argv)
{
	Tjd__V1__DiffRequest diff = TJD__V1__DIFF_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	const Tjd__V1__DiffResponse *answer;
	bool json = false, exit_code = false;
	int status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--exit-code") == 0)
			exit_code = true;
		else
			return tjctl_usage_error(
			    context->entry, "%s \"%s\" for diff",
			    argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
	}
	request.command_case = TJD__V1__REQUEST__COMMAND_DIFF;
	request.diff = &diff;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	if (response->result_case != TJD__V1__RESPONSE__RESULT_DIFF || response->diff == NULL ||
	    response->diff->text == NULL) {
		status = client_garbled(context, "the reply carries no diff");
		goto done;
	}
	answer = response->diff;
	if (json) {
		status = cmd_diff_json(answer);
	} else if (answer->removed == 0 && answer->added == 0) {
		fputs("no change: ", stdout);
		output_text(stdout,
			    answer->config_file[0] ? answer->config_file : "the configuration");
		fputs(" gives the rules in place\n", stdout);
	} else {
		/* line by line, so a rule's comment cannot pass terminal controls */
		for (const char *line = answer->text; *line != '\0';) {
			const char *end = strchr(line, '\n');
			size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
			char one[1024];

			snprintf(one, sizeof(one), "%.*s",
				 (int)(length < sizeof(one) ? length : sizeof(one) - 1), line);
			output_text(stdout, one);
			putchar('\n');
			line += length + (end != NULL);
		}
		printf("%u removed, %u added\n", answer->removed, answer->added);
	}
	if (status == TJCTL_EXIT_OK && exit_code && (answer->removed > 0 || answer->added > 0))
		status = TJCTL_EXIT_ERROR;
done:
	client_response_free(response);
	return status;
}
