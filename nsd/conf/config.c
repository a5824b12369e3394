/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conf/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "clearnet/protocol.h"
#include "util.h"

struct parse_state {
        struct config *cfg;
        const char *name;       /* file name for messages */
        const char *text;
        char *error;            /* reason of the first failure, without file:line */
        uint64_t seen;          /* bit per key_table entry: set once */
        char current_section[128];
        bool current_app_open;  /* the last app is the section being read */
};

typedef int (*value_parser)(const char *value, void *field, char **ret_reason);

struct key_def {
        const char *section;
        const char *key;
        value_parser parse;
        size_t offset;
};

static int reason(char **ret_reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reason(char **ret_reason, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(ret_reason, fmt, ap) < 0)
                *ret_reason = NULL;
        va_end(ap);
        return -EINVAL;
}

static int set_string(char **field, const char *value) {
        char *copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static bool is_safe_name(const char *s, size_t max, bool allow_dot_dash) {
        size_t len = strlen(s);
        if (len == 0 || len > max || STREQ(s, ".") || STREQ(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' &&
                    !(allow_dot_dash && (*p == '-' || *p == '.')))
                        return false;
        return true;
}

bool ifname_is_valid(const char *s) {
        /* IFNAMSIZ - 1; the kernel also refuses '/', ':' and whitespace. */
        return is_safe_name(s, 15, true) && !STREQ(s, "lo");
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int parse_ipv4_prefix(const char *s, struct ipv4_prefix *ret) {
        char buf[INET_ADDRSTRLEN + 4];
        if (strlen(s) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, s);
        char *slash = strchr(buf, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        const char *len = slash + 1;
        if (!isdigit((unsigned char) len[0]) || (len[1] && !isdigit((unsigned char) len[1])) ||
            (len[1] && len[2]) || (len[0] == '0' && len[1]))
                return -EINVAL;
        struct in_addr addr;
        if (inet_pton(AF_INET, buf, &addr) != 1)
                return -EINVAL;
        int prefixlen = atoi(len);
        if (prefixlen < 1 || prefixlen > 30)
                return -ERANGE;
        ret->addr = addr;
        ret->prefixlen = (uint8_t) prefixlen;
        return 0;
}

static int parse_name(const char *v, void *field, char **r) {
        if (!is_safe_name(v, 64, true))
                return reason(r, "invalid name '%s' (1-64 characters of A-Z a-z 0-9 . _ -)", v);
        return set_string(field, v);
}

static int parse_ifname(const char *v, void *field, char **r) {
        if (!ifname_is_valid(v))
                return reason(r, "invalid interface name '%s' (1-15 characters of A-Z a-z 0-9 . _ -, not 'lo')", v);
        return set_string(field, v);
}

static int parse_table(const char *v, void *field, char **r) {
        if (!is_safe_name(v, 32, false) || !isalpha((unsigned char) v[0]))
                return reason(r, "invalid nftables table name '%s' (a letter, then up to 31 of A-Z a-z 0-9 _)", v);
        return set_string(field, v);
}

static int parse_path(const char *v, void *field, char **r) {
        if (v[0] != '/')
                return reason(r, "'%s' is not an absolute path", v);
        if (strlen(v) > 200)
                return reason(r, "path '%.40s...' is too long (at most 200 characters)", v);
        for (const char *p = v; *p; p++)
                if (iscntrl((unsigned char) *p) || isspace((unsigned char) *p))
                        return reason(r, "path '%s' contains whitespace or control characters", v);
        return set_string(field, v);
}

static int parse_address(const char *v, void *field, char **r) {
        int ret = parse_ipv4_prefix(v, field);
        if (ret == -ERANGE)
                return reason(r, "prefix length of '%s' must be between 1 and 30", v);
        if (ret < 0)
                return reason(r, "invalid IPv4 address '%s' (expected ADDRESS/PREFIXLEN, e.g. 10.200.1.18/30)", v);
        return 0;
}

static int parse_boolean(const char *v, void *field, char **r) {
        if (parse_bool(v, field) < 0)
                return reason(r, "invalid boolean '%s' (expected yes or no)", v);
        return 0;
}

static int parse_uint(const char *v, void *field, char **r, unsigned max) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (!isdigit((unsigned char) v[0]) || *end || errno || n > max)
                return reason(r, "invalid number '%s' (0 to %u)", v, max);
        *(unsigned *) field = (unsigned) n;
        return 0;
}

/* 1 to max; zero_reason says why 0 is not. */
static int parse_positive(const char *v, void *field, char **r, unsigned max, const char *zero_reason) {
        int ret = parse_uint(v, field, r, max);
        if (ret == 0 && *(unsigned *) field == 0)
                return reason(r, "%s", zero_reason);
        return ret;
}

static int parse_max_clients(const char *v, void *field, char **r) {
        return parse_positive(v, field, r, 1024, "max_clients must be at least 1");
}

#define MAX_PROCESSES_MAX 4194304       /* the kernel's PID_MAX_LIMIT */

static int parse_max_processes(const char *v, void *field, char **r) {
        return parse_positive(v, field, r, MAX_PROCESSES_MAX, "max_processes must be at least 1");
}

/* "none", or bytes with an optional K, M, G or T (powers of 1024): at least 1M. */
static int parse_max_memory(const char *v, void *field, char **r) {
        if (STREQ(v, "none")) {
                *(uint64_t *) field = 0;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        unsigned shift = 0;
        if (*end && !end[1]) {
                const char *units = "KMGT", *u = strchr(units, *end);
                if (u && *u)
                        shift = 10 * (unsigned) (u - units + 1);
                end += u && *u ? 1 : 0;
        }
        if (!isdigit((unsigned char) v[0]) || *end || errno || n > (UINT64_MAX >> 40) || (n << shift) < (1ULL << 20))
                return reason(r, "invalid max_memory '%s' (none, or at least 1M: bytes with K, M, G or T)", v);
        *(uint64_t *) field = (uint64_t) n << shift;
        return 0;
}

static int parse_instances(const char *v, void *field, char **r) {
        return parse_uint(v, field, r, 1024);
}

/* Whitespace-separated words, each checked by ok(). An empty value is an empty list. */
static int parse_words(const char *v, strv *field, char **r, bool (*ok)(const char *), const char *what) {
        size_t n = 0;
        strv l = calloc(strlen(v) / 2 + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (const char *p = v; *p; ) {
                while (*p == ' ' || *p == '\t')
                        p++;
                size_t len = strcspn(p, " \t");
                if (len == 0)
                        break;
                l[n] = strndup(p, len);
                if (!l[n]) {
                        strv_free(l);
                        return -ENOMEM;
                }
                if (!ok(l[n])) {
                        int ret = reason(r, "invalid %s '%s'", what, l[n]);
                        strv_free(l);
                        return ret;
                }
                n++;
                p += len;
        }
        strv_free(*field);
        *field = l;
        return 0;
}

static bool user_name_ok(const char *s) {
        if (!*s || strlen(s) > 32 || !(isalpha((unsigned char) s[0]) || s[0] == '_'))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-' && *p != '.')
                        return false;
        return true;
}

/* Variables that change how the dynamic linker, libc or the resolver behave are never
 * passed from a caller to an app that runs as another user. */
static bool env_name_ok(const char *s) {
        static const char *const deny[] = {
                "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "MALLOC_TRACE",
                "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "HOME", "PATH", "USER",
                "LOGNAME", "SHELL", "XDG_RUNTIME_DIR", "WAYLAND_DISPLAY", "DISPLAY", "XAUTHORITY",
                "PULSE_SERVER", "DBUS_SESSION_BUS_ADDRESS", "IFS", "ENV", "BASH_ENV",
        };
        if (!*s || strlen(s) > 64 || !(isalpha((unsigned char) s[0]) || s[0] == '_'))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return false;
        if (strncmp(s, "LD_", 3) == 0 || strncmp(s, "MALLOC_", 7) == 0 || strncmp(s, "GLIBC_", 6) == 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(deny); i++)
                if (STREQ(s, deny[i]))
                        return false;
        return true;
}

static bool exec_word_ok(const char *s) {
        for (const char *p = s; *p; p++)
                if (iscntrl((unsigned char) *p))
                        return false;
        return *s != '\0';
}

const char *bind_path_problem(const char *path) {
        char real[PATH_MAX];
        if (path[0] != '/')
                return "is not an absolute path";
        if (STREQ(path, "/"))
                return "is / (the view is built from nothing: name what a program needs)";
        if (strlen(path) > 200)
                return "is too long (at most 200 characters)";
        for (const char *p = path; *p; p++)
                if (iscntrl((unsigned char) *p))
                        return "contains control characters";
        if (strstr(path, "/./") || strstr(path, "/../") || strstr(path, "//") || path[strlen(path) - 1] == '/' ||
            (strlen(path) >= 2 && STREQ(path + strlen(path) - 2, "/.")) ||
            (strlen(path) >= 3 && STREQ(path + strlen(path) - 3, "/..")))
                return "is not canonical (a '.' or '..' component, or a double or trailing slash)";
        if (!realpath(path, real))
                return errno == ENOENT ? "does not exist" : "cannot be resolved";
        if (!STREQ(real, path))
                return "leads through a symlink (name the path it leads to)";
        return NULL;
}

static int parse_root_maps_to(const char *v, void *field, char **r) {
        if (!user_name_ok(v))
                return reason(r, "invalid user name '%s'", v);
        if (STREQ(v, "root"))
                return reason(r, "root_maps_to must be an unprivileged user, not root");
        return set_string(field, v);
}

static int parse_users(const char *v, void *field, char **r) {
        return parse_words(v, field, r, user_name_ok, "user name");
}

static int parse_groups(const char *v, void *field, char **r) {
        return parse_words(v, field, r, user_name_ok, "group name");
}

static int parse_env_names(const char *v, void *field, char **r) {
        return parse_words(v, field, r, env_name_ok, "variable name (LD_*, PATH, HOME and the like are never passed)");
}

static int parse_exec(const char *v, void *field, char **r) {
        strv l = NULL;
        int ret = parse_words(v, &l, r, exec_word_ok, "word");
        if (ret < 0)
                return ret;
        if (!l[0] || l[0][0] != '/') {
                strv_free(l);
                return reason(r, "exec must start with an absolute path");
        }
        strv_free(*(strv *) field);
        *(strv *) field = l;
        return 0;
}

/* A command line that may be empty (none): [portal] on_online. */
static int parse_command(const char *v, void *field, char **r) {
        if (v[strspn(v, " \t")] == '\0') {
                strv_free(*(strv *) field);
                *(strv *) field = NULL;
                return 0;
        }
        return parse_exec(v, field, r);
}

static int parse_binds(const char *v, void *field, char **r) {
        strv l = NULL;
        int ret = parse_words(v, &l, r, exec_word_ok, "path");
        if (ret < 0)
                return ret;
        for (strv w = l; *w; w++) {
                const char *why = bind_path_problem(*w);
                if (why) {
                        ret = reason(r, "path '%.200s' %s", *w, why);
                        strv_free(l);
                        return ret;
                }
        }
        strv_free(*(strv *) field);
        *(strv *) field = l;
        return 0;
}

static int parse_user(const char *v, void *field, char **r) {
        if (!user_name_ok(v))
                return reason(r, "invalid user name '%s'", v);
        if (STREQ(v, "root"))
                return reason(r, "an app never runs as root");
        return set_string(field, v);
}

/* One of two words, as an enum stored in an int-sized field. */
static int parse_choice(const char *v, int *field, char **r, const char *key, const char *a, int va, const char *b,
                        int vb) {
        if (STREQ(v, a))
                *field = va;
        else if (STREQ(v, b))
                *field = vb;
        else
                return reason(r, "invalid %s '%s' (expected %s or %s)", key, v, a, b);
        return 0;
}

static int parse_args_kind(const char *v, void *field, char **r) {
        _Static_assert(sizeof(enum app_args) == sizeof(int), "enum app_args is an int");
        return parse_choice(v, field, r, "args", "none", APP_ARGS_NONE, "url", APP_ARGS_URL);
}

static int parse_home(const char *v, void *field, char **r) {
        _Static_assert(sizeof(enum app_home) == sizeof(int), "enum app_home is an int");
        return parse_choice(v, field, r, "home", "tmpfs", APP_HOME_TMPFS, "keep", APP_HOME_KEEP);
}

static int parse_sockets(const char *v, void *field, char **r) {
        static const struct { const char *name; unsigned bit; } map[] = {
                { "wayland", APP_SOCKET_WAYLAND }, { "pipewire", APP_SOCKET_PIPEWIRE },
                { "pulse", APP_SOCKET_PULSE }, { "x11", APP_SOCKET_X11 },
                { "a11y", APP_SOCKET_A11Y }, { "ibus", APP_SOCKET_IBUS },
        };
        strv l = NULL;
        int ret = parse_words(v, &l, r, exec_word_ok, "socket");
        if (ret < 0)
                return ret;
        unsigned bits = 0;
        for (strv w = l; *w; w++) {
                size_t i;
                for (i = 0; i < ELEMENTSOF(map) && !STREQ(*w, map[i].name); i++)
                        ;
                if (i == ELEMENTSOF(map)) {
                        ret = reason(r, "invalid socket '%s' (expected wayland, pipewire, pulse, x11, a11y or ibus)", *w);
                        strv_free(l);
                        return ret;
                }
                bits |= map[i].bit;
        }
        strv_free(l);
        *(unsigned *) field = bits;
        return 0;
}

static int parse_app_name(const char *v, void *field, char **r) {
        if (!proto_app_name_is_valid(v))
                return reason(r, "invalid app name '%s'", v);
        return set_string(field, v);
}

static int parse_url(const char *v, void *field, char **r) {
        if (!app_url_is_valid(v))
                return reason(r, "invalid URL '%.64s' (http:// or https://, at most %d characters)", v, APP_URL_MAX);
        return set_string(field, v);
}

static int parse_expect(const char *v, void *field, char **r) {
        if (strlen(v) > 256)
                return reason(r, "expect is longer than 256 characters");
        for (const char *p = v; *p; p++)
                if (!isprint((unsigned char) *p))
                        return reason(r, "expect contains non-printable characters");
        return set_string(field, v);
}

static int parse_timeout(const char *v, void *field, char **r) {
        return parse_positive(v, field, r, 60, "timeout must be between 1 and 60 seconds");
}

static int parse_threshold(const char *v, void *field, char **r) {
        return parse_positive(v, field, r, 86400, "threshold must be between 1 and 86400 seconds");
}

static int parse_ns_kind(const char *v, void *field, char **r) {
        _Static_assert(sizeof(enum ns_kind) == sizeof(int), "enum ns_kind is an int");
        return parse_choice(v, field, r, "kind", "internet", NS_KIND_INTERNET, "tor-ports", NS_KIND_TOR_PORTS);
}

/* "9050 951": TCP ports 1-65535, each once, at most CONFIG_MAX_EXPOSE. */
static int parse_ports(const char *v, void *field, char **r) {
        struct expose_ports *l = field, out = {};
        strv words = NULL;
        int ret = parse_words(v, &words, r, exec_word_ok, "port");
        if (ret < 0)
                return ret;
        for (strv w = words; *w && ret == 0; w++) {
                unsigned port;
                _cleanup_free_ char *ignored = NULL;
                if (parse_uint(*w, &port, &ignored, 65535) < 0 || port == 0)
                        ret = reason(r, "invalid port '%s' (1 to 65535)", *w);
                for (unsigned i = 0; ret == 0 && i < out.n; i++)
                        if (out.port[i] == port)
                                ret = reason(r, "port %u listed twice", port);
                if (ret == 0 && out.n >= CONFIG_MAX_EXPOSE)
                        ret = reason(r, "too many ports (at most %d)", CONFIG_MAX_EXPOSE);
                if (ret == 0)
                        out.port[out.n++] = (uint16_t) port;
        }
        strv_free(words);
        if (ret == 0)
                *l = out;
        return ret;
}

#define NS(f) offsetof(struct config, ns.f)
#define DM(f) offsetof(struct config, daemon.f)
#define RN(f) offsetof(struct config, run.f)
static const struct key_def key_table[] = {
        { "namespace", "name",          parse_name,    NS(name) },
        { "namespace", "netns_dir",     parse_path,    NS(netns_dir) },
        { "namespace", "host_veth",     parse_ifname,  NS(host_veth) },
        { "namespace", "ns_veth",       parse_ifname,  NS(ns_veth) },
        { "namespace", "host_address",  parse_address, NS(host_address) },
        { "namespace", "ns_address",    parse_address, NS(ns_address) },
        { "namespace", "nft_table",     parse_table,   NS(nft_table) },
        { "namespace", "resolv_conf",   parse_path,    NS(resolv_conf) },
        { "namespace", "etc_netns_dir", parse_path,    NS(etc_netns_dir) },
        { "namespace", "keep_on_exit",  parse_boolean, NS(keep_on_exit) },
        { "daemon",    "socket",        parse_path,    DM(socket) },
        { "daemon",    "state_dir",     parse_path,    DM(state_dir) },
        { "daemon",    "max_clients",   parse_max_clients, DM(max_clients) },
        { "daemon",    "cgroup",        parse_path,    DM(cgroup) },
        { "daemon",    "cgroup_v1_pids", parse_path,   DM(cgroup_v1_pids) },
        { "daemon",    "cgroup_v1_memory", parse_path, DM(cgroup_v1_memory) },
        { "daemon",    "limits",        parse_boolean, DM(limits) },
        { "run",       "users",         parse_users,   RN(users) },
        { "run",       "groups",        parse_groups,  RN(groups) },
        { "run",       "pid_namespace", parse_boolean, RN(pid_namespace) },
        { "run",       "bind",          parse_binds,   RN(bind) },
        { "run",       "bind_ro",       parse_binds,   RN(bind_ro) },
        { "run",       "root_maps_to",  parse_root_maps_to, RN(root_maps_to) },
        { "run",       "max_processes", parse_max_processes, RN(max_processes) },
        { "run",       "max_memory",    parse_max_memory, RN(max_memory) },
        { "portal",    "app",           parse_app_name, offsetof(struct config, portal.app) },
        { "portal",    "url",           parse_url,     offsetof(struct config, portal.url) },
        { "portal",    "expect",        parse_expect,  offsetof(struct config, portal.expect) },
        { "portal",    "timeout",       parse_timeout, offsetof(struct config, portal.timeout) },
        { "portal",    "on_online",     parse_command, offsetof(struct config, portal.on_online) },
        { "time",      "callers",       parse_users,   offsetof(struct config, time.callers) },
        { "time",      "caller_groups", parse_groups,  offsetof(struct config, time.caller_groups) },
        { "time",      "threshold",     parse_threshold, offsetof(struct config, time.threshold) },
        { "time",      "clock_file",    parse_path,    offsetof(struct config, time.clock_file) },
};
_Static_assert(ELEMENTSOF(key_table) <= 64, "seen bitmap too small");

#define AP(f) offsetof(struct app_config, f)
static const struct key_def app_key_table[] = {
        { "app", "exec",          parse_exec,       AP(exec) },
        { "app", "args",          parse_args_kind,  AP(args) },
        { "app", "user",          parse_user,       AP(user) },
        { "app", "callers",       parse_users,      AP(callers) },
        { "app", "caller_groups", parse_groups,     AP(caller_groups) },
        { "app", "enabled",       parse_boolean,    AP(enabled) },
        { "app", "instances",     parse_instances,  AP(instances) },
        { "app", "home",          parse_home,       AP(home) },
        { "app", "sockets",       parse_sockets,    AP(sockets) },
        { "app", "env",           parse_env_names,  AP(env) },
        { "app", "pid_namespace", parse_boolean,    AP(pid_namespace) },
        { "app", "bind",          parse_binds,      AP(bind) },
        { "app", "bind_ro",       parse_binds,      AP(bind_ro) },
        { "app", "max_processes", parse_max_processes, AP(max_processes) },
        { "app", "max_memory",    parse_max_memory, AP(max_memory) },
        { "app", "namespace",     parse_name,       AP(namespace) },
};

/* [namespace NAME] ("ns" in this table): the keys of a further namespace (netns_dir and
 * etc_netns_dir are [namespace]'s, shared by all). */
#define NN(f) offsetof(struct namespace_config, f)
static const struct key_def ns_key_table[] = {
        { "ns",        "kind",          parse_ns_kind, NN(kind) },
        { "ns",        "expose",        parse_ports,   NN(expose) },
        { "ns",        "host_veth",     parse_ifname,  NN(host_veth) },
        { "ns",        "ns_veth",       parse_ifname,  NN(ns_veth) },
        { "ns",        "host_address",  parse_address, NN(host_address) },
        { "ns",        "ns_address",    parse_address, NN(ns_address) },
        { "ns",        "nft_table",     parse_table,   NN(nft_table) },
        { "ns",        "resolv_conf",   parse_path,    NN(resolv_conf) },
        { "ns",        "keep_on_exit",  parse_boolean, NN(keep_on_exit) },
        { "ns",        "per_user",      parse_boolean, NN(per_user) },
        { "ns",        "pool",          parse_address, NN(pool) },
};
enum { NS_KEY_HOST_VETH = 2, NS_KEY_HOST_ADDRESS = 4, NS_KEY_NS_ADDRESS = 5, NS_KEY_POOL = 10 };
#define NS_KEY_ADDRESSES ((1u << NS_KEY_HOST_VETH) | (1u << NS_KEY_HOST_ADDRESS) | (1u << NS_KEY_NS_ADDRESS))

static const char *const known_sections[] = { "namespace", "daemon", "run", "portal", "time" };

/* "app NAME" with a valid name: the NAME, else NULL. */
static const char *app_section_name(const char *section) {
        if (strncmp(section, "app ", 4) != 0)
                return NULL;
        const char *name = section + 4;
        return proto_app_name_is_valid(name) ? name : NULL;
}

/* A further namespace's name: a file name and part of a table name, so letters, digits
 * and '_' only, at most CONFIG_NS_NAME_MAX. */
static bool ns_name_ok(const char *name) {
        return is_safe_name(name, CONFIG_NS_NAME_MAX, false);
}

/* "namespace NAME" with a valid name: the NAME, else NULL. */
static const char *ns_section_name(const char *section) {
        if (strncmp(section, "namespace ", 10) != 0)
                return NULL;
        return ns_name_ok(section + 10) ? section + 10 : NULL;
}

static bool section_is_known(const char *section) {
        for (size_t i = 0; i < ELEMENTSOF(known_sections); i++)
                if (STREQ(section, known_sections[i]))
                        return true;
        return app_section_name(section) != NULL || ns_section_name(section) != NULL;
}

const struct namespace_config *config_find_namespace(const struct config *cfg, const char *name) {
        if (!name || STREQ(name, cfg->ns.name))
                return &cfg->ns;
        for (size_t i = 0; i < cfg->n_more_ns; i++)
                if (STREQ(cfg->more_ns[i].name, name))
                        return &cfg->more_ns[i];
        return NULL;
}

const struct namespace_config *config_app_namespace(const struct config *cfg, const struct app_config *app) {
        const struct namespace_config *ns = config_find_namespace(cfg, app ? app->namespace : NULL);
        return ns ? ns : &cfg->ns;      /* cross_check() made sure it exists */
}

size_t config_n_namespaces(const struct config *cfg) {
        return 1 + cfg->n_more_ns;
}

const struct namespace_config *config_namespace(const struct config *cfg, size_t i) {
        return i == 0 ? &cfg->ns : &cfg->more_ns[i - 1];
}

const char *ns_kind_name(enum ns_kind kind) {
        return kind == NS_KIND_TOR_PORTS ? "tor-ports" : "internet";
}

const struct app_config *config_find_app(const struct config *cfg, const char *name) {
        for (size_t i = 0; i < cfg->n_apps; i++)
                if (STREQ(cfg->apps[i].name, name))
                        return &cfg->apps[i];
        return NULL;
}

static int app_defaults(struct app_config *app, const char *name) {
        *app = (struct app_config) { .enabled = true, .instances = 1, .home = APP_HOME_TMPFS, .pid_namespace = true,
                                     .max_processes = 1024 };
        app->name = strdup(name);
        app->callers = calloc(1, sizeof(char *));
        app->caller_groups = calloc(1, sizeof(char *));
        app->env = calloc(1, sizeof(char *));
        return app->name && app->callers && app->caller_groups && app->env ? 0 : -ENOMEM;
}

static void app_free(struct app_config *app) {
        free(app->name);
        free(app->namespace);
        strv_free(app->exec);
        free(app->user);
        strv_free(app->callers);
        strv_free(app->caller_groups);
        strv_free(app->env);
        strv_free(app->bind);
        strv_free(app->bind_ro);
        *app = (struct app_config) {};
}

/* The app of this section: the one being filled, or a new one. NULL when the section
 * was seen before (a repeated [app X] would silently merge) or there are too many. */
static struct app_config *app_for_section(struct parse_state *st, const char *name, char **why) {
        struct config *cfg = st->cfg;
        if (cfg->n_apps > 0 && STREQ(cfg->apps[cfg->n_apps - 1].name, name) && st->current_app_open)
                return &cfg->apps[cfg->n_apps - 1];
        if (config_find_app(cfg, name)) {
                reason(why, "section [app %s] appears twice", name);
                return NULL;
        }
        if (cfg->n_apps >= CONFIG_MAX_APPS) {
                reason(why, "too many apps (at most %d)", CONFIG_MAX_APPS);
                return NULL;
        }
        if (app_defaults(&cfg->apps[cfg->n_apps], name) < 0) {
                *why = strdup("out of memory");
                return NULL;
        }
        st->current_app_open = true;
        return &cfg->apps[cfg->n_apps++];
}

void config_namespace_free(struct namespace_config *ns) {
        free(ns->name);
        free(ns->netns_dir);
        free(ns->host_veth);
        free(ns->ns_veth);
        free(ns->nft_table);
        free(ns->resolv_conf);
        free(ns->etc_netns_dir);
        *ns = (struct namespace_config) {};
}

/* The namespace of this [namespace NAME] section: a new one (prescan() refused repeated
 * sections), or the one being filled. */
static struct namespace_config *ns_for_section(struct parse_state *st, const char *name, char **why) {
        struct config *cfg = st->cfg;
        if (cfg->n_more_ns > 0 && STREQ(cfg->more_ns[cfg->n_more_ns - 1].name, name) && st->current_app_open)
                return &cfg->more_ns[cfg->n_more_ns - 1];
        if (STREQ(name, cfg->ns.name) || config_find_namespace(cfg, name) != NULL) {
                reason(why, "namespace '%s' is configured twice", name);
                return NULL;
        }
        if (cfg->n_more_ns >= CONFIG_MAX_NAMESPACES) {
                reason(why, "too many namespaces (at most %d besides the clearnet one)", CONFIG_MAX_NAMESPACES);
                return NULL;
        }
        struct namespace_config *ns = &cfg->more_ns[cfg->n_more_ns];
        *ns = (struct namespace_config) { .kind = NS_KIND_INTERNET };
        if (set_string(&ns->name, name) < 0 || set_string(&ns->ns_veth, "veth0") < 0) {
                config_namespace_free(ns);
                *why = strdup("out of memory");
                return NULL;
        }
        st->current_app_open = true;
        cfg->n_more_ns++;
        return ns;
}

static int set_key(struct parse_state *st, const struct key_def *table, size_t n, void *base, unsigned *seen,
                   const char *section, const char *name, const char *value) {
        char *r = NULL;
        for (size_t i = 0; i < n; i++) {
                const struct key_def *k = &table[i];
                if (!STREQ(k->key, name))
                        continue;
                if (*seen & (1u << i)) {
                        reason(&st->error, "duplicate key '%s' in [%s]", name, section);
                        return 0;
                }
                *seen |= 1u << i;
                bool may_be_empty = k->parse == parse_users || k->parse == parse_groups ||
                                    k->parse == parse_env_names || k->parse == parse_sockets ||
                                    k->parse == parse_command || k->parse == parse_binds;
                if (value[0] == '\0' && !may_be_empty) {
                        reason(&st->error, "empty value for '%s'", name);
                        return 0;
                }
                int ret = k->parse(value, (char *) base + k->offset, &r);
                if (ret < 0) {
                        st->error = r ? r : strdup(ret == -ENOMEM ? "out of memory" : "invalid value");
                        return 0;
                }
                return 1;
        }
        reason(&st->error, "unknown key '%s' in [%s]", name, section);
        return 0;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value) {
        struct parse_state *st = user;
        const char *app = app_section_name(section);

        if (!section_is_known(section)) {
                reason(&st->error, section[0] ? "key '%s' in unknown section [%s]" : "key '%s' outside of any section",
                       name, section);
                return 0;
        }
        if (!STREQ(section, st->current_section)) {
                snprintf(st->current_section, sizeof st->current_section, "%s", section);
                st->current_app_open = false;
        }
        const char *nsname = ns_section_name(section);
        if (nsname) {
                struct namespace_config *ns = ns_for_section(st, nsname, &st->error);
                if (!ns)
                        return 0;
                return set_key(st, ns_key_table, ELEMENTSOF(ns_key_table), ns, &ns->seen, section, name, value);
        }
        if (app) {
                struct app_config *a = app_for_section(st, app, &st->error);
                if (!a)
                        return 0;
                return set_key(st, app_key_table, ELEMENTSOF(app_key_table), a, &a->seen, section, name, value);
        }
        /* Only keys of this section: the table lists each key with its section. */
        size_t first = 0, count = 0;
        for (size_t i = 0; i < ELEMENTSOF(key_table); i++)
                if (STREQ(key_table[i].section, section)) {
                        if (!count)
                                first = i;
                        count++;
                }
        /* (set_key() takes 32 bits: no section has more keys) */
        unsigned seen = (unsigned) (st->seen >> first);
        int ret = set_key(st, key_table + first, count, st->cfg, &seen, section, name, value);
        st->seen |= (uint64_t) seen << first;
        return ret;
}

/* Line number (1-based) where key is set in section, 0 when not found: for errors that
 * involve more than one key, which inih cannot attribute to a line. */
/* The one line scanner over the raw text: inih reports no line for what is checked after
 * parsing, and merges a repeated section into the first. */
struct line_scan {
        const char *next;       /* start of the next line */
        unsigned line;          /* number of the current one, from 1 */
        const char *begin;      /* the current line */
        const char *start;      /* the same, at its first non-space */
        const char *eol;
};

static bool scan_next(struct line_scan *ls) {
        if (!*ls->next)
                return false;
        ls->line++;
        ls->eol = strchrnul(ls->next, '\n');
        ls->begin = ls->start = ls->next;
        while (ls->start < ls->eol && isspace((unsigned char) *ls->start))
                ls->start++;
        ls->next = *ls->eol ? ls->eol + 1 : ls->eol;
        return true;
}

/* A "[name]" header: 1 with the name, 0 for any other line, -1 for a malformed header. */
static int scan_section(const struct line_scan *ls, char *ret, size_t size) {
        if (*ls->start != '[')
                return 0;
        const char *close = memchr(ls->start, ']', (size_t) (ls->eol - ls->start));
        if (!close || (size_t) (close - ls->start - 1) >= size)
                return -1;
        size_t n = (size_t) (close - ls->start - 1);
        memcpy(ret, ls->start + 1, n);
        ret[n] = '\0';
        return 1;
}

static bool scan_is_key(const struct line_scan *ls, const char *key) {
        size_t n = strlen(key);
        if ((size_t) (ls->eol - ls->start) < n || strncmp(ls->start, key, n) != 0)
                return false;
        const char *t = ls->start + n;
        while (t < ls->eol && (*t == ' ' || *t == '\t'))
                t++;
        return t < ls->eol && (*t == '=' || *t == ':');
}

/* The line of key in section, or of the section's header when key is NULL; 0 if none. */
static unsigned find_key_line(const char *text, const char *section, const char *key) {
        struct line_scan ls = { .next = text };
        char cur[128] = "";
        while (scan_next(&ls)) {
                int h = scan_section(&ls, cur, sizeof cur);
                if (h != 0) {
                        if (h > 0 && !key && STREQ(cur, section))
                                return ls.line;
                } else if (key && STREQ(cur, section) && scan_is_key(&ls, key))
                        return ls.line;
        }
        return 0;
}

static int prescan(const char *text, size_t len, unsigned *ret_line, char **ret_reason) {
        if (memchr(text, '\0', len))
                return reason(ret_reason, "file contains a NUL byte"), *ret_line = 0, -EINVAL;
        struct line_scan ls = { .next = text };
        unsigned n_seen = 0;
        char seen[CONFIG_MAX_APPS + CONFIG_MAX_NAMESPACES + 8][128];
        while (scan_next(&ls)) {
                *ret_line = ls.line;
                if ((size_t) (ls.eol - ls.begin) > CONFIG_MAX_LINE)
                        return reason(ret_reason, "line longer than %d characters", CONFIG_MAX_LINE);
                char name[128];
                int h = scan_section(&ls, name, sizeof name);
                if (h < 0)
                        return reason(ret_reason, memchr(ls.start, ']', (size_t) (ls.eol - ls.start))
                                                      ? "section name too long" : "section header without ']'");
                if (h == 0)
                        continue;
                if (!section_is_known(name))
                        return reason(ret_reason, "unknown section [%s]", name);
                for (unsigned i = 0; i < n_seen; i++)
                        if (STREQ(seen[i], name))
                                return reason(ret_reason, "section [%s] appears twice", name);
                if (n_seen < ELEMENTSOF(seen))
                        memcpy(seen[n_seen++], name, strlen(name) + 1);
        }
        return 0;
}

/* Is a equal to b, or one of them above the other? */
static bool path_overlaps(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
        return strncmp(a, b, n) == 0 && (la == lb || (la < lb ? b[la] : a[lb]) == '/');
}

/* A bind or bind_ro path never shows what the view keeps out of sight by design (the
 * daemon's socket and state, the namespaces) nor stands in for what it builds itself. */
static int check_binds(const struct config *cfg, const char *text, const char *section, const char *key,
                       char *const *paths, unsigned *ret_line, char **ret_reason) {
        char sockdir[PATH_MAX];
        snprintf(sockdir, sizeof sockdir, "%s", cfg->daemon.socket);
        char *slash = strrchr(sockdir, '/');
        if (slash && slash != sockdir)
                *slash = '\0';
        const char *const hidden[] = { sockdir, cfg->daemon.state_dir, cfg->ns.netns_dir, "/run/netns", "/proc",
                                       "/sys", "/dev" };
        for (size_t i = 0; paths && paths[i]; i++)
                for (size_t j = 0; j < ELEMENTSOF(hidden); j++)
                        if (path_overlaps(paths[i], hidden[j])) {
                                *ret_line = find_key_line(text, section, key);
                                return reason(ret_reason, "%s path '%s' overlaps %s, which a launch never sees "
                                              "or gets from the view itself", key, paths[i], hidden[j]);
                        }
        return 0;
}

/* host_address and ns_address of one namespace: one subnet, two unicast hosts in it. */
static int check_pair(const struct namespace_config *ns, char **ret_reason) {
        const struct ipv4_prefix *h = &ns->host_address, *n = &ns->ns_address;
        uint32_t ha = ntohl(h->addr.s_addr), na = ntohl(n->addr.s_addr);
        if (h->prefixlen != n->prefixlen)
                return reason(ret_reason, "host_address and ns_address must have the same prefix length");
        uint32_t mask = h->prefixlen ? ~0u << (32 - h->prefixlen) : 0;
        if ((ha & mask) != (na & mask))
                return reason(ret_reason, "host_address and ns_address must be in the same subnet");
        if (ha == na)
                return reason(ret_reason, "host_address and ns_address must differ");
        uint32_t bcast = (na & mask) | ~mask;
        if ((ha & ~mask) == 0 || (na & ~mask) == 0 || ha == bcast || na == bcast)
                return reason(ret_reason, "host_address and ns_address must not be the network or broadcast address");
        uint8_t first = (uint8_t) (na >> 24);
        if (first == 127 || first == 0 || first >= 224)
                return reason(ret_reason, "addresses must be unicast and outside 127.0.0.0/8");
        return 0;
}

static bool subnets_overlap(const struct ipv4_prefix *a, const struct ipv4_prefix *b) {
        int len = a->prefixlen < b->prefixlen ? a->prefixlen : b->prefixlen;
        uint32_t mask = len ? ~0u << (32 - len) : 0;
        return ((ntohl(a->addr.s_addr) ^ ntohl(b->addr.s_addr)) & mask) == 0;
}

static void ns_section(const struct namespace_config *ns, const struct config *cfg, char *buf, size_t size) {
        if (ns == &cfg->ns)
                snprintf(buf, size, "namespace");
        else
                snprintf(buf, size, "namespace %s", ns->name);
}

/* The line of key in ns's section, else of its header. */
static unsigned ns_line(const struct config *cfg, const struct namespace_config *ns, const char *text, const char *key) {
        char section[128];
        ns_section(ns, cfg, section, sizeof section);
        unsigned l = find_key_line(text, section, key);
        return l ? l : find_key_line(text, section, NULL);
}

/* per_user = yes: a pool instead of a veth and addresses; pool of at least four /30s,
 * given as its network address. */
static int finish_per_user(struct namespace_config *ns, const char *text, const struct config *cfg, unsigned *ret_line,
                           char **ret_reason) {
        if (!(ns->seen & (1u << NS_KEY_POOL)))
                return reason(ret_reason, "[namespace %s] has per_user = yes and no pool (e.g. pool = 10.201.0.0/16)", ns->name);
        if (ns->seen & NS_KEY_ADDRESSES)
                return *ret_line = ns_line(cfg, ns, text, "per_user"),
                       reason(ret_reason, "per_user = yes takes each user's veth and addresses from pool: no host_veth, "
                              "host_address or ns_address");
        uint32_t mask = ~0u << (32 - ns->pool.prefixlen);
        *ret_line = ns_line(cfg, ns, text, "pool");
        if (ns->pool.prefixlen > 28)
                return reason(ret_reason, "pool must be a /28 or larger");
        if (ntohl(ns->pool.addr.s_addr) & ~mask)
                return reason(ret_reason, "pool must be given as its network address");
        uint8_t first = (uint8_t) (ntohl(ns->pool.addr.s_addr) >> 24);
        if (first == 127 || first == 0 || first >= 224)
                return reason(ret_reason, "addresses must be unicast and outside 127.0.0.0/8");
        return 0;
}

/* A further namespace, after parsing: what it must have, and what it takes from [namespace]. */
static int finish_namespace(struct config *cfg, struct namespace_config *ns, const char *text, unsigned *ret_line,
                            char **ret_reason) {
        static const struct { unsigned bit; const char *key; } required[] = {
                { 1u << NS_KEY_HOST_VETH, "host_veth" }, { 1u << NS_KEY_HOST_ADDRESS, "host_address" },
                { 1u << NS_KEY_NS_ADDRESS, "ns_address" },
        };
        *ret_line = ns_line(cfg, ns, text, NULL);
        int r = ns->per_user ? finish_per_user(ns, text, cfg, ret_line, ret_reason) : 0;
        if (r < 0)
                return r;
        if (!ns->per_user && (ns->seen & (1u << NS_KEY_POOL)))
                return *ret_line = ns_line(cfg, ns, text, "pool"), reason(ret_reason, "pool is for per_user = yes only");
        for (size_t i = 0; i < ELEMENTSOF(required) && !ns->per_user; i++)
                if (!(ns->seen & required[i].bit))
                        return reason(ret_reason, "[namespace %s] has no %s", ns->name, required[i].key);
        if (ns->kind == NS_KIND_TOR_PORTS && ns->expose.n == 0)
                return *ret_line = ns_line(cfg, ns, text, "kind"),
                       reason(ret_reason, "[namespace %s] is of kind tor-ports and exposes no port (expose = 9050 951)", ns->name);
        if (ns->kind != NS_KIND_TOR_PORTS && ns->expose.n > 0)
                return *ret_line = ns_line(cfg, ns, text, "expose"),
                       reason(ret_reason, "expose is for kind = tor-ports only");
        if (ns->kind == NS_KIND_TOR_PORTS && ns->resolv_conf)
                return *ret_line = ns_line(cfg, ns, text, "resolv_conf"),
                       reason(ret_reason, "a tor-ports namespace has no DNS of its own (names go through Tor): no resolv_conf");
        if (!ns->nft_table && asprintf(&ns->nft_table, "%s_%s", cfg->ns.nft_table, ns->name) < 0)
                return -ENOMEM;
        if (ns->kind == NS_KIND_INTERNET && !ns->resolv_conf && set_string(&ns->resolv_conf, cfg->ns.resolv_conf) < 0)
                return -ENOMEM;
        if (set_string(&ns->netns_dir, cfg->ns.netns_dir) < 0 || set_string(&ns->etc_netns_dir, cfg->ns.etc_netns_dir) < 0)
                return -ENOMEM;
        return 0;
}

/* The addresses a namespace may use: its subnet, or its whole pool. */
static const struct ipv4_prefix *ns_subnet(const struct namespace_config *ns) {
        return ns->per_user ? &ns->pool : &ns->ns_address;
}

/* Two namespaces' names, veths, tables and subnets must all differ. */
static int check_distinct(const struct config *cfg, const struct namespace_config *a, const struct namespace_config *b,
                          const char *text, unsigned *ret_line, char **ret_reason) {
        char other[128];
        ns_section(a, cfg, other, sizeof other);
        if (a->per_user && b->per_user && strncmp(a->name, b->name, CONFIG_PER_USER_PREFIX) == 0)
                return *ret_line = ns_line(cfg, b, text, "per_user"),
                       reason(ret_reason, "per-user namespaces need names that differ in their first %d characters "
                              "(their veths are named after them): [%s]", CONFIG_PER_USER_PREFIX, other);
        if (a->host_veth && b->host_veth && STREQ(a->host_veth, b->host_veth))
                return *ret_line = ns_line(cfg, b, text, "host_veth"),
                       reason(ret_reason, "host_veth '%s' is also that of [%s]", b->host_veth, other);
        if (STREQ(a->nft_table, b->nft_table))
                return *ret_line = ns_line(cfg, b, text, "nft_table"),
                       reason(ret_reason, "nft_table '%s' is also that of [%s]", b->nft_table, other);
        if (subnets_overlap(ns_subnet(a), ns_subnet(b)))
                return *ret_line = ns_line(cfg, b, text, b->per_user ? "pool" : "ns_address"),
                       reason(ret_reason, "the subnet of %s overlaps that of [%s]", b->per_user ? "pool" : "ns_address", other);
        return 0;
}

static int check_namespaces(struct config *cfg, const char *text, unsigned *ret_line, char **ret_reason) {
        int r;
        for (size_t i = 0; i < cfg->n_more_ns; i++)
                if ((r = finish_namespace(cfg, &cfg->more_ns[i], text, ret_line, ret_reason)) < 0)
                        return r;
        for (size_t i = 0; i < config_n_namespaces(cfg); i++) {
                const struct namespace_config *ns = config_namespace(cfg, i);
                *ret_line = ns_line(cfg, ns, text, "ns_address");
                if (i == 0 && !find_key_line(text, "namespace", "ns_address"))
                        *ret_line = find_key_line(text, "namespace", "host_address");
                if (!ns->per_user && (r = check_pair(ns, ret_reason)) < 0)
                        return r;
                for (size_t k = 0; k < i; k++)
                        if ((r = check_distinct(cfg, config_namespace(cfg, k), ns, text, ret_line, ret_reason)) < 0)
                                return r;
        }
        return 0;
}

static int cross_check(struct config *cfg, const char *text, unsigned *ret_line, char **ret_reason) {
        int r = check_namespaces(cfg, text, ret_line, ret_reason);
        if (r < 0)
                return r;
        *ret_line = find_key_line(text, "daemon", "cgroup");
        if (cfg->daemon.cgroup && (cfg->daemon.cgroup_v1_pids || cfg->daemon.cgroup_v1_memory))
                return reason(ret_reason, "[daemon] cgroup (cgroup v2) and cgroup_v1_pids/cgroup_v1_memory (cgroup v1) "
                              "exclude each other");
        *ret_line = find_key_line(text, "daemon", "cgroup_v1_memory");
        if (cfg->daemon.cgroup_v1_memory && !cfg->daemon.cgroup_v1_pids)
                return reason(ret_reason, "[daemon] cgroup_v1_memory needs cgroup_v1_pids");
        for (size_t i = 0; i < cfg->n_apps; i++) {
                const struct app_config *a = &cfg->apps[i];
                char section[128];
                snprintf(section, sizeof section, "app %s", a->name);
                *ret_line = find_key_line(text, section, NULL);
                if (!a->exec)
                        return reason(ret_reason, "[app %s] has no exec", a->name);
                if (!a->user)
                        return reason(ret_reason, "[app %s] has no user", a->name);
                if (a->namespace && !config_find_namespace(cfg, a->namespace)) {
                        unsigned l = find_key_line(text, section, "namespace");
                        *ret_line = l ? l : *ret_line;
                        return reason(ret_reason, "[app %s] namespace '%s' is not configured", a->name, a->namespace);
                }
                /* The D-Bus proxy must end with the launch: its PID namespace's init ends it. */
                if ((a->sockets & (APP_SOCKET_A11Y | APP_SOCKET_IBUS)) && !a->pid_namespace) {
                        unsigned l = find_key_line(text, section, "sockets");
                        *ret_line = l ? l : *ret_line;
                        return reason(ret_reason, "[app %s] sockets a11y and ibus need pid_namespace = yes", a->name);
                }
                if (check_binds(cfg, text, section, "bind", a->bind, ret_line, ret_reason) < 0 ||
                    check_binds(cfg, text, section, "bind_ro", a->bind_ro, ret_line, ret_reason) < 0)
                        return -EINVAL;
        }
        if (check_binds(cfg, text, "run", "bind", cfg->run.bind, ret_line, ret_reason) < 0 ||
            check_binds(cfg, text, "run", "bind_ro", cfg->run.bind_ro, ret_line, ret_reason) < 0)
                return -EINVAL;
        /* The user is looked up by access/ (the config layer makes no NSS lookups): where
         * its error points. */
        cfg->run.root_maps_to_line = find_key_line(text, "run", "root_maps_to");
        *ret_line = 0;
        return 0;
}

int config_init(struct config *cfg) {
        *cfg = (struct config) {
                .ns.keep_on_exit = false,
        };
        struct { char **field; const char *value; } defaults[] = {
                { &cfg->ns.name, "clearnet" },
                { &cfg->ns.netns_dir, "/run/netns" },
                { &cfg->ns.host_veth, "veth-clearnet" },
                { &cfg->ns.ns_veth, "veth0" },
                { &cfg->ns.nft_table, "clearnet" },
                { &cfg->ns.resolv_conf, "/etc/resolv-over-clearnet.conf" },
                { &cfg->ns.etc_netns_dir, "/etc/netns" },
                { &cfg->daemon.socket, "/run/clearnet/nsd.sock" },
                { &cfg->daemon.state_dir, "/run/clearnet" },
        };
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                if (set_string(defaults[i].field, defaults[i].value) < 0) {
                        config_free(cfg);
                        return -ENOMEM;
                }
        static const char *const run_users[] = { "root", NULL }, *const none[] = { NULL };
        if (strv_copy(run_users, &cfg->run.users) < 0 || strv_copy(none, &cfg->run.groups) < 0) {
                config_free(cfg);
                return -ENOMEM;
        }
        cfg->daemon.max_clients = 64;
        cfg->run.pid_namespace = true;
        cfg->run.root_uid = 65534;      /* until a config is loaded: nobody */
        cfg->run.root_gid = 65534;
        cfg->run.max_processes = 1024;
        cfg->daemon.limits = true;
        if (strv_copy(run_users, &cfg->time.callers) < 0 || strv_copy(none, &cfg->time.caller_groups) < 0 ||
            set_string(&cfg->portal.app, "portal-check") < 0 ||
            set_string(&cfg->portal.url, "http://fedoraproject.org/static/hotspot.txt") < 0 ||
            set_string(&cfg->portal.expect, "OK") < 0) {
                config_free(cfg);
                return -ENOMEM;
        }
        cfg->portal.timeout = 10;
        cfg->time.threshold = 60;
        (void) parse_ipv4_prefix("10.200.1.17/30", &cfg->ns.host_address);
        (void) parse_ipv4_prefix("10.200.1.18/30", &cfg->ns.ns_address);
        return 0;
}

void config_free(struct config *cfg) {
        free(cfg->path);
        config_namespace_free(&cfg->ns);
        free(cfg->daemon.socket);
        free(cfg->daemon.state_dir);
        free(cfg->daemon.cgroup);
        free(cfg->daemon.cgroup_v1_pids);
        free(cfg->daemon.cgroup_v1_memory);
        strv_free(cfg->run.users);
        strv_free(cfg->run.groups);
        strv_free(cfg->run.bind);
        strv_free(cfg->run.bind_ro);
        free(cfg->run.root_maps_to);
        free(cfg->portal.app);
        free(cfg->portal.url);
        free(cfg->portal.expect);
        strv_free(cfg->portal.on_online);
        strv_free(cfg->time.callers);
        strv_free(cfg->time.caller_groups);
        free(cfg->time.clock_file);
        for (size_t i = 0; i < cfg->n_apps; i++)
                app_free(&cfg->apps[i]);
        for (size_t i = 0; i < cfg->n_more_ns; i++)
                config_namespace_free(&cfg->more_ns[i]);
        *cfg = (struct config) {};
}

int config_format_error(char **ret_error, const char *name, unsigned line, const char *why) {
        int r;
        if (line > 0)
                r = asprintf(ret_error, "%s:%u: %s", name, line, why ? why : "syntax error");
        else
                r = asprintf(ret_error, "%s: %s", name, why ? why : "syntax error");
        if (r < 0)
                *ret_error = NULL;
        return -EINVAL;
}

void config_ini_setup(unsigned max_line) {
        /* Debian's inih exposes its options as globals; '#' inline comments are used
         * throughout our examples, and a key split over lines would only confuse. */
        ini_inline_comment_prefixes = (char *) ";#";
        ini_allow_inline_comments = true;
        ini_allow_multiline = false;
        ini_stop_on_first_error = true;
        ini_use_stack = false;
        ini_allow_realloc = true;
        ini_max_line = (int) max_line + 3;
}

int config_ini_parse(const char *name, const char *text, ini_handler handler, void *user, char **handler_error,
                     char **ret_error) {
        int r = ini_parse_string(text, handler, user);
        _cleanup_free_ char *err = TAKE_PTR(*handler_error);
        if (r < 0)
                return -ENOMEM;
        if (r > 0)
                return config_format_error(ret_error, name, (unsigned) r,
                                           err ? err : "syntax error (expected 'key = value' or '[section]')");
        return 0;
}

int config_load_string(struct config *cfg, const char *name, const char *text, size_t len, char **ret_error) {
        struct parse_state st = { .cfg = cfg, .name = name, .text = text };
        _cleanup_free_ char *why = NULL;
        unsigned line = 0;

        *ret_error = NULL;
        if (prescan(text, len, &line, &why) < 0)
                return config_format_error(ret_error, name, line, why);

        config_ini_setup(CONFIG_MAX_LINE);

        int r = config_ini_parse(name, text, on_ini_entry, &st, &st.error, ret_error);
        if (r == -ENOMEM)
                return config_format_error(ret_error, name, 0, "out of memory");
        if (r < 0)
                return r;
        if (cross_check(cfg, text, &line, &why) < 0)
                return config_format_error(ret_error, name, line, why);
        return 0;
}

int config_load(struct config *cfg, const char *path, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        *ret_error = NULL;
        int r = read_file_reason(path, CONFIG_MAX_SIZE, &text, &len, ret_error);
        if (r < 0)
                return r;
        r = set_string(&cfg->path, path);
        if (r < 0)
                return r;
        return config_load_string(cfg, path, text, len, ret_error);
}
