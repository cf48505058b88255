/* Looks into containers' network namespaces (needs CAP_SYS_ADMIN). */
#ifndef TJD_NETNS_H
#define TJD_NETNS_H

#include <stddef.h>

/*
 * Finds the host-side veth of a container's interface: enters the sandbox
 * namespace (NetworkSettings.SandboxKey) just long enough to open a netlink
 * socket there, finds the link whose MAC is `mac`, reads its peer's ifindex
 * and names it in tjd's own namespace.  Returns 0 with port filled, -1 with
 * err set.  The calling thread is always returned to its own namespace.
 */
int netns_bridge_port(const char *sandbox_key, const char *mac, char *port, size_t portlen,
		      char *err, size_t errlen);

#endif
