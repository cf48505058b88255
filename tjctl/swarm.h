/*
 * tjctl swarm: the coordinator, the per-node agent and the status view.
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
 * the manager's API (swarm-plan.h).  tjd itself never listens on the
 * network: only the local agent, as root on that node, talks to it.
 */
#ifndef TJD_TJCTL_SWARM_H
#define TJD_TJCTL_SWARM_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "tjctl/swarm-plan.h"
#include "tjctl/tjctl.h"

#define SWARM_DEFAULT_PORT "7399"
#define SWARM_DEFAULT_COORDINATOR "tasks.tjd-coordinator"
#define SWARM_DEFAULT_CERTS "/var/lib/docker/swarm/certificates"
#define SWARM_DEFAULT_STATUS_SOCKET "/run/tjd/swarm.sock"
#define SWARM_DEFAULT_DOCKER_HOST "unix:///var/run/docker.sock"
/* One message on the wire (a JSON object and a newline) is at most this long. */
#define SWARM_LINE_MAX 65536
/* A status document is at most this long. */
#define SWARM_STATUS_MAX (4u * 1024 * 1024)
/* Addresses per list in one peer set (tjd's own limit, DAEMON_MAX_PEERS). */
#define SWARM_MAX_PEERS 1024

/* The subcommands (cmd-swarm-*.c); argv[0] is the subcommand's name. */
int cmd_swarm_coordinate(const struct tjctl_context *context, int argc, char **argv);
int cmd_swarm_agent(const struct tjctl_context *context, int argc, char **argv);
int cmd_swarm_status(const struct tjctl_context *context, int argc, char **argv);

/* ---- swarm-tls.c: mutual TLS with the swarm's node certificates ---- */

/* Who a certificate says its holder is. */
struct swarm_identity {
	char node_id[SWARM_ID_MAX + 1];
	char role[32];			/* "swarm-manager" or "swarm-worker" */
	char cluster[SWARM_ID_MAX + 1]; /* the swarm's id */
};

/*
 * A TLS context holding this node's certificate and key from certs_dir
 * (swarm-node.crt, swarm-node.key, swarm-root-ca.crt), requiring a peer
 * certificate from the same CA.  *own receives this node's identity.
 */
SSL_CTX *swarm_tls_context(bool server, const char *certs_dir, struct swarm_identity *own,
			   char *err, size_t errlen);
/* The peer's identity after the handshake; -1 unless it is in own's cluster. */
int swarm_tls_peer(SSL *ssl, const struct swarm_identity *own, struct swarm_identity *peer,
		   char *err, size_t errlen);

/* A TLS connection carrying newline-terminated JSON messages. */
struct swarm_conn {
	SSL *ssl;
	int fd;
	char *buffer; /* SWARM_LINE_MAX bytes */
	size_t used;
};

/* Wraps a connected socket; handshake as server or client within timeout_ms. */
int swarm_conn_open(struct swarm_conn *conn, SSL_CTX *ctx, int fd, bool server, int timeout_ms,
		    char *err, size_t errlen);
void swarm_conn_close(struct swarm_conn *conn);
/* Sends one message (a newline is added). */
int swarm_conn_send(struct swarm_conn *conn, const char *message, char *err, size_t errlen);
/* Receives one message: 1 with line filled, 0 on timeout, -1 on error or close. */
int swarm_conn_recv(struct swarm_conn *conn, char *line, size_t linelen, int timeout_ms, char *err,
		    size_t errlen);

/* ---- swarm-docker.c: GETs against the Docker Engine API ---- */

/* GET path; *body malloc'd (NUL-terminated) on HTTP 200, else -1 with err. */
int swarm_docker_get(const char *docker_host, const char *path, char **body, size_t *len, char *err,
		     size_t errlen);

/* ---- swarm-wire.c: the messages between agent and coordinator ---- */

/* What an agent says about one network of its node (from its tjd's status). */
struct swarm_wire_network {
	char id[SWARM_ID_MAX + 1];
	char name[SWARM_NAME_MAX + 1];
	char lb_ips[2][SWARM_ADDRESS_MAX];
	size_t lb_count;
	/* For status only, never for planning: what the node's tjd holds. */
	size_t peer_count;
	long long peers_updated_unix;
	bool enforced;
	unsigned rule_count;
};

struct swarm_wire_report {
	struct swarm_wire_network networks[SWARM_MAX_NETWORKS];
	size_t network_count;
	bool tjd_ready;
	char tjd_error[256];
};

/* Encodes/decodes a report; decoding validates everything. Encode returns malloc'd text. */
char *swarm_wire_report_encode(const struct swarm_wire_report *report);
int swarm_wire_report_decode(const char *line, struct swarm_wire_report *report, char *err,
			     size_t errlen);
/* Encodes one node's plan as a peers message; malloc'd. */
char *swarm_wire_peers_encode(const struct swarm_node_plan *plan, unsigned long long generation,
			      const char *coordinator);
/*
 * Decodes a peers message into a SetPeersRequest (every string and array
 * malloc'd; release with swarm_wire_peers_free).  Validates ids, names and
 * addresses, and the counts tjd accepts.
 */
int swarm_wire_peers_decode(const char *line, Tjd__V1__SetPeersRequest *request, char *err,
			    size_t errlen);
void swarm_wire_peers_free(Tjd__V1__SetPeersRequest *request);

#endif
