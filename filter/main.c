/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clearnet-filter: the host's Tor-only firewall, compiled from filter.conf and loaded as
 * one nftables table in one transaction; fail-closed. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "log.h"
#include "namespaces.h"
#include "nft.h"
#include "policy.h"
#include "util.h"

enum mode { MODE_LOAD, MODE_CHECK, MODE_PRINT, MODE_TEARDOWN, MODE_LOCKDOWN };

static void usage(FILE *f) {
        fprintf(f,
                "Usage: clearnet-filter [--config FILE] [--check | --print | --teardown | --lockdown]\n"
                "Load the host's Tor-only firewall (table inet %s) from FILE, as one\n"
                "transaction. If FILE does not compile or the load fails, a table that drops\n"
                "everything but loopback is loaded instead and the exit status is 1.\n\n"
                "  -c, --config FILE  policy file (default %s)\n"
                "      --check        validate the policy (users, clearnet config) and exit\n"
                "      --print        write the nftables ruleset it would load, and exit\n"
                "      --teardown     remove the table (this opens the machine)\n"
                "      --lockdown     load the drop-all-but-loopback table\n"
                "  -h, --help         show this help\n"
                "  -V, --version      show the version\n",
                FILTER_TABLE, FILTER_DEFAULT_PATH);
}

static int parse_args(int argc, char **argv, const char **ret_config, enum mode *ret_mode) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check", no_argument, NULL, MODE_CHECK },
                { "print", no_argument, NULL, MODE_PRINT },
                { "teardown", no_argument, NULL, MODE_TEARDOWN },
                { "lockdown", no_argument, NULL, MODE_LOCKDOWN },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;
        while ((c = getopt_long(argc, argv, "c:hV", options, NULL)) >= 0) {
                switch (c) {
                case 'c': *ret_config = optarg; break;
                case MODE_CHECK:
                case MODE_PRINT:
                case MODE_TEARDOWN:
                case MODE_LOCKDOWN:
                        if (*ret_mode != MODE_LOAD) {
                                log_error("--check, --print, --teardown and --lockdown cannot be combined");
                                return -EINVAL;
                        }
                        *ret_mode = (enum mode) c;
                        break;
                case 'h': usage(stdout); return 0;
                case 'V': printf("clearnet-filter %s\n", CLEARNET_VERSION); return 0;
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

static int lookup_user(const char *name, uint32_t *ret_uid, void *userdata) {
        for (size_t size = 4096; size <= 1024 * 1024; size *= 4) {
                _cleanup_free_ char *buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                struct passwd pw, *res = NULL;
                int r = getpwnam_r(name, &pw, buf, size, &res);
                if (r == ERANGE)
                        continue;
                if (r == 0 && res) {
                        *ret_uid = (uint32_t) res->pw_uid;
                        return 0;
                }
                /* getpwnam_r(3): "not found" may come back as any of these. */
                if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM)
                        return -ENOENT;
                return -r;
        }
        return -ERANGE;
}

/* filter.conf -> ruleset text, and whether to set tcp_mtu_probing. On failure *ret_error
 * says why (one line). */
static int build(const char *path, char **ret_ruleset, bool *ret_mtu_probing, char **ret_error) {
        struct filter_config cfg;
        int r = filter_config_init(&cfg);
        if (r < 0)
                return r;
        _cleanup_free_ struct filter_ns *ns = NULL;
        size_t n_ns = 0;
        _cleanup_strv_free_ strv notes = NULL;
        r = filter_config_load(&cfg, path, ret_error);
        if (r >= 0)
                r = filter_namespaces_load(cfg.clearnet_config, &ns, &n_ns, ret_error);
        if (r >= 0) {
                struct filter_input in = { .cfg = &cfg, .ns = ns, .n_ns = n_ns, .lookup = lookup_user };
                r = filter_compile(&in, ret_ruleset, ret_error, &notes);
        }
        for (strv l = notes; l && *l; l++)
                log_notice("%s", *l);
        *ret_mtu_probing = cfg.mtu_probing;
        filter_config_free(&cfg);
        return r;
}

static int apply(const char *ruleset, char **ret_error) {
        _cleanup_nft_ struct nft *nft = NULL;
        int r = nft_open(&nft);
        if (r < 0) {
                if (asprintf(ret_error, "cannot open nftables: %s", strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        return nft_apply(nft, ruleset, ret_error);
}

/* The policy could not be loaded: close the machine, and say so loudly. */
static int lockdown(const char *why) {
        _cleanup_free_ char *err = NULL;
        if (why)
                log_error("%s", why);
        int r = apply(filter_lockdown_ruleset(), &err);
        if (r < 0) {
                log_error("CANNOT LOAD THE LOCKDOWN TABLE EITHER (%s): THIS MACHINE IS NOT FIREWALLED",
                          err ? err : strerror(-r));
                return r;
        }
        log_error("loaded the lockdown table (table inet %s): everything but loopback is dropped", FILTER_TABLE);
        return 0;
}

static int set_mtu_probing(void) {
        /* The seed's Packetization Layer PMTUD: ICMP "fragmentation needed" is dropped. */
        int r = write_int_file("/proc/sys/net/ipv4/tcp_mtu_probing", 1);
        if (r < 0)
                log_errno(LOG_WARNING, r, "cannot set net.ipv4.tcp_mtu_probing = 1");
        return r;
}

static int do_load(const char *path) {
        _cleanup_free_ char *ruleset = NULL, *err = NULL;
        bool mtu;
        int r = build(path, &ruleset, &mtu, &err);
        if (r < 0) {
                (void) lockdown(err ? err : strerror(-r));
                return r;
        }
        r = apply(ruleset, &err);
        if (r < 0) {
                _cleanup_free_ char *why = NULL;
                if (asprintf(&why, "cannot load the policy of %s: %s", path, err ? err : strerror(-r)) < 0)
                        why = NULL;
                (void) lockdown(why);
                return r;
        }
        if (mtu)
                (void) set_mtu_probing();
        log_info("loaded %s (table inet %s)", path, FILTER_TABLE);
        return 0;
}

static int do_teardown(void) {
        _cleanup_nft_ struct nft *nft = NULL;
        _cleanup_free_ char *err = NULL;
        int r = nft_open(&nft);
        if (r >= 0)
                r = nft_delete_table(nft, FILTER_TABLE, &err);
        if (r < 0)
                return log_errno(LOG_ERR, r, "cannot remove table inet %s%s%s", FILTER_TABLE, err ? ": " : "",
                                 err ? err : "");
        log_warning("removed table inet %s: the host is no longer firewalled by clearnet-filter", FILTER_TABLE);
        return 0;
}

int main(int argc, char **argv) {
        log_setup("clearnet-filter");
        const char *path = FILTER_DEFAULT_PATH;
        enum mode mode = MODE_LOAD;
        int r = parse_args(argc, argv, &path, &mode);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        _cleanup_free_ char *ruleset = NULL, *err = NULL;
        bool mtu;
        switch (mode) {
        case MODE_CHECK:
        case MODE_PRINT:
                r = build(path, &ruleset, &mtu, &err);
                if (r < 0) {
                        /* Exactly "file:line: reason": scripts and tests read it. */
                        fprintf(stderr, "%s\n", err ? err : strerror(-r));
                        return 1;
                }
                if (mode == MODE_PRINT && fputs(ruleset, stdout) < 0)
                        return 1;
                return fflush(stdout) == 0 ? 0 : 1;
        case MODE_TEARDOWN:
                return do_teardown() < 0 ? 1 : 0;
        case MODE_LOCKDOWN:
                return lockdown(NULL) < 0 ? 1 : 0;
        case MODE_LOAD:
                break;
        }
        return do_load(path) < 0 ? 1 : 0;
}
