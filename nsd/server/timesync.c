/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "server/timesync.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "server/clock.h"
#include "log.h"
#include "util.h"

int timesync_argv(const struct config *cfg, const struct app_config *app, char ***ret) {
        char timeout[16];
        snprintf(timeout, sizeof timeout, "%u", cfg->portal.timeout);
        const char *extra[] = { "--url", cfg->portal.url, "--expect", cfg->portal.expect, "--timeout", timeout,
                                "--time", NULL };
        _cleanup_strv_free_ strv argv = NULL;
        int r = strv_copy((const char *const *) app->exec, &argv);
        for (size_t i = 0; r == 0 && extra[i]; i++)
                r = strv_push(&argv, extra[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

void timesync_finish(const struct config *cfg, const char *out, size_t len, int wait_status, struct proto_reply *ret) {
        struct check_answer a;
        int status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
        check_answer_parse(out, len, status, &a);

        int64_t now, offset = 0;
        bool set = false;
        int r = clock_now(cfg->time.clock_file, &now);
        if (r < 0)
                log_errno(LOG_ERR, r, "time sync: cannot read the clock");
        else if (clock_should_set(&a, now, cfg->time.threshold, &offset)) {
                r = clock_set(cfg->time.clock_file, a.server_time);
                if (r < 0)
                        log_errno(LOG_ERR, r, "time sync: cannot set the clock to %" PRId64, a.server_time);
                else {
                        set = true;
                        log_notice("time sync: clock set to %" PRId64 " (it was off by %" PRId64 " s, more than %u s)",
                                   a.server_time, offset, cfg->time.threshold);
                }
        } else if (a.outcome == PROTO_TIME_ONLINE && a.has_time)
                log_info("time sync: clock is right (off by %" PRId64 " s, at most %u s)", offset, cfg->time.threshold);
        if (a.outcome != PROTO_TIME_ONLINE)
                log_notice("time sync: clock left alone: the check said %s%s%s (status %d)",
                           proto_time_outcome_name(a.outcome), a.portal_url[0] ? " " : "", a.portal_url, status);
        proto_reply_time(ret, a.outcome, set, a.has_time ? (uint64_t) a.server_time : 0, offset, a.portal_url);
}
