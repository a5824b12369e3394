#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# clearnet-run, the basics: a launched command reaches the simulated internet by name and
# not the host's own services (loopback, veth, uplink; no observer sees anything); an
# unauthorized uid is refused with its one-line message and status 125, and nothing
# runs; the command's exit status is relayed (0, 3, 255; 126 not executable, 127 not
# found; 128+9, 128+15 when killed); stdin, stdout and stderr are the caller's; a missing
# daemon is status 125 with its message. The launcher is an ordinary program.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

topo_setup
services_start
users_setup

[ ! -u "$CLEARNET_RUN" ] && [ ! -g "$CLEARNET_RUN" ] || fail "clearnet-run is setuid or setgid"
if command -v getcap >/dev/null; then
	[ -z "$(getcap "$CLEARNET_RUN")" ] || fail "clearnet-run has file capabilities: $(getcap "$CLEARNET_RUN")"
fi
ok "clearnet-run is an ordinary program (no setuid, setgid or file capabilities)"

conf=$T/cfg/nsd.conf
run_conf "$conf"
nsd_start "$conf"
cd "$SH/x" || fail "cd $SH/x"

# --- the network ------------------------------------------------------------------------
for who in root "$U1"; do
	expect_rc 0 "curl http://www.example.test/ launched by $who" \
		as "$who" "$CLEARNET_RUN" --socket "$SOCKET" -- "${CURL_OK[@]}" http://www.example.test/
	grep -qF "$WWW_MARKER" <<<"$OUT" || fail "curl http://www.example.test/ launched by $who: not the www page: $OUT"
	ok "a command launched by $who fetches http://www.example.test/ by name"
done

# expect_no_launched_tcp URL DESC: curl URL launched by cltest1 fails, no observer sees it
expect_no_launched_tcp() {
	local url=$1 desc=$2 before after
	before=$(observed)
	run_capture crun_as "$U1" -- "${CURL_NO[@]}" "$url"
	[ "$RC" -ne 0 ] || fail "$desc: curl $url got through: $(head -c 300 <<<"$OUT")"
	[ "$RC" -ne 125 ] || fail "$desc: the launch itself failed: $ERR"
	sleep 0.2
	after=$(observed)
	[ "$before" = "$after" ] || fail "$desc: curl failed, but traffic got through: $(observed_diff "$before" "$after")"
	ok "$desc ($(tail -n 1 <<<"$ERR" | sed 's/^curl: ([0-9]*) //'))"
}
for a in 127.0.0.1 "${HOST_ADDR%/*}" 192.0.2.1; do
	expect_seen "the host's own service on $a answers in the host" in_host "${CURL_NO[@]}" "http://$a:8080/"
	expect_no_launched_tcp "http://$a:8080/" "a launched command cannot reach the host's service on $a"
done

# --- who may run commands -----------------------------------------------------------------
# ($U2 may use nothing here: refused as it connects, before it holds a slot)
expect_refusal 125 "clearnet-run: not allowed: uid $U2_ID may use nothing clearnet-nsd offers" \
	"$U2 (not in [run] users, no app's caller) is refused" crun_as "$U2" -- touch "$SH/x/ran-for-$U2"
[ ! -e "$SH/x/ran-for-$U2" ] || fail "the refused command of $U2 ran anyway"
[ "$(nsd_log_count "refused a connection: not allowed: uid $U2_ID may use nothing")" -ge 1 ] ||
	fail "nsd did not log the refusal of $U2"
ok "the refused command did not run, and nsd logged the refusal"
expect_rc 0 "$U1 (in [run] users) runs a command" crun_as "$U1" -- id -u
[ "$OUT" = "$U1_ID" ] || fail "$U1's command ran as uid '$OUT'"
ok "$U1's command runs as $U1 ($OUT), in the caller's directory"
expect_rc 0 "the command's working directory is the caller's" crun_as "$U1" -- pwd
[ "$OUT" = "$SH/x" ] || fail "the command's working directory is '$OUT', expected $SH/x"
ok "the command starts in the caller's working directory ($OUT)"

# A command without a slash is looked up in the caller's PATH (which the launcher passes),
# as env(1) would, not in the daemon's.
mkdir -p "$SH/x/bin" && printf '#!/bin/sh\necho found-in-caller-path\n' >"$SH/x/bin/clearnet-it-hello" &&
	chmod 0755 "$SH/x/bin/clearnet-it-hello" || fail "helper command"
expect_rc 0 "a command in the caller's PATH" \
	as "$U1" env PATH="$SH/x/bin:/usr/bin:/bin" "$CLEARNET_RUN" --socket "$SOCKET" -- clearnet-it-hello
[ "$OUT" = found-in-caller-path ] || fail "a command in the caller's PATH: '$OUT'"
ok "a command is looked up in the caller's PATH"

# --- exit statuses ------------------------------------------------------------------------
printf '#!/bin/sh\necho should not run\n' >"$SH/x/not-executable" && chmod 0644 "$SH/x/not-executable"
for c in "0|exit 0" "3|exit 3" "255|exit 255" "137|kill -9 \$\$" "143|kill -TERM \$\$"; do
	want=${c%%|*} script=${c#*|}
	expect_rc "$want" "sh -c '$script'" crun_as "$U1" -- sh -c "$script"
	[ -z "$ERR" ] || fail "sh -c '$script': clearnet-run printed '$ERR'"
	ok "sh -c '$script' gives status $want"
done
# 126 and 127: the launch failed, one line on stderr saying why
for c in "126|$SH/x/not-executable" "126|$SH/x" "127|$SH/x/no-such-file" "127|no-such-command-$$"; do
	want=${c%%|*} cmd=${c#*|}
	expect_rc "$want" "clearnet-run -- $cmd" crun_as "$U1" -- "$cmd"
	[ "$(wc -l <<<"$ERR")" -eq 1 ] && [[ $ERR == "clearnet-run: "*"$cmd"* ]] ||
		fail "clearnet-run -- $cmd: stderr is not one 'clearnet-run: ...' line naming it: '$ERR'"
	[ -z "$OUT" ] || fail "clearnet-run -- $cmd: printed '$OUT'"
	ok "clearnet-run -- $cmd gives status $want ('$ERR')"
done

# --- stdio ----------------------------------------------------------------------------------
out=$(printf 'hello\nworld\n' | crun_as "$U1" -- tr a-z A-Z) || fail "tr through clearnet-run: status $?"
[ "$out" = "$(printf 'HELLO\nWORLD')" ] || fail "stdin to stdout through clearnet-run: '$out'"
ok "the command reads the caller's stdin and writes to the caller's stdout"
head -c 1048576 /dev/urandom >"$T/blob"
want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
got=$(crun_as "$U1" -- sha256sum <"$T/blob" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "1 MiB through the command's stdin: sha256 '$got', expected '$want'"
ok "1 MiB piped into the command arrives intact"
crun_as "$U1" -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 5' >"$T/o" 2>"$T/e"
rc=$?
[ "$rc" = 5 ] && [ "$(cat "$T/o")" = to-stdout ] && [ "$(cat "$T/e")" = to-stderr ] ||
	fail "stdout/stderr separation: status $rc, stdout '$(cat "$T/o")', stderr '$(cat "$T/e")'"
ok "the command's stdout and stderr are the caller's, each its own"
# A closed stdio fd of the caller becomes /dev/null for the command (bounded: a stdin
# that never ends would be a bug too).
out=$(crun_as "$U1" -- sh -c 'timeout 10 cat; echo "status $?"' <&-) || fail "a command with the caller's stdin closed: status $?"
[ "$out" = "status 0" ] || fail "a command with the caller's stdin closed: cat: '$out', expected 'status 0' (end of file at once)"
ok "a caller with stdin closed gives the command an empty stdin"
err=$(crun_as "$U1" -- sh -c 'echo lost; echo "status $?" >&2' 2>&1 >&-) || fail "a command with the caller's stdout closed: status $?"
[ "$err" = "status 0" ] || fail "a command with the caller's stdout closed: echo: '$err', expected 'status 0' (like /dev/null)"
ok "a caller with stdout closed gives the command a stdout that takes anything"
# A directory (or an O_PATH fd) as stdio would be a way around the view: refused, with
# one line and 125. Positive control: the same command with a file as stdin runs.
echo probe >"$T/stdin-file"
chmod 644 "$T/stdin-file"
out=$(crun_as "$U1" -- cat <"$T/stdin-file" 2>&1) || fail "a file as stdin: status $?: $out"
[ "$out" = probe ] || fail "a file as stdin: '$out'"
out=$(crun_as "$U1" -- cat 2>&1 </) && fail "a directory as stdin was accepted: $out"
rc=$?
[ "$rc" = 125 ] && grep -q "cannot set up stdio: Is a directory" <<<"$out" ||
	fail "a directory as stdin: status $rc, '$out' (expected 125, 'cannot set up stdio: Is a directory')"
ok "a directory as the caller's stdin is refused ($out), a file is not"

# --- no daemon ------------------------------------------------------------------------------
missing=$SH/run/missing.sock
expect_refusal 125 "clearnet-run: cannot reach clearnet-nsd at $missing: No such file or directory" \
	"--socket pointing nowhere" "$CLEARNET_RUN" --socket "$missing" -- true
expect_refusal 125 "clearnet-run: cannot reach clearnet-nsd at $missing: No such file or directory" \
	"CLEARNET_SOCKET pointing nowhere" env CLEARNET_SOCKET="$missing" "$CLEARNET_RUN" -- true
expect_rc 0 "CLEARNET_SOCKET pointing at nsd" env CLEARNET_SOCKET="$SOCKET" "$CLEARNET_RUN" -- true
ok "CLEARNET_SOCKET sets the socket"
expect_rc 125 "clearnet-run without a command" "$CLEARNET_RUN" --socket "$SOCKET"
[ "$(wc -l <<<"$ERR")" -eq 1 ] && [[ $ERR == "clearnet-run: "* ]] || fail "clearnet-run without a command: stderr '$ERR'"
ok "clearnet-run without a command: status 125, '$ERR'"

# --- the groups a command gets are the user's as they are now ------------------------------
# nsd keeps the users it looked up for a few seconds; a change to /etc/group must show at
# the very next launch all the same.
late_gid=$((G1_ID + 7))
! getent group "$late_gid" >/dev/null || fail "gid $late_gid already exists on this machine: pick another"
expect_rc 0 "a command's groups" crun_as "$U1" -- id -G
! grep -qw "$late_gid" <<<"$OUT" || fail "harness: $U1 is already in group $late_gid"
echo "cltestlate:x:$late_gid:$U1" >>"$T/etc/group" || fail "cannot add a group"
expect_rc 0 "a command's groups after $U1 joined a group" crun_as "$U1" -- id -G
grep -qw "$late_gid" <<<"$OUT" || fail "$U1 joined group $late_gid, but the next command's groups are '$OUT'"
ok "a group $U1 joined just before shows in the next command's groups ($OUT)"

cd / || fail "cd /"
finish
