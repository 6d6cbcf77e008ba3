//! Churn and limits, on loopback and bounded in count and time: connection
//! churn without task or file-descriptor leaks, byte-at-a-time clients,
//! oversized headers, many concurrent clients, clients that vanish mid-
//! pipeline, and clients that never read.
//!
//! The tests in this file count the process's file descriptors and tasks, so
//! they run one at a time (the `SERIAL` lock).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use mock_redis::MockRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Held by each test for its whole life, runtime included: a runtime opens
/// file descriptors of its own, so none may exist while another test counts.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs one test body alone, on a runtime built and dropped under `SERIAL`
/// (current-thread for `workers == 0`).
fn run_serial(workers: usize, body: impl std::future::Future<Output = ()>) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(workers);
        builder
    }
    .enable_all()
    .build()
    .unwrap();
    runtime.block_on(body);
    drop(runtime);
}

/// A multibulk request.
fn mb(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads exactly `n` bytes, failing the test after 10 s.
async fn read_n(conn: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    tokio::time::timeout(Duration::from_secs(10), conn.read_exact(&mut buf))
        .await
        .expect("reply within 10 s")
        .expect("read");
    buf
}

/// Reads until the server closes the connection, failing after 10 s.
async fn read_to_close(conn: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf))
        .await
        .expect("server closes within 10 s");
    buf
}

/// Sends one command and returns the raw reply, read up to its end for the
/// simple shapes used here (status, error, integer, bulk string).
async fn roundtrip(conn: &mut TcpStream, args: &[&[u8]]) -> Vec<u8> {
    conn.write_all(&mb(args)).await.unwrap();
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while !reply.ends_with(b"\r\n") {
        conn.read_exact(&mut byte).await.unwrap();
        reply.push(byte[0]);
    }
    if reply[0] == b'$' {
        let len: i64 = std::str::from_utf8(&reply[1..reply.len() - 2])
            .unwrap()
            .parse()
            .unwrap();
        if len >= 0 {
            reply.extend(read_n(conn, len as usize + 2).await);
        }
    }
    reply
}

/// The value of one `INFO` field.
async fn info_field(conn: &mut TcpStream, section: &str, field: &str) -> u64 {
    let reply = roundtrip(conn, &[b"INFO", section.as_bytes()]).await;
    let text = String::from_utf8(reply).unwrap();
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("INFO {section} has no {field}: {text}"))
        .trim()
        .parse()
        .unwrap()
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Polls `f` until it returns true, for at most 10 s.
async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn ten_thousand_connections_leave_no_task_or_fd_behind() {
    run_serial(
        2,
        ten_thousand_connections_leave_no_task_or_fd_behind_body(),
    );
}

async fn ten_thousand_connections_leave_no_task_or_fd_behind_body() {
    let server = MockRedis::start().await;
    let addr = server.addr();
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();
    let fds_before = open_fds();

    // 10,000 connections, 50 at a time, each doing one PING then closing.
    let mut opened = 0;
    for _ in 0..200 {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..50 {
            batch.spawn(async move {
                let mut conn = TcpStream::connect(addr).await.unwrap();
                conn.write_all(b"PING\r\n").await.unwrap();
                let mut reply = [0u8; 7];
                conn.read_exact(&mut reply).await.unwrap();
                assert_eq!(&reply, b"+PONG\r\n");
            });
        }
        while let Some(done) = batch.join_next().await {
            done.unwrap();
            opened += 1;
        }
    }
    assert_eq!(opened, 10_000);

    // Every server-side connection task ends and its socket is closed.
    eventually("connection tasks to end", async || {
        metrics.num_alive_tasks() <= tasks_before
    })
    .await;
    eventually("file descriptors to close", async || {
        open_fds() <= fds_before
    })
    .await;
    assert!(metrics.num_alive_tasks() <= tasks_before);
    assert!(open_fds() <= fds_before);

    // The server counted them all and holds no client but the one asking.
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        info_field(&mut conn, "stats", "total_connections_received").await,
        10_001
    );
    let list = roundtrip(&mut conn, &[b"CLIENT", b"LIST"]).await;
    let text = String::from_utf8_lossy(&list);
    assert_eq!(text.matches("id=").count(), 1, "{text}");
    drop(conn);
    server.shutdown().await;
    eventually("the last sockets to close", async || {
        open_fds() <= fds_before
    })
    .await;
}

#[test]
fn a_client_writing_one_byte_at_a_time_gets_every_reply() {
    run_serial(
        0,
        a_client_writing_one_byte_at_a_time_gets_every_reply_body(),
    );
}

async fn a_client_writing_one_byte_at_a_time_gets_every_reply_body() {
    let server = MockRedis::start().await;
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    conn.set_nodelay(true).unwrap();
    let mut request = mb(&[b"ECHO", b"hello world"]);
    request.extend_from_slice(b"PING \"a b\"\r\n");
    request.extend(mb(&[b"CLIENT", b"SETNAME", b"slow"]));
    request.extend(mb(&[b"CLIENT", b"GETNAME"]));
    request.extend_from_slice(b"\r\n*0\r\nPING\n");
    for byte in &request {
        conn.write_all(std::slice::from_ref(byte)).await.unwrap();
        conn.flush().await.unwrap();
        // Let the server read this byte alone.
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let expected: &[u8] = b"$11\r\nhello world\r\n$3\r\na b\r\n+OK\r\n$4\r\nslow\r\n+PONG\r\n";
    assert_eq!(
        String::from_utf8_lossy(&read_n(&mut conn, expected.len()).await),
        String::from_utf8_lossy(expected)
    );
    server.shutdown().await;
}

/// The request, and the reply Redis 7.0.15 gives before closing the
/// connection (checked against redis-server with raw sockets).
fn oversized_cases() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let mut unterminated_count = b"*".to_vec();
    unterminated_count.extend(std::iter::repeat_n(b'1', 70_000));
    let mut unterminated_bulk = b"*1\r\n$".to_vec();
    unterminated_bulk.extend(std::iter::repeat_n(b'1', 70_000));
    let unterminated_inline = vec![b'a'; 70_000];
    vec![
        (
            "multibulk count over INT_MAX",
            b"*2147483648\r\n".to_vec(),
            "invalid multibulk length",
        ),
        (
            "negative bulk length",
            b"*1\r\n$-2\r\n".to_vec(),
            "invalid bulk length",
        ),
        (
            "bulk over proto-max-bulk-len (512 MB)",
            b"*1\r\n$536870913\r\n".to_vec(),
            "invalid bulk length",
        ),
        (
            "multibulk count line over 64 KB",
            unterminated_count,
            "too big mbulk count string",
        ),
        (
            "bulk length line over 64 KB",
            unterminated_bulk,
            "too big bulk count string",
        ),
        (
            "inline request over 64 KB",
            unterminated_inline,
            "too big inline request",
        ),
    ]
}

#[test]
fn oversized_headers_get_redis_protocol_errors_and_a_close() {
    run_serial(
        0,
        oversized_headers_get_redis_protocol_errors_and_a_close_body(),
    );
}

async fn oversized_headers_get_redis_protocol_errors_and_a_close_body() {
    let server = MockRedis::start().await;
    for (what, request, detail) in oversized_cases() {
        let mut conn = TcpStream::connect(server.addr()).await.unwrap();
        conn.write_all(&request).await.unwrap();
        let reply = read_to_close(&mut conn).await;
        assert_eq!(
            String::from_utf8_lossy(&reply),
            format!("-ERR Protocol error: {detail}\r\n"),
            "{what}"
        );
    }
    // Before AUTH, Redis allows at most 10 arguments and 16 KB per argument.
    let server = MockRedis::builder().requirepass("secret").start().await;
    for (request, detail) in [
        (&b"*11\r\n"[..], "unauthenticated multibulk length"),
        (&b"*1\r\n$16385\r\n"[..], "unauthenticated bulk length"),
    ] {
        let mut conn = TcpStream::connect(server.addr()).await.unwrap();
        conn.write_all(request).await.unwrap();
        let reply = read_to_close(&mut conn).await;
        assert_eq!(
            String::from_utf8_lossy(&reply),
            format!("-ERR Protocol error: {detail}\r\n")
        );
    }
    // The server is still fine, and a large legal argument still works.
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(
        roundtrip(&mut conn, &[b"AUTH", b"secret"]).await,
        b"+OK\r\n"
    );
    let big = vec![b'x'; 10 << 20];
    let reply = roundtrip(&mut conn, &[b"ECHO", &big]).await;
    assert_eq!(reply.len(), big.len() + b"$10485760\r\n\r\n".len());
    assert!(reply.starts_with(b"$10485760\r\nxxx"));
    server.shutdown().await;
}

#[test]
fn two_hundred_concurrent_clients_are_counted_exactly() {
    run_serial(2, two_hundred_concurrent_clients_are_counted_exactly_body());
}

async fn two_hundred_concurrent_clients_are_counted_exactly_body() {
    const CLIENTS: usize = 200;
    const ROUNDS: usize = 50;
    let server = MockRedis::start().await;
    let addr = server.addr();
    let mut observer = TcpStream::connect(addr).await.unwrap();
    let before = info_field(&mut observer, "stats", "total_commands_processed").await;

    // Every client names itself again and again and must always read back its
    // own name: no reply goes to the wrong connection, none is lost.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let barrier = barrier.clone();
        clients.spawn(async move {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            barrier.wait().await;
            for r in 0..ROUNDS {
                let name = format!("c{c}-r{r}");
                let set = roundtrip(&mut conn, &[b"CLIENT", b"SETNAME", name.as_bytes()]).await;
                assert_eq!(set, b"+OK\r\n");
                let got = roundtrip(&mut conn, &[b"CLIENT", b"GETNAME"]).await;
                assert_eq!(got, format!("${}\r\n{name}\r\n", name.len()).into_bytes());
                assert_eq!(roundtrip(&mut conn, &[b"PING"]).await, b"+PONG\r\n");
            }
            conn
        });
    }
    let mut conns = Vec::new();
    while let Some(conn) = clients.join_next().await {
        conns.push(conn.unwrap());
    }

    // All 200 are connected, each under its last name, and the server
    // processed exactly the commands sent (plus the first INFO).
    let list = roundtrip(&mut observer, &[b"CLIENT", b"LIST"]).await;
    let text = String::from_utf8_lossy(&list);
    assert_eq!(text.matches("id=").count(), CLIENTS + 1);
    for c in 0..CLIENTS {
        let name = format!(" name=c{c}-r{} ", ROUNDS - 1);
        assert!(text.contains(&name), "{name} missing from CLIENT LIST");
    }
    let after = info_field(&mut observer, "stats", "total_commands_processed").await;
    // The commands in between: 3 per round per client, CLIENT LIST, and one
    // of the two INFO calls (whichever of them counts itself).
    assert_eq!(after - before, (CLIENTS * ROUNDS * 3 + 2) as u64);
    drop(conns);
    server.shutdown().await;
}

#[test]
fn two_hundred_concurrent_clients_incr_one_key_to_the_exact_total() {
    run_serial(
        2,
        two_hundred_concurrent_clients_incr_one_key_to_the_exact_total_body(),
    );
}

async fn two_hundred_concurrent_clients_incr_one_key_to_the_exact_total_body() {
    const CLIENTS: usize = 200;
    const INCRS: usize = 100;
    let server = MockRedis::start().await;
    let addr = server.addr();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        clients.spawn(async move {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            for _ in 0..INCRS {
                let reply = roundtrip(&mut conn, &[b"INCR", b"counter"]).await;
                assert_eq!(reply[0], b':', "{}", String::from_utf8_lossy(&reply));
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.unwrap();
    }
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let total = CLIENTS * INCRS;
    assert_eq!(
        roundtrip(&mut conn, &[b"GET", b"counter"]).await,
        format!("${}\r\n{total}\r\n", total.to_string().len()).into_bytes()
    );
    server.shutdown().await;
}

#[test]
fn clients_vanishing_mid_pipeline_leave_the_others_unaffected() {
    run_serial(
        2,
        clients_vanishing_mid_pipeline_leave_the_others_unaffected_body(),
    );
}

async fn clients_vanishing_mid_pipeline_leave_the_others_unaffected_body() {
    let server = MockRedis::start().await;
    let addr = server.addr();
    let mut observer = TcpStream::connect(addr).await.unwrap();

    // Steady clients keep working while others vanish around them.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut steady = tokio::task::JoinSet::new();
    for c in 0..4 {
        let stop = stop.clone();
        steady.spawn(async move {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            let mut rounds = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let arg = format!("steady-{c}-{rounds}");
                let reply = roundtrip(&mut conn, &[b"ECHO", arg.as_bytes()]).await;
                assert_eq!(reply, format!("${}\r\n{arg}\r\n", arg.len()).into_bytes());
                rounds += 1;
            }
            rounds
        });
    }

    let big = vec![b'v'; 64 * 1024];
    for i in 0..300 {
        let mut conn = TcpStream::connect(addr).await.unwrap();
        // Complete requests with large replies, then half a request.
        let mut pipeline = Vec::new();
        for _ in 0..20 {
            pipeline.extend(mb(&[b"ECHO", &big]));
        }
        pipeline.extend(mb(&[b"CLIENT", b"SETNAME", b"gone"]));
        pipeline.extend_from_slice(b"*3\r\n$4\r\nECHO\r\n$5\r\nhal");
        conn.write_all(&pipeline).await.unwrap();
        if i % 2 == 0 {
            // Reset: close with unread replies (SO_LINGER 0 sends RST).
            socket2::SockRef::from(&conn)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
        } else {
            // Read a little first, then close normally.
            let mut some = [0u8; 100];
            conn.read_exact(&mut some).await.unwrap();
        }
        drop(conn);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    while let Some(rounds) = steady.join_next().await {
        assert!(rounds.unwrap() > 0);
    }

    // Only the observer remains, and new clients are served.
    eventually("vanished clients to be unregistered", async || {
        let list = roundtrip(&mut observer, &[b"CLIENT", b"LIST"]).await;
        String::from_utf8_lossy(&list).matches("id=").count() == 1
    })
    .await;
    let mut fresh = TcpStream::connect(addr).await.unwrap();
    assert_eq!(roundtrip(&mut fresh, &[b"PING"]).await, b"+PONG\r\n");
    server.shutdown().await;
}

#[test]
fn a_client_that_never_reads_is_disconnected_not_buffered_forever() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = MockRedis::start_blocking();
    let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // 1 MB replies to 1 MB requests, never read. Redis-style, the server keeps
    // reading and executing while the replies pile up, then closes the
    // connection once 64 MB are unsent: the client's writes fail. A server
    // that buffered without limit would take all 1 GB; one that stopped
    // reading would block this writer until the timeout.
    let request = mb(&[b"ECHO", &vec![b'x'; 1 << 20]]);
    let mut sent = 0usize;
    let budget = 1usize << 30;
    let started = Instant::now();
    let outcome = loop {
        if sent >= budget {
            break Ok(());
        }
        match conn.write_all(&request) {
            Ok(()) => sent += request.len(),
            Err(e) => break Err(e),
        }
    };
    let err = outcome.expect_err("the server never disconnected the client");
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        "expected a reset after the output limit, got {err:?} after {sent} bytes in {:?}",
        started.elapsed()
    );
    assert!(
        sent < 256 << 20,
        "the client sent {sent} bytes before being disconnected"
    );

    // The server is still serving others.
    let mut other = std::net::TcpStream::connect(server.addr()).unwrap();
    other.write_all(b"PING\r\n").unwrap();
    let mut reply = [0u8; 7];
    other.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+PONG\r\n");
}

#[test]
fn a_client_that_writes_a_long_pipeline_before_reading_gets_every_reply() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = MockRedis::start_blocking();
    let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // What a sync client's pipeline does: write every request, then read.
    // 20 MB each way is more than both directions' socket buffers hold, so
    // a server that stopped reading while its replies were unsent would
    // deadlock with this client; Redis keeps reading, and so must the mock.
    const REQUESTS: usize = 20_000;
    let arg = vec![b'p'; 1000];
    let request = mb(&[b"ECHO", &arg]);
    let mut pipeline = Vec::with_capacity(request.len() * REQUESTS);
    for _ in 0..REQUESTS {
        pipeline.extend_from_slice(&request);
    }
    conn.write_all(&pipeline)
        .expect("the server kept reading the pipeline");
    let reply = format!("$1000\r\n{}\r\n", "p".repeat(1000)).into_bytes();
    let mut replies = vec![0u8; reply.len() * REQUESTS];
    conn.read_exact(&mut replies).unwrap();
    for (i, got) in replies.chunks(reply.len()).enumerate() {
        assert_eq!(got, &reply[..], "reply {i}");
    }
}
