#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The one package list (tools/packages) covers the build: every dependency(),
# find_library() and find_program() of every meson.build of the tree maps (the explicit
# map below) to a package of the build group, and so do the tools every build runs (the
# compiler, meson, ninja, pkg-config). A name the map does not know fails, as does a
# mapped package missing from the list. Where the .pc file or the program is installed,
# dpkg says which package holds it, and the map must agree. Negative checks: a fake tree
# with an unknown dependency, and the real tree against a list without one of its
# packages, must both fail.
#
# Usage: test-packages.sh SRCDIR
set -u
src=$1
W=$(mktemp -d "${TMPDIR:-/tmp}/test-packages.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; exit 1; }

# KIND:NAME -> Debian package ("-": essential, always installed)
MAP='
dep:libnl-3.0 libnl-3-dev
dep:libnl-route-3.0 libnl-route-3-dev
dep:libnftables libnftables-dev
dep:inih libinih-dev
dep:libcap-ng libcap-ng-dev
dep:libseccomp libseccomp-dev
dep:libcurl libcurl4-openssl-dev
dep:systemd systemd
dep:threads libc6-dev
lib:dl libc6-dev
prog:scdoc scdoc
prog:sh -
prog:../tools/check-layers python3
tool:cc gcc
tool:libc libc6-dev
tool:meson meson
tool:ninja ninja-build
tool:pkg-config pkgconf
'

# meson_names SRCDIR: KIND:NAME of every dependency()/find_library()/find_program() of its
# meson.build files (comments left out; build directories and .git skipped); a call whose
# first argument is not a string literal is printed as "?:FILE:CALL" (it cannot be checked)
meson_names() {
	find "$1" \( -name .git -o -name 'build*' -o -name meson-private \) -prune -o -name meson.build -print |
		sort | python3 -c '
import re, sys
kinds = {"dependency": "dep", "find_library": "lib", "find_program": "prog"}
call = re.compile(r"(?<![A-Za-z0-9_])(dependency|find_library|find_program)\s*\(\s*")
for path in sys.stdin.read().split():
    text = "\n".join(re.sub(r"#.*", "", l) for l in open(path, encoding="utf-8"))
    for m in call.finditer(text):
        lit = re.match(r"\x27([^\x27]*)\x27", text[m.end():])
        print(kinds[m.group(1)] + ":" + lit.group(1) if lit else "?:" + path + ":" + text[m.start():m.end() + 30].split("\n")[0])
' | sort -u
	printf 'tool:%s\n' cc libc meson ninja pkg-config
}

# check_tree SRCDIR: every name maps to a package of the build group (CLEARNET_PACKAGES
# picks the list); one line per problem on stdout, status 1 if any
check_tree() {
	local build name pkg bad=0
	build=$("$src/tools/packages-for" build) || { echo "tools/packages-for build failed"; return 1; }
	while read -r name; do
		case $name in
		'?:'*) echo "cannot check a call without a literal name: ${name#?:}"; bad=1; continue ;;
		esac
		pkg=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$MAP")
		if [ -z "$pkg" ]; then
			echo "$name: not in the map of tests/unit/test-packages.sh (add its Debian package there and to the build group of tools/packages)"
			bad=1
		elif [ "$pkg" != - ] && ! grep -qxF -- "$pkg" <<<"$build"; then
			echo "$name: its package $pkg is not in the build group of tools/packages"
			bad=1
		fi
	done < <(meson_names "$1")
	return "$bad"
}

# --- the tree as it is ----------------------------------------------------------------------
names=$(meson_names "$src")
[ "$(grep -c '^dep:' <<<"$names")" -ge 5 ] || fail "found too few dependency() calls in $src (parser broken?): $(tr "\n" " " <<<"$names")"
out=$(check_tree "$src") || fail "the package list does not cover the build:
$out"
ok "every dependency/find_library/find_program of the meson files is in the build group: $(grep -v '^tool:' <<<"$names" | tr '\n' ' ')"

# --- the fuzz build (CC=clang, -fsanitize=fuzzer) has its compiler and runtime in the fuzz group
if grep -rqs --include=meson.build -e '-fsanitize=fuzzer' "$src"; then
	fuzz=$("$src/tools/packages-for" fuzz) || fail "tools/packages-for fuzz failed"
	for p in clang libclang-rt-14-dev; do
		grep -qxF "$p" <<<"$fuzz" || fail "the meson files build libFuzzer targets, but $p is not in the fuzz group of tools/packages"
	done
	ok "the libFuzzer build's clang and its runtime are in the fuzz group"
fi

# --- the map agrees with dpkg where the files are installed ----------------------------------
# owner_of FILE: the package dpkg says holds FILE (as named, resolved, or without the /usr
# of a merged /usr)
owner_of() {
	local f o
	for f in "$1" "$(readlink -f "$1")"; do
		for o in "$f" "${f#/usr}"; do
			o=$(dpkg -S "$o" 2>/dev/null | grep -v "^diversion " | head -n 1 | sed 's/: .*//; s/:[a-z0-9]*$//')
			[ -n "$o" ] && { echo "$o"; return; }
		done
	done
}
checked=0
while read -r name; do
	pkg=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$MAP")
	file=
	case $name in
	dep:threads) continue ;;
	dep:*)
		dir=$(pkg-config --variable=pcfiledir "${name#dep:}" 2>/dev/null) && file=$dir/${name#dep:}.pc ;;
	prog:* | tool:meson | tool:ninja | tool:pkg-config)
		file=$(command -v "${name#*:}" 2>/dev/null) ;;
	tool:cc) file=$(command -v gcc 2>/dev/null) ;;
	*) continue ;;
	esac
	[ -n "$file" ] && [ -e "$file" ] || { echo "# $name: not installed here, map not cross-checked"; continue; }
	owner=$(owner_of "$file")
	[ -n "$owner" ] || { echo "# $name: $file belongs to no package (installed by hand?)"; continue; }
	if [ "$pkg" = - ]; then
		[ "$(dpkg-query -W -f='${Essential}' "$owner" 2>/dev/null)" = yes ] ||
			fail "$name: mapped to an essential package, but $file is in $owner, which is not essential"
	elif [ "$owner" != "$pkg" ]; then
		fail "$name: the map says $pkg, but dpkg says $file is in $owner"
	fi
	checked=$((checked + 1))
done <<<"$names"
ok "the map agrees with dpkg -S for the $checked names installed here"

# --- negative checks: the test does fail ------------------------------------------------------
mkdir -p "$W/fake/sub" "$W/fake/build-x"
printf "project('fake', 'c')\nlibz = dependency('zlib-not-in-the-map')\n" >"$W/fake/meson.build"
printf "x = find_program('scdoc')\n# dependency('in-a-comment')\n" >"$W/fake/sub/meson.build"
printf "dependency('in-a-build-dir')\n" >"$W/fake/build-x/meson.build"
if out=$(check_tree "$W/fake"); then
	fail "negative check: a meson file with an unknown dependency passed"
fi
[ "$out" = "dep:zlib-not-in-the-map: not in the map of tests/unit/test-packages.sh (add its Debian package there and to the build group of tools/packages)" ] ||
	fail "negative check: unexpected problems for the fake tree: $out"
ok "negative check: an unknown dependency fails (comments and build dirs are not read): $out"

grep -v '^build:' "$src/tools/packages" >"$W/packages"
sed -n 's/^build:\(.*\)/\1/p' "$src/tools/packages" | tr ' ' '\n' | grep -vx -e '' -e libseccomp-dev |
	sed 's/^/build: /' >>"$W/packages"
CLEARNET_PACKAGES=$W/packages "$src/tools/packages-for" build | grep -qx libseccomp-dev &&
	fail "harness: the shortened list still has libseccomp-dev"
if out=$(CLEARNET_PACKAGES=$W/packages check_tree "$src"); then
	fail "negative check: the tree passed against a list without libseccomp-dev"
fi
[ "$out" = "dep:libseccomp: its package libseccomp-dev is not in the build group of tools/packages" ] ||
	fail "negative check: unexpected problems without libseccomp-dev: $out"
ok "negative check: the list without libseccomp-dev fails: $out"

printf "d = dependency(name_in_a_variable)\n" >"$W/fake/sub/meson.build"
printf "project('fake', 'c')\n" >"$W/fake/meson.build"
if out=$(check_tree "$W/fake"); then
	fail "negative check: a dependency() without a literal name passed"
fi
ok "negative check: a dependency() without a literal name fails: $out"
