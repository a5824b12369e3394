#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# clearnet-filter's unit file and command line (no root): the unit runs before
# network-pre.target, stopping it never removes the table (no ExecStop; ExecStopPost can
# only load the lockdown table), reload and start load the same file; the shipped policy
# parses (--print needs its users, so only a parse error is looked for).
#
# Usage: test-filter-files.sh SRCDIR CLEARNET-FILTER
set -u
src=$1
filter=$2
unit=$src/desktop/clearnet-filter.service

n=0
ok() { n=$((n + 1)); echo "ok: $*"; }
fail() { echo "FAIL: $*"; exit 1; }

for line in "Before=network-pre.target" "Wants=network-pre.target" "DefaultDependencies=no" "Type=oneshot" \
	"RemainAfterExit=yes" "ExecStart=@sbindir@/clearnet-filter --config @sysconfdir@/clearnet/filter.conf" \
	"ExecReload=@sbindir@/clearnet-filter --config @sysconfdir@/clearnet/filter.conf" "WantedBy=sysinit.target"; do
	grep -qxF "$line" "$unit" || fail "clearnet-filter.service lacks '$line'"
done
ok "clearnet-filter.service: before network-pre.target, oneshot, start and reload load the same file"
! grep -q '^ExecStop=' "$unit" || fail "clearnet-filter.service has an ExecStop: stopping must not open the machine"
! grep -qE '^Exec.*--teardown' "$unit" || fail "clearnet-filter.service runs --teardown"
post=$(grep '^ExecStopPost=' "$unit")
[ "$(grep -c '^ExecStopPost=' "$unit")" -le 1 ] && { [ -z "$post" ] || grep -q -- '--lockdown' <<<"$post"; } ||
	fail "ExecStopPost may only load the lockdown table: $post"
! grep -qE '^(PrivateNetwork|ProtectKernelTunables)=yes' "$unit" || fail "the unit would not reach the host's netns or sysctls"
ok "clearnet-filter.service: no ExecStop, no --teardown; ExecStopPost only ever loads the lockdown table"

# systemd's own check of the unit, with @sbindir@ at the binary under test
if command -v systemd-analyze >/dev/null; then
	W=$(mktemp -d "${TMPDIR:-/tmp}/test-filter-files.XXXXXX") || fail "mktemp"
	trap 'rm -rf "$W"' EXIT
	sed -e "s#@sbindir@#$(cd "$(dirname "$filter")" && pwd)#g" -e "s#@sysconfdir@#/etc#g" "$unit" >"$W/clearnet-filter.service"
	out=$(systemd-analyze verify --man=no "$W/clearnet-filter.service" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify clearnet-filter.service: $out"
	ok "systemd-analyze verify: clearnet-filter.service has no error or warning"
fi

out=$("$filter" --help) && grep -q -- '--print' <<<"$out" && grep -q -- '/clearnet/filter.conf' <<<"$out" ||
	fail "--help: $out"
out=$("$filter" --version) && grep -qE '^clearnet-filter [0-9]+\.' <<<"$out" || fail "--version: $out"
"$filter" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option does not exit 2"
ok "--help names the default config, --version, unknown option exits 2"

err=$("$filter" --config "$src/desktop/filter.conf" --check 2>&1)
if grep -qE 'filter\.conf:[0-9]+: ' <<<"$err" && ! grep -q 'does not exist' <<<"$err"; then
	fail "desktop/filter.conf does not parse: $err"
fi
ok "desktop/filter.conf parses (its users are checked by the integration tests)"

echo "$n passed, 0 failed"
