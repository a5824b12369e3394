/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a launched program sees: its mounts, made in the forked child, as root, in a fresh
 * mount namespace (a root built from nothing: system dirs, DNS, private /tmp and HOME,
 * the policy's paths, runtime sockets); and the
 * fingerprint by which nsd tells that a spare's mounts, made ahead, went stale: whoever
 * adds a mount here checks whether the fingerprint must cover it too. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
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

/* The view, built from nothing in a fresh mount namespace: a tmpfs root (made where the
 * daemon's state directory is, which every launch hides anyway) holding only what is
 * bound or mounted into it, entered with pivot_root; the host's tree is then detached.
 * Built in two halves: view_prepare() makes what needs no request beyond what sb says
 * (a spare's is a command's without a target), view_finish() adds what only the request
 * has (an app's runtime and X11 sockets, a command's home). Between the two, prepared holds what was opened of the host's tree. */
struct sandbox_prepared {
        char root[PATH_MAX];            /* where the new root is built (nsd's state dir) */
        int dns_fd;                     /* the clearnet resolv.conf, O_PATH */
        int run_user_fd;                /* /run/user, O_PATH; -1 when absent or no app */
        int tmp_fd;                     /* the host's /tmp, O_PATH (for /tmp/.X11-unix) */
        dev_t own[8];                   /* the view's own tmpfs mounts: mount points (and a
                                         * missing resolv.conf link target) are made only there */
        size_t n_own;
        bool entered;                   /* pivot_root done, the host's tree detached */
        /* An app with sockets = x11: the abstract name @/tmp/.X11-unix/X<x11_display> held
         * (bound, never listening) in the clearnet namespace for as long as this fd is open,
         * so that the app's X client, which tries that name first, is refused there and
         * goes on to the path, where the caller's real socket is bound. The caller keeps
         * the fd open for the app's lifetime and gives the app DISPLAY=:<x11_display>. */
        int x11_hold_fd;
        char x11_display[16];
        /* A command's: a copy of the host's mount tree (open_tree(), in no namespace), where
         * its caller's home is taken from after the request; closed as soon as the home is
         * attached, so that no process of the launch (init included) holds the host's tree. */
        int host_fd;
};

/* The flags of the only open_tree() and move_mount() calls a launch makes after its
 * request (the filter loaded ahead lets these through, and no others). */
#define VIEW_HOST_TREE_FLAGS (1 /* OPEN_TREE_CLONE */ | 02000000 /* OPEN_TREE_CLOEXEC */ | 0x8000 /* AT_RECURSIVE */)
#define VIEW_HOME_TREE_FLAGS (1 /* OPEN_TREE_CLONE */ | 02000000 /* OPEN_TREE_CLOEXEC */ | 0x1000 /* AT_EMPTY_PATH */)
#define VIEW_MOVE_MOUNT_FLAGS 0x00000004 /* MOVE_MOUNT_F_EMPTY_PATH */

/* Each returns 0 or a negative errno; *ret_step names the step for the error message. */
int view_prepare(const struct sandbox *sb, struct sandbox_prepared *ret, enum launch_step *ret_step);
/* pivot_root into the view, DNS and nsswitch bound, the host's tree detached. */
int view_enter(struct sandbox_prepared *p, enum launch_step *ret_step);
/* The request's own mounts (an app's sockets, then view_enter() if not done yet; a
 * command's home), then the host's tree detached and the root made read-only. Also closes
 * what prepared holds. */
int view_finish(const struct sandbox *sb, struct sandbox_prepared *prepared, enum launch_step *ret_step);
/* Where a command starts: its cwd when that lies in its home or a bind/bind_ro path, else HOME. */
const char *view_start_dir(const struct sandbox *sb, const char *cwd);

/* What the mounts a spare made ahead depend on, taken when it is made and again before it
 * is used: where /etc/resolv.conf and nsswitch.conf lead, the clearnet resolv.conf, the
 * network namespace, and the host directories bound in (the system ones, the policy's bind
 * paths) by identity. */
struct view_fingerprint {
        char resolv_path[PATH_MAX];     /* where /etc/resolv.conf leads */
        char nsswitch_path[PATH_MAX];
        dev_t dns_dev;                  /* the clearnet resolv.conf nsd writes */
        ino_t dns_ino;
        struct stat nsswitch;           /* its copy is the spare's */
        dev_t netns_dev;
        ino_t netns_ino;
        uint64_t bound;                 /* hash of the bound paths, their devices and inodes */
};

int view_fingerprint_take(const struct config *cfg, int netns_fd, struct view_fingerprint *ret);
bool view_fingerprint_same(const struct view_fingerprint *a, const struct view_fingerprint *b);
/* What process pid sees, through its root, still matches fp: its mounts can also go
 * without a mount event in nsd's namespace. */
bool view_intact(pid_t pid, const struct view_fingerprint *fp);
