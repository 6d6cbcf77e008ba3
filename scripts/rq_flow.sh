#!/usr/bin/env bash
# An application-level check of the CLI: Python's rq enqueues jobs against a
# `mock-redis` binary and `rq worker --burst` runs them, then the results,
# the failed job and the empty queue are checked through rq's own API.
#
#   scripts/rq_flow.sh            # builds the binary, makes a venv in a temp dir
#   RQ_VERSION='rq==2.6.1' scripts/rq_flow.sh
#
# Needs python3 with venv and pip (network access to PyPI for the install).
# Exits non-zero on any failure; the server and the temp dir are cleaned up.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RQ_VERSION=${RQ_VERSION:-rq>=1.16,<3}
WORK=$(mktemp -d)
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
cargo build --quiet --features cli --bin mock-redis
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/mock-redis

python3 -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "$RQ_VERSION"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --port "$PORT" >"$WORK/server.log" 2>&1 &
PID=$!
URL="redis://127.0.0.1:$PORT"

cat >"$WORK/tasks.py" <<'EOF'
def add(a, b):
    return a + b

def shout(word):
    return word.upper() + "!"

def broken():
    raise ValueError("this job fails on purpose")
EOF

cd "$WORK"
"$PY" - "$URL" <<'EOF'
import sys, time
from redis import Redis
conn = Redis.from_url(sys.argv[1])
deadline = time.time() + 20
while True:
    try:
        conn.ping()
        break
    except Exception:
        if time.time() > deadline:
            raise
        time.sleep(0.05)
from rq import Queue
q = Queue("default", connection=conn)
ids = [q.enqueue("tasks.add", 2, 3).id, q.enqueue("tasks.shout", "hi").id,
       q.enqueue("tasks.broken").id]
open("ids.txt", "w").write("\n".join(ids))
assert q.count == 3, q.count
print("enqueued", ids)
EOF

"$WORK/venv/bin/rq" worker --burst --url "$URL" default

"$PY" - "$URL" <<'EOF'
import sys
from redis import Redis
from rq import Queue
from rq.job import Job
conn = Redis.from_url(sys.argv[1])
add, shout, broken = open("ids.txt").read().split("\n")
def result(job):
    return job.return_value() if hasattr(job, "return_value") else job.result
a, s, b = (Job.fetch(i, connection=conn) for i in (add, shout, broken))
assert a.get_status() == "finished" and result(a) == 5, (a.get_status(), result(a))
assert s.get_status() == "finished" and result(s) == "HI!", (s.get_status(), result(s))
assert b.get_status() == "failed", b.get_status()
q = Queue("default", connection=conn)
assert q.count == 0, q.count
assert broken in q.failed_job_registry.get_job_ids()
print("rq flow: ok")
EOF
