/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What nsd must remember across a crash: the host's IPv4 forwarding setting before the
 * first start (<state_dir>/<name>.state), and its pid for the NetworkManager hook. */
#pragma once
#include <sys/types.h>

struct nsd_state {
        int orig_ip_forward;
        /* Writing ip_forward also sets conf/all/accept_redirects to its opposite: the
         * value before, to put back. -1: not recorded. */
        int orig_all_accept_redirects;
};

int state_load(const char *dir, const char *name, struct nsd_state *ret);
int state_save(const char *dir, const char *name, const struct nsd_state *s);
int state_remove(const char *dir, const char *name);
/* Other instances sharing state_dir hold state files too: when we leave first, the
 * original setting passes to them (and they are told with SIGHUP), since only the
 * last one out may restore it. Returns how many others there are. */
int state_hand_over(const char *dir, const char *name, const struct nsd_state *s);
int pidfile_write(const char *dir, const char *name, pid_t pid);
int pidfile_read(const char *dir, const char *name, pid_t *ret);
int pidfile_remove(const char *dir, const char *name);
