/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz clearnet-filter's policy parser and compiler (filter/policy.c, filter/compile.c):
 * arbitrary bytes as filter.conf. Beyond "no crash, leak or sanitizer report": a file
 * that loads satisfies the contract (ports 1-65535 with first <= last, LAN prefixes 1-32,
 * automap in 127.0.0.0/8, no [local] without a port) and compiles, with a lookup in which
 * every user exists but those whose name starts with 'x', to one table whose text has no
 * NUL and no line break inside a word of ours; a file that does not, to a one-line
 * "fuzz.conf[:LINE]: reason"; and the same text twice gives the same answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "fuzz.h"
#include "policy.h"
#include "util.h"

#define FUZZ_CHECK(cond)              \
        do {                          \
                if (!(cond))          \
                        abort();      \
        } while (0)

#define NAME "fuzz.conf"

static int lookup(const char *name, uint32_t *ret, void *userdata) {
        if (name[0] == 'x')
                return -ENOENT;
        uint32_t h = 5381;
        for (const char *p = name; *p; p++)
                h = h * 33 + (unsigned char) *p;
        *ret = h % 60000 + 1;
        return 0;
}

static void check_ports(const struct port_list *l) {
        FUZZ_CHECK(l->n <= FILTER_MAX_PORTS);
        for (size_t i = 0; i < l->n; i++)
                FUZZ_CHECK(l->r[i].first >= 1 && l->r[i].first <= l->r[i].last);
}

static void check_config(const struct filter_config *cfg) {
        FUZZ_CHECK(cfg->trans_port >= 1 && cfg->dns_port >= 1 && cfg->trans_port != cfg->dns_port);
        FUZZ_CHECK((ntohl(cfg->automap.addr.s_addr) >> 24) == 127 && cfg->automap.prefixlen >= 8);
        FUZZ_CHECK(cfg->n_lan <= FILTER_MAX_NETWORKS);
        for (size_t i = 0; i < cfg->n_lan; i++)
                FUZZ_CHECK(cfg->lan[i].prefixlen >= 1 && cfg->lan[i].prefixlen <= 32);
        check_ports(&cfg->deny_ports);
        FUZZ_CHECK(cfg->n_services <= FILTER_MAX_SERVICES);
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct local_service *s = &cfg->services[i];
                FUZZ_CHECK(s->ports.n >= 1);
                check_ports(&s->ports);
                FUZZ_CHECK(s->protos && !(s->protos & ~(unsigned) (FILTER_PROTO_TCP | FILTER_PROTO_UDP)));
                FUZZ_CHECK(s->users);
                for (strv u = s->users; *u; u++)
                        FUZZ_CHECK(filter_user_name_ok(*u));
        }
        FUZZ_CHECK(cfg->log_group >= -1 && cfg->log_group <= 65535);
}

static void check_error(int r, const char *err) {
        FUZZ_CHECK(r < 0);
        if (!err) {
                FUZZ_CHECK(r == -ENOMEM);
                return;
        }
        FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
        FUZZ_CHECK(!strchr(err, '\n'));
}

/* One load and compile; the result, the message or the ruleset (caller frees). */
static int load_once(const char *text, size_t size, char **ret_out) {
        struct filter_config cfg;
        char *err = NULL, *rules = NULL;
        if (filter_config_init(&cfg) < 0)
                return -ENOMEM;
        int r = filter_config_load_string(&cfg, NAME, text, size, &err);
        if (r == 0) {
                FUZZ_CHECK(!err);
                check_config(&cfg);
                cfg.path = strdup(NAME);
                struct filter_ns ns = { .host_veth = "veth-clearnet" };
                struct filter_input in = { .cfg = &cfg, .ns = &ns, .n_ns = 1, .lookup = lookup };
                r = cfg.path ? filter_compile(&in, &rules, &err, NULL) : -ENOMEM;
                if (r == 0) {
                        FUZZ_CHECK(rules && !err);
                        FUZZ_CHECK(strncmp(rules, "table inet " FILTER_TABLE " {\n", strlen("table inet " FILTER_TABLE " {\n")) == 0);
                        FUZZ_CHECK(!strstr(rules, "delete "));
                        FUZZ_CHECK(rules[strlen(rules) - 1] == '\n');
                }
        }
        if (r < 0)
                check_error(r, err);
        filter_config_free(&cfg);
        *ret_out = r == 0 ? rules : err;
        if (r == 0)
                free(err);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > FILTER_MAX_SIZE)
                return 0;
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        if (size > 0)
                memcpy(text, data, size);
        text[size] = '\0';
        char *out1 = NULL, *out2 = NULL;
        int r1 = load_once(text, size, &out1);
        int r2 = load_once(text, size, &out2);
        FUZZ_CHECK(r1 == r2);
        FUZZ_CHECK((!out1 && !out2) || (out1 && out2 && strcmp(out1, out2) == 0));
        free(out1);
        free(out2);
        free(text);
        return 0;
}

#define SEED(s) { s, sizeof(s) - 1 }
static const struct {
        const char *text;
        size_t len;
} seeds[] = {
        SEED(""),
        SEED("[filter]\nclearnet_config =\noptional_users = xghost htp\nmtu_probing = no\n"
             "[tor]\nuser = debian-tor\ntrans_port = 9040\ndns_port = 5353\nautomap = 127.192.0.0/10\n"
             "[clearnet-user]\nuser = clearnet\n[desktop]\nuser = amnesia\ndeny_ports = 9052 9063\n"
             "[lan]\nnetworks = 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16\n[dns]\nredirect_all = yes\n"
             "[log]\ngroup = 7\nrate = 5\nburst = 10\n"
             "[local socks]\nport = 9050\nproto = tcp\nusers = _apt proxy nobody xghost\n"
             "[local dns]\nport = 53 5353\nproto = udp\nusers = amnesia htp root\n"
             "[local greeter]\nport = 4101\nusers = Debian-gdm amnesia\nipv6 = yes\n"
             "[local onionshare]\nport = 17600-17650\nproto = tcp udp\nusers = amnesia 1000\n"),
        SEED("[tor]\nuser =\n[clearnet-user]\nuser =\n[desktop]\nuser =\ndeny_ports =\n[lan]\nnetworks =\n"),
        SEED("  [local a]   # c\n\tport=1-65535\n users : root\n"),
        SEED("[tor]\ntrans_prot = 1\n"),
        SEED("[local x]\nproto = tcp\n"),
        SEED("[local a]\nport = 100-200\nusers = root\n[local b]\nport = 150\nusers = root\n"),
        SEED("[clearnet-user]\nuser = xmissing\n"),
        SEED("[tor]\nautomap = 10.0.0.0/8\n"),
        SEED("[lan]\nnetworks = 10.0.0.1/8\n"),
        SEED("[tor]\nuser = amnesia\n"),
        SEED("[tor\n"),
        SEED("[desktop]\ndeny_ports = 9000-8000\n"),
        SEED("[log]\ngroup = 70000\n"),
        SEED("[local a]\nport = 1\n\0\n"),
};

int fuzz_seed(size_t i, uint8_t *buf, size_t size, size_t *ret_len) {
        if (i >= ELEMENTSOF(seeds))
                return -ENOENT;
        if (seeds[i].len > size)
                return -ENOSPC;
        memcpy(buf, seeds[i].text, seeds[i].len);
        *ret_len = seeds[i].len;
        return 0;
}
