#!/bin/bash
# Builds and runs bench_swarm: the swarm coordinator's planning and the
# set-peers push for a simulated 500-node swarm (no root, no Docker).
# Prints figures, asserts nothing about time; arguments go to bench_swarm
# (--nodes, --networks, --allowed, --others, --runs).  About a minute.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
make -C "$TOP" -s tests/bench/bench_swarm
exec "$TOP/tests/bench/bench_swarm" "$@"
