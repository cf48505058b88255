/*
 * Docker Swarm support: libtjdswarm, the library behind `tjctl swarm`.
 *
 * Design (see tjctl(8), SWARM):
 *   tjctl swarm coordinate   on a manager (a service constrained to
 *       managers, or a systemd unit): reads the protected networks and
 *       their allow lists from the manager's own tjd, the cluster from the
 *       manager's Docker API, and plans one peer set per node.
 *   tjctl swarm agent        a global service on every node, with the
 *       node's tjd socket mounted: connects OUT to the coordinator, reports
 *       the node's load-balancer addresses (from its tjd), and hands every
 *       peer set the coordinator sends to its tjd (set-peers).
 *   tjctl swarm status       on the coordinator's host: every node's view.
 *
 * Trust: agent and coordinator authenticate each other with Swarm's own
 * mutual TLS identities, the node certificates the swarm CA issues to
 * every node (<data-root>/swarm/certificates): same cluster (O), and the
 * coordinator must hold a swarm-manager certificate, which a worker cannot
 * obtain.  An agent is known by its certificate's CN (its node id), so it
 * can only report for its own node, and its reports are checked against
 * the manager's API (plan.h).  tjd itself never listens on the network:
 * only the local agent, as root on that node, talks to it.
 *
 * Modules: plan.h (the pure planning), wire.h (agent <-> coordinator
 * messages), tls.h (mutual TLS and line framing), docker.h (GETs against
 * the Engine API), coordinator.h and agent.h (the two long-running ends).
 * Untrusted input is checked with common/'s prefix, ident, filter, text
 * and jsonfield modules, the same checks tjd applies.  The command line
 * (options, defaults, messages) is tjctl's; this library only runs.
 */
#ifndef TJD_SWARM_SWARM_H
#define TJD_SWARM_SWARM_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/tjd.pb-c.h"

#define SWARM_DEFAULT_PORT "7399"
#define SWARM_DEFAULT_COORDINATOR "tasks.tjd-coordinator"
#define SWARM_DEFAULT_CERTS "/var/lib/docker/swarm/certificates"
#define SWARM_DEFAULT_STATUS_SOCKET "/run/tjd/swarm.sock"
#define SWARM_DEFAULT_DOCKER_HOST "unix:///var/run/docker.sock"
/* One message on the wire (a JSON object and a newline) is at most this long. */
#define SWARM_LINE_MAX 65536
/*
 * Except a peers message (coordinator -> agent): a whole peer set, which at
 * tjd's limits (64 networks, 2 x 1,024 addresses each) takes up to 6.6 MB
 * of JSON (wire.c checks the bound).  Only the agent reads lines this long.
 */
#define SWARM_PEERS_LINE_MAX (8u * 1024 * 1024)

/*
 * The node's tjd as the coordinator and the agent reach it; tjctl fills
 * this in with its control client, a test with a fake.
 */
struct swarm_tjd {
	/*
	 * Sends request (its version is filled in) and waits for the reply:
	 * 0 with *response set when tjd answered ok, else -1 (already
	 * reported).  *response is released with swarm_tjd_free().
	 */
	int (*call)(const struct swarm_tjd *tjd, Tjd__V1__Request *request,
		    Tjd__V1__Response **response);
	const void *context;	 /* the caller's, for call */
	const char *socket_path; /* where tjd listens, for messages */
};

/* Asks tjd for its status: a response with a status, or NULL. */
Tjd__V1__Response *swarm_tjd_status(const struct swarm_tjd *tjd);
/* Releases a response from swarm_tjd; NULL is fine. */
void swarm_tjd_free(Tjd__V1__Response *response);

/*
 * Splits "HOST:PORT", "[V6]:PORT" or (unless host_required) ":PORT" into
 * host (brackets removed) and port; -1 when a part is missing or too long.
 */
int swarm_split_host_port(const char *text, bool host_required, char *host, size_t hostlen,
			  char *port, size_t portlen);

#endif
