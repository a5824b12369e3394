/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/paths.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/link.h"
#include "net/nl.h"
#include "util.h"

/* A host with more than this many links, addresses or uplinks is not one nsd knows how to
 * fence: refuse (fail closed) rather than guess. */
#define PATHS_MAX 65536

static uint32_t mask_of(int prefixlen) {
        return prefixlen <= 0 ? 0 : ~0u << (32 - prefixlen);
}

static int grow(void **array, size_t n, size_t size) {
        if (n >= PATHS_MAX)
                return -E2BIG;
        /* The capacity is 8, then the next power of two: full only at those counts. */
        if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
                return 0;
        size_t cap = n < 8 ? 8 : n * 2;
        void *p = reallocarray(*array, cap, size);
        if (!p)
                return -ENOMEM;
        *array = p;
        return 0;
}

static int add_uplink(struct net_paths *p, int ifindex) {
        for (size_t i = 0; i < p->n_uplinks; i++)
                if (p->uplinks[i] == ifindex)
                        return 0;
        int r = grow((void **) &p->uplinks, p->n_uplinks, sizeof *p->uplinks);
        if (r < 0)
                return r;
        p->uplinks[p->n_uplinks++] = ifindex;
        return 0;
}

static int add_local(struct net_paths *p, uint32_t addr, int prefixlen) {
        int r = grow((void **) &p->local, p->n_local, sizeof *p->local);
        if (r < 0)
                return r;
        p->local[p->n_local++] = (struct ipv4_prefix) {
                .addr.s_addr = htonl(addr & mask_of(prefixlen)), .prefixlen = (uint8_t) prefixlen,
        };
        return 0;
}

static bool may_be_uplink(struct nl_cache *links, int ifindex, const char *host_veth) {
        struct rtnl_link *l = rtnl_link_get(links, ifindex);
        if (!l)
                return false;
        unsigned flags = rtnl_link_get_flags(l);
        const char *name = rtnl_link_get_name(l);
        bool ok = (flags & IFF_UP) && !(flags & IFF_LOOPBACK) && rtnl_link_get_group(l) != CLEARNET_LINK_GROUP &&
                  !(name && STREQ(name, host_veth));
        rtnl_link_put(l);
        return ok;
}

static int read_uplinks(struct nl_sock *sk, struct nl_cache *links, const char *host_veth, struct net_paths *p) {
        _cleanup_cache_ struct nl_cache *routes = NULL;
        int r = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes);
        if (r < 0)
                return nl_error_to_errno(r);
        for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *) o;
                if (!link_route_is_main_default(rt))
                        continue;
                /* Every next hop of a multipath default counts; a dead one does not. */
                int nhs = rtnl_route_get_nnexthops(rt);
                for (int i = 0; i < nhs; i++) {
                        struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, i);
                        int ifindex = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
                        if (ifindex <= 0 || (rtnl_route_nh_get_flags(nh) & (RTNH_F_DEAD | RTNH_F_LINKDOWN)) ||
                            !may_be_uplink(links, ifindex, host_veth))
                                continue;
                        if ((r = add_uplink(p, ifindex)) < 0)
                                return r;
                }
        }
        return 0;
}

static bool is_uplink(const struct net_paths *p, int ifindex) {
        for (size_t i = 0; i < p->n_uplinks; i++)
                if (p->uplinks[i] == ifindex)
                        return true;
        return false;
}

static uint32_t addr_value(struct nl_addr *a) {
        uint32_t v;
        memcpy(&v, nl_addr_get_binary_addr(a), 4);
        return ntohl(v);
}

/* One address: itself, its broadcast, and (on a link that is no uplink) its prefix. */
static int add_address(struct net_paths *p, struct rtnl_addr *a) {
        struct nl_addr *local = rtnl_addr_get_local(a), *peer = rtnl_addr_get_peer(a);
        if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4)
                return 0;
        int plen = rtnl_addr_get_prefixlen(a), r;
        uint32_t v = addr_value(local);
        if ((r = add_local(p, v, 32)) < 0)
                return r;
        if (plen < 31 && (r = add_local(p, v | ~mask_of(plen), 32)) < 0)
                return r;
        if (is_uplink(p, rtnl_addr_get_ifindex(a)))
                return 0;
        /* A point-to-point address's prefix is its peer's. */
        if (peer && nl_addr_get_len(peer) == 4)
                v = addr_value(peer);
        return add_local(p, v, plen);
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;
        return (x > y) - (x < y);
}

static int cmp_prefix_wide_first(const void *a, const void *b) {
        const struct ipv4_prefix *x = a, *y = b;
        if (x->prefixlen != y->prefixlen)
                return x->prefixlen - y->prefixlen;
        uint32_t u = ntohl(x->addr.s_addr), v = ntohl(y->addr.s_addr);
        return (u > v) - (u < v);
}

static int cmp_prefix_addr(const void *a, const void *b) {
        uint32_t u = ntohl(((const struct ipv4_prefix *) a)->addr.s_addr);
        uint32_t v = ntohl(((const struct ipv4_prefix *) b)->addr.s_addr);
        return (u > v) - (u < v);
}

static bool contains(const struct ipv4_prefix *outer, const struct ipv4_prefix *inner) {
        uint32_t m = mask_of(outer->prefixlen);
        return outer->prefixlen <= inner->prefixlen &&
               (ntohl(inner->addr.s_addr) & m) == (ntohl(outer->addr.s_addr) & m);
}

/* Prefixes nest or are disjoint: keeping the widest of each nest makes the set disjoint,
 * as an nftables interval set wants it. */
static void normalize_local(struct net_paths *p) {
        qsort(p->local, p->n_local, sizeof *p->local, cmp_prefix_wide_first);
        size_t kept = 0;
        for (size_t i = 0; i < p->n_local; i++) {
                bool inside = false;
                for (size_t k = 0; k < kept && !inside; k++)
                        inside = contains(&p->local[k], &p->local[i]);
                if (!inside)
                        p->local[kept++] = p->local[i];
        }
        p->n_local = kept;
        qsort(p->local, p->n_local, sizeof *p->local, cmp_prefix_addr);
}

static int read_local(struct nl_sock *sk, const struct ipv4_prefix *own, struct net_paths *p) {
        static const struct { uint32_t addr; int prefixlen; } always[] = {
                { 0x7f000000, 8 },      /* loopback, whatever lo holds (route_localnet) */
                { 0xe0000000, 4 },      /* multicast: the host's mDNS, SSDP listeners */
                { 0xffffffff, 32 },     /* limited broadcast */
        };
        int r;
        for (size_t i = 0; i < ELEMENTSOF(always); i++)
                if ((r = add_local(p, always[i].addr, always[i].prefixlen)) < 0)
                        return r;
        /* The host veth's subnet, before and whether or not the veth exists now. */
        if ((r = add_local(p, ntohl(own->addr.s_addr), own->prefixlen)) < 0)
                return r;
        _cleanup_cache_ struct nl_cache *addrs = NULL;
        r = rtnl_addr_alloc_cache(sk, &addrs);
        if (r < 0)
                return nl_error_to_errno(r);
        for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o))
                if ((r = add_address(p, (struct rtnl_addr *) o)) < 0)
                        return r;
        normalize_local(p);
        return 0;
}

int paths_read(struct nl_sock *host_sk, const char *host_veth, const struct ipv4_prefix *host_address,
               struct net_paths *ret) {
        struct net_paths p = {};
        _cleanup_cache_ struct nl_cache *links = NULL;
        int r = rtnl_link_alloc_cache(host_sk, AF_UNSPEC, &links);
        if (r < 0)
                return nl_error_to_errno(r);
        if ((r = read_uplinks(host_sk, links, host_veth, &p)) < 0 || (r = read_local(host_sk, host_address, &p)) < 0) {
                paths_done(&p);
                return r;
        }
        if (p.n_uplinks)
                qsort(p.uplinks, p.n_uplinks, sizeof *p.uplinks, cmp_int);
        *ret = p;
        return 0;
}

void paths_done(struct net_paths *p) {
        free(p->uplinks);
        free(p->local);
        *p = (struct net_paths) {};
}

bool paths_same_uplinks(const struct net_paths *a, const struct net_paths *b) {
        return a->n_uplinks == b->n_uplinks &&
               (!a->n_uplinks || memcmp(a->uplinks, b->uplinks, a->n_uplinks * sizeof *a->uplinks) == 0);
}

bool paths_equal(const struct net_paths *a, const struct net_paths *b) {
        if (!paths_same_uplinks(a, b) || a->n_local != b->n_local)
                return false;
        for (size_t i = 0; i < a->n_local; i++)
                if (a->local[i].addr.s_addr != b->local[i].addr.s_addr || a->local[i].prefixlen != b->local[i].prefixlen)
                        return false;
        return true;
}

/* Items i of n, each printed by item(), joined by sep, in a memstream. */
static int join(size_t n, void (*item)(FILE *f, const struct net_paths *p, size_t i), const struct net_paths *p,
                const char *before, const char *sep, const char *after, const char *none, char **ret) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        if (n == 0)
                fputs(none, f);
        else {
                fputs(before, f);
                for (size_t i = 0; i < n; i++) {
                        fputs(i ? sep : "", f);
                        item(f, p, i);
                }
                fputs(after, f);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

static void uplink_index(FILE *f, const struct net_paths *p, size_t i) {
        fprintf(f, "%d", p->uplinks[i]);
}

static void uplink_name(FILE *f, const struct net_paths *p, size_t i) {
        char name[IF_NAMESIZE];
        fprintf(f, "%s (%d)", if_indextoname((unsigned) p->uplinks[i], name) ? name : "?", p->uplinks[i]);
}

static void local_prefix(FILE *f, const struct net_paths *p, size_t i) {
        char text[INET_ADDRSTRLEN];
        fprintf(f, "%s/%u", inet_ntop(AF_INET, &p->local[i].addr, text, sizeof text) ? text : "0.0.0.0",
                (unsigned) p->local[i].prefixlen);
}

int paths_uplink_elements(const struct net_paths *p, char **ret) {
        return join(p->n_uplinks, uplink_index, p, "    elements = { ", ", ", " }\n", "", ret);
}

int paths_local_elements(const struct net_paths *p, char **ret) {
        return join(p->n_local, local_prefix, p, "    elements = { ", ", ", " }\n", "", ret);
}

int paths_describe_uplinks(const struct net_paths *p, char **ret) {
        return join(p->n_uplinks, uplink_name, p, "", ", ", "", "none", ret);
}
