#!/bin/bash
# The drop log: a connection tjd blocks shows in tjd's log within a second,
# in the user's words, with both containers' names and addresses, the
# network, the protocol and port, and why: b1 opening b2 is "b1 is not
# allow-listed", b1 opening a port on the host is "closed to the host", over
# IPv4 and IPv6.  Each attempt first connects without tjd.  The proxy's
# allowed connections log nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Succeed when tjd's log has a line containing TEXT.
logged() {
	grep -qF -- "$1" "$TJD_LOG"
}

test_begin
topology_up
e2e_log "without tjd: b1 reaches b2"
expect_tcp reach b1 "$B2_V4" 80 b2
expect_tcp reach b1 "$B2_V6" 80 b2
tjd_config_write
tjd_start

e2e_log "b1 opens b2: blocked, and logged with both names"
expect_tcp blocked b1 "$B2_V4" 80 b2
expect_true "logged within 1 s" wait_until 1 logged \
	"$WEB_NET b1 ($B1_V4) -> b2 ($B2_V4) tcp/80 blocked: b1 is not allow-listed"
expect_tcp blocked b1 "$B2_V6" 80 b2
expect_true "the IPv6 attempt too" wait_until 1 logged \
	"$WEB_NET b1 ($B1_V6) -> b2 ($B2_V6) tcp/80 blocked: b1 is not allow-listed"

e2e_log "b1 opens a port on the host: blocked as no-host"
expect_tcp blocked b1 "$WEB_V4_GW" "$PUBLISHED_PORT" host
expect_true "logged as closed to the host" wait_until 1 logged \
	"$WEB_NET b1 ($B1_V4) -> host ($WEB_V4_GW) tcp/$PUBLISHED_PORT blocked: $WEB_NET is closed to the host"

e2e_log "the proxy's allowed connections log nothing"
lines_before=$(grep -c 'blocked:' "$TJD_LOG" || true)
expect_tcp reach proxy "$B1_V4" 80 b1
expect_tcp reach proxy "$B2_V6" 80 b2
sleep 0.5
expect_equal "blocked lines after the proxy's connections" "$lines_before" \
	"$(grep -c 'blocked:' "$TJD_LOG" || true)"
test_end
