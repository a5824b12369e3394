/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Closing the fds clients send, on a thread of its own: close() of a file someone else
 * opened can block without limit (a TCP socket with SO_LINGER and a full send buffer, a
 * FUSE file whose server never answers FLUSH), and neither nsd's poll loop nor a launch
 * must ever wait on it.
 *
 * An fd handed over leaves nsd's fd table at once: it travels (SCM_RIGHTS) to the closer
 * thread's socket, and the thread drops it without ever installing it. A queue of fd
 * numbers would leave them in the table until the thread gets to them, and a launch forked
 * meanwhile would inherit them: its child, closing its copies, would then be the one whose
 * close is the last, and wait. */
#pragma once
#include <stddef.h>

/* Start the closer thread; until then (and if it cannot start) fds are closed inline. */
int fdcloser_start(void);
/* Hand fd over to be closed; *fd becomes -1. */
void fdcloser_close(int *fd);
/* The same for up to PROTO_REQUEST_FDS fds at once (more go one by one); -1 entries are
 * skipped, each closed one becomes -1. */
void fdcloser_close_many(int *fds, size_t n);
