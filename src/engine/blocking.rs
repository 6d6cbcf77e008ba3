//! The blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
//! BZPOPMIN, BZPOPMAX and BZMPOP.
//!
//! A command that finds nothing to pop records what it waits for in its
//! client ([`Blocked`]) and queues the client on each key (FIFO per key, as
//! Redis's `db->blocking_keys`). It answers nothing: the connection task
//! sees `Outcome::blocked`, stops processing the client's requests and waits
//! on the client's outbox.
//!
//! Every write goes through the keyspace's `touched` hook; while clients are
//! blocked on a database, it records the keys written. After each command
//! (after a whole EXEC, after a direct-state-API call) `Engine::after_command`
//! calls [`serve_ready`]: for each written key with waiters, in write order,
//! the waiters are served in the order they blocked while the key still
//! holds data of their type, each with the same pop/move the non-blocking
//! command performs (events, modification signal, deletion of an emptied
//! key). A BLMOVE that pushes to its destination makes that key ready in
//! turn. All of this happens under the engine lock, before any other
//! client's next command, so nobody can steal an element from a waiter.
//!
//! Timeouts run on the wall clock: the connection task sleeps until the
//! deadline and then calls [`timed_out`], which answers only if the client
//! is still blocked (a reply already on its way wins).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::args::{self, err};
use super::command::{BeginSearch, CommandSpec, FindKeys, KeySpecDef, acl, flags::*};
use super::keyspace::{Kind, wrongtype};
use super::ldouble::LongDouble;
use super::lists::{self, End as ListEnd};
use super::sorted_sets::{self, End as ZEnd};
use super::{Client, Ctx, Engine, pubsub};
use crate::protocol::Reply;

/// What a blocked client will do once a key is ready.
#[derive(Clone, Debug)]
pub(crate) enum BlockOp {
    /// BLPOP / BRPOP (`count: None`) and BLMPOP (`Some(count)`).
    Pop { end: ListEnd, count: Option<usize> },
    /// BLMOVE and BRPOPLPUSH.
    Move {
        dst: Bytes,
        from: ListEnd,
        to: ListEnd,
    },
    /// BZPOPMIN / BZPOPMAX (`count: None`) and BZMPOP (`Some(count)`).
    ZPop { end: ZEnd, count: Option<usize> },
}

impl BlockOp {
    fn kind(&self) -> Kind {
        match self {
            BlockOp::ZPop { .. } => Kind::ZSet,
            _ => Kind::List,
        }
    }
}

/// A blocked client's wait.
#[derive(Clone, Debug)]
pub(crate) struct Blocked {
    pub db: usize,
    pub keys: Vec<Bytes>,
    pub op: BlockOp,
    /// Wall-clock deadline; `None` waits forever (timeout 0).
    pub deadline: Option<Instant>,
}

/// Clients blocked on keys.
#[derive(Debug, Default)]
pub(crate) struct Blocking {
    /// (database, key) → client ids, in the order they blocked.
    waiters: HashMap<(usize, Bytes), VecDeque<u64>>,
}

impl Blocking {
    /// Whether anyone waits on a key of database `db`.
    fn db_has_waiters(&self, db: usize) -> bool {
        self.waiters.keys().any(|(d, _)| *d == db)
    }
}

const BLOCK_LIST: u32 = WRITE | NOSCRIPT | BLOCKING;

const BLMPOP_KEYS: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RW", "access", "delete"],
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("blpop", -3, blpop)
        .flags(BLOCK_LIST)
        .acl(acl::LIST)
        .keys(1, -2, 1, &["RW", "access", "delete"])
        .doc(
            "list",
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the first element in a list, or block until one is available",
        ),
    CommandSpec::new("brpop", -3, brpop)
        .flags(BLOCK_LIST)
        .acl(acl::LIST)
        .keys(1, -2, 1, &["RW", "access", "delete"])
        .doc(
            "list",
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the last element in a list, or block until one is available",
        ),
    CommandSpec::new("blmove", 6, blmove)
        .flags(BLOCK_LIST | DENYOOM)
        .acl(acl::LIST)
        .key_specs(MOVE_KEYS)
        .keys(1, 2, 1, &[])
        .doc(
            "list",
            "6.2.0",
            "O(1)",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
        ),
    CommandSpec::new("brpoplpush", 4, brpoplpush)
        .flags(BLOCK_LIST | DENYOOM)
        .acl(acl::LIST)
        .key_specs(MOVE_KEYS)
        .keys(1, 2, 1, &[])
        .doc(
            "list",
            "2.2.0",
            "O(1)",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
        ),
    CommandSpec::new("blmpop", -5, blmpop)
        .flags(WRITE | BLOCKING | MOVABLEKEYS)
        .acl(acl::LIST)
        .key_specs(BLMPOP_KEYS)
        .getkeys(numkeys_at_2)
        .doc(
            "list",
            "7.0.0",
            "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
            "Pop elements from a list, or block until one is available",
        ),
    CommandSpec::new("bzpopmin", -3, bzpopmin)
        .flags(BLOCK_LIST | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, -2, 1, &["RW", "access", "delete"])
        .doc(
            "sorted-set",
            "5.0.0",
            "O(log(N)) with N being the number of elements in the sorted set.",
            "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        ),
    CommandSpec::new("bzpopmax", -3, bzpopmax)
        .flags(BLOCK_LIST | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, -2, 1, &["RW", "access", "delete"])
        .doc(
            "sorted-set",
            "5.0.0",
            "O(log(N)) with N being the number of elements in the sorted set.",
            "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        ),
    CommandSpec::new("bzmpop", -5, bzmpop)
        .flags(WRITE | BLOCKING | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .key_specs(BLMPOP_KEYS)
        .getkeys(numkeys_at_2)
        .doc(
            "sorted-set",
            "7.0.0",
            "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
            "Remove and return members with scores in a sorted set or block until one is available",
        ),
];

const MOVE_KEYS: &[KeySpecDef] = &[
    KeySpecDef {
        notes: "",
        flags: &["RW", "access", "delete"],
        begin: BeginSearch::Index(1),
        find: FindKeys::Range {
            lastkey: 0,
            keystep: 1,
            limit: 0,
        },
    },
    KeySpecDef {
        notes: "",
        flags: &["RW", "insert"],
        begin: BeginSearch::Index(2),
        find: FindKeys::Range {
            lastkey: 0,
            keystep: 1,
            limit: 0,
        },
    },
];

/// The keys of BLMPOP / BZMPOP (`numkeys` at argument 2); none when
/// `numkeys` is not a positive count that fits the arguments.
fn numkeys_at_2(args: &[Bytes]) -> Vec<usize> {
    let n = args
        .get(2)
        .and_then(|a| crate::protocol::string2ll(a))
        .filter(|n| *n > 0)
        .map_or(0, |n| n as usize);
    if n == 0 || 3 + n > args.len() {
        return Vec::new();
    }
    (3..3 + n).collect()
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
        return Err(err("ERR timeout is negative"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

/// Blocks the client (unless it runs inside MULTI/EXEC, where Redis's
/// `CLIENT_DENY_BLOCKING` answers `deny` at once). The returned placeholder
/// is not written: `Outcome::blocked` tells the connection to wait.
fn block(
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
        deadline: timeout.map(|t| Instant::now() + t),
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

/// The client's deadline passed: if it is still blocked, unblocks it and
/// returns the timeout reply (the null array, whatever the command, as
/// Redis 7.0's `replyToBlockedClientTimedOut`).
pub(crate) fn timed_out(engine: &mut Engine, client_id: u64) -> Option<Reply> {
    let mut client = engine.clients.remove(&client_id)?;
    let was_blocked = client.blocked.is_some();
    unblock(engine, &mut client);
    engine.clients.insert(client_id, client);
    was_blocked.then_some(Reply::NilArray)
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
        let Some(kind) = engine.dbs[db].kind(key) else {
            break;
        };
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
        if op.kind() != kind {
            // Blocked for another type: keep its turn for later.
            if let Some(q) = engine.blocking.waiters.get_mut(&slot) {
                q.rotate_left(1);
            }
            continue;
        }
        let reply = serve_one(engine, db, key, &op);
        if let Some(mut client) = engine.clients.remove(&id) {
            unblock(engine, &mut client);
            engine.clients.insert(id, client);
        }
        pubsub::send_to(engine, None, id, &reply, true);
        served = true;
    }
    served
}

/// Performs a waiter's operation on a ready key and builds its reply.
fn serve_one(engine: &mut Engine, db: usize, key: &Bytes, op: &BlockOp) -> Reply {
    let d = &mut engine.dbs[db];
    match op {
        BlockOp::Pop { end, count } => {
            match lists::pop_for_blocked(d, key, *end, count.unwrap_or(1)) {
                Ok(Some(v)) if count.is_some() => lists::mpop_reply(Some((key.clone(), v))),
                Ok(Some(mut v)) if !v.is_empty() => {
                    Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(v.remove(0))])
                }
                Ok(_) => Reply::NilArray,
                Err(e) => e,
            }
        }
        BlockOp::Move { dst, from, to } => match lists::move_for_blocked(d, key, dst, *from, *to) {
            Ok(Some(v)) => Reply::Bulk(v),
            Ok(None) => Reply::Nil,
            Err(e) => e,
        },
        BlockOp::ZPop { end, count } => {
            let items = sorted_sets::pop_members(d, key, *end, count.unwrap_or(1));
            zpop_reply(key.clone(), items, count.is_some())
        }
    }
}

fn zpop_reply(key: Bytes, mut items: Vec<(Bytes, f64)>, mpop: bool) -> Reply {
    if mpop {
        return sorted_sets::mpop_reply(key, items);
    }
    match items.pop() {
        Some((member, score)) => Reply::Array(vec![
            Reply::Bulk(key),
            Reply::Bulk(member),
            Reply::Double(score),
        ]),
        None => Reply::NilArray,
    }
}

// --- commands -------------------------------------------------------------

type Res = Result<Reply, Reply>;

fn blpop(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| blocking_pop(ctx, ListEnd::Left))
}

fn brpop(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| blocking_pop(ctx, ListEnd::Right))
}

/// BLPOP / BRPOP (Redis's `blockingPopGenericCommand` with no count).
fn blocking_pop(ctx: &mut Ctx<'_>, end: ListEnd) -> Res {
    let n = ctx.args.len();
    let timeout = parse_timeout(&ctx.args[n - 1])?;
    let keys = ctx.args[1..n - 1].to_vec();
    let db = ctx.db();
    for key in &keys {
        if let Some(mut v) = lists::pop_for_blocked(db, key, end, 1)? {
            if let Some(value) = v.pop() {
                return Ok(Reply::Array(vec![
                    Reply::Bulk(key.clone()),
                    Reply::Bulk(value),
                ]));
            }
        }
    }
    let op = BlockOp::Pop { end, count: None };
    Ok(block(ctx, keys, op, timeout, Reply::NilArray))
}

fn blmpop(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let (keys, end, count) = lists::parse_mpop_args(&ctx.args[2..])?;
        let timeout = parse_timeout(ctx.arg(1))?;
        if let Some(popped) = lists::mpop_for_blocked(ctx.db(), &keys, end, count)? {
            return Ok(lists::mpop_reply(Some(popped)));
        }
        let op = BlockOp::Pop {
            end,
            count: Some(count),
        };
        Ok(block(ctx, keys, op, timeout, Reply::NilArray))
    })
}

fn blmove(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let from = ListEnd::parse(ctx.arg(3))?;
        let to = ListEnd::parse(ctx.arg(4))?;
        let timeout = parse_timeout(ctx.arg(5))?;
        blocking_move(ctx, from, to, timeout)
    })
}

fn brpoplpush(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let timeout = parse_timeout(ctx.arg(3))?;
        blocking_move(ctx, ListEnd::Right, ListEnd::Left, timeout)
    })
}

/// Redis's `blmoveGenericCommand`.
fn blocking_move(ctx: &mut Ctx<'_>, from: ListEnd, to: ListEnd, timeout: Option<Duration>) -> Res {
    let src = ctx.arg(1).clone();
    let dst = ctx.arg(2).clone();
    let db = ctx.db();
    if db.get_list(&src)?.is_some() {
        let moved = lists::move_for_blocked(db, &src, &dst, from, to)?;
        return Ok(moved.map_or(Reply::Nil, Reply::Bulk));
    }
    let op = BlockOp::Move { dst, from, to };
    Ok(block(ctx, vec![src], op, timeout, Reply::Nil))
}

fn bzpopmin(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| blocking_zpop(ctx, ZEnd::Min))
}

fn bzpopmax(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| blocking_zpop(ctx, ZEnd::Max))
}

/// BZPOPMIN / BZPOPMAX (Redis's `blockingGenericZpopCommand`).
fn blocking_zpop(ctx: &mut Ctx<'_>, end: ZEnd) -> Res {
    let n = ctx.args.len();
    let timeout = parse_timeout(&ctx.args[n - 1])?;
    let keys = ctx.args[1..n - 1].to_vec();
    let db = ctx.db();
    for key in &keys {
        match db.kind(key) {
            None => continue,
            Some(Kind::ZSet) => {
                let items = sorted_sets::pop_members(db, key, end, 1);
                return Ok(zpop_reply(key.clone(), items, false));
            }
            Some(_) => return Err(wrongtype()),
        }
    }
    let op = BlockOp::ZPop { end, count: None };
    Ok(block(ctx, keys, op, timeout, Reply::NilArray))
}

fn bzmpop(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let (keys, end, count) = sorted_sets::parse_mpop(ctx.args, 2)?;
        let timeout = parse_timeout(ctx.arg(1))?;
        let db = ctx.db();
        if let Some(key) = sorted_sets::first_zset_key(db, &keys)? {
            let items = sorted_sets::pop_members(db, &key, end, count);
            return Ok(sorted_sets::mpop_reply(key, items));
        }
        let op = BlockOp::ZPop {
            end,
            count: Some(count),
        };
        Ok(block(ctx, keys, op, timeout, Reply::NilArray))
    })
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
