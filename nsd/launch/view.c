/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/view.h"

#include <linux/openat2.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/dns.h"
#include "util.h"

#define TMPFS_FLAGS (MS_NOSUID | MS_NODEV)
#define NSSWITCH_COPY "/.clearnet-nsswitch.conf"
#define OLD_ROOT "/.clearnet-host"


static int mount_tmpfs(const char *where, const char *opts, unsigned long flags) {
        return mount("tmpfs", where, "tmpfs", TMPFS_FLAGS | flags, opts) < 0 ? negative_errno() : 0;
}

/* Every bind and remount here carries MS_SILENT (which only quiets the kernel's log): the
 * filter a spare loads ahead lets mount() through with it alone, for the mounts a spare
 * makes after the request (syscall-filter.h). */
static int remount_ro(const char *dest) {
        return mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_SILENT, NULL) < 0 ?
               negative_errno() : 0;
}

/* Bind an O_PATH fd (opened in the host's tree) onto dest. */
static int bind_fd(int fd, const char *dest, bool read_only) {
        char src[64];
        snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
        if (mount(src, dest, NULL, MS_BIND | MS_SILENT, NULL) < 0)
                return negative_errno();
        return read_only ? remount_ro(dest) : 0;
}

/* root + path, for a path in the view that is still being built. */
static int in_root(const struct sandbox_prepared *p, const char *path, char ret[PATH_MAX]) {
        return snprintf(ret, PATH_MAX, "%s%s", p->root, path) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static bool is_own_tmpfs(const struct sandbox_prepared *p, dev_t dev) {
        for (size_t i = 0; i < p->n_own; i++)
                if (p->own[i] == dev)
                        return true;
        return false;
}

/* A tmpfs just mounted at dest (a full path) is the view's own: mount points may be made in it. */
static int note_own_tmpfs(struct sandbox_prepared *p, const char *dest) {
        struct stat st;
        if (stat(dest, &st) < 0)
                return negative_errno();
        if (p->n_own >= ELEMENTSOF(p->own))
                return -E2BIG;
        p->own[p->n_own++] = st.st_dev;
        return 0;
}

/* Make the mount point for path in the view: directories where missing, and the last
 * component as a directory or (for a file or socket) an empty file. Only ever made in the
 * view's own tmpfs (never under a host directory bound in, so nothing of the host changes);
 * what exists is used as it is, and never followed when a symlink. */
static int make_mount_point(const struct sandbox_prepared *p, const char *path, bool dir) {
        char full[PATH_MAX];
        int r = in_root(p, path, full);
        if (r < 0)
                return r;
        size_t base = strlen(p->root);
        for (char *s = full + base + 1;; s++) {
                bool last = *s == '\0';
                if (*s != '/' && !last)
                        continue;
                *s = '\0';
                struct stat st, parent;
                if (lstat(full, &st) == 0) {
                        if (!S_ISDIR(st.st_mode) && !(last && !dir))
                                return -ENOTDIR;
                } else if (errno != ENOENT)
                        return negative_errno();
                else {
                        char *slash = strrchr(full, '/');
                        *slash = '\0';
                        r = stat(slash == full ? "/" : full, &parent);
                        *slash = '/';
                        if (r < 0)
                                return negative_errno();
                        if (!is_own_tmpfs(p, parent.st_dev))
                                return -EROFS;
                        if (last && !dir) {
                                int fd = open(full, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
                                if (fd < 0)
                                        return negative_errno();
                                close(fd);
                        } else if (mkdir(full, 0755) < 0)
                                return negative_errno();
                }
                if (last)
                        return 0;
                *s = '/';
        }
}

/* Bind the host's path (opened without following any symlink: a path the policy names is
 * canonical, and a user must not swap a part of it for a link to elsewhere) at the same
 * place in the view. Absent: skipped when optional, else an error. */
static int bind_host_path(const struct sandbox_prepared *p, const char *path, bool read_only, bool optional,
                          unsigned resolve) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = resolve };
        _cleanup_close_ int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        struct stat st;
        if (fd < 0)
                return optional && errno == ENOENT ? 0 : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        char dest[PATH_MAX];
        int r = make_mount_point(p, path, S_ISDIR(st.st_mode));
        if (r == 0)
                r = in_root(p, path, dest);
        return r < 0 ? r : bind_fd(fd, dest, read_only);
}

/* /usr, and the usr-merge links as the host has them (links again, or directories bound
 * in on a system without the merge), /etc: read-only. */
static int bind_system_dirs(const struct sandbox_prepared *p) {
        static const char *const top[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
        int r;
        if ((r = bind_host_path(p, "/usr", true, false, 0)) < 0 || (r = bind_host_path(p, "/etc", true, false, 0)) < 0 ||
            (r = bind_host_path(p, "/var/cache/fontconfig", true, true, 0)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(top); i++) {
                char target[PATH_MAX], dest[PATH_MAX];
                ssize_t n = readlink(top[i], target, sizeof target - 1);
                if (n < 0 && errno == EINVAL) {         /* a directory: no usr-merge */
                        if ((r = bind_host_path(p, top[i], true, true, 0)) < 0)
                                return r;
                        continue;
                }
                if (n < 0)
                        continue;                       /* absent */
                target[n] = '\0';
                if ((r = in_root(p, top[i], dest)) < 0)
                        return r;
                if (symlink(target, dest) < 0)
                        return negative_errno();
        }
        return 0;
}

static int mount_in_root(struct sandbox_prepared *p, const char *path, const char *type, unsigned long flags,
                         const char *opts) {
        char dest[PATH_MAX];
        int r = make_mount_point(p, path, true);
        if (r == 0)
                r = in_root(p, path, dest);
        if (r == 0 && mount(type, dest, type, flags, opts) < 0)
                r = negative_errno();
        if (r == 0 && STREQ(type, "tmpfs"))
                r = note_own_tmpfs(p, dest);
        return r;
}

/* null, zero, full, random, urandom, tty of the host; a private devpts, /dev/shm, mqueue. */
static int make_dev(struct sandbox_prepared *p) {
        static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
        static const char *const links[][2] = {
                { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
        };
        char path[PATH_MAX];
        int r = mount_in_root(p, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
        /* (binds of the host's device nodes: the tmpfs on /dev needs no device of its own) */
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(nodes); i++) {
                char host[32];
                snprintf(host, sizeof host, "/dev/%s", nodes[i]);
                r = bind_host_path(p, host, false, false, 0);
        }
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(links); i++) {
                char rel[32];
                snprintf(rel, sizeof rel, "/dev/%s", links[i][0]);
                if ((r = in_root(p, rel, path)) == 0 && symlink(links[i][1], path) < 0)
                        r = negative_errno();
        }
        if (r == 0 && (r = in_root(p, "/dev/pts", path)) == 0 && mkdir(path, 0755) < 0)
                r = negative_errno();
        if (r == 0 && mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
                r = negative_errno();
        if (r == 0 && (r = in_root(p, "/dev/shm", path)) == 0 && mkdir(path, 01777) < 0)
                r = negative_errno();
        if (r == 0)
                r = mount_tmpfs(path, "mode=1777", 0);
        if (r == 0 && (r = in_root(p, "/dev/mqueue", path)) == 0 && mkdir(path, 01777) < 0)
                r = negative_errno();
        if (r == 0 && mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                r = negative_errno();
        return r;
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

/* Written in the root's tmpfs, bound over /etc/nsswitch.conf once inside, then unlinked. */
static int write_nsswitch(const struct sandbox_prepared *p) {
        char path[PATH_MAX];
        int r = in_root(p, NSSWITCH_COPY, path);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        return fd < 0 ? negative_errno() : nsswitch_write(fd);
}

/* A home a launch may see: a directory of the user's own, and never /. host: the host's
 * root (the old root once the view is entered), where the home path resolves. */
static int open_home(int host, const struct target *t, int *ret) {
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
        struct stat st;
        if (!t->home[0] || STREQ(t->home, "/") || t->home[0] != '/')
                return -ENOENT;
        int fd = (int) syscall(SYS_openat2, host, t->home, &how, sizeof how);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0 || st.st_uid != t->uid) {
                close(fd);
                return -EPERM;
        }
        *ret = fd;
        return 0;
}

/* A home of the user's own, read-write (read-only for root); none when it has none of
 * its own (nobody's /nonexistent, a home of /). */
static int bind_home(const struct sandbox_prepared *p, int host, const struct target *t, bool read_only) {
        _cleanup_close_ int fd = -1;
        char dest[PATH_MAX];
        if (open_home(host, t, &fd) < 0)
                return 0;
        int r = make_mount_point(p, t->home, true);
        if (r == 0)
                r = in_root(p, t->home, dest);
        return r < 0 ? r : bind_fd(fd, dest, read_only);
}

static int home_tmpfs(struct sandbox_prepared *p, const struct target *t) {
        char opts[96];
        if (!t->home[0] || t->home[0] != '/' || STREQ(t->home, "/"))
                return -EINVAL;
        snprintf(opts, sizeof opts, "mode=0700,uid=%u,gid=%u,size=50%%", (unsigned) t->uid, (unsigned) t->gid);
        return mount_in_root(p, t->home, "tmpfs", TMPFS_FLAGS, opts);
}

static int bind_policy_paths(const struct sandbox_prepared *p, char *const *rw, char *const *ro) {
        int r;
        for (size_t i = 0; ro && ro[i]; i++)
                if ((r = bind_host_path(p, ro[i], true, false, RESOLVE_NO_SYMLINKS)) < 0)
                        return r;
        for (size_t i = 0; rw && rw[i]; i++)
                if ((r = bind_host_path(p, rw[i], false, false, RESOLVE_NO_SYMLINKS)) < 0)
                        return r;
        return 0;
}

#define STEP(step, expr) do { *ret_step = (step); if ((r = (expr)) < 0) return r; } while (0)

static int prepare_mounts(const struct sandbox *sb, struct sandbox_prepared *p, enum launch_step *ret_step) {
        const struct config *cfg = sb->cfg;
        char dns[PATH_MAX], path[PATH_MAX];
        int r;
        STEP(LAUNCH_STEP_MAKE_MOUNTS_PRIVATE, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? negative_errno() : 0);
        /* The DNS of the namespace it runs in (a tor-ports one lists no server). */
        const struct namespace_config *ns = sb->ns ? sb->ns : &cfg->ns;
        STEP(LAUNCH_STEP_FIND_THE_CLEARNET_RESOLV_CONF, dns_file_path(ns->etc_netns_dir, ns->name, dns));
        p->dns_fd = open(dns, O_PATH | O_CLOEXEC);
        STEP(LAUNCH_STEP_OPEN_THE_CLEARNET_RESOLV_CONF, p->dns_fd < 0 ? negative_errno() : 0);
        if (sb->app) {
                p->run_user_fd = open("/run/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
                /* /tmp, not /tmp/.X11-unix: an X server started after nsd made it. */
                p->tmp_fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
        }

        /* A command's: a copy of the host's tree, in no mount namespace, where the caller's
         * home is found once the request says who that is. */
        if (!sb->app) {
                p->host_fd = (int) syscall(SYS_open_tree, AT_FDCWD, "/", VIEW_HOST_TREE_FLAGS);
                STEP(LAUNCH_STEP_BIND_THE_HOME, p->host_fd < 0 ? negative_errno() : 0);
        }

        /* The root, on nsd's state directory (in this mount namespace only). */
        snprintf(p->root, sizeof p->root, "%s", cfg->daemon.state_dir);
        STEP(LAUNCH_STEP_MOUNT_THE_NEW_ROOT, mount_tmpfs(p->root, "mode=0755,size=1m,nr_inodes=4096", 0));
        STEP(LAUNCH_STEP_MOUNT_THE_NEW_ROOT, note_own_tmpfs(p, p->root));
        STEP(LAUNCH_STEP_BIND_THE_SYSTEM_DIRECTORIES, bind_system_dirs(p));
        STEP(LAUNCH_STEP_MOUNT_PROC, mount_in_root(p, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
        /* sysfs shows the network namespace of whoever mounts it: the clearnet one. */
        STEP(LAUNCH_STEP_MOUNT_SYS, mount_in_root(p, "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
        STEP(LAUNCH_STEP_MAKE_A_MINIMAL_DEV, make_dev(p));
        STEP(LAUNCH_STEP_MOUNT_PRIVATE_TMP_DIRECTORIES, mount_in_root(p, "/tmp", "tmpfs", TMPFS_FLAGS, "mode=1777"));
        STEP(LAUNCH_STEP_MOUNT_PRIVATE_TMP_DIRECTORIES, mount_in_root(p, "/var/tmp", "tmpfs", TMPFS_FLAGS, "mode=1777"));
        STEP(LAUNCH_STEP_MOUNT_PRIVATE_TMP_DIRECTORIES,
             mount_in_root(p, "/run", "tmpfs", TMPFS_FLAGS | MS_NOEXEC, "mode=0755,size=1m"));
        STEP(LAUNCH_STEP_MOUNT_PRIVATE_TMP_DIRECTORIES, in_root(p, "/var/run", path));
        STEP(LAUNCH_STEP_MOUNT_PRIVATE_TMP_DIRECTORIES, symlink("../run", path) < 0 ? negative_errno() : 0);
        STEP(LAUNCH_STEP_WRITE_A_GENERATED_NSSWITCH_CONF, write_nsswitch(p));

        /* What the policy names, then an app's home. A command's home (its caller's) comes
         * with its request (view_finish()): a spare is made ahead for any caller. */
        const struct target *t = sb->target;
        if (sb->app) {
                STEP(LAUNCH_STEP_BIND_THE_POLICY_PATHS, bind_policy_paths(p, sb->app->bind, sb->app->bind_ro));
                if (sb->app->home == APP_HOME_TMPFS)
                        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_HOME, home_tmpfs(p, t));
                else {
                        _cleanup_close_ int host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        STEP(LAUNCH_STEP_BIND_THE_HOME, host < 0 ? negative_errno() : bind_home(p, host, t, false));
                }
        } else
                STEP(LAUNCH_STEP_BIND_THE_POLICY_PATHS, bind_policy_paths(p, cfg->run.bind, cfg->run.bind_ro));
        return 0;
}

static void sandbox_prepared_done(struct sandbox_prepared *p) {
        closep(&p->dns_fd);
        closep(&p->run_user_fd);
        closep(&p->tmp_fd);
}

int view_prepare(const struct sandbox *sb, struct sandbox_prepared *ret, enum launch_step *ret_step) {
        *ret = (struct sandbox_prepared) { .dns_fd = -1, .run_user_fd = -1, .tmp_fd = -1, .x11_hold_fd = -1,
                                           .host_fd = -1 };
        int r = prepare_mounts(sb, ret, ret_step);
        if (r < 0)
                sandbox_prepared_done(ret);
        return r;
}

/* Inside the view: bind src over the file link leads to, following symlinks as the view
 * has them (systemd-resolved's /etc/resolv.conf leads into /run, empty here: the target is
 * then made in the view's tmpfs). */
static int bind_over_link_target(const struct sandbox_prepared *p, const char *link, const char *src) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s", link);
        for (int hops = 0; hops < 16; hops++) {
                struct stat st;
                if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX], dir[PATH_MAX];
                        ssize_t n = readlink(path, target, sizeof target - 1);
                        if (n < 0)
                                return negative_errno();
                        target[n] = '\0';
                        snprintf(dir, sizeof dir, "%s", path);
                        *strrchr(dir, '/') = '\0';
                        if (target[0] == '/')
                                snprintf(path, sizeof path, "%s", target);
                        else if (snprintf(path, sizeof path, "%s/%s", dir, target) >= (int) sizeof path)
                                return -ENAMETOOLONG;
                        continue;
                }
                int r = make_mount_point(p, path, false);
                if (r < 0)
                        return r;
                if (mount(src, path, NULL, MS_BIND | MS_SILENT, NULL) < 0)
                        return negative_errno();
                return remount_ro(path);
        }
        return -ELOOP;
}

int view_enter(struct sandbox_prepared *p, enum launch_step *ret_step) {
        char dns_src[64], old[PATH_MAX];
        int r;
        if (p->entered)
                return 0;
        STEP(LAUNCH_STEP_ENTER_THE_NEW_ROOT, in_root(p, OLD_ROOT, old));
        STEP(LAUNCH_STEP_ENTER_THE_NEW_ROOT, mkdir(old, 0700) < 0 ? negative_errno() : 0);
        STEP(LAUNCH_STEP_ENTER_THE_NEW_ROOT, chdir(p->root) < 0 ? negative_errno() : 0);
        STEP(LAUNCH_STEP_ENTER_THE_NEW_ROOT, syscall(SYS_pivot_root, ".", "." OLD_ROOT) < 0 ? negative_errno() : 0);
        STEP(LAUNCH_STEP_ENTER_THE_NEW_ROOT, chdir("/") < 0 ? negative_errno() : 0);
        p->root[0] = '\0';     /* paths are the view's own now */
        /* The host's tree is still attached under OLD_ROOT: the clearnet file's fd binds. */
        snprintf(dns_src, sizeof dns_src, "/proc/self/fd/%d", p->dns_fd);
        STEP(LAUNCH_STEP_BIND_THE_CLEARNET_RESOLV_CONF, bind_over_link_target(p, "/etc/resolv.conf", dns_src));
        STEP(LAUNCH_STEP_BIND_A_GENERATED_NSSWITCH_CONF, bind_over_link_target(p, "/etc/nsswitch.conf", NSSWITCH_COPY));
        STEP(LAUNCH_STEP_BIND_A_GENERATED_NSSWITCH_CONF, unlink(NSSWITCH_COPY) < 0 ? negative_errno() : 0);
        closep(&p->dns_fd);
        STEP(LAUNCH_STEP_DETACH_THE_HOST_ROOT, umount2(OLD_ROOT, MNT_DETACH) < 0 ? negative_errno() : 0);
        STEP(LAUNCH_STEP_DETACH_THE_HOST_ROOT, rmdir(OLD_ROOT) < 0 ? negative_errno() : 0);
        p->entered = true;
        return 0;
}

/* A command's home, from the copy of the host's tree: cloned and moved into place. */
static int attach_home(const struct sandbox_prepared *p, const struct target *t, bool read_only) {
        _cleanup_close_ int fd = -1, tree = -1;
        char dest[PATH_MAX];
        if (p->host_fd < 0 || open_home(p->host_fd, t, &fd) < 0)
                return 0;
        tree = (int) syscall(SYS_open_tree, fd, "", VIEW_HOME_TREE_FLAGS);
        if (tree < 0)
                return negative_errno();
        int r = make_mount_point(p, t->home, true);
        if (r == 0)
                r = in_root(p, t->home, dest);
        if (r == 0 && syscall(SYS_move_mount, tree, "", AT_FDCWD, dest, VIEW_MOVE_MOUNT_FLAGS) < 0)
                r = negative_errno();
        return r == 0 && read_only ? remount_ro(dest) : r;
}

/* The last of it, after the request: a command's home (its caller's), then the root made
 * read-only. Only the calls the filter a spare loaded ahead lets through (syscall-filter.h):
 * open_tree() and move_mount() with exactly these flags, mount() with MS_SILENT. */
static int view_seal(const struct sandbox *sb, struct sandbox_prepared *p, enum launch_step *ret_step) {
        int r;
        if (!sb->app)
                STEP(LAUNCH_STEP_BIND_THE_HOME, attach_home(p, sb->target, sb->target->uid == 0));
        /* The copy of the host's tree is done with: never into init (PID 1 of the launch). */
        closep(&p->host_fd);
        /* Nothing more is made in the root itself. */
        STEP(LAUNCH_STEP_DETACH_THE_HOST_ROOT, remount_ro("/"));
        return 0;
}

/* A socket of the caller, opened O_PATH below dirfd (a directory of the host's tree). It
 * must be a socket owned by the caller (or, with also_root, by root); -1 when absent. */
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

/* The app's own /run/user/UID (always: XDG_RUNTIME_DIR points there), with the listed
 * sockets of its caller in it. */
static int bind_runtime_sockets(const struct sandbox *sb, const struct sandbox_prepared *p,
                                struct runtime_socket *socks, size_t n) {
        const struct target *t = sb->target;
        char dir[PATH_MAX], rel[64];
        snprintf(rel, sizeof rel, "/run/user/%u", (unsigned) t->uid);
        int r = make_mount_point(p, rel, true);
        if (r == 0)
                r = in_root(p, rel, dir);
        if (r < 0)
                return r;
        if (chmod(dir, 0700) < 0 || chown(dir, t->uid, t->gid) < 0)
                return negative_errno();
        for (size_t i = 0; i < n; i++) {
                if (socks[i].fd < 0)
                        continue;
                char dest[PATH_MAX];
                if (snprintf(dest, sizeof dest, "%s/%s", dir, socks[i].name) >= (int) sizeof dest)
                        return -ENAMETOOLONG;
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

/* Any user of the shared clearnet namespace may bind an abstract name there, and libxcb
 * tries @/tmp/.X11-unix/XN before the path /tmp/.X11-unix/XN: a fake X server of another
 * user would serve the app. So the app gets a display number whose abstract name this
 * launch holds itself (bound, not listening: a connection to it is refused, and libxcb
 * goes on to the path): the caller's own number when it is free, else one from 1000 on. */
static int x11_reserve(const char *display, struct sandbox_prepared *p) {
        unsigned want = (unsigned) strtoul(display, NULL, 10);
        for (unsigned i = 0; i <= 64; i++) {
                unsigned m = i == 0 ? want : 1000 + i - 1;
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                int len = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "/tmp/.X11-unix/X%u", m);
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return negative_errno();
                if (bind(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + (size_t) len)) == 0) {
                        p->x11_hold_fd = fd;
                        snprintf(p->x11_display, sizeof p->x11_display, "%u", m);
                        return 0;
                }
                int e = errno;
                close(fd);
                if (e != EADDRINUSE)
                        return -e;
        }
        return -EADDRINUSE;
}

/* The caller's X server socket at the path of the reserved display in the view's /tmp. */
static int bind_x11(struct sandbox_prepared *p, int fd, const char *display) {
        char dir[PATH_MAX], dest[PATH_MAX];
        int r = in_root(p, "/tmp/.X11-unix", dir);
        if (r < 0)
                return r;
        if (mkdir(dir, 01777) < 0 && errno != EEXIST)
                return negative_errno();
        if (chmod(dir, 01777) < 0)
                return negative_errno();
        if ((r = x11_reserve(display, p)) < 0 || fd < 0)
                return r;
        if (snprintf(dest, sizeof dest, "%s/X%s", dir, p->x11_display) >= (int) sizeof dest)
                return -ENAMETOOLONG;
        _cleanup_close_ int f = open(dest, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0)
                return negative_errno();
        return bind_fd(fd, dest, false);
}

static int finish_app_mounts(const struct sandbox *sb, struct sandbox_prepared *p, struct runtime_socket *socks,
                             size_t n_socks, int x11_fd, enum launch_step *ret_step) {
        int r;
        STEP(LAUNCH_STEP_BIND_THE_RUNTIME_SOCKETS, bind_runtime_sockets(sb, p, socks, n_socks));
        /* The name is held even when the caller has no socket to bind: DISPLAY is set. */
        if ((sb->app->sockets & APP_SOCKET_X11) && sb->x11_display[0])
                STEP(LAUNCH_STEP_BIND_THE_X11_SOCKET, bind_x11(p, x11_fd, sb->x11_display));
        return 0;
}

int view_finish(const struct sandbox *sb, struct sandbox_prepared *p, enum launch_step *ret_step) {
        struct runtime_socket socks[] = {
                { APP_SOCKET_WAYLAND, "", -1 }, { APP_SOCKET_PIPEWIRE, "pipewire-0", -1 },
                { APP_SOCKET_PULSE, "pulse/native", -1 },
        };
        _cleanup_close_ int x11_fd = -1;
        int r = 0;
        if (sb->app && !p->entered) {
                /* The caller's runtime dir must be a directory of its own (checked here, in
                 * the child: nsd's main thread never touches it). */
                char uid_dir[16];
                struct stat st;
                snprintf(uid_dir, sizeof uid_dir, "%u", (unsigned) sb->caller_uid);
                bool runtime_ok = sb->runtime_dir[0] && p->run_user_fd >= 0 &&
                                  fstatat(p->run_user_fd, uid_dir, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                  S_ISDIR(st.st_mode) && st.st_uid == sb->caller_uid;
                snprintf(socks[0].name, sizeof socks[0].name, "%s", sb->wayland_display);
                for (size_t i = 0; i < ELEMENTSOF(socks); i++) {
                        char rel[160];
                        if (!(sb->app->sockets & socks[i].bit) || !socks[i].name[0] || !runtime_ok)
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
        if (r == 0)
                r = view_enter(p, ret_step);
        if (r == 0)
                r = view_seal(sb, p, ret_step);
        sandbox_prepared_done(p);
        return r;
}
#undef STEP

static bool path_under(const char *path, const char *dir) {
        size_t n = strlen(dir);
        return dir[0] == '/' && strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *view_start_dir(const struct sandbox *sb, const char *cwd) {
        const struct run_config *run = &sb->cfg->run;
        if (sb->app || !cwd)
                return sb->target->home;
        if (!STREQ(sb->target->home, "/") && path_under(cwd, sb->target->home))
                return cwd;
        for (char *const *l = run->bind; l && *l; l++)
                if (path_under(cwd, *l))
                        return cwd;
        for (char *const *l = run->bind_ro; l && *l; l++)
                if (path_under(cwd, *l))
                        return cwd;
        return sb->target->home;
}

/* --- what a spare's view may go stale by (launch/spare.c) ----------------------------- */

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n) {
        const unsigned char *b = data;
        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * 0x100000001b3ULL;
        return h;
}

/* A bound path by name and identity: replaced on the host, the spare's copy is stale. */
static uint64_t hash_path(uint64_t h, const char *path) {
        struct stat st = {};
        if (stat(path, &st) < 0)
                st.st_dev = st.st_ino = 0;
        h = hash_bytes(h, path, strlen(path) + 1);
        h = hash_bytes(h, &st.st_dev, sizeof st.st_dev);
        return hash_bytes(h, &st.st_ino, sizeof st.st_ino);
}

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
        uint64_t h = 0xcbf29ce484222325ULL;
        static const char *const system[] = { "/usr", "/etc", "/var/cache/fontconfig" };
        for (size_t i = 0; i < ELEMENTSOF(system); i++)
                h = hash_path(h, system[i]);
        for (char *const *l = cfg->run.bind; l && *l; l++)
                h = hash_path(hash_bytes(h, "rw", 2), *l);
        for (char *const *l = cfg->run.bind_ro; l && *l; l++)
                h = hash_path(hash_bytes(h, "ro", 2), *l);
        ret->bound = h;
        return 0;
}

bool view_fingerprint_same(const struct view_fingerprint *a, const struct view_fingerprint *b) {
        return STREQ(a->resolv_path, b->resolv_path) && STREQ(a->nsswitch_path, b->nsswitch_path) &&
               a->dns_dev == b->dns_dev && a->dns_ino == b->dns_ino && stat_same_version(&a->nsswitch, &b->nsswitch) &&
               a->netns_dev == b->netns_dev && a->netns_ino == b->netns_ino && a->bound == b->bound;
}

/* stat() of path as the process whose root is rootfd sees it: absolute symlinks on the
 * way resolve in that root too, not in nsd's. */
static int stat_in_root(int rootfd, const char *path, struct stat *ret) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        _cleanup_close_ int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        if (fd < 0 || fstat(fd, ret) < 0)
                return negative_errno();
        return 0;
}

/* What the spare sees, through its root: its mounts can also go without a mount event in
 * nsd's namespace. The kernel detaches, in every other mount namespace, a mount on a file
 * that the host replaces (rename) or removes: a resolv.conf or nsswitch.conf rewritten by
 * rename would then show the host's file. */
bool view_intact(pid_t pid, const struct view_fingerprint *fp) {
        char root[64];
        struct stat in;
        snprintf(root, sizeof root, "/proc/%d/root", (int) pid);
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return false;
        if (stat_in_root(rootfd, "/etc/resolv.conf", &in) < 0 || in.st_dev != fp->dns_dev || in.st_ino != fp->dns_ino)
                return false;
        return stat_in_root(rootfd, "/etc/nsswitch.conf", &in) == 0 &&
               !(in.st_dev == fp->nsswitch.st_dev && in.st_ino == fp->nsswitch.st_ino);
}
