#!/bin/bash
# The drop log's cost: tjd's CPU time per 10,000 dropped packets, with the
# drop log on (drop_log = yes, the default) and off, and what the flooding
# side achieves (packets a second) either way.  Prints figures, asserts
# nothing.
#
# Usage: tests/bench/droplog.sh (as root)
#   BENCH_SECONDS  length of each flood (default 10)
#   BENCH_ROUNDS   floods per setting (default 3)
#   BENCH_BACKEND  nftables (default) or iptables
#
# A private dockerd (tests/e2e/lib.sh, namespace tjdbench) with the e2e
# topology; b1 floods b2 with TCP SYNs from a raw socket (tests/e2e/flood.py),
# each a new connection attempt that tjd's isolation drops.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
export E2E_BACKEND=${BENCH_BACKEND:-nftables}
export E2E_NS=${E2E_NS:-tjdbench}
export E2E_DIR=${E2E_DIR:-/tmp/tjd-bench}
# shellcheck source=../e2e/lib.sh
source "$TOP/tests/e2e/lib.sh"

# One setting: tjd with drop_log = $1; prints a line per flood.
setting() {
	local log=$1 round before after packets
	tjd_config_write
	sed -i "s/^\[daemon\]\$/[daemon]\ndrop_log = $log/" "$TJD_CONF"
	tjd_start
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		before=$(cpu_ns "$E2E_TJD_PID")
		packets=$(nsenter --net="/proc/$(container_pid b1)/ns/net" -- /usr/bin/python3 \
			"$TOP/tests/e2e/flood.py" "$B1_V4" "$B2_V4" 80 "$BENCH_SECONDS")
		after=$(cpu_ns "$E2E_TJD_PID")
		awk -v setting="$log" -v p="$packets" -v s="$BENCH_SECONDS" -v ns="$((after - before))" \
			'BEGIN { printf "drop_log = %-3s  %9d packets dropped (%7.0f/s)  tjd CPU %7.1f ms  %.3f ms per 10,000\n",
				setting, p, p / s, ns / 1e6, p ? ns / 1e6 * 10000 / p : 0 }'
	done
	tjd_signal_and_wait TERM
	tjd_clear_offline
}

main() {
	[ "$(id -u)" = 0 ] || { echo "droplog.sh: must run as root" >&2; exit 1; }
	"$TOP/scripts/build.sh" >&2
	trap 'exit 130' INT
	trap 'exit 143' TERM
	env_lock
	trap 'tjd_kill_leftover; env_down; env_unlock' EXIT
	env_up
	topology_up
	echo "drop log cost, backend $E2E_BACKEND, tree $(git -C "$TOP" rev-parse --short HEAD)," \
		"$BENCH_ROUNDS floods of $BENCH_SECONDS s each"
	setting yes
	setting no
}

main "$@"
