//! Record and replay (feature `record`): a session recorded through the
//! proxy in front of a real redis-server, served back by
//! `Builder::replay` to the same bytes; the strict-mode error naming the
//! closest recorded request; an upstream that is down; bad recordings.

use std::path::Path;

use mock_redis::MockRedis;
use mock_redis::record::Recorder;

use crate::support::clients::connect_url;
use crate::support::{RawConn, Read, RealRedis, escape, eventually, multibulk};

/// What one session sends: redis-rs commands of several reply types on a
/// RESP2 connection, then raw RESP3 and RESP2 connections whose reply
/// bytes are kept.
struct Outcome {
    values: Vec<redis::Value>,
    raw: Vec<(String, Vec<u8>)>,
}

const RESP3: &[&[&str]] = &[
    &["HSET", "h", "a", "1", "b", "2"],
    &["HGETALL", "h"],
    &["SADD", "s", "x"],
    &["SMEMBERS", "s"],
    &["ZADD", "z", "2.5", "m"],
    &["ZSCORE", "z", "m"],
    &["GET", "missing"],
    &["HGET", "h", "a"],
    &["ZINCRBY", "z", "1", "m"],
    &["HINCRBY", "h", "a", "x"],
    &["SUBSCRIBE", "ch"],
    &["PING"],
];

const RESP2: &[&[&str]] = &[
    &["SELECT", "2"],
    &["SET", "k2", "in db 2"],
    &["MGET", "k2", "missing"],
    &["BLPOP", "nolist", "0.01"],
    &["INCR", "counter"],
    &["INCR", "counter"],
    &["GET", "k2"],
    &["SUBSCRIBE", "a", "b"],
];

/// `publish_on`: the real Redis's port, to publish to the RESP3
/// connection's channel while recording.
async fn session(url: &str, port: u16, publish_on: Option<u16>) -> Outcome {
    let mut conn = connect_url(url).await;
    let mut values = Vec::new();
    let cmds: Vec<redis::Cmd> = vec![
        redis::cmd("SET").arg("k").arg("v").clone(),
        redis::cmd("GET").arg("k").clone(),
        redis::cmd("GET").arg("nokey").clone(),
        redis::cmd("INCR").arg("k").clone(),
        redis::cmd("RPUSH").arg("l").arg("a").arg("b").clone(),
        redis::cmd("LRANGE").arg("l").arg(0).arg(-1).clone(),
        redis::cmd("SET").arg("k").arg("w").clone(),
        redis::cmd("GET").arg("k").clone(),
    ];
    for cmd in &cmds {
        values.push(match cmd.query_async::<redis::Value>(&mut conn).await {
            Ok(v) => v,
            // The error as a value: its text is what replay must repeat.
            Err(e) => redis::Value::SimpleString(format!("error: {e}")),
        });
    }
    drop(conn);
    let mut raw = Vec::new();
    let mut c3 = RawConn::open(port).await;
    let hello = c3.cmd(["HELLO", "3"]).await;
    assert!(hello.starts_with(b"%"), "{}", escape(&hello));
    for cmd in RESP3 {
        raw.push((cmd.join(" "), c3.cmd(*cmd).await));
    }
    if let Some(redis) = publish_on {
        // A message pushed while subscribed is passed on (and not recorded).
        let mut publisher = RawConn::open(redis).await;
        assert_eq!(publisher.cmd(["PUBLISH", "ch", "hi"]).await, b":1\r\n");
        let Read::Frame(push) = c3.read_frame().await else {
            panic!("no message")
        };
        assert_eq!(push, b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    }
    let mut c2 = RawConn::open(port).await;
    for cmd in RESP2 {
        raw.push((cmd.join(" "), c2.cmd(*cmd).await));
    }
    // SUBSCRIBE a b: the second confirmation.
    match c2.read_frame().await {
        Read::Frame(f) => raw.push(("(second confirmation)".into(), f)),
        other => panic!("SUBSCRIBE a b: {other:?}"),
    }
    Outcome { values, raw }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test]
async fn a_recorded_session_replays_to_the_same_bytes() {
    let Some(redis) = RealRedis::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.toml");
    let upstream = format!("redis://127.0.0.1:{}", redis.port);
    let recorder = Recorder::start(&upstream, &path).await.unwrap();
    assert!(
        read(&path).contains("[server]\nstrict = true"),
        "an empty recording at once"
    );

    // One connection first: the file is written when it closes.
    {
        let mut c = RawConn::open(recorder.addr().port()).await;
        assert_eq!(c.cmd(["SET", "first", "1"]).await, b"+OK\r\n");
    }
    eventually("the first connection's recording", async || {
        read(&path).contains(r#"exact_args = ["SET", "first", "1"]"#)
    })
    .await;

    let recorded = session(&recorder.url(), recorder.addr().port(), Some(redis.port)).await;
    recorder.stop().await.unwrap();
    let text = read(&path);
    assert!(!text.contains("\"hi\""), "{text}");
    for expected in [
        "exact_args = [\"GET\", \"k\"]\nsequence = [\n    \"v\",\n    \"w\",\n]\n",
        "reply = { map = [[\"a\", \"1\"], [\"b\", \"2\"]] }",
        "reply = { set = [\"x\"] }",
        "reply = 2.5",
        "reply = { push = [\"subscribe\", \"ch\", 1] }",
        "reply = { nil_array = true }",
        "exact_args = [\"SET\", \"k2\", \"in db 2\"]\ndb = 2\n",
        "reply = { error = \"ERR value is not an integer or out of range\" }",
    ] {
        assert!(text.contains(expected), "{expected}\n--- in ---\n{text}");
    }
    assert!(
        !text.contains("HELLO") && !text.contains("SELECT"),
        "{text}"
    );
    drop(redis);

    let server = MockRedis::builder().replay(&path).start().await;
    {
        let mut c = RawConn::open(server.port()).await;
        assert_eq!(c.cmd(["SET", "first", "1"]).await, b"+OK\r\n");
    }
    let replayed = session(&server.url(), server.port(), None).await;
    assert_eq!(replayed.values, recorded.values);
    assert_eq!(recorded.raw.len(), replayed.raw.len());
    for ((cmd, want), (_, got)) in recorded.raw.iter().zip(&replayed.raw) {
        assert_eq!(escape(got), escape(want), "{cmd}");
    }

    // Unmatched: strict mode's error, naming the closest recorded request.
    let mut c = RawConn::open(server.port()).await;
    assert_eq!(
        escape(&c.cmd(["HGET", "h", "zz"]).await),
        escape(
            b"-ERR mock-redis: no mock matched 'HGET' 'h' 'zz'; closest recorded request: 'HGET' 'h' 'a'\r\n"
        )
    );
    let report = server.try_verify().unwrap_err().to_string();
    assert!(
        report.contains("strict mode answered with an error"),
        "{report}"
    );
    server.reset();
}

#[tokio::test]
async fn an_upstream_that_is_down_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.toml");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = Recorder::start(&url, &path).await.err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(
        err.to_string()
            .starts_with(&format!("cannot reach the upstream Redis at {url}: ")),
        "{err}"
    );
    assert!(!path.exists(), "nothing written");
    let err = Recorder::start("localhost:6379", &path)
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "invalid upstream URL 'localhost:6379': it must start with redis:// (expected redis://host:port)"
    );
    let missing_dir = dir.path().join("no/such/dir/s.toml");
    let Some(redis) = RealRedis::start() else {
        return;
    };
    let upstream = format!("redis://127.0.0.1:{}", redis.port);
    let err = Recorder::start(&upstream, &missing_dir)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().starts_with("cannot write the recording"),
        "{err}"
    );

    // The upstream going away later: the client gets an error, the
    // recording so far stays whole.
    let recorder = Recorder::start(&upstream, &path).await.unwrap();
    {
        let mut c = RawConn::open(recorder.addr().port()).await;
        assert_eq!(c.cmd(["SET", "a", "1"]).await, b"+OK\r\n");
    }
    eventually("the recording", async || read(&path).contains("\"a\"")).await;
    drop(redis);
    let mut c = RawConn::open(recorder.addr().port()).await;
    c.send(&multibulk(["GET", "a"])).await;
    let Read::Frame(f) = c.read_frame().await else {
        panic!("no error")
    };
    let f = String::from_utf8(f).unwrap();
    assert!(
        f.starts_with(&format!(
            "-ERR mock-redis proxy: cannot reach the upstream Redis at {upstream}: "
        )),
        "{f}"
    );
    assert!(c.read_to_eof().await);
    recorder.stop().await.unwrap();
    assert_eq!(
        mock_redis::fixture::Fixture::from_file(&path)
            .unwrap()
            .mock_count(),
        1
    );
}

#[tokio::test]
async fn bad_recordings_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.toml");
    let cases = [
        (
            "[server]\nstrict = true\n\n[[mock]]\nexact_args = [\"GET\", \"k\"]\nreply = { simpel = \"x\" }\n",
            ":6:9: unknown reply kind `simpel`",
        ),
        // Cut short in the middle of a sequence.
        (
            "[[mock]]\nexact_args = [\"GET\", \"k\"]\nsequence = [\n    \"v\",\n",
            ":4:9: unclosed array, expected `]`",
        ),
        (
            "[[mock]]\nexact_args = [\"GET\", \"k\"]\n",
            ":1:1: a mock needs an answer",
        ),
        (
            "[[mock]]\nexact_args = \"GET k\"\nreply = 1\n",
            ":2:14: invalid type",
        ),
        ("\u{0}\u{1}binary", ":1:9: key with no value, expected `=`"),
    ];
    for (text, expected) in cases {
        std::fs::write(&path, text).unwrap();
        let err = MockRedis::builder()
            .replay(&path)
            .try_start()
            .await
            .err()
            .unwrap_or_else(|| panic!("{text:?} was accepted"));
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("{}{expected}", path.display())),
            "{text:?}: {msg}"
        );
    }
    std::fs::write(&path, b"[[mock]]\nexact_args = [\"\xff\"]\n").unwrap();
    let err = MockRedis::builder()
        .replay(&path)
        .try_start()
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("session.toml: cannot read the file"),
        "{err}"
    );
    let err = MockRedis::builder()
        .replay(dir.path().join("missing.toml"))
        .try_start()
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("missing.toml: cannot read the file"),
        "{err}"
    );
}

/// The binary: `--proxy` with `--record-to` records until Ctrl-C, then
/// `--replay` serves the file; bad flags and a down upstream exit 1.
#[cfg(feature = "cli")]
#[tokio::test]
async fn the_binary_records_until_ctrl_c_and_replays() {
    use crate::cli_fixtures::start;
    use std::process::Command;
    const BIN: &str = env!("CARGO_BIN_EXE_mock-redis");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.toml");
    let file = path.display().to_string();
    let Some(redis) = RealRedis::start() else {
        return;
    };
    let upstream = format!("redis://127.0.0.1:{}", redis.port);
    let recording = start(&["--proxy", &upstream, "--record-to", &file]);
    let mut c = RawConn::open(recording.port).await;
    assert_eq!(c.cmd(["SET", "user:1", "alice"]).await, b"+OK\r\n");
    assert_eq!(c.cmd(["GET", "user:1"]).await, b"$5\r\nalice\r\n");
    // Still connected: Ctrl-C writes what the open connection recorded.
    assert_eq!(recording.interrupt().0, Some(0));
    let text = read(&path);
    assert!(
        text.contains("exact_args = [\"GET\", \"user:1\"]\nreply = \"alice\"\n"),
        "{text}"
    );
    drop(c);
    drop(redis);

    let replay = start(&["--replay", &file]);
    let mut c = RawConn::open(replay.port).await;
    assert_eq!(c.cmd(["GET", "user:1"]).await, b"$5\r\nalice\r\n");
    assert_eq!(
        escape(&c.cmd(["GET", "user:2"]).await),
        escape(b"-ERR mock-redis: no mock matched 'GET' 'user:2'; closest recorded request: 'GET' 'user:1'\r\n")
    );
    // The refusal fails verification: the report and exit status 3.
    let (code, rest) = replay.interrupt();
    assert_eq!(code, Some(3));
    assert!(
        rest.contains("strict mode answered with an error"),
        "{rest}"
    );

    let run = |args: &[&str]| Command::new(BIN).args(args).output().unwrap();
    let out = run(&["--proxy", &upstream]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("mock-redis: --proxy goes with --record-to <file>")
    );
    let other = dir.path().join("other.toml").display().to_string();
    // The Redis above is gone: nothing listens, nothing is written.
    let out = run(&["--port", "0", "--proxy", &upstream, "--record-to", &other]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.starts_with(&format!(
            "mock-redis: cannot reach the upstream Redis at {upstream}: "
        )),
        "{err}"
    );
    assert!(!Path::new(&other).exists());
}

/// A request Redis refuses: through the proxy the client gets what Redis
/// itself sends (the replies before it, the protocol error, the close).
#[tokio::test]
async fn a_protocol_error_through_the_proxy_is_what_redis_sends() {
    let Some(redis) = RealRedis::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.toml");
    let upstream = format!("redis://127.0.0.1:{}", redis.port);
    let recorder = Recorder::start(&upstream, &path).await.unwrap();
    let bad = b"*1\r\n$4\r\nPING\r\n*1\r\n:1\r\n";
    let mut answers = Vec::new();
    for port in [redis.port, recorder.addr().port()] {
        let mut c = RawConn::open(port).await;
        c.send(bad).await;
        assert!(c.read_to_eof().await);
        answers.push(escape(&c.take_buffer()));
    }
    assert_eq!(answers[1], answers[0]);
    assert_eq!(
        answers[0],
        escape(b"+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n")
    );
    recorder.stop().await.unwrap();
}
