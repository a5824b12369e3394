#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Apps choose their namespace (issue 15): an app with namespace = tbb runs in tbb (it
# reaches the host's Tor port as 127.0.0.1:9050 and not the internet), one without runs in
# the clearnet namespace (it reaches the internet, not the Tor port); each sees its
# namespace's resolv.conf (tbb's names no server); `clearnet-run
# --status` lists the namespaces, their kind, exposed ports and the programs running in
# each (a caller's own by name, others' counted only; root sees all), and
# `--status NAME` for an app answers as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

topo_setup
services_start
tor_services_start
users_setup

# The probe: its network namespace, and what it reaches (one line each), into $SH/x/NAME.
cat >"$SH/bin/nsprobe" <<PROBE
#!/bin/sh
out=$SH/x/\$1
{
	echo "ns_net=\$(readlink /proc/self/ns/net | tr -dc 0-9)"
	echo "dns=\$(grep -c '^nameserver' /etc/resolv.conf)"
	if curl -sS --noproxy '*' --connect-timeout 2 --max-time 4 http://127.0.0.1:9050/ 2>/dev/null | grep -q "$TOR_MARKER"; then
		echo tor=yes; else echo tor=no; fi
	if curl -sS --noproxy '*' --connect-timeout 2 --max-time 4 http://198.51.100.7:8080/ 2>/dev/null | grep -q "$INET_MARKER"; then
		echo inet=yes; else echo inet=no; fi
} >"\$out.tmp" && mv "\$out.tmp" "\$out"
[ -z "\$2" ] || exec sleep "\$2"
PROBE
chmod 0755 "$SH/bin/nsprobe"


conf=$T/cfg/nsd.conf
run_conf "$conf"
tor_conf_append "$conf"
cat >>"$conf" <<EOF

[app tb]
exec = /bin/sh $SH/bin/nsprobe tb
user = $UA
callers = $U1
namespace = tbb

[app ub]
exec = /bin/sh $SH/bin/nsprobe ub
user = $UA
callers = $U1

[app tb-long]
exec = /bin/sh $SH/bin/nsprobe tb-long 60
user = $UA
callers = $U1 $U2
namespace = tbb
EOF
nsd_start "$conf"
cd "$SH/x" || fail "cd $SH/x"

tbb_ino=$(stat -L -c %i "$(clear_nsf tbb)")
clear_ino=$(stat -L -c %i "$(clear_nsf)")
[ "$tbb_ino" != "$clear_ino" ] || fail "tbb and clearnet are the same namespace"

expect_rc 0 "app tb (namespace = tbb) started by $U1" crun_as "$U1" --app tb
expect_pv "$SH/x/tb" ns_net "$tbb_ino" "app tb runs in the tbb network namespace"
expect_pv "$SH/x/tb" tor yes "app tb reaches the host's Tor port as 127.0.0.1:9050"
expect_pv "$SH/x/tb" inet no "app tb does not reach the internet"
expect_pv "$SH/x/tb" dns 0 "app tb's /etc/resolv.conf names no DNS server (tbb's)"
grep -q "^tcp 127.0.0.1:9050 $(tor_ns_addr tbb):" "$T/obs/tor.log" || fail "the stand-in Tor saw no connection from tbb"
ok "the stand-in Tor logged app tb's connection from $(tor_ns_addr tbb)"

expect_rc 0 "app ub (no namespace key) started by $U1" crun_as "$U1" --app ub
expect_pv "$SH/x/ub" ns_net "$clear_ino" "app ub runs in the clearnet namespace"
expect_pv "$SH/x/ub" inet yes "app ub reaches the internet (positive control)"
expect_pv "$SH/x/ub" tor no "app ub does not reach the host's Tor port"
expect_pv "$SH/x/ub" dns 1 "app ub's /etc/resolv.conf names the clearnet DNS server (positive control)"

# --- --status: the namespaces, and what runs where
# (its own process group, so that the whole launch can be ended: see below)
setsid setpriv --reuid="$U1" --regid="$U1" --init-groups --inh-caps=-all -- env -i PATH=/usr/bin:/bin \
	timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" --app tb-long >/dev/null 2>&1 &
long=$!
wait_file 100 "$SH/x/tb-long" || fail "app tb-long did not start"
expect_rc 0 "--status by $U1" crun_as "$U1" --status
want="namespace clearnet kind=internet expose=- running=0
namespace tbb kind=tor-ports expose=9050,951 running=1
namespace onioncircs kind=tor-ports expose=951 running=0
namespace tca kind=tor-ports expose=951 running=0
namespace onionshare kind=tor-ports expose=9050,951 running=0"
[ "$(grep '^namespace ' <<<"$OUT")" = "$want" ] || fail "--status namespaces: '$OUT', wanted '$want'"
ok "--status lists the five namespaces, their kinds, exposed ports and counts"
grep -qE "^program tbb pid=[0-9]+ uid=$U1_ID tb-long\$" <<<"$OUT" || fail "--status by $U1 does not list its app: '$OUT'"
[ "$(grep -c '^program ' <<<"$OUT")" = 1 ] || fail "--status by $U1: '$OUT'"
ok "--status by $U1 lists its own program in tbb"
expect_rc 0 "--status by $U2" crun_as "$U2" --status
grep -q "^namespace tbb kind=tor-ports expose=9050,951 running=1\$" <<<"$OUT" || fail "--status by $U2: '$OUT'"
! grep -q '^program ' <<<"$OUT" || fail "--status by $U2 shows another user's program: '$OUT'"
ok "--status by $U2 counts $U1's program but does not show it"
expect_rc 0 "--status by root" crun --status
grep -qE "^program tbb pid=[0-9]+ uid=$U1_ID tb-long\$" <<<"$OUT" || fail "--status by root: '$OUT'"
ok "--status by root lists every program"
expect_rc 0 "--status tb-long (an app, as before)" crun_as "$U1" --status tb-long
grep -q '^enabled=yes running=1 limit=1 ' <<<"$OUT" || fail "--status tb-long: '$OUT'"
ok "--status NAME still answers for the app: $OUT"
expect_refusal 125 "clearnet-run: --status takes no further arguments" "--status NAME extra" crun_as "$U1" --status tb-long extra
kill -TERM -- "-$long" 2>/dev/null || kill -TERM "$long"
wait "$long" 2>/dev/null
wait_until 100 sh -c "\"$CLEARNET_RUN\" --socket '$SOCKET' --status | grep -q '^namespace tbb .* running=0\$'" ||
	fail "tbb still counts a program after it ended"
ok "after the program ended, tbb counts none"

finish
