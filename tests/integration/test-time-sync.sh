#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The time sync (`clearnet-run --time-sync`): clearnet-nsd runs the portal check as the
# clearnet user in the clearnet namespace and, from an "online" answer whose Date: is
# well-formed and sane, sets the clock when it is off by more than [time] threshold. The
# clock here is a fake one ([time] clock_file), so the test sees every decision without
# touching the machine's clock: off by more than the threshold (either way) → set; within
# it → left alone; a captive portal, an unusable Date:, an offline network → never set;
# a caller not in [time] callers → refused, clock untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/portal-lib.sh"

topo_setup
services_start
users_setup
portal_user_setup
portal_services_start

CLOCK=$T/clock
conf=$T/cfg/nsd.conf
run_conf "$conf"
time_sync_conf "$conf" "$CLOCK"
nsd_start "$conf"

raw() { portal_mode "{\"mode\": \"raw\", $1}"; }
clock_is() { [ "$(cat "$CLOCK")" = "$1" ]; }
set_clock() { printf '%s\n' "$1" >"$CLOCK" || fail "cannot write $CLOCK"; }
# sync_expect WANT_RC WANT_OUT DESC: clearnet-run --time-sync as root
sync_expect() { expect_check "$1" "$2" "$3" crun --time-sync; }

T_OK=1744712430                 # Tue, 15 Apr 2025 10:20:30 GMT
D_OK=$(imf_date "$T_OK")
raw "\"date\": \"$D_OK\", \"body\": \"OK\""

# --- the threshold ---------------------------------------------------------------------
set_clock $((T_OK - 3600))
sync_expect 0 "online server_time=$T_OK offset=3600 clock_set=yes" "clock an hour behind"
clock_is "$T_OK" || fail "the clock was not set to $T_OK: $(cat "$CLOCK")"
[ "$(nsd_log_count "time sync: clock set to $T_OK")" -ge 1 ] || fail "nsd did not log that it set the clock"
ok "the clock was set to the server's Date: and nsd logged it"

set_clock $((T_OK + 7200))
sync_expect 0 "online server_time=$T_OK offset=-7200 clock_set=yes" "clock two hours ahead"
clock_is "$T_OK" || fail "the clock was not set back to $T_OK"

set_clock $((T_OK - 61))
sync_expect 0 "online server_time=$T_OK offset=61 clock_set=yes" "off by 61 s, threshold 60 s"
clock_is "$T_OK" || fail "the clock was not set when off by 61 s"

set_clock $((T_OK - 60))
sync_expect 0 "online server_time=$T_OK offset=60 clock_set=no" "off by exactly the threshold"
clock_is $((T_OK - 60)) || fail "the clock moved although it was within the threshold"
set_clock $((T_OK + 30))
sync_expect 0 "online server_time=$T_OK offset=-30 clock_set=no" "30 s ahead"
clock_is $((T_OK + 30)) || fail "the clock moved although it was within the threshold"
ok "within the threshold the clock is left alone"

# --- answers that never set the clock --------------------------------------------------
set_clock 1000
raw "\"status\": 302, \"date\": \"$D_OK\", \"headers\": [[\"Location\", \"http://portal.example.test/login\"]], \"body\": \"\""
sync_expect 1 "portal http://portal.example.test/login server_time=$T_OK offset=0 clock_set=no" "a captive portal (302) with a Date:"
clock_is 1000 || fail "a captive portal's Date: set the clock"
raw "\"date\": \"$D_OK\", \"body\": \"<html>log in first</html>\""
sync_expect 1 "portal $CHECK_URL server_time=$T_OK offset=0 clock_set=no" "a portal page instead of the expected body"
clock_is 1000 || fail "a portal page's Date: set the clock"
raw "\"date\": \"2025-04-15T10:20:30Z\", \"body\": \"OK\""
sync_expect 4 "time-invalid" "a Date: in the wrong format"
clock_is 1000 || fail "a malformed Date: set the clock"
raw "\"date\": \"$(imf_date 946684800)\", \"body\": \"OK\""
sync_expect 4 "time-invalid" "a Date: in 2000, before any sane time"
clock_is 1000 || fail "a Date: in 2000 set the clock"
raw "\"date\": null, \"body\": \"OK\""
sync_expect 4 "time-invalid" "no Date: at all"
clock_is 1000 || fail "an answer without Date: set the clock"
portal_mode '{"mode": "close"}'
sync_expect 2 "offline" "the server closes without an answer"
clock_is 1000 || fail "an offline check set the clock"
ok "a portal, an unusable Date: or no answer never set the clock"

# --- who may ---------------------------------------------------------------------------
raw "\"date\": \"$D_OK\", \"body\": \"OK\""
expect_refusal 125 "clearnet-run: not allowed: uid $(id -u "$U1") may not set the clock" \
	"a caller not in [time] callers" crun_as "$U1" --time-sync
clock_is 1000 || fail "a refused caller moved the clock"
ok "the clock setter refuses an unauthorized caller"

sync_expect 0 "online server_time=$T_OK offset=$((T_OK - 1000)) clock_set=yes" "finally, from 1000"
grep -qE "time sync for uid 0: running app portal-check as pid [0-9]+" "${NSD_LOG[main]}" ||
	fail "nsd did not log the check it ran"
ok "nsd ran the check as the app portal-check"
finish
