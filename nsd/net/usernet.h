/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-user namespaces ([namespace NAME] per_user = yes): one for each launching user, made
 * at its first launch from a /30 of the pool, removed after its last program, so that no
 * two users share a loopback or abstract sockets. Each is an ordinary net_instance with a
 * config derived from NAME's: netns_dir/NAME_u<uid>, host veth v<NAME's first 4><uid>,
 * table <nft_table>_u<uid>, addresses the slot-th /30 of the pool. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "conf/config.h"
#include "net/instance.h"

struct user_net {
        struct namespace_config ns;     /* derived; owns its strings */
        struct net_instance net;
        const struct namespace_config *base;
        uid_t uid;
        unsigned slot;                  /* the /30 of base->pool */
};

/* How many /30s the pool of base holds (at most USER_NET_MAX are used). */
#define USER_NET_MAX 256
unsigned user_net_slots(const struct namespace_config *base);

/* Create (or adopt) and bring up the namespace of uid in base, at slot. */
int user_net_up(const struct config *cfg, const struct namespace_config *base, uid_t uid, unsigned slot,
                struct user_net **ret, char **ret_error);
/* Remove it (logged) and free it; *u becomes NULL. */
void user_net_down(struct user_net **u);
/* Remove every per-user namespace of cfg found under netns_dir (what a killed run left:
 * the programs that used it are gone with it). Returns the first error. */
int user_net_remove_leftovers(const struct config *cfg);
