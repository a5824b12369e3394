#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every man page builds with scdoc and renders without a groff warning; clearnet.conf(5)
# documents every key that nsd/conf/config.c knows, filter.conf(5) every key of
# filter/policy.c.
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

pages=(clearnet-run.1 clearnet-nsd.8 clearnet.conf.5 unsafe-browser.1 clearnet-filter.8 filter.conf.5)
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

# keys_documented CODE PAGE PARSER REPEATED MIN: every key of CODE's key tables (lines
# '{ "section", "key", PARSER...') is documented in its section of man/PAGE.scd; the
# section REPEATED is written "[REPEATED NAME]" in the page. At least MIN keys.
keys_documented() {
	local code=$1 page=$2 parser=$3 repeated=$4 min=$5 keys section key esc
	keys=$(sed -n "s/^ *{ \"\([a-z-]*\)\", *\"\([a-z_0-9]*\)\", *$parser.*/\1 \2/p" "$src/$code")
	[ "$(wc -l <<<"$keys")" -ge "$min" ] || fail "could not read the keys of $code (got: $keys)"
	while read -r section key; do
		[ "$section" = "$repeated" ] && section="$repeated NAME"
		[ "$section" = ns ] && section="namespace NAME"
		grep -qxF "# [$section]" "$src/man/$page.scd" || fail "$page has no section [$section]"
		# the text of that section of the page, up to the next "# " heading
		esc=${key//_/\\\\_}
		awk -v h="# [$section]" '$0 == h { on = 1; next } /^# / { on = 0 } on' "$src/man/$page.scd" |
			grep -q "^\*$esc\* = " || fail "$page does not document [$section] $key"
	done <<<"$keys"
	ok "$page documents all $(wc -l <<<"$keys") keys of $code, in their sections"
}
keys_documented nsd/conf/config.c clearnet.conf.5 parse_ app 20
keys_documented filter/policy.c filter.conf.5 p_ local 15

echo "$n passed, 0 failed"
