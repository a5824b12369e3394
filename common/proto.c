/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The codec and socket helpers of the clearnet wire contract; see clearnet/protocol.h. */
#include "clearnet/protocol.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Only present in newer kernel headers; a pidfd arrives only with SO_PASSPIDFD, which we
 * never set, but if one ever does it is an fd and must not leak. */
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

_Static_assert(PROTO_HEADER_SIZE == 4 + 2 + 2 + 4, "header layout");
/* The default; a daemon overrides it (a strong definition) to close off its main loop. */
__attribute__((weak)) void proto_close_fd(int fd) {
        (void) close(fd);
}

_Static_assert(PROTO_REPLY_MAX >= PROTO_HEADER_SIZE + 4 + 4 + PROTO_ERROR_MESSAGE_MAX,
               "PROTO_REPLY_MAX must hold the largest reply");
_Static_assert(PROTO_REPLY_MAX >= PROTO_HEADER_SIZE + 8 + PROTO_NAMESPACES_MAX * (16 + PROTO_NS_NAME_MAX + 4 * PROTO_NS_PORTS_MAX) +
               PROTO_PROGRAMS_MAX * (16 + PROTO_APP_NAME_MAX), "PROTO_REPLY_MAX must hold the largest NAMESPACES reply");
_Static_assert(PROTO_MESSAGE_MAX <= UINT32_MAX, "payload length is a u32");

/* ---- bounds-checked little-endian reader and writer ---- */

struct reader {
        const uint8_t *p;
        size_t left;
};

static int read_u32(struct reader *r, uint32_t *ret) {
        if (r->left < 4)
                return -EBADMSG;
        *ret = (uint32_t) r->p[0] | (uint32_t) r->p[1] << 8 | (uint32_t) r->p[2] << 16 |
               (uint32_t) r->p[3] << 24;
        r->p += 4;
        r->left -= 4;
        return 0;
}

static uint16_t get_u16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* A string's bytes, still in the message: framing checked, NUL-free, at most max bytes. */
static int read_span(struct reader *r, size_t max, const uint8_t **ret, size_t *ret_len) {
        uint32_t n;
        int k = read_u32(r, &n);
        if (k < 0)
                return k;
        if (n > r->left)
                return -EBADMSG;
        if (n > max)
                return -E2BIG;
        /* execve() and every C consumer would silently cut the string at the NUL. */
        if (memchr(r->p, 0, n))
                return -EBADMSG;
        *ret = r->p;
        *ret_len = n;
        r->p += n;
        r->left -= n;
        return 0;
}

/* Where decoded strings go, NUL-terminated. */
struct arena {
        char *p;
        size_t left;
};

static int read_string(struct reader *r, struct arena *a, size_t max, char **ret) {
        const uint8_t *s;
        size_t n;
        int k = read_span(r, max, &s, &n);
        if (k < 0)
                return k;
        /* Cannot happen (each string costs 4 + n bytes of payload and n + 1 of arena), but
         * a wrong size calculation must not become an overflow. */
        if (n >= a->left)
                return -EBADMSG;
        memcpy(a->p, s, n);
        a->p[n] = 0;
        *ret = a->p;
        a->p += n + 1;
        a->left -= n + 1;
        return 0;
}

struct writer {
        uint8_t *p;
        size_t len;
};

static void put_u16(struct writer *w, uint16_t v) {
        w->p[w->len++] = (uint8_t) v;
        w->p[w->len++] = (uint8_t) (v >> 8);
}

static void put_u32(struct writer *w, uint32_t v);
static void put_u64(struct writer *w, uint64_t v) {
        put_u32(w, (uint32_t) v);
        put_u32(w, (uint32_t) (v >> 32));
}

static void put_u32(struct writer *w, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                w->p[w->len++] = (uint8_t) (v >> (8 * i));
}

static void put_string(struct writer *w, const char *s) {
        size_t n = s ? strlen(s) : 0;
        put_u32(w, (uint32_t) n);
        if (n > 0)
                memcpy(w->p + w->len, s, n);
        w->len += n;
}

static size_t string_size(const char *s) {
        return 4 + (s ? strlen(s) : 0);
}

/* ---- header ---- */

/* Encoders compute the exact size first, so the writes below need no checks of their own. */
static int begin_message(uint8_t *buf, size_t size, enum proto_msg_type type, size_t payload,
                         struct writer *ret) {
        if (payload > PROTO_MESSAGE_MAX - PROTO_HEADER_SIZE)
                return -E2BIG;
        if (!buf || size < PROTO_HEADER_SIZE + payload)
                return -ENOBUFS;
        *ret = (struct writer) { .p = buf };
        put_u32(ret, PROTO_MAGIC);
        put_u16(ret, PROTO_VERSION);
        put_u16(ret, (uint16_t) type);
        put_u32(ret, (uint32_t) payload);
        return 0;
}

static int decode_header(const uint8_t *buf, size_t len, uint16_t *ret_type, struct reader *ret) {
        if (!buf || len < PROTO_HEADER_SIZE)
                return -EBADMSG;
        if (len > PROTO_MESSAGE_MAX)
                return -EMSGSIZE;
        if (get_u32(buf) != PROTO_MAGIC)
                return -EBADMSG;
        if (get_u16(buf + 4) != PROTO_VERSION)
                return -EPROTONOSUPPORT;
        if (get_u32(buf + 8) != len - PROTO_HEADER_SIZE)
                return -EBADMSG;
        *ret_type = get_u16(buf + 6);
        *ret = (struct reader) { .p = buf + PROTO_HEADER_SIZE, .left = len - PROTO_HEADER_SIZE };
        return 0;
}

/* ---- shared rules ---- */

bool proto_app_name_is_valid(const char *name) {
        if (!name || name[0] == 0 || name[0] == '.' || name[0] == '-')
                return false;
        size_t n = strnlen(name, PROTO_APP_NAME_MAX + 1);
        if (n > PROTO_APP_NAME_MAX)
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

const int proto_forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
const size_t proto_n_forwarded_signals = ELEMENTSOF(proto_forwarded_signals);

bool proto_signal_is_forwardable(int signo) {
        for (size_t i = 0; i < proto_n_forwarded_signals; i++)
                if (proto_forwarded_signals[i] == signo)
                        return true;
        return false;
}

static bool env_has_prefix(const char *entry, const char *const *prefixes, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

bool proto_env_kept_for_command(const char *entry) {
        static const char *const keep[] = { "TERM=", "COLORTERM=", "LANG=", "LANGUAGE=", "TZ=", "PATH=",
                                            "COLUMNS=", "LINES=", "NO_COLOR=" };
        return env_has_prefix(entry, keep, ELEMENTSOF(keep)) || (strncmp(entry, "LC_", 3) == 0 && strchr(entry, '='));
}

bool proto_env_is_sent(const char *entry) {
        static const char *const runtime[] = { "XDG_RUNTIME_DIR=", "WAYLAND_DISPLAY=", "DISPLAY=" };
        return proto_env_kept_for_command(entry) || env_has_prefix(entry, runtime, ELEMENTSOF(runtime));
}

bool proto_error_is_valid(int code) {
        return code >= PROTO_ERROR_NOT_ALLOWED && code <= PROTO_ERROR_INTERNAL;
}

static bool is_empty(const char *s) {
        return !s || s[0] == 0;
}

static bool char_is_printable(char c) {
        return (unsigned char) c >= 0x20 && (unsigned char) c <= 0x7e;
}

static bool message_is_valid(const char *s, size_t n) {
        if (n == 0)
                return false;
        /* One line, safe to print to a terminal: no escapes, no newlines, no UTF-8 tricks. */
        for (size_t i = 0; i < n; i++)
                if (!char_is_printable(s[i]))
                        return false;
        return true;
}

/* ---- requests ---- */

size_t proto_request_fds(enum proto_request_kind kind) {
        return kind == PROTO_REQUEST_STATUS || kind == PROTO_REQUEST_TIME_SYNC || kind == PROTO_REQUEST_NAMESPACES
               ? 0 : PROTO_REQUEST_FDS;
}

static int validate_argv(const struct proto_request *req) {
        if (req->argc > PROTO_ARGV_MAX)
                return -E2BIG;
        if (req->argc > 0 && !req->argv)
                return -EINVAL;
        size_t total = 0;
        for (size_t i = 0; i < req->argc; i++) {
                if (!req->argv[i])
                        return -EINVAL;
                total += strnlen(req->argv[i], PROTO_ARGV_TOTAL_MAX) + 1;
                if (total > PROTO_ARGV_TOTAL_MAX)
                        return -E2BIG;
        }
        return 0;
}

static int validate_env(const struct proto_request *req) {
        if (req->envc > PROTO_ENV_MAX)
                return -E2BIG;
        if (req->envc > 0 && !req->env)
                return -EINVAL;
        for (size_t i = 0; i < req->envc; i++) {
                const char *e = req->env[i];
                if (!e)
                        return -EINVAL;
                if (strnlen(e, PROTO_ENV_ENTRY_MAX + 1) > PROTO_ENV_ENTRY_MAX)
                        return -E2BIG;
                /* The key is what precedes the first '=', so it must exist and be non-empty. */
                const char *eq = strchr(e, '=');
                if (!eq || eq == e)
                        return -EINVAL;
        }
        return 0;
}

static int validate_kind(const struct proto_request *req) {
        switch (req->kind) {
        case PROTO_REQUEST_COMMAND:
                if (!is_empty(req->app))
                        return -EINVAL;
                if (req->argc < 1 || is_empty(req->argv[0]))
                        return -EINVAL;
                break;
        case PROTO_REQUEST_APP:
                break;
        case PROTO_REQUEST_STATUS:
                /* Nothing runs, so nothing to run it with. */
                if (req->argc > 0 || req->envc > 0 || !is_empty(req->cwd))
                        return -EINVAL;
                return 0;
        case PROTO_REQUEST_TIME_SYNC:
        case PROTO_REQUEST_NAMESPACES:
                /* The daemon runs its own check (lists its own namespaces): the caller
                 * names nothing. */
                if (!is_empty(req->app) || req->argc > 0 || req->envc > 0 || !is_empty(req->cwd))
                        return -EINVAL;
                return 0;
        default:
                return -EINVAL;
        }
        if (is_empty(req->cwd) || req->cwd[0] != '/')
                return -EINVAL;
        return 0;
}

static int validate_request(const struct proto_request *req) {
        if (!req)
                return -EINVAL;
        if (req->app && strnlen(req->app, PROTO_APP_NAME_MAX + 1) > PROTO_APP_NAME_MAX)
                return -E2BIG;
        if (req->cwd && strnlen(req->cwd, PROTO_CWD_MAX + 1) > PROTO_CWD_MAX)
                return -E2BIG;
        if (req->kind != PROTO_REQUEST_COMMAND && req->kind != PROTO_REQUEST_TIME_SYNC && req->kind != PROTO_REQUEST_NAMESPACES &&
            !proto_app_name_is_valid(req->app))
                return -EINVAL;
        int r = validate_argv(req);
        if (r < 0)
                return r;
        r = validate_env(req);
        if (r < 0)
                return r;
        return validate_kind(req);
}

int proto_encode_request(const struct proto_request *req, uint8_t *buf, size_t size, size_t *ret_len) {
        int r = validate_request(req);
        if (r < 0)
                return r;

        /* Bounded by the limits just checked, so no overflow. */
        size_t payload = 4 + string_size(req->app) + 4 + 4 + string_size(req->cwd);
        for (size_t i = 0; i < req->argc; i++)
                payload += string_size(req->argv[i]);
        for (size_t i = 0; i < req->envc; i++)
                payload += string_size(req->env[i]);

        struct writer w;
        r = begin_message(buf, size, PROTO_MSG_REQUEST, payload, &w);
        if (r < 0)
                return r;
        put_u32(&w, (uint32_t) req->kind);
        put_string(&w, req->app);
        put_u32(&w, (uint32_t) req->argc);
        for (size_t i = 0; i < req->argc; i++)
                put_string(&w, req->argv[i]);
        put_u32(&w, (uint32_t) req->envc);
        for (size_t i = 0; i < req->envc; i++)
                put_string(&w, req->env[i]);
        put_string(&w, req->cwd);
        if (ret_len)
                *ret_len = w.len;
        return 0;
}

/* Everything a decoded request points to, in one allocation. The pointer arrays have the
 * maximum size so that one pass suffices; that costs ~3 KiB per request in flight. */
struct request_storage {
        char *argv[PROTO_ARGV_MAX + 1];
        char *env[PROTO_ENV_MAX + 1];
        char strings[];
};

static int read_strings(struct reader *r, struct arena *a, size_t max_count, size_t max_len,
                        char **array, size_t *ret_count) {
        uint32_t n;
        int k = read_u32(r, &n);
        if (k < 0)
                return k;
        if (n > max_count)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                k = read_string(r, a, max_len, &array[i]);
                if (k < 0)
                        return k;
        }
        array[n] = NULL;
        *ret_count = n;
        return 0;
}

static int read_request(struct reader *r, struct request_storage *s, struct proto_request *req) {
        struct arena a = { .p = s->strings, .left = r->left };
        char *app, *cwd;
        uint32_t kind;
        int k;

        if ((k = read_u32(r, &kind)) < 0 ||
            (k = read_string(r, &a, PROTO_APP_NAME_MAX, &app)) < 0 ||
            (k = read_strings(r, &a, PROTO_ARGV_MAX, PROTO_ARGV_TOTAL_MAX, s->argv, &req->argc)) < 0 ||
            (k = read_strings(r, &a, PROTO_ENV_MAX, PROTO_ENV_ENTRY_MAX, s->env, &req->envc)) < 0 ||
            (k = read_string(r, &a, PROTO_CWD_MAX, &cwd)) < 0)
                return k;
        if (r->left != 0)
                return -EBADMSG;

        /* Only a known value may be stored in the enum. */
        req->kind = kind >= PROTO_REQUEST_COMMAND && kind <= PROTO_REQUEST_NAMESPACES
                ? (enum proto_request_kind) kind : 0;
        req->app = app;
        req->argv = s->argv;
        req->env = s->env;
        req->cwd = cwd;
        return 0;
}

int proto_decode_request(const uint8_t *buf, size_t len, struct proto_request *ret) {
        struct reader r;
        uint16_t type;
        int k = decode_header(buf, len, &type, &r);
        if (k < 0)
                return k;
        if (type != PROTO_MSG_REQUEST)
                return -EBADMSG;

        /* The payload size bounds the strings: each costs n + 4 bytes there, n + 1 here. */
        _cleanup_free_ struct request_storage *s = malloc(sizeof(*s) + r.left + 1);
        if (!s)
                return -ENOMEM;
        struct proto_request req = {};
        k = read_request(&r, s, &req);
        if (k < 0)
                return k;
        k = validate_request(&req);
        if (k < 0)
                return k == -EINVAL ? -EBADMSG : k;

        req._storage = TAKE_PTR(s);
        *ret = req;
        return 0;
}

void proto_request_done(struct proto_request *req) {
        if (!req)
                return;
        free(req->_storage);
        *req = (struct proto_request) {};
}

/* ---- replies ---- */

static int validate_exit(const struct proto_exit *e) {
        switch (e->how) {
        case PROTO_EXIT_CODE:
                return e->value >= 0 && e->value <= 255 ? 0 : -EINVAL;
        case PROTO_EXIT_SIGNAL:
                return e->value >= 1 && e->value <= PROTO_SIGNAL_MAX ? 0 : -EINVAL;
        default:
                return -EINVAL;
        }
}

static int namespaces_payload_size(const struct proto_reply *reply, size_t *ret) {
        uint32_t n = reply->namespaces.n, m = reply->namespaces.m;
        if (n < 1 || n > PROTO_NAMESPACES_MAX || m > PROTO_PROGRAMS_MAX)
                return -EINVAL;
        size_t size = 4 + 4;
        for (uint32_t i = 0; i < n; i++) {
                const typeof(reply->namespaces.ns[0]) *ns = &reply->namespaces.ns[i];
                size_t len = strnlen(ns->name, sizeof ns->name);
                if (len < 1 || len > PROTO_NS_NAME_MAX || !message_is_valid(ns->name, len) ||
                    (ns->kind != PROTO_NS_INTERNET && ns->kind != PROTO_NS_TOR_PORTS) || ns->nports > PROTO_NS_PORTS_MAX)
                        return -EINVAL;
                for (uint32_t k = 0; k < ns->nports; k++)
                        if (ns->ports[k] == 0)
                                return -EINVAL;
                size += 4 + len + 4 + 4 + 4 * ns->nports + 4;
        }
        for (uint32_t i = 0; i < m; i++) {
                const typeof(reply->namespaces.programs[0]) *p = &reply->namespaces.programs[i];
                size_t len = strnlen(p->what, sizeof p->what);
                if (p->ns >= n || p->pid <= 0 || len < 1 || len > PROTO_APP_NAME_MAX || !message_is_valid(p->what, len))
                        return -EINVAL;
                size += 4 + 4 + 4 + 4 + len;
        }
        *ret = size;
        return 0;
}

static void put_namespaces(struct writer *w, const struct proto_reply *reply) {
        put_u32(w, reply->namespaces.n);
        for (uint32_t i = 0; i < reply->namespaces.n; i++) {
                const typeof(reply->namespaces.ns[0]) *ns = &reply->namespaces.ns[i];
                put_string(w, ns->name);
                put_u32(w, (uint32_t) ns->kind);
                put_u32(w, ns->nports);
                for (uint32_t k = 0; k < ns->nports; k++)
                        put_u32(w, ns->ports[k]);
                put_u32(w, ns->running);
        }
        put_u32(w, reply->namespaces.m);
        for (uint32_t i = 0; i < reply->namespaces.m; i++) {
                const typeof(reply->namespaces.programs[0]) *p = &reply->namespaces.programs[i];
                put_u32(w, p->ns);
                put_u32(w, (uint32_t) p->pid);
                put_u32(w, (uint32_t) p->uid);
                put_string(w, p->what);
        }
}

static int reply_payload_size(const struct proto_reply *reply, size_t *ret) {
        switch (reply->type) {
        case PROTO_MSG_STARTED:
                if (reply->started.pid <= 0)
                        return -EINVAL;
                *ret = 4;
                return 0;
        case PROTO_MSG_EXITED:
                *ret = 8;
                return validate_exit(&reply->exited);
        case PROTO_MSG_ERROR: {
                if (!proto_error_is_valid(reply->error.code))
                        return -EINVAL;
                size_t n = strnlen(reply->error.message, sizeof(reply->error.message));
                if (n > PROTO_ERROR_MESSAGE_MAX || !message_is_valid(reply->error.message, n))
                        return -EINVAL;
                *ret = 4 + 4 + n;
                return 0;
        }
        case PROTO_MSG_STATUS:
                *ret = 20;
                return 0;
        case PROTO_MSG_NAMESPACES:
                return namespaces_payload_size(reply, ret);
        case PROTO_MSG_TIME: {
                if (!proto_time_outcome_name(reply->time.outcome))
                        return -EINVAL;
                size_t n = strnlen(reply->time.detail, sizeof(reply->time.detail));
                if (n > PROTO_URL_MAX || (n > 0 && !message_is_valid(reply->time.detail, n)))
                        return -EINVAL;
                *ret = 4 + 4 + 8 + 8 + 4 + n;
                return 0;
        }
        default:
                return -EINVAL;
        }
}

int proto_encode_reply(const struct proto_reply *reply, uint8_t *buf, size_t size, size_t *ret_len) {
        if (!reply)
                return -EINVAL;
        size_t payload;
        int r = reply_payload_size(reply, &payload);
        if (r < 0)
                return r;
        struct writer w;
        r = begin_message(buf, size, reply->type, payload, &w);
        if (r < 0)
                return r;

        switch (reply->type) {
        case PROTO_MSG_STARTED:
                put_u32(&w, (uint32_t) reply->started.pid);
                break;
        case PROTO_MSG_EXITED:
                put_u32(&w, (uint32_t) reply->exited.how);
                put_u32(&w, (uint32_t) reply->exited.value);
                break;
        case PROTO_MSG_ERROR:
                put_u32(&w, (uint32_t) reply->error.code);
                put_string(&w, reply->error.message);
                break;
        case PROTO_MSG_TIME:
                put_u32(&w, (uint32_t) reply->time.outcome);
                put_u32(&w, reply->time.clock_set);
                put_u64(&w, reply->time.server_time);
                put_u64(&w, (uint64_t) reply->time.offset);
                put_string(&w, reply->time.detail);
                break;
        case PROTO_MSG_NAMESPACES:
                put_namespaces(&w, reply);
                break;
        default:
                put_u32(&w, reply->status.enabled);
                put_u32(&w, reply->status.running);
                put_u32(&w, reply->status.limit);
                put_u32(&w, reply->status.dns_servers);
                put_u32(&w, reply->status.online);
                break;
        }
        if (ret_len)
                *ret_len = w.len;
        return 0;
}

static int read_started(struct reader *r, struct proto_reply *ret) {
        uint32_t pid;
        int k = read_u32(r, &pid);
        if (k < 0)
                return k;
        if (pid == 0 || pid > INT32_MAX)
                return -EBADMSG;
        ret->started.pid = (pid_t) pid;
        return 0;
}

static int read_exited(struct reader *r, struct proto_reply *ret) {
        uint32_t how, value;
        int k;
        if ((k = read_u32(r, &how)) < 0 || (k = read_u32(r, &value)) < 0)
                return k;
        if (how != PROTO_EXIT_CODE && how != PROTO_EXIT_SIGNAL)
                return -EBADMSG;
        if (value > INT_MAX)
                return -EBADMSG;
        ret->exited = (struct proto_exit) { .how = (enum proto_exit_how) how, .value = (int) value };
        return validate_exit(&ret->exited) < 0 ? -EBADMSG : 0;
}

static int read_error(struct reader *r, struct proto_reply *ret) {
        uint32_t code;
        const uint8_t *s;
        size_t n;
        int k;
        if ((k = read_u32(r, &code)) < 0 ||
            (k = read_span(r, PROTO_ERROR_MESSAGE_MAX, &s, &n)) < 0)
                return k;
        if (code > INT_MAX || !proto_error_is_valid((int) code))
                return -EBADMSG;
        if (!message_is_valid((const char *) s, n))
                return -EBADMSG;
        ret->error.code = (enum proto_error) code;
        memcpy(ret->error.message, s, n);
        ret->error.message[n] = 0;
        return 0;
}

static int read_status(struct reader *r, struct proto_reply *ret) {
        uint32_t enabled, running, limit, dns_servers, online;
        int k;
        if ((k = read_u32(r, &enabled)) < 0 || (k = read_u32(r, &running)) < 0 ||
            (k = read_u32(r, &limit)) < 0 || (k = read_u32(r, &dns_servers)) < 0 ||
            (k = read_u32(r, &online)) < 0)
                return k;
        /* Only 0 and 1, so that every message has exactly one encoding. */
        if (enabled > 1 || online > 1)
                return -EBADMSG;
        ret->status.dns_servers = dns_servers;
        ret->status.online = online;
        ret->status.enabled = enabled;
        ret->status.running = running;
        ret->status.limit = limit;
        return 0;
}

static int read_u64(struct reader *r, uint64_t *ret) {
        uint32_t lo, hi;
        int k;
        if ((k = read_u32(r, &lo)) < 0 || (k = read_u32(r, &hi)) < 0)
                return k;
        *ret = (uint64_t) hi << 32 | lo;
        return 0;
}

static int read_time(struct reader *r, struct proto_reply *ret) {
        uint32_t outcome, set;
        uint64_t server_time, offset;
        const uint8_t *s;
        size_t n;
        int k;
        if ((k = read_u32(r, &outcome)) < 0 || (k = read_u32(r, &set)) < 0 ||
            (k = read_u64(r, &server_time)) < 0 || (k = read_u64(r, &offset)) < 0 ||
            (k = read_span(r, PROTO_URL_MAX, &s, &n)) < 0)
                return k;
        if (outcome > INT_MAX || !proto_time_outcome_name((enum proto_time_outcome) outcome) || set > 1)
                return -EBADMSG;
        if (n > 0 && !message_is_valid((const char *) s, n))
                return -EBADMSG;
        ret->time.outcome = (enum proto_time_outcome) outcome;
        ret->time.clock_set = set;
        ret->time.server_time = server_time;
        ret->time.offset = (int64_t) offset;
        memcpy(ret->time.detail, s, n);
        ret->time.detail[n] = 0;
        return 0;
}

/* A printable string of 1..max bytes into buf (max + 1 bytes). */
static int read_text(struct reader *r, size_t max, char *buf) {
        const uint8_t *s;
        size_t n;
        int k = read_span(r, max, &s, &n);
        if (k < 0)
                return k;
        if (n < 1 || !message_is_valid((const char *) s, n))
                return -EBADMSG;
        memcpy(buf, s, n);
        buf[n] = 0;
        return 0;
}

static int read_one_namespace(struct reader *r, struct proto_reply *ret, uint32_t i) {
        typeof(ret->namespaces.ns[0]) *ns = &ret->namespaces.ns[i];
        uint32_t kind, nports, v;
        int k;
        if ((k = read_text(r, PROTO_NS_NAME_MAX, ns->name)) < 0 || (k = read_u32(r, &kind)) < 0 ||
            (k = read_u32(r, &nports)) < 0)
                return k;
        if ((kind != PROTO_NS_INTERNET && kind != PROTO_NS_TOR_PORTS) || nports > PROTO_NS_PORTS_MAX)
                return -EBADMSG;
        ns->kind = (enum proto_ns_kind) kind;
        ns->nports = nports;
        for (uint32_t p = 0; p < nports; p++) {
                if ((k = read_u32(r, &v)) < 0)
                        return k;
                if (v == 0 || v > 65535)
                        return -EBADMSG;
                ns->ports[p] = (uint16_t) v;
        }
        return read_u32(r, &ns->running);
}

static int read_namespaces(struct reader *r, struct proto_reply *ret) {
        uint32_t n, m, pid, uid;
        int k;
        if ((k = read_u32(r, &n)) < 0)
                return k;
        if (n < 1 || n > PROTO_NAMESPACES_MAX)
                return -EBADMSG;
        ret->namespaces.n = n;
        for (uint32_t i = 0; i < n; i++)
                if ((k = read_one_namespace(r, ret, i)) < 0)
                        return k;
        if ((k = read_u32(r, &m)) < 0)
                return k;
        if (m > PROTO_PROGRAMS_MAX)
                return -EBADMSG;
        ret->namespaces.m = m;
        for (uint32_t i = 0; i < m; i++) {
                typeof(ret->namespaces.programs[0]) *p = &ret->namespaces.programs[i];
                if ((k = read_u32(r, &p->ns)) < 0 || (k = read_u32(r, &pid)) < 0 || (k = read_u32(r, &uid)) < 0 ||
                    (k = read_text(r, PROTO_APP_NAME_MAX, p->what)) < 0)
                        return k;
                if (p->ns >= n || pid == 0 || pid > INT32_MAX)
                        return -EBADMSG;
                p->pid = (pid_t) pid;
                p->uid = (uid_t) uid;
        }
        return 0;
}

int proto_decode_reply(const uint8_t *buf, size_t len, struct proto_reply *ret) {
        struct reader r;
        uint16_t type;
        int k = decode_header(buf, len, &type, &r);
        if (k < 0)
                return k;

        struct proto_reply reply = { .type = (enum proto_msg_type) type };
        switch (type) {
        case PROTO_MSG_STARTED:
                k = read_started(&r, &reply);
                break;
        case PROTO_MSG_EXITED:
                k = read_exited(&r, &reply);
                break;
        case PROTO_MSG_ERROR:
                k = read_error(&r, &reply);
                break;
        case PROTO_MSG_STATUS:
                k = read_status(&r, &reply);
                break;
        case PROTO_MSG_TIME:
                k = read_time(&r, &reply);
                break;
        case PROTO_MSG_NAMESPACES:
                k = read_namespaces(&r, &reply);
                break;
        default:
                return -EBADMSG;
        }
        if (k < 0)
                return k;
        if (r.left != 0)
                return -EBADMSG;
        *ret = reply;
        return 0;
}

/* ---- signals ---- */

int proto_encode_signal(int signo, uint8_t *buf, size_t size, size_t *ret_len) {
        if (!proto_signal_is_forwardable(signo))
                return -EINVAL;
        struct writer w;
        int r = begin_message(buf, size, PROTO_MSG_SIGNAL, 4, &w);
        if (r < 0)
                return r;
        put_u32(&w, (uint32_t) signo);
        if (ret_len)
                *ret_len = w.len;
        return 0;
}

int proto_decode_signal(const uint8_t *buf, size_t len, int *ret_signo) {
        struct reader r;
        uint16_t type;
        uint32_t signo;
        int k = decode_header(buf, len, &type, &r);
        if (k < 0)
                return k;
        if (type != PROTO_MSG_SIGNAL)
                return -EBADMSG;
        if ((k = read_u32(&r, &signo)) < 0)
                return k;
        if (r.left != 0)
                return -EBADMSG;
        /* Anything else (SIGKILL, SIGSTOP, …) would let the caller do more than a terminal could. */
        if (signo > INT_MAX || !proto_signal_is_forwardable((int) signo))
                return -EBADMSG;
        *ret_signo = (int) signo;
        return 0;
}

/* ---- reply constructors and status mapping ---- */

void proto_reply_started(struct proto_reply *ret, pid_t pid) {
        *ret = (struct proto_reply) { .type = PROTO_MSG_STARTED, .started.pid = pid };
}

int proto_reply_exited(struct proto_reply *ret, int wait_status) {
        struct proto_exit e;
        int r = proto_exit_from_wait_status(wait_status, &e);
        if (r < 0)
                return r;
        *ret = (struct proto_reply) { .type = PROTO_MSG_EXITED, .exited = e };
        return 0;
}

void proto_reply_error(struct proto_reply *ret, enum proto_error code, const char *format, ...) {
        *ret = (struct proto_reply) { .type = PROTO_MSG_ERROR, .error.code = code };
        char *m = ret->error.message;
        if (format) {
                va_list ap;
                va_start(ap, format);
                int n = vsnprintf(m, sizeof(ret->error.message), format, ap);
                va_end(ap);
                if (n < 0)
                        m[0] = 0;
        }
        /* The message may quote what a caller sent (a command name); keep it one printable line. */
        for (char *p = m; *p; p++)
                if (!char_is_printable(*p))
                        *p = '?';
        if (m[0] == 0)
                snprintf(m, sizeof(ret->error.message), "%s", proto_error_default_message(code));
}

const char *proto_time_outcome_name(enum proto_time_outcome outcome) {
        switch (outcome) {
        case PROTO_TIME_ONLINE: return "online";
        case PROTO_TIME_PORTAL: return "portal";
        case PROTO_TIME_OFFLINE: return "offline";
        case PROTO_TIME_DNS_FAILURE: return "dns-failure";
        case PROTO_TIME_INVALID: return "time-invalid";
        case PROTO_TIME_CHECK_FAILED: return "check-failed";
        }
        return NULL;
}

void proto_reply_time(struct proto_reply *ret, enum proto_time_outcome outcome, bool clock_set,
                      uint64_t server_time, int64_t offset, const char *detail) {
        *ret = (struct proto_reply) {
                .type = PROTO_MSG_TIME,
                .time = { .outcome = outcome, .clock_set = clock_set, .server_time = server_time, .offset = offset },
        };
        /* Printable ASCII only, cut to the limit: the detail may come from a portal. */
        size_t n = 0;
        for (const char *p = detail; p && *p && n < PROTO_URL_MAX; p++)
                ret->time.detail[n++] = char_is_printable(*p) ? *p : '?';
        ret->time.detail[n] = 0;
}

void proto_reply_status(struct proto_reply *ret, bool enabled, uint32_t running, uint32_t limit) {
        *ret = (struct proto_reply) {
                .type = PROTO_MSG_STATUS,
                .status = { .enabled = enabled, .running = running, .limit = limit },
        };
}

const char *proto_error_default_message(enum proto_error code) {
        switch (code) {
        case PROTO_ERROR_NOT_ALLOWED:        return "not allowed";
        case PROTO_ERROR_NO_SUCH_APP:        return "no such app";
        case PROTO_ERROR_DISABLED:           return "app is disabled";
        case PROTO_ERROR_BUSY:               return "clearnet-nsd is busy, try again later";
        case PROTO_ERROR_TOO_MANY_INSTANCES: return "too many instances of this app are running";
        case PROTO_ERROR_BAD_REQUEST:        return "bad request";
        case PROTO_ERROR_NOT_FOUND:          return "command not found";
        case PROTO_ERROR_NOT_EXECUTABLE:     return "command not executable";
        case PROTO_ERROR_INTERNAL:           return "internal error in clearnet-nsd";
        }
        return "unknown error";
}

int proto_error_exit_status(enum proto_error code) {
        switch (code) {
        case PROTO_ERROR_NOT_FOUND:
                return PROTO_EXIT_STATUS_NOT_FOUND;
        case PROTO_ERROR_NOT_EXECUTABLE:
                return PROTO_EXIT_STATUS_NOT_EXECUTABLE;
        default:
                return PROTO_EXIT_STATUS_FAILURE;
        }
}

int proto_exit_from_wait_status(int wait_status, struct proto_exit *ret) {
        if (WIFEXITED(wait_status))
                *ret = (struct proto_exit) { .how = PROTO_EXIT_CODE, .value = WEXITSTATUS(wait_status) };
        else if (WIFSIGNALED(wait_status) && WTERMSIG(wait_status) <= PROTO_SIGNAL_MAX)
                *ret = (struct proto_exit) { .how = PROTO_EXIT_SIGNAL, .value = WTERMSIG(wait_status) };
        else
                return -EINVAL;
        return 0;
}

int proto_exit_status(const struct proto_exit *e) {
        if (!e || validate_exit(e) < 0)
                return PROTO_EXIT_STATUS_FAILURE;
        if (e->how == PROTO_EXIT_SIGNAL)
                return PROTO_EXIT_STATUS_SIGNAL_BASE + e->value;
        return e->value;
}

/* ---- sockets ---- */

/* Room for credentials and every fd one message can carry (the kernel's SCM_MAX_FD, not
 * in its uapi headers): fds that do not fit would be dropped by the kernel inside recvmsg(),
 * their last close run on the receiving thread, and a caller's socket lingering there would
 * stall it. All of them arrive; those beyond what the message may carry are refused and go
 * to proto_close_fd() like the rest. */
#ifndef SCM_MAX_FD
#define SCM_MAX_FD 253
#endif
#define RECV_FDS_ROOM SCM_MAX_FD
#define RECV_CONTROL_SIZE (CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * RECV_FDS_ROOM))

static void close_many(const int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        proto_close_fd(fds[i]);
}

/* Number of ints in a control message, never reaching past the control buffer. */
static size_t cmsg_fd_count(const struct msghdr *mh, const struct cmsghdr *c) {
        const uint8_t *end = (const uint8_t *) mh->msg_control + mh->msg_controllen;
        const uint8_t *data = CMSG_DATA(c);
        if (c->cmsg_len < CMSG_LEN(0) || data > end)
                return 0;
        size_t n = c->cmsg_len - CMSG_LEN(0);
        if (n > (size_t) (end - data))
                n = (size_t) (end - data);
        return n / sizeof(int);
}

static bool cmsg_has_fds(const struct cmsghdr *c) {
        return c->cmsg_level == SOL_SOCKET && (c->cmsg_type == SCM_RIGHTS || c->cmsg_type == SCM_PIDFD);
}

static void cmsg_close_all(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (!cmsg_has_fds(c))
                        continue;
                size_t n = cmsg_fd_count(mh, c);
                for (size_t i = 0; i < n; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (fd >= 0)
                                proto_close_fd(fd);
                }
        }
}

int proto_take_fds(struct msghdr *mh, int *fds, size_t max_fds, size_t *ret_nfds) {
        struct cmsghdr *rights = NULL;
        size_t count = 0, n = 0;
        int r = 0;

        if (!mh || (max_fds > 0 && !fds))
                return -EINVAL;
        if (mh->msg_control && mh->msg_controllen > 0)
                for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                        count++;
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                                rights = c;
                        else
                                r = -EBADMSG;  /* credentials, pidfds, security labels, … */
                }
        if (rights)
                n = cmsg_fd_count(mh, rights);
        if (count > 1 || n > max_fds || (mh->msg_flags & MSG_CTRUNC))
                r = -EBADMSG;
        if (mh->msg_flags & MSG_TRUNC)
                r = -EMSGSIZE;
        if (r < 0) {
                if (mh->msg_control && mh->msg_controllen > 0)
                        cmsg_close_all(mh);
                return r;
        }
        if (n > 0)
                memcpy(fds, CMSG_DATA(rights), n * sizeof(int));
        if (ret_nfds)
                *ret_nfds = n;
        return 0;
}

int proto_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds) {
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(int) * PROTO_REQUEST_FDS)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (sock < 0 || (!buf && len > 0) || nfds > PROTO_REQUEST_FDS || (nfds > 0 && !fds))
                return -EINVAL;
        if (len > PROTO_MESSAGE_MAX)
                return -EMSGSIZE;
        for (size_t i = 0; i < nfds; i++)
                if (fds[i] < 0)
                        return -EBADF;

        if (nfds > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
        }

        for (;;) {
                ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                /* A SOCK_SEQPACKET send is all or nothing; anything else is not our socket. */
                return (size_t) n == len ? 0 : -EIO;
        }
}

int proto_recv(int sock, void *buf, size_t size, size_t *ret_len,
               int *fds, size_t max_fds, size_t *ret_nfds) {
        union {
                struct cmsghdr align;
                uint8_t buf[RECV_CONTROL_SIZE];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        ssize_t n;
        size_t nfds = 0;

        if (sock < 0 || !buf || size == 0 || (max_fds > 0 && !fds))
                return -EINVAL;

        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();

        int r = proto_take_fds(&mh, fds, max_fds, &nfds);
        if (r < 0)
                return r;
        if (n == 0) {
                /* EOF, or an empty datagram, which is no valid message either. */
                close_many(fds, nfds);
                return -ECONNRESET;
        }
        if (ret_len)
                *ret_len = (size_t) n;
        if (ret_nfds)
                *ret_nfds = nfds;
        else
                close_many(fds, nfds);
        return 0;
}

/* ---- typed wrappers ---- */

int proto_send_request(int sock, const struct proto_request *req, const int fds[PROTO_REQUEST_FDS]) {
        if (!req)
                return -EINVAL;
        size_t nfds = proto_request_fds(req->kind);
        if (nfds > 0 && !fds)
                return -EINVAL;
        _cleanup_free_ uint8_t *buf = malloc(PROTO_MESSAGE_MAX);
        if (!buf)
                return -ENOMEM;
        size_t len;
        int r = proto_encode_request(req, buf, PROTO_MESSAGE_MAX, &len);
        if (r < 0)
                return r;
        return proto_send(sock, buf, len, fds, nfds);
}

int proto_recv_request(int sock, struct proto_request *ret, int fds[PROTO_REQUEST_FDS]) {
        int got[PROTO_REQUEST_FDS];
        size_t len, nfds;

        if (!ret || !fds)
                return -EINVAL;
        _cleanup_free_ uint8_t *buf = malloc(PROTO_MESSAGE_MAX);
        if (!buf)
                return -ENOMEM;
        int r = proto_recv(sock, buf, PROTO_MESSAGE_MAX, &len, got, PROTO_REQUEST_FDS, &nfds);
        if (r < 0)
                return r;

        struct proto_request req = {};
        r = proto_decode_request(buf, len, &req);
        if (r >= 0 && nfds != proto_request_fds(req.kind)) {
                proto_request_done(&req);
                r = -EBADMSG;
        }
        if (r < 0) {
                close_many(got, nfds);
                return r;
        }
        for (size_t i = 0; i < PROTO_REQUEST_FDS; i++)
                fds[i] = i < nfds ? got[i] : -1;
        *ret = req;
        return 0;
}

int proto_send_reply(int sock, const struct proto_reply *reply) {
        uint8_t buf[PROTO_REPLY_MAX];
        size_t len;
        int r = proto_encode_reply(reply, buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        return proto_send(sock, buf, len, NULL, 0);
}

int proto_recv_reply(int sock, struct proto_reply *ret) {
        uint8_t buf[PROTO_REPLY_MAX];
        size_t len;
        int r = proto_recv(sock, buf, sizeof(buf), &len, NULL, 0, NULL);
        if (r < 0)
                return r;
        return proto_decode_reply(buf, len, ret);
}

int proto_send_signal(int sock, int signo) {
        uint8_t buf[PROTO_REPLY_MAX];
        size_t len;
        int r = proto_encode_signal(signo, buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        return proto_send(sock, buf, len, NULL, 0);
}

int proto_recv_signal(int sock, int *ret_signo) {
        uint8_t buf[PROTO_REPLY_MAX];
        size_t len;
        int r = proto_recv(sock, buf, sizeof(buf), &len, NULL, 0, NULL);
        if (r < 0)
                return r;
        return proto_decode_signal(buf, len, ret_signo);
}
