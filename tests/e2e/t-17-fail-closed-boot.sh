#!/bin/bash
# Fail-closed boot: the kernel loses tjd's rules (as on a reboot) and Docker
# is not running yet; tjd, started from its saved ruleset, closes the
# protected network before Docker is back, reports ready meanwhile, and
# reconciles with Docker once it answers.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Succeed when tjd reports the connection to Docker as VALUE (true/false).
docker_connected_is() {
	[ "$(tjctl status --json 2>/dev/null | json_field docker_connected)" = "$1" ]
}

test_begin
topology_up
tjd_config_write
tjd_start
expect_true "tjd saved its ruleset to $TJD_STATE" test -s "$TJD_STATE"
b1_pid=$(container_pid b1)
proxy_pid=$(container_pid proxy)

e2e_log "stopping tjd (rules stay), then losing the kernel state as a reboot would"
tjd_signal_and_wait TERM
legacy_rules_flush
expect_true "without tjd's rules b1 reaches b2 (the network is open)" \
	pid_tcp_reaches "$b1_pid" "$B2_V4" 80 b2

e2e_log "stopping dockerd: tjd must protect the network on its own"
dockerd_stop
start_ms=$(now_ms)
tjd_launch -c "$TJD_CONF"
ready_ms=$(( $(now_ms) - start_ms ))
e2e_log "tjd ready from its saved ruleset ${ready_ms} ms after start, Docker still down"
echo "  RESULT tjd ready from its saved ruleset in ${ready_ms} ms with Docker down"
expect_true "Docker is really down" docker_connected_is false
expect_true "tjd's rules are installed again" tjd_rules_present
expect_true "b1 -> b2 [$B2_V4]:80 blocked before Docker is back" \
	pid_tcp_blocked "$b1_pid" "$B2_V4" 80 b2
expect_true "b1 -> b2 [$B2_V6]:80 blocked before Docker is back" \
	pid_tcp_blocked "$b1_pid" "$B2_V6" 80 b2
expect_true "proxy -> b1 [$B1_V4]:80 still reached (its allowance was saved too)" \
	pid_tcp_reaches "$proxy_pid" "$B1_V4" 80 b1

e2e_log "starting dockerd again"
dockerd_up
expect_true "tjd connects to Docker within 15 s" wait_until 15 docker_connected_is true
expect_tcp blocked b1 "$B2_V4" 80 b2
expect_tcp reach proxy "$B1_V4" 80 b1

e2e_log "nothing saved and Docker down: tjd answers but is not ready (status exit 4)"
tjd_signal_and_wait TERM
rm -f "$TJD_STATE"
dockerd_stop
nsenter --net="/run/netns/$E2E_NS" -- "$TJD_BIN" -f -c "$TJD_CONF" --socket "$TJD_SOCK" \
	--state-file "$TJD_STATE" </dev/null >>"$TJD_LOG" 2>&1 9>&- &
E2E_TJD_PID=$!
expect_true "tjd answers on its socket" wait_until 10 tjd_answers
code=0
tjctl status >/dev/null 2>&1 || code=$?
expect_equal "tjctl status exit code while nothing is installed" 4 "$code"
dockerd_up
expect_true "ready once Docker answers" wait_until 15 tjd_ready
code=0
tjctl status >/dev/null 2>&1 || code=$?
expect_equal "tjctl status exit code once ready" 0 "$code"
test_end
