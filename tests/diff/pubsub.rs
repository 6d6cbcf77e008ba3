//! Differential tests for pub/sub, keyspace notifications and the blocking
//! commands, byte for byte against a real redis-server:
//!
//! * single-connection scripts through the shared harness (RESP2 and
//!   RESP3): SUBSCRIBE/UNSUBSCRIBE confirmations, subscribed-mode errors,
//!   PUBSUB introspection, argument errors, non-blocking paths;
//! * multi-connection scripts: the same sequence of raw-socket actions is
//!   played against both servers (every connection in RESP2, then every
//!   connection after `HELLO 3`) and everything each connection receives is
//!   compared: serving order of blocked clients, BLMOVE chains, MULTI/EXEC,
//!   message fan-out, keyspace events, disconnects while blocked.

use std::time::Duration;

use crate::support::{Differ, case, frame_len, multibulk};
use mock_redis::MockRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn args(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

// --- single connection --------------------------------------------------------

#[tokio::test]
async fn single_connection_cases() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let cases = vec![
        case("subscribe and unsubscribe confirmations")
            .raw(&multibulk(args("SUBSCRIBE a b c")), 3)
            .raw(&multibulk(args("SUBSCRIBE a")), 1)
            .raw(&multibulk(args("UNSUBSCRIBE b x")), 2)
            .raw(&multibulk(args("PSUBSCRIBE p* q?")), 2)
            .raw(&multibulk(args("PUNSUBSCRIBE q?")), 1)
            .raw(&multibulk(args("PUNSUBSCRIBE")), 1)
            .raw(&multibulk(args("UNSUBSCRIBE a")), 1)
            .raw(&multibulk(args("UNSUBSCRIBE c")), 1)
            .raw(&multibulk(args("UNSUBSCRIBE")), 1)
            .raw(&multibulk(args("PUNSUBSCRIBE")), 1)
            .raw(&multibulk(args("SUNSUBSCRIBE")), 1)
            .cmd(["GET", "k"]),
        case("unsubscribe with nothing subscribed")
            .raw(&multibulk(args("UNSUBSCRIBE")), 1)
            .raw(&multibulk(args("UNSUBSCRIBE x y")), 2)
            .raw(&multibulk(args("PUNSUBSCRIBE x")), 1)
            .raw(&multibulk(args("SUNSUBSCRIBE x")), 1)
            .cmd(["PING"]),
        case("subscribed mode restrictions")
            .raw(&multibulk(args("SUBSCRIBE ch")), 1)
            .cmd(["GET", "k"])
            .cmd(["SET", "k", "v"])
            .cmd(["PING"])
            .cmd(["PING", "hello"])
            .cmd(["ECHO", "x"])
            .cmd(["CONFIG", "GET", "maxmemory"])
            .cmd(["PUBSUB", "NUMSUB", "ch"])
            .cmd(["PUBLISH", "ch", "m"])
            .cmd(["MULTI"])
            .cmd(["EXEC"])
            .cmd(["nosuch"])
            .cmd(["GET"])
            .raw(&multibulk(args("UNSUBSCRIBE")), 1)
            .cmd(["GET", "k"]),
        case("shard subscriptions count apart")
            .raw(&multibulk(args("SSUBSCRIBE s1 s2")), 2)
            .raw(&multibulk(args("SUBSCRIBE c")), 1)
            .raw(&multibulk(args("SUNSUBSCRIBE s1")), 1)
            .raw(&multibulk(args("UNSUBSCRIBE")), 1)
            .cmd(["GET", "k"])
            .raw(&multibulk(args("SUNSUBSCRIBE")), 1)
            .cmd(["GET", "k"]),
        case("reset and quit in subscribed mode")
            .raw(&multibulk(args("SUBSCRIBE a")), 1)
            .raw(&multibulk(args("PSUBSCRIBE b*")), 1)
            .cmd(["RESET"])
            .cmd(["GET", "k"])
            .raw(&multibulk(args("SUBSCRIBE a")), 1)
            .cmd(["QUIT"]),
        case("pubsub introspection")
            .cmd(["PUBSUB", "NUMSUB"])
            .cmd(["PUBSUB", "NUMSUB", "a", "b"])
            .cmd(["PUBSUB", "NUMPAT"])
            .cmd(["PUBSUB", "CHANNELS"])
            .cmd(["PUBSUB", "CHANNELS", "*"])
            .cmd(["PUBSUB", "CHANNELS", "a", "b"])
            .cmd(["PUBSUB", "SHARDCHANNELS"])
            .cmd(["PUBSUB", "SHARDCHANNELS", "a", "b"])
            .cmd(["PUBSUB", "SHARDNUMSUB", "a"])
            .cmd(["PUBSUB", "NUMPAT", "x"])
            .cmd(["PUBSUB", "HELP"])
            .cmd(["PUBSUB", "bogus"])
            .cmd(["PUBSUB"])
            .cmd(["PUBLISH", "ch", "m"])
            .cmd(["SPUBLISH", "ch", "m"])
            .cmd(["PUBLISH", "ch"])
            .cmd(["SUBSCRIBE"])
            .cmd(["PSUBSCRIBE"])
            .cmd(["SSUBSCRIBE"]),
        case("blocking commands: timeout argument errors")
            .cmd(["BLPOP", "k", "x"])
            .cmd(["BLPOP", "k", "-1"])
            .cmd(["BLPOP", "k", "-0.5"])
            .cmd(["BLPOP", "k", "1e30"])
            .cmd(["BLPOP", "k", "inf"])
            .cmd(["BLPOP", "k", "nan"])
            .cmd(["BLPOP", "k", ""])
            .cmd(["BLPOP", "k", " 1"])
            .cmd(["BRPOP", "k", "1x"])
            .cmd(["BZPOPMIN", "k", "-1"])
            .cmd(["BZPOPMAX", "k", "abc"])
            .cmd(["BLMOVE", "a", "b", "LEFT", "RIGHT", "-1"])
            .cmd(["BLMOVE", "a", "b", "UP", "RIGHT", "x"])
            .cmd(["BRPOPLPUSH", "a", "b", "x"])
            .cmd(["BLMPOP", "x", "0", "k", "LEFT"])
            .cmd(["BLMPOP", "x", "1", "k", "LEFT"])
            .cmd(["BLMPOP", "0", "2", "k", "LEFT"])
            .cmd(["BLMPOP", "0", "1", "k", "UP"])
            .cmd(["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"])
            .cmd(["BZMPOP", "x", "1", "k", "MIN"])
            .cmd(["BZMPOP", "0", "1", "k", "MIDDLE"])
            .cmd(["BZMPOP", "0", "1", "k", "MIN", "COUNT", "-1"])
            .cmd(["BLPOP", "k"])
            .cmd(["BLMOVE", "a", "b", "LEFT", "RIGHT"]),
        case("blocking commands: data already there")
            .cmd(["RPUSH", "l", "a", "b", "c", "d", "e"])
            .cmd(["BLPOP", "missing", "l", "0"])
            .cmd(["BRPOP", "l", "0"])
            .cmd(["BLMOVE", "l", "m", "LEFT", "LEFT", "0"])
            .cmd(["BRPOPLPUSH", "l", "m", "0"])
            .cmd(["BLMPOP", "0", "2", "missing", "l", "RIGHT", "COUNT", "5"])
            .cmd(["LRANGE", "m", "0", "-1"])
            .cmd(["EXISTS", "l"])
            .cmd(["ZADD", "z", "1", "a", "2.5", "b", "3", "c", "inf", "d"])
            .cmd(["BZPOPMIN", "missing", "z", "0"])
            .cmd(["BZPOPMAX", "z", "0"])
            .cmd(["BZMPOP", "0", "1", "z", "MIN", "COUNT", "10"])
            .cmd(["EXISTS", "z"]),
        case("blocking commands: wrong types")
            .cmd(["SET", "s", "v"])
            .cmd(["BLPOP", "missing", "s", "0"])
            .cmd(["BRPOP", "s", "0"])
            .cmd(["BLMOVE", "s", "d", "LEFT", "LEFT", "0"])
            .cmd(["RPUSH", "l", "x"])
            .cmd(["BLMOVE", "l", "s", "LEFT", "LEFT", "0"])
            .cmd(["LRANGE", "l", "0", "-1"])
            .cmd(["BLMPOP", "0", "2", "missing", "s", "LEFT"])
            .cmd(["BZPOPMIN", "s", "0"])
            .cmd(["BZMPOP", "0", "1", "s", "MAX"])
            .cmd(["BZPOPMIN", "l", "0"]),
        case("blocking commands inside MULTI answer at once")
            .cmd(["SET", "s", "v"])
            .cmd(["MULTI"])
            .cmd(["BLPOP", "nl", "0"])
            .cmd(["BRPOP", "nl", "nl2", "0"])
            .cmd(["BLMOVE", "nl", "x", "LEFT", "LEFT", "0"])
            .cmd(["BRPOPLPUSH", "nl", "s", "0"])
            .cmd(["BLMPOP", "0", "1", "nl", "LEFT"])
            .cmd(["BZPOPMIN", "nz", "0"])
            .cmd(["BZPOPMAX", "nz", "0"])
            .cmd(["BZMPOP", "0", "1", "nz", "MIN"])
            .cmd(["BLPOP", "nl", "-1"])
            .cmd(["EXEC"]),
        case("blocking commands time out")
            .cmd(["BLPOP", "nl", "0.01"])
            .cmd(["BLMOVE", "nl", "x", "LEFT", "LEFT", "0.01"])
            .cmd(["BRPOPLPUSH", "nl", "x", "0.01"])
            .cmd(["BLMPOP", "0.01", "1", "nl", "LEFT"])
            .cmd(["BZPOPMIN", "nz", "0.01"])
            .cmd(["BZMPOP", "0.01", "1", "nz", "MAX"])
            .cmd(["BLPOP", "nl", "0.0001"])
            .cmd(["PING"]),
        case("pipelined requests wait behind a blocked command").raw(
            &[
                multibulk(args("BLPOP nl 0.05")),
                multibulk(args("RPUSH nl x")),
                multibulk(args("LRANGE nl 0 -1")),
            ]
            .concat(),
            3,
        ),
        case("PUBLISH to itself in RESP3, events in the same connection")
            .cmd(["CONFIG", "SET", "notify-keyspace-events", "KEA"])
            .cmd(["CONFIG", "GET", "notify-keyspace-events"])
            .cmd(["CONFIG", "SET", "notify-keyspace-events", "Ex"])
            .cmd(["CONFIG", "GET", "notify-keyspace-events"])
            .cmd(["CONFIG", "SET", "notify-keyspace-events", "gK"])
            .cmd(["CONFIG", "GET", "notify-keyspace-events"])
            .cmd(["CONFIG", "SET", "notify-keyspace-events", "Z"])
            .cmd(["CONFIG", "SET", "notify-keyspace-events", ""])
            .cmd(["CONFIG", "GET", "notify-keyspace-events"]),
    ];
    differ.check(&cases).await;
}

// --- several connections ------------------------------------------------------

/// One action of a multi-connection script.
#[derive(Clone, Debug)]
enum Act {
    /// Send a command on connection `n` (then give the server a moment, so
    /// actions on different connections happen in script order).
    Send(usize, &'static str),
    /// Read `k` replies from connection `n`.
    Read(usize, usize),
    /// Read whatever connection `n` receives within a short while.
    Drain(usize),
    /// Close connection `n`.
    Close(usize),
    /// Wait.
    Sleep(u64),
}

use Act::*;

const SETTLE: Duration = Duration::from_millis(40);

async fn play(port: u16, conns: usize, script: &[Act], resp3: bool) -> Vec<String> {
    let mut streams = Vec::new();
    let mut bufs = vec![Vec::new(); conns];
    for _ in 0..conns {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        if resp3 {
            s.write_all(&multibulk(["HELLO", "3"])).await.unwrap();
        }
        streams.push(Some(s));
    }
    if resp3 {
        for (i, s) in streams.iter_mut().enumerate() {
            let _ = read_frames(s.as_mut().unwrap(), &mut bufs[i], 1, Duration::from_secs(2)).await;
        }
    }
    let mut log = Vec::new();
    for act in script {
        match act {
            Send(n, line) => {
                let s = streams[*n].as_mut().expect("open connection");
                s.write_all(&multibulk(line.split(' '))).await.unwrap();
                tokio::time::sleep(SETTLE).await;
            }
            Read(n, k) => {
                let s = streams[*n].as_mut().expect("open connection");
                for f in read_frames(s, &mut bufs[*n], *k, Duration::from_secs(2)).await {
                    log.push(format!("c{n}: {f}"));
                }
            }
            Drain(n) => {
                let s = streams[*n].as_mut().expect("open connection");
                for f in read_frames(s, &mut bufs[*n], usize::MAX, SETTLE * 3).await {
                    log.push(format!("c{n}: {f}"));
                }
            }
            Close(n) => {
                streams[*n] = None;
                tokio::time::sleep(SETTLE).await;
            }
            Sleep(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        }
    }
    // Nothing else may be pending on any connection.
    for (n, s) in streams.iter_mut().enumerate() {
        if let Some(s) = s {
            for f in read_frames(s, &mut bufs[n], usize::MAX, SETTLE).await {
                log.push(format!("c{n} (unread): {f}"));
            }
        }
    }
    log
}

/// Reads up to `k` frames, waiting at most `wait` for each.
async fn read_frames(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    k: usize,
    wait: Duration,
) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < k {
        if let Some(len) = frame_len(buf) {
            let frame: Vec<u8> = buf.drain(..len).collect();
            out.push(frame.escape_ascii().to_string());
            continue;
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(wait, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                out.push("<closed>".into());
                break;
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {
                if k != usize::MAX {
                    out.push("<no reply>".into());
                }
                break;
            }
        }
    }
    out
}

async fn flush_real(port: u16) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&multibulk(["FLUSHALL"])).await.unwrap();
    s.write_all(&multibulk(["CONFIG", "SET", "notify-keyspace-events", ""]))
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = read_frames(&mut s, &mut buf, 2, Duration::from_secs(2)).await;
}

/// Plays every script on both servers in both protocols and panics with
/// every difference.
async fn compare(scripts: &[(&str, usize, Vec<Act>)]) {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut failures = Vec::new();
    let mut frames = 0;
    for (name, conns, script) in scripts {
        for resp3 in [false, true] {
            flush_real(differ.real_port()).await;
            let mock = MockRedis::start().await;
            let expected = play(differ.real_port(), *conns, script, resp3).await;
            let actual = play(mock.port(), *conns, script, resp3).await;
            mock.shutdown().await;
            frames += expected.len();
            if expected != actual {
                failures.push(format!(
                    "script {name:?} ({}):\n  redis: {expected:#?}\n  mock:  {actual:#?}",
                    if resp3 { "RESP3" } else { "RESP2" }
                ));
            }
        }
    }
    eprintln!(
        "multi-connection differential: {} scripts x 2 protocols, {frames} frames compared, {} runs differ",
        scripts.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn multi_connection_scripts() {
    let scripts: Vec<(&str, usize, Vec<Act>)> = vec![
        (
            "FIFO serving across three blocked clients",
            4,
            vec![
                Send(0, "BLPOP q 0"),
                Send(1, "BRPOP q other 0"),
                Send(2, "BLMPOP 0 1 q LEFT COUNT 2"),
                Drain(0),
                Send(3, "RPUSH q a b c d e"),
                Read(3, 1),
                Read(0, 1),
                Read(1, 1),
                Read(2, 1),
                Send(3, "LRANGE q 0 -1"),
                Read(3, 1),
            ],
        ),
        (
            "a waiter on two keys is served by the second",
            2,
            vec![
                Send(0, "BLPOP k1 k2 0"),
                Send(1, "RPUSH k2 x y"),
                Read(1, 1),
                Read(0, 1),
                Send(1, "LRANGE k2 0 -1"),
                Read(1, 1),
            ],
        ),
        (
            "BLMOVE chain",
            4,
            vec![
                Send(0, "BLMOVE a b LEFT RIGHT 0"),
                Send(1, "BRPOPLPUSH b c 0"),
                Send(2, "BLMPOP 0 1 c RIGHT"),
                Send(3, "RPUSH a x"),
                Read(3, 1),
                Read(0, 1),
                Read(1, 1),
                Read(2, 1),
                Send(3, "KEYS *"),
                Read(3, 1),
            ],
        ),
        (
            "BLMOVE onto a list that grows its own waiters",
            3,
            vec![
                Send(0, "BLMOVE src src RIGHT LEFT 0"),
                Send(1, "BLPOP src 0"),
                Send(2, "RPUSH src 1 2"),
                Read(2, 1),
                Read(0, 1),
                Read(1, 1),
                Send(2, "LRANGE src 0 -1"),
                Read(2, 1),
            ],
        ),
        (
            "BLMOVE to a destination of the wrong type",
            2,
            vec![
                Send(1, "SET str v"),
                Read(1, 1),
                Send(0, "BLMOVE src str LEFT LEFT 0"),
                Send(1, "RPUSH src x"),
                Read(1, 1),
                Read(0, 1),
                Send(1, "LRANGE src 0 -1"),
                Read(1, 1),
            ],
        ),
        (
            "a push inside MULTI/EXEC serves after EXEC",
            2,
            vec![
                Send(0, "BLPOP l 0"),
                Send(1, "MULTI"),
                Send(1, "RPUSH l 1 2"),
                Send(1, "LRANGE l 0 -1"),
                Send(1, "LPOP l"),
                Send(1, "EXEC"),
                Read(1, 5),
                Read(0, 1),
                Send(1, "LRANGE l 0 -1"),
                Read(1, 1),
            ],
        ),
        (
            "a key emptied in the same transaction serves nobody",
            2,
            vec![
                Send(0, "BLPOP l 0"),
                Send(1, "MULTI"),
                Send(1, "RPUSH l 1"),
                Send(1, "DEL l"),
                Send(1, "EXEC"),
                Read(1, 4),
                Drain(0),
                Send(1, "RPUSH l 2"),
                Read(1, 1),
                Read(0, 1),
            ],
        ),
        (
            "sorted-set and list waiters on one key",
            3,
            vec![
                Send(0, "BZPOPMIN k 0"),
                Send(1, "BLPOP k 0"),
                Send(2, "RPUSH k a"),
                Read(2, 1),
                Read(1, 1),
                Send(2, "ZADD k 1 m 2 n"),
                Read(2, 1),
                Read(0, 1),
                Send(2, "ZRANGE k 0 -1 WITHSCORES"),
                Read(2, 1),
            ],
        ),
        (
            "BZMPOP and BZPOPMAX waiters",
            3,
            vec![
                Send(0, "BZMPOP 0 2 z1 z2 MAX COUNT 2"),
                Send(1, "BZPOPMAX z2 0"),
                Send(2, "ZADD z2 1 a 2 b 3 c"),
                Read(2, 1),
                Read(0, 1),
                Read(1, 1),
            ],
        ),
        (
            "a client disconnecting while blocked leaves nothing behind",
            2,
            vec![
                Send(0, "BLPOP k 0"),
                Close(0),
                Send(1, "RPUSH k v"),
                Read(1, 1),
                Send(1, "LRANGE k 0 -1"),
                Read(1, 1),
            ],
        ),
        (
            "requests pipelined behind a blocked command wait",
            2,
            vec![
                Send(0, "BLPOP k 0"),
                Send(0, "GET x"),
                Drain(0),
                Send(1, "SET x 1"),
                Send(1, "RPUSH k v"),
                Read(1, 2),
                Read(0, 2),
            ],
        ),
        (
            "messages fan out to channels and patterns",
            4,
            // One pattern per client: Redis walks its pattern table in hash
            // order (seeded per process), so two matching patterns on one
            // client arrive in an order that varies between runs.
            vec![
                Send(0, "SUBSCRIBE news"),
                Send(1, "PSUBSCRIBE n*"),
                Send(2, "SUBSCRIBE news"),
                Send(2, "PSUBSCRIBE *s"),
                Read(0, 1),
                Read(1, 1),
                Read(2, 2),
                Send(3, "PUBLISH news hello"),
                Read(3, 1),
                Read(0, 1),
                Read(1, 1),
                Read(2, 2),
                Send(3, "PUBSUB NUMSUB news nope"),
                Send(3, "PUBSUB NUMPAT"),
                Send(3, "PUBSUB CHANNELS n*"),
                Read(3, 3),
                Send(3, "PUBLISH other x"),
                Read(3, 1),
                Drain(1),
                Send(0, "UNSUBSCRIBE news"),
                Read(0, 1),
                Send(3, "PUBLISH news again"),
                Read(3, 1),
                Read(1, 1),
                Read(2, 2),
                Close(2),
                Send(3, "PUBSUB NUMSUB news"),
                Send(3, "PUBSUB NUMPAT"),
                Read(3, 2),
            ],
        ),
        (
            "shard channels",
            3,
            vec![
                Send(0, "SSUBSCRIBE orders"),
                Send(1, "SUBSCRIBE orders"),
                Read(0, 1),
                Read(1, 1),
                Send(2, "SPUBLISH orders o1"),
                Read(2, 1),
                Read(0, 1),
                Send(2, "PUBLISH orders o2"),
                Read(2, 1),
                Read(1, 1),
                Send(2, "PUBSUB SHARDNUMSUB orders"),
                Send(2, "PUBSUB SHARDCHANNELS"),
                Read(2, 2),
            ],
        ),
        (
            "new-key events with A and n",
            2,
            vec![
                Send(1, "CONFIG SET notify-keyspace-events AnK"),
                Send(1, "CONFIG GET notify-keyspace-events"),
                Read(1, 2),
                Send(0, "PSUBSCRIBE __keyspace@0__:*"),
                Read(0, 1),
                Send(1, "SET fresh v"),
                Send(1, "SET fresh w"),
                Send(1, "RPUSH fl a"),
                Read(1, 3),
                Read(0, 5),
            ],
        ),
        (
            "keyspace events and PUBLISH inside MULTI keep their order",
            2,
            vec![
                Send(1, "CONFIG SET notify-keyspace-events KEA"),
                Read(1, 1),
                Send(0, "PSUBSCRIBE *"),
                Read(0, 1),
                Send(1, "MULTI"),
                Send(1, "SET k1 v"),
                Send(1, "PUBLISH ch m"),
                Send(1, "DEL k1"),
                Send(1, "EXEC"),
                Read(1, 5),
                Read(0, 5),
            ],
        ),
        (
            "keyspace notifications, blocked clients included",
            3,
            vec![
                Send(2, "CONFIG SET notify-keyspace-events KEA"),
                Read(2, 1),
                Send(0, "PSUBSCRIBE __key*"),
                Read(0, 1),
                Send(1, "BLPOP q 0"),
                Send(2, "SET k v"),
                Send(2, "EXPIRE k 100"),
                Send(2, "RENAME k k2"),
                Send(2, "DEL k2"),
                Send(2, "RPUSH q x y"),
                Send(2, "HSET h f v"),
                Send(2, "SADD s m"),
                Send(2, "ZADD z 1 m"),
                Send(2, "INCRBYFLOAT n 1.5"),
                Send(2, "SET e v PX 1"),
                Sleep(150),
                Send(2, "GET e"),
                Read(2, 12),
                Read(1, 1),
                Drain(0),
                Send(2, "CONFIG SET notify-keyspace-events Elg"),
                Send(2, "LPUSH q2 a"),
                Send(2, "DEL q2 nothing"),
                Send(2, "SET quiet v"),
                Read(2, 4),
                Drain(0),
                Send(2, "CONFIG SET notify-keyspace-events g"),
                Read(2, 1),
            ],
        ),
    ];
    compare(&scripts).await;
}
