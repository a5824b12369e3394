/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clearnet-filter's policy file (INI, parsed with inih): defaults, parsing, validation.
 * Pure: no user lookups and no other file is read here (see compile.h, namespaces.h). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strv.h"

#define FILTER_DEFAULT_PATH CLEARNET_SYSCONFDIR "/clearnet/filter.conf"
#define FILTER_CLEARNET_DEFAULT CLEARNET_SYSCONFDIR "/clearnet/clearnet.conf"
#define FILTER_TABLE "clearnet_filter"
#define FILTER_MAX_SIZE (64 * 1024)
#define FILTER_MAX_LINE 1024
#define FILTER_MAX_SERVICES 64
#define FILTER_MAX_PORTS 16     /* port ranges in one key */
#define FILTER_MAX_NETWORKS 32

struct port_range {
        uint16_t first, last;   /* first <= last */
};

struct port_list {
        struct port_range r[FILTER_MAX_PORTS];
        size_t n;
};

struct ipv4_net {
        struct in_addr addr;    /* network byte order, host bits zero */
        uint8_t prefixlen;      /* 1..32 */
};

enum {
        FILTER_PROTO_TCP = 1 << 0,
        FILTER_PROTO_UDP = 1 << 1,
};

/* A user name as written, and the line it was written on (for "file:line" at load time). */
struct user_ref {
        char *name;             /* NULL: the role is off (empty value) */
        unsigned line;
};

/* [local NAME]: one local service on loopback, for the listed users. */
struct local_service {
        char *name;
        struct port_list ports;
        unsigned protos;        /* FILTER_PROTO_* bits */
        strv users;
        unsigned users_line;
        bool ipv6;              /* also on ::1 */
        unsigned line;          /* of the section header */
        unsigned seen;          /* keys set, for duplicates */
};

struct filter_config {
        char *path;
        /* [filter] */
        char *clearnet_config;  /* NULL: no clearnet namespaces to know about */
        strv optional_users;    /* may be missing at load time: their rules are left out */
        bool mtu_probing;       /* net.ipv4.tcp_mtu_probing = 1 */
        /* [tor] */
        struct user_ref tor_user;
        uint16_t trans_port, dns_port;
        struct ipv4_net automap;
        /* [clearnet-user] */
        struct user_ref clearnet_user;
        /* [desktop] */
        struct user_ref desktop_user;
        struct port_list deny_ports;
        /* [lan] */
        struct ipv4_net lan[FILTER_MAX_NETWORKS];
        size_t n_lan;
        /* [dns] */
        bool dns_redirect_all;
        /* [log] */
        int log_group;          /* -1: the kernel log; else an NFLOG group */
        unsigned log_rate;      /* messages per second, 0: no logging */
        unsigned log_burst;
        /* [local NAME] */
        struct local_service services[FILTER_MAX_SERVICES];
        size_t n_services;
};

int filter_config_init(struct filter_config *cfg);
void filter_config_free(struct filter_config *cfg);

/* Parse a file over the defaults. On failure a negative errno and a "file:line: reason"
 * (or "file: reason") message in *ret_error (caller frees). */
int filter_config_load(struct filter_config *cfg, const char *path, char **ret_error);
int filter_config_load_string(struct filter_config *cfg, const char *name, const char *text, size_t len,
                              char **ret_error);

/* Helpers, also for tests. */
int filter_parse_ports(const char *s, struct port_list *ret);
int filter_parse_ipv4_net(const char *s, struct ipv4_net *ret);
bool filter_user_name_ok(const char *s);
