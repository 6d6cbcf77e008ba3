//! The direct state API and the engine clock, exercised while real clients
//! (redis-rs async and sync) are connected.

use std::time::{Duration, UNIX_EPOCH};

use mock_redis::MockRedis;
use redis::{AsyncCommands, RedisResult};

#[tokio::test]
async fn state_api_and_clients_see_the_same_keyspace() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;

    server.db(0).set("from-test", "1");
    let v: String = conn.get("from-test").await?;
    assert_eq!(v, "1");

    let _: () = conn.set("from-client", "2").await?;
    assert_eq!(server.db(0).get("from-client").unwrap(), Some("2".into()));
    assert!(server.db(0).exists("from-client"));
    assert_eq!(server.db(0).type_of("from-client"), Some("string"));
    assert_eq!(server.db(0).keys(), ["from-client", "from-test"]);

    assert!(server.db(0).del("from-test"));
    let gone: Option<String> = conn.get("from-test").await?;
    assert_eq!(gone, None);

    server.db(5).set("elsewhere", "x");
    let none: Option<String> = conn.get("elsewhere").await?;
    assert_eq!(none, None);
    let _: () = redis::cmd("SELECT").arg(5).query_async(&mut conn).await?;
    let there: String = conn.get("elsewhere").await?;
    assert_eq!(there, "x");

    server.flushall();
    let size: i64 = redis::cmd("DBSIZE").query_async(&mut conn).await?;
    assert_eq!(size, 0);
    assert_eq!(server.dump(), "");
    Ok(())
}

#[tokio::test]
async fn fast_forward_expires_keys_for_every_view() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    server.freeze_time();

    let _: () = redis::cmd("SET")
        .arg("session")
        .arg("abc")
        .arg("EX")
        .arg(60)
        .query_async(&mut conn)
        .await?;
    server
        .db(0)
        .set_with_ttl("direct", "x", Duration::from_secs(30));
    assert_eq!(server.db(0).ttl("session"), Some(Duration::from_secs(60)));

    server.fast_forward(Duration::from_secs(45));
    let ttl: i64 = conn.ttl("session").await?;
    assert_eq!(ttl, 15);
    // fast_forward runs the expiry cycle: DBSIZE, KEYS, SCAN and INFO agree.
    let size: i64 = redis::cmd("DBSIZE").query_async(&mut conn).await?;
    assert_eq!(size, 1);
    let info: String = redis::cmd("INFO")
        .arg("keyspace")
        .query_async(&mut conn)
        .await?;
    assert!(
        info.contains("db0:keys=1,expires=1,avg_ttl=15000"),
        "{info}"
    );

    server.fast_forward(Duration::from_secs(16));
    let keys: Vec<String> = conn.keys("*").await?;
    assert!(keys.is_empty());
    let stats: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut conn)
        .await?;
    assert!(stats.contains("expired_keys:2\r\n"), "{stats}");
    Ok(())
}

#[tokio::test]
async fn frozen_and_set_time() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;

    let t = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    server.set_time(t);
    let (secs, micros): (String, String) = redis::cmd("TIME").query_async(&mut conn).await?;
    assert_eq!((secs.as_str(), micros.as_str()), ("1900000000", "0"));
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("PX")
        .arg(5)
        .query_async(&mut conn)
        .await?;
    // Frozen: real time passing (at least 30 ms, longer on a loaded
    // machine, which only makes the check stronger) expires nothing.
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(server.db(0).exists("k"));
    let at: i64 = redis::cmd("PEXPIRETIME")
        .arg("k")
        .query_async(&mut conn)
        .await?;
    assert_eq!(at, 1_900_000_000_005);

    server.set_time(t + Duration::from_millis(6));
    assert!(!server.db(0).exists("k"));
    assert_eq!(server.now(), t + Duration::from_millis(6));

    server.unfreeze_time();
    assert!(server.now() >= t + Duration::from_millis(6));
    Ok(())
}

#[tokio::test]
async fn active_expiry_removes_keys_nobody_reads() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("PX")
        .arg(20)
        .query_async(&mut conn)
        .await?;
    // DBSIZE never looks a key up, so only the periodic cycle can make it 0.
    crate::support::eventually("the active expiry cycle", async || {
        let size: i64 = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
        size == 0
    })
    .await;
    Ok(())
}

#[test]
fn dump_is_readable_and_works_with_a_sync_client() {
    let server = MockRedis::start_blocking();
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    server.freeze_time();
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg("hi\n")
        .query(&mut conn)
        .unwrap();
    let _: () = redis::cmd("SETEX")
        .arg("tmp")
        .arg(10)
        .arg("x")
        .query(&mut conn)
        .unwrap();
    let _: () = redis::cmd("SELECT").arg(2).query(&mut conn).unwrap();
    let _: () = redis::cmd("SET").arg("n").arg(7).query(&mut conn).unwrap();
    assert_eq!(
        server.dump(),
        "db0:\n  \"greeting\" string \"hi\\n\"\n  \"tmp\" string \"x\" (ttl 10000ms)\n\
         db2:\n  \"n\" string \"7\"\n"
    );
    assert_eq!(server.db(2).len(), 1);
    server.db(2).flush();
    assert!(server.db(2).is_empty());
    assert!(server.db(0).expire("greeting", Duration::from_secs(1)));
    assert!(!server.db(0).expire("missing", Duration::from_secs(1)));
    server.fast_forward(Duration::from_secs(2));
    let v: Option<String> = redis::cmd("GET").arg("greeting").query(&mut conn).unwrap();
    assert_eq!(v, None);
}

#[tokio::test]
async fn transactions_over_a_real_client() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .incr("counter", 1)
        .incr("counter", 41)
        .query_async(&mut conn)
        .await?;
    assert_eq!((a, b), (1, 42));

    // WATCH broken by a change made through the state API.
    let mut watcher = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    let _: () = redis::cmd("WATCH")
        .arg("counter")
        .query_async(&mut watcher)
        .await?;
    server.db(0).set("counter", "0");
    let result: Option<(i64,)> = redis::pipe()
        .atomic()
        .incr("counter", 1)
        .query_async(&mut watcher)
        .await?;
    assert_eq!(result, None);
    Ok(())
}

#[test]
fn redis_rs_transaction_helper_retries_after_a_conflict() {
    let server = MockRedis::start_blocking();
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let mut other = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("balance")
        .arg(10)
        .query(&mut conn)
        .unwrap();
    let mut attempts = 0;
    let (new_balance,): (i64,) = redis::transaction(&mut conn, &["balance"], |con, pipe| {
        attempts += 1;
        let balance: i64 = redis::cmd("GET").arg("balance").query(con)?;
        if attempts == 1 {
            // Another client writes between WATCH and EXEC: EXEC answers nil.
            let _: () = redis::cmd("INCRBY")
                .arg("balance")
                .arg(5)
                .query(&mut other)?;
        }
        pipe.set("balance", balance - 3)
            .ignore()
            .get("balance")
            .query(con)
    })
    .unwrap();
    assert_eq!(attempts, 2);
    assert_eq!(new_balance, 12);
}
