#!/bin/bash
# The control socket is 0660, group tjd.  A member of group tjd may ask for
# status but may not clear or reload (uid 0 only); a user outside the group
# cannot even connect.  The group and users are created for the test and
# removed afterwards (the group only if the test created it).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

MEMBER=tjde2e-member
OUTSIDER=tjde2e-outsider

# Run tjctl as USER (with that user's groups); print its exit status.
tjctl_as() {
	local user=$1 rc=0
	shift
	setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
		"$(tjctl_path)" --socket "$TJD_SOCK" "$@" >/dev/null 2>&1 || rc=$?
	echo "$rc"
}

# Create the test users (and group tjd if missing); remove them at the end.
users_create() {
	local user
	for user in "$MEMBER" "$OUTSIDER"; do
		userdel "$user" >/dev/null 2>&1 || true
	done
	if ! getent group tjd >/dev/null; then
		groupadd --system tjd
		on_cleanup "groupdel tjd"
	fi
	useradd --system --no-create-home --shell /usr/sbin/nologin --groups tjd "$MEMBER"
	on_cleanup "userdel $MEMBER"
	useradd --system --no-create-home --shell /usr/sbin/nologin "$OUTSIDER"
	on_cleanup "userdel $OUTSIDER"
}

test_begin
topology_up
users_create
tjd_config_write
tjd_start

expect_equal "control socket mode and group" "660 tjd" "$(stat -c '%a %G' "$TJD_SOCK")"
expect_equal "tjctl status as $MEMBER (group tjd)" 0 "$(tjctl_as "$MEMBER" status)"
expect_equal "tjctl clear as $MEMBER" 1 "$(tjctl_as "$MEMBER" clear)"
expect_equal "tjctl reload as $MEMBER" 1 "$(tjctl_as "$MEMBER" reload)"
expect_true "tjd is still running" process_alive "$E2E_TJD_PID"
expect_true "tjd's rules are still installed" tjd_rules_present
expect_tcp blocked b1 "$B2_V4" 80 b2

rc=$(tjctl_as "$OUTSIDER" status)
if [ "$rc" = 1 ] || [ "$rc" = 3 ]; then
	e2e_pass "tjctl status as $OUTSIDER (not in group tjd) refused: exit $rc"
else
	e2e_fail "tjctl status as $OUTSIDER (not in group tjd): expected exit 1 or 3, got $rc"
fi
rc=$(tjctl_as "$OUTSIDER" clear)
if [ "$rc" != 0 ]; then
	e2e_pass "tjctl clear as $OUTSIDER refused: exit $rc"
else
	e2e_fail "tjctl clear as $OUTSIDER succeeded"
fi
expect_true "tjd's rules are still installed" tjd_rules_present
expect_true "tjctl status as root still answers" tjd_answers
test_end
