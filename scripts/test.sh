#!/bin/bash
# The test command: install dependencies, build, run the unit tests
# (`make check`), then the end-to-end tests against a real dockerd.
# Run as root on Debian 12.  Exits non-zero if anything fails.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)

# Run make check; on failure show the logs of the suites that failed.
run_unit_tests() {
	local log
	echo "== unit tests (make check)"
	if make -C "$TOP" -j"$(nproc)" check >"$TOP/check.log" 2>&1; then
		grep -E '^(# |PASS|FAIL|ERROR|SKIP|XFAIL|XPASS)' "$TOP/check.log" || true
		return 0
	fi
	grep -E '^(# |PASS|FAIL|ERROR|SKIP|XFAIL|XPASS)' "$TOP/check.log" || tail -n 40 "$TOP/check.log"
	for log in "$TOP"/tests/unit/*.log; do
		[ -f "$log" ] || continue
		if grep -qE '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null; then
			echo "--- $log"
			tail -n 40 "$log"
		fi
	done
	return 1
}

main() {
	local unit=0 memory=0 e2e=0 swarm=0 fuzz=0 pkg=0
	if [ "$(id -u)" != 0 ]; then
		echo "test.sh: must run as root (private dockerd, network namespaces)" >&2
		exit 1
	fi
	echo "== dependencies"
	"$TOP/scripts/deps.sh"
	echo "== build"
	"$TOP/scripts/build.sh"
	run_unit_tests || unit=$?
	echo "== memory safety (unit suites under ASan/UBSan and valgrind)"
	"$TOP/scripts/sanitize.sh" || memory=$?
	echo "== end-to-end tests"
	"$TOP/tests/e2e/run.sh" || e2e=$?
	echo "== swarm end-to-end tests (two-node swarm: the one command, then by hand as doc/swarm.md writes it)"
	SW_ROUTE=both "$TOP/tests/e2e/swarm/run.sh" || swarm=$?
	echo "== fuzzing (ASan/UBSan, bounded time per parser)"
	"$TOP/tests/fuzz/run.sh" "${FUZZ_SECONDS:-20}" || fuzz=$?
	echo "== Debian package"
	"$TOP/scripts/package-test.sh" || pkg=$?
	echo "== summary: unit tests $([ "$unit" = 0 ] && echo passed || echo FAILED)," \
		"memory safety $([ "$memory" = 0 ] && echo passed || echo FAILED)," \
		"end-to-end tests $([ "$e2e" = 0 ] && echo passed || echo FAILED)," \
		"swarm tests $([ "$swarm" = 0 ] && echo passed || echo FAILED)," \
		"fuzzing $([ "$fuzz" = 0 ] && echo passed || echo FAILED)," \
		"package $([ "$pkg" = 0 ] && echo passed || echo FAILED)"
	[ "$unit" = 0 ] && [ "$memory" = 0 ] && [ "$e2e" = 0 ] && [ "$swarm" = 0 ] && [ "$fuzz" = 0 ] && [ "$pkg" = 0 ]
}

main "$@"
