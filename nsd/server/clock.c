/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "server/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
#include "util.h"

/* One line of at most max bytes, without its newline, from *p; NULL at the end. */
static const char *next_line(const char **p, const char *end, size_t *ret_len) {
        if (*p >= end)
                return NULL;
        const char *line = *p, *nl = memchr(line, '\n', (size_t) (end - line));
        *ret_len = (size_t) ((nl ? nl : end) - line);
        *p = nl ? nl + 1 : end;
        return line;
}

static bool line_is(const char *line, size_t len, const char *word) {
        return len == strlen(word) && memcmp(line, word, len) == 0;
}

static bool parse_seconds(const char *s, size_t len, int64_t *ret) {
        char buf[24];
        if (len == 0 || len >= sizeof buf)
                return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (strspn(buf, "0123456789") != len)
                return false;
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (errno)
                return false;
        *ret = v;
        return true;
}

static void parse_outcome(const char *line, size_t len, struct check_answer *a, int *ret_expected_status) {
        a->outcome = PROTO_TIME_CHECK_FAILED;
        if (line_is(line, len, "online")) {
                a->outcome = PROTO_TIME_ONLINE;
                *ret_expected_status = 0;
        } else if (line_is(line, len, "offline")) {
                a->outcome = PROTO_TIME_OFFLINE;
                *ret_expected_status = 2;
        } else if (line_is(line, len, "dns-failure")) {
                a->outcome = PROTO_TIME_DNS_FAILURE;
                *ret_expected_status = 3;
        } else if (len > 7 && memcmp(line, "portal ", 7) == 0 && len - 7 <= PROTO_URL_MAX) {
                char url[PROTO_URL_MAX + 1];
                memcpy(url, line + 7, len - 7);
                url[len - 7] = '\0';
                if (STREQ(url, "-") || app_url_is_valid(url)) {
                        a->outcome = PROTO_TIME_PORTAL;
                        snprintf(a->portal_url, sizeof a->portal_url, "%s", STREQ(url, "-") ? "" : url);
                        *ret_expected_status = 1;
                }
        }
}

void check_answer_parse(const char *out, size_t len, int exit_status, struct check_answer *ret) {
        *ret = (struct check_answer) { .outcome = PROTO_TIME_CHECK_FAILED };
        const char *p = out, *end = out + len, *line;
        size_t n;
        int expected = -1;
        if (len > CHECK_OUTPUT_MAX || memchr(out, '\0', len) || !(line = next_line(&p, end, &n)))
                return;
        parse_outcome(line, n, ret, &expected);
        if (ret->outcome == PROTO_TIME_CHECK_FAILED || !(line = next_line(&p, end, &n)) || p != end)
                goto failed;
        if (line_is(line, n, "time-invalid")) {
                /* Whatever the outcome, the check exits 4 when the date is unusable. */
                if (exit_status != 4)
                        goto failed;
                if (ret->outcome == PROTO_TIME_ONLINE)
                        ret->outcome = PROTO_TIME_INVALID;
                return;
        }
        if (n <= 5 || memcmp(line, "time ", 5) != 0 || !parse_seconds(line + 5, n - 5, &ret->server_time) ||
            exit_status != expected)
                goto failed;
        ret->has_time = true;
        /* The check refuses such dates itself; nsd does not rely on that. */
        if (ret->outcome == PROTO_TIME_ONLINE &&
            (ret->server_time < CLOCK_SANE_MIN || ret->server_time >= CLOCK_SANE_MAX)) {
                ret->outcome = PROTO_TIME_INVALID;
                ret->has_time = false;
        }
        return;
failed:
        *ret = (struct check_answer) { .outcome = PROTO_TIME_CHECK_FAILED };
}

int clock_now(const char *clock_file, int64_t *ret) {
        if (!clock_file || !*clock_file) {
                struct timespec ts;
                if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                        return negative_errno();
                *ret = ts.tv_sec;
                return 0;
        }
        _cleanup_free_ char *data = NULL;
        int r = read_file_limited(clock_file, 64, &data, NULL);
        if (r < 0)
                return r;
        size_t len = strcspn(data, "\n");
        return parse_seconds(data, len, ret) ? 0 : -EBADMSG;
}

int clock_set(const char *clock_file, int64_t t) {
        if (!clock_file || !*clock_file) {
                struct timespec ts = { .tv_sec = (time_t) t };
                return clock_settime(CLOCK_REALTIME, &ts) < 0 ? negative_errno() : 0;
        }
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%" PRId64 "\n", t);
        return write_file_atomic(clock_file, buf, (size_t) n, 0644);
}

bool clock_should_set(const struct check_answer *a, int64_t now, unsigned threshold, int64_t *ret_offset) {
        *ret_offset = 0;
        if (a->outcome != PROTO_TIME_ONLINE || !a->has_time)
                return false;
        if (a->server_time < CLOCK_SANE_MIN || a->server_time >= CLOCK_SANE_MAX)
                return false;
        *ret_offset = a->server_time - now;
        int64_t distance = *ret_offset < 0 ? -*ret_offset : *ret_offset;
        return distance > (int64_t) threshold;
}
