/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging to stderr with syslog priority prefixes ("<3>") when stderr is the journal. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

void log_setup(const char *program);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log with ": strerror(-r)" appended and return r (a negative errno), for
 * "return log_errno(LOG_ERR, r, ...)" at the top of a chain, where the failure is logged once. */
int log_errno(int level, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)

/* Every line is escaped: a byte below 0x20, 0x7f and '\\' become "\\xNN", so a string
 * from a caller (an argv[0] with a newline) cannot forge a line or a "<N>" priority. */
void log_escape(const char *s, char *out, size_t size);

/* At most so many lines of a kind in a window; what was left out is counted, and reported
 * by log_ratelimit_report() once the window is over: the caller runs it from a timer
 * (log_ratelimit_due() says when), so the count comes even if no other line does. */
#define LOG_RATELIMIT_WINDOW_MS 1000
struct log_ratelimit {
        const char *what;       /* "refusal(s)": "N more refusal(s) not logged" */
        uint64_t window_ms;
        unsigned count, suppressed;
};
bool log_ratelimit_pass(struct log_ratelimit *rl, unsigned per_window, uint64_t now_ms);
void log_ratelimit_report(struct log_ratelimit *rl, uint64_t now_ms);
/* When the count is due (0: nothing to report). */
uint64_t log_ratelimit_due(const struct log_ratelimit *rl);
