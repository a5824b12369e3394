#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Limits and bad input: an app with instances = 1 refuses a second start while the first
# runs and starts again after it ended; disabled, unknown and not-allowed apps are refused
# with their messages; --status reports enabled/running/limit; 64 launches at once all
# run together and succeed; with max_clients = 4, a fifth client gets "busy" at once
# while four run commands, and is served (an idle one dropped) while four send nothing.
# Malformed requests (nsdclient.py bad: oversize, truncated, unknown version, wrong fd
# counts, NULs, huge env, ...), clients
# that close mid-request and floods of connections each get an error or are dropped;
# nothing they ask for runs; afterwards nsd serves as before with as many fds open as
# before, and it logged the refusals, at most 10 lines a second with the rest counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

topo_setup
users_setup
cd "$SH/x" || fail "cd $SH/x"

# hold NAME: ($SH/bin/hold) creates $SH/x/NAME.ready, then waits (at most 60 s) for
# $SH/x/NAME.release; exits 0 when released, 1 when it gave up
cat >"$SH/bin/hold" <<EOF
#!/bin/sh
touch "$SH/x/\$1.ready"
n=0
while [ ! -e "$SH/x/\$1.release" ]; do
	n=\$((n + 1))
	[ \$n -le 600 ] || exit 1
	sleep 0.1
done
exit 0
EOF
chmod 0755 "$SH/bin/hold"
# the app's exec line takes no argument from the caller: a wrapper per app
printf '#!/bin/sh\nexec %s one\n' "$SH/bin/hold" >"$SH/bin/hold-one" && chmod 0755 "$SH/bin/hold-one"

conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<EOF

[app one]
exec = $SH/bin/hold-one
user = $UA
callers = $U1
instances = 1

[app off]
exec = /bin/true
user = $UA
callers = $U1
enabled = no

[app locked]
exec = /bin/true
user = $UA
callers = $U2
EOF
nsd_start "$conf"

# bg_launch USER ARGS...: clearnet-run ARGS as USER in the background; LPID is its pid
bg_launch() {
	local user=$1
	shift
	setpriv --reuid="$user" --regid="$user" --init-groups -- env -i PATH=/usr/bin:/bin LANG=C \
		"$CLEARNET_RUN" --socket "$SOCKET" "$@" </dev/null >>"$T/logs/bg-launch.out" 2>&1 &
	LPID=$!
}

# bg_status PID: wait (bounded) for a background launcher, its exit status
bg_status() {
	wait_until 300 pid_gone "$1" || fail "a launcher (pid $1) still runs after 30 s"
	wait "$1"
}

# expect_status APP "KEY=VALUE..." DESC: clearnet-run --status APP (as cltest1) prints one
# line holding each KEY=VALUE (it may hold more)
expect_status() {
	local app=$1 want=$2 desc=$3 w
	expect_rc 0 "$desc: --status $app" crun_as "$U1" --status "$app"
	[ "$(wc -l <<<"$OUT")" -eq 1 ] || fail "$desc: --status $app printed more than one line: $OUT"
	for w in $want; do
		[[ " $OUT " == *" $w "* ]] || fail "$desc: --status $app printed '$OUT', without $w"
	done
	ok "$desc: --status $app: $OUT"
}

# --- apps: instances, disabled, unknown, not allowed, --status ---------------------------------
expect_status one "enabled=yes running=0 limit=1" "before any start"
bg_launch "$U1" --app one
first=$LPID
wait_file 300 "$SH/x/one.ready" || fail "the first instance of app one did not start: $(cat "$T/logs/bg-launch.out")"
expect_status one "enabled=yes running=1 limit=1" "while the first instance runs"
expect_refusal 125 "clearnet-run: app 'one' is already running (at most 1 instance)" \
	"a second start of app one (instances = 1) while the first runs" crun_as "$U1" --app one
touch "$SH/x/one.release"
bg_status "$first" || fail "the first instance of app one exited $?"
ok "the first instance of app one ended with status 0"
expect_status one "enabled=yes running=0 limit=1" "after the first instance ended"
expect_rc 0 "app one once the first instance ended" crun_as "$U1" --app one
ok "app one starts again once the first instance ended"
expect_refusal 125 "clearnet-run: app 'off' is disabled" "the disabled app off" crun_as "$U1" --app off
expect_status off "enabled=no running=0 limit=1" "a disabled app"
expect_refusal 125 "clearnet-run: no such app 'nope'" "an unknown app" crun_as "$U1" --app nope
expect_refusal 125 "clearnet-run: not allowed: uid $U1_ID may not start app 'locked'" \
	"an app $U1 is not a caller of" crun_as "$U1" --app locked
expect_refusal 125 "clearnet-run: app 'one' takes no arguments" "arguments to an app with args = none" \
	crun_as "$U1" --app one --evil-option

# --- 64 launches at once ------------------------------------------------------------------------------
# Each creates its marker, then waits (bounded) until all 64 exist: it succeeds only if all
# 64 run at the same time.
mkdir -m 1777 "$SH/x/c64"
cat >"$SH/bin/together" <<EOF
#!/bin/sh
touch "$SH/x/c64/\$1"
n=0
while [ "\$(ls "$SH/x/c64" | wc -l)" -lt 64 ]; do
	n=\$((n + 1))
	[ \$n -le 600 ] || exit 1
	sleep 0.1
done
EOF
chmod 0755 "$SH/bin/together"
before=$(($(nsd_log_count 'started pid') + $(sed -nE 's/.* ([0-9]+) more launch line\(s\) not logged.*/\1/p' "${NSD_LOG[main]}" | awk '{ n += $1 } END { print n + 0 }')))
pids=()
for i in $(seq 64); do
	bg_launch "$U1" -- "$SH/bin/together" "$i"
	pids+=("$LPID")
done
good=0
for p in "${pids[@]}"; do
	bg_status "$p" && good=$((good + 1))
done
[ "$good" -eq 64 ] || fail "64 launches at once: $good succeeded ($(sort "$T/logs/bg-launch.out" | uniq -c | head -n 5))"
# (start lines are rate-limited: the rest are counted, within a second)
logged_starts() {
	local suppressed
	suppressed=$(sed -nE 's/.* ([0-9]+) more launch line\(s\) not logged.*/\1/p' "${NSD_LOG[main]}" | awk '{ n += $1 } END { print n + 0 }')
	[ "$(($(nsd_log_count 'started pid') + suppressed - before))" -eq 64 ]
}
wait_until 50 logged_starts || fail "nsd did not log (or count) 64 starts"
ok "64 launches at once all ran together and exited 0"

# --- bad input --------------------------------------------------------------------------------------
expect_rc 0 "a launch before the bad input" crun -- true
fds_before=$(nsd_fds main)
refused_before=$(nsd_log_count 'refused a request: bad request')
mkdir -m 1777 "$SH/x/bad"
nsclient bad "$SH/x/bad" >"$T/logs/bad.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/logs/bad.out"
[ "$rc" -eq 0 ] || fail "malformed requests: some got neither an error nor were dropped (see above)"
[ -z "$(ls -A "$SH/x/bad")" ] || fail "a malformed request ran its command: $(ls "$SH/x/bad" | tr '\n' ' ')"
ok "$(wc -l <"$T/logs/bad.out") malformed requests each got an error or were dropped, and none ran"
nsd_alive main || fail "nsd died of the malformed requests"
[ "$(($(nsd_log_count 'refused a request: bad request') - refused_before))" -ge 1 ] ||
	fail "nsd did not log the malformed requests"
ok "nsd logged the malformed requests ($(grep -m1 'refused a request: bad request' "${NSD_LOG[main]}"))"

# a launcher that closes the connection right after its request: the command it started
# (a 60-s sleep; STARTED gave its pid) is ended
out=$(nsclient run --close -- /bin/sleep 60) || fail "close mid-request: $out"
[[ $out =~ ^started\ ([0-9]+)$ ]] || fail "close mid-request: no STARTED reply: $out"
wait_until 300 pid_gone "${BASH_REMATCH[1]}" || fail "close mid-request: the command (pid ${BASH_REMATCH[1]}) still runs 30 s later"
ok "a client that closes right after its request: the command it started (pid ${BASH_REMATCH[1]}) is ended"

out=$(nsclient flood 200) || fail "flood: $out"
out2=$(nsclient flood 200 --sequential) || fail "flood: $out2"
ok "200 connections at once, then 200 one after the other, opened and closed"
expect_rc 0 "a launch after the bad input and the floods" crun_as "$U1" -- true
ok "nsd serves as before"
fds_are() { [ "$(nsd_fds main)" -eq "$1" ]; }
wait_until 300 fds_are "$fds_before" ||
	fail "nsd has $(nsd_fds main) fds open after the bad input, $fds_before before: $(ls -l "/proc/${NSD_PID[main]}/fd" | tail -n +2)"
ok "nsd has as many fds open as before the bad input ($fds_before)"

# --- refusals are logged, rate-limited, and counted ------------------------------------------------
# A refusal in a fresh one-second window reports what the last window did not log: after
# it, nothing is pending, and the count starts here.
sleep 1.2
expect_rc 125 "a refusal before the burst" crun_as "$U2" -- true
start_line=$(wc -l <"${NSD_LOG[main]}")
burst=$(nsclient burst 100 "$SH/x/bad") || fail "burst: $burst"
secs=$(awk '{print $6}' <<<"$burst")
sleep 1.2 # the next refusal opens a new one-second window, which reports the suppressed ones
expect_rc 125 "a refusal after the burst" crun_as "$U2" -- true
tail -n +"$((start_line + 1))" "${NSD_LOG[main]}" >"$T/logs/burst.log"
lines=$(grep -cE 'refused (a request|uid)' "$T/logs/burst.log")
suppressed=$(sed -nE 's/.* ([0-9]+) more refusal\(s\) not logged.*/\1/p' "$T/logs/burst.log" | awk '{ n += $1 } END { print n + 0 }')
[ "$((lines + suppressed))" -eq 101 ] ||
	fail "101 refusals, but $lines logged and $suppressed reported as not logged: $(head -n 3 "$T/logs/burst.log")"
max=$((10 * ($(printf '%.0f' "$secs") + 2)))
[ "$lines" -le "$max" ] || fail "$lines refusal lines for 101 refusals in $secs s: not rate-limited (at most $max)"
ok "101 refusals in $secs s ($burst): $lines lines logged, $suppressed counted as not logged"

# idle_open N NAME: N connections to nsd that send nothing, held until idle_close NAME;
# idle_close NAME: IDLE_STATE is then "open X closed Y" (how many nsd had not dropped yet).
IDLE_PID='' IDLE_STATE=''
idle_open() {
	rm -f "$T/$2.in" && mkfifo "$T/$2.in" || fail "mkfifo $T/$2.in"
	nsclient idle "$1" <"$T/$2.in" >"$T/logs/$2.out" 2>&1 &
	IDLE_PID=$!
	exec 7>"$T/$2.in"
	wait_until 300 grep -q ready "$T/logs/$2.out" || fail "the idle client did not connect: $(cat "$T/logs/$2.out")"
}
idle_close() {
	echo check >&7
	wait_until 300 grep -q '^open' "$T/logs/$1.out" || fail "the idle client did not answer"
	exec 7>&-
	wait "$IDLE_PID"
	IDLE_STATE=$(grep '^open' "$T/logs/$1.out")
}

# (A sent fd whose close() blocks, a lingering TCP socket in flight inside a Unix socket:
# test-hostile.sh, attack many-fds.)

# --- one user's idle connections cannot keep everyone else out --------------------------------------
# max_clients = 64: root holds 16 connections that send nothing; its 17th is told busy, while
# another user is still served. (Retried if nsd dropped them first on a very slow machine.)
for attempt in 1 2 3; do
	idle_open 16 hog
	run_capture crun -- true
	hog_rc=$RC hog_err=$ERR
	run_capture crun_as "$U1" -- true
	other_rc=$RC other_err=$ERR
	idle_close hog
	state=$IDLE_STATE
	[ "$state" = "open 16 closed 0" ] || { info "attempt $attempt: the idle connections were dropped first ($state)"; continue; }
	[ "$hog_rc" = 125 ] && [ "$hog_err" = "clearnet-run: busy: uid 0 already has 16 connections waiting" ] ||
		fail "a 17th connection of the user holding 16 idle ones: status $hog_rc, '$hog_err' (expected 125, busy)"
	[ "$other_rc" = 0 ] || fail "another user was not served while one user held 16 idle connections: $other_rc, '$other_err'"
	ok "a user holding 16 idle connections is told busy ('$hog_err'); another user is still served"
	break
done
[ "$state" = "open 16 closed 0" ] || fail "the idle connections were dropped before the checks, 3 times"

# --- max_clients = 4: the fifth client is told busy ------------------------------------------------
nsd_stop main
conf4=$T/cfg/nsd4.conf
run_conf "$conf4" 4
nsd_start "$conf4"
rm -f "$SH"/x/four-*
pids=()
for i in 1 2 3 4; do
	bg_launch "$U1" -- "$SH/bin/hold" "four-$i"
	pids+=("$LPID")
done
for i in 1 2 3 4; do
	wait_file 300 "$SH/x/four-$i.ready" || fail "launch $i of 4 did not start"
done
expect_refusal 125 "clearnet-run: busy: already serving 4 clients" "a fifth client while 4 launches run (max_clients = 4)" \
	crun_as "$U1" -- true
[ "$(nsd_log_count 'refused a connection: busy')" -ge 1 ] || fail "nsd did not log the busy refusal"
touch "$SH"/x/four-{1,2,3,4}.release
for p in "${pids[@]}"; do
	bg_status "$p" || fail "one of the 4 launches exited $?"
done
expect_rc 0 "a launch once the 4 ended" crun_as "$U1" -- true
ok "the 4 launches ended with status 0, and the next client is served"

# 4 connections that send nothing hold the 4 slots: a fifth client gets one, an idle
# connection is dropped to make room.
sleep 1.1   # a fresh second for the rate limit of refusal lines: the drop is logged
idle_open 4 idle
run_capture crun_as "$U1" -- true
idle_close idle
[ "$RC" = 0 ] || fail "a fifth client while 4 connections send nothing: status $RC, '$ERR' (expected 0)"
[ "$(nsd_log_count 'dropped an idle connection of uid 0 to make room')" -ge 1 ] || fail "nsd did not log the drop"
ok "a fifth client while 4 idle connections hold the slots is served: an idle one is dropped to make room"
expect_rc 0 "a launch after the idle clients left" crun_as "$U1" -- true
ok "nsd serves again once the idle clients are gone"

cd / || fail "cd /"
finish
