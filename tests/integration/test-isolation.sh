#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the clearnet namespace must not reach: the host's loopback 127.0.0.0/8, the host's
# veth and uplink addresses, the host end of another namespace's veth and that namespace,
# IPv6 at all; also not after root inside rewrites routes, adds addresses, re-enables
# IPv6 and flushes the namespace's own firewall. Nothing gets in from the internet, the
# host or the sibling. The sibling's traffic is not forwarded because nsd enabled
# forwarding. Every negative check also asserts that no observer saw the traffic.
. "$(dirname "$0")/lib.sh"

topo_setup
topo_sibling
services_start

# The worst case for the host: it accepts 127.0.0.0/8 on any interface (route_localnet,
# e.g. set by container tooling), so only nsd's firewall keeps the namespace off loopback.
in_host sysctl -qw net.ipv4.conf.all.route_localnet=1 || fail "route_localnet"

# Before nsd: ip_forward is 0 and the sibling's traffic goes nowhere; with ip_forward=1
# and nothing else it would reach inet (so the check after nsd's start can fail).
[ "$(host_sysctl net.ipv4.ip_forward)" = 0 ] || fail "host ip_forward is not 0 before nsd"
in_host sysctl -qw net.ipv4.ip_forward=1
expect_seen "with ip_forward=1 and no nsd, the sibling's UDP reaches inet" \
	run_in "$SIB" "$PYTHON" "$NETSRV" udp 198.51.100.7 7 --timeout 1
in_host sysctl -qw net.ipv4.ip_forward=0

conf=$T/cfg/nsd.conf
write_conf "$conf"
nsd_start "$conf"
C=$(clear_nsf)
HA=${HOST_ADDR%/*}
NA=${NS_ADDR%/*}
clear_listener

not_reachable_from_inside() {
	local phase=$1 a
	for a in 127.0.0.1 127.0.0.2 127.1.2.3 "$HA" 192.0.2.1 10.99.0.1 10.99.0.2; do
		expect_no_tcp "$C" "http://$a:8080/" "$phase: no TCP from inside to $a"
		expect_no_udp "$C" "$a" 7 "$phase: no UDP from inside to $a"
	done
	for a in ::1 2001:db8::1 2001:db8::2 2001:db8:1::7; do
		expect_no_tcp "$C" "http://[$a]:8080/" "$phase: no TCP from inside to [$a]" -6
	done
	expect_no_udp "$C" 2001:db8::2 7 "$phase: no UDP from inside to [2001:db8::2]"
}

nothing_gets_in() {
	local phase=$1 from
	for from in "$HOST" "$INET" "$SIB"; do
		expect_no_tcp "$from" "http://$NA:9090/" "$phase: no TCP from $(basename "$from") into the namespace"
		expect_no_udp "$from" "$NA" 9007 "$phase: no UDP from $(basename "$from") into the namespace"
	done
}

sibling_not_forwarded() {
	local phase=$1
	expect_no_tcp "$SIB" http://198.51.100.7:8080/ "$phase: sibling's TCP not forwarded to inet"
	expect_no_udp "$SIB" 198.51.100.7 7 "$phase: sibling's UDP not forwarded to inet"
	expect_no_tcp "$SIB" http://192.0.2.80/ "$phase: sibling's TCP not forwarded to www"
}

no_spoofing() {
	local phase=$1 src
	for src in 10.200.1.99 203.0.113.5; do
		in_clear ip addr replace "$src/32" dev "$NS_VETH" || fail "cannot add $src inside"
		expect_no_tcp "$C" http://198.51.100.7:8080/ "$phase: no TCP to inet from spoofed source $src" --interface "$src"
		expect_no_udp "$C" 198.51.100.7 7 "$phase: no UDP to inet from spoofed source $src" --bind "$src"
		expect_no_udp "$C" 10.99.0.2 7 "$phase: no UDP to the sibling from spoofed source $src" --bind "$src"
		in_clear ip addr del "$src/32" dev "$NS_VETH"
	done
}

# --- phase 1: the namespace as nsd made it
expect_reach
not_reachable_from_inside "as made"
nothing_gets_in "as made"
sibling_not_forwarded "as made"
no_spoofing "as made"
[ "$(host_sysctl net.ipv4.ip_forward)" = 1 ] || fail "nsd did not turn ip_forward on (the sibling check is vacuous)"

# --- phase 2: root inside the namespace does its worst. nsd is frozen from here to the
# SIGHUP: it would put its table inside back at once, and later its host table too
# (test-fence-flush checks that); what is checked here is that the host side holds alone.
nsd_signal main STOP
c() { in_clear "$@" || fail "inside: $* failed"; }
c nft flush ruleset
c sysctl -qw net.ipv4.conf.all.route_localnet=1 "net.ipv4.conf.$NS_VETH.route_localnet=1"
c ip addr del 127.0.0.1/8 dev lo
c ip route replace 127.0.0.0/8 via "$HA" dev "$NS_VETH"
c ip route replace 192.0.2.1/32 via "$HA" dev "$NS_VETH"
c ip route replace 10.99.0.0/24 via "$HA" dev "$NS_VETH"
c sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
	net.ipv6.conf.lo.disable_ipv6=0 "net.ipv6.conf.$NS_VETH.disable_ipv6=0"
c ip -6 addr add 2001:db8:c1::2/64 dev "$NS_VETH" nodad
c ip -6 addr replace ::1/128 dev lo
host_mac=$(in_host ip -o link show dev "$HOST_VETH" | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
[ -n "$host_mac" ] || fail "cannot read the MAC address of $HOST_VETH"
c ip -6 neigh replace fe80::1 lladdr "$host_mac" dev "$NS_VETH" nud permanent
c ip -6 route replace default via fe80::1 dev "$NS_VETH"
c ip neigh replace 10.99.0.2 lladdr "$host_mac" dev "$NS_VETH" nud permanent
info "inside now: $(in_clear ip -4 route | tr '\n' ';') $(in_clear ip -6 route | tr '\n' ';')"
[ -z "$(in_clear nft list ruleset)" ] || fail "inside: nft flush ruleset left rules"
# the namespace still works: the negative checks below fail for the right reason
expect_http "$C" http://198.51.100.7:8080/ "$INET_MARKER" "root inside: the namespace still reaches inet"
not_reachable_from_inside "root inside"
nothing_gets_in "root inside"
sibling_not_forwarded "root inside"
no_spoofing "root inside"

# --- harness sanity: the phase-2 attacks are real; only nsd's host side stops them.
# Without nsd's host table (and with IPv6 on the host veth) they get through.
in_host nft flush table inet "$NFT_TABLE" || fail "flush host table"
in_host sysctl -qw "net.ipv6.conf.$HOST_VETH.disable_ipv6=0"
expect_seen "without nsd's table, UDP from inside reaches the host's 127.0.0.1" \
	in_clear "$PYTHON" "$NETSRV" udp 127.0.0.1 7 --timeout 1
expect_seen "without nsd's table, UDP from inside reaches the host's 10.99.0.1" \
	in_clear "$PYTHON" "$NETSRV" udp 10.99.0.1 7 --timeout 1
expect_seen "without nsd's table, UDP from inside reaches the sibling" \
	in_clear "$PYTHON" "$NETSRV" udp 10.99.0.2 7 --timeout 1
expect_seen "without nsd's table, spoofed UDP from inside reaches inet" \
	sh -c "nsenter --net='$C' ip addr add 10.200.1.99/32 dev '$NS_VETH' &&
		nsenter --net='$C' '$PYTHON' '$NETSRV' udp 198.51.100.7 7 --timeout 1 --bind 10.200.1.99;
		nsenter --net='$C' ip addr del 10.200.1.99/32 dev '$NS_VETH'"
wait_until 50 sh -c "nsenter --net='$C' ip -6 addr show dev '$NS_VETH' | grep -q fe80" || true
expect_seen "without nsd's table and with IPv6 on the host veth, IPv6 from inside reaches inet" \
	in_clear "$PYTHON" "$NETSRV" udp 2001:db8::2 7 --timeout 1
expect_seen "without nsd's table, the sibling's UDP is forwarded to inet" \
	run_in "$SIB" "$PYTHON" "$NETSRV" udp 198.51.100.7 7 --timeout 1

# --- SIGHUP: nsd puts its host side back, and everything above holds again
nsd_signal main CONT
nsd_signal main HUP
wait_until 300 sh -c "[ \"\$(nsenter --net=$HOST sysctl -n net.ipv6.conf.$HOST_VETH.disable_ipv6)\" = 1 ] &&
	nsenter --net=$HOST nft list chain inet $NFT_TABLE input | grep -q reject" ||
	fail "SIGHUP did not restore the host table and sysctls"
wait_until 300 ns_whole || fail "SIGHUP: the namespace did not come back whole"
ok "SIGHUP restored nsd's host table and IPv6 off on $HOST_VETH"
not_reachable_from_inside "after repair"
nothing_gets_in "after repair"
sibling_not_forwarded "after repair"

finish
