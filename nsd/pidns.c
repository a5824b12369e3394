/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pidns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "sandbox.h"
#include "spawn.h"
#include "util.h"

static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2 };

static void noop(int sig) { (void) sig; }

/* Signals to relay arrive on a signalfd. An init ignores signals whose handler is the
 * default, even blocked ones, so each gets a no-op handler as well. */
static int relay_signals(void) {
        sigset_t mask;
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(relayed); i++) {
                struct sigaction sa = { .sa_handler = noop };
                sigaction(relayed[i], &sa, NULL);
                sigaddset(&mask, relayed[i]);
        }
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int fd = signalfd(-1, &mask, SFD_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

/* End as the program ended: same exit code, or killed by the same signal. */
static _Noreturn void mirror(int status) {
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                struct rlimit no_core = { 0, 0 };
                setrlimit(RLIMIT_CORE, &no_core);
                signal(sig, SIG_DFL);
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, sig);
                sigprocmask(SIG_UNBLOCK, &s, NULL);
                raise(sig);
                _exit(128 + sig);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 125);
}

/* Forward relayed signals to child; on SIGCHLD reap everything; when child ends, hand
 * its status to on_exit. */
static _Noreturn void serve(int sigfd, pid_t child, int status_fd, bool is_init) {
        for (;;) {
                struct signalfd_siginfo si;
                if (read(sigfd, &si, sizeof si) != (ssize_t) sizeof si)
                        continue;
                if (si.ssi_signo != SIGCHLD) {
                        kill(child, (int) si.ssi_signo);
                        continue;
                }
                int status;
                pid_t p;
                while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
                        if (p != child)
                                continue; /* an orphan inside: init reaps it */
                        if (is_init) {
                                /* PID 1 cannot kill itself with a signal: pass the status on. */
                                (void) write_all(status_fd, &status, sizeof status);
                                _exit(0);
                        }
                        int inner;
                        if (read(status_fd, &inner, sizeof inner) == (ssize_t) sizeof inner)
                                mirror(inner);
                        mirror(status); /* init itself was killed */
                }
        }
}

int pidns_enter(const struct target *t, pid_t nsd_pid, const struct sock_fprog *seccomp, int pipe_fd,
                const char **ret_what) {
        int st[2];
        *ret_what = "create a PID namespace";
        if (unshare(CLONE_NEWPID) < 0)
                return negative_errno();
        if (pipe2(st, O_CLOEXEC) < 0)
                return negative_errno();
        pid_t init = fork();
        if (init < 0)
                return negative_errno();
        if (init > 0) {
                /* Outside: the process nsd watches. Nothing of its own to exec. */
                close(st[1]);
                close(pipe_fd);
                int sigfd = relay_signals();
                const char *what;
                if (sigfd < 0 || sandbox_lockdown(t, nsd_pid, seccomp, &what) < 0)
                        _exit(125);
                serve(sigfd, init, st[0], false);
        }
        close(st[0]);
        *ret_what = "mount /proc for the PID namespace";
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                child_fail(pipe_fd, errno, *ret_what);
        int sigfd = relay_signals();
        if (sigfd < 0)
                child_fail(pipe_fd, -sigfd, "set up signals");
        pid_t prog = fork();
        if (prog < 0)
                child_fail(pipe_fd, errno, "fork in the PID namespace");
        if (prog == 0) {
                close(sigfd);
                close(st[1]);
                sigset_t none;
                sigemptyset(&none);
                for (size_t i = 0; i < ELEMENTSOF(relayed); i++)
                        signal(relayed[i], SIG_DFL);
                sigprocmask(SIG_SETMASK, &none, NULL);
                /* The program leads its own session, as without a PID namespace. */
                if (setsid() < 0)
                        child_fail(pipe_fd, errno, "start a new session");
                return 0;
        }
        close(pipe_fd);
        const char *what;
        /* Our parent is outside the namespace, which getppid() shows as 0. */
        if (sandbox_lockdown(t, 0, seccomp, &what) < 0)
                _exit(125);
        serve(sigfd, prog, st[1], true);
}
