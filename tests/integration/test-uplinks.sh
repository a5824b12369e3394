#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Egress only through the uplinks (issue 11, section 1). The host's uplink is a bridge
# (br-up) and it also has a docker0-style bridge with a container behind it, a macvlan
# namespace, a sibling behind a veth and a second link to the internet (upl2) without a
# default route. From the clearnet namespace: the internet answers (TCP, UDP, DNS by name)
# and so does a LAN host on the uplink's own subnet; the container, the macvlan namespace,
# the sibling and the host's bridge address do not, though each answers the host itself.
# The default route moves to upl2: nsd's uplinks set follows, traffic leaves by upl2 (seen
# on the internet side) and br-up is no longer used; both default routes: both uplinks;
# no default route at all: nothing leaves, though the host itself still reaches the
# internet by a specific route; after a storm of route changes the set is right.
. "$(dirname "$0")/lib.sh"

topo_setup
topo_sibling
topo_docker
topo_macvlan
topo_second_uplink
services_start

# The positive controls: each of them answers the host itself.
expect_host_reaches 172.17.0.2 "$CTR_MARKER" "the container behind docker0 (172.17.0.2)"
expect_host_reaches 172.18.0.2 "$MV_MARKER" "the macvlan namespace (172.18.0.2)"
expect_host_reaches 172.17.0.1 "$HOST_MARKER" "the host's own docker0 address (172.17.0.1)"
expect_host_reaches 10.99.0.2 "$SIB_MARKER" "the sibling behind veth-sib (10.99.0.2)"
in_host ip -4 route get 192.0.2.80 | grep -q ' via ' && fail "harness: 192.0.2.80 is not on the uplink's own subnet"

# A host with containers forwards (docker turns ip_forward on): then nsd's guard against
# forwarding for others stays off, and the host's port forward below works from outside.
in_host sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
conf=$T/cfg/nsd.conf
write_conf "$conf"
nsd_start "$conf"
C=$(clear_nsf)
uplinks_are() { [ "$(uplink_set)" = "$1" ]; }

# --- the uplink is br-up, a bridge
[ "$(uplink_set)" = "br-up " ] || fail "uplinks set is '$(uplink_set)', expected br-up alone"
ok "nsd's uplinks set holds br-up (the link of the default route) and nothing else"
expect_reach
expect_http "$C" http://192.0.2.80/ "$WWW_MARKER" "a LAN host on the uplink's own subnet (192.0.2.80, no gateway) answers"

# Link kinds a deny-list forgets: a bridge that is not the uplink (the container behind
# docker0, 172.17.0.2), macvlan (172.18.0.2); and a veth (the sibling, 10.99.0.2); the
# host's own docker0 and upl2 addresses. With and without the namespace's own table.
fenced=(172.17.0.2 172.18.0.2 10.99.0.2 172.17.0.1 203.0.113.1)
expect_fenced "as made" "${fenced[@]}"
expect_reach
# A host port forwarded to the container (DNAT of the host's uplink address) is the host.
in_host nft -f - <<'EOF' || fail "port forward"
table ip portfwd {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 192.0.2.1 tcp dport 8081 dnat to 172.17.0.2:8080
		ip daddr 192.0.2.1 udp dport 8007 dnat to 172.17.0.2:7
	}
}
EOF
expect_http "$INET" http://192.0.2.1:8081/ "$CTR_MARKER" "the internet side reaches the container through the host's port forward"
expect_no_tcp "$C" http://192.0.2.1:8081/ "no TCP to the container through the host's port forward"
expect_no_udp "$C" 192.0.2.1 8007 "no UDP to the container through the host's port forward"

# --- the default route moves to upl2 (a veth): the set and the traffic follow
start=$EPOCHREALTIME
in_host ip route replace default via 203.0.113.2 dev upl2 || fail "ip route replace default"
wait_until 100 uplinks_are "upl2 " || fail "uplinks set is '$(uplink_set)' 10 s after the default route moved to upl2"
info "uplinks set followed the route within $(awk "BEGIN { printf \"%d\", ($EPOCHREALTIME - $start) * 1000 }") ms (measured, polling every 0.1 s)"
ok "the uplinks set follows the default route to upl2"
eth0=$(path_count eth0) eth1=$(path_count eth1)
expect_http "$C" http://198.51.100.7:8080/ "$INET_MARKER" "TCP from clearnet to the internet after the route moved"
expect_udp "$C" 198.51.100.7 7 "UDP from clearnet to the internet after the route moved"
[ "$(path_count eth0)" = "$eth0" ] || fail "packets still arrived by the first uplink (eth0: $eth0 -> $(path_count eth0))"
[ "$(path_count eth1)" -gt "$eth1" ] || fail "nothing arrived by upl2 (eth1: $eth1 -> $(path_count eth1))"
tail -n 1 "$T/obs/inet.log" | grep -q ' 203\.0\.113\.1:' || fail "the internet saw $(tail -n 1 "$T/obs/inet.log"), not upl2's 203.0.113.1"
ok "the traffic arrived by upl2 (masqueraded to 203.0.113.1), none by br-up"
# br-up is now just a link of the host: its subnet too is the host's, but not for the host.
expect_http "$HOST" http://192.0.2.80/ "$WWW_MARKER" "host itself: still reaches 192.0.2.80 over br-up"
expect_no_tcp "$C" http://192.0.2.80/ "br-up is no uplink any more: no TCP to its subnet"

# --- two default routes: two uplinks
in_host ip route add default via 192.0.2.2 dev br-up metric 200 || fail "second default route"
wait_until 100 uplinks_are "br-up upl2 " ||
	fail "uplinks set is '$(uplink_set)' with default routes on br-up and upl2, expected both"
ok "two default routes: both br-up and upl2 are uplinks"
expect_http "$C" http://192.0.2.80/ "$WWW_MARKER" "TCP from clearnet to 192.0.2.80 (br-up's subnet) with two uplinks"
expect_http "$C" http://198.51.100.7:8080/ "$INET_MARKER" "TCP from clearnet to the internet with two uplinks"

# upl2 goes down: its routes go, and so does it from the set
in_host ip link set upl2 down || fail "ip link set upl2 down"
wait_until 100 uplinks_are "br-up " || fail "uplinks set is '$(uplink_set)' after upl2 went down, expected br-up"
ok "upl2 down: the set holds br-up alone"
in_host ip link set upl2 up || fail "ip link set upl2 up"

# --- no default route: nothing leaves, though the host itself still gets out
in_host ip route del default || fail "ip route del default"
in_host ip route del default 2>/dev/null
in_host ip route add 198.51.100.0/24 via 192.0.2.2 || fail "specific route"
in_host ip -4 route show | grep -q '^default' && fail "harness: a default route is left"
wait_until 100 uplinks_are "" ||
	fail "uplinks set is '$(uplink_set)' without any default route"
ok "no default route: the uplinks set is empty"
expect_http "$HOST" http://198.51.100.7:8080/ "$INET_MARKER" "host itself: reaches the internet by the specific route"
expect_udp "$HOST" 198.51.100.7 7 "host itself: UDP to the internet by the specific route"
expect_no_tcp "$C" http://198.51.100.7:8080/ "no default route: no TCP leaves"
expect_no_udp "$C" 198.51.100.7 7 "no default route: no UDP leaves"
expect_no_tcp "$C" http://192.0.2.80/ "no default route: no TCP to br-up's subnet"
grep -q 'uplinks: none' "${NSD_LOG[main]}" || fail "nsd did not log that there is no uplink"
ok "nsd logged the empty set"

# --- the default route back: everything works again
in_host ip route del 198.51.100.0/24 via 192.0.2.2
in_host ip route add default via 192.0.2.2 dev br-up || fail "ip route add default"
wait_until 100 uplinks_are "br-up " ||
	fail "uplinks set is '$(uplink_set)' after the default route came back"
expect_reach
expect_fenced "default route back" "${fenced[@]}"

# --- a storm: 1000 route changes at once, the last to br-up. nsd coalesces them (rate
# limit) and ends with the set right, and still serves.
for ((i = 0; i < 500; i++)); do
	echo "route replace default via 203.0.113.2 dev upl2"
	echo "route replace default via 192.0.2.2 dev br-up"
done >"$T/storm"
in_host ip route replace default via 203.0.113.2 dev upl2 || fail "route to upl2"
wait_until 100 uplinks_are "upl2 " || fail "uplinks set is '$(uplink_set)' before the storm, expected upl2"
handled0=$(grep -c 'host change handled' "${NSD_LOG[main]}")
in_host ip -batch "$T/storm" || fail "ip -batch"
wait_until 100 uplinks_are "br-up " || fail "uplinks set is '$(uplink_set)' after the storm, expected br-up"
ok "after 1000 route changes the uplinks set is br-up, as the last one left it"
info "repairs for the 1000 changes: $(($(grep -c 'host change handled' "${NSD_LOG[main]}") - handled0))"
expect_reach

finish
