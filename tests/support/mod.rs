//! Test support, shared by the `diff`, `mock` and `server` test binaries
//! (each includes this directory as `#[path = "../support/mod.rs"] mod
//! support;`):
//!
//! - [`resp`]: requests as multibulk bytes, RESP2/RESP3 frame boundaries,
//!   reply normalisation ([`Compare`]) and escaping;
//! - [`conn`]: [`RawConn`], a connection read one whole frame at a time,
//!   [`Control`], the questions tests wait on instead of sleeping (is a
//!   client listed, is it blocked, has the server's clock moved), and
//!   [`PATIENCE`], the one generous bound on every wait;
//! - [`redis_server`]: a real redis-server on an ephemeral port
//!   ([`RealRedis`]);
//! - [`differ`]: the differential harness, [`Differ`], and its
//!   single-connection [`Case`]s;
//! - [`multi`]: the harness's multi-connection [`Script`]s;
//! - [`clients`]: redis-rs connections with generous timeouts.
//!
//! ```ignore
//! let Some(differ) = Differ::start().await else { return };
//! differ
//!     .check(&[
//!         case("set and get").cmd(["SET", "k", "v"]).cmd(["GET", "k"]),
//!         case("bad arity").cmd(["GET"]),
//!         case("raw bytes").raw(b"*1\r\n:1\r\n", 1),
//!         case("unordered").cmd_sorted(["KEYS", "*"]),
//!     ])
//!     .await;
//! differ
//!     .check_scripts(&[script("served in order", 3)
//!         .block(0, "BLPOP q 0")
//!         .block(1, "BLPOP q 0")
//!         .send(2, "RPUSH q a b")
//!         .read(2, 1)
//!         .read(0, 1)
//!         .read(1, 1)])
//!     .await;
//! ```

#![allow(dead_code, unused_imports)]

pub mod clients;
pub mod conn;
pub mod differ;
pub mod multi;
pub mod redis_server;
pub mod resp;

pub use conn::{Control, PATIENCE, RawConn, Read, eventually};
pub use differ::{Case, Differ, Step, case};
pub use multi::{Script, script};
pub use redis_server::{RealRedis, redis_server_binary};
pub use resp::{Compare, escape, frame_len, multibulk, normalize};
