#!/bin/bash
# Builds and runs the benchmarks (as root); prints figures, asserts nothing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
make -C "$TOP" -s tests/bench/bench_apply
"$TOP/tests/bench/bench_apply"
