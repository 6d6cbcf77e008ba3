//! The `assert_*` helpers on [`DbHandle`]. Each reads the key without
//! counting an access, compares, and on a mismatch panics (at the test's
//! line: they are `#[track_caller]`) with a message naming the assertion,
//! the key and the database, then the expected and the actual value, each
//! with its type, in the format of [`DbHandle::dump`]:
//!
//! ```text
//! mock-redis: assert_string failed for key "user:1" in db 0
//!   expected: string "alice"
//!   actual:   hash {"name": "alice"}
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::DbHandle;
use crate::engine::types::Value;
use crate::engine::types::hash::{Hash, Limits};
use crate::engine::types::list::List;
use crate::engine::types::zset::ZSet;
use crate::server::listing::{describe_typed, quote};

/// What the message says of a missing key.
const MISSING: &str = "no such key";

fn bytes(b: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(b.as_ref())
}

/// The value and remaining time to live (ms) of `key`, if it exists.
type Snapshot = Option<(Value, Option<i64>)>;

fn describe(actual: &Snapshot) -> String {
    match actual {
        Some((v, _)) => describe_typed(v),
        None => MISSING.to_string(),
    }
}

impl DbHandle {
    /// A copy of what `key` holds, read without counting an access.
    fn snapshot(&self, key: &[u8]) -> Snapshot {
        self.with(|db| {
            let now = db.now_ms();
            db.entry(key)
                .map(|e| (e.value.clone(), e.expires_at.map(|t| t - now)))
        })
    }

    #[track_caller]
    fn fail(&self, assertion: &str, key: &[u8], expected: &str, actual: &str) -> ! {
        panic!(
            "mock-redis: {assertion} failed for key {} in db {}\n  expected: {expected}\n  actual:   {actual}",
            quote(key),
            self.index
        )
    }

    /// Checks that `key` holds an aggregate equal to `expected` (as
    /// `same` compares them), or is missing when `expected` is empty.
    #[track_caller]
    fn assert_value(
        &self,
        assertion: &str,
        key: &[u8],
        expected: Value,
        same: impl Fn(&Value, &Value) -> bool,
    ) {
        let actual = self.snapshot(key);
        let ok = match &actual {
            Some((v, _)) => v.kind() == expected.kind() && same(v, &expected),
            None => expected.is_empty_aggregate(),
        };
        if !ok {
            let expected = if expected.is_empty_aggregate() {
                format!("{} (no such key)", describe_typed(&expected))
            } else {
                describe_typed(&expected)
            };
            self.fail(assertion, key, &expected, &describe(&actual));
        }
    }

    /// Asserts that `key` holds the string `expected`.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("user:1", "alice");
    /// server.db(0).assert_string("user:1", "alice");
    /// ```
    #[track_caller]
    pub fn assert_string(&self, key: impl AsRef<[u8]>, expected: impl AsRef<[u8]>) {
        let (key, expected) = (key.as_ref(), expected.as_ref());
        let actual = self.snapshot(key);
        if !matches!(&actual, Some((Value::String(s), _)) if s.as_ref() == expected) {
            let want = describe_typed(&Value::String(bytes(expected).into()));
            self.fail("assert_string", key, &want, &describe(&actual));
        }
    }

    /// Asserts that the hash at `key` has `field` set to `expected` (other
    /// fields may exist).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("user:1", [("name", "alice"), ("age", "30")])?;
    /// server.db(0).assert_hash_field("user:1", "name", "alice");
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    #[track_caller]
    pub fn assert_hash_field(
        &self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        expected: impl AsRef<[u8]>,
    ) {
        let (key, field, expected) = (key.as_ref(), field.as_ref(), expected.as_ref());
        let actual = self.snapshot(key);
        let found = match &actual {
            Some((Value::Hash(h), _)) => match h.get(field) {
                Some(v) if v == expected => return,
                Some(v) => format!("hash with field {} = {}", quote(field), quote(v)),
                None => format!("hash without field {}: {}", quote(field), describe(&actual)),
            },
            _ => describe(&actual),
        };
        let want = format!("hash with field {} = {}", quote(field), quote(expected));
        self.fail("assert_hash_field", key, &want, &found);
    }

    /// Asserts that the hash at `key` holds exactly the `expected` fields
    /// and values, in any order (no pairs: the key is missing).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("user:1", [("name", "alice"), ("age", "30")])?;
    /// server.db(0).assert_hash("user:1", [("age", "30"), ("name", "alice")]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    #[track_caller]
    pub fn assert_hash<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        expected: impl IntoIterator<Item = (F, V)>,
    ) {
        let mut hash = Hash::new();
        for (f, v) in expected {
            hash.set(&bytes(f), &bytes(v), Limits::default());
        }
        self.assert_value("assert_hash", key.as_ref(), Value::Hash(hash), |a, b| {
            let pairs = |v: &Value| match v {
                Value::Hash(h) => h.iter_bytes().collect(),
                _ => BTreeMap::new(),
            };
            pairs(a) == pairs(b)
        });
    }

    /// Asserts that the set at `key` holds exactly the `expected` members,
    /// in any order (no members: the key is missing).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).sadd("tags", ["a", "b"])?;
    /// server.db(0).assert_set_members("tags", ["b", "a"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    #[track_caller]
    pub fn assert_set_members<M: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        expected: impl IntoIterator<Item = M>,
    ) {
        let set: crate::engine::types::set::Members = expected.into_iter().map(bytes).collect();
        self.assert_value(
            "assert_set_members",
            key.as_ref(),
            Value::Set(Box::new(set)),
            |a, b| a == b,
        );
    }

    /// Asserts that the list at `key` holds exactly `expected`, head first
    /// (no elements: the key is missing).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).rpush("jobs", ["a", "b"])?;
    /// server.db(0).assert_list("jobs", ["a", "b"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    #[track_caller]
    pub fn assert_list<V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        expected: impl IntoIterator<Item = V>,
    ) {
        let list: List = expected.into_iter().map(bytes).collect();
        self.assert_value("assert_list", key.as_ref(), Value::List(list), |a, b| {
            a == b
        });
    }

    /// Asserts that the sorted set at `key` holds exactly the `expected`
    /// members with exactly these scores, given in any order (no members:
    /// the key is missing).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).zadd("board", [("alice", 10.0), ("bob", 7.5)])?;
    /// server.db(0).assert_zset("board", [("bob", 7.5), ("alice", 10.0)]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    #[track_caller]
    pub fn assert_zset<M: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        expected: impl IntoIterator<Item = (M, f64)>,
    ) {
        let mut zset = ZSet::new();
        for (m, s) in expected {
            zset.insert(bytes(m), s);
        }
        self.assert_value(
            "assert_zset",
            key.as_ref(),
            Value::ZSet(Box::new(zset)),
            |a, b| {
                let items = |v: &Value| match v {
                    Value::ZSet(z) => z.iter().map(crate::engine::types::zset::owned).collect(),
                    _ => Vec::new(),
                };
                items(a) == items(b)
            },
        );
    }

    /// Asserts that `key` does not exist (or has expired).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).assert_missing("never-written");
    /// ```
    #[track_caller]
    pub fn assert_missing(&self, key: impl AsRef<[u8]>) {
        let key = key.as_ref();
        let actual = self.snapshot(key);
        if actual.is_some() {
            self.fail("assert_missing", key, MISSING, &describe(&actual));
        }
    }

    /// Asserts that `key` exists with a remaining time to live between
    /// `min` and `max` inclusive (milliseconds, as Redis keeps it).
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.freeze_time();
    /// server.db(0).set_with_ttl("session", "x", Duration::from_secs(60));
    /// server.fast_forward(Duration::from_secs(10));
    /// server.db(0).assert_ttl_between("session", Duration::from_secs(50), Duration::from_secs(50));
    /// ```
    #[track_caller]
    pub fn assert_ttl_between(&self, key: impl AsRef<[u8]>, min: Duration, max: Duration) {
        let key = key.as_ref();
        let actual = self.snapshot(key);
        let found = match &actual {
            Some((v, Some(ms))) => {
                let ttl = Duration::from_millis((*ms).max(0) as u64);
                if min <= ttl && ttl <= max {
                    return;
                }
                format!("ttl {ttl:?} on {}", describe_typed(v))
            }
            Some((v, None)) => format!("no ttl on {}", describe_typed(v)),
            None => MISSING.to_string(),
        };
        let want = format!("a ttl between {min:?} and {max:?}");
        self.fail("assert_ttl_between", key, &want, &found);
    }
}
