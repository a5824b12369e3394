#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The body of bench/hostile (run that): the attacks of issue 12 one by one, each with the
# honest probe (clearnet-run -- true as cltest1) in rounds interleaved with the same probe
# without the attack, in one run; prints per attack the honest success ratio and the
# median launch time under attack against the quiet median. Targets (printed, not
# enforced): 100 % success, median within 2x of the quiet run. Runs in the integration
# harness's throwaway namespaces (lib.sh), nsd with max_clients = 16.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/launch-lib.sh"
. "$(dirname "$0")/hostile-lib.sh"

ROUNDS=${CLEARNET_BENCH_ROUNDS:-10}
PROBES=3        # probes per round, with and without the attack
topo_setup
users_setup
cd "$SH/x" || fail "cd $SH/x"
conf=$T/cfg/nsd.conf
hostile_conf "$conf" 16
if [ -n "$CG_TEST" ]; then
	sed -i '/^\[run\]/a max_processes = 64' "$conf"
	cat >"$SH/bin/bomb" <<'SH'
#!/bin/sh
b() { [ "$1" -gt 0 ] && { b $(($1 - 1)) & b $(($1 - 1)) & }; sleep 30; }
b 11
SH
	chmod 0755 "$SH/bin/bomb"
fi
# (launch-flood and fork-bomb: as clamnesia, who may run commands here)
sed -i "s/^users = root $U1\$/users = root $U1 $UA/" "$conf"
nsd_start "$conf" >/dev/null
info() { :; }   # the table only from here

# probe FILE: one honest launch; appends "ok MS" or "fail MS" to FILE
probe() {
	local t0 t1 what=ok
	t0=$(date +%s%N)
	honest_launch || what=fail
	t1=$(date +%s%N)
	echo "$what $(((t1 - t0) / 1000000))" >>"$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# attack_on NAME / attack_off NAME
attack_on() {
	case $1 in
	many-fds) attack many-fds 0 many-fds 2 ;;
	linger-stdio) attack linger-stdio "$U2_ID" linger-stdio 66 ;;
	idle-slots) idle_attack nobody 65534 32; idle_attack hog "$U2_ID" 32 ;;
	fuse-runtime-dir) fuse_attack ;;
	refusal-flood) nsclient burst 100000 "$SH/x" >/dev/null 2>&1 & FLOOD=$! ;;
	launch-flood) (for i in $(seq 2000); do as "$UA" "$CLEARNET_RUN" --socket "$SOCKET" -- true >/dev/null 2>&1; done) & FLOOD=$! ;;
	# (AS_EXEC: FLOOD is clearnet-run itself, whose end ends the bomb; not a subshell)
	fork-bomb) AS_EXEC=1 as "$UA" "$CLEARNET_RUN" --socket "$SOCKET" -- "$SH/bin/bomb" >/dev/null 2>&1 & FLOOD=$!; sleep 1 ;;
	esac
}
attack_off() {
	case $1 in
	many-fds | linger-stdio) attack_end "$1" ;;
	idle-slots) attack_end nobody; attack_end hog ;;
	fuse-runtime-dir) fuse_attack_end ;;
	refusal-flood | launch-flood | fork-bomb) kill "$FLOOD" 2>/dev/null; wait "$FLOOD" 2>/dev/null ;;
	esac
}

attacks=(many-fds linger-stdio idle-slots fuse-runtime-dir refusal-flood launch-flood)
[ -z "$CG_TEST" ] || attacks+=(fork-bomb)
# (the note about the cgroup, if any, came above)
printf '%-18s %-22s %-14s %-12s %s\n' attack "honest success" "median (ms)" "quiet (ms)" ratio
for a in "${attacks[@]}"; do
	q=$T/quiet.$a a_f=$T/attacked.$a
	: >"$q"
	: >"$a_f"
	for ((r = 0; r < ROUNDS; r++)); do
		for ((p = 0; p < PROBES; p++)); do probe "$q"; done
		attack_on "$a"
		for ((p = 0; p < PROBES; p++)); do probe "$a_f"; done
		attack_off "$a"
	done
	n=$(wc -l <"$a_f")
	good=$(grep -c '^ok' "$a_f")
	ma=$(grep '^ok' "$a_f" | awk '{ print $2 }' | median)
	mq=$(grep '^ok' "$q" | awk '{ print $2 }' | median)
	ratio=$(awk -v a="$ma" -v q="$mq" 'BEGIN { if (q > 0 && a != "-") printf "%.2f", a / q; else print "-" }')
	printf '%-18s %-22s %-14s %-12s %s\n' "$a" "$good/$n ($((100 * good / n)) %)" "$ma" "$mq" "$ratio"
done
[ -n "$CG_TEST" ] || echo "# fork-bomb: not run ($CG_NOTE)"
echo "# targets: 100 % honest success, median within 2x of the quiet run (not enforced)"
finish >/dev/null
