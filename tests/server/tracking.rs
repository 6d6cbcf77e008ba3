//! Client-side caching over real sockets: a RESP3 client receives
//! `invalidate` pushes when another client writes a key it read (and on
//! expiry and FLUSHALL), BCAST prefixes, OPTIN with CLIENT CACHING, and a
//! RESP2 client redirecting its invalidations to a connection subscribed
//! to `__redis__:invalidate`.

use std::time::Duration;

use mock_redis::MockRedis;

use crate::support::{RawConn, Read};

fn frame(bytes: &[u8]) -> Read {
    Read::Frame(bytes.to_vec())
}

async fn id_of(conn: &mut RawConn) -> String {
    let reply = String::from_utf8(conn.cmd(["CLIENT", "ID"]).await).unwrap();
    reply.trim_start_matches(':').trim_end().to_string()
}

#[tokio::test]
async fn a_resp3_client_is_told_when_a_key_it_read_changes() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut cache = RawConn::open(port).await;
    let mut writer = RawConn::open(port).await;
    cache.cmd(["HELLO", "3"]).await;
    assert_eq!(cache.cmd(["CLIENT", "TRACKING", "on"]).await, b"+OK\r\n");
    assert_eq!(cache.cmd(["GET", "user:1"]).await, b"_\r\n");
    writer.cmd(["SET", "user:1", "alice"]).await;
    assert_eq!(
        cache.read_frame().await,
        frame(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n")
    );
    // Once told, it is forgotten until read again.
    writer.cmd(["SET", "user:1", "bob"]).await;
    assert_eq!(cache.cmd(["GET", "user:1"]).await, b"$3\r\nbob\r\n");
    // Expiry (on the engine clock) invalidates too.
    writer.cmd(["PEXPIRE", "user:1", "1000"]).await;
    assert_eq!(
        cache.read_frame().await,
        frame(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n")
    );
    cache.cmd(["GET", "user:1"]).await;
    server.fast_forward(Duration::from_secs(2));
    assert_eq!(
        cache.read_frame().await,
        frame(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n")
    );
    // FLUSHALL: one null for everything.
    writer.cmd(["FLUSHALL"]).await;
    assert_eq!(
        cache.read_frame().await,
        frame(b">2\r\n$10\r\ninvalidate\r\n_\r\n")
    );
    let info = String::from_utf8(writer.cmd(["INFO", "clients"]).await).unwrap();
    assert!(info.contains("tracking_clients:1\r\n"), "{info}");
}

#[tokio::test]
async fn bcast_prefixes_and_optin() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut cache = RawConn::open(port).await;
    let mut writer = RawConn::open(port).await;
    cache.cmd(["HELLO", "3"]).await;
    cache
        .cmd([
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "feed:",
        ])
        .await;
    writer
        .cmd([
            "MSET", "user:2", "a", "other", "b", "feed:9", "c", "user:1", "d",
        ])
        .await;
    // One message per prefix, in prefix order, keys in order.
    assert_eq!(
        cache.read_frame().await,
        frame(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nfeed:9\r\n")
    );
    assert_eq!(
        cache.read_frame().await,
        frame(b">2\r\n$10\r\ninvalidate\r\n*2\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n")
    );
    assert_eq!(cache.cmd(["CLIENT", "TRACKING", "off"]).await, b"+OK\r\n");

    // OPTIN: only what is read right after CLIENT CACHING yes is tracked.
    cache.cmd(["CLIENT", "TRACKING", "on", "OPTIN"]).await;
    cache.cmd(["GET", "a"]).await;
    cache.cmd(["CLIENT", "CACHING", "yes"]).await;
    cache.cmd(["GET", "b"]).await;
    writer.cmd(["MSET", "a", "1", "b", "2"]).await;
    assert_eq!(
        cache.read_frame().await,
        frame(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nb\r\n")
    );
    assert_eq!(cache.cmd(["PING"]).await, b"+PONG\r\n");
}

#[tokio::test]
async fn a_resp2_client_redirects_to_a_subscribed_connection() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut sink = RawConn::open(port).await;
    let mut cache = RawConn::open(port).await;
    let mut writer = RawConn::open(port).await;
    let sink_id = id_of(&mut sink).await;
    sink.cmd(["SUBSCRIBE", "__redis__:invalidate"]).await;
    assert_eq!(
        cache
            .cmd(["CLIENT", "TRACKING", "on", "REDIRECT", &sink_id])
            .await,
        b"+OK\r\n"
    );
    assert_eq!(
        cache.cmd(["CLIENT", "GETREDIR"]).await,
        format!(":{sink_id}\r\n").into_bytes()
    );
    cache.cmd(["GET", "k"]).await;
    writer.cmd(["SET", "k", "v"]).await;
    assert_eq!(
        sink.read_frame().await,
        frame(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n")
    );
    writer.cmd(["FLUSHDB"]).await;
    assert_eq!(
        sink.read_frame().await,
        frame(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n")
    );
}

/// redis-rs with RESP3 receives the push on its push channel.
#[tokio::test]
async fn redis_rs_receives_invalidate_pushes() {
    let server = MockRedis::start().await;
    let url = format!("{}?protocol=resp3", server.url());
    let client = redis::Client::open(url).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let config = redis::AsyncConnectionConfig::new().set_push_sender(tx);
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("TRACKING")
        .arg("on")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: Option<String> = redis::cmd("GET")
        .arg("k")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut writer = RawConn::open(server.port()).await;
    writer.cmd(["SET", "k", "v"]).await;
    let push = tokio::time::timeout(crate::support::PATIENCE, rx.recv())
        .await
        .expect("a push within the patience")
        .expect("the push channel is open");
    assert_eq!(push.kind, redis::PushKind::Invalidate);
    assert_eq!(
        push.data,
        vec![redis::Value::Array(vec![redis::Value::BulkString(
            b"k".to_vec()
        )])]
    );
}

/// Sends `args` as a RESP array and reads one reply (a blocking socket).
fn sync_cmd(conn: &mut std::net::TcpStream, args: &[&str]) -> Vec<u8> {
    use std::io::{Read as _, Write as _};
    let mut req = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    conn.write_all(&req).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = conn.read(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// Whether bytes are waiting on `conn` right now (no wait at all).
fn readable_now(conn: &mut std::net::TcpStream) -> Vec<u8> {
    use std::io::Read as _;
    conn.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 4096];
    let got = match conn.read(&mut buf) {
        Ok(n) => buf[..n].to_vec(),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Vec::new(),
        Err(e) => panic!("{e}"),
    };
    conn.set_nonblocking(false).unwrap();
    got
}

/// As in Redis, where every client's output goes out in the same
/// event-loop turn: once the writer has its reply, the invalidation (and a
/// subscriber's message) is already on the other connection, so a client
/// such as redis-py's cache, which checks its socket without waiting
/// before serving from its cache, never serves a stale value. The server
/// runs on its own thread (`start_blocking`), so nothing orders the two
/// connections but the server.
#[test]
fn the_invalidation_is_written_before_the_writers_reply() {
    let server = MockRedis::start_blocking();
    let port = server.port();
    let open = || std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut cache, mut writer, mut subscriber) = (open(), open(), open());
    sync_cmd(&mut cache, &["HELLO", "3"]);
    assert_eq!(
        sync_cmd(&mut cache, &["CLIENT", "TRACKING", "on"]),
        b"+OK\r\n"
    );
    sync_cmd(&mut subscriber, &["SUBSCRIBE", "news"]);
    for i in 0..200 {
        let value = format!("v{i}");
        sync_cmd(&mut cache, &["GET", "k"]);
        assert_eq!(sync_cmd(&mut writer, &["SET", "k", &value]), b"+OK\r\n");
        assert_eq!(
            readable_now(&mut cache),
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n",
            "round {i}"
        );
        assert_eq!(
            sync_cmd(&mut writer, &["PUBLISH", "news", &value]),
            b":1\r\n"
        );
        let message = format!(
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n${}\r\n{value}\r\n",
            value.len()
        );
        assert_eq!(
            readable_now(&mut subscriber),
            message.as_bytes(),
            "round {i}"
        );
    }
}
