#!/bin/bash
# tjctl explain agrees with real connection attempts for every pair of the
# topology's matrix, both directions: the proxy, b1, b2 and the host (a
# server on the host answers on HOST_PORT).  Every pair first connects
# without tjd; with tjd, explain's verdict (exit status 0 allowed, 1
# blocked) must be what the real attempt meets, and its words must name
# the rule that decides.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HOST_PORT=8099
PARTIES=(proxy b1 b2 host)

# The address and port a party is reached at.
party_address() {
	case $1 in
	proxy) echo "$PROXY_V4" ;;
	b1) echo "$B1_V4" ;;
	b2) echo "$B2_V4" ;;
	host) echo "$WEB_V4_GW" ;;
	esac
}
party_port() {
	if [ "$1" = host ]; then echo "$HOST_PORT"; else echo 80; fi
}

# Succeed when FROM opens a connection to TO (and TO's server answers).
attempt() {
	local from=$1 to=$2 address port
	address=$(party_address "$to")
	port=$(party_port "$to")
	if [ "$from" = host ]; then
		host_tcp_reaches "$address" "$port" "$to"
	else
		tcp_reaches "$from" "$address" "$port" "$to"
	fi
}

test_begin
topology_up
mkdir -p "$E2E_DIR/t62-www"
echo "tjd-e2e:host" >"$E2E_DIR/t62-www/index.html"
in_ns /bin/busybox httpd -f -p "$HOST_PORT" -h "$E2E_DIR/t62-www" </dev/null >/dev/null 2>&1 9>&- &
host_server=$!
on_cleanup "kill $host_server 2>/dev/null"
wait_until 5 host_tcp_reaches "$WEB_V4_GW" "$HOST_PORT" host || e2e_die "the host's server does not answer"

e2e_log "without tjd: every pair connects"
for from in "${PARTIES[@]}"; do
	for to in "${PARTIES[@]}"; do
		[ "$from" != "$to" ] || continue
		expect_true "$from -> $to connects" attempt "$from" "$to"
	done
done

tjd_config_write
tjd_start
e2e_log "with tjd: explain agrees with every attempt"
for from in "${PARTIES[@]}"; do
	for to in "${PARTIES[@]}"; do
		[ "$from" != "$to" ] || continue
		real=allowed
		attempt "$from" "$to" || real=blocked
		rc=0
		words=$(tjctl explain "$from" "$to" "tcp/$(party_port "$to")") || rc=$?
		said=allowed
		[ "$rc" = 0 ] || said=blocked
		[ "$rc" = 0 ] || [ "$rc" = 1 ] || said="error $rc"
		expect_equal "$from -> $to: explain says \"$words\"; the attempt was $real" "$real" "$said"
	done
done

e2e_log "the words name the deciding rule"
words=$(tjctl explain b1 b2 tcp/80 || true)
expect_true "b1 -> b2: \"$words\"" grep -qF \
	"blocked: both on $WEB_NET, b1 is not allow-listed (allow = label=tjd.allow=true)" <<<"$words"
words=$(tjctl explain proxy b1 tcp/80 || true)
expect_true "proxy -> b1: \"$words\"" grep -qF "allowed: proxy is allow-listed on $WEB_NET" <<<"$words"
words=$(tjctl explain b1 host tcp/$HOST_PORT || true)
expect_true "b1 -> host: \"$words\"" grep -qF "blocked: $WEB_NET is closed to the host" <<<"$words"
words=$(tjctl explain "$B1_V4" "$B2_V4" tcp/80 || true)
expect_true "by address: \"$words\"" grep -qF "b1 is not allow-listed" <<<"$words"
rc=0
tjctl explain nosuch b1 >/dev/null 2>&1 || rc=$?
expect_equal "an unknown container: exit status" 1 "$rc"
rc=0
tjctl explain b1 b2 tcp/99999 >/dev/null 2>&1 || rc=$?
expect_equal "a port out of range: exit status" 2 "$rc"
test_end
