#!/bin/bash
# What tjd costs while nothing happens: CPU per minute and memory, for both
# backends, next to another version of tjd measured in the same run.
#
# Usage: tests/bench/idle.sh [REF] (as root; default REF: HEAD~1)
#   IDLE_SECONDS   measuring window per run (default 60)
#
# A private dockerd (tests/e2e/lib.sh, namespace tjdbench) runs five
# containers: a protected dual-stack network with an allow-listed proxy and
# two backends, and an unprotected network with two more.  tjd runs with
# the default configuration (poll_interval 5) and Docker's event stream
# healthy.  CPU time is read from /proc/PID/task/*/schedstat (nanoseconds,
# not clock ticks); memory from /proc/PID/status and smaps_rollup.  Prints
# figures, asserts nothing.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
REF=${1:-HEAD~1}
IDLE_SECONDS=${IDLE_SECONDS:-60}
export E2E_NS=${E2E_NS:-tjdbench}
export E2E_DIR=${E2E_DIR:-/tmp/tjd-bench}
# shellcheck source=../e2e/lib.sh
source "$TOP/tests/e2e/lib.sh"
BASE_TREE=/tmp/tjd-bench-base

# Builds REF in a throw-away worktree; prints the path of its tjd.
base_build() {
	rm -rf "$BASE_TREE"
	git -C "$TOP" worktree prune
	git -C "$TOP" worktree add -q --detach "$BASE_TREE" "$REF" >&2
	"$BASE_TREE/scripts/build.sh" >&2
	echo "$BASE_TREE/tjd/tjd"
}

# A field of /proc/PID/status or smaps_rollup, in kB.
memory_kb() {
	local pid=$1 file=$2 field=$3
	awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/$file"
}

# One measurement: tjd binary, backend; prints a table row.
measure() {
	local label=$1 binary=$2 backend=$3 pid before after ms rss anon file private
	TJD_BIN=$binary E2E_BACKEND=$backend tjd_start
	pid=$E2E_TJD_PID
	sleep 3
	before=$(cpu_ns "$pid")
	sleep "$IDLE_SECONDS"
	after=$(cpu_ns "$pid")
	ms=$(awk -v d="$((after - before))" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.1f", d / 1e6 * 60 / s }')
	rss=$(memory_kb "$pid" status VmRSS)
	anon=$(memory_kb "$pid" status RssAnon)
	file=$(memory_kb "$pid" status RssFile)
	private=$(($(memory_kb "$pid" smaps_rollup Private_Clean) + $(memory_kb "$pid" smaps_rollup Private_Dirty)))
	printf '%-9s %-14s %10s %9s %8s %8s %8s %8s\n' "$backend" "$label" "$ms" \
		"$(awk -v m="$ms" 'BEGIN { printf "%.4f", m / 600 }')" "$rss" "$anon" "$file" "$private"
	tjd_signal_and_wait TERM
	TJD_BIN=$binary tjd_clear_offline >/dev/null 2>&1 || true
}

main() {
	local base current=$TOP/tjd/tjd backend
	[ "$(id -u)" = 0 ] || { echo "idle.sh: must run as root" >&2; exit 1; }
	"$TOP/scripts/build.sh" >&2
	base=$(base_build)
	trap 'exit 130' INT
	trap 'exit 143' TERM
	env_lock
	trap 'tjd_kill_leftover; env_down; env_unlock; git -C "$TOP" worktree remove --force "$BASE_TREE" 2>/dev/null || true' EXIT
	env_up
	topology_up
	other_topology_up
	rm -f "$TJD_CONF"
	echo "idle cost over ${IDLE_SECONDS} s, 5 containers, poll_interval 5;" \
		"$REF = $(git -C "$TOP" rev-parse --short "$REF"), this tree = $(git -C "$TOP" rev-parse --short HEAD)$(git -C "$TOP" diff --quiet HEAD || echo +changes)"
	printf '%-9s %-14s %10s %9s %8s %8s %8s %8s\n' backend version "cpu ms/min" "% core" \
		"rss kB" "anon kB" "file kB" "priv kB"
	for backend in nftables iptables; do
		measure "$REF" "$base" "$backend"
		measure "this tree" "$current" "$backend"
	done
}

main "$@"
