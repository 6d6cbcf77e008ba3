//! Ranges over a sorted set: score and lex intervals ([`ScoreRange`],
//! [`LexRange`]), ZRANGE in all its forms (ZRANGESTORE, ZREVRANGE,
//! ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX), ZCOUNT,
//! ZLEXCOUNT and the ZREMRANGEBY* commands.

use std::cmp::Ordering;

use bytes::Bytes;

use super::{limits, members_reply, resp3};
use crate::engine::Ctx;
use crate::engine::command::CmdResult;
use crate::engine::keyspace::{Db, events};
use crate::engine::types::Value;
use crate::engine::types::zset::{ZSet, owned};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, syntax_error};
use crate::protocol::Reply;

/// C's `strtod` over the whole argument, as `zslParseRange` uses it:
/// leading white space allowed, overflow gives ±inf, the empty string is 0,
/// NaN is refused.
fn strtod_whole(s: &[u8]) -> Option<f64> {
    // Redis passes the argument as a C string: it ends at its first NUL
    // (so `"\0"` reads as the empty string, 0).
    let s = &s[..memchr::memchr(0, s).unwrap_or(s.len())];
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))?;
    let t = &s[start..];
    if let Some(v) = args::parse_strtod(t) {
        return Some(v);
    }
    // Out-of-range decimals: strtod saturates (ERANGE is not checked here).
    let text = std::str::from_utf8(t).ok()?;
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// A score interval (`zrangespec`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

impl ScoreRange {
    /// Redis's `zslParseRange`: `(` makes a bound exclusive.
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
        let bound = |a: &[u8]| -> Option<(f64, bool)> {
            match a.first() {
                Some(b'(') => strtod_whole(&a[1..]).map(|v| (v, true)),
                _ => strtod_whole(a).map(|v| (v, false)),
            }
        };
        match (bound(min), bound(max)) {
            (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange {
                min,
                max,
                minex,
                maxex,
            }),
            _ => Err(err("ERR min or max is not a float")),
        }
    }

    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }

    fn gte_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }

    fn lte_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    /// The ranks `start..end` of the members in range.
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        let start = z.count_while(|s, _| !self.gte_min(s));
        let end = z.count_while(|s, _| self.lte_max(s));
        (start, end.max(start))
    }
}

/// One end of a lex range.
#[derive(Clone, Debug, PartialEq)]
enum LexBound {
    /// `-`
    Min,
    /// `+`
    Max,
    Value(Bytes),
}

/// A lex interval (`zlexrangespec`).
#[derive(Clone, Debug)]
pub(crate) struct LexRange {
    min: LexBound,
    max: LexBound,
    minex: bool,
    maxex: bool,
}

/// Redis's `sdscmplex`: `-` sorts before everything, `+` after.
fn cmp_lex(a: &LexBound, b: &LexBound) -> Ordering {
    match (a, b) {
        _ if a == b => Ordering::Equal,
        (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
        (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
        (LexBound::Value(x), LexBound::Value(y)) => x.cmp(y),
    }
}

fn cmp_member(m: &[u8], b: &LexBound) -> Ordering {
    match b {
        LexBound::Min => Ordering::Greater,
        LexBound::Max => Ordering::Less,
        LexBound::Value(v) => m.cmp(&v[..]),
    }
}

impl LexRange {
    /// Redis's `zslParseLexRange`: `[x` inclusive, `(x` exclusive, `-`, `+`.
    pub fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
        let item = |a: &[u8]| -> Option<(LexBound, bool)> {
            match a.first() {
                Some(b'+') if a.len() == 1 => Some((LexBound::Max, true)),
                Some(b'-') if a.len() == 1 => Some((LexBound::Min, true)),
                Some(b'(') => Some((LexBound::Value(Bytes::copy_from_slice(&a[1..])), true)),
                Some(b'[') => Some((LexBound::Value(Bytes::copy_from_slice(&a[1..])), false)),
                _ => None,
            }
        };
        match (item(min), item(max)) {
            (Some((min, minex)), Some((max, maxex))) => Ok(LexRange {
                min,
                max,
                minex,
                maxex,
            }),
            _ => Err(err("ERR min or max not valid string range item")),
        }
    }

    fn is_empty(&self) -> bool {
        match cmp_lex(&self.min, &self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.minex || self.maxex,
            Ordering::Less => false,
        }
    }

    fn gte_min(&self, m: &[u8]) -> bool {
        let c = cmp_member(m, &self.min);
        if self.minex { c.is_gt() } else { c.is_ge() }
    }

    fn lte_max(&self, m: &[u8]) -> bool {
        let c = cmp_member(m, &self.max);
        if self.maxex { c.is_lt() } else { c.is_le() }
    }

    /// Redis's `zzlIsInLexRange` check: the range is not empty, the last
    /// member is not below it and the first is not above it.
    fn may_match(&self, z: &ZSet) -> bool {
        if self.is_empty() || z.is_empty() {
            return false;
        }
        let last = z.nth(z.len() - 1).map(|(m, _)| m);
        let first = z.nth(0).map(|(m, _)| m);
        last.is_some_and(|m| self.gte_min(m)) && first.is_some_and(|m| self.lte_max(m))
    }

    /// Whether every member has the same score, so member order is the
    /// set's order and bounds can be found by binary search.
    fn uniform(z: &ZSet) -> bool {
        match (z.nth(0), z.nth(z.len().saturating_sub(1))) {
            (Some((_, a)), Some((_, b))) => a == b,
            _ => true,
        }
    }

    /// The rank of the first member in range, scanning from the lowest as
    /// Redis's `zzlFirstInLexRange` does (binary search when the scores are
    /// all equal, which gives the same answer).
    fn first(&self, z: &ZSet) -> Option<usize> {
        if !self.may_match(z) {
            return None;
        }
        let i = if LexRange::uniform(z) {
            z.count_while(|_, m| !self.gte_min(m))
        } else {
            z.iter().position(|(m, _)| self.gte_min(m))?
        };
        let (m, _) = z.nth(i)?;
        self.lte_max(m).then_some(i)
    }

    /// The rank of the last member in range, scanning from the highest as
    /// `zzlLastInLexRange` does.
    fn last(&self, z: &ZSet) -> Option<usize> {
        if !self.may_match(z) {
            return None;
        }
        let i = if LexRange::uniform(z) {
            z.count_while(|_, m| self.lte_max(m)).checked_sub(1)?
        } else {
            z.len() - 1 - z.iter().rev().position(|(m, _)| self.lte_max(m))?
        };
        let (m, _) = z.nth(i)?;
        self.gte_min(m).then_some(i)
    }

    /// Ranks `start..end` of the members in range, walking forward from
    /// [`LexRange::first`] while members stay below the maximum.
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let Some(start) = self.first(z) else {
            return (0, 0);
        };
        let n = z
            .range(start, z.len())
            .take_while(|(m, _)| self.lte_max(m))
            .count();
        (start, start + n)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// Members of `z` selected by a rank range (Redis's start/end sanitising).
fn by_rank(z: &ZSet, start: i64, end: i64, rev: bool) -> Vec<(Bytes, f64)> {
    let len = z.len() as i64;
    let (mut start, mut end) = (start, end);
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return Vec::new();
    }
    if end >= len {
        end = len - 1;
    }
    let (a, b) = if rev {
        ((len - 1 - end) as usize, (len - start) as usize)
    } else {
        (start as usize, end as usize + 1)
    };
    let it = z.range(a, b).map(owned);
    if rev {
        it.rev().collect()
    } else {
        it.collect()
    }
}

/// Applies LIMIT as Redis's range walkers do: a negative offset skips
/// everything, a negative count means no limit.
fn limited(
    z: &ZSet,
    (start, end): (usize, usize),
    rev: bool,
    offset: i64,
    limit: i64,
) -> Vec<(Bytes, f64)> {
    if offset < 0 || start >= end {
        return Vec::new();
    }
    let offset = offset as usize;
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    let it = z.range(start, end).map(owned);
    if rev {
        it.rev().skip(offset).take(take).collect()
    } else {
        it.skip(offset).take(take).collect()
    }
}

/// Members selected by a lex range with LIMIT, walking as Redis does from
/// the first (or, reversed, the last) member in range.
fn by_lex(z: &ZSet, r: &LexRange, rev: bool, offset: i64, limit: i64) -> Vec<(Bytes, f64)> {
    if offset < 0 {
        return Vec::new();
    }
    let offset = offset as usize;
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    if rev {
        let Some(last) = r.last(z) else {
            return Vec::new();
        };
        z.range(0, last + 1)
            .rev()
            .skip(offset)
            .take_while(|(m, _)| r.gte_min(m))
            .take(take)
            .map(owned)
            .collect()
    } else {
        let Some(first) = r.first(z) else {
            return Vec::new();
        };
        z.range(first, z.len())
            .skip(offset)
            .take_while(|(m, _)| r.lte_max(m))
            .take(take)
            .map(owned)
            .collect()
    }
}

/// Redis's `zrangeGenericCommand`, for ZRANGE, ZRANGESTORE and the legacy
/// `Z[REV]RANGE[BYSCORE|BYLEX]` forms. `first` is the index of the source key.
fn zrange_generic(
    ctx: &mut Ctx<'_>,
    first: usize,
    store: bool,
    rt: RangeType,
    dir: Direction,
) -> CmdResult {
    let args = ctx.args;
    let (mut rt, mut dir) = (rt, dir);
    let key = args[first].clone();
    let (mut minidx, mut maxidx) = (first + 1, first + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = first + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if !store && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = args::int(&args[j + 1])?;
            limit = args::int(&args[j + 2])?;
            j += 2;
        } else if dir == Direction::Auto && is(a, "rev") {
            dir = Direction::Reverse;
        } else if rt == RangeType::Auto && is(a, "bylex") {
            rt = RangeType::Lex;
        } else if rt == RangeType::Auto && is(a, "byscore") {
            rt = RangeType::Score;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    if dir == Direction::Auto {
        dir = Direction::Forward;
    }
    if rt == RangeType::Auto {
        rt = RangeType::Rank;
    }
    if limit != -1 && rt == RangeType::Rank {
        return Err(err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rt == RangeType::Lex {
        return Err(err(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let rev = dir == Direction::Reverse;
    if rev && rt != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    enum Parsed {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let parsed = match rt {
        RangeType::Score => Parsed::Score(ScoreRange::parse(&args[minidx], &args[maxidx])?),
        RangeType::Lex => Parsed::Lex(LexRange::parse(&args[minidx], &args[maxidx])?),
        _ => Parsed::Rank(args::int(&args[minidx])?, args::int(&args[maxidx])?),
    };
    let resp3 = resp3(ctx);
    let lim = limits(ctx);
    let db = ctx.db();
    let items = match db.get_zset(&key)? {
        None => Vec::new(),
        Some(z) => match &parsed {
            Parsed::Rank(a, b) => by_rank(z, *a, *b, rev),
            Parsed::Score(r) => {
                if offset > 0 && offset as usize >= z.len() {
                    Vec::new()
                } else {
                    limited(z, r.ranks(z), rev, offset, limit)
                }
            }
            Parsed::Lex(r) => {
                if offset > 0 && offset as usize >= z.len() {
                    Vec::new()
                } else {
                    by_lex(z, r, rev, offset, limit)
                }
            }
        },
    };
    if store {
        let dst = args[1].clone();
        let mut z = ZSet::new();
        for (m, s) in items {
            z.insert_with(&m, s, lim);
        }
        return Ok(store_zset(db, &dst, z, "zrangestore"));
    }
    Ok(members_reply(items, withscores, resp3))
}

/// Stores `z` at `dst` (dropping any TTL) with `event`, or deletes `dst`
/// when `z` is empty; replies with the new cardinality.
pub(super) fn store_zset(db: &mut Db, dst: &Bytes, z: ZSet, event: &'static str) -> Reply {
    let n = z.len();
    if n > 0 {
        db.insert(dst, Value::ZSet(Box::new(z)));
        db.notify(events::ZSET, event, dst);
    } else if db.remove(dst).is_some() {
        db.notify(events::GENERIC, "del", dst);
    }
    Reply::Integer(n as i64)
}

pub(super) fn zrange(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Auto, Direction::Auto)
}

pub(super) fn zrangestore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 2, true, RangeType::Auto, Direction::Auto)
}

pub(super) fn zrevrange(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Rank, Direction::Reverse)
}

pub(super) fn zrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Score, Direction::Forward)
}

pub(super) fn zrevrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Score, Direction::Reverse)
}

pub(super) fn zrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Lex, Direction::Forward)
}

pub(super) fn zrevrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Lex, Direction::Reverse)
}

pub(super) fn zcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let r = ScoreRange::parse(ctx.arg(2), ctx.arg(3))?;
    let key = ctx.arg(1);
    Ok(Reply::Integer(ctx.db().get_zset(key)?.map_or(0, |z| {
        let (a, b) = r.ranks(z);
        (b - a) as i64
    })))
}

pub(super) fn zlexcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let r = LexRange::parse(ctx.arg(2), ctx.arg(3))?;
    let key = ctx.arg(1);
    Ok(Reply::Integer(ctx.db().get_zset(key)?.map_or(0, |z| {
        let (a, b) = r.ranks(z);
        (b - a) as i64
    })))
}

fn zremrange_generic(ctx: &mut Ctx<'_>, rt: RangeType) -> CmdResult {
    enum Parsed {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let parsed = match rt {
        RangeType::Score => Parsed::Score(ScoreRange::parse(ctx.arg(2), ctx.arg(3))?),
        RangeType::Lex => Parsed::Lex(LexRange::parse(ctx.arg(2), ctx.arg(3))?),
        _ => Parsed::Rank(args::int(ctx.arg(2))?, args::int(ctx.arg(3))?),
    };
    let key = ctx.arg(1);
    let db = ctx.db();
    let Some(z) = db.get_zset_mut(key)? else {
        return Ok(Reply::Integer(0));
    };
    let victims: Vec<Bytes> = match &parsed {
        Parsed::Rank(a, b) => by_rank(z, *a, *b, false)
            .into_iter()
            .map(|(m, _)| m)
            .collect(),
        Parsed::Score(r) => {
            let (a, b) = r.ranks(z);
            z.range(a, b)
                .map(|(m, _)| Bytes::copy_from_slice(m))
                .collect()
        }
        Parsed::Lex(r) => {
            let (a, b) = r.ranks(z);
            z.range(a, b)
                .map(|(m, _)| Bytes::copy_from_slice(m))
                .collect()
        }
    };
    for m in &victims {
        z.remove(m);
    }
    if !victims.is_empty() {
        let event = match rt {
            RangeType::Score => "zremrangebyscore",
            RangeType::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        db.touched(key);
        db.notify(events::ZSET, event, key);
        db.remove_if_empty(key);
    }
    Ok(Reply::Integer(victims.len() as i64))
}

pub(super) fn zremrangebyrank(ctx: &mut Ctx<'_>) -> CmdResult {
    zremrange_generic(ctx, RangeType::Rank)
}

pub(super) fn zremrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    zremrange_generic(ctx, RangeType::Score)
}

pub(super) fn zremrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    zremrange_generic(ctx, RangeType::Lex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_like_c() {
        assert_eq!(strtod_whole(b""), Some(0.0));
        assert_eq!(strtod_whole(b" 1.5"), Some(1.5));
        assert_eq!(strtod_whole(b"1e400"), Some(f64::INFINITY));
        assert_eq!(strtod_whole(b"-1e400"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod_whole(b"1e-400"), Some(0.0));
        assert_eq!(strtod_whole(b"+inf"), Some(f64::INFINITY));
        assert_eq!(strtod_whole(b"nan"), None);
        assert_eq!(strtod_whole(b"1 "), None);
        assert_eq!(strtod_whole(b" "), None);
        assert_eq!(strtod_whole(b"x"), None);
    }

    #[test]
    fn lex_bounds() {
        let r = LexRange::parse(b"-", b"+").unwrap();
        assert!(!r.is_empty());
        assert!(r.gte_min(b"") && r.lte_max(b"\xff"));
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"-", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"(a", b"[a").unwrap().is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").unwrap().is_empty());
        assert!(LexRange::parse(b"a", b"+").is_err());
        assert!(LexRange::parse(b"+x", b"+").is_err());
    }
}
