#!/bin/bash
# Containers' own firewalls: how soon after `docker run` returns tjd has a
# labelled container's rules in place, and what a container that connects
# at once gets through before they are.
#
# Usage: tests/bench/containers.sh (as root)
#   BENCH_COUNTS   how many labelled containers start at once (default "1 10 100")
#   BENCH_STARTS   starts for the start-up window (default 20)
#   BENCH_BACKEND  nftables (default) or iptables
#
# A private dockerd (tests/e2e/lib.sh, namespace tjdbench) with a bridge
# network.  1. For each count, that many containers labelled
# dcfw.enable=true / dcfw.output.policy=deny start at once (docker run -d in
# parallel); for each, the time from its `docker run` returning to tjctl
# status reporting its rules enforced; median and max, and tjd's CPU time
# over the whole batch.  2. The start-up window: a container with the same
# labels whose entrypoint at once starts, every 25 ms for 1 s, a connection
# its labels deny; first without tjd (every attempt connects: the control),
# then BENCH_STARTS times with tjd; prints how many starts leaked and how
# many attempts got through.  Prints figures, asserts nothing.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_COUNTS=${BENCH_COUNTS:-1 10 100}
BENCH_STARTS=${BENCH_STARTS:-20}
export E2E_BACKEND=${BENCH_BACKEND:-nftables}
export E2E_NS=${E2E_NS:-tjdbench}
export E2E_DIR=${E2E_DIR:-/tmp/tjd-bench}
# shellcheck source=../e2e/lib.sh
source "$TOP/tests/e2e/lib.sh"

NET=bench_apps
SERVER_V4=172.28.0.2

# Prints the names of the containers tjctl status reports enforced, one a line.
enforced_names() {
	tjctl status --json | python3 -c '
import json, sys
for c in json.load(sys.stdin).get("containers", []):
    if c["enforced"]:
        print(c["name"])
'
}

# Starts COUNT labelled containers at once; prints median and max ms from
# each `docker run` returning to its rules enforced, and tjd's CPU time.
batch() {
	local count=$1 i before after pending name returned runs=()
	declare -A enforced_at=()
	before=$(cpu_ns "$E2E_TJD_PID")
	mkdir -p "$E2E_DIR/batch"
	rm -f "$E2E_DIR/batch/"*
	for ((i = 0; i < count; i++)); do
		(
			dk run -d --name "lab$i" --network "$NET" --label dcfw.enable=true \
				--label dcfw.output.policy=deny "$IMAGE" sleep 600 >/dev/null
			now_ms >"$E2E_DIR/batch/lab$i"
		) &
		runs+=($!)
	done
	pending=$count
	while [ "$pending" -gt 0 ]; do
		while read -r name; do
			[ -n "$name" ] && [ -z "${enforced_at[$name]:-}" ] || continue
			enforced_at[$name]=$(now_ms)
		done < <(enforced_names)
		pending=0
		for ((i = 0; i < count; i++)); do
			[ -n "${enforced_at[lab$i]:-}" ] || pending=$((pending + 1))
		done
		sleep 0.02
	done
	# (not a bare wait: tjd is a child of this shell too)
	wait "${runs[@]}"
	after=$(cpu_ns "$E2E_TJD_PID")
	for ((i = 0; i < count; i++)); do
		returned=$(cat "$E2E_DIR/batch/lab$i")
		echo $((enforced_at[lab$i] - returned))
	done | sort -n | awk -v n="$count" -v cpu="$((after - before))" '
		{ v[NR] = $1 }
		END {
			m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%5d containers: docker run returned -> rules enforced: median %d ms, max %d ms" \
				" (negative: before it returned); tjd CPU %.1f ms\n", n, m, v[n], cpu / 1e6
		}'
	for ((i = 0; i < count; i++)); do
		dk rm -f "lab$i" >/dev/null
	done
}

# One start of the eager container; prints how many of its attempts connected.
eager_start() {
	local name=$1 count
	dk run -d --name "$name" --network "$NET" --label dcfw.enable=true \
		--label dcfw.output.policy=deny "$IMAGE" sh -c "i=0; while [ \$i -lt 40 ]; do
			( printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $SERVER_V4 80 | grep -q tjd-e2e &&
				echo through ) &
			i=\$((i + 1)); usleep 25000; done; wait; echo done" >/dev/null
	wait_until 10 eval "dk logs $name 2>/dev/null | grep -q done" || true
	count=$(dk logs "$name" 2>/dev/null | grep -c through || true)
	dk rm -f "$name" >/dev/null
	echo "$count"
}

main() {
	local leaks=0 through=0 n count
	[ "$(id -u)" = 0 ] || { echo "containers.sh: must run as root" >&2; exit 1; }
	"$TOP/scripts/build.sh" >&2
	trap 'exit 130' INT
	trap 'exit 143' TERM
	env_lock
	trap 'tjd_kill_leftover; env_down; env_unlock' EXIT
	env_up
	dk network create --subnet 172.28.0.0/24 "$NET" >/dev/null
	server_run server "$NET" --ip "$SERVER_V4"
	rm -f "$TJD_CONF"
	echo "containers' own firewalls, backend $E2E_BACKEND, tree $(git -C "$TOP" rev-parse --short HEAD)"
	count=$(eager_start eager-control)
	echo "start-up window control, without tjd: $count of 40 attempts connected"
	tjd_start
	for n in $BENCH_COUNTS; do
		batch "$n"
	done
	for ((n = 0; n < BENCH_STARTS; n++)); do
		count=$(eager_start "eager$n")
		through=$((through + count))
		[ "$count" -eq 0 ] || leaks=$((leaks + 1))
	done
	echo "start-up window: $leaks of $BENCH_STARTS starts leaked; $through of" \
		"$((BENCH_STARTS * 40)) attempts connected"
	tjd_signal_and_wait TERM
	tjd_clear_offline >/dev/null 2>&1 || true
}

main "$@"
