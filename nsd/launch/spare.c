/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/spare.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clearnet/protocol.h"
#include "launch/syscall-filter.h"
#include "net/dns.h"
#include "util.h"

/* Holds a request at the protocol's limits (a 64 KiB message) as nsd expands it, with room
 * to spare; pages never touched cost nothing. */
#define ARENA_SIZE (512 * 1024)

/* --- the request, copied into the shared region --------------------------------------------
 * The spare is a fork of nsd: the config, the app and the seccomp filter are at the same
 * addresses in both, and so is the region. What the request points to that lives
 * elsewhere in nsd (the target, argv, envp, cwd) is copied in. */

struct arena {
        char *base;
        size_t used;
};

static void *arena_alloc(struct arena *a, size_t size, size_t align) {
        size_t at = (a->used + align - 1) & ~(align - 1);
        if (at > ARENA_SIZE || size > ARENA_SIZE - at)
                return NULL;
        a->used = at + size;
        return a->base + at;
}

static char *arena_strdup(struct arena *a, const char *s) {
        size_t n = strlen(s) + 1;
        char *d = arena_alloc(a, n, 1);
        return d ? memcpy(d, s, n) : NULL;
}

static char **arena_strv(struct arena *a, char **l) {
        size_t n = 0;
        while (l[n])
                n++;
        char **d = arena_alloc(a, (n + 1) * sizeof *d, alignof(char *));
        for (size_t i = 0; d && i < n; i++)
                if (!(d[i] = arena_strdup(a, l[i])))
                        return NULL;
        if (d)
                d[n] = NULL;
        return d;
}

static int arena_copy_request(void *base, const struct spawn_request *req) {
        struct arena a = { .base = base };
        struct spawn_request *r = arena_alloc(&a, sizeof *r, alignof(struct spawn_request));
        struct target *t = arena_alloc(&a, sizeof *t, alignof(struct target));
        if (!r || !t)
                return -E2BIG;
        *r = *req;
        *t = *req->sandbox.target;
        r->sandbox.target = t;
        r->stdio = NULL;        /* they come over the socket */
        r->argv = arena_strv(&a, req->argv);
        r->envp = arena_strv(&a, req->envp);
        r->cwd = req->cwd ? arena_strdup(&a, req->cwd) : NULL;
        if (!r->argv || !r->envp || (req->cwd && !r->cwd))
                return -E2BIG;
        return 0;
}

/* --- the spare's side ------------------------------------------------------------------ */

/* Wait for the request; nsd gone (EOF) or anything odd: just end. */
static _Noreturn void spare_wait(int ctl, const void *arena, int exec_w, int status_w, int sigfd,
                                 struct sandbox_prepared *prepared) {
        char byte;
        int fds[PROTO_REQUEST_FDS];
        size_t len, nfds;
        /* Ready: nsd hands a request only to a spare that said so (one stuck in its setup
         * would hold the launch up). */
        int r = proto_send(ctl, "", 1, NULL, 0);
        /* nsd gone, or a request that is not one: the launch, if any, fails rather than
         * seems to have run. */
        if (r == 0 && (r = proto_recv(ctl, &byte, sizeof byte, &len, fds, PROTO_REQUEST_FDS, &nfds)) == 0 &&
            nfds != PROTO_REQUEST_FDS)
                r = -EBADMSG;
        if (r < 0)
                child_fail(exec_w, r, LAUNCH_STEP_RECEIVE_THE_REQUEST);
        close(ctl);
        struct spawn_request req = *(const struct spawn_request *) arena;
        req.stdio = fds;
        req.seccomp_loaded = true;
        spawn_child_launch(&req, prepared, exec_w, status_w, sigfd);
}

/* --- nsd's side ------------------------------------------------------------------------ */

int spare_start(const struct spawn_request *base, struct spare *ret) {
        struct spare sp = SPARE_NONE;
        /* Before the fork: a mount after this point may or may not be in the spare's copy;
         * either way it is seen, and the spare not used. */
        sp.mounts = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (sp.mounts < 0)
                return negative_errno();
        int r = view_fingerprint_take(base->sandbox.cfg, base->netns_fd, &sp.fingerprint);
        if (r < 0) {
                spare_discard(&sp);
                return r;
        }
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
                r = negative_errno();
                spare_discard(&sp);
                return r;
        }
        sp.arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sp.arena == MAP_FAILED) {
                r = negative_errno();
                sp.arena = NULL;
                close(pair[0]);
                close(pair[1]);
                spare_discard(&sp);
                return r;
        }
        int exec_w, status_w;
        r = spawn_fork(base, true, &sp.child, &exec_w, &status_w);
        if (r == 0 && sp.child.pid == 0) {
                close(pair[0]);
                struct sandbox_prepared prepared;
                int sigfd;
                /* Its view is some thirty mounts: made on idle time only, so that it never
                 * slows the launch just handed over (or anything else) on a busy machine.
                 * Back to the normal class before it says it is ready; nsd raises it at
                 * once if a request is waiting for it. */
                const struct sched_param prio = { .sched_priority = 0 };
                (void) sched_setscheduler(0, SCHED_IDLE, &prio);
                spawn_child_setup(base, exec_w, status_w, pair[1], &prepared, &sigfd);
                /* Ahead too: loading it (a JIT compile) was a tenth of a launch. Nothing a
                 * command's launch does after this needs a call it denies. */
                int e = launch_seccomp_load(base->seccomp);
                if (e < 0)
                        child_fail(exec_w, e, LAUNCH_STEP_LOAD_THE_SECCOMP_FILTER);
                if (sched_setscheduler(0, SCHED_OTHER, &prio) < 0)
                        child_fail(exec_w, errno, LAUNCH_STEP_RECEIVE_THE_REQUEST);
                spare_wait(pair[1], sp.arena, exec_w, status_w, sigfd, &prepared);
        }
        close(pair[1]);
        sp.ctl = pair[0];
        if (r < 0) {
                sp.child = SPARE_NONE.child;
                spare_discard(&sp);
                return r;
        }
        /* Children nsd forks later (other launches) must not map this spare's request. */
        (void) madvise(sp.arena, ARENA_SIZE, MADV_DONTFORK);
        *ret = sp;
        return 0;
}

/* A spare still making its view when a request comes is waited for this long at most:
 * most of its work is done, and a launch from scratch would do all of it again. One that
 * hangs in its setup (a stuck file system) holds nsd up no longer than that. */
#define SPARE_READY_WAIT_MS 20

/* Ready (its setup done, or done within SPARE_READY_WAIT_MS), not exited, no failure of
 * its setup reported, and no mount made or removed in nsd's mount namespace since it was
 * forked. */
static bool alive_and_current(const struct spare *sp) {
        struct pollfd p[] = {
                { .fd = sp->ctl, .events = POLLIN },
                { .fd = sp->child.pidfd, .events = POLLIN },
                { .fd = sp->child.exec_pipe, .events = POLLIN },
                { .fd = sp->mounts, .events = POLLPRI },
        };
        int n = poll(p, ELEMENTSOF(p), 0);
        if (n == 0) {   /* still at its view, on idle time: at the normal class now */
                const struct sched_param prio = { .sched_priority = 0 };
                (void) sched_setscheduler(sp->child.pid, SCHED_OTHER, &prio);
                n = poll(p, ELEMENTSOF(p), SPARE_READY_WAIT_MS);
        }
        return n == 1 && p[0].revents == POLLIN;
}

bool spare_suits(const struct spawn_request *req) {
        /* An app's own mounts come after the filter, which denies mount(). */
        return spawn_wants_pidns(req) && !req->sandbox.app;
}

bool spare_fits(const struct spare *sp, const struct spawn_request *req) {
        if (sp->child.pid <= 0 || !spare_suits(req) || !alive_and_current(sp))
                return false;
        struct view_fingerprint now;
        return view_fingerprint_take(req->sandbox.cfg, req->netns_fd, &now) == 0 &&
               view_fingerprint_same(&now, &sp->fingerprint) && view_intact(sp->child.pid, &sp->fingerprint);
}

int spare_hand_over(struct spare *sp, const struct spawn_request *req, struct spawn_child *ret) {
        /* Its "ready" first: a Unix socket closed with data unread resets its peer. */
        char ready;
        if (recv(sp->ctl, &ready, 1, MSG_DONTWAIT) != 1) {
                spare_discard(sp);
                return -EAGAIN;
        }
        int r = arena_copy_request(sp->arena, req);
        if (r == 0)
                r = proto_send(sp->ctl, "", 1, req->stdio, PROTO_REQUEST_FDS);
        if (r < 0) {
                spare_discard(sp);
                return r;
        }
        *ret = sp->child;
        sp->child = SPARE_NONE.child;
        spare_discard(sp);      /* what is left of it in nsd */
        return 0;
}

static void *reap(void *pid) {
        (void) waitpid((pid_t) (intptr_t) pid, NULL, 0);
        return NULL;
}

/* Killed, it is reaped by a thread of its own: its exit (the teardown of its namespaces,
 * or a close it is stuck in that only its file's server can end) never holds nsd up. */
static void kill_and_reap(pid_t pid) {
        kill(pid, SIGKILL);
        if (start_detached_thread(reap, (void *) (intptr_t) pid) < 0)
                (void) waitpid(pid, NULL, WNOHANG);     /* else a zombie until nsd exits */
}

void spare_discard(struct spare *sp) {
        if (sp->child.pid > 0)
                kill_and_reap(sp->child.pid);
        closep(&sp->child.pidfd);
        closep(&sp->child.exec_pipe);
        closep(&sp->child.status_pipe);
        closep(&sp->ctl);
        closep(&sp->mounts);
        if (sp->arena)
                munmap(sp->arena, ARENA_SIZE);
        *sp = SPARE_NONE;
}
