#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# clearnet-filter with clearnet-nsd running, in a stand-in host namespace: the filter reads
# the namespace's veth and address from nsd's config; with the filter loaded the clearnet
# namespace still reaches the internet (TCP, UDP, DNS by name) and still reaches no host
# port (refused at once, nothing arrives); host users do not get into the namespace; the
# lockdown table closes the namespace's way out too; nsd's table is left alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/filter-lib.sh"

topo_setup
services_start
filter_users_setup
filter_ports_start

nsdconf=$T/cfg/nsd.conf
write_conf "$nsdconf"
nsd_start "$nsdconf"
clear_listener
nsf=$(clear_nsf)
expect_reach
ok "harness: before the filter, the namespace reaches the internet"

conf=$T/cfg/filter.conf
filter_conf "$conf" "$nsdconf"
filter_load "$conf"
t=$(filter_table)
grep -q 'elements = { "veth-clearnet" }' <<<"$t" && grep -q 'elements = { 10.200.1.18 }' <<<"$t" ||
	fail "the table does not name the namespace's veth and address from nsd's config: $t"
ok "the filter read the namespace's host veth and address from $nsdconf"
[ -n "$(host_table)" ] || fail "nsd's table is gone after the filter's load"
ok "nsd's table is still there"

# --- the namespace still reaches the internet ------------------------------------------
expect_reach

# --- ... and no host port: refused at once, nothing arrives ----------------------------
expect_allow cldesk tcp 127.0.0.1 8080 "harness: the host's own service answers (desktop user, locally)" "$T/obs/host.log"
for url in http://10.200.1.17:8080/ http://192.0.2.1:8080/; do
	before=$(observed)
	out=$(run_in "$nsf" "${CURL_NO[@]}" "$url" 2>&1)
	rc=$?
	[ "$rc" -eq 7 ] || fail "clearnet namespace -> $url: curl exit $rc (expected 7, refused at once): $out"
	sleep 0.2
	[ "$before" = "$(observed)" ] || fail "clearnet namespace -> $url: traffic got through"
	ok "clearnet namespace -> host $url: refused at once, nothing arrived"
done
expect_no_udp "$nsf" 10.200.1.17 7 "clearnet namespace -> host UDP 10.200.1.17:7"
expect_no_udp "$nsf" 192.0.2.1 7 "clearnet namespace -> host UDP 192.0.2.1:7"
expect_no_tcp "$nsf" http://10.200.1.17:9050/ "clearnet namespace -> a host Tor port on the veth address"

# --- host users do not get into the namespace -----------------------------------------
# (nsd's own output chain drops these first, so they time out rather than being refused)
for u in cldesk cltor root; do
	before=$(observed)
	got=$(as_host "$u" "$PYI" "$FILTERNET" tcp 10.200.1.18 9090 --timeout 1 | tail -n 1)
	[ "$got" != ok ] || fail "host -> the clearnet namespace's listener: $u got in"
	sleep 0.2
	[ "$before" = "$(observed)" ] || fail "host -> the clearnet namespace's listener: $u: traffic got in"
	ok "host -> the clearnet namespace's listener: $u does not get in ($got)"
done
got=$(run_in "$nsf" "$PYI" "$FILTERNET" tcp 127.0.0.1 9090)
[ "$got" = ok ] || fail "harness: the namespace's listener does not answer inside: $got"
ok "harness: the namespace's listener answers from inside"

# --- the lockdown closes the namespace's way out as well ------------------------------
sed 's/^user = clclear$/user = clnosuch/' "$conf" >"$T/cfg/broken.conf"
filter_run --config "$T/cfg/broken.conf"
[ "$FRC" -eq 1 ] && is_lockdown || fail "a broken config: exit $FRC, lockdown?"
expect_no_tcp "$nsf" http://198.51.100.7:8080/ "lockdown: the clearnet namespace does not reach the internet"
filter_load "$conf"
expect_reach
ok "the good policy again: the namespace reaches the internet"

# --- nsd's repair after the filter's reloads, and the filter after nsd's ---------------
nsd_signal main HUP
wait_until 100 ns_whole || fail "the namespace is not whole after nsd's SIGHUP"
filter_load "$conf"
expect_reach
[ -n "$(host_table)" ] && [ -n "$(filter_table)" ] || fail "a table is missing after the reloads"
ok "nsd's SIGHUP and the filter's reload leave both tables in place"

finish
