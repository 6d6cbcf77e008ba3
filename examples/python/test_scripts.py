"""redis-py's `Lock` and `Script` against the binary: both run Lua through
EVALSHA, falling back to EVAL when the server answers NOSCRIPT (issue 12).
"""

import pytest
import redis
from redis.exceptions import LockError, LockNotOwnedError


def calls(client, command):
    stats = client.info("commandstats").get(f"cmdstat_{command}", {})
    return int(stats.get("calls", 0))


def test_a_lock_is_held_extended_and_released_by_its_owner(mock_redis):
    client = redis.Redis(port=mock_redis.port)
    other = redis.Redis(port=mock_redis.port)

    lock = client.lock("resource:42", timeout=30)
    assert lock.acquire(blocking=False)
    assert lock.owned()
    token = client.get("resource:42")
    assert token == lock.local.token
    assert 0 < client.pttl("resource:42") <= 30_000

    # Somebody else cannot take it while it is held.
    rival = other.lock("resource:42", timeout=30)
    assert not rival.acquire(blocking=False)
    # Nor release or extend it (the scripts compare the token).
    rival.local.token = b"not-the-owner"
    with pytest.raises(LockNotOwnedError):
        rival.release()
    # (release forgets the token before it asks the server)
    rival.local.token = b"not-the-owner"
    with pytest.raises(LockNotOwnedError):
        rival.extend(10)
    assert client.get("resource:42") == token

    # Extending adds to the time left; reacquiring resets it.
    assert lock.extend(100)
    assert 100_000 < client.pttl("resource:42") <= 130_000
    assert lock.reacquire()
    assert 0 < client.pttl("resource:42") <= 30_000

    lock.release()
    assert client.exists("resource:42") == 0
    with pytest.raises(LockError):
        lock.release()
    # Free again: the rival gets it now.
    assert other.lock("resource:42", timeout=5).acquire(blocking=False)

    # redis-py ran its release, extend and reacquire scripts by SHA.
    assert calls(client, "evalsha") >= 5


def test_a_registered_script_falls_back_to_eval_after_script_flush(mock_redis):
    client = redis.Redis(port=mock_redis.port)
    incr_by = client.register_script(
        "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) return {v, redis.call('TYPE', KEYS[1])}"
    )

    assert incr_by(keys=["counter"], args=[5]) == [5, b"string"]
    assert client.script_exists(incr_by.sha) == [True]

    client.script_flush()
    assert client.script_exists(incr_by.sha) == [False]
    # EVALSHA answers NOSCRIPT; redis-py loads the script and runs it again.
    assert incr_by(keys=["counter"], args=[2]) == [7, b"string"]
    assert client.script_exists(incr_by.sha) == [True]

    # An error inside the script reaches the client with Redis's text.
    client.set("text", "abc")
    with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
        incr_by(keys=["text"], args=[1])
