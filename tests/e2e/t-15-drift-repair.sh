#!/bin/bash
# Drift: when someone flushes tjd's chain, deletes its jump or its table, or
# puts a rule in front of its own, tjd puts the rules back (iptables: the
# next comparison or periodic reconcile, poll_interval = 2 s; nftables: the
# netlink monitor, at once).  On nftables this needs tables that others may
# change at all: own_tables = no (owned tables are t-19's; there the kernel
# refuses such changes).
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

# Succeed when tjd's IPv6 drop is back in its nftables forward chain.
nft_ipv6_rules_present() {
	local listing
	listing=$(in_ns nft list chain inet tjd forward 2>/dev/null) || return 1
	[[ $listing == *"meta nfproto ipv6"*"drop"* ]]
}

# Succeed when tjd's rules are back and b1 is isolated again.
repaired() {
	tjd_rules_present || return 1
	if [ "$E2E_BACKEND" != nftables ]; then
		jump_is_first || return 1
	fi
	tcp_blocked b1 "$B2_V4" 80 b2
}

# The drift repairs status has counted so far.
repairs_counted() {
	status_query 's.get("drift_repairs", 0)' 2>/dev/null || echo 0
}

# Breaks tjd's rules with COMMAND... and expects a repair within
# REPAIR_SECONDS, counted as one (so the command did change tjd's rules).
# Usage: expect_repaired DESCRIPTION command...
expect_repaired() {
	local what=$1 before
	shift
	before=$(repairs_counted)
	"$@"
	if wait_until "$REPAIR_SECONDS" repaired; then
		e2e_pass "$what: repaired"
	else
		e2e_fail "$what: not repaired within $REPAIR_SECONDS s"
		in_ns iptables-legacy -w -S | sed 's/^/       /'
		in_ns nft list table inet tjd 2>&1 | sed 's/^/       /'
	fi
	expect_true "$what: counted as a drift repair" wait_until 3 repair_counted_since "$before"
}

# Succeed when status has counted more repairs than BEFORE.
repair_counted_since() {
	[ "$(repairs_counted)" -gt "$1" ]
}

test_begin
topology_up
E2E_OWN_TABLES=no tjd_config_write
sed -i 's/^poll_interval = .*/poll_interval = 2/' "$TJD_CONF"
tjd_start
expect_tcp blocked b1 "$B2_V4" 80 b2
if [ "$E2E_BACKEND" = nftables ]; then
	reason=$(status_query 's["backend_reason"]')
	echo "  RESULT [$E2E_BACKEND] $reason"
	expect_true "status says the tables are not owned and deletion is repaired" \
		grep -qF 'tables not owned (own_tables = no): deletion repaired' <<<"$reason"
	expect_repaired "forward chain flushed" in_ns nft flush chain inet tjd forward
	expect_repaired "table deleted" in_ns nft delete table inet tjd
	expect_repaired "accept inserted before tjd's rules" \
		in_ns nft insert rule inet tjd forward accept
	in_ns nft flush chain inet tjd forward
	if wait_until "$REPAIR_SECONDS" nft_ipv6_rules_present &&
		wait_until 2 tcp_blocked b1 "$B2_V6" 80 b2; then
		e2e_pass "IPv6 rules flushed: repaired"
	else
		e2e_fail "IPv6 rules flushed: not repaired within $REPAIR_SECONDS s"
	fi
else
	expect_true "the jump to TJD-FORWARD is first in FORWARD" jump_is_first
	expect_repaired "TJD-FORWARD flushed" in_ns iptables-legacy -w -F TJD-FORWARD
	expect_repaired "jump from FORWARD deleted" in_ns iptables-legacy -w -D FORWARD -j TJD-FORWARD
	expect_repaired "ACCEPT inserted before the jump" in_ns iptables-legacy -w -I FORWARD -j ACCEPT
	in_ns ip6tables-legacy -w -F TJD-FORWARD
	if wait_until "$REPAIR_SECONDS" ipv6_rules_present &&
		wait_until 2 tcp_blocked b1 "$B2_V6" 80 b2; then
		e2e_pass "IPv6 TJD-FORWARD flushed: repaired"
	else
		e2e_fail "IPv6 TJD-FORWARD flushed: not repaired within $REPAIR_SECONDS s"
	fi
fi
repairs=$(status_query 's.get("drift_repairs", 0)') || repairs=0
expect_true "status counts the drift repairs (drift_repairs=$repairs)" test "$repairs" -ge 3
test_end
