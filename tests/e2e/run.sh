#!/bin/bash
# Run tjd's end-to-end tests against a real, private dockerd.
#
# Usage: tests/e2e/run.sh [t-NN-name ...]     (default: every t-*.sh)
#
# One private dockerd (in network namespace tjde2e, files under
# /tmp/tjd-e2e) is shared by all tests for speed; each test creates its own
# networks and containers and removes them, and between tests the
# environment is reset (no tjd, no containers, no user networks, no legacy
# rules).  Prints PASS/FAIL per test, then "N passed, N failed"; exits 1 if
# any test failed.  Logs go to tests/e2e/logs/.  Needs root.
set -euo pipefail

E2E_HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_HERE/lib.sh"

LOG_DIR=${E2E_LOG_DIR:-$E2E_HERE/logs}
TEST_TIMEOUT=${E2E_TEST_TIMEOUT:-240}

# Fill TESTS with the scripts to run: those named by the arguments (a name
# or a unique prefix such as t-06), or all of them.
select_tests() {
	local name matches
	TESTS=()
	if [ $# -eq 0 ]; then
		TESTS=("$E2E_HERE"/t-*.sh)
		return 0
	fi
	for name in "$@"; do
		name=${name##*/}
		name=${name%.sh}
		matches=("$E2E_HERE/$name"*.sh)
		[ -f "${matches[0]}" ] || e2e_die "no such test: $name"
		[ ${#matches[@]} -eq 1 ] || e2e_die "ambiguous test name: $name"
		TESTS+=("${matches[0]}")
	done
}

# Succeed when SCRIPT applies to BACKEND: scripts that test one backend's
# own mechanics say so in a "# backends: ..." line; the rest run on both.
test_applies() {
	local script=$1 backend=$2 line
	line=$(grep -m1 '^# backends:' "$script" || true)
	[ -z "$line" ] || [[ " ${line#*:} " == *" $backend "* ]]
}

# Run one test script with a time limit; its output goes to its log file.
run_one_test() {
	local script=$1 log=$2
	timeout --kill-after=10 "$TEST_TIMEOUT" bash "$script" >"$log" 2>&1 9>&-
}

main() {
	local script name log started elapsed passed=0 failed=0 rc
	local suite_started backend
	select_tests "$@"
	mkdir -p "$LOG_DIR"
	suite_started=$(now_ms)

	trap 'exit 130' INT
	trap 'exit 143' TERM
	# Lock first: tearing down must never hit another run's environment.
	env_lock
	trap 'env_down; env_unlock' EXIT
	echo "e2e: starting private dockerd in netns $E2E_NS ($E2E_DIR)"
	started=$(now_ms)
	env_up
	echo "e2e: environment ready in $((($(now_ms) - started) / 1000)) s"

	for backend in ${E2E_BACKENDS:-iptables nftables}; do
	export E2E_BACKEND=$backend
	echo "e2e: backend $backend"
	for script in "${TESTS[@]}"; do
		test_applies "$script" "$backend" || continue
		name="$(basename "$script" .sh) [$backend]"
		log=$LOG_DIR/$(basename "$script" .sh)-$backend.log
		started=$(now_ms)
		rc=0
		run_one_test "$script" "$log" || rc=$?
		elapsed=$(($(now_ms) - started))
		if [ "$rc" = 0 ]; then
			passed=$((passed + 1))
			printf 'PASS %-46s %5d ms\n' "$name" "$elapsed"
			grep -E '^  (RESULT|WARN) ' "$log" | sed -E 's/^  (RESULT )?/     /' || true
		else
			failed=$((failed + 1))
			[ "$rc" != 124 ] || echo "  (timed out after $TEST_TIMEOUT s)" >>"$log"
			printf 'FAIL %-46s %5d ms (exit %d)\n' "$name" "$elapsed" "$rc"
			sed 's/^/     | /' "$log"
		fi
		env_reset
	done
	done

	echo "e2e: total $((($(now_ms) - suite_started) / 1000)) s; logs in $LOG_DIR"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

main "$@"
