#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile callers (issue 12): during each attack every honest launch succeeds and a
# pipeline through clearnet-run (`clearnet-run -- echo hi | cat`) ends, and afterwards nsd
# has as many fds open as before. The attacks (tests/integration/hostile.py; the
# black-holed peers are on the loopback of the test's own host namespace):
#   many-fds      requests with 26 fds: 24 of /dev/null, a TCP socket with SO_LINGER
#                 {1, 3600} and unsent data to a peer that never reads, and a Unix
#                 socket holding another such socket in flight
#   linger-stdio  66 refused requests, each with three such sockets as stdio
#   slots         32 idle connections each from nobody (a uid with no right to
#                 anything: refused at connect) and from one allowed uid, with 16 slots
#   fuse          an app request whose caller's runtime dir is a FUSE mount whose
#                 server never answers
# Then the logs: an argv[0] with a newline cannot forge a line; launch lines are
# rate-limited and the rest counted; a burst of refusals is counted by the timer,
# without a later refusal. Last, a pid file that cannot be written fails the start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

. "$(dirname "$0")/hostile-lib.sh"

topo_setup
users_setup
cd "$SH/x" || fail "cd $SH/x"

conf=$T/cfg/nsd.conf
hostile_conf "$conf"
nsd_start "$conf"

# honest_rounds DESC N: N honest pipelines as root and N launches as cltest1, all succeed
honest_rounds() {
	local desc=$1 n=$2 i
	for ((i = 1; i <= n; i++)); do
		honest_pipeline || fail "$desc: honest pipeline $i of $n did not end with 'hi'"
		honest_launch || fail "$desc: honest launch $i of $n as $U1 failed"
	done
	ok "$desc: $n honest pipelines (clearnet-run -- echo hi | cat) and $n launches as $U1 all succeeded"
}

# The fd count with nsd's spare launch (made ahead: it holds a few fds, among them the
# mount table it watches) in place, so that with and without it are not mixed up.
spare_ready() { find "/proc/${NSD_PID[main]}/fd" -mindepth 1 -maxdepth 1 -lname '*/mountinfo' | grep -q .; }
fds_are() { spare_ready && [ "$(nsd_fds main)" -eq "$1" ]; }
# idle_fds: nsd's fd count, idle, once settled (the same in two reads 0.5 s apart)
idle_fds() {
	local a b i
	wait_until 100 spare_ready || fail "nsd made no spare launch within 10 s"
	b=$(nsd_fds main)
	for i in $(seq 20); do
		sleep 0.5
		a=$b b=$(nsd_fds main)
		[ "$a" != "$b" ] || ! spare_ready || break
	done
	echo "$b"
}
# fds_back DESC: nsd's fd count returns (bounded) to what it was when idle
fds_back() {
	wait_until 300 fds_are "$fds_idle" ||
		fail "$1: nsd has $(nsd_fds main) fds open, $fds_idle when idle: $(ls -l "/proc/${NSD_PID[main]}/fd" | tail -n +2)"
	ok "$1: nsd's fd count is back to its idle value ($fds_idle)"
}

honest_rounds "before any attack" 2
fds_idle=$(idle_fds)

# --- 1: a request's fds beyond what it may carry, lingering sockets among them ---------------
attack many-fds 0 many-fds 2
honest_rounds "during requests of 26 fds with lingering sockets" 5
nsd_alive || fail "nsd died"
[ "$(nsd_log_count 'refused a request: bad request')" -ge 2 ] || fail "nsd did not refuse the requests of 26 fds"
# (while the attack holds its black-holed peers: no fd of nsd's may wait for them)
fds_back "after the requests of 26 fds, while their peers still never answer"
attack_end many-fds

# --- 2: refused requests with lingering sockets as stdio --------------------------------------
attack linger-stdio "$U2_ID" linger-stdio 66
honest_rounds "during 66 refused requests with lingering stdio" 5
fds_back "after the refused requests with lingering stdio, while their peers still never answer"
attack_end linger-stdio
[ "$(nsd_log_count 'fd closes are blocked|leaving fd')" -eq 0 ] || fail "nsd left fds open"

# --- 7: log lines -------------------------------------------------------------------------------
# An argv[0] with a newline: escaped, never a line of its own. (A fresh second first: the
# launch lines of the rounds above may have used up this one's.)
sleep 1.2
forged=$'/nonexistent\n<0>clearnet-nsd: ready: forged'
run_capture crun -- "$forged"
wait_until 100 grep -qF '\x0a<0>clearnet-nsd: ready: forged' "${NSD_LOG[main]}" ||
	fail "nsd did not log the escaped argv[0]: $(tail -n 3 "${NSD_LOG[main]}")"
! grep -qE '^(<0>)?clearnet-nsd: ready: forged|^<0>' "${NSD_LOG[main]}" || fail "an argv[0] forged a log line"
ok "an argv[0] with a newline is logged escaped ($(grep -m1 -oF '\x0a<0>clearnet-nsd: ready: forged' "${NSD_LOG[main]}")) and forges no line"

# A burst of refusals: the count of those not logged comes from the timer, with no later
# refusal to bring it.
sleep 1.2
start_line=$(wc -l <"${NSD_LOG[main]}")
burst=$(nsclient burst 40 "$SH/x") || fail "burst: $burst"
wait_until 50 sh -c "tail -n +$((start_line + 1)) '${NSD_LOG[main]}' | grep -q 'more refusal(s) not logged'" ||
	fail "40 refusals and then none: no count of those not logged within 5 s"
tail -n +"$((start_line + 1))" "${NSD_LOG[main]}" >"$T/logs/burst.log"
lines=$(grep -c 'refused a request' "$T/logs/burst.log")
suppressed=$(sed -nE 's/.* ([0-9]+) more refusal\(s\) not logged.*/\1/p' "$T/logs/burst.log" | awk '{ n += $1 } END { print n + 0 }')
[ "$((lines + suppressed))" -eq 40 ] || fail "40 refusals: $lines logged, $suppressed counted"
ok "40 refusals: $lines logged, $suppressed counted by the timer without a later refusal"

# Launch lines: 120 launches at once, at most 20 lines a second, the rest counted.
sleep 1.2
start_line=$(wc -l <"${NSD_LOG[main]}")
t0=$(date +%s%N)
pids=()
for i in $(seq 120); do
	as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" -- true &
	pids+=("$!")
done
good=0
for p in "${pids[@]}"; do wait "$p" && good=$((good + 1)); done
secs=$((($(date +%s%N) - t0 + 999999999) / 1000000000))
[ "$good" -eq 120 ] || fail "120 launches at once: $good succeeded"
count_launches() {
	tail -n +"$((start_line + 1))" "${NSD_LOG[main]}" >"$T/logs/launches.log"
	lines=$(grep -c 'started pid' "$T/logs/launches.log")
	suppressed=$(sed -nE 's/.* ([0-9]+) more launch line\(s\) not logged.*/\1/p' "$T/logs/launches.log" | awk '{ n += $1 } END { print n + 0 }')
	[ "$((lines + suppressed))" -eq 120 ]
}
wait_until 50 count_launches || fail "120 launches: $lines 'started pid' lines, $suppressed counted"
# (in that many seconds, at most secs + 1 windows of a second each)
[ "$lines" -le "$((20 * (secs + 1)))" ] || fail "120 launches in at most $secs s: $lines lines, not rate-limited"
[ "$((20 * (secs + 1)))" -lt 120 ] || info "note: the launches took $secs s: too slow here for the rate limit to show"
ok "120 launches in at most $secs s: $lines 'started pid' lines, $suppressed counted as not logged"

# --- 4: fair slots --------------------------------------------------------------------------
nsd_stop main
conf16=$T/cfg/nsd16.conf
hostile_conf "$conf16" 16
nsd_start "$conf16"
honest_rounds "with 16 slots, before the idle connections" 1
fds_idle=$(idle_fds)
idle_attack nobody 65534 32
idle_attack hog "$U2_ID" 32
# (a fresh second for the rate limit of refusal lines, so that the drop is logged)
sleep 1.1
honest_rounds "while nobody and $U2 hold 32 idle connections each (16 slots)" 1
[ "$(nsd_log_count "dropped an idle connection of uid $U2_ID")" -ge 1 ] || fail "nsd dropped no idle connection to make room"
honest_rounds "while nobody and $U2 hold 32 idle connections each (16 slots)" 4
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups -- "$PYI" "$NSDCLIENT" --socket "$SOCKET" wait-drop 10 | tail -n 1)
[[ $out == "reply error "*"not allowed: uid 65534 may use nothing clearnet-nsd offers" ]] ||
	fail "a connection of nobody was not refused at connect: $out"
[ "$(nsd_log_count 'refused a connection: not allowed: uid 65534 may use nothing')" -ge 1 ] ||
	fail "nsd did not log the refusal of nobody at connect"
[ "$(nsd_log_count 'dropped an idle connection of uid 65534')" -eq 0 ] || fail "nobody held a slot"
attack_end nobody
attack_end hog
ok "nobody is refused at connect; idle connections of $U2 are dropped to make room for honest callers"
fds_back "after the idle connections"
nsd_stop main
nsd_start "$conf"
honest_rounds "before the FUSE runtime dir" 1
fds_idle=$(idle_fds)

# --- 6: the caller's runtime dir on a FUSE mount that never answers ---------------------------
at_exit "umount -l /run/user/$U1_ID; umount -l /run/user"
fuse_attack
wait_until 300 sh -c "grep -q 'started pid.*app rt' '${NSD_LOG[main]}'" || fail "the app with the FUSE runtime dir did not start"
honest_rounds "while a launch's runtime dir is a FUSE mount that never answers" 3
fuse_attack_end
fds_back "after the FUSE runtime dir"

# --- 8: a pid file that cannot be written -------------------------------------------------------
nsd_stop main
mkdir -p "$STATE_DIR/$NS_NAME.pid" || fail "mkdir $STATE_DIR/$NS_NAME.pid"
nsd_run --config "$conf"
[ "$NSD_RC" -ne 0 ] || fail "nsd started although its pid file cannot be written"
grep -q "cannot write the pid file $STATE_DIR/$NS_NAME.pid" "$T/logs/run.out" "$T/logs/run.err" ||
	fail "nsd did not say why it failed: $(cat "$T/logs/run.err")"
! grep -q 'ready:' "$T/logs/run.out" "$T/logs/run.err" || fail "nsd said ready without its pid file"
ok "a pid file that cannot be written fails the start (status $NSD_RC): $(grep -h 'pid file' "$T/logs/run.err" "$T/logs/run.out" | head -n 1)"
rmdir "$STATE_DIR/$NS_NAME.pid"

cd / || fail "cd /"
finish
