//! In-process entry points for the fuzz targets in `fuzz/`, compiled only
//! with the `fuzzing` feature. Not a public API: it may change at any time.
//!
//! [`dispatch`] feeds bytes to a fresh engine through the same session a
//! connection task drives (Redis's request parser, the mock layer,
//! `Engine::execute` for each request, the reply encoder), without sockets,
//! so a fuzzer can run it hundreds of thousands of times a second.

use bytes::{Bytes, BytesMut};

use crate::engine::{Config, Engine};
use crate::mock::MockState;
use crate::protocol::{Protocol, Reply};
use crate::session::{Action, Session};

/// Replies kept before the output buffer is dropped, so a long input
/// cannot grow memory the way a real client that never reads cannot either.
const OUTPUT_CAP: usize = 1 << 20;

/// Runs `data` as the byte stream of one or two clients against a fresh
/// engine and returns the number of requests executed.
///
/// The first byte picks the set-up: bit 0 sets `requirepass` to `secret`,
/// bit 1 makes two clients take turns (so `CLIENT LIST`, `CLIENT KILL` and
/// friends see each other). The rest is parsed as requests. Every reply is
/// encoded in the client's protocol and in the other one, since both
/// encoders must accept every reply. A client whose command blocks (BLPOP
/// and friends) gives the turn to the other, which may serve it; it times
/// out when its turn comes back.
///
/// ```
/// let executed = mock_redis::fuzzing::dispatch(b"\x00PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
/// assert_eq!(executed, 2);
/// ```
pub fn dispatch(data: &[u8]) -> usize {
    let Some((&setup, stream)) = data.split_first() else {
        return 0;
    };
    let config = Config {
        requirepass: (setup & 1 == 1).then(|| bytes::Bytes::from_static(b"secret")),
        ..Config::default()
    };
    let mut engine = fuzz_engine(config);
    let mocks = MockState::new(false, false);
    let mut sessions = vec![new_session(&mut engine)];
    if setup & 2 == 2 {
        sessions.push(new_session(&mut engine));
    }
    // One stream, taken by whichever client's turn it is.
    let mut input = BytesMut::from(stream);
    let mut turn = 0;
    loop {
        let count = sessions.len();
        let session = &mut sessions[turn % count];
        if session.is_blocked() {
            session.time_out(&mut engine);
        }
        std::mem::swap(&mut input, session.io().input);
        let before = session.commands();
        let action = session.run_one(&mut engine, &mocks);
        std::mem::swap(&mut input, session.io().input);
        let unsent = session.io().output.len();
        if unsent > OUTPUT_CAP {
            // As if written: the output limits count unsent bytes only.
            session.wrote(unsent);
            session.io().output.clear();
        }
        match action {
            Action::NeedInput if session.commands() > before => turn += 1,
            Action::Blocked(_) => turn += 1,
            // No complete request left, or the connection closed (without
            // mocks, nothing delays or hangs).
            _ => break,
        }
    }
    let executed = sessions.iter().map(Session::commands).sum::<u64>();
    for session in &sessions {
        engine.disconnect(session.id());
    }
    executed as usize
}

/// One simulated connection, checking both encoders on every reply.
fn new_session(engine: &mut Engine) -> Session {
    let mut session = Session::new(engine, "127.0.0.1:40000".into(), "127.0.0.1:6379".into());
    session.cross_encode = Some(BytesMut::new());
    session
}

/// An engine for the fuzz targets: DEBUG refused (DEBUG SLEEP would read as
/// a hang, and `DEBUG PANIC-FOR-TEST` panics on purpose), and strings held
/// to 1 MB (`proto-max-bulk-len`'s minimum), so SETRANGE/SETBIT/APPEND grow
/// no value past it: a run measures bugs, not how much memory a valid
/// command may ask for.
fn fuzz_engine(config: Config) -> Engine {
    let mut engine = Engine::new(config);
    let _ = engine.runtime.set_fixed("enable-debug-command", "no");
    let _ = engine.runtime.set("proto-max-bulk-len", "1048576");
    engine
}

/// Runs one command for `client` and encodes its reply (and the frames
/// before it) in both protocols; a command that blocks is timed out at once.
fn run(engine: &mut Engine, client: u64, args: &[Bytes], out: &mut BytesMut) -> Option<Reply> {
    engine.refresh_time();
    let outcome = engine.execute(client, args);
    for frame in outcome.extra.iter().chain([&outcome.reply]) {
        frame.encode(Protocol::Resp2, out);
        frame.encode(Protocol::Resp3, out);
    }
    if outcome.blocked.is_some() {
        crate::engine::blocking::timed_out(engine, client);
    }
    engine.after_command();
    if out.len() > OUTPUT_CAP {
        out.clear();
    }
    (!outcome.close).then_some(outcome.reply)
}

fn argv(words: &[&[u8]]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::copy_from_slice(w)).collect()
}

/// RESTORE of a mutated DUMP payload: `data` is the payload's body (a type
/// byte and the value, in any RDB encoding Redis 7.0 writes), closed with
/// the RDB version and a recomputed checksum so the fuzzer's mutations
/// reach the decoder instead of the checksum test. A payload the engine
/// accepts is then read back with every read command of its type, dumped
/// and restored again: what the engine's own DUMP writes must restore.
/// Must never panic, whatever the bytes.
///
/// ```
/// // A string "hi": type 0, length 2.
/// mock_redis::fuzzing::restore(b"\x00\x02hi");
/// ```
pub fn restore(data: &[u8]) {
    let payload = crate::engine::formats::rdb::with_footer(data);
    let mut engine = fuzz_engine(Config::default());
    let id = engine.connect("127.0.0.1:40000".into(), "127.0.0.1:6379".into());
    let mut out = BytesMut::new();
    let restored = run(
        &mut engine,
        id,
        &argv(&[b"RESTORE", b"k", b"0", &payload]),
        &mut out,
    );
    if !matches!(restored, Some(Reply::Simple(_))) {
        return;
    }
    for cmd in [
        &[&b"TYPE"[..], b"k"][..],
        &[b"OBJECT", b"ENCODING", b"k"],
        &[b"GET", b"k"],
        &[b"STRLEN", b"k"],
        &[b"LRANGE", b"k", b"0", b"-1"],
        &[b"LLEN", b"k"],
        &[b"LPOS", b"k", b"1", b"COUNT", b"0"],
        &[b"SMEMBERS", b"k"],
        &[b"SISMEMBER", b"k", b"1"],
        &[b"SRANDMEMBER", b"k", b"-3"],
        &[b"ZRANGE", b"k", b"0", b"-1", b"WITHSCORES"],
        &[b"ZRANGEBYLEX", b"k", b"-", b"+"],
        &[b"ZSCORE", b"k", b"1"],
        &[b"ZRANK", b"k", b"1"],
        &[b"HGETALL", b"k"],
        &[b"HGET", b"k", b"1"],
        &[b"HRANDFIELD", b"k", b"-3", b"WITHVALUES"],
        &[b"SCAN", b"0"],
        &[b"SSCAN", b"k", b"0"],
        &[b"HSCAN", b"k", b"0"],
        &[b"ZSCAN", b"k", b"0"],
        &[b"SORT", b"k", b"ALPHA"],
        &[b"COPY", b"k", b"c"],
    ] {
        run(&mut engine, id, &argv(cmd), &mut out);
    }
    let Some(Reply::Bulk(dump)) = run(&mut engine, id, &argv(&[b"DUMP", b"k"]), &mut out) else {
        panic!("DUMP of a restored key answered no payload");
    };
    let again = run(
        &mut engine,
        id,
        &argv(&[b"RESTORE", b"k2", b"0", &dump]),
        &mut out,
    );
    assert!(
        matches!(again, Some(Reply::Simple(_))),
        "the engine's own DUMP does not restore: {again:?}"
    );
    for cmd in [
        &[&b"RPUSH"[..], b"k", b"x"][..],
        &[b"SADD", b"k", b"x", b"2"],
        &[b"ZADD", b"k", b"1", b"x"],
        &[b"HSET", b"k", b"x", b"y"],
        &[b"APPEND", b"k", b"x"],
        &[b"DEL", b"k", b"k2", b"c"],
    ] {
        run(&mut engine, id, &argv(cmd), &mut out);
    }
    engine.disconnect(id);
}

/// Key names the command target's arguments may pick, holding every type
/// before the commands run.
const KEYS: &[&[u8]] = &[
    b"str", b"num", b"list", b"set", b"iset", b"zset", b"hash", b"none",
];

/// Arguments the command target may pick instead of raw bytes: the numbers
/// and tokens parsers treat specially.
const TOKENS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"2",
    b"10",
    b"-10",
    b"100",
    b"1.5",
    b"-0",
    b"inf",
    b"-inf",
    b"+inf",
    b"nan",
    b"(1",
    b"[a",
    b"-",
    b"+",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"4294967296",
    b"536870912",
    b"1048576",
    b"",
    b"*",
    b"a*",
    b"COUNT",
    b"LIMIT",
    b"WITHSCORES",
    b"MATCH",
    b"TYPE",
    b"NX",
    b"XX",
    b"GT",
    b"LT",
    b"CH",
    b"INCR",
    b"BYSCORE",
    b"BYLEX",
    b"REV",
    b"EX",
    b"PX",
    b"KEEPTTL",
    b"GET",
    b"IDX",
    b"LEN",
    b"WITHMATCHLEN",
    b"MINMATCHLEN",
    b"LEFT",
    b"RIGHT",
    b"BEFORE",
    b"AFTER",
    b"RANK",
    b"MAXLEN",
    b"WEIGHTS",
    b"AGGREGATE",
    b"MIN",
    b"MAX",
    b"SUM",
    b"ALPHA",
    b"STORE",
    b"BY",
    b"OVERFLOW",
    b"FAIL",
    b"SAT",
    b"WRAP",
    b"u8",
    b"i64",
    b"#1",
    b"REPLACE",
    b"ABSTTL",
];

/// Every command and subcommand in the table, as the words naming it.
fn command_names() -> Vec<Vec<&'static [u8]>> {
    let mut names = Vec::new();
    for group in crate::engine::COMMAND_GROUPS {
        for spec in *group {
            if spec.subcommands.is_empty() {
                names.push(vec![spec.name.as_bytes()]);
            }
            for sub in spec.subcommands {
                names.push(vec![spec.name.as_bytes(), sub.name.as_bytes()]);
            }
        }
    }
    names
}

/// Random arguments to every command in the table, on keys of every type.
/// `data` is a series of commands: two bytes pick the command (any command
/// or subcommand of the table), one byte the number of extra arguments
/// (0 to 7), and each argument is a byte `L` then: with bits 7 and 6 set, a
/// key name ([`KEYS`]); with bit 7 alone, a token ([`TOKENS`]: numbers at
/// their limits, option names); otherwise the next `L` bytes. Must never
/// panic, whatever the commands.
///
/// ```
/// mock_redis::fuzzing::commands(b"\x00\x05\x01\xc3");
/// ```
pub fn commands(data: &[u8]) {
    static NAMES: std::sync::OnceLock<Vec<Vec<&'static [u8]>>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(command_names);
    let mut engine = fuzz_engine(Config::default());
    let a = engine.connect("127.0.0.1:40000".into(), "127.0.0.1:6379".into());
    let b = engine.connect("127.0.0.1:40001".into(), "127.0.0.1:6379".into());
    let mut out = BytesMut::new();
    for setup in [
        &[&b"SET"[..], b"str", b"hello world"][..],
        &[b"SET", b"num", b"42"],
        &[b"RPUSH", b"list", b"a", b"b", b"1", b"c", b"a"],
        &[b"SADD", b"set", b"a", b"b", b"c"],
        &[b"SADD", b"iset", b"1", b"2", b"3"],
        &[b"ZADD", b"zset", b"1", b"a", b"2", b"b", b"2", b"c"],
        &[b"HSET", b"hash", b"f", b"v", b"g", b"1"],
    ] {
        run(&mut engine, a, &argv(setup), &mut out);
    }
    let mut rest = data;
    let mut turn = 0u64;
    while rest.len() >= 3 {
        let pick = u16::from_le_bytes([rest[0], rest[1]]) as usize % names.len();
        let extra = (rest[2] % 8) as usize;
        rest = &rest[3..];
        let mut args: Vec<Bytes> = names[pick].iter().map(|w| Bytes::from_static(w)).collect();
        for _ in 0..extra {
            let Some((&len, tail)) = rest.split_first() else {
                break;
            };
            rest = tail;
            let arg: &[u8] = if len & 0xc0 == 0xc0 {
                KEYS[(len & 0x3f) as usize % KEYS.len()]
            } else if len & 0x80 != 0 {
                TOKENS[(len & 0x7f) as usize % TOKENS.len()]
            } else {
                let n = (len as usize).min(rest.len());
                let (arg, tail) = rest.split_at(n);
                rest = tail;
                arg
            };
            args.push(Bytes::copy_from_slice(arg));
        }
        if huge_random_reply(&args) {
            continue;
        }
        let client = if turn % 2 == 0 { a } else { b };
        turn += 1;
        if run(&mut engine, client, &args, &mut out).is_none() {
            // QUIT, CLIENT KILL: the client is gone; the other one goes on.
            if engine.client(client).is_none() {
                break;
            }
        }
    }
    engine.disconnect(a);
    engine.disconnect(b);
}

/// SRANDMEMBER/ZRANDMEMBER/HRANDFIELD with a negative count answer that
/// many picks, as Redis does: past a million the reply alone outgrows the
/// fuzzer's memory limit, which measures nothing about the engine.
fn huge_random_reply(args: &[Bytes]) -> bool {
    let name = args[0].to_ascii_lowercase();
    matches!(&name[..], b"srandmember" | b"zrandmember" | b"hrandfield")
        && args
            .get(2)
            .and_then(|c| crate::protocol::string2ll(c))
            .is_some_and(|c| c < -1_000_000)
}

/// Lua scripting: a random script body run with EVAL (an instruction
/// budget ends loops), or a random reply converted to Lua and back, in
/// RESP2 and RESP3. The first byte picks the mode (see the crate's
/// `commands/scripting/mod.rs`); returns 1 when something ran.
///
/// ```
/// assert_eq!(mock_redis::fuzzing::lua(b"\x00return {1, 'a', {ok='x'}}"), 1);
/// assert_eq!(mock_redis::fuzzing::lua(b"\x00while true do end"), 1);
/// assert_eq!(mock_redis::fuzzing::lua(b"\x02\x0a\x03\x03\x02abc\x07\x01\x04\x00"), 1);
/// ```
#[cfg(feature = "scripting")]
pub fn lua(data: &[u8]) -> usize {
    crate::engine::commands::scripting::fuzz(data)
}
