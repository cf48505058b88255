#!/bin/bash
# backends: iptables
# Drift: when someone flushes tjd's chain, deletes its jump, or puts a rule
# in front of it, the next periodic reconcile (poll_interval = 2 s) puts the
# rules back and the jump first again.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

REPAIR_SECONDS=6

# Succeed when FORWARD's first rule is the jump to TJD-FORWARD.
jump_is_first() {
	[ "$(in_ns iptables-legacy -w -S FORWARD | sed -n 2p)" = "-A FORWARD -j TJD-FORWARD" ]
}

# Succeed when tjd's IPv6 TJD-FORWARD has rules again.
ipv6_rules_present() {
	in_ns ip6tables-legacy-save -t filter | grep -q '^-A TJD-FORWARD '
}

# Succeed when tjd's rules are back and b1 is isolated again.
repaired() {
	tjd_rules_present && jump_is_first && tcp_blocked b1 "$B2_V4" 80 b2
}

# Expect a repair within REPAIR_SECONDS after DESCRIPTION happened.
expect_repaired() {
	if wait_until "$REPAIR_SECONDS" repaired; then
		e2e_pass "$1: repaired"
	else
		e2e_fail "$1: not repaired within $REPAIR_SECONDS s"
		in_ns iptables-legacy -w -S | sed 's/^/       /'
	fi
}

test_begin
topology_up
tjd_config_write
sed -i 's/^poll_interval = .*/poll_interval = 2/' "$TJD_CONF"
tjd_start
expect_true "the jump to TJD-FORWARD is first in FORWARD" jump_is_first

in_ns iptables-legacy -w -F TJD-FORWARD
expect_repaired "TJD-FORWARD flushed"
in_ns iptables-legacy -w -D FORWARD -j TJD-FORWARD
expect_repaired "jump from FORWARD deleted"
in_ns iptables-legacy -w -I FORWARD -j ACCEPT
expect_repaired "ACCEPT inserted before the jump"
in_ns ip6tables-legacy -w -F TJD-FORWARD
if wait_until "$REPAIR_SECONDS" ipv6_rules_present &&
	wait_until 2 tcp_blocked b1 "$B2_V6" 80 b2; then
	e2e_pass "IPv6 TJD-FORWARD flushed: repaired"
else
	e2e_fail "IPv6 TJD-FORWARD flushed: not repaired within $REPAIR_SECONDS s"
fi
repairs=$(status_query 's.get("drift_repairs", 0)') || repairs=0
expect_true "status counts the drift repairs (drift_repairs=$repairs)" test "$repairs" -ge 3
test_end
