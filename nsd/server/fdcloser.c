/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "server/fdcloser.h"

#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>

#include "clearnet/protocol.h"
#include "log.h"
#include "util.h"

/* Threads whose close() has not returned yet: each holds one fd that blocks. Beyond this
 * many, nsd keeps fds open rather than start more (and says so). */
#define CLOSERS_MAX 64
/* How long nsd waits for a closer thread to take its fd out of the table. */
#define CLOSER_TAKE_MS 100

/* Part of the server state. */
static atomic_uint closers_running;
static bool closer_ready;
static struct rlimit nofile_found;
/* Fds whose closer thread had not taken them when the wait ran out (at most a few). */
static int late[16];
static size_t n_late;

static void *closer_main(void *arg) {
        (void) close((int) (intptr_t) arg);
        atomic_fetch_sub(&closers_running, 1);
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

/* A thread of its own closes fd. Returns false when none could be started. */
static bool start_closer(int fd) {
        if (atomic_fetch_add(&closers_running, 1) >= CLOSERS_MAX) {
                atomic_fetch_sub(&closers_running, 1);
                return false;
        }
        if (start_detached_thread(closer_main, (void *) (intptr_t) fd) < 0) {
                atomic_fetch_sub(&closers_running, 1);
                return false;
        }
        return true;
}

void fdcloser_close_many(int *fds, size_t n) {
        size_t started = 0;
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                if (!closer_ready) {
                        (void) close(fds[i]);   /* before the server runs: nothing to wait on */
                        fds[i] = -1;
                } else if (start_closer(fds[i]))
                        started++;
                else {
                        log_warning("%u fd closes are blocked: leaving fd %d open", CLOSERS_MAX, fds[i]);
                        fds[i] = -1;
                }
        }
        if (!started)
                return;
        /* Until the threads took them out of the table (only this thread opens fds, so a
         * number that is gone is not some new file's yet). */
        uint64_t end = now_ms() + CLOSER_TAKE_MS;
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                while (fcntl(fds[i], F_GETFD) >= 0 && now_ms() < end)
                        sched_yield();
                /* Not taken yet: remembered, and nsd makes no spare until it is. */
                if (fcntl(fds[i], F_GETFD) >= 0 && n_late < ELEMENTSOF(late))
                        late[n_late++] = fds[i];
                fds[i] = -1;
        }
}

bool fdcloser_pending(void) {
        size_t kept = 0;
        for (size_t i = 0; i < n_late; i++)
                if (fcntl(late[i], F_GETFD) >= 0)
                        late[kept++] = late[i];
        n_late = kept;
        return n_late > 0;
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
