//! A small read-through cache client that retries, tested with mock-redis.
//!
//! `CacheClient::get_or_compute` reads a key; on a miss it computes the
//! value and writes it back with a TTL. Errors Redis gives while it starts
//! (`LOADING`) and timeouts are retried a few times with a short backoff;
//! when the cache stays unavailable the value is computed anyway.
//!
//! Run the scenarios with `cargo run --example retrying_cache`, and their
//! tests with `cargo test --example retrying_cache` (`cargo test` runs them
//! too). The third scenario shows the report a failed verification prints;
//! it is reproduced at the end of this file.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisResult};

/// A read-through cache in front of a slow source of truth.
pub struct CacheClient {
    conn: MultiplexedConnection,
    attempts: u32,
    backoff: Duration,
    ttl_seconds: u64,
}

impl CacheClient {
    /// Connects with a per-request timeout, so a hung server cannot stall
    /// the caller.
    pub async fn connect(url: &str, timeout: Duration, ttl_seconds: u64) -> RedisResult<Self> {
        let config = AsyncConnectionConfig::new().set_response_timeout(Some(timeout));
        let conn = redis::Client::open(url)?
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        Ok(CacheClient {
            conn,
            attempts: 3,
            backoff: Duration::from_millis(20),
            ttl_seconds,
        })
    }

    /// The cached value, or `compute()`'s, which is then cached. Cache
    /// failures never fail the call: they only cost the computation.
    pub async fn get_or_compute(&mut self, key: &str, compute: impl FnOnce() -> String) -> String {
        let mut get = redis::cmd("GET");
        get.arg(key);
        if let Ok(Some(hit)) = self.query::<Option<String>>(&get).await {
            return hit;
        }
        let value = compute();
        let mut set = redis::cmd("SET");
        set.arg(key).arg(&value).arg("EX").arg(self.ttl_seconds);
        // Best effort: a failed write only means a later miss.
        let _ = self.query::<()>(&set).await;
        value
    }

    /// Runs `cmd`, retrying errors that are worth retrying.
    async fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> RedisResult<T> {
        let mut attempt = 1;
        loop {
            match cmd.query_async(&mut self.conn).await {
                Ok(v) => return Ok(v),
                Err(e) if attempt < self.attempts && retryable(&e) => {
                    tokio::time::sleep(self.backoff * attempt).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// `LOADING` (Redis is starting), timeouts and dropped connections pass;
/// other errors do not.
fn retryable(e: &redis::RedisError) -> bool {
    e.code() == Some("LOADING") || e.is_timeout() || e.is_io_error()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    use mock_redis::matchers::{arg_at, command};
    use mock_redis::{Mock, MockRedis, Reply, Response, Sequence};

    let timeout = Duration::from_millis(200);

    // 1. Redis is still loading its dataset: the first read gets LOADING,
    //    the retry reads the cached value.
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:42"))
        .respond_with(Sequence::new([
            Reply::error("LOADING Redis is loading the dataset in memory"),
            Reply::bulk("Ada"),
        ]))
        .expect(2)
        .named("read while loading")
        .mount(&server);
    let mut cache = CacheClient::connect(&server.url(), timeout, 300)
        .await
        .unwrap();
    let name = cache
        .get_or_compute("user:42", || unreachable!("a hit"))
        .await;
    println!("1. after LOADING, the retry read {name:?}");
    server.verify();
    drop(server);

    // 2. Redis hangs: every attempt times out, and the value is computed.
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Response::hang())
        .expect(1)
        .named("hung read")
        .mount(&server);
    let mut cache = CacheClient::connect(&server.url(), timeout, 300)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let name = cache.get_or_compute("user:42", || "Ada".to_string()).await;
    println!(
        "2. against a hung server, computed {name:?} after {:?}",
        started.elapsed()
    );
    server.verify();
    drop(server);

    // 3. The test expects a 5-minute TTL; this client was configured with
    //    60 seconds. Verification fails and says why.
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:42"))
        .respond_with(Reply::nil())
        .expect(1)
        .named("cache miss")
        .mount(&server);
    Mock::given(command("SET").arg("user:42").arg("Ada"))
        .and(arg_at(3, "EX"))
        .and(arg_at(4, "300"))
        .respond_with(Reply::ok())
        .expect(1)
        .named("cache fill with a 5-minute TTL")
        .mount(&server);
    let mut cache = CacheClient::connect(&server.url(), timeout, 60)
        .await
        .unwrap();
    cache.get_or_compute("user:42", || "Ada".to_string()).await;
    let report = server.try_verify().unwrap_err();
    println!("3. verification failed:\n\n{report}");
    server.reset(); // the report is printed; do not panic on drop
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mock_redis::matchers::{arg_at, command};
    use mock_redis::{Mock, MockRedis, Reply, Response, Sequence};

    use super::CacheClient;

    const TIMEOUT: Duration = Duration::from_millis(200);

    #[tokio::test]
    async fn loading_then_success() {
        let server = MockRedis::start().await;
        Mock::given(command("GET").arg("user:42"))
            .respond_with(Sequence::new([
                Reply::error("LOADING Redis is loading the dataset in memory"),
                Reply::bulk("Ada"),
            ]))
            .expect(2)
            .mount(&server);
        let mut cache = CacheClient::connect(&server.url(), TIMEOUT, 300)
            .await
            .unwrap();
        let name = cache.get_or_compute("user:42", || unreachable!()).await;
        assert_eq!(name, "Ada");
    }

    #[tokio::test]
    async fn loading_for_too_long_falls_back_to_computing() {
        let server = MockRedis::start().await;
        server.set_error(Some("LOADING Redis is loading the dataset in memory"));
        let mut cache = CacheClient::connect(&server.url(), TIMEOUT, 300)
            .await
            .unwrap();
        let name = cache.get_or_compute("user:42", || "Ada".into()).await;
        assert_eq!(name, "Ada");
        // Three reads and three writes, each answered LOADING.
        let tries: Vec<String> = server
            .received_commands()
            .expect("the journal is on")
            .iter()
            .filter(|r| r.is_command("GET") || r.is_command("SET"))
            .map(|r| r.name())
            .collect();
        assert_eq!(tries, ["GET", "GET", "GET", "SET", "SET", "SET"]);
    }

    #[tokio::test]
    async fn a_hang_times_out_and_the_value_is_computed() {
        let server = MockRedis::start().await;
        // The hung connection swallows the retries: the mock sees one GET.
        Mock::given(command("GET"))
            .respond_with(Response::hang())
            .expect(1)
            .mount(&server);
        let mut cache = CacheClient::connect(&server.url(), TIMEOUT, 300)
            .await
            .unwrap();
        let name = cache.get_or_compute("user:42", || "Ada".into()).await;
        assert_eq!(name, "Ada");
    }

    #[tokio::test]
    async fn a_miss_is_filled_with_the_ttl() {
        let server = MockRedis::start().await;
        Mock::given(command("GET").arg("user:42"))
            .respond_with(Reply::nil())
            .expect(1)
            .mount(&server);
        Mock::given(command("SET").arg("user:42").arg("Ada"))
            .and(arg_at(3, "EX"))
            .and(arg_at(4, "300"))
            .respond_with(Reply::ok())
            .expect(1)
            .mount(&server);
        let mut cache = CacheClient::connect(&server.url(), TIMEOUT, 300)
            .await
            .unwrap();
        assert_eq!(
            cache.get_or_compute("user:42", || "Ada".into()).await,
            "Ada"
        );
    }

    #[tokio::test]
    #[should_panic(
        expected = r#"  - mock 'cache fill with a 5-minute TTL': expected exactly 1 call, received 0 calls"#
    )]
    async fn a_wrong_ttl_fails_verification() {
        let server = MockRedis::start().await;
        Mock::given(command("GET").arg("user:42"))
            .respond_with(Reply::nil())
            .expect(1)
            .named("cache miss")
            .mount(&server);
        Mock::given(command("SET").arg("user:42").arg("Ada"))
            .and(arg_at(3, "EX"))
            .and(arg_at(4, "300"))
            .respond_with(Reply::ok())
            .expect(1)
            .named("cache fill with a 5-minute TTL")
            .mount(&server);
        let mut cache = CacheClient::connect(&server.url(), TIMEOUT, 60)
            .await
            .unwrap();
        cache.get_or_compute("user:42", || "Ada".into()).await;
    }

    #[tokio::test]
    #[should_panic(
        expected = r#"closest mock 'cache fill with a 5-minute TTL' rejected it at arg_at(4, "300") (argument 4 is "60")"#
    )]
    async fn the_report_points_at_the_ttl() {
        let server = MockRedis::start().await;
        Mock::given(command("GET").arg("user:42"))
            .respond_with(Reply::nil())
            .mount(&server);
        Mock::given(command("SET").arg("user:42").arg("Ada"))
            .and(arg_at(3, "EX"))
            .and(arg_at(4, "300"))
            .respond_with(Reply::ok())
            .expect(1)
            .named("cache fill with a 5-minute TTL")
            .mount(&server);
        let mut cache = CacheClient::connect(&server.url(), TIMEOUT, 60)
            .await
            .unwrap();
        cache.get_or_compute("user:42", || "Ada".into()).await;
    }
}

// The report scenario 3 prints (`cargo run --example retrying_cache`):
//
// mock-redis: verification failed (1 problem)
//
// Expectations not met:
//   - mock 'cache fill with a 5-minute TTL': expected exactly 1 call, received 0 calls
//
// Commands no mock matched, and the closest mock:
//   - "SET" "user:42" "Ada" "EX" "60" (connection 1): closest mock 'cache fill with a 5-minute TTL' rejected it at arg_at(4, "300") (argument 4 is "60")
//
// Commands received (4):
//   connection 1:
//     1) "CLIENT" "SETINFO" "LIB-NAME" "redis-rs"  <- engine
//     2) "CLIENT" "SETINFO" "LIB-VER" "1.8.1"  <- engine
//     3) "GET" "user:42"  <- mock 'cache miss'
//     4) "SET" "user:42" "Ada" "EX" "60"  <- engine
