#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Limits per launch through cgroup v2 (issue 12): each launch runs in a cgroup of its own
# with pids.max = max_processes and memory.max = max_memory; a fork bomb in one launch
# stops at its own limit while another caller's launches (and a pipeline through
# clearnet-run) succeed; ending the bomb's launcher ends its whole tree (cgroup.kill) and
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
# Without a cgroup v2 to use, nsd refuses to start unless the config says limits = no.
refusing=$T/cfg/nsd-refusing.conf
if [ -z "$CG_TEST" ]; then
	sed '/^limits = no$/d' "$conf" >"$refusing"
else
	sed "s|^cgroup = .*|cgroup = $CG_TEST/no-such-cgroup|" "$conf" >"$refusing"
fi
nsd_run --config "$refusing"
[ "$NSD_RC" -ne 0 ] || fail "nsd started without a cgroup v2 to limit launches with"
grep -q 'cannot limit launches with cgroup v2: .*set \[daemon\] limits = no' "$T/logs/run.err" ||
	fail "nsd did not say why it would not start: $(cat "$T/logs/run.err")"
ok "without a cgroup v2 to use, nsd refuses to start: $(grep -m1 'cannot limit launches' "$T/logs/run.err")"
if [ -z "$CG_TEST" ]; then
	echo "SKIP: $IT_NAME: the rest needs a delegable cgroup v2: $CG_NOTE"
	exit 77
fi
grep -qw memory "$CG_TEST/cgroup.controllers" || { echo "SKIP: $IT_NAME: no memory controller in $CG_TEST"; exit 77; }
sed -i '/^\[run\]/a max_processes = 64\nmax_memory = 256M' "$conf"
nsd_start "$conf"
LAUNCHES=$CG_TEST/launches-$NS_NAME
[ -d "$LAUNCHES" ] || fail "nsd made no $LAUNCHES"
grep -q "^0::.*/$(basename "$CG_TEST")/nsd-$NS_NAME\$" "/proc/${NSD_PID[main]}/cgroup" ||
	fail "nsd is not in the leaf nsd-$NS_NAME of its cgroup: $(cat "/proc/${NSD_PID[main]}/cgroup")"
ok "nsd moved itself into $CG_TEST/nsd-$NS_NAME; launches go below $LAUNCHES"
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
as "$U1" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" -- "$SH/bin/bomb" >"$T/logs/bomb.out" 2>&1 &
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
[ "$(cat "$bomb_cg/memory.max")" = $((256 * 1024 * 1024)) ] || fail "the bomb's cgroup has memory.max $(cat "$bomb_cg/memory.max")"
[ "$(cat "$bomb_cg/pids.current")" -le 64 ] || fail "the bomb's cgroup holds $(cat "$bomb_cg/pids.current") processes"
ok "the fork bomb is held at pids.max 64 in $(basename "$bomb_cg") ($(cat "$bomb_cg/pids.current") processes, $(awk '$1 == "max" { print $2 }' "$bomb_cg/pids.events") forks refused)"
for i in 1 2 3; do
	honest_pipeline || fail "during the bomb, honest pipeline $i: '$(cat "$T/logs/pipeline.out")'"
	expect_rc 0 "during the bomb, a launch of root that forks 20 processes" crun -- sh -c 'for i in $(seq 20); do true & done; wait'
done
ok "during the bomb another caller's pipelines and launches succeed"
kill -TERM "$bomb"
wait_until 300 pid_gone "$bomb" || fail "the bomb's launcher did not end"
wait "$bomb" 2>/dev/null
wait_until 300 test ! -e "$bomb_cg" || fail "the bomb's cgroup was not removed ($(cat "$bomb_cg/pids.current" 2>/dev/null) processes left)"
ok "ending the bomb's launcher ended its tree and removed its cgroup"
fds_are() { [ "$(nsd_fds main)" -eq "$1" ]; }
wait_until 300 fds_are "$fds_idle" || fail "nsd has $(nsd_fds main) fds, $fds_idle idle"
ok "nsd's fd count is back to its idle value ($fds_idle)"

# without a PID namespace too: what a command leaves behind goes with its cgroup
sed -i 's/^pid_namespace = .*//; /^\[run\]/a pid_namespace = no' "$conf"
nsd_stop main
nsd_start "$conf"
expect_rc 0 "a command (no PID namespace) that leaves a daemon behind" crun -- sh -c 'setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $! >'"$SH/x/left"
wait_until 300 pid_gone "$(cat "$SH/x/left")" || fail "the process a command left behind (setsid) still runs"
launch_cgroups() { find "$LAUNCHES" -mindepth 1 -maxdepth 1 -type d; }
no_launch_cgroups() { [ -z "$(launch_cgroups)" ]; }
wait_until 300 no_launch_cgroups || fail "launch cgroups left: $(launch_cgroups)"
ok "without a PID namespace, the process a command left behind in a new session is ended with its cgroup"

cd / || fail "cd /"
finish
