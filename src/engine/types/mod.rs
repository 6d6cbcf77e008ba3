//! The value types the keyspace stores, and their encodings: [`Value`] (one
//! variant per Redis type), [`Kind`] (the type as `TYPE` names it) and, per
//! type, the encoding rules `OBJECT ENCODING` and the replies' order follow:
//! [`hash`], [`list`], [`set`], [`zset`], [`stream`] (and [`StrEncoding`] for
//! strings).
//!
//! Types know nothing of the keyspace or the commands: a command group
//! imports its type from here, never the reverse. A new Redis type gets a
//! file here with its value struct and encoding rules, a
//! [`Value`] and a [`Kind`] variant, typed getters in `keyspace.rs`, and
//! its commands in `commands/`.

pub(crate) mod hash;
pub(crate) mod hll;
pub(crate) mod list;
pub(crate) mod packed;
pub(crate) mod set;
pub(crate) mod stream;
pub(crate) mod string;
pub(crate) mod zset;

use crate::protocol::string2ll;
use hash::Hash;
use stream::Stream;
use zset::ZSet;

pub(crate) use string::{Str, writable};

/// A stored value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// A string (Redis stores integers as strings too); short ones in
    /// place ([`Str`]).
    String(Str),
    /// A list, head first (packed while small).
    List(list::List),
    /// A hash: field → value, in insertion order while listpack-encoded
    /// (32 bytes in place: a packed hash's buffer, or its boxed table).
    /// The other aggregates are boxed so every key's entry stays small (a
    /// string key pays for the largest variant's size in the table).
    Hash(Hash),
    /// A set.
    #[allow(clippy::box_collection)] // deliberately: see above
    Set(Box<set::Members>),
    /// A sorted set.
    ZSet(Box<ZSet>),
    /// A stream (never removed when empty, as in Redis).
    Stream(Box<Stream>),
}

/// The type of a value, as `TYPE` and `SCAN ... TYPE` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    String,
    List,
    Hash,
    Set,
    ZSet,
    Stream,
}

impl Kind {
    /// The name `TYPE` reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }

    /// The kind a `TYPE` name stands for (case-insensitive).
    pub fn from_name(name: &[u8]) -> Option<Kind> {
        [
            Kind::String,
            Kind::List,
            Kind::Hash,
            Kind::Set,
            Kind::ZSet,
            Kind::Stream,
        ]
        .into_iter()
        .find(|k| name.eq_ignore_ascii_case(k.name().as_bytes()))
    }
}

impl Value {
    /// The value's type.
    pub fn kind(&self) -> Kind {
        match self {
            Value::String(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Hash(_) => Kind::Hash,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
            Value::Stream(_) => Kind::Stream,
        }
    }

    /// The name `TYPE` reports.
    pub fn type_name(&self) -> &'static str {
        self.kind().name()
    }

    /// Whether this is an aggregate with no elements (which Redis never keeps).
    pub fn is_empty_aggregate(&self) -> bool {
        match self {
            Value::String(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            Value::Stream(_) => false,
        }
    }
}

/// How a string value is encoded, as far as `OBJECT ENCODING` can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum StrEncoding {
    /// Redis's `tryObjectEncoding`: `int` when the text is a 64-bit
    /// integer, `embstr` up to 44 bytes, `raw` beyond.
    #[default]
    Auto,
    /// Built as a new string object: `embstr` up to 44 bytes, `raw` beyond
    /// (INCRBYFLOAT results).
    NoInt,
    /// Modified in place (APPEND, SETRANGE, SETBIT, BITFIELD): always `raw`.
    Raw,
}

impl StrEncoding {
    /// The name `OBJECT ENCODING` reports for the string `s` built this
    /// way: `int`, `embstr` or `raw`.
    pub fn name(self, s: &[u8]) -> &'static str {
        let int = s.len() <= 20 && string2ll(s).is_some();
        match self {
            StrEncoding::Auto if int => "int",
            StrEncoding::Raw => "raw",
            _ if s.len() <= 44 => "embstr",
            _ => "raw",
        }
    }
}

/// The positions one page of a SCAN-family call visits in a table whose
/// removals are `swap_remove`s or `shift_remove`s (the keyspace, a set, a
/// hashtable hash, a skiplist sorted set), and the cursor to answer.
///
/// A cursor counts the positions still to visit: the page walks from
/// there toward position 0, `count` positions at a time (cursor 0 starts at
/// the top; an answer of 0 ends the iteration). Redis's guarantee follows:
/// every element present from the first call to the last is returned at
/// least once. An insert lands at the top, in the part already walked (an
/// element added meanwhile need not be returned); a `swap_remove` moves
/// the last element, which is in the walked part or about to be walked,
/// into the hole, so it can only be returned twice, never skipped; a
/// `shift_remove` moves every later element one step down, again toward
/// the part still to walk. Each call costs O(count), and cursors are below
/// the table's size (so below 2^53, which JavaScript clients need).
pub(crate) fn scan_span(len: usize, cursor: u64, count: usize) -> (u64, std::ops::Range<usize>) {
    let top = if cursor == 0 {
        len
    } else {
        cursor.min(len as u64) as usize
    };
    let start = top.saturating_sub(count);
    (start as u64, start..top)
}
