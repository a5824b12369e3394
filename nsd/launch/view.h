/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a launched program sees: its mounts, made in the forked child, as root, in a fresh
 * mount namespace (DNS, hidden paths, private /tmp and HOME, runtime sockets); and the
 * fingerprint by which nsd tells that a spare's mounts, made ahead, went stale: whoever
 * adds a mount here checks whether the fingerprint must cover it too. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "conf/config.h"
#include "access/policy.h"
#include "launch/step.h"

struct sandbox {
        const struct config *cfg;
        const struct app_config *app;   /* NULL for a command */
        const struct namespace_config *ns;  /* the namespace it runs in (its DNS); NULL: clearnet */
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
int view_prepare(const struct config *cfg, const struct namespace_config *ns, struct sandbox_prepared *ret,
                 enum launch_step *ret_step);
/* Also closes what prepared holds. */
int view_finish(const struct sandbox *sb, struct sandbox_prepared *prepared, enum launch_step *ret_step);
/* The directories every launch gets a tmpfs over, where they exist. sockdir: room for the
 * daemon socket's directory, which is one of them. */
#define VIEW_HIDDEN_DIRS 11
int view_hidden_dirs(const struct config *cfg, const char *ret[VIEW_HIDDEN_DIRS], char sockdir[PATH_MAX]);
/* Which of them exist now, as bits: one that appears later (a print daemon started since)
 * is not hidden by mounts made before. */
int view_hidden_present(const struct config *cfg, unsigned *ret);

/* What the mounts a spare made ahead depend on, taken when it is made and again before it
 * is used: where /etc/resolv.conf leads, the clearnet resolv.conf, nsswitch.conf, the
 * network namespace, and which directories to hide exist. */
struct view_fingerprint {
        char resolv_path[PATH_MAX];     /* where /etc/resolv.conf leads */
        char nsswitch_path[PATH_MAX];
        dev_t dns_dev;                  /* the clearnet resolv.conf nsd writes */
        ino_t dns_ino;
        struct stat nsswitch;           /* its copy is the spare's */
        dev_t netns_dev;
        ino_t netns_ino;
        unsigned hidden;                /* which directories to hide existed */
};

int view_fingerprint_take(const struct config *cfg, int netns_fd, struct view_fingerprint *ret);
bool view_fingerprint_same(const struct view_fingerprint *a, const struct view_fingerprint *b);
/* What process pid sees, through its root, still matches fp: its mounts can also go
 * without a mount event in nsd's namespace. */
bool view_intact(pid_t pid, const struct config *cfg, const struct view_fingerprint *fp);
