#!/usr/bin/env python3
"""The server's protection limits under hostile clients (docs: README,
"Limits"): run a `mock-redis` binary (`cargo build --release --features
cli`), flood it as one row of issue 10 says, and print what it held (RSS and
peak RSS from /proc, whether the client was closed).

usage: scripts/limits.py BINARY ROW
  7     300k x 1 KB PUBLISH to nobody, then FLUSHALL (the published log)
  8     a blocked client (BLPOP) sends 1.3 GB (client-query-buffer-limit)
  9     a subscriber that never reads, 300k x 1 KB messages (pubsub limit)
  10    2,000 pipelined GETs of a 1 MB value, never read (normal limit/cap)
  12    CONFIG SET maxclients 5, then 10 connections
  12t   CONFIG SET timeout 1, then an idle client for 2.5 s
  12fd  the server under prlimit --nofile=64, 100 connections
  13    --bind 0.0.0.0, PING from the machine's first non-loopback address
Linux only (/proc, prlimit, hostname -I)."""
import os, socket, subprocess, sys, time

BIN, ROW = sys.argv[1], sys.argv[2]
PORT = 17000 + os.getpid() % 1000

def status(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024  # MB
def mb(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
def conn(src=None, rcvbuf=None, host="127.0.0.1"):
    s = socket.socket()
    if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if src: s.bind((src, 0))
    s.connect((host, PORT)); return s
def cmd(s, *args):
    s.sendall(mb(args)); return s.recv(1 << 20)
def drain(s, n):
    # read n replies of a simple kind (one line each)
    buf = b""
    while buf.count(b"\r\n") < n:
        chunk = s.recv(1 << 20)
        if not chunk: break
        buf += chunk
def is_open(s):
    # listed by CLIENT LIST (what the server holds), whatever the kernel buffered
    addr = "%s:%d" % s.getsockname()
    admin2 = conn(); listing = cmd(admin2, "CLIENT", "LIST"); admin2.close()
    return (b"addr=" + addr.encode() + b" ") in listing

PRE = ["prlimit", "--nofile=64:64"] if ROW == "12fd" else []
extra = ["--bind", "0.0.0.0"] if ROW == "13" else []
proc = subprocess.Popen(PRE + [BIN, "--port", str(PORT)] + extra, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
for _ in range(200):
    try: socket.create_connection(("127.0.0.1", PORT)).close(); break
    except OSError: time.sleep(0.02)
pid = proc.pid
base = status(pid, "VmRSS")
admin = conn()
try:
    if ROW == "7":   # 300k x 1 KB PUBLISH to nobody, then FLUSHALL
        msg = b"m" * 1024
        c = conn(); batch = mb(["PUBLISH", "nobody", msg]) * 1000
        for _ in range(300): c.sendall(batch); drain(c, 1000)
        cmd(admin, "FLUSHALL")
        print(f"row 7: RSS {base} MB -> {status(pid,'VmRSS')} MB after 300k x 1 KB PUBLISH + FLUSHALL")
    elif ROW == "8":  # blocked client sends 1.3 GB
        v = conn(); v.sendall(mb(["BLPOP", "q", "0"])); time.sleep(0.2)
        chunk = b"x" * (1 << 20); sent = 0; closed = False
        try:
            for _ in range(1300): v.sendall(chunk); sent += 1
        except (BrokenPipeError, ConnectionResetError): closed = True
        time.sleep(0.5)
        print(f"row 8: sent {sent} MB, closed={closed or not is_open(v)}, RSS {status(pid,'VmRSS')} MB, peak {status(pid,'VmHWM')} MB")
    elif ROW == "9":  # subscriber that never reads, 300k x 1 KB
        sub = conn(rcvbuf=4096); sub.sendall(mb(["SUBSCRIBE", "c"])); time.sleep(0.2)
        c = conn(); batch = mb(["PUBLISH", "c", b"m" * 1024]) * 1000
        for _ in range(300): c.sendall(batch); drain(c, 1000)
        time.sleep(0.3)
        print(f"row 9: subscriber open={is_open(sub)}, RSS {status(pid,'VmRSS')} MB, peak {status(pid,'VmHWM')} MB")
    elif ROW == "10":  # pipeline of 2,000 GET of a 1 MB value, never read (2 GB of replies)
        cmd(admin, "SET", "big", b"v" * (1 << 20))
        v = conn(rcvbuf=4096); req = mb(["GET", "big"]) * 100; closed = False
        try:
            for _ in range(20): v.sendall(req)
        except (BrokenPipeError, ConnectionResetError): closed = True
        time.sleep(1.0)
        print(f"row 10: closed={closed or not is_open(v)}, RSS {status(pid,'VmRSS')} MB, peak {status(pid,'VmHWM')} MB")
    elif ROW == "12":  # CONFIG SET maxclients 5, open 10 connections
        cmd(admin, "CONFIG", "SET", "maxclients", "5")
        got = []; keep = []
        for i in range(10):
            s = conn(); s.settimeout(1.0); keep.append(s)
            try: s.sendall(b"PING\r\n"); got.append(s.recv(100).decode().strip() or "EOF")
            except socket.timeout: got.append("no answer")
        print(f"row 12 maxclients 5: replies to 10 new connections: {got}")
    elif ROW == "12t":  # CONFIG SET timeout 1, idle 2.5 s
        cmd(admin, "CONFIG", "SET", "timeout", "1"); s = conn(); cmd(s, "PING"); time.sleep(2.5)
        print(f"row 12 timeout 1: idle client open after 2.5 s = {is_open(s)}")
    elif ROW == "12fd":  # fd exhaustion: run under `ulimit -n 64`, open 100 connections
        socks = []; answers = {}
        for i in range(100):
            s = conn(); s.settimeout(0.3)
            try: s.sendall(b"PING\r\n"); r = s.recv(100).decode().strip() or "EOF"
            except socket.timeout: r = "no answer"
            except ConnectionResetError: r = "reset"
            answers[r] = answers.get(r, 0) + 1; socks.append(s)
        time.sleep(1)
        proc.terminate(); err = proc.stderr.read().decode()
        print(f"row 12 fd (ulimit -n 64): {answers}; log lines: {len(err.splitlines())}")
    elif ROW == "13":  # --bind 0.0.0.0, connect via the machine's non-loopback address
        ip = subprocess.check_output(["hostname", "-I"]).split()[0].decode()
        s = conn(host=ip); s.sendall(b"PING\r\n"); time.sleep(0.3)
        print(f"row 13 --bind 0.0.0.0, from {ip}: {s.recv(4096)[:60]!r}")
finally:
    proc.kill()
