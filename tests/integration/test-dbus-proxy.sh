#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sockets = a11y ibus: the app reaches, through the per-launch xdg-dbus-proxy, only
# org.a11y.Bus on the session bus (GetAddress), the accessibility bus's registry (Embed),
# and IBus (org.freedesktop.IBus, org.freedesktop.portal.IBus); it fails to call any other
# name the test has on the session bus (a notification daemon that records every call
# records none; a portal) or on the a11y bus. Positive control: the same probe run
# outside the sandbox reaches all of them, and the notification daemon records its call.
# The proxy runs as the caller, outside nsd, not dumpable (the app, of the same user,
# cannot open its memory, while it can open its own child's), and is gone once the app
# has exited. An app
# without those sockets sees no D-Bus at all (no address, no bus socket in its runtime
# dir, no system bus). Real dbus-daemons: a --session bus in the caller's runtime dir, and
# an accessibility bus with at-spi2-core's own config (accessibility.conf).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

for tool in dbus-daemon xdg-dbus-proxy dbus-send; do
	command -v "$tool" >/dev/null || fail "missing tool '$tool' (apt-get install dbus-daemon dbus-bin xdg-dbus-proxy)"
done
"$PYI" -c 'import dbus, gi.repository.GLib' 2>/dev/null ||
	fail "missing python3-dbus or python3-gi (apt-get install python3-dbus python3-gi)"
A11Y_CONF=/usr/share/defaults/at-spi2/accessibility.conf
[ -r "$A11Y_CONF" ] || fail "missing $A11Y_CONF (apt-get install at-spi2-core)"

topo_setup
services_start
users_setup

# --- the caller's desktop session: runtime dir, session bus, a11y bus, the services -----
if [ ! -d /run/user ]; then
	mkdir /run/user || fail "mkdir /run/user"
	at_exit "umount -l /run/user; rmdir /run/user"
fi
mount -t tmpfs -o mode=0755,size=1m clearnet-it-runuser /run/user || fail "tmpfs on /run/user"
RT=/run/user/$UA_ID
install -d -o "$UA" -g "$UA" -m 0700 "$RT" "$RT/at-spi" || fail "runtime dir of $UA"
SESSION=unix:path=$RT/bus
A11Y=unix:path=$RT/at-spi/bus_0
bg session-bus "$HOST" setpriv --reuid="$UA" --regid="$UA" --init-groups -- \
	dbus-daemon --session --nofork --nopidfile --address="$SESSION"
bg a11y-bus "$HOST" setpriv --reuid="$UA" --regid="$UA" --init-groups -- \
	dbus-daemon --config-file="$A11Y_CONF" --nofork --nopidfile --address="$A11Y"
wait_until 100 test -S "$RT/bus" && wait_until 100 test -S "$RT/at-spi/bus_0" ||
	fail "the session and a11y buses did not start: $(cat "$T/logs/session-bus.out" "$T/logs/a11y-bus.out")"
CALLS=$SH/x/calls.jsonl
# reset_calls: an empty record, which the stand-ins (as the caller) may write
reset_calls() { rm -f "$CALLS" && install -m 0644 -o "$UA" -g "$UA" /dev/null "$CALLS" || fail "cannot reset $CALLS"; }
reset_calls
install -m 0644 "$IT_DIR/dbus-standin.py" "$SH/bin/dbus-standin.py" || fail "install the stand-ins"
install -m 0644 "$IT_DIR/dbus-probe.py" "$SH/bin/dbus-probe.py" || fail "install the probe"
bg standins "$HOST" setpriv --reuid="$UA" --regid="$UA" --init-groups -- "$PYI" -u "$SH/bin/dbus-standin.py" \
	--session "$SESSION" --a11y "$A11Y" --a11y-address "$A11Y,guid=0123456789abcdef0123456789abcdef" --log "$CALLS"
wait_until 150 grep -q ready "$T/logs/standins.out" || fail "the stand-in services did not start: $(cat "$T/logs/standins.out")"
ok "a session bus at $RT/bus, an a11y bus (at-spi2's accessibility.conf) and the stand-in services"

conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<EOF

[app dbus]
exec = $PYI $SH/bin/dbus-probe.py --wait $SH/x/go
user = $UA
callers = $UA
sockets = a11y ibus
pid_namespace = yes

[app nodbus]
exec = $PYI $SH/bin/dbus-probe.py --raw $RT/bus
user = $UA
callers = $UA
sockets = wayland pipewire pulse
EOF
nsd_start "$conf"

calls() { grep -c "\"name\": \"$1\", \"method\": \"$2\"" "$CALLS" 2>/dev/null; }
# app NAME: the app, started by its caller with its runtime dir, stdout in $SH/x/NAME.out
app() {
	as "$UA" XDG_RUNTIME_DIR="$RT" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" --app "$1" \
		</dev/null >"$SH/x/$1.out" 2>"$SH/x/$1.err"
}
# proxies: pids of the xdg-dbus-proxy processes of user UA in this test's PID namespace
proxies() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null | head -n 1)" = /usr/bin/xdg-dbus-proxy ] || continue
		[ "$(stat -c %u "$p")" = "$UA_ID" ] && echo "${p#/proc/}"
	done
}

# --- the app with sockets = a11y ibus --------------------------------------------------
reset_calls
rm -f "$SH/x/go"
app dbus &
app_pid=$!
wait_until 300 grep -q '^system_bus=' "$SH/x/dbus.out" ||
	fail "the probe did not report: $(cat "$SH/x/dbus.out" "$SH/x/dbus.err")"
P=$SH/x/dbus.out
info "inside: $(tr '\n' ' ' <"$P")"
pids=$(proxies)
[ -n "$pids" ] || fail "no xdg-dbus-proxy of $UA runs while the app runs"
for p in $pids; do
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- '--filter' || fail "proxy $p runs without --filter"
	[ "$(stat -Lc %i "/proc/$p/ns/net")" = "$(stat -Lc %i "$(clear_nsf)")" ] ||
		fail "proxy $p is not in the clearnet namespace (where the launch's child started it)"
	grep -q '^CapEff:[[:space:]]*0*$' "/proc/$p/status" || fail "proxy $p has capabilities"
done
ok "while the app runs, an xdg-dbus-proxy runs as $UA ($UA_ID), with --filter, no capabilities (pids $pids)"

expect_pv "$P" session "unix:path=$RT/bus" "the app's DBUS_SESSION_BUS_ADDRESS is the proxy's socket"
expect_pv "$P" a11y "unix:path=$RT/at-spi-bus" "the app's AT_SPI_BUS_ADDRESS is the proxied a11y bus"
expect_pv "$P" getaddress "ok:$A11Y,guid=0123456789abcdef0123456789abcdef" "org.a11y.Bus.GetAddress answers through the proxy"
expect_pv "$P" embed ok "the app registers with the a11y registry (Socket.Embed) through the proxied a11y bus"
expect_pv "$P" ibus ok "the app reaches org.freedesktop.IBus"
expect_pv "$P" ibus_portal ok "the app reaches org.freedesktop.portal.IBus"
expect_pv "$P" notify error:org.freedesktop.DBus.Error.ServiceUnknown "Notify to org.freedesktop.Notifications is refused"
expect_pv "$P" portal_desktop error:org.freedesktop.DBus.Error.ServiceUnknown "org.freedesktop.portal.Desktop is refused"
expect_pv "$P" a11y_other error:org.freedesktop.DBus.Error.ServiceUnknown "another name on the a11y bus is refused"
names=$(pv "$P" names)
for n in org.freedesktop.Notifications org.freedesktop.portal.Desktop; do
	case " $names " in *" $n "*) fail "ListNames shows $n to the app: $names" ;; esac
done
ok "ListNames through the proxy does not show the names the app may not talk to ($names)"
expect_pv "$P" runtime "at-spi-bus bus" "the app's runtime dir holds only the proxy's two sockets"
expect_pv "$P" proxies 1 "the app sees its proxy (same PID namespace)"
expect_pv "$P" child_mem ok "control: the app may open the memory of a process of its own user"
expect_pv "$P" proxy_mem "error:Permission denied" "but not the proxy's, although it runs as the same user (not dumpable)"
[ "$(calls org.freedesktop.Notifications Notify)" = 0 ] || fail "the notification daemon recorded a call from inside: $(cat "$CALLS")"
[ "$(calls org.freedesktop.portal.Desktop Ping)" = 0 ] || fail "the portal stand-in recorded a call from inside"
[ "$(calls org.example.A11yOther Ping)" = 0 ] || fail "the other a11y-bus name recorded a call from inside"
[ "$(calls org.a11y.atspi.Registry Embed)" = 1 ] && [ "$(calls org.a11y.Bus GetAddress)" -ge 1 ] &&
	[ "$(calls org.freedesktop.IBus Ping)" = 1 ] && [ "$(calls org.freedesktop.portal.IBus Ping)" = 1 ] ||
	fail "the allowed services did not record the app's calls: $(cat "$CALLS")"
ok "the notification daemon, the portal and the other a11y name recorded no call; the allowed ones did"

touch "$SH/x/go"
wait "$app_pid"
rc=$?
[ "$rc" = 0 ] || fail "the app exited with $rc: $(cat "$SH/x/dbus.err")"
for p in $pids; do
	wait_until 100 pid_gone "$p" || fail "proxy $p still runs after the app exited"
done
[ -z "$(proxies)" ] || fail "an xdg-dbus-proxy is left after the app exited: $(proxies)"
ok "the proxy is gone once the app has exited"

# --- a GetAddress answer that is not followed ------------------------------------------
# standins ADDRESS: the stand-ins again, org.a11y.Bus answering ADDRESS
standins() {
	bg_stop standins
	bg standins "$HOST" setpriv --reuid="$UA" --regid="$UA" --init-groups -- "$PYI" -u "$SH/bin/dbus-standin.py" \
		--session "$SESSION" --a11y "$A11Y" --a11y-address "$1" --log "$CALLS"
	wait_until 300 grep -q ready "$T/logs/standins.out" || fail "the stand-ins did not start again"
	# The new one answers, not the old one (its names may take a moment to go).
	wait_until 300 a11y_answers "$1" || fail "org.a11y.Bus does not answer '$1' on the session bus"
}
a11y_answers() {
	[ "$(as "$UA" dbus-send --bus="$SESSION" --print-reply=literal --dest=org.a11y.Bus /org/a11y/bus \
		org.a11y.Bus.GetAddress | sed 's/^ *//')" = "$1" ]
}
unix_listener root-a11y root $T/root-a11y
chmod 0666 $T/root-a11y
for bad in "unix:abstract=/tmp/dbus-clearnet-it-$$" "unix:path=$T/root-a11y" \
	"unix:path=$RT/at-spi/../at-spi/bus_0" "unix:path=$SOCKET"; do
	standins "$bad"
	rm -f "$SH/x/go"
	touch "$SH/x/go"
	app dbus || fail "the app failed with org.a11y.Bus answering $bad: $(cat "$SH/x/dbus.err")"
	expect_pv "$SH/x/dbus.out" getaddress "ok:$bad" "  (the app's GetAddress answers '$bad' too)"
	expect_pv "$SH/x/dbus.out" runtime bus "org.a11y.Bus answering '$bad': no a11y bus for the app"
	expect_pv "$SH/x/dbus.out" ibus ok "  and the session bus part still works"
done
ok "an abstract address, a socket of root's, a path with '..', a path outside /run/user/UID and /tmp: not followed"
standins "$A11Y"

# --- positive control: the same probe, outside the sandbox, reaches everything --------
reset_calls
as "$UA" DBUS_SESSION_BUS_ADDRESS="$SESSION" AT_SPI_BUS_ADDRESS="$A11Y" XDG_RUNTIME_DIR="$RT" \
	timeout -k 5 60 "$PYI" "$SH/bin/dbus-probe.py" >"$SH/x/control.out" 2>&1 || fail "the control probe failed: $(cat "$SH/x/control.out")"
for k in notify portal_desktop a11y_other embed ibus; do
	expect_pv "$SH/x/control.out" "$k" ok "control, outside the sandbox: $k"
done
[ "$(calls org.freedesktop.Notifications Notify)" = 1 ] || fail "control: the notification daemon did not record the call"
ok "control: outside the sandbox the notification daemon records the probe's Notify"

# --- an app without a11y/ibus sees no D-Bus at all -------------------------------------
app nodbus || fail "the app without D-Bus sockets failed: $(cat "$SH/x/nodbus.err")"
N=$SH/x/nodbus.out
expect_pv "$N" session none "an app without a11y/ibus has no DBUS_SESSION_BUS_ADDRESS"
expect_pv "$N" a11y none "nor AT_SPI_BUS_ADDRESS"
expect_pv "$N" raw_bus "error:No such file or directory" "the caller's bus socket path is not there for it"
expect_pv "$N" system_bus absent "no system bus socket"
case " $(pv "$N" runtime) " in *" bus "* | *at-spi*) fail "a bus socket in the runtime dir of an app without a11y/ibus" ;; esac
[ -z "$(proxies)" ] || fail "an xdg-dbus-proxy was started for an app without a11y/ibus"
ok "no proxy was started for it"

finish
