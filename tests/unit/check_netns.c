/*
 * The bridge-port lookup against the real kernel.  The binary moves into a
 * network and a mount namespace of its own (private mounts, a tmpfs for the
 * namespace files), and every case takes a fresh network namespace, so the
 * host is never touched and no case sees another's links.  Needs root:
 * without it the run FAILS, loudly.
 *
 * Sandboxes are made the way dockerd makes them: a file with a network
 * namespace bind-mounted on it, the file's path being the SandboxKey.  The
 * case's own namespace stands in for dockerd's.  Every lookup is checked
 * to leave the thread in its own namespace.
 */
#include "config.h"

#include <check.h>

#include "check-util.h"
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tjd/netlink.h"
#include "tjd/netns.h"

#define CHECK_NETNS_MAC "02:42:ac:11:00:02"
#define CHECK_NETNS_PORT "vethcheck0"
#define CHECK_NETNS_BRIDGE "br-check"

static char check_netns_dir[] = "/tmp/check_netns.XXXXXX";
static char check_netns_err[512];

/* Runs a shell command that must succeed. */
#define CHECK_NETNS_MUST(...) ck_assert_int_eq(check_util_run(__VA_ARGS__), 0)

/* The inode of the calling thread's network namespace. */
static ino_t check_netns_self(void)
{
	struct stat st;

	ck_assert_int_eq(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

/* A path under the case's directory (static buffer per slot). */
static const char *check_netns_path(const char *name)
{
	static char paths[8][PATH_MAX];
	static unsigned next;
	char *path = paths[next++ % 8];

	snprintf(path, PATH_MAX, "%s/%s", check_netns_dir, name);
	return path;
}

/* Makes a network namespace as dockerd does: bind-mounted on a file; returns that path. */
static const char *check_netns_sandbox(const char *name)
{
	const char *path = check_netns_path(name);
	char source[64];
	int ready[2];
	pid_t child;
	char byte;
	int fd;

	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	close(fd);
	ck_assert_int_eq(pipe(ready), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		if (unshare(CLONE_NEWNET) != 0 || write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	snprintf(source, sizeof(source), "/proc/%d/ns/net", (int)child);
	ck_assert_msg(mount(source, path, NULL, MS_BIND, NULL) == 0, "bind %s: %s", path,
		      strerror(errno));
	/* the mount keeps the namespace alive, as dockerd's does */
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	return path;
}

/*
 * A container on a bridge: a veth with `mac` inside the sandbox and `port`
 * in the namespace at `outside` (the case's own when NULL), on `bridge`.
 */
static void check_netns_plug(const char *sandbox, const char *mac, const char *outside,
			     const char *port, const char *bridge)
{
	char enter[PATH_MAX + 16] = "";

	if (outside != NULL)
		snprintf(enter, sizeof(enter), "nsenter --net=%s", outside);
	CHECK_NETNS_MUST("%s ip link add %s type veth peer name eth0 netns %s", enter, port,
			 sandbox);
	CHECK_NETNS_MUST("nsenter --net=%s ip link set eth0 address %s up", sandbox, mac);
	if (bridge != NULL)
		CHECK_NETNS_MUST("%s ip link set %s master %s", enter, port, bridge);
	CHECK_NETNS_MUST("%s ip link set %s up", enter, port);
}

/* netns_bridge_port, asserting the thread ends where it started. */
static int check_netns_lookup(const char *sandbox, const char *mac, char *port, size_t portlen)
{
	ino_t before = check_netns_self();
	int ret;

	check_netns_err[0] = '\0';
	ret = netns_bridge_port(sandbox, mac, CHECK_NETNS_BRIDGE, NULL, port, portlen,
				check_netns_err, sizeof(check_netns_err));
	ck_assert_msg(check_netns_self() == before, "the thread was left in another namespace");
	return ret;
}

/* Asserts a lookup fails with a message containing `expected`. */
static void check_netns_refused(const char *sandbox, const char *mac, const char *expected)
{
	char port[IF_NAMESIZE] = "stale";

	ck_assert_msg(check_netns_lookup(sandbox, mac, port, sizeof(port)) == -1,
		      "lookup of %.200s succeeded: %s", sandbox, port);
	ck_assert_str_eq(port, "");
	ck_assert_msg(strstr(check_netns_err, expected) != NULL, "error \"%s\" does not say \"%s\"",
		      check_netns_err, expected);
}

/* Each case: a fresh network namespace with a bridge; it goes away with the case's process. */
static void check_netns_setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	CHECK_NETNS_MUST("ip link set lo up && ip link add %s type bridge && ip link set %s up",
			 CHECK_NETNS_BRIDGE, CHECK_NETNS_BRIDGE);
}

START_TEST(test_bridge_port_is_found)
{
	const char *sandbox = check_netns_sandbox("found");
	char port[IF_NAMESIZE];

	check_netns_plug(sandbox, CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT, CHECK_NETNS_BRIDGE);
	/* a second container on the same bridge must not confuse it */
	check_netns_plug(check_netns_sandbox("other"), "02:42:ac:11:00:03", NULL, "vethcheck1",
			 CHECK_NETNS_BRIDGE);
	ck_assert_msg(check_netns_lookup(sandbox, CHECK_NETNS_MAC, port, sizeof(port)) == 0,
		      "lookup failed: %s", check_netns_err);
	ck_assert_str_eq(port, CHECK_NETNS_PORT);
	/* Docker writes MACs in lower case; either is accepted */
	ck_assert_int_eq(check_netns_lookup(sandbox, "02:42:AC:11:00:02", port, sizeof(port)), 0);
	ck_assert_str_eq(port, CHECK_NETNS_PORT);
	/* exactly the room the name needs is enough */
	ck_assert_int_eq(
	    check_netns_lookup(sandbox, CHECK_NETNS_MAC, port, strlen(CHECK_NETNS_PORT) + 1), 0);
	ck_assert_str_eq(port, CHECK_NETNS_PORT);
}
END_TEST

START_TEST(test_wrong_macs_are_refused)
{
	const char *sandbox = check_netns_sandbox("macs");

	check_netns_plug(sandbox, CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT, CHECK_NETNS_BRIDGE);
	check_netns_refused(sandbox, "02:42:ac:11:00:99",
			    "no interface with MAC 02:42:ac:11:00:99");
	check_netns_refused(sandbox, "02:42:ac:11:00", "invalid MAC address");
	check_netns_refused(sandbox, "02-42-ac-11-00-02", "invalid MAC address");
	check_netns_refused(sandbox, "02:42:ac:11:00:0g", "invalid MAC address");
	check_netns_refused(sandbox, "", "invalid MAC address");
	check_netns_refused(sandbox, NULL, "invalid MAC address");
	/* two links with the MAC: which one is the container's is unknowable */
	CHECK_NETNS_MUST("nsenter --net=%s ip link add twin address %s type bridge", sandbox,
			 CHECK_NETNS_MAC);
	check_netns_refused(sandbox, CHECK_NETNS_MAC, "2 interfaces with MAC");
}
END_TEST

START_TEST(test_paths_that_are_not_namespaces)
{
	const char *sandbox = check_netns_sandbox("real");
	const char *file = check_netns_path("file");
	const char *directory = check_netns_path("directory");
	const char *fifo = check_netns_path("fifo");
	const char *link = check_netns_path("link");
	const char *uts = check_netns_path("uts");
	int fd;

	check_netns_plug(sandbox, CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT, CHECK_NETNS_BRIDGE);
	/* a regular file: what a SandboxKey is once dockerd has unmounted it */
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	check_netns_refused(file, CHECK_NETNS_MAC,
			    "not a network namespace (the container stopped");
	check_netns_refused("/proc/self/status", CHECK_NETNS_MAC, "not a network namespace");
	ck_assert_int_eq(mkdir(directory, 0755), 0);
	check_netns_refused(directory, CHECK_NETNS_MAC, "not a regular file");
	check_netns_refused("/dev/null", CHECK_NETNS_MAC, "not a regular file");
	/* gone from a directory that holds other namespaces: the container went away */
	check_netns_refused(check_netns_path("missing"), CHECK_NETNS_MAC,
			    "No such file or directory");
	/* opening a FIFO for reading would block the daemon until a writer came */
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	check_netns_refused(fifo, CHECK_NETNS_MAC, "not a regular file");
	/* a namespace of another type */
	fd = open(uts, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(mount("/proc/self/ns/uts", uts, NULL, MS_BIND, NULL), 0);
	check_netns_refused(uts, CHECK_NETNS_MAC, "not a network namespace");
	/* a symlink, even to a real sandbox, and the kernel's own magic links */
	ck_assert_int_eq(symlink(sandbox, link), 0);
	check_netns_refused(link, CHECK_NETNS_MAC, "a symbolic link");
	check_netns_refused("/proc/self/ns/net", CHECK_NETNS_MAC, "a symbolic link");
	check_netns_refused("relative/path", CHECK_NETNS_MAC, "not absolute");
	check_netns_refused(NULL, CHECK_NETNS_MAC, "not absolute");
}
END_TEST

START_TEST(test_long_names_are_refused)
{
	const char *sandbox = check_netns_sandbox("long");
	char port[IF_NAMESIZE] = "stale";
	char path[PATH_MAX + 64];

	check_netns_plug(sandbox, CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT, CHECK_NETNS_BRIDGE);
	/* a path longer than the kernel takes */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	check_netns_refused(path, CHECK_NETNS_MAC, "File name too long");
	/* a port name longer than the caller's room */
	ck_assert_int_eq(
	    check_netns_lookup(sandbox, CHECK_NETNS_MAC, port, strlen(CHECK_NETNS_PORT)), -1);
	ck_assert_str_eq(port, "");
	ck_assert_ptr_nonnull(strstr(check_netns_err, "too long"));
	ck_assert_int_eq(check_netns_lookup(sandbox, CHECK_NETNS_MAC, port, 0), -1);
	ck_assert_ptr_nonnull(strstr(check_netns_err, "no room"));
}
END_TEST

START_TEST(test_links_that_are_not_bridge_ports)
{
	const char *single = check_netns_sandbox("single");
	const char *loose = check_netns_sandbox("loose");
	const char *enslaved = check_netns_sandbox("enslaved");
	const char *elsewhere = check_netns_sandbox("elsewhere");
	const char *third = check_netns_sandbox("third");

	/* the MAC on a link without a peer (the test kernel may have no dummy links) */
	CHECK_NETNS_MUST("nsenter --net=%s ip link add eth0 address %s type bridge", single,
			 CHECK_NETNS_MAC);
	check_netns_refused(single, CHECK_NETNS_MAC, "has no peer (not a veth)");
	/* a veth whose host end is on no bridge */
	check_netns_plug(loose, CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT, NULL);
	check_netns_refused(loose, CHECK_NETNS_MAC, "is not attached to a bridge");
	/* ... or enslaved to something else, where the kernel has such masters */
	if (check_util_run("ip link add master-check type bond 2>/dev/null || "
			   "ip link add master-check type vrf table 10 2>/dev/null") == 0) {
		CHECK_NETNS_MUST("ip link set master-check up");
		check_netns_plug(enslaved, "02:42:ac:11:00:04", NULL, "vethenslaved",
				 "master-check");
		check_netns_refused(enslaved, "02:42:ac:11:00:04", "which is not a bridge");
	} else {
		printf("check_netns: no bond or vrf links in this kernel; the case of a veth "
		       "enslaved to something other than a bridge is not run\n");
		fflush(stdout);
	}
	/*
	 * The veth's other end is in a third namespace, and tjd's own has a
	 * link with the same index: it must not be taken for the peer.
	 */
	CHECK_NETNS_MUST("nsenter --net=%s ip link add vethfar index 4242 type veth peer name eth0 "
			 "netns %s",
			 third, elsewhere);
	CHECK_NETNS_MUST("nsenter --net=%s ip link set eth0 address 02:42:ac:11:00:05", elsewhere);
	CHECK_NETNS_MUST("ip link add decoy index 4242 type bridge");
	check_netns_refused(elsewhere, "02:42:ac:11:00:05",
			    "interface decoy (index 4242) in tjd's namespace is not the veth peer "
			    "of eth0; is tjd in dockerd's network namespace?");
	CHECK_NETNS_MUST("ip link del decoy");
	check_netns_refused(elsewhere, "02:42:ac:11:00:05",
			    "peer of eth0 (index 4242) in tjd's namespace: netlink RTM_GETLINK "
			    "4242: No such device");
}
END_TEST

START_TEST(test_overlay_port)
{
	const char *sandbox = check_netns_sandbox("overlay-container");
	const char *overlay = check_netns_sandbox("1-overlaynet");
	ino_t before = check_netns_self();
	char port[IF_NAMESIZE];

	CHECK_NETNS_MUST(
	    "nsenter --net=%s sh -c 'ip link add br0 type bridge && ip link set br0 up'", overlay);
	check_netns_plug(sandbox, CHECK_NETNS_MAC, overlay, "veth0ab12cd", "br0");
	ck_assert_msg(netns_overlay_port(sandbox, CHECK_NETNS_MAC, overlay, "br0", port,
					 sizeof(port), check_netns_err,
					 sizeof(check_netns_err)) == 0,
		      "overlay lookup failed: %s", check_netns_err);
	ck_assert_str_eq(port, "veth0ab12cd");
	ck_assert(check_netns_self() == before);
	ck_assert_int_eq(netns_overlay_port(sandbox, CHECK_NETNS_MAC, overlay, "br1", port,
					    sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(check_netns_err, "veth0ab12cd is enslaved to br0, not br1"));
	ck_assert_int_eq(netns_overlay_port(sandbox, CHECK_NETNS_MAC, "/dev/null", "br0", port,
					    sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_int_eq(netns_overlay_port(sandbox, CHECK_NETNS_MAC, NULL, "br0", port,
					    sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert(check_netns_self() == before);
	/* looked for from dockerd's namespace, the overlay's port is not there */
	check_netns_refused(sandbox, CHECK_NETNS_MAC, "peer of eth0");
}
END_TEST

START_TEST(test_enter_and_leave)
{
	const char *sandbox = check_netns_sandbox("enter");
	ino_t home = check_netns_self();
	struct stat target;
	int saved = -1;

	ck_assert_int_eq(stat(sandbox, &target), 0);
	ck_assert_msg(netns_enter(sandbox, &saved, check_netns_err, sizeof(check_netns_err)) == 0,
		      "enter: %s", check_netns_err);
	ck_assert(check_netns_self() == target.st_ino);
	netns_leave(saved, sandbox);
	ck_assert(check_netns_self() == home);
	/* callers tell a torn-down namespace (EINVAL) and a missing one apart */
	ck_assert_int_eq(
	    netns_enter("/proc/self/status", &saved, check_netns_err, sizeof(check_netns_err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(saved, -1);
	ck_assert_int_eq(
	    netns_enter(check_netns_path("gone"), &saved, check_netns_err, sizeof(check_netns_err)),
	    -1);
	ck_assert_int_eq(errno, ENOENT);
	/* a symlink is no namespace dockerd made, nor one being torn down */
	ck_assert_int_eq(symlink(sandbox, check_netns_path("enter-link")), 0);
	ck_assert_int_eq(netns_enter(check_netns_path("enter-link"), &saved, check_netns_err,
				     sizeof(check_netns_err)),
			 -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert(check_netns_self() == home);
}
END_TEST

/* A datagram to `to`'s port from another netlink socket: not the kernel. */
START_TEST(test_only_the_kernel_is_heard)
{
	struct mnl_socket *victim = mnl_socket_open(NETLINK_ROUTE);
	struct mnl_socket *sender = mnl_socket_open(NETLINK_ROUTE);
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	char buffer[256];
	struct nlmsghdr *message = mnl_nlmsg_put_header(buffer);

	ck_assert_ptr_nonnull(victim);
	ck_assert_ptr_nonnull(sender);
	ck_assert_int_eq(mnl_socket_bind(victim, 0, MNL_SOCKET_AUTOPID), 0);
	ck_assert_int_eq(mnl_socket_bind(sender, 0, MNL_SOCKET_AUTOPID), 0);
	message->nlmsg_type = NLMSG_DONE;
	to.nl_pid = mnl_socket_get_portid(victim);
	ck_assert_int_eq(sendto(mnl_socket_get_fd(sender), message, message->nlmsg_len, 0,
				(struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)message->nlmsg_len);
	ck_assert_int_eq(netlink_receive(victim, buffer, sizeof(buffer), 0), 0);
	/* nothing else is waiting */
	ck_assert_int_eq(netlink_receive(victim, buffer, sizeof(buffer), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	mnl_socket_close(victim);
	mnl_socket_close(sender);
}
END_TEST

START_TEST(test_datagrams_must_be_whole)
{
	union {
		struct nlmsghdr header;
		char bytes[256];
	} buffer;
	struct nlmsghdr *first, *second;
	size_t total;

	memset(&buffer, 0, sizeof(buffer));
	first = mnl_nlmsg_put_header(buffer.bytes);
	first->nlmsg_type = NLMSG_MIN_TYPE;
	mnl_nlmsg_put_extra_header(first, 4);
	second = (struct nlmsghdr *)(buffer.bytes + NLMSG_ALIGN(first->nlmsg_len));
	mnl_nlmsg_put_header(second);
	mnl_nlmsg_put_extra_header(second, 3); /* an unaligned length */
	second->nlmsg_len = NLMSG_HDRLEN + 3;
	total = NLMSG_ALIGN(first->nlmsg_len) + second->nlmsg_len;

	ck_assert(netlink_datagram_whole(buffer.bytes, total));
	ck_assert(netlink_datagram_whole(buffer.bytes, NLMSG_ALIGN(total)));
	ck_assert(netlink_datagram_whole(buffer.bytes, first->nlmsg_len));
	ck_assert(!netlink_datagram_whole(buffer.bytes, 0));
	/* cut short, or with bytes after the last message */
	ck_assert(!netlink_datagram_whole(buffer.bytes, total - 1));
	ck_assert(!netlink_datagram_whole(buffer.bytes, NLMSG_HDRLEN - 1));
	ck_assert(!netlink_datagram_whole(buffer.bytes, NLMSG_ALIGN(total) + 4));
	/* a length shorter than a header */
	second->nlmsg_len = 8;
	ck_assert(!netlink_datagram_whole(buffer.bytes, NLMSG_ALIGN(first->nlmsg_len) + 16));
	/* one of 2 GiB or more, which libmnl's own check takes for a negative length */
	second->nlmsg_len = 0x80000010u;
	ck_assert(!netlink_datagram_whole(buffer.bytes, total));
	first->nlmsg_len = 0xfffffff0u;
	ck_assert(!netlink_datagram_whole(buffer.bytes, total));
}
END_TEST

/* A SandboxKey in a directory tjd cannot see: what the image run without the netns mount gets. */
static const char *check_netns_unseen(void)
{
	return check_netns_path("not-mounted/1234abcd");
}

START_TEST(test_sandbox_ignores_a_copied_mac)
{
	const char *sandbox = check_netns_sandbox("genuine");
	char port[IF_NAMESIZE];

	check_netns_plug(sandbox, CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT, CHECK_NETNS_BRIDGE);
	/* another container took the same MAC: the namespace Docker named decides */
	check_netns_plug(check_netns_sandbox("copycat"), CHECK_NETNS_MAC, NULL, "vethcopy",
			 CHECK_NETNS_BRIDGE);
	ck_assert_msg(check_netns_lookup(sandbox, CHECK_NETNS_MAC, port, sizeof(port)) == 0,
		      "lookup failed: %s", check_netns_err);
	ck_assert_str_eq(port, CHECK_NETNS_PORT);
	/* found through its namespace id, the port must also be on the network's bridge */
	CHECK_NETNS_MUST("ip link add br-other type bridge && ip link set br-other up && "
			 "ip link set %s master br-other",
			 CHECK_NETNS_PORT);
	check_netns_refused(sandbox, CHECK_NETNS_MAC, "enslaved to br-other, not br-check");
}
END_TEST

START_TEST(test_sandbox_peer_in_another_namespace)
{
	const char *sandbox = check_netns_sandbox("far-sandbox");
	const char *third = check_netns_sandbox("far-third");
	const char *fourth = check_netns_sandbox("far-fourth");

	/*
	 * The container's eth0 (index 77) has its peer (index 4243) in a third
	 * namespace; tjd's has a veth with index 4243 on the bridge pointing at
	 * an index 77 too, but in a fourth namespace: not the peer.
	 */
	CHECK_NETNS_MUST("nsenter --net=%s ip link add vethfar index 4243 type veth peer name eth0 "
			 "index 77 netns %s",
			 third, sandbox);
	CHECK_NETNS_MUST("nsenter --net=%s ip link set eth0 address %s", sandbox, CHECK_NETNS_MAC);
	CHECK_NETNS_MUST("ip link add decoy index 4243 type veth peer name eth0 index 77 netns %s",
			 fourth);
	CHECK_NETNS_MUST("ip link set decoy master %s", CHECK_NETNS_BRIDGE);
	check_netns_refused(sandbox, CHECK_NETNS_MAC,
			    "interface decoy (index 4243) in tjd's namespace is not the veth peer "
			    "of eth0");
}
END_TEST

START_TEST(test_host_side_port_is_found)
{
	struct netns_peers table = {0};
	char port[IF_NAMESIZE];

	check_netns_plug(check_netns_sandbox("host-a"), CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT,
			 CHECK_NETNS_BRIDGE);
	check_netns_plug(check_netns_sandbox("host-b"), "02:42:ac:11:00:03", NULL, "vethcheck1",
			 CHECK_NETNS_BRIDGE);
	/* ports that are no container's: a veth with both ends here, the MAC on its other end */
	CHECK_NETNS_MUST("ip link add vethlocal type veth peer name vethlocal1 && "
			 "ip link set vethlocal1 address %s && ip link set vethlocal master %s",
			 CHECK_NETNS_MAC, CHECK_NETNS_BRIDGE);
	/* ... and a container with the MAC on another bridge */
	CHECK_NETNS_MUST("ip link add br-other type bridge && ip link set br-other up");
	check_netns_plug(check_netns_sandbox("host-c"), CHECK_NETNS_MAC, NULL, "vethelse",
			 "br-other");
	ck_assert_msg(
	    check_netns_lookup(check_netns_unseen(), CHECK_NETNS_MAC, port, sizeof(port)) == 0,
	    "host-side lookup failed: %s", check_netns_err);
	ck_assert_str_eq(port, CHECK_NETNS_PORT);
	ck_assert_int_eq(
	    check_netns_lookup(check_netns_unseen(), "02:42:AC:11:00:03", port, sizeof(port)), 0);
	ck_assert_str_eq(port, "vethcheck1");
	/* an empty directory is a mount point nothing was mounted on, not dockerd's */
	ck_assert_int_eq(mkdir(check_netns_path("mount-point"), 0755), 0);
	ck_assert_msg(check_netns_lookup(check_netns_path("mount-point/1234abcd"), CHECK_NETNS_MAC,
					 port, sizeof(port)) == 0,
		      "lookup under an empty directory: %s", check_netns_err);
	ck_assert_str_eq(port, CHECK_NETNS_PORT);
	/* a directory missing higher up is not seen either */
	ck_assert_int_eq(check_netns_lookup(check_netns_path("no/such/dir/netns/x"),
					    CHECK_NETNS_MAC, port, sizeof(port)),
			 0);
	ck_assert_str_eq(port, CHECK_NETNS_PORT);
	/* a run's table: read once, and once more for a container that started since */
	ck_assert_int_eq(netns_bridge_port(check_netns_unseen(), CHECK_NETNS_MAC,
					   CHECK_NETNS_BRIDGE, &table, port, sizeof(port),
					   check_netns_err, sizeof(check_netns_err)),
			 0);
	ck_assert_uint_eq(table.reads, 1);
	ck_assert_uint_eq(table.count, 2);
	check_netns_plug(check_netns_sandbox("host-d"), "02:42:ac:11:00:04", NULL, "vethcheck2",
			 CHECK_NETNS_BRIDGE);
	ck_assert_msg(netns_bridge_port(check_netns_unseen(), "02:42:ac:11:00:04",
					CHECK_NETNS_BRIDGE, &table, port, sizeof(port),
					check_netns_err, sizeof(check_netns_err)) == 0,
		      "lookup after a new container: %s", check_netns_err);
	ck_assert_str_eq(port, "vethcheck2");
	ck_assert_uint_eq(table.reads, 2);
	ck_assert_int_eq(netns_bridge_port(check_netns_unseen(), "02:42:ac:11:00:99",
					   CHECK_NETNS_BRIDGE, &table, port, sizeof(port),
					   check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_uint_eq(table.reads, 2);
	netns_peers_clear(&table);
	ck_assert_ptr_null(table.peers);
}
END_TEST

START_TEST(test_host_side_refuses_ambiguity)
{
	char port[IF_NAMESIZE] = "";

	check_netns_plug(check_netns_sandbox("amb-a"), CHECK_NETNS_MAC, NULL, CHECK_NETNS_PORT,
			 CHECK_NETNS_BRIDGE);
	check_netns_refused(check_netns_unseen(), "02:42:ac:11:00:99",
			    "br-check: no port whose other end has MAC 02:42:ac:11:00:99");
	check_netns_refused(check_netns_unseen(), "02:42:ac:11:0:99", "invalid MAC address");
	/* a container copied the proxy's MAC: neither port can be told to be the proxy's */
	check_netns_plug(check_netns_sandbox("amb-b"), CHECK_NETNS_MAC, NULL, "vethcopy",
			 CHECK_NETNS_BRIDGE);
	check_netns_refused(check_netns_unseen(), CHECK_NETNS_MAC,
			    "2 ports whose other ends have MAC 02:42:ac:11:00:02");
	/* the bridge must be one */
	ck_assert_int_eq(netns_bridge_port(check_netns_unseen(), CHECK_NETNS_MAC, "br-none", NULL,
					   port, sizeof(port), check_netns_err,
					   sizeof(check_netns_err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(check_netns_err, "bridge br-none"));
	ck_assert_int_eq(netns_bridge_port(check_netns_unseen(), CHECK_NETNS_MAC, "vethcopy", NULL,
					   port, sizeof(port), check_netns_err,
					   sizeof(check_netns_err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(check_netns_err, "is not a bridge"));
	ck_assert_int_eq(netns_bridge_port(check_netns_unseen(), CHECK_NETNS_MAC, "", NULL, port,
					   sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_int_eq(netns_bridge_port(check_netns_unseen(), CHECK_NETNS_MAC,
					   "a-bridge-name-too-long", NULL, port, sizeof(port),
					   check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(check_netns_err, "no valid bridge name"));
}
END_TEST

/* A netlink message under construction, aligned as a receive buffer is. */
static union {
	struct nlmsghdr header;
	char bytes[1024];
} check_netns_message;

/* Starts an RTM_NEWLINK for link `index` in check_netns_message. */
static struct nlmsghdr *check_netns_newlink(int index)
{
	struct nlmsghdr *message;
	struct ifinfomsg *ifi;

	memset(&check_netns_message, 0, sizeof(check_netns_message));
	message = mnl_nlmsg_put_header(check_netns_message.bytes);
	message->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(message, sizeof(*ifi));
	ifi->ifi_index = index;
	return message;
}

START_TEST(test_link_messages_are_validated)
{
	static const unsigned char mac[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
	struct netns_link link;
	struct nlmsghdr *message = check_netns_newlink(7);
	struct nlattr *nest;

	mnl_attr_put_strz(message, IFLA_IFNAME, "eth0");
	mnl_attr_put(message, IFLA_ADDRESS, sizeof(mac), mac);
	mnl_attr_put_u32(message, IFLA_LINK, 12);
	mnl_attr_put_u32(message, IFLA_LINK_NETNSID, 3);
	mnl_attr_put_u32(message, IFLA_TARGET_NETNSID, 5);
	mnl_attr_put_u32(message, IFLA_MASTER, 2);
	nest = mnl_attr_nest_start(message, IFLA_LINKINFO);
	mnl_attr_put_strz(message, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(message, nest);
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), 1);
	ck_assert_int_eq(link.index, 7);
	ck_assert_str_eq(link.name, "eth0");
	ck_assert(link.has_address && memcmp(link.address, mac, 6) == 0);
	ck_assert(link.has_peer && link.peer_index == 12);
	ck_assert(link.has_link_netnsid && link.link_netnsid == 3);
	ck_assert(link.has_target_netnsid && link.target_netnsid == 5);
	ck_assert_int_eq(link.master, 2);
	ck_assert_str_eq(link.kind, "veth");
	/* the message must fit in what was received */
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len - 1, &link), -1);
	ck_assert_int_eq(netns_link_read(message, 8, &link), -1);
	ck_assert_int_eq(netns_link_read(NULL, 64, &link), -1);
	/* other messages are left to the caller */
	message->nlmsg_type = RTM_NEWADDR;
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), 0);

	/* an id that is not 32 bits, a name without its NUL or too long */
	message = check_netns_newlink(7);
	mnl_attr_put_u16(message, IFLA_LINK_NETNSID, 3);
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), -1);
	ck_assert(!link.has_link_netnsid);
	message = check_netns_newlink(7);
	mnl_attr_put_u16(message, IFLA_TARGET_NETNSID, 3);
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), -1);
	message = check_netns_newlink(7);
	mnl_attr_put(message, IFLA_IFNAME, 4, "eth0");
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), -1);
	message = check_netns_newlink(7);
	mnl_attr_put_strz(message, IFLA_IFNAME, "a-name-of-16-chr");
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), -1);
	/* a payload shorter than ifinfomsg */
	message = check_netns_newlink(7);
	message->nlmsg_len = NLMSG_HDRLEN + 4;
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), -1);
	/* an address that is not Ethernet's, and an overlong kind, are none */
	message = check_netns_newlink(7);
	mnl_attr_put(message, IFLA_ADDRESS, 4, mac);
	nest = mnl_attr_nest_start(message, IFLA_LINKINFO);
	mnl_attr_put_strz(message, IFLA_INFO_KIND, "a-kind-of-16-chr");
	mnl_attr_nest_end(message, nest);
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), 1);
	ck_assert(!link.has_address);
	ck_assert_str_eq(link.kind, "");
	/* an attribute running past the message */
	message = check_netns_newlink(7);
	mnl_attr_put_u32(message, IFLA_LINK, 12);
	message->nlmsg_len -= 2;
	ck_assert_int_eq(netns_link_read(message, message->nlmsg_len, &link), -1);
}
END_TEST

START_TEST(test_peer_match)
{
	struct netns_peer peers[3] = {
	    {.port = "vetha", .mac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02}},
	    {.port = "vethb", .mac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x03}},
	    {.port = "vethc", .mac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x04}},
	};
	char port[IF_NAMESIZE] = "stale";
	size_t matches = 99;

	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:AC:11:00:03", &matches, port,
					  sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 0);
	ck_assert_str_eq(port, "vethb");
	ck_assert_uint_eq(matches, 1);
	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:ac:11:00:05", &matches, port,
					  sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_str_eq(port, "");
	ck_assert_uint_eq(matches, 0);
	ck_assert_int_eq(netns_peer_match(NULL, 0, "02:42:ac:11:00:05", &matches, port,
					  sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:ac:11:00", NULL, port, sizeof(port),
					  check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(check_netns_err, "invalid MAC"));
	/* room for the name, or not */
	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:ac:11:00:02", NULL, port, 6,
					  check_netns_err, sizeof(check_netns_err)),
			 0);
	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:ac:11:00:02", NULL, port, 5,
					  check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:ac:11:00:02", NULL, port, 0,
					  check_netns_err, sizeof(check_netns_err)),
			 -1);
	/* two with the MAC: never a guess */
	memcpy(peers[2].mac, peers[0].mac, 6);
	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:ac:11:00:02", &matches, port,
					  sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
	ck_assert_uint_eq(matches, 2);
	ck_assert_str_eq(port, "");
	/* a table entry without a terminated name is refused, not read past */
	memset(peers[1].port, 'x', sizeof(peers[1].port));
	ck_assert_int_eq(netns_peer_match(peers, 3, "02:42:ac:11:00:03", &matches, port,
					  sizeof(port), check_netns_err, sizeof(check_netns_err)),
			 -1);
}
END_TEST

/* The suite. */
static Suite *check_netns_suite(void)
{
	Suite *suite = suite_create("netns");
	TCase *kernel = tcase_create("kernel");
	TCase *netlink = tcase_create("netlink");

	tcase_add_checked_fixture(kernel, check_netns_setup, NULL);
	tcase_set_timeout(kernel, 30);
	tcase_add_test(kernel, test_bridge_port_is_found);
	tcase_add_test(kernel, test_wrong_macs_are_refused);
	tcase_add_test(kernel, test_paths_that_are_not_namespaces);
	tcase_add_test(kernel, test_long_names_are_refused);
	tcase_add_test(kernel, test_links_that_are_not_bridge_ports);
	tcase_add_test(kernel, test_overlay_port);
	tcase_add_test(kernel, test_enter_and_leave);
	tcase_add_test(kernel, test_sandbox_ignores_a_copied_mac);
	tcase_add_test(kernel, test_sandbox_peer_in_another_namespace);
	tcase_add_test(kernel, test_host_side_port_is_found);
	tcase_add_test(kernel, test_host_side_refuses_ambiguity);
	suite_add_tcase(suite, kernel);
	tcase_add_checked_fixture(netlink, check_netns_setup, NULL);
	tcase_add_test(netlink, test_only_the_kernel_is_heard);
	tcase_add_test(netlink, test_datagrams_must_be_whole);
	tcase_add_test(netlink, test_link_messages_are_validated);
	tcase_add_test(netlink, test_peer_match);
	suite_add_tcase(suite, netlink);
	return suite;
}

int main(void)
{
	SRunner *runner;
	int failed;

	if (geteuid() != 0) {
		fprintf(stderr, "check_netns: must run as root (network and mount namespaces); "
				"this is a FAILURE, not a skip\n");
		return 99;
	}
	/* never touch the host: its links, nor its mounts, even before the first case */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "check_netns: namespaces: %s\n", strerror(errno));
		return 99;
	}
	if (mkdtemp(check_netns_dir) == NULL ||
	    mount("tmpfs", check_netns_dir, "tmpfs", 0, "mode=0700") != 0) {
		fprintf(stderr, "check_netns: %s: %s\n", check_netns_dir, strerror(errno));
		return 99;
	}
	runner = srunner_create(check_netns_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	umount2(check_netns_dir, MNT_DETACH);
	rmdir(check_netns_dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
