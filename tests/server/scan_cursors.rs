//! Full SCAN, SSCAN, HSCAN and ZSCAN iterations through redis-rs, the way
//! node-redis v4 runs them: every cursor must survive `Number()` (stay
//! below 2^53), every element present from the first call to the last must
//! come back, with elements deleted and added between calls. The same
//! checks run against redis-server 7.0.15 when it is installed, so the
//! mock is held to what Redis itself guarantees.

use std::collections::HashSet;

use mock_redis::MockRedis;
use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, RedisResult};

use crate::support::redis_server::RealRedis;

const N: usize = 3000;

/// Fills db 0 with `N` string keys, and a set, a hash and a sorted set of
/// `N` members each (all hashtable-encoded: too many for a listpack).
async fn fill(conn: &mut MultiplexedConnection) -> RedisResult<()> {
    let _: () = redis::cmd("FLUSHALL").query_async(conn).await?;
    for chunk in (0..N).collect::<Vec<_>>().chunks(500) {
        let kv: Vec<(String, String)> = chunk
            .iter()
            .map(|i| (format!("k{i}"), i.to_string()))
            .collect();
        let _: () = conn.mset(&kv).await?;
        let members: Vec<String> = chunk.iter().map(|i| format!("m{i}")).collect();
        let _: i64 = conn.sadd("set", &members).await?;
        let fields: Vec<(String, i64)> = chunk.iter().map(|i| (format!("m{i}"), 1)).collect();
        let _: () = conn.hset_multiple("hash", &fields).await?;
        let scored: Vec<(i64, String)> =
            chunk.iter().map(|i| (*i as i64, format!("m{i}"))).collect();
        let _: i64 = conn.zadd_multiple("zset", &scored).await?;
    }
    Ok(())
}

/// One whole iteration of `cmd` (`SCAN` or `?SCAN key`), deleting one
/// element of the original ones and adding a new one after every call.
/// Returns what it saw and the elements present throughout; checks every
/// cursor on the way.
async fn iterate(
    conn: &mut MultiplexedConnection,
    cmd: &str,
    key: Option<&str>,
) -> RedisResult<(HashSet<String>, HashSet<String>, usize)> {
    let prefix = if key.is_some() { "m" } else { "k" };
    let mut kept: HashSet<String> = (0..N).map(|i| format!("{prefix}{i}")).collect();
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let mut c = redis::cmd(cmd);
        if let Some(k) = key {
            c.arg(k);
        }
        let (next, items): (String, Vec<String>) = c
            .arg(&cursor)
            .arg("COUNT")
            .arg(25)
            .query_async(conn)
            .await?;
        calls += 1;
        // node-redis v4: `Number(cursor)` must give the cursor back exactly.
        let as_number: f64 = next.parse().expect("a decimal cursor");
        assert!(
            as_number < 9_007_199_254_740_992.0,
            "{cmd}: cursor {next} over 2^53"
        );
        assert_eq!(
            format!("{as_number:.0}"),
            next,
            "{cmd}: cursor {next} loses digits as a Number"
        );
        let step = if matches!(cmd, "HSCAN" | "ZSCAN") {
            2
        } else {
            1
        };
        seen.extend(items.into_iter().step_by(step));
        if next == "0" {
            break;
        }
        cursor = next;
        // Mutate between calls: delete one original element, add a new one.
        let victim = format!("{prefix}{}", (calls * 7919) % N);
        kept.remove(&victim);
        let fresh = format!("new{calls}");
        match key {
            None => {
                let _: i64 = conn.del(&victim).await?;
                let _: () = conn.set(&fresh, 1).await?;
            }
            Some("set") => {
                let _: i64 = conn.srem("set", &victim).await?;
                let _: i64 = conn.sadd("set", &fresh).await?;
            }
            Some("hash") => {
                let _: i64 = conn.hdel("hash", &victim).await?;
                let _: i64 = conn.hset("hash", &fresh, 1).await?;
            }
            Some(_) => {
                let _: i64 = conn.zrem("zset", &victim).await?;
                let _: i64 = conn.zadd("zset", &fresh, 1).await?;
            }
        }
        assert!(calls < 100 * N, "{cmd} never ends");
    }
    Ok((seen, kept, calls))
}

async fn check_all(url: String, server: &str) -> RedisResult<Vec<usize>> {
    let client = redis::Client::open(url)?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    let mut calls = Vec::new();
    for (cmd, key) in [
        ("SCAN", None),
        ("SSCAN", Some("set")),
        ("HSCAN", Some("hash")),
        ("ZSCAN", Some("zset")),
    ] {
        fill(&mut conn).await?;
        let (seen, kept, n) = iterate(&mut conn, cmd, key).await?;
        let missed: Vec<_> = kept.difference(&seen).collect();
        assert!(
            missed.is_empty(),
            "{server} {cmd} missed {} elements: {:?}",
            missed.len(),
            &missed[..missed.len().min(5)]
        );
        calls.push(n);
    }
    Ok(calls)
}

#[tokio::test]
async fn cursors_stay_below_2_53_and_iterations_miss_nothing() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let mock_calls = check_all(server.url(), "mock").await?;
    // COUNT 25 over ~3000 elements: about 120 calls, never a scan of the
    // whole collection per call.
    for n in &mock_calls {
        assert!((100..=200).contains(n), "{mock_calls:?}");
    }
    if let Some(real) = RealRedis::start() {
        let redis_calls =
            check_all(format!("redis://127.0.0.1:{}/", real.port), "redis-server").await?;
        eprintln!("calls per iteration: mock {mock_calls:?}, redis-server {redis_calls:?}");
    }
    Ok(())
}
