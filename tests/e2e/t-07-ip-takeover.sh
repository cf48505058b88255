#!/bin/bash
# IP takeover: an allow-listed container with a fixed address connects; it is
# removed and a container WITHOUT the label immediately takes the same IPv4
# and IPv6 addresses.  The newcomer must get nothing, not even in the
# moment before tjd has seen the events: it probes b1 every 50 ms from its
# first moment and records any success.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

TAKEN_V4=172.30.0.50
TAKEN_V6=fd00:30::50

# For busybox sh in the newcomer: probe for about 3 s, note any success.
BREACH_LOOP="for i in \$(seq 60); do
	( if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $B1_V4 80 | grep -q tjd-e2e:b1; then
		echo v4 >> /breach; fi ) &
	( if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $B1_V6 80 | grep -q tjd-e2e:b1; then
		echo v6 >> /breach; fi ) &
	usleep 50000
done
touch /done
exec sleep 1000000"

# Succeed once the newcomer's probe loop has finished.
loop_done() {
	dk exec newcomer test -e /done 2>/dev/null
}

test_begin
topology_up
tjd_config_write
tjd_start

server_run trusted "$WEB_NET" --ip "$TAKEN_V4" --ip6 "$TAKEN_V6" --label tjd.allow=true
if wait_until 5 tcp_reaches trusted "$B1_V4" 80 b1; then
	e2e_pass "allow-listed 'trusted' at $TAKEN_V4 reaches b1"
else
	e2e_fail "allow-listed 'trusted' at $TAKEN_V4 never reached b1"
fi
expect_tcp reach trusted "$B1_V6" 80 b1

dk rm -f trusted >/dev/null
dk run -d --name newcomer --network "$WEB_NET" --ip "$TAKEN_V4" --ip6 "$TAKEN_V6" \
	--stop-timeout 1 "$IMAGE" sh -c "$BREACH_LOOP" >/dev/null
e2e_log "newcomer (no label) now holds $TAKEN_V4 and $TAKEN_V6"
expect_tcp blocked newcomer "$B1_V4" 80 b1
expect_tcp blocked newcomer "$B1_V6" 80 b1
expect_ping blocked newcomer "$B1_V4" b1
wait_until 10 loop_done || e2e_fail "newcomer's probe loop did not finish"
breaches=$(dk exec newcomer cat /breach 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ') || breaches=
if [ -z "$breaches" ]; then
	e2e_pass "none of the newcomer's 120 probes in its first 3 s got through"
else
	e2e_fail "the newcomer got through to b1: $breaches"
fi
test_end
