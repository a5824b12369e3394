#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The harness itself, without nsd: the throwaway topology comes up, the simulated internet
# serves HTTP, UDP and DNS, the observers count, and the checks can tell reachable from not.
# If this fails, every other integration test would fail for reasons that are not nsd's.
. "$(dirname "$0")/lib.sh"

topo_setup
topo_sibling
services_start

# DNS from the host, through the real dnsmasq in inet
out=$(in_host "$PYTHON" - <<'PY' 2>&1
import socket, struct
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in "www.example.test".split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(q, ("192.0.2.53", 53)); r = s.recv(512)
print(".".join(str(b) for b in r[-4:]))
PY
)
[ "$out" = 192.0.2.80 ] || fail "harness: dnsmasq in inet answers www.example.test: got '$out'"
ok "harness: dnsmasq in inet answers www.example.test = 192.0.2.80"

# The observers see what gets through, and the negative checks notice it.
before=$(observed)
expect_udp "$SIB" 10.99.0.1 7 "harness: sibling reaches the host's UDP echo (no firewall yet)"
[ "$(observed)" != "$before" ] || fail "harness: the host's listener did not log the datagram"
ok "harness: observers log what arrives"
expect_http "$SIB" http://10.99.0.1:8080/ "$HOST_MARKER" "harness: sibling reaches the host's TCP service"

# With forwarding on and no firewall, the sibling's traffic reaches inet unmasqueraded,
# and the watch table counts it: the "not forwarded" checks are able to fail.
in_host sysctl -qw net.ipv4.ip_forward=1
before=$(observed)
expect_http "$SIB" http://198.51.100.7:8080/ "$INET_MARKER" "harness: with ip_forward=1 and no nsd, the sibling reaches inet"
after=$(observed)
[ "$before" != "$after" ] || fail "harness: the inet watch table did not count unmasqueraded traffic"
ok "harness: the inet watch table counts unmasqueraded traffic ($(observed_diff "$before" "$after"))"
in_host sysctl -qw net.ipv4.ip_forward=0
expect_no_tcp "$SIB" http://198.51.100.7:8080/ "harness: with ip_forward=0 the sibling does not reach inet"
expect_no_udp "$SIB" 198.51.100.7 7 "harness: with ip_forward=0 no UDP from the sibling reaches inet"

# Snapshots are stable when nothing changes.
snapshot "$T/snap1"
sleep 1
snapshot "$T/snap2"
expect_same_snapshot "$T/snap1" "$T/snap2" "harness: host snapshots are stable"

# Nothing escaped to the machine: our namespaces live in our private /run/netns only.
[ "$(ls /run/netns | sort | tr '\n' ' ')" = "host inet sib " ] || fail "harness: /run/netns holds $(ls /run/netns)"
ok "harness: namespaces host, inet, sib in the private /run/netns"
