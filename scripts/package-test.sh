#!/bin/bash
# The Debian package, end to end: build the .deb from a clean copy of the
# tree, lint it, install it, check what it installed (unit, conffile, group,
# man pages, bash completion), run the INSTALLED tjd against a private dockerd
# and show isolation, then purge it and show that the kernel ruleset is back
# to what it was and that no file is left behind.
#
# Usage: scripts/package-test.sh          (as root on Debian 12)
#
# Everything that touches the firewall happens in the network namespace
# tjdpkg (with tjdpkg-out), whose private dockerd keeps its files under
# /run/tjd-pkg (not /tmp: the unit's PrivateTmp= would hide the socket and
# the containers' namespaces from tjd).  The package is installed and purged
# from inside that namespace (nsenter --net), so prerm's `tjd --clear` clears
# it and never the machine's own firewall.
#
# The installed tjd runs twice:
#  1. directly, the way the unit runs it (as root, with the unit's capability
#     bounding set and supplementary group, no new privileges) and under
#     strace, so that every system call and socket family it used is checked
#     against the unit's SystemCallFilter= and RestrictAddressFamilies=;
#  2. as the service itself: PID 1 here is not systemd, so systemd-nspawn
#     boots the machine's own systemd (the host's /usr, where the package
#     is, on a throw-away root) in the test namespace, and `systemctl start
#     tjd` runs the installed unit with its whole sandbox.  Docker's netns
#     directory is made a shared mount first, as it is on a host booted by
#     systemd, so that namespaces created later reach the sandbox.
# The unit tests are not run again inside the package build (they ran just
# before, in scripts/test.sh): DEB_BUILD_OPTIONS defaults to nocheck.
#
# Prints one PASS/FAIL line per check and "N passed, N failed"; exits 1 if
# any check failed.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
export E2E_NS=tjdpkg
export E2E_DIR=/run/tjd-pkg
export TJD_BIN=/usr/sbin/tjd
export TJCTL_BIN=/usr/bin/tjctl
# shellcheck source-path=SCRIPTDIR source=../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"
# The installed tjd runs with its default backend (auto): accept either.
E2E_BACKEND=auto

OUT=/tmp/tjd-pkg-out
MACHINE=tjdpkg-systemd
NSPAWN_PID=
NSPAWN_LOG=$OUT/nspawn.log
NETNS_DIR=$E2E_DIR/exec/netns
NETNS_DIR_SHARED=0
UNIT=/lib/systemd/system/tjd.service
PASSED=0
FAILED=0
INSTALLED_BY_US=0
TJD_PID=
STRACE_LOG=$OUT/tjd.strace

# ---------------------------------------------------------------- output

# Record one check's outcome.
# Usage: check DESCRIPTION command...
check() {
	local what=$1
	shift
	if "$@"; then
		PASSED=$((PASSED + 1))
		echo "PASS $what"
	else
		FAILED=$((FAILED + 1))
		echo "FAIL $what"
	fi
}

# Record a failure found without a command to run.
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL $*"
}

# Print an indented detail line.
note() {
	printf '     %s\n' "$*"
}

# Stop: something the remaining checks rely on is broken.
abort() {
	fail "$*"
	exit 1
}

# ---------------------------------------------------------------- helpers

# Run a command in the test namespace (dpkg too: see the header).
in_pkg_ns() {
	nsenter --net="/run/netns/$E2E_NS" -- "$@"
}

# dpkg in the test namespace, its output in $OUT/dpkg.log (shown on failure).
dpkg_logged() {
	echo "# dpkg $*" >>"$OUT/dpkg.log"
	if ! in_pkg_ns dpkg "$@" >>"$OUT/dpkg.log" 2>&1; then
		tail -n 20 "$OUT/dpkg.log" | sed 's/^/     | /'
		return 1
	fi
	grep -E '^tjd:' "$OUT/dpkg.log" | sed 's/^/     | /' || true
}

# Build the .deb into $OUT.
build_deb() {
	local started
	started=$(now_ms)
	DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck} \
		"$TOP/packaging/build-deb.sh" "$OUT" >/dev/null || return 1
	note "built $(basename "$OUT"/tjd_*.deb) in $((($(now_ms) - started) / 1000)) s"
}

# lintian: no error or warning that is not overridden with a reason.
lintian_clean() {
	local rc=0
	lintian --pedantic --display-experimental --fail-on error,warning \
		"$OUT"/tjd_*.changes >"$OUT/lintian.log" 2>&1 || rc=$?
	grep -v '^running with root privileges' "$OUT/lintian.log" | sed 's/^/     /' || true
	lintian --show-overrides --display-info "$OUT"/tjd_*.changes 2>/dev/null | grep '^O:' |
		sed 's/^O: /     overridden: /' || true
	return "$rc"
}

# The unit, verified as installed (man pages and binaries it names included).
unit_verifies() {
	local output
	output=$(systemd-analyze verify "$UNIT" 2>&1) || {
		printf '%s\n' "$output" | sed 's/^/     /'
		return 1
	}
	[ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/     /'
	return 0
}

# Print the hardening score systemd-analyze gives the installed unit.
unit_security_score() {
	systemd-analyze security --offline=yes "$UNIT" 2>/dev/null |
		sed -n 's/^→ Overall exposure level for .*: //p'
}

# Succeed when man renders PAGE with its NAME section.
man_renders() {
	MANPAGER=cat MANWIDTH=80 man "$@" 2>/dev/null | grep -q '^NAME'
}

# Succeed when /etc/tjd/tjd.conf is a conffile of the package.
conffile_registered() {
	dpkg-query -W -f='${Conffiles}\n' tjd | grep -q '^ /etc/tjd/tjd.conf '
}

# The shipped configuration parses and protects no network.
default_config_protects_nothing() {
	"$TJD_BIN" --check-config 2>&1 | grep -qx 'configuration OK: 0 protected network(s), 0 set(s)'
}

# Complete the words of LINE (a trailing space starts a new word) with the
# installed completion, in a fresh bash; print the candidates sorted on one line.
complete_line() {
	bash -c '
		. /usr/share/bash-completion/completions/tjctl
		read -ra COMP_WORDS <<<"$1"
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		if [[ $1 == *" " ]]; then
			COMP_WORDS+=("")
			COMP_CWORD=${#COMP_WORDS[@]}
			COMP_CWORD=$((COMP_CWORD - 1))
		fi
		_tjctl
		printf "%s\n" ${COMPREPLY[@]+"${COMPREPLY[@]}"} | sort | tr "\n" " "
	' complete-test "$1"
}

# Check one completion: exactly EXPECTED, or with "including" at least those
# words (commands are read from `tjctl --help`, so new ones appear too).
# Usage: expect_completion LINE [including] EXPECTED
expect_completion() {
	local line=$1 got word ok=1
	if [ "$2" = including ]; then
		shift
		got=$(complete_line "$line")
		for word in $2; do
			[[ " $got " == *" $word "* ]] || ok=0
		done
	else
		got=$(complete_line "$line")
		[ "${got% }" = "$2" ] || ok=0
	fi
	got=${got% }
	if [ "$ok" = 1 ]; then
		PASSED=$((PASSED + 1))
		echo "PASS completion of \"$line\": $got"
	else
		fail "completion of \"$line\": expected \"$2\", got \"$got\""
	fi
}

# The value of KEY= in the installed unit (all lines, space-joined).
unit_value() {
	sed -n "s/^$1=//p" "$UNIT" | tr '\n' ' ' | sed 's/ *$//'
}

# The unit's CapabilityBoundingSet= as setpriv's --bounding-set argument.
unit_bounding_set() {
	local cap arg=-all
	for cap in $(unit_value CapabilityBoundingSet); do
		cap=${cap#CAP_}
		arg="$arg,+${cap,,}"
	done
	echo "$arg"
}

# Print the system calls of a systemd syscall group (recursively) or name.
syscall_expand() {
	local item=$1 line word
	if [[ $item != @* ]]; then
		echo "$item"
		return 0
	fi
	while read -r line; do
		line=${line%%#*}
		for word in $line; do
			[ "$word" = "$item" ] || syscall_expand "$word"
		done
	done < <(systemd-analyze syscall-filter "$item" 2>/dev/null | tail -n +2)
}

# Print the allow-list that the unit's SystemCallFilter= lines build, in
# order: a line adds its calls, a line starting with ~ removes them.
unit_syscall_allowlist() {
	local value word name invert
	local -A allowed=()
	while IFS= read -r value; do
		invert=
		if [[ $value == "~"* ]]; then
			invert=1
			value=${value#"~"}
		fi
		for word in $value; do
			while read -r name; do
				[ -n "$name" ] || continue
				if [ -n "$invert" ]; then
					unset "allowed[$name]"
				else
					allowed[$name]=1
				fi
			done < <(syscall_expand "$word" | sort -u)
		done
	done < <(sed -n 's/^SystemCallFilter=//p' "$UNIT")
	printf '%s\n' "${!allowed[@]}" | sort
}

# Every system call tjd made (after its execve) is allowed by the unit.
syscalls_allowed() {
	local used missing
	used=$(awk -v bin="$TJD_BIN" 'index($0, "execve(\"" bin "\"") { on = 1 }
		on && $2 ~ /^[a-z_0-9]+\(/ { sub(/\(.*/, "", $2); print $2 }' "$STRACE_LOG" | sort -u)
	[ -n "$used" ] || {
		note "strace recorded nothing"
		return 1
	}
	missing=$(comm -23 <(echo "$used") <(unit_syscall_allowlist))
	note "tjd made $(echo "$used" | wc -l) distinct system calls, among them" \
		"$(grep -xE 'setns|f?chown(at)?|setsockopt' <<<"$used" | tr '\n' ' ')"
	if [ -n "$missing" ]; then
		note "not allowed by SystemCallFilter=: $(echo "$missing" | tr '\n' ' ')"
		return 1
	fi
}

# Every socket tjd opened is of a family RestrictAddressFamilies= allows.
socket_families_allowed() {
	local family used allowed bad=
	used=$(grep -oE ' socket\(AF_[A-Z0-9]+' "$STRACE_LOG" | sed 's/.*(//' | sort -u)
	allowed=$(unit_value RestrictAddressFamilies)
	for family in $used; do
		[[ " $allowed " == *" $family "* ]] || bad="$bad $family"
	done
	note "socket families used: $(echo "$used" | tr '\n' ' ')"
	[ -z "$bad" ] || {
		note "not allowed by RestrictAddressFamilies=:$bad"
		return 1
	}
}

# The configuration an administrator would write: protect the test network.
admin_config_write() {
	cat >/etc/tjd/tjd.conf <<-EOF
		# Written by scripts/package-test.sh: the private test dockerd.
		[daemon]
		docker_host = unix://$DOCKER_SOCK
		poll_interval = 5
		[network $WEB_NET]
		allow = label=tjd.allow=true
		allow_host_traffic = no
	EOF
}

# Start the installed tjd as the unit would (see the header), under strace.
installed_tjd_start() {
	local gid
	gid=$(getent group tjd | cut -d: -f3)
	in_pkg_ns strace -f -qq -o "$STRACE_LOG" \
		setpriv --bounding-set "$(unit_bounding_set)" --inh-caps -all \
		--groups "$gid" --no-new-privs \
		"$TJD_BIN" -f --socket "$TJD_SOCK" </dev/null >"$TJD_LOG" 2>&1 &
	TJD_PID=$!
	wait_until 15 installed_tjd_ready
}

# Succeed once the installed tjd reports ready.
installed_tjd_ready() {
	process_alive "$TJD_PID" || return 1
	tjctl status --json 2>/dev/null | json_field ready | grep -qx true
}

# Stop the test's tjd the way `systemctl stop` would: SIGTERM.
installed_tjd_stop() {
	local tracee
	[ -n "$TJD_PID" ] || return 0
	# $! is strace; tjd is the traced process below setpriv.
	tracee=$(pgrep -f "^$TJD_BIN -f --socket $TJD_SOCK" || true)
	[ -z "$tracee" ] || kill -TERM "$tracee" 2>/dev/null || true
	wait_process_gone "$TJD_PID" 10 || kill -KILL "$TJD_PID" 2>/dev/null || true
	wait "$TJD_PID" 2>/dev/null || true
	TJD_PID=
}

# tjctl as an unprivileged user, optionally in group tjd; print its exit status.
# Usage: tjctl_as_nobody with-group|without-group command...
tjctl_as_nobody() {
	local groups=--clear-groups rc=0
	[ "$1" = without-group ] || groups="--groups=$(getent group tjd | cut -d: -f3)"
	shift
	setpriv --reuid=nobody --regid=nogroup "$groups" \
		"$TJCTL_BIN" --socket "$TJD_SOCK" "$@" >/dev/null 2>&1 || rc=$?
	echo "$rc"
}

# The namespace's ruleset equals the snapshot in FILE; show the diff if not.
ruleset_unchanged() {
	if ! ruleset_snapshot | diff -u "$1" - >"$OUT/ruleset.diff"; then
		sed 's/^/     /' "$OUT/ruleset.diff"
		return 1
	fi
}

# Paths of the package that still exist and are not directories that some
# other package owns too.
files_left_behind() {
	local path
	while read -r path; do
		[ "$path" != /. ] || continue
		[ -e "$path" ] || [ -L "$path" ] || continue
		# /lib is a symbolic link to usr/lib on merged-/usr systems.
		if [ -d "$path" ] && dpkg-query -S "$path" >/dev/null 2>&1; then
			continue
		fi
		echo "$path"
	done <"$OUT/dpkg-L.txt"
}

# ---------------------------------------------------------------- under systemd

# Make Docker's netns directory a shared mount, as everything is on a host
# booted by systemd (here / is private), so that namespaces Docker creates
# later propagate into the machine and into the unit's mount namespace.
netns_dir_share() {
	mount --rbind "$NETNS_DIR" "$NETNS_DIR" && mount --make-rshared "$NETNS_DIR" &&
		NETNS_DIR_SHARED=1
}

# Undo netns_dir_share: detach the shared mount and what was mounted on it.
netns_dir_unshare() {
	[ "$NETNS_DIR_SHARED" = 1 ] || return 0
	umount -l "$NETNS_DIR" 2>/dev/null || true
	NETNS_DIR_SHARED=0
}

# Boot the machine's systemd in a container: the host's /usr (with the
# installed package) on a throw-away root, in the test network namespace,
# with the test dockerd's socket and netns directory and the administrator's
# /etc/tjd/tjd.conf.  sysusers.d and tmpfiles.d run at boot as on a real host.
machine_boot() {
	setsid systemd-nspawn --quiet -D / --volatile=yes --register=no --keep-unit \
		--machine="$MACHINE" --network-namespace-path="/run/netns/$E2E_NS" \
		--capability=CAP_NET_ADMIN --bind="$DOCKER_SOCK" --bind="$NETNS_DIR" \
		--bind-ro=/etc/tjd/tjd.conf --console=passive --boot -- \
		systemd.unit=basic.target systemd.firstboot=off systemd.mask=docker.socket \
		</dev/null >"$NSPAWN_LOG" 2>&1 &
	NSPAWN_PID=$!
	if ! wait_until 30 machine_running; then
		sed 's/^/     | /' "$NSPAWN_LOG"
		return 1
	fi
}

# Print the pid (on the host) of the machine's systemd.
machine_init_pid() {
	pgrep -P "$NSPAWN_PID" -x systemd
}

# Run a command inside the machine.
in_machine() {
	local pid
	pid=$(machine_init_pid) || return 1
	nsenter -t "$pid" -a -- "$@"
}

# Succeed once the machine's systemd has finished booting.
machine_running() {
	local state
	process_alive "$NSPAWN_PID" || return 1
	state=$(in_machine systemctl is-system-running 2>/dev/null) || true
	[ "$state" = running ] || [ "$state" = degraded ]
}

# Power the machine off (nspawn turns SIGTERM into a clean shutdown).
machine_poweroff() {
	[ -n "$NSPAWN_PID" ] || return 0
	kill -TERM "$NSPAWN_PID" 2>/dev/null || true
	wait_process_gone "$NSPAWN_PID" 20 || kill -KILL "$NSPAWN_PID" 2>/dev/null || true
	wait "$NSPAWN_PID" 2>/dev/null || true
	NSPAWN_PID=
}

# Print a service property inside the machine.
unit_property() {
	in_machine systemctl show -p "$1" --value tjd.service
}

# Print the capability mask (as /proc/PID/status shows it) of the unit's
# CapabilityBoundingSet=.
unit_capability_mask() {
	local cap bit mask=0
	for cap in $(unit_value CapabilityBoundingSet); do
		bit=$(awk -v name="$cap" '$1 == "#define" && $2 == name { print $3 }' \
			/usr/include/linux/capability.h)
		mask=$((mask | (1 << bit)))
	done
	printf '%016x\n' "$mask"
}

# The service's main process has the unit's capabilities and no more, no new
# privileges, a seccomp filter, and group tjd.
service_credentials_confined() {
	local status expected
	status=$(in_machine cat "/proc/$(unit_property MainPID)/status")
	expected=$(unit_capability_mask)
	note "$(grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' <<<"$status" | tr -s '\t\n' '  ')"
	grep -qx "CapEff:	$expected" <<<"$status" &&
		grep -qx "CapBnd:	$expected" <<<"$status" &&
		grep -qx 'NoNewPrivs:	1' <<<"$status" &&
		grep -qx 'Seccomp:	2' <<<"$status"
}

# tjctl inside the machine as nobody in group tjd; print its exit status.
machine_tjctl_as_member() {
	local gid rc=0
	gid=$(in_machine getent group tjd | cut -d: -f3)
	in_machine setpriv --reuid=nobody --regid=nogroup --groups="$gid" \
		tjctl "$@" >/dev/null 2>&1 || rc=$?
	echo "$rc"
}

# tjd's journal holds no refusal by the sandbox.
journal_has_no_refusals() {
	local refusals
	refusals=$(in_machine journalctl -u tjd.service -o cat --no-pager |
		grep -iE 'not permitted|permission denied|read-only file system|bad system call' || true)
	[ -z "$refusals" ] || printf '%s\n' "$refusals" | sed 's/^/     | /'
	[ -z "$refusals" ]
}

# Append a bad line to the configuration; a reload must then fail.
config_break() {
	cp /etc/tjd/tjd.conf "$OUT/tjd.conf.good"
	echo 'alow = typo' >>/etc/tjd/tjd.conf
}

# Undo config_break (in place: the machine sees the file through a bind mount).
config_repair() {
	cat "$OUT/tjd.conf.good" >/etc/tjd/tjd.conf
}

# The service runs again after its main process was killed.
service_restarted_after_kill() {
	local old=$1
	[ "$(in_machine systemctl is-active tjd.service)" = active ] &&
		[ "$(unit_property MainPID)" != "$old" ] && [ "$(unit_property MainPID)" != 0 ]
}

# The whole service phase: boot, start, isolation, reload, restart, stop.
systemd_phase() {
	local pid
	netns_dir_share || abort "cannot make $NETNS_DIR a shared mount"
	check "systemd boots in a container in netns $E2E_NS" machine_boot ||
		abort "no systemd to run the unit"
	check "sysusers.d created group tjd at boot" eval "in_machine getent group tjd >/dev/null"
	check "tmpfiles.d created /run/xtables.lock at boot" in_machine test -f /run/xtables.lock
	if ! check "systemctl start tjd (Type=notify: returns once the rules are in place)" \
		in_machine systemctl start tjd.service; then
		in_machine journalctl -u tjd.service -o cat --no-pager | tail -n 20 | sed 's/^/     | /'
		return 1
	fi
	check "status text is \"enforcing\"" test "$(unit_property StatusText)" = enforcing
	check "main process: only the unit's capabilities, no new privileges, seccomp" \
		service_credentials_confined
	check "RuntimeDirectory /run/tjd is 755 and the socket 660 root:tjd" \
		test "$(in_machine stat -c '%a' /run/tjd) $(in_machine stat -c '%a %U %G' /run/tjd/tjd.sock)" \
		= "755 660 root tjd"
	check "tjctl status as a member of group tjd" test "$(machine_tjctl_as_member status)" = 0
	check "proxy reaches b1 at [$B1_V4]:80" tcp_reaches proxy "$B1_V4" 80 b1
	check "proxy reaches b2 at [$B2_V6]:80" tcp_reaches proxy "$B2_V6" 80 b2
	check "b1 cannot reach b2 at [$B2_V4]:80" eval "! tcp_reaches b1 $B2_V4 80 b2"
	check "b2 cannot reach b1 at [$B1_V6]:80" eval "! tcp_reaches b2 $B1_V6 80 b1"
	dk restart -t 1 proxy >/dev/null
	check "after the proxy restarts (a new netns), it reaches b1 again" \
		wait_until 10 tcp_reaches proxy "$B1_V4" 80 b1
	check "systemctl reload tjd" in_machine systemctl reload tjd.service
	config_break
	check "systemctl reload with a bad configuration fails" \
		eval "! in_machine systemctl reload tjd.service 2>/dev/null"
	config_repair
	check "tjd still runs after the refused reload" \
		test "$(in_machine systemctl is-active tjd.service)" = active
	pid=$(unit_property MainPID)
	in_machine kill -KILL "$pid"
	check "Restart=on-failure: tjd runs again after SIGKILL" \
		wait_until 15 service_restarted_after_kill "$pid"
	check "the sandbox refused tjd nothing (journal)" journal_has_no_refusals
	check "systemctl stop tjd" in_machine systemctl stop tjd.service
	check "stopping leaves the rules in place" tjd_rules_present
	check "stopping removes /run/tjd" in_machine test ! -e /run/tjd
}

# ---------------------------------------------------------------- main

cleanup() {
	local rc=$?
	installed_tjd_stop
	machine_poweroff
	netns_dir_unshare
	if [ "$INSTALLED_BY_US" = 1 ] && dpkg-query -W tjd >/dev/null 2>&1; then
		in_pkg_ns dpkg --purge tjd >/dev/null 2>&1 || true
	fi
	env_down || leftover_mounts_remove
	exit "$rc"
}

# env_down unmounts what it finds under $E2E_DIR once; the shared netns
# directory stacks mounts, so some need another pass.
leftover_mounts_remove() {
	local mount
	for _ in 1 2 3 4 5; do
		mount=$(awk -v dir="$E2E_DIR/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo)
		[ -n "$mount" ] || break
		awk -v dir="$E2E_DIR/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo |
			sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
	done
	rm -rf "$E2E_DIR"
}

main() {
	local before started rc tool status score
	started=$(now_ms)
	[ "$(id -u)" = 0 ] || {
		echo "package-test.sh: must run as root" >&2
		exit 1
	}
	for tool in dpkg-buildpackage lintian systemd-analyze systemd-nspawn man strace setpriv; do
		command -v "$tool" >/dev/null || abort "$tool is not installed (run scripts/deps.sh)"
	done
	status=$(dpkg-query -W -f='${db:Status-Status}' tjd 2>/dev/null) || status=
	if [ "$status" = installed ] || [ "$status" = config-files ]; then
		abort "package tjd is already on this machine ($status): purge it first"
	fi
	rm -rf "$OUT"
	mkdir -p "$OUT"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	echo "== build and lint"
	check "dpkg-buildpackage -us -uc -b from a clean copy of the tree" build_deb ||
		abort "no package to test"
	check "lintian: no errors, every warning overridden with a reason" lintian_clean

	echo "== private dockerd in netns $E2E_NS"
	env_up
	topology_up
	before=$OUT/ruleset.before
	ruleset_snapshot >"$before"

	echo "== install"
	INSTALLED_BY_US=1
	check "dpkg -i" dpkg_logged -i "$OUT"/tjd_*_*.deb
	dpkg -L tjd >"$OUT/dpkg-L.txt"
	check "/usr/sbin/tjd and /usr/bin/tjctl installed" test -x "$TJD_BIN" -a -x "$TJCTL_BIN"
	check "/etc/tjd/tjd.conf is a conffile" conffile_registered
	check "the shipped configuration protects no network" default_config_protects_nothing
	check "group tjd created" eval "getent group tjd >/dev/null"
	check "systemd-analyze verify $UNIT" unit_verifies
	score=$(unit_security_score)
	note "systemd-analyze security: exposure ${score:-unknown}"
	check "man tjd renders" man_renders 8 tjd
	check "man tjctl renders" man_renders 8 tjctl
	check "man tjd.conf renders" man_renders 5 tjd.conf
	expect_completion "tjctl " including "clear reload rules status"
	expect_completion "tjctl re" "reload"
	expect_completion "tjctl --" "--help --socket --timeout --version"
	expect_completion "tjctl --socket /run/tjd/tjd.sock st" "status"
	expect_completion "tjctl status --" "--help --json"

	echo "== the installed tjd against the private dockerd"
	admin_config_write
	note "running: $TJD_BIN -f, bounding set $(unit_bounding_set)," \
		"supplementary group tjd, no new privileges"
	if ! check "installed tjd becomes ready" installed_tjd_start; then
		sed 's/^/     | /' "$TJD_LOG"
		abort "the installed tjd did not start"
	fi
	check "tjd's rules are installed" tjd_rules_present
	check "control socket is mode 660, group tjd (chgrp without CAP_CHOWN)" \
		test "$(stat -c '%a %G' "$TJD_SOCK")" = "660 tjd"
	check "tjctl status as nobody in group tjd: exit 0" \
		test "$(tjctl_as_nobody with-group status)" = 0
	check "tjctl clear as nobody in group tjd: refused (exit 1)" \
		test "$(tjctl_as_nobody with-group clear)" = 1
	rc=$(tjctl_as_nobody without-group status)
	check "tjctl status as nobody outside group tjd: refused (exit $rc)" test "$rc" != 0
	for target in "b1 $B1_V4" "b1 $B1_V6" "b2 $B2_V4" "b2 $B2_V6"; do
		read -r name address <<<"$target"
		check "proxy reaches $name at [$address]:80" tcp_reaches proxy "$address" 80 "$name"
	done
	for target in "b1 b2 $B2_V4" "b1 b2 $B2_V6" "b2 b1 $B1_V4" "b2 b1 $B1_V6"; do
		read -r from name address <<<"$target"
		check "$from cannot reach $name at [$address]:80" \
			eval "! tcp_reaches $from $address 80 $name"
	done
	check "b1 cannot reach the port b2 publishes on the host" \
		eval "! tcp_reaches b1 $WEB_V4_GW $PUBLISHED_PORT b2"
	check "tjctl reload" eval "tjctl reload >/dev/null"
	check "still ready after reload" installed_tjd_ready
	note "drift repairs so far: $(tjctl status --json | json_field drift_repairs)"
	installed_tjd_stop
	check "SIGTERM leaves the rules in place" tjd_rules_present
	check "every system call tjd made is allowed by the unit's SystemCallFilter=" \
		syscalls_allowed
	check "every socket family tjd used is allowed by RestrictAddressFamilies=" \
		socket_families_allowed
	check "tjd --clear" eval "in_pkg_ns \"\$TJD_BIN\" --clear 2>/dev/null"
	check "kernel ruleset identical to before tjd ran" ruleset_unchanged "$before"

	echo "== the installed unit under systemd"
	systemd_phase || true
	machine_poweroff
	netns_dir_unshare

	echo "== purge"
	check "dpkg --purge tjd (prerm runs tjd --clear)" dpkg_logged --purge tjd
	INSTALLED_BY_US=0
	check "kernel ruleset identical to before installation" ruleset_unchanged "$before"
	left=$(files_left_behind)
	[ -z "$left" ] || note "left behind: $(echo "$left" | tr '\n' ' ')"
	check "no file of the package left behind" test -z "$left"
	check "/etc/tjd and /var/lib/tjd removed" test ! -e /etc/tjd -a ! -e /var/lib/tjd
	check "group tjd removed" eval "! getent group tjd >/dev/null"

	echo "package-test: $((($(now_ms) - started) / 1000)) s"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

main "$@"
