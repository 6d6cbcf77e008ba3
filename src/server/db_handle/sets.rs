//! Sets on [`DbHandle`]: `sadd`, `srem`, `smembers`, `sismember`, `scard`.

use super::{DbHandle, RedisString, StateError, args_with, count};
use crate::engine::types::{Kind, Value};

impl DbHandle {
    /// Adds `members` to the set at `key` (`SADD`), creating it when
    /// missing; returns how many were new.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).sadd("tags", ["a", "b", "a"])?, 2);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn sadd<M: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        members: impl IntoIterator<Item = M>,
    ) -> Result<usize, StateError> {
        let key = key.as_ref();
        let (args, elements) = args_with("SADD", key, members);
        self.command(key, Kind::Set, elements, args).map(count)
    }

    /// Removes `members` from the set at `key` (`SREM`; the key goes with
    /// its last member) and returns how many were there.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).sadd("tags", ["a", "b"])?;
    /// assert_eq!(server.db(0).srem("tags", ["a", "z"])?, 1);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn srem<M: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        members: impl IntoIterator<Item = M>,
    ) -> Result<usize, StateError> {
        let key = key.as_ref();
        let (args, elements) = args_with("SREM", key, members);
        self.command(key, Kind::Set, elements, args).map(count)
    }

    /// The members of the set at `key`, sorted bytewise (not `SMEMBERS`'s
    /// order, so comparisons are stable); empty when missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).sadd("tags", ["b", "c", "a"])?;
    /// assert_eq!(server.db(0).smembers("tags")?, ["a", "b", "c"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn smembers(&self, key: impl AsRef<[u8]>) -> Result<Vec<RedisString>, StateError> {
        let got = self.read(key.as_ref(), Kind::Set, |v| {
            let mut members: Vec<RedisString> = set(v).iter().map(RedisString::from).collect();
            members.sort();
            members
        })?;
        Ok(got.unwrap_or_default())
    }

    /// Whether `member` is in the set at `key` (`SISMEMBER`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).sadd("tags", ["a"])?;
    /// assert!(server.db(0).sismember("tags", "a")?);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn sismember(
        &self,
        key: impl AsRef<[u8]>,
        member: impl AsRef<[u8]>,
    ) -> Result<bool, StateError> {
        let member = member.as_ref();
        let got = self.read(key.as_ref(), Kind::Set, |v| set(v).contains(member))?;
        Ok(got.unwrap_or(false))
    }

    /// The number of members of the set at `key` (`SCARD`); 0 when missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).scard("tags")?, 0);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn scard(&self, key: impl AsRef<[u8]>) -> Result<usize, StateError> {
        let got = self.read(key.as_ref(), Kind::Set, |v| set(v).len())?;
        Ok(got.unwrap_or(0))
    }
}

fn set(v: &Value) -> &crate::engine::types::set::Members {
    match v {
        Value::Set(s) => s,
        _ => unreachable!("read checked the kind"),
    }
}
