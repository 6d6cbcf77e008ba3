//! Connection-side limits through real sockets: the published log's bound
//! (issue 10 row 7), `client-query-buffer-limit` on a blocked client (8),
//! the `pubsub` output limit on a subscriber that never reads (9), the
//! `normal` output limit on a pipeline that never reads (10), `maxclients`
//! and `timeout` (12), and protected mode (13). A test whose outcome is
//! deterministic runs against a real redis-server as well. Nothing waits
//! on time: every wait ends on an acknowledgement (`CLIENT LIST`, a
//! reply, the connection closing), and `timeout` is driven by the engine
//! clock (`fast_forward`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mock_redis::MockRedis;
use tokio::net::TcpSocket;

use crate::support::{Control, RawConn, Read, RealRedis, escape, multibulk};

/// The ports to run a deterministic test against: the mock, then the real
/// server when there is one (kept alive by the returned handle).
async fn targets(mock: &MockRedis) -> (Vec<(u16, bool)>, Option<RealRedis>) {
    let real = RealRedis::start();
    let mut ports = vec![(mock.port(), true)];
    if let Some(r) = &real {
        ports.push((r.port, false));
    }
    (ports, real)
}

/// A connection to `127.0.0.1:port` from `source` (any loopback address:
/// Linux routes all of 127.0.0.0/8 to the loopback interface).
async fn connect_from(source: IpAddr, port: u16, recv_buffer: Option<u32>) -> RawConn {
    let socket = TcpSocket::new_v4().unwrap();
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    let stream = socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .unwrap();
    RawConn::new(stream)
}

fn text(reply: &[u8]) -> String {
    escape(reply)
}

async fn config_set(conn: &mut RawConn, name: &str, value: &str) {
    let reply = conn.cmd(["CONFIG", "SET", name, value]).await;
    assert_eq!(
        reply,
        b"+OK\r\n",
        "CONFIG SET {name} {value}: {}",
        text(&reply)
    );
}

/// `INFO stats`'s `rejected_connections`.
async fn rejected_connections(conn: &mut RawConn) -> u64 {
    let reply = conn.cmd(["INFO", "stats"]).await;
    String::from_utf8_lossy(&reply)
        .lines()
        .find_map(|l| l.strip_prefix("rejected_connections:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("rejected_connections in INFO")
}

// Row 7: the test-side log of published messages is bounded, and reset()
// clears it.
#[tokio::test]
async fn the_published_log_keeps_the_newest_messages_and_reset_clears_it() {
    let server = MockRedis::builder().published_log(3).start().await;
    let mut c = RawConn::open(server.port()).await;
    for i in 0..5 {
        assert_eq!(c.cmd(["PUBLISH", "ch", &i.to_string()]).await, b":0\r\n");
    }
    assert_eq!(server.published_on("ch"), ["2", "3", "4"]);
    server.reset();
    assert!(server.published().is_empty());

    // The default bound: the newest 10,000 messages.
    let server = MockRedis::start().await;
    let mut c = RawConn::open(server.port()).await;
    let mut pipeline = Vec::new();
    for i in 0..10_005 {
        pipeline.extend_from_slice(&multibulk(["PUBLISH", "ch", &i.to_string()]));
    }
    c.send(&pipeline).await;
    for _ in 0..10_005 {
        assert_eq!(c.read_frame().await, Read::Frame(b":0\r\n".to_vec()));
    }
    let log = server.published_on("ch");
    assert_eq!(log.len(), 10_000);
    assert_eq!(log[0], "5");
    assert_eq!(log[9_999], "10004");
}

// Row 8: a blocked client that keeps sending is closed once its unparsed
// input passes client-query-buffer-limit, set on a live connection.
#[tokio::test]
async fn a_blocked_client_flooding_its_query_buffer_is_closed() {
    let server = MockRedis::start().await;
    let (ports, _real) = targets(&server).await;
    for (port, mock) in ports {
        let mut victim = RawConn::open(port).await;
        let mut admin = RawConn::open(port).await;
        let mut control = Control::open(port).await;
        victim.send(&multibulk(["BLPOP", "q", "0"])).await;
        assert!(control.await_blocked(victim.local_addr()).await);
        config_set(&mut admin, "client-query-buffer-limit", "1mb").await;
        // A 2 MB SET the blocked client can never run.
        let mut flood = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n".to_vec();
        flood.resize(flood.len() + 2 * 1024 * 1024, b'x');
        victim.send(&flood).await;
        assert!(victim.read_to_eof().await, "mock: {mock}");
        assert!(
            control.await_gone(victim.local_addr()).await,
            "mock: {mock}"
        );
        assert_eq!(admin.cmd(["EXISTS", "k"]).await, b":0\r\n", "mock: {mock}");
    }
}

// Deliverable 5: `proto-max-bulk-len` set on a live server bounds the next
// request's bulk strings (Redis reads the live value for every request).
#[tokio::test]
async fn proto_max_bulk_len_bounds_requests_on_live_connections() {
    let server = MockRedis::start().await;
    let (ports, _real) = targets(&server).await;
    for (port, mock) in ports {
        let mut admin = RawConn::open(port).await;
        let mut client = RawConn::open(port).await;
        assert_eq!(client.cmd(["PING"]).await, b"+PONG\r\n");
        config_set(&mut admin, "proto-max-bulk-len", "1mb").await;
        client
            .send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
            .await;
        assert_eq!(
            client.read_frame().await,
            Read::Frame(b"-ERR Protocol error: invalid bulk length\r\n".to_vec()),
            "mock: {mock}"
        );
        assert!(client.read_to_eof().await, "mock: {mock}");
        // Exactly the limit still passes.
        let mut ok = RawConn::open(port).await;
        let value = "x".repeat(1024 * 1024);
        assert_eq!(
            ok.cmd(["SET", "k", value.as_str()]).await,
            b"+OK\r\n",
            "mock: {mock}"
        );
        config_set(&mut admin, "proto-max-bulk-len", "512mb").await;
    }
}

// Row 9: a subscriber that never reads is dropped at the pubsub class's
// hard limit, however much is published.
#[tokio::test]
async fn a_subscriber_that_never_reads_is_dropped_at_the_pubsub_limit() {
    let server = MockRedis::start().await;
    let (ports, _real) = targets(&server).await;
    for (port, mock) in ports {
        let mut admin = RawConn::open(port).await;
        let mut control = Control::open(port).await;
        config_set(&mut admin, "client-output-buffer-limit", "pubsub 256kb 0 0").await;
        let mut sub = connect_from(IpAddr::from([127, 0, 0, 1]), port, Some(4096)).await;
        let confirmation = sub.cmd(["SUBSCRIBE", "c"]).await;
        assert!(
            confirmation.starts_with(b"*3\r\n$9\r\nsubscribe"),
            "{}",
            text(&confirmation)
        );
        let message = "m".repeat(1024);
        let batch: Vec<u8> = (0..256)
            .flat_map(|_| multibulk(["PUBLISH", "c", &message]))
            .collect();
        // At most 256 MB: far past any socket buffering.
        let mut batches = 0;
        while control.client_line(sub.local_addr()).await.is_some() {
            batches += 1;
            assert!(
                batches <= 1000,
                "mock: {mock}: the subscriber was never dropped"
            );
            admin.send(&batch).await;
            for _ in 0..256 {
                assert!(matches!(admin.read_frame().await, Read::Frame(_)));
            }
        }
        // The server closed it: what it reads ends.
        assert!(sub.read_to_eof().await, "mock: {mock}");
        assert_eq!(admin.cmd(["PUBLISH", "c", "x"]).await, b":0\r\n");
    }
}

// Row 10: a pipelining client that never reads is closed at the normal
// class's hard limit, and no command runs after that.
#[tokio::test]
async fn a_pipeline_that_never_reads_is_closed_at_the_normal_limit() {
    let server = MockRedis::start().await;
    let (ports, _real) = targets(&server).await;
    for (port, mock) in ports {
        let mut admin = RawConn::open(port).await;
        let mut control = Control::open(port).await;
        config_set(&mut admin, "client-output-buffer-limit", "normal 1mb 0 0").await;
        let big = "v".repeat(64 * 1024);
        assert_eq!(admin.cmd(["SET", "big", &big]).await, b"+OK\r\n");
        let mut victim = connect_from(IpAddr::from([127, 0, 0, 1]), port, Some(4096)).await;
        // 2,000 x 64 KB of replies: 128 MB if nothing stopped it.
        let pipeline: Vec<u8> = (0..2000)
            .flat_map(|_| {
                let mut pair = multibulk(["GET", "big"]);
                pair.extend_from_slice(&multibulk(["INCR", "n"]));
                pair
            })
            .collect();
        victim.send(&pipeline).await;
        assert!(
            control.await_gone(victim.local_addr()).await,
            "mock: {mock}"
        );
        let n = admin.cmd(["GET", "n"]).await;
        let n: u64 = String::from_utf8_lossy(&n)
            .lines()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("GET n: {}", text(&n)));
        assert!(n < 2000, "mock: {mock}: {n} commands ran");
    }
}

// Row 10: with the normal class unlimited (Redis's default), the mock's
// 64 MiB safety cap closes a pipeline that never reads (redis-server would
// grow without bound), while one reply larger than the cap still goes out.
#[tokio::test]
async fn the_safety_cap_closes_a_pipeline_that_never_reads() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut admin = RawConn::open(port).await;
    let mut control = Control::open(port).await;
    let mb = "v".repeat(1024 * 1024);
    assert_eq!(admin.cmd(["SET", "big", &mb]).await, b"+OK\r\n");
    let mut victim = connect_from(IpAddr::from([127, 0, 0, 1]), port, Some(4096)).await;
    // 2,000 x 1 MB of replies if nothing stopped it.
    let pipeline: Vec<u8> = (0..2000)
        .flat_map(|_| {
            let mut pair = multibulk(["GET", "big"]);
            pair.extend_from_slice(&multibulk(["INCR", "n"]));
            pair
        })
        .collect();
    victim.send(&pipeline).await;
    assert!(control.await_gone(victim.local_addr()).await);
    let n = admin.cmd(["GET", "n"]).await;
    let n: u64 = String::from_utf8_lossy(&n)
        .lines()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("GET n: {}", text(&n)));
    // 64 unsent replies of 1 MB + 12 bytes pass 64 MiB: at least 63 INCRs
    // ran (exactly 63 when nothing was written meanwhile).
    assert!((63..2000).contains(&n), "{n} commands ran");

    // One 80 MB reply alone is not capped.
    let huge = "h".repeat(80 * 1024 * 1024);
    assert_eq!(admin.cmd(["SET", "huge", &huge]).await, b"+OK\r\n");
    let reply = admin.cmd(["GET", "huge"]).await;
    assert_eq!(reply.len(), huge.len() + b"$83886080\r\n\r\n".len());
}

// Row 12: over maxclients, a new connection gets Redis's error and is
// closed; it counts in rejected_connections.
#[tokio::test]
async fn a_connection_over_maxclients_is_refused() {
    let server = MockRedis::start().await;
    let (ports, _real) = targets(&server).await;
    for (port, mock) in ports {
        let mut admin = RawConn::open(port).await;
        config_set(&mut admin, "maxclients", "2").await;
        let mut second = RawConn::open(port).await;
        assert_eq!(second.cmd(["PING"]).await, b"+PONG\r\n");
        let mut third = RawConn::open(port).await;
        assert!(third.read_to_eof().await, "mock: {mock}");
        assert_eq!(
            third.take_buffer(),
            b"-ERR max number of clients reached\r\n"
        );
        assert_eq!(rejected_connections(&mut admin).await, 1, "mock: {mock}");
        drop(second);
        config_set(&mut admin, "maxclients", "10000").await;
    }
}

// Row 12: `timeout` closes idle clients, by the engine clock, but not
// subscribers or blocked clients.
#[tokio::test]
async fn idle_clients_time_out_on_the_engine_clock() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let port = server.port();
    let mut admin = RawConn::open(port).await;
    config_set(&mut admin, "timeout", "1").await;
    let mut idle = RawConn::open(port).await;
    assert_eq!(idle.cmd(["PING"]).await, b"+PONG\r\n");
    let mut sub = RawConn::open(port).await;
    sub.cmd(["SUBSCRIBE", "c"]).await;
    let mut blocked = RawConn::open(port).await;
    blocked.send(&multibulk(["BLPOP", "q", "0"])).await;
    let mut control = Control::open(port).await;
    assert!(control.await_blocked(blocked.local_addr()).await);

    server.fast_forward(Duration::from_secs(1));
    assert_eq!(
        idle.cmd(["PING"]).await,
        b"+PONG\r\n",
        "1 s is not more than 1 s"
    );
    server.fast_forward(Duration::from_millis(1001));
    assert!(idle.read_to_eof().await, "idle for more than 1 s: closed");
    assert_eq!(server.publish("c", "still here"), 1);
    assert!(matches!(sub.read_frame().await, Read::Frame(f) if f.ends_with(b"still here\r\n")));
    let mut control = Control::open(port).await;
    assert!(control.is_blocked(blocked.local_addr()).await);
}

const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is \
enabled and no password is set for the default user. In this mode connections are only accepted \
from the loopback interface. If you want to connect from external computers to Redis you may \
adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG \
SET protected-mode no' from the loopback interface by connecting to Redis from the same host the \
server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. \
Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the \
protected mode by editing the Redis configuration file, and setting the protected mode option to \
'no', and then restarting the server. 3) If you started the server manually just for testing, \
restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the \
default user. NOTE: You only need to do one of the above things in order for the server to start \
accepting connections from the outside.\r\n";

// Row 13: in protected mode without a password, a client not connecting
// from 127.0.0.1 or ::1 gets Redis's DENIED text and is closed (127.0.0.2
// is on the loopback interface, but not local by Redis's test).
#[tokio::test]
async fn protected_mode_refuses_non_local_clients() {
    let server = MockRedis::start().await;
    let (ports, _real) = targets(&server).await;
    let other = IpAddr::from([127, 0, 0, 2]);
    for (port, mock) in ports {
        let mut admin = RawConn::open(port).await;
        if !mock {
            // The reference server runs with protected mode off.
            config_set(&mut admin, "protected-mode", "yes").await;
        }
        let mut outsider = connect_from(other, port, None).await;
        assert!(outsider.read_to_eof().await, "mock: {mock}");
        assert_eq!(
            text(&outsider.take_buffer()),
            text(DENIED.as_bytes()),
            "mock: {mock}"
        );
        assert_eq!(rejected_connections(&mut admin).await, 1, "mock: {mock}");
        let mut local = connect_from(IpAddr::from([127, 0, 0, 1]), port, None).await;
        assert_eq!(local.cmd(["PING"]).await, b"+PONG\r\n");
    }

    // A password, or protected mode off, lets the outsider in.
    let server = MockRedis::builder().requirepass("secret").start().await;
    let mut outsider = connect_from(other, server.port(), None).await;
    assert!(outsider.cmd(["PING"]).await.starts_with(b"-NOAUTH"));
    let server = MockRedis::builder().protected_mode(false).start().await;
    let mut outsider = connect_from(other, server.port(), None).await;
    assert_eq!(outsider.cmd(["PING"]).await, b"+PONG\r\n");
}

// Row 13: a Unix socket client is local.
#[cfg(unix)]
#[tokio::test]
async fn unix_socket_clients_are_local() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = MockRedis::builder().unix_socket().start().await;
    let mut stream = tokio::net::UnixStream::connect(server.unix_path().unwrap())
        .await
        .unwrap();
    stream.write_all(b"PING\r\n").await.unwrap();
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"+PONG\r\n");
}
