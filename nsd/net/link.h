/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The veth pair between host and namespace, its addresses and the namespace's routes,
 * all through libnl-route. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

struct nl_sock;
struct rtnl_route;

/* Link group of every clearnet host veth: the forward guard of each instance lets the
 * traffic of the others through (each instance polices its own veth). */
#define CLEARNET_LINK_GROUP 0x636c

struct link_params {
        const char *host_veth;
        const char *ns_veth;
        struct ipv4_prefix host_address;
        struct ipv4_prefix ns_address;
        bool no_default_route;  /* tor-ports: the namespace reaches its host end only */
};

/* -EBUSY, with the offending link's name in ret_name, when the namespace holds anything
 * but lo and veth links: then it is somebody else's and must not be adopted. */
int link_ns_adoptable(struct nl_sock *ns_sk, char *ret_name, size_t size);
/* ifindex of a host link by name, -ENODEV if none; ret_is_veth may be NULL. */
int link_lookup(struct nl_sock *sk, const char *name, int *ret_ifindex, int *ret_is_veth);
/* Is the host veth's peer inside the namespace of ns_sk? 1 yes, 0 no. */
int link_peer_is_in(struct nl_sock *ns_sk, int host_ifindex);
/* 0 when the pair, addresses, lo and routes are exactly as configured; else a negative
 * errno and a short reason. */
int link_verify(struct nl_sock *host_sk, struct nl_sock *ns_sk, const struct link_params *p,
                char *ret_reason, size_t size);
/* Remove every link but lo in the namespace (veth peers on the host go with them). */
int link_flush_ns(struct nl_sock *ns_sk);
int link_delete(struct nl_sock *sk, const char *name);
/* Create the pair, down and without addresses; the peer goes straight into ns_fd. */
int link_create_pair(struct nl_sock *host_sk, int ns_fd, const struct link_params *p);
/* Addresses on both ends, both ends and lo up, default route inside via the host end. */
int link_configure(struct nl_sock *host_sk, struct nl_sock *ns_sk, const struct link_params *p);
/* Some address on the host overlaps net, other than on a veth whose peer is in the
 * namespace of ns_sk (may be NULL)? 1 with a description ("10.200.1.1/24 on eth0"). */
int link_find_overlap(struct nl_sock *host_sk, struct nl_sock *ns_sk, const struct ipv4_prefix *net,
                      char *ret_desc, size_t size);
int link_set_up(struct nl_sock *sk, const char *name);
/* A unicast IPv4 route to 0.0.0.0/0 in the main table? */
bool link_route_is_main_default(struct rtnl_route *rt);
/* Does the namespace of sk have an IPv4 default route (is the machine on a network)? */
int link_has_default_route(struct nl_sock *sk);
