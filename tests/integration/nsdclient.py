#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A raw client of clearnet-nsd's socket, for the launch tests (see launch-lib.sh).

It speaks include/clearnet/protocol.h by hand, so that it can also send what clearnet-run
never would. Every socket operation has a timeout: nothing here can hang.

  nsdclient.py --socket PATH bad MARKER_DIR
      one connection per malformed request (see CASES); prints "CASE OUTCOME DETAIL" a line,
      OUTCOME one of: error (an ERROR reply, then EOF), eof (dropped without a reply),
      started, exited, status, hang, sendfail. Exits 1 if any outcome is not error/eof.
      A request that nsd wrongly accepted would run `touch MARKER_DIR/CASE`.
  nsdclient.py --socket PATH burst N MARKER_DIR
      N malformed requests (bad version) as fast as it can, each waiting for its reply;
      prints "errors E eofs F seconds S"
  nsdclient.py --socket PATH idle N
      opens N connections, sends nothing, prints "ready"; on each stdin line "check"
      prints "open K closed C"; ends at stdin EOF
  nsdclient.py --socket PATH wait-drop SECONDS
      connects, sends nothing, waits at most SECONDS; prints "eof AFTER", "reply TYPE ..."
      or "timeout"
  nsdclient.py --socket PATH flood N [--sequential]
      opens N connections, then closes them all (--sequential: opens and closes one at a
      time); prints "opened and closed N"
  nsdclient.py --socket PATH run [--env K=V]... [--cwd DIR] [--close] -- ARGV...
      a COMMAND request with exactly this environment and our stdio; relays the replies
      and exits as clearnet-run would. --close: close the connection right after sending
      the request (the launcher "dies"); prints the pid from STARTED first if it came.
"""
import argparse
import array
import os
import select
import socket
import struct
import sys
import time

MAGIC = 0x54454E43
VERSION = 1
T_REQUEST, T_SIGNAL, T_STARTED, T_EXITED, T_ERROR, T_STATUS = 1, 2, 16, 17, 18, 19
K_COMMAND, K_APP, K_STATUS = 1, 2, 3
TYPE_NAMES = {T_STARTED: "started", T_EXITED: "exited", T_ERROR: "error", T_STATUS: "status"}
TIMEOUT = 10.0


def s(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack("<I", len(b)) + b


def header(mtype, payload_len, version=VERSION, magic=MAGIC):
    return struct.pack("<IHHI", magic, version, mtype, payload_len)


def message(mtype, payload, **kw):
    return header(mtype, len(payload), **kw) + payload


def request_payload(kind=K_COMMAND, app="", argv=(), env=(), cwd="/", argc=None, envc=None):
    p = struct.pack("<I", kind) + s(app)
    p += struct.pack("<I", len(argv) if argc is None else argc) + b"".join(s(a) for a in argv)
    p += struct.pack("<I", len(env) if envc is None else envc) + b"".join(s(e) for e in env)
    return p + s(cwd)


def request(**kw):
    return message(T_REQUEST, request_payload(**kw))


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.settimeout(TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sock.connect(path)
    return sock


def send(sock, data, fds=()):
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([data], anc)


def decode_reply(data):
    if len(data) < 12:
        return ("short", repr(data))
    magic, version, mtype, plen = struct.unpack_from("<IHHI", data)
    body = data[12:]
    if magic != MAGIC or version != VERSION or plen != len(body):
        return ("garbled", repr(data[:40]))
    name = TYPE_NAMES.get(mtype, "type%d" % mtype)
    if mtype == T_ERROR and len(body) >= 8:
        code, n = struct.unpack_from("<II", body)
        return (name, "%d %s" % (code, body[8:8 + n].decode("ascii", "replace")))
    if mtype in (T_STARTED,) and len(body) == 4:
        return (name, "%d" % struct.unpack("<I", body))
    if mtype in (T_EXITED,) and len(body) == 8:
        return (name, "%d %d" % struct.unpack("<II", body))
    if mtype == T_STATUS and len(body) == 12:
        return (name, "%d %d %d" % struct.unpack("<III", body))
    return (name, repr(body[:40]))


def recv_reply(sock):
    """("eof", ""), ("hang", ""), or a decoded reply."""
    try:
        data = sock.recv(1 << 17)
    except socket.timeout:
        return ("hang", "")
    except (ConnectionResetError, BrokenPipeError):
        return ("eof", "reset")
    if not data:
        return ("eof", "")
    return decode_reply(data)


def outcome(sock):
    """What the daemon does with a connection: an ERROR followed by EOF, or EOF."""
    first = recv_reply(sock)
    if first[0] == "error":
        after = recv_reply(sock)
        if after[0] != "eof":
            return ("error-then-" + after[0], first[1] + " / " + after[1])
    return first


def cases(marker_dir):
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    three = [null, null, null]

    def touch(name):
        return ["/usr/bin/touch", os.path.join(marker_dir, name)]

    def req(name, fds=three, **kw):
        kw.setdefault("argv", touch(name))
        return (name, request(**kw), fds)

    good = request_payload(argv=touch("truncated"))
    long_env = "X=" + "a" * 4095                  # 4097 bytes: one over the limit
    out = [
        ("oversize", message(T_REQUEST, request_payload(argv=touch("oversize"), env=["P=" + "b" * 65600]),
                             ), three),
        ("header-only", message(T_REQUEST, b""), three),
        ("truncated-datagram", header(T_REQUEST, len(good)) + good[:-6], three),
        ("truncated-fields", message(T_REQUEST, good[:-6]), three),
        ("trailing-bytes", message(T_REQUEST, good + b"\0"), three),
        ("short-header", header(T_REQUEST, 0)[:7], three),
        ("bad-magic", message(T_REQUEST, request_payload(argv=touch("bad-magic")), magic=0x12345678), three),
        ("version-0", message(T_REQUEST, request_payload(argv=touch("version-0")), version=0), three),
        ("version-2", message(T_REQUEST, request_payload(argv=touch("version-2")), version=2), three),
        ("unknown-type", message(99, request_payload(argv=touch("unknown-type"))), three),
        ("signal-first", message(T_SIGNAL, struct.pack("<I", 15)), []),
        req("unknown-kind", kind=99),
        req("fds-0", fds=[]),
        req("fds-2", fds=[null, null]),
        req("fds-4", fds=[null, null, null, null]),
        ("status-with-fds", request(kind=K_STATUS, app="x", cwd=""), three),
        req("argv-nul", argv=["/usr/bin/touch", os.path.join(marker_dir, "argv-nul") + "\0x"]),
        req("argv0-nul", argv=["/usr/bin/to\0uch", os.path.join(marker_dir, "argv0-nul")]),
        req("argv-empty", argv=[]),
        req("argv0-empty", argv=["", os.path.join(marker_dir, "argv0-empty")]),
        req("argv-257", argv=touch("argv-257") + ["y"] * 255),
        req("argv-total", argv=touch("argv-total") + ["z" * 11000] * 3),   # > 32 KiB in all
        req("argc-huge", argc=0xFFFFFFFF),
        req("env-entry-4097", env=[long_env]),
        req("env-nul", env=["A=b\0c"]),
        req("env-no-equals", env=["NOEQUALS"]),
        req("env-empty-key", env=["=x"]),
        req("env-count-129", env=["E%d=1" % i for i in range(129)]),
        req("envc-huge", envc=0xFFFFFFFF),
        req("cwd-relative", cwd="tmp"),
        req("cwd-empty", cwd=""),
        req("cwd-nul", cwd="/\0tmp"),
        req("command-with-app", app="x"),
        req("string-len-huge", argv=["/usr/bin/true"], env=[]),  # patched below
        ("empty-datagram", b"", three),
    ]
    # A string whose length field claims more than the datagram holds.
    p = bytearray(request_payload(argv=touch("string-len-huge")))
    struct.pack_into("<I", p, 4 + 4 + 4, 0x7FFFFFFF)   # kind, app "", argc, then argv[0]'s length
    out[-2] = ("string-len-huge", message(T_REQUEST, bytes(p)), three)
    return out


def cmd_bad(args):
    bad = 0
    for name, data, fds in cases(args.marker_dir):
        sock = connect(args.socket)
        try:
            send(sock, data, fds)
        except OSError as e:
            print(name, "sendfail", e)
            sock.close()
            bad += 1
            continue
        what, detail = outcome(sock)
        sock.close()
        print(name, what, detail)
        if what not in ("error", "eof"):
            bad += 1
    return 1 if bad else 0


def cmd_burst(args):
    errors = eofs = 0
    start = time.monotonic()
    data = message(T_REQUEST, request_payload(argv=["/usr/bin/touch", os.path.join(args.marker_dir, "burst")]),
                   version=7)
    for _ in range(args.n):
        sock = connect(args.socket)
        send(sock, data)
        what, _ = outcome(sock)
        sock.close()
        if what == "error":
            errors += 1
        elif what == "eof":
            eofs += 1
        else:
            print("unexpected", what)
            return 1
    print("errors %d eofs %d seconds %.3f" % (errors, eofs, time.monotonic() - start))
    return 0


def still_open(sock):
    r, _, _ = select.select([sock], [], [], 0)
    if not r:
        return True
    try:
        return sock.recv(1 << 16, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except OSError:
        return False


def cmd_idle(args):
    socks = [connect(args.socket) for _ in range(args.n)]
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "check":
            k = sum(1 for x in socks if still_open(x))
            print("open %d closed %d" % (k, len(socks) - k), flush=True)
    for x in socks:
        x.close()
    return 0


def cmd_wait_drop(args):
    sock = connect(args.socket)
    print("connected", flush=True)
    sock.settimeout(args.seconds)
    start = time.monotonic()
    what, detail = recv_reply(sock)
    if what == "eof":
        print("eof %.1f" % (time.monotonic() - start))
    elif what == "hang":
        print("timeout")
    else:
        print("reply", what, detail)
    return 0


def cmd_flood(args):
    opened = 0
    if args.sequential:
        for _ in range(args.n):
            connect(args.socket).close()
            opened += 1
    else:
        socks = []
        for _ in range(args.n):
            socks.append(connect(args.socket))
            opened += 1
        for x in socks:
            x.close()
    print("opened and closed %d" % opened)
    return 0


def cmd_run(args):
    argv = args.argv[1:] if args.argv and args.argv[0] == "--" else args.argv
    sock = connect(args.socket)
    sock.settimeout(None)
    send(sock, request(argv=argv, env=args.env, cwd=args.cwd), [0, 1, 2])
    if args.close:
        sock.settimeout(TIMEOUT)
        what, detail = recv_reply(sock)
        print(what, detail, flush=True)
        sock.close()
        return 0
    while True:
        what, detail = recv_reply(sock)
        if what == "started":
            continue
        if what == "exited":
            how, value = map(int, detail.split())
            return value if how == 1 else 128 + value
        print("nsdclient: %s %s" % (what, detail), file=sys.stderr)
        return 125


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("bad")
    p.add_argument("marker_dir")
    p = sub.add_parser("burst")
    p.add_argument("n", type=int)
    p.add_argument("marker_dir")
    p = sub.add_parser("idle")
    p.add_argument("n", type=int)
    p = sub.add_parser("wait-drop")
    p.add_argument("seconds", type=float)
    p = sub.add_parser("flood")
    p.add_argument("n", type=int)
    p.add_argument("--sequential", action="store_true")
    p = sub.add_parser("run")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--cwd", default="/")
    p.add_argument("--close", action="store_true")
    p.add_argument("argv", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    return {"bad": cmd_bad, "burst": cmd_burst, "idle": cmd_idle, "wait-drop": cmd_wait_drop,
            "flood": cmd_flood, "run": cmd_run}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
