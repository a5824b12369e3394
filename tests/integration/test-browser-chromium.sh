#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Unsafe Browser with Chromium instead of Firefox (exec = unsafe-browser-chromium, the
# rest of the policy as shipped), headless, through the whole chain:
#   - it loads a page of the simulated internet by name, and its screenshot shows that
#     page; without a URL, the warning page;
#   - a page on the host's 127.0.0.1 or veth address (10.200.1.17) does not load: it
#     tries (a counter in the clearnet namespace sees the SYN), reports the failed load,
#     writes no screenshot, and the host's server and every observer see nothing;
#   - Chromium's own sandbox works under clearnet-nsd's restrictions (never --no-sandbox):
#     its renderers run in a user namespace and PID namespaces of their own, under
#     seccomp, with no_new_privs; a second start meanwhile is refused;
#   - afterwards no process and no file of the app's user is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/browser-lib.sh"

CHROMIUM=${CLEARNET_CHROMIUM:-/usr/bin/chromium}
UB_CHROMIUM_WRAPPER=$(ub_shared_copy "$UB_BUILDDIR/launcher/unsafe-browser-chromium" 0755)
if [ ! -x "$CHROMIUM" ]; then
	[ -z "${CI:-}" ] || fail "missing under CI: $CHROMIUM (apt-get install chromium)"
	echo "SKIP: $IT_NAME needs $CHROMIUM (apt-get install chromium)"
	exit 77
fi
[ -x "$UB_CHROMIUM_WRAPPER" ] || fail "$UB_CHROMIUM_WRAPPER not found (build the project, or set CLEARNET_BUILDDIR)"
ok "browser: $("$CHROMIUM" --version 2>/dev/null | head -n 1) ($CHROMIUM)"

topo_setup
services_start
users_setup
# Its sandbox needs unprivileged user namespaces (never the setuid helper: no_new_privs is
# set). A machine that has none for an ordinary user (sysctl, a chroot, a container's
# seccomp profile) cannot run it, inside the clearnet namespace or out.
if ! (cd / && as "$UA" unshare --user true) >/dev/null 2>&1; then
	echo "SKIP: $IT_NAME: $UA cannot make a user namespace on this machine, even outside the sandbox: Chromium's sandbox needs one"
	exit 77
fi
ok "harness: $UA can make a user namespace outside the sandbox (what Chromium's sandbox needs)"

GREEN=11aa33
printf '<!DOCTYPE html>\n<html><head><title>%s</title><style>html, body { margin: 0; height: 100%%; background: rgb(17, 170, 51); }</style></head><body></body></html>\n' \
	"$WWW_MARKER" >"$T/www/ub-green.html"
# A page that never finishes loading: an image from a server in the internet that accepts
# the connection and never answers. It keeps headless Chromium running.
printf '<!DOCTYPE html>\n<html><body style="background: rgb(17, 170, 51)"><img src="http://198.51.100.7:8099/never.png" width="1" height="1" alt=""></body></html>\n' \
	>"$T/www/ub-slow.html"
bg tarpit "$INET" "$PYTHON" -u -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.7", 8099))
s.listen(16)
held = []
while True:
    c, peer = s.accept()
    print("tarpit", peer, flush=True)
    held.append(c)
'
wait_listen "$INET" tcp 198.51.100.7 8099
mkdir -p "$T/leak" && printf '<html><body style="background: #ff00ff">%s</body></html>\n' "$HOST_MARKER" >"$T/leak/leak.html"
bg host-www "$HOST" "$PYTHON" -u -m http.server --bind 0.0.0.0 --directory "$T/leak" 8081
wait_listen "$HOST" tcp 0.0.0.0 8081
HOST_WWW_LOG=$T/logs/host-www.out
WWW_LOG=$T/logs/www.out
DNS_LOG=$T/logs/dnsmasq.log

SHOT=$SH/x/shot.png
conf=$T/cfg/nsd.conf
run_conf "$conf"
ub_policy "$conf" "$UB_CHROMIUM_WRAPPER --start-page $UB_WARNING --headless --window-size=1024,768 --screenshot=$SHOT" "$UA" "$UA"
nsd_start "$conf"
expect_http "$HOST" http://127.0.0.1:8081/leak.html "$HOST_MARKER" "harness: the host's page is served on 127.0.0.1:8081"
expect_http "$HOST" http://10.200.1.17:8081/leak.html "$HOST_MARKER" "harness: the host's page is served on 10.200.1.17:8081"

in_clear nft -f - <<'EOF' || fail "watch table in the clearnet namespace"
table inet ubwatch {
	chain out {
		type filter hook output priority -300; policy accept;
		ip daddr 127.0.0.1 tcp dport 8081 counter comment "loopback"
		ip daddr 10.200.1.17 tcp dport 8081 counter comment "veth"
	}
}
EOF
attempts() {
	in_clear nft list chain inet ubwatch out | grep "comment \"$1\"" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

uid_scan_start "$UA_ID"
HOME_BEFORE=$(ls -A "$SH/home/$UA")
after_run() {
	expect_no_procs "$UA_ID" "$1"
	expect_no_new_files --quick "$UA_ID" "$1" "$SHOT"
	[ "$(ls -A "$SH/home/$UA")" = "$HOME_BEFORE" ] || fail "$1: $UA's real home changed: $(ls -A "$SH/home/$UA" | tr '\n' ' ')"
	rm -f "$SHOT"
}

# --- a page by name; the warning page ---------------------------------------------------

www0=$(wc -l <"$WWW_LOG") dns0=$(wc -l <"$DNS_LOG") obs0=$(observed)
ub_app green "$UA" -- http://www.example.test/ub-green.html
ub_wait_exit 90 "Chromium on http://www.example.test/ub-green.html"
[ "$UB_RC" -eq 0 ] && [ -s "$SHOT" ] || fail "Chromium on http://www.example.test/ub-green.html: status $UB_RC, no screenshot: $(ub_output_tail)"
ok "Chromium loaded http://www.example.test/ub-green.html: status 0 after $(ub_elapsed) s"
expect_shot_color "$SHOT" "$GREEN" 0.98 "Chromium's screenshot shows the page of www.example.test"
tail -n +"$((www0 + 1))" "$WWW_LOG" | grep -q '^192\.0\.2\.1 .*"GET /ub-green\.html HTTP' || fail "the www server did not log Chromium's request"
tail -n +"$((dns0 + 1))" "$DNS_LOG" | grep -q 'query\[A\] www\.example\.test from 192\.0\.2\.1$' ||
	fail "dnsmasq was not asked for www.example.test (Chromium's own DNS client or DNS over HTTPS?)"
ok "www.example.test was resolved by the clearnet DNS server and served to the host's uplink address"
info "names Chromium asked the DNS server for: $(tail -n +"$((dns0 + 1))" "$DNS_LOG" | sed -n 's/.*query\[[A-Z]*\] \([^ ]*\) from .*/\1/p' | sort -u | tr '\n' ' ')"
[ "$(observed)" = "$obs0" ] || fail "an observer saw traffic: $(observed_diff "$obs0" "$(observed)")"
after_run "after Chromium's first run"

ub_app warning "$UA" --
ub_wait_exit 90 "Chromium without a URL"
[ "$UB_RC" -eq 0 ] && [ -s "$SHOT" ] || fail "Chromium without a URL: status $UB_RC, no screenshot: $(ub_output_tail)"
has_banner "$SHOT" 1000 && [ "$BAND_START" -eq 0 ] ||
	fail "Chromium without a URL: not the warning page: $(band_text); dominant: $(shot_dominant "$SHOT")"
ok "Chromium without a URL shows the warning page: $(band_text)"
after_run "after Chromium's run without a URL"

# --- the host's own addresses -----------------------------------------------------------

for what in "loopback 127.0.0.1" "veth 10.200.1.17"; do
	counter=${what% *} addr=${what#* }
	n0=$(attempts "$counter") host0=$(wc -l <"$HOST_WWW_LOG") obs0=$(observed)
	ub_app "blocked-$counter" "$UA" -- "http://$addr:8081/leak.html"
	ub_wait_exit 90 "Chromium on the host's $addr"
	[ "$(attempts "$counter")" -gt "$n0" ] || fail "Chromium on the host's $addr: it did not even try to connect: $(ub_output_tail)"
	[ ! -e "$SHOT" ] || fail "Chromium on the host's $addr: the page loaded ($(shot_dominant "$SHOT"))"
	grep -q 'Page load failed: net::ERR_' "$UB_OUT" || fail "Chromium on the host's $addr: no failed load reported: $(ub_output_tail)"
	[ "$(wc -l <"$HOST_WWW_LOG")" = "$host0" ] || fail "Chromium on the host's $addr: the host's web server got a request"
	[ "$(observed)" = "$obs0" ] || fail "Chromium on the host's $addr: an observer saw traffic: $(observed_diff "$obs0" "$(observed)")"
	ok "Chromium on the host's $addr: tried, failed ($(grep -o 'net::ERR_[A-Z_]*' "$UB_OUT" | head -n 1)), no screenshot, nothing seen by the host's server or any observer"
	after_run "after Chromium on the host's $addr"
done

# --- its sandbox, while it runs; a second start -----------------------------------------

ub_app slow "$UA" -- http://www.example.test/ub-slow.html
wait_until 600 grep -q tarpit "$T/logs/tarpit.out" || fail "Chromium did not get to the page's image within 60 s: $(ub_output_tail)"
# the process tree, each: pid type userns pidns seccomp nnp cmdline-has-no-sandbox
# (Chromium rewrites the command lines of its children: one string, words apart by spaces)
procs() {
	local p cmd
	for p in $(pgrep -u "$UA_ID" -f "$CHROMIUM|/usr/lib/chromium/"); do
		cmd=" $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) "
		printf '%s %s %s %s %s %s %s\n' "$p" \
			"$(grep -oE -- ' --type=[a-z-]+' <<<"$cmd" | head -n 1 | cut -d= -f2 | grep . || echo browser)" \
			"$(readlink "/proc/$p/ns/user")" "$(readlink "/proc/$p/ns/pid")" \
			"$(awk '/^Seccomp:/ { print $2 }' "/proc/$p/status")" "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$p/status")" \
			"$(grep -c -- ' --no-sandbox ' <<<"$cmd")"
	done
}
wait_until 100 sh -c "pgrep -u '$UA_ID' -f -- '--type=renderer' >/dev/null" || fail "no Chromium renderer is running"
P=$(procs)
info "Chromium's processes (pid type userns pidns seccomp no_new_privs no-sandbox):"
sed 's/^/#   /' <<<"$P"
browser_userns=$(awk '$2 == "browser" { print $3; exit }' <<<"$P")
[ -n "$browser_userns" ] || fail "no Chromium browser process"
! awk '$7 != 0' <<<"$P" | grep -q . || fail "a Chromium process runs with --no-sandbox"
renderers=$(awk '$2 == "renderer"' <<<"$P")
[ -n "$renderers" ] || fail "no renderer process"
! awk -v u="$browser_userns" '$3 == u' <<<"$renderers" | grep -q . || fail "a renderer shares the browser's user namespace: no namespace sandbox"
[ "$(awk '{ print $4 }' <<<"$renderers" | sort | uniq -d)" = "" ] &&
	! awk -v b="$(awk '$2 == "browser" { print $4; exit }' <<<"$P")" '$4 == b' <<<"$renderers" | grep -q . ||
	fail "renderers share a PID namespace with each other or with the browser"
! awk '$5 != 2 || $6 != 1' <<<"$P" | grep -q . || fail "a Chromium process runs without seccomp or no_new_privs"
ok "Chromium's sandbox works inside: $(wc -l <<<"$renderers") renderer(s) in a user namespace apart from the browser's, each in a PID namespace of its own, every process under seccomp with no_new_privs, none with --no-sandbox"
expect_rc 125 "a second start while Chromium runs" \
	as "$UA" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" --app unsafe-browser http://www.example.test/ub-second.html
grep -q 'already running' <<<"$ERR" || fail "a second start while Chromium runs: '$ERR'"
ok "a second start while Chromium runs: status 125, '$ERR'"
ub_stop "Chromium on a page that never finishes loading"
case $UB_RC in
0 | 143) ok "SIGTERM to clearnet-run stopped Chromium: status $UB_RC" ;;
*) fail "clearnet-run exited with status $UB_RC after SIGTERM: $(ub_output_tail)" ;;
esac
! grep -q 'ub-second' "$WWW_LOG" || fail "the second start's URL was opened"
after_run "after Chromium was stopped"
expect_no_new_files "$UA_ID" "after all runs"

finish
