//! Sorted sets on [`DbHandle`]: `zadd`, `zrem`, `zincr`, `zscore`, `zrange`,
//! `zrange_withscores`, `zcard`.

use super::{DbHandle, RedisString, StateError, args_with, count, index_range, unexpected};
use crate::engine::types::zset::ZSet;
use crate::engine::types::{Kind, Value};
use crate::protocol::Reply;

impl DbHandle {
    /// Adds `(member, score)` pairs to the sorted set at `key` (`ZADD key
    /// score member ...`; an existing member gets the new score), creating
    /// it when missing; returns how many members are new.
    /// [`StateError::Rejected`] for a NaN score.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).zadd("board", [("alice", 10.0), ("bob", 7.5)])?, 2);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn zadd<M: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        members: impl IntoIterator<Item = (M, f64)>,
    ) -> Result<usize, StateError> {
        let key = key.as_ref();
        let flat: Vec<Vec<u8>> = members
            .into_iter()
            .flat_map(|(m, s)| [score_arg(s), m.as_ref().to_vec()])
            .collect();
        let (args, elements) = args_with("ZADD", key, flat);
        self.command(key, Kind::ZSet, elements, args).map(count)
    }

    /// Removes `members` from the sorted set at `key` (`ZREM`; the key goes
    /// with its last member) and returns how many were there.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).zadd("board", [("alice", 1.0)])?;
    /// assert_eq!(server.db(0).zrem("board", ["alice", "zoe"])?, 1);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn zrem<M: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        members: impl IntoIterator<Item = M>,
    ) -> Result<usize, StateError> {
        let key = key.as_ref();
        let (args, elements) = args_with("ZREM", key, members);
        self.command(key, Kind::ZSet, elements, args).map(count)
    }

    /// Adds `by` to the score of `member` (`ZINCRBY`; a missing member
    /// starts at 0) and returns the new score.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).zincr("board", "alice", 2.5)?, 2.5);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn zincr(
        &self,
        key: impl AsRef<[u8]>,
        member: impl AsRef<[u8]>,
        by: f64,
    ) -> Result<f64, StateError> {
        let key = key.as_ref();
        let (args, _) = args_with("ZINCRBY", key, [score_arg(by), member.as_ref().to_vec()]);
        match self.command(key, Kind::ZSet, true, args)? {
            Some(Reply::Double(d)) => Ok(d),
            other => unexpected(&other.unwrap_or(Reply::Nil)),
        }
    }

    /// The score of `member` in the sorted set at `key`; `Ok(None)` when
    /// the key or the member is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).zadd("board", [("alice", 10.0)])?;
    /// assert_eq!(server.db(0).zscore("board", "alice")?, Some(10.0));
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn zscore(
        &self,
        key: impl AsRef<[u8]>,
        member: impl AsRef<[u8]>,
    ) -> Result<Option<f64>, StateError> {
        let member = member.as_ref();
        let got = self.read(key.as_ref(), Kind::ZSet, |v| zset(v).score(member))?;
        Ok(got.flatten())
    }

    /// The members of the sorted set at `key` ranked `start` to `stop`
    /// inclusive, lowest score first (`ZRANGE`'s index rules: `0, -1` is
    /// all of it); empty when missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).zadd("board", [("alice", 10.0), ("bob", 7.5)])?;
    /// assert_eq!(server.db(0).zrange("board", 0, -1)?, ["bob", "alice"]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn zrange(
        &self,
        key: impl AsRef<[u8]>,
        start: isize,
        stop: isize,
    ) -> Result<Vec<RedisString>, StateError> {
        let all = self.zrange_withscores(key, start, stop)?;
        Ok(all.into_iter().map(|(m, _)| m).collect())
    }

    /// [`zrange`](DbHandle::zrange) with each member's score
    /// (`ZRANGE ... WITHSCORES`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).zadd("board", [("alice", 10.0), ("bob", 7.5)])?;
    /// assert_eq!(server.db(0).zrange_withscores("board", 0, 0)?, [("bob".into(), 7.5)]);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn zrange_withscores(
        &self,
        key: impl AsRef<[u8]>,
        start: isize,
        stop: isize,
    ) -> Result<Vec<(RedisString, f64)>, StateError> {
        let got = self.read(key.as_ref(), Kind::ZSet, |v| {
            let z = zset(v);
            match index_range(start, stop, z.len()) {
                Some(r) => z
                    .range(*r.start(), *r.end() + 1)
                    .map(|(m, s)| (RedisString::from(m), s))
                    .collect(),
                None => Vec::new(),
            }
        })?;
        Ok(got.unwrap_or_default())
    }

    /// The number of members of the sorted set at `key` (`ZCARD`); 0 when
    /// missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).zcard("board")?, 0);
    /// # Ok::<(), mock_redis::StateError>(())
    /// ```
    pub fn zcard(&self, key: impl AsRef<[u8]>) -> Result<usize, StateError> {
        let got = self.read(key.as_ref(), Kind::ZSet, |v| zset(v).len())?;
        Ok(got.unwrap_or(0))
    }
}

/// A score as a command argument: Rust's shortest text that reads back as
/// the same `f64` (`inf`, `-inf` and `NaN` as Redis spells or refuses them).
fn score_arg(score: f64) -> Vec<u8> {
    score.to_string().into_bytes()
}

fn zset(v: &Value) -> &ZSet {
    match v {
        Value::ZSet(z) => z,
        _ => unreachable!("read checked the kind"),
    }
}
