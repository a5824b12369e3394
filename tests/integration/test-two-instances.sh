#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two nsd instances side by side in one host (different names, veths, addresses, tables,
# sockets; one in the default netns_dir /run/netns, here our private tmpfs): both reach the
# internet, neither reaches the other, a SIGHUP of one leaves the other alone, stopping the
# first-started one leaves the second working, and after both stop the host is as before.
. "$(dirname "$0")/lib.sh"

topo_setup
services_start
snapshot "$T/snap0"

confA=$T/cfg/a.conf
write_conf "$confA"
confB=$T/cfg/b.conf
(
	NS_NAME=clearnet2 NETNS_DIR=/run/netns HOST_VETH=veth-clearnet2 NS_VETH=eth0
	HOST_ADDR=10.200.2.17/30 NS_ADDR=10.200.2.18/30 NFT_TABLE=clearnet2 SOCKET=$T/run/nsd2.sock
	write_conf "$confB"
)
A=$(clear_nsf clearnet)
B=/run/netns/clearnet2

nsd_start "$confA" a
nsd_start "$confB" b
[ "$(in_host nft list tables | grep -c -E '^table inet clearnet2?$')" -eq 2 ] || fail "not two tables: $(in_host nft list tables)"
ok "two tables on the host: $(in_host nft list tables | tr '\n' ' ')"

expect_reach clearnet
NETNS_DIR=/run/netns expect_reach clearnet2
ip netns list | grep -q '^clearnet2' || fail "ip netns list does not show clearnet2: $(ip netns list)"
out=$(ip netns exec clearnet2 "${CURL_OK[@]}" http://198.51.100.7:8080/ 2>&1)
grep -qF "$INET_MARKER" <<<"$out" || fail "ip netns exec clearnet2 curl: $out"
ok "ip netns list / ip netns exec work with the default netns_dir"

clear_listener clearnet
NETNS_DIR=/run/netns clear_listener clearnet2

neither_reaches_the_other() {
	local what=$1
	expect_no_tcp "$A" http://10.200.2.18:9090/ "$what: clearnet does not reach clearnet2's address"
	expect_no_udp "$A" 10.200.2.18 9007 "$what: clearnet: no UDP to clearnet2's address"
	expect_no_tcp "$A" http://10.200.2.17:8080/ "$what: clearnet does not reach clearnet2's host end"
	expect_no_tcp "$B" http://10.200.1.18:9090/ "$what: clearnet2 does not reach clearnet's address"
	expect_no_udp "$B" 10.200.1.18 9007 "$what: clearnet2: no UDP to clearnet's address"
	expect_no_tcp "$B" http://10.200.1.17:8080/ "$what: clearnet2 does not reach clearnet's host end"
}
neither_reaches_the_other "both up"

# root inside A points a route at B's subnet: still nothing (A frozen meanwhile: it would
# put its table inside back at once)
nsd_signal a STOP
run_in "$A" ip route replace 10.200.2.16/30 via 10.200.1.17 || fail "route inside A"
run_in "$A" nft flush ruleset || fail "flush inside A"
expect_no_tcp "$A" http://10.200.2.18:9090/ "root inside clearnet: still no way to clearnet2"
expect_no_udp "$A" 10.200.2.18 9007 "root inside clearnet: still no UDP to clearnet2"

# a SIGHUP of A repairs A and leaves B's table alone
tableB=$(host_table clearnet2)
nsd_signal a CONT
nsd_signal a HUP
wait_until 300 sh -c "nsenter --net='$A' nft list tables | grep -q clearnet" || fail "A's inside table not repaired"
# B follows the host's links, so it reloads its table while A's veth is made again; it
# must end as it was, and B must not have found it altered by anyone (a repair, logged).
tableB_back() { [ "$(host_table clearnet2)" = "$tableB" ]; }
wait_until 100 tableB_back || fail "SIGHUP of clearnet changed clearnet2's table"
grep -q "repaired: nftables table inet clearnet2" "${NSD_LOG[b]}" && fail "clearnet2's table was altered by clearnet's repair"
ok "SIGHUP of clearnet repaired it and left clearnet2's table as it was"

# stop the first-started instance: the second keeps working (forwarding stays on)
nsd_stop a
[ -z "$(in_host nft list tables | grep -x 'table inet clearnet')" ] || fail "clearnet's table is left"
[ -n "$(host_table clearnet2)" ] || fail "stopping clearnet removed clearnet2's table"
[ "$(host_sysctl net.ipv4.ip_forward)" = 1 ] || fail "stopping clearnet turned ip_forward off while clearnet2 runs"
NETNS_DIR=/run/netns expect_reach clearnet2
expect_no_tcp "$B" http://10.200.1.17:8080/ "clearnet2 alone: host's old clearnet address not reachable"
expect_no_tcp "$B" http://192.0.2.1:8080/ "clearnet2 alone: host uplink not reachable"
bg_stop clear-srv-clearnet

# then the second: the host is as before the first start
nsd_stop b
bg_stop clear-srv-clearnet2
snapshot "$T/snap1"
expect_same_snapshot "$T/snap0" "$T/snap1" "both stopped (first-started first): host as before"
[ -z "$(ip netns list | grep -v -E "^(host|inet)( |$)")" ] || fail "ip netns list still shows: $(ip netns list)"

finish
