//! Blocking commands over real sockets with redis-rs: clients really block,
//! are served in the order they blocked by pushes from other clients (from
//! MULTI/EXEC and from the direct state API too), time out on the wall
//! clock, and leave nothing behind when they disconnect while blocked.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mock_redis::MockRedis;
use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

/// A connection of its own, with generous timeouts instead of redis-rs's
/// 500 ms default (blocked commands wait longer than that).
async fn connect(server: &MockRedis) -> MultiplexedConnection {
    crate::support::clients::connect(server).await
}

async fn query<T: redis::FromRedisValue>(conn: &mut MultiplexedConnection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(conn).await.unwrap()
}

/// The number of blocked clients INFO reports.
async fn blocked_clients(conn: &mut MultiplexedConnection) -> usize {
    let info: String = query(conn, &["INFO", "clients"]).await;
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("blocked_clients in INFO clients")
}

/// Waits until `n` clients are blocked (each blocked command is sent from
/// its own task, so the test must know they arrived, in order).
async fn wait_blocked(conn: &mut MultiplexedConnection, n: usize) {
    crate::support::eventually(&format!("{n} blocked clients"), async || {
        blocked_clients(conn).await == n
    })
    .await;
}

#[tokio::test]
async fn three_blocked_clients_are_served_in_the_order_they_blocked() {
    let server = MockRedis::start().await;
    let mut admin = connect(&server).await;
    let mut tasks = Vec::new();
    for i in 0..3 {
        let mut c = connect(&server).await;
        tasks.push(tokio::spawn(async move {
            let got: (String, String) = query(&mut c, &["BLPOP", "queue", "0"]).await;
            (i, got.1)
        }));
        wait_blocked(&mut admin, i + 1).await;
    }
    // The admin connection and three blocked ones.
    let info: String = query(&mut admin, &["INFO", "clients"]).await;
    assert!(info.contains("connected_clients:4\r\n"), "{info}");
    // One push of three elements: each waiter gets one, first come first served.
    let len: i64 = query(&mut admin, &["RPUSH", "queue", "a", "b", "c"]).await;
    assert_eq!(len, 3);
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    assert_eq!(
        got,
        vec![
            (0, "a".to_string()),
            (1, "b".to_string()),
            (2, "c".to_string())
        ]
    );
    // Served inside the push: nothing left for anyone else.
    let len: i64 = query(&mut admin, &["LLEN", "queue"]).await;
    assert_eq!(len, 0);
    assert_eq!(blocked_clients(&mut admin).await, 0);
}

#[tokio::test]
async fn a_third_client_cannot_steal_the_element_from_a_waiter() {
    let server = MockRedis::start().await;
    let mut admin = connect(&server).await;
    let mut waiter = connect(&server).await;
    let task = tokio::spawn(async move {
        let got: (String, String) = query(&mut waiter, &["BRPOP", "q", "0"]).await;
        got
    });
    wait_blocked(&mut admin, 1).await;
    // LPUSH and LPOP pipelined on one connection: the waiter is served
    // right after LPUSH, before LPOP runs.
    let (pushed, stolen): (i64, Option<String>) = redis::pipe()
        .cmd("LPUSH")
        .arg("q")
        .arg("x")
        .cmd("LPOP")
        .arg("q")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(pushed, 1);
    assert_eq!(stolen, None);
    assert_eq!(task.await.unwrap(), ("q".to_string(), "x".to_string()));
}

#[tokio::test]
async fn a_push_inside_multi_exec_serves_the_waiter_after_exec() {
    let server = MockRedis::start().await;
    let mut admin = connect(&server).await;
    let mut waiter = connect(&server).await;
    let task = tokio::spawn(async move {
        let got: (String, String) = query(&mut waiter, &["BLPOP", "a", "b", "0"]).await;
        got
    });
    wait_blocked(&mut admin, 1).await;
    // Inside the transaction the list is pushed and read back: the waiter
    // is served only once EXEC has finished, so LRANGE still sees both.
    let (n, range): (i64, Vec<String>) = redis::pipe()
        .atomic()
        .cmd("RPUSH")
        .arg("b")
        .arg("1")
        .arg("2")
        .cmd("LRANGE")
        .arg("b")
        .arg("0")
        .arg("-1")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(range, vec!["1", "2"]);
    assert_eq!(task.await.unwrap(), ("b".to_string(), "1".to_string()));
    let rest: Vec<String> = query(&mut admin, &["LRANGE", "b", "0", "-1"]).await;
    assert_eq!(rest, vec!["2"]);
}

#[tokio::test]
async fn blocking_commands_inside_multi_do_not_block() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let mut conn = connect(&server).await;
    let replies: Vec<Value> = redis::pipe()
        .atomic()
        .cmd("BLPOP")
        .arg("nothing")
        .arg("0")
        .cmd("BLMOVE")
        .arg("nothing")
        .arg("d")
        .arg("LEFT")
        .arg("RIGHT")
        .arg("0")
        .cmd("BZPOPMIN")
        .arg("nothing")
        .arg("0")
        .query_async(&mut conn)
        .await?;
    assert_eq!(replies, vec![Value::Nil, Value::Nil, Value::Nil]);
    Ok(())
}

#[tokio::test]
async fn a_push_from_the_state_api_serves_the_waiter() {
    let server = MockRedis::start().await;
    let mut admin = connect(&server).await;
    let mut waiter = connect(&server).await;
    let task = tokio::spawn(async move {
        let got: (String, String) = query(&mut waiter, &["BLPOP", "jobs", "0"]).await;
        got
    });
    wait_blocked(&mut admin, 1).await;
    assert_eq!(server.db(0).rpush("jobs", ["j1", "j2"]), Ok(2));
    assert_eq!(task.await.unwrap(), ("jobs".to_string(), "j1".to_string()));
    server.db(0).assert_list("jobs", ["j2"]);
}

#[tokio::test]
async fn blocked_clients_time_out_on_the_wall_clock() {
    let server = MockRedis::start().await;
    let mut conn = connect(&server).await;
    // A running engine clock follows real time (a frozen one never times a
    // client out: see fixture_clock.rs).
    let start = Instant::now();
    let got: Value = query(&mut conn, &["BLPOP", "nothing", "0.2"]).await;
    let waited = start.elapsed();
    assert_eq!(got, Value::Nil);
    // At least the timeout; how much longer depends on the machine.
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    // The connection processes requests again afterwards.
    let pong: String = query(&mut conn, &["PING"]).await;
    assert_eq!(pong, "PONG");
    let got: Value = query(&mut conn, &["BZMPOP", "0.05", "1", "z", "MIN"]).await;
    assert_eq!(got, Value::Nil);
    let got: Value = query(&mut conn, &["BRPOPLPUSH", "nothing", "d", "0.05"]).await;
    assert_eq!(got, Value::Nil);
}

#[tokio::test]
async fn a_client_that_disconnects_while_blocked_leaves_nothing_behind() {
    let server = MockRedis::start().await;
    let mut admin = connect(&server).await;
    {
        use tokio::io::AsyncWriteExt;
        let mut gone = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        gone.write_all(b"BLPOP k 0\r\n").await.unwrap();
        wait_blocked(&mut admin, 1).await;
    }
    // The connection task notices the closed socket and unregisters.
    wait_blocked(&mut admin, 0).await;
    let len: i64 = query(&mut admin, &["RPUSH", "k", "v"]).await;
    assert_eq!(len, 1);
    // Nobody took the element.
    let rest: Vec<String> = query(&mut admin, &["LRANGE", "k", "0", "-1"]).await;
    assert_eq!(rest, vec!["v"]);
}

#[tokio::test]
async fn blmove_chains_serve_the_next_waiter() {
    let server = MockRedis::start().await;
    let mut admin = connect(&server).await;
    // a → b (waiter 1 moves from a to b), b → c (waiter 2), c (waiter 3 pops).
    let mut w1 = connect(&server).await;
    let t1 = tokio::spawn(async move {
        let v: String = query(&mut w1, &["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"]).await;
        v
    });
    wait_blocked(&mut admin, 1).await;
    let mut w2 = connect(&server).await;
    let t2 = tokio::spawn(async move {
        let v: String = query(&mut w2, &["BRPOPLPUSH", "b", "c", "0"]).await;
        v
    });
    wait_blocked(&mut admin, 2).await;
    let mut w3 = connect(&server).await;
    let t3 = tokio::spawn(async move {
        let v: (String, Vec<String>) =
            query(&mut w3, &["BLMPOP", "0", "1", "c", "LEFT", "COUNT", "5"]).await;
        v
    });
    wait_blocked(&mut admin, 3).await;
    let _: i64 = query(&mut admin, &["RPUSH", "a", "item"]).await;
    assert_eq!(t1.await.unwrap(), "item");
    assert_eq!(t2.await.unwrap(), "item");
    assert_eq!(
        t3.await.unwrap(),
        ("c".to_string(), vec!["item".to_string()])
    );
    let keys: Vec<String> = query(&mut admin, &["KEYS", "*"]).await;
    assert!(keys.is_empty(), "{keys:?}");
}

#[tokio::test]
async fn sorted_set_waiters_are_served_by_zadd() {
    let server = MockRedis::start().await;
    let mut admin = connect(&server).await;
    let mut w1 = connect(&server).await;
    let t1 = tokio::spawn(async move {
        let v: (String, String, f64) = query(&mut w1, &["BZPOPMIN", "z1", "z2", "0"]).await;
        v
    });
    wait_blocked(&mut admin, 1).await;
    let mut w2 = connect(&server).await;
    let t2 = tokio::spawn(async move {
        let v: Value = query(&mut w2, &["BZMPOP", "0", "1", "z2", "MAX", "COUNT", "2"]).await;
        v
    });
    wait_blocked(&mut admin, 2).await;
    let _: i64 = query(&mut admin, &["ZADD", "z2", "1", "a", "2", "b", "3", "c"]).await;
    assert_eq!(t1.await.unwrap(), ("z2".to_string(), "a".to_string(), 1.0));
    let popped = t2.await.unwrap();
    let expected = Value::Array(vec![
        Value::BulkString(b"z2".to_vec()),
        Value::Array(vec![
            Value::Array(vec![
                Value::BulkString(b"c".to_vec()),
                Value::BulkString(b"3".to_vec()),
            ]),
            Value::Array(vec![
                Value::BulkString(b"b".to_vec()),
                Value::BulkString(b"2".to_vec()),
            ]),
        ]),
    ]);
    assert_eq!(popped, expected);
}

/// The showcase: a producer hands jobs to a worker with BLMOVE
/// (queue → processing), the worker hands results back the same way
/// (processing → done) where the producer waits with BLMOVE, and a third
/// client publishes progress on a channel that a subscriber reads.
#[tokio::test]
async fn showcase_blmove_handover_with_progress_on_a_channel() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe("progress").await?;
    let mut messages = pubsub.into_on_message();

    let jobs = ["resize:1", "resize:2", "resize:3"];

    // The worker: takes each job with BLMOVE, works, hands it on with BLMOVE.
    let mut worker = connect(&server).await;
    let worker_task = tokio::spawn(async move {
        let mut handled = Vec::new();
        for _ in 0..3 {
            let job: String = query(
                &mut worker,
                &["BLMOVE", "queue", "processing", "RIGHT", "LEFT", "15"],
            )
            .await;
            let done: String = query(
                &mut worker,
                &["BLMOVE", "processing", "done", "RIGHT", "LEFT", "15"],
            )
            .await;
            assert_eq!(job, done);
            handled.push(job);
        }
        handled
    });

    // The producer: pushes jobs, then collects each result with BLMOVE.
    let mut producer = connect(&server).await;
    let producer_task = tokio::spawn(async move {
        let mut collected = Vec::new();
        for job in jobs {
            let _: i64 = query(&mut producer, &["LPUSH", "queue", job]).await;
            let result: String = query(
                &mut producer,
                &["BLMOVE", "done", "archive", "RIGHT", "LEFT", "15"],
            )
            .await;
            collected.push(result);
        }
        collected
    });

    // The reporter: publishes progress as the archive grows.
    let mut reporter = connect(&server).await;
    let reporter_task = tokio::spawn(async move {
        let mut reported = 0;
        let deadline = Instant::now() + crate::support::PATIENCE;
        while reported < jobs.len() {
            assert!(Instant::now() < deadline, "no progress");
            let archived: usize = query(&mut reporter, &["LLEN", "archive"]).await;
            while reported < archived {
                reported += 1;
                let msg = format!("{reported}/{}", jobs.len());
                let receivers: i64 = query(&mut reporter, &["PUBLISH", "progress", &msg]).await;
                assert_eq!(receivers, 1);
            }
            // Pacing of the poll of LLEN, not a wait for anything.
            tokio::time::sleep(crate::support::conn::POLL_GAP).await;
        }
    });

    assert_eq!(worker_task.await.unwrap(), jobs);
    assert_eq!(producer_task.await.unwrap(), jobs);
    reporter_task.await.unwrap();

    let mut seen = Vec::new();
    for _ in 0..jobs.len() {
        let msg = tokio::time::timeout(crate::support::PATIENCE, messages.next())
            .await
            .expect("a progress message")
            .expect("the subscription is open");
        assert_eq!(msg.get_channel_name(), "progress");
        seen.push(msg.get_payload::<String>()?);
    }
    assert_eq!(seen, vec!["1/3", "2/3", "3/3"]);
    assert_eq!(server.published_on("progress").len(), 3);
    server
        .db(0)
        .assert_list("archive", ["resize:3", "resize:2", "resize:1"]);
    Ok(())
}
