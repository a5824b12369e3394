#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# When the time sync fails (Tails #18790): clearnet-time-sync (what
# clearnet-time-sync.service runs, as root) on offline, dns-failure, portal and
# time-invalid tells the desktop user, through notify-send on its real session bus (a
# stand-in notification daemon records it), what it means and what to do, with the clock
# as it is; the clock ([time] clock_file, a stand-in for the system clock) never changes
# then. A later network change (clearnet-time-sync --network-change ID, as the
# NetworkManager hook calls it) tries again: at most CLEARNET_TIME_SYNC_MAX attempts per
# connection, a new connection starts afresh, a backoff not yet elapsed makes it wait, and
# after a sync that worked nothing is tried again. Positive control: an "online" answer
# sets the clock, and no notification.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/portal-lib.sh"
. "$(dirname "$0")/desktop-lib.sh"

desktop_setup

CLOCK=$T/clock
conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<CONF

[app unsafe-browser]
exec = /bin/true
user = $UA
callers = $UA
sockets =

[app portal-check]
exec = $PCB
user = $UC
callers = root
args = none

[portal]
app = portal-check
url = $CHECK_URL
timeout = 5

[time]
callers = root
threshold = 60
clock_file = $CLOCK
CONF
nsd_start "$conf"
STATE=$STATE_DIR/time-sync.state
printf '1000\n' >"$CLOCK"

raw() { portal_mode "{\"mode\": \"raw\", $1}"; }
T_OK=1744712430
D_OK=$(imf_date "$T_OK")
runs() { nsd_log_count "time sync for uid 0: running app portal-check"; }
# ts ARGS...: clearnet-time-sync as root, as its unit runs it; RC, OUT, ERR
ts() {
	run_capture env CLEARNET_CONFIG="$conf" CLEARNET_RUN="$CLEARNET_RUN" CLEARNET_SOCKET="$SOCKET" \
		CLEARNET_TIME_SYNC_BACKOFF="${BACKOFF:-0}" CLEARNET_TIME_SYNC_MAX=3 sh "$DB/clearnet-time-sync" "$@"
}
CLOCK_SHOWN="The clock now says: 1970-01-01 00:16:40 UTC."

# --- each failing outcome: its notification, the clock as it is, no change ------------
# outcome DESC RC SUMMARY BODY-PART: one attempt with the server as set, checked
outcome() {
	local desc=$1 want_rc=$2 summary=$3 part=$4 before
	notified_reset
	before=$(runs)
	ts
	[ "$RC" = "$want_rc" ] || fail "$desc: status $RC, expected $want_rc (out: $OUT; err: $ERR)"
	[ "$(runs)" = $((before + 1)) ] || fail "$desc: nsd did not run the check once"
	info "clearnet-time-sync: $(tr "\n" " " <<<"$ERR")"
	expect_notified 1 "$summary" "$desc: the desktop user is told '$summary'"
	body=$(notified_field "$summary" 2)
	case $body in *"$part"*) ;; *) fail "$desc: the notification does not say '$part': $body" ;; esac
	case $body in *"$CLOCK_SHOWN"*) ;; *) fail "$desc: the notification does not show the clock: $body" ;; esac
	[ "$(cat "$CLOCK")" = 1000 ] || fail "$desc: the clock changed to $(cat "$CLOCK")"
	ok "$desc: it says what to do ('$part') and shows the clock; the clock is unchanged"
}

raw "\"status\": 302, \"date\": \"$D_OK\", \"headers\": [[\"Location\", \"http://portal.example.test/login\"]], \"body\": \"\""
outcome "a captive portal (with a good Date:)" 1 "The clock could not be checked: log in to the network first" "log in with the Unsafe Browser"
raw "\"date\": \"2025-04-15T10:20:30Z\", \"body\": \"OK\""
outcome "a malformed Date:" 4 "The clock could not be checked: the time server's answer is unusable" "set it by hand"
portal_mode '{"mode": "close"}'
outcome "no answer (offline)" 2 "The clock could not be checked: no network" "Connect to a network"
# No DNS: the clearnet namespace's server is one that is down.
cp "$RESOLV" "$T/resolv.good"
printf 'nameserver %s\n' "$PORTAL_DOWN_ADDR" >"$RESOLV"
nsd_signal main HUP
wait_until 100 grep -q "$PORTAL_DOWN_ADDR" "$ETC_NETNS_DIR/$NS_NAME/resolv.conf" || fail "nsd did not take the new DNS file"
raw "\"date\": \"$D_OK\", \"body\": \"OK\""
outcome "no DNS answer (dns-failure)" 3 "The clock could not be checked: the network does not answer" "connect to another network"
cp "$T/resolv.good" "$RESOLV"
nsd_signal main HUP
wait_until 100 grep -q "$PORTAL_DNS_ADDR" "$ETC_NETNS_DIR/$NS_NAME/resolv.conf" || fail "nsd did not take the DNS file back"

# --- retries on network changes, bounded per connection ---------------------------------
raw "\"date\": \"2025-04-15T10:20:30Z\", \"body\": \"OK\""     # keeps failing: time-invalid
rm -f "$STATE"
ts                      # the unit's first attempt: attempt 1 on an unknown connection
ts --network-change conn-A
[ "$RC" = 4 ] || fail "a network change after a failure did not try again (status $RC, err $ERR)"
base=$(runs)
notified_reset
for i in 1 2 3 4; do ts --network-change conn-A; done
[ "$(runs)" = $((base + 2)) ] ||
	fail "on one connection: $(( $(runs) - base + 1 )) attempts after the first, expected 3 in all (err: $ERR)"
case $ERR in *"no more attempts on connection conn-A (3 of 3 made)"*) ;; *) fail "no 'no more attempts' message: $ERR" ;; esac
[ "$(notified_count "The clock could not be checked: the time server's answer is unusable")" = 2 ] ||
	fail "the retries did not each notify: $(notified_all)"
last=$(notified_field "The clock could not be checked: the time server's answer is unusable" 2)
case $last in *"It is not checked again automatically on this network."*) ;; *) fail "the last attempt does not say it was the last: $last" ;; esac
ok "network changes retry a failed sync at most 3 times per connection, and the last one says so"
ts --network-change conn-B
[ "$(runs)" = $((base + 3)) ] || fail "a new connection did not start afresh"
ok "a new connection tries again"

# Backoff: the next attempt waits.
BACKOFF=3600 ts --network-change conn-B
[ "$(runs)" = $((base + 3)) ] || fail "an attempt before the backoff elapsed"
case $ERR in *"next attempt on connection conn-B not before "*) ;; *) fail "no backoff message: $ERR" ;; esac
ok "before the backoff has elapsed, a network change does not try again"

# The NetworkManager hook itself, on a connectivity change (no connection UUID: the same
# connection as before), makes the next attempt.
HOOK=$(realpath "${CLEARNET_SRCDIR:-$IT_DIR/../..}")/desktop/nm-dispatcher
run_capture env CLEARNET_CONFIG="$conf" CLEARNET_RUN="$CLEARNET_RUN" CLEARNET_SOCKET="$SOCKET" \
	CLEARNET_TIME_SYNC="$DB/clearnet-time-sync" CLEARNET_TIME_SYNC_BACKOFF=0 sh "$HOOK" '' connectivity-change
[ "$RC" = 0 ] && [ "$(runs)" = $((base + 4)) ] || fail "the hook's connectivity-change did not retry (status $RC, err $ERR)"
grep -q 'connection=conn-B attempts=2 ' "$STATE" || fail "the hook's attempt is not the second on conn-B: $(cat "$STATE")"
ok "the NetworkManager hook's connectivity-change retries on the same connection"

# --- positive control: online sets the clock, says nothing, and ends the retries -------
notified_reset
raw "\"date\": \"$D_OK\", \"body\": \"OK\""
ts --network-change conn-B
[ "$RC" = 0 ] && [ "$(cat "$CLOCK")" = "$T_OK" ] || fail "online: status $RC, clock $(cat "$CLOCK")"
n=$(runs)
ts --network-change conn-C
[ "$(runs)" = "$n" ] || fail "a network change after a sync that worked ran the check again"
[ -z "$(notified_all)" ] || fail "notifications after a sync that worked: $(notified_all)"
ok "control: online sets the clock, no notification, and no more attempts afterwards"

finish
