/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/link.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <stdarg.h>
#include <stdio.h>

#include "net/nl.h"
#include "util.h"

static inline void link_putp(struct rtnl_link **l) { if (*l) rtnl_link_put(*l); }
static inline void nladdr_putp(struct nl_addr **a) { if (*a) nl_addr_put(*a); }
static inline void addr_putp(struct rtnl_addr **a) { if (*a) rtnl_addr_put(*a); }
static inline void route_putp(struct rtnl_route **r) { if (*r) rtnl_route_put(*r); }
#define _cleanup_link_ _cleanup_(link_putp)
#define _cleanup_nladdr_ _cleanup_(nladdr_putp)

static int get_link(struct nl_sock *sk, const char *name, struct rtnl_link **ret) {
        int r = rtnl_link_get_kernel(sk, 0, name, ret);
        return r < 0 ? nl_error_to_errno(r) : 0;
}

static int is_veth(struct rtnl_link *l) {
        const char *type = rtnl_link_get_type(l);
        return type && STREQ(type, "veth");
}

int link_lookup(struct nl_sock *sk, const char *name, int *ret_ifindex, int *ret_is_veth) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r = get_link(sk, name, &l);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        *ret_ifindex = rtnl_link_get_ifindex(l);
        if (ret_is_veth)
                *ret_is_veth = is_veth(l);
        return 0;
}

/* fn(link, sk, arg) for each link of sk's namespace, until one returns non-zero: that. */
static int links_each(struct nl_sock *sk, int (*fn)(struct rtnl_link *l, struct nl_sock *sk, void *arg), void *arg) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        int r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
        if (r < 0)
                return nl_error_to_errno(r);
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
                if ((r = fn((struct rtnl_link *) o, sk, arg)) != 0)
                        return r;
        return 0;
}

struct name_buf {
        char *buf;
        size_t size;
};

static int foreign_link(struct rtnl_link *l, struct nl_sock *sk, void *arg) {
        const struct name_buf *n = arg;
        const char *name = rtnl_link_get_name(l);
        if ((rtnl_link_get_flags(l) & IFF_LOOPBACK) || is_veth(l))
                return 0;
        snprintf(n->buf, n->size, "%s", name ? name : "?");
        return -EBUSY;
}

int link_ns_adoptable(struct nl_sock *ns_sk, char *ret_name, size_t size) {
        struct name_buf n = { ret_name, size };
        return links_each(ns_sk, foreign_link, &n);
}

static int peer_of(struct rtnl_link *l, struct nl_sock *sk, void *arg) {
        return is_veth(l) && rtnl_link_get_link(l) == *(const int *) arg;
}

int link_peer_is_in(struct nl_sock *ns_sk, int host_ifindex) {
        return links_each(ns_sk, peer_of, &host_ifindex);
}

static int delete_unless_lo(struct rtnl_link *l, struct nl_sock *sk, void *arg) {
        if (rtnl_link_get_flags(l) & IFF_LOOPBACK)
                return 0;
        int r = rtnl_link_delete(sk, l);
        if (r < 0 && nl_error_to_errno(r) != -ENODEV && nl_error_to_errno(r) != -ENOENT)
                return nl_error_to_errno(r);
        return 0;
}

int link_flush_ns(struct nl_sock *ns_sk) {
        return links_each(ns_sk, delete_unless_lo, NULL);
}

int link_delete(struct nl_sock *sk, const char *name) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r = get_link(sk, name, &l);
        if (r == -ENOENT || r == -ENODEV)
                return 0;
        if (r < 0)
                return r;
        r = rtnl_link_delete(sk, l);
        return r < 0 ? nl_error_to_errno(r) : 0;
}

int link_create_pair(struct nl_sock *host_sk, int ns_fd, const struct link_params *p) {
        _cleanup_link_ struct rtnl_link *host = rtnl_link_veth_alloc();
        if (!host)
                return -ENOMEM;
        _cleanup_link_ struct rtnl_link *peer = rtnl_link_veth_get_peer(host);
        if (!peer)
                return -ENOMEM;
        rtnl_link_set_name(host, p->host_veth);
        rtnl_link_set_group(host, CLEARNET_LINK_GROUP);
        rtnl_link_set_name(peer, p->ns_veth);
        rtnl_link_set_ns_fd(peer, ns_fd);
        int r = rtnl_link_add(host_sk, host, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? nl_error_to_errno(r) : 0;
}

int link_set_up(struct nl_sock *sk, const char *name) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r = get_link(sk, name, &l);
        if (r < 0)
                return r;
        _cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();
        if (!change)
                return -ENOMEM;
        rtnl_link_set_flags(change, IFF_UP);
        r = rtnl_link_change(sk, l, change, 0);
        return r < 0 ? nl_error_to_errno(r) : 0;
}

static int build_addr(const struct in_addr *a, int prefixlen, struct nl_addr **ret) {
        struct nl_addr *addr = nl_addr_build(AF_INET, a, sizeof *a);
        if (!addr)
                return -ENOMEM;
        nl_addr_set_prefixlen(addr, prefixlen);
        *ret = addr;
        return 0;
}

static int add_address(struct nl_sock *sk, const char *ifname, const struct ipv4_prefix *pfx) {
        int ifindex, r = link_lookup(sk, ifname, &ifindex, NULL);
        if (r < 0)
                return r;
        _cleanup_(addr_putp) struct rtnl_addr *addr = rtnl_addr_alloc();
        _cleanup_nladdr_ struct nl_addr *local = NULL;
        if (!addr)
                return -ENOMEM;
        r = build_addr(&pfx->addr, pfx->prefixlen, &local);
        if (r < 0)
                return r;
        rtnl_addr_set_ifindex(addr, ifindex);
        r = rtnl_addr_set_local(addr, local);
        if (r < 0)
                return nl_error_to_errno(r);
        rtnl_addr_set_prefixlen(addr, pfx->prefixlen);
        r = rtnl_addr_add(sk, addr, NLM_F_REPLACE);
        return r < 0 ? nl_error_to_errno(r) : 0;
}

static int add_default_route(struct nl_sock *ns_sk, const char *ifname, const struct in_addr *gw) {
        int ifindex, r = link_lookup(ns_sk, ifname, &ifindex, NULL);
        if (r < 0)
                return r;
        _cleanup_(route_putp) struct rtnl_route *route = rtnl_route_alloc();
        _cleanup_nladdr_ struct nl_addr *dst = NULL, *gateway = NULL;
        if (!route)
                return -ENOMEM;
        struct in_addr any = { 0 };
        if ((r = build_addr(&any, 0, &dst)) < 0 || (r = build_addr(gw, 32, &gateway)) < 0)
                return r;
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        if (!nh)
                return -ENOMEM;
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_nh_set_gateway(nh, gateway);
        rtnl_route_add_nexthop(route, nh); /* route owns nh now */
        rtnl_route_set_family(route, AF_INET);
        rtnl_route_set_table(route, RT_TABLE_MAIN);
        rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
        rtnl_route_set_protocol(route, RTPROT_STATIC);
        r = rtnl_route_set_dst(route, dst);
        if (r < 0)
                return nl_error_to_errno(r);
        r = rtnl_route_add(ns_sk, route, NLM_F_CREATE | NLM_F_REPLACE);
        return r < 0 ? nl_error_to_errno(r) : 0;
}

int link_configure(struct nl_sock *host_sk, struct nl_sock *ns_sk, const struct link_params *p) {
        int r;
        if ((r = add_address(host_sk, p->host_veth, &p->host_address)) < 0 ||
            (r = add_address(ns_sk, p->ns_veth, &p->ns_address)) < 0 ||
            (r = link_set_up(ns_sk, "lo")) < 0 ||
            (r = link_set_up(ns_sk, p->ns_veth)) < 0 ||
            (r = link_set_up(host_sk, p->host_veth)) < 0 ||
            (!p->no_default_route && (r = add_default_route(ns_sk, p->ns_veth, &p->host_address.addr)) < 0))
                return r;
        return 0;
}

static uint32_t mask_of(int prefixlen) {
        return prefixlen <= 0 ? 0 : ~0u << (32 - prefixlen);
}

/* Exactly one address on ifindex, equal to want; nothing of another family. */
static int verify_addresses(struct nl_sock *sk, int ifindex, const struct ipv4_prefix *want,
                            const char *ifname, char *why, size_t size) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        int r = rtnl_addr_alloc_cache(sk, &cache);
        if (r < 0)
                return nl_error_to_errno(r);
        int found = 0, others = 0;
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                if (rtnl_addr_get_ifindex(a) != ifindex)
                        continue;
                struct nl_addr *local = rtnl_addr_get_local(a);
                if (rtnl_addr_get_family(a) == AF_INET && local && nl_addr_get_len(local) == 4 &&
                    memcmp(nl_addr_get_binary_addr(local), &want->addr, 4) == 0 &&
                    rtnl_addr_get_prefixlen(a) == want->prefixlen)
                        found++;
                else
                        others++;
        }
        if (found != 1 || others != 0)
                return reason_into(why, size, -EADDRNOTAVAIL, "addresses on %s differ from the configuration", ifname);
        return 0;
}

/* Main table: the default route via the host end and the kernel's subnet route, no other. */
static int verify_routes(struct nl_sock *ns_sk, int ifindex, const struct link_params *p, char *why, size_t size) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        int r = rtnl_route_alloc_cache(ns_sk, AF_INET, 0, &cache);
        if (r < 0)
                return nl_error_to_errno(r);
        bool have_default = false;
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *) o;
                if (rtnl_route_get_table(rt) != RT_TABLE_MAIN)
                        continue;
                struct nl_addr *dst = rtnl_route_get_dst(rt);
                struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(rt) == 1 ? rtnl_route_nexthop_n(rt, 0) : NULL;
                int plen = dst ? (int) nl_addr_get_prefixlen(dst) : -1;
                if (!nh || rtnl_route_nh_get_ifindex(nh) != ifindex || rtnl_route_get_type(rt) != RTN_UNICAST)
                        return reason_into(why, size, -EINVAL, "unexpected route in the namespace");
                struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);
                if (plen == 0 && gw && nl_addr_get_len(gw) == 4 && !p->no_default_route &&
                    memcmp(nl_addr_get_binary_addr(gw), &p->host_address.addr, 4) == 0 && !have_default) {
                        have_default = true;
                        continue;
                }
                uint32_t net = ntohl(p->ns_address.addr.s_addr) & mask_of(p->ns_address.prefixlen);
                if (plen == p->ns_address.prefixlen && !gw && nl_addr_get_len(dst) == 4) {
                        uint32_t d;
                        memcpy(&d, nl_addr_get_binary_addr(dst), 4);
                        if (ntohl(d) == net)
                                continue;
                }
                return reason_into(why, size, -EINVAL, "unexpected route in the namespace");
        }
        if (!have_default && !p->no_default_route)
                return reason_into(why, size, -ENETUNREACH, "default route in the namespace is missing");
        return 0;
}

int link_verify(struct nl_sock *host_sk, struct nl_sock *ns_sk, const struct link_params *p,
                char *why, size_t size) {
        _cleanup_link_ struct rtnl_link *host = NULL, *ns = NULL, *lo = NULL;
        if (get_link(host_sk, p->host_veth, &host) < 0 || !is_veth(host))
                return reason_into(why, size, -ENODEV, "host veth %s is missing", p->host_veth);
        if (get_link(ns_sk, p->ns_veth, &ns) < 0 || !is_veth(ns))
                return reason_into(why, size, -ENODEV, "veth %s in the namespace is missing", p->ns_veth);
        if (rtnl_link_get_link(ns) != rtnl_link_get_ifindex(host))
                return reason_into(why, size, -ENODEV, "%s is not the peer of %s", p->ns_veth, p->host_veth);
        if (rtnl_link_get_group(host) != CLEARNET_LINK_GROUP)
                return reason_into(why, size, -EINVAL, "link group of %s changed", p->host_veth);
        if (get_link(ns_sk, "lo", &lo) < 0 || !(rtnl_link_get_flags(lo) & IFF_UP))
                return reason_into(why, size, -ENETDOWN, "lo in the namespace is down");
        if (!(rtnl_link_get_flags(host) & IFF_UP) || !(rtnl_link_get_flags(ns) & IFF_UP))
                return reason_into(why, size, -ENETDOWN, "the veth pair is down");
        int r;
        if ((r = verify_addresses(host_sk, rtnl_link_get_ifindex(host), &p->host_address, p->host_veth, why, size)) < 0 ||
            (r = verify_addresses(ns_sk, rtnl_link_get_ifindex(ns), &p->ns_address, p->ns_veth, why, size)) < 0)
                return r;
        return verify_routes(ns_sk, rtnl_link_get_ifindex(ns), p, why, size);
}

int link_find_overlap(struct nl_sock *host_sk, struct nl_sock *ns_sk, const struct ipv4_prefix *net,
                      char *ret_desc, size_t size) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        int r = rtnl_addr_alloc_cache(host_sk, &cache);
        if (r < 0)
                return nl_error_to_errno(r);
        uint32_t want = ntohl(net->addr.s_addr);
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                struct nl_addr *local = rtnl_addr_get_local(a);
                if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4)
                        continue;
                uint32_t have;
                memcpy(&have, nl_addr_get_binary_addr(local), 4);
                have = ntohl(have);
                int plen = rtnl_addr_get_prefixlen(a);
                uint32_t m = mask_of(plen < net->prefixlen ? plen : net->prefixlen);
                if ((have & m) != (want & m))
                        continue;
                /* Our own veth, whatever it is called now, is no conflict. */
                if (ns_sk && link_peer_is_in(ns_sk, rtnl_addr_get_ifindex(a)) > 0)
                        continue;
                char ifname[IF_NAMESIZE] = "?", text[INET_ADDRSTRLEN];
                struct in_addr h = { htonl(have) };
                if (!if_indextoname((unsigned) rtnl_addr_get_ifindex(a), ifname))
                        snprintf(ifname, sizeof ifname, "?");
                snprintf(ret_desc, size, "%s/%d on %s", inet_ntop(AF_INET, &h, text, sizeof text), plen, ifname);
                return 1;
        }
        return 0;
}

bool link_route_is_main_default(struct rtnl_route *rt) {
        struct nl_addr *dst = rtnl_route_get_dst(rt);
        return rtnl_route_get_family(rt) == AF_INET && rtnl_route_get_table(rt) == RT_TABLE_MAIN &&
               rtnl_route_get_type(rt) == RTN_UNICAST && (!dst || nl_addr_get_prefixlen(dst) == 0);
}

int link_has_default_route(struct nl_sock *sk) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        int r = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
        if (r < 0)
                return nl_error_to_errno(r);
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
                if (link_route_is_main_default((struct rtnl_route *) o))
                        return 1;
        return 0;
}
