/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy compiled to one nftables table (text for nft_apply), and the fail-closed
 * table. Pure: users are resolved through the caller's lookup function, the clearnet
 * namespaces are given as a list, nothing is read or loaded here. */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>

#include "policy.h"
#include "strv.h"

/* One clearnet namespace, as the host sees it. */
struct filter_ns {
        char host_veth[IFNAMSIZ];
        struct in_addr host_address;
        struct in_addr ns_address;
};

/* name -> uid: 0, -ENOENT when there is no such user, another negative errno on failure. */
typedef int (*filter_lookup_user_t)(const char *name, uint32_t *ret_uid, void *userdata);

struct filter_input {
        const struct filter_config *cfg;
        const struct filter_ns *ns;
        size_t n_ns;
        filter_lookup_user_t lookup;
        void *userdata;
};

/* The ruleset: the rules and sets of "table inet clearnet_filter" replaced in one
 * transaction (its base chains kept). A
 * missing user that is not in [filter] optional_users is an error ("file:line: ..." in
 * *ret_error); an optional one is left out with a line in *ret_notes (may be NULL). */
int filter_compile(const struct filter_input *in, char **ret_ruleset, char **ret_error, strv *ret_notes);

/* The table loaded when the policy cannot be: everything dropped but loopback. */
const char *filter_lockdown_ruleset(void);
/* Deleting our table only (never another). */
const char *filter_table_name(void);
