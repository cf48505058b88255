#!/bin/bash
# With tjd protecting the network, the allow-listed proxy still opens TCP
# connections to both backends and pings them, over IPv4 and IPv6 (every
# subnet of a dual-stack network is protected, and IPv6 neighbour discovery
# must still pass).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

test_begin
topology_up
tjd_config_write
tjd_start
# Forget every neighbour, so that the probes below need ARP and IPv6
# neighbour discovery to pass tjd's rules afresh.
for name in proxy b1 b2; do
	nsenter --net="/proc/$(container_pid "$name")/ns/net" -- ip neigh flush all
done
expect_true "tjd's chains are installed and jumped to from FORWARD" tjd_rules_present

for backend in "b1 $B1_V4 $B1_V6" "b2 $B2_V4 $B2_V6"; do
	read -r name v4 v6 <<<"$backend"
	expect_tcp reach proxy "$v6" 80 "$name"
	expect_tcp reach proxy "$v4" 80 "$name"
	expect_ping reach proxy "$v6" "$name"
	expect_ping reach proxy "$v4" "$name"
done

e2e_log "tjctl status shows the proxy allowed with both its addresses"
allowed=$(status_query '" ".join(sorted(a for n in s["networks"] if n["name"] == "'"$WEB_NET"'" for c in n.get("allowed", []) for a in c.get("addresses", [])))') || allowed="(status failed)"
expect_true "status lists $PROXY_V4 as allowed (got: $allowed)" grep -qw -- "$PROXY_V4" <<<"$allowed"
expect_true "status lists $PROXY_V6 as allowed (got: $allowed)" grep -qw -- "$PROXY_V6" <<<"$allowed"
subnets=$(status_query '" ".join(sorted(x for n in s["networks"] if n["name"] == "'"$WEB_NET"'" for x in n.get("subnets", [])))') || subnets="(status failed)"
expect_true "status lists $WEB_V4_SUBNET (got: $subnets)" grep -qw -- "$WEB_V4_SUBNET" <<<"$subnets"
expect_true "status lists $WEB_V6_SUBNET (got: $subnets)" grep -qw -- "$WEB_V6_SUBNET" <<<"$subnets"

test_end
