//! Strings on [`DbHandle`]: `get`, `set`, `set_with_ttl`, `incr`.

use std::time::Duration;

use super::{DbHandle, RedisString, StateError, args_with, int, millis};
use crate::engine::commands::strings;
use crate::engine::types::{Kind, Str, Value};

impl DbHandle {
    /// Sets `key` to the string `value`, whatever it held, dropping any
    /// time to live (`SET`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// server.db(0).set(String::from("bin"), vec![0u8, 255]);
    /// assert_eq!(server.db(0).get("k")?, Some("v".into()));
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn set(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let value = Str::from(value.as_ref());
        self.with(|db| strings::store_string(db, key.as_ref(), value, false, None));
    }

    /// Sets `key` to `value` with a time to live (`SET ... PX`). The key
    /// expires once the engine clock is past its deadline: after
    /// [`fast_forward`](crate::MockRedis::fast_forward)`(ttl)` it is still
    /// there, 1ms later it is gone.
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set_with_ttl("k", "v", Duration::from_secs(60));
    /// assert!(server.db(0).ttl("k").unwrap() <= Duration::from_secs(60));
    /// ```
    pub fn set_with_ttl(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>, ttl: Duration) {
        let value = Str::from(value.as_ref());
        self.with(|db| {
            let at = db.now_ms().saturating_add(millis(ttl));
            strings::store_string(db, key.as_ref(), value, false, Some(at));
        });
    }

    /// The string at `key`: `Ok(None)` when it is missing,
    /// [`StateError::WrongType`] when it holds another type.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert_eq!(server.db(0).get("k")?.unwrap(), "v");
    /// assert_eq!(server.db(0).get("missing")?, None);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<RedisString>, StateError> {
        self.read(key.as_ref(), Kind::String, |v| match v {
            Value::String(s) => RedisString::from(&s[..]),
            _ => unreachable!("read checked the kind"),
        })
    }

    /// Adds `by` to the integer at `key` (`INCRBY`; a missing key counts as
    /// 0) and returns the result. [`StateError::Rejected`] when the value is
    /// not an integer or the result overflows, as Redis refuses them.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).incr("hits", 1)?, 1);
    /// assert_eq!(server.db(0).incr("hits", -5)?, -4);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn incr(&self, key: impl AsRef<[u8]>, by: i64) -> Result<i64, StateError> {
        let key = key.as_ref();
        let (args, _) = args_with("INCRBY", key, [by.to_string()]);
        self.command(key, Kind::String, true, args).map(int)
    }
}
