//! CLIENT administration across connections over real sockets: KILL with
//! each filter, PAUSE (WRITE and ALL, ended by UNPAUSE or by the engine
//! clock), REPLY OFF/SKIP, UNBLOCK with TIMEOUT and ERROR, the CLIENT LIST
//! fields that follow them, and the idle `timeout` counting writes.

use std::time::Duration;

use mock_redis::MockRedis;

use crate::support::{Control, RawConn, Read, eventually};

/// The value of `field=` in a CLIENT LIST / CLIENT INFO line.
fn field(line: &str, name: &str) -> String {
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name}= in {line}"))
        .trim_end()
        .to_string()
}

fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).into_owned()
}

/// The client id of a connection.
async fn id_of(conn: &mut RawConn) -> String {
    let reply = text(&conn.cmd(["CLIENT", "ID"]).await);
    reply.trim_start_matches(':').trim_end().to_string()
}

/// Whether the server closed `conn` (it reads to the end).
async fn closed(conn: &mut RawConn) -> bool {
    conn.read_to_eof().await
}

#[tokio::test]
async fn kill_by_old_form_id_addr_laddr_user_type_and_skipme() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut admin = RawConn::open(port).await;
    let mut control = Control::open(port).await;

    // The old form answers OK, or an error when nobody matched.
    let mut a = RawConn::open(port).await;
    let a_addr = a.local_addr().to_string();
    assert_eq!(admin.cmd(["CLIENT", "KILL", &a_addr]).await, b"+OK\r\n");
    assert!(closed(&mut a).await);
    assert!(control.await_gone(&a_addr).await);
    assert_eq!(
        admin.cmd(["CLIENT", "KILL", &a_addr]).await,
        b"-ERR No such client\r\n"
    );

    // ID.
    let mut b = RawConn::open(port).await;
    let b_id = id_of(&mut b).await;
    assert_eq!(admin.cmd(["CLIENT", "KILL", "ID", &b_id]).await, b":1\r\n");
    assert!(closed(&mut b).await);
    assert_eq!(admin.cmd(["CLIENT", "KILL", "ID", &b_id]).await, b":0\r\n");

    // TYPE pubsub takes the subscriber only.
    let mut sub = RawConn::open(port).await;
    let mut normal = RawConn::open(port).await;
    sub.cmd(["SUBSCRIBE", "ch"]).await;
    assert_eq!(
        admin.cmd(["CLIENT", "KILL", "TYPE", "pubsub"]).await,
        b":1\r\n"
    );
    assert!(closed(&mut sub).await);
    assert_eq!(normal.cmd(["PING"]).await, b"+PONG\r\n");
    assert_eq!(
        admin.cmd(["CLIENT", "KILL", "TYPE", "replica"]).await,
        b":0\r\n"
    );

    // ADDR with SKIPME no on itself: the reply, then the close.
    let mut me = RawConn::open(port).await;
    let me_addr = me.local_addr().to_string();
    assert_eq!(
        me.cmd(["CLIENT", "KILL", "ADDR", &me_addr, "SKIPME", "yes"])
            .await,
        b":0\r\n"
    );
    assert_eq!(
        me.cmd(["CLIENT", "KILL", "ADDR", &me_addr, "SKIPME", "no"])
            .await,
        b":1\r\n"
    );
    assert!(closed(&mut me).await);

    // USER default and LADDR (the server's address) take everyone else.
    let laddr = format!("127.0.0.1:{port}");
    assert_eq!(
        admin
            .cmd(["CLIENT", "KILL", "LADDR", "127.0.0.1:1", "USER", "default"])
            .await,
        b":0\r\n"
    );
    assert_eq!(
        admin
            .cmd(["CLIENT", "KILL", "LADDR", &laddr, "USER", "default"])
            .await,
        b":2\r\n",
        "the normal connection and the control connection"
    );
    assert!(closed(&mut normal).await);
    assert_eq!(admin.cmd(["PING"]).await, b"+PONG\r\n");
}

#[tokio::test]
async fn reply_off_and_skip_silence_replies() {
    let server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    let pipeline = [
        &crate::support::multibulk(["CLIENT", "REPLY", "OFF"])[..],
        &crate::support::multibulk(["SET", "k", "1"]),
        &crate::support::multibulk(["CLIENT", "REPLY", "SKIP"]),
        &crate::support::multibulk(["CLIENT", "REPLY", "ON"]),
        &crate::support::multibulk(["CLIENT", "REPLY", "SKIP"]),
        &crate::support::multibulk(["INCR", "k"]),
        &crate::support::multibulk(["GET", "k"]),
    ]
    .concat();
    conn.send(&pipeline).await;
    assert_eq!(conn.read_frame().await, Read::Frame(b"+OK\r\n".to_vec()));
    assert_eq!(
        conn.read_frame().await,
        Read::Frame(b"$1\r\n2\r\n".to_vec())
    );
    // Nothing else came: the next reply is the PING's.
    assert_eq!(conn.cmd(["PING"]).await, b"+PONG\r\n");
}

#[tokio::test]
async fn a_paused_writer_waits_for_unpause_while_readers_pass() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut admin = RawConn::open(port).await;
    let mut control = Control::open(port).await;
    let mut writer = RawConn::open(port).await;
    let writer_addr = writer.local_addr().to_string();

    assert_eq!(
        admin.cmd(["CLIENT", "PAUSE", "100000", "WRITE"]).await,
        b"+OK\r\n"
    );
    writer
        .send(&crate::support::multibulk(["SET", "k", "v"]))
        .await;
    assert!(control.await_blocked(&writer_addr).await);
    // Readers pass; the writer's key is still unset.
    assert_eq!(admin.cmd(["GET", "k"]).await, b"$-1\r\n");
    writer.read_available();
    assert!(writer.buffered_frame().is_none());
    assert_eq!(admin.cmd(["CLIENT", "UNPAUSE"]).await, b"+OK\r\n");
    assert_eq!(writer.read_frame().await, Read::Frame(b"+OK\r\n".to_vec()));
    assert_eq!(admin.cmd(["GET", "k"]).await, b"$1\r\nv\r\n");
    assert!(!control.is_blocked(&writer_addr).await);
}

#[tokio::test]
async fn pause_all_holds_every_command_until_the_engine_clock_passes_its_end() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let port = server.port();
    let mut admin = RawConn::open(port).await;
    let mut reader = RawConn::open(port).await;
    assert_eq!(
        admin.cmd(["CLIENT", "PAUSE", "5000", "ALL"]).await,
        b"+OK\r\n"
    );
    reader.send(&crate::support::multibulk(["GET", "k"])).await;
    admin
        .send(&crate::support::multibulk(["CLIENT", "UNPAUSE"]))
        .await;
    // Both requests reached the server (the journal records them) and
    // neither is answered while the frozen clock stays before the end.
    eventually("both paused requests journaled", async || {
        let seen = server.received_commands_as_strings_without_handshakes();
        seen.iter()
            .filter(|c| c[0] == "GET" || c[0] == "CLIENT")
            .count()
            >= 3
    })
    .await;
    server.fast_forward(Duration::from_millis(4000));
    reader.read_available();
    admin.read_available();
    assert!(reader.buffered_frame().is_none());
    assert!(admin.buffered_frame().is_none());
    server.fast_forward(Duration::from_millis(1500));
    assert_eq!(reader.read_frame().await, Read::Frame(b"$-1\r\n".to_vec()));
    assert_eq!(admin.read_frame().await, Read::Frame(b"+OK\r\n".to_vec()));
}

#[tokio::test]
async fn unblock_answers_the_timeout_reply_or_the_unblocked_error() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut admin = RawConn::open(port).await;
    let mut control = Control::open(port).await;
    let mut blocked = RawConn::open(port).await;
    let addr = blocked.local_addr().to_string();
    let id = id_of(&mut blocked).await;

    assert_eq!(admin.cmd(["CLIENT", "UNBLOCK", &id]).await, b":0\r\n");
    blocked
        .send(&crate::support::multibulk(["BLPOP", "q", "0"]))
        .await;
    assert!(control.await_blocked(&addr).await);
    let line = control.client_line(&addr).await.unwrap();
    assert_eq!(field(&line, "flags"), "b");
    assert_eq!(
        admin.cmd(["CLIENT", "UNBLOCK", &id, "TIMEOUT"]).await,
        b":1\r\n"
    );
    assert_eq!(blocked.read_frame().await, Read::Frame(b"*-1\r\n".to_vec()));

    blocked
        .send(&crate::support::multibulk(["BLPOP", "q", "0"]))
        .await;
    assert!(control.await_blocked(&addr).await);
    assert_eq!(
        admin.cmd(["CLIENT", "UNBLOCK", &id, "ERROR"]).await,
        b":1\r\n"
    );
    assert_eq!(
        blocked.read_frame().await,
        Read::Frame(b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n".to_vec())
    );
    // Served, it is no longer waiting on the key.
    assert_eq!(admin.cmd(["RPUSH", "q", "x"]).await, b":1\r\n");
    assert_eq!(blocked.cmd(["LLEN", "q"]).await, b":1\r\n");
}

#[tokio::test]
async fn client_list_shows_flags_redirect_user_and_buffers() {
    let server = MockRedis::start().await;
    let port = server.port();
    let mut a = RawConn::open(port).await;
    let mut b = RawConn::open(port).await;
    let b_id = id_of(&mut b).await;
    a.cmd(["HELLO", "3"]).await;
    a.cmd(["CLIENT", "TRACKING", "on", "REDIRECT", &b_id, "BCAST"])
        .await;
    a.cmd(["CLIENT", "NO-EVICT", "on"]).await;
    let a_id = id_of(&mut a).await;
    a.cmd(["MULTI"]).await;
    a.cmd(["SET", "k", "some value"]).await;
    let line = text(&b.cmd(["CLIENT", "LIST", "ID", &a_id]).await);
    assert_eq!(field(&line, "flags"), "xtBe");
    assert_eq!(field(&line, "redir"), b_id);
    assert_eq!(field(&line, "user"), "default");
    assert_eq!(field(&line, "multi"), "1");
    assert_eq!(field(&line, "multi-mem"), "14");
    assert_eq!(field(&line, "argv-mem"), "0");
    a.cmd(["DISCARD"]).await;
    let line = text(&a.cmd(["CLIENT", "INFO"]).await);
    assert_eq!(field(&line, "flags"), "tBe");
    // `client info` as sent: `*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n`.
    assert_eq!(field(&line, "qbuf"), "26");
    assert_eq!(field(&line, "argv-mem"), "10");
    assert!(field(&line, "qbuf-free").parse::<usize>().unwrap() > 0);
    assert!(field(&line, "rbs").parse::<usize>().unwrap() > 0);
    // The connection's own memory: the client record plus both buffers
    // (which an idle connection keeps small, unlike Redis's 16 kB ones).
    let number = |name: &str| field(&line, name).parse::<usize>().unwrap();
    assert!(number("tot-mem") > number("qbuf") + number("qbuf-free") + number("rbs"));

    // The redirect target leaves: the R flag, and a RESP3 notice.
    drop(b);
    let mut c = RawConn::open(port).await;
    eventually("the redirect target is gone", async || {
        c.cmd(["CLIENT", "LIST", "ID", &b_id]).await == b"$0\r\n\r\n"
    })
    .await;
    c.cmd(["SET", "anything", "1"]).await;
    assert_eq!(
        a.read_frame().await,
        Read::Frame(format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{b_id}\r\n").into_bytes())
    );
    let line = text(&a.cmd(["CLIENT", "INFO"]).await);
    assert_eq!(field(&line, "flags"), "tRBe");
    assert_eq!(field(&line, "redir"), b_id);
}

#[tokio::test]
async fn the_idle_timeout_counts_writes_as_interaction() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let port = server.port();
    let mut admin = RawConn::open(port).await;
    let mut quiet = RawConn::open(port).await;
    // A RESP3 tracking client that only receives from now on.
    quiet.cmd(["HELLO", "3"]).await;
    quiet.cmd(["CLIENT", "TRACKING", "on", "BCAST"]).await;
    admin.cmd(["CONFIG", "SET", "timeout", "2"]).await;
    let addr = quiet.local_addr().to_string();
    // The idle check sees the replies written so far.
    server.fast_forward(Duration::from_millis(1));

    server.fast_forward(Duration::from_millis(1500));
    admin.cmd(["SET", "k", "1"]).await;
    assert!(matches!(quiet.read_frame().await, Read::Frame(f) if f.starts_with(b">2")));
    // 3 s since its last read, 1.5 s since the server last wrote to it.
    server.fast_forward(Duration::from_millis(1500));
    let list = text(&admin.cmd(["CLIENT", "LIST"]).await);
    assert!(
        list.contains(&format!("addr={addr} ")),
        "still connected: {list}"
    );
    // Nothing more for longer than the timeout: closed.
    server.fast_forward(Duration::from_millis(2500));
    assert!(closed(&mut quiet).await);
}
