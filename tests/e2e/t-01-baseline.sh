#!/bin/bash
# backends: iptables
# Without tjd everyone reaches everyone.  This proves that the probes work, so
# that a "blocked" result in a later test means tjd blocked it and not that
# the probe was broken.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

test_begin
topology_up
other_topology_up

e2e_log "protected network, before tjd: every pair, both families"
for pair in "proxy b1 $B1_V4 $B1_V6" "proxy b2 $B2_V4 $B2_V6" \
	"b1 b2 $B2_V4 $B2_V6" "b2 b1 $B1_V4 $B1_V6" \
	"b1 proxy $PROXY_V4 $PROXY_V6"; do
	read -r source target v4 v6 <<<"$pair"
	expect_tcp reach "$source" "$v4" 80 "$target"
	expect_tcp reach "$source" "$v6" 80 "$target"
	expect_ping reach "$source" "$v4" "$target"
	expect_ping reach "$source" "$v6" "$target"
done

e2e_log "host-published port of b2, from b1"
expect_tcp reach b1 "$WEB_V4_GW" "$PUBLISHED_PORT" b2
expect_tcp reach b1 "$WEB_V6_GW" "$PUBLISHED_PORT" b2
expect_tcp reach b1 "$HOST_SIDE_V4" "$PUBLISHED_PORT" b2

e2e_log "outside world and the unprotected network"
expect_tcp reach b1 "$OUTSIDE_V4" 80 outside
expect_tcp reach o1 "$O2_V4" 80 o2
expect_ping reach o2 "$O1_V4" o1

test_end
