/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The server loop: the launcher socket, its clients and their launched processes, and the
 * daemon's signals, all in one poll(). */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/config.h"
#include "log.h"
#include "net/instance.h"
#include "launch/cgroup.h"
#include "net/usernet.h"
#include "launch/spare.h"
#include "access/usercache.h"

#define CLIENT_REQUEST_TIMEOUT_MS 5000   /* a client that sends nothing is dropped */
#define CLIENT_KILL_GRACE_MS 5000        /* SIGTERM, then SIGKILL after this */
#define SPARE_RETRY_MS 1000              /* a spare could not be made: launch from scratch a while */
#define SPARE_STALE_PER_S 20             /* spares thrown away for a mount, remade at once */
#define CLOSER_POLL_MS 20                /* fds wait for a closer thread: look again soon (no spare till then) */
#define CGROUP_RETRY_MS 100              /* a killed launch's cgroup: tried to remove again */
#define FD_REPORT_MS 1000                /* at most one line a second about closes that wait */
#define FD_REPORT_AGAIN_MS 60000         /* and again after a minute, if they still do */
#define SPARE_REFRESH_MS 100             /* beyond that in a second, the wait for the next */
/* Connections of one uid yet to send a request: a quarter of max_clients (16 at least, so
 * that a burst of one user's launches goes through). And when the slots run out, an idle
 * connection of the uid with the most of them is dropped to make room (client.c): no small
 * set of users holding idle connections can keep anyone out. */
#define CLIENT_IDLE_PER_UID(max_clients) ((max_clients) / 4 > 16 ? (max_clients) / 4 : 16)

#define SERVER_USER_NETS_MAX 64

enum client_state {
        CLIENT_FREE,
        CLIENT_AWAIT_REQUEST,
        CLIENT_STARTING,        /* forked; waiting to learn whether exec worked */
        CLIENT_RUNNING,
        CLIENT_ORPHAN,          /* the launcher is gone; its tree is being ended */
        CLIENT_REAPING,         /* the outcome was reported; waiting for the exit */
};

struct client {
        enum client_state state;
        int fd;                 /* connection, -1 once gone */
        int pidfd;
        int pipe;               /* exec status, while STARTING */
        int status_pipe;        /* the program's wait status from its PID namespace's init */
        pid_t pid;
        const struct app_config *app;
        struct net_instance *net;       /* the namespace it runs in */
        uid_t uid;              /* the peer's, from SO_PEERCRED at accept */
        uint64_t accepted;      /* order of accept: the oldest idle one is dropped first */
        char command[64];       /* argv[0], for messages */
        bool time_sync;         /* a time-sync check: its stdout comes to nsd */
        bool from_spare;        /* its first half was made ahead (spare.h) */
        int out;                /* that stdout */
        char *out_buf;
        size_t out_len;
        uint64_t deadline_ms;   /* request timeout, or when to SIGKILL; 0: none */
        struct cgroup_launch cg; /* its launch's cgroup: limits, and the kill of its tree */
};

struct server {
        const struct config *cfg;
        struct net_instance *net;       /* the clearnet namespace: nets[0] */
        struct net_instance *nets;      /* every namespace, the clearnet one first */
        size_t n_nets;
        /* Per-user namespaces, made at a user's first launch, gone after its last. */
        struct user_net *user_nets[SERVER_USER_NETS_MAX];
        int listen_fd;
        int sigfd;
        struct sock_fprog seccomp;      /* every launch's filter, compiled once */
        int self_pidfd;                 /* nsd's own: children check that nsd is alive */
        int pidns_fd;                   /* nsd's own PID namespace */
        struct spare spare;             /* the next launch, half made */
        struct user_cache users;        /* the users launches run as, looked up lately */
        bool use_spare;                 /* commands run in a PID namespace ([run]) */
        uint64_t spare_retry_ms;        /* after a failed spare, when to try again */
        uint64_t spare_stale_window_ms; /* the second in which spare_stale_count counts */
        unsigned spare_stale_count;
        bool broken;                    /* nsd can fork no more: stop */
        struct cgroup_base cgroups;     /* where launches get their cgroups (none: limits = no) */
        char (*dying)[32];              /* launch cgroups killed, whose processes are on their way out */
        size_t n_dying;
        struct client *clients;
        size_t n_slots;
        uint64_t accept_count;
        uint64_t listen_paused_until_ms;  /* out of fds: accept nothing for a moment */
        struct log_ratelimit log_refusals, log_launches;
        uint64_t fd_report_ms;  /* the last line about closes that wait */
        unsigned fd_blocked_reported;
};

int server_open(struct server *s, const struct config *cfg, struct net_instance *nets, size_t n_nets, int sigfd);
/* The instance keeping the namespace an app of uid's runs in (a command: the clearnet
 * one); a per-user one is made when uid has none yet. NULL with a reason when it cannot be. */
struct net_instance *server_net_for(struct server *s, const struct app_config *app, uid_t uid, char **ret_error);
/* Serve until SIGTERM or SIGINT; SIGHUP repairs the namespace. */
int server_run(struct server *s);
/* End every launched tree (SIGTERM, then SIGKILL), close everything, remove the socket. */
void server_close(struct server *s);
