#!/bin/bash
# The drop log: a connection tjd blocks shows in tjd's log within a second,
# in the user's words, with both containers' names and addresses, the
# network, the protocol and port, and why: b1 opening b2 is "b1 is not
# allow-listed", b1 opening a port on the host is "closed to the host", over
# IPv4 and IPv6.  Each attempt first connects without tjd.  The proxy's
# allowed connections log nothing.  `tjctl log --json` has the same
# entries (both names, the network, the port), filtered by network and
# container, and `tjctl log -f` follows new ones as they come.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Succeed when tjd's log has a line containing TEXT.
logged() {
	grep -qF -- "$1" "$TJD_LOG"
}

# Succeed when a JSON line on stdin (tjctl log --json) has these fields:
# KIND SRC_NAME DST_NAME PORT [SRC_ADDRESS].
has_entry() {
	python3 -c '
import json, sys
kind, src, dst, port = sys.argv[1:5]
address = sys.argv[5] if len(sys.argv) > 5 else None
for line in sys.stdin:
    e = json.loads(line)
    if (e["kind"] == kind and e["src_name"] == src and e["dst_name"] == dst
            and e["port"] == int(port) and e["network"] == "'"$WEB_NET"'"
            and (address is None or e["src_address"] == address)):
        sys.exit(0)
sys.exit(1)
' "$@"
}

# Succeed when `tjctl log --json ARGS...` has the entry (has_entry's fields first).
log_has() {
	local fields=("$1" "$2" "$3" "$4")
	shift 4
	tjctl log --json "$@" | has_entry "${fields[@]}"
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

e2e_log "tjctl log --json: the same entries, filtered"
expect_true "b1 -> b2 tcp/80 (IPv4)" log_has isolation b1 b2 80
expect_true "b1 -> host tcp/$PUBLISHED_PORT as no-host" log_has no-host b1 host "$PUBLISHED_PORT"
expect_true "--network $WEB_NET keeps it" log_has isolation b1 b2 80 --network "$WEB_NET"
no_entry_for_network() { ! log_has isolation b1 b2 80 --network "$OTHER_NET"; }
expect_true "--network $OTHER_NET leaves it out" no_entry_for_network
expect_true "--container b2 keeps it" log_has isolation b1 b2 80 --container b2
no_entry_for_proxy() { ! log_has isolation b1 b2 80 --container proxy; }
expect_true "--container proxy leaves it out" no_entry_for_proxy
text=$(tjctl log --network "$WEB_NET")
expect_true "the text form reads at a glance" grep -qE \
	"^[0-9]{2}:[0-9]{2}:[0-9]{2} $WEB_NET b1 \($B1_V4\) -> b2 \($B2_V4\) tcp/80 blocked: b1 is not allow-listed\$" <<<"$text"

e2e_log "tjctl log -f follows what comes next"
FOLLOW_OUT=$E2E_DIR/t61-follow.out
tjctl log -f --json --container b2 >"$FOLLOW_OUT" 2>&1 &
follow_pid=$!
on_cleanup "kill $follow_pid 2>/dev/null"
sleep 0.5
expect_tcp blocked b1 "$B2_V4" 81 b2
follow_has() { has_entry isolation b1 b2 81 "$B1_V4" <"$FOLLOW_OUT"; }
expect_true "the new attempt (port 81) shows within 1 s" wait_until 1 follow_has
kill "$follow_pid" 2>/dev/null || true

e2e_log "the proxy's allowed connections log nothing"
lines_before=$(grep -c 'blocked:' "$TJD_LOG" || true)
expect_tcp reach proxy "$B1_V4" 80 b1
expect_tcp reach proxy "$B2_V6" 80 b2
sleep 0.5
expect_equal "blocked lines after the proxy's connections" "$lines_before" \
	"$(grep -c 'blocked:' "$TJD_LOG" || true)"
test_end
