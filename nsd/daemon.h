/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bring-up, repair and teardown of the whole namespace: the order of the steps, and the
 * rule that a failed start leaves the host as it was. */
#pragma once
#include <stdbool.h>

#include "config.h"
#include "state.h"

struct nl_sock;
struct firewall;

struct nsd {
        const struct config *cfg;
        int netns_fd;
        struct nl_sock *host_sk;
        struct nl_sock *ns_sk;
        struct firewall *nft_host;   /* open during a bring-up or repair only */
        struct firewall *nft_ns;
        struct nsd_state state;
        char *host_listing;     /* our tables as the kernel lists them after applying */
        char *ns_listing;
        bool adopted;           /* a namespace of ours was there already: repairs are logged */
        bool up;                /* bring-up finished: later repairs are logged as such */
};

void nsd_init(struct nsd *n, const struct config *cfg);
void nsd_done(struct nsd *n);

/* Check everything that could make a start fail, then create or adopt and repair. On
 * failure nothing made by this call is left behind; ret_error gets a one-line reason. */
int nsd_bring_up(struct nsd *n, char **ret_error);
/* Re-read the DNS file and re-check everything, repairing what drifted. */
int nsd_reconcile(struct nsd *n);
/* Drop what a bring-up or repair needed but an idle daemon does not. */
void nsd_idle(struct nsd *n);
/* Remove all that nsd makes, restoring the sysctls it changed. Works on a running
 * instance and, with a fresh struct nsd, on what a killed run left. */
int nsd_teardown(struct nsd *n, char **ret_error);
