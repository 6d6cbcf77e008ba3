//! Pops: ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms BZPOPMIN,
//! BZPOPMAX and BZMPOP, all built on [`pop_members`].

use bytes::Bytes;

use super::{members_reply, resp3};
use crate::engine::Ctx;
use crate::engine::blocking::{BlockOp, block, parse_timeout};
use crate::engine::command::CmdResult;
use crate::engine::keyspace::{Db, events};
use crate::engine::types::Kind;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NOT_POSITIVE, err, syntax_error, wrongtype};
use crate::protocol::Reply;

/// Which end of a sorted set a pop takes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Lowest scores first (ZPOPMIN, BZPOPMIN, ZMPOP MIN).
    Min,
    /// Highest scores first (ZPOPMAX, BZPOPMAX, ZMPOP MAX).
    Max,
}

/// Pops up to `count` members from the sorted set at `key`, with Redis's
/// side effects: the `zpopmin`/`zpopmax` event, the modification signal
/// and the deletion (plus `del` event) of an emptied key. Returns nothing
/// when the key is missing. The caller has checked the type.
/// ZPOPMIN, ZPOPMAX and ZMPOP pop with it, and so are clients blocked by
/// BZPOPMIN, BZPOPMAX and BZMPOP served.
fn pop_members(db: &mut Db, key: &Bytes, end: End, count: usize) -> Vec<(Bytes, f64)> {
    let Ok(Some(z)) = db.get_zset_mut(key) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(count.min(z.len()));
    while out.len() < count {
        let rank = match end {
            End::Min => 0,
            End::Max => z.len().saturating_sub(1),
        };
        match z.pop_at(rank) {
            Some(p) => out.push(p),
            None => break,
        }
    }
    if !out.is_empty() {
        let event = match end {
            End::Min => "zpopmin",
            End::Max => "zpopmax",
        };
        db.notify(events::ZSET, event, key);
        db.touched(key);
        db.remove_if_empty(key);
    }
    out
}

/// The first of `keys` holding a sorted set, as Redis's `genericZpopCommand`
/// finds it: missing keys are skipped, a key of another type is an error.
fn first_zset_key(db: &mut Db, keys: &[Bytes]) -> Result<Option<Bytes>, Reply> {
    for k in keys {
        if db.get_zset_mut(k)?.is_some() {
            return Ok(Some(k.clone()));
        }
    }
    Ok(None)
}

/// The ZMPOP/BZMPOP reply: `[key, [[member, score], ...]]`.
fn mpop_reply(key: Bytes, items: Vec<(Bytes, f64)>) -> Reply {
    Reply::Array(vec![Reply::Bulk(key), members_reply(items, true, true)])
}

fn zpop_minmax(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(syntax_error());
    }
    let count = match ctx.args.get(2) {
        Some(c) => {
            let n = args::int_or(c, NOT_POSITIVE)?;
            if n < 0 {
                return Err(err(NOT_POSITIVE));
            }
            Some(n as usize)
        }
        None => None,
    };
    let resp3 = resp3(ctx);
    let key = ctx.arg(1);
    let db = ctx.db();
    if first_zset_key(db, std::slice::from_ref(key))?.is_none() || count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let items = pop_members(db, key, end, count.unwrap_or(1));
    // RESP3 with a count: nested pairs; otherwise a flat array.
    Ok(members_reply(items, true, resp3 && count.is_some()))
}

pub(super) fn zpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop_minmax(ctx, End::Min)
}

pub(super) fn zpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop_minmax(ctx, End::Max)
}

/// Parses ZMPOP/BZMPOP arguments from `numkeys_idx`: the keys, the end and
/// the count (Redis's `zmpopGenericCommand`).
fn parse_mpop(args: &[Bytes], numkeys_idx: usize) -> Result<(Vec<Bytes>, End, usize), Reply> {
    let numkeys = args::numkeys(&args[numkeys_idx])? as usize;
    let where_idx = numkeys_idx.saturating_add(numkeys).saturating_add(1);
    if where_idx >= args.len() {
        return Err(syntax_error());
    }
    let end = if is(&args[where_idx], "min") {
        End::Min
    } else if is(&args[where_idx], "max") {
        End::Max
    } else {
        return Err(syntax_error());
    };
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count.is_none() && is(&args[j], "count") && more > 0 {
            j += 1;
            count = Some(args::positive_count(&args[j])? as usize);
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let keys = args[numkeys_idx + 1..where_idx].to_vec();
    Ok((keys, end, count.unwrap_or(1)))
}

pub(super) fn zmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, end, count) = parse_mpop(ctx.args, 1)?;
    let db = ctx.db();
    let Some(key) = first_zset_key(db, &keys)? else {
        return Ok(Reply::NilArray);
    };
    let items = pop_members(db, &key, end, count);
    Ok(mpop_reply(key, items))
}

// --- blocking pops ------------------------------------------------------------

pub(super) fn bzpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    blocking_zpop(ctx, End::Min)
}

pub(super) fn bzpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    blocking_zpop(ctx, End::Max)
}

/// BZPOPMIN / BZPOPMAX (Redis's `blockingGenericZpopCommand`).
fn blocking_zpop(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let n = ctx.args.len();
    let timeout = parse_timeout(&ctx.args[n - 1])?;
    let keys = ctx.args[1..n - 1].to_vec();
    let db = ctx.db();
    for key in &keys {
        match db.kind(key) {
            None => continue,
            Some(Kind::ZSet) => {
                let items = pop_members(db, key, end, 1);
                return Ok(zpop_reply(key.clone(), items, false));
            }
            Some(_) => return Err(wrongtype()),
        }
    }
    Ok(block(
        ctx,
        keys,
        pop_waiter(end, None),
        timeout,
        Reply::NilArray,
    ))
}

pub(super) fn bzmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, end, count) = parse_mpop(ctx.args, 2)?;
    let timeout = parse_timeout(ctx.arg(1))?;
    let db = ctx.db();
    if let Some(key) = first_zset_key(db, &keys)? {
        let items = pop_members(db, &key, end, count);
        return Ok(mpop_reply(key, items));
    }
    let op = pop_waiter(end, Some(count));
    Ok(block(ctx, keys, op, timeout, Reply::NilArray))
}

/// The BZPOPMIN / BZPOPMAX reply (`[key, member, score]`), or with `mpop`
/// the BZMPOP one.
fn zpop_reply(key: Bytes, mut items: Vec<(Bytes, f64)>, mpop: bool) -> Reply {
    if mpop {
        return mpop_reply(key, items);
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

/// How a client blocked by BZPOPMIN / BZPOPMAX (`count: None`) or BZMPOP
/// (`Some(count)`) is served once one of its keys holds a sorted set.
fn pop_waiter(end: End, count: Option<usize>) -> BlockOp {
    BlockOp::new(Kind::ZSet, move |db, key| {
        let items = pop_members(db, key, end, count.unwrap_or(1));
        Ok(zpop_reply(key.clone(), items, count.is_some()))
    })
}
