/*
 * The swarm deployment controller behind `tjctl swarm deploy` (the image's
 * SWARM_DAEMON=true role): TrafficJam's one-command deployment with tjd's
 * trust model.  Run as the single task of a service on a manager with only
 * the Docker socket mounted, it learns its own container, service, node
 * and image from the Docker API, and creates and keeps up to date two
 * child services labelled as its own:
 *
 *   <service>-coordinator   one task pinned to the controller's node, host
 *                           network: `tjctl swarm coordinate` listening on
 *                           the node's swarm address;
 *   <service>-node          global, host network, NET_ADMIN, NET_RAW and
 *                           SYS_ADMIN: tjd and `tjctl swarm agent` (the
 *                           image's node role).
 *
 * When its own service is removed (SIGTERM and the service is gone from
 * the API) or on SIGUSR1, it turns the node service into the clear role
 * (`tjd --clear` on every node), waits until every node ran it, removes
 * both child services and exits.  A SIGTERM while its service still exists
 * (a restart, an update, dockerd stopping) leaves everything in place:
 * fail closed.
 *
 * Every document from Docker is untrusted: the parsers below bound and
 * validate it (common/jsonfield, common/ident) and are pure, for the unit
 * test and the fuzz target.
 */
#ifndef TJD_SWARM_DEPLOY_H
#define TJD_SWARM_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWARM_DEPLOY_ID_MAX 64
/* Docker service names are DNS labels. */
#define SWARM_DEPLOY_NAME_MAX 63
/* An image reference: name[:tag][@sha256:digest]. */
#define SWARM_DEPLOY_IMAGE_MAX 255
#define SWARM_DEPLOY_ADDRESS_MAX 46
#define SWARM_DEPLOY_MAX_SERVICES 64
#define SWARM_DEPLOY_MAX_TASKS 65536
#define SWARM_DEPLOY_MAX_NODES 4096
/* Environment variables the controller passes on to the node role. */
#define SWARM_DEPLOY_MAX_ENV 16

/* The labels the controller puts on its child services. */
#define SWARM_DEPLOY_LABEL_CONTROLLER "tjd.swarm.controller"
#define SWARM_DEPLOY_LABEL_ROLE "tjd.swarm.role"
#define SWARM_DEPLOY_LABEL_SPEC "tjd.swarm.spec"

/* What the controller learns about its own container (GET /containers/{id}/json). */
struct swarm_deploy_self {
	char container_id[SWARM_DEPLOY_ID_MAX + 1];
	char image_id[SWARM_DEPLOY_IMAGE_MAX + 1];  /* Image: "sha256:<hex>" */
	char image_ref[SWARM_DEPLOY_IMAGE_MAX + 1]; /* Config.Image, as the service names it */
	char service_id[SWARM_DEPLOY_ID_MAX + 1];   /* com.docker.swarm.service.id */
	char service_name[SWARM_DEPLOY_NAME_MAX + 1];
	char node_id[SWARM_DEPLOY_ID_MAX + 1]; /* com.docker.swarm.node.id */
};

/* One node (GET /nodes/{id}, or an item of GET /nodes). */
struct swarm_deploy_node {
	char id[SWARM_DEPLOY_ID_MAX + 1];
	char address[SWARM_DEPLOY_ADDRESS_MAX]; /* manager address, else Status.Addr */
	bool ready;				/* Status.State "ready" */
	bool active;				/* Spec.Availability "active" */
};

/* One child service as GET /services lists it. */
struct swarm_deploy_service {
	char id[SWARM_DEPLOY_ID_MAX + 1];
	char name[SWARM_DEPLOY_NAME_MAX + 1];
	uint64_t version; /* Version.Index, for updates */
	char role[16];	  /* label tjd.swarm.role */
	char spec[17];	  /* label tjd.swarm.spec: the hash of what the controller wanted */
};

/* One task of a child service (GET /tasks). */
struct swarm_deploy_task {
	char id[SWARM_DEPLOY_ID_MAX + 1];
	char node_id[SWARM_DEPLOY_ID_MAX + 1];
	char state[16];	  /* Status.State */
	char desired[16]; /* DesiredState */
	char role[16];	  /* Spec.ContainerSpec.Labels tjd.swarm.role */
	long exit_code;	  /* Status.ContainerStatus.ExitCode, -1 when absent */
};

/* The controller's settings (tjctl fills them in from the environment). */
struct swarm_deploy_config {
	const char *docker_host; /* the manager's API, for the controller itself */
	const char *image;	 /* SWARM_IMAGE, or NULL: the controller's own */
	/* Host paths mounted into the children (they differ in the tests). */
	const char *docker_sock; /* SWARM_DOCKER_SOCK */
	const char *netns_dir;	 /* SWARM_NETNS_DIR */
	const char *certs_dir;	 /* SWARM_CERTS_DIR */
	const char *run_dir;	 /* SWARM_RUN_DIR, or NULL: a volume <service>-run */
	const char *state_dir;	 /* SWARM_STATE_DIR, or NULL: a volume <service>-state */
	const char *port;	 /* SWARM_PORT: where the coordinator listens */
	const char *interval;	 /* SWARM_INTERVAL: the coordinator's and agents', or NULL */
	/* "NAME=VALUE" passed on to tjd on every node (NETWORK, WHITELIST_FILTER...). */
	const char *env[SWARM_DEPLOY_MAX_ENV];
	size_t env_count;
	int check_ms;	      /* how often the children are checked */
	int clear_timeout_ms; /* how long the clear waits for every node */
};

/* Parses GET /containers/{id}/json of the controller's own container. */
int swarm_deploy_parse_self(const char *json, size_t len, struct swarm_deploy_self *self, char *err,
			    size_t errlen);
/* The first RepoDigests entry of GET /images/{id}/json into digest ("" when none). */
int swarm_deploy_parse_image(const char *json, size_t len, char *digest, size_t size, char *err,
			     size_t errlen);
/* GET /nodes/{id} (an object) or GET /nodes (an array, into nodes[max]). */
int swarm_deploy_parse_node(const char *json, size_t len, struct swarm_deploy_node *node, char *err,
			    size_t errlen);
int swarm_deploy_parse_nodes(const char *json, size_t len, struct swarm_deploy_node **nodes,
			     size_t *count, char *err, size_t errlen);
/* GET /services?filters=: every service listed, into services[SWARM_DEPLOY_MAX_SERVICES]. */
int swarm_deploy_parse_services(const char *json, size_t len, struct swarm_deploy_service *services,
				size_t *count, char *err, size_t errlen);
/* GET /tasks?filters=: *tasks malloc'd. */
int swarm_deploy_parse_tasks(const char *json, size_t len, struct swarm_deploy_task **tasks,
			     size_t *count, char *err, size_t errlen);

/* A reference Docker takes as a service's image: [a-zA-Z0-9._/:@-], 1 to 255 bytes. */
bool swarm_deploy_valid_image(const char *s, size_t len);
/* Finds the container id in /proc/self/mountinfo text ("/containers/<64 hex>/"). */
int swarm_deploy_container_id(const char *mountinfo, size_t len, char *id, size_t size);

/* Runs the controller until its service is removed or it is stopped. */
int swarm_deploy_run(const struct swarm_deploy_config *config, char *err, size_t errlen);

#endif
