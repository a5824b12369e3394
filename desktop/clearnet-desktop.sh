# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# clearnet-desktop.sh: shell functions shared by the desktop-side scripts
# (clearnet-portal-notify, clearnet-time-sync), sourced, never run. Installed beside them
# in @libexecdir@/clearnet. Needs: sed, tr, cut, awk, timeout; notify-send (libnotify-bin)
# for notifications, through the org.freedesktop.Notifications D-Bus API of the session.
#
# The caller sets $me (its name, for messages) before sourcing.

# The config file: $CLEARNET_CONFIG, else the installed one.
clearnet_config=${CLEARNET_CONFIG:-@sysconfdir@/clearnet/clearnet.conf}
case $clearnet_config in
@*) clearnet_config=/etc/clearnet/clearnet.conf ;;   # not configured by meson
esac

have() { command -v "$1" >/dev/null 2>&1; }

say() { printf '%s: %s\n' "$me" "$*" >&2; }

# printable TEXT: control characters replaced by '?', at most 200 characters
printable() { printf '%s' "$1" | LC_ALL=C tr -c '[:print:]' '?' | LC_ALL=C cut -c 1-200; }

# conf_get SECTION KEY DEFAULT: the value as inih reads it ('=' or ':' separates, comments
# start with '#' or ';' at the start of a line or after whitespace); DEFAULT when unset,
# empty, or the file is unreadable.
conf_get() {
	value=
	if [ -r "$clearnet_config" ]; then
		value=$(awk -v want_s="$1" -v want_k="$2" '
			{ sub(/\r$/, "") }
			/^[ \t]*[#;]/ { next }
			/^[ \t]*\[/ {
				s = $0; sub(/^[ \t]*\[/, "", s); sub(/\].*$/, "", s); sec = s; next
			}
			sec == want_s {
				line = $0
				sub(/[ \t][#;].*$/, "", line)
				e = index(line, "="); c = index(line, ":")
				p = (e && (!c || e < c)) ? e : c
				if (!p) next
				k = substr(line, 1, p - 1); v = substr(line, p + 1)
				gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
				if (k == want_k) { print v; exit }
			}' "$clearnet_config") || value=
	fi
	[ -n "$value" ] || value=$3
	printf '%s\n' "$value"
}

# desktop_notify WAIT SUMMARY BODY [NAME=LABEL]: a notification of the Unsafe Browser
# (critical: it stays until answered). With an action, waits at most WAIT seconds for the
# user and prints the action chosen (nothing: dismissed). Status: 0 shown, 124 no answer
# in time, other: no notification service (the message then went to stderr).
desktop_notify() {
	dn_wait=$1 dn_summary=$2 dn_body=$3
	shift 3
	if ! have notify-send; then
		say "$dn_summary. $dn_body"
		return 1
	fi
	set -- ${1:+"--action=$1"}
	# --action implies --wait: notify-send prints the name of the chosen action.
	dn_out=$(timeout "$dn_wait" notify-send --app-name="Unsafe Browser" --icon=unsafe-browser \
		--urgency=critical "$@" -- "$dn_summary" "$dn_body" </dev/null)
	dn_rc=$?
	case $dn_rc in
	0) printf '%s\n' "$dn_out" | sed -n '1p' ;;
	124) ;;
	*) say "$dn_summary. $dn_body" ;;
	esac
	return "$dn_rc"
}
