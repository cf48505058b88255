#!/bin/bash
# Memory-safety checks that fit in CI: the unit suites built with
# AddressSanitizer + UndefinedBehaviorSanitizer (in a copy of the tree), and
# the pure suites plus a dry run under valgrind.  Run as root after build.sh.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
COPY=${SANITIZE_DIR:-/tmp/tjd-sanitize}
VALGRIND_SUITES=(check_ruleset check_policy check_config check_frame check_ctl
	check_docker_json check_docker_lines check_state check_swarm_plan check_filter check_ident
	check_jsonfield check_output check_prefix check_text check_nft_owner check_rulespec
	check_policy_container check_pktlog check_metrics
	check_droplog check_events check_explain check_log check_policy_host check_linediff)

# Builds the tracked tree with sanitizers and runs make check there.
run_sanitized_unit_tests() {
	rm -rf "$COPY"
	mkdir -p "$COPY"
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
		tar --null -T - -cf -) | tar -C "$COPY" -xf -
	(cd "$COPY" && autoreconf -fi >/dev/null 2>&1 &&
		./configure -q --enable-sanitizers >/dev/null &&
		make -j"$(nproc)" >build.log 2>&1) || { tail -n 30 "$COPY/build.log"; return 1; }
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		make -C "$COPY" -j"$(nproc)" check >"$COPY/check.log" 2>&1; then
		echo "PASS: unit suites under ASan/UBSan ($(grep -c '^PASS:' "$COPY/check.log") suites)"
	else
		grep -E '^(PASS|FAIL|ERROR)' "$COPY/check.log" || true
		cat "$COPY"/tests/unit/*.log | grep -A20 -E 'ERROR: AddressSanitizer|runtime error' | head -60
		return 1
	fi
}

# Runs the pure suites in-process (CK_FORK=no) under valgrind.
run_valgrind_suites() {
	local suite failed=0
	for suite in "${VALGRIND_SUITES[@]}"; do
		make -C "$TOP" -s "tests/unit/$suite" >/dev/null
		if (cd "$TOP/tests/unit" && CK_FORK=no srcdir="$TOP" valgrind -q --error-exitcode=99 \
			--leak-check=full --errors-for-leak-kinds=definite,indirect \
			"$TOP/tests/unit/$suite") >"/tmp/tjd-valgrind-$suite.log" 2>&1; then
			echo "PASS: $suite under valgrind"
		else
			echo "FAIL: $suite under valgrind"
			tail -n 40 "/tmp/tjd-valgrind-$suite.log"
			failed=1
		fi
	done
	return "$failed"
}

main() {
	local failed=0
	run_sanitized_unit_tests || failed=1
	run_valgrind_suites || failed=1
	return "$failed"
}

main "$@"
