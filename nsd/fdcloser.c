/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fdcloser.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>

#include "clearnet/protocol.h"
#include "log.h"
#include "util.h"

/* Part of the server state: the write end of the closer's pipe. */
static int closer_pipe = -1;

static void *closer_main(void *arg) {
        int rd = (int) (intptr_t) arg, fd;
        for (;;) {
                ssize_t n = read(rd, &fd, sizeof fd);
                if (n == (ssize_t) sizeof fd)
                        (void) close(fd);
                else if (n == 0 || (n < 0 && errno != EINTR))
                        return NULL;
        }
}

int fdcloser_start(void) {
        /* Queued fds stay open until closed: room for them beyond the usual 1024. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        fcntl(p[1], F_SETFL, O_NONBLOCK);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        int r = pthread_create(&t, &attr, closer_main, (void *) (intptr_t) p[0]);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                close(p[0]);
                close(p[1]);
                return -r;
        }
        closer_pipe = p[1];
        return 0;
}

void fdcloser_close(int *fd) {
        if (*fd < 0)
                return;
        if (closer_pipe < 0 || write(closer_pipe, fd, sizeof *fd) != (ssize_t) sizeof *fd) {
                /* No closer, or it is stuck with a full queue: better to keep the fd open
                 * than to let the poll loop wait on it. */
                if (closer_pipe >= 0)
                        log_warning("fd closer is stuck: leaving fd %d open", *fd);
                else
                        (void) close(*fd);
        }
        *fd = -1;
}

/* The protocol helpers' closes go the same way. */
void proto_close_fd(int fd) {
        fdcloser_close(&fd);
}
