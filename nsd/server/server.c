/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "server/server.h"
#include "server/client.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clearnet/protocol.h"
#include "server/clock.h"
#include "net/dns.h"
#include "server/fdcloser.h"
#include "net/link.h"
#include "log.h"
#include "server/notify.h"
#include "access/policy.h"
#include "launch/creds.h"
#include "launch/syscall-filter.h"
#include "launch/view.h"
#include "launch/spare.h"
#include "launch/spawn.h"
#include "server/timesync.h"
#include "util.h"

#define REFUSALS_PER_SECOND 10
#define LAUNCH_LINES_PER_SECOND 20

__attribute__((format(printf, 4, 0)))
static void log_limited(struct log_ratelimit *rl, unsigned per_second, int level, const char *fmt, va_list ap) {
        if (!log_ratelimit_pass(rl, per_second, now_ms()))
                return;
        char buf[512];
        vsnprintf(buf, sizeof buf, fmt, ap);
        log_msg(level, "%s", buf);
}

/* One line per refusal, at most REFUSALS_PER_SECOND a second: a flood must not fill the
 * journal, and must not go unnoticed either (the rest is counted, and reported by
 * server_log_flush() from the loop's timer). */
void server_log_refusal(struct server *s, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_limited(&s->log_refusals, REFUSALS_PER_SECOND, LOG_NOTICE, fmt, ap);
        va_end(ap);
}

/* The lines every launch makes ("started pid", "launcher gone"), the same way. */
void server_log_launch(struct server *s, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_limited(&s->log_launches, LAUNCH_LINES_PER_SECOND, LOG_INFO, fmt, ap);
        va_end(ap);
}

/* Counts of what the rate limits left out, once their window is over; and fds whose
 * close waits. */
static void server_log_flush(struct server *s) {
        uint64_t now = now_ms();
        log_ratelimit_report(&s->log_refusals, now);
        log_ratelimit_report(&s->log_launches, now);
        unsigned blocked;
        size_t queued;
        fdcloser_stuck(&blocked, &queued);
        /* When it changes, and a while later when it does not. */
        if ((blocked != s->fd_blocked_reported && now - s->fd_report_ms >= FD_REPORT_MS) ||
            (blocked && now - s->fd_report_ms >= FD_REPORT_AGAIN_MS)) {
                s->fd_report_ms = now;
                s->fd_blocked_reported = blocked;
                log_warning("%u close(s) of fds clients sent have not returned for a second or more (%zu fd(s) "
                            "waiting for a closer thread)", blocked, queued);
        }
}

static int listen_socket(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        size_t len = strlen(path);
        memcpy(sa.sun_path, path, len + 1);
        char dir[sizeof sa.sun_path];
        memcpy(dir, path, len + 1);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                int r = mkdir_p(dir, 0755);
                if (r < 0)
                        return r;
        }
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                unlink(path); /* a socket left by an earlier run */
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return negative_errno();
        /* Anyone may connect: who may do what is decided per request from SO_PEERCRED. */
        if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}


void server_cgroup_dying(struct server *s, const char *name) {
        char (*d)[32] = realloc(s->dying, (s->n_dying + 1) * sizeof *d);
        if (!d)
                return; /* left for the next start's clean-up of leftovers */
        s->dying = d;
        snprintf(s->dying[s->n_dying++], sizeof *d, "%s", name);
}

/* Killed launch cgroups whose processes are gone by now: removed. */
static void cgroups_reap(struct server *s) {
        size_t kept = 0;
        for (size_t i = 0; i < s->n_dying; i++)
                if (cgroup_remove_name(&s->cgroups, s->dying[i]) == -EBUSY)
                        memmove(s->dying[kept++], s->dying[i], sizeof s->dying[i]);
        s->n_dying = kept;
}

/* Launches in cgroups of their own with limits; or, only when the config says so, not. */
static int cgroups_open(struct server *s) {
        const struct config *cfg = s->cfg;
        if (!cfg->daemon.limits) {
                log_warning("[daemon] limits = no: launches run without a cgroup of their own, "
                            "without max_processes and max_memory");
                return 0;
        }
        bool need_memory = cfg->run.max_memory > 0;
        for (size_t i = 0; i < cfg->n_apps; i++)
                need_memory |= cfg->apps[i].max_memory > 0;
        _cleanup_free_ char *why = NULL;
        const struct cgroup_where where = { .v2 = cfg->daemon.cgroup, .v1_pids = cfg->daemon.cgroup_v1_pids,
                                            .v1_memory = cfg->daemon.cgroup_v1_memory };
        int r = cgroup_base_open(&where, cfg->ns.name, need_memory, &s->cgroups, &why);
        if (r < 0)
                log_error("cannot limit launches with cgroups: %s (give nsd a delegated cgroup v2 subtree: "
                          "Delegate=yes, or [daemon] cgroup; on a host with the pids controller in cgroup v1, "
                          "[daemon] cgroup_v1_pids; or set [daemon] limits = no)", why ? why : strerror(-r));
        else if (s->cgroups.v1)
                log_info("launches get cgroups v1 in %s (pids)%s%s%s", s->cgroups.launches,
                         s->cgroups.memory ? " and " : "", s->cgroups.memory ? s->cgroups.mem_launches : "",
                         s->cgroups.memory ? " (memory)" : "");
        else
                log_info("launches get cgroups in %s (pids%s)", s->cgroups.launches, s->cgroups.memory ? ", memory" : "");
        return r;
}

/* What server_open() got before it failed, or server_close() after the clients. */
static void server_free(struct server *s) {
        /* Killed launches take a moment to be gone: wait for them a little (bounded). */
        for (int i = 0; i < 50 && s->n_dying; i++) {
                cgroups_reap(s);
                if (s->n_dying)
                        poll(NULL, 0, 20);
        }
        free(s->dying);
        s->dying = NULL;
        s->n_dying = 0;
        cgroup_base_close(&s->cgroups);
        spare_discard(&s->spare);
        free(s->clients);
        s->clients = NULL;
        launch_seccomp_free(&s->seccomp);
        closep(&s->self_pidfd);
        closep(&s->pidns_fd);
        closep(&s->listen_fd);
}

/* uid's namespace of base: the one there is, or a new one in the lowest free /30. */
static struct net_instance *user_net_for(struct server *s, const struct namespace_config *base, uid_t uid, char **ret_error) {
        bool used[USER_NET_MAX] = {};
        size_t free_slot = SERVER_USER_NETS_MAX;
        for (size_t i = 0; i < SERVER_USER_NETS_MAX; i++) {
                struct user_net *u = s->user_nets[i];
                if (!u) {
                        free_slot = free_slot < i ? free_slot : i;
                        continue;
                }
                if (u->base == base && u->uid == uid)
                        return &u->net;
                if (u->base == base)
                        used[u->slot] = true;
        }
        unsigned slot = 0, slots = user_net_slots(base);
        while (slot < slots && used[slot])
                slot++;
        if (free_slot == SERVER_USER_NETS_MAX || slot == slots) {
                *ret_error = strdup("too many per-user namespaces already");
                return NULL;
        }
        uint64_t start = now_ms();
        if (user_net_up(s->cfg, base, uid, slot, &s->user_nets[free_slot], ret_error) < 0)
                return NULL;
        log_info("made it in %llu ms", (unsigned long long) (now_ms() - start));
        return &s->user_nets[free_slot]->net;
}

struct net_instance *server_net_for(struct server *s, const struct app_config *app, uid_t uid, char **ret_error) {
        const struct namespace_config *ns = config_app_namespace(s->cfg, app);
        if (ns->per_user)
                return user_net_for(s, ns, uid, ret_error);
        for (size_t i = 0; i < s->n_nets; i++)
                if (s->nets[i].ns == ns)
                        return &s->nets[i];
        return s->net;
}

/* A per-user namespace whose user has no program left goes. */
static void drop_idle_user_nets(struct server *s) {
        for (size_t i = 0; i < SERVER_USER_NETS_MAX; i++) {
                if (!s->user_nets[i])
                        continue;
                bool busy = false;
                for (size_t k = 0; k < s->n_slots && !busy; k++)
                        busy = s->clients[k].state != CLIENT_FREE && s->clients[k].net == &s->user_nets[i]->net;
                if (!busy)
                        user_net_down(&s->user_nets[i]);
        }
}

/* Every instance that is up: the configured ones, then the users'. */
static struct net_instance *nth_net(struct server *s, size_t i) {
        if (i < s->n_nets)
                return s->nets[i].ns->per_user ? NULL : &s->nets[i];
        i -= s->n_nets;
        return i < SERVER_USER_NETS_MAX && s->user_nets[i] ? &s->user_nets[i]->net : NULL;
}
#define N_NETS(s) ((s)->n_nets + SERVER_USER_NETS_MAX)

int server_open(struct server *s, const struct config *cfg, struct net_instance *nets, size_t n_nets, int sigfd) {
        *s = (struct server) { .cfg = cfg, .net = &nets[0], .nets = nets, .n_nets = n_nets, .sigfd = sigfd,
                               .listen_fd = -1, .self_pidfd = -1, .pidns_fd = -1, .spare = SPARE_NONE,
                               .cgroups = CGROUP_BASE_NONE,
                               .log_refusals = { .what = "refusal(s)" }, .log_launches = { .what = "launch line(s)" } };
        /* Spares make commands; no one may run one, no spare. */
        s->use_spare = cfg->run.pid_namespace && ((cfg->run.users && cfg->run.users[0]) ||
                                                  (cfg->run.groups && cfg->run.groups[0]));
        /* Connected clients are capped at max_clients; launches whose launcher is gone
         * keep a slot until their tree has ended, hence twice as many slots. */
        s->n_slots = 2 * (size_t) cfg->daemon.max_clients;
        s->clients = calloc(s->n_slots, sizeof *s->clients);
        if (!s->clients)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_slots; i++)
                s->clients[i] = CLIENT_EMPTY;
        int r = fdcloser_start();
        if (r < 0)
                log_errno(LOG_WARNING, r, "cannot start the fd closer thread; closing client fds inline");
        if ((r = cgroups_open(s)) < 0) {
                server_free(s);
                return r;
        }
        const char *what = "build the seccomp filter for launched programs";
        r = launch_seccomp_compile(&s->seccomp);
        if (r == 0) {
                what = "open a pidfd of nsd";
                s->self_pidfd = (int) syscall(SYS_pidfd_open, getpid(), 0);
                r = s->self_pidfd < 0 ? negative_errno() : 0;
        }
        if (r == 0) {
                what = "open nsd's PID namespace";
                s->pidns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
                r = s->pidns_fd < 0 ? negative_errno() : 0;
        }
        if (r < 0) {
                server_free(s);
                return log_errno(LOG_ERR, r, "cannot %s", what);
        }
        s->listen_fd = listen_socket(cfg->daemon.socket);
        if (s->listen_fd < 0) {
                r = s->listen_fd;
                server_free(s);
                return log_errno(LOG_ERR, r, "cannot listen on %s", cfg->daemon.socket);
        }
        return 0;
}

/* What every launch of this daemon shares: enough for a spare, which has no request yet. */
struct spawn_request server_base_request(const struct server *s) {
        return (struct spawn_request) {
                .netns_fd = s->net->netns_fd, .nsd_pid = getpid(), .nsd_pidfd = s->self_pidfd,
                .nsd_pidns_fd = s->pidns_fd, .seccomp = &s->seccomp, .nofile = fdcloser_original_nofile(), .sandbox = { .cfg = s->cfg },
                .cgroup = CGROUP_LAUNCH_NONE,
        };
}

/* Keep a spare ready for the next launch that wants a PID namespace. */
static void spare_refill(struct server *s) {
        if (!s->use_spare || s->spare.child.pid > 0 || now_ms() < s->spare_retry_ms)
                return;
        /* A client's fd still in nsd's table would be inherited, and closed, by the spare. */
        if (fdcloser_pending())
                return;
        struct spawn_request base = server_base_request(s);
        int r = spare_start(&base, &s->spare);
        if (r == -ENOTRECOVERABLE)
                s->broken = true;
        if (r < 0) {
                server_log_refusal(s, "cannot prepare a spare launch (launches are made from scratch): %s", strerror(-r));
                s->spare_retry_ms = now_ms() + SPARE_RETRY_MS;
        }
}

static void handle_deadlines(struct server *s) {
        uint64_t now = now_ms();
        for (size_t i = 0; i < s->n_slots; i++) {
                struct client *c = &s->clients[i];
                if (!c->deadline_ms || c->deadline_ms > now)
                        continue;
                c->deadline_ms = 0;
                if (c->state == CLIENT_AWAIT_REQUEST) {
                        server_log_refusal(s, "dropped a client that sent no request within %d s", CLIENT_REQUEST_TIMEOUT_MS / 1000);
                        client_free(s, c);
                } else if (c->pid > 0) {
                        cgroup_launch_kill(&c->cg);
                        kill(-c->pid, SIGKILL);
                        kill(c->pid, SIGKILL);
                }
        }
}

static int poll_timeout(const struct server *s) {
        uint64_t now = now_ms(), next = s->listen_paused_until_ms > now ? s->listen_paused_until_ms : 0;
        for (size_t i = 0; i < s->n_slots; i++)
                if (s->clients[i].deadline_ms && (!next || s->clients[i].deadline_ms < next))
                        next = s->clients[i].deadline_ms;
        uint64_t due[] = { log_ratelimit_due(&s->log_refusals), log_ratelimit_due(&s->log_launches),
                           fdcloser_pending() ? now + CLOSER_POLL_MS : 0, s->n_dying ? now + CGROUP_RETRY_MS : 0 };
        for (size_t i = 0; i < ELEMENTSOF(due); i++)
                if (due[i] && (!next || due[i] < next))
                        next = due[i];
        /* No spare, and one is due: wake up to make it. */
        if (s->use_spare && s->spare.child.pid <= 0 && s->spare_retry_ms > now && (!next || s->spare_retry_ms < next))
                next = s->spare_retry_ms;
        if (!next)
                return -1;
        return next <= now ? 0 : (int) (next - now);
}

enum { SLOT_SIGNAL = -1, SLOT_LISTEN = -2, SLOT_SPARE = -3, SLOT_NET = -4 };
enum { SPARE_WATCHES = 3 };

static size_t watch_spare(const struct server *s, struct pollfd *pfd, int *slot_of, size_t n) {
        if (s->spare.child.pid <= 0)
                return n;
        const struct pollfd watches[SPARE_WATCHES] = {
                { .fd = s->spare.child.pidfd, .events = POLLIN },       /* it died */
                { .fd = s->spare.child.exec_pipe, .events = POLLIN },   /* its setup failed */
                { .fd = s->spare.mounts, .events = POLLPRI },           /* a mount since */
        };
        for (size_t i = 0; i < SPARE_WATCHES; i++) {
                pfd[n] = watches[i];
                slot_of[n++] = SLOT_SPARE;
        }
        return n;
}

static void handle_spare_event(struct server *s, int fd) {
        if (s->spare.child.pid <= 0)
                return;
        /* After a mount, at once, the next launch may be near (but a while later if mounts
         * keep coming); after a failure, only a while later. */
        uint64_t now = now_ms();
        bool stale = fd == s->spare.mounts;
        spare_discard(&s->spare);
        if (now - s->spare_stale_window_ms >= 1000) {
                s->spare_stale_window_ms = now;
                s->spare_stale_count = 0;
        }
        if (!stale)
                s->spare_retry_ms = now + SPARE_RETRY_MS;
        else if (++s->spare_stale_count > SPARE_STALE_PER_S)
                s->spare_retry_ms = now + SPARE_REFRESH_MS;
}

/* Returns 1 to stop (SIGTERM/SIGINT). */
static int handle_signal(struct server *s) {
        struct signalfd_siginfo si;
        if (read(s->sigfd, &si, sizeof si) != (ssize_t) sizeof si)
                return 0;
        if (si.ssi_signo == SIGHUP) {
                notify_send("RELOADING=1");
                log_info("SIGHUP: re-reading the DNS file and re-checking everything");
                for (size_t i = 0; i < N_NETS(s); i++)
                        if (nth_net(s, i))
                                (void) net_instance_reconcile(nth_net(s, i));
                /* What it made ahead may be stale now; a new one comes with the next round. */
                spare_discard(&s->spare);
                notify_send("READY=1");
                for (size_t i = 0; i < N_NETS(s); i++)
                        if (nth_net(s, i))
                                net_instance_idle(nth_net(s, i));
                return 0;
        }
        log_info("%s: stopping", strsignal((int) si.ssi_signo));
        return 1;
}

int server_run(struct server *s) {
        size_t cap = 2 + N_NETS(s) + SPARE_WATCHES + CLIENT_WATCHES * s->n_slots;
        _cleanup_free_ struct pollfd *pfd = calloc(cap, sizeof *pfd);
        _cleanup_free_ int *slot_of = calloc(cap, sizeof *slot_of);
        _cleanup_free_ int *kind_of = calloc(cap, sizeof *kind_of);
        if (!pfd || !slot_of || !kind_of)
                return -ENOMEM;
        for (;;) {
                if (s->broken)
                        return log_errno(LOG_ERR, -ENOTRECOVERABLE,
                                         "cannot put nsd's own PID namespace back after a fork; stopping");
                size_t n = 0;
                pfd[n] = (struct pollfd) { .fd = s->sigfd, .events = POLLIN };
                slot_of[n++] = SLOT_SIGNAL;
                /* Changes on the host (routes, links, nftables): the fence is repaired. */
                for (size_t i = 0; i < N_NETS(s); i++)
                        if (nth_net(s, i) && net_instance_event_fd(nth_net(s, i)) >= 0) {
                                pfd[n] = (struct pollfd) { .fd = net_instance_event_fd(nth_net(s, i)), .events = POLLIN };
                                kind_of[n] = (int) i;
                                slot_of[n++] = SLOT_NET;
                        }
                if (now_ms() >= s->listen_paused_until_ms) {
                        pfd[n] = (struct pollfd) { .fd = s->listen_fd, .events = POLLIN };
                        slot_of[n++] = SLOT_LISTEN;
                }
                for (size_t i = 0; i < s->n_slots; i++)
                        for (size_t k = 0; k < CLIENT_WATCHES; k++) {
                                int fd = client_watch_fd(&s->clients[i], k);
                                if (fd >= 0) {
                                        pfd[n] = (struct pollfd) { .fd = fd, .events = POLLIN };
                                        slot_of[n] = (int) i;
                                        kind_of[n++] = (int) k;
                                }
                        }
                /* A new spare only when nothing is waiting: its fork and mounts would
                 * otherwise compete with the launch just handed over. Then watch it while
                 * idle: gone stale (a mount) or dead, it is made again before it is needed. */
                int r = poll(pfd, n, 0);
                if (r == 0) {
                        spare_refill(s);
                        n = watch_spare(s, pfd, slot_of, n);
                        r = poll(pfd, n, poll_timeout(s));
                }
                if (r < 0 && errno != EINTR)
                        return log_errno(LOG_ERR, negative_errno(), "poll failed");
                for (size_t i = 0; r > 0 && i < n; i++) {
                        if (!pfd[i].revents)
                                continue;
                        if (slot_of[i] == SLOT_SIGNAL) {
                                if (handle_signal(s))
                                        return 0;
                                continue;
                        }
                        if (slot_of[i] == SLOT_LISTEN) {
                                client_accept(s);
                                continue;
                        }
                        if (slot_of[i] == SLOT_NET) {
                                struct net_instance *net = nth_net(s, (size_t) kind_of[i]);
                                if (net) {
                                        net_instance_handle_events(net);
                                        /* A repair's allocations go back too (the
                                         * bring-ups of the others are repairs here). */
                                        net_instance_idle(net);
                                }
                                continue;
                        }
                        if (slot_of[i] == SLOT_SPARE) {
                                handle_spare_event(s, pfd[i].fd);
                                continue;
                        }
                        client_handle(s, &s->clients[slot_of[i]], (size_t) kind_of[i], pfd[i].fd, pfd[i].revents);
                }
                handle_deadlines(s);
                server_log_flush(s);
                cgroups_reap(s);
                drop_idle_user_nets(s);
        }
}

void server_close(struct server *s) {
        if (!s->clients)
                return;
        bool any = false;
        for (size_t i = 0; i < s->n_slots; i++)
                if (s->clients[i].pid > 0 && s->clients[i].state != CLIENT_FREE) {
                        client_orphan(&s->clients[i]);
                        any = true;
                }
        /* Give them the grace period, then kill whatever is left, and reap. */
        for (uint64_t end = now_ms() + CLIENT_KILL_GRACE_MS; any && now_ms() < end; ) {
                any = false;
                for (size_t i = 0; i < s->n_slots; i++) {
                        struct client *c = &s->clients[i];
                        if (c->state == CLIENT_FREE)
                                continue;
                        siginfo_t info = { 0 };
                        /* WNOWAIT: kill the rest of its group while the pid is still held. */
                        if (waitid(P_PID, (id_t) c->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c->pid) {
                                cgroup_launch_kill(&c->cg);
                                kill(-c->pid, SIGKILL);
                                waitpid(c->pid, NULL, 0);
                                client_free(s, c);
                        } else
                                any = true;
                }
                if (any)
                        poll(NULL, 0, 50);
        }
        for (size_t i = 0; i < s->n_slots; i++) {
                struct client *c = &s->clients[i];
                if (c->state != CLIENT_FREE && c->pid > 0) {
                        cgroup_launch_kill(&c->cg);
                        kill(-c->pid, SIGKILL);
                        kill(c->pid, SIGKILL);
                        waitpid(c->pid, NULL, 0);
                }
                client_free(s, c);
        }
        for (size_t i = 0; i < SERVER_USER_NETS_MAX; i++)
                user_net_down(&s->user_nets[i]);
        server_free(s);
        unlink(s->cfg->daemon.socket);
}
