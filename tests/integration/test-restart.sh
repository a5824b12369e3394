#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Idempotence: after kill -9 the leftovers stay safe, and a new start adopts them (the same
# namespace, so processes inside live on) and repairs what was changed meanwhile. SIGHUP
# repairs what drifted (veth deleted or renamed, table flushed or altered, sysctls,
# routes, addresses, the bind mount) and re-reads resolv_conf.
. "$(dirname "$0")/lib.sh"

topo_setup
services_start

conf=$T/cfg/nsd.conf
write_conf "$conf"
nsd_start "$conf"
C=$(clear_nsf)
HA=${HOST_ADDR%/*}
expect_reach
orig_host=$(host_table)
orig_clear=$(clear_table)
[ -n "$orig_host" ] && [ -n "$orig_clear" ] || fail "no nftables tables after start"
ns_ino=$(stat -L -c %i "$C")

# a long-lived process inside, like a browser that outlives an nsd restart
clear_listener
inside_pid=${BG_PID[clear-srv-$NS_NAME]}

quick_reach() {
	nsenter --net="$C" "${CURL_NO[@]}" http://198.51.100.7:8080/ 2>/dev/null | grep -qF "$INET_MARKER"
}

# shape: exactly one veth pair, the links inside, both tables as first made
expect_shape() {
	local what=$1 n links
	n=$(in_host ip -o link show type veth | grep -c -- " $HOST_VETH@")
	[ "$n" -eq 1 ] || fail "$what: $n links named $HOST_VETH on the host"
	links=$(in_clear ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')
	[ "$links" = "lo $NS_VETH " ] || fail "$what: links inside are '$links'"
	[ "$(host_table)" = "$orig_host" ] || fail "$what: host table differs: $(diff <(echo "$orig_host") <(host_table) | head -n 10)"
	[ "$(clear_table)" = "$orig_clear" ] || fail "$what: inside table differs"
	[ "$(in_host nft list tables | grep -c "inet $NFT_TABLE\$")" -eq 1 ] || fail "$what: not exactly one table inet $NFT_TABLE"
	[ "$(stat -L -c %i "$C")" = "$ns_ino" ] || fail "$what: the namespace at $C is a different one"
	[ "$(readlink "/proc/$inside_pid/ns/net")" = "net:[$ns_ino]" ] || fail "$what: the process inside is not in the namespace at $C"
	ok "$what: one veth pair, links lo+$NS_VETH, both tables as made, same namespace (the process inside lives on)"
}

isolated() {
	local what=$1
	expect_no_tcp "$C" http://192.0.2.1:8080/ "$what: host uplink address not reachable"
	expect_no_udp "$C" "$HA" 7 "$what: host veth address not reachable"
	expect_no_tcp "$HOST" "http://${NS_ADDR%/*}:9090/" "$what: no connection from the host into the namespace"
}

# hup DESC PREDICATE...: SIGHUP, then wait (bounded) until PREDICATE holds
hup() {
	local desc=$1
	shift
	nsd_signal main HUP
	wait_until 300 "$@" || fail "SIGHUP did not repair: $desc"
	# and the whole link is back, so that the next change does not race with this repair
	wait_until 300 ns_whole || fail "SIGHUP: $desc: the namespace did not come back whole"
	kill -0 "${NSD_PID[main]}" 2>/dev/null || fail "nsd died on SIGHUP ($desc)"
	ok "SIGHUP repaired: $desc"
}

# --- kill -9: the leftovers remain, and remain safe
nsd_kill9 main
findmnt -rn "$C" >/dev/null || fail "after kill -9: the namespace is no longer mounted"
in_host ip link show dev "$HOST_VETH" >/dev/null 2>&1 || fail "after kill -9: $HOST_VETH is gone"
[ -n "$(host_table)" ] || fail "after kill -9: the host table is gone"
[ -f "$STATE_DIR/$NS_NAME.state" ] || fail "after kill -9: no $STATE_DIR/$NS_NAME.state"
ok "after kill -9: namespace, veth, table and state file are left"
isolated "after kill -9"

# --- start again: adopts
nsd_start "$conf"
expect_shape "restart after kill -9"
expect_reach
isolated "restart after kill -9"

# --- kill -9, break things while nsd is down, start: repaired
nsd_kill9 main
in_host ip link del "$HOST_VETH" || fail "ip link del $HOST_VETH"
in_host nft flush table inet "$NFT_TABLE" || fail "nft flush"
in_clear nft delete table inet "$NFT_TABLE" || fail "nft delete inside"
in_host sysctl -qw net.ipv4.ip_forward=0
nsd_start "$conf"
expect_shape "restart after kill -9 and damage"
expect_reach
isolated "restart after kill -9 and damage"
[ "$(host_sysctl net.ipv4.ip_forward)" = 1 ] || fail "ip_forward not back to 1"

# --- SIGHUP repairs
in_host ip link del "$HOST_VETH" || fail "ip link del $HOST_VETH"
hup "host veth deleted" quick_reach
expect_shape "veth deleted"
isolated "veth deleted"

# (nsd frozen: the rename takes three steps, and the first, the link going down, is an
# event on the host veth that nsd would repair at once)
nsd_signal main STOP
in_clear ip link set "$NS_VETH" down && in_clear ip link set "$NS_VETH" name eth9 &&
	in_clear ip link set eth9 up || fail "rename $NS_VETH"
nsd_signal main CONT
hup "inner veth renamed" quick_reach
expect_shape "inner veth renamed"

in_host nft flush table inet "$NFT_TABLE" || fail "nft flush"
hup "host table flushed" sh -c "[ \"\$(nsenter --net=$HOST nft list table inet $NFT_TABLE | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/g')\" = '$orig_host' ]"
expect_shape "host table flushed"
isolated "host table flushed"

in_host nft insert rule inet "$NFT_TABLE" input accept || fail "nft insert"
hup "host table altered (accept rule inserted)" sh -c "[ \"\$(nsenter --net=$HOST nft list table inet $NFT_TABLE | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/g')\" = '$orig_host' ]"
isolated "host table altered"

in_host nft delete table inet "$NFT_TABLE" || fail "nft delete"
in_clear nft flush table inet "$NFT_TABLE" || fail "nft flush inside"
hup "host table deleted, inside table flushed" sh -c "[ -n \"\$(nsenter --net=$HOST nft list table inet $NFT_TABLE 2>/dev/null)\" ] &&
	nsenter --net=$C nft list chain inet $NFT_TABLE input 2>/dev/null | grep -q 'policy drop'"
expect_shape "tables deleted/flushed"
isolated "tables deleted/flushed"

in_host sysctl -qw net.ipv4.ip_forward=0 "net.ipv4.conf.$HOST_VETH.forwarding=0" "net.ipv6.conf.$HOST_VETH.disable_ipv6=0"
in_clear sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
	net.ipv6.conf.lo.disable_ipv6=0 "net.ipv6.conf.$NS_VETH.disable_ipv6=0"
sysctls_ok() {
	[ "$(host_sysctl net.ipv4.ip_forward)" = 1 ] &&
		[ "$(host_sysctl "net.ipv4.conf.$HOST_VETH.forwarding")" = 1 ] &&
		[ "$(host_sysctl "net.ipv6.conf.$HOST_VETH.disable_ipv6")" = 1 ] &&
		[ "$(clear_sysctl net.ipv6.conf.all.disable_ipv6)" = 1 ] &&
		[ "$(clear_sysctl net.ipv6.conf.default.disable_ipv6)" = 1 ] &&
		[ "$(clear_sysctl net.ipv6.conf.lo.disable_ipv6)" = 1 ] &&
		[ "$(clear_sysctl "net.ipv6.conf.$NS_VETH.disable_ipv6")" = 1 ]
}
hup "sysctls changed back (ip_forward, veth forwarding, IPv6 on both sides)" sysctls_ok
[ -z "$(in_clear ip -6 addr show)" ] || fail "IPv6 addresses left inside after the repair: $(in_clear ip -6 addr show)"
expect_reach

in_clear ip route del default || fail "ip route del default"
hup "default route inside deleted" quick_reach
in_clear ip route add 192.0.2.0/24 via "$HA" || fail "ip route add"
hup "extra route inside" sh -c "! nsenter --net=$C ip -4 route show | grep -q '^192.0.2.0/24'"
in_clear ip addr flush dev "$NS_VETH" || fail "ip addr flush"
hup "address inside flushed" quick_reach
in_host ip addr flush dev "$HOST_VETH" || fail "ip addr flush host"
hup "host veth address flushed" quick_reach
in_host ip link set "$HOST_VETH" down || fail "link down"
hup "host veth down" quick_reach
expect_shape "routes, addresses, link state"

# what `ip netns delete` does: detach the bind mount, remove the file
umount -l "$C" && rm -f "$C" || fail "umount $C"
hup "namespace unmounted and its file removed (ip netns delete)" findmnt -rn "$C"
expect_shape "namespace unmounted"
expect_reach

# --- resolv_conf: re-read on SIGHUP, copy kept in step; loopback servers never used
printf 'search example.test\nnameserver 127.0.0.53\nnameserver 198.51.100.53\n' >"$T/resolv.new"
mv "$T/resolv.new" "$RESOLV"
copy=$ETC_NETNS_DIR/$NS_NAME/resolv.conf
hup "resolv_conf replaced (rename)" grep -q '^nameserver 198.51.100.53' "$copy"
expect_dns_copy
grep -q '127\.0\.0\.53' "$copy" && fail "the loopback server 127.0.0.53 was copied into the namespace's resolv.conf"
ok "the loopback nameserver was not copied"
expect_dns_http
tail -n 5 "$T/logs/dnsmasq.log" | grep -q 'query\[A\] www.example.test' || fail "dnsmasq did not see the query"

printf 'nameserver 192.0.2.53\n' >"$RESOLV"   # rewritten in place
hup "resolv_conf rewritten in place" sh -c "! grep -q 198.51.100.53 '$copy' && grep -q '^nameserver 192.0.2.53' '$copy'"
expect_dns_copy
expect_dns_http

printf '# no lease yet\n' >"$RESOLV"
hup "resolv_conf without nameserver" sh -c "! grep -q '^nameserver' '$copy'"

rm -f "$RESOLV"
before_copy=$(cat "$copy")
nsd_signal main HUP
sleep 1
kill -0 "${NSD_PID[main]}" 2>/dev/null || fail "nsd exited when resolv_conf disappeared"
[ "$(cat "$copy")" = "$before_copy" ] || fail "the namespace's resolv.conf changed when resolv_conf disappeared"
ok "resolv_conf removed: nsd keeps running and keeps the previous servers"
printf 'nameserver 192.0.2.53\n' >"$RESOLV"
hup "resolv_conf back" grep -q '^nameserver 192.0.2.53' "$copy"
expect_reach
expect_shape "the end"

finish
