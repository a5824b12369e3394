/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging to stderr with syslog priority prefixes ("<3>") when stderr is the journal. */
#pragma once
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
