//! Priority, mount order, `up_to_n_times` and declining responders.

use crate::util::conn;
use mock_redis::matchers::{any, command};
use mock_redis::{Mock, MockRedis, Reply, Request, Response};

async fn echo(c: &mut redis::aio::MultiplexedConnection, arg: &str) -> String {
    redis::cmd("ECHO").arg(arg).query_async(c).await.unwrap()
}

#[tokio::test]
async fn lower_priority_wins_whatever_the_mount_order() {
    let server = MockRedis::start().await;
    Mock::given(any())
        .respond_with(Reply::bulk("catch-all"))
        .with_priority(10)
        .mount(&server);
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("specific"))
        .with_priority(1)
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(echo(&mut c, "x").await, "specific");
    let pong: String = redis::cmd("PING").query_async(&mut c).await.unwrap();
    assert_eq!(pong, "catch-all");
}

#[tokio::test]
async fn equal_priorities_go_to_the_first_mounted() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("first"))
        .expect(2)
        .mount(&server);
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("second"))
        .expect(0)
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(echo(&mut c, "a").await, "first");
    assert_eq!(echo(&mut c, "b").await, "first");
}

#[tokio::test]
async fn default_priority_is_between_explicit_ones() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("low"))
        .with_priority(6)
        .mount(&server);
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("default"))
        .mount(&server);
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("high"))
        .with_priority(4)
        .up_to_n_times(1)
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(echo(&mut c, "a").await, "high");
    assert_eq!(echo(&mut c, "a").await, "default");
}

#[tokio::test]
async fn used_up_mocks_let_commands_through() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("cached"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(echo(&mut c, "v").await, "cached");
    assert_eq!(echo(&mut c, "v").await, "cached");
    // The third goes to the engine.
    assert_eq!(echo(&mut c, "v").await, "v");
}

#[tokio::test]
async fn a_declining_responder_hands_over_to_the_next_mock() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO"))
        .respond_with(|r: &Request| {
            if r.arg(1).is_some_and(|a| a == "vip") {
                Response::reply(Reply::bulk("fast lane"))
            } else {
                Response::fall_through()
            }
        })
        .with_priority(1)
        .expect(1)
        .mount(&server);
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("queue"))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    assert_eq!(echo(&mut c, "vip").await, "fast lane");
    assert_eq!(echo(&mut c, "other").await, "queue");
}

#[test]
fn mounting_while_clients_are_connected_takes_effect_at_once() {
    let server = MockRedis::start_blocking();
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let before: String = redis::cmd("ECHO").arg("x").query(&mut c).unwrap();
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("now mocked"))
        .mount(&server);
    let after: String = redis::cmd("ECHO").arg("x").query(&mut c).unwrap();
    assert_eq!((before.as_str(), after.as_str()), ("x", "now mocked"));
}
