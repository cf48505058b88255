#!/bin/bash
# Hostile bytes on the control socket (garbage, a wrong protocol version, a
# truncated message, an unknown command, a 1 MiB datagram, hundreds of idle
# connections, clients that vanish) leave tjd running, answering, and
# enforcing; a wrong-version "clear" changes nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

test_begin
topology_up
tjd_config_write
tjd_start

rc=0
python3 "$(dirname "$0")/hostile-client.py" "$TJD_SOCK" "$(tjctl_path)" 2>&1 |
	sed 's/^/  /' || rc=$?
expect_equal "hostile-client.py exit status (its FAIL lines above)" 0 "$rc"

expect_true "tjd is still running" process_alive "$E2E_TJD_PID"
expect_true "tjctl status still answers" tjd_answers
expect_true "tjd's rules are still installed" tjd_rules_present
expect_tcp blocked b1 "$B2_V4" 80 b2
expect_tcp reach proxy "$B1_V4" 80 b1
if [ -s "$TJD_LOG" ] && grep -qiE 'AddressSanitizer|runtime error|segfault|assert' "$TJD_LOG"; then
	e2e_fail "tjd's log reports a memory or assertion error"
fi
test_end
