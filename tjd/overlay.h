/*
 * Swarm overlay networks: where their rules must go on this node.
 *
 * An overlay network has no bridge in dockerd's namespace.  Its bridge
 * (br0) and VXLAN device (vxlan0) live in <netns dir>/1-<first 10
 * characters of the network id>, which dockerd creates when the first
 * local endpoint joins and deletes when the last one leaves.  Containers'
 * veths, the node's load-balancer endpoint (lb-<network>, in namespace
 * lb_<first 9 characters>) and remote nodes (through vxlan0) all meet on
 * br0 there, so that namespace's FORWARD hook sees every new connection
 * into the subnet.
 *
 * This file holds only those facts about Docker's overlay driver: where
 * the namespaces are and which endpoint is the load balancer.  The rules
 * for them are compiled by policy_compile_overlays (tjd/policy.h) and
 * installed by the enforcement layer (tjd/enforce.h) through a backend
 * opened inside each namespace (tjd/backend-netns.h).
 */
#ifndef TJD_OVERLAY_H
#define TJD_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "tjd/inventory.h"

/* Longest namespace path: the inventory's directory plus "/1-" and 10 characters. */
#define OVERLAY_PATH_MAX (INV_NETNS_DIR_MAX + 16)
/* Where dockerd keeps namespaces when no container told us otherwise. */
#define OVERLAY_DEFAULT_NETNS_DIR "/var/run/docker/netns"
/* Names Docker's overlay driver gives the devices inside the namespace. */
#define OVERLAY_BRIDGE "br0"
#define OVERLAY_VXLAN "vxlan0"
/* An overlay namespace is named after this many characters of the network id. */
#define OVERLAY_ID_CHARS 10
/* ...and the load-balancer namespace after this many. */
#define OVERLAY_LB_ID_CHARS 9

/* "<dir>/1-<id[:10]>" (or lb_<id[:9]> when lb); dir "" means the default. -1 if too long. */
int overlay_netns_path(const char *netns_dir, const char *network_id, bool lb, char *out,
		       size_t outlen);
/* True for an endpoint that is the node's load balancer on this network ("lb-<name>"). */
bool overlay_is_lb_endpoint(const struct inv_network *net, const struct inv_endpoint *endpoint);
/* True for a network whose rules belong in an overlay namespace. */
bool overlay_network(const struct inv_network *net);

#endif
