/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clearnet-nsd: command line, signals and the main loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "conf/config.h"
#include "net/instance.h"
#include "launch/creds.h"
#include "launch/syscall-filter.h"
#include "launch/view.h"
#include "server/server.h"
#include "log.h"
#include "server/notify.h"
#include "net/state.h"
#include "util.h"

enum mode { MODE_RUN, MODE_CHECK, MODE_TEARDOWN };

static void usage(FILE *f) {
        fprintf(f,
                "Usage: clearnet-nsd [--config FILE] [--check | --teardown]\n"
                "Keep the clearnet network namespace: a veth pair to the host, NAT out to the\n"
                "internet, no way back to the host, and its own DNS.\n\n"
                "  -c, --config FILE  configuration file (default %s)\n"
                "      --check        validate the configuration and exit\n"
                "      --teardown     remove what an earlier run left, then exit\n"
                "  -h, --help         show this help\n"
                "  -V, --version      show the version\n",
                CONFIG_DEFAULT_PATH);
}

static int parse_args(int argc, char **argv, const char **ret_config, enum mode *ret_mode) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check", no_argument, NULL, 'k' },
                { "teardown", no_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;
        while ((c = getopt_long(argc, argv, "c:hV", options, NULL)) >= 0) {
                switch (c) {
                case 'c': *ret_config = optarg; break;
                case 'k':
                case 't':
                        if (*ret_mode != MODE_RUN) {
                                log_error("--check and --teardown cannot be combined");
                                return -EINVAL;
                        }
                        *ret_mode = c == 'k' ? MODE_CHECK : MODE_TEARDOWN;
                        break;
                case 'h': usage(stdout); return 0;
                case 'V': printf("clearnet-nsd %s\n", CLEARNET_VERSION); return 0;
                default:
                        log_error("unknown option; see --help");
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument '%s'; see --help", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int run(const struct config *cfg) {
        /* Inherited SIGCHLD = SIG_IGN would reap launched programs behind our back. */
        signal(SIGCHLD, SIG_DFL);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        _cleanup_close_ int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sigfd < 0)
                return log_errno(LOG_ERR, negative_errno(), "signalfd failed");
        /* nsd never execs: what its bounding set holds could only ever serve a program it
         * starts (which empties it again anyway). Its own capabilities stay. */
        int r = creds_clear_bounding_set();
        if (r < 0)
                return log_errno(LOG_ERR, r, "cannot empty the capability bounding set");

        struct net_instance n;
        net_instance_init(&n, cfg);
        _cleanup_free_ char *err = NULL;
        r = net_instance_bring_up(&n, &err);
        if (r < 0) {
                log_error("%s", err ? err : "cannot bring up the namespace");
                net_instance_done(&n);
                return r;
        }
        struct server srv;
        r = server_open(&srv, cfg, &n, sigfd);
        if (r < 0) {
                _cleanup_free_ char *ignored = NULL;
                if (!cfg->ns.keep_on_exit)
                        (void) net_instance_teardown(&n, &ignored);
                net_instance_done(&n);
                return r;
        }
        /* Without it the NetworkManager hook's SIGHUPs never arrive: no start. */
        r = pidfile_write(cfg->daemon.state_dir, cfg->ns.name, getpid());
        if (r < 0) {
                log_errno(LOG_ERR, r, "cannot write the pid file %s/%s.pid", cfg->daemon.state_dir, cfg->ns.name);
                server_close(&srv);
                _cleanup_free_ char *ignored = NULL;
                if (!cfg->ns.keep_on_exit)
                        (void) net_instance_teardown(&n, &ignored);
                net_instance_done(&n);
                return r;
        }
        log_warning("note: nftables verdicts are not final across tables; if the host firewall's own "
                    "forward chain drops traffic, it also needs an accept rule for %s (see README)",
                    cfg->ns.host_veth);
        log_info("ready: namespace '%s' at %s/%s, %s <-> %s", cfg->ns.name, cfg->ns.netns_dir, cfg->ns.name,
                 cfg->ns.host_veth, cfg->ns.ns_veth);
        notify_sendf("READY=1\nSTATUS=namespace %s is up\nMAINPID=%d", cfg->ns.name, (int) getpid());
        net_instance_idle(&n);

        r = server_run(&srv);
        notify_send("STOPPING=1");
        server_close(&srv);
        if (cfg->ns.keep_on_exit) {
                log_info("keep_on_exit = yes: leaving namespace '%s' in place", cfg->ns.name);
                (void) pidfile_remove(cfg->daemon.state_dir, cfg->ns.name);
        } else {
                free(err);
                err = NULL;
                int q = net_instance_teardown(&n, &err);
                if (q < 0) {
                        log_error("teardown incomplete: %s", err ? err : "unknown error");
                        r = r < 0 ? r : q;
                } else
                        log_info("namespace '%s' removed", cfg->ns.name);
        }
        net_instance_done(&n);
        return r;
}

static int teardown(const struct config *cfg) {
        struct net_instance n;
        net_instance_init(&n, cfg);
        _cleanup_free_ char *err = NULL;
        int r = net_instance_teardown(&n, &err);
        net_instance_done(&n);
        /* The launcher socket a killed run left (only if it is a socket). */
        struct stat st;
        if (lstat(cfg->daemon.socket, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(cfg->daemon.socket);
        if (r < 0)
                log_error("%s", err ? err : "teardown failed");
        else
                log_info("removed namespace '%s' and everything clearnet-nsd made for it", cfg->ns.name);
        return r;
}

int main(int argc, char **argv) {
        log_setup("clearnet-nsd");
        const char *path = CONFIG_DEFAULT_PATH;
        enum mode mode = MODE_RUN;
        int r = parse_args(argc, argv, &path, &mode);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        struct config cfg;
        if (config_init(&cfg) < 0) {
                log_error("out of memory");
                return 1;
        }
        _cleanup_free_ char *err = NULL;
        r = config_load(&cfg, path, &err);
        if (r < 0) {
                /* Exactly "file:line: reason": scripts and tests read it. */
                fprintf(stderr, "%s\n", err ? err : "cannot load the configuration");
                config_free(&cfg);
                return 1;
        }
        switch (mode) {
        case MODE_CHECK:
                r = 0;
                break;
        case MODE_TEARDOWN:
                r = teardown(&cfg);
                break;
        case MODE_RUN:
                r = run(&cfg);
                break;
        }
        config_free(&cfg);
        return r < 0 ? 1 : 0;
}
