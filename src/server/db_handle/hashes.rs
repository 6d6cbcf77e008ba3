//! Hashes on [`DbHandle`]: `hset`, `hget`, `hgetall`, `hkeys`, `hvals`,
//! `hlen`, `hdel`, `hincr`.

use super::{DbHandle, RedisString, StateError, args_with, count, int};
use crate::engine::types::hash::Hash;
use crate::engine::types::{Kind, Value};

impl DbHandle {
    /// Sets fields of the hash at `key` (`HSET key field value ...`),
    /// creating it when missing; returns how many fields are new.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).hset("user:1", [("name", "alice"), ("age", "30")])?, 2);
    /// assert_eq!(server.db(0).hset("user:1", [("age", "31")])?, 0);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hset<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        pairs: impl IntoIterator<Item = (F, V)>,
    ) -> Result<usize, StateError> {
        let key = key.as_ref();
        let flat: Vec<Vec<u8>> = pairs
            .into_iter()
            .flat_map(|(f, v)| [f.as_ref().to_vec(), v.as_ref().to_vec()])
            .collect();
        let (args, elements) = args_with("HSET", key, flat);
        self.command(key, Kind::Hash, elements, args).map(count)
    }

    /// The value of `field` in the hash at `key`; `Ok(None)` when the key
    /// or the field is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("user:1", [("name", "alice")])?;
    /// assert_eq!(server.db(0).hget("user:1", "name")?, Some("alice".into()));
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hget(
        &self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
    ) -> Result<Option<RedisString>, StateError> {
        let field = field.as_ref();
        let got = self.read(key.as_ref(), Kind::Hash, |v| {
            hash(v).get(field).map(RedisString::from)
        })?;
        Ok(got.flatten())
    }

    /// Every `(field, value)` pair of the hash at `key`, in `HGETALL`'s
    /// order (insertion order while the hash is small); empty when missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("h", [("b", "2"), ("a", "1")])?;
    /// let all = server.db(0).hgetall("h")?;
    /// assert_eq!(all, [("b".into(), "2".into()), ("a".into(), "1".into())]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hgetall(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Vec<(RedisString, RedisString)>, StateError> {
        let got = self.read(key.as_ref(), Kind::Hash, |v| {
            hash(v)
                .iter()
                .map(|(f, v)| (RedisString::from(f), RedisString::from(v)))
                .collect()
        })?;
        Ok(got.unwrap_or_default())
    }

    /// The fields of the hash at `key`, in `HKEYS`'s order; empty when missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("h", [("b", "2"), ("a", "1")])?;
    /// assert_eq!(server.db(0).hkeys("h")?, ["b", "a"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hkeys(&self, key: impl AsRef<[u8]>) -> Result<Vec<RedisString>, StateError> {
        let got = self.read(key.as_ref(), Kind::Hash, |v| {
            hash(v).keys().map(RedisString::from).collect()
        })?;
        Ok(got.unwrap_or_default())
    }

    /// The values of the hash at `key`, in `HVALS`'s order; empty when missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("h", [("b", "2"), ("a", "1")])?;
    /// assert_eq!(server.db(0).hvals("h")?, ["2", "1"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hvals(&self, key: impl AsRef<[u8]>) -> Result<Vec<RedisString>, StateError> {
        let got = self.read(key.as_ref(), Kind::Hash, |v| {
            hash(v).values().map(RedisString::from).collect()
        })?;
        Ok(got.unwrap_or_default())
    }

    /// The number of fields of the hash at `key` (`HLEN`); 0 when missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("h", [("a", "1")])?;
    /// assert_eq!(server.db(0).hlen("h")?, 1);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hlen(&self, key: impl AsRef<[u8]>) -> Result<usize, StateError> {
        let got = self.read(key.as_ref(), Kind::Hash, |v| hash(v).len())?;
        Ok(got.unwrap_or(0))
    }

    /// Removes `fields` from the hash at `key` (`HDEL`; the key goes when
    /// its last field does) and returns how many existed.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).hset("h", [("a", "1")])?;
    /// assert_eq!(server.db(0).hdel("h", ["a", "b"])?, 1);
    /// assert!(!server.db(0).exists("h"));
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hdel<F: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        fields: impl IntoIterator<Item = F>,
    ) -> Result<usize, StateError> {
        let key = key.as_ref();
        let (args, elements) = args_with("HDEL", key, fields);
        self.command(key, Kind::Hash, elements, args).map(count)
    }

    /// Adds `by` to the integer in `field` of the hash at `key`
    /// (`HINCRBY`; a missing field counts as 0) and returns the result;
    /// [`StateError::Rejected`] when the field is not an integer.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).hincr("stats", "visits", 3)?, 3);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn hincr(
        &self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        by: i64,
    ) -> Result<i64, StateError> {
        let key = key.as_ref();
        let by = by.to_string();
        let (args, _) = args_with("HINCRBY", key, [field.as_ref(), by.as_bytes()]);
        self.command(key, Kind::Hash, true, args).map(int)
    }
}

fn hash(v: &Value) -> &Hash {
    match v {
        Value::Hash(h) => h,
        _ => unreachable!("read checked the kind"),
    }
}
