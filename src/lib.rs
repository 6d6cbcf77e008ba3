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
//! ## Runtimes
//!
//! [`MockRedis::start`] spawns the server on the caller's tokio runtime,
//! which suits `#[tokio::test]` (current-thread or multi-thread) with async
//! clients. A *blocking* client on a current-thread runtime would block the
//! only thread the server runs on, so plain `#[test]` functions and sync
//! clients use [`MockRedis::start_blocking`], which runs the server on a
//! thread and runtime of its own (and may be called from inside a runtime).
//!
//! ## Lifetime
//!
//! Dropping the handle stops the accept loop and every connection task; the
//! port refuses connections at once. [`MockRedis::shutdown`] does the same
//! and waits until every task has ended.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod engine;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod protocol;
mod server;

pub use protocol::{Protocol, Reply};
pub use server::{Builder, MockRedis};
