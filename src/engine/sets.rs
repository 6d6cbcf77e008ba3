//! Set commands (SADD ... SSCAN), plus the SCAN-family helpers (cursor
//! parsing, options, glob matching, paging) that SSCAN and ZSCAN share.
//!
//! Sets are stored as `Value::Set(HashSet<Bytes>)`. Redis 7.0 encodes a set
//! as an `intset` (sorted integers) while every member is a 64-bit integer
//! and there are at most `set-max-intset-entries` (512) of them, otherwise
//! as a `hashtable`; there is no listpack set before 7.2. Commands that
//! reply with a whole set (SMEMBERS, SINTER, SUNION, SDIFF, SSCAN, SPOP with
//! a count covering the set) list an intset in ascending numeric order, as
//! Redis does, and a hashtable in a fixed hash order (the SSCAN order), so
//! replies do not depend on the process's `HashSet` seeds.
//!
//! Random choices (SPOP, SRANDMEMBER) use the engine's seeded
//! [`Rng`](super::random::Rng) over the members in byte order, so they are
//! reproducible for a given seed whatever the `HashSet`'s iteration order.

use std::collections::HashSet;

use bytes::Bytes;

use super::Ctx;
use super::args::{self, err, is, syntax_error};
use super::command::{BeginSearch, CommandSpec, FindKeys, KeySpecDef, acl, flags::*};
use super::keyspace::{Db, Value, events, scan_hash};
use super::random::Rng;
use crate::glob::glob_match;
use crate::protocol::{Reply, string2ll};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, sadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("set", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Add one or more members to a set"),
    CommandSpec::new("scard", 2, scard)
        .flags(READONLY | FAST)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RO"])
        .doc("set", "1.0.0", "O(1)", "Get the number of members in a set"),
    CommandSpec::new("sdiff", -2, sdiff)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(1, -1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets"),
    CommandSpec::new("sdiffstore", -3, sdiffstore)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET)
        .keys(1, -1, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets and store the resulting set in a key"),
    CommandSpec::new("sinter", -2, sinter)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(1, -1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets"),
    CommandSpec::new("sintercard", -3, sintercard)
        .flags(READONLY | MOVABLEKEYS)
        .acl(acl::SET)
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(keys_after_numkeys)
        .doc("set", "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and return the cardinality of the result"),
    CommandSpec::new("sinterstore", -3, sinterstore)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET)
        .keys(1, -1, 1, &["RW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ])
        .doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and store the resulting set in a key"),
    CommandSpec::new("sismember", 3, sismember)
        .flags(READONLY | FAST)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RO"])
        .doc("set", "1.0.0", "O(1)", "Determine if a given value is a member of a set"),
    CommandSpec::new("smembers", 2, smembers)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N) where N is the set cardinality.", "Get all the members in a set"),
    CommandSpec::new("smismember", -3, smismember)
        .flags(READONLY | FAST)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("set", "6.2.0", "O(N) where N is the number of elements being checked for membership", "Returns the membership associated with the given elements for a set"),
    CommandSpec::new("smove", 4, smove)
        .flags(WRITE | FAST)
        .acl(acl::SET)
        .keys(1, 2, 1, &["RW", "access", "delete"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RW", "access", "delete"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RW", "insert"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("set", "1.0.0", "O(1)", "Move a member from one set to another"),
    CommandSpec::new("spop", -2, spop)
        .flags(WRITE | FAST)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RW", "access", "delete"])
        .tips(&["nondeterministic_output"])
        .doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "Remove and return one or multiple random members from a set"),
    CommandSpec::new("srandmember", -2, srandmember)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "Get one or multiple random members from a set"),
    CommandSpec::new("srem", -3, srem)
        .flags(WRITE | FAST)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("set", "1.0.0", "O(N) where N is the number of members to be removed.", "Remove one or more members from a set"),
    CommandSpec::new("sscan", -3, sscan)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate Set elements"),
    CommandSpec::new("sunion", -2, sunion)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(1, -1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets"),
    CommandSpec::new("sunionstore", -3, sunionstore)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET)
        .keys(1, -1, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets and store the resulting set in a key"),
];

/// `set-max-intset-entries` at its Redis 7.0 default.
pub(crate) const SET_MAX_INTSET_ENTRIES: usize = 512;

/// The current `set-max-intset-entries` (CONFIG SET changes it).
pub(crate) fn max_intset_entries(ctx: &Ctx<'_>) -> usize {
    ctx.engine
        .config_int("set-max-intset-entries")
        .map_or(SET_MAX_INTSET_ENTRIES, |n| n.max(0) as usize)
}

/// Whether Redis 7.0 would hold `set` as an intset: every member a 64-bit
/// integer in Redis's strict text form, and at most `max`
/// (`set-max-intset-entries`) of them.
///
/// This is derived from the members, so it misses Redis's one-way
/// conversion: a set that once held a non-integer (or more than 512
/// members) stays a hashtable in Redis after those members are removed,
/// while it is reported as an intset here.
fn is_intset(set: &HashSet<Bytes>, max: usize) -> bool {
    set.len() <= max && set.iter().all(|m| string2ll(m).is_some())
}

/// `OBJECT ENCODING` of a set as Redis 7.0 reports it at the default
/// thresholds: `intset` or `hashtable` (see [`is_intset`] for the one
/// divergence). Call it on the set `Db::get_set` returns.
#[allow(dead_code)] // OBJECT ENCODING (keys.rs) calls it.
pub(crate) fn set_encoding(set: &HashSet<Bytes>, max_intset_entries: usize) -> &'static str {
    if is_intset(set, max_intset_entries) {
        "intset"
    } else {
        "hashtable"
    }
}

/// The members in the order replies list them: ascending integers for an
/// intset (as Redis), otherwise the fixed scan-hash order SSCAN walks
/// (Redis uses its own hash order; a fixed one keeps the mock's replies
/// reproducible across processes, at O(n log n)).
fn ordered(set: &HashSet<Bytes>, max: usize) -> Vec<Bytes> {
    if is_intset(set, max) {
        let mut v: Vec<(i64, &Bytes)> =
            set.iter().map(|m| (string2ll(m).unwrap_or(0), m)).collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, m)| m.clone()).collect()
    } else {
        let mut v: Vec<(u64, &Bytes)> = set.iter().map(|m| (scan_hash(m), m)).collect();
        v.sort_unstable();
        v.into_iter().map(|(_, m)| m.clone()).collect()
    }
}

fn set_reply(set: &HashSet<Bytes>, max: usize) -> Reply {
    Reply::Set(ordered(set, max).into_iter().map(Reply::Bulk).collect())
}

fn empty_set() -> Reply {
    Reply::Set(Vec::new())
}

/// The members in byte order: the canonical order random choices are made over.
fn canonical(set: &HashSet<Bytes>) -> Vec<Bytes> {
    let mut v: Vec<Bytes> = set.iter().cloned().collect();
    v.sort_unstable();
    v
}

/// One member chosen uniformly at random (O(n), reproducible per seed).
fn random_member(set: &HashSet<Bytes>, rng: &mut Rng) -> Option<Bytes> {
    if set.is_empty() {
        return None;
    }
    let mut v: Vec<&Bytes> = set.iter().collect();
    let i = rng.below(v.len());
    let (_, m, _) = v.select_nth_unstable(i);
    Some((*m).clone())
}

fn db_and_rng<'a>(ctx: &'a mut Ctx<'_>) -> (&'a mut Db, &'a mut Rng) {
    let engine = &mut *ctx.engine;
    (&mut engine.dbs[ctx.client.db], &mut engine.random)
}

fn sadd(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let key = ctx.arg(1).clone();
        let members = &ctx.args[2..];
        let db = ctx.db();
        let set = db.set_or_insert(&key)?;
        let added = members.iter().filter(|m| set.insert((*m).clone())).count();
        if added > 0 {
            db.touched(&key);
            db.notify(events::SET, "sadd", &key);
        }
        Ok(Reply::Integer(added as i64))
    })
}

fn srem(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let key = ctx.arg(1).clone();
        let members = &ctx.args[2..];
        let db = ctx.db();
        let Some(set) = db.get_set_mut(&key)? else {
            return Ok(Reply::Integer(0));
        };
        let mut removed = 0;
        for m in members {
            if set.remove(&m[..]) {
                removed += 1;
                if set.is_empty() {
                    break;
                }
            }
        }
        if removed > 0 {
            db.notify(events::SET, "srem", &key);
            db.touched(&key);
            db.remove_if_empty(&key);
        }
        Ok(Reply::Integer(removed))
    })
}

fn scard(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let key = ctx.arg(1).clone();
        Ok(Reply::Integer(
            ctx.db().get_set(&key)?.map_or(0, |s| s.len() as i64),
        ))
    })
}

fn sismember(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let key = ctx.arg(1).clone();
        let m = ctx.arg(2).clone();
        let found = ctx.db().get_set(&key)?.is_some_and(|s| s.contains(&m));
        Ok(Reply::Integer(found as i64))
    })
}

fn smismember(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let key = ctx.arg(1).clone();
        let args = ctx.args;
        let set = ctx.db().get_set(&key)?;
        Ok(Reply::Array(
            args[2..]
                .iter()
                .map(|m| Reply::Integer(set.is_some_and(|s| s.contains(m)) as i64))
                .collect(),
        ))
    })
}

fn smembers(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let key = ctx.arg(1).clone();
        let max = max_intset_entries(ctx);
        Ok(match ctx.db().get_set(&key)? {
            Some(s) => set_reply(s, max),
            None => empty_set(),
        })
    })
}

fn spop(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        if ctx.args.len() > 3 {
            return Err(syntax_error());
        }
        let key = ctx.arg(1).clone();
        let count = match ctx.args.get(2) {
            Some(c) => Some(args::int_or(c, args::NOT_POSITIVE).and_then(|n| {
                if n < 0 {
                    Err(err(args::NOT_POSITIVE))
                } else {
                    Ok(n as u64)
                }
            })?),
            None => None,
        };
        let max = max_intset_entries(ctx);
        let (db, rng) = db_and_rng(ctx);
        let Some(set) = db.get_set_mut(&key)? else {
            return Ok(if count.is_some() {
                empty_set()
            } else {
                Reply::Nil
            });
        };
        let reply = match count {
            None => {
                let m = random_member(set, rng).expect("sets are never empty");
                set.remove(&m);
                Reply::Bulk(m)
            }
            Some(0) => return Ok(empty_set()),
            Some(n) if n as usize >= set.len() => {
                let reply = set_reply(set, max);
                set.clear();
                reply
            }
            Some(n) => {
                let mut all = canonical(set);
                let picked = rng.sample(&mut all, n as usize);
                for m in picked.iter() {
                    set.remove(m);
                }
                Reply::Set(picked.iter().cloned().map(Reply::Bulk).collect())
            }
        };
        db.notify(events::SET, "spop", &key);
        db.touched(&key);
        db.remove_if_empty(&key);
        Ok(reply)
    })
}

fn srandmember(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        if ctx.args.len() > 3 {
            return Err(syntax_error());
        }
        let key = ctx.arg(1).clone();
        let count = match ctx.args.get(2) {
            Some(c) => {
                let n = args::int(c)?;
                if n == i64::MIN {
                    return Err(err(
                        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                    ));
                }
                Some(n)
            }
            None => None,
        };
        let max = max_intset_entries(ctx);
        let (db, rng) = db_and_rng(ctx);
        let Some(set) = db.get_set(&key)? else {
            return Ok(if count.is_some() {
                Reply::Array(Vec::new())
            } else {
                Reply::Nil
            });
        };
        Ok(match count {
            None => Reply::Bulk(random_member(set, rng).expect("sets are never empty")),
            Some(0) => Reply::Array(Vec::new()),
            Some(n) if n < 0 => {
                let all = canonical(set);
                let mut out = Vec::new();
                for _ in 0..n.unsigned_abs() {
                    out.push(Reply::Bulk(all[rng.below(all.len())].clone()));
                }
                Reply::Array(out)
            }
            Some(n) if n as usize >= set.len() => {
                Reply::Array(ordered(set, max).into_iter().map(Reply::Bulk).collect())
            }
            Some(n) => {
                let mut all = canonical(set);
                let picked = rng.sample(&mut all, n as usize);
                Reply::Array(picked.iter().cloned().map(Reply::Bulk).collect())
            }
        })
    })
}

fn smove(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let src = ctx.arg(1).clone();
        let dst = ctx.arg(2).clone();
        let m = ctx.arg(3).clone();
        let db = ctx.db();
        // Redis looks both keys up for writing, answers 0 when the source is
        // missing, and only then checks both types.
        let src_exists = db.kind(&src).is_some();
        db.contains(&dst);
        if !src_exists {
            return Ok(Reply::Integer(0));
        }
        db.get_set_mut(&src)?;
        db.get_set_mut(&dst)?;
        if src == dst {
            let found = db.get_set(&src)?.is_some_and(|s| s.contains(&m));
            return Ok(Reply::Integer(found as i64));
        }
        let removed = db.get_set_mut(&src)?.is_some_and(|s| s.remove(&m));
        if !removed {
            return Ok(Reply::Integer(0));
        }
        db.notify(events::SET, "srem", &src);
        db.touched(&src);
        db.remove_if_empty(&src);
        if db.set_or_insert(&dst)?.insert(m) {
            db.touched(&dst);
            db.notify(events::SET, "sadd", &dst);
        }
        Ok(Reply::Integer(1))
    })
}

/// Looks every key up once (in argument order), for reading (the STORE
/// forms too, as Redis 7.0 counts their hits and misses), failing with
/// WRONGTYPE on the first key of another type; `None` for missing keys.
fn load_sets(db: &mut Db, keys: &[Bytes]) -> Result<Vec<Option<HashSet<Bytes>>>, Reply> {
    keys.iter().map(|k| Ok(db.get_set(k)?.cloned())).collect()
}

/// The intersection, listed in the smallest set's order (as Redis replies).
fn intersect(sets: &[Option<HashSet<Bytes>>], limit: usize, max: usize) -> Vec<Bytes> {
    if sets.iter().any(Option::is_none) {
        return Vec::new();
    }
    let mut sets: Vec<&HashSet<Bytes>> = sets.iter().flatten().collect();
    sets.sort_by_key(|s| s.len());
    let mut out = Vec::new();
    for m in ordered(sets[0], max) {
        if sets[1..].iter().all(|s| s.contains(&m)) {
            out.push(m);
            if limit > 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

fn store_result(db: &mut Db, dst: &Bytes, result: HashSet<Bytes>, event: &'static str) -> Reply {
    let n = result.len();
    if n > 0 {
        db.insert(dst.clone(), Value::Set(Box::new(result)));
        db.notify(events::SET, event, dst);
    } else if db.remove(dst).is_some() {
        db.notify(events::GENERIC, "del", dst);
    }
    Reply::Integer(n as i64)
}

fn sinter(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let keys = &ctx.args[1..];
        let max = max_intset_entries(ctx);
        let sets = load_sets(ctx.db(), keys)?;
        Ok(Reply::Set(
            intersect(&sets, 0, max)
                .into_iter()
                .map(Reply::Bulk)
                .collect(),
        ))
    })
}

fn sinterstore(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let dst = ctx.arg(1).clone();
        let keys = &ctx.args[2..];
        let max = max_intset_entries(ctx);
        let db = ctx.db();
        let sets = load_sets(db, keys)?;
        let result: HashSet<Bytes> = intersect(&sets, 0, max).into_iter().collect();
        Ok(store_result(db, &dst, result, "sinterstore"))
    })
}

fn sintercard(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let numkeys = args::int_in_range(
            ctx.arg(1),
            1,
            i64::MAX,
            Some("ERR numkeys should be greater than 0"),
        )?;
        if numkeys > ctx.args.len() as i64 - 2 {
            return Err(err(
                "ERR Number of keys can't be greater than number of args",
            ));
        }
        let numkeys = numkeys as usize;
        let mut limit = 0usize;
        let mut i = 2 + numkeys;
        while i < ctx.args.len() {
            if is(ctx.arg(i), "limit") && i + 1 < ctx.args.len() {
                let l = args::int_or(ctx.arg(i + 1), "ERR LIMIT can't be negative")?;
                if l < 0 {
                    return Err(err("ERR LIMIT can't be negative"));
                }
                limit = l as usize;
                i += 2;
            } else {
                return Err(syntax_error());
            }
        }
        let keys = &ctx.args[2..2 + numkeys];
        let max = max_intset_entries(ctx);
        let sets = load_sets(ctx.db(), keys)?;
        Ok(Reply::Integer(intersect(&sets, limit, max).len() as i64))
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

fn union_diff(sets: Vec<Option<HashSet<Bytes>>>, op: SetOp) -> HashSet<Bytes> {
    let mut iter = sets.into_iter();
    match op {
        SetOp::Union => {
            let mut out = HashSet::new();
            for s in iter.flatten() {
                out.extend(s);
            }
            out
        }
        SetOp::Diff => {
            let Some(Some(mut out)) = iter.next() else {
                return HashSet::new();
            };
            for s in iter.flatten() {
                if out.is_empty() {
                    break;
                }
                for m in &s {
                    out.remove(m);
                }
            }
            out
        }
    }
}

fn union_diff_cmd(ctx: &mut Ctx<'_>, op: SetOp, store: Option<&'static str>) -> Reply {
    args::run(|| {
        let first = if store.is_some() { 2 } else { 1 };
        let keys = &ctx.args[first..];
        let dst = ctx.arg(1).clone();
        let max = max_intset_entries(ctx);
        let db = ctx.db();
        let sets = load_sets(db, keys)?;
        let result = union_diff(sets, op);
        Ok(match store {
            Some(event) => store_result(db, &dst, result, event),
            None => set_reply(&result, max),
        })
    })
}

fn sunion(ctx: &mut Ctx<'_>) -> Reply {
    union_diff_cmd(ctx, SetOp::Union, None)
}

fn sunionstore(ctx: &mut Ctx<'_>) -> Reply {
    union_diff_cmd(ctx, SetOp::Union, Some("sunionstore"))
}

fn sdiff(ctx: &mut Ctx<'_>) -> Reply {
    union_diff_cmd(ctx, SetOp::Diff, None)
}

fn sdiffstore(ctx: &mut Ctx<'_>) -> Reply {
    union_diff_cmd(ctx, SetOp::Diff, Some("sdiffstore"))
}

fn sscan(ctx: &mut Ctx<'_>) -> Reply {
    args::run(|| {
        let cursor = parse_cursor(ctx.arg(2))?;
        let key = ctx.arg(1).clone();
        let args = ctx.args;
        let max = max_intset_entries(ctx);
        let Some(set) = ctx.db().get_set(&key)? else {
            return Ok(scan_reply(0, Vec::new()));
        };
        let opts = ScanOpts::parse(&args[3..])?;
        let (next, items) = if is_intset(set, max) {
            (0, ordered(set, max))
        } else {
            let (next, page) = scan_page(set.iter().map(|m| (m, ())), cursor, opts.count);
            (next, page.into_iter().map(|(m, ())| m.clone()).collect())
        };
        let items = items
            .into_iter()
            .filter(|m| opts.matches(m))
            .map(Reply::Bulk)
            .collect();
        Ok(scan_reply(next, items))
    })
}

// --- key extraction for movable-key commands -------------------------------

/// The keys of a command whose argument 1 counts the keys that follow
/// (SINTERCARD, ZUNION, ZINTER, ZDIFF, ZINTERCARD, ZMPOP); none when the
/// count is not a positive integer that fits.
pub(crate) fn keys_after_numkeys(args: &[Bytes]) -> Vec<usize> {
    numkeys_range(args, 1)
}

/// The destination (argument 1) and the keys counted by argument 2
/// (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE).
pub(crate) fn keys_after_dest(args: &[Bytes]) -> Vec<usize> {
    let mut keys = numkeys_range(args, 2);
    if !keys.is_empty() {
        keys.insert(0, 1);
    }
    keys
}

fn numkeys_range(args: &[Bytes], idx: usize) -> Vec<usize> {
    let Some(n) = args.get(idx).and_then(|a| string2ll(a)) else {
        return Vec::new();
    };
    if n < 1 || n as u64 > (args.len() - idx - 1) as u64 {
        return Vec::new();
    }
    (idx + 1..=idx + n as usize).collect()
}

// --- the SCAN family ----------------------------------------------------

/// Redis's `parseScanCursorOrReply`: `strtoul` in base 10 over the whole
/// argument (a leading `-` wraps around, as in C), no leading space, no
/// overflow; `ERR invalid cursor` otherwise.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let invalid = || err("ERR invalid cursor");
    if arg.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// The options of SSCAN, HSCAN and ZSCAN (`MATCH pattern`, `COUNT n`).
pub(crate) struct ScanOpts {
    pub count: usize,
    pub pattern: Option<Bytes>,
}

impl ScanOpts {
    /// Parses the options after the cursor, as Redis's `scanGenericCommand`
    /// does for a key's scan (where `TYPE` is a syntax error).
    pub fn parse(opts: &[Bytes]) -> Result<ScanOpts, Reply> {
        let mut out = ScanOpts {
            count: 10,
            pattern: None,
        };
        let mut i = 0;
        while i < opts.len() {
            let more = opts.len() - i >= 2;
            if is(&opts[i], "count") && more {
                let n = args::int(&opts[i + 1])?;
                if n < 1 {
                    return Err(syntax_error());
                }
                out.count = n as usize;
            } else if is(&opts[i], "match") && more {
                let p = &opts[i + 1];
                out.pattern = (p[..] != b"*"[..]).then(|| p.clone());
            } else {
                return Err(syntax_error());
            }
            i += 2;
        }
        Ok(out)
    }

    /// Whether `item` passes the MATCH filter.
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern.as_ref().is_none_or(|p| glob_match(p, item))
    }
}

/// `[cursor, [items...]]`.
pub(crate) fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from(cursor.to_string())),
        Reply::Array(items),
    ])
}

/// One page of a hashtable scan. Items are visited in the order of a fixed
/// hash of their name, and a cursor is the position to resume from, so an
/// item present for the whole scan is returned exactly once, whatever is
/// added or removed meanwhile (Redis's guarantee). Returns the next cursor
/// (0 at the end) and the page, at least `count` items unless it ends.
pub(crate) fn scan_page<'a, T>(
    items: impl Iterator<Item = (&'a Bytes, T)>,
    cursor: u64,
    count: usize,
) -> (u64, Vec<(&'a Bytes, T)>) {
    let pos = |m: &[u8]| scan_hash(m) + 1;
    let mut rest: Vec<(u64, (&'a Bytes, T))> = items
        .map(|(m, v)| (pos(m), (m, v)))
        .filter(|(p, _)| *p >= cursor)
        .collect();
    if rest.len() > count {
        rest.select_nth_unstable_by_key(count, |(p, _)| *p);
        let boundary = rest[count].0;
        // Keep every item sharing the boundary position on the same page side.
        let (mut page, tail): (Vec<_>, Vec<_>) = rest.into_iter().partition(|(p, _)| *p < boundary);
        page.sort_unstable_by_key(|(p, _)| *p);
        let _ = tail;
        (boundary, page.into_iter().map(|(_, x)| x).collect())
    } else {
        rest.sort_unstable_by_key(|(p, _)| *p);
        (0, rest.into_iter().map(|(_, x)| x).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Engine};
    use super::*;

    /// Runs a script on a fresh engine whose RNG is seeded with `seed`.
    fn replies(seed: u64, script: &[&str]) -> Vec<Reply> {
        let mut e = Engine::new(Config::default());
        e.random.seed(seed);
        let c = e.connect("test".into(), "test".into());
        script
            .iter()
            .map(|line| {
                let args: Vec<Bytes> = line
                    .split(' ')
                    .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                    .collect();
                e.execute(c, &args).reply
            })
            .collect()
    }

    /// Equal seeds give equal random picks, whatever order each process's
    /// `HashSet` iterates in; different seeds (almost surely) differ.
    #[test]
    fn random_commands_are_reproducible_per_seed() {
        let mut script = vec!["SADD s a b c d e f g h i j k l m n o p q r s t"];
        script.extend([
            "SRANDMEMBER s",
            "SRANDMEMBER s 5",
            "SRANDMEMBER s -5",
            "SPOP s",
            "SPOP s 3",
            "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h",
            "ZRANDMEMBER z",
            "ZRANDMEMBER z 3 WITHSCORES",
            "ZRANDMEMBER z -4",
            "SMEMBERS s",
        ]);
        let a = replies(42, &script);
        let b = replies(42, &script);
        assert_eq!(a, b);
        let others: Vec<Vec<Reply>> = (0..4).map(|s| replies(s, &script)).collect();
        assert!(others.iter().any(|o| o[1..10] != a[1..10]));
    }

    fn set(items: &[&str]) -> HashSet<Bytes> {
        items
            .iter()
            .map(|m| Bytes::copy_from_slice(m.as_bytes()))
            .collect()
    }

    /// What Redis 7.0.15 reports (checked with OBJECT ENCODING), except for
    /// its one-way conversion (see `is_intset`).
    #[test]
    fn encodings() {
        assert_eq!(
            set_encoding(&set(&["1", "-9223372036854775808"]), 512),
            "intset"
        );
        assert_eq!(set_encoding(&set(&["01"]), 512), "hashtable");
        assert_eq!(set_encoding(&set(&["1", "a"]), 512), "hashtable");
        let ints: Vec<String> = (0..512).map(|i| i.to_string()).collect();
        let mut big: HashSet<Bytes> = ints.iter().map(|m| Bytes::from(m.clone())).collect();
        assert_eq!(set_encoding(&big, 512), "intset");
        big.insert(Bytes::from_static(b"512"));
        assert_eq!(set_encoding(&big, 512), "hashtable");
        let order = ordered(&set(&["10", "-2", "3"]), 512);
        assert_eq!(
            order,
            vec![Bytes::from("-2"), Bytes::from("3"), Bytes::from("10")]
        );
    }

    #[test]
    fn cursors() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b"+5"), Ok(5));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert!(parse_cursor(b" 5").is_err());
        assert!(parse_cursor(b"18446744073709551616").is_err());
        assert!(parse_cursor(b"x").is_err());
        assert!(parse_cursor(b"-").is_err());
    }

    #[test]
    fn scan_pages_cover_everything_once() {
        let items: Vec<Bytes> = (0..100).map(|i| Bytes::from(format!("m{i}"))).collect();
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            let (next, page) = scan_page(items.iter().map(|m| (m, ())), cursor, 7);
            assert!(next == 0 || page.len() >= 7);
            seen.extend(page.into_iter().map(|(m, ())| m.clone()));
            if next == 0 {
                break;
            }
            cursor = next;
        }
        seen.sort();
        let mut want = items.clone();
        want.sort();
        assert_eq!(seen, want);
    }
}
