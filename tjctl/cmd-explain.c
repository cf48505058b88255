/* tjctl explain: whether tjd lets FROM open a connection to TO, and which rule decides. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tjctl/output.h"

static int cmd_explain_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_explain_entry = {
    .name = "explain",
    .usage = "FROM TO [PROTO/PORT]",
    .summary = "say whether tjd lets FROM (a container, host or an address) connect to TO, "
	       "and why (default tcp/80)",
    .flags = 0,
    .exec = cmd_explain_exec,
};

/* Reads "tcp/443" (or "443"); 0, or -1 when it is not PROTO/PORT with a port 1..65535. */
static int cmd_explain_port(const char *text, char *protocol, size_t size, unsigned *port)
{
	const char *slash = strchr(text, '/');
	const char *number = slash ? slash + 1 : text;
	char *end;
	unsigned long value;

	snprintf(protocol, size, "tcp");
	if (slash != NULL) {
		if ((size_t)(slash - text) >= size || slash == text)
			return -1;
		memcpy(protocol, text, (size_t)(slash - text));
		protocol[slash - text] = '\0';
	}
	errno = 0;
	value = strtoul(number, &end, 10);
	if (errno != 0 || end == number || *end != '\0' || number[0] == '-' || value < 1 ||
	    value > 65535)
		return -1;
	*port = (unsigned)value;
	return 0;
}

/* Asks tjd and prints its answer; exit status 0 when allowed, 1 when blocked. */
static int cmd_explain_exec(const struct tjctl_context *context, int argc, char **argv)
{
	Tjd__V1__ExplainRequest explain = TJD__V1__EXPLAIN_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	char protocol[8];
	unsigned port = 80;
	int status;

	snprintf(protocol, sizeof(protocol), "tcp");
	if (argc < 3 || argc > 4)
		return tjctl_usage_error(context->entry, "explain takes FROM, TO and a PROTO/PORT");
	if (argc == 4 && cmd_explain_port(argv[3], protocol, sizeof(protocol), &port) < 0)
		return tjctl_usage_error(
		    context->entry, "\"%s\" is not PROTO/PORT (e.g. tcp/443, udp/53)", argv[3]);
	for (int i = 1; i < 3; i++)
		if (argv[i][0] == '\0' || strlen(argv[i]) > 255)
			return tjctl_usage_error(context->entry,
						 "FROM and TO are 1 to 255 bytes each");
	explain.from = argv[1];
	explain.to = argv[2];
	explain.protocol = protocol;
	explain.port = port;
	request.command_case = TJD__V1__REQUEST__COMMAND_EXPLAIN;
	request.explain = &explain;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	if (response->result_case != TJD__V1__RESPONSE__RESULT_EXPLAIN ||
	    response->explain == NULL || response->explain->text == NULL) {
		status = client_garbled(context, "the reply carries no answer");
		goto done;
	}
	output_text(stdout, response->explain->text);
	putchar('\n');
	status = response->explain->blocked ? TJCTL_EXIT_ERROR : TJCTL_EXIT_OK;
done:
	client_response_free(response);
	return status;
}
