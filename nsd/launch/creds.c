/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/creds.h"

#include <cap-ng.h>
#include <grp.h>
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

int creds_drop(const struct target *t, enum launch_step *ret_step) {
        int r;
        *ret_step = LAUNCH_STEP_EMPTY_THE_CAPABILITY_BOUNDING_SET;
        if ((r = creds_clear_bounding_set()) < 0)
                return r;
        *ret_step = LAUNCH_STEP_SET_GROUPS;
        if (setgroups((size_t) t->n_groups, t->groups) < 0)
                return negative_errno();
        capng_clear(CAPNG_SELECT_ALL);
        *ret_step = LAUNCH_STEP_SWITCH_USER;
        if (t->uid == 0) {
                /* root running a command as itself: same ids, no capabilities at all. */
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

int creds_lockdown(const struct target *t, const struct sock_fprog *filter, bool filter_loaded,
                     enum launch_step *ret_step) {
        int r = creds_drop(t, ret_step);
        if (r < 0)
                return r;
        /* Die with the parent rather than run on unsupervised. Set after the user switch,
         * which clears it. */
        *ret_step = LAUNCH_STEP_WATCH_THE_PARENT;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return negative_errno();
        *ret_step = LAUNCH_STEP_LOAD_THE_SECCOMP_FILTER;
        if (!filter_loaded)
                return launch_seccomp_load(filter);
        /* Loaded ahead: never trust it, check. */
        return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == SECCOMP_MODE_FILTER ? 0 : -EPERM;
}
