#!/bin/bash
# Builds the libFuzzer targets with clang (ASan + UBSan) against the tree
# that scripts/build.sh configured, and runs each for a bounded time.
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 20)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_PER_TARGET=${1:-20}
OUT=${FUZZ_OUT:-/tmp/tjd-fuzz}
TARGETS=(fuzz_ctl fuzz_conf fuzz_docker_json fuzz_swarm)

# Compiles one target with every source it may reach.
build_target() {
	local target=$1 sources
	if [ "$target" = fuzz_swarm ]; then
		sources="$TOP/tjctl/swarm-plan.c $TOP/tjctl/swarm-wire.c $(ls "$TOP"/common/*.c)"
	else
		sources=$(ls "$TOP"/tjd/*.c "$TOP"/common/*.c | grep -v '/tjd/main.c$')
	fi
	# shellcheck disable=SC2086
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -I"$TOP" -DSYSCONFDIR='"/etc"' -DLOCALSTATEDIR='"/var"' \
		"$TOP/tests/fuzz/$target.c" $sources "$TOP/proto/tjd.pb-c.c" \
		$(pkg-config --cflags --libs libevent libprotobuf-c libcurl libip4tc libip6tc libnftables libmnl jansson inih openssl) \
		-o "$OUT/$target"
}

main() {
	local target failed=0 passed=0
	command -v clang >/dev/null || { echo "fuzz: clang not installed" >&2; exit 1; }
	[ -f "$TOP/proto/tjd.pb-c.c" ] || { echo "fuzz: build the tree first (scripts/build.sh)" >&2; exit 1; }
	mkdir -p "$OUT"
	for target in "${TARGETS[@]}"; do
		build_target "$target"
		mkdir -p "$OUT/corpus-$target"
		if "$OUT/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=70000 \
			-print_final_stats=0 -artifact_prefix="$OUT/" "$OUT/corpus-$target" >"$OUT/$target.log" 2>&1; then
			echo "PASS: $target ($(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$OUT/$target.log" || grep -Eo '#[0-9]+' "$OUT/$target.log" | tail -1) runs)"
			passed=$((passed + 1))
		else
			echo "FAIL: $target"; tail -n 30 "$OUT/$target.log"
			failed=$((failed + 1))
		fi
	done
	echo "fuzz: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}

main "$@"
