#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every man page builds with scdoc and renders without a groff warning; clearnet.conf(5)
# documents every key that nsd/conf/config.c knows.
#
# Usage: test-man-pages.sh SRCDIR
set -u
src=$1
W=$(mktemp -d "${TMPDIR:-/tmp}/test-man-pages.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

n=0
ok() { n=$((n + 1)); echo "ok: $*"; }
fail() { echo "FAIL: $*"; exit 1; }

command -v scdoc >/dev/null || { echo "SKIP: scdoc not installed (apt-get install scdoc)"; exit 77; }

pages=(clearnet-run.1 clearnet-nsd.8 clearnet.conf.5 unsafe-browser.1)
for p in "${pages[@]}"; do
	f=$src/man/$p.scd
	[ -f "$f" ] || fail "missing man/$p.scd"
	scdoc <"$f" >"$W/$p" 2>"$W/err" || fail "scdoc man/$p.scd: $(cat "$W/err")"
	name=${p%.*}
	grep -q "^\.TH \"$name\" \"${p##*.}\"" "$W/$p" || fail "$p: no .TH $name ${p##*.} header"
	grep -q '^\.SH NAME' "$W/$p" && grep -q '^\.SH SEE ALSO' "$W/$p" || fail "$p: NAME or SEE ALSO missing"
	rendered=
	if command -v man >/dev/null && command -v groff >/dev/null; then
		rendered=", groff renders it without warnings"
		MANWIDTH=80 man --warnings -l "$W/$p" >"$W/out" 2>"$W/err" || fail "man -l $p failed: $(cat "$W/err")"
		[ ! -s "$W/err" ] || fail "man --warnings -l $p: $(head -n 5 "$W/err")"
		[ "$(wc -l <"$W/out")" -gt 20 ] || fail "$p renders to almost nothing"
	fi
	ok "man/$p.scd: scdoc builds it$rendered"
done

# Every configuration key, as nsd/conf/config.c's tables list them, is in clearnet.conf(5).
keys=$(sed -n 's/^ *{ "\([a-z]*\)", *"\([a-z_]*\)", *parse_.*/\1 \2/p' "$src/nsd/conf/config.c")
[ "$(wc -l <<<"$keys")" -ge 20 ] || fail "could not read the keys of nsd/conf/config.c (got: $keys)"
while read -r section key; do
	[ "$section" = app ] && section="app NAME"
	[ "$section" = ns ] && section="namespace NAME"
	grep -qxF "# [$section]" "$src/man/clearnet.conf.5.scd" || fail "clearnet.conf(5) has no section [$section]"
	# the text of that section of the page, up to the next "# " heading
	esc=${key//_/\\\\_}
	awk -v h="# [$section]" '$0 == h { on = 1; next } /^# / { on = 0 } on' "$src/man/clearnet.conf.5.scd" |
		grep -q "^\*$esc\* = " || fail "clearnet.conf(5) does not document [$section] $key"
done <<<"$keys"
ok "clearnet.conf(5) documents all $(wc -l <<<"$keys") keys of nsd/conf/config.c, in their sections"

echo "$n passed, 0 failed"
