/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "server/server.h"

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
#include "launch/sandbox.h"
#include "launch/spare.h"
#include "launch/spawn.h"
#include "server/timesync.h"
#include "util.h"

#define REFUSALS_PER_SECOND 10

/* One line per refusal, at most REFUSALS_PER_SECOND a second: a flood must not fill the
 * journal, and must not go unnoticed either. */
static void log_refusal(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_refusal(struct server *s, const char *fmt, ...) {
        uint64_t now = now_ms();
        if (now - s->log_window_ms >= 1000) {
                if (s->log_suppressed)
                        log_warning("%u more refusal(s) not logged", s->log_suppressed);
                s->log_window_ms = now;
                s->log_count = s->log_suppressed = 0;
        }
        if (++s->log_count > REFUSALS_PER_SECOND) {
                s->log_suppressed++;
                return;
        }
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_notice("%s", buf);
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

static const struct client CLIENT_EMPTY = { .fd = -1, .pidfd = -1, .pipe = -1, .status_pipe = -1, .out = -1 };

/* What server_open() got before it failed, or server_close() after the clients. */
static void server_free(struct server *s) {
        spare_discard(&s->spare);
        free(s->clients);
        s->clients = NULL;
        sandbox_seccomp_free(&s->seccomp);
        closep(&s->self_pidfd);
        closep(&s->pidns_fd);
        closep(&s->listen_fd);
}

int server_open(struct server *s, const struct config *cfg, struct net_instance *net, int sigfd) {
        *s = (struct server) { .cfg = cfg, .net = net, .sigfd = sigfd, .listen_fd = -1, .self_pidfd = -1,
                               .pidns_fd = -1, .spare = SPARE_NONE };
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
        const char *what = "build the seccomp filter for launched programs";
        r = sandbox_seccomp_compile(&s->seccomp);
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

/* What every launch of this daemon shares: enough for a spare, which has no request yet. */
static struct spawn_request base_request(const struct server *s) {
        return (struct spawn_request) {
                .netns_fd = s->net->netns_fd, .nsd_pid = getpid(), .nsd_pidfd = s->self_pidfd,
                .nsd_pidns_fd = s->pidns_fd, .seccomp = &s->seccomp, .nofile = fdcloser_original_nofile(), .sandbox = { .cfg = s->cfg },
        };
}

/* Keep a spare ready for the next launch that wants a PID namespace. */
static void spare_refill(struct server *s) {
        if (!s->use_spare || s->spare.child.pid > 0 || now_ms() < s->spare_retry_ms)
                return;
        /* A client's fd still in nsd's table would be inherited, and closed, by the spare. */
        if (fdcloser_pending())
                return;
        struct spawn_request base = base_request(s);
        int r = spare_start(&base, &s->spare);
        if (r == -ENOTRECOVERABLE)
                s->broken = true;
        if (r < 0) {
                log_refusal(s, "cannot prepare a spare launch (launches are made from scratch): %s", strerror(-r));
                s->spare_retry_ms = now_ms() + SPARE_RETRY_MS;
        }
}

static int spawn_client(struct server *s, const struct spawn_request *sr, struct client *c) {
        struct spawn_child child;
        int r = -EAGAIN;
        if (spare_suits(sr) && s->spare.child.pid > 0) {
                if (spare_fits(&s->spare, sr))
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

static void client_free(struct client *c) {
        fdcloser_close(&c->fd);
        closep(&c->pidfd);
        closep(&c->pipe);
        closep(&c->status_pipe);
        closep(&c->out);
        free(c->out_buf);
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
static void client_orphan(struct client *c) {
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

static int start_launch(struct server *s, struct client *c, const struct caller *who, const struct proto_request *req,
                        const struct app_config *app, const struct target *t, const int *fds, char *msg, size_t size) {
        struct spawn_request sr = base_request(s);
        sr.cwd = req->cwd;
        sr.stdio = fds;
        sr.sandbox = (struct sandbox) { .cfg = s->cfg, .app = app, .target = t, .caller_uid = who->uid };
        if (app)
                spawn_runtime_from_env(req, who->uid, &sr.sandbox);
        char **argv = NULL, **envp = NULL;
        int r = spawn_build_argv(app, req, &argv);
        if (r == 0)
                r = spawn_build_env(app, t, req, &sr.sandbox, &envp);
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
        snprintf(c->command, sizeof c->command, "%s", app ? app->exec[0] : req->argv[0]);
        c->state = CLIENT_STARTING;
        c->deadline_ms = 0;
        log_info("started pid %d for uid %u: %s%s%s (%s)", (int) c->pid, (unsigned) who->uid,
                 app ? "app " : "", app ? app->name : "", app ? "" : req->argv[0],
                 c->from_spare ? "made ahead" : "from scratch");
        return 0;
}

/* The portal check for a time sync: stdin and stderr /dev/null, stdout to nsd. */
static int start_time_sync(struct server *s, struct client *c, const struct caller *who,
                           const struct app_config *app, const struct target *t, char *msg, size_t size) {
        struct proto_request none = { .kind = PROTO_REQUEST_TIME_SYNC };
        struct spawn_request sr = base_request(s);
        sr.cwd = t->home;
        sr.sandbox = (struct sandbox) { .cfg = s->cfg, .app = app, .target = t, .caller_uid = who->uid };
        char **argv = NULL, **envp = NULL;
        int out[2] = { -1, -1 }, r;
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || pipe2(out, O_CLOEXEC) < 0)
                r = negative_errno();
        else if ((r = timesync_argv(s->cfg, app, &argv)) == 0 &&
                 (r = spawn_build_env(app, t, &none, &sr.sandbox, &envp)) == 0 &&
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
        snprintf(c->command, sizeof c->command, "%s", app->exec[0]);
        c->state = CLIENT_STARTING;
        /* The check bounds its own time; this is in case it does not. */
        c->deadline_ms = now_ms() + (s->cfg->portal.timeout + 5) * 1000ULL;
        log_info("time sync for uid %u: running app %s as pid %d", (unsigned) who->uid, app->name, (int) c->pid);
        return 0;
}

/* Collect the check's output, at most CHECK_OUTPUT_MAX bytes; more marks it invalid. */
static void handle_check_output(struct client *c) {
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
                        log_refusal(s, "refused a request: %s", msg);
                }
                client_free(c);
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
        if (code == 0 && req.kind == PROTO_REQUEST_STATUS) {
                reply_status(c, app, s);
                client_free(c);
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
                log_refusal(s, "refused uid %u (pid %d): %s", (unsigned) who.uid, (int) who.pid, msg);
                client_free(c);
        }
}

/* The exec status pipe: a struct spawn_failure, or EOF when exec worked. */
static void handle_exec_status(struct server *s, struct client *c) {
        struct spawn_failure f;
        ssize_t n = read(c->pipe, &f, sizeof f);
        if (n < 0 && errno == EAGAIN)
                return;
        closep(&c->pipe);
        if (n == (ssize_t) sizeof f) {
                f.what[sizeof f.what - 1] = '\0';
                enum proto_error code = PROTO_ERROR_INTERNAL;
                char msg[PROTO_ERROR_MESSAGE_MAX + 1];
                if (STREQ(f.what, "exec") && (f.error == ENOENT || f.error == ENOTDIR))
                        code = PROTO_ERROR_NOT_FOUND;
                else if (STREQ(f.what, "exec"))
                        code = PROTO_ERROR_NOT_EXECUTABLE;
                if (code == PROTO_ERROR_INTERNAL)
                        snprintf(msg, sizeof msg, "cannot %s: %s", f.what, strerror(f.error));
                else
                        snprintf(msg, sizeof msg, "%s: %s", c->command, strerror(f.error));
                if (c->fd >= 0)
                        send_error(c->fd, code, msg);
                log_refusal(s, "pid %d did not start: %s", (int) c->pid, msg);
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
                        handle_check_output(c);
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
static void handle_program_status(struct server *s, struct client *c) {
        if (c->state == CLIENT_STARTING && c->pipe >= 0)
                handle_exec_status(s, c);
        int status;
        ssize_t n = read(c->status_pipe, &status, sizeof status);
        if (n < 0 && errno == EAGAIN)
                return;
        closep(&c->status_pipe);
        if (n == (ssize_t) sizeof status && c->state == CLIENT_RUNNING)
                report_exit(s, c, status);
}

static void handle_exit(struct server *s, struct client *c) {
        if (c->state == CLIENT_STARTING && c->pipe >= 0)
                handle_exec_status(s, c);
        if (c->status_pipe >= 0)
                handle_program_status(s, c);
        /* Still a zombie, so its process group cannot have been reused: end what is left
         * of the tree, then reap. */
        kill(-c->pid, SIGKILL);
        int status;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == 0)
                return;
        /* Without a PID namespace, or an init killed before it could tell (the tree
         * kill): the process nsd forked tells. */
        if (r > 0 && c->state == CLIENT_RUNNING)
                report_exit(s, c, status);
        client_free(c);
}

static void handle_client_input(struct server *s, struct client *c, short revents) {
        if (c->state == CLIENT_AWAIT_REQUEST) {
                if (revents & POLLIN)
                        handle_request(s, c);
                else
                        client_free(c);
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
                log_refusal(s, "ignored a bad message from the launcher of pid %d: %s", (int) c->pid, strerror(-r));
        if (r == -ECONNRESET || (revents & (POLLHUP | POLLERR))) {
                log_info("launcher of pid %d is gone: ending its processes", (int) c->pid);
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

static void accept_client(struct server *s) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
                /* Out of fds: the listener stays readable, so look away for a moment
                 * rather than spin. */
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        s->listen_paused_until_ms = now_ms() + 100;
                return;
        }
        struct caller who = {};
        (void) caller_from_socket(fd, &who);
        struct client *slot = NULL;
        /* One user holding idle connections must not keep everyone else out. */
        unsigned idle_max = CLIENT_IDLE_PER_UID(s->cfg->daemon.max_clients);
        bool hogging = idle_connections(s, who.uid) >= idle_max;
        if (connected_clients(s) < s->cfg->daemon.max_clients && !hogging)
                for (size_t i = 0; i < s->n_slots && !slot; i++)
                        if (s->clients[i].state == CLIENT_FREE)
                                slot = &s->clients[i];
        if (!slot) {
                char msg[96];
                if (hogging)
                        snprintf(msg, sizeof msg, "busy: uid %u already has %u connections waiting", (unsigned) who.uid,
                                 idle_max);
                else
                        snprintf(msg, sizeof msg, "busy: already serving %u clients", s->cfg->daemon.max_clients);
                send_error(fd, PROTO_ERROR_BUSY, msg);
                close_after_reply(fd);
                log_refusal(s, "refused a connection: %s", msg);
                return;
        }
        *slot = CLIENT_EMPTY;
        slot->state = CLIENT_AWAIT_REQUEST;
        slot->fd = fd;
        slot->uid = who.uid;
        slot->deadline_ms = now_ms() + CLIENT_REQUEST_TIMEOUT_MS;
}

static void handle_deadlines(struct server *s) {
        uint64_t now = now_ms();
        for (size_t i = 0; i < s->n_slots; i++) {
                struct client *c = &s->clients[i];
                if (!c->deadline_ms || c->deadline_ms > now)
                        continue;
                c->deadline_ms = 0;
                if (c->state == CLIENT_AWAIT_REQUEST) {
                        log_refusal(s, "dropped a client that sent no request within %d s", CLIENT_REQUEST_TIMEOUT_MS / 1000);
                        client_free(c);
                } else if (c->pid > 0) {
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
        /* No spare, and one is due: wake up to make it. */
        if (s->use_spare && s->spare.child.pid <= 0 && s->spare_retry_ms > now && (!next || s->spare_retry_ms < next))
                next = s->spare_retry_ms;
        if (!next)
                return -1;
        return next <= now ? 0 : (int) (next - now);
}

enum { SLOT_SIGNAL = -1, SLOT_LISTEN = -2, SLOT_SPARE = -3 };
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
enum watch_kind { WATCH_CONN, WATCH_PIPE, WATCH_PIDFD, WATCH_OUT, WATCH_STATUS, WATCH_KINDS };

/* Returns 1 to stop (SIGTERM/SIGINT). */
static int handle_signal(struct server *s) {
        struct signalfd_siginfo si;
        if (read(s->sigfd, &si, sizeof si) != (ssize_t) sizeof si)
                return 0;
        if (si.ssi_signo == SIGHUP) {
                notify_send("RELOADING=1");
                log_info("SIGHUP: re-reading the DNS file and re-checking everything");
                (void) net_instance_reconcile(s->net);
                /* What it made ahead may be stale now; a new one comes with the next round. */
                spare_discard(&s->spare);
                notify_send("READY=1");
                net_instance_idle(s->net);
                return 0;
        }
        log_info("%s: stopping", strsignal((int) si.ssi_signo));
        return 1;
}

int server_run(struct server *s) {
        size_t cap = 2 + SPARE_WATCHES + WATCH_KINDS * s->n_slots;
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
                if (now_ms() >= s->listen_paused_until_ms) {
                        pfd[n] = (struct pollfd) { .fd = s->listen_fd, .events = POLLIN };
                        slot_of[n++] = SLOT_LISTEN;
                }
                for (size_t i = 0; i < s->n_slots; i++) {
                        const struct client *c = &s->clients[i];
                        const int fds[] = { c->fd, c->pipe, c->pidfd, c->out, c->status_pipe };
                        for (int k = 0; k < (int) ELEMENTSOF(fds); k++)
                                if (c->state != CLIENT_FREE && fds[k] >= 0) {
                                        pfd[n] = (struct pollfd) { .fd = fds[k], .events = POLLIN };
                                        slot_of[n] = (int) i;
                                        kind_of[n++] = k;
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
                                accept_client(s);
                                continue;
                        }
                        if (slot_of[i] == SLOT_SPARE) {
                                handle_spare_event(s, pfd[i].fd);
                                continue;
                        }
                        struct client *c = &s->clients[slot_of[i]];
                        /* An earlier event of this round may have changed or freed it. */
                        const int now_fd[] = { c->fd, c->pipe, c->pidfd, c->out, c->status_pipe };
                        int expect = now_fd[kind_of[i]];
                        if (c->state == CLIENT_FREE || expect != pfd[i].fd)
                                continue;
                        if (kind_of[i] == WATCH_CONN)
                                handle_client_input(s, c, pfd[i].revents);
                        else if (kind_of[i] == WATCH_PIPE)
                                handle_exec_status(s, c);
                        else if (kind_of[i] == WATCH_OUT)
                                handle_check_output(c);
                        else if (kind_of[i] == WATCH_STATUS)
                                handle_program_status(s, c);
                        else
                                handle_exit(s, c);
                }
                handle_deadlines(s);
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
                                kill(-c->pid, SIGKILL);
                                waitpid(c->pid, NULL, 0);
                                client_free(c);
                        } else
                                any = true;
                }
                if (any)
                        poll(NULL, 0, 50);
        }
        for (size_t i = 0; i < s->n_slots; i++) {
                struct client *c = &s->clients[i];
                if (c->state != CLIENT_FREE && c->pid > 0) {
                        kill(-c->pid, SIGKILL);
                        kill(c->pid, SIGKILL);
                        waitpid(c->pid, NULL, 0);
                }
                client_free(c);
        }
        server_free(s);
        unlink(s->cfg->daemon.socket);
}
