#!/bin/bash
# A container's own firewall from its labels (DCFW's interface), enforced
# inside its network namespace, on a network tjd does not isolate.  DCFW's
# README example, on the test's addresses: a web server that accepts port
# 80 only from one subnet (and, over IPv6, from one address), and may open
# connections only to a database container's port 3306, named by container
# name.  Every probe first works without tjd; with tjd exactly the allowed
# connections pass, on a bridge network and on a macvlan network alike.
# On the bridge, the database is then re-created with a new address and
# the rule follows it; a container whose label cannot be parsed is denied
# both ways (and tjctl status says why).  A `log` rule's matches show in
# tjd's log and in `tjctl log`, naming the container, the rule and the
# connection; `tjctl rules` shows web's namespace among those tjd manages,
# headed by where it lives.  While c2 and web try denied
# connections without pause, tjd is killed (SIGKILL) and started again, and
# dockerd restarted with live-restore: not one attempt may get through.
# dockerd restarted without live-restore starts web (restart always) in a
# new namespace before tjd can hear of it: web's rules must be there again,
# and the test reports how many denied attempts from the host got through
# meanwhile, and when.  The first packet: a labelled container whose first
# act is a denied connection is started 20 times on each network; the test
# reports how many of those connections got through before tjd's rules were
# in (tjd hears of a container only once it runs) and asserts that the
# rules were there after every start.  A container in the host's network
# namespace is refused and the host's firewall left as it was.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

APPS_NET=e2e_apps
APPS_V4_SUBNET=172.29.0.0/24
APPS_V6_SUBNET=fd00:29::/64
WEB_APP_V4=172.29.0.10
WEB_APP_V6=fd00:29::10
C1_V4=172.29.0.20 # inside the allowed 172.29.0.0/25
C1_V6=fd00:29::20 # the one IPv6 source allowed
C2_V4=172.29.0.200
C2_V6=fd00:29::200
DB_V4=172.29.0.30
DB_V6=fd00:29::30
DB_NEW_V4=172.29.0.31
BAD_V4=172.29.0.40
# The namespace's own addresses on the bridge: 172.29.0.1 is inside the
# allowed /25, but only port 80 is open and the IPv6 rule names c1 alone.
HOST_PROBES=(
	"$WEB_APP_V4 3306 web v4:3306"
	"$WEB_APP_V6 80 web v6:80"
)
FIRST_PACKET_STARTS=20

# A container serving its name over HTTP on port 80 and, as the database, 3306.
# Restart policy always: a dockerd that does not keep containers across its
# restart (no live-restore) starts them again.
app_run() {
	local name=$1
	shift
	dk run -d --name "$name" --hostname "$name" --network "$APPS_NET" --stop-timeout 1 \
		--restart always "$@" \
		"$IMAGE" sh -c "echo tjd-e2e:$name > /www/index.html; httpd -p 3306 -h /www;
			exec httpd -f -p 80 -h /www" >/dev/null
}

web_run() {
	app_run web --ip "$WEB_APP_V4" --ip6 "$WEB_APP_V6" \
		--label dcfw.enable=true \
		--label dcfw.input.policy=deny \
		--label "dcfw.input.rule.1=allow on eth0 proto tcp from 172.29.0.0/25 to any port 80" \
		--label "dcfw.input.rule.2=allow on eth0 proto tcp from $C1_V6 to any port 80" \
		--label "dcfw.input.rule.3=deny log proto tcp to any port 3306 comment \"not the db\"" \
		--label dcfw.output.policy=deny \
		--label "dcfw.output.rule.1=allow proto tcp to container db port 3306 comment \"Allow access to MariaDB\""
}

# The probes and what each must do with tjd (all reach without it).
PROBES=(
	"reach c1 $WEB_APP_V4 80 web input rule 1"
	"blocked c2 $WEB_APP_V4 80 web input policy deny"
	"reach c1 $WEB_APP_V6 80 web input rule 2 (IPv6)"
	"blocked c2 $WEB_APP_V6 80 web input policy deny (IPv6)"
	"blocked c1 $WEB_APP_V4 3306 web not port 80"
	"reach web $DB_V4 3306 db output rule 1"
	"reach web $DB_V6 3306 db output rule 1 (IPv6)"
	"blocked web $DB_V4 80 db output policy deny"
	"blocked web $C1_V4 80 c1 output policy deny"
	"blocked web $C1_V6 80 c1 output policy deny (IPv6)"
	"blocked c1 $BAD_V4 80 bad bad labels: input denied"
	"blocked bad $C1_V4 80 c1 bad labels: output denied"
)

# Succeed when tjd's rules are in container NAME's namespace (per backend).
container_rules_present() {
	local net listing
	net=/proc/$(container_pid "$1")/ns/net
	# read whole before matching: grep -q may exit early, and pipefail sees SIGPIPE
	if [ "$E2E_BACKEND" = iptables ]; then
		listing=$(nsenter --net="$net" iptables-legacy -S TJD-INPUT 2>/dev/null) || return 1
		[[ $listing == *DROP* ]]
	else
		listing=$(nsenter --net="$net" nft list table inet tjd 2>/dev/null) || return 1
		[[ $listing == *drop* ]]
	fi
}

web_rules_present() {
	container_rules_present web
}

web_rules_absent() {
	! web_rules_present
}

# Succeed when tjd reports the connection to Docker as VALUE (true/false).
docker_connected_is() {
	[ "$(tjctl status --json 2>/dev/null | json_field docker_connected)" = "$1" ]
}

# Succeed when `tjctl rules CONTAINER` prints TEXT.
tjctl_rules_has() {
	local listing
	listing=$(tjctl rules "$1") && [[ $listing == *"$2"* ]]
}

# Succeed when tjctl status lists container NAME with a problem containing TEXT.
status_has() {
	tjctl status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if any(c["name"] == sys.argv[1] and sys.argv[2] in c["problem"]
                  for c in s.get("containers", [])) else 1)
' "$1" "$2"
}

# Runs every probe, expecting each to reach (WITH=no) or as listed (yes).
check_probes() {
	local with=$1 probe want source host port name
	for probe in "${PROBES[@]}"; do
		read -r want source host port name _ <<<"$probe"
		[ "$with" = yes ] || want=reach
		expect_tcp "$want" "$source" "$host" "$port" "$name"
	done
}

# Assert that the namespace itself can (or cannot) open TCP to every
# address of HOST_PROBES.
# Usage: check_host_probes reach|blocked
check_host_probes() {
	local probe host port name got=blocked
	for probe in "${HOST_PROBES[@]}"; do
		read -r host port name _ <<<"$probe"
		got=blocked
		! host_tcp_reaches "$host" "$port" "$name" || got=reach
		if [ "$got" = "$1" ]; then
			e2e_pass "host -> $name tcp [$host]:$port: $got"
		else
			e2e_fail "host -> $name tcp [$host]:$port: expected $1, got $got"
		fi
	done
}

# ---------------------------------------------------------------- probes without pause

# Start a prober in container SOURCE: every ~50 ms a connection attempt to
# HOST:PORT, each its own process (so a blocked one never delays the next);
# a reply from NAME is a leak.  Counted in /tmp/probe-TAG.*; it runs until
# probe_loops_stop.
probe_loop_start() {
	local source=$1 host=$2 port=$3 name=$4 tag=$5
	dk exec -d "$source" sh -c "rm -f /tmp/probe-$tag.* /tmp/probe-stop; while [ ! -e /tmp/probe-stop ]; do
		( printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $host $port 2>/dev/null |
			grep -q 'tjd-e2e:$name' && echo leak >>/tmp/probe-$tag.leaks ) &
		echo try >>/tmp/probe-$tag.tries; sleep 0.05; done"
}

# The same from the namespace itself, which needs no dockerd; each leak is
# recorded with its time (ms since the epoch).  Counted in $E2E_DIR/probe-TAG.
host_loop_start() {
	local host=$1 port=$2 name=$3 dir=$E2E_DIR/probe-$4
	rm -rf "$dir"
	mkdir -p "$dir"
	(
		while [ ! -e "$dir/stop" ]; do
			(
				reply=$(printf 'GET / HTTP/1.0\r\n\r\n' |
					in_ns /bin/busybox nc -w 1 "$host" "$port" 2>/dev/null) || true
				[[ $reply != *"tjd-e2e:$name"* ]] || now_ms >>"$dir/leaks"
			) &
			echo try >>"$dir/tries"
			sleep 0.05
		done
		wait
	) </dev/null >/dev/null 2>&1 9>&- &
}

# The denied connections probed without pause while tjd or dockerd restart:
# c2 -> web:80 over IPv4 and IPv6 (web's input policy), web -> c1:80 (its
# output policy).
probe_loops_start() {
	probe_loop_start c2 "$WEB_APP_V4" 80 web c2-web-v4
	probe_loop_start c2 "$WEB_APP_V6" 80 web c2-web-v6
	probe_loop_start web "$C1_V4" 80 c1 web-c1-v4
}

# Stop the probers of probe_loops_start (letting attempts in flight end) and
# print: leaks attempts.
probe_loops_stop() {
	dk exec c2 touch /tmp/probe-stop
	dk exec web touch /tmp/probe-stop
	sleep 1.5
	# shellcheck disable=SC2016 # expanded inside the containers
	{
		dk exec c2 sh -c 'cat /tmp/probe-c2-web-*.leaks 2>/dev/null | wc -l; cat /tmp/probe-c2-web-*.tries | wc -l'
		dk exec web sh -c 'cat /tmp/probe-web-c1-v4.leaks 2>/dev/null | wc -l; cat /tmp/probe-web-c1-v4.tries | wc -l'
	} | paste -s -d ' ' | awk '{ print $1 + $3, $2 + $4 }'
}

# Start the host's probers (HOST_PROBES, all denied).
host_loops_start() {
	local probe host port name
	for probe in "${HOST_PROBES[@]}"; do
		read -r host port name _ <<<"$probe"
		host_loop_start "$host" "$port" "$name" "host-$port"
	done
}

# Stop them and print: leaks attempts first-leak-ms last-leak-ms (0 0 if none).
host_loops_stop() {
	local dir leaks=()
	for dir in "$E2E_DIR"/probe-host-*; do
		touch "$dir/stop"
	done
	sleep 1.5
	mapfile -t leaks < <(cat "$E2E_DIR"/probe-host-*/leaks 2>/dev/null | sort -n)
	[ ${#leaks[@]} -gt 0 ] || leaks=(0 0)
	echo "$(cat "$E2E_DIR"/probe-host-*/leaks 2>/dev/null | wc -l)" \
		"$(cat "$E2E_DIR"/probe-host-*/tries | wc -l) ${leaks[0]} ${leaks[-1]}"
}

# Run COMMAND... while the denied connections are probed without pause;
# print how many attempts got through and assert that none did.
# Usage: without_pause DESCRIPTION command...
without_pause() {
	local what=$1 leaks tries
	shift
	probe_loops_start
	sleep 1
	"$@"
	sleep 1
	read -r leaks tries < <(probe_loops_stop)
	echo "  RESULT [$E2E_BACKEND] $what: $leaks of $tries denied attempts got through"
	expect_equal "no denied connection got through while $what" 0 "$leaks"
	expect_true "the probes really ran ($tries attempts)" test "$tries" -gt 60
}

# Kill tjd without warning, leave the containers a second without it, and
# start it again.
tjd_kill_and_restart() {
	kill -KILL "$E2E_TJD_PID"
	wait "$E2E_TJD_PID" 2>/dev/null || true
	E2E_TJD_PID=
	sleep 1
	tjd_start
	expect_true "tjctl rules web prints web's rules again" \
		wait_until 10 tjctl_rules_has web "dcfw.input.rule.1"
}

# Stop and start dockerd (live-restore: the containers keep running).
dockerd_restart() {
	dockerd_stop
	sleep 0.5
	dockerd_up
	expect_true "tjd reconnects to Docker" wait_until 15 docker_connected_is true
}

# Should the test stop half-way, give the next test a dockerd with live-restore.
live_restore_back() {
	if grep -q '"live-restore": false' "$E2E_DIR/daemon.json"; then
		dockerd_stop
		dockerd_up
	fi
}

# Succeed when web runs with a pid other than OLD_PID and tjd's rules are in
# its namespace.
web_new_with_rules() {
	local pid
	pid=$(container_pid web 2>/dev/null) || return 1
	[ "$pid" != 0 ] && [ "$pid" != "$1" ] && web_rules_present
}

# Restart dockerd so that it starts web (restart always) in a new namespace,
# with the host's probers on; E2E_LIVE_RESTORE says how the new dockerd
# keeps containers.  Print what happened and when, relative to the moment
# dockerd was told to stop; assert that web's rules are in the new namespace.
# Usage: dockerd_restart_measured DESCRIPTION
dockerd_restart_measured() {
	local what=$1 old_pid t0 t_up t_rules started leaks tries first last
	old_pid=$(container_pid web)
	host_loops_start
	sleep 0.5
	t0=$(now_ms)
	dockerd_stop
	dockerd_up
	t_up=$(now_ms)
	if wait_until 20 web_new_with_rules "$old_pid"; then
		t_rules=$(now_ms)
		e2e_pass "$what: web's rules are in its new namespace"
	else
		t_rules=
		e2e_fail "$what: web's rules are not in a new namespace of web's"
	fi
	started=$(date -d "$(dk inspect -f '{{.State.StartedAt}}' web)" +%s%3N)
	sleep 0.5
	read -r leaks tries first last < <(host_loops_stop)
	echo "  RESULT [$E2E_BACKEND] $what: dockerd answers at +$((t_up - t0)) ms," \
		"web started at +$((started - t0)) ms," \
		"its rules seen at +$((${t_rules:-$t0} - t0)) ms (0: never; polled from +$((t_up - t0)) ms)"
	if [ "$leaks" -gt 0 ]; then
		echo "  RESULT [$E2E_BACKEND] $what: $leaks of $tries denied attempts from the host got through," \
			"from +$((first - t0)) to +$((last - t0)) ms"
	else
		echo "  RESULT [$E2E_BACKEND] $what: 0 of $tries denied attempts from the host got through"
	fi
	expect_true "the host's probes really ran ($tries attempts)" test "$tries" -gt 40
}

# ---------------------------------------------------------------- first packet

# Start container NAME (fp-N): a firewall of its own, and an entrypoint whose
# first act is a connection to c1:80, which its output policy denies.  It
# prints "first-packet: reached" if c1 answered, and "first-packet: done"
# 0.2 s on (time enough for an answer on this network).
fp_run() {
	dk run -d --name "$1" --hostname fp --network "$APPS_NET" \
		--label dcfw.enable=true --label dcfw.output.policy=deny "$IMAGE" sh -c \
		"(printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $C1_V4 80 | grep -q tjd-e2e:c1 &&
			echo first-packet: reached) & sleep 0.2; echo first-packet: done; exec sleep 600" >/dev/null
}

# Succeed when container NAME has printed "first-packet: done".
fp_done() {
	local logs
	logs=$(dk logs "$1" 2>&1) && [[ $logs == *"first-packet: done"* ]]
}

# One start of a new fp-N: FP_VERDICT is reached or blocked; FP_RULES yes if
# tjd's rules were in its namespace within 5 s, and FP_RULES_MS when they
# were seen there, in ms after Docker's start time (an upper bound: polled
# from the moment `docker run` returns).  The container is removed in the
# background (FP_REMOVING holds those removals).
FP_COUNT=0
FP_REMOVING=()
fp_once() {
	local name=fp-$FP_COUNT logs seen started
	FP_COUNT=$((FP_COUNT + 1))
	fp_run "$name"
	FP_RULES=no
	FP_RULES_MS=
	if wait_until 5 container_rules_present "$name"; then
		seen=$(now_ms)
		FP_RULES=yes
		started=$(date -d "$(dk inspect -f '{{.State.StartedAt}}' "$name")" +%s%3N)
		FP_RULES_MS=$((seen - started))
	fi
	wait_until 5 fp_done "$name" || e2e_die "$name did not run its probe"
	logs=$(dk logs "$name" 2>&1)
	FP_VERDICT=blocked
	[[ $logs != *"first-packet: reached"* ]] || FP_VERDICT=reached
	dk rm -f "$name" >/dev/null 2>&1 &
	FP_REMOVING+=($!)
}

# Wait for the removals fp_once started.
fp_removed() {
	[ ${#FP_REMOVING[@]} -eq 0 ] || wait "${FP_REMOVING[@]}" || true
	FP_REMOVING=()
}

# FIRST_PACKET_STARTS starts of fp with tjd running: report how many of them
# let the first packet through, and when the rules were seen; assert that
# they were in place after every start.
first_packet_starts() {
	local driver=$1 i leaked=0 ruled=0 started delays=()
	started=$(now_ms)
	for ((i = 0; i < FIRST_PACKET_STARTS; i++)); do
		fp_once
		[ "$FP_VERDICT" = blocked ] || leaked=$((leaked + 1))
		[ "$FP_RULES" = no ] || ruled=$((ruled + 1))
		[ -z "$FP_RULES_MS" ] || delays+=("$FP_RULES_MS")
	done
	fp_removed
	echo "  RESULT [$E2E_BACKEND] $driver: first packet: $leaked of $FIRST_PACKET_STARTS starts leaked" \
		"($(($(now_ms) - started)) ms for the $FIRST_PACKET_STARTS)"
	if [ ${#delays[@]} -gt 0 ]; then
		mapfile -t delays < <(printf '%s\n' "${delays[@]}" | sort -n)
		echo "  RESULT [$E2E_BACKEND] $driver: rules seen in fp's namespace at most" \
			"${delays[0]}/${delays[${#delays[@]} / 2]}/${delays[-1]} ms (min/median/max) after Docker's start time"
	fi
	expect_equal "$driver: starts of fp after which its rules were in place" \
		"$FIRST_PACKET_STARTS" "$ruled"
}

# Assert that fp's first connection reaches c1 (run without tjd).
expect_fp_reaches() {
	fp_once
	fp_removed
	expect_equal "$1: fp's first connection to c1 without tjd" reached "$FP_VERDICT"
}

# The apps network of DRIVER (bridge, or macvlan over a veth parent) and its containers.
apps_up() {
	local driver=$1
	if [ "$driver" = macvlan ]; then
		# a veth as the parent: the kernel may have no dummy device
		in_ns ip link add e2e-mv0 type veth peer name e2e-mv1 2>/dev/null || true
		in_ns ip link set e2e-mv0 up
		in_ns ip link set e2e-mv1 up
		dk network create -d macvlan -o parent=e2e-mv0 --ipv6 --subnet "$APPS_V4_SUBNET" \
			--subnet "$APPS_V6_SUBNET" "$APPS_NET" >/dev/null
	else
		dk network create --ipv6 --subnet "$APPS_V4_SUBNET" --subnet "$APPS_V6_SUBNET" \
			"$APPS_NET" >/dev/null
	fi
	app_run db --ip "$DB_V4" --ip6 "$DB_V6"
	app_run c1 --ip "$C1_V4" --ip6 "$C1_V6"
	app_run c2 --ip "$C2_V4" --ip6 "$C2_V6"
	web_run
	# its rule's port is out of range: the labels cannot be parsed
	app_run bad --ip "$BAD_V4" --label dcfw.enable=true \
		--label "dcfw.input.rule.1=allow proto tcp to any port 99999"
	wait_until 10 tcp_reaches c2 "$WEB_APP_V4" 80 web ||
		e2e_die "the $driver apps network does not work"
}

apps_down() {
	dk rm -f web db c1 c2 bad >/dev/null
	dk network rm "$APPS_NET" >/dev/null
}

test_begin
on_cleanup "in_ns ip link del e2e-mv0 2>/dev/null"
apps_up bridge

e2e_log "without tjd: every probe connects"
check_probes no
check_host_probes reach
expect_fp_reaches bridge

tjd_config_write
rc=0
output=$(in_ns "$TJD_BIN" -c "$TJD_CONF" --socket "$TJD_SOCK" --dry-run 2>&1) || rc=$?
expect_equal "tjd --dry-run exit status" 0 "$rc"
expect_true "tjd --dry-run prints web's rules" \
	grep -q 'dcfw.output.rule.1: Allow access to MariaDB' <<<"$output"
expect_true "tjd --dry-run prints bad's problem" grep -q 'container bad: label' <<<"$output"
expect_true "the dry run changed nothing" web_rules_absent
tjd_start
e2e_log "with tjd: DCFW's README example on web"
expect_true "tjd logged web's rules" \
	wait_until 10 grep -q "container web: [0-9]* rules applied" "$TJD_LOG"
check_probes yes
e2e_log "a log rule: its matches named in tjd's log and in tjctl log"
expect_true "tjd logged c1's attempt on web:3306 with the rule and its comment" \
	wait_until 2 grep -qE "container web: dcfw.input.rule.3: not the db: tcp $C1_V4:[0-9]+ -> $WEB_APP_V4:3306\$" "$TJD_LOG"
web_log_has_rule3() {
	tjctl log --json --container web | python3 -c '
import json, sys
sys.exit(0 if any(e["kind"] == "container" and e["container"] == "web"
                  and e["rule"].startswith("dcfw.input.rule.3") and e["port"] == 3306
                  and e["src_name"] == "c1" for e in map(json.loads, sys.stdin)) else 1)'
}
expect_true "tjctl log --container web has it, with c1 named" web_log_has_rule3
e2e_log "what web's input policy blocks is in the drop log too"
expect_tcp blocked c2 "$WEB_APP_V4" 80 web
expect_true "tjd logged c2's attempt, blocked by web's input policy" \
	wait_until 2 grep -qE "container web: tcp $C2_V4:[0-9]+ -> $WEB_APP_V4:80 blocked: web's input policy is deny" "$TJD_LOG"
web_log_has_policy_drop() {
	tjctl log --json --container web | python3 -c '
import json, sys
sys.exit(0 if any(e["kind"] == "container-policy" and e["container"] == "web"
                  and e["src_name"] == "c2" and e["port"] == 80
                  for e in map(json.loads, sys.stdin)) else 1)'
}
expect_true "tjctl log has it as container-policy, with c2 named" web_log_has_policy_drop
check_host_probes blocked
expect_true "web's rules live in its own namespace" web_rules_present
expect_true "tjctl rules web prints them" tjctl_rules_has web "dcfw.input.rule.1"
all_rules_show_web() {
	local listing
	listing=$(tjctl rules) && [[ $listing == *"# container web, namespace "* ]] &&
		[[ $listing == *"# tjd's own network namespace"* ]] && [[ $listing == *dcfw.input.rule.1* ]]
}
expect_true "tjctl rules shows tjd's namespace and web's, each headed" all_rules_show_web
rc=0
tjctl rules nosuchcontainer >/dev/null 2>&1 || rc=$?
expect_equal "tjctl rules for a container without a firewall: exit status" 1 "$rc"

e2e_log "tjd killed (SIGKILL) and started again while denied connections are probed without pause"
without_pause "tjd killed (SIGKILL) and restarted" tjd_kill_and_restart
expect_tcp reach c1 "$WEB_APP_V4" 80 web
expect_tcp reach web "$DB_V4" 3306 db

e2e_log "db re-created with a new address: the rule follows it"
dk rm -f db >/dev/null
app_run db --ip "$DB_NEW_V4"
expect_true "web reaches the new db at $DB_NEW_V4:3306" \
	wait_until 10 tcp_reaches web "$DB_NEW_V4" 3306 db
expect_tcp blocked web "$DB_NEW_V4" 80 db

e2e_log "web restarts (a new namespace): its rules are there again"
dk restart -t 1 web >/dev/null
expect_true "c1 reaches web again" wait_until 10 tcp_reaches c1 "$WEB_APP_V4" 80 web
expect_true "c2 is blocked again" wait_until 10 tcp_blocked c2 "$WEB_APP_V4" 80 web

e2e_log "a label that cannot be parsed: denied both ways"
expect_true "tjd logged the label and its error" \
	grep -q "container bad: label dcfw.input.rule.1.*port out of range" "$TJD_LOG"
expect_tcp blocked c1 "$BAD_V4" 80 bad
expect_tcp blocked bad "$C1_V4" 80 c1
expect_true "tjctl status shows bad's problem" \
	status_has "bad" "port out of range"

e2e_log "dockerd restarted (live-restore keeps the containers and their namespaces)"
without_pause "dockerd restarted (live-restore)" dockerd_restart
expect_tcp reach c1 "$WEB_APP_V4" 80 web

e2e_log "dockerd restarted without live-restore: it stops the containers and starts them (restart always) in new namespaces"
# (the second restart brings back the live-restore the other tests expect)
on_cleanup live_restore_back
E2E_LIVE_RESTORE=false dockerd_restart_measured "dockerd restarted, now without live-restore (it replaces the running containers)"
dockerd_restart_measured "dockerd without live-restore restarted"
e2e_log "after the restarts: allowed connections pass, denied ones do not"
expect_tcp reach c1 "$WEB_APP_V4" 80 web
expect_tcp reach web "$DB_NEW_V4" 3306 db
expect_tcp blocked c2 "$WEB_APP_V4" 80 web
expect_tcp blocked web "$C1_V4" 80 c1

e2e_log "first packet: $FIRST_PACKET_STARTS starts of a container whose first act is a denied connection, on the bridge"
first_packet_starts bridge

e2e_log "the same on a macvlan network (over a veth parent): no host bridge sees that traffic"
tjd_signal_and_wait TERM
apps_down
apps_up macvlan
e2e_log "without tjd, on macvlan: every probe connects"
check_probes no
expect_fp_reaches macvlan
tjd_start
expect_true "tjd logged web's rules" \
	wait_until 10 grep -q "container web: [0-9]* rules applied" "$TJD_LOG"
e2e_log "with tjd, on macvlan"
check_probes yes
e2e_log "first packet: $FIRST_PACKET_STARTS starts of a container whose first act is a denied connection, on macvlan"
first_packet_starts macvlan

e2e_log "network_mode host with labels: refused, the host's firewall untouched"
HOST_BEFORE=$E2E_DIR/t50-host-before
ruleset_snapshot >"$HOST_BEFORE"
dk run -d --name hostnet --network host --label dcfw.enable=true \
	--label dcfw.input.policy=deny "$IMAGE" sleep 600 >/dev/null
expect_true "tjd says it refuses hostnet" \
	wait_until 10 grep -q "container hostnet: network_mode host: refused" "$TJD_LOG"
expect_ruleset_equal "the host's ruleset, with hostnet running" "$HOST_BEFORE"

e2e_log "tjd stops: web's rules stay (fail closed); tjctl clear removes them"
tjd_signal_and_wait TERM
expect_tcp blocked c2 "$WEB_APP_V4" 80 web
tjd_start
tjctl clear >/dev/null
tjd_wait_exit
expect_tcp reach c2 "$WEB_APP_V4" 80 web
expect_true "no rule of tjd's is left in web's namespace" web_rules_absent
host_rules_absent() { ! tjd_rules_present; }
expect_true "no rule of tjd's is left in its own namespace" host_rules_absent
test_end
