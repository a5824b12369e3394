/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sockets = a11y ibus: the caller's session bus (and its accessibility bus) through
 * xdg-dbus-proxy, per launch, filtered to what a screen reader and an input method need.
 *
 * In the launch's child, never in nsd's loop: before the view is finished the child opens
 * the caller's session bus socket (/run/user/UID/bus, a socket the caller owns) O_PATH and,
 * for a11y, asks it org.a11y.Bus.GetAddress (dbus-send as the caller, bounded in time) and
 * opens that socket too. After the view is made, it forks xdg-dbus-proxy as the caller (no
 * capabilities, no_new_privs, the launch's seccomp filter, parent-death signal; run from a
 * sealed memfd copy the caller may execute but not read, so it is not dumpable and the
 * app, of the same user in the same PID namespace, cannot reach it through /proc), which
 * reaches the two buses through /proc/self/fd (it sees only the app's view) and listens at
 * /run/user/UID/bus and /run/user/UID/at-spi-bus inside that view. The proxy's --fd pipe
 * is held by the launch's PID-namespace init: when the launch ends, init's kill(-1) and
 * the closed pipe both end the proxy. Hence a11y and ibus need pid_namespace = yes. */
#pragma once
#include <sys/types.h>

#include "launch/view.h"

#ifndef DBUSPROXY_PROGRAM
#define DBUSPROXY_PROGRAM "/usr/bin/xdg-dbus-proxy"
#endif
#ifndef DBUSPROXY_DBUS_SEND
#define DBUSPROXY_DBUS_SEND "/usr/bin/dbus-send"
#endif

struct dbusproxy {
        int bus_fd;             /* the caller's session bus socket, O_PATH; -1: no proxy */
        int a11y_fd;            /* its accessibility bus socket, O_PATH; -1: none */
        int ready_fd;           /* read end of the proxy's --fd pipe: its lifeline */
        pid_t pid;
};

/* Whether the app gets the proxy at all (a11y or ibus in its sockets). */
bool dbusproxy_wanted(const struct sandbox *sb);
/* Before view_finish() (which closes prepared's fds): find the buses. Never fails: a
 * caller without a session bus, or whose app runs as another user (the bus would refuse
 * it), gets no proxy, as an app gets no Wayland socket when its caller has none. */
void dbusproxy_open(const struct sandbox *sb, const struct sandbox_prepared *prepared, struct dbusproxy *ret);
/* After view_finish(): start the proxy and wait (bounded) until it listens. stderr_fd:
 * where its messages go (the caller's stderr). Closes the O_PATH fds. */
int dbusproxy_start(const struct sandbox *sb, struct dbusproxy *dp, int stderr_fd);
void dbusproxy_done(struct dbusproxy *dp);
