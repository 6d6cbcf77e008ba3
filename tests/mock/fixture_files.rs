//! Fixture files (`mock_redis::fixture`, feature `fixtures`): every part of
//! a file applied to a server and observed through raw sockets, and every
//! kind of mistake reported with its position, nothing applied.

use std::time::{Duration, UNIX_EPOCH};

use mock_redis::MockRedis;
use mock_redis::fixture::Fixture;

use crate::support::{RawConn, Read};

fn fixture(text: &str) -> Fixture {
    Fixture::from_toml("test.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

fn error(text: &str) -> String {
    Fixture::from_toml("test.toml", text)
        .expect_err("the file is wrong")
        .to_string()
}

#[tokio::test]
async fn replies_of_every_type_go_out_as_written() {
    let server = MockRedis::start().await;
    fixture(
        r#"
        [[mock]]
        command = "GET"
        args = ["bulk"]
        reply = "alice"

        [[mock]]
        command = "GET"
        args = ["nested"]
        reply = ["a", 1, [{ nil = true }, { simple = "OK" }], { error = "ERR inner" }]

        [[mock]]
        command = "GET"
        args = ["resp3"]
        reply = { map = [["k", 1.5], ["t", true]] }

        [[mock]]
        command = "GET"
        args = ["err"]
        reply = { error = "WRONGTYPE nope" }

        [[mock]]
        command = "GET"
        args = ["raw"]
        raw = "+half"
        "#,
    )
    .apply(&server);
    let mut c = RawConn::open(server.port()).await;
    assert_eq!(c.cmd(["GET", "bulk"]).await, b"$5\r\nalice\r\n");
    assert_eq!(
        c.cmd(["GET", "nested"]).await,
        b"*4\r\n$1\r\na\r\n:1\r\n*2\r\n$-1\r\n+OK\r\n-ERR inner\r\n"
    );
    assert_eq!(
        c.cmd(["GET", "resp3"]).await,
        b"*4\r\n$1\r\nk\r\n$3\r\n1.5\r\n$1\r\nt\r\n:1\r\n"
    );
    assert_eq!(c.cmd(["GET", "err"]).await, b"-WRONGTYPE nope\r\n");
    assert_eq!(c.cmd(["HELLO", "3"]).await[..1], b"%"[..]);
    assert_eq!(
        c.cmd(["GET", "resp3"]).await,
        b"%2\r\n$1\r\nk\r\n,1.5\r\n$1\r\nt\r\n#t\r\n"
    );
    // Unmatched commands reach the engine.
    assert_eq!(c.cmd(["GET", "other"]).await, b"_\r\n");
    c.send(b"GET raw\r\n").await;
    c.send(b"PING\r\n").await;
    // `raw` bytes go out as they are: `+half` runs into the next reply.
    assert_eq!(
        c.read_frame().await,
        Read::Frame(b"+half+PONG\r\n".to_vec())
    );
}

#[tokio::test]
async fn sequences_expectations_names_and_priorities() {
    let server = MockRedis::start().await;
    fixture(
        r#"
        [[mock]]
        name = "counter"
        command = "INCR"
        args = ["n"]
        sequence = [10, 20]
        then = "fall_through"
        expect = "2.."

        [[mock]]
        name = "low"
        key = "p:*"
        reply = "low"

        [[mock]]
        name = "high"
        exact_args = ["GET", "p:1"]
        priority = 1
        reply = "high"
        expect = 1
        "#,
    )
    .apply(&server);
    let mut c = RawConn::open(server.port()).await;
    assert_eq!(c.cmd(["INCR", "n"]).await, b":10\r\n");
    assert_eq!(c.cmd(["INCR", "n"]).await, b":20\r\n");
    assert_eq!(c.cmd(["INCR", "n"]).await, b":1\r\n", "then the engine");
    assert_eq!(c.cmd(["GET", "p:1"]).await, b"$4\r\nhigh\r\n");
    assert_eq!(c.cmd(["GET", "p:2"]).await, b"$3\r\nlow\r\n");
    server.verify();
    assert_eq!(c.cmd(["GET", "p:1"]).await, b"$4\r\nhigh\r\n");
    let report = server.try_verify().expect_err("'high' was called twice");
    assert!(
        report
            .to_string()
            .contains("mock 'high': expected exactly 1 call, received 2 calls"),
        "{report}"
    );
    server.reset();
}

#[tokio::test]
async fn seed_keys_clock_and_faults() {
    let server = MockRedis::start().await;
    fixture(
        r#"
        [server]
        error = "LOADING Redis is loading the dataset in memory"

        [clock]
        freeze = true
        time = 2024-01-01T00:00:00Z

        [[key]]
        name = "s"
        string = "v"
        ttl_ms = 10000

        [[key]]
        name = "h"
        db = 1
        hash = { a = "1", b = 2 }

        [[key]]
        name = "l"
        list = ["x", "y"]

        [[key]]
        name = "set"
        set = ["m"]

        [[key]]
        name = "z"
        zset = { a = 1.5, b = 2 }
        "#,
    )
    .apply(&server);
    assert_eq!(
        server.now(),
        UNIX_EPOCH + Duration::from_secs(1_704_067_200)
    );
    let mut c = RawConn::open(server.port()).await;
    assert_eq!(
        c.cmd(["GET", "s"]).await,
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    server.set_error(None);
    assert_eq!(c.cmd(["GET", "s"]).await, b"$1\r\nv\r\n");
    assert_eq!(
        c.cmd(["PTTL", "s"]).await,
        b":10000\r\n",
        "the clock is frozen"
    );
    assert_eq!(
        c.cmd(["LRANGE", "l", "0", "-1"]).await,
        b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
    );
    assert_eq!(c.cmd(["SMEMBERS", "set"]).await, b"*1\r\n$1\r\nm\r\n");
    assert_eq!(
        c.cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"]).await,
        b"*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(c.cmd(["SELECT", "1"]).await, b"+OK\r\n");
    assert_eq!(c.cmd(["HGET", "h", "b"]).await, b"$1\r\n2\r\n");
    server.fast_forward(Duration::from_millis(10_001));
    assert_eq!(c.cmd(["SELECT", "0"]).await, b"+OK\r\n");
    assert_eq!(c.cmd(["EXISTS", "s"]).await, b":0\r\n");
}

#[tokio::test]
async fn applying_replaces_a_key_of_another_type() {
    let server = MockRedis::start().await;
    server.db(0).set("k", "old");
    fixture("[[key]]\nname = \"k\"\nlist = [\"new\"]\n").apply(&server);
    assert_eq!(server.db(0).lrange("k", 0, -1).unwrap(), ["new"]);
}

#[tokio::test]
async fn hang_close_and_delay() {
    let server = MockRedis::start().await;
    fixture(
        r#"
        [[mock]]
        command = "BLPOP"
        respond = "close"

        [[mock]]
        command = "GET"
        reply = "late"
        delay_ms = 1
        close_after_reply = true
        "#,
    )
    .apply(&server);
    let mut c = RawConn::open(server.port()).await;
    c.send(b"BLPOP q 0\r\n").await;
    assert_eq!(c.read_frame().await, Read::Closed);
    let mut c = RawConn::open(server.port()).await;
    c.send(b"GET k\r\n").await;
    assert_eq!(
        c.read_frame().await,
        Read::Frame(b"$4\r\nlate\r\n".to_vec())
    );
    assert!(c.read_to_eof().await, "closed after the reply");
}

#[test]
fn mistakes_name_the_line_and_what_was_expected() {
    assert_eq!(
        error("[[mock]]\ncommand = \"GET\"\nrepy = 1\n"),
        "test.toml:3:1: unknown field `repy`, expected one of `name`, `command`, `args`, \
         `exact_args`, `key`, `db`, `any`, `reply`, `sequence`, `then`, `respond`, `raw`, \
         `delay_ms`, `close_after_reply`, `expect`, `times`, `priority`"
    );
    assert_eq!(
        error("[[mock]]\nreply = 1\n"),
        "test.toml:1:1: a mock needs a matcher: `command`, `exact_args`, `key`, `db` or `any = true`"
    );
    assert_eq!(
        error("[[mock]]\nany = true\nreply = 1\nraw = \"x\"\n"),
        "test.toml:1:1: a mock has one answer: give only one of `reply`, `sequence`, `respond` or `raw`"
    );
    assert_eq!(
        error("\n[[mock]]\nany = true\nsequence = [1, { nope = 2 }]\n"),
        "test.toml:4:16: unknown reply kind `nope`: expected one of simple, error, bulk, int, \
         double, bool, nil, nil_array, array, set, push, map, big, verbatim"
    );
    assert_eq!(
        error("[[mock]]\nany = true\nrespond = \"explode\"\n"),
        "test.toml:3:11: unknown `respond` \"explode\": expected \"hang\", \"close\", \
         \"fall_through\" or \"pass_through\""
    );
    assert_eq!(
        error("[[mock]]\nany = true\nreply = 1\nexpect = \"3..1\"\n"),
        "test.toml:4:10: `expect` range 3..1 is empty"
    );
    assert_eq!(
        error("[[mock]]\ncommand = \"GET\"\nreply = 1\npriority = 300\n"),
        "test.toml:4:12: invalid value: integer `300`, expected u8"
    );
    assert_eq!(
        error("[[key]]\nname = \"a\"\nstring = \"x\"\nlist = [\"y\"]\n"),
        "test.toml:1:1: key `a` needs exactly one value: `string`, `hash`, `list`, `set` or `zset`"
    );
    assert_eq!(
        error("[[key]]\nname = \"a\"\nset = []\n"),
        "test.toml:1:1: key `a`: an empty set cannot exist in Redis"
    );
    assert_eq!(
        error("[[key]]\nname = \"a\"\nstring = \"x\"\n\n[[key]]\nname = \"a\"\nstring = \"y\"\n"),
        "test.toml:5:1: key `a` in db 0 is seeded twice"
    );
    assert_eq!(
        error("[clock]\ntime = 2024-01-01\n"),
        "test.toml:2:8: `time` needs a full date and time with an offset, as 2024-01-01T00:00:00Z"
    );
    assert!(
        error("[[mock]\n").starts_with("test.toml:1:"),
        "a TOML syntax error"
    );
    let missing = Fixture::from_file("/nonexistent/mocks.toml").unwrap_err();
    assert_eq!(missing.line(), 0);
    assert!(
        missing
            .to_string()
            .starts_with("/nonexistent/mocks.toml: cannot read the file")
    );
}

#[tokio::test]
async fn a_bad_file_applies_nothing() {
    let server = MockRedis::start().await;
    let text = "[[key]]\nname = \"a\"\nstring = \"x\"\n\n[[mock]]\nany = true\n";
    assert!(Fixture::from_toml("t.toml", text).is_err());
    // Nothing to apply exists: parsing is all or nothing.
    assert!(!server.db(0).exists("a"));
}

#[tokio::test]
async fn a_fixture_applies_to_many_servers() {
    let f = fixture("[[mock]]\ncommand = \"PING\"\nreply = { simple = \"HI\" }\nexpect = 1\n");
    for _ in 0..2 {
        let server = MockRedis::start().await;
        f.apply(&server);
        let mut c = RawConn::open(server.port()).await;
        assert_eq!(c.cmd(["PING"]).await, b"+HI\r\n");
    }
}
