/*
 * The swarm coordinator's pure logic: Docker API documents from a manager
 * (nodes, services, tasks, verbose network inspects) and the facts agents
 * reported (each node's load-balancer address per network) in, one peer
 * set per node out, and change detection between two plans.
 *
 * Everything here is untrusted input: every document is bounded, every
 * field type-checked, every id and address validated (with common/'s
 * jsonfield, ident and prefix modules, as tjd does); a malformed document
 * is an error with a message, never a crash.  No I/O.
 *
 * Trust: a node's peer set is built from the manager's view only, except
 * for the load-balancer addresses, which no Docker API on a manager shows
 * (they appear only inside each node's overlay namespace).  Those come
 * from the node's own agent, authenticated as that node, and are accepted
 * only when they are plausible against the manager's view: a ready node,
 * a protected network, inside its subnets, not the address of any task or
 * container the manager knows, not claimed by another node, and at most
 * one per family.  So a compromised worker can name one address per
 * network for itself (which it has anyway: its real load balancer), never
 * one for another node, and never widen a set with a task address.
 */
#ifndef TJD_SWARM_PLAN_H
#define TJD_SWARM_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#define SWARM_ID_MAX 64
#define SWARM_NAME_MAX 255
#define SWARM_ADDRESS_MAX 46 /* INET6_ADDRSTRLEN */
/* A task is 1.5 to 2.5 kB of JSON: SWARM_MAX_TASKS of them with room to spare. */
#define SWARM_MAX_DOCUMENT (256u * 1024 * 1024)
#define SWARM_MAX_NODES 4096
#define SWARM_MAX_SERVICES 16384
#define SWARM_MAX_TASKS 65536
#define SWARM_MAX_LABELS 256
#define SWARM_MAX_NETWORKS 64
#define SWARM_MAX_SUBNETS 16
#define SWARM_MAX_ADDRESSES 16
#define SWARM_MAX_FILTERS 32

/* One key=value label. */
struct swarm_label {
	char *key;
	char *value;
};

struct swarm_node {
	char id[SWARM_ID_MAX + 1];
	char hostname[SWARM_NAME_MAX + 1];
	char address[SWARM_ADDRESS_MAX];
	bool ready;   /* Status.State == "ready" */
	bool manager; /* Spec.Role == "manager" */
};

struct swarm_service {
	char id[SWARM_ID_MAX + 1];
	char name[SWARM_NAME_MAX + 1];
	bool global; /* Mode.Global: task containers are named <service>.<node id>.<task id> */
};

/* A task's address(es) on one network. */
struct swarm_attachment {
	char network_id[SWARM_ID_MAX + 1];
	char addresses[SWARM_MAX_ADDRESSES][SWARM_ADDRESS_MAX];
	size_t address_count;
};

struct swarm_task {
	char id[SWARM_ID_MAX + 1];
	char service_id[SWARM_ID_MAX + 1];
	char node_id[SWARM_ID_MAX + 1];
	char container_id[SWARM_ID_MAX + 1];
	char image[SWARM_NAME_MAX + 1];
	unsigned long slot;
	bool running;		    /* Status.State and DesiredState both "running" */
	struct swarm_label *labels; /* Spec.ContainerSpec.Labels */
	size_t label_count;
	struct swarm_attachment *attachments;
	size_t attachment_count;
};

/* A protected overlay network as the manager sees it. */
struct swarm_network {
	char id[SWARM_ID_MAX + 1];
	char name[SWARM_NAME_MAX + 1];
	char subnets[SWARM_MAX_SUBNETS][SWARM_ADDRESS_MAX + 4];
	size_t subnet_count;
	/* Every endpoint address the manager knows on it (verbose Services map). */
	char (*endpoint_ips)[SWARM_ADDRESS_MAX];
	size_t endpoint_count;
	/* The allow expressions that protect it (from tjd's configuration). */
	char **allow;
	size_t allow_count;
};

struct swarm_cluster {
	struct swarm_node *nodes;
	size_t node_count;
	struct swarm_service *services;
	size_t service_count;
	struct swarm_task *tasks;
	size_t task_count;
	struct swarm_network *networks;
	size_t network_count;
};

/* What one node's agent reported about one network: its load-balancer address(es). */
struct swarm_report {
	char node_id[SWARM_ID_MAX + 1];
	char network_id[SWARM_ID_MAX + 1];
	char lb_ips[2][SWARM_ADDRESS_MAX];
	size_t lb_count;
};

/* One node's peers on one network: sorted, without duplicates. */
struct swarm_peer_network {
	char network_id[SWARM_ID_MAX + 1];
	char network_name[SWARM_NAME_MAX + 1];
	char (*lb_ips)[SWARM_ADDRESS_MAX];
	size_t lb_count;
	char (*allowed_ips)[SWARM_ADDRESS_MAX];
	size_t allowed_count;
};

struct swarm_node_plan {
	char node_id[SWARM_ID_MAX + 1];
	struct swarm_peer_network *networks;
	size_t network_count;
	char *digest; /* canonical text of the whole set: equal digests, equal sets */
};

struct swarm_plan {
	struct swarm_node_plan *nodes;
	size_t node_count;
	size_t rejected_reports; /* load-balancer claims that failed verification */
	char first_rejection[256];
};

void swarm_cluster_init(struct swarm_cluster *cluster);
void swarm_cluster_free(struct swarm_cluster *cluster);

/* GET /nodes. */
int swarm_parse_nodes(const char *json, size_t len, struct swarm_cluster *cluster, char *err,
		      size_t errlen);
/* GET /services. */
int swarm_parse_services(const char *json, size_t len, struct swarm_cluster *cluster, char *err,
			 size_t errlen);
/* GET /tasks. */
int swarm_parse_tasks(const char *json, size_t len, struct swarm_cluster *cluster, char *err,
		      size_t errlen);
/* GET /networks (overlay, swarm scope): the id of the network named name; 0 found, 1 absent. */
int swarm_find_network(const char *json, size_t len, const char *name, char *id, size_t idlen,
		       char *err, size_t errlen);
/*
 * GET /networks/{id}?verbose=true: appends the network (id, name, subnets,
 * every endpoint address) to the cluster with a copy of its allow list.
 */
int swarm_parse_network(const char *json, size_t len, char *const *allow, size_t allow_count,
			struct swarm_cluster *cluster, char *err, size_t errlen);

/*
 * Checks that an allow expression can be judged from a manager's view of
 * tasks.  It is split by filter_parse() (common/filter.h), the tokeniser
 * tjd queries Docker with, so both read it the same way; then only the
 * keys label, name, id, ancestor, is-task, network and status=running may
 * appear.  Returns 0, or -1 with err saying which term cannot be judged or
 * is malformed (such an expression matches no remote task: fail closed).
 */
int swarm_filter_check(const char *expression, char *err, size_t errlen);
/* True when a running task matches the allow expression (docker ps semantics). */
bool swarm_task_matches(const struct swarm_cluster *cluster, const struct swarm_task *task,
			const char *expression);

/*
 * Computes every ready node's peer set: for each protected network, the
 * verified load-balancer addresses of the other ready nodes and the
 * addresses of allow-listed running tasks on the other nodes.
 */
int swarm_plan_compute(const struct swarm_cluster *cluster, const struct swarm_report *reports,
		       size_t report_count, struct swarm_plan *plan, char *err, size_t errlen);
void swarm_plan_free(struct swarm_plan *plan);
/* The node's plan, or NULL when it is not (or no longer) a ready node. */
const struct swarm_node_plan *swarm_plan_node(const struct swarm_plan *plan, const char *node_id);
/* True when the node's peer set differs between two plans (absent counts as empty). */
bool swarm_plan_changed(const struct swarm_plan *old_plan, const struct swarm_plan *new_plan,
			const char *node_id);

/*
 * Parses an IPv4/IPv6 host address (no prefix, common/prefix.h) into
 * canonical text, the form every address is kept in here; -1 if invalid.
 */
int swarm_canonical_address(const char *text, char *out, size_t outlen);

#endif
