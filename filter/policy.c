/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "util.h"

struct parse_state {
        struct filter_config *cfg;
        char *error;            /* reason of the first failure, without file:line */
        unsigned line;          /* line of the entry being read (from the prescan) */
        unsigned seen;          /* bit per key_table entry */
        const char *text;
        struct local_service *service;  /* of the [local NAME] being read */
};

typedef int (*value_parser)(struct parse_state *st, const char *value, void *field);

struct key_def {
        const char *section;
        const char *key;
        value_parser parse;
        size_t offset;
};

static int fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse_state *st, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        free(st->error);
        if (vasprintf(&st->error, fmt, ap) < 0)
                st->error = NULL;
        va_end(ap);
        return -EINVAL;
}

static int set_string(char **field, const char *value) {
        char *copy = value ? strdup(value) : NULL;
        if (value && !copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

bool filter_user_name_ok(const char *s) {
        size_t len = strlen(s);
        if (len == 0 || len > 32)
                return false;
        if (strspn(s, "0123456789") == len)      /* a numeric uid */
                return len <= 10;
        if (!isalpha((unsigned char) s[0]) && s[0] != '_')
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-' && *p != '.')
                        return false;
        return true;
}

/* Whitespace-separated words of v, each passed to fn; at most max words. */
static int for_each_word(struct parse_state *st, const char *v, size_t max, const char *what,
                         int (*fn)(struct parse_state *st, const char *word, void *userdata), void *userdata) {
        size_t n = 0;
        for (const char *p = v; *p; ) {
                p += strspn(p, " \t");
                size_t len = strcspn(p, " \t");
                if (len == 0)
                        break;
                if (++n > max)
                        return fail(st, "too many %s (at most %zu)", what, max);
                _cleanup_free_ char *w = strndup(p, len);
                if (!w)
                        return -ENOMEM;
                int r = fn(st, w, userdata);
                if (r < 0)
                        return r;
                p += len;
        }
        return 0;
}

static int parse_port_number(const char *s, uint16_t *ret) {
        size_t len = strlen(s);
        if (len == 0 || len > 5 || strspn(s, "0123456789") != len || (s[0] == '0' && len > 1))
                return -EINVAL;
        unsigned long n = strtoul(s, NULL, 10);
        if (n < 1 || n > 65535)
                return -ERANGE;
        *ret = (uint16_t) n;
        return 0;
}

static int parse_port_range(const char *s, struct port_range *ret) {
        char buf[16];
        if (strlen(s) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, s);
        char *dash = strchr(buf, '-');
        if (dash)
                *dash = '\0';
        int r = parse_port_number(buf, &ret->first);
        if (r < 0)
                return r;
        ret->last = ret->first;
        if (dash) {
                r = parse_port_number(dash + 1, &ret->last);
                if (r < 0)
                        return r;
                if (ret->last < ret->first)
                        return -EDOM;
        }
        return 0;
}

static int add_port_word(struct parse_state *st, const char *w, void *userdata) {
        struct port_list *l = userdata;
        struct port_range pr;
        int r = parse_port_range(w, &pr);
        if (r == -EDOM)
                return fail(st, "port range '%s' ends before it starts", w);
        if (r < 0)
                return fail(st, "invalid port '%s' (a number 1-65535, or a range FIRST-LAST)", w);
        for (size_t i = 0; i < l->n; i++)
                if (pr.first <= l->r[i].last && l->r[i].first <= pr.last)
                        return fail(st, "port '%s' overlaps another port of the same list", w);
        l->r[l->n++] = pr;
        return 0;
}

int filter_parse_ports(const char *s, struct port_list *ret) {
        struct parse_state st = {};
        struct port_list l = {};
        int r = for_each_word(&st, s, FILTER_MAX_PORTS, "ports", add_port_word, &l);
        free(st.error);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

int filter_parse_ipv4_net(const char *s, struct ipv4_net *ret) {
        char buf[INET_ADDRSTRLEN + 4];
        if (strlen(s) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, s);
        char *slash = strchr(buf, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        uint16_t len;
        const char *p = slash + 1;
        if (strlen(p) > 2 || parse_port_number(p, &len) < 0 || len > 32)
                return -EINVAL;
        struct in_addr a;
        if (inet_pton(AF_INET, buf, &a) != 1)
                return -EINVAL;
        uint32_t mask = ~0u << (32 - len);
        if (ntohl(a.s_addr) & ~mask)
                return -EDOM;   /* host bits set: a typo more often than not */
        *ret = (struct ipv4_net) { .addr = a, .prefixlen = (uint8_t) len };
        return 0;
}

/* --- value parsers ------------------------------------------------------------------- */

static int p_path_or_empty(struct parse_state *st, const char *v, void *field) {
        if (!*v)
                return set_string(field, NULL);
        if (v[0] != '/' || strlen(v) > 200 || strpbrk(v, " \t\r\n"))
                return fail(st, "'%s' is not an absolute path without whitespace (at most 200 characters)", v);
        return set_string(field, v);
}

static int p_user(struct parse_state *st, const char *v, void *field) {
        struct user_ref *u = field;
        if (*v && !filter_user_name_ok(v))
                return fail(st, "invalid user name '%s'", v);
        u->line = st->line;
        return set_string(&u->name, *v ? v : NULL);
}

static int push_user(struct parse_state *st, const char *w, void *userdata) {
        if (!filter_user_name_ok(w))
                return fail(st, "invalid user name '%s'", w);
        if (strv_contains(*(strv *) userdata, w))
                return fail(st, "user '%s' is listed twice", w);
        return strv_push(userdata, w);
}

static int p_users(struct parse_state *st, const char *v, void *field) {
        strv *l = field;
        strv_free(*l);
        *l = calloc(1, sizeof(char *));
        if (!*l)
                return -ENOMEM;
        return for_each_word(st, v, 64, "users", push_user, l);
}

static int p_port(struct parse_state *st, const char *v, void *field) {
        struct port_range pr;
        if (parse_port_range(v, &pr) < 0 || pr.first != pr.last)
                return fail(st, "invalid port '%s' (a number 1-65535)", v);
        *(uint16_t *) field = pr.first;
        return 0;
}

static int p_ports(struct parse_state *st, const char *v, void *field) {
        struct port_list *l = field;
        *l = (struct port_list) {};
        return for_each_word(st, v, FILTER_MAX_PORTS, "ports", add_port_word, l);
}

static int p_net(struct parse_state *st, const char *v, void *field) {
        int r = filter_parse_ipv4_net(v, field);
        if (r == -EDOM)
                return fail(st, "'%s' has host bits set (write the network address)", v);
        if (r < 0)
                return fail(st, "invalid IPv4 network '%s' (expected ADDRESS/PREFIXLEN, e.g. 10.0.0.0/8)", v);
        return 0;
}

static int push_net(struct parse_state *st, const char *w, void *userdata) {
        struct filter_config *cfg = userdata;
        struct ipv4_net n;
        int r = p_net(st, w, &n);
        if (r < 0)
                return r;
        /* nft refuses overlapping intervals in a set */
        for (size_t i = 0; i < cfg->n_lan; i++) {
                uint8_t len = n.prefixlen < cfg->lan[i].prefixlen ? n.prefixlen : cfg->lan[i].prefixlen;
                uint32_t mask = ~0u << (32 - len);
                if ((ntohl(n.addr.s_addr) & mask) == (ntohl(cfg->lan[i].addr.s_addr) & mask))
                        return fail(st, "network '%s' overlaps another one of the list", w);
        }
        cfg->lan[cfg->n_lan++] = n;
        return 0;
}

static int p_networks(struct parse_state *st, const char *v, void *field) {
        struct filter_config *cfg = st->cfg;
        cfg->n_lan = 0;
        return for_each_word(st, v, FILTER_MAX_NETWORKS, "networks", push_net, cfg);
}

static int p_bool(struct parse_state *st, const char *v, void *field) {
        if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
                *(bool *) field = true;
        else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
                *(bool *) field = false;
        else
                return fail(st, "invalid boolean '%s' (expected yes or no)", v);
        return 0;
}

static int p_uint(struct parse_state *st, const char *v, unsigned max, unsigned *ret) {
        size_t len = strlen(v);
        if (len == 0 || len > 6 || strspn(v, "0123456789") != len || strtoul(v, NULL, 10) > max)
                return fail(st, "invalid number '%s' (0 to %u)", v, max);
        *ret = (unsigned) strtoul(v, NULL, 10);
        return 0;
}

static int p_log_group(struct parse_state *st, const char *v, void *field) {
        unsigned n;
        if (!*v) {
                *(int *) field = -1;
                return 0;
        }
        int r = p_uint(st, v, 65535, &n);
        if (r < 0)
                return fail(st, "invalid log group '%s' (empty for the kernel log, or an NFLOG group 0-65535)", v);
        *(int *) field = (int) n;
        return 0;
}

static int p_rate(struct parse_state *st, const char *v, void *field) {
        return p_uint(st, v, 10000, field);
}

static int p_burst(struct parse_state *st, const char *v, void *field) {
        int r = p_uint(st, v, 10000, field);
        if (r == 0 && *(unsigned *) field == 0)
                return fail(st, "burst must be at least 1");
        return r;
}

static int p_protos(struct parse_state *st, const char *v, void *field) {
        unsigned bits = 0;
        for (const char *p = v; *p; ) {
                p += strspn(p, " \t");
                size_t len = strcspn(p, " \t");
                if (len == 0)
                        break;
                if (len == 3 && strncmp(p, "tcp", 3) == 0)
                        bits |= FILTER_PROTO_TCP;
                else if (len == 3 && strncmp(p, "udp", 3) == 0)
                        bits |= FILTER_PROTO_UDP;
                else
                        return fail(st, "invalid proto '%.*s' (expected tcp, udp or both)", (int) len, p);
                p += len;
        }
        if (!bits)
                return fail(st, "proto is empty (expected tcp, udp or both)");
        *(unsigned *) field = bits;
        return 0;
}

static int p_service_users(struct parse_state *st, const char *v, void *field) {
        st->service->users_line = st->line;
        return p_users(st, v, field);
}

#define F(f) offsetof(struct filter_config, f)
static const struct key_def key_table[] = {
        { "filter",        "clearnet_config", p_path_or_empty, F(clearnet_config) },
        { "filter",        "optional_users",  p_users,         F(optional_users) },
        { "filter",        "mtu_probing",     p_bool,          F(mtu_probing) },
        { "tor",           "user",            p_user,          F(tor_user) },
        { "tor",           "trans_port",      p_port,          F(trans_port) },
        { "tor",           "dns_port",        p_port,          F(dns_port) },
        { "tor",           "automap",         p_net,           F(automap) },
        { "clearnet-user", "user",            p_user,          F(clearnet_user) },
        { "desktop",       "user",            p_user,          F(desktop_user) },
        { "desktop",       "deny_ports",      p_ports,         F(deny_ports) },
        { "lan",           "networks",        p_networks,      0 },
        { "dns",           "redirect_all",    p_bool,          F(dns_redirect_all) },
        { "log",           "group",           p_log_group,     F(log_group) },
        { "log",           "rate",            p_rate,          F(log_rate) },
        { "log",           "burst",           p_burst,         F(log_burst) },
};
_Static_assert(ELEMENTSOF(key_table) <= 32, "seen bitmap too small");

#define S(f) offsetof(struct local_service, f)
static const struct key_def service_table[] = {
        { "local", "port",  p_ports,         S(ports) },
        { "local", "proto", p_protos,        S(protos) },
        { "local", "users", p_service_users, S(users) },
        { "local", "ipv6",  p_bool,          S(ipv6) },
};

static const char *const known_sections[] = { "filter", "tor", "clearnet-user", "desktop", "lan", "dns", "log" };

static bool service_name_ok(const char *s) {
        size_t len = strlen(s);
        if (len == 0 || len > 32 || !isalnum((unsigned char) s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_')
                        return false;
        return true;
}

/* "local NAME": NAME, else NULL. */
static const char *service_section_name(const char *section) {
        return strncmp(section, "local ", 6) == 0 && service_name_ok(section + 6) ? section + 6 : NULL;
}

static bool section_known(const char *section) {
        for (size_t i = 0; i < ELEMENTSOF(known_sections); i++)
                if (STREQ(section, known_sections[i]))
                        return true;
        return service_section_name(section) != NULL;
}

static int set_key(struct parse_state *st, const struct key_def *table, size_t n, void *base, unsigned *seen,
                   const char *section, const char *name, const char *value) {
        const char *kind = service_section_name(section) ? "local" : section;
        for (size_t i = 0; i < n; i++) {
                if (!STREQ(table[i].section, kind) || !STREQ(table[i].key, name))
                        continue;
                if (*seen & (1u << i))
                        return fail(st, "key '%s' set twice in [%s]", name, section);
                *seen |= 1u << i;
                return table[i].parse(st, value, (char *) base + table[i].offset);
        }
        return fail(st, "unknown key '%s' in [%s]", name, section);
}

/* The line inih is on: inih does not say, so count from the prescan's record. The
 * entries come in file order, so the next "key =" line after the last one is it. */
static unsigned next_key_line(struct parse_state *st, const char *key) {
        unsigned line = 0;
        size_t klen = strlen(key);
        for (const char *p = st->text; *p; ) {
                line++;
                const char *eol = strchrnul(p, '\n');
                const char *s = p + strspn(p, " \t");
                if (line > st->line && strncmp(s, key, klen) == 0 && strchr(" \t=:", s[klen]))
                        return line;
                p = *eol ? eol + 1 : eol;
        }
        return st->line;
}

static int on_entry(void *user, const char *section, const char *name, const char *value) {
        struct parse_state *st = user;
        struct filter_config *cfg = st->cfg;
        st->line = next_key_line(st, name);
        const char *svc = service_section_name(section);
        int r;
        if (svc) {
                struct local_service *s = NULL;
                for (size_t i = 0; i < cfg->n_services && !s; i++)
                        if (STREQ(cfg->services[i].name, svc))
                                s = &cfg->services[i];
                if (!s)
                        return fail(st, "internal error: no section [local %s]", svc), 0;
                st->service = s;
                r = set_key(st, service_table, ELEMENTSOF(service_table), s, &s->seen, section, name, value);
        } else
                r = set_key(st, key_table, ELEMENTSOF(key_table), cfg, &st->seen, section, name, value);
        if (r == -ENOMEM && !st->error)
                st->error = strdup("out of memory");
        return r < 0 ? 0 : 1;
}

static int service_open(struct filter_config *cfg, const char *name, unsigned line, char **why) {
        for (size_t i = 0; i < cfg->n_services; i++)
                if (STREQ(cfg->services[i].name, name))
                        return asprintf(why, "section [local %s] appears twice", name) < 0 ? -ENOMEM : -EINVAL;
        if (cfg->n_services >= FILTER_MAX_SERVICES)
                return asprintf(why, "too many [local] sections (at most %d)", FILTER_MAX_SERVICES) < 0 ? -ENOMEM : -EINVAL;
        struct local_service *s = &cfg->services[cfg->n_services];
        *s = (struct local_service) { .protos = FILTER_PROTO_TCP, .line = line, .users_line = line };
        s->name = strdup(name);
        s->users = calloc(1, sizeof(char *));
        cfg->n_services++;
        return s->name && s->users ? 0 : -ENOMEM;
}

/* What inih cannot check: NUL bytes, long lines, unknown or repeated sections (inih
 * merges a repeated one and never reports an empty one). [local NAME] sections are
 * created here, in file order, so that on_entry finds its own. */
static int prescan(struct filter_config *cfg, const char *text, size_t len, unsigned *ret_line, char **why) {
        *ret_line = 0;
        if (memchr(text, '\0', len))
                return asprintf(why, "file contains a NUL byte") < 0 ? -ENOMEM : -EINVAL;
        unsigned line = 0, seen = 0;
        for (const char *p = text; *p; ) {
                *ret_line = ++line;
                const char *eol = strchrnul(p, '\n');
                if ((size_t) (eol - p) > FILTER_MAX_LINE)
                        return asprintf(why, "line longer than %d characters", FILTER_MAX_LINE) < 0 ? -ENOMEM : -EINVAL;
                const char *s = p + strspn(p, " \t");
                if (*s == '[') {
                        const char *close = memchr(s, ']', (size_t) (eol - s));
                        if (!close || close - s - 1 >= 64)
                                return asprintf(why, "bad section header") < 0 ? -ENOMEM : -EINVAL;
                        char name[64];
                        memcpy(name, s + 1, (size_t) (close - s - 1));
                        name[close - s - 1] = '\0';
                        if (!section_known(name))
                                return asprintf(why, "unknown section [%s]", name) < 0 ? -ENOMEM : -EINVAL;
                        const char *svc = service_section_name(name);
                        if (svc) {
                                int r = service_open(cfg, svc, line, why);
                                if (r < 0)
                                        return r;
                        } else {
                                for (size_t i = 0; i < ELEMENTSOF(known_sections); i++)
                                        if (STREQ(name, known_sections[i])) {
                                                if (seen & (1u << i))
                                                        return asprintf(why, "section [%s] appears twice", name) < 0 ? -ENOMEM : -EINVAL;
                                                seen |= 1u << i;
                                        }
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        return 0;
}

/* Checks across keys, once the whole file is read. */
static int cross_check(struct filter_config *cfg, unsigned *ret_line, char **why) {
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct local_service *s = &cfg->services[i];
                *ret_line = s->line;
                if (s->ports.n == 0)
                        return asprintf(why, "[local %s] has no port", s->name) < 0 ? -ENOMEM : -EINVAL;
        }
        *ret_line = 0;
        if (cfg->automap.prefixlen < 8 || (ntohl(cfg->automap.addr.s_addr) >> 24) != 127)
                return asprintf(why, "[tor] automap must be inside 127.0.0.0/8 (Tor's VirtualAddrNetworkIPv4)") < 0 ? -ENOMEM : -EINVAL;
        if (cfg->trans_port == cfg->dns_port)
                return asprintf(why, "[tor] trans_port and dns_port must differ") < 0 ? -ENOMEM : -EINVAL;
        const struct user_ref *roles[] = { &cfg->tor_user, &cfg->clearnet_user, &cfg->desktop_user };
        for (size_t i = 0; i < ELEMENTSOF(roles); i++)
                for (size_t j = i + 1; j < ELEMENTSOF(roles); j++)
                        if (roles[i]->name && roles[j]->name && STREQ(roles[i]->name, roles[j]->name)) {
                                *ret_line = roles[i]->line > roles[j]->line ? roles[i]->line : roles[j]->line;
                                return asprintf(why, "user '%s' has two roles ([tor], [clearnet-user], [desktop] users differ)",
                                                roles[j]->name) < 0 ? -ENOMEM : -EINVAL;
                        }
        return 0;
}

int filter_config_init(struct filter_config *cfg) {
        *cfg = (struct filter_config) {
                .mtu_probing = true,
                .trans_port = 9040,
                .dns_port = 5353,
                .log_group = -1,
                .log_rate = 5,
                .log_burst = 10,
        };
        if (set_string(&cfg->clearnet_config, FILTER_CLEARNET_DEFAULT) < 0 ||
            set_string(&cfg->tor_user.name, "debian-tor") < 0 ||
            set_string(&cfg->clearnet_user.name, "clearnet") < 0 ||
            set_string(&cfg->desktop_user.name, "amnesia") < 0 ||
            !(cfg->optional_users = calloc(1, sizeof(char *)))) {
                filter_config_free(cfg);
                return -ENOMEM;
        }
        (void) filter_parse_ipv4_net("127.192.0.0/10", &cfg->automap);
        (void) filter_parse_ports("9052 9063", &cfg->deny_ports);
        static const char *const lan[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16" };
        for (size_t i = 0; i < ELEMENTSOF(lan); i++)
                (void) filter_parse_ipv4_net(lan[i], &cfg->lan[cfg->n_lan++]);
        return 0;
}

void filter_config_free(struct filter_config *cfg) {
        free(cfg->path);
        free(cfg->clearnet_config);
        strv_free(cfg->optional_users);
        free(cfg->tor_user.name);
        free(cfg->clearnet_user.name);
        free(cfg->desktop_user.name);
        for (size_t i = 0; i < cfg->n_services; i++) {
                free(cfg->services[i].name);
                strv_free(cfg->services[i].users);
        }
        *cfg = (struct filter_config) {};
}

int filter_config_load_string(struct filter_config *cfg, const char *name, const char *text, size_t len,
                              char **ret_error) {
        _cleanup_free_ char *why = NULL;
        unsigned line = 0;
        *ret_error = NULL;
        int r = prescan(cfg, text, len, &line, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return config_format_error(ret_error, name, line, why);

        config_ini_setup(FILTER_MAX_LINE);   /* the same inih settings as clearnet.conf */

        struct parse_state st = { .cfg = cfg, .text = text };
        r = config_ini_parse(name, text, on_entry, &st, &st.error, ret_error);
        if (r < 0)
                return r;
        r = cross_check(cfg, &line, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return config_format_error(ret_error, name, line, why);
        return 0;
}

int filter_config_load(struct filter_config *cfg, const char *path, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        *ret_error = NULL;
        int r = read_file_reason(path, FILTER_MAX_SIZE, &text, &len, ret_error);
        if (r < 0)
                return r;
        r = set_string(&cfg->path, path);
        if (r < 0)
                return r;
        return filter_config_load_string(cfg, path, text, len, ret_error);
}
