//! Differential tests: hash commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3. Replies whose order is a hash order
//! are compared sorted; random and scan output is compared by shape, with
//! redis-rs talking to both servers.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use redis::Value;
use support::{Differ, case};

#[tokio::test]
async fn set_get_delete() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("hset and hget")
                .cmd(["HSET", "h", "a", "1", "b", "2"])
                .cmd(["HSET", "h", "a", "3", "c", "4", "a", "5"])
                .cmd(["HGET", "h", "a"])
                .cmd(["HGET", "h", "zz"])
                .cmd(["HGET", "nokey", "a"])
                .cmd(["HLEN", "h"])
                .cmd(["HLEN", "nokey"])
                .cmd(["HMSET", "h", "d", "6", "a", "7"])
                .cmd(["HMGET", "h", "a", "zz", "d", "b"])
                .cmd(["HMGET", "nokey", "a", "b"])
                .cmd(["HSTRLEN", "h", "a"])
                .cmd(["HSTRLEN", "h", "zz"])
                .cmd(["HSTRLEN", "nokey", "a"])
                .cmd(["HEXISTS", "h", "a"])
                .cmd(["HEXISTS", "h", "zz"])
                .cmd(["HEXISTS", "nokey", "a"]),
            case("binary fields and values")
                .cmd(["HSET", "h", "", "", "\r\n", "\0"])
                .cmd(["HGET", "h", ""])
                .cmd(["HGET", "h", "\r\n"])
                .cmd(["HSTRLEN", "h", "\r\n"])
                .cmd_sorted(["HKEYS", "h"]),
            case("hsetnx")
                .cmd(["HSETNX", "h", "a", "1"])
                .cmd(["HSETNX", "h", "a", "2"])
                .cmd(["HGET", "h", "a"])
                .cmd(["HSETNX", "h", "b", "3"])
                .cmd(["HLEN", "h"]),
            case("hdel")
                .cmd(["HSET", "h", "a", "1", "b", "2", "c", "3"])
                .cmd(["HDEL", "h", "a", "zz", "a"])
                .cmd(["HDEL", "h", "zz"])
                .cmd(["HDEL", "nokey", "a"])
                .cmd(["HDEL", "h", "b", "c", "d"])
                .cmd(["GET", "h"])
                .cmd(["HLEN", "h"]),
            case("single-field listings are exact")
                .cmd(["HSET", "h", "f", "v"])
                .cmd(["HGETALL", "h"])
                .cmd(["HKEYS", "h"])
                .cmd(["HVALS", "h"])
                .cmd(["HSCAN", "h", "0"])
                .cmd(["HRANDFIELD", "h"])
                .cmd(["HRANDFIELD", "h", "1"])
                .cmd(["HRANDFIELD", "h", "5", "WITHVALUES"])
                .cmd(["HRANDFIELD", "h", "-3"])
                .cmd(["HRANDFIELD", "h", "-2", "WITHVALUES"]),
            case("listings")
                .cmd(["HSET", "h", "a", "1", "b", "2", "c", "3"])
                .cmd_sorted(["HKEYS", "h"])
                .cmd_sorted(["HVALS", "h"])
                .cmd_sorted(["HGETALL", "h"])
                .cmd(["HGETALL", "nokey"])
                .cmd(["HKEYS", "nokey"])
                .cmd(["HVALS", "nokey"]),
            case("arity")
                .cmd(["HSET", "h", "a"])
                .cmd(["HSET", "h", "a", "1", "b"])
                .cmd(["HMSET", "h", "a"])
                .cmd(["HMSET", "h", "a", "1", "b"])
                .cmd(["HSET", "h"])
                .cmd(["HGET", "h"])
                .cmd(["HGET", "h", "a", "b"])
                .cmd(["HMGET", "h"])
                .cmd(["HDEL", "h"])
                .cmd(["HLEN"])
                .cmd(["HSTRLEN", "h"])
                .cmd(["HEXISTS", "h"])
                .cmd(["HKEYS"])
                .cmd(["HVALS", "h", "x"])
                .cmd(["HGETALL"])
                .cmd(["HSETNX", "h", "a"])
                .cmd(["HINCRBY", "h", "a"])
                .cmd(["HINCRBYFLOAT", "h", "a"])
                .cmd(["HRANDFIELD"])
                .cmd(["HSCAN", "h"])
                .cmd(["GET", "h"]),
            case("wrong type")
                .cmd(["SET", "s", "v"])
                .cmd(["HSET", "s", "a", "1"])
                .cmd(["HMSET", "s", "a", "1"])
                .cmd(["HSETNX", "s", "a", "1"])
                .cmd(["HGET", "s", "a"])
                .cmd(["HMGET", "s", "a"])
                .cmd(["HDEL", "s", "a"])
                .cmd(["HLEN", "s"])
                .cmd(["HSTRLEN", "s", "a"])
                .cmd(["HEXISTS", "s", "a"])
                .cmd(["HKEYS", "s"])
                .cmd(["HVALS", "s"])
                .cmd(["HGETALL", "s"])
                .cmd(["HINCRBY", "s", "a", "1"])
                .cmd(["HINCRBY", "s", "a", "x"])
                .cmd(["HINCRBYFLOAT", "s", "a", "1"])
                .cmd(["HINCRBYFLOAT", "s", "a", "x"])
                .cmd(["HRANDFIELD", "s"])
                .cmd(["HRANDFIELD", "s", "2"])
                .cmd(["HRANDFIELD", "s", "x"])
                .cmd(["HSCAN", "s", "0"])
                .cmd(["HSCAN", "s", "x"])
                .cmd(["HSCAN", "s", "0", "COUNT", "0"])
                .cmd(["RPUSH", "l", "a"])
                .cmd(["HGET", "l", "a"])
                .cmd(["HSET", "l", "a", "b"])
                .cmd(["GET", "s"]),
            case("hashes inside multi")
                .cmd(["MULTI"])
                .cmd(["HSET", "h", "a", "1"])
                .cmd(["HINCRBY", "h", "a", "5"])
                .cmd(["HDEL", "h", "a"])
                .cmd(["HLEN", "h"])
                .cmd(["EXEC"]),
        ])
        .await;
}

#[tokio::test]
async fn increments() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("hincrby")
                .cmd(["HINCRBY", "h", "n", "5"])
                .cmd(["HINCRBY", "h", "n", "-7"])
                .cmd(["HGET", "h", "n"])
                .cmd(["HINCRBY", "h", "n", "0"])
                .cmd(["HINCRBY", "h", "m", "-9223372036854775808"])
                .cmd(["HINCRBY", "h", "m", "-1"])
                .cmd(["HINCRBY", "h", "m", "9223372036854775807"])
                .cmd(["HINCRBY", "h", "m", "9223372036854775807"])
                .cmd(["HINCRBY", "h", "m", "2"])
                .cmd(["HGET", "h", "m"]),
            case("hincrby errors")
                .cmd(["HSET", "h", "s", "abc", "z", "007", "sp", " 1", "f", "1.5"])
                .cmd(["HINCRBY", "h", "s", "1"])
                .cmd(["HINCRBY", "h", "z", "1"])
                .cmd(["HINCRBY", "h", "sp", "1"])
                .cmd(["HINCRBY", "h", "f", "1"])
                .cmd(["HINCRBY", "h", "n", "x"])
                .cmd(["HINCRBY", "h", "n", "1.0"])
                .cmd(["HINCRBY", "h", "n", "9223372036854775808"])
                .cmd(["HINCRBY", "nokey", "n", "x"])
                .cmd(["GET", "nokey"])
                .cmd(["HGET", "h", "s"]),
            case("hincrbyfloat")
                .cmd(["HINCRBYFLOAT", "h", "x", "1.5"])
                .cmd(["HINCRBYFLOAT", "h", "x", "-2.5"])
                .cmd(["HINCRBYFLOAT", "h", "x", "0.25"])
                .cmd(["HINCRBYFLOAT", "h", "y", "1e3"])
                .cmd(["HINCRBYFLOAT", "h", "y", "5.0e3"])
                .cmd(["HINCRBYFLOAT", "h", "z", "0x10"])
                .cmd(["HINCRBYFLOAT", "h", "w", "1.0e-5"])
                .cmd(["HINCRBYFLOAT", "h", "v", "3.0000"])
                .cmd(["HINCRBYFLOAT", "h", "u", "-0"])
                .cmd(["HSET", "h", "i", "10", "z7", "007"])
                .cmd(["HINCRBYFLOAT", "h", "i", "0.5"])
                .cmd(["HINCRBYFLOAT", "h", "z7", "1"])
                .cmd(["HINCRBY", "h", "i", "1"])
                .cmd(["HGET", "h", "x"]),
            case("hincrbyfloat errors")
                .cmd(["HSET", "h", "s", "abc", "sp", " 1"])
                .cmd(["HINCRBYFLOAT", "h", "s", "1"])
                .cmd(["HINCRBYFLOAT", "h", "sp", "1"])
                .cmd(["HINCRBYFLOAT", "h", "n", "x"])
                .cmd(["HINCRBYFLOAT", "h", "n", ""])
                .cmd(["HINCRBYFLOAT", "h", "n", "inf"])
                .cmd(["HINCRBYFLOAT", "h", "n", "-inf"])
                .cmd(["HINCRBYFLOAT", "h", "n", "nan"])
                .cmd(["HINCRBYFLOAT", "h", "n", "1 "])
                .cmd(["HINCRBYFLOAT", "nokey", "n", "x"])
                .cmd(["HINCRBYFLOAT", "nokey", "n", "inf"])
                .cmd(["GET", "nokey"])
                .cmd(["HGET", "h", "s"]),
        ])
        .await;
}

/// Redis adds `long double`s: 0.1 + 0.2 prints `0.3`, 1234.1 prints
/// `1234.09999999999999998`, and sums beyond f64's range still work.
#[tokio::test]
async fn hincrbyfloat_long_double_precision() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[case("long double sums")
            .cmd(["HINCRBYFLOAT", "h", "x", "0.1"])
            .cmd(["HINCRBYFLOAT", "h", "x", "0.2"])
            .cmd(["HINCRBYFLOAT", "h", "y", "1.5"])
            .cmd(["HINCRBYFLOAT", "h", "y", "-2.5"])
            .cmd(["HINCRBYFLOAT", "h", "y", "0.1"])
            .cmd(["HINCRBYFLOAT", "h", "z", "1234.1"])
            .cmd(["HINCRBYFLOAT", "h", "w", "1.5e308"])
            .cmd(["HINCRBYFLOAT", "h", "w", "1.5e308"])])
        .await;
}

#[tokio::test]
async fn random_and_scan_errors() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let hash = || case("").cmd(["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let named = |name: &str| {
        let mut c = hash();
        c.name = name.to_string();
        c
    };
    differ
        .check(&[
            named("hrandfield edge cases")
                .cmd(["HRANDFIELD", "nokey"])
                .cmd(["HRANDFIELD", "nokey", "5"])
                .cmd(["HRANDFIELD", "nokey", "-5", "WITHVALUES"])
                .cmd(["HRANDFIELD", "h", "0"])
                .cmd(["HRANDFIELD", "h", "0", "WITHVALUES"])
                .cmd_sorted(["HRANDFIELD", "h", "3"])
                .cmd_sorted(["HRANDFIELD", "h", "100"]),
            named("hrandfield errors")
                .cmd(["HRANDFIELD", "h", "x"])
                .cmd(["HRANDFIELD", "nokey", "x"])
                .cmd(["HRANDFIELD", "h", "1.5"])
                .cmd(["HRANDFIELD", "h", "5", "FOO"])
                .cmd(["HRANDFIELD", "nokey", "5", "FOO"])
                .cmd(["HRANDFIELD", "h", "5", "WITHVALUES", "x"])
                .cmd(["HRANDFIELD", "h", "-9223372036854775808"])
                .cmd(["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"])
                .cmd(["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"])
                .cmd(["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"])
                .cmd(["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"])
                .cmd(["HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES"]),
            named("hscan small hash")
                .cmd(["HSCAN", "h", "0", "MATCH", "b"])
                .cmd(["HSCAN", "h", "0", "MATCH", "[^ac]", "COUNT", "1"])
                .cmd(["HSCAN", "h", "0", "MATCH", "z*"])
                .cmd(["HSCAN", "h", "12345", "MATCH", "c"])
                .cmd(["HSCAN", "h", "-1", "MATCH", "[c]"])
                .cmd(["HSCAN", "h", "+0", "MATCH", "a"])
                .cmd(["HSCAN", "h", "", "MATCH", "a"])
                .cmd(["HSCAN", "h", "18446744073709551615", "MATCH", "a"])
                .cmd(["HSCAN", "nokey", "0"])
                .cmd(["HSCAN", "nokey", "0", "COUNT", "0"])
                .cmd(["HSCAN", "nokey", "0", "FOO"]),
            named("hscan errors")
                .cmd(["HSCAN", "h", "x"])
                .cmd(["HSCAN", "h", "18446744073709551616"])
                .cmd(["HSCAN", "h", " 1"])
                .cmd(["HSCAN", "h", "-"])
                .cmd(["HSCAN", "h", "1x"])
                .cmd(["HSCAN", "nokey", "x"])
                .cmd(["HSCAN", "h", "0", "COUNT", "0"])
                .cmd(["HSCAN", "h", "0", "COUNT", "-1"])
                .cmd(["HSCAN", "h", "0", "COUNT", "x"])
                .cmd(["HSCAN", "h", "0", "COUNT"])
                .cmd(["HSCAN", "h", "0", "MATCH"])
                .cmd(["HSCAN", "h", "0", "TYPE", "string"])
                .cmd(["HSCAN", "h", "0", "FOO", "bar"]),
        ])
        .await;
}

#[tokio::test]
async fn hash_command_table() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut c = case("command info");
    for name in [
        "hset",
        "hsetnx",
        "hget",
        "hmget",
        "hmset",
        "hdel",
        "hlen",
        "hstrlen",
        "hexists",
        "hkeys",
        "hvals",
        "hgetall",
        "hincrby",
        "hincrbyfloat",
        "hrandfield",
        "hscan",
    ] {
        c = c.cmd(["COMMAND", "INFO", name]);
    }
    differ.check(&[c]).await;
}

// --- shape comparisons through redis-rs ------------------------------------

async fn connect(port: u16, resp3: bool) -> redis::aio::MultiplexedConnection {
    let proto = if resp3 { "?protocol=resp3" } else { "" };
    redis::Client::open(format!("redis://127.0.0.1:{port}/{proto}"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn run(con: &mut redis::aio::MultiplexedConnection, args: &[&str]) -> Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    match cmd.query_async(con).await {
        Ok(v) => v,
        Err(e) => panic!("{args:?}: {e}"),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).unwrap(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => panic!("not an array: {other:?}"),
    }
}

/// HRANDFIELD's reply reduced to what both servers must agree on: the
/// number of picks, whether they are distinct, and that every pick (with
/// its value) belongs to the hash.
fn check_randfield(
    reply: &Value,
    hash: &BTreeMap<String, String>,
    count: i64,
    with_values: bool,
    resp3: bool,
) -> (usize, bool) {
    let picks: Vec<(String, Option<String>)> = if !with_values {
        items(reply).iter().map(|f| (text(f), None)).collect()
    } else if resp3 {
        items(reply)
            .iter()
            .map(|pair| {
                let p = items(pair);
                assert_eq!(p.len(), 2, "RESP3 WITHVALUES picks are pairs");
                (text(&p[0]), Some(text(&p[1])))
            })
            .collect()
    } else {
        let flat = items(reply);
        assert_eq!(flat.len() % 2, 0);
        flat.chunks(2)
            .map(|p| (text(&p[0]), Some(text(&p[1]))))
            .collect()
    };
    for (f, v) in &picks {
        let expected = hash.get(f).unwrap_or_else(|| panic!("{f} is not a field"));
        if let Some(v) = v {
            assert_eq!(v, expected, "value of {f}");
        }
    }
    let distinct = picks.iter().map(|p| &p.0).collect::<BTreeSet<_>>().len() == picks.len();
    if count >= 0 {
        assert!(distinct, "a positive count gives distinct fields");
    }
    (picks.len(), distinct || count < 0)
}

#[tokio::test]
async fn hrandfield_shapes() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = mock_redis::MockRedis::start().await;
    for resp3 in [false, true] {
        for size in [5usize, 600] {
            let hash: BTreeMap<String, String> = (0..size)
                .map(|i| (format!("f{i}"), format!("v{i}")))
                .collect();
            let mut outcomes = Vec::new();
            for port in [differ.real_port(), mock.port()] {
                let mut con = connect(port, resp3).await;
                // A key per round: DEL is not this module's command.
                let key = format!("h{size}{resp3}");
                let h = key.as_str();
                for (f, v) in &hash {
                    run(&mut con, &["HSET", h, f, v]).await;
                }
                let mut seen = Vec::new();
                let single = run(&mut con, &["HRANDFIELD", h]).await;
                assert!(hash.contains_key(&text(&single)));
                for count in [1i64, 3, 5, 7, 599, 600, 1000, -1, -3, -10, -1000] {
                    for with_values in [false, true] {
                        let c = count.to_string();
                        let mut args = vec!["HRANDFIELD", h, c.as_str()];
                        if with_values {
                            args.push("WITHVALUES");
                        }
                        let reply = run(&mut con, &args).await;
                        seen.push(check_randfield(&reply, &hash, count, with_values, resp3));
                    }
                }
                outcomes.push(seen);
            }
            assert_eq!(
                outcomes[0], outcomes[1],
                "HRANDFIELD shapes differ (size {size}, resp3 {resp3})"
            );
        }
    }
    mock.shutdown().await;
}

/// HSCAN compared by content: a small (listpack) hash comes back whole with
/// cursor 0 from both servers; a large (hashtable) one takes several calls
/// and, iterated to the end, returns every field exactly once from mock-redis
/// and the same set of fields from both.
#[tokio::test]
async fn hscan_contents() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = mock_redis::MockRedis::start().await;
    for resp3 in [false, true] {
        let mut results = Vec::new();
        for port in [differ.real_port(), mock.port()] {
            let mut con = connect(port, resp3).await;
            // Keys per round: DEL is not this module's command.
            let (small_key, big_key, long_key) = (
                format!("small{resp3}"),
                format!("big{resp3}"),
                format!("long{resp3}"),
            );
            let (small_k, big_k, long_k) =
                (small_key.as_str(), big_key.as_str(), long_key.as_str());
            for i in 0..20 {
                let (f, v) = (format!("f{i}"), format!("v{i}"));
                run(&mut con, &["HSET", small_k, &f, &v]).await;
            }
            let long_value = "x".repeat(65);
            run(&mut con, &["HSET", long_k, "a", "1", "b", &long_value]).await;
            for i in 0..1000 {
                let (f, v) = (format!("f{i}"), format!("v{i}"));
                run(&mut con, &["HSET", big_k, &f, &v]).await;
            }
            let small = items(&run(&mut con, &["HSCAN", small_k, "0", "COUNT", "2"]).await);
            assert_eq!(
                text(&small[0]),
                "0",
                "a listpack hash is scanned in one call"
            );
            let small_pairs: BTreeSet<(String, String)> = items(&small[1])
                .chunks(2)
                .map(|p| (text(&p[0]), text(&p[1])))
                .collect();
            let matched = items(&run(&mut con, &["HSCAN", small_k, "0", "MATCH", "f1*"]).await);
            let matched: BTreeSet<String> =
                items(&matched[1]).chunks(2).map(|p| text(&p[0])).collect();
            let mut calls = 0;
            let mut cursor = "0".to_string();
            let mut big = Vec::new();
            loop {
                let r = items(&run(&mut con, &["HSCAN", big_k, &cursor, "COUNT", "50"]).await);
                calls += 1;
                cursor = text(&r[0]);
                big.extend(items(&r[1]).chunks(2).map(|p| (text(&p[0]), text(&p[1]))));
                if cursor == "0" {
                    break;
                }
            }
            let total = big.len();
            let big: BTreeSet<(String, String)> = big.into_iter().collect();
            if port == mock.port() {
                assert_eq!(total, big.len(), "mock-redis returns each field once");
            }
            let mut long_fields = BTreeSet::new();
            let mut cursor = "0".to_string();
            loop {
                let r = items(&run(&mut con, &["HSCAN", long_k, &cursor]).await);
                cursor = text(&r[0]);
                long_fields.extend(items(&r[1]).chunks(2).map(|p| text(&p[0])));
                if cursor == "0" {
                    break;
                }
            }
            results.push((small_pairs, matched, calls > 1, big, long_fields));
        }
        assert_eq!(
            results[0], results[1],
            "HSCAN contents differ (resp3 {resp3})"
        );
        assert_eq!(results[1].3.len(), 1000);
    }
    mock.shutdown().await;
}

/// HRANDFIELD without a count eventually picks every field.
#[tokio::test]
async fn hrandfield_covers_the_hash() {
    let mock = mock_redis::MockRedis::start().await;
    let mut con = connect(mock.port(), false).await;
    for i in 0..10 {
        run(&mut con, &["HSET", "h", &format!("f{i}"), "v"]).await;
    }
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        seen.insert(text(&run(&mut con, &["HRANDFIELD", "h"]).await));
    }
    assert_eq!(seen.len(), 10, "every field comes up eventually: {seen:?}");
    let picks = items(&run(&mut con, &["HRANDFIELD", "h", "-50"]).await);
    assert_eq!(picks.len(), 50);
    mock.shutdown().await;
}

fn hset_many(key: &str, n: usize) -> Vec<String> {
    let mut args = vec!["HSET".to_string(), key.to_string()];
    for i in 0..n {
        args.push(format!("f{i}"));
        args.push(i.to_string());
    }
    args
}

#[tokio::test]
async fn object_encoding() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let (v64, v65) = ("x".repeat(64), "x".repeat(65));
    differ
        .check(&[
            case("value and field length thresholds")
                .cmd(["HSET", "h", "f", "v"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSET", "h", "g", &v64])
                .cmd(["HSET", "h", &v64, "v"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSET", "h2", "f", &v65])
                .cmd(["OBJECT", "ENCODING", "h2"])
                .cmd(["HSET", "h3", &v65, "v"])
                .cmd(["OBJECT", "ENCODING", "h3"])
                .cmd(["HSETNX", "h4", &v65, "v"])
                .cmd(["OBJECT", "ENCODING", "h4"])
                .cmd(["HINCRBY", "h5", &v65, "1"])
                .cmd(["OBJECT", "ENCODING", "h5"])
                .cmd(["HINCRBYFLOAT", "h6", "f", "1e80"])
                .cmd(["OBJECT", "ENCODING", "h6"]),
            case("entry count threshold")
                .cmd(hset_many("h", 512))
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSET", "h", "f0", "again"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSET", "h", "one-more", "v"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(hset_many("h2", 513))
                .cmd(["OBJECT", "ENCODING", "h2"])
                .cmd(["HLEN", "h2"]),
            case("thresholds follow config set")
                .cmd(["CONFIG", "SET", "hash-max-listpack-entries", "2"])
                .cmd(["CONFIG", "SET", "hash-max-listpack-value", "3"])
                .cmd(["HSET", "h", "a", "1", "b", "2"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSET", "h", "c", "3"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSET", "h2", "a", "1234"])
                .cmd(["OBJECT", "ENCODING", "h2"])
                .cmd(["HSET", "h3", "a", "123"])
                .cmd(["OBJECT", "ENCODING", "h3"])
                .cmd(["HSCAN", "h3", "0"])
                .cmd(["CONFIG", "SET", "hash-max-ziplist-entries", "1"])
                .cmd(["HSET", "h4", "a", "1", "b", "2"])
                .cmd(["OBJECT", "ENCODING", "h4"])
                .cmd(["CONFIG", "SET", "hash-max-listpack-entries", "512"])
                .cmd(["CONFIG", "SET", "hash-max-listpack-value", "64"]),
        ])
        .await;
}

/// Known divergence: Redis never converts a hash table back to a listpack,
/// so a hash that once held a long value stays `hashtable` (and its HGETALL
/// order stays a hash order) after the value is gone. The keyspace keeps no
/// encoding state for hashes yet, so mock-redis answers from the contents.
#[tokio::test]
#[ignore = "needs per-value encoding state in keyspace.rs (see hashes.rs)"]
async fn hash_conversion_is_one_way() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let v65 = "x".repeat(65);
    differ
        .check(&[case("one way")
            .cmd(["HSET", "h", "a", "1", "f", &v65])
            .cmd(["HDEL", "h", "f"])
            .cmd(["OBJECT", "ENCODING", "h"])])
        .await;
}
