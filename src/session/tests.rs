//! Unit tests of the [`Session`]: pipelining at every byte boundary, the
//! mocks' actions (delay, hang, close, raw, faults, the journal), blocked
//! commands, the closing and dropping cases; then engine behaviour the
//! differential suite cannot reach (values of types before their command
//! groups exist, clock-driven expiry), driven through a session as a
//! connection drives it. Expected replies were taken from redis-server
//! 7.0.15.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::{Action, Session};
use crate::engine::types::Value;
use crate::engine::{Config, Engine};
use crate::matchers::{any, command};
use crate::mock::MockState;
use crate::{Mock, Reply, Response};

/// An engine, a mock registry and one session, as a server with one
/// connection; more sessions join with [`Harness::connect`].
struct Harness {
    engine: Engine,
    mocks: MockState,
    session: Session,
}

impl Harness {
    /// No mocks, no journal: the engine alone.
    fn new() -> Harness {
        Harness::with(Config::default(), MockState::new(false, false))
    }

    fn with(config: Config, mocks: MockState) -> Harness {
        let mut engine = Engine::new(config);
        let session = Session::new(&mut engine, "127.0.0.1:1".into(), "127.0.0.1:2".into());
        Harness {
            engine,
            mocks,
            session,
        }
    }

    /// A second connection.
    fn connect(&mut self) -> Session {
        Session::new(&mut self.engine, "127.0.0.1:3".into(), "127.0.0.1:2".into())
    }

    /// Runs one command (space-separated words, `\s` for a space inside
    /// one) and returns what the connection writes.
    fn run(&mut self, line: &str) -> String {
        let words: Vec<String> = line.split(' ').map(|a| a.replace("\\s", " ")).collect();
        let words: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        String::from_utf8_lossy(&self.call(&words)).into_owned()
    }

    /// Runs one command of binary arguments; the bytes written.
    fn call(&mut self, args: &[&[u8]]) -> BytesMut {
        let (engine, mocks) = (&mut self.engine, &self.mocks);
        call_on(&mut self.session, engine, mocks, args)
    }

    /// Feeds raw bytes and runs: the action and the bytes written.
    fn feed(&mut self, bytes: &[u8]) -> (Action, String) {
        self.session.feed(bytes);
        let action = self.session.run(&mut self.engine, &self.mocks);
        let out = self.session.take_output();
        (action, String::from_utf8_lossy(&out).into_owned())
    }

    fn list(&mut self, key: &str, items: &[&str]) {
        self.engine.refresh_time();
        let list: crate::engine::types::list::List = items
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        self.engine.dbs[0].insert(key.as_bytes(), Value::List(list));
    }
}

/// A request in the multibulk form clients send.
fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Runs one command on `session`: the bytes written. The command must be
/// answered at once.
fn call_on(
    session: &mut Session,
    engine: &mut Engine,
    mocks: &MockState,
    args: &[&[u8]],
) -> BytesMut {
    session.feed(&multibulk(args));
    assert_eq!(session.run(engine, mocks), Action::NeedInput);
    session.take_output()
}

/// Reads one RESP2 reply (arrays, bulk strings, simple strings, errors and
/// integers): the reply and the bytes it took.
fn parse_reply(bytes: &[u8]) -> (Reply, usize) {
    let line_end = bytes.windows(2).position(|w| w == b"\r\n").expect("a line");
    let line = &bytes[1..line_end];
    let text = std::str::from_utf8(line).expect("utf-8");
    let after = line_end + 2;
    match bytes[0] {
        b'+' => (Reply::simple(text.to_string()), after),
        b'-' => (Reply::error(text), after),
        b':' => (Reply::int(text.parse().expect("int")), after),
        b'$' if text == "-1" => (Reply::Nil, after),
        b'$' => {
            let len: usize = text.parse().expect("length");
            let body = Bytes::copy_from_slice(&bytes[after..after + len]);
            (Reply::Bulk(body), after + len + 2)
        }
        b'*' => {
            let n: usize = text.parse().expect("count");
            let mut at = after;
            let mut items = Vec::new();
            for _ in 0..n {
                let (item, used) = parse_reply(&bytes[at..]);
                items.push(item);
                at += used;
            }
            (Reply::Array(items), at)
        }
        other => panic!("unexpected reply type {:?}", other as char),
    }
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

// ---------------------------------------------------------------------------
// The session itself
// ---------------------------------------------------------------------------

/// A pipeline that exercises what a session carries between requests:
/// multibulk and inline requests, empty lines, binary arguments, a
/// protocol switch, a database switch, a transaction, subscribed mode.
const PIPELINE: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\x00b\r\n\
PING\r\n\
\r\n\
*0\r\n\
GET k\r\n\
*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n\
*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n\
*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n\
GET k\r\n\
MULTI\r\nSET k 1\r\nINCR k\r\nEXEC\r\n\
*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n\
LRANGE l 0 -1\r\n\
HELLO 2\r\n\
SUBSCRIBE a b\r\n\
PING hi\r\n\
UNSUBSCRIBE\r\n\
ECHO \"quoted \\x41\"\r\n";

fn run_pipeline(chunks: &[&[u8]]) -> Vec<u8> {
    let mut h = Harness::new();
    let mut out = Vec::new();
    for chunk in chunks {
        h.session.feed(chunk);
        assert_eq!(h.session.run(&mut h.engine, &h.mocks), Action::NeedInput);
        out.extend_from_slice(&h.session.take_output());
    }
    out
}

#[test]
fn a_pipeline_split_anywhere_gives_the_same_bytes() {
    let whole = run_pipeline(&[PIPELINE]);
    let text = String::from_utf8_lossy(&whole);
    assert!(
        text.starts_with("+OK\r\n+PONG\r\n$3\r\na\0b\r\n%7\r\n"),
        "{text}"
    );
    assert!(text.ends_with("$8\r\nquoted A\r\n"), "{text}");
    for at in 0..=PIPELINE.len() {
        let split = run_pipeline(&[&PIPELINE[..at], &PIPELINE[at..]]);
        assert_eq!(split, whole, "split at byte {at}");
    }
    let bytes: Vec<&[u8]> = PIPELINE.chunks(1).collect();
    assert_eq!(run_pipeline(&bytes), whole, "one byte at a time");
}

#[test]
fn the_protocol_comes_from_the_client() {
    let mocks = MockState::new(false, false);
    mocks.mount(
        Mock::given(command("GET")).respond_with(Reply::map([(Reply::bulk("a"), Reply::int(1))])),
    );
    let mut h = Harness::with(Config::default(), mocks);
    assert_eq!(h.run("GET k"), "*2\r\n$1\r\na\r\n:1\r\n");
    h.run("HELLO 3");
    // A mock's reply in the protocol the engine just switched to.
    assert_eq!(h.run("GET k"), "%1\r\n$1\r\na\r\n:1\r\n");
    // ... and a mocked HELLO switches nothing.
    h.mocks
        .mount(Mock::given(command("HELLO")).respond_with(Reply::ok()));
    assert_eq!(h.run("HELLO 2"), "+OK\r\n");
    assert_eq!(h.run("GET k"), "%1\r\n$1\r\na\r\n:1\r\n");
}

#[test]
fn the_parser_limits_follow_authentication() {
    let config = Config {
        requirepass: Some(Bytes::from("pw")),
        ..Config::default()
    };
    let mut h = Harness::with(config, MockState::new(false, false));
    assert_eq!(h.run("GET k"), "-NOAUTH Authentication required.\r\n");
    let eleven = multibulk(&[
        b"MSET".as_slice(),
        b"a",
        b"1",
        b"b",
        b"2",
        b"c",
        b"3",
        b"d",
        b"4",
        b"e",
        b"5",
    ]);
    assert_eq!(
        h.feed(&eleven),
        (
            Action::Close,
            "-ERR Protocol error: unauthenticated multibulk length\r\n".to_string()
        )
    );
    let mut h = Harness::with(
        Config {
            requirepass: Some(Bytes::from("pw")),
            ..Config::default()
        },
        MockState::new(false, false),
    );
    assert_eq!(h.run("AUTH pw"), "+OK\r\n");
    assert_eq!(h.feed(&eleven), (Action::NeedInput, "+OK\r\n".to_string()));
}

#[test]
fn quit_writes_its_reply_and_closes() {
    let mut h = Harness::new();
    assert_eq!(
        h.feed(b"PING\r\nQUIT\r\nPING\r\n"),
        (Action::Close, "+PONG\r\n+OK\r\n".to_string())
    );
}

#[test]
fn a_protocol_error_is_answered_then_closes() {
    let mut h = Harness::new();
    assert_eq!(
        h.feed(b"PING\r\n*1\r\n$x\r\nPING\r\n"),
        (
            Action::Close,
            "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n".to_string()
        )
    );
    let mut h = Harness::new();
    assert_eq!(
        h.feed(b"PING \"a\r\n"),
        (
            Action::Close,
            "-ERR Protocol error: unbalanced quotes in request\r\n".to_string()
        )
    );
}

#[test]
fn an_http_request_is_dropped_unanswered() {
    for request in [
        &b"POST / HTTP/1.1\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: x\r\n",
    ] {
        let mut h = Harness::new();
        let (action, _) = h.feed(request);
        assert_eq!(action, Action::Drop, "{}", String::from_utf8_lossy(request));
        assert_eq!(h.session.commands(), u64::from(request.starts_with(b"GET")));
    }
}

#[test]
fn a_mock_delay_is_an_action_and_replies_stay_in_order() {
    let delay = Duration::from_millis(30);
    let mocks = MockState::new(false, true);
    mocks.mount(
        Mock::given(command("GET")).respond_with(Response::reply(Reply::bulk("slow")).delay(delay)),
    );
    let mut h = Harness::with(Config::default(), mocks);
    assert_eq!(
        h.feed(b"PING\r\nGET k\r\nPING x\r\n"),
        (Action::Delay(delay), "+PONG\r\n".to_string()),
        "the earlier reply goes out before the delay"
    );
    let journal: Vec<String> = h.mocks.journal().iter().map(|r| r.to_string()).collect();
    assert_eq!(
        journal,
        [r#""PING""#, r#""GET" "k""#],
        "journalled before the delay"
    );
    // The delay has passed: the reply first, then the rest of the input.
    assert_eq!(
        h.feed(b""),
        (Action::NeedInput, "$4\r\nslow\r\n$1\r\nx\r\n".to_string())
    );
    // A delayed pass-through lets the engine answer after the delay.
    h.mocks.mount(
        Mock::given(command("ECHO"))
            .respond_with(Response::pass_through().delay(delay))
            .with_priority(0),
    );
    assert_eq!(h.feed(b"ECHO e\r\n"), (Action::Delay(delay), String::new()));
    assert_eq!(h.feed(b""), (Action::NeedInput, "$1\r\ne\r\n".to_string()));
}

#[test]
fn mock_hang_close_raw_and_then_close() {
    let cases: [(Response, &[u8], Action, &str); 5] = [
        (
            Response::hang(),
            b"PING\r\nGET k\r\nPING\r\n",
            Action::Hang,
            "+PONG\r\n",
        ),
        (
            Response::close(),
            b"PING\r\nGET k\r\nPING\r\n",
            Action::Close,
            "+PONG\r\n",
        ),
        (
            Response::reply(Reply::ok()).then_close(),
            b"GET k\r\nPING\r\n",
            Action::Close,
            "+OK\r\n",
        ),
        (
            Response::raw("*2\r\n$1\r\na"),
            b"GET k\r\nPING\r\n",
            Action::NeedInput,
            "*2\r\n$1\r\na+PONG\r\n",
        ),
        (
            Response::hang().delay(Duration::from_millis(5)),
            b"GET k\r\n",
            Action::Delay(Duration::from_millis(5)),
            "",
        ),
    ];
    for (response, input, action, written) in cases {
        let mocks = MockState::new(false, false);
        mocks.mount(Mock::given(command("GET")).respond_with(response.clone()));
        let mut h = Harness::with(Config::default(), mocks);
        assert_eq!(h.feed(input), (action, written.to_string()), "{response:?}");
        if let Action::Delay(_) = action {
            assert_eq!(h.feed(b""), (Action::Hang, String::new()));
        }
    }
}

#[test]
fn faults_strict_mode_and_close_after_n() {
    let mocks = MockState::new(true, false);
    mocks.set_error(Some(Bytes::from_static(b"LOADING not yet")));
    let mut h = Harness::with(Config::default(), mocks);
    assert_eq!(h.run("GET k"), "-LOADING not yet\r\n");
    assert_eq!(h.run("SELECT 1"), "+OK\r\n", "served while loading");
    h.mocks.set_error(None);
    assert_eq!(
        h.run("GET k"),
        "-ERR mock-redis: no mock matched 'GET' 'k'\r\n"
    );
    assert_eq!(h.run("PING"), "+PONG\r\n", "a handshake command");
    let report = h
        .mocks
        .verify()
        .expect_err("the refusal is kept without a journal");
    assert!(report.to_string().contains(r#""GET" "k""#), "{report}");
    h.mocks.set_strict(false);
    // Four commands so far: the fifth is answered, then the connection closes.
    h.mocks.set_close_after(Some(5));
    assert_eq!(
        h.feed(b"SET k v\r\nGET k\r\n"),
        (Action::Close, "+OK\r\n".to_string())
    );
}

#[test]
fn the_journal_records_each_command_with_its_database() {
    let mocks = MockState::new(false, true);
    mocks.mount(Mock::given(command("GET").arg("never")).respond_with(Reply::nil()));
    let mut h = Harness::with(Config::default(), mocks);
    assert_eq!(
        h.feed(b"SET a 1\r\nSELECT 2\r\nGET a\r\n"),
        (Action::NeedInput, "+OK\r\n+OK\r\n$-1\r\n".to_string())
    );
    let journal = h.mocks.journal();
    let seen: Vec<(String, usize, u64)> = journal
        .iter()
        .map(|r| (r.to_string(), r.db(), r.connection_id()))
        .collect();
    let id = h.session.id();
    assert_eq!(
        seen,
        [
            (r#""SET" "a" "1""#.to_string(), 0, id),
            (r#""SELECT" "2""#.to_string(), 0, id),
            (r#""GET" "a""#.to_string(), 2, id),
        ]
    );
}

#[test]
fn a_panicking_matcher_answers_an_error() {
    let mocks = MockState::new(false, false);
    mocks.mount(
        Mock::given(|_: &crate::Request| -> bool { panic!("boom") }).respond_with(Reply::ok()),
    );
    let mut h = Harness::with(Config::default(), mocks);
    assert_eq!(
        h.run("PING"),
        "-ERR mock-redis: a matcher or responder panicked: boom\r\n"
    );
    assert!(h.mocks.verify().is_err());
}

#[test]
fn a_blocked_command_waits_for_another_client() {
    let mut h = Harness::new();
    let mut other = h.connect();
    assert_eq!(
        h.feed(b"BLPOP l 0\r\nPING\r\n"),
        (Action::Blocked(None), String::new())
    );
    assert!(h.session.is_blocked());
    // Still blocked: nothing else is answered.
    assert_eq!(
        h.feed(b"ECHO later\r\n"),
        (Action::Blocked(None), String::new())
    );
    let pushed = call_on(&mut other, &mut h.engine, &h.mocks, &[b"RPUSH", b"l", b"v"]);
    assert_eq!(&pushed[..], b":1\r\n");
    let frame = h.session.io().outbox.try_recv().expect("the reply");
    h.session.deliver(frame);
    assert!(!h.session.is_blocked());
    assert_eq!(
        h.feed(b""),
        (
            Action::NeedInput,
            "*2\r\n$1\r\nl\r\n$1\r\nv\r\n+PONG\r\n$5\r\nlater\r\n".to_string()
        )
    );
}

#[test]
fn a_blocked_command_times_out() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    let now = h.engine.clock.now_ms();
    let (action, written) = h.feed(b"BLPOP l 0.5\r\nPING\r\n");
    assert_eq!(written, "");
    // The deadline is on the engine clock.
    assert_eq!(action, Action::Blocked(Some(now + 500)));
    h.session.time_out(&mut h.engine);
    assert_eq!(
        h.feed(b""),
        (Action::NeedInput, "*-1\r\n+PONG\r\n".to_string())
    );
    // Served just before the deadline: the reply wins over the timeout.
    let mut other = h.connect();
    assert!(matches!(
        h.feed(b"BLPOP l 5\r\n").0,
        Action::Blocked(Some(_))
    ));
    call_on(&mut other, &mut h.engine, &h.mocks, &[b"RPUSH", b"l", b"w"]);
    h.session.time_out(&mut h.engine);
    assert_eq!(
        h.feed(b""),
        (
            Action::NeedInput,
            "*2\r\n$1\r\nl\r\n$1\r\nw\r\n".to_string()
        )
    );
}

#[test]
fn a_blocked_command_times_out_strictly_after_its_deadline_on_the_engine_clock() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    assert_eq!(h.feed(b"BLPOP l 0.5\r\nPING\r\n").1, "");
    // The wall-clock timer fired, but the frozen clock has not moved.
    h.session.time_out_if_due(&mut h.engine);
    assert!(h.session.is_blocked());
    // At the deadline: not past it yet, as Redis's `timeout < now`.
    h.engine.clock.fast_forward(Duration::from_millis(500));
    h.session.time_out_if_due(&mut h.engine);
    assert!(h.session.is_blocked());
    assert_eq!(
        h.feed(b"").0,
        Action::Blocked(Some(h.engine.clock.now_ms()))
    );
    h.engine.clock.fast_forward(Duration::from_millis(1));
    h.session.time_out_if_due(&mut h.engine);
    assert!(!h.session.is_blocked());
    assert_eq!(
        h.feed(b""),
        (Action::NeedInput, "*-1\r\n+PONG\r\n".to_string())
    );
}

#[test]
fn the_expiry_cycle_times_out_blocked_clients_past_their_deadline() {
    let mut h = Harness::new();
    let mut other = h.connect();
    h.engine.clock.freeze();
    assert_eq!(h.feed(b"HELLO 3\r\n").0, Action::NeedInput);
    h.session.take_output();
    assert_eq!(h.feed(b"BZPOPMIN z 2\r\n").1, "");
    other.feed(b"BLPOP l 3\r\n");
    assert!(matches!(
        other.run(&mut h.engine, &h.mocks),
        Action::Blocked(Some(_))
    ));
    h.engine.clock.fast_forward(Duration::from_millis(2001));
    h.engine.active_expire_cycle();
    // The first client's timeout comes on its outbox, in its protocol.
    let frame = h.session.io().outbox.try_recv().expect("the timeout reply");
    h.session.deliver(frame);
    assert!(!h.session.is_blocked());
    assert_eq!(h.feed(b"").1, "_\r\n");
    // The second one's deadline is a second later.
    assert!(other.io().outbox.try_recv().is_err());
    assert!(other.is_blocked());
    h.engine.clock.fast_forward(Duration::from_secs(1));
    h.engine.active_expire_cycle();
    let frame = other.io().outbox.try_recv().expect("the timeout reply");
    other.deliver(frame);
    assert!(!other.is_blocked());
    assert_eq!(&other.take_output()[..], b"*-1\r\n");
}

#[test]
fn pub_sub_messages_go_before_the_reply_that_caused_them() {
    let mut h = Harness::new();
    h.run("HELLO 3");
    assert_eq!(
        h.run("SUBSCRIBE ch"),
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    assert_eq!(
        h.run("PUBLISH ch hi"),
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n:1\r\n"
    );
    let mut other = h.connect();
    call_on(
        &mut other,
        &mut h.engine,
        &h.mocks,
        &[b"PUBLISH", b"ch", b"x"],
    );
    let frame = h.session.io().outbox.try_recv().expect("the message");
    h.session.deliver(frame);
    assert_eq!(
        &h.session.take_output()[..],
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n"
    );
}

#[test]
fn a_pass_through_mock_keeps_the_engine_state() {
    // A pass-through mock lets the engine answer, blocking included.
    let mocks = MockState::new(false, true);
    mocks.mount(Mock::given(any()).respond_with(Response::pass_through()));
    let mut h = Harness::with(Config::default(), mocks);
    assert_eq!(
        h.feed(b"SET k v\r\nGET k\r\nBLPOP nothing 0\r\n"),
        (Action::Blocked(None), "+OK\r\n$1\r\nv\r\n".to_string())
    );
}

// ---------------------------------------------------------------------------
// Engine behaviour, through a session
// ---------------------------------------------------------------------------

#[test]
fn string_commands_on_a_list() {
    let mut h = Harness::new();
    h.list("l", &["a", "b"]);
    h.run("SET s v");
    for cmd in [
        "GET l",
        "SET l v GET",
        "GETSET l x",
        "GETDEL l",
        "GETEX l",
        "GETEX l PERSIST",
        "APPEND l x",
        "STRLEN l",
        "INCR l",
        "DECRBY l 1",
        "INCRBYFLOAT l 1",
        "GETRANGE l 0 1",
        "SETRANGE l 0 x",
        "SETRANGE l 0 ",
        "SETBIT l 0 1",
        "GETBIT l 0",
        "BITCOUNT l",
        "BITPOS l 1",
        "BITOP AND d s l",
        "BITFIELD l GET i8 0",
        "BITFIELD_RO l GET i8 0",
    ] {
        assert_eq!(h.run(cmd), WRONGTYPE, "{cmd}");
    }
    assert_eq!(
        h.run("BITPOS l 2"),
        "-ERR The bit argument must be 1 or 0.\r\n"
    );
    assert_eq!(h.run("MGET s l nokey"), "*3\r\n$1\r\nv\r\n$-1\r\n$-1\r\n");
    assert_eq!(
        h.run("LCS s l"),
        "-ERR The specified keys must contain string values\r\n"
    );
    assert_eq!(h.run("SETNX l v"), ":0\r\n");
    assert_eq!(h.run("MSETNX l v"), ":0\r\n");
    assert_eq!(h.run("TYPE l"), "+list\r\n");
    assert_eq!(h.run("OBJECT ENCODING l"), "$9\r\nquicklist\r\n");
}

#[test]
fn generic_commands_on_a_list() {
    let mut h = Harness::new();
    h.list("l", &["b", "a"]);
    assert_eq!(
        h.run("SORT l"),
        "-ERR One or more scores can't be converted into double\r\n"
    );
    assert_eq!(h.run("SORT l ALPHA"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(h.run("SORT l ALPHA DESC LIMIT 0 1"), "*1\r\n$1\r\nb\r\n");
    assert_eq!(h.run("SORT l BY nosort"), "*2\r\n$1\r\nb\r\n$1\r\na\r\n");
    assert_eq!(
        h.run("SORT l BY nosort DESC"),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(h.run("SORT l ALPHA STORE dst"), ":2\r\n");
    assert_eq!(h.run("TYPE dst"), "+list\r\n");
    assert_eq!(h.run("RENAME l l2"), "+OK\r\n");
    assert_eq!(h.run("TYPE l2"), "+list\r\n");
    assert_eq!(h.run("COPY l2 l3"), ":1\r\n");
    assert_eq!(h.run("MOVE l3 1"), ":1\r\n");
    assert_eq!(h.run("SET l2 v"), "+OK\r\n");
    assert_eq!(h.run("TYPE l2"), "+string\r\n");
    assert_eq!(
        h.run("SCAN 0 TYPE list"),
        "*2\r\n$1\r\n0\r\n*1\r\n$3\r\ndst\r\n"
    );
}

#[test]
fn sort_by_and_get_patterns() {
    let mut h = Harness::new();
    h.list("l", &["3", "1", "2"]);
    h.run("MSET w_1 30 w_2 20 w_3 10 n_1 one n_3 three");
    assert_eq!(
        h.run("SORT l BY w_*"),
        "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        h.run("SORT l GET n_* GET #"),
        "*6\r\n$3\r\none\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$5\r\nthree\r\n$1\r\n3\r\n"
    );
    assert_eq!(h.run("SORT_RO l STORE x"), "-ERR syntax error\r\n");
}

#[test]
fn dump_and_restore_round_trip_every_type() {
    let mut h = Harness::new();
    h.list("l", &["a", "b", "c"]);
    h.run("SET s hello");
    for (key, kind) in [("l", "+list\r\n"), ("s", "+string\r\n")] {
        let dumped = h.call(&[b"DUMP", key.as_bytes()]);
        let (Reply::Bulk(payload), _) = parse_reply(&dumped) else {
            panic!("DUMP {key} gave {dumped:?}");
        };
        let copy = format!("{key}-copy");
        let restored = h.call(&[b"RESTORE", copy.as_bytes(), b"0", &payload]);
        assert_eq!(&restored[..], b"+OK\r\n");
        assert_eq!(h.run(&format!("TYPE {key}-copy")), kind);
        let mut corrupt = payload.to_vec();
        corrupt[0] ^= 1;
        let bad = h.call(&[b"RESTORE", b"x", b"0", &corrupt]);
        assert_eq!(
            &bad[..],
            b"-ERR DUMP payload version or checksum are wrong\r\n"
        );
    }
    assert_eq!(h.run("GET s-copy"), "$5\r\nhello\r\n");
    let original = h.engine.dbs[0].get(b"l").cloned();
    assert_eq!(h.engine.dbs[0].get(b"l-copy").cloned(), original);
}

#[test]
fn watch_is_broken_by_expiry() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 PX 100");
    h.run("WATCH a");
    h.engine.clock.fast_forward(Duration::from_millis(200));
    h.run("MULTI");
    h.run("PING");
    // Nobody touched the key: the deadline alone breaks the WATCH.
    assert_eq!(h.run("EXEC"), "*-1\r\n");
}

#[test]
fn watching_an_already_expired_key_survives_its_deletion() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 PX 100");
    h.engine.clock.fast_forward(Duration::from_millis(200));
    h.run("WATCH a");
    // The lookup deletes the expired key: no logical change for this WATCH.
    assert_eq!(h.run("GET a"), "$-1\r\n");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), "*1\r\n+PONG\r\n");
}

#[test]
fn watch_is_broken_by_active_expiry() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 PX 100");
    h.run("WATCH a");
    h.engine.clock.fast_forward(Duration::from_millis(200));
    h.engine.active_expire_cycle();
    assert_eq!(h.run("DBSIZE"), ":0\r\n");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), "*-1\r\n");
}

#[test]
fn watch_from_another_client() {
    let mut h = Harness::new();
    let mut other = h.connect();
    h.run("WATCH k");
    call_on(&mut other, &mut h.engine, &h.mocks, &[b"SET", b"k", b"v"]);
    h.run("MULTI");
    h.run("GET k");
    assert_eq!(h.run("EXEC"), "*-1\r\n");
    // A disconnected watcher leaves no registration behind.
    h.run("WATCH k");
    h.engine.disconnect(h.session.id());
    assert!(!h.engine.dbs[0].is_watched(b"k"));
}

#[test]
fn expiry_follows_the_engine_clock() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 EX 10");
    h.run("SET b 1 EX 100");
    h.engine.clock.fast_forward(Duration::from_secs(10));
    assert_eq!(h.run("TTL a"), ":0\r\n");
    assert_eq!(h.run("GET a"), "$1\r\n1\r\n");
    h.engine.clock.fast_forward(Duration::from_millis(1));
    assert_eq!(
        h.run("DBSIZE"),
        ":2\r\n",
        "lazy: not removed before a lookup"
    );
    assert_eq!(h.run("GET a"), "$-1\r\n");
    assert_eq!(h.run("DBSIZE"), ":1\r\n");
    assert_eq!(h.run("TTL b"), ":90\r\n");
    let info = h.run("INFO stats");
    assert!(info.contains("expired_keys:1\r\n"), "{info}");
}

#[test]
fn time_reads_the_engine_clock() {
    let mut h = Harness::new();
    h.engine
        .clock
        .set_time(std::time::UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456));
    assert_eq!(h.run("TIME"), "*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n");
    h.run("SET k v EX 5");
    assert_eq!(h.run("EXPIRETIME k"), ":1700000005\r\n");
}

#[test]
fn scan_returns_every_key_present_throughout() {
    let mut h = Harness::new();
    for i in 0..200 {
        h.run(&format!("SET key:{i} v"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut rounds = 0;
    loop {
        let out = h.run(&format!("SCAN {cursor} COUNT 7"));
        let (Reply::Array(parts), _) = parse_reply(out.as_bytes()) else {
            panic!("{out}")
        };
        let (Reply::Bulk(next), Reply::Array(keys)) = (&parts[0], &parts[1]) else {
            panic!("{parts:?}")
        };
        for k in keys {
            if let Reply::Bulk(k) = k {
                seen.insert(k.clone());
            }
        }
        // Churn between calls: new keys and deleted ones must not hide others.
        h.run(&format!("SET extra:{rounds} v"));
        h.run(&format!("DEL extra:{}", rounds.max(1) - 1));
        rounds += 1;
        cursor = String::from_utf8(next.to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
        assert!(rounds < 500);
    }
    for i in 0..200 {
        assert!(
            seen.contains(format!("key:{i}").as_bytes()),
            "key:{i} missed"
        );
    }
}

#[test]
fn randomkey_skips_expired_keys() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    for i in 0..20 {
        h.run(&format!("SET old:{i} v PX 10"));
    }
    h.run("SET live v");
    h.engine.clock.fast_forward(Duration::from_millis(20));
    assert_eq!(h.run("RANDOMKEY"), "$4\r\nlive\r\n");
    h.run("DEL live");
    assert_eq!(h.run("RANDOMKEY"), "$-1\r\n");
    assert_eq!(h.run("DBSIZE"), ":0\r\n");
}

#[test]
fn keyspace_events_follow_the_configuration() {
    let mut h = Harness::new();
    h.run("SET a 1");
    assert!(h.engine.event_log.is_empty(), "off by default");
    assert_eq!(h.run("CONFIG SET notify-keyspace-events KA"), "+OK\r\n");
    h.run("SET a 2 EX 10");
    h.run("INCR a");
    h.run("SET fresh 1");
    let names: Vec<&str> = h.engine.event_log.drain(..).map(|(_, e)| e.event).collect();
    // `new` is not part of `A`.
    assert_eq!(names, vec!["set", "expire", "incrby", "set"]);
    h.run("CONFIG SET notify-keyspace-events Ex");
    h.engine.clock.freeze();
    h.run("SET gone 1 PX 1");
    h.engine.clock.fast_forward(Duration::from_millis(5));
    h.engine.active_expire_cycle();
    let events: Vec<_> = h.engine.event_log.drain(..).collect();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].1.event, &events[0].1.key[..]),
        ("expired", &b"gone"[..])
    );
    h.run("CONFIG SET notify-keyspace-events g");
    h.run("DEL a");
    assert!(
        h.engine.event_log.is_empty(),
        "no K or E: nothing published"
    );
}

#[test]
fn client_list_inside_exec() {
    let mut h = Harness::new();
    assert!(
        h.run("CLIENT INFO")
            .contains(" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ")
    );
    h.run("MULTI");
    h.run("SET a 1");
    h.run("CLIENT INFO");
    let out = h.run("EXEC");
    assert!(
        out.contains(" flags=x db=0 sub=0 psub=0 ssub=0 multi=2 "),
        "{out}"
    );
    assert!(out.contains(" cmd=exec "), "{out}");
    assert!(h.run("CLIENT INFO").contains(" multi=-1 "));
}

#[test]
fn config_set_requirepass_applies_to_new_connections() {
    let mut h = Harness::new();
    assert_eq!(h.run("CONFIG SET requirepass s3cret"), "+OK\r\n");
    assert_eq!(
        h.run("PING"),
        "+PONG\r\n",
        "the current connection stays in"
    );
    let mut other = h.connect();
    let mut get = |h: &mut Harness, args: &[&[u8]]| {
        let out = call_on(&mut other, &mut h.engine, &h.mocks, args);
        String::from_utf8_lossy(&out).into_owned()
    };
    assert_eq!(
        get(&mut h, &[b"GET", b"k"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(get(&mut h, &[b"AUTH", b"s3cret"]), "+OK\r\n");
    assert_eq!(get(&mut h, &[b"GET", b"k"]), "$-1\r\n");
    h.run("CONFIG SET requirepass \\s");
    assert!(h.engine.config.requirepass.is_some());
    h.run("CONFIG SET requirepass ");
    assert!(h.engine.config.requirepass.is_none());
}

#[test]
fn a_write_waits_for_a_client_pause_to_end_on_the_engine_clock() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    let now = h.engine.clock.now_ms();
    let (action, written) = h.feed(b"CLIENT PAUSE 500 WRITE\r\nGET k\r\nSET k v\r\nPING\r\n");
    assert_eq!(written, "+OK\r\n$-1\r\n");
    assert_eq!(action, Action::Blocked(Some(now + 500)));
    // Not past the end yet: still held.
    h.engine.clock.fast_forward(Duration::from_millis(500));
    h.session.time_out_if_due(&mut h.engine);
    assert!(h.session.is_blocked());
    h.engine.clock.fast_forward(Duration::from_millis(1));
    h.session.time_out_if_due(&mut h.engine);
    assert!(!h.session.is_blocked());
    assert_eq!(
        h.feed(b""),
        (Action::NeedInput, "+OK\r\n+PONG\r\n".to_string())
    );
    // CLIENT UNPAUSE from another client releases it at once.
    let mut other = h.connect();
    h.feed(b"CLIENT PAUSE 100000 WRITE\r\n");
    assert!(matches!(
        h.feed(b"SET k w\r\nGET k\r\n").0,
        Action::Blocked(Some(_))
    ));
    call_on(
        &mut other,
        &mut h.engine,
        &h.mocks,
        &[b"CLIENT", b"UNPAUSE"],
    );
    h.session.time_out_if_due(&mut h.engine);
    assert!(!h.session.is_blocked());
    assert_eq!(
        h.feed(b""),
        (Action::NeedInput, "+OK\r\n$1\r\nw\r\n".to_string())
    );
}
