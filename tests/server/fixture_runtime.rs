//! `MockRedis::start()` with sync clients in a current-thread runtime: the
//! sync client blocks the only thread the server's tasks run on, so the
//! watchdog serves its connection from a thread of its own. Each test must
//! either work or fail with an error naming `start_blocking()`; a 30 s
//! client timeout turns a hang into a failure.

use std::io::{Read, Write};
use std::time::Duration;

use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply};
use redis::{Commands, RedisResult};

/// A failure detector, not a timing assertion: a hang fails the test.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

fn sync_connection(url: &str) -> RedisResult<redis::Connection> {
    let conn = redis::Client::open(url)?.get_connection_with_timeout(CLIENT_TIMEOUT)?;
    conn.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    conn.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    Ok(conn)
}

/// Works, or says to use `start_blocking()`.
fn works<T>(result: RedisResult<T>) -> T {
    match result {
        Ok(v) => v,
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("start_blocking"), "{text}");
            panic!("the sync client failed with the start_blocking hint: {text}");
        }
    }
}

#[tokio::test]
async fn a_sync_client_under_start_in_a_current_thread_runtime_is_served() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:1"))
        .respond_with(Reply::bulk("alice"))
        .expect(1)
        .mount(&server);
    let mut conn = works(sync_connection(&server.url()));
    let name: String = works(conn.get("user:1"));
    assert_eq!(name, "alice");
    let () = works(conn.set("k", "v"));
    let v: String = works(conn.get("k"));
    assert_eq!(v, "v");
    // The journal and the state are the server's as usual.
    let journal = server.received_commands().expect("the journal is on");
    assert!(journal.iter().any(|r| r.to_string() == r#""SET" "k" "v""#));
    // Once the test awaits again, the runtime serves async clients as
    // before, next to the sync connection.
    let mut async_conn = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let v: String = redis::AsyncCommands::get(&mut async_conn, "k")
        .await
        .unwrap();
    assert_eq!(v, "v");
    let pong: String = works(redis::cmd("PING").query(&mut conn));
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn every_new_sync_connection_is_served_while_the_runtime_stays_blocked() {
    let server = MockRedis::start().await;
    for i in 0..3 {
        let mut conn = works(sync_connection(&server.url()));
        let n: i64 = works(conn.incr("counter", 1));
        assert_eq!(n, i + 1);
    }
}

#[tokio::test]
async fn a_thread_the_runtime_joins_is_served() {
    let server = MockRedis::start().await;
    let url = server.url();
    // Joining blocks the runtime's thread as a sync client does.
    let pushed = std::thread::spawn(move || -> RedisResult<i64> {
        let mut conn = sync_connection(&url)?;
        conn.rpush("jobs", "a")
    })
    .join()
    .unwrap();
    assert_eq!(works(pushed), 1);
    let mut conn = works(sync_connection(&server.url()));
    let jobs: Vec<String> = works(conn.lrange("jobs", 0, -1));
    assert_eq!(jobs, ["a"]);
}

#[tokio::test]
async fn a_sync_client_on_the_unix_socket_is_served() {
    let server = MockRedis::builder().unix_socket().start().await;
    let path = server.unix_path().unwrap().to_path_buf();
    let mut conn = std::os::unix::net::UnixStream::connect(&path).unwrap();
    conn.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    conn.write_all(b"ECHO hi\r\n").unwrap();
    let mut reply = [0u8; 8];
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"$2\r\nhi\r\n");
}

#[tokio::test]
async fn the_connections_the_watchdog_serves_close_with_the_server() {
    let server = MockRedis::start().await;
    let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
    conn.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    conn.write_all(b"PING\r\n").unwrap();
    let mut pong = [0u8; 7];
    conn.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"+PONG\r\n");
    server.shutdown().await;
    // Closed, not left waiting: the read ends (EOF or reset) well before
    // the client timeout.
    let mut rest = Vec::new();
    match conn.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty()),
        Err(e) => assert!(
            !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
    }
}

#[tokio::test]
async fn a_blocked_command_from_a_sync_client_is_served_and_times_out() {
    let server = MockRedis::start().await;
    let mut conn = works(sync_connection(&server.url()));
    let url = server.url();
    let pusher = std::thread::spawn(move || -> RedisResult<()> {
        let mut conn = sync_connection(&url)?;
        std::thread::sleep(Duration::from_millis(50));
        conn.rpush("q", "x")
    });
    let popped: (String, String) = works(redis::cmd("BLPOP").arg("q").arg(20).query(&mut conn));
    assert_eq!(popped, ("q".to_string(), "x".to_string()));
    works(pusher.join().unwrap());
    let none: Option<(String, String)> =
        works(redis::cmd("BLPOP").arg("q").arg(0.2).query(&mut conn));
    assert_eq!(none, None);
}

#[tokio::test]
async fn the_url_carries_the_password_percent_encoded() {
    let password = "p@ss:w/rd %1";
    let server = MockRedis::builder().requirepass(password).start().await;
    assert_eq!(
        server.url(),
        format!("redis://:p%40ss%3Aw%2Frd%20%251@{}", server.addr())
    );
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
    // The password a client sets is the one the URL carries from then on.
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("other")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(server.url(), format!("redis://:other@{}", server.addr()));
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(server.url(), format!("redis://{}", server.addr()));
}
