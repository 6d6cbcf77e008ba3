//! Lua scripting through redis-rs: its `Script` type sends EVALSHA first
//! and EVAL when the server answers NOSCRIPT, then EVALSHA again; scripts
//! loaded from the test side (`server.script_load`) answer EVALSHA at once.

use mock_redis::MockRedis;
use redis::RedisResult;

#[tokio::test]
async fn redis_rs_script_falls_back_to_eval_then_uses_evalsha() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let script = redis::Script::new(
        "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[2], ARGV[2])",
    );
    // The first call gets NOSCRIPT, sends EVAL (which caches the script).
    let n: i64 = script
        .key("name")
        .key("counter")
        .arg("alice")
        .arg(5)
        .invoke_async(&mut conn)
        .await?;
    assert_eq!(n, 5);
    let exists: Vec<bool> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(script.get_hash())
        .query_async(&mut conn)
        .await?;
    assert_eq!(exists, vec![true]);
    // The second call is answered by EVALSHA.
    let n: i64 = script
        .key("name")
        .key("counter")
        .arg("bob")
        .arg(2)
        .invoke_async(&mut conn)
        .await?;
    assert_eq!(n, 7);
    server.db(0).assert_string("name", "bob");
    // SCRIPT FLUSH forgets it: the next call falls back to EVAL again.
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await?;
    let n: i64 = script
        .key("name")
        .key("counter")
        .arg("carol")
        .arg(1)
        .invoke_async(&mut conn)
        .await?;
    assert_eq!(n, 8);
    Ok(())
}

#[tokio::test]
async fn script_errors_reach_redis_rs_with_redis_texts() -> RedisResult<()> {
    let server = MockRedis::start().await;
    server.db(0).set("s", "abc");
    let client = redis::Client::open(server.url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let err = redis::Script::new("return redis.call('INCR', KEYS[1])")
        .key("s")
        .invoke_async::<i64>(&mut conn)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("value is not an integer or out of range script: ")
            && text.contains(", on @user_script:1."),
        "{text}"
    );
    Ok(())
}

#[test]
fn script_load_from_the_test_side_answers_evalsha() -> RedisResult<()> {
    let server = MockRedis::start_blocking();
    let sha = server
        .script_load("return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1])}")
        .expect("compiles");
    assert_eq!(
        sha,
        redis::Script::new("return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1])}").get_hash()
    );
    server.db(0).set("k", "v");
    let mut conn = redis::Client::open(server.url())?.get_connection()?;
    let out: (String, String, String) = redis::cmd("EVALSHA")
        .arg(&sha)
        .arg(1)
        .arg("k")
        .arg("a")
        .query(&mut conn)?;
    assert_eq!(out, ("k".into(), "a".into(), "v".into()));
    let err = server.script_load("return +").unwrap_err();
    assert!(
        err.starts_with("ERR Error compiling script (new function): user_script:1:"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_script_is_one_atomic_command_with_its_writes_and_notifications() -> RedisResult<()> {
    let server = MockRedis::start_blocking();
    let mut conn = redis::Client::open(server.url())?.get_connection()?;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("KEA")
        .query(&mut conn)?;
    let mut sub = redis::Client::open(server.url())?.get_connection()?;
    let mut pubsub = sub.as_pubsub();
    pubsub.psubscribe("__keyevent@0__:*")?;
    let n: i64 = redis::cmd("EVAL")
        .arg("redis.call('SET', 'a', '1'); redis.call('LPUSH', 'l', 'x'); return redis.call('DBSIZE')")
        .arg(0)
        .query(&mut conn)?;
    assert_eq!(n, 2);
    let first = pubsub.get_message()?;
    assert_eq!(first.get_channel_name(), "__keyevent@0__:set");
    let second = pubsub.get_message()?;
    assert_eq!(second.get_channel_name(), "__keyevent@0__:lpush");
    Ok(())
}

/// Mocks answer the commands clients send, scripts included; the commands
/// a script runs with `redis.call` never meet the mocks (they run inside
/// the engine, as the script does); the journal lists them under the
/// script command, not as requests.
#[tokio::test]
async fn mocks_answer_script_commands_but_not_the_calls_scripts_make() -> RedisResult<()> {
    use mock_redis::matchers::{command, script_body, script_sha};
    use mock_redis::{Mock, Reply};
    let server = MockRedis::start().await;
    server.db(0).set("k", "engine");
    Mock::given(command("GET").arg("k"))
        .respond_with(Reply::bulk("mocked"))
        .mount(&server);
    let client = redis::Client::open(server.url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let direct: String = redis::cmd("GET").arg("k").query_async(&mut conn).await?;
    assert_eq!(direct, "mocked");
    let from_script: String = redis::cmd("EVAL")
        .arg("return redis.call('GET', KEYS[1])")
        .arg(1)
        .arg("k")
        .query_async(&mut conn)
        .await?;
    assert_eq!(from_script, "engine");

    // A script mock catches the script whether it comes by body or by SHA1.
    let body = "return redis.call('INCR', KEYS[1])";
    let script = redis::Script::new(body);
    Mock::given(script_sha(script.get_hash()))
        .respond_with(Reply::int(42))
        .expect(2)
        .mount(&server);
    let n: i64 = script.key("hits").invoke_async(&mut conn).await?;
    assert_eq!(n, 42);
    let n: i64 = redis::cmd("EVAL")
        .arg(body)
        .arg(1)
        .arg("hits")
        .query_async(&mut conn)
        .await?;
    assert_eq!(n, 42);
    assert!(!server.db(0).exists("hits"));
    Mock::given(script_body("return 'other'"))
        .respond_with(Reply::bulk("mocked other"))
        .mount(&server);
    let other: String = redis::cmd("EVAL")
        .arg("return 'other'")
        .arg(0)
        .query_async(&mut conn)
        .await?;
    assert_eq!(other, "mocked other");

    let journal = server.received_commands_as_strings_without_handshakes();
    assert!(
        journal
            .iter()
            .any(|c| c[0].eq_ignore_ascii_case("EVAL") && c[1].contains("GET"))
    );
    // The script's own GET is not a request: the only GETs are the client's.
    assert_eq!(
        journal
            .iter()
            .filter(|c| c[0].eq_ignore_ascii_case("GET"))
            .count(),
        1
    );
    Ok(())
}

/// The journal lists each script command and, under it, the commands the
/// script ran (failed ones included), for EVAL, EVALSHA and FCALL alike.
#[tokio::test]
async fn the_journal_records_what_a_script_ran() -> RedisResult<()> {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let sha = server
        .script_load("redis.call('SET', KEYS[1], ARGV[1]); redis.pcall('INCR', KEYS[1]); return redis.call('GET', KEYS[1])")
        .expect("compiles");
    let v: String = redis::cmd("EVALSHA")
        .arg(&sha)
        .arg(1)
        .arg("k")
        .arg("x")
        .query_async(&mut conn)
        .await?;
    assert_eq!(v, "x");
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("#!lua name=lib\nredis.register_function('bump', function(keys) return redis.call('INCRBY', keys[1], 2) end)")
        .query_async(&mut conn)
        .await?;
    let n: i64 = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("n")
        .query_async(&mut conn)
        .await?;
    assert_eq!(n, 2);
    let journal = server.received_commands().expect("the journal is on");
    let evalsha = journal
        .iter()
        .find(|r| r.is_command("EVALSHA"))
        .expect("journalled");
    assert_eq!(
        evalsha.script_commands_as_strings(),
        [vec!["SET", "k", "x"], vec!["INCR", "k"], vec!["GET", "k"]]
    );
    let fcall = journal
        .iter()
        .find(|r| r.is_command("FCALL"))
        .expect("journalled");
    assert_eq!(
        fcall.script_commands_as_strings(),
        [vec!["INCRBY", "n", "2"]]
    );
    let load = journal
        .iter()
        .find(|r| r.is_command("FUNCTION"))
        .expect("journalled");
    assert!(load.script_commands().is_empty());
    Ok(())
}
