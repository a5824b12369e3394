/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A PID namespace for an app that allows it: when the app's init ends, the kernel ends
 * everything in it, so no process of the launch can outlive it or hide from the kill. */
#pragma once

#include <linux/filter.h>

#include "policy.h"

/* In the forked child, after its mounts. Forks twice: the process nsd knows stays outside
 * and relays signals and the exit status; PID 1 inside mounts /proc, forwards signals
 * and reaps; PID 2 returns from this call to exec the program. */
int pidns_enter(const struct target *t, pid_t nsd_pid, const struct sock_fprog *seccomp, int pipe_fd,
                const char **ret_what);
