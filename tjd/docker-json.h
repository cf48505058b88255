/*
 * Pure parsers from Docker Engine API JSON to tjd's structs.  Every input is
 * untrusted: sizes are bounded, types checked, and a malformed document is
 * an error with a message, never a crash.
 */
#ifndef TJD_DOCKER_JSON_H
#define TJD_DOCKER_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "common/prefix.h"
#include "common/rulespec.h"
#include "tjd/inventory.h"

/* GET /networks: finds the id of the network named `name`; 0 found, 1 absent, -1 error. */
int docker_json_find_network(const char *json, size_t len, const char *name, char *id,
			     size_t idlen, char *err, size_t errlen);
/*
 * The same for `count` names from one parse: ids[i] is the id of names[i]
 * ("" when absent).  0, or -1 with err set (a name listed twice is an
 * error: Docker allows a local and a swarm network to share one).
 */
int docker_json_find_networks(const char *json, size_t len, const char *const *names,
			      size_t count, char (*ids)[INV_ID_MAX + 1], char *err, size_t errlen);
/*
 * The JSON for GET /networks?filters= that lists only networks whose name
 * matches one of `names` (Docker matches names as patterns, so the answer
 * is a superset, narrowed exactly by docker_json_find_networks); malloc'd.
 */
char *docker_network_names_filter(const char *const *names, size_t count, char *err,
				  size_t errlen);

/*
 * GET /networks/{id}: fills id, name, driver, scope, internal, bridge
 * (from com.docker.network.bridge.name, else "br-" + id[:12] for bridge
 * driver networks), subnets (IPAM.Config[].Subnet, every one), endpoints
 * (Containers map: id, Name, MacAddress, IPv4Address, IPv6Address).
 */
int docker_json_parse_network(const char *json, size_t len, struct inv_network *net, char *err,
			      size_t errlen);

/* GET /containers/json: the Id of every container listed; ids malloc'd (free each + array). */
int docker_json_container_ids(const char *json, size_t len, char ***ids, size_t *count,
			      char *err, size_t errlen);

/* GET /containers/{id}/json: NetworkSettings.SandboxKey ("" if none). */
int docker_json_sandbox_key(const char *json, size_t len, char *sandbox, size_t sandboxlen,
			    char *err, size_t errlen);

struct docker_event {
	char type[32];    /* "container", "network", ... */
	char action[64];  /* "start", "die", "connect", ... */
	char id[INV_ID_MAX + 1]; /* Actor.ID */
	char name[INV_NAME_MAX + 1]; /* Actor.Attributes.name, "" if absent or unusable */
	/* Network events: Actor.Attributes.container, "" unless a valid container id. */
	char container[INV_ID_MAX + 1];
	/* Container events: its labels (in Attributes) carry dcfw.* or tjd.enable. */
	bool policy;
};
/* One /events line. */
int docker_json_parse_event(const char *json, size_t len, struct docker_event *event, char *err,
			    size_t errlen);

/*
 * Turns an allow expression (common/filter.h: whitespace-separated docker
 * ps filters, "key=value") into the JSON for ?filters=, narrowed to
 * `network` unless the expression names its own; malloc'd.  NULL with err
 * set for an expression filter_parse() refuses or an invalid network name.
 */
char *docker_filters_json(const char *expression, const char *network, char *err, size_t errlen);

/* Bounds on what one container may carry; more is an error, never cut. */
#define DOCKER_LABELS_MAX 512		 /* labels per container */
#define DOCKER_LABEL_KEY_MAX 255	 /* bytes of a label key */
#define DOCKER_LABEL_VALUE_MAX 4096	 /* bytes of a label value */
#define DOCKER_CONTAINER_NETWORKS_MAX 64 /* networks per container */
#define DOCKER_CONTAINERS_MAX 16384	 /* containers per list */
#define DOCKER_SANDBOX_KEY_MAX 4095	 /* bytes of a SandboxKey path */
/* NetworkMode: a network name, or "container:" and a 64-digit id. */
#define DOCKER_NETWORK_MODE_MAX (INV_NAME_MAX + 10)

/* One member of a container's NetworkSettings.Networks. */
struct docker_container_address {
	char network[INV_NAME_MAX + 1];	 /* the member's key, the network's name */
	char network_id[INV_ID_MAX + 1]; /* NetworkID, "" if not given */
	struct prefix ipv4;		 /* IPAddress as a /32, family 0 if "" */
	struct prefix ipv6;		 /* GlobalIPv6Address as a /128, family 0 if "" */
	char mac[18];			 /* MacAddress lowercased, "" if not given */
};

/*
 * What tjd reads of one container to apply its own firewall inside its
 * namespace.  The parser owns every pointer: labels[i].key and .value
 * point into label_text (one allocation holding them all, each
 * NUL-terminated); docker_container_free releases everything.
 */
/* Most Ports entries of one container listed. */
#define DOCKER_PORTS_MAX 1024

struct docker_container {
	char id[INV_ID_MAX + 1];			/* 64 lowercase hex digits */
	char name[INV_NAME_MAX + 1];			/* without the leading '/' */
	char network_mode[DOCKER_NETWORK_MODE_MAX + 1]; /* HostConfig.NetworkMode, "" if absent */
	char sandbox_key[DOCKER_SANDBOX_KEY_MAX + 1];	/* inspect only; "" otherwise */
	long pid;					/* State.Pid, inspect only; 0 otherwise */
	bool running;					/* State.Running, or a list's State "running" */
	char state[16]; /* a list's State ("created", "running", "exited"...), "" if absent */
	struct rulespec_label *labels;			/* in Docker's order */
	size_t label_count;
	char *label_text;
	struct docker_container_address *addresses; /* in Docker's order */
	size_t address_count;
	struct inv_binding *bindings; /* a list's Ports with a PublicPort, in Docker's order */
	size_t binding_count;
};

/* Releases what a container holds and empties it; an empty container is fine. */
void docker_container_free(struct docker_container *container);

/*
 * GET /containers/json (with or without filters): every container listed,
 * with Id, the first of its Names that is not a legacy link alias
 * ("/parent/alias"), Labels, HostConfig.NetworkMode,
 * NetworkSettings.Networks and Ports (the published ones: PublicPort
 * 1-65535, PrivatePort 1-65535, Type tcp, udp or sctp, IP an address or
 * absent; at most DOCKER_PORTS_MAX, duplicates dropped).  *out is malloc'd: docker_container_free each,
 * then free the array.  0, or -1 with err naming the item and *out NULL,
 * *count 0.
 */
int docker_json_container_list(const char *json, size_t len, struct docker_container **out,
			       size_t *count, char *err, size_t errlen);

/*
 * GET /containers/{id}/json: Id, Name, State.Pid and State.Running,
 * HostConfig.NetworkMode, NetworkSettings.SandboxKey and .Networks,
 * Config.Labels.  0, or -1 with err set and *out empty.
 */
int docker_json_container_inspect(const char *json, size_t len, struct docker_container *out,
				  char *err, size_t errlen);

#endif
