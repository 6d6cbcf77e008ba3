//! The verification report, pinned line by line: the closest mock, folded
//! handshakes, strict mode, panics, near-identical commands and where the
//! panic points.

use mock_redis::matchers::{command, db, key};
use mock_redis::{Mock, MockRedis, Reply};

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
