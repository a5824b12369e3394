/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config parser: good files and every kind of malformed one, with its message. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/policy.h"
#include "conf/config.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* As nsd loads it: the file, then the user root's commands map to (access/). */
static int load(const char *text, struct config *cfg, char **err) {
        config_init(cfg);
        int r = config_load_string(cfg, "test.conf", text, strlen(text), err);
        if (r == 0 && !cfg->path && !(cfg->path = strdup("test.conf")))
                return -ENOMEM;
        return r < 0 ? r : access_resolve_root(cfg, err);
}

static void test_defaults(void) {
        struct config cfg;
        char *err = NULL;
        int r = load("", &cfg, &err);
        CHECK(r == 0, "empty file should be valid: %s", err ? err : "");
        CHECK(strcmp(cfg.ns.name, "clearnet") == 0, "default name");
        CHECK(strcmp(cfg.ns.netns_dir, "/run/netns") == 0, "default netns_dir");
        CHECK(strcmp(cfg.ns.host_veth, "veth-clearnet") == 0, "default host_veth");
        CHECK(strcmp(cfg.ns.ns_veth, "veth0") == 0, "default ns_veth");
        CHECK(cfg.ns.host_address.addr.s_addr == inet_addr("10.200.1.17") && cfg.ns.host_address.prefixlen == 30, "default host_address");
        CHECK(cfg.ns.ns_address.addr.s_addr == inet_addr("10.200.1.18") && cfg.ns.ns_address.prefixlen == 30, "default ns_address");
        CHECK(strcmp(cfg.ns.nft_table, "clearnet") == 0, "default nft_table");
        CHECK(strcmp(cfg.ns.resolv_conf, "/etc/resolv-over-clearnet.conf") == 0, "default resolv_conf");
        CHECK(!cfg.ns.keep_on_exit, "default keep_on_exit");
        CHECK(strcmp(cfg.daemon.socket, "/run/clearnet/nsd.sock") == 0, "default socket");
        free(err);
        config_free(&cfg);
}

static void test_full(void) {
        static const char text[] =
                "# a comment\n"
                "; another\n"
                "[namespace]\n"
                "name = test-1           # inline comment\n"
                "netns_dir = /tmp/x/netns\n"
                "host_veth = vh1\n"
                "ns_veth = vn1\n"
                "host_address = 192.168.77.1/24\n"
                "ns_address = 192.168.77.2/24\n"
                "nft_table = clearnet_t1\n"
                "resolv_conf = /tmp/x/resolv.conf\n"
                "etc_netns_dir = /tmp/x/etc\n"
                "keep_on_exit = yes\n"
                "\n"
                "[daemon]\n"
                "socket = /tmp/x/nsd.sock\n"
                "state_dir = /tmp/x/state\n";
        struct config cfg;
        char *err = NULL;
        int r = load(text, &cfg, &err);
        CHECK(r == 0, "full file should be valid: %s", err ? err : "");
        if (r == 0) {
                CHECK(strcmp(cfg.ns.name, "test-1") == 0, "name with inline comment: '%s'", cfg.ns.name);
                CHECK(strcmp(cfg.ns.host_veth, "vh1") == 0, "host_veth");
                CHECK(cfg.ns.ns_address.prefixlen == 24, "prefixlen");
                CHECK(cfg.ns.keep_on_exit, "keep_on_exit");
                CHECK(strcmp(cfg.daemon.state_dir, "/tmp/x/state") == 0, "state_dir");
                CHECK(strcmp(cfg.ns.etc_netns_dir, "/tmp/x/etc") == 0, "etc_netns_dir");
        }
        free(err);
        config_free(&cfg);
}

struct bad_case {
        const char *text;
        const char *expect; /* the exact message */
};

static void test_bad(void) {
        static const struct bad_case cases[] = {
                { "[namespace]\nbogus = 1\n", "test.conf:2: unknown key 'bogus' in [namespace]" },
                { "[nope]\nname = x\n", "test.conf:1: unknown section [nope]" },
                { "\n[empty]\n", "test.conf:2: unknown section [empty]" },
                { "name = x\n", "test.conf:1: key 'name' outside of any section" },
                { "[namespace]\nname = a\nname = b\n", "test.conf:3: duplicate key 'name' in [namespace]" },
                { "[namespace]\nname = a/b\n", "test.conf:2: invalid name 'a/b' (1-64 characters of A-Z a-z 0-9 . _ -)" },
                { "[namespace]\nname = ..\n", "test.conf:2: invalid name '..' (1-64 characters of A-Z a-z 0-9 . _ -)" },
                { "[namespace]\nname =\n", "test.conf:2: empty value for 'name'" },
                { "[namespace]\nhost_veth = a-very-long-interface\n", "test.conf:2: invalid interface name 'a-very-long-interface' (1-15 characters of A-Z a-z 0-9 . _ -, not 'lo')" },
                { "[namespace]\nns_veth = lo\n", "test.conf:2: invalid interface name 'lo' (1-15 characters of A-Z a-z 0-9 . _ -, not 'lo')" },
                { "[namespace]\nhost_address = 10.200.1.300/30\n", "test.conf:2: invalid IPv4 address '10.200.1.300/30' (expected ADDRESS/PREFIXLEN, e.g. 10.200.1.18/30)" },
                { "[namespace]\nhost_address = 10.200.1.17\n", "test.conf:2: invalid IPv4 address '10.200.1.17' (expected ADDRESS/PREFIXLEN, e.g. 10.200.1.18/30)" },
                { "[namespace]\nhost_address = 10.200.1.17/31\n", "test.conf:2: prefix length of '10.200.1.17/31' must be between 1 and 30" },
                { "[namespace]\nhost_address = 10.200.1.17/3x\n", "test.conf:2: invalid IPv4 address '10.200.1.17/3x' (expected ADDRESS/PREFIXLEN, e.g. 10.200.1.18/30)" },
                { "[namespace]\nns_address = 10.200.2.18/30\n", "test.conf:2: host_address and ns_address must be in the same subnet" },
                { "[namespace]\nns_address = 10.200.1.17/30\n", "test.conf:2: host_address and ns_address must differ" },
                { "[namespace]\nhost_address = 10.200.1.16/30\n", "test.conf:2: host_address and ns_address must not be the network or broadcast address" },
                { "[namespace]\nhost_address = 10.200.1.17/29\n", "test.conf:2: host_address and ns_address must have the same prefix length" },
                { "[namespace]\nhost_address = 127.0.0.1/30\nns_address = 127.0.0.2/30\n", "test.conf:3: addresses must be unicast and outside 127.0.0.0/8" },
                { "[namespace]\nnft_table = 9abc\n", "test.conf:2: invalid nftables table name '9abc' (a letter, then up to 31 of A-Z a-z 0-9 _)" },
                { "[namespace]\nnft_table = a-b\n", "test.conf:2: invalid nftables table name 'a-b' (a letter, then up to 31 of A-Z a-z 0-9 _)" },
                { "[namespace]\nresolv_conf = relative.conf\n", "test.conf:2: 'relative.conf' is not an absolute path" },
                { "[daemon]\nsocket = /run/a b\n", "test.conf:2: path '/run/a b' contains whitespace or control characters" },
                { "[namespace]\nkeep_on_exit = maybe\n", "test.conf:2: invalid boolean 'maybe' (expected yes or no)" },
                { "[namespace\nname = x\n", "test.conf:1: section header without ']'" },
                { "[namespace]\njust some words\n", "test.conf:2: syntax error (expected 'key = value' or '[section]')" },
                /* bind, bind_ro: absolute, existing, canonical, never / nor over a hidden place */
                { "[run]\nbind = /\n", "test.conf:2: path '/' is / (the view is built from nothing: name what a program needs)" },
                { "[run]\nbind_ro = usr\n", "test.conf:2: path 'usr' is not an absolute path" },
                { "[run]\nbind_ro = /usr/../etc\n", "test.conf:2: path '/usr/../etc' is not canonical (a '.' or '..' component, or a double or trailing slash)" },
                { "[run]\nbind_ro = /usr/\n", "test.conf:2: path '/usr/' is not canonical (a '.' or '..' component, or a double or trailing slash)" },
                { "[run]\nbind = /nonexistent-clearnet-path\n", "test.conf:2: path '/nonexistent-clearnet-path' does not exist" },
                { "[run]\nbind_ro = /proc/self\n", "test.conf:2: path '/proc/self' leads through a symlink (name the path it leads to)" },
                { "[run]\nusers = root\nbind = /run\n", "test.conf:3: bind path '/run' overlaps /run/clearnet, which a launch never sees or gets from the view itself" },
                { "[app a]\nexec = /bin/true\nuser = nobody\nbind_ro = /usr /dev\n", "test.conf:4: bind_ro path '/dev' overlaps /dev, which a launch never sees or gets from the view itself" },
                { "[run]\nroot_maps_to = root\n", "test.conf:2: root_maps_to must be an unprivileged user, not root" },
                { "[run]\nroot_maps_to = no-such-user-clearnet\n", "test.conf:2: root_maps_to: no user 'no-such-user-clearnet'" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct config cfg;
                char *err = NULL;
                int r = load(cases[i].text, &cfg, &err);
                CHECK(r < 0, "case %zu should fail: %s", i, cases[i].text);
                CHECK(err && strcmp(err, cases[i].expect) == 0, "case %zu message:\n  got:    %s\n  wanted: %s",
                      i, err ? err : "(none)", cases[i].expect);
                free(err);
                config_free(&cfg);
        }
}

static void test_view_keys(void) {
        static const char text[] = "[run]\nbind_ro = /usr /etc\nbind = /tmp\nroot_maps_to = nobody\n"
                                   "[app a]\nexec = /bin/true\nuser = nobody\nbind =\nbind_ro = /usr/share\n";
        struct config cfg;
        char *err = NULL;
        int r = load(text, &cfg, &err);
        CHECK(r == 0, "view keys: %s", err ? err : "?");
        if (r == 0) {
                CHECK(cfg.run.bind_ro && cfg.run.bind_ro[0] && strcmp(cfg.run.bind_ro[1], "/etc") == 0 && !cfg.run.bind_ro[2],
                      "[run] bind_ro");
                CHECK(cfg.run.bind && strcmp(cfg.run.bind[0], "/tmp") == 0, "[run] bind");
                CHECK(cfg.run.root_uid == 65534 && cfg.run.root_gid == 65534, "root_maps_to = nobody: %u", (unsigned) cfg.run.root_uid);
                CHECK(cfg.apps[0].bind && !cfg.apps[0].bind[0], "[app] empty bind");
                CHECK(cfg.apps[0].bind_ro && strcmp(cfg.apps[0].bind_ro[0], "/usr/share") == 0, "[app] bind_ro");
        }
        free(err);
        config_free(&cfg);
}

static void test_limits(void) {
        struct config cfg;
        char *err = NULL;
        char line[2048];
        snprintf(line, sizeof line, "[namespace]\nname = %01500d\n", 0);
        int r = load(line, &cfg, &err);
        CHECK(r < 0 && err && strcmp(err, "test.conf:2: line longer than 1024 characters") == 0,
              "overlong line: %s", err ? err : "(accepted)");
        free(err);
        config_free(&cfg);

        static const char nul[] = "[namespace]\nname = a\0b\n";
        config_init(&cfg);
        err = NULL;
        r = config_load_string(&cfg, "test.conf", nul, sizeof nul - 1, &err);
        CHECK(r < 0 && err && strcmp(err, "test.conf: file contains a NUL byte") == 0, "NUL byte: %s", err ? err : "(accepted)");
        free(err);
        config_free(&cfg);

        config_init(&cfg);
        err = NULL;
        r = config_load(&cfg, "/nonexistent/clearnet.conf", &err);
        CHECK(r == -ENOENT && err && strcmp(err, "/nonexistent/clearnet.conf: No such file or directory") == 0,
              "missing file: %s", err ? err : "(accepted)");
        free(err);
        config_free(&cfg);
}

static void test_policy(void) {
        static const char text[] =
                "[run]\n"
                "users = root tester\n"
                "groups =\n"
                "[app unsafe-browser]        # clearnet-run --app unsafe-browser\n"
                "exec = /usr/bin/firefox-esr --no-remote --new-instance   # fixed\n"
                "args = url\n"
                "user = amnesia\n"
                "callers = amnesia\n"
                "caller_groups = netdev\n"
                "enabled = no\n"
                "instances = 1\n"
                "home = tmpfs\n"
                "sockets = wayland pipewire pulse\n"
                "env = LANG LC_ALL TZ TERM\n"
                "max_processes = 2048\n"
                "max_memory = 2G\n"
                "[app portal-check]\n"
                "exec = /usr/bin/true\n"
                "user = clearnet\n";
        struct config cfg;
        char *err = NULL;
        int r = load(text, &cfg, &err);
        CHECK(r == 0, "policy file should be valid: %s", err ? err : "");
        if (r == 0) {
                CHECK(strv_contains(cfg.run.users, "tester") && strv_contains(cfg.run.users, "root"), "run users");
                CHECK(cfg.run.groups && !cfg.run.groups[0], "empty groups");
                CHECK(cfg.n_apps == 2, "two apps");
                const struct app_config *a = config_find_app(&cfg, "unsafe-browser");
                CHECK(a && strcmp(a->exec[0], "/usr/bin/firefox-esr") == 0 && strcmp(a->exec[2], "--new-instance") == 0 && !a->exec[3], "exec split");
                CHECK(a && a->args == APP_ARGS_URL && !a->enabled && a->instances == 1 && a->home == APP_HOME_TMPFS, "app fields");
                CHECK(a && a->sockets == (APP_SOCKET_WAYLAND | APP_SOCKET_PIPEWIRE | APP_SOCKET_PULSE), "sockets");
                CHECK(a && strv_contains(a->env, "TZ") && strv_contains(a->caller_groups, "netdev"), "env, groups");
                const struct app_config *b = config_find_app(&cfg, "portal-check");
                CHECK(b && b->enabled && b->instances == 1 && b->args == APP_ARGS_NONE && b->sockets == 0, "app defaults");
                CHECK(a && a->max_processes == 2048 && a->max_memory == 2ULL << 30, "app limits");
                CHECK(b && b->max_processes == 1024 && b->max_memory == 0, "app limits' defaults");
                CHECK(cfg.run.max_processes == 1024 && cfg.run.max_memory == 0 && cfg.daemon.limits && !cfg.daemon.cgroup &&
                      !cfg.daemon.cgroup_v1_pids && !cfg.daemon.cgroup_v1_memory, "[run] limits' and [daemon] cgroup defaults");
                CHECK(!config_find_app(&cfg, "nope"), "unknown app");
                CHECK(!cfg.portal.on_online, "on_online: none by default");
        }
        free(err);
        config_free(&cfg);

        /* The cgroup v1 base of a hybrid host. */
        err = NULL;
        r = load("[daemon]\ncgroup_v1_pids = /sys/fs/cgroup/pids/c\ncgroup_v1_memory = /sys/fs/cgroup/memory/c\n", &cfg, &err);
        CHECK(r == 0 && cfg.daemon.cgroup_v1_pids && strcmp(cfg.daemon.cgroup_v1_pids, "/sys/fs/cgroup/pids/c") == 0 &&
              cfg.daemon.cgroup_v1_memory && strcmp(cfg.daemon.cgroup_v1_memory, "/sys/fs/cgroup/memory/c") == 0,
              "cgroup_v1_pids and cgroup_v1_memory: %s", err ? err : "");
        free(err);
        config_free(&cfg);

        /* sockets = a11y ibus and [portal] on_online, as the desktop scripts read it. */
        err = NULL;
        r = load("[portal]\non_online = /usr/bin/tca --connect\n[app x]\nexec = /bin/true\nuser = bob\n"
                 "sockets = a11y ibus wayland\n", &cfg, &err);
        CHECK(r == 0, "a11y/ibus and on_online: %s", err ? err : "");
        if (r == 0) {
                const struct app_config *x = config_find_app(&cfg, "x");
                CHECK(x && x->sockets == (APP_SOCKET_A11Y | APP_SOCKET_IBUS | APP_SOCKET_WAYLAND) && x->pid_namespace,
                      "sockets a11y ibus wayland");
                CHECK(cfg.portal.on_online && strv_length(cfg.portal.on_online) == 2 &&
                      strcmp(cfg.portal.on_online[1], "--connect") == 0, "on_online words");
        }
        free(err);
        config_free(&cfg);

        static const struct bad_case cases[] = {
                { "[app x]\nexec = /bin/true\nuser = root\n", "test.conf:3: an app never runs as root" },
                { "[app x]\nexec = true\n", "test.conf:2: exec must start with an absolute path" },
                { "[app x]\nuser = bob\n", "test.conf:1: [app x] has no exec" },
                { "[app x]\nexec = /bin/true\n", "test.conf:1: [app x] has no user" },
                { "[app x]\nexec = /bin/true\nargs = any\n", "test.conf:3: invalid args 'any' (expected none or url)" },
                { "[app x]\nexec = /bin/true\nhome = disk\n", "test.conf:3: invalid home 'disk' (expected tmpfs or keep)" },
                { "[app x]\nexec = /bin/true\nsockets = wayland ssh-agent\n", "test.conf:3: invalid socket 'ssh-agent' (expected wayland, pipewire, pulse, x11, a11y or ibus)" },
                { "[app x]\nexec = /bin/true\nenv = LANG LD_PRELOAD\n", "test.conf:3: invalid variable name (LD_*, PATH, HOME and the like are never passed) 'LD_PRELOAD'" },
                { "[app x]\nexec = /bin/true\ninstances = -1\n", "test.conf:3: invalid number '-1' (0 to 1024)" },
                { "[app x]\nexec = /bin/true\nuser = a\n[app x]\nuser = b\n", "test.conf:4: section [app x] appears twice" },
                { "[app x]\nexec = /bin/true\nexec = /bin/false\n", "test.conf:3: duplicate key 'exec' in [app x]" },
                { "[app .x]\nexec = /bin/true\n", "test.conf:1: unknown section [app .x]" },
                { "[app x]\nbogus = 1\n", "test.conf:2: unknown key 'bogus' in [app x]" },
                { "[run]\nusers = root b@d\n", "test.conf:2: invalid user name 'b@d'" },
                { "[daemon]\nmax_clients = 0\n", "test.conf:2: max_clients must be at least 1" },
                { "[app x]\nexec = /bin/true\nuser = bob\nsockets = wayland a11y\npid_namespace = no\n",
                  "test.conf:4: [app x] sockets a11y and ibus need pid_namespace = yes" },
                { "[portal]\non_online = tor-assistant\n", "test.conf:2: exec must start with an absolute path" },
                { "[run]\nmax_processes = 0\n", "test.conf:2: max_processes must be at least 1" },
                { "[run]\nmax_processes = 4194305\n", "test.conf:2: invalid number '4194305' (0 to 4194304)" },
                { "[run]\nmax_memory = 512K\n", "test.conf:2: invalid max_memory '512K' (none, or at least 1M: bytes with K, M, G or T)" },
                { "[run]\nmax_memory = 1X\n", "test.conf:2: invalid max_memory '1X' (none, or at least 1M: bytes with K, M, G or T)" },
                { "[app x]\nexec = /bin/true\nmax_memory = -1\n", "test.conf:3: invalid max_memory '-1' (none, or at least 1M: bytes with K, M, G or T)" },
                { "[daemon]\nlimits = maybe\n", "test.conf:2: invalid boolean 'maybe' (expected yes or no)" },
                { "[daemon]\ncgroup = relative/path\n", "test.conf:2: 'relative/path' is not an absolute path" },
                { "[daemon]\ncgroup = /sys/fs/cgroup/a\ncgroup_v1_pids = /sys/fs/cgroup/pids/a\n",
                  "test.conf:2: [daemon] cgroup (cgroup v2) and cgroup_v1_pids/cgroup_v1_memory (cgroup v1) exclude each other" },
                { "[daemon]\ncgroup_v1_memory = /sys/fs/cgroup/memory/a\n", "test.conf:2: [daemon] cgroup_v1_memory needs cgroup_v1_pids" },
                { "[daemon]\ncgroup_v1_pids = pids/a\n", "test.conf:2: 'pids/a' is not an absolute path" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                err = NULL;
                r = load(cases[i].text, &cfg, &err);
                CHECK(r < 0, "policy case %zu should fail", i);
                CHECK(err && strcmp(err, cases[i].expect) == 0, "policy case %zu message:\n  got:    %s\n  wanted: %s",
                      i, err ? err : "(none)", cases[i].expect);
                free(err);
                config_free(&cfg);
        }
}

#define TBB "[namespace tbb]\nkind = tor-ports\nexpose = 9050 951\nhost_veth = veth-tbb\nhost_address = 10.200.1.1/30\nns_address = 10.200.1.2/30\n"

/* [namespace NAME]: the Tails ones, what each takes from [namespace], and the checks. */
static void test_namespaces(void) {
        static const char text[] =
                "[namespace]\nnetns_dir = /run/x\nnft_table = cn\n"
                TBB
                "[namespace onioncircs]\nkind = tor-ports\nexpose = 951\nhost_veth = veth-oc\nhost_address = 10.200.1.5/30\nns_address = 10.200.1.6/30\n"
                "[namespace other]\nhost_veth = veth-o\nhost_address = 10.200.2.1/30\nns_address = 10.200.2.2/30\nnft_table = t2\n"
                "[app tb]\nexec = /usr/bin/torbrowser\nuser = amnesia\nnamespace = tbb\n"
                "[app ub]\nexec = /usr/bin/ub\nuser = amnesia\n";
        struct config cfg;
        char *err = NULL;
        int r = load(text, &cfg, &err);
        CHECK(r == 0, "namespaces: %s", err ? err : "(no message)");
        free(err);
        if (r == 0) {
                CHECK(config_n_namespaces(&cfg) == 4, "4 namespaces, got %zu", config_n_namespaces(&cfg));
                const struct namespace_config *tbb = config_find_namespace(&cfg, "tbb");
                CHECK(tbb && tbb->kind == NS_KIND_TOR_PORTS && tbb->expose.n == 2 && tbb->expose.port[0] == 9050 &&
                      tbb->expose.port[1] == 951, "tbb: kind and ports");
                CHECK(tbb && strcmp(tbb->nft_table, "cn_tbb") == 0 && strcmp(tbb->netns_dir, "/run/x") == 0 &&
                      strcmp(tbb->ns_veth, "veth0") == 0 && !tbb->resolv_conf, "tbb: table, netns_dir, ns_veth, no DNS");
                const struct namespace_config *o = config_find_namespace(&cfg, "other");
                CHECK(o && o->kind == NS_KIND_INTERNET && strcmp(o->nft_table, "t2") == 0 && o->resolv_conf &&
                      strcmp(o->resolv_conf, cfg.ns.resolv_conf) == 0, "other: internet, own table, clearnet's DNS file");
                CHECK(config_app_namespace(&cfg, config_find_app(&cfg, "tb")) == tbb, "app tb runs in tbb");
                CHECK(config_app_namespace(&cfg, config_find_app(&cfg, "ub")) == &cfg.ns, "app ub runs in clearnet");
                CHECK(config_app_namespace(&cfg, NULL) == &cfg.ns, "commands run in clearnet");
                CHECK(config_find_namespace(&cfg, "clearnet") == &cfg.ns && !config_find_namespace(&cfg, "nope"), "lookup");
        }
        config_free(&cfg);
        r = load("[namespace tbbu]\nkind = tor-ports\nexpose = 9050\nper_user = yes\npool = 10.201.0.0/16\n", &cfg, &err);
        CHECK(r == 0, "per_user: %s", err ? err : "(no message)");
        free(err);
        err = NULL;
        const struct namespace_config *u = r == 0 ? config_find_namespace(&cfg, "tbbu") : NULL;
        CHECK(u && u->per_user && u->pool.prefixlen == 16 && !u->host_veth, "per_user namespace");
        config_free(&cfg);

        static const struct bad_case cases[] = {
                { TBB "[namespace tca]\nkind = tor-ports\nexpose = 951\nhost_veth = veth-tca\nhost_address = 10.200.1.3/29\nns_address = 10.200.1.4/29\n",
                  "test.conf:12: the subnet of ns_address overlaps that of [namespace tbb]" },
                { "[namespace]\nhost_address = 10.200.1.1/30\nns_address = 10.200.1.2/30\n" TBB,
                  "test.conf:9: the subnet of ns_address overlaps that of [namespace]" },
                { TBB "[namespace tca]\nkind = tor-ports\nexpose = 951\nhost_veth = veth-tbb\nhost_address = 10.200.1.9/30\nns_address = 10.200.1.10/30\n",
                  "test.conf:10: host_veth 'veth-tbb' is also that of [namespace tbb]" },
                { "[namespace tbb]\nkind = tor-ports\nhost_veth = v\nhost_address = 10.200.1.1/30\nns_address = 10.200.1.2/30\n",
                  "test.conf:2: [namespace tbb] is of kind tor-ports and exposes no port (expose = 9050 951)" },
                { "[namespace x]\nexpose = 80\nhost_veth = v\nhost_address = 10.200.1.1/30\nns_address = 10.200.1.2/30\n",
                  "test.conf:2: expose is for kind = tor-ports only" },
                { "[namespace x]\nhost_veth = v\nns_address = 10.200.1.2/30\n", "test.conf:1: [namespace x] has no host_address" },
                { "[namespace x]\nhost_address = 10.200.1.1/30\nns_address = 10.200.1.2/30\n", "test.conf:1: [namespace x] has no host_veth" },
                { "[namespace x]\nexpose = 9050 0\n", "test.conf:2: invalid port '0' (1 to 65535)" },
                { "[namespace x]\nexpose = 9050 9050\n", "test.conf:2: port 9050 listed twice" },
                { "[namespace x]\nexpose = 1 2 3 4 5 6 7 8 9\n", "test.conf:2: too many ports (at most 8)" },
                { "[namespace x]\nkind = tor\n", "test.conf:2: invalid kind 'tor' (expected internet or tor-ports)" },
                { "[namespace x]\nnetns_dir = /run/y\n", "test.conf:2: unknown key 'netns_dir' in [namespace x]" },
                { "[namespace x-y]\nkind = internet\n", "test.conf:1: unknown section [namespace x-y]" },
                { "[namespace clearnet]\nkind = internet\n", "test.conf:2: namespace 'clearnet' is configured twice" },
                { TBB "resolv_conf = /etc/r\n", "test.conf:7: a tor-ports namespace has no DNS of its own (names go through Tor): no resolv_conf" },
                { "[app a]\nexec = /bin/a\nuser = u\nnamespace = tbb\n", "test.conf:4: [app a] namespace 'tbb' is not configured" },
                { "[namespace u]\nper_user = yes\n", "test.conf:1: [namespace u] has per_user = yes and no pool (e.g. pool = 10.201.0.0/16)" },
                { "[namespace u]\nper_user = yes\npool = 10.201.0.0/16\nhost_veth = v\n",
                  "test.conf:2: per_user = yes takes each user's veth and addresses from pool: no host_veth, host_address or ns_address" },
                { "[namespace u]\nper_user = yes\npool = 10.201.0.1/16\n", "test.conf:3: pool must be given as its network address" },
                { "[namespace u]\nper_user = yes\npool = 10.201.0.0/29\n", "test.conf:3: pool must be a /28 or larger" },
                { "[namespace u]\npool = 10.201.0.0/16\n", "test.conf:2: pool is for per_user = yes only" },
                { "[namespace u]\nper_user = yes\npool = 10.200.0.0/16\n", "test.conf:3: the subnet of pool overlaps that of [namespace]" },
                { "[namespace abcd1]\nper_user = yes\npool = 10.201.0.0/24\n[namespace abcd2]\nper_user = yes\npool = 10.202.0.0/24\n",
                  "test.conf:5: per-user namespaces need names that differ in their first 4 characters (their veths are named after them): [namespace abcd1]" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                r = load(cases[i].text, &cfg, &err);
                CHECK(r < 0, "namespace case %zu should fail: %s", i, cases[i].text);
                CHECK(err && strcmp(err, cases[i].expect) == 0, "namespace case %zu message:\n  got:    %s\n  wanted: %s",
                      i, err ? err : "(none)", cases[i].expect);
                free(err);
                err = NULL;
                config_free(&cfg);
        }
}

int main(void) {
        test_namespaces();
        test_policy();
        test_defaults();
        test_full();
        test_bad();
        test_view_keys();
        test_limits();
        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return 1;
        }
        printf("config: all checks passed\n");
        return 0;
}
