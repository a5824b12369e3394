/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Setting the clock from the captive-portal check: reading the check's answer, deciding,
 * and the clock itself (CAP_SYS_TIME stays in nsd; the check never sets anything). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clearnet/protocol.h"

/* A server's Date: is believed only inside these bounds (UTC seconds): a portal or a
 * broken server must not send the clock to 1970 or to the far future. */
#define CLOCK_SANE_MIN INT64_C(1704067200)   /* 2024-01-01 */
#define CLOCK_SANE_MAX INT64_C(4102444800)   /* 2100-01-01 */
#define CHECK_OUTPUT_MAX 4096

struct check_answer {
        enum proto_time_outcome outcome;
        char portal_url[PROTO_URL_MAX + 1];   /* "" when none */
        bool has_time;
        int64_t server_time;
};

/* Parse what clearnet-portal-check printed (with --time) and its exit status. Anything
 * malformed or inconsistent is PROTO_TIME_CHECK_FAILED, never a guess. */
void check_answer_parse(const char *out, size_t len, int exit_status, struct check_answer *ret);

/* The clock nsd reads and sets: the system's (clock_file NULL), or a file holding UTC
 * seconds, which tests use in place of the real clock. */
int clock_now(const char *clock_file, int64_t *ret);
int clock_set(const char *clock_file, int64_t t);

/* Should the clock move to server_time? Only for an online answer with a sane time that
 * differs from now by more than threshold seconds. *ret_offset = server_time - now. */
bool clock_should_set(const struct check_answer *a, int64_t now, unsigned threshold, int64_t *ret_offset);
