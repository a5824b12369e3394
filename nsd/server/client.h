/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the server: a client's state machine (client.c) and what it uses of the loop
 * (server.c). Not for other folders. */
#pragma once
#include <stddef.h>

#include "server/server.h"

#define CLIENT_EMPTY \
        ((struct client) { .fd = -1, .pidfd = -1, .pipe = -1, .status_pipe = -1, .out = -1, .cg = CGROUP_LAUNCH_NONE })

/* A new connection on the listener: a slot, or a "busy" refusal. */
void client_accept(struct server *s);
/* Close all it holds and kill what is left in its cgroup; the slot is free again. */
void client_free(struct server *s, struct client *c);
/* The launcher is gone, or nsd stops: SIGTERM to the tree, SIGKILL at the deadline. */
void client_orphan(struct client *c);

/* The fds a client has the loop watch: fd number k of c (-1: none now), and its event.
 * client_handle() ignores an event of an fd that is no longer the one watched. */
#define CLIENT_WATCHES 5
int client_watch_fd(const struct client *c, size_t k);
void client_handle(struct server *s, struct client *c, size_t k, int fd, short revents);

/* From server.c: what every launch shares, and the rate-limited refusal log. */
struct spawn_request server_base_request(const struct server *s);
/* A launch cgroup that could not be removed yet (its processes still exiting): retried. */
void server_cgroup_dying(struct server *s, const char *name);
void server_log_refusal(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void server_log_launch(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
