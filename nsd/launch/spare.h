/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A spare launch: a child forked ahead of any request into a new PID namespace, that has
 * joined the clearnet namespace and made the mounts every launch gets (spawn_child_setup()),
 * and waits. A launch that wants a PID namespace takes it: nsd writes the request into a
 * memory region it shares with the spare alone, and sends the caller's stdio over a socket;
 * the spare does the rest (spawn_child_launch()). The fork, the namespaces, the mounts and
 * the seccomp filter's load are then off the launch's path. Commands only: the filter
 * denies mount(), which an app's own mounts (HOME, sockets) need.
 *
 * What the spare made ahead can go stale: the clearnet resolv.conf it bound, the host's
 * resolv.conf path it bound it over, the nsswitch.conf it copied, the namespace it joined,
 * the directories it hid (one made since is not), and the host's mounts it copied (a mount made since, an X server's socket directory say,
 * reaches it only where the host's mounts propagate). nsd notes them when it forks the
 * spare and checks them again before using it; any change and the spare is thrown away and
 * the launch made from scratch. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "launch/spawn.h"


struct spare {
        struct spawn_child child;       /* pid 0: none */
        int ctl;                        /* nsd's end of the socket the request goes over */
        int mounts;                     /* nsd's /proc/self/mountinfo: polls POLLPRI once
                                         * its mount table changed since the open */
        void *arena;                    /* shared with the spare alone */
        struct view_fingerprint fingerprint;
};

#define SPARE_NONE \
        ((struct spare) { .child = { .pid = 0, .pidfd = -1, .exec_pipe = -1, .status_pipe = -1 }, .ctl = -1, .mounts = -1 })

/* Fork a spare for launches of base's daemon (only its daemon fields and sandbox.cfg count). */
int spare_start(const struct spawn_request *base, struct spare *ret);
/* Is req a launch a spare makes: a command (an app's own mounts could not come after
 * the seccomp filter the spare loads ahead) in a PID namespace? */
bool spare_suits(const struct spawn_request *req);
/* May req be handed to the spare: it suits, one is there and alive, and nothing it made
 * ahead is stale? */
bool spare_fits(const struct spare *sp, const struct spawn_request *req);
/* Hand req over: *ret is the launch, as from spawn_start(); the spare is then gone. */
int spare_hand_over(struct spare *sp, const struct spawn_request *req, struct spawn_child *ret);
/* Kill and reap it (no-op without one). */
void spare_discard(struct spare *sp);
