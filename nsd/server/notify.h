/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's readiness protocol (sd_notify(3)): one datagram to $NOTIFY_SOCKET. Our own few
 * lines rather than libsystemd, whose dependencies (libgcrypt, liblzma, libzstd, liblz4) every
 * fork of nsd would copy, for each launch. */
#pragma once

/* Sends "KEY=VALUE\n..." if nsd runs under a service manager; 0 when it does not. */
int notify_send(const char *state);
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
