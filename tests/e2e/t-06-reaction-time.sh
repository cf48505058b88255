#!/bin/bash
# A newly started allow-listed container gets through within 1 s of
# `docker run` returning.  The new container probes b1 from its very first
# moment, a new probe every 50 ms, and stamps its first success with the
# kernel's uptime clock, which the host reads too.  A container without the
# label runs the same loop at the same time and must never get through, which
# shows that the loop does not succeed on its own.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SAMPLES=3
LIMIT_MS=1000

# The probe loop, for busybox sh inside the container.  Each probe runs in the
# background so that a dropped SYN (nc waits up to 1 s) does not delay the
# next one; the first success records the time.
PROBE_LOOP="while [ ! -e /ok ]; do
	( if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $B1_V4 80 | grep -q tjd-e2e:b1 &&
		mkdir /won 2>/dev/null; then
		cat /proc/uptime > /ok.tmp; mv /ok.tmp /ok
	fi ) &
	usleep 50000
done
exec sleep 1000000"

# Milliseconds on the kernel's uptime clock, from a /proc/uptime line.
uptime_ms() {
	local seconds=${1%% *}
	echo $((10#${seconds%.*} * 1000 + 10#${seconds#*.} * 10))
}

# Print the uptime (ms) at which CONTAINER first got through, once it has.
first_success_ms() {
	local line
	line=$(dk exec "$1" cat /ok 2>/dev/null) || return 1
	[ -n "$line" ] || return 1
	uptime_ms "$line"
}

# Milliseconds on the uptime clock at which CONTAINER's process started
# (Docker reports wall-clock time; convert with the current offset).
started_uptime_ms() {
	local started_wall offset
	started_wall=$(($(date -d "$(dk inspect -f '{{.State.StartedAt}}' "$1")" +%s%N) / 1000000))
	offset=$(($(now_ms) - $(uptime_ms "$(cat /proc/uptime)")))
	echo $((started_wall - offset))
}

test_begin
topology_up
tjd_config_write
tjd_start

dk run -d --name outsider --network "$WEB_NET" --stop-timeout 1 "$IMAGE" \
	sh -c "$PROBE_LOOP" >/dev/null

worst=0
for sample in $(seq 1 "$SAMPLES"); do
	name=newproxy$sample
	before=$(uptime_ms "$(cat /proc/uptime)")
	dk run -d --name "$name" --label tjd.allow=true --network "$WEB_NET" \
		--stop-timeout 1 "$IMAGE" sh -c "$PROBE_LOOP" >/dev/null
	returned=$(uptime_ms "$(cat /proc/uptime)")
	if ! wait_until 5 first_success_ms "$name" >/dev/null; then
		e2e_fail "sample $sample: $name never got through to b1 (5 s)"
		continue
	fi
	success=$(first_success_ms "$name")
	reaction=$((success - returned))
	[ "$reaction" -ge 0 ] || reaction=0
	[ "$reaction" -le "$worst" ] || worst=$reaction
	e2e_log "sample $sample: docker run took $((returned - before)) ms;" \
		"first connection $reaction ms after it returned," \
		"$((success - $(started_uptime_ms "$name"))) ms after the container started"
	if [ "$reaction" -le "$LIMIT_MS" ]; then
		e2e_pass "sample $sample: reaction $reaction ms <= $LIMIT_MS ms"
	else
		e2e_fail "sample $sample: reaction $reaction ms > $LIMIT_MS ms"
	fi
done
echo "  RESULT reaction time (docker run returned -> first connection): worst of $SAMPLES: $worst ms (10 ms clock)"

if first_success_ms outsider >/dev/null; then
	e2e_fail "the container without the label got through to b1"
else
	e2e_pass "the container without the label never got through to b1"
fi
test_end
