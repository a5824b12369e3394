#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Small servers and clients for the integration tests (standard library only).

  netsrv.py serve --log FILE --marker TEXT [--tcp ADDR:PORT]... [--udp ADDR:PORT]...
      TCP: reads a request (up to a blank line, at most 2 s), answers an HTTP/1.0 200 page
      whose body is TEXT, logs "tcp LOCAL PEER". UDP: echoes each datagram, logs
      "udp LOCAL PEER". One line per connection or datagram, flushed at once, so a test can
      count what reached the server. IPv6 addresses are written [addr]:port.
  netsrv.py udp ADDR PORT [--bind ADDR] [--timeout S]
      Sends one datagram and waits for the echo; exit 0 if it came back, 1 if not.
  netsrv.py notify PATH LOG
      Binds a unix datagram socket at PATH (a stand-in for systemd's NOTIFY_SOCKET) and
      appends every message it receives to LOG, followed by a line "--".
"""
import argparse
import os
import selectors
import socket
import sys


def split_hostport(text):
    host, _, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def fmt(addr):
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(args, peer_label=None):
    """peer_label(proto, peer): what the log says of the peer (default ADDR:PORT)."""
    label = peer_label or (lambda proto, peer: fmt(peer))
    log = open(args.log, "a", buffering=1)
    sel = selectors.DefaultSelector()
    for spec in args.tcp:
        host, port = split_hostport(spec)
        s = socket.socket(family_of(host), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if ":" in host:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        s.listen(16)
        sel.register(s, selectors.EVENT_READ, "tcp")
    for spec in args.udp:
        host, port = split_hostport(spec)
        s = socket.socket(family_of(host), socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if ":" in host:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        sel.register(s, selectors.EVENT_READ, "udp")
    body = (args.marker + "\n").encode()
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "tcp":
                try:
                    c, peer = s.accept()
                except OSError:
                    continue
                log.write(f"tcp {fmt(c.getsockname())} {label('tcp', peer)}\n")
                c.settimeout(2)
                try:
                    data = b""
                    while b"\r\n\r\n" not in data and b"\n\n" not in data and len(data) < 65536:
                        chunk = c.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
                except OSError:
                    pass
                finally:
                    c.close()
            else:
                try:
                    data, peer = s.recvfrom(65536)
                except OSError:
                    continue
                log.write(f"udp {fmt(s.getsockname())} {label('udp', peer)}\n")
                try:
                    s.sendto(data, peer)
                except OSError:
                    pass


def udp_client(args):
    s = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    if args.bind:
        s.bind((args.bind, 0))
    s.settimeout(args.timeout)
    msg = b"clearnet-it-" + os.urandom(8).hex().encode()
    try:
        # connected, so that ICMP errors (port unreachable, admin prohibited) end the wait
        s.connect((args.addr, args.port))
        s.send(msg)
        while True:
            data = s.recv(65536)
            if data == msg:
                print("echo ok")
                return 0
    except OSError as e:
        print(f"udp {args.addr}:{args.port}: {e}", file=sys.stderr)
        return 1


def notify(args):
    try:
        os.unlink(args.path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(args.path)
    os.chmod(args.path, 0o666)
    with open(args.log, "a", buffering=1) as log:
        while True:
            data = s.recv(65536)
            log.write(data.decode(errors="replace").rstrip("\n") + "\n--\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("serve")
    ps.add_argument("--log", required=True)
    ps.add_argument("--marker", default="clearnet-it")
    ps.add_argument("--tcp", action="append", default=[])
    ps.add_argument("--udp", action="append", default=[])
    pu = sub.add_parser("udp")
    pu.add_argument("addr")
    pu.add_argument("port", type=int)
    pu.add_argument("--bind")
    pu.add_argument("--timeout", type=float, default=2.0)
    pn = sub.add_parser("notify")
    pn.add_argument("path")
    pn.add_argument("log")
    args = p.parse_args()
    if args.cmd == "serve":
        return serve(args)
    if args.cmd == "udp":
        return udp_client(args)
    return notify(args)


if __name__ == "__main__":
    sys.exit(main())
