# shellcheck shell=bash
# Shared helpers for tjd's end-to-end tests and the demo.
#
# A private dockerd (Debian's docker.io) runs inside its own network
# namespace, with its own socket, data-root and exec-root, so neither the
# host's firewall nor a host dockerd is ever touched.  tjd runs in the same
# namespace.  Everything lives under $E2E_DIR and in the namespaces $E2E_NS
# and $E2E_OUT_NS; env_down removes all of it.
#
# Sourced by tests/e2e/run.sh, tests/e2e/t-*.sh and scripts/demo.sh.  The
# caller sets `set -euo pipefail`.

# ip, nft, iptables-legacy, modprobe, useradd live in sbin, which a non-login
# root shell (CI, su) may not have in PATH.
case ":$PATH:" in
*:/usr/sbin:*) ;;
*) export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin ;;
esac

E2E_NS=${E2E_NS:-tjde2e}
E2E_DIR=${E2E_DIR:-/tmp/tjd-e2e}
# A second namespace wired to $E2E_NS by a veth: "the outside world" for
# containers, and the namespace's second address for published ports.
E2E_OUT_NS=${E2E_OUT_NS:-${E2E_NS}-out}

E2E_TOP=${E2E_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}
TJD_BIN=${TJD_BIN:-$E2E_TOP/tjd/tjd}
IMAGE=tjdbox:latest

DOCKER_SOCK=$E2E_DIR/docker.sock
TJD_SOCK=$E2E_DIR/tjd.sock
TJD_CONF=$E2E_DIR/tjd.conf
TJD_LOG=$E2E_DIR/tjd.log
TJD_PIDFILE=$E2E_DIR/tjd.pid
# The ruleset tjd saves after each apply and restores at start.
TJD_STATE=$E2E_DIR/tjd-state.json
# The firewall backend under test (run.sh runs the suite once per backend).
E2E_BACKEND=${E2E_BACKEND:-iptables}

# Addresses of the standard topology: a dual-stack protected network with an
# allow-listed proxy and two backends (b2 publishes 8080 on the host).
WEB_NET=e2e_web
WEB_V4_SUBNET=172.30.0.0/24
WEB_V6_SUBNET=fd00:30::/64
WEB_V4_GW=172.30.0.1
WEB_V6_GW=fd00:30::1
PROXY_V4=172.30.0.10
PROXY_V6=fd00:30::10
B1_V4=172.30.0.11
B1_V6=fd00:30::11
B2_V4=172.30.0.12
B2_V6=fd00:30::12
PUBLISHED_PORT=8080
# An unprotected network next to it.
OTHER_NET=e2e_other
OTHER_V4_SUBNET=172.31.0.0/24
O1_V4=172.31.0.11
O2_V4=172.31.0.12
# The veth between $E2E_NS (host side) and $E2E_OUT_NS (outside).
HOST_SIDE_V4=10.231.0.1
OUTSIDE_V4=10.231.0.2

E2E_FAILURES=0
E2E_TJD_PID=
E2E_TJD_EXIT=
E2E_CLEANUP=()

# ---------------------------------------------------------------- output

# Print a progress line.
e2e_log() {
	printf '  %s\n' "$*"
}

# Record a failed assertion without stopping the test.
e2e_fail() {
	printf '  FAIL %s\n' "$*"
	E2E_FAILURES=$((E2E_FAILURES + 1))
}

# Record a passed assertion.
e2e_pass() {
	printf '  ok   %s\n' "$*"
}

# Stop the whole script: something the test relies on is broken.
e2e_die() {
	printf '  FATAL %s\n' "$*" >&2
	exit 1
}

# Milliseconds since the epoch.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# ---------------------------------------------------------------- commands

# The docker client matching the engine, talking to the private dockerd.
dk() {
	"$DOCKER_BIN" -H "unix://$DOCKER_SOCK" "$@"
}

# Run a command in the private dockerd's network namespace.  nsenter, never
# `ip netns exec`: that remounts /sys and breaks dockerd's cgroup handling.
in_ns() {
	nsenter --net="/run/netns/$E2E_NS" -- "$@"
}

# Make the kernel track IPv6 connections in the dockerd namespace, as it
# does under a Docker that writes ip6tables rules (27 and later by default;
# 20.10 writes none).  Nothing tracks a connection that started before any
# rule asked for tracking, so once tjd's rules are in, its next packet is
# picked up in mid-stream, and tjd cuts that: nobody can tell which end
# opened it.  Tests that show an allowed flow surviving tjd's start track
# it from the beginning with this; ipv6_tracking_off undoes it.
ipv6_tracking_on() {
	in_ns nft -f - <<'NFT'
table ip6 e2e-track {
	chain forward {
		type filter hook forward priority 100; policy accept;
		ct state new counter
	}
}
NFT
}

ipv6_tracking_off() {
	in_ns nft delete table ip6 e2e-track 2>/dev/null || true
}

# Path of the tjctl binary (built in-tree; TJCTL_BIN overrides).
tjctl_path() {
	echo "${TJCTL_BIN:-$E2E_TOP/tjctl/tjctl}"
}

# tjctl talking to the test daemon's socket.
tjctl() {
	"$(tjctl_path)" --socket "$TJD_SOCK" "$@"
}

# Succeed when the tjd and tjctl binaries have been built.
tjd_binaries_built() {
	[ -f "$TJD_BIN" ] && [ -x "$TJD_BIN" ] &&
		[ -f "$(tjctl_path)" ] && [ -x "$(tjctl_path)" ]
}

# Wait until a command succeeds, up to SECONDS (fractions allowed).
# Usage: wait_until SECONDS command...
wait_until() {
	local seconds=$1
	shift
	local deadline=$(($(now_ms) + ${seconds%.*} * 1000))
	if [[ $seconds == *.* ]]; then
		local fraction=${seconds#*.}000
		deadline=$((deadline + 10#${fraction:0:3}))
	fi
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- environment

# Succeed when the private dockerd answers.
docker_answers() {
	dk version >/dev/null 2>&1
}

# Take the lock for our namespace on file descriptor 9, waiting up to 15 min
# for another run (two runs would tear down each other's dockerd).  Held
# until env_unlock; long-lived processes we start get fd 9 closed.
E2E_LOCK=/run/lock/$E2E_NS.lock
env_lock() {
	local said=0
	mkdir -p "${E2E_LOCK%/*}"
	while :; do
		exec 9>>"$E2E_LOCK"
		if ! flock -n 9; then
			[ "$said" = 1 ] || echo "waiting for another run using $E2E_NS to finish..." >&2
			said=1
			flock -w 900 9 || e2e_die "another run still holds $E2E_LOCK"
		fi
		# The previous holder removes the file when done: retry unless the
		# locked file is still the one at that path.
		[ "$(stat -c %i "$E2E_LOCK" 2>/dev/null)" != "$(stat -L -c %i /dev/fd/9)" ] || return 0
		exec 9>&-
	done
}

# Release the lock and remove its file (see env_lock).
env_unlock() {
	rm -f "$E2E_LOCK"
	exec 9>&-
}

# Start the private dockerd, the outside namespace and the test image.
env_up() {
	[ "$(id -u)" = 0 ] || e2e_die "must run as root"
	# A previous run that was killed may have left things behind.
	env_down
	mkdir -p "$E2E_DIR"
	chmod 755 "$E2E_DIR"
	namespaces_up
	dockerd_up
	image_build
	outside_server_up
}

# Create the network namespaces, the veth between them, and make sure bridged
# traffic goes through iptables inside the dockerd namespace.
namespaces_up() {
	ip netns add "$E2E_NS"
	ip -n "$E2E_NS" link set lo up
	ip netns add "$E2E_OUT_NS"
	ip -n "$E2E_OUT_NS" link set lo up
	ip link add name tjdup0 netns "$E2E_NS" type veth peer name tjdout0 netns "$E2E_OUT_NS"
	ip -n "$E2E_NS" addr add "$HOST_SIDE_V4/30" dev tjdup0
	ip -n "$E2E_NS" link set tjdup0 up
	ip -n "$E2E_OUT_NS" addr add "$OUTSIDE_V4/30" dev tjdout0
	ip -n "$E2E_OUT_NS" link set tjdout0 up

	# br_netfilter may be built in; then modprobe fails and that is fine.
	modprobe br_netfilter 2>/dev/null || true
	[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
		e2e_die "br_netfilter is not available in this kernel"
	in_ns sh -c 'echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables &&
		echo 1 > /proc/sys/net/bridge/bridge-nf-call-ip6tables'
}

# Start dockerd in the namespace (again, after dockerd_stop) and wait until it
# answers.
dockerd_up() {
	# Own trust key and containerd namespaces, so that nothing is shared with
	# a dockerd the host may run (a running system containerd is reused by
	# dockerd 20.10; separate namespaces keep the containers apart).
	# live-restore: containers survive a dockerd restart (a test restarts it);
	# E2E_LIVE_RESTORE=false starts a dockerd that stops them as it stops
	# and starts those with a restart policy again as it starts (Docker's
	# default).
	cat >"$E2E_DIR/daemon.json" <<-EOF
		{
		  "shutdown-timeout": 2,
		  "live-restore": ${E2E_LIVE_RESTORE:-true},
		  "deprecated-key-path": "$E2E_DIR/key.json",
		  "containerd-namespace": "$E2E_NS",
		  "containerd-plugins-namespace": "$E2E_NS-plugins"
		}
	EOF
	# setsid: not in our process group, so a ^C reaches the test, whose trap
	# stops dockerd in order.
	setsid nsenter --net="/run/netns/$E2E_NS" -- /usr/sbin/dockerd \
		--host "unix://$DOCKER_SOCK" \
		--data-root "$E2E_DIR/data" \
		--exec-root "$E2E_DIR/exec" \
		--pidfile "$E2E_DIR/dockerd.pid" \
		--config-file "$E2E_DIR/daemon.json" \
		</dev/null >>"$E2E_DIR/dockerd.log" 2>&1 9>&- &
	if ! wait_until 60 docker_answers; then
		tail -n 30 "$E2E_DIR/dockerd.log" >&2 || true
		e2e_die "private dockerd did not answer within 60 s"
	fi
}

# Build the test image from busybox-static: no registry needed.
image_build() {
	local rootfs=$E2E_DIR/rootfs applet
	rm -rf "$rootfs"
	mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp"
	cp /bin/busybox "$rootfs/bin/busybox"
	for applet in sh nc sleep usleep ip ping ping6 httpd cat echo printf \
		hostname grep mkdir mv rm test true false seq touch ls; do
		ln -s busybox "$rootfs/bin/$applet"
	done
	echo "tjd-e2e:unnamed" >"$rootfs/www/index.html"
	tar -C "$rootfs" -c . | dk import - "$IMAGE" >/dev/null
	rm -rf "$rootfs"
}

# An HTTP server in the outside namespace, reached through the veth.
outside_server_up() {
	mkdir -p "$E2E_DIR/outside-www"
	echo "tjd-e2e:outside" >"$E2E_DIR/outside-www/index.html"
	nsenter --net="/run/netns/$E2E_OUT_NS" -- /bin/busybox httpd -f -p 80 \
		-h "$E2E_DIR/outside-www" </dev/null >/dev/null 2>&1 9>&- &
	echo $! >"$E2E_DIR/outside-httpd.pid"
}

# Print the pid stored in FILE if that process still runs and is ours (its
# command line names $E2E_DIR: a stale pid file must not hit a stranger).
pidfile_ours() {
	local pid
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	[ -n "$pid" ] && process_alive "$pid" || return 0
	if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$E2E_DIR/"; then
		echo "$pid"
	fi
}

# Send SIGNAL to the pid stored in FILE, if that process is still ours.
kill_pidfile() {
	local signal=$1 file=$2 pid
	pid=$(pidfile_ours "$file")
	[ -z "$pid" ] || kill "-$signal" "$pid" 2>/dev/null || true
}

# Succeed while a process runs (a zombie counts as gone).
process_alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# Succeed when a process has ended.
process_gone() {
	! process_alive "$1"
}

# Wait up to SECONDS for the process to end.
wait_process_gone() {
	wait_until "$2" process_gone "$1"
}

# Pids of processes whose command line mentions our private directory
# (containerd and its shims): found by our unique path, ended by pid.
pids_under_e2e_dir() {
	local proc
	for proc in /proc/[0-9]*; do
		tr "\0" " " 2>/dev/null <"$proc/cmdline" | grep -qF -- "$E2E_DIR/" &&
			echo "${proc#/proc/}"
	done
	return 0
}

# Stop everything env_up started and remove its files and namespaces.
# Idempotent; safe after a crash half-way through env_up.
env_down() {
	local pid mount network_ids=() id
	tjd_kill_leftover
	if docker_answers; then
		mapfile -t network_ids < <(dk network ls -q --no-trunc 2>/dev/null)
		remove_all_containers
	fi
	dockerd_stop
	kill_pidfile TERM "$E2E_DIR/outside-httpd.pid"
	for pid in $(pids_under_e2e_dir); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Deepest mounts first.
	if [ -d "$E2E_DIR" ]; then
		while read -r mount; do
			umount -l "$mount" 2>/dev/null || true
		done < <(awk -v dir="$E2E_DIR/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo | sort -r)
	fi
	ip netns del "$E2E_NS" 2>/dev/null || true
	ip netns del "$E2E_OUT_NS" 2>/dev/null || true
	# libnetwork writes some files under /var/lib/docker/network/files
	# whatever the data-root; remove only those named after our networks.
	for id in "${network_ids[@]}"; do
		rm -rf "/var/lib/docker/network/files/lb_$id" "/var/lib/docker/network/files/$id"
	done
	rm -rf "$E2E_DIR"
}

# Stop the private dockerd (containers keep running: live-restore).
dockerd_stop() {
	local pid
	pid=$(pidfile_ours "$E2E_DIR/dockerd.pid")
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait_process_gone "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true
	fi
}

# Remove every container of the private dockerd.
remove_all_containers() {
	local ids=()
	mapfile -t ids < <(dk ps -aq)
	[ ${#ids[@]} -eq 0 ] || dk rm -f "${ids[@]}" >/dev/null 2>&1 || true
}

# Remove every user-defined network of the private dockerd.
remove_user_networks() {
	local ids=()
	mapfile -t ids < <(dk network ls -q --filter type=custom)
	[ ${#ids[@]} -eq 0 ] || dk network rm "${ids[@]}" >/dev/null 2>&1 || true
}

# Bring the shared environment back to "dockerd running, nothing else":
# between tests, whatever the previous test left behind.
env_reset() {
	tjd_kill_leftover
	docker_answers || dockerd_up
	remove_all_containers
	remove_user_networks
	legacy_rules_flush
	rm -f "$TJD_STATE"
}

# Remove anything tjd may have left in the namespace's firewall: the legacy
# x_tables filter tables (only tjd puts rules there; Docker's rules are in
# nftables) and tjd's own nftables tables.
legacy_rules_flush() {
	local family
	for family in iptables ip6tables; do
		if in_ns "$family-legacy-save" -t filter 2>/dev/null | grep -q '^-A\|^:[^ ]* -'; then
			in_ns "$family-legacy" -w -t filter -F
			in_ns "$family-legacy" -w -t filter -X
		fi
	done
	# (owned tables are orphans by now: tjd is gone, anyone may delete them)
	for table in "inet tjd" "bridge tjd" "bridge tjd-l2" "inet tjd-handover" \
		"bridge tjd-handover" "bridge tjd-l2-handover"; do
		# shellcheck disable=SC2086 # family and name
		in_ns nft delete table $table 2>/dev/null || true
	done
}

# ---------------------------------------------------------------- topology

# Start a busybox container running an HTTP server that answers with its name.
# Usage: server_run NAME NETWORK [docker run options...]
server_run() {
	local name=$1 network=$2
	shift 2
	dk run -d --name "$name" --hostname "$name" --network "$network" \
		--stop-timeout 1 "$@" "$IMAGE" \
		sh -c "echo tjd-e2e:$name > /www/index.html; exec httpd -f -p 80 -h /www" >/dev/null
}

# The protected dual-stack network with proxy, b1 and b2 (b2 publishes 8080).
topology_up() {
	dk network create --ipv6 \
		--subnet "$WEB_V4_SUBNET" --gateway "$WEB_V4_GW" \
		--subnet "$WEB_V6_SUBNET" --gateway "$WEB_V6_GW" \
		"$WEB_NET" >/dev/null
	server_run proxy "$WEB_NET" --ip "$PROXY_V4" --ip6 "$PROXY_V6" --label tjd.allow=true
	server_run b1 "$WEB_NET" --ip "$B1_V4" --ip6 "$B1_V6"
	server_run b2 "$WEB_NET" --ip "$B2_V4" --ip6 "$B2_V6" -p "$PUBLISHED_PORT:80"
	wait_until 10 tcp_reaches proxy "$B1_V4" 80 b1 ||
		e2e_die "topology: proxy cannot reach b1 even before tjd"
	wait_until 10 tcp_reaches proxy "$B2_V4" 80 b2 ||
		e2e_die "topology: proxy cannot reach b2 even before tjd"
}

# The unprotected network with o1 and o2.
other_topology_up() {
	dk network create --subnet "$OTHER_V4_SUBNET" "$OTHER_NET" >/dev/null
	server_run o1 "$OTHER_NET" --ip "$O1_V4"
	server_run o2 "$OTHER_NET" --ip "$O2_V4"
}

# Remove the test topologies.
topology_down() {
	remove_all_containers
	remove_user_networks
}

# ---------------------------------------------------------------- probes

# Succeed when SOURCE opens TCP to HOST:PORT and the answer comes from the
# server named NAME (so a failure is a failed connection, not a wrong peer).
# Usage: tcp_reaches SOURCE HOST PORT NAME
tcp_reaches() {
	local source=$1 host=$2 port=$3 name=$4 reply
	reply=$(dk exec "$source" sh -c \
		"printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $host $port" 2>/dev/null) || true
	[[ $reply == *"tjd-e2e:$name"* ]]
}

# Like tcp_reaches, but without dockerd: enter the network namespace of the
# container whose main process is PID and probe with the host's busybox.
# Usage: pid_tcp_reaches PID HOST PORT NAME
pid_tcp_reaches() {
	local pid=$1 host=$2 port=$3 name=$4 reply
	reply=$(printf 'GET / HTTP/1.0\r\n\r\n' |
		nsenter --net="/proc/$pid/ns/net" -- /bin/busybox nc -w 2 "$host" "$port" 2>/dev/null) || true
	[[ $reply == *"tjd-e2e:$name"* ]]
}

# The negation of pid_tcp_reaches.
pid_tcp_blocked() {
	! pid_tcp_reaches "$@"
}

# Nanoseconds of CPU process PID has used, all threads (for the benchmarks).
cpu_ns() {
	local pid=$1 total=0 task
	for task in /proc/"$pid"/task/*/schedstat; do
		read -r ns _ <"$task"
		total=$((total + ns))
	done
	echo "$total"
}

# Print the pid of a container's main process.
container_pid() {
	dk inspect -f '{{.State.Pid}}' "$1"
}

# Succeed when SOURCE cannot open TCP to HOST:PORT (served by NAME).
tcp_blocked() {
	! tcp_reaches "$@"
}

# Succeed when SOURCE gets an ICMP echo reply from HOST (v4 or v6).
pings() {
	local source=$1 host=$2 family=-4
	[[ $host != *:* ]] || family=-6
	dk exec "$source" ping "$family" -c 1 -W 2 "$host" >/dev/null 2>&1
}

# Succeed when the namespace itself ("the host") opens TCP to HOST:PORT and
# the server named NAME answers.
host_tcp_reaches() {
	local host=$1 port=$2 name=$3 reply
	reply=$(printf 'GET / HTTP/1.0\r\n\r\n' |
		in_ns /bin/busybox nc -w 2 "$host" "$port" 2>/dev/null) || true
	[[ $reply == *"tjd-e2e:$name"* ]]
}

# Assert that a command succeeds.
# Usage: expect_true DESCRIPTION command...
expect_true() {
	local what=$1
	shift
	if "$@"; then
		e2e_pass "$what"
	else
		e2e_fail "$what"
	fi
}

# Assert that two values are equal.
# Usage: expect_equal DESCRIPTION EXPECTED ACTUAL
expect_equal() {
	if [ "$2" = "$3" ]; then
		e2e_pass "$1: $3"
	else
		e2e_fail "$1: expected $2, got $3"
	fi
}

# Assert that SOURCE can (or cannot) open TCP to HOST:PORT (served by NAME).
# Usage: expect_tcp reach|blocked SOURCE HOST PORT NAME
expect_tcp() {
	local want=$1 source=$2 host=$3 port=$4 name=$5 what
	what="$source -> $name tcp [$host]:$port"
	if [ "$want" = reach ]; then
		if tcp_reaches "$source" "$host" "$port" "$name"; then
			e2e_pass "$what reached"
		else
			e2e_fail "$what expected to connect, did not"
		fi
	else
		if tcp_reaches "$source" "$host" "$port" "$name"; then
			e2e_fail "$what expected blocked, connected"
		else
			e2e_pass "$what blocked"
		fi
	fi
}

# Assert that SOURCE can (or cannot) ping HOST.
# Usage: expect_ping reach|blocked SOURCE HOST NAME
expect_ping() {
	local want=$1 source=$2 host=$3 name=$4 what
	what="$source -> $name ping $host"
	if [ "$want" = reach ]; then
		if pings "$source" "$host"; then
			e2e_pass "$what answered"
		else
			e2e_fail "$what expected an answer, got none"
		fi
	else
		if pings "$source" "$host"; then
			e2e_fail "$what expected blocked, answered"
		else
			e2e_pass "$what blocked"
		fi
	fi
}

# ---------------------------------------------------------------- tjd

# Write the test configuration: protect the web network, allow the label.
# E2E_OWN_TABLES=no writes own_tables = no (tables anyone may change, so a
# test can show tjd repairing a change rather than the kernel refusing it).
tjd_config_write() {
	{
		printf '[daemon]\n'
		printf 'docker_host = unix://%s\n' "$DOCKER_SOCK"
		printf 'poll_interval = 5\n'
		[ "${E2E_OWN_TABLES:-yes}" = yes ] || printf 'own_tables = no\n'
		printf '[network %s]\n' "$WEB_NET"
		printf 'allow = label=tjd.allow=true\n'
		printf 'allow_host_traffic = no\n'
	} >"$TJD_CONF"
}

# Start tjd with the test configuration file, in the namespace, and wait
# until it reports ready.  Sets E2E_TJD_PID.
tjd_start() {
	[ -f "$TJD_CONF" ] || tjd_config_write
	tjd_launch -c "$TJD_CONF"
}

# Start tjd configured only by TrafficJam's environment variables (no -c).
# Usage: tjd_start_from_environment NAME=VALUE...
tjd_start_from_environment() {
	tjd_launch_with_environment "$@" --
}

# Start tjd in the foreground (backgrounded by us) with extra ARGS and wait
# until it reports ready.
tjd_launch() {
	tjd_launch_with_environment -- "$@"
}

# Usage: tjd_launch_with_environment [NAME=VALUE...] -- [tjd ARGS...]
tjd_launch_with_environment() {
	local environment=()
	while [ "$1" != -- ]; do
		environment+=("$1")
		shift
	done
	shift
	tjd_binaries_built || e2e_die "tjd/tjctl not built (run scripts/build.sh)"
	# E2E_TJD_DEBUG=1: tjd logs debug messages (to $TJD_LOG, shown on failure).
	[ "${E2E_TJD_DEBUG:-0}" != 1 ] || set -- -d "$@"
	# nsenter without --fork execs env, which execs tjd: $! is tjd's pid.
	nsenter --net="/run/netns/$E2E_NS" -- env "${environment[@]}" "$TJD_BIN" -f \
		--socket "$TJD_SOCK" --state-file "$TJD_STATE" --backend "$E2E_BACKEND" "$@" </dev/null >>"$TJD_LOG" 2>&1 9>&- &
	E2E_TJD_PID=$!
	echo "$E2E_TJD_PID" >"$TJD_PIDFILE"
	if ! wait_until 15 tjd_ready; then
		tail -n 30 "$TJD_LOG" >&2 || true
		e2e_die "tjd did not become ready within 15 s"
	fi
}

# Succeed once tjd answers status with ready=true; fail fast if it died.
tjd_ready() {
	if [ -n "$E2E_TJD_PID" ] && ! process_alive "$E2E_TJD_PID"; then
		tail -n 30 "$TJD_LOG" >&2 || true
		e2e_die "tjd exited during start-up"
	fi
	tjctl status --json 2>/dev/null | json_field ready | grep -qx true
}

# Succeed when tjd answers `tjctl status` (ready: exit 0, or not yet: 4).
tjd_answers() {
	local code=0
	tjctl status >/dev/null 2>&1 || code=$?
	[ "$code" = 0 ] || [ "$code" = 4 ]
}

# Print one top-level field of the JSON object on stdin (true/false for
# booleans, JSON for objects and lists).
json_field() {
	python3 -c '
import json, sys
try:
    value = json.load(sys.stdin).get(sys.argv[1])
except ValueError:
    sys.exit(1)
if isinstance(value, bool):
    print("true" if value else "false")
elif isinstance(value, (dict, list)):
    print(json.dumps(value))
elif value is not None:
    print(value)
' "$1"
}

# Send SIGNAL to the running tjd and wait for it to exit (see tjd_wait_exit).
# Usage: tjd_signal_and_wait SIGNAL
tjd_signal_and_wait() {
	kill "-$1" "$E2E_TJD_PID"
	tjd_wait_exit
}

# Wait up to 10 s for the test's tjd to exit.  Sets E2E_TJD_EXIT to its exit
# status, or to "running" if it is still running.  (Not in a subshell: only
# the shell that started tjd can collect its status.)
tjd_wait_exit() {
	E2E_TJD_EXIT=0
	if ! wait_process_gone "$E2E_TJD_PID" 10; then
		E2E_TJD_EXIT=running
		return 0
	fi
	# shellcheck disable=SC2034 # read by the tests
	wait "$E2E_TJD_PID" || E2E_TJD_EXIT=$?
	E2E_TJD_PID=
	rm -f "$TJD_PIDFILE"
}

# Kill a tjd that a test left running (without clearing its rules).
tjd_kill_leftover() {
	local pid
	pid=$(pidfile_ours "$TJD_PIDFILE")
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_process_gone "$pid" 5 || true
	fi
	rm -f "$TJD_PIDFILE"
}

# Run `tjd --clear` against the test configuration; returns its exit code.
tjd_clear_offline() {
	in_ns "$TJD_BIN" -c "$TJD_CONF" --state-file "$TJD_STATE" --clear
}

# Succeed when tjd's rules are in the namespace's firewall (per backend).
# The listing is read whole before matching: `grep -q` on a pipe may exit
# early, and under pipefail the writer's SIGPIPE would fail the check.
tjd_rules_present() {
	local listing
	if [ "$E2E_BACKEND" = nftables ] || [ "$E2E_BACKEND" = auto ]; then
		if listing=$(in_ns nft list table inet tjd 2>/dev/null) && [[ $listing == *drop* ]]; then
			return 0
		fi
		[ "$E2E_BACKEND" = auto ] || return 1
	fi
	listing=$(in_ns iptables-legacy-save -t filter 2>/dev/null) || return 1
	grep -q '^-A FORWARD .*-j TJD-FORWARD' <<<"$listing" &&
		grep -q '^-A TJD-FORWARD ' <<<"$listing"
}

# Start the leak prober in b1: every ~50 ms a connection attempt to b2:80,
# each its own process (so a blocked one never delays the next); a reply
# from b2 is a leak.  See probe_counts.
probe_start() {
	dk exec -d b1 sh -c "rm -f /tmp/leaks /tmp/tries; while :; do
		( printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $B2_V4 80 2>/dev/null |
			grep -q 'tjd-e2e:b2' && echo leak >>/tmp/leaks ) &
		echo try >>/tmp/tries; sleep 0.05; done"
}

# Print how many of the prober's attempts got through, and how many were made.
probe_counts() {
	# shellcheck disable=SC2016 # expanded inside the container
	dk exec b1 sh -c 'echo $(cat /tmp/leaks 2>/dev/null | wc -l) $(cat /tmp/tries 2>/dev/null | wc -l)'
}

# ---------------------------------------------------------------- rulesets

# Print the namespace's whole ruleset in a comparable form: the legacy
# x_tables (IPv4 and IPv6) without comments and counters, then nftables
# (where Docker's iptables-nft rules live) without counter values.  tjd's
# tables are owned while it runs and orphans once it stops, their rules
# unchanged: the owner's name (`# progname`) and the flags lines that say
# so (`flags owner`, and the persist flag, which nft 1.0.6 prints as an
# empty `flags`) are left out.
ruleset_snapshot() {
	local family
	for family in iptables ip6tables; do
		echo "## $family-legacy"
		in_ns "$family-legacy-save" | legacy_save_normalize
	done
	echo "## nftables"
	in_ns nft list ruleset 2>/dev/null | sed -E -e '/^[[:space:]]*#/d' \
		-e 's/counter packets [0-9]+ bytes [0-9]+/counter/' \
		-e 's/ # progname [^ ]*$//' -e '/^\tflags (owner)? ?$/d' -e '/^$/d'
}

# Normalise iptables-save output.  A table that holds only built-in chains
# with policy ACCEPT and no rules filters nothing: it is printed as if
# absent, because the kernel creates such a table on first use (e.g. when
# tjd clears its rules in a table that did not exist before tjd started), and
# that leaves the ruleset's behaviour exactly as before.
legacy_save_normalize() {
	awk '
		/^#/ { next }
		/^\*/ { count = 0; filters = 0; split("", lines); lines[++count] = $0; next }
		/^:/ {
			sub(/ \[[0-9]+:[0-9]+\]$/, "")
			lines[++count] = $0
			if ($2 != "ACCEPT") filters = 1
			next
		}
		/^COMMIT/ {
			lines[++count] = $0
			if (filters) for (i = 1; i <= count; i++) print lines[i]
			next
		}
		{ lines[++count] = $0; filters = 1 }
	'
}

# Assert that the ruleset now equals the snapshot in FILE; show the diff if not.
# Usage: expect_ruleset_equal DESCRIPTION FILE
expect_ruleset_equal() {
	local what=$1 before=$2 now
	now=$(mktemp "$E2E_DIR/ruleset.XXXXXX")
	ruleset_snapshot >"$now"
	if diff -u "$before" "$now" >"$now.diff"; then
		e2e_pass "$what: ruleset identical to the snapshot"
	else
		e2e_fail "$what: ruleset differs from the snapshot:"
		sed 's/^/       /' "$now.diff"
	fi
	rm -f "$now" "$now.diff"
}

# Evaluate a Python expression over tjd's status (`tjctl status --json`,
# bound to `s`) and print the result.
# Usage: status_query 'len(s["networks"])'
status_query() {
	tjctl status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(eval(sys.argv[1]))
' "$1"
}

# ---------------------------------------------------------------- tests

# Start a test: the shared environment must be up (run.sh starts it).
test_begin() {
	[ "$(id -u)" = 0 ] || e2e_die "must run as root"
	docker_answers || e2e_die "private dockerd not running: use tests/e2e/run.sh"
	trap test_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# A tjd killed by the previous test leaves its socket file behind.
	rm -f "$TJD_CONF" "$TJD_LOG" "$TJD_SOCK"
}

# Register a command (a string for eval) to run when the test ends, before
# the standard clean-up; hooks run last-registered first.
on_cleanup() {
	E2E_CLEANUP+=("$1")
}

# Test clean-up: the test's hooks, then stop tjd, remove its rules,
# containers and networks.
test_cleanup() {
	local rc=$? index
	for ((index = ${#E2E_CLEANUP[@]} - 1; index >= 0; index--)); do
		eval "${E2E_CLEANUP[index]}" || true
	done
	if [ -n "$E2E_TJD_PID" ] && process_alive "$E2E_TJD_PID"; then
		# Collect it at once, so that bash does not report the kill.
		{
			kill -KILL "$E2E_TJD_PID"
			wait "$E2E_TJD_PID"
		} 2>/dev/null || true
	fi
	rm -f "$TJD_PIDFILE"
	if tjd_binaries_built && [ -f "$TJD_CONF" ]; then
		tjd_clear_offline >/dev/null 2>&1 || true
	fi
	legacy_rules_flush
	topology_down
	if [ -f "$TJD_LOG" ] && { [ "$rc" != 0 ] || [ "$E2E_FAILURES" != 0 ]; }; then
		echo "  --- tjd log (last 40 lines) ---"
		tail -n 40 "$TJD_LOG" | sed 's/^/  | /'
	fi
	exit "$rc"
}

# End a test: exit 1 if any assertion failed.
test_end() {
	if [ "$E2E_FAILURES" -gt 0 ]; then
		echo "  $E2E_FAILURES assertion(s) failed"
		exit 1
	fi
	exit 0
}
