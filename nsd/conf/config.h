/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config file (INI, parsed with inih): defaults, parsing, validation. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ini.h>

#include "strv.h"
#include "url.h"

#define CONFIG_DEFAULT_PATH CLEARNET_SYSCONFDIR "/clearnet/clearnet.conf"
#define CONFIG_MAX_SIZE (64 * 1024)
#define CONFIG_MAX_LINE 1024

struct ipv4_prefix {
        struct in_addr addr;   /* network byte order */
        uint8_t prefixlen;
};

/* What a namespace offers: the clearnet kind (NAT out to the internet), or only some of
 * the host's loopback TCP ports (Tor's), as 127.0.0.1:PORT inside, and nothing else. */
enum ns_kind { NS_KIND_INTERNET, NS_KIND_TOR_PORTS };

#define CONFIG_MAX_NAMESPACES 8
#define CONFIG_MAX_EXPOSE 8
#define CONFIG_NS_NAME_MAX 15
#define CONFIG_PER_USER_PREFIX 4       /* per-user veths: 'v', this much of the name, the uid */

struct expose_ports {
        uint16_t port[CONFIG_MAX_EXPOSE];
        unsigned n;
};

struct namespace_config {
        char *name;            /* also the file name under netns_dir */
        enum ns_kind kind;
        struct expose_ports expose;  /* tor-ports: the host's loopback ports offered inside */
        char *netns_dir;
        char *host_veth;
        char *ns_veth;
        struct ipv4_prefix host_address;
        struct ipv4_prefix ns_address;
        char *nft_table;
        char *resolv_conf;
        char *etc_netns_dir;   /* where `ip netns exec` looks for per-netns /etc files */
        bool keep_on_exit;
        /* per_user: one namespace for each launching user, made at its first launch from
         * a /30 of pool, removed after its last program; host_veth and the addresses are
         * then each user's (net/usernet.h). */
        bool per_user;
        struct ipv4_prefix pool;
        unsigned seen;         /* keys set in a [namespace NAME] section, for duplicates */
};

struct daemon_config {
        char *socket;
        char *state_dir;       /* original sysctl values, so a later --teardown can restore them */
        unsigned max_clients;  /* connections served at once; the next gets "busy" */
        char *cgroup;          /* cgroup v2 dir nsd uses for launches; NULL: its own */
        char *cgroup_v1_pids;  /* or, on a host whose pids controller is bound to cgroup v1: */
        char *cgroup_v1_memory; /* dirs in those v1 hierarchies (NULL: nsd's own there) */
        bool limits;           /* launches in cgroups with limits (no: none, said at start) */
};


/* [run]: who may run arbitrary commands (as themselves). */
struct run_config {
        strv users;
        strv groups;
        bool pid_namespace;    /* each command in its own PID namespace: nothing outlives it */
        strv bind;             /* host paths a command sees read-write, read-only (view.h) */
        strv bind_ro;
        char *root_maps_to;    /* the host user a root command's uid 0 maps to (NULL: default) */
        unsigned root_maps_to_line;  /* its line in the file (0: not set), for messages */
        uid_t root_uid;        /* ... resolved by access_resolve_root(): clearnet, else nobody */
        gid_t root_gid;
        unsigned max_processes; /* pids.max of each launch's cgroup */
        uint64_t max_memory;   /* memory.max in bytes; 0: none */
};

enum app_args { APP_ARGS_NONE, APP_ARGS_URL };
enum app_home { APP_HOME_TMPFS, APP_HOME_KEEP };
enum app_socket {
        APP_SOCKET_WAYLAND = 1 << 0,
        APP_SOCKET_PIPEWIRE = 1 << 1,
        APP_SOCKET_PULSE = 1 << 2,
        APP_SOCKET_X11 = 1 << 3,
        APP_SOCKET_A11Y = 1 << 4,      /* session bus (org.a11y.Bus) + a11y bus, via xdg-dbus-proxy */
        APP_SOCKET_IBUS = 1 << 5,      /* session bus (IBus and its portal), via xdg-dbus-proxy */
};

#define CONFIG_MAX_APPS 32
#define APP_URL_MAX 2048
/* What a caller may add to an app with args = url, and [portal] url: an http or https URL
 * without control characters or spaces, at most APP_URL_MAX long. */
static inline bool app_url_is_valid(const char *url) { return url_is_http(url, APP_URL_MAX); }

/* [app NAME]: a fixed command, run as a fixed user, for the listed callers. */
struct app_config {
        char *name;
        strv exec;             /* argv; exec[0] absolute */
        enum app_args args;
        char *user;
        strv callers;
        strv caller_groups;
        bool enabled;
        unsigned instances;    /* 0: no limit */
        enum app_home home;
        unsigned sockets;      /* enum app_socket bits */
        strv env;              /* variable names passed through from the caller */
        bool pid_namespace;
        strv bind;             /* host paths the app sees read-write, read-only (view.h) */
        strv bind_ro;
        unsigned max_processes; /* as in [run], for this app's launches */
        uint64_t max_memory;
        char *namespace;       /* the [namespace NAME] it runs in; NULL: the clearnet one */
        unsigned seen;         /* keys set, for duplicates */
};

/* [portal]: the captive-portal check, an [app] run as its own user (clearnet). */
struct portal_config {
        char *app;             /* the [app NAME] that is the check program */
        char *url;             /* NetworkManager's (Fedora's) connectivity check by default */
        char *expect;          /* the body that means "online" */
        unsigned timeout;      /* seconds, for the whole check */
        strv on_online;        /* run by the desktop user's notification scripts when the
                                * network is online after a portal (Tor can connect); NULL: none */
};

/* [time]: who may have nsd set the clock from the check's Date:, and when. */
struct time_config {
        strv callers;
        strv caller_groups;
        unsigned threshold;    /* set the clock only when it is off by more (seconds) */
        char *clock_file;      /* testing aid: a file that stands in for the system clock */
};

struct config {
        char *path;
        struct namespace_config ns;    /* [namespace]: the clearnet one */
        struct namespace_config more_ns[CONFIG_MAX_NAMESPACES];  /* [namespace NAME] */
        size_t n_more_ns;
        struct daemon_config daemon;
        struct run_config run;
        struct portal_config portal;
        struct time_config time;
        struct app_config apps[CONFIG_MAX_APPS];
        size_t n_apps;
};

const struct app_config *config_find_app(const struct config *cfg, const char *name);
/* The namespace called name; NULL or the clearnet one's name: cfg->ns. NULL if none. */
const struct namespace_config *config_find_namespace(const struct config *cfg, const char *name);
/* The namespace an app runs in (a command: the clearnet one). */
const struct namespace_config *config_app_namespace(const struct config *cfg, const struct app_config *app);
/* Every namespace, the clearnet one first: i from 0 to config_n_namespaces() - 1. */
size_t config_n_namespaces(const struct config *cfg);
const struct namespace_config *config_namespace(const struct config *cfg, size_t i);
const char *ns_kind_name(enum ns_kind kind);
/* Free the strings of one namespace's config (and zero it). */
void config_namespace_free(struct namespace_config *ns);

/* Fill *cfg with the defaults. */
int config_init(struct config *cfg);
void config_free(struct config *cfg);

/* Parse a file over the defaults. On failure returns a negative errno and, when the file
 * itself is at fault, a "file:line: reason" message in ret_error (caller frees). */
int config_load(struct config *cfg, const char *path, char **ret_error);
/* Same, from a buffer; name is used in messages. */
int config_load_string(struct config *cfg, const char *name, const char *text, size_t len, char **ret_error);

/* Helpers also used by tests. */
int parse_ipv4_prefix(const char *s, struct ipv4_prefix *ret);
int parse_bool(const char *s, bool *ret);
bool ifname_is_valid(const char *s);

/* Shared with the other INI files (clearnet-filter's filter.conf): */
/* inih set up as for clearnet.conf: '#' and ';' comments, also inline; lines of max_line. */
void config_ini_setup(unsigned max_line);
/* ini_parse_string() of text; a syntax error, or what the handler left in *handler_error
 * (taken and freed), as "name:line: why" in *ret_error (-EINVAL); -ENOMEM without one. */
int config_ini_parse(const char *name, const char *text, ini_handler handler, void *user, char **handler_error,
                     char **ret_error);
/* "name:line: why" ("name: why" when line is 0) in *ret_error; returns -EINVAL. */
int config_format_error(char **ret_error, const char *name, unsigned line, const char *why);
/* A bind/bind_ro path: absolute, canonical (no symlink, no . or .. component, no
 * trailing or double slash), not /, and a directory or file that exists. NULL, or why not. */
const char *bind_path_problem(const char *path);
