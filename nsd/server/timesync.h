/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The time-sync request: run the portal check as its own user, and from its answer set
 * the clock (or not), with a log line that says what was done and why. */
#pragma once
#include <stddef.h>

#include "clearnet/protocol.h"
#include "conf/config.h"

/* The check's argv: the app's exec line, then the [portal] settings and --time. */
int timesync_argv(const struct config *cfg, const struct app_config *app, char ***ret);
/* From the check's output and wait status: decide, set the clock if warranted, log, and
 * fill the reply. */
void timesync_finish(const struct config *cfg, const char *out, size_t len, int wait_status, struct proto_reply *ret);
