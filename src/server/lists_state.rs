//! Lists in the direct state API: pushes from the test that serve clients
//! blocked on the key (BLPOP, BLMOVE, ...) exactly as a client's push does.

use bytes::Bytes;

use super::DbHandle;
use crate::engine::lists::{self, End};

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
