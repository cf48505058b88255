# shellcheck shell=bash
# Helpers for tjd's two-node Docker Swarm end-to-end suite.
#
# Each swarm node is its own dockerd (Debian's docker.io) in its own network
# namespace ($SW_NS_PREFIX1, $SW_NS_PREFIX2), with its own UTS namespace (a
# distinct hostname), data-root, exec-root and trust key; the two namespaces
# are wired through a bridge in a third one ($SW_BRIDGE_NS).  Every node runs
# its own tjd in its namespace (the node service's, or with SW_ROUTE=manual
# one the suite starts), with its socket under the node's directory.
# Everything lives under $SW_DIR and in those three namespaces; swarm_down
# removes all of it.  Sourced by tests/e2e/swarm/run.sh; the caller sets
# `set -euo pipefail`.

SW_DIR=${SW_DIR:-/tmp/tjd-swarm}
SW_NS_PREFIX=${SW_NS_PREFIX:-tjdsw}
SW_BRIDGE_NS=${SW_BRIDGE_NS:-tjdswbr}
SW_TOP=${SW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}
TJD_BIN=${TJD_BIN:-$SW_TOP/tjd/tjd}
TJCTL_BIN=${TJCTL_BIN:-$SW_TOP/tjctl/tjctl}

# The underlay between the nodes, and the protected overlay network.
SW_UNDERLAY=192.168.231
SW_NET=web
SW_SUBNET=10.231.0.0/24
SW_IMAGE=tjdbox:latest
# tjd's own image (packaging/docker/build-image.sh): the guide's IMAGE.
SW_TJD_IMAGE=tjd-swarm:e2e
# The controller's service name: its children are $SW_DEPLOY-coordinator and -node.
SW_DEPLOY=trafficjam
# Inside each node's mount namespace, that node's own directory.
SW_NODE_DIR=$SW_DIR/node

# The guide whose manual route the suite runs as written (SW_ROUTE=manual),
# and the names of its blocks the suite runs (each marked, in the guide, by
# the line `<!-- swarm-e2e: NAME -->` right before its fenced block).
SW_GUIDE=${SW_GUIDE:-$SW_TOP/doc/swarm.md}
SW_GUIDE_BLOCKS=(config coordinator agent check)

# Everything the suite changes in the guide's blocks, and nothing else: what
# must differ on two nodes that share one machine.  Pairs of the text as the
# guide writes it (a whole word where it begins or ends with one) and what
# replaces it.  Every text must occur in the blocks, so that a guide which
# changes one fails the suite instead of being run half-replaced.
SW_GUIDE_SUBST=(
	# tjd's image, under the name the suite imports it with on each node
	IMAGE "$SW_TJD_IMAGE"
	# host paths: each node's own, which $SW_NODE_DIR is in its dockerd's
	# mount namespace (see node_dockerd_up)
	'src=/var/run/docker.sock,' "src=$SW_NODE_DIR/docker.sock,"
	'src=/run/tjd,' "src=$SW_NODE_DIR/run,"
	'src=/var/lib/docker/swarm/certificates,' "src=$SW_NODE_DIR/certs,"
)

SW_FAILURES=0
SW_PASSES=0

# ---------------------------------------------------------------- output

# Print a progress line.
sw_log() {
	printf '  %s\n' "$*"
}

# Record a failed assertion without stopping the suite.
sw_fail() {
	printf 'FAIL %s\n' "$*"
	SW_FAILURES=$((SW_FAILURES + 1))
}

# Record a passed assertion.
sw_pass() {
	printf 'ok   %s\n' "$*"
	SW_PASSES=$((SW_PASSES + 1))
}

# Stop the suite: something it relies on is broken.
sw_die() {
	printf 'FATAL %s\n' "$*" >&2
	exit 1
}

# Milliseconds since the epoch.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Wait until a command succeeds, up to SECONDS (whole seconds).
# Usage: wait_until SECONDS command...
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- commands

# The docker client talking to node N's dockerd.
# Usage: dkn N ARGS...
dkn() {
	local node=$1
	shift
	"$DOCKER_BIN" -H "unix://$SW_DIR/n$node/docker.sock" "$@"
}

# Run a command in node N's network namespace (nsenter, never `ip netns
# exec`: that remounts /sys and breaks dockerd's cgroup handling), and in
# its dockerd's mount namespace once that runs (where the netns mounts are).
in_node() {
	local node=$1 pid
	shift
	pid=$(pidfile_ours "$SW_DIR/n$node/dockerd.pid")
	if [ -n "$pid" ]; then
		nsenter --net="/run/netns/$SW_NS_PREFIX$node" --mount="/proc/$pid/ns/mnt" -- "$@"
	else
		nsenter --net="/run/netns/$SW_NS_PREFIX$node" -- "$@"
	fi
}

# tjctl talking to node N's tjd.
tjctl_n() {
	local node=$1
	shift
	"$TJCTL_BIN" --socket "$SW_DIR/n$node/node/run/tjd.sock" "$@"
}

# Print the pid stored in FILE if that process still runs and its command
# line names $SW_DIR (a stale pid file must not hit a stranger).
pidfile_ours() {
	local pid
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
	if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$SW_DIR/"; then
		echo "$pid"
	fi
}

# Pids of processes whose command line mentions $SW_DIR/ (dockerd,
# containerd, shims, tjd): found by our unique path, ended by pid.
pids_under_swarm_dir() {
	local proc
	for proc in /proc/[0-9]*; do
		tr "\0" " " 2>/dev/null <"$proc/cmdline" | grep -qF -- "$SW_DIR/" &&
			echo "${proc#/proc/}"
	done
	return 0
}

# Succeed while a process runs (a zombie counts as gone).
process_alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# ---------------------------------------------------------------- environment

# Create node N's namespace and wire it to the bridge namespace.
node_netns_up() {
	local node=$1 ns=$SW_NS_PREFIX$1
	ip netns add "$ns"
	ip link add name "swp$node" netns "$SW_BRIDGE_NS" type veth peer name eth0 netns "$ns"
	ip -n "$SW_BRIDGE_NS" link set "swp$node" master swbr0
	ip -n "$SW_BRIDGE_NS" link set "swp$node" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$SW_UNDERLAY.$node/24" dev eth0
	ip -n "$ns" link set eth0 up
	# Bridged container traffic must reach iptables in the node's namespace.
	in_node "$node" sh -c 'echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables &&
		echo 1 > /proc/sys/net/bridge/bridge-nf-call-ip6tables'
}

# Start node N's dockerd (own UTS namespace for a distinct hostname, own
# trust key and containerd namespace) and wait until it answers.
#
# Both nodes share this machine's filesystem, but a global service mounts
# the same host paths on every node.  So each dockerd gets a mount
# namespace of its own in which $SW_NODE_DIR is the node's own directory
# (tjd's socket under run/, links to the node's swarm certificates and
# Docker socket, and the exec-root): the agents, one global service, each
# see their own node's.  dockerd's mounts (the namespaces under
# exec-root/netns among them) stay in that mount namespace, so the node's
# tjd runs there too.  The directory is a shared mount there, as / is on a
# host booted by systemd, so that the node service may mount the netns
# directory rslave.
node_dockerd_up() {
	local node=$1 dir=$SW_DIR/n$1
	mkdir -p "$dir/run" "$dir/node/run" "$SW_NODE_DIR"
	ln -sfn "$dir/data/swarm/certificates" "$dir/node/certs"
	ln -sfn "$dir/docker.sock" "$dir/node/docker.sock"
	cat >"$dir/daemon.json" <<-JSON
		{
		  "shutdown-timeout": 2,
		  "deprecated-key-path": "$dir/key.json",
		  "containerd-namespace": "$SW_NS_PREFIX$node",
		  "containerd-plugins-namespace": "$SW_NS_PREFIX$node-plugins"
		}
	JSON
	setsid nsenter --net="/run/netns/$SW_NS_PREFIX$node" -- \
		unshare --uts --mount --propagation slave -- \
		sh -c "hostname swnode$node; mount --bind $dir/node $SW_NODE_DIR; \
			mount --make-rshared $SW_NODE_DIR; \
			exec /usr/sbin/dockerd \
			--host unix://$dir/docker.sock \
			--data-root $dir/data \
			--exec-root $SW_NODE_DIR/exec \
			--pidfile $dir/dockerd.pid \
			--config-file $dir/daemon.json" \
		</dev/null >"$dir/dockerd.log" 2>&1 &
}

# Succeed when node N's dockerd answers.
node_answers() {
	dkn "$1" version >/dev/null 2>&1
}

# Build the busybox test image and tjd's image on node N.
node_images() {
	local node=$1 rootfs=$SW_DIR/rootfs
	if [ ! -d "$rootfs" ]; then
		mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp"
		cp /bin/busybox "$rootfs/bin/busybox"
		for applet in sh nc sleep ip ping httpd cat echo printf hostname nslookup ls; do
			ln -s busybox "$rootfs/bin/$applet"
		done
		echo placeholder >"$rootfs/www/index.html"
	fi
	tar -C "$rootfs" -c . | dkn "$node" import - "$SW_IMAGE" >/dev/null
	# tjd's image, imported on each node as one would without a registry
	DOCKER="$DOCKER_BIN" DOCKER_HOST="unix://$SW_DIR/n$node/docker.sock" \
		TJD_BIN="$TJD_BIN" TJCTL_BIN="$TJCTL_BIN" \
		"$SW_TOP/packaging/docker/build-image.sh" "$SW_TJD_IMAGE" >/dev/null
}

# Write node N's tjd configuration: its Docker socket, then the guide's
# section protecting the overlay network.
node_tjd_config() {
	local node=$1 dir=$SW_DIR/n$1
	cat >"$dir/tjd.conf" <<-CONF
		[daemon]
		docker_host = unix://$dir/docker.sock
		poll_interval = 2
	CONF
	printf '%s' "${GUIDE_BLOCK[config]}" >>"$dir/tjd.conf"
}

# Start node N's tjd in the node's namespace; wait until it answers.
node_tjd_up() {
	local node=$1 dir=$SW_DIR/n$1
	[ -f "$dir/tjd.conf" ] || node_tjd_config "$node"
	# nsenter without --fork execs tjd: $! is tjd's pid.
	nsenter --net="/run/netns/$SW_NS_PREFIX$node" \
		--mount="/proc/$(pidfile_ours "$dir/dockerd.pid")/ns/mnt" -- \
		"$TJD_BIN" -f -c "$dir/tjd.conf" --socket "$dir/node/run/tjd.sock" \
		--state-file "$dir/tjd-state.json" </dev/null >>"$dir/tjd.log" 2>&1 &
	echo $! >"$dir/tjd.pid"
	wait_until 15 tjd_ready "$node" || {
		tail -n 20 "$dir/tjd.log" >&2
		sw_die "tjd on node $node did not become ready"
	}
}

# Succeed once node N's tjd reports ready.
tjd_ready() {
	tjctl_n "$1" status --json 2>/dev/null | grep -q '"ready": true'
}

# Stop node N's tjd (rules stay in place).
node_tjd_down() {
	local pid
	pid=$(pidfile_ours "$SW_DIR/n$1/tjd.pid")
	[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
	rm -f "$SW_DIR/n$1/tjd.pid"
}

# Bring up both namespaces, dockerds and images, and form the swarm.
swarm_up() {
	local node token
	[ "$(id -u)" = 0 ] || sw_die "must run as root"
	swarm_down
	mkdir -p "$SW_DIR"
	modprobe br_netfilter 2>/dev/null || true
	[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
		sw_die "br_netfilter is not available in this kernel"
	ip netns add "$SW_BRIDGE_NS"
	ip -n "$SW_BRIDGE_NS" link set lo up
	ip -n "$SW_BRIDGE_NS" link add swbr0 type bridge
	ip -n "$SW_BRIDGE_NS" link set swbr0 up
	for node in 1 2; do
		node_netns_up "$node"
		node_dockerd_up "$node"
	done
	for node in 1 2; do
		wait_until 60 node_answers "$node" || {
			tail -n 20 "$SW_DIR/n$node/dockerd.log" >&2
			sw_die "dockerd of node $node did not answer"
		}
		node_images "$node"
	done
	dkn 1 swarm init --advertise-addr "$SW_UNDERLAY.1" \
		--listen-addr "$SW_UNDERLAY.1:2377" >/dev/null
	token=$(dkn 1 swarm join-token -q worker)
	dkn 2 swarm join --token "$token" --advertise-addr "$SW_UNDERLAY.2" \
		--listen-addr "$SW_UNDERLAY.2:2377" "$SW_UNDERLAY.1:2377" >/dev/null
	wait_until 60 nodes_ready 2 || sw_die "the swarm did not form"
}

# Succeed when node 1 sees COUNT nodes Ready.
nodes_ready() {
	[ "$(dkn 1 node ls --format '{{.Status}}' 2>/dev/null | grep -c Ready)" = "$1" ]
}

# Stop everything swarm_up started and remove its files and namespaces.
# Idempotent; safe after a crash half-way through.
swarm_down() {
	local pidfile pid network_ids=() id mount node ns
	for node in 1 2; do
		node_tjd_down "$node"
		if [ -S "$SW_DIR/n$node/docker.sock" ] && node_answers "$node"; then
			mapfile -t -O "${#network_ids[@]}" network_ids < \
				<(dkn "$node" network ls -q --no-trunc --filter driver=overlay 2>/dev/null)
		fi
	done
	for pidfile in "$SW_DIR"/n*/dockerd.pid; do
		[ -f "$pidfile" ] || continue
		pid=$(pidfile_ours "$pidfile")
		[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
	done
	for _ in $(seq 1 100); do
		[ -z "$(pids_under_swarm_dir)" ] && break
		sleep 0.2
	done
	for pid in $(pids_under_swarm_dir); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ -d "$SW_DIR" ]; then
		while read -r mount; do
			umount -l "$mount" 2>/dev/null || true
		done < <(awk -v dir="$SW_DIR/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo | sort -r)
	fi
	for ns in "${SW_NS_PREFIX}1" "${SW_NS_PREFIX}2" "$SW_BRIDGE_NS"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	# libnetwork writes the load-balancer sandboxes' files under
	# /var/lib/docker/network/files whatever the data-root: remove ours.
	for id in "${network_ids[@]}"; do
		rm -rf "/var/lib/docker/network/files/lb_$id" "/var/lib/docker/network/files/$id"
	done
	rm -rf "$SW_DIR"
}

# ---------------------------------------------------------------- services

# The command every test service runs: an HTTP server answering its hostname.
SW_SERVER='hostname > /www/index.html; exec httpd -f -p 80 -h /www'

# The protected overlay, the allow-listed proxy on node N, and a global
# backend service (one task per node); DNS round-robin endpoints (no IPVS).
services_up() {
	local proxy_node=$1
	dkn 1 network create -d overlay --attachable --subnet "$SW_SUBNET" "$SW_NET" >/dev/null
	dkn 1 service create -q --detach --name proxy --replicas 1 \
		--constraint "node.hostname==swnode$proxy_node" --container-label tjd.allow=true \
		--endpoint-mode dnsrr --network "$SW_NET" --no-resolve-image \
		--stop-grace-period 1s --hostname 'proxy-{{.Node.Hostname}}' \
		"$SW_IMAGE" sh -c "$SW_SERVER" >/dev/null
	dkn 1 service create -q --detach --name backend --mode global \
		--endpoint-mode dnsrr --network "$SW_NET" --no-resolve-image \
		--stop-grace-period 1s --hostname 'backend-{{.Node.Hostname}}' \
		"$SW_IMAGE" sh -c "$SW_SERVER" >/dev/null
}

# ---------------------------------------------------------------- the guide

# The guide's blocks, as the suite runs them (SW_GUIDE_SUBST applied), and
# as the guide writes them.
# shellcheck disable=SC2034 # GUIDE_RAW is for run.sh
declare -A GUIDE_BLOCK GUIDE_RAW

# Read the blocks SW_GUIDE_BLOCKS from the guide into GUIDE_RAW and, with
# SW_GUIDE_SUBST applied, GUIDE_BLOCK.  Dies when a marker is missing or
# doubled, no fenced block follows it, the guide marks a block the suite
# does not run, or a text to replace occurs in no block.
guide_load() {
	local code name
	code=$(python3 - "$SW_GUIDE" "${SW_GUIDE_BLOCKS[*]}" "${SW_GUIDE_SUBST[@]}" <<-'PY'
		import re, shlex, sys
		path, names, pairs = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
		lines = open(path, encoding="utf-8").read().split("\n")

		def fail(why):
		    sys.exit(f"{path}: {why}")

		raw = {}
		for name in names:
		    marker = f"<!-- swarm-e2e: {name} -->"
		    at = [i for i, line in enumerate(lines) if line.strip() == marker]
		    if len(at) != 1:
		        fail(f"{len(at)} lines {marker} (the suite runs the block after the one such line)")
		    start = at[0] + 1
		    if start >= len(lines) or not re.fullmatch(r"```[a-z]*", lines[start]):
		        fail(f"no fenced block right after {marker}")
		    try:
		        end = lines.index("```", start + 1)
		    except ValueError:
		        fail(f"the block after {marker} is not closed")
		    raw[name] = "".join(line + "\n" for line in lines[start + 1:end])
		for line in lines:
		    m = re.search(r"<!-- swarm-e2e: (\S+) -->", line)
		    if m and m.group(1) not in names:
		        fail(f"block {m.group(1)} is marked, but the suite does not run it")
		run = dict(raw)
		for old, new in zip(pairs[::2], pairs[1::2]):
		    pattern = re.escape(old)
		    if re.match(r"\w", old):
		        pattern = r"(?<!\w)" + pattern
		    if re.search(r"\w$", old):
		        pattern += r"(?!\w)"
		    hits = 0
		    for name in run:
		        run[name], n = re.subn(pattern, lambda _: new, run[name])
		        hits += n
		    if hits == 0:
		        fail(f"{old!r}, which the suite replaces, occurs in none of its blocks")
		for name in names:
		    print(f"GUIDE_RAW[{name}]={shlex.quote(raw[name])}")
		    print(f"GUIDE_BLOCK[{name}]={shlex.quote(run[name])}")
	PY
	) || sw_die "the guide's blocks cannot be run (above)"
	eval "$code"
	for name in coordinator agent check; do
		bash -n <<<"${GUIDE_BLOCK[$name]}" || sw_die "the guide's block \"$name\" does not parse"
	done
	grep -qxF "[network $SW_NET]" <<<"${GUIDE_BLOCK[config]}" ||
		sw_die "the guide's block \"config\" does not protect the suite's network $SW_NET"
}

# Run the guide's shell block NAME against the manager, as written but for
# SW_GUIDE_SUBST; die if a command fails.  `docker` is node 1's.
guide_run() {
	local log=$SW_DIR/guide-$1.log
	if ! DOCKER_HOST="unix://$SW_DIR/n1/docker.sock" timeout 120 \
		bash -euo pipefail -c "${GUIDE_BLOCK[$1]}" >"$log" 2>&1; then
		sed 's/^/  | /' "$log" >&2
		sw_die "the guide's block \"$1\" failed"
	fi
}

# Run the guide's block "check" on the manager, as root there would: in
# node 1's namespaces with tjd's socket directory at /run/tjd (a private
# mount namespace over node 1's directory) and the built tjctl first in
# PATH.  Prints what it printed; fails if a command fails.
guide_check() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	in_node 1 unshare --mount -- sh -c 'mount -t tmpfs tmpfs /run && mkdir /run/tjd &&
		mount --bind "$1/run" /run/tjd && PATH="$2:$PATH" exec bash -euo pipefail -c "$3"' \
		sh "$SW_NODE_DIR" "$(dirname "$TJCTL_BIN")" "${GUIDE_BLOCK[check]}" 2>&1
}

# The coordinator (on the manager) and the agents (global), with the
# guide's commands (guide_load): tjd's image, the node's tjd socket
# directory and swarm certificates mounted from $SW_NODE_DIR, each node's
# own directory in its dockerd's mount namespace.
coordination_up() {
	guide_run coordinator
	guide_run agent
}

# The example of the by-hand services in tjctl(8), SWARM, roff escapes undone.
man_by_hand() {
	awk '/^By hand/ { on = 1 } on && /^\.EX/ { ex = 1; next } ex && /^\.EE/ { exit } ex' \
		"$SW_TOP/man/tjctl.8" | sed -e 's/\\-/-/g' -e 's/\\e/\\/g'
}

# TrafficJam's one command, with tjd's image: the controller on the manager,
# which starts the coordinator and the node service itself.  The SWARM_*
# paths are this suite's per-node ones ($SW_NODE_DIR in each dockerd's
# mount namespace); in production they are left at their defaults.
deploy_up() {
	dkn 1 service create -q --detach --name "$SW_DEPLOY" \
		--mount "type=bind,source=$SW_NODE_DIR/docker.sock,destination=/var/run/docker.sock" \
		--env NETWORK="$SW_NET" --env WHITELIST_FILTER=label=tjd.allow=true \
		--env SWARM_DAEMON=true --env POLL_INTERVAL=2 \
		--env SWARM_DOCKER_SOCK="$SW_NODE_DIR/docker.sock" \
		--env SWARM_NETNS_DIR="$SW_NODE_DIR/exec/netns" \
		--env SWARM_CERTS_DIR="$SW_NODE_DIR/certs" \
		--env SWARM_RUN_DIR="$SW_NODE_DIR/run" --env SWARM_INTERVAL=0.5 \
		--replicas 1 --constraint node.role==manager --no-resolve-image \
		--stop-grace-period 30s "$SW_TJD_IMAGE" >/dev/null
}

# Succeed when COUNT tasks of SERVICE run.
service_running() {
	[ "$(dkn 1 service ps "$1" --filter desired-state=running \
		--format '{{.CurrentState}}' 2>/dev/null | grep -c '^Running')" = "$2" ]
}

# The id of the running container of SERVICE on node N.
task_container() {
	dkn "$2" ps -q --filter "label=com.docker.swarm.service.name=$1" | head -n 1
}

# The address of a container on the protected network.
container_ip() {
	dkn "$1" inspect -f "{{(index .NetworkSettings.Networks \"$SW_NET\").IPAddress}}" "$2"
}

# Succeed when the container on node N opens TCP to HOST:80 and the server
# answers with a name matching PATTERN.
# Usage: reaches N CONTAINER HOST PATTERN
reaches() {
	local reply
	reply=$(dkn "$1" exec "$2" sh -c \
		"printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $3 80" 2>/dev/null) || true
	[[ $reply == *$4* ]]
}

# The negation of reaches.
blocked() {
	! reaches "$@"
}
