//! Differential tests: sorted-set commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3.
//!
//! Sorted sets have a deterministic order, so nearly everything is compared
//! exactly; only ZSCAN over a skiplist-encoded set (hash order) and random
//! picks are compared by shape.

use crate::shapes::{flat, raw_replies};
use crate::support::{Compare, Differ, case, frame_len};
use mock_redis::MockRedis;

#[tokio::test]
async fn zadd_and_scores() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("zadd basics")
                .cmd(["ZADD", "z", "1", "a", "2", "b", "1.5", "c"])
                .cmd(["ZADD", "z", "3", "a"])
                .cmd(["ZADD", "z", "3", "a", "4", "d"])
                .cmd(["ZCARD", "z"])
                .cmd(["ZCARD", "missing"])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"])
                .cmd(["ZSCORE", "z", "a"])
                .cmd(["ZSCORE", "z", "nope"])
                .cmd(["ZSCORE", "missing", "a"])
                .cmd(["ZMSCORE", "z", "a", "nope", "c"])
                .cmd(["ZMSCORE", "missing", "a", "b"]),
            case("zadd flags")
                .cmd(["ZADD", "z", "1", "a", "2", "b"])
                .cmd(["ZADD", "z", "NX", "5", "a", "3", "c"])
                .cmd(["ZADD", "z", "XX", "5", "a", "4", "d"])
                .cmd(["ZADD", "z", "CH", "6", "a", "2", "b", "7", "e"])
                .cmd(["ZADD", "z", "GT", "CH", "1", "a", "9", "b"])
                .cmd(["ZADD", "z", "LT", "CH", "10", "a", "0", "b", "1", "new"])
                .cmd(["ZADD", "z", "xx", "gt", "ch", "100", "new", "1", "ghost"])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"])
                .cmd(["ZADD", "fresh", "XX", "1", "a"])
                .cmd(["ZCARD", "fresh"])
                .cmd(["ZADD", "fresh", "XX", "INCR", "1", "a"])
                .cmd(["ZCARD", "fresh"]),
            case("zadd incr")
                .cmd(["ZADD", "z", "INCR", "1.5", "a"])
                .cmd(["ZADD", "z", "INCR", "1.5", "a"])
                .cmd(["ZADD", "z", "NX", "INCR", "1", "a"])
                .cmd(["ZADD", "z", "XX", "INCR", "1", "b"])
                .cmd(["ZADD", "z", "GT", "INCR", "-1", "a"])
                .cmd(["ZADD", "z", "LT", "INCR", "-1", "a"])
                .cmd(["ZADD", "z", "INCR", "GT", "0", "a"])
                .cmd(["ZADD", "z", "INCR", "CH", "1", "a"])
                .cmd(["ZINCRBY", "z", "10", "a"])
                .cmd(["ZINCRBY", "z", "-0.1", "a"])
                .cmd(["ZINCRBY", "z", "5", "new"])
                .cmd(["ZINCRBY", "z", "x", "a"])
                .cmd(["ZINCRBY", "z", "nan", "a"])
                .cmd(["ZINCRBY", "z", "1"])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            case("zadd errors")
                .cmd(["ZADD", "z", "1"])
                .cmd(["ZADD", "z"])
                .cmd(["ZADD", "z", "1", "a", "2"])
                .cmd(["ZADD", "z", "NX"])
                .cmd(["ZADD", "z", "NX", "1"])
                .cmd(["ZADD", "z", "FOO", "1", "a"])
                .cmd(["ZADD", "z", "x", "a"])
                .cmd(["ZADD", "z", "1", "a", "x", "b"])
                .cmd(["ZADD", "z", "nan", "a"])
                .cmd(["ZADD", "z", "1e400", "a"])
                .cmd(["ZADD", "z", " 1", "a"])
                .cmd(["ZADD", "z", "NX", "XX", "1", "a"])
                .cmd(["ZADD", "z", "GT", "LT", "1", "a"])
                .cmd(["ZADD", "z", "GT", "NX", "1", "a"])
                .cmd(["ZADD", "z", "LT", "NX", "1", "a"])
                .cmd(["ZADD", "z", "INCR", "1", "a", "2", "b"])
                .cmd(["ZADD", "z", "NX", "XX", "INCR", "1", "a", "2", "b"])
                .cmd(["ZCARD", "z"]),
            case("score formatting")
                .cmd([
                    "ZADD",
                    "z",
                    "0.1",
                    "a",
                    "1e20",
                    "b",
                    "-inf",
                    "c",
                    "+inf",
                    "d",
                    "3.0",
                    "e",
                    "-1.5e-7",
                    "f",
                    "123456789012345678",
                    "g",
                    "0x10",
                    "h",
                    "1E3",
                    "i",
                    "4611686018427387904",
                    "j",
                    "5e18",
                    "k",
                    "-4611686018427387904",
                    "l",
                ])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"])
                .cmd(["ZSCORE", "z", "a"])
                .cmd(["ZSCORE", "z", "c"])
                .cmd(["ZMSCORE", "z", "d", "b", "g"])
                .cmd(["ZSCAN", "z", "0"]),
            case("repeated members in one call")
                .cmd(["ZADD", "z", "1", "a", "2", "a", "3", "b"])
                .cmd(["ZADD", "z", "CH", "5", "a", "5", "a", "4", "b"])
                .cmd(["ZADD", "z", "NX", "1", "c", "2", "c"])
                .cmd(["ZADD", "z", "GT", "CH", "9", "a", "1", "a", "10", "a"])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"])
                .cmd(["ZREM", "z", "a", "a", "b", "c", "x"])
                .cmd(["EXISTS", "z"]),
            case("negative zero through weights")
                .cmd(["ZADD", "z", "0", "a", "1", "b"])
                .cmd(["ZUNION", "1", "z", "WEIGHTS", "-1", "WITHSCORES"])
                .cmd(["ZINTER", "2", "z", "z", "WEIGHTS", "-1", "-1", "WITHSCORES"])
                .cmd(["ZUNIONSTORE", "d", "1", "z", "WEIGHTS", "-1"])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
                .cmd(["ZSCAN", "d", "0"])
                .cmd(["ZUNION", "1", "z", "WEIGHTS", "0", "WITHSCORES"])
                .cmd(["ZADD", "i", "inf", "a", "-inf", "b"])
                .cmd(["ZUNION", "1", "i", "WEIGHTS", "0", "WITHSCORES"])
                .cmd(["ZUNION", "2", "i", "i", "WEIGHTS", "1", "-1", "WITHSCORES"])
                .cmd([
                    "ZINTER",
                    "2",
                    "i",
                    "i",
                    "WEIGHTS",
                    "1",
                    "-1",
                    "WITHSCORES",
                    "AGGREGATE",
                    "MIN",
                ])
                .cmd([
                    "ZINTER",
                    "2",
                    "i",
                    "i",
                    "WEIGHTS",
                    "0",
                    "1",
                    "WITHSCORES",
                    "AGGREGATE",
                    "MAX",
                ]),
            case("nan from incr")
                .cmd(["ZADD", "z", "inf", "a"])
                .cmd(["ZINCRBY", "z", "-inf", "a"])
                .cmd(["ZADD", "z", "INCR", "-inf", "a"])
                .cmd(["ZINCRBY", "z", "inf", "a"])
                .cmd(["ZSCORE", "z", "a"]),
            case("negative zero")
                .cmd(["ZADD", "z", "-0", "a", "0", "b"])
                .cmd(["ZSCORE", "z", "a"])
                .cmd(["ZINCRBY", "z", "-0", "a"])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"])
                .cmd(["ZADD", "big", "1", &"x".repeat(65)])
                .cmd(["ZADD", "big", "-0", "n", "0", "p"])
                .cmd(["ZSCORE", "big", "n"])
                .cmd(["ZINCRBY", "big", "-0", "n"])
                .cmd(["ZADD", "big", "INCR", "0", "n"])
                .cmd(["ZRANGE", "big", "0", "-1", "WITHSCORES"])
                .cmd(["ZSCAN", "big", "0", "MATCH", "n"])
                .cmd(["ZADD", "big", "123456789012345678", "g", "0.5", "h"])
                .cmd(["ZSCAN", "big", "0", "MATCH", "g"]),
            case("zset wrongtype")
                .cmd(["SET", "str", "v"])
                .cmd(["ZADD", "str", "1", "a"])
                .cmd(["ZINCRBY", "str", "1", "a"])
                .cmd(["ZCARD", "str"])
                .cmd(["ZSCORE", "str", "a"])
                .cmd(["ZMSCORE", "str", "a"])
                .cmd(["ZRANK", "str", "a"])
                .cmd(["ZREVRANK", "str", "a"])
                .cmd(["ZCOUNT", "str", "0", "1"])
                .cmd(["ZLEXCOUNT", "str", "-", "+"])
                .cmd(["ZRANGE", "str", "0", "1"])
                .cmd(["ZRANGEBYSCORE", "str", "0", "1"])
                .cmd(["ZRANGEBYLEX", "str", "-", "+"])
                .cmd(["ZREVRANGE", "str", "0", "1"])
                .cmd(["ZREM", "str", "a"])
                .cmd(["ZREMRANGEBYRANK", "str", "0", "1"])
                .cmd(["ZREMRANGEBYSCORE", "str", "0", "1"])
                .cmd(["ZREMRANGEBYLEX", "str", "-", "+"])
                .cmd(["ZPOPMIN", "str"])
                .cmd(["ZPOPMAX", "str", "2"])
                .cmd(["ZRANDMEMBER", "str"])
                .cmd(["ZRANDMEMBER", "str", "2"])
                .cmd(["ZSCAN", "str", "0"])
                .cmd(["ZRANGESTORE", "d", "str", "0", "1"])
                .cmd(["ZMPOP", "1", "str", "MIN"])
                .cmd(["SADD", "set", "a"])
                .cmd(["ZADD", "set", "1", "a"])
                .cmd(["GET", "str"]),
        ])
        .await;
}

#[tokio::test]
async fn ranks_counts_and_ranges() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let setup = |name: &str| {
        case(name).cmd([
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "5", "f",
        ])
    };
    differ
        .check(&[
            setup("zrank zrevrank")
                .cmd(["ZRANK", "z", "a"])
                .cmd(["ZRANK", "z", "f"])
                .cmd(["ZREVRANK", "z", "a"])
                .cmd(["ZREVRANK", "z", "f"])
                .cmd(["ZRANK", "z", "nope"])
                .cmd(["ZRANK", "missing", "a"])
                .cmd(["ZREVRANK", "missing", "a"])
                .cmd(["ZRANK", "z"])
                .cmd(["ZRANK", "z", "a", "WITHSCORE"]),
            setup("zcount")
                .cmd(["ZCOUNT", "z", "-inf", "+inf"])
                .cmd(["ZCOUNT", "z", "2", "4"])
                .cmd(["ZCOUNT", "z", "(2", "(4"])
                .cmd(["ZCOUNT", "z", "(1", "5"])
                .cmd(["ZCOUNT", "z", "5", "1"])
                .cmd(["ZCOUNT", "z", "(5", "5"])
                .cmd(["ZCOUNT", "z", "(", "3"])
                .cmd(["ZCOUNT", "z", "", "3"])
                .cmd(["ZCOUNT", "z", " 2", "3"])
                .cmd(["ZCOUNT", "z", "1e400", "inf"])
                .cmd(["ZCOUNT", "z", "x", "3"])
                .cmd(["ZCOUNT", "z", "1", "nan"])
                .cmd(["ZCOUNT", "z", "(nan", "1"])
                .cmd(["ZCOUNT", "z", "1 ", "3"])
                .cmd(["ZCOUNT", "missing", "0", "1"])
                .cmd(["ZCOUNT", "missing", "x", "1"]),
            setup("zrange by rank")
                .cmd(["ZRANGE", "z", "0", "-1"])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES"])
                .cmd(["ZRANGE", "z", "1", "2", "withscores"])
                .cmd(["ZRANGE", "z", "-2", "-1"])
                .cmd(["ZRANGE", "z", "-100", "100"])
                .cmd(["ZRANGE", "z", "3", "1"])
                .cmd(["ZRANGE", "z", "10", "20"])
                .cmd(["ZRANGE", "z", "0", "-10"])
                .cmd(["ZRANGE", "z", "0", "1", "REV"])
                .cmd(["ZRANGE", "z", "0", "1", "REV", "WITHSCORES"])
                .cmd(["ZRANGE", "z", "-3", "-1", "rev"])
                .cmd(["ZRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES"])
                .cmd(["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"])
                .cmd(["ZREVRANGE", "z", "0", "1"])
                .cmd(["ZREVRANGE", "z", "0", "-1", "WITHSCORES"])
                .cmd(["ZREVRANGE", "z", "-2", "-1"])
                .cmd(["ZRANGE", "missing", "0", "-1"]),
            setup("zrange by score")
                .cmd(["ZRANGE", "z", "2", "4", "BYSCORE"])
                .cmd(["ZRANGE", "z", "(2", "(5", "BYSCORE", "WITHSCORES"])
                .cmd(["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"])
                .cmd(["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"])
                .cmd(["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"])
                .cmd(["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "6", "2"])
                .cmd(["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "5", "2"])
                .cmd(["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "0"])
                .cmd([
                    "ZRANGE",
                    "z",
                    "-inf",
                    "+inf",
                    "BYSCORE",
                    "LIMIT",
                    "9223372036854775807",
                    "1",
                ])
                .cmd([
                    "ZRANGE",
                    "z",
                    "-inf",
                    "+inf",
                    "BYSCORE",
                    "LIMIT",
                    "0",
                    "9223372036854775807",
                ])
                .cmd(["ZRANGE", "z", "-9223372036854775808", "9223372036854775807"])
                .cmd([
                    "ZRANGE",
                    "z",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "REV",
                ])
                .cmd(["ZRANGE", "z", "4", "2", "BYSCORE", "REV"])
                .cmd([
                    "ZRANGE",
                    "z",
                    "+inf",
                    "(4",
                    "BYSCORE",
                    "REV",
                    "WITHSCORES",
                    "LIMIT",
                    "1",
                    "5",
                ])
                .cmd(["ZRANGE", "z", "2", "4", "REV", "BYSCORE"])
                .cmd(["ZRANGEBYSCORE", "z", "2", "4"])
                .cmd([
                    "ZRANGEBYSCORE",
                    "z",
                    "-inf",
                    "inf",
                    "WITHSCORES",
                    "LIMIT",
                    "2",
                    "2",
                ])
                .cmd(["ZRANGEBYSCORE", "z", "(1", "(5"])
                .cmd(["ZREVRANGEBYSCORE", "z", "4", "2"])
                .cmd([
                    "ZREVRANGEBYSCORE",
                    "z",
                    "+inf",
                    "-inf",
                    "LIMIT",
                    "1",
                    "2",
                    "WITHSCORES",
                ])
                .cmd(["ZREVRANGEBYSCORE", "z", "2", "4"])
                .cmd(["ZRANGEBYSCORE", "missing", "0", "1"]),
            setup("zrange errors")
                .cmd(["ZRANGE", "z", "0", "x"])
                .cmd(["ZRANGE", "z", "x", "1"])
                .cmd(["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"])
                .cmd(["ZRANGE", "z", "0", "1", "LIMIT", "0"])
                .cmd(["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1"])
                .cmd(["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "0", "1.5"])
                .cmd(["ZRANGE", "z", "0", "1", "REV", "REV"])
                .cmd(["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"])
                .cmd(["ZRANGE", "z", "0", "1", "BYSCORE", "BYSCORE"])
                .cmd(["ZRANGE", "z", "0", "1", "FOO"])
                .cmd(["ZRANGE", "z", "x", "1", "BYSCORE"])
                .cmd(["ZRANGE", "z", "a", "b", "BYLEX"])
                .cmd(["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"])
                .cmd(["ZRANGE", "missing", "x", "1", "BYSCORE"])
                .cmd(["ZRANGE", "z", "0"])
                .cmd(["ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"])
                .cmd(["ZRANGEBYSCORE", "z", "0", "1", "REV"])
                .cmd(["ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "1"])
                .cmd(["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"])
                .cmd(["ZREVRANGE", "z", "0", "1", "REV"])
                .cmd(["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"])
                .cmd(["ZRANGEBYLEX", "z", "-", "+", "BYLEX"])
                .cmd(["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "x", "1"]),
            case("zcount and zrange on infinities")
                .cmd(["ZADD", "z", "-inf", "lo", "0", "mid", "+inf", "hi"])
                .cmd(["ZCOUNT", "z", "-inf", "-inf"])
                .cmd(["ZCOUNT", "z", "(-inf", "+inf"])
                .cmd(["ZRANGE", "z", "inf", "inf", "BYSCORE", "WITHSCORES"])
                .cmd(["ZRANGE", "z", "(-inf", "(inf", "BYSCORE"]),
        ])
        .await;
}

#[tokio::test]
async fn lex_ranges() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let setup = |name: &str| {
        case(name).cmd([
            "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ee", "0", "",
        ])
    };
    differ
        .check(&[
            setup("zrangebylex")
                .cmd(["ZRANGEBYLEX", "z", "-", "+"])
                .cmd(["ZRANGEBYLEX", "z", "[b", "[d"])
                .cmd(["ZRANGEBYLEX", "z", "(b", "(d"])
                .cmd(["ZRANGEBYLEX", "z", "[e", "+"])
                .cmd(["ZRANGEBYLEX", "z", "-", "(c"])
                .cmd(["ZRANGEBYLEX", "z", "[", "[a"])
                .cmd(["ZRANGEBYLEX", "z", "(", "[a"])
                .cmd(["ZRANGEBYLEX", "z", "+", "-"])
                .cmd(["ZRANGEBYLEX", "z", "-", "-"])
                .cmd(["ZRANGEBYLEX", "z", "+", "+"])
                .cmd(["ZRANGEBYLEX", "z", "[c", "[c"])
                .cmd(["ZRANGEBYLEX", "z", "(c", "[c"])
                .cmd(["ZRANGEBYLEX", "z", "[d", "[b"])
                .cmd(["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "2", "3"])
                .cmd(["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "3"])
                .cmd(["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "-1"])
                .cmd(["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "10", "1"])
                .cmd(["ZRANGE", "z", "[b", "[d", "BYLEX"])
                .cmd(["ZRANGE", "z", "[d", "[b", "BYLEX", "REV"])
                .cmd(["ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"])
                .cmd(["ZREVRANGEBYLEX", "z", "+", "-"])
                .cmd(["ZREVRANGEBYLEX", "z", "[d", "(b"])
                .cmd(["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "3"])
                .cmd(["ZREVRANGEBYLEX", "z", "-", "+"]),
            setup("zlexcount")
                .cmd(["ZLEXCOUNT", "z", "-", "+"])
                .cmd(["ZLEXCOUNT", "z", "[b", "(e"])
                .cmd(["ZLEXCOUNT", "z", "(e", "+"])
                .cmd(["ZLEXCOUNT", "z", "+", "-"])
                .cmd(["ZLEXCOUNT", "missing", "-", "+"])
                .cmd(["ZLEXCOUNT", "z", "a", "+"])
                .cmd(["ZLEXCOUNT", "z", "-", "+x"])
                .cmd(["ZLEXCOUNT", "z", "", "+"])
                .cmd(["ZLEXCOUNT", "missing", "a", "+"]),
            case("lex ranges over mixed scores")
                .cmd([
                    "ZADD", "m", "5", "a", "1", "b", "3", "c", "0", "d", "2", "e",
                ])
                .cmd(["ZRANGEBYLEX", "m", "-", "+"])
                .cmd(["ZRANGEBYLEX", "m", "[b", "[c"])
                .cmd(["ZRANGEBYLEX", "m", "[b", "+"])
                .cmd(["ZRANGEBYLEX", "m", "-", "[c"])
                .cmd(["ZRANGEBYLEX", "m", "[c", "+"])
                .cmd(["ZRANGEBYLEX", "m", "(a", "[z"])
                .cmd(["ZREVRANGEBYLEX", "m", "[z", "[a"])
                .cmd(["ZREVRANGEBYLEX", "m", "[c", "-"])
                .cmd(["ZLEXCOUNT", "m", "[c", "+"])
                .cmd(["ZLEXCOUNT", "m", "-", "+"])
                .cmd(["ZREMRANGEBYLEX", "m", "[c", "+"])
                .cmd(["ZRANGE", "m", "0", "-1"]),
        ])
        .await;
}

#[tokio::test]
async fn removals_and_pops() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let setup = |name: &str| {
        case(name).cmd([
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ])
    };
    differ
        .check(&[
            setup("zrem")
                .cmd(["ZREM", "z", "a", "x", "a"])
                .cmd(["ZREM", "z", "x"])
                .cmd(["ZREM", "missing", "x"])
                .cmd(["ZREM", "z", "b", "c", "d", "e"])
                .cmd(["ZCARD", "z"])
                .cmd(["GET", "z"])
                .cmd(["ZREM", "z"]),
            setup("zremrangebyrank")
                .cmd(["ZREMRANGEBYRANK", "z", "0", "0"])
                .cmd(["ZREMRANGEBYRANK", "z", "-1", "-1"])
                .cmd(["ZREMRANGEBYRANK", "z", "5", "10"])
                .cmd(["ZREMRANGEBYRANK", "z", "2", "1"])
                .cmd(["ZRANGE", "z", "0", "-1"])
                .cmd(["ZREMRANGEBYRANK", "z", "x", "1"])
                .cmd(["ZREMRANGEBYRANK", "missing", "x", "1"])
                .cmd(["ZREMRANGEBYRANK", "z", "0", "-1"])
                .cmd(["GET", "z"]),
            setup("zremrangebyscore")
                .cmd(["ZREMRANGEBYSCORE", "z", "(1", "2"])
                .cmd(["ZREMRANGEBYSCORE", "z", "10", "20"])
                .cmd(["ZREMRANGEBYSCORE", "z", "x", "1"])
                .cmd(["ZREMRANGEBYSCORE", "missing", "x", "1"])
                .cmd(["ZRANGE", "z", "0", "-1"])
                .cmd(["ZREMRANGEBYSCORE", "z", "-inf", "+inf"])
                .cmd(["GET", "z"]),
            case("zremrangebylex")
                .cmd(["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"])
                .cmd(["ZREMRANGEBYLEX", "z", "(a", "[c"])
                .cmd(["ZREMRANGEBYLEX", "z", "[x", "+"])
                .cmd(["ZREMRANGEBYLEX", "z", "a", "+"])
                .cmd(["ZRANGE", "z", "0", "-1"])
                .cmd(["ZREMRANGEBYLEX", "z", "-", "+"])
                .cmd(["GET", "z"]),
            setup("zpopmin zpopmax")
                .cmd(["ZPOPMIN", "z"])
                .cmd(["ZPOPMAX", "z"])
                .cmd(["ZPOPMIN", "z", "2"])
                .cmd(["ZPOPMAX", "z", "0"])
                .cmd(["ZPOPMAX", "z", "10"])
                .cmd(["GET", "z"])
                .cmd(["ZPOPMIN", "z"])
                .cmd(["ZPOPMIN", "z", "3"])
                .cmd(["ZPOPMAX", "missing", "0"]),
            setup("zpop errors")
                .cmd(["ZPOPMIN", "z", "-1"])
                .cmd(["ZPOPMIN", "z", "x"])
                .cmd(["ZPOPMIN", "z", "1", "2"])
                .cmd(["ZPOPMAX"])
                .cmd(["ZPOPMIN", "missing", "-1"])
                .cmd(["ZCARD", "z"]),
            setup("zmpop")
                .cmd(["ZADD", "y", "10", "p", "20", "q"])
                .cmd(["ZMPOP", "1", "z", "MIN"])
                .cmd(["ZMPOP", "1", "z", "max", "COUNT", "2"])
                .cmd(["ZMPOP", "3", "missing", "y", "z", "MIN", "COUNT", "10"])
                .cmd(["ZMPOP", "2", "missing", "y", "MAX"])
                .cmd(["ZMPOP", "2", "missing", "y", "MAX"])
                .cmd(["ZMPOP", "1", "missing", "MIN"])
                .cmd(["ZRANGE", "z", "0", "-1"]),
            setup("zmpop errors")
                .cmd(["ZMPOP", "0", "z", "MIN"])
                .cmd(["ZMPOP", "-1", "z", "MIN"])
                .cmd(["ZMPOP", "x", "z", "MIN"])
                .cmd(["ZMPOP", "1", "z"])
                .cmd(["ZMPOP", "2", "z", "MIN"])
                .cmd(["ZMPOP", "1", "z", "LEFT"])
                .cmd(["ZMPOP", "1", "z", "MIN", "COUNT"])
                .cmd(["ZMPOP", "1", "z", "MIN", "COUNT", "0"])
                .cmd(["ZMPOP", "1", "z", "MIN", "COUNT", "x"])
                .cmd(["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"])
                .cmd(["ZMPOP", "1", "z", "MIN", "FOO"])
                .cmd(["ZMPOP", "9223372036854775807", "z", "MIN"])
                .cmd(["ZCARD", "z"]),
        ])
        .await;
}

#[tokio::test]
async fn stores_and_set_operations() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let setup = |name: &str| {
        case(name)
            .cmd(["ZADD", "a", "1", "x", "2", "y", "3", "z"])
            .cmd(["ZADD", "b", "10", "y", "20", "z", "30", "w"])
            .cmd(["SADD", "s", "x", "w", "v"])
            .cmd(["SET", "str", "v"])
    };
    differ
        .check(&[
            setup("zrangestore")
                .cmd(["ZRANGESTORE", "d", "a", "0", "1"])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
                .cmd([
                    "ZRANGESTORE",
                    "d",
                    "b",
                    "(10",
                    "+inf",
                    "BYSCORE",
                    "LIMIT",
                    "0",
                    "1",
                ])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
                .cmd(["ZRANGESTORE", "d", "a", "[y", "+", "BYLEX"])
                .cmd(["ZRANGESTORE", "d", "a", "0", "-1", "REV"])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
                .cmd(["ZRANGESTORE", "d", "a", "5", "9"])
                .cmd(["ZCARD", "d"])
                .cmd(["ZRANGESTORE", "d", "missing", "0", "-1"])
                .cmd(["ZRANGESTORE", "str", "a", "0", "0"])
                .cmd(["ZRANGE", "str", "0", "-1"])
                .cmd(["ZRANGESTORE", "d", "a", "0", "1", "WITHSCORES"])
                .cmd(["ZRANGESTORE", "d", "a", "0"])
                .cmd(["ZRANGESTORE", "d", "str", "0", "1"]),
            setup("zunion")
                .cmd(["ZUNION", "2", "a", "b"])
                .cmd(["ZUNION", "2", "a", "b", "WITHSCORES"])
                .cmd(["ZUNION", "3", "a", "b", "s", "WITHSCORES"])
                .cmd(["ZUNION", "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES"])
                .cmd(["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"])
                .cmd(["ZUNION", "2", "a", "b", "aggregate", "max", "withscores"])
                .cmd(["ZUNION", "2", "a", "missing", "WITHSCORES"])
                .cmd(["ZUNION", "1", "missing"])
                .cmd(["ZUNION", "2", "a", "a", "WITHSCORES"])
                .cmd([
                    "ZUNION",
                    "2",
                    "a",
                    "b",
                    "WEIGHTS",
                    "inf",
                    "-inf",
                    "WITHSCORES",
                ])
                .cmd(["ZUNION", "2", "a", "b", "WEIGHTS", "0", "0", "WITHSCORES"])
                .cmd(["ZUNION", "1", "a", "WEIGHTS", "-1", "WITHSCORES"]),
            setup("zinter")
                .cmd(["ZINTER", "2", "a", "b"])
                .cmd(["ZINTER", "2", "a", "b", "WITHSCORES"])
                .cmd(["ZINTER", "2", "a", "s", "WITHSCORES"])
                .cmd(["ZINTER", "2", "a", "b", "WEIGHTS", "1", "-1", "WITHSCORES"])
                .cmd(["ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"])
                .cmd(["ZINTER", "2", "a", "missing"])
                .cmd(["ZINTER", "1", "a", "WITHSCORES"])
                .cmd(["ZINTER", "2", "a", "a", "WITHSCORES", "AGGREGATE", "SUM"]),
            setup("zdiff")
                .cmd(["ZDIFF", "2", "a", "b"])
                .cmd(["ZDIFF", "2", "a", "b", "WITHSCORES"])
                .cmd(["ZDIFF", "2", "b", "s", "WITHSCORES"])
                .cmd(["ZDIFF", "1", "a", "WITHSCORES"])
                .cmd(["ZDIFF", "2", "missing", "a"])
                .cmd(["ZDIFF", "2", "a", "missing", "WITHSCORES"])
                .cmd(["ZDIFF", "2", "a", "a"])
                .cmd(["ZDIFF", "2", "s", "a", "WITHSCORES"]),
            setup("zintercard")
                .cmd(["ZINTERCARD", "2", "a", "b"])
                .cmd(["ZINTERCARD", "2", "a", "b", "LIMIT", "1"])
                .cmd(["ZINTERCARD", "2", "a", "b", "LIMIT", "0"])
                .cmd(["ZINTERCARD", "2", "a", "s"])
                .cmd(["ZINTERCARD", "2", "a", "missing"])
                .cmd(["ZINTERCARD", "1", "a"])
                .cmd(["ZINTERCARD", "0", "a"])
                .cmd(["ZINTERCARD", "x", "a"])
                .cmd(["ZINTERCARD", "3", "a", "b"])
                .cmd(["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"])
                .cmd(["ZINTERCARD", "2", "a", "b", "LIMIT", "x"])
                .cmd(["ZINTERCARD", "2", "a", "b", "LIMIT"])
                .cmd(["ZINTERCARD", "2", "a", "b", "WITHSCORES"])
                .cmd(["ZINTERCARD", "2", "a", "str"]),
            setup("store forms")
                .cmd(["ZUNIONSTORE", "d", "2", "a", "b"])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
                .cmd([
                    "ZINTERSTORE",
                    "d",
                    "2",
                    "a",
                    "b",
                    "WEIGHTS",
                    "2",
                    "3",
                    "AGGREGATE",
                    "MIN",
                ])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
                .cmd(["ZDIFFSTORE", "d", "2", "a", "b"])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
                .cmd(["ZINTERSTORE", "d", "2", "a", "missing"])
                .cmd(["GET", "d"])
                .cmd(["ZUNIONSTORE", "str", "1", "s"])
                .cmd(["ZRANGE", "str", "0", "-1", "WITHSCORES"])
                .cmd(["ZUNIONSTORE", "a", "2", "a", "a"])
                .cmd(["ZRANGE", "a", "0", "-1", "WITHSCORES"])
                .cmd(["ZDIFFSTORE", "a", "1", "missing"])
                .cmd(["ZCARD", "a"])
                .cmd(["ZUNIONSTORE", "d", "1", "b", "WEIGHTS", "-1"])
                .cmd(["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
            setup("set operation errors")
                .cmd(["ZUNION", "0", "a"])
                .cmd(["ZUNION", "-1", "a"])
                .cmd(["ZUNION", "x", "a"])
                .cmd(["ZUNION", "3", "a", "b"])
                .cmd(["ZUNION", "2", "a", "str"])
                .cmd(["ZUNION", "2", "str", "a", "FOO"])
                .cmd(["ZUNION", "2", "a", "b", "WEIGHTS", "1"])
                .cmd(["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"])
                .cmd(["ZUNION", "2", "a", "b", "WEIGHTS", "1", "nan"])
                .cmd(["ZUNION", "2", "a", "b", "AGGREGATE"])
                .cmd(["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"])
                .cmd(["ZUNION", "2", "a", "b", "FOO"])
                .cmd(["ZINTER", "0", "a"])
                .cmd(["ZDIFF", "0", "a"])
                .cmd(["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"])
                .cmd(["ZDIFF", "2", "a", "b", "AGGREGATE", "MIN"])
                .cmd(["ZUNIONSTORE", "d", "0", "a"])
                .cmd(["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"])
                .cmd(["ZINTERSTORE", "d", "3", "a", "b"])
                .cmd(["ZDIFFSTORE", "d", "1", "str"])
                .cmd(["ZUNIONSTORE", "d", "1"])
                .cmd(["ZUNION", "1"])
                .cmd(["GET", "d"]),
            case("sums follow redis's order of addition")
                .cmd(["ZADD", "p", "0.1", "m"])
                .cmd(["ZADD", "q", "0.2", "m", "1", "n"])
                .cmd(["ZADD", "r", "0.3", "m", "1", "n", "2", "o"])
                .cmd(["ZUNION", "3", "r", "q", "p", "WITHSCORES"])
                .cmd(["ZINTER", "3", "r", "p", "q", "WITHSCORES"])
                .cmd([
                    "ZUNION",
                    "3",
                    "r",
                    "q",
                    "p",
                    "WEIGHTS",
                    "3",
                    "7",
                    "0.1",
                    "WITHSCORES",
                ]),
        ])
        .await;
}

#[tokio::test]
async fn zrandmember_and_zscan() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut big = case("zscan a skiplist set");
    let mut zadd = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..200 {
        zadd.push(i.to_string());
        zadd.push(format!("m{i}"));
    }
    big = big
        .cmd(zadd)
        .cmd_with(["ZSCAN", "big", "0"], Compare::TypeOnly)
        .cmd(["ZCARD", "big"]);
    differ
        .check(&[
            case("zrandmember")
                .cmd(["ZADD", "one", "1.5", "only"])
                .cmd(["ZRANDMEMBER", "one"])
                .cmd(["ZRANDMEMBER", "one", "1"])
                .cmd(["ZRANDMEMBER", "one", "1", "WITHSCORES"])
                .cmd(["ZRANDMEMBER", "one", "-3", "WITHSCORES"])
                .cmd(["ZRANDMEMBER", "one", "0"])
                .cmd(["ZRANDMEMBER", "missing"])
                .cmd(["ZRANDMEMBER", "missing", "5"])
                .cmd(["ZRANDMEMBER", "missing", "5", "WITHSCORES"]),
            case("zrandmember whole set")
                .cmd(["ZADD", "z", "1", "a", "2", "b", "3", "c", "2", "bb"])
                .cmd(["ZRANDMEMBER", "z", "4"])
                .cmd(["ZRANDMEMBER", "z", "100", "WITHSCORES"])
                .cmd(["ZADD", "big", "1", &"x".repeat(70), "0", "y"])
                .cmd(["ZRANDMEMBER", "big", "2", "withscores"]),
            case("zrandmember errors")
                .cmd(["ZADD", "z", "1", "a"])
                .cmd(["ZRANDMEMBER", "z", "x"])
                .cmd(["ZRANDMEMBER", "z", "1", "x"])
                .cmd(["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"])
                .cmd(["ZRANDMEMBER", "z", "-9223372036854775808"])
                .cmd(["ZRANDMEMBER", "z", "5000000000000000000", "WITHSCORES"])
                .cmd(["ZRANDMEMBER", "z", "-5000000000000000000", "WITHSCORES"])
                .cmd(["ZRANDMEMBER", "missing", "x"])
                .cmd(["ZRANDMEMBER", "missing", "1", "x"]),
            case("zscan a listpack set")
                .cmd(["ZADD", "z", "3", "c", "1", "a", "2.5", "b", "inf", "i"])
                .cmd(["ZSCAN", "z", "0"])
                .cmd(["ZSCAN", "z", "0", "COUNT", "1"])
                .cmd(["ZSCAN", "z", "0", "MATCH", "[ab]"])
                .cmd(["ZSCAN", "z", "77"])
                .cmd(["ZSCAN", "missing", "0"])
                .cmd(["ZSCAN", "z", "x"])
                .cmd(["ZSCAN", "z", "0", "COUNT", "0"])
                .cmd(["ZSCAN", "z", "0", "TYPE", "zset"])
                .cmd(["ZSCAN", "z", "0", "MATCH"]),
            big,
        ])
        .await;
}

/// Random picks: the same type and count on both servers, members of the
/// set, distinct when Redis guarantees it; and a full ZSCAN of a skiplist
/// set returns every member exactly once.
#[tokio::test]
async fn random_and_scan_shapes() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut zadd = vec!["ZADD".to_string(), "z".to_string()];
    for i in 0..20 {
        zadd.push(i.to_string());
        zadd.push(format!("m{i}"));
    }
    // (command, expected element count, distinct?)
    let probes: &[(&[&str], usize, bool)] = &[
        (&["ZRANDMEMBER", "z", "5"], 5, true),
        (&["ZRANDMEMBER", "z", "15"], 15, true),
        (&["ZRANDMEMBER", "z", "-30"], 30, false),
    ];
    for resp3 in [false, true] {
        for (probe, want, distinct) in probes {
            let cmds: Vec<Vec<&str>> =
                vec![zadd.iter().map(String::as_str).collect(), probe.to_vec()];
            let mock = MockRedis::start().await;
            let mut real_cmds = cmds.clone();
            real_cmds.insert(0, vec!["FLUSHALL"]);
            let real = raw_replies(differ.real_port(), resp3, &real_cmds).await;
            let ours = raw_replies(mock.port(), resp3, &cmds).await;
            mock.shutdown().await;
            let (rk, ritems) = flat(&real[2]);
            let (mk, mitems) = flat(&ours[1]);
            let label = format!("{probe:?} resp3={resp3}");
            assert_eq!(rk, mk, "{label}");
            assert_eq!(ritems.len(), *want, "{label}");
            assert_eq!(mitems.len(), *want, "{label}");
            assert!(mitems.iter().all(|m| m.starts_with(b"m")), "{label}");
            if *distinct {
                let d: std::collections::HashSet<&Vec<u8>> = mitems.iter().collect();
                assert_eq!(d.len(), mitems.len(), "{label}");
            }
        }
    }
    // A full ZSCAN of a 200-member (skiplist) set, on the mock.
    let mock = MockRedis::start().await;
    let mut big = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..200 {
        big.push(i.to_string());
        big.push(format!("m{i}"));
    }
    raw_replies(
        mock.port(),
        false,
        &[big.iter().map(String::as_str).collect()],
    )
    .await;
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let reply = raw_replies(
            mock.port(),
            false,
            &[vec!["ZSCAN", "big", &cursor, "COUNT", "17"]],
        )
        .await;
        let text = &reply[0];
        // *2\r\n, then the cursor (a bulk string), then the array of items.
        let cursor_len = frame_len(&text[4..]).unwrap();
        let (_, outer) = flat(text);
        cursor = String::from_utf8(outer[0].clone()).unwrap();
        let inner = &text[4 + cursor_len..];
        let (_, items) = flat(inner);
        for pair in items.chunks(2) {
            let member = String::from_utf8(pair[0].clone()).unwrap();
            let score: usize = String::from_utf8(pair[1].clone()).unwrap().parse().unwrap();
            assert_eq!(member, format!("m{score}"));
            seen.push(score);
        }
        if cursor == "0" {
            break;
        }
    }
    mock.shutdown().await;
    seen.sort_unstable();
    assert_eq!(seen, (0..200).collect::<Vec<_>>());
}

/// `COMMAND INFO` of every sorted-set command (key specs included), and
/// `COMMAND GETKEYS` for the movable-key ones.
#[tokio::test]
async fn command_info() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut info = case("command info");
    for name in [
        "zadd",
        "zcard",
        "zcount",
        "zdiff",
        "zdiffstore",
        "zincrby",
        "zinter",
        "zintercard",
        "zinterstore",
        "zlexcount",
        "zmpop",
        "zmscore",
        "zpopmax",
        "zpopmin",
        "zrandmember",
        "zrange",
        "zrangebylex",
        "zrangebyscore",
        "zrangestore",
        "zrank",
        "zrem",
        "zremrangebylex",
        "zremrangebyrank",
        "zremrangebyscore",
        "zrevrange",
        "zrevrangebylex",
        "zrevrangebyscore",
        "zrevrank",
        "zscan",
        "zscore",
        "zunion",
        "zunionstore",
    ] {
        info = info.cmd(["COMMAND", "INFO", name]);
    }
    differ
        .check(&[
            info,
            case("command getkeys")
                .cmd([
                    "COMMAND", "GETKEYS", "ZUNION", "2", "a", "b", "WEIGHTS", "1", "2",
                ])
                .cmd(["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b"])
                .cmd(["COMMAND", "GETKEYS", "ZINTERSTORE", "d", "1", "a"])
                .cmd(["COMMAND", "GETKEYS", "ZDIFFSTORE", "d", "2", "a", "b"])
                .cmd(["COMMAND", "GETKEYS", "ZINTERCARD", "3", "a", "b", "c"])
                .cmd(["COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"])
                .cmd(["COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "1"])
                .cmd(["COMMAND", "GETKEYS", "ZADD", "z", "1", "a"]),
        ])
        .await;
}

/// Whether each write signals a modification (WATCH then EXEC on the same
/// connection aborts exactly when Redis's `signalModifiedKey` ran). This is
/// the hook that will wake clients blocked in BZPOPMIN/BZPOPMAX/BZMPOP.
#[tokio::test]
async fn writes_signal_modifications() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let probe = |name: &str, cmd: &[&str], key: &str| {
        case(name)
            .cmd(["ZADD", "z", "1", "a", "2", "b", "3", "c"])
            .cmd(["WATCH", key])
            .cmd(cmd.iter().copied())
            .cmd(["MULTI"])
            .cmd(["PING"])
            .cmd(["EXEC"])
    };
    differ
        .check(&[
            probe("zadd new key", &["ZADD", "n", "1", "a"], "n"),
            probe(
                "zadd xx on missing key",
                &["ZADD", "n", "XX", "1", "a"],
                "n",
            ),
            probe("zadd new member", &["ZADD", "z", "1", "q"], "z"),
            probe("zadd same score", &["ZADD", "z", "1", "a"], "z"),
            probe("zadd nx existing", &["ZADD", "z", "NX", "5", "a"], "z"),
            probe("zadd gt lower", &["ZADD", "z", "GT", "0", "c"], "z"),
            probe("zincrby", &["ZINCRBY", "z", "1", "a"], "z"),
            probe("zincrby 0", &["ZINCRBY", "z", "0", "a"], "z"),
            probe("zrem miss", &["ZREM", "z", "q"], "z"),
            probe("zrem hit", &["ZREM", "z", "a"], "z"),
            probe(
                "zremrangebyscore none",
                &["ZREMRANGEBYSCORE", "z", "10", "20"],
                "z",
            ),
            probe("zremrangebyrank", &["ZREMRANGEBYRANK", "z", "0", "0"], "z"),
            probe("zpopmin", &["ZPOPMIN", "z"], "z"),
            probe("zpopmax 0", &["ZPOPMAX", "z", "0"], "z"),
            probe("zmpop", &["ZMPOP", "1", "z", "MAX"], "z"),
            probe("zrangestore", &["ZRANGESTORE", "d", "z", "0", "0"], "d"),
            probe(
                "zrangestore empty",
                &["ZRANGESTORE", "d", "z", "5", "6"],
                "d",
            ),
            probe("zunionstore", &["ZUNIONSTORE", "d", "1", "z"], "d"),
            probe(
                "zinterstore over source",
                &["ZINTERSTORE", "z", "2", "z", "x"],
                "z",
            ),
            probe("read only", &["ZRANGE", "z", "0", "-1"], "z"),
        ])
        .await;
}

/// OBJECT ENCODING where it follows from the members (no one-way
/// conversion involved; those are unit-tested in sorted_sets.rs until
/// OBJECT uses the tracked encoding), and the listpack limits from CONFIG SET.
#[tokio::test]
async fn encodings() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut zadd128 = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..128 {
        zadd128.push(i.to_string());
        zadd128.push(format!("m{i}"));
    }
    let long = "x".repeat(65);
    differ
        .check(&[
            case("zset encodings")
                .cmd(zadd128)
                .cmd(["OBJECT", "ENCODING", "big"])
                .cmd(["ZADD", "big", "1", "one-more"])
                .cmd(["OBJECT", "ENCODING", "big"])
                .cmd(["ZADD", "long", "1", &long])
                .cmd(["OBJECT", "ENCODING", "long"])
                .cmd(["ZADD", "short", "1", &long[..64]])
                .cmd(["OBJECT", "ENCODING", "short"])
                .cmd(["ZUNIONSTORE", "u", "2", "short", "long"])
                .cmd(["OBJECT", "ENCODING", "u"])
                .cmd(["ZRANGESTORE", "r", "big", "0", "9"])
                .cmd(["OBJECT", "ENCODING", "r"]),
            case("zset listpack limits follow CONFIG SET")
                .cmd(["CONFIG", "SET", "zset-max-listpack-entries", "1"])
                .cmd(["ZADD", "z", "123456789012345678", "a"])
                .cmd(["OBJECT", "ENCODING", "z"])
                .cmd(["ZSCAN", "z", "0"])
                .cmd(["ZADD", "z", "1", "b"])
                .cmd(["OBJECT", "ENCODING", "z"])
                .cmd(["ZSCAN", "z", "0", "MATCH", "a"])
                .cmd(["CONFIG", "SET", "zset-max-listpack-entries", "0"])
                .cmd(["ZADD", "y", "1", "a"])
                .cmd(["OBJECT", "ENCODING", "y"])
                .cmd(["CONFIG", "SET", "zset-max-listpack-entries", "128"])
                .cmd(["CONFIG", "SET", "zset-max-listpack-value", "2"])
                .cmd(["ZADD", "w", "1", "abc"])
                .cmd(["OBJECT", "ENCODING", "w"])
                .cmd(["CONFIG", "SET", "zset-max-listpack-value", "64"]),
            case("store forms drop the destination's ttl")
                .cmd(["ZADD", "a", "1", "x"])
                .cmd(["ZADD", "d", "1", "old"])
                .cmd(["EXPIRE", "d", "100"])
                .cmd(["ZUNIONSTORE", "d", "1", "a"])
                .cmd(["TTL", "d"])
                .cmd(["EXPIRE", "d", "100"])
                .cmd(["ZRANGESTORE", "d", "a", "0", "-1"])
                .cmd(["TTL", "d"])
                .cmd(["TYPE", "d"])
                .cmd(["ZADD", "d", "5", "y"])
                .cmd(["EXPIRE", "d", "100"])
                .cmd(["ZADD", "d", "6", "y"])
                .cmd(["TTL", "d"]),
        ])
        .await;
}
