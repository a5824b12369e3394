#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Teardown leaves the host exactly as it was before the first start: links, addresses,
# routes, rules, the whole nftables ruleset, the sysctls, the mounts and nsd's files.
# Checked after kill -9 + --teardown, after SIGTERM, after SIGINT, after a restart that
# adopted a killed run, and after keep_on_exit = yes + --teardown.
. "$(dirname "$0")/lib.sh"

topo_setup
services_start
conf=$T/cfg/nsd.conf
write_conf "$conf"
keepconf=$T/cfg/nsd-keep.conf
KEEP=yes write_conf "$keepconf"
C=$(clear_nsf)
# A hardened host ignores ICMP redirects. Turning ip_forward on and off again rewrites
# this sysctl as a side effect: teardown must put it back as it was.
in_host sysctl -qw net.ipv4.conf.all.accept_redirects=0 || fail "cannot set accept_redirects"

snapshot "$T/snap0"
info "snapshot before the first start: $(wc -l <"$T/snap0/link") link lines, ip_forward=$(host_sysctl net.ipv4.ip_forward), $(wc -l <"$T/snap0/nft") ruleset lines"

teardown_ok() {
	nsd_run --config "$1" --teardown
	[ "$NSD_RC" -eq 0 ] || fail "--teardown: exit $NSD_RC: $(cat "$T/logs/run.err")"
	ok "--teardown: exit 0"
}

# 1. kill -9, then --teardown
nsd_start "$conf"
expect_http "$C" http://198.51.100.7:8080/ "$INET_MARKER" "up"
nsd_kill9 main
teardown_ok "$conf"
snapshot "$T/snap1"
expect_same_snapshot "$T/snap0" "$T/snap1" "kill -9 + --teardown: host as before"
if [ -e "$SOCKET" ]; then
	info "note: the control socket $SOCKET of the killed run is left after --teardown (a start replaces it)"
fi

# 2. SIGTERM, with a process still inside the namespace
nsd_start "$conf"
expect_http "$C" http://198.51.100.7:8080/ "$INET_MARKER" "up"
clear_listener
inside=${BG_PID[clear-srv-$NS_NAME]}
nsd_stop main TERM
snapshot "$T/snap2"
expect_same_snapshot "$T/snap0" "$T/snap2" "SIGTERM: host as before"
[ ! -e "$SOCKET" ] || fail "SIGTERM: the control socket $SOCKET is left"
ok "SIGTERM: the control socket is removed"
links=$(nsenter --net="/proc/$inside/ns/net" ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
[ "$links" = "lo " ] || fail "after SIGTERM a process left inside still has links: $links"
out=$(nsenter --net="/proc/$inside/ns/net" "${CURL_NO[@]}" http://198.51.100.7:8080/ 2>&1) &&
	fail "after SIGTERM a process left inside still reaches inet: $out"
ok "after SIGTERM a process left inside has only lo and reaches nothing"
bg_stop "clear-srv-$NS_NAME"

# 3. SIGINT
nsd_start "$conf"
nsd_stop main INT
snapshot "$T/snap3"
expect_same_snapshot "$T/snap0" "$T/snap3" "SIGINT: host as before"

# 4. kill -9, start again (adopts; sees ip_forward=1 left by the killed run), SIGTERM:
#    the original ip_forward (0) comes back
nsd_start "$conf"
nsd_kill9 main
[ "$(host_sysctl net.ipv4.ip_forward)" = 1 ] || fail "ip_forward not 1 after kill -9"
nsd_start "$conf"
expect_http "$C" http://198.51.100.7:8080/ "$INET_MARKER" "adopted"
nsd_stop main TERM
snapshot "$T/snap4"
expect_same_snapshot "$T/snap0" "$T/snap4" "kill -9, restart, SIGTERM: host as before (ip_forward back to 0)"

# 5. keep_on_exit = yes: SIGTERM leaves everything working; --teardown removes it
nsd_start "$keepconf"
nsd_stop main TERM
findmnt -rn "$C" >/dev/null || fail "keep_on_exit: namespace not left mounted"
in_host ip link show dev "$HOST_VETH" >/dev/null 2>&1 || fail "keep_on_exit: $HOST_VETH removed"
[ -n "$(host_table)" ] || fail "keep_on_exit: host table removed"
expect_http "$C" http://198.51.100.7:8080/ "$INET_MARKER" "keep_on_exit: the namespace still reaches inet after nsd exited"
expect_no_tcp "$C" http://192.0.2.1:8080/ "keep_on_exit: and still does not reach the host"
teardown_ok "$keepconf"
snapshot "$T/snap5"
expect_same_snapshot "$T/snap0" "$T/snap5" "keep_on_exit + --teardown: host as before"

# 6. --teardown with nothing to remove
teardown_ok "$conf"
snapshot "$T/snap6"
expect_same_snapshot "$T/snap0" "$T/snap6" "--teardown with nothing left: host unchanged"

# 7. a host that already forwarded: ip_forward=1 stays 1
in_host sysctl -qw net.ipv4.ip_forward=1
snapshot "$T/snap7a"
nsd_start "$conf"
nsd_stop main TERM
snapshot "$T/snap7b"
expect_same_snapshot "$T/snap7a" "$T/snap7b" "host with ip_forward=1: SIGTERM leaves it 1, all else as before"
nsd_start "$conf"
nsd_kill9 main
teardown_ok "$conf"
snapshot "$T/snap7c"
expect_same_snapshot "$T/snap7a" "$T/snap7c" "host with ip_forward=1: kill -9 + --teardown leaves it 1"

finish
