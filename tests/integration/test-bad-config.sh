#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: a malformed config fails `--check` and a start with one line `file:line: reason`
# and a non-zero status; a missing resolv_conf, an ns subnet overlapping a host address, a
# netns of that name that cannot be adopted, a host link of the veth's name that is not
# nsd's: a start fails with one line, non-zero, and leaves the host exactly as it was.
. "$(dirname "$0")/lib.sh"

topo_setup
good=$T/cfg/good.conf
write_conf "$good"

nsd_run --config "$good" --check
[ "$NSD_RC" -eq 0 ] || fail "--check on a good config: exit $NSD_RC: $(cat "$T/logs/run.err")"
ok "--check: a good config passes"

# variant NAME LINE AWK: the good config edited by an awk program; LINE is where the
# error is ($LINE of the good file: 3 name, 5 host_veth, 7 host_address, 8 ns_address,
# 9 nft_table, 12 keep_on_exit, 13 blank, 14 [daemon])
variant() {
	awk "$3" "$good" >"$T/cfg/$1.conf"
}

# one_line_error FILE: stderr of the last run is exactly one non-empty line
one_line() {
	[ "$(grep -c . "$T/logs/run.err")" -eq 1 ] && [ "$(wc -l <"$T/logs/run.err")" -eq 1 ]
}

# expect_check_fails NAME LINES DESC: --check fails with "<file>:<line>: reason",
# LINES a regex of acceptable line numbers
expect_check_fails() {
	local f=$T/cfg/$1.conf lines=$2 desc=$3 err
	nsd_run --config "$f" --check
	err=$(cat "$T/logs/run.err")
	[ "$NSD_RC" -ne 0 ] || fail "--check accepted $desc"
	one_line || fail "--check on $desc: not exactly one line on stderr: $err"
	grep -qE "^$(printf '%s' "$f" | sed 's/[.[\*^$]/\\&/g'):($lines): [^ ]" "$T/logs/run.err" ||
		fail "--check on $desc: expected '$f:$lines: reason', got: $err"
	ok "--check refuses $desc (exit $NSD_RC): ${err#"$T"/cfg/}"
}

variant bad-key 10 'NR == 10 { print "colour = blue" } { print }'
expect_check_fails bad-key 10 "an unknown key"
variant bad-value 12 'NR == 12 { print "keep_on_exit = maybe"; next } { print }'
expect_check_fails bad-value 12 "keep_on_exit = maybe"
variant bad-address 7 'NR == 7 { print "host_address = 10.200.1.300/30"; next } { print }'
expect_check_fails bad-address 7 "host_address 10.200.1.300/30"
variant bad-prefix 8 'NR == 8 { print "ns_address = 10.200.1.18/33"; next } { print }'
expect_check_fails bad-prefix 8 "ns_address with /33"
variant ipv6-address 8 'NR == 8 { print "ns_address = fd00::2/64"; next } { print }'
expect_check_fails ipv6-address 8 "an IPv6 ns_address"
variant not-an-address 7 'NR == 7 { print "host_address = veth"; next } { print }'
expect_check_fails not-an-address 7 "host_address = veth"
variant unknown-section 13 'NR == 13 { print "[frobnicate]"; next } { print }'
expect_check_fails unknown-section 13 "an unknown section"
variant duplicate 4 'NR == 4 { print "name = other" } { print }'
expect_check_fails duplicate 4 "a duplicate key"
variant same-address 8 'NR == 8 { print "ns_address = 10.200.1.17/30"; next } { print }'
expect_check_fails same-address '7|8' "host_address = ns_address"
variant other-subnet 8 'NR == 8 { print "ns_address = 10.200.2.18/30"; next } { print }'
expect_check_fails other-subnet '7|8' "host and ns addresses in different subnets"
variant syntax 10 'NR == 10 { print "this is not a key value pair" } { print }'
expect_check_fails syntax 10 "a line that is not 'key = value'"
# names end up in paths, interface names and nftables commands
variant name-path 3 'NR == 3 { print "name = ../../etc"; next } { print }'
expect_check_fails name-path 3 "a name with a path in it"
variant veth-long 5 'NR == 5 { print "host_veth = veth-clearnet-far-too-long"; next } { print }'
expect_check_fails veth-long 5 "a host_veth longer than an interface name may be"
variant veth-quote 5 'NR == 5 { print "host_veth = ve\"th"; next } { print }'
expect_check_fails veth-quote 5 "a host_veth with a quote"
variant table-inject 9 'NR == 9 { print "nft_table = x; flush ruleset"; next } { print }'
expect_check_fails table-inject 9 "an nft_table that is an nftables command"

# The same refusals when starting: nothing is touched.
snapshot "$T/snap0"
for v in bad-key table-inject name-path; do
	nsd_run --config "$T/cfg/$v.conf"
	[ "$NSD_RC" -ne 0 ] && one_line || fail "start with $v.conf: exit $NSD_RC, stderr: $(cat "$T/logs/run.err")"
	snapshot "$T/snap-$v"
	expect_same_snapshot "$T/snap0" "$T/snap-$v" "start with $v.conf refused ($(cat "$T/logs/run.err")), host untouched"
done

# expect_start_fails DESC [CONF]: start fails, one line, non-zero, the host as in snap0
expect_start_fails() {
	local desc=$1 conf=${2:-$good}
	nsd_run --config "$conf"
	[ "$NSD_RC" -ne 0 ] || fail "start with $desc succeeded"
	one_line || fail "start with $desc: not exactly one line on stderr: $(cat "$T/logs/run.err")"
	snapshot "$T/snap-now"
	expect_same_snapshot "$T/snap0" "$T/snap-now" "start with $desc refused ($(cat "$T/logs/run.err")), host untouched"
	rm -rf "$T/snap-now"
}

# missing resolv_conf
mv "$RESOLV" "$RESOLV.away"
expect_start_fails "a missing resolv_conf"
mv "$RESOLV.away" "$RESOLV"

# the namespace's subnet overlaps an address of the host
in_host ip addr add 10.200.1.1/24 dev br-up || fail "ip addr add"
snapshot "$T/snap0"
expect_start_fails "ns subnet inside the host's 10.200.1.0/24"
in_host ip addr del 10.200.1.1/24 dev br-up
in_host ip addr add 10.200.1.18/32 dev lo || fail "ip addr add"
snapshot "$T/snap0"
expect_start_fails "the ns address on the host's lo"
in_host ip addr del 10.200.1.18/32 dev lo

# a link named like host_veth that is not nsd's
in_host ip link add "$HOST_VETH" type bridge || fail "ip link add"
snapshot "$T/snap0"
expect_start_fails "a host link named $HOST_VETH that is a bridge"
in_host ip link del "$HOST_VETH"

# a namespace of that name that nsd cannot adopt: it has a link of its own
C=$(clear_nsf)
touch "$C" && unshare --net="$C" true || fail "cannot make a namespace at $C"
nsenter --net="$C" ip link add br0 type bridge || fail "ip link add inside"
snapshot "$T/snap0"
expect_start_fails "a namespace at $C holding a bridge"
findmnt -rn "$C" >/dev/null && nsenter --net="$C" ip link show br0 >/dev/null 2>&1 ||
	fail "nsd changed the namespace it refused to adopt"
ok "the namespace it refused is left as it was"
umount "$C" && rm -f "$C"

# nftables missing from the kernel, simulated for nsd alone: an LD_PRELOAD shim makes
# netlink sockets of the netfilter family fail as they do without nf_tables/nfnetlink
if command -v cc >/dev/null 2>&1; then
	cat >"$T/nonft.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>
int socket(int domain, int type, int protocol) {
	static int (*real)(int, int, int);
	if (domain == AF_NETLINK && protocol == NETLINK_NETFILTER) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (!real)
		real = (int (*)(int, int, int)) dlsym(RTLD_NEXT, "socket");
	return real(domain, type, protocol);
}
EOF
	cc -shared -fPIC -o "$T/nonft.so" "$T/nonft.c" -ldl || fail "cannot build the no-nftables shim"
	snapshot "$T/snap0"
	NSD_ENV=(LD_PRELOAD="$T/nonft.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
	expect_start_fails "no nftables in the kernel (simulated)"
	info "(exit status $NSD_RC)"
	NSD_ENV=()
else
	info "no C compiler: the missing-nftables refusal is not checked"
fi

# everything fine again: a start works (the refusals left nothing in the way)
snapshot "$T/snap0"
nsd_start "$good"
nsd_stop main
snapshot "$T/snap-end"
expect_same_snapshot "$T/snap0" "$T/snap-end" "after the refusals, a normal start and stop"

finish
