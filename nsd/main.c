/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clearnet-nsd: command line, signals and the main loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "access/policy.h"
#include "conf/config.h"
#include "net/instance.h"
#include "net/usernet.h"
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

/* Remove the namespaces (but those with keep_on_exit), last first; then free them. */
static int end_all(struct net_instance *nets, size_t count) {
        int first = 0;
        for (size_t i = count; i-- > 0; ) {
                struct net_instance *n = &nets[i];
                _cleanup_free_ char *err = NULL;
                int q = 0;
                if (n->ns->per_user)
                        ;       /* each user's: the server removed them */
                else if (n->ns->keep_on_exit)
                        log_info("keep_on_exit = yes: leaving namespace '%s' in place", n->ns->name);
                else if ((q = net_instance_teardown(n, &err)) < 0)
                        log_error("teardown of '%s' incomplete: %s", n->ns->name, err ? err : "unknown error");
                else
                        log_info("namespace '%s' removed", n->ns->name);
                first = first < 0 ? first : q;
                net_instance_done(n);
        }
        return first;
}

/* Every configured namespace, the clearnet one first; all or none. */
static int bring_up_all(const struct config *cfg, struct net_instance *nets, size_t count) {
        /* Per-user namespaces a killed run left: their programs are gone. */
        (void) user_net_remove_leftovers(cfg);
        for (size_t i = 0; i < count; i++) {
                net_instance_init(&nets[i], cfg, config_namespace(cfg, i));
                if (nets[i].ns->per_user)
                        continue;       /* made at a user's first launch */
                _cleanup_free_ char *err = NULL;
                int r = net_instance_bring_up(&nets[i], &err);
                if (r < 0) {
                        log_error("%s", err ? err : "cannot bring up the namespace");
                        /* This one undid itself; the earlier ones go too. */
                        net_instance_done(&nets[i]);
                        (void) end_all(nets, i);
                        return r;
                }
        }
        return 0;
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

        size_t count = config_n_namespaces(cfg);
        _cleanup_free_ struct net_instance *nets = calloc(count, sizeof *nets);
        if (!nets)
                return log_errno(LOG_ERR, -ENOMEM, "out of memory");
        r = bring_up_all(cfg, nets, count);
        if (r < 0)
                return r;
        struct server srv;
        r = server_open(&srv, cfg, nets, count, sigfd);
        if (r < 0) {
                (void) end_all(nets, count);
                return r;
        }
        /* Without it the NetworkManager hook's SIGHUPs never arrive: no start. */
        r = pidfile_write(cfg->daemon.state_dir, cfg->ns.name, getpid());
        if (r < 0) {
                log_errno(LOG_ERR, r, "cannot write the pid file %s/%s.pid", cfg->daemon.state_dir, cfg->ns.name);
                server_close(&srv);
                (void) end_all(nets, count);
                return r;
        }
        log_warning("note: nftables verdicts are not final across tables; if the host firewall's own "
                    "forward chain drops traffic, it also needs an accept rule for %s (see README)",
                    cfg->ns.host_veth);
        for (size_t i = 0; i < count; i++)
                if (!nets[i].ns->per_user)
                        log_info("ready: namespace '%s' (%s) at %s/%s, %s <-> %s", nets[i].ns->name, ns_kind_name(nets[i].ns->kind),
                         nets[i].ns->netns_dir, nets[i].ns->name, nets[i].ns->host_veth, nets[i].ns->ns_veth);
        notify_sendf("READY=1\nSTATUS=namespace %s is up%s\nMAINPID=%d", cfg->ns.name,
                     count > 1 ? " (and the others configured)" : "", (int) getpid());
        for (size_t i = 0; i < count; i++)
                net_instance_idle(&nets[i]);

        r = server_run(&srv);
        notify_send("STOPPING=1");
        server_close(&srv);
        int q = end_all(nets, count);
        if (cfg->ns.keep_on_exit)
                (void) pidfile_remove(cfg->daemon.state_dir, cfg->ns.name);
        return r < 0 ? r : q;
}

static int teardown(const struct config *cfg) {
        int r = 0;
        _cleanup_free_ char *err = NULL;
        /* The others first: the clearnet one's state goes last. */
        int q = user_net_remove_leftovers(cfg);
        if (q < 0)
                r = q;
        for (size_t i = config_n_namespaces(cfg); i-- > 0; ) {
                if (config_namespace(cfg, i)->per_user)
                        continue;
                struct net_instance n;
                net_instance_init(&n, cfg, config_namespace(cfg, i));
                _cleanup_free_ char *why = NULL;
                q = net_instance_teardown(&n, &why);
                net_instance_done(&n);
                if (q < 0 && r == 0) {
                        r = q;
                        err = TAKE_PTR(why);
                } else if (q < 0)
                        log_error("%s", why ? why : "teardown failed");
        }
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
        if (r == 0)
                r = access_resolve_root(&cfg, &err);
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
