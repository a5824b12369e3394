#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Unsafe Browser for real, as a window: Firefox ESR started through the whole chain
# (clearnet-run --app unsafe-browser, no URL) on an X server (Xvfb, in the host namespace;
# the policy lists sockets = x11, so clearnet-nsd binds the caller's X socket into the
# sandbox). The screen shows the warning page (its red banner, pixel by pixel) under the
# profile's red toolbars; the screenshot is kept for a person to look at:
#   $CLEARNET_BUILDDIR/meson-logs/unsafe-browser-window.png
# SIGTERM to clearnet-run closes it; then no process and no file of the app's user is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/browser-lib.sh"

browser_need xvfb
topo_setup
services_start
users_setup

ARTIFACT_DIR=$UB_BUILDDIR/meson-logs
ARTIFACT=$ARTIFACT_DIR/unsafe-browser-window.png
TOOLBAR_COLOR=b00000   # the nav bar of the wrapper's userChrome.css

conf=$T/cfg/nsd.conf
run_conf "$conf"
ub_policy "$conf" "$UB_WRAPPER --start-page $UB_WARNING" "$UA" "$UA" "wayland pipewire pulse x11"
nsd_start "$conf"

xvfb_start 99 1280x800
! has_banner "$XFB" 1 || fail "harness: the empty X screen already has a red banner"
ok "harness: the X screen is empty (no red banner)"

uid_scan_start "$UA_ID"
HOME_BEFORE=$(ls -A "$SH/home/$UA")

# --- start it, wait for the warning page ------------------------------------------------

ub_app window "$UA" DISPLAY=:99 --
for ((i = 0; i < 120; i++)); do
	has_banner "$XFB" 600 && break
	pid_gone "$UB_PID" && fail "the browser exited (status $(wait "$UB_PID"; echo $?)) before showing the page: $(ub_output_tail)"
	sleep 0.5
done
has_banner "$XFB" 600 || {
	mkdir -p "$ARTIFACT_DIR" && "${PIXELS[@]}" topng "$XFB" "$ARTIFACT" && echo "# the screen as it was: $ARTIFACT"
	fail "no warning page on the screen 60 s after the start: $(ub_output_tail)"
}
ok "the warning page is on the screen $(ub_elapsed) s after the start: $(band_text)"
# Let it finish drawing (text, toolbars), then keep the screen.
sleep 2
cp "$XFB" "$T/screen.xwd" || fail "cannot copy the framebuffer"
mkdir -p "$ARTIFACT_DIR" && "${PIXELS[@]}" topng "$T/screen.xwd" "$ARTIFACT" || fail "cannot write $ARTIFACT"
echo "# screenshot of the Unsafe Browser's window (a test artifact): $ARTIFACT"

has_banner "$ARTIFACT" 600 || fail "the kept screenshot has no warning banner: $(band_text)"
banner_top=$BAND_START
ok "the kept screenshot shows the warning page's banner: $(band_text)"
[ "$banner_top" -ge 40 ] || fail "the banner is at the top of the screen (row $banner_top): no browser toolbars above it"
shot_band "$ARTIFACT" "$TOOLBAR_COLOR" 300 || fail "cannot look for the toolbar colour"
[ "$BAND_LENGTH" -ge 20 ] && [ "$BAND_START" -lt "$banner_top" ] ||
	fail "no red toolbar (#$TOOLBAR_COLOR, the profile's userChrome.css) above the page: $(band_text)"
ok "the profile's red toolbar (#$TOOLBAR_COLOR) is above the page: $(band_text)"
toolbar_top=$BAND_START
shot_band "$ARTIFACT" ffcc00 200 || fail "cannot look for the label colour"
[ "$BAND_LENGTH" -ge 15 ] && [ "$BAND_START" -lt "$toolbar_top" ] ||
	fail "no yellow 'Unsafe Browser — not anonymous' label (#ffcc00) above the toolbar: $(band_text)"
ok "the profile's yellow 'Unsafe Browser — not anonymous' label (#ffcc00) is in the tab strip: $(band_text)"

# --- close it ---------------------------------------------------------------------------

ub_stop "the browser window"
case $UB_RC in
0 | 143) ok "SIGTERM to clearnet-run closed the browser: status $UB_RC" ;;
*) fail "clearnet-run exited with status $UB_RC after SIGTERM: $(ub_output_tail)" ;;
esac
expect_no_procs "$UA_ID" "after the window closed"
expect_no_new_files "$UA_ID" "after the window closed"
[ "$(ls -A "$SH/home/$UA")" = "$HOME_BEFORE" ] ||
	fail "$UA's real home changed: $(ls -A "$SH/home/$UA" | tr '\n' ' ')"
ok "$UA's real home is as it was"
for ((i = 0; i < 50; i++)); do
	has_banner "$XFB" 1 || break
	sleep 0.1
done
! has_banner "$XFB" 1 || fail "the warning page is still on the screen after the browser exited"
ok "the window is gone from the screen"

finish
