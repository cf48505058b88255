/*
 * The coordinator: plans every node's peer set and hands it to the node's
 * agent whenever it changes; see coordinator.h.
 *
 * Threads: the main one polls the manager's Docker API and the local tjd
 * every interval and replans; one accepts agents (mutual TLS, swarm node
 * certificates) and runs a thread per agent; one answers `tjctl swarm
 * status` on a local unix socket.  They share `struct coordinator` under
 * one mutex.  A plan is only replaced by a complete new one: when Docker
 * cannot be read, nothing is pushed and the nodes keep their last sets.
 */
#include "config.h"

#include "swarm/coordinator.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "swarm/docker.h"
#include "swarm/plan.h"
#include "swarm/tls.h"
#include "swarm/wire.h"

/* More simultaneous agents than this are refused. */
#define COORDINATOR_MAX_AGENTS 4096
#define COORDINATOR_HANDSHAKE_MS 10000
/* How often an agent thread looks for a new plan for its node. */
#define COORDINATOR_AGENT_TICK_MS 200

/* One node whose agent has connected at least once. */
struct coordinator_agent {
	char node_id[SWARM_ID_MAX + 1];
	bool connected;
	unsigned long connection; /* serial of the connection serving it */
	time_t last_report;
	struct swarm_wire_report report;
	unsigned long long sent_generation;
	time_t last_push;
	unsigned long long refused_generation; /* a plan more than tjd holds, not pushed */
	char push_error[256];		       /* why, "" when the last plan was pushed */
};

struct coordinator {
	pthread_mutex_t lock;
	char docker_host[512];
	char certs[512];
	char status_path[108];
	char listen_host[256];
	char listen_port[16];
	int interval_ms;
	struct swarm_identity own;
	SSL_CTX *ctx;
	const struct swarm_tjd *tjd;
	/* The last complete view and plan. */
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	unsigned long long *generations; /* per plan.nodes */
	unsigned long long next_generation;
	struct coordinator_agent **agents;
	size_t agent_count;
	unsigned long connections; /* serial counter */
	unsigned active;	   /* agent threads running */
	time_t started;
	time_t last_plan;
	char last_error[512];
	uint32_t last_plan_usec;
};

/* What one agent thread needs. */
struct coordinator_connection {
	struct coordinator *coordinator;
	int fd;
	char address[64];
};

static volatile sig_atomic_t coordinator_stop;

/* SIGTERM/SIGINT: finish the current cycle and leave (nodes keep their sets). */
static void coordinator_signal(int signo)
{
	(void)signo;
	coordinator_stop = 1;
}

/* Finds (or with create, adds) the record of a node's agent; lock held. */
static struct coordinator_agent *coordinator_agent(struct coordinator *c, const char *node_id,
						   bool create)
{
	struct coordinator_agent **grown, *agent;

	for (size_t i = 0; i < c->agent_count; i++)
		if (strcmp(c->agents[i]->node_id, node_id) == 0)
			return c->agents[i];
	if (!create || c->agent_count >= COORDINATOR_MAX_AGENTS)
		return NULL;
	grown = realloc(c->agents, (c->agent_count + 1) * sizeof(*grown));
	agent = calloc(1, sizeof(*agent));
	if (grown == NULL || agent == NULL) {
		free(agent);
		if (grown != NULL)
			c->agents = grown;
		return NULL;
	}
	c->agents = grown;
	snprintf(agent->node_id, sizeof(agent->node_id), "%s", node_id);
	c->agents[c->agent_count++] = agent;
	return agent;
}

/* The current generation of a node's plan, 0 when it has none; lock held. */
static unsigned long long coordinator_generation(const struct coordinator *c, const char *node_id,
						 const struct swarm_node_plan **plan)
{
	for (size_t i = 0; i < c->plan.node_count; i++) {
		if (strcmp(c->plan.nodes[i].node_id, node_id) == 0) {
			*plan = &c->plan.nodes[i];
			return c->generations[i];
		}
	}
	*plan = NULL;
	return 0;
}

/* Serves one agent: pushes its node's peer set on change, stores its reports. */
static void *coordinator_agent_thread(void *arg)
{
	struct coordinator_connection *connection = arg;
	struct coordinator *c = connection->coordinator;
	struct swarm_identity peer;
	struct swarm_conn conn;
	struct coordinator_agent *agent = NULL;
	struct swarm_wire_report *report = malloc(sizeof(*report));
	unsigned long serial = 0;
	char *line = malloc(SWARM_LINE_MAX);
	char err[512] = "stopping";

	memset(&conn, 0, sizeof(conn));
	conn.fd = connection->fd;
	if (report == NULL || line == NULL ||
	    swarm_conn_open(&conn, c->ctx, connection->fd, true, COORDINATOR_HANDSHAKE_MS, err,
			    sizeof(err)) < 0 ||
	    swarm_tls_peer(conn.ssl, &c->own, &peer, err, sizeof(err)) < 0) {
		log_warnx("agent from %s refused: %s", connection->address,
			  report && line ? err : "out of memory");
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	agent = coordinator_agent(c, peer.node_id, true);
	if (agent != NULL) {
		serial = ++c->connections;
		agent->connection = serial;
		agent->connected = true;
		agent->sent_generation = 0;
	}
	pthread_mutex_unlock(&c->lock);
	if (agent == NULL) {
		log_warnx("agent of node %s refused: too many agents", peer.node_id);
		goto out;
	}
	log_info("agent of node %s (%s) connected from %s", peer.node_id, peer.role,
		 connection->address);
	while (!coordinator_stop) {
		const struct swarm_node_plan *plan;
		unsigned long long generation;
		char *message = NULL;
		int got;

		pthread_mutex_lock(&c->lock);
		if (agent->connection != serial) {
			pthread_mutex_unlock(&c->lock);
			break; /* a newer connection from the same node took over */
		}
		generation = coordinator_generation(c, peer.node_id, &plan);
		if (generation != 0 && generation != agent->sent_generation &&
		    generation != agent->refused_generation) {
			/* More than tjd holds is not pushed at all: the node keeps its last set. */
			if (swarm_wire_peers_fit(plan, agent->push_error,
						 sizeof(agent->push_error)) < 0) {
				log_warnx("peer set generation %llu of node %s not pushed: %s; the "
					  "node keeps its last set",
					  generation, peer.node_id, agent->push_error);
				agent->refused_generation = generation;
			} else {
				agent->push_error[0] = '\0';
				message = swarm_wire_peers_encode(plan, generation, c->own.node_id);
			}
		}
		pthread_mutex_unlock(&c->lock);
		if (message != NULL) {
			int sent = swarm_conn_send(&conn, message, err, sizeof(err));
			free(message);
			if (sent < 0)
				break;
			pthread_mutex_lock(&c->lock);
			agent->sent_generation = generation;
			agent->last_push = time(NULL);
			pthread_mutex_unlock(&c->lock);
			log_info("pushed peer set generation %llu to node %s", generation,
				 peer.node_id);
		}
		got = swarm_conn_recv(&conn, line, SWARM_LINE_MAX, COORDINATOR_AGENT_TICK_MS, err,
				      sizeof(err));
		if (got < 0)
			break;
		if (got == 0)
			continue;
		if (swarm_wire_report_decode(line, report, err, sizeof(err)) < 0) {
			log_warnx("node %s sent an invalid report (%s); disconnecting",
				  peer.node_id, err);
			break;
		}
		pthread_mutex_lock(&c->lock);
		agent->report = *report;
		agent->last_report = time(NULL);
		pthread_mutex_unlock(&c->lock);
	}
	log_info("agent of node %s disconnected (%s)", peer.node_id, err);
	pthread_mutex_lock(&c->lock);
	if (agent->connection == serial)
		agent->connected = false;
	pthread_mutex_unlock(&c->lock);
out:
	swarm_conn_close(&conn);
	pthread_mutex_lock(&c->lock);
	c->active--;
	pthread_mutex_unlock(&c->lock);
	free(report);
	free(line);
	free(connection);
	return NULL;
}

/* Accepts agents forever, one thread each. */
static void *coordinator_listen_thread(void *arg)
{
	struct coordinator *c = arg;
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *addresses = NULL;
	int fd = -1, one = 1, rc;

	rc = getaddrinfo(c->listen_host[0] ? c->listen_host : NULL, c->listen_port, &hints,
			 &addresses);
	if (rc != 0)
		fatalx("cannot resolve listen address %s: %s", c->listen_host, gai_strerror(rc));
	fd = socket(addresses->ai_family, addresses->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, addresses->ai_addr, addresses->ai_addrlen) < 0 || listen(fd, 64) < 0)
		fatal("cannot listen on [%s]:%s", c->listen_host, c->listen_port);
	freeaddrinfo(addresses);
	log_info("listening for agents on [%s]:%s", c->listen_host[0] ? c->listen_host : "*",
		 c->listen_port);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		struct coordinator_connection *connection;
		char host[NI_MAXHOST] = "?", service[NI_MAXSERV] = "";
		pthread_t thread;
		int client = accept4(fd, (struct sockaddr *)&from, &fromlen, SOCK_CLOEXEC);

		if (client < 0) {
			if (errno != EINTR)
				log_warn("accept");
			continue;
		}
		getnameinfo((struct sockaddr *)&from, fromlen, host, sizeof(host), service,
			    sizeof(service), NI_NUMERICHOST | NI_NUMERICSERV);
		connection = calloc(1, sizeof(*connection));
		pthread_mutex_lock(&c->lock);
		if (connection == NULL || c->active >= COORDINATOR_MAX_AGENTS) {
			pthread_mutex_unlock(&c->lock);
			log_warnx("refusing a connection from %s: too many agents", host);
			free(connection);
			close(client);
			continue;
		}
		c->active++;
		pthread_mutex_unlock(&c->lock);
		connection->coordinator = c;
		connection->fd = client;
		snprintf(connection->address, sizeof(connection->address), "%s", host);
		if (pthread_create(&thread, NULL, coordinator_agent_thread, connection) != 0) {
			pthread_mutex_lock(&c->lock);
			c->active--;
			pthread_mutex_unlock(&c->lock);
			close(client);
			free(connection);
			continue;
		}
		pthread_detach(thread);
	}
	return NULL;
}

/* Adds an array of strings to a JSON object. */
static void coordinator_json_strings(json_t *object, const char *key,
				     char (*items)[SWARM_ADDRESS_MAX], size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; array != NULL && i < count; i++)
		json_array_append_new(array, json_string(items[i]));
	json_object_set_new(object, key, array ? array : json_null());
}

/* One node's entry in the status document; lock held. */
static json_t *coordinator_status_node(const struct coordinator *c, const struct swarm_node *node)
{
	json_t *object = json_object(), *networks = json_array();
	const struct swarm_node_plan *plan = NULL;
	unsigned long long generation = coordinator_generation(c, node->id, &plan);
	struct coordinator_agent *agent =
	    coordinator_agent((struct coordinator *)c, node->id, false);

	if (object == NULL || networks == NULL) {
		json_decref(object);
		json_decref(networks);
		return NULL;
	}
	json_object_set_new(object, "id", json_string(node->id));
	json_object_set_new(object, "hostname", json_string(node->hostname));
	json_object_set_new(object, "address", json_string(node->address));
	json_object_set_new(object, "role", json_string(node->manager ? "manager" : "worker"));
	json_object_set_new(object, "ready", json_boolean(node->ready));
	json_object_set_new(object, "agent_connected", json_boolean(agent && agent->connected));
	json_object_set_new(object, "last_report_unix",
			    json_integer(agent ? agent->last_report : 0));
	json_object_set_new(object, "generation", json_integer((json_int_t)generation));
	json_object_set_new(object, "pushed_generation",
			    json_integer(agent ? (json_int_t)agent->sent_generation : 0));
	json_object_set_new(object, "last_push_unix", json_integer(agent ? agent->last_push : 0));
	json_object_set_new(object, "push_error", json_string(agent ? agent->push_error : ""));
	json_object_set_new(object, "tjd_ready", json_boolean(agent && agent->report.tjd_ready));
	json_object_set_new(object, "tjd_error", json_string(agent ? agent->report.tjd_error : ""));
	for (size_t n = 0; n < c->cluster.network_count; n++) {
		const struct swarm_network *net = &c->cluster.networks[n];
		json_t *item = json_object();

		if (item == NULL)
			continue;
		json_object_set_new(item, "name", json_string(net->name));
		json_object_set_new(item, "id", json_string(net->id));
		for (size_t r = 0; agent != NULL && r < agent->report.network_count; r++) {
			const struct swarm_wire_network *reported = &agent->report.networks[r];
			char lb[2][SWARM_ADDRESS_MAX];
			if (strcmp(reported->id, net->id) != 0)
				continue;
			memcpy(lb, reported->lb_ips, sizeof(lb));
			coordinator_json_strings(item, "lb_ips", lb, reported->lb_count);
			json_object_set_new(item, "installed_peer_count",
					    json_integer((json_int_t)reported->peer_count));
			json_object_set_new(item, "peers_updated_unix",
					    json_integer(reported->peers_updated_unix));
			json_object_set_new(item, "enforced", json_boolean(reported->enforced));
			json_object_set_new(item, "rule_count", json_integer(reported->rule_count));
		}
		for (size_t p = 0; plan != NULL && p < plan->network_count; p++) {
			if (strcmp(plan->networks[p].network_id, net->id) != 0)
				continue;
			coordinator_json_strings(item, "peer_lb_ips", plan->networks[p].lb_ips,
						 plan->networks[p].lb_count);
			coordinator_json_strings(item, "peer_allowed_ips",
						 plan->networks[p].allowed_ips,
						 plan->networks[p].allowed_count);
		}
		json_array_append_new(networks, item);
	}
	json_object_set_new(object, "networks", networks);
	return object;
}

/* The whole status document, malloc'd text. */
static char *coordinator_status(struct coordinator *c)
{
	json_t *root = json_object(), *nodes = json_array(), *self = json_object();
	char *text = NULL;

	pthread_mutex_lock(&c->lock);
	if (root != NULL && nodes != NULL && self != NULL) {
		json_object_set_new(self, "node", json_string(c->own.node_id));
		json_object_set_new(self, "started_unix", json_integer(c->started));
		json_object_set_new(self, "last_plan_unix", json_integer(c->last_plan));
		json_object_set_new(self, "last_plan_usec", json_integer(c->last_plan_usec));
		json_object_set_new(self, "last_error", json_string(c->last_error));
		json_object_set_new(self, "rejected_reports",
				    json_integer((json_int_t)c->plan.rejected_reports));
		json_object_set_new(self, "first_rejection", json_string(c->plan.first_rejection));
		for (size_t i = 0; i < c->cluster.node_count; i++)
			json_array_append_new(nodes,
					      coordinator_status_node(c, &c->cluster.nodes[i]));
		json_object_set(root, "coordinator", self);
		json_object_set(root, "nodes", nodes);
		text = json_dumps(root, JSON_COMPACT);
	}
	pthread_mutex_unlock(&c->lock);
	json_decref(self);
	json_decref(nodes);
	json_decref(root);
	return text;
}

/* Answers `tjctl swarm status`: one document per connection. */
static void *coordinator_status_thread(void *arg)
{
	struct coordinator *c = arg;
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", c->status_path);
	unlink(c->status_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    chmod(c->status_path, 0660) < 0 || listen(fd, 16) < 0) {
		log_warn("status socket %s", c->status_path);
		return NULL;
	}
	for (;;) {
		int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		char *text;
		size_t length, done = 0;

		if (client < 0)
			continue;
		text = coordinator_status(c);
		length = text != NULL ? strlen(text) : 0;
		while (done < length) {
			ssize_t n = send(client, text + done, length - done, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			done += (size_t)n;
		}
		free(text);
		close(client);
	}
	return NULL;
}

/* One GET into one parser. */
static int coordinator_fetch(struct coordinator *c, const char *path,
			     int (*parse)(const char *, size_t, struct swarm_cluster *, char *,
					  size_t),
			     struct swarm_cluster *cluster, char *err, size_t errlen)
{
	char *body = NULL;
	size_t length;
	int ret;

	if (swarm_docker_get(c->docker_host, path, &body, &length, err, errlen) < 0)
		return -1;
	ret = parse(body, length, cluster, err, errlen);
	free(body);
	return ret;
}

/* Reads the cluster from the manager's API: nodes, services, tasks, protected networks. */
static int coordinator_read_cluster(struct coordinator *c, const Tjd__V1__StatusResponse *tjd,
				    struct swarm_cluster *cluster, char *err, size_t errlen)
{
	static const char overlay_filter[] =
	    "/networks?filters=%7B%22driver%22%3A%5B%22overlay%22%5D%7D";
	char *list = NULL, *body = NULL;
	size_t list_length, length;
	int ret = -1;

	if (coordinator_fetch(c, "/nodes", swarm_parse_nodes, cluster, err, errlen) < 0 ||
	    coordinator_fetch(c, "/services", swarm_parse_services, cluster, err, errlen) < 0 ||
	    coordinator_fetch(c, "/tasks?filters=%7B%22desired-state%22%3A%5B%22running%22%5D%7D",
			      swarm_parse_tasks, cluster, err, errlen) < 0 ||
	    swarm_docker_get(c->docker_host, overlay_filter, &list, &list_length, err, errlen) < 0)
		goto out;
	for (size_t n = 0; n < tjd->n_networks; n++) {
		const Tjd__V1__NetworkStatus *ns = tjd->networks[n];
		char id[SWARM_ID_MAX + 1], path[128], check[256];
		int found;

		if (ns == NULL || ns->name == NULL)
			continue;
		found =
		    swarm_find_network(list, list_length, ns->name, id, sizeof(id), err, errlen);
		if (found < 0)
			goto out;
		if (found > 0)
			continue; /* not a swarm network: nothing to coordinate */
		for (size_t a = 0; a < ns->n_allow_filters; a++)
			if (swarm_filter_check(ns->allow_filters[a], check, sizeof(check)) < 0)
				log_warnx("network %s: %s; it allows no task on other nodes",
					  ns->name, check);
		snprintf(path, sizeof(path), "/networks/%s?verbose=true", id);
		if (swarm_docker_get(c->docker_host, path, &body, &length, err, errlen) < 0 ||
		    swarm_parse_network(body, length, ns->allow_filters, ns->n_allow_filters,
					cluster, err, errlen) < 0)
			goto out;
		free(body);
		body = NULL;
	}
	ret = 0;
out:
	free(list);
	free(body);
	return ret;
}

/* The agents' verified-later claims, as plan input; lock held. */
static struct swarm_report *coordinator_reports(struct coordinator *c, size_t *count)
{
	struct swarm_report *reports;
	size_t total = 0;

	for (size_t i = 0; i < c->agent_count; i++)
		total += c->agents[i]->report.network_count;
	reports = calloc(total + 1, sizeof(*reports));
	*count = 0;
	if (reports == NULL)
		return NULL;
	for (size_t i = 0; i < c->agent_count; i++) {
		const struct coordinator_agent *agent = c->agents[i];
		for (size_t n = 0; n < agent->report.network_count; n++) {
			struct swarm_report *report = &reports[(*count)++];
			snprintf(report->node_id, sizeof(report->node_id), "%s", agent->node_id);
			snprintf(report->network_id, sizeof(report->network_id), "%s",
				 agent->report.networks[n].id);
			memcpy(report->lb_ips, agent->report.networks[n].lb_ips,
			       sizeof(report->lb_ips));
			report->lb_count = agent->report.networks[n].lb_count;
		}
	}
	return reports;
}

/* One cycle: read everything, plan, and swap the plan in with new generations. */
static void coordinator_cycle(struct coordinator *c)
{
	Tjd__V1__Response *response = NULL;
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	struct swarm_report *reports = NULL;
	unsigned long long *generations = NULL;
	struct timespec start, end;
	size_t report_count = 0;
	char err[512] = "";

	clock_gettime(CLOCK_MONOTONIC, &start);
	swarm_cluster_init(&cluster);
	memset(&plan, 0, sizeof(plan));
	/* the protected networks and their allow lists, from the local tjd */
	response = swarm_tjd_status(c->tjd);
	if (response == NULL) {
		snprintf(err, sizeof(err), "cannot read the protected networks from tjd on %s",
			 c->tjd->socket_path);
		goto fail;
	}
	if (coordinator_read_cluster(c, response->status, &cluster, err, sizeof(err)) < 0)
		goto fail;
	pthread_mutex_lock(&c->lock);
	reports = coordinator_reports(c, &report_count);
	pthread_mutex_unlock(&c->lock);
	if (reports == NULL ||
	    swarm_plan_compute(&cluster, reports, report_count, &plan, err, sizeof(err)) < 0)
		goto fail;
	generations = calloc(plan.node_count + 1, sizeof(*generations));
	if (generations == NULL)
		goto fail;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < plan.node_count; i++) {
		const struct swarm_node_plan *old_node;
		unsigned long long old =
		    coordinator_generation(c, plan.nodes[i].node_id, &old_node);
		if (swarm_plan_changed(&c->plan, &plan, plan.nodes[i].node_id)) {
			generations[i] = ++c->next_generation;
			log_info("peer set of node %s changed (generation %llu)",
				 plan.nodes[i].node_id, generations[i]);
		} else {
			generations[i] = old;
		}
	}
	if (plan.rejected_reports > 0 && strcmp(plan.first_rejection, c->plan.first_rejection) != 0)
		log_warnx("refused %zu load-balancer claim(s): %s", plan.rejected_reports,
			  plan.first_rejection);
	swarm_plan_free(&c->plan);
	c->plan = plan;
	memset(&plan, 0, sizeof(plan));
	free(c->generations);
	c->generations = generations;
	generations = NULL;
	swarm_cluster_free(&c->cluster);
	c->cluster = cluster;
	swarm_cluster_init(&cluster);
	clock_gettime(CLOCK_MONOTONIC, &end);
	c->last_plan = time(NULL);
	c->last_plan_usec = (uint32_t)((end.tv_sec - start.tv_sec) * 1000000 +
				       (end.tv_nsec - start.tv_nsec) / 1000);
	c->last_error[0] = '\0';
	pthread_mutex_unlock(&c->lock);
	goto out;
fail:
	pthread_mutex_lock(&c->lock);
	if (strcmp(c->last_error, err) != 0)
		log_warnx("%s; nodes keep their last peer sets", err);
	snprintf(c->last_error, sizeof(c->last_error), "%s", err);
	pthread_mutex_unlock(&c->lock);
out:
	free(generations);
	free(reports);
	swarm_plan_free(&plan);
	swarm_cluster_free(&cluster);
	swarm_tjd_free(response);
}

/* Copies the configuration into a new coordinator; NULL when out of memory. */
static struct coordinator *coordinator_create(const struct swarm_coordinator_config *config)
{
	struct coordinator *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->tjd = config->tjd;
	c->interval_ms = config->interval_ms;
	snprintf(c->docker_host, sizeof(c->docker_host), "%s", config->docker_host);
	snprintf(c->certs, sizeof(c->certs), "%s", config->certs);
	snprintf(c->status_path, sizeof(c->status_path), "%s", config->status_path);
	snprintf(c->listen_host, sizeof(c->listen_host), "%s", config->listen_host);
	snprintf(c->listen_port, sizeof(c->listen_port), "%s", config->listen_port);
	return c;
}

/* Starts the agent and status threads, then plans every interval until stopped. */
int swarm_coordinator_run(const struct swarm_coordinator_config *config, char *err, size_t errlen)
{
	struct coordinator *c = coordinator_create(config);
	pthread_t listener, status;
	struct sigaction action;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->ctx = swarm_tls_context(true, c->certs, &c->own, err, errlen);
	if (c->ctx == NULL)
		goto fail;
	if (strcmp(c->own.role, "swarm-manager") != 0) {
		snprintf(err, errlen,
			 "this node (%s) is a %s: the coordinator must run on a manager",
			 c->own.node_id, c->own.role);
		goto fail;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	memset(&action, 0, sizeof(action));
	action.sa_handler = coordinator_signal;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	c->started = time(NULL);
	log_info("coordinator on node %s (swarm %s), Docker %s, tjd %s", c->own.node_id,
		 c->own.cluster, c->docker_host, c->tjd->socket_path);
	if (pthread_create(&listener, NULL, coordinator_listen_thread, c) != 0 ||
	    pthread_create(&status, NULL, coordinator_status_thread, c) != 0)
		fatalx("cannot start threads");
	pthread_detach(listener);
	pthread_detach(status);
	while (!coordinator_stop) {
		struct timespec pause = {.tv_sec = c->interval_ms / 1000,
					 .tv_nsec = (long)(c->interval_ms % 1000) * 1000000L};
		coordinator_cycle(c);
		nanosleep(&pause, NULL);
	}
	log_info("coordinator stopping; every node keeps its last peer set");
	unlink(c->status_path);
	/* Agent threads may still hold the state: the process exit releases it. */
	return 0;
fail:
	SSL_CTX_free(c->ctx);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return -1;
}

/* Reads the coordinator's whole status document from its socket. */
char *swarm_coordinator_status_read(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	char *buffer = NULL;
	size_t used = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(address.sun_path)) {
		snprintf(err, errlen, "bad status socket %s", path);
		goto fail;
	}
	memcpy(address.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		snprintf(err, errlen,
			 "cannot reach the coordinator on %s: %s (is `tjctl swarm coordinate` "
			 "running here?)",
			 path, strerror(errno));
		goto fail;
	}
	buffer = malloc(SWARM_STATUS_MAX + 1);
	if (buffer == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) != 1) {
			snprintf(err, errlen, "the coordinator did not answer in time");
			goto fail;
		}
		n = recv(fd, buffer + used, SWARM_STATUS_MAX - used, 0);
		if (n < 0) {
			snprintf(err, errlen, "reading from the coordinator: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used >= SWARM_STATUS_MAX) {
			snprintf(err, errlen, "status document too large");
			goto fail;
		}
	}
	buffer[used] = '\0';
	close(fd);
	return buffer;
fail:
	if (fd >= 0)
		close(fd);
	free(buffer);
	return NULL;
}
