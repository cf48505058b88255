#!/bin/bash
# Build tjd and tjctl in the source tree: autoreconf, configure, make.
# A tree that is already configured is only re-made (its Makefile re-runs
# autoconf and configure itself when their inputs change); set
# TJD_RECONFIGURE=1 to start from autoreconf anyway.  Extra arguments are
# passed to configure (and force it).  Quiet: one line per step, and the
# build's output only when something goes wrong.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
LOG=$TOP/build.log

# Run a build step with its output in the log; show the log tail on failure.
run_step() {
	local what=$1
	shift
	echo "build: $what"
	if ! "$@" >>"$LOG" 2>&1; then
		echo "build: $what failed; last lines of $LOG:" >&2
		tail -n 40 "$LOG" >&2
		exit 1
	fi
}

main() {
	cd "$TOP"
	: >"$LOG"
	if [ ! -f Makefile ] || [ ! -f config.status ] || [ $# -gt 0 ] ||
		[ "${TJD_RECONFIGURE:-0}" = 1 ]; then
		run_step "autoreconf" autoreconf -fi
		run_step "configure" ./configure --enable-silent-rules "$@"
	fi
	run_step "make" make -j"$(nproc)"
	# The project compiles without warnings: point out any that crept in.
	if grep -qE '\.[ch]:[0-9]+:[0-9]+: warning:' "$LOG"; then
		echo "build: compiler warnings (see $LOG):"
		grep -E '\.[ch]:[0-9]+:[0-9]+: warning:' "$LOG" | sort -u | head -n 20
	fi
}

main "$@"
