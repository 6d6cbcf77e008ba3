//! The list value (`Value::List`, a `VecDeque<Bytes>`: pushes and pops at
//! either end are O(1) whatever the length), its encoding, and [`End`], the
//! end of a list a command works on.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::engine::util::args::is;
use crate::engine::util::errors::syntax_error;
use crate::protocol::Reply;

/// An end of a list: `LEFT` is the head, `RIGHT` the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Left,
    Right,
}

impl End {
    /// Parses `LEFT` / `RIGHT` (any case), as Redis's
    /// `getListPositionFromObjectOrReply`: anything else is a syntax error.
    pub(crate) fn parse(arg: &[u8]) -> Result<End, Reply> {
        if is(arg, "left") {
            Ok(End::Left)
        } else if is(arg, "right") {
            Ok(End::Right)
        } else {
            Err(syntax_error())
        }
    }

    /// The keyspace event a pop at this end queues.
    pub(crate) fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    /// The keyspace event a push at this end queues.
    pub(crate) fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }
}

/// The encoding `OBJECT ENCODING` reports for a list. Redis 7.0 stores every
/// list as a quicklist (of listpack nodes, `list-max-listpack-size` bounding
/// each node), whatever its length: the plain `listpack` encoding for small
/// lists only arrived in Redis 7.2.
pub(crate) fn list_encoding(_list: &VecDeque<Bytes>) -> &'static str {
    "quicklist"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_encoding() {
        assert_eq!(End::parse(b"LeFt"), Ok(End::Left));
        assert_eq!(End::parse(b"right"), Ok(End::Right));
        assert_eq!(End::parse(b"middle"), Err(syntax_error()));
        assert_eq!(End::Left.push_event(), "lpush");
        assert_eq!(End::Right.pop_event(), "rpop");
        assert_eq!(list_encoding(&VecDeque::new()), "quicklist");
    }
}
