//! The wire protocol: Redis's request parser and the reply value type with
//! its RESP2 and RESP3 encodings.

mod reply;
mod request;

pub use reply::{Protocol, Reply, format_double};
pub use request::{
    INLINE_MAX_SIZE, MAX_BULK_LEN, ProtocolError, RequestParser, UNAUTHENTICATED_MAX_BULK,
    UNAUTHENTICATED_MAX_MULTIBULK, split_args, string2ll,
};
