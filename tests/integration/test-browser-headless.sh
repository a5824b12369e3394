#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Unsafe Browser for real, headless: Firefox ESR started through the whole chain
# (clearnet-run --app unsafe-browser URL -> clearnet-nsd -> unsafe-browser-firefox ->
# firefox-esr --headless --screenshot), with the [app unsafe-browser] policy as shipped
# (only exec, user and callers changed).
#   - Without a URL, it shows the warning page (its red banner).
#   - It loads a page of the simulated internet by name (www.example.test, resolved by the
#     clearnet DNS, dnsmasq in inet), and its screenshot shows that page (its colour,
#     pixel by pixel), both when the caller is the app's user (as on Tails: amnesia
#     starts it as amnesia) and when it is another allowed caller (through the launcher,
#     unsafe-browser). The profile's settings are in effect: a name it resolves to the
#     namespace's loopback (network.dns.localDomains) never reaches the DNS server, while
#     another name on the same page does.
#   - A page on the host's 127.0.0.1 and one on the host's veth address (10.200.1.17) do
#     not load: the browser tries (a counter in the clearnet namespace sees its SYN), no
#     screenshot comes, the host's server sees no request and no observer sees anything.
#   - While one runs, a second start is refused with "already running" (status 125),
#     by clearnet-run and by the launcher, for the same caller and another one, and its
#     URL is never opened.
#   - After each run, no process of the app's user is left, no file it wrote remains where
#     it may write, and after all of them none on any file system (its HOME was a tmpfs
#     of its own while it ran; its real home is as it was).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/browser-lib.sh"

browser_need
topo_setup
services_start
users_setup

# --- pages ------------------------------------------------------------------------------

# www.example.test/ub-green.html: a solid, unusual colour, rgb(17,170,51), and two
# invisible images: one at a name the profile resolves to the namespace's own loopback
# (network.dns.localDomains in the wrapper's user.js), one at a name it does not.
GREEN=11aa33
LOCAL_NAME=firefox.settings.services.mozilla.com
CONTROL_NAME=ub-control.example.test
cat >"$T/www/ub-green.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>$WWW_MARKER</title>
<style>html, body { margin: 0; height: 100%; background: rgb(17, 170, 51); }</style></head>
<body><img src="http://$CONTROL_NAME/c.png" width="1" height="1" alt=""><img
 src="http://$LOCAL_NAME/l.png" width="1" height="1" alt=""></body></html>
EOF
printf '<html><body>second</body></html>\n' >"$T/www/ub-second.html"

# The host's own web server, on every address of the host, port 8081: a magenta page.
mkdir -p "$T/leak" && cat >"$T/leak/leak.html" <<EOF
<!DOCTYPE html>
<html><head><title>$HOST_MARKER</title><style>html, body { height: 100%; background: #ff00ff; }</style></head>
<body>$HOST_MARKER</body></html>
EOF
bg host-www "$HOST" "$PYTHON" -u -m http.server --bind 0.0.0.0 --directory "$T/leak" 8081
wait_listen "$HOST" tcp 0.0.0.0 8081
HOST_WWW_LOG=$T/logs/host-www.out
WWW_LOG=$T/logs/www.out
DNS_LOG=$T/logs/dnsmasq.log

# --- the daemon and the policy ----------------------------------------------------------

SHOT=$SH/x/shot.png
conf=$T/cfg/nsd.conf
run_conf "$conf"
ub_policy "$conf" "$(ub_exec_headless "$SHOT")" "$UA" "$UA $U1"
nsd_start "$conf"
expect_http "$HOST" http://127.0.0.1:8081/leak.html "$HOST_MARKER" "harness: the host's page is served on 127.0.0.1:8081"
expect_http "$HOST" http://10.200.1.17:8081/leak.html "$HOST_MARKER" "harness: the host's page is served on 10.200.1.17:8081"

# A counter in the clearnet namespace of the browser's connection attempts to port 8081:
# proof that it did try, so that "nothing loaded" is not merely "not started yet".
in_clear nft -f - <<'EOF' || fail "watch table in the clearnet namespace"
table inet ubwatch {
	chain out {
		type filter hook output priority -300; policy accept;
		ip daddr 127.0.0.1 tcp dport 8081 counter comment "loopback"
		ip daddr 10.200.1.17 tcp dport 8081 counter comment "veth"
	}
}
EOF
# attempts loopback|veth: packets counted so far
attempts() {
	in_clear nft list chain inet ubwatch out | grep "comment \"$1\"" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
[ "$(attempts loopback)" = 0 ] && [ "$(attempts veth)" = 0 ] || fail "harness: the watch counters do not read 0"

# The app user's real home, with a file that must still be all there is afterwards.
echo real >"$SH/home/$UA/real-home-marker" && chown "$UA:$UA" "$SH/home/$UA/real-home-marker" ||
	fail "marker in $UA's home"
HOME_BEFORE=$(cd "$SH/home/$UA" && find . -printf '%p %s %m %u\n' | sort)
uid_scan_start "$UA_ID"

# after_run DESC [ALLOWED...]: nothing of the app is left
after_run() {
	local desc=$1
	shift
	expect_no_procs "$UA_ID" "$desc"
	expect_no_new_files --quick "$UA_ID" "$desc" "$@"
	[ "$(cd "$SH/home/$UA" && find . -printf '%p %s %m %u\n' | sort)" = "$HOME_BEFORE" ] ||
		fail "$desc: $UA's real home changed: $(ls -lA "$SH/home/$UA" | tr '\n' ' ')"
	ok "$desc: $UA's real home is as it was (only real-home-marker)"
}

# log_mark FILE: its line count now; log_since FILE MARK: its lines after MARK
log_mark() { wc -l <"$1"; }
log_since() { tail -n +"$(($2 + 1))" "$1"; }

# --- 1. a page by name, the caller being the app's user ---------------------------------

rm -f "$SHOT"
www0=$(log_mark "$WWW_LOG") dns0=$(log_mark "$DNS_LOG") obs0=$(observed)
ub_app green-1 "$UA" -- http://www.example.test/ub-green.html
ub_wait_exit 90 "$UA starts the Unsafe Browser on http://www.example.test/ub-green.html"
[ "$UB_RC" -eq 0 ] || fail "the headless browser ($UA for $UA) exited with status $UB_RC: $(ub_output_tail)"
[ -s "$SHOT" ] || fail "the headless browser exited 0 but wrote no screenshot: $(ub_output_tail)"
ok "$UA started it as $UA: status 0 after $(ub_elapsed) s, screenshot written"
expect_shot_color "$SHOT" "$GREEN" 0.98 "the screenshot shows the page of www.example.test"
[ "$(stat -c %u "$SHOT")" = "$UA_ID" ] || fail "the screenshot is not $UA's: $(stat -c %U "$SHOT")"
log_since "$WWW_LOG" "$www0" | grep -q '^192\.0\.2\.1 .*"GET /ub-green\.html HTTP' ||
	fail "the www server did not log the request (from the host's uplink address): $(log_since "$WWW_LOG" "$www0" | tr '\n' ' ')"
ok "the www server served /ub-green.html to 192.0.2.1 (the host, masquerading the namespace)"
log_since "$DNS_LOG" "$dns0" | grep -q 'query\[A\] www\.example\.test from 192\.0\.2\.1$' ||
	fail "dnsmasq was not asked for www.example.test: $(log_since "$DNS_LOG" "$dns0" | grep query | tr '\n' ' ')"
ok "www.example.test was resolved by the clearnet DNS server (dnsmasq, 192.0.2.53)"
names=$(log_since "$DNS_LOG" "$dns0" | sed -n 's/.*query\[[A-Z]*\] \([^ ]*\) from .*/\1/p' | sort -u)
info "names the browser asked the DNS server for: $(tr '\n' ' ' <<<"$names")"
grep -qxF "$CONTROL_NAME" <<<"$names" || fail "harness: the page's image at $CONTROL_NAME was not looked up"
! grep -qxF "$LOCAL_NAME" <<<"$names" ||
	fail "$LOCAL_NAME was looked up: the profile's network.dns.localDomains is not in effect"
ok "the profile is in effect: $LOCAL_NAME (network.dns.localDomains) never reached the DNS server, $CONTROL_NAME did"
[ "$(observed)" = "$obs0" ] || fail "an observer saw traffic: $(observed_diff "$obs0" "$(observed)")"
ok "no observer (host services, unmasqueraded traffic in inet) saw anything"
uid_files_quick "$UA_ID" "$T/uid-$UA_ID.writable" | grep -qxF "$SHOT" ||
	fail "harness: the search for files of uid $UA_ID does not find the screenshot"
ok "harness: the search for files of uid $UA_ID finds what the app wrote (the screenshot)"
after_run "after the first run" "$SHOT"
rm -f "$SHOT"

# --- 2. no URL: the warning page --------------------------------------------------------

ub_app warning "$UA" --
ub_wait_exit 90 "$UA starts the Unsafe Browser without a URL"
[ "$UB_RC" -eq 0 ] && [ -s "$SHOT" ] || fail "without a URL: status $UB_RC, screenshot: $(ls "$SHOT" 2>&1): $(ub_output_tail)"
has_banner "$SHOT" 1024 && [ "$BAND_START" -eq 0 ] ||
	fail "without a URL, the screenshot is not the warning page (a #$UB_BANNER_COLOR banner at the top, the full width, $UB_BANNER_HEIGHT rows at least): $(band_text); dominant: $(shot_dominant "$SHOT")"
ok "without a URL, the screenshot is the warning page after $(ub_elapsed) s: $(band_text)"
after_run "after the run without a URL" "$SHOT"
rm -f "$SHOT"

# --- 3. the same through the launcher, by another allowed caller ------------------------

www0=$(log_mark "$WWW_LOG")
ub_start green-2 "$U1" CLEARNET_SOCKET="$SOCKET" CLEARNET_RUN="$CLEARNET_RUN" TMPDIR="$SH/home/$U1" -- \
	"$UB_LAUNCHER" 'http://www.example.test/ub-green.html?caller=2'
ub_wait_exit 90 "$U1 runs unsafe-browser http://www.example.test/ub-green.html?caller=2"
[ "$UB_RC" -eq 0 ] || fail "unsafe-browser ($U1, app user $UA) exited with status $UB_RC: $(ub_output_tail)"
[ -s "$SHOT" ] || fail "unsafe-browser exited 0 but no screenshot was written: $(ub_output_tail)"
ok "$U1 started it with the launcher (the app running as $UA): status 0 after $(ub_elapsed) s"
expect_shot_color "$SHOT" "$GREEN" 0.98 "the screenshot shows the page of www.example.test"
[ "$(stat -c %u "$SHOT")" = "$UA_ID" ] || fail "the screenshot is not $UA's (the app ran as $(stat -c %U "$SHOT"))"
ok "the browser ran as $UA, not as its caller $U1"
log_since "$WWW_LOG" "$www0" | grep -q '"GET /ub-green\.html?caller=2 HTTP' ||
	fail "the www server did not log the launcher's URL: $(log_since "$WWW_LOG" "$www0" | tr '\n' ' ')"
grep -q 'not anonymous' "$UB_OUT" || fail "the launcher said nothing about not being anonymous: $(ub_output_tail)"
ok "the launcher said it is not anonymous (no notification daemon here: on stderr)"
after_run "after the launcher's run" "$SHOT"
rm -f "$SHOT"

# --- 4. the host's 127.0.0.1; meanwhile, a second start --------------------------------

# blocked_load WHAT URL COUNTER: start it on URL, wait until it has tried to connect,
# give it time to load; nothing may load. Leaves it running (UB_PID).
blocked_load() {
	local what=$1 url=$2 counter=$3 i
	rm -f "$SHOT"
	HOST0=$(log_mark "$HOST_WWW_LOG") OBS0=$(observed) WWW0=$(log_mark "$WWW_LOG")
	local n0
	n0=$(attempts "$counter")
	ub_app "blocked-$counter" "$UA" -- "$url"
	for ((i = 0; i < 600; i++)); do
		[ "$(attempts "$counter")" -gt "$n0" ] && break
		pid_gone "$UB_PID" && fail "$what: the browser exited (status $(wait "$UB_PID"; echo $?)) before trying: $(ub_output_tail)"
		sleep 0.1
	done
	[ "$(attempts "$counter")" -gt "$n0" ] ||
		fail "$what: the browser did not try to connect within 60 s: $(ub_output_tail)"
	ok "$what: the browser tried to connect $(ub_elapsed) s after the start"
	# a page that loads is in the screenshot well within a second: give it 4
	sleep 4
	[ ! -e "$SHOT" ] || fail "$what: the page loaded: a screenshot was written ($(shot_dominant "$SHOT"))"
	pid_gone "$UB_PID" && fail "$what: the browser exited (status $(wait "$UB_PID"; echo $?)) without a screenshot: $(ub_output_tail)"
	ok "$what: no screenshot 4 s after the attempt (the load failed; headless Firefox waits)"
}

# after_blocked WHAT: stop it; nothing got anywhere
after_blocked() {
	local what=$1
	ub_stop "$what"
	case $UB_RC in
	0 | 143) ok "$what: clearnet-run exited with status $UB_RC after SIGTERM" ;;
	*) fail "$what: clearnet-run exited with status $UB_RC after SIGTERM: $(ub_output_tail)" ;;
	esac
	[ ! -e "$SHOT" ] || fail "$what: a screenshot was written after all"
	[ "$(log_mark "$HOST_WWW_LOG")" = "$HOST0" ] ||
		fail "$what: the host's web server got a request: $(log_since "$HOST_WWW_LOG" "$HOST0" | tr '\n' ' ')"
	[ "$(observed)" = "$OBS0" ] || fail "$what: an observer saw traffic: $(observed_diff "$OBS0" "$(observed)")"
	ok "$what: the host's web server and every observer saw nothing"
	after_run "$what"
}

blocked_load "the host's 127.0.0.1" http://127.0.0.1:8081/leak.html loopback
first=$UB_PID first_out=$UB_OUT

# Its profile, seen through the browser's own mount namespace: in a tmpfs HOME, with the
# wrapper's settings in the preferences Firefox saved (prefs.js, written by Firefox, not
# the wrapper); none of it in the real home.
ff=$(pgrep -u "$UA_ID" -x firefox-esr | head -n 1)
[ -n "$ff" ] || fail "no firefox-esr process of $UA: $(pgrep -a -u "$UA_ID" | cut -c 1-100 | tr '\n' ';')"
fstype=$(findmnt --task "$ff" -n -o FSTYPE --mountpoint "$SH/home/$UA")
[ "$fstype" = tmpfs ] || fail "the browser's HOME $SH/home/$UA is not a tmpfs of its own: '$fstype'"
profile=/proc/$ff/root$SH/home/$UA/.unsafe-browser/profile
wait_until 300 grep -q '^user_pref("network.trr.mode", 5);' "$profile/prefs.js" ||
	fail "Firefox's prefs.js has no network.trr.mode 5 within 30 s: $(ls "$profile" 2>&1 | tr '\n' ' ' | cut -c 1-300)"
for pref in '"network.proxy.type", 0);' '"toolkit.legacyUserProfileCustomizations.stylesheets", true);' \
	"\"network.dns.localDomains\", \"$LOCAL_NAME,"; do
	grep -qF "user_pref($pref" "$profile/prefs.js" || fail "Firefox's prefs.js has no user_pref($pref"
done
ok "the browser's HOME is a tmpfs; Firefox saved the profile's settings (DNS over HTTPS off: network.trr.mode 5; no proxy; userChrome.css on; network.dns.localDomains)"
[ "$(cd "$SH/home/$UA" && find . -printf '%p %s %m %u\n' | sort)" = "$HOME_BEFORE" ] ||
	fail "the profile shows in $UA's real home: $(ls -lA "$SH/home/$UA" | tr '\n' ' ')"
ok "none of the profile is in $UA's real home while it runs"

# the daemon counts it
out=$(cd / && as "$UA" timeout -k 5 30 "$CLEARNET_RUN" --socket "$SOCKET" --status unsafe-browser 2>&1)
grep -qw 'running=1' <<<"$out" || fail "clearnet-run --status while it runs: '$out'"
ok "clearnet-run --status while it runs: $out"

second_rc() { # DESC WANT_STDERR_TEXT CMD...
	local desc=$1 want=$2
	shift 2
	expect_rc 125 "$desc" "$@"
	grep -qF -- "$want" <<<"$ERR" || fail "$desc: stderr '$ERR' does not say '$want'"
	ok "$desc: status 125, '$(tail -n 1 <<<"$ERR")'"
}
second_rc "a second start by $UA (clearnet-run)" "already running" \
	as "$UA" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" --app unsafe-browser http://www.example.test/ub-second.html
second_rc "a second start by $UA (the launcher)" "The Unsafe Browser is already running." \
	as "$UA" env CLEARNET_SOCKET="$SOCKET" CLEARNET_RUN="$CLEARNET_RUN" TMPDIR="$SH/home/$UA" \
	timeout -k 5 60 "$UB_LAUNCHER" http://www.example.test/ub-second.html
second_rc "a second start by $U1 (the launcher)" "The Unsafe Browser is already running." \
	as "$U1" env CLEARNET_SOCKET="$SOCKET" CLEARNET_RUN="$CLEARNET_RUN" TMPDIR="$SH/home/$U1" \
	timeout -k 5 60 "$UB_LAUNCHER" http://www.example.test/ub-second.html
second_rc "a second start by $U1 (clearnet-run)" "already running" \
	as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" --app unsafe-browser http://www.example.test/ub-second.html
! log_since "$WWW_LOG" "$WWW0" | grep -q 'ub-second' ||
	fail "the second start's URL was opened: $(log_since "$WWW_LOG" "$WWW0" | tr '\n' ' ')"
[ "$(pgrep -c -u "$UA_ID" -f 'unsafe-browser-firefox|firefox-esr' | head -n 1)" -ge 1 ] && [ "$first" = "$UB_PID" ] &&
	! pid_gone "$first" || fail "the first instance is gone after the refused starts: $(tail -n 5 "$first_out")"
ok "the second start's URL was never opened, and the first instance still runs"
after_blocked "the host's 127.0.0.1"

# --- 5. the host's veth address ---------------------------------------------------------

blocked_load "the host's veth address 10.200.1.17" http://10.200.1.17:8081/leak.html veth
after_blocked "the host's veth address 10.200.1.17"

out=$(cd / && as "$UA" timeout -k 5 30 "$CLEARNET_RUN" --socket "$SOCKET" --status unsafe-browser 2>&1)
grep -qw 'running=0' <<<"$out" || fail "clearnet-run --status after all: '$out'"
ok "clearnet-run --status after all: $out"
expect_no_new_files "$UA_ID" "after all runs"

finish
