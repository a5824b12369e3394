/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who a launched program is: the target user, no capabilities (bounding set empty too),
 * no_new_privs, a parent-death signal and the seccomp filter. In the forked child. */
#pragma once
#include <linux/filter.h>
#include <stdbool.h>

#include "access/policy.h"
#include "launch/step.h"

/* Empty the capability bounding set of the caller (needs CAP_SETPCAP). nsd never execs,
 * so its own goes at start too: nothing it starts may get a capability back from exec. */
int creds_clear_bounding_set(void);
/* The user switch: groups, uid/gid, no capabilities, checked, then no_new_privs. uid 0
 * becomes uid 0 of a user namespace of its own, mapped to run->root_uid/root_gid. */
int creds_drop(const struct target *t, const struct run_config *run, enum launch_step *ret_step);
/* All of it for a process about to exec (or to serve as a PID namespace's init): user
 * switch, parent-death signal (SIGKILL), seccomp (filter_loaded: it was loaded ahead, and
 * is only checked). The caller then checks that its parent is still there. */
int creds_lockdown(const struct target *t, const struct run_config *run, const struct sock_fprog *filter,
                   bool filter_loaded, enum launch_step *ret_step);
