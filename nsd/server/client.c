/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One client of the launcher socket, from accept to the report of its program's exit:
 * the request, the policy's answer, the launch, the exec status, the exit. */
#include "server/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clearnet/protocol.h"
#include "access/policy.h"
#include "launch/spare.h"
#include "launch/request.h"
#include "launch/spawn.h"
#include "log.h"
#include "net/dns.h"
#include "net/link.h"
#include "server/clock.h"
#include "server/fdcloser.h"
#include "server/timesync.h"
#include "util.h"

static size_t connected_clients(const struct server *s) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_slots; i++)
                n += s->clients[i].fd >= 0;
        return n;
}

static unsigned running_instances(const struct server *s, const struct app_config *app) {
        unsigned n = 0;
        for (size_t i = 0; i < s->n_slots; i++)
                n += s->clients[i].state != CLIENT_FREE && s->clients[i].state != CLIENT_REAPING && s->clients[i].pid > 0 &&
                     s->clients[i].app == app;
        return n;
}

static int spawn_client(struct server *s, struct spawn_request *sr, struct client *c) {
        struct spawn_child child;
        const struct app_config *app = sr->sandbox.app;
        int r = cgroup_launch_new(&s->cgroups, app ? app->max_processes : s->cfg->run.max_processes,
                                  app ? app->max_memory : s->cfg->run.max_memory, &c->cg);
        if (r < 0)
                return r;
        sr->cgroup = c->cg;
        r = -EAGAIN;
        if (spare_suits(sr) && s->spare.child.pid > 0) {
                /* The spare has started nothing yet: moving it moves the whole launch. */
                if (spare_fits(&s->spare, sr) && (c->cg.fd < 0 || cgroup_launch_join(&c->cg, s->spare.child.pid) == 0))
                        r = spare_hand_over(&s->spare, sr, &child);
                else
                        spare_discard(&s->spare);       /* stale, or gone */
        }
        bool from_spare = r == 0;
        if (r < 0)
                r = spawn_start(sr, &child);
        if (r == -ENOTRECOVERABLE)
                s->broken = true;       /* server_run() stops: better restarted than useless */
        if (r < 0)
                return r;
        c->pid = child.pid;
        c->pidfd = child.pidfd;
        c->pipe = child.exec_pipe;
        c->status_pipe = child.status_pipe;
        c->from_spare = from_spare;
        return 0;
}

void client_free(struct server *s, struct client *c) {
        fdcloser_close(&c->fd);
        closep(&c->pidfd);
        closep(&c->pipe);
        closep(&c->status_pipe);
        closep(&c->out);
        free(c->out_buf);
        if (c->cg.fd >= 0) {
                cgroup_launch_kill(&c->cg);
                if (cgroup_launch_remove(&s->cgroups, &c->cg) == -EBUSY)
                        server_cgroup_dying(s, c->cg.name);
        }
        *c = CLIENT_EMPTY;
}

/* Close a connection whose last reply is sent. Closing with a request still unread would
 * reset it, and the client would see the reset, not the reply: read what is queued (and
 * close any fds it carried) first. */
static void close_after_reply(int fd) {
        shutdown(fd, SHUT_RD);
        for (int i = 0; i < 4; i++) {
                uint8_t junk[512];
                int fds[PROTO_REQUEST_FDS];
                size_t len, nfds = 0;
                int r = proto_recv(fd, junk, sizeof junk, &len, fds, PROTO_REQUEST_FDS, &nfds);
                for (size_t k = 0; r == 0 && k < nfds; k++)
                        fdcloser_close(&fds[k]);
                if (r < 0 && r != -EMSGSIZE && r != -EBADMSG)
                        break;
        }
        fdcloser_close(&fd);
}

static void send_error(int fd, enum proto_error code, const char *msg) {
        struct proto_reply reply;
        proto_reply_error(&reply, code, "%s", msg);
        (void) proto_send_reply(fd, &reply);
}

/* The launcher is gone, or nsd stops: ask the whole tree to end, and come back to kill it. */
void client_orphan(struct client *c) {
        fdcloser_close(&c->fd);
        closep(&c->pipe);
        if (c->pid > 0) {
                kill(-c->pid, SIGTERM);
                kill(c->pid, SIGTERM);
        }
        c->state = CLIENT_ORPHAN;
        c->deadline_ms = now_ms() + CLIENT_KILL_GRACE_MS;
}

static void reply_status(struct client *c, const struct app_config *app, const struct server *s) {
        struct proto_reply reply;
        proto_reply_status(&reply, app->enabled, running_instances(s, app), app->instances);
        /* What the Unsafe Browser's launcher checks before it starts: it never reads
         * root-owned state itself. */
        struct dns_config dns;
        _cleanup_free_ char *why = NULL;
        if (dns_load(s->cfg->ns.resolv_conf, &dns, &why) == 0) {
                reply.status.dns_servers = dns.servers;
                dns_config_done(&dns);
        }
        reply.status.online = link_has_default_route(s->net->host_sk) > 0;
        (void) proto_send_reply(c->fd, &reply);
}

static void describe_ns(const struct namespace_config *ns, struct proto_reply *reply) {
        typeof(reply->namespaces.ns[0]) *out = &reply->namespaces.ns[reply->namespaces.n++];
        snprintf(out->name, sizeof out->name, "%s", ns->name);
        out->kind = ns->kind == NS_KIND_TOR_PORTS ? PROTO_NS_TOR_PORTS : PROTO_NS_INTERNET;
        out->nports = ns->expose.n;
        memcpy(out->ports, ns->expose.port, sizeof out->ports);
}

/* The entry of the reply a program in net counts in: its own, or (another user's
 * per-user namespace) that of the section it was made from. */
static size_t entry_of(const struct server *s, const struct net_instance *net, const struct net_instance *const *shown,
                       size_t n) {
        for (size_t i = 0; i < n; i++)
                if (shown[i] == net)
                        return i;
        for (size_t i = 0; i < SERVER_USER_NETS_MAX; i++)
                if (s->user_nets[i] && &s->user_nets[i]->net == net)
                        for (size_t k = 0; k < s->n_nets; k++)
                                if (s->nets[k].ns == s->user_nets[i]->base)
                                        return k;
        return 0;
}

/* Which namespaces there are, and what runs in each: the configured ones and the caller's
 * own per-user ones (root: everyone's); the caller's programs by name (root: all), the
 * others' counted only. */
static void reply_namespaces(struct client *c, const struct caller *who, const struct server *s) {
        struct proto_reply reply = { .type = PROTO_MSG_NAMESPACES };
        const struct net_instance *shown[PROTO_NAMESPACES_MAX];
        for (size_t i = 0; i < s->n_nets && reply.namespaces.n < PROTO_NAMESPACES_MAX; i++) {
                shown[reply.namespaces.n] = &s->nets[i];
                describe_ns(s->nets[i].ns, &reply);
        }
        for (size_t i = 0; i < SERVER_USER_NETS_MAX && reply.namespaces.n < PROTO_NAMESPACES_MAX; i++) {
                const struct user_net *u = s->user_nets[i];
                if (!u || (who->uid != 0 && u->uid != who->uid))
                        continue;
                shown[reply.namespaces.n] = &u->net;
                describe_ns(&u->ns, &reply);
        }
        for (size_t i = 0; i < s->n_slots; i++) {
                const struct client *o = &s->clients[i];
                if ((o->state != CLIENT_STARTING && o->state != CLIENT_RUNNING && o->state != CLIENT_ORPHAN) || o->pid <= 0 ||
                    !o->net)
                        continue;
                size_t k = entry_of(s, o->net, shown, reply.namespaces.n);
                reply.namespaces.ns[k].running++;
                if ((who->uid != 0 && o->uid != who->uid) || reply.namespaces.m >= PROTO_PROGRAMS_MAX)
                        continue;
                typeof(reply.namespaces.programs[0]) *p = &reply.namespaces.programs[reply.namespaces.m++];
                *p = (typeof(*p)) { .ns = (uint32_t) k, .pid = o->pid, .uid = o->uid };
                snprintf(p->what, sizeof p->what, "%s", o->app ? o->app->name : o->command[0] ? o->command : "?");
                for (char *q = p->what; *q; q++)
                        if (*q < 0x20 || *q > 0x7e)
                                *q = '?';
        }
        (void) proto_send_reply(c->fd, &reply);
}

/* The namespace the launch goes to (made now for a per-user one), into sr; NULL with msg. */
static struct net_instance *launch_net(struct server *s, const struct app_config *app, uid_t uid, struct spawn_request *sr,
                                       char *msg, size_t size) {
        _cleanup_free_ char *why = NULL;
        struct net_instance *net = server_net_for(s, app, uid, &why);
        if (!net) {
                snprintf(msg, size, "cannot make the namespace: %s", why ? why : "unknown error");
                return NULL;
        }
        sr->netns_fd = net->netns_fd;
        return net;
}

static int start_launch(struct server *s, struct client *c, const struct caller *who, const struct proto_request *req,
                        const struct app_config *app, const struct target *t, const int *fds, char *msg, size_t size) {
        struct spawn_request sr = server_base_request(s);
        struct net_instance *net = launch_net(s, app, who->uid, &sr, msg, size);
        if (!net)
                return PROTO_ERROR_INTERNAL;
        sr.cwd = req->cwd;
        sr.stdio = fds;
        sr.sandbox = (struct sandbox) { .cfg = s->cfg, .app = app, .ns = net->ns, .target = t, .caller_uid = who->uid };
        if (app)
                request_runtime_from_env(req, who->uid, &sr.sandbox);
        char **argv = NULL, **envp = NULL;
        int r = request_build_argv(app, req, &argv);
        if (r == 0)
                r = request_build_env(app, t, req, &sr.sandbox, &envp);
        if (r == 0) {
                sr.argv = argv;
                sr.envp = envp;
                if (app)
                        sr.cwd = t->home;
                r = spawn_client(s, &sr, c);
        }
        strv_free(argv);
        strv_free(envp);
        if (r < 0) {
                snprintf(msg, size, "cannot start: %s", strerror(-r));
                return PROTO_ERROR_INTERNAL;
        }
        c->app = app;
        c->net = net;
        snprintf(c->command, sizeof c->command, "%s", app ? app->exec[0] : req->argv[0]);
        c->state = CLIENT_STARTING;
        c->deadline_ms = 0;
        server_log_launch(s, "started pid %d for uid %u: %s%s%s (%s)", (int) c->pid, (unsigned) who->uid,
                 app ? "app " : "", app ? app->name : "", app ? "" : req->argv[0],
                 c->from_spare ? "made ahead" : "from scratch");
        return 0;
}

/* The portal check for a time sync: stdin and stderr /dev/null, stdout to nsd. */
static int start_time_sync(struct server *s, struct client *c, const struct caller *who,
                           const struct app_config *app, const struct target *t, char *msg, size_t size) {
        struct proto_request none = { .kind = PROTO_REQUEST_TIME_SYNC };
        struct spawn_request sr = server_base_request(s);
        struct net_instance *net = launch_net(s, app, who->uid, &sr, msg, size);
        if (!net)
                return PROTO_ERROR_INTERNAL;
        sr.cwd = t->home;
        sr.sandbox = (struct sandbox) { .cfg = s->cfg, .app = app, .ns = net->ns, .target = t, .caller_uid = who->uid };
        char **argv = NULL, **envp = NULL;
        int out[2] = { -1, -1 }, r;
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || pipe2(out, O_CLOEXEC) < 0)
                r = negative_errno();
        else if ((r = timesync_argv(s->cfg, app, &argv)) == 0 &&
                 (r = request_build_env(app, t, &none, &sr.sandbox, &envp)) == 0 &&
                 !(c->out_buf = malloc(CHECK_OUTPUT_MAX + 1)))
                r = -ENOMEM;
        if (r == 0) {
                /* Not nsd's stderr: the check parses what a hostile portal sends, and must not
                 * be able to write the daemon's journal lines. */
                const int stdio[3] = { null, out[1], null };
                sr.stdio = stdio;
                sr.argv = argv;
                sr.envp = envp;
                r = spawn_client(s, &sr, c);
        }
        strv_free(argv);
        strv_free(envp);
        closep(&out[1]);
        if (r < 0) {
                closep(&out[0]);
                snprintf(msg, size, "cannot start the portal check: %s", strerror(-r));
                return PROTO_ERROR_INTERNAL;
        }
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        c->out = out[0];
        c->out_len = 0;
        c->time_sync = true;
        c->app = app;
        c->net = net;
        snprintf(c->command, sizeof c->command, "%s", app->exec[0]);
        c->state = CLIENT_STARTING;
        /* The check bounds its own time; this is in case it does not. */
        c->deadline_ms = now_ms() + (s->cfg->portal.timeout + 5) * 1000ULL;
        server_log_launch(s, "time sync for uid %u: running app %s as pid %d", (unsigned) who->uid, app->name, (int) c->pid);
        return 0;
}

/* Collect the check's output, at most CHECK_OUTPUT_MAX bytes; more marks it invalid. */
static void handle_check_output(struct server *s, struct client *c, short revents) {
        char junk[512];
        for (;;) {
                bool full = c->out_len >= CHECK_OUTPUT_MAX + 1;
                ssize_t n = full ? read(c->out, junk, sizeof junk)
                                 : read(c->out, c->out_buf + c->out_len, CHECK_OUTPUT_MAX + 1 - c->out_len);
                if (n > 0 && !full)
                        c->out_len += (size_t) n;
                if (n > 0)
                        continue;
                if (n == 0 || errno != EINTR) {
                        if (n == 0 || errno != EAGAIN)
                                closep(&c->out);
                        return;
                }
        }
}

static void handle_request(struct server *s, struct client *c) {
        struct proto_request req = {};
        int fds[PROTO_REQUEST_FDS] = { -1, -1, -1 };
        int r = proto_recv_request(c->fd, &req, fds);
        if (r == -EAGAIN)
                return;
        if (r < 0) {
                if (r != -ECONNRESET) {
                        char msg[128];
                        snprintf(msg, sizeof msg, "bad request: %s", strerror(-r));
                        send_error(c->fd, PROTO_ERROR_BAD_REQUEST, msg);
                        server_log_refusal(s, "refused a request: %s", msg);
                }
                client_free(s, c);
                return;
        }

        struct caller who = {};
        const struct app_config *app = NULL;
        struct target t;
        char msg[PROTO_ERROR_MESSAGE_MAX + 1];
        int code;
        if (caller_from_socket(c->fd, &who) < 0) {
                code = PROTO_ERROR_INTERNAL;
                snprintf(msg, sizeof msg, "cannot identify the caller");
        } else
                code = policy_decide(s->cfg, &s->users, &who, &req, &app, &t, msg, sizeof msg);
        if (code == 0 && req.kind == PROTO_REQUEST_NAMESPACES) {
                reply_namespaces(c, &who, s);
                client_free(s, c);
                proto_request_done(&req);
                return;
        }
        if (code == 0 && req.kind == PROTO_REQUEST_STATUS) {
                reply_status(c, app, s);
                client_free(s, c);
                proto_request_done(&req);
                return;
        }
        if (code == 0 && app && app->instances && running_instances(s, app) >= app->instances) {
                code = PROTO_ERROR_TOO_MANY_INSTANCES;
                snprintf(msg, sizeof msg, "app '%s' is already running (at most %u instance%s)", app->name,
                         app->instances, app->instances == 1 ? "" : "s");
        }
        if (code == 0 && req.kind == PROTO_REQUEST_TIME_SYNC)
                code = start_time_sync(s, c, &who, app, &t, msg, sizeof msg);
        else if (code == 0)
                code = start_launch(s, c, &who, &req, app, &t, fds, msg, sizeof msg);
        fdcloser_close_many(fds, PROTO_REQUEST_FDS);
        proto_request_done(&req);
        if (code != 0) {
                send_error(c->fd, code, msg);
                server_log_refusal(s, "refused uid %u (pid %d): %s", (unsigned) who.uid, (int) who.pid, msg);
                client_free(s, c);
        }
}

/* The exec status pipe: a struct spawn_failure, or EOF when exec worked. */
static void handle_exec_status(struct server *s, struct client *c, short revents) {
        struct spawn_failure f;
        ssize_t n = read(c->pipe, &f, sizeof f);
        if (n < 0 && errno == EAGAIN)
                return;
        closep(&c->pipe);
        if (n == (ssize_t) sizeof f) {
                enum proto_error code = PROTO_ERROR_INTERNAL;
                char msg[PROTO_ERROR_MESSAGE_MAX + 1];
                if (f.step == LAUNCH_STEP_EXEC)
                        code = f.error == ENOENT || f.error == ENOTDIR ? PROTO_ERROR_NOT_FOUND
                                                                      : PROTO_ERROR_NOT_EXECUTABLE;
                if (code == PROTO_ERROR_INTERNAL)
                        snprintf(msg, sizeof msg, "cannot %s: %s", launch_step_name(f.step), strerror(f.error));
                else
                        snprintf(msg, sizeof msg, "%s: %s", c->command, strerror(f.error));
                if (c->fd >= 0)
                        send_error(c->fd, code, msg);
                server_log_refusal(s, "pid %d did not start: %s", (int) c->pid, msg);
                fdcloser_close(&c->fd);
                c->state = CLIENT_REAPING;
                return;
        }
        struct proto_reply reply;
        proto_reply_started(&reply, c->pid);
        if (c->fd >= 0 && !c->time_sync)
                (void) proto_send_reply(c->fd, &reply);
        c->state = CLIENT_RUNNING;
}

/* The program ended with status: tell the launcher (or finish the time sync). Its
 * connection is done; the slot stays until the process nsd forked is reaped. */
static void report_exit(struct server *s, struct client *c, int status) {
        struct proto_reply reply;
        if (c->time_sync) {
                if (c->out >= 0)
                        handle_check_output(s, c, 0);
                timesync_finish(s->cfg, c->out_buf, c->out_len, status, &reply);
                if (c->fd >= 0)
                        (void) proto_send_reply(c->fd, &reply);
        } else if (c->fd >= 0 && proto_reply_exited(&reply, status) == 0)
                (void) proto_send_reply(c->fd, &reply);
        fdcloser_close(&c->fd);
        c->state = CLIENT_REAPING;
}

/* In a PID namespace: the program's status, from its init, which has ended everything
 * else in there first. The launcher need not wait for init's own exit (the namespaces'
 * teardown). */
static void handle_program_status(struct server *s, struct client *c, short revents) {
        if (c->state == CLIENT_STARTING && c->pipe >= 0)
                handle_exec_status(s, c, 0);
        int status;
        ssize_t n = read(c->status_pipe, &status, sizeof status);
        if (n < 0 && errno == EAGAIN)
                return;
        closep(&c->status_pipe);
        if (n == (ssize_t) sizeof status && c->state == CLIENT_RUNNING)
                report_exit(s, c, status);
}

static void handle_exit(struct server *s, struct client *c, short revents) {
        if (c->state == CLIENT_STARTING && c->pipe >= 0)
                handle_exec_status(s, c, 0);
        if (c->status_pipe >= 0)
                handle_program_status(s, c, 0);
        /* Still a zombie, so its process group cannot have been reused: end what is left
         * of the tree (all of its cgroup, wherever its processes went), then reap. */
        cgroup_launch_kill(&c->cg);
        kill(-c->pid, SIGKILL);
        int status;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == 0)
                return;
        /* Without a PID namespace, or an init killed before it could tell (the tree
         * kill): the process nsd forked tells. */
        if (r > 0 && c->state == CLIENT_RUNNING)
                report_exit(s, c, status);
        client_free(s, c);
}

static void handle_client_input(struct server *s, struct client *c, short revents) {
        if (c->state == CLIENT_AWAIT_REQUEST) {
                if (revents & POLLIN)
                        handle_request(s, c);
                else
                        client_free(s, c);
                return;
        }
        int signo;
        int r = proto_recv_signal(c->fd, &signo);
        if (r == -EAGAIN)
                return;
        if (r == 0) {
                kill(c->pid, signo);
                return;
        }
        if (r != -ECONNRESET)
                server_log_refusal(s, "ignored a bad message from the launcher of pid %d: %s", (int) c->pid, strerror(-r));
        if (r == -ECONNRESET || (revents & (POLLHUP | POLLERR))) {
                server_log_launch(s, "launcher of pid %d is gone: ending its processes", (int) c->pid);
                client_orphan(c);
        }
}

/* How many connections of uid have not sent their request yet. */
static unsigned idle_connections(const struct server *s, uid_t uid) {
        unsigned n = 0;
        for (size_t i = 0; i < s->n_slots; i++)
                n += s->clients[i].state == CLIENT_AWAIT_REQUEST && s->clients[i].uid == uid;
        return n;
}

/* All slots taken: the idle connection to drop is the oldest of the uid that has the most
 * of them (a caller whose request is on its way has one, a hog has many). */
static struct client *idle_to_drop(struct server *s) {
        struct client *pick = NULL;
        unsigned pick_n = 0;
        for (size_t i = 0; i < s->n_slots; i++) {
                struct client *c = &s->clients[i];
                if (c->state != CLIENT_AWAIT_REQUEST)
                        continue;
                unsigned n = idle_connections(s, c->uid);
                if (!pick || n > pick_n || (n == pick_n && c->accepted < pick->accepted)) {
                        pick = c;
                        pick_n = n;
                }
        }
        return pick;
}

static struct client *free_slot(struct server *s) {
        for (size_t i = 0; i < s->n_slots; i++)
                if (s->clients[i].state == CLIENT_FREE)
                        return &s->clients[i];
        return NULL;
}

static void refuse_connection(struct server *s, int fd, enum proto_error code, const char *msg) {
        send_error(fd, code, msg);
        close_after_reply(fd);
        server_log_refusal(s, "refused a connection: %s", msg);
}

void client_accept(struct server *s) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
                /* Out of fds: the listener stays readable, so look away for a moment
                 * rather than spin. */
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        s->listen_paused_until_ms = now_ms() + 100;
                return;
        }
        char msg[128];
        struct caller who = {};
        /* Before it takes a slot: a uid the policy offers nothing to has no use for one. */
        if (caller_from_socket(fd, &who) < 0 || !policy_may_use_anything(s->cfg, &who)) {
                snprintf(msg, sizeof msg, "not allowed: uid %u may use nothing clearnet-nsd offers", (unsigned) who.uid);
                refuse_connection(s, fd, PROTO_ERROR_NOT_ALLOWED, msg);
                return;
        }
        /* One user holding idle connections must not keep everyone else out. */
        unsigned idle_max = CLIENT_IDLE_PER_UID(s->cfg->daemon.max_clients);
        if (idle_connections(s, who.uid) >= idle_max) {
                snprintf(msg, sizeof msg, "busy: uid %u already has %u connections waiting", (unsigned) who.uid, idle_max);
                refuse_connection(s, fd, PROTO_ERROR_BUSY, msg);
                return;
        }
        /* Full: make room by dropping an idle connection, if there is one. */
        struct client *slot = connected_clients(s) < s->cfg->daemon.max_clients ? free_slot(s) : NULL;
        if (!slot) {
                struct client *idle = idle_to_drop(s);
                if (idle) {
                        server_log_refusal(s, "dropped an idle connection of uid %u to make room", (unsigned) idle->uid);
                        send_error(idle->fd, PROTO_ERROR_BUSY, "busy: dropped while idle to make room");
                        client_free(s, idle);
                        slot = free_slot(s);
                }
        }
        if (!slot) {
                snprintf(msg, sizeof msg, "busy: already serving %u clients", s->cfg->daemon.max_clients);
                refuse_connection(s, fd, PROTO_ERROR_BUSY, msg);
                return;
        }
        *slot = CLIENT_EMPTY;
        slot->state = CLIENT_AWAIT_REQUEST;
        slot->fd = fd;
        slot->uid = who.uid;
        slot->accepted = ++s->accept_count;
        slot->deadline_ms = now_ms() + CLIENT_REQUEST_TIMEOUT_MS;
}

/* Every fd of a client that the loop watches, and its handler: the one list of them. */
static const struct {
        size_t fd_offset;
        void (*handle)(struct server *s, struct client *c, short revents);
} client_watches[CLIENT_WATCHES] = {
        { offsetof(struct client, fd), handle_client_input },
        { offsetof(struct client, pipe), handle_exec_status },
        { offsetof(struct client, pidfd), handle_exit },
        { offsetof(struct client, out), handle_check_output },
        { offsetof(struct client, status_pipe), handle_program_status },
};

int client_watch_fd(const struct client *c, size_t k) {
        if (c->state == CLIENT_FREE || k >= CLIENT_WATCHES)
                return -1;
        int fd;
        memcpy(&fd, (const char *) c + client_watches[k].fd_offset, sizeof fd);
        return fd;
}

void client_handle(struct server *s, struct client *c, size_t k, int fd, short revents) {
        /* An earlier event of this round may have changed or freed it. */
        if (client_watch_fd(c, k) != fd || fd < 0)
                return;
        client_watches[k].handle(s, c, revents);
}
