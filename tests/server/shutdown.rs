//! SHUTDOWN through real sockets: every connection dropped without a reply,
//! new connections refused, `restart()` bringing the server back on the
//! same port with the keyspace the shutdown saved (or an empty one), and
//! the binary exiting with status 0 and Redis's log lines.

use mock_redis::MockRedis;
use tokio::net::TcpStream;

use crate::support::{RawConn, Read};

/// Sends SHUTDOWN `args` on a connection of its own and checks Redis's
/// exit: no reply, the connection closed; then waits for the server to
/// stop.
async fn shut_down(server: &MockRedis, args: &[&str]) {
    let mut conn = RawConn::open(server.port()).await;
    let mut request = vec!["SHUTDOWN"];
    request.extend_from_slice(args);
    let line = format!("{}\r\n", request.join(" "));
    conn.send(line.as_bytes()).await;
    assert!(conn.read_to_eof().await, "the connection closes");
    assert_eq!(conn.take_buffer(), b"", "SHUTDOWN answers nothing");
    server.wait_for_shutdown().await;
}

#[tokio::test]
async fn shutdown_drops_every_connection_and_refuses_new_ones() {
    let mut server = MockRedis::start().await;
    let port = server.port();
    let client = redis::Client::open(server.url()).unwrap();
    let mut rs = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query_async(&mut rs)
        .await
        .unwrap();
    // An idle client, a subscriber and a client blocked on a list: all
    // dropped, none answered.
    let mut idle = RawConn::open(port).await;
    assert_eq!(idle.cmd(["PING"]).await, b"+PONG\r\n");
    let mut subscriber = RawConn::open(port).await;
    assert_eq!(
        subscriber.cmd(["SUBSCRIBE", "news"]).await,
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
    );
    let mut blocked = RawConn::open(port).await;
    blocked.send(b"BLPOP queue 0\r\n").await;
    let mut control = crate::support::Control::open(port).await;
    assert!(control.await_blocked(blocked.local_addr()).await);
    assert!(!server.is_shut_down());

    // redis-rs's own connection sends it: no reply, the connection drops.
    let err = redis::cmd("SHUTDOWN")
        .query_async::<()>(&mut rs)
        .await
        .unwrap_err();
    assert!(
        err.is_connection_dropped() || err.is_io_error() || err.is_unrecoverable_error(),
        "{err:?}"
    );
    server.wait_for_shutdown().await;
    assert!(server.is_shut_down());
    for conn in [&mut idle, &mut subscriber, &mut blocked] {
        assert!(conn.read_to_eof().await, "every connection is closed");
        assert_eq!(conn.take_buffer(), b"");
    }
    assert!(TcpStream::connect(server.addr()).await.is_err());
    // The next command on the dropped connection fails too.
    assert!(
        redis::cmd("PING")
            .query_async::<String>(&mut rs)
            .await
            .is_err()
    );

    // Back on the same port; without persistence the keyspace is empty,
    // as a redis-server without a save comes back.
    server.restart().await.unwrap();
    assert_eq!(server.port(), port);
    assert!(!server.is_shut_down());
    let mut rs = client.get_multiplexed_async_connection().await.unwrap();
    let v: Option<String> = redis::cmd("GET")
        .arg("k")
        .query_async(&mut rs)
        .await
        .unwrap();
    assert_eq!(v, None);
    let mut raw = RawConn::open(port).await;
    assert_eq!(raw.cmd(["DBSIZE"]).await, b":0\r\n");
}

#[tokio::test]
async fn a_connection_manager_reconnects_after_shutdown_and_restart() {
    let mut server = MockRedis::start().await;
    let client = redis::Client::open(server.url()).unwrap();
    let mut manager = client.get_connection_manager().await.unwrap();
    let () = redis::cmd("SET")
        .arg("k")
        .arg("1")
        .query_async(&mut manager)
        .await
        .unwrap();
    shut_down(&server, &["SAVE"]).await;
    assert!(
        redis::cmd("GET")
            .arg("k")
            .query_async::<Option<String>>(&mut manager)
            .await
            .is_err(),
        "the server is gone"
    );
    server.restart().await.unwrap();
    // SHUTDOWN SAVE kept the keyspace; the manager reconnects by itself.
    crate::support::eventually("the connection manager to reconnect", async || {
        redis::cmd("GET")
            .arg("k")
            .query_async::<Option<String>>(&mut manager)
            .await
            .ok()
            .flatten()
            .as_deref()
            == Some("1")
    })
    .await;
}

#[tokio::test]
async fn save_keeps_the_keyspace_and_counts_as_a_save() {
    let mut server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(conn.cmd(["SET", "k", "v"]).await, b"+OK\r\n");
    shut_down(&server, &["save", "now", "force"]).await;
    server.restart().await.unwrap();
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(conn.cmd(["GET", "k"]).await, b"$1\r\nv\r\n");
    let info = conn.cmd(["INFO", "persistence"]).await;
    let info = String::from_utf8_lossy(&info);
    assert!(info.contains("rdb_saves:1\r\n"), "{info}");
    assert!(info.contains("rdb_changes_since_last_save:0\r\n"), "{info}");
}

#[tokio::test]
async fn save_points_save_unless_nosave() {
    let mut server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(
        conn.cmd(["CONFIG", "SET", "save", "3600 1"]).await,
        b"+OK\r\n"
    );
    assert_eq!(conn.cmd(["SET", "k", "v"]).await, b"+OK\r\n");
    shut_down(&server, &[]).await;
    server.restart().await.unwrap();
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(conn.cmd(["GET", "k"]).await, b"$1\r\nv\r\n", "saved");
    shut_down(&server, &["NOSAVE"]).await;
    server.restart().await.unwrap();
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(conn.cmd(["DBSIZE"]).await, b":0\r\n", "not saved");
}

#[tokio::test]
async fn refused_shutdowns_keep_the_server_up() {
    let server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    for (args, reply) in [
        (
            &["SHUTDOWN", "ABORT"][..],
            &b"-ERR No shutdown in progress.\r\n"[..],
        ),
        (&["SHUTDOWN", "NOSAVE", "SAVE"], b"-ERR syntax error\r\n"),
        (&["SHUTDOWN", "NOW", "ABORT"], b"-ERR syntax error\r\n"),
        (&["SHUTDOWN", "NOW", "later"], b"-ERR syntax error\r\n"),
    ] {
        assert_eq!(conn.cmd(args).await, reply, "{args:?}");
    }
    assert_eq!(conn.cmd(["MULTI"]).await, b"+OK\r\n");
    assert_eq!(
        conn.cmd(["SHUTDOWN"]).await,
        b"-ERR Command not allowed inside a transaction\r\n"
    );
    assert_eq!(conn.cmd(["DISCARD"]).await, b"+OK\r\n");
    assert!(!server.is_shut_down());
    assert_eq!(conn.cmd(["PING"]).await, b"+PONG\r\n");
}

#[tokio::test]
async fn replies_pipelined_before_shutdown_are_lost_with_the_connection() {
    let server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    conn.send(b"SET a 1\r\nSHUTDOWN NOSAVE\r\nPING\r\n").await;
    assert!(conn.read_to_eof().await);
    // Redis exits inside the read that holds SHUTDOWN: nothing of it is
    // written, and PING never runs.
    assert_eq!(conn.take_buffer(), b"");
    assert_eq!(conn.read_frame().await, Read::Closed);
    server.wait_for_shutdown().await;
}

#[tokio::test]
async fn a_blocking_server_shuts_down_and_restarts() {
    let mut server = MockRedis::start_blocking();
    shut_down(&server, &["NOSAVE"]).await;
    assert!(std::net::TcpStream::connect(server.addr()).is_err());
    server.restart_blocking().unwrap();
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(conn.cmd(["PING"]).await, b"+PONG\r\n");
}

#[tokio::test]
async fn a_unix_socket_is_closed_too() {
    let server = MockRedis::builder().unix_socket().start().await;
    let path = server.unix_path().unwrap().to_path_buf();
    tokio::net::UnixStream::connect(&path).await.unwrap();
    shut_down(&server, &[]).await;
    assert!(tokio::net::UnixStream::connect(&path).await.is_err());
}

/// `redis-cli shutdown` stops the binary: exit status 0, Redis's lines.
#[cfg(feature = "cli")]
#[test]
fn redis_cli_shutdown_stops_the_binary() {
    if std::process::Command::new("redis-cli")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no redis-cli");
        return;
    }
    let cli = crate::cli_fixtures::start(&[]);
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &cli.port.to_string(), "shutdown"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (code, rest) = cli.wait();
    assert_eq!(code, Some(0), "{rest}");
    let user = rest.find("User requested shutdown...").expect(&rest);
    let bye = rest
        .find("Redis is now ready to exit, bye bye...")
        .expect(&rest);
    assert!(user < bye, "{rest}");
}
