/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What changes on the host under nsd: links, IPv4 addresses and default routes (a raw
 * NETLINK_ROUTE socket), and nftables (NETLINK_NETFILTER, NFNLGRP_NFTABLES) on the host
 * and inside the namespace, all read without blocking, behind one epoll fd for the server's poll loop. Also the rate limit of
 * the repairs that follow, so that an event storm cannot keep nsd busy. */
#pragma once
#include <stdint.h>

enum {
        MONITOR_PATHS = 1 << 0,  /* a link, an IPv4 address or a main-table default route */
        MONITOR_LINK = 1 << 1,   /* the host veth or an address on it changed, or it went */
        MONITOR_TABLE = 1 << 2,  /* nsd's nftables table on the host changed or went */
        MONITOR_INNER = 1 << 3,  /* nsd's table inside the namespace changed or went */
        MONITOR_ALL = MONITOR_PATHS | MONITOR_LINK | MONITOR_TABLE | MONITOR_INNER,  /* events were lost */
};

/* Repairs right away, per second; beyond that one every MONITOR_SPACING_MS. */
#define MONITOR_BURST 20
#define MONITOR_SPACING_MS 100
/* A repair that failed is tried again after this. */
#define MONITOR_RETRY_MS 1000

struct monitor {
        int epoll_fd;           /* the one fd to poll: the two sockets and the timer */
        int route_fd;
        int nft_fd;
        int inner_fd;           /* nftables events inside the namespace, once it exists */
        int timer_fd;           /* a repair held back by the rate limit */
        unsigned pending;       /* MONITOR_* seen and not repaired yet */
        uint64_t window_ms;     /* the second in which repairs counts */
        unsigned repairs;
        uint64_t last_ms;       /* the last repair */
};

#define MONITOR_NONE ((struct monitor) { .epoll_fd = -1, .route_fd = -1, .nft_fd = -1, .inner_fd = -1, \
                                        .timer_fd = -1 })

/* Open the sockets in the calling thread's network namespace. */
int monitor_open(struct monitor *m);
/* Also follow nftables inside the namespace the calling thread is in now (once). */
int monitor_watch_inner(struct monitor *m);
void monitor_close(struct monitor *m);

struct monitor_target {
        const char *host_veth;
        int host_veth_ifindex;  /* 0 when unknown */
        const char *table;      /* nsd's table inet NAME */
};

/* Read what arrived (a bounded amount: the rest stays readable); adds to m->pending. */
void monitor_read(struct monitor *m, const struct monitor_target *t);
/* Pending work that may be repaired now; 0 when none, or when the rate limit holds it
 * back (then the timer wakes the poll loop when it may). Clears m->pending. */
unsigned monitor_take(struct monitor *m);
/* A repair of what failed: try it again a while later. */
void monitor_retry(struct monitor *m, unsigned what);
