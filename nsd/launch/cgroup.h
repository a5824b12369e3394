/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Limits per launch through cgroup v2, the kernel's own mechanism: each launch in a cgroup
 * of its own with pids.max and memory.max, ended as a whole with cgroup.kill.
 *
 * The layout, below the base (nsd's own cgroup, which systemd delegates with Delegate=yes,
 * or [daemon] cgroup): nsd moves itself into the leaf "nsd-<name>" (cgroup v2 allows
 * controllers for children only in a cgroup without processes of its own), and each
 * launch gets "launches-<name>/<nsd's pid>-<n>" (<name>: the namespace's, so that two
 * instances can share a base). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup_base {
        int launches_fd;        /* <base>/launches, O_DIRECTORY; -1: no limits */
        char path[256];         /* <base>, for messages */
        char launches[320];     /* <base>/launches-<name> */
        bool memory;            /* the memory controller is enabled for launches */
        uint64_t next;          /* the next launch's number */
};
#define CGROUP_BASE_NONE ((struct cgroup_base) { .launches_fd = -1 })

struct cgroup_launch {
        int fd;                 /* its directory, O_DIRECTORY; -1: none */
        char name[32];          /* below launches/ */
};
#define CGROUP_LAUNCH_NONE ((struct cgroup_launch) { .fd = -1 })

/* Set up the layout below configured (NULL: nsd's own cgroup), with the pids controller
 * and, with need_memory, the memory controller. On failure, *ret_error says why. */
int cgroup_base_open(const char *configured, const char *name, bool need_memory, struct cgroup_base *ret,
                     char **ret_error);
void cgroup_base_close(struct cgroup_base *b);

/* A new launch cgroup with these limits (max_memory 0: none). */
int cgroup_launch_new(struct cgroup_base *b, unsigned max_processes, uint64_t max_memory, struct cgroup_launch *ret);
/* Move pid (0: the caller) into it. Async-signal-safe: a child runs it before exec. */
int cgroup_launch_join(int cgroup_fd, pid_t pid);
/* SIGKILL to every process in it (cgroup.kill). */
void cgroup_launch_kill(const struct cgroup_launch *l);
/* Remove it (-EBUSY while killed processes are still on their way out); the fd is closed
 * either way, and l->name kept for a retry with cgroup_remove_name(). */
int cgroup_launch_remove(struct cgroup_base *b, struct cgroup_launch *l);
int cgroup_remove_name(struct cgroup_base *b, const char *name);
