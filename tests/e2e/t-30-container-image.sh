#!/bin/bash
# backends: nftables
# tjd's container image (packaging/docker/build-image.sh: the built binaries
# and their libraries, `docker import`ed), run against the real dockerd the
# way TrafficJam users run TrafficJam:
#
#   docker run --cap-add NET_ADMIN --network host \
#     -v DOCKER_SOCK:/var/run/docker.sock -e NETWORK=... -e WHITELIST_FILTER=...
#
# Exactly that line protects the network and lets the proxy through: tjd
# cannot see the proxy's network namespace, so it finds the proxy's bridge
# port from the host side, the veth on the network's bridge whose other end
# has the proxy's MAC.  The proxy reaches the backends, also after it
# restarts while tjd runs, and the backends stay isolated.  A container
# that copies the proxy's MAC (it needs NET_ADMIN of its own) makes that
# lookup ambiguous: tjd then withholds the allowance rather than guess, and
# gives it back once the copy is gone.
#
# With dockerd's netns directory mounted ro,rslave (still no SYS_ADMIN),
# tjd reads the proxy's own namespace through its id instead, and the copy
# changes nothing.  Both ways of clearing leave the ruleset as it was:
# SIGUSR1 (TrafficJam's "clear"), and `docker stop` (rules stay) followed by
# the image run with --clear.  The image's entrypoint runs tjctl by name
# and refuses a role it does not know.
#
# The netns directory is made a shared mount for the test, as it is on a host
# booted by systemd (where / is shared); here / is private, and Docker refuses
# rslave on a private mount.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

TJD_IMAGE=tjd-image:e2e
NETNS_DIR=$E2E_DIR/exec/netns
BEFORE=$E2E_DIR/ruleset.before
CONTAINER=tjd

# Build the image into the private dockerd.
image_tjd_build() {
	DOCKER="$DOCKER_BIN" DOCKER_HOST="unix://$DOCKER_SOCK" \
		TJD_BIN="$TJD_BIN" TJCTL_BIN="$(tjctl_path)" \
		"$E2E_TOP/packaging/docker/build-image.sh" "$TJD_IMAGE" >/dev/null
}

# Make the netns directory a shared mount (see the header); undone at the end.
netns_dir_share() {
	# dockerd mounts the host network's namespace there ("default") when a
	# container first runs with --network host, and keeps using that mount.
	# Mounted on the shared mount, it would go with it at the end, and every
	# later host-network container (in later tests) would fail to start
	# ("can't get final child's PID from pipe"): mount it before.
	dk run --rm --network host "$IMAGE" true
	mkdir -p "$NETNS_DIR"
	# --rbind: namespaces already mounted there (e.g. "default", the host
	# network's) stay visible through the new mount.
	mount --rbind "$NETNS_DIR" "$NETNS_DIR"
	mount --make-rshared "$NETNS_DIR"
	# Containers first, so that dockerd unmounts their namespaces itself.
	on_cleanup "remove_all_containers; umount -l '$NETNS_DIR'"
}

# Run the image as TrafficJam's command line does, plus EXTRA options.
# Usage: tjd_container_run [docker run options...]
tjd_container_run() {
	dk rm -f "$CONTAINER" >/dev/null 2>&1 || true
	dk run -d --name "$CONTAINER" --cap-add NET_ADMIN --network host \
		-v "$DOCKER_SOCK:/var/run/docker.sock" \
		-e NETWORK="$WEB_NET" -e WHITELIST_FILTER=label=tjd.allow=true \
		"$@" "$TJD_IMAGE" >/dev/null
	if ! wait_until 15 tjd_container_ready; then
		dk logs "$CONTAINER" 2>&1 | tail -n 20 | sed 's/^/  | /'
		e2e_die "the tjd container did not become ready within 15 s"
	fi
}

# Succeed once tjd in the container reports ready.
tjd_container_ready() {
	dk exec "$CONTAINER" tjctl status --json 2>/dev/null | json_field ready | grep -qx true
}

# Succeed when the container's log says the proxy's lookup found its MAC twice.
proxy_mac_ambiguous() {
	local logs # read whole: an early `grep -q` exit would SIGPIPE the writer
	logs=$(dk logs "$CONTAINER" 2>&1)
	grep -q 'allow-listed container proxy on .*ports whose other ends have MAC .*withholding its allowance' <<<"$logs"
}

# The proxy's MAC on the protected network, as Docker reports it.
proxy_mac() {
	dk inspect -f "{{(index .NetworkSettings.Networks \"$WEB_NET\").MacAddress}}" proxy
}

# A container with NET_ADMIN of its own on the network, its MAC the proxy's.
copycat_up() {
	local mac
	mac=$(proxy_mac)
	[ -n "$mac" ] || e2e_die "no MAC for the proxy"
	server_run copycat "$WEB_NET" --cap-add NET_ADMIN
	dk exec copycat ip link set dev eth0 address "$mac"
}

# Restart the proxy: a new network namespace and a new endpoint.
proxy_restart() {
	dk restart -t 1 proxy >/dev/null
}

# Wait until the proxy reaches both backends on both families, then check it.
expect_proxy_reaches() {
	local backend name address v4 v6
	for backend in "b1 $B1_V4" "b1 $B1_V6" "b2 $B2_V4" "b2 $B2_V6"; do
		read -r name address <<<"$backend"
		wait_until 10 tcp_reaches proxy "$address" 80 "$name" || true
	done
	for backend in "b1 $B1_V4 $B1_V6" "b2 $B2_V4 $B2_V6"; do
		read -r name v4 v6 <<<"$backend"
		expect_tcp reach proxy "$v4" 80 "$name"
		expect_tcp reach proxy "$v6" 80 "$name"
	done
}

# Succeed once the tjd container has stopped.
tjd_container_stopped() {
	[ "$(dk inspect -f '{{.State.Running}}' "$CONTAINER")" = false ]
}

# Send SIGUSR1 (clear and exit), like `docker kill -s USR1`; print the exit code.
tjd_container_clear() {
	dk kill -s USR1 "$CONTAINER" >/dev/null
	wait_until 10 tjd_container_stopped ||
		e2e_fail "the tjd container still runs 10 s after SIGUSR1"
	dk inspect -f '{{.State.ExitCode}}' "$CONTAINER"
}

# Backends cannot reach each other, nor the port b2 publishes on the host.
expect_backends_isolated() {
	expect_tcp blocked b1 "$B2_V4" 80 b2
	expect_tcp blocked b1 "$B2_V6" 80 b2
	expect_tcp blocked b2 "$B1_V4" 80 b1
	expect_tcp blocked b2 "$B1_V6" 80 b1
	expect_tcp blocked b1 "$WEB_V4_GW" "$PUBLISHED_PORT" b2
}

test_begin
image_tjd_build
netns_dir_share
topology_up
ruleset_snapshot >"$BEFORE"

e2e_log "case 1: TrafficJam's command line, exactly"
tjd_container_run
expect_true "tjd's rules are installed" tjd_rules_present
expect_proxy_reaches
expect_backends_isolated
e2e_log "the proxy restarts (a new network namespace) while tjd runs"
proxy_restart
expect_true "proxy reaches b1 again after its restart" \
	wait_until 10 tcp_reaches proxy "$B1_V4" 80 b1
expect_tcp reach proxy "$B2_V6" 80 b2
expect_backends_isolated
# In the container tjd has a pid namespace of its own; its commits must
# still be its own, not drift it repairs (by committing again, and again).
sleep 1
expect_equal "drift repairs, with no one but tjd changing its rules" 0 \
	"$(dk exec "$CONTAINER" tjctl status --json | json_field drift_repairs)"
e2e_log "a container copies the proxy's MAC, then the proxy restarts"
copycat_up
proxy_restart
expect_true "tjd says the proxy's MAC is on two ports and withholds its allowance" \
	wait_until 10 proxy_mac_ambiguous
expect_tcp blocked proxy "$B1_V4" 80 b1
expect_tcp blocked copycat "$B1_V4" 80 b1
expect_tcp blocked copycat "$B2_V6" 80 b2
dk rm -f copycat >/dev/null
expect_true "proxy reaches b1 again once the copy is gone" \
	wait_until 15 tcp_reaches proxy "$B1_V4" 80 b1
expect_backends_isolated
expect_equal "exit status after SIGUSR1" 0 "$(tjd_container_clear)"
expect_ruleset_equal "after SIGUSR1" "$BEFORE"

e2e_log "case 2: plus -v NETNS:NETNS:ro,rslave (no SYS_ADMIN)"
tjd_container_run -v "$NETNS_DIR:$NETNS_DIR:ro,rslave"
expect_true "tjd's rules are installed" tjd_rules_present
expect_proxy_reaches
expect_backends_isolated
e2e_log "a container copies the proxy's MAC, then the proxy restarts"
copycat_up
proxy_restart
expect_true "proxy reaches b1 after its restart: its namespace, not its MAC, decides" \
	wait_until 10 tcp_reaches proxy "$B1_V4" 80 b1
expect_tcp reach proxy "$B2_V6" 80 b2
expect_tcp blocked copycat "$B1_V4" 80 b1
logs=$(dk logs "$CONTAINER" 2>&1)
expect_equal "lookups that found the MAC twice" 0 \
	"$(grep -c 'ports whose other ends have MAC' <<<"$logs" || true)"
dk rm -f copycat >/dev/null
expect_backends_isolated
dk stop -t 5 "$CONTAINER" >/dev/null
expect_true "docker stop leaves the rules in place" tjd_rules_present
rc=0
dk run --rm --network host --cap-add NET_ADMIN "$TJD_IMAGE" --clear >/dev/null 2>&1 || rc=$?
expect_equal "docker run IMAGE --clear: exit status" 0 "$rc"
expect_ruleset_equal "after --clear" "$BEFORE"
# The entrypoint's roles: tjctl by name, and an unknown role refused.
expect_equal "docker run IMAGE tjctl --version" "$("$(tjctl_path)" --version)" \
	"$(dk run --rm "$TJD_IMAGE" tjctl --version 2>&1)"
rc=0
dk run --rm "$TJD_IMAGE" no-such-role >/dev/null 2>&1 || rc=$?
expect_equal "docker run IMAGE no-such-role: exit status" 2 "$rc"
test_end
