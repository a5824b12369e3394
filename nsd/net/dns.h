/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The clearnet DNS configuration: the servers saved from the DHCP lease, as the namespace
 * sees them (<etc_netns_dir>/<name>/resolv.conf, which `ip netns exec` binds). */
#pragma once
#include <limits.h>

#define DNS_MAX_SIZE (64 * 1024)

struct dns_config {
        char *text;            /* resolv.conf to install: the kept lines */
        unsigned servers;      /* nameservers kept */
        unsigned dropped;      /* nameservers dropped: loopback (a local stub or the Tor
                                * resolver) or IPv6 (the namespace has none) */
};

/* Parse resolv_conf. Missing or unreadable is an error (with a reason); no server is not. */
int dns_load(const char *path, struct dns_config *ret, char **ret_error);
void dns_config_done(struct dns_config *c);
/* Write <etc_netns_dir>/<name>/resolv.conf atomically if its content differs. 1 if written. */
int dns_install(const char *etc_netns_dir, const char *name, const char *text);
/* Where dns_install() puts it: etc_netns_dir/name/resolv.conf. */
int dns_file_path(const char *etc_netns_dir, const char *name, char ret[PATH_MAX]);
int dns_remove(const char *etc_netns_dir, const char *name);
