/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/view.h"

#include <linux/openat2.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "net/dns.h"
#include "util.h"

#define TMPFS_FLAGS (MS_NOSUID | MS_NODEV)

static int mount_tmpfs(const char *where, const char *opts, unsigned long flags) {
        return mount("tmpfs", where, "tmpfs", TMPFS_FLAGS | flags, opts) < 0 ? negative_errno() : 0;
}

/* Bind an O_PATH fd (opened before anything was hidden) onto dest. */
static int bind_fd(int fd, const char *dest, bool read_only) {
        char src[64];
        snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
        if (mount(src, dest, NULL, MS_BIND, NULL) < 0)
                return negative_errno();
        if (read_only && mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return negative_errno();
        return 0;
}

/* Cover a directory with an empty tmpfs, if it exists: what was there is unreachable.
 * seen[] holds what is covered already, so a path reached twice (/var/run is /run) is
 * covered once. */
static int hide_dir(const char *path, struct stat *seen, size_t *n_seen, size_t max) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        for (size_t i = 0; i < *n_seen; i++)
                if (seen[i].st_dev == st.st_dev && seen[i].st_ino == st.st_ino)
                        return 0;
        int r = mount_tmpfs(path, "mode=0755,size=64k", MS_NOEXEC);
        if (r == 0 && *n_seen < max)
                seen[(*n_seen)++] = st;
        /* And the tmpfs itself: reached again by another name, it is covered already. */
        if (r == 0 && *n_seen < max && stat(path, &st) == 0)
                seen[(*n_seen)++] = st;
        return r;
}

/* A fresh, empty, world-writable (sticky) tmpfs over a directory that exists. */
static int private_dir(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        return mount_tmpfs(path, "mode=1777", 0);
}

static int dirname_of(const char *path, char *buf, size_t size) {
        if (snprintf(buf, size, "%s", path) >= (int) size)
                return -ENAMETOOLONG;
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
                return -EINVAL;
        *slash = '\0';
        return 0;
}

/* A copy of the host's nsswitch.conf whose hosts: line asks only files and DNS, so no
 * lookup can go to systemd-resolved, mDNS or another local resolver. */
static int nsswitch_write(int fd) {
        _cleanup_free_ char *orig = NULL, *out = NULL;
        size_t len = 0;
        if (read_file_limited("/etc/nsswitch.conf", 64 * 1024, &orig, &len) < 0) {
                orig = NULL;
                len = 0;
        }
        static const char hosts[] = "hosts: files dns\n";
        out = malloc(len + sizeof hosts + 1);
        if (!out)
                return -ENOMEM;
        size_t n = 0;
        bool wrote_hosts = false;
        for (char *line = orig, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                const char *s = line + strspn(line, " \t");
                if (strncmp(s, "hosts:", 6) == 0) {
                        if (!wrote_hosts) {
                                memcpy(out + n, hosts, sizeof hosts - 1);
                                n += sizeof hosts - 1;
                        }
                        wrote_hosts = true;
                        continue;
                }
                size_t l = strlen(line);
                memcpy(out + n, line, l);
                n += l;
                out[n++] = '\n';
        }
        if (!wrote_hosts) {
                memcpy(out + n, hosts, sizeof hosts - 1);
                n += sizeof hosts - 1;
        }
        return write_all(fd, out, n);
}

/* Written to the private /tmp (bind mounts need a source in our mount namespace, which
 * rules out a memfd), bound over the real file, then unlinked: only the bind remains. */
static int bind_nsswitch(void) {
        static const char tmp[] = "/tmp/.clearnet-nsswitch.conf";
        char real[PATH_MAX];
        if (!realpath("/etc/nsswitch.conf", real))
                return negative_errno();
        _cleanup_close_ int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        int r = nsswitch_write(fd);
        if (r == 0)
                r = mount(tmp, real, NULL, MS_BIND, NULL) < 0 ? negative_errno() : 0;
        if (r == 0 && mount(NULL, real, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                r = negative_errno();
        unlink(tmp);
        return r;
}

static int open_path(const char *path, int *ret) {
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret = fd;
        return 0;
}

/* A socket of the caller, opened O_PATH (to be bound in after /run/user and /tmp are
 * hidden) below dirfd, a directory opened before the hiding. It must be a socket owned by
 * the caller (or, with also_root, by root); -1 when absent. */
static int open_caller_socket(int dirfd, const char *name, uid_t caller, bool also_root) {
        struct stat st;
        if (dirfd < 0)
                return -1;
        int fd = openat(dirfd, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || (st.st_uid != caller && !(also_root && st.st_uid == 0))))
                closep(&fd);
        return fd;
}

struct runtime_socket {
        unsigned bit;
        char name[96];
        int fd;
};

static int bind_runtime_sockets(const struct sandbox *sb, struct runtime_socket *socks, size_t n) {
        const struct target *t = sb->target;
        char dir[64];
        struct stat st;
        /* No /run/user (no logind: containers, minimal systems): nothing to hide, and no
         * runtime socket to bind either. */
        if (stat("/run/user", &st) < 0)
                return 0;
        snprintf(dir, sizeof dir, "/run/user/%u", (unsigned) t->uid);
        int r = mount_tmpfs("/run/user", "mode=0755,size=1m", MS_NOEXEC);
        if (r < 0)
                return r;
        if (mkdir(dir, 0700) < 0 || chown(dir, t->uid, t->gid) < 0)
                return negative_errno();
        for (size_t i = 0; i < n; i++) {
                if (socks[i].fd < 0)
                        continue;
                char dest[PATH_MAX];
                snprintf(dest, sizeof dest, "%s/%s", dir, socks[i].name);
                char *slash = strrchr(dest, '/');
                if (strchr(socks[i].name, '/')) {       /* pulse/native */
                        *slash = '\0';
                        if (mkdir(dest, 0700) < 0 && errno != EEXIST)
                                return negative_errno();
                        if (chown(dest, t->uid, t->gid) < 0)
                                return negative_errno();
                        *slash = '/';
                }
                _cleanup_close_ int f = open(dest, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
                if (f < 0)
                        return negative_errno();
                if ((r = bind_fd(socks[i].fd, dest, false)) < 0)
                        return r;
        }
        return 0;
}

static int bind_x11(int fd, const char *display) {
        char dest[64];
        if (mkdir("/tmp/.X11-unix", 01777) < 0 && errno != EEXIST)
                return negative_errno();
        snprintf(dest, sizeof dest, "/tmp/.X11-unix/X%s", display);
        _cleanup_close_ int f = open(dest, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0)
                return negative_errno();
        return bind_fd(fd, dest, false);
}

/* The directories above path, where missing. realpath() found them before the hiding, so a
 * missing one lies under a directory just covered by a tmpfs: nothing of the host changes. */
static int make_parents(const char *path) {
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", path) >= (int) sizeof buf)
                return -ENAMETOOLONG;
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
                return 0;
        *slash = '\0';
        return mkdir_p(buf, 0755);
}

static int home_tmpfs(const struct target *t) {
        char opts[96];
        struct stat st;
        /* Under /home, just covered with a tmpfs: made again there, in nothing of the host. */
        if (stat(t->home, &st) < 0 && errno == ENOENT && strncmp(t->home, "/home/", 6) == 0) {
                int r = make_parents(t->home);
                if (r < 0)
                        return r;
                if (mkdir(t->home, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
        }
        if (stat(t->home, &st) < 0 || !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        snprintf(opts, sizeof opts, "mode=0700,uid=%u,gid=%u,size=50%%", (unsigned) t->uid, (unsigned) t->gid);
        return mount_tmpfs(t->home, opts, 0);
}

int view_hidden_dirs(const struct config *cfg, const char *ret[VIEW_HIDDEN_DIRS], char sockdir[PATH_MAX]) {
        int r = dirname_of(cfg->daemon.socket, sockdir, PATH_MAX);
        if (r < 0)
                return r;
        /* systemd's sockets (resolved, journal, userdb, the manager) and the print and
         * mDNS daemons' too: services of the host, reachable by path from any netns. */
        const char *const dirs[VIEW_HIDDEN_DIRS] = {
                sockdir, cfg->daemon.state_dir, cfg->ns.netns_dir, "/run/netns", "/run/dbus",
                "/var/run/dbus", "/run/systemd", "/run/nscd", "/var/run/nscd", "/run/cups",
                "/run/avahi-daemon",
        };
        memcpy(ret, dirs, sizeof dirs);
        return 0;
}

int view_hidden_present(const struct config *cfg, unsigned *ret) {
        const char *hidden[VIEW_HIDDEN_DIRS];
        char sockdir[PATH_MAX];
        int r = view_hidden_dirs(cfg, hidden, sockdir);
        if (r < 0)
                return r;
        struct stat st;
        *ret = 0;
        for (unsigned i = 0; i < VIEW_HIDDEN_DIRS; i++)
                if (stat(hidden[i], &st) == 0 && S_ISDIR(st.st_mode))
                        *ret |= 1U << i;
        return 0;
}

static void sandbox_prepared_done(struct sandbox_prepared *p) {
        closep(&p->run_user_fd);
        closep(&p->tmp_fd);
}

#define STEP(step, expr) do { *ret_step = (step); if ((r = (expr)) < 0) return r; } while (0)

/* What every launch gets: DNS, nsswitch, hidden host services, private /tmp and such. */
static int prepare_mounts(const struct config *cfg, const struct namespace_config *ns, struct sandbox_prepared *p,
                          enum launch_step *ret_step) {
        int r;
        STEP(LAUNCH_STEP_MAKE_MOUNTS_PRIVATE, mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ? negative_errno() : 0);

        /* Open everything that lives under a path about to be hidden, first: the DNS file,
         * and the directories of the caller sockets an app may get. */
        char dns[PATH_MAX], resolv[PATH_MAX];
        _cleanup_close_ int dns_fd = -1;
        STEP(LAUNCH_STEP_FIND_THE_CLEARNET_RESOLV_CONF, dns_file_path(ns->etc_netns_dir, ns->name, dns));
        STEP(LAUNCH_STEP_OPEN_THE_CLEARNET_RESOLV_CONF, open_path(dns, &dns_fd));
        p->run_user_fd = open("/run/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
        /* /tmp, not /tmp/.X11-unix: an X server started after a spare was made makes it. */
        p->tmp_fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

        /* DNS: the clearnet servers, wherever a symlinked /etc/resolv.conf points. */
        STEP(LAUNCH_STEP_FIND_ETC_RESOLV_CONF, realpath("/etc/resolv.conf", resolv) ? 0 : negative_errno());
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_TMP, mount_tmpfs("/tmp", "mode=1777", 0));
        STEP(LAUNCH_STEP_BIND_A_GENERATED_NSSWITCH_CONF, bind_nsswitch());

        /* Local resolvers, the daemon, the namespaces and the system bus: out of sight. */
        const char *hidden[VIEW_HIDDEN_DIRS];
        char sockdir[PATH_MAX];
        STEP(LAUNCH_STEP_HIDE_THE_DAEMONS_SOCKET, view_hidden_dirs(cfg, hidden, sockdir));
        for (size_t i = 0; i < ELEMENTSOF(hidden); i++)
                STEP(LAUNCH_STEP_HIDE_A_DIRECTORY, hide_dir(hidden[i], p->seen, &p->n_seen, ELEMENTSOF(p->seen)));
        /* After the hiding: a stub resolver's file (systemd-resolved's) lives in a directory
         * just covered, so it is made again in the tmpfs and the clearnet servers bound on it. */
        STEP(LAUNCH_STEP_MAKE_THE_RESOLV_CONF_PLACEHOLDER, make_parents(resolv));
        _cleanup_close_ int placeholder = open(resolv, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        STEP(LAUNCH_STEP_BIND_THE_CLEARNET_RESOLV_CONF, placeholder < 0 ? negative_errno() : bind_fd(dns_fd, resolv, true));
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_VAR_TMP, private_dir("/var/tmp"));
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_DEV_SHM, private_dir("/dev/shm"));
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_RUN_LOCK, private_dir("/run/lock"));
        return 0;
}

int view_prepare(const struct config *cfg, const struct namespace_config *ns, struct sandbox_prepared *ret,
                 enum launch_step *ret_step) {
        *ret = (struct sandbox_prepared) { .run_user_fd = -1, .tmp_fd = -1 };
        /* The DNS of the namespace it runs in (a tor-ports one lists no server). */
        int r = prepare_mounts(cfg, ns ? ns : &cfg->ns, ret, ret_step);
        if (r < 0)
                sandbox_prepared_done(ret);
        return r;
}

/* What only an app gets: its caller's data out of sight, a fresh HOME, the listed sockets. */
static int finish_app_mounts(const struct sandbox *sb, struct sandbox_prepared *p, struct runtime_socket *socks,
                             size_t n_socks, int x11_fd, enum launch_step *ret_step) {
        int r;
        /* An app may run as its caller (the Unsafe Browser as amnesia): what that user keeps
         * elsewhere (other homes, removable media, Tails' persistence) is out of its sight too. */
        static const char *const private_data[] = { "/home", "/media", "/run/media", "/live/persistence" };
        bool fresh_home = sb->app->home == APP_HOME_TMPFS;
        for (size_t i = 0; i < ELEMENTSOF(private_data); i++)
                if (fresh_home || i > 0) /* home = keep: the real /home stays */
                        STEP(LAUNCH_STEP_HIDE_USER_DATA, hide_dir(private_data[i], p->seen, &p->n_seen, ELEMENTSOF(p->seen)));
        if (fresh_home)
                STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_HOME, home_tmpfs(sb->target));
        STEP(LAUNCH_STEP_BIND_THE_RUNTIME_SOCKETS, bind_runtime_sockets(sb, socks, n_socks));
        if (x11_fd >= 0)
                STEP(LAUNCH_STEP_BIND_THE_X11_SOCKET, bind_x11(x11_fd, sb->x11_display));
        return 0;
}

int view_finish(const struct sandbox *sb, struct sandbox_prepared *p, enum launch_step *ret_step) {
        struct runtime_socket socks[] = {
                { APP_SOCKET_WAYLAND, "", -1 }, { APP_SOCKET_PIPEWIRE, "pipewire-0", -1 },
                { APP_SOCKET_PULSE, "pulse/native", -1 },
        };
        _cleanup_close_ int x11_fd = -1;
        int r = 0;
        if (sb->app) {
                snprintf(socks[0].name, sizeof socks[0].name, "%s", sb->wayland_display);
                for (size_t i = 0; i < ELEMENTSOF(socks); i++) {
                        char rel[160];
                        if (!(sb->app->sockets & socks[i].bit) || !socks[i].name[0] || !sb->runtime_dir[0])
                                continue;
                        /* Only the caller's own runtime dir: request_runtime_from_env() checked it is
                         * /run/user/<caller>. */
                        snprintf(rel, sizeof rel, "%u/%s", (unsigned) sb->caller_uid, socks[i].name);
                        socks[i].fd = open_caller_socket(p->run_user_fd, rel, sb->caller_uid, false);
                }
                /* /tmp/.X11-unix is world-writable: only a socket of the caller or root. */
                if ((sb->app->sockets & APP_SOCKET_X11) && sb->x11_display[0] && p->tmp_fd >= 0) {
                        char x[24];
                        snprintf(x, sizeof x, "X%s", sb->x11_display);
                        _cleanup_close_ int dir = openat(p->tmp_fd, ".X11-unix", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        x11_fd = open_caller_socket(dir, x, sb->caller_uid, true);
                }
                r = finish_app_mounts(sb, p, socks, ELEMENTSOF(socks), x11_fd, ret_step);
        }
        for (size_t i = 0; i < ELEMENTSOF(socks); i++)
                closep(&socks[i].fd);
        sandbox_prepared_done(p);
        return r;
}
#undef STEP

/* --- what a spare's view may go stale by (launch/spare.c) ----------------------------- */

int view_fingerprint_take(const struct config *cfg, int netns_fd, struct view_fingerprint *ret) {
        char dns[PATH_MAX];
        struct stat st;
        *ret = (struct view_fingerprint) {};
        if (!realpath("/etc/resolv.conf", ret->resolv_path))
                return negative_errno();
        if (realpath("/etc/nsswitch.conf", ret->nsswitch_path) && stat(ret->nsswitch_path, &ret->nsswitch) < 0)
                return negative_errno();
        int r = dns_file_path(cfg->ns.etc_netns_dir, cfg->ns.name, dns);
        if (r < 0)
                return r;
        if (stat(dns, &st) < 0)
                return negative_errno();
        ret->dns_dev = st.st_dev;
        ret->dns_ino = st.st_ino;
        if (fstat(netns_fd, &st) < 0)
                return negative_errno();
        ret->netns_dev = st.st_dev;
        ret->netns_ino = st.st_ino;
        return view_hidden_present(cfg, &ret->hidden);
}

bool view_fingerprint_same(const struct view_fingerprint *a, const struct view_fingerprint *b) {
        return STREQ(a->resolv_path, b->resolv_path) && STREQ(a->nsswitch_path, b->nsswitch_path) &&
               a->dns_dev == b->dns_dev && a->dns_ino == b->dns_ino && stat_same_version(&a->nsswitch, &b->nsswitch) &&
               a->netns_dev == b->netns_dev && a->netns_ino == b->netns_ino && a->hidden == b->hidden;
}

/* stat() of path as the process whose root is rootfd sees it: absolute symlinks on the
 * way (/var/run -> /run) resolve in that root too, not in nsd's. */
static int stat_in_root(int rootfd, const char *path, struct stat *ret) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        _cleanup_close_ int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        if (fd < 0 || fstat(fd, ret) < 0)
                return negative_errno();
        return 0;
}

/* What the spare sees, through its root: its mounts can also go without a mount event in
 * nsd's namespace. The kernel detaches, in every other mount namespace, a mount on a file
 * or directory that the host replaces (rename) or removes: a resolv.conf rewritten by
 * rename, a service's runtime directory made anew. */
bool view_intact(pid_t pid, const struct config *cfg, const struct view_fingerprint *fp) {
        char root[64];
        struct stat in, out;
        snprintf(root, sizeof root, "/proc/%d/root", (int) pid);
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return false;
        /* /etc/resolv.conf's target shows the clearnet file. */
        if (stat_in_root(rootfd, fp->resolv_path, &in) < 0 || in.st_dev != fp->dns_dev ||
            in.st_ino != fp->dns_ino)
                return false;
        /* Every directory to hide that the host has is covered (another file system), or
         * out of sight anyway (under the private /tmp, say). */
        const char *hidden[VIEW_HIDDEN_DIRS];
        char sockdir[PATH_MAX];
        if (view_hidden_dirs(cfg, hidden, sockdir) < 0)
                return false;
        for (size_t i = 0; i < VIEW_HIDDEN_DIRS; i++) {
                if (stat(hidden[i], &out) < 0 || !S_ISDIR(out.st_mode))
                        continue;
                int r = stat_in_root(rootfd, hidden[i], &in);
                if ((r < 0 && r != -ENOENT) || (r == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino))
                        return false;
        }
        return true;
}
