#!/bin/bash
# Clearing leaves the kernel ruleset exactly as it was before tjd started
# (legacy x_tables for IPv4 and IPv6, and nftables, with the same containers
# running), in all three ways: `tjctl clear` (tjd then exits 0), SIGUSR1
# (tjd exits 0), and `tjd --clear` after tjd was stopped with SIGTERM (also
# with a configuration that does not load).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BEFORE=$E2E_DIR/ruleset.before

# Start tjd and show that it changed the ruleset.
start_and_check_installed() {
	tjd_start
	expect_true "tjd's rules are installed" tjd_rules_present
	if ruleset_snapshot | diff -q "$BEFORE" - >/dev/null; then
		e2e_fail "the ruleset with tjd running equals the one without (snapshot blind?)"
	fi
}

test_begin
topology_up
tjd_config_write
ruleset_snapshot >"$BEFORE"

e2e_log "case 1: tjctl clear"
start_and_check_installed
rc=0
tjctl clear || rc=$?
expect_equal "tjctl clear exit status" 0 "$rc"
tjd_wait_exit
expect_equal "tjd exit status after tjctl clear" 0 "$E2E_TJD_EXIT"
expect_ruleset_equal "after tjctl clear" "$BEFORE"

e2e_log "case 2: SIGUSR1"
start_and_check_installed
tjd_signal_and_wait USR1
expect_equal "tjd exit status after SIGUSR1" 0 "$E2E_TJD_EXIT"
expect_ruleset_equal "after SIGUSR1" "$BEFORE"

e2e_log "case 3: SIGTERM, then tjd --clear"
start_and_check_installed
tjd_signal_and_wait TERM
expect_equal "tjd exit status after SIGTERM" 0 "$E2E_TJD_EXIT"
expect_true "rules still installed after SIGTERM" tjd_rules_present
rc=0
tjd_clear_offline || rc=$?
expect_equal "tjd --clear exit status" 0 "$rc"
expect_ruleset_equal "after tjd --clear" "$BEFORE"
rc=0
tjd_clear_offline || rc=$?
expect_equal "tjd --clear with nothing installed: exit status" 0 "$rc"
expect_ruleset_equal "after a second tjd --clear" "$BEFORE"

# TrafficJam's environment file reused for the clear, without
# WHITELIST_FILTER (which would stop tjd from starting), and a config file
# with errors: clearing reads only the instance.
e2e_log "case 4: tjd --clear with an incomplete environment and a broken config"
start_and_check_installed
tjd_signal_and_wait TERM
expect_true "rules still installed after SIGTERM" tjd_rules_present
printf '[network %s]\npoll_interval = soon\n' "$WEB_NET" >"$E2E_DIR/broken.conf"
rc=0
in_ns env NETWORK="$WEB_NET" "$TJD_BIN" -c "$E2E_DIR/broken.conf" --check-config \
	>/dev/null 2>&1 || rc=$?
expect_equal "that configuration does not load (--check-config exit status)" 1 "$rc"
rc=0
in_ns env NETWORK="$WEB_NET" "$TJD_BIN" -c "$E2E_DIR/broken.conf" --state-file "$TJD_STATE" \
	--clear || rc=$?
expect_equal "NETWORK=... tjd --clear exit status" 0 "$rc"
expect_ruleset_equal "after the clear with an incomplete configuration" "$BEFORE"
test_end
