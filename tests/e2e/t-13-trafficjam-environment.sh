#!/bin/bash
# TrafficJam drop-in: with no configuration file, TrafficJam's environment
# variables (NETWORK, WHITELIST_FILTER, DOCKER_HOST, POLL_INTERVAL,
# ALLOW_HOST_TRAFFIC) make tjd protect the network the same way.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

test_begin
topology_up
tjd_start_from_environment NETWORK="$WEB_NET" WHITELIST_FILTER=label=tjd.allow=true \
	DOCKER_HOST="unix://$DOCKER_SOCK" POLL_INTERVAL=5 ALLOW_HOST_TRAFFIC=false
expect_equal "protected networks in status" "$WEB_NET" \
	"$(status_query '" ".join(n["name"] for n in s["networks"])')"
expect_tcp reach proxy "$B1_V4" 80 b1
expect_tcp reach proxy "$B2_V6" 80 b2
expect_tcp blocked b1 "$B2_V4" 80 b2
expect_tcp blocked b2 "$B1_V6" 80 b1
expect_tcp blocked b1 "$WEB_V4_GW" "$PUBLISHED_PORT" b2
tjd_signal_and_wait USR1
expect_equal "tjd exit status after SIGUSR1" 0 "$E2E_TJD_EXIT"
expect_tcp reach b1 "$B2_V4" 80 b2
test_end
