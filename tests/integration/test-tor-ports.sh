#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tails' five namespaces from one config (issue 15): clearnet (kind internet) and tbb,
# onioncircs, tca, onionshare (kind tor-ports). Inside a tor-ports namespace 127.0.0.1:PORT
# reaches the host's loopback service on PORT for the exposed ports only; every other host
# port and address, and the internet (TCP, UDP, DNS), do not, also when root in there
# rewrites its routes and NAT; no namespace reaches the host end of another. kill -9 and a
# restart repair all five; --teardown and a stop leave the host exactly as it was.
. "$(dirname "$0")/lib.sh"

topo_setup
services_start
tor_services_start

conf=$T/cfg/nsd.conf
write_conf "$conf"
tor_conf_append "$conf"
nsd_run --config "$conf" --check
[ "$NSD_RC" -eq 0 ] || fail "--check refused the five namespaces: $(cat "$T/logs/run.err")"
ok "--check accepts the five Tails namespaces"

snapshot "$T/snap-before"
nsd_start "$conf"

# --- each namespace is there, with the promised shape
for name in $TOR_NAMESPACES; do
	findmnt -rn -o TARGET "$(clear_nsf "$name")" >/dev/null || fail "$name: not bind-mounted at netns_dir/$name"
	in_ns "$name" ip -4 -o addr show dev veth0 | grep -q "inet $(tor_ns_addr "$name")/30 " ||
		fail "$name: veth0 lacks $(tor_ns_addr "$name")/30"
	in_host ip -4 -o addr show dev "veth-$name" | grep -q "inet $(tor_host_addr "$name")/30 " ||
		fail "$name: veth-$name lacks $(tor_host_addr "$name")/30"
	[ -z "$(in_ns "$name" ip -4 route show default)" ] || fail "$name: has a default route"
	[ "$(host_sysctl "net.ipv4.conf.veth-$name.forwarding")" = 0 ] || fail "$name: forwarding on veth-$name"
	[ "$(host_sysctl "net.ipv4.conf.veth-$name.route_localnet")" = 1 ] || fail "$name: route_localnet off on veth-$name"
	[ -n "$(host_table "clearnet_$name")" ] || fail "$name: no host table inet clearnet_$name"
	[ -n "$(clear_table "clearnet_$name" "$name")" ] || fail "$name: no table inside"
done
[ "$(host_sysctl net.ipv4.conf.all.route_localnet)" = 0 ] && [ "$(host_sysctl net.ipv4.conf.br-up.route_localnet)" = 0 ] ||
	fail "route_localnet is on for more than the tor-ports veths"
ok "four tor-ports namespaces: bind mounts, addresses, no default route, no forwarding, route_localnet on their veths only, tables"
expect_reach
ok "the clearnet namespace still reaches the internet (positive control for the refusals below)"

# probe NAME: everything a tor-ports namespace must not reach (each target answers the host)
tor_refusals() {
	local name=$1 nsf port tag=${2:-}
	nsf=$(clear_nsf "$name")
	for port in 9052 9040 9051 8080; do
		expect_no_tcp "$nsf" "http://127.0.0.1:$port/" "$tag$name: host loopback :$port refused"
	done
	for port in 9050 951; do
		case " ${TOR_EXPOSE[$name]} " in *" $port "*) continue ;; esac
		expect_no_tcp "$nsf" "http://127.0.0.1:$port/" "$tag$name: :$port is not exposed here, refused"
	done
	expect_no_tcp "$nsf" "http://$(tor_host_addr "$name"):8080/" "$tag$name: its host end :8080 refused"
	expect_no_tcp "$nsf" "http://$(tor_host_addr "$name"):9052/" "$tag$name: its host end :9052 refused"
	expect_no_tcp "$nsf" "http://192.0.2.1:9050/" "$tag$name: the host's uplink address :9050 refused"
	expect_no_tcp "$nsf" "http://10.200.1.17:8080/" "$tag$name: the clearnet host end refused"
	expect_no_tcp "$nsf" "http://198.51.100.7:8080/" "$tag$name: internet TCP refused"
	expect_no_tcp "$nsf" "http://192.0.2.80/" "$tag$name: internet HTTP refused"
	expect_no_udp "$nsf" 198.51.100.7 7 "$tag$name: internet UDP refused"
	expect_no_udp "$nsf" 127.0.0.1 9050 "$tag$name: UDP to 127.0.0.1:9050 (host's) refused"
	expect_no_udp "$nsf" "$(tor_host_addr "$name")" 5353 "$tag$name: UDP to the host end :5353 refused"
	expect_dns_blocked "$nsf" 192.0.2.53 "$tag$name: DNS to the internet's server refused"
}

tor_reach() {
	local name=$1 nsf port tag=${2:-} before
	nsf=$(clear_nsf "$name")
	for port in ${TOR_EXPOSE[$name]}; do
		before=$(wc -l <"$T/obs/tor.log")
		expect_http "$nsf" "http://127.0.0.1:$port/" "$TOR_MARKER" "$tag$name: 127.0.0.1:$port is the host's Tor port"
		tail -n +"$((before + 1))" "$T/obs/tor.log" | grep -q "^tcp 127.0.0.1:$port $(tor_ns_addr "$name"):" ||
			fail "$name: the stand-in Tor did not log a connection from $(tor_ns_addr "$name") on :$port"
	done
}

# --- what a tor-ports namespace reaches, and what not
expect_seen "the host reaches 127.0.0.1:9052" run_in "$HOST" "${CURL_NO[@]}" http://127.0.0.1:9052/
expect_seen "the host reaches 192.0.2.1:9050" run_in "$HOST" "${CURL_NO[@]}" http://192.0.2.1:9050/
expect_seen "UDP to 127.0.0.1:5353 arrives from the host" run_in "$HOST" "$PYTHON" "$NETSRV" udp 127.0.0.1 5353 --timeout 1
for name in $TOR_NAMESPACES; do
	tor_reach "$name"
	tor_refusals "$name"
done

# --- the host end of tbb, from clearnet and from another namespace
tbb_end=$(tor_host_addr tbb)
expect_no_tcp "$(clear_nsf)" "http://$tbb_end:9050/" "clearnet: the host end of tbb (:9050) refused"
expect_no_tcp "$(clear_nsf)" "http://$tbb_end:951/" "clearnet: the host end of tbb (:951) refused"
in_ns onioncircs ip route add 10.200.1.0/24 via "$(tor_host_addr onioncircs)" || fail "onioncircs: cannot add a route"
expect_no_tcp "$(clear_nsf onioncircs)" "http://$tbb_end:9050/" "onioncircs (routed by its root): the host end of tbb refused"
expect_no_tcp "$(clear_nsf onioncircs)" "http://$tbb_end:951/" "onioncircs (routed by its root): the host end of tbb :951 refused"
in_ns onioncircs ip route del 10.200.1.0/24 via "$(tor_host_addr onioncircs)"

# --- root inside tbb rewrites its routes and NAT (nsd frozen, so that it cannot put its
# table inside back: the host side alone must hold)
nsd_signal main STOP
in_ns tbb nft delete table inet clearnet_tbb || fail "tbb: root cannot delete its table (the test's premise)"
in_ns tbb ip route add default via "$tbb_end" || fail "tbb: cannot add a default route"
in_ns tbb sysctl -qw net.ipv4.conf.all.route_localnet=1
in_ns tbb nft -f - <<NFT || fail "tbb: root's own NAT"
table ip evil {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr 127.0.0.1 tcp dport { 9052, 9040, 9051, 8080 } dnat to $tbb_end
		ip daddr 127.0.0.1 tcp dport 9050 dnat to $tbb_end
	}
	chain post {
		type nat hook postrouting priority 100; policy accept;
		oifname "veth0" masquerade
	}
}
NFT
expect_http "$(clear_nsf tbb)" http://127.0.0.1:9050/ "$TOR_MARKER" "root in tbb, own NAT: 127.0.0.1:9050 still the host's Tor (positive control)"
tor_refusals tbb "root in tbb, own routes and NAT: "
clear_listener
expect_no_tcp "$(clear_nsf tbb)" "http://${NS_ADDR%/*}:9090/" "root in tbb: the clearnet namespace's listener refused"
[ "$(in_ns tbb nft list ruleset | grep -c '^table')" = 1 ] || fail "tbb: nsd's table came back while nsd was frozen"
in_ns tbb nft delete table ip evil
in_ns tbb ip route del default
nsd_signal main CONT
nsd_signal main HUP
wait_until 300 sh -c "nsenter --net='$(clear_nsf tbb)' nft list table inet clearnet_tbb" || fail "tbb: SIGHUP did not restore its table"
wait_until 100 grep -q 'repaired: nftables table inet clearnet_tbb' "${NSD_LOG[main]}" || fail "the repair of tbb's table is not logged"
tor_reach tbb "after SIGHUP: "
ok "SIGHUP restored tbb's own table (logged)"

# --- kill -9, damage, restart: all five repaired
nsd_kill9 main
in_ns tbb nft delete table inet clearnet_tbb
in_host nft delete table inet clearnet_onioncircs
in_host ip link del veth-tca
in_host sysctl -qw net.ipv4.conf.veth-onionshare.route_localnet=0
in_host sysctl -qw net.ipv4.conf.veth-onionshare.forwarding=1
nsd_start "$conf"
for name in $TOR_NAMESPACES; do
	tor_reach "$name" "after kill -9 + restart: "
done
tor_refusals onioncircs "after kill -9 + restart: "
tor_refusals tbb "after kill -9 + restart: "
expect_reach
[ "$(host_sysctl net.ipv4.conf.veth-onionshare.forwarding)" = 0 ] || fail "onionshare: forwarding not repaired"
grep -q "adopting the existing namespace 'tbb'" "${NSD_LOG[main]}" || fail "the restart did not adopt tbb"
ok "kill -9 + restart: all five adopted and repaired"

# --- stop (SIGTERM) and --teardown: the host exactly as before
nsd_stop main
snapshot "$T/snap-stopped"
expect_same_snapshot "$T/snap-before" "$T/snap-stopped" "SIGTERM with five namespaces: the host is exactly as before"
nsd_start "$conf"
nsd_kill9 main
nsd_run --config "$conf" --teardown
[ "$NSD_RC" -eq 0 ] || fail "--teardown: exit $NSD_RC: $(cat "$T/logs/run.err")"
snapshot "$T/snap-torn"
expect_same_snapshot "$T/snap-before" "$T/snap-torn" "kill -9 + --teardown with five namespaces: the host is exactly as before"

finish
