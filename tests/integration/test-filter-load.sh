#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# clearnet-filter's loading, in a stand-in host namespace: --print is valid nftables
# (nft -c); a rejected connection is logged (NFLOG, with the prefix and uid) once, and a
# burst is rate-limited; a broken config or a missing user loads the drop-all table and
# the host stays closed; a reload is atomic (100 reloads under a connection loop: the
# denied path never gets through, the allowed one never fails); --teardown removes only
# its own table; --lockdown; the command line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/filter-lib.sh"

topo_setup
services_start
topo_lan
filter_users_setup
filter_ports_start
INET_LOG=$T/obs/inet.log

conf=$T/cfg/filter.conf
filter_conf "$conf"

# --- the command line -------------------------------------------------------------------
filter_run --help
[ "$FRC" -eq 0 ] && grep -q -- '--config' <<<"$FOUT" && grep -q -- '--teardown' <<<"$FOUT" || fail "--help: exit $FRC"
filter_run --version
[ "$FRC" -eq 0 ] && grep -qE '^clearnet-filter [0-9]' <<<"$FOUT" || fail "--version: exit $FRC: $FOUT"
filter_run --check --teardown
[ "$FRC" -eq 2 ] || fail "--check --teardown: exit $FRC, expected 2"
filter_run --config "$T/cfg/none.conf" --check
[ "$FRC" -eq 1 ] && [ "$FERR" = "$T/cfg/none.conf: No such file or directory" ] || fail "--check of a missing file: $FRC: $FERR"
ok "--help, --version, conflicting options (2), a missing file (1, one line)"

# --- --print is what nft accepts, and what --config loads ------------------------------
filter_run --config "$conf" --print
[ "$FRC" -eq 0 ] || fail "--print: exit $FRC: $FERR"
printf '%s\n' "$FOUT" >"$T/cfg/print.nft"
in_host nft -c -f "$T/cfg/print.nft" || fail "nft -c -f rejects the --print output"
[ -z "$(filter_table)" ] || fail "--print loaded something"
ok "--print output passes nft -c -f (in the stand-in host) and loads nothing"
filter_run --config "$conf" --check
[ "$FRC" -eq 0 ] && [ -z "$(filter_table)" ] || fail "--check: exit $FRC or it loaded a table"
ok "--check loads nothing"

# --- the log: one record per rejected connection, rate-limited in a burst --------------
bg nflog "$HOST" "$PYI" -u "$FILTERNET" nflog 7 "$T/logs/nflog.log"
wait_until 100 grep -q listening "$T/logs/nflog.out" || fail "NFLOG listener: $(cat "$T/logs/nflog.out")"
filter_load "$conf"
expect_refused clother tcp 198.51.100.7 8080 "log test: one rejected connection" "$INET_LOG"
rec() { grep -c "^prefix=clearnet-filter: dropped:  uid=$1 proto=$2 dst=$3\$" "$T/logs/nflog.log"; }
rec_seen() { [ "$(rec "$@")" -ge 1 ]; }
wait_until 30 rec_seen 4205 6 198.51.100.7 || fail "no log record for the rejected connection: $(cat "$T/logs/nflog.log")"
sleep 0.5
[ "$(rec 4205 6 198.51.100.7)" = 1 ] || fail "one rejected connection gave $(rec 4205 6 198.51.100.7) log records: $(cat "$T/logs/nflog.log")"
ok "a rejected connection is logged once, with the prefix 'clearnet-filter: dropped: ' and the uid"
expect_allow cldesk tcp 127.0.0.1 8888 "log test: an allowed connection" "$PORTS_LOG"
sleep 0.3
[ "$(grep -c 'uid=4203 ' "$T/logs/nflog.log")" = 0 ] || fail "an allowed connection was logged: $(cat "$T/logs/nflog.log")"
ok "an allowed connection is not logged"
: >"$T/logs/nflog.log"
out=$(as_host clother "$PYI" "$FILTERNET" burst tcp 198.51.100.7 8080 300)
refused=$(sed -n 's/.*refused=\([0-9]*\).*/\1/p' <<<"$out")
elapsed=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' <<<"$out")
[ "$refused" = 300 ] || fail "burst: $out"
sleep 0.5
n=$(rec 4205 6 198.51.100.7)
# at most the burst (10) plus the rate (5/s) over the time it took, plus one for rounding
max=$(awk -v e="$elapsed" 'BEGIN { printf "%d", 10 + 5 * (e + 1) + 1 }')
[ "$n" -ge 1 ] && [ "$n" -le "$max" ] || fail "a burst of 300 rejected connections in ${elapsed}s gave $n log records (expected 1..$max)"
ok "a burst of 300 rejected connections in ${elapsed}s gave $n log records (rate-limited: at most $max)"
bg_stop nflog

# --- a broken config: the drop-all table, the host closed, loopback still works --------
broken=$T/cfg/broken.conf
cp "$conf" "$broken"
sed -i 's/^trans_port = 9040$/trans_port = 9040\ntrans_prot = 9041/' "$broken"
line=$(grep -n '^trans_prot' "$broken" | cut -d: -f1)
filter_run --config "$broken" --check
[ "$FRC" -eq 1 ] && [ "$FERR" = "$broken:$line: unknown key 'trans_prot' in [tor]" ] || fail "--check of a broken file: $FRC: $FERR"
is_lockdown && fail "--check loaded the lockdown table"
ok "--check: '$FERR', and nothing loaded"
expect_allow cldesk tcp 127.0.0.1 8888 "before the broken load: the policy allows the desktop user locally" "$PORTS_LOG"
filter_run --config "$broken"
[ "$FRC" -eq 1 ] || fail "loading a broken config: exit $FRC"
grep -q "^clearnet-filter: $broken:$line: unknown key 'trans_prot' in \[tor\]\$" <<<"$FERR" &&
	grep -q 'lockdown table' <<<"$FERR" || fail "loading a broken config: no file:line or no lockdown message: $FERR"
is_lockdown || fail "after a broken config the lockdown table is not loaded: $(filter_table)"
ok "a broken config: exit 1, 'file:line: reason', the lockdown table loaded"
obs=$(observed)
for u in cltor clclear root; do
	got=$(as_host "$u" "$PYI" "$FILTERNET" tcp 198.51.100.7 8080 --timeout 1 | tail -n 1)
	[ "$got" != ok ] || fail "lockdown: $u reaches the internet"
done
got=$(try cltor udp 198.51.100.7 53)
[ "$got" != ok ] || fail "lockdown: the tor user's DNS gets out"
[ "$(try cldesk tcp "$LAN_ADDR" 80)" != ok ] || fail "lockdown: the LAN is reachable"
sleep 0.2
[ "$obs" = "$(observed)" ] || fail "lockdown: traffic got out: $(observed_diff "$obs" "$(observed)")"
ok "lockdown: no user reaches the internet or the LAN, nothing arrived anywhere"
[ "$(try clother tcp 127.0.0.1 8888)" = ok ] || fail "lockdown: loopback does not work"
ok "lockdown: loopback still works (any user)"

# a missing, non-optional user: the same
filter_load "$conf"
sed 's/^user = clclear$/user = clnosuch/' "$conf" >"$broken"
line=$(grep -n '^user = clnosuch' "$broken" | cut -d: -f1)
filter_run --config "$broken"
[ "$FRC" -eq 1 ] && grep -q "$broken:$line: user 'clnosuch' does not exist" <<<"$FERR" ||
	fail "a missing user: exit $FRC: $FERR"
is_lockdown || fail "a missing user: no lockdown table"
ok "a missing user that is not optional: 'file:line: user ... does not exist', lockdown"
# an unreadable clearnet config: the same
sed "s#^clearnet_config = .*#clearnet_config = $T/cfg/no-clearnet.conf#" "$conf" >"$broken"
filter_load "$conf"
filter_run --config "$broken"
[ "$FRC" -eq 1 ] && grep -q "$T/cfg/no-clearnet.conf: No such file or directory" <<<"$FERR" && is_lockdown ||
	fail "a missing clearnet config: exit $FRC: $FERR"
ok "a missing clearnet config: one line, lockdown"

# --- the good config again replaces the lockdown ---------------------------------------
filter_load "$conf"
is_lockdown && fail "the good config did not replace the lockdown table"
expect_allow cltor tcp 198.51.100.7 8080 "after the lockdown, the good policy: the tor user"
ok "a good load replaces the lockdown table"

# --- reload is atomic -------------------------------------------------------------------
n_inet=$(lines "$INET_LOG")
bg loop "$HOST" setpriv --reuid=cldesk --regid=cldesk --init-groups -- "$PYI" -u "$FILTERNET" loop \
	tcp 198.51.100.7 8080 tcp 127.0.0.1 17600 udp 127.0.0.1 53
wait_until 100 grep -q looping "$T/logs/loop.out" || fail "the connection loop did not start"
sleep 0.3
for i in $(seq 100); do
	filter_run --config "$conf"
	[ "$FRC" -eq 0 ] || fail "reload $i: exit $FRC: $FERR"
done
kill -TERM "${BG_PID[loop]}"
wait_until 100 grep -q '^udp:' "$T/logs/loop.out" || fail "the connection loop did not report"
grep ':' "$T/logs/loop.out" >"$T/logs/loop.txt"
cat "$T/logs/loop.txt" | sed 's/^/# /'
denied=$(grep '^tcp:198.51.100.7:8080 ' "$T/logs/loop.txt")
allowed=$(grep '^tcp:127.0.0.1:17600 ' "$T/logs/loop.txt")
dns=$(grep '^udp:127.0.0.1:53 ' "$T/logs/loop.txt")
grep -q ' ok=0 ' <<<"$denied" || fail "during the reloads the denied path got through: $denied"
[ "$(lines "$INET_LOG")" = "$n_inet" ] || fail "during the reloads the inet server saw a connection"
grep -q ' timeout=0 other=0' <<<"$denied" || fail "during the reloads the denied path was not always refused at once: $denied"
grep -q ' refused=0 timeout=0 other=0' <<<"$allowed" && ! grep -q ' ok=0 ' <<<"$allowed" ||
	fail "during the reloads the allowed path failed: $allowed"
grep -q ' refused=0 timeout=0 other=0' <<<"$dns" && ! grep -q ' ok=0 ' <<<"$dns" ||
	fail "during the reloads DNS through the redirect failed: $dns"
ok "100 reloads under a connection loop: the denied path never got through, the allowed ones never failed"

# --- teardown: only our table -----------------------------------------------------------
in_host nft add table inet other_table || fail "cannot add a neighbour table"
filter_run --teardown
[ "$FRC" -eq 0 ] || fail "--teardown: exit $FRC: $FERR"
[ -z "$(filter_table)" ] || fail "--teardown left table inet clearnet_filter"
in_host nft list table inet hostfw >/dev/null && in_host nft list table inet other_table >/dev/null ||
	fail "--teardown removed another table"
filter_run --teardown
[ "$FRC" -eq 0 ] || fail "a second --teardown: exit $FRC: $FERR"
ok "--teardown removes table inet clearnet_filter only (twice is fine)"
[ "$(try cldesk tcp 198.51.100.7 8080)" = ok ] || fail "after --teardown the host is not open again (harness)"
filter_run --lockdown
[ "$FRC" -eq 0 ] && is_lockdown || fail "--lockdown: exit $FRC: $FERR"
ok "--lockdown loads the drop-all-but-loopback table"

finish
