/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bring-up, repair and teardown of the whole namespace: the order of the steps, and the
 * rule that a failed start leaves the host as it was. */
#pragma once
#include <stdbool.h>

#include "conf/config.h"
#include "net/monitor.h"
#include "net/paths.h"
#include "net/state.h"

struct nl_sock;
struct nft;

struct net_instance {
        const struct config *cfg;
        const struct namespace_config *ns;      /* the namespace this instance keeps */
        int netns_fd;
        struct nl_sock *host_sk;
        struct nl_sock *ns_sk;
        struct nft *nft_host;   /* open during a bring-up or repair only */
        struct nft *nft_ns;
        struct nsd_state state;
        char *host_listing;     /* our tables as the kernel lists them after applying */
        char *ns_listing;
        bool adopted;           /* a namespace of ours was there already: repairs are logged */
        bool up;                /* bring-up finished: later repairs are logged as such */
        struct net_paths paths; /* the uplinks and local networks in both tables now */
        struct monitor monitor; /* host changes, followed from bring-up on */
        int host_veth_ifindex;  /* for the monitor; 0 when unknown */
};

void net_instance_init(struct net_instance *n, const struct config *cfg, const struct namespace_config *ns);
void net_instance_done(struct net_instance *n);

/* Check everything that could make a start fail, then create or adopt and repair. On
 * failure nothing made by this call is left behind; ret_error gets a one-line reason. */
int net_instance_bring_up(struct net_instance *n, char **ret_error);
/* Re-read the DNS file and re-check everything, repairing what drifted. */
int net_instance_reconcile(struct net_instance *n);
/* The fd to poll for changes on the host (links, addresses, routes, nftables); -1 when
 * there is none. When it is readable, net_instance_handle_events. */
int net_instance_event_fd(const struct net_instance *n);
/* Read those changes and repair what they touched: the uplink and local-network sets in
 * one transaction per table, nsd's host table, the link (then as net_instance_reconcile).
 * Rate-limited (monitor.h); each repair is logged. */
void net_instance_handle_events(struct net_instance *n);
/* Drop what a bring-up or repair needed but an idle daemon does not. */
void net_instance_idle(struct net_instance *n);
/* Remove all that nsd makes, restoring the sysctls it changed. Works on a running
 * instance and, with a fresh struct net_instance, on what a killed run left. */
int net_instance_teardown(struct net_instance *n, char **ret_error);
