"""redis-py against the mock-redis binary: mocks from a fixture file, mocks
mounted and verified through the admin API, and the verification report."""

import redis


def client(server):
    return redis.Redis(port=server.port, decode_responses=True)


def test_fixture_mocks_and_seed_keys(mock_redis):
    r = client(mock_redis)
    assert r.get("user:1") == "alice"
    assert [r.incr("visits"), r.incr("visits")] == [1, 2]
    try:
        r.incr("visits")
        raise AssertionError("the third INCR should fail")
    except redis.ResponseError as err:
        assert str(err) == "counter unavailable"
    # Seed data and everything no mock matches: the in-memory engine.
    assert r.hgetall("cart:2") == {"apples": "3", "pears": "1"}
    assert 0 < r.ttl("cart:2") <= 600
    r.set("free", "form")
    assert r.get("free") == "form"
    assert mock_redis.call("POST", "/verify") == (200, {"ok": True})
    assert mock_redis.stop() == 0


def test_mount_a_mock_and_verify(mock_redis):
    status, body = mock_redis.call(
        "POST",
        "/mocks",
        {"command": "HGETALL", "args": ["cart:1"], "reply": {"map": [["apples", "7"]]}, "expect": 1},
    )
    assert status == 201 and len(body["ids"]) == 1
    r = client(mock_redis)
    assert r.hgetall("cart:1") == {"apples": "7"}
    assert r.get("user:1") == "alice"
    journal = mock_redis.call("GET", "/journal")[1]["commands"]
    assert ["HGETALL", "cart:1"] in [c["args"] for c in journal]
    assert mock_redis.call("POST", "/verify") == (200, {"ok": True})
    assert mock_redis.stop() == 0


def test_an_unmet_expectation_is_reported(mock_redis):
    status, _ = mock_redis.call("POST", "/mocks", {"name": "never called", "command": "DEL", "args": ["x"], "reply": 1, "expect": 1})
    assert status == 201
    status, body = mock_redis.call("POST", "/verify")
    assert status == 409 and body["ok"] is False
    assert "never called" in body["report"], body["report"]
    # The binary reports it on exit too, with exit status 3.
    assert mock_redis.stop() == 3
    assert "never called" in "".join(mock_redis.rest)


def test_bad_json_changes_nothing(mock_redis):
    status, body = mock_redis.call("POST", "/mocks", [{"command": "GET", "reply": "ok"}, {"command": "GET", "repy": 1}])
    assert status == 400, body
    assert len(mock_redis.call("GET", "/mocks")[1]) == 2  # the fixture's two, nothing half-mounted
    client(mock_redis).get("user:1")
    assert mock_redis.stop() == 0
