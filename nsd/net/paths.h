/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the namespace's traffic may go, read from the host's links, routes and addresses:
 * the uplinks (an allow-list of output links) and the host's local networks (what must
 * never be a destination). nsd keeps both as nftables sets, current with every change. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

struct nl_sock;

struct net_paths {
        /* Uplinks: links that are up and carry an IPv4 default route (a unicast route to
         * 0.0.0.0/0) in the main table, through a live next hop; never lo, never a clearnet
         * veth. Sorted ifindexes. */
        int *uplinks;
        size_t n_uplinks;
        /* The host's own: each of its IPv4 addresses and their broadcast addresses, the
         * prefixes of every link that is not an uplink (other veths, container bridges,
         * macvlan, tunnels, lo), the host veth's subnet, 127.0.0.0/8, 224.0.0.0/4,
         * 255.255.255.255. Disjoint,
         * sorted by address. The uplinks' own subnets are not in it: LAN hosts there (a
         * captive portal, the router) stay reachable. */
        struct ipv4_prefix *local;
        size_t n_local;
};

/* Read the current paths from the host namespace of host_sk. host_veth is never an uplink;
 * the subnet of host_address is always local. */
int paths_read(struct nl_sock *host_sk, const char *host_veth, const struct ipv4_prefix *host_address,
               struct net_paths *ret);
void paths_done(struct net_paths *p);
bool paths_equal(const struct net_paths *a, const struct net_paths *b);
bool paths_same_uplinks(const struct net_paths *a, const struct net_paths *b);
/* "elements = { … }" lines for the nftables sets (an empty string for an empty set). */
int paths_uplink_elements(const struct net_paths *p, char **ret);
int paths_local_elements(const struct net_paths *p, char **ret);
/* "br-up (3), wlan0 (5)" or "none", for the log. */
int paths_describe_uplinks(const struct net_paths *p, char **ret);
