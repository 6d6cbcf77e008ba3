"""redis-py's client-side caching (RESP3, CLIENT TRACKING) against the binary.

redis-py enables its cache only for a server that says it is Redis 7.4 or
later, so the binary reports that version (`--redis-version 7.4.0`); the
tracking it relies on is the same in 7.0.
"""

import pytest
import redis
from redis.cache import CacheConfig

AS_74 = pytest.mark.parametrize("mock_redis", [["--redis-version", "7.4.0"]], indirect=True)


@AS_74
def test_a_write_elsewhere_invalidates_the_cached_value(mock_redis):
    cached = redis.Redis(port=mock_redis.port, protocol=3, cache_config=CacheConfig())
    writer = redis.Redis(port=mock_redis.port)
    writer.set("profile:7", "alice")

    assert cached.get("profile:7") == b"alice"
    assert cached.get_cache().size == 1
    # Served from the cache: the server sees no second GET.
    before = int(writer.info("commandstats").get("cmdstat_get", {}).get("calls", 0))
    assert cached.get("profile:7") == b"alice"
    after = int(writer.info("commandstats").get("cmdstat_get", {}).get("calls", 0))
    assert after == before

    # The server tracks the key for the caching connection.
    tracking = [c for c in writer.client_list() if "t" in c["flags"]]
    assert len(tracking) == 1, writer.client_list()

    # Another client's write: the server pushes an invalidation, and the
    # next read goes to the server and sees the new value.
    writer.set("profile:7", "bob")
    assert cached.get("profile:7") == b"bob"
    assert int(writer.info("commandstats")["cmdstat_get"]["calls"]) == after + 1

    # Expiry and deletion invalidate too.
    writer.delete("profile:7")
    assert cached.get("profile:7") is None
    cached.close()
    writer.close()
