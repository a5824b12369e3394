/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What cgroup.c (v2) and cgroup-v1.c share; not for callers (they use cgroup.h). */
#pragma once
#include <stddef.h>

#include "launch/cgroup.h"

/* *ret_error = the formatted reason (with strerror(-r) when r < 0); returns r, or -EINVAL. */
int cgroup_fail(char **ret_error, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cgroup_write_at(int dirfd, const char *file, const char *value);
/* The mount point of the cgroup2 file system (controller NULL) or of the cgroup v1
 * hierarchy with that controller, from /proc/self/mountinfo; -ENOENT: none. */
int cgroup_find_mount(const char *controller, char *buf, size_t size);
/* nsd's own cgroup there: mount point + its line of /proc/self/cgroup ("0::" for v2). */
int cgroup_own(const char *controller, char *buf, size_t size, char **ret_error);
/* path, O_DIRECTORY, if it is on a file system of that magic ("cgroup v2", "cgroup v1"). */
int cgroup_open_dir(const char *path, long magic, const char *kind, char **ret_error);
/* Async-signal-safe: pid (0: the caller) into dirfd/cgroup.procs. */
int cgroup_join_fd(int dirfd, pid_t pid);

int cgroup_v1_base_open(const struct cgroup_where *where, const char *name, bool need_memory, struct cgroup_base *ret,
                        char **ret_error);
void cgroup_v1_base_close(struct cgroup_base *b);
int cgroup_v1_launch_new(struct cgroup_base *b, unsigned max_processes, uint64_t max_memory, struct cgroup_launch *ret);
void cgroup_v1_kill(int dirfd);
int cgroup_v1_remove_name(struct cgroup_base *b, const char *name);
