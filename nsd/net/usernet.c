/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/usernet.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

unsigned user_net_slots(const struct namespace_config *base) {
        unsigned n = 1u << (30 - base->pool.prefixlen);
        return n < USER_NET_MAX ? n : USER_NET_MAX;
}

static int strdup_to(char **field, const char *value) {
        if (!value)
                return 0;
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

/* The config of uid's namespace; slot < 0: only the names (for a teardown). */
static int derive(const struct namespace_config *base, uid_t uid, int slot, struct namespace_config *ret) {
        struct namespace_config d = *base;
        d.name = d.host_veth = d.ns_veth = d.nft_table = d.netns_dir = d.etc_netns_dir = d.resolv_conf = NULL;
        d.per_user = false;
        d.keep_on_exit = false;
        int r;
        if (asprintf(&d.name, "%s_u%u", base->name, (unsigned) uid) < 0 ||
            asprintf(&d.host_veth, "v%.*s%u", CONFIG_PER_USER_PREFIX, base->name, (unsigned) uid) < 0 ||
            asprintf(&d.nft_table, "%s_u%u", base->nft_table, (unsigned) uid) < 0) {
                config_namespace_free(&d);
                return -ENOMEM;
        }
        if ((r = strdup_to(&d.ns_veth, base->ns_veth)) < 0 || (r = strdup_to(&d.netns_dir, base->netns_dir)) < 0 ||
            (r = strdup_to(&d.etc_netns_dir, base->etc_netns_dir)) < 0 ||
            (r = strdup_to(&d.resolv_conf, base->resolv_conf)) < 0) {
                config_namespace_free(&d);
                return r;
        }
        if (slot >= 0) {
                uint32_t net = ntohl(base->pool.addr.s_addr) + 4u * (uint32_t) slot;
                d.host_address = (struct ipv4_prefix) { .addr.s_addr = htonl(net + 1), .prefixlen = 30 };
                d.ns_address = (struct ipv4_prefix) { .addr.s_addr = htonl(net + 2), .prefixlen = 30 };
        }
        *ret = d;
        return 0;
}

int user_net_up(const struct config *cfg, const struct namespace_config *base, uid_t uid, unsigned slot,
                struct user_net **ret, char **ret_error) {
        *ret_error = NULL;
        struct user_net *u = calloc(1, sizeof *u);
        if (!u)
                return -ENOMEM;
        int r = derive(base, uid, (int) slot, &u->ns);
        if (r < 0) {
                free(u);
                return r;
        }
        u->base = base;
        u->uid = uid;
        u->slot = slot;
        net_instance_init(&u->net, cfg, &u->ns);
        r = net_instance_bring_up(&u->net, ret_error);
        if (r < 0) {
                net_instance_done(&u->net);
                config_namespace_free(&u->ns);
                free(u);
                return r;
        }
        net_instance_idle(&u->net);
        log_info("namespace '%s' (%s) for uid %u is up: %s <-> %s", u->ns.name, ns_kind_name(u->ns.kind), (unsigned) uid,
                 u->ns.host_veth, u->ns.ns_veth);
        *ret = u;
        return 0;
}

void user_net_down(struct user_net **up) {
        struct user_net *u = *up;
        if (!u)
                return;
        _cleanup_free_ char *err = NULL;
        if (net_instance_teardown(&u->net, &err) < 0)
                log_error("teardown of '%s' incomplete: %s", u->ns.name, err ? err : "unknown error");
        else
                log_info("namespace '%s' removed: the last program of uid %u in it ended", u->ns.name, (unsigned) u->uid);
        net_instance_done(&u->net);
        config_namespace_free(&u->ns);
        free(u);
        *up = NULL;
}

/* NAME_u<digits>: the uid, else -1. */
static long leftover_uid(const char *file, const char *name) {
        size_t n = strlen(name);
        if (strncmp(file, name, n) != 0 || file[n] != '_' || file[n + 1] != 'u' || !file[n + 2])
                return -1;
        char *end;
        errno = 0;
        unsigned long v = strtoul(file + n + 2, &end, 10);
        if (*end || errno || v > UINT32_MAX || (file[n + 2] == '0' && file[n + 3]))
                return -1;
        return (long) v;
}

static int remove_one(const struct config *cfg, const struct namespace_config *base, uid_t uid) {
        struct namespace_config d;
        int r = derive(base, uid, -1, &d);
        if (r < 0)
                return r;
        struct net_instance n;
        net_instance_init(&n, cfg, &d);
        _cleanup_free_ char *err = NULL;
        r = net_instance_teardown(&n, &err);
        if (r < 0)
                log_error("cannot remove the leftover namespace '%s': %s", d.name, err ? err : strerror(-r));
        else
                log_info("removed the leftover namespace '%s' of uid %u", d.name, (unsigned) uid);
        net_instance_done(&n);
        config_namespace_free(&d);
        return r;
}

int user_net_remove_leftovers(const struct config *cfg) {
        int first = 0;
        for (size_t i = 0; i < config_n_namespaces(cfg); i++) {
                const struct namespace_config *base = config_namespace(cfg, i);
                if (!base->per_user)
                        continue;
                DIR *d = opendir(base->netns_dir);
                if (!d)
                        continue;
                uid_t uids[USER_NET_MAX];
                size_t n = 0;
                struct dirent *de;
                while ((de = readdir(d)) && n < USER_NET_MAX) {
                        long uid = leftover_uid(de->d_name, base->name);
                        if (uid >= 0)
                                uids[n++] = (uid_t) uid;
                }
                closedir(d);
                for (size_t k = 0; k < n; k++) {
                        int r = remove_one(cfg, base, uids[k]);
                        first = first < 0 ? first : r;
                }
        }
        return first;
}
