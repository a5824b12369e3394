#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# After the portal (Tails #11535): the whole chain as the desktop user runs it —
# unsafe-browser -> clearnet-run -> nsd -> a stand-in browser app; when it closes,
# clearnet-portal-notify --after-browser runs the real check (as the clearnet user, in
# the clearnet namespace, against the simulated internet's check server) and notifies
# through the real org.freedesktop.Notifications API (notify-send) on the user's real
# session bus, where a stand-in notification daemon records it and plays the user's
# answer. The check switches from portal to online while the browser runs: closing it
# gives one "You are connected to the network: Tor can connect now", whose action runs
# [portal] on_online. Still a portal: "This network still requires you to log in", whose
# action is to open the Unsafe Browser again (and does). The NetworkManager path
# (clearnet-portal-notify without arguments, on each network change): a turn from portal
# to online gives the Tor notification once; online after online gives none, nor does
# closing the browser after the user was told while it was open.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/portal-lib.sh"
. "$(dirname "$0")/desktop-lib.sh"

desktop_setup

# The stand-in browser: says it runs, waits (bounded) to be closed.
cat >"$SH/bin/fake-browser" <<EOF
#!/bin/sh
echo run >>"$SH/x/browser-runs"
i=0
while [ ! -e "$SH/x/close-browser" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
exit 0
EOF
# on_online: what Tails' Tor connection assistant would be; records that it ran, and as whom.
cat >"$SH/bin/on-online" <<EOF
#!/bin/sh
{ id -u; printf '%s\n' "\$*"; } >>"$SH/x/on-online-ran"
EOF
chmod 0755 "$SH/bin/fake-browser" "$SH/bin/on-online"

conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<EOF

[app unsafe-browser]
exec = /bin/sh $SH/bin/fake-browser
args = url
user = $UA
callers = $UA
sockets =

[app portal-check]
exec = $PCB --url $CHECK_URL --timeout 5
user = $UC
callers = $UA
args = none
sockets =

[portal]
app = portal-check
url = $CHECK_URL
on_online = $SH/bin/on-online --from-clearnet
EOF
nsd_start "$conf"
# The scripts read it as the desktop user.
install -m 0644 "$conf" "$SH/x/clearnet.conf" || fail "copy the config"

portal() { portal_mode '{"mode": "raw", "body": "<html>log in first</html>"}'; }
online() { portal_mode '{"mode": "raw", "body": "OK"}'; }
TOR="You are connected to the network: Tor can connect now"
STILL="This network still requires you to log in"
LOGIN="This network requires you to log in"

# desktop CMD...: CMD as the desktop user, in its session
desktop() {
	as "$UA" XDG_RUNTIME_DIR="$RT" DBUS_SESSION_BUS_ADDRESS="$SESSION" CLEARNET_CONFIG="$SH/x/clearnet.conf" \
		CLEARNET_RUN="$CLEARNET_RUN" CLEARNET_SOCKET="$SOCKET" UNSAFE_BROWSER="$DB/unsafe-browser" \
		CLEARNET_PORTAL_NOTIFY="$DB/clearnet-portal-notify" CLEARNET_PORTAL_NOTIFY_WAIT=30 "$@"
}
browser_runs() { grep -c run "$SH/x/browser-runs" 2>/dev/null || echo 0; }
browser_started() { [ "$(browser_runs)" -ge "$1" ]; }
# close_browser: let the stand-in browser end, and wait for unsafe-browser ($1: its pid)
close_browser() {
	touch "$SH/x/close-browser"
	wait "$1" || fail "unsafe-browser exited with $?"
	rm -f "$SH/x/close-browser"
}

# --- portal, then online while the browser runs: closing it says Tor can connect ------
portal
choose connect
desktop "$DB/unsafe-browser" >"$SH/x/ub1.out" 2>&1 &
ub=$!
wait_until 300 browser_started 1 || fail "the stand-in browser did not start: $(cat "$SH/x/ub1.out")"
online
close_browser "$ub"
expect_notified 1 "$TOR" "the browser closed with the check now online: one 'Tor can connect now'"
actions=$(notified_field "$TOR" 3)
[ "$actions" = '["connect", "Connect to Tor"]' ] || fail "its actions are $actions"
wait_until 100 test -s "$SH/x/on-online-ran" || fail "[portal] on_online did not run (notify log: $(notified_all))"
[ "$(cat "$SH/x/on-online-ran")" = "$(printf '%s\n%s' "$UA_ID" --from-clearnet)" ] ||
	fail "on_online ran as/with: $(cat "$SH/x/on-online-ran")"
ok "its action 'Connect to Tor' ran [portal] on_online, as the desktop user, with its arguments"
[ "$(notified_count "$STILL")" = 0 ] && [ "$(notified_count "$LOGIN")" = 0 ] || fail "a portal notification too: $(notified_all)"

# --- still a portal: say so, offer the browser again ------------------------------------
notified_reset
rm -f "$SH/x/on-online-ran" "$SH/x/browser-runs"
portal
choose open
desktop "$DB/unsafe-browser" >"$SH/x/ub2.out" 2>&1 &
ub=$!
wait_until 300 browser_started 1 || fail "the stand-in browser did not start: $(cat "$SH/x/ub2.out")"
close_browser "$ub"
expect_notified 1 "$STILL" "the browser closed with the check still a portal: 'still requires you to log in'"
[ "$(notified_field "$STILL" 3)" = '["open", "Open the Unsafe Browser again"]' ] ||
	fail "its actions are $(notified_field "$STILL" 3)"
[ "$(notified_count "$TOR")" = 0 ] && [ ! -e "$SH/x/on-online-ran" ] || fail "Tor notification or on_online although still a portal"
# Its action opened the browser again (through unsafe-browser, as the user chose).
wait_until 300 browser_started 2 || fail "the action did not open the Unsafe Browser again"
ok "its action 'Open the Unsafe Browser again' opened it again"
choose ''
online
touch "$SH/x/close-browser"
expect_notified 1 "$TOR" "closing that one, now online: 'Tor can connect now' (dismissed: on_online not run)"
[ ! -e "$SH/x/on-online-ran" ] || fail "on_online ran although the notification was dismissed"
wait_until 100 sh -c "! pgrep -u $UA_ID -f clearnet-portal-notify" || fail "clearnet-portal-notify still runs"
rm -f "$SH/x/close-browser"

# --- the NetworkManager path: portal -> online across runs --------------------------------
notified_reset
portal
choose ''
desktop "$DB/clearnet-portal-notify" 2>"$SH/x/pn1.err" || fail "portal-notify (portal) failed: $(cat "$SH/x/pn1.err")"
expect_notified 1 "$LOGIN" "a network change with a portal: 'This network requires you to log in'"
online
desktop "$DB/clearnet-portal-notify" 2>"$SH/x/pn2.err" || fail "portal-notify (online) failed: $(cat "$SH/x/pn2.err")"
expect_notified 1 "$TOR" "the next one, now online: 'Tor can connect now'"
desktop "$DB/clearnet-portal-notify" 2>"$SH/x/pn3.err" || fail "portal-notify (online again) failed"
[ "$(notified_count "$TOR")" = 1 ] || fail "online after online notified again: $(notified_all)"
ok "online after online: no second notification"

# --- told while the browser was open: not again when it closes -------------------------
notified_reset
rm -f "$SH/x/browser-runs"
portal
desktop "$DB/clearnet-portal-notify" 2>/dev/null || fail "portal-notify (portal) failed"
desktop "$DB/unsafe-browser" >"$SH/x/ub3.out" 2>&1 &
ub=$!
wait_until 300 browser_started 1 || fail "the stand-in browser did not start: $(cat "$SH/x/ub3.out")"
online
desktop "$DB/clearnet-portal-notify" 2>/dev/null || fail "portal-notify (online) failed"
expect_notified 1 "$TOR" "a connectivity change while the browser is open, now online: 'Tor can connect now'"
close_browser "$ub"
wait_until 100 sh -c "! pgrep -u $UA_ID -f clearnet-portal-notify" || fail "clearnet-portal-notify still runs"
[ "$(notified_count "$TOR")" = 1 ] || fail "told again when the browser closed: $(notified_all)"
ok "closing the browser afterwards: no second 'Tor can connect now'"

finish
