/* tjctl metrics: print tjd's metrics in Prometheus' text exposition format. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <stdio.h>
#include <string.h>

static int cmd_metrics_exec(const struct tjctl_context *context, int argc, char **argv);

const struct cmd_entry cmd_metrics_entry = {
    .name = "metrics",
    .usage = "",
    .summary = "print tjd's metrics in Prometheus' text format",
    .flags = 0,
    .exec = cmd_metrics_exec,
};

/* Fetches the metrics and prints them verbatim. */
static int cmd_metrics_exec(const struct tjctl_context *context, int argc, char **argv)
{
	Tjd__V1__MetricsRequest metrics = TJD__V1__METRICS_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	int status = tjctl_no_arguments(context, argc, argv);

	if (status != TJCTL_EXIT_OK)
		return status;
	request.command_case = TJD__V1__REQUEST__COMMAND_METRICS;
	request.metrics = &metrics;
	status = client_call(context, &request, &response);
	if (status != TJCTL_EXIT_OK)
		goto done;
	if (response->result_case != TJD__V1__RESPONSE__RESULT_METRICS ||
	    response->metrics == NULL || response->metrics->text == NULL) {
		status = client_garbled(context, "the reply carries no metrics");
		goto done;
	}
	fputs(response->metrics->text, stdout);
done:
	client_response_free(response);
	return status;
}
