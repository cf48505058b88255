#!/bin/bash
# Rewrites the fuzz seed corpora in tests/fuzz/corpus/<target>/ from what
# the unit suites already hold: the recorded Docker API responses and event
# stream (tests/unit/data), the configurations check_config.c tries and the
# packaged example, and what tests/fuzz/seeds.c generates (control requests,
# saved states, swarm rounds and wire messages, framed event streams, the
# kernel's answers to table claims and queries).
# Run after scripts/build.sh; commit the result with the change that needs it.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$TOP/tests/unit/data
CORPUS=$TOP/tests/fuzz/corpus
TARGETS=(fuzz_conf fuzz_ctl fuzz_docker_json fuzz_event_stream fuzz_nft_owner fuzz_state fuzz_swarm)

# Writes stdin as one seed of a target.
seed() {
	cat >"$CORPUS/$1/$2"
}

# Configurations: a full file, the shipped example, and one per error check_config.c makes.
conf_seeds() {
	cp "$TOP/packaging/tjd.conf" "$CORPUS/fuzz_conf/packaged-example"
	seed fuzz_conf full <<-'EOF'
		# comment
		[daemon]
		docker_host = unix:///run/d.sock
		poll_interval = 7
		instance_id = blue_1
		debug = yes
		backend = nftables
		own_tables = no
		[network traefik_public]
		allow = ancestor=traefik:v3
		allow = label=tjd.allow=true
		allow_host_traffic = no
		[network other.net]
		allow = name=proxy label=a=b ; inline comment
		allow_host_traffic = true
	EOF
	seed fuzz_conf filters <<-'EOF'
		[daemon]
		docker_host = tcp://[fd00::1]:2375
		backend = auto
		[network web]
		allow = status=running health=healthy exited=0 is-task=true
		allow = id=0123456789ab network=web publish=80 expose=8080/tcp volume=data
		allow = before=a since=b isolation=default
	EOF
	printf '[daemon]\npoll_interval = 5\nalow = x\n' | seed fuzz_conf unknown-key
	printf '[network web]\nallow = label=x\nallow_host = yes\n' | seed fuzz_conf unknown-network-key
	printf '[daemon]\npoll_interval = 99999999999999999999\n' | seed fuzz_conf interval-overflow
	printf '[daemon]\ndocker_host = http://x\n' | seed fuzz_conf bad-docker-host
	printf '[daemon]\ninstance_id = way-too-long-instance\n' | seed fuzz_conf bad-instance
	printf '[daemon]\ndebug = maybe\n' | seed fuzz_conf bad-bool
	printf '[network web]\nallow = colour=red\n' | seed fuzz_conf unknown-filter
	printf '[network web]\nallow = label\n' | seed fuzz_conf filter-without-value
	printf '[network web]\nallow = label=x\n[network web]\nallow = name=y\n' |
		seed fuzz_conf repeated-section
	printf '[network bad name!]\nallow = label=x\n' | seed fuzz_conf bad-network-name
	printf '[netwerk web]\nallow = label=x\n' | seed fuzz_conf unknown-section
	printf '[network web]\nallow_host_traffic = no\n' | seed fuzz_conf no-allow
	printf '[network web\nallow = label=x\n' | seed fuzz_conf unterminated-section
	printf 'allow = label=x\n' | seed fuzz_conf outside-section
}

# Docker JSON: every recorded response, each event line alone, and allow expressions.
docker_json_seeds() {
	local file number=0 line
	for file in "$DATA"/*.json; do
		cp "$file" "$CORPUS/fuzz_docker_json/$(basename "$file" .json)"
	done
	while IFS= read -r line; do
		number=$((number + 1))
		printf '%s' "$line" | seed fuzz_docker_json "event-$number"
	done <"$DATA/events.jsonl"
	printf 'label=tjd.allow=true' | seed fuzz_docker_json filter-label
	printf 'ancestor=traefik:v3 name=proxy status=running' | seed fuzz_docker_json filter-terms
	printf 'health=healthy exited=0 is-task=false' | seed fuzz_docker_json filter-enumerated
}

# The recorded swarm documents, and allow expressions for the swarm filter check.
swarm_seeds() {
	local file
	for file in "$DATA"/swarm/*.json; do
		cp "$file" "$CORPUS/fuzz_swarm/$(basename "$file" .json)"
	done
	printf 'label=tjd.allow=true name=^/proxy' | seed fuzz_swarm filter-remote
	printf 'ancestor=traefik:v3 is-task=true status=running network=web' |
		seed fuzz_swarm filter-ancestor
	printf 'health=healthy' | seed fuzz_swarm filter-local-only
}

main() {
	local target
	make -C "$TOP" -s tests/fuzz/seeds >/dev/null
	for target in "${TARGETS[@]}"; do
		rm -rf "${CORPUS:?}/$target"
		mkdir -p "$CORPUS/$target"
	done
	conf_seeds
	docker_json_seeds
	swarm_seeds
	"$TOP/tests/fuzz/seeds" "$DATA" "$CORPUS"
	for target in "${TARGETS[@]}"; do
		echo "corpus: $target: $(find "$CORPUS/$target" -type f | wc -l) seeds," \
			"$(du -sk "$CORPUS/$target" | cut -f1) KiB"
	done
}

main "$@"
