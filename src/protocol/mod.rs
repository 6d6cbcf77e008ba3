//! The wire protocol: the reply value type with its RESP2 and RESP3
//! encodings (public), and Redis's request parser (crate-internal).
//!
//! `reply.rs` holds [`Reply`], [`Protocol`] and [`format_double`], what a
//! user needs to build and encode replies, and [`PackedArray`], the compact
//! form of long arrays the engine answers. `request.rs` holds the request
//! parser; it is not a public API (the fuzz targets and property tests reach
//! it through the hidden `mock_redis::__private::parser`).

mod reply;
pub(crate) mod request;

pub(crate) use reply::PACK_OVER;
#[cfg(feature = "scripting")]
pub(crate) use reply::format_g;
pub use reply::{PackedArray, Protocol, Reply, format_double};
pub(crate) use request::{RequestParser, split_args, string2ll};
