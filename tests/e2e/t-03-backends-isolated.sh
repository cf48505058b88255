#!/bin/bash
# With tjd, backends cannot open connections to each other in either
# direction, nor to the proxy: TCP and ping, IPv4 and IPv6.  Every probe is
# first shown to work without tjd, so "blocked" means tjd blocked it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PAIRS=("b1 b2 $B2_V4 $B2_V6" "b2 b1 $B1_V4 $B1_V6" "b1 proxy $PROXY_V4 $PROXY_V6")

# Check every pair with every probe, expecting WANT (reach or blocked).
check_pairs() {
	local want=$1 pair source target v4 v6
	for pair in "${PAIRS[@]}"; do
		read -r source target v4 v6 <<<"$pair"
		expect_tcp "$want" "$source" "$v4" 80 "$target"
		expect_tcp "$want" "$source" "$v6" 80 "$target"
		expect_ping "$want" "$source" "$v4" "$target"
		expect_ping "$want" "$source" "$v6" "$target"
	done
}

test_begin
topology_up
e2e_log "before tjd"
check_pairs reach
tjd_config_write
tjd_start
e2e_log "with tjd"
check_pairs blocked
e2e_log "the network still works for the proxy"
expect_tcp reach proxy "$B1_V4" 80 b1
expect_tcp reach proxy "$B2_V6" 80 b2
# The blocked attempts above were counted by tjd's drop rules (both backends).
dropped=$(status_query 's["networks"][0].get("dropped_packets", 0)')
echo "  RESULT [$E2E_BACKEND] status counts $dropped dropped packets on $WEB_NET"
expect_true "tjctl status shows dropped packets ($dropped)" test "$dropped" -gt 0
test_end
