"""Starts the mock-redis binary for the examples, with the shared fixture
file and the admin API, and stops it after each test.

The binary is $MOCK_REDIS_BIN, else target/debug/mock-redis (or under
$CARGO_TARGET_DIR): build it with `cargo build --features cli`.
"""

import json
import os
import pathlib
import re
import signal
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "examples" / "fixtures" / "shop.toml"


def binary():
    if os.environ.get("MOCK_REDIS_BIN"):
        return os.environ["MOCK_REDIS_BIN"]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = target / "debug" / "mock-redis"
    if not path.exists():
        pytest.exit(f"{path} not found: run `cargo build --features cli` or set MOCK_REDIS_BIN", 2)
    return str(path)


class MockRedis:
    """A running binary: its Redis port, its admin URL and its stderr."""

    def __init__(self, *extra_args):
        self.proc = subprocess.Popen(
            [binary(), "--port", "0", "--admin-port", "0", "--mocks", str(FIXTURE), *extra_args],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "RUST_LOG": "info"},
        )
        self.port = None
        self.admin = None
        # The binary logs its admin URL, then its Redis address, once each
        # listens: read stderr until both are known.
        for line in self.proc.stderr:
            if self.admin is None:
                m = re.search(r"(http://127\.0\.0\.1:\d+/__admin)", line)
                if m:
                    self.admin = m.group(1)
            m = re.search(r"Ready to accept connections tcp.*127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        assert self.port and self.admin, "the binary exited before listening"
        self.rest = []
        self.reader = threading.Thread(target=lambda: self.rest.extend(self.proc.stderr), daemon=True)
        self.reader.start()

    def call(self, method, path, body=None):
        """An admin API request: (status, decoded JSON)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.admin + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    def stop(self):
        """Ctrl-C; the exit status (3 when an expectation is not met)."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=20)
        self.reader.join(timeout=20)
        return code


@pytest.fixture
def mock_redis(request):
    # `@pytest.mark.parametrize("mock_redis", [[args]], indirect=True)`
    # passes extra command-line arguments.
    server = MockRedis(*getattr(request, "param", []))
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
