#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulated internet's connectivity-check server, for test-portal-check.sh.

    portal-server.py --listen ADDR:PORT --mode-file FILE --log FILE

A raw TCP server (not http.server: it must be able to send anything, byte for byte). For
each connection it reads the request head (at most 64 KiB, 10 s), logs it as one JSON line
{"peer": ..., "head": <the raw bytes as latin-1>} in the log file, then answers as the
mode file (JSON, re-read for every connection) says:

    {"mode": "raw", "status": 200, "reason": "OK", "date": "now" | "<text>" | null,
     "headers": [["Name", "value"], ...], "body": "OK\\n", "length": true}

Strings are latin-1: "\\u00ff" is the byte 0xff, "\\u0000" a NUL. "date": "now" sends
the current time as an IMF-fixdate, a string sends that string, null or absent no Date.
"length": false leaves out Content-Length (the body then ends with the connection).
Other modes, each with the same status, date and headers:

    huge-headers   "size" bytes of extra header lines (default 1 MiB), then the body
    endless        the body, then "fill" (default "A") repeated until the client goes
                   away (or 30 s)
    slowloris      the status line, then one byte of a header every "interval" seconds
                   (default 1) until the client goes away (or 120 s)
    slow-body      the headers, then the body one byte every "interval" seconds
    close          close the connection without a byte
    garbage        "body" as the whole answer, no status line
"""

import argparse
import email.utils
import json
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()


def latin1(s):
    return s.encode("latin-1") if isinstance(s, str) else bytes(s)


class Handler(socketserver.BaseRequestHandler):
    def read_head(self):
        sock = self.request
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        end = data.find(b"\r\n\r\n")
        return data[: end + 4] if end >= 0 else data

    def log(self, head):
        entry = {"peer": self.client_address[0], "head": head.decode("latin-1"), "t": time.time()}
        with LOCK, open(self.server.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def mode(self):
        try:
            with open(self.server.mode_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {"mode": "raw"}

    def send(self, data):
        self.request.sendall(latin1(data))

    def head(self, m, length=None):
        status = int(m.get("status", 200))
        reason = m.get("reason", "OK")
        h = f"HTTP/1.1 {status} {reason}\r\n"
        date = m.get("date", "now")
        if date == "now":
            date = email.utils.formatdate(usegmt=True)
        if date is not None:
            h += f"Date: {date}\r\n"
        h += "Server: portal-server\r\n"
        for name, value in m.get("headers", []):
            h += f"{name}: {value}\r\n"
        if length is not None:
            h += f"Content-Length: {length}\r\n"
        h += "Connection: close\r\n"
        return h

    def handle(self):
        head = self.read_head()
        self.log(head)
        m = self.mode()
        mode = m.get("mode", "raw")
        body = m.get("body", "OK\n")
        sock = self.request
        sock.settimeout(5)
        try:
            if mode == "close":
                return
            if mode == "garbage":
                self.send(body)
                return
            if mode == "raw":
                length = len(latin1(body)) if m.get("length", True) else None
                self.send(self.head(m, length) + "\r\n" + body)
                return
            if mode == "huge-headers":
                size = int(m.get("size", 1 << 20))
                self.send(self.head(m, len(latin1(body))))
                line = "X-Filler: " + "x" * 990 + "\r\n"
                sent = 0
                while sent < size:
                    self.send(line)
                    sent += len(line)
                self.send("\r\n" + body)
                return
            if mode == "endless":
                fill = latin1(m.get("fill", "A")) * 4096
                self.send(self.head(m) + "\r\n" + body)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    sock.sendall(fill)
                return
            if mode in ("slowloris", "slow-body"):
                interval = float(m.get("interval", 1))
                if mode == "slowloris":
                    self.send(f"HTTP/1.1 {int(m.get('status', 200))} OK\r\n")
                    drip = b"X-Slow: " + b"z" * 100000
                else:
                    self.send(self.head(m) + "\r\n")
                    drip = latin1(body)
                deadline = time.monotonic() + 120
                for b in drip:
                    if time.monotonic() > deadline:
                        break
                    sock.sendall(bytes([b]))
                    time.sleep(interval)
                return
        except OSError:
            # the client went away (which is what a bounded client does)
            return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--mode-file", required=True)
    p.add_argument("--log", required=True)
    a = p.parse_args()
    addr, port = a.listen.rsplit(":", 1)
    srv = Server((addr, int(port)), Handler)
    srv.mode_file = a.mode_file
    srv.log = a.log
    print(f"listening on {a.listen}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
