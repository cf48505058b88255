/*
 * The swarm agent: the coordinator's hands on one node; see agent.h.
 *
 * Connects out to the coordinator (mutual TLS with the node's swarm
 * certificate; the other end must hold a swarm-manager certificate of the
 * same swarm), reports what the node's tjd says about its overlay
 * networks every interval, and hands each peer set it receives to the
 * local tjd with set-peers, only when it differs from what it last handed
 * over, or when tjd restarted (tjd keeps pushed peers in memory only).
 * A set larger than one control frame goes in parts (wire.h), which tjd
 * applies whole with the last one.
 * When the coordinator is gone the agent retries with back-off and tjd
 * keeps enforcing the last set (fail closed).
 */
#include "config.h"

#include "swarm/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/ident.h"
#include "common/log.h"
#include "swarm/tls.h"
#include "swarm/wire.h"

#define AGENT_CONNECT_MS 5000
#define AGENT_HANDSHAKE_MS 10000
#define AGENT_BACKOFF_MAX_MS 5000
#define AGENT_TICK_MS 200

/* The agent's state across connections. */
struct agent {
	const struct swarm_tjd *tjd;
	const char *host;
	const char *port;
	const char *certs;
	int interval_ms;
	char *applied;	     /* digest of the peer set tjd holds from us, or NULL */
	char *last_line;     /* the last peers message received */
	int64_t tjd_started; /* tjd's start time when we last pushed */
};

static volatile sig_atomic_t agent_stop;

/* SIGTERM/SIGINT: leave; tjd keeps the last peer set. */
static void agent_signal(int signo)
{
	(void)signo;
	agent_stop = 1;
}

/* Milliseconds on the monotonic clock. */
static int64_t agent_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Connects to the first address of host:port that answers within the time limit. */
static int agent_connect(const struct agent *agent, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *addresses = NULL, *a;
	int rc = getaddrinfo(agent->host, agent->port, &hints, &addresses);
	int fd = -1;

	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", agent->host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "no address for %s", agent->host);
	for (a = addresses; a != NULL; a = a->ai_next) {
		struct pollfd pfd;
		int flags, error = 0;
		socklen_t length = sizeof(error);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			snprintf(err, errlen, "connect %s: %s", agent->host, strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, AGENT_CONNECT_MS) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0 || error != 0) {
			snprintf(err, errlen, "connect %s: %s", agent->host,
				 error ? strerror(error) : "timed out");
			close(fd);
			fd = -1;
			continue;
		}
		fcntl(fd, F_SETFL, flags);
		break;
	}
	freeaddrinfo(addresses);
	return fd;
}

/* Builds the report from tjd's status: overlay networks and their load balancers. */
static void agent_report(const Tjd__V1__StatusResponse *status, struct swarm_wire_report *report)
{
	memset(report, 0, sizeof(*report));
	report->tjd_ready = status->ready;
	snprintf(report->tjd_error, sizeof(report->tjd_error), "%s",
		 status->last_error ? status->last_error : "");
	for (size_t n = 0; n < status->n_networks && report->network_count < SWARM_MAX_NETWORKS;
	     n++) {
		const Tjd__V1__NetworkStatus *ns = status->networks[n];
		struct swarm_wire_network *net = &report->networks[report->network_count];

		if (ns == NULL || ns->driver == NULL || strcmp(ns->driver, "overlay") != 0 ||
		    ns->id == NULL || !ident_valid_id(ns->id, strlen(ns->id)) || ns->name == NULL ||
		    strlen(ns->name) > SWARM_NAME_MAX)
			continue;
		snprintf(net->id, sizeof(net->id), "%s", ns->id);
		snprintf(net->name, sizeof(net->name), "%s", ns->name);
		for (size_t i = 0; i < ns->n_lb_ips && net->lb_count < 2; i++)
			if (swarm_canonical_address(ns->lb_ips[i], net->lb_ips[net->lb_count],
						    SWARM_ADDRESS_MAX) == 0)
				net->lb_count++;
		net->peer_count = ns->n_peer_ips;
		net->peers_updated_unix = ns->peers_updated_unix;
		net->enforced = ns->overlay_enforced;
		net->rule_count = ns->rule_count;
		report->network_count++;
	}
}

/* Appends text at *at (room was counted). */
static void agent_digest_add(char **at, const char *text)
{
	size_t length = strlen(text);

	memcpy(*at, text, length + 1);
	*at += length;
}

/* A canonical text of a peer set, to tell whether tjd already holds it. */
static char *agent_digest(const Tjd__V1__SetPeersRequest *request)
{
	size_t size = 1;
	char *text, *at;

	for (size_t n = 0; n < request->n_networks; n++) {
		const Tjd__V1__NetworkPeers *peers = request->networks[n];
		size += strlen(peers->network_id) + 16;
		for (size_t i = 0; i < peers->n_lb_ips; i++)
			size += strlen(peers->lb_ips[i]) + 1;
		for (size_t i = 0; i < peers->n_allowed_ips; i++)
			size += strlen(peers->allowed_ips[i]) + 1;
	}
	text = calloc(1, size);
	if (text == NULL)
		return NULL;
	at = text;
	for (size_t n = 0; n < request->n_networks; n++) {
		const Tjd__V1__NetworkPeers *peers = request->networks[n];
		agent_digest_add(&at, peers->network_id);
		agent_digest_add(&at, " lb");
		for (size_t i = 0; i < peers->n_lb_ips; i++) {
			agent_digest_add(&at, " ");
			agent_digest_add(&at, peers->lb_ips[i]);
		}
		agent_digest_add(&at, " allow");
		for (size_t i = 0; i < peers->n_allowed_ips; i++) {
			agent_digest_add(&at, " ");
			agent_digest_add(&at, peers->allowed_ips[i]);
		}
		agent_digest_add(&at, "\n");
	}
	return text;
}

/* Hands a peers message to tjd unless tjd already holds it from us. */
static void agent_apply(struct agent *agent, const char *line, int64_t tjd_started)
{
	Tjd__V1__SetPeersRequest peers;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	Tjd__V1__SetPeersRequest *parts = NULL;
	size_t count, done;
	char err[256], *digest;

	if (swarm_wire_peers_decode(line, &peers, err, sizeof(err)) < 0) {
		log_warnx("ignoring an invalid peers message: %s", err);
		return;
	}
	digest = agent_digest(&peers);
	if (digest != NULL && agent->applied != NULL && strcmp(digest, agent->applied) == 0 &&
	    agent->tjd_started == tjd_started) {
		free(digest);
		swarm_wire_peers_free(&peers);
		return;
	}
	count = digest != NULL ? swarm_wire_peers_split(&peers, FRAME_MAX, &parts, err, sizeof(err))
			       : 0;
	if (count == 0)
		log_warnx("cannot hand peer set generation %llu to tjd: %s; it keeps its last set",
			  (unsigned long long)peers.generation,
			  digest != NULL ? err : "out of memory");
	request.command_case = TJD__V1__REQUEST__COMMAND_SET_PEERS;
	/* tjd applies the set with the last part; a refused part leaves its last set whole. */
	for (done = 0; done < count; done++) {
		request.set_peers = &parts[done];
		swarm_tjd_free(response);
		response = NULL;
		if (agent->tjd->call(agent->tjd, &request, &response) < 0) {
			log_warnx(
			    "tjd refused part %zu of %zu of peer set generation %llu; it keeps "
			    "its last set",
			    done + 1, count, (unsigned long long)peers.generation);
			break;
		}
	}
	if (count > 0 && done == count) {
		log_info("tjd now holds peer set generation %llu (%zu network(s), %zu request(s))",
			 (unsigned long long)peers.generation, peers.n_networks, count);
		free(agent->applied);
		agent->applied = digest;
		agent->tjd_started = tjd_started;
		digest = NULL;
	}
	free(digest);
	swarm_tjd_free(response);
	swarm_wire_parts_free(parts, count);
	swarm_wire_peers_free(&peers);
}

/* One connection's life: report every interval, apply what comes. */
static void agent_session(struct agent *agent, SSL_CTX *ctx, const struct swarm_identity *own,
			  int fd)
{
	struct swarm_identity peer;
	struct swarm_conn conn;
	char *line = malloc(SWARM_PEERS_LINE_MAX);
	char err[512] = "stopping";
	int64_t next_report = 0;

	memset(&conn, 0, sizeof(conn));
	conn.fd = fd;
	if (line == NULL ||
	    swarm_conn_open(&conn, ctx, fd, false, AGENT_HANDSHAKE_MS, err, sizeof(err)) < 0 ||
	    swarm_conn_limit(&conn, SWARM_PEERS_LINE_MAX, err, sizeof(err)) < 0 ||
	    swarm_tls_peer(conn.ssl, own, &peer, err, sizeof(err)) < 0)
		goto out;
	if (strcmp(peer.role, "swarm-manager") != 0) {
		snprintf(err, sizeof(err), "%s holds a %s certificate, not a manager's",
			 agent->host, peer.role);
		goto out;
	}
	log_info("connected to the coordinator on node %s", peer.node_id);
	while (!agent_stop) {
		int got;

		if (agent_now_ms() >= next_report) {
			struct swarm_wire_report report;
			Tjd__V1__Response *status = swarm_tjd_status(agent->tjd);
			char *message;

			next_report = agent_now_ms() + agent->interval_ms;
			if (status == NULL)
				continue; /* tjd down: nothing to report, nothing to apply */
			agent_report(status->status, &report);
			/* tjd restarted: it lost what we pushed; push the last set again */
			if (agent->last_line != NULL &&
			    status->status->started_unix != agent->tjd_started)
				agent_apply(agent, agent->last_line, status->status->started_unix);
			swarm_tjd_free(status);
			message = swarm_wire_report_encode(&report);
			if (message == NULL ||
			    swarm_conn_send(&conn, message, err, sizeof(err)) < 0) {
				free(message);
				break;
			}
			free(message);
		}
		got = swarm_conn_recv(&conn, line, SWARM_PEERS_LINE_MAX, AGENT_TICK_MS, err,
				      sizeof(err));
		if (got < 0)
			break;
		if (got > 0) {
			Tjd__V1__Response *status = swarm_tjd_status(agent->tjd);
			free(agent->last_line);
			agent->last_line = strdup(line);
			if (status != NULL)
				agent_apply(agent, line, status->status->started_unix);
			swarm_tjd_free(status);
		}
	}
out:
	log_warnx("coordinator connection ended: %s", err);
	swarm_conn_close(&conn);
	free(line);
}

/* Connects, serves and reconnects until told to stop. */
void swarm_agent_run(const struct swarm_agent_config *config)
{
	struct agent agent;
	struct sigaction action;
	int backoff = 0;

	memset(&agent, 0, sizeof(agent));
	agent.tjd = config->tjd;
	agent.host = config->host;
	agent.port = config->port;
	agent.certs = config->certs;
	agent.interval_ms = config->interval_ms;
	signal(SIGPIPE, SIG_IGN);
	memset(&action, 0, sizeof(action));
	action.sa_handler = agent_signal;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	while (!agent_stop) {
		struct swarm_identity own;
		char err[512];
		SSL_CTX *ctx = swarm_tls_context(false, agent.certs, &own, err, sizeof(err));
		int fd = -1;

		/* Certificates rotate: read them again for every connection. */
		if (ctx != NULL)
			fd = agent_connect(&agent, err, sizeof(err));
		if (fd >= 0) {
			backoff = 0;
			agent_session(&agent, ctx, &own, fd);
		} else {
			log_warnx("%s", err);
		}
		SSL_CTX_free(ctx);
		if (agent_stop)
			break;
		backoff = backoff ? backoff * 2 : 250;
		if (backoff > AGENT_BACKOFF_MAX_MS)
			backoff = AGENT_BACKOFF_MAX_MS;
		usleep((useconds_t)backoff * 1000);
	}
	log_info("agent stopping; tjd keeps the last peer set");
	free(agent.applied);
	free(agent.last_line);
}
