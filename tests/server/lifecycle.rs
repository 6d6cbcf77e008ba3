//! The handle's lifecycle: start, addresses, shutdown, drop, restart, Unix
//! sockets, the blocking entry point and the builder's options.

use std::io::{Read, Write};

use mock_redis::MockRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::PATIENCE;

async fn roundtrip<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    conn: &mut S,
    request: &[u8],
) -> Vec<u8> {
    conn.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    while crate::support::frame_len(&buf).is_none() {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(PATIENCE, conn.read(&mut chunk))
            .await
            .expect("a reply")
            .unwrap();
        assert!(n > 0, "connection closed: {}", buf.escape_ascii());
        buf.extend_from_slice(&chunk[..n]);
    }
    buf
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test]
async fn binds_loopback_ephemeral_port() {
    let server = MockRedis::start().await;
    assert!(server.addr().ip().is_loopback());
    assert_ne!(server.port(), 0);
    assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.port()));
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(roundtrip(&mut conn, b"PING\r\n").await, b"+PONG\r\n");
}

#[tokio::test]
async fn shutdown_refuses_connections_and_leaves_no_task() {
    let before = alive_tasks();
    let server = MockRedis::start().await;
    let addr = server.addr();
    let mut clients = Vec::new();
    for _ in 0..5 {
        let mut conn = TcpStream::connect(addr).await.unwrap();
        assert_eq!(roundtrip(&mut conn, b"PING\r\n").await, b"+PONG\r\n");
        clients.push(conn);
    }
    assert!(
        alive_tasks() >= before + 6,
        "accept loop and 5 connection tasks"
    );
    server.shutdown().await;
    assert_eq!(alive_tasks(), before, "every task ended with shutdown()");
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    // The server closed the existing connections too.
    for mut conn in clients {
        let mut buf = [0u8; 16];
        let n = conn.read(&mut buf).await.unwrap_or(0);
        assert_eq!(n, 0, "connection closed by the server");
    }
}

#[tokio::test]
async fn drop_refuses_connections_at_once_and_ends_tasks() {
    let before = alive_tasks();
    let server = MockRedis::start().await;
    let addr = server.addr();
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert_eq!(roundtrip(&mut conn, b"PING\r\n").await, b"+PONG\r\n");
    drop(server);
    // No await point between the drop and this connect: the port must
    // already refuse.
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(PATIENCE, conn.read(&mut buf))
        .await
        .expect("closed")
        .unwrap_or(0);
    assert_eq!(n, 0);
    for _ in 0..100 {
        if alive_tasks() == before {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(alive_tasks(), before, "aborted tasks are gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_a_multi_thread_runtime() {
    let server = MockRedis::start().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let addr = server.addr();
        tasks.push(tokio::spawn(async move {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            let msg = format!("ECHO m{i}\r\n");
            roundtrip(&mut conn, msg.as_bytes()).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), format!("$2\r\nm{i}\r\n").into_bytes());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn restart_keeps_the_address_and_drops_connections() {
    let mut server = MockRedis::start().await;
    let addr = server.addr();
    let mut old = TcpStream::connect(addr).await.unwrap();
    assert_eq!(roundtrip(&mut old, b"PING\r\n").await, b"+PONG\r\n");
    server.restart().await.unwrap();
    assert_eq!(server.addr(), addr);
    let mut buf = [0u8; 8];
    assert_eq!(
        old.read(&mut buf).await.unwrap_or(0),
        0,
        "old connection closed"
    );
    let mut new = TcpStream::connect(addr).await.unwrap();
    assert_eq!(roundtrip(&mut new, b"PING\r\n").await, b"+PONG\r\n");
}

#[test]
fn blocking_server_serves_sync_clients_and_stops_on_drop() {
    let mut server = MockRedis::start_blocking();
    let addr = server.addr();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.write_all(b"ECHO sync\r\n").unwrap();
    let mut reply = [0u8; 10];
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"$4\r\nsync\r\n");

    server.restart_blocking().unwrap();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.write_all(b"PING\r\n").unwrap();
    let mut reply = [0u8; 7];
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+PONG\r\n");

    drop(server);
    let err = std::net::TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    let mut buf = [0u8; 4];
    assert_eq!(conn.read(&mut buf).unwrap_or(0), 0);
}

#[tokio::test]
async fn blocking_server_can_start_inside_a_runtime() {
    // A sync client helper used from async code must not hit
    // "cannot start a runtime from within a runtime".
    let server = MockRedis::start_blocking();
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(roundtrip(&mut conn, b"PING\r\n").await, b"+PONG\r\n");
    drop(server);
}

#[cfg(unix)]
#[tokio::test]
async fn unix_socket_in_a_temporary_directory() {
    let server = MockRedis::builder().unix_socket().start().await;
    let path = server.unix_path().unwrap().to_path_buf();
    let mut conn = tokio::net::UnixStream::connect(&path).await.unwrap();
    assert_eq!(roundtrip(&mut conn, b"PING\r\n").await, b"+PONG\r\n");
    // TCP keeps working alongside.
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(roundtrip(&mut tcp, b"PING\r\n").await, b"+PONG\r\n");
    let dir = path.parent().unwrap().to_path_buf();
    server.shutdown().await;
    assert!(!path.exists(), "socket file removed");
    assert!(!dir.exists(), "temporary directory removed");
}

#[tokio::test]
async fn existing_listener_and_chosen_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = MockRedis::builder().listener(listener).start().await;
    assert_eq!(server.addr(), addr);
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert_eq!(roundtrip(&mut conn, b"PING\r\n").await, b"+PONG\r\n");
    drop(server);

    // A port chosen in advance (the one place portpicker fits).
    let port = portpicker::pick_unused_port().expect("a free port");
    let server = MockRedis::builder()
        .bind(([127, 0, 0, 1], port).into())
        .try_start()
        .await
        .unwrap();
    assert_eq!(server.port(), port);
}

#[tokio::test]
async fn reported_version_follows_the_builder() {
    let server = MockRedis::builder().redis_version("7.2.4").start().await;
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    let hello = roundtrip(&mut conn, b"HELLO\r\n").await;
    let needle = b"$7\r\nversion\r\n$5\r\n7.2.4\r\n";
    assert!(
        hello.windows(needle.len()).any(|w| w == needle),
        "{}",
        hello.escape_ascii()
    );
    let info = roundtrip(&mut conn, b"INFO server\r\n").await;
    assert!(String::from_utf8_lossy(&info).contains("redis_version:7.2.4\r\n"));
    // From 7.2, CLIENT SETINFO exists.
    assert_eq!(
        roundtrip(&mut conn, b"CLIENT SETINFO lib-name redis-rs\r\n").await,
        b"+OK\r\n"
    );

    let default = MockRedis::start().await;
    let mut conn = TcpStream::connect(default.addr()).await.unwrap();
    let info = roundtrip(&mut conn, b"INFO server\r\n").await;
    assert!(String::from_utf8_lossy(&info).contains("redis_version:7.0.15\r\n"));
}

#[tokio::test]
async fn requirepass_gates_commands_and_parser_limits() {
    let server = MockRedis::builder().requirepass("s3cret").start().await;
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(
        roundtrip(&mut conn, b"PING\r\n").await,
        b"-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        roundtrip(&mut conn, b"NOPE\r\n").await,
        b"-ERR unknown command 'NOPE', with args beginning with: \r\n",
        "unknown commands are reported before authentication, as Redis does"
    );
    assert_eq!(
        roundtrip(&mut conn, b"AUTH wrong\r\n").await,
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(roundtrip(&mut conn, b"HELLO 3\r\n").await, &b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"[..]);
    assert_eq!(roundtrip(&mut conn, b"AUTH s3cret\r\n").await, b"+OK\r\n");
    assert_eq!(roundtrip(&mut conn, b"PING\r\n").await, b"+PONG\r\n");
    assert_eq!(roundtrip(&mut conn, b"RESET\r\n").await, b"+RESET\r\n");
    assert_eq!(
        roundtrip(&mut conn, b"PING\r\n").await,
        b"-NOAUTH Authentication required.\r\n",
        "RESET deauthenticates"
    );

    // Before authenticating, Redis caps the multibulk count and bulk length.
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(
        roundtrip(&mut conn, b"*11\r\n").await,
        b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(
        roundtrip(&mut conn, b"*1\r\n$16385\r\n").await,
        b"-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    // HELLO with AUTH authenticates and switches protocol at once.
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    let hello = roundtrip(&mut conn, b"HELLO 3 AUTH default s3cret\r\n").await;
    assert!(hello.starts_with(b"%7\r\n"), "{}", hello.escape_ascii());
    // Eleven arguments are fine once authenticated (an arity error for PING).
    let mut request = b"*11\r\n$4\r\nPING\r\n".to_vec();
    request.extend(b"$1\r\na\r\n".repeat(10));
    assert_eq!(
        roundtrip(&mut conn, &request).await,
        b"-ERR wrong number of arguments for 'ping' command\r\n"
    );
}
