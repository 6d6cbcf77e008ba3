//! Pub/sub and keyspace notifications over real sockets: redis-rs async
//! pub/sub (RESP2), RESP3 push frames, publishing from the test, the log of
//! what clients published, RESET and disconnects unsubscribing, and
//! keyspace events from commands and from the clock.

use std::time::Duration;

use crate::support::{PATIENCE, eventually, frame_len};

use futures_util::StreamExt;
use mock_redis::MockRedis;
use redis::{PushKind, RedisResult, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn conn(server: &MockRedis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await
        .unwrap()
}

async fn numsub(c: &mut redis::aio::MultiplexedConnection, channel: &str) -> i64 {
    let v: (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(c)
        .await
        .unwrap();
    v.1
}

/// Reads from a raw connection until `want` bytes arrived.
async fn read_exactly(stream: &mut TcpStream, want: usize) -> Vec<u8> {
    let mut buf = vec![0u8; want];
    tokio::time::timeout(PATIENCE, stream.read_exact(&mut buf))
        .await
        .expect("the reply")
        .unwrap();
    buf
}

/// Switches a raw connection to RESP3 and reads the whole `HELLO` reply.
async fn hello3(stream: &mut TcpStream) {
    stream.write_all(b"HELLO 3\r\n").await.unwrap();
    let mut reply = Vec::new();
    while frame_len(&reply).is_none() {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("the HELLO reply")
            .unwrap();
        assert!(n > 0, "connection closed");
        reply.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(frame_len(&reply), Some(reply.len()), "nothing after HELLO");
    assert!(reply.starts_with(b"%7\r\n"), "{}", reply.escape_ascii());
}

#[tokio::test]
async fn async_pubsub_receives_channel_and_pattern_messages() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe("orders").await?;
    pubsub.psubscribe("order*").await?;
    let mut publisher = conn(&server).await;
    // One channel subscription and one matching pattern: two deliveries.
    let n: i64 = redis::cmd("PUBLISH")
        .arg("orders")
        .arg("o-1")
        .query_async(&mut publisher)
        .await?;
    assert_eq!(n, 2);
    let n: i64 = redis::cmd("PUBLISH")
        .arg("orderly")
        .arg("o-2")
        .query_async(&mut publisher)
        .await?;
    assert_eq!(n, 1);
    let mut stream = pubsub.on_message();
    let mut got = Vec::new();
    for _ in 0..3 {
        let msg = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("message")
            .expect("open");
        got.push((
            msg.get_channel_name().to_string(),
            msg.get_pattern::<Option<String>>()?,
            msg.get_payload::<String>()?,
        ));
    }
    assert_eq!(
        got,
        vec![
            ("orders".into(), None, "o-1".into()),
            ("orders".into(), Some("order*".into()), "o-1".into()),
            ("orderly".into(), Some("order*".into()), "o-2".into()),
        ]
    );
    assert_eq!(
        server.published(),
        [
            ("orders".into(), "o-1".into()),
            ("orderly".into(), "o-2".into()),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn resp3_push_frames_reach_redis_rs_push_sender() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(format!("{}?protocol=resp3", server.url()))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let config = crate::support::clients::async_config().set_push_sender(tx);
    let mut c = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    c.subscribe("alerts").await?;
    // RESP3 has no subscribed-mode restrictions: ordinary commands still work.
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query_async(&mut c)
        .await?;
    let v: String = redis::cmd("GET").arg("k").query_async(&mut c).await?;
    assert_eq!(v, "v");
    assert_eq!(server.publish("alerts", "disk full"), 1);
    let mut kinds = Vec::new();
    while kinds.last() != Some(&PushKind::Message) {
        let push = tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .expect("push")
            .expect("open");
        if push.kind == PushKind::Message {
            assert_eq!(
                push.data,
                vec![
                    Value::BulkString(b"alerts".to_vec()),
                    Value::BulkString(b"disk full".to_vec())
                ]
            );
        }
        kinds.push(push.kind);
    }
    assert_eq!(kinds, vec![PushKind::Subscribe, PushKind::Message]);
    // Test-side publishes are not in the clients' log.
    assert!(server.published().is_empty());
    Ok(())
}

#[tokio::test]
async fn resp3_message_to_self_comes_before_the_publish_reply() {
    let server = MockRedis::start().await;
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    hello3(&mut s).await;
    s.write_all(b"SUBSCRIBE me\r\nPUBLISH me hi\r\n")
        .await
        .unwrap();
    let expected: &[u8] =
        b">3\r\n$9\r\nsubscribe\r\n$2\r\nme\r\n:1\r\n>3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$2\r\nhi\r\n:1\r\n";
    assert_eq!(read_exactly(&mut s, expected.len()).await, expected);
}

#[tokio::test]
async fn reset_and_disconnect_drop_subscriptions() {
    let server = MockRedis::start().await;
    let mut admin = conn(&server).await;
    let mut a = TcpStream::connect(server.addr()).await.unwrap();
    a.write_all(b"SUBSCRIBE x y\r\n").await.unwrap();
    let confirmations: &[u8] =
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:2\r\n";
    assert_eq!(
        read_exactly(&mut a, confirmations.len()).await,
        confirmations
    );
    assert_eq!(numsub(&mut admin, "x").await, 1);
    a.write_all(b"RESET\r\nGET k\r\n").await.unwrap();
    assert_eq!(read_exactly(&mut a, 13).await, b"+RESET\r\n$-1\r\n");
    assert_eq!(numsub(&mut admin, "x").await, 0);
    assert_eq!(server.publish("y", "m"), 0);

    a.write_all(b"PSUBSCRIBE p*\r\nSSUBSCRIBE s\r\n")
        .await
        .unwrap();
    let expected: &[u8] = b"*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n";
    assert_eq!(read_exactly(&mut a, expected.len()).await, expected);
    let numpat: i64 = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(numpat, 1);
    drop(a);
    eventually("the closed subscriber to be dropped", async || {
        let numpat: i64 = redis::cmd("PUBSUB")
            .arg("NUMPAT")
            .query_async(&mut admin)
            .await
            .unwrap();
        numpat == 0
    })
    .await;
    let shard: Vec<String> = redis::cmd("PUBSUB")
        .arg("SHARDCHANNELS")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(shard.is_empty());
}

#[tokio::test]
async fn keyspace_notifications_from_commands_and_the_clock() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let mut c = conn(&server).await;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("KEx$l")
        .query_async(&mut c)
        .await?;
    let client = redis::Client::open(server.url())?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe("__key*__:*").await?;
    let mut stream = pubsub.on_message();

    let _: () = redis::cmd("SET")
        .arg("session")
        .arg("s")
        .arg("EX")
        .arg("10")
        .query_async(&mut c)
        .await?;
    let _: i64 = redis::cmd("RPUSH")
        .arg("l")
        .arg("a")
        .query_async(&mut c)
        .await?;
    // Expired by the test moving the clock, not by waiting.
    server.fast_forward(Duration::from_secs(11));

    let mut got = Vec::new();
    for _ in 0..6 {
        let msg = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("event")
            .expect("open");
        got.push(format!(
            "{} {}",
            msg.get_channel_name(),
            msg.get_payload::<String>()?
        ));
    }
    assert_eq!(
        got,
        vec![
            "__keyspace@0__:session set",
            "__keyevent@0__:set session",
            "__keyspace@0__:l rpush",
            "__keyevent@0__:rpush l",
            "__keyspace@0__:session expired",
            "__keyevent@0__:expired session",
        ]
    );
    // The `g` class is off: EXPIRE, DEL ... publish nothing. Events arrive
    // in order, so the next one being the SET's shows DEL published none.
    let _: i64 = redis::cmd("DEL").arg("l").query_async(&mut c).await?;
    let _: () = redis::cmd("SET")
        .arg("marker")
        .arg("m")
        .query_async(&mut c)
        .await?;
    let msg = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("event")
        .expect("open");
    assert_eq!(
        format!(
            "{} {}",
            msg.get_channel_name(),
            msg.get_payload::<String>()?
        ),
        "__keyspace@0__:marker set"
    );
    Ok(())
}

#[test]
fn sync_clients_and_the_blocking_server() {
    let server = MockRedis::start_blocking();
    let client = redis::Client::open(server.url()).unwrap();
    let mut sub = client.get_connection().unwrap();
    let mut pubsub = sub.as_pubsub();
    pubsub.subscribe("sync").unwrap();
    assert_eq!(server.publish("sync", "one"), 1);
    let msg = pubsub.get_message().unwrap();
    assert_eq!(msg.get_payload::<String>().unwrap(), "one");
}

#[tokio::test]
async fn client_list_shows_subscriptions_and_blocked_clients() {
    let server = MockRedis::start().await;
    let mut admin = conn(&server).await;
    let mut a = TcpStream::connect(server.addr()).await.unwrap();
    a.write_all(b"SUBSCRIBE x y\r\nPSUBSCRIBE p*\r\n")
        .await
        .unwrap();
    let _ = read_exactly(&mut a, 93).await;
    let mut b = TcpStream::connect(server.addr()).await.unwrap();
    b.write_all(b"BLPOP k 0\r\n").await.unwrap();
    let mut lines = Vec::new();
    eventually("the BLPOP to block", async || {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut admin)
            .await
            .unwrap();
        lines = list.lines().map(str::to_string).collect();
        lines.iter().any(|l| l.contains("flags=b "))
    })
    .await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" flags=P db=0 sub=2 psub=1 ssub=0 ")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" flags=b db=0 sub=0 psub=0 ssub=0 ")),
        "{lines:?}"
    );
    let pubsub_only: String = redis::cmd("CLIENT")
        .arg("LIST")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(pubsub_only.lines().count(), 1);
    assert!(pubsub_only.contains("flags=P"));
    let normal: String = redis::cmd("CLIENT")
        .arg("LIST")
        .arg("TYPE")
        .arg("normal")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(normal.lines().count(), 2);
    assert!(!normal.contains("flags=P"));
}

#[tokio::test]
async fn a_blocked_resp3_subscriber_still_receives_messages() {
    let server = MockRedis::start().await;
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    hello3(&mut s).await;
    s.write_all(b"SUBSCRIBE ch\r\nBLPOP q 0\r\nPING\r\n")
        .await
        .unwrap();
    let confirmation: &[u8] = b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
    assert_eq!(read_exactly(&mut s, confirmation.len()).await, confirmation);
    // Blocked: PING waits behind BLPOP, but messages are written at once.
    let mut admin = conn(&server).await;
    eventually("the BLPOP to block", async || {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut admin)
            .await
            .unwrap();
        info.contains("blocked_clients:1\r\n")
    })
    .await;
    assert_eq!(server.publish("ch", "while blocked"), 1);
    let message: &[u8] = b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$13\r\nwhile blocked\r\n";
    assert_eq!(read_exactly(&mut s, message.len()).await, message);
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("x")
        .query_async(&mut admin)
        .await
        .unwrap();
    let rest: &[u8] = b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n+PONG\r\n";
    assert_eq!(read_exactly(&mut s, rest.len()).await, rest);
}
