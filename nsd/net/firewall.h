/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nsd's own nftables tables, as ruleset text: one on the host, one inside the namespace.
 * common/nft.h loads them, each in one atomic transaction. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "net/paths.h"

struct firewall_params {
        const char *table;
        const char *host_veth;
        const char *ns_veth;
        struct ipv4_prefix ns_address;
        /* nsd turned IPv4 forwarding on: then nothing else may be forwarded. */
        bool guard_forwarding;
        /* The uplinks and the host's own networks: the sets' elements. */
        const struct net_paths *paths;
        /* tor-ports: the host end, and the host's loopback ports offered at it. */
        enum ns_kind kind;
        struct ipv4_prefix host_address;
        const struct expose_ports *expose;
};

/* The ruleset text of the host table / the namespace table (caller frees). */
int firewall_host_ruleset(const struct firewall_params *p, char **ret);
int firewall_ns_ruleset(const struct firewall_params *p, char **ret);
