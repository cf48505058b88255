/*
 * The swarm code's Docker Engine API client: one blocking request at a time
 * (the coordinator and the deployment controller are plain loops, not
 * event-driven daemons), over the unix socket or tcp://, with a time limit
 * and a bound on the body (SWARM_MAX_DOCUMENT).
 */
#ifndef TJD_SWARM_DOCKER_H
#define TJD_SWARM_DOCKER_H

#include <stddef.h>

/* GET path; *body malloc'd (NUL-terminated) on HTTP 200, else -1 with err. */
int swarm_docker_get(const char *docker_host, const char *path, char **body, size_t *len, char *err,
		     size_t errlen);

/*
 * method (GET, POST, DELETE) path, with request_body (JSON) when not NULL.
 * 0 once Docker answered, whatever the status: *status set, *body malloc'd
 * (NUL-terminated) or NULL when empty.  -1 with err when it did not answer.
 */
int swarm_docker_request(const char *docker_host, const char *method, const char *path,
			 const char *request_body, long *status, char **body, size_t *len,
			 char *err, size_t errlen);

#endif
