#!/bin/bash
# tjd leaves networks it does not protect alone, and traffic from a
# protected network to the outside world still flows.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

test_begin
topology_up
other_topology_up
tjd_config_write
tjd_start
e2e_log "unprotected network $OTHER_NET, with tjd running"
expect_tcp reach o1 "$O2_V4" 80 o2
expect_tcp reach o2 "$O1_V4" 80 o1
expect_ping reach o1 "$O2_V4" o2
expect_ping reach o2 "$O1_V4" o1
if in_ns iptables-legacy-save | grep -qF -- "${OTHER_V4_SUBNET%.*}."; then
	e2e_fail "a tjd rule mentions the unprotected network's addresses"
else
	e2e_pass "no tjd rule mentions the unprotected network's addresses"
fi
e2e_log "protected backend to the outside world"
expect_tcp reach b1 "$OUTSIDE_V4" 80 outside
expect_tcp reach b2 "$OUTSIDE_V4" 80 outside
test_end
