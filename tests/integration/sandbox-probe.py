#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a process sees of its sandbox: prints "key=value" lines (test-run-sandbox.sh).

Run inside (launched by clearnet-nsd, as a command or as an app) and, for comparison,
outside as the same user. Settings come from probe.conf next to this file ("key=value"
lines: absent=PATH, abstract=NAME, connect=PATH, write=PATH, list=PATH, wait=PATH, in that
order), because an app gets no arguments.
Denied operations print the errno name (EPERM, ...), allowed ones "ok".
"""
import ctypes
import errno
import fcntl
import os
import platform
import socket
import sys
import termios
import time

libc = ctypes.CDLL(None, use_errno=True)


def out(key, value):
    print("%s=%s" % (key, value), flush=True)


def ename(e):
    return errno.errorcode.get(e, str(e))


def conf():
    settings = []
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe.conf")
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    settings.append((k, v))
    except OSError as e:
        out("conf", ename(e.errno))
    return settings


def status_lines():
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                     "Seccomp", "SigIgn", "SigBlk"):
                out(k, " ".join(v.split()))


def in_child(fn):
    """Run fn() in a forked child; its return value (an errno or 0) is the exit code."""
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(fn())
        except BaseException:
            os._exit(255)
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    return "ok" if code == 0 else ename(code) if code < 255 else "crash"


def sleeper():
    """A process of ours (same user, same launch) to poke at; killed by the caller."""
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    return pid


def probe_ptrace():
    victim = sleeper()
    try:
        if libc.ptrace(16, victim, None, None) == 0:      # PTRACE_ATTACH
            os.waitpid(victim, 0)
            libc.ptrace(17, victim, None, None)            # PTRACE_DETACH
            return "ok"
        return ename(ctypes.get_errno())
    finally:
        os.kill(victim, 9)
        os.waitpid(victim, 0)


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def probe_process_vm_readv():
    buf = ctypes.create_string_buffer(b"secret", 16)     # same address in the forked child
    victim = sleeper()
    try:
        mine = ctypes.create_string_buffer(16)
        local = IoVec(ctypes.cast(mine, ctypes.c_void_p), 16)
        remote = IoVec(ctypes.cast(buf, ctypes.c_void_p), 16)
        libc.process_vm_readv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong,
                                          ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
        n = libc.process_vm_readv(victim, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        return "ok" if n == 16 else ename(ctypes.get_errno())
    finally:
        os.kill(victim, 9)
        os.waitpid(victim, 0)


def syscall_nr(x86_64, aarch64):
    return {"x86_64": x86_64, "aarch64": aarch64}.get(platform.machine())


def probe_keyctl():
    nr = syscall_nr(250, 219)
    if nr is None:
        return "unknown-arch"
    # KEYCTL_GET_KEYRING_ID of the user keyring: allowed to any process, unless denied
    r = libc.syscall(nr, 0, ctypes.c_long(-4), 0)
    return "ok" if r >= 0 else ename(ctypes.get_errno())


def probe_tty_ioctl(request, arg):
    """The ioctl on a fresh pty that is the child's own controlling terminal, so that
    only a filter (not the kernel's "not your terminal" check) can refuse it."""
    master, slave = os.openpty()

    def child():
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        try:
            fcntl.ioctl(slave, request, arg)
        except OSError as e:
            return e.errno
        return 0

    try:
        return in_child(child)
    finally:
        os.close(master)
        os.close(slave)


def probe_userns(then=None):
    """unshare a user namespace; with then, a mount namespace too and then() in it (an
    errno or 0), where the kernel allows it: only a filter refuses."""
    def child():
        if libc.unshare(0x10000000 | (0x00020000 if then else 0)) != 0:   # CLONE_NEWUSER, NEWNS
            return ctypes.get_errno()
        return then() if then else 0
    return in_child(child)


def errno_of(r):
    return ctypes.get_errno() if r < 0 else 0


# The calls with the flags nsd's own late mounts use (MS_SILENT; open_tree's CLONE, CLOEXEC,
# EMPTY_PATH), which the filter a spare loads ahead lets through: denied all the same.
def mount_silent():
    return errno_of(libc.mount(b"none", b"/tmp", b"tmpfs", ctypes.c_ulong(32768), None))


def open_tree_clone():
    libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)   # a mount of our own to clone (denied inside)
    fd = os.open("/tmp", os.O_PATH)
    return errno_of(libc.syscall(syscall_nr(428, 428), fd, b"", 0x1 | 0o2000000 | 0x1000))


def probe_abstract(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect("\0" + name)
        return "connected"
    except OSError as e:
        return ename(e.errno)
    finally:
        s.close()


def probe_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        return "connected:" + s.recv(64).decode("ascii", "replace").strip()
    except OSError as e:
        return ename(e.errno)
    finally:
        s.close()


def probe_pidfd_getfd():
    """pidfd_getfd on a child of ours (same user, same launch): only a filter refuses."""
    nr_open, nr_getfd = syscall_nr(434, 434), syscall_nr(438, 438)
    if nr_open is None:
        return "unknown-arch"
    victim = sleeper()
    try:
        pidfd = libc.syscall(nr_open, victim, 0)
        if pidfd < 0:
            return "pidfd_open:" + ename(ctypes.get_errno())
        fd = libc.syscall(nr_getfd, pidfd, 0, 0)
        err = ctypes.get_errno()
        os.close(pidfd)
        if fd >= 0:
            os.close(fd)
            return "ok"
        return ename(err)
    finally:
        os.kill(victim, 9)
        os.waitpid(victim, 0)


def probe_kcmp():
    nr = syscall_nr(312, 272)
    if nr is None:
        return "unknown-arch"
    me = os.getpid()
    r = libc.syscall(nr, me, me, 0, 0, 0)                  # KCMP_FILE of fd 0 with itself
    return "ok" if r >= 0 else ename(ctypes.get_errno())


def probe_write(path):
    try:
        with open(path, "w") as f:
            f.write("clearnet-probe\n")
        return "ok"
    except OSError as e:
        return ename(e.errno)


def listing(path):
    try:
        return ",".join(sorted(os.listdir(path))) or "-"
    except OSError as e:
        return ename(e.errno)


def fstype(path):
    best, kind = "", "?"
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mnt = fields[4]
            sep = fields.index("-")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, fields[sep + 1]
    return kind


def main():
    out("pid", os.getpid())
    out("session_leader", "yes" if os.getsid(0) == os.getpid() else "no")
    status_lines()
    out("groups", ",".join(str(g) for g in sorted(os.getgroups())))
    for ns in ("net", "mnt", "ipc", "pid", "uts", "user"):
        out("ns_" + ns, os.readlink("/proc/self/ns/" + ns).split("[")[1].rstrip("]"))
    out("cwd", os.getcwd())
    out("fds", ",".join(str(fd) for fd in range(0, 1024) if fd_open(fd)))
    out("ptrace", probe_ptrace())
    out("process_vm_readv", probe_process_vm_readv())
    out("keyctl", probe_keyctl())
    out("tiocsti", probe_tty_ioctl(termios.TIOCSTI, b"x"))
    out("tioclinux", probe_tty_ioctl(getattr(termios, "TIOCLINUX", 0x541C), b"\x0c"))
    out("userns", probe_userns())
    out("pidfd_getfd", probe_pidfd_getfd())
    out("kcmp", probe_kcmp())
    out("mount_silent", probe_userns(mount_silent))
    out("open_tree", probe_userns(open_tree_clone))
    out("hostname", socket.gethostname())
    out("list:/sys/class/net", listing("/sys/class/net"))
    try:
        with open("/etc/resolv.conf") as f:
            out("resolv", ",".join(line.split()[1] for line in f if line.startswith("nameserver")) or "-")
    except OSError as e:
        out("resolv", ename(e.errno))
    with open("/etc/nsswitch.conf") as f:
        out("nsswitch_hosts", " ".join(next((line.split()[1:] for line in f if line.startswith("hosts:")), [])))
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        out("list:" + d, listing(d))
    home = os.environ.get("HOME", "")
    out("home_fstype", fstype(home) if home else "-")
    out("list:home", listing(home) if home else "-")
    try:
        with open(os.path.join(home, "written-inside"), "w") as f:
            f.write("inside\n")
        out("home_write", "ok")
    except OSError as e:
        out("home_write", ename(e.errno))
    out("list:/run/user", listing("/run/user"))
    for uid_dir in sorted(os.listdir("/run/user")) if os.path.isdir("/run/user") else []:
        for root, dirs, files in os.walk(os.path.join("/run/user", uid_dir)):
            for name in sorted(dirs + files):
                out("runtime", os.path.join(root, name))
    for k, v in conf():
        if k == "absent":
            out("exists:" + v, "yes" if os.path.lexists(v) else "no")
        elif k == "abstract":
            out("abstract:" + v, probe_abstract(v))
        elif k == "connect":
            out("connect:" + v, probe_connect(v))
        elif k == "write":
            out("write:" + v, probe_write(v))
        elif k == "list":
            out("list:" + v, listing(v))
        elif k == "wait":
            # wait (bounded) for the file v, made outside after the launch, then look again
            for _ in range(300):
                if os.path.exists(v):
                    break
                time.sleep(0.1)
            out("waited:" + v, "yes" if os.path.exists(v) else "no")
    runtime, wl = os.environ.get("XDG_RUNTIME_DIR"), os.environ.get("WAYLAND_DISPLAY")
    if runtime and wl:
        out("wayland_connect", probe_connect(os.path.join(runtime, wl)))
    for k in sorted(os.environ):
        out("env:" + k, os.environ[k])
    return 0


def fd_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
