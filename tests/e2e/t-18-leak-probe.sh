#!/bin/bash
# Leak probe: b1 tries to open a connection to b2 every ~50 ms (each attempt
# its own process, so a blocked one never delays the next) while faults hit
# the firewall and its daemon: tjd's rules deleted by someone else, dockerd
# stopped and restarted, tjd killed with SIGKILL and restarted, a config
# reload, and tjd restarted with the other backend and back.  Not one attempt may get through.  The exception is root deleting
# tjd's rules outright: the deletion itself opens a gap until tjd's repair
# commit (nftables: tjd hears of it through the netlink monitor within
# milliseconds; legacy x_tables cannot notify, so tjd compares every
# 200 ms).  There the test asserts the repair and reports how many attempts
# slipped through the gap.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Starts the prober in b1: every 50 ms a background nc; a reply from b2 is a leak.
probe_start() {
	dk exec -d b1 sh -c "rm -f /tmp/leaks /tmp/tries; while :; do
		( printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $B2_V4 80 2>/dev/null |
			grep -q 'tjd-e2e:b2' && echo leak >>/tmp/leaks ) &
		echo try >>/tmp/tries; sleep 0.05; done"
}

# Prints how many attempts got through, and how many were made.
probe_counts() {
	# shellcheck disable=SC2016 # expanded inside the container
	dk exec b1 sh -c 'echo $(cat /tmp/leaks 2>/dev/null | wc -l) $(cat /tmp/tries 2>/dev/null | wc -l)'
}

# Runs one fault with the prober on; asserts zero leaks unless told that
# some are expected; prints the figures.
# Usage: fault [--report-only] DESCRIPTION command...
fault() {
	local report_only=false what before after leaks tries
	if [ "$1" = --report-only ]; then
		report_only=true
		shift
	fi
	what=$1
	shift
	read -r leaks tries < <(probe_counts)
	before=$leaks
	"$@"
	sleep 1.5 # let in-flight attempts finish
	read -r leaks after < <(probe_counts)
	echo "  RESULT leak probe [$E2E_BACKEND] $what: $((leaks - before)) of $((after - tries)) attempts got through"
	if [ "$report_only" = false ]; then
		expect_equal "no connection got through during: $what" 0 "$((leaks - before))"
	fi
}

# Deletes tjd's rules the backend's own way, then waits for tjd to restore them.
delete_rules() {
	local start
	start=$(now_ms)
	if [ "$E2E_BACKEND" = nftables ]; then
		in_ns nft delete table inet tjd
	else
		in_ns iptables-legacy -w -F TJD-FORWARD
	fi
	expect_true "tjd restored its rules" wait_until 5 tjd_rules_present
	echo "  RESULT [$E2E_BACKEND] rules deleted by someone else: restored within $(($(now_ms) - start)) ms (includes the check's own polling)"
}

# Stops and restarts dockerd (containers keep running: live-restore).
restart_docker() {
	dockerd_stop
	sleep 1
	dockerd_up
}

# Kills tjd without warning and starts it again.
kill_and_restart_tjd() {
	kill -KILL "$E2E_TJD_PID"
	wait "$E2E_TJD_PID" 2>/dev/null || true
	sleep 0.5
	tjd_start
}

# Stops tjd (SIGTERM: its rules stay) and starts it with another backend.
restart_with_backend() {
	tjd_signal_and_wait TERM
	E2E_BACKEND=$1 tjd_start
}

# Reloads the configuration with SIGHUP.
reload_tjd() {
	kill -HUP "$E2E_TJD_PID"
	sleep 1
}

test_begin
topology_up
tjd_config_write
tjd_start
expect_tcp blocked b1 "$B2_V4" 80 b2
probe_start
sleep 1
if [ "$E2E_BACKEND" = nftables ]; then
	fault --report-only "tjd's table deleted by someone else" delete_rules
else
	fault --report-only "tjd's chain flushed by someone else" delete_rules
fi
fault "dockerd stopped and restarted" restart_docker
fault "tjd killed (SIGKILL) and restarted" kill_and_restart_tjd
fault "configuration reloaded (SIGHUP)" reload_tjd
# A backend switch (as auto may make after a kernel or package change), both ways.
other_backend=iptables
[ "$E2E_BACKEND" = iptables ] && other_backend=nftables
fault "tjd restarted with the $other_backend backend" restart_with_backend "$other_backend"
fault "tjd restarted with the $E2E_BACKEND backend again" restart_with_backend "$E2E_BACKEND"
read -r leaks tries < <(probe_counts)
expect_true "the prober really ran (made $tries attempts)" test "$tries" -gt 100
test_end
