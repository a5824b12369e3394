/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Closing the fds clients send, on a thread of its own: close() of a file someone else
 * opened can block without limit (a TCP socket with SO_LINGER and a full send buffer, a
 * FUSE file whose server never answers FLUSH), and nsd's poll loop must never wait on it. */
#pragma once

/* Start the closer thread; until then (and if it cannot start) fds are closed inline. */
int fdcloser_start(void);
/* Hand fd over to be closed; *fd becomes -1. */
void fdcloser_close(int *fd);
