//! [`DbHandle`]: one database of a running server, read, written and
//! checked from the test, like miniredis's direct API.
//!
//! * `mod.rs` (here): the handle, its plumbing, and what works on any key
//!   (`exists`, `del`, `type_of`, `keys`, `flush`, `ttl`, `expire`,
//!   `persist`, `dump`).
//! * `strings.rs`, `lists.rs`, `hashes.rs`, `sets.rs`, `sorted_sets.rs`,
//!   `streams.rs`:
//!   one file per type, readers and writers.
//! * `assertions.rs`: the `assert_*` helpers and their failure messages.
//! * `value.rs`: [`RedisString`] and [`StateError`].
//!
//! The conventions (values in and out, readers, writers, assertions) are
//! documented on [`DbHandle`] itself.
//!
//! A new helper follows the same split: a read through `DbHandle::read`,
//! a write through `DbHandle::command` (or a `pub(crate)` engine helper
//! the command itself uses).

mod assertions;
mod hashes;
mod lists;
mod sets;
mod sorted_sets;
mod streams;
mod strings;
mod value;

pub use streams::StreamEntry;
pub use value::{RedisString, StateError};

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::Shared;
use super::listing::dump_db;
use super::state_api::with_engine;
use crate::engine::Engine;
use crate::engine::keyspace::Db;
use crate::engine::types::{Kind, Value};
use crate::glob::glob_match;
use crate::protocol::Reply;

/// One database of a running [`MockRedis`](crate::MockRedis), for reading,
/// writing and checking keys directly from the test. Obtained with
/// [`MockRedis::db`](crate::MockRedis::db); cheap to clone.
///
/// # Conventions
///
/// * **Values in and out.** Keys, values, fields and members go in as
///   anything `AsRef<[u8]>` (`&str`, `String`, `&[u8]`, `Vec<u8>`, byte
///   literals) and come out as [`RedisString`], which compares with all of
///   those (`assert_eq!(db.lrange("l", 0, -1)?, ["a", "b"])`), prints quoted
///   and converts into a `String` or a `Vec<u8>`. No `bytes` needed.
/// * **Readers** of one type (`get`, `hget`, `smembers`, `zscore`, ...)
///   return `Result<_, StateError>`: [`StateError::WrongType`] when the key
///   holds another type, `Ok(None)` or an empty collection when it is
///   missing. They do not count as an access: `INFO` hit counters, `OBJECT
///   IDLETIME` and LFU counters stay as they were (a key past its deadline
///   is expired, as by any lookup).
/// * **Writers** run the command they are named after (`HSET`, `SADD`,
///   `ZADD`, `INCRBY`, ...) as a client's command runs, so keyspace events,
///   WATCH, encodings and clients blocked on the key (`BLPOP`, `BZPOPMIN`)
///   see them alike; they return the command's answer typed (`hset` → the
///   number of new fields), or [`StateError::Rejected`] with Redis's error
///   text. They are not counted in `INFO commandstats`. Where the command
///   takes several elements the helper takes an iterator: an array literal
///   does (`db.sadd("tags", ["a", "b"])`, `db.zadd("z", [("m", 1.5)])`).
/// * **Assertions** (`assert_string`, `assert_hash`, `assert_list`, ...)
///   panic at the caller's line with the key, the database, and the
///   expected and actual values with their types.
///
/// ```
/// let server = mock_redis::MockRedis::start_blocking();
/// let db = server.db(0);
/// db.set("k", "v");
/// db.hset("user:1", [("name", "alice")])?;
/// assert_eq!(db.keys(), ["k", "user:1"]);
/// db.assert_hash_field("user:1", "name", "alice");
/// # Ok::<(), mock_redis::StateError>(())
/// ```
#[derive(Clone)]
pub struct DbHandle {
    pub(super) shared: Arc<Shared>,
    pub(super) index: usize,
}

impl std::fmt::Debug for DbHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbHandle")
            .field("index", &self.index)
            .finish()
    }
}

// --- plumbing --------------------------------------------------------------

impl DbHandle {
    /// Runs `f` on this database with the engine locked, as one command.
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut Db) -> T) -> T {
        let index = self.index;
        with_engine(&self.shared, |e| f(&mut e.dbs[index]))
    }

    /// A typed read: `f` on the value at `key` when it is of `kind`,
    /// `Ok(None)` when the key is missing, `WrongType` otherwise. Does not
    /// count as an access (no hit counters, no access time).
    fn read<T>(
        &self,
        key: &[u8],
        kind: Kind,
        f: impl FnOnce(&Value) -> T,
    ) -> Result<Option<T>, StateError> {
        self.with(|db| match db.entry(key) {
            None => Ok(None),
            Some(e) if e.value.kind() == kind => Ok(Some(f(e.value))),
            Some(e) => Err(wrong_type(key, kind, e.value.kind())),
        })
    }

    /// A write through a command: checks that `key` is missing or of
    /// `kind`, then runs `args` through the command table for this
    /// database. `None` without running anything when `elements` is false
    /// (a variadic command given no elements, which Redis would refuse for
    /// its arity: the helpers answer as if nothing was there to add).
    fn command(
        &self,
        key: &[u8],
        kind: Kind,
        elements: bool,
        args: Vec<Bytes>,
    ) -> Result<Option<Reply>, StateError> {
        let index = self.index;
        with_engine(&self.shared, |e: &mut Engine| {
            if let Some(actual) = e.dbs[index].kind(key) {
                if actual != kind {
                    return Err(wrong_type(key, kind, actual));
                }
            }
            if !elements {
                return Ok(None);
            }
            match e.call_detached(index, &args) {
                Reply::Error(error) => Err(StateError::Rejected {
                    key: RedisString::from(key),
                    error: String::from_utf8_lossy(&error).into_owned(),
                }),
                reply => Ok(Some(reply)),
            }
        })
    }

    /// Runs a command that works on any type (DEL, PEXPIRE, PERSIST,
    /// FLUSHDB) and returns its reply.
    fn generic(&self, args: &[&[u8]]) -> Reply {
        let args = args_of(args);
        let index = self.index;
        with_engine(&self.shared, |e| e.call_detached(index, &args))
    }
}

/// Owned command arguments.
fn args_of(parts: &[&[u8]]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

/// `name key` followed by `rest`.
fn args_with<I, T>(name: &str, key: &[u8], rest: I) -> (Vec<Bytes>, bool)
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut args = vec![
        Bytes::copy_from_slice(name.as_bytes()),
        Bytes::copy_from_slice(key),
    ];
    args.extend(rest.into_iter().map(|r| Bytes::copy_from_slice(r.as_ref())));
    let elements = args.len() > 2;
    (args, elements)
}

fn wrong_type(key: &[u8], expected: Kind, actual: Kind) -> StateError {
    StateError::WrongType {
        key: RedisString::from(key),
        expected: expected.name(),
        actual: actual.name(),
    }
}

/// The integer a command answered.
fn int(reply: Option<Reply>) -> i64 {
    match reply {
        None => 0,
        Some(Reply::Integer(n)) => n,
        Some(other) => unexpected(&other),
    }
}

/// The count a command answered.
fn count(reply: Option<Reply>) -> usize {
    usize::try_from(int(reply)).unwrap_or(0)
}

/// The bulk string (or nil) a command answered.
fn bulk(reply: Reply) -> Option<RedisString> {
    match reply {
        Reply::Bulk(b) => Some(RedisString::from(b.to_vec())),
        Reply::Nil => None,
        other => unexpected(&other),
    }
}

fn unexpected(reply: &Reply) -> ! {
    panic!("mock-redis: unexpected reply {reply:?} to a state API command (a mock-redis bug)")
}

/// A duration in whole milliseconds, as Redis counts them.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Redis's index rules (LRANGE, ZRANGE): negative counts from the end, the
/// range is clamped to `0..len`; `None` when it is empty.
fn index_range(start: isize, stop: isize, len: usize) -> Option<std::ops::RangeInclusive<usize>> {
    let len = len as isize;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        len + stop
    } else {
        stop.min(len - 1)
    };
    (start <= stop && start < len).then_some(start as usize..=stop as usize)
}

// --- any key ---------------------------------------------------------------

impl DbHandle {
    /// The type of the value at `key` as `TYPE` names it (`"string"`,
    /// `"list"`, `"hash"`, `"set"`, `"zset"`), or `None` when it is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert_eq!(server.db(0).type_of("k"), Some("string"));
    /// ```
    pub fn type_of(&self, key: impl AsRef<[u8]>) -> Option<&'static str> {
        self.with(|db| db.kind(key.as_ref()).map(|k| k.name()))
    }

    /// Whether `key` exists (and has not expired).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert!(!server.db(0).exists("k"));
    /// ```
    pub fn exists(&self, key: impl AsRef<[u8]>) -> bool {
        self.with(|db| db.contains(key.as_ref()))
    }

    /// Deletes `key` (`DEL`); true when it existed.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert!(server.db(0).del("k"));
    /// assert!(!server.db(0).del("k"));
    /// ```
    pub fn del(&self, key: impl AsRef<[u8]>) -> bool {
        int(Some(self.generic(&[b"DEL", key.as_ref()]))) == 1
    }

    /// The remaining time to live of `key`; `None` when the key is missing
    /// or has no deadline.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert_eq!(server.db(0).ttl("k"), None);
    /// ```
    pub fn ttl(&self, key: impl AsRef<[u8]>) -> Option<Duration> {
        self.with(|db| {
            let now = db.now_ms();
            db.expire_at(key.as_ref())
                .map(|t| Duration::from_millis((t - now).max(0) as u64))
        })
    }

    /// Gives an existing `key` a time to live, in whole milliseconds
    /// (`PEXPIRE`); false when the key is missing. As with `PEXPIRE`, a
    /// time to live under 1ms deletes the key at once.
    ///
    /// # Panics
    ///
    /// When the deadline overflows (Redis answers `ERR invalid expire time`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert!(server.db(0).expire("k", Duration::from_secs(5)));
    /// ```
    pub fn expire(&self, key: impl AsRef<[u8]>, ttl: Duration) -> bool {
        let ms = millis(ttl).to_string();
        match self.generic(&[b"PEXPIRE", key.as_ref(), ms.as_bytes()]) {
            Reply::Integer(n) => n == 1,
            Reply::Error(e) => panic!(
                "mock-redis: expire({:?}, {ttl:?}): {}",
                RedisString::from(key.as_ref()),
                String::from_utf8_lossy(&e)
            ),
            other => unexpected(&other),
        }
    }

    /// Drops the time to live of `key` (`PERSIST`); true when it had one.
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set_with_ttl("k", "v", Duration::from_secs(5));
    /// assert!(server.db(0).persist("k"));
    /// assert_eq!(server.db(0).ttl("k"), None);
    /// ```
    pub fn persist(&self, key: impl AsRef<[u8]>) -> bool {
        int(Some(self.generic(&[b"PERSIST", key.as_ref()]))) == 1
    }

    /// Every live key, sorted.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("b", "2");
    /// server.db(0).set("a", "1");
    /// assert_eq!(server.db(0).keys(), ["a", "b"]);
    /// ```
    pub fn keys(&self) -> Vec<RedisString> {
        self.keys_where(|_| true)
    }

    /// The live keys matching a glob `pattern` (`KEYS`'s rules), sorted.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// for k in ["user:1", "user:2", "order:1"] { server.db(0).set(k, "x"); }
    /// assert_eq!(server.db(0).keys_matching("user:*"), ["user:1", "user:2"]);
    /// ```
    pub fn keys_matching(&self, pattern: impl AsRef<[u8]>) -> Vec<RedisString> {
        let pattern = pattern.as_ref();
        self.keys_where(|k| glob_match(pattern, k))
    }

    fn keys_where(&self, keep: impl Fn(&[u8]) -> bool) -> Vec<RedisString> {
        self.with(|db| {
            let mut keys: Vec<RedisString> = db
                .live_keys()
                .filter(|k| keep(k))
                .map(RedisString::from)
                .collect();
            keys.sort();
            keys
        })
    }

    /// Number of live keys.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.with(|db| db.live_keys().count())
    }

    /// Whether the database holds no live key.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert!(server.db(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties this database (`FLUSHDB`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// server.db(0).flush();
    /// assert!(server.db(0).is_empty());
    /// ```
    pub fn flush(&self) {
        self.generic(&[b"FLUSHDB"]);
    }

    /// A readable listing of this database: one line per live key, sorted,
    /// with its type, value and remaining time to live (the lines
    /// [`MockRedis::dump`](crate::MockRedis::dump) prints under `db<n>:`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("a", "1");
    /// server.db(0).rpush("l", ["x", "y"])?;
    /// assert_eq!(server.db(0).dump(), "  \"a\" string \"1\"\n  \"l\" list [\"x\", \"y\"]\n");
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn dump(&self) -> String {
        self.with(|db| {
            let now = db.now_ms();
            dump_db(db, now)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::index_range;

    /// LRANGE and ZRANGE's rules, as `listTypeRange`/`zrangeGenericCommand`
    /// normalise them.
    #[test]
    fn index_ranges() {
        assert_eq!(index_range(0, -1, 3), Some(0..=2));
        assert_eq!(index_range(-2, -1, 3), Some(1..=2));
        assert_eq!(index_range(-100, 0, 3), Some(0..=0));
        assert_eq!(index_range(1, 100, 3), Some(1..=2));
        assert_eq!(index_range(2, 1, 3), None);
        assert_eq!(index_range(3, 5, 3), None);
        assert_eq!(index_range(0, -4, 3), None);
        assert_eq!(index_range(0, -1, 0), None);
        assert_eq!(index_range(isize::MIN, isize::MAX, 2), Some(0..=1));
    }
}
