#!/bin/bash
# Connections that tjd's policy would not admit do not survive it: flows
# opened while the network was unprotected (backend to backend over TCP,
# IPv4 and IPv6, and two-way UDP; a backend's connection to the proxy,
# which the proxy keeps talking on; a backend's connection to the host)
# stop within a second of tjd reporting ready, and a flow from a container
# whose allowance is withdrawn by a reload stops too, while the proxy's
# own flows carry on through the start and the reload.  And a boot from
# the saved rules with Docker down purges by those rules.  Every flow is
# first shown to flow without tjd.  The flows are two-way streams made by
# flows.py, run in the containers' network namespaces.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

FLOWS=$(cd "$(dirname "$0")" && pwd)/flows.py
PROXY2_V4=172.30.0.13
FLOW_DIR=$E2E_DIR/flows
FLOW_PIDS=()

# Runs flows.py in the network namespace of container NAME ("-" for the
# host, i.e. tjd's namespace), in the background.
# Usage: flow_end NAME STATE-NAME flows.py-arguments...
flow_end() {
	local name=$1 state=$FLOW_DIR/$2 pid
	shift 2
	if [ "$name" = - ]; then
		nsenter --net="/run/netns/$E2E_NS" -- /usr/bin/python3 "$FLOWS" "$@" "$state" \
			</dev/null >>"$FLOW_DIR/log" 2>&1 9>&- &
	else
		pid=$(container_pid "$name")
		nsenter --net="/proc/$pid/ns/net" -- /usr/bin/python3 "$FLOWS" "$@" "$state" \
			</dev/null >>"$FLOW_DIR/log" 2>&1 9>&- &
	fi
	FLOW_PIDS+=($!)
}

# A two-way flow from CLIENT to SERVER (container names, "-" the host).
# Usage: flow NAME PROTO CLIENT SERVER SERVER-ADDRESS PORT
flow() {
	local name=$1 proto=$2 client=$3 server=$4 address=$5 port=$6
	flow_end "$server" "$name.server" "$proto-listen" "$port"
	wait_until 5 test -f "$FLOW_DIR/$name.server" || e2e_die "flow $name: no listener"
	flow_end "$client" "$name.client" "$proto-connect" "$address" "$port"
}

# Bytes one end of a flow has received so far.
received() {
	local line
	line=$(cat "$FLOW_DIR/$1" 2>/dev/null || echo "rx 0")
	echo "${line#rx }"
}

# Prints "client server" byte counts of flow NAME.
counts() {
	echo "$(received "$1.client") $(received "$1.server")"
}

# Succeed when both ends of flow NAME received something within 1.5 s.
flows_now() {
	local before after
	before=$(counts "$1")
	sleep 1.5
	after=$(counts "$1")
	[ "${before% *}" != "${after% *}" ] && [ "${before#* }" != "${after#* }" ]
}

# Succeed when neither end of flow NAME received anything for 2 s.
stopped() {
	local before after
	before=$(counts "$1")
	sleep 2
	after=$(counts "$1")
	[ "$before" = "$after" ]
}

stop_flows() {
	local pid
	for pid in "${FLOW_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
}

test_begin
on_cleanup stop_flows
rm -rf "$FLOW_DIR"
mkdir -p "$FLOW_DIR"
topology_up
server_run proxy2 "$WEB_NET" --ip "$PROXY2_V4" --label tjd.allow=true

# Without tjd, every flow flows, both ways (and is tracked: see ipv6_tracking_on).
ipv6_tracking_on
on_cleanup ipv6_tracking_off
flow b1-b2-tcp4 tcp b1 b2 "$B2_V4" 9001
flow b1-b2-tcp6 tcp b1 b2 "$B2_V6" 9002
flow b1-b2-udp4 udp b1 b2 "$B2_V4" 9003
flow b1-proxy-tcp4 tcp b1 proxy "$PROXY_V4" 9004
flow b1-host-tcp4 tcp b1 - "$WEB_V4_GW" 9005
flow proxy-b2-tcp4 tcp proxy b2 "$B2_V4" 9006
flow proxy-b2-udp6 udp proxy b2 "$B2_V6" 9007
flow proxy-b2-tcp6 tcp proxy b2 "$B2_V6" 9009
flow proxy2-b2-tcp4 tcp proxy2 b2 "$B2_V4" 9008
all=(b1-b2-tcp4 b1-b2-tcp6 b1-b2-udp4 b1-proxy-tcp4 b1-host-tcp4 proxy-b2-tcp4 proxy-b2-udp6
	proxy-b2-tcp6 proxy2-b2-tcp4)
sleep 1
for name in "${all[@]}"; do
	expect_true "without tjd, flow $name flows both ways" flows_now "$name"
done

tjd_config_write
tjd_start
sleep 1
for name in b1-b2-tcp4 b1-b2-tcp6 b1-b2-udp4 b1-proxy-tcp4 b1-host-tcp4; do
	expect_true "flow $name, opened before tjd, stopped within 1 s of ready" stopped "$name"
done
for name in proxy-b2-tcp4 proxy-b2-udp6 proxy-b2-tcp6 proxy2-b2-tcp4; do
	expect_true "the allowed flow $name still flows" flows_now "$name"
done
expect_true "tjd logged the purge" grep -q "conntrack: deleted" "$TJD_LOG"
echo "  RESULT [$E2E_BACKEND] first purge: $(grep -m1 'conntrack: deleted' "$TJD_LOG" | sed 's/.*conntrack: //')"
# Each of the five flows stopped above is a tracked connection tjd deleted.
expect_true "tjctl status counts at least the five connections cut" \
	test "$(status_query 's["conntrack_deleted"]')" -ge 5
expect_equal "tjctl status: no purge failed" 0 "$(status_query 's["conntrack_failures"]')"
# The blocked flows stay blocked: no way back in through a new connection either.
expect_tcp blocked b1 "$B2_V4" 80 b2

# Withdraw proxy2's allowance: only the proxy itself stays allowed.
proxy_id=$(dk inspect -f '{{.Id}}' proxy)
{
	printf '[daemon]\n'
	printf 'docker_host = unix://%s\n' "$DOCKER_SOCK"
	printf 'poll_interval = 5\n'
	printf '[network %s]\n' "$WEB_NET"
	printf 'allow = id=%s\n' "$proxy_id"
	printf 'allow_host_traffic = no\n'
} >"$TJD_CONF"
kill -HUP "$E2E_TJD_PID"
expect_true "the reload withdrew proxy2's allowance" \
	wait_until 10 tcp_blocked proxy2 "$B2_V4" 80 b2
expect_true "proxy2's flow stopped with its allowance" stopped proxy2-b2-tcp4
for name in proxy-b2-tcp4 proxy-b2-udp6 proxy-b2-tcp6; do
	expect_true "the proxy's flow $name survived the reload" flows_now "$name"
done
expect_tcp reach proxy "$B2_V4" 80 b2

# A boot without Docker: the rules are gone (as after a reboot) but saved.
# A flow opens meanwhile; tjd restores the saved rules with dockerd down and
# purges by them before it reports ready.
tjd_signal_and_wait TERM
cp "$TJD_STATE" "$E2E_DIR/saved-state.json"
tjd_clear_offline >/dev/null
cp "$E2E_DIR/saved-state.json" "$TJD_STATE"
expect_true "with tjd's rules gone, b1 reaches b2 again" wait_until 5 tcp_reaches b1 "$B2_V4" 80 b2
flow b1-b2-boot tcp b1 b2 "$B2_V4" 9010
expect_true "without tjd, the new flow b1-b2-boot flows" flows_now b1-b2-boot
dockerd_stop
on_cleanup dockerd_up
: >"$TJD_LOG"
tjd_start
expect_true "the flow opened while tjd was down stopped, with Docker down" stopped b1-b2-boot
expect_true "the purge came from the saved rules" grep -q "conntrack: deleted" "$TJD_LOG"
echo "  RESULT [$E2E_BACKEND] purge by the saved rules: $(grep -m1 'conntrack: deleted' "$TJD_LOG" | sed 's/.*conntrack: //')"
test_end
