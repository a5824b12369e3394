/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "namespaces.h"

#include <string.h>

#include "conf/config.h"
#include "util.h"

int filter_namespaces_of(const struct config *cfg, struct filter_ns **ret, size_t *ret_n) {
        /* One [namespace] today: the loop is over this array when there are more. */
        const struct namespace_config *list[] = { &cfg->ns };
        struct filter_ns *v = calloc(ELEMENTSOF(list), sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(list); i++) {
                if (strlen(list[i]->host_veth) >= sizeof v[i].host_veth) {
                        free(v);
                        return -EINVAL;
                }
                strcpy(v[i].host_veth, list[i]->host_veth);
                v[i].host_address = list[i]->host_address.addr;
                v[i].ns_address = list[i]->ns_address.addr;
        }
        *ret = v;
        *ret_n = ELEMENTSOF(list);
        return 0;
}

int filter_namespaces_load(const char *path, struct filter_ns **ret, size_t *ret_n, char **ret_error) {
        *ret = NULL;
        *ret_n = 0;
        *ret_error = NULL;
        if (!path)
                return 0;
        struct config cfg;
        int r = config_init(&cfg);
        if (r < 0)
                return r;
        r = config_load(&cfg, path, ret_error);
        if (r >= 0)
                r = filter_namespaces_of(&cfg, ret, ret_n);
        config_free(&cfg);
        return r;
}
