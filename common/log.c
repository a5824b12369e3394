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


__attribute__((format(printf, 3, 0)))
static void log_vmsg(int level, int r, const char *fmt, va_list ap) {
        if (level > log_max_level)
                return;
        char buf[1024];
        vsnprintf(buf, sizeof buf, fmt, ap);
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
