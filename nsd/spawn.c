/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidns.h"
#include "util.h"

extern char **environ;

static const char *env_get(char **env, size_t n, const char *key) {
        size_t klen = strlen(key);
        for (size_t i = 0; i < n; i++)
                if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
                        return env[i] + klen + 1;
        return NULL;
}

static bool plain_name(const char *s, size_t max) {
        if (!s || !*s || strlen(s) >= max || STREQ(s, ".") || STREQ(s, ".."))
                return false;
        for (; *s; s++)
                if (*s == '/' || (unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

void spawn_runtime_from_env(const struct proto_request *req, uid_t caller_uid, struct sandbox *sb) {
        char want[64];
        snprintf(want, sizeof want, "/run/user/%u", (unsigned) caller_uid);
        const char *xdg = env_get(req->env, req->envc, "XDG_RUNTIME_DIR");
        struct stat st;
        /* Only the caller's own runtime dir, whatever the variable says. */
        if (xdg && STREQ(xdg, want) && lstat(want, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == caller_uid)
                snprintf(sb->runtime_dir, sizeof sb->runtime_dir, "%s", want);
        /* Only a Wayland socket's name: any other socket the caller owns there (its session
         * bus, say) must not be reachable by naming it here. */
        const char *wl = env_get(req->env, req->envc, "WAYLAND_DISPLAY");
        if (plain_name(wl, sizeof sb->wayland_display) && strncmp(wl, "wayland-", 8) == 0 &&
            wl[8] && strspn(wl + 8, "0123456789") == strlen(wl + 8))
                snprintf(sb->wayland_display, sizeof sb->wayland_display, "%s", wl);
        const char *d = env_get(req->env, req->envc, "DISPLAY");
        if (d && d[0] == ':' && d[1] && strspn(d + 1, "0123456789") == strcspn(d + 1, ".") &&
            strspn(d + 1, "0123456789") < 8)
                snprintf(sb->x11_display, sizeof sb->x11_display, "%.*s", (int) strspn(d + 1, "0123456789"), d + 1);
}

static int strv_push(char ***l, size_t *n, const char *s) {
        char **p = realloc(*l, (*n + 2) * sizeof(char *));
        if (!p)
                return -ENOMEM;
        *l = p;
        p[*n] = strdup(s);
        if (!p[*n])
                return -ENOMEM;
        p[++*n] = NULL;
        return 0;
}

static int strv_pushf(char ***l, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int strv_pushf(char ***l, size_t *n, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : strv_push(l, n, s);
}

int spawn_build_argv(const struct app_config *app, const struct proto_request *req, char ***ret) {
        char **l = NULL;
        size_t n = 0;
        int r = 0;
        if (app) {
                for (strv w = app->exec; *w && r == 0; w++)
                        r = strv_push(&l, &n, *w);
                /* Policy checked it is an http(s) URL, so it cannot be read as an option. */
                if (r == 0 && req->argc == 1)
                        r = strv_push(&l, &n, req->argv[0]);
        } else
                for (size_t i = 0; i < req->argc && r == 0; i++)
                        r = strv_push(&l, &n, req->argv[i]);
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

/* Variables a command (run as the caller itself) keeps from the caller. */
static bool command_env_ok(const char *entry) {
        static const char *const keep[] = { "TERM=", "COLORTERM=", "LANG=", "LANGUAGE=", "TZ=", "PATH=",
                                            "COLUMNS=", "LINES=", "NO_COLOR=" };
        for (size_t i = 0; i < ELEMENTSOF(keep); i++)
                if (strncmp(entry, keep[i], strlen(keep[i])) == 0)
                        return true;
        return strncmp(entry, "LC_", 3) == 0;
}

/* An app may run as another user than its caller: a value must not point it at files the
 * caller made (LANG=/home/caller/x, TZ=/..., TZ=:/...). "Europe/Paris" is fine. */
static bool app_env_value_ok(const char *v) {
        if (v[0] == '/' || (v[0] == ':' && strchr(v, '/')) || strstr(v, ".."))
                return false;
        for (const char *p = v; *p; p++)
                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                        return false;
        return true;
}

int spawn_build_env(const struct app_config *app, const struct target *t, const struct proto_request *req,
                    const struct sandbox *sb, char ***ret) {
        char **l = NULL;
        size_t n = 0;
        int r = 0;
        bool have_path = false;
        for (size_t i = 0; i < req->envc && r == 0; i++) {
                const char *e = req->env[i];
                size_t klen = strcspn(e, "=");
                char key[128];
                if (klen >= sizeof key)
                        continue;
                memcpy(key, e, klen);
                key[klen] = '\0';
                bool ok = app ? strv_contains(app->env, key) && app_env_value_ok(e + klen + 1)
                              : command_env_ok(e);
                if (!ok)
                        continue;
                have_path |= STREQ(key, "PATH");
                r = strv_push(&l, &n, e);
        }
        if (r == 0)
                r = strv_pushf(&l, &n, "HOME=%s", t->home);
        if (r == 0)
                r = strv_pushf(&l, &n, "USER=%s", t->name);
        if (r == 0)
                r = strv_pushf(&l, &n, "LOGNAME=%s", t->name);
        if (r == 0)
                r = strv_pushf(&l, &n, "SHELL=%s", t->shell);
        if (r == 0 && !have_path)
                r = strv_push(&l, &n, "PATH=/usr/local/bin:/usr/bin:/bin");
        if (r == 0 && app && sb->runtime_dir[0]) {
                r = strv_pushf(&l, &n, "XDG_RUNTIME_DIR=/run/user/%u", (unsigned) t->uid);
                if (r == 0 && (app->sockets & APP_SOCKET_WAYLAND) && sb->wayland_display[0])
                        r = strv_pushf(&l, &n, "WAYLAND_DISPLAY=%s", sb->wayland_display);
        }
        if (r == 0 && app && (app->sockets & APP_SOCKET_X11) && sb->x11_display[0])
                r = strv_pushf(&l, &n, "DISPLAY=:%s", sb->x11_display);
        if (r == 0 && !l)
                r = strv_push(&l, &n, "PATH=/usr/local/bin:/usr/bin:/bin");
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

_Noreturn void child_fail(int pipe_fd, int error, const char *what) {
        struct spawn_failure f = { .error = error < 0 ? -error : error };
        snprintf(f.what, sizeof f.what, "%s", what);
        (void) write_all(pipe_fd, &f, sizeof f);
        _exit(PROTO_EXIT_STATUS_FAILURE);
}

/* The child, from fork to exec. Never returns. */
static _Noreturn void child_run(const struct spawn_request *req, int pipe_fd) {
        const char *what = "start";
        int r;

        /* Nothing of nsd's signal state carries over (systemd starts it with SIGPIPE
         * ignored, a shell may have it ignore SIGINT). */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (setsid() < 0)
                child_fail(pipe_fd, errno, "start a new session");
        if (setns(req->netns_fd, CLONE_NEWNET) < 0)
                child_fail(pipe_fd, errno, "join the clearnet namespace");
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
                child_fail(pipe_fd, errno, "create mount and IPC namespaces");
        if ((r = sandbox_mounts(&req->sandbox, &what)) < 0)
                child_fail(pipe_fd, r, what);

        /* stdio are the caller's; every other fd goes, but the pipe (cloexec) at 3. */
        for (int i = 0; i < 3; i++)
                if (dup2(req->stdio[i], i) < 0)
                        child_fail(pipe_fd, errno, "set up stdio");
        if (pipe_fd != 3) {
                if (dup3(pipe_fd, 3, O_CLOEXEC) < 0)
                        child_fail(pipe_fd, errno, "move the status pipe");
                pipe_fd = 3;
        }
        if (syscall(SYS_close_range, 4U, ~0U, 0) < 0)
                child_fail(pipe_fd, errno, "close inherited fds");

        pid_t parent = req->nsd_pid;
        if (req->sandbox.app ? req->sandbox.app->pid_namespace : req->sandbox.cfg->run.pid_namespace) {
                /* Returns only in the process that goes on to exec, PID 2 inside. */
                if ((r = pidns_enter(req->sandbox.target, req->nsd_pid, req->seccomp, pipe_fd, &what)) < 0)
                        child_fail(pipe_fd, r, what);
                parent = 1;
        }
        if ((r = sandbox_lockdown(req->sandbox.target, parent, req->seccomp, &what)) < 0)
                child_fail(pipe_fd, r, what);

        if (!req->cwd || chdir(req->cwd) < 0)
                if (chdir(req->sandbox.target->home) < 0 && chdir("/") < 0)
                        child_fail(pipe_fd, errno, "change directory");

        /* execvp() searches the PATH of environ: the command's, not nsd's. */
        environ = req->envp;
        execvp(req->argv[0], req->argv);
        child_fail(pipe_fd, errno, "exec");
}

int spawn_start(const struct spawn_request *req, pid_t *ret_pid, int *ret_pidfd, int *ret_pipe) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        pid_t pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                close(p[0]);
                child_run(req, p[1]);
        }
        close(p[1]);
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                int r = negative_errno();
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                close(p[0]);
                return r;
        }
        fcntl(pidfd, F_SETFD, FD_CLOEXEC);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        *ret_pipe = p[0];
        return 0;
}
