/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Network sysctls of the namespace the calling thread is in (/proc/sys/net is per netns). */
#pragma once

/* key like "ipv4/ip_forward" or "ipv6/conf/%s/disable_ipv6" with ifname. */
int sysctl_net_read(const char *key, const char *ifname, int *ret);
int sysctl_net_write(const char *key, const char *ifname, int value);
/* Write value unless already set; *ret_changed (may be NULL) tells whether it was. */
int sysctl_net_ensure(const char *key, const char *ifname, int value, int *ret_changed);
