#!/usr/bin/env python3
"""Memory of mock-redis against redis-server, in the same run.

    scripts/memory.py                    # 1M keys, 5,000 idle connections
    KEYS=100000 CONNS=1000 scripts/memory.py

Starts redis-server and the release `mock-redis` binary on spare loopback
ports and reports, for each:

* bytes per idle connection: RSS growth (and redis-server's `used_memory`
  growth) after CONNS clients connect and each sends one PING, divided by CONNS;
* bytes per key: growth after KEYS `SET key:NNNNNNNNN vNNNNNNN` (small string
  keys, loaded with `redis-cli --pipe`), divided by KEYS. The target is a mock
  RSS at most 1.5x redis-server's `used_memory` growth. Where the mock does not
  have SET yet, that row says so instead of a number;
* bytes per stream entry: growth after ENTRIES `XADD stream * f vNNNNNNN`
  into one stream, divided by ENTRIES. The target is a mock RSS at most 2x
  redis-server's `used_memory` growth.

* bytes per small collection: growth after COLLECTIONS hashes (HSET of 10
  fields), sets (SADD of 10 members), sorted sets (ZADD of 10 members) and
  lists (RPUSH of 10 elements), each kind in turn, divided by COLLECTIONS.
  The target is a mock RSS at most 1.5x redis-server's `used_memory` growth.

Every figure is taken once redis-server has finished rehashing its keyspace
table (see `wait_rehashed`): before that, the release of the old table
fell into whichever phase came next. A phase that makes the keyspace table
double still carries that growth (8 B per slot, a few to ~20 B per key
here), as does the mock's.

Environment: KEYS (default 1000000), ENTRIES (default 1000000), COLLECTIONS
(default 100000), CONNS
(default 5000), REDIS_PORT /
MOCK_PORT (default 7381 / 7382), MOCK_BIN (default: built here with
`cargo build --release --features cli`, from the target directory, which
honours CARGO_TARGET_DIR).
"""

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = int(os.environ.get("KEYS", "1000000"))
ENTRIES = int(os.environ.get("ENTRIES", "1000000"))
CONNS = int(os.environ.get("CONNS", "5000"))
COLLECTIONS = int(os.environ.get("COLLECTIONS", "100000"))
REDIS_PORT = int(os.environ.get("REDIS_PORT", "7381"))
MOCK_PORT = int(os.environ.get("MOCK_PORT", "7382"))
MOCK_BIN = os.environ.get("MOCK_BIN")


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def command(port, *args):
    """One command over a fresh connection; returns the raw reply bytes."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        req = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else a.encode()
            req += b"$%d\r\n%s\r\n" % (len(a), a)
        s.sendall(req)
        s.settimeout(10)
        out = b""
        while True:
            chunk = s.recv(1 << 16)
            out += chunk
            if not chunk:
                return out
            if b"\r\n" not in out:
                continue
            head = out[: out.index(b"\r\n") + 2]
            if not head.startswith(b"$") or int(head[1:-2]) < 0:
                return out
            if len(out) >= len(head) + int(head[1:-2]) + 2:
                return out


def used_memory(port):
    reply = command(port, "INFO", "memory").decode(errors="replace")
    for line in reply.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return None


def port_taken(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_ready(proc, name, port):
    """Until the server `proc` answers PING: a server that exited (its port
    taken meanwhile, say) ends the run instead of measuring whatever else
    answers there."""
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"memory.py: {name} exited at start (status {proc.returncode}); is port {port} taken?")
        try:
            if command(port, "PING") == b"+PONG\r\n":
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"memory.py: nothing answers PING on port {port}")


def wait_rehashed(port):
    """Waits until redis-server's keyspace table is not being rehashed.

    Redis grows its keyspace table incrementally: the old table is freed
    only once every bucket has moved, by later commands or by serverCron
    (1 ms every 100 ms), which can be seconds after a large load. Measured
    without waiting, the old table's release lands in the next phase, so a
    kind loaded after a resize looked smaller than it is (a zset of 10
    members read 172 B instead of 256 B with 1M keys loaded first).
    `DEBUG HTSTATS` shows the rehashing target while there is one (the
    script starts redis-server with `--enable-debug-command local`); a
    server that refuses the command (mock-redis) returns at once.
    """
    deadline = time.time() + 60
    while time.time() < deadline:
        reply = command(port, "DEBUG", "HTSTATS", "0")
        if not reply.startswith(b"$") or b"rehashing target" not in reply:
            return
        time.sleep(0.1)


def settle(pid, port=None):
    """RSS after the process has been quiet for a moment (and, for
    redis-server, has finished growing its keyspace table)."""
    if port is not None:
        wait_rehashed(port)
    time.sleep(0.5)
    return rss(pid)


def idle_connections(pid, port):
    before_rss = settle(pid, port)
    before_used = used_memory(port)
    conns = []
    for _ in range(CONNS):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"PING\r\n")
        conns.append(s)
    for s in conns:
        s.settimeout(10)
        assert s.recv(16) == b"+PONG\r\n"
    after_rss = settle(pid, port)
    after_used = used_memory(port)
    for s in conns:
        s.close()
    used = None if before_used is None or after_used is None else (after_used - before_used) / CONNS
    return (after_rss - before_rss) / CONNS, used


def load_keys(pid, port):
    probe = command(port, "SET", "memory-probe", "x")
    if not probe.startswith(b"+OK"):
        return None, None, probe.decode(errors="replace").strip()
    command(port, "DEL", "memory-probe")
    before_rss = settle(pid, port)
    before_used = used_memory(port)
    with tempfile.TemporaryFile() as data:
        chunk = []
        for i in range(KEYS):
            chunk.append(b"*3\r\n$3\r\nSET\r\n$13\r\nkey:%09d\r\n$8\r\nv%07d\r\n" % (i, i % 10_000_000))
            if len(chunk) == 10000:
                data.write(b"".join(chunk))
                chunk = []
        data.write(b"".join(chunk))
        data.seek(0)
        out = subprocess.run(
            ["redis-cli", "-p", str(port), "--pipe"], stdin=data, capture_output=True, text=True, check=False
        )
    if "errors: 0" not in out.stdout:
        return None, None, out.stdout.strip().splitlines()[-1] if out.stdout else out.stderr.strip()
    after_rss = settle(pid, port)
    after_used = used_memory(port)
    used = None if before_used is None or after_used is None else (after_used - before_used) / KEYS
    return (after_rss - before_rss) / KEYS, used, None


def load_stream(pid, port):
    probe = command(port, "XADD", "memory-probe", "*", "f", "v")
    if not probe.startswith(b"$"):
        return None, None, probe.decode(errors="replace").strip()
    command(port, "DEL", "memory-probe")
    before_rss = settle(pid, port)
    before_used = used_memory(port)
    with tempfile.TemporaryFile() as data:
        chunk = []
        for i in range(ENTRIES):
            chunk.append(b"*5\r\n$4\r\nXADD\r\n$6\r\nstream\r\n$1\r\n*\r\n$1\r\nf\r\n$8\r\nv%07d\r\n" % (i % 10_000_000))
            if len(chunk) == 10000:
                data.write(b"".join(chunk))
                chunk = []
        data.write(b"".join(chunk))
        data.seek(0)
        out = subprocess.run(
            ["redis-cli", "-p", str(port), "--pipe"], stdin=data, capture_output=True, text=True, check=False
        )
    if "errors: 0" not in out.stdout:
        return None, None, out.stdout.strip().splitlines()[-1] if out.stdout else out.stderr.strip()
    after_rss = settle(pid, port)
    after_used = used_memory(port)
    used = None if before_used is None or after_used is None else (after_used - before_used) / ENTRIES
    return (after_rss - before_rss) / ENTRIES, used, None


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def collection_command(kind, i):
    """One command creating small collection number `i` of `kind` (10 elements)."""
    key = b"%s:%09d" % (kind.encode(), i)
    if kind == "hash":
        args = [b"HSET", key] + [x for j in range(10) for x in (b"field%d" % j, b"v%07d" % (i + j))]
    elif kind == "set":
        args = [b"SADD", key] + [b"member:%07d" % (i + j) for j in range(10)]
    elif kind == "zset":
        args = [b"ZADD", key] + [x for j in range(10) for x in (b"%d" % j, b"member:%07d" % (i + j))]
    else:
        args = [b"RPUSH", key] + [b"v%07d" % (i + j) for j in range(10)]
    return resp(*args)


def load_collections(pid, port, kind):
    """Bytes per small collection of `kind` (RSS growth, used_memory growth)."""
    before_rss = settle(pid, port)
    before_used = used_memory(port)
    with tempfile.TemporaryFile() as data:
        chunk = []
        for i in range(COLLECTIONS):
            chunk.append(collection_command(kind, i))
            if len(chunk) == 10000:
                data.write(b"".join(chunk))
                chunk = []
        data.write(b"".join(chunk))
        data.seek(0)
        out = subprocess.run(
            ["redis-cli", "-p", str(port), "--pipe"], stdin=data, capture_output=True, text=True, check=False
        )
    if "errors: 0" not in out.stdout:
        sys.exit(f"memory.py: loading {kind}s failed: {out.stdout.strip()} {out.stderr.strip()}")
    after_rss = settle(pid, port)
    after_used = used_memory(port)
    used = None if before_used is None or after_used is None else (after_used - before_used) / COLLECTIONS
    return (after_rss - before_rss) / COLLECTIONS, used


KINDS = ("hash", "set", "zset", "list")


def fmt(v):
    return "n/a" if v is None else f"{v:,.0f}"


def main():
    for tool in ("redis-server", "redis-cli"):
        if not shutil.which(tool):
            sys.exit(f"memory.py: {tool} is not installed")
    mock_bin = MOCK_BIN
    if mock_bin is None:
        # The binary is behind the `cli` feature.
        subprocess.run(["cargo", "build", "--release", "--quiet", "--features", "cli", "--bin", "mock-redis"], cwd=ROOT, check=True)
        meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        mock_bin = os.path.join(json.loads(meta)["target_directory"], "release", "mock-redis")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, CONNS + 1000)), hard))

    for port in (REDIS_PORT, MOCK_PORT):
        if port_taken(port):
            sys.exit(f"memory.py: port {port} is taken; free it or set REDIS_PORT / MOCK_PORT")
    work = tempfile.mkdtemp(prefix="mock-redis-memory.")
    redis = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--enable-debug-command", "local", "--dir", work, "--logfile", os.path.join(work, "redis.log"), "--maxclients", str(CONNS + 100)],
    )
    mock = subprocess.Popen([mock_bin, "--port", str(MOCK_PORT)], env={**os.environ, "RUST_LOG": "warn"},
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(redis, "redis-server", REDIS_PORT)
        wait_ready(mock, "mock-redis", MOCK_PORT)
        rows = []
        for name, proc, port in (("redis-server", redis, REDIS_PORT), ("mock-redis", mock, MOCK_PORT)):
            conn_rss, conn_used = idle_connections(proc.pid, port)
            key_rss, key_used, err = load_keys(proc.pid, port)
            entry_rss, entry_used, entry_err = load_stream(proc.pid, port)
            per_kind = {kind: load_collections(proc.pid, port, kind) for kind in KINDS} if COLLECTIONS else {}
            rows.append((name, conn_rss, conn_used, key_rss, key_used, err, entry_rss, entry_used, entry_err, per_kind))
        print(f"| server | RSS/idle conn (B) | used_memory/idle conn (B, as INFO reports it) | RSS/key (B) | used_memory/key (B) |")
        print("|---|---:|---:|---:|---:|")
        for name, conn_rss, conn_used, key_rss, key_used, err, *_rest in rows:
            key_cell = fmt(key_rss) if err is None else f"n/a ({err[:50]})"
            print(f"| {name} | {fmt(conn_rss)} | {fmt(conn_used)} | {key_cell} | {fmt(key_used)} |")
        print()
        print("| server | RSS/stream entry (B) | used_memory/stream entry (B) |")
        print("|---|---:|---:|")
        for name, *_, entry_rss, entry_used, entry_err, _kinds in rows:
            cell = fmt(entry_rss) if entry_err is None else f"n/a ({entry_err[:50]})"
            print(f"| {name} | {cell} | {fmt(entry_used)} |")
        redis_key = rows[0][4]
        mock_key = rows[1][3]
        if redis_key and mock_key:
            print(f"\nmock RSS per key / redis used_memory per key: {mock_key / redis_key:.2f} (target <= 1.5)")
        redis_entry = rows[0][7]
        mock_entry = rows[1][6]
        if redis_entry and mock_entry:
            print(f"mock RSS per stream entry / redis used_memory per entry: {mock_entry / redis_entry:.2f} (target <= 2)")
        if COLLECTIONS:
            print()
            print("| kind (10 elements) | redis-server RSS (B) | redis-server used_memory (B) | mock-redis RSS (B) | mock RSS / redis used_memory |")
            print("|---|---:|---:|---:|---:|")
            for kind in KINDS:
                r_rss, r_used = rows[0][9][kind]
                m_rss, _ = rows[1][9][kind]
                ratio = f"{m_rss / r_used:.2f}" if r_used else "n/a"
                print(f"| {kind} | {fmt(r_rss)} | {fmt(r_used)} | {fmt(m_rss)} | {ratio} |")
        print(f"\n({KEYS:,} keys, {COLLECTIONS:,} collections of each kind, {ENTRIES:,} stream entries, {CONNS:,} idle connections; "
              f"{subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.split()[2]})")
    finally:
        for p in (redis, mock):
            p.terminate()
        for p in (redis, mock):
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
