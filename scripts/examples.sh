#!/usr/bin/env bash
# The language examples against the `mock-redis` binary: the pytest suite in
# examples/python (redis-py) and the node:test suite in examples/node
# (ioredis). Each starts the binary with examples/fixtures/shop.toml and the
# admin API, mounts a mock over HTTP, verifies, and stops it with Ctrl-C.
#
#   scripts/examples.sh              # both
#   scripts/examples.sh python       # or: node
#
# Python: pytest and redis from PyPI into a temporary venv. Node: `npm ci`
# from the committed package-lock.json; without node/npm (>= 18) the Node
# suite is skipped with a message, unless EXAMPLES_REQUIRE_NODE=1 (CI).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHICH=${1:-all}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

cargo build --quiet --features cli --bin mock-redis
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export MOCK_REDIS_BIN="$TARGET/debug/mock-redis"

if [ "$WHICH" = all ] || [ "$WHICH" = python ]; then
    start=$(date +%s)
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check 'pytest>=7,<10' 'redis>=5,<8'
    (cd examples/python && "$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider)
    echo "examples/python: $(( $(date +%s) - start )) s"
fi

if [ "$WHICH" = all ] || [ "$WHICH" = node ]; then
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if ! command -v npm >/dev/null 2>&1 || [ "$major" -lt 18 ]; then
        msg="node >= 18 and npm are needed for examples/node (found node major '$major')"
        if [ "${EXAMPLES_REQUIRE_NODE:-0}" = 1 ]; then echo "error: $msg" >&2; exit 1; fi
        echo "SKIPPED examples/node: $msg"
    else
        start=$(date +%s)
        (cd examples/node && npm ci --no-audit --no-fund --loglevel=error && node --test)
        echo "examples/node: $(( $(date +%s) - start )) s"
    fi
fi
