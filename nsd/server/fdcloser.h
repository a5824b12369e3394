/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Closing the fds clients send, never on nsd's main thread: close() of a file someone else
 * opened can block without limit, on any close, not only the last one (a FUSE file whose
 * server never answers FLUSH), or on the last one (a TCP socket with SO_LINGER and a full
 * send buffer).
 *
 * Each fd gets a short-lived thread of its own, which calls close(): a close that blocks
 * holds up that thread alone. The kernel takes the number out of the fd table first thing
 * in close(), and nsd waits (briefly) for that: an fd handed over is out of the table
 * before nsd forks again, so no child inherits it, and none ends up making a close that
 * blocks. */
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
/* Is an fd handed over still in the table (its closer thread not run yet)? */
bool fdcloser_pending(void);
/* The open-file limit as nsd found it, not the one it raised: its children get it. */
struct rlimit fdcloser_original_nofile(void);
