#!/bin/bash
# Build tjd's container image without a registry: a root file system holding
# the built tjd, tjctl and the image's entrypoint, the shared libraries they
# load (as ldd lists them) and a minimal /etc, imported with `docker import`.
# The entrypoint (packaging/docker/entrypoint.c) runs `tjd -f`, driven by
# TrafficJam's environment variables (packaging/docker/README.md has the run
# line), or tjctl, or the swarm roles (doc/swarm.md).
#
# Usage: packaging/docker/build-image.sh [IMAGE]       (default tjd:latest)
#
# Environment: TJD_BIN, TJCTL_BIN and ENTRYPOINT_BIN name the binaries
# (default: the in-tree build, tjd/tjd, tjctl/tjctl and
# packaging/docker/tjd-entrypoint); DOCKER (default docker) is the client and
# DOCKER_HOST the engine it imports into, as for any docker command.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
TJD_BIN=${TJD_BIN:-$TOP/tjd/tjd}
TJCTL_BIN=${TJCTL_BIN:-$TOP/tjctl/tjctl}
ENTRYPOINT_BIN=${ENTRYPOINT_BIN:-$TOP/packaging/docker/tjd-entrypoint}
DOCKER=${DOCKER:-docker}
ROOTFS=

# Copy FILE into the root file system at the same path, dereferenced.
rootfs_copy() {
	local file=$1
	mkdir -p "$ROOTFS$(dirname "$file")"
	cp -L "$file" "$ROOTFS$file"
}

# Print the shared libraries and the program interpreter BINARY loads.
shared_libraries() {
	ldd "$1" | awk '
		/=> not found/ { print "missing:" $1; next }
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }
	'
}

# Lay out the root file system under $ROOTFS.
rootfs_build() {
	local library version config
	mkdir -p "$ROOTFS"/{etc,run,tmp,usr/bin,usr/sbin,var/run/docker/netns}
	chmod 1777 "$ROOTFS/tmp"
	install -m 0755 "$TJD_BIN" "$ROOTFS/usr/sbin/tjd"
	install -m 0755 "$TJCTL_BIN" "$ROOTFS/usr/bin/tjctl"
	install -m 0755 "$ENTRYPOINT_BIN" "$ROOTFS/usr/sbin/tjd-entrypoint"
	# The node role keeps tjd's saved ruleset in a volume mounted here.
	mkdir -p "$ROOTFS/var/lib/tjd" "$ROOTFS/run/tjd"
	while read -r library; do
		if [[ $library == missing:* ]]; then
			echo "build-image: ${library#missing:} not found (ldd)" >&2
			return 1
		fi
		rootfs_copy "$library"
	done < <({
		shared_libraries "$TJD_BIN"
		shared_libraries "$TJCTL_BIN"
		shared_libraries "$ENTRYPOINT_BIN"
	} | sort -u)
	# Only root exists; no group tjd, so the control socket is 0600 and
	# `docker exec CONTAINER tjctl status` (as root) uses it.
	echo 'root:x:0:0:root:/:/usr/sbin/nologin' >"$ROOTFS/etc/passwd"
	echo 'root:x:0:' >"$ROOTFS/etc/group"
	printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
	version=$("$TJD_BIN" --version | awk '{print $2}')
	printf 'tjd %s, built from the tjd source tree\n' "$version" >"$ROOTFS/etc/tjd-release"
	# The configuration lives at /etc/tjd/tjd.conf in the image, whatever
	# prefix the binary was configured with (an in-tree build uses
	# /usr/local/etc).
	mkdir -p "$ROOTFS/etc/tjd"
	config=$("$TJD_BIN" --help | sed -n 's/.*--config FILE .*(default \(.*\))$/\1/p')
	if [ -n "$config" ] && [ "$config" != /etc/tjd/tjd.conf ]; then
		mkdir -p "$ROOTFS$(dirname "$(dirname "$config")")"
		ln -s /etc/tjd "$ROOTFS$(dirname "$config")"
	fi
}

main() {
	local image=${1:-tjd:latest} version
	if [ ! -x "$TJD_BIN" ] || [ ! -x "$TJCTL_BIN" ] || [ ! -x "$ENTRYPOINT_BIN" ]; then
		echo "build-image: $TJD_BIN, $TJCTL_BIN or $ENTRYPOINT_BIN missing:" \
			"build first (scripts/build.sh)" >&2
		exit 1
	fi
	ROOTFS=$(mktemp -d /tmp/tjd-image.XXXXXX)
	trap 'rm -rf "$ROOTFS"' EXIT
	rootfs_build
	version=$("$TJD_BIN" --version | awk '{print $2}')
	tar --numeric-owner --owner=0 --group=0 -C "$ROOTFS" -c . |
		"$DOCKER" import \
			--change 'ENTRYPOINT ["/usr/sbin/tjd-entrypoint"]' \
			--change 'ENV PATH=/usr/sbin:/usr/bin' \
			--change "LABEL org.opencontainers.image.title=tjd" \
			--change "LABEL org.opencontainers.image.version=$version" \
			--change 'LABEL org.opencontainers.image.description="Firewall isolating containers on shared Docker networks"' \
			- "$image" >/dev/null
	echo "build-image: $image ($(du -sh "$ROOTFS" | cut -f1) root file system)"
}

main "$@"
