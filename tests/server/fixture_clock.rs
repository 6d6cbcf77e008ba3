//! The engine clock and blocking commands, over redis-rs: a blocked
//! `BLPOP`/`BZPOPMIN` times out when `fast_forward` or `set_time` moves the
//! clock past its timeout, never on its own while the clock is frozen, and
//! on the wall clock as before while the clock runs; a key expires strictly
//! after its deadline.

use std::time::{Duration, Instant, UNIX_EPOCH};

use mock_redis::MockRedis;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Value};
use tokio::task::JoinHandle;

/// How long a test waits for something that should happen at once before
/// it calls it a failure (a hang detector, not a timing assertion). Timeouts
/// the clock should pass are longer, so the wall clock cannot pass them.
const PATIENCE: Duration = Duration::from_secs(20);

/// A connection without redis-rs's default 500 ms response timeout.
async fn connect(server: &MockRedis) -> MultiplexedConnection {
    let client = redis::Client::open(server.url()).unwrap();
    let config = AsyncConnectionConfig::new().set_response_timeout(None);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap()
}

async fn query(conn: &mut MultiplexedConnection, args: &[&str]) -> Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(conn).await.unwrap()
}

/// The number of blocked clients INFO reports.
async fn blocked_clients(conn: &mut MultiplexedConnection) -> usize {
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("blocked_clients in INFO clients")
}

/// Sends a blocking command on a connection of its own and waits until the
/// server has blocked it.
async fn block(
    server: &MockRedis,
    probe: &mut MultiplexedConnection,
    args: &[&str],
) -> JoinHandle<Value> {
    let before = blocked_clients(probe).await;
    let mut conn = connect(server).await;
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let task = tokio::spawn(async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        query(&mut conn, &args).await
    });
    let start = Instant::now();
    while blocked_clients(probe).await == before {
        assert!(start.elapsed() < PATIENCE, "the command never blocked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task
}

/// The blocked command's reply, failing the test if it never comes.
async fn reply(task: JoinHandle<Value>) -> Value {
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("the blocked command never got a reply")
        .unwrap()
}

#[tokio::test]
async fn blpop_times_out_when_the_clock_is_fast_forwarded_past_its_timeout() {
    let server = MockRedis::start().await;
    let mut probe = connect(&server).await;
    let waiter = block(&server, &mut probe, &["BLPOP", "q", "30"]).await;
    server.fast_forward(Duration::from_secs(31));
    assert_eq!(reply(waiter).await, Value::Nil);
    assert_eq!(blocked_clients(&mut probe).await, 0);
    // The connection goes on as usual.
    let pushed = query(&mut probe, &["RPUSH", "q", "a"]).await;
    assert_eq!(pushed, Value::Int(1));
}

#[tokio::test]
async fn bzpopmin_times_out_when_the_clock_is_fast_forwarded_past_its_timeout() {
    let server = MockRedis::start().await;
    let mut probe = connect(&server).await;
    let waiter = block(&server, &mut probe, &["BZPOPMIN", "z", "60.5"]).await;
    server.fast_forward(Duration::from_secs(61));
    assert_eq!(reply(waiter).await, Value::Nil);
    assert_eq!(blocked_clients(&mut probe).await, 0);
}

#[tokio::test]
async fn a_timeout_passes_strictly_after_its_deadline_as_in_redis() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let mut probe = connect(&server).await;
    let waiter = block(&server, &mut probe, &["BLPOP", "q", "30"]).await;
    // `fast_forward` times clients out before it returns: at the deadline
    // itself, the client is still blocked.
    server.fast_forward(Duration::from_secs(30));
    assert_eq!(blocked_clients(&mut probe).await, 1);
    assert!(!waiter.is_finished());
    server.fast_forward(Duration::from_millis(1));
    assert_eq!(blocked_clients(&mut probe).await, 0);
    assert_eq!(reply(waiter).await, Value::Nil);
}

#[tokio::test]
async fn a_frozen_clock_never_times_a_blocked_client_out_on_its_own() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let mut probe = connect(&server).await;
    let start = Instant::now();
    let waiter = block(&server, &mut probe, &["BLPOP", "q", "0.1"]).await;
    // Several times the timeout goes by on the wall clock (and the server's
    // 100 ms expiry cycle runs meanwhile): still blocked.
    while start.elapsed() < Duration::from_millis(400) {
        assert_eq!(blocked_clients(&mut probe).await, 1);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!waiter.is_finished());
    // Moving the clock past the timeout is what times it out.
    server.fast_forward(Duration::from_millis(101));
    assert_eq!(reply(waiter).await, Value::Nil);

    // And while frozen, a push still serves a blocked client.
    let waiter = block(&server, &mut probe, &["BZPOPMIN", "z", "0.1"]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    query(&mut probe, &["ZADD", "z", "1", "m"]).await;
    assert_eq!(
        reply(waiter).await,
        Value::Array(vec![
            Value::BulkString(b"z".to_vec()),
            Value::BulkString(b"m".to_vec()),
            Value::BulkString(b"1".to_vec()),
        ])
    );
}

#[tokio::test]
async fn set_time_times_out_the_clients_whose_timeout_it_passes() {
    let server = MockRedis::start().await;
    let t = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    server.set_time(t);
    let mut probe = connect(&server).await;
    let short = block(&server, &mut probe, &["BLPOP", "a", "100"]).await;
    let long = block(&server, &mut probe, &["BZPOPMAX", "b", "200"]).await;
    // Back in time: nobody times out.
    server.set_time(t - Duration::from_secs(60));
    assert_eq!(blocked_clients(&mut probe).await, 2);
    server.set_time(t + Duration::from_secs(100));
    assert_eq!(blocked_clients(&mut probe).await, 2);
    server.set_time(t + Duration::from_millis(100_001));
    assert_eq!(reply(short).await, Value::Nil);
    assert_eq!(blocked_clients(&mut probe).await, 1);
    assert!(!long.is_finished());
    server.set_time(t + Duration::from_secs(250));
    assert_eq!(reply(long).await, Value::Nil);
}

#[tokio::test]
async fn with_a_running_clock_the_remainder_of_a_timeout_runs_on_the_wall_clock() {
    let server = MockRedis::start().await;
    let mut probe = connect(&server).await;
    let start = Instant::now();
    let waiter = block(&server, &mut probe, &["BLPOP", "q", "30"]).await;
    // 29.7 s of the 30 pass at once; the rest passes in real time, and the
    // client times out long before 30 s of it.
    server.fast_forward(Duration::from_millis(29_700));
    assert_eq!(reply(waiter).await, Value::Nil);
    assert!(start.elapsed() < Duration::from_secs(25));

    // Untouched, a timeout is the same on the wall clock as before.
    let start = Instant::now();
    let waiter = block(&server, &mut probe, &["BLPOP", "q", "0.3"]).await;
    assert_eq!(reply(waiter).await, Value::Nil);
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn an_unfrozen_clock_times_out_what_it_runs_past() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let mut probe = connect(&server).await;
    let waiter = block(&server, &mut probe, &["BLPOP", "q", "0.2"]).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!waiter.is_finished());
    server.unfreeze_time();
    assert_eq!(reply(waiter).await, Value::Nil);
}

#[tokio::test]
async fn a_key_expires_strictly_after_its_deadline() {
    let server = MockRedis::start().await;
    server.freeze_time();
    let mut conn = connect(&server).await;
    query(&mut conn, &["SET", "k", "v", "PX", "1000"]).await;
    server.fast_forward(Duration::from_millis(1000));
    // At the deadline: still there, with nothing left to live.
    assert_eq!(
        query(&mut conn, &["GET", "k"]).await,
        Value::BulkString(b"v".to_vec())
    );
    assert_eq!(query(&mut conn, &["PTTL", "k"]).await, Value::Int(0));
    server.fast_forward(Duration::from_millis(1));
    assert_eq!(query(&mut conn, &["EXISTS", "k"]).await, Value::Int(0));

    // The same for a TTL set in seconds, and with the expiry cycle alone.
    query(&mut conn, &["SET", "s", "v", "EX", "5"]).await;
    server.fast_forward(Duration::from_secs(5));
    assert_eq!(query(&mut conn, &["DBSIZE"]).await, Value::Int(1));
    server.fast_forward(Duration::from_millis(1));
    assert_eq!(query(&mut conn, &["DBSIZE"]).await, Value::Int(0));
}
