#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The view built from nothing, and root mapped out of the host's root (issue 11 §2-4):
# from a command of a normal user, a command of root and an app (also one without a PID
# namespace), a world-connectable Unix socket under /srv, under /run/<dir> and under
# /var/lib/<dir> (each served by a real listener that answers on the host: the positive
# control) is unreachable; the host's uplink is not in /sys/class/net; writes to /etc,
# /usr and /proc/sys/kernel/hostname fail and the hostname is unchanged; root's command is
# uid 0 inside while what it makes is owned by root_maps_to on the host; a directory made
# on the host after the launch (also after a spare was made ahead) never appears inside;
# pidfd_getfd and kcmp are denied (they work outside).
#
# Safety: the test runs in a UTS namespace of its own (re-executed under unshare --uts,
# checked below), so a hostname write that got through would rename only that namespace;
# /etc and /usr are overlays whose upper layer is in the test's directory, /root, /srv and
# the /run and /var/lib directories tmpfs mounts, all in the test's private mount
# namespace: a launch that could write there changes nothing of the machine.
if [ -z "${CLEARNET_VIEW_UTS:-}" ]; then
	CLEARNET_VIEW_UTS=$(readlink /proc/self/ns/uts) exec unshare --uts -- "$0" "$@"
	echo "FAIL: cannot re-execute in a UTS namespace of its own (unshare --uts)"
	exit 1
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

[ "$(readlink /proc/self/ns/uts)" != "$CLEARNET_VIEW_UTS" ] || fail "the test is not in a UTS namespace of its own"
# What a broken view would let a launch write lands in this test only: /etc and /usr are
# overlays (writes go to $T), root's home an empty tmpfs, in this mount namespace.
for d in /etc /usr; do
	mkdir -p "$T/overlay$d/upper" "$T/overlay$d/work" &&
		mount -t overlay clearnet-it-view -o "lowerdir=$d,upperdir=$T/overlay$d/upper,workdir=$T/overlay$d/work" "$d" ||
		fail "cannot put an overlay over $d"
done
mount -t tmpfs -o mode=0700 clearnet-it-root /root || fail "tmpfs on /root"
ok "/etc and /usr are overlays and /root a tmpfs in this test's mount namespace (the machine's stay untouched)"
ok "the test runs in a UTS namespace of its own (the machine's hostname is never at risk)"
hostname clearnet-it-view-$$ || fail "cannot set the test namespace's hostname"
HOSTNAME_BEFORE=$(hostname)

topo_setup
services_start
users_setup

# --- the host's services, in this mount namespace only ---------------------------------
pick_dir() {        # the first existing directory (not a symlink) of the arguments
	local d
	for d in "$@"; do
		[ -d "$d" ] && [ ! -L "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}
SRV=/srv
[ -d /srv ] && [ ! -L /srv ] && [ "$SH" != /srv ] || fail "no /srv of its own to put a service under (shared dir is $SH)"
RUND=$(pick_dir /run/lock /run/mount /run/systemd /run/user /run/sshd) || fail "no directory under /run to mount a tmpfs on"
VARD=$(pick_dir /var/lib/misc /var/lib/dbus /var/lib/ucf /var/lib/apt) || fail "no directory under /var/lib to mount a tmpfs on"
for d in "$SRV" "$RUND" "$VARD"; do
	mount -t tmpfs -o mode=0755,size=1m clearnet-it-view "$d" || fail "tmpfs on $d"
	mkdir -m 0755 "$d/svc" || fail "mkdir $d/svc"
done
SOCKS=("$SRV/svc/sock" "$RUND/svc/sock" "$VARD/svc/sock")
unix_listener host-services root "${SOCKS[@]}"
chmod 0666 "${SOCKS[@]}" || fail "chmod the service sockets"

install -m 0755 "$IT_DIR/sandbox-probe.py" "$SH/bin/probe" || fail "install the probe"
{
	# first: all that follows looks after the late directories were made on the host
	echo "wait=$SH/x/go"
	for s in "${SOCKS[@]}"; do echo "connect=$s"; done
	echo "write=/etc/clearnet-it-probe"
	echo "write=/usr/clearnet-it-probe"
	echo "write=/proc/sys/kernel/hostname"
	echo "list=$SRV"
	echo "list=$RUND"
	echo "list=$VARD"
	echo "list=/dev"
	echo "list=/run"
	echo "absent=$SRV/later"
	echo "absent=$RUND/later"
	echo "absent=$VARD/later"
	echo "absent=$SH/later"
	echo "absent=$SH/home/$U2"
} >"$SH/bin/probe.conf"
echo mine >"$SH/home/$UA/keep-marker" && chown "$UA:$UA" "$SH/home/$UA/keep-marker" || fail "marker in $UA's home"
PROBE=("$PYI" "$SH/bin/probe")

conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<EOF
root_maps_to = $U2

[app probe]
exec = $PYI $SH/bin/probe
user = $UA
callers = $U1

[app probe-keep]
exec = $PYI $SH/bin/probe
user = $UA
callers = $U1
home = keep

[app probe-nopid]
exec = $PYI $SH/bin/probe
user = $UA
callers = $U1
pid_namespace = no
EOF
nsd_start "$conf"

# probe OUT HOW USER [APP]: the probe outside (in the host namespace), as a command, as an
# app; it waits for $SH/x/go, which the test makes after the launch with the late dirs
probe_start() {
	local o=$1 how=$2 user=$3 app=${4:-}
	rm -f "$SH/x/go"
	(cd / && case $how in
	outside) as_in "$HOST" "$user" "${PROBE[@]}" ;;
	inside) as "$user" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" -- "${PROBE[@]}" ;;
	app) as "$user" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" --app "$app" ;;
	esac) </dev/null >"$o" 2>"$o.err" &
	PROBE_PID=$!
}
probe_end() {
	local o=$1 rc
	wait_until 100 grep -q '^pidfd_getfd=' "$o" || fail "probe $o did not start: $(head -c 400 "$o.err")"
	for d in "$SRV" "$RUND" "$VARD" "$SH"; do
		mkdir -p "$d/later" || fail "mkdir $d/later"
	done
	touch "$SH/x/go"
	wait "$PROBE_PID"
	rc=$?
	for d in "$SRV" "$RUND" "$VARD" "$SH"; do rmdir "$d/later"; done
	[ "$rc" -eq 0 ] || fail "probe $o: exit $rc: $(head -c 400 "$o.err")"
}
probe() { probe_start "$@"; probe_end "$1"; }

P=$T/probe
mkdir -p "$P"
probe "$P/outside" outside "$U1"
spare_ready() { pgrep -P "${NSD_PID[main]}" >/dev/null; }
probe "$P/u1" inside "$U1"          # from scratch (no spare made for cltest1 yet)
wait_until 100 spare_ready || fail "nsd made no launch ahead while idle"
probe "$P/u1-ahead" inside "$U1"    # the spare, made before the late directories
grep 'started pid' "${NSD_LOG[main]}" | tail -n 1 | grep -q "made ahead" || fail "the second command was not made ahead"
ok "the second command of $U1 was made ahead (its view was built before the late directories)"
probe "$P/root" inside root
probe "$P/app" app "$U1" probe
probe "$P/app-nopid" app "$U1" probe-nopid
probe "$P/app-keep" app "$U1" probe-keep
WHO=(u1 u1-ahead root app app-nopid app-keep)

# --- sockets of the host: answered outside, unreachable inside ---------------------------
for s in "${SOCKS[@]}"; do
	expect_pv "$P/outside" "connect:$s" "connected:$s" "harness: the host's socket $s answers outside"
	for w in "${WHO[@]}"; do
		got=$(pv "$P/$w" "connect:$s")
		[ "$got" = ENOENT ] || fail "$w: the host's socket $s from inside: '$got', expected ENOENT"
	done
	ok "the host's world-connectable socket $s is not in the view of any launch (${WHO[*]})"
done
for d in "$SRV" "$RUND" "$VARD"; do
	expect_pv "$P/outside" "list:$d" later,svc "harness: $d holds later and svc outside"
	for w in "${WHO[@]}"; do
		got=$(pv "$P/$w" "list:$d")
		[ "$got" = ENOENT ] || [ "$got" = - ] || fail "$w: $d inside lists '$got', expected nothing"
	done
	ok "$d is empty or absent in every launch's view"
done

# --- /dev and /run: what the view makes, nothing of the host's ---------------------------------
want_dev=fd,full,mqueue,null,ptmx,pts,random,shm,stderr,stdin,stdout,tty,urandom,zero
[ "$(pv "$P/outside" list:/dev)" != "$want_dev" ] || fail "harness: the host's /dev is as small as the view's"
for w in "${WHO[@]}"; do
	expect_pv "$P/$w" list:/dev "$want_dev" "$w: /dev holds the six device nodes, a private devpts, shm, mqueue"
done
for w in u1 u1-ahead root; do
	expect_pv "$P/$w" list:/run - "$w: /run of a command is empty"
done
for w in app app-nopid app-keep; do
	expect_pv "$P/$w" list:/run user "$w: /run of an app holds only user/ (its runtime dir)"
done

# --- later directories -------------------------------------------------------------------
for d in "$SRV" "$RUND" "$VARD" "$SH"; do
	for w in "${WHO[@]}"; do
		expect_pv "$P/$w" "waited:$SH/x/go" yes "$w: harness: the go marker made after the launch shows inside (bind = $SH/x)"
		got=$(pv "$P/$w" "exists:$d/later")
		[ "$got" = no ] || fail "$w: $d/later, made on the host after the launch, is inside"
	done
	expect_pv "$P/outside" "exists:$d/later" yes "harness: $d/later exists outside once made"
	ok "$d/later, made on the host after each launch (and after the spare), never appears inside"
done

# --- homes ---------------------------------------------------------------------------------
expect_pv "$P/outside" "exists:$SH/home/$U2" yes "harness: $U2's home exists outside"
for w in "${WHO[@]}"; do
	expect_pv "$P/$w" "exists:$SH/home/$U2" no "$w: another user's home ($U2's) is not in the view"
done
expect_pv "$P/u1" home_write ok "a command writes to its caller's own home"
[ -f "$SH/home/$U1/written-inside" ] || fail "what $U1's command wrote to its home is not in the real home"
ok "... which is the real home, read-write"
expect_pv "$P/app-keep" list:home keep-marker "an app with home = keep sees its user's real home"
expect_pv "$P/app" list:home - "an app with home = tmpfs sees an empty HOME"
[ "$(cd "$SH/x" && as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" -- pwd)" = "$SH/x" ] ||
	fail "a command started in a bind path ($SH/x) does not start there"
[ "$(cd "$SRV/svc" && as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" -- pwd)" = "$SH/home/$U1" ] ||
	fail "a command started outside its home and the bind paths ($SRV/svc) does not start in HOME"
ok "a command starts in its cwd when that is in a bind path, else in HOME"

# --- /sys of the clearnet namespace ---------------------------------------------------------
host_net=$(in_host unshare --mount --propagation private -- sh -c 'mount -t sysfs none /sys && ls /sys/class/net' | paste -sd,)
case ",$host_net," in *,br-up,*) ;; *) fail "harness: the host's uplink br-up is not in its /sys/class/net ($host_net)" ;; esac
for w in "${WHO[@]}"; do
	got=$(pv "$P/$w" list:/sys/class/net)
	case ",$got," in *,br-up,*) fail "$w: the host's uplink br-up is in /sys/class/net inside ($got)" ;; esac
	case ",$got," in *,"$NS_VETH",*) ;; *) fail "$w: /sys/class/net inside is not the clearnet namespace's ($got)" ;; esac
done
ok "/sys/class/net inside is the clearnet namespace's ($got), without the host's uplink br-up ($host_net)"

# --- writes, hostname ------------------------------------------------------------------------
[ "$(pv "$P/outside" write:/etc/clearnet-it-probe)" = EACCES ] || info "a normal user may write /etc outside?"
for w in "${WHO[@]}"; do
	for f in /etc/clearnet-it-probe /usr/clearnet-it-probe /proc/sys/kernel/hostname; do
		got=$(pv "$P/$w" "write:$f")
		[ -n "$got" ] && [ "$got" != ok ] || fail "$w: writing $f inside: '$got'"
	done
done
ok "writes to /etc, /usr and /proc/sys/kernel/hostname fail in every launch (root's: $(pv "$P/root" write:/etc/clearnet-it-probe), $(pv "$P/root" write:/usr/clearnet-it-probe), $(pv "$P/root" write:/proc/sys/kernel/hostname))"
[ ! -e /etc/clearnet-it-probe ] && [ ! -e /usr/clearnet-it-probe ] || fail "a probe file was written to the host's /etc or /usr"
[ "$(hostname)" = "$HOSTNAME_BEFORE" ] || fail "the hostname changed: '$(hostname)', was '$HOSTNAME_BEFORE'"
ok "the (test namespace's) hostname is unchanged: $HOSTNAME_BEFORE"
expect_pv "$P/root" hostname "$HOSTNAME_BEFORE" "root's command sees the host's hostname (in a UTS namespace of its own)"
# root may write where host root could, as itself: the positive control for the writes
expect_pv "$P/outside" write:/proc/sys/kernel/hostname EACCES "harness: a normal user cannot write the hostname outside"
out=$(sh -c 'echo "$(hostname)" >/proc/sys/kernel/hostname' 2>&1) || fail "harness: root outside cannot write /proc/sys/kernel/hostname: $out"
ok "harness: host root (here) can write /proc/sys/kernel/hostname"

# --- root: uid 0 inside, root_maps_to outside ----------------------------------------------
expect_pv "$P/root" Uid "0 0 0 0" "root's command is uid 0 inside"
[ "$(pv "$P/root" ns_user)" != "$(pv "$P/outside" ns_user)" ] || fail "root's command shares the host's user namespace"
ok "root's command has a user namespace of its own"
rm -f "$SH/x/root-made"
out=$(cd / && crun -- sh -c "id -u; touch $SH/x/root-made" 2>&1) || fail "root's command: $out"
[ "$out" = 0 ] || fail "id -u of root's command: '$out', expected 0"
owner=$(stat -c %u "$SH/x/root-made") || fail "root's command made no file"
[ "$owner" = "$U2_ID" ] || fail "what root's command made is owned by host uid $owner, expected $U2_ID (root_maps_to = $U2)"
ok "id -u of root's command prints 0, and what it makes is owned by host uid $owner ($U2, root_maps_to)"
# the same from the host's view of the running process
crun -- sh -c "touch $SH/x/root-pid; exec sleep 30" </dev/null >/dev/null 2>&1 &
crun_pid=$!
wait_until 100 test -e "$SH/x/root-pid" || fail "root's sleeping command did not start"
# (this test's own PID namespace: only its processes are seen)
host_pid=$(pgrep -x sleep | head -n 1)
[ -n "$host_pid" ] || fail "cannot find root's command on the host"
uid_line=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$host_pid/status")
kill "$host_pid" "$crun_pid" 2>/dev/null
wait "$crun_pid" 2>/dev/null
[ "$uid_line" = "$U2_ID $U2_ID $U2_ID $U2_ID" ] || fail "root's command is host uid '$uid_line', expected $U2_ID"
ok "root's running command is host uid $U2_ID ($uid_line)"

# --- the launch's init is out of its program's reach (review: root's init held a copy of
# the host's tree, and stayed dumpable after writing its uid_map) ---------------------------
init_probe='ls /proc/self/fd >/dev/null && echo self=ok; ls /proc/1/fd >/dev/null 2>&1 && echo fd=open || echo fd=refused; (exec 3</proc/1/mem) 2>/dev/null && echo mem=open || echo mem=refused'
for who in root "$U1"; do
	if [ "$who" = root ]; then out=$(cd / && crun -- sh -c "$init_probe" 2>&1)
	else out=$(cd / && crun_as "$who" -- sh -c "$init_probe" 2>&1); fi
	grep -qx self=ok <<<"$out" || fail "$who's command cannot list its own fds (the probe does not work): $out"
	grep -qx fd=refused <<<"$out" || fail "$who's command reads the fds of its launch's init: $out"
	grep -qx mem=refused <<<"$out" || fail "$who's command opens the memory of its launch's init: $out"
done
ok "neither root's nor $U1's command reaches its init's fds or memory (its own fds: listed)"

# --- seccomp: pidfd_getfd, kcmp ----------------------------------------------------------------
for k in pidfd_getfd kcmp; do
	out=$(pv "$P/outside" "$k")
	[ "$out" = ok ] || fail "harness: $k outside: '$out', expected ok"
	for w in "${WHO[@]}"; do
		expect_pv "$P/$w" "$k" EPERM "$w: $k is denied"
	done
done

# mount() with the flag nsd's own last mounts carry (MS_SILENT) is allowed by the filter a
# spare loads ahead: the filter every launch loads last must deny it all the same.
# (and open_tree() with the flags of nsd's own)
for k in mount_silent open_tree; do
	expect_pv "$P/outside" "$k" ok "harness: $k in a user namespace of one's own works outside"
	for w in "${WHO[@]}"; do
		expect_pv "$P/$w" "$k" EPERM "$w: $k in a user namespace of its own is denied"
	done
done

# --- the namespace's sysctls: out of root's reach, and repaired by SIGHUP -----------------------
ns_sysctl() { in_clear cat "/proc/sys/net/ipv4/$1"; }
[ "$(ns_sysctl ip_unprivileged_port_start)" = 1024 ] || fail "harness: ip_unprivileged_port_start inside is $(ns_sysctl ip_unprivileged_port_start)"
out=$(cd / && crun -- sh -c 'echo 0 >/proc/sys/net/ipv4/ip_unprivileged_port_start' 2>&1) &&
	fail "root's command could write ip_unprivileged_port_start of the shared namespace: $out"
[ "$(ns_sysctl ip_unprivileged_port_start)" = 1024 ] || fail "root's command changed ip_unprivileged_port_start"
ok "root's command cannot set a sysctl of the shared namespace ($out)"
in_clear sh -c 'echo 0 >/proc/sys/net/ipv4/ip_unprivileged_port_start && echo 1 >/proc/sys/net/ipv4/ip_forward' ||
	fail "harness: host root cannot set the namespace's sysctls"
nsd_signal main HUP
repaired() { [ "$(ns_sysctl ip_unprivileged_port_start)" = 1024 ] && [ "$(ns_sysctl ip_forward)" = 0 ]; }
wait_until 100 repaired || fail "after SIGHUP: ip_unprivileged_port_start $(ns_sysctl ip_unprivileged_port_start), ip_forward $(ns_sysctl ip_forward)"
ok "SIGHUP repairs the namespace's sysctls (ip_unprivileged_port_start 1024, ip_forward 0) that host root changed"

finish
