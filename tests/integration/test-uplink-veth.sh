#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A host whose uplink is a veth (the host is itself a container, or a VM guest wired with
# a veth), with a docker0-style bridge and a container behind it: the clearnet namespace
# reaches the internet through that veth (TCP, UDP, DNS by name), and neither the
# container nor the host's bridge address, though both answer the host itself; with the
# namespace's own table removed (root inside can), the host side alone still holds.
. "$(dirname "$0")/lib.sh"

topo_setup
topo_veth_uplink
topo_docker
services_start

expect_host_reaches 172.17.0.2 "$CTR_MARKER" "the container behind docker0 (172.17.0.2)"
expect_host_reaches 172.17.0.1 "$HOST_MARKER" "the host's own docker0 address (172.17.0.1)"

conf=$T/cfg/nsd.conf
write_conf "$conf"
nsd_start "$conf"

[ "$(uplink_set)" = "upl-port " ] || fail "uplinks set is '$(uplink_set)', expected the veth upl-port alone"
ok "nsd's uplinks set holds the veth upl-port"
expect_reach
# the container behind docker0, the host's docker0 address, its address on the uplink
expect_fenced "as made" 172.17.0.2 172.17.0.1 192.0.2.1
expect_reach

finish
