#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Unsafe Browser's desktop files: the menu entry passes desktop-file-validate, the icon
# is well-formed SVG, the warning page is self-contained and carries its marker, and the
# example config's [app unsafe-browser] is valid for clearnet-nsd --check and off by default.
#
# Usage: test-desktop-files.sh SRCDIR CLEARNET-NSD
set -u
src=$1
nsd=$2
d=$src/desktop

n=0
ok() { n=$((n + 1)); echo "ok: $*"; }
fail() { echo "FAIL: $*"; exit 1; }

if ! command -v desktop-file-validate >/dev/null; then
	echo "SKIP: desktop-file-validate not installed (apt-get install desktop-file-utils)"
	exit 77
fi
out=$(desktop-file-validate "$d/unsafe-browser.desktop" 2>&1) && [ -z "$out" ] ||
	fail "desktop-file-validate unsafe-browser.desktop: $out"
ok "desktop-file-validate: unsafe-browser.desktop is valid, without hints"
for line in "Name=Unsafe Browser" "Exec=unsafe-browser %u" "Icon=unsafe-browser" "Categories=Network;WebBrowser;" \
	"StartupWMClass=Unsafe Browser" "Terminal=false" "Type=Application"; do
	grep -qxF "$line" "$d/unsafe-browser.desktop" || fail "unsafe-browser.desktop lacks '$line'"
done
! grep -q '^MimeType=' "$d/unsafe-browser.desktop" || fail "unsafe-browser.desktop registers MIME types: links could open in it"
ok "unsafe-browser.desktop: name, command, icon, categories, window class; no MIME handler"

python3 - "$d/unsafe-browser.svg" <<'PY' || fail "unsafe-browser.svg is not well-formed SVG"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert root.get("viewBox"), "no viewBox"
text = open(sys.argv[1]).read()
assert "xlink:href" not in text and "<image" not in text, "external or embedded image"
PY
ok "unsafe-browser.svg: well-formed SVG with a viewBox, nothing external"

page=$d/unsafe-browser-warning.html
grep -qF '<title>Unsafe Browser: not anonymous</title>' "$page" || fail "warning page title"
grep -qiF 'not anonymous' "$page" && grep -qiF 'captive portal' "$page" || fail "warning page text"
grep -qF 'background: #d00000' "$page" || fail "warning page banner colour (the marker tests look for) changed"
if grep -niE '(src|href|action)[[:space:]]*=|url\(|@import|<script|<link|<img|<iframe|<object|<embed' "$page"; then
	fail "warning page loads something (above): it must be self-contained"
fi
ok "warning page: title, warning, red banner marker, no external resource"

out=$("$nsd" --config "$d/clearnet.conf" --check 2>&1) || fail "clearnet-nsd --check desktop/clearnet.conf: $out"
ok "clearnet-nsd --check accepts desktop/clearnet.conf"
section=$(sed -n '/^\[app unsafe-browser\]/,/^\[/p' "$d/clearnet.conf")
for line in "enabled = no" "args = url" "user = amnesia" "callers = amnesia" "instances = 1" "home = tmpfs" \
	"sockets = wayland pipewire pulse" "env = LANG LC_ALL TZ TERM" \
	"exec = /usr/libexec/clearnet/unsafe-browser-firefox"; do
	grep -qxF "$line" <<<"$section" || fail "[app unsafe-browser] lacks '$line'"
done
ok "[app unsafe-browser]: off by default, one URL, amnesia, one instance, tmpfs home, no x11"

echo "$n passed, 0 failed"
