#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/check-layers, which the build runs over nsd's libraries: it accepts a stack whose
# libraries call only down, and fails on a call back up (a cycle in the making), naming
# the symbol. Two tiny libraries built here stand in for two layers.
set -euo pipefail
src=$1
check=$src/tools/check-layers
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cc=${CC:-cc}
fail() { echo "FAIL: $*"; exit 1; }

cat >"$t/low.c" <<'C'
int low_helper(int x) { return x + 1; }
C
cat >"$t/high.c" <<'C'
int low_helper(int x);
int high_entry(int x) { return low_helper(x) * 2; }
C
cat >"$t/low-calls-up.c" <<'C'
int high_entry(int x);
int low_helper(int x) { return x > 0 ? high_entry(x - 1) : 0; }
C
for f in low high low-calls-up; do
	"$cc" -c -o "$t/$f.o" "$t/$f.c"
	ar rcs "$t/lib$f.a" "$t/$f.o"
done

"$check" "$t/ok.stamp" low="$t/liblow.a" high="$t/libhigh.a" || fail "a stack that calls only down was refused"
[ -s "$t/ok.stamp" ] || fail "no stamp written for a good stack"
echo "ok: libraries that call only down pass"

if out=$("$check" "$t/bad.stamp" low="$t/liblow-calls-up.a" high="$t/libhigh.a" 2>&1); then
	fail "a lower layer calling a higher one was accepted"
fi
grep -q "low uses high_entry of high" <<<"$out" || fail "the refusal does not name the symbol and layers: $out"
[ ! -e "$t/bad.stamp" ] || fail "a stamp was written for a bad stack"
echo "ok: a call back up the stack fails: $out"
