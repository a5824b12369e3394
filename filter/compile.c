/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "compile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define LOG_PREFIX "clearnet-filter: dropped: "

/* One element of a local-service set: proto . port range . uid. */
struct local_elem {
        unsigned proto;         /* FILTER_PROTO_TCP or _UDP */
        struct port_range ports;
        uint32_t uid;
};

struct elems {
        struct local_elem *v;
        size_t n, cap;
};

struct compile_state {
        const struct filter_input *in;
        char **error;
        strv *notes;
        struct elems local4, local6;
        bool have_tor, have_clearnet, have_desktop;
        uint32_t tor_uid, clearnet_uid, desktop_uid;
};

static int cfail(struct compile_state *cs, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cfail(struct compile_state *cs, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *why = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&why, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        const char *name = cs->in->cfg->path ? cs->in->cfg->path : "filter.conf";
        free(*cs->error);
        r = line ? asprintf(cs->error, "%s:%u: %s", name, line, why) : asprintf(cs->error, "%s: %s", name, why);
        if (r < 0)
                *cs->error = NULL;
        return -EINVAL;
}

/* name -> uid. 1: resolved; 0: missing and optional (left out, noted); < 0: error. */
static int resolve(struct compile_state *cs, const char *name, unsigned line, uint32_t *ret) {
        size_t len = strlen(name);
        if (strspn(name, "0123456789") == len) {
                unsigned long n = strtoul(name, NULL, 10);
                if (n >= UINT32_MAX)
                        return cfail(cs, line, "uid %s is out of range", name);
                *ret = (uint32_t) n;
                return 1;
        }
        int r = cs->in->lookup(name, ret, cs->in->userdata);
        if (r == 0)
                return 1;
        if (r != -ENOENT)
                return cfail(cs, line, "cannot look up user '%s': %s", name, strerror(-r));
        if (!strv_contains(cs->in->cfg->optional_users, name))
                return cfail(cs, line, "user '%s' does not exist (list it in [filter] optional_users if it may be missing)", name);
        _cleanup_free_ char *note = NULL;
        if (asprintf(&note, "optional user '%s' does not exist: its rules are left out", name) < 0)
                return -ENOMEM;
        if (cs->notes && !strv_contains(*cs->notes, note) && strv_push(cs->notes, note) < 0)
                return -ENOMEM;
        return 0;
}

static int resolve_role(struct compile_state *cs, const struct user_ref *u, bool *ret_have, uint32_t *ret_uid) {
        *ret_have = false;
        if (!u->name)
                return 0;
        int r = resolve(cs, u->name, u->line, ret_uid);
        if (r < 0)
                return r;
        *ret_have = r > 0;
        return 0;
}

static bool ranges_overlap(const struct port_range *a, const struct port_range *b) {
        return a->first <= b->last && b->first <= a->last;
}

/* Add an element. One that overlaps another of the same protocol and uid is merged with
 * it (nft refuses overlapping intervals in a set; the union accepts exactly the same). */
static int elems_add(struct compile_state *cs, struct elems *e, const struct local_elem *add, unsigned line) {
        struct local_elem x = *add;
        for (size_t i = 0; i < e->n; ) {
                const struct local_elem *y = &e->v[i];
                if (y->proto != x.proto || y->uid != x.uid || !ranges_overlap(&y->ports, &x.ports)) {
                        i++;
                        continue;
                }
                x.ports.first = MIN(x.ports.first, y->ports.first);
                x.ports.last = MAX(x.ports.last, y->ports.last);
                e->v[i] = e->v[--e->n];   /* taken into x; look at the moved one next */
        }
        if (e->n == e->cap) {
                size_t cap = e->cap ? e->cap * 2 : 32;
                if (cap > 100000)
                        return cfail(cs, line, "too many local service entries");
                struct local_elem *v = realloc(e->v, cap * sizeof *v);
                if (!v)
                        return -ENOMEM;
                e->v = v;
                e->cap = cap;
        }
        e->v[e->n++] = x;
        return 0;
}

static int add_service(struct compile_state *cs, const struct local_service *s) {
        for (strv u = s->users; *u; u++) {
                uint32_t uid;
                int r = resolve(cs, *u, s->users_line, &uid);
                if (r <= 0) {
                        if (r < 0)
                                return r;
                        continue;
                }
                for (unsigned proto = FILTER_PROTO_TCP; proto <= FILTER_PROTO_UDP; proto <<= 1) {
                        if (!(s->protos & proto))
                                continue;
                        for (size_t i = 0; i < s->ports.n; i++) {
                                struct local_elem x = { .proto = proto, .ports = s->ports.r[i], .uid = uid };
                                r = elems_add(cs, &cs->local4, &x, s->users_line);
                                if (r == 0 && s->ipv6)
                                        r = elems_add(cs, &cs->local6, &x, s->users_line);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static void put_range(FILE *f, const struct port_range *p) {
        if (p->first == p->last)
                fprintf(f, "%u", p->first);
        else
                fprintf(f, "%u-%u", p->first, p->last);
}

/* The sets' put_ functions write the declaration alone when !with, for the declaring
 * block of the ruleset (see write_ruleset); their types and flags never change. */
static void put_local_set(FILE *f, const char *name, const struct elems *e, bool with) {
        size_t n = with ? e->n : 0;
        fprintf(f, "  set %s {\n    type inet_proto . inet_service . uid; flags interval;\n", name);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s%s . ", i == 0 ? "    elements = { " : ",\n                 ",
                        e->v[i].proto == FILTER_PROTO_TCP ? "tcp" : "udp");
                put_range(f, &e->v[i].ports);
                fprintf(f, " . %u", e->v[i].uid);
        }
        fprintf(f, "%s  }\n", n ? " }\n" : "");
}

static void put_port_set(FILE *f, const char *name, const struct port_list *l, bool with) {
        size_t n = with ? l->n : 0;
        fprintf(f, "  set %s {\n    type inet_service; flags interval;\n", name);
        for (size_t i = 0; i < n; i++) {
                fputs(i == 0 ? "    elements = { " : ", ", f);
                put_range(f, &l->r[i]);
        }
        fprintf(f, "%s  }\n", n ? " }\n" : "");
}

static void put_ipv4(FILE *f, struct in_addr a) {
        char buf[INET_ADDRSTRLEN];
        fputs(inet_ntop(AF_INET, &a, buf, sizeof buf) ? buf : "0.0.0.0", f);
}

static void put_lan_set(FILE *f, const struct filter_config *cfg, bool with) {
        size_t n = with ? cfg->n_lan : 0;
        fputs("  set lan_v4 {\n    type ipv4_addr; flags interval;\n", f);
        for (size_t i = 0; i < n; i++) {
                fputs(i == 0 ? "    elements = { " : ", ", f);
                put_ipv4(f, cfg->lan[i].addr);
                fprintf(f, "/%u", cfg->lan[i].prefixlen);
        }
        fprintf(f, "%s  }\n", n ? " }\n" : "");
}

static void put_ns_sets(FILE *f, const struct filter_input *in, bool with) {
        size_t n = with ? in->n_ns : 0;
        fputs("  set ns_veths {\n    type ifname;\n", f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s\"%s\"", i == 0 ? "    elements = { " : ", ", in->ns[i].host_veth);
        fprintf(f, "%s  }\n", n ? " }\n" : "");
        fputs("  set ns_v4 {\n    type ipv4_addr;\n", f);
        for (size_t i = 0; i < n; i++) {
                fputs(i == 0 ? "    elements = { " : ", ", f);
                put_ipv4(f, in->ns[i].ns_address);
        }
        fprintf(f, "%s  }\n", n ? " }\n" : "");
}

static void put_roles_map(FILE *f, const struct compile_state *cs, bool with) {
        fputs("  map roles_v4 {\n    type uid : verdict;\n", f);
        bool tor = with && cs->have_tor, clearnet = with && cs->have_clearnet;
        if (tor && clearnet)
                fprintf(f, "    elements = { %u : jump tor, %u : jump clearnet_user }\n", cs->tor_uid, cs->clearnet_uid);
        else if (tor)
                fprintf(f, "    elements = { %u : jump tor }\n", cs->tor_uid);
        else if (clearnet)
                fprintf(f, "    elements = { %u : jump clearnet_user }\n", cs->clearnet_uid);
        fputs("  }\n", f);
}

static void put_refuse(FILE *f, const struct filter_config *cfg) {
        fputs("  chain refuse {\n", f);
        if (cfg->log_rate > 0) {
                fprintf(f, "    limit rate %u/second burst %u packets log prefix \"%s\"", cfg->log_rate, cfg->log_burst,
                        LOG_PREFIX);
                if (cfg->log_group >= 0)
                        fprintf(f, " group %d\n", cfg->log_group);
                else
                        fputs(" flags skuid\n", f);
        }
        /* An ICMP error, also for TCP: it reaches the local socket through lo as RELATED
         * ICMP (accepted below) and connect() fails at once with ECONNREFUSED. A TCP reset
         * would be RELATED TCP, which is not accepted. */
        fputs("    reject with icmpx port-unreachable\n  }\n", f);
}

static void put_chains(FILE *f, const struct compile_state *cs) {
        const struct filter_config *cfg = cs->in->cfg;
        fputs("  chain input {\n"
              "    type filter hook input priority filter; policy drop;\n"
              "    iif \"lo\" accept\n"
              /* No host port for a clearnet namespace, nor for its address from elsewhere. */
              "    iifname @ns_veths jump ns_input\n"
              "    ip saddr @ns_v4 drop\n"
              "    ct state established accept\n"
              "  }\n"
              "  chain ns_input {\n"
              "    meta l4proto tcp reject with tcp reset\n"
              "    reject with icmpx admin-prohibited\n"
              "  }\n"
              /* The namespaces' traffic is policed by clearnet-nsd's own table, whose drops
               * are final; accepting it here only lets it past this table. */
              "  chain forward {\n"
              "    type filter hook forward priority filter; policy drop;\n"
              "    iifname @ns_veths accept\n"
              "    oifname @ns_veths accept\n"
              "  }\n"
              "  chain output {\n"
              "    type filter hook output priority filter; policy drop;\n"
              "    ct state established accept\n"
              /* "Local" is by destination, not by oif: after a redirect in nat_output
               * (DNS with redirect_all) the hook's oif is still the original route's. */
              "    ct state related fib daddr type local meta l4proto { icmp, ipv6-icmp } accept\n"
              /* The rejects of ns_input, on their way back into the namespace; the host
               * itself opens nothing there. */
              "    ct state related oifname @ns_veths meta l4proto { tcp, icmp } accept\n"
              "    oifname @ns_veths jump refuse\n"
              "    fib daddr type local jump local\n"
              "    meta nfproto ipv4 meta skuid vmap @roles_v4\n"
              "    meta nfproto ipv4 ip daddr @lan_v4 jump lan\n"
              "    jump refuse\n"
              "  }\n"
              /* Everything to a local address is decided here. */
              "  chain local {\n"
              "    ct state != new jump refuse\n", f);
        /* (accepts only: their order does not change what is accepted; the most
         * frequent first) */
        if (cs->have_desktop)
                fprintf(f, "    meta nfproto ipv4 meta skuid %u tcp dport != @desktop_deny accept\n", cs->desktop_uid);
        fputs("    meta nfproto ipv4 meta l4proto . th dport . meta skuid @local_v4 accept\n"
              "    ip6 daddr ::1 meta l4proto . th dport . meta skuid @local_v6 accept\n", f);
        if (cs->have_tor)
                fprintf(f, "    meta skuid %1$u meta l4proto tcp accept\n"
                           "    meta skuid %1$u udp dport 53 accept\n", cs->tor_uid);
        fputs("    jump refuse\n"
              "  }\n"
              "  chain tor {\n"
              "    meta l4proto tcp ct state new accept\n"
              "    udp dport 53 ct state new accept\n"
              "  }\n"
              /* All TCP and DNS out (never loopback: local addresses never get here). */
              "  chain clearnet_user {\n"
              "    meta l4proto tcp ct state new accept\n"
              "    udp dport 53 ct state new accept\n"
              "  }\n"
              "  chain lan {\n"
              "    meta l4proto { tcp, udp } th dport 53 jump refuse\n"
              "    udp dport 137 jump refuse\n"
              "    accept\n"
              "  }\n", f);
        put_refuse(f, cfg);
        fprintf(f, "  chain nat_output {\n"
                   "    type nat hook output priority -100; policy accept;\n"
                   "    ip daddr ");
        put_ipv4(f, cfg->automap.addr);
        fprintf(f, "/%u meta l4proto tcp redirect to :%u\n", cfg->automap.prefixlen, cfg->trans_port);
        fprintf(f, "    ip daddr 127.0.0.1 udp dport 53 redirect to :%u\n", cfg->dns_port);
        if (cfg->dns_redirect_all && cs->have_desktop)
                fprintf(f, "    meta nfproto ipv4 meta skuid %u udp dport 53 redirect to :%u\n", cs->desktop_uid, cfg->dns_port);
        fputs("  }\n", f);
}

static int compile_users(struct compile_state *cs) {
        const struct filter_config *cfg = cs->in->cfg;
        int r = resolve_role(cs, &cfg->tor_user, &cs->have_tor, &cs->tor_uid);
        if (r >= 0)
                r = resolve_role(cs, &cfg->clearnet_user, &cs->have_clearnet, &cs->clearnet_uid);
        if (r >= 0)
                r = resolve_role(cs, &cfg->desktop_user, &cs->have_desktop, &cs->desktop_uid);
        if (r < 0)
                return r;
        if (cs->have_tor && cs->have_clearnet && cs->tor_uid == cs->clearnet_uid)
                return cfail(cs, cfg->clearnet_user.line, "[tor] and [clearnet-user] are the same uid %u", cs->tor_uid);
        /* Only the desktop user may reach TransPort (the automapped addresses land there). */
        if (cs->have_desktop) {
                struct local_elem x = { .proto = FILTER_PROTO_TCP, .ports = { cfg->trans_port, cfg->trans_port },
                                        .uid = cs->desktop_uid };
                r = elems_add(cs, &cs->local4, &x, cfg->desktop_user.line);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < cfg->n_services; i++) {
                r = add_service(cs, &cfg->services[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void put_sets(FILE *f, const struct compile_state *cs, bool with) {
        put_local_set(f, "local_v4", &cs->local4, with);
        put_local_set(f, "local_v6", &cs->local6, with);
        put_port_set(f, "desktop_deny", &cs->in->cfg->deny_ports, with);
        put_lan_set(f, cs->in->cfg, with);
        put_ns_sets(f, cs->in, with);
        put_roles_map(f, cs, with);
}

/* Every chain, empty; the base chains with their hooks and policies. */
static const char chain_decls[] =
        "  chain input { type filter hook input priority filter; policy drop; }\n"
        "  chain forward { type filter hook forward priority filter; policy drop; }\n"
        "  chain output { type filter hook output priority filter; policy drop; }\n"
        "  chain nat_output { type nat hook output priority -100; policy accept; }\n"
        "  chain ns_input { }\n  chain local { }\n  chain tor { }\n  chain clearnet_user { }\n"
        "  chain lan { }\n  chain refuse { }\n";

static const char *const set_names[] = {
        "set inet " FILTER_TABLE " local_v4", "set inet " FILTER_TABLE " local_v6",
        "set inet " FILTER_TABLE " desktop_deny", "set inet " FILTER_TABLE " lan_v4",
        "set inet " FILTER_TABLE " ns_veths", "set inet " FILTER_TABLE " ns_v4", "map inet " FILTER_TABLE " roles_v4",
};

/* One transaction, in three parts: declare the table, every chain and set (a no-op for
 * what exists); flush all rules and set elements; define them anew. The base chains are
 * never deleted and made again: a base chain that is new in a transaction already sees
 * packets before its rules are committed (they get its policy), so replacing the whole
 * table would drop some allowed packets during a reload. This way the old rules hold
 * until the commit and the new ones from then on. (The lockdown table, which must load
 * whatever was there before, replaces the whole table; it drops anyway.) */
static int write_ruleset(const struct compile_state *cs, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "table inet %s {\n%s", FILTER_TABLE, chain_decls);
        put_sets(f, cs, false);
        fprintf(f, "}\nflush table inet %s\n", FILTER_TABLE);
        for (size_t i = 0; i < ELEMENTSOF(set_names); i++)
                fprintf(f, "flush %s\n", set_names[i]);
        fprintf(f, "table inet %s {\n", FILTER_TABLE);
        put_sets(f, cs, true);
        put_chains(f, cs);
        fputs("}\n", f);
        if (fclose(f) != 0 || !buf)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int filter_compile(const struct filter_input *in, char **ret_ruleset, char **ret_error, strv *ret_notes) {
        struct compile_state cs = { .in = in, .error = ret_error, .notes = ret_notes };
        *ret_error = NULL;
        int r = compile_users(&cs);
        if (r >= 0)
                r = write_ruleset(&cs, ret_ruleset);
        free(cs.local4.v);
        free(cs.local6.v);
        return r;
}

const char *filter_lockdown_ruleset(void) {
        return "table inet " FILTER_TABLE "\n"
               "delete table inet " FILTER_TABLE "\n"
               "table inet " FILTER_TABLE " {\n"
               "  chain input {\n"
               "    type filter hook input priority filter; policy drop;\n"
               "    iif \"lo\" accept\n"
               "  }\n"
               "  chain forward {\n"
               "    type filter hook forward priority filter; policy drop;\n"
               "  }\n"
               "  chain output {\n"
               "    type filter hook output priority filter; policy drop;\n"
               "    oif \"lo\" accept\n"
               "  }\n"
               "}\n";
}

const char *filter_table_name(void) {
        return FILTER_TABLE;
}
