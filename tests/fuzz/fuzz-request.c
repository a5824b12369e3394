/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the wire decoders: arbitrary bytes as a request, a reply and a signal message.
 * Beyond "no crash, leak or sanitizer report" it checks that whatever decodes satisfies
 * the contract and re-encodes to exactly the same bytes (the encoding is canonical). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "clearnet/protocol.h"
#include "fuzz.h"

/* abort() rather than assert(): it must also fire in builds with NDEBUG. */
#define FUZZ_CHECK(cond)              \
        do {                          \
                if (!(cond))          \
                        abort();      \
        } while (0)

static uint8_t again[PROTO_MESSAGE_MAX];

static void check_request(const struct proto_request *req, const uint8_t *data, size_t size) {
        size_t len = 0, total = 0;

        FUZZ_CHECK(req->kind >= PROTO_REQUEST_COMMAND && req->kind <= PROTO_REQUEST_NAMESPACES);
        FUZZ_CHECK(req->app && strlen(req->app) <= PROTO_APP_NAME_MAX);
        FUZZ_CHECK(req->kind == PROTO_REQUEST_COMMAND || req->kind == PROTO_REQUEST_TIME_SYNC ||
                   req->kind == PROTO_REQUEST_NAMESPACES
                   ? req->app[0] == 0 : proto_app_name_is_valid(req->app));
        FUZZ_CHECK(req->argc <= PROTO_ARGV_MAX && req->argv && !req->argv[req->argc]);
        for (size_t i = 0; i < req->argc; i++)
                total += strlen(req->argv[i]) + 1;
        FUZZ_CHECK(total <= PROTO_ARGV_TOTAL_MAX);
        FUZZ_CHECK(req->envc <= PROTO_ENV_MAX && req->env && !req->env[req->envc]);
        for (size_t i = 0; i < req->envc; i++) {
                const char *eq = strchr(req->env[i], '=');
                FUZZ_CHECK(strlen(req->env[i]) <= PROTO_ENV_ENTRY_MAX && eq && eq != req->env[i]);
        }
        FUZZ_CHECK(req->cwd && strlen(req->cwd) <= PROTO_CWD_MAX);
        if (req->kind == PROTO_REQUEST_STATUS || req->kind == PROTO_REQUEST_TIME_SYNC || req->kind == PROTO_REQUEST_NAMESPACES)
                FUZZ_CHECK(req->argc == 0 && req->envc == 0 && req->cwd[0] == 0);
        else
                FUZZ_CHECK(req->cwd[0] == '/');
        if (req->kind == PROTO_REQUEST_COMMAND)
                FUZZ_CHECK(req->argc >= 1 && req->argv[0][0] != 0);

        FUZZ_CHECK(proto_encode_request(req, again, sizeof(again), &len) == 0);
        FUZZ_CHECK(len == size && memcmp(again, data, size) == 0);
}

static void check_reply(const struct proto_reply *reply, const uint8_t *data, size_t size) {
        size_t len = 0;

        if (reply->type == PROTO_MSG_ERROR) {
                size_t n = strlen(reply->error.message);
                FUZZ_CHECK(n >= 1 && n <= PROTO_ERROR_MESSAGE_MAX && proto_error_is_valid(reply->error.code));
                for (size_t i = 0; i < n; i++)
                        FUZZ_CHECK(reply->error.message[i] >= 0x20 && reply->error.message[i] < 0x7f);
        }
        if (reply->type == PROTO_MSG_TIME) {
                size_t n = strlen(reply->time.detail);
                FUZZ_CHECK(n <= PROTO_URL_MAX && proto_time_outcome_name(reply->time.outcome));
                for (size_t i = 0; i < n; i++)
                        FUZZ_CHECK(reply->time.detail[i] >= 0x20 && reply->time.detail[i] < 0x7f);
        }
        if (reply->type == PROTO_MSG_NAMESPACES) {
                FUZZ_CHECK(reply->namespaces.n >= 1 && reply->namespaces.n <= PROTO_NAMESPACES_MAX &&
                           reply->namespaces.m <= PROTO_PROGRAMS_MAX);
                for (uint32_t i = 0; i < reply->namespaces.n; i++)
                        FUZZ_CHECK(reply->namespaces.ns[i].name[0] && reply->namespaces.ns[i].nports <= PROTO_NS_PORTS_MAX);
                for (uint32_t i = 0; i < reply->namespaces.m; i++)
                        FUZZ_CHECK(reply->namespaces.programs[i].ns < reply->namespaces.n && reply->namespaces.programs[i].pid > 0);
        }
        if (reply->type == PROTO_MSG_EXITED) {
                int s = proto_exit_status(&reply->exited);
                if (reply->exited.how == PROTO_EXIT_CODE)
                        FUZZ_CHECK(s >= 0 && s <= 255 && s == reply->exited.value);
                else
                        FUZZ_CHECK(s > PROTO_EXIT_STATUS_SIGNAL_BASE && s <= PROTO_EXIT_STATUS_SIGNAL_BASE + PROTO_SIGNAL_MAX);
        }
        FUZZ_CHECK(proto_encode_reply(reply, again, sizeof(again), &len) == 0);
        FUZZ_CHECK(len <= PROTO_REPLY_MAX && len == size && memcmp(again, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct proto_request req = {};
        struct proto_reply reply;
        int signo = 0;
        size_t len = 0;

        if (proto_decode_request(data, size, &req) == 0) {
                check_request(&req, data, size);
                proto_request_done(&req);
        }
        if (proto_decode_reply(data, size, &reply) == 0)
                check_reply(&reply, data, size);
        if (proto_decode_signal(data, size, &signo) == 0) {
                FUZZ_CHECK(proto_signal_is_forwardable(signo));
                FUZZ_CHECK(proto_encode_signal(signo, again, sizeof(again), &len) == 0);
                FUZZ_CHECK(len == size && memcmp(again, data, size) == 0);
        }
        return 0;
}

/* ---- seeds: one valid message of every shape ---- */

static char *seed_argv[] = { "/usr/bin/curl", "-sS", "", "https://example.org/" };
static char *seed_env[] = { "LANG=C.UTF-8", "TERM=xterm", "EMPTY=" };
static char *seed_extra[] = { "https://example.org/" };

enum { REQUEST_SEEDS = 7, REPLY_SEEDS = 8 };

static int seed_request(size_t i, struct proto_request *ret) {
        const struct proto_request seeds[REQUEST_SEEDS] = {
                { .kind = PROTO_REQUEST_COMMAND, .argc = 4, .argv = seed_argv, .envc = 3, .env = seed_env,
                  .cwd = "/home/amnesia" },
                { .kind = PROTO_REQUEST_COMMAND, .argc = 1, .argv = seed_argv, .cwd = "/" },
                { .kind = PROTO_REQUEST_APP, .app = "unsafe-browser", .cwd = "/tmp" },
                { .kind = PROTO_REQUEST_APP, .app = "unsafe-browser", .argc = 1, .argv = seed_extra,
                  .envc = 1, .env = seed_env, .cwd = "/" },
                { .kind = PROTO_REQUEST_STATUS, .app = "unsafe-browser" },
                { .kind = PROTO_REQUEST_TIME_SYNC, .app = "" },
                { .kind = PROTO_REQUEST_NAMESPACES, .app = "" },
        };
        if (i >= REQUEST_SEEDS)
                return -ENOENT;
        *ret = seeds[i];
        return 0;
}

static int seed_reply(size_t i, struct proto_reply *ret) {
        switch (i) {
        case 0: proto_reply_started(ret, 4242); return 0;
        case 1: return proto_reply_exited(ret, 3 << 8);
        case 2: *ret = (struct proto_reply) { .type = PROTO_MSG_EXITED, .exited = { PROTO_EXIT_SIGNAL, SIGKILL } }; return 0;
        case 3: proto_reply_error(ret, PROTO_ERROR_NOT_ALLOWED, "not allowed: uid %d may not run '%s'", 1001, "bash"); return 0;
        case 4: proto_reply_error(ret, PROTO_ERROR_NOT_FOUND, NULL); return 0;
        case 5: proto_reply_status(ret, true, 1, 1); return 0;
        case 6: proto_reply_time(ret, PROTO_TIME_PORTAL, false, 1795600000u, -7200, "http://portal.example/"); return 0;
        case 7:
                *ret = (struct proto_reply) { .type = PROTO_MSG_NAMESPACES };
                ret->namespaces.n = 2;
                snprintf(ret->namespaces.ns[0].name, sizeof ret->namespaces.ns[0].name, "clearnet");
                ret->namespaces.ns[0].kind = PROTO_NS_INTERNET;
                ret->namespaces.ns[0].running = 1;
                snprintf(ret->namespaces.ns[1].name, sizeof ret->namespaces.ns[1].name, "tbb");
                ret->namespaces.ns[1].kind = PROTO_NS_TOR_PORTS;
                ret->namespaces.ns[1].nports = 2;
                ret->namespaces.ns[1].ports[0] = 9050;
                ret->namespaces.ns[1].ports[1] = 951;
                ret->namespaces.m = 1;
                ret->namespaces.programs[0].ns = 1;
                ret->namespaces.programs[0].pid = 4242;
                ret->namespaces.programs[0].uid = 1000;
                snprintf(ret->namespaces.programs[0].what, sizeof ret->namespaces.programs[0].what, "tor-browser");
                return 0;
        default: return -ENOENT;
        }
}

int fuzz_seed(size_t i, uint8_t *buf, size_t size, size_t *ret_len) {
        static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
        struct proto_request req;
        struct proto_reply reply;

        if (i < REQUEST_SEEDS && seed_request(i, &req) == 0)
                return proto_encode_request(&req, buf, size, ret_len);
        i -= REQUEST_SEEDS;
        if (i < REPLY_SEEDS && seed_reply(i, &reply) == 0)
                return proto_encode_reply(&reply, buf, size, ret_len);
        i -= REPLY_SEEDS;
        if (i < sizeof(signals) / sizeof(signals[0]))
                return proto_encode_signal(signals[i], buf, size, ret_len);
        return -ENOENT;
}
