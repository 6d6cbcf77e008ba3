//! The direct state API on `server.db(n)`, helper by helper, checked against
//! what a redis-rs client reads and writes on the same server: strings,
//! lists, hashes, sets and sorted sets, keys and expiry, WRONGTYPE and
//! Redis's refusals as `StateError`s, the side effects writes share with
//! commands (keyspace events, WATCH, blocked clients, encodings), and the
//! assertion helpers' failure messages.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use mock_redis::{MockRedis, RedisString, StateError};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Commands, Connection, Value};

/// Tests mix redis-rs's errors and the state API's.
type TestResult = Result<(), Box<dyn std::error::Error>>;

fn sync_conn(server: &MockRedis) -> Connection {
    redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

/// An async connection without redis-rs's response timeout (a blocked
/// command waits longer than that).
async fn async_conn(server: &MockRedis) -> MultiplexedConnection {
    let config = AsyncConnectionConfig::new().set_response_timeout(None);
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap()
}

fn wrong_type(key: &str, expected: &'static str, actual: &'static str) -> StateError {
    StateError::WrongType {
        key: key.into(),
        expected,
        actual,
    }
}

fn info_field(conn: &mut Connection, section: &str, field: &str) -> Option<String> {
    let info: String = redis::cmd("INFO").arg(section).query(conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
}

// --- RedisString ---------------------------------------------------------

#[test]
fn redis_string_compares_converts_and_prints_quoted() {
    let v = RedisString::from("caf\u{e9}");
    assert_eq!(v, "caf\u{e9}");
    assert_eq!(v, String::from("caf\u{e9}"));
    assert_eq!(v, "caf\u{e9}".as_bytes());
    assert_eq!(v, "caf\u{e9}".as_bytes().to_vec());
    assert_eq!("caf\u{e9}", v);
    assert_ne!(v, "cafe");
    assert_eq!(format!("{v:?}"), r#""caf\xc3\xa9""#);
    assert_eq!(v.to_string(), "caf\u{e9}");
    let bin = RedisString::from(vec![0u8, b'"', 0xff]);
    assert_eq!(bin, b"\0\"\xff");
    assert_eq!(format!("{bin:?}"), r#""\x00\"\xff""#);
    assert_eq!(bin.as_str(), None);
    assert!(bin.clone().into_string().is_err());
    assert_eq!(Vec::<u8>::from(bin), vec![0, b'"', 0xff]);
}

// --- strings ---------------------------------------------------------------

#[test]
fn strings_written_by_the_test_are_what_clients_read() -> TestResult {
    let server = MockRedis::start_blocking();
    let mut conn = sync_conn(&server);
    let db = server.db(0);

    db.set("s", "v");
    db.set(String::from("owned"), String::from("o"));
    db.set(b"bin".as_slice(), vec![0u8, 255]);
    let s: String = conn.get("s")?;
    assert_eq!(s, "v");
    let owned: String = conn.get("owned")?;
    assert_eq!(owned, "o");
    let bin: Vec<u8> = conn.get("bin")?;
    assert_eq!(bin, vec![0, 255]);

    server.freeze_time();
    db.set_with_ttl("t", "x", Duration::from_secs(30));
    let pttl: i64 = conn.pttl("t")?;
    assert_eq!(pttl, 30_000);
    db.set("t", "y"); // SET drops the time to live
    let ttl: i64 = conn.ttl("t")?;
    assert_eq!(ttl, -1);

    assert_eq!(db.incr("n", 5), Ok(5));
    assert_eq!(db.incr("n", -7), Ok(-2));
    let n: i64 = conn.get("n")?;
    assert_eq!(n, -2);
    // And the other way: what a client writes, the state API reads.
    let _: i64 = conn.incr("n", 10)?;
    assert_eq!(db.get("n")?, Some("8".into()));
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("n")
        .query(&mut conn)?;
    assert_eq!(encoding, "int");
    assert_eq!(db.get("missing")?, None);
    Ok(())
}

#[test]
fn set_with_ttl_expires_strictly_after_its_deadline() {
    let server = MockRedis::start_blocking();
    server.freeze_time();
    let db = server.db(0);
    db.set_with_ttl("k", "v", Duration::from_millis(500));
    server.fast_forward(Duration::from_millis(500));
    db.assert_string("k", "v");
    server.fast_forward(Duration::from_millis(1));
    db.assert_missing("k");
    assert_eq!(db.get("k"), Ok(None));
}

// --- lists -----------------------------------------------------------------

#[test]
fn lists_match_lrange_and_pops() -> TestResult {
    let server = MockRedis::start_blocking();
    let mut conn = sync_conn(&server);
    let db = server.db(0);

    assert_eq!(db.rpush("l", ["b", "c"]), Ok(2));
    assert_eq!(db.lpush("l", ["a", "z"]), Ok(4)); // z ends up first
    let all: Vec<String> = conn.lrange("l", 0, -1)?;
    assert_eq!(all, ["z", "a", "b", "c"]);
    assert_eq!(db.lrange("l", 0, -1)?, ["z", "a", "b", "c"]);
    assert_eq!(db.lrange("l", 1, 2)?, ["a", "b"]);
    assert_eq!(db.lrange("l", -2, 100)?, ["b", "c"]);
    assert_eq!(db.lrange("l", -100, 0)?, ["z"]);
    assert!(db.lrange("l", 3, 1)?.is_empty());
    assert!(db.lrange("l", 9, 20)?.is_empty());
    assert!(db.lrange("missing", 0, -1)?.is_empty());
    assert_eq!(db.llen("l"), Ok(4));
    // An empty push adds nothing and answers the current length.
    assert_eq!(db.rpush("l", Vec::<&str>::new()), Ok(4));
    assert_eq!(db.lpush("none", Vec::<&str>::new()), Ok(0));
    assert!(!db.exists("none"));

    assert_eq!(db.lpop("l")?, Some("z".into()));
    assert_eq!(db.rpop("l")?, Some("c".into()));
    let left: Vec<String> = conn.lrange("l", 0, -1)?;
    assert_eq!(left, ["a", "b"]);
    let _: i64 = conn.rpush("l", "from-client")?;
    db.assert_list("l", ["a", "b", "from-client"]);

    // Popping the last element deletes the key, as LPOP does.
    db.del("l");
    db.rpush("one", ["x"])?;
    assert_eq!(db.rpop("one")?, Some("x".into()));
    assert!(!db.exists("one"));
    assert_eq!(db.lpop("one")?, None);
    Ok(())
}

// --- hashes ----------------------------------------------------------------

#[test]
fn hashes_match_hgetall_and_keep_redis_encodings() -> TestResult {
    let server = MockRedis::start_blocking();
    let mut conn = sync_conn(&server);
    let db = server.db(0);

    assert_eq!(db.hset("h", [("name", "alice"), ("age", "30")]), Ok(2));
    assert_eq!(db.hset("h", [("age", "31"), ("city", "paris")]), Ok(1));
    let all: HashMap<String, String> = conn.hgetall("h")?;
    assert_eq!(all.len(), 3);
    assert_eq!(all["age"], "31");
    // HGETALL's order (insertion order while listpack-encoded) is kept.
    let raw: Vec<String> = redis::cmd("HKEYS").arg("h").query(&mut conn)?;
    assert_eq!(raw, ["name", "age", "city"]);
    assert_eq!(db.hkeys("h")?, ["name", "age", "city"]);
    assert_eq!(db.hvals("h")?, ["alice", "31", "paris"]);
    assert_eq!(
        db.hgetall("h")?,
        [
            ("name".into(), "alice".into()),
            ("age".into(), "31".into()),
            ("city".into(), "paris".into())
        ]
    );
    assert_eq!(db.hget("h", "name")?, Some("alice".into()));
    assert_eq!(db.hget("h", "nope")?, None);
    assert_eq!(db.hget("missing", "name")?, None);
    assert_eq!(db.hlen("h"), Ok(3));

    let _: i64 = conn.hset("h", "from-client", "1")?;
    assert_eq!(db.hget("h", "from-client")?, Some("1".into()));

    assert_eq!(db.hincr("h", "age", 2), Ok(33));
    let age: i64 = conn.hget("h", "age")?;
    assert_eq!(age, 33);

    assert_eq!(db.hdel("h", ["name", "nope"]), Ok(1));
    assert_eq!(db.hdel("h", Vec::<String>::new()), Ok(0));
    let n: i64 = conn.hlen("h")?;
    assert_eq!(n, 3);
    assert_eq!(db.hdel("h", ["age", "city", "from-client"]), Ok(3));
    assert!(!db.exists("h"), "HDEL of the last field deletes the key");

    // A long value converts the hash, exactly as HSET does.
    db.hset("big", [("f", "x".repeat(65))])?;
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("big")
        .query(&mut conn)?;
    assert_eq!(encoding, "hashtable");
    db.hset("small", [("f", "x")])?;
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("small")
        .query(&mut conn)?;
    assert_eq!(encoding, "listpack");
    Ok(())
}

// --- sets ------------------------------------------------------------------

#[test]
fn sets_match_smembers() -> TestResult {
    let server = MockRedis::start_blocking();
    let mut conn = sync_conn(&server);
    let db = server.db(0);

    assert_eq!(db.sadd("s", ["c", "a", "b", "a"]), Ok(3));
    assert_eq!(db.sadd("s", ["a", "d"]), Ok(1));
    let mut members: Vec<String> = conn.smembers("s")?;
    members.sort();
    assert_eq!(members, ["a", "b", "c", "d"]);
    assert_eq!(db.smembers("s")?, ["a", "b", "c", "d"]);
    assert_eq!(db.sismember("s", "a"), Ok(true));
    assert_eq!(db.sismember("s", "z"), Ok(false));
    assert_eq!(db.sismember("missing", "a"), Ok(false));
    assert_eq!(db.scard("s"), Ok(4));
    let is: bool = conn.sismember("s", "d")?;
    assert!(is);

    assert_eq!(db.srem("s", ["a", "z"]), Ok(1));
    let n: i64 = conn.scard("s")?;
    assert_eq!(n, 3);
    let _: i64 = conn.sadd("s", "from-client")?;
    db.assert_set_members("s", ["from-client", "d", "c", "b"]);
    assert_eq!(db.srem("s", ["b", "c", "d", "from-client"]), Ok(4));
    assert!(!db.exists("s"));

    // Integers only: an intset, as SADD makes it.
    db.sadd("ints", ["3", "1", "2"])?;
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("ints")
        .query(&mut conn)?;
    assert_eq!(encoding, "intset");
    Ok(())
}

// --- sorted sets -----------------------------------------------------------

#[test]
fn sorted_sets_match_zrange_withscores() -> TestResult {
    let server = MockRedis::start_blocking();
    let mut conn = sync_conn(&server);
    let db = server.db(0);

    assert_eq!(
        db.zadd("z", [("alice", 10.0), ("bob", 7.5), ("carol", 0.1)]),
        Ok(3)
    );
    assert_eq!(db.zadd("z", [("bob", 12.0), ("dan", -1.0)]), Ok(1));
    let ranked: Vec<(String, f64)> = conn.zrange_withscores("z", 0, -1)?;
    assert_eq!(
        ranked,
        [
            ("dan".to_string(), -1.0),
            ("carol".to_string(), 0.1),
            ("alice".to_string(), 10.0),
            ("bob".to_string(), 12.0)
        ]
    );
    assert_eq!(
        db.zrange_withscores("z", 0, -1)?,
        [
            ("dan".into(), -1.0),
            ("carol".into(), 0.1),
            ("alice".into(), 10.0),
            ("bob".into(), 12.0)
        ]
    );
    assert_eq!(db.zrange("z", 1, 2)?, ["carol", "alice"]);
    assert_eq!(db.zrange("z", -1, -1)?, ["bob"]);
    assert!(db.zrange("z", 5, 9)?.is_empty());
    assert_eq!(db.zscore("z", "carol"), Ok(Some(0.1)));
    assert_eq!(db.zscore("z", "nobody"), Ok(None));
    assert_eq!(db.zcard("z"), Ok(4));

    assert_eq!(db.zincr("z", "dan", 0.5), Ok(-0.5));
    let score: f64 = conn.zscore("z", "dan")?;
    assert_eq!(score, -0.5);
    let _: i64 = conn.zadd("z", "from-client", 100)?;
    assert_eq!(db.zscore("z", "from-client"), Ok(Some(100.0)));

    // Scores that need every digit, and infinities, go through exactly.
    db.zadd("exact", [("third", 1.0 / 3.0), ("top", f64::INFINITY)])?;
    db.zadd("exact", [("bottom", f64::NEG_INFINITY), ("tiny", 5e-324)])?;
    let text: Vec<String> = redis::cmd("ZRANGE")
        .arg("exact")
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut conn)?;
    assert_eq!(
        text,
        [
            "bottom",
            "-inf",
            "tiny",
            "4.9406564584124654e-324",
            "third",
            "0.33333333333333331",
            "top",
            "inf"
        ]
    );
    assert_eq!(db.zscore("exact", "third"), Ok(Some(1.0 / 3.0)));

    assert_eq!(db.zrem("z", ["dan", "nobody"]), Ok(1));
    assert_eq!(db.zrem("z", Vec::<&str>::new()), Ok(0));
    let n: i64 = conn.zcard("z")?;
    assert_eq!(n, 4);
    db.zrem("exact", ["bottom", "tiny", "third", "top"])?;
    assert!(!db.exists("exact"));
    Ok(())
}

// --- any key ---------------------------------------------------------------

#[test]
fn keys_expiry_and_dump() -> TestResult {
    let server = MockRedis::start_blocking();
    let mut conn = sync_conn(&server);
    server.freeze_time();
    let db = server.db(0);

    db.set("user:2", "b");
    db.set("user:1", "a");
    db.rpush("queue", ["j"])?;
    db.sadd("order:1", ["x"])?;
    assert_eq!(db.keys(), ["order:1", "queue", "user:1", "user:2"]);
    assert_eq!(db.keys_matching("user:*"), ["user:1", "user:2"]);
    assert_eq!(db.keys_matching("*:1"), ["order:1", "user:1"]);
    assert_eq!(db.len(), 4);
    assert_eq!(db.type_of("queue"), Some("list"));
    assert_eq!(db.type_of("order:1"), Some("set"));
    assert_eq!(db.type_of("missing"), None);

    assert!(db.expire("user:1", Duration::from_secs(10)));
    assert!(!db.expire("missing", Duration::from_secs(10)));
    let pttl: i64 = conn.pttl("user:1")?;
    assert_eq!(pttl, 10_000);
    assert_eq!(db.ttl("user:1"), Some(Duration::from_secs(10)));
    db.assert_ttl_between("user:1", Duration::from_secs(9), Duration::from_secs(10));
    assert_eq!(
        db.dump(),
        concat!(
            "  \"order:1\" set {\"x\"}\n",
            "  \"queue\" list [\"j\"]\n",
            "  \"user:1\" string \"a\" (ttl 10000ms)\n",
            "  \"user:2\" string \"b\"\n",
        )
    );
    assert_eq!(server.dump(), format!("db0:\n{}", db.dump()));
    assert!(db.persist("user:1"));
    assert!(!db.persist("user:1"));
    let ttl: i64 = conn.ttl("user:1")?;
    assert_eq!(ttl, -1);
    // Under 1ms, PEXPIRE deletes the key at once.
    assert!(db.expire("user:2", Duration::from_micros(10)));
    assert!(!db.exists("user:2"));

    assert!(db.del("queue"));
    assert!(!db.del("queue"));
    let exists: bool = conn.exists("queue")?;
    assert!(!exists);

    server.db(3).set("elsewhere", "x");
    db.flush();
    assert!(db.is_empty());
    assert_eq!(server.db(3).keys(), ["elsewhere"]);
    assert_eq!(server.db(3).dump(), "  \"elsewhere\" string \"x\"\n");
    Ok(())
}

// --- errors ----------------------------------------------------------------

#[test]
fn every_typed_helper_refuses_a_key_of_another_type() {
    let server = MockRedis::start_blocking();
    let db = server.db(0);
    db.set("str", "v");
    db.rpush("list", ["x"]).unwrap();

    assert_eq!(db.get("list"), Err(wrong_type("list", "string", "list")));
    assert_eq!(
        db.incr("list", 1),
        Err(wrong_type("list", "string", "list"))
    );

    let list = |r| assert_eq!(r, Err(wrong_type("str", "list", "string")));
    list(db.rpush("str", ["a"]).map(|_| ()));
    list(db.lpush("str", ["a"]).map(|_| ()));
    list(db.rpush("str", Vec::<&str>::new()).map(|_| ()));
    list(db.lpop("str").map(|_| ()));
    list(db.rpop("str").map(|_| ()));
    list(db.lrange("str", 0, -1).map(|_| ()));
    list(db.llen("str").map(|_| ()));

    let hash = |r| assert_eq!(r, Err(wrong_type("str", "hash", "string")));
    hash(db.hset("str", [("f", "v")]).map(|_| ()));
    hash(db.hget("str", "f").map(|_| ()));
    hash(db.hgetall("str").map(|_| ()));
    hash(db.hkeys("str").map(|_| ()));
    hash(db.hvals("str").map(|_| ()));
    hash(db.hlen("str").map(|_| ()));
    hash(db.hdel("str", ["f"]).map(|_| ()));
    hash(db.hincr("str", "f", 1).map(|_| ()));

    let set = |r| assert_eq!(r, Err(wrong_type("str", "set", "string")));
    set(db.sadd("str", ["m"]).map(|_| ()));
    set(db.srem("str", ["m"]).map(|_| ()));
    set(db.smembers("str").map(|_| ()));
    set(db.sismember("str", "m").map(|_| ()));
    set(db.scard("str").map(|_| ()));

    let zset = |r| assert_eq!(r, Err(wrong_type("str", "zset", "string")));
    zset(db.zadd("str", [("m", 1.0)]).map(|_| ()));
    zset(db.zrem("str", ["m"]).map(|_| ()));
    zset(db.zincr("str", "m", 1.0).map(|_| ()));
    zset(db.zscore("str", "m").map(|_| ()));
    zset(db.zrange("str", 0, -1).map(|_| ()));
    zset(db.zrange_withscores("str", 0, -1).map(|_| ()));
    zset(db.zcard("str").map(|_| ()));

    // Nothing was changed by the refused writes.
    assert_eq!(db.keys(), ["list", "str"]);
    db.assert_string("str", "v");
    db.assert_list("list", ["x"]);

    let err = db.hget("str", "f").unwrap_err();
    assert_eq!(err.key(), "str");
    assert_eq!(
        err.to_string(),
        r#"WRONGTYPE key "str" holds a string, not a hash"#
    );
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.to_string().starts_with("WRONGTYPE"));
}

#[test]
fn redis_refusals_come_back_with_redis_error_text() {
    let server = MockRedis::start_blocking();
    let db = server.db(0);
    let rejected = |key: &str, error: &str| StateError::Rejected {
        key: key.into(),
        error: error.to_string(),
    };

    db.set("word", "abc");
    assert_eq!(
        db.incr("word", 1),
        Err(rejected(
            "word",
            "ERR value is not an integer or out of range"
        ))
    );
    db.set("max", i64::MAX.to_string());
    assert_eq!(
        db.incr("max", 1),
        Err(rejected("max", "ERR increment or decrement would overflow"))
    );
    db.assert_string("max", i64::MAX.to_string());

    db.hset("h", [("f", "x")]).unwrap();
    assert_eq!(
        db.hincr("h", "f", 1),
        Err(rejected("h", "ERR hash value is not an integer"))
    );

    assert_eq!(
        db.zadd("z", [("m", f64::NAN)]),
        Err(rejected("z", "ERR value is not a valid float"))
    );
    assert!(!db.exists("z"));
    db.zadd("z", [("m", f64::INFINITY)]).unwrap();
    assert_eq!(
        db.zincr("z", "m", f64::NEG_INFINITY),
        Err(rejected("z", "ERR resulting score is not a number (NaN)"))
    );
    assert_eq!(db.zincr("z", "m", 1.0), Ok(f64::INFINITY));
    let err = db.incr("word", 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"key "word": ERR value is not an integer or out of range"#
    );
}

// --- side effects shared with commands ---------------------------------------

#[tokio::test]
async fn a_blocked_blpop_client_is_woken_by_rpush_from_the_test() {
    let server = MockRedis::start().await;
    let mut admin = async_conn(&server).await;
    let mut waiter = async_conn(&server).await;
    let task = tokio::spawn(async move {
        let got: (String, String) = redis::cmd("BLPOP")
            .arg("jobs")
            .arg(0)
            .query_async(&mut waiter)
            .await
            .unwrap();
        got
    });
    let start = Instant::now();
    loop {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut admin)
            .await
            .unwrap();
        if info.contains("blocked_clients:1") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "never blocked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.db(0).rpush("jobs", ["j1", "j2"]), Ok(2));
    let got = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("BLPOP answered")
        .unwrap();
    assert_eq!(got, ("jobs".to_string(), "j1".to_string()));
    server.db(0).assert_list("jobs", ["j2"]);
}

#[tokio::test]
async fn a_blocked_bzpopmin_client_is_woken_by_zadd_from_the_test() {
    let server = MockRedis::start().await;
    let mut admin = async_conn(&server).await;
    let mut waiter = async_conn(&server).await;
    let task = tokio::spawn(async move {
        let got: (String, String, f64) = redis::cmd("BZPOPMIN")
            .arg("board")
            .arg(0)
            .query_async(&mut waiter)
            .await
            .unwrap();
        got
    });
    let start = Instant::now();
    loop {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut admin)
            .await
            .unwrap();
        if info.contains("blocked_clients:1") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "never blocked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server
        .db(0)
        .zadd("board", [("bob", 2.0), ("alice", 1.0)])
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("BZPOPMIN answered")
        .unwrap();
    assert_eq!(got, ("board".to_string(), "alice".to_string(), 1.0));
    server.db(0).assert_zset("board", [("bob", 2.0)]);
}

#[tokio::test]
async fn writes_publish_keyspace_events_like_the_commands() -> TestResult {
    use futures_util::StreamExt;
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("KEA")
        .query_async(&mut conn)
        .await?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe("__keyevent@0__:*").await?;

    let db = server.db(0);
    db.hset("h", [("f", "1")]).unwrap();
    db.hincr("h", "f", 1).unwrap();
    db.sadd("s", ["m"]).unwrap();
    db.zadd("z", [("m", 1.0)]).unwrap();
    db.rpush("l", ["x"]).unwrap();
    db.lpop("l").unwrap();
    db.set("k", "v");
    db.expire("k", Duration::from_secs(5));
    db.persist("k");
    db.del("k");

    let expected = [
        "hset h",
        "hincrby h",
        "sadd s",
        "zadd z",
        "rpush l",
        "lpop l",
        "del l",
        "set k",
        "expire k",
        "persist k",
        "del k",
    ];
    let mut seen = Vec::new();
    let mut messages = pubsub.on_message();
    for _ in 0..expected.len() {
        let msg = tokio::time::timeout(Duration::from_secs(5), messages.next())
            .await
            .expect("an event")
            .expect("the subscription is open");
        let event = msg.get_channel_name().trim_start_matches("__keyevent@0__:");
        seen.push(format!("{event} {}", msg.get_payload::<String>()?));
    }
    assert_eq!(seen, expected);
    Ok(())
}

#[test]
fn writes_break_a_watch_and_stay_out_of_commandstats() -> TestResult {
    let server = MockRedis::start_blocking();
    let mut conn = sync_conn(&server);
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut conn)?;
    let _: () = redis::cmd("WATCH").arg("h").query(&mut conn)?;
    server.db(0).hset("h", [("f", "test")]).unwrap();
    let _: () = redis::cmd("MULTI").query(&mut conn)?;
    let _: () = redis::cmd("HSET")
        .arg("h")
        .arg("f")
        .arg("client")
        .query(&mut conn)?;
    let exec: Value = redis::cmd("EXEC").query(&mut conn)?;
    assert_eq!(exec, Value::Nil, "the test's HSET broke the WATCH");
    server.db(0).assert_hash("h", [("f", "test")]);

    let stats: String = redis::cmd("INFO").arg("commandstats").query(&mut conn)?;
    assert!(!stats.contains("cmdstat_hset"), "{stats}");
    // Readers do not count keyspace hits or misses either.
    let before = info_field(&mut conn, "stats", "keyspace_hits");
    server.db(0).hget("h", "f").unwrap();
    server.db(0).get("missing").unwrap();
    server.db(0).assert_hash_field("h", "f", "test");
    assert_eq!(info_field(&mut conn, "stats", "keyspace_hits"), before);
    assert_eq!(
        info_field(&mut conn, "stats", "keyspace_misses"),
        Some("0".to_string())
    );
    Ok(())
}

// --- assertion helpers -------------------------------------------------------

fn seeded() -> MockRedis {
    let server = MockRedis::start_blocking();
    let db = server.db(0);
    db.set("s", "v");
    db.hset("h", [("name", "alice"), ("age", "30")]).unwrap();
    db.sadd("tags", ["a", "b"]).unwrap();
    db.rpush("l", ["x", "y"]).unwrap();
    db.zadd("z", [("alice", 1.5), ("bob", 2.0)]).unwrap();
    server
}

#[test]
fn assertion_helpers_pass_on_matching_state() {
    let server = seeded();
    let db = server.db(0);
    db.assert_string("s", "v");
    db.assert_string("s", b"v");
    db.assert_hash_field("h", "name", "alice");
    db.assert_hash("h", [("age", "30"), ("name", "alice")]);
    db.assert_set_members("tags", ["b", "a"]);
    db.assert_list("l", ["x", "y"]);
    db.assert_zset("z", [("bob", 2.0), ("alice", 1.5)]);
    db.assert_missing("nothing");
    // An empty collection means a missing key, as Redis keeps no empty ones.
    db.assert_list("nothing", Vec::<&str>::new());
    db.assert_set_members("nothing", Vec::<&str>::new());
    server.freeze_time();
    db.set_with_ttl("t", "v", Duration::from_secs(60));
    db.assert_ttl_between("t", Duration::from_secs(60), Duration::from_secs(60));
}

#[test]
#[should_panic(expected = "mock-redis: assert_string failed for key \"s\" in db 0
  expected: string \"w\"
  actual:   string \"v\"")]
fn assert_string_names_key_expected_and_actual() {
    seeded().db(0).assert_string("s", "w");
}

#[test]
#[should_panic(expected = "mock-redis: assert_string failed for key \"l\" in db 0
  expected: string \"x\"
  actual:   list [\"x\", \"y\"]")]
fn assert_string_on_a_list_says_what_the_key_holds() {
    seeded().db(0).assert_string("l", "x");
}

#[test]
#[should_panic(expected = "mock-redis: assert_string failed for key \"nope\" in db 3
  expected: string \"v\"
  actual:   no such key")]
fn assert_string_on_a_missing_key() {
    seeded().db(3).assert_string("nope", "v");
}

#[test]
#[should_panic(expected = "mock-redis: assert_hash_field failed for key \"h\" in db 0
  expected: hash with field \"name\" = \"bob\"
  actual:   hash with field \"name\" = \"alice\"")]
fn assert_hash_field_with_another_value() {
    seeded().db(0).assert_hash_field("h", "name", "bob");
}

#[test]
#[should_panic(expected = "mock-redis: assert_hash_field failed for key \"h\" in db 0
  expected: hash with field \"email\" = \"a@b\"
  actual:   hash without field \"email\": hash {\"age\": \"30\", \"name\": \"alice\"}")]
fn assert_hash_field_without_the_field() {
    seeded().db(0).assert_hash_field("h", "email", "a@b");
}

#[test]
#[should_panic(expected = "mock-redis: assert_hash_field failed for key \"s\" in db 0
  expected: hash with field \"f\" = \"v\"
  actual:   string \"v\"")]
fn assert_hash_field_on_a_string() {
    seeded().db(0).assert_hash_field("s", "f", "v");
}

#[test]
#[should_panic(expected = "mock-redis: assert_hash failed for key \"h\" in db 0
  expected: hash {\"name\": \"alice\"}
  actual:   hash {\"age\": \"30\", \"name\": \"alice\"}")]
fn assert_hash_needs_every_field() {
    seeded().db(0).assert_hash("h", [("name", "alice")]);
}

#[test]
#[should_panic(
    expected = "mock-redis: assert_set_members failed for key \"tags\" in db 0
  expected: set {\"a\", \"b\", \"c\"}
  actual:   set {\"a\", \"b\"}"
)]
fn assert_set_members_with_a_member_missing() {
    seeded().db(0).assert_set_members("tags", ["c", "b", "a"]);
}

#[test]
#[should_panic(expected = "mock-redis: assert_list failed for key \"l\" in db 0
  expected: list [\"y\", \"x\"]
  actual:   list [\"x\", \"y\"]")]
fn assert_list_checks_the_order() {
    seeded().db(0).assert_list("l", ["y", "x"]);
}

#[test]
#[should_panic(expected = "mock-redis: assert_list failed for key \"h\" in db 0
  expected: list [] (no such key)
  actual:   hash {\"age\": \"30\", \"name\": \"alice\"}")]
fn assert_list_empty_on_another_type() {
    seeded().db(0).assert_list("h", Vec::<&str>::new());
}

#[test]
#[should_panic(expected = "mock-redis: assert_zset failed for key \"z\" in db 0
  expected: zset [\"alice\" 1.5, \"bob\" 3]
  actual:   zset [\"alice\" 1.5, \"bob\" 2]")]
fn assert_zset_checks_scores() {
    seeded()
        .db(0)
        .assert_zset("z", [("alice", 1.5), ("bob", 3.0)]);
}

#[test]
#[should_panic(expected = "mock-redis: assert_missing failed for key \"tags\" in db 0
  expected: no such key
  actual:   set {\"a\", \"b\"}")]
fn assert_missing_shows_what_is_there() {
    seeded().db(0).assert_missing("tags");
}

#[test]
#[should_panic(
    expected = "mock-redis: assert_ttl_between failed for key \"t\" in db 0
  expected: a ttl between 10s and 20s
  actual:   ttl 30s on string \"v\""
)]
fn assert_ttl_between_shows_the_ttl() {
    let server = seeded();
    server.freeze_time();
    server.db(0).set_with_ttl("t", "v", Duration::from_secs(30));
    server
        .db(0)
        .assert_ttl_between("t", Duration::from_secs(10), Duration::from_secs(20));
}

#[test]
#[should_panic(
    expected = "mock-redis: assert_ttl_between failed for key \"s\" in db 0
  expected: a ttl between 1s and 2s
  actual:   no ttl on string \"v\""
)]
fn assert_ttl_between_on_a_key_without_ttl() {
    seeded()
        .db(0)
        .assert_ttl_between("s", Duration::from_secs(1), Duration::from_secs(2));
}

/// Where each thread's last panic happened, recorded by a hook that then
/// runs the default one (so other tests' panics print as usual).
fn panic_locations() -> &'static Mutex<HashMap<String, String>> {
    static LOCATIONS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    LOCATIONS.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let (Some(name), Some(loc)) = (std::thread::current().name(), info.location()) {
                if let Ok(mut map) = panic_locations().lock() {
                    map.insert(name.to_string(), format!("{}:{}", loc.file(), loc.line()));
                }
            }
            previous(info);
        }));
        Mutex::new(HashMap::new())
    })
}

#[test]
fn assertion_failures_point_at_the_test() {
    let locations = panic_locations();
    let server = seeded();
    let checks: Vec<(u32, Box<dyn Fn()>)> = vec![
        (line!(), Box::new(|| seeded().db(0).assert_string("s", "w"))),
        (line!(), Box::new(|| seeded().db(0).assert_missing("s"))),
        (line!(), Box::new(|| seeded().db(0).assert_list("l", ["z"]))),
        (
            line!(),
            Box::new(|| seeded().db(0).assert_hash("h", [("a", "b")])),
        ),
        (
            line!(),
            Box::new(|| seeded().db(0).assert_zset("z", [("a", 1.0)])),
        ),
        (
            line!(),
            Box::new(|| seeded().db(0).assert_set_members("tags", ["z"])),
        ),
        (
            line!(),
            Box::new(|| seeded().db(0).assert_hash_field("h", "a", "b")),
        ),
        (
            line!(),
            Box::new(|| {
                seeded()
                    .db(0)
                    .assert_ttl_between("s", Duration::ZERO, Duration::MAX)
            }),
        ),
    ];
    let me = std::thread::current().name().unwrap().to_string();
    for (line, check) in checks {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
        assert!(outcome.is_err(), "the check on line {line} passed");
        let at = locations.lock().unwrap().get(&me).cloned().unwrap();
        let (file, at_line) = at.rsplit_once(':').unwrap();
        assert!(file.ends_with("fixture_state.rs"), "{at}");
        let at_line: u32 = at_line.parse().unwrap();
        assert!(
            (line..=line + 6).contains(&at_line),
            "panic at {at}, check on line {line}"
        );
    }
    // The engine is not poisoned by an assertion's panic.
    server.db(0).assert_string("s", "v");
}
