//! Differential tests: stream commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3. IDs are explicit (`*` IDs come from the
//! clock and are tested against the frozen engine clock in
//! `tests/server/streams.rs`); replies carrying delivery times or idle
//! times are compared with integers masked.

use crate::support::resp::Compare;
use crate::support::{Differ, case, script};

fn seeded(name: &str) -> crate::support::Case {
    case(name)
        .cmd(["XADD", "s", "1-1", "a", "1"])
        .cmd(["XADD", "s", "1-2", "b", "2", "c", "3"])
        .cmd(["XADD", "s", "2-0", "a", "4"])
        .cmd(["XADD", "s", "3-5", "a", "5"])
        .cmd(["XADD", "s", "5-0", "z", ""])
}

#[tokio::test]
async fn xadd_and_ids() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("explicit ids")
                .cmd(["XADD", "s", "1-1", "f", "v"])
                .cmd(["XADD", "s", "1-1", "f", "v"])
                .cmd(["XADD", "s", "1-0", "f", "v"])
                .cmd(["XADD", "s", "1", "f", "v"])
                .cmd(["XADD", "s", "2", "f", "v"])
                .cmd(["XADD", "s", "2-*", "f", "v"])
                .cmd(["XADD", "s", "3-*", "f", "v"])
                .cmd(["XADD", "s", "3-*", "g", "w", "h", "x"])
                .cmd(["XLEN", "s"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["TYPE", "s"])
                .cmd(["OBJECT", "ENCODING", "s"]),
            case("zero ids")
                .cmd(["XADD", "s", "0-0", "f", "v"])
                .cmd(["EXISTS", "s"])
                .cmd(["XADD", "s", "0", "f", "v"])
                .cmd(["XADD", "s", "0-*", "f", "v"])
                .cmd(["XADD", "s", "0-*", "f", "v"])
                .cmd(["XADD", "s", "0-0", "f", "v"])
                .cmd(["XRANGE", "s", "-", "+"]),
            case("id edges")
                .cmd([
                    "XADD",
                    "s",
                    "18446744073709551615-18446744073709551614",
                    "f",
                    "v",
                ])
                .cmd(["XADD", "s", "18446744073709551615-*", "f", "v"])
                .cmd(["XADD", "s", "18446744073709551615-*", "f", "v"])
                .cmd(["XADD", "s", "*", "f", "v"])
                .cmd([
                    "XADD",
                    "t",
                    "18446744073709551615-18446744073709551615",
                    "f",
                    "v",
                ])
                .cmd(["XADD", "t", "*", "f", "v"])
                .cmd(["XADD", "u", "5-18446744073709551615", "f", "v"])
                .cmd(["XADD", "u", "5-*", "f", "v"])
                .cmd(["XADD", "u", "6-*", "f", "v"])
                .cmd(["XADD", "v", "18446744073709551616", "f", "v"])
                .cmd(["XADD", "v", "1-18446744073709551616", "f", "v"])
                .cmd(["XADD", "v", "-1", "f", "v"])
                .cmd(["XADD", "v", "1-2-3", "f", "v"])
                .cmd(["XADD", "v", "1-", "f", "v"])
                .cmd(["XADD", "v", "-", "f", "v"])
                .cmd(["XADD", "v", "+", "f", "v"])
                .cmd(["XADD", "v", "abc", "f", "v"])
                .cmd(["XADD", "v", "+7-1", "f", "v"])
                .cmd(["XADD", "v", " 8-1", "f", "v"])
                .cmd(["XADD", "v", "009-01", "f", "v"])
                .cmd(["XADD", "v", "10-*x", "f", "v"])
                .cmd(["XADD", "v", "*x", "f", "v"])
                .cmd(["XRANGE", "v", "-", "+"])
                .cmd(["XRANGE", "u", "-", "+"]),
            case("xadd arity and options")
                .cmd(["XADD", "s", "1-1", "f"])
                .cmd(["XADD", "s", "1-1", "f", "v", "g"])
                .cmd(["XADD", "s", "MAXLEN", "1"])
                .cmd(["XADD", "s", "MAXLEN", "1", "1-1"])
                .cmd(["XADD", "s", "NOMKSTREAM", "1-1", "f", "v"])
                .cmd(["EXISTS", "s"])
                .cmd(["XADD", "s", "MAXLEN", "-1", "1-1", "f", "v"])
                .cmd(["XADD", "s", "MAXLEN", "x", "1-1", "f", "v"])
                .cmd(["XADD", "s", "MAXLEN", "1", "MINID", "1", "1-1", "f", "v"])
                .cmd(["XADD", "s", "MINID", "1", "MAXLEN", "1", "1-1", "f", "v"])
                .cmd(["XADD", "s", "MINID", "-", "1-1", "f", "v"])
                .cmd(["XADD", "s", "LIMIT", "10", "1-1", "f", "v"])
                .cmd(["XADD", "s", "MAXLEN", "5", "LIMIT", "10", "1-1", "f", "v"])
                .cmd([
                    "XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "1-1", "f", "v",
                ])
                .cmd([
                    "XADD", "s", "MAXLEN", "~", "5", "LIMIT", "x", "1-1", "f", "v",
                ])
                .cmd(["XADD", "s", "MAXLEN", "=", "5", "1-1", "f", "v"])
                .cmd([
                    "XADD",
                    "s",
                    "maxlen",
                    "~",
                    "5",
                    "limit",
                    "0",
                    "nomkstream",
                    "1-2",
                    "f",
                    "v",
                ])
                .cmd(["XADD", "s", "MAXLEN", "~", "1-3", "f", "v"])
                .cmd(["XADD", "s", "MAXLEN", "1-4", "f", "v"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["SET", "str", "x"])
                .cmd(["XADD", "str", "1-1", "f", "v"])
                .cmd(["XADD", "str", "NOMKSTREAM", "1-1", "f", "v"])
                .cmd(["XLEN", "str"])
                .cmd(["XLEN", "nokey"]),
            case("fields and binary values")
                .cmd(["XADD", "s", "1-1", "", ""])
                .cmd(["XADD", "s", "1-2", "a\r\nb", "\0\x01", "a\r\nb", "x"])
                .cmd(["XADD", "s", "1-3", "12", "-5", "9223372036854775808", "007"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XREVRANGE", "s", "+", "-"]),
            case("xadd inside multi")
                .cmd(["MULTI"])
                .cmd(["XADD", "s", "1-1", "f", "v"])
                .cmd(["XADD", "s", "1-1", "f", "v"])
                .cmd(["XLEN", "s"])
                .cmd(["EXEC"]),
        ])
        .await;
}

#[tokio::test]
async fn ranges_and_deletes() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            seeded("xrange bounds")
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XRANGE", "s", "1", "2"])
                .cmd(["XRANGE", "s", "1-2", "3-5"])
                .cmd(["XRANGE", "s", "(1-1", "(3-5"])
                .cmd(["XRANGE", "s", "(1", "+"])
                .cmd(["XRANGE", "s", "-", "(2"])
                .cmd(["XRANGE", "s", "(-", "+"])
                .cmd(["XRANGE", "s", "-", "(+"])
                .cmd(["XRANGE", "s", "(0-0", "+"])
                .cmd(["XRANGE", "s", "-", "(0-0"])
                .cmd([
                    "XRANGE",
                    "s",
                    "(18446744073709551615-18446744073709551615",
                    "+",
                ])
                .cmd([
                    "XRANGE",
                    "s",
                    "-",
                    "(18446744073709551615-18446744073709551615",
                ])
                .cmd(["XRANGE", "s", "5", "1"])
                .cmd(["XRANGE", "s", "(", "+"])
                .cmd(["XRANGE", "s", "x", "+"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "2"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "0"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "-1"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "x"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "1", "COUNT", "3"])
                .cmd(["XRANGE", "s", "-", "+", "LIMIT", "1"])
                .cmd(["XRANGE", "nokey", "-", "+"])
                .cmd(["XRANGE", "nokey", "-", "+", "COUNT", "0"])
                .cmd(["XRANGE", "nokey", "x", "+"]),
            seeded("xrevrange")
                .cmd(["XREVRANGE", "s", "+", "-"])
                .cmd(["XREVRANGE", "s", "3", "1-2"])
                .cmd(["XREVRANGE", "s", "(3-5", "(1-1"])
                .cmd(["XREVRANGE", "s", "+", "-", "COUNT", "2"])
                .cmd(["XREVRANGE", "s", "-", "+"])
                .cmd(["XREVRANGE", "s", "+", "-", "COUNT", "0"])
                .cmd(["XREVRANGE", "s", "(0-0", "-"])
                .cmd(["XREVRANGE", "s", "+"]),
            seeded("xdel")
                .cmd(["XDEL", "s", "1-2", "2-0", "9-9"])
                .cmd(["XDEL", "s", "1-2"])
                .cmd(["XDEL", "s", "x"])
                .cmd(["XDEL", "s", "3-5", "x"])
                .cmd(["XDEL", "s", "-"])
                .cmd(["XLEN", "s"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XREVRANGE", "s", "+", "-"])
                .cmd(["XDEL", "s", "1-1", "3-5", "5-0"])
                .cmd(["XLEN", "s"])
                .cmd(["EXISTS", "s"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XINFO", "STREAM", "s"])
                .cmd(["XDEL", "nokey", "x"])
                .cmd(["SET", "str", "v"])
                .cmd(["XDEL", "str", "1"]),
            case("xsetid below a tombstone")
                .cmd(["XADD", "s", "1-1", "f", "v"])
                .cmd(["XADD", "s", "2-1", "f", "v"])
                .cmd(["XADD", "s", "3-1", "f", "v"])
                .cmd(["XDEL", "s", "3-1"])
                .cmd(["XSETID", "s", "2-5"])
                .cmd(["XADD", "s", "2-6", "f", "w"])
                .cmd(["XADD", "s", "2-*", "f", "x"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XRANGE", "s", "2-6", "+"])
                .cmd(["XRANGE", "s", "(2-1", "2-6"])
                .cmd(["XREVRANGE", "s", "+", "-"])
                .cmd(["XREVRANGE", "s", "2-7", "2-6"])
                .cmd(["XREAD", "STREAMS", "s", "2-1"])
                .cmd(["XDEL", "s", "2-6"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XINFO", "STREAM", "s"]),
            seeded("xsetid")
                .cmd(["XSETID", "s", "4-0"])
                .cmd(["XSETID", "s", "5-0"])
                .cmd(["XSETID", "s", "9-0"])
                .cmd(["XADD", "s", "8-0", "f", "v"])
                .cmd(["XADD", "s", "9-*", "f", "v"])
                .cmd(["XSETID", "s", "10-0", "ENTRIESADDED", "3"])
                .cmd(["XSETID", "s", "10-0", "ENTRIESADDED", "-1"])
                .cmd([
                    "XSETID",
                    "s",
                    "10-0",
                    "ENTRIESADDED",
                    "100",
                    "MAXDELETEDID",
                    "11-0",
                ])
                .cmd([
                    "XSETID",
                    "s",
                    "10-0",
                    "ENTRIESADDED",
                    "100",
                    "MAXDELETEDID",
                    "3-0",
                ])
                .cmd(["XSETID", "s", "10-0", "MAXDELETEDID", "2-0"])
                .cmd(["XSETID", "s", "10-0", "BOGUS", "1"])
                .cmd(["XSETID", "s", "10-0", "ENTRIESADDED"])
                .cmd(["XSETID", "s", "x"])
                .cmd(["XSETID", "s", "-"])
                .cmd(["XINFO", "STREAM", "s"])
                .cmd(["XSETID", "nokey", "1-1"])
                .cmd(["XSETID", "nokey", "x"])
                .cmd(["SET", "str", "v"])
                .cmd(["XSETID", "str", "1-1"])
                .cmd(["XDEL", "s", "1-1", "1-2", "2-0", "3-5", "5-0", "9-1"])
                .cmd(["XSETID", "s", "1-0"])
                .cmd(["XSETID", "s", "0-0"])
                .cmd(["XINFO", "STREAM", "s"]),
        ])
        .await;
}

/// Many entries: node boundaries (by count and by bytes) decide what
/// approximate trimming removes.
fn bulk(name: &str, n: usize, value: &str) -> crate::support::Case {
    let mut c = case(name);
    for i in 1..=n {
        c = c.cmd([
            "XADD".to_string(),
            "s".into(),
            format!("{i}-1"),
            "field".into(),
            format!("{value}{i}"),
        ]);
    }
    c
}

#[tokio::test]
async fn trimming() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let big = "x".repeat(300);
    differ
        .check(&[
            bulk("exact maxlen", 20, "v")
                .cmd(["XTRIM", "s", "MAXLEN", "15"])
                .cmd(["XTRIM", "s", "MAXLEN", "=", "12"])
                .cmd(["XTRIM", "s", "MAXLEN", "100"])
                .cmd(["XLEN", "s"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "1"])
                .cmd(["XINFO", "STREAM", "s"])
                .cmd(["XTRIM", "s", "MINID", "16"])
                .cmd(["XTRIM", "s", "MINID", "=", "17-1"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XTRIM", "s", "MAXLEN", "0"])
                .cmd(["XINFO", "STREAM", "s"]),
            bulk("approximate maxlen by count", 250, "v")
                .cmd(["XTRIM", "s", "MAXLEN", "~", "240"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "150"])
                .cmd(["XLEN", "s"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "1"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "10"])
                .cmd(["XLEN", "s"])
                .cmd(["XINFO", "STREAM", "s"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "0"])
                .cmd(["XINFO", "STREAM", "s"]),
            bulk("approximate with limit", 450, "v")
                .cmd(["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "150"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "99"])
                .cmd(["XTRIM", "s", "MINID", "~", "400", "LIMIT", "100"])
                .cmd(["XTRIM", "s", "MINID", "~", "400"])
                .cmd(["XLEN", "s"])
                .cmd(["XTRIM", "s", "MAXLEN", "10", "LIMIT", "10"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "10", "LIMIT", "0"])
                .cmd(["XLEN", "s"]),
            bulk("approximate by bytes", 60, &big)
                .cmd(["XINFO", "STREAM", "s"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "50"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "30"])
                .cmd(["XLEN", "s"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "1"])
                .cmd(["XTRIM", "s", "MINID", "~", "45"])
                .cmd(["XRANGE", "s", "-", "+", "COUNT", "1"])
                .cmd(["XINFO", "STREAM", "s"]),
            bulk("xadd trims", 230, "v")
                .cmd(["XADD", "s", "MAXLEN", "~", "100", "1000-1", "f", "v"])
                .cmd(["XLEN", "s"])
                .cmd(["XADD", "s", "MAXLEN", "5", "1001-1", "f", "v"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XADD", "s", "MINID", "1001", "1002-1", "f", "v"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["XINFO", "STREAM", "s"]),
            bulk("deleted entries count toward node size", 120, "v")
                .cmd(["XDEL", "s", "5-1", "6-1", "7-1"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "10"])
                .cmd(["XLEN", "s"])
                .cmd(["XINFO", "STREAM", "s"]),
            case("node limits from config")
                .cmd(["CONFIG", "SET", "stream-node-max-entries", "3"])
                .cmd(["XADD", "s", "1-1", "a", "1"])
                .cmd(["XADD", "s", "2-1", "a", "1"])
                .cmd(["XADD", "s", "3-1", "b", "1"])
                .cmd(["XADD", "s", "4-1", "a", "1"])
                .cmd(["XADD", "s", "5-1", "a", "1"])
                .cmd(["XADD", "s", "6-1", "a", "1"])
                .cmd(["XADD", "s", "7-1", "a", "1"])
                .cmd(["XINFO", "STREAM", "s"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "2"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "2", "LIMIT", "3"])
                .cmd(["XRANGE", "s", "-", "+"])
                .cmd(["CONFIG", "SET", "stream-node-max-entries", "0"])
                .cmd(["CONFIG", "SET", "stream-node-max-bytes", "60"])
                .cmd(["XADD", "t", "1-1", "a", "1"])
                .cmd(["XADD", "t", "2-1", "a", "12345678901234567890123"])
                .cmd(["XADD", "t", "3-1", "a", "1"])
                .cmd(["XADD", "t", "4-1", "abc", "1"])
                .cmd(["XADD", "t", "5-1", "a", "1"])
                .cmd(["XINFO", "STREAM", "t"])
                .cmd(["XTRIM", "t", "MAXLEN", "~", "1"])
                .cmd(["XRANGE", "t", "-", "+"])
                .cmd(["CONFIG", "SET", "stream-node-max-bytes", "4096"])
                .cmd(["CONFIG", "SET", "stream-node-max-entries", "100"]),
            seeded("xtrim errors")
                .cmd(["XTRIM", "s"])
                .cmd(["XTRIM", "s", "MAXLEN"])
                .cmd(["XTRIM", "s", "MAXLEN", "x"])
                .cmd(["XTRIM", "s", "MAXLEN", "-1"])
                .cmd(["XTRIM", "s", "MINID", "x"])
                .cmd(["XTRIM", "s", "MINID", "+"])
                .cmd(["XTRIM", "s", "BOGUS", "1"])
                .cmd(["XTRIM", "s", "MAXLEN", "1", "MINID", "1"])
                .cmd(["XTRIM", "s", "LIMIT", "1"])
                .cmd(["XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "-1"])
                .cmd(["XTRIM", "s", "NOMKSTREAM", "1"])
                .cmd([
                    "XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "1", "MAXLEN", "1",
                ])
                .cmd(["XTRIM", "nokey", "MAXLEN", "1"])
                .cmd(["XTRIM", "nokey", "MAXLEN", "x"])
                .cmd(["SET", "str", "v"])
                .cmd(["XTRIM", "str", "MAXLEN", "1"])
                .cmd(["XLEN", "s"]),
        ])
        .await;
}

#[tokio::test]
async fn xread_sync() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            seeded("xread")
                .cmd(["XADD", "t", "7-0", "k", "v"])
                .cmd(["XREAD", "STREAMS", "s", "0"])
                .cmd(["XREAD", "COUNT", "2", "STREAMS", "s", "1-1"])
                .cmd(["XREAD", "STREAMS", "s", "t", "2", "0"])
                .cmd(["XREAD", "STREAMS", "s", "t", "$", "$"])
                .cmd(["XREAD", "STREAMS", "s", "nokey", "5", "0"])
                .cmd(["XREAD", "STREAMS", "s", "nokey", "0", "0"])
                .cmd(["XREAD", "COUNT", "0", "STREAMS", "s", "0"])
                .cmd(["XREAD", "COUNT", "-5", "STREAMS", "s", "0"])
                .cmd(["XREAD", "COUNT", "1", "COUNT", "2", "STREAMS", "s", "0"])
                .cmd(["XREAD", "BLOCK", "0", "STREAMS", "s", "0"])
                .cmd([
                    "XREAD",
                    "STREAMS",
                    "s",
                    "18446744073709551615-18446744073709551615",
                ]),
            seeded("xread errors")
                .cmd(["XREAD", "STREAMS", "s"])
                .cmd(["XREAD", "STREAMS", "s", "t", "0"])
                .cmd(["XREAD", "COUNT", "x", "STREAMS", "s", "0"])
                .cmd(["XREAD", "BLOCK", "x", "STREAMS", "s", "0"])
                .cmd(["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"])
                .cmd(["XREAD", "BLOCK", "1.5", "STREAMS", "s", "0"])
                .cmd(["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"])
                .cmd(["XREAD", "NOACK", "STREAMS", "s", "0"])
                .cmd(["XREAD", "BOGUS", "STREAMS", "s", "0"])
                .cmd(["XREAD", "COUNT", "1", "s", "0"])
                .cmd(["XREAD", "STREAMS", "s", ">"])
                .cmd(["XREAD", "STREAMS", "s", "-"])
                .cmd(["XREAD", "STREAMS", "s", "+"])
                .cmd(["XREAD", "STREAMS", "s", "x"])
                .cmd(["XREAD", "COUNT"])
                .cmd(["SET", "str", "v"])
                .cmd(["XREAD", "STREAMS", "s", "str", "0", "0"])
                .cmd(["XREAD", "STREAMS", "s", "str", "x", "0"])
                .cmd(["XREAD", "STREAMS", "str", "s", "0", "x"]),
            seeded("xread inside multi")
                .cmd(["MULTI"])
                .cmd(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])
                .cmd(["XREAD", "BLOCK", "10", "STREAMS", "s", "0"])
                .cmd(["EXEC"]),
            case("command info")
                .cmd([
                    "COMMAND",
                    "INFO",
                    "xadd",
                    "xlen",
                    "xrange",
                    "xrevrange",
                    "xread",
                    "xdel",
                    "xtrim",
                    "xsetid",
                    "xreadgroup",
                    "xack",
                    "xpending",
                    "xclaim",
                    "xautoclaim",
                ])
                .cmd([
                    "COMMAND",
                    "INFO",
                    "xgroup|create",
                    "xgroup|setid",
                    "xgroup|destroy",
                    "xgroup|createconsumer",
                    "xgroup|delconsumer",
                    "xgroup|help",
                ])
                .cmd([
                    "COMMAND",
                    "INFO",
                    "xinfo|stream",
                    "xinfo|groups",
                    "xinfo|consumers",
                    "xinfo|help",
                ])
                .cmd([
                    "COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0",
                ])
                .cmd([
                    "COMMAND",
                    "GETKEYS",
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "STREAMS",
                    "a",
                    ">",
                ])
                .cmd(["COMMAND", "GETKEYS", "XADD", "a", "*", "f", "v"]),
        ])
        .await;
}

#[tokio::test]
async fn consumer_groups() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let m = Compare::MaskIntegers;
    differ
        .check(&[
            seeded("xgroup create")
                .cmd(["XGROUP", "CREATE", "s", "g", "$"])
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd(["XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "2"])
                .cmd(["XGROUP", "CREATE", "s", "i", "1-2", "ENTRIESREAD", "-2"])
                .cmd(["XGROUP", "CREATE", "s", "i", "1-2", "ENTRIESREAD", "x"])
                .cmd(["XGROUP", "CREATE", "s", "i", "1-2", "BOGUS"])
                .cmd(["XGROUP", "CREATE", "s", "i", "x"])
                .cmd(["XGROUP", "CREATE", "s", "i", "-"])
                .cmd([
                    "XGROUP",
                    "CREATE",
                    "s",
                    "i",
                    "1-2",
                    "MKSTREAM",
                    "ENTRIESREAD",
                    "-1",
                ])
                .cmd(["XGROUP", "CREATE", "nokey", "g", "$"])
                .cmd(["XGROUP", "CREATE", "nokey", "g", "x", "MKSTREAM"])
                .cmd(["EXISTS", "nokey"])
                .cmd(["XGROUP", "CREATE", "nokey", "g", "$", "MKSTREAM"])
                .cmd(["XINFO", "STREAM", "nokey"])
                .cmd(["XGROUP", "CREATE", "s"])
                .cmd(["XGROUP", "CREATE", "s", "g"])
                .cmd([
                    "XGROUP", "CREATE", "s", "x", "0", "MKSTREAM", "MKSTREAM", "MKSTREAM",
                    "MKSTREAM",
                ])
                .cmd(["XGROUP", "BOGUS", "s", "g"])
                .cmd(["XGROUP", "HELP"])
                .cmd(["XGROUP", "HELP", "x"])
                .cmd(["XGROUP"])
                .cmd(["SET", "str", "v"])
                .cmd(["XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"])
                .cmd(["XINFO", "GROUPS", "s"]),
            seeded("xgroup setid, consumers, destroy")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd(["XGROUP", "SETID", "s", "g", "2"])
                .cmd(["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "3"])
                .cmd(["XGROUP", "SETID", "s", "g", "-"])
                .cmd(["XGROUP", "SETID", "s", "g", "x"])
                .cmd(["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "-3"])
                .cmd(["XGROUP", "SETID", "s", "g", "0", "BOGUS", "3"])
                .cmd(["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD"])
                .cmd(["XGROUP", "SETID", "s", "nog", "0"])
                .cmd(["XGROUP", "SETID", "nokey", "g", "0"])
                .cmd(["XINFO", "GROUPS", "s"])
                .cmd(["XGROUP", "CREATECONSUMER", "s", "g", "alice"])
                .cmd(["XGROUP", "CREATECONSUMER", "s", "g", "alice"])
                .cmd(["XGROUP", "CREATECONSUMER", "s", "nog", "alice"])
                .cmd(["XGROUP", "CREATECONSUMER", "nokey", "g", "alice"])
                .cmd(["XGROUP", "DELCONSUMER", "s", "g", "bob"])
                .cmd(["XGROUP", "DELCONSUMER", "s", "nog", "bob"])
                .cmd(["XGROUP", "SETID", "s", "g", "0"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "bob",
                    "COUNT",
                    "2",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["XGROUP", "DELCONSUMER", "s", "g", "bob"])
                .cmd(["XPENDING", "s", "g"])
                .cmd(["XGROUP", "DESTROY", "s", "g"])
                .cmd(["XGROUP", "DESTROY", "s", "g"])
                .cmd(["XGROUP", "DESTROY", "nokey", "g"])
                .cmd(["XINFO", "GROUPS", "s"]),
            seeded("xreadgroup")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "alice",
                    "COUNT",
                    "2",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "bob",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "alice",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "s",
                    "1-1",
                ])
                .cmd(["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "bob",
                    "NOACK",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"])
                .cmd_with(["XPENDING", "s", "g", "-", "+", "10"], m)
                .cmd(["XPENDING", "s", "g"])
                .cmd(["XINFO", "GROUPS", "s"])
                .cmd_with(["XINFO", "CONSUMERS", "s", "g"], m)
                .cmd(["XACK", "s", "g", "1-1", "1-1", "9-9"])
                .cmd(["XACK", "s", "g", "x"])
                .cmd(["XACK", "s", "nog", "x"])
                .cmd(["XACK", "nokey", "g", "x"])
                .cmd(["XDEL", "s", "1-2"])
                .cmd(["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"])
                .cmd(["XADD", "s", "6-0", "n", "1"])
                .cmd(["XINFO", "GROUPS", "s"])
                .cmd(["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"])
                .cmd(["XINFO", "GROUPS", "s"])
                .cmd_with(["XINFO", "STREAM", "s", "FULL"], m)
                .cmd_with(["XINFO", "STREAM", "s", "FULL", "COUNT", "1"], m),
            seeded("xreadgroup errors")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd(["XADD", "t", "1-1", "f", "v"])
                .cmd(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"])
                .cmd(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "t", ">"])
                .cmd(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">"])
                .cmd(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">"])
                .cmd(["XREADGROUP", "STREAMS", "s", ">", "x", "y"])
                .cmd(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "x"])
                .cmd(["XREADGROUP", "GROUP", "g", "STREAMS", "s", ">"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "BLOCK",
                    "-1",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "COUNT",
                    "x",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["SET", "str", "v"])
                .cmd(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"])
                .cmd(["XINFO", "CONSUMERS", "s", "g"]),
            seeded("xpending forms")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd(["XPENDING", "s", "g"])
                .cmd(["XPENDING", "s", "g", "-", "+", "10"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "a",
                    "COUNT",
                    "2",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"])
                .cmd(["XPENDING", "s", "g"])
                .cmd_with(["XPENDING", "s", "g", "-", "+", "10", "a"], m)
                .cmd_with(["XPENDING", "s", "g", "(1-1", "(5-0", "10"], m)
                .cmd_with(["XPENDING", "s", "g", "-", "+", "2"], m)
                .cmd(["XPENDING", "s", "g", "-", "+", "0"])
                .cmd(["XPENDING", "s", "g", "-", "+", "-1"])
                .cmd(["XPENDING", "s", "g", "-", "+", "10", "nobody"])
                .cmd_with(["XPENDING", "s", "g", "IDLE", "0", "-", "+", "10"], m)
                .cmd(["XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10"])
                .cmd(["XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"])
                .cmd(["XPENDING", "s", "g", "IDLE", "10", "-", "+"])
                .cmd(["XPENDING", "s", "g", "-", "+"])
                .cmd(["XPENDING", "s", "g", "-"])
                .cmd(["XPENDING", "s", "g", "x", "+", "10"])
                .cmd(["XPENDING", "s", "g", "-", "+", "x"])
                .cmd([
                    "XPENDING",
                    "s",
                    "g",
                    "(18446744073709551615-18446744073709551615",
                    "+",
                    "1",
                ])
                .cmd(["XPENDING", "s", "g", "-", "(0-0", "1"])
                .cmd(["XPENDING", "s", "nog"])
                .cmd(["XPENDING", "nokey", "g"])
                .cmd(["XPENDING", "nokey", "g", "x", "+", "10"])
                .cmd_with(["XPENDING", "s", "g", "-", "+", "10", "a", "extra"], m),
            seeded("xclaim")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd(["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"])
                .cmd(["XCLAIM", "s", "g", "b", "0", "1-1", "1-2"])
                .cmd(["XCLAIM", "s", "g", "b", "0", "2-0", "JUSTID"])
                .cmd(["XCLAIM", "s", "g", "b", "100000", "3-5"])
                .cmd([
                    "XCLAIM",
                    "s",
                    "g",
                    "b",
                    "0",
                    "3-5",
                    "RETRYCOUNT",
                    "7",
                    "IDLE",
                    "5000",
                ])
                .cmd_with(["XPENDING", "s", "g", "-", "+", "10"], m)
                .cmd(["XCLAIM", "s", "g", "c", "0", "9-9"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "9-9", "FORCE"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "5-0", "FORCE"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "5-0", "FORCE", "JUSTID"])
                .cmd(["XDEL", "s", "1-1"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "1-1", "1-2"])
                .cmd_with(["XPENDING", "s", "g", "-", "+", "10"], m)
                .cmd([
                    "XCLAIM", "s", "g", "c", "0", "1-2", "LASTID", "9-0", "JUSTID",
                ])
                .cmd(["XINFO", "GROUPS", "s"])
                .cmd(["XCLAIM", "s", "g", "c", "x", "1-2"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "1-2", "IDLE", "x"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "1-2", "TIME", "x"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "1-2", "RETRYCOUNT", "x"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "1-2", "LASTID", "x"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "1-2", "BOGUS"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "bad", "1-2"])
                .cmd(["XCLAIM", "s", "g", "c", "0", "1-2", "IDLE"])
                .cmd(["XCLAIM", "s", "nog", "c", "0", "1-2"])
                .cmd(["XCLAIM", "nokey", "g", "c", "x", "1-2"])
                .cmd_with(["XINFO", "CONSUMERS", "s", "g"], m),
            seeded("xautoclaim")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd(["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"])
                .cmd(["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "2"])
                .cmd([
                    "XAUTOCLAIM",
                    "s",
                    "g",
                    "b",
                    "0",
                    "1-2",
                    "COUNT",
                    "2",
                    "JUSTID",
                ])
                .cmd(["XDEL", "s", "3-5"])
                .cmd(["XAUTOCLAIM", "s", "g", "c", "0", "(1-2"])
                .cmd(["XAUTOCLAIM", "s", "g", "c", "100000", "0"])
                .cmd(["XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"])
                .cmd(["XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "x"])
                .cmd([
                    "XAUTOCLAIM",
                    "s",
                    "g",
                    "c",
                    "0",
                    "0",
                    "COUNT",
                    "576460752303423488",
                ])
                .cmd(["XAUTOCLAIM", "s", "g", "c", "x", "0"])
                .cmd(["XAUTOCLAIM", "s", "g", "c", "0", "x"])
                .cmd(["XAUTOCLAIM", "s", "g", "c", "0", "0", "BOGUS"])
                .cmd([
                    "XAUTOCLAIM",
                    "s",
                    "g",
                    "c",
                    "0",
                    "(18446744073709551615-18446744073709551615",
                ])
                .cmd(["XAUTOCLAIM", "s", "nog", "c", "0", "0"])
                .cmd(["XAUTOCLAIM", "nokey", "g", "c", "0", "0"])
                .cmd_with(["XPENDING", "s", "g", "-", "+", "10"], m),
            seeded("xinfo")
                .cmd(["XINFO", "STREAM", "s"])
                .cmd(["XINFO", "STREAM", "s", "FULL"])
                .cmd(["XINFO", "STREAM", "s", "FULL", "COUNT", "2"])
                .cmd(["XINFO", "STREAM", "s", "FULL", "COUNT", "0"])
                .cmd(["XINFO", "STREAM", "s", "FULL", "COUNT", "-1"])
                .cmd(["XINFO", "STREAM", "s", "FULL", "COUNT", "x"])
                .cmd(["XINFO", "STREAM", "s", "FULL", "BOGUS", "1"])
                .cmd(["XINFO", "STREAM", "s", "BOGUS"])
                .cmd(["XINFO", "STREAM", "s", "FULL", "COUNT"])
                .cmd(["XINFO", "STREAM", "nokey"])
                .cmd(["XINFO", "GROUPS", "nokey"])
                .cmd(["XINFO", "CONSUMERS", "nokey", "g"])
                .cmd(["XINFO", "CONSUMERS", "s", "g"])
                .cmd(["XINFO", "HELP"])
                .cmd(["XINFO", "HELP", "x"])
                .cmd(["XINFO", "BOGUS", "s"])
                .cmd(["XINFO"])
                .cmd(["SET", "str", "v"])
                .cmd(["XINFO", "STREAM", "str"])
                .cmd(["XINFO", "GROUPS", "str"])
                .cmd(["XGROUP", "CREATE", "s", "b", "0"])
                .cmd(["XGROUP", "CREATE", "s", "a", "$"])
                .cmd(["XGROUP", "CREATE", "s", "c", "2-0"])
                .cmd(["XINFO", "GROUPS", "s"])
                .cmd(["XINFO", "STREAM", "s"]),
        ])
        .await;
}

/// XAUTOCLAIM's cursor when its attempts (10 per COUNT) run out on
/// entries not idle long enough, and when deleted entries use up COUNT.
#[tokio::test]
async fn xautoclaim_cursor() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut c = bulk("xautoclaim attempts", 30, "v")
        .cmd(["XGROUP", "CREATE", "s", "g", "0"])
        .cmd(["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"]);
    c = c
        .cmd(["XAUTOCLAIM", "s", "g", "b", "3600000", "0", "COUNT", "2"])
        .cmd(["XAUTOCLAIM", "s", "g", "b", "3600000", "21-1", "COUNT", "1"])
        .cmd([
            "XAUTOCLAIM",
            "s",
            "g",
            "b",
            "3600000",
            "(29-1",
            "COUNT",
            "1",
        ])
        .cmd(["XDEL", "s", "2-1", "3-1", "4-1", "5-1"])
        .cmd(["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "3"])
        .cmd([
            "XAUTOCLAIM",
            "s",
            "g",
            "b",
            "0",
            "0",
            "COUNT",
            "3",
            "JUSTID",
        ])
        .cmd([
            "XAUTOCLAIM",
            "s",
            "g",
            "b",
            "0",
            "29-1",
            "COUNT",
            "5",
            "JUSTID",
        ])
        .cmd([
            "XAUTOCLAIM",
            "s",
            "g",
            "b",
            "0",
            "30-1",
            "COUNT",
            "5",
            "JUSTID",
        ])
        .cmd([
            "XAUTOCLAIM",
            "s",
            "g",
            "b",
            "0",
            "31",
            "COUNT",
            "5",
            "JUSTID",
        ])
        .cmd(["XPENDING", "s", "g"]);
    differ.check(&[c]).await;
}

#[tokio::test]
async fn lag_and_entries_read() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[seeded("lag after deletes and trims")
            .cmd(["XGROUP", "CREATE", "s", "g", "0"])
            .cmd(["XGROUP", "CREATE", "s", "h", "1-2"])
            .cmd(["XGROUP", "CREATE", "s", "i", "$"])
            .cmd(["XGROUP", "CREATE", "s", "j", "1-1"])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd([
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "COUNT",
                "1",
                "STREAMS",
                "s",
                ">",
            ])
            .cmd([
                "XREADGROUP",
                "GROUP",
                "h",
                "c",
                "COUNT",
                "1",
                "STREAMS",
                "s",
                ">",
            ])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XDEL", "s", "3-5"])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XDEL", "s", "1-1"])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XTRIM", "s", "MAXLEN", "1"])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XADD", "s", "9-0", "f", "v"])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XINFO", "STREAM", "s"])
            .cmd(["XDEL", "s", "5-0", "9-0"])
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XINFO", "STREAM", "s"])])
        .await;
}

/// Which stream commands count as a modification for WATCH.
#[tokio::test]
async fn watch() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let commands: &[&[&str]] = &[
        &["XADD", "s", "9-1", "f", "v"],
        &["XDEL", "s", "1-1"],
        &["XDEL", "s", "8-8"],
        &["XTRIM", "s", "MAXLEN", "1"],
        &["XTRIM", "s", "MAXLEN", "100"],
        &["XSETID", "s", "9-9"],
        &["XGROUP", "CREATE", "s", "h", "0"],
        &["XGROUP", "CREATE", "new", "h", "0", "MKSTREAM"],
        &["XGROUP", "SETID", "s", "g", "0"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "x"],
        &["XGROUP", "DELCONSUMER", "s", "g", "c"],
        &["XGROUP", "DESTROY", "s", "g"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
        &["XACK", "s", "g", "1-1"],
        &["XCLAIM", "s", "g", "d", "0", "1-1"],
        &["XAUTOCLAIM", "s", "g", "d", "0", "0"],
        &["XREAD", "STREAMS", "s", "0"],
    ];
    let mut cases = Vec::new();
    for cmd in commands {
        let key = if cmd[1] == "CREATE" && cmd[2] == "new" {
            "new"
        } else {
            "s"
        };
        cases.push(
            seeded(&format!("watch {}", cmd.join(" ")))
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["WATCH", key])
                .cmd(cmd.iter().copied())
                .cmd(["MULTI"])
                .cmd(["PING"])
                .cmd(["EXEC"]),
        );
    }
    differ.check(&cases).await;
}

#[tokio::test]
async fn keyspace_and_dump() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            seeded("generic commands")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "COUNT",
                    "2",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["TYPE", "s"])
                .cmd(["OBJECT", "ENCODING", "s"])
                .cmd(["COPY", "s", "s2"])
                .cmd(["XRANGE", "s2", "-", "+"])
                .cmd(["XINFO", "GROUPS", "s2"])
                .cmd(["RENAME", "s2", "s3"])
                .cmd(["XLEN", "s3"])
                .cmd(["MOVE", "s3", "1"])
                .cmd(["SCAN", "0", "TYPE", "stream"])
                .cmd(["SCAN", "0", "TYPE", "STREAM"])
                .cmd(["XDEL", "s", "1-1", "1-2", "2-0", "3-5", "5-0"])
                .cmd(["TYPE", "s"])
                .cmd(["EXISTS", "s"]),
            seeded("groups survive copy")
                .cmd(["XGROUP", "CREATE", "s", "g", "0"])
                .cmd(["XGROUP", "CREATE", "s", "123", "0"])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "COUNT",
                    "2",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd([
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "45",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "s",
                    ">",
                ])
                .cmd(["XDEL", "s", "1-2"])
                .cmd(["COPY", "s", "t"])
                .cmd_with(["XINFO", "STREAM", "t", "FULL"], Compare::MaskIntegers),
        ])
        .await;
}

#[tokio::test]
async fn blocking_reads() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let scripts = [
        script("xread woken by xadd", 2)
            .send(1, "XADD s 1-1 a 1")
            .block(0, "XREAD BLOCK 0 STREAMS s $")
            .send(1, "XADD s 2-1 b 2")
            .read(1, 1)
            .read(0, 1),
        script("xread on a missing key, fifo", 3)
            .block(0, "XREAD BLOCK 0 COUNT 1 STREAMS s 0")
            .block(1, "XREAD BLOCK 0 STREAMS other s 0 0")
            .send(2, "XADD s 1-1 a 1")
            .read(2, 1)
            .read(0, 1)
            .read(1, 1),
        script("xread keeps waiting across delete and type change", 2)
            .send(1, "XADD s 5-1 a 1")
            .block(0, "XREAD BLOCK 0 STREAMS s $")
            .send(1, "DEL s")
            .send(1, "SET s x")
            .send(1, "DEL s")
            .send(1, "XADD s 3-1 a 1")
            .send(1, "XADD s 6-1 a 1")
            .read(1, 5)
            .read(0, 1),
        script("xadd then del in a transaction", 2)
            .send(1, "XADD s 1-1 a 1")
            .block(0, "XREAD BLOCK 0 STREAMS s $")
            .send(1, "MULTI")
            .send(1, "XADD s 2-1 a 1")
            .send(1, "DEL s")
            .send(1, "EXEC")
            .read(1, 4)
            .drain(0)
            .send(1, "XADD s 3-1 a 1")
            .read(1, 1)
            .read(0, 1),
        script("xreadgroup woken by xadd", 3)
            .send(2, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >")
            .block(1, "XREADGROUP GROUP g bob BLOCK 0 COUNT 1 STREAMS s >")
            .send(2, "XADD s 1-1 a 1")
            .read(0, 1)
            .send(2, "XADD s 2-1 a 1")
            .read(1, 1)
            .send(2, "XPENDING s g")
            .read(2, 4),
        script("xreadgroup and deleted key", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >")
            .send(1, "DEL s")
            .read(1, 2)
            .read(0, 1),
        script("xreadgroup and type change", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >")
            .send(1, "SET s x")
            .read(1, 2)
            .read(0, 1),
        script("xreadgroup and destroyed group", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >")
            .send(1, "XGROUP DESTROY s g")
            .read(1, 2)
            .read(0, 1),
        script("xreadgroup and flushall", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >")
            .send(1, "FLUSHALL")
            .read(1, 2)
            .read(0, 1),
        script("xread and rename", 2)
            .send(1, "XADD src 1-1 a 1")
            .block(0, "XREAD BLOCK 0 STREAMS s 0")
            .send(1, "RENAME src s")
            .read(1, 2)
            .read(0, 1),
        script("blocked xread times out", 1)
            .send(0, "XREAD BLOCK 1 STREAMS s 0")
            .read(0, 1),
        script("xreadgroup noack while blocked", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g alice NOACK BLOCK 0 STREAMS s >")
            .send(1, "XADD s 1-1 a 1")
            .read(0, 1)
            .send(1, "XPENDING s g")
            .read(1, 3),
        script("xadd in a transaction wakes after exec", 2)
            .block(0, "XREAD BLOCK 0 STREAMS s 0")
            .send(1, "MULTI")
            .send(1, "XADD s 1-1 a 1")
            .send(1, "XADD s 2-1 b 2")
            .send(1, "EXEC")
            .read(1, 4)
            .read(0, 1),
        script(
            "xreadgroup consumers are served in order, one entry each",
            4,
        )
        .send(3, "XGROUP CREATE s g $ MKSTREAM")
        .block(0, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >")
        .block(1, "XREADGROUP GROUP g b BLOCK 0 STREAMS s >")
        .block(2, "XREAD BLOCK 0 STREAMS s 0")
        .send(3, "XADD s 1-1 a 1")
        .read(0, 1)
        .read(2, 1)
        .drain(1)
        .send(3, "XADD s 2-1 a 1")
        .read(1, 1)
        .send(3, "XINFO GROUPS s")
        .read(3, 4),
        script(
            "xreadgroup waits while another consumer takes the entries",
            3,
        )
        .send(2, "XGROUP CREATE s g $ MKSTREAM")
        .block(0, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >")
        .send(2, "MULTI")
        .send(2, "XADD s 1-1 a 1")
        .send(2, "XREADGROUP GROUP g b STREAMS s >")
        .send(2, "EXEC")
        .read(2, 5)
        .drain(0)
        .send(2, "XADD s 2-1 a 1")
        .read(2, 1)
        .read(0, 1),
        script("xread on several keys", 2)
            .block(0, "XREAD BLOCK 0 COUNT 1 STREAMS a b c 0 0 0")
            .send(1, "XADD b 1-1 f v")
            .read(1, 1)
            .read(0, 1),
        script("xread and swapdb", 2)
            .send(1, "SELECT 1")
            .send(1, "XADD s 1-1 a 1")
            .block(0, "XREAD BLOCK 0 STREAMS s 0")
            .send(1, "SWAPDB 0 1")
            .read(1, 3)
            .read(0, 1),
        script("xreadgroup and swapdb", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >")
            .send(1, "SWAPDB 0 1")
            .read(1, 2)
            .read(0, 1),
        script("xreadgroup and a key renamed away", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >")
            .send(1, "RENAME s t")
            .read(1, 2)
            .read(0, 1),
        script("xreadgroup and a key moved away", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >")
            .send(1, "MOVE s 3")
            .read(1, 2)
            .read(0, 1),
        script("xread woken by copy", 2)
            .send(1, "XADD src 7-1 a 1")
            .block(0, "XREAD BLOCK 0 STREAMS s 5")
            .send(1, "COPY src s")
            .read(1, 2)
            .read(0, 1),
        script("xreadgroup and an expired key", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .send(1, "PEXPIRE s 50")
            .block(0, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >")
            .elapse(200)
            .send(1, "EXISTS s")
            .read(1, 3)
            .read(0, 1),
        script("xreadgroup with a restored key", 2)
            .send(1, "XGROUP CREATE s g $ MKSTREAM")
            .block(0, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >")
            .send(1, "XADD other 1-1 a 1")
            .send(1, "XGROUP CREATE other g 0")
            .send(1, "RENAME other s")
            .read(1, 4)
            .read(0, 1),
        script("stream keyspace notifications", 3)
            .send(2, "CONFIG SET notify-keyspace-events KEA")
            .read(2, 1)
            .send(0, "PSUBSCRIBE __key*")
            .read(0, 1)
            .send(2, "XADD s 1-1 a 1")
            .send(2, "XADD s MAXLEN 1 2-1 a 1")
            .send(2, "XADD s NOMKSTREAM 3-1 a 1")
            .send(2, "XTRIM s MAXLEN 0")
            .send(2, "XTRIM s MAXLEN 0")
            .send(2, "XADD s 4-1 a 1")
            .send(2, "XDEL s 4-1")
            .send(2, "XDEL s 4-1")
            .send(2, "XSETID s 9-9")
            .send(2, "XGROUP CREATE s g $")
            .send(2, "XGROUP CREATE t g $ MKSTREAM")
            .send(2, "XGROUP CREATECONSUMER s g c")
            .send(2, "XGROUP CREATECONSUMER s g c")
            .send(2, "XGROUP SETID s g 0")
            .send(2, "XADD s 10-1 a 1")
            .send(2, "XREADGROUP GROUP g d STREAMS s >")
            .send(2, "XCLAIM s g e 0 10-1")
            .send(2, "XAUTOCLAIM s g f 0 0")
            .send(2, "XGROUP DELCONSUMER s g c")
            .send(2, "XGROUP DELCONSUMER s g zz")
            .send(2, "XGROUP DESTROY s g")
            .send(2, "XGROUP DESTROY s g")
            .send(2, "DEL s t")
            .read(2, 27)
            .drain(0)
            .send(2, "CONFIG SET notify-keyspace-events \"\"")
            .read(2, 1),
    ];
    differ.check_scripts(&scripts).await;
}

/// Commands building a stream with everything the RDB format carries:
/// several nodes (by count and by bytes), tombstones, entries with and
/// without the master fields, numeric values, groups with pending entries
/// and consumers, an `entries-read` left invalid.
fn stream_history() -> Vec<Vec<String>> {
    let mut cmds: Vec<Vec<String>> = Vec::new();
    let c = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for i in 1..=230u64 {
        let value = if i % 7 == 0 {
            "y".repeat(500)
        } else {
            format!("{}", i * 1000)
        };
        if i % 5 == 0 {
            cmds.push(c(&[
                "XADD",
                "s",
                &format!("{i}-{i}"),
                "other",
                &value,
                "f",
                "x",
            ]));
        } else {
            cmds.push(c(&["XADD", "s", &format!("{i}-1"), "f", &value]));
        }
    }
    cmds.push(c(&[
        "XADD",
        "s",
        "500-*",
        "-7",
        "123456789012",
        "neg",
        "-70000",
    ]));
    cmds.push(c(&["XDEL", "s", "3-1", "4-1", "100-100", "229-1"]));
    cmds.push(c(&["XGROUP", "CREATE", "s", "g1", "0"]));
    cmds.push(c(&["XGROUP", "CREATE", "s", "42", "10-1"]));
    cmds.push(c(&["XGROUP", "CREATE", "s", "lost", "7-3"]));
    cmds.push(c(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "alice",
        "COUNT",
        "5",
        "STREAMS",
        "s",
        ">",
    ]));
    cmds.push(c(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "7",
        "COUNT",
        "3",
        "STREAMS",
        "s",
        ">",
    ]));
    cmds.push(c(&[
        "XREADGROUP",
        "GROUP",
        "42",
        "bob",
        "COUNT",
        "2",
        "STREAMS",
        "s",
        ">",
    ]));
    cmds.push(c(&["XGROUP", "CREATECONSUMER", "s", "g1", "idle"]));
    cmds.push(c(&["XACK", "s", "g1", "2-1"]));
    cmds.push(c(&["XDEL", "s", "6-1"]));
    cmds
}

/// DUMP payloads travel both ways: redis-server's (LZF-compressed or not)
/// restores here, ours restores in redis-server, and with compression off
/// the two payloads are byte-identical.
#[tokio::test]
async fn dump_payloads_interoperate() {
    use crate::support::resp::{bulk_payload, escape};
    use crate::support::{RawConn, RealRedis};
    let Some(real) = RealRedis::start() else {
        return;
    };
    let mock = mock_redis::MockRedis::start().await;
    let mut r = RawConn::open(real.port).await;
    let mut m = RawConn::open(mock.port()).await;
    for cmd in stream_history() {
        let a = r.cmd(&cmd).await;
        let b = m.cmd(&cmd).await;
        if !cmd[0].starts_with("XREADGROUP") {
            assert_eq!(escape(&a), escape(&b), "{cmd:?}");
        }
    }
    let full = ["XINFO", "STREAM", "s", "FULL", "COUNT", "0"];
    let info_real = r.cmd(full).await;
    let info_mock_delivery_masked = normalize_times(&m.cmd(full).await);
    assert_eq!(
        escape(&normalize_times(&info_real)),
        escape(&info_mock_delivery_masked)
    );

    // redis-server's payload (compressed: rdbcompression is on by default)
    // restores here into exactly the stream redis-server has.
    let dump_real = r.cmd(["DUMP", "s"]).await;
    let payload = bulk_payload(&dump_real).unwrap().to_vec();
    let restored = m.cmd([&b"RESTORE"[..], b"fromreal", b"0", &payload]).await;
    assert_eq!(escape(&restored), "+OK\\r\\n");
    let full_copy = ["XINFO", "STREAM", "fromreal", "FULL", "COUNT", "0"];
    assert_eq!(
        escape(&m.cmd(full_copy).await).replace("fromreal", "s"),
        escape(&info_real)
    );

    // Ours restores there into exactly the stream we have.
    let dump_mock = m.cmd(["DUMP", "s"]).await;
    let payload = bulk_payload(&dump_mock).unwrap().to_vec();
    let restored = r.cmd([&b"RESTORE"[..], b"frommock", b"0", &payload]).await;
    assert_eq!(escape(&restored), "+OK\\r\\n");
    let full_copy = ["XINFO", "STREAM", "frommock", "FULL", "COUNT", "0"];
    assert_eq!(escape(&r.cmd(full_copy).await), escape(&m.cmd(full).await));

    // Uncompressed, the payloads are the same bytes once the times agree:
    // compare a stream without consumer groups.
    r.cmd(["CONFIG", "SET", "rdbcompression", "no"]).await;
    for cmd in stream_history()
        .iter()
        .filter(|c| c[0] == "XADD" || c[0] == "XDEL")
    {
        let mut cmd = cmd.clone();
        cmd[1] = "plain".into();
        r.cmd(&cmd).await;
        m.cmd(&cmd).await;
    }
    assert_eq!(
        escape(&r.cmd(["DUMP", "plain"]).await),
        escape(&m.cmd(["DUMP", "plain"]).await)
    );
    r.cmd(["CONFIG", "SET", "rdbcompression", "yes"]).await;
}

/// Masks the integers that follow a `seen-time` key or sit third in a
/// pending entry (delivery times), which differ between two servers.
fn normalize_times(reply: &[u8]) -> Vec<u8> {
    crate::support::resp::normalize(reply, Compare::MaskIntegers)
}

/// A seeded random history of appends (varying sizes and field sets),
/// deletions and trims (exact and approximate, by length and by ID, with
/// and without LIMIT), under small node limits: every reply, XINFO STREAM
/// included (node count, radix-tree nodes), matches redis-server.
#[tokio::test]
async fn random_histories_match() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut cases = Vec::new();
    for seed in 1..=12u64 {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let entries = [3, 5, 10, 100][(seed % 4) as usize].to_string();
        let bytes = [0, 90, 300, 4096][(seed / 2 % 4) as usize].to_string();
        let mut c = case(&format!("random history {seed}"))
            .cmd(["CONFIG", "SET", "stream-node-max-entries", &entries])
            .cmd(["CONFIG", "SET", "stream-node-max-bytes", &bytes]);
        let mut ms = 1u64;
        for _ in 0..160 {
            let op = next(100);
            let cmd: Vec<String> = if op < 60 {
                ms += next(3);
                let mut v = vec!["XADD".to_string(), "s".into(), format!("{ms}-*")];
                let nf = 1 + next(3);
                for f in 0..nf {
                    let field = if next(4) == 0 {
                        format!("g{f}")
                    } else {
                        format!("f{f}")
                    };
                    v.push(field);
                    let len = if next(10) == 0 { next(5000) } else { next(40) };
                    v.push("v".repeat(len as usize));
                }
                v
            } else if op < 75 {
                let id = format!("{}-{}", 1 + next(ms), next(3));
                vec!["XDEL".into(), "s".into(), id]
            } else if op < 85 {
                let approx = if next(2) == 0 { "~" } else { "=" };
                let n = next(40).to_string();
                let mut v = vec![
                    "XTRIM".into(),
                    "s".into(),
                    "MAXLEN".into(),
                    approx.into(),
                    n,
                ];
                if approx == "~" && next(3) == 0 {
                    v.push("LIMIT".into());
                    v.push(next(20).to_string());
                }
                v
            } else if op < 92 {
                let approx = if next(2) == 0 { "~" } else { "=" };
                let id = format!("{}", 1 + next(ms));
                vec![
                    "XTRIM".into(),
                    "s".into(),
                    "MINID".into(),
                    approx.into(),
                    id,
                ]
            } else if op < 96 {
                vec!["XINFO".into(), "STREAM".into(), "s".into()]
            } else {
                // A read with random, possibly exclusive, bounds.
                let bound = |n: u64, seq: u64, excl: bool| {
                    format!("{}{}-{}", if excl { "(" } else { "" }, n, seq)
                };
                let a = bound(next(ms + 2), next(3), next(3) == 0);
                let b = bound(next(ms + 2), next(3), next(3) == 0);
                match next(3) {
                    0 => vec![
                        "XRANGE".into(),
                        "s".into(),
                        a,
                        b,
                        "COUNT".into(),
                        next(6).to_string(),
                    ],
                    1 => vec!["XREVRANGE".into(), "s".into(), b, a],
                    _ => vec![
                        "XREAD".into(),
                        "COUNT".into(),
                        next(4).to_string(),
                        "STREAMS".into(),
                        "s".into(),
                        format!("{}-{}", next(ms + 2), next(3)),
                    ],
                }
            };
            c = c.cmd(cmd);
        }
        c = c
            .cmd(["XRANGE", "s", "-", "+"])
            .cmd(["XREVRANGE", "s", "+", "-", "COUNT", "7"])
            .cmd(["XINFO", "STREAM", "s", "FULL"])
            .cmd(["CONFIG", "SET", "stream-node-max-entries", "100"])
            .cmd(["CONFIG", "SET", "stream-node-max-bytes", "4096"]);
        cases.push(c);
    }
    differ.check(&cases).await;
}

/// A seeded random consumer-group workload: appends, group reads (new and
/// history, NOACK), acknowledgements, claims, deletions, trims and SETID,
/// checked through XINFO GROUPS (entries-read, lag), XPENDING and XINFO
/// CONSUMERS' pending counts (times masked).
#[tokio::test]
async fn random_group_workloads_match() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let m = Compare::MaskIntegers;
    let mut cases = Vec::new();
    for seed in 1..=16u64 {
        let mut x = seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut c = case(&format!("random group workload {seed}"))
            .cmd(["CONFIG", "SET", "stream-node-max-entries", "4"])
            .cmd(["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"])
            .cmd(["XGROUP", "CREATE", "s", "h", "$"]);
        let consumers = ["a", "b", "c"];
        let mut ms = 1u64;
        for _ in 0..120 {
            let op = next(100);
            let group = if next(3) == 0 { "h" } else { "g" };
            let consumer = consumers[next(3) as usize];
            let cmd: Vec<String> = if op < 30 {
                ms += 1 + next(2);
                vec![
                    "XADD".into(),
                    "s".into(),
                    format!("{ms}-*"),
                    "f".into(),
                    next(1000).to_string(),
                ]
            } else if op < 48 {
                let mut v = vec![
                    "XREADGROUP".into(),
                    "GROUP".into(),
                    group.into(),
                    consumer.into(),
                ];
                if next(2) == 0 {
                    v.push("COUNT".into());
                    v.push((1 + next(3)).to_string());
                }
                if next(6) == 0 {
                    v.push("NOACK".into());
                }
                v.push("STREAMS".into());
                v.push("s".into());
                v.push(if next(4) == 0 { "0".into() } else { ">".into() });
                v
            } else if op < 60 {
                let id = format!("{}-{}", 1 + next(ms), next(2));
                let id2 = format!("{}-0", 1 + next(ms));
                vec!["XACK".into(), "s".into(), group.into(), id, id2]
            } else if op < 68 {
                let id = format!("{}-{}", 1 + next(ms), next(2));
                let mut v = vec![
                    "XCLAIM".into(),
                    "s".into(),
                    group.into(),
                    consumer.into(),
                    "0".into(),
                    id,
                ];
                if next(2) == 0 {
                    v.push("JUSTID".into());
                }
                if next(3) == 0 {
                    v.push("FORCE".into());
                }
                v
            } else if op < 76 {
                let start = format!("{}", next(ms));
                let mut v = vec![
                    "XAUTOCLAIM".into(),
                    "s".into(),
                    group.into(),
                    consumer.into(),
                    "0".into(),
                    start,
                    "COUNT".into(),
                    (1 + next(4)).to_string(),
                ];
                if next(2) == 0 {
                    v.push("JUSTID".into());
                }
                v
            } else if op < 84 {
                let id = format!("{}-{}", 1 + next(ms), next(2));
                vec!["XDEL".into(), "s".into(), id]
            } else if op < 88 {
                let approx = if next(2) == 0 { "~" } else { "=" };
                vec![
                    "XTRIM".into(),
                    "s".into(),
                    "MAXLEN".into(),
                    approx.into(),
                    next(12).to_string(),
                ]
            } else if op < 91 {
                let id = if next(3) == 0 {
                    "$".to_string()
                } else {
                    format!("{}-0", next(ms))
                };
                vec![
                    "XGROUP".into(),
                    "SETID".into(),
                    "s".into(),
                    group.into(),
                    id,
                ]
            } else if op < 92 {
                vec![
                    "XGROUP".into(),
                    "DELCONSUMER".into(),
                    "s".into(),
                    group.into(),
                    consumer.into(),
                ]
            } else if op < 93 {
                vec![
                    "XGROUP".into(),
                    "CREATECONSUMER".into(),
                    "s".into(),
                    group.into(),
                    consumer.into(),
                ]
            } else if op < 95 {
                let id = format!("{}-{}", 1 + next(ms), next(2));
                vec![
                    "XCLAIM".into(),
                    "s".into(),
                    group.into(),
                    consumer.into(),
                    "0".into(),
                    id,
                    "RETRYCOUNT".into(),
                    next(5).to_string(),
                    "JUSTID".into(),
                ]
            } else if op < 96 {
                vec![
                    "XPENDING".into(),
                    "s".into(),
                    group.into(),
                    "-".into(),
                    "+".into(),
                    "3".into(),
                    consumer.into(),
                ]
            } else if op < 97 {
                vec!["XINFO".into(), "GROUPS".into(), "s".into()]
            } else {
                vec!["XPENDING".into(), "s".into(), group.into()]
            };
            // The extended XPENDING form reports idle times.
            c = if cmd[0] == "XPENDING" && cmd.len() > 3 {
                c.cmd_with(cmd, m)
            } else {
                c.cmd(cmd)
            };
        }
        c = c
            .cmd(["XINFO", "GROUPS", "s"])
            .cmd(["XPENDING", "s", "g"])
            .cmd(["XPENDING", "s", "h"])
            .cmd_with(["XPENDING", "s", "g", "-", "+", "100"], m)
            .cmd_with(["XINFO", "CONSUMERS", "s", "g"], m)
            .cmd_with(["XINFO", "STREAM", "s", "FULL"], m)
            .cmd(["CONFIG", "SET", "stream-node-max-entries", "100"]);
        cases.push(c);
    }
    differ.check(&cases).await;
}
