/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/instance.h"
#include "nft.h"

#include <malloc.h>
#include <netlink/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "net/dns.h"
#include "net/firewall.h"
#include "net/link.h"
#include "log.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/sysctl.h"
#include "util.h"

static int fail(char **ret_error, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char **ret_error, int r, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (r < 0 && msg) {
                if (asprintf(ret_error, "%s: %s", msg, strerror(-r)) < 0)
                        *ret_error = NULL;
        } else
                *ret_error = TAKE_PTR(msg);
        return r < 0 ? r : -EINVAL;
}

void net_instance_init(struct net_instance *n, const struct config *cfg, const struct namespace_config *ns) {
        *n = (struct net_instance) { .cfg = cfg, .ns = ns, .netns_fd = -1, .monitor = MONITOR_NONE };
}

static bool tor_ports(const struct net_instance *n) {
        return n->ns->kind == NS_KIND_TOR_PORTS;
}

static void close_ns(struct net_instance *n) {
        nft_closep(&n->nft_ns);
        nl_route_closep(&n->ns_sk);
        closep(&n->netns_fd);
}

static void close_nft(struct net_instance *n) {
        nft_closep(&n->nft_host);
        nft_closep(&n->nft_ns);
}

void net_instance_idle(struct net_instance *n) {
        /* Closing an nfnetlink socket waits for the kernel (a few ms): done after READY,
         * off the start-up path. An idle daemon holds no libnftables context or cache. */
        close_nft(n);
        malloc_trim(0);
}

void net_instance_done(struct net_instance *n) {
        monitor_close(&n->monitor);
        paths_done(&n->paths);
        close_nft(n);
        close_ns(n);
        nl_route_closep(&n->host_sk);
        free(n->host_listing);
        free(n->ns_listing);
        n->host_listing = n->ns_listing = NULL;
}

static struct link_params link_params(const struct namespace_config *ns) {
        return (struct link_params) {
                .host_veth = ns->host_veth, .ns_veth = ns->ns_veth,
                .host_address = ns->host_address, .ns_address = ns->ns_address,
                .no_default_route = ns->kind == NS_KIND_TOR_PORTS,
        };
}

static struct firewall_params firewall_params(const struct net_instance *n) {
        return (struct firewall_params) {
                .table = n->ns->nft_table, .host_veth = n->ns->host_veth, .ns_veth = n->ns->ns_veth,
                .ns_address = n->ns->ns_address, .guard_forwarding = n->state.orig_ip_forward == 0,
                .paths = &n->paths, .kind = n->ns->kind, .host_address = n->ns->host_address,
                .expose = &n->ns->expose,
        };
}

/* Run fn inside the namespace. setns() moves the calling thread only: the fd closer's
 * threads stay where they are. */
static int in_ns(struct net_instance *n, int (*fn)(struct net_instance *n, void *arg), void *arg) {
        _cleanup_close_ int saved = -1;
        int r = netns_enter(n->netns_fd, &saved);
        if (r < 0)
                return r;
        int q = fn(n, arg);
        r = netns_leave(&saved);
        return q < 0 ? q : r;
}

static int open_ns_sock(struct net_instance *n, void *arg) {
        return nl_route_open(&n->ns_sk);
}

/* Open the namespace at netns_dir/name if there is one; 0 and netns_fd -1 when not. */
static int open_existing_ns(struct net_instance *n, char **ret_error) {
        int r = netns_open(n->ns->netns_dir, n->ns->name, &n->netns_fd);
        if (r == -ENOENT)
                return 0;
        if (r == -ENOTUNIQ) {
                if (netns_is_leftover(n->ns->netns_dir, n->ns->name) > 0)
                        return 0;
                return fail(ret_error, -EEXIST, "%s/%s exists and is not a network namespace; refusing to touch it",
                            n->ns->netns_dir, n->ns->name);
        }
        if (r < 0)
                return fail(ret_error, r, "cannot open namespace %s/%s", n->ns->netns_dir, n->ns->name);
        r = in_ns(n, open_ns_sock, NULL);
        if (r < 0)
                return fail(ret_error, r, "cannot open a netlink socket in namespace '%s'", n->ns->name);
        char offender[64];
        r = link_ns_adoptable(n->ns_sk, offender, sizeof offender);
        if (r == -EBUSY)
                return fail(ret_error, r, "namespace '%s' at %s/%s holds link '%s' that clearnet-nsd did not make; "
                            "it belongs to something else, refusing to adopt it",
                            n->ns->name, n->ns->netns_dir, n->ns->name, offender), -EBUSY;
        if (r < 0)
                return fail(ret_error, r, "cannot list the links of namespace '%s'", n->ns->name);
        return 1;
}

/* Everything that can refuse a start, checked before anything is changed. */
static int preflight(struct net_instance *n, char **ret_error) {
        _cleanup_free_ char *why = NULL;
        struct dns_config dns;
        int r;
        if (n->ns->resolv_conf) {
                r = dns_load(n->ns->resolv_conf, &dns, ret_error);
                if (r < 0)
                        return *ret_error ? r : fail(ret_error, r, "cannot read resolv_conf");
                dns_config_done(&dns);
        }

        r = nft_open(&n->nft_host);
        if (r < 0)
                return fail(ret_error, r, "nftables is not usable here (kernel module nf_tables missing?)");
        r = nft_probe(n->nft_host, &why);
        if (r < 0)
                return fail(ret_error, 0, "nftables is not usable here (kernel module nf_tables missing?): %s",
                            why ? why : strerror(-r));
        r = nl_route_open(&n->host_sk);
        if (r < 0)
                return fail(ret_error, r, "cannot open a netlink socket");
        r = open_existing_ns(n, ret_error);
        if (r < 0)
                return r;

        int ifindex, is_veth;
        if (link_lookup(n->host_sk, n->ns->host_veth, &ifindex, &is_veth) == 0 &&
            (!n->ns_sk || !is_veth || link_peer_is_in(n->ns_sk, ifindex) <= 0))
                return fail(ret_error, -EEXIST, "a link named '%s' already exists on the host and is not clearnet's "
                            "(set host_veth to another name)", n->ns->host_veth), -EEXIST;

        char desc[96];
        r = link_find_overlap(n->host_sk, n->ns_sk, &n->ns->ns_address, desc, sizeof desc);
        if (r < 0)
                return fail(ret_error, r, "cannot list the host's addresses");
        if (r > 0)
                return fail(ret_error, 0, "ns_address subnet overlaps %s on the host; choose another /%d",
                            desc, n->ns->ns_address.prefixlen);
        return 0;
}

static int ensure_state(struct net_instance *n) {
        const struct config *c = n->cfg;
        /* A tor-ports namespace changes no host-wide setting: nothing to restore. */
        if (tor_ports(n))
                return 0;
        int r = state_load(c->daemon.state_dir, n->ns->name, &n->state);
        if (r != -ENOENT)
                return r;
        r = sysctl_net_read("ipv4/ip_forward", NULL, &n->state.orig_ip_forward);
        if (r < 0)
                return r;
        if (sysctl_net_read("ipv4/conf/all/accept_redirects", NULL, &n->state.orig_all_accept_redirects) < 0)
                n->state.orig_all_accept_redirects = -1;
        return state_save(c->daemon.state_dir, n->ns->name, &n->state);
}

static int ensure_ns_inside(struct net_instance *n, void *arg) {
        /* Every sysctl nsd keeps inside, checked (and repaired) at each bring-up and SIGHUP. */
        static const struct { const char *key, *ifname; int value; } want[] = {
                { "ipv6/conf/%s/disable_ipv6", "all", 1 }, { "ipv6/conf/%s/disable_ipv6", "default", 1 },
                { "ipv6/conf/%s/disable_ipv6", "lo", 1 }, { "ipv4/ip_forward", NULL, 0 },
                { "ipv4/ip_unprivileged_port_start", NULL, 1024 },
        };
        int changed = 0, r;
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                int ch;
                if ((r = sysctl_net_ensure(want[i].key, want[i].ifname, want[i].value, &ch)) < 0)
                        return r;
                changed |= ch;
        }
        /* 127.0.0.1:PORT leaves for the host end, and its replies come back to it. */
        if (tor_ports(n)) {
                int ch;
                if ((r = sysctl_net_ensure("ipv4/conf/%s/route_localnet", "all", 1, &ch)) < 0)
                        return r;
                changed |= ch;
        }
        if (!n->ns_sk && (r = nl_route_open(&n->ns_sk)) < 0)
                return r;
        return changed;
}

static int ensure_netns(struct net_instance *n) {
        int r;
        if (n->netns_fd < 0) {
                (void) netns_remove(n->ns->netns_dir, n->ns->name); /* an empty leftover file */
                r = netns_create(n->ns->netns_dir, n->ns->name, &n->netns_fd);
                if (r < 0)
                        return r;
                log_info("created namespace '%s' at %s/%s", n->ns->name, n->ns->netns_dir, n->ns->name);
        } else if (!netns_is_pinned(n->ns->netns_dir, n->ns->name, n->netns_fd)) {
                log_warning("repaired: namespace '%s' was no longer mounted at %s/%s", n->ns->name, n->ns->netns_dir,
                            n->ns->name);
                r = netns_pin(n->ns->netns_dir, n->ns->name, n->netns_fd);
                if (r < 0)
                        return r;
        }
        r = in_ns(n, ensure_ns_inside, NULL);
        if (r > 0 && n->up)
                log_warning("repaired: a sysctl inside the namespace (IPv6, forwarding, unprivileged ports) had changed");
        return r < 0 ? r : 0;
}

/* 1 when the table was loaded, 0 when it was as listed last time. */
static int apply_table(struct net_instance *n, bool host, char **listing, char **ret_error) {
        struct firewall_params p = firewall_params(n);
        _cleanup_free_ char *rules = NULL, *err = NULL, *now = NULL;
        /* Opened here, in the netns this runs in: the context's socket stays bound to it. */
        struct nft **ctx = host ? &n->nft_host : &n->nft_ns;
        int r = *ctx ? 0 : nft_open(ctx);
        if (r < 0)
                return r;
        r = host ? firewall_host_ruleset(&p, &rules) : firewall_ns_ruleset(&p, &rules);
        if (r < 0)
                return r;
        if (*listing && nft_list_table(*ctx, p.table, &now) == 0 && STREQ(now, *listing))
                return 0;
        if (*listing && n->up)
                log_warning("repaired: nftables table inet %s %s was changed or removed", p.table,
                            host ? "on the host" : "inside the namespace");
        r = nft_apply(*ctx, rules, &err);
        if (r < 0)
                return fail(ret_error, r, "nftables refused table inet %s%s%s", p.table, err ? ": " : "", err ? err : "");
        free(*listing);
        *listing = NULL;
        r = nft_list_table(*ctx, p.table, listing);
        return r < 0 ? r : 1;
}

static int apply_ns_table(struct net_instance *n, void *ret_error) {
        return apply_table(n, false, &n->ns_listing, ret_error);
}

static int ensure_link(struct net_instance *n, char **ret_error) {
        struct link_params p = link_params(n->ns);
        char why[128];
        int r = link_verify(n->host_sk, n->ns_sk, &p, why, sizeof why);
        if (r == 0)
                return 0;
        if (n->up || n->adopted)
                log_warning("repairing the link: %s", why);
        if ((r = link_flush_ns(n->ns_sk)) < 0 || (r = link_delete(n->host_sk, n->ns->host_veth)) < 0 ||
            (r = link_create_pair(n->host_sk, n->netns_fd, &p)) < 0)
                return fail(ret_error, r, "cannot create veth pair %s/%s", n->ns->host_veth, n->ns->ns_veth);
        /* Before the link is up, so no IPv6 link-local address ever appears. */
        r = sysctl_net_write("ipv6/conf/%s/disable_ipv6", n->ns->host_veth, 1);
        if (r < 0)
                return fail(ret_error, r, "cannot disable IPv6 on %s", n->ns->host_veth);
        r = link_configure(n->host_sk, n->ns_sk, &p);
        if (r < 0)
                return fail(ret_error, r, "cannot configure the veth pair");
        return 0;
}

/* A tor-ports veth: never forwarding; its DNAT to 127.0.0.1 is routed (route_localnet on
 * this link only). Nothing host-wide changes. */
static int ensure_tor_sysctls(struct net_instance *n, char **ret_error) {
        const char *veth = n->ns->host_veth;
        int a = 0, b = 0, d = 0, r;
        if ((r = sysctl_net_ensure("ipv6/conf/%s/disable_ipv6", veth, 1, &a)) < 0 ||
            (r = sysctl_net_ensure("ipv4/conf/%s/forwarding", veth, 0, &b)) < 0 ||
            (r = sysctl_net_ensure("ipv4/conf/%s/route_localnet", veth, 1, &d)) < 0)
                return fail(ret_error, r, "cannot set the host's sysctls for %s", veth);
        if ((a || b || d) && n->up)
                log_warning("repaired: host sysctls for %s had changed", veth);
        return 0;
}

static int ensure_host_sysctls(struct net_instance *n, char **ret_error) {
        const char *veth = n->ns->host_veth;
        int a = 0, b = 0, d = 0, r;
        if (tor_ports(n))
                return ensure_tor_sysctls(n, ret_error);
        if ((r = sysctl_net_ensure("ipv6/conf/%s/disable_ipv6", veth, 1, &a)) < 0 ||
            (r = sysctl_net_ensure("ipv4/conf/%s/forwarding", veth, 1, &b)) < 0 ||
            /* Replies arrive on the uplink, and the kernel asks the input link whether it
             * forwards: per-link forwarding on the veth alone is not enough. */
            (r = sysctl_net_ensure("ipv4/ip_forward", NULL, 1, &d)) < 0)
                return fail(ret_error, r, "cannot set the host's sysctls");
        if ((a || b || d) && n->up)
                log_warning("repaired: host sysctls for %s had changed", veth);
        return 0;
}

static int ensure_dns(struct net_instance *n, char **ret_error) {
        _cleanup_free_ char *why = NULL;
        struct dns_config dns;
        if (tor_ports(n)) {
                /* No server: names go through Tor (SOCKS), or nowhere. */
                int r = dns_install(n->ns->etc_netns_dir, n->ns->name,
                                    "# clearnet-nsd: no DNS in a tor-ports namespace; names are resolved through Tor\n");
                return r < 0 ? fail(ret_error, r, "cannot write %s/%s/resolv.conf", n->ns->etc_netns_dir, n->ns->name) : 0;
        }
        int r = dns_load(n->ns->resolv_conf, &dns, &why);
        if (r < 0) {
                log_error("%s; keeping the previous clearnet DNS servers", why ? why : "cannot read resolv_conf");
                return 0;
        }
        if (dns.dropped)
                log_warning("ignored %u nameserver(s) in %s: loopback or IPv6 servers are never clearnet's",
                            dns.dropped, n->ns->resolv_conf);
        if (dns.servers == 0)
                log_notice("%s lists no nameserver yet: no name resolution in the namespace until the network is up",
                           n->ns->resolv_conf);
        unsigned servers = dns.servers;
        r = dns_install(n->ns->etc_netns_dir, n->ns->name, dns.text);
        dns_config_done(&dns);
        if (r < 0)
                return fail(ret_error, r, "cannot write %s/%s/resolv.conf", n->ns->etc_netns_dir, n->ns->name);
        if (r > 0)
                log_info("clearnet DNS: %u server(s) from %s", servers, n->ns->resolv_conf);
        return 0;
}

/* Read the uplinks and local networks again: 1 when they changed (then both tables are
 * loaded again: their listings are dropped), 0 when not. */
static int refresh_paths(struct net_instance *n) {
        struct net_paths now;
        if (tor_ports(n))
                return 0;       /* its rules name no uplink and no local network */
        int r = paths_read(n->host_sk, n->ns->host_veth, &n->ns->host_address, &now);
        if (r < 0)
                return r;
        if (paths_equal(&now, &n->paths)) {
                paths_done(&now);
                return 0;
        }
        bool uplinks_same = paths_same_uplinks(&now, &n->paths);
        paths_done(&n->paths);
        n->paths = now;
        _cleanup_free_ char *desc = NULL;
        if (!uplinks_same && paths_describe_uplinks(&n->paths, &desc) == 0)
                log_info("uplinks: %s%s", desc, n->paths.n_uplinks ? "" : " (no default route: nothing leaves)");
        free(n->host_listing);
        free(n->ns_listing);
        n->host_listing = n->ns_listing = NULL;
        return 1;
}

/* The steps of a start and of a SIGHUP, in an order that never opens more than the final
 * state: the firewall exists before the link is up and before forwarding is on. */
static int ensure_all(struct net_instance *n, char **ret_error) {
        int r;
        if ((r = refresh_paths(n)) < 0)
                return fail(ret_error, r, "cannot read the host's routes and addresses");
        if ((r = ensure_netns(n)) < 0)
                return fail(ret_error, r, "cannot set up namespace '%s'", n->ns->name);
        if ((r = in_ns(n, apply_ns_table, ret_error)) < 0)
                return *ret_error ? r : fail(ret_error, r, "cannot enter namespace '%s'", n->ns->name);
        if ((r = apply_table(n, true, &n->host_listing, ret_error)) < 0)
                return r;
        if ((r = ensure_link(n, ret_error)) < 0)
                return r;
        if ((r = ensure_host_sysctls(n, ret_error)) < 0)
                return r;
        if (link_lookup(n->host_sk, n->ns->host_veth, &n->host_veth_ifindex, NULL) < 0)
                n->host_veth_ifindex = 0;
        return ensure_dns(n, ret_error);
}

static int watch_inner(struct net_instance *n, void *arg) {
        return monitor_watch_inner(&n->monitor);
}

int net_instance_bring_up(struct net_instance *n, char **ret_error) {
        const struct config *c = n->cfg;
        *ret_error = NULL;
        int r = preflight(n, ret_error);
        if (r < 0)
                return r;
        /* Before anything is made: no change after this goes unnoticed. */
        r = monitor_open(&n->monitor);
        if (r < 0)
                return fail(ret_error, r, "cannot follow the host's routes and nftables over netlink");
        n->adopted = n->netns_fd >= 0;
        if (n->adopted)
                log_info("adopting the existing namespace '%s'", n->ns->name);
        r = ensure_state(n);
        if (r < 0)
                return fail(ret_error, r, "cannot record state in %s", c->daemon.state_dir);
        _cleanup_free_ char *why = NULL;
        r = ensure_all(n, &why);
        if (r < 0) {
                _cleanup_free_ char *ignored = NULL;
                (void) net_instance_teardown(n, &ignored);
                return fail(ret_error, 0, "cannot bring up namespace '%s' (everything undone): %s", n->ns->name,
                            why ? why : strerror(-r)), r;
        }
        /* The namespace exists now: follow its table too. */
        r = in_ns(n, watch_inner, NULL);
        if (r < 0) {
                _cleanup_free_ char *ignored = NULL;
                (void) net_instance_teardown(n, &ignored);
                return fail(ret_error, r, "cannot follow nftables inside namespace '%s' (everything undone)", n->ns->name);
        }
        n->up = true;
        return 0;
}

int net_instance_reconcile(struct net_instance *n) {
        const struct config *c = n->cfg;
        struct nsd_state st;
        /* Another instance may have handed us the host's original forwarding setting. */
        if (tor_ports(n))
                ;
        else if (state_load(c->daemon.state_dir, n->ns->name, &st) == 0)
                n->state = st;
        else
                (void) state_save(c->daemon.state_dir, n->ns->name, &n->state);
        _cleanup_free_ char *why = NULL;
        int r = ensure_all(n, &why);
        if (r < 0)
                log_error("repair incomplete: %s; will try again on the next SIGHUP", why ? why : strerror(-r));
        return r;
}

int net_instance_event_fd(const struct net_instance *n) {
        return n->monitor.epoll_fd;
}

/* What the events touched; 1 when something was changed, 0 when all was as it should be. */
static int repair_after(struct net_instance *n, unsigned what, char **ret_error) {
        if (what & MONITOR_LINK) {
                struct link_params p = link_params(n->ns);
                char why[128];
                if (link_verify(n->host_sk, n->ns_sk, &p, why, sizeof why) < 0)
                        return net_instance_reconcile(n) < 0 ? -EIO : 1;
        }
        int changed = refresh_paths(n), r = 0;
        if (changed < 0)
                return fail(ret_error, changed, "cannot read the host's routes and addresses");
        /* The table inside first: it holds while the host's is replaced. But the host's,
         * the fence that counts, is loaded even when the one inside cannot be. */
        _cleanup_free_ char *inner_error = NULL;
        int inner = changed || (what & MONITOR_INNER) ? in_ns(n, apply_ns_table, &inner_error) : 0;
        if ((changed || (what & MONITOR_TABLE)) && (r = apply_table(n, true, &n->host_listing, ret_error)) < 0)
                return r;
        if (inner < 0 && inner_error) {
                *ret_error = TAKE_PTR(inner_error);
                return inner;
        }
        if (inner < 0)
                return fail(ret_error, inner, "cannot enter namespace '%s'", n->ns->name);
        return changed || r > 0;
}

void net_instance_handle_events(struct net_instance *n) {
        struct monitor_target t = {
                .host_veth = n->ns->host_veth, .host_veth_ifindex = n->host_veth_ifindex,
                .table = n->ns->nft_table,
        };
        monitor_read(&n->monitor, &t);
        unsigned what = monitor_take(&n->monitor);
        if (!what || !n->up)
                return;
        uint64_t start = now_ms();
        _cleanup_free_ char *why = NULL;
        int r = repair_after(n, what, &why);
        if (r < 0) {
                if (why)
                        log_error("repair after a change on the host failed: %s; trying again", why);
                monitor_retry(&n->monitor, what);
        } else if (r > 0)
                log_info("host change handled in %llu ms", (unsigned long long) (now_ms() - start));
        close_nft(n);
}

static int flush_ns_links(struct net_instance *n, void *arg) {
        if (!n->ns_sk) {
                int r = nl_route_open(&n->ns_sk);
                if (r < 0)
                        return r;
        }
        return link_flush_ns(n->ns_sk);
}

int net_instance_teardown(struct net_instance *n, char **ret_error) {
        const struct config *c = n->cfg;
        int r, first = 0;
        *ret_error = NULL;

        if (!n->host_sk && (r = nl_route_open(&n->host_sk)) < 0)
                return fail(ret_error, r, "cannot open a netlink socket");
        /* A namespace at that path that is not ours stays, and so does its link; all else
         * of ours (table, sysctls, files) still goes. */
        bool foreign = false;
        if (n->netns_fd < 0 && (r = open_existing_ns(n, ret_error)) < 0) {
                first = r;
                foreign = true;
        }
        monitor_close(&n->monitor);
        /* Links first: with the veth gone nothing flows while the rest goes. */
        if (n->netns_fd >= 0 && (r = in_ns(n, flush_ns_links, NULL)) < 0 && !first)
                first = fail(ret_error, r, "cannot remove the links of namespace '%s'", n->ns->name);
        int ifindex, is_veth;
        if (link_lookup(n->host_sk, n->ns->host_veth, &ifindex, &is_veth) == 0 && is_veth &&
            n->netns_fd >= 0 && (r = link_delete(n->host_sk, n->ns->host_veth)) < 0 && !first)
                first = fail(ret_error, r, "cannot delete %s", n->ns->host_veth);
        close_ns(n);
        if (!foreign && (r = netns_remove(n->ns->netns_dir, n->ns->name)) < 0 && !first)
                first = fail(ret_error, r, "cannot remove %s/%s", n->ns->netns_dir, n->ns->name);

        struct nsd_state st;
        if (tor_ports(n))
                ;       /* it changed nothing host-wide */
        else if (state_load(c->daemon.state_dir, n->ns->name, &st) == 0) {
                int others = state_hand_over(c->daemon.state_dir, n->ns->name, &st);
                if (others == 0 && (r = sysctl_net_ensure("ipv4/ip_forward", NULL, st.orig_ip_forward, NULL)) < 0 && !first)
                        first = fail(ret_error, r, "cannot restore net.ipv4.ip_forward");
                if (others == 0 && st.orig_all_accept_redirects >= 0 &&
                    (r = sysctl_net_ensure("ipv4/conf/all/accept_redirects", NULL, st.orig_all_accept_redirects, NULL)) < 0 && !first)
                        first = fail(ret_error, r, "cannot restore net.ipv4.conf.all.accept_redirects");
        } else
                log_notice("no state file in %s: leaving net.ipv4.ip_forward as it is", c->daemon.state_dir);

        _cleanup_free_ char *err = NULL;
        if (!n->nft_host && (r = nft_open(&n->nft_host)) < 0 && !first)
                first = fail(ret_error, r, "cannot use libnftables");
        if (n->nft_host && (r = nft_delete_table(n->nft_host, n->ns->nft_table, &err)) < 0 && !first)
                first = fail(ret_error, r, "cannot delete table inet %s%s%s", n->ns->nft_table, err ? ": " : "", err ? err : "");
        if ((r = dns_remove(n->ns->etc_netns_dir, n->ns->name)) < 0 && !first)
                first = fail(ret_error, r, "cannot remove %s/%s/resolv.conf", n->ns->etc_netns_dir, n->ns->name);
        if (!first) {
                (void) state_remove(c->daemon.state_dir, n->ns->name);
                (void) pidfile_remove(c->daemon.state_dir, n->ns->name);
        }
        close_nft(n);
        free(n->host_listing);
        free(n->ns_listing);
        n->host_listing = n->ns_listing = NULL;
        n->up = false;
        return first;
}
