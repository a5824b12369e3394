#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile clients of clearnet-nsd (issue 12), for test-hostile.sh and bench/hostile.

Each attack prints "ready PID" once it is under way, then holds what it made (the black-holed
peers keep their sockets' closes waiting) until stdin reaches EOF or HOLD seconds pass.
Everything has a bound; nothing here can hang for good.

  hostile.py --socket PATH many-fds N
      N requests, each carrying 24 fds of /dev/null, a lingering TCP socket and a Unix
      socket that holds another lingering TCP socket in flight (26 fds, more than a
      request may carry and more than nsd's old receive buffer had room for)
  hostile.py --socket PATH linger-stdio N
      N COMMAND requests (meant to be refused: run it as a uid that may not run commands)
      with three lingering TCP sockets as stdio, the request's own fds
  hostile.py fuse MOUNTPOINT UID
      mounts a FUSE file system at MOUNTPOINT (owned by UID, allow_other) whose server
      never answers: every lookup or stat there waits until this process ends

A lingering TCP socket: SO_LINGER {1, 3600} with unsent data to a peer on this network
namespace's loopback that never reads (zero window), so its last close() waits up to an
hour; this process keeps the peers open.
"""
import argparse
import array
import ctypes
import os
import select
import socket
import struct
import sys
import signal
import time

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsdclient  # noqa: E402

HOLD = 300.0


class BlackHole:
    """A listener on loopback whose accepted sockets are never read."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(512)
        self.peers = []

    def lingering(self):
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        c.connect(self.srv.getsockname())
        peer, _ = self.srv.accept()
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.peers.append(peer)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 3600))
        c.setblocking(False)
        try:
            for _ in range(1000):
                c.send(b"x" * 65536)
        except BlockingIOError:
            pass
        return c


def rights(fds):
    return [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]


def in_flight(sock):
    """A Unix socket that holds sock in flight (the only reference once sock is closed)."""
    a, b = socket.socketpair()
    a.sendmsg([b"x"], rights([sock.fileno()]))
    sock.close()    # not the last reference: the one in flight is
    a.close()
    return b


STATS = {"ours_last": 0}


def let_go(socks):
    """Close our copies of socks at once, while they are in flight to nsd, so that nsd's close
    is the last one (ours is not: the message holds them). Should nsd have been quicker,
    ours would wait: an interval timer's signal cuts that wait short (and it is counted)."""
    signal.signal(signal.SIGALRM, lambda *_: None)
    for x in socks:
        t = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        os.close(x.detach())
        signal.setitimer(signal.ITIMER_REAL, 0)
        STATS["ours_last"] += time.monotonic() - t >= 0.04


def send_and_read(path, data, fds, socks):
    s = nsdclient.connect(path)
    try:
        s.sendmsg([data], rights(fds))
    except OSError:
        pass
    let_go(socks)
    try:
        s.recv(1 << 16)
    except OSError:
        pass
    s.close()


def cmd_many_fds(args):
    hole = BlackHole()
    null = os.open("/dev/null", os.O_RDONLY)
    for _ in range(args.n):
        nested = in_flight(hole.lingering())
        direct = hole.lingering()
        fds = [null] * 24 + [direct.fileno(), nested.fileno()]
        send_and_read(args.socket, nsdclient.request(argv=["/bin/true"], env=["PATH=/bin"]), fds, [direct, nested])
    return hole


def cmd_linger_stdio(args):
    hole = BlackHole()
    for _ in range(args.n):
        socks = [hole.lingering() for _ in range(3)]
        send_and_read(args.socket, nsdclient.request(argv=["/bin/true"], env=["PATH=/bin"]),
                      [x.fileno() for x in socks], socks)
    return hole


def cmd_fuse(args):
    fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
    opts = "fd=%d,rootmode=40000,user_id=%d,group_id=%d,allow_other" % (fd, args.uid, args.uid)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"hostile", args.mountpoint.encode(), b"fuse.hostile", 0, opts.encode()) != 0:
        e = ctypes.get_errno()
        sys.exit("mount: %s" % os.strerror(e))
    return fd   # never read: the kernel's INIT request stays unanswered


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("many-fds")
    p.add_argument("n", type=int)
    p = sub.add_parser("linger-stdio")
    p.add_argument("n", type=int)
    p = sub.add_parser("fuse")
    p.add_argument("mountpoint")
    p.add_argument("uid", type=int)
    args = ap.parse_args()
    held = {"many-fds": cmd_many_fds, "linger-stdio": cmd_linger_stdio, "fuse": cmd_fuse}[args.cmd](args)
    print("ready %d (closes of ours that were the last: %d)" % (os.getpid(), STATS["ours_last"]), flush=True)
    select.select([sys.stdin], [], [], HOLD)
    del held
    os._exit(0)


if __name__ == "__main__":
    main()
