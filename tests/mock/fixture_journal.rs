//! The journal without the `bytes` crate: requests compare by what they
//! carry (not when they arrived), commands as strings, and the handshake
//! each connection opens with left out on request.

use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn conn(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Sends `request` on a fresh TCP connection and reads `reply_len` bytes.
async fn raw(server: &MockRedis, request: &[u8], reply_len: usize) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = vec![0; reply_len];
    stream.read_exact(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn journal_entries_equal_the_requests_a_test_builds() {
    let server = MockRedis::start().await;
    let mut c = conn(&server.url()).await;
    let id: u64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    let journal = server.received_commands().expect("the journal is on");
    assert!(journal.contains(&Request::new(["SET", "k", "v"], id, 0)));
    assert!(!journal.contains(&Request::new(["SET", "k", "v"], id + 1, 0)));
    assert!(!journal.contains(&Request::new(["SET", "k", "v"], id, 1)));
    assert!(!journal.contains(&Request::new(["set", "k", "v"], id, 0)));
    // The same journal read twice compares equal, entry by entry.
    assert_eq!(journal, server.received_commands().unwrap());
}

#[tokio::test]
async fn commands_as_strings_are_lossy_utf8() {
    let server = MockRedis::start().await;
    let mut c = conn(&server.url()).await;
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&b"caf\xc3\xa9 \xff"[..])
        .query_async(&mut c)
        .await
        .unwrap();
    let all = server.received_commands_as_strings();
    assert_eq!(
        all.last().unwrap(),
        &["SET", "k", "caf\u{e9} \u{fffd}"],
        "valid UTF-8 kept, the stray byte replaced"
    );
    assert_eq!(all.len(), server.received_commands().unwrap().len());
}

#[tokio::test]
async fn the_opening_handshake_is_left_out_of_both_resp2_and_resp3_connections() {
    let server = MockRedis::start().await;
    let mut resp2 = conn(&format!("{}/1", server.url())).await;
    let mut resp3 = conn(&format!("{}/?protocol=resp3", server.url())).await;
    let _: () = redis::cmd("SET")
        .arg("a")
        .arg("1")
        .query_async(&mut resp2)
        .await
        .unwrap();
    let _: Option<String> = redis::cmd("GET")
        .arg("a")
        .query_async(&mut resp3)
        .await
        .unwrap();
    let all = server.received_commands_as_strings();
    let names: Vec<&str> = all.iter().map(|c| c[0].as_str()).collect();
    assert!(
        names.contains(&"HELLO") && names.contains(&"SELECT"),
        "{all:?}"
    );
    assert!(names.contains(&"CLIENT"), "{all:?}");
    assert_eq!(
        server.received_commands_as_strings_without_handshakes(),
        [vec!["SET", "a", "1"], vec!["GET", "a"]],
    );
}

#[tokio::test]
async fn handshake_commands_sent_later_are_kept() {
    let server = MockRedis::start().await;
    let mut c = conn(&server.url()).await;
    let _: String = redis::cmd("ECHO")
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: String = redis::cmd("PING").query_async(&mut c).await.unwrap();
    let _: () = redis::cmd("SELECT")
        .arg(2)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("worker")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(
        server.received_commands_as_strings_without_handshakes(),
        [
            vec!["ECHO", "x"],
            vec!["PING"],
            vec!["SELECT", "2"],
            vec!["CLIENT", "SETNAME", "worker"],
        ],
    );
}

#[tokio::test]
async fn each_connection_has_its_own_handshake() {
    let server = MockRedis::start().await;
    // Connection A opens with PING (a ready check), then works; connection
    // B opens with GET at once, then PINGs.
    assert_eq!(
        raw(&server, b"PING\r\nCLIENT SETNAME a\r\nGET k\r\n", 17).await,
        b"+PONG\r\n+OK\r\n$-1\r\n"
    );
    assert_eq!(
        raw(&server, b"GET k\r\nPING\r\n", 12).await,
        b"$-1\r\n+PONG\r\n"
    );
    assert_eq!(
        server.received_commands_as_strings_without_handshakes(),
        [vec!["GET", "k"], vec!["GET", "k"], vec!["PING"]],
    );
    assert_eq!(server.received_commands_as_strings().len(), 5);
}

#[tokio::test]
async fn a_mocked_handshake_command_is_still_part_of_the_handshake() {
    let server = MockRedis::start().await;
    Mock::given(command("CLIENT SETINFO"))
        .respond_with(Reply::ok())
        .expect(2)
        .mount(&server);
    let mut c = conn(&server.url()).await;
    let _: i64 = redis::cmd("DBSIZE").query_async(&mut c).await.unwrap();
    assert_eq!(
        server.received_commands_as_strings_without_handshakes(),
        [vec!["DBSIZE"]]
    );
}

#[test]
fn the_journal_helpers_with_a_sync_client() {
    let server = MockRedis::start_blocking();
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("RPUSH")
        .arg("q")
        .arg("job")
        .query(&mut c)
        .unwrap();
    let _: Vec<String> = redis::cmd("LRANGE")
        .arg("q")
        .arg(0)
        .arg(-1)
        .query(&mut c)
        .unwrap();
    assert_eq!(
        server.received_commands_as_strings_without_handshakes(),
        [vec!["RPUSH", "q", "job"], vec!["LRANGE", "q", "0", "-1"]],
    );
}
