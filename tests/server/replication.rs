//! Replication and MIGRATE against real servers: a real redis-server
//! replicating from a MockRedis (full resync, then the write stream in
//! several databases, expiries rewritten, blocked clients served, EXEC and
//! scripts), checked key by key with DUMP and PTTL on both sides; MIGRATE
//! from a MockRedis to a real redis-server and to another MockRedis on the
//! same runtime. Skipped (with a message) without redis-server, unless
//! `MOCK_REDIS_REQUIRE_REDIS=1`.

use mock_redis::MockRedis;
use redis::aio::MultiplexedConnection;

use crate::support::{RealRedis, eventually};

async fn conn(port: u16) -> MultiplexedConnection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn run(c: &mut MultiplexedConnection, args: &[&str]) -> redis::Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(c).await.unwrap()
}

async fn info_field(c: &mut MultiplexedConnection, field: &str) -> Option<String> {
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query_async(c)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
}

/// A key's type and value as replies that do not depend on the encoding
/// (DUMP does: mock-redis writes small hashes, sets and sorted sets in
/// their plain RDB types, Redis as listpacks), members sorted.
async fn contents(c: &mut MultiplexedConnection, k: &[u8]) -> Vec<redis::Value> {
    let kind: String = redis::cmd("TYPE").arg(k).query_async(c).await.unwrap();
    let reads: &[&[&str]] = match kind.as_str() {
        "string" => &[&["GET"]],
        "list" => &[&["LRANGE", "0", "-1"]],
        "hash" => &[&["HGETALL"]],
        "set" => &[&["SMEMBERS"]],
        "zset" => &[&["ZRANGE", "0", "-1", "WITHSCORES"]],
        "stream" => &[&["XRANGE", "-", "+"], &["XINFO", "GROUPS"]],
        other => panic!("type {other}"),
    };
    let mut out = vec![redis::Value::SimpleString(kind.clone())];
    for read in reads {
        let mut cmd = redis::cmd(read[0]);
        if read[0] == "XINFO" {
            cmd.arg(read[1]).arg(k);
        } else {
            cmd.arg(k).arg(&read[1..]);
        }
        let mut v: redis::Value = cmd.query_async(c).await.unwrap();
        if let redis::Value::Array(items) = &mut v {
            if kind == "set" {
                items.sort_by_key(|i| format!("{i:?}"));
            } else if kind == "hash" {
                let mut pairs: Vec<_> = items.chunks(2).map(|p| p.to_vec()).collect();
                pairs.sort_by_key(|p| format!("{p:?}"));
                *items = pairs.concat();
            }
        }
        out.push(v);
    }
    out
}

/// Every key of every database on `a` is on `b` with the same value, and
/// TTLs within a second of each other; `b` holds no other key.
async fn assert_same_data(a: &mut MultiplexedConnection, b: &mut MultiplexedConnection) {
    for db in 0..16 {
        let () = redis::cmd("SELECT").arg(db).query_async(a).await.unwrap();
        let () = redis::cmd("SELECT").arg(db).query_async(b).await.unwrap();
        let mut keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query_async(a).await.unwrap();
        let mut theirs: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query_async(b).await.unwrap();
        keys.sort();
        theirs.sort();
        assert_eq!(keys, theirs, "the keys of db {db}");
        for k in &keys {
            let mine = contents(a, k).await;
            let copy = contents(b, k).await;
            assert_eq!(
                mine,
                copy,
                "the value of {:?} in db {db}",
                String::from_utf8_lossy(k)
            );
            let t1: i64 = redis::cmd("PTTL").arg(k).query_async(a).await.unwrap();
            let t2: i64 = redis::cmd("PTTL").arg(k).query_async(b).await.unwrap();
            assert!(
                (t1 < 0 && t1 == t2) || (t1 >= 0 && (t1 - t2).abs() < 1000),
                "PTTL of {:?}: {t1} vs {t2}",
                String::from_utf8_lossy(k)
            );
        }
    }
    let () = redis::cmd("SELECT").arg(0).query_async(a).await.unwrap();
    let () = redis::cmd("SELECT").arg(0).query_async(b).await.unwrap();
}

/// Waits until the replica acknowledged everything the master sent.
async fn await_caught_up(master: &mut MultiplexedConnection, replica: &mut MultiplexedConnection) {
    eventually("the replica to reach the master's offset", async || {
        let m = info_field(master, "master_repl_offset").await;
        let r = info_field(replica, "slave_repl_offset").await;
        m.is_some() && m == r
    })
    .await;
}

#[tokio::test]
async fn a_real_replica_syncs_then_follows_every_write() {
    let mock = MockRedis::start().await;
    let mut m = conn(mock.port()).await;
    // Data before the sync, in several databases and with a TTL.
    for args in [
        &["SET", "s", "v", "EX", "100"][..],
        &["RPUSH", "l", "a", "b", "c"],
        &["HSET", "h", "f", "1", "g", "2"],
        &["SELECT", "3"],
        &["SADD", "set", "1", "2", "x"],
        &["ZADD", "z", "1", "a", "2.5", "b"],
        &["XADD", "st", "1-1", "f", "v"],
        &["SELECT", "0"],
    ] {
        run(&mut m, args).await;
    }
    let port = mock.port().to_string();
    let Some(real) = RealRedis::start_with(&["--replicaof", "127.0.0.1", &port]) else {
        return;
    };
    let mut r = conn(real.port).await;
    eventually("master_link_status:up", async || {
        info_field(&mut r, "master_link_status").await.as_deref() == Some("up")
    })
    .await;
    assert_eq!(
        info_field(&mut m, "connected_slaves").await.as_deref(),
        Some("1")
    );
    let slave0 = info_field(&mut m, "slave0").await.unwrap();
    assert!(
        slave0.starts_with(&format!("ip=127.0.0.1,port={},state=online,", real.port)),
        "{slave0}"
    );
    assert_same_data(&mut m, &mut r).await;

    // Writes after the sync: rewritten expiries, several databases,
    // nondeterministic commands, a transaction, a served blocked client.
    let mut blocked = conn(mock.port()).await;
    let waiter = tokio::spawn(async move {
        let v: String = redis::cmd("BLMOVE")
            .arg("src")
            .arg("dst")
            .arg("LEFT")
            .arg("RIGHT")
            .arg(0)
            .query_async(&mut blocked)
            .await
            .unwrap();
        v
    });
    eventually("the BLMOVE to block", async || {
        let clients: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut m)
            .await
            .unwrap();
        clients.contains("cmd=blmove")
    })
    .await;
    for args in [
        &["SET", "a", "1", "PX", "60000"][..],
        &["SETEX", "b", "100", "x"],
        &["SET", "c", "3"],
        &["EXPIRE", "c", "500"],
        &["INCRBYFLOAT", "f", "1.5"],
        &["SELECT", "5"],
        &["LPUSH", "q", "1", "2", "3"],
        &["HINCRBYFLOAT", "hf", "x", "0.25"],
        &["SADD", "pool", "a", "b", "c", "d"],
        &["SPOP", "pool", "2"],
        &["XADD", "events", "*", "k", "v"],
        &["XGROUP", "CREATE", "events", "g", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "1",
            "STREAMS",
            "events",
            ">",
        ],
        &["MULTI"],
        &["INCR", "n"],
        &["SELECT", "6"],
        &["ZADD", "zz", "3", "m"],
        &["EXEC"],
        &["SELECT", "0"],
        &["RPUSH", "src", "moved"],
        &["SET", "gone", "x", "PX", "1"],
        &["DEL", "s"],
    ] {
        run(&mut m, args).await;
    }
    assert_eq!(waiter.await.unwrap(), "moved");
    #[cfg(feature = "scripting")]
    run(
        &mut m,
        &[
            "EVAL",
            "redis.call('set', KEYS[1], 'lua'); return redis.call('sadd', KEYS[2], math.random())",
            "2",
            "sk",
            "rs",
        ],
    )
    .await;
    // `gone` expires on the mock; its DEL reaches the replica.
    eventually("gone to expire", async || {
        let n: i64 = redis::cmd("EXISTS")
            .arg("gone")
            .query_async(&mut m)
            .await
            .unwrap();
        n == 0
    })
    .await;
    await_caught_up(&mut m, &mut r).await;
    assert_same_data(&mut m, &mut r).await;
    // ROLE shows the replica with the offset it acknowledged.
    let role = run(&mut m, &["ROLE"]).await;
    let redis::Value::Array(items) = role else {
        panic!("{role:?}")
    };
    assert_eq!(items[0], redis::Value::BulkString(b"master".to_vec()));
}

#[tokio::test]
async fn migrate_moves_keys_to_redis_and_to_another_mock() {
    let source = MockRedis::start().await;
    let target = MockRedis::start().await;
    let mut s = conn(source.port()).await;
    let mut t = conn(target.port()).await;
    let tport = target.port().to_string();
    run(&mut s, &["SET", "k", "v", "EX", "100"]).await;
    run(&mut s, &["RPUSH", "l", "1", "2"]).await;
    run(&mut s, &["HSET", "h", "f", "v"]).await;
    // To another MockRedis on this runtime: the engine lock is not held
    // while MIGRATE waits on its target.
    let ok = run(&mut s, &["MIGRATE", "127.0.0.1", &tport, "k", "2", "1000"]).await;
    assert_eq!(ok, redis::Value::Okay);
    assert_eq!(run(&mut s, &["EXISTS", "k"]).await, redis::Value::Int(0));
    run(&mut t, &["SELECT", "2"]).await;
    assert_eq!(
        run(&mut t, &["GET", "k"]).await,
        redis::Value::BulkString(b"v".to_vec())
    );
    let ttl = run(&mut t, &["TTL", "k"]).await;
    assert!(matches!(ttl, redis::Value::Int(98..=100)), "{ttl:?}");
    // COPY keeps the keys; a second copy without REPLACE is refused.
    let copied = run(
        &mut s,
        &[
            "MIGRATE",
            "127.0.0.1",
            &tport,
            "",
            "2",
            "1000",
            "COPY",
            "KEYS",
            "l",
            "h",
            "missing",
        ],
    )
    .await;
    assert_eq!(copied, redis::Value::Okay);
    assert_eq!(
        run(&mut s, &["EXISTS", "l", "h"]).await,
        redis::Value::Int(2)
    );
    let busy: redis::RedisResult<redis::Value> = redis::cmd("MIGRATE")
        .arg(&["127.0.0.1", &tport, "l", "2", "1000", "COPY"])
        .query_async(&mut s)
        .await;
    let e = busy.unwrap_err();
    assert_eq!(
        e.detail(),
        Some("Target instance replied with error: BUSYKEY Target key name already exists.")
    );
    let replaced = run(
        &mut s,
        &[
            "MIGRATE",
            "127.0.0.1",
            &tport,
            "",
            "2",
            "1000",
            "REPLACE",
            "KEYS",
            "l",
            "h",
        ],
    )
    .await;
    assert_eq!(replaced, redis::Value::Okay);
    assert_eq!(
        run(&mut s, &["EXISTS", "l", "h"]).await,
        redis::Value::Int(0)
    );
    assert_eq!(
        run(&mut t, &["LRANGE", "l", "0", "-1"]).await,
        redis::Value::Array(vec![
            redis::Value::BulkString(b"1".to_vec()),
            redis::Value::BulkString(b"2".to_vec())
        ])
    );
    assert_eq!(
        run(&mut s, &["MIGRATE", "127.0.0.1", &tport, "l", "2", "1000"]).await,
        redis::Value::SimpleString("NOKEY".into())
    );

    // To a real redis-server with a password: AUTH, AUTH2, a wrong one.
    let Some(real) = RealRedis::start() else {
        return;
    };
    let rport = real.port.to_string();
    run(
        &mut conn(real.port).await,
        &["CONFIG", "SET", "requirepass", "pw"],
    )
    .await;
    run(&mut s, &["SET", "a", "1"]).await;
    run(&mut s, &["SADD", "b", "x", "y"]).await;
    let refused: redis::RedisResult<redis::Value> = redis::cmd("MIGRATE")
        .arg(&["127.0.0.1", &rport, "a", "0", "1000", "AUTH", "nope"])
        .query_async(&mut s)
        .await;
    assert!(
        refused
            .unwrap_err()
            .detail()
            .unwrap()
            .starts_with("Target instance replied with error: WRONGPASS"),
    );
    assert_eq!(run(&mut s, &["EXISTS", "a"]).await, redis::Value::Int(1));
    assert_eq!(
        run(
            &mut s,
            &[
                "MIGRATE",
                "127.0.0.1",
                &rport,
                "a",
                "0",
                "1000",
                "AUTH",
                "pw"
            ]
        )
        .await,
        redis::Value::Okay
    );
    assert_eq!(
        run(
            &mut s,
            &[
                "MIGRATE",
                "127.0.0.1",
                &rport,
                "",
                "1",
                "1000",
                "AUTH2",
                "default",
                "pw",
                "KEYS",
                "b"
            ]
        )
        .await,
        redis::Value::Okay
    );
    let mut r = redis::Client::open(format!("redis://:pw@127.0.0.1:{}/1", real.port))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    assert_eq!(run(&mut r, &["SCARD", "b"]).await, redis::Value::Int(2));
    run(&mut r, &["SELECT", "0"]).await;
    assert_eq!(
        run(&mut r, &["GET", "a"]).await,
        redis::Value::BulkString(b"1".to_vec())
    );
    assert_eq!(run(&mut s, &["DBSIZE"]).await, redis::Value::Int(0));
}

/// Reads from `s` until `buf` holds at least `n` bytes (bounded wait).
async fn fill(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, n: usize) {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + crate::support::PATIENCE;
    while buf.len() < n {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout_at(deadline, s.read(&mut chunk))
            .await
            .expect("the master's stream in time")
            .unwrap();
        assert!(read > 0, "the master closed the link");
        buf.extend_from_slice(&chunk[..read]);
    }
}

/// The stream byte for byte, as a replica sees it: `+FULLRESYNC`, the RDB
/// file with its length and no CRLF after it (REDIS0010 ... EOF and the
/// checksum), then SELECT and the writes, relative expiries rewritten as
/// Redis rewrites them; REPLCONF ACK answers nothing and ROLE shows it.
#[tokio::test]
async fn the_stream_is_redis_s_protocol_with_rewrites() {
    use tokio::io::AsyncWriteExt;
    let mock = MockRedis::start().await;
    let mut m = conn(mock.port()).await;
    run(&mut m, &["SET", "before", "x"]).await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", mock.port()))
        .await
        .unwrap();
    s.write_all(b"REPLCONF listening-port 7777\r\nPSYNC ? -1\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    fill(&mut s, &mut buf, 5).await;
    assert!(
        buf.starts_with(b"+OK\r\n"),
        "{:?}",
        String::from_utf8_lossy(&buf)
    );
    buf.drain(..5);
    let line_end = |buf: &Vec<u8>| buf.windows(2).position(|w| w == b"\r\n");
    while line_end(&buf).is_none() {
        let n = buf.len() + 1;
        fill(&mut s, &mut buf, n).await;
    }
    let end = line_end(&buf).unwrap();
    let line = String::from_utf8(buf.drain(..end + 2).collect()).unwrap();
    let parts: Vec<&str> = line.trim_end().split(' ').collect();
    assert_eq!(parts[0], "+FULLRESYNC");
    assert_eq!(parts[1].len(), 40);
    assert_eq!(parts[2], "0");
    while line_end(&buf).is_none() {
        let n = buf.len() + 1;
        fill(&mut s, &mut buf, n).await;
    }
    let end = line_end(&buf).unwrap();
    let len: usize = std::str::from_utf8(&buf[1..end]).unwrap().parse().unwrap();
    buf.drain(..end + 2);
    fill(&mut s, &mut buf, len).await;
    let rdb: Vec<u8> = buf.drain(..len).collect();
    assert!(rdb.starts_with(b"REDIS0010"));
    assert_eq!(rdb[len - 9], 0xff, "EOF before the checksum");
    assert!(rdb.windows(6).any(|w| w == b"before"));

    run(&mut m, &["SET", "k", "v", "EX", "100"]).await;
    run(&mut m, &["EXPIRE", "before", "50"]).await;
    run(&mut m, &["DEL", "nothing"]).await;
    run(&mut m, &["RPUSH", "l", "a"]).await;
    let expected_prefix = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n";
    fill(&mut s, &mut buf, expected_prefix.len() + 15).await;
    assert_eq!(
        &buf[..expected_prefix.len()],
        expected_prefix,
        "{:?}",
        String::from_utf8_lossy(&buf)
    );
    let at: i64 = std::str::from_utf8(&buf[expected_prefix.len()..expected_prefix.len() + 13])
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((at - now - 100_000).abs() < 5_000, "PXAT {at} vs now {now}");
    buf.drain(..expected_prefix.len() + 15);
    let rest = b"*3\r\n$9\r\nPEXPIREAT\r\n$6\r\nbefore\r\n$13\r\n";
    fill(&mut s, &mut buf, rest.len() + 15).await;
    assert_eq!(&buf[..rest.len()], rest);
    buf.drain(..rest.len() + 15);
    // DEL of a missing key changed nothing: not sent.
    let push = b"*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n";
    fill(&mut s, &mut buf, push.len()).await;
    assert_eq!(&buf[..], push);

    let offset = match run(&mut m, &["ROLE"]).await {
        redis::Value::Array(items) => items[1].clone(),
        other => panic!("{other:?}"),
    };
    let redis::Value::Int(offset) = offset else {
        panic!()
    };
    s.write_all(format!("REPLCONF ACK {offset}\r\n").as_bytes())
        .await
        .unwrap();
    eventually("ROLE to show the acknowledged offset", async || {
        let role = run(&mut m, &["ROLE"]).await;
        role == redis::Value::Array(vec![
            redis::Value::BulkString(b"master".to_vec()),
            redis::Value::Int(offset),
            redis::Value::Array(vec![redis::Value::Array(vec![
                redis::Value::BulkString(b"127.0.0.1".to_vec()),
                redis::Value::BulkString(b"7777".to_vec()),
                redis::Value::BulkString(offset.to_string().into_bytes()),
            ])]),
        ])
    })
    .await;
}
