//! One logical database: keys, typed values and expiry deadlines.

use std::collections::HashMap;

use bytes::Bytes;

/// A stored value.
#[derive(Clone, Debug, PartialEq)]
#[allow(dead_code)]
pub(crate) enum Value {
    /// A string (Redis stores integers as strings too).
    String(Bytes),
}

impl Value {
    /// The name `TYPE` reports.
    #[allow(dead_code)]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
        }
    }
}

/// A key's value and its expiry deadline in Unix milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub value: Value,
    pub expires_at: Option<i64>,
}

/// One database.
#[derive(Debug, Default)]
pub(crate) struct Db {
    pub entries: HashMap<Bytes, Entry>,
}

impl Db {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Number of keys with a deadline.
    pub fn expires(&self) -> usize {
        self.entries
            .values()
            .filter(|e| e.expires_at.is_some())
            .count()
    }
}
