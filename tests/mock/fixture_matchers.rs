//! Matchers over redis-rs: `.and(..)` on every matcher with no trait
//! imported (this file never imports `Match`), closures through `func`
//! without type annotations, and the command families `writes()` and
//! `touches_key(..)` that make `expect(0)` checks meaningful.

use mock_redis::matchers::{any, arg_at, args, command, db, func, key, touches_key, writes};
use mock_redis::{Mock, MockRedis, Reply, Response};

async fn conn(server: &MockRedis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn send(c: &mut redis::aio::MultiplexedConnection, args: &[&str]) -> redis::Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(c)
        .await
        .unwrap_or_else(|e| redis::Value::SimpleString(format!("error: {e}")))
}

fn bulk(s: &str) -> redis::Value {
    redis::Value::BulkString(s.as_bytes().to_vec())
}

/// Every matcher type combines with `.and(..)` as an inherent method.
#[tokio::test]
async fn every_matcher_has_and_without_a_trait_import() {
    let server = MockRedis::start().await;
    let mounted = [
        ("command", Mock::given(command("GET").and(key("c:*")))),
        ("args", Mock::given(args(["GET", "a:1"]).and(db(0)))),
        ("arg_at", Mock::given(arg_at(1, "b:1").and(command("GET")))),
        ("key", Mock::given(key("d:*").and(command("GET")))),
        ("db", Mock::given(db(3).and(command("GET")))),
        ("any", Mock::given(any().and(arg_at(1, "e:1")))),
        ("writes", Mock::given(writes().and(key("f:*")))),
        (
            "touches",
            Mock::given(touches_key("g:*").and(command("DEL"))),
        ),
        (
            "func",
            Mock::given(func(|req| req.args().len() == 3).and(command("HGET"))),
        ),
        // `And` itself chains on.
        (
            "chain",
            Mock::given(
                command("GET")
                    .and(key("h:*"))
                    .and(db(0))
                    .and(arg_at(1, "h:1")),
            ),
        ),
    ];
    for (name, builder) in mounted {
        builder
            .respond_with(Reply::bulk(name))
            .expect(1)
            .mount(&server);
    }
    let mut c = conn(&server).await;
    assert_eq!(send(&mut c, &["GET", "c:1"]).await, bulk("command"));
    assert_eq!(send(&mut c, &["GET", "a:1"]).await, bulk("args"));
    assert_eq!(send(&mut c, &["GET", "b:1"]).await, bulk("arg_at"));
    assert_eq!(send(&mut c, &["GET", "d:1"]).await, bulk("key"));
    assert_eq!(send(&mut c, &["GET", "e:1"]).await, bulk("any"));
    assert_eq!(send(&mut c, &["SET", "f:1", "v"]).await, bulk("writes"));
    assert_eq!(send(&mut c, &["DEL", "g:1"]).await, bulk("touches"));
    assert_eq!(send(&mut c, &["HGET", "h", "f"]).await, bulk("func"));
    assert_eq!(send(&mut c, &["GET", "h:1"]).await, bulk("chain"));
    let _ = send(&mut c, &["SELECT", "3"]).await;
    assert_eq!(send(&mut c, &["GET", "x"]).await, bulk("db"));
    server.verify();
}

#[tokio::test]
async fn func_closures_need_no_annotation() {
    let server = MockRedis::start().await;
    Mock::given(func(|req| req.db() == 1 && req.is_command("GET")))
        .and(func(|req| {
            req.arg(1).is_some_and(|k| k.starts_with(b"user:"))
        }))
        .respond_with(Reply::bulk("from db 1"))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(send(&mut c, &["GET", "user:1"]).await, redis::Value::Nil);
    let _ = send(&mut c, &["SELECT", "1"]).await;
    assert_eq!(send(&mut c, &["GET", "user:1"]).await, bulk("from db 1"));
    assert_eq!(send(&mut c, &["GET", "order:1"]).await, redis::Value::Nil);
    server.verify();
}

/// A spy on every write, tried first, that lets the engine answer.
fn write_spy(server: &MockRedis) -> mock_redis::MockGuard {
    Mock::given(writes())
        .respond_with(Response::pass_through())
        .with_priority(0)
        .mount_as_scoped(server)
}

#[tokio::test]
async fn writes_matches_the_commands_flagged_write() {
    let server = MockRedis::start().await;
    let spy = write_spy(&server);
    let mut c = conn(&server).await;
    // Reads, pub/sub and server commands are not writes.
    for read in [
        &["GET", "k"][..],
        &["HGETALL", "h"],
        &["EXISTS", "k"],
        &["PUBLISH", "ch", "m"],
        &["CONFIG", "GET", "maxmemory"],
        &["PING"],
        &["NOSUCHCOMMAND", "k"],
    ] {
        send(&mut c, read).await;
    }
    assert_eq!(spy.calls(), 0, "{:?}", spy.received_commands());
    // Writes, including queued in a transaction and keyless ones; the
    // engine answers them all (the transaction runs).
    for write in [
        &["SET", "k", "v"][..],
        &["HSET", "h", "f", "v"],
        &["EXPIRE", "k", "100"],
    ] {
        send(&mut c, write).await;
    }
    let (n, len): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("n")
        .cmd("LPUSH")
        .arg("q")
        .arg("a")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((n, len), (1, 1));
    send(&mut c, &["DEL", "k"]).await;
    send(&mut c, &["FLUSHDB"]).await;
    let seen: Vec<String> = spy.received_commands().iter().map(|r| r.name()).collect();
    assert_eq!(
        seen,
        ["SET", "HSET", "EXPIRE", "INCR", "LPUSH", "DEL", "FLUSHDB"]
    );
    assert_eq!(
        send(&mut c, &["EXISTS", "n"]).await,
        redis::Value::Int(0),
        "FLUSHDB ran"
    );
}

#[tokio::test]
async fn a_read_only_path_passes_a_no_writes_check() {
    let server = MockRedis::start().await;
    server.db(0).set("user:1", "alice");
    Mock::given(writes())
        .respond_with(Response::pass_through())
        .with_priority(0)
        .expect(0)
        .named("read-only path")
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(send(&mut c, &["GET", "user:1"]).await, bulk("alice"));
    server.verify();
}

#[tokio::test]
#[should_panic(
    expected = r#"  - mock 'read-only path': expected exactly 0 calls, received 1 call"#
)]
async fn a_write_fails_the_no_writes_check() {
    let server = MockRedis::start().await;
    // Another mock answers GETs; the spy still sees the write first.
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("cached"))
        .mount(&server);
    Mock::given(writes())
        .respond_with(Response::pass_through())
        .with_priority(0)
        .expect(0)
        .named("read-only path")
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(send(&mut c, &["GET", "user:1"]).await, bulk("cached"));
    send(&mut c, &["SETEX", "user:1", "60", "stale"]).await;
    server.verify();
}

#[tokio::test]
async fn touches_key_sees_key_arguments_and_keyspace_wide_writes() {
    let server = MockRedis::start().await;
    let spy = Mock::given(touches_key("config:*"))
        .respond_with(Response::pass_through())
        .with_priority(0)
        .mount_as_scoped(&server);
    let mut c = conn(&server).await;
    for other in [
        &["GET", "user:1"][..],
        &["SET", "user:1", "v"],
        &["KEYS", "config:*"], // a pattern, not a key
        &["PING"],
    ] {
        send(&mut c, other).await;
    }
    assert_eq!(spy.calls(), 0, "{:?}", spy.received_commands());
    for touching in [
        &["GET", "config:db"][..],
        &["MSET", "a", "1", "config:x", "2"],
        &["RENAME", "a", "config:y"],
        &["FLUSHALL"],
        &["SWAPDB", "0", "1"],
    ] {
        send(&mut c, touching).await;
    }
    let seen: Vec<String> = spy.received_commands().iter().map(|r| r.name()).collect();
    assert_eq!(seen, ["GET", "MSET", "RENAME", "FLUSHALL", "SWAPDB"]);
}

#[tokio::test]
#[should_panic(
    expected = r#"  - mock 'hands off config': expected exactly 0 calls, received 1 call"#
)]
async fn a_flush_fails_a_touches_key_check() {
    let server = MockRedis::start().await;
    Mock::given(touches_key("config:*"))
        .respond_with(Response::pass_through())
        .with_priority(0)
        .expect(0)
        .named("hands off config")
        .mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, &["DEL", "user:1"]).await;
    send(&mut c, &["FLUSHDB"]).await;
    server.verify();
}

/// `writes()` is a command part for the closest-mock ranking, and the
/// report says why it rejected.
#[tokio::test]
#[should_panic(
    expected = r#"  - "GET" "audit:1" (connection 1): closest mock 'audit writes' rejected it at writes() ("GET" does not write)"#
)]
async fn the_report_explains_a_writes_rejection() {
    let server = MockRedis::start().await;
    Mock::given(writes().and(key("audit:*")))
        .respond_with(Reply::ok())
        .expect(1)
        .named("audit writes")
        .mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, &["GET", "audit:1"]).await;
    server.verify();
}

#[test]
fn matchers_with_a_sync_client() {
    let server = MockRedis::start_blocking();
    Mock::given(
        command("HSET")
            .and(touches_key("user:*"))
            .and(func(|req| req.args().len() >= 4)),
    )
    .respond_with(Reply::int(1))
    .expect(1)
    .mount(&server);
    Mock::given(writes())
        .respond_with(Response::pass_through())
        .with_priority(9)
        .expect(1)
        .named("other writes")
        .mount(&server);
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let n: i64 = redis::cmd("HSET")
        .arg("user:1")
        .arg("name")
        .arg("alice")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 1);
    let () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    assert!(!server.db(0).exists("user:1"), "the mock answered the HSET");
    server.verify();
}
