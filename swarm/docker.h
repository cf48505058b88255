/*
 * The coordinator's Docker Engine API client: one blocking GET at a time
 * (the coordinator is a plain loop, not an event-driven daemon), over the
 * unix socket or tcp://, with a time limit and a bound on the body
 * (SWARM_MAX_DOCUMENT).
 */
#ifndef TJD_SWARM_DOCKER_H
#define TJD_SWARM_DOCKER_H

#include <stddef.h>

/* GET path; *body malloc'd (NUL-terminated) on HTTP 200, else -1 with err. */
int swarm_docker_get(const char *docker_host, const char *path, char **body, size_t *len, char *err,
		     size_t errlen);

#endif
