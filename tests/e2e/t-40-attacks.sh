#!/bin/bash
# Attacks from a compromised backend.  A fourth container, `atk` (a plain
# backend at .13 / ::13, next to proxy, b1 and b2), holds exactly Docker's
# default capabilities (NET_RAW included: it can build any frame) and tries
# each attack below.  The frames are built by attack.py, run in atk's network
# namespace under setpriv with Docker's default bounding set (the test
# checks that it equals atk's own).  Every attack first runs without tjd:
# that positive control must show the attack's effect at the victim, or the
# check fails (a probe that cannot succeed proves nothing).  Then it runs
# with tjd, and the check passes only if tjd blocked it.  After each attack
# with tjd, the victims' neighbour caches and routes are restored and the
# proxy must still reach b1 and b2 over IPv4 and IPv6.  Every attempt uses a
# source port of its own, so no attempt rides on a conntrack entry an
# earlier one left behind.
#
# What each attack proves when tjd blocks it:
#   vlan.*        frames tagged with VLAN id 0 (802.1Q, and 802.1ad QinQ)
#                 skip br_netfilter yet the receiving kernel treats them as
#                 untagged: UDP to a socket on b2 (IPv4, IPv6), an ARP reply
#                 poisoning b1's entry for the proxy, a router advertisement
#                 giving b1 a prefix and a default route via atk.  Blocked:
#                 the isolation does not depend on frames being untagged.
#   frag.*        the same UDP to b2 as IP fragments, untagged (the first
#                 IPv4 one holding the UDP header alone) and VLAN-tagged.
#   arp.spoof     an untagged ARP reply "proxy's IP is at atk's MAC" to b1
#                 is ignored: b1 keeps sending to the real proxy.
#   impersonate.* atk poisons the proxy's neighbour entry for b1 (ARP for
#                 IPv4, an overriding neighbour advertisement for IPv6):
#                 blocked, the proxy's requests to b1 cannot be drawn to atk.
#   inject.*      an in-window TCP segment or a UDP datagram claiming the
#                 proxy's address and port of an established proxy->b2 flow,
#                 sent from atk's port, never reaches b2's application.
#   preexisting.* TCP and two-way UDP flows atk->b2 opened before tjd ran
#                 stop within 1 s of tjd reporting ready (while the proxy's,
#                 preexisting.proxy, carry on).
#   withdraw.*    flows of a container whose allowance is withdrawn (it no
#                 longer matches an allow filter after `tjctl reload`) stop
#                 within 1 s; their control is that they flowed while the
#                 container was allowed.  (Stopping an allow-listed
#                 container ends its flows along with its namespace, so only
#                 reconfiguring has anything to show.)
#   reload.proxy  while the proxy's own flows survive that reload.
#   icmp.*        ICMP errors (fragmentation needed / packet too big, port
#                 unreachable) crafted by atk and quoting a proxy<->b2 flow
#                 do not reach b2, so atk cannot shrink b2's path MTU or
#                 abort its flows to the proxy.
#   regress.*     what held before: plain TCP, UDP and ping from atk to b1
#                 and b2 over IPv4, global and link-local IPv6; a SYN
#                 spoofing the proxy's address; an untagged router
#                 advertisement.
# (A backend switch opening a window is covered by t-18.)
#
# Run: tests/e2e/run.sh t-40-attacks (about two minutes per backend).
# E2E_ATTACKS="vlan inject.tcp4" runs only the checks named (a group, or
# one check); the default is all of them.  E2E_ATTACK_DEBUG=1 shows the
# firewall whenever an attack got through.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PY=${E2E_PYTHON:-/usr/bin/python3}
ATTACK=$(cd "$(dirname "$0")" && pwd)/attack.py
WORK=$E2E_DIR/attacks

ATK_V4=172.30.0.13
ATK_V6=fd00:30::13
TRUSTED_V4=172.30.0.20
TRUSTED_V6=fd00:30::20
# The sinks in b1 and b2: lines on TCP, datagrams (echoed) on UDP.
SINK_TCP=7000
SINK_UDP=7200
# The prefix atk's router advertisements announce.
RA_PREFIX=2001:db8:40::
# Docker's default capability set.
DOCKER_CAPS=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap
DOCKER_CAPS=$DOCKER_CAPS,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap

declare -A PID MAC LL CONTROL
BACKGROUND=()
# Source ports for the attempts, below the ephemeral range.  Conntrack
# entries outlive the containers of an earlier test (the same addresses come
# back): start somewhere new each run.
NEXT_PORT=$((20000 + RANDOM % 12000))
EVIDENCE=
HEALTH_EACH=yes
TJD_READY_MS=0
COUNT_BLOCKED=0
COUNT_OPEN=0
COUNT_CONTROL_FAILED=0
COUNT_SETUP_FAILED=0

# ---------------------------------------------------------------- helpers

# Succeed when check ID is selected by E2E_ATTACKS (a group or a check name).
wanted() {
	local id=$1 word
	[ -n "${E2E_ATTACKS:-}" ] || return 0
	for word in ${E2E_ATTACKS//,/ }; do
		[ "$id" != "$word" ] && [[ $id != "$word".* ]] || return 0
	done
	return 1
}

# Set PORT to a source port no earlier attempt used.
port_take() {
	PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
}

# Run a command in container NAME's network namespace (as root).
in_netns() {
	local name=$1
	shift
	nsenter --net="/proc/${PID[$name]}/ns/net" -- "$@"
}

# Run a command in atk's network namespace with Docker's default capabilities.
as_atk() {
	nsenter --net="/proc/${PID[atk]}/ns/net" -- \
		setpriv --inh-caps=-all --bounding-set="$DOCKER_CAPS" -- "$@"
}

# Send frames from atk: attack.py SUBCOMMAND with atk's interface and MAC.
atk_send() {
	local command=$1
	shift
	as_atk "$PY" "$ATTACK" "$command" --iface eth0 --src-mac "${MAC[atk]}" "$@" >/dev/null
}

# Start a command in the background in container NAME's network namespace
# (as root) and remember it; sets SPAWNED to its pid (nsenter execs it).
# Usage: spawn_in NAME command...
spawn_in() {
	local name=$1
	shift
	nsenter --net="/proc/${PID[$name]}/ns/net" -- "$@" &
	SPAWNED=$!
	BACKGROUND+=("$SPAWNED")
}

# Like spawn_in atk, with Docker's default capabilities.
spawn_atk() {
	nsenter --net="/proc/${PID[atk]}/ns/net" -- \
		setpriv --inh-caps=-all --bounding-set="$DOCKER_CAPS" -- "$@" &
	SPAWNED=$!
	BACKGROUND+=("$SPAWNED")
}

# Stop a background command started with spawn_in or spawn_atk.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Stop every background command still running.
stop_background() {
	local pid
	for pid in "${BACKGROUND[@]}"; do
		stop_pid "$pid"
	done
	BACKGROUND=()
}

# Print the lines of a sink's log (b1 or b2) whose payload is TAG, optionally
# only those from PEER_ADDR (and PEER_PORT).
# Usage: sink_lines NAME TAG [PEER_ADDR [PEER_PORT]]
sink_lines() {
	awk -v tag="$2" -v addr="${3:-}" -v port="${4:-}" '{
		payload = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", payload)
		if (payload == tag && (addr == "" || $3 == addr) && (port == "" || $4 == port)) print
	}' "$WORK/$1.log"
}

# Succeed when the sink in NAME received a line or datagram TAG (from PEER).
sink_got() {
	[ -n "$(sink_lines "$@")" ]
}

# Print the arrival times (ms) of the ticks of flow TAG at NAME's sink.
tick_times() {
	awk -v tag="$2" '$5 == tag { print $1 }' "$WORK/$1.log"
}

# Print the pid of NAME's main process, and its MAC and link-local address
# on the web network, into PID, MAC and LL.
container_learn() {
	local name=$1
	PID[$name]=$(container_pid "$name")
	MAC[$name]=$(dk inspect -f "{{(index .NetworkSettings.Networks \"$WEB_NET\").MacAddress}}" "$name")
	LL[$name]=$(in_netns "$name" ip -6 -o addr show dev eth0 scope link |
		awk '{ sub(/\/.*/, "", $4); print $4; exit }')
}

# Start the sink in container NAME (TCP and UDP lines logged to WORK/NAME.log).
sink_start() {
	local name=$1
	rm -f "$WORK/$name.ready"
	spawn_in "$name" "$PY" "$ATTACK" sink --log "$WORK/$name.log" \
		--tcp "$SINK_TCP" --udp "$SINK_UDP" --ready "$WORK/$name.ready"
	wait_until 5 test -e "$WORK/$name.ready" || e2e_die "the sink in $name did not start"
}

# Start a capture (attack.py peek or sniff) in NAME's namespace, writing to
# FILE, and wait until it runs; sets SPAWNED.
# Usage: capture_start NAME FILE SUBCOMMAND ARGS...
capture_start() {
	local name=$1 out=$2
	shift 2
	rm -f "$out.ready"
	spawn_in "$name" "$PY" "$ATTACK" "$@" --iface eth0 --ready "$out.ready" >"$out"
	wait_until 10 test -e "$out.ready" || e2e_die "capture in $name did not start"
}

# Put the victims' neighbour caches and routes back as Docker made them.
lan_restore() {
	local name
	for name in proxy b1 b2; do
		in_netns "$name" sh -c "ip -4 neigh flush dev eth0; ip -6 neigh flush dev eth0
			ip -6 addr flush dev eth0 to $RA_PREFIX/64; ip -6 route flush proto ra
			ip -4 route flush cache; ip -6 route flush cache" >/dev/null 2>&1 || true
	done
}

# ---------------------------------------------------------------- tjd

# Start tjd (the test configuration) and note when it reported ready.
tjd_up() {
	tjd_start
	TJD_READY_MS=$(now_ms)
}

# Stop tjd with `tjctl clear`: no rules of it may remain.
tjd_down() {
	if [ -n "$E2E_TJD_PID" ] && process_alive "$E2E_TJD_PID"; then
		tjctl clear >/dev/null || e2e_die "tjctl clear failed"
		tjd_wait_exit
		[ "$E2E_TJD_EXIT" != running ] || e2e_die "tjd did not exit after tjctl clear"
	fi
	E2E_TJD_PID=
	! tjd_rules_present || e2e_die "tjd's rules are still installed after tjctl clear"
}

# The proxy's own connections must still work after an attack (probed from
# its namespace with the host's busybox: quicker than docker exec).
proxy_health() {
	local target name address
	for target in "b1 $B1_V4" "b1 $B1_V6" "b2 $B2_V4" "b2 $B2_V6"; do
		read -r name address <<<"$target"
		if wait_until 3 pid_tcp_reaches "${PID[proxy]}" "$address" 80 "$name"; then
			e2e_pass "after $1: proxy -> $name tcp [$address]:80 reached"
		else
			e2e_fail "after $1: proxy -> $name tcp [$address]:80 no longer connects"
		fi
	done
}

# ---------------------------------------------------------------- reporting

# Record a positive control: the attack had to work without tjd.
# Usage: control_result ID DESCRIPTION yes|no [WHEN]  (WHEN: "without tjd")
control_result() {
	local id=$1 what=$2 worked=$3 when=${4:-without tjd}
	if [ "$worked" = yes ]; then
		CONTROL[$id]=ok
		e2e_pass "control $id: $when the attack works ($EVIDENCE)"
	else
		CONTROL[$id]=failed
		COUNT_CONTROL_FAILED=$((COUNT_CONTROL_FAILED + 1))
		e2e_fail "CONTROL FAILED $id: $when the attack had no effect ($EVIDENCE): the check proves nothing"
		echo "  RESULT [$E2E_BACKEND] $id: $what: CONTROL FAILED (the attack did not work $when: $EVIDENCE)"
	fi
}

# Record the attack's outcome with tjd running: it must have been blocked.
tjd_result() {
	local id=$1 what=$2 worked=$3
	if [ "$worked" = yes ]; then
		COUNT_OPEN=$((COUNT_OPEN + 1))
		e2e_fail "$id: NOT BLOCKED by tjd: $what ($EVIDENCE)"
		echo "  RESULT [$E2E_BACKEND] $id: $what: NOT BLOCKED ($EVIDENCE)"
		[ "${E2E_ATTACK_DEBUG:-0}" != 1 ] || ruleset_dump
	else
		COUNT_BLOCKED=$((COUNT_BLOCKED + 1))
		e2e_pass "$id: blocked by tjd: $what"
		echo "  RESULT [$E2E_BACKEND] $id: $what: blocked ($EVIDENCE)"
	fi
}

# Record that an attack could not be tried with tjd running (its set-up,
# e.g. the proxy's own flow it attacks, failed): that fails too.
setup_failed() {
	COUNT_SETUP_FAILED=$((COUNT_SETUP_FAILED + 1))
	e2e_fail "$1: could not be tried with tjd running ($EVIDENCE)"
	echo "  RESULT [$E2E_BACKEND] $1: $2: SET-UP FAILED with tjd ($EVIDENCE)"
}

# E2E_ATTACK_DEBUG=1: show the namespace's firewall when an attack got through.
ruleset_dump() {
	echo "  --- ruleset (tjd $(tjd_ready && echo ready || echo 'not ready'))"
	ruleset_snapshot | sed 's/^/  | /'
}

# Run the checks of one group: each attack without tjd (its control), then
# each with tjd, restoring the LAN and checking the proxy after each (or,
# with HEALTH_EACH=no, once after the group).
# Usage: run_group TITLE "ID|DESCRIPTION" ...  (check_ID MODE does the attack)
run_group() {
	local title=$1 entry id what rc started selected=()
	shift
	for entry in "$@"; do
		! wanted "${entry%%|*}" || selected+=("$entry")
	done
	[ ${#selected[@]} -gt 0 ] || return 0
	e2e_log "== $title"
	started=$(now_ms)
	tjd_down
	for entry in "${selected[@]}"; do
		id=${entry%%|*}
		what=${entry#*|}
		lan_restore
		EVIDENCE=
		rc=0
		"check_$id" control || rc=$?
		if [ "$rc" = 0 ]; then
			control_result "$id" "$what" yes
		else
			control_result "$id" "$what" no
		fi
	done
	lan_restore
	tjd_up
	for entry in "${selected[@]}"; do
		id=${entry%%|*}
		what=${entry#*|}
		[ "${CONTROL[$id]}" = ok ] || continue
		lan_restore
		EVIDENCE=
		rc=0
		"check_$id" tjd || rc=$?
		case $rc in
		0) tjd_result "$id" "$what" yes ;;
		1) tjd_result "$id" "$what" no ;;
		*) setup_failed "$id" "$what" ;;
		esac
		lan_restore
		[ "$HEALTH_EACH" = no ] || proxy_health "$id"
	done
	[ "$HEALTH_EACH" = yes ] || proxy_health "${title%%:*}"
	e2e_log "   (group took $(($(now_ms) - started)) ms)"
}

# ---------------------------------------------------------------- attack 1, 2: frames to b2, ARP, RA

# UDP from atk to b2's sink, tagged as VLAN (dot1q or qinq), FAMILY 4 or 6.
udp_to_b2() {
	local mode=$1 vlan=$2 family=$3 src dst tag
	port_take
	if [ "$family" = 4 ]; then src=$ATK_V4 dst=$B2_V4; else src=$ATK_V6 dst=$B2_V6; fi
	tag=udp$family-$vlan-$mode-$PORT
	atk_send udp --dst-mac "${MAC[b2]}" --vlan "$vlan" --src "$src" --dst "$dst" \
		--sport "$PORT" --dport "$SINK_UDP" --payload "$tag" --count 3
	if wait_until 1 sink_got b2 "$tag" "$src"; then
		EVIDENCE="b2's UDP socket received '$tag' from $src"
		return 0
	fi
	EVIDENCE="b2's UDP socket received nothing from $src:$PORT"
	return 1
}
# The same as IP fragments of SIZE bytes: untagged, the IP rules see the
# reassembled datagram (conntrack reassembles before them); tagged, the
# frames never reach the IP rules and layer 2 drops them.
# Usage: check_frag.* MODE -> frag_to_b2 MODE VLAN FAMILY SIZE
frag_to_b2() {
	local mode=$1 vlan=$2 family=$3 size=$4 src dst tag
	port_take
	if [ "$family" = 4 ]; then src=$ATK_V4 dst=$B2_V4; else src=$ATK_V6 dst=$B2_V6; fi
	tag=frag$family-$vlan-$mode-$PORT
	atk_send udp --dst-mac "${MAC[b2]}" --vlan "$vlan" --src "$src" --dst "$dst" \
		--sport "$PORT" --dport "$SINK_UDP" --payload "$tag" --fragment "$size" --count 3
	if wait_until 1 sink_got b2 "$tag" "$src"; then
		EVIDENCE="b2's UDP socket received '$tag' (sent in $size-byte fragments) from $src"
		return 0
	fi
	EVIDENCE="b2's UDP socket received nothing from $src:$PORT"
	return 1
}
check_frag.udp4-tiny() { frag_to_b2 "$1" none 4 8; }
check_frag.udp6() { frag_to_b2 "$1" none 6 56; }
check_frag.udp4-dot1q() { frag_to_b2 "$1" dot1q 4 8; }
check_frag.udp6-dot1q() { frag_to_b2 "$1" dot1q 6 56; }
check_vlan.udp4-dot1q() { udp_to_b2 "$1" dot1q 4; }
check_vlan.udp6-dot1q() { udp_to_b2 "$1" dot1q 6; }
check_vlan.udp4-qinq() { udp_to_b2 "$1" qinq 4; }
check_vlan.udp6-qinq() { udp_to_b2 "$1" qinq 6; }

# Print VICTIM's neighbour entry for ADDRESS.
neigh_entry() {
	in_netns "$1" ip neigh show "$2" dev eth0 2>/dev/null | tr -s ' \n' ' ' | sed 's/ $//'
}

# Succeed when VICTIM's neighbour entry for ADDRESS points at container
# OWNER's MAC.
# Usage: neigh_is VICTIM ADDRESS OWNER
neigh_is() {
	[[ " $(neigh_entry "$1" "$2") " == *" lladdr ${MAC[$3]} "* ]]
}

# Succeed when VICTIM's neighbour entry for ADDRESS points at atk's MAC.
neigh_is_atk() {
	neigh_is "$1" "$2" atk
}

# ARP replies from atk telling VICTIM that CLAIMED (an address of PEER) is at
# atk's MAC, with VLAN tagging.  VICTIM first learns PEER's real MAC (the
# proxy connects to b1), as any live entry would be; the replies span 2 s, so
# one arrives after the kernel's 1 s lock on a fresh entry.
arp_poison() {
	local victim=$1 victim_ip=$2 claimed=$3 vlan=$4 peer=$5
	if ! tcp_reaches proxy "$B1_V4" 80 b1 || ! neigh_is "$victim" "$claimed" "$peer"; then
		EVIDENCE="set-up: $victim has no entry for $claimed at $peer's MAC ($(neigh_entry "$victim" "$claimed"))"
		return 2
	fi
	atk_send arp-reply --dst-mac "${MAC[$victim]}" --vlan "$vlan" --psrc "$claimed" \
		--hwsrc "${MAC[atk]}" --pdst "$victim_ip" --hwdst "${MAC[$victim]}" \
		--count 9 --interval 0.25
	if wait_until 0.5 neigh_is_atk "$victim" "$claimed"; then
		EVIDENCE="$victim now has: $(neigh_entry "$victim" "$claimed")"
		return 0
	fi
	EVIDENCE="$victim still has: $(neigh_entry "$victim" "$claimed")"
	return 1
}
check_vlan.arp() { arp_poison b1 "$B1_V4" "$PROXY_V4" dot1q proxy; }
check_arp.spoof() { arp_poison b1 "$B1_V4" "$PROXY_V4" none proxy; }

# Print what b1 took from a router advertisement by atk: an address in the
# prefix, a default route via atk.
ra_effect() {
	local addr route
	addr=$(in_netns b1 ip -6 -o addr show dev eth0 to "$RA_PREFIX/64" | awk '{print $4}' | tr '\n' ' ')
	route=$(in_netns b1 ip -6 route show default via "${LL[atk]}" dev eth0 | tr -s ' \n' ' ')
	addr=${addr% } route=${route% }
	[ -z "$addr" ] || printf 'b1 autoconfigured %s' "$addr"
	[ -z "$addr" ] || [ -z "$route" ] || printf '; '
	[ -z "$route" ] || printf 'b1 has a route %s via atk' "$route"
}

# Succeed when b1 took anything from atk's router advertisement.
ra_took() {
	[ -n "$(ra_effect)" ]
}

# A router advertisement from atk's link-local address to b1 (VLAN tagging).
ra_to_b1() {
	local vlan=$2
	atk_send ra --dst-mac "${MAC[b1]}" --vlan "$vlan" --src "${LL[atk]}" \
		--prefix "$RA_PREFIX" --count 3 --interval 0.2
	if wait_until 1 ra_took; then
		EVIDENCE=$(ra_effect)
		return 0
	fi
	EVIDENCE="b1 has no address in $RA_PREFIX/64 and no route via ${LL[atk]}"
	return 1
}
check_vlan.ra() { ra_to_b1 "$1" dot1q; }
check_regress.ra-untagged() { ra_to_b1 "$1" none; }

# ---------------------------------------------------------------- attack 3: impersonating b1 to the proxy

check_impersonate.arp() { arp_poison proxy "$PROXY_V4" "$B1_V4" none b1; }

# An unsolicited neighbour advertisement (override flag) from atk's own
# address to the proxy: b1's IPv6 address is at atk's MAC.
check_impersonate.na() {
	if ! tcp_reaches proxy "$B1_V6" 80 b1 || ! neigh_is proxy "$B1_V6" b1; then
		EVIDENCE="set-up: the proxy has no entry for $B1_V6 at b1's MAC ($(neigh_entry proxy "$B1_V6"))"
		return 2
	fi
	atk_send na --dst-mac "${MAC[proxy]}" --src "$ATK_V6" --dst "$PROXY_V6" \
		--target "$B1_V6" --lladdr "${MAC[atk]}" --count 3 --interval 0.2
	if wait_until 0.5 neigh_is_atk proxy "$B1_V6"; then
		EVIDENCE="proxy now has: $(neigh_entry proxy "$B1_V6")"
		return 0
	fi
	EVIDENCE="proxy still has: $(neigh_entry proxy "$B1_V6")"
	return 1
}

# ---------------------------------------------------------------- attack 4: injection into the proxy's flows

# Open a TCP connection proxy:PORT -> ADDRESS:SINK_TCP that sends one line and
# then idles, and read from b2's side what an in-window segment of it must
# carry.  Sets HOLD_PID and SEG (sport next-seq ack tsval tsecr).
proxy_tcp_hold() {
	local address=$1 tag=$2 out=$WORK/peek.$PORT
	capture_start b2 "$out" peek --src "$PROXY_ADDR" --dst "$address" --dport "$SINK_TCP" --timeout 5
	local peek=$SPAWNED
	spawn_in proxy "$PY" "$ATTACK" ticker --proto tcp --dst "$address" --dport "$SINK_TCP" \
		--sport "$PORT" --tag "$tag" --count 1 --duration 20
	HOLD_PID=$SPAWNED
	wait "$peek" || true
	SEG=$(cat "$out")
	[ -n "$SEG" ] && wait_until 2 sink_got b2 "$tag 0"
}

# Start a two-way UDP flow proxy:PORT -> ADDRESS:SINK_UDP (b2's sink echoes
# each datagram); sets HOLD_PID.
proxy_udp_flow() {
	local address=$1 tag=$2
	spawn_in proxy "$PY" "$ATTACK" ticker --proto udp --dst "$address" --dport "$SINK_UDP" \
		--sport "$PORT" --tag "$tag" --interval 0.5 --duration 20
	HOLD_PID=$SPAWNED
	wait_until 2 sink_got b2 "$tag 0"
}

# Set PROXY_ADDR, B2_ADDR and ATK_ADDR for FAMILY (4 or 6).
family_addresses() {
	if [ "$1" = 4 ]; then
		PROXY_ADDR=$PROXY_V4 B2_ADDR=$B2_V4 ATK_ADDR=$ATK_V4
	else
		PROXY_ADDR=$PROXY_V6 B2_ADDR=$B2_V6 ATK_ADDR=$ATK_V6
	fi
}

# atk injects a line into the proxy's established TCP connection to b2.
inject_tcp() {
	local mode=$1 family=$2 sport seq ack tsval tsecr tag ts=()
	family_addresses "$family"
	port_take
	tag=INJECT-tcp$family-$mode-$PORT
	if ! proxy_tcp_hold "$B2_ADDR" "hold-$PORT"; then
		stop_pid "$HOLD_PID"
		EVIDENCE="set-up: no established proxy->b2 TCP connection to inject into"
		return 2
	fi
	read -r sport seq ack tsval tsecr <<<"$SEG"
	[ "$tsval" = - ] || ts=(--tsval "$tsval" --tsecr "$tsecr")
	atk_send tcp --dst-mac "${MAC[b2]}" --src "$PROXY_ADDR" --dst "$B2_ADDR" --sport "$sport" \
		--dport "$SINK_TCP" --flags PA --seq "$seq" --ack "$ack" "${ts[@]}" --payload "$tag"$'\n'
	if wait_until 1 sink_got b2 "$tag" "$PROXY_ADDR" "$sport"; then
		EVIDENCE="b2's application read '$tag' on the proxy's connection from $PROXY_ADDR:$sport (seq $seq)"
		stop_pid "$HOLD_PID"
		return 0
	fi
	EVIDENCE="b2's application read nothing injected on the proxy's connection $PROXY_ADDR:$sport (seq $seq)"
	stop_pid "$HOLD_PID"
	return 1
}
check_inject.tcp4() { inject_tcp "$1" 4; }
check_inject.tcp6() { inject_tcp "$1" 6; }

# atk sends a datagram claiming the proxy's side of its two-way UDP flow to b2.
inject_udp() {
	local mode=$1 family=$2 tag
	family_addresses "$family"
	port_take
	tag=INJECT-udp$family-$mode-$PORT
	if ! proxy_udp_flow "$B2_ADDR" "flow-$PORT"; then
		stop_pid "$HOLD_PID"
		EVIDENCE="set-up: no two-way proxy->b2 UDP flow"
		return 2
	fi
	atk_send udp --dst-mac "${MAC[b2]}" --src "$PROXY_ADDR" --dst "$B2_ADDR" --sport "$PORT" \
		--dport "$SINK_UDP" --payload "$tag" --count 2
	if wait_until 1 sink_got b2 "$tag" "$PROXY_ADDR" "$PORT"; then
		EVIDENCE="b2's socket received '$tag' as from the proxy's $PROXY_ADDR:$PORT"
		stop_pid "$HOLD_PID"
		return 0
	fi
	EVIDENCE="b2's socket received nothing as from the proxy's $PROXY_ADDR:$PORT"
	stop_pid "$HOLD_PID"
	return 1
}
check_inject.udp4() { inject_udp "$1" 4; }
check_inject.udp6() { inject_udp "$1" 6; }

# ---------------------------------------------------------------- attack 6: ICMP errors

# atk sends b2 an ICMP error quoting a packet b2 sent to the proxy on their
# flow: KIND mtu (fragmentation needed / packet too big, for a TCP
# connection) or port (port unreachable, for a UDP flow).
icmp_error() {
	local mode=$1 kind=$2 family=$3 out sport seq ack rest proto type code inner=() sniffer pmtu
	family_addresses "$family"
	port_take
	if [ "$kind" = mtu ]; then
		if ! proxy_tcp_hold "$B2_ADDR" "hold-$PORT"; then
			stop_pid "$HOLD_PID"
			EVIDENCE="set-up: no established proxy->b2 TCP connection"
			return 2
		fi
		read -r sport seq ack rest <<<"$SEG"
		inner=(--inner-proto tcp --inner-sport "$SINK_TCP" --inner-dport "$sport" --inner-seq "$ack" --inner-ack "$seq")
		if [ "$family" = 4 ]; then type=3 code=4; else type=2 code=0; fi
	else
		if ! proxy_udp_flow "$B2_ADDR" "flow-$PORT"; then
			stop_pid "$HOLD_PID"
			EVIDENCE="set-up: no two-way proxy->b2 UDP flow"
			return 2
		fi
		inner=(--inner-proto udp --inner-sport "$SINK_UDP" --inner-dport "$PORT")
		if [ "$family" = 4 ]; then type=3 code=3; else type=1 code=4; fi
	fi
	proto=icmp
	[ "$family" = 4 ] || proto=icmp6
	out=$WORK/sniff.$PORT
	capture_start b2 "$out" sniff --src "$ATK_ADDR" --dst "$B2_ADDR" --proto "$proto" \
		--type "$type" --code "$code" --timeout 3
	sniffer=$SPAWNED
	atk_send icmp-error --dst-mac "${MAC[b2]}" --kind "$kind" --src "$ATK_ADDR" --dst "$B2_ADDR" \
		--mtu 1280 --inner-dst "$PROXY_ADDR" "${inner[@]}" --count 2
	if wait "$sniffer"; then
		EVIDENCE="captured in b2: $(cat "$out")"
		if [ "$kind" = mtu ]; then
			pmtu=$(in_netns b2 ip route get "$PROXY_ADDR" 2>/dev/null | grep -o 'mtu [0-9]*' || true)
			EVIDENCE="$EVIDENCE; b2's route to the proxy: ${pmtu:-no mtu change}"
		fi
		stop_pid "$HOLD_PID"
		return 0
	fi
	EVIDENCE="nothing from $ATK_ADDR reached b2 (ICMP type $type code $code)"
	stop_pid "$HOLD_PID"
	return 1
}
check_icmp.mtu4() { icmp_error "$1" mtu 4; }
check_icmp.port4() { icmp_error "$1" port 4; }
check_icmp.mtu6() { icmp_error "$1" mtu 6; }
check_icmp.port6() { icmp_error "$1" port 6; }

# ---------------------------------------------------------------- regression: what held before

# Plain TCP (b1's and b2's HTTP servers) or UDP (their sinks) from atk.
plain_l4() {
	local proto=$1 target=$2 address=$3 port=80 expect=tjd-e2e:$2
	port_take
	if [ "$proto" = udp ]; then
		port=$SINK_UDP
		expect=probe-$PORT
	fi
	if as_atk "$PY" "$ATTACK" probe --proto "$proto" --dst "$address" --dport "$port" \
		--expect "$expect" --timeout 0.5; then
		EVIDENCE="atk got '$expect' back from [$address]:$port"
		return 0
	fi
	EVIDENCE="no answer from [$address]:$port"
	return 1
}

# Ping from atk (busybox ping in the container itself).
plain_ping() {
	local address=$2 family=-4
	[[ $address != *:* ]] || family=-6
	if dk exec atk ping "$family" -c 1 -W 1 "$address" >/dev/null 2>&1; then
		EVIDENCE="echo reply from $address"
		return 0
	fi
	EVIDENCE="no echo reply from $address"
	return 1
}

# Define check_regress.PROTO-TARGET-FAMILY for every combination.
regress_define() {
	local proto target family address
	for proto in tcp udp icmp; do
		for target in b1 b2; do
			for family in v4 v6 ll; do
				REGRESS_CHECKS+=("regress.$proto-$target-$family|plain $proto from atk to $target ($family)")
			done
		done
	done
}
REGRESS_CHECKS=()
regress_define

# Dispatch a regress.PROTO-TARGET-FAMILY check (defined from the check name).
regress_plain() {
	local name=$1 proto target family address
	IFS=- read -r proto target family <<<"${name#regress.}"
	case $target-$family in
	b1-v4) address=$B1_V4 ;;
	b1-v6) address=$B1_V6 ;;
	b2-v4) address=$B2_V4 ;;
	b2-v6) address=$B2_V6 ;;
	*-ll) address=${LL[$target]}%eth0 ;;
	esac
	if [ "$proto" = icmp ]; then
		plain_ping "$target" "$address"
	else
		plain_l4 "$proto" "$target" "$address"
	fi
}
for entry in "${REGRESS_CHECKS[@]}"; do
	eval "check_${entry%%|*}() { regress_plain ${entry%%|*}; }"
done

# A SYN from atk with the proxy's source address to b2's port 80.
spoofed_syn() {
	local family=$2 out sniffer
	family_addresses "$family"
	port_take
	out=$WORK/sniff.$PORT
	capture_start b2 "$out" sniff --src "$PROXY_ADDR" --dst "$B2_ADDR" --proto tcp --flags S \
		--sport "$PORT" --dport 80 --timeout 2
	sniffer=$SPAWNED
	atk_send tcp --dst-mac "${MAC[b2]}" --src "$PROXY_ADDR" --dst "$B2_ADDR" --sport "$PORT" \
		--dport 80 --flags S --count 2
	if wait "$sniffer"; then
		EVIDENCE="captured in b2: $(cat "$out")"
		return 0
	fi
	EVIDENCE="no SYN from $PROXY_ADDR:$PORT reached b2"
	return 1
}
check_regress.spoofed-syn4() { spoofed_syn "$1" 4; }
check_regress.spoofed-syn6() { spoofed_syn "$1" 6; }

# ---------------------------------------------------------------- attack 5: flows that predate a decision

# Start a flow of ticks (every 100 ms) from container SOURCE to b2's sink:
# PROTO tcp or udp, FAMILY 4 or 6, named TAG; sets SPAWNED.  atk's flows run
# with Docker's default capabilities.
flow_start() {
	local source=$1 proto=$2 family=$3 tag=$4 address=$B2_V4 port=$SINK_TCP ticker
	[ "$family" = 4 ] || address=$B2_V6
	[ "$proto" = tcp ] || port=$SINK_UDP
	port_take
	ticker=("$PY" "$ATTACK" ticker --proto "$proto" --dst "$address" --dport "$port"
		--sport "$PORT" --tag "$tag" --interval 0.1 --duration 40)
	if [ "$source" = atk ]; then
		spawn_atk "${ticker[@]}"
	else
		spawn_in "$source" "${ticker[@]}"
	fi
}

# Print how many ticks of TAG reached b2 after time SINCE (ms).
ticks_after() {
	tick_times b2 "$1" | awk -v since="$2" '$1 > since { n++ } END { print n + 0 }'
}

# Print the time (ms) of the last tick of TAG that reached b2, or 0.
last_tick() {
	tick_times b2 "$1" | tail -n 1 | grep . || echo 0
}

# Judge flow TAG (pid FLOW_PID) that must stop within 1 s of time T (ms):
# sets EVIDENCE, succeeds when it did NOT stop (the attack worked).
flow_outlived() {
	local tag=$1 pid=$2 t=$3 what=$4 last late
	last=$(last_tick "$tag")
	late=$(ticks_after "$tag" $((t + 1000)))
	if [ "$last" -gt "$t" ]; then
		EVIDENCE="last tick reached b2 $((last - t)) ms after $what; $late ticks more than 1 s after"
	elif [ "$last" -gt 0 ]; then
		EVIDENCE="last tick reached b2 $((t - last)) ms before $what"
	else
		EVIDENCE="no tick at all reached b2"
	fi
	process_alive "$pid" || EVIDENCE="$EVIDENCE; the sender had exited early"
	[ "$late" -gt 0 ]
}

# Assert that the proxy's flow TAG still delivered from 1 s after time T on.
# Usage: proxy_flow_survived ID FLOW TAG T WHAT
proxy_flow_survived() {
	local id=$1 flow=$2 tag=$3 t=$4 what=$5 n
	n=$(ticks_after "$tag" $((t + 1000)))
	echo "  RESULT [$E2E_BACKEND] $id: proxy's $flow flow to b2 across $what: $n ticks reached b2 from 1 s after on"
	expect_true "$id: the proxy's $flow flow to b2 survives $what ($n ticks after)" test "$n" -gt 10
}

# Flows from atk to b2 opened while tjd was not running must stop within 1 s
# of tjd reporting ready; the proxy's, opened alongside, carry on.
group_preexisting() {
	local flow id tag started selected=() proxy_flows=()
	local -A flow_pid flow_tag px_pid px_tag
	for flow in tcp4 tcp6 udp4 udp6; do
		! wanted "preexisting.$flow" || selected+=("$flow")
		! wanted "preexisting.proxy" || proxy_flows+=("$flow")
	done
	[ ${#selected[@]} -gt 0 ] || [ ${#proxy_flows[@]} -gt 0 ] || return 0
	e2e_log "== attack 5: flows opened before tjd protected the network"
	started=$(now_ms)
	tjd_down
	lan_restore
	# tracked from their first packet, as Docker 27 and later would
	ipv6_tracking_on
	on_cleanup ipv6_tracking_off
	for flow in "${selected[@]}"; do
		flow_tag[$flow]=pre-$flow-$NEXT_PORT
		flow_start atk "${flow:0:3}" "${flow:3}" "${flow_tag[$flow]}"
		flow_pid[$flow]=$SPAWNED
	done
	for flow in "${proxy_flows[@]}"; do
		px_tag[$flow]=px-$flow-$NEXT_PORT
		flow_start proxy "${flow:0:3}" "${flow:3}" "${px_tag[$flow]}"
		px_pid[$flow]=$SPAWNED
	done
	sleep 1.5
	for flow in "${selected[@]}"; do
		id=preexisting.$flow
		tag=${flow_tag[$flow]}
		EVIDENCE="$(tick_times b2 "$tag" | wc -l) ticks reached b2 before tjd"
		if sink_got b2 "$tag 0" && process_alive "${flow_pid[$flow]}"; then
			control_result "$id" "$flow flow atk->b2 opened before tjd" yes
		else
			control_result "$id" "$flow flow atk->b2 opened before tjd" no
		fi
	done
	tjd_up
	sleep 2.5
	for flow in "${selected[@]}"; do
		id=preexisting.$flow
		[ "${CONTROL[$id]}" = ok ] || continue
		if flow_outlived "${flow_tag[$flow]}" "${flow_pid[$flow]}" "$TJD_READY_MS" "tjd reported ready"; then
			tjd_result "$id" "$flow flow atk->b2 opened before tjd, still flowing 1 s after tjd was ready" yes
		else
			tjd_result "$id" "$flow flow atk->b2 opened before tjd, still flowing 1 s after tjd was ready" no
		fi
		stop_pid "${flow_pid[$flow]}"
	done
	for flow in "${proxy_flows[@]}"; do
		proxy_flow_survived preexisting.proxy "$flow" "${px_tag[$flow]}" "$TJD_READY_MS" "tjd's start"
		stop_pid "${px_pid[$flow]}"
	done
	ipv6_tracking_off
	proxy_health preexisting
	e2e_log "   (group took $(($(now_ms) - started)) ms)"
}

# A second allow-listed container, trusted, has flows to b2; the allow filter
# that matched it is removed and tjd reloaded: its flows must stop within 1 s,
# while the proxy's flows carry on.
group_withdraw() {
	local flow id reloaded started selected=() proxy_flows=() rc
	local -A wd_pid px_pid wd_tag px_tag
	for flow in tcp4 tcp6 udp4 udp6; do
		! wanted "withdraw.$flow" || selected+=("$flow")
		! wanted "reload.proxy" || proxy_flows+=("$flow")
	done
	[ ${#selected[@]} -gt 0 ] || [ ${#proxy_flows[@]} -gt 0 ] || return 0
	e2e_log "== attack 5: an allowance withdrawn by tjctl reload; the proxy's flows across it"
	started=$(now_ms)
	tjd_down
	lan_restore
	tjd_config_write
	echo "allow = label=tjd.trusted=true" >>"$TJD_CONF"
	tjd_up
	server_run trusted "$WEB_NET" --ip "$TRUSTED_V4" --ip6 "$TRUSTED_V6" --label tjd.trusted=true
	container_learn trusted
	wait_until 5 tcp_reaches trusted "$B2_V4" 80 b2 ||
		e2e_fail "set-up: the allow-listed 'trusted' never reached b2"
	for flow in "${selected[@]}"; do
		wd_tag[$flow]=wd-$flow-$NEXT_PORT
		flow_start trusted "${flow:0:3}" "${flow:3}" "${wd_tag[$flow]}"
		wd_pid[$flow]=$SPAWNED
	done
	for flow in "${proxy_flows[@]}"; do
		px_tag[$flow]=px-$flow-$NEXT_PORT
		flow_start proxy "${flow:0:3}" "${flow:3}" "${px_tag[$flow]}"
		px_pid[$flow]=$SPAWNED
	done
	sleep 1.5
	for flow in "${selected[@]}"; do
		id=withdraw.$flow
		EVIDENCE="$(tick_times b2 "${wd_tag[$flow]}" | wc -l) ticks reached b2 with tjd running"
		if sink_got b2 "${wd_tag[$flow]} 0" && process_alive "${wd_pid[$flow]}"; then
			control_result "$id" "$flow flow trusted->b2 after its allowance was withdrawn" yes "while allowed"
		else
			control_result "$id" "$flow flow trusted->b2 after its allowance was withdrawn" no "while allowed"
		fi
	done
	tjd_config_write
	rc=0
	tjctl reload >/dev/null || rc=$?
	reloaded=$(now_ms)
	expect_equal "tjctl reload without trusted's filter: exit status" 0 "$rc"
	if wait_until 2 tcp_blocked trusted "$B2_V4" 80 b2; then
		e2e_pass "after the reload trusted can no longer open connections to b2"
	else
		e2e_fail "after the reload trusted still opens new connections to b2"
	fi
	sleep 2.5
	for flow in "${selected[@]}"; do
		id=withdraw.$flow
		[ "${CONTROL[$id]}" = ok ] || continue
		if flow_outlived "${wd_tag[$flow]}" "${wd_pid[$flow]}" "$reloaded" "tjctl reload"; then
			tjd_result "$id" "$flow flow trusted->b2 still flowing 1 s after its allowance was withdrawn" yes
		else
			tjd_result "$id" "$flow flow trusted->b2 still flowing 1 s after its allowance was withdrawn" no
		fi
	done
	for flow in "${proxy_flows[@]}"; do
		proxy_flow_survived reload.proxy "$flow" "${px_tag[$flow]}" "$reloaded" "tjctl reload"
	done
	for flow in "${selected[@]}"; do stop_pid "${wd_pid[$flow]}"; done
	for flow in "${proxy_flows[@]}"; do stop_pid "${px_pid[$flow]}"; done
	dk rm -f trusted >/dev/null
	proxy_health withdraw
	e2e_log "   (group took $(($(now_ms) - started)) ms)"
}

# ---------------------------------------------------------------- main

test_begin
"$PY" -c 'import scapy' 2>/dev/null || e2e_die "scapy is missing: run scripts/deps.sh"
# A fresh directory: a log left by the run on the other backend would match.
rm -rf "$WORK"
mkdir -p "$WORK"
on_cleanup "rm -rf '$WORK'"
on_cleanup stop_background
topology_up
server_run atk "$WEB_NET" --ip "$ATK_V4" --ip6 "$ATK_V6"
for name in proxy b1 b2 atk; do
	container_learn "$name"
done
expect_equal "the attacker holds Docker's default capabilities (CapEff)" \
	"$(grep CapEff "/proc/${PID[atk]}/status")" "$(as_atk grep CapEff /proc/self/status)"
sink_start b1
sink_start b2
e2e_log "attempts use source ports from $NEXT_PORT on"
tjd_config_write

run_group "attack 1: frames tagged with VLAN id 0 (802.1Q, 802.1ad)" \
	"vlan.udp4-dot1q|802.1Q VID 0 UDP atk->b2 (IPv4)" \
	"vlan.udp6-dot1q|802.1Q VID 0 UDP atk->b2 (IPv6)" \
	"vlan.udp4-qinq|802.1ad+802.1Q VID 0 UDP atk->b2 (IPv4)" \
	"vlan.udp6-qinq|802.1ad+802.1Q VID 0 UDP atk->b2 (IPv6)" \
	"vlan.arp|802.1Q VID 0 ARP reply poisons b1's entry for the proxy" \
	"vlan.ra|802.1Q VID 0 router advertisement to b1"
run_group "attack 1: IP fragments (untagged, and tagged with VLAN id 0)" \
	"frag.udp4-tiny|UDP atk->b2 in 8-byte IPv4 fragments (the header alone in the first)" \
	"frag.udp6|UDP atk->b2 in IPv6 fragments" \
	"frag.udp4-dot1q|802.1Q VID 0 UDP atk->b2 in IPv4 fragments" \
	"frag.udp6-dot1q|802.1Q VID 0 UDP atk->b2 in IPv6 fragments"
run_group "attack 2: ARP spoofing of the proxy's address" \
	"arp.spoof|ARP reply to b1: the proxy's IPv4 is at atk's MAC"
run_group "attack 3: a backend impersonating a sibling to the proxy" \
	"impersonate.arp|ARP reply to the proxy: b1's IPv4 is at atk's MAC" \
	"impersonate.na|neighbour advertisement to the proxy: b1's IPv6 is at atk's MAC"
run_group "attack 4: injection into the proxy's established flows to b2" \
	"inject.tcp4|in-window TCP segment as the proxy into its connection to b2 (IPv4)" \
	"inject.tcp6|in-window TCP segment as the proxy into its connection to b2 (IPv6)" \
	"inject.udp4|UDP datagram as the proxy into its two-way flow with b2 (IPv4)" \
	"inject.udp6|UDP datagram as the proxy into its two-way flow with b2 (IPv6)"
group_preexisting
group_withdraw
run_group "attack 6: ICMP errors quoting the proxy's flows to b2" \
	"icmp.mtu4|ICMP fragmentation needed to b2 quoting its TCP connection with the proxy" \
	"icmp.port4|ICMP port unreachable to b2 quoting its UDP flow with the proxy" \
	"icmp.mtu6|ICMPv6 packet too big to b2 quoting its TCP connection with the proxy" \
	"icmp.port6|ICMPv6 port unreachable to b2 quoting its UDP flow with the proxy"
# These leave no trace in the victims: one look at the proxy after them all.
HEALTH_EACH=no
run_group "regression: what tjd blocked before" \
	"${REGRESS_CHECKS[@]}" \
	"regress.spoofed-syn4|SYN to b2 spoofing the proxy's IPv4 address" \
	"regress.spoofed-syn6|SYN to b2 spoofing the proxy's IPv6 address" \
	"regress.ra-untagged|untagged router advertisement to b1"

echo "  RESULT [$E2E_BACKEND] summary: $COUNT_BLOCKED blocked, $COUNT_OPEN NOT blocked, $COUNT_CONTROL_FAILED controls failed, $COUNT_SETUP_FAILED set-ups failed"
test_end
