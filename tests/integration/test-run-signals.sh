#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Signals and lifetimes: the command starts with every signal at its default action;
# SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH sent to clearnet-run reach the command
# (a handler in the command sees each, and its exit status comes back), and a command
# that does not handle them dies of them (128+N); when clearnet-run is killed with
# SIGKILL, nsd ends the command and its process group: SIGTERM first, SIGKILL after the
# grace period for what ignores SIGTERM; a client that sends nothing is dropped (it sees
# EOF) while nsd goes on serving others.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

topo_setup
users_setup
conf=$T/cfg/nsd.conf
run_conf "$conf"
nsd_start "$conf"
cd "$SH/x" || fail "cd $SH/x"

# A command that reports each forwarded signal in DIR/got.NAME and exits 64+N on all but
# SIGWINCH; bounded: it gives up after 60 s.
cat >"$SH/bin/trap.py" <<'EOF'
import os, signal, sys, time
d = sys.argv[1]
def handler(signo, frame):
    name = signal.Signals(signo).name
    with open(os.path.join(d, "got." + name), "w") as f:
        f.write(name + "\n")
    if signo != signal.SIGWINCH:
        os._exit(64 + signo)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGWINCH):
    signal.signal(s, handler)
open(os.path.join(d, "ready"), "w").close()
end = time.monotonic() + 60
while time.monotonic() < end:
    time.sleep(0.05)
os._exit(99)
EOF

# launch DIR CMD...: start clearnet-run as cltest1 in the background (LPID), with default
# signal dispositions (a script's background job would ignore SIGINT and SIGQUIT); DIR is
# made for the command, which must create DIR/ready; wait (bounded) until it has
launch() {
	local d=$1
	shift
	rm -rf "$d" && install -d -o "$U1" -m 0755 "$d" || fail "mkdir $d"
	# not through a shell function: $! must be clearnet-run itself (setpriv and env exec it)
	setpriv --reuid="$U1" --regid="$U1" --init-groups -- env -i PATH=/usr/bin:/bin LANG=C \
		env --default-signal=INT,QUIT,TERM,HUP,WINCH "$CLEARNET_RUN" --socket "$SOCKET" -- "$@" \
		</dev/null >"$d.out" 2>"$d.err" &
	LPID=$!
	wait_file 300 "$d/ready" || fail "the launched command did not start: $(cat "$d.err")"
}

# launcher_status: wait for the launcher (LPID), bounded; LRC is its status
launcher_status() {
	wait_until 300 pid_gone "$LPID" || fail "clearnet-run still running 30 s after the command should have ended"
	wait "$LPID"
	LRC=$?
}

# --- the command's signal dispositions ------------------------------------------------------
expect_rc 0 "reading the command's signal state" crun_as "$U1" -- grep -E '^Sig(Ign|Blk):' /proc/self/status
want=$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')
[ "$OUT" = "$want" ] ||
	fail "the command does not start with default signal dispositions (it inherits nsd's): $(tr '\n\t' '  ' <<<"$OUT")"
ok "the command starts with no signal ignored or blocked"

# --- each forwarded signal reaches a command that handles it ------------------------------------
for sig in INT TERM HUP QUIT WINCH; do
	d=$SH/x/trap-$sig
	launch "$d" "$PYI" "$SH/bin/trap.py" "$d"
	kill "-$sig" "$LPID" || fail "cannot send SIG$sig to clearnet-run"
	wait_file 300 "$d/got.SIG$sig" || fail "SIG$sig sent to clearnet-run did not reach the command"
	if [ "$sig" = WINCH ]; then
		! pid_gone "$LPID" || fail "clearnet-run ended after SIGWINCH"
		kill -TERM "$LPID"
		want=$((64 + 15))
	else
		want=$((64 + $(kill -l "$sig")))
	fi
	launcher_status
	[ "$LRC" = "$want" ] || fail "after SIG$sig: clearnet-run exited $LRC, expected the command's $want ($(cat "$d.err"))"
	ok "SIG$sig sent to clearnet-run reaches the command, whose exit status $want comes back"
done

# --- a command that does not handle them dies of them ---------------------------------------------
for sig in INT TERM HUP QUIT; do
	d=$SH/x/default-$sig
	launch "$d" sh -c "ulimit -c 0; touch '$d/ready'; exec sleep 60"  # SIGQUIT: no core file
	kill "-$sig" "$LPID" || fail "cannot send SIG$sig to clearnet-run"
	launcher_status
	want=$((128 + $(kill -l "$sig")))
	[ "$LRC" = "$want" ] || fail "sleep sent SIG$sig through clearnet-run: status $LRC, expected $want ($(cat "$d.err"))"
	ok "a command killed by the forwarded SIG$sig: status $want"
done

# --- clearnet-run killed: nsd ends everything the command started --------------------------------
# The command runs in its own PID namespace, so its pids mean nothing here: its processes
# are found by a marker in their command lines. CMD writes DIR/ready; with ignore=1 the
# shell and its children ignore SIGTERM, else the shell records a SIGTERM in DIR/got.TERM.
# One child leaves the session (setsid), which a process-group kill would miss.
marked() { pgrep -f -- "$1" >/dev/null; }
orphan_case() {
	local d=$1 ignore=$2 desc=$3 before
	local marker="clearnet-it-orphan-$RANDOM$RANDOM"
	local script='
		if [ "$2" = 1 ]; then trap "" TERM; else trap "echo TERM >\"$1/got.TERM\"; exit 1" TERM; fi
		sh -c "sleep 60" "$0-child" &
		setsid sh -c "sleep 60" "$0-setsid" &
		touch "$1/ready"
		wait'
	launch "$d" sh -c "$script" "$marker" "$d" "$ignore"
	wait_until 100 marked "$marker-setsid" || fail "$desc: the launched commands are not running"
	before=$(nsd_log_count 'launcher of pid .* is gone')
	kill -KILL "$LPID"
	wait "$LPID" 2>/dev/null
	wait_until 300 eval "! marked '$marker'" ||
		fail "$desc: launched processes still run 30 s after clearnet-run was killed: $(pgrep -af -- "$marker")"
	[ "$(nsd_log_count 'launcher of pid .* is gone')" -gt "$before" ] || fail "$desc: nsd did not log that the launcher is gone"
	ok "$desc: the command, its child and the child that left its session are gone"
}
orphan_case "$SH/x/orphan" 0 "clearnet-run killed with SIGKILL"
[ -e "$SH/x/orphan/got.TERM" ] || fail "the command was not sent SIGTERM first"
ok "the command got SIGTERM first"
orphan_case "$SH/x/orphan-ignoring" 1 "clearnet-run killed with SIGKILL, the command ignoring SIGTERM"
expect_rc 0 "nsd still serves" crun -- true
ok "nsd still serves after its clients were killed"

# --- a client that sends nothing is dropped --------------------------------------------------------
nsclient wait-drop 60 >"$T/logs/idle.out" 2>&1 &
idle=$!
wait_until 300 grep -q '^connected' "$T/logs/idle.out" || fail "the idle client did not connect: $(cat "$T/logs/idle.out")"
# This launch leaves nsd to make the next one ahead while the idle client is connected: that
# child must not keep the client's connection open after nsd drops it.
expect_rc 0 "a launch while an idle client waits" crun_as "$U1" -- true
ok "nsd serves others while a client sends nothing"
wait "$idle" || fail "the idle client failed: $(cat "$T/logs/idle.out")"
grep -q '^eof ' "$T/logs/idle.out" || fail "a client that sent nothing was not dropped: $(cat "$T/logs/idle.out")"
[ "$(nsd_log_count 'dropped a client that sent no request')" -ge 1 ] || fail "nsd did not log dropping the idle client"
ok "a client that sends nothing is dropped (it sees EOF after $(sed -n 's/^eof //p' "$T/logs/idle.out") s), and nsd logs it"
expect_rc 0 "nsd still serves after dropping a client" crun_as "$U1" -- true
ok "nsd still serves after dropping the idle client"

# --- without a PID namespace ([run] pid_namespace = no) --------------------------------------------
# The process nsd forks is then the command itself: the same relaying and statuses from it,
# and a killed launcher ends the command's process group. (A child that left the session is
# out of that kill's reach: that is what the PID namespace, the default, is for.)
nsd_stop main
conf_nopid=$T/cfg/nsd-nopid.conf
run_conf "$conf_nopid"
sed -i '/^\[run\]/a pid_namespace = no' "$conf_nopid"
nsd_start "$conf_nopid"
expect_rc 0 "reading the command's PID namespace" crun_as "$U1" -- readlink /proc/self/ns/pid
[ "$OUT" = "$(readlink /proc/self/ns/pid)" ] || fail "with pid_namespace = no the command has a PID namespace of its own: $OUT"
ok "pid_namespace = no: the command shares nsd's PID namespace"
expect_rc 3 "pid_namespace = no: a command's own status" crun_as "$U1" -- sh -c 'exit 3'
expect_rc 127 "pid_namespace = no: a command that does not exist" crun_as "$U1" -- /nonexistent/command
ok "pid_namespace = no: statuses 3 and 127 come back"
for sig in INT TERM; do
	d=$SH/x/nopid-trap-$sig
	launch "$d" "$PYI" "$SH/bin/trap.py" "$d"
	kill "-$sig" "$LPID" || fail "cannot send SIG$sig to clearnet-run"
	wait_file 300 "$d/got.SIG$sig" || fail "pid_namespace = no: SIG$sig sent to clearnet-run did not reach the command"
	launcher_status
	want=$((64 + $(kill -l "$sig")))
	[ "$LRC" = "$want" ] || fail "pid_namespace = no, after SIG$sig: clearnet-run exited $LRC, expected $want"
	d=$SH/x/nopid-default-$sig
	launch "$d" sh -c "touch '$d/ready'; exec sleep 60"
	kill "-$sig" "$LPID" || fail "cannot send SIG$sig to clearnet-run"
	launcher_status
	want=$((128 + $(kill -l "$sig")))
	[ "$LRC" = "$want" ] || fail "pid_namespace = no, sleep sent SIG$sig: status $LRC, expected $want"
	ok "pid_namespace = no: SIG$sig reaches the command (status $((64 + $(kill -l "$sig"))) from its handler, $want without one)"
done
marker="clearnet-it-nopid-$RANDOM$RANDOM"
d=$SH/x/nopid-orphan
launch "$d" sh -c 'trap "echo TERM >\"$1/got.TERM\"; exit 1" TERM
	sh -c "sleep 60" "$0-child" &
	setsid sh -c "sleep 60" "$0-setsid" &
	touch "$1/ready"
	wait' "$marker" "$d"
wait_until 100 marked "$marker-setsid" || fail "pid_namespace = no: the launched commands are not running"
kill -KILL "$LPID"
wait "$LPID" 2>/dev/null
wait_until 300 eval "! marked '$marker-child'" ||
	fail "pid_namespace = no: the command's process group still runs 30 s after clearnet-run was killed"
[ -e "$d/got.TERM" ] || fail "pid_namespace = no: the command was not sent SIGTERM first"
pkill -KILL -f -- "$marker-setsid"
ok "pid_namespace = no: clearnet-run killed ends the command and its process group (SIGTERM first)"

cd / || fail "cd /"
finish
