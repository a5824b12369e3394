/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nsd's own nftables tables, through libnftables: one on the host, one inside the
 * namespace. Each is replaced in one atomic transaction; no other table is touched. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct firewall_params {
        const char *table;
        const char *host_veth;
        const char *ns_veth;
        struct ipv4_prefix ns_address;
        /* nsd turned IPv4 forwarding on: then nothing else may be forwarded. */
        bool guard_forwarding;
};

/* The ruleset text of the host table / the namespace table (caller frees). */
int firewall_host_ruleset(const struct firewall_params *p, char **ret);
int firewall_ns_ruleset(const struct firewall_params *p, char **ret);

struct firewall;

/* libnftables, loaded, with a context for the netns the calling thread is in now (its
 * netlink socket is bound there). Kept for one bring-up or repair, then closed: an idle
 * nsd holds none and has the library unloaded. */
int firewall_open(struct firewall **ret);
void firewall_closep(struct firewall **fw);

/* Apply ruleset text as one transaction. On failure ret_error (may be NULL) gets nft's
 * first error line. */
int firewall_apply(struct firewall *fw, const char *ruleset, char **ret_error);
/* `list table inet NAME` as text; -ENOENT when absent. */
int firewall_list(struct firewall *fw, const char *table, char **ret);
/* Delete table inet NAME if present. */
int firewall_delete(struct firewall *fw, const char *table, char **ret_error);
/* nftables works here at all (module present, permission)? */
int firewall_probe(struct firewall *fw, char **ret_error);
