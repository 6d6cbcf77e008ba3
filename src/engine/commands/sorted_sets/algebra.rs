//! Sorted-set algebra: ZUNION, ZINTER, ZDIFF, ZINTERCARD and their STORE
//! forms, over sorted sets and plain sets (a set member scores 1).

use std::collections::HashMap;

use bytes::Bytes;

use super::ranges::store_zset;
use super::{limits, members_reply, resp3};
use crate::engine::Ctx;
use crate::engine::command::CmdResult;
use crate::engine::types::Value;
use crate::engine::types::zset::{ZSet, owned};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NEGATIVE_LIMIT, err, syntax_error, wrongtype};
use crate::protocol::Reply;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// An input of ZUNION & co: a sorted set, a plain set (every score 1) or nothing.
/// Borrowed from the keyspace: a key given many times is not copied.
enum Source<'a> {
    Missing,
    Set(&'a crate::engine::types::set::Members),
    ZSet(&'a ZSet),
}

impl<'a> Source<'a> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Set(s) => s.len(),
            Source::ZSet(z) => z.len(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Set(s) => s.contains(m).then_some(1.0),
            Source::ZSet(z) => z.score(m),
        }
    }

    fn items(&self) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> {
        match *self {
            Source::Missing => Box::new(std::iter::empty()),
            Source::Set(s) => Box::new(s.iter().map(|m| (m, 1.0))),
            Source::ZSet(z) => Box::new(z.iter()),
        }
    }
}

/// Redis's `zunionInterAggregate` (a NaN sum becomes 0).
fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// Redis's `zunionInterDiffGenericCommand`. `dst` is the STORE destination;
/// `numkeys_idx` the index of numkeys; `card_only` for ZINTERCARD.
fn zsetop_generic(
    ctx: &mut Ctx<'_>,
    dst: Option<Bytes>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let args = ctx.args;
    let setnum = args::int(&args[numkeys_idx])?;
    if setnum < 1 {
        let name = args[0].to_ascii_lowercase();
        return Err(Reply::Error(Bytes::from(format!(
            "ERR at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(&name)
        ))));
    }
    if setnum > (args.len() - (numkeys_idx + 1)) as i64 {
        return Err(syntax_error());
    }
    let setnum = setnum as usize;
    let resp3 = resp3(ctx);
    let lim = limits(ctx);
    let db = ctx.db();
    let keys = &args[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    for k in keys {
        // Read lookups, the STORE forms too (Redis counts their hits and misses).
        match db.get(k) {
            None | Some(Value::ZSet(_) | Value::Set(_)) => {}
            Some(_) => return Err(wrongtype()),
        }
    }
    let mut srcs: Vec<(Source, f64)> = keys
        .iter()
        .map(|k| {
            let src = match db.value(k) {
                Some(Value::ZSet(z)) => Source::ZSet(z),
                Some(Value::Set(s)) => Source::Set(s),
                _ => Source::Missing,
            };
            (src, 1.0)
        })
        .collect();
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if op != SetOp::Diff && !card_only && remaining > setnum && is(a, "weights") {
            j += 1;
            for src in srcs.iter_mut() {
                src.1 = args::float_or(&args[j], "ERR weight value is not a float")?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && is(a, "aggregate") {
            let v = &args[j + 1];
            agg = if is(v, "sum") {
                Aggregate::Sum
            } else if is(v, "min") {
                Aggregate::Min
            } else if is(v, "max") {
                Aggregate::Max
            } else {
                return Err(syntax_error());
            };
            j += 2;
        } else if dst.is_none() && !card_only && is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(a, "limit") {
            let l = args::int_or(&args[j + 1], NEGATIVE_LIMIT)?;
            if l < 0 {
                return Err(err(NEGATIVE_LIMIT));
            }
            limit = l as usize;
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    if op != SetOp::Diff {
        // Smallest first (a stable sort, as glibc's qsort is for small arrays).
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut result = ZSet::new();
    result.set_skiplist();
    let mut cardinality = 0usize;
    match op {
        SetOp::Inter => {
            if srcs[0].0.len() > 0 {
                for (m, s0) in srcs[0].0.items() {
                    let mut score = srcs[0].1 * s0;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for (src, w) in &srcs[1..] {
                        match src.find(m) {
                            Some(v) => aggregate(&mut score, v * w, agg),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if !all {
                        continue;
                    }
                    if card_only {
                        cardinality += 1;
                        if limit > 0 && cardinality >= limit {
                            break;
                        }
                    } else {
                        result.insert(Bytes::copy_from_slice(m), score);
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<Bytes, f64> = HashMap::new();
            let mut order: Vec<Bytes> = Vec::new();
            for (src, w) in &srcs {
                for (m, s) in src.items() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, agg),
                        None => {
                            let m = Bytes::copy_from_slice(m);
                            acc.insert(m.clone(), score);
                            order.push(m);
                        }
                    }
                }
            }
            for m in order {
                let s = acc[&m];
                result.insert(m, s);
            }
        }
        SetOp::Diff => {
            for (m, s) in srcs[0].0.items() {
                if srcs[1..].iter().all(|(src, _)| src.find(m).is_none()) {
                    result.insert(Bytes::copy_from_slice(m), s);
                }
            }
        }
    }
    if card_only {
        return Ok(Reply::Integer(cardinality as i64));
    }
    match dst {
        Some(dst) => {
            result.settle_encoding(lim);
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            Ok(store_zset(db, &dst, result, event))
        }
        None => {
            let items: Vec<_> = result.iter().map(owned).collect();
            Ok(members_reply(items, withscores, resp3))
        }
    }
}

pub(super) fn zunion(ctx: &mut Ctx<'_>) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Union, false)
}

pub(super) fn zinter(ctx: &mut Ctx<'_>) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Inter, false)
}

pub(super) fn zdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Diff, false)
}

pub(super) fn zintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Inter, true)
}

pub(super) fn zunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    let dst = ctx.arg(1);
    zsetop_generic(ctx, Some(dst.clone()), 2, SetOp::Union, false)
}

pub(super) fn zinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    let dst = ctx.arg(1);
    zsetop_generic(ctx, Some(dst.clone()), 2, SetOp::Inter, false)
}

pub(super) fn zdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    let dst = ctx.arg(1);
    zsetop_generic(ctx, Some(dst.clone()), 2, SetOp::Diff, false)
}
