/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/creds.h"

#include <cap-ng.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "launch/syscall-filter.h"
#include "util.h"

int creds_clear_bounding_set(void) {
        /* Only a capability still in the set costs a drop (each one a new set of
         * credentials): nsd empties its own at start, so a launch finds none. */
        for (unsigned long cap = 0;; cap++) {
                int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (in < 0)
                        return errno == EINVAL ? 0 : negative_errno(); /* past the last one */
                if (in == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        return negative_errno();
        }
}

static int write_proc_self(const char *file, const char *text) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/%s", file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return write_all(fd, text, strlen(text));
}

/* Root's command: first the unprivileged host user root_uid (no capabilities left on the
 * host), then uid and gid 0 of a user namespace of its own that maps 0 to that user alone.
 * Files, /proc/sys and the clearnet namespace's sysctls are then checked against that user;
 * the mounts and namespaces made before stay owned by the host's root. The process maps
 * itself (its own uid only, which needs no privilege): no helper. */
static int map_root(const struct run_config *run) {
        char map[64];
        int r;
        if (setgroups(0, NULL) < 0 || setresgid(run->root_gid, run->root_gid, run->root_gid) < 0 ||
            setresuid(run->root_uid, run->root_uid, run->root_uid) < 0)
                return negative_errno();
        /* Else /proc/self/uid_map stays the host root's, which the new namespace cannot write. */
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 || unshare(CLONE_NEWUSER) < 0)
                return negative_errno();
        if ((r = write_proc_self("setgroups", "deny")) < 0)
                return r;
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned) run->root_uid);
        if ((r = write_proc_self("uid_map", map)) < 0)
                return r;
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned) run->root_gid);
        if ((r = write_proc_self("gid_map", map)) < 0)
                return r;
        /* Not dumpable again: init (PID 1 of the launch) stays out of its program's reach. */
        return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? negative_errno() : 0;
}

int creds_drop(const struct target *t, const struct run_config *run, enum launch_step *ret_step) {
        int r;
        /* Before the bounding set goes (the new user namespace comes with a full one). */
        *ret_step = LAUNCH_STEP_MAP_ROOT_INTO_A_USER_NAMESPACE;
        if (t->uid == 0 && (r = map_root(run)) < 0)
                return r;
        *ret_step = LAUNCH_STEP_EMPTY_THE_CAPABILITY_BOUNDING_SET;
        if ((r = creds_clear_bounding_set()) < 0)
                return r;
        *ret_step = LAUNCH_STEP_SET_GROUPS;
        /* (setgroups is denied in root's user namespace, which has none) */
        if (t->uid != 0 && setgroups((size_t) t->n_groups, t->groups) < 0)
                return negative_errno();
        capng_clear(CAPNG_SELECT_ALL);
        *ret_step = LAUNCH_STEP_SWITCH_USER;
        if (t->uid == 0) {
                /* uid 0 of its user namespace: same ids, no capabilities at all. */
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || capng_apply(CAPNG_SELECT_CAPS) < 0)
                        return -EPERM;
        } else if (capng_change_id((int) t->uid, (int) t->gid, CAPNG_CLEAR_AMBIENT) < 0)
                return -EPERM;
        *ret_step = LAUNCH_STEP_CLEAR_AMBIENT_CAPABILITIES;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return negative_errno();
        /* Never trust that it worked: check. */
        uid_t ur, ue, us;
        gid_t gr, ge, gs;
        *ret_step = LAUNCH_STEP_VERIFY_THE_USER_SWITCH;
        if (getresuid(&ur, &ue, &us) < 0 || getresgid(&gr, &ge, &gs) < 0 || ur != t->uid || ue != t->uid ||
            us != t->uid || gr != t->gid || ge != t->gid || gs != t->gid)
                return -EPERM;
        *ret_step = LAUNCH_STEP_SET_NO_NEW_PRIVS;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return negative_errno();
        return 0;
}

int creds_lockdown(const struct target *t, const struct run_config *run, const struct sock_fprog *filter,
                   bool filter_loaded, enum launch_step *ret_step) {
        int r = creds_drop(t, run, ret_step);
        if (r < 0)
                return r;
        /* Die with the parent rather than run on unsupervised. Set after the user switch,
         * which clears it. */
        *ret_step = LAUNCH_STEP_WATCH_THE_PARENT;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return negative_errno();
        *ret_step = LAUNCH_STEP_LOAD_THE_SECCOMP_FILTER;
        if (!filter_loaded && (r = launch_seccomp_load(filter)) < 0)
                return r;
        /* Loaded ahead: never trust it, check. */
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != SECCOMP_MODE_FILTER)
                return -EPERM;
        return launch_seccomp_load_no_mounts();
}
