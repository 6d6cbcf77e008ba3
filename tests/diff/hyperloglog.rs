//! Differential tests: HyperLogLog commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3. HyperLogLogs are strings in Redis's
//! own representation, so every GET of one (sparse, dense, with the
//! cardinality PFCOUNT caches in its header) is compared too.

use crate::support::{Case, Differ, case, script};

/// `n` distinct elements starting at `from`, as owned arguments.
fn elements(prefix: &str, from: usize, n: usize) -> Vec<String> {
    (from..from + n).map(|i| format!("{prefix}{i}")).collect()
}

fn with_args(c: Case, head: &[&str], tail: &[String]) -> Case {
    let mut args: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    args.extend(tail.iter().cloned());
    c.cmd(args)
}

#[tokio::test]
async fn pfadd_pfcount_get_across_promotion() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut c = case("pfadd batches from sparse to dense")
        .cmd(["PFADD", "h"])
        .cmd(["GET", "h"])
        .cmd(["PFCOUNT", "h"])
        .cmd(["GET", "h"])
        .cmd(["PFADD", "h"])
        .cmd(["PFDEBUG", "ENCODING", "h"]);
    // 0..20000 in batches of 500: sparse for the first few, then dense.
    for batch in 0..40 {
        c = with_args(c, &["PFADD", "h"], &elements("e", batch * 500, 500))
            .cmd(["GET", "h"])
            .cmd(["PFCOUNT", "h"])
            .cmd(["GET", "h"]);
        if batch < 4 {
            c = c.cmd(["PFDEBUG", "DECODE", "h"]);
        }
        c = c.cmd(["PFDEBUG", "ENCODING", "h"]);
    }
    c = c
        .cmd(["PFADD", "h", "e1", "e2"])
        .cmd(["OBJECT", "ENCODING", "h"]);
    let small = case("small counts, one element at a time")
        .cmd(["PFADD", "s", "a"])
        .cmd(["PFCOUNT", "s"])
        .cmd(["PFADD", "s", "a"])
        .cmd(["PFADD", "s", "b", "c", "d", "a"])
        .cmd(["GET", "s"])
        .cmd(["PFCOUNT", "s"])
        .cmd(["PFCOUNT", "s"])
        .cmd(["GET", "s"])
        .cmd([
            "PFADD",
            "s",
            "",
            "\0",
            "\r\n",
            "x\0y",
            "a long element of more than eight bytes",
        ])
        .cmd(["GET", "s"])
        .cmd(["PFCOUNT", "missing"])
        .cmd(["PFDEBUG", "DECODE", "s"])
        .cmd(["OBJECT", "ENCODING", "s"]);
    let sparse_limit = with_args(
        case("hll-sparse-max-bytes decides the promotion").cmd([
            "CONFIG",
            "SET",
            "hll-sparse-max-bytes",
            "60",
        ]),
        &["PFADD", "t"],
        &elements("", 0, 30),
    )
    .cmd(["GET", "t"])
    .cmd(["PFDEBUG", "ENCODING", "t"])
    .cmd(["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    let sparse_limit = with_args(sparse_limit, &["PFADD", "u"], &elements("", 0, 30))
        .cmd(["PFDEBUG", "ENCODING", "u"])
        .cmd(["GET", "u"]);
    differ.check(&[c, small, sparse_limit]).await;
}

#[tokio::test]
async fn pfmerge_and_multi_key_pfcount() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let setup = |name: &str| {
        let c = with_args(case(name), &["PFADD", "sparse1"], &elements("a", 0, 40));
        let c = with_args(c, &["PFADD", "sparse2"], &elements("b", 0, 200));
        with_args(c, &["PFADD", "dense"], &elements("c", 0, 5000))
    };
    differ
        .check(&[
            setup("merge sparse into a new key")
                .cmd(["PFMERGE", "m", "sparse1", "sparse2"])
                .cmd(["GET", "m"])
                .cmd(["PFCOUNT", "m"])
                .cmd(["PFDEBUG", "ENCODING", "m"])
                .cmd(["PFMERGE", "m", "sparse1"])
                .cmd(["GET", "m"]),
            setup("merge with a dense source turns the destination dense")
                .cmd(["PFMERGE", "sparse1", "dense"])
                .cmd(["PFDEBUG", "ENCODING", "sparse1"])
                .cmd(["GET", "sparse1"])
                .cmd(["PFCOUNT", "sparse1"])
                .cmd(["PFMERGE", "new", "sparse2", "missing", "dense"])
                .cmd(["GET", "new"]),
            setup("merge edge cases")
                .cmd(["PFMERGE", "only"])
                .cmd(["GET", "only"])
                .cmd(["PFMERGE", "sparse2"])
                .cmd(["GET", "sparse2"])
                .cmd(["PFMERGE", "m", "missing1", "missing2"])
                .cmd(["GET", "m"])
                .cmd(["EXISTS", "missing1"]),
            setup("pfcount over several keys")
                .cmd(["PFCOUNT", "sparse1", "sparse2"])
                .cmd(["PFCOUNT", "sparse1", "sparse2", "dense", "missing"])
                .cmd(["PFCOUNT", "missing", "missing2"])
                .cmd(["PFCOUNT", "dense", "dense"])
                .cmd(["GET", "sparse1"]),
        ])
        .await;
}

/// A sparse header: `HYLL`, encoding 1, three zero bytes, a stale cache.
const SPARSE_HDR: &[u8] = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80";

/// `SET key value` with a binary value.
fn set(key: &str, value: &[u8]) -> Vec<Vec<u8>> {
    vec![b"SET".to_vec(), key.as_bytes().to_vec(), value.to_vec()]
}

fn hll(body: &[u8]) -> Vec<u8> {
    [SPARSE_HDR, body].concat()
}

#[tokio::test]
async fn corrupted_and_foreign_values() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut dense_wrong_len = b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    dense_wrong_len.extend_from_slice(&[0; 10]);
    let mut valid_cache = hll(b"\x7f\xff");
    valid_cache[8] = 42;
    valid_cache[15] = 0;
    differ
        .check(&[
            case("strings that are not HyperLogLogs")
                .cmd(["SET", "str", "hello"])
                .cmd(["PFADD", "str", "a"])
                .cmd(["PFCOUNT", "str"])
                .cmd(["PFCOUNT", "str", "other"])
                .cmd(["PFMERGE", "d", "str"])
                .cmd(["PFMERGE", "str", "other"])
                .cmd(["PFDEBUG", "GETREG", "str"])
                .cmd(["SET", "int", "12345"])
                .cmd(["PFADD", "int", "a"])
                .cmd(["SET", "magic", "HYLL"])
                .cmd(["PFCOUNT", "magic"])
                .cmd(set(
                    "enc",
                    b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff",
                ))
                .cmd(["PFCOUNT", "enc"])
                .cmd(set("dense", &dense_wrong_len))
                .cmd(["PFCOUNT", "dense"])
                .cmd(["GET", "str"]),
            case("other types")
                .cmd(["LPUSH", "l", "a"])
                .cmd(["PFADD", "l", "a"])
                .cmd(["PFCOUNT", "l"])
                .cmd(["PFCOUNT", "l", "x"])
                .cmd(["PFMERGE", "l", "x"])
                .cmd(["PFMERGE", "x", "l"])
                .cmd(["PFDEBUG", "ENCODING", "l"])
                .cmd(["EXISTS", "x"]),
            case("corrupted sparse codes")
                // Registers short of 16384.
                .cmd(set("short", &hll(b"\x7f\xfe")))
                .cmd(["PFCOUNT", "short"])
                .cmd(["PFCOUNT", "short", "short"])
                .cmd(["PFADD", "short", "a", "b", "c"])
                .cmd(["GET", "short"])
                .cmd(["PFMERGE", "m", "short"])
                .cmd(["PFDEBUG", "TODENSE", "short"])
                .cmd(["PFDEBUG", "GETREG", "short"])
                .cmd(["PFDEBUG", "DECODE", "short"])
                // Too many registers.
                .cmd(set("long", &hll(b"\x7f\xff\x00")))
                .cmd(["PFCOUNT", "long"])
                .cmd(["PFADD", "long", "a", "b"])
                .cmd(["GET", "long"])
                // A truncated XZERO opcode.
                .cmd(set("cut", &hll(b"\x40")))
                .cmd(["PFCOUNT", "cut"])
                .cmd(["PFADD", "cut", "a"])
                .cmd(["GET", "cut"])
                // A VAL run past the end.
                .cmd(set("val", &hll(b"\x7f\xfe\x83\x83")))
                .cmd(["PFCOUNT", "val"])
                .cmd(["PFMERGE", "m2", "val"])
                .cmd(["EXISTS", "m", "m2"]),
            case("a valid cached cardinality is trusted")
                .cmd(set("c", &valid_cache))
                .cmd(["PFCOUNT", "c"])
                .cmd(["GET", "c"])
                .cmd(["PFADD", "c", "x"])
                .cmd(["PFCOUNT", "c"])
                .cmd(["GET", "c"]),
        ])
        .await;
}

#[tokio::test]
async fn pfdebug_pfselftest_dump_and_errors() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("pfdebug subcommands")
                .cmd(["PFADD", "h", "a", "b", "c", "d", "e", "f"])
                .cmd(["PFDEBUG", "DECODE", "h"])
                .cmd(["PFDEBUG", "encoding", "h"])
                .cmd(["PFDEBUG", "GETREG", "h"])
                .cmd(["PFDEBUG", "ENCODING", "h"])
                .cmd(["GET", "h"])
                .cmd(["PFDEBUG", "DECODE", "h"])
                .cmd(["PFDEBUG", "TODENSE", "h"])
                .cmd(["PFADD", "g", "x"])
                .cmd(["PFDEBUG", "TODENSE", "g"])
                .cmd(["PFDEBUG", "TODENSE", "g"])
                .cmd(["PFDEBUG", "NOPE", "g"])
                .cmd(["PFDEBUG", "NOPE", "missing"])
                .cmd(["PFDEBUG", "GETREG", "missing"])
                .cmd(["PFCOUNT", "g"]),
            case("pfselftest")
                .cmd(["PFSELFTEST"])
                .cmd(["PFSELFTEST", "x"]),
            with_args(
                with_args(
                    case("dump and restore of a HyperLogLog")
                        .cmd(["PFADD", "e"])
                        .cmd(["DUMP", "e"])
                        .cmd(["PFADD", "h", "a", "b", "c"])
                        .cmd(["DUMP", "h"])
                        .cmd(["PFCOUNT", "h"])
                        .cmd(["DUMP", "h"]),
                    &["PFADD", "s"],
                    &elements("s", 0, 700),
                )
                .cmd(["DUMP", "s"])
                .cmd(["PFCOUNT", "s"])
                .cmd(["DUMP", "s"]),
                &["PFADD", "d"],
                &elements("d", 0, 6000),
            )
            .cmd(["DUMP", "d"])
            .cmd(["PFCOUNT", "d"])
            .cmd(["DUMP", "d"])
            .cmd(["SET", "str", "abcabcabcabcabcabcabcabcabcabc"])
            .cmd(["DUMP", "str"])
                // The payload redis-server 7.0.15 dumps for an empty HyperLogLog.
                .cmd([
                    &b"RESTORE"[..],
                    &b"copy"[..],
                    &b"0"[..],
                    &b"\x00\x12HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x0a\x00H\xeel6@\x86\x81\x8b"[..],
                ])
                .cmd(["PFCOUNT", "copy"])
                .cmd(["GET", "copy"]),
            case("hyperloglog arity")
                .cmd(["PFADD"])
                .cmd(["PFCOUNT"])
                .cmd(["PFMERGE"])
                .cmd(["PFDEBUG", "GETREG"])
                .cmd(["PFDEBUG", "GETREG", "a", "b"])
                .cmd(["COMMAND", "INFO", "pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"])
                .cmd(["COMMAND", "GETKEYS", "PFMERGE", "d", "a", "b"])
                .cmd(["COMMAND", "GETKEYS", "PFCOUNT", "a", "b"]),
        ])
        .await;
}

/// PFCOUNT stores the cardinality it computes: a write, so a WATCH on the
/// key breaks, while a PFCOUNT answered from the cache changes nothing.
#[tokio::test]
async fn pfcount_cache_is_a_write() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[case("watch and the cardinality cache")
            .cmd(["PFADD", "h", "a", "b"])
            .cmd(["WATCH", "h"])
            .cmd(["PFCOUNT", "h"])
            .cmd(["MULTI"])
            .cmd(["PING"])
            .cmd(["EXEC"])
            .cmd(["WATCH", "h"])
            .cmd(["PFCOUNT", "h"])
            .cmd(["MULTI"])
            .cmd(["PING"])
            .cmd(["EXEC"])
            .cmd(["WATCH", "h"])
            .cmd(["PFADD", "h", "a"])
            .cmd(["MULTI"])
            .cmd(["PING"])
            .cmd(["EXEC"])
            .cmd(["WATCH", "h"])
            .cmd(["PFCOUNT", "h", "h"])
            .cmd(["MULTI"])
            .cmd(["PING"])
            .cmd(["EXEC"])])
        .await;
}

#[tokio::test]
async fn keyspace_notifications() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check_scripts(&[script("hyperloglog events", 2)
            .send(1, "CONFIG SET notify-keyspace-events KEA")
            .send(0, "PSUBSCRIBE __keyevent@0__:*")
            .send(1, "PFADD h a")
            .send(1, "PFADD h a")
            .send(1, "PFADD e")
            .send(1, "PFCOUNT h")
            .send(1, "PFMERGE m h e")
            .send(1, "PFMERGE m2")
            .send(1, "PFDEBUG TODENSE h")
            .send(1, "SET h x")
            .send(1, "PFADD h a")
            .send(1, "CONFIG SET notify-keyspace-events ")
            .read(1, 11)
            .drain(0)])
        .await;
}
