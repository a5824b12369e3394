/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of clearnet-portal-check's deciding parts (portal/portal-core.c): the Date:
 * parser, URL validation and Location resolution, the body comparison, the outcome.
 * No network, no root. */
#include "portal-core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

static unsigned checks, failures;

static void report(const char *file, int line, const char *expr, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void report(const char *file, int line, const char *expr, const char *fmt, ...) {
        va_list ap;
        failures++;
        fprintf(stderr, "%s:%d: check failed: %s: ", file, line, expr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

#define CHECK(cond, ...)                                                                  \
        do {                                                                              \
                checks++;                                                                 \
                if (!(cond))                                                              \
                        report(__FILE__, __LINE__, #cond, __VA_ARGS__);                   \
        } while (0)

/* ---- Date: ---------------------------------------------------------------------------- */

static int date(const char *s, int64_t *t) {
        return portal_parse_date(s, strlen(s), t);
}

static void test_date(void) {
        static const struct {
                const char *s;
                int64_t want;
        } good[] = {
                { "Tue, 15 Apr 2025 10:20:30 GMT", 1744712430 },
                { "Mon, 01 Jan 2024 00:00:00 GMT", 1704067200 },                  /* first second */
                { "Thu, 31 Dec 2099 23:59:59 GMT", 4102444799 },                  /* last second */
                { "Thu, 29 Feb 2024 12:00:00 GMT", 1709208000 },                  /* leap day */
                { "  Tue, 15 Apr 2025 10:20:30 GMT\r\n", 1744712430 },            /* OWS, CRLF */
                { "\tTue, 15 Apr 2025 10:20:30 GMT ", 1744712430 },
                { "Sun, 28 Feb 2100 00:00:00 GMT", -ERANGE },                     /* range */
                { "Fri, 01 Jan 2100 00:00:00 GMT", -ERANGE },
                { "Sun, 31 Dec 2023 23:59:59 GMT", -ERANGE },
                { "Sun, 06 Nov 1994 08:49:37 GMT", -ERANGE },                    /* RFC 7231's */
                { "Thu, 01 Jan 1970 00:00:00 GMT", -ERANGE },
                { "Sat, 01 Jan 0000 00:00:00 GMT", -ERANGE },
        };
        for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
                if (good[i].want == 0)
                        continue;
                int64_t t = -1;
                int r = date(good[i].s, &t);
                if (good[i].want < 0)
                        CHECK(r == good[i].want, "'%s': got %d, want %" PRId64, good[i].s, r, good[i].want);
                else
                        CHECK(r == 0 && t == good[i].want, "'%s': got %d, %" PRId64 ", want %" PRId64,
                              good[i].s, r, t, good[i].want);
        }
        /* Every day from 2024 to 2099 round-trips with its real weekday, and a wrong
         * weekday is refused. */
        static const char *wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char *mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        unsigned bad_days = 0;
        for (int64_t t = PORTAL_DATE_MIN + 3723; t < PORTAL_DATE_MAX; t += 86400) {
                struct tm tm;
                time_t tt = (time_t) t;
                gmtime_r(&tt, &tm);
                char buf[64];
                snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
                         mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
                int64_t got = 0;
                if (date(buf, &got) != 0 || got != t)
                        bad_days++;
                memcpy(buf, wd[(tm.tm_wday + 1) % 7], 3);
                if (date(buf, &got) != -EINVAL)
                        bad_days++;
        }
        CHECK(bad_days == 0, "%u days from 2024 to 2099 parsed wrong", bad_days);

        static const char *const bad[] = {
                "",
                "Tue, 15 Apr 2025 10:20:30",
                "Tue, 15 Apr 2025 10:20:30 UTC",
                "Tue, 15 Apr 2025 10:20:30 +0000",
                "Tue, 15 Apr 2025 10:20:30 gmt",
                "tue, 15 Apr 2025 10:20:30 GMT",
                "TUE, 15 APR 2025 10:20:30 GMT",
                "Tue, 15 apr 2025 10:20:30 GMT",
                "Tuesday, 15-Apr-25 10:20:30 GMT",        /* RFC 850 */
                "Tue Apr 15 10:20:30 2025",               /* asctime */
                "Tue, 15 Apr 25 10:20:30 GMT",
                "Tue, 5 Apr 2025 10:20:30 GMT",
                "Sat,  5 Apr 2025 10:20:30 GMT",
                "Tue, 15 Apr 2025 1:20:30 GMT",
                "Tue, 15 Apr 2025 10:20:30  GMT",
                "Tue,15 Apr 2025 10:20:30 GMT ",
                "Mon, 15 Apr 2025 10:20:30 GMT",          /* wrong weekday */
                "Tue, 15 Apr 2025 24:00:00 GMT",
                "Tue, 15 Apr 2025 10:60:00 GMT",
                "Tue, 15 Apr 2025 10:20:60 GMT",          /* leap second: refused (strict) */
                "Thu, 31 Apr 2025 10:20:30 GMT",
                "Sat, 29 Feb 2025 10:20:30 GMT",
                "Sat, 00 Apr 2025 10:20:30 GMT",
                "Mon, 29 Feb 2100 00:00:00 GMT",          /* 2100 is no leap year */
                "Tue, 15 Apr 2025 10:20:3O GMT",
                "Tue, 15 Apr 2025 10:20:+3 GMT",
                "Tue, 15 Apr 2025 10:20:30 GMT, Wed, 16 Apr 2025 10:20:30 GMT",
                "Tue, 15 Apr 2025 10:20:30 GMTX",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                int64_t t = 42;
                int r = date(bad[i], &t);
                CHECK(r == -EINVAL && t == 42, "'%s': got %d, want -EINVAL", bad[i], r);
        }
        /* NUL bytes and bytes beyond ASCII, anywhere */
        const char good_s[] = "Tue, 15 Apr 2025 10:20:30 GMT";
        for (size_t i = 0; i < sizeof good_s - 1; i++) {
                char buf[sizeof good_s];
                memcpy(buf, good_s, sizeof good_s);
                int64_t t;
                buf[i] = '\0';
                int r1 = portal_parse_date(buf, sizeof good_s - 1, &t);
                buf[i] = (char) 0xff;
                int r2 = portal_parse_date(buf, sizeof good_s - 1, &t);
                CHECK(r1 == -EINVAL && r2 == -EINVAL, "byte %zu: NUL gives %d, 0xff gives %d", i, r1, r2);
        }
        /* Length-bounded: what follows len is not read */
        int64_t t = 0;
        CHECK(portal_parse_date("Tue, 15 Apr 2025 10:20:30 GMTgarbage", 29, &t) == 0 && t == 1744712430,
              "length-bounded parse");
        CHECK(portal_parse_date(NULL, 0, &t) == -EINVAL, "NULL");
}

/* ---- URLs ------------------------------------------------------------------------------ */

static void test_url_valid(void) {
        static const char *const good[] = {
                "http://fedoraproject.org/static/hotspot.txt",
                "HTTP://portal.example.test",
                "https://portal.example.test:8443/login?a=1&b=2#frag",
                "http://192.0.2.1/",
                "http://[2001:db8::1]/",
                "http://user@portal.example.test/",
        };
        for (size_t i = 0; i < sizeof good / sizeof *good; i++)
                CHECK(portal_url_is_valid(good[i]), "'%s' refused", good[i]);
        static const char *const bad[] = {
                "", "http://", "https://", "http:///path", "http://?q", "http://#f", "ftp://x/",
                "javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "//portal.example.test/",
                "/login", "http:/x", "http://a b/", "http://a\tb/", "http://a\"b/", "http://a\\b/",
                "http://a<b/", "http://a>b/", "http://a`b/", "http://a\x7f/", "http://a\x1b[2J/",
                "http://\xc3\xa9.example/", "http://a\n/",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                CHECK(!portal_url_is_valid(bad[i]), "'%s' accepted", bad[i]);
        CHECK(!portal_url_is_valid(NULL), "NULL accepted");

        char u[PORTAL_URL_MAX + 2];
        memcpy(u, "http://", 7);
        memset(u + 7, 'a', PORTAL_URL_MAX - 7);
        u[PORTAL_URL_MAX] = '\0';
        CHECK(portal_url_is_valid(u), "%d characters refused", PORTAL_URL_MAX);
        u[PORTAL_URL_MAX] = 'a';
        u[PORTAL_URL_MAX + 1] = '\0';
        CHECK(!portal_url_is_valid(u), "%d characters accepted", PORTAL_URL_MAX + 1);
}

static int resolve(const char *base, const char *loc, char *out) {
        return portal_resolve_location(base, loc, strlen(loc), out);
}

static void test_location(void) {
        const char *base = "http://check.example.test/static/hotspot.txt";
        static const struct {
                const char *loc, *want;
        } good[] = {
                { "http://portal.example.test/login?x=1", "http://portal.example.test/login?x=1" },
                { " https://portal.example.test/ \r\n", "https://portal.example.test/" },
                { "/login", "http://check.example.test/login" },
                { "login", "http://check.example.test/static/login" },
                { "../x", "http://check.example.test/x" },
                { "?q=1", "http://check.example.test/static/hotspot.txt?q=1" },
                { "//portal.example.test:8080/a/../b", "http://portal.example.test:8080/b" },
                { "HTTPS://Portal.Example.Test/", "https://Portal.Example.Test/" },
                { "http://portal.example.test/%C3%A9", "http://portal.example.test/%C3%A9" },
        };
        char out[PORTAL_URL_MAX + 1];
        for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
                int r = resolve(base, good[i].loc, out);
                CHECK(r == 0 && strcmp(out, good[i].want) == 0, "'%s': got %d '%s', want '%s'",
                      good[i].loc, r, out, good[i].want);
        }
        static const char *const bad[] = {
                "", "   ", "javascript:alert(1)", "ftp://portal.example.test/", "file:///etc/passwd",
                "data:text/html,<b>", "http://", "http://portal.example.test/a b", "http://p/\xff\xfe",
                "http://p/\"x", "http://p/\x1b[2J", "gopher://p/", "mailto:a@b", "http://[::1/",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                int r = resolve(base, bad[i], out);
                CHECK(r == -EINVAL && out[0] == '\0', "'%s': got %d '%s', want -EINVAL", bad[i], r, out);
        }
        /* NUL inside, length-bounded */
        CHECK(portal_resolve_location(base, "http://p/\0evil", 15, out) == -EINVAL, "NUL accepted");
        CHECK(portal_resolve_location(base, "/loginXXXX", 6, out) == 0 &&
              strcmp(out, "http://check.example.test/login") == 0, "length-bounded: '%s'", out);
        /* Lengths around the limit: the result counts, not the reference */
        static char loc[PORTAL_URL_MAX + 10];
        const char *pre = "http://portal.example.test/";
        size_t pl = strlen(pre);
        memcpy(loc, pre, pl);
        memset(loc + pl, 'a', PORTAL_URL_MAX - pl);
        loc[PORTAL_URL_MAX] = '\0';
        CHECK(resolve(base, loc, out) == 0 && strlen(out) == PORTAL_URL_MAX, "%d characters refused", PORTAL_URL_MAX);
        loc[PORTAL_URL_MAX] = 'a';
        loc[PORTAL_URL_MAX + 1] = '\0';
        CHECK(resolve(base, loc, out) == -EINVAL, "%d characters accepted", PORTAL_URL_MAX + 1);
        memset(loc, 'a', PORTAL_URL_MAX);   /* a relative one that grows past the limit */
        loc[0] = '/';
        loc[PORTAL_URL_MAX] = '\0';
        CHECK(resolve(base, loc, out) == -EINVAL, "a relative reference resolved past the limit");
}

/* ---- The body ---------------------------------------------------------------------------- */

/* feed s in chunks of n bytes; returns the final state and whether reading stopped */
static enum portal_body_state body(const char *expect, const char *s, size_t len, size_t n, bool *stopped) {
        struct portal_body b;
        portal_body_init(&b, expect);
        *stopped = false;
        for (size_t i = 0; i < len; i += n) {
                size_t k = len - i < n ? len - i : n;
                if (!portal_body_feed(&b, s + i, k)) {
                        *stopped = true;
                        break;
                }
        }
        return b.state;
}

static void test_body(void) {
        static const struct {
                const char *expect, *body;
                size_t len;
                enum portal_body_state want;
                bool stopped;
        } cases[] = {
                { "OK", "OK", 2, PORTAL_BODY_MATCH, false },
                { "OK", "OK\n", 3, PORTAL_BODY_MATCH, false },
                { "OK", "OK \t\r\n", 6, PORTAL_BODY_MATCH, false },
                { "OK", "O", 1, PORTAL_BODY_PENDING, false },
                { "OK", "", 0, PORTAL_BODY_PENDING, false },
                { "OK", "NO", 2, PORTAL_BODY_MISMATCH, true },
                { "OK", "ok", 2, PORTAL_BODY_MISMATCH, true },
                { "OK", "OKAY", 4, PORTAL_BODY_MISMATCH, true },
                { "OK", "OK\nX", 4, PORTAL_BODY_MISMATCH, true },
                { "OK", "O\0K", 3, PORTAL_BODY_MISMATCH, true },
                { "OK", "\xff\xfe", 2, PORTAL_BODY_MISMATCH, true },
                { "OK", " OK", 3, PORTAL_BODY_MISMATCH, true },
                { "", "", 0, PORTAL_BODY_MATCH, false },
                { "", "x", 1, PORTAL_BODY_MISMATCH, true },
                { "", " ", 1, PORTAL_BODY_MISMATCH, true },
                { "NetworkManager is online", "NetworkManager is online\n", 25, PORTAL_BODY_MATCH, false },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
                for (size_t n = 1; n <= 4; n++) {
                        bool stopped;
                        enum portal_body_state s = body(cases[i].expect, cases[i].body, cases[i].len, n, &stopped);
                        CHECK(s == cases[i].want && stopped == cases[i].stopped,
                              "expect '%s', body #%zu in chunks of %zu: state %d stopped %d, want %d %d",
                              cases[i].expect, i, n, s, stopped, cases[i].want, cases[i].stopped);
                }
        /* Endless whitespace after the body: read at most PORTAL_TRAIL_MAX more, then stop
         * with a match; an endless other body stops at its first byte. */
        static char sp[100000];
        memset(sp, ' ', sizeof sp);
        memcpy(sp, "OK", 2);
        struct portal_body b;
        portal_body_init(&b, "OK");
        CHECK(!portal_body_feed(&b, sp, sizeof sp) && b.state == PORTAL_BODY_MATCH && b.seen == 2 + PORTAL_TRAIL_MAX,
              "endless whitespace: state %d, seen %zu", b.state, b.seen);
        portal_body_init(&b, "OK");
        size_t fed = 0;
        while (fed < sizeof sp && portal_body_feed(&b, sp + fed, 1))
                fed++;
        CHECK(b.state == PORTAL_BODY_MATCH && b.seen == 2 + PORTAL_TRAIL_MAX, "byte by byte: seen %zu", b.seen);
        CHECK(!portal_body_feed(&b, "x", 1) && b.state == PORTAL_BODY_MATCH, "a byte after the end changes nothing");
}

/* ---- The outcome ---------------------------------------------------------------------------- */

static void test_classify(void) {
        enum portal_portal_url u;
        const char *why;
#define R(...) ((struct portal_result) { __VA_ARGS__ })
        static const struct {
                struct portal_result r;
                enum portal_outcome want;
                enum portal_portal_url url;
        } cases[] = {
                /* online */
                { R(.transfer = PORTAL_XFER_DONE, .status = 200, .body = PORTAL_BODY_MATCH, .body_len = 3), PORTAL_ONLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 200, .body = PORTAL_BODY_MATCH, .body_len = 66), PORTAL_ONLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_FAILED, .status = 200, .body = PORTAL_BODY_MATCH, .body_len = 2), PORTAL_ONLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_DONE, .status = 204, .expect_empty = true, .body = PORTAL_BODY_MATCH), PORTAL_ONLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 204, .expect_empty = true, .body = PORTAL_BODY_MISMATCH, .body_len = 5), PORTAL_ONLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_DONE, .status = 200, .expect_empty = true, .body = PORTAL_BODY_MATCH), PORTAL_ONLINE, PORTAL_URL_NONE },
                /* portal: redirects */
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 302, .n_location = 1, .location_valid = true), PORTAL_PORTAL, PORTAL_URL_LOCATION },
                { R(.transfer = PORTAL_XFER_DONE, .status = 307, .n_location = 1, .location_valid = true), PORTAL_PORTAL, PORTAL_URL_LOCATION },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 302, .n_location = 1, .location_valid = false), PORTAL_PORTAL, PORTAL_URL_INVALID },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 302, .n_location = 2, .location_valid = false), PORTAL_PORTAL, PORTAL_URL_INVALID },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 302, .headers_overflow = true), PORTAL_PORTAL, PORTAL_URL_INVALID },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 302, .n_location = 0), PORTAL_PORTAL, PORTAL_URL_CHECK },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 302, .n_location = 1, .location_valid = true, .body = PORTAL_BODY_MATCH), PORTAL_PORTAL, PORTAL_URL_LOCATION },
                /* portal: other answers */
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 200, .body = PORTAL_BODY_MISMATCH, .body_len = 100), PORTAL_PORTAL, PORTAL_URL_CHECK },
                { R(.transfer = PORTAL_XFER_DONE, .status = 200, .body = PORTAL_BODY_PENDING, .body_len = 1), PORTAL_PORTAL, PORTAL_URL_CHECK },
                { R(.transfer = PORTAL_XFER_DONE, .status = 500, .body = PORTAL_BODY_MATCH, .body_len = 2), PORTAL_PORTAL, PORTAL_URL_CHECK },
                { R(.transfer = PORTAL_XFER_DONE, .status = 204, .body = PORTAL_BODY_PENDING), PORTAL_PORTAL, PORTAL_URL_CHECK },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 200, .headers_overflow = true, .body = PORTAL_BODY_PENDING), PORTAL_PORTAL, PORTAL_URL_CHECK },
                { R(.transfer = PORTAL_XFER_STOPPED, .status = 200, .expect_empty = true, .body = PORTAL_BODY_MISMATCH, .body_len = 1), PORTAL_PORTAL, PORTAL_URL_CHECK },
                { R(.transfer = PORTAL_XFER_DONE, .status = 511, .body = PORTAL_BODY_MISMATCH), PORTAL_PORTAL, PORTAL_URL_CHECK },
                /* offline, dns-failure */
                { R(.transfer = PORTAL_XFER_FAILED), PORTAL_OFFLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_FAILED, .status = 200, .body = PORTAL_BODY_PENDING, .body_len = 1), PORTAL_OFFLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_FAILED, .status = 302, .n_location = 1, .location_valid = true), PORTAL_OFFLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_FAILED, .status = 204, .expect_empty = true, .body = PORTAL_BODY_MATCH), PORTAL_OFFLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_FAILED, .status = 500, .body = PORTAL_BODY_MATCH), PORTAL_OFFLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_DONE, .status = 0), PORTAL_OFFLINE, PORTAL_URL_NONE },
                { R(.transfer = PORTAL_XFER_RESOLVE), PORTAL_DNS_FAILURE, PORTAL_URL_NONE },
        };
#undef R
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                why = NULL;
                enum portal_outcome o = portal_classify(&cases[i].r, &u, &why);
                CHECK(o == cases[i].want && u == cases[i].url && why && *why,
                      "case %zu: outcome %s url %d, want %s url %d", i, portal_outcome_name(o), u,
                      portal_outcome_name(cases[i].want), cases[i].url);
        }
        CHECK(portal_outcome_exit(PORTAL_ONLINE) == 0 && portal_outcome_exit(PORTAL_PORTAL) == 1 &&
              portal_outcome_exit(PORTAL_OFFLINE) == 2 && portal_outcome_exit(PORTAL_DNS_FAILURE) == 3,
              "exit statuses");
        CHECK(strcmp(portal_outcome_name(PORTAL_DNS_FAILURE), "dns-failure") == 0, "names");
        CHECK(portal_url_is_valid(PORTAL_DEFAULT_URL), "the default URL");
}

int main(void) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return 99;
        test_date();
        test_url_valid();
        test_location();
        test_body();
        test_classify();
        curl_global_cleanup();
        printf("%u checks, %u failed\n", checks, failures);
        return failures ? 1 : 0;
}
