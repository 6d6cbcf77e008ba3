//! The verification report, pinned line by line: the closest mock, folded
//! handshakes, strict mode, panics, near-identical commands and where the
//! panic points.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use mock_redis::matchers::{args, command, db, key};
use mock_redis::{Mock, MockRedis, Reply, Request};

async fn conn(server: &MockRedis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn send(c: &mut redis::aio::MultiplexedConnection, args: &[&str]) {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    let _: redis::RedisResult<redis::Value> = cmd.query_async(c).await;
}

/// The command name weighs most: `DEL user:1` on db 0 is closest to the DEL
/// mock (rejected at `db(1)`), not to the GET mock mounted first, though its
/// `key("user:*")` and `db(0)` accept it.
#[tokio::test]
#[should_panic(
    expected = r#"  - "DEL" "user:1" (connection 1): closest mock #2 command("DEL") and db(1) rejected it at db(1) (database 0 selected)"#
)]
async fn the_closest_mock_is_one_that_accepts_the_command_name() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .and(key("user:*"))
        .and(db(0))
        .respond_with(Reply::bulk("alice"))
        .expect(1)
        .mount(&server);
    Mock::given(command("DEL").and(db(1)))
        .respond_with(Reply::int(1))
        .mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, &["DEL", "user:1"]).await;
    server.verify();
}

/// Among mocks that accept the command name, the one with the most accepted
/// parts; among equals, the first mounted.
#[tokio::test]
#[should_panic(
    expected = r#"  - "DEL" "user:1" (connection 1): closest mock 'second' rejected it at db(1) (database 0 selected)"#
)]
async fn then_the_most_accepted_parts() {
    let server = MockRedis::start().await;
    Mock::given(command("DEL"))
        .and(key("order:*"))
        .and(db(1))
        .respond_with(Reply::int(1))
        .named("first")
        .mount(&server);
    Mock::given(command("DEL"))
        .and(key("user:*"))
        .and(db(1))
        .respond_with(Reply::int(1))
        .named("second")
        .expect(1)
        .mount(&server);
    Mock::given(command("DEL"))
        .and(key("user:*"))
        .and(db(2))
        .respond_with(Reply::int(1))
        .named("third")
        .mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, &["DEL", "user:1"]).await;
    server.verify();
}

/// The scenario of the issue's closing note: an unmet expectation with a
/// near-identical command, an unmatched command, a panicking responder and
/// redis-rs's handshake.
async fn scenario(server: &MockRedis) {
    Mock::given(
        command("SET")
            .arg("session")
            .arg("abc")
            .arg("EX")
            .arg("300"),
    )
    .respond_with(Reply::ok())
    .expect(1)
    .named("session write")
    .mount(server);
    Mock::given(command("GET"))
        .and(key("user:*"))
        .respond_with(Reply::bulk("alice"))
        .mount(server);
    Mock::given(command("DEL"))
        .and(db(1))
        .respond_with(Reply::int(1))
        .mount(server);
    Mock::given(command("ECHO"))
        .respond_with(|_: &Request| -> Reply { panic!("kaboom") })
        .mount(server);
    let mut c = conn(server).await;
    send(&mut c, &["SETEX", "session", "300", "abc"]).await;
    send(&mut c, &["DEL", "user:1"]).await;
    send(&mut c, &["GET", "user:1"]).await;
    send(&mut c, &["ECHO", "x"]).await;
    send(&mut c, &["PING"]).await;
}

/// The whole report for the scenario, after: the hint under the unmet
/// expectation, the panicking mock named, the DEL explained by the DEL mock,
/// no line for SETEX (no mock accepts any part of it), the handshake folded.
#[tokio::test]
#[should_panic(expected = r#"mock-redis: verification failed (2 problems)

Expectations not met:
  - mock 'session write': expected exactly 1 call, received 0 calls
    hint: expected "SET" "session" "abc" "EX" "300"; received "SETEX" "session" "300" "abc" (same effect, different command)

Matchers or responders that panicked:
  - "ECHO" "x" (connection 1): the responder of mock #4 command("ECHO") panicked: kaboom

Commands no mock matched, and the closest mock:
  - "DEL" "user:1" (connection 1): closest mock #3 command("DEL") and db(1) rejected it at db(1) (database 0 selected)

Commands received (7):
  connection 1:
    1-2) (2 handshake commands: CLIENT SETINFO x2)  <- engine
    3) "SETEX" "session" "300" "abc"  <- engine
    4) "DEL" "user:1"  <- engine
    5) "GET" "user:1"  <- mock #2 command("GET") and key("user:*")
    6) "ECHO" "x"  <- panic
    7) "PING"  <- engine
"#)]
async fn the_whole_report() {
    let server = MockRedis::start().await;
    scenario(&server).await;
    server.verify();
}

/// RESP3 clients open with HELLO: one folded line names it and the
/// CLIENT SETINFO pair; a later PING is listed as sent.
#[tokio::test]
#[should_panic(expected = r#"  connection 1:
    1-3) (3 handshake commands: HELLO, CLIENT SETINFO x2)  <- engine
    4) "GET" "k"  <- engine
    5) "PING"  <- engine
"#)]
async fn the_opening_handshake_is_folded_into_one_line() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("other"))
        .respond_with(Reply::nil())
        .expect(1)
        .mount(&server);
    let mut c = redis::Client::open(format!("{}/?protocol=resp3", server.url()))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    send(&mut c, &["GET", "k"]).await;
    send(&mut c, &["PING"]).await;
    server.verify();
}

/// A handshake command a mock answered is listed, not folded.
#[tokio::test]
#[should_panic(expected = r#"  connection 1:
    1) "CLIENT" "SETINFO" "LIB-NAME" "redis-rs"  <- mock 'setinfo'
    2) "CLIENT" "SETINFO" "LIB-VER""#)]
async fn a_mocked_handshake_command_is_not_folded() {
    let server = MockRedis::start().await;
    Mock::given(command("CLIENT SETINFO"))
        .respond_with(Reply::ok())
        .named("setinfo")
        .expect(3)
        .mount(&server);
    let _c = conn(&server).await;
    server.verify();
}

/// No "no mock accepts any part of it" line: the unmet expectation is
/// followed at once by the journal.
#[tokio::test]
#[should_panic(
    expected = r#"  - mock 'rpush': expected exactly 1 call, received 0 calls

Commands received (4):"#
)]
async fn commands_no_mock_accepts_any_part_of_are_not_explained() {
    let server = MockRedis::start().await;
    Mock::given(command("RPUSH").arg("q"))
        .respond_with(Reply::int(1))
        .expect(1)
        .named("rpush")
        .mount(&server);
    let mut c = conn(&server).await;
    // LPUSH is no synonym of RPUSH: no hint either.
    send(&mut c, &["LPUSH", "jobs", "a"]).await;
    send(&mut c, &["HGET", "h", "f"]).await;
    server.verify();
}

/// In strict mode each refused command is listed once, with its closest
/// mock when one accepts any part of it.
#[tokio::test]
#[should_panic(
    expected = r#"Commands no mock matched (strict mode answered with an error):
  - "GET" "order:1" (connection 1): closest mock #1 command("GET") and key("user:*") rejected it at key("user:*") (keys "order:1")
  - "HGET" "h" "f" (connection 1)

Commands received (4):
  connection 1:
    1-2) (2 handshake commands: CLIENT SETINFO x2)  <- engine
    3) "GET" "order:1"  <- strict-mode error
    4) "HGET" "h" "f"  <- strict-mode error
"#
)]
async fn strict_mode_lists_each_refused_command_once() {
    let server = MockRedis::builder().strict().start().await;
    Mock::given(command("GET"))
        .and(key("user:*"))
        .respond_with(Reply::bulk("alice"))
        .mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, &["GET", "order:1"]).await;
    send(&mut c, &["HGET", "h", "f"]).await;
    server.verify();
}

#[tokio::test]
#[should_panic(
    expected = r#"  - "GET" "k" (connection 1): the matcher of mock 'picky' panicked: no GET allowed"#
)]
async fn a_panicking_matcher_is_named() {
    let server = MockRedis::start().await;
    Mock::given(|r: &Request| -> bool {
        assert!(!r.is_command("GET"), "no GET allowed");
        false
    })
    .respond_with(Reply::ok())
    .named("picky")
    .mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, &["GET", "k"]).await;
}

#[tokio::test]
#[should_panic(
    expected = r#"  - "GET" "k" (connection 1): the responder of mock #2 command("GET").arg("k") panicked: no answer"#
)]
async fn a_panicking_responder_is_named() {
    let server = MockRedis::start().await;
    Mock::given(command("SET"))
        .respond_with(Reply::ok())
        .mount(&server);
    Mock::given(command("GET").arg("k"))
        .respond_with(|_: &Request| -> Reply { panic!("no answer") })
        .mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, &["GET", "k"]).await;
}

/// Expects `mock` once, sends `sent`, and verifies.
async fn hint_for(mock: Mock, sent: &[&str]) {
    let server = MockRedis::start().await;
    mock.expect(1).mount(&server);
    let mut c = conn(&server).await;
    send(&mut c, sent).await;
    server.verify();
}

#[tokio::test]
#[should_panic(
    expected = r#"    hint: expected "HSET" "user:1" "name" "alice"; received "HMSET" "user:1" "name" "alice" (same effect, different command)"#
)]
async fn a_hint_for_hmset_instead_of_hset() {
    let mock = Mock::given(command("HSET").arg("user:1")).respond_with(Reply::int(1));
    hint_for(mock, &["HMSET", "user:1", "name", "alice"]).await;
}

#[tokio::test]
#[should_panic(
    expected = r#"    hint: expected "INCR" "hits"; received "INCRBY" "hits" "1" (same effect, different command)"#
)]
async fn a_hint_for_incrby_1_instead_of_incr() {
    let mock = Mock::given(args(["INCR", "hits"])).respond_with(Reply::int(1));
    hint_for(mock, &["INCRBY", "hits", "1"]).await;
}

#[tokio::test]
#[should_panic(
    expected = r#"    hint: expected "SETEX" "k" "10" "v"; received "SET" "k" "v" "EX" "10" (same effect, different command)"#
)]
async fn a_hint_for_set_ex_instead_of_setex() {
    let mock = Mock::given(command("SETEX")).respond_with(Reply::ok());
    hint_for(mock, &["SET", "k", "v", "EX", "10"]).await;
}

#[tokio::test]
#[should_panic(
    expected = r#"    hint: expected "INCRBY" "n" "1"; received "INCR" "n" (same effect, different command)"#
)]
async fn a_hint_for_incr_instead_of_incrby_1() {
    let mock = Mock::given(command("INCRBY").arg("n").arg("1")).respond_with(Reply::int(1));
    hint_for(mock, &["INCR", "n"]).await;
}

#[tokio::test]
#[should_panic(
    expected = r#"    hint: expected "SET" "lock" "me" "NX"; received "SETNX" "lock" "me" (same effect, different command)"#
)]
async fn a_hint_for_setnx_instead_of_set_nx() {
    let mock = Mock::given(args(["SET", "lock", "me", "NX"])).respond_with(Reply::ok());
    hint_for(mock, &["SETNX", "lock", "me"]).await;
}

/// A different step is a different effect: `INCRBY hits 2` is no hint for
/// `INCR hits`.
#[tokio::test]
#[should_panic(
    expected = r#"  - mock #1 args(["INCR", "hits"]): expected exactly 1 call, received 0 calls

Commands received (3):"#
)]
async fn no_hint_for_a_different_effect() {
    let mock = Mock::given(args(["INCR", "hits"])).respond_with(Reply::int(1));
    hint_for(mock, &["INCRBY", "hits", "2"]).await;
}

/// `verify()` is `#[track_caller]`: its panic points at the test's line,
/// not into mock-redis.
#[test]
fn verify_panics_at_the_callers_line() {
    let server = MockRedis::start_blocking();
    Mock::given(command("GET"))
        .respond_with(Reply::nil())
        .expect(1)
        .mount(&server);
    let seen: Arc<Mutex<Option<(String, u32)>>> = Arc::default();
    let previous: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        Arc::from(std::panic::take_hook());
    let me = std::thread::current().id();
    {
        let seen = Arc::clone(&seen);
        let previous = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == me {
                *seen.lock().unwrap() = info.location().map(|l| (l.file().to_string(), l.line()));
            } else {
                previous(info); // another test's panic
            }
        }));
    }
    let line = line!() + 1;
    let result = catch_unwind(AssertUnwindSafe(|| server.verify()));
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| previous(info)));
    assert!(result.is_err(), "the expectation is not met");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, Some((file!().to_string(), line)));
    server.reset();
}
