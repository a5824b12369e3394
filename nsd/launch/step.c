/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/step.h"

#include "util.h"

static const char *const step_names[_LAUNCH_STEP_MAX] = {
        [LAUNCH_STEP_START] = "start",
        [LAUNCH_STEP_CLOSE_INHERITED_FDS] = "close inherited fds",
        [LAUNCH_STEP_SET_UP_SIGNALS] = "set up signals",
        [LAUNCH_STEP_WATCH_THE_PARENT] = "watch the parent",
        [LAUNCH_STEP_START_A_NEW_SESSION] = "start a new session",
        [LAUNCH_STEP_JOIN_THE_CLEARNET_NAMESPACE] = "join the clearnet namespace",
        [LAUNCH_STEP_CREATE_MOUNT_AND_IPC_NAMESPACES] = "create mount and IPC namespaces",
        [LAUNCH_STEP_MOUNT_PROC_FOR_THE_PID_NAMESPACE] = "mount /proc for the PID namespace",
        [LAUNCH_STEP_MAKE_MOUNTS_PRIVATE] = "make mounts private",
        [LAUNCH_STEP_FIND_THE_CLEARNET_RESOLV_CONF] = "find the clearnet resolv.conf",
        [LAUNCH_STEP_OPEN_THE_CLEARNET_RESOLV_CONF] = "open the clearnet resolv.conf",
        [LAUNCH_STEP_FIND_ETC_RESOLV_CONF] = "find /etc/resolv.conf",
        [LAUNCH_STEP_MOUNT_A_PRIVATE_TMP] = "mount a private /tmp",
        [LAUNCH_STEP_BIND_A_GENERATED_NSSWITCH_CONF] = "bind a generated nsswitch.conf",
        [LAUNCH_STEP_HIDE_THE_DAEMONS_SOCKET] = "hide the daemon's socket",
        [LAUNCH_STEP_HIDE_A_DIRECTORY] = "hide a directory",
        [LAUNCH_STEP_MAKE_THE_RESOLV_CONF_PLACEHOLDER] = "make the resolv.conf placeholder",
        [LAUNCH_STEP_BIND_THE_CLEARNET_RESOLV_CONF] = "bind the clearnet resolv.conf",
        [LAUNCH_STEP_MOUNT_A_PRIVATE_VAR_TMP] = "mount a private /var/tmp",
        [LAUNCH_STEP_MOUNT_A_PRIVATE_DEV_SHM] = "mount a private /dev/shm",
        [LAUNCH_STEP_MOUNT_A_PRIVATE_RUN_LOCK] = "mount a private /run/lock",
        [LAUNCH_STEP_HIDE_USER_DATA] = "hide user data",
        [LAUNCH_STEP_MOUNT_A_PRIVATE_HOME] = "mount a private HOME",
        [LAUNCH_STEP_BIND_THE_RUNTIME_SOCKETS] = "bind the runtime sockets",
        [LAUNCH_STEP_BIND_THE_X11_SOCKET] = "bind the X11 socket",
        [LAUNCH_STEP_START_THE_DBUS_PROXY] = "start the D-Bus proxy (xdg-dbus-proxy)",
        [LAUNCH_STEP_RECEIVE_THE_REQUEST] = "receive the request",
        [LAUNCH_STEP_SET_UP_STDIO] = "set up stdio",
        [LAUNCH_STEP_EMPTY_THE_CAPABILITY_BOUNDING_SET] = "empty the capability bounding set",
        [LAUNCH_STEP_SET_GROUPS] = "set groups",
        [LAUNCH_STEP_SWITCH_USER] = "switch user",
        [LAUNCH_STEP_CLEAR_AMBIENT_CAPABILITIES] = "clear ambient capabilities",
        [LAUNCH_STEP_VERIFY_THE_USER_SWITCH] = "verify the user switch",
        [LAUNCH_STEP_SET_NO_NEW_PRIVS] = "set no_new_privs",
        [LAUNCH_STEP_LOAD_THE_SECCOMP_FILTER] = "load the seccomp filter",
        [LAUNCH_STEP_START_THE_PROGRAM_IN_THE_PID_NAMESPACE] = "start the program in the PID namespace",
        [LAUNCH_STEP_CHANGE_DIRECTORY] = "change directory",
        [LAUNCH_STEP_EXEC] = "exec",
};

const char *launch_step_name(int step) {
        if (step < 0 || step >= _LAUNCH_STEP_MAX || !step_names[step])
                return step_names[LAUNCH_STEP_START];
        return step_names[step];
}
