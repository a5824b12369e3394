/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/sysctl.h"

#include <limits.h>
#include <stdio.h>

#include "util.h"

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int sysctl_path(const char *key, const char *ifname, char *buf, size_t size) {
        char k[256];
        /* key is a compile-time constant from this program; ifname was validated by config. */
        if (snprintf(k, sizeof k, key, ifname ? ifname : "") >= (int) sizeof k)
                return -ENAMETOOLONG;
        if (snprintf(buf, size, "/proc/sys/net/%s", k) >= (int) size)
                return -ENAMETOOLONG;
        return 0;
}

int sysctl_net_read(const char *key, const char *ifname, int *ret) {
        char path[PATH_MAX];
        int r = sysctl_path(key, ifname, path, sizeof path);
        return r < 0 ? r : read_int_file(path, ret);
}

int sysctl_net_write(const char *key, const char *ifname, int value) {
        char path[PATH_MAX];
        int r = sysctl_path(key, ifname, path, sizeof path);
        return r < 0 ? r : write_int_file(path, value);
}

int sysctl_net_ensure(const char *key, const char *ifname, int value, int *ret_changed) {
        int cur;
        int r = sysctl_net_read(key, ifname, &cur);
        if (r < 0)
                return r;
        if (ret_changed)
                *ret_changed = cur != value;
        if (cur == value)
                return 0;
        return sysctl_net_write(key, ifname, value);
}
