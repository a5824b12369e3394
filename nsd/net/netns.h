/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The named network namespace: a bind mount of an nsfs inode at <netns_dir>/<name>, as
 * iproute2's `ip netns add` makes it, and moving the calling thread in and out. */
#pragma once
#include <stdbool.h>

/* Open the namespace at dir/name. -ENOENT when there is none; -ENOTUNIQ (with a reason)
 * when the path exists but is not a network namespace. */
int netns_open(const char *dir, const char *name, int *ret_fd);
/* Create a fresh namespace and bind-mount it at dir/name (which must not exist). */
int netns_create(const char *dir, const char *name, int *ret_fd);
/* 1 when dir/name is an empty file: what a run killed between create and mount leaves. */
int netns_is_leftover(const char *dir, const char *name);
/* 1 when dir/name still is the namespace ns_fd (`ip netns delete` may have unmounted it). */
int netns_is_pinned(const char *dir, const char *name, int ns_fd);
/* Bind-mount ns_fd at dir/name again, replacing whatever is there. */
int netns_pin(const char *dir, const char *name, int ns_fd);
/* Unmount and remove dir/name; 0 when it was not there. */
int netns_remove(const char *dir, const char *name);

/* Switch the calling thread into ns_fd; *ret_saved gets an fd of the namespace it left. */
int netns_enter(int ns_fd, int *ret_saved);
/* Go back to the namespace saved by netns_enter and close it. */
int netns_leave(int *saved);
