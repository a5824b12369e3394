/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/monitor.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util.h"

#define MONITOR_RCVBUF (4 << 20)   /* a ruleset reload is thousands of messages */
#define MONITOR_READS 64           /* datagrams per socket per call */

static int netlink_socket(int protocol, unsigned groups) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
        if (fd < 0)
                return negative_errno();
        int size = MONITOR_RCVBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

static int watch(int epoll_fd, int fd) {
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? negative_errno() : 0;
}

/* A NETLINK_NETFILTER socket on the nftables event group, in the caller's namespace. */
static int nft_socket(void) {
        _cleanup_close_ int fd = netlink_socket(NETLINK_NETFILTER, 0);
        if (fd < 0)
                return fd;
        int group = NFNLGRP_NFTABLES;
        if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

int monitor_open(struct monitor *m) {
        *m = MONITOR_NONE;
        int r = netlink_socket(NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE);
        if (r < 0)
                goto fail;
        m->route_fd = r;
        if ((r = nft_socket()) < 0)
                goto fail;
        m->nft_fd = r;
        m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (m->timer_fd < 0 || m->epoll_fd < 0) {
                r = negative_errno();
                goto fail;
        }
        if ((r = watch(m->epoll_fd, m->route_fd)) < 0 || (r = watch(m->epoll_fd, m->nft_fd)) < 0 ||
            (r = watch(m->epoll_fd, m->timer_fd)) < 0)
                goto fail;
        return 0;
fail:
        monitor_close(m);
        return r;
}

int monitor_watch_inner(struct monitor *m) {
        if (m->epoll_fd < 0 || m->inner_fd >= 0)
                return 0;
        _cleanup_close_ int fd = nft_socket();
        if (fd < 0)
                return fd;
        int r = watch(m->epoll_fd, fd);
        if (r < 0)
                return r;
        m->inner_fd = TAKE_FD(fd);
        return 0;
}

void monitor_close(struct monitor *m) {
        closep(&m->epoll_fd);
        closep(&m->route_fd);
        closep(&m->nft_fd);
        closep(&m->inner_fd);
        closep(&m->timer_fd);
        m->pending = 0;
}

/* The first attribute of that type after the message's hdrlen-byte header, with its
 * payload's length; NULL when there is none (or the message is too short for its header). */
static const void *find_attr(const struct nlmsghdr *h, size_t hdrlen, unsigned short type, size_t *ret_len) {
        if (h->nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(hdrlen)))
                return NULL;
        const struct rtattr *a = (const struct rtattr *) ((const char *) NLMSG_DATA(h) + NLMSG_ALIGN(hdrlen));
        int len = (int) (h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(hdrlen)));
        for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
                if ((a->rta_type & NLA_TYPE_MASK) == type) {
                        *ret_len = RTA_PAYLOAD(a);
                        return RTA_DATA(a);
                }
        return NULL;
}

/* A NUL-terminated string attribute, or NULL. */
static const char *string_attr(const struct nlmsghdr *h, size_t hdrlen, unsigned short type) {
        size_t n = 0;
        const char *s = find_attr(h, hdrlen, type, &n);
        return s && n > 0 && memchr(s, '\0', n) ? s : NULL;
}

/* An attribute of at least size bytes, or NULL. */
static const void *fixed_attr(const struct nlmsghdr *h, size_t hdrlen, unsigned short type, size_t size) {
        size_t n = 0;
        const void *p = find_attr(h, hdrlen, type, &n);
        return p && n >= size ? p : NULL;
}

static unsigned route_event(const struct nlmsghdr *h, const struct monitor_target *t) {
        switch (h->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK: {
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
                        return 0;
                const struct ifinfomsg *ifi = NLMSG_DATA(h);
                const char *name = string_attr(h, sizeof *ifi, IFLA_IFNAME);
                bool ours = (t->host_veth_ifindex > 0 && ifi->ifi_index == t->host_veth_ifindex) ||
                            (name && STREQ(name, t->host_veth));
                return MONITOR_PATHS | (ours ? MONITOR_LINK : 0);
        }
        case RTM_NEWADDR:
        case RTM_DELADDR: {
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
                        return 0;
                const struct ifaddrmsg *ifa = NLMSG_DATA(h);
                bool ours = t->host_veth_ifindex > 0 && (int) ifa->ifa_index == t->host_veth_ifindex;
                return MONITOR_PATHS | (ours ? MONITOR_LINK : 0);
        }
        case RTM_NEWROUTE:
        case RTM_DELROUTE: {
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
                        return 0;
                const struct rtmsg *rt = NLMSG_DATA(h);
                const uint32_t *table = fixed_attr(h, sizeof *rt, RTA_TABLE, sizeof *table);
                uint32_t id = table ? *table : rt->rtm_table;
                return rt->rtm_family == AF_INET && rt->rtm_dst_len == 0 && id == RT_TABLE_MAIN ? MONITOR_PATHS : 0;
        }
        }
        return 0;
}

/* Every object message names its table in attribute 1 (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE,
 * NFTA_RULE_TABLE, NFTA_SET_TABLE, ...). nsd's own transactions come back too: the check
 * that follows finds the table as listed and changes nothing. (The pid in the batch's
 * NEWGEN is not trusted to tell them apart: it is the initial PID namespace's, and nsd's
 * own may be another's.) */
static bool nft_event(const struct nlmsghdr *h, const struct monitor_target *t) {
        if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_NFTABLES || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
                return false;
        const struct nfgenmsg *g = NLMSG_DATA(h);
        const char *table = string_attr(h, sizeof *g, NFTA_TABLE_NAME);
        return g->nfgen_family == NFPROTO_INET && table && STREQ(table, t->table);
}

/* Read up to MONITOR_READS datagrams; each message goes to one of the parsers above. */
static unsigned drain(struct monitor *m, int fd, const struct monitor_target *t) {
        char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
        unsigned seen = 0;
        for (int i = 0; i < MONITOR_READS; i++) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_TRUNC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n < 0 || (size_t) n > sizeof buf)
                        return MONITOR_ALL; /* ENOBUFS (events lost) or a cut message */
                /* NLMSG_OK/NLMSG_NEXT, without their signed length (clang's -Wsign-compare). */
                size_t left = (size_t) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf;
                     left >= sizeof *h && h->nlmsg_len >= sizeof *h && h->nlmsg_len <= left;) {
                        if (h->nlmsg_type == NLMSG_OVERRUN)
                                return MONITOR_ALL;
                        if (fd == m->route_fd)
                                seen |= route_event(h, t);
                        else if (nft_event(h, t))
                                seen |= fd == m->nft_fd ? MONITOR_TABLE : MONITOR_INNER;
                        size_t step = NLMSG_ALIGN(h->nlmsg_len);
                        if (step >= left)
                                break;
                        left -= step;
                        h = (struct nlmsghdr *) ((char *) h + step);
                }
        }
        return seen;
}

void monitor_read(struct monitor *m, const struct monitor_target *t) {
        if (m->epoll_fd < 0)
                return;
        uint64_t expirations;
        (void) !read(m->timer_fd, &expirations, sizeof expirations);
        m->pending |= drain(m, m->route_fd, t) | drain(m, m->nft_fd, t);
        if (m->inner_fd >= 0)
                m->pending |= drain(m, m->inner_fd, t);
}

static void arm(struct monitor *m, uint64_t at_ms) {
        struct itimerspec its = {
                .it_value = { .tv_sec = (time_t) (at_ms / 1000), .tv_nsec = (long) (at_ms % 1000) * 1000000 },
        };
        (void) timerfd_settime(m->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void monitor_retry(struct monitor *m, unsigned what) {
        m->pending |= what;
        arm(m, now_ms() + MONITOR_RETRY_MS);
}

unsigned monitor_take(struct monitor *m) {
        if (!m->pending)
                return 0;
        uint64_t now = now_ms();
        if (now - m->window_ms >= 1000) {
                m->window_ms = now;
                m->repairs = 0;
        }
        if (m->repairs >= MONITOR_BURST && now < m->last_ms + MONITOR_SPACING_MS) {
                arm(m, m->last_ms + MONITOR_SPACING_MS);
                return 0;
        }
        m->repairs++;
        m->last_ms = now;
        unsigned what = m->pending;
        m->pending = 0;
        return what;
}
