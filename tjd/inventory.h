/*
 * What Docker told us about the protected networks: their subnets, the
 * bridge they live on, their endpoints and which endpoints are allow-listed.
 * Built fresh for every reconcile; the policy compiler reads it.
 */
#ifndef TJD_INVENTORY_H
#define TJD_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tjd/ruleset.h"

#define INV_ID_MAX 64 /* Docker ids are 64 hex chars */
#define INV_NAME_MAX 255
#define INV_DRIVER_MAX 31
#define INV_MAX_SUBNETS 16
#define INV_MAX_ENDPOINTS 4096
#define INV_MAX_NETWORKS 256

struct inv_endpoint {
	char container_id[INV_ID_MAX + 1];
	char endpoint_id[INV_ID_MAX + 1]; /* Docker's EndpointID, "" if not given */
	char name[INV_NAME_MAX + 1];	  /* container name without leading '/' */
	struct prefix ipv4;		  /* family 0 if none; length 32 */
	struct prefix ipv6;		  /* family 0 if none; length 128 */
	char mac[18];			  /* "02:42:ac:11:00:02" or "" */
	bool allowed;			  /* matched an allow filter */
	char bridge_port[TJD_IFNAMSIZ];	  /* host-side veth, "" if unknown */
};

struct inv_network {
	char id[INV_ID_MAX + 1];
	char name[INV_NAME_MAX + 1];
	char driver[INV_DRIVER_MAX + 1]; /* "bridge", "overlay", ... */
	char scope[16];			 /* "local", "swarm" */
	char bridge[TJD_IFNAMSIZ];	 /* Linux bridge for local bridge networks */
	bool internal;
	struct prefix subnets[INV_MAX_SUBNETS];
	size_t subnet_count;
	struct inv_endpoint *endpoints;
	size_t endpoint_count;
	size_t endpoint_capacity;
	/*
	 * Every port of the bridge as the kernel lists it (containers tjd knows
	 * and ports it cannot attribute alike), read at the end of each run;
	 * members_read is false when the list could not be read.
	 */
	char (*members)[TJD_IFNAMSIZ];
	size_t member_count;
	bool members_read;
};

/* Longest directory of network namespaces (dockerd's <exec-root>/netns) we accept. */
#define INV_NETNS_DIR_MAX 200
/* Longest container network namespace path (a SandboxKey: that directory + "/" + 12 characters). */
#define INV_NETNS_PATH_MAX (INV_NETNS_DIR_MAX + 16)
/* Longest HostConfig.NetworkMode ("container:" + a 64-character id fits). */
#define INV_NETWORK_MODE_MAX (INV_NAME_MAX + 10)
#define INV_MAX_CONTAINERS 16384

/* One published port of a container: Docker's Ports entry with a PublicPort. */
struct inv_binding {
	uint8_t protocol;	 /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t host_port;	 /* PublicPort */
	uint16_t container_port; /* PrivatePort */
	struct prefix
	    host_ip; /* IP the host listens on; 0.0.0.0 and :: as such; family 0 if none */
};

/*
 * A port the host published lately: still judged by the [published]
 * policy on the docker-proxy path for INV_PUBLISHED_LINGER seconds after
 * the last container publishing it went, so that dockerd re-creating a
 * container (its restart, a restart policy) never finds docker-proxy
 * listening on a port tjd's rules have let go of.
 */
#define INV_PUBLISHED_LINGER 600
#define INV_MAX_PUBLISHED 4096
struct inv_published {
	uint8_t protocol;
	uint16_t port;
	time_t seen; /* the last run that found a container publishing it */
};

/*
 * Which containers one docker ps filter expression matched this run (the
 * sets' `containers =` and the network rules' terms), scoped to one
 * network when network_id is not "".
 */
struct inv_match {
	char *expression;
	char network_id[INV_ID_MAX + 1];
	char **ids;
	size_t id_count;
};

/* One label of a container; both strings owned by the inventory. */
struct inv_label {
	char *key;
	char *value;
};

/*
 * A running container as the container list shows it, for per-container
 * policy: the labelled ones are enforced, every one can be named in a
 * rule (by name or label) and resolves to its addresses.
 */
struct inv_container {
	char id[INV_ID_MAX + 1];
	char name[INV_NAME_MAX + 1]; /* without the leading '/' */
	char network_mode[INV_NETWORK_MODE_MAX + 1];
	/* Its network namespace (SandboxKey), for containers with a policy; "" unknown. */
	char netns[INV_NETNS_PATH_MAX + 1];
	struct inv_label *labels;
	size_t label_count;
	struct prefix *addresses; /* of every network it is on, both families */
	size_t address_count;
	struct inv_binding *bindings; /* its published ports */
	size_t binding_count;
	bool policy;  /* carries dcfw.* or tjd.enable/input/output labels */
	bool running; /* else created and not started yet (its namespace may come) */
};

struct inventory {
	struct inv_network *networks;
	size_t count;
	size_t capacity;
	/*
	 * Where dockerd keeps its network namespaces (the directory of a
	 * local container's SandboxKey); "" when no container told us.  Swarm
	 * overlay namespaces live there as 1-<first 10 characters of the id>.
	 */
	char netns_dir[INV_NETNS_DIR_MAX + 1];
	/* Every running container (containers_read: the list was read this run). */
	struct inv_container *containers;
	size_t container_count;
	bool containers_read;
	/* Ports published now or within INV_PUBLISHED_LINGER seconds, ascending. */
	struct inv_published *published;
	size_t published_count;
	/* What each filter expression the configuration names matched (matches_read: all were
	 * asked). */
	struct inv_match *matches;
	size_t match_count;
	bool matches_read;
};

void inventory_init(struct inventory *inv);
void inventory_free(struct inventory *inv);
/* Appends a zeroed network; NULL on OOM or past INV_MAX_NETWORKS. */
struct inv_network *inventory_add_network(struct inventory *inv);
/* Appends a zeroed endpoint; NULL on OOM or past INV_MAX_ENDPOINTS. */
struct inv_endpoint *inv_network_add_endpoint(struct inv_network *net);
const struct inv_network *inventory_find_network(const struct inventory *inv, const char *name);
const struct inv_network *inventory_find_network_id(const struct inventory *inv, const char *id);
/* Deep copy into dst (replacing what it held); 0, or -1 on OOM (dst untouched). */
int inventory_copy(struct inventory *dst, const struct inventory *src);
/* Forgets what Docker said about a network except its id and name. */
void inv_network_clear(struct inv_network *net);
/* Removes network `index`, keeping the order of the others. */
void inventory_remove_network(struct inventory *inv, size_t index);
struct inv_endpoint *inv_network_find_endpoint(struct inv_network *net, const char *container_id);
/* Releases one container's labels and addresses and empties it. */
void inv_container_free(struct inv_container *container);
/* Drops every container of the inventory. */
void inventory_free_containers(struct inventory *inv);
/* Deep copy of one container; 0, or -1 on OOM (dst empty). */
int inv_container_copy(struct inv_container *dst, const struct inv_container *src);
const struct inv_container *inventory_find_container(const struct inventory *inv, const char *id);
/* The match of expression in network_id ("" = unscoped), or NULL when it was not asked. */
const struct inv_match *inventory_find_match(const struct inventory *inv, const char *expression,
					     const char *network_id);
/* Drops every match. */
void inventory_free_matches(struct inventory *inv);
/*
 * Replaces inv's published ports: those its containers publish (seen at
 * `now`), and those of `before` (may be NULL) seen less than
 * INV_PUBLISHED_LINGER seconds ago.  0, or -1 on OOM (inv's left empty).
 */
int inventory_note_published(struct inventory *inv, const struct inventory *before, time_t now);

#endif
