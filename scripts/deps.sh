#!/bin/bash
# Install everything needed to build and test tjd on Debian 12 (run as root).
# Idempotent: when every package is already installed it changes nothing and
# needs no network; otherwise it runs apt-get update and installs what is
# missing.  Quiet, but apt's errors are shown.
set -euo pipefail

PACKAGES=(
	# build
	build-essential autoconf automake libtool pkg-config
	libevent-dev libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev
	libip4tc-dev libip6tc-dev libipset-dev libjansson-dev libinih-dev libmnl-dev libnftables-dev libnftnl-dev libnetfilter-conntrack-dev libnetfilter-log-dev libssl-dev
	# unit tests (Check links libsubunit; conntrack makes entries for check_conntrack;
	# ipset reads and edits the iptables backend's sets in check_backend_iptc)
	check libsubunit-dev valgrind conntrack ipset
	# promtool checks the metrics format (tests/e2e/t-60-metrics.sh)
	prometheus
	# end-to-end tests and demo: a private dockerd in a network namespace
	docker.io containerd runc iptables nftables iproute2 busybox-static
	util-linux kmod procps passwd coreutils python3
	# TrafficJam's compose example (tests/e2e/t-31-compose.sh)
	docker-compose
	# end-to-end attack suite (tests/e2e/attack.py)
	python3-scapy
	# fuzzing (tests/fuzz/run.sh)
	clang
	# Debian package test (scripts/package-test.sh)
	debhelper lintian man-db strace systemd systemd-container
)

# Print the packages that are not installed.
missing_packages() {
	local package status
	for package in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f '${db:Status-Status}' "$package" 2>/dev/null) || status=
		[ "$status" = installed ] || echo "$package"
	done
}

main() {
	local missing=()
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: must run as root (it installs packages)" >&2
		exit 1
	fi
	if ! command -v apt-get >/dev/null; then
		echo "deps.sh: needs Debian 12 (apt-get not found)" >&2
		exit 1
	fi
	mapfile -t missing < <(missing_packages)
	if [ ${#missing[@]} -eq 0 ]; then
		echo "deps: all ${#PACKAGES[@]} packages present"
		return 0
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	# Wait for another apt/dpkg run (e.g. unattended-upgrades) to finish.
	apt-get -qq -o DPkg::Lock::Timeout=600 update >/dev/null
	apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" 2> >(grep -v '^debconf: delaying package configuration' >&2) >/dev/null
	mapfile -t missing < <(missing_packages)
	if [ ${#missing[@]} -ne 0 ]; then
		echo "deps: still missing after install: ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: done"
}

main "$@"
