#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The clearnet namespace reaches the (simulated) internet: TCP, UDP, DNS by name; nsd says
# READY=1 through NOTIFY_SOCKET; the namespace has the promised shape.
. "$(dirname "$0")/lib.sh"

topo_setup
services_start

conf=$T/cfg/nsd.conf
write_conf "$conf"

# systemd's side of Type=notify: a datagram socket named by NOTIFY_SOCKET
bg notify "$HOST" "$PYTHON" -u "$NETSRV" notify "$T/notify.sock" "$T/logs/notify.log"
wait_until 300 test -S "$T/notify.sock" || fail "notify listener did not start"

nsd_start "$conf" main NOTIFY_SOCKET="$T/notify.sock"
wait_until 300 grep -qx 'READY=1' "$T/logs/notify.log" ||
	fail "no READY=1 on NOTIFY_SOCKET (got: $(tr '\n' ' ' <"$T/logs/notify.log"))"
ok "READY=1 arrived on NOTIFY_SOCKET"
nsf=$(clear_nsf)

# --- the namespace nsd made
findmnt -rn -o TARGET "$nsf" >/dev/null || fail "$nsf is not a mount point"
ok "namespace bind-mounted at netns_dir/name"
links=$(in_clear ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')
[ "$links" = "lo $NS_VETH " ] || fail "links inside: '$links', expected 'lo $NS_VETH'"
in_clear ip -o link show lo | grep -q 'UP' || fail "lo is not up inside"
ok "inside: links are lo and $NS_VETH, lo up"
in_clear ip -4 -o addr show dev "$NS_VETH" | grep -q "inet $NS_ADDR " || fail "inside: $NS_VETH lacks $NS_ADDR"
in_host ip -4 -o addr show dev "$HOST_VETH" | grep -q "inet $HOST_ADDR " || fail "host: $HOST_VETH lacks $HOST_ADDR"
ok "addresses $HOST_ADDR (host) and $NS_ADDR (inside)"
# routes: the default via the host end, plus at most the kernel's route of the /30
bad=$(in_clear ip -4 route show table main | grep -v -E "^default via ${HOST_ADDR%/*} dev $NS_VETH( |$)" |
	grep -v -E "^10\.200\.1\.16/30 dev $NS_VETH proto kernel")
[ -z "$bad" ] || fail "inside: unexpected routes: $bad"
in_clear ip -4 route show table main | grep -q "^default via ${HOST_ADDR%/*} dev $NS_VETH" ||
	fail "inside: no default route via ${HOST_ADDR%/*}"
ok "inside: default route via ${HOST_ADDR%/*} and no other route"
[ -z "$(in_clear ip -6 addr show)" ] || fail "inside: IPv6 addresses exist: $(in_clear ip -6 addr show)"
[ -z "$(in_clear ip -6 route show table all 2>/dev/null | grep -v '^$')" ] || fail "inside: IPv6 routes exist"
for k in all default lo "$NS_VETH"; do
	[ "$(clear_sysctl "net.ipv6.conf.$k.disable_ipv6")" = 1 ] || fail "inside: net.ipv6.conf.$k.disable_ipv6 != 1"
done
ok "inside: IPv6 disabled (all, default, lo, $NS_VETH), no IPv6 address or route"
[ "$(host_sysctl "net.ipv6.conf.$HOST_VETH.disable_ipv6")" = 1 ] || fail "host: IPv6 enabled on $HOST_VETH"
[ "$(host_sysctl "net.ipv4.conf.$HOST_VETH.forwarding")" = 1 ] || fail "host: forwarding off on $HOST_VETH"
[ "$(host_sysctl net.ipv4.ip_forward)" = 1 ] || fail "host: net.ipv4.ip_forward is not 1"
ok "host: IPv6 off and IPv4 forwarding on for $HOST_VETH"
[ -n "$(host_table)" ] || fail "host: no table inet $NFT_TABLE"
[ -n "$(clear_table)" ] || fail "inside: no table inet $NFT_TABLE"
ok "nftables: table inet $NFT_TABLE on the host and inside"
in_host nft list table inet hostfw >/dev/null || fail "host: nsd removed the host's own table"
grep -qiE 'not final|forward chain' "${NSD_LOG[main]}" ||
	fail "the log does not warn that a host firewall dropping forwarded traffic needs a rule for $HOST_VETH"
ok "the log warns about host firewalls that drop forwarded traffic"

# --- reachability
expect_reach
# the page really came through NAT and the clearnet DNS server
grep -q 'query\[A\] www.example.test from 192.0.2.1' "$T/logs/dnsmasq.log" ||
	fail "dnsmasq did not see the query from the host's NATed address: $(tail -n 3 "$T/logs/dnsmasq.log")"
ok "the name was resolved by the clearnet DNS server (dnsmasq saw the NATed query)"
grep -q '^192\.0\.2\.1 ' "$T/logs/www.out" || fail "www server did not log a request from 192.0.2.1"
ok "the HTTP request arrived masqueraded as 192.0.2.1"
expect_dns_copy

# --- the command line: --help, --version, --check on a good file
nsd_run --help
[ "$NSD_RC" -eq 0 ] && grep -q -- '--config' "$T/logs/run.out" || fail "--help: exit $NSD_RC, $(cat "$T/logs/run.out")"
ok "--help"
nsd_run --version
[ "$NSD_RC" -eq 0 ] && grep -q '[0-9]' "$T/logs/run.out" || fail "--version: exit $NSD_RC"
ok "--version: $(cat "$T/logs/run.out")"
nsd_run --config "$conf" --check
[ "$NSD_RC" -eq 0 ] || fail "--check on a good config: exit $NSD_RC: $(cat "$T/logs/run.err")"
ok "--check accepts the good config"

finish
