/* explain: whether tjd lets a connection through, and why (tjd/explain.h). */
#include "config.h"

#include <netinet/in.h>
#include <string.h>

#include "common/text.h"

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/explain.h"

/* Whether a party from the request is 1 to 255 bytes without control characters. */
static bool ctl_explain_party_ok(const char *party)
{
	return party != NULL && party[0] != '\0' && strlen(party) <= 255 &&
	       !text_has_control(party, strlen(party));
}

/* Answers from the configuration and the inventory tjd enforces now. */
static int ctl_explain_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			    Tjd__V1__Response *reply)
{
	const Tjd__V1__ExplainRequest *asked = request->explain;
	struct explain_query query = {.protocol = IPPROTO_TCP};
	struct explain_result result;
	Tjd__V1__ExplainResponse *answer;
	char err[512];

	if (asked == NULL || !ctl_explain_party_ok(asked->from) || !ctl_explain_party_ok(asked->to))
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "from and to are each 1 to 255 bytes without control characters");
	if (asked->port < 1 || asked->port > 65535)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "the port is 1 to 65535");
	if (asked->protocol != NULL && asked->protocol[0] != '\0') {
		if (strcmp(asked->protocol, "udp") == 0)
			query.protocol = IPPROTO_UDP;
		else if (strcmp(asked->protocol, "sctp") == 0)
			query.protocol = IPPROTO_SCTP;
		else if (strcmp(asked->protocol, "tcp") != 0)
			return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
					 "the protocol is tcp, udp or sctp");
	}
	query.from = asked->from;
	query.to = asked->to;
	query.port = (uint16_t)asked->port;
	if (explain(ctx->tjd->conf, ctx->tjd->inventory, &query, &result, err, sizeof(err)) < 0)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID, "%s", err);
	answer = ctl_alloc(ctx, sizeof(*answer));
	if (answer == NULL)
		return 0;
	tjd__v1__explain_response__init(answer);
	answer->blocked = result.blocked;
	answer->text = ctl_strdup(ctx, result.text);
	if (answer->text == NULL)
		return 0;
	reply->result_case = TJD__V1__RESPONSE__RESULT_EXPLAIN;
	reply->explain = answer;
	return 0;
}

const struct ctl_command ctl_explain_command = {
    .name = "explain",
    .command = TJD__V1__REQUEST__COMMAND_EXPLAIN,
    .flags = 0,
    .exec = ctl_explain_exec,
};
