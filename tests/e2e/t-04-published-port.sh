#!/bin/bash
# With tjd (allow_host_traffic = no), b1 cannot use the port b2 publishes on
# the host (-p 8080:80): not via the network's gateway (IPv4 or IPv6), not via
# the host's other address.  The host can still open connections to them.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

TARGETS=("$WEB_V4_GW" "$WEB_V6_GW" "$HOST_SIDE_V4")

test_begin
topology_up
e2e_log "before tjd"
for target in "${TARGETS[@]}"; do
	expect_tcp reach b1 "$target" "$PUBLISHED_PORT" b2
done
tjd_config_write
tjd_start
e2e_log "with tjd"
for target in "${TARGETS[@]}"; do
	expect_tcp blocked b1 "$target" "$PUBLISHED_PORT" b2
done
expect_true "the host still reaches b1 [$B1_V4]:80" host_tcp_reaches "$B1_V4" 80 b1
expect_true "the host still reaches b2 [$B2_V6]:80" host_tcp_reaches "$B2_V6" 80 b2
expect_true "the host still reaches its own published port [$HOST_SIDE_V4]:$PUBLISHED_PORT" \
	host_tcp_reaches "$HOST_SIDE_V4" "$PUBLISHED_PORT" b2
test_end
