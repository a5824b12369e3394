/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the config parser (nsd/conf/config.c over inih): arbitrary bytes as a config file.
 * Beyond "no crash, leak or sanitizer report" it checks what a caller relies on: a file
 * that loads gives a config that satisfies the contract (every string set, addresses in
 * one subnet, each app with an absolute exec and a non-root user, no app twice); a file
 * that does not load gives a one-line "fuzz.conf[:LINE]: reason" message; and loading the
 * same text twice gives the same answer (the parser keeps no state between calls). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clearnet/protocol.h"
#include "conf/config.h"
#include "fuzz.h"
#include "util.h"

/* abort() rather than assert(): it must also fire in builds with NDEBUG. */
#define FUZZ_CHECK(cond)              \
        do {                          \
                if (!(cond))          \
                        abort();      \
        } while (0)

#define NAME "fuzz.conf"

static void check_strv(strv l) {
        FUZZ_CHECK(l);
        for (; *l; l++)
                FUZZ_CHECK((*l)[0] != '\0' && !strpbrk(*l, " \t\n"));
}

static void check_path(const char *p) {
        FUZZ_CHECK(p && p[0] == '/' && strlen(p) <= 200 && !strpbrk(p, " \t\n\r"));
}

static void check_config(const struct config *cfg) {
        const struct namespace_config *ns = &cfg->ns;

        FUZZ_CHECK(ns->name && ns->name[0] && strlen(ns->name) <= 64 && !strchr(ns->name, '/'));
        FUZZ_CHECK(ns->host_veth && ifname_is_valid(ns->host_veth));
        FUZZ_CHECK(ns->ns_veth && ifname_is_valid(ns->ns_veth));
        FUZZ_CHECK(ns->nft_table && ns->nft_table[0] && strlen(ns->nft_table) <= 32);
        check_path(ns->netns_dir);
        check_path(ns->resolv_conf);
        check_path(ns->etc_netns_dir);
        check_path(cfg->daemon.socket);
        check_path(cfg->daemon.state_dir);
        FUZZ_CHECK(cfg->daemon.max_clients >= 1 && cfg->daemon.max_clients <= 1024);

        FUZZ_CHECK(ns->host_address.prefixlen >= 1 && ns->host_address.prefixlen <= 30);
        FUZZ_CHECK(ns->host_address.prefixlen == ns->ns_address.prefixlen);
        FUZZ_CHECK(ns->host_address.addr.s_addr != ns->ns_address.addr.s_addr);

        check_strv(cfg->run.users);
        check_strv(cfg->run.groups);

        FUZZ_CHECK(cfg->n_apps <= CONFIG_MAX_APPS);
        for (size_t i = 0; i < cfg->n_apps; i++) {
                const struct app_config *a = &cfg->apps[i];
                FUZZ_CHECK(a->name && proto_app_name_is_valid(a->name));
                FUZZ_CHECK(config_find_app(cfg, a->name) == a);   /* no app twice */
                check_strv(a->exec);
                FUZZ_CHECK(a->exec[0] && a->exec[0][0] == '/');
                FUZZ_CHECK(a->user && a->user[0] && strcmp(a->user, "root") != 0);
                check_strv(a->callers);
                check_strv(a->caller_groups);
                check_strv(a->env);
                for (strv e = a->env; *e; e++)
                        FUZZ_CHECK(strncmp(*e, "LD_", 3) != 0 && strcmp(*e, "PATH") != 0);
                FUZZ_CHECK(a->args == APP_ARGS_NONE || a->args == APP_ARGS_URL);
                FUZZ_CHECK(a->home == APP_HOME_TMPFS || a->home == APP_HOME_KEEP);
                FUZZ_CHECK(a->instances <= 1024);
                FUZZ_CHECK((a->sockets & ~(unsigned) (APP_SOCKET_WAYLAND | APP_SOCKET_PIPEWIRE |
                                                      APP_SOCKET_PULSE | APP_SOCKET_X11)) == 0);
        }
}

static void check_error(int r, const char *err) {
        FUZZ_CHECK(r < 0);
        if (!err) {
                FUZZ_CHECK(r == -ENOMEM);
                return;
        }
        FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
        FUZZ_CHECK(!strchr(err, '\n'));
        FUZZ_CHECK(strlen(err) > strlen(NAME ": "));
}

/* One load over the defaults; the result, the error and the number of apps. */
static int load_once(const char *text, size_t size, char **ret_err, size_t *ret_apps) {
        struct config cfg;
        char *err = NULL;

        if (config_init(&cfg) < 0)
                return -ENOMEM;
        int r = config_load_string(&cfg, NAME, text, size, &err);
        if (r == 0) {
                FUZZ_CHECK(!err);
                check_config(&cfg);
        } else
                check_error(r, err);
        *ret_apps = cfg.n_apps;
        config_free(&cfg);
        *ret_err = err;
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* config_load never hands the parser more than this. */
        if (size > CONFIG_MAX_SIZE)
                return 0;
        /* config_load_string wants the text NUL-terminated, as read_file_limited leaves it;
         * an exact-size heap copy, so that ASan sees any read past the terminator. */
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        if (size > 0)
                memcpy(text, data, size);
        text[size] = '\0';

        char *err1 = NULL, *err2 = NULL;
        size_t apps1 = 0, apps2 = 0;
        int r1 = load_once(text, size, &err1, &apps1);
        int r2 = load_once(text, size, &err2, &apps2);
        FUZZ_CHECK(r1 == r2);
        FUZZ_CHECK((!err1 && !err2) || (err1 && err2 && strcmp(err1, err2) == 0));
        if (r1 == 0)
                FUZZ_CHECK(apps1 == apps2);

        free(err1);
        free(err2);
        free(text);
        return 0;
}

/* ---- seeds: valid files of every shape, then malformed ones ---- */

/* Sized, so that a seed may hold a NUL byte. */
#define SEED(s) { s, sizeof(s) - 1 }
static const struct {
        const char *text;
        size_t len;
} seeds[] = {
        /* valid */
        SEED(""),
        SEED("# only a comment\n; and another\n\n"),
        SEED("[namespace]\n"
             "name = clearnet\n"
             "netns_dir = /run/netns\n"
             "host_veth = veth-clearnet\n"
             "ns_veth = veth0\n"
             "host_address = 10.200.1.17/30\n"
             "ns_address = 10.200.1.18/30\n"
             "nft_table = clearnet\n"
             "resolv_conf = /etc/resolv-over-clearnet.conf\n"
             "etc_netns_dir = /etc/netns\n"
             "keep_on_exit = no\n"
             "\n"
             "[daemon]\n"
             "socket = /run/clearnet/nsd.sock\n"
             "state_dir = /run/clearnet\n"
             "max_clients = 64\n"),
        SEED("[namespace]\n"
             "name = test-1           # inline comment\n"
             "host_address = 192.168.77.1/24\n"
             "ns_address = 192.168.77.2/24\n"
             "keep_on_exit = yes\n"),
        SEED("[run]\n"
             "users = root amnesia\n"
             "groups =\n"),
        SEED("[run]                       # clearnet-run -- COMMAND\n"
             "users = root\n"
             "groups = sudo netdev\n"
             "[app unsafe-browser]        # clearnet-run --app unsafe-browser\n"
             "exec = /usr/bin/firefox-esr --no-remote --new-instance   # fixed\n"
             "args = url\n"
             "user = amnesia\n"
             "callers = amnesia\n"
             "caller_groups = netdev\n"
             "enabled = no\n"
             "instances = 1\n"
             "home = tmpfs\n"
             "sockets = wayland pipewire pulse x11\n"
             "env = LANG LC_ALL TZ TERM\n"
             "pid_namespace = yes\n"),
        SEED("[app portal-check]\n"
             "exec = /usr/bin/true\n"
             "user = clearnet\n"
             "[app b]\n"
             "exec = /bin/sh -c exit\n"
             "user = _b.x-1\n"
             "home = keep\n"
             "instances = 0\n"
             "sockets =\n"
             "env =\n"
             "[daemon]\n"
             "max_clients = 1024\n"),
        SEED("  [namespace]  \n\tname=x\n  ns_veth : v0\n[daemon]\nstate_dir=/s\n"),
        SEED("[namespace tbb]\nkind = tor-ports\nexpose = 9050 951\nhost_veth = veth-tbb\n"
             "host_address = 10.200.1.1/30\nns_address = 10.200.1.2/30\n"
             "[namespace other]\nkind = internet\nhost_veth = veth-o\nns_veth = v1\nnft_table = t_o\n"
             "host_address = 10.200.2.1/30\nns_address = 10.200.2.2/30\nkeep_on_exit = no\nresolv_conf = /etc/r\n"
             "[app tor-browser]\nexec = /usr/bin/tor-browser\nuser = amnesia\nnamespace = tbb\n"),
        /* malformed */
        SEED("[namespace tbb]\nkind = tor-ports\nhost_veth = veth-clearnet\nhost_address = 10.200.1.17/29\n"
             "ns_address = 10.200.1.18/29\n"),
        SEED("[namespace a]\nexpose = 0 70000 9050 9050\n[namespace a]\n"),
        SEED("[app x]\nexec = /bin/true\nuser = a\nnamespace = nowhere\n"),
        SEED("[namespace]\nname = a/b\n"),
        SEED("[namespace]\nhost_address = 10.0.0.1/31\n"),
        SEED("[namespace]\nhost_address = 10.0.0.1/24\nns_address = 10.0.1.2/24\n"),
        SEED("[namespace]\nhost_address = 127.0.0.1/8\nns_address = 127.0.0.2/8\n"),
        SEED("[namespace]\nname = a\nname = b\n"),
        SEED("[namespace]\nnetns_dir = relative\n"),
        SEED("[namespace\nname = x\n"),
        SEED("[nope]\nkey = value\n"),
        SEED("key = outside\n"),
        SEED("[namespace]\njust a line\n"),
        SEED("[daemon]\nmax_clients = 0\n"),
        SEED("[daemon]\nmax_clients = 99999999999999999999\n"),
        SEED("[run]\nusers = root b@d\n"),
        SEED("[app x]\nexec = /bin/true\nuser = root\n"),
        SEED("[app x]\nexec = true\nuser = a\n"),
        SEED("[app x]\nuser = bob\n"),
        SEED("[app x]\nexec = /bin/true\nenv = LANG LD_PRELOAD PATH\nuser = a\n"),
        SEED("[app x]\nexec = /bin/true\nuser = a\n[app x]\nuser = b\n"),
        SEED("[app x]\nexec = /bin/true\nuser = a\n[run]\nusers = root\n[app x]\nuser = b\n"),
        SEED("[app .x]\nexec = /bin/true\n"),
        SEED("[app x]\nexec = /bin/true\nuser = a\nsockets = wayland ssh-agent\nhome = disk\n"),
        SEED("[run]\n[run]\n"),
        SEED("[namespace]\nname = x\0y\n"),
};

/* Generated: one app more than CONFIG_MAX_APPS, and a line one character too long. */
static int generated_seed(size_t i, uint8_t *buf, size_t size, size_t *ret_len) {
        size_t len = 0;
        int n;

        switch (i) {
        case 0:
                for (unsigned k = 0; k <= CONFIG_MAX_APPS; k++) {
                        n = snprintf((char *) buf + len, size - len, "[app a%u]\nexec = /bin/true %u\nuser = u%u\n", k, k, k);
                        if (n < 0 || (size_t) n >= size - len)
                                return -ENOSPC;
                        len += (size_t) n;
                }
                break;
        case 1:
                n = snprintf((char *) buf, size, "[daemon]\nsocket = /%0*d\n", CONFIG_MAX_LINE - (int) strlen("socket = /") + 1, 0);
                if (n < 0 || (size_t) n >= size)
                        return -ENOSPC;
                len = (size_t) n;
                break;
        default:
                return -ENOENT;
        }
        *ret_len = len;
        return 0;
}

int fuzz_seed(size_t i, uint8_t *buf, size_t size, size_t *ret_len) {
        if (i >= ELEMENTSOF(seeds))
                return generated_seed(i - ELEMENTSOF(seeds), buf, size, ret_len);
        if (seeds[i].len > size)
                return -ENOSPC;
        memcpy(buf, seeds[i].text, seeds[i].len);
        *ret_len = seeds[i].len;
        return 0;
}
