/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clearnet-run: ask clearnet-nsd to run a command or a named app in the clearnet
 * namespace. An ordinary program: no setuid, no capabilities. The daemon decides from
 * the kernel's word on who we are. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clearnet/protocol.h"
#include "util.h"

extern char **environ;

static void usage(FILE *f) {
        fprintf(f,
                "Usage: clearnet-run [--socket PATH] --app NAME [ARG...]\n"
                "       clearnet-run [--socket PATH] -- COMMAND [ARG...]\n"
                "       clearnet-run [--socket PATH] --status [NAME]\n"
                "       clearnet-run [--socket PATH] --time-sync\n"
                "Run a command or an app outside Tor, in the clearnet network namespace.\n\n"
                "  -a, --app NAME     start the app NAME of the policy (extra ARGs only if it allows)\n"
                "      --status NAME  print whether app NAME is enabled and how many instances run\n"
                "      --status       list the namespaces, their kind, exposed ports and programs\n"
                "      --time-sync    have clearnet-nsd run the portal check and set the clock from it\n"
                "  -s, --socket PATH  clearnet-nsd's socket (default $CLEARNET_SOCKET or %s)\n"
                "  -h, --help         show this help\n"
                "  -V, --version      show the version\n\n"
                "Exit status: the command's own; 128+N if it was killed by signal N; 125 if\n"
                "clearnet-run or clearnet-nsd failed or refused; 126 not executable; 127 not found.\n",
                PROTO_SOCKET_DEFAULT);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("clearnet-run: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return PROTO_EXIT_STATUS_FAILURE;
}

static int connect_daemon(const char *path, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return negative_errno();
        *ret = TAKE_FD(fd);
        return 0;
}

/* One line a namespace, then one a program (the caller's own; root sees everyone's):
 *   namespace tbb kind=tor-ports expose=9050,951 running=1
 *   program tbb pid=4242 uid=1000 tor-browser */
static void print_namespaces(const struct proto_reply *reply) {
        for (uint32_t i = 0; i < reply->namespaces.n; i++) {
                const typeof(reply->namespaces.ns[0]) *ns = &reply->namespaces.ns[i];
                printf("namespace %s kind=%s expose=", ns->name, ns->kind == PROTO_NS_TOR_PORTS ? "tor-ports" : "internet");
                for (uint32_t k = 0; k < ns->nports; k++)
                        printf("%s%u", k ? "," : "", (unsigned) ns->ports[k]);
                printf("%s running=%u\n", ns->nports ? "" : "-", ns->running);
        }
        for (uint32_t i = 0; i < reply->namespaces.m; i++) {
                const typeof(reply->namespaces.programs[0]) *p = &reply->namespaces.programs[i];
                printf("program %s pid=%d uid=%u %s\n", reply->namespaces.ns[p->ns].name, (int) p->pid, (unsigned) p->uid,
                       p->what);
        }
}

/* Wait for the replies, forwarding our signals; returns the exit status. */
static int relay(int sock, int sigfd) {
        bool started = false;
        for (;;) {
                struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return fail("poll: %s", strerror(errno));
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sigfd, &si, sizeof si) == (ssize_t) sizeof si)
                                (void) proto_send_signal(sock, (int) si.ssi_signo);
                }
                if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                struct proto_reply reply;
                int r = proto_recv_reply(sock, &reply);
                if (r == -ECONNRESET)
                        return fail("connection to clearnet-nsd lost%s", started ? " (the command was ended)" : "");
                if (r < 0)
                        return fail("bad reply from clearnet-nsd: %s", strerror(-r));
                switch (reply.type) {
                case PROTO_MSG_STARTED:
                        started = true;
                        break;
                case PROTO_MSG_EXITED:
                        return proto_exit_status(&reply.exited);
                case PROTO_MSG_ERROR:
                        fail("%s", reply.error.message);
                        return proto_error_exit_status(reply.error.code);
                case PROTO_MSG_TIME: {
                        printf("%s", proto_time_outcome_name(reply.time.outcome));
                        if (reply.time.outcome == PROTO_TIME_PORTAL)
                                printf(" %s", reply.time.detail[0] ? reply.time.detail : "-");
                        if (reply.time.server_time)
                                printf(" server_time=%llu offset=%lld clock_set=%s",
                                       (unsigned long long) reply.time.server_time, (long long) reply.time.offset,
                                       reply.time.clock_set ? "yes" : "no");
                        putchar('\n');
                        /* The same statuses as clearnet-portal-check's. */
                        return (int) reply.time.outcome - 1;
                }
                case PROTO_MSG_STATUS:
                        printf("enabled=%s running=%u limit=%u dns_servers=%u online=%s\n",
                               reply.status.enabled ? "yes" : "no", reply.status.running, reply.status.limit,
                               reply.status.dns_servers, reply.status.online ? "yes" : "no");
                        return 0;
                default:
                        return fail("unexpected reply from clearnet-nsd");
                }
        }
}

static int request_namespaces(const char *socket_path) {
        struct proto_request req = { .kind = PROTO_REQUEST_NAMESPACES, .app = "", .cwd = "" };
        _cleanup_close_ int sock = -1;
        int r = connect_daemon(socket_path, &sock);
        if (r < 0)
                return fail("cannot reach clearnet-nsd at %s: %s", socket_path, strerror(-r));
        r = proto_send_request(sock, &req, NULL);
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                return fail("cannot send the request to clearnet-nsd: %s", strerror(-r));
        struct proto_reply reply;
        r = proto_recv_reply(sock, &reply);
        if (r < 0)
                return fail("bad reply from clearnet-nsd: %s", strerror(-r));
        if (reply.type == PROTO_MSG_ERROR) {
                fail("%s", reply.error.message);
                return proto_error_exit_status(reply.error.code);
        }
        if (reply.type != PROTO_MSG_NAMESPACES)
                return fail("unexpected reply from clearnet-nsd");
        print_namespaces(&reply);
        return 0;
}

/* "--status" alone, last, after nothing but --socket PATH: list the namespaces. */
static bool wants_namespace_list(int argc, char **argv) {
        if (argc < 2 || !STREQ(argv[argc - 1], "--status"))
                return false;
        for (int i = 1; i < argc - 1; i++) {
                if (strncmp(argv[i], "--socket=", 9) == 0)
                        continue;
                if ((!STREQ(argv[i], "--socket") && !STREQ(argv[i], "-s")) || i + 1 >= argc - 1)
                        return false;
                i++;
        }
        return true;
}

int main(int argc, char **argv) {
        /* fds 0-2 must be open before anything else opens an fd, or that fd would become
         * the command's stdin (the signalfd, say). */
        for (int i = 0; i < 3; i++)
                if (fcntl(i, F_GETFD) < 0 && open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY) != i)
                        return PROTO_EXIT_STATUS_FAILURE;
        static const struct option options[] = {
                { "app", required_argument, NULL, 'a' },
                { "status", required_argument, NULL, 'S' },
                { "time-sync", no_argument, NULL, 'T' },
                { "socket", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        bool list = wants_namespace_list(argc, argv);
        if (list)
                argc--;
        const char *socket_path = getenv("CLEARNET_SOCKET");
        const char *app = NULL, *status_app = NULL;
        bool time_sync = false;
        int c;
        /* '+': stop at the first non-option, so a command's own options stay its own. */
        while ((c = getopt_long(argc, argv, "+a:s:hV", options, NULL)) >= 0) {
                switch (c) {
                case 'a': app = optarg; break;
                case 'S': status_app = optarg; break;
                case 'T': time_sync = true; break;
                case 's': socket_path = optarg; break;
                case 'h': usage(stdout); return 0;
                case 'V': printf("clearnet-run %s\n", CLEARNET_VERSION); return 0;
                default: usage(stderr); return PROTO_EXIT_STATUS_FAILURE;
                }
                if (app || status_app)
                        break; /* the rest are the app's arguments */
        }
        if (app && optind < argc && STREQ(argv[optind], "--"))
                optind++;
        if (!socket_path || !*socket_path)
                socket_path = PROTO_SOCKET_DEFAULT;
        if (list) {
                if (optind < argc)
                        return fail("--status takes no further arguments");
                return request_namespaces(socket_path);
        }
        if ((app != NULL) + (status_app != NULL) + time_sync > 1)
                return fail("--app, --status and --time-sync cannot be combined");
        if (time_sync) {
                if (optind < argc)
                        return fail("--time-sync takes no further arguments");
                status_app = NULL;
        }
        bool dashdash = optind > 1 && STREQ(argv[optind - 1], "--");
        if (!app && !status_app && !time_sync && (optind >= argc || !dashdash))
                return fail("nothing to run: give --app NAME or -- COMMAND (see --help)");
        const char *name = app ? app : status_app;
        if (name && !proto_app_name_is_valid(name))
                return fail("invalid app name '%s'", name);
        if (status_app && optind < argc)
                return fail("--status takes no further arguments");

        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
                strcpy(cwd, "/");
        size_t envc = 0;
        char *env[PROTO_ENV_MAX];
        for (char **e = environ; *e && envc < PROTO_ENV_MAX; e++)
                if (proto_env_is_sent(*e) && strlen(*e) <= PROTO_ENV_ENTRY_MAX)
                        env[envc++] = *e;

        bool no_stdio = status_app || time_sync;
        struct proto_request req = {
                .kind = time_sync ? PROTO_REQUEST_TIME_SYNC : status_app ? PROTO_REQUEST_STATUS
                        : app ? PROTO_REQUEST_APP : PROTO_REQUEST_COMMAND,
                .app = name ? name : "",
                .argc = no_stdio ? 0 : (size_t) (argc - optind),
                .argv = no_stdio ? NULL : argv + optind,
                .envc = no_stdio ? 0 : envc,
                .env = no_stdio ? NULL : env,
                .cwd = no_stdio ? "" : cwd,
        };

        /* Signals are forwarded, not acted on, from before the request goes out. */
        sigset_t mask;
        sigemptyset(&mask);
        for (size_t i = 0; i < proto_n_forwarded_signals; i++)
                sigaddset(&mask, proto_forwarded_signals[i]);
        sigaddset(&mask, SIGPIPE);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sigdelset(&mask, SIGPIPE);
        _cleanup_close_ int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sigfd < 0)
                return fail("signalfd: %s", strerror(errno));

        _cleanup_close_ int sock = -1;
        int r = connect_daemon(socket_path, &sock);
        if (r < 0)
                return fail("cannot reach clearnet-nsd at %s: %s", socket_path, strerror(-r));
        static const int fds[3] = { 0, 1, 2 };
        r = proto_send_request(sock, &req, no_stdio ? NULL : fds);
        if (r == -EPIPE || r == -ECONNRESET) {
                /* The daemon may have answered (busy) and closed before reading. */
                struct proto_reply reply;
                if (proto_recv_reply(sock, &reply) == 0 && reply.type == PROTO_MSG_ERROR) {
                        fail("%s", reply.error.message);
                        return proto_error_exit_status(reply.error.code);
                }
        }
        if (r == -E2BIG)
                return fail("request too large (at most %d arguments, %d bytes in all)", PROTO_ARGV_MAX, PROTO_ARGV_TOTAL_MAX);
        if (r < 0)
                return fail("cannot send the request to clearnet-nsd: %s", strerror(-r));
        return relay(sock, sigfd);
}
