/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libnl plumbing: route sockets bound to a namespace, and libnl errors as errno, in one place. */
#pragma once
#include <netlink/cache.h>

#include "util.h"

struct nl_sock;

/* libnl's NLE_* code (positive or negative) as a negative errno. */
int nl_error_to_errno(int nlerr);
/* A NETLINK_ROUTE socket in the network namespace of the calling thread. */
int nl_route_open(struct nl_sock **ret);
void nl_route_closep(struct nl_sock **sk);
#define _cleanup_nl_sock_ _cleanup_(nl_route_closep)

static inline void nl_cache_freep(struct nl_cache **c) { if (*c) nl_cache_free(*c); }
#define _cleanup_cache_ _cleanup_(nl_cache_freep)
