# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the launch tests (test-run-*.sh): clearnet-run, test users, a shared
# directory that a launched command can see, and a raw protocol client. Source it after
# lib.sh (which puts us in a private mount and PID namespace, as root):
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/launch-lib.sh"
#
# What it sets up when sourced (all in the test's private mount namespace, all gone with it):
#   $SH      a tmpfs mounted over an existing, empty-looking directory (/mnt, else /srv or
#            /media): $T is under /tmp, which a launched command never sees (private
#            /tmp), so everything a command must see or write lives here:
#              $SH/run   nsd's socket (SOCKET=$SH/run/nsd.sock; 0755, so test users can
#                        connect; nsd hides this directory inside)
#              $SH/home  the test users' home directories
#              $SH/bin   scripts the tests run inside (root-owned, 0755)
#              $SH/x     an exchange directory, 1777: marker files
#   test users, in copies of /etc/passwd and /etc/group bind-mounted over the originals:
#     cltest1   4101  may run commands ([run] users, see run_conf); also in group cltestgrp
#     cltest2   4102  may run nothing
#     clamnesia 4103  the apps' run-as user (like Tails' amnesia); also in group claudio
#   groups cltestgrp 4110 (cltest1), claudio 4111 (clamnesia)

CLEARNET_RUN=${CLEARNET_RUN:-$IT_DIR/../../build/launcher/clearnet-run}
[ -x "$CLEARNET_RUN" ] || fail "clearnet-run not found at $CLEARNET_RUN (build it, or set CLEARNET_RUN)"
# the tests change directory: absolute paths
CLEARNET_RUN=$(realpath "$CLEARNET_RUN")
[ ! -e "$CLEARNET_NSD" ] || CLEARNET_NSD=$(realpath "$CLEARNET_NSD")
command -v setpriv >/dev/null || fail "missing tool 'setpriv' (apt-get install util-linux)"

# The python that test users and launched commands run: the system's, not one under
# root's home (pyenv and the like), which they cannot read.
PYI=/usr/bin/python3
[ -x "$PYI" ] || PYI=$(command -v python3)

# ---------------------------------------------------------------------------------------
# More to do on exit, before lib.sh's cleanup (which keeps the test's exit status)

LAUNCH_AT_EXIT=()
at_exit() { LAUNCH_AT_EXIT+=("$1"); }
launch_cleanup() {
	local rc=$? c
	for c in "${LAUNCH_AT_EXIT[@]}"; do
		eval "$c" >/dev/null 2>&1
	done
	(exit "$rc")
	cleanup
}
trap launch_cleanup EXIT

# ---------------------------------------------------------------------------------------
# The shared directory

SH=
for d in /mnt /srv /media; do
	if [ -d "$d" ] && [ ! -L "$d" ]; then
		SH=$d
		break
	fi
done
[ -n "$SH" ] || fail "no directory to mount the shared tmpfs on (/mnt, /srv, /media)"
mount -t tmpfs -o mode=0755,size=32m clearnet-it-shared "$SH" || fail "cannot mount a tmpfs on $SH"
mkdir -p "$SH/run" "$SH/home" "$SH/bin" "$SH/x" || fail "mkdir in $SH"
chmod 0755 "$SH/run" "$SH/home" "$SH/bin"
chmod 1777 "$SH/x"
SOCKET=$SH/run/nsd.sock

# ---------------------------------------------------------------------------------------
# Test users

U1=cltest1 U1_ID=4101
U2=cltest2 U2_ID=4102
UA=clamnesia UA_ID=4103
G1=cltestgrp G1_ID=4110
GA=claudio GA_ID=4111

users_setup() {
	local u
	for u in "$U1_ID" "$U2_ID" "$UA_ID"; do
		! getent passwd "$u" >/dev/null || fail "uid $u already exists on this machine: pick other test uids"
	done
	for u in "$U1_ID" "$U2_ID" "$UA_ID" "$G1_ID" "$GA_ID"; do
		! getent group "$u" >/dev/null || fail "gid $u already exists on this machine: pick other test gids"
	done
	mkdir -p "$T/etc" || fail "mkdir $T/etc"
	cp /etc/passwd "$T/etc/passwd" && cp /etc/group "$T/etc/group" || fail "cannot copy /etc/passwd, /etc/group"
	cat >>"$T/etc/passwd" <<EOF
$U1:x:$U1_ID:$U1_ID:clearnet test user:$SH/home/$U1:/bin/sh
$U2:x:$U2_ID:$U2_ID:clearnet test user, not allowed:$SH/home/$U2:/bin/sh
$UA:x:$UA_ID:$UA_ID:clearnet test app user:$SH/home/$UA:/bin/sh
EOF
	cat >>"$T/etc/group" <<EOF
$U1:x:$U1_ID:
$U2:x:$U2_ID:
$UA:x:$UA_ID:
$G1:x:$G1_ID:$U1
$GA:x:$GA_ID:$UA
EOF
	mount --bind "$T/etc/passwd" /etc/passwd && mount --bind "$T/etc/group" /etc/group ||
		fail "cannot bind the passwd and group copies"
	[ "$(id -u "$U1" 2>/dev/null)" = "$U1_ID" ] || fail "test user $U1 not visible after the bind mount"
	for u in "$U1" "$U2" "$UA"; do
		mkdir -p "$SH/home/$u" && chown "$u:$u" "$SH/home/$u" && chmod 0700 "$SH/home/$u" ||
			fail "home of $u"
	done
	ok "test users $U1 ($U1_ID), $U2 ($U2_ID), $UA ($UA_ID) exist in this test's mount namespace"
}

# as USER CMD...: run CMD as USER (its uid, gid and supplementary groups from the group
# file), with a small clean environment, in the current directory
as() {
	local user=$1
	shift
	${AS_EXEC:+exec} setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all -- \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$SH/home/$user" USER="$user" LANG=C "$@"
}

# as_in NSFILE USER CMD...: the same, in the network namespace bound at NSFILE
as_in() {
	local nsf=$1 user=$2
	shift 2
	nsenter --net="$nsf" -- setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all -- \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$SH/home/$user" USER="$user" LANG=C "$@"
}

# ---------------------------------------------------------------------------------------
# The daemon's config with a [run] section; apps are appended by the test

# run_conf FILE [MAX_CLIENTS]: write_conf, our socket, [run] users = root cltest1
run_conf() {
	write_conf "$1"
	[ -z "${2:-}" ] || sed -i "/^\[daemon\]/a max_clients = $2" "$1"
	cat >>"$1" <<EOF

[run]
users = root $U1
groups =
EOF
}

# ---------------------------------------------------------------------------------------
# clearnet-run

# crun ARGS...: clearnet-run --socket $SOCKET ARGS... (bounded); output as is
crun() { timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" "$@"; }

# crun_as USER ARGS...: the same, as USER
crun_as() {
	local user=$1
	shift
	as "$user" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" "$@"
}

# run_capture CMD...: RC, OUT (stdout), ERR (stderr) of CMD (stdin from /dev/null)
RC='' OUT='' ERR=''
run_capture() {
	local o=$T/logs/capture.out e=$T/logs/capture.err
	"$@" </dev/null >"$o" 2>"$e"
	RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
}

# expect_rc WANT DESC CMD...: CMD exits with WANT; OUT, ERR as run_capture
expect_rc() {
	local want=$1 desc=$2
	shift 2
	run_capture "$@"
	[ "$RC" = "$want" ] ||
		fail "$desc: exit status $RC, expected $want (stdout: $(head -c 300 <<<"$OUT"); stderr: $(head -c 300 <<<"$ERR"))"
}

# expect_refusal WANT_RC WANT_STDERR DESC CMD...: CMD exits with WANT_RC, prints exactly
# the one line WANT_STDERR on stderr and nothing on stdout
expect_refusal() {
	local want=$1 line=$2 desc=$3
	shift 3
	expect_rc "$want" "$desc" "$@"
	[ "$ERR" = "$line" ] || fail "$desc: stderr is '$ERR', expected '$line'"
	[ -z "$OUT" ] || fail "$desc: unexpected stdout '$(head -c 200 <<<"$OUT")'"
	ok "$desc: status $want, '$line'"
}

# ---------------------------------------------------------------------------------------
# Waiting, processes, fds

# wait_file N FILE: bounded wait (N tenths of a second) for FILE to exist
wait_file() { wait_until "$1" test -e "$2"; }

# pid_gone PID: no such process, or only a zombie left
pid_gone() {
	local st
	[ -e "/proc/$1" ] || return 0
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# nsd_fds [TAG]: how many fds nsd has open
nsd_fds() { find "/proc/${NSD_PID[${1:-main}]}/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# nsd_alive [TAG]
nsd_alive() { kill -0 "${NSD_PID[${1:-main}]}" 2>/dev/null; }

# nsd_log_count PATTERN [TAG]: lines of nsd's log matching the extended regex PATTERN
nsd_log_count() { grep -cE -- "$1" "${NSD_LOG[${2:-main}]}"; }

# nsclient ARGS...: the raw protocol client (tests/integration/nsdclient.py)
NSDCLIENT=$IT_DIR/nsdclient.py
nsclient() { timeout -k 5 120 "$PYI" "$NSDCLIENT" --socket "$SOCKET" "$@"; }

# unix_listener NAME USER ADDR...: a background Unix stream listener (as USER, in the
# host namespace) on each ADDR, a path or @NAME for an abstract socket; it answers every
# connection with the ADDR it came in on and a newline. Waits (bounded) until all listen.
unix_listener() {
	local name=$1 user=$2
	shift 2
	bg "$name" "$HOST" setpriv --reuid="$user" --regid="$user" --init-groups -- "$PYI" -u -c '
import os, select, socket, sys
socks = {}
for a in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\0" + a[1:] if a.startswith("@") else a)
    s.listen(16)
    socks[s] = a
print("listening", flush=True)
while True:
    for s in select.select(list(socks), [], [], 60)[0]:
        c, _ = s.accept()
        c.sendall((socks[s] + "\n").encode())
        c.close()
' "$@"
	wait_until 100 grep -q listening "$T/logs/$name.out" || fail "unix listener $name did not start: $(cat "$T/logs/$name.out")"
}

# pv FILE KEY: the value of KEY in the probe output FILE (key=value lines; first match)
pv() { awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$1"; }

# expect_pv FILE KEY WANT DESC: KEY is WANT in the probe output FILE
expect_pv() {
	local got
	got=$(pv "$1" "$2")
	[ "$got" = "$3" ] || fail "$4: $2 is '$got', expected '$3'"
	ok "$4 ($2=$3)"
}

# ---------------------------------------------------------------------------------------
# The view

# A launch sees only what its policy binds in (clearnet.conf(5), "The view"): what the
# tests run lives in $SH/bin and the source and build trees, and commands leave markers in
# $SH/x. view_binds CONF gives [run] and every [app ...] of CONF these as bind_ro and bind,
# unless the section has a bind or bind_ro key of its own. nsd_spawn (and so nsd_start)
# does it to every config a launch test starts nsd with.
VIEW_RO=
for d in "${CLEARNET_SRCDIR:-}" "${CLEARNET_BUILDDIR:-}" "$(dirname "$CLEARNET_RUN")/.."; do
	[ -n "$d" ] && [ -d "$d" ] || continue
	d=$(realpath "$d")
	case "$VIEW_RO " in *" $d "*) ;; *) VIEW_RO="$VIEW_RO $d" ;; esac
done
view_binds() {
	local ro=$SH/bin d
	for d in "$SH"/*; do  # what a test put in $SH for launches to run ($SH/ub: the browser tests')
		case $d in "$SH/bin"|"$SH/x"|"$SH/run"|"$SH/home"|"$SH/xfb") ;; *) [ -d "$d" ] && ro="$ro $d" ;; esac
	done
	awk -v ro="bind_ro = $ro$VIEW_RO" -v rw="bind = $SH/x" '
		{ line[NR] = $0 }
		/^\[/ { sec = NR }
		/^[ \t]*bind(_ro)?[ \t]*=/ { own[sec] = 1 }
		END {
			for (i = 1; i <= NR; i++) {
				print line[i]
				if (line[i] ~ /^\[(run|app [^]]*)\]/ && !own[i]) { print ro; print rw }
			}
		}' "$1" >"$1.view" && mv "$1.view" "$1" || fail "cannot add the view binds to $1"
}
eval "launch_lib_$(declare -f nsd_spawn)"
nsd_spawn() {
	view_binds "$1"
	launch_lib_nsd_spawn "$@"
}
