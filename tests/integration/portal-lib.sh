# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the captive-portal check tests (test-portal-check.sh). Source it after lib.sh
# and launch-lib.sh (root, private mount and PID namespaces, $T, $SH, the test users):
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/launch-lib.sh"
#   . "$(dirname "$0")/portal-lib.sh"
#
# What it adds to lib.sh's simulated internet (all in the inet namespace, documentation
# addresses of TEST-NET-3, gone with the test):
#   203.0.113.80:80  portal-server.py: the connectivity check server (and the portal page),
#                    answering as $PORTAL_MODE says (portal_mode), logging every request
#                    head to $PORTAL_LOG
#   203.0.113.81     an address with nothing listening (a server that is down: refused)
#   203.0.113.82     an address whose packets inet drops (no answer at all: timeout)
#   203.0.113.53     a dnsmasq of its own for the names below; $RESOLV names only it, so
#                    the clearnet namespace resolves with it (call before nsd_start)
#       check.example.test  -> 203.0.113.80     portal.example.test    -> 203.0.113.80
#       down.example.test   -> 203.0.113.81     blackhole.example.test -> 203.0.113.82
#       www.example.test    -> 192.0.2.80       nx.example.test: NXDOMAIN
#       any other name: REFUSED (no upstream server)
# and the check's own user, like the system user the install creates:
#   clearnet (4105, group 4105), unless the machine has one already (then that one).

PORTAL_ADDR=203.0.113.80
PORTAL_DOWN_ADDR=203.0.113.81
PORTAL_HOLE_ADDR=203.0.113.82
PORTAL_DNS_ADDR=203.0.113.53
CHECK_HOST=check.example.test
CHECK_PATH=/static/hotspot.txt
CHECK_URL=http://$CHECK_HOST$CHECK_PATH
PORTAL_MODE=$T/portal-mode.json
PORTAL_LOG=$T/logs/portal-requests.log
PORTAL_SERVER=$IT_DIR/portal-server.py

# The program under test: meson passes the built one (the ASan build's in the sanitizer
# run). It is copied where a launched command can see it ($T is under /tmp, which a
# launched command never sees): $PCB.
CLEARNET_PORTAL_CHECK=${CLEARNET_PORTAL_CHECK:-$IT_DIR/../../build/portal/clearnet-portal-check}
[ -x "$CLEARNET_PORTAL_CHECK" ] ||
	fail "clearnet-portal-check not found at $CLEARNET_PORTAL_CHECK (build it, or set CLEARNET_PORTAL_CHECK)"
PCB=$SH/bin/clearnet-portal-check
install -m 0755 "$CLEARNET_PORTAL_CHECK" "$PCB" || fail "cannot copy clearnet-portal-check to $PCB"

# ---------------------------------------------------------------------------------------
# The clearnet user

UC=clearnet
UC_ID=4105

portal_user_setup() {
	[ -f "$T/etc/passwd" ] || fail "portal_user_setup: call users_setup first"
	if getent passwd "$UC" >/dev/null; then
		UC_ID=$(id -u "$UC")
		info "the machine has a '$UC' user already (uid $UC_ID): the test uses it"
	else
		! getent passwd "$UC_ID" >/dev/null && ! getent group "$UC_ID" >/dev/null ||
			fail "uid or gid $UC_ID already exists on this machine: pick another"
		# /etc/passwd and /etc/group are bind mounts of these copies: appending shows.
		echo "$UC:x:$UC_ID:$UC_ID:clearnet portal check (test):$SH/home/$UC:/usr/sbin/nologin" >>"$T/etc/passwd" &&
			echo "$UC:x:$UC_ID:" >>"$T/etc/group" || fail "cannot add the $UC test user"
	fi
	mkdir -p "$SH/home/$UC" && chown "$UC:" "$SH/home/$UC" && chmod 0700 "$SH/home/$UC" ||
		fail "home of $UC"
	[ "$(id -u "$UC" 2>/dev/null)" = "$UC_ID" ] || fail "user $UC not visible"
	ok "the check's user $UC ($UC_ID) exists in this test's mount namespace"
}

# ---------------------------------------------------------------------------------------
# The server and its names

# portal_mode JSON: how the server answers from now on (written atomically)
portal_mode() {
	printf '%s\n' "$1" >"$PORTAL_MODE.new" && mv -f "$PORTAL_MODE.new" "$PORTAL_MODE" ||
		fail "cannot write $PORTAL_MODE"
}

# portal_requests: how many requests the server has logged
portal_requests() { wc -l <"$PORTAL_LOG"; }

# portal_last FIELD: a field (head, peer) of the last request the server logged
portal_last() {
	"$PYTHON" -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
sys.stdout.write(str(json.loads(lines[-1])[sys.argv[2]]) if lines else "")' "$PORTAL_LOG" "$1"
}

# portal_services_start: after topo_setup (and services_start, whose host listeners the
# loopback checks use), before nsd_start
portal_services_start() {
	local a
	for a in "$PORTAL_ADDR" "$PORTAL_DOWN_ADDR" "$PORTAL_HOLE_ADDR" "$PORTAL_DNS_ADDR"; do
		in_inet ip addr add "$a/32" dev lo || fail "inet: address $a"
	done
	printf 'table inet portalhole {\n\tchain pre {\n\t\ttype filter hook prerouting priority -310; policy accept;\n\t\tip daddr %s drop\n\t}\n}\n' \
		"$PORTAL_HOLE_ADDR" | in_inet nft -f - || fail "inet: the blackhole table"
	portal_mode '{"mode": "raw"}'
	: >"$PORTAL_LOG"
	bg portal-dns "$INET" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--bind-interfaces --listen-address="$PORTAL_DNS_ADDR" \
		--address="/$CHECK_HOST/$PORTAL_ADDR" --address="/portal.example.test/$PORTAL_ADDR" \
		--address="/down.example.test/$PORTAL_DOWN_ADDR" --address="/blackhole.example.test/$PORTAL_HOLE_ADDR" \
		--address=/www.example.test/192.0.2.80 --address=/nx.example.test/ \
		--user=root --group=root --pid-file="$T/portal-dnsmasq.pid" \
		--log-queries --log-facility="$T/logs/portal-dnsmasq.log"
	bg portal-srv "$INET" "$PYTHON" -u "$PORTAL_SERVER" --listen "$PORTAL_ADDR:80" \
		--mode-file "$PORTAL_MODE" --log "$PORTAL_LOG"
	wait_listen "$INET" udp "$PORTAL_DNS_ADDR" 53
	wait_listen "$INET" tcp "$PORTAL_ADDR" 80
	printf 'nameserver %s\n' "$PORTAL_DNS_ADDR" >"$RESOLV"
	expect_http "$HOST" "http://$PORTAL_ADDR$CHECK_PATH" OK "harness: the host fetches the check page from $PORTAL_ADDR"
	[ "$(portal_requests)" -eq 1 ] || fail "harness: the portal server did not log the request"
	: >"$PORTAL_LOG"
}

# time_sync_conf CONF CLOCK: append to CONF the time sync's policy: the check as the app
# portal-check (run as $UC, started by root only), [portal] on $CHECK_URL, and [time]
# (callers root, threshold 60 s) with the fake clock CLOCK (a file: the machine's clock is
# never touched)
time_sync_conf() {
	cat >>"$1" <<CONF

[app portal-check]
exec = $PCB
user = $UC
callers = root
args = none
home = tmpfs

[portal]
app = portal-check
url = $CHECK_URL
expect = OK
timeout = 5

[time]
callers = root
threshold = 60
clock_file = $2
CONF
}

# ---------------------------------------------------------------------------------------
# Running the check

# imf_date EPOCH: the IMF-fixdate of EPOCH
imf_date() { LC_ALL=C date -u -d "@$1" '+%a, %d %b %Y %H:%M:%S GMT'; }

# expect_check WANT_RC WANT_OUT DESC CMD...: CMD (a run of the check) exits with WANT_RC
# and prints exactly WANT_OUT (its lines joined by '|'); no sanitizer report, no crash.
# OUT, ERR, RC as run_capture; CHECK_SECS: how long it took.
CHECK_SECS=0
expect_check() {
	local want_rc=$1 want_out=$2 desc=$3 got t0=$SECONDS
	shift 3
	run_capture "$@"
	CHECK_SECS=$((SECONDS - t0))
	got=$(printf '%s' "$OUT" | tr '\n' '|')
	if printf '%s\n%s\n' "$OUT" "$ERR" | grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer'; then
		printf '%s\n' "$ERR" | head -n 40 | sed 's/^/#   /'
		fail "$desc: sanitizer report"
	fi
	[ "$RC" = "$want_rc" ] && [ "$got" = "$want_out" ] ||
		fail "$desc: status $RC, output '$got'; expected status $want_rc, output '$want_out' (stderr: $(head -c 400 <<<"$ERR"))"
	[ "${#want_out}" -le 120 ] || want_out="${want_out:0:100}...(${#want_out} characters)"
	ok "$desc: '$want_out', status $want_rc (${CHECK_SECS} s)"
}
