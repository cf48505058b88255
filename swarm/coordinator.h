/*
 * The swarm coordinator (`tjctl swarm coordinate`): plans every node's
 * peer set and hands it to the node's agent whenever it changes, and
 * serves its view of every node on a local unix socket (`tjctl swarm
 * status` reads it with swarm_coordinator_status_read).
 */
#ifndef TJD_SWARM_COORDINATOR_H
#define TJD_SWARM_COORDINATOR_H

#include <stddef.h>

#include "swarm/swarm.h"

/* A status document is at most this long. */
#define SWARM_STATUS_MAX (4u * 1024 * 1024)

/* What the coordinator is told on its command line. */
struct swarm_coordinator_config {
	const char *docker_host; /* the manager's Engine API, unix:// or tcp:// */
	const char *certs;	 /* the node's swarm certificates */
	const char *status_path; /* the status socket */
	const char *listen_host; /* "" for every address */
	const char *listen_port;
	int interval_ms;	     /* between two plans */
	const struct swarm_tjd *tjd; /* the manager's own tjd */
};

/*
 * Runs until SIGTERM or SIGINT, after which every node keeps its last
 * peer set; returns 0.  Returns -1 with err when it cannot start (no
 * usable certificates, not a manager).
 */
int swarm_coordinator_run(const struct swarm_coordinator_config *config, char *err, size_t errlen);

/*
 * Reads the whole status document a coordinator on this host serves on
 * path, waiting at most timeout_ms for each part; malloc'd text, or NULL
 * with err saying why.
 */
char *swarm_coordinator_status_read(const char *path, int timeout_ms, char *err, size_t errlen);

#endif
