#!/bin/bash
# backends: nftables
# Owned tables: while tjd runs, its nftables tables belong to its netlink
# socket, and the kernel refuses root's `nft delete table inet tjd` (and
# every other change) outright: a leak probe during it counts nothing, and
# there is nothing to repair.  When tjd stops (SIGTERM) or dies (SIGKILL)
# the tables stay, persistent orphans that go on blocking, and the next tjd
# adopts them.  `tjctl clear` (the owner deleting) removes them; `tjd
# --clear` while tjd runs fails cleanly, removing nothing.  On a kernel
# without persistent tables (before 6.9) tjd says so and keeps to repairs:
# the test then checks that path instead, and says which one ran.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

OWNED="tables owned by tjd: deletion refused by the kernel"

# Runs COMMAND... as root in the namespace; prints its exit status.
exit_status() {
	local rc=0
	in_ns "$@" >/dev/null 2>&1 || rc=$?
	echo "$rc"
}

# Prints the leaks and attempts of the prober so far.
counts() {
	probe_counts
}

# Succeed when table inet tjd is there with tjd's drops.
table_present() {
	tjd_rules_present
}

# Succeed when status says the tables are owned.
owned_says() {
	[[ $(status_query 's["backend_reason"]') == *"$OWNED"* ]]
}

test_begin
topology_up
e2e_log "without tjd: b1 reaches b2, and root may add and delete a table inet tjd"
expect_tcp reach b1 "$B2_V4" 80 b2
expect_equal "nft add table inet tjd, without tjd" 0 "$(exit_status nft add table inet tjd)"
expect_equal "nft delete table inet tjd, without tjd" 0 "$(exit_status nft delete table inet tjd)"

tjd_config_write
tjd_start
expect_tcp blocked b1 "$B2_V4" 80 b2
reason=$(status_query 's["backend_reason"]')
if [[ $reason != *"$OWNED"* ]]; then
	echo "  RESULT [$E2E_BACKEND] path: tables not owned, deletion repaired ($reason)"
	expect_true "status says why the tables are not owned" \
		grep -q 'tables not owned (.*): deletion repaired' <<<"$reason"
	in_ns nft delete table inet tjd
	expect_true "tjd repaired the deleted table" wait_until 5 table_present
	expect_tcp blocked b1 "$B2_V4" 80 b2
	test_end
fi
echo "  RESULT [$E2E_BACKEND] path: $OWNED"
expect_true "nft lists table inet tjd with the owner flag" \
	grep -q 'flags owner' <<<"$(in_ns nft list table inet tjd)"

e2e_log "root changes tjd's tables while it runs: refused, while b1 probes b2 every 50 ms"
probe_start
sleep 1
read -r leaks_before tries_before < <(counts)
start=$(now_ms)
rc=$(exit_status nft delete table inet tjd)
refused_ms=$(($(now_ms) - start))
expect_true "nft delete table inet tjd refused (exit $rc)" test "$rc" != 0
expect_true "nft delete table bridge tjd refused" test "$(exit_status nft delete table bridge tjd)" != 0
expect_true "nft flush chain inet tjd forward refused" \
	test "$(exit_status nft flush chain inet tjd forward)" != 0
expect_true "nft add rule inet tjd forward accept refused" \
	test "$(exit_status nft insert rule inet tjd forward accept)" != 0
allow_set=$(in_ns nft list table inet tjd | awk '/^\tset fwd4_/ { print $2; exit }')
expect_true "nft add element inet tjd $allow_set { b1 } refused" \
	test "$(exit_status nft add element inet tjd "$allow_set" "{ $B1_V4 }")" != 0
sleep 1.5
read -r leaks tries < <(counts)
echo "  RESULT [$E2E_BACKEND] nft delete table inet tjd: refused in $refused_ms ms; $((leaks - leaks_before)) of $((tries - tries_before)) attempts got through"
expect_equal "connections that got through while root tried" 0 "$((leaks - leaks_before))"
expect_true "tjd's rules are intact" table_present
expect_equal "drift repairs (nothing was changed)" 0 "$(status_query 's.get("drift_repairs", 0)')"

e2e_log "SIGTERM: the tables stay, and block, while no tjd runs"
read -r leaks_before tries_before < <(counts)
tjd_signal_and_wait TERM
expect_equal "tjd exit status after SIGTERM" 0 "$E2E_TJD_EXIT"
expect_true "tjd's rules are still there" table_present
expect_true "the table lost its owner with tjd (an orphan, persistent)" \
	test -z "$(in_ns nft list table inet tjd | grep 'flags owner' || true)"
expect_tcp blocked b1 "$B2_V4" 80 b2
tjd_start
expect_true "the new tjd owns the tables again" owned_says
expect_true "nft delete table inet tjd refused again" \
	test "$(exit_status nft delete table inet tjd)" != 0
sleep 1.5
read -r leaks tries < <(counts)
echo "  RESULT [$E2E_BACKEND] restart (SIGTERM, start): $((leaks - leaks_before)) of $((tries - tries_before)) attempts got through"
expect_equal "connections that got through across the restart" 0 "$((leaks - leaks_before))"

e2e_log "SIGKILL: the same"
read -r leaks_before tries_before < <(counts)
kill -KILL "$E2E_TJD_PID"
wait "$E2E_TJD_PID" 2>/dev/null || true
E2E_TJD_PID=
expect_true "tjd's rules survived SIGKILL" table_present
tjd_start
expect_true "the new tjd owns the tables again" owned_says
sleep 1.5
read -r leaks tries < <(counts)
echo "  RESULT [$E2E_BACKEND] SIGKILL and start: $((leaks - leaks_before)) of $((tries - tries_before)) attempts got through"
expect_equal "connections that got through across SIGKILL" 0 "$((leaks - leaks_before))"

e2e_log "tjd --clear while tjd runs: refused, nothing removed"
rc=0
out=$(tjd_clear_offline 2>&1) || rc=$?
expect_true "tjd --clear exits non-zero (exit $rc)" test "$rc" != 0
expect_true "it says the running tjd owns the tables (\"$out\")" \
	grep -q "owned by the running tjd (pid $E2E_TJD_PID).*use \`tjctl clear\`" <<<"$out"
expect_true "tjd's rules are intact" table_present
expect_true "tjd still runs" process_alive "$E2E_TJD_PID"
expect_tcp blocked b1 "$B2_V4" 80 b2

e2e_log "tjctl clear: the owner removes its tables"
rc=0
tjctl clear || rc=$?
expect_equal "tjctl clear exit status" 0 "$rc"
tjd_wait_exit
expect_equal "tjd exit status after tjctl clear" 0 "$E2E_TJD_EXIT"
expect_true "table inet tjd is gone" test "$(exit_status nft list table inet tjd)" != 0
expect_true "table bridge tjd is gone" test "$(exit_status nft list table bridge tjd)" != 0
expect_tcp reach b1 "$B2_V4" 80 b2
test_end
