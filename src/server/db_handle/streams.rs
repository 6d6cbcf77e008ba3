//! Streams on [`DbHandle`]: `xadd`, `xlen`, `xrange`, `xrevrange` and
//! [`StreamEntry`].

use super::{DbHandle, RedisString, StateError, args_with, bulk};
use crate::engine::commands::streams::range_bounds;
use crate::engine::types::{Kind, Value};
use crate::protocol::Reply;

/// One stream entry as the state API reads it: its ID (`<ms>-<seq>`) and
/// its fields and values in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEntry {
    /// The entry ID, `<ms>-<seq>`.
    pub id: RedisString,
    /// The field–value pairs, in the order they were added.
    pub fields: Vec<(RedisString, RedisString)>,
}

impl DbHandle {
    /// Appends an entry to the stream at `key` (`XADD key <id> field value
    /// ...`), creating the stream when missing, and returns its ID. `id` is
    /// `"*"` for an ID from the engine clock (predictable under
    /// [`freeze_time`](crate::MockRedis::freeze_time)), `"<ms>-*"`, or an
    /// explicit `"<ms>-<seq>"`. Clients blocked in `XREAD` or
    /// `XREADGROUP` on the key are served at once.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let db = server.db(0);
    /// assert_eq!(db.xadd("events", "1-1", [("kind", "signup")])?, "1-1");
    /// assert_eq!(db.xadd("events", "1-*", [("kind", "login")])?, "1-2");
    /// assert_eq!(db.xlen("events")?, 2);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn xadd<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        id: impl AsRef<[u8]>,
        fields: impl IntoIterator<Item = (F, V)>,
    ) -> Result<RedisString, StateError> {
        let mut rest: Vec<Vec<u8>> = vec![id.as_ref().to_vec()];
        for (f, v) in fields {
            rest.push(f.as_ref().to_vec());
            rest.push(v.as_ref().to_vec());
        }
        let key = key.as_ref();
        let (args, _) = args_with("XADD", key, rest);
        let reply = self.command(key, Kind::Stream, true, args)?;
        Ok(reply
            .and_then(bulk)
            .unwrap_or_else(|| RedisString::from("")))
    }

    /// The number of entries in the stream at `key` (`XLEN`); 0 when it is
    /// missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).xlen("events")?, 0);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn xlen(&self, key: impl AsRef<[u8]>) -> Result<usize, StateError> {
        let key = key.as_ref();
        let got = self.read(key, Kind::Stream, |v| match v {
            Value::Stream(s) => s.len() as usize,
            _ => unreachable!("read checked the kind"),
        })?;
        Ok(got.unwrap_or(0))
    }

    /// The entries of the stream at `key` with IDs from `start` to `end`
    /// inclusive, oldest first, with `XRANGE`'s ID syntax (`-`, `+`, `<ms>`,
    /// `<ms>-<seq>`, `(` for an exclusive bound); empty when the key is
    /// missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let db = server.db(0);
    /// db.xadd("events", "1-1", [("kind", "signup")])?;
    /// db.xadd("events", "2-1", [("kind", "login")])?;
    /// let entries = db.xrange("events", "(1-1", "+")?;
    /// assert_eq!(entries.len(), 1);
    /// assert_eq!(entries[0].id, "2-1");
    /// assert_eq!(entries[0].fields, [("kind".into(), "login".into())]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn xrange(
        &self,
        key: impl AsRef<[u8]>,
        start: impl AsRef<[u8]>,
        end: impl AsRef<[u8]>,
    ) -> Result<Vec<StreamEntry>, StateError> {
        self.range_read(key.as_ref(), start.as_ref(), end.as_ref(), false)
    }

    /// [`xrange`](DbHandle::xrange) newest first (`XREVRANGE key end
    /// start`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let db = server.db(0);
    /// db.xadd("events", "1-1", [("n", "1")])?;
    /// db.xadd("events", "2-1", [("n", "2")])?;
    /// assert_eq!(db.xrevrange("events", "+", "-")?[0].id, "2-1");
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn xrevrange(
        &self,
        key: impl AsRef<[u8]>,
        end: impl AsRef<[u8]>,
        start: impl AsRef<[u8]>,
    ) -> Result<Vec<StreamEntry>, StateError> {
        self.range_read(key.as_ref(), start.as_ref(), end.as_ref(), true)
    }

    /// Reads a range (no access counted); ID errors are `Rejected` with
    /// XRANGE's error text.
    fn range_read(
        &self,
        key: &[u8],
        start: &[u8],
        end: &[u8],
        rev: bool,
    ) -> Result<Vec<StreamEntry>, StateError> {
        let (start, end) = range_bounds(start, end).map_err(|e| StateError::Rejected {
            key: RedisString::from(key),
            error: match e {
                Reply::Error(t) => String::from_utf8_lossy(&t).into_owned(),
                other => format!("{other:?}"),
            },
        })?;
        let got = self.read(key, Kind::Stream, |v| match v {
            Value::Stream(s) => s.range(start, end, 0, rev),
            _ => unreachable!("read checked the kind"),
        })?;
        Ok(got
            .unwrap_or_default()
            .into_iter()
            .map(|(id, fields)| StreamEntry {
                id: RedisString::from(id.to_string()),
                fields: fields
                    .chunks(2)
                    .map(|p| (RedisString::from(&p[0][..]), RedisString::from(&p[1][..])))
                    .collect(),
            })
            .collect())
    }
}
