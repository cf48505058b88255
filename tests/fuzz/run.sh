#!/bin/bash
# Builds the libFuzzer targets (configure --enable-fuzz, clang, ASan + UBSan)
# in a build directory of their own and runs each for a bounded time from its
# committed seed corpus and dictionary.  Fails on any crash, leak, timeout or
# excessive memory use, and prints per target the runs and the coverage
# (libFuzzer's final cov: edges and ft: features).
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET [TARGET...]]   (default 20, all)
#
# The in-tree (gcc) build is left alone: the tracked tree is mirrored into
# $FUZZ_OUT/src (configure refuses a VPATH build from a source tree that is
# configured in place), and built out of tree in $FUZZ_OUT/build.  Both are
# kept between runs, so a second run rebuilds only what changed.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_PER_TARGET=${1:-20}
OUT=${FUZZ_OUT:-/tmp/tjd-fuzz}
SRC=$OUT/src
BUILD=$OUT/build
# Longest input tried: one control frame (FRAME_MAX) and a little more.
MAX_LEN=70000
# Seconds one input may take before it counts as a hang.
TIMEOUT=10

# Prints a step's log tail and fails.
fail_step() {
	echo "fuzz: $1 failed; last lines of $2:" >&2
	tail -n 40 "$2" >&2
	exit 1
}

# Mirrors the tracked (and untracked, not ignored) files into $SRC, keeping
# their times so make sees what changed, and drops files no longer there.
sync_source() {
	local list=$OUT/source.list file
	mkdir -p "$SRC"
	(cd "$TOP" && git ls-files --cached --others --exclude-standard) | sort -u |
		while IFS= read -r file; do
			[ -f "$TOP/$file" ] && printf '%s\n' "$file"
		done >"$list.new"
	if [ -f "$list" ]; then
		comm -23 "$list" "$list.new" | (cd "$SRC" && xargs -r -d '\n' rm -f --)
	fi
	(cd "$TOP" && tar -cf - -T "$list.new") | tar -C "$SRC" -xf -
	mv "$list.new" "$list"
}

# Configures (once) and builds the fuzz targets.
build_targets() {
	if [ ! -x "$SRC/configure" ]; then
		(cd "$SRC" && autoreconf -fi) >"$OUT/autoreconf.log" 2>&1 ||
			fail_step autoreconf "$OUT/autoreconf.log"
	fi
	mkdir -p "$BUILD"
	if [ ! -f "$BUILD/config.status" ]; then
		(cd "$BUILD" && "$SRC/configure" --enable-fuzz --enable-silent-rules \
			CC=clang CFLAGS="-g -O1") >"$OUT/configure.log" 2>&1 ||
			fail_step configure "$OUT/configure.log"
	fi
	make -C "$BUILD" -j"$(nproc)" fuzz >"$OUT/build.log" 2>&1 || fail_step make "$OUT/build.log"
	if grep -qE '\.[ch]:[0-9]+:[0-9]+: warning:' "$OUT/build.log"; then
		echo "fuzz: compiler warnings (see $OUT/build.log):"
		grep -E '\.[ch]:[0-9]+:[0-9]+: warning:' "$OUT/build.log" | sort -u | head -n 20
	fi
}

# Runs one target from a scratch copy of its seeds; 0 if it found nothing.
run_target() {
	local target=$1 name corpus log dict=() final runs seeds
	name=$(basename "$target")
	corpus=$OUT/corpus/$name
	log=$OUT/$name.log
	rm -rf "$corpus"
	mkdir -p "$corpus" "$OUT/artifacts"
	if [ -d "$SRC/tests/fuzz/corpus/$name" ]; then
		cp -- "$SRC/tests/fuzz/corpus/$name"/* "$corpus"/
	fi
	[ -f "$SRC/tests/fuzz/$name.dict" ] && dict=(-dict="$SRC/tests/fuzz/$name.dict")
	if ! "$BUILD/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len="$MAX_LEN" \
		-timeout="$TIMEOUT" -print_final_stats=1 "${dict[@]}" \
		-artifact_prefix="$OUT/artifacts/$name-" "$corpus" >"$log" 2>&1; then
		echo "FAIL: $name (log $log, inputs in $OUT/artifacts/)"
		grep -E -A 30 '^==[0-9]+==ERROR|runtime error|ALARM|out-of-memory|deadly signal' \
			"$log" | head -n 40 || tail -n 30 "$log"
		return 1
	fi
	final=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	runs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$')
	seeds=$(find "$SRC/tests/fuzz/corpus/$name" -type f 2>/dev/null | wc -l)
	echo "PASS: $name: $runs runs, $(grep -Eo 'cov: [0-9]+' <<<"$final")," \
		"$(grep -Eo 'ft: [0-9]+' <<<"$final"), corpus $seeds seeds ->" \
		"$(grep -Eo 'corp: [0-9]+' <<<"$final" | grep -Eo '[0-9]+$')"
}

main() {
	local target failed=0 passed=0 targets=()
	command -v clang >/dev/null || { echo "fuzz: clang not installed" >&2; exit 1; }
	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 ||
		{ echo "fuzz: needs a git checkout ($TOP)" >&2; exit 1; }
	mkdir -p "$OUT"
	sync_source
	build_targets
	if [ $# -gt 1 ]; then
		for target in "${@:2}"; do targets+=("tests/fuzz/$target"); done
	else
		read -r -a targets <<<"$(make -s --no-print-directory -C "$BUILD" print-fuzz-targets)"
	fi
	for target in "${targets[@]}"; do
		if run_target "$target"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	echo "fuzz: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}

main "$@"
