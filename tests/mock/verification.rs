//! Verification: expectations checked on `verify()`, on drop of the server
//! and of scoped guards, and the report text.

use crate::util::conn;
use mock_redis::matchers::{command, key};
use mock_redis::{Mock, MockRedis, Reply, Times};

async fn get(c: &mut redis::aio::MultiplexedConnection, k: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(k)
        .query_async(c)
        .await
        .unwrap_or(None)
}

#[tokio::test]
#[should_panic(expected = "mock 'user lookup': expected exactly 1 call, received 0 calls")]
async fn dropping_the_server_verifies() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:1"))
        .respond_with(Reply::bulk("alice"))
        .expect(1)
        .named("user lookup")
        .mount(&server);
}

#[tokio::test]
#[should_panic(
    expected = r#"  - "GET" "user:2" (connection 1): closest mock 'user lookup' rejected it at arg("user:1") (argument 1 is "user:2")"#
)]
async fn the_report_names_the_closest_mock_and_the_rejecting_matcher() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:1"))
        .respond_with(Reply::bulk("alice"))
        .expect(1)
        .named("user lookup")
        .mount(&server);
    let mut c = conn(&server).await;
    get(&mut c, "user:2").await;
}

#[tokio::test]
#[should_panic(expected = r#"Commands received (4):
  connection 1:
    1-2) (2 handshake commands: CLIENT SETINFO x2)  <- engine"#)]
async fn the_report_lists_commands_per_connection_quoted_like_redis_cli() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:1"))
        .respond_with(Reply::bulk("alice"))
        .expect(2)
        .named("user lookup")
        .mount(&server);
    let mut c = conn(&server).await;
    get(&mut c, "user:1").await;
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg("a \"quoted\"\n")
        .arg(&b"\x00\xff"[..])
        .query_async(&mut c)
        .await;
    server.verify();
}

#[tokio::test]
#[should_panic(expected = r#"    3) "GET" "user:1"  <- mock 'user lookup'
    4) "SET" "a \"quoted\"\n" "\x00\xff"  <- engine"#)]
async fn the_report_shows_who_answered_and_escapes_like_sdscatrepr() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:1"))
        .respond_with(Reply::bulk("alice"))
        .expect(2)
        .named("user lookup")
        .mount(&server);
    let mut c = conn(&server).await;
    get(&mut c, "user:1").await;
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg("a \"quoted\"\n")
        .arg(&b"\x00\xff"[..])
        .query_async(&mut c)
        .await;
}

#[tokio::test]
#[should_panic(
    expected = r#"  - mock #1 command("SET") and key("session:*"): expected at least 1 call, received 0 calls"#
)]
async fn unnamed_mocks_are_named_by_their_matchers() {
    let server = MockRedis::start().await;
    Mock::given(command("SET"))
        .and(key("session:*"))
        .respond_with(Reply::ok())
        .expect(1..)
        .mount(&server);
    let mut c = conn(&server).await;
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg("sess:1")
        .arg("v")
        .query_async(&mut c)
        .await;
}

#[tokio::test]
#[should_panic(expected = "mock 'at most twice': expected at most 2 calls, received 3 calls")]
async fn too_many_calls_fail_too() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Reply::nil())
        .expect(..=2)
        .named("at most twice")
        .mount(&server);
    let mut c = conn(&server).await;
    for _ in 0..3 {
        get(&mut c, "k").await;
    }
}

#[tokio::test]
async fn met_expectations_verify_cleanly() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Reply::nil())
        .expect(2..4)
        .mount(&server);
    Mock::given(command("DEL"))
        .respond_with(Reply::int(1))
        .expect(0)
        .mount(&server);
    let mut c = conn(&server).await;
    get(&mut c, "a").await;
    assert!(server.try_verify().is_err(), "one call is not enough");
    get(&mut c, "b").await;
    server.verify();
    get(&mut c, "c").await;
    server.verify();
    get(&mut c, "d").await;
    let report = server.try_verify().unwrap_err();
    assert!(
        report
            .to_string()
            .contains("expected between 2 and 3 calls, received 4 calls"),
        "{report}"
    );
    server.reset();
}

#[tokio::test]
#[should_panic(expected = "mock 'scoped': expected exactly 1 call, received 0 calls")]
async fn dropping_a_scoped_guard_verifies_its_mock() {
    let server = MockRedis::start().await;
    {
        let _guard = Mock::given(command("GET"))
            .respond_with(Reply::nil())
            .expect(1)
            .named("scoped")
            .mount_as_scoped(&server);
    }
    unreachable!("the guard's drop panics first");
}

#[tokio::test]
async fn a_scoped_guard_unmounts_its_mock() {
    let server = MockRedis::start().await;
    let mut c = conn(&server).await;
    {
        let guard = Mock::given(command("ECHO"))
            .respond_with(Reply::bulk("mocked"))
            .expect(1)
            .mount_as_scoped(&server);
        let v: String = redis::cmd("ECHO")
            .arg("x")
            .query_async(&mut c)
            .await
            .unwrap();
        assert_eq!(v, "mocked");
        assert_eq!(guard.calls(), 1);
    }
    let v: String = redis::cmd("ECHO")
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, "x");
    // The unmounted mock is gone from verification too.
    server.verify();
}

#[tokio::test]
#[should_panic(expected = "the test's own assertion")]
async fn no_second_panic_while_the_test_is_already_failing() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Reply::nil())
        .expect(1)
        .mount(&server);
    let _guard = Mock::given(command("SET"))
        .respond_with(Reply::ok())
        .expect(1)
        .mount_as_scoped(&server);
    // Neither the guard nor the server may panic again while unwinding
    // (that would abort the test binary instead of failing this test).
    panic!("the test's own assertion");
}

#[test]
#[should_panic(expected = "mock 'sync': expected exactly 2 calls, received 1 call")]
fn verification_with_a_blocking_server() {
    let server = MockRedis::start_blocking();
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("v"))
        .expect(2)
        .named("sync")
        .mount(&server);
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    server.verify();
}

#[test]
fn times_describe_themselves() {
    assert_eq!(Times::from(0).to_string(), "exactly 0 calls");
    assert_eq!(Times::from(..).to_string(), "any number of calls");
    assert_eq!(Times::from(..3).to_string(), "at most 2 calls");
    assert_eq!(Times::from(1..=1).to_string(), "exactly 1 call");
    assert!(Times::from(2..=4).contains(4));
    assert!(!Times::from(2..4).contains(4));
}

#[tokio::test]
#[should_panic(expected = r#"    3) "GET" "k"  <- mock 'scoped twice'"#)]
async fn a_scoped_guard_report_lists_what_its_mock_answered() {
    let server = MockRedis::start().await;
    let mut c = conn(&server).await;
    let _guard = Mock::given(command("GET"))
        .respond_with(Reply::bulk("v"))
        .expect(2)
        .named("scoped twice")
        .mount_as_scoped(&server);
    get(&mut c, "k").await;
}

#[tokio::test]
#[should_panic(expected = r#"Matchers or responders that panicked:
  - "GET" "k" (connection 1): the responder of mock #1 command("GET") panicked: no such user"#)]
async fn a_panicking_responder_answers_an_error_and_fails_verification() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(|_: &mock_redis::Request| -> Reply { panic!("no such user") })
        .mount(&server);
    // The default panic hook prints the panic first; with RUST_BACKTRACE=1
    // symbolising the backtrace can outlast redis-rs's default timeout.
    let config = redis::AsyncConnectionConfig::new()
        .set_response_timeout(Some(std::time::Duration::from_secs(60)));
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    let err = redis::cmd("GET")
        .arg("k")
        .query_async::<Option<String>>(&mut c)
        .await
        .unwrap_err();
    assert_eq!(
        err.detail(),
        Some("mock-redis: a matcher or responder panicked: no such user")
    );
    // The connection and the server keep working.
    let v: String = redis::cmd("ECHO")
        .arg("still here")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, "still here");
}
