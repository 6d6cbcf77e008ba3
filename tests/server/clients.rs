//! Real clients against the server over real sockets: redis-rs (async on
//! both runtime flavours, sync against the blocking server, RESP2 and RESP3),
//! the mini-redis client, and redis-cli where it is installed.

use mock_redis::MockRedis;
use redis::{AsyncCommands, RedisResult};

#[tokio::test]
async fn redis_rs_async_current_thread() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
    assert_eq!(pong, "PONG");
    let echoed: String = redis::cmd("ECHO")
        .arg("hello world")
        .query_async(&mut conn)
        .await?;
    assert_eq!(echoed, "hello world");
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("worker-1")
        .query_async(&mut conn)
        .await?;
    let name: Option<String> = redis::cmd("CLIENT")
        .arg("GETNAME")
        .query_async(&mut conn)
        .await?;
    assert_eq!(name.as_deref(), Some("worker-1"));
    let err = redis::cmd("NOSUCH")
        .arg("x")
        .query_async::<()>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ResponseError: unknown command 'NOSUCH', with args beginning with: 'x' "
    );
    // The connection survives command errors.
    let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
    assert_eq!(pong, "PONG");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_rs_async_multi_thread_pipeline() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    let mut pipe = redis::pipe();
    for i in 0..100 {
        pipe.cmd("ECHO").arg(i);
    }
    let replies: Vec<i64> = pipe.query_async(&mut conn).await?;
    assert_eq!(replies, (0..100).collect::<Vec<_>>());
    // Many tasks sharing one multiplexed connection get their own replies.
    let mut tasks = Vec::new();
    for i in 0..32 {
        let mut conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            let got: String = redis::cmd("ECHO")
                .arg(format!("t{i}"))
                .query_async(&mut conn)
                .await
                .unwrap();
            assert_eq!(got, format!("t{i}"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    Ok(())
}

#[tokio::test]
async fn redis_rs_resp3_handshake() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(format!("{}/?protocol=resp3", server.url()))?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;
    let info: redis::Value = redis::cmd("CLIENT")
        .arg("INFO")
        .query_async(&mut conn)
        .await?;
    let text = match info {
        redis::Value::VerbatimString { text, .. } => text,
        other => panic!("CLIENT INFO in RESP3 is a verbatim string, got {other:?}"),
    };
    assert!(text.contains(" resp=3"), "{text}");
    let _: RedisResult<()> = conn.set("k", "v").await; // engine-dependent; only the handshake matters here
    Ok(())
}

#[test]
fn redis_rs_sync_against_the_blocking_server() -> RedisResult<()> {
    let server = MockRedis::start_blocking();
    let client = redis::Client::open(server.url())?;
    let mut conn = client.get_connection()?;
    let pong: String = redis::cmd("PING").query(&mut conn)?;
    assert_eq!(pong, "PONG");
    let _: () = redis::cmd("SELECT").arg(3).query(&mut conn)?;
    let err = redis::cmd("SELECT")
        .arg(16)
        .query::<()>(&mut conn)
        .unwrap_err();
    assert_eq!(err.detail(), Some("DB index is out of range"));
    let db_url = format!("{}/5", server.url());
    let mut conn5 = redis::Client::open(db_url)?.get_connection()?;
    let info: String = redis::cmd("CLIENT").arg("INFO").query(&mut conn5)?;
    assert!(info.contains(" db=5 "), "{info}");
    Ok(())
}

#[tokio::test]
async fn mini_redis_set_expires_gets_the_protocol_error_redis_gives() {
    // mini-redis 0.4.1's set_expires sends PX as an integer frame, which
    // Redis 7 rejects as a protocol error before running anything.
    let server = MockRedis::start().await;
    let mut client = mini_redis::client::connect(server.addr()).await.unwrap();
    let err = client
        .set_expires("k", "v".into(), std::time::Duration::from_secs(1))
        .await
        .unwrap_err();
    let mock_text = err.to_string();
    assert_eq!(mock_text, "ERR Protocol error: expected '$', got ':'");

    if let Some(real) = crate::support::RealRedis::start() {
        let mut client = mini_redis::client::connect(("127.0.0.1", real.port))
            .await
            .unwrap();
        let err = client
            .set_expires("k", "v".into(), std::time::Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), mock_text);
    }
}

/// redis-cli, when installed: one-shot commands and RESP3.
#[test]
fn redis_cli() {
    let Ok(out) = std::process::Command::new("redis-cli")
        .arg("--version")
        .output()
    else {
        eprintln!("SKIPPED: redis-cli not installed");
        return;
    };
    assert!(out.status.success());
    let server = MockRedis::start_blocking();
    let port = server.port().to_string();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &port])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(&["PING"]), "PONG\n");
    assert_eq!(run(&["ECHO", "a b"]), "a b\n");
    assert_eq!(
        run(&["NOSUCH", "x"]).trim_end(),
        "ERR unknown command 'NOSUCH', with args beginning with: 'x'"
    );
    let hello = run(&["-3", "HELLO", "3"]);
    assert!(hello.contains("proto 3\n"), "{hello}");
    let info = run(&["INFO", "server"]);
    assert!(info.contains("redis_version:7.0.15"), "{info}");
}
