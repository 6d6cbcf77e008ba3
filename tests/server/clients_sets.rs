//! Sets and sorted sets through redis-rs (typed replies, RESP2 and RESP3)
//! and the sync client against the blocking server.

use std::collections::HashSet;

use mock_redis::MockRedis;
use redis::{AsyncCommands, RedisResult};

async fn sets_and_zsets(url: String) -> RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&crate::support::clients::async_config())
        .await?;

    let added: i64 = conn
        .sadd("tags", &["rust", "redis", "mock", "rust"])
        .await?;
    assert_eq!(added, 3);
    let members: HashSet<String> = conn.smembers("tags").await?;
    assert_eq!(
        members,
        ["rust", "redis", "mock"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let is: bool = conn.sismember("tags", "mock").await?;
    assert!(is);
    let _: i64 = conn.sadd("other", &["mock", "tokio"]).await?;
    let inter: HashSet<String> = conn.sinter(&["tags", "other"]).await?;
    assert_eq!(inter, ["mock".to_string()].into_iter().collect());
    let popped: Option<String> = conn.spop("other").await?;
    assert!(popped.is_some_and(|m| m == "mock" || m == "tokio"));

    let _: i64 = conn
        .zadd_multiple("board", &[(10, "ann"), (30, "bob"), (20, "cid")])
        .await?;
    let top: Vec<(String, f64)> = conn.zrevrange_withscores("board", 0, 1).await?;
    assert_eq!(top, vec![("bob".into(), 30.0), ("cid".into(), 20.0)]);
    let score: Option<f64> = conn.zscore("board", "ann").await?;
    assert_eq!(score, Some(10.0));
    let new: f64 = conn.zincr("board", "ann", 2.5).await?;
    assert_eq!(new, 12.5);
    let rank: Option<usize> = conn.zrank("board", "ann").await?;
    assert_eq!(rank, Some(0));
    let in_range: Vec<String> = conn.zrangebyscore("board", 12, "+inf").await?;
    assert_eq!(in_range, vec!["ann", "cid", "bob"]);
    let low: Vec<(String, f64)> = conn.zpopmin("board", 1).await?;
    assert_eq!(low, vec![("ann".into(), 12.5)]);
    let card: usize = conn.zcard("board").await?;
    assert_eq!(card, 2);
    Ok(())
}

#[tokio::test]
async fn redis_rs_resp2() -> RedisResult<()> {
    let server = MockRedis::start().await;
    sets_and_zsets(server.url()).await
}

#[tokio::test]
async fn redis_rs_resp3() -> RedisResult<()> {
    let server = MockRedis::start().await;
    sets_and_zsets(format!("{}/?protocol=resp3", server.url())).await
}

#[test]
fn redis_rs_sync_against_the_blocking_server() -> RedisResult<()> {
    let server = MockRedis::start_blocking();
    let client = redis::Client::open(server.url())?;
    let mut conn = client.get_connection()?;
    let _: i64 = redis::cmd("ZADD")
        .arg("z")
        .arg("1")
        .arg("a")
        .arg("2")
        .arg("b")
        .query(&mut conn)?;
    let (key, items): (String, Vec<(String, f64)>) = redis::cmd("ZMPOP")
        .arg(1)
        .arg("z")
        .arg("MAX")
        .arg("COUNT")
        .arg(5)
        .query(&mut conn)?;
    assert_eq!(key, "z");
    assert_eq!(items, vec![("b".into(), 2.0), ("a".into(), 1.0)]);
    let gone: bool = redis::cmd("EXISTS").arg("z").query(&mut conn)?;
    assert!(!gone);
    let n: i64 = redis::cmd("SADD")
        .arg("s")
        .arg("1")
        .arg("2")
        .query(&mut conn)?;
    assert_eq!(n, 2);
    let members: Vec<i64> = redis::cmd("SMEMBERS").arg("s").query(&mut conn)?;
    assert_eq!(members, vec![1, 2], "an intset lists its members in order");
    Ok(())
}
