#!/usr/bin/env python3
"""Captures redis-server's COMMAND INFO and COMMAND DOCS into the data file
mock-redis serves them from (src/engine/command_docs/redis-7.0.15.resp).

    python3 scripts/gen-command-table.py [--server /usr/bin/redis-server]

Starts the given redis-server on a free port without a configuration file,
asks `COMMAND INFO` and `COMMAND DOCS` (every command) over RESP3, and
writes one RESP3 array of `[name, info, docs]` triples sorted by full name
(`get`, `client|list`): one triple per command and per subcommand, each
with its `subcommands` parts removed (mock-redis builds those from the
subcommands it implements). The file is the wire form Redis sent, so
mock-redis's parser (`src/engine/command_docs/mod.rs`) reads it back into
the same replies in RESP2 and RESP3.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "engine", "command_docs",
                   "redis-7.0.15.resp")


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self.line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return (t, rest)
        if t == b":":
            return (t, int(rest))
        if t == b"$":
            return (t, self.exact(int(rest)))
        if t in (b"*", b"~"):
            return (t, [self.read() for _ in range(int(rest))])
        if t == b"%":
            return (t, [(self.read(), self.read()) for _ in range(int(rest))])
        if t == b"_":
            return (t, None)
        raise ValueError("unexpected RESP3 type %r" % line)


def encode(v):
    t, x = v
    if t in (b"+", b"-"):
        return t + x + b"\r\n"
    if t == b":":
        return b":%d\r\n" % x
    if t == b"$":
        return b"$%d\r\n" % len(x) + x + b"\r\n"
    if t in (b"*", b"~"):
        return t + b"%d\r\n" % len(x) + b"".join(encode(i) for i in x)
    if t == b"%":
        return b"%%%d\r\n" % len(x) + b"".join(encode(k) + encode(val) for k, val in x)
    if t == b"_":
        return b"_\r\n"
    raise ValueError(t)


def command(sock, reader, *args):
    req = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
    sock.sendall(req)
    return reader.read()


def bulk(s):
    return (b"$", s.encode() if isinstance(s, str) else s)


def flatten_info(entry, out):
    """COMMAND INFO entries: element 9 holds the subcommands."""
    items = entry[1]
    name = items[0][1].decode()
    subs = items[9][1]
    items = items[:9] + [(b"*", [])]
    out.setdefault(name, [None, None])[0] = (b"*", items)
    for sub in subs:
        flatten_info(sub, out)


def flatten_docs(name, doc, out):
    fields = []
    for k, v in doc[1]:
        if k[1] == b"subcommands":
            for sub_name, sub_doc in v[1]:
                flatten_docs(sub_name[1].decode(), sub_doc, out)
        else:
            fields.append((k, v))
    out.setdefault(name, [None, None])[1] = (b"%", fields)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="/usr/bin/redis-server")
    ap.add_argument("--out", default=OUT)
    opts = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.Popen([opts.server, "--port", str(port), "--save", "", "--appendonly", "no",
                                 "--dir", d], stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    sock = socket.create_connection(("127.0.0.1", port))
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                sys.exit("redis-server did not start")
            reader = Reader(sock)
            command(sock, reader, "HELLO", "3")
            version = dict((k[1], v[1]) for k, v in command(sock, reader, "HELLO", "3")[1])[b"version"]
            out = {}
            for entry in command(sock, reader, "COMMAND", "INFO")[1]:
                flatten_info(entry, out)
            for name, doc in command(sock, reader, "COMMAND", "DOCS")[1]:
                flatten_docs(name[1].decode(), doc, out)
            sock.close()
        finally:
            proc.terminate()
            proc.wait()
    missing = [n for n, (i, d) in out.items() if i is None or d is None]
    if missing:
        sys.exit("entries missing INFO or DOCS: %s" % missing)
    triples = [(b"*", [bulk(n), out[n][0], out[n][1]]) for n in sorted(out)]
    data = encode((b"*", triples))
    with open(opts.out, "wb") as f:
        f.write(data)
    print("redis %s: %d entries, %d bytes -> %s" % (version.decode(), len(triples), len(data),
                                                      os.path.normpath(opts.out)))


if __name__ == "__main__":
    main()
