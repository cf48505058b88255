#!/bin/bash
# A flood does not drown tjd nor the drop log: b1 sends TCP SYNs to b2 as
# fast as a raw socket goes, for 10 s.  Meanwhile tjd answers `tjctl status`
# every time it is asked, its memory stays bounded (the ring of recent
# entries and the kernel's per-rule rate limit bound what it keeps), and
# an attempt on another protected network (o1 -> o2) is still recorded.
# The figures (packets sent, tjd's CPU time and memory) are printed.  The
# flood first reaches b2 without tjd (b2 answers its SYNs).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

FLOOD_SECONDS=10
FLOOD=$E2E_TOP/tests/e2e/flood.py

# tjd's resident memory in KiB.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$E2E_TJD_PID/status"
}

# tjd's CPU time (user + system) in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$E2E_TJD_PID/stat"
}

# Floods b2 from b1's namespace for SECONDS; prints the packets sent.
flood() {
	nsenter --net="/proc/$(container_pid b1)/ns/net" -- /usr/bin/python3 "$FLOOD" \
		"$B1_V4" "$B2_V4" 80 "$1"
}

# TCP segments b2's namespace has received (InSegs of /proc/net/snmp).
b2_segments() {
	awk '$1 == "Tcp:" && $2 ~ /^[0-9]/ { print $11 }' "/proc/$(container_pid b2)/net/snmp"
}

# Succeed when tjctl log has o1's attempt on o2.
other_logged() {
	tjctl log --json --network "$OTHER_NET" | python3 -c '
import json, sys
sys.exit(0 if any(e["src_name"] == "o1" and e["dst_name"] == "o2" and e["port"] == 80
                  for e in map(json.loads, sys.stdin)) else 1)'
}

test_begin
topology_up
other_topology_up
e2e_log "without tjd: the flood reaches b2, o1 reaches o2"
segments=$(b2_segments)
packets=$(flood 1)
expect_true "b1 sent SYNs ($packets in 1 s)" test "$packets" -gt 1000
expect_true "b2 received them ($(($(b2_segments) - segments)) segments)" \
	test $(($(b2_segments) - segments)) -gt 1000
expect_tcp reach o1 "$O2_V4" 80 o2
{
	printf '[daemon]\ndocker_host = unix://%s\npoll_interval = 5\n' "$DOCKER_SOCK"
	printf '[network %s]\nallow = label=tjd.allow=true\n' "$WEB_NET"
	printf '[network %s]\nallow = label=tjd.allow=true\n' "$OTHER_NET"
} >"$TJD_CONF"
tjd_start
expect_tcp blocked b1 "$B2_V4" 80 b2

e2e_log "with tjd: b1 floods b2 for $FLOOD_SECONDS s"
rss_before=$(rss_kib)
cpu_before=$(cpu_ticks)
segments=$(b2_segments)
flood "$FLOOD_SECONDS" >"$E2E_DIR/t63-flood.out" &
flood_pid=$!
on_cleanup "kill $flood_pid 2>/dev/null"
answered=0 asked=0
for _ in $(seq 1 "$FLOOD_SECONDS"); do
	sleep 1
	asked=$((asked + 1))
	if tjctl --timeout 2 status >/dev/null 2>&1; then answered=$((answered + 1)); fi
	[ "$asked" != 5 ] || expect_tcp blocked o1 "$O2_V4" 80 o2
done
wait "$flood_pid" || true
packets=$(cat "$E2E_DIR/t63-flood.out")
received=$(($(b2_segments) - segments))
cpu_after=$(cpu_ticks)
rss_after=$(rss_kib)
ticks=$(getconf CLK_TCK)
echo "  RESULT [$E2E_BACKEND] flood: $packets SYNs in $FLOOD_SECONDS s; tjd CPU" \
	"$(((cpu_after - cpu_before) * 1000 / ticks)) ms; RSS $rss_before -> $rss_after KiB"
expect_true "the flood ran (${packets:-0} packets)" test "${packets:-0}" -gt 10000
expect_true "b2 received none of it ($received segments; a few from the probes)" test "$received" -lt 100
expect_equal "tjctl status answered every second of the flood" "$asked" "$answered"
expect_true "tjd's memory stayed bounded ($rss_before -> $rss_after KiB, at most +8 MiB)" \
	test "$rss_after" -lt $((rss_before + 8192))
expect_true "o1's attempt on the other network was recorded during the flood" other_logged
flood_logged() {
	tjctl log --json --network "$WEB_NET" | python3 -c '
import json, sys
sys.exit(0 if any(e["src_name"] == "b1" and e["dst_name"] == "b2" for e in map(json.loads, sys.stdin)) else 1)'
}
expect_true "and samples of the flood's own attempts" flood_logged
test_end
