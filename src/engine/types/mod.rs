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
pub(crate) mod set;
pub(crate) mod stream;
pub(crate) mod zset;

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, Hasher};

use bytes::{Bytes, BytesMut};

use crate::protocol::string2ll;
use hash::Hash;
use stream::Stream;
use zset::ZSet;

/// A stored value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// A string (Redis stores integers as strings too).
    String(Bytes),
    /// A list, head first.
    List(VecDeque<Bytes>),
    /// A hash: field → value, in insertion order while listpack-encoded.
    /// The aggregates are boxed so every key's entry stays small (a string
    /// key pays for the largest variant's size in the table).
    Hash(Box<Hash>),
    /// A set.
    #[allow(clippy::box_collection)] // deliberately: see above
    Set(Box<HashSet<Bytes>>),
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

/// Takes a stored string out for an in-place write (APPEND, SETRANGE,
/// SETBIT, BITFIELD), leaving an empty string behind: the buffer itself
/// when nothing else holds it (no copy, so a write costs what it changes,
/// not the string's length), a copy only when it is shared (a reply not
/// yet written, a request buffer it was sliced from). Put the result back
/// with `BytesMut::freeze`, which does not copy either; GET keeps handing
/// out cheap `Bytes` clones.
pub(crate) fn writable(s: &mut Bytes) -> BytesMut {
    std::mem::take(s)
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(&shared[..]))
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

/// A fixed hasher for SCAN cursors and hashtable-encoded replies, so an
/// item's position in the scan order never changes while it exists (and
/// does not depend on the process's hash seeds).
#[derive(Clone, Copy, Default)]
struct ScanHasher;

impl BuildHasher for ScanHasher {
    type Hasher = std::collections::hash_map::DefaultHasher;
    fn build_hasher(&self) -> Self::Hasher {
        std::collections::hash_map::DefaultHasher::new()
    }
}

/// The position of `key` (a key, field or member) in SCAN order: SCAN,
/// HSCAN, SSCAN and ZSCAN cursors, and the order a hashtable-encoded set
/// lists its members in.
pub(crate) fn scan_hash(key: &[u8]) -> u64 {
    let mut h = ScanHasher.build_hasher();
    h.write(key);
    // Keep cursors below 2^63 so every client parses them as signed too.
    h.finish() >> 1
}
