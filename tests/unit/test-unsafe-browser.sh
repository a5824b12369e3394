#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Unsafe Browser's launcher and browser wrappers, without root, without a daemon and
# without a browser: a fake clearnet-run (prints the --status line the test chose, records
# every call, plays the app's exit status), a fake notify-send and zenity that record what
# they were asked, a fake browser that records its arguments.
#
# Usage: test-unsafe-browser.sh UNSAFE-BROWSER UNSAFE-BROWSER-FIREFOX UNSAFE-BROWSER-CHROMIUM WARNING-PAGE
set -u

UB=$1
UBF=$2
UBC=$3
PAGE=$4

W=$(mktemp -d "${TMPDIR:-/tmp}/test-unsafe-browser.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
FAKE=$W/fake
mkdir -p "$FAKE" "$W/bin" "$W/bin-nonotify" "$W/fakebin" "$W/tmp" "$W/home"

n_ok=0
ok() {
	n_ok=$((n_ok + 1))
	echo "ok: $*"
}
fail() {
	echo "FAIL: $*"
	[ -f "$W/err" ] && sed 's/^/#   stderr: /' "$W/err" | head -n 20
	exit 1
}

# ---------------------------------------------------------------------------------------
# A PATH with only what the launcher may use: its documented dependencies (coreutils,
# sed, mawk/gawk) and the fakes. Without notify-send and zenity in bin-nonotify.

for tool in sh env tr cut sed mktemp mkfifo awk rm tail cat timeout sleep; do
	p=$(command -v "$tool") || fail "missing tool $tool"
	ln -s "$p" "$W/bin/$tool"
	ln -s "$p" "$W/bin-nonotify/$tool"
done

cat >"$W/fakebin/clearnet-run" <<'EOF'
#!/bin/sh
# fake clearnet-run
{ printf 'call'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\n'; } >>"$FAKE/calls"
mode=
for a in "$@"; do
	case $a in
	--status) mode=status ;;
	--app) mode=app ;;
	esac
done
if [ "$mode" = status ]; then
	[ -f "$FAKE/status-out" ] && cat "$FAKE/status-out"
	[ -f "$FAKE/status-err" ] && cat "$FAKE/status-err" >&2
	exit "$(cat "$FAKE/status-rc" 2>/dev/null || echo 0)"
fi
{ printf 'launch'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\n'; } >>"$FAKE/launched"
[ -f "$FAKE/app-err" ] && cat "$FAKE/app-err" >&2
[ -f "$FAKE/app-out" ] && cat "$FAKE/app-out"
if [ -f "$FAKE/app-stdin" ]; then cat >"$FAKE/app-stdin"; fi
if [ -f "$FAKE/app-wait" ]; then
	trap 'echo TERM >>"$FAKE/signals"; exit 143' TERM
	trap 'echo HUP >>"$FAKE/signals"; exit 129' HUP
	: >"$FAKE/app-running"
	while :; do sleep 0.05; done
fi
exit "$(cat "$FAKE/app-rc" 2>/dev/null || echo 0)"
EOF
cat >"$W/fakebin/notify-send" <<'EOF'
#!/bin/sh
{ printf 'notify'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\n'; } >>"$FAKE/notify"
exit "$(cat "$FAKE/notify-rc" 2>/dev/null || echo 0)"
EOF
cat >"$W/fakebin/zenity" <<'EOF'
#!/bin/sh
{ printf 'zenity'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\n'; } >>"$FAKE/zenity"
exit 0
EOF
cat >"$W/fakebin/browser" <<'EOF'
#!/bin/sh
# fake browser: one argument a line, then what the profile holds
for a in "$@"; do printf '%s\n' "$a"; done >"$FAKE/browser-args"
env >"$FAKE/browser-env"
exit "$(cat "$FAKE/browser-rc" 2>/dev/null || echo 0)"
EOF
chmod 0755 "$W/fakebin"/*
ln -s "$W/fakebin/notify-send" "$W/fakebin/zenity" "$W/bin/"

# reset: forget what the fakes recorded; STATUS is the --status line to print
reset() {
	rm -f "$FAKE"/*
	printf '%s\n' "${1:-enabled=yes running=0 limit=1 dns_servers=1 online=yes}" >"$FAKE/status-out"
}

RC=
# ub [VAR=VALUE...] [-- ARG...]: run the launcher in a clean environment, no display,
# with the fakes; RC, $W/out, $W/err
ub() {
	local vars=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	env -i PATH="$W/bin" HOME="$W/home" TMPDIR="$W/tmp" LANG=C.UTF-8 FAKE="$FAKE" \
		CLEARNET_RUN="$W/fakebin/clearnet-run" "${vars[@]}" \
		timeout -k 5 30 "$UB" "$@" </dev/null >"$W/out" 2>"$W/err"
	RC=$?
}

launched() { [ -s "$FAKE/launched" ]; }
calls() { [ -f "$FAKE/calls" ] && wc -l <"$FAKE/calls" || echo 0; }
err_has() { grep -qF -- "$1" "$W/err"; }
no_tmp_left() { [ -z "$(ls -A "$W/tmp")" ]; }

# expect_refused DESC WANT-TEXT: not launched, status 125, the text on stderr, nothing left
expect_refused() {
	[ "$RC" -eq 125 ] || fail "$1: status $RC, expected 125"
	! launched || fail "$1: the browser was launched: $(cat "$FAKE/launched")"
	err_has "$2" || fail "$1: stderr lacks '$2'"
	no_tmp_left || fail "$1: files left in TMPDIR: $(ls -A "$W/tmp")"
	ok "$1: status 125, '$2', nothing launched"
}

# ---------------------------------------------------------------------------------------
# The guard rails

reset "enabled=no running=0 limit=1 dns_servers=1 online=yes"
ub
expect_refused "disabled" "The Unsafe Browser is disabled. To use it, restart and enable it in the Welcome Screen (Additional Settings › Unsafe Browser)."
[ "$(wc -l <"$W/err")" -eq 1 ] || fail "disabled: more than one line on stderr without a display"
[ ! -f "$FAKE/zenity" ] || fail "disabled: zenity was run without a display"

reset "enabled=yes running=1 limit=1 dns_servers=1 online=yes"
ub -- http://portal.example/login
expect_refused "already running (with a URL)" "The Unsafe Browser is already running."
[ "$(calls)" -eq 1 ] || fail "already running: clearnet-run called $(calls) times (only --status expected)"
! grep -qF portal.example "$FAKE/calls" || fail "already running: the URL was handed on: $(cat "$FAKE/calls")"
ok "already running: the URL went nowhere"

reset "enabled=yes running=0 limit=1 dns_servers=1 online=no"
ub
expect_refused "offline" "connect to a network first"

reset "enabled=yes running=0 limit=1 dns_servers=0 online=yes"
ub
expect_refused "no DNS server" "connect to a network first"

reset "enabled=yes running=0 limit=1 dns_servers=0 online=no"
ub
expect_refused "offline, no DNS server" "connect to a network first"

reset
rm -f "$FAKE/status-out"
printf 'clearnet-run: cannot reach clearnet-nsd at /run/clearnet/nsd.sock: No such file or directory\n' >"$FAKE/status-err"
printf '125\n' >"$FAKE/status-rc"
ub
expect_refused "no daemon" "cannot reach clearnet-nsd at /run/clearnet/nsd.sock"

reset
rm -f "$FAKE/status-out"
printf 'clearnet-run: not allowed: uid 1001 may not use app '\''unsafe-browser'\''\n' >"$FAKE/status-err"
printf '125\n' >"$FAKE/status-rc"
ub
expect_refused "caller not allowed" "not allowed: uid 1001 may not use app"

reset "something else entirely"
ub
expect_refused "garbled status" "unexpected answer"

reset "enabled=yes running=x limit=1 dns_servers=1 online=yes"
ub
expect_refused "non-numeric running" "unexpected answer"

reset
ub CLEARNET_RUN="$W/nonexistent/clearnet-run"
[ "$RC" -eq 125 ] && err_has "$W/nonexistent/clearnet-run is not installed" ||
	fail "clearnet-run missing: status $RC"
ok "clearnet-run missing: status 125, named"

# ---------------------------------------------------------------------------------------
# Bad URLs: refused before anything is asked or started

long=http://portal.example/$(printf 'a%.0s' $(seq 1 2027))   # 2049 characters
ok_long=${long%a}                                               # 2048
[ "${#long}" -eq 2049 ] && [ "${#ok_long}" -eq 2048 ] || fail "test bug: URL lengths ${#long} ${#ok_long}"
for bad in "ftp://portal.example/" "javascript:alert(1)" "file:///etc/passwd" "http://" "https:///path" \
	"http://?q" "portal.example" "--socket=/tmp/x" "-h2" "http://portal.example/a b" \
	"http://portal.example/$(printf '\t')x" "http://portal.example/$(printf '\033')[2J" \
	"http://portal.example/$(printf '\001')" "http://portal.example/$(printf '\177')" \
	"http://portal.example/é" 'http://portal.example/"x' 'http://portal.example/<x>' \
	'http://portal.example/`id`' 'http://portal.example/\x' "$long" \
	"http://portal.example/
second-line"; do
	reset
	ub -- "$bad"
	desc="bad URL '$(printf '%s' "$bad" | LC_ALL=C tr -c '[:print:]' '?' | cut -c 1-40)'"
	expect_refused "$desc" "The Unsafe Browser opens only http:// and https:// addresses"
	[ "$(calls)" -eq 0 ] || fail "$desc: clearnet-run was called: $(cat "$FAKE/calls")"
	# the message never carries the raw control characters to the terminal
	! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$W/err" || fail "$desc: control characters on stderr"
done
ok "bad URLs: clearnet-run never called"

reset
ub -- http://a.example/ http://b.example/
[ "$RC" -eq 125 ] && ! launched || fail "two URLs: status $RC"
ok "two URLs: refused"

# ---------------------------------------------------------------------------------------
# Success: the URL passed as one argument, the status relayed, notifications

reset
printf '3\n' >"$FAKE/app-rc"
printf 'browser noise on stderr\n' >"$FAKE/app-err"
ub CLEARNET_SOCKET="$W/nsd.sock" DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent -- "$ok_long"
[ "$RC" -eq 3 ] || fail "success path: status $RC, expected the browser's 3"
grep -qxF "launch [--socket] [$W/nsd.sock] [--app] [unsafe-browser] [$ok_long]" "$FAKE/launched" ||
	fail "success path: launched as $(cat "$FAKE/launched")"
grep -qxF "call [--socket] [$W/nsd.sock] [--status] [unsafe-browser]" "$FAKE/calls" ||
	fail "success path: status asked as $(head -n 1 "$FAKE/calls")"
ok "success: a 2048-character URL passed as one argument, --socket from CLEARNET_SOCKET, status 3 relayed"
err_has "browser noise on stderr" || fail "success path: the browser's stderr was not passed on"
ok "success: the browser's stderr is passed on"
[ "$(grep -c . "$FAKE/notify")" -eq 2 ] || fail "success path: $(grep -c . "$FAKE/notify") notifications, expected 2"
head -n 1 "$FAKE/notify" | grep -qF "not anonymous" || fail "start notification: $(head -n 1 "$FAKE/notify")"
tail -n 1 "$FAKE/notify" | grep -qF "shut down" || fail "stop notification: $(tail -n 1 "$FAKE/notify")"
! err_has "not anonymous" || fail "success path: notice on stderr although notify-send worked"
no_tmp_left || fail "success path: files left in TMPDIR"
ok "success: notifications at start ('not anonymous') and at shutdown, nothing left behind"

# After the browser: the portal check again, in the background, with --after-browser;
# not after a refusal.
cat >"$W/fakebin/portal-notify" <<'EOF2'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE/after"
EOF2
chmod 0755 "$W/fakebin/portal-notify"
reset
ub CLEARNET_PORTAL_NOTIFY="$W/fakebin/portal-notify"
i=0
while [ ! -s "$FAKE/after" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$RC" -eq 0 ] && [ "$(cat "$FAKE/after" 2>/dev/null)" = --after-browser ] ||
	fail "after the browser: status $RC, the check ran as '$(cat "$FAKE/after" 2>/dev/null)'"
ok "after the browser closed: CLEARNET_PORTAL_NOTIFY --after-browser, our status still the browser's"
reset "enabled=no running=0 limit=1 dns_servers=1 online=yes"
ub CLEARNET_PORTAL_NOTIFY="$W/fakebin/portal-notify"
sleep 0.5
[ "$RC" -eq 125 ] && [ ! -e "$FAKE/after" ] || fail "refused: status $RC, after-browser check '$(cat "$FAKE/after" 2>/dev/null)'"
ok "refused: no after-the-browser check"

reset
ub
[ "$RC" -eq 0 ] && grep -qxF "launch [--app] [unsafe-browser]" "$FAKE/launched" ||
	fail "no URL: status $RC, launched as $(cat "$FAKE/launched" 2>/dev/null)"
ok "no URL: clearnet-run --app unsafe-browser, no argument, status 0"

reset
printf '141\n' >"$FAKE/app-rc"
ub -- HTTPS://Portal.Example:8443/login?next=%2F#x
[ "$RC" -eq 141 ] && grep -qF "[HTTPS://Portal.Example:8443/login?next=%2F#x]" "$FAKE/launched" ||
	fail "https URL: status $RC, launched as $(cat "$FAKE/launched" 2>/dev/null)"
ok "upper-case HTTPS URL with port, query and fragment passed; status 141 (128+13) relayed"

# Without notify-send (and zenity) at all: still works, the notices go to stderr.
reset
env -i PATH="$W/bin-nonotify" HOME="$W/home" TMPDIR="$W/tmp" FAKE="$FAKE" DISPLAY=:99 \
	CLEARNET_RUN="$W/fakebin/clearnet-run" timeout -k 5 30 "$UB" http://portal.example/ \
	</dev/null >"$W/out" 2>"$W/err"
RC=$?
[ "$RC" -eq 0 ] && launched || fail "no notify-send: status $RC"
err_has "not anonymous" && err_has "shut down" || fail "no notify-send: notices missing on stderr"
ok "no notify-send, no zenity: started, notices on stderr"

reset "enabled=no running=0 limit=1 dns_servers=1 online=yes"
env -i PATH="$W/bin-nonotify" HOME="$W/home" TMPDIR="$W/tmp" FAKE="$FAKE" DISPLAY=:99 \
	CLEARNET_RUN="$W/fakebin/clearnet-run" timeout -k 5 30 "$UB" </dev/null >"$W/out" 2>"$W/err"
RC=$?
expect_refused "display but no zenity" "The Unsafe Browser is disabled."

# notify-send there but failing (no notification daemon): stderr
reset
printf '1\n' >"$FAKE/notify-rc"
ub
[ "$RC" -eq 0 ] && err_has "not anonymous" || fail "notify-send failing: status $RC, no notice on stderr"
ok "notify-send failing (no notification daemon): notices on stderr"

# With a display: a zenity error dialog, and the line on stderr.
for d in DISPLAY=:0 WAYLAND_DISPLAY=wayland-0; do
	reset "enabled=yes running=1 limit=1 dns_servers=1 online=yes"
	ub "$d"
	expect_refused "already running, $d" "The Unsafe Browser is already running."
	grep -qF "[--error]" "$FAKE/zenity" && grep -qF "[--text=The Unsafe Browser is already running.]" "$FAKE/zenity" ||
		fail "$d: no zenity error dialog: $(cat "$FAKE/zenity" 2>/dev/null)"
	ok "$d: zenity --error dialog shown"
done

# ---------------------------------------------------------------------------------------
# Failures of the start itself

reset
printf '127\n' >"$FAKE/app-rc"
printf 'clearnet-run: /usr/libexec/clearnet/unsafe-browser-firefox: No such file or directory\n' >"$FAKE/app-err"
ub DISPLAY=:0
[ "$RC" -eq 127 ] || fail "wrapper missing: status $RC, expected 127"
err_has "/usr/libexec/clearnet/unsafe-browser-firefox was not found" || fail "wrapper missing: not named"
grep -qF "unsafe-browser-firefox was not found" "$FAKE/zenity" || fail "wrapper missing: no dialog naming it"
! grep -qF "shut down" "$FAKE/notify" || fail "wrapper missing: 'shut down' notification although it never started"
ok "exec missing (127): named in the message and the dialog, status 127"

reset
printf '127\n' >"$FAKE/app-rc"
printf 'unsafe-browser-firefox: /usr/bin/firefox-esr: not found (is firefox-esr installed?)\n' >"$FAKE/app-err"
ub
[ "$RC" -eq 127 ] && err_has "/usr/bin/firefox-esr was not found" || fail "browser missing: status $RC"
ok "browser missing behind the wrapper (127): /usr/bin/firefox-esr named, status 127"

reset
printf '126\n' >"$FAKE/app-rc"
printf 'clearnet-run: /usr/libexec/clearnet/unsafe-browser-firefox: Permission denied\n' >"$FAKE/app-err"
ub
[ "$RC" -eq 126 ] && err_has "unsafe-browser-firefox is not executable" || fail "not executable: status $RC"
ok "exec not executable (126): named, status 126"

reset
printf '125\n' >"$FAKE/app-rc"
printf "clearnet-run: app 'unsafe-browser' is already running (at most 1 instance)\n" >"$FAKE/app-err"
ub
[ "$RC" -eq 125 ] && err_has "The Unsafe Browser is already running." || fail "lost race: status $RC"
ok "second start refused by nsd after the check (race): 'already running', status 125"

reset
printf '125\n' >"$FAKE/app-rc"
printf 'unsafe-browser-firefox: cannot make the profile /home/amnesia/.unsafe-browser/profile\n' >"$FAKE/app-err"
ub
[ "$RC" -eq 125 ] && err_has "The Unsafe Browser cannot be started: unsafe-browser-firefox: cannot make the profile" ||
	fail "wrapper failure: status $RC"
! grep -qF "shut down" "$FAKE/notify" || fail "wrapper failure: 'shut down' notification although it never started"
ok "the wrapper fails (125): its message shown, no 'shut down' notification"

# Signals: TERM to the launcher reaches clearnet-run, whose status is relayed.
reset
: >"$FAKE/app-wait"
env -i PATH="$W/bin" HOME="$W/home" TMPDIR="$W/tmp" FAKE="$FAKE" \
	CLEARNET_RUN="$W/fakebin/clearnet-run" "$UB" </dev/null >"$W/out" 2>"$W/err" &
pid=$!
for _ in $(seq 100); do
	[ -f "$FAKE/app-running" ] && break
	sleep 0.05
done
[ -f "$FAKE/app-running" ] || fail "signal test: the fake app did not start"
kill -TERM "$pid"
wait "$pid"
RC=$?
[ "$RC" -eq 143 ] && grep -qx TERM "$FAKE/signals" || fail "TERM: status $RC, signals seen: $(cat "$FAKE/signals" 2>/dev/null)"
grep -qF "shut down" "$FAKE/notify" || fail "TERM: no shutdown notification"
no_tmp_left || fail "TERM: files left in TMPDIR"
ok "TERM to unsafe-browser reaches clearnet-run; its status 143 is relayed"

# stdin is passed on
reset
printf 'x\n' >"$FAKE/app-stdin"
echo "hello from stdin" | env -i PATH="$W/bin" HOME="$W/home" TMPDIR="$W/tmp" FAKE="$FAKE" \
	CLEARNET_RUN="$W/fakebin/clearnet-run" "$UB" >"$W/out" 2>"$W/err"
grep -qx "hello from stdin" "$FAKE/app-stdin" || fail "stdin not passed on"
ok "stdin is passed on to clearnet-run"

reset
ub -- --help
[ "$RC" -eq 0 ] && grep -q "Usage: unsafe-browser" "$W/out" && [ "$(calls)" -eq 0 ] || fail "--help: status $RC"
ok "--help: usage, status 0, nothing asked"

# ---------------------------------------------------------------------------------------
# The Firefox wrapper

# wrap WRAPPER ARGS...: run it as clearnet-nsd would (HOME, few variables); RC, args
wrap() {
	local w=$1
	shift
	rm -f "$FAKE/browser-args" "$FAKE/browser-env"
	env -i PATH=/usr/bin:/bin HOME="$W/home" USER=nobody LANG=C.UTF-8 FAKE="$FAKE" \
		timeout -k 5 30 "$w" "$@" </dev/null >"$W/out" 2>"$W/err"
	RC=$?
}
arg_list() { tr '\n' '|' <"$FAKE/browser-args"; }

mkdir -p "$W/home/.unsafe-browser/profile"
: >"$W/home/.unsafe-browser/profile/stale-cookies.sqlite"
wrap "$UBF" --browser "$W/fakebin/browser" --start-page "$PAGE"
[ "$RC" -eq 0 ] || fail "firefox wrapper: status $RC"
profile=$W/home/.unsafe-browser/profile
want="--no-remote|--new-instance|--profile|$profile|--class|Unsafe Browser|--name|Unsafe Browser|file://$PAGE|"
[ "$(arg_list)" = "$want" ] || fail "firefox wrapper: arguments $(arg_list), expected $want"
ok "firefox wrapper: --no-remote --new-instance, fresh profile in HOME, class/name 'Unsafe Browser', the warning page"
[ ! -e "$profile/stale-cookies.sqlite" ] || fail "firefox wrapper: the old profile was kept"
ok "firefox wrapper: an old profile is removed"
grep -qx "MOZ_CRASHREPORTER_DISABLE=1" "$FAKE/browser-env" || fail "firefox wrapper: crash reporter not disabled"
for pref in \
	'user_pref("network.captive-portal-service.enabled", true);' \
	'user_pref("network.trr.mode", 5);' \
	'user_pref("network.proxy.type", 0);' \
	"user_pref(\"browser.startup.homepage\", 'file://$PAGE');" \
	'user_pref("toolkit.legacyUserProfileCustomizations.stylesheets", true);' \
	'user_pref("toolkit.telemetry.enabled", false);' \
	'user_pref("datareporting.healthreport.uploadEnabled", false);' \
	'user_pref("app.shield.optoutstudies.enabled", false);' \
	'user_pref("app.normandy.enabled", false);' \
	'user_pref("browser.safebrowsing.malware.enabled", false);' \
	'user_pref("browser.safebrowsing.phishing.enabled", false);' \
	'user_pref("browser.safebrowsing.downloads.remote.enabled", false);' \
	'user_pref("browser.tabs.crashReporting.sendReport", false);' \
	'user_pref("app.update.auto", false);' \
	'user_pref("extensions.pocket.enabled", false);' \
	'user_pref("browser.newtabpage.activity-stream.showSponsored", false);' \
	'user_pref("browser.aboutwelcome.enabled", false);' \
	'user_pref("startup.homepage_welcome_url", "");' \
	'user_pref("dom.push.enabled", false);'; do
	grep -qxF -- "$pref" "$profile/user.js" || fail "firefox wrapper: user.js lacks $pref"
done
ok "firefox wrapper: user.js has the required preferences"
grep -qF 'Unsafe Browser \2014  not anonymous' "$profile/chrome/userChrome.css" &&
	grep -qF '#b00000' "$profile/chrome/userChrome.css" || fail "firefox wrapper: userChrome.css lacks the label or the red"
ok "firefox wrapper: userChrome.css with the red theme and the label"

wrap "$UBF" --browser "$W/fakebin/browser" --start-page "$PAGE" --headless --screenshot /srv/x/shot.png \
	http://www.example.test/
want="--no-remote|--new-instance|--profile|$profile|--class|Unsafe Browser|--name|Unsafe Browser|--headless|--screenshot|/srv/x/shot.png|http://www.example.test/|"
[ "$RC" -eq 0 ] && [ "$(arg_list)" = "$want" ] || fail "firefox wrapper, test options: $(arg_list)"
ok "firefox wrapper: exec-line options (--headless --screenshot FILE) pass through, the URL last"

wrap "$UBF" --browser "$W/fakebin/browser" --start-page "$PAGE" --headless --screenshot /srv/x/shot.png
[ "$RC" -eq 0 ] && [ "$(tail -n 1 "$FAKE/browser-args")" = "file://$PAGE" ] || fail "firefox wrapper, no URL: $(arg_list)"
ok "firefox wrapper: without a URL the warning page comes last"

printf '7\n' >"$FAKE/browser-rc"
wrap "$UBF" --browser "$W/fakebin/browser" --start-page "$PAGE" https://portal.example/
[ "$RC" -eq 7 ] || fail "firefox wrapper: browser status not relayed ($RC)"
rm -f "$FAKE/browser-rc"
ok "firefox wrapper: the browser's status is its own (exec)"

for bad in "http://portal.example/a b" "http://" "http://portal.example/$(printf '\001')" "$long"; do
	wrap "$UBF" --browser "$W/fakebin/browser" --start-page "$PAGE" "$bad"
	[ "$RC" -eq 125 ] && [ ! -f "$FAKE/browser-args" ] || fail "firefox wrapper: bad URL accepted (status $RC)"
done
ok "firefox wrapper: bad URLs refused, browser not started"

wrap "$UBF" --browser "$W/nonexistent/firefox-esr" --start-page "$PAGE"
[ "$RC" -eq 127 ] && err_has "$W/nonexistent/firefox-esr: not found" || fail "firefox wrapper, no browser: status $RC"
ok "firefox wrapper: missing browser named, status 127"

env -i PATH=/usr/bin:/bin HOME="$W/home" FAKE="$FAKE" CLEARNET_BROWSER="$W/fakebin/browser" \
	"$UBF" --start-page "$PAGE" </dev/null >"$W/out" 2>"$W/err"
[ "$?" -eq 0 ] && [ -f "$FAKE/browser-args" ] || fail "firefox wrapper: CLEARNET_BROWSER not used"
ok "firefox wrapper: CLEARNET_BROWSER names the browser"

# ---------------------------------------------------------------------------------------
# The Chromium wrapper

wrap "$UBC" --browser "$W/fakebin/browser" --start-page "$PAGE" --headless --screenshot=/srv/x/shot.png \
	http://www.example.test/
[ "$RC" -eq 0 ] || fail "chromium wrapper: status $RC"
args=$(arg_list)
for want in "--user-data-dir=$W/home/.unsafe-browser/chromium|" "--no-first-run|" "--disable-background-networking|" \
	"--disable-component-update|" "--disable-breakpad|" "--no-proxy-server|" "--class=Unsafe Browser|" \
	"--headless|--screenshot=/srv/x/shot.png|http://www.example.test/|"; do
	case $args in
	*"$want"*) ;;
	*) fail "chromium wrapper: '$want' missing in $args" ;;
	esac
done
case $args in
*--no-sandbox*) fail "chromium wrapper: --no-sandbox" ;;
esac
[ "$(tail -n 1 "$FAKE/browser-args")" = http://www.example.test/ ] || fail "chromium wrapper: URL not last"
[ -f "$W/home/.unsafe-browser/chromium/First Run" ] && [ -f "$W/home/.unsafe-browser/theme/manifest.json" ] ||
	fail "chromium wrapper: profile incomplete"
grep -q '"mode": "off"' "$W/home/.unsafe-browser/chromium/Local State" || fail "chromium wrapper: DNS over HTTPS not off"
ok "chromium wrapper: fresh user data dir, background networking off, sandbox on, URL last"

wrap "$UBC" --browser "$W/nonexistent/chromium" --start-page "$PAGE"
[ "$RC" -eq 127 ] && err_has "$W/nonexistent/chromium: not found" || fail "chromium wrapper, no browser: status $RC"
ok "chromium wrapper: missing browser named, status 127"

echo "$n_ok passed, 0 failed"
