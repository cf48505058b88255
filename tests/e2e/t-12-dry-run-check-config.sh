#!/bin/bash
# `tjd --dry-run` prints the ruleset it would install (naming the network,
# by its subnets or bridge, and the allowed proxy's addresses) and touches
# nothing; `tjd --check-config`
# accepts a good file and rejects bad ones naming the file and the line.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BEFORE=$E2E_DIR/ruleset.before
BAD_CONF=$E2E_DIR/bad.conf

# Run `tjd --check-config` on FILE; print "STATUS<tab>OUTPUT" (one line).
check_config() {
	local rc=0 output
	output=$("$TJD_BIN" -c "$1" --check-config 2>&1) || rc=$?
	printf '%s\t%s\n' "$rc" "$(tr '\n' ' ' <<<"$output")"
}

# Write a bad config whose error is on line 5, check that --check-config
# rejects it naming the file and line 5.
# Usage: expect_rejected DESCRIPTION LINE5
expect_rejected() {
	local what=$1 line=$2 result rc output
	printf '[daemon]\ndocker_host = unix://%s\npoll_interval = 5\n[network %s]\n%s\n' \
		"$DOCKER_SOCK" "$WEB_NET" "$line" >"$BAD_CONF"
	result=$(check_config "$BAD_CONF")
	rc=${result%%$'\t'*}
	output=${result#*$'\t'}
	if [ "$rc" = 0 ]; then
		e2e_fail "$what: --check-config accepted it"
	elif [[ $output != *"$BAD_CONF"* ]]; then
		e2e_fail "$what: exit $rc but the message does not name $BAD_CONF: $output"
	elif ! grep -qE '(:5([^0-9]|$)|line 5([^0-9]|$))' <<<"$output"; then
		e2e_fail "$what: exit $rc but the message does not name line 5: $output"
	else
		e2e_pass "$what: exit $rc: $output"
	fi
}

test_begin
topology_up
tjd_config_write
ruleset_snapshot >"$BEFORE"

e2e_log "tjd --dry-run"
rc=0
output=$(in_ns "$TJD_BIN" -c "$TJD_CONF" --socket "$TJD_SOCK" --dry-run 2>&1) || rc=$?
expect_equal "tjd --dry-run exit status" 0 "$rc"
# The rules may name the network by its subnets or by its bridge.
bridge=br-$(dk network inspect -f '{{.Id}}' "$WEB_NET" | cut -c1-12)
if grep -qF -- "$bridge" <<<"$output"; then
	e2e_pass "dry-run output names the network's bridge $bridge"
elif grep -qF -- "$WEB_V4_SUBNET" <<<"$output" && grep -qF -- "$WEB_V6_SUBNET" <<<"$output"; then
	e2e_pass "dry-run output names the network's subnets"
else
	e2e_fail "dry-run output names neither the bridge $bridge nor both subnets"
fi
for expected in "$PROXY_V4" "$PROXY_V6"; do
	if grep -qF -- "$expected" <<<"$output"; then
		e2e_pass "dry-run output mentions $expected"
	else
		e2e_fail "dry-run output does not mention $expected"
	fi
done
expect_ruleset_equal "after --dry-run" "$BEFORE"
expect_true "--dry-run created no control socket" test ! -e "$TJD_SOCK"
echo "$output" | head -n 40 | sed 's/^/       | /'

e2e_log "tjd --check-config"
result=$(check_config "$TJD_CONF")
expect_equal "--check-config on the good file: exit status" 0 "${result%%$'\t'*}"
expect_rejected "unknown key" "alow = label=tjd.allow=true"
expect_rejected "bad boolean" "allow_host_traffic = perhaps"
expect_rejected "duplicate network section" "[network $WEB_NET]"
expect_ruleset_equal "after --check-config" "$BEFORE"
test_end
