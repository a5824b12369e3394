#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What clearnet-nsd does at start and stop, as the shell script of `ip`, `nft` and
# sysctl commands an administrator would write: the baseline of bench/bringup.
#
#   bringup-script.sh up     namespace, veth pair, addresses, lo, default route, sysctls,
#                            the same two nftables tables (host and namespace, one
#                            `nft -f` each), the namespace's resolv.conf
#   bringup-script.sh down   all of it removed, net.ipv4.ip_forward restored
#
# Settings (environment, defaults as in clearnet.conf):
#   NAME=clearnet HOST_VETH=veth-clearnet NS_VETH=veth0 HOST_ADDRESS=10.200.1.17/30
#   NS_ADDRESS=10.200.1.18/30 NFT_TABLE=clearnet RESOLV_CONF=/etc/resolv-over-clearnet.conf
#   ETC_NETNS_DIR=/etc/netns STATE_DIR=/run/clearnet
# The namespace goes to /run/netns/$NAME (where `ip netns add` puts it). Run it only in a
# throwaway network and mount namespace (bench/bringup does): it changes the firewall and
# sysctls of the network namespace it runs in.
set -euo pipefail

NAME=${NAME:-clearnet}
HOST_VETH=${HOST_VETH:-veth-clearnet}
NS_VETH=${NS_VETH:-veth0}
HOST_ADDRESS=${HOST_ADDRESS:-10.200.1.17/30}
NS_ADDRESS=${NS_ADDRESS:-10.200.1.18/30}
NFT_TABLE=${NFT_TABLE:-clearnet}
RESOLV_CONF=${RESOLV_CONF:-/etc/resolv-over-clearnet.conf}
ETC_NETNS_DIR=${ETC_NETNS_DIR:-/etc/netns}
STATE_DIR=${STATE_DIR:-/run/clearnet}
LINK_GROUP=25452   # 0x636c, nsd's link group of clearnet host veths

ns_ip=${NS_ADDRESS%/*}
prefixlen=${NS_ADDRESS#*/}
state=$STATE_DIR/$NAME.script-state
netns=/run/netns/$NAME

# The /30 of the namespace, for masquerading: 10.200.1.18/30 -> 10.200.1.16/30.
network() {
	local IFS=. a b c d
	read -r a b c d <<<"${1%/*}"
	local n=$(( (a << 24) | (b << 16) | (c << 8) | d ))
	local m=$(( prefixlen == 0 ? 0 : (0xffffffff << (32 - prefixlen)) & 0xffffffff ))
	n=$(( n & m ))
	echo "$(( (n >> 24) & 255 )).$(( (n >> 16) & 255 )).$(( (n >> 8) & 255 )).$(( n & 255 ))/$prefixlen"
}

host_ruleset() { # $1: "guard" when this script turned forwarding on
	local guard=
	[ "$1" != guard ] || guard="    iifgroup != $LINK_GROUP oifgroup != $LINK_GROUP drop"
	cat <<EOF
table inet $NFT_TABLE
delete table inet $NFT_TABLE
table inet $NFT_TABLE {
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname "$HOST_VETH" meta l4proto tcp reject with tcp reset
    iifname "$HOST_VETH" reject with icmpx admin-prohibited
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "$HOST_VETH" jump from_ns
    oifname "$HOST_VETH" jump to_ns
$guard
  }
  chain from_ns {
    meta nfproto != ipv4 drop
    ip saddr != $ns_ip drop
    ct state established accept
    ct state related meta l4proto icmp accept
    oifname { "$HOST_VETH", "lo" } drop
    meta oifkind "veth" drop
    oifgroup $LINK_GROUP drop
    meta l4proto { tcp, udp } ct state new accept
    drop
  }
  chain to_ns {
    meta nfproto != ipv4 drop
    ip daddr != $ns_ip drop
    ct state established accept
    ct state related meta l4proto icmp accept
    drop
  }
  chain output {
    type filter hook output priority filter - 10; policy accept;
    oifname "$HOST_VETH" ct state established,related accept
    oifname "$HOST_VETH" drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat - 10; policy accept;
    ip saddr $(network "$NS_ADDRESS") oifname != "$HOST_VETH" masquerade
  }
}
EOF
}

ns_ruleset() {
	cat <<EOF
table inet $NFT_TABLE
delete table inet $NFT_TABLE
table inet $NFT_TABLE {
  chain input {
    type filter hook input priority filter; policy drop;
    iif "lo" meta nfproto ipv4 accept
    meta nfproto ipv4 ct state established,related accept
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
  }
  chain output {
    type filter hook output priority filter; policy accept;
    meta nfproto != ipv4 drop
    oifname "$NS_VETH" ip saddr != $ns_ip drop
  }
}
EOF
}

up() {
	mkdir -p "$STATE_DIR"
	local orig_forward
	orig_forward=$(cat /proc/sys/net/ipv4/ip_forward)
	echo "$orig_forward" >"$state"

	ip netns add "$NAME"
	# Inside: no IPv6, then the namespace's own table.
	nsenter --net="$netns" sh -c '
		for i in all default lo; do echo 1 >/proc/sys/net/ipv6/conf/$i/disable_ipv6; done
		exec nft -f -' < <(ns_ruleset)
	# The host's table before any link is up or forwarding is on.
	if [ "$orig_forward" = 0 ]; then host_ruleset guard; else host_ruleset none; fi | nft -f -

	ip link add "$HOST_VETH" group "$LINK_GROUP" type veth peer name "$NS_VETH" netns "$NAME"
	echo 1 >"/proc/sys/net/ipv6/conf/$HOST_VETH/disable_ipv6"
	ip addr add "$HOST_ADDRESS" dev "$HOST_VETH"
	ip link set "$HOST_VETH" up
	ip -n "$NAME" addr add "$NS_ADDRESS" dev "$NS_VETH"
	ip -n "$NAME" link set lo up
	ip -n "$NAME" link set "$NS_VETH" up
	ip -n "$NAME" route add default via "${HOST_ADDRESS%/*}" dev "$NS_VETH" proto static

	echo 1 >"/proc/sys/net/ipv4/conf/$HOST_VETH/forwarding"
	echo 1 >/proc/sys/net/ipv4/ip_forward

	# DNS: the IPv4, non-loopback servers of resolv_conf, where `ip netns exec` looks.
	mkdir -p "$ETC_NETNS_DIR/$NAME"
	grep -E '^[[:space:]]*nameserver[[:space:]]+[0-9.]+[[:space:]]*$' "$RESOLV_CONF" |
		grep -vE 'nameserver[[:space:]]+(127|0)\.' >"$ETC_NETNS_DIR/$NAME/resolv.conf.tmp" || true
	mv "$ETC_NETNS_DIR/$NAME/resolv.conf.tmp" "$ETC_NETNS_DIR/$NAME/resolv.conf"
}

down() {
	ip link del "$HOST_VETH" 2>/dev/null || true
	ip netns del "$NAME" 2>/dev/null || true
	if [ -r "$state" ]; then
		cat "$state" >/proc/sys/net/ipv4/ip_forward
		rm -f "$state"
	fi
	nft delete table inet "$NFT_TABLE" 2>/dev/null || true
	rm -f "$ETC_NETNS_DIR/$NAME/resolv.conf"
	rmdir "$ETC_NETNS_DIR/$NAME" 2>/dev/null || true
}

case ${1-} in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
