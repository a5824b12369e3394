/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_program = "clearnet";
static int log_max_level = LOG_INFO;
static bool log_prefix_priority;

void log_setup(const char *program) {
        log_program = program;
        /* Under systemd stderr goes to the journal, which understands "<N>" priority prefixes. */
        log_prefix_priority = getenv("JOURNAL_STREAM") != NULL;
        const char *lvl = getenv("CLEARNET_LOG_LEVEL");
        if (lvl && strcmp(lvl, "debug") == 0)
                log_max_level = LOG_DEBUG;
}


void log_escape(const char *s, char *out, size_t size) {
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;
        if (size == 0)
                return;
        for (; *s && n + 5 <= size; s++) {
                unsigned char ch = (unsigned char) *s;
                if (ch < 0x20 || ch == 0x7f || ch == '\\') {
                        out[n++] = '\\';
                        out[n++] = 'x';
                        out[n++] = hex[ch >> 4];
                        out[n++] = hex[ch & 0xf];
                } else
                        out[n++] = (char) ch;
        }
        out[n] = '\0';
}

bool log_ratelimit_pass(struct log_ratelimit *rl, unsigned per_window, uint64_t now_ms) {
        if (now_ms - rl->window_ms >= LOG_RATELIMIT_WINDOW_MS) {
                log_ratelimit_report(rl, now_ms);
                rl->window_ms = now_ms;
                rl->count = 0;
        }
        if (++rl->count <= per_window)
                return true;
        rl->suppressed++;
        return false;
}

void log_ratelimit_report(struct log_ratelimit *rl, uint64_t now_ms) {
        if (!rl->suppressed || now_ms - rl->window_ms < LOG_RATELIMIT_WINDOW_MS)
                return;
        log_warning("%u more %s not logged", rl->suppressed, rl->what);
        rl->suppressed = 0;
}

uint64_t log_ratelimit_due(const struct log_ratelimit *rl) {
        return rl->suppressed ? rl->window_ms + LOG_RATELIMIT_WINDOW_MS : 0;
}

__attribute__((format(printf, 3, 0)))
static void log_vmsg(int level, int r, const char *fmt, va_list ap) {
        if (level > log_max_level)
                return;
        char raw[1024], buf[4 * sizeof raw];
        vsnprintf(raw, sizeof raw, fmt, ap);
        log_escape(raw, buf, sizeof buf);
        if (log_prefix_priority)
                fprintf(stderr, "<%d>%s", level, buf);
        else
                fprintf(stderr, "%s: %s", log_program, buf);
        if (r < 0)
                fprintf(stderr, ": %s", strerror(-r));
        fputc('\n', stderr);
}

void log_msg(int level, const char *fmt, ...) {
        int saved = errno;
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(level, 0, fmt, ap);
        va_end(ap);
        errno = saved;
}

int log_errno(int level, int r, const char *fmt, ...) {
        int saved = errno;
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(level, r, fmt, ap);
        va_end(ap);
        errno = saved;
        return r;
}
