#!/bin/bash
# Docker goes away and comes back (live-restore keeps the containers): tjd
# keeps its rules and isolation while Docker is unreachable, reconnects when
# it is back, and follows events again (a new allow-listed container gets
# through).
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
expect_tcp blocked b1 "$B2_V4" 80 b2

# Without dockerd there is no `docker exec`: probe from the host, inside the
# containers' network namespaces.
b1_pid=$(container_pid b1)
proxy_pid=$(container_pid proxy)
expect_true "b1 -> b2 [$B2_V4]:80 blocked (probe from b1's namespace)" \
	pid_tcp_blocked "$b1_pid" "$B2_V4" 80 b2
expect_true "proxy -> b1 [$B1_V4]:80 reached (probe from proxy's namespace)" \
	pid_tcp_reaches "$proxy_pid" "$B1_V4" 80 b1

e2e_log "stopping dockerd"
dockerd_stop
expect_true "tjd notices that Docker is gone" wait_until 10 docker_connected_is false
expect_true "tjd is still running" process_alive "$E2E_TJD_PID"
expect_true "tjd's rules are still installed" tjd_rules_present
expect_true "b1 -> b2 [$B2_V4]:80 blocked" pid_tcp_blocked "$b1_pid" "$B2_V4" 80 b2
expect_true "b1 -> b2 [$B2_V6]:80 blocked" pid_tcp_blocked "$b1_pid" "$B2_V6" 80 b2
expect_true "proxy -> b1 [$B1_V4]:80 reached" pid_tcp_reaches "$proxy_pid" "$B1_V4" 80 b1
expect_true "proxy -> b1 [$B1_V6]:80 reached" pid_tcp_reaches "$proxy_pid" "$B1_V6" 80 b1

e2e_log "starting dockerd again"
dockerd_up
expect_true "tjd reconnects to Docker within 15 s" wait_until 15 docker_connected_is true
expect_tcp blocked b1 "$B2_V4" 80 b2
server_run lateproxy "$WEB_NET" --label tjd.allow=true
if wait_until 3 tcp_reaches lateproxy "$B1_V4" 80 b1; then
	e2e_pass "an allow-listed container started after the restart gets through"
else
	e2e_fail "an allow-listed container started after the restart does not get through"
fi
test_end
