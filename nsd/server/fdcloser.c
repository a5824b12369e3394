/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "server/fdcloser.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clearnet/protocol.h"
#include "util.h"

/* Threads that serve the queue. A close that blocks holds one; the rest go on. */
#define CLOSERS_MAX 64
/* A close that has not returned after this long counts as blocked (for the log). */
#define CLOSE_BLOCKED_MS 1000

/* Part of the server state: the queue and its threads. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int *queue;              /* a ring of fds to close */
static size_t queue_size, queue_head, queue_len;
static unsigned n_threads, n_idle;
static uint64_t busy_since[CLOSERS_MAX]; /* per thread: when its close began; 0: idle */
static bool closer_ready;
static struct rlimit nofile_found;

static void *closer_main(void *arg) {
        size_t me = (size_t) (uintptr_t) arg;
        pthread_mutex_lock(&lock);
        for (;;) {
                while (queue_len == 0) {
                        n_idle++;
                        pthread_cond_wait(&wake, &lock);
                        n_idle--;
                }
                int fd = queue[queue_head];
                queue_head = (queue_head + 1) % queue_size;
                queue_len--;
                busy_since[me] = now_ms();
                pthread_mutex_unlock(&lock);
                (void) close(fd);
                pthread_mutex_lock(&lock);
                busy_since[me] = 0;
        }
        return NULL;
}

int fdcloser_start(void) {
        /* Fds whose closes block stay open meanwhile: room for them beyond the usual 1024. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                nofile_found = rl;
                if (rl.rlim_cur < rl.rlim_max) {
                        rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
                        (void) setrlimit(RLIMIT_NOFILE, &rl);
                }
        }
        closer_ready = true;
        return 0;
}

/* With the lock held: a thread more when every one is busy and fds wait. */
static void grow_pool_locked(void) {
        if (queue_len == 0 || n_idle > 0 || n_threads >= CLOSERS_MAX)
                return;
        if (start_detached_thread(closer_main, (void *) (uintptr_t) n_threads) == 0)
                n_threads++;
}

/* With the lock held. */
static int enqueue_locked(int fd) {
        if (queue_len == queue_size) {
                size_t size = queue_size ? 2 * queue_size : 64;
                int *q = malloc(size * sizeof *q);
                if (!q)
                        return -ENOMEM;
                for (size_t i = 0; i < queue_len; i++)
                        q[i] = queue[(queue_head + i) % queue_size];
                free(queue);
                queue = q;
                queue_size = size;
                queue_head = 0;
        }
        queue[(queue_head + queue_len++) % queue_size] = fd;
        return 0;
}

/* What can be made harmless on this thread: a socket's close must not linger; a pipe's
 * close never blocks, and goes at once. statx() asks no file system (DONT_SYNC): on a
 * FUSE file it does not wait for the server. Returns true when fd was closed. */
static bool close_harmless(int fd) {
        struct statx stx;
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0 || !(stx.stx_mask & STATX_TYPE))
                return false;
        if (S_ISFIFO(stx.stx_mode)) {
                (void) close(fd);
                return true;
        }
        if (S_ISSOCK(stx.stx_mode)) {
                struct linger l = { 0 };
                socklen_t len = sizeof l;
                if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 && l.l_onoff && l.l_linger > 0) {
                        l = (struct linger) { .l_onoff = 1, .l_linger = 0 };
                        (void) setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                }
        }
        return false;
}

void fdcloser_close_many(int *fds, size_t n) {
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                /* Before the server runs, nothing waits; and an fd that cannot be queued
                 * (no memory) is better closed here than kept for good. */
                if (!closer_ready)
                        (void) close(fds[i]);
                else if (!close_harmless(fds[i]) && enqueue_locked(fds[i]) < 0)
                        (void) close(fds[i]);
                fds[i] = -1;
        }
        grow_pool_locked();
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
}

bool fdcloser_pending(void) {
        pthread_mutex_lock(&lock);
        grow_pool_locked();
        bool pending = queue_len > 0;
        pthread_mutex_unlock(&lock);
        return pending;
}

void fdcloser_stuck(unsigned *ret_blocked, size_t *ret_queued) {
        uint64_t now = now_ms();
        unsigned blocked = 0;
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < n_threads; i++)
                blocked += busy_since[i] && now - busy_since[i] >= CLOSE_BLOCKED_MS;
        *ret_queued = queue_len;
        pthread_mutex_unlock(&lock);
        *ret_blocked = blocked;
}

struct rlimit fdcloser_original_nofile(void) {
        return nofile_found;
}

void fdcloser_close(int *fd) {
        fdcloser_close_many(fd, 1);
}

/* The protocol helpers' closes go the same way. */
void proto_close_fd(int fd) {
        fdcloser_close(&fd);
}
