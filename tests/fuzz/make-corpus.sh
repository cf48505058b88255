#!/bin/bash
# Rewrites the fuzz seed corpora in tests/fuzz/corpus/<target>/ from what
# the unit suites already hold: the recorded Docker API responses and event
# stream (tests/unit/data), the configurations check_config.c tries and the
# packaged example, and what tests/fuzz/seeds.c generates (control requests,
# saved states, swarm rounds and wire messages, framed event streams, the
# kernel's answers to table claims and queries, link dumps), and the rules
# and labels check_rulespec.c tries.
# Run after scripts/build.sh; commit the result with the change that needs it.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$TOP/tests/unit/data
CORPUS=$TOP/tests/fuzz/corpus
TARGETS=(fuzz_conf fuzz_ctl fuzz_docker_json fuzz_event_stream fuzz_netns_link fuzz_nft_owner
	fuzz_rulespec fuzz_state fuzz_swarm)

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
	seed fuzz_conf sets-published <<-'EOF'
		[set office]
		members = 192.168.122.193, 2001:db8:122::193
		members =  10.1.0.0/16 ,192.168.122.193,fd00::/8
		members =
		containers = label=role=office status=running
		[published]
		policy = deny
		rule = allow from @office proto tcp to any port 8000
		rule = reject log on eth0 proto udp from 10.0.0.0/8 to container web port 53
		rule = deny from @later to name=web
		rule = allow from 2001:db8::/32 to label app=web
		rule = allow
		[set later]
		containers = name=^backup$
	EOF
	seed fuzz_conf network-rules <<-'EOF'
		[network web]
		allow = label=proxy
		rule = allow proto tcp from container app to container db port 5432
		rule = deny log from label app=web to name=cache
		rule = reject proto icmp from label=role to container /db
		reach_allowed = yes
		lan_allow = @dns, @nas
		lan_egress = deny
		[set dns]
		members = 192.168.1.53, fd00:1::53
		[set nas]
		containers = label=nas
	EOF
	printf '[set office]\nmembers = 10.0.0.1/24\n' | seed fuzz_conf set-host-bits
	printf '[set office]\nmembers = 10.0.0.1,,fd00::1\n' | seed fuzz_conf set-empty-item
	printf '[set office]\n[published]\n' | seed fuzz_conf set-without-keys
	printf '[set 1office]\nmembers = 10.0.0.1\n' | seed fuzz_conf bad-set-name
	printf '[set a]\nmembers = 10.0.0.1\n[set  a]\ncontainers = name=b\n' |
		seed fuzz_conf set-twice
	printf '[published]\nrule = allow proto tcp to 10.0.0.1 port 8000\n' |
		seed fuzz_conf published-to-address
	printf '[published]\nrule = allow proto icmp from any\n' | seed fuzz_conf published-icmp
	printf '[published]\nrule = allow from @nowhere\n' | seed fuzz_conf published-undefined-set
	printf '[network web]\nallow = name=p\nrule = allow from any to container db\n' |
		seed fuzz_conf network-rule-any
	printf '[network web]\nallow = name=p\nlan_allow = @dns\n[set dns]\nmembers =\n' |
		seed fuzz_conf lan-allow-without-deny
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

# Rules (one per seed, no newline) and container labels (a key=value a line),
# DCFW's README examples first, then one of each form and error check_rulespec.c makes.
rulespec_seeds() {
	local rule number=0
	for rule in \
		'allow on eth0 proto tcp from 192.168.110.0/24 to any port 80' \
		'allow proto tcp to 192.168.150.6 port 3306 comment "Allow access to MariaDB"' \
		'reject log on eth1 proto udp from 1.2.3.4 port 53 to any port 1024-65535 comment dns' \
		'deny proto tcp from 10.0.0.0/8 port 1,2,3-9,100 to 10.1.2.3 port 80,443' \
		'allow proto icmpv6 from fd00::/8 to 2001:db8::1' \
		'allow proto ipv6-icmp to ::ffff:10.0.0.1' \
		'allow proto icmp from 0.0.0.0/0 to any' \
		'allow proto sctp from container /web to container db port 9' \
		'allow from label app=tautulli to label=tjd.web' \
		'allow from name=plex to @trusted_hosts-1' \
		'allow comment "say \"hi\" \\o/" proto all' \
		'allow to any port 80 comment web proto tcp log on e from any' \
		'allow to any port 80' \
		'deny to any port 99999' \
		'allow from db.example.com' \
		'allow from 10.0.0.1/24' \
		'allow from 10.0.0.1 to fd00::1' \
		'allow proto tcp to any port 80,80' \
		'allow comment "open'; do
		number=$((number + 1))
		printf '%s' "$rule" | seed fuzz_rulespec "rule-$number"
	done
	seed fuzz_rulespec labels-dcfw-readme <<-'EOF'
		dcfw.enable=true
		dcfw.input.policy=deny
		dcfw.input.rule.1=allow on eth0 proto tcp from 192.168.110.0/24 to any port 80
		dcfw.input.rule.2=allow on eth0 proto tcp from 172.16.64.0/24 to any port 80
		dcfw.output.policy=deny
		dcfw.output.rule.1=allow proto tcp to 192.168.150.6 port 3306 comment "Allow access to MariaDB"
		com.docker.compose.project=web
	EOF
	seed fuzz_rulespec labels-tjd <<-'EOF'
		tjd.enable=yes
		tjd.allow=true
		tjd.output.policy=deny
		tjd.output.rule.10=allow proto udp to any port 53
		tjd.output.rule.2=allow proto tcp to container db port 5432
		tjd.input.rule.0=allow from label app=proxy
	EOF
	printf 'dcfw.enable=false\ndcfw.input.rule.1=nonsense\n' | seed fuzz_rulespec labels-disabled
	printf 'dcfw.enable=true\ntjd.input.rule.1=allow\n' | seed fuzz_rulespec labels-both
	printf 'dcfw.enable=true\ndcfw.input.rule.01=allow\ndcfw.input.rule.1=deny\n' |
		seed fuzz_rulespec labels-same-number
	printf 'dcfw.enable=maybe\ndcfw.inptu.policy=allow\n' | seed fuzz_rulespec labels-bad-keys
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
	rulespec_seeds
	"$TOP/tests/fuzz/seeds" "$DATA" "$CORPUS"
	for target in "${TARGETS[@]}"; do
		echo "corpus: $target: $(find "$CORPUS/$target" -type f | wc -l) seeds," \
			"$(du -sk "$CORPUS/$target" | cut -f1) KiB"
	done
}

main "$@"
