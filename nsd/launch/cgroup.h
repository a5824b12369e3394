/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Limits per launch through cgroup v2, the kernel's own mechanism: each launch in a cgroup
 * of its own with pids.max and memory.max, ended as a whole with cgroup.kill.
 *
 * The layout, below the base (nsd's own cgroup, which systemd delegates with Delegate=yes,
 * or [daemon] cgroup): nsd moves itself into the leaf "nsd-<name>" (cgroup v2 allows
 * controllers for children only in a cgroup without processes of its own), and each
 * launch gets "launches-<name>/<nsd's pid>-<n>" (<name>: the namespace's, so that two
 * instances can share a base).
 *
 * On a hybrid host (a cgroup2 without the pids controller, which a cgroup v1 hierarchy
 * holds), the same below a base in the v1 pids hierarchy (cgroup-v1.c): no leaf for nsd
 * (v1 allows processes in inner cgroups), launches-<name>/<nsd's pid>-<n> there and, for
 * max_memory, the same in the v1 memory hierarchy; a tree is ended by SIGKILL to each
 * process in cgroup.procs, again until it is empty (pids.max bounds how many there are). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup_base {
        int launches_fd;        /* <base>/launches, O_DIRECTORY; -1: no limits */
        char path[256];         /* <base>, for messages */
        char launches[320];     /* <base>/launches-<name> */
        bool memory;            /* the memory controller is enabled for launches */
        bool v1;                /* launches_fd is in the cgroup v1 pids hierarchy */
        int mem_launches_fd;    /* v1 only: launches-<name> in the memory hierarchy; -1: none */
        char mem_launches[320];
        uint64_t next;          /* the next launch's number */
};
#define CGROUP_BASE_NONE ((struct cgroup_base) { .launches_fd = -1, .mem_launches_fd = -1 })

struct cgroup_launch {
        int fd;                 /* its directory, O_DIRECTORY (v1: in the pids hierarchy); -1: none */
        int mem_fd;             /* v1 only: its directory in the memory hierarchy; -1: none */
        bool v1;
        char name[32];          /* below launches/ */
};
#define CGROUP_LAUNCH_NONE ((struct cgroup_launch) { .fd = -1, .mem_fd = -1 })

/* Where: [daemon] cgroup (v2), or cgroup_v1_pids and cgroup_v1_memory; all NULL: nsd's own
 * cgroup v2, or, when that has no pids controller, nsd's own cgroups in the v1 pids (and
 * memory) hierarchies. */
struct cgroup_where {
        const char *v2;
        const char *v1_pids;
        const char *v1_memory;
};

/* Set up the layout there, with the pids controller and, with need_memory, the memory
 * controller. On failure, *ret_error says why. */
int cgroup_base_open(const struct cgroup_where *where, const char *name, bool need_memory, struct cgroup_base *ret,
                     char **ret_error);
void cgroup_base_close(struct cgroup_base *b);

/* A new launch cgroup with these limits (max_memory 0: none). */
int cgroup_launch_new(struct cgroup_base *b, unsigned max_processes, uint64_t max_memory, struct cgroup_launch *ret);
/* Move pid (0: the caller) into it. Async-signal-safe: a child runs it before exec. */
int cgroup_launch_join(const struct cgroup_launch *l, pid_t pid);
/* SIGKILL to every process in it (cgroup.kill; v1: to each one listed, a bounded number of
 * rounds, never waiting: what is left is killed again by cgroup_remove_name()). */
void cgroup_launch_kill(const struct cgroup_launch *l);
/* Remove it (-EBUSY while killed processes are still on their way out); the fd is closed
 * either way, and l->name kept for a retry with cgroup_remove_name() (which, on v1, kills
 * what is still listed first). */
int cgroup_launch_remove(struct cgroup_base *b, struct cgroup_launch *l);
int cgroup_remove_name(struct cgroup_base *b, const char *name);
