#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The NetworkManager dispatcher hook (desktop/nm-dispatcher, installed as 90-clearnet-dns):
# which servers it writes, how (atomically, mode 0644), when it empties the file, and that
# it sends SIGHUP to nsd, and only to nsd. Needs no root and touches nothing outside a
# temporary directory: the config (CLEARNET_CONFIG) points resolv_conf and state_dir there,
# and a shell named clearnet-nsd stands in for the daemon.
set -euo pipefail

srcdir=${CLEARNET_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${CLEARNET_BUILDDIR:-}
# The hook as meson configured it for installation, else the source.
hook=$srcdir/desktop/nm-dispatcher
if [ -n "$builddir" ] && [ -f "$builddir/desktop/90-clearnet-dns" ]; then
	hook=$builddir/desktop/90-clearnet-dns
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/clearnet-nm-dispatcher.XXXXXX")
fake_pid=
other_pid=
cleanup() {
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
	[ -z "$other_pid" ] || kill "$other_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf -- "$tmp"
}
trap cleanup EXIT

failures=0
checks=0
ok() { checks=$((checks + 1)); echo "ok - $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

mkdir -p "$tmp/etc" "$tmp/run" "$tmp/bin"
resolv=$tmp/etc/resolv-over-clearnet.conf
cat >"$tmp/clearnet.conf" <<EOF
# test config: only the keys the hook reads matter, the others show it skips them
[namespace]
name = testns            # inline comment
netns_dir = $tmp/netns
resolv_conf = $resolv    ; another kind of inline comment
keep_on_exit = no
[daemon]
socket = $tmp/run/nsd.sock
state_dir: $tmp/run
EOF
export CLEARNET_CONFIG=$tmp/clearnet.conf

# The stand-in for nsd: a shell whose process name (comm) is clearnet-nsd, counting the
# SIGHUPs it gets in a marker file.
ln -s "$(command -v sh)" "$tmp/bin/clearnet-nsd"
marker=$tmp/hup-count
: >"$marker"
"$tmp/bin/clearnet-nsd" -c "trap 'echo hup >>\"$marker\"' HUP; echo started >\"$tmp/started\";
	while :; do sleep 0.05; done" &
fake_pid=$!
for _ in $(seq 100); do [ -e "$tmp/started" ] && break; sleep 0.05; done
echo "$fake_pid" >"$tmp/run/testns.pid"

hups() { wc -l <"$marker"; }
# wait_hups N: until the stand-in has counted N SIGHUPs (at most 5 s)
wait_hups() {
	for _ in $(seq 100); do [ "$(hups)" -ge "$1" ] && break; sleep 0.05; done
	[ "$(hups)" -eq "$1" ]
}
# no_more_hups N: still exactly N after a while (a signal takes a moment to be counted)
no_more_hups() { sleep 0.3; [ "$(hups)" -eq "$1" ]; }
inode() { stat -c %i "$1"; }
mode() { stat -c %a "$1"; }
servers() { sed -n 's/^nameserver //p' "$resolv" | tr '\n' ' ' | sed 's/ $//'; }
# run_hook IFACE ACTION [VAR=VALUE...]: NetworkManager's call, with a clean environment
# and a restrictive umask (the hook must set 0644 itself).
hook_raw() {
	local iface=$1 action=$2; shift 2
	(umask 077; env -i PATH="$PATH" CLEARNET_CONFIG="$CLEARNET_CONFIG" "$@" "$hook" "$iface" "$action")
}
# Same, a non-zero status counted as a failure.
run_hook() {
	if ! hook_raw "$@"; then
		fail "hook '$1' '$2' exited non-zero"
	fi
}
no_temp_left() { [ -z "$(find "$tmp/etc" -name '.*' -type f)" ]; }

# A resolv_conf as tmpfiles.d creates it: empty.
: >"$resolv"
chmod 0644 "$resolv"

# 1. up: the IPv4 servers, loopback ones dropped, duplicates once; IPv6 servers never
#    (the namespace has no IPv6).
ino=$(inode "$resolv")
run_hook eth0 up \
	IP4_NAMESERVERS="192.0.2.53 127.0.0.53 198.51.100.53" \
	DHCP4_DOMAIN_NAME_SERVERS="192.0.2.53 127.0.0.1" \
	IP6_NAMESERVERS="::1 2001:db8::53 fe80::1" \
	DHCP6_DHCP6_NAME_SERVERS="2001:db8::53"
check "up: servers written in order, loopback and IPv6 dropped" \
	[ "$(servers)" = "192.0.2.53 198.51.100.53" ]
check "up: mode 0644 despite umask 077" [ "$(mode "$resolv")" = 644 ]
check "up: replaced by rename (new inode)" [ "$(inode "$resolv")" != "$ino" ]
check "up: no temporary file left" no_temp_left
check "up: nsd got SIGHUP" wait_hups 1

# 2. dhcp4-change with new servers.
ino=$(inode "$resolv")
run_hook eth0 dhcp4-change IP4_NAMESERVERS="203.0.113.1 203.0.113.2"
check "dhcp4-change: new servers" [ "$(servers)" = "203.0.113.1 203.0.113.2" ]
check "dhcp4-change: new inode" [ "$(inode "$resolv")" != "$ino" ]
check "dhcp4-change: SIGHUP" wait_hups 2

# 3. dhcp6-change: NetworkManager passes the device's IPv4 settings too.
run_hook eth0 dhcp6-change IP4_NAMESERVERS="203.0.113.1" IP6_NAMESERVERS="2001:db8::1" \
	DHCP6_DHCP6_NAME_SERVERS="2001:db8::1"
check "dhcp6-change: the IPv4 servers, no IPv6 one" [ "$(servers)" = "203.0.113.1" ]
check "dhcp6-change: SIGHUP" wait_hups 3

# 4. Nothing local ever, in any spelling; nothing that is not an address.
run_hook eth0 up \
	IP4_NAMESERVERS="127.0.0.1 127.1.2.3 0.0.0.0 0177.0.0.1 2130706433 192.0.2.1;x 300.1.1.1 198.51.100.9" \
	DHCP4_DOMAIN_NAME_SERVERS="127.0.0.53 010.0.0.1 1.2.3 ::ffff:192.0.2.1" \
	IP6_NAMESERVERS="::1 0:0:0:0:0:0:0:1 ::ffff:127.0.0.1 2001:db8::53 nameserver options ndots:15"
check "local, malformed and injected tokens are all dropped" [ "$(servers)" = "198.51.100.9" ]
check "no other kind of line is written" \
	[ -z "$(grep -v -e '^nameserver ' -e '^# clearnet DNS from NetworkManager' "$resolv")" ]
check "SIGHUP" wait_hups 4

# 5. An up whose servers are all loopback: no server at all.
run_hook eth0 up IP4_NAMESERVERS="127.0.0.53" IP6_NAMESERVERS="::1"
check "only loopback servers: file has no server" [ -z "$(servers)" ]
check "SIGHUP" wait_hups 5

# 6. down of another interface leaves eth0's servers alone; down of eth0 empties the file.
run_hook eth0 up IP4_NAMESERVERS="192.0.2.53"
wait_hups 6 || true
ino=$(inode "$resolv")
run_hook wlan0 down
check "down of another interface: servers kept" [ "$(servers)" = "192.0.2.53" ]
check "down of another interface: file untouched" [ "$(inode "$resolv")" = "$ino" ]
run_hook wlan0 up   # a link that brings no DNS server
check "up without servers on another interface: servers kept" [ "$(servers)" = "192.0.2.53" ]
check "no SIGHUP for events that changed nothing" no_more_hups 6
run_hook eth0 down
check "down: file empty" [ ! -s "$resolv" ]
check "down: still mode 0644, new inode" [ "$(mode "$resolv")" = 644 -a "$(inode "$resolv")" != "$ino" ]
check "down: SIGHUP" wait_hups 7
run_hook wlan0 down
check "down with nothing recorded: empty" [ ! -s "$resolv" ]
check "SIGHUP" wait_hups 8

# 7. Actions the hook does not handle change nothing and signal nobody.
run_hook eth0 up IP4_NAMESERVERS="192.0.2.53"
wait_hups 9 || true
ino=$(inode "$resolv")
before=$(cat "$resolv")
for action in pre-up pre-down vpn-up vpn-down hostname connectivity-change reapply dns-change bogus ""; do
	if ! hook_raw eth0 "$action" IP4_NAMESERVERS="198.51.100.1"; then
		fail "action '$action': non-zero status"
	fi
done
check "unhandled actions: exit 0, file untouched" \
	[ "$(inode "$resolv")" = "$ino" -a "$(cat "$resolv")" = "$before" ]
check "unhandled actions: no SIGHUP" no_more_hups 9
run_hook "" up IP4_NAMESERVERS="198.51.100.1"
check "no interface: ignored" [ "$(inode "$resolv")" = "$ino" ]

# 8. resolv_conf as a symlink target does not matter; what matters is that the hook
#    replaces resolv_conf itself and follows no /etc/resolv.conf: a symlinked resolv_conf
#    is replaced by a file, its target is left alone.
echo "nameserver 127.0.0.53" >"$tmp/etc/stub-resolv.conf"
rm -f "$resolv"; ln -s stub-resolv.conf "$resolv"
run_hook eth0 up IP4_NAMESERVERS="192.0.2.77"
check "symlinked resolv_conf replaced by a regular file" [ -f "$resolv" -a ! -L "$resolv" ]
check "its former target untouched" [ "$(cat "$tmp/etc/stub-resolv.conf")" = "nameserver 127.0.0.53" ]
check "servers" [ "$(servers)" = "192.0.2.77" ]
check "SIGHUP" wait_hups 10
if grep -v '^[[:space:]]*#' "$hook" | grep -q '/etc/resolv\.conf'; then
	fail "the hook's code mentions /etc/resolv.conf"
else
	ok "the hook's code never refers to /etc/resolv.conf"
fi

# 9. A pid file naming a process that is not clearnet-nsd (a stale pid reused): the file
#    is still written, the other process gets no SIGHUP (which would end it).
sleep 60 &
other_pid=$!
echo "$other_pid" >"$tmp/run/testns.pid"
run_hook eth0 up IP4_NAMESERVERS="192.0.2.88"
check "stale pid: file written" [ "$(servers)" = "192.0.2.88" ]
sleep 0.3
check "stale pid: the other process was not signalled" kill -0 "$other_pid"
check "stale pid: nsd stand-in not signalled either" no_more_hups 10
# No pid file at all: fine too.
rm -f "$tmp/run/testns.pid"
check "no pid file: exit 0" hook_raw eth0 up IP4_NAMESERVERS="192.0.2.89"
check "no pid file: file written" [ "$(servers)" = "192.0.2.89" ]

# 10. Errors: a CLEARNET_CONFIG that does not exist, a resolv_conf in a missing directory.
if CLEARNET_CONFIG=$tmp/missing.conf hook_raw eth0 up IP4_NAMESERVERS="192.0.2.1" 2>/dev/null; then
	fail "missing CLEARNET_CONFIG: should fail"
else
	ok "missing CLEARNET_CONFIG: fails"
fi
sed "s|^resolv_conf = .*|resolv_conf = $tmp/nonexistent/r.conf|" "$tmp/clearnet.conf" >"$tmp/bad.conf"
if CLEARNET_CONFIG=$tmp/bad.conf hook_raw eth0 up IP4_NAMESERVERS="192.0.2.1" 2>/dev/null; then
	fail "resolv_conf in a missing directory: should fail"
else
	ok "resolv_conf in a missing directory: fails"
fi
check "nothing created for it" [ ! -e "$tmp/nonexistent" ]

echo "# $checks checks, $failures failed"
[ "$failures" -eq 0 ]
