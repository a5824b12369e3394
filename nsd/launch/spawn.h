/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting a launch: fork (into a new PID namespace where the policy asks for one), and in
 * the child join the namespace, build the sandbox, become the target user and exec. The
 * parent learns whether exec happened through a pipe. */
#pragma once
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "clearnet/protocol.h"
#include "launch/cgroup.h"
#include "launch/view.h"
#include "launch/step.h"

struct spawn_request {
        int netns_fd;
        pid_t nsd_pid;
        int nsd_pidfd;          /* nsd's own pidfd: a child in a PID namespace checks it */
        int nsd_pidns_fd;       /* nsd's own PID namespace, restored after each fork */
        const struct sock_fprog *seccomp;
        struct rlimit nofile;   /* the open-file limit as nsd found it (0: leave it) */
        struct sandbox sandbox;
        char **argv;            /* NULL-terminated */
        char **envp;            /* NULL-terminated */
        const char *cwd;
        const int *stdio;       /* 3 fds */
        struct cgroup_launch cgroup; /* the launch's cgroup (cgroup.h), joined first; fd -1: none */
        bool seccomp_loaded;    /* by a spare, ahead: in the child only */
};

/* What the child writes to the pipe when it cannot exec. */
struct spawn_failure {
        int error;              /* errno */
        int step;               /* enum launch_step: the step that failed */
};

struct spawn_child {
        pid_t pid;
        int pidfd;
        int exec_pipe;          /* EOF when exec worked, or a struct spawn_failure */
        int status_pipe;        /* in a PID namespace: the program's wait status, written by
                                 * its init before it exits; -1 without one */
};

/* Fork the child, which runs to exec. All fds in *ret are O_CLOEXEC, the pipes O_NONBLOCK. */
int spawn_start(const struct spawn_request *req, struct spawn_child *ret);

/* The parts of spawn_start(), for a spare child that does the first half ahead of a
 * request (spare.h). base: a request of which only the daemon's fields and sandbox.cfg
 * count. */
bool spawn_wants_pidns(const struct spawn_request *req);
/* fork() (into a new PID namespace with in_pidns): 0 in both. In the parent *ret is the
 * child; in the child ret->pid is 0, and *ret_exec_w and *ret_status_w (-1 without a
 * PID namespace) are the write ends of the pipes. */
int spawn_fork(const struct spawn_request *base, bool in_pidns, struct spawn_child *ret, int *ret_exec_w,
               int *ret_status_w);
/* In the child: signals, session, the clearnet namespace, new mount, IPC and UTS
 * namespaces, the view as far as base's sandbox tells it (a command's: all of it, entered). Of nsd's
 * fds it keeps only the pipes, keep_fd (-1: none) and those base names (its stdio, when
 * it has them). On failure, reports on the pipe and exits. */
void spawn_child_setup(const struct spawn_request *base, int pipe_fd, int status_fd, int keep_fd,
                       struct sandbox_prepared *ret_prepared, int *ret_sigfd);
/* Then the request's own mounts, stdio, the lockdown, and the program. */
_Noreturn void spawn_child_launch(const struct spawn_request *req, struct sandbox_prepared *prepared, int pipe_fd,
                                  int status_fd, int sigfd);

/* In a child before exec: report the failed step on the pipe and exit 125. */
_Noreturn void child_fail(int pipe_fd, int error, enum launch_step step);
