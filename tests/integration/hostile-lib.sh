# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile callers for test-hostile.sh and bench/hostile (after lib.sh and launch-lib.sh):
# the config, the attacks of hostile.py in the host namespace, and the honest probe.
HOSTILE=$IT_DIR/hostile.py

# hostile_conf FILE [MAX_CLIENTS]: run_conf plus an app for cltest2 (so it may connect,
# and is refused commands) and an app for cltest1 that takes its runtime dir
hostile_conf() {
	run_conf "$@"
	cat >>"$1" <<EOF2

[app locked]
exec = /bin/true
user = $UA
callers = $U2

[app rt]
exec = /bin/true
user = $UA
callers = $U1
sockets = wayland
instances = 0
EOF2
}

# honest_pipeline: `clearnet-run -- echo hi | cat` as root, bounded (60 s, far above a
# launch's milliseconds: only a bound on the wait), prints hi
# (SIGKILL to the whole pipeline: clearnet-run relays a SIGTERM rather than die of it; and
# its output to a file, not a pipe a leftover writer could hold open)
honest_pipeline() {
	timeout -s KILL 60 bash -c '"$1" --socket "$2" -- echo hi | cat' sh "$CLEARNET_RUN" "$SOCKET" \
		</dev/null >"$T/logs/pipeline.out" 2>&1
	[ "$(cat "$T/logs/pipeline.out")" = hi ]
}

# honest_launch: clearnet-run -- true as cltest1, bounded the same way
honest_launch() { as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" -- true </dev/null >/dev/null 2>&1; }

# attack NAME UID HOSTILE-ARGS...: start hostile.py in the host namespace as UID, wait
# (bounded) until it is under way; attack_end NAME stops it
declare -A ATTACK_PID=()
attack() {
	local name=$1 uid=$2
	shift 2
	rm -f "$T/$name.in" && mkfifo "$T/$name.in" || fail "mkfifo"
	in_host setpriv --reuid="$uid" --regid="$uid" --clear-groups -- env -i PATH=/usr/bin:/bin \
		"$PYI" "$HOSTILE" --socket "$SOCKET" "$@" <"$T/$name.in" >"$T/logs/$name.out" 2>&1 &
	ATTACK_PID[$name]=$!
	eval "exec {ATTACK_FD_${name//-/_}}>\"\$T/\$name.in\""
	wait_until 600 grep -q ready "$T/logs/$name.out" || fail "attack $name did not get under way: $(cat "$T/logs/$name.out")"
	info "attack $name: $(grep -m1 ready "$T/logs/$name.out")"
}
attack_end() {
	local name=$1 fd_var="ATTACK_FD_${1//-/_}" pid
	eval "exec ${!fd_var}>&-"
	# (a process started since may hold the fifo too: the attacker's own pid, from "ready PID")
	pid=$(awk '$1 == "ready" && $2 ~ /^[0-9]+$/ { print $2; exit }' "$T/logs/$name.out")
	wait_until 20 pid_gone "${pid:-${ATTACK_PID[$name]}}" || kill "${pid:-${ATTACK_PID[$name]}}" 2>/dev/null
	wait_until 100 pid_gone "${ATTACK_PID[$name]}" || kill "${ATTACK_PID[$name]}"
	wait "${ATTACK_PID[$name]}" 2>/dev/null
}

# idle_attack NAME UID N: N connections as UID that send nothing (nsdclient.py idle)
idle_attack() {
	local name=$1 uid=$2 n=$3
	rm -f "$T/$name.in" && mkfifo "$T/$name.in" || fail "mkfifo"
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- env -i PATH=/usr/bin:/bin \
		"$PYI" "$NSDCLIENT" --socket "$SOCKET" idle "$n" <"$T/$name.in" >"$T/logs/$name.out" 2>&1 &
	ATTACK_PID[$name]=$!
	eval "exec {ATTACK_FD_${name//-/_}}>\"\$T/\$name.in\""
	wait_until 300 grep -q ready "$T/logs/$name.out" || fail "idle client $name did not connect: $(cat "$T/logs/$name.out")"
}

# fuse_attack: /run/user (a tmpfs of this mount namespace) with cltest1's runtime dir a
# FUSE mount that never answers, and a launch of app rt of cltest1 that takes it;
# fuse_attack_end: the FUSE server goes, and that launch ends
fuse_attack() {
	mountpoint -q /run/user || mount -t tmpfs -o mode=0755 tmpfs /run/user || fail "tmpfs on /run/user"
	mkdir -p -m 0700 "/run/user/$U1_ID" && chown "$U1_ID:$U1_ID" "/run/user/$U1_ID" || fail "mkdir /run/user/$U1_ID"
	attack fuse 0 fuse "/run/user/$U1_ID" "$U1_ID"
	as "$U1" env XDG_RUNTIME_DIR="/run/user/$U1_ID" WAYLAND_DISPLAY=wayland-0 \
		timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" --app rt >"$T/logs/fuse-launch.out" 2>&1 &
	FUSE_LAUNCH=$!
}
fuse_attack_end() {
	attack_end fuse
	umount -l "/run/user/$U1_ID" 2>/dev/null
	wait_until 300 pid_gone "$FUSE_LAUNCH" ||
		fail "the launch with the FUSE runtime dir did not end: $(ps -eo pid,ppid,stat,wchan:30,args | tail -n +2 | grep -v ' ps -eo')"
	wait "$FUSE_LAUNCH" 2>/dev/null
}
