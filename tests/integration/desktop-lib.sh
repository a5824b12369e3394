# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the tests of what the desktop user is told (test-after-portal.sh,
# test-time-sync-notify.sh): the desktop user's session (clamnesia, $UA: a runtime dir
# /run/user/UID, a real `dbus-daemon --session` there, and a notification daemon stand-in,
# tests/integration/dbus-standin.py --notify-only, that records every Notify), and copies
# of the desktop scripts where the test users can read them. Source after lib.sh,
# launch-lib.sh and portal-lib.sh.

command -v dbus-daemon >/dev/null || fail "missing tool 'dbus-daemon' (apt-get install dbus-daemon)"
command -v notify-send >/dev/null || fail "missing tool 'notify-send' (apt-get install libnotify-bin)"
"$PYI" -c 'import dbus, gi.repository.GLib' 2>/dev/null ||
	fail "missing python3-dbus or python3-gi (apt-get install python3-dbus python3-gi)"

DESKTOP_BUILD=$(realpath "${CLEARNET_BUILDDIR:-$IT_DIR/../../build}")
RT=/run/user/$UA_ID
SESSION=unix:path=$RT/bus
CALLS=$SH/x/calls.jsonl
CHOOSE=$SH/x/choose
# The desktop scripts, as installed (libexecdir/clearnet): side by side, readable by all.
DB=$SH/desktop
mkdir -p "$DB" && chmod 0755 "$DB" || fail "mkdir $DB"
for f in desktop/clearnet-portal-notify desktop/clearnet-time-sync desktop/clearnet-desktop.sh launcher/unsafe-browser; do
	[ -e "$DESKTOP_BUILD/$f" ] || fail "$DESKTOP_BUILD/$f not built"
	install -m 0755 "$DESKTOP_BUILD/$f" "$DB/" || fail "cannot copy $f"
done

# desktop_setup: the topology, the test users, the check's server and user, the desktop
# session (everything before the test's config)
desktop_setup() {
	topo_setup
	services_start
	users_setup
	portal_user_setup
	portal_services_start
	desktop_session_start
}

# desktop_session_start: the desktop user's runtime dir, session bus and notification
# daemon stand-in (answers with the action in $CHOOSE, else dismisses)
desktop_session_start() {
	if [ ! -d /run/user ]; then
		mkdir /run/user || fail "mkdir /run/user"
		at_exit "umount -l /run/user; rmdir /run/user"
	fi
	mount -t tmpfs -o mode=0755,size=1m clearnet-it-runuser /run/user || fail "tmpfs on /run/user"
	install -d -o "$UA" -g "$UA" -m 0700 "$RT" || fail "runtime dir of $UA"
	bg session-bus "$HOST" setpriv --reuid="$UA" --regid="$UA" --init-groups -- \
		dbus-daemon --session --nofork --nopidfile --address="$SESSION"
	wait_until 100 test -S "$RT/bus" || fail "the session bus did not start: $(cat "$T/logs/session-bus.out")"
	install -m 0644 "$IT_DIR/dbus-standin.py" "$SH/bin/dbus-standin.py" || fail "install the stand-in"
	notified_reset
	choose ''
	bg notifyd "$HOST" setpriv --reuid="$UA" --regid="$UA" --init-groups -- "$PYI" -u "$SH/bin/dbus-standin.py" \
		--session "$SESSION" --notify-only --choose "$CHOOSE" --log "$CALLS"
	wait_until 150 grep -q ready "$T/logs/notifyd.out" || fail "the notification stand-in did not start: $(cat "$T/logs/notifyd.out")"
	ok "the desktop user's session: a session bus at $RT/bus and a notification daemon stand-in"
}

# choose KEY: the action the "user" picks in the next notifications ('' dismisses them)
choose() { printf '%s\n' "$1" >"$CHOOSE" && chmod 0644 "$CHOOSE" || fail "cannot write $CHOOSE"; }

# notified_reset: forget the notifications recorded so far
notified_reset() { rm -f "$CALLS" && install -m 0644 -o "$UA" -g "$UA" /dev/null "$CALLS" || fail "cannot reset $CALLS"; }

# notified_count SUMMARY: how many notifications with exactly that summary were recorded
notified_count() {
	"$PYI" -c 'import json, sys
n = 0
for line in open(sys.argv[1]):
    c = json.loads(line)
    n += c["method"] == "Notify" and c["args"][1] == sys.argv[2]
print(n)' "$CALLS" "$1"
}

# notified_field SUMMARY INDEX: field INDEX (0 app, 1 summary, 2 body, 3 actions as JSON)
# of the last notification with that summary
notified_field() {
	"$PYI" -c 'import json, sys
got = ""
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c["method"] == "Notify" and c["args"][1] == sys.argv[2]:
        got = c["args"][int(sys.argv[3])]
print(got)' "$CALLS" "$1" "$2"
}

# notified_all: every summary recorded, one per line (for messages)
notified_all() { "$PYI" -c 'import json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c["method"] == "Notify": print(c["args"][1])' "$CALLS" | tr '\n' '|'; }

notified_at_least() { [ "$(notified_count "$2")" -ge "$1" ]; }

# expect_notified N SUMMARY DESC: wait (bounded) until N notifications with SUMMARY are
# recorded, and no more
expect_notified() {
	wait_until 200 notified_at_least "$1" "$2" ||
		fail "$3: $(notified_count "$2") notifications '$2', expected $1 (recorded: $(notified_all))"
	[ "$(notified_count "$2")" = "$1" ] || fail "$3: $(notified_count "$2") notifications '$2', expected $1"
	ok "$3"
}
