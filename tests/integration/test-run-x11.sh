#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# X11 through a shared namespace (issue 11 §4): user A runs, inside clearnet, a fake X
# server on the abstract name @/tmp/.X11-unix/X7 (libxcb tries that name before the path);
# user B's app with sockets = x11 and DISPLAY=:7 must still reach B's real X server (an
# Xvfb on the host), never A's. Positive controls: A's own X client inside clearnet, with
# DISPLAY=:7, does reach the fake server (the name works and libxcb prefers it), and the
# real X server answers B's client on the host. The X client is libxcb's xcb_connect()
# (through ctypes): the library the browsers use.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"

command -v Xvfb >/dev/null || fail "missing Xvfb (apt-get install xvfb)"
topo_setup
services_start
users_setup

# --- B's real X server: Xvfb :7 as root on the host, with a /tmp of its own -------------
mkdir -p "$T/xtmp/.X11-unix" && chmod 1777 "$T/xtmp" "$T/xtmp/.X11-unix" || fail "directories for Xvfb"
if [ ! -d /tmp/.X11-unix ]; then
	mkdir -m 1777 /tmp/.X11-unix || fail "mkdir /tmp/.X11-unix"
	at_exit "umount -l /tmp/.X11-unix; rmdir /tmp/.X11-unix"
fi
mount --bind "$T/xtmp/.X11-unix" /tmp/.X11-unix || fail "cannot bind a private directory over /tmp/.X11-unix"
bg xvfb "$HOST" unshare --mount --propagation private -- sh -c \
	'mount --bind "$1" /tmp && shift && exec "$@"' sh "$T/xtmp" Xvfb :7 -screen 0 320x200x24 -nolisten tcp -noreset
wait_until 300 test -S /tmp/.X11-unix/X7 || fail "Xvfb :7 did not start: $(tail -n 5 "$T/logs/xvfb.out" | tr '\n' ' ')"

# The X client: prints which server it reached (the fake one answers with a marker and
# closes, which xcb reports as an error; the real one completes the handshake).
cat >"$SH/bin/xclient" <<EOF
#!$PYI
import ctypes, os, sys
xcb = ctypes.CDLL("libxcb.so.1")
xcb.xcb_connect.restype = ctypes.c_void_p
xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
# (a command gets no DISPLAY from clearnet-run: then the first argument)
display = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DISPLAY")
c = xcb.xcb_connect(display.encode() if display else None, None)
print("display=%s xcb_error=%d" % (display, xcb.xcb_connection_has_error(c)), flush=True)
EOF
chmod 0755 "$SH/bin/xclient"

conf=$T/cfg/nsd.conf
run_conf "$conf"
cat >>"$conf" <<EOF

[app xclient]
exec = $SH/bin/xclient
user = $UA
callers = $U2
sockets = x11
EOF
nsd_start "$conf"

out=$(as_in "$HOST" "$U2" env DISPLAY=:7 "$SH/bin/xclient" 2>&1)
[ "$out" = "display=:7 xcb_error=0" ] || fail "harness: B's client on the host does not reach Xvfb :7: $out"
ok "harness: the real X server answers on the host ($out)"

# --- A's fake X server inside clearnet ----------------------------------------------------
cat >"$SH/bin/fake-x" <<EOF
#!$PYI
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0/tmp/.X11-unix/X7")
s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    open("$SH/x/fake-hits", "a").write("hit\n")
    c.sendall(b"FAKE-X-SERVER\n")
    c.close()
EOF
chmod 0755 "$SH/bin/fake-x"
bg fake-x "$HOST" setpriv --reuid="$U1" --regid="$U1" --init-groups -- \
	env -i PATH=/usr/bin:/bin HOME="$SH/home/$U1" timeout -k 5 120 "$CLEARNET_RUN" --socket "$SOCKET" -- "$SH/bin/fake-x"
wait_until 100 grep -q listening "$T/logs/fake-x.out" || fail "A's fake X server did not start: $(cat "$T/logs/fake-x.err" 2>/dev/null)"
ok "user A ($U1) serves a fake X server on @/tmp/.X11-unix/X7 inside clearnet"

hits() { [ -f "$SH/x/fake-hits" ] && wc -l <"$SH/x/fake-hits" || echo 0; }
out=$(cd / && as "$U1" timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" -- "$SH/bin/xclient" :7 2>&1)
[ "$(hits)" = 1 ] || fail "harness: A's own client inside (DISPLAY=:7) did not reach the fake server ($out; hits $(hits))"
ok "harness: an X client inside clearnet with DISPLAY=:7 reaches A's fake server ($out)"

# --- B's app -------------------------------------------------------------------------------
out=$(cd / && as "$U2" env DISPLAY=:7 timeout -k 5 60 "$CLEARNET_RUN" --socket "$SOCKET" --app xclient 2>&1)
[ "$(hits)" = 1 ] || fail "B's app reached A's fake X server ($out)"
ok "B's app (sockets = x11, DISPLAY=:7) did not reach A's fake X server"
case $out in
"display=:1000 xcb_error=0") ok "B's app reached B's real X server, as display :1000 (:7's abstract name is A's) ($out)" ;;
*) fail "B's app did not reach the real X server: $out" ;;
esac

finish
