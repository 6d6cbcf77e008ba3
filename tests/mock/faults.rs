//! Faults: delays, hangs, closed connections, raw bytes, the server-wide
//! error, closing every connection, closing after N commands, and a
//! ConnectionManager reconnecting across `restart()`.

use std::time::{Duration, Instant};

use crate::util::{assert_silent, conn, raw, read_some, read_to_eof};
use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply, Response};
use tokio::io::AsyncWriteExt;

const LOADING: &str = "LOADING Redis is loading the dataset in memory";

#[tokio::test]
async fn a_delayed_reply_comes_late_and_in_order() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("slow"))
        .respond_with(Response::reply(Reply::bulk("late")).delay(Duration::from_millis(150)))
        .expect(1)
        .mount(&server);
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"PING\r\nGET slow\r\nECHO after\r\n")
        .await
        .unwrap();
    // The reply before the delayed one is written before the delay.
    let first = read_some(&mut stream, 7).await;
    assert_eq!(first, b"+PONG\r\n");
    let rest = read_some(&mut stream, 21).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(rest, b"$4\r\nlate\r\n$5\r\nafter\r\n");
}

#[tokio::test]
async fn a_delayed_pass_through_still_reaches_the_engine() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO"))
        .respond_with(Response::pass_through().delay(Duration::from_millis(50)))
        .expect(1)
        .mount(&server);
    let started = Instant::now();
    assert_eq!(raw(&server, b"ECHO hi\r\n", 8).await, b"$2\r\nhi\r\n");
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn a_hang_makes_the_client_time_out() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::hang())
        .expect(1)
        .mount(&server);
    // Connected with generous timeouts (the handshake must not time out on a
    // loaded machine), then a short one for the hung request: it can only
    // fire later than asked, never wrongly.
    let mut c = conn(&server).await;
    c.set_response_timeout(Duration::from_millis(200));
    let err = redis::cmd("GET")
        .arg("k")
        .query_async::<Option<String>>(&mut c)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn a_hung_connection_stays_open_and_silent() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::hang())
        .mount(&server);
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(b"PING\r\nGET k\r\nPING\r\n")
        .await
        .unwrap();
    // The first PING is answered; nothing after the hang, and no EOF either.
    assert_eq!(read_some(&mut stream, 7).await, b"+PONG\r\n");
    stream.write_all(b"PING\r\n").await.unwrap();
    assert_silent(&mut stream, Duration::from_millis(200)).await;
    // Other connections are unaffected.
    assert_eq!(raw(&server, b"PING\r\n", 7).await, b"+PONG\r\n");
    // Stopping the server ends the hang.
    server.shutdown().await;
    assert_eq!(read_to_eof(&mut stream).await, Some(Vec::new()));
}

#[tokio::test]
async fn close_connections_ends_a_hang() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::hang())
        .mount(&server);
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(b"PING\r\nGET k\r\n").await.unwrap();
    assert_eq!(read_some(&mut stream, 7).await, b"+PONG\r\n");
    server.close_connections();
    assert_eq!(read_to_eof(&mut stream).await, Some(Vec::new()));
}

#[tokio::test]
async fn close_before_replying() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::close())
        .expect(1)
        .mount(&server);
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(b"PING\r\nGET k\r\nPING\r\n")
        .await
        .unwrap();
    assert_eq!(read_to_eof(&mut stream).await.unwrap(), b"+PONG\r\n");
}

#[tokio::test]
async fn close_after_replying() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::reply(Reply::bulk("bye")).then_close())
        .expect(1)
        .mount(&server);
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(b"GET k\r\nPING\r\n").await.unwrap();
    assert_eq!(read_to_eof(&mut stream).await.unwrap(), b"$3\r\nbye\r\n");
}

#[tokio::test]
async fn a_closed_connection_is_an_io_error_for_redis_rs() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::close())
        .mount(&server);
    let mut c = conn(&server).await;
    let err = redis::cmd("GET")
        .arg("k")
        .query_async::<Option<String>>(&mut c)
        .await
        .unwrap_err();
    assert!(
        err.is_io_error() || err.is_connection_dropped() || err.is_unrecoverable_error(),
        "{err:?}"
    );
}

#[tokio::test]
async fn raw_bytes_are_written_as_they_are() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::raw("$5\r\nab"))
        .mount(&server);
    Mock::given(command("MGET"))
        .respond_with(Response::raw("!oops\r\n"))
        .mount(&server);
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(b"GET k\r\n").await.unwrap();
    assert_eq!(read_some(&mut stream, 6).await, b"$5\r\nab");
    assert_silent(&mut stream, Duration::from_millis(100)).await;
    // A frame redis-rs cannot parse is a client error, not a hang.
    let mut c = conn(&server).await;
    let err = redis::cmd("MGET")
        .arg("k")
        .query_async::<redis::Value>(&mut c)
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn the_error_fault_answers_every_command_until_cleared() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("v"))
        .mount(&server);
    let mut c = conn(&server).await;
    server.set_error(Some(LOADING));
    for cmd in [redis::cmd("GET"), redis::cmd("PING")] {
        let mut cmd = cmd;
        cmd.arg("k");
        let err = cmd.query_async::<String>(&mut c).await.unwrap_err();
        assert_eq!(err.code(), Some("LOADING"));
        assert_eq!(err.detail(), Some("Redis is loading the dataset in memory"));
    }
    assert_eq!(
        raw(&server, b"GET k\r\n", 49).await,
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    // Clients can still connect: the handshake commands are spared, as Redis spares them.
    let mut fresh = conn(&server).await;
    let err = redis::cmd("GET")
        .arg("k")
        .query_async::<String>(&mut fresh)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("LOADING"));
    server.set_error(None);
    let v: String = redis::cmd("GET")
        .arg("k")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, "v");
}

#[tokio::test]
async fn an_error_without_a_code_gets_err() {
    let server = MockRedis::start().await;
    server.set_error(Some("something broke"));
    assert_eq!(
        raw(&server, b"PING\r\n", 22).await,
        b"-ERR something broke\r\n"
    );
}

#[tokio::test]
async fn close_connections_drops_every_client_and_keeps_listening() {
    let server = MockRedis::start().await;
    let mut a = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut b = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    a.write_all(b"PING\r\n").await.unwrap();
    b.write_all(b"PING\r\n").await.unwrap();
    assert_eq!(read_some(&mut a, 7).await, b"+PONG\r\n");
    assert_eq!(read_some(&mut b, 7).await, b"+PONG\r\n");
    server.close_connections();
    assert_eq!(read_to_eof(&mut a).await, Some(Vec::new()));
    assert_eq!(read_to_eof(&mut b).await, Some(Vec::new()));
    assert_eq!(raw(&server, b"PING\r\n", 7).await, b"+PONG\r\n");
}

#[tokio::test]
async fn close_connections_after_n_commands() {
    let server = MockRedis::start().await;
    server.close_connections_after(Some(2));
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"PING\r\nECHO a\r\nPING\r\n").await.unwrap();
    assert_eq!(read_to_eof(&mut s).await.unwrap(), b"+PONG\r\n$1\r\na\r\n");
    // Each connection counts its own commands.
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"ECHO b\r\n").await.unwrap();
    assert_eq!(read_some(&mut s, 7).await, b"$1\r\nb\r\n");
    s.write_all(b"ECHO c\r\n").await.unwrap();
    assert_eq!(read_to_eof(&mut s).await.unwrap(), b"$1\r\nc\r\n");
    server.close_connections_after(None);
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"PING\r\nPING\r\nPING\r\n").await.unwrap();
    assert_eq!(read_some(&mut s, 21).await, b"+PONG\r\n+PONG\r\n+PONG\r\n");
}

#[tokio::test]
async fn connection_manager_reconnects_across_a_restart() {
    let mut server = MockRedis::start().await;
    Mock::given(command("GET").arg("k"))
        .respond_with(Reply::bulk("v"))
        .expect(2..)
        .mount(&server);
    let client = redis::Client::open(server.url()).unwrap();
    let config = crate::support::clients::manager_config()
        .set_number_of_retries(5)
        .set_min_delay(Duration::from_millis(10))
        .set_max_delay(Duration::from_millis(100));
    let mut manager = redis::aio::ConnectionManager::new_with_config(client, config)
        .await
        .unwrap();
    let v: String = redis::cmd("GET")
        .arg("k")
        .query_async(&mut manager)
        .await
        .unwrap();
    assert_eq!(v, "v");
    let connections_before = count_connections(&server);

    server.restart().await.unwrap();

    // The manager notices the dropped connection and reconnects; the mocks
    // survive the restart. A command in flight may fail: retry until one
    // is answered.
    let mut answer = None;
    crate::support::eventually("the manager to reconnect", async || {
        answer = redis::cmd("GET")
            .arg("k")
            .query_async::<String>(&mut manager)
            .await
            .ok();
        answer.is_some()
    })
    .await;
    assert_eq!(answer.as_deref(), Some("v"));
    assert!(count_connections(&server) > connections_before);
}

/// The distinct connections the journal has seen.
fn count_connections(server: &MockRedis) -> usize {
    let mut ids: Vec<u64> = server
        .received_commands()
        .expect("the journal is on")
        .iter()
        .map(|r| r.connection_id())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

#[test]
fn faults_with_a_blocking_server_and_a_sync_client() {
    let server = MockRedis::start_blocking();
    Mock::given(command("GET"))
        .respond_with(Response::hang())
        .mount(&server);
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    c.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let err = redis::cmd("GET")
        .arg("k")
        .query::<Option<String>>(&mut c)
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    // The fault comes before the mocks: GET is answered, not hung.
    server.set_error(Some(LOADING));
    let mut c = client.get_connection().unwrap();
    let err = redis::cmd("GET")
        .arg("k")
        .query::<String>(&mut c)
        .unwrap_err();
    assert_eq!(err.code(), Some("LOADING"));
    // ECHO is one of the commands Redis serves while loading.
    let echoed: String = redis::cmd("ECHO").arg("x").query(&mut c).unwrap();
    assert_eq!(echoed, "x");
}
