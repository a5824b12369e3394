/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/dbusproxy.h"

#include <linux/openat2.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/creds.h"
#include "util.h"

/* How long the launch waits for GetAddress, and for the proxy to listen. */
#define GET_ADDRESS_MS 3000
#define PROXY_READY_MS 5000
#define ADDRESS_MAX 512

/* What the app may do on the session bus: find the a11y bus; talk to IBus (the daemon's
 * name, and the portal that IBus clients in a sandbox use, IBUS_USE_PORTAL=1). Nothing
 * else: no notifications, shell, secrets, file chooser or any other portal. */
static const char *const session_a11y[] = { "--talk=org.a11y.Bus" };
static const char *const session_ibus[] = { "--talk=org.freedesktop.IBus", "--talk=org.freedesktop.portal.IBus" };
/* What the app may call on the a11y bus: register itself with the registry, and ask which
 * events and keys the screen reader listens to (flatpak's set). The screen reader's own
 * calls into the app come in as they are. */
#define REG "--call=org.a11y.atspi.Registry=org.a11y.atspi."
#define DEC "@/org/a11y/atspi/registry/deviceeventcontroller"
static const char *const a11y_rules[] = {
        "--filter", "--sloppy-names",
        "--broadcast=org.a11y.atspi.Registry=org.a11y.atspi.Registry.EventListenerRegistered@/org/a11y/atspi/registry",
        "--broadcast=org.a11y.atspi.Registry=org.a11y.atspi.Registry.EventListenerDeregistered@/org/a11y/atspi/registry",
        REG "Socket.Embed@/org/a11y/atspi/accessible/root",
        REG "Socket.Unembed@/org/a11y/atspi/accessible/root",
        REG "Registry.GetRegisteredEvents@/org/a11y/atspi/registry",
        REG "DeviceEventController.GetKeystrokeListeners" DEC,
        REG "DeviceEventController.GetDeviceEventListeners" DEC,
        REG "DeviceEventController.NotifyListenersSync" DEC,
        REG "DeviceEventController.NotifyListenersAsync" DEC,
};
#undef REG
#undef DEC

bool dbusproxy_wanted(const struct sandbox *sb) {
        return sb->app && (sb->app->sockets & (APP_SOCKET_A11Y | APP_SOCKET_IBUS));
}

void dbusproxy_done(struct dbusproxy *dp) {
        closep(&dp->bus_fd);
        closep(&dp->a11y_fd);
        closep(&dp->ready_fd);
}

/* rel below dirfd, without a symlink or "..": a socket the caller owns, O_PATH; or -1. */
static int open_socket_beneath(int dirfd, const char *rel, uid_t owner) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
        struct stat st;
        if (dirfd < 0)
                return -1;
        int fd = (int) syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != owner))
                closep(&fd);
        return fd;
}

/* In a forked child: become the app's user (who is the caller, dbusproxy_open checked),
 * fds[i] as fd 3+i and nothing else (exec_fd, when >= 0, the program to run, at 3+n,
 * close-on-exec), then exec argv. Never returns. */
static _Noreturn void exec_as_caller(const struct sandbox *sb, const int *fds, size_t n, int out_fd, int err_fd,
                                     pid_t parent, int exec_fd, char **argv) {
        enum launch_step step;
        int high[8];
        size_t n_high = n + (exec_fd >= 0);
        if (n_high > ELEMENTSOF(high))
                _exit(127);
        /* Out of the way first: a source may sit where another goes. */
        for (size_t i = 0; i < n_high; i++)
                if ((high[i] = fcntl(i < n ? fds[i] : exec_fd, F_DUPFD_CLOEXEC, 64)) < 0)
                        _exit(127);
        int in_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd >= 0 ? out_fd : in_fd, 1) < 0 ||
            dup2(err_fd >= 0 ? err_fd : in_fd, 2) < 0)
                _exit(127);
        for (size_t i = 0; i < n_high; i++)
                if (dup3(high[i], 3 + (int) i, i < n ? 0 : O_CLOEXEC) < 0)
                        _exit(127);
        if (syscall(SYS_close_range, 3 + n_high, ~0U, 0) < 0)
                _exit(127);
        if (creds_drop(sb->target, &step) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
        char *envp[] = { "PATH=/usr/bin:/bin", NULL };
        if (exec_fd >= 0)
                syscall(SYS_execveat, 3 + (int) n, "", argv, envp, AT_EMPTY_PATH);
        else
                execve(argv[0], argv, envp);
        _exit(127);
}

/* The proxy's program as a sealed memfd that its user may execute but not read: a process
 * whose program is unreadable to it is not dumpable, so the app, of the same user in the
 * same PID namespace, cannot reach its memory or fds through /proc (seccomp denies
 * ptrace, but not /proc/PID/mem), whatever Yama's ptrace_scope. */
static int proxy_program_memfd(void) {
        _cleanup_close_ int src = open(DBUSPROXY_PROGRAM, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (src < 0 || fstat(src, &st) < 0)
                return negative_errno();
        _cleanup_close_ int fd = memfd_create("xdg-dbus-proxy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return negative_errno();
        /* sendfile: copy_file_range() refuses a copy between file systems on older kernels. */
        for (off_t done = 0; done < st.st_size;) {
                ssize_t n = sendfile(fd, src, NULL, (size_t) (st.st_size - done));
                if (n <= 0)
                        return n < 0 ? negative_errno() : -EIO;
                done += n;
        }
        if (fchmod(fd, 0111) < 0 ||
            fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

static void kill_and_reap(pid_t pid) {
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* Read from fd until EOF, a full buffer or the deadline: the bytes read, or -1. */
static ssize_t read_until(int fd, char *buf, size_t size, uint64_t deadline) {
        size_t n = 0;
        while (n < size) {
                uint64_t now = now_ms();
                if (now >= deadline)
                        return -1;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int k = poll(&p, 1, (int) (deadline - now));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -1;
                ssize_t got = read(fd, buf + n, size - n);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        return got < 0 ? -1 : (ssize_t) n;
                n += (size_t) got;
        }
        return (ssize_t) n;
}

/* The a11y bus's path from GetAddress's answer ("unix:path=/x,guid=..."), checked: an
 * absolute path, no D-Bus escapes, no "..", short enough for a socket address. Abstract
 * sockets (unix:abstract=) are not reachable from the clearnet namespace. */
static int parse_a11y_address(char *answer, char path[static sizeof ((struct sockaddr_un *) 0)->sun_path]) {
        char *s = answer + strspn(answer, " \t");
        s[strcspn(s, "\r\n")] = '\0';
        static const char prefix[] = "unix:path=";
        if (strncmp(s, prefix, sizeof prefix - 1) != 0)
                return -EPROTONOSUPPORT;
        s += sizeof prefix - 1;
        s[strcspn(s, ",;")] = '\0';
        size_t len = strlen(s);
        if (s[0] != '/' || len >= sizeof ((struct sockaddr_un *) 0)->sun_path || strchr(s, '%') ||
            strstr(s, "/../") || strstr(s, "/./") || (len >= 3 && STREQ(s + len - 3, "/..")))
                return -EINVAL;
        memcpy(path, s, len + 1);
        return 0;
}

/* org.a11y.Bus.GetAddress on the caller's bus, by dbus-send as the caller: the path of
 * the a11y bus socket, or a negative errno. The caller's bus may not answer: bounded. */
static int get_a11y_path(const struct sandbox *sb, int bus_fd, char *path) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        _cleanup_close_ int rd = p[0], wr = p[1];
        char *argv[] = { DBUSPROXY_DBUS_SEND, "--bus=unix:path=/proc/self/fd/3", "--print-reply=literal",
                         "--reply-timeout=2000", "--dest=org.a11y.Bus", "/org/a11y/bus",
                         "org.a11y.Bus.GetAddress", NULL };
        pid_t self = getpid(), pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                exec_as_caller(sb, &bus_fd, 1, wr, -1, self, -1, argv);
        closep(&wr);
        char answer[ADDRESS_MAX + 1];
        ssize_t n = read_until(rd, answer, ADDRESS_MAX, now_ms() + GET_ADDRESS_MS);
        int status = 0;
        if (n < 0 || n == ADDRESS_MAX)         /* too slow, or too much: it may still write */
                kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (n <= 0 || n == ADDRESS_MAX || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -ENXIO;
        answer[n] = '\0';
        return parse_a11y_address(answer, path);
}

/* The a11y bus socket at path, where the caller may have it: under its runtime dir or
 * /tmp (at-spi's dbus-daemon listens in one of them), opened through the directories
 * opened before the view hid them. */
static int open_a11y_socket(const struct sandbox *sb, const struct sandbox_prepared *prepared, const char *path) {
        char run[64];
        int n = snprintf(run, sizeof run, "/run/user/%u/", (unsigned) sb->caller_uid);
        if (strncmp(path, run, (size_t) n) == 0)
                return open_socket_beneath(prepared->run_user_fd, path + strlen("/run/user/"), sb->caller_uid);
        if (strncmp(path, "/tmp/", 5) == 0)
                return open_socket_beneath(prepared->tmp_fd, path + 5, sb->caller_uid);
        return -1;
}

void dbusproxy_open(const struct sandbox *sb, const struct sandbox_prepared *prepared, struct dbusproxy *ret) {
        *ret = (struct dbusproxy) { .bus_fd = -1, .a11y_fd = -1, .ready_fd = -1 };
        /* The session bus authenticates the uid of the proxy, which is the caller's: an app
         * of another user could not use it anyway. The config asks a PID namespace. */
        if (!dbusproxy_wanted(sb) || !sb->runtime_dir[0] || sb->target->uid != sb->caller_uid ||
            !sb->app->pid_namespace)
                return;
        char rel[32];
        snprintf(rel, sizeof rel, "%u/bus", (unsigned) sb->caller_uid);
        ret->bus_fd = open_socket_beneath(prepared->run_user_fd, rel, sb->caller_uid);
        if (ret->bus_fd < 0 || !(sb->app->sockets & APP_SOCKET_A11Y))
                return;
        char path[sizeof ((struct sockaddr_un *) 0)->sun_path];
        if (get_a11y_path(sb, ret->bus_fd, path) == 0)
                ret->a11y_fd = open_a11y_socket(sb, prepared, path);
}

static int push(char **argv, size_t *n, size_t max, const char *s) {
        if (*n + 1 >= max)
                return -E2BIG;
        argv[(*n)++] = (char *) s;
        argv[*n] = NULL;
        return 0;
}

static int push_all(char **argv, size_t *n, size_t max, const char *const *l, size_t count) {
        int r = 0;
        for (size_t i = 0; i < count && r == 0; i++)
                r = push(argv, n, max, l[i]);
        return r;
}

int dbusproxy_start(const struct sandbox *sb, struct dbusproxy *dp, int stderr_fd) {
        if (dp->bus_fd < 0)
                return 0;
        const unsigned uid = (unsigned) sb->target->uid;
        char bus_listen[64], a11y_listen[64], fd_arg[16];
        snprintf(bus_listen, sizeof bus_listen, "/run/user/%u/bus", uid);
        snprintf(a11y_listen, sizeof a11y_listen, "/run/user/%u/at-spi-bus", uid);
        /* The fds as exec_as_caller() places them: 3 the bus, 4 the a11y bus, 5 the pipe. */
        snprintf(fd_arg, sizeof fd_arg, "--fd=%d", dp->a11y_fd >= 0 ? 5 : 4);
        char *argv[40] = { DBUSPROXY_PROGRAM, NULL };
        size_t n = 1;
        int r = push(argv, &n, ELEMENTSOF(argv), fd_arg);
        if (r == 0)
                r = push(argv, &n, ELEMENTSOF(argv), "unix:path=/proc/self/fd/3");
        if (r == 0)
                r = push(argv, &n, ELEMENTSOF(argv), bus_listen);
        if (r == 0)
                r = push(argv, &n, ELEMENTSOF(argv), "--filter");
        if (r == 0 && (sb->app->sockets & APP_SOCKET_A11Y))
                r = push_all(argv, &n, ELEMENTSOF(argv), session_a11y, ELEMENTSOF(session_a11y));
        if (r == 0 && (sb->app->sockets & APP_SOCKET_IBUS))
                r = push_all(argv, &n, ELEMENTSOF(argv), session_ibus, ELEMENTSOF(session_ibus));
        if (r == 0 && dp->a11y_fd >= 0) {
                r = push(argv, &n, ELEMENTSOF(argv), "unix:path=/proc/self/fd/4");
                if (r == 0)
                        r = push(argv, &n, ELEMENTSOF(argv), a11y_listen);
                if (r == 0)
                        r = push_all(argv, &n, ELEMENTSOF(argv), a11y_rules, ELEMENTSOF(a11y_rules));
        }
        if (r < 0)
                return r;

        _cleanup_close_ int prog = proxy_program_memfd();
        if (prog < 0)
                return prog;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        _cleanup_close_ int rd = p[0], wr = p[1];
        int fds[3] = { dp->bus_fd, dp->a11y_fd >= 0 ? dp->a11y_fd : wr, wr };
        pid_t self = getpid(), pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                exec_as_caller(sb, fds, dp->a11y_fd >= 0 ? 3 : 2, -1, stderr_fd, self, prog, argv);
        closep(&wr);
        closep(&dp->bus_fd);
        closep(&dp->a11y_fd);
        /* Listening: it writes one byte. */
        char x;
        if (read_until(rd, &x, 1, now_ms() + PROXY_READY_MS) != 1) {
                kill_and_reap(pid);
                return -ETIMEDOUT;
        }
        dp->ready_fd = TAKE_FD(rd);
        dp->pid = pid;
        return 0;
}
