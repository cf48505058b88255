/*
 * Mutual TLS between the swarm agent and the coordinator, with the node
 * certificates Docker's swarm CA issues to every node.  Docker writes the
 * key in PEM with a "kek-version" header OpenSSL does not expect; the
 * header is dropped before parsing.  An encrypted key (an autolocked
 * swarm) is refused with a message.
 */
#include "config.h"

#include "swarm/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/ident.h"

/* Largest key file we read. */
#define SWARM_TLS_KEY_MAX 16384

/* Copies OpenSSL's latest error (or a fallback) into err. */
static void swarm_tls_error(char *err, size_t errlen, const char *what)
{
	unsigned long code = ERR_get_error();
	char reason[256] = "unknown error";

	if (code != 0)
		ERR_error_string_n(code, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(err, errlen, "%s: %s", what, reason);
}

/* Reads the node key, without PEM headers, into a private key. */
static EVP_PKEY *swarm_tls_key(const char *path, char *err, size_t errlen)
{
	char raw[SWARM_TLS_KEY_MAX + 1], clean[SWARM_TLS_KEY_MAX + 1];
	size_t used = 0, length;
	EVP_PKEY *key = NULL;
	BIO *bio;
	FILE *file = fopen(path, "re");
	char *line, *saveptr = NULL;

	if (file == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	length = fread(raw, 1, SWARM_TLS_KEY_MAX, file);
	fclose(file);
	raw[length] = '\0';
	if (strstr(raw, "ENCRYPTED") != NULL) {
		snprintf(err, errlen, "%s is encrypted (autolocked swarm): not supported", path);
		return NULL;
	}
	clean[0] = '\0';
	for (line = strtok_r(raw, "\n", &saveptr); line != NULL;
	     line = strtok_r(NULL, "\n", &saveptr)) {
		/* "name: value" header lines and blank lines are not base64 */
		if (strchr(line, ':') != NULL || line[0] == '\0' || line[0] == '\r')
			continue;
		if (used + strlen(line) + 2 > sizeof(clean))
			break;
		used += (size_t)snprintf(clean + used, sizeof(clean) - used, "%s\n", line);
	}
	bio = BIO_new_mem_buf(clean, (int)used);
	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL)
		swarm_tls_error(err, errlen, path);
	return key;
}

/* Reads CN, OU and O of a certificate's subject. */
static int swarm_tls_identity(X509 *cert, struct swarm_identity *identity, char *err, size_t errlen)
{
	X509_NAME *subject = cert != NULL ? X509_get_subject_name(cert) : NULL;

	memset(identity, 0, sizeof(*identity));
	if (subject == NULL ||
	    X509_NAME_get_text_by_NID(subject, NID_commonName, identity->node_id,
				      sizeof(identity->node_id)) <= 0 ||
	    X509_NAME_get_text_by_NID(subject, NID_organizationalUnitName, identity->role,
				      sizeof(identity->role)) <= 0 ||
	    X509_NAME_get_text_by_NID(subject, NID_organizationName, identity->cluster,
				      sizeof(identity->cluster)) <= 0) {
		snprintf(err, errlen, "certificate without CN, OU and O");
		return -1;
	}
	if (!ident_valid_id(identity->node_id, strlen(identity->node_id)) ||
	    !ident_valid_id(identity->cluster, strlen(identity->cluster)) ||
	    (strcmp(identity->role, "swarm-manager") != 0 &&
	     strcmp(identity->role, "swarm-worker") != 0)) {
		snprintf(err, errlen, "not a swarm node certificate (CN %.64s, OU %.31s)",
			 identity->node_id, identity->role);
		return -1;
	}
	return 0;
}

/* This node's certificate and key, and the swarm CA to check peers with. */
SSL_CTX *swarm_tls_context(bool server, const char *certs_dir, struct swarm_identity *own,
			   char *err, size_t errlen)
{
	char cert_path[512], key_path[512], ca_path[512];
	SSL_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	FILE *file;

	snprintf(cert_path, sizeof(cert_path), "%s/swarm-node.crt", certs_dir);
	snprintf(key_path, sizeof(key_path), "%s/swarm-node.key", certs_dir);
	snprintf(ca_path, sizeof(ca_path), "%s/swarm-root-ca.crt", certs_dir);
	file = fopen(cert_path, "re");
	if (file == NULL) {
		snprintf(err, errlen, "%s: %s (mount the node's swarm certificates)", cert_path,
			 strerror(errno));
		return NULL;
	}
	cert = PEM_read_X509(file, NULL, NULL, NULL);
	fclose(file);
	if (cert == NULL) {
		swarm_tls_error(err, errlen, cert_path);
		return NULL;
	}
	if (swarm_tls_identity(cert, own, err, errlen) < 0)
		goto fail;
	key = swarm_tls_key(key_path, err, errlen);
	if (key == NULL)
		goto fail;
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca_path, NULL) != 1) {
		swarm_tls_error(err, errlen, "setting up TLS with the swarm certificates");
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	EVP_PKEY_free(key);
	X509_free(cert);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	EVP_PKEY_free(key);
	X509_free(cert);
	return NULL;
}

/* Checks the verified peer certificate and reads who it names. */
int swarm_tls_peer(SSL *ssl, const struct swarm_identity *own, struct swarm_identity *peer,
		   char *err, size_t errlen)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	int ret = -1;

	if (cert == NULL || SSL_get_verify_result(ssl) != X509_V_OK) {
		snprintf(err, errlen, "peer certificate missing or not issued by the swarm CA");
		goto out;
	}
	if (swarm_tls_identity(cert, peer, err, errlen) < 0)
		goto out;
	if (strcmp(peer->cluster, own->cluster) != 0) {
		snprintf(err, errlen, "peer %s belongs to another swarm", peer->node_id);
		goto out;
	}
	ret = 0;
out:
	X509_free(cert);
	return ret;
}

/* Sets send and receive timeouts on a socket. */
static void swarm_conn_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Wraps the socket in TLS and shakes hands within the time limit. */
int swarm_conn_open(struct swarm_conn *conn, SSL_CTX *ctx, int fd, bool server, int timeout_ms,
		    char *err, size_t errlen)
{
	memset(conn, 0, sizeof(*conn));
	conn->fd = fd;
	conn->limit = SWARM_LINE_MAX;
	conn->buffer = malloc(conn->limit);
	conn->ssl = SSL_new(ctx);
	if (conn->buffer == NULL || conn->ssl == NULL || SSL_set_fd(conn->ssl, fd) != 1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	swarm_conn_timeouts(fd, timeout_ms);
	if ((server ? SSL_accept(conn->ssl) : SSL_connect(conn->ssl)) != 1) {
		swarm_tls_error(err, errlen, "TLS handshake");
		return -1;
	}
	return 0;
}

/* Shuts TLS down and closes the socket. */
void swarm_conn_close(struct swarm_conn *conn)
{
	if (conn->ssl != NULL) {
		SSL_shutdown(conn->ssl);
		SSL_free(conn->ssl);
	}
	if (conn->fd >= 0)
		close(conn->fd);
	free(conn->buffer);
	memset(conn, 0, sizeof(*conn));
	conn->fd = -1;
}

/* Grows the receive buffer to `limit` bytes. */
int swarm_conn_limit(struct swarm_conn *conn, size_t limit, char *err, size_t errlen)
{
	char *grown;

	if (limit <= conn->limit)
		return 0;
	grown = realloc(conn->buffer, limit);
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	conn->buffer = grown;
	conn->limit = limit;
	return 0;
}

/* Sends one message as one line. */
int swarm_conn_send(struct swarm_conn *conn, const char *message, char *err, size_t errlen)
{
	size_t length = strlen(message);
	char *line;
	int ret = -1;

	if (length + 1 > SWARM_PEERS_LINE_MAX || strchr(message, '\n') != NULL) {
		snprintf(err, errlen, "message too long or not one line");
		return -1;
	}
	line = malloc(length + 1);
	if (line == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(line, message, length);
	line[length] = '\n';
	if (SSL_write(conn->ssl, line, (int)length + 1) == (int)length + 1)
		ret = 0;
	else
		swarm_tls_error(err, errlen, "sending");
	free(line);
	return ret;
}

/* Moves one complete line out of the buffer, if there is one. */
static int swarm_conn_take_line(struct swarm_conn *conn, char *line, size_t linelen, char *err,
				size_t errlen)
{
	char *newline = memchr(conn->buffer, '\n', conn->used);
	size_t length;

	if (newline == NULL) {
		if (conn->used >= conn->limit) {
			snprintf(err, errlen, "message longer than %zu bytes", conn->limit);
			return -1;
		}
		return 0;
	}
	length = (size_t)(newline - conn->buffer);
	if (length >= linelen || memchr(conn->buffer, '\0', length) != NULL) {
		snprintf(err, errlen, "message too long or not text");
		return -1;
	}
	memcpy(line, conn->buffer, length);
	line[length] = '\0';
	conn->used -= length + 1;
	memmove(conn->buffer, newline + 1, conn->used);
	return 1;
}

/* Waits up to timeout_ms for one whole line. */
int swarm_conn_recv(struct swarm_conn *conn, char *line, size_t linelen, int timeout_ms, char *err,
		    size_t errlen)
{
	int got = swarm_conn_take_line(conn, line, linelen, err, errlen);

	while (got == 0) {
		struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
		int n;

		if (SSL_pending(conn->ssl) == 0) {
			n = poll(&pfd, 1, timeout_ms);
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				return 0;
			if (n < 0) {
				snprintf(err, errlen, "poll: %s", strerror(errno));
				return -1;
			}
		}
		n = SSL_read(conn->ssl, conn->buffer + conn->used, (int)(conn->limit - conn->used));
		if (n <= 0) {
			int code = SSL_get_error(conn->ssl, n);
			if (code == SSL_ERROR_WANT_READ)
				return 0; /* a partial record: try again later */
			if (code == SSL_ERROR_ZERO_RETURN)
				snprintf(err, errlen, "connection closed");
			else
				swarm_tls_error(err, errlen, "receiving");
			return -1;
		}
		conn->used += (size_t)n;
		got = swarm_conn_take_line(conn, line, linelen, err, errlen);
	}
	return got;
}
