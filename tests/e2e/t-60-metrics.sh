#!/bin/bash
# tjd's metrics in Prometheus' text format: `tjctl metrics` passes
# `promtool check metrics`, says what tjd holds (ready, the proxy
# allow-listed on the network, its rules) and counts what it drops: a
# backend's blocked attempt on a sibling raises the network's dropped
# packets of kind isolation, on both backends.  With metrics_file, tjd writes the same text to that file, for
# node_exporter's textfile collector, and rewrites it as the figures change.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

METRICS_FILE=$E2E_DIR/t60-tjd.prom

# Print one sample's value from the metrics text on stdin (the first line that starts with NAME).
metric_value() {
	awk -v name="$1" '$1 == name { print $2; exit }'
}

# Succeed when the metrics file says the network's dropped packets are above N.
file_drops_above() {
	local value
	value=$(metric_value "tjd_network_dropped_packets_total{network=\"$WEB_NET\",kind=\"isolation\"}" <"$METRICS_FILE" 2>/dev/null) || return 1
	[ -n "$value" ] && awk -v v="$value" -v n="$1" 'BEGIN { exit !(v + 0 > n + 0) }'
}

command -v promtool >/dev/null || e2e_die "promtool missing (Debian package prometheus; scripts/deps.sh installs it)"
test_begin
topology_up
tjd_config_write
printf 'metrics_file = %s\nmetrics_interval = 1\n' "$METRICS_FILE" >>"$TJD_CONF"
# the [daemon] keys must come before the network section
python3 - "$TJD_CONF" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines()
extra = [l for l in lines if l.startswith("metrics_")]
rest = [l for l in lines if not l.startswith("metrics_")]
at = rest.index("[daemon]") + 1
open(path, "w").write("\n".join(rest[:at] + extra + rest[at:]) + "\n")
PY
tjd_start

text=$(tjctl metrics)
rc=0
promtool check metrics <<<"$text" >"$E2E_DIR/t60-promtool.out" 2>&1 || rc=$?
expect_equal "promtool check metrics on tjctl metrics (exit status; $(head -c 300 "$E2E_DIR/t60-promtool.out"))" 0 "$rc"
expect_equal "tjd_ready" 1 "$(metric_value tjd_ready <<<"$text")"
expect_equal "tjd_docker_connected" 1 "$(metric_value tjd_docker_connected <<<"$text")"
expect_equal "allow-listed containers on $WEB_NET" 1 \
	"$(metric_value "tjd_network_allowed_containers{network=\"$WEB_NET\"}" <<<"$text")"
rules=$(metric_value "tjd_network_rules{network=\"$WEB_NET\"}" <<<"$text")
expect_true "the network has rules ($rules)" test "${rules:-0}" -gt 0
expect_true "reconciles are counted" test "$(metric_value tjd_reconciles_total <<<"$text")" -ge 1
expect_true "the reconcile histogram counts them" \
	test "$(metric_value tjd_reconcile_duration_seconds_count <<<"$text")" -ge 1
before=$(metric_value "tjd_network_dropped_packets_total{network=\"$WEB_NET\",kind=\"isolation\"}" <<<"$text")
expect_true "the network's drops are counted (now ${before:-none})" test -n "$before"
e2e_log "a backend's blocked attempt on its sibling raises the drop counter"
expect_tcp blocked b1 "$B2_V4" 80 b2
after=$(tjctl metrics | metric_value "tjd_network_dropped_packets_total{network=\"$WEB_NET\",kind=\"isolation\"}")
expect_true "dropped packets rose ($before -> $after)" test "${after:-0}" -gt "${before:-0}"
nohost=$(tjctl metrics | metric_value "tjd_network_dropped_packets_total{network=\"$WEB_NET\",kind=\"no-host\"}")
expect_true "the no-host kind has its own sample (${nohost:-none})" test -n "$nohost"

e2e_log "metrics_file: the same text, rewritten as the figures change"
expect_true "tjd wrote $METRICS_FILE" wait_until 5 test -s "$METRICS_FILE"
rc=0
promtool check metrics <"$METRICS_FILE" >"$E2E_DIR/t60-promtool.out" 2>&1 || rc=$?
expect_equal "promtool check metrics on the file (exit status)" 0 "$rc"
expect_equal "the file's mode" 644 "$(stat -c %a "$METRICS_FILE")"
expect_true "the file catches up with the drops (> $before)" wait_until 5 file_drops_above "$before"
test_end
