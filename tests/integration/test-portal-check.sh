#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# clearnet-portal-check against a simulated internet that serves the check URL by name
# (check.example.test, see portal-lib.sh): the expected body is "online" with the time of
# its Date:; a redirect is "portal" with the Location made absolute; another body is
# "portal" with the check URL; a name that does not resolve is "dns-failure"; a server
# that is down or silent is "offline" (bounded by --timeout); a Date: in another format,
# absent, repeated or out of range is "time-invalid" (4). The request the server sees is
# NetworkManager's, byte for byte (method, path, headers, no User-Agent). Run as the app
# [app portal-check], the check runs as the clearnet user in the clearnet namespace and
# does not reach the host's loopback or addresses. A malicious server (huge headers,
# endless body, slow-loris, redirect loops, overlong or non-http Locations, non-UTF-8,
# NUL bytes) gets a bounded, clear outcome and never a crash; a few of those run again
# outside nsd's sandbox so that LeakSanitizer checks them too (ASan build).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/portal-lib.sh"

topo_setup
services_start
users_setup
portal_user_setup
portal_services_start

# The probe: records who and where the app runs, then is the check.
cat >"$SH/bin/portal-check-probe" <<EOF
#!/bin/sh
{ id -u; readlink /proc/self/ns/net; } >"$SH/x/probe.out"
exec "$PCB" "\$@"
EOF
chmod 0755 "$SH/bin/portal-check-probe"

conf=$T/cfg/nsd.conf
write_conf "$conf"
cat >>"$conf" <<EOF

[run]
users = root $U1 $UC
groups =

[app portal-check]
exec = $PCB --url $CHECK_URL --time
user = $UC
callers = root $U1
args = none
home = tmpfs
sockets =

[app portal-check-probe]
exec = /bin/sh $SH/bin/portal-check-probe --url $CHECK_URL --time
user = $UC
callers = root $U1
args = none
sockets =

[app portal-check-lo]
exec = $PCB --url http://127.0.0.1:8080$CHECK_PATH --timeout 5
user = $UC
callers = root $U1
args = none
sockets =
EOF
nsd_start "$conf"
cd "$SH/x" || fail "cd $SH/x"

# app NAME: the policy's app, started by cltest1 (an allowed caller)
app() { crun_as "$U1" --app "$1"; }
# pc ARGS...: the check with ARGS, as the clearnet user, through nsd (clearnet namespace)
pc() { crun_as "$UC" -- "$PCB" "$@"; }
# direct ARGS...: the check as the clearnet user in the clearnet namespace, without nsd's
# sandbox (so LeakSanitizer can run in the ASan build); by address, the host's resolv.conf
# being the machine's
direct() { as_in "$(clear_nsf)" "$UC" "$PCB" "$@"; }
DIRECT_URL=http://$PORTAL_ADDR$CHECK_PATH

# raw MODE-JSON-FIELDS: the server answers a plain response with these fields
raw() { portal_mode "{\"mode\": \"raw\", $1}"; }

T_OK=1744712430                 # Tue, 15 Apr 2025 10:20:30 GMT
D_OK=$(imf_date "$T_OK")
[ "$D_OK" = "Tue, 15 Apr 2025 10:20:30 GMT" ] || fail "harness: imf_date gives '$D_OK'"

# --- online, and the time ----------------------------------------------------------------
raw "\"date\": \"$D_OK\", \"body\": \"OK\""
: >"$PORTAL_LOG"
expect_check 0 "online|time $T_OK" "the app, expected body 'OK' with Date: $D_OK" app portal-check
[ -z "$ERR" ] || fail "the check printed on stderr: $ERR"
[ "$(portal_requests)" -eq 1 ] || fail "the check made $(portal_requests) requests, not one"

# The request, byte for byte: NetworkManager's (nm-connectivity.c: libcurl with only
# "Connection: close" added; no User-Agent, no Accept-Encoding), IPv4, masqueraded.
want=$(printf 'GET %s HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\nConnection: close\r\n\r\n' "$CHECK_PATH" "$CHECK_HOST" | od -An -c)
got=$(portal_last head | od -An -c)
if [ "$want" != "$got" ]; then
	echo "# expected:"; echo "$want" | sed 's/^/#   /'
	echo "# got:"; echo "$got" | sed 's/^/#   /'
	fail "the request is not NetworkManager's"
fi
ok "the server saw NetworkManager's request exactly: GET $CHECK_PATH HTTP/1.1, Host, Accept: */*, Connection: close, nothing else"
portal_last head | grep -qi '^user-agent' && fail "a User-Agent was sent"
ok "no User-Agent header, like NetworkManager"
[ "$(portal_last peer)" = 192.0.2.1 ] || fail "the request came from $(portal_last peer), not the host's masqueraded uplink 192.0.2.1"
ok "the request came from 192.0.2.1 (the clearnet namespace, masqueraded by the host)"

raw "\"date\": \"$D_OK\", \"body\": \"OK\\n\""
expect_check 0 "online|time $T_OK" "a line end after the expected body" pc --url "$CHECK_URL" --time
raw "\"date\": \"$D_OK\", \"body\": \"OK \\r\\n\\t\", \"length\": false"
expect_check 0 "online" "whitespace after the expected body, no Content-Length, no --time" pc --url "$CHECK_URL"
raw "\"date\": \"Thu, 31 Dec 2099 23:59:59 GMT\", \"body\": \"OK\""
expect_check 0 "online|time 4102444799" "the last second of the accepted range" pc --url "$CHECK_URL" --time
raw "\"date\": \"Mon, 01 Jan 2024 00:00:00 GMT\", \"body\": \"OK\""
expect_check 0 "online|time 1704067200" "the first second of the accepted range" pc --url "$CHECK_URL" --time
raw "\"status\": 204, \"body\": \"\""
expect_check 0 "online" "--expect '' and 204 No Content (NetworkManager's empty response)" pc --url "$CHECK_URL" --expect ''
raw "\"body\": \"Success\""
expect_check 0 "online" "--expect Success" pc --url "$CHECK_URL" --expect Success

# Who and where: the clearnet user, in the clearnet namespace.
raw "\"date\": \"$D_OK\", \"body\": \"OK\""
rm -f "$SH/x/probe.out"
expect_check 0 "online|time $T_OK" "the app through the probe" app portal-check-probe
ns_ino=$(stat -L -c %i "$(clear_nsf)")
[ "$(sed -n 1p "$SH/x/probe.out")" = "$UC_ID" ] || fail "the app ran as uid '$(sed -n 1p "$SH/x/probe.out")', not $UC ($UC_ID)"
[ "$(sed -n 2p "$SH/x/probe.out")" = "net:[$ns_ino]" ] ||
	fail "the app ran in network namespace '$(sed -n 2p "$SH/x/probe.out")', not clearnet's (net:[$ns_ino])"
ok "the app runs as $UC ($UC_ID) in the clearnet namespace (net:[$ns_ino])"

# --- portals --------------------------------------------------------------------------------
raw '"status": 302, "reason": "Found", "date": null, "headers": [["Location", "http://portal.example.test/login?from=check&x=1"]], "body": "<a href=...>moved</a>"'
: >"$PORTAL_LOG"
expect_check 4 "portal http://portal.example.test/login?from=check&x=1|time-invalid" \
	"a 302 without Date: (--time)" pc --url "$CHECK_URL" --time
expect_check 1 "portal http://portal.example.test/login?from=check&x=1" "a 302 to the portal page" \
	pc --url "$CHECK_URL"
raw "\"status\": 302, \"date\": \"$D_OK\", \"headers\": [[\"Location\", \"http://portal.example.test/login\"]], \"body\": \"\""
expect_check 1 "portal http://portal.example.test/login|time $T_OK" "the app: a 302 with a Date:" app portal-check
raw '"status": 307, "headers": [["Location", "/login?from=check"]], "body": ""'
expect_check 1 "portal http://$CHECK_HOST/login?from=check" "a relative Location, made absolute" pc --url "$CHECK_URL"
raw '"status": 301, "headers": [["Location", "//portal.example.test:8080/a/../b"]], "body": ""'
expect_check 1 "portal http://portal.example.test:8080/b" "a scheme-relative Location" pc --url "$CHECK_URL"
raw '"status": 302, "headers": [["location", "HTTPS://portal.example.test/"]], "body": ""'
expect_check 1 "portal https://portal.example.test/" "a lower-case location: header, an upper-case scheme" pc --url "$CHECK_URL"
raw "\"status\": 302, \"headers\": [[\"Location\", \"$CHECK_URL\"]], \"body\": \"\""
n0=$(portal_requests)
expect_check 1 "portal $CHECK_URL" "a redirect loop (to the check URL itself), not followed" pc --url "$CHECK_URL"
[ $(($(portal_requests) - n0)) -eq 1 ] || fail "the redirect loop was followed: $(($(portal_requests) - n0)) requests"
ok "one request only: no redirect is followed"
raw '"status": 302, "body": ""'
expect_check 1 "portal $CHECK_URL" "a redirect without Location" pc --url "$CHECK_URL"
raw '"body": "<html>Welcome to the Hotel Wi-Fi, please log in</html>"'
expect_check 1 "portal $CHECK_URL" "another body" pc --url "$CHECK_URL"
raw "\"date\": \"$D_OK\", \"body\": \"NOK\""
expect_check 1 "portal $CHECK_URL|time $T_OK" "the app: another body, with the time" app portal-check
raw '"body": "O"'
expect_check 1 "portal $CHECK_URL" "a body shorter than the expected one" pc --url "$CHECK_URL"
raw '"body": "OKAY"'
expect_check 1 "portal $CHECK_URL" "the expected body followed by more text" pc --url "$CHECK_URL"
raw '"status": 500, "reason": "Internal Server Error", "body": "OK"'
expect_check 1 "portal $CHECK_URL" "the expected body with status 500" pc --url "$CHECK_URL"
raw '"status": 204, "body": ""'
expect_check 1 "portal $CHECK_URL" "204 where a body is expected" pc --url "$CHECK_URL"
raw '"status": 511, "reason": "Network Authentication Required", "body": "<html>log in</html>"'
expect_check 1 "portal $CHECK_URL" "511 Network Authentication Required" pc --url "$CHECK_URL"

# --- no DNS, no server -----------------------------------------------------------------------
raw '"body": "OK"'
expect_check 3 "dns-failure" "a name that does not exist (NXDOMAIN)" pc --url http://nx.example.test$CHECK_PATH
expect_check 3 "dns-failure" "a name the resolver will not answer (REFUSED)" pc --url http://unknown.example.test$CHECK_PATH
expect_check 4 "dns-failure|time-invalid" "no DNS answer, with --time" pc --url http://nx.example.test$CHECK_PATH --time
expect_check 2 "offline" "the server is down (nothing listens: refused)" pc --url http://down.example.test$CHECK_PATH
expect_check 4 "offline|time-invalid" "the server is down, with --time" pc --url http://down.example.test$CHECK_PATH --time
expect_check 2 "offline" "no answer at all (packets dropped), --timeout 3" pc --url http://blackhole.example.test$CHECK_PATH --timeout 3
[ "$CHECK_SECS" -le 10 ] || fail "--timeout 3 took $CHECK_SECS s"
expect_check 2 "offline" "https to a plain-HTTP server (TLS fails)" pc --url https://check.example.test:80$CHECK_PATH --timeout 5
portal_mode '{"mode": "close"}'
expect_check 2 "offline" "the connection closed without an answer" pc --url "$CHECK_URL"
portal_mode '{"mode": "garbage", "body": "SSH-2.0-OpenSSH_9.2\r\n"}'
expect_check 2 "offline" "an answer that is not HTTP" pc --url "$CHECK_URL"

# --- the host is out of reach ----------------------------------------------------------------
for a in 127.0.0.1 "${HOST_ADDR%/*}" 192.0.2.1; do
	expect_seen "the host's own service on $a answers in the host" in_host "${CURL_NO[@]}" "http://$a:8080/"
done
before=$(observed)
expect_check 2 "offline" "the app aimed at 127.0.0.1:8080 (the host's loopback service)" app portal-check-lo
for a in "${HOST_ADDR%/*}" 192.0.2.1; do
	expect_check 2 "offline" "the check aimed at the host's $a:8080" pc --url "http://$a:8080$CHECK_PATH" --timeout 3
done
sleep 0.2
after=$(observed)
[ "$before" = "$after" ] || fail "the check failed, but traffic reached a host service: $(observed_diff "$before" "$after")"
ok "no observer of the host saw anything from the check"

# --- Date: refused ----------------------------------------------------------------------------
for c in \
	"Tuesday, 15-Apr-25 10:20:30 GMT|RFC 850 format" \
	"Tue Apr 15 10:20:30 2025|asctime format" \
	"Tue, 15 Apr 2025 10:20:30 +0000|a numeric zone" \
	"tue, 15 apr 2025 10:20:30 gmt|lower case" \
	"Mon, 15 Apr 2025 10:20:30 GMT|a weekday that does not match" \
	"Tue, 15 Apr 2025 24:00:00 GMT|hour 24" \
	"Sun, 31 Dec 2023 23:59:59 GMT|just before 2024" \
	"Fri, 01 Jan 1999 00:00:00 GMT|far in the past" \
	"Fri, 01 Jan 2100 00:00:00 GMT|2100 (out of range)" \
	"|empty" \
	"Tue, 15 Apr 2025 10:20:30 GMT\\u00ff|a non-UTF-8 byte"; do
	d=${c%%|*} why=${c#*|}
	raw "\"date\": \"$d\", \"body\": \"OK\""
	expect_check 4 "online|time-invalid" "Date: refused: $why" pc --url "$CHECK_URL" --time
done
raw '"date": null, "body": "OK"'
expect_check 4 "online|time-invalid" "the app: no Date: at all" app portal-check
raw "\"date\": \"$D_OK\", \"headers\": [[\"Date\", \"$D_OK\"]], \"body\": \"OK\""
expect_check 4 "online|time-invalid" "Date: twice" pc --url "$CHECK_URL" --time
raw "\"date\": \"$D_OK\", \"headers\": [[\"X-Folded\", \"a\"]], \"body\": \"OK\""
expect_check 0 "online|time $T_OK" "harness: an extra header changes nothing" pc --url "$CHECK_URL" --time

# --- a malicious server --------------------------------------------------------------------------
portal_mode "{\"mode\": \"huge-headers\", \"size\": 1048576, \"date\": \"$D_OK\", \"body\": \"OK\"}"
expect_check 1 "portal $CHECK_URL|time $T_OK" "1 MiB of headers" pc --url "$CHECK_URL" --time
long=$(head -c 100000 /dev/zero | tr '\0' a)
raw "\"status\": 302, \"headers\": [[\"Location\", \"http://portal.example.test/$long\"]], \"body\": \"\""
expect_check 1 "portal -" "a 100 KB Location" pc --url "$CHECK_URL"
long=$(head -c 2022 /dev/zero | tr '\0' a)   # http://portal.example.test/ + 2022 = 2049
raw "\"status\": 302, \"headers\": [[\"Location\", \"http://portal.example.test/$long\"]], \"body\": \"\""
expect_check 1 "portal -" "a Location of 2049 characters" pc --url "$CHECK_URL"
long=${long%a}
raw "\"status\": 302, \"headers\": [[\"Location\", \"http://portal.example.test/$long\"]], \"body\": \"\""
expect_check 1 "portal http://portal.example.test/$long" "a Location of 2048 characters" pc --url "$CHECK_URL"
for c in \
	"javascript:alert(1)|javascript:" \
	"ftp://portal.example.test/login|ftp://" \
	"file:///etc/passwd|file://" \
	"data:text/html,<b>x</b>|data:" \
	"http://portal.example.test/\\u00ff\\u00fe|non-UTF-8 bytes" \
	"http://portal.example.test/a b|a space" \
	"http://portal.example.test/\\u001b[2J|an escape sequence" \
	"http://portal.example.test/\\\"onload=x|a quote" \
	"http://|no host" \
	"|empty"; do
	l=${c%%|*} why=${c#*|}
	raw "\"status\": 302, \"headers\": [[\"Location\", \"$l\"]], \"body\": \"\""
	expect_check 1 "portal -" "an unusable Location: $why" pc --url "$CHECK_URL"
done
raw '"status": 302, "headers": [["Location", "http://portal.example.test/a"], ["Location", "http://evil.example.test/"]], "body": ""'
expect_check 1 "portal -" "two Locations" pc --url "$CHECK_URL"
raw '"body": "\u00ff\u00fe\u0000\u00c3(OK"'
expect_check 1 "portal $CHECK_URL" "a non-UTF-8 body with a NUL byte" pc --url "$CHECK_URL"
# libcurl refuses a NUL byte in a header (Weird server reply): no usable answer, like
# NetworkManager's "limited".
raw "\"date\": \"$D_OK\\u0000\", \"body\": \"OK\""
expect_check 4 "offline|time-invalid" "a NUL byte in Date:" pc --url "$CHECK_URL" --time
raw '"headers": [["X-Bin\u0000ary", "\u00ff\u0000\u00fe"]], "body": "OK"'
expect_check 2 "offline" "a NUL byte in another header" pc --url "$CHECK_URL"
raw '"status": 302, "headers": [["Location", "http://portal.example.test/\u0000evil"]], "body": ""'
expect_check 2 "offline" "a NUL byte in Location:" pc --url "$CHECK_URL"
raw '"headers": [["X-A", "1\r\nHTTP/1.1 302 Found\r\nLocation: http://evil.example.test/"]], "body": "OK"'
expect_check 2 "offline" "a status line smuggled among the headers" pc --url "$CHECK_URL"
raw "\"status\": 100, \"reason\": \"Continue\", \"date\": null, \"length\": false, \"body\": \"HTTP/1.1 302 Found\\r\\nDate: $D_OK\\r\\nLocation: /p\\r\\n\\r\\n\""
expect_check 1 "portal http://$CHECK_HOST/p|time $T_OK" "100 Continue, then a 302: only the final response counts" pc --url "$CHECK_URL" --time
raw '"headers": [["X-Latin", "\u00ff\u00fe caf\u00e9"]], "body": "OK"'
expect_check 0 "online" "non-UTF-8 bytes in another header" pc --url "$CHECK_URL"
portal_mode '{"mode": "endless", "body": "", "fill": "\u00ff<html>"}'
expect_check 1 "portal $CHECK_URL" "an endless body" pc --url "$CHECK_URL"
portal_mode '{"mode": "endless", "body": "OK", "fill": "  \r\n"}'
expect_check 0 "online" "the expected body, then endless whitespace (read no further than needed)" pc --url "$CHECK_URL"
portal_mode '{"mode": "endless", "body": "OK", "fill": "A"}'
expect_check 1 "portal $CHECK_URL" "the expected body, then an endless body" pc --url "$CHECK_URL"
portal_mode '{"mode": "slowloris", "interval": 1}'
expect_check 2 "offline" "slow-loris headers (a byte a second), --timeout 3" pc --url "$CHECK_URL" --timeout 3
[ "$CHECK_SECS" -le 10 ] || fail "slow-loris with --timeout 3 took $CHECK_SECS s"
portal_mode "{\"mode\": \"slow-body\", \"interval\": 1, \"date\": \"$D_OK\", \"body\": \"OK\\n\"}"
expect_check 0 "online|time $T_OK" "a slow body (a byte a second) within the timeout" pc --url "$CHECK_URL" --time
portal_mode "{\"mode\": \"slow-body\", \"interval\": 1, \"date\": \"$D_OK\", \"body\": \"OK, not quite what you expected\"}"
expect_check 1 "portal $CHECK_URL|time $T_OK" "a slow other body: decided at its third byte" pc --url "$CHECK_URL" --time
[ "$CHECK_SECS" -le 8 ] || fail "a slow other body took $CHECK_SECS s"

# --- the same outside nsd's sandbox, where LeakSanitizer works (ASan build) -----------------------
raw "\"date\": \"$D_OK\", \"body\": \"OK\\n\""
expect_check 0 "online|time $T_OK" "direct: online" direct --url "$DIRECT_URL" --time --verbose
out=$(direct --url "$DIRECT_URL" | od -An -c | tr -s ' ')
[ "$out" = " o n l i n e \n" ] || fail "stdout is not exactly one line 'online': $out"
ok "direct: stdout is exactly 'online' and a newline"
portal_mode "{\"mode\": \"huge-headers\", \"size\": 1048576, \"date\": \"$D_OK\", \"body\": \"OK\"}"
expect_check 1 "portal $DIRECT_URL|time $T_OK" "direct: 1 MiB of headers" direct --url "$DIRECT_URL" --time --verbose
long=$(head -c 100000 /dev/zero | tr '\0' a)
raw "\"status\": 302, \"headers\": [[\"Location\", \"http://portal.example.test/$long\"]], \"body\": \"\""
expect_check 1 "portal -" "direct: a 100 KB Location" direct --url "$DIRECT_URL" --verbose
raw '"status": 302, "date": "Tue, 15 Apr 2025 10:20:30 GMT\u0000", "headers": [["Location", "http://portal.example.test/\u00ff"]], "body": ""'
expect_check 4 "offline|time-invalid" "direct: NUL in Date:" direct --url "$DIRECT_URL" --time --verbose
raw '"status": 302, "date": "Tue, 15 Apr 2025 10:20:30 GMT\u00ff", "headers": [["Location", "http://portal.example.test/\u00ff"]], "body": ""'
expect_check 4 "portal -|time-invalid" "direct: non-UTF-8 in Date: and Location:" direct --url "$DIRECT_URL" --time --verbose
raw '"status": 302, "headers": [["Location", "/login"]], "body": ""'
expect_check 1 "portal http://$PORTAL_ADDR/login" "direct: a relative Location" direct --url "$DIRECT_URL" --verbose
portal_mode '{"mode": "endless", "body": "OK", "fill": "A"}'
expect_check 1 "portal $DIRECT_URL" "direct: an endless body" direct --url "$DIRECT_URL" --verbose
portal_mode '{"mode": "garbage", "body": "\u0000\u00ff\r\n\r\n"}'
expect_check 2 "offline" "direct: garbage" direct --url "$DIRECT_URL" --verbose
expect_check 4 "offline|time-invalid" "direct: refused" direct --url "http://$PORTAL_DOWN_ADDR/" --time --verbose

# --- usage --------------------------------------------------------------------------------------
for args in "--url ftp://x/" "--url http:///x" "--timeout 0" "--timeout 61" "--timeout 1x" "--expect" "--bogus" "extra"; do
	# shellcheck disable=SC2086
	expect_rc 64 "usage error: $args" direct $args
	[ -z "$OUT" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] ||
		fail "usage error '$args': stdout '$OUT', stderr '$ERR'"
	ok "usage error '$args': status 64, one line on stderr"
done

finish
