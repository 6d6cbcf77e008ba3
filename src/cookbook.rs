//! # Cookbook
//!
//! Complete examples for the flows users ask about, each one a doc test
//! that runs with `cargo test --doc`. This module holds documentation only;
//! the API it uses is at the crate root.
//!
//! Every example is a whole program: in a test suite, the body of `main`
//! is the body of a `#[tokio::test]` (or of a plain `#[test]` for the ones
//! with a synchronous client and [`MockRedis::start_blocking`]). They use
//! [redis-rs](https://docs.rs/redis) 1.x with its `tokio-comp` and
//! `connection-manager` features, `futures-util` for the pub/sub stream and
//! [deadpool-redis](https://docs.rs/deadpool-redis) for the pool.
//!
//! - [Retry while Redis is loading](#retry-while-redis-is-loading)
//! - [Reconnect after a restart](#reconnect-after-a-restart)
//! - [Expiry under a controlled clock](#expiry-under-a-controlled-clock)
//! - [Pipelines](#pipelines)
//! - [Transactions and WATCH conflicts](#transactions-and-watch-conflicts)
//! - [Pub/sub](#pubsub)
//! - [Blocking queues](#blocking-queues)
//! - [Connection pools](#connection-pools)
//!
//! ## Retry while Redis is loading
//!
//! A Redis that has just started answers `-LOADING Redis is loading the
//! dataset in memory` until its data is in; clients are expected to retry.
//! Script the failures for one command with a [`Sequence`] that falls
//! through to the engine once it runs out, so the engine answers the retry
//! with the data the test put there:
//!
//! ```rust
//! use std::time::Duration;
//!
//! use mock_redis::matchers::command;
//! use mock_redis::{Mock, MockRedis, Reply, Sequence};
//! use redis::aio::MultiplexedConnection;
//!
//! /// The code under test: GET, retrying while the server is loading.
//! /// Returns the value and the number of attempts.
//! async fn get_with_retry(
//!     conn: &mut MultiplexedConnection,
//!     key: &str,
//! ) -> redis::RedisResult<(Option<String>, u32)> {
//!     let mut attempts = 0;
//!     loop {
//!         attempts += 1;
//!         match redis::cmd("GET").arg(key).query_async(conn).await {
//!             Err(e) if e.code() == Some("LOADING") && attempts < 50 => {
//!                 tokio::time::sleep(Duration::from_millis(10)).await;
//!             }
//!             other => return other.map(|v| (v, attempts)),
//!         }
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start().await;
//!     server.db(0).set("user:1", "alice");
//!     let loading = Reply::error("LOADING Redis is loading the dataset in memory");
//!     Mock::given(command("GET").arg("user:1"))
//!         .respond_with(Sequence::new([loading.clone(), loading]).then_fall_through())
//!         .expect(2) // the two LOADING answers; the engine's answer is not counted
//!         .named("warming up")
//!         .mount(&server);
//!
//!     let client = redis::Client::open(server.url())?;
//!     let mut conn = client.get_multiplexed_async_connection().await?;
//!     let (value, attempts) = get_with_retry(&mut conn, "user:1").await?;
//!     assert_eq!(value.as_deref(), Some("alice"));
//!     assert_eq!(attempts, 3);
//!     Ok(())
//! } // the server is dropped here and checks `expect(2)`
//! ```
//!
//! To make *every* command fail as a loading server does, use
//! [`MockRedis::set_error`] and clear it while the client retries; here the
//! test clears it from a second future on the same task:
//!
//! ```rust
//! use std::time::Duration;
//!
//! use mock_redis::MockRedis;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start().await;
//!     server.db(0).set("user:1", "alice");
//!     let mut conn = redis::Client::open(server.url())?
//!         .get_multiplexed_async_connection()
//!         .await?;
//!
//!     server.set_error(Some("LOADING Redis is loading the dataset in memory"));
//!     let client_side = async {
//!         let mut loading_errors = 0;
//!         loop {
//!             match redis::cmd("GET").arg("user:1").query_async::<String>(&mut conn).await {
//!                 Err(e) if e.code() == Some("LOADING") => {
//!                     loading_errors += 1;
//!                     tokio::time::sleep(Duration::from_millis(5)).await;
//!                 }
//!                 other => return other.map(|v| (v, loading_errors)),
//!             }
//!         }
//!     };
//!     let server_side = async {
//!         tokio::time::sleep(Duration::from_millis(50)).await;
//!         server.set_error(None); // the dataset is loaded
//!     };
//!     let (result, ()) = tokio::join!(client_side, server_side);
//!     let (value, loading_errors) = result?;
//!     assert_eq!(value, "alice");
//!     assert!(loading_errors >= 1);
//!     Ok(())
//! }
//! ```
//!
//! ## Reconnect after a restart
//!
//! [`MockRedis::restart`] drops every connection and listens again on the
//! same port, keeping the data and the mounted mocks, as a restarted Redis
//! with persistence would. redis-rs's `ConnectionManager` reconnects on its
//! own; the command that finds the connection gone fails with an I/O error,
//! so the code under test retries it:
//!
//! ```rust
//! use std::time::Duration;
//!
//! use mock_redis::MockRedis;
//! use redis::aio::{ConnectionManager, ConnectionManagerConfig};
//!
//! /// The code under test: one retry-on-I/O-error wrapper around a command.
//! async fn query_retrying<T: redis::FromRedisValue>(
//!     conn: &mut ConnectionManager,
//!     cmd: &redis::Cmd,
//! ) -> redis::RedisResult<T> {
//!     let mut attempts = 0;
//!     loop {
//!         attempts += 1;
//!         match cmd.query_async(conn).await {
//!             Err(e) if e.is_io_error() || e.is_connection_dropped() => {
//!                 if attempts == 20 {
//!                     return Err(e);
//!                 }
//!                 tokio::time::sleep(Duration::from_millis(10)).await;
//!             }
//!             other => return other,
//!         }
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let mut server = MockRedis::start().await;
//!     let client = redis::Client::open(server.url())?;
//!     let config = ConnectionManagerConfig::new().set_min_delay(Duration::from_millis(10));
//!     let mut conn = ConnectionManager::new_with_config(client, config).await?;
//!
//!     let () = redis::cmd("SET").arg("k").arg("v").query_async(&mut conn).await?;
//!     let id_before: i64 = redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await?;
//!
//!     server.restart().await.expect("the port is free again");
//!
//!     let value: String = query_retrying(&mut conn, redis::cmd("GET").arg("k")).await?;
//!     assert_eq!(value, "v"); // the data survived the restart
//!     let id_after: i64 = query_retrying(&mut conn, redis::cmd("CLIENT").arg("ID")).await?;
//!     assert!(id_after > id_before, "a new connection: {id_before} -> {id_after}");
//!     Ok(())
//! }
//! ```
//!
//! A synchronous test restarts with [`MockRedis::restart_blocking`]; a
//! plain `redis::Connection` does not reconnect, so open a new one.
//!
//! ## Expiry under a controlled clock
//!
//! The engine has its own clock. [`MockRedis::freeze_time`] stops it,
//! [`MockRedis::fast_forward`] moves it (expiring what is due) and
//! [`MockRedis::set_time`] sets and freezes it, so a TTL test takes no
//! wall time and never flakes. As in Redis, a key expires strictly *after*
//! its deadline: moved exactly to the deadline it is still there (with a
//! PTTL of 0), one millisecond later it is gone.
//!
//! ```rust
//! use std::time::Duration;
//!
//! use mock_redis::MockRedis;
//!
//! fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start_blocking();
//!     let mut conn = redis::Client::open(server.url())?.get_connection()?;
//!     server.freeze_time();
//!
//!     // The code under test caches a session for a minute.
//!     redis::cmd("SET").arg("session:1").arg("alice").arg("EX").arg(60).exec(&mut conn)?;
//!
//!     server.fast_forward(Duration::from_secs(59));
//!     let ttl: i64 = redis::cmd("TTL").arg("session:1").query(&mut conn)?;
//!     assert_eq!(ttl, 1);
//!
//!     server.fast_forward(Duration::from_secs(1)); // exactly at the deadline
//!     let pttl: i64 = redis::cmd("PTTL").arg("session:1").query(&mut conn)?;
//!     assert_eq!(pttl, 0);
//!     assert!(server.db(0).exists("session:1"));
//!
//!     server.fast_forward(Duration::from_millis(1)); // past it
//!     let value: Option<String> = redis::cmd("GET").arg("session:1").query(&mut conn)?;
//!     assert_eq!(value, None);
//!     Ok(())
//! }
//! ```
//!
//! With absolute times, pin the clock with [`MockRedis::set_time`]; `TIME`,
//! `EXPIREAT` and the state API's [`DbHandle::ttl`] all read it:
//!
//! ```rust
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! use mock_redis::MockRedis;
//!
//! fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start_blocking();
//!     let mut conn = redis::Client::open(server.url())?.get_connection()?;
//!     server.set_time(UNIX_EPOCH + Duration::from_secs(1_700_000_000)); // frozen there
//!
//!     let (secs, micros): (u64, u64) = redis::cmd("TIME").query(&mut conn)?;
//!     assert_eq!((secs, micros), (1_700_000_000, 0));
//!
//!     server.db(0).set("report", "ready");
//!     redis::cmd("EXPIREAT").arg("report").arg(1_700_000_100).exec(&mut conn)?;
//!     assert_eq!(server.db(0).ttl("report"), Some(Duration::from_secs(100)));
//!
//!     server.set_time(UNIX_EPOCH + Duration::from_secs(1_700_000_101));
//!     assert!(!server.db(0).exists("report"));
//!     Ok(())
//! }
//! ```
//!
//! ## Pipelines
//!
//! A pipeline is several commands written at once; the server answers them
//! in order. Mocks answer inside a pipeline too, each command on its own,
//! while the engine answers the rest:
//!
//! ```rust
//! use mock_redis::matchers::command;
//! use mock_redis::{Mock, MockRedis, Reply};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start().await;
//!     Mock::given(command("GET").arg("feature:search"))
//!         .respond_with(Reply::bulk("on"))
//!         .expect(1)
//!         .mount(&server);
//!     let mut conn = redis::Client::open(server.url())?
//!         .get_multiplexed_async_connection()
//!         .await?;
//!
//!     let (visits, flag, visits_again): (i64, String, i64) = redis::pipe()
//!         .cmd("INCR").arg("visits")
//!         .cmd("GET").arg("feature:search") // mocked
//!         .cmd("INCRBY").arg("visits").arg(10)
//!         .query_async(&mut conn)
//!         .await?;
//!     assert_eq!((visits, flag.as_str(), visits_again), (1, "on", 11));
//!     assert_eq!(server.db(0).get("visits").unwrap().unwrap().as_str(), Some("11"));
//!     Ok(())
//! }
//! ```
//!
//! ## Transactions and WATCH conflicts
//!
//! The engine runs `MULTI` ... `EXEC` as Redis does, `WATCH` included. (A
//! mock answers *instead of* the engine, so leave a transaction to the
//! engine, or script all of it with mocks.) An atomic pipeline:
//!
//! ```rust
//! use mock_redis::MockRedis;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start().await;
//!     let mut conn = redis::Client::open(server.url())?
//!         .get_multiplexed_async_connection()
//!         .await?;
//!
//!     // MULTI, the commands, EXEC: redis-rs returns EXEC's replies.
//!     let (stock, orders): (i64, i64) = redis::pipe()
//!         .atomic()
//!         .cmd("SET").arg("stock").arg(5).ignore()
//!         .cmd("DECR").arg("stock")
//!         .cmd("RPUSH").arg("orders").arg("order:1")
//!         .query_async(&mut conn)
//!         .await?;
//!     assert_eq!((stock, orders), (4, 1));
//!     Ok(())
//! }
//! ```
//!
//! Optimistic locking: the code under test `WATCH`es a key, reads it and
//! writes it back in `MULTI`/`EXEC`, starting over when `EXEC` answers nil
//! because someone else wrote the key in between. The test plays that
//! someone with the state API ([`DbHandle::set`] touches watched keys as a
//! client's `SET` does), once, and checks that the transaction ran twice:
//!
//! ```rust
//! use mock_redis::MockRedis;
//!
//! fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start_blocking();
//!     server.db(0).set("balance", "100");
//!     let mut conn = redis::Client::open(server.url())?.get_connection()?;
//!
//!     let mut attempts = 0;
//!     // The code under test: withdraw 30 with redis-rs's WATCH/MULTI/EXEC helper.
//!     let new_balance: (i64,) = redis::transaction(&mut conn, &["balance"], |conn, pipe| {
//!         attempts += 1;
//!         let balance: i64 = redis::cmd("GET").arg("balance").query(conn)?;
//!         if attempts == 1 {
//!             // Another writer slips in between WATCH and EXEC.
//!             server.db(0).set("balance", "50");
//!         }
//!         pipe.cmd("SET").arg("balance").arg(balance - 30).ignore()
//!             .cmd("GET").arg("balance")
//!             .query(conn) // Ok(None) when EXEC was aborted: the helper retries
//!     })?;
//!
//!     assert_eq!(attempts, 2);
//!     assert_eq!(new_balance, (20,)); // computed from the other writer's 50
//!     Ok(())
//! }
//! ```
//!
//! ## Pub/sub
//!
//! A subscriber under test receives what the test publishes with
//! [`MockRedis::publish`] (which returns how many clients received it),
//! channels and patterns alike:
//!
//! ```rust
//! use futures_util::StreamExt;
//! use mock_redis::MockRedis;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start().await;
//!     let client = redis::Client::open(server.url())?;
//!     let mut pubsub = client.get_async_pubsub().await?;
//!     pubsub.subscribe("alerts").await?;
//!     pubsub.psubscribe("orders.*").await?;
//!
//!     assert_eq!(server.publish("alerts", "disk full"), 1);
//!     assert_eq!(server.publish("orders.eu", "order:7"), 1);
//!     assert_eq!(server.publish("metrics", "ignored"), 0); // nobody listens
//!
//!     let mut messages = pubsub.on_message();
//!     let first = messages.next().await.unwrap();
//!     assert_eq!(first.get_channel_name(), "alerts");
//!     assert_eq!(first.get_payload::<String>()?, "disk full");
//!     let second = messages.next().await.unwrap();
//!     assert_eq!(second.get_channel_name(), "orders.eu");
//!     assert_eq!(second.get_pattern::<String>()?, "orders.*");
//!     assert_eq!(second.get_payload::<String>()?, "order:7");
//!     Ok(())
//! }
//! ```
//!
//! The other way round, [`MockRedis::published`] and
//! [`MockRedis::published_on`] list what clients published, whether anyone
//! was subscribed or not:
//!
//! ```rust
//! use mock_redis::MockRedis;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start().await;
//!     let mut conn = redis::Client::open(server.url())?
//!         .get_multiplexed_async_connection()
//!         .await?;
//!
//!     // The code under test announces a finished job.
//!     let receivers: i64 = redis::cmd("PUBLISH").arg("jobs.done").arg("job:42").query_async(&mut conn).await?;
//!     assert_eq!(receivers, 0);
//!     let done: Vec<String> = server.published_on("jobs.done").iter().map(|m| m.to_string()).collect();
//!     assert_eq!(done, ["job:42"]);
//!     Ok(())
//! }
//! ```
//!
//! ## Blocking queues
//!
//! A worker blocked in `BLPOP` is woken by a push from another client, or
//! from the test through the state API ([`DbHandle::rpush`] serves blocked
//! clients as `RPUSH` does). Two details: redis-rs's async connections
//! give up on a reply after 500 ms by default, so a worker that blocks
//! turns that off; and the test waits until the worker is blocked
//! (`INFO clients` counts `blocked_clients`) so that the push really is
//! what wakes it.
//!
//! ```rust
//! use std::time::Duration;
//!
//! use mock_redis::MockRedis;
//! use redis::AsyncConnectionConfig;
//! use redis::aio::MultiplexedConnection;
//!
//! /// Waits until `n` clients are blocked on the server.
//! async fn until_blocked(conn: &mut MultiplexedConnection, n: usize) -> redis::RedisResult<()> {
//!     let want = format!("blocked_clients:{n}\r\n");
//!     loop {
//!         let info: String = redis::cmd("INFO").arg("clients").query_async(conn).await?;
//!         if info.contains(&want) {
//!             return Ok(());
//!         }
//!         tokio::time::sleep(Duration::from_millis(1)).await;
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> redis::RedisResult<()> {
//!     let server = MockRedis::start().await;
//!     let client = redis::Client::open(server.url())?;
//!     let no_timeout = AsyncConnectionConfig::new().set_response_timeout(None);
//!     let mut producer = client.get_multiplexed_async_connection().await?;
//!
//!     // The worker under test: BLPOP with no timeout, one job at a time.
//!     let mut worker_conn = client.get_multiplexed_async_connection_with_config(&no_timeout).await?;
//!     let worker = tokio::spawn(async move {
//!         let mut done = Vec::new();
//!         for _ in 0..2 {
//!             let (_queue, job): (String, String) =
//!                 redis::cmd("BLPOP").arg("jobs").arg(0).query_async(&mut worker_conn).await?;
//!             done.push(job);
//!         }
//!         redis::RedisResult::Ok(done)
//!     });
//!
//!     // Woken by another client's push...
//!     until_blocked(&mut producer, 1).await?;
//!     let _: i64 = redis::cmd("RPUSH").arg("jobs").arg("job:1").query_async(&mut producer).await?;
//!     // ... and by the test's own.
//!     until_blocked(&mut producer, 1).await?;
//!     assert_eq!(server.db(0).rpush("jobs", ["job:2"]).unwrap(), 1);
//!
//!     let done = worker.await.expect("the worker panicked")?;
//!     assert_eq!(done, ["job:1", "job:2"]);
//!     assert_eq!(server.db(0).llen("jobs").unwrap(), 0); // both handed to the worker
//!     Ok(())
//! }
//! ```
//!
//! ## Connection pools
//!
//! A pool is several connections to the same URL, so it needs nothing
//! special: mocks, the engine and the state API serve every pooled
//! connection alike. With [deadpool-redis](https://docs.rs/deadpool-redis),
//! whose recycling check (a `PING`) also replaces the connections a
//! [`restart`](crate::MockRedis::restart) dropped:
//!
//! ```rust
//! use deadpool_redis::{Config, Runtime};
//! use mock_redis::matchers::command;
//! use mock_redis::{Mock, MockRedis, Reply};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let mut server = MockRedis::start().await;
//!     let pool = Config::from_url(server.url()).create_pool(Some(Runtime::Tokio1))?;
//!
//!     // Eight tasks at once, each on a pooled connection.
//!     let tasks: Vec<_> = (0..8)
//!         .map(|_| {
//!             let pool = pool.clone();
//!             tokio::spawn(async move {
//!                 let mut conn = pool.get().await.expect("a pooled connection");
//!                 redis::cmd("INCR").arg("hits").query_async::<i64>(&mut conn).await
//!             })
//!         })
//!         .collect();
//!     for task in tasks {
//!         task.await??;
//!     }
//!     assert_eq!(server.db(0).get("hits").unwrap().unwrap().as_str(), Some("8"));
//!
//!     // Mocks answer whichever connection the pool hands out, also after a
//!     // restart dropped them all.
//!     Mock::given(command("GET").arg("feature:search"))
//!         .respond_with(Reply::bulk("on"))
//!         .expect(1)
//!         .mount(&server);
//!     server.restart().await?;
//!     let mut conn = pool.get().await?;
//!     let flag: String = redis::cmd("GET").arg("feature:search").query_async(&mut conn).await?;
//!     assert_eq!(flag, "on");
//!     Ok(())
//! }
//! ```
//!
//! redis-rs's own `ConnectionManager` (see [Reconnect after a
//! restart](#reconnect-after-a-restart)) is the single, shared, reconnecting
//! alternative to a pool; bb8-redis works the same way as deadpool-redis.
//!
//! [`Sequence`]: crate::Sequence
//! [`MockRedis::start_blocking`]: crate::MockRedis::start_blocking
//! [`MockRedis::set_error`]: crate::MockRedis::set_error
//! [`MockRedis::restart`]: crate::MockRedis::restart
//! [`MockRedis::restart_blocking`]: crate::MockRedis::restart_blocking
//! [`MockRedis::freeze_time`]: crate::MockRedis::freeze_time
//! [`MockRedis::fast_forward`]: crate::MockRedis::fast_forward
//! [`MockRedis::set_time`]: crate::MockRedis::set_time
//! [`MockRedis::publish`]: crate::MockRedis::publish
//! [`MockRedis::published`]: crate::MockRedis::published
//! [`MockRedis::published_on`]: crate::MockRedis::published_on
//! [`DbHandle::set`]: crate::DbHandle::set
//! [`DbHandle::ttl`]: crate::DbHandle::ttl
//! [`DbHandle::rpush`]: crate::DbHandle::rpush
