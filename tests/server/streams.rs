//! Streams against the engine clock and over redis-rs: `*` IDs come from
//! the (frozen) engine clock, XPENDING idle times and XCLAIM/XAUTOCLAIM
//! min-idle follow `fast_forward`, the state API (`xadd`, `xrange`) serves
//! blocked readers, and a redis-rs `streams` consumer-group worker reads,
//! acknowledges and claims after a crash.

use std::time::{Duration, UNIX_EPOCH};

use mock_redis::MockRedis;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamClaimOptions, StreamClaimReply,
    StreamPendingCountReply, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncConnectionConfig, Value};

const PATIENCE: Duration = Duration::from_secs(20);

async fn connect(server: &MockRedis) -> MultiplexedConnection {
    let client = redis::Client::open(server.url()).unwrap();
    let config = AsyncConnectionConfig::new().set_response_timeout(None);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap()
}

#[tokio::test]
async fn star_ids_come_from_the_frozen_engine_clock() {
    let server = MockRedis::start().await;
    server.set_time(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123));
    server.freeze_time();
    let mut conn = connect(&server).await;
    let a: String = conn.xadd("s", "*", &[("f", "v")]).await.unwrap();
    let b: String = conn.xadd("s", "*", &[("f", "v")]).await.unwrap();
    assert_eq!(a, "1700000000123-0");
    assert_eq!(b, "1700000000123-1");
    server.fast_forward(Duration::from_millis(5));
    let c: String = conn.xadd("s", "*", &[("f", "v")]).await.unwrap();
    assert_eq!(c, "1700000000128-0");
    // A clock set back never makes IDs go backwards.
    server.set_time(UNIX_EPOCH + Duration::from_millis(1_000));
    let d: String = conn.xadd("s", "*", &[("f", "v")]).await.unwrap();
    assert_eq!(d, "1700000000128-1");
    // The state API uses the same clock.
    server.set_time(UNIX_EPOCH + Duration::from_millis(1_800_000_000_000));
    assert_eq!(
        server.db(0).xadd("s", "*", [("f", "v")]).unwrap(),
        "1800000000000-0"
    );
    assert_eq!(server.db(0).xlen("s").unwrap(), 5);
}

#[tokio::test]
async fn idle_times_follow_the_engine_clock() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let mut conn = connect(&server).await;
    let db = server.db(0);
    db.xadd("s", "1-1", [("job", "a")]).unwrap();
    db.xadd("s", "2-1", [("job", "b")]).unwrap();
    let _: () = conn.xgroup_create("s", "g", "0").await.unwrap();
    let opts = StreamReadOptions::default().group("g", "alice");
    let _: StreamReadReply = conn.xread_options(&["s"], &[">"], &opts).await.unwrap();

    server.fast_forward(Duration::from_millis(1500));
    let pending: Value = redis::cmd("XPENDING")
        .arg(&["s", "g", "-", "+", "10"])
        .query_async(&mut conn)
        .await
        .unwrap();
    let Value::Array(items) = pending else {
        panic!("{pending:?}")
    };
    for item in items {
        let Value::Array(fields) = item else { panic!() };
        assert_eq!(fields[2], Value::Int(1500));
        assert_eq!(fields[3], Value::Int(1));
    }
    // XCLAIM with a min-idle above the idle time claims nothing ...
    let claimed: StreamClaimReply = conn.xclaim("s", "g", "bob", 2000, &["1-1"]).await.unwrap();
    assert!(claimed.ids.is_empty());
    // ... until the clock moves past it.
    server.fast_forward(Duration::from_millis(600));
    let claimed: StreamClaimReply = conn.xclaim("s", "g", "bob", 2000, &["1-1"]).await.unwrap();
    assert_eq!(claimed.ids.len(), 1);
    assert_eq!(claimed.ids[0].id, "1-1");
    // XAUTOCLAIM: 2-1 has been idle 2100 ms, 1-1 was just claimed.
    let auto: StreamAutoClaimReply = conn
        .xautoclaim_options(
            "s",
            "g",
            "carol",
            2000,
            "0",
            StreamAutoClaimOptions::default(),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = auto.claimed.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["2-1"]);
    // XINFO CONSUMERS idle times follow the clock too.
    server.fast_forward(Duration::from_millis(250));
    let consumers: Value = redis::cmd("XINFO")
        .arg(&["CONSUMERS", "s", "g"])
        .query_async(&mut conn)
        .await
        .unwrap();
    let text = format!("{consumers:?}");
    assert!(
        text.contains("int(250)") && text.contains("int(2350)"),
        "{text}"
    );
}

#[tokio::test]
async fn the_state_api_serves_a_blocked_xread() {
    let server = MockRedis::start().await;
    let mut conn = connect(&server).await;
    let db = server.db(0);
    db.xadd("s", "1-1", [("a", "1")]).unwrap();
    let waiter = tokio::spawn(async move {
        let opts = StreamReadOptions::default().block(0);
        let r: StreamReadReply = conn.xread_options(&["s"], &["$"], &opts).await.unwrap();
        r
    });
    let mut probe = connect(&server).await;
    let start = std::time::Instant::now();
    loop {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut probe)
            .await
            .unwrap();
        if info.contains("blocked_clients:1") {
            break;
        }
        assert!(start.elapsed() < PATIENCE, "never blocked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    db.xadd("s", "2-1", [("b", "2")]).unwrap();
    let reply = tokio::time::timeout(PATIENCE, waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply.keys.len(), 1);
    assert_eq!(reply.keys[0].ids[0].id, "2-1");
    let entries = db.xrange("s", "-", "+").unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].fields, [("b".into(), "2".into())]);
    assert!(db.xrange("s", "x", "+").is_err());
    db.set("str", "v");
    assert!(db.xlen("str").is_err());
}

/// A consumer-group worker as an application writes it with redis-rs:
/// read new jobs, acknowledge them, and after a crash, another worker
/// claims what the dead one left pending.
#[tokio::test]
async fn a_redis_rs_consumer_group_worker() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let mut producer = connect(&server).await;
    let mut worker1 = connect(&server).await;
    let mut worker2 = connect(&server).await;
    let _: () = producer
        .xgroup_create_mkstream("jobs", "workers", "$")
        .await
        .unwrap();
    for i in 0..5 {
        let _: String = producer
            .xadd("jobs", format!("{}-0", i + 1), &[("n", i.to_string())])
            .await
            .unwrap();
    }
    // Worker 1 takes three jobs, finishes one, then "crashes".
    let opts = StreamReadOptions::default().group("workers", "w1").count(3);
    let got: StreamReadReply = worker1
        .xread_options(&["jobs"], &[">"], &opts)
        .await
        .unwrap();
    let ids: Vec<String> = got.keys[0].ids.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, ["1-0", "2-0", "3-0"]);
    let acked: usize = worker1.xack("jobs", "workers", &["1-0"]).await.unwrap();
    assert_eq!(acked, 1);
    drop(worker1);

    // Worker 2 takes the rest.
    let opts = StreamReadOptions::default().group("workers", "w2");
    let got: StreamReadReply = worker2
        .xread_options(&["jobs"], &[">"], &opts)
        .await
        .unwrap();
    assert_eq!(got.keys[0].ids.len(), 2);
    let _: usize = worker2
        .xack("jobs", "workers", &["4-0", "5-0"])
        .await
        .unwrap();

    let pending: StreamPendingCountReply = worker2
        .xpending_count("jobs", "workers", "-", "+", 10)
        .await
        .unwrap();
    let stuck: Vec<(String, String)> = pending
        .ids
        .iter()
        .map(|p| (p.id.clone(), p.consumer.clone()))
        .collect();
    assert_eq!(
        stuck,
        [("2-0".into(), "w1".into()), ("3-0".into(), "w1".into())]
    );

    // Too early to claim: they were delivered "now".
    let claimed: StreamClaimReply = worker2
        .xclaim("jobs", "workers", "w2", 60_000, &["2-0", "3-0"])
        .await
        .unwrap();
    assert!(claimed.ids.is_empty());
    server.fast_forward(Duration::from_secs(61));
    let opts = StreamClaimOptions::default().retry(5);
    let claimed: StreamClaimReply = worker2
        .xclaim_options("jobs", "workers", "w2", 60_000, &["2-0", "3-0"], opts)
        .await
        .unwrap();
    assert_eq!(claimed.ids.len(), 2);
    assert_eq!(claimed.ids[0].get::<String>("n").as_deref(), Some("1"));
    let _: usize = worker2
        .xack("jobs", "workers", &["2-0", "3-0"])
        .await
        .unwrap();
    let pending: StreamPendingCountReply = worker2
        .xpending_count("jobs", "workers", "-", "+", 10)
        .await
        .unwrap();
    assert!(pending.ids.is_empty());
    let len: usize = producer.xlen("jobs").await.unwrap();
    assert_eq!(len, 5);
}

#[tokio::test]
async fn a_blocked_xread_times_out_when_the_clock_passes_its_timeout() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let mut conn = connect(&server).await;
    let waiter = tokio::spawn(async move {
        let opts = StreamReadOptions::default().block(30_000);
        let r: Option<StreamReadReply> = conn.xread_options(&["s"], &["$"], &opts).await.unwrap();
        r
    });
    let mut probe = connect(&server).await;
    let start = std::time::Instant::now();
    loop {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut probe)
            .await
            .unwrap();
        if info.contains("blocked_clients:1") {
            break;
        }
        assert!(start.elapsed() < PATIENCE, "never blocked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.fast_forward(Duration::from_secs(31));
    let reply = tokio::time::timeout(PATIENCE, waiter)
        .await
        .unwrap()
        .unwrap();
    assert!(reply.is_none());
}

/// Key matchers see the keys of stream commands: XADD's, XREAD's after
/// STREAMS, XINFO's after the subcommand.
#[tokio::test]
async fn key_matchers_see_stream_keys() {
    use mock_redis::matchers::key;
    use mock_redis::{Mock, Reply};
    let server = MockRedis::start().await;
    Mock::given(key("orders:*"))
        .respond_with(Reply::error("ERR orders are mocked"))
        .mount(&server);
    let mut conn = connect(&server).await;
    let send = |args: &'static [&'static str]| {
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd
    };
    let mocked = |r: redis::RedisResult<Value>| {
        r.err()
            .is_some_and(|e| e.to_string().contains("orders are mocked"))
    };
    assert!(mocked(
        send(&["XADD", "orders:1", "1-1", "f", "v"])
            .query_async(&mut conn)
            .await
    ));
    assert!(!mocked(
        send(&["XADD", "other", "1-1", "f", "v"])
            .query_async(&mut conn)
            .await
    ));
    assert!(mocked(
        send(&[
            "XREAD", "COUNT", "1", "STREAMS", "other", "orders:1", "0", "0"
        ])
        .query_async(&mut conn)
        .await
    ));
    assert!(!mocked(
        send(&["XREAD", "STREAMS", "other", "0"])
            .query_async(&mut conn)
            .await
    ));
    assert!(mocked(
        send(&["XINFO", "STREAM", "orders:1"])
            .query_async(&mut conn)
            .await
    ));
    assert!(mocked(
        send(&["XGROUP", "CREATE", "orders:1", "g", "$", "MKSTREAM"])
            .query_async(&mut conn)
            .await
    ));
    assert!(!mocked(
        send(&["XLEN", "other"]).query_async(&mut conn).await
    ));
}
