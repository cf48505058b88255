#!/bin/bash
# backends: nftables
# TrafficJam's compose example (its README's docker-compose.yml, from when
# the project was called TraefikJam), run with docker-compose against the
# real dockerd with tjd's image in place of TrafficJam's: the proxy (nginx)
# reaches the backend (whoami2), the backend reaches neither the proxy nor
# the port it publishes on the host, and `docker-compose down` leaves the
# rules in place until the image's --clear removes them (TrafficJam's
# semantics, as t-30 checks for its `docker run` line).
#
# The file below is the README's text byte for byte; the test changes two
# lines of it and adds two small override files (`docker-compose -f`), each
# of which says what it changes and why:
#
# - `image: kaysond/traefikjam` becomes `image: tjd`, tjd's image (built by
#   packaging/docker/build-image.sh, as t-30 does).
# - The README indents `cap_add:` with a tab, which YAML forbids
#   (docker-compose refuses the file: "found character '\t' that cannot
#   start any token"); the test indents it with the four spaces of its
#   neighbours.
# - socket.yml mounts this test's dockerd socket at /var/run/docker.sock,
#   as t-30's `docker run` line does: the host's /var/run/docker.sock is not
#   this dockerd's (and where it does not exist, Docker would make a
#   directory there).  Compose merges volumes by their path in the
#   container, so this replaces the README's socket line rather than adding
#   one.
# - network-name.yml names the network nginx_network.  As written, compose
#   names it <project>_nginx_network (traefikjam_nginx_network here, with
#   -p traefikjam; no project name gives "nginx_network", compose always
#   puts "<project>_" before it), so NETWORK=nginx_network names a network
#   that does not exist: TrafficJam's `docker network inspect nginx_network`
#   finds none, and tjd, which matches names exactly, finds none either and
#   protects nothing.  The test shows that first (as written, only the
#   socket changed), then gives the network the name NETWORK says, which
#   is what the example means, rather than change NETWORK to a name that
#   depends on the project.
#
# nginx:latest and jwilder/whoami are stand-ins (there is no registry):
# busybox's httpd, imported with `docker import` like the test image,
# serving "tjd-e2e:nginx" on port 80 and "tjd-e2e:whoami" on 8000.
# WHITELIST_FILTER=ancestor=nginx:latest selects the stand-in by its name.
# Containers are stopped with `down -t 1`: busybox httpd as PID 1 ignores
# SIGTERM, and the default 10 s would be spent waiting.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

TJD_IMAGE=tjd
PROJECT=traefikjam
EXAMPLE_DIR=$E2E_DIR/traefikjam
EXAMPLE=$EXAMPLE_DIR/docker-compose.yml
SOCKET_OVERRIDE=$EXAMPLE_DIR/socket.yml
NETWORK_OVERRIDE=$EXAMPLE_DIR/network-name.yml
COMPOSE_LOG=$E2E_DIR/compose.log
BEFORE=$E2E_DIR/ruleset.before

# Write TrafficJam's example, changed only as the header says.
example_write() {
	mkdir -p "$EXAMPLE_DIR"
	# The README's text, verbatim (the tab before cap_add: included).
	sed -e 's|^    image: kaysond/traefikjam$|    image: tjd|' \
		-e 's|^\tcap_add:$|    cap_add:|' >"$EXAMPLE" <<'EOF'
version: '3.8'
services:
  traefikjam:
    container_name: traefikjam
    image: kaysond/traefikjam
	cap_add:
      - NET_ADMIN
    network_mode: host
    volumes:
     - /var/run/docker.sock:/var/run/docker.sock
    environment:
      TZ: America/Los_Angeles
      POLL_INTERVAL: 5
      NETWORK: nginx_network
      WHITELIST_FILTER: ancestor=nginx:latest

  nginx:
    container_name: nginx
    image: nginx:latest
    networks:
      nginx_network:

  example_service:
    container_name: whoami2
    image: jwilder/whoami
    ports:
      - "8000:8000"
    networks:
      nginx_network:

networks:
  nginx_network:
EOF
	cat >"$SOCKET_OVERRIDE" <<-EOF
		# This test's dockerd, not the host's (see t-31's header).
		version: '3.8'
		services:
		  traefikjam:
		    volumes:
		      - $DOCKER_SOCK:/var/run/docker.sock
	EOF
	cat >"$NETWORK_OVERRIDE" <<-'EOF'
		# The network's name, the one NETWORK gives (see t-31's header).
		version: '3.8'
		networks:
		  nginx_network:
		    name: nginx_network
	EOF
}

# docker-compose on the example against the private dockerd; output to the log.
# Usage: compose as-written|named COMMAND [ARGS...]
compose() {
	local files=(-f "$EXAMPLE" -f "$SOCKET_OVERRIDE")
	[ "$1" = as-written ] || files+=(-f "$NETWORK_OVERRIDE")
	shift
	echo "+ docker-compose $*" >>"$COMPOSE_LOG"
	if ! DOCKER_HOST="unix://$DOCKER_SOCK" docker-compose --ansi never -p "$PROJECT" \
		"${files[@]}" "$@" >>"$COMPOSE_LOG" 2>&1; then
		tail -n 20 "$COMPOSE_LOG" | sed 's/^/  | /'
		e2e_die "docker-compose $* failed"
	fi
}

# Build tjd's image into the private dockerd, named as in the compose file.
image_tjd_build() {
	DOCKER="$DOCKER_BIN" DOCKER_HOST="unix://$DOCKER_SOCK" \
		TJD_BIN="$TJD_BIN" TJCTL_BIN="$(tjctl_path)" \
		"$E2E_TOP/packaging/docker/build-image.sh" "$TJD_IMAGE" >/dev/null
}

# Import a busybox image whose command serves BODY over HTTP on PORT.
# Usage: stand_in_build IMAGE PORT BODY
stand_in_build() {
	local image=$1 port=$2 body=$3 rootfs=$E2E_DIR/rootfs-stand-in applet
	rm -rf "$rootfs"
	mkdir -p "$rootfs/bin" "$rootfs/www"
	cp /bin/busybox "$rootfs/bin/busybox"
	for applet in sh nc httpd printf; do
		ln -s busybox "$rootfs/bin/$applet"
	done
	echo "$body" >"$rootfs/www/index.html"
	tar -C "$rootfs" -c . | dk import \
		--change "CMD [\"/bin/httpd\", \"-f\", \"-p\", \"$port\", \"-h\", \"/www\"]" \
		- "$image" >/dev/null
	rm -rf "$rootfs"
}

# The container's address on its one network.
address_of() {
	dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"
}

# Succeed when the private dockerd has a network named exactly NAME.
network_exists() {
	dk network ls --format '{{.Name}}' | grep -qx -- "$1"
}

# Succeed once tjd in the traefikjam container reports ready.
traefikjam_ready() {
	dk exec traefikjam tjctl status --json 2>/dev/null | json_field ready | grep -qx true
}

# Start the traefikjam service and wait until tjd in it is ready.
# Usage: traefikjam_up as-written|named
traefikjam_up() {
	compose "$1" up -d --no-deps traefikjam
	if ! wait_until 15 traefikjam_ready; then
		dk logs traefikjam 2>&1 | tail -n 20 | sed 's/^/  | /'
		e2e_die "tjd in the traefikjam container did not become ready within 15 s"
	fi
}

# Print, from tjd's status, NETWORK's "present" and the names it allows.
traefikjam_network_status() {
	dk exec traefikjam tjctl status --json 2>/dev/null | python3 -c '
import json, sys
for n in json.load(sys.stdin)["networks"]:
    if n["name"] == sys.argv[1]:
        names = sorted(c["name"].lstrip("/") for c in n.get("allowed") or [])
        print("present" if n["present"] else "absent", " ".join(names) or "-")
' "$1" 2>/dev/null || echo "no status"
}

# Succeed when the network compose made has the project's name before its own.
network_named_by_project() {
	network_exists "${PROJECT}_nginx_network" && ! network_exists nginx_network
}

# Bring the example down and check its containers and network are gone.
# Usage: example_down as-written|named
example_down() {
	compose "$1" down -t 1
	expect_true "docker-compose down removed the containers and the network" \
		test -z "$(dk ps -aq; dk network ls -q --filter type=custom)"
}

# Clear tjd's rules as the README says; the ruleset must then be as it was.
clear_rules() {
	local rc=0
	dk run --rm --network host --cap-add NET_ADMIN "$TJD_IMAGE" --clear >/dev/null 2>&1 || rc=$?
	expect_equal "docker run tjd --clear: exit status" 0 "$rc"
	expect_ruleset_equal "after down and --clear" "$BEFORE"
}

test_begin
command -v docker-compose >/dev/null || e2e_die "docker-compose not installed (scripts/deps.sh)"
: >"$COMPOSE_LOG"
on_cleanup "[ \$E2E_FAILURES = 0 ] || { echo '  --- docker-compose log ---'; sed 's/^/  | /' '$COMPOSE_LOG'; }"
image_tjd_build
stand_in_build nginx:latest 80 tjd-e2e:nginx
stand_in_build jwilder/whoami:latest 8000 tjd-e2e:whoami
example_write
ruleset_snapshot >"$BEFORE"

e2e_log "as written (only the socket changed): NETWORK names no network"
compose as-written up -d nginx example_service
expect_true "compose named the network ${PROJECT}_nginx_network, not nginx_network" \
	network_named_by_project
nginx_ip=$(address_of nginx)
wait_until 10 tcp_reaches whoami2 "$nginx_ip" 80 nginx ||
	e2e_die "as written: whoami2 cannot reach nginx even before tjd"
traefikjam_up as-written
expect_equal "tjd's status of nginx_network" "absent -" "$(traefikjam_network_status nginx_network)"
expect_tcp reach whoami2 "$nginx_ip" 80 nginx
example_down as-written
clear_rules

e2e_log "the network named nginx_network: before tjd, everyone reaches everyone"
compose named up -d nginx example_service
nginx_ip=$(address_of nginx)
whoami_ip=$(address_of whoami2)
gateway=$(dk network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' nginx_network)
if [ -z "$nginx_ip" ] || [ -z "$whoami_ip" ] || [ -z "$gateway" ]; then
	e2e_die "no address for nginx ($nginx_ip), whoami2 ($whoami_ip) or the gateway ($gateway)"
fi
wait_until 10 tcp_reaches nginx "$whoami_ip" 8000 whoami ||
	e2e_die "nginx cannot reach whoami2 even before tjd"
expect_tcp reach whoami2 "$nginx_ip" 80 nginx
expect_tcp reach whoami2 "$gateway" 8000 whoami

e2e_log "the traefikjam service up: nginx reaches whoami2, whoami2 nothing"
traefikjam_up named
expect_true "tjd's rules are installed" tjd_rules_present
expect_equal "tjd's status of nginx_network" "present nginx" \
	"$(traefikjam_network_status nginx_network)"
wait_until 10 tcp_reaches nginx "$whoami_ip" 8000 whoami || true
expect_tcp reach nginx "$whoami_ip" 8000 whoami
expect_tcp blocked whoami2 "$nginx_ip" 80 nginx
expect_tcp blocked whoami2 "$gateway" 8000 whoami
example_down named
expect_true "docker-compose down leaves tjd's rules in place" tjd_rules_present
clear_rules
test_end
