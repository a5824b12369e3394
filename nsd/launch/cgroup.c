/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/cgroup.h"
#include "launch/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int cgroup_fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char buf[512];
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (ret_error && r < 0)
                (void) asprintf(ret_error, "%s: %s", buf, strerror(-r));
        else if (ret_error)
                *ret_error = strdup(buf);
        return r < 0 ? r : -EINVAL;
}
#define fail cgroup_fail

int cgroup_write_at(int dirfd, const char *file, const char *value) {
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return write_all(fd, value, strlen(value));
}
#define write_at cgroup_write_at

/* Is word one of the words of s, separated by one of sep? */
static bool has_word_in(const char *s, const char *word, const char *sep) {
        size_t len = strlen(word);
        for (const char *p = s; (p = strstr(p, word)); p += len)
                if ((p == s || strchr(sep, p[-1])) && (p[len] == '\0' || strchr(sep, p[len])))
                        return true;
        return false;
}

/* Is word one of the space-separated words of dirfd/file? */
static bool has_word(int dirfd, const char *file, const char *word) {
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
        char buf[512];
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        return has_word_in(buf, word, " \n");
}

int cgroup_find_mount(const char *controller, char *buf, size_t size) {
        _cleanup_free_ char *mounts = NULL;
        int r = read_file_limited("/proc/self/mountinfo", 1 << 20, &mounts, NULL);
        if (r < 0)
                return r;
        for (char *line = mounts, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                /* "... MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS" */
                char *sep = strstr(line, controller ? " - cgroup " : " - cgroup2 ");
                char point[256], type[16], source[64], super[512];
                if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", point) != 1)
                        continue;
                if (controller && (sscanf(sep, " - %15s %63s %511s", type, source, super) != 3 ||
                                   !has_word_in(super, controller, ",")))
                        continue;
                if (snprintf(buf, size, "%s", point) >= (int) size)
                        return -ENAMETOOLONG;
                return 0;
        }
        return -ENOENT;
}

int cgroup_open_dir(const char *path, long magic, const char *kind, char **ret_error) {
        _cleanup_close_ int fd = open(path, O_DIRECTORY | O_CLOEXEC);
        struct statfs sf;
        if (fd < 0)
                return fail(ret_error, negative_errno(), "cannot open the cgroup %s", path);
        if (fstatfs(fd, &sf) < 0 || sf.f_type != magic)
                return fail(ret_error, 0, "%s is not a %s directory", path, kind);
        return TAKE_FD(fd);
}

int cgroup_own(const char *controller, char *buf, size_t size, char **ret_error) {
        _cleanup_free_ char *cg = NULL;
        const char *what = controller ? controller : "cgroup2";
        char mnt[256];
        int r = cgroup_find_mount(controller, mnt, sizeof mnt);
        if (r == -ENOENT && controller)
                return fail(ret_error, 0, "no cgroup v1 hierarchy with the controller %s is mounted", controller);
        if (r == -ENOENT)
                return fail(ret_error, 0, "no cgroup v2 file system is mounted");
        if (r < 0)
                return fail(ret_error, r, "cannot find the %s mount in /proc/self/mountinfo", what);
        r = read_file_limited("/proc/self/cgroup", 1 << 16, &cg, NULL);
        if (r < 0)
                return fail(ret_error, r, "cannot read /proc/self/cgroup");
        /* "ID:CONTROLLERS:PATH"; v2: "0::PATH" */
        char *path = NULL;
        for (char *line = cg, *next; line && *line && !path; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
                if (!p)
                        continue;
                *p = '\0';
                if (controller ? has_word_in(c + 1, controller, ",") : STREQ(line, "0:"))
                        path = p + 1;
        }
        if (!path && controller)
                return fail(ret_error, 0, "nsd is in no cgroup of the v1 hierarchy %s (/proc/self/cgroup)", controller);
        if (!path)
                return fail(ret_error, 0, "nsd is in no cgroup v2 (no 0:: line in /proc/self/cgroup)");
        if (snprintf(buf, size, "%s%s", mnt, STREQ(path, "/") ? "" : path) >= (int) size)
                return fail(ret_error, -ENAMETOOLONG, "nsd's cgroup %s%s", mnt, path);
        return 0;
}

/* Leftovers of an earlier run (killed before it could clean up): end and remove them. */
static void remove_leftovers(int launches_fd) {
        int fd = dup(launches_fd);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                closep(&fd);
                return;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_close_ int cfd = openat(launches_fd, de->d_name, O_DIRECTORY | O_CLOEXEC);
                if (cfd >= 0)
                        (void) write_at(cfd, "cgroup.kill", "1");
                (void) unlinkat(launches_fd, de->d_name, AT_REMOVEDIR);
        }
        closedir(d);
}

static int v2_base_open(const char *configured, const char *name, bool need_memory, struct cgroup_base *ret,
                        char **ret_error) {
        *ret = CGROUP_BASE_NONE;
        int r;
        char path[256], leaf[64], launches_name[64];
        snprintf(leaf, sizeof leaf, "nsd-%s", name);
        snprintf(launches_name, sizeof launches_name, "launches-%s", name);
        if (configured)
                snprintf(path, sizeof path, "%s", configured);
        else if ((r = cgroup_own(NULL, path, sizeof path, ret_error)) < 0)
                return r;
        snprintf(ret->path, sizeof ret->path, "%s", path);
        _cleanup_close_ int base = cgroup_open_dir(path, CGROUP2_SUPER_MAGIC, "cgroup v2", ret_error);
        if (base < 0)
                return base;
        const char *need[] = { "pids", need_memory ? "memory" : NULL };
        for (size_t i = 0; i < ELEMENTSOF(need); i++)
                if (need[i] && !has_word(base, "cgroup.controllers", need[i]))
                        return fail(ret_error, 0, "the cgroup v2 controller '%s' is not available in %s "
                                    "(not delegated, or bound to a cgroup v1 hierarchy)", need[i], path);
        bool memory = has_word(base, "cgroup.controllers", "memory");
        /* No processes of its own in the base: nsd goes into a leaf. */
        if (mkdirat(base, leaf, 0755) < 0 && errno != EEXIST)
                return fail(ret_error, negative_errno(), "cannot create the cgroup %s/%s", path, leaf);
        _cleanup_close_ int own = openat(base, leaf, O_DIRECTORY | O_CLOEXEC);
        if (own < 0 || (r = cgroup_join_fd(own, 0)) < 0)
                return fail(ret_error, own < 0 ? negative_errno() : r, "cannot move nsd into the cgroup %s/%s", path, leaf);
        const char *controllers = memory ? "+pids +memory" : "+pids";
        if ((r = write_at(base, "cgroup.subtree_control", controllers)) < 0)
                return fail(ret_error, r, "cannot enable %s in %s/cgroup.subtree_control", controllers, path);
        if (mkdirat(base, launches_name, 0755) < 0 && errno != EEXIST)
                return fail(ret_error, negative_errno(), "cannot create the cgroup %s/%s", path, launches_name);
        _cleanup_close_ int launches = openat(base, launches_name, O_DIRECTORY | O_CLOEXEC);
        if (launches < 0)
                return fail(ret_error, negative_errno(), "cannot open the cgroup %s/%s", path, launches_name);
        remove_leftovers(launches);
        if ((r = write_at(launches, "cgroup.subtree_control", controllers)) < 0)
                return fail(ret_error, r, "cannot enable %s in %s/%s/cgroup.subtree_control", controllers, path, launches_name);
        snprintf(ret->launches, sizeof ret->launches, "%s/%s", path, launches_name);
        ret->launches_fd = TAKE_FD(launches);
        ret->memory = memory;
        return 0;
}

int cgroup_base_open(const struct cgroup_where *where, const char *name, bool need_memory, struct cgroup_base *ret,
                     char **ret_error) {
        if (where->v1_pids || where->v1_memory)
                return cgroup_v1_base_open(where, name, need_memory, ret, ret_error);
        _cleanup_free_ char *why_v2 = NULL, *why_v1 = NULL;
        int r = v2_base_open(where->v2, name, need_memory, ret, where->v2 ? ret_error : &why_v2);
        if (r >= 0 || where->v2)
                return r;
        /* Nothing configured: nsd's own cgroup v2 first, then the v1 pids hierarchy of a
         * hybrid host. */
        if (cgroup_v1_base_open(where, name, need_memory, ret, &why_v1) >= 0)
                return 0;
        return fail(ret_error, 0, "cgroup v2: %s; cgroup v1: %s", why_v2 ? why_v2 : strerror(-r),
                    why_v1 ? why_v1 : "failed");
}

void cgroup_base_close(struct cgroup_base *b) {
        if (b->v1)
                return cgroup_v1_base_close(b);
        if (b->launches_fd >= 0) {
                remove_leftovers(b->launches_fd);
                /* nsd stays in <base>/nsd-<name>: its own leaf cannot go while it is in it. */
                (void) rmdir(b->launches);
        }
        closep(&b->launches_fd);
}

int cgroup_launch_new(struct cgroup_base *b, unsigned max_processes, uint64_t max_memory, struct cgroup_launch *ret) {
        *ret = CGROUP_LAUNCH_NONE;
        if (b->launches_fd < 0)
                return 0;
        if (b->v1)
                return cgroup_v1_launch_new(b, max_processes, max_memory, ret);
        if (max_memory && !b->memory)
                return -EOPNOTSUPP;
        struct cgroup_launch l = CGROUP_LAUNCH_NONE;
        snprintf(l.name, sizeof l.name, "%d-%" PRIu64, (int) getpid(), b->next++);
        if (mkdirat(b->launches_fd, l.name, 0755) < 0)
                return negative_errno();
        l.fd = openat(b->launches_fd, l.name, O_DIRECTORY | O_CLOEXEC);
        char v[32];
        int r = l.fd < 0 ? negative_errno() : 0;
        if (r == 0) {
                snprintf(v, sizeof v, "%u", max_processes);
                r = write_at(l.fd, "pids.max", v);
        }
        if (r == 0 && max_memory) {
                snprintf(v, sizeof v, "%" PRIu64, max_memory);
                r = write_at(l.fd, "memory.max", v);
                /* Out of memory, the launch ends as a whole, not a part of it at random. */
                if (r == 0)
                        r = write_at(l.fd, "memory.oom.group", "1");
        }
        if (r < 0) {
                closep(&l.fd);
                (void) unlinkat(b->launches_fd, l.name, AT_REMOVEDIR);
                return r;
        }
        *ret = l;
        return 0;
}

int cgroup_join_fd(int cgroup_fd, pid_t pid) {
        char v[16];
        int n = 0;
        /* By hand: snprintf() is not async-signal-safe. */
        char digits[12];
        unsigned u = (unsigned) pid;
        do
                digits[n++] = (char) ('0' + u % 10);
        while ((u /= 10));
        for (int i = 0; i < n; i++)
                v[i] = digits[n - 1 - i];
        v[n] = '\0';
        int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int r = write_all(fd, v, (size_t) n);
        close(fd);
        return r;
}

int cgroup_launch_join(const struct cgroup_launch *l, pid_t pid) {
        int r = cgroup_join_fd(l->fd, pid);
        if (r == 0 && l->mem_fd >= 0)
                r = cgroup_join_fd(l->mem_fd, pid);
        return r;
}

void cgroup_launch_kill(const struct cgroup_launch *l) {
        if (l->fd < 0)
                return;
        if (!l->v1 && write_at(l->fd, "cgroup.kill", "1") == 0)
                return;
        /* v1, or v2 before Linux 5.14: each process it holds. */
        cgroup_v1_kill(l->fd);
}

int cgroup_remove_name(struct cgroup_base *b, const char *name) {
        if (b->launches_fd < 0 || !name[0])
                return 0;
        if (b->v1)
                return cgroup_v1_remove_name(b, name);
        if (unlinkat(b->launches_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

int cgroup_launch_remove(struct cgroup_base *b, struct cgroup_launch *l) {
        closep(&l->fd);
        closep(&l->mem_fd);
        return cgroup_remove_name(b, l->name);
}
