/*
 * tjctl log: the connections tjd blocked (the drop log) and those
 * containers' log rules matched, oldest first; with -f, then follow.  Every
 * string comes from tjd, and through it from Docker and packets, so all go
 * through output.h (text) or are escaped to ASCII (JSON, one object a line).
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tjctl/output.h"

/* How often -f asks for what is new. */
#define CMD_LOG_FOLLOW_MSEC 250

static int cmd_log_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_log_entry = {
    .name = "log",
    .usage = "[-f|--follow] [--json] [--network NETWORK] [--container CONTAINER]",
    .summary = "show the connections tjd blocked or log rules matched, then follow (-f)",
    .flags = 0,
    .exec = cmd_log_exec,
};

struct cmd_log_options {
	bool follow, json;
	const char *network, *container;
};

/* Reads the command line; TJCTL_EXIT_OK or a usage error. */
static int cmd_log_parse(const struct tjctl_context *context, int argc, char **argv,
			 struct cmd_log_options *options)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **value = NULL;
		size_t name_length = 0;

		if (strcmp(arg, "-f") == 0 || strcmp(arg, "--follow") == 0) {
			options->follow = true;
			continue;
		}
		if (strcmp(arg, "--json") == 0) {
			options->json = true;
			continue;
		}
		if (strncmp(arg, "--network", 9) == 0 && (arg[9] == '\0' || arg[9] == '=')) {
			value = &options->network;
			name_length = 9;
		} else if (strncmp(arg, "--container", 11) == 0 &&
			   (arg[11] == '\0' || arg[11] == '=')) {
			value = &options->container;
			name_length = 11;
		} else {
			return tjctl_usage_error(context->entry, "unknown argument for log: %s",
						 arg);
		}
		if (arg[name_length] == '=')
			*value = arg + name_length + 1;
		else if (i + 1 < argc)
			*value = argv[++i];
		else
			return tjctl_usage_error(context->entry, "%s needs a name", arg);
		if ((*value)[0] == '\0' || strlen(*value) > 255)
			return tjctl_usage_error(context->entry, "a name is 1 to 255 bytes");
	}
	return TJCTL_EXIT_OK;
}

/* "NAME (ADDRESS)", or the address alone when no name is known. */
static void cmd_log_party(FILE *out, const char *name, const char *address)
{
	if (name != NULL && name[0] != '\0') {
		output_text(out, name);
		fputs(" (", out);
		output_text(out, address);
		fputc(')', out);
	} else {
		output_text(out, address);
	}
}

/* One entry as a line a person reads at a glance. */
static void cmd_log_text(FILE *out, const Tjd__V1__LogEntry *entry)
{
	char when[16] = "??:??:??";
	time_t time = (time_t)entry->time_unix;
	struct tm tm;

	if (localtime_r(&time, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out, "%s ", when);
	if (strcmp(entry->kind, "container") == 0) {
		fputs("container ", out);
		output_text(out, entry->container);
		fputs(": ", out);
		output_text(out, entry->rule);
		fputs(": ", out);
	} else if (strcmp(entry->kind, "container-policy") == 0) {
		fputs("container ", out);
		output_text(out, entry->container);
		fputs(": ", out);
	} else {
		output_text(out, entry->network);
		fputc(' ', out);
	}
	cmd_log_party(out, entry->src_name, entry->src_address);
	fputs(" -> ", out);
	cmd_log_party(out, entry->dst_name, entry->dst_address);
	fputc(' ', out);
	output_text(out, entry->protocol);
	if (entry->port != 0)
		fprintf(out, "/%u", entry->port);
	if (strcmp(entry->kind, "container") != 0) {
		fputs(" blocked: ", out);
		output_text(out, entry->reason);
	}
	fputc('\n', out);
}

/* One entry as one line of JSON, ASCII only (DEL escaped as well). */
static int cmd_log_json(FILE *out, const Tjd__V1__LogEntry *entry)
{
	json_t *object = json_object();
	bool failed = object == NULL;
	char *text;

	if (failed)
		return -1;
	output_json_set(object, "seq", json_integer((json_int_t)entry->seq), &failed);
	output_json_set(object, "time", json_integer(entry->time_unix), &failed);
	output_json_set(object, "kind", output_json_string(entry->kind), &failed);
	output_json_set(object, "network", output_json_string(entry->network), &failed);
	output_json_set(object, "container", output_json_string(entry->container), &failed);
	output_json_set(object, "rule", output_json_string(entry->rule), &failed);
	output_json_set(object, "src_name", output_json_string(entry->src_name), &failed);
	output_json_set(object, "src_address", output_json_string(entry->src_address), &failed);
	output_json_set(object, "dst_name", output_json_string(entry->dst_name), &failed);
	output_json_set(object, "dst_address", output_json_string(entry->dst_address), &failed);
	output_json_set(object, "protocol", output_json_string(entry->protocol), &failed);
	output_json_set(object, "port", json_integer(entry->port), &failed);
	output_json_set(object, "reason", output_json_string(entry->reason), &failed);
	text = failed ? NULL : json_dumps(object, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(object);
	if (text == NULL)
		return -1;
	for (const char *c = text; *c != '\0'; c++)
		if (*c == 0x7f)
			fputs("\\u007f", out);
		else
			fputc(*c, out);
	fputc('\n', out);
	free(text);
	return 0;
}

/* Asks for the entries after *after and prints them; an exit status. */
static int cmd_log_round(const struct tjctl_context *context, const struct cmd_log_options *options,
			 uint64_t *after, bool *more)
{
	Tjd__V1__LogRequest log = TJD__V1__LOG_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	int status;

	log.after = *after;
	log.network = (char *)(options->network ? options->network : "");
	log.container = (char *)(options->container ? options->container : "");
	request.command_case = TJD__V1__REQUEST__COMMAND_LOG;
	request.log = &log;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	if (response->result_case != TJD__V1__RESPONSE__RESULT_LOG || response->log == NULL ||
	    response->log->last < *after) {
		status = client_garbled(context, "the reply carries no log");
		goto done;
	}
	for (size_t i = 0; i < response->log->n_entries; i++) {
		const Tjd__V1__LogEntry *entry = response->log->entries[i];

		if (entry == NULL || entry->kind == NULL || entry->seq <= *after) {
			status = client_garbled(context, "a log entry is out of order");
			goto done;
		}
		if (options->json) {
			if (cmd_log_json(stdout, entry) < 0) {
				status = TJCTL_EXIT_ERROR;
				goto done;
			}
		} else {
			cmd_log_text(stdout, entry);
		}
	}
	*after = response->log->last;
	*more = response->log->more;
done:
	client_response_free(response);
	return status;
}

/* Prints the log, then follows it with -f until interrupted or tjd goes away. */
static int cmd_log_exec(const struct tjctl_context *context, int argc, char **argv)
{
	struct cmd_log_options options = {0};
	uint64_t after = 0;
	bool more = false;
	int status = cmd_log_parse(context, argc, argv, &options);

	if (status != TJCTL_EXIT_OK)
		return status;
	signal(SIGPIPE, SIG_DFL);
	do {
		status = cmd_log_round(context, &options, &after, &more);
		if (status != TJCTL_EXIT_OK)
			return status;
		if (fflush(stdout) != 0)
			return tjctl_finish_output(status);
		if (!more && options.follow)
			(void)poll(NULL, 0, CMD_LOG_FOLLOW_MSEC);
	} while (more || options.follow);
	return status;
}
