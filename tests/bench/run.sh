#!/bin/bash
# Builds and runs the benchmarks (as root); prints figures, asserts nothing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
make -C "$TOP" -s tests/bench/bench_apply tests/bench/bench_reconcile
"$TOP/tests/bench/bench_apply"
echo
# The reconciler's own log lines go to stderr; the figures to stdout.
"$TOP/tests/bench/bench_reconcile" 2>/dev/null
echo
"$TOP/tests/bench/swarm.sh"
