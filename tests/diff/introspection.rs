//! Differential tests: MEMORY, SLOWLOG, LATENCY, ROLE, LOLWUT, OBJECT FREQ,
//! COMMAND GETKEYSANDFLAGS, the standalone answers (CLUSTER, READONLY,
//! REPLICAOF, FAILOVER, MODULE, CONFIG REWRITE), RESTORE-ASKING and the
//! DEBUG subcommands, against a real redis-server in RESP2 and RESP3 (see
//! tests/diff/script.rs). Timing-dependent figures are masked; MEMORY
//! USAGE is exact for the encodings Redis sizes deterministically and
//! within a tolerance for large hash tables (`memory_usage_of_large_values`).

use mock_redis::MockRedis;

use crate::support::Differ;
use crate::support::conn::RawConn;
use crate::support::resp::{aggregate_items, bulk_payload};

const SCRIPT: &str = r#"
## memory usage of strings
SET a 1
MEMORY USAGE a
SET s "hello world"
MEMORY USAGE s
SET e 12345678901234567890123456789012345678901234
MEMORY USAGE e
SET r 123456789012345678901234567890123456789012345
MEMORY USAGE r
SET big 123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890
MEMORY USAGE big
SET a-rather-long-key-name-that-needs-a-bigger-sds-header x
MEMORY USAGE a-rather-long-key-name-that-needs-a-bigger-sds-header
SET n -9223372036854775808
MEMORY USAGE n
MEMORY USAGE nokey
MEMORY USAGE a SAMPLES 0
MEMORY USAGE a SAMPLES 100
MEMORY USAGE a SAMPLES x
MEMORY USAGE a SAMPLES -1
MEMORY USAGE nokey SAMPLES -1
MEMORY USAGE a foo
MEMORY USAGE a SAMPLES
MEMORY USAGE

## memory usage of small aggregates
RPUSH l a b c 1 2 3 hello 1000000
MEMORY USAGE l
HSET h f v g w long-field-name-here 123456
MEMORY USAGE h
SADD si 1 2 3
MEMORY USAGE si
SADD sw 1 2 100000
MEMORY USAGE sw
SADD sb 1 2 10000000000
MEMORY USAGE sb
ZADD z 1 a 2 b 3.5 c
MEMORY USAGE z
XADD x 1-1 f v
MEMORY USAGE x
XADD x 1-2 f v2 g w
MEMORY USAGE x

## memory subcommands
MEMORY HELP
MEMORY DOCTOR
MEMORY PURGE
[type] MEMORY STATS
[type] MEMORY MALLOC-STATS
MEMORY NOSUCH
MEMORY STATS x
MEMORY DOCTOR x
MEMORY

## slowlog
// Off, so no command that happens to be slow on a loaded machine is logged.
CONFIG SET slowlog-log-slower-than -1
SLOWLOG HELP
SLOWLOG RESET
SLOWLOG LEN
SLOWLOG GET
SLOWLOG GET 5
SLOWLOG GET -1
SLOWLOG GET -2
SLOWLOG GET x
SLOWLOG GET 1 2
SLOWLOG LEN x
SLOWLOG NOSUCH
SLOWLOG
CONFIG SET slowlog-log-slower-than 10000

## latency with the monitor off
LATENCY RESET
LATENCY HELP
LATENCY LATEST
LATENCY HISTORY command
LATENCY DOCTOR
LATENCY GRAPH command
LATENCY RESET command nosuch
LATENCY NOSUCH
LATENCY HISTORY
LATENCY HISTOGRAM nosuchcommand
CONFIG RESETSTAT
LATENCY HISTOGRAM get
SET k v
GET k
[masked] LATENCY HISTOGRAM get set
[masked] LATENCY HISTOGRAM config|resetstat
[masked] LATENCY HISTOGRAM config

## latency events
// The monitor is on only around the sleep, so no other command, however
// slow on a loaded machine, records an event. The first reset's count is
// only typed: the other protocol's run may leave an event behind on a
// loaded machine.
[type] LATENCY RESET
CONFIG SET latency-monitor-threshold 10
DEBUG SLEEP 0.05
CONFIG SET latency-monitor-threshold 0
[masked] LATENCY LATEST
[masked] LATENCY HISTORY command
[type] LATENCY GRAPH command
[type] LATENCY DOCTOR
LATENCY RESET command
LATENCY LATEST
LATENCY DOCTOR
CONFIG SET latency-monitor-threshold 10000
LATENCY DOCTOR
CONFIG SET latency-monitor-threshold 0

## role and cluster
ROLE
ROLE x
READONLY
READWRITE
ASKING
CLUSTER INFO
CLUSTER HELP
CLUSTER KEYSLOT a
CLUSTER NODES
CLUSTER SLOTS
CLUSTER SHARDS
CLUSTER NOSUCH
CLUSTER
CLUSTER INFO x
CLUSTER SETSLOT 1

## replication, modules, persistence
REPLICAOF NO ONE
SLAVEOF no one
REPLICAOF 127.0.0.1 x
REPLICAOF 127.0.0.1 99999
REPLICAOF a
FAILOVER
FAILOVER ABORT
FAILOVER TO x
FAILOVER TO x 1
FAILOVER TIMEOUT x
FAILOVER TIMEOUT 0
FAILOVER TIMEOUT 10 TIMEOUT 10
FAILOVER FORCE
FAILOVER bogus
MODULE LIST
MODULE HELP
MODULE LOAD /no/such/module.so
MODULE LOADEX /no/such/module.so
MODULE UNLOAD nosuch
MODULE NOSUCH
MODULE LIST x
CONFIG REWRITE
CONFIG REWRITE x

## lolwut
LOLWUT
LOLWUT x y
LOLWUT VERSION 7
LOLWUT VERSION x
LOLWUT VERSION 1
[type] LOLWUT VERSION 5 1 1 1
[type] LOLWUT VERSION 6

## object freq
SET a 1
OBJECT FREQ a
OBJECT FREQ nokey
CONFIG SET maxmemory-policy allkeys-lfu
SET b hello
OBJECT FREQ b
GET b
OBJECT FREQ b
OBJECT FREQ nokey
CONFIG SET maxmemory-policy noeviction
OBJECT FREQ b

## command getkeysandflags
COMMAND GETKEYSANDFLAGS set a b
COMMAND GETKEYSANDFLAGS set a b nx get
COMMAND GETKEYSANDFLAGS bitfield a get u8 0 overflow wrap
COMMAND GETKEYSANDFLAGS bitfield a get u8 0 set u8 0 1
COMMAND GETKEYSANDFLAGS bitfield_ro a get u8 0
COMMAND GETKEYSANDFLAGS get a
COMMAND GETKEYSANDFLAGS lmove a b left right
COMMAND GETKEYSANDFLAGS sort a store b
COMMAND GETKEYSANDFLAGS sort a by x get y
COMMAND GETKEYSANDFLAGS eval "" 2 a b c
COMMAND GETKEYSANDFLAGS xread count 1 streams a b 0 0
COMMAND GETKEYSANDFLAGS georadius k 0 0 1 km store d storedist e
COMMAND GETKEYSANDFLAGS georadius k 0 0 1 km
COMMAND GETKEYSANDFLAGS zunionstore d 2 a b
COMMAND GETKEYSANDFLAGS mset a 1 b 2
COMMAND GETKEYSANDFLAGS object freq k
COMMAND GETKEYSANDFLAGS memory usage k
COMMAND GETKEYSANDFLAGS lmpop 2 a b left
COMMAND GETKEYSANDFLAGS blmpop 0 2 a b left
COMMAND GETKEYSANDFLAGS get
COMMAND GETKEYSANDFLAGS ping x
COMMAND GETKEYSANDFLAGS nosuch x
COMMAND GETKEYSANDFLAGS set a
COMMAND GETKEYSANDFLAGS

## restore-asking
SET a hello
RESTORE-ASKING b 0 "\x00\x05hello\x0a\x00\x11\xb2\xf2\x7a\x2f\x70\x42\xe3"
GET b
RESTORE-ASKING b 0 "\x00\x05hello\x0a\x00\x11\xb2\xf2\x7a\x2f\x70\x42\xe3"
RESTORE-ASKING c 0 bogus

## debug populate
DEBUG POPULATE 3
[sorted] KEYS *
GET key:0
DEBUG POPULATE 2 pre 5
GET pre:1
DEBUG POPULATE 1 z 10
GET z:0
DEBUG POPULATE 2 pre
DBSIZE
DEBUG POPULATE 0
DEBUG POPULATE x
DEBUG POPULATE -1
DEBUG POPULATE 1 p x
DEBUG POPULATE 1 p -2
DEBUG POPULATE 2 pre 5 extra
DEBUG POPULATE

## debug subcommands
DEBUG SET-ACTIVE-EXPIRE 0
DEBUG SET-ACTIVE-EXPIRE x
DEBUG SET-ACTIVE-EXPIRE 1
DEBUG SET-ACTIVE-EXPIRE
DEBUG CHANGE-REPL-ID
DEBUG QUICKLIST-PACKED-THRESHOLD 100
DEBUG QUICKLIST-PACKED-THRESHOLD 1gb
DEBUG QUICKLIST-PACKED-THRESHOLD x
DEBUG QUICKLIST-PACKED-THRESHOLD 5gb
DEBUG QUICKLIST-PACKED-THRESHOLD 0
RPUSH l a b
DEBUG LISTPACK l
HSET h f v
DEBUG LISTPACK h
ZADD z 1 a
DEBUG LISTPACK z
SET s x
DEBUG LISTPACK s
DEBUG LISTPACK nokey
DEBUG STRINGMATCH-LEN
DEBUG JMAP
DEBUG NOSUCH
DEBUG OBJECT nokey
[type] DEBUG OBJECT l
DEBUG SLEEP 0
"#;

#[tokio::test]
async fn introspection_commands() {
    // DEBUG as mock-redis allows it in a library: from local clients.
    crate::script::run_with(SCRIPT, &["--enable-debug-command", "local"]).await;
}

async fn usage(port: u16, key: &str, samples: &str) -> i64 {
    let mut conn = RawConn::open(port).await;
    let reply = conn.cmd(["MEMORY", "USAGE", key, "SAMPLES", samples]).await;
    String::from_utf8_lossy(&reply[1..reply.len() - 2])
        .parse()
        .unwrap_or_else(|_| panic!("MEMORY USAGE {key}: {}", String::from_utf8_lossy(&reply)))
}

/// Large values: quicklists of several nodes, hash tables, big sets,
/// skiplists and multi-node streams are within 10% of redis-server's
/// figure, in the order Redis ranks them.
#[tokio::test]
async fn memory_usage_of_large_values() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = MockRedis::start().await;
    for port in [differ.real_port(), mock.port()] {
        let mut conn = RawConn::open(port).await;
        for i in 0..2000 {
            let field = format!("field:{i}");
            // Same-sized elements: Redis samples in hash-table order.
            let value = format!("value-{i:05}-{}", "x".repeat(20));
            conn.cmd(["RPUSH", "list", &value]).await;
            conn.cmd(["HSET", "hash", &field, &value]).await;
            conn.cmd(["SADD", "set", &field]).await;
            conn.cmd(["ZADD", "zset", &i.to_string(), &field]).await;
            // Explicit IDs: with `*` the IDs (and so the stream's radix
            // tree and its size) depend on how many entries share a
            // millisecond, which differs between the two servers.
            let id = format!("{}-1", 1_700_000_000_000u64 + i);
            conn.cmd(["XADD", "stream", &id, "f", &value]).await;
        }
    }
    let keys = ["list", "hash", "set", "zset", "stream"];
    let mut real_sizes = Vec::new();
    let mut mock_sizes = Vec::new();
    for key in keys {
        for samples in ["5", "0"] {
            let real = usage(differ.real_port(), key, samples).await;
            let ours = usage(mock.port(), key, samples).await;
            let off = (ours - real).abs() as f64 / real as f64;
            eprintln!(
                "MEMORY USAGE {key} SAMPLES {samples}: redis {real}, mock {ours} ({:.1}%)",
                off * 100.0
            );
            // A skiplist node's size depends on its random level, so
            // redis-server's own figure from 5 sampled nodes varies run to
            // run (seen: 199,576 to 218,776 for the same zset).
            let bound = if key == "zset" && samples == "5" {
                0.15
            } else {
                0.10
            };
            assert!(
                off < bound,
                "MEMORY USAGE {key} SAMPLES {samples}: redis {real}, mock {ours}"
            );
            if samples == "0" {
                real_sizes.push((real, key));
                mock_sizes.push((ours, key));
            }
        }
    }
    real_sizes.sort();
    mock_sizes.sort();
    let order = |v: &[(i64, &'static str)]| v.iter().map(|(_, k)| *k).collect::<Vec<_>>();
    assert_eq!(
        order(&real_sizes),
        order(&mock_sizes),
        "the ranking --memkeys shows"
    );
}

/// A SLOWLOG entry's id frame, arguments and client name.
type Entry = (Vec<u8>, Vec<Vec<u8>>, Vec<u8>);

/// The SLOWLOG entries as both servers give them: id, arguments, client
/// name (the timestamp, duration and client address differ by nature).
fn entries(reply: &[u8]) -> Vec<Entry> {
    aggregate_items(reply)
        .expect("SLOWLOG GET")
        .into_iter()
        .map(|entry| {
            let items = aggregate_items(entry).expect("an entry");
            assert_eq!(items.len(), 6);
            for i in [1, 2] {
                assert_eq!(items[i][0], b':', "timestamp and duration are integers");
            }
            let args = aggregate_items(items[3])
                .expect("arguments")
                .into_iter()
                .map(|a| bulk_payload(a).expect("a bulk").to_vec())
                .collect();
            let addr = bulk_payload(items[4]).expect("addr");
            assert!(
                addr.starts_with(b"127.0.0.1:"),
                "{}",
                String::from_utf8_lossy(addr)
            );
            (
                items[0].to_vec(),
                args,
                bulk_payload(items[5]).expect("name").to_vec(),
            )
        })
        .collect()
}

/// With `slowlog-log-slower-than 0` every command is logged, arguments
/// trimmed as Redis trims them; `slowlog-max-len` bounds the log; a
/// negative threshold disables it; SLOWLOG and CONFIG entries included.
#[tokio::test]
async fn slowlog_entries_equal_redis() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = MockRedis::start().await;
    let long = "x".repeat(200);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut replies = Vec::new();
    for port in [differ.real_port(), mock.port()] {
        for resp3 in [false, true] {
            let mut conn = RawConn::open(port).await;
            if resp3 {
                conn.cmd(["HELLO", "3"]).await;
            }
            conn.cmd(["CONFIG", "SET", "slowlog-log-slower-than", "-1"])
                .await;
            conn.cmd(["CLIENT", "SETNAME", "tester"]).await;
            conn.cmd(["CONFIG", "SET", "slowlog-log-slower-than", "0"])
                .await;
            conn.cmd(["SLOWLOG", "RESET"]).await;
            conn.cmd(["SET", "k", &long]).await;
            let mut sadd = vec!["SADD", "s"];
            sadd.extend(many.iter().map(String::as_str));
            conn.cmd(&sadd).await;
            conn.cmd(["GET", "k"]).await;
            // The script's GET is logged too, before the EVAL.
            conn.cmd(["EVAL", "return redis.call('GET', 'k')", "0"])
                .await;
            conn.cmd(["CONFIG", "SET", "slowlog-max-len", "3"]).await;
            conn.cmd(["PING"]).await;
            let got = conn.cmd(["SLOWLOG", "GET", "-1"]).await;
            let len = conn.cmd(["SLOWLOG", "LEN"]).await;
            conn.cmd(["CONFIG", "SET", "slowlog-log-slower-than", "-1"])
                .await;
            conn.cmd(["GET", "k"]).await;
            let after = conn.cmd(["SLOWLOG", "GET", "1"]).await;
            conn.cmd(["CONFIG", "SET", "slowlog-log-slower-than", "10000"])
                .await;
            conn.cmd(["CONFIG", "SET", "slowlog-max-len", "128"]).await;
            replies.push((entries(&got), len, entries(&after)));
        }
    }
    let (redis, mock) = replies.split_at(2);
    for (r, m) in redis.iter().zip(mock) {
        assert_eq!(r, m, "redis (left), mock (right)");
    }
    let (got, len, _) = &redis[0];
    assert_eq!(len, b":3\r\n");
    assert_eq!(got[0].1, [b"PING".to_vec()]);
}
