#!/bin/bash
# The demo: install, build, then show tjd at work on a private Docker.
#
# A private dockerd (network namespace tjddemo, files under /tmp/tjd-demo;
# the host's firewall and any host dockerd are not touched) runs a
# dual-stack network demo_web with a reverse proxy (label tjd.allow=true) and
# two backends, app1 and app2 (app2 publishes port 8080 on the host).  The
# connectivity matrix is printed before and after tjd starts protecting
# demo_web, then `tjctl status`.  Everything is removed at the end, also on
# failure or ^C.  Run as root on Debian 12.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
E2E_NS=tjddemo
E2E_DIR=/tmp/tjd-demo
# tjd picks its backend as it would on a user's machine (nftables here).
E2E_BACKEND=auto
# shellcheck source-path=SCRIPTDIR source=../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

WEB_NET=demo_web
NAMES=(proxy app1 app2)
declare -A V4=([proxy]=$PROXY_V4 [app1]=$B1_V4 [app2]=$B2_V4 [host]=$WEB_V4_GW)
declare -A V6=([proxy]=$PROXY_V6 [app1]=$B1_V6 [app2]=$B2_V6 [host]=$WEB_V6_GW)

# Print a heading.
heading() {
	printf '\n==== %s\n' "$*"
}

# Create the network and the three containers.
demo_topology_up() {
	dk network create --ipv6 \
		--subnet "$WEB_V4_SUBNET" --gateway "$WEB_V4_GW" \
		--subnet "$WEB_V6_SUBNET" --gateway "$WEB_V6_GW" "$WEB_NET" >/dev/null
	server_run proxy "$WEB_NET" --ip "$PROXY_V4" --ip6 "$PROXY_V6" --label tjd.allow=true
	server_run app1 "$WEB_NET" --ip "$B1_V4" --ip6 "$B1_V6"
	server_run app2 "$WEB_NET" --ip "$B2_V4" --ip6 "$B2_V6" -p "$PUBLISHED_PORT:80"
	wait_until 10 tcp_reaches proxy "$B2_V4" 80 app2 ||
		e2e_die "the containers did not come up"
	dk ps --format 'table {{.Names}}\t{{.Labels}}\t{{.Ports}}'
	echo
	printf '%-6s %-14s %s\n' proxy "$PROXY_V4" "$PROXY_V6" app1 "$B1_V4" "$B1_V6" \
		app2 "$B2_V4" "$B2_V6"
}

# Probe one cell of the matrix in the background: result "yes" or "no" in
# a file.  The host column is app2's published port on the gateway address.
probe_cell() {
	local source=$1 target=$2 family=$3 dir=$4 address port=80 server=$2
	if [ "$family" = 4 ]; then address=${V4[$target]}; else address=${V6[$target]}; fi
	if [ "$target" = host ]; then
		port=$PUBLISHED_PORT
		server=app2
	fi
	if tcp_reaches "$source" "$address" "$port" "$server"; then
		echo yes >"$dir/$source.$target.$family"
	else
		echo no >"$dir/$source.$target.$family"
	fi
}

# Print who can open a TCP connection to whom, over IPv4 and IPv6.  All
# probes run at once (a blocked probe waits 2 s for its timeout).
print_matrix() {
	local dir=$E2E_DIR/matrix source target cell pid
	local targets=("${NAMES[@]}" host) probes=()
	rm -rf "$dir"
	mkdir -p "$dir"
	for source in "${NAMES[@]}"; do
		for target in "${targets[@]}"; do
			[ "$source" != "$target" ] || continue
			probe_cell "$source" "$target" 4 "$dir" &
			probes+=($!)
			probe_cell "$source" "$target" 6 "$dir" &
			probes+=($!)
		done
	done
	# Only the probes: other children (dockerd, tjd) keep running.
	for pid in "${probes[@]}"; do
		wait "$pid"
	done
	echo "Can FROM open a TCP connection to TO?   (IPv4 / IPv6)"
	printf '  '
	printf '%-12s' "FROM \\ TO" "${NAMES[@]}" "host:$PUBLISHED_PORT"
	echo
	for source in "${NAMES[@]}"; do
		printf '  %-12s' "$source"
		for target in "${targets[@]}"; do
			if [ "$source" = "$target" ]; then
				cell="-"
			else
				cell="$(cat "$dir/$source.$target.4") / $(cat "$dir/$source.$target.6")"
			fi
			printf '%-12s' "$cell"
		done
		echo
	done
	echo "  (host:$PUBLISHED_PORT = the port app2 publishes, via the network's gateway address)"
}

# Stop tjd (its rules go with the namespace), then remove everything.
demo_teardown() {
	if [ -n "$E2E_TJD_PID" ] && process_alive "$E2E_TJD_PID"; then
		{
			kill -TERM "$E2E_TJD_PID"
			wait "$E2E_TJD_PID"
		} 2>/dev/null || true
	fi
	echo
	echo "demo: removing the private dockerd, its containers and namespaces"
	env_down
	env_unlock
}

main() {
	if [ "$(id -u)" != 0 ]; then
		echo "demo.sh: must run as root" >&2
		exit 1
	fi
	heading "installing dependencies and building"
	"$TOP/scripts/deps.sh"
	"$TOP/scripts/build.sh"

	heading "starting a private dockerd in network namespace $E2E_NS"
	# Lock first: tearing down must never hit another run's environment.
	env_lock
	trap demo_teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	env_up
	demo_topology_up

	heading "BEFORE tjd: every container reaches every other, and app2's published port"
	print_matrix

	heading "starting tjd"
	tjd_config_write
	echo "configuration ($TJD_CONF):"
	sed 's/^/  /' "$TJD_CONF"
	tjd_start
	echo "tjd is running (pid $E2E_TJD_PID) and reports ready"

	heading "AFTER tjd: only the allow-listed proxy opens connections; the backends reach nobody, not even the host"
	print_matrix

	heading "tjctl status"
	tjctl status
}

main "$@"
