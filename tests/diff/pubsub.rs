//! Differential tests for pub/sub, keyspace notifications and the blocking
//! commands, byte for byte against a real redis-server:
//!
//! * single-connection scripts through the shared harness (RESP2 and
//!   RESP3): SUBSCRIBE/UNSUBSCRIBE confirmations, subscribed-mode errors,
//!   PUBSUB introspection, argument errors, non-blocking paths;
//! * multi-connection scripts through the same harness
//!   (`tests/support/multi.rs`): the same actions on several raw sockets,
//!   played against both servers (every connection in RESP2, then every
//!   connection after `HELLO 3`), each action waiting for its
//!   acknowledgement (a reply, the server listing a client as blocked or
//!   gone), and everything each connection receives is compared: serving
//!   order of blocked clients, BLMOVE chains, MULTI/EXEC, message fan-out,
//!   keyspace events, disconnects while blocked.

use crate::support::{Differ, case, multibulk, script};

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

#[tokio::test]
async fn multi_connection_scripts() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let scripts = vec![
        script("FIFO serving across three blocked clients", 4)
            .block(0, "BLPOP q 0")
            .block(1, "BRPOP q other 0")
            .block(2, "BLMPOP 0 1 q LEFT COUNT 2")
            .drain(0)
            .send(3, "RPUSH q a b c d e")
            .read(3, 1)
            .read(0, 1)
            .read(1, 1)
            .read(2, 1)
            .send(3, "LRANGE q 0 -1")
            .read(3, 1),
        script("a waiter on two keys is served by the second", 2)
            .block(0, "BLPOP k1 k2 0")
            .send(1, "RPUSH k2 x y")
            .read(1, 1)
            .read(0, 1)
            .send(1, "LRANGE k2 0 -1")
            .read(1, 1),
        script("BLMOVE chain", 4)
            .block(0, "BLMOVE a b LEFT RIGHT 0")
            .block(1, "BRPOPLPUSH b c 0")
            .block(2, "BLMPOP 0 1 c RIGHT")
            .send(3, "RPUSH a x")
            .read(3, 1)
            .read(0, 1)
            .read(1, 1)
            .read(2, 1)
            .send(3, "KEYS *")
            .read(3, 1),
        script("BLMOVE onto a list that grows its own waiters", 3)
            .block(0, "BLMOVE src src RIGHT LEFT 0")
            .block(1, "BLPOP src 0")
            .send(2, "RPUSH src 1 2")
            .read(2, 1)
            .read(0, 1)
            .read(1, 1)
            .send(2, "LRANGE src 0 -1")
            .read(2, 1),
        script("BLMOVE to a destination of the wrong type", 2)
            .send(1, "SET str v")
            .read(1, 1)
            .block(0, "BLMOVE src str LEFT LEFT 0")
            .send(1, "RPUSH src x")
            .read(1, 1)
            .read(0, 1)
            .send(1, "LRANGE src 0 -1")
            .read(1, 1),
        script("a push inside MULTI/EXEC serves after EXEC", 2)
            .block(0, "BLPOP l 0")
            .send(1, "MULTI")
            .send(1, "RPUSH l 1 2")
            .send(1, "LRANGE l 0 -1")
            .send(1, "LPOP l")
            .send(1, "EXEC")
            .read(1, 5)
            .read(0, 1)
            .send(1, "LRANGE l 0 -1")
            .read(1, 1),
        script("a key emptied in the same transaction serves nobody", 2)
            .block(0, "BLPOP l 0")
            .send(1, "MULTI")
            .send(1, "RPUSH l 1")
            .send(1, "DEL l")
            .send(1, "EXEC")
            .read(1, 4)
            .drain(0)
            .send(1, "RPUSH l 2")
            .read(1, 1)
            .read(0, 1),
        script("sorted-set and list waiters on one key", 3)
            .block(0, "BZPOPMIN k 0")
            .block(1, "BLPOP k 0")
            .send(2, "RPUSH k a")
            .read(2, 1)
            .read(1, 1)
            .send(2, "ZADD k 1 m 2 n")
            .read(2, 1)
            .read(0, 1)
            .send(2, "ZRANGE k 0 -1 WITHSCORES")
            .read(2, 1),
        script("BZMPOP and BZPOPMAX waiters", 3)
            .block(0, "BZMPOP 0 2 z1 z2 MAX COUNT 2")
            .block(1, "BZPOPMAX z2 0")
            .send(2, "ZADD z2 1 a 2 b 3 c")
            .read(2, 1)
            .read(0, 1)
            .read(1, 1),
        script(
            "a client disconnecting while blocked leaves nothing behind",
            2,
        )
        .block(0, "BLPOP k 0")
        .close(0)
        .send(1, "RPUSH k v")
        .read(1, 1)
        .send(1, "LRANGE k 0 -1")
        .read(1, 1),
        script("requests pipelined behind a blocked command wait", 2)
            .block(0, "BLPOP k 0")
            .queue(0, "GET x")
            .drain(0)
            .send(1, "SET x 1")
            .send(1, "RPUSH k v")
            .read(1, 2)
            .read(0, 2),
        // One pattern per client: Redis walks its pattern table in hash
        // order (seeded per process), so two matching patterns on one
        // client arrive in an order that varies between runs.
        script("messages fan out to channels and patterns", 4)
            .send(0, "SUBSCRIBE news")
            .send(1, "PSUBSCRIBE n*")
            .send(2, "SUBSCRIBE news")
            .send(2, "PSUBSCRIBE *s")
            .read(0, 1)
            .read(1, 1)
            .read(2, 2)
            .send(3, "PUBLISH news hello")
            .read(3, 1)
            .read(0, 1)
            .read(1, 1)
            .read(2, 2)
            .send(3, "PUBSUB NUMSUB news nope")
            .send(3, "PUBSUB NUMPAT")
            .send(3, "PUBSUB CHANNELS n*")
            .read(3, 3)
            .send(3, "PUBLISH other x")
            .read(3, 1)
            .drain(1)
            .send(0, "UNSUBSCRIBE news")
            .read(0, 1)
            .send(3, "PUBLISH news again")
            .read(3, 1)
            .read(1, 1)
            .read(2, 2)
            .close(2)
            .send(3, "PUBSUB NUMSUB news")
            .send(3, "PUBSUB NUMPAT")
            .read(3, 2),
        script("shard channels", 3)
            .send(0, "SSUBSCRIBE orders")
            .send(1, "SUBSCRIBE orders")
            .read(0, 1)
            .read(1, 1)
            .send(2, "SPUBLISH orders o1")
            .read(2, 1)
            .read(0, 1)
            .send(2, "PUBLISH orders o2")
            .read(2, 1)
            .read(1, 1)
            .send(2, "PUBSUB SHARDNUMSUB orders")
            .send(2, "PUBSUB SHARDCHANNELS")
            .read(2, 2),
        script("new-key events with A and n", 2)
            .send(1, "CONFIG SET notify-keyspace-events AnK")
            .send(1, "CONFIG GET notify-keyspace-events")
            .read(1, 2)
            .send(0, "PSUBSCRIBE __keyspace@0__:*")
            .read(0, 1)
            .send(1, "SET fresh v")
            .send(1, "SET fresh w")
            .send(1, "RPUSH fl a")
            .read(1, 3)
            .read(0, 5),
        script(
            "keyspace events and PUBLISH inside MULTI keep their order",
            2,
        )
        .send(1, "CONFIG SET notify-keyspace-events KEA")
        .read(1, 1)
        .send(0, "PSUBSCRIBE *")
        .read(0, 1)
        .send(1, "MULTI")
        .send(1, "SET k1 v")
        .send(1, "PUBLISH ch m")
        .send(1, "DEL k1")
        .send(1, "EXEC")
        .read(1, 5)
        .read(0, 5),
        script("keyspace notifications, blocked clients included", 3)
            .send(2, "CONFIG SET notify-keyspace-events KEA")
            .read(2, 1)
            .send(0, "PSUBSCRIBE __key*")
            .read(0, 1)
            .block(1, "BLPOP q 0")
            .send(2, "SET k v")
            .send(2, "EXPIRE k 100")
            .send(2, "RENAME k k2")
            .send(2, "DEL k2")
            .send(2, "RPUSH q x y")
            .send(2, "HSET h f v")
            .send(2, "SADD s m")
            .send(2, "ZADD z 1 m")
            .send(2, "INCRBYFLOAT n 1.5")
            .send(2, "SET e v PX 1")
            .elapse(10)
            .send(2, "GET e")
            .read(2, 11)
            .read(1, 1)
            .drain(0)
            .send(2, "CONFIG SET notify-keyspace-events Elg")
            .send(2, "LPUSH q2 a")
            .send(2, "DEL q2 nothing")
            .send(2, "SET quiet v")
            .read(2, 4)
            .drain(0)
            .send(2, "CONFIG SET notify-keyspace-events g")
            .read(2, 1),
    ];
    differ.check_scripts(&scripts).await;
}
