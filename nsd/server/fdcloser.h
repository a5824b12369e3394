/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Closing the fds clients send, never on nsd's main thread: close() of a file someone else
 * opened can block without limit, on any close, not only the last one (a FUSE file whose
 * server never answers FLUSH), or on the last one (a TCP socket with SO_LINGER and unsent
 * data to a peer that never answers; a Unix socket that holds such sockets in flight).
 *
 * First each fd is made harmless where it can be: a socket's SO_LINGER is set to {1, 0}
 * (its last close resets at once rather than waits), and a pipe, whose close never
 * blocks, is closed right away. Every other fd goes on a queue that a small pool of
 * threads serves: a close that blocks holds up that thread alone, and the others go on.
 * Nothing is ever left open for good: an fd waits on the queue only until a thread is
 * free (fdcloser_stuck() says how many threads are held up, for the log). While fds wait
 * on the queue nsd makes no spare, which would inherit them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

/* Room for the fds queued while their closes block. */
int fdcloser_start(void);
/* Hand fd over to be closed; *fd becomes -1. */
void fdcloser_close(int *fd);
/* The same for several; -1 entries are skipped, each handed-over one becomes -1. */
void fdcloser_close_many(int *fds, size_t n);
/* Are fds still waiting on the queue (still in nsd's fd table)? Also starts a closer
 * thread for them if none could be started before. */
bool fdcloser_pending(void);
/* Closer threads busy in a close() that has not returned for a while, and fds queued. */
void fdcloser_stuck(unsigned *ret_blocked, size_t *ret_queued);
/* The open-file limit as nsd found it, not the one it raised: its children get it. */
struct rlimit fdcloser_original_nofile(void);
