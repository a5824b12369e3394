/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by nsd and the launcher: cleanup attributes and string checks. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define STREQ(a, b) (strcmp((a), (b)) == 0)

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
        *fd = -1;
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

/* errno as a negative value, never 0, for "return -errno" after a failed libc call. */
static inline int negative_errno(void) { return errno > 0 ? -errno : -EIO; }

/* Write all of buf to fd, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);
/* Read a whole small file (at most max bytes) into a NUL-terminated buffer. */
int read_file_limited(const char *path, size_t max, char **ret_data, size_t *ret_len);
/* The same, with a one-line reason on failure ("PATH: No such file or directory"). */
int read_file_reason(const char *path, size_t max, char **ret_data, size_t *ret_len, char **ret_error);
/* Write data to path atomically: temp file in the same dir, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read an integer from a one-line file (e.g. a sysctl). */
int read_int_file(const char *path, int *ret);
int write_int_file(const char *path, int value);

/* Format a one-line reason into a caller's buffer and return r: "return reason_into(msg,
 * size, -EBUSY, ...)", where the caller has a fixed buffer rather than a ret_error. */
int reason_into(char *buf, size_t size, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* mkdir -p: every missing directory of path, with mode; existing ones are fine. */
int mkdir_p(const char *path, mode_t mode);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t now_ms(void);
/* The same file, unchanged: device, inode, size, modification and change times. */
bool stat_same_version(const struct stat *a, const struct stat *b);
/* Run fn(arg) on a detached thread with a small stack; 0 or a negative errno. */
int start_detached_thread(void *(*fn)(void *), void *arg);
