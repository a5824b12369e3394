#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# clearnet-portal-notify without root, without a daemon, a desktop or a browser: a fake
# clearnet-run plays the check's answer (and records how it was called), a fake
# notify-send records the notification and plays the user's choice, a fake unsafe-browser
# records the URL it was handed. Checks the URL handed over (and that nothing of it is
# run), "portal -" (no URL), no browser unless asked, the outcomes that need no
# notification, the stderr fallback without notify-send or without a notification service,
# a bounded wait, and answers the script does not understand.
#
# Usage: test-portal-notify.sh CLEARNET-PORTAL-NOTIFY
set -u

SCRIPT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
W=$(mktemp -d "${TMPDIR:-/tmp}/test-portal-notify.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/bin" "$W/bin-nonotify" "$W/fake" "$W/cwd"

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

# Only what the script may use: its documented dependencies and the fakes.
for tool in sh sed tr cut timeout cat sleep; do
	p=$(command -v "$tool") || fail "missing tool $tool"
	ln -s "$p" "$W/bin/$tool"
	ln -s "$p" "$W/bin-nonotify/$tool"
done

# The fakes. FAKE_OUT: what the check prints; FAKE_RC: its status; FAKE_CHOICE: what the
# user picks in the notification; FAKE_NRC: notify-send's status; FAKE_NSLEEP: how long the
# user takes.
cat >"$W/fake/clearnet-run" <<'EOF'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >"$W/run.args"
printf '%b' "$FAKE_OUT"
exit "$FAKE_RC"
EOF
cat >"$W/bin/notify-send" <<'EOF'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >"$W/notify.args"
[ "${FAKE_NSLEEP:-0}" = 0 ] || sleep "$FAKE_NSLEEP"
[ -z "$FAKE_CHOICE" ] || printf '%s\n' "$FAKE_CHOICE"
exit "${FAKE_NRC:-0}"
EOF
cat >"$W/fake/unsafe-browser" <<'EOF'
#!/bin/sh
{ echo "argc=$#"; for a in "$@"; do printf 'arg=%s\n' "$a"; done; } >"$W/browser.args"
exit 7
EOF
chmod 0755 "$W/fake/clearnet-run" "$W/bin/notify-send" "$W/fake/unsafe-browser"

# notify OUT RC CHOICE [VAR=VALUE...]: run the script (status in RC, stderr in $W/err)
notify() {
	local out=$1 rc=$2 choice=$3 path=$W/bin
	shift 3
	rm -f "$W/run.args" "$W/notify.args" "$W/browser.args" "$W/err"
	(cd "$W/cwd" && env -i PATH="$path" HOME="$W" W="$W" LANG=C \
		CLEARNET_RUN="$W/fake/clearnet-run" UNSAFE_BROWSER="$W/fake/unsafe-browser" \
		CLEARNET_SOCKET=/run/test/nsd.sock FAKE_OUT="$out" FAKE_RC="$rc" FAKE_CHOICE="$choice" \
		"$@" sh "$SCRIPT" </dev/null >"$W/out" 2>"$W/err")
	RC=$?
}
no_browser() { [ ! -e "$W/browser.args" ]; }
no_notification() { [ ! -e "$W/notify.args" ]; }
browser_got() { [ "$(cat "$W/browser.args")" = "$1" ]; }

# --- a portal, the user chooses to log in --------------------------------------------------
notify 'portal http://portal.example.test/login?x=1&y=2\n' 1 open
[ "$RC" = 7 ] || fail "portal + open: status $RC, expected the browser's (7)"
browser_got "$(printf 'argc=1\narg=http://portal.example.test/login?x=1&y=2')" ||
	fail "portal + open: the browser got $(cat "$W/browser.args" 2>/dev/null)"
ok "portal URL + 'Log in': unsafe-browser gets exactly the URL, and its status is ours"
[ "$(cat "$W/run.args")" = "$(printf -- '--socket\n/run/test/nsd.sock\n--app\nportal-check')" ] ||
	fail "clearnet-run was called with: $(tr '\n' ' ' <"$W/run.args")"
ok "the check is clearnet-run --socket \$CLEARNET_SOCKET --app portal-check"
grep -qxF 'This network requires you to log in' "$W/notify.args" || fail "notification summary: $(cat "$W/notify.args")"
grep -qxF -- '--action=open=Log in' "$W/notify.args" || fail "notification action: $(cat "$W/notify.args")"
grep -qxF -- '--urgency=critical' "$W/notify.args" || fail "notification urgency: $(cat "$W/notify.args")"
grep -qF 'portal.example.test' "$W/notify.args" && fail "the notification shows the portal's URL (text the portal chose)"
ok "the notification: 'This network requires you to log in', action open='Log in', critical"

notify 'portal https://portal.example.test/\ntime 1744712430\n' 1 open
browser_got "$(printf 'argc=1\narg=https://portal.example.test/')" || fail "two lines: $(cat "$W/browser.args")"
ok "a second line (the time) is ignored"

notify 'portal http://portal.example.test/$(touch${IFS}pwned)`touch${IFS}pwned2`;touch${IFS}x\n' 1 open
[ ! -e "$W/cwd/pwned" ] && [ ! -e "$W/cwd/pwned2" ] && [ ! -e "$W/cwd/x" ] || fail "text of the URL was run"
browser_got "argc=0" || fail "a URL with a backquote: $(cat "$W/browser.args")"
ok "a URL unsafe-browser would refuse (backquote) is not handed over, and nothing of it runs"

notify 'portal http://portal.example.test/$(id)\n' 1 open
browser_got "$(printf 'argc=1\narg=http://portal.example.test/$(id)')" || fail "\$(id): $(cat "$W/browser.args")"
[ "$(grep -c . "$W/browser.args")" = 2 ] || fail "\$(id) expanded"
ok "'\$(id)' in a URL is handed over as text"

# --- portal -: the browser without a URL ---------------------------------------------------
notify 'portal -\n' 1 open
browser_got "argc=0" || fail "portal - + open: the browser got $(cat "$W/browser.args" 2>/dev/null)"
ok "portal - + 'Log in': unsafe-browser without a URL"
for bad in 'portal javascript:alert(1)' 'portal http://a b/' 'portal ftp://x/' "portal http://$(head -c 2100 /dev/zero | tr '\0' a)"; do
	notify "$bad\n" 1 open
	browser_got "argc=0" || fail "'${bad:0:40}': the browser got $(cat "$W/browser.args" 2>/dev/null)"
done
ok "an invalid portal URL (not http, space, overlong) opens the browser without a URL"

# --- the user does not choose to log in --------------------------------------------------------
notify 'portal http://portal.example.test/\n' 1 ''
[ "$RC" = 0 ] && no_browser || fail "dismissed: status $RC, browser $(cat "$W/browser.args" 2>/dev/null)"
ok "dismissed: no browser, status 0"
notify 'portal http://portal.example.test/\n' 1 other
no_browser || fail "another answer opened the browser"
ok "an answer other than 'open': no browser"
notify 'portal http://portal.example.test/\n' 1 open CLEARNET_PORTAL_NOTIFY_WAIT=1 FAKE_NSLEEP=5
[ "$RC" = 0 ] && no_browser || fail "unanswered: status $RC"
grep -q 'no answer to the notification within 1 s' "$W/err" || fail "unanswered: stderr $(cat "$W/err")"
ok "a notification left unanswered: given up after CLEARNET_PORTAL_NOTIFY_WAIT, no browser"

# --- nothing to tell ---------------------------------------------------------------------------
for c in 'online|0' 'online\ntime 1744712430|0' 'offline|2' 'dns-failure|3' 'offline\ntime-invalid|4'; do
	notify "${c%|*}\n" "${c#*|}" open
	[ "$RC" = 0 ] && no_notification && no_browser || fail "'${c%|*}': status $RC, notified or browser"
done
ok "online, offline, dns-failure: no notification, no browser, status 0"

# --- no way to notify ----------------------------------------------------------------------------
notify 'portal http://portal.example.test/login\n' 1 open PATH="$W/bin-nonotify"
[ "$RC" = 0 ] && no_browser || fail "no notify-send: status $RC"
grep -qF 'This network requires you to log in' "$W/err" && grep -qF 'unsafe-browser http://portal.example.test/login' "$W/err" ||
	fail "no notify-send: stderr $(cat "$W/err")"
ok "without notify-send: the message and 'unsafe-browser URL' on stderr, no browser"
notify 'portal -\n' 1 open PATH="$W/bin-nonotify"
grep -qF 'Open it with: unsafe-browser' "$W/err" || fail "no notify-send, portal -: $(cat "$W/err")"
ok "without notify-send, portal -: 'unsafe-browser' on stderr"
notify 'portal http://portal.example.test/login\n' 1 '' FAKE_NRC=1
[ "$RC" = 0 ] && no_browser && grep -qF 'This network requires you to log in' "$W/err" ||
	fail "notify-send fails: status $RC, stderr $(cat "$W/err")"
ok "notify-send fails (no notification service): stderr, no browser"

# --- the check did not run, or said something else -----------------------------------------------
notify '' 125 open
[ "$RC" = 1 ] && no_notification && no_browser || fail "check failed: status $RC"
grep -q 'did not run' "$W/err" || fail "check failed: stderr $(cat "$W/err")"
notify 'online-ish\n' 0 open
[ "$RC" = 1 ] && no_notification && no_browser || fail "unknown answer: status $RC"
notify '\033]0;x\007portal http://x/\n' 1 open
[ "$RC" = 1 ] && no_browser || fail "escape sequence: status $RC"
grep -q $'\033' "$W/err" && fail "an escape sequence reached stderr"
ok "no answer, or one not understood: status 1, no notification, no browser, nothing raw on stderr"

echo "# $n_ok checks passed"
