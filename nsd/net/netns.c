/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/netns.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "util.h"

static int netns_path(const char *dir, const char *name, char *buf, size_t size) {
        if (snprintf(buf, size, "%s/%s", dir, name) >= (int) size)
                return -ENAMETOOLONG;
        return 0;
}

static int fd_is_netns(int fd) {
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return negative_errno();
        if (sfs.f_type != NSFS_MAGIC)
                return 0;
        int type = ioctl(fd, NS_GET_NSTYPE);
        return type == CLONE_NEWNET;
}

int netns_open(const char *dir, const char *name, int *ret_fd) {
        char path[PATH_MAX];
        int r = netns_path(dir, name, path, sizeof path);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        r = fd_is_netns(fd);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOTUNIQ;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int netns_create(const char *dir, const char *name, int *ret_fd) {
        char path[PATH_MAX];
        int r = netns_path(dir, name, path, sizeof path);
        if (r < 0)
                return r;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        _cleanup_close_ int mnt = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
        if (mnt < 0)
                return negative_errno();

        _cleanup_close_ int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (saved < 0) {
                r = negative_errno();
                goto fail;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                r = negative_errno();
                goto fail;
        }
        /* Pin the new namespace with a bind mount, then go straight back. */
        if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
                r = negative_errno();
        if (setns(saved, CLONE_NEWNET) < 0)
                return negative_errno(); /* cannot happen short of a kernel bug; never ignore it */
        if (r < 0)
                goto fail;
        return netns_open(dir, name, ret_fd);
fail:
        unlink(path);
        return r;
}

int netns_is_leftover(const char *dir, const char *name) {
        char path[PATH_MAX];
        struct stat st;
        int r = netns_path(dir, name, path, sizeof path);
        if (r < 0)
                return r;
        return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

int netns_pin(const char *dir, const char *name, int ns_fd) {
        char path[PATH_MAX], src[64];
        int r = netns_path(dir, name, path, sizeof path);
        if (r < 0)
                return r;
        (void) netns_remove(dir, name);
        snprintf(src, sizeof src, "/proc/self/fd/%d", ns_fd);
        _cleanup_close_ int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
        if (f < 0 || mount(src, path, "none", MS_BIND, NULL) < 0)
                return negative_errno();
        return 0;
}

int netns_is_pinned(const char *dir, const char *name, int ns_fd) {
        _cleanup_close_ int fd = -1;
        struct stat a, b;
        if (netns_open(dir, name, &fd) < 0 || fstat(fd, &a) < 0 || fstat(ns_fd, &b) < 0)
                return 0;
        return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int netns_remove(const char *dir, const char *name) {
        char path[PATH_MAX];
        int r = netns_path(dir, name, path, sizeof path);
        if (r < 0)
                return r;
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                return negative_errno();
        if (unlink(path) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

int netns_enter(int ns_fd, int *ret_saved) {
        _cleanup_close_ int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (saved < 0)
                return negative_errno();
        if (setns(ns_fd, CLONE_NEWNET) < 0)
                return negative_errno();
        *ret_saved = TAKE_FD(saved);
        return 0;
}

int netns_leave(int *saved) {
        if (*saved < 0)
                return 0;
        int r = setns(*saved, CLONE_NEWNET) < 0 ? negative_errno() : 0;
        closep(saved);
        return r;
}
