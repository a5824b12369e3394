/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the wire contract: codec round trips, every rejection, fd passing over a
 * real SOCK_SEQPACKET socketpair and that rejected fds are closed. No root needed. */
#include "clearnet/protocol.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

static unsigned checks, failures;

/* A failed CHECK is reported and counted, the test goes on; REQUIRE stops the process
 * because what follows would only crash or report noise. */
static void report(const char *file, int line, const char *func, const char *expr, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static void report(const char *file, int line, const char *func, const char *expr, const char *fmt, ...) {
        va_list ap;
        int saved_errno = errno;  /* for %m in fmt */
        failures++;
        fprintf(stderr, "%s:%d: %s: check failed: %s: ", file, line, func, expr);
        errno = saved_errno;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* Both evaluate cond exactly once. */
#define CHECK(cond, ...)                                                                  \
        do {                                                                              \
                checks++;                                                                 \
                if (!(cond))                                                              \
                        report(__FILE__, __LINE__, __func__, #cond, __VA_ARGS__);         \
        } while (0)

#define REQUIRE(cond, ...)                                                                \
        do {                                                                              \
                checks++;                                                                 \
                if (!(cond)) {                                                            \
                        report(__FILE__, __LINE__, __func__, #cond, __VA_ARGS__);         \
                        exit(EXIT_FAILURE);                                               \
                }                                                                         \
        } while (0)

/* Expect a call to return exactly `want` (0 or a negative errno). */
#define CHECK_RET(expr, want)                                                             \
        do {                                                                              \
                int _r = (expr), _w = (want);                                             \
                CHECK(_r == _w, "got %d (%s), want %d (%s)", _r, _r < 0 ? strerror(-_r) : "ok", \
                      _w, _w < 0 ? strerror(-_w) : "ok");                                 \
        } while (0)

static uint8_t buf[PROTO_MESSAGE_MAX];
static size_t buf_len;

/* ---- a raw message builder, to produce what the encoder refuses to ---- */

static uint8_t raw[1024 * 1024];
static size_t raw_len;

static void raw_u16_at(size_t at, uint16_t v) {
        raw[at] = (uint8_t) v;
        raw[at + 1] = (uint8_t) (v >> 8);
}

static void raw_u32_at(size_t at, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                raw[at + i] = (uint8_t) (v >> (8 * i));
}

static void raw_begin(uint16_t type) {
        memset(raw, 0, PROTO_HEADER_SIZE);
        raw_u32_at(0, PROTO_MAGIC);
        raw_u16_at(4, PROTO_VERSION);
        raw_u16_at(6, type);
        raw_len = PROTO_HEADER_SIZE;
}

static void raw_u32(uint32_t v) {
        REQUIRE(raw_len + 4 <= sizeof(raw), "raw buffer full");
        raw_u32_at(raw_len, v);
        raw_len += 4;
}

static void raw_bytes(const void *p, size_t n) {
        REQUIRE(raw_len + 4 + n <= sizeof(raw), "raw buffer full");
        raw_u32((uint32_t) n);
        memcpy(raw + raw_len, p, n);
        raw_len += n;
}

static void raw_str(const char *s) {
        raw_bytes(s, strlen(s));
}

/* Fix the header's payload length to what was written. */
static void raw_end(void) {
        raw_u32_at(8, (uint32_t) (raw_len - PROTO_HEADER_SIZE));
}

static int raw_decode_request(void) {
        struct proto_request req = {};
        int r = proto_decode_request(raw, raw_len, &req);
        proto_request_done(&req);
        return r;
}

/* A command request: the strings in argv[], then env[], then cwd. */
static void raw_request(uint32_t kind, const char *app, size_t argc, const char *const *argv,
                        size_t envc, const char *const *env, const char *cwd) {
        raw_begin(PROTO_MSG_REQUEST);
        raw_u32(kind);
        raw_str(app);
        raw_u32((uint32_t) argc);
        for (size_t i = 0; i < argc; i++)
                raw_str(argv[i]);
        raw_u32((uint32_t) envc);
        for (size_t i = 0; i < envc; i++)
                raw_str(env[i]);
        raw_str(cwd);
        raw_end();
}

/* ---- helpers ---- */

static char *argv_sample[] = { "/usr/bin/curl", "-s", "", "https://example.org/" };
static char *env_sample[] = { "LANG=C.UTF-8", "TERM=xterm-256color", "EMPTY=", "EQ=a=b" };

static struct proto_request command_request(void) {
        return (struct proto_request) {
                .kind = PROTO_REQUEST_COMMAND,
                .argc = ELEMENTSOF(argv_sample),
                .argv = argv_sample,
                .envc = ELEMENTSOF(env_sample),
                .env = env_sample,
                .cwd = "/home/amnesia",
        };
}

static struct proto_request status_request(void) {
        return (struct proto_request) { .kind = PROTO_REQUEST_STATUS, .app = "unsafe-browser" };
}

static unsigned count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        REQUIRE(d, "opendir(/proc/self/fd): %m");
        unsigned n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static bool fd_is_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

static void make_socketpair(int sv[2]) {
        REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %m");
}

static void make_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++) {
                fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
                REQUIRE(fds[i] >= 0, "open(/dev/null): %m");
        }
}

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
}

/* Send with arbitrary control messages, as a hostile client could. */
struct cm {
        int level, type;
        const void *data;
        size_t len;
};

static void send_raw(int sock, const void *data, size_t len, const struct cm *cms, size_t ncms) {
        static union {
                struct cmsghdr align;
                uint8_t b[4096];
        } control;
        struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t space = 0;

        memset(&control, 0, sizeof(control));
        for (size_t i = 0; i < ncms; i++)
                space += CMSG_SPACE(cms[i].len);
        REQUIRE(space <= sizeof(control), "control too large");
        if (ncms > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = space;
        }
        struct cmsghdr *c = ncms > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
        for (size_t i = 0; i < ncms; i++) {
                REQUIRE(c, "no room for control message %zu", i);
                c->cmsg_level = cms[i].level;
                c->cmsg_type = cms[i].type;
                c->cmsg_len = CMSG_LEN(cms[i].len);
                memcpy(CMSG_DATA(c), cms[i].data, cms[i].len);
                c = CMSG_NXTHDR(&mh, c);
        }
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        REQUIRE(n == (ssize_t) len, "sendmsg: %m");
}

static bool strv_equal(char **a, char **b, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!STREQ(a[i], b[i]))
                        return false;
        return true;
}

static const char *empty_if_null(const char *s) {
        return s ? s : "";
}

static void check_request_equal(const struct proto_request *got, const struct proto_request *want) {
        CHECK(got->kind == want->kind, "kind %d, want %d", got->kind, want->kind);
        CHECK(got->app && STREQ(got->app, empty_if_null(want->app)), "app '%s'", got->app);
        CHECK(got->cwd && STREQ(got->cwd, empty_if_null(want->cwd)), "cwd '%s'", got->cwd);
        REQUIRE(got->argc == want->argc, "argc %zu, want %zu", got->argc, want->argc);
        REQUIRE(got->envc == want->envc, "envc %zu, want %zu", got->envc, want->envc);
        CHECK(strv_equal(got->argv, want->argv, want->argc), "argv differs");
        CHECK(strv_equal(got->env, want->env, want->envc), "env differs");
        CHECK(got->argv[got->argc] == NULL, "argv not NULL-terminated");
        CHECK(got->env[got->envc] == NULL, "env not NULL-terminated");
}

/* Encode, decode, compare, and re-encode to the same bytes (the encoding is canonical). */
static void round_trip_request(const struct proto_request *req) {
        static uint8_t again[PROTO_MESSAGE_MAX];
        size_t again_len;
        struct proto_request got = {};

        CHECK_RET(proto_encode_request(req, buf, sizeof(buf), &buf_len), 0);
        CHECK_RET(proto_decode_request(buf, buf_len, &got), 0);
        check_request_equal(&got, req);
        /* The decoded request must not point into the buffer it came from. */
        memset(buf, 0xAA, buf_len);
        check_request_equal(&got, req);
        CHECK_RET(proto_encode_request(&got, again, sizeof(again), &again_len), 0);
        CHECK_RET(proto_encode_request(req, buf, sizeof(buf), &buf_len), 0);
        CHECK(again_len == buf_len && memcmp(again, buf, buf_len) == 0, "re-encoding differs");
        proto_request_done(&got);
        CHECK(got._storage == NULL && got.argv == NULL, "done() must reset the request");
        proto_request_done(&got);  /* idempotent */
}

static void check_reply_equal(const struct proto_reply *a, const struct proto_reply *b) {
        REQUIRE(a->type == b->type, "type %d, want %d", a->type, b->type);
        switch (a->type) {
        case PROTO_MSG_STARTED:
                CHECK(a->started.pid == b->started.pid, "pid %d", (int) a->started.pid);
                break;
        case PROTO_MSG_EXITED:
                CHECK(a->exited.how == b->exited.how && a->exited.value == b->exited.value,
                      "exit %d/%d", a->exited.how, a->exited.value);
                break;
        case PROTO_MSG_ERROR:
                CHECK(a->error.code == b->error.code, "code %d", a->error.code);
                CHECK(STREQ(a->error.message, b->error.message), "message '%s'", a->error.message);
                break;
        case PROTO_MSG_TIME:
                CHECK(a->time.outcome == b->time.outcome && a->time.clock_set == b->time.clock_set &&
                      a->time.server_time == b->time.server_time && a->time.offset == b->time.offset &&
                      STREQ(a->time.detail, b->time.detail), "time differs");
                break;
        case PROTO_MSG_NAMESPACES:
                CHECK(a->namespaces.n == b->namespaces.n && a->namespaces.m == b->namespaces.m, "counts differ");
                for (uint32_t i = 0; i < a->namespaces.n && i < PROTO_NAMESPACES_MAX; i++)
                        CHECK(STREQ(a->namespaces.ns[i].name, b->namespaces.ns[i].name) &&
                              a->namespaces.ns[i].kind == b->namespaces.ns[i].kind &&
                              a->namespaces.ns[i].nports == b->namespaces.ns[i].nports &&
                              a->namespaces.ns[i].running == b->namespaces.ns[i].running &&
                              memcmp(a->namespaces.ns[i].ports, b->namespaces.ns[i].ports,
                                     a->namespaces.ns[i].nports * sizeof(uint16_t)) == 0, "namespace %u differs", i);
                for (uint32_t i = 0; i < a->namespaces.m && i < PROTO_PROGRAMS_MAX; i++)
                        CHECK(a->namespaces.programs[i].ns == b->namespaces.programs[i].ns &&
                              a->namespaces.programs[i].pid == b->namespaces.programs[i].pid &&
                              a->namespaces.programs[i].uid == b->namespaces.programs[i].uid &&
                              STREQ(a->namespaces.programs[i].what, b->namespaces.programs[i].what), "program %u differs", i);
                break;
        case PROTO_MSG_STATUS:
                CHECK(a->status.enabled == b->status.enabled && a->status.running == b->status.running &&
                      a->status.limit == b->status.limit && a->status.dns_servers == b->status.dns_servers &&
                      a->status.online == b->status.online, "status differs");
                break;
        default:
                CHECK(false, "bad type");
        }
}

static void round_trip_reply(const struct proto_reply *reply) {
        struct proto_reply got;
        uint8_t again[PROTO_REPLY_MAX];
        size_t again_len;

        CHECK_RET(proto_encode_reply(reply, buf, PROTO_REPLY_MAX, &buf_len), 0);
        CHECK(buf_len <= PROTO_REPLY_MAX, "reply of %zu bytes", buf_len);
        memset(&got, 0x55, sizeof(got));
        CHECK_RET(proto_decode_reply(buf, buf_len, &got), 0);
        check_reply_equal(&got, reply);
        CHECK_RET(proto_encode_reply(&got, again, sizeof(again), &again_len), 0);
        CHECK(again_len == buf_len && memcmp(again, buf, buf_len) == 0, "re-encoding differs");
}

/* ---- round trips ---- */

static void test_request_round_trips(void) {
        struct proto_request req = command_request();
        round_trip_request(&req);

        req.envc = 0;
        req.env = NULL;
        req.argc = 1;
        req.app = "";
        round_trip_request(&req);

        char *extra[] = { "https://example.org/" };
        req = (struct proto_request) {
                .kind = PROTO_REQUEST_APP, .app = "unsafe-browser", .cwd = "/",
                .env = env_sample, .envc = ELEMENTSOF(env_sample),
        };
        round_trip_request(&req);
        req.argc = 1;
        req.argv = extra;
        round_trip_request(&req);

        req = status_request();
        round_trip_request(&req);
        req.cwd = "";
        round_trip_request(&req);
}

static void test_request_limits_accepted(void) {
        /* Exactly at every limit must still work. */
        static char *argv[PROTO_ARGV_MAX];
        static char *env[PROTO_ENV_MAX];
        static char cwd[PROTO_CWD_MAX + 1];
        static char app[PROTO_APP_NAME_MAX + 1];
        char *entry = malloc(PROTO_ENV_ENTRY_MAX + 1);
        REQUIRE(entry, "malloc");

        for (size_t i = 0; i < PROTO_ARGV_MAX; i++)
                argv[i] = "a";
        memset(entry, 'v', PROTO_ENV_ENTRY_MAX);
        memcpy(entry, "K=", 2);
        entry[PROTO_ENV_ENTRY_MAX] = 0;
        for (size_t i = 0; i < 8; i++)
                env[i] = entry;
        for (size_t i = 8; i < PROTO_ENV_MAX; i++)
                env[i] = "X=1";
        memset(cwd, 'd', PROTO_CWD_MAX);
        cwd[0] = '/';
        memset(app, 'a', PROTO_APP_NAME_MAX);

        struct proto_request req = {
                .kind = PROTO_REQUEST_COMMAND, .argc = PROTO_ARGV_MAX, .argv = argv,
                .envc = PROTO_ENV_MAX, .env = env, .cwd = cwd,
        };
        round_trip_request(&req);

        req = (struct proto_request) { .kind = PROTO_REQUEST_STATUS, .app = app };
        round_trip_request(&req);

        req = (struct proto_request) { .kind = PROTO_REQUEST_TIME_SYNC, .app = "" };
        round_trip_request(&req);

        /* argv total exactly at the limit: two entries of half the limit, NULs counted. */
        char *half = malloc(PROTO_ARGV_TOTAL_MAX / 2);
        REQUIRE(half, "malloc");
        memset(half, 'x', PROTO_ARGV_TOTAL_MAX / 2 - 1);
        half[PROTO_ARGV_TOTAL_MAX / 2 - 1] = 0;
        char *two[] = { half, half };
        req = (struct proto_request) { .kind = PROTO_REQUEST_COMMAND, .argc = 2, .argv = two, .cwd = "/" };
        round_trip_request(&req);
        free(half);
        free(entry);
}

static void test_reply_round_trips(void) {
        struct proto_reply r;

        proto_reply_started(&r, 1);
        round_trip_reply(&r);
        proto_reply_started(&r, INT32_MAX);
        round_trip_reply(&r);

        int codes[] = { 0, 1, 3, 126, 127, 255 };
        for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
                r = (struct proto_reply) { .type = PROTO_MSG_EXITED, .exited = { PROTO_EXIT_CODE, codes[i] } };
                round_trip_reply(&r);
        }
        int sigs[] = { 1, SIGKILL, SIGTERM, PROTO_SIGNAL_MAX };
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = (struct proto_reply) { .type = PROTO_MSG_EXITED, .exited = { PROTO_EXIT_SIGNAL, sigs[i] } };
                round_trip_reply(&r);
        }

        for (int c = PROTO_ERROR_NOT_ALLOWED; c <= PROTO_ERROR_INTERNAL; c++) {
                proto_reply_error(&r, (enum proto_error) c, NULL);
                CHECK(STREQ(r.error.message, proto_error_default_message((enum proto_error) c)),
                      "default message of %d", c);
                round_trip_reply(&r);
        }
        proto_reply_error(&r, PROTO_ERROR_NOT_ALLOWED, "not allowed: uid %u may not run '%s'", 1001u, "bash");
        CHECK(STREQ(r.error.message, "not allowed: uid 1001 may not run 'bash'"), "'%s'", r.error.message);
        round_trip_reply(&r);

        proto_reply_status(&r, true, 1, 1);
        round_trip_reply(&r);
        proto_reply_status(&r, false, 0, 0);
        round_trip_reply(&r);
        proto_reply_status(&r, true, UINT32_MAX, UINT32_MAX);
        round_trip_reply(&r);
        r.status.dns_servers = 3;
        r.status.online = true;
        round_trip_reply(&r);

        proto_reply_time(&r, PROTO_TIME_ONLINE, true, 1795600000u, -3600, "");
        round_trip_reply(&r);
        proto_reply_time(&r, PROTO_TIME_PORTAL, false, 0, 0, "http://portal.example/login?x=1");
        round_trip_reply(&r);
        proto_reply_time(&r, PROTO_TIME_INVALID, false, 0, INT64_MIN, "bad\001url\n");
        CHECK(STREQ(r.time.detail, "bad?url?"), "time detail not sanitized: '%s'", r.time.detail);
        round_trip_reply(&r);
        char long_url[PROTO_URL_MAX + 10];
        memset(long_url, 'u', sizeof long_url - 1);
        long_url[sizeof long_url - 1] = 0;
        proto_reply_time(&r, PROTO_TIME_PORTAL, false, 0, 0, long_url);
        CHECK(strlen(r.time.detail) == PROTO_URL_MAX, "time detail not cut to the limit");
        round_trip_reply(&r);
        /* What the encoder refuses, the decoder refuses too. */
        size_t n;
        r.time.outcome = 99;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        proto_reply_time(&r, PROTO_TIME_ONLINE, true, 1, 1, "");
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), 0);
        buf[PROTO_HEADER_SIZE + 4] = 2; /* clock set: only 0 or 1 */
        CHECK_RET(proto_decode_reply(buf, n, &r), -EBADMSG);
        buf[PROTO_HEADER_SIZE + 4] = 1;
        buf[PROTO_HEADER_SIZE] = 77;    /* unknown outcome */
        CHECK_RET(proto_decode_reply(buf, n, &r), -EBADMSG);
}

/* The NAMESPACES request and reply (clearnet-run --status): round trips at the limits,
 * and every rule the encoder and the decoder share. */
static void fill_namespaces(struct proto_reply *r, uint32_t n, uint32_t m) {
        *r = (struct proto_reply) { .type = PROTO_MSG_NAMESPACES };
        r->namespaces.n = n;
        for (uint32_t i = 0; i < n; i++) {
                snprintf(r->namespaces.ns[i].name, sizeof r->namespaces.ns[i].name, i ? "ns%u" : "clearnet", i);
                r->namespaces.ns[i].kind = i ? PROTO_NS_TOR_PORTS : PROTO_NS_INTERNET;
                r->namespaces.ns[i].nports = i ? 2 : 0;
                r->namespaces.ns[i].ports[0] = 9050;
                r->namespaces.ns[i].ports[1] = 951;
                r->namespaces.ns[i].running = i * 3;
        }
        r->namespaces.m = m;
        for (uint32_t i = 0; i < m; i++)
                r->namespaces.programs[i] = (typeof(r->namespaces.programs[0])) {
                        .ns = i % n, .pid = (pid_t) (100 + i), .uid = 1000 + i, .what = "tor-browser" };
}

static void test_namespaces_round_trips(void) {
        struct proto_request req = { .kind = PROTO_REQUEST_NAMESPACES, .app = "" };
        struct proto_request got;
        CHECK_RET(proto_encode_request(&req, buf, sizeof buf, &buf_len), 0);
        CHECK_RET(proto_decode_request(buf, buf_len, &got), 0);
        CHECK(got.kind == PROTO_REQUEST_NAMESPACES && proto_request_fds(got.kind) == 0, "NAMESPACES request");
        proto_request_done(&got);
        req.app = "unsafe-browser";
        CHECK_RET(proto_encode_request(&req, buf, sizeof buf, &buf_len), -EINVAL);
        req.app = "";
        req.cwd = "/";
        CHECK_RET(proto_encode_request(&req, buf, sizeof buf, &buf_len), -EINVAL);

        struct proto_reply r;
        fill_namespaces(&r, 1, 0);
        round_trip_reply(&r);
        fill_namespaces(&r, 5, 3);
        round_trip_reply(&r);
        /* The largest there is: every name at its limit. */
        fill_namespaces(&r, PROTO_NAMESPACES_MAX, PROTO_PROGRAMS_MAX);
        for (uint32_t i = 0; i < PROTO_NAMESPACES_MAX; i++) {
                memset(r.namespaces.ns[i].name, 'n', PROTO_NS_NAME_MAX);
                r.namespaces.ns[i].name[PROTO_NS_NAME_MAX] = 0;
                r.namespaces.ns[i].nports = PROTO_NS_PORTS_MAX;
                for (uint32_t k = 0; k < PROTO_NS_PORTS_MAX; k++)
                        r.namespaces.ns[i].ports[k] = (uint16_t) (65535 - k);
        }
        for (uint32_t i = 0; i < PROTO_PROGRAMS_MAX; i++) {
                memset(r.namespaces.programs[i].what, 'w', PROTO_APP_NAME_MAX);
                r.namespaces.programs[i].what[PROTO_APP_NAME_MAX] = 0;
        }
        round_trip_reply(&r);

        /* The encoder refuses what breaks the contract. */
        size_t n;
        fill_namespaces(&r, 3, 2);
        r.namespaces.n = 0;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, 2);
        r.namespaces.n = PROTO_NAMESPACES_MAX + 1;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, 2);
        r.namespaces.ns[1].kind = 7;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, 2);
        r.namespaces.ns[1].ports[1] = 0;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, 2);
        r.namespaces.ns[2].name[0] = 0;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, 2);
        r.namespaces.ns[2].name[1] = '\n';
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, 2);
        r.namespaces.programs[1].ns = 3;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, 2);
        r.namespaces.programs[0].pid = 0;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);
        fill_namespaces(&r, 3, PROTO_PROGRAMS_MAX);
        r.namespaces.m = PROTO_PROGRAMS_MAX + 1;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), -EINVAL);

        /* The decoder refuses the same on the wire: one namespace "a", kind internet, no
         * ports, running 0, then one program in namespace 0. Offsets into the payload. */
        fill_namespaces(&r, 1, 1);
        snprintf(r.namespaces.ns[0].name, sizeof r.namespaces.ns[0].name, "a");
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), 0);
        struct proto_reply out;
        CHECK_RET(proto_decode_reply(buf, n, &out), 0);
        const size_t P = PROTO_HEADER_SIZE, KIND = P + 4 + 4 + 1, NPORTS = KIND + 4, PROG = NPORTS + 4 + 4 + 4;
        static const struct { size_t at; uint8_t value; } spoils[] = {
                { P, 0 },               /* n = 0 */
                { P, PROTO_NAMESPACES_MAX + 1 },
                { KIND, 3 },            /* unknown kind */
                { NPORTS, PROTO_NS_PORTS_MAX + 1 },
                { P + 8, 0 },           /* a NUL in the name */
                { P + 8, 0x7f },        /* not printable */
                { P + 4, 0 },           /* empty name (then trailing bytes) */
                { PROG - 4, PROTO_PROGRAMS_MAX + 1 },
                { PROG, 1 },            /* program in namespace 1 of 1 */
                { PROG + 4, 0 },        /* pid 0 (low byte; 100 fits in it) */
        };
        for (size_t i = 0; i < sizeof spoils / sizeof spoils[0]; i++) {
                uint8_t copy[PROTO_REPLY_MAX];
                memcpy(copy, buf, n);
                copy[spoils[i].at] = spoils[i].value;
                memset(&out, 0, sizeof out);
                CHECK(proto_decode_reply(copy, n, &out) < 0, "spoiled NAMESPACES reply %zu decoded", i);
        }
        /* A port over 65535 on the wire: give namespace "a" one port. */
        fill_namespaces(&r, 1, 0);
        r.namespaces.ns[0].nports = 1;
        r.namespaces.ns[0].ports[0] = 1;
        CHECK_RET(proto_encode_reply(&r, buf, PROTO_REPLY_MAX, &n), 0);
        size_t port_at = PROTO_HEADER_SIZE + 4 + 4 + strlen(r.namespaces.ns[0].name) + 4 + 4;
        CHECK(buf[port_at] == 1, "port offset");
        buf[port_at + 2] = 1;   /* 65537 */
        CHECK_RET(proto_decode_reply(buf, n, &out), -EBADMSG);
}

static void test_signal_round_trips(void) {
        int allowed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++) {
                int got = -1;
                CHECK_RET(proto_encode_signal(allowed[i], buf, sizeof(buf), &buf_len), 0);
                CHECK_RET(proto_decode_signal(buf, buf_len, &got), 0);
                CHECK(got == allowed[i], "signal %d, want %d", got, allowed[i]);
        }
        int refused[] = { 0, -1, SIGKILL, SIGSTOP, SIGUSR1, SIGCONT, SIGTSTP, 65 };
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                CHECK(!proto_signal_is_forwardable(refused[i]), "%d forwardable", refused[i]);
                CHECK_RET(proto_encode_signal(refused[i], buf, sizeof(buf), &buf_len), -EINVAL);
                if (refused[i] < 0)
                        continue;
                raw_begin(PROTO_MSG_SIGNAL);
                raw_u32((uint32_t) refused[i]);
                raw_end();
                int got;
                CHECK_RET(proto_decode_signal(raw, raw_len, &got), -EBADMSG);
        }
}

/* ---- helpers of the contract ---- */

static int wait_status_of(void (*child)(void)) {
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork: %m");
        if (pid == 0) {
                child();
                _exit(99);
        }
        int status;
        REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %m");
        return status;
}

static void child_exit3(void) { _exit(3); }
static void child_sigterm(void) { signal(SIGTERM, SIG_DFL); raise(SIGTERM); }
static void child_sigkill(void) { raise(SIGKILL); }

static void test_exit_mapping(void) {
        struct proto_exit e;
        struct proto_reply r;

        CHECK_RET(proto_exit_from_wait_status(wait_status_of(child_exit3), &e), 0);
        CHECK(e.how == PROTO_EXIT_CODE && e.value == 3, "exit 3 → %d/%d", e.how, e.value);
        CHECK(proto_exit_status(&e) == 3, "status %d", proto_exit_status(&e));

        CHECK_RET(proto_exit_from_wait_status(wait_status_of(child_sigterm), &e), 0);
        CHECK(e.how == PROTO_EXIT_SIGNAL && e.value == SIGTERM, "SIGTERM → %d/%d", e.how, e.value);
        CHECK(proto_exit_status(&e) == 128 + SIGTERM, "status %d", proto_exit_status(&e));

        CHECK_RET(proto_reply_exited(&r, wait_status_of(child_sigkill)), 0);
        CHECK(r.type == PROTO_MSG_EXITED && r.exited.how == PROTO_EXIT_SIGNAL && r.exited.value == SIGKILL,
              "SIGKILL → %d/%d", r.exited.how, r.exited.value);
        CHECK(proto_exit_status(&r.exited) == 137, "status %d", proto_exit_status(&r.exited));

        /* Stopped (0x7f) and continued (0xffff) are not ends. */
        CHECK_RET(proto_exit_from_wait_status((SIGSTOP << 8) | 0x7f, &e), -EINVAL);
        CHECK_RET(proto_exit_from_wait_status(0xffff, &e), -EINVAL);

        e = (struct proto_exit) { PROTO_EXIT_CODE, 300 };
        CHECK(proto_exit_status(&e) == PROTO_EXIT_STATUS_FAILURE, "invalid exit must give 125");
        CHECK(proto_exit_status(NULL) == PROTO_EXIT_STATUS_FAILURE, "NULL must give 125");
}

static void test_error_mapping(void) {
        for (int c = PROTO_ERROR_NOT_ALLOWED; c <= PROTO_ERROR_INTERNAL; c++) {
                const char *m = proto_error_default_message((enum proto_error) c);
                CHECK(m && m[0] && !STREQ(m, "unknown error"), "no message for %d", c);
                int want = c == PROTO_ERROR_NOT_FOUND ? 127 : c == PROTO_ERROR_NOT_EXECUTABLE ? 126 : 125;
                CHECK(proto_error_exit_status((enum proto_error) c) == want, "exit status of %d", c);
                CHECK(proto_error_is_valid(c), "%d invalid", c);
        }
        CHECK(!proto_error_is_valid(0) && !proto_error_is_valid(PROTO_ERROR_INTERNAL + 1), "bounds");
        CHECK(STREQ(proto_error_default_message((enum proto_error) 1000), "unknown error"), "unknown");
        CHECK(proto_error_exit_status((enum proto_error) 1000) == 125, "unknown → 125");
}

static void test_reply_error_sanitized(void) {
        struct proto_reply r;
        proto_reply_error(&r, PROTO_ERROR_NOT_FOUND, "not found: '%s'", "a\033[2J\nb\x80");
        CHECK(STREQ(r.error.message, "not found: 'a?[2J?b?'"), "'%s'", r.error.message);
        round_trip_reply(&r);

        char long_arg[1000];
        memset(long_arg, 'z', sizeof(long_arg) - 1);
        long_arg[sizeof(long_arg) - 1] = 0;
        proto_reply_error(&r, PROTO_ERROR_INTERNAL, "%s", long_arg);
        CHECK(strlen(r.error.message) == PROTO_ERROR_MESSAGE_MAX, "length %zu", strlen(r.error.message));
        round_trip_reply(&r);

        proto_reply_error(&r, PROTO_ERROR_BUSY, "%s", "");
        CHECK(STREQ(r.error.message, proto_error_default_message(PROTO_ERROR_BUSY)), "'%s'", r.error.message);
}

static void test_app_names(void) {
        const char *good[] = { "unsafe-browser", "a", "A_b.c-9", "x.desktop" };
        const char *bad[] = { NULL, "", ".", "..", ".hidden", "-x", "a b", "a/b", "../x", "é", "a\n" };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                CHECK(proto_app_name_is_valid(good[i]), "'%s' should be valid", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK(!proto_app_name_is_valid(bad[i]), "'%s' should be invalid", empty_if_null(bad[i]));
}

/* ---- header rejections ---- */

static void encode_sample(void) {
        struct proto_request req = command_request();
        REQUIRE(proto_encode_request(&req, buf, sizeof(buf), &buf_len) == 0, "encode sample");
        memcpy(raw, buf, buf_len);
        raw_len = buf_len;
}

static void test_bad_header(void) {
        struct proto_request req = {};
        struct proto_reply reply;
        int signo;

        encode_sample();
        raw[0] ^= 0xff;
        CHECK_RET(raw_decode_request(), -EBADMSG);

        uint16_t versions[] = { 0, PROTO_VERSION + 1, 0xffff };
        for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
                encode_sample();
                raw_u16_at(4, versions[i]);
                CHECK_RET(raw_decode_request(), -EPROTONOSUPPORT);
                CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EPROTONOSUPPORT);
        }

        uint16_t types[] = { 0, 3, 15, 20, 99, 0xffff };
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                encode_sample();
                raw_u16_at(6, types[i]);
                CHECK_RET(raw_decode_request(), -EBADMSG);
                CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EBADMSG);
                CHECK_RET(proto_decode_signal(raw, raw_len, &signo), -EBADMSG);
        }

        /* Each decoder takes only its own types. */
        encode_sample();
        CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EBADMSG);
        CHECK_RET(proto_decode_signal(raw, raw_len, &signo), -EBADMSG);
        REQUIRE(proto_encode_signal(SIGINT, raw, sizeof(raw), &raw_len) == 0, "encode signal");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EBADMSG);
        proto_reply_started(&reply, 42);
        REQUIRE(proto_encode_reply(&reply, raw, sizeof(raw), &raw_len) == 0, "encode reply");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        CHECK_RET(proto_decode_signal(raw, raw_len, &signo), -EBADMSG);

        /* The length field must match the datagram exactly, both ways. */
        encode_sample();
        raw_u32_at(8, (uint32_t) (raw_len - PROTO_HEADER_SIZE + 1));
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_u32_at(8, (uint32_t) (raw_len - PROTO_HEADER_SIZE - 1));
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_u32_at(8, UINT32_MAX);
        CHECK_RET(raw_decode_request(), -EBADMSG);

        CHECK_RET(proto_decode_request(NULL, 0, &req), -EBADMSG);
        CHECK_RET(proto_decode_request(raw, 0, &req), -EBADMSG);

        /* Larger than any message may be, even if self-consistent. */
        raw_begin(PROTO_MSG_REQUEST);
        raw_len = PROTO_MESSAGE_MAX + 1;
        raw_end();
        CHECK_RET(raw_decode_request(), -EMSGSIZE);
        CHECK(req._storage == NULL, "failed decode must leave *ret untouched");
}

static void test_trailing_bytes(void) {
        struct proto_reply reply;
        int signo;

        /* A byte more, with the header saying so, and without. */
        encode_sample();
        raw[raw_len++] = 0;
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_end();
        CHECK_RET(raw_decode_request(), -EBADMSG);

        proto_reply_started(&reply, 7);
        REQUIRE(proto_encode_reply(&reply, raw, sizeof(raw), &raw_len) == 0, "encode");
        raw[raw_len++] = 0;
        raw_end();
        CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EBADMSG);

        REQUIRE(proto_encode_signal(SIGTERM, raw, sizeof(raw), &raw_len) == 0, "encode");
        raw_u32(0);
        raw_end();
        CHECK_RET(proto_decode_signal(raw, raw_len, &signo), -EBADMSG);
}

/* Every proper prefix of a valid message must be refused, whether the header still claims
 * the full length or was fixed to agree with the cut (then the payload misses fields). */
static void check_truncations(const uint8_t *msg, size_t len, const char *what) {
        static uint8_t cut[PROTO_MESSAGE_MAX];
        struct proto_request req = {};
        struct proto_reply reply;
        int signo;
        unsigned accepted = 0;

        for (size_t n = 0; n < len; n++) {
                memcpy(cut, msg, n);
                for (int fix = 0; fix < 2; fix++) {
                        if (fix) {
                                if (n < PROTO_HEADER_SIZE)
                                        continue;
                                uint32_t l = (uint32_t) (n - PROTO_HEADER_SIZE);
                                for (unsigned i = 0; i < 4; i++)
                                        cut[8 + i] = (uint8_t) (l >> (8 * i));
                        }
                        if (proto_decode_request(cut, n, &req) >= 0) {
                                proto_request_done(&req);
                                accepted++;
                        }
                        if (proto_decode_reply(cut, n, &reply) >= 0)
                                accepted++;
                        if (proto_decode_signal(cut, n, &signo) >= 0)
                                accepted++;
                }
        }
        CHECK(accepted == 0, "%s: %u truncated forms accepted", what, accepted);
}

static void test_truncations(void) {
        struct proto_request req = command_request();
        REQUIRE(proto_encode_request(&req, raw, sizeof(raw), &raw_len) == 0, "encode");
        check_truncations(raw, raw_len, "command request");

        char *extra[] = { "x" };
        req = (struct proto_request) { .kind = PROTO_REQUEST_APP, .app = "unsafe-browser",
                                       .argc = 1, .argv = extra, .cwd = "/" };
        REQUIRE(proto_encode_request(&req, raw, sizeof(raw), &raw_len) == 0, "encode");
        check_truncations(raw, raw_len, "app request");

        req = status_request();
        REQUIRE(proto_encode_request(&req, raw, sizeof(raw), &raw_len) == 0, "encode");
        check_truncations(raw, raw_len, "status request");

        struct proto_reply replies[5];
        proto_reply_started(&replies[0], 1234);
        replies[1] = (struct proto_reply) { .type = PROTO_MSG_EXITED, .exited = { PROTO_EXIT_CODE, 3 } };
        replies[2] = (struct proto_reply) { .type = PROTO_MSG_EXITED, .exited = { PROTO_EXIT_SIGNAL, 9 } };
        proto_reply_error(&replies[3], PROTO_ERROR_NOT_ALLOWED, "nope");
        proto_reply_status(&replies[4], true, 0, 1);
        for (size_t i = 0; i < ELEMENTSOF(replies); i++) {
                REQUIRE(proto_encode_reply(&replies[i], raw, sizeof(raw), &raw_len) == 0, "encode");
                check_truncations(raw, raw_len, "reply");
        }

        REQUIRE(proto_encode_signal(SIGWINCH, raw, sizeof(raw), &raw_len) == 0, "encode");
        check_truncations(raw, raw_len, "signal");
}

/* ---- request content rejections ---- */

static void test_argv_limits(void) {
        static const char *many[PROTO_ARGV_MAX + 1];
        for (size_t i = 0; i <= PROTO_ARGV_MAX; i++)
                many[i] = "a";
        raw_request(PROTO_REQUEST_COMMAND, "", PROTO_ARGV_MAX + 1, many, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -E2BIG);

        struct proto_request req = { .kind = PROTO_REQUEST_COMMAND, .argc = PROTO_ARGV_MAX + 1,
                                     .argv = (char **) many, .cwd = "/" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -E2BIG);

        /* A count far beyond the data must be refused before anything is allocated for it. */
        raw_begin(PROTO_MSG_REQUEST);
        raw_u32(PROTO_REQUEST_COMMAND);
        raw_str("");
        raw_u32(UINT32_MAX);
        raw_end();
        CHECK_RET(raw_decode_request(), -E2BIG);

        /* Total one over: two entries of half the limit plus one byte more. */
        char *big = malloc(PROTO_ARGV_TOTAL_MAX / 2 + 1);
        REQUIRE(big, "malloc");
        memset(big, 'x', PROTO_ARGV_TOTAL_MAX / 2);
        big[PROTO_ARGV_TOTAL_MAX / 2] = 0;
        const char *two[] = { big, "x" };
        raw_request(PROTO_REQUEST_COMMAND, "", 2, two, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), 0);
        const char *three[] = { big, big };
        raw_request(PROTO_REQUEST_COMMAND, "", 2, three, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -E2BIG);
        req = (struct proto_request) { .kind = PROTO_REQUEST_COMMAND, .argc = 2, .argv = (char **) three, .cwd = "/" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -E2BIG);
        free(big);
}

static void test_env_limits(void) {
        static const char *many[PROTO_ENV_MAX + 1];
        const char *argv[] = { "true" };
        for (size_t i = 0; i <= PROTO_ENV_MAX; i++)
                many[i] = "A=1";
        raw_request(PROTO_REQUEST_COMMAND, "", 1, argv, PROTO_ENV_MAX + 1, many, "/");
        CHECK_RET(raw_decode_request(), -E2BIG);

        char *entry = malloc(PROTO_ENV_ENTRY_MAX + 2);
        REQUIRE(entry, "malloc");
        memset(entry, 'v', PROTO_ENV_ENTRY_MAX + 1);
        memcpy(entry, "K=", 2);
        entry[PROTO_ENV_ENTRY_MAX + 1] = 0;
        const char *one[] = { entry };
        raw_request(PROTO_REQUEST_COMMAND, "", 1, argv, 1, one, "/");
        CHECK_RET(raw_decode_request(), -E2BIG);
        struct proto_request req = { .kind = PROTO_REQUEST_COMMAND, .argc = 1, .argv = (char **) argv,
                                     .envc = 1, .env = (char **) one, .cwd = "/" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -E2BIG);

        /* Each entry within its limit, but all of them together over the message size. */
        entry[PROTO_ENV_ENTRY_MAX] = 0;
        for (size_t i = 0; i < PROTO_ENV_MAX; i++)
                many[i] = entry;
        req.envc = PROTO_ENV_MAX;
        req.env = (char **) many;
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -E2BIG);
        raw_request(PROTO_REQUEST_COMMAND, "", 1, argv, PROTO_ENV_MAX, many, "/");
        CHECK_RET(raw_decode_request(), -EMSGSIZE);
        free(entry);

        const char *bad[] = { "NOEQUALS", "=value", "=", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                raw_request(PROTO_REQUEST_COMMAND, "", 1, argv, 1, &bad[i], "/");
                CHECK_RET(raw_decode_request(), -EBADMSG);
                req = (struct proto_request) { .kind = PROTO_REQUEST_COMMAND, .argc = 1, .argv = (char **) argv,
                                               .envc = 1, .env = (char **) &bad[i], .cwd = "/" };
                CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);
        }
}

/* A field with a NUL inside, put at each string position of a request in turn. */
static void test_embedded_nul(void) {
        static const char nul[] = "ab\0cd";
        for (int where = 0; where < 4; where++) {
                raw_begin(PROTO_MSG_REQUEST);
                raw_u32(where == 0 ? PROTO_REQUEST_APP : PROTO_REQUEST_COMMAND);
                if (where == 0)
                        raw_bytes("app\0x", 5);
                else
                        raw_str("");
                raw_u32(2);
                raw_str("/bin/echo");
                if (where == 1)
                        raw_bytes(nul, sizeof(nul) - 1);
                else
                        raw_str("ok");
                raw_u32(1);
                if (where == 2)
                        raw_bytes("A=b\0c", 5);
                else
                        raw_str("A=b");
                if (where == 3)
                        raw_bytes("/tmp\0/x", 7);
                else
                        raw_str("/tmp");
                raw_end();
                CHECK_RET(raw_decode_request(), -EBADMSG);
        }
        /* Same message without the NULs is fine, so the NUL is what was refused. */
        const char *argv[] = { "/bin/echo", "ok" }, *env[] = { "A=b" };
        raw_request(PROTO_REQUEST_COMMAND, "", 2, argv, 1, env, "/tmp");
        CHECK_RET(raw_decode_request(), 0);

        struct proto_reply reply;
        raw_begin(PROTO_MSG_ERROR);
        raw_u32(PROTO_ERROR_INTERNAL);
        raw_bytes("bad\0", 4);
        raw_end();
        CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EBADMSG);
}

static void test_cwd(void) {
        const char *argv[] = { "true" };
        const char *bad[] = { "tmp", "./x", "", "~/x" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                raw_request(PROTO_REQUEST_COMMAND, "", 1, argv, 0, NULL, bad[i]);
                CHECK_RET(raw_decode_request(), -EBADMSG);
                raw_request(PROTO_REQUEST_APP, "unsafe-browser", 0, NULL, 0, NULL, bad[i]);
                CHECK_RET(raw_decode_request(), -EBADMSG);
                struct proto_request req = { .kind = PROTO_REQUEST_COMMAND, .argc = 1,
                                             .argv = (char **) argv, .cwd = bad[i] };
                CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);
        }
        struct proto_request req = { .kind = PROTO_REQUEST_COMMAND, .argc = 1, .argv = (char **) argv };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);

        static char longcwd[PROTO_CWD_MAX + 2];
        memset(longcwd, 'd', PROTO_CWD_MAX + 1);
        longcwd[0] = '/';
        raw_request(PROTO_REQUEST_COMMAND, "", 1, argv, 0, NULL, longcwd);
        CHECK_RET(raw_decode_request(), -E2BIG);
        req.cwd = longcwd;
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -E2BIG);
}

static void test_missing_fields(void) {
        const char *argv[] = { "true" }, *empty0[] = { "" }, *env[] = { "A=1" };
        struct proto_request req = {};

        /* A command needs argv[0]; an app and a status need a valid app name; a command must
         * not name one; status carries nothing to run with. */
        raw_request(PROTO_REQUEST_COMMAND, "", 0, NULL, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_COMMAND, "", 1, empty0, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_COMMAND, "unsafe-browser", 1, argv, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_APP, "", 0, NULL, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_APP, "../etc", 0, NULL, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_STATUS, "", 0, NULL, 0, NULL, "");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_STATUS, "unsafe-browser", 1, argv, 0, NULL, "");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_STATUS, "unsafe-browser", 0, NULL, 1, env, "");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_STATUS, "unsafe-browser", 0, NULL, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        /* A time sync names nothing: the daemon runs its own check. */
        raw_request(PROTO_REQUEST_TIME_SYNC, "portal-check", 0, NULL, 0, NULL, "");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_TIME_SYNC, "", 1, argv, 0, NULL, "");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_TIME_SYNC, "", 0, NULL, 1, env, "");
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_request(PROTO_REQUEST_TIME_SYNC, "", 0, NULL, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -EBADMSG);

        char longapp[PROTO_APP_NAME_MAX + 2];
        memset(longapp, 'a', sizeof(longapp) - 1);
        longapp[sizeof(longapp) - 1] = 0;
        raw_request(PROTO_REQUEST_APP, longapp, 0, NULL, 0, NULL, "/");
        CHECK_RET(raw_decode_request(), -E2BIG);

        uint32_t kinds[] = { 0, 4, UINT32_MAX };
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                raw_request(kinds[i], "", 1, argv, 0, NULL, "/");
                CHECK_RET(raw_decode_request(), -EBADMSG);
        }

        /* Well-framed messages that stop after a field. */
        raw_begin(PROTO_MSG_REQUEST);
        raw_end();
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_begin(PROTO_MSG_REQUEST);
        raw_u32(PROTO_REQUEST_COMMAND);
        raw_str("");
        raw_u32(1);
        raw_str("true");
        raw_end();
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_u32(0);
        raw_end();
        CHECK_RET(raw_decode_request(), -EBADMSG);
        raw_str("/");
        raw_end();
        CHECK_RET(raw_decode_request(), 0);

        /* A string length pointing past the end. */
        raw_begin(PROTO_MSG_REQUEST);
        raw_u32(PROTO_REQUEST_COMMAND);
        raw_u32(UINT32_MAX);
        raw_end();
        CHECK_RET(raw_decode_request(), -EBADMSG);

        /* Encoder side: same rules. */
        req = (struct proto_request) { .kind = PROTO_REQUEST_COMMAND, .cwd = "/" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);
        char *with_null[] = { "true", NULL };
        req = (struct proto_request) { .kind = PROTO_REQUEST_COMMAND, .argc = 2, .argv = with_null, .cwd = "/" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);
        req = (struct proto_request) { .kind = PROTO_REQUEST_APP, .cwd = "/" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);
        req = (struct proto_request) { .kind = PROTO_REQUEST_STATUS, .app = "x", .cwd = "/" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);
        req = (struct proto_request) { .kind = 0, .app = "x" };
        CHECK_RET(proto_encode_request(&req, buf, sizeof(buf), &buf_len), -EINVAL);
        CHECK_RET(proto_encode_request(NULL, buf, sizeof(buf), &buf_len), -EINVAL);
}

static void test_encode_buffer(void) {
        struct proto_request req = command_request();
        size_t full;
        REQUIRE(proto_encode_request(&req, buf, sizeof(buf), &full) == 0, "encode");
        for (size_t n = 0; n < full; n++)
                CHECK_RET(proto_encode_request(&req, buf, n, &buf_len), -ENOBUFS);
        CHECK_RET(proto_encode_request(&req, buf, full, &buf_len), 0);
        CHECK_RET(proto_encode_request(&req, NULL, 0, &buf_len), -ENOBUFS);

        struct proto_reply reply;
        proto_reply_error(&reply, PROTO_ERROR_BUSY, NULL);
        REQUIRE(proto_encode_reply(&reply, buf, sizeof(buf), &full) == 0, "encode");
        for (size_t n = 0; n < full; n++)
                CHECK_RET(proto_encode_reply(&reply, buf, n, &buf_len), -ENOBUFS);
        CHECK_RET(proto_encode_signal(SIGINT, buf, PROTO_HEADER_SIZE + 3, &buf_len), -ENOBUFS);
}

/* ---- reply content rejections ---- */

static void check_reply_refused(uint16_t type, uint32_t a, uint32_t b, uint32_t c, size_t nfields, int want) {
        struct proto_reply reply;
        raw_begin(type);
        uint32_t v[] = { a, b, c };
        for (size_t i = 0; i < nfields; i++)
                raw_u32(v[i]);
        raw_end();
        CHECK_RET(proto_decode_reply(raw, raw_len, &reply), want);
}

static void test_reply_rejections(void) {
        check_reply_refused(PROTO_MSG_STARTED, 0, 0, 0, 1, -EBADMSG);
        check_reply_refused(PROTO_MSG_STARTED, (uint32_t) INT32_MAX + 1, 0, 0, 1, -EBADMSG);
        check_reply_refused(PROTO_MSG_STARTED, UINT32_MAX, 0, 0, 1, -EBADMSG);
        check_reply_refused(PROTO_MSG_EXITED, 0, 0, 0, 2, -EBADMSG);
        check_reply_refused(PROTO_MSG_EXITED, 3, 0, 0, 2, -EBADMSG);
        check_reply_refused(PROTO_MSG_EXITED, PROTO_EXIT_CODE, 256, 0, 2, -EBADMSG);
        check_reply_refused(PROTO_MSG_EXITED, PROTO_EXIT_CODE, UINT32_MAX, 0, 2, -EBADMSG);
        check_reply_refused(PROTO_MSG_EXITED, PROTO_EXIT_SIGNAL, 0, 0, 2, -EBADMSG);
        check_reply_refused(PROTO_MSG_EXITED, PROTO_EXIT_SIGNAL, PROTO_SIGNAL_MAX + 1, 0, 2, -EBADMSG);
        check_reply_refused(PROTO_MSG_STATUS, 2, 0, 0, 3, -EBADMSG);
        check_reply_refused(PROTO_MSG_STATUS, 1, 0, 0, 2, -EBADMSG);

        struct proto_reply reply;
        const char *bad_messages[] = { "", "two\nlines", "esc\033[0m", "tab\there", "del\x7f", "utf8 \xc3\xa9" };
        for (size_t i = 0; i < ELEMENTSOF(bad_messages); i++) {
                raw_begin(PROTO_MSG_ERROR);
                raw_u32(PROTO_ERROR_INTERNAL);
                raw_str(bad_messages[i]);
                raw_end();
                CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EBADMSG);

                reply = (struct proto_reply) { .type = PROTO_MSG_ERROR, .error.code = PROTO_ERROR_INTERNAL };
                snprintf(reply.error.message, sizeof(reply.error.message), "%s", bad_messages[i]);
                CHECK_RET(proto_encode_reply(&reply, buf, sizeof(buf), &buf_len), -EINVAL);
        }
        char longmsg[PROTO_ERROR_MESSAGE_MAX + 2];
        memset(longmsg, 'm', sizeof(longmsg) - 1);
        longmsg[sizeof(longmsg) - 1] = 0;
        raw_begin(PROTO_MSG_ERROR);
        raw_u32(PROTO_ERROR_INTERNAL);
        raw_str(longmsg);
        raw_end();
        CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -E2BIG);

        uint32_t codes[] = { 0, PROTO_ERROR_INTERNAL + 1, 125, UINT32_MAX };
        for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
                raw_begin(PROTO_MSG_ERROR);
                raw_u32(codes[i]);
                raw_str("x");
                raw_end();
                CHECK_RET(proto_decode_reply(raw, raw_len, &reply), -EBADMSG);
        }

        /* Encoder refuses what the decoder would. */
        proto_reply_started(&reply, 0);
        CHECK_RET(proto_encode_reply(&reply, buf, sizeof(buf), &buf_len), -EINVAL);
        reply = (struct proto_reply) { .type = PROTO_MSG_EXITED, .exited = { PROTO_EXIT_SIGNAL, 0 } };
        CHECK_RET(proto_encode_reply(&reply, buf, sizeof(buf), &buf_len), -EINVAL);
        reply = (struct proto_reply) { .type = PROTO_MSG_REQUEST };
        CHECK_RET(proto_encode_reply(&reply, buf, sizeof(buf), &buf_len), -EINVAL);
        proto_reply_error(&reply, PROTO_ERROR_INTERNAL, NULL);
        memset(reply.error.message, 'm', sizeof(reply.error.message));  /* unterminated */
        CHECK_RET(proto_encode_reply(&reply, buf, sizeof(buf), &buf_len), -EINVAL);
}

/* ---- over a real socketpair ---- */

static void test_socket_request(void) {
        int sv[2], fds[3], got[3];
        struct proto_request req = command_request(), rreq = {};
        unsigned before;

        make_socketpair(sv);
        make_fds(fds, 3);
        before = count_fds();

        CHECK_RET(proto_send_request(sv[0], &req, fds), 0);
        CHECK_RET(proto_recv_request(sv[1], &rreq, got), 0);
        check_request_equal(&rreq, &req);
        for (int i = 0; i < 3; i++) {
                CHECK(fd_is_open(got[i]) && got[i] != fds[i], "fd %d", got[i]);
                CHECK(fcntl(got[i], F_GETFD) == FD_CLOEXEC, "received fd %d without O_CLOEXEC", got[i]);
        }
        CHECK(count_fds() == before + 3, "fd count %u, want %u", count_fds(), before + 3);
        close_fds(got, 3);
        proto_request_done(&rreq);

        struct proto_request st = status_request();
        CHECK_RET(proto_send_request(sv[0], &st, NULL), 0);
        CHECK_RET(proto_recv_request(sv[1], &rreq, got), 0);
        check_request_equal(&rreq, &st);
        CHECK(got[0] == -1 && got[1] == -1 && got[2] == -1, "status request with fds");
        proto_request_done(&rreq);
        CHECK(count_fds() == before, "fd count %u, want %u", count_fds(), before);

        /* Sender-side refusals. */
        CHECK_RET(proto_send_request(sv[0], &req, NULL), -EINVAL);
        CHECK_RET(proto_send(sv[0], buf, 1, fds, 4), -EINVAL);
        int badfds[3] = { fds[0], -1, fds[2] };
        CHECK_RET(proto_send(sv[0], buf, 1, badfds, 3), -EBADF);
        CHECK_RET(proto_send(sv[0], buf, PROTO_MESSAGE_MAX + 1, NULL, 0), -EMSGSIZE);

        close_fds(fds, 3);
        close_fds(sv, 2);
}

/* Send a valid encoding with the given control messages; expect the receiver to refuse it
 * with `want` and to leave no fd behind. */
static void check_recv_request_refused(int sv[2], const uint8_t *msg, size_t len, const struct cm *cms,
                                       size_t ncms, int want, const char *what) {
        struct proto_request rreq = {};
        int got[3] = { -1, -1, -1 };
        unsigned before = count_fds();

        send_raw(sv[0], msg, len, cms, ncms);
        int r = proto_recv_request(sv[1], &rreq, got);
        CHECK(r == want, "%s: got %d (%s), want %d", what, r, strerror(-r), want);
        CHECK(count_fds() == before, "%s: %u fds open, want %u (leak)", what, count_fds(), before);
        CHECK(rreq._storage == NULL, "%s: request left allocated", what);
}

static void test_socket_fd_counts(void) {
        static uint8_t cmd[PROTO_MESSAGE_MAX], status[PROTO_MESSAGE_MAX];
        size_t cmd_len, status_len;
        int sv[2], fds[20];
        struct proto_request req = command_request(), st = status_request();

        make_socketpair(sv);
        make_fds(fds, 20);
        REQUIRE(proto_encode_request(&req, cmd, sizeof(cmd), &cmd_len) == 0, "encode");
        REQUIRE(proto_encode_request(&st, status, sizeof(status), &status_len) == 0, "encode");

        struct cm two[] = { { SOL_SOCKET, SCM_RIGHTS, fds, 2 * sizeof(int) } };
        struct cm four[] = { { SOL_SOCKET, SCM_RIGHTS, fds, 4 * sizeof(int) } };
        struct cm three[] = { { SOL_SOCKET, SCM_RIGHTS, fds, 3 * sizeof(int) } };
        struct cm one[] = { { SOL_SOCKET, SCM_RIGHTS, fds, sizeof(int) } };
        struct cm twenty[] = { { SOL_SOCKET, SCM_RIGHTS, fds, 20 * sizeof(int) } };
        /* The kernel merges several SCM_RIGHTS of one sendmsg() into one on the receiving
         * side, so 1 + 1 arrives as 2 fds (refused for the count) … */
        struct cm split[] = { { SOL_SOCKET, SCM_RIGHTS, fds, sizeof(int) },
                              { SOL_SOCKET, SCM_RIGHTS, fds + 1, sizeof(int) } };

        check_recv_request_refused(sv, cmd, cmd_len, NULL, 0, -EBADMSG, "command, 0 fds");
        check_recv_request_refused(sv, cmd, cmd_len, one, 1, -EBADMSG, "command, 1 fd");
        check_recv_request_refused(sv, cmd, cmd_len, two, 1, -EBADMSG, "command, 2 fds");
        check_recv_request_refused(sv, cmd, cmd_len, four, 1, -EBADMSG, "command, 4 fds");
        check_recv_request_refused(sv, cmd, cmd_len, twenty, 1, -EBADMSG, "command, 20 fds (MSG_CTRUNC)");
        check_recv_request_refused(sv, cmd, cmd_len, split, 2, -EBADMSG, "command, fds in two cmsgs");
        check_recv_request_refused(sv, status, status_len, three, 1, -EBADMSG, "status, 3 fds");
        check_recv_request_refused(sv, status, status_len, one, 1, -EBADMSG, "status, 1 fd");
        /* A bad message with the right fds: the fds still must not stay open. */
        check_recv_request_refused(sv, (const uint8_t *) "garbage", 7, three, 1, -EBADMSG, "garbage + 3 fds");
        cmd[4] = 2;  /* version */
        check_recv_request_refused(sv, cmd, cmd_len, three, 1, -EPROTONOSUPPORT, "version 2 + 3 fds");
        cmd[4] = PROTO_VERSION;

        /* … while 2 + 1 is merged into 3 fds, indistinguishable from one SCM_RIGHTS; the
         * rule "more than one control message" covers what does arrive split (below). */
        struct cm split3[] = { { SOL_SOCKET, SCM_RIGHTS, fds, 2 * sizeof(int) },
                               { SOL_SOCKET, SCM_RIGHTS, fds + 2, sizeof(int) } };
        struct proto_request rreq = {};
        int got[3];
        send_raw(sv[0], cmd, cmd_len, split3, 2);
        CHECK_RET(proto_recv_request(sv[1], &rreq, got), 0);
        proto_request_done(&rreq);
        close_fds(got, 3);

        close_fds(fds, 20);
        close_fds(sv, 2);
}

static void test_socket_credentials(void) {
        static uint8_t cmd[PROTO_MESSAGE_MAX];
        size_t cmd_len;
        int sv[2], fds[3], one = 1;
        struct proto_request req = command_request();
        struct ucred cred = { .pid = getpid(), .uid = getuid(), .gid = getgid() };

        make_socketpair(sv);
        make_fds(fds, 3);
        REQUIRE(proto_encode_request(&req, cmd, sizeof(cmd), &cmd_len) == 0, "encode");

        /* With SO_PASSCRED on the receiver every datagram carries SCM_CREDENTIALS, whether
         * the sender adds them or not; both must be refused and the fds closed. */
        REQUIRE(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0, "SO_PASSCRED: %m");
        struct cm rights[] = { { SOL_SOCKET, SCM_RIGHTS, fds, 3 * sizeof(int) } };
        struct cm both[] = { { SOL_SOCKET, SCM_CREDENTIALS, &cred, sizeof(cred) },
                             { SOL_SOCKET, SCM_RIGHTS, fds, 3 * sizeof(int) } };
        check_recv_request_refused(sv, cmd, cmd_len, rights, 1, -EBADMSG, "implicit SCM_CREDENTIALS + 3 fds");
        check_recv_request_refused(sv, cmd, cmd_len, both, 2, -EBADMSG, "SCM_CREDENTIALS + 3 fds");

        struct proto_reply reply;
        proto_reply_started(&reply, 1);
        CHECK_RET(proto_send_reply(sv[0], &reply), 0);
        CHECK_RET(proto_recv_reply(sv[1], &reply), -EBADMSG);

        close_fds(fds, 3);
        close_fds(sv, 2);
}

/* proto_take_fds() on a hand-made msghdr: what the kernel would not produce from a single
 * sendmsg() (two SCM_RIGHTS) must still be refused, and every fd in it closed. */
static void test_take_fds_two_rights(void) {
        union {
                struct cmsghdr align;
                uint8_t b[2 * CMSG_SPACE(2 * sizeof(int))];
        } control = {};
        struct msghdr mh = { .msg_control = &control, .msg_controllen = sizeof(control) };
        int fds[4], got[3];
        size_t n = 99;

        make_fds(fds, 4);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        REQUIRE(c, "cmsg");
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(2 * sizeof(int));
        memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
        c = CMSG_NXTHDR(&mh, c);
        REQUIRE(c, "cmsg");
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(2 * sizeof(int));
        memcpy(CMSG_DATA(c), fds + 2, 2 * sizeof(int));

        CHECK_RET(proto_take_fds(&mh, got, 3, &n), -EBADMSG);
        for (int i = 0; i < 4; i++)
                CHECK(!fd_is_open(fds[i]), "fd %d of a refused message left open", fds[i]);

        /* A flagged truncation closes as well. */
        make_fds(fds, 1);
        mh.msg_controllen = CMSG_SPACE(sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), fds, sizeof(int));
        mh.msg_flags = MSG_CTRUNC;
        CHECK_RET(proto_take_fds(&mh, got, 3, &n), -EBADMSG);
        CHECK(!fd_is_open(fds[0]), "fd left open after MSG_CTRUNC");
        CHECK(n == 99, "ret_nfds written on failure");
}

static void test_socket_truncation_and_eof(void) {
        static uint8_t cmd[PROTO_MESSAGE_MAX];
        uint8_t small[16];
        size_t cmd_len, len, nfds;
        int sv[2], fds[3], got[3];
        struct proto_request req = command_request();

        make_socketpair(sv);
        make_fds(fds, 3);
        REQUIRE(proto_encode_request(&req, cmd, sizeof(cmd), &cmd_len) == 0, "encode");

        unsigned before = count_fds();
        CHECK_RET(proto_send(sv[0], cmd, cmd_len, fds, 3), 0);
        CHECK_RET(proto_recv(sv[1], small, sizeof(small), &len, got, 3, &nfds), -EMSGSIZE);
        CHECK(count_fds() == before, "MSG_TRUNC: %u fds open, want %u", count_fds(), before);

        /* A datagram bigger than any message: refused, fds closed. */
        static uint8_t huge[PROTO_MESSAGE_MAX + 100];
        memset(huge, 0, sizeof(huge));
        struct cm three[] = { { SOL_SOCKET, SCM_RIGHTS, fds, 3 * sizeof(int) } };
        check_recv_request_refused(sv, huge, sizeof(huge), three, 1, -EMSGSIZE, "oversized datagram");

        /* A reply must carry no fds. */
        struct proto_reply reply;
        proto_reply_started(&reply, 1);
        REQUIRE(proto_encode_reply(&reply, cmd, sizeof(cmd), &cmd_len) == 0, "encode");
        CHECK_RET(proto_send(sv[1], cmd, cmd_len, fds, 1), 0);
        CHECK_RET(proto_recv_reply(sv[0], &reply), -EBADMSG);
        CHECK(count_fds() == before, "reply with fd: %u fds open, want %u", count_fds(), before);

        /* Nothing queued on a non-blocking socket. */
        REQUIRE(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
        CHECK_RET(proto_recv(sv[1], small, sizeof(small), &len, NULL, 0, NULL), -EAGAIN);

        /* The peer going away. */
        close(sv[0]);
        CHECK_RET(proto_recv(sv[1], small, sizeof(small), &len, NULL, 0, NULL), -ECONNRESET);
        CHECK_RET(proto_recv_signal(sv[1], &(int) { 0 }), -ECONNRESET);
        close(sv[1]);
        close_fds(fds, 3);
}

static void test_socket_replies_and_signals(void) {
        int sv[2], signo = 0;
        struct proto_reply sent, got;

        make_socketpair(sv);
        proto_reply_started(&sent, 4242);
        CHECK_RET(proto_send_reply(sv[1], &sent), 0);
        CHECK_RET(proto_recv_reply(sv[0], &got), 0);
        check_reply_equal(&got, &sent);

        CHECK_RET(proto_reply_exited(&sent, 3 << 8), 0);
        CHECK_RET(proto_send_reply(sv[1], &sent), 0);
        CHECK_RET(proto_recv_reply(sv[0], &got), 0);
        check_reply_equal(&got, &sent);

        proto_reply_error(&sent, PROTO_ERROR_TOO_MANY_INSTANCES, NULL);
        CHECK_RET(proto_send_reply(sv[1], &sent), 0);
        CHECK_RET(proto_recv_reply(sv[0], &got), 0);
        check_reply_equal(&got, &sent);

        proto_reply_status(&sent, true, 1, 1);
        CHECK_RET(proto_send_reply(sv[1], &sent), 0);
        CHECK_RET(proto_recv_reply(sv[0], &got), 0);
        check_reply_equal(&got, &sent);

        CHECK_RET(proto_send_signal(sv[0], SIGWINCH), 0);
        CHECK_RET(proto_recv_signal(sv[1], &signo), 0);
        CHECK(signo == SIGWINCH, "signal %d", signo);
        CHECK_RET(proto_send_signal(sv[0], SIGKILL), -EINVAL);

        /* A reply larger than PROTO_REPLY_MAX is refused as truncated. */
        static uint8_t big[PROTO_REPLY_MAX + 1];
        CHECK_RET(proto_send(sv[1], big, sizeof(big), NULL, 0), 0);
        CHECK_RET(proto_recv_reply(sv[0], &got), -EMSGSIZE);

        /* Sending to a closed peer fails with EPIPE, without SIGPIPE killing us. */
        close(sv[1]);
        CHECK_RET(proto_send_signal(sv[0], SIGINT), -EPIPE);
        close(sv[0]);
}

int main(void) {
        unsigned fds_at_start = count_fds();

        test_request_round_trips();
        test_request_limits_accepted();
        test_reply_round_trips();
        test_namespaces_round_trips();
        test_signal_round_trips();
        test_exit_mapping();
        test_error_mapping();
        test_reply_error_sanitized();
        test_app_names();
        test_bad_header();
        test_trailing_bytes();
        test_truncations();
        test_argv_limits();
        test_env_limits();
        test_embedded_nul();
        test_cwd();
        test_missing_fields();
        test_encode_buffer();
        test_reply_rejections();
        test_socket_request();
        test_socket_fd_counts();
        test_socket_credentials();
        test_take_fds_two_rights();
        test_socket_truncation_and_eof();
        test_socket_replies_and_signals();

        CHECK(count_fds() == fds_at_start, "%u fds open at the end, %u at the start", count_fds(), fds_at_start);
        if (failures > 0) {
                fprintf(stderr, "test-proto: %u of %u checks failed\n", failures, checks);
                return EXIT_FAILURE;
        }
        printf("test-proto: all %u checks passed\n", checks);
        return EXIT_SUCCESS;
}
