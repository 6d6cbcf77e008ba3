//! Strict mode: unmatched commands get an error and fail verification, while
//! the commands clients send on connect keep working.

use crate::util::{conn, conn_url, raw};
use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply};

#[tokio::test]
async fn unmatched_commands_get_an_error_naming_them() {
    let server = MockRedis::builder().strict().start().await;
    assert_eq!(
        raw(&server, b"GET foo\r\n", 46).await,
        b"-ERR mock-redis: no mock matched 'GET' 'foo'\r\n"
    );
    server.reset();
}

#[tokio::test]
#[should_panic(
    expected = r#"Commands no mock matched (strict mode answered with an error):
  - "GET" "foo" (connection 1)"#
)]
async fn unmatched_commands_fail_verification() {
    let server = MockRedis::builder().strict().start().await;
    Mock::given(command("GET").arg("bar"))
        .respond_with(Reply::bulk("b"))
        .mount(&server);
    let mut c = conn(&server).await;
    let err = redis::cmd("GET")
        .arg("foo")
        .query_async::<Option<String>>(&mut c)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ERR"));
    assert_eq!(
        err.detail(),
        Some("mock-redis: no mock matched 'GET' 'foo'")
    );
    let b: String = redis::cmd("GET")
        .arg("bar")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(b, "b");
}

#[tokio::test]
async fn handshakes_keep_working() {
    let server = MockRedis::builder().strict().start().await;
    // redis-rs: CLIENT SETINFO, SELECT, HELLO 3; plus PING, INFO, COMMAND, CLIENT SETNAME.
    let mut c = conn_url(&format!("{}/3?protocol=resp3", server.url())).await;
    let pong: String = redis::cmd("PING").query_async(&mut c).await.unwrap();
    assert_eq!(pong, "PONG");
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(info.contains("redis_version:"));
    let _: redis::Value = redis::cmd("COMMAND")
        .arg("COUNT")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("app")
        .query_async(&mut c)
        .await
        .unwrap();
    let sent: Vec<String> = server
        .received_commands()
        .expect("the journal is on")
        .iter()
        .map(|r| r.name())
        .collect();
    assert!(sent.contains(&"HELLO".to_string()), "{sent:?}");
    assert!(sent.contains(&"SELECT".to_string()), "{sent:?}");
    server.verify();
}

#[tokio::test]
async fn auth_is_a_handshake_command_too() {
    let server = MockRedis::builder()
        .strict()
        .requirepass("secret")
        .start()
        .await;
    let url = format!("redis://:secret@{}", server.addr());
    let mut c = conn_url(&url).await;
    let pong: String = redis::cmd("PING").query_async(&mut c).await.unwrap();
    assert_eq!(pong, "PONG");
    server.verify();
}

#[tokio::test]
async fn a_mock_may_still_answer_a_handshake_command() {
    let server = MockRedis::builder().strict().start().await;
    Mock::given(command("PING"))
        .respond_with(Reply::simple("MOCKED PONG"))
        .expect(1)
        .mount(&server);
    assert_eq!(raw(&server, b"PING\r\n", 14).await, b"+MOCKED PONG\r\n");
}

#[tokio::test]
async fn strict_mode_can_be_switched_at_run_time() {
    let server = MockRedis::start().await;
    assert_eq!(raw(&server, b"ECHO a\r\n", 7).await, b"$1\r\na\r\n");
    server.set_strict(true);
    assert_eq!(
        raw(&server, b"ECHO a\r\n", 44).await,
        b"-ERR mock-redis: no mock matched 'ECHO' 'a'\r\n"
    );
    assert!(server.try_verify().is_err());
    server.set_strict(false);
    server.reset();
    assert_eq!(raw(&server, b"ECHO a\r\n", 7).await, b"$1\r\na\r\n");
}

#[tokio::test]
async fn strict_refusals_are_remembered_with_recording_off() {
    let server = MockRedis::builder()
        .strict()
        .record_commands(false)
        .start()
        .await;
    raw(&server, b"DEL k\r\n", 40).await;
    let report = server.try_verify().unwrap_err().to_string();
    assert!(
        report.contains(r#"  - "DEL" "k" (connection 1)"#),
        "{report}"
    );
    assert!(
        report.contains("Commands received: none recorded."),
        "{report}"
    );
    server.reset();
}

#[test]
fn strict_mode_with_a_sync_client() {
    let server = MockRedis::builder().strict().start_blocking();
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("v"))
        .expect(1)
        .mount(&server);
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    let err = redis::cmd("HGET")
        .arg("h")
        .arg("f")
        .query::<Option<String>>(&mut c)
        .unwrap_err();
    assert_eq!(
        err.detail(),
        Some("mock-redis: no mock matched 'HGET' 'h' 'f'")
    );
    let report = server.try_verify().unwrap_err().to_string();
    assert!(
        report.contains("  - \"HGET\" \"h\" \"f\" (connection 1)\n"),
        "{report}"
    );
    server.reset();
}
