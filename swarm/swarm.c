/* What the coordinator and the agent share: their tjd and their addresses; see swarm.h. */
#include "config.h"

#include "swarm/swarm.h"

#include <string.h>

/* Asks tjd for its status; NULL when it cannot be reached or sends none. */
Tjd__V1__Response *swarm_tjd_status(const struct swarm_tjd *tjd)
{
	Tjd__V1__StatusRequest status = TJD__V1__STATUS_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;

	request.command_case = TJD__V1__REQUEST__COMMAND_STATUS;
	request.status = &status;
	if (tjd->call(tjd, &request, &response) < 0)
		return NULL;
	if (response == NULL || response->status == NULL) {
		swarm_tjd_free(response);
		return NULL;
	}
	return response;
}

/* Releases an unpacked response. */
void swarm_tjd_free(Tjd__V1__Response *response)
{
	if (response != NULL)
		tjd__v1__response__free_unpacked(response, NULL);
}

/* Splits at the last ':', so "[fd00::1]:7399" keeps its address whole. */
int swarm_split_host_port(const char *text, bool host_required, char *host, size_t hostlen,
			  char *port, size_t portlen)
{
	const char *colon = strrchr(text, ':');
	size_t length;

	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= portlen)
		return -1;
	length = (size_t)(colon - text);
	if (length >= 2 && text[0] == '[' && text[length - 1] == ']') {
		text++;
		length -= 2;
	}
	if (length >= hostlen || (host_required && length == 0))
		return -1;
	memcpy(host, text, length);
	host[length] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return 0;
}
