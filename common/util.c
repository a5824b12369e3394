/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

int write_all(int fd, const void *buf, size_t len) {
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int read_file_limited(const char *path, size_t max, char **ret_data, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
                return -EINVAL;
        _cleanup_free_ char *buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret_data = TAKE_PTR(buf);
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        char tmp[PATH_MAX];
        if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int) sizeof tmp)
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int r = write_all(fd, data, len);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = negative_errno();
        if (r == 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r == 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                unlink(tmp);
        return r;
}

int read_int_file(const char *path, int *ret) {
        _cleanup_free_ char *data = NULL;
        int r = read_file_limited(path, 64, &data, NULL);
        if (r < 0)
                return r;
        char *end;
        errno = 0;
        long v = strtol(data, &end, 10);
        if (errno != 0 || end == data || (*end != '\n' && *end != '\0') || v < INT_MIN || v > INT_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int write_int_file(const char *path, int value) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%d\n", value);
        return write_all(fd, buf, (size_t) n);
}

uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

bool stat_same_version(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
               a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int start_detached_thread(void *(*fn)(void *), void *arg) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        int r = pthread_create(&t, &attr, fn, arg);
        pthread_attr_destroy(&attr);
        return -r;
}

int mkdir_p(const char *path, mode_t mode) {
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", path) >= (int) sizeof buf)
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int read_file_reason(const char *path, size_t max, char **ret_data, size_t *ret_len, char **ret_error) {
        int r = read_file_limited(path, max, ret_data, ret_len);
        if (r < 0 && asprintf(ret_error, "%s: %s", path, r == -EFBIG ? "larger than the limit" : strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

int reason_into(char *buf, size_t size, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        return r;
}
