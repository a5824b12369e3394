#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Tails' five namespaces the tails-create-netns way, a shell script of `ip`, `nft` and
# sysctl calls: the baseline of `bench/bringup --tails`. The clearnet namespace is
# bringup-script.sh's; tbb, onioncircs, tca and onionshare (kind tor-ports) get what
# clearnet-nsd gives them: a namespace, a veth pair with addresses, lo up, IPv6 off,
# route_localnet on the host veth (and inside), forwarding off, and the same two nftables
# tables (host: DNAT of the exposed ports to 127.0.0.1, nothing else in or through;
# inside: 127.0.0.1:PORT to the host end), one `nft -f` each.
#
#   bringup-tails.sh up | down
#
# Settings: those of bringup-script.sh, for the clearnet namespace. Run it only in a
# throwaway network and mount namespace (bench/bringup does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
NFT_TABLE=${NFT_TABLE:-clearnet}
ETC_NETNS_DIR=${ETC_NETNS_DIR:-/etc/netns}
LINK_GROUP=25452
# name, exposed ports, host address, namespace address
TOR_NAMESPACES=(
	"tbb 9050,951 10.200.1.1 10.200.1.2"
	"onioncircs 951 10.200.1.5 10.200.1.6"
	"tca 951 10.200.1.9 10.200.1.10"
	"onionshare 9050,951 10.200.1.13 10.200.1.14"
)

tor_host_ruleset() { # name veth ports host ns
	cat <<RULES
table inet ${NFT_TABLE}_$1
delete table inet ${NFT_TABLE}_$1
table inet ${NFT_TABLE}_$1 {
  chain prerouting {
    type nat hook prerouting priority -110; policy accept;
    iifname "$2" ip saddr $5 ip daddr $4 tcp dport { $3 } dnat ip to 127.0.0.1
  }
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname "$2" meta nfproto ipv4 ip saddr $5 ip daddr 127.0.0.1 tcp dport { $3 } ct status dnat ct original ip daddr $4 accept
    iifname "$2" meta l4proto tcp reject with tcp reset
    iifname "$2" reject with icmpx admin-prohibited
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "$2" drop
    oifname "$2" drop
  }
  chain output {
    type filter hook output priority filter - 10; policy accept;
    oifname "$2" ct state established,related accept
    oifname "$2" drop
  }
}
RULES
}

tor_ns_ruleset() { # name ports host ns
	cat <<RULES
table inet ${NFT_TABLE}_$1
delete table inet ${NFT_TABLE}_$1
table inet ${NFT_TABLE}_$1 {
  chain nat_output {
    type nat hook output priority -110; policy accept;
    ip daddr 127.0.0.1 tcp dport { $2 } dnat ip to $3
  }
  chain postrouting {
    type nat hook postrouting priority srcnat - 10; policy accept;
    oifname "veth0" ip saddr != $4 snat ip to $4
  }
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
    oif "lo" accept
    oifname "veth0" ip daddr $3 tcp dport { $2 } accept
    oifname "veth0" ct state established,related accept
    reject with icmpx admin-prohibited
  }
}
RULES
}

tor_up() { # name ports host ns
	local name=$1 ports=$2 host=$3 ns=$4 veth=veth-$1
	ip netns add "$name"
	nsenter --net="/run/netns/$name" sh -c '
		for i in all default lo; do echo 1 >/proc/sys/net/ipv6/conf/$i/disable_ipv6; done
		echo 1 >/proc/sys/net/ipv4/conf/all/route_localnet
		exec nft -f -' < <(tor_ns_ruleset "$name" "$ports" "$host" "$ns")
	tor_host_ruleset "$name" "$veth" "$ports" "$host" "$ns" | nft -f -
	ip link add "$veth" group "$LINK_GROUP" type veth peer name veth0 netns "$name"
	echo 1 >"/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
	echo 1 >"/proc/sys/net/ipv4/conf/$veth/route_localnet"
	echo 0 >"/proc/sys/net/ipv4/conf/$veth/forwarding"
	ip addr add "$host/30" dev "$veth"
	ip link set "$veth" up
	ip -n "$name" addr add "$ns/30" dev veth0
	ip -n "$name" link set lo up
	ip -n "$name" link set veth0 up
	mkdir -p "$ETC_NETNS_DIR/$name"
	echo "# no DNS in a tor-ports namespace" >"$ETC_NETNS_DIR/$name/resolv.conf"
}

tor_down() { # name
	ip link del "veth-$1" 2>/dev/null || true
	ip netns del "$1" 2>/dev/null || true
	nft delete table inet "${NFT_TABLE}_$1" 2>/dev/null || true
	rm -f "$ETC_NETNS_DIR/$1/resolv.conf"
	rmdir "$ETC_NETNS_DIR/$1" 2>/dev/null || true
}

case ${1-} in
up)
	"$here/bringup-script.sh" up
	for t in "${TOR_NAMESPACES[@]}"; do
		# shellcheck disable=SC2086
		tor_up $t
	done
	;;
down)
	for t in "${TOR_NAMESPACES[@]}"; do
		tor_down "${t%% *}"
	done
	"$here/bringup-script.sh" down
	;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
