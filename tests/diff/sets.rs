//! Differential tests: set commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3.
//!
//! Sets of integers (at most 512) are intsets in Redis 7.0 and list in
//! ascending order, so those replies are compared exactly; replies listing
//! a hashtable set come in hash order and are compared sorted. Random
//! commands are compared by shape: single-member sets, counts covering the
//! whole set, or `SCARD`/`SISMEMBER` afterwards.

use std::collections::HashSet;

use crate::shapes::{flat, raw_replies};
use crate::support::{Compare, Differ, case};
use mock_redis::MockRedis;

#[tokio::test]
async fn sadd_srem_scard_sismember() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("sadd and scard")
                .cmd(["SADD", "s", "a", "b", "c", "a"])
                .cmd(["SADD", "s", "a"])
                .cmd(["SADD", "s", "d", "e"])
                .cmd(["SCARD", "s"])
                .cmd(["SCARD", "missing"])
                .cmd_sorted(["SMEMBERS", "s"]),
            case("srem deletes the emptied key")
                .cmd(["SADD", "s", "a", "b"])
                .cmd(["SREM", "s", "x"])
                .cmd(["SREM", "s", "a", "a", "x"])
                .cmd(["SREM", "s", "b"])
                .cmd(["GET", "s"])
                .cmd(["SREM", "s", "b"])
                .cmd(["SREM", "missing", "b"]),
            case("sismember smismember")
                .cmd(["SADD", "s", "a", "1", ""])
                .cmd(["SISMEMBER", "s", "a"])
                .cmd(["SISMEMBER", "s", "z"])
                .cmd(["SISMEMBER", "s", ""])
                .cmd(["SISMEMBER", "missing", "a"])
                .cmd(["SMISMEMBER", "s", "a", "z", "1", ""])
                .cmd(["SMISMEMBER", "missing", "a", "b"]),
            case("intset members list in numeric order")
                .cmd([
                    "SADD",
                    "n",
                    "10",
                    "-3",
                    "2",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "0",
                ])
                .cmd(["SMEMBERS", "n"])
                .cmd(["SADD", "n", "7"])
                .cmd(["SMEMBERS", "n"])
                .cmd(["SREM", "n", "0", "10"])
                .cmd(["SMEMBERS", "n"])
                .cmd(["SADD", "n", "x"])
                .cmd_sorted(["SMEMBERS", "n"]),
            case("non-canonical integers are strings")
                .cmd([
                    "SADD",
                    "n",
                    "1",
                    "01",
                    "+2",
                    " 3",
                    "1.0",
                    "9223372036854775808",
                ])
                .cmd_sorted(["SMEMBERS", "n"])
                .cmd(["SCARD", "n"]),
            case("binary members")
                .cmd(["SADD", "b", "\r\n", "\0", "x\0y"])
                .cmd(["SISMEMBER", "b", "x\0y"])
                .cmd_sorted(["SMEMBERS", "b"]),
            case("set arity")
                .cmd(["SADD", "s"])
                .cmd(["SADD"])
                .cmd(["SREM", "s"])
                .cmd(["SCARD"])
                .cmd(["SCARD", "a", "b"])
                .cmd(["SISMEMBER", "s"])
                .cmd(["SISMEMBER", "s", "a", "b"])
                .cmd(["SMISMEMBER", "s"])
                .cmd(["SMEMBERS"])
                .cmd(["SMEMBERS", "a", "b"])
                .cmd(["SPOP"])
                .cmd(["SRANDMEMBER"])
                .cmd(["SMOVE", "a", "b"])
                .cmd(["SINTER"])
                .cmd(["SINTERSTORE", "d"])
                .cmd(["SINTERCARD", "1"])
                .cmd(["SUNION"])
                .cmd(["SUNIONSTORE", "d"])
                .cmd(["SDIFF"])
                .cmd(["SDIFFSTORE", "d"])
                .cmd(["SSCAN", "s"]),
            case("set wrongtype")
                .cmd(["SET", "str", "v"])
                .cmd(["SADD", "str", "a"])
                .cmd(["SREM", "str", "a"])
                .cmd(["SCARD", "str"])
                .cmd(["SISMEMBER", "str", "a"])
                .cmd(["SMISMEMBER", "str", "a"])
                .cmd(["SMEMBERS", "str"])
                .cmd(["SPOP", "str"])
                .cmd(["SPOP", "str", "2"])
                .cmd(["SRANDMEMBER", "str"])
                .cmd(["SRANDMEMBER", "str", "2"])
                .cmd(["SSCAN", "str", "0"])
                .cmd(["GET", "str"]),
        ])
        .await;
}

#[tokio::test]
async fn spop_srandmember() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("spop single member")
                .cmd(["SADD", "s", "only"])
                .cmd(["SPOP", "s"])
                .cmd(["GET", "s"])
                .cmd(["SPOP", "s"])
                .cmd(["SPOP", "missing"]),
            case("spop count")
                .cmd(["SADD", "s", "a", "b", "c", "d", "e"])
                .cmd(["SPOP", "s", "0"])
                .cmd_with(["SPOP", "s", "2"], Compare::TypeOnly)
                .cmd(["SCARD", "s"])
                .cmd_with(["SPOP", "s", "3"], Compare::TypeOnly)
                .cmd(["GET", "s"])
                .cmd(["SPOP", "missing", "3"]),
            case("spop count on an intset covers it in order")
                .cmd(["SADD", "s", "3", "1", "2"])
                .cmd(["SPOP", "s", "10"])
                .cmd(["GET", "s"]),
            case("spop errors")
                .cmd(["SADD", "s", "a"])
                .cmd(["SPOP", "s", "-1"])
                .cmd(["SPOP", "s", "x"])
                .cmd(["SPOP", "s", "1.5"])
                .cmd(["SPOP", "s", "1", "2"])
                .cmd(["SET", "str", "v"])
                .cmd(["SPOP", "str", "x"])
                .cmd(["SPOP", "str", "0"])
                .cmd(["SCARD", "s"]),
            case("srandmember")
                .cmd(["SADD", "s", "only"])
                .cmd(["SRANDMEMBER", "s"])
                .cmd(["SRANDMEMBER", "s", "1"])
                .cmd(["SRANDMEMBER", "s", "5"])
                .cmd(["SRANDMEMBER", "s", "-3"])
                .cmd(["SRANDMEMBER", "s", "0"])
                .cmd(["SRANDMEMBER", "missing"])
                .cmd(["SRANDMEMBER", "missing", "3"])
                .cmd(["SRANDMEMBER", "missing", "-3"])
                .cmd(["SCARD", "s"]),
            case("srandmember counts")
                .cmd(["SADD", "s", "1", "2", "3", "4", "5"])
                .cmd(["SRANDMEMBER", "s", "5"])
                .cmd(["SRANDMEMBER", "s", "50"])
                .cmd_with(["SRANDMEMBER", "s", "3"], Compare::TypeOnly)
                .cmd_with(["SRANDMEMBER", "s", "-8"], Compare::TypeOnly)
                .cmd(["SADD", "h", "a", "b", "c"])
                .cmd_sorted(["SRANDMEMBER", "h", "3"])
                .cmd(["SCARD", "s"]),
            case("srandmember errors")
                .cmd(["SADD", "s", "a"])
                .cmd(["SRANDMEMBER", "s", "x"])
                .cmd(["SRANDMEMBER", "s", "-9223372036854775808"])
                .cmd(["SRANDMEMBER", "s", "9223372036854775808"])
                .cmd(["SRANDMEMBER", "s", "1", "2"])
                .cmd(["SRANDMEMBER", "missing", "x"]),
        ])
        .await;
}

#[tokio::test]
async fn smove() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("smove")
                .cmd(["SADD", "a", "1", "2"])
                .cmd(["SMOVE", "a", "b", "1"])
                .cmd(["SMEMBERS", "a"])
                .cmd(["SMEMBERS", "b"])
                .cmd(["SMOVE", "a", "b", "9"])
                .cmd(["SMOVE", "a", "b", "2"])
                .cmd(["GET", "a"])
                .cmd(["SMEMBERS", "b"])
                .cmd(["SMOVE", "missing", "b", "1"])
                .cmd(["SADD", "c", "1"])
                .cmd(["SMOVE", "c", "b", "1"])
                .cmd(["SMEMBERS", "b"])
                .cmd(["GET", "c"]),
            case("smove same key")
                .cmd(["SADD", "a", "x"])
                .cmd(["SMOVE", "a", "a", "x"])
                .cmd(["SMOVE", "a", "a", "y"])
                .cmd(["SMEMBERS", "a"]),
            case("smove wrongtype")
                .cmd(["SET", "str", "v"])
                .cmd(["SADD", "a", "x"])
                .cmd(["SMOVE", "str", "a", "x"])
                .cmd(["SMOVE", "a", "str", "x"])
                .cmd(["SMOVE", "missing", "str", "x"])
                .cmd(["SMOVE", "a", "str", "nope"])
                .cmd(["SMEMBERS", "a"]),
        ])
        .await;
}

#[tokio::test]
async fn set_algebra() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let setup = |name: &str| {
        case(name)
            .cmd(["SADD", "a", "1", "2", "3", "4"])
            .cmd(["SADD", "b", "3", "4", "5"])
            .cmd(["SADD", "c", "4", "x", "y"])
            .cmd(["SET", "str", "v"])
    };
    differ
        .check(&[
            setup("sinter")
                .cmd(["SINTER", "a", "b"])
                .cmd(["SINTER", "a"])
                .cmd(["SINTER", "a", "b", "c"])
                .cmd(["SINTER", "a", "missing"])
                .cmd(["SINTER", "missing"])
                .cmd(["SINTER", "missing", "str"])
                .cmd(["SINTER", "a", "str"]),
            setup("sunion")
                .cmd(["SUNION", "a", "b"])
                .cmd_sorted(["SUNION", "a", "c"])
                .cmd(["SUNION", "a", "missing"])
                .cmd(["SUNION", "missing"])
                .cmd(["SUNION", "missing", "str"]),
            setup("sdiff")
                .cmd(["SDIFF", "a", "b"])
                .cmd(["SDIFF", "a", "b", "c"])
                .cmd_sorted(["SDIFF", "c", "a"])
                .cmd(["SDIFF", "a", "missing"])
                .cmd(["SDIFF", "missing", "a"])
                .cmd(["SDIFF", "a", "a"])
                .cmd(["SDIFF", "missing", "str"])
                .cmd(["SDIFF", "a", "str"]),
            setup("store forms")
                .cmd(["SINTERSTORE", "d", "a", "b"])
                .cmd(["SMEMBERS", "d"])
                .cmd(["SUNIONSTORE", "d", "a", "b"])
                .cmd(["SMEMBERS", "d"])
                .cmd(["SDIFFSTORE", "d", "a", "b"])
                .cmd(["SMEMBERS", "d"])
                .cmd(["SUNIONSTORE", "e", "c", "a"])
                .cmd_sorted(["SMEMBERS", "e"]),
            setup("store forms delete on empty results")
                .cmd(["SET", "d", "old"])
                .cmd(["SINTERSTORE", "d", "a", "b"])
                .cmd(["SMEMBERS", "d"])
                .cmd(["SINTERSTORE", "d", "a", "missing"])
                .cmd(["GET", "d"])
                .cmd(["SUNIONSTORE", "d", "missing"])
                .cmd(["SADD", "d", "z"])
                .cmd(["SDIFFSTORE", "d", "a", "a"])
                .cmd(["GET", "d"])
                .cmd(["SADD", "d", "z"])
                .cmd(["SINTERSTORE", "d", "missing", "a"])
                .cmd(["GET", "d"]),
            setup("store forms drop the destination's ttl")
                .cmd(["SADD", "d", "old"])
                .cmd(["EXPIRE", "d", "100"])
                .cmd(["SUNIONSTORE", "d", "a"])
                .cmd(["TTL", "d"])
                .cmd(["TYPE", "d"])
                .cmd(["EXISTS", "d"])
                .cmd(["SINTERSTORE", "d", "a", "missing"])
                .cmd(["EXISTS", "d"]),
            setup("store over the source and over a string")
                .cmd(["SINTERSTORE", "a", "a", "b"])
                .cmd(["SMEMBERS", "a"])
                .cmd(["SUNIONSTORE", "str", "b"])
                .cmd(["SMEMBERS", "str"]),
            setup("store wrongtype")
                .cmd(["SINTERSTORE", "d", "a", "str"])
                .cmd(["SUNIONSTORE", "d", "str"])
                .cmd(["SDIFFSTORE", "d", "a", "str"])
                .cmd(["GET", "d"]),
            setup("sintercard")
                .cmd(["SINTERCARD", "2", "a", "b"])
                .cmd(["SINTERCARD", "1", "a"])
                .cmd(["SINTERCARD", "3", "a", "b", "c"])
                .cmd(["SINTERCARD", "2", "a", "b", "LIMIT", "1"])
                .cmd(["SINTERCARD", "2", "a", "b", "limit", "0"])
                .cmd(["SINTERCARD", "2", "a", "b", "LIMIT", "10"])
                .cmd(["SINTERCARD", "2", "a", "missing"])
                .cmd(["SINTERCARD", "2", "missing", "str"])
                .cmd(["SINTERCARD", "0", "a"])
                .cmd(["SINTERCARD", "-1", "a"])
                .cmd(["SINTERCARD", "x", "a"])
                .cmd(["SINTERCARD", "3", "a", "b"])
                .cmd(["SINTERCARD", "1", "a", "LIMIT"])
                .cmd(["SINTERCARD", "1", "a", "LIMIT", "-1"])
                .cmd(["SINTERCARD", "1", "a", "LIMIT", "x"])
                .cmd(["SINTERCARD", "1", "a", "LIMIT", "1", "x"])
                .cmd(["SINTERCARD", "1", "a", "FOO", "1"]),
        ])
        .await;
}

#[tokio::test]
async fn sscan() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut big = case("a set of 520 integers");
    for chunk in (0..520).collect::<Vec<i32>>().chunks(130) {
        let mut args = vec!["SADD".to_string(), "n".to_string()];
        args.extend(chunk.iter().map(|i| i.to_string()));
        big = big.cmd(args).cmd(["SCARD", "n"]);
    }
    big = big
        .cmd_sorted(["SMEMBERS", "n"])
        .cmd([
            "SREM", "n", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        ])
        .cmd(["SISMEMBER", "n", "511"]);
    differ
        .check(&[
            case("sscan an intset returns everything at once")
                .cmd(["SADD", "s", "5", "3", "1", "20", "11"])
                .cmd(["SSCAN", "s", "0"])
                .cmd(["SSCAN", "s", "0", "COUNT", "1"])
                .cmd(["SSCAN", "s", "0", "MATCH", "1*"])
                .cmd(["SSCAN", "s", "0", "MATCH", "*", "COUNT", "2"])
                .cmd(["SSCAN", "s", "0", "match", "[0-3]"])
                .cmd(["SSCAN", "s", "123"])
                .cmd(["SSCAN", "s", "-1"])
                .cmd(["SSCAN", "s", "+0"]),
            case("sscan a small hashtable")
                .cmd(["SADD", "s", "only"])
                .cmd(["SSCAN", "s", "0"])
                .cmd(["SSCAN", "s", "0", "MATCH", "o*"])
                .cmd(["SSCAN", "s", "0", "MATCH", "x*"])
                .cmd(["SSCAN", "missing", "0"])
                .cmd(["SSCAN", "missing", "7", "COUNT", "0"]),
            case("sscan errors")
                .cmd(["SADD", "s", "a"])
                .cmd(["SSCAN", "s", "x"])
                .cmd(["SSCAN", "s", " 1"])
                .cmd(["SSCAN", "s", "18446744073709551616"])
                .cmd(["SSCAN", "s", "0", "COUNT", "0"])
                .cmd(["SSCAN", "s", "0", "COUNT", "-1"])
                .cmd(["SSCAN", "s", "0", "COUNT", "x"])
                .cmd(["SSCAN", "s", "0", "COUNT"])
                .cmd(["SSCAN", "s", "0", "MATCH"])
                .cmd(["SSCAN", "s", "0", "TYPE", "string"])
                .cmd(["SSCAN", "s", "0", "NOPE", "x"]),
            big,
        ])
        .await;
}

/// Random replies: the same type, the same number of elements, members of
/// the set, distinct when Redis guarantees it, on both servers.
#[tokio::test]
async fn random_reply_shapes() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let members: Vec<String> = (1..=20).map(|i| format!("m{i}")).collect();
    let ints: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    // (command, expected element count, distinct?)
    let probes: &[(&[&str], usize, bool)] = &[
        (&["SRANDMEMBER", "s", "5"], 5, true),
        (&["SRANDMEMBER", "s", "15"], 15, true),
        (&["SRANDMEMBER", "s", "-30"], 30, false),
        (&["SPOP", "s", "3"], 3, true),
        (&["SPOP", "s", "12"], 12, true),
    ];
    for set in [&members, &ints] {
        for resp3 in [false, true] {
            for (probe, want, distinct) in probes {
                let mut sadd = vec!["SADD", "s"];
                sadd.extend(set.iter().map(String::as_str));
                let cmds = vec![vec!["DEL", "s"], sadd, probe.to_vec(), vec!["SCARD", "s"]];
                let mock = MockRedis::start().await;
                let mut mock_cmds = cmds.clone();
                mock_cmds.remove(0); // a fresh mock has no keys (and no DEL yet)
                let real = raw_replies(differ.real_port(), resp3, &cmds).await;
                let ours = raw_replies(mock.port(), resp3, &mock_cmds).await;
                mock.shutdown().await;
                let (rk, ritems) = flat(&real[2]);
                let (mk, mitems) = flat(&ours[1]);
                let label = format!("{probe:?} resp3={resp3}");
                assert_eq!(rk, mk, "{label}: reply type");
                assert_eq!(ritems.len(), *want, "{label}: redis count");
                assert_eq!(mitems.len(), *want, "{label}: mock count");
                let universe: HashSet<Vec<u8>> =
                    set.iter().map(|m| m.as_bytes().to_vec()).collect();
                assert!(mitems.iter().all(|m| universe.contains(m)), "{label}");
                if *distinct {
                    let d: HashSet<&Vec<u8>> = mitems.iter().collect();
                    assert_eq!(d.len(), mitems.len(), "{label}: distinct");
                }
                assert_eq!(real[3], ours[2], "{label}: SCARD afterwards");
            }
        }
    }
}

/// `COMMAND INFO` (arity, flags, key positions, ACL categories, tips, key
/// specs) of every set command, and `COMMAND GETKEYS` for the movable one.
#[tokio::test]
async fn command_info() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut info = case("command info");
    for name in [
        "sadd",
        "scard",
        "sdiff",
        "sdiffstore",
        "sinter",
        "sintercard",
        "sinterstore",
        "sismember",
        "smembers",
        "smismember",
        "smove",
        "spop",
        "srandmember",
        "srem",
        "sscan",
        "sunion",
        "sunionstore",
    ] {
        info = info.cmd(["COMMAND", "INFO", name]);
    }
    differ
        .check(&[
            info,
            case("command getkeys")
                .cmd([
                    "COMMAND",
                    "GETKEYS",
                    "SINTERCARD",
                    "2",
                    "a",
                    "b",
                    "LIMIT",
                    "1",
                ])
                .cmd(["COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"])
                .cmd(["COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"]),
        ])
        .await;
}

/// Whether each write signals a modification (WATCH then EXEC on the same
/// connection aborts exactly when Redis's `signalModifiedKey` ran): the
/// same hook wakes blocked clients.
#[tokio::test]
async fn writes_signal_modifications() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let probe = |name: &str, setup: &[&[&str]], cmd: &[&str], key: &str| {
        let mut c = case(name);
        for s in setup {
            c = c.cmd(s.iter().copied());
        }
        c.cmd(["WATCH", key])
            .cmd_sorted(cmd.iter().copied())
            .cmd(["MULTI"])
            .cmd(["PING"])
            .cmd(["EXEC"])
    };
    let base: &[&[&str]] = &[&["SADD", "s", "a", "b", "1"], &["SADD", "t", "b", "c"]];
    differ
        .check(&[
            probe("sadd new", base, &["SADD", "s", "z"], "s"),
            probe("sadd existing", base, &["SADD", "s", "a"], "s"),
            probe("srem hit", base, &["SREM", "s", "a"], "s"),
            probe("srem miss", base, &["SREM", "s", "q"], "s"),
            probe("spop", base, &["SPOP", "s", "3"], "s"),
            probe("spop 0", base, &["SPOP", "s", "0"], "s"),
            probe("smove src", base, &["SMOVE", "s", "t", "a"], "s"),
            probe("smove dst", base, &["SMOVE", "s", "t", "a"], "t"),
            probe("smove miss", base, &["SMOVE", "s", "t", "q"], "t"),
            probe("smove dst has it", base, &["SMOVE", "s", "t", "b"], "t"),
            probe("sinterstore", base, &["SINTERSTORE", "d", "s", "t"], "d"),
            probe(
                "sinterstore empty",
                base,
                &["SINTERSTORE", "d", "s", "x"],
                "d",
            ),
            probe("sunionstore over", base, &["SUNIONSTORE", "t", "s"], "t"),
            probe(
                "sdiffstore empty over",
                base,
                &["SDIFFSTORE", "t", "s", "s"],
                "t",
            ),
            probe("read only", base, &["SMEMBERS", "s"], "s"),
        ])
        .await;
}

/// OBJECT ENCODING where Redis's encoding follows from the members (no
/// one-way conversion involved), and `set-max-intset-entries` from CONFIG SET.
#[tokio::test]
async fn encodings() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let ints: Vec<String> = (0..513).map(|i| i.to_string()).collect();
    let mut sadd512 = vec!["SADD".to_string(), "big".to_string()];
    sadd512.extend(ints[..512].iter().cloned());
    differ
        .check(&[
            case("set encodings")
                .cmd([
                    "SADD",
                    "i",
                    "1",
                    "-9223372036854775808",
                    "9223372036854775807",
                ])
                .cmd(["OBJECT", "ENCODING", "i"])
                .cmd(["SADD", "h", "1", "x"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["SADD", "z", "01"])
                .cmd(["OBJECT", "ENCODING", "z"])
                .cmd(sadd512)
                .cmd(["OBJECT", "ENCODING", "big"])
                .cmd(["SADD", "big", "512"])
                .cmd(["OBJECT", "ENCODING", "big"])
                .cmd(["SINTERSTORE", "d", "i", "i"])
                .cmd(["OBJECT", "ENCODING", "d"])
                .cmd(["SUNIONSTORE", "e", "i", "h"])
                .cmd(["OBJECT", "ENCODING", "e"]),
            case("set-max-intset-entries follows CONFIG SET")
                .cmd(["CONFIG", "SET", "set-max-intset-entries", "2"])
                .cmd(["SADD", "s", "3", "1"])
                .cmd(["OBJECT", "ENCODING", "s"])
                .cmd(["SMEMBERS", "s"])
                .cmd(["SADD", "t", "3", "1", "2"])
                .cmd(["OBJECT", "ENCODING", "t"])
                .cmd_sorted(["SMEMBERS", "t"])
                .cmd(["CONFIG", "SET", "set-max-intset-entries", "512"]),
        ])
        .await;
}

/// Keyspace hits and misses (INFO stats) after every set and sorted-set
/// command: each command looks its keys up the way Redis does (read or
/// write lookups, once per key).
#[tokio::test]
async fn keyspace_hits_and_misses() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let script = [
        "SADD a 1 2 3",
        "SADD b 3 4",
        "SINTER a b nokey",
        "SINTERSTORE d a b nokey",
        "SUNION a nokey",
        "SUNIONSTORE d a nokey",
        "SDIFFSTORE d a b",
        "SINTERCARD 2 a b",
        "SMISMEMBER a 1 2",
        "SISMEMBER nokey 1",
        "SCARD a",
        "SRANDMEMBER a",
        "SPOP nokey",
        "SMOVE a b 1",
        "SMOVE nokey b 1",
        "SREM a 2",
        "SSCAN a 0",
        "SMEMBERS nokey",
        "ZADD z 1 a 2 b",
        "ZSCORE z a",
        "ZMSCORE nokey a",
        "ZRANK z a",
        "ZREVRANK nokey a",
        "ZCOUNT z 0 1",
        "ZLEXCOUNT z - +",
        "ZRANGE z 0 -1",
        "ZRANGESTORE d2 z 0 -1",
        "ZRANGESTORE d2 nokey 0 -1",
        "ZREM z a",
        "ZREMRANGEBYSCORE nokey 0 1",
        "ZPOPMIN nokey",
        "ZMPOP 2 nokey z MIN",
        "ZADD z 1 a 2 b",
        "ZRANDMEMBER z",
        "ZSCAN z 0",
        "ZUNION 2 z nokey",
        "ZUNIONSTORE d3 2 z nokey",
        "ZINTERCARD 2 z nokey",
        "ZINCRBY z 1 a",
        "ZDIFF 2 z nokey",
    ];
    let stats = |reply: &[u8]| -> (String, String) {
        let text = String::from_utf8_lossy(reply).into_owned();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or("?")
                .to_string()
        };
        (field("keyspace_hits:"), field("keyspace_misses:"))
    };
    let mock = MockRedis::start().await;
    for (i, line) in script.iter().enumerate() {
        let cmd: Vec<&str> = line.split(' ').collect();
        let mut real_cmds = vec![cmd.clone(), vec!["INFO", "stats"]];
        let mut mock_cmds = real_cmds.clone();
        if i == 0 {
            real_cmds.splice(0..0, [vec!["FLUSHALL"], vec!["CONFIG", "RESETSTAT"]]);
            mock_cmds.insert(0, vec!["CONFIG", "RESETSTAT"]);
        }
        let real = raw_replies(differ.real_port(), false, &real_cmds).await;
        let ours = raw_replies(mock.port(), false, &mock_cmds).await;
        let (want, got) = (stats(real.last().unwrap()), stats(ours.last().unwrap()));
        assert!(want.0 != "?" && got.0 != "?", "INFO stats has the counters");
        assert_eq!(want, got, "hits/misses after {line}");
    }
    mock.shutdown().await;
}
