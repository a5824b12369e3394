/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fdcloser.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "clearnet/protocol.h"
#include "log.h"
#include "util.h"

/* Part of the server state: nsd's end of the closer's socket pair, and the write end of
 * the pipe that tells the closer when nsd has let go of the next fd in the socket. */
static int closer_sock = -1, closer_go = -1;

struct closer_ends {
        int sock, go;
};

/* Socket buffer for the fds queued (a few hundred bytes each) while a
 * close blocks the thread. */
#define CLOSER_QUEUE_BYTES (8 * 1024 * 1024)

static void *closer_main(void *arg) {
        const struct closer_ends ends = *(const struct closer_ends *) arg;
        for (;;) {
                /* Only once nsd closed its own copy: the reference dropped here is the last. */
                char byte;
                ssize_t n = read(ends.go, &byte, 1);
                if (n == 0 || (n < 0 && errno != EINTR))
                        return NULL;
                if (n < 0)
                        continue;
                /* No room for control data: the kernel releases the fd the message carries
                 * (MSG_CTRUNC) here, on this thread, where its close may block. */
                struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
                struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
                while (recvmsg(ends.sock, &msg, 0) < 0 && errno == EINTR)
                        ;
        }
}

int fdcloser_start(void) {
        int sp[2], go[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
                return negative_errno();
        if (pipe2(go, O_CLOEXEC) < 0) {
                int r = negative_errno();
                close(sp[0]);
                close(sp[1]);
                return r;
        }
        fcntl(go[1], F_SETFL, O_NONBLOCK);
        fcntl(sp[0], F_SETFL, O_NONBLOCK);     /* a stuck closer must not stop nsd */
        int size = CLOSER_QUEUE_BYTES;
        /* FORCE: above the sysctl cap, which root may do; the plain one is the fallback. */
        if (setsockopt(sp[0], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
                (void) setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        if (setsockopt(sp[1], SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
                (void) setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        /* The thread's, read once it runs; set before, never changed. */
        static struct closer_ends ends;
        ends = (struct closer_ends) { .sock = sp[1], .go = go[0] };
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        int r = pthread_create(&t, &attr, closer_main, &ends);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                close(sp[0]);
                close(sp[1]);
                close(go[0]);
                close(go[1]);
                return -r;
        }
        closer_sock = sp[0];
        closer_go = go[1];
        return 0;
}

void fdcloser_close_many(int *fds, size_t n) {
        int send[PROTO_REQUEST_FDS];
        size_t n_send = 0;
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                if (closer_sock < 0 || n_send == ELEMENTSOF(send)) {
                        fdcloser_close(&fds[i]);        /* inline, or one by one */
                        continue;
                }
                send[n_send++] = fds[i];
                fds[i] = -1;
        }
        if (n_send == 0)
                return;
        /* In flight to the closer thread: the close()s below then drop references that are
         * not the last ones, and return at once. One message, one wake-up of the thread. */
        if (proto_send(closer_sock, "", 1, send, n_send) < 0) {
                /* The closer is stuck behind a full queue: better to keep the fds open
                 * than to let the poll loop wait on them. */
                log_warning("fd closer is stuck: leaving %zu fds open", n_send);
                return;
        }
        for (size_t i = 0; i < n_send; i++)
                (void) close(send[i]);
        if (write(closer_go, "", 1) != 1)
                log_warning("fd closer is stuck: fds stay queued");
}

void fdcloser_close(int *fd) {
        if (*fd < 0)
                return;
        if (closer_sock < 0) {
                (void) close(*fd);
                *fd = -1;
                return;
        }
        fdcloser_close_many(fd, 1);
}

/* The protocol helpers' closes go the same way. */
void proto_close_fd(int fd) {
        fdcloser_close(&fd);
}
