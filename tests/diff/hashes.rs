//! Differential tests: hash commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3. A small (listpack) hash lists its
//! fields in insertion order, so its HGETALL, HKEYS, HVALS, HSCAN and
//! whole-hash HRANDFIELD replies are compared exactly; only a hash Redis
//! holds as a hash table (a hash order) is compared sorted. Random and
//! large-scan output is compared by shape, with redis-rs talking to both
//! servers.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{Differ, case};
use redis::Value;

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
                .cmd(["HKEYS", "h"])
                .cmd(["HGETALL", "h"]),
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
                .cmd(["HSET", "h", "c", "3", "a", "1", "b", "2"])
                .cmd(["HKEYS", "h"])
                .cmd(["HVALS", "h"])
                .cmd(["HGETALL", "h"])
                .cmd(["HSCAN", "h", "0"])
                .cmd(["HSCAN", "h", "0", "COUNT", "1"])
                .cmd(["HRANDFIELD", "h", "3"])
                .cmd(["HRANDFIELD", "h", "3", "WITHVALUES"])
                .cmd(["HRANDFIELD", "h", "100", "WITHVALUES"])
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
                .cmd(["HRANDFIELD", "h", "3"])
                .cmd(["HRANDFIELD", "h", "100"]),
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
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
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

/// Redis never converts a hash table back to a listpack: a hash that once
/// held a long field or value, or too many fields, stays `hashtable` after
/// shrinking (and its order becomes a hash order: several fields are
/// compared sorted, a single one exactly). A lowered threshold converts a
/// listpack at its next write, even an update; a deleted and recreated key
/// starts over as a listpack.
#[tokio::test]
async fn hash_conversion_is_one_way() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let v65 = "x".repeat(65);
    let mut shrink = case("shrunk below the entry count")
        .cmd(hset_many("h", 513))
        .cmd(["OBJECT", "ENCODING", "h"]);
    let fields: Vec<String> = (0..510).map(|i| format!("f{i}")).collect();
    let mut hdel = vec!["HDEL".to_string(), "h".to_string()];
    hdel.extend(fields);
    shrink = shrink
        .cmd(hdel)
        .cmd(["HLEN", "h"])
        .cmd(["OBJECT", "ENCODING", "h"])
        .cmd_sorted(["HKEYS", "h"])
        .cmd_sorted(["HGETALL", "h"])
        .cmd(["HSET", "h", "new", "v"])
        .cmd(["OBJECT", "ENCODING", "h"]);
    differ
        .check(&[
            case("one way")
                .cmd(["HSET", "h", "a", "1", "f", &v65])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HDEL", "h", "f"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HGETALL", "h"])
                .cmd(["HSCAN", "h", "0"])
                .cmd(["HRANDFIELD", "h", "5", "WITHVALUES"])
                .cmd(["HSET", "h", "b", "2", "c", "3"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd_sorted(["HKEYS", "h"])
                .cmd(["COPY", "h", "h2"])
                .cmd(["OBJECT", "ENCODING", "h2"])
                .cmd(["RENAME", "h2", "h3"])
                .cmd(["OBJECT", "ENCODING", "h3"])
                .cmd(["HDEL", "h", "a", "b", "c"])
                .cmd(["EXISTS", "h"])
                .cmd(["HSET", "h", "a", "1"])
                .cmd(["OBJECT", "ENCODING", "h"]),
            case("a long field converts too")
                .cmd(["HSET", "h", &v65, "1", "a", "2"])
                .cmd(["HDEL", "h", &v65])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HGETALL", "h"]),
            case("hsetnx of an existing field does not convert")
                .cmd(["HSET", "h", "a", "1", "b", "2"])
                .cmd(["HSETNX", "h", "a", &v65])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSETNX", "h", "c", &v65])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HDEL", "h", "c"])
                .cmd(["OBJECT", "ENCODING", "h"]),
            case("increments convert and stay converted")
                .cmd(["HSET", "h", "a", "1"])
                .cmd(["HINCRBYFLOAT", "h", "f", "1e80"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HDEL", "h", "f"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HINCRBY", "h2", &v65, "1"])
                .cmd(["HSET", "h2", "a", "1"])
                .cmd(["HDEL", "h2", &v65])
                .cmd(["OBJECT", "ENCODING", "h2"]),
            case("a lowered threshold applies at the next write")
                .cmd(["HSET", "h", "a", "1", "b", "2"])
                .cmd(["HSET", "h2", "a", "1", "b", "2"])
                .cmd(["CONFIG", "SET", "hash-max-listpack-entries", "1"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HGETALL", "h"])
                .cmd(["HSET", "h", "a", "3"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HDEL", "h2", "b"])
                .cmd(["OBJECT", "ENCODING", "h2"])
                .cmd(["CONFIG", "SET", "hash-max-listpack-entries", "512"])
                .cmd(["HDEL", "h", "b"])
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HSET", "h2", "c", "3"])
                .cmd(["OBJECT", "ENCODING", "h2"])
                .cmd(["HGETALL", "h2"]),
            shrink,
        ])
        .await;
}

/// A listpack hash lists its fields in insertion order: HDEL keeps the
/// others in place, an update keeps the field's position, a new field
/// (HSET, HSETNX, HINCRBY, HINCRBYFLOAT) goes last.
#[tokio::test]
async fn insertion_order() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut full = hset_many("h", 512);
    full.push("f7".to_string());
    full.push("again".to_string());
    differ
        .check(&[
            case("order after hdel")
                .cmd([
                    "HSET", "h", "e", "5", "d", "4", "c", "3", "b", "2", "a", "1",
                ])
                .cmd(["HDEL", "h", "d", "b", "zz"])
                .cmd(["HKEYS", "h"])
                .cmd(["HVALS", "h"])
                .cmd(["HGETALL", "h"])
                .cmd(["HSET", "h", "d", "6"])
                .cmd(["HGETALL", "h"])
                .cmd(["HDEL", "h", "e"])
                .cmd(["HSCAN", "h", "0"])
                .cmd(["HSCAN", "h", "0", "MATCH", "[a-c]", "COUNT", "1"])
                .cmd(["HRANDFIELD", "h", "3", "WITHVALUES"])
                .cmd(["HRANDFIELD", "h", "4"]),
            case("order after updating a field")
                .cmd(["HSET", "h", "c", "3", "b", "2", "a", "1"])
                .cmd(["HSET", "h", "b", "20", "c", "30", "d", "4"])
                .cmd(["HMSET", "h", "a", "10", "e", "5"])
                .cmd(["HSETNX", "h", "c", "99"])
                .cmd(["HSETNX", "h", "f", "6"])
                .cmd(["HGETALL", "h"])
                .cmd(["HVALS", "h"]),
            case("duplicate fields in one hset")
                .cmd(["HSET", "h", "b", "1", "a", "2", "b", "3"])
                .cmd(["HGETALL", "h"]),
            case("increments keep or append positions")
                .cmd(["HSET", "h", "y", "1", "x", "2"])
                .cmd(["HINCRBY", "h", "new", "5"])
                .cmd(["HINCRBY", "h", "y", "1"])
                .cmd(["HINCRBYFLOAT", "h", "fl", "1.5"])
                .cmd(["HINCRBYFLOAT", "h", "x", "0.5"])
                .cmd(["HINCRBY", "h", "bad", "x"])
                .cmd(["HGETALL", "h"])
                .cmd(["HKEYS", "h"]),
            case("order inside multi")
                .cmd(["MULTI"])
                .cmd(["HSET", "h", "z", "1", "y", "2"])
                .cmd(["HDEL", "h", "z"])
                .cmd(["HSET", "h", "x", "3", "z", "4"])
                .cmd(["HKEYS", "h"])
                .cmd(["EXEC"]),
            case("order survives rename, copy and move")
                .cmd(["HSET", "h", "c", "1", "a", "2", "b", "3"])
                .cmd(["RENAME", "h", "h2"])
                .cmd(["HKEYS", "h2"])
                .cmd(["COPY", "h2", "h3"])
                .cmd(["HSET", "h3", "a", "x", "d", "4"])
                .cmd(["HGETALL", "h3"])
                .cmd(["HGETALL", "h2"])
                .cmd(["MOVE", "h3", "1"])
                .cmd(["SELECT", "1"])
                .cmd(["HGETALL", "h3"])
                .cmd(["SELECT", "0"]),
            case("512 fields in order")
                .cmd(full)
                .cmd(["OBJECT", "ENCODING", "h"])
                .cmd(["HDEL", "h", "f0", "f300"])
                .cmd(["HSET", "h", "f0", "last"])
                .cmd(["HKEYS", "h"])
                .cmd(["HSCAN", "h", "0", "MATCH", "f3*"]),
        ])
        .await;
}

/// DUMP and RESTORE keep a listpack hash's field order on each server (the
/// payload bytes differ: Redis dumps a listpack, mock-redis a plain hash,
/// which Redis loads back as a listpack in the same order). A restored hash
/// gets the encoding a fresh load gives it on both.
#[tokio::test]
async fn dump_restore_keeps_field_order() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = mock_redis::MockRedis::start().await;
    let v65 = "x".repeat(65);
    for resp3 in [false, true] {
        let mut results = Vec::new();
        for port in [differ.real_port(), mock.port()] {
            let mut con = connect(port, resp3).await;
            let _: () = redis::cmd("FLUSHALL").query_async(&mut con).await.unwrap();
            run(
                &mut con,
                &[
                    "HSET", "h", "c", "1", "a", "2", "e", "3", "b", "4", "f", "7",
                ],
            )
            .await;
            run(&mut con, &["HDEL", "h", "a"]).await;
            run(&mut con, &["HSET", "h", "d", "5", "c", "6"]).await;
            // Converted, then shrunk: a hash table with two fields.
            run(&mut con, &["HSET", "t", "a", "1", "long", &v65]).await;
            run(&mut con, &["HDEL", "t", "long"]).await;
            let mut seen = Vec::new();
            for key in ["h", "t"] {
                let payload: Vec<u8> = redis::cmd("DUMP")
                    .arg(key)
                    .query_async(&mut con)
                    .await
                    .unwrap();
                let copy = format!("{key}-copy");
                let _: () = redis::cmd("RESTORE")
                    .arg(&copy)
                    .arg(0)
                    .arg(payload)
                    .query_async(&mut con)
                    .await
                    .unwrap();
                let keys = items(&run(&mut con, &["HKEYS", &copy]).await);
                let keys: Vec<String> = keys.iter().map(text).collect();
                let enc = text(&run(&mut con, &["OBJECT", "ENCODING", &copy]).await);
                let src_enc = text(&run(&mut con, &["OBJECT", "ENCODING", key]).await);
                seen.push((keys, enc, src_enc));
            }
            results.push(seen);
        }
        assert_eq!(
            results[0], results[1],
            "restored hashes differ (resp3 {resp3})"
        );
        assert_eq!(results[1][0].0, ["c", "e", "b", "f", "d"]);
    }
    mock.shutdown().await;
}

/// Distinct HRANDFIELD picks from a listpack hash, when at most a third of
/// the fields are asked for, come in the hash's order on both servers (a
/// subsequence of HKEYS); beyond that, or from a hash table, in any order.
#[tokio::test]
async fn hrandfield_subsets_follow_listpack_order() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = mock_redis::MockRedis::start().await;
    for port in [differ.real_port(), mock.port()] {
        let mut con = connect(port, false).await;
        let _: () = redis::cmd("FLUSHALL").query_async(&mut con).await.unwrap();
        // Fields inserted out of byte order, so "in order" means insertion order.
        for i in (0..30).rev() {
            run(&mut con, &["HSET", "h", &format!("f{i:02}"), "v"]).await;
        }
        let order: Vec<String> = items(&run(&mut con, &["HKEYS", "h"]).await)
            .iter()
            .map(text)
            .collect();
        let position = |f: &String| order.iter().position(|o| o == f).unwrap();
        for _ in 0..50 {
            for count in ["2", "5", "10"] {
                let picks: Vec<usize> = items(&run(&mut con, &["HRANDFIELD", "h", count]).await)
                    .iter()
                    .map(|f| position(&text(f)))
                    .collect();
                assert!(
                    picks.windows(2).all(|w| w[0] < w[1]),
                    "port {port}: HRANDFIELD h {count} gave positions {picks:?}"
                );
            }
        }
    }
    mock.shutdown().await;
}
