#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Limits per launch through cgroups (issue 12): each launch runs in a cgroup of its own
# with pids.max = max_processes and memory.max = max_memory (on a hybrid host, where the
# pids controller is bound to cgroup v1: in the v1 pids hierarchy, and memory.limit_in_bytes
# in the v1 memory hierarchy; lib.sh's CG_KIND says which); a fork bomb in one launch
# stops at its own limit while another caller's launches (and a pipeline through
# clearnet-run) succeed; ending the bomb's launcher ends its whole tree (cgroup.kill; v1:
# SIGKILL to each process its cgroup.procs lists) and
# removes its cgroup; nsd's fd count returns to its idle value. nsd runs in a cgroup
# subtree this test creates and removes (lib.sh: cgroup_test_setup).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/hostile-lib.sh"

topo_setup
users_setup
cd "$SH/x" || fail "cd $SH/x"
conf=$T/cfg/nsd.conf
run_conf "$conf"
# Without a cgroup to use, nsd refuses to start unless the config says limits = no.
refusing=$T/cfg/nsd-refusing.conf
if [ -z "$CG_TEST" ]; then
	sed '/^limits = no$/d' "$conf" >"$refusing"
else
	sed "s|^cgroup\(_v1_pids\)\? = .*|cgroup\1 = $CG_TEST/no-such-cgroup|" "$conf" >"$refusing"
fi
nsd_run --config "$refusing"
[ "$NSD_RC" -ne 0 ] || fail "nsd started without a cgroup to limit launches with"
grep -q 'cannot limit launches with cgroups: .*set \[daemon\] limits = no' "$T/logs/run.err" ||
	fail "nsd did not say why it would not start: $(cat "$T/logs/run.err")"
ok "without a cgroup to use, nsd refuses to start: $(grep -m1 'cannot limit launches' "$T/logs/run.err")"
if [ -z "$CG_TEST" ]; then
	echo "SKIP: $IT_NAME: the rest needs a delegable cgroup v2 or a cgroup v1 pids hierarchy: $CG_NOTE"
	exit 77
fi
if [ "$CG_KIND" = v2 ]; then
	grep -qw memory "$CG_TEST/cgroup.controllers" || { echo "SKIP: $IT_NAME: no memory controller in $CG_TEST"; exit 77; }
	MEM_MAX=memory.max
else
	[ -n "$CG_TEST_MEM" ] || { echo "SKIP: $IT_NAME: no cgroup v1 memory hierarchy to create a cgroup in"; exit 77; }
	MEM_MAX=memory.limit_in_bytes
	# max_memory where cgroup v1 has no memory cgroup for it: refused, never unlimited
	sed -e "s|^cgroup_v1_memory = .*|cgroup_v1_memory = $CG_TEST_MEM/no-such-cgroup|" \
		-e '/^\[run\]/a max_memory = 256M' "$conf" >"$refusing"
	nsd_run --config "$refusing"
	[ "$NSD_RC" -ne 0 ] || fail "nsd started with max_memory and no cgroup v1 memory cgroup for it"
	grep -q 'cannot limit launches with cgroups: max_memory is set, but cgroup v1 has no memory limit' "$T/logs/run.err" ||
		fail "nsd did not say why it would not start: $(cat "$T/logs/run.err")"
	ok "max_memory without a v1 memory cgroup: nsd refuses to start: $(grep -m1 'cannot limit launches' "$T/logs/run.err")"
fi
sed -i '/^\[run\]/a max_processes = 64\nmax_memory = 256M' "$conf"
nsd_start "$conf"
LAUNCHES=$CG_TEST/launches-$NS_NAME
MEM_LAUNCHES=$CG_TEST_MEM/launches-$NS_NAME
[ -d "$LAUNCHES" ] || fail "nsd made no $LAUNCHES"
[ -d "$MEM_LAUNCHES" ] || fail "nsd made no $MEM_LAUNCHES"
if [ "$CG_KIND" = v2 ]; then
	grep -q "^0::.*/$(basename "$CG_TEST")/nsd-$NS_NAME\$" "/proc/${NSD_PID[main]}/cgroup" ||
		fail "nsd is not in the leaf nsd-$NS_NAME of its cgroup: $(cat "/proc/${NSD_PID[main]}/cgroup")"
	ok "nsd moved itself into $CG_TEST/nsd-$NS_NAME; launches go below $LAUNCHES"
else
	ok "cgroup v1 (hybrid host): launches go below $LAUNCHES (pids) and $MEM_LAUNCHES (memory)"
fi
expect_rc 0 "a launch before the bomb" crun -- true
fds_idle=$(nsd_fds main)

# the bomb: each process forks two more, down to a depth of 11 (at most 4094 without a
# limit: bounded even if the limit does not hold), then sleeps at most 60 s
cat >"$SH/bin/bomb" <<'SH'
#!/bin/sh
b() { [ "$1" -gt 0 ] && { b $(($1 - 1)) & b $(($1 - 1)) & }; sleep 60; }
b 11
SH
chmod 0755 "$SH/bin/bomb"
# (AS_EXEC: $! is clearnet-run itself, the launcher, not a subshell around it; the bomb
# ends by itself within 60 s, and the harness ends what is left at exit)
AS_EXEC=1 as "$U1" "$CLEARNET_RUN" --socket "$SOCKET" -- "$SH/bin/bomb" >"$T/logs/bomb.out" 2>&1 &
bomb=$!
bomb_cg=''
find_bomb() {
	local d
	for d in "$LAUNCHES"/*/; do
		[ -f "$d/pids.events" ] || continue
		if [ "$(awk '$1 == "max" { print $2 }' "$d/pids.events")" -gt 0 ]; then bomb_cg=${d%/}; return 0; fi
	done
	return 1
}
wait_until 300 find_bomb || fail "no launch cgroup in $LAUNCHES hit its pids.max (the bomb was not contained)"
[ "$(cat "$bomb_cg/pids.max")" = 64 ] || fail "the bomb's cgroup has pids.max $(cat "$bomb_cg/pids.max"), not 64"
bomb_mem=$MEM_LAUNCHES/$(basename "$bomb_cg")
[ "$(cat "$bomb_mem/$MEM_MAX")" = $((256 * 1024 * 1024)) ] || fail "the bomb's cgroup has $MEM_MAX '$(cat "$bomb_mem/$MEM_MAX")'"
bomb_procs=$(sort "$bomb_cg/cgroup.procs")
if [ "$CG_KIND" = v1 ]; then
	[ "$bomb_procs" = "$(sort "$bomb_mem/cgroup.procs")" ] || fail "the bomb's processes are not all in its memory cgroup"
fi
[ "$(cat "$bomb_cg/pids.current")" -le 64 ] || fail "the bomb's cgroup holds $(cat "$bomb_cg/pids.current") processes"
ok "the fork bomb is held at pids.max 64 in $(basename "$bomb_cg") ($(cat "$bomb_cg/pids.current") processes, $(awk '$1 == "max" { print $2 }' "$bomb_cg/pids.events") forks refused)"
for i in 1 2 3; do
	honest_pipeline || fail "during the bomb, honest pipeline $i: '$(cat "$T/logs/pipeline.out")'"
	expect_rc 0 "during the bomb, a launch of root that forks 20 processes" crun -- sh -c 'for i in $(seq 20); do true & done; wait'
done
ok "during the bomb another caller's pipelines and launches succeed"
# the launcher gone without a word (SIGKILL): nsd ends the tree itself
pid_gone "$bomb" && fail "the bomb's launcher (clearnet-run, pid $bomb) is not running"
# (in a block with stderr off: bash's own "Killed" job notice is noise here)
{ kill -KILL "$bomb"; wait "$bomb"; } 2>/dev/null
pid_gone "$bomb" || fail "the bomb's launcher did not end"
wait_until 300 test ! -e "$bomb_cg" || fail "the bomb's cgroup was not removed ($(cat "$bomb_cg/pids.current" 2>/dev/null) processes left)"
wait_until 300 test ! -e "$bomb_mem" || fail "the bomb's memory cgroup $bomb_mem was not removed"
for p in $bomb_procs; do
	pid_gone "$p" || fail "the bomb's process $p still runs"
done
ok "ending the bomb's launcher ended its tree and removed its cgroup"
fds_are() { [ "$(nsd_fds main)" -eq "$1" ]; }
wait_until 300 fds_are "$fds_idle" || fail "nsd has $(nsd_fds main) fds, $fds_idle idle"
ok "nsd's fd count is back to its idle value ($fds_idle)"

# without a PID namespace too: what a command leaves behind goes with its cgroup
sed -i 's/^pid_namespace = .*//; /^\[run\]/a pid_namespace = no' "$conf"
nsd_stop main
nsd_start "$conf"
# (the command waits, bounded, until what it leaves is in a session of its own: out of reach
# of the kill of the launch's process group, so only its cgroup can end it)
expect_rc 0 "a command (no PID namespace) that leaves a daemon behind" crun -- sh -c '
	setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $! >'"$SH/x/left"'
	for i in $(seq 50); do [ "$(cut -d" " -f6 /proc/$!/stat)" = $! ] && break; sleep 0.1; done
	cut -d" " -f6 /proc/$!/stat >'"$SH/x/left.sid"
[ "$(cat "$SH/x/left.sid")" = "$(cat "$SH/x/left")" ] ||
	fail "the process the command left ($(cat "$SH/x/left")) was not in a session of its own (session '$(cat "$SH/x/left.sid")')"
wait_until 300 pid_gone "$(cat "$SH/x/left")" || fail "the process a command left behind (setsid) still runs"
launch_cgroups() { find "$LAUNCHES" -mindepth 1 -maxdepth 1 -type d; }
no_launch_cgroups() { [ -z "$(launch_cgroups)" ]; }
wait_until 300 no_launch_cgroups || fail "launch cgroups left: $(launch_cgroups)"
ok "without a PID namespace, the process a command left behind in a new session is ended with its cgroup"

cd / || fail "cd /"
finish
