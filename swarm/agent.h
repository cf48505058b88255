/*
 * The swarm agent (`tjctl swarm agent`): the coordinator's hands on one
 * node.  It reports what the node's tjd says about its overlay networks
 * and hands each peer set the coordinator sends to that tjd.
 */
#ifndef TJD_SWARM_AGENT_H
#define TJD_SWARM_AGENT_H

#include "swarm/swarm.h"

/* What the agent is told on its command line. */
struct swarm_agent_config {
	const char *host; /* the coordinator */
	const char *port;
	const char *certs;	     /* the node's swarm certificates */
	int interval_ms;	     /* between two reports */
	const struct swarm_tjd *tjd; /* the node's tjd */
};

/* Runs until SIGTERM or SIGINT, reconnecting with back-off; tjd keeps the last peer set. */
void swarm_agent_run(const struct swarm_agent_config *config);

#endif
