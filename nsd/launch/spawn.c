/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/cgroup.h"
#include "launch/creds.h"
#include "launch/dbusproxy.h"
#include "launch/pidns.h"
#include "util.h"

extern char **environ;

_Noreturn void child_fail(int pipe_fd, int error, enum launch_step step) {
        struct spawn_failure f = { .error = error < 0 ? -error : error, .step = step };
        (void) write_all(pipe_fd, &f, sizeof f);
        _exit(PROTO_EXIT_STATUS_FAILURE);
}

static int cmp_int(const void *a, const void *b) {
        return *(const int *) a - *(const int *) b;
}

/* Close every fd from 3 up but those in keep[] (negative ones are no fd). */
static int close_all_but(int *keep, size_t n) {
        size_t n_valid = 0;
        for (size_t i = 0; i < n; i++)
                if (keep[i] >= 3)
                        keep[n_valid++] = keep[i];
        qsort(keep, n_valid, sizeof keep[0], cmp_int);
        unsigned from = 3;
        for (size_t i = 0; i <= n_valid; i++) {
                unsigned to = i < n_valid ? (unsigned) keep[i] : ~0U;
                if (to > from && syscall(SYS_close_range, from, i < n_valid ? to - 1 : to, 0) < 0)
                        return negative_errno();
                from = i < n_valid ? to + 1 : from;
        }
        return 0;
}

/* Set up after the user switch, which clears it: a child whose nsd is gone ends. In a PID
 * namespace getppid() is 0 whoever the parent is, so nsd's pidfd tells instead. */
static bool nsd_alive(const struct spawn_request *req, bool in_pidns) {
        if (!in_pidns)
                return getppid() == req->nsd_pid;
        struct pollfd p = { .fd = req->nsd_pidfd, .events = POLLIN };
        return poll(&p, 1, 0) == 0;
}

struct program {
        const struct spawn_request *req;
        int pipe_fd;
        bool new_session;       /* in a PID namespace: init has the child's session */
};

/* The last steps before the program runs: never returns. */
static int exec_program(void *p) {
        const struct program *prog = p;
        const struct spawn_request *req = prog->req;
        if (prog->new_session && setsid() < 0)
                child_fail(prog->pipe_fd, errno, LAUNCH_STEP_START_A_NEW_SESSION);
        const char *dir = view_start_dir(&req->sandbox, req->cwd);
        if (chdir(dir) < 0)
                if (chdir(req->sandbox.target->home) < 0 && chdir("/") < 0)
                        child_fail(prog->pipe_fd, errno, LAUNCH_STEP_CHANGE_DIRECTORY);
        /* execvp() searches the PATH of environ: the command's, not nsd's. */
        environ = req->envp;
        execvp(req->argv[0], req->argv);
        child_fail(prog->pipe_fd, errno, LAUNCH_STEP_EXEC);
}

void spawn_child_setup(const struct spawn_request *base, int pipe_fd, int status_fd, int keep_fd,
                       struct sandbox_prepared *ret_prepared, int *ret_sigfd) {
        const bool in_pidns = status_fd >= 0;
        enum launch_step step = LAUNCH_STEP_START;
        int r;
        *ret_sigfd = -1;
        /* nsd's fds (other clients' connections among them) go at once: a spare may wait
         * long, and a connection it held would not end when nsd closes it. */
        const int *stdio = base->stdio;
        int keep[] = { pipe_fd, status_fd, keep_fd, base->netns_fd, base->nsd_pidfd,
                       stdio ? stdio[0] : -1, stdio ? stdio[1] : -1, stdio ? stdio[2] : -1 };
        if ((r = close_all_but(keep, ELEMENTSOF(keep))) < 0)
                child_fail(pipe_fd, r, LAUNCH_STEP_CLOSE_INHERITED_FDS);
        /* select() users among the programs expect the usual limit, not nsd's. */
        if (base->nofile.rlim_max)
                (void) setrlimit(RLIMIT_NOFILE, &base->nofile);
        /* Nothing of nsd's signal state carries over (systemd starts it with SIGPIPE
         * ignored, a shell may have it ignore SIGINT). */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        if (in_pidns) {
                if ((*ret_sigfd = pidns_init_signals()) < 0)
                        child_fail(pipe_fd, *ret_sigfd, LAUNCH_STEP_SET_UP_SIGNALS);
        } else {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
        }
        /* Until the user switch (which clears it, and sets it again): a child whose nsd is
         * gone, a spare waiting for a request say, ends. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                child_fail(pipe_fd, errno, LAUNCH_STEP_WATCH_THE_PARENT);
        if (setsid() < 0)
                child_fail(pipe_fd, errno, LAUNCH_STEP_START_A_NEW_SESSION);
        if (setns(base->netns_fd, CLONE_NEWNET) < 0)
                child_fail(pipe_fd, errno, LAUNCH_STEP_JOIN_THE_CLEARNET_NAMESPACE);
        /* The UTS namespace is made here, by host root: owned by the initial user namespace,
         * so not even a root command (uid 0 of a user namespace of its own) may rename it. */
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
                child_fail(pipe_fd, errno, LAUNCH_STEP_CREATE_MOUNT_IPC_AND_UTS_NAMESPACES);
        if ((r = view_prepare(&base->sandbox, ret_prepared, &step)) < 0)
                child_fail(pipe_fd, r, step);
        /* A command's view is complete: entered now (in a spare, before the filter that
         * denies pivot_root and mount is loaded). An app's sockets come with its request. */
        if (!base->sandbox.app && (r = view_enter(ret_prepared, &step)) < 0)
                child_fail(pipe_fd, r, step);
}

/* A caller's stdio is a terminal, pipe, socket or file: never a directory or an O_PATH
 * fd, which would be a way around the view (a root of the host's tree as stdin). Checked
 * here, in the child: an fstat() of a caller's fd (on its FUSE mount) may block. */
static int stdio_fd_ok(int fd) {
        struct stat st;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (fl & O_PATH)
                return -EBADF;
        if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        return 0;
}

void spawn_child_launch(const struct spawn_request *req, struct sandbox_prepared *prepared, int pipe_fd, int status_fd,
                        int sigfd) {
        const bool in_pidns = status_fd >= 0;
        enum launch_step step = LAUNCH_STEP_START;
        int r;
        /* sockets = a11y ibus: the buses are found before the view hides them, and the
         * proxy, inside the view, started once it is made (dbusproxy.h). */
        struct dbusproxy dp;
        dbusproxy_open(&req->sandbox, prepared, &dp);
        if ((r = view_finish(&req->sandbox, prepared, &step)) < 0)
                child_fail(pipe_fd, r, step);
        /* The X display the view reserved (view.h): the app's DISPLAY; the name stays held
         * by init, or without a PID namespace by the program itself. */
        char display[32];
        if (prepared->x11_hold_fd >= 0) {
                snprintf(display, sizeof display, "DISPLAY=:%s", prepared->x11_display);
                for (char **e = req->envp; *e; e++)
                        if (strncmp(*e, "DISPLAY=", 8) == 0)
                                *e = display;
                if (!in_pidns && fcntl(prepared->x11_hold_fd, F_SETFD, 0) < 0)
                        child_fail(pipe_fd, errno, LAUNCH_STEP_BIND_THE_X11_SOCKET);
        }
        if ((r = dbusproxy_start(&req->sandbox, &dp, req->stdio[2])) < 0)
                child_fail(pipe_fd, r, LAUNCH_STEP_START_THE_DBUS_PROXY);

        /* stdio are the caller's; every other fd goes but the pipes (cloexec: the
         * program's exec closes them) and, for init, its signalfd and nsd's pidfd. */
        for (int i = 0; i < 3; i++)
                if ((r = stdio_fd_ok(req->stdio[i])) < 0)
                        child_fail(pipe_fd, r, LAUNCH_STEP_SET_UP_STDIO);
        for (int i = 0; i < 3; i++)
                if (dup2(req->stdio[i], i) < 0)
                        child_fail(pipe_fd, errno, LAUNCH_STEP_SET_UP_STDIO);
        int keep[] = { pipe_fd, status_fd, sigfd, in_pidns ? req->nsd_pidfd : -1, prepared->x11_hold_fd,
                       dp.ready_fd };
        if ((r = close_all_but(keep, ELEMENTSOF(keep))) < 0)
                child_fail(pipe_fd, r, LAUNCH_STEP_CLOSE_INHERITED_FDS);

        if ((r = creds_lockdown(req->sandbox.target, &req->sandbox.cfg->run, req->seccomp, req->seccomp_loaded, &step)) < 0)
                child_fail(pipe_fd, r, step);
        if (!nsd_alive(req, in_pidns))
                child_fail(pipe_fd, ESRCH, LAUNCH_STEP_WATCH_THE_PARENT);
        struct program prog = { .req = req, .pipe_fd = pipe_fd, .new_session = in_pidns };
        if (in_pidns) {
                close(req->nsd_pidfd);
                r = pidns_run_program(sigfd, status_fd, pipe_fd, exec_program, &prog);
                child_fail(pipe_fd, r, LAUNCH_STEP_START_THE_PROGRAM_IN_THE_PID_NAMESPACE);
        }
        exec_program(&prog);
        _exit(PROTO_EXIT_STATUS_FAILURE); /* not reached */
}

bool spawn_wants_pidns(const struct spawn_request *req) {
        return req->sandbox.app ? req->sandbox.app->pid_namespace : req->sandbox.cfg->run.pid_namespace;
}

int spawn_fork(const struct spawn_request *base, bool in_pidns, struct spawn_child *ret, int *ret_exec_w,
               int *ret_status_w) {
        _cleanup_close_ int exec_r = -1, exec_w = -1, status_r = -1, status_w = -1;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        exec_r = p[0];
        exec_w = p[1];
        if (in_pidns) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return negative_errno();
                status_r = p[0];
                status_w = p[1];
        }
        pid_t pid;
        int r = 0;
        if (in_pidns)
                r = pidns_fork(base->nsd_pidns_fd, &pid);
        else if ((pid = fork()) < 0)
                r = negative_errno();
        if (r < 0)
                return r;
        if (pid == 0) {
                closep(&exec_r);
                closep(&status_r);
                *ret = (struct spawn_child) { .pid = 0, .pidfd = -1, .exec_pipe = -1, .status_pipe = -1 };
                *ret_exec_w = TAKE_FD(exec_w);
                *ret_status_w = TAKE_FD(status_w);
                return 0;
        }
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                r = negative_errno();
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return r;
        }
        fcntl(exec_r, F_SETFL, O_NONBLOCK);
        if (status_r >= 0)
                fcntl(status_r, F_SETFL, O_NONBLOCK);
        *ret = (struct spawn_child) { .pid = pid, .pidfd = pidfd, .exec_pipe = TAKE_FD(exec_r),
                                      .status_pipe = TAKE_FD(status_r) };
        return 0;
}

int spawn_start(const struct spawn_request *req, struct spawn_child *ret) {
        const bool in_pidns = spawn_wants_pidns(req);
        int exec_w, status_w;
        int r = spawn_fork(req, in_pidns, ret, &exec_w, &status_w);
        if (r < 0 || ret->pid > 0)
                return r;
        /* The child: into its cgroup before anything else (its limits hold from here),
         * then straight through. */
        if (req->cgroup.fd >= 0 && (r = cgroup_launch_join(&req->cgroup, 0)) < 0)
                child_fail(exec_w, r, LAUNCH_STEP_JOIN_THE_LAUNCH_CGROUP);
        struct sandbox_prepared prepared;
        int sigfd;
        spawn_child_setup(req, exec_w, status_w, -1, &prepared, &sigfd);
        spawn_child_launch(req, &prepared, exec_w, status_w, sigfd);
}
