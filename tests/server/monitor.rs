//! MONITOR over real sockets: Redis's exact line format on a raw
//! connection (the time from the engine clock, so a set clock gives exact
//! lines), and `redis-cli monitor` as a subprocess reading the lines.

use std::process::Stdio;
use std::time::{Duration, UNIX_EPOCH};

use mock_redis::MockRedis;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{RawConn, Read};

/// The time every line carries once the clock is set and frozen.
const AT_US: u64 = 1_701_234_567_123_456;

fn line(text: &str) -> Read {
    Read::Frame(format!("+{text}\r\n").into_bytes())
}

#[tokio::test]
async fn monitor_lines_are_in_redis_format() {
    let server = MockRedis::start().await;
    server.set_time(UNIX_EPOCH + Duration::from_micros(AT_US));
    server.freeze_time();
    let port = server.port();
    let mut monitor = RawConn::open(port).await;
    let mut client = RawConn::open(port).await;
    let addr = client.local_addr().to_string();
    assert_eq!(monitor.cmd(["MONITOR"]).await, b"+OK\r\n");

    client.cmd(["set", "k\x01\n\\\"q", "v w"]).await;
    client.cmd(["select", "3"]).await;
    client.cmd(["auth", "secret"]).await;
    client.cmd(["CONFIG", "GET", "port"]).await; // admin: not shown
    client.cmd(["NOSUCH"]).await; // refused before running: not shown
    client.cmd(["multi"]).await;
    client.cmd(["incr", "n"]).await;
    client.cmd(["exec"]).await;
    let t = "1701234567.123456";
    for expected in [
        format!(r#"{t} [0 {addr}] "set" "k\x01\n\\\"q" "v w""#),
        format!(r#"{t} [3 {addr}] "select" "3""#),
        format!(r#"{t} [3 {addr}] "auth" "(redacted)""#),
        format!(r#"{t} [3 {addr}] "multi""#),
        format!(r#"{t} [3 {addr}] "incr" "n""#),
        format!(r#"{t} [3 {addr}] "exec""#),
    ] {
        assert_eq!(monitor.read_frame().await, line(&expected));
    }
    // A monitor is a replica-like client: no keyspace access, and it sees
    // its own commands after their reply.
    assert_eq!(
        monitor.cmd(["GET", "k"]).await,
        b"-ERR Replica can't interact with the keyspace\r\n"
    );
    assert_eq!(monitor.cmd(["ping"]).await, b"+PONG\r\n");
    let own = monitor.local_addr().to_string();
    assert_eq!(
        monitor.read_frame().await,
        line(&format!(r#"{t} [0 {own}] "ping""#))
    );
}

#[cfg(feature = "scripting")]
#[tokio::test]
async fn script_commands_show_with_lua_as_the_address() {
    let server = MockRedis::start().await;
    server.set_time(UNIX_EPOCH + Duration::from_micros(AT_US));
    server.freeze_time();
    let mut monitor = RawConn::open(server.port()).await;
    let mut client = RawConn::open(server.port()).await;
    let addr = client.local_addr().to_string();
    monitor.cmd(["MONITOR"]).await;
    client
        .cmd(["EVAL", "return redis.call('set', KEYS[1], '1')", "1", "kk"])
        .await;
    let t = "1701234567.123456";
    assert_eq!(
        monitor.read_frame().await,
        line(&format!(
            r#"{t} [0 {addr}] "EVAL" "return redis.call('set', KEYS[1], '1')" "1" "kk""#
        ))
    );
    assert_eq!(
        monitor.read_frame().await,
        line(&format!(r#"{t} [0 lua] "set" "kk" "1""#))
    );
}

#[tokio::test]
async fn redis_cli_monitor_prints_the_lines() {
    let server = MockRedis::start().await;
    server.set_time(UNIX_EPOCH + Duration::from_micros(AT_US));
    server.freeze_time();
    let port = server.port().to_string();
    let Ok(mut child) = tokio::process::Command::new("redis-cli")
        .args(["-p", &port, "monitor"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
    else {
        eprintln!("redis-cli is not installed: skipped");
        return;
    };
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let next = async |lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>| {
        tokio::time::timeout(crate::support::PATIENCE, lines.next_line())
            .await
            .expect("a line from redis-cli within the patience")
            .unwrap()
            .expect("redis-cli still running")
    };
    assert_eq!(next(&mut lines).await, "OK");
    let mut client = RawConn::open(server.port()).await;
    let addr = client.local_addr().to_string();
    client.cmd(["SET", "greeting", "hello world"]).await;
    client.cmd(["HELLO", "3", "AUTH", "default", "pw"]).await;
    let t = "1701234567.123456";
    let first = next(&mut lines).await;
    println!("redis-cli monitor: {first}");
    assert_eq!(
        first,
        format!(r#"{t} [0 {addr}] "SET" "greeting" "hello world""#)
    );
    let second = next(&mut lines).await;
    println!("redis-cli monitor: {second}");
    assert_eq!(
        second,
        format!(r#"{t} [0 {addr}] "HELLO" "3" "AUTH" "(redacted)" "(redacted)""#)
    );
    child.kill().await.unwrap();
}
