//! The blocking framework behind BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
//! BZPOPMIN, BZPOPMAX, BZMPOP, XREAD and XREADGROUP (the commands
//! themselves live with their type's group: `commands/lists.rs`,
//! `commands/sorted_sets/`, `commands/streams/read.rs`).
//!
//! A command that finds nothing to pop calls [`block`]: it records what the
//! client waits for ([`Blocked`], with a [`BlockOp`] saying which type the
//! client waits for and how to serve it) and queues the client on each key
//! (FIFO per key, as Redis's `db->blocking_keys`). It answers nothing: the
//! connection task sees `Outcome::blocked`, stops processing the client's
//! requests and waits on the client's outbox.
//!
//! Every write goes through the keyspace's `touched` hook; while clients are
//! blocked on a database, it records the keys written. After each command
//! (after a whole EXEC, after a direct-state-API call) `Engine::after_command`
//! calls [`serve_ready`]: for each written key with waiters, in write order,
//! the waiters are served in the order they blocked while the key still
//! holds data of their type, each with its [`BlockOp::serve`]: the same
//! pop/move the non-blocking command performs (events, modification signal,
//! deletion of an emptied key). A BLMOVE that pushes to its destination
//! makes that key ready in turn. All of this happens under the engine lock,
//! before any other client's next command, so nobody can steal an element
//! from a waiter.
//!
//! Timeouts follow the engine clock, as key expiry does: [`block`] records
//! the deadline in engine-clock milliseconds, and a client times out once
//! the clock is strictly past it (Redis's `timeout < now`). Three paths
//! get there, all answering the null array once: the connection task
//! sleeps on the wall clock until the engine clock would pass the deadline
//! (never while the clock is frozen) and calls [`time_out_if_due`];
//! `fast_forward` and `set_time` move the clock and call [`time_out_due`]
//! at once, and so does the active-expiry cycle every 100 ms (Redis's
//! `clientsCron`), which catches deadlines the clock reached by being
//! moved or let run again. A reply already on its way wins over the
//! timeout.
//!
//! A [`BlockOp`] may carry a `ready` check instead of a type: XREAD waits
//! for entries past an ID (a key of another type, or deleted, keeps it
//! waiting), XREADGROUP is also served (with an error) once its key or
//! group is gone. FLUSHALL and SWAPDB report every key they remove or bring
//! so such waiters hear of it.
//!
//! This module never imports a command group: a new blocking command (WAIT,
//! ...) builds its own [`BlockOp`] and calls [`block`].

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::command::CmdResult;
use super::keyspace::Db;
use super::types::Kind;
use super::util::args;
use super::util::errors::{NEGATIVE_TIMEOUT, err};
use super::util::ldouble::LongDouble;
use super::{Client, Ctx, Engine, delivery};
use crate::protocol::Reply;

/// How a blocked client is served once a key it waits on is ready: the
/// performing half of the command that blocked it, shaped as a handler
/// (`Err` for an error reply).
pub(crate) type ServeFn = dyn Fn(&mut Db, &Bytes) -> CmdResult + Send + Sync;

/// Whether a blocked client can be served now (the key may be missing).
pub(crate) type ReadyFn = dyn Fn(&mut Db, &Bytes) -> bool + Send + Sync;

/// What a blocked client will do once a key is ready.
#[derive(Clone)]
pub(crate) struct BlockOp {
    /// The type the client waits for: a key written with another type
    /// keeps it waiting (and keeps its turn).
    pub kind: Kind,
    /// Performs the command on the ready key (which holds a `kind` value)
    /// with its side effects, and returns the reply to send.
    pub serve: Arc<ServeFn>,
    /// When set, decides instead of `kind` whether a written key serves
    /// the client (XREAD waits for entries past an ID; XREADGROUP is also
    /// served, with an error, once its key or group is gone).
    pub ready: Option<Arc<ReadyFn>>,
}

impl BlockOp {
    /// A wait for a `kind` key, served by `serve`.
    pub fn new(
        kind: Kind,
        serve: impl Fn(&mut Db, &Bytes) -> CmdResult + Send + Sync + 'static,
    ) -> BlockOp {
        BlockOp {
            kind,
            serve: Arc::new(serve),
            ready: None,
        }
    }

    /// The same wait, served once `ready` says so (see [`BlockOp::ready`]).
    pub fn with_ready(
        mut self,
        ready: impl Fn(&mut Db, &Bytes) -> bool + Send + Sync + 'static,
    ) -> BlockOp {
        self.ready = Some(Arc::new(ready));
        self
    }
}

impl fmt::Debug for BlockOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockOp").field("kind", &self.kind).finish()
    }
}

/// A blocked client's wait.
#[derive(Clone, Debug)]
pub(crate) struct Blocked {
    pub db: usize,
    pub keys: Vec<Bytes>,
    pub op: BlockOp,
    /// Engine-clock deadline in Unix milliseconds (the clock reading of
    /// the blocking command plus its timeout); `None` waits forever
    /// (timeout 0). The client times out once the clock is past it.
    pub deadline: Option<i64>,
}

/// Clients blocked on keys.
#[derive(Debug, Default)]
pub(crate) struct Blocking {
    /// (database, key) → client ids, in the order they blocked.
    waiters: HashMap<(usize, Bytes), VecDeque<u64>>,
}

impl Blocking {
    /// Whether anyone waits on a key (of any database).
    pub fn any_waiters(&self) -> bool {
        !self.waiters.is_empty()
    }

    /// Whether anyone waits on a key of database `db`.
    fn db_has_waiters(&self, db: usize) -> bool {
        self.waiters.keys().any(|(d, _)| *d == db)
    }
}

/// Redis 7.0's `getTimeoutFromObjectOrReply` in seconds: a `long double`
/// (`strtold`, whole string), times 1000, rounded up (`ceill`) and cast to
/// a `long long` (an x87 cast gives `LLONG_MIN` out of range, so huge
/// values and infinities are "negative"). `Ok(None)` is 0: wait forever.
pub(crate) fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, Reply> {
    let not_float = || err("ERR timeout is not a float or out of range");
    LongDouble::parse(arg).ok_or_else(not_float)?;
    let secs = args::parse_strtod(arg).ok_or_else(not_float)?;
    let ms = (secs * 1000.0).ceil();
    // 2^63: at or beyond it (or infinite) the x87 cast gives LLONG_MIN.
    const LIMIT: f64 = 9.223_372_036_854_776e18;
    let ms = if (-LIMIT..LIMIT).contains(&ms) {
        ms as i64
    } else {
        i64::MIN
    };
    if ms < 0 {
        return Err(err(NEGATIVE_TIMEOUT));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

/// Blocks the client (unless it runs inside MULTI/EXEC, where Redis's
/// `CLIENT_DENY_BLOCKING` answers `deny` at once). The returned placeholder
/// is not written: `Outcome::blocked` tells the connection to wait.
pub(crate) fn block(
    ctx: &mut Ctx<'_>,
    keys: Vec<Bytes>,
    op: BlockOp,
    timeout: Option<Duration>,
    deny: Reply,
) -> Reply {
    if ctx.client.multi.is_some() || ctx.client.outbox.is_none() {
        return deny;
    }
    let db = ctx.client.db;
    let id = ctx.client.id;
    let mut seen: Vec<&Bytes> = Vec::new();
    for key in &keys {
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        ctx.engine
            .blocking
            .waiters
            .entry((db, key.clone()))
            .or_default()
            .push_back(id);
    }
    ctx.engine.dbs[db].set_track_touched(true);
    ctx.client.blocked = Some(Blocked {
        db,
        keys,
        op,
        deadline: timeout.map(|t| {
            let ms = i64::try_from(t.as_millis()).unwrap_or(i64::MAX);
            ctx.engine.now_ms().saturating_add(ms)
        }),
    });
    Reply::Nil
}

/// Forgets a client's wait (served, timed out, disconnected).
pub(crate) fn unblock(engine: &mut Engine, client: &mut Client) {
    let Some(blocked) = client.blocked.take() else {
        return;
    };
    for key in blocked.keys {
        let slot = (blocked.db, key);
        if let Some(q) = engine.blocking.waiters.get_mut(&slot) {
            q.retain(|&i| i != client.id);
            if q.is_empty() {
                engine.blocking.waiters.remove(&slot);
            }
        }
    }
    if !engine.blocking.db_has_waiters(blocked.db) {
        engine.dbs[blocked.db].set_track_touched(false);
    }
}

/// Times the client out now, deadline or not: if it is still blocked,
/// unblocks it and returns the timeout reply (the null array, whatever the
/// command, as Redis 7.0's `replyToBlockedClientTimedOut`).
pub(crate) fn timed_out(engine: &mut Engine, client_id: u64) -> Option<Reply> {
    let mut client = engine.clients.remove(&client_id)?;
    let was_blocked = client.blocked.is_some();
    unblock(engine, &mut client);
    engine.clients.insert(client_id, client);
    was_blocked.then_some(Reply::NilArray)
}

/// Whether the client is blocked with a deadline the engine clock reading
/// ([`Engine::now_ms`]) is past.
fn is_due(engine: &Engine, client_id: u64) -> bool {
    let now = engine.now_ms();
    engine
        .clients
        .get(&client_id)
        .and_then(|c| c.blocked.as_ref())
        .and_then(|b| b.deadline)
        .is_some_and(|deadline| deadline < now)
}

/// [`timed_out`] if the client's deadline has passed on the engine clock
/// (read afresh); `None` when it has not, or the client is not blocked.
pub(crate) fn time_out_if_due(engine: &mut Engine, client_id: u64) -> Option<Reply> {
    engine.refresh_time();
    if is_due(engine, client_id) {
        timed_out(engine, client_id)
    } else {
        None
    }
}

/// Times out every blocked client whose deadline the clock reading is past
/// (Redis's `handleBlockedClientsTimeout`), sending each the timeout reply
/// on its outbox. Returns how many timed out. The caller has refreshed the
/// clock reading.
pub(crate) fn time_out_due(engine: &mut Engine) -> usize {
    if engine.blocking.waiters.is_empty() {
        return 0;
    }
    let mut due: Vec<(i64, u64)> = engine
        .clients
        .iter()
        .filter_map(|(&id, c)| {
            let deadline = c.blocked.as_ref()?.deadline?;
            (deadline < engine.now_ms()).then_some((deadline, id))
        })
        .collect();
    // Earliest deadline first, then blocking order (ids grow), as Redis's
    // timeout table is ordered.
    due.sort_unstable();
    for &(_, id) in &due {
        if let Some(reply) = timed_out(engine, id) {
            delivery::send_to(engine, None, id, &reply, true);
        }
    }
    due.len()
}

/// How many clients are blocked (INFO `blocked_clients`).
pub(crate) fn blocked_count(engine: &Engine) -> usize {
    engine
        .clients
        .values()
        .filter(|c| c.blocked.is_some())
        .count()
}

/// How many blocked clients have a deadline (INFO `clients_in_timeout_table`).
pub(crate) fn timeout_table_count(engine: &Engine) -> usize {
    engine
        .clients
        .values()
        .filter(|c| c.blocked.as_ref().is_some_and(|b| b.deadline.is_some()))
        .count()
}

/// Serves the clients blocked on keys written since the last call. Returns
/// whether anything was served (the caller runs again: serving writes).
pub(crate) fn serve_ready(engine: &mut Engine) -> bool {
    if engine.blocking.waiters.is_empty() {
        for db in &mut engine.dbs {
            db.take_touched();
        }
        return false;
    }
    let mut ready: Vec<(usize, Bytes)> = Vec::new();
    for db in &mut engine.dbs {
        if !db.has_touched() {
            continue;
        }
        let id = db.id;
        for key in db.take_touched() {
            let slot = (id, key);
            if engine.blocking.waiters.contains_key(&slot) && !ready.contains(&slot) {
                ready.push(slot);
            }
        }
    }
    let mut served = false;
    for (db, key) in ready {
        served |= serve_key(engine, db, &key);
    }
    served
}

/// Serves the waiters of one key in blocking order while it holds data.
fn serve_key(engine: &mut Engine, db: usize, key: &Bytes) -> bool {
    let slot = (db, key.clone());
    let rounds = engine.blocking.waiters.get(&slot).map_or(0, VecDeque::len);
    let mut served = false;
    for _ in 0..rounds {
        let kind = engine.dbs[db].kind(key);
        let Some(id) = engine
            .blocking
            .waiters
            .get(&slot)
            .and_then(|q| q.front().copied())
        else {
            break;
        };
        let Some(op) = engine
            .clients
            .get(&id)
            .and_then(|c| c.blocked.as_ref())
            .map(|b| b.op.clone())
        else {
            // Not a blocked client any more: drop the stale entry.
            if let Some(q) = engine.blocking.waiters.get_mut(&slot) {
                q.pop_front();
            }
            continue;
        };
        let go = match &op.ready {
            Some(ready) => ready(&mut engine.dbs[db], key),
            None => kind == Some(op.kind),
        };
        if !go {
            // Blocked for another type, or not ready: keep its turn.
            if let Some(q) = engine.blocking.waiters.get_mut(&slot) {
                q.rotate_left(1);
            }
            continue;
        }
        let mark = engine.dbs[db].touched_len();
        let (Ok(reply) | Err(reply)) = (op.serve)(&mut engine.dbs[db], key);
        // The replicas get the new value of each key the serve wrote (the
        // popped key, BLMOVE's destination).
        let written = engine.dbs[db].touched_from(mark);
        if !written.is_empty() && !engine.repl.replicas.is_empty() {
            engine.repl.served_writes.push((db, written));
        }
        if let Some(mut client) = engine.clients.remove(&id) {
            unblock(engine, &mut client);
            engine.clients.insert(id, client);
        }
        delivery::send_to(engine, None, id, &reply, true);
        served = true;
    }
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis_7_0() {
        let ok = |s: &str| parse_timeout(s.as_bytes()).unwrap();
        let err = |s: &str| match parse_timeout(s.as_bytes()) {
            Err(Reply::Error(e)) => String::from_utf8(e.to_vec()).unwrap(),
            other => panic!("{s:?}: {other:?}"),
        };
        assert_eq!(ok("0"), None);
        assert_eq!(ok("1"), Some(Duration::from_secs(1)));
        assert_eq!(ok("0.25"), Some(Duration::from_millis(250)));
        // ceill: a sub-millisecond timeout still waits 1 ms ...
        assert_eq!(ok("0.0001"), Some(Duration::from_millis(1)));
        // ... and a tiny negative one rounds up to 0: wait forever.
        assert_eq!(ok("-0.0001"), None);
        assert_eq!(err("-1"), "ERR timeout is negative");
        assert_eq!(err("1e30"), "ERR timeout is negative");
        assert_eq!(err("inf"), "ERR timeout is negative");
        for bad in ["x", "", " 1", "1 ", "nan", "1x", "0x"] {
            assert_eq!(
                err(bad),
                "ERR timeout is not a float or out of range",
                "{bad:?}"
            );
        }
    }
}
