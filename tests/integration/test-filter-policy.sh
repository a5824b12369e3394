#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# clearnet-filter's shipped policy (desktop/filter.conf, test users in the roles), user by user, in a stand-in host namespace: every allow with a
# real connection of the right user (the server logs its uid), every deny refused at once
# for another user (ECONNREFUSED, not a timeout) with nothing arriving; automap lands on
# TransPort, 127.0.0.1:53 on DNSPort; the LAN is open but for DNS and netbios-ns; UDP,
# ICMP and IPv6 to the internet do not leave; tcp_mtu_probing is set.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/filter-lib.sh"

topo_setup
services_start
topo_lan
filter_users_setup
filter_ports_start
INET_LOG=$T/obs/inet.log
LAN_LOG=$T/obs/lan.log
DNS53_LOG=$T/obs/inet53.log

# --- positive controls, before any filter: every target answers every user ------------
for u in cldesk clother; do
	[ "$(try "$u" tcp 198.51.100.7 8080)" = ok ] || fail "harness: $u cannot reach the inet TCP server without a filter"
	[ "$(try "$u" udp 198.51.100.7 7)" = ok ] || fail "harness: $u gets no inet UDP echo without a filter"
	[ "$(try "$u" tcp 2001:db8:1::7 8080)" = ok ] || fail "harness: $u cannot reach the inet over IPv6 without a filter"
	[ "$(try "$u" udp "$LAN_ADDR" 53)" = ok ] || fail "harness: $u cannot reach the LAN DNS port without a filter"
	[ "$(try "$u" tcp 127.0.0.1 9052)" = ok ] || fail "harness: $u cannot reach the local ports without a filter"
done
icmp0=$(icmp_seen)
[ "$(try cldesk icmp 198.51.100.7)" = ok ] && [ "$(icmp_seen)" -gt "$icmp0" ] ||
	fail "harness: no ICMP echo to the inet without a filter"
in_host sysctl -qw net.ipv4.tcp_mtu_probing=0
ok "harness: without a filter every user reaches every target (TCP, UDP, ICMP, IPv6, LAN, loopback)"

conf=$T/cfg/filter.conf
filter_conf "$conf"
filter_run --config "$conf" --check
[ "$FRC" -eq 0 ] || fail "--check on the test policy: exit $FRC: $FERR"
grep -q "optional user 'clghost' does not exist" <<<"$FERR" || fail "--check does not note the missing optional user: $FERR"
ok "--check accepts the test policy and notes the missing optional user"
filter_load "$conf"
[ -n "$(filter_table)" ] || fail "no table inet clearnet_filter after the load"
in_host nft list table inet hostfw >/dev/null || fail "the host's own table is gone"
ok "loaded: table inet clearnet_filter; the host's own table is still there"
[ "$(host_sysctl net.ipv4.tcp_mtu_probing)" = 1 ] || fail "net.ipv4.tcp_mtu_probing is not 1"
ok "net.ipv4.tcp_mtu_probing = 1"

# --- Tor: new TCP to anywhere, UDP 53; nothing else ------------------------------------
expect_allow cltor tcp 198.51.100.7 8080 "tor user: TCP to the internet"
grep -q '^tcp 198.51.100.7:8080 ' "$INET_LOG" || fail "the inet server did not see the tor user's connection"
expect_allow cltor udp 198.51.100.7 53 "tor user: UDP 53 to the internet" "$DNS53_LOG"
expect_refused cltor udp 198.51.100.7 7 "tor user: UDP other than 53" "$INET_LOG"
expect_refused clother tcp 198.51.100.7 8080 "another user: TCP to the internet" "$INET_LOG"
expect_refused clother udp 198.51.100.7 53 "another user: UDP 53 to the internet" "$DNS53_LOG"
expect_refused root tcp 198.51.100.7 8080 "root: TCP to the internet" "$INET_LOG"

# --- the clearnet user: TCP and UDP 53 out, no loopback --------------------------------
expect_allow clclear tcp 198.51.100.7 8080 "clearnet user: TCP to the internet"
expect_allow clclear udp 198.51.100.7 53 "clearnet user: UDP 53 to the internet" "$DNS53_LOG"
expect_allow clclear udp "$LAN_ADDR" 53 "clearnet user: DNS to the LAN's resolver" "$LAN_LOG"
expect_refused clclear udp 198.51.100.7 7 "clearnet user: UDP other than 53" "$INET_LOG"
expect_refused clclear tcp 127.0.0.1 8888 "clearnet user: no loopback (a port the desktop user reaches)" "$PORTS_LOG"
expect_refused clclear tcp 127.0.0.1 9050 "clearnet user: no loopback (SOCKS)" "$PORTS_LOG"
expect_refused clclear udp 127.0.0.1 53 "clearnet user: no loopback (DNS)" "$PORTS_LOG"
expect_refused clclear tcp 192.0.2.1 8080 "clearnet user: not the host's own uplink address either" "$T/obs/host.log"

# --- local services, per user ----------------------------------------------------------
expect_allow clapt tcp 127.0.0.1 9050 "SOCKS 9050: the apt user" "$PORTS_LOG"
expect_allow cltor tcp 127.0.0.1 9050 "SOCKS 9050: the tor user (all TCP)" "$PORTS_LOG"
expect_allow cldesk tcp 127.0.0.1 9050 "SOCKS 9050: the desktop user (any local TCP port)" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 9050 "SOCKS 9050: another user" "$PORTS_LOG"
expect_refused root tcp 127.0.0.1 9050 "SOCKS 9050: root is not listed" "$PORTS_LOG"
expect_allow root tcp 127.0.0.1 9052 "ControlPort 9052: root" "$PORTS_LOG"
expect_refused cldesk tcp 127.0.0.1 9052 "ControlPort 9052: the desktop user (deny_ports)" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 9052 "ControlPort 9052: another user" "$PORTS_LOG"
expect_allow clother tcp 127.0.0.1 9063 "9063: its listed user" "$PORTS_LOG"
expect_refused cldesk tcp 127.0.0.1 9063 "9063: the desktop user (deny_ports)" "$PORTS_LOG"
expect_allow clother tcp 127.0.0.1 4101 "4101 on 127.0.0.1: a listed user" "$PORTS_LOG"
expect_refused clapt tcp 127.0.0.1 4101 "4101 on 127.0.0.1: an unlisted user" "$PORTS_LOG"
expect_allow clother tcp ::1 4101 "4101 on ::1 (ipv6 = yes): a listed user" "$PORTS_LOG"
expect_allow cldesk tcp ::1 4101 "4101 on ::1 (ipv6 = yes): the desktop user, listed" "$PORTS_LOG"
expect_refused clapt tcp ::1 4101 "4101 on ::1: an unlisted user" "$PORTS_LOG"
expect_refused cldesk tcp ::1 8888 "::1 elsewhere: the desktop user's any-port rule is IPv4 only" "$PORTS_LOG"
expect_allow cldesk tcp 127.0.0.1 17600 "OnionShare 17600-17650: the desktop user, first port" "$PORTS_LOG"
expect_allow cldesk tcp 127.0.0.1 17650 "OnionShare 17600-17650: the desktop user, last port" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 17600 "OnionShare 17600-17650: another user" "$PORTS_LOG"
expect_allow cldesk tcp 127.0.0.1 8888 "any other local TCP port: the desktop user" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 8888 "any other local TCP port: another user" "$PORTS_LOG"
expect_refused clapt tcp 127.0.0.1 8888 "any other local TCP port: the apt user" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 7777 "a service whose only (optional) user is missing" "$PORTS_LOG"
expect_allow root tcp 127.0.0.1 951 "control-port filter 951: root" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 951 "control-port filter 951: another user" "$PORTS_LOG"
expect_allow cldesk tcp 127.0.0.1 631 "CUPS 631: the desktop user" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 631 "CUPS 631: another user" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 9062 "9062 (htp, tails-upgrade-frontend: not on this system): another user" "$PORTS_LOG"

# --- TransPort, automap, DNSPort -------------------------------------------------------
expect_allow cldesk tcp 127.0.0.1 9040 "TransPort: the desktop user" "$PORTS_LOG"
expect_refused clother tcp 127.0.0.1 9040 "TransPort: another user" "$PORTS_LOG"
n=$(lines "$PORTS_LOG")
expect_allow cldesk tcp 127.192.3.4 80 "automap: TCP to 127.192.3.4:80, the desktop user" "$PORTS_LOG"
tail -n +"$((n + 1))" "$PORTS_LOG" | grep -q "^tcp 127.0.0.1:9040 uid=4203$" ||
	fail "automap: the connection did not land on the TransPort listener: $(tail -n 1 "$PORTS_LOG")"
ok "automap: 127.192.3.4:80 landed on the TransPort listener (127.0.0.1:9040)"
expect_refused clother tcp 127.255.0.9 443 "automap: another user (redirected, then refused)" "$PORTS_LOG"
n=$(lines "$PORTS_LOG")
expect_allow cldesk udp 127.0.0.1 53 "DNS to 127.0.0.1:53: the desktop user" "$PORTS_LOG"
tail -n +"$((n + 1))" "$PORTS_LOG" | grep -q "^udp 127.0.0.1:5353 uid=4203$" ||
	fail "DNS to 127.0.0.1:53 did not land on the DNSPort listener: $(tail -n 1 "$PORTS_LOG")"
ok "DNS to 127.0.0.1:53 landed on the DNSPort listener (127.0.0.1:5353)"
expect_allow root udp 127.0.0.1 53 "DNS to 127.0.0.1:53: root (listed)" "$PORTS_LOG"
expect_refused clapt udp 127.0.0.1 53 "DNS to 127.0.0.1:53: the apt user is rejected" "$PORTS_LOG"
expect_refused clother udp 127.0.0.1 5353 "DNSPort: another user" "$PORTS_LOG"

# --- the LAN: open, but for DNS and netbios-ns ----------------------------------------
expect_allow cldesk tcp "$LAN_ADDR" 80 "LAN web: the desktop user" "$LAN_LOG"
expect_allow clother tcp "$LAN_ADDR" 80 "LAN web: another user" "$LAN_LOG"
expect_allow clother udp "$LAN_ADDR" 7 "LAN UDP (not DNS): another user" "$LAN_LOG"
expect_refused cldesk udp "$LAN_ADDR" 53 "LAN DNS over UDP: the desktop user" "$LAN_LOG"
expect_refused cldesk tcp "$LAN_ADDR" 53 "LAN DNS over TCP: the desktop user" "$LAN_LOG"
expect_refused clother udp "$LAN_ADDR" 53 "LAN DNS over UDP: another user" "$LAN_LOG"
expect_refused clother udp "$LAN_ADDR" 137 "LAN netbios-ns: another user" "$LAN_LOG"

# --- the desktop user's traffic to the internet: nothing but Tor -----------------------
expect_refused cldesk tcp 198.51.100.7 8080 "desktop user: TCP to the internet" "$INET_LOG"
expect_refused cldesk udp 198.51.100.7 7 "desktop user: UDP to the internet" "$INET_LOG"
expect_refused cldesk udp 198.51.100.7 53 "desktop user: DNS to an internet resolver (redirect_all = no)" "$DNS53_LOG"
icmp0=$(icmp_seen)
got=$(try cldesk icmp 198.51.100.7)
[ "$got" != ok ] && [ "$(icmp_seen)" = "$icmp0" ] || fail "desktop user: ICMP echo to the internet: $got, $(icmp_seen) requests seen"
ok "desktop user: ICMP echo to the internet does not leave ($got)"
got=$(try cltor icmp 198.51.100.7)
[ "$got" != ok ] && [ "$(icmp_seen)" = "$icmp0" ] || fail "tor user: ICMP echo to the internet: $got"
ok "tor user: ICMP does not leave either (TCP and DNS only) ($got)"

# --- IPv6: refused for everyone but ::1 services ---------------------------------------
for u in cldesk cltor clclear root; do
	expect_refused "$u" tcp 2001:db8:1::7 8080 "IPv6 to the internet: $u" "$INET_LOG"
done
expect_refused cldesk udp 2001:db8::2 7 "IPv6 UDP to the internet: the desktop user" "$INET_LOG"

# --- redirect_all = yes: the desktop user's DNS to anywhere goes to DNSPort -----------
sed -i 's/^redirect_all = no/redirect_all = yes/' "$conf"
filter_load "$conf"
n=$(lines "$PORTS_LOG") n53=$(lines "$DNS53_LOG")
expect_allow cldesk udp 198.51.100.7 53 "redirect_all: DNS to an internet address, the desktop user" "$PORTS_LOG"
tail -n +"$((n + 1))" "$PORTS_LOG" | grep -q "^udp 127.0.0.1:5353 uid=4203$" ||
	fail "redirect_all: the query did not land on DNSPort: $(tail -n 1 "$PORTS_LOG")"
[ "$(lines "$DNS53_LOG")" = "$n53" ] || fail "redirect_all: the query reached the internet resolver"
expect_allow cldesk udp "$LAN_ADDR" 53 "redirect_all: DNS to the LAN resolver lands on DNSPort too" "$PORTS_LOG"
expect_refused clother udp 198.51.100.7 53 "redirect_all: only the desktop user's DNS is redirected" "$DNS53_LOG"
ok "redirect_all = yes sends the desktop user's DNS to any address to DNSPort"

finish
