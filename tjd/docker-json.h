/*
 * Pure parsers from Docker Engine API JSON to tjd's structs.  Every input is
 * untrusted: sizes are bounded, types checked, and a malformed document is
 * an error with a message, never a crash.
 */
#ifndef TJD_DOCKER_JSON_H
#define TJD_DOCKER_JSON_H

#include <stddef.h>

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

#endif
