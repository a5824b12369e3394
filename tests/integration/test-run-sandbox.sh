#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a launched process gets: the policy's identity (a command runs as its caller, an
# app as its user, never with capabilities), no_new_privs, a seccomp filter that denies
# ptrace, process_vm_readv, keyctl, TIOCSTI and TIOCLINUX (each compared with the same
# probe run outside, where it works), the clearnet network namespace with its own mount
# and IPC namespaces; none of the daemon's socket, /run/netns, the system bus, the host's
# abstract Unix sockets, /tmp, /var/tmp, /dev/shm; the clearnet DNS servers also when the
# host's /etc/resolv.conf is a symlink into systemd-resolved's runtime dir; for apps a
# HOME on tmpfs that does not persist and only the runtime sockets the policy lists.
# tests/integration/sandbox-probe.py does the looking; it prints key=value lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

topo_setup
services_start
users_setup
# root's command writes to its HOME (the probe's home_write): an empty tmpfs here
mount -t tmpfs -o mode=0700 clearnet-it-root /root || fail "tmpfs on /root"

# --- things a launched process must not see, made real in this mount namespace ---------

# The host's abstract Unix sockets (like @/tmp/.X11-unix/X0 of an X server, or a D-Bus
# bus at @/tmp/dbus-…), in the host's network namespace, where nsd runs.
ABS_X11=/tmp/.X11-unix/X7-clearnet-it-$$
ABS_DBUS=/tmp/dbus-clearnet-it-$$
# A system bus socket, if the machine has the directory to put it in.
BUS=
if [ -d /run/dbus ]; then
	mount -t tmpfs -o mode=0755,size=1m clearnet-it-dbus /run/dbus || fail "tmpfs on /run/dbus"
	BUS=/run/dbus/system_bus_socket
else
	info "no /run/dbus on this machine: the system bus check only checks that it is absent"
fi
unix_listener host-sockets root "@$ABS_X11" "@$ABS_DBUS" ${BUS:+"$BUS"}
[ -z "$BUS" ] || chmod 0666 "$BUS"

# /var/tmp and /dev/shm with something in them
for d in /var/tmp /dev/shm; do
	mount -t tmpfs -o mode=1777,size=1m clearnet-it-priv "$d" && touch "$d/host-marker" ||
		fail "cannot mount a tmpfs with a marker on $d"
done

# The caller's runtime dir (/run/user/UID, owned by the caller) with a Wayland, a
# PipeWire and a PulseAudio socket; the same for cltest2, whose sockets cltest1 must not
# get by pointing XDG_RUNTIME_DIR there.
if [ ! -d /run/user ]; then
	# a machine without systemd-logind: an empty directory for the time of the test
	mkdir /run/user || fail "mkdir /run/user"
	at_exit "umount -l /run/user; rmdir /run/user"
fi
mount -t tmpfs -o mode=0755,size=1m clearnet-it-runuser /run/user || fail "tmpfs on /run/user"
for u in "$U1" "$U2"; do
	uid=$(id -u "$u")
	install -d -o "$u" -g "$u" -m 0700 "/run/user/$uid" "/run/user/$uid/pulse" || fail "runtime dir of $u"
	unix_listener "runtime-$u" "$u" "/run/user/$uid/wayland-1" "/run/user/$uid/pipewire-0" \
		"/run/user/$uid/pulse/native"
	# The app runs as another user: it can connect only to a socket that others may
	# write (libwayland leaves its socket at 0755 under the 0700 dir; see the report).
	chmod 0666 "/run/user/$uid/wayland-1" "/run/user/$uid/pipewire-0" "/run/user/$uid/pulse/native"
done

# The real home of the app user, with something in it that the app must not see
echo real >"$SH/home/$UA/real-home-marker" && chown "$UA:$UA" "$SH/home/$UA/real-home-marker" ||
	fail "marker in $UA's home"

# --- the probe and the policy -----------------------------------------------------------

install -m 0755 "$IT_DIR/sandbox-probe.py" "$SH/bin/probe" || fail "install the probe"
cat >"$SH/bin/probe.conf" <<EOF
absent=$SOCKET
absent=/run/netns/host
absent=$NETNS_DIR/$NS_NAME
absent=$STATE_DIR
absent=$T
absent=/var/tmp/host-marker
absent=/dev/shm/host-marker
${BUS:+absent=$BUS}
abstract=$ABS_X11
abstract=$ABS_DBUS
EOF
PROBE=("$PYI" "$SH/bin/probe")

conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<EOF

[app probe]
exec = $PYI $SH/bin/probe
user = $UA
callers = $U1
sockets = wayland pulse
env = LANG

[app probe-nosock]
exec = $PYI $SH/bin/probe
user = $UA
callers = $U1
sockets =
EOF
nsd_start "$conf"
ok "config: $(grep -c '^\[app ' "$conf") apps"

# probe OUT WHO ARGS...: run the probe; WHO is "outside USER" or "inside USER" (a
# command as USER) or "app USER APP [VAR=VALUE...]" (the app, started by USER)
probe() {
	local o=$1 how=$2 user=$3 rc
	shift 3
	(cd / && case $how in
	outside) as_in "$HOST" "$user" "${PROBE[@]}" ;;
	inside) as "$user" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" -- "${PROBE[@]}" ;;
	app) local app=$1; shift
		as "$user" env "$@" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" --app "$app" ;;
	esac) </dev/null >"$o" 2>"$o.err"
	rc=$?
	[ "$rc" -eq 0 ] && [ -s "$o" ] || fail "probe $how $user $*: exit $rc: $(head -c 400 "$o.err")"
}

P=$T/probe
mkdir -p "$P"
probe "$P/out-u1" outside "$U1"
probe "$P/out-root" outside root
probe "$P/in-u1" inside "$U1"
probe "$P/in-root" inside root

# --- identity ---------------------------------------------------------------------------
expect_pv "$P/in-u1" Uid "$U1_ID $U1_ID $U1_ID $U1_ID" "a command of $U1 runs as $U1"
expect_pv "$P/in-u1" Gid "$U1_ID $U1_ID $U1_ID $U1_ID" "a command of $U1 runs with $U1's group"
expect_pv "$P/in-u1" groups "$U1_ID,$G1_ID" "a command of $U1 has $U1's supplementary groups"
expect_pv "$P/in-root" Uid "0 0 0 0" "a command of root runs as uid 0"
for who in u1 root; do
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_pv "$P/in-$who" "$k" 0000000000000000 "a command of $who has no capabilities"
	done
	expect_pv "$P/in-$who" NoNewPrivs 1 "a command of $who has no_new_privs"
	expect_pv "$P/in-$who" Seccomp 2 "a command of $who runs under a seccomp filter"
	expect_pv "$P/in-$who" session_leader yes "a command of $who leads its own session"
	expect_pv "$P/in-$who" fds 0,1,2 "a command of $who has only stdin, stdout, stderr open"
done
[ "$(pv "$P/out-root" CapEff)" != 0000000000000000 ] || fail "harness: root outside has no capabilities?"

# --- seccomp: denied inside, allowed (or refused for another reason) outside ------------
for k in ptrace process_vm_readv keyctl tiocsti tioclinux; do
	out=$(pv "$P/out-u1" "$k") in=$(pv "$P/in-u1" "$k")
	[ "$out" = unknown-arch ] && { info "$k: syscall number unknown on $(uname -m), not checked"; continue; }
	[ "$in" = EPERM ] || fail "$k inside: '$in', expected EPERM (outside: $out)"
	# (a machine may refuse it outside too, e.g. Yama ptrace_scope 2: then this proves less)
	[ "$out" != EPERM ] || info "$k is EPERM outside the sandbox as well on this machine"
	ok "$k is denied inside with EPERM (outside: $out)"
done
# Browsers build their own sandboxes with user namespaces: what works outside works inside.
expect_pv "$P/in-u1" userns "$(pv "$P/out-u1" userns)" "user namespaces are as available inside as outside"

# --- namespaces -------------------------------------------------------------------------
clear_ino=$(stat -L -c %i "$(clear_nsf)")
expect_pv "$P/in-u1" ns_net "$clear_ino" "a command runs in the clearnet network namespace"
for ns in mnt ipc; do
	[ "$(pv "$P/in-u1" ns_$ns)" != "$(pv "$P/out-u1" ns_$ns)" ] || fail "a command shares the host's $ns namespace"
	ok "a command has its own $ns namespace"
done

# --- what is hidden ---------------------------------------------------------------------
while read -r path; do
	[ -n "$path" ] || continue
	expect_pv "$P/out-root" "exists:$path" yes "harness: $path exists outside"
	expect_pv "$P/in-root" "exists:$path" no "$path is out of sight of a command (even of root's)"
	expect_pv "$P/in-u1" "exists:$path" no "$path is out of sight of $U1's command"
done < <(sed -n 's/^absent=//p' "$SH/bin/probe.conf")
for a in "$ABS_X11" "$ABS_DBUS"; do
	expect_pv "$P/out-u1" "abstract:$a" connected "harness: the host's abstract socket @$a answers outside"
	got=$(pv "$P/in-u1" "abstract:$a")
	[ "$got" = ECONNREFUSED ] || fail "the host's abstract socket @$a from inside: '$got', expected ECONNREFUSED"
	ok "the host's abstract socket @$a is unreachable from inside ($got)"
done
# Empty but for what the test binds in itself (view_binds: the source and build trees,
# which may lie under /tmp): those are allow-listed paths, nothing of the host's /tmp.
tmp_binds=$(for d in $VIEW_RO; do case $d in /tmp/*) d=${d#/tmp/}; echo "${d%%/*}" ;; esac; done | sort -u | paste -sd, -)
expect_pv "$P/in-u1" list:/tmp "${tmp_binds:--}" "/tmp inside is private (empty but for the test's own binds: ${tmp_binds:-none})"
grep -qx "list:/tmp=.*$(basename "$T").*" "$P/out-u1" || fail "harness: $T is not listed in /tmp outside"
for d in /var/tmp /dev/shm; do
	expect_pv "$P/in-u1" "list:$d" - "$d inside is empty and private"
done

# --- DNS --------------------------------------------------------------------------------
want_dns=$(dns_servers "$RESOLV" | paste -sd,)
expect_pv "$P/in-u1" resolv "$want_dns" "/etc/resolv.conf inside lists the clearnet servers"
expect_pv "$P/in-u1" nsswitch_hosts "files dns" "nsswitch.conf inside resolves hosts by files and DNS only"

# --- apps: identity, HOME, runtime sockets, environment ---------------------------------
before_home=$(ls -A "$SH/home/$UA")
probe "$P/app" app "$U1" probe XDG_RUNTIME_DIR="/run/user/$U1_ID" WAYLAND_DISPLAY=wayland-1 \
	LANG=C.UTF-8 TZ=UTC FOO=bar
expect_pv "$P/app" Uid "$UA_ID $UA_ID $UA_ID $UA_ID" "the app runs as its user $UA"
expect_pv "$P/app" Gid "$UA_ID $UA_ID $UA_ID $UA_ID" "the app runs with $UA's group"
expect_pv "$P/app" groups "$UA_ID,$GA_ID" "the app has $UA's supplementary groups, none of its caller's"
for k in CapInh CapPrm CapEff CapBnd CapAmb; do
	expect_pv "$P/app" "$k" 0000000000000000 "the app has no capabilities"
done
expect_pv "$P/app" NoNewPrivs 1 "the app has no_new_privs"
expect_pv "$P/app" Seccomp 2 "the app runs under a seccomp filter"
expect_pv "$P/app" ptrace EPERM "the app cannot ptrace"
expect_pv "$P/app" ns_net "$clear_ino" "the app runs in the clearnet network namespace"
expect_pv "$P/app" env:HOME "$SH/home/$UA" "the app's HOME is its user's home"
expect_pv "$P/app" cwd "$SH/home/$UA" "the app starts in its HOME"
expect_pv "$P/app" home_fstype tmpfs "the app's HOME is a tmpfs"
expect_pv "$P/app" list:home - "the app's HOME starts empty (the real home's files are not there)"
expect_pv "$P/app" home_write ok "the app can write to its HOME"
[ "$(ls -A "$SH/home/$UA")" = "$before_home" ] ||
	fail "what the app wrote to its HOME persisted: $(ls -A "$SH/home/$UA" | tr '\n' ' ')"
ok "nothing the app wrote to its HOME is left in the real home ($before_home)"
expect_pv "$P/app" list:/run/user "$UA_ID" "the app sees only its own /run/user/$UA_ID"
got=$(grep '^runtime=' "$P/app" | cut -d= -f2 | sort | paste -sd' ')
want="/run/user/$UA_ID/pulse /run/user/$UA_ID/pulse/native /run/user/$UA_ID/wayland-1"
[ "$got" = "$want" ] || fail "the app's runtime dir holds '$got', expected '$want' (wayland and pulse listed, pipewire not)"
ok "the app's runtime dir holds the listed sockets of its caller only: $want"
expect_pv "$P/app" wayland_connect "connected:/run/user/$U1_ID/wayland-1" \
	"the app's Wayland socket leads to its caller's compositor"
expect_pv "$P/app" env:XDG_RUNTIME_DIR "/run/user/$UA_ID" "the app's XDG_RUNTIME_DIR is its own"
expect_pv "$P/app" env:WAYLAND_DISPLAY wayland-1 "the app gets WAYLAND_DISPLAY"
expect_pv "$P/app" env:LANG C.UTF-8 "the app gets LANG (listed in env =)"
for k in TZ FOO; do
	[ -z "$(grep "^env:$k=" "$P/app")" ] || fail "the app got $k, which its env = does not list"
done
ok "the app does not get TZ or FOO (not listed in env =)"
for a in "$ABS_X11" "$ABS_DBUS"; do
	expect_pv "$P/app" "abstract:$a" ECONNREFUSED "the app cannot reach the host's abstract socket @$a"
done
expect_pv "$P/app" resolv "$want_dns" "the app's /etc/resolv.conf lists the clearnet servers"

probe "$P/app-nosock" app "$U1" probe-nosock XDG_RUNTIME_DIR="/run/user/$U1_ID" WAYLAND_DISPLAY=wayland-1
[ -z "$(grep '^runtime=' "$P/app-nosock")" ] ||
	fail "an app without sockets = got: $(grep '^runtime=' "$P/app-nosock" | tr '\n' ' ')"
[ -z "$(grep '^env:WAYLAND_DISPLAY=' "$P/app-nosock")" ] || fail "an app without sockets = got WAYLAND_DISPLAY"
ok "an app with an empty sockets = gets no runtime socket and no WAYLAND_DISPLAY"

probe "$P/app-nowl" app "$U1" probe XDG_RUNTIME_DIR="/run/user/$U1_ID" WAYLAND_DISPLAY=wayland-9
got=$(grep '^runtime=' "$P/app-nowl" | cut -d= -f2 | sort | paste -sd' ')
[ "$got" = "/run/user/$UA_ID/pulse /run/user/$UA_ID/pulse/native" ] ||
	fail "an app whose caller has no socket wayland-9 got '$got' in its runtime dir"
ok "a listed socket the caller does not have (wayland-9) is not there"

probe "$P/app-other" app "$U1" probe XDG_RUNTIME_DIR="/run/user/$U2_ID" WAYLAND_DISPLAY=wayland-1
[ -z "$(grep '^runtime=' "$P/app-other")" ] ||
	fail "the app got sockets of another user's runtime dir: $(grep '^runtime=' "$P/app-other" | tr '\n' ' ')"
ok "a caller pointing XDG_RUNTIME_DIR at another user's runtime dir gets none of its sockets"

# --- DNS when the host's /etc/resolv.conf is a symlink to systemd-resolved's stub -------
nsd_stop main
if [ -d /run/systemd ]; then
	mount -t tmpfs -o mode=0755,size=1m clearnet-it-systemd /run/systemd || fail "tmpfs on /run/systemd"
	STUB_DIR=/run/systemd/resolve
else
	STUB_DIR=$SH/systemd-resolve
	info "no /run/systemd here: the stub resolver lives in $STUB_DIR"
fi
mkdir -p "$STUB_DIR" && echo 'nameserver 127.0.0.53' >"$STUB_DIR/stub-resolv.conf" || fail "stub resolv.conf"
mkdir "$T/etc-copy" && cp -a /etc/. "$T/etc-copy/" || fail "cannot copy /etc"
# relative, as systemd-resolved's own link is
rm -f "$T/etc-copy/resolv.conf" && ln -s "..$STUB_DIR/stub-resolv.conf" "$T/etc-copy/resolv.conf" &&
	mount --bind "$T/etc-copy" /etc || fail "cannot put a copy of /etc with a symlinked resolv.conf in place"
[ "$(dns_servers /etc/resolv.conf)" = 127.0.0.53 ] || fail "harness: the host's resolv.conf is not the stub's"
ok "the host's /etc/resolv.conf is now a symlink to $STUB_DIR/stub-resolv.conf (127.0.0.53)"
nsd_start "$conf"
probe "$P/stub" inside "$U1"
expect_pv "$P/stub" resolv "$want_dns" "with a symlinked host resolv.conf, /etc/resolv.conf inside lists the clearnet servers"
out=$(cd / && as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" -- getent hosts www.example.test 2>&1)
grep -q '^192\.0\.2\.80 ' <<<"$out" || fail "with a symlinked host resolv.conf, getent hosts www.example.test inside: $out"
ok "with a symlinked host resolv.conf, www.example.test resolves inside ($(awk '{print $1}' <<<"$out"))"
out=$(cd / && as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" -- "${CURL_OK[@]}" http://www.example.test/ 2>&1)
grep -qF "$WWW_MARKER" <<<"$out" || fail "with a symlinked host resolv.conf, curl http://www.example.test/ inside: $out"
ok "with a symlinked host resolv.conf, http://www.example.test/ loads inside"

# --- nothing made ahead outlives a change -------------------------------------------------
# nsd makes the next launch ahead (a spare child, already in the namespace with the mounts
# every launch gets). A change after that, of the host's resolv.conf or of the clearnet
# servers, must still show in the next launch: a spare used anyway would have bound the
# clearnet file over the old target, or hold the old servers.
spare_ready() { pgrep -P "${NSD_PID[main]}" >/dev/null; }
# last_start: how nsd says it made the last launch ("made ahead" or "from scratch")
last_start() { grep 'started pid' "${NSD_LOG[main]}" | tail -n 1 | sed -n 's/.*(\(.*\))$/\1/p'; }
wait_until 100 spare_ready || fail "nsd made no launch ahead while idle"
probe "$P/ahead" inside "$U1"
[ "$(last_start)" = "made ahead" ] || fail "a command launched while nsd was idle was made '$(last_start)', not ahead"
expect_pv "$P/ahead" resolv "$want_dns" "a command made ahead sees the clearnet servers"
wait_until 100 spare_ready || fail "nsd made no launch ahead while idle"
echo 'nameserver 127.0.0.54' >"$STUB_DIR/other-resolv.conf" || fail "second stub resolv.conf"
# in place, as resolvconf or NetworkManager relink it (the copy of /etc is what /etc shows)
ln -sfn "..$STUB_DIR/other-resolv.conf" "$T/etc-copy/resolv.conf" || fail "cannot relink resolv.conf"
[ "$(dns_servers /etc/resolv.conf)" = 127.0.0.54 ] || fail "harness: the host's resolv.conf does not lead to the new file"
probe "$P/relinked" inside "$U1"
expect_pv "$P/relinked" resolv "$want_dns" \
	"after the host's resolv.conf was relinked under a running nsd, /etc/resolv.conf inside lists the clearnet servers"

wait_until 100 spare_ready || info "nsd has no launch made ahead now (checks below still hold)"
printf 'nameserver 192.0.2.53\nnameserver 198.51.100.53\n' >"$RESOLV" || fail "cannot change resolv_conf"
nsd_signal main HUP
wait_until 300 grep -q '^nameserver 198.51.100.53' "$ETC_NETNS_DIR/$NS_NAME/resolv.conf" ||
	fail "nsd did not take the new servers after SIGHUP"
probe "$P/newdns" inside "$U1"
expect_pv "$P/newdns" resolv 192.0.2.53,198.51.100.53 \
	"after the clearnet servers changed (SIGHUP), /etc/resolv.conf inside lists the new ones"

# A resolv.conf replaced by a rename (as dhclient and resolvconf write it): the kernel then
# drops, in the spare's mount namespace only, the clearnet file bound over it; nsd sees no
# mount event of its own, so it must look at the spare's view itself.
rm -f "$T/etc-copy/resolv.conf" && echo 'nameserver 127.0.0.55' >"$T/etc-copy/resolv.conf" || fail "plain resolv.conf"
probe "$P/plain" inside "$U1"   # the spare used now was made for the old link: from scratch
wait_until 100 spare_ready || fail "nsd made no launch ahead while idle"
echo 'nameserver 127.0.0.56' >"$T/etc-copy/resolv.conf.new" && mv "$T/etc-copy/resolv.conf.new" "$T/etc-copy/resolv.conf" ||
	fail "cannot replace resolv.conf"
probe "$P/renamed" inside "$U1"
expect_pv "$P/renamed" resolv 192.0.2.53,198.51.100.53 \
	"after the host's resolv.conf was replaced by a rename, /etc/resolv.conf inside lists the clearnet servers"

finish
