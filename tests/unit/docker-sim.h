/*
 * A simulated Docker Engine API for tests and benchmarks: a small world
 * of networks and containers that the test changes between steps, served
 * through the HTTP fixture (http-fixture.h) as the JSON dockerd sends for
 * the calls tjd makes: GET /networks, /networks/{id},
 * /containers/json?filters= (label, name, network and id filters, ANDed
 * across keys and ORed within one, as Docker does), /containers/{id}/json.
 * Any path can be made to fail with a status, to test errors mid-run.
 *
 * The world is locked: the fixture's threads read it while the test
 * changes it.
 */
#ifndef TJD_TESTS_DOCKER_SIM_H
#define TJD_TESTS_DOCKER_SIM_H

#include <stdbool.h>
#include <stddef.h>

struct docker_sim;

struct docker_sim *docker_sim_new(void);
void docker_sim_free(struct docker_sim *sim);

/*
 * Adds a network; driver "bridge" (bridge "br-<id[:12]>") or "overlay"
 * (scope swarm, no bridge).  subnet6 may be NULL.  Returns its index.
 */
size_t docker_sim_add_network(struct docker_sim *sim, const char *name, const char *driver,
			      const char *subnet4, const char *subnet6);
/* Adds a container with labels ("k=v,k2=v2" or ""); returns its index. */
size_t docker_sim_add_container(struct docker_sim *sim, const char *name, const char *labels);
/* Gives a container another id (Docker's overlay driver lists "lb-<network>" endpoints). */
void docker_sim_set_container_id(struct docker_sim *sim, size_t container, const char *id);
/* Attaches a container to a network with its addresses (ipv6 may be NULL) and MAC. */
void docker_sim_connect(struct docker_sim *sim, size_t container, size_t network, const char *ipv4,
			const char *ipv6, const char *mac);
/* Detaches a container from every network and forgets it. */
void docker_sim_remove_container(struct docker_sim *sim, size_t container);
/* Removes a network (its endpoints go with it); later inspects of its id say 404. */
void docker_sim_remove_network(struct docker_sim *sim, size_t network);
/* Renames a network, as if it had been re-created under another name. */
void docker_sim_rename_network(struct docker_sim *sim, size_t network, const char *name);
/* Answers every request whose target starts with prefix with status; NULL clears. */
void docker_sim_fail(struct docker_sim *sim, const char *prefix, int status);

const char *docker_sim_network_id(struct docker_sim *sim, size_t network);
const char *docker_sim_container_id(struct docker_sim *sim, size_t container);
/* The sandbox key the simulation gives a container ("/sim/netns/<id[:12]>"). */
const char *docker_sim_sandbox(struct docker_sim *sim, size_t container);

/* The http_fixture_handler serving the world (arg: the docker_sim). */
bool docker_sim_handler(void *arg, const char *target, int *status, char **body, size_t *len);

#endif
