#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fence holds while the host changes (issue 12, item 5). The host flushes its whole
# ruleset (as Debian's nftables.service does on every reload), which takes nsd's host table
# with it:
#   - with nsd frozen (SIGSTOP, so nothing is repaired), the namespace's own table alone
#     keeps it off the host's veth and uplink addresses and the container behind docker0;
#     without that table too, the same probes get through (the positive control);
#   - a connection loop from inside to those addresses, while the host flushes its ruleset
#     50 times: not one connection or datagram gets through, and after each flush nsd's
#     table is back, as it was (bounded waits, no timing asserted);
# and nsd repairs, without a SIGHUP, its table inside after a flush there, a deleted host
# veth, and puts a new host address into the local-networks set of both tables.
. "$(dirname "$0")/lib.sh"

topo_setup
topo_docker
services_start

conf=$T/cfg/nsd.conf
write_conf "$conf"
nsd_start "$conf"
C=$(clear_nsf)
HA=${HOST_ADDR%/*}
NA=${NS_ADDR%/*}
orig_host=$(host_table)
orig_clear=$(clear_table)
[ -n "$orig_host" ] && [ -n "$orig_clear" ] || fail "nsd's tables are missing after the start"

# The positive controls: the host's services answer the host itself on these addresses.
for a in "$HA" 192.0.2.1 172.17.0.1; do
	expect_host_reaches "$a" "$HOST_MARKER" "the host's service on $a"
done
expect_host_reaches 172.17.0.2 "$CTR_MARKER" "the container behind docker0"
expect_reach

targets=("$HA" 192.0.2.1 172.17.0.1 172.17.0.2)

# --- nsd frozen: the namespace's table alone
nsd_signal main STOP
in_host nft flush ruleset || fail "nft flush ruleset"
[ -z "$(in_host nft list ruleset)" ] || fail "the host ruleset is not empty after the flush"
for a in "${targets[@]}"; do
	expect_unreachable "$C" "$a" "nsd frozen, host ruleset flushed: $a"
done
in_clear nft delete table inet "$NFT_TABLE" || fail "delete the namespace's table"
expect_seen "with both tables gone, TCP from inside reaches the host's service on $HA" \
	in_clear "${CURL_NO[@]}" "http://$HA:8080/"
expect_seen "with both tables gone, UDP from inside reaches the host's service on 192.0.2.1" \
	in_clear "$PYTHON" "$NETSRV" udp 192.0.2.1 7 --timeout 1
nsd_signal main CONT
host_table_back() { [ "$(host_table)" = "$orig_host" ]; }
wait_until 100 host_table_back || fail "nsd did not put its host table back after SIGCONT"
ok "nsd, woken, put its host table back (it read the flush from the nftables events)"
clear_table_back() { [ "$(clear_table)" = "$orig_clear" ]; }
wait_until 100 clear_table_back || fail "nsd did not put the namespace's table back after SIGCONT"
ok "and its table inside the namespace (from the nftables events there), without SIGHUP"
# nsd running: root inside flushes the namespace's ruleset; the table comes back
in_clear nft flush ruleset || fail "nft flush ruleset inside"
wait_until 100 clear_table_back || fail "the namespace's table did not come back after a flush inside"
grep -q "repaired: nftables table inet $NFT_TABLE inside the namespace" "${NSD_LOG[main]}" ||
	fail "nsd did not log the repair inside the namespace"
ok "a flush inside the namespace: the table is back, without SIGHUP, and the repair logged"

# --- the connection loop during 50 flushes
cat >"$T/probe.py" <<'EOF'
import os, socket, sys, time
stop, out, marker = sys.argv[1], sys.argv[2], sys.argv[3].encode()
targets = sys.argv[4:]
tried = {a: 0 for a in targets}
got = {a: 0 for a in targets}
end = time.monotonic() + 600
while not os.path.exists(stop) and time.monotonic() < end:
    for a in targets:
        tried[a] += 1
        try:
            with socket.create_connection((a, 8080), timeout=0.2) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                if marker in s.recv(4096):
                    got[a] += 1
        except OSError:
            pass
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.settimeout(0.05)
                u.sendto(b"probe", (a, 7))
                if u.recv(64):
                    got[a] += 1
        except OSError:
            pass
    time.sleep(0.002)  # a refusal is immediate: leave the CPU to nsd and nft
with open(out, "w") as f:
    for a in targets:
        f.write(f"{a} {tried[a]} {got[a]}\n")
EOF
host0=$(wc -l <"$T/obs/host.log") ctr0=$(wc -l <"$T/obs/ctr.log")
bg probe "$C" "$PYTHON" -u "$T/probe.py" "$T/probe.stop" "$T/probe.out" "LEAK" "${targets[@]}"
lat=()
for ((i = 1; i <= 50; i++)); do
	start=$EPOCHREALTIME
	in_host nft flush ruleset || fail "flush $i: nft flush ruleset"
	for ((k = 0; k < 1000; k++)); do
		host_table_back && break
		sleep 0.01
	done
	host_table_back || fail "flush $i: nsd's table is not back after the flush (now: $(host_table | head -n 3 | tr '\n' ' '))"
	lat+=("$(awk "BEGIN { printf \"%d\", ($EPOCHREALTIME - $start) * 1000 }")")
done
touch "$T/probe.stop"
wait_until 100 test -s "$T/probe.out" || fail "the probe loop did not report"
info "probes (address, attempts, answers): $(tr '\n' ';' <"$T/probe.out")"
info "flush -> table listed back, as the test saw it (ms, with nft's own start-up): $(printf '%s\n' "${lat[@]}" | sort -n | tr '\n' ' ')"
ok "after each of 50 host flushes nsd's table was back, as it was"
awk '$2 < 1 { bad = 1 } END { exit bad }' "$T/probe.out" || fail "the probe loop did not try every address"
awk '$3 != 0 { bad = 1 } END { exit bad }' "$T/probe.out" ||
	fail "the probe loop reached the host during the flushes: $(tr '\n' ';' <"$T/probe.out")"
leaks=$(tail -n +"$((host0 + 1))" "$T/obs/host.log" | grep -c " $NA:")
[ "$leaks" = 0 ] || fail "the host's service saw $leaks connection(s) from $NA during the flushes"
[ "$(wc -l <"$T/obs/ctr.log")" = "$ctr0" ] || fail "the container saw traffic during the flushes"
ok "0 of $(awk '{ n += $2 } END { print n }' "$T/probe.out") probe rounds got through during 50 flushes; no server saw one"
grep -q "repaired: nftables table inet $NFT_TABLE on the host" "${NSD_LOG[main]}" || fail "nsd did not log its repairs"
ok "nsd logged what it repaired ($(grep -c "repaired: nftables table inet $NFT_TABLE on the host" "${NSD_LOG[main]}") times)"
info "nsd's own figures, event read -> table loaded (ms): $(grep -o 'host change handled in [0-9]*' "${NSD_LOG[main]}" | awk '{print $NF}' | sort -n | tr '\n' ' ')"
[ "$(clear_table)" = "$orig_clear" ] || fail "the namespace's table changed during the flushes"
expect_reach

# --- a deleted veth, repaired without SIGHUP
in_host ip link del "$HOST_VETH" || fail "ip link del $HOST_VETH"
wait_until 100 ns_whole || fail "the deleted veth was not repaired (no SIGHUP sent)"
grep -q "repairing the link: host veth $HOST_VETH is missing" "${NSD_LOG[main]}" || fail "nsd did not log the link repair"
ok "the deleted veth was noticed and repaired without SIGHUP"
expect_reach
for a in "$HA" 192.0.2.1 172.17.0.2; do
	expect_unreachable "$C" "$a" "after the veth repair: $a"
done

# --- a new address on the host: into the local networks of both tables
in_host ip addr add 172.19.0.1/24 dev docker0 || fail "ip addr add"
has_new_net() { local_nets_set | grep -q '172\.19\.0\.0/24' && local_nets_set "$C" | grep -q '172\.19\.0\.0/24'; }
wait_until 100 has_new_net || fail "172.19.0.0/24 is not in local_nets (host: $(local_nets_set); inside: $(local_nets_set "$C"))"
ok "a new address on docker0: its subnet is in local_nets on the host and inside"
in_host ip addr del 172.19.0.1/24 dev docker0
no_new_net() { ! local_nets_set | grep -q '172\.19\.0\.0/24' && ! local_nets_set "$C" | grep -q '172\.19\.0\.0/24'; }
wait_until 100 no_new_net || fail "172.19.0.0/24 stayed in local_nets after the address went"
ok "the address gone: its subnet left local_nets again"

finish
