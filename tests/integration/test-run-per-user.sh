#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# per_user = yes (issue 15): each launching user gets a namespace of their own, made at
# their first launch from a /30 of the pool: two users' programs (the same app, run as the
# same app user) are in different namespaces, and a listener one opens on loopback or an
# abstract socket is not reachable by the other (but is by the same user's next program);
# each still reaches the host's Tor port; a user's namespace is gone after their last
# program ends; kill -9 + restart (or --teardown) removes what a killed run left; a stop
# leaves the host exactly as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

topo_setup
services_start
tor_services_start
users_setup

cat >"$SH/bin/userprobe" <<'PROBE'
import os, socket, sys, time
mode, x = sys.argv[1], sys.argv[2]
ns = "".join(c for c in os.readlink("/proc/self/ns/net") if c.isdigit())
if mode == "listen":
    t = socket.socket()
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", 7777))
    t.listen(8)
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.bind("\0clearnet-it-listener")
    u.listen(8)
    with open(x + "/listen.tmp", "w") as f:
        f.write("ns_net=%s\n" % ns)
    os.rename(x + "/listen.tmp", x + "/listen")
    time.sleep(120)
    sys.exit(0)
def reach(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(addr)
        return "yes"
    except OSError:
        return "no"
with open(x + "/connect.tmp", "w") as f:
    f.write("ns_net=%s\n" % ns)
    f.write("tcp=%s\n" % reach(socket.AF_INET, ("127.0.0.1", 7777)))
    f.write("abstract=%s\n" % reach(socket.AF_UNIX, "\0clearnet-it-listener"))
    f.write("tor=%s\n" % reach(socket.AF_INET, ("127.0.0.1", 9050)))
os.rename(x + "/connect.tmp", x + "/connect")
PROBE
chmod 0755 "$SH/bin/userprobe"

conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<EOF

[namespace tbbu]
kind = tor-ports
expose = 9050 951
per_user = yes
pool = 10.201.0.0/16

[app listen]
exec = $PYI $SH/bin/userprobe listen $SH/x
user = $UA
callers = $U1 $U2
instances = 0
namespace = tbbu

[app connect]
exec = $PYI $SH/bin/userprobe connect $SH/x
user = $UA
callers = $U1 $U2
instances = 0
namespace = tbbu
EOF
nsd_run --config "$conf" --check
[ "$NSD_RC" -eq 0 ] || fail "--check refused per_user: $(cat "$T/logs/run.err")"
snapshot "$T/snap-before"
nsd_start "$conf"
cd "$SH/x" || fail "cd $SH/x"
[ ! -e "$(clear_nsf tbbu_u$U1_ID)" ] && [ ! -e "$(clear_nsf tbbu)" ] || fail "a per-user namespace exists before any launch"
ok "no per-user namespace before the first launch"

# start_listener USER: the listener app of USER, in its own process group; LISTENER its pid
start_listener() {
	rm -f "$SH/x/listen"
	setsid setpriv --reuid="$1" --regid="$1" --init-groups --inh-caps=-all -- env -i PATH=/usr/bin:/bin \
		timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" --app listen >"$T/logs/listen.out" 2>&1 &
	LISTENER=$!
	wait_file 100 "$SH/x/listen" || fail "the listener of $1 did not start: $(cat "$T/logs/listen.out")"
}
stop_listener() {
	kill -TERM -- "-$LISTENER" 2>/dev/null || kill -TERM "$LISTENER" 2>/dev/null
	wait "$LISTENER" 2>/dev/null
}
# connect_as USER: the connect app of USER; its results in $SH/x/connect
connect_as() {
	rm -f "$SH/x/connect"
	expect_rc 0 "app connect started by $1" crun_as "$1" --app connect
	[ -s "$SH/x/connect" ] || fail "app connect of $1 wrote nothing"
}

start_listener "$U1"
u1_ns=$(pv "$SH/x/listen" ns_net)
[ "$(stat -L -c %i "$(clear_nsf "tbbu_u$U1_ID")")" = "$u1_ns" ] || fail "$U1's listener is not in netns_dir/tbbu_u$U1_ID"
in_host ip -4 -o addr show dev "vtbbu$U1_ID" | grep -q 'inet 10\.201\.0\.1/30 ' || fail "vtbbu$U1_ID lacks 10.201.0.1/30"
ok "$U1's first launch made tbbu_u$U1_ID (10.201.0.0/30 of the pool, veth vtbbu$U1_ID)"

connect_as "$U1"
expect_pv "$SH/x/connect" ns_net "$u1_ns" "$U1's second program is in $U1's namespace"
expect_pv "$SH/x/connect" tcp yes "$U1's second program reaches $U1's loopback listener (positive control)"
expect_pv "$SH/x/connect" abstract yes "$U1's second program reaches $U1's abstract socket (positive control)"
expect_pv "$SH/x/connect" tor yes "$U1's program reaches the host's Tor port"

connect_as "$U2"
u2_ns=$(pv "$SH/x/connect" ns_net)
[ "$u2_ns" != "$u1_ns" ] || fail "$U2's program is in $U1's namespace"
ok "$U2's program is in a namespace of its own ($u2_ns, not $u1_ns)"
expect_pv "$SH/x/connect" tcp no "$U2's program does not reach $U1's loopback listener"
expect_pv "$SH/x/connect" abstract no "$U2's program does not reach $U1's abstract socket"
expect_pv "$SH/x/connect" tor yes "$U2's program reaches the host's Tor port"
wait_until 100 sh -c "! test -e '$(clear_nsf "tbbu_u$U2_ID")'" || fail "tbbu_u$U2_ID still there after $U2's last program"
in_host ip link show "vtbbu$U2_ID" >/dev/null 2>&1 && fail "vtbbu$U2_ID still there after $U2's last program"
[ -z "$(host_table "clearnet_tbbu_u$U2_ID")" ] || fail "table clearnet_tbbu_u$U2_ID still there"
ok "tbbu_u$U2_ID (file, veth, table) is gone after $U2's last program ended"
grep -qE "namespace 'tbbu_u$U2_ID' .*is up" "${NSD_LOG[main]}" && grep -q "made it in [0-9]* ms" "${NSD_LOG[main]}" ||
	fail "nsd did not log the per-user bring-up"

expect_rc 0 "--status by $U1" crun_as "$U1" --status
grep -q "^namespace tbbu_u$U1_ID kind=tor-ports expose=9050,951 running=1\$" <<<"$OUT" || fail "--status: '$OUT'"
grep -qE "^program tbbu_u$U1_ID pid=[0-9]+ uid=$U1_ID listen\$" <<<"$OUT" || fail "--status: '$OUT'"
ok "--status shows $U1's own namespace and program"

stop_listener
wait_until 100 sh -c "! test -e '$(clear_nsf "tbbu_u$U1_ID")'" || fail "tbbu_u$U1_ID still there after $U1's last program"
ok "tbbu_u$U1_ID is gone after $U1's last program ended"

# --- kill -9 with a per-user namespace up: the restart removes it
start_listener "$U1"
nsd_kill9 main
stop_listener
[ -e "$(clear_nsf "tbbu_u$U1_ID")" ] || fail "kill -9 left no per-user namespace (the next check would prove nothing)"
nsd_start "$conf"
[ ! -e "$(clear_nsf "tbbu_u$U1_ID")" ] || fail "the restart left tbbu_u$U1_ID"
! in_host ip link show "vtbbu$U1_ID" >/dev/null 2>&1 || fail "the restart left vtbbu$U1_ID"
[ -z "$(host_table "clearnet_tbbu_u$U1_ID")" ] || fail "the restart left table clearnet_tbbu_u$U1_ID"
grep -q "removed the leftover namespace 'tbbu_u$U1_ID'" "${NSD_LOG[main]}" || fail "the removal is not logged"
ok "kill -9 + restart: the leftover per-user namespace is removed"
connect_as "$U2"
expect_pv "$SH/x/connect" tor yes "after the restart, $U2's new namespace reaches the Tor port"

# --- a stop with a per-user namespace up, then the host as before
start_listener "$U1"
nsd_stop main
stop_listener
snapshot "$T/snap-after"
expect_same_snapshot "$T/snap-before" "$T/snap-after" "a stop with a per-user namespace up leaves the host exactly as before"

# --- kill -9 with a per-user namespace up, then --teardown: the host as before
nsd_start "$conf"
start_listener "$U1"
nsd_kill9 main
stop_listener
[ -e "$(clear_nsf "tbbu_u$U1_ID")" ] || fail "kill -9 left no per-user namespace (the next check would prove nothing)"
nsd_run --config "$conf" --teardown
[ "$NSD_RC" -eq 0 ] || fail "--teardown: exit $NSD_RC: $(cat "$T/logs/run.err")"
snapshot "$T/snap-torn"
expect_same_snapshot "$T/snap-before" "$T/snap-torn" "kill -9 + --teardown with a per-user namespace up leaves the host exactly as before"

finish
