/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clearnet-filter's policy parser and compiler (filter/policy.c, filter/compile.c):
 * defaults, the shipped file, every kind of mistake with its "file:line: reason", user
 * resolution (missing, optional, numeric), and the compiled ruleset: the elements it must
 * have, and a rule count that does not grow with the number of services. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "policy.h"
#include "util.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* A fixed user database. */
static const struct { const char *name; uint32_t uid; } users[] = {
        { "root", 0 }, { "debian-tor", 107 }, { "clearnet", 108 }, { "amnesia", 1000 }, { "_apt", 42 },
        { "proxy", 13 }, { "nobody", 65534 }, { "Debian-gdm", 116 }, { "htp", 120 },
        { "tails-upgrade-frontend", 121 }, { "tails-iuk-get-target-file", 122 },
};

static int lookup(const char *name, uint32_t *ret, void *userdata) {
        for (size_t i = 0; i < ELEMENTSOF(users); i++)
                if (STREQ(users[i].name, name)) {
                        *ret = users[i].uid;
                        return 0;
                }
        return -ENOENT;
}

static int load(const char *text, struct filter_config *cfg, char **err) {
        filter_config_init(cfg);
        return filter_config_load_string(cfg, "t.conf", text, strlen(text), err);
}

/* Parse and compile; *ret_rules the ruleset or NULL, *ret_err the message or NULL. */
static int compile_text(const char *text, char **ret_rules, char **ret_err, strv *ret_notes) {
        struct filter_config cfg;
        *ret_rules = NULL;
        int r = load(text, &cfg, ret_err);
        if (r >= 0) {
                free(cfg.path);
                cfg.path = strdup("t.conf");
                struct filter_ns ns = { .host_veth = "veth-clearnet" };
                ns.ns_address.s_addr = htonl(0x0ac80112);   /* 10.200.1.18 */
                struct filter_input in = { .cfg = &cfg, .ns = &ns, .n_ns = 1, .lookup = lookup };
                r = filter_compile(&in, ret_rules, ret_err, ret_notes);
        }
        filter_config_free(&cfg);
        return r;
}

static void expect_error(const char *text, const char *want) {
        struct filter_config cfg;
        char *err = NULL, *rules = NULL;
        int r = compile_text(text, &rules, &err, NULL);
        CHECK(r < 0, "expected '%s', but it compiled", want);
        CHECK(err && STREQ(err, want), "expected '%s', got '%s'", want, err ? err : "(none)");
        free(err);
        free(rules);
        (void) cfg;
}

static void test_defaults(void) {
        struct filter_config cfg;
        char *err = NULL;
        CHECK(load("", &cfg, &err) == 0, "empty file: %s", err ? err : "");
        CHECK(STREQ(cfg.tor_user.name, "debian-tor") && STREQ(cfg.clearnet_user.name, "clearnet") &&
              STREQ(cfg.desktop_user.name, "amnesia"), "default users");
        CHECK(cfg.trans_port == 9040 && cfg.dns_port == 5353, "default Tor ports");
        CHECK(cfg.automap.addr.s_addr == htonl(0x7fc00000) && cfg.automap.prefixlen == 10, "default automap");
        CHECK(cfg.deny_ports.n == 2 && cfg.deny_ports.r[0].first == 9052 && cfg.deny_ports.r[1].first == 9063,
              "default deny_ports");
        CHECK(cfg.n_lan == 3, "default LAN");
        CHECK(!cfg.dns_redirect_all && cfg.mtu_probing && cfg.log_group == -1 && cfg.log_rate == 5, "default flags");
        CHECK(STREQ(cfg.clearnet_config, CLEARNET_SYSCONFDIR "/clearnet/clearnet.conf"), "default clearnet_config");
        CHECK(cfg.n_services == 0, "no services by default");
        free(err);
        filter_config_free(&cfg);
}

static void test_shipped(void) {
        struct filter_config cfg;
        char *err = NULL;
        filter_config_init(&cfg);
        int r = filter_config_load(&cfg, "../../desktop/filter.conf", &err);
        CHECK(r == 0, "desktop/filter.conf: %s", err ? err : "");
        CHECK(cfg.n_services == 9, "desktop/filter.conf has Tails' 9 local services, got %zu", cfg.n_services);
        filter_config_free(&cfg);
        free(err);

        /* compiled with every Tails user present: the elements of the seed's list */
        _cleanup_free_ char *text = NULL;
        size_t len;
        CHECK(read_file_limited("../../desktop/filter.conf", 65536, &text, &len) == 0, "read");
        char *rules = NULL;
        _cleanup_strv_free_ strv notes = NULL;
        r = compile_text(text, &rules, &err, &notes);
        CHECK(r == 0 && rules, "compile the shipped file: %s", err ? err : "");
        static const char *const want[] = {
                "tcp . 9050 . 42", "tcp . 9050 . 13", "tcp . 9050 . 65534", "tcp . 9050 . 121",
                "tcp . 9062 . 120", "tcp . 9062 . 121", "tcp . 9063 . 122", "tcp . 9052 . 0", "tcp . 951 . 0",
                "udp . 53 . 1000", "udp . 5353 . 120", "udp . 53 . 0", "tcp . 4101 . 116", "tcp . 631 . 1000",
                "tcp . 17600-17650 . 1000", "tcp . 9040 . 1000",
                "elements = { 9052, 9063 }", "elements = { 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 }",
                "elements = { 107 : jump tor, 108 : jump clearnet_user }",
                "meta skuid 1000 tcp dport != @desktop_deny accept",
                "ip daddr 127.192.0.0/10 meta l4proto tcp redirect to :9040",
                "ip daddr 127.0.0.1 udp dport 53 redirect to :5353",
                "elements = { \"veth-clearnet\" }", "iifname @ns_veths jump ns_input",
                "log prefix \"clearnet-filter: dropped: \" flags skuid",
                "type filter hook input priority filter; policy drop;",
                "type filter hook output priority filter; policy drop;",
                "type filter hook forward priority filter; policy drop;",
        };
        for (size_t i = 0; rules && i < ELEMENTSOF(want); i++)
                CHECK(strstr(rules, want[i]), "the shipped policy lacks '%s'", want[i]);
        /* ::1 only for 4101 */
        const char *v6 = rules ? strstr(rules, "set local_v6") : NULL;   /* the declaration, */
        v6 = v6 ? strstr(v6 + 1, "set local_v6") : NULL;                 /* then the elements */
        CHECK(v6 && strstr(v6, "tcp . 4101 . 116") && strstr(v6, "tcp . 4101 . 1000") &&
              strstr(v6, "}") > strstr(v6, "tcp . 4101 . 1000") && !strstr(v6, "9050 . 42,"), "local_v6 holds 4101 only");
        CHECK(!strstr(rules ? rules : "", "udp . 53 . 42"), "_apt gets no DNS");
        CHECK(!notes || !notes[0], "no notes with every user present");
        free(rules);
        free(err);
}

static void test_errors(void) {
        expect_error("[tor]\ntrans_prot = 1\n", "t.conf:2: unknown key 'trans_prot' in [tor]");
        expect_error("[nope]\n", "t.conf:1: unknown section [nope]");
        expect_error("[tor]\n[tor]\n", "t.conf:2: section [tor] appears twice");
        expect_error("\n[tor]\nuser = a\nuser = b\n", "t.conf:4: key 'user' set twice in [tor]");
        expect_error("[tor]\ntrans_port = 0\n", "t.conf:2: invalid port '0' (a number 1-65535)");
        expect_error("[tor]\ntrans_port = 70000\n", "t.conf:2: invalid port '70000' (a number 1-65535)");
        expect_error("[tor]\nautomap = 10.0.0.0/8\n", "t.conf: [tor] automap must be inside 127.0.0.0/8 (Tor's VirtualAddrNetworkIPv4)");
        expect_error("[tor]\nautomap = 127.192.0.1/10\n", "t.conf:2: '127.192.0.1/10' has host bits set (write the network address)");
        expect_error("[lan]\nnetworks = 10.0.0.0/8 192.168.0.0/33\n",
                     "t.conf:2: invalid IPv4 network '192.168.0.0/33' (expected ADDRESS/PREFIXLEN, e.g. 10.0.0.0/8)");
        expect_error("[lan]\nnetworks = 10.0.0.0/8 10.1.0.0/16\n", "t.conf:2: network '10.1.0.0/16' overlaps another one of the list");
        expect_error("[desktop]\ndeny_ports = 9052 9000-8000\n", "t.conf:2: port range '9000-8000' ends before it starts");
        expect_error("[desktop]\ndeny_ports = 9050-9060 9052\n", "t.conf:2: port '9052' overlaps another port of the same list");
        expect_error("[dns]\nredirect_all = maybe\n", "t.conf:2: invalid boolean 'maybe' (expected yes or no)");
        expect_error("[local x]\nproto = tcp\n", "t.conf:1: [local x] has no port");
        expect_error("[local x]\nport = 1\nproto = icmp\n", "t.conf:3: invalid proto 'icmp' (expected tcp, udp or both)");
        expect_error("[local x]\nport = 1\n[local x]\nport = 2\n", "t.conf:3: section [local x] appears twice");
        expect_error("[local x]\nport = 1\ncolour = red\n", "t.conf:3: unknown key 'colour' in [local x]");
        expect_error("[local x]\nport = 1\nusers = a;b\n", "t.conf:3: invalid user name 'a;b'");
        expect_error("[local x]\nport = 1\nusers = root root\n", "t.conf:3: user 'root' is listed twice");
        expect_error("[local bad/name]\n", "t.conf:1: unknown section [local bad/name]");
        expect_error("[tor]\nuser = amnesia\n", "t.conf:2: user 'amnesia' has two roles ([tor], [clearnet-user], [desktop] users differ)");
        expect_error("[log]\ngroup = 70000\n", "t.conf:2: invalid log group '70000' (empty for the kernel log, or an NFLOG group 0-65535)");
        expect_error("[filter]\nclearnet_config = relative\n",
                     "t.conf:2: 'relative' is not an absolute path without whitespace (at most 200 characters)");
        expect_error("[tor]\nuser\n", "t.conf:2: syntax error (expected 'key = value' or '[section]')");
        expect_error("[tor\n", "t.conf:1: bad section header");
        /* at load time: users */
        expect_error("# c\n[clearnet-user]\nuser = nosuch\n",
                     "t.conf:3: user 'nosuch' does not exist (list it in [filter] optional_users if it may be missing)");
        expect_error("[local a]\nport = 1\n\nusers = root ghost\n",
                     "t.conf:4: user 'ghost' does not exist (list it in [filter] optional_users if it may be missing)");
        expect_error("[tor]\ndns_port = 9040\n", "t.conf: [tor] trans_port and dns_port must differ");
}

static void test_users(void) {
        char *rules = NULL, *err = NULL;
        _cleanup_strv_free_ strv notes = NULL;
        /* optional and missing: left out, one note; numeric uid used as is; roles off */
        int r = compile_text("[filter]\noptional_users = ghost\n[tor]\nuser =\n[clearnet-user]\nuser = 4321\n"
                             "[local a]\nport = 7000\nproto = tcp udp\nusers = ghost root\n[local b]\nport = 7001\nusers = ghost\n",
                             &rules, &err, &notes);
        CHECK(r == 0, "optional user: %s", err ? err : "");
        CHECK(notes && notes[0] && strstr(notes[0], "'ghost'") && !notes[1], "one note for the optional user");
        CHECK(rules && strstr(rules, "tcp . 7000 . 0") && strstr(rules, "udp . 7000 . 0") && !strstr(rules, "7001"),
              "optional user's entries left out, the others kept");
        CHECK(rules && strstr(rules, "elements = { 4321 : jump clearnet_user }"), "numeric uid, tor off");
        free(rules);
        free(err);

        /* the same entry twice (desktop user listed for TransPort explicitly) is merged */
        r = compile_text("[local tp]\nport = 9040\nusers = amnesia\n", &rules, &err, NULL);
        CHECK(r == 0, "duplicate TransPort entry: %s", err ? err : "");
        CHECK(rules && strstr(rules, "tcp . 9040 . 1000") && !strstr(strstr(rules, "tcp . 9040 . 1000") + 1, "tcp . 9040 . 1000"),
              "TransPort entry once");
        free(rules);
        free(err);

        /* overlapping ranges of one user are merged (nft refuses overlaps in a set) */
        r = compile_text("[local a]\nport = 100-200\nusers = root\n[local b]\nport = 150 190-300\nusers = root\n"
                         "[local c]\nport = 9000-9100\nusers = amnesia\n", &rules, &err, NULL);
        CHECK(r == 0 && strstr(rules, "tcp . 100-300 . 0") && !strstr(rules, "tcp . 150 . 0") &&
              strstr(rules, "tcp . 9000-9100 . 1000") && !strstr(rules, "tcp . 9040 . 1000"),
              "merged ranges: %s", err ? err : "");
        free(rules);
        free(err);

        /* redirect_all, NFLOG group, no log */
        r = compile_text("[dns]\nredirect_all = yes\n[log]\ngroup = 3\n", &rules, &err, NULL);
        CHECK(r == 0 && strstr(rules, "meta skuid 1000 udp dport 53 redirect to :5353") &&
              strstr(rules, "log prefix \"clearnet-filter: dropped: \" group 3"), "redirect_all and group");
        free(rules);
        free(err);
        r = compile_text("[log]\nrate = 0\n", &rules, &err, NULL);
        CHECK(r == 0 && !strstr(rules, " log "), "rate = 0: no log statement");
        free(rules);
        free(err);
}

/* The rules a packet walks through: every line of a chain (sets and maps excluded). */
static size_t count_rules(const char *rules) {
        size_t n = 0;
        bool in_chain = false;
        for (const char *p = rules; *p; ) {
                const char *eol = strchrnul(p, '\n');
                if (strncmp(p, "  chain ", 8) == 0)
                        in_chain = eol[-1] != '}';      /* a declaration on one line has none */
                else if (strncmp(p, "  }", 3) == 0)
                        in_chain = false;
                else if (in_chain)
                        n++;
                p = *eol ? eol + 1 : eol;
        }
        return n;
}

static void test_rules_do_not_grow(void) {
        char *small = NULL, *big = NULL, *err = NULL;
        int r = compile_text("[local a]\nport = 1000\nusers = root\n", &small, &err, NULL);
        CHECK(r == 0, "small: %s", err ? err : "");
        free(err);
        char text[16384] = "";
        for (int i = 0; i < 60; i++) {
                char s[200];
                snprintf(s, sizeof s, "[local s%d]\nport = %d %d-%d\nproto = tcp udp\nusers = root amnesia _apt nobody\nipv6 = yes\n",
                         i, 20000 + i * 10, 20001 + i * 10, 20005 + i * 10);
                strcat(text, s);
        }
        r = compile_text(text, &big, &err, NULL);
        CHECK(r == 0, "big: %s", err ? err : "");
        CHECK(small && big && count_rules(small) == count_rules(big),
              "rules grow with the services: %zu vs %zu", small ? count_rules(small) : 0, big ? count_rules(big) : 0);
        CHECK(big && strlen(big) > strlen(small) + 10000, "the big policy's elements are in its sets");
        free(small);
        free(big);
        free(err);
}

static void test_lockdown(void) {
        const char *l = filter_lockdown_ruleset();
        CHECK(strstr(l, "delete table inet clearnet_filter") && strstr(l, "hook input priority filter; policy drop;") &&
              strstr(l, "hook output priority filter; policy drop;") && strstr(l, "hook forward priority filter; policy drop;") &&
              strstr(l, "iif \"lo\" accept") && strstr(l, "oif \"lo\" accept"), "lockdown table");
        CHECK(count_rules(l) == 5, "lockdown: 3 chains, 5 lines (2 accepts), got %zu", count_rules(l));
}

static void test_reload_shape(void) {
        /* the policy never deletes its table or a base chain (see write_ruleset) */
        char *rules = NULL, *err = NULL;
        int r = compile_text("", &rules, &err, NULL);
        CHECK(r == 0 && rules && !strstr(rules, "delete ") && strstr(rules, "\nflush table inet clearnet_filter\n") &&
              strstr(rules, "\nflush set inet clearnet_filter local_v4\n") &&
              strstr(rules, "\nflush map inet clearnet_filter roles_v4\n") &&
              strstr(rules, "flush table") < strstr(rules, "iif \"lo\" accept"), "reload shape: %s", err ? err : "");
        free(rules);
        free(err);
}

static void test_helpers(void) {
        struct port_list l;
        CHECK(filter_parse_ports("1 65535 10-20", &l) == 0 && l.n == 3 && l.r[2].first == 10 && l.r[2].last == 20, "ports");
        CHECK(filter_parse_ports("01", &l) < 0 && filter_parse_ports("-1", &l) < 0 && filter_parse_ports("1-", &l) < 0 &&
              filter_parse_ports("a", &l) < 0, "bad ports");
        struct ipv4_net n;
        CHECK(filter_parse_ipv4_net("192.168.0.0/16", &n) == 0 && n.prefixlen == 16, "net");
        CHECK(filter_parse_ipv4_net("192.168.0.1/32", &n) == 0, "host /32");
        CHECK(filter_parse_ipv4_net("0.0.0.0/0", &n) < 0 && filter_parse_ipv4_net("1.2.3.4", &n) < 0 &&
              filter_parse_ipv4_net("1.2.3.4/", &n) < 0, "bad nets");
        CHECK(filter_user_name_ok("_apt") && filter_user_name_ok("Debian-gdm") && filter_user_name_ok("1000") &&
              !filter_user_name_ok("-x") && !filter_user_name_ok("a b") && !filter_user_name_ok(""), "user names");
}

int main(void) {
        test_defaults();
        test_shipped();
        test_errors();
        test_users();
        test_rules_do_not_grow();
        test_lockdown();
        test_reload_shape();
        test_helpers();
        if (failures) {
                fprintf(stderr, "%d failure(s)\n", failures);
                return 1;
        }
        printf("all filter policy tests passed\n");
        return 0;
}
