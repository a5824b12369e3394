/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a launched program may see and do. Runs in the forked child, as root, before exec:
 * mounts (DNS, hidden paths, private /tmp and HOME, runtime sockets), then the switch to
 * the target user with no capabilities, no_new_privs and the seccomp filter. */
#pragma once
#include <limits.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "conf/config.h"
#include "access/policy.h"
#include "launch/step.h"

struct sandbox {
        const struct config *cfg;
        const struct app_config *app;   /* NULL for a command */
        const struct target *target;
        uid_t caller_uid;
        /* Validated runtime paths of the caller (empty when absent). */
        char runtime_dir[128];
        char wayland_display[64];
        char x11_display[16];           /* the N of ":N" */
};

/* The mounts, in a fresh mount namespace, in two halves: what every launch gets, which
 * needs no request (so a spare process can do it ahead of one), then what the request's
 * app gets. Between the two, prepared holds what was opened before the hiding. */
struct sandbox_prepared {
        int run_user_fd;                /* /run/user, O_PATH; -1 when absent */
        int tmp_fd;                     /* the host's /tmp, O_PATH (for /tmp/.X11-unix) */
        struct stat seen[32];           /* directories covered so far, and their covers */
        size_t n_seen;
};

/* Each returns 0 or a negative errno; *ret_step names the step for the error message. */
int sandbox_prepare(const struct config *cfg, struct sandbox_prepared *ret, enum launch_step *ret_step);
/* Also closes what prepared holds. */
int sandbox_finish(const struct sandbox *sb, struct sandbox_prepared *prepared, enum launch_step *ret_step);
/* The directories every launch gets a tmpfs over, where they exist. sockdir: room for the
 * daemon socket's directory, which is one of them. */
#define SANDBOX_HIDDEN_DIRS 11
int sandbox_hidden_dirs(const struct config *cfg, const char *ret[SANDBOX_HIDDEN_DIRS], char sockdir[PATH_MAX]);
/* Which of them exist now, as bits: one that appears later (a print daemon started since)
 * is not hidden by mounts made before. */
int sandbox_hidden_present(const struct config *cfg, unsigned *ret);
int sandbox_drop_privileges(const struct target *t, enum launch_step *ret_step);
/* Empty the capability bounding set of the caller (needs CAP_SETPCAP). nsd never execs,
 * so its own goes at start too: nothing it starts may get a capability back from exec. */
int sandbox_clear_bounding_set(void);
/* The seccomp filter, compiled once to BPF by the daemon. */
int sandbox_seccomp_compile(struct sock_fprog *ret);
void sandbox_seccomp_free(struct sock_fprog *p);
/* Load the filter (root may do it before no_new_privs). */
int sandbox_load_seccomp(const struct sock_fprog *filter);
/* All of the above for a process about to exec (or to serve as a PID namespace's init):
 * user switch, parent-death signal (SIGKILL), seccomp (filter_loaded: it was loaded ahead,
 * and is only checked). The caller then checks that its parent is still there. */
int sandbox_lockdown(const struct target *t, const struct sock_fprog *filter, bool filter_loaded,
                     enum launch_step *ret_step);
