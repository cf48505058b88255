#!/bin/bash
# tjd on a real two-node Docker Swarm, on one machine.
#
# Usage: tests/e2e/swarm/run.sh            (needs root; about 80 s a route)
#        SW_ROUTE=manual tests/e2e/swarm/run.sh
#        SW_ROUTE=both tests/e2e/swarm/run.sh   (one, then the other)
#
# Two dockerd, each in its own network namespace (tjdsw1, tjdsw2) wired
# through a bridge namespace (tjdswbr), form a swarm.  An allow-listed proxy
# service and a global backend service share the protected overlay network
# "web".  By default tjd is deployed with TrafficJam's one command: tjd's
# image (packaging/docker/build-image.sh, imported on each node) as a
# service on the manager with SWARM_DAEMON=true, which starts the
# coordinator and tjd with its agent on every node as services of its own.
# With SW_ROUTE=manual, by hand exactly as doc/swarm.md writes it: each
# node runs tjd with the guide's configuration, and the guide's commands
# create `tjctl swarm coordinate` as a service on the manager and `tjctl
# swarm agent` as a global service; the guide's checks run on the manager.
# The suite takes those blocks from the guide itself (guide_load in lib.sh),
# replacing only the image's name and the host paths (SW_GUIDE_SUBST); a
# missing marker or a block that does not parse fails it, and so does
# tjctl(8) showing other commands.  Real connections prove the isolation,
# then the proxy moves, a node leaves and joins again, and the coordinator
# goes away; the one-command route finally removes its service and every
# node's rules go.  Every assertion prints
# "ok" or "FAIL"; the last line is "N passed, N failed"; the exit status is
# non-zero when anything failed.  Everything is removed at the end.
set -euo pipefail

SW_HERE=$(cd "$(dirname "$0")" && pwd)
SW_ROUTE=${SW_ROUTE:-deploy}
case $SW_ROUTE in
deploy | manual) ;;
both)
	# One route, then the other, each on a swarm of its own.
	status=0
	SW_ROUTE=deploy bash "$SW_HERE/run.sh" || status=$?
	SW_ROUTE=manual bash "$SW_HERE/run.sh" || status=$?
	exit "$status"
	;;
*)
	echo "run.sh: SW_ROUTE is deploy, manual or both, not \"$SW_ROUTE\"" >&2
	exit 2
	;;
esac
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SW_HERE/lib.sh"

# ---------------------------------------------------------------- helpers

# Assert that a command succeeds.
# Usage: expect DESCRIPTION command...
expect() {
	local what=$1
	shift
	if "$@"; then
		sw_pass "$what"
	else
		sw_fail "$what"
	fi
}

# Print a field of the protected network in node N's `tjctl status --json`
# (a Python expression over the network object `n`).
net_status() {
	tjctl_n "$1" status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
for n in s["networks"]:
    if n["name"] == sys.argv[1]:
        print(eval(sys.argv[2]))
' "$SW_NET" "$2" 2>/dev/null
}

# Node N's load-balancer address on the protected network.
lb_ip() {
	net_status "$1" '",".join(n.get("lb_ips", []))'
}

# Succeed when node N's tjd holds ADDRESS among its pushed peers.
has_peer() {
	net_status "$1" '" ".join(n.get("peer_ips", []))' | tr ' ' '\n' | grep -qx "$2"
}

# Succeed when node N's tjd does not hold ADDRESS among its pushed peers.
lacks_peer() {
	! has_peer "$@"
}

# Succeed when node N's overlay namespace holds tjd's rules.
overlay_enforced() {
	[ "$(net_status "$1" 'n.get("overlay_enforced", False)')" = True ]
}

# The overlay namespace of the protected network on node N.
overlay_netns() {
	net_status "$1" 'n.get("netns", "")'
}

# The legacy filter table inside node N's overlay namespace.
overlay_rules() {
	in_node "$1" nsenter --net="$(overlay_netns "$1")" -- iptables-legacy-save -t filter
}

# Succeed when node N's overlay namespace allows connections from ADDRESS.
overlay_allows() {
	overlay_rules "$1" | grep -q -- "-s $2/32 "
}

# The negation of overlay_allows.
overlay_denies() {
	! overlay_allows "$@"
}

# Succeed when the container on node N gets an echo reply from ADDRESS.
pings() {
	dkn "$1" exec "$2" ping -c 1 -W 2 "$3" >/dev/null 2>&1
}

# The negation of pings.
no_ping() {
	! pings "$@"
}

# Seconds (with a decimal) between two millisecond stamps.
seconds_between() {
	local ms=$(($2 - $1))
	printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100))
}

# Wait up to SECONDS for a command; print how long it took (ms) or fail.
# Usage: time_until SECONDS command...
time_until() {
	local started
	started=$(now_ms)
	wait_until "$@" || return 1
	echo $(($(now_ms) - started))
}

# ---------------------------------------------------------------- scenes

# The swarm, tjd on both nodes, the services, the coordination.
scene_setup() {
	local started
	started=$(now_ms)
	swarm_up
	sw_log "swarm of 2 nodes formed in $(seconds_between "$started" "$(now_ms)") s"
	if [ "$SW_ROUTE" = manual ]; then
		node_tjd_up 1
		node_tjd_up 2
	fi
	services_up 1
	wait_until 60 service_running proxy 1 || sw_die "proxy did not start"
	wait_until 60 service_running backend 2 || sw_die "backends did not start"
	if [ "$SW_ROUTE" = manual ]; then
		coordination_up
		sw_log "the guide's coordinator and agents created in" \
			"$(seconds_between "$started" "$(now_ms)") s from the start"
		wait_until 60 service_running tjd-coordinator 1 || sw_die "coordinator did not start"
		wait_until 60 service_running tjd-agent 2 || sw_die "agents did not start"
	else
		scene_deploy
	fi
	PROXY=$(task_container proxy 1)
	B1=$(task_container backend 1)
	B2=$(task_container backend 2)
	PROXY_IP=$(container_ip 1 "$PROXY")
	B1_IP=$(container_ip 1 "$B1")
	B2_IP=$(container_ip 2 "$B2")
	# Unprotected-by-allowance neighbours: a standalone container on each node.
	dkn 1 run -d --name loner1 --hostname loner1 --network "$SW_NET" --stop-timeout 1 \
		"$SW_IMAGE" sh -c "$SW_SERVER" >/dev/null
	dkn 2 run -d --name loner2 --hostname loner2 --network "$SW_NET" --stop-timeout 1 \
		"$SW_IMAGE" sh -c "$SW_SERVER" >/dev/null
	L1_IP=$(container_ip 1 loner1)
	L2_IP=$(container_ip 2 loner2)
	wait_until 30 lb_known || sw_die "tjd did not report both load balancers"
	LB1=$(lb_ip 1)
	LB2=$(lb_ip 2)
	sw_log "proxy $PROXY_IP (node 1), backends $B1_IP (node 1) $B2_IP (node 2)," \
		"loners $L1_IP $L2_IP, load balancers $LB1 (node 1) $LB2 (node 2)"
	sw_log "setup done in $(seconds_between "$started" "$(now_ms)") s"
}

# TrafficJam's one command: the controller starts the coordinator and the
# node service; tjd answers on both nodes.
scene_deploy() {
	local started
	started=$(now_ms)
	deploy_up
	wait_until 60 service_running "$SW_DEPLOY" 1 || deploy_die "the controller did not start"
	wait_until 60 service_running "$SW_DEPLOY-coordinator" 1 ||
		deploy_die "the controller did not start the coordinator"
	wait_until 60 service_running "$SW_DEPLOY-node" 2 ||
		deploy_die "the controller did not start tjd on both nodes"
	wait_until 30 tjd_ready 1 && wait_until 30 tjd_ready 2 ||
		deploy_die "tjd in the node service did not become ready"
	echo "RESULT deployment: one \`docker service create\` to tjd ready on both nodes in" \
		"$(seconds_between "$started" "$(now_ms)") s"
	expect "the controller named both child services as its own" \
		test "$(dkn 1 service ls -q --filter "label=tjd.swarm.controller=$SW_DEPLOY" | wc -l)" = 2
	expect "the node service adds NET_ADMIN, NET_RAW and SYS_ADMIN" \
		test "$(dkn 1 service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.CapabilityAdd}}' \
			"$SW_DEPLOY-node")" = '["CAP_NET_ADMIN","CAP_NET_RAW","CAP_SYS_ADMIN"]'
}

# Print the controller's log and die.
deploy_die() {
	dkn 1 service logs --raw "$SW_DEPLOY" 2>&1 | tail -n 30 | sed 's/^/  | /' >&2
	dkn 1 service ps --no-trunc "$SW_DEPLOY-node" 2>&1 | tail -n 10 | sed 's/^/  | /' >&2
	sw_die "$1"
}

# Node N's tjd log: its file, or the node service's task on that node.
tjd_log() {
	if [ "$SW_ROUTE" = manual ]; then
		cat "$SW_DIR/n$1/tjd.log"
	else
		dkn "$1" logs "$(task_container "$SW_DEPLOY-node" "$1")" 2>&1
	fi
}

# Succeed when both nodes' tjd report their load balancer.
lb_known() {
	[ -n "$(lb_ip 1)" ] && [ -n "$(lb_ip 2)" ]
}

# Both tjd enforce in their overlay namespace, with the coordinator's peers.
scene_enforcement() {
	expect "node 1 enforces inside its overlay namespace" wait_until 20 overlay_enforced 1
	expect "node 2 (no proxy) enforces inside its overlay namespace" \
		wait_until 20 overlay_enforced 2
	expect "node 2 holds node 1's load balancer $LB1 as a peer" wait_until 20 has_peer 2 "$LB1"
	expect "node 2 holds the proxy $PROXY_IP as a peer" wait_until 20 has_peer 2 "$PROXY_IP"
	expect "node 1 holds node 2's load balancer $LB2 as a peer" wait_until 20 has_peer 1 "$LB2"
	expect "node 1 does not hold its own proxy as a pushed peer" lacks_peer 1 "$PROXY_IP"
	expect "br_netfilter is on inside node 2's overlay namespace" \
		test "$(in_node 2 nsenter --net="$(overlay_netns 2)" -- \
			cat /proc/sys/net/bridge/bridge-nf-call-iptables)" = 1
}

# The connectivity matrix with the proxy on node 1.
scene_matrix() {
	local seen=""
	expect "proxy reaches the backend on its node ($B1_IP)" \
		reaches 1 "$PROXY" "$B1_IP" backend-swnode1
	expect "proxy reaches the backend on the other node ($B2_IP)" \
		reaches 1 "$PROXY" "$B2_IP" backend-swnode2
	expect "proxy reaches the loner on the other node ($L2_IP)" \
		reaches 1 "$PROXY" "$L2_IP" loner2
	for _ in $(seq 1 12); do
		reaches 1 "$PROXY" backend backend-swnode1 && seen="$seen 1"
		reaches 1 "$PROXY" backend backend-swnode2 && seen="$seen 2"
		[[ $seen == *1* && $seen == *2* ]] && break
	done
	expect "proxy reaches both backends by DNS round-robin (backend)" \
		test -n "$(echo "$seen" | grep 1 | grep 2)"
	expect "tasks.backend resolves to both backends" \
		test "$(dkn 1 exec "$PROXY" nslookup tasks.backend 2>/dev/null |
			grep -cE "Address: ($B1_IP|$B2_IP)\$")" = 2
	expect "backend on node 1 cannot reach the backend on node 2" \
		blocked 1 "$B1" "$B2_IP" backend-swnode2
	expect "backend on node 2 (no proxy) cannot reach the backend on node 1" \
		blocked 2 "$B2" "$B1_IP" backend-swnode1
	expect "backend on node 1 cannot reach the loner on its node" \
		blocked 1 "$B1" "$L1_IP" loner1
	expect "loner on node 1 cannot reach the backend on its node" \
		blocked 1 loner1 "$B1_IP" backend-swnode1
	expect "backend on node 2 cannot reach the loner on its node" \
		blocked 2 "$B2" "$L2_IP" loner2
	expect "backend on node 2 cannot reach the proxy" blocked 2 "$B2" "$PROXY_IP" proxy
	expect "backend on node 1 cannot reach the backends by DNS (backend)" \
		blocked 1 "$B1" backend backend-swnode2
	expect "ping from the backend on node 2 to the backend on node 1 is dropped" \
		no_ping 2 "$B2" "$B1_IP"
	expect "ping from the proxy to the backend on node 2 is answered" \
		pings 1 "$PROXY" "$B2_IP"
}

# The proxy moves to node 2: access follows, the old allowance goes.
scene_proxy_move() {
	local started took new_proxy new_ip running pushed
	started=$(now_ms)
	dkn 1 service update -q --detach --constraint-rm node.hostname==swnode1 \
		--constraint-add node.hostname==swnode2 proxy >/dev/null
	wait_until 30 new_proxy_running || sw_die "the moved proxy did not start"
	running=$(now_ms)
	new_proxy=$(task_container proxy 2)
	new_ip=$(container_ip 2 "$new_proxy")
	wait_until 10 has_peer 1 "$new_ip" || true
	pushed=$(now_ms)
	if wait_until 10 reaches 2 "$new_proxy" "$B1_IP" backend-swnode1; then
		took=$(($(now_ms) - started))
		sw_pass "moved proxy ($new_ip on node 2) reaches the backend on node 1"
		MOVE_SECONDS=$(seconds_between 0 "$took")
		echo "RESULT proxy move: access followed in $MOVE_SECONDS s from \`service update\`" \
			"to the first connection across nodes; Swarm had the new task running after" \
			"$(seconds_between "$started" "$running") s, node 1's tjd held its address" \
			"$(seconds_between "$running" "$pushed") s later"
		if [ "$took" -le 10000 ]; then
			sw_pass "access followed within 10 s ($MOVE_SECONDS s)"
		else
			sw_fail "access took $MOVE_SECONDS s (more than 10 s)"
		fi
	else
		sw_fail "moved proxy does not reach the backend on node 1 within 10 s"
	fi
	expect "moved proxy reaches the backend on its node" \
		reaches 2 "$new_proxy" "$B2_IP" backend-swnode2
	expect "node 1 holds the moved proxy $new_ip as a peer" wait_until 10 has_peer 1 "$new_ip"
	expect "node 2 no longer holds the old proxy $PROXY_IP" wait_until 10 lacks_peer 2 "$PROXY_IP"
	expect "node 1's overlay namespace no longer allows the old proxy" \
		overlay_denies 1 "$PROXY_IP"
	expect "backend on node 1 still cannot reach the backend on node 2" \
		blocked 1 "$B1" "$B2_IP" backend-swnode2
	PROXY=$new_proxy
	PROXY_IP=$new_ip
}

# Succeed when the proxy runs on node 2.
new_proxy_running() {
	[ -n "$(task_container proxy 2)" ] && service_running proxy 1
}

# br_netfilter switched off inside an overlay namespace comes back on.
scene_bridge_netfilter() {
	local netns
	netns=$(overlay_netns 1)
	in_node 1 nsenter --net="$netns" -- sh -c 'echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables'
	expect "tjd switches br_netfilter back on inside the overlay namespace" \
		wait_until 10 bridge_netfilter_on 1 "$netns"
	expect "tjd logged it" grep -q "was 0 inside network namespace" <<<"$(tjd_log 1)"
}

# Succeed when bridge-nf-call-iptables reads 1 inside NETNS of node N.
bridge_netfilter_on() {
	[ "$(in_node "$1" nsenter --net="$2" -- cat /proc/sys/net/bridge/bridge-nf-call-iptables)" = 1 ]
}

# Node 2 leaves: its load balancer leaves every peer set.  Then it joins again.
scene_leave_and_join() {
	local started took token
	dkn 2 rm -f loner2 >/dev/null
	started=$(now_ms)
	dkn 2 swarm leave --force >/dev/null
	dkn 1 node rm --force swnode2 >/dev/null 2>&1 ||
		{ wait_until 30 node_down 2 && dkn 1 node rm --force swnode2 >/dev/null; }
	if wait_until 15 lacks_peer 1 "$LB2"; then
		took=$(($(now_ms) - started))
		sw_pass "node 2's load balancer $LB2 left node 1's peer set"
		echo "RESULT node leave: its load balancer left the peer sets in" \
			"$(seconds_between 0 "$took") s"
	else
		sw_fail "node 2's load balancer $LB2 is still in node 1's peer set"
	fi
	expect "the moved proxy's address left node 1's peer set" wait_until 10 lacks_peer 1 "$PROXY_IP"
	# Join again: the node gets a new id and a new load balancer.
	token=$(dkn 1 swarm join-token -q worker)
	started=$(now_ms)
	dkn 2 swarm join --token "$token" --advertise-addr "$SW_UNDERLAY.2" \
		--listen-addr "$SW_UNDERLAY.2:2377" "$SW_UNDERLAY.1:2377" >/dev/null
	if wait_until 60 joined_and_converged; then
		took=$(($(now_ms) - started))
		JOIN_SECONDS=$(seconds_between 0 "$took")
		sw_pass "after the join both nodes hold each other's load balancer ($(lb_ip 2) new)"
		echo "RESULT node join: peer sets converged $JOIN_SECONDS s after \`docker swarm" \
			"join\` returned (includes the agent and proxy tasks starting on the node)"
	else
		sw_fail "peer sets did not converge within 60 s of the join"
	fi
	PROXY=$(task_container proxy 2)
	PROXY_IP=$(container_ip 2 "$PROXY")
	B2=$(task_container backend 2)
	B2_IP=$(container_ip 2 "$B2")
	expect "the proxy (back on node 2) reaches the backend on node 1" \
		wait_until 10 reaches 2 "$PROXY" "$B1_IP" backend-swnode1
	expect "the new backend on node 2 cannot reach the backend on node 1" \
		blocked 2 "$B2" "$B1_IP" backend-swnode1
}

# Succeed when node N is down in the manager's view.
node_down() {
	dkn 1 node ls --format '{{.Hostname}} {{.Status}}' | grep -q "^swnode$1 Down"
}

# Succeed when node 2 is back with an agent and both tjd hold each other's LB.
joined_and_converged() {
	local lb1 lb2
	lb1=$(lb_ip 1)
	lb2=$(lb_ip 2)
	[ -n "$lb2" ] && [ -n "$lb1" ] && has_peer 1 "$lb2" && has_peer 2 "$lb1" &&
		[ -n "$(task_container proxy 2)" ] && has_peer 1 "$(container_ip 2 "$(task_container proxy 2)")"
}

# `tjctl swarm status` on the manager shows every node.
scene_swarm_status() {
	local json
	json=$("$TJCTL_BIN" swarm status --json --status-socket "$SW_DIR/n1/node/run/swarm.sock" 2>&1) || true
	expect "tjctl swarm status lists both nodes with their agents connected" \
		test "$(echo "$json" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for n in s["nodes"] if n["agent_connected"] and n["ready"]))' 2>/dev/null)" = 2
	if [ "$SW_ROUTE" = manual ]; then
		scene_guide_check
	else
		"$TJCTL_BIN" swarm status --status-socket "$SW_DIR/n1/node/run/swarm.sock" | sed 's/^/    /'
	fi
}

# The guide's checks, run on the manager as written.
scene_guide_check() {
	local out
	if out=$(guide_check); then
		sw_pass "the guide's checks (tjctl swarm status, status, rules --network $SW_NET) succeed"
	else
		sw_fail "the guide's checks failed"
	fi
	printf '%s\n' "$out" | sed 's/^/    /'
	expect "the guide's tjctl swarm status shows both nodes, no agent missing" \
		test "$(grep -cE '^node swnode[12] ' <<<"$out")" = 2 -a \
		"$(grep -c 'NOT connected' <<<"$out")" = 0
	expect "the guide's tjctl rules --network $SW_NET shows tjd's rules" \
		grep -qE -- '^table inet tjd|^-A TJD' <<<"$out"
}

# The guide's blocks: they parse (guide_load), and tjctl(8) shows the same.
scene_guide() {
	sw_pass "the guide's blocks are marked and parse (${SW_GUIDE_BLOCKS[*]})"
	expect "tjctl(8), SWARM, shows the guide's coordinator and agent commands" \
		test "$(man_by_hand)" = "$(printf '%s' "${GUIDE_RAW[coordinator]}${GUIDE_RAW[agent]}")"
}

# Without the coordinator, every node keeps enforcing its last peer set.
# One-command route: the controller stops first (its service stays: it
# leaves everything in place), then its coordinator goes.
scene_coordinator_gone() {
	local before
	before=$(net_status 1 '" ".join(n.get("peer_ips", []))')
	if [ "$SW_ROUTE" = manual ]; then
		dkn 1 service rm tjd-coordinator >/dev/null
	else
		dkn 1 service update -q --detach --replicas 0 "$SW_DEPLOY" >/dev/null
		wait_until 30 service_running "$SW_DEPLOY" 0 || true
		expect "a stopped controller leaves its child services in place" \
			test "$(dkn 1 service ls -q --filter "label=tjd.swarm.controller=$SW_DEPLOY" | wc -l)" = 2
		dkn 1 service rm "$SW_DEPLOY-coordinator" >/dev/null
	fi
	sleep 3
	expect "without the coordinator node 1 keeps its peer set" \
		test "$(net_status 1 '" ".join(n.get("peer_ips", []))')" = "$before"
	expect "without the coordinator the proxy still reaches the backend on node 1" \
		reaches 2 "$PROXY" "$B1_IP" backend-swnode1
	expect "without the coordinator backends stay isolated" \
		blocked 1 "$B1" "$B2_IP" backend-swnode2
	if [ "$SW_ROUTE" != manual ]; then
		dkn 1 service update -q --detach --replicas 1 "$SW_DEPLOY" >/dev/null
		expect "the controller, started again, brings the coordinator back" \
			wait_until 60 service_running "$SW_DEPLOY-coordinator" 1
		expect "both agents report to the new coordinator" wait_until 30 agents_connected 2
	fi
}

# Succeed when `tjctl swarm status` counts COUNT ready nodes with their agent connected.
agents_connected() {
	test "$("$TJCTL_BIN" swarm status --json --status-socket "$SW_DIR/n1/node/run/swarm.sock" \
		2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for n in s["nodes"] if n["agent_connected"] and n["ready"]))' 2>/dev/null)" = "$1"
}

# Succeed when NETNS of node N has no chain of tjd's.
no_tjd_chain() {
	! in_node "$1" nsenter --net="$2" -- iptables-legacy-save -t filter | grep -q TJD
}

# `tjctl clear` removes the overlay rules too.
scene_clear() {
	local netns
	netns=$(overlay_netns 1)
	tjctl_n 1 clear >/dev/null
	sleep 1
	expect "after tjctl clear node 1's overlay namespace holds no tjd chain" \
		no_tjd_chain 1 "$netns"
	expect "after tjctl clear the backends on node 1 reach each other again" \
		reaches 1 "$B1" "$L1_IP" loner1
}

# Removing the controller's service clears every node's rules and removes its children.
scene_remove() {
	local started took netns1 netns2 logs node
	# (the coordinator just came back: its first pushes may still be applied)
	for node in 1 2; do
		if wait_until 10 overlay_holds_tjd "$node"; then
			sw_pass "before the removal node $node's overlay namespace holds tjd's rules"
		else
			sw_fail "before the removal node $node's overlay namespace holds tjd's rules" \
				"(namespace \"$(overlay_netns "$node")\")"
			tjd_log "$node" | tail -n 20 | sed 's/^/  | /'
		fi
	done
	netns1=$(overlay_netns 1)
	netns2=$(overlay_netns 2)
	# its log, to the end: the container goes with the service
	dkn 1 logs -f "$(task_container "$SW_DEPLOY" 1)" >"$SW_DIR/controller.log" 2>&1 &
	logs=$!
	started=$(now_ms)
	dkn 1 service rm "$SW_DEPLOY" >/dev/null
	if wait_until 40 children_gone; then
		took=$(($(now_ms) - started))
		sw_pass "the controller removed its coordinator and node services"
		echo "RESULT removal: \`docker service rm $SW_DEPLOY\` to every node cleared and" \
			"both child services gone in $(seconds_between 0 "$took") s"
	else
		sw_fail "the child services are still there 40 s after the removal"
		dkn 1 service ps --no-trunc "$SW_DEPLOY-node" 2>&1 | sed 's/^/  | /' || true
	fi
	expect "after the removal node 1's overlay namespace holds no rule of tjd's" \
		not tjd_in_netns 1 "$netns1"
	expect "after the removal node 2's overlay namespace holds no rule of tjd's" \
		not tjd_in_netns 2 "$netns2"
	expect "after the removal neither node's namespace holds a tjd table" \
		test -z "$(in_node 1 nft list tables | grep -i tjd)$(in_node 2 nft list tables | grep -i tjd)"
	expect "after the removal the backends on node 1 reach each other again" \
		reaches 1 "$B1" "$L1_IP" loner1
	expect "after the removal the backend on node 1 reaches the backend on node 2" \
		reaches 1 "$B1" "$B2_IP" backend-swnode2
	wait_until 10 not process_alive "$logs" || kill "$logs" 2>/dev/null || true
}

# Succeed when node N's overlay namespace, as its tjd names it, holds tjd's rules.
overlay_holds_tjd() {
	local netns
	netns=$(overlay_netns "$1")
	[ -n "$netns" ] && tjd_in_netns "$1" "$netns"
}

# Succeed when NETNS of node N holds a chain (iptables) or table (nftables) of tjd's.
tjd_in_netns() {
	in_node "$1" nsenter --net="$2" -- iptables-legacy-save -t filter | grep -q TJD ||
		in_node "$1" nsenter --net="$2" -- nft list tables | grep -q tjd
}

# The negation of a command.
not() {
	! "$@"
}

# Succeed when neither child service exists any more.
children_gone() {
	[ -z "$(dkn 1 service ls -q --filter "label=tjd.swarm.controller=$SW_DEPLOY")" ]
}

NETWORK_IDS=()

main() {
	local started node
	started=$(now_ms)
	trap 'swarm_down' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	echo "swarm e2e: two dockerd in $SW_NS_PREFIX{1,2} ($SW_DIR), route $SW_ROUTE"
	guide_load
	scene_guide
	scene_setup
	scene_enforcement
	scene_matrix
	scene_bridge_netfilter
	scene_proxy_move
	scene_leave_and_join
	scene_swarm_status
	scene_coordinator_gone
	if [ "$SW_FAILURES" != 0 ]; then
		for node in 1 2; do
			echo "--- tjd log of node $node (last 30 lines)"
			tjd_log "$node" | tail -n 30 | sed 's/^/  | /'
		done
		echo "--- coordinator and agents (last 30 lines)"
		if [ "$SW_ROUTE" = manual ]; then
			dkn 1 service logs --raw tjd-agent 2>&1 | tail -n 30 | sed 's/^/  | /' || true
		else
			dkn 1 service logs --raw "$SW_DEPLOY-coordinator" 2>&1 | tail -n 30 |
				sed 's/^/  | /' || true
		fi
	fi
	if [ "$SW_ROUTE" = manual ]; then
		scene_clear
	else
		scene_remove
		echo "--- the controller's log"
		sed 's/^/  | /' "$SW_DIR/controller.log"
	fi
	mapfile -t NETWORK_IDS < <(dkn 1 network ls -q --no-trunc --filter driver=overlay)
	swarm_down
	trap - EXIT
	expect "nothing left behind: no namespaces, processes or files" nothing_left
	echo "swarm e2e: total $(seconds_between "$started" "$(now_ms)") s"
	echo "$SW_PASSES passed, $SW_FAILURES failed"
	[ "$SW_FAILURES" = 0 ]
}

# Succeed when the suite's namespaces, directory and processes are gone.
nothing_left() {
	local id
	for id in "${NETWORK_IDS[@]}"; do
		[ ! -e "/var/lib/docker/network/files/lb_$id" ] || return 1
	done
	! ip netns list | grep -qE "^(${SW_NS_PREFIX}1|${SW_NS_PREFIX}2|$SW_BRIDGE_NS)( |\$)" &&
		[ ! -e "$SW_DIR" ] && [ -z "$(pids_under_swarm_dir)" ]
}

main "$@"
