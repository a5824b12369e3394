#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Servers and clients for the clearnet-filter tests (standard library only).

  filternet.py serve --log FILE [--tcp ADDR:PORT]... [--udp ADDR:PORT]...
      netsrv.py's server (TCP: an HTTP/1.0 page; UDP: echo), logging one line per
      connection or datagram, "tcp|udp LOCAL uid=UID", where UID is the owner of the
      peer's socket when the peer is on this host (looked up in /proc/net/{tcp,udp}[6]
      of this network namespace), else "-". The stand-in Tor ports use it: the log says
      who connected.
  filternet.py tcp ADDR PORT [--timeout S]      connect, send a request, read the answer
  filternet.py udp ADDR PORT [--timeout S]      connected datagram, wait for the echo
  filternet.py icmp ADDR [--timeout S]          one ICMP echo (datagram ICMP socket)
      Print one word and exit: ok 0, refused 1 (ECONNREFUSED: the filter's ICMP error, or
      EPERM from send(): the local output hook dropped it; both at once), timeout 2, other
      errors 3 ("error: ...").
  filternet.py burst tcp|udp ADDR PORT N        N attempts; prints "ok=A refused=B timeout=C
                                                other=D elapsed=SECONDS"
  filternet.py loop (tcp|udp ADDR PORT)...
      Prints "looping", then until SIGTERM (at most 600 s) tries each target in turn, one
      attempt at a time; then prints "KIND:ADDR:PORT ok=A refused=B timeout=C other=D".
  filternet.py nflog GROUP LOG
      Binds NFLOG group GROUP (nfnetlink_log, in this network namespace) and writes one
      line per logged packet: "prefix=PREFIX uid=UID proto=N dst=ADDR"; prints
      "listening" when bound.
"""
import argparse
import errno
import os
import signal
import socket
import struct
import sys
import time

import netsrv
from netsrv import family_of


def proc_addr(hexaddr):
    """/proc/net/tcp's address column (32-bit words in host order) -> (ip, port)."""
    a, p = hexaddr.split(":")
    raw = bytes.fromhex(a)
    words = b"".join(raw[i:i + 4][::-1] if sys.byteorder == "little" else raw[i:i + 4]
                     for i in range(0, len(raw), 4))
    fam = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return socket.inet_ntop(fam, words), int(p, 16)


def peer_uid(proto, peer):
    """The uid owning the local socket whose address is peer, or '-'."""
    want = (peer[0], peer[1])
    for name in (proto, proto + "6"):
        try:
            with open(f"/proc/net/{name}") as f:
                next(f)
                for line in f:
                    cols = line.split()
                    ip, port = proc_addr(cols[1])
                    if ip.startswith("::ffff:"):
                        ip = ip[7:]
                    if (ip, port) == want:
                        return cols[7]
        except OSError:
            pass
    return "-"


def serve(args):
    """netsrv.py's server, logging the uid of local peers."""
    args.marker = "clearnet-filter-it"
    return netsrv.serve(args, peer_label=lambda proto, peer: f"uid={peer_uid(proto, peer)}")


def outcome(e):
    # ECONNREFUSED: the filter's ICMP error came back; EPERM: sendmsg() itself failed
    # because the local output hook dropped the datagram. Both at once, both the filter.
    if isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) in (errno.ECONNREFUSED, errno.EPERM):
        return "refused"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    return f"error: {e}"


def try_tcp(host, port, timeout):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return "ok" if data.startswith(b"HTTP/1.0 200") else "error: bad answer"
    except OSError as e:
        return outcome(e)
    finally:
        s.close()


def try_udp(host, port, timeout):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    msg = b"filter-it-" + os.urandom(6).hex().encode()
    try:
        s.connect((host, port))   # connected: an ICMP error ends the wait with ECONNREFUSED
        s.send(msg)
        while True:
            if s.recv(65536) == msg:
                return "ok"
    except OSError as e:
        return outcome(e)
    finally:
        s.close()


def try_icmp(host, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    s.settimeout(timeout)
    payload = os.urandom(8)
    hdr = struct.pack("!BBHHH", 8, 0, 0, 0, 1)
    csum_data = hdr + payload
    total = sum(struct.unpack("!%dH" % (len(csum_data) // 2), csum_data))
    total = (total >> 16) + (total & 0xffff)
    total += total >> 16
    pkt = struct.pack("!BBHHH", 8, 0, ~total & 0xffff, 0, 1) + payload
    try:
        s.connect((host, 0))
        s.send(pkt)
        while True:
            data = s.recv(1024)
            if data[0] == 0 and data[8:] == payload:
                return "ok"
    except OSError as e:
        return outcome(e)
    finally:
        s.close()


CODES = {"ok": 0, "refused": 1, "timeout": 2}


def attempt(kind, host, port, timeout):
    return try_tcp(host, port, timeout) if kind == "tcp" else try_udp(host, port, timeout)


def burst(args):
    counts = {"ok": 0, "refused": 0, "timeout": 0, "other": 0}
    start = time.monotonic()
    for _ in range(args.n):
        r = attempt(args.kind, args.addr, args.port, 2.0)
        counts[r if r in counts else "other"] += 1
    elapsed = time.monotonic() - start
    print(" ".join(f"{k}={v}" for k, v in counts.items()) + f" elapsed={elapsed:.3f}")
    return 0


def loop(args):
    targets = []
    rest = list(args.targets)
    while len(rest) >= 3:
        targets.append((rest[0], rest[1], int(rest[2])))
        rest = rest[3:]
    counts = {t: {"ok": 0, "refused": 0, "timeout": 0, "other": 0} for t in targets}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("looping", flush=True)
    deadline = time.monotonic() + 600
    while not stop and time.monotonic() < deadline:
        for t in targets:
            r = attempt(t[0], t[1], t[2], 2.0)
            counts[t][r if r in counts[t] else "other"] += 1
    for t in targets:
        print(f"{t[0]}:{t[1]}:{t[2]} " + " ".join(f"{k}={v}" for k, v in counts[t].items()), flush=True)
    return 0


NETLINK_NETFILTER = 12
NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_PACKET = 0
NFULNL_MSG_CONFIG = 1
NFULA_CFG_CMD = 1
NFULNL_CFG_CMD_BIND = 1
NFULA_PAYLOAD = 9
NFULA_PREFIX = 10
NFULA_UID = 11
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2


def nla(kind, payload):
    a = struct.pack("=HH", 4 + len(payload), kind) + payload
    return a + b"\0" * ((4 - len(a) % 4) % 4)


def describe(pkt):
    """'proto=N dst=ADDR' of an IP packet."""
    if len(pkt) >= 20 and pkt[0] >> 4 == 4:
        return f"proto={pkt[9]} dst={socket.inet_ntop(socket.AF_INET, pkt[16:20])}"
    if len(pkt) >= 40 and pkt[0] >> 4 == 6:
        return f"proto={pkt[6]} dst={socket.inet_ntop(socket.AF_INET6, pkt[24:40])}"
    return "proto=? dst=?"


def nflog(args):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(args.group))
    body += nla(NFULA_CFG_CMD, struct.pack("=B", NFULNL_CFG_CMD_BIND))
    msg = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG,
                      NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body
    s.send(msg)
    ack = s.recv(65536)
    _, typ = struct.unpack("=IH", ack[:6])
    if typ == NLMSG_ERROR and struct.unpack("=i", ack[16:20])[0] != 0:
        print(f"cannot bind NFLOG group {args.group}: errno {-struct.unpack('=i', ack[16:20])[0]}", flush=True)
        return 1
    log = open(args.log, "a", buffering=1)
    print("listening", flush=True)
    while True:
        data = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            length, typ = struct.unpack("=IH", data[off:off + 6])
            if length < 16:
                break
            if typ == (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET:
                attrs, a = {}, off + 20
                while a + 4 <= off + length:
                    alen, akind = struct.unpack("=HH", data[a:a + 4])
                    if alen < 4:
                        break
                    attrs[akind & 0x7fff] = data[a + 4:a + alen]
                    a += (alen + 3) & ~3
                prefix = attrs.get(NFULA_PREFIX, b"").rstrip(b"\0").decode(errors="replace")
                uid = struct.unpack("!I", attrs[NFULA_UID])[0] if NFULA_UID in attrs else "-"
                log.write(f"prefix={prefix} uid={uid} {describe(attrs.get(NFULA_PAYLOAD, b''))}\n")
            off += (length + 3) & ~3


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("serve")
    ps.add_argument("--log", required=True)
    ps.add_argument("--tcp", action="append", default=[])
    ps.add_argument("--udp", action="append", default=[])
    for name in ("tcp", "udp"):
        pc = sub.add_parser(name)
        pc.add_argument("addr")
        pc.add_argument("port", type=int)
        pc.add_argument("--timeout", type=float, default=3.0)
    pi = sub.add_parser("icmp")
    pi.add_argument("addr")
    pi.add_argument("--timeout", type=float, default=2.0)
    pb = sub.add_parser("burst")
    pb.add_argument("kind", choices=["tcp", "udp"])
    pb.add_argument("addr")
    pb.add_argument("port", type=int)
    pb.add_argument("n", type=int)
    pl = sub.add_parser("loop")
    pl.add_argument("targets", nargs="+")
    pn = sub.add_parser("nflog")
    pn.add_argument("group", type=int)
    pn.add_argument("log")
    args = p.parse_args()
    if args.cmd == "serve":
        return serve(args)
    if args.cmd in ("tcp", "udp", "icmp"):
        r = (try_icmp(args.addr, args.timeout) if args.cmd == "icmp"
             else attempt(args.cmd, args.addr, args.port, args.timeout))
        print(r)
        return CODES.get(r, 3)
    if args.cmd == "burst":
        return burst(args)
    if args.cmd == "loop":
        return loop(args)
    return nflog(args)


if __name__ == "__main__":
    sys.exit(main())
