#!/bin/bash
# SIGTERM stops tjd but leaves its rules in place: isolation still holds with
# tjd gone, and the ruleset is exactly what tjd had installed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

WITH_TJD=$E2E_DIR/ruleset.with-tjd

test_begin
topology_up
tjd_config_write
tjd_start
expect_tcp blocked b1 "$B2_V4" 80 b2
ruleset_snapshot >"$WITH_TJD"

tjd_signal_and_wait TERM
expect_equal "tjd exit status after SIGTERM" 0 "$E2E_TJD_EXIT"
expect_true "tjd's rules are still installed" tjd_rules_present
expect_ruleset_equal "after SIGTERM" "$WITH_TJD"

e2e_log "isolation with tjd gone"
expect_tcp blocked b1 "$B2_V4" 80 b2
expect_tcp blocked b2 "$B1_V6" 80 b1
expect_ping blocked b1 "$B2_V4" b2
expect_tcp blocked b1 "$WEB_V4_GW" "$PUBLISHED_PORT" b2
expect_tcp reach proxy "$B1_V4" 80 b1
expect_tcp reach proxy "$B2_V6" 80 b2
test_end
