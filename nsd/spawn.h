/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting a launch: fork (into a new PID namespace where the policy asks for one), and in
 * the child join the namespace, build the sandbox, become the target user and exec. The
 * parent learns whether exec happened through a pipe. */
#pragma once
#include <sys/types.h>

#include "clearnet/protocol.h"
#include "sandbox.h"

struct spawn_request {
        int netns_fd;
        pid_t nsd_pid;
        int nsd_pidfd;          /* nsd's own pidfd: a child in a PID namespace checks it */
        int nsd_pidns_fd;       /* nsd's own PID namespace, restored after each fork */
        const struct sock_fprog *seccomp;
        struct sandbox sandbox;
        char **argv;            /* NULL-terminated */
        char **envp;            /* NULL-terminated */
        const char *cwd;
        const int *stdio;       /* 3 fds */
};

/* What the child writes to the pipe when it cannot exec. */
struct spawn_failure {
        int error;              /* errno */
        char what[64];          /* the step that failed */
};

struct spawn_child {
        pid_t pid;
        int pidfd;
        int exec_pipe;          /* EOF when exec worked, or a struct spawn_failure */
        int status_pipe;        /* in a PID namespace: the program's wait status, written by
                                 * its init before it exits; -1 without one */
};

/* Fork the child. All fds in *ret are O_CLOEXEC, the pipes O_NONBLOCK. */
int spawn_start(const struct spawn_request *req, struct spawn_child *ret);

/* Build the child's argv and environment from the policy and the request. */
int spawn_build_argv(const struct app_config *app, const struct proto_request *req, char ***ret);
int spawn_build_env(const struct app_config *app, const struct target *t, const struct proto_request *req,
                    const struct sandbox *sb, char ***ret);
/* The caller's runtime dir and display names, validated, from its environment. */
void spawn_runtime_from_env(const struct proto_request *req, uid_t caller_uid, struct sandbox *sb);
/* In a child before exec: report the failed step on the pipe and exit 125. */
_Noreturn void child_fail(int pipe_fd, int error, const char *what);
