# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The integration-test harness, sourced by every tests/integration/test-*.sh.
#
# Safety first: a test never touches the machine's own interfaces, firewall, /run/netns or
# /etc. Sourcing this file
#   - skips (exit 77) unless root;
#   - re-executes the test in a private mount namespace and a new PID namespace
#     (unshare --mount --propagation private --pid --fork --kill-child --mount-proc), so
#     every mount it makes is invisible to the machine and every process it starts dies
#     with it, even when the test itself is killed with SIGKILL;
#   - mounts a tmpfs over /run/netns (the only path outside the temporary directory that
#     `ip netns add` writes) and a tmpfs over a fresh `mktemp -d` directory $T that holds
#     everything else: logs, configs, nsd's netns_dir, etc_netns_dir, state_dir, socket;
#   - removes all of it in an EXIT trap.
#
# The topology (topo_setup):
#
#   inet (simulated internet)             host (stand-in for the machine, runs nsd)
#   eth0 192.0.2.2/24 2001:db8::2/64 <--> upl-port -- bridge br-up 192.0.2.1/24 2001:db8::1/64
#   lo:  192.0.2.53 198.51.100.53 (dnsmasq)     default via 192.0.2.2 / 2001:db8::2
#        192.0.2.80  (www.example.test, python3 -m http.server)
#        198.51.100.7 2001:db8:1::7  (netsrv: TCP page :8080, UDP echo :7)
#        routes to 10.0.0.0/8 and 2001:db8:c1::/64 via the host, so that anything the
#        host wrongly forwarded without NAT would get through and be seen
#                                          veth-sib 10.99.0.1/24 <--> sib eth0 10.99.0.2/24
#                                          (topo_sibling: another local namespace)
#                                          veth-clearnet 10.200.1.17/30 <--> clearnet veth0
#                                          (made by nsd, in $T/netns/clearnet)
#
# The host's uplink is a bridge (topo_veth_uplink makes it a veth): nsd forwards out of the
# links of the host's default routes only, whatever their kind.
#
# Observers: every listener logs one line per TCP connection or UDP datagram in $T/obs/,
# and an nftables table in inet counts TCP/UDP arriving from any source but the host's
# uplink address; `observed` fingerprints them so a negative check can assert that
# nothing got through, not only that the client failed.

set -u

IT_NAME=$(basename "$0" .sh)
# The harness's own directory (netsrv.py, pixels.py, ...): the test's, or that of this file
# for a script elsewhere that sources it (./demo).
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: $IT_NAME needs root (it builds network namespaces)"
	exit 77
fi

if [ -z "${CLEARNET_IT_INNER:-}" ]; then
	export CLEARNET_IT_INNER=1
	exec unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
		-- "${BASH:-bash}" "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")" "$@"
	echo "FAIL: cannot re-execute in private namespaces (unshare)"
	exit 1
fi
unset CLEARNET_IT_INNER
# The cleanup signals -1 ("every process we may signal"): safe only as PID 1 of our own PID
# namespace. Never go on otherwise (e.g. CLEARNET_IT_INNER set by a caller).
if [ "$$" -ne 1 ]; then
	echo "FAIL: $IT_NAME is not PID 1 of a private PID namespace (pid $$); not running"
	exit 1
fi
if [ -n "${CLEARNET_IT_TRACE:-}" ]; then
	exec 9>&2
	BASH_XTRACEFD=9
	PS4='+ ${EPOCHREALTIME} '
	set -x
fi

# ---------------------------------------------------------------------------------------
# Reporting

ok()   { echo "ok: $*"; }
info() { echo "# $*"; }
fail() {
	echo "FAIL: $*"
	exit 1
}

# ---------------------------------------------------------------------------------------
# Tools, the daemon under test

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset NOTIFY_SOCKET
export LC_ALL=C
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
if [ -z "${PYTHON:-}" ]; then
	PYTHON=python3
	[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3   # the system's: starts faster than a shim
fi

for tool in ip nft nsenter unshare setsid findmnt mount ss sysctl getent curl dnsmasq timeout "$PYTHON"; do
	command -v "$tool" >/dev/null 2>&1 ||
		fail "missing tool '$tool' (apt-get install iproute2 nftables util-linux procps libc-bin coreutils curl dnsmasq-base python3)"
done

CLEARNET_NSD=${CLEARNET_NSD:-$IT_DIR/../../build/nsd/clearnet-nsd}
need_nsd() {
	[ -x "$CLEARNET_NSD" ] || fail "clearnet-nsd not found at $CLEARNET_NSD (build it, or set CLEARNET_NSD)"
}
NETSRV=$IT_DIR/netsrv.py

# ---------------------------------------------------------------------------------------
# Private directories and cleanup

declare -A NSD_PID=() NSD_LOG=() BG_PID=()
T=$(mktemp -d /tmp/clearnet-it.XXXXXX) || fail "mktemp"
T_MOUNTED=

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	set +e
	if [ "$rc" -ne 0 ] && [ -n "$T_MOUNTED" ]; then
		local f tag
		for tag in "${!NSD_PID[@]}"; do
			kill -0 "${NSD_PID[$tag]}" 2>/dev/null ||
				echo "# note: nsd ($tag, pid ${NSD_PID[$tag]}) had already exited when the test failed"
		done
		for f in "$T"/logs/nsd-*.log; do
			[ -s "$f" ] || continue
			echo "# ---- last lines of $(basename "$f")"
			tail -n 40 "$f" | sed 's/^/#   /'
		done
	fi
	# We are PID 1 of our own PID namespace: -1 reaches every process we started, and
	# nothing else. SIGTERM first (nsd tears down), then SIGKILL, bounded.
	if [ "$$" -eq 1 ]; then
		kill -TERM -1 2>/dev/null
		local i
		for i in $(seq 50); do
			kill -0 -1 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -1 2>/dev/null
		wait 2>/dev/null
	fi
	cgroup_test_remove
	if [ -n "$T_MOUNTED" ]; then
		umount -R -l "$T" 2>/dev/null
	fi
	rm -rf --one-file-system "$T" 2>/dev/null || rmdir "$T" 2>/dev/null
	[ "$rc" -eq 0 ] && echo "PASS: $IT_NAME" || echo "FAILED: $IT_NAME (exit $rc)"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mount -t tmpfs -o mode=0700,size=64m clearnet-it "$T" || fail "cannot mount a tmpfs on $T"
T_MOUNTED=1
# /run/netns: `ip netns add` bind-mounts there. Hide the machine's with a tmpfs of our own
# (mkdir only matters on a machine that never had one; /run is a tmpfs anyway).
mkdir -p /run/netns || fail "mkdir /run/netns"
mount -t tmpfs -o mode=0755,size=1m clearnet-it-netns /run/netns || fail "cannot mount a tmpfs on /run/netns"

mkdir -p "$T"/logs "$T"/obs "$T"/www "$T"/netns "$T"/etc-netns "$T"/state "$T"/run "$T"/cfg

# The daemon's settings (write_conf uses these; tests may change them)
NS_NAME=clearnet
NETNS_DIR=$T/netns
HOST_VETH=veth-clearnet
NS_VETH=veth0
HOST_ADDR=10.200.1.17/30
NS_ADDR=10.200.1.18/30
NFT_TABLE=clearnet
RESOLV=$T/resolv-over-clearnet.conf
ETC_NETNS_DIR=$T/etc-netns
KEEP=no
SOCKET=$T/run/nsd.sock
STATE_DIR=$T/state

HOST=/run/netns/host
INET=/run/netns/inet
SIB=/run/netns/sib
WWW_MARKER=clearnet-it-www-$RANDOM$RANDOM
INET_MARKER=clearnet-it-inet-$RANDOM$RANDOM
HOST_MARKER=LEAK-host-service
SIB_MARKER=LEAK-sibling-service
CLEAR_MARKER=LEAK-inside-clearnet

# (the clearnet namespace's own test listener, for incoming checks: TCP :9090, UDP :9007)

# clearnet NAME: the namespace file nsd makes
clear_nsf() { echo "$NETNS_DIR/${1:-$NS_NAME}"; }

# in NSFILE CMD...: run CMD in the network namespace bound at NSFILE (same mount namespace,
# so nsd's bind mounts stay visible; not `ip netns exec`, which would hide them)
run_in() {
	local nsf=$1
	shift
	nsenter --net="$nsf" -- "$@"
}
in_host()  { run_in "$HOST" "$@"; }
in_inet()  { run_in "$INET" "$@"; }
in_clear() { run_in "$(clear_nsf)" "$@"; }

# in_clear_dns [NAME] -- CMD...: like `ip netns exec NAME CMD`: the namespace's own
# resolv.conf (the copy nsd keeps in etc_netns_dir) bound over /etc/resolv.conf
in_clear_dns() {
	local name=$NS_NAME
	if [ "$1" != "--" ]; then name=$1; shift; fi
	shift
	run_in "$(clear_nsf "$name")" unshare --mount --propagation private -- \
		sh -c 'mount --bind "$1" /etc/resolv.conf || exit 125; shift; exec "$@"' sh \
		"$ETC_NETNS_DIR/$name/resolv.conf" "$@"
}

# wait_until N CMD...: poll CMD every 0.1 s, at most N times
wait_until() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------------------------------
# Background processes (all in our PID namespace; cleanup kills them all)

# bg NAME NSFILE CMD...: start CMD in its own session, output in $T/logs/NAME.out
bg() {
	local name=$1 nsf=$2
	shift 2
	setsid nsenter --net="$nsf" -- "$@" >"$T/logs/$name.out" 2>&1 &
	BG_PID[$name]=$!
}

bg_stop() {
	local pid=${BG_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "BG_PID[$1]"
}

# wait_listen NSFILE tcp|udp ADDR PORT: ADDR as ss prints it (0.0.0.0, [::], 192.0.2.80)
listening() {
	local nsf=$1 proto=$2 addr=$3 port=$4 flag=t
	[ "$proto" = udp ] && flag=u
	run_in "$nsf" ss -Hln$flag | awk '{print $4}' | grep -qxF -- "$addr:$port"
}
wait_listen() {
	wait_until 300 listening "$@" || fail "no $2 listener on $3:$4 in $1 (see $T/logs)"
}

# ---------------------------------------------------------------------------------------
# Topology

topo_setup() {
	ip netns add host || fail "ip netns add host"
	ip netns add inet || fail "ip netns add inet"
	local c
	while read -r c; do
		[ -n "$c" ] || continue
		# shellcheck disable=SC2086
		eval "$c" || fail "topology: $c"
	done <<'EOF'
in_host sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
in_inet sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
in_host ip link set lo up
in_inet ip link set lo up
in_host ip link add br-up type bridge
in_host ip link add upl-port type veth peer name eth0 netns inet
in_host ip link set upl-port master br-up
in_host ip link set upl-port up
in_host ip link set br-up up
in_host ip addr add 192.0.2.1/24 dev br-up
in_host ip addr add 2001:db8::1/64 dev br-up nodad
in_host ip route add default via 192.0.2.2
in_host ip -6 route add default via 2001:db8::2
in_host sysctl -qw net.ipv6.conf.all.forwarding=1
in_inet ip addr add 192.0.2.2/24 dev eth0
in_inet ip addr add 2001:db8::2/64 dev eth0 nodad
in_inet ip link set eth0 up
in_inet ip addr add 192.0.2.53/32 dev lo
in_inet ip addr add 198.51.100.53/32 dev lo
in_inet ip addr add 192.0.2.80/32 dev lo
in_inet ip addr add 198.51.100.7/32 dev lo
in_inet ip addr add 2001:db8:1::7/128 dev lo nodad
in_inet ip route add 10.0.0.0/8 via 192.0.2.1
in_inet ip -6 route add 2001:db8:c1::/64 via 2001:db8::1
EOF
	# A firewall of the host's own, which nsd must leave alone (accepting, no counters).
	in_host nft -f - <<'EOF' || fail "host firewall"
table inet hostfw {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state invalid drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
	}
}
EOF
	# Count TCP/UDP that reaches the internet from anything but the host's own address
	# (unmasqueraded namespace traffic, spoofed sources, sibling traffic forwarded).
	in_inet nft -f - <<'EOF' || fail "inet watch table"
table inet itwatch {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "eth0" ip saddr != 192.0.2.1 meta l4proto { tcp, udp } counter
		iifname "eth0" ip6 saddr != 2001:db8::1 meta l4proto { tcp, udp } counter
	}
}
EOF
	printf 'nameserver 192.0.2.53\n' >"$RESOLV"
	in_host ip -4 route get 192.0.2.80 >/dev/null || fail "host has no route to the internet"
}

# topo_sibling: another local namespace behind a veth of the host, with a default route
# via the host, and a listener (TCP :8080, UDP :7)
topo_sibling() {
	ip netns add sib || fail "ip netns add sib"
	run_in "$SIB" ip link set lo up &&
		in_host ip link add veth-sib type veth peer name eth0 netns sib &&
		in_host ip addr add 10.99.0.1/24 dev veth-sib &&
		in_host ip link set veth-sib up &&
		run_in "$SIB" ip addr add 10.99.0.2/24 dev eth0 &&
		run_in "$SIB" ip link set eth0 up &&
		run_in "$SIB" ip route add default via 10.99.0.1 || fail "sibling namespace"
	bg sib-srv "$SIB" "$PYTHON" -u "$NETSRV" serve --log "$T/obs/sib.log" --marker "$SIB_MARKER" \
		--tcp 0.0.0.0:8080 --udp 0.0.0.0:7
	wait_listen "$SIB" tcp 0.0.0.0 8080
	wait_listen "$SIB" udp 0.0.0.0 7
}

# services_start: dnsmasq, the www server, the inet test server, the host's own services
services_start() {
	printf '<html><body>%s</body></html>\n' "$WWW_MARKER" >"$T/www/index.html"
	bg dnsmasq "$INET" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--bind-interfaces --listen-address=192.0.2.53 --listen-address=198.51.100.53 \
		--address=/www.example.test/192.0.2.80 --address=/inet.example.test/198.51.100.7 \
		--user=root --group=root --pid-file="$T/dnsmasq.pid" \
		--log-queries --log-facility="$T/logs/dnsmasq.log"
	bg www "$INET" "$PYTHON" -u -m http.server --bind 192.0.2.80 --directory "$T/www" 80
	bg inet-srv "$INET" "$PYTHON" -u "$NETSRV" serve --log "$T/obs/inet.log" --marker "$INET_MARKER" \
		--tcp 198.51.100.7:8080 --udp 198.51.100.7:7 \
		--tcp '[2001:db8::2]:8080' --udp '[2001:db8::2]:7' --tcp '[2001:db8:1::7]:8080'
	# The host's own services, which the namespace must never reach: every address of the
	# host (loopback 127.0.0.0/8, uplink, veth ends) on TCP :8080 and UDP :7, v4 and v6.
	bg host-srv "$HOST" "$PYTHON" -u "$NETSRV" serve --log "$T/obs/host.log" --marker "$HOST_MARKER" \
		--tcp 0.0.0.0:8080 --udp 0.0.0.0:7 --tcp '[::]:8080' --udp '[::]:7'
	wait_listen "$INET" udp 192.0.2.53 53
	wait_listen "$INET" tcp 192.0.2.80 80
	wait_listen "$INET" tcp '[2001:db8:1::7]' 8080
	wait_listen "$INET" udp '[2001:db8::2]' 7
	wait_listen "$HOST" tcp '[::]' 8080
	wait_listen "$HOST" udp '[::]' 7
	# the harness itself works: the host reaches its internet
	expect_http "$HOST" http://192.0.2.80/ "$WWW_MARKER" "harness: host fetches the www page"
	expect_udp "$HOST" 198.51.100.7 7 "harness: host gets the inet UDP echo"
}

# clear_listener [NAME]: a listener inside the clearnet namespace (TCP :9090, UDP :9007),
# for checks that nothing from outside gets in
clear_listener() {
	local name=${1:-$NS_NAME}
	bg "clear-srv-$name" "$(clear_nsf "$name")" "$PYTHON" -u "$NETSRV" serve --log "$T/obs/clear-$name.log" \
		--marker "$CLEAR_MARKER" --tcp 0.0.0.0:9090 --udp 0.0.0.0:9007
	wait_listen "$(clear_nsf "$name")" tcp 0.0.0.0 9090
	wait_listen "$(clear_nsf "$name")" udp 0.0.0.0 9007
}

# ---------------------------------------------------------------------------------------
# The daemon

# write_conf FILE: a config from the variables above
write_conf() {
	cgroup_test_setup
	cat >"$1" <<EOF
# written by $IT_NAME
[namespace]
name = $NS_NAME
netns_dir = $NETNS_DIR
host_veth = $HOST_VETH
ns_veth = $NS_VETH
host_address = $HOST_ADDR
ns_address = $NS_ADDR
nft_table = $NFT_TABLE
resolv_conf = $RESOLV
etc_netns_dir = $ETC_NETNS_DIR
keep_on_exit = $KEEP

[daemon]
socket = $SOCKET
state_dir = $STATE_DIR
$(cgroup_conf)
EOF
}

NSD_SEQ=0
NSD_RC=

sanitizer_check() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' "$f"; then
			grep -E -A20 'Sanitizer|runtime error:' "$f" | head -n 60 | sed 's/^/#   /'
			fail "sanitizer report in $(basename "$f")"
		fi
	done
}

# nsd_spawn CONF [TAG [VAR=VALUE...]]: start nsd in the host namespace, do not wait
nsd_spawn() {
	local conf=$1 tag=${2:-main}
	shift $(($# >= 2 ? 2 : 1))
	need_nsd
	NSD_SEQ=$((NSD_SEQ + 1))
	NSD_LOG[$tag]=$T/logs/nsd-$tag.$NSD_SEQ.log
	setsid nsenter --net="$HOST" -- env -u NOTIFY_SOCKET "$@" \
		"$CLEARNET_NSD" --config "$conf" >"${NSD_LOG[$tag]}" 2>&1 &
	NSD_PID[$tag]=$!
}

nsd_is_ready() { grep -q 'ready:' "${NSD_LOG[$1]}"; }

# nsd_start CONF [TAG [VAR=VALUE...]]: start nsd and wait (bounded) for its `ready:` line
nsd_start() {
	local tag=${2:-main} i
	nsd_spawn "$@"
	for ((i = 0; i < 300; i++)); do
		nsd_is_ready "$tag" && break
		kill -0 "${NSD_PID[$tag]}" 2>/dev/null || {
			wait "${NSD_PID[$tag]}"
			sed 's/^/#   /' "${NSD_LOG[$tag]}"
			fail "nsd ($tag) exited with status $? before it was ready"
		}
		sleep 0.1
	done
	nsd_is_ready "$tag" || fail "nsd ($tag) not ready after 30 s"
	sanitizer_check "${NSD_LOG[$tag]}"
	ok "nsd ($tag) ready: $(grep -m1 'ready:' "${NSD_LOG[$tag]}")"
}

# nsd_signal TAG SIGNAL
nsd_signal() { kill "-$2" "${NSD_PID[$1]}" || fail "cannot send SIG$2 to nsd ($1)"; }

# nsd_wait_exit TAG: wait (bounded) for nsd to exit; NSD_RC is its status
nsd_wait_exit() {
	# (stderr off: bash's own "Killed" job notice is noise here; fail prints to stdout)
	_nsd_wait_exit "$@" 2>/dev/null
}
_nsd_wait_exit() {
	local tag=$1 pid=${NSD_PID[$1]} i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "nsd ($tag) still running 30 s after the signal"
	wait "$pid"
	NSD_RC=$?
	unset "NSD_PID[$tag]"
}

# nsd_stop TAG [SIGNAL]: stop nsd (default SIGTERM), expect exit status 0, no sanitizer report
nsd_stop() {
	local tag=${1:-main} sig=${2:-TERM}
	nsd_signal "$tag" "$sig"
	nsd_wait_exit "$tag"
	sanitizer_check "${NSD_LOG[$tag]}"
	[ "$NSD_RC" -eq 0 ] || fail "nsd ($tag) exited with status $NSD_RC after SIG$sig"
	ok "nsd ($tag) exited with status 0 after SIG$sig"
}

# nsd_kill9 TAG: what a crash leaves
nsd_kill9() {
	nsd_signal "${1:-main}" KILL
	nsd_wait_exit "${1:-main}"
}

# nsd_run ARGS...: run nsd in the foreground in the host namespace (bounded);
# NSD_RC, $T/logs/run.out, $T/logs/run.err
# (NSD_ENV: an array of VAR=VALUE for that run, empty by default)
NSD_ENV=()
nsd_run() {
	need_nsd
	timeout -k 5 60 nsenter --net="$HOST" -- env -u NOTIFY_SOCKET ${NSD_ENV[@]+"${NSD_ENV[@]}"} \
		"$CLEARNET_NSD" "$@" >"$T/logs/run.out" 2>"$T/logs/run.err"
	NSD_RC=$?
	sanitizer_check "$T/logs/run.err"
	[ "$NSD_RC" -ne 124 ] || fail "clearnet-nsd $* did not finish within 60 s"
}

# finish: stop every nsd still running (SIGTERM, status 0), final sanitizer check
finish() {
	local tag
	for tag in "${!NSD_PID[@]}"; do
		nsd_stop "$tag"
	done
	sanitizer_check "$T"/logs/nsd-*.log
}

# ---------------------------------------------------------------------------------------
# Checks. NSFILE is the namespace the client runs in.

CURL_OK=(curl -sS --noproxy '*' --connect-timeout 5 --max-time 10)
CURL_NO=(curl -sS --noproxy '*' --connect-timeout 1 --max-time 2)

# observed: what the observers have seen so far (line counts and counters)
observed() {
	local f
	for f in "$T"/obs/*.log; do
		[ -f "$f" ] && printf '%s %s\n' "$(basename "$f")" "$(wc -l <"$f")"
	done
	in_inet nft list table inet itwatch 2>/dev/null | grep -o 'packets [0-9]*' | tr '\n' ' '
	echo
}

observed_diff() {
	diff <(echo "$1") <(echo "$2") | grep '^[<>]' | tr '\n' ' '
}

# expect_http NSFILE URL MARKER DESC [CURL ARGS...]
expect_http() {
	local nsf=$1 url=$2 marker=$3 desc=$4 out rc
	shift 4
	out=$(run_in "$nsf" "${CURL_OK[@]}" "$@" "$url" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -qF -- "$marker" <<<"$out"; then
		ok "$desc"
	else
		fail "$desc: curl $* $url: exit $rc: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# expect_no_tcp NSFILE URL DESC [CURL ARGS...]: the client fails and no observer saw anything
expect_no_tcp() {
	local nsf=$1 url=$2 desc=$3 out rc before after
	shift 3
	before=$(observed)
	out=$(run_in "$nsf" "${CURL_NO[@]}" "$@" "$url" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 125 ] || fail "$desc: curl $* $url got through: $(echo "$out" | head -c 300)"
	sleep 0.2
	after=$(observed)
	[ "$before" = "$after" ] || fail "$desc: curl failed, but traffic got through: $(observed_diff "$before" "$after")"
	ok "$desc ($(echo "$out" | tail -n 1 | sed 's/^curl: ([0-9]*) //'))"
}

# expect_seen DESC CMD...: harness sanity: CMD (its result ignored) gets something through
# to an observer, so that the matching negative check is able to fail
expect_seen() {
	local desc=$1 before after
	shift
	before=$(observed)
	"$@" >/dev/null 2>&1
	sleep 0.2
	after=$(observed)
	[ "$before" != "$after" ] || fail "harness sanity: $desc: no observer saw it, so the negative check proves nothing"
	ok "harness sanity: $desc ($(observed_diff "$before" "$after"))"
}

# expect_udp NSFILE ADDR PORT DESC [--bind SRC]
expect_udp() {
	local nsf=$1 addr=$2 port=$3 desc=$4 out
	shift 4
	out=$(run_in "$nsf" "$PYTHON" "$NETSRV" udp "$addr" "$port" --timeout 5 "$@" 2>&1) ||
		fail "$desc: no UDP echo from $addr:$port: $out"
	ok "$desc"
}

# expect_no_udp NSFILE ADDR PORT DESC [--bind SRC]: no echo and no observer saw the datagram
expect_no_udp() {
	local nsf=$1 addr=$2 port=$3 desc=$4 out rc before after
	shift 4
	before=$(observed)
	out=$(run_in "$nsf" "$PYTHON" "$NETSRV" udp "$addr" "$port" --timeout 1 "$@" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fail "$desc: UDP echo from $addr:$port came back"
	sleep 0.2
	after=$(observed)
	[ "$before" = "$after" ] || fail "$desc: no echo, but the datagram got through: $(observed_diff "$before" "$after")"
	ok "$desc ($(echo "$out" | tail -n 1 | sed 's/^udp [^ ]* //'))"
}

# dns_lookup_ok [NAME]: getent and curl by name inside the clearnet namespace
expect_dns_http() {
	local name=${1:-$NS_NAME} out rc
	out=$(in_clear_dns "$name" -- getent hosts www.example.test 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && grep -q '^192\.0\.2\.80 ' <<<"$out" ||
		fail "DNS in $name: getent hosts www.example.test: exit $rc: $out"
	ok "DNS in $name: www.example.test is $(echo "$out" | awk '{print $1}')"
	out=$(in_clear_dns "$name" -- "${CURL_OK[@]}" http://www.example.test/ 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && grep -qF "$WWW_MARKER" <<<"$out" ||
		fail "HTTP by name in $name: curl http://www.example.test/: exit $rc: $(echo "$out" | tail -n 2)"
	ok "HTTP by name in $name: http://www.example.test/ served the marker page"
}

# expect_reach [NAME]: TCP, UDP, DNS by name from inside the clearnet namespace
expect_reach() {
	local name=${1:-$NS_NAME}
	local nsf
	nsf=$(clear_nsf "$name")
	expect_http "$nsf" http://192.0.2.80/ "$WWW_MARKER" "TCP from $name: http://192.0.2.80/"
	expect_http "$nsf" http://198.51.100.7:8080/ "$INET_MARKER" "TCP from $name: http://198.51.100.7:8080/"
	expect_udp "$nsf" 198.51.100.7 7 "UDP from $name: echo from 198.51.100.7:7"
	expect_dns_http "$name"
}

# ns_whole [NAME]: the namespace is complete and works (links lo + ns veth, host veth up,
# inet reachable): a predicate for wait_until after a SIGHUP
ns_whole() {
	local name=${1:-$NS_NAME} nsf
	nsf=$(clear_nsf "$name")
	nsenter --net="$nsf" "${CURL_NO[@]}" http://198.51.100.7:8080/ 2>/dev/null | grep -qF "$INET_MARKER" &&
		[ "$(nsenter --net="$nsf" ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')" = "lo $NS_VETH " ] &&
		in_host ip -o link show dev "$HOST_VETH" | grep -q 'state UP'
}

# ---------------------------------------------------------------------------------------
# Snapshots of the host namespace (what nsd may change) and of our own directories

snapshot() {
	local d=$1
	mkdir -p "$d"
	in_host ip -d link show | sed -E 's/([a-z_]+_timer) +[0-9.]+/\1 X/g' >"$d/link"
	in_host ip addr show >"$d/addr"
	in_host ip -4 route show table all >"$d/route4"
	in_host ip -6 route show table all >"$d/route6"
	in_host ip -4 rule show >"$d/rule4"
	in_host ip -6 rule show >"$d/rule6"
	in_host nft list ruleset >"$d/nft"
	in_host sysctl -a 2>/dev/null | grep -E '^net\.(ipv4\.ip_forward|ipv4\.conf\.|ipv6\.conf\.)' |
		sort >"$d/sysctl"
	findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION | sort >"$d/mounts"
	# nsd's files (the control socket is checked apart: see socket_left)
	(cd "$T" && find netns etc-netns state run | grep -vxF "${SOCKET#"$T"/}" | sort) >"$d/files"
	[ -s "$d/link" ] && [ -s "$d/sysctl" ] || fail "snapshot $d is incomplete"
}

# expect_same_snapshot BEFORE AFTER DESC
expect_same_snapshot() {
	local out
	if out=$(diff -ru "$1" "$2"); then
		ok "$3"
	else
		echo "$out" | head -n 80 | sed 's/^/#   /'
		fail "$3: the host differs (diff above: - before, + after)"
	fi
}

# dns_servers FILE: the nameserver lines of a resolv.conf, one address a line
dns_servers() { awk '$1 == "nameserver" { print $2 }' "$1" 2>/dev/null; }

# expect_dns_copy [NAME]: etc_netns_dir/NAME/resolv.conf has resolv_conf's IPv4,
# non-loopback servers (nsd drops loopback and IPv6 ones: never clearnet's)
expect_dns_copy() {
	local name=${1:-$NS_NAME} want got
	want=$(dns_servers "$RESOLV" | grep -v -E '^(127\.|0\.0\.0\.0$)' | grep -v ':')
	got=$(dns_servers "$ETC_NETNS_DIR/$name/resolv.conf")
	[ "$want" = "$got" ] ||
		fail "$ETC_NETNS_DIR/$name/resolv.conf lists '$(echo $got)', resolv_conf '$(echo $want)'"
	ok "etc_netns_dir/$name/resolv.conf has the clearnet servers of resolv_conf ($(echo $got))"
}

# host_sysctl KEY: read a sysctl in the host namespace
host_sysctl() { in_host sysctl -n "$1" 2>/dev/null; }
clear_sysctl() { in_clear sysctl -n "$1" 2>/dev/null; }

# host table listing without counters or handles
host_table() { in_host nft list table inet "${1:-$NFT_TABLE}" 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/g'; }
clear_table() { run_in "$(clear_nsf "${2:-$NS_NAME}")" nft list table inet "${1:-$NFT_TABLE}" 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/g'; }

# ---------------------------------------------------------------------------------------
# More of what a real host has besides its uplink (issue 11: egress only through the
# uplinks). Each adds to the topology of topo_setup; each listener logs in $T/obs/, so
# `observed` sees whatever reaches it.
#
#   host: docker0 172.17.0.1/16 (bridge) -- veth-ctr <--> ctr eth0 172.17.0.2/16
#         mv-host 172.18.0.1/24 (macvlan on mv-lower, a veth) ... mvns mv0 172.18.0.2/24
#         upl2 203.0.113.1/24 (veth, a second uplink) <--> inet eth1 203.0.113.2/24
#   topo_veth_uplink: the uplink is upl-port itself (a veth), br-up is gone

CTR=/run/netns/ctr
MVNS=/run/netns/mvns
CTR_MARKER=LEAK-container-service
MV_MARKER=LEAK-macvlan-service

# serve_marker NAME NSFILE MARKER: a listener in NSFILE on TCP :8080 and UDP :7 that
# answers MARKER and logs to $T/obs/NAME.log
serve_marker() {
	bg "$1-srv" "$2" "$PYTHON" -u "$NETSRV" serve --log "$T/obs/$1.log" --marker "$3" \
		--tcp 0.0.0.0:8080 --udp 0.0.0.0:7
	wait_listen "$2" tcp 0.0.0.0 8080
	wait_listen "$2" udp 0.0.0.0 7
}

# topo_veth_uplink: the host is itself a container or a VM guest wired with a veth: its
# uplink is the veth upl-port, no bridge. Call right after topo_setup.
topo_veth_uplink() {
	in_host ip link set upl-port nomaster &&
		in_host ip link del br-up &&
		in_host ip addr add 192.0.2.1/24 dev upl-port &&
		in_host ip -6 addr add 2001:db8::1/64 dev upl-port nodad &&
		in_host ip route add default via 192.0.2.2 dev upl-port &&
		in_host ip -6 route add default via 2001:db8::2 dev upl-port || fail "veth uplink"
	in_host ip -4 route get 192.0.2.80 | grep -q 'dev upl-port' || fail "veth uplink: no route out of upl-port"
}

# topo_docker: a docker0-style bridge with a container namespace behind it (default route
# via the bridge), and a listener there (TCP :8080, UDP :7)
topo_docker() {
	ip netns add ctr || fail "ip netns add ctr"
	run_in "$CTR" ip link set lo up &&
		in_host ip link add docker0 type bridge &&
		in_host ip addr add 172.17.0.1/16 dev docker0 &&
		in_host ip link set docker0 up &&
		in_host ip link add veth-ctr type veth peer name eth0 netns ctr &&
		in_host ip link set veth-ctr master docker0 &&
		in_host ip link set veth-ctr up &&
		run_in "$CTR" ip addr add 172.17.0.2/16 dev eth0 &&
		run_in "$CTR" ip link set eth0 up &&
		run_in "$CTR" ip route add default via 172.17.0.1 || fail "container behind docker0"
	serve_marker ctr "$CTR" "$CTR_MARKER"
}

# topo_macvlan: a namespace on a macvlan (bridge mode) of the host, which reaches it
# through a macvlan of its own on the same lower link (as container tools set it up). The
# lower link is a veth whose other end goes nowhere (the kernel here has no dummy links).
topo_macvlan() {
	ip netns add mvns || fail "ip netns add mvns"
	run_in "$MVNS" ip link set lo up &&
		in_host ip link add mv-lower type veth peer name mv-lower-end &&
		in_host ip link set mv-lower-end up &&
		in_host ip link set mv-lower up &&
		in_host ip link add mv-host link mv-lower type macvlan mode bridge &&
		in_host ip addr add 172.18.0.1/24 dev mv-host &&
		in_host ip link set mv-host up &&
		in_host ip link add mv0 link mv-lower type macvlan mode bridge &&
		in_host ip link set mv0 netns mvns &&
		run_in "$MVNS" ip addr add 172.18.0.2/24 dev mv0 &&
		run_in "$MVNS" ip link set mv0 up &&
		run_in "$MVNS" ip route add default via 172.18.0.1 || fail "macvlan namespace"
	serve_marker mv "$MVNS" "$MV_MARKER"
}

# topo_second_uplink: a second link from the host to the internet (a veth, upl2), with no
# default route on it yet; and counters in inet of the TCP/UDP arriving on each path
topo_second_uplink() {
	in_host ip link add upl2 type veth peer name eth1 netns inet &&
		in_host ip addr add 203.0.113.1/24 dev upl2 &&
		in_host ip link set upl2 up &&
		in_inet ip addr add 203.0.113.2/24 dev eth1 &&
		in_inet ip link set eth1 up || fail "second uplink"
	in_inet nft -f - <<'NFT' || fail "inet path counters"
table inet itpath {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "eth0" meta l4proto { tcp, udp } counter
		iifname "eth1" meta l4proto { tcp, udp } counter
	}
}
NFT
}

# path_count IFNAME: TCP/UDP packets that reached inet over its IFNAME (eth0: the first
# uplink, eth1: upl2)
path_count() {
	in_inet nft list chain inet itpath pre | grep "iifname \"$1\"" | grep -o 'packets [0-9]*' | awk '{print $2}'
}

# uplink_set [NSFILE]: the elements of nsd's uplinks set, one name a line, sorted
uplink_set() {
	run_in "${1:-$HOST}" nft list set inet "$NFT_TABLE" uplinks 2>/dev/null |
		sed -n '/elements/,/}/p' | tr -d '{},"=\t' | sed 's/elements//' | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' '
}

# local_nets_set [NSFILE]: the elements of nsd's local_nets set (host side by default)
local_nets_set() {
	run_in "${1:-$HOST}" nft list set inet "$NFT_TABLE" local_nets 2>/dev/null |
		sed -n '/elements/,/}/p' | tr -d '{},=\t' | sed 's/elements//' | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' '
}

# expect_host_reaches ADDR MARKER DESC: the positive control, from the host itself: TCP
# :8080 answers with MARKER and UDP :7 echoes
expect_host_reaches() {
	expect_http "$HOST" "http://$1:8080/" "$2" "host itself: $3 answers TCP"
	expect_udp "$HOST" "$1" 7 "host itself: $3 answers UDP"
}

# expect_unreachable NSFILE ADDR DESC: no TCP :8080, no UDP :7, and no observer saw it
expect_unreachable() {
	expect_no_tcp "$1" "http://$2:8080/" "$3: no TCP"
	expect_no_udp "$1" "$2" 7 "$3: no UDP"
}

# expect_fenced PHASE ADDR...: each ADDR unreachable from the clearnet namespace (as
# expect_unreachable); then again with the namespace's own table removed, as root inside
# can remove it, so that nsd's host side alone must hold. nsd (TAG main) is frozen
# meanwhile, as it would put the table back at once; it puts it back when woken.
expect_fenced() {
	local phase=$1 a
	shift
	for a in "$@"; do
		expect_unreachable "$(clear_nsf)" "$a" "$phase: $a"
	done
	nsd_signal main STOP
	in_clear nft delete table inet "$NFT_TABLE" || fail "$phase: cannot delete the namespace's table"
	[ -z "$(in_clear nft list ruleset)" ] || fail "$phase: the namespace still has rules"
	for a in "$@"; do
		expect_unreachable "$(clear_nsf)" "$a" "$phase, no table inside: $a"
	done
	nsd_signal main CONT
	wait_until 100 sh -c "nsenter --net='$(clear_nsf)' nft list table inet '$NFT_TABLE'" ||
		fail "$phase: nsd did not put the namespace's table back"
}

# cgroups for the test's nsd: a subtree this test creates and removes, given to nsd in the
# config (the test never changes a cgroup it did not make). cgroup v2 first: below the
# cgroup v2 root, whose subtree_control must already enable pids, as [daemon] cgroup
# (CG_KIND=v2). On a hybrid host (the pids controller bound to a cgroup v1 hierarchy):
# below the roots of the v1 pids and memory hierarchies, as [daemon] cgroup_v1_pids and
# cgroup_v1_memory (CG_KIND=v1; CG_TEST_MEM: the memory one). CG_TEST is where launches'
# pids limits go. Where this machine has neither, the config says so explicitly:
# [daemon] limits = no.

CG_TEST='' CG_TEST_MEM='' CG_KIND='' CG_NOTE=''
# cgroup_mount CONTROLLER: the mount point of the cgroup v1 hierarchy with it
# (CONTROLLER "": the cgroup2 file system)
cgroup_mount() {
	awk -v c="$1" '{
		for (i = 7; i <= NF; i++) if ($i == "-") break
		if (c == "" && $(i + 1) == "cgroup2") { print $5; exit }
		if (c != "" && $(i + 1) == "cgroup") {
			n = split($(i + 3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit }
		}
	}' /proc/self/mountinfo
}

cgroup_test_setup() {
	[ -z "$CG_TEST$CG_NOTE" ] || return 0
	local mnt pids mem
	mnt=$(cgroup_mount '')
	if [ -n "$mnt" ] && grep -qw pids "$mnt/cgroup.subtree_control" 2>/dev/null; then
		CG_TEST=$(mktemp -d "$mnt/clearnet-it.XXXXXX") || CG_TEST='' CG_NOTE="cannot create a cgroup in $mnt"
		CG_KIND=v2 CG_TEST_MEM=$CG_TEST
	elif pids=$(cgroup_mount pids) && [ -n "$pids" ]; then
		CG_KIND=v1
		if ! CG_TEST=$(mktemp -d "$pids/clearnet-it.XXXXXX"); then
			CG_TEST='' CG_NOTE="cannot create a cgroup in the cgroup v1 pids hierarchy $pids"
		elif mem=$(cgroup_mount memory) && [ -n "$mem" ]; then
			CG_TEST_MEM=$(mktemp -d "$mem/clearnet-it.XXXXXX") || CG_TEST_MEM=''
		fi
	elif [ -z "$mnt" ]; then
		CG_NOTE="no cgroup v2 file system is mounted, and no cgroup v1 pids hierarchy"
	else
		CG_NOTE="the cgroup v2 controller pids is not enabled in $mnt/cgroup.subtree_control, and no cgroup v1 pids hierarchy is mounted"
	fi
	[ -z "$CG_NOTE" ] || info "note: $CG_NOTE: nsd runs with [daemon] limits = no"
}

# cgroup_conf: the [daemon] lines for it
cgroup_conf() {
	if [ "$CG_KIND" = v2 ] && [ -n "$CG_TEST" ]; then
		echo "cgroup = $CG_TEST"
	elif [ -n "$CG_TEST" ]; then
		echo "cgroup_v1_pids = $CG_TEST"
		[ -z "$CG_TEST_MEM" ] || echo "cgroup_v1_memory = $CG_TEST_MEM"
	else
		echo "limits = no"
	fi
}

# cgroup_v1_remove DIR: end what is in the v1 cgroup DIR and below, remove them (bounded)
cgroup_v1_remove() {
	local i d left
	for i in $(seq 50); do
		left=$(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null | grep -vx 0)
		[ -n "$left" ] || break
		# shellcheck disable=SC2086 # one pid a word
		kill -KILL $left 2>/dev/null
		sleep 0.1
	done
	find "$1" -depth -mindepth 1 -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null; done
	rmdir "$1" 2>/dev/null || echo "# note: could not remove the test's cgroup $1"
}

# cgroup_test_remove: end whatever is left in the test's cgroups and remove them (bounded)
cgroup_test_remove() {
	[ -n "$CG_TEST" ] || return 0
	local i d
	if [ "$CG_KIND" = v1 ]; then
		[ ! -d "$CG_TEST" ] || cgroup_v1_remove "$CG_TEST"
		[ -z "$CG_TEST_MEM" ] || [ ! -d "$CG_TEST_MEM" ] || cgroup_v1_remove "$CG_TEST_MEM"
		return 0
	fi
	[ -d "$CG_TEST" ] || return 0
	echo 1 >"$CG_TEST/cgroup.kill" 2>/dev/null
	for i in $(seq 50); do
		grep -q 'populated 0' "$CG_TEST/cgroup.events" 2>/dev/null && break
		sleep 0.1
	done
	find "$CG_TEST" -depth -mindepth 1 -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null; done
	rmdir "$CG_TEST" 2>/dev/null || echo "# note: could not remove the test's cgroup $CG_TEST"
}

# ---------------------------------------------------------------------------------------
# Tails' Tor-only namespaces (issue 15): kind = tor-ports, each offering some of the host's
# loopback ports (stand-ins for Tor's SOCKS 9050 and control-port filter 951) as
# 127.0.0.1:PORT inside, and nothing else.
#
#   tbb 10.200.1.0/30 (9050 951)   onioncircs 10.200.1.4/30 (951)
#   tca 10.200.1.8/30 (951)        onionshare 10.200.1.12/30 (9050 951)
#   (the clearnet one is 10.200.1.16/30)
TOR_MARKER=clearnet-it-tor-$RANDOM$RANDOM
TOR_NAMESPACES="tbb onioncircs tca onionshare"
declare -A TOR_EXPOSE=([tbb]="9050 951" [onioncircs]="951" [tca]="951" [onionshare]="9050 951")
declare -A TOR_NET=([tbb]=0 [onioncircs]=4 [tca]=8 [onionshare]=12)
tor_host_addr() { echo "10.200.1.$((TOR_NET[$1] + 1))"; }
tor_ns_addr() { echo "10.200.1.$((TOR_NET[$1] + 2))"; }
in_ns() { local name=$1; shift; run_in "$(clear_nsf "$name")" "$@"; }

# tor_conf_append FILE: the four tor-ports sections, as the shipped example config
# (desktop/clearnet-tails.conf) has them, checked against the table above first
TAILS_CONF=$IT_DIR/../../desktop/clearnet-tails.conf
tor_conf_append() {
	local name want got
	for name in $TOR_NAMESPACES; do
		got=$(sed -n "/^\[namespace $name\]\$/,/^\$/p" "$TAILS_CONF" | grep -v '^#' | sed '/^$/d')
		want=$(printf '[namespace %s]\nkind = tor-ports\nexpose = %s\nhost_veth = veth-%s\nhost_address = %s/30\nns_address = %s/30' \
			"$name" "${TOR_EXPOSE[$name]}" "$name" "$(tor_host_addr "$name")" "$(tor_ns_addr "$name")")
		[ "$got" = "$want" ] || fail "$TAILS_CONF: [namespace $name] is '$got', the tests expect '$want'"
		printf '\n%s\n' "$got" >>"$1"
	done
}

# tor_services_start: on the host's loopback, the stand-in Tor ports (9050, 951: they
# answer $TOR_MARKER) and Tor's other ports that must stay closed (9052, 9040, 9051: they
# answer $HOST_MARKER); and 9050 on the uplink address (a Tor listening there is not the
# namespace's). Each logs who connects.
tor_services_start() {
	bg tor-srv "$HOST" "$PYTHON" -u "$NETSRV" serve --log "$T/obs/tor.log" --marker "$TOR_MARKER" \
		--tcp 127.0.0.1:9050 --tcp 127.0.0.1:951
	bg tor-other "$HOST" "$PYTHON" -u "$NETSRV" serve --log "$T/obs/tor-other.log" --marker "$HOST_MARKER" \
		--tcp 127.0.0.1:9052 --tcp 127.0.0.1:9040 --tcp 127.0.0.1:9051 --tcp 192.0.2.1:9050 \
		--udp 127.0.0.1:9050 --udp 127.0.0.1:5353
	wait_listen "$HOST" tcp 127.0.0.1 951
	wait_listen "$HOST" tcp 127.0.0.1 9050
	wait_listen "$HOST" tcp 192.0.2.1 9050
	wait_listen "$HOST" udp 127.0.0.1 5353
	expect_http "$HOST" http://127.0.0.1:9050/ "$TOR_MARKER" "harness: the host reaches its stand-in Tor on 127.0.0.1:9050"
}

# expect_dns_blocked NSFILE SERVER DESC: a real DNS query to SERVER:53 gets no answer and
# dnsmasq (which logs every query) sees nothing
expect_dns_blocked() {
	local nsf=$1 server=$2 desc=$3 before after out
	before=$(wc -l <"$T/logs/dnsmasq.log")
	out=$(run_in "$nsf" "$PYTHON" -c '
import socket, sys
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x04test\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
try:
    s.sendto(q, (sys.argv[1], 53)); s.recvfrom(512)
except OSError as e:
    print("no answer:", e); sys.exit(1)
print("answered"); sys.exit(0)' "$server" 2>&1) && fail "$desc: DNS server $server answered"
	sleep 0.2
	after=$(wc -l <"$T/logs/dnsmasq.log")
	[ "$before" = "$after" ] || fail "$desc: no answer, but dnsmasq saw the query"
	ok "$desc ($out)"
}
