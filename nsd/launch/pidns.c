/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/pidns.h"

#include <sched.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "clearnet/protocol.h"
#include "util.h"

/* What the launcher forwards, and what anyone else who may signal init sends it. */
static bool is_relayed(int sig) {
        return proto_signal_is_forwardable(sig) || sig == SIGUSR1 || sig == SIGUSR2;
}

static void relayed_set(sigset_t *set) {
        sigemptyset(set);
        for (int sig = 1; sig < SIGRTMIN; sig++)
                if (is_relayed(sig))
                        sigaddset(set, sig);
        sigaddset(set, SIGCHLD);
}

int pidns_fork(int own_pidns_fd, pid_t *ret_pid) {
        sigset_t block, old;
        relayed_set(&block);
        if (unshare(CLONE_NEWPID) < 0)
                return negative_errno();
        sigprocmask(SIG_BLOCK, &block, &old);
        pid_t pid = fork();
        if (pid == 0) {
                *ret_pid = 0;
                return 0;       /* the mask stays blocked: init sets up its signalfd */
        }
        int r = pid < 0 ? negative_errno() : 0;
        sigprocmask(SIG_SETMASK, &old, NULL);
        /* Without this, every later child of nsd would land in that namespace, whose init
         * may be gone (fork fails: nothing escapes, but nothing starts either). */
        if (setns(own_pidns_fd, CLONE_NEWPID) < 0) {
                r = -ENOTRECOVERABLE;
                if (pid > 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                }
        }
        if (r < 0)
                return r;
        *ret_pid = pid;
        return 0;
}

static void noop(int sig) { (void) sig; }

int pidns_init_signals(void) {
        sigset_t mask;
        relayed_set(&mask);
        for (int sig = 1; sig < SIGRTMIN; sig++)
                if (is_relayed(sig)) {
                        struct sigaction sa = { .sa_handler = noop };
                        sigaction(sig, &sa, NULL);
                }
        sigprocmask(SIG_SETMASK, &mask, NULL);
        int fd = signalfd(-1, &mask, SFD_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

/* The program ended: end everything it left in the namespace (init alone remains), then
 * pass its status on (PID 1 cannot mirror a death by signal on itself) and exit. nsd tells
 * the launcher as soon as the status arrives, while the namespaces are torn down. */
static _Noreturn void finish(int status_fd, int status) {
        if (getpid() == 1)      /* -1 is everyone in the namespace: only ever from its init */
                kill(-1, SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                ;
        (void) write_all(status_fd, &status, sizeof status);
        _exit(0);
}

/* Forward relayed signals to the program; on SIGCHLD reap everything, and finish when the
 * program is among them. */
static _Noreturn void serve(int sigfd, pid_t prog, int status_fd) {
        for (;;) {
                struct signalfd_siginfo si;
                if (read(sigfd, &si, sizeof si) != (ssize_t) sizeof si)
                        continue;
                if (si.ssi_signo != SIGCHLD) {
                        kill(prog, (int) si.ssi_signo);
                        continue;
                }
                int status;
                pid_t p;
                while ((p = waitpid(-1, &status, WNOHANG)) > 0)
                        if (p == prog)
                                finish(status_fd, status);
        }
}

int pidns_run_program(int sigfd, int status_fd, int exec_pipe, int (*exec)(void *), void *arg) {
        /* vfork: the program shares init's memory until its exec, which spares copying it
         * (what nsd had) for a process that replaces it at once; init waits meanwhile. The
         * signalfd and the status pipe are cloexec. */
        pid_t prog = vfork();
        if (prog == 0) {
                for (int sig = 1; sig < SIGRTMIN; sig++)
                        if (is_relayed(sig))
                                signal(sig, SIG_DFL);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                exec(arg);      /* execs, or reports and exits */
                _exit(PROTO_EXIT_STATUS_FAILURE);
        }
        if (prog < 0)
                return negative_errno();
        /* Only the program's exec may end the pipe (EOF: it started); and the caller's
         * stdio reach their end when the program's tree lets go of them, not init. */
        close(exec_pipe);
        for (int fd = 0; fd < 3; fd++)
                close(fd);
        serve(sigfd, prog, status_fd);
}
