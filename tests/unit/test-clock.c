/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The time-sync decision: parsing the portal check's answer, the threshold, the bounds,
 * and the fake clock file that stands in for the system clock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/clock.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static struct check_answer parse(const char *out, int status) {
        struct check_answer a;
        check_answer_parse(out, strlen(out), status, &a);
        return a;
}

static void test_parse(void) {
        struct check_answer a = parse("online\ntime 1795600000\n", 0);
        CHECK(a.outcome == PROTO_TIME_ONLINE && a.has_time && a.server_time == 1795600000, "online with time");
        a = parse("portal http://portal.example/login\ntime 1795600000\n", 1);
        CHECK(a.outcome == PROTO_TIME_PORTAL && strcmp(a.portal_url, "http://portal.example/login") == 0, "portal URL");
        a = parse("portal -\ntime-invalid\n", 4);
        CHECK(a.outcome == PROTO_TIME_PORTAL && a.portal_url[0] == 0 && !a.has_time, "portal without URL");
        a = parse("offline\ntime-invalid\n", 4);
        CHECK(a.outcome == PROTO_TIME_OFFLINE && !a.has_time, "offline");
        a = parse("dns-failure\ntime-invalid\n", 4);
        CHECK(a.outcome == PROTO_TIME_DNS_FAILURE, "dns-failure");
        a = parse("online\ntime-invalid\n", 4);
        CHECK(a.outcome == PROTO_TIME_INVALID && !a.has_time, "online without a usable date");
        a = parse("online\ntime 1000\n", 0);
        CHECK(a.outcome == PROTO_TIME_INVALID && !a.has_time, "a date in 1970 is not believed");
        a = parse("online\ntime 4102444800\n", 0);
        CHECK(a.outcome == PROTO_TIME_INVALID, "a date in 2100 is not believed");

        /* Anything malformed or inconsistent: the check failed, nothing is guessed. */
        static const struct { const char *out; int status; } bad[] = {
                { "", 0 }, { "online\n", 0 }, { "online\ntime 1795600000\n", 2 },
                { "online\ntime 1795600000\nextra\n", 0 }, { "online\ntime -5\n", 0 },
                { "online\ntime 17956x0000\n", 0 }, { "online\ntime 99999999999999999999999\n", 0 },
                { "Online\ntime 1795600000\n", 0 }, { "portal javascript:alert(1)\ntime-invalid\n", 4 },
                { "portal ftp://x/\ntime-invalid\n", 4 }, { "portal http://a b/\ntime-invalid\n", 4 },
                { "online\ntime-invalid\n", 0 }, { "offline\ntime 1795600000\n", 0 }, { "weird\ntime-invalid\n", 4 },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                a = parse(bad[i].out, bad[i].status);
                CHECK(a.outcome == PROTO_TIME_CHECK_FAILED && !a.has_time, "bad answer %zu accepted", i);
        }
        char nul[] = "online\ntime 1795600000\n";
        nul[3] = '\0';
        check_answer_parse(nul, sizeof nul - 1, 0, &a);
        CHECK(a.outcome == PROTO_TIME_CHECK_FAILED, "a NUL byte in the answer");
        char *huge = malloc(CHECK_OUTPUT_MAX + 2);
        memset(huge, 'a', CHECK_OUTPUT_MAX + 1);
        huge[CHECK_OUTPUT_MAX + 1] = 0;
        a = parse(huge, 0);
        CHECK(a.outcome == PROTO_TIME_CHECK_FAILED, "an overlong answer");
        free(huge);
}

static void test_threshold(void) {
        struct check_answer a = parse("online\ntime 1795600000\n", 0);
        int64_t off;
        CHECK(!clock_should_set(&a, 1795600000, 60, &off) && off == 0, "same time: not set");
        CHECK(!clock_should_set(&a, 1795600000 - 60, 60, &off) && off == 60, "exactly the threshold: not set");
        CHECK(clock_should_set(&a, 1795600000 - 61, 60, &off) && off == 61, "one second past it: set");
        CHECK(clock_should_set(&a, 1795600000 + 3600, 60, &off) && off == -3600, "clock ahead: set back");
        CHECK(clock_should_set(&a, 0, 60, &off), "clock at 1970 (no RTC): set");
        struct check_answer p = parse("portal http://p.example/\ntime 1795600000\n", 1);
        CHECK(!clock_should_set(&p, 0, 60, &off), "never from a portal's Date:");
        struct check_answer inv = parse("online\ntime-invalid\n", 4);
        CHECK(!clock_should_set(&inv, 0, 60, &off), "never without a usable Date:");
}

static void test_clock_file(void) {
        char path[] = "/tmp/test-clock.XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0, "mkstemp");
        if (fd < 0)
                return;
        CHECK(write(fd, "1700000000\n", 11) == 11, "write");
        close(fd);
        int64_t now = 0;
        CHECK(clock_now(path, &now) == 0 && now == 1700000000, "read the fake clock: %lld", (long long) now);
        struct check_answer a = parse("online\ntime 1795600000\n", 0);
        int64_t off;
        if (clock_should_set(&a, now, 60, &off))
                CHECK(clock_set(path, a.server_time) == 0, "set the fake clock");
        CHECK(clock_now(path, &now) == 0 && now == 1795600000, "fake clock moved: %lld", (long long) now);
        unlink(path);
        CHECK(clock_now(path, &now) == -ENOENT, "missing clock file is an error");
}

int main(void) {
        test_parse();
        test_threshold();
        test_clock_file();
        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return 1;
        }
        printf("clock: all checks passed\n");
        return 0;
}
