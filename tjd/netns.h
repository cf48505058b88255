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

/*
 * The same for a container on an overlay network: its veth's other end is
 * in the overlay namespace at overlay_netns, enslaved to `bridge` there
 * ("br0").  Returns 0 with the port's name (as seen in that namespace).
 */
int netns_overlay_port(const char *sandbox_key, const char *mac, const char *overlay_netns,
		       const char *bridge, char *port, size_t portlen, char *err, size_t errlen);

/*
 * Lists the ports of `bridge` in the calling thread's namespace (one
 * RTM_GETLINK dump): every link enslaved to it, into ports (at most max;
 * more is an error).  0 with *count set, or -1 with err set.
 */
int netns_bridge_members(const char *bridge, char (*ports)[16], size_t max, size_t *count,
			 char *err, size_t errlen);

/*
 * Moves the calling thread into the network namespace at path and hands
 * back a handle to its own; 0, or -1 with err set (the thread has not
 * moved).  Every successful netns_enter must be paired with netns_leave.
 */
int netns_enter(const char *path, int *saved_fd, char *err, size_t errlen);
/* Returns the thread to its own namespace; fatal if it cannot (nothing after would be safe). */
void netns_leave(int saved_fd, const char *path);

#endif
