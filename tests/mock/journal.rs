//! The journal: every command in arrival order with connection, database
//! and time; per-connection filtering; reset; recording on and off.

use std::time::SystemTime;

use crate::util::{conn, conn_url, raw};
use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply};

fn shown(server: &MockRedis) -> Vec<String> {
    server
        .received_commands()
        .expect("the journal is on")
        .iter()
        .filter(|r| !r.is_command("CLIENT SETINFO"))
        .map(|r| r.to_string())
        .collect()
}

#[tokio::test]
async fn commands_are_recorded_in_arrival_order() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Reply::nil())
        .mount(&server);
    let started = SystemTime::now();
    let mut c = conn(&server).await;
    let _: Option<String> = redis::cmd("GET")
        .arg("a")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: String = redis::cmd("ECHO")
        .arg("b")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: Option<String> = redis::cmd("GET")
        .arg("c")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(
        shown(&server),
        [r#""GET" "a""#, r#""ECHO" "b""#, r#""GET" "c""#]
    );
    let all = server.received_commands().unwrap();
    assert!(all.windows(2).all(|w| w[0].time() <= w[1].time()));
    assert!(
        all.iter()
            .all(|r| r.time() >= started && r.time() <= SystemTime::now())
    );
}

#[tokio::test]
async fn entries_carry_connection_and_database() {
    let server = MockRedis::start().await;
    let mut first = conn(&server).await;
    let mut second = conn_url(&format!("{}/5", server.url())).await;
    let first_id: u64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut first)
        .await
        .unwrap();
    let second_id: u64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut second)
        .await
        .unwrap();
    assert_ne!(first_id, second_id);
    let _: String = redis::cmd("ECHO")
        .arg("one")
        .query_async(&mut first)
        .await
        .unwrap();
    let _: String = redis::cmd("ECHO")
        .arg("two")
        .query_async(&mut second)
        .await
        .unwrap();

    let on_second = server.received_commands_on(second_id).unwrap();
    let texts: Vec<String> = on_second.iter().map(|r| r.to_string()).collect();
    assert_eq!(texts[0], r#""SELECT" "5""#);
    assert_eq!(texts.last().unwrap(), r#""ECHO" "two""#);
    // SELECT arrives on database 0; what follows runs on database 5.
    assert_eq!(on_second[0].db(), 0);
    assert!(on_second[1..].iter().all(|r| r.db() == 5));
    assert!(on_second.iter().all(|r| r.connection_id() == second_id));

    let on_first = server.received_commands_on(first_id).unwrap();
    assert!(
        on_first
            .iter()
            .all(|r| r.db() == 0 && r.connection_id() == first_id)
    );
    assert_eq!(on_first.last().unwrap().to_string(), r#""ECHO" "one""#);
    assert!(server.received_commands_on(9999).unwrap().is_empty());
}

#[tokio::test]
async fn reset_clears_mocks_and_journal() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("mocked"))
        .expect(5)
        .mount(&server);
    assert_eq!(raw(&server, b"ECHO x\r\n", 12).await, b"$6\r\nmocked\r\n");
    assert_eq!(server.received_commands().unwrap().len(), 1);
    server.reset();
    assert!(server.received_commands().unwrap().is_empty());
    assert_eq!(raw(&server, b"ECHO x\r\n", 7).await, b"$1\r\nx\r\n");
    assert_eq!(shown(&server), [r#""ECHO" "x""#]);
    server.verify();
}

#[tokio::test]
async fn recording_can_be_turned_off_and_on() {
    let server = MockRedis::builder().record_commands(false).start().await;
    assert_eq!(
        raw(&server, b"ECHO quiet\r\n", 11).await,
        b"$5\r\nquiet\r\n"
    );
    assert!(server.received_commands().is_none());
    assert!(server.received_commands_on(1).is_none());
    server.set_recording(true);
    assert_eq!(raw(&server, b"ECHO loud\r\n", 10).await, b"$4\r\nloud\r\n");
    assert_eq!(shown(&server), [r#""ECHO" "loud""#]);
    server.set_recording(false);
    assert_eq!(
        raw(&server, b"ECHO quiet\r\n", 11).await,
        b"$5\r\nquiet\r\n"
    );
    assert!(server.received_commands().is_none());
    server.set_recording(true);
    assert_eq!(shown(&server), [r#""ECHO" "loud""#]);
}

#[tokio::test]
async fn mocks_count_calls_with_recording_off() {
    let server = MockRedis::builder().record_commands(false).start().await;
    Mock::given(command("ECHO"))
        .respond_with(Reply::bulk("m"))
        .expect(2)
        .mount(&server);
    raw(&server, b"ECHO a\r\nECHO b\r\n", 14).await;
    server.verify();
    assert!(server.received_commands().is_none());
}

#[tokio::test]
async fn inline_and_pipelined_commands_are_each_recorded() {
    let server = MockRedis::start().await;
    let out = raw(
        &server,
        b"PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\na b\r\nECHO \"c d\"\r\n",
        25,
    )
    .await;
    assert_eq!(out, b"+PONG\r\n$3\r\na b\r\n$3\r\nc d\r\n");
    assert_eq!(
        shown(&server),
        [r#""PING""#, r#""ECHO" "a b""#, r#""ECHO" "c d""#]
    );
}

#[test]
fn the_journal_with_a_sync_client() {
    let server = MockRedis::start_blocking();
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::pipe()
        .cmd("ECHO")
        .arg("1")
        .ignore()
        .cmd("ECHO")
        .arg("2")
        .ignore()
        .query(&mut c)
        .unwrap();
    assert_eq!(shown(&server), [r#""ECHO" "1""#, r#""ECHO" "2""#]);
}
