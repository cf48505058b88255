/*
 * Mutual TLS between the swarm agent and the coordinator, with the node
 * certificates Docker's swarm CA issues to every node, and the framing
 * they speak over it: one message per line, each line at most
 * SWARM_LINE_MAX (swarm.h) bytes with its newline, a peers message at most
 * SWARM_PEERS_LINE_MAX.
 */
#ifndef TJD_SWARM_TLS_H
#define TJD_SWARM_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "swarm/plan.h"
#include "swarm/swarm.h"

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
	char *buffer; /* `limit` bytes */
	size_t used;
	size_t limit; /* the longest line received: SWARM_LINE_MAX unless raised */
};

/* Wraps a connected socket; handshake as server or client within timeout_ms. */
int swarm_conn_open(struct swarm_conn *conn, SSL_CTX *ctx, int fd, bool server, int timeout_ms,
		    char *err, size_t errlen);
void swarm_conn_close(struct swarm_conn *conn);
/* Raises the longest line this end receives (the agent's, for peers messages); -1 on OOM. */
int swarm_conn_limit(struct swarm_conn *conn, size_t limit, char *err, size_t errlen);
/* Sends one message (a newline is added). */
int swarm_conn_send(struct swarm_conn *conn, const char *message, char *err, size_t errlen);
/* Receives one message: 1 with line filled, 0 on timeout, -1 on error or close. */
int swarm_conn_recv(struct swarm_conn *conn, char *line, size_t linelen, int timeout_ms, char *err,
		    size_t errlen);

#endif
