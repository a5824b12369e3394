# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the real-browser tests (test-browser-*.sh): the Unsafe Browser started through
# the whole chain (clearnet-run --app unsafe-browser -> clearnet-nsd -> the wrapper
# launcher/unsafe-browser-firefox -> Firefox ESR), and screenshots looked at pixel by
# pixel (tests/integration/pixels.py). Source it after lib.sh and launch-lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/launch-lib.sh"
#   . "$(dirname "$0")/browser-lib.sh"
#
# Firefox ESR (and, for browser_need xvfb, Xvfb) must be installed: without them the test
# is skipped (exit 77), except under CI (CI set), where that is a failure (.ci/run
# installs them).

UB_BUILDDIR=$(realpath "${CLEARNET_BUILDDIR:-$IT_DIR/../../build}")
UB_SRCDIR=$(realpath "${CLEARNET_SRCDIR:-$IT_DIR/../..}")
UB_LAUNCHER=$UB_BUILDDIR/launcher/unsafe-browser
# What the app itself runs must be where a launched program can see it: the build and
# source trees may be under /tmp (CI's clone, say), which the sandbox replaces. Copies in
# the shared directory ($SH, from launch-lib.sh).
ub_shared_copy() { # ub_shared_copy FILE MODE: copy FILE to $SH/ub, print the copy's path
	mkdir -p "$SH/ub" && chmod 0755 "$SH/ub" || fail "mkdir $SH/ub"
	[ -e "$1" ] || { echo "$1"; return; } # reported as missing by browser_need
	install -m "$2" "$1" "$SH/ub/" || fail "cannot copy $1 to $SH/ub"
	echo "$SH/ub/$(basename "$1")"
}
UB_WRAPPER=$(ub_shared_copy "$UB_BUILDDIR/launcher/unsafe-browser-firefox" 0755)
UB_WARNING=$(ub_shared_copy "$UB_SRCDIR/desktop/unsafe-browser-warning.html" 0644)
UB_EXAMPLE_CONF=$UB_SRCDIR/desktop/clearnet.conf
FIREFOX=${CLEARNET_FIREFOX:-/usr/bin/firefox-esr}
PIXELS=("$PYI" "$IT_DIR/pixels.py")

# The warning page's banner: solid #d00000, at least 160 px high, the full width of the page
# (see desktop/unsafe-browser-warning.html and unsafe-browser(1)).
UB_BANNER_COLOR=d00000
UB_BANNER_HEIGHT=160

# clearnet-nsd mounts the app's own /run/user over the machine's, and fails when there is
# none (a machine without systemd-logind: a container, a chroot): every app start is then
# refused with "cannot bind the runtime sockets: No such file or directory" (a bug of
# nsd/launch/sandbox.c, bind_runtime_sockets, reported). Until it is fixed, an empty /run/user
# for the time of the test, as test-run-sandbox.sh makes.
if [ ! -d /run/user ]; then
	mkdir -m 0755 /run/user || fail "mkdir /run/user"
	at_exit "rmdir /run/user"
	info "no /run/user on this machine: an empty one for the time of the test"
fi

# browser_need [xvfb]: Firefox ESR (and Xvfb) installed, or skip (fail under CI)
browser_need() {
	local missing=() t
	[ -x "$FIREFOX" ] || missing+=("$FIREFOX (apt-get install firefox-esr)")
	if [ "${1:-}" = xvfb ]; then
		command -v Xvfb >/dev/null 2>&1 || missing+=("Xvfb (apt-get install xvfb)")
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		if [ -n "${CI:-}" ]; then
			fail "missing under CI: ${missing[*]}"
		fi
		echo "SKIP: $IT_NAME needs ${missing[*]}"
		exit 77
	fi
	for t in "$UB_WRAPPER" "$UB_LAUNCHER"; do
		[ -x "$t" ] || fail "$t not found (build the project, or set CLEARNET_BUILDDIR)"
	done
	[ -r "$UB_WARNING" ] || fail "$UB_WARNING not found (set CLEARNET_SRCDIR)"
	ok "browser: $("$FIREFOX" --version 2>/dev/null | head -n 1) ($FIREFOX)"
}

# ub_policy CONF EXEC USER CALLERS [SOCKETS]: append the [app unsafe-browser] section of the
# shipped example config (desktop/clearnet.conf) to CONF, with enabled = yes and the given
# exec, user, callers and (if given) sockets; every other key (args, instances, home, env,
# pid_namespace, ...) as shipped
ub_policy() {
	local conf=$1 exec=$2 user=$3 callers=$4 sockets=${5-}
	local section
	section=$(awk '
		/^\[/ { in_ub = ($0 == "[app unsafe-browser]") }
		in_ub && !/^[[:space:]]*(#|$)/ { print }
	' "$UB_EXAMPLE_CONF")
	grep -qx '\[app unsafe-browser\]' <<<"$section" || fail "no [app unsafe-browser] section in $UB_EXAMPLE_CONF"
	{
		echo
		echo "# [app unsafe-browser] of $UB_EXAMPLE_CONF, changed for $IT_NAME"
		awk -v exec="$exec" -v user="$user" -v callers="$callers" -v sockets="$sockets" -v set_sockets="${5+x}" '
			BEGIN { FS = "[[:space:]]*=[[:space:]]*" }
			$1 == "enabled" { print "enabled = yes"; next }
			$1 == "exec" { print "exec = " exec; next }
			$1 == "user" { print "user = " user; next }
			$1 == "callers" { print "callers = " callers; next }
			$1 == "sockets" && set_sockets != "" { print "sockets = " sockets; next }
			{ print }
		' <<<"$section"
	} >>"$conf"
	grep -q '^args = url$' "$conf" || fail "the shipped [app unsafe-browser] has no 'args = url'"
}

# ub_exec_headless SHOT: the policy's exec for a headless screenshot (1024x768) of the page
# written to SHOT (a path the app's user may write, visible in the sandbox: under $SH)
ub_exec_headless() {
	echo "$UB_WRAPPER --start-page $UB_WARNING --headless --window-size 1024,768 --screenshot $1"
}

# ---------------------------------------------------------------------------------------
# Starting and stopping it

UB_PID='' UB_RC='' UB_OUT='' UB_T0=''

# ub_start NAME USER [VAR=VALUE...] -- CMD...: start CMD as USER (its uid, gids, a clean
# environment plus the VAR=VALUEs) in the background, stdin /dev/null, output in
# $T/logs/NAME.out; UB_PID is CMD's own pid (setpriv and env exec it), UB_T0 the start time
ub_start() {
	local name=$1 user=$2
	shift 2
	local vars=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	UB_OUT=$T/logs/$name.out
	UB_T0=$EPOCHREALTIME
	(cd / && exec setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all -- \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$SH/home/$user" USER="$user" LANG=C \
		${vars[@]+"${vars[@]}"} "$@") </dev/null >"$UB_OUT" 2>&1 &
	UB_PID=$!
	UB_RC=''
}

# ub_app NAME USER [VAR=VALUE...] -- [URL]: ub_start of clearnet-run --app unsafe-browser [URL]
ub_app() {
	local name=$1 user=$2
	shift 2
	local vars=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	ub_start "$name" "$user" ${vars[@]+"${vars[@]}"} -- "$CLEARNET_RUN" --socket "$SOCKET" --app unsafe-browser "$@"
}

# ub_elapsed: seconds since UB_T0, one decimal
ub_elapsed() { awk -v a="$UB_T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# ub_wait_exit SECONDS DESC: wait (bounded) for UB_PID to exit; UB_RC is its status. On
# timeout: SIGTERM (then SIGKILL), and fail.
ub_wait_exit() {
	local n=$(($1 * 10)) desc=$2 i
	for ((i = 0; i < n; i++)); do
		pid_gone "$UB_PID" && break
		sleep 0.1
	done
	if ! pid_gone "$UB_PID"; then
		kill -TERM "$UB_PID" 2>/dev/null
		wait_until 100 pid_gone "$UB_PID" || kill -KILL "$UB_PID" 2>/dev/null
		wait "$UB_PID" 2>/dev/null
		echo "# ---- output of the browser ($UB_OUT)"
		tail -n 30 "$UB_OUT" | sed 's/^/#   /'
		fail "$desc: still running after $1 s"
	fi
	wait "$UB_PID" 2>/dev/null
	# shellcheck disable=SC2034 # for the tests
	UB_RC=$?
}

# ub_stop DESC: SIGTERM to UB_PID (clearnet-run, which passes it on to the browser), then
# wait (bounded) for it to exit
ub_stop() {
	kill -TERM "$UB_PID" 2>/dev/null || fail "$1: cannot send SIGTERM to $UB_PID"
	ub_wait_exit 30 "$1 (after SIGTERM)"
}

# ub_output_tail: the last lines of the browser's output, on one line, for messages
ub_output_tail() { grep -v -e '^$' "$UB_OUT" 2>/dev/null | tail -n 4 | tr '\n' ' ' | cut -c 1-600; }

# expect_no_procs UID DESC: no process of UID is left (bounded wait: teardown takes a moment)
expect_no_procs() {
	wait_until 100 sh -c "! pgrep -u '$1' >/dev/null" ||
		fail "$2: processes of uid $1 are left: $(pgrep -a -u "$1" | head -n 5 | cut -c 1-120 | tr '\n' ';')"
	ok "$2: no process of uid $1 is left"
}

# ---------------------------------------------------------------------------------------
# What the app's user wrote. A full search covers every file system that a process of this
# test can write to (pseudo file systems left out); a quick one only the directories that
# the full one before found the user may write to (world-writable ones and its own), and
# what is below them.

# uid_files UID [WRITABLE]: every file of UID, sorted (full search); with WRITABLE, the
# directories UID may write to are written to that file
uid_files() {
	local uid=$1 writable=${2:-/dev/null} target fstype
	findmnt -rn -o TARGET,FSTYPE | while read -r target fstype; do
		case $fstype in
		proc | sysfs | devpts | cgroup | cgroup2 | nsfs | mqueue | debugfs | tracefs | securityfs | \
			pstore | bpf | configfs | fusectl | hugetlbfs | autofs | binfmt_misc | efivarfs | \
			selinuxfs | rpc_pipefs | fuse.*) continue ;;
		esac
		target=$(printf '%b' "$target")
		[ -d "$target" ] || continue
		find "$target" -xdev \( -uid "$uid" -printf 'f %p\n' \) , \
			\( -type d \( -perm -0002 -o -uid "$uid" \) -printf 'd %p\n' \) 2>/dev/null
	done | awk -v w="$writable" '
		/^f / { print substr($0, 3) | "sort -u" }
		/^d / { print substr($0, 3) | "sort -u >" w }
	'
}

# uid_files_quick UID WRITABLE: the files of UID in and under the directories listed in
# WRITABLE, sorted
uid_files_quick() {
	local uid=$1 d
	while read -r d; do
		[ -d "$d" ] && find "$d" -xdev -uid "$uid" -print 2>/dev/null
	done <"$2" | sort -u
}

# uid_scan_start UID: the full search before the app runs: $T/uid-UID.before (its files),
# $T/uid-UID.writable (where it may write)
uid_scan_start() {
	uid_files "$1" "$T/uid-$1.writable" >"$T/uid-$1.before"
	[ -s "$T/uid-$1.writable" ] || fail "harness: no directory writable by uid $1 found (not even its home)"
	info "uid $1 has $(wc -l <"$T/uid-$1.before") file(s); it may write to $(wc -l <"$T/uid-$1.writable") directories: $(head -c 400 "$T/uid-$1.writable" | tr '\n' ' ')"
}

# expect_no_new_files [--quick] UID DESC [ALLOWED...]: no file of UID but those found by
# uid_scan_start and the ALLOWED paths; a full search, or (--quick) only where it may write
expect_no_new_files() {
	local quick='' where="anywhere (every mounted file system searched)"
	if [ "$1" = --quick ]; then
		quick=1 where="where it may write (world-writable directories, its own)"
		shift
	fi
	local uid=$1 desc=$2 new a
	shift 2
	if [ -n "$quick" ]; then
		new=$(uid_files_quick "$uid" "$T/uid-$uid.writable" | comm -13 "$T/uid-$uid.before" -)
	else
		new=$(uid_files "$uid" | comm -13 "$T/uid-$uid.before" -)
	fi
	for a in "$@"; do
		new=$(grep -vxF -- "$a" <<<"$new")
	done
	[ -z "$new" ] || fail "$desc: files of uid $uid are left: $(head -n 10 <<<"$new" | tr '\n' ' ')"
	ok "$desc: no file of uid $uid is left $where"
}

# ---------------------------------------------------------------------------------------
# Screenshots

# shot_dominant FILE [BOX]: "color=RRGGBB share=F pixels=N"
shot_dominant() { "${PIXELS[@]}" dominant "$1" ${2:+--box "$2"}; }

# expect_shot_color FILE RRGGBB MIN_SHARE DESC: the screenshot's dominant colour is RRGGBB,
# on at least MIN_SHARE of it
expect_shot_color() {
	local f=$1 want=$2 min=$3 desc=$4 out color share
	out=$(shot_dominant "$f" 2>&1) || fail "$desc: cannot read the screenshot $f: $out"
	color=$(sed -n 's/.*color=\([0-9a-f]*\).*/\1/p' <<<"$out")
	share=$(sed -n 's/.*share=\([0-9.]*\).*/\1/p' <<<"$out")
	[ "$color" = "$want" ] && awk -v s="$share" -v m="$min" 'BEGIN { exit !(s >= m) }' ||
		fail "$desc: the screenshot's dominant colour is #$color on $share of it, expected #$want on $min at least"
	ok "$desc (#$color on $share of the screenshot, $("${PIXELS[@]}" info "$f" | tr ' ' x | sed 's/width=//; s/xheight=/x/'))"
}

# shot_band FILE RRGGBB [MIN_COUNT]: pixels.py band; sets BAND_START BAND_LENGTH BAND_LEFT
# BAND_RIGHT BAND_SOLID BAND_SHARE
shot_band() {
	local out
	out=$("${PIXELS[@]}" band "$1" --color "$2" ${3:+--min-count "$3"} 2>&1) || {
		BAND_LENGTH=0
		echo "$out" >&2
		return 1
	}
	local kv
	for kv in $out; do
		case $kv in
		start=*) BAND_START=${kv#*=} ;;
		length=*) BAND_LENGTH=${kv#*=} ;;
		left=*) BAND_LEFT=${kv#*=} ;;
		right=*) BAND_RIGHT=${kv#*=} ;;
		solid_left=*) BAND_SOLID=${kv#*=} ;;
		share=*) BAND_SHARE=${kv#*=} ;;
		esac
	done
}

# has_banner FILE MIN_WIDTH: the warning page's banner is in the screenshot: a band of
# #d00000 at least UB_BANNER_HEIGHT rows high and MIN_WIDTH wide, its left margin solid on
# every row, the colour on 60 % of it at least (the rest is its white text)
has_banner() {
	shot_band "$1" "$UB_BANNER_COLOR" 100 2>/dev/null || return 1
	[ "$BAND_LENGTH" -ge "$UB_BANNER_HEIGHT" ] &&
		[ $((BAND_RIGHT - BAND_LEFT + 1)) -ge "$2" ] &&
		[ "$BAND_SOLID" -eq "$BAND_LENGTH" ] &&
		awk -v s="$BAND_SHARE" 'BEGIN { exit !(s >= 0.6) }'
}

# band_text: the last shot_band, for messages
band_text() {
	echo "rows $BAND_START..$((BAND_START + BAND_LENGTH - 1)) ($BAND_LENGTH high), x $BAND_LEFT..$BAND_RIGHT, margin solid on $BAND_SOLID rows, colour on $BAND_SHARE of it"
}

# ---------------------------------------------------------------------------------------
# Xvfb, in the host namespace, with a /tmp of its own

# xvfb_start DISPLAY_NUMBER WxH: an Xvfb on :N (-nolisten tcp), in the host's network
# namespace (its abstract socket lives there), its lock file in a /tmp of its own, its
# socket in a directory bound over /tmp/.X11-unix in this test's mount namespace only,
# where clearnet-nsd finds it (sockets = x11, DISPLAY=:N). Its framebuffer is kept up to
# date in the XWD file $XFB (Xvfb -fbdir), so no screen grabber is needed.
# Waits (bounded) for the socket and the framebuffer.
XFB=
xvfb_start() {
	local n=$1 size=$2
	mkdir -p "$T/xtmp/.X11-unix" "$SH/xfb" && chmod 1777 "$T/xtmp" "$T/xtmp/.X11-unix" &&
		chmod 0700 "$SH/xfb" || fail "directories for Xvfb"
	if [ ! -d /tmp/.X11-unix ]; then
		mkdir -m 1777 /tmp/.X11-unix || fail "mkdir /tmp/.X11-unix"
		at_exit "umount -l /tmp/.X11-unix; rmdir /tmp/.X11-unix"
	fi
	mount --bind "$T/xtmp/.X11-unix" /tmp/.X11-unix || fail "cannot bind a private directory over /tmp/.X11-unix"
	# (xvfb.sh: bind the private /tmp, then run Xvfb; the framebuffer is under $SH, outside /tmp)
	bg xvfb "$HOST" unshare --mount --propagation private -- sh -c \
		'mount --bind "$1" /tmp && shift && exec "$@"' sh "$T/xtmp" \
		Xvfb ":$n" -screen 0 "${size}x24" -nolisten tcp -fbdir "$SH/xfb" -noreset
	XFB=$SH/xfb/Xvfb_screen0
	wait_until 300 test -S "/tmp/.X11-unix/X$n" ||
		fail "Xvfb :$n did not make its socket within 30 s: $(tail -n 5 "$T/logs/xvfb.out" | tr '\n' ' ')"
	wait_until 100 test -s "$XFB" || fail "Xvfb :$n has no framebuffer file $XFB"
	ok "Xvfb :$n ($size, in the host namespace, socket /tmp/.X11-unix/X$n in this test's mount namespace only)"
}
