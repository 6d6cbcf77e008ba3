//! [`DbHandle`]: one database of a running server, read and written from the
//! test (strings, lists, expiry, keys). Writes go through the same engine
//! helpers the matching commands use (`SET`, `RPUSH`, ...), so they signal
//! WATCH, queue keyspace events and serve blocked clients exactly as a
//! client's command does.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::Shared;
use super::state_api::with_engine;
use crate::engine::commands::lists;
use crate::engine::commands::strings;
use crate::engine::keyspace::{Db, events};
use crate::engine::types::Value;
use crate::engine::types::list::End;

/// One database of a running [`MockRedis`](crate::MockRedis), for reading and
/// writing keys directly from the test. Obtained with
/// [`MockRedis::db`](crate::MockRedis::db); cheap to clone.
///
/// ```
/// let server = mock_redis::MockRedis::start_blocking();
/// let db = server.db(0);
/// db.set("k", "v");
/// assert!(db.exists("k"));
/// assert_eq!(db.keys(), vec![bytes::Bytes::from("k")]);
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

impl DbHandle {
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut Db) -> T) -> T {
        let index = self.index;
        with_engine(&self.shared, |e| f(&mut e.dbs[index]))
    }

    /// Sets `key` to the string `value`, dropping any time to live (`SET`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert_eq!(server.db(0).get("k"), Some(bytes::Bytes::from("v")));
    /// ```
    pub fn set(&self, key: impl Into<Bytes>, value: impl Into<Bytes>) {
        let key = key.into();
        self.with(|db| strings::store_string(db, &key, value.into(), false, None));
    }

    /// Sets `key` to `value` with a time to live (`SET ... PX`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set_with_ttl("k", "v", Duration::from_secs(60));
    /// assert!(server.db(0).ttl("k").unwrap() <= Duration::from_secs(60));
    /// ```
    pub fn set_with_ttl(&self, key: impl Into<Bytes>, value: impl Into<Bytes>, ttl: Duration) {
        let key = key.into();
        self.with(|db| {
            let at = db
                .now_ms()
                .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
            strings::store_string(db, &key, value.into(), false, Some(at));
        });
    }

    /// The string at `key`; `None` when it is missing or holds another type.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).get("missing"), None);
    /// ```
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<Bytes> {
        self.with(|db| match db.entry(key.as_ref()) {
            Some(e) => match &e.value {
                Value::String(s) => Some(s.clone()),
                _ => None,
            },
            None => None,
        })
    }

    /// The type of the value at `key` as `TYPE` names it (`"string"`,
    /// `"list"`, ...), or `None` when it is missing.
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

    /// Deletes `key`; true when it existed.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert!(server.db(0).del("k"));
    /// assert!(!server.db(0).del("k"));
    /// ```
    pub fn del(&self, key: impl AsRef<[u8]>) -> bool {
        let key = key.as_ref();
        self.with(|db| {
            let existed = db.remove(key).is_some();
            if existed {
                db.notify(events::GENERIC, "del", key);
            }
            existed
        })
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

    /// Gives an existing `key` a time to live; false when it is missing.
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert!(server.db(0).expire("k", Duration::from_secs(5)));
    /// ```
    pub fn expire(&self, key: impl AsRef<[u8]>, ttl: Duration) -> bool {
        let key = key.as_ref();
        self.with(|db| {
            if !db.contains(key) {
                return false;
            }
            let at = db
                .now_ms()
                .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
            db.set_expire(key, at);
            db.notify(events::GENERIC, "expire", key);
            true
        })
    }

    /// Every live key, sorted.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("b", "2");
    /// server.db(0).set("a", "1");
    /// assert_eq!(server.db(0).keys(), vec![bytes::Bytes::from("a"), bytes::Bytes::from("b")]);
    /// ```
    pub fn keys(&self) -> Vec<Bytes> {
        self.with(|db| {
            let mut keys: Vec<Bytes> = db.live_keys().cloned().collect();
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

    /// Empties this database, as `FLUSHDB` does.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// server.db(0).flush();
    /// assert!(server.db(0).is_empty());
    /// ```
    pub fn flush(&self) {
        self.with(|db| {
            db.flush();
        });
    }
}

impl DbHandle {
    /// Appends `values` to the list at `key` (`RPUSH`), creating it when
    /// missing, and returns the new length; `None` when `key` holds another
    /// type. Clients blocked on the key are served at once, in the order
    /// they blocked.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).rpush("jobs", ["a", "b"]), Some(2));
    /// server.db(0).set("s", "v");
    /// assert_eq!(server.db(0).rpush("s", ["x"]), None);
    /// ```
    pub fn rpush<V: Into<Bytes>>(
        &self,
        key: impl Into<Bytes>,
        values: impl IntoIterator<Item = V>,
    ) -> Option<usize> {
        self.push(key.into(), values, End::Right)
    }

    /// Prepends `values` to the list at `key` (`LPUSH`, so the last value
    /// ends up first), creating it when missing; returns the new length, or
    /// `None` when `key` holds another type. Serves blocked clients.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).lpush("jobs", ["a", "b"]), Some(2));
    /// assert_eq!(server.db(0).list("jobs"), vec![bytes::Bytes::from("b"), bytes::Bytes::from("a")]);
    /// ```
    pub fn lpush<V: Into<Bytes>>(
        &self,
        key: impl Into<Bytes>,
        values: impl IntoIterator<Item = V>,
    ) -> Option<usize> {
        self.push(key.into(), values, End::Left)
    }

    /// The elements of the list at `key`, head first (empty when missing or
    /// of another type).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).rpush("l", ["x", "y"]);
    /// assert_eq!(server.db(0).list("l"), vec![bytes::Bytes::from("x"), bytes::Bytes::from("y")]);
    /// ```
    pub fn list(&self, key: impl AsRef<[u8]>) -> Vec<Bytes> {
        self.with(|db| match db.get_list(key.as_ref()) {
            Ok(Some(l)) => l.iter().cloned().collect(),
            _ => Vec::new(),
        })
    }

    fn push<V: Into<Bytes>>(
        &self,
        key: Bytes,
        values: impl IntoIterator<Item = V>,
        end: End,
    ) -> Option<usize> {
        let values: Vec<Bytes> = values.into_iter().map(Into::into).collect();
        if values.is_empty() {
            return self.with(|db| match db.get_list(&key) {
                Ok(l) => Some(l.map_or(0, |l| l.len())),
                Err(_) => None,
            });
        }
        self.with(|db| lists::push(db, &key, end, &values).ok())
    }
}
