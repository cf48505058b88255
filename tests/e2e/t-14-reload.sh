#!/bin/bash
# Reload: a changed allow-list takes effect on SIGHUP and on `tjctl reload`;
# a bad file is refused (tjctl reload exits 1) and the previous configuration
# keeps running; narrowing the allow-list again takes the allowance away.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

test_begin
topology_up
tjd_config_write
tjd_start
expect_tcp blocked b1 "$B2_V4" 80 b2

e2e_log "SIGHUP with b1 added to the allow-list"
echo "allow = name=b1" >>"$TJD_CONF"
kill -HUP "$E2E_TJD_PID"
if wait_until 5 tcp_reaches b1 "$B2_V4" 80 b2; then
	e2e_pass "after SIGHUP b1 reaches b2"
else
	e2e_fail "after SIGHUP b1 still cannot reach b2"
fi
expect_tcp reach b1 "$B2_V6" 80 b2
expect_tcp blocked b2 "$B1_V4" 80 b1

e2e_log "a bad file is refused, the running configuration stays"
cp "$TJD_CONF" "$TJD_CONF.good"
echo "alow = typo" >>"$TJD_CONF"
rc=0
tjctl reload >/dev/null 2>&1 || rc=$?
expect_equal "tjctl reload of a bad file: exit status" 1 "$rc"
kill -HUP "$E2E_TJD_PID"
expect_true "tjd survives SIGHUP with a bad file" wait_until 1 tjd_answers
expect_true "tjd is still running" process_alive "$E2E_TJD_PID"
expect_tcp reach b1 "$B2_V4" 80 b2
expect_tcp blocked b2 "$B1_V4" 80 b1
last_error=$(status_query 's.get("last_error", "")') || last_error=
expect_true "status shows the refused reload (last_error: $last_error)" test -n "$last_error"

e2e_log "tjctl reload with b1 removed again"
tjd_config_write
rc=0
tjctl reload >/dev/null 2>&1 || rc=$?
expect_equal "tjctl reload exit status" 0 "$rc"
if wait_until 5 tcp_blocked b1 "$B2_V4" 80 b2; then
	e2e_pass "after reload b1 is blocked again"
else
	e2e_fail "after reload b1 still reaches b2"
fi
expect_tcp reach proxy "$B1_V4" 80 b1
test_end
