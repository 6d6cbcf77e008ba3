//! # mock-redis
//!
//! A Redis-speaking TCP server that lives inside your test process: scripted
//! mocks in front of an in-memory engine that answers like Redis 7.0, byte
//! for byte.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> redis::RedisResult<()> {
//! use mock_redis::MockRedis;
//!
//! let server = MockRedis::start().await; // 127.0.0.1:<ephemeral>
//! let client = redis::Client::open(server.url())?;
//! let mut conn = client.get_multiplexed_async_connection().await?;
//! let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
//! assert_eq!(pong, "PONG");
//! # Ok(())
//! # }
//! ```
//!
//! ## Getting started: script an answer, check it was asked
//!
//! A [`Mock`] says which commands it matches, what it answers, and how many
//! calls it expects. Mount it on the server; when the server is dropped at
//! the end of the test, every expectation is verified.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> redis::RedisResult<()> {
//! use mock_redis::{Mock, MockRedis, Reply};
//! use mock_redis::matchers::command;
//!
//! let server = MockRedis::start().await;
//! Mock::given(command("GET").arg("user:1"))
//!     .respond_with(Reply::bulk("alice"))
//!     .expect(1)
//!     .mount(&server);
//!
//! let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
//! let name: String = redis::cmd("GET").arg("user:1").query_async(&mut conn).await?;
//! assert_eq!(name, "alice");
//! # Ok(())
//! # } // <- verified here: a GET user:1 that never came would fail the test
//! ```
//!
//! A mock does nothing until it is mounted: `Mock` (like every builder in
//! the mock API) is `#[must_use]`, so a chain that ends in `.expect(1);`
//! without `.mount()` draws a compiler warning, not a test that checks nothing.
//!
//! Commands no mock matches fall through to the built-in engine, which
//! answers as Redis 7.0 does, so a test scripts only what it cares about.
//!
//! ## Matchers
//!
//! [`matchers::command`] matches a command name in any case, and
//! `command("CLIENT SETNAME")` or `command("CLIENT").arg("SETNAME")` a
//! subcommand; [`.arg(v)`](matchers::CommandMatcher::arg) adds the arguments
//! that must follow, in order. [`matchers::args`] matches the whole command
//! exactly, [`matchers::arg_at`] one position, [`matchers::key`] a key
//! argument against a glob with Redis's rules (`user:*`, `h[ae]llo`),
//! [`matchers::db`] the selected database and [`matchers::any`] everything.
//! [`matchers::writes`] matches every command Redis flags `write`, and
//! [`matchers::touches_key`] every command that touches a key matching a
//! glob (`FLUSHDB` included), which makes negative checks (`expect(0)`)
//! meaningful. [`matchers::func`] turns a closure into a matcher without
//! annotating its argument; a bare closure `|req: &Request| ...` works too,
//! and so does anything that implements [`Match`].
//!
//! Combine them with `.and(..)`: every matcher type has it as an inherent
//! method, so no trait needs importing (there is no prelude to learn).
//!
//! ```
//! use mock_redis::{Mock, Reply, Response};
//! use mock_redis::matchers::{command, db, func, key, writes};
//!
//! let mock = Mock::given(command("SET").and(key("session:*")))
//!     .and(db(1))
//!     .and(func(|req| req.args().len() == 5)) // SET k v EX n
//!     .respond_with(Reply::ok());
//! // Fails verification if anything writes while the test runs.
//! let read_only = Mock::given(writes())
//!     .respond_with(Response::pass_through())
//!     .with_priority(0)
//!     .expect(0);
//! # drop((mock, read_only));
//! ```
//!
//! Several mocks can match one command: the one with the lowest
//! [priority](Mock::with_priority) answers (ties go to the first mounted),
//! and one that has answered its [`up_to_n_times`](Mock::up_to_n_times)
//! calls steps aside.
//!
//! ## Responses
//!
//! [`respond_with`](MockBuilder::respond_with) takes a [`Reply`] (every RESP2
//! and RESP3 type, encoded in the protocol each connection speaks), a
//! closure `Fn(&Request) -> Reply`, a [`Sequence`] that answers call 1, 2,
//! 3 differently, or a [`Response`] for everything else: a delay, a hang,
//! a closed connection, raw bytes, or the engine's own answer.
//!
//! ```
//! use std::time::Duration;
//! use mock_redis::{Mock, Reply, Request, Response, Sequence};
//! use mock_redis::matchers::command;
//!
//! // The first call fails as a starting Redis would, later ones succeed.
//! let warmup = Mock::given(command("GET")).respond_with(Sequence::new([
//!     Reply::error("LOADING Redis is loading the dataset in memory"),
//!     Reply::bulk("v"),
//! ]));
//! // Computed from the request.
//! let echo = Mock::given(command("ECHO"))
//!     .respond_with(|req: &Request| Reply::bulk(req.arg(1).cloned().unwrap_or_default()));
//! // A slow answer, a connection cut after the reply, a broken frame.
//! let slow = Mock::given(command("HGETALL"))
//!     .respond_with(Response::reply(Reply::map([])).delay(Duration::from_millis(100)));
//! let cut = Mock::given(command("SET")).respond_with(Response::reply(Reply::ok()).then_close());
//! let broken = Mock::given(command("MGET")).respond_with(Response::raw("*2\r\n$1\r\na\r\n"));
//! # drop((warmup, echo, slow, cut, broken));
//! ```
//!
//! A mock answers *instead of* the engine: a mocked `HELLO 3` or `SELECT 1`
//! does not switch the connection's protocol or database. Spy on such
//! commands with [`Response::pass_through`] instead. For the same reason,
//! script a `MULTI` ... `EXEC` transaction with mocks from end to end, or
//! leave all of it to the engine. Mocks also answer before authentication
//! is checked.
//!
//! ## Verification
//!
//! [`Mock::expect`] takes a count or a range (`1`, `1..`, `..=3`, `2..5`).
//! [`MockRedis::verify`] checks every mounted mock, and so does dropping the
//! server (unless the test is already panicking); a guard from
//! [`Mock::mount_as_scoped`] checks its own mock when dropped. The panic
//! message is a [`VerificationReport`]:
//!
//! - each unmet expectation with the expected and actual counts, and a
//!   hint when a near-identical command arrived instead (`SETEX k 300 v`
//!   for `SET k v EX 300`, `HMSET` for `HSET`, `INCRBY k 1` for `INCR k`,
//!   and the other way round);
//! - each matcher or responder that panicked, with the command and the mock;
//! - the commands no mock matched, each with the closest mock and the part
//!   that rejected it (a mock that accepts the command name ranks first);
//!   commands no mock accepts any part of are not explained;
//! - every command received, per connection, quoted as `redis-cli` prints
//!   them, with the handshake each connection opened with folded into one
//!   line.
//!
//! ```text
//! mock-redis: verification failed (1 problem)
//!
//! Expectations not met:
//!   - mock 'session write': expected exactly 1 call, received 0 calls
//!     hint: expected "SET" "session" "abc" "EX" "300"; received "SETEX" "session" "300" "abc" (same effect, different command)
//!
//! Commands no mock matched, and the closest mock:
//!   - "GET" "user:2" (connection 1): closest mock 'user lookup' rejected it at arg("user:1") (argument 1 is "user:2")
//!
//! Commands received (4):
//!   connection 1:
//!     1-2) (2 handshake commands: CLIENT SETINFO x2)  <- engine
//!     3) "SETEX" "session" "300" "abc"  <- engine
//!     4) "GET" "user:2"  <- engine
//! ```
//!
//! The panic of `server.verify()` points at the line that called it; the
//! panic of a drop points into mock-redis (`Drop` has no caller location),
//! so end a test with `server.verify()` to see where it failed.
//!
//! ## Spying and the journal
//!
//! [`MockRedis::received_commands`] lists every command in arrival order,
//! each a [`Request`] with its connection id, database and time (`None`
//! while the journal is off); [`MockRedis::received_commands_on`] keeps one
//! connection's. A mock that
//! responds with [`Response::pass_through`] lets the engine answer while it
//! counts the calls and checks an expectation.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> redis::RedisResult<()> {
//! use mock_redis::{Mock, MockRedis, Response};
//! use mock_redis::matchers::command;
//!
//! let server = MockRedis::start().await;
//! Mock::given(command("ECHO")).respond_with(Response::pass_through()).expect(1).mount(&server);
//! let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
//! let echoed: String = redis::cmd("ECHO").arg("hi").query_async(&mut conn).await?;
//! assert_eq!(echoed, "hi"); // the engine's answer
//! let last = server.received_commands().unwrap().pop().unwrap();
//! assert_eq!(last.to_string(), r#""ECHO" "hi""#);
//! # Ok(())
//! # }
//! ```
//!
//! Two requests are equal when their arguments, connection and database
//! are (not their arrival time). To compare without the `bytes` crate,
//! [`MockRedis::received_commands_as_strings`] gives each command as a
//! `Vec<String>`, and
//! [`MockRedis::received_commands_as_strings_without_handshakes`] leaves
//! out the commands each connection opened with (`HELLO`, `AUTH`,
//! `CLIENT SETINFO`, ...), so a test sees only what its code sent:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> redis::RedisResult<()> {
//! let server = mock_redis::MockRedis::start().await;
//! let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
//! let _: () = redis::cmd("SET").arg("user:1").arg("alice").query_async(&mut conn).await?;
//! let _: Option<String> = redis::cmd("GET").arg("user:1").query_async(&mut conn).await?;
//! assert_eq!(
//!     server.received_commands_as_strings_without_handshakes(),
//!     [vec!["SET", "user:1", "alice"], vec!["GET", "user:1"]],
//! );
//! # Ok(())
//! # }
//! ```
//!
//! [`MockRedis::reset`] forgets the mocks and the journal;
//! [`Builder::record_commands`] and [`MockRedis::set_recording`] turn the
//! journal off. With no mocks mounted and the journal off, a command costs
//! one atomic load more than the engine alone.
//!
//! ## The state API
//!
//! [`MockRedis::db`] hands out a [`DbHandle`] to seed and check the engine's
//! data directly, like miniredis's direct API: typed helpers for strings
//! (with TTL), lists, hashes, sets and sorted sets, keys and expiry, and
//! `assert_*` helpers whose failures name the key, the expected and the
//! actual value with its type. Values go in as `&str`, `String`, `&[u8]` or
//! `Vec<u8>` and come out as [`RedisString`], which compares with all of
//! them. A typed reader on a key of another type returns
//! [`StateError::WrongType`]; writers run the command they are named after,
//! so keyspace events, WATCH and blocked clients see them as a client's
//! command. Together with the clock ([`MockRedis::freeze_time`],
//! [`MockRedis::fast_forward`]) this tests expiry without sleeping.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! let server = mock_redis::MockRedis::start_blocking();
//! let db = server.db(0);
//! db.hset("user:1", [("name", "alice"), ("plan", "free")])?;
//! db.zadd("leaderboard", [("alice", 42.0)])?;
//! server.freeze_time();
//! db.set_with_ttl("session:1", "user:1", Duration::from_secs(30));
//!
//! // ... the code under test runs against server.url() ...
//!
//! assert_eq!(db.hget("user:1", "plan")?, Some("free".into()));
//! db.assert_zset("leaderboard", [("alice", 42.0)]);
//! server.fast_forward(Duration::from_secs(31));
//! db.assert_missing("session:1");
//! assert!(db.get("user:1").is_err()); // a hash, not a string: WRONGTYPE
//! # Ok(())
//! # }
//! ```
//!
//! ## Strict mode
//!
//! With [`Builder::strict`] (or [`MockRedis::set_strict`]), a command no mock
//! matches is answered `-ERR mock-redis: no mock matched 'GET' 'foo'` and
//! fails verification. The commands clients send on connect (`HELLO`,
//! `AUTH`, `SELECT`, `PING`, `CLIENT SETINFO/SETNAME/TRACKING`, `INFO`,
//! `COMMAND`, `QUIT`, `RESET`) still reach the engine unless a mock matches
//! them.
//!
//! ## Faults
//!
//! Per command, use the responses above. Server-wide:
//! [`MockRedis::set_error`] answers every command with an error until
//! cleared (sparing the commands Redis serves while loading, so clients can
//! connect), [`MockRedis::close_connections`] drops every client now,
//! [`MockRedis::close_connections_after`] closes each connection after its
//! n-th command, and [`MockRedis::restart`] drops every client and listens
//! again on the same port with mocks and data kept.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> redis::RedisResult<()> {
//! let server = mock_redis::MockRedis::start().await;
//! let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
//! server.set_error(Some("LOADING Redis is loading the dataset in memory"));
//! let err = redis::cmd("PING").query_async::<String>(&mut conn).await.unwrap_err();
//! assert_eq!(err.code(), Some("LOADING"));
//! server.set_error(None);
//! # Ok(())
//! # }
//! ```
//!
//! ## Runtimes
//!
//! [`MockRedis::start`] spawns the server on the caller's tokio runtime,
//! which suits `#[tokio::test]` (current-thread or multi-thread) with async
//! clients. A *blocking* client on a current-thread runtime blocks the only
//! thread the server runs on, so plain `#[test]` functions and sync
//! clients use [`MockRedis::start_blocking`], which runs the server on a
//! thread and runtime of its own (and may be called from inside a runtime).
//! Mounting, verifying and the journal work the same from sync and async
//! code: they only take a short lock.
//!
//! A sync client under `start()` in a current-thread runtime does not hang
//! the test: once the runtime has not run the server for half a second, a
//! process-wide watchdog thread serves the connections waiting to be
//! accepted (with the same mocks, data and journal), so the client gets
//! its answers about 0.5 s late, and a line on stderr says to use
//! `start_blocking()`. Connections the runtime accepted before it blocked
//! cannot be served that way; the watchdog reports them on stderr after
//! 5 s.
//!
//! ```
//! use mock_redis::{Mock, MockRedis, Reply};
//! use mock_redis::matchers::command;
//!
//! // A plain #[test] function with a sync client:
//! fn sync_client() {
//!     let server = MockRedis::start_blocking();
//!     Mock::given(command("GET")).respond_with(Reply::bulk("v")).expect(1).mount(&server);
//!     let mut conn = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
//!     let v: String = redis::cmd("GET").arg("k").query(&mut conn).unwrap();
//!     assert_eq!(v, "v");
//! }
//! # sync_client();
//! ```
//!
//! ## Lifetime
//!
//! Dropping the handle stops the accept loop and every connection task; the
//! port refuses connections at once. [`MockRedis::shutdown`] does the same
//! and waits until every task has ended.
//!
//! ## Features
//!
//! - `mini-redis`: `From<mini_redis::Frame> for Reply`, so a mock can answer
//!   `Frame::Error("unimplemented".into())` as the tokio tutorial does.
//! - `redis`: `From<redis::Value> for Reply`, easing a move from
//!   `redis-test`'s `MockCmd`.
//! - `fixtures`: fixture files (`mock_redis::fixture`) and replaying a
//!   recording (`Builder::replay`); `record`: the recording proxy
//!   (`mock_redis::record::Recorder`, with the `redis-protocol` crate).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "admin")]
pub mod admin;
pub mod cookbook;
mod engine;
#[cfg(feature = "fixtures")]
pub mod fixture;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod glob;
mod mock;
pub mod protocol;
#[cfg(feature = "fixtures")]
pub mod record;
mod server;
mod session;

pub use mock::matchers;
pub use mock::{
    Match, Mock, MockBuilder, MockGuard, Request, Respond, Response, Sequence, Times,
    VerificationReport,
};
pub use protocol::{Protocol, Reply};
pub use server::{
    Builder, ClusterBuilder, DbHandle, MockRedis, MockRedisCluster, RedisString, SlotMigration,
    StateError, StreamEntry,
};
#[cfg(feature = "tls")]
pub use server::{ClientCertificate, TlsClientAuth};

/// Not a public API: crate internals the fuzz targets (`fuzz/`) and the
/// property tests (`tests/parser_props.rs`) drive directly. Hidden from the
/// documentation, exempt from semver, and free to change in any release.
#[doc(hidden)]
pub mod __private {
    /// Redis's request parser (`src/protocol/request.rs`).
    pub mod parser {
        pub use crate::protocol::request::{INLINE_MAX_SIZE, ProtocolError, RequestParser};
    }
}
