//! Lists on [`DbHandle`]: `lpush`, `rpush`, `lpop`, `rpop`, `lrange`, `llen`.

use super::{DbHandle, RedisString, StateError, args_with, bulk, count, index_range};
use crate::engine::types::{Kind, Value};

impl DbHandle {
    /// Appends `values` to the list at `key` (`RPUSH`), creating it when
    /// missing, and returns the new length. Clients blocked on the key
    /// (`BLPOP`, `BLMOVE`, ...) are served at once, in the order they
    /// blocked.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).rpush("jobs", ["a", "b"])?, 2);
    /// server.db(0).assert_list("jobs", ["a", "b"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn rpush<V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        values: impl IntoIterator<Item = V>,
    ) -> Result<usize, StateError> {
        self.push(key.as_ref(), values, "RPUSH")
    }

    /// Prepends `values` to the list at `key` (`LPUSH`, so the last value
    /// ends up first), creating it when missing, and returns the new
    /// length. Serves blocked clients as [`rpush`](DbHandle::rpush) does.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).lpush("jobs", ["a", "b"])?, 2);
    /// assert_eq!(server.db(0).lrange("jobs", 0, -1)?, ["b", "a"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn lpush<V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        values: impl IntoIterator<Item = V>,
    ) -> Result<usize, StateError> {
        self.push(key.as_ref(), values, "LPUSH")
    }

    fn push<V: AsRef<[u8]>>(
        &self,
        key: &[u8],
        values: impl IntoIterator<Item = V>,
        command: &str,
    ) -> Result<usize, StateError> {
        let (args, elements) = args_with(command, key, values);
        if !elements {
            return self.llen(key);
        }
        self.command(key, Kind::List, true, args).map(count)
    }

    /// Removes and returns the first element of the list at `key` (`LPOP`);
    /// `Ok(None)` when it is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).rpush("q", ["a", "b"])?;
    /// assert_eq!(server.db(0).lpop("q")?, Some("a".into()));
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn lpop(&self, key: impl AsRef<[u8]>) -> Result<Option<RedisString>, StateError> {
        self.pop(key.as_ref(), "LPOP")
    }

    /// Removes and returns the last element of the list at `key` (`RPOP`);
    /// `Ok(None)` when it is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).rpush("q", ["a", "b"])?;
    /// assert_eq!(server.db(0).rpop("q")?, Some("b".into()));
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn rpop(&self, key: impl AsRef<[u8]>) -> Result<Option<RedisString>, StateError> {
        self.pop(key.as_ref(), "RPOP")
    }

    fn pop(&self, key: &[u8], command: &str) -> Result<Option<RedisString>, StateError> {
        let (args, _) = args_with(command, key, None::<&[u8]>);
        Ok(self.command(key, Kind::List, true, args)?.and_then(bulk))
    }

    /// The elements of the list at `key` from `start` to `stop` inclusive,
    /// with `LRANGE`'s rules (negative indexes count from the end: `0, -1`
    /// is the whole list); empty when the key is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).rpush("l", ["a", "b", "c"])?;
    /// assert_eq!(server.db(0).lrange("l", -2, -1)?, ["b", "c"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn lrange(
        &self,
        key: impl AsRef<[u8]>,
        start: isize,
        stop: isize,
    ) -> Result<Vec<RedisString>, StateError> {
        let got = self.read(key.as_ref(), Kind::List, |v| match v {
            Value::List(l) => match index_range(start, stop, l.len()) {
                Some(r) => l.range(r).map(RedisString::from).collect(),
                None => Vec::new(),
            },
            _ => unreachable!("read checked the kind"),
        })?;
        Ok(got.unwrap_or_default())
    }

    /// The length of the list at `key` (`LLEN`); 0 when it is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).llen("l")?, 0);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn llen(&self, key: impl AsRef<[u8]>) -> Result<usize, StateError> {
        let got = self.read(key.as_ref(), Kind::List, |v| match v {
            Value::List(l) => l.len(),
            _ => unreachable!("read checked the kind"),
        })?;
        Ok(got.unwrap_or(0))
    }
}
