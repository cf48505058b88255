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
# both ways (and tjctl status says why).  A container in the host's
# network namespace is refused and the host's firewall left as it was.
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

# A container serving its name over HTTP on port 80 and, as the database, 3306.
app_run() {
	local name=$1
	shift
	dk run -d --name "$name" --hostname "$name" --network "$APPS_NET" --stop-timeout 1 "$@" \
		"$IMAGE" sh -c "echo tjd-e2e:$name > /www/index.html; httpd -p 3306 -h /www;
			exec httpd -f -p 80 -h /www" >/dev/null
}

web_run() {
	app_run web --ip "$WEB_APP_V4" --ip6 "$WEB_APP_V6" \
		--label dcfw.enable=true \
		--label dcfw.input.policy=deny \
		--label "dcfw.input.rule.1=allow on eth0 proto tcp from 172.29.0.0/25 to any port 80" \
		--label "dcfw.input.rule.2=allow on eth0 proto tcp from $C1_V6 to any port 80" \
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

# Succeed when tjd's rules are in web's namespace (per backend).
web_rules_present() {
	local net listing
	net=/proc/$(container_pid web)/ns/net
	# read whole before matching: grep -q may exit early, and pipefail sees SIGPIPE
	if [ "$E2E_BACKEND" = iptables ]; then
		listing=$(nsenter --net="$net" iptables-legacy -S TJD-INPUT 2>/dev/null) || return 1
		[[ $listing == *DROP* ]]
	else
		listing=$(nsenter --net="$net" nft list table inet tjd 2>/dev/null) || return 1
		[[ $listing == *drop* ]]
	fi
}

web_rules_absent() {
	! web_rules_present
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
expect_true "web's rules live in its own namespace" web_rules_present
expect_true "tjctl rules web prints them" tjctl_rules_has web "dcfw.input.rule.1"
rc=0
tjctl rules nosuchcontainer >/dev/null 2>&1 || rc=$?
expect_equal "tjctl rules for a container without a firewall: exit status" 1 "$rc"

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

e2e_log "the same on a macvlan network (over a veth parent): no host bridge sees that traffic"
tjd_signal_and_wait TERM
apps_down
apps_up macvlan
e2e_log "without tjd, on macvlan: every probe connects"
check_probes no
tjd_start
expect_true "tjd logged web's rules" \
	wait_until 10 grep -q "container web: [0-9]* rules applied" "$TJD_LOG"
e2e_log "with tjd, on macvlan"
check_probes yes

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
