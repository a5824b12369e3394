# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the clearnet-filter tests (test-filter-*.sh). Source it after lib.sh, which
# puts us in a private mount and PID namespace as root, with the stand-in "host" and the
# simulated "inet" namespaces (topo_setup). clearnet-filter is only ever run inside the
# stand-in host namespace (nsenter --net=$HOST), never in the machine's own.
#
#   test users (private copies of /etc/passwd and /etc/group, bind-mounted in this
#   test's mount namespace only), named like the roles of filter.conf:
#     cltor   4201  [tor] user          clclear 4202  [clearnet-user] user
#     cldesk  4203  [desktop] user      clapt   4204  an APT-like service user
#     clother 4205  another user
#   topo_lan: a simulated LAN, "lan" namespace behind the host's lan0 (192.168.77.1/24),
#     192.168.77.2 serving TCP :80 (web), TCP+UDP :53 (DNS), UDP :137 (netbios-ns) and
#     UDP :7 (echo), all logged in $T/obs/lan.log
#   filter_ports_start: stand-in Tor and desktop ports on the host's 127.0.0.1 (and ::1
#     4101, 8888), served by filternet.py, which logs the uid of every local peer in
#     $T/logs/ports.log
#   an inet listener for UDP and TCP 53 at 198.51.100.7 ($T/obs/inet53.log), and an ICMP
#     echo-request counter in the inet namespace

CLEARNET_FILTER=${CLEARNET_FILTER:-$IT_DIR/../../build/filter/clearnet-filter}
[ -x "$CLEARNET_FILTER" ] || fail "clearnet-filter not found at $CLEARNET_FILTER (build it, or set CLEARNET_FILTER)"
CLEARNET_FILTER=$(realpath "$CLEARNET_FILTER")
command -v setpriv >/dev/null || fail "missing tool 'setpriv' (apt-get install util-linux)"
FILTERNET=$IT_DIR/filternet.py
PYI=/usr/bin/python3
[ -x "$PYI" ] || PYI=$(command -v python3)
LAN=/run/netns/lan
LAN_ADDR=192.168.77.2
PORTS_LOG=$T/logs/ports.log

# --- users -------------------------------------------------------------------------

declare -A FUID=([cltor]=4201 [clclear]=4202 [cldesk]=4203 [clapt]=4204 [clother]=4205)

filter_users_setup() {
	local u
	for u in "${!FUID[@]}"; do
		! getent passwd "${FUID[$u]}" >/dev/null || fail "uid ${FUID[$u]} already exists on this machine"
		! getent passwd "$u" >/dev/null || fail "user $u already exists on this machine"
	done
	mkdir -p "$T/etc" && cp /etc/passwd "$T/etc/passwd" && cp /etc/group "$T/etc/group" ||
		fail "cannot copy /etc/passwd, /etc/group"
	for u in "${!FUID[@]}"; do
		echo "$u:x:${FUID[$u]}:${FUID[$u]}:clearnet-filter test user:/nonexistent:/bin/sh" >>"$T/etc/passwd"
		echo "$u:x:${FUID[$u]}:" >>"$T/etc/group"
	done
	mount --bind "$T/etc/passwd" /etc/passwd && mount --bind "$T/etc/group" /etc/group ||
		fail "cannot bind the passwd and group copies"
	[ "$(id -u cldesk 2>/dev/null)" = 4203 ] || fail "test users not visible after the bind mount"
	ok "test users cltor clclear cldesk clapt clother exist in this test's mount namespace"
}

# add_user_if_missing NAME UID: for the shipped config's role names (debian-tor, ...)
add_user_if_missing() {
	getent passwd "$1" >/dev/null && return 0
	echo "$1:x:$2:$2:clearnet-filter test stand-in:/nonexistent:/bin/sh" >>"$T/etc/passwd"
}

# as_host USER CMD...: CMD as USER (uid, gid, groups; no capabilities) in the host namespace
as_host() {
	local user=$1
	shift
	if [ "$user" = root ]; then
		nsenter --net="$HOST" -- env -i PATH=/usr/bin:/bin "$@"
	else
		nsenter --net="$HOST" -- setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all -- \
			env -i PATH=/usr/bin:/bin "$@"
	fi
}

# try USER tcp|udp ADDR PORT / try USER icmp ADDR: the outcome word (ok, refused, timeout)
try() {
	local user=$1 kind=$2
	shift 2
	as_host "$user" "$PYI" "$FILTERNET" "$kind" "$@" 2>&1 | tail -n 1
}

lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
# grown FILE N: FILE has more than N lines (for wait_until)
grown() { [ "$(lines "$1")" -gt "$2" ]; }

# expect_allow USER KIND ADDR PORT DESC [LOG]: USER gets through; when LOG is given (a
# filternet.py serve log) it saw the connection, and the local ports' log names USER's uid
expect_allow() {
	local user=$1 kind=$2 addr=$3 port=$4 desc=$5 log=${6:-} before got
	before=$(lines "$log")
	got=$(try "$user" "$kind" "$addr" "$port")
	[ "$got" = ok ] || fail "$desc: $user $kind $addr:$port: $got, expected ok"
	if [ -n "$log" ]; then
		wait_until 20 grown "$log" "$before" || fail "$desc: ok, but $(basename "$log") saw nothing"
		# a local server knows its peer's uid
		[ "$log" != "$PORTS_LOG" ] || tail -n +"$((before + 1))" "$log" | grep -q "uid=$(id -u "$user")\$" ||
			fail "$desc: the server did not log a connection from $user: $(tail -n 2 "$log")"
	fi
	ok "$desc: $user gets through ($kind $addr:$port)"
}

# expect_refused USER KIND ADDR PORT DESC [LOG...]: USER is refused at once (ECONNREFUSED,
# not a timeout), and no listed server log (nor the inet observers) saw anything
expect_refused() {
	local user=$1 kind=$2 addr=$3 port=$4 desc=$5 got l
	shift 5
	local -a before=()
	for l in "$@"; do before+=("$(lines "$l")"); done
	local obs
	obs=$(observed)
	got=$(try "$user" "$kind" "$addr" "$port")
	[ "$got" = refused ] || fail "$desc: $user $kind $addr:$port: $got, expected refused (at once)"
	sleep 0.1
	local i=0
	for l in "$@"; do
		[ "$(lines "$l")" = "${before[$i]}" ] || fail "$desc: refused, but $(basename "$l") saw it: $(tail -n 1 "$l")"
		i=$((i + 1))
	done
	[ "$obs" = "$(observed)" ] || fail "$desc: refused, but traffic got through: $(observed_diff "$obs" "$(observed)")"
	ok "$desc: $user refused at once ($kind $addr:$port)"
}

# --- the topology beyond lib.sh ------------------------------------------------------

topo_lan() {
	ip netns add lan || fail "ip netns add lan"
	run_in "$LAN" ip link set lo up &&
		in_host ip link add lan0 type veth peer name eth0 netns lan &&
		in_host ip addr add 192.168.77.1/24 dev lan0 &&
		in_host ip link set lan0 up &&
		run_in "$LAN" ip addr add "$LAN_ADDR/24" dev eth0 &&
		run_in "$LAN" ip link set eth0 up || fail "LAN namespace"
	bg lan-srv "$LAN" "$PYI" -u "$FILTERNET" serve --log "$T/obs/lan.log" \
		--tcp "$LAN_ADDR:80" --tcp "$LAN_ADDR:53" --udp "$LAN_ADDR:53" --udp "$LAN_ADDR:137" --udp "$LAN_ADDR:7"
	wait_listen "$LAN" udp "$LAN_ADDR" 7
	# the inet side: DNS-port listeners, and a counter of ICMP echo requests arriving
	bg inet53-srv "$INET" "$PYI" -u "$FILTERNET" serve --log "$T/obs/inet53.log" \
		--tcp 198.51.100.7:53 --udp 198.51.100.7:53
	wait_listen "$INET" udp 198.51.100.7 53
	in_inet nft -f - <<'EOF' || fail "inet ICMP counter"
table inet fwatch {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		icmp type echo-request counter
		icmpv6 type echo-request counter
	}
}
EOF
	# unprivileged ICMP echo (datagram sockets) for every test user; this namespace only
	in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647" || fail "ping_group_range"
}

icmp_seen() { in_inet nft list table inet fwatch | grep -o 'packets [0-9]*' | awk '{s += $2} END {print s + 0}'; }

# The stand-in Tor ports and some other local ports, on the host's loopback
FILTER_TCP_PORTS="9050 9052 9062 9063 951 4101 631 17600 17650 9040 8888 7777"
filter_ports_start() {
	local args=() p
	for p in $FILTER_TCP_PORTS; do args+=(--tcp "127.0.0.1:$p"); done
	args+=(--tcp "[::1]:4101" --tcp "[::1]:8888" --udp 127.0.0.1:5353)
	bg ports "$HOST" "$PYI" -u "$FILTERNET" serve --log "$PORTS_LOG" "${args[@]}"
	wait_listen "$HOST" udp 127.0.0.1 5353
	wait_listen "$HOST" tcp '[::1]' 8888
}

# --- the filter ----------------------------------------------------------------------

# filter_conf FILE [CLEARNET_CONF]: the shipped policy (desktop/filter.conf) with the test
# users in the roles' places: debian-tor -> cltor, clearnet -> clclear, amnesia -> cldesk,
# _apt -> clapt, tails-iuk-get-target-file and Debian-gdm -> clother (the other Tails
# users stay, optional and missing); NFLOG group $FILTER_LOG_GROUP (default 7) for the
# log; plus an optional user that does not exist (clghost) with a service of its own
SHIPPED_FILTER_CONF=${CLEARNET_SRCDIR:-$IT_DIR/../..}/desktop/filter.conf
filter_conf() {
	[ -f "$SHIPPED_FILTER_CONF" ] || fail "no $SHIPPED_FILTER_CONF"
	sed -e "s#^clearnet_config = .*#clearnet_config = ${2:-}#" \
		-e 's/^\(optional_users = .*\)$/\1 clghost/' \
		-e 's/^user = debian-tor$/user = cltor/' -e 's/^user = clearnet$/user = clclear/' \
		-e 's/^user = amnesia$/user = cldesk/' \
		-e '/^users = /{s/\bamnesia\b/cldesk/g; s/\b_apt\b/clapt/g; s/\btails-iuk-get-target-file\b/clother/g; s/\bDebian-gdm\b/clother/g}' \
		-e "s/^group =\$/group = ${FILTER_LOG_GROUP:-7}/" \
		"$SHIPPED_FILTER_CONF" >"$1" || fail "cannot write $1"
	printf '\n[local ghost]\nport = 7777\nusers = clghost\n' >>"$1"
	grep -q '^user = cltor$' "$1" && grep -q '^user = cldesk$' "$1" && grep -q '^users = clapt ' "$1" &&
		grep -q "^group = ${FILTER_LOG_GROUP:-7}\$" "$1" || fail "the shipped config's shape changed: $1"
}

# filter_run ARGS...: clearnet-filter in the host namespace (bounded); FRC, FOUT, FERR
FRC='' FOUT='' FERR=''
filter_run() {
	timeout -k 5 60 nsenter --net="$HOST" -- "$CLEARNET_FILTER" "$@" >"$T/logs/filter.out" 2>"$T/logs/filter.err"
	FRC=$?
	FOUT=$(cat "$T/logs/filter.out")
	FERR=$(cat "$T/logs/filter.err")
	sanitizer_check "$T/logs/filter.err"
	[ "$FRC" -ne 124 ] || fail "clearnet-filter $* did not finish within 60 s"
}

# filter_load CONF: load it, expect success
filter_load() {
	filter_run --config "$1"
	[ "$FRC" -eq 0 ] || fail "clearnet-filter --config $1: exit $FRC: $FERR"
}

filter_table() { in_host nft list table inet clearnet_filter 2>/dev/null; }

# is_lockdown: the table loaded is the drop-all-but-loopback one
is_lockdown() {
	local t
	t=$(filter_table) || return 1
	grep -q 'chain output' <<<"$t" && ! grep -q 'chain refuse' <<<"$t" &&
		[ "$(grep -c 'policy drop' <<<"$t")" -eq 3 ] && grep -q 'oif "lo" accept' <<<"$t"
}
