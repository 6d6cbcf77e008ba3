//! Set commands: SADD ... SSCAN. The value and its encoding rules (intset or
//! hashtable, and the order replies list members in) are in
//! `types/set.rs`.
//!
//! Random choices (SPOP, SRANDMEMBER) use the engine's seeded [`Rng`] to
//! pick positions of the set's table (O(1) each), so they are reproducible
//! for a given seed and command history.

use bytes::Bytes;

use super::scan::{ScanOpts, parse_cursor, scan_page, scan_reply};
use crate::engine::Ctx;
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*, numkeys_at_1,
};
use crate::engine::keyspace::{Db, events};
use crate::engine::random::Rng;
use crate::engine::types::Value;
use crate::engine::types::set::{Members, is_intset, ordered};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NEGATIVE_LIMIT, NOT_POSITIVE, err, syntax_error};
use crate::protocol::{PACK_OVER, PackedArray, Reply};

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
        .getkeys(numkeys_at_1)
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

/// The current `set-max-intset-entries` (CONFIG SET changes it).
pub(crate) fn max_intset_entries(ctx: &Ctx<'_>) -> usize {
    ctx.engine.encoding_limits().intset_entries
}

fn set_reply(set: &Members, max: usize) -> Reply {
    Reply::Set(ordered(set, max).into_iter().map(Reply::Bulk).collect())
}

fn empty_set() -> Reply {
    Reply::Set(Vec::new())
}

/// One member chosen uniformly at random (O(1), reproducible per seed).
fn random_member(set: &Members, rng: &Rng) -> Option<Bytes> {
    if set.is_empty() {
        return None;
    }
    set.get_index(rng.below(set.len()))
        .map(Bytes::copy_from_slice)
}

fn db_and_rng<'a>(ctx: &'a mut Ctx<'_>) -> (&'a mut Db, &'a Rng) {
    let engine = &mut *ctx.engine;
    (&mut engine.dbs[ctx.client.db], &engine.random)
}

fn sadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let members = &ctx.args[2..];
    let db = ctx.db();
    let set = db.set_or_insert(key)?;
    let added = members.iter().filter(|m| set.insert_ref(m)).count();
    if added > 0 {
        db.touched(key);
        db.notify(events::SET, "sadd", key);
    }
    Ok(Reply::Integer(added as i64))
}

fn srem(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let members = &ctx.args[2..];
    let db = ctx.db();
    let Some(set) = db.get_set_mut(key)? else {
        return Ok(Reply::Integer(0));
    };
    let mut removed = 0;
    for m in members {
        if set.swap_remove(&m[..]) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        db.notify(events::SET, "srem", key);
        db.touched(key);
        db.remove_if_empty(key);
    }
    Ok(Reply::Integer(removed))
}

fn scard(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    Ok(Reply::Integer(
        ctx.db().get_set(key)?.map_or(0, |s| s.len() as i64),
    ))
}

fn sismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let m = ctx.arg(2);
    let found = ctx.db().get_set(key)?.is_some_and(|s| s.contains(m));
    Ok(Reply::Integer(found as i64))
}

fn smismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let set = ctx.db().get_set(key)?;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|m| Reply::Integer(set.is_some_and(|s| s.contains(m)) as i64))
            .collect(),
    ))
}

fn smembers(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let max = max_intset_entries(ctx);
    Ok(match ctx.db().get_set(key)? {
        Some(s) => set_reply(s, max),
        None => empty_set(),
    })
}

fn spop(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(syntax_error());
    }
    let key = ctx.arg(1);
    let count = match ctx.args.get(2) {
        Some(c) => Some(args::int_or(c, NOT_POSITIVE).and_then(|n| {
            if n < 0 {
                Err(err(NOT_POSITIVE))
            } else {
                Ok(n as u64)
            }
        })?),
        None => None,
    };
    let max = max_intset_entries(ctx);
    let (db, rng) = db_and_rng(ctx);
    let Some(set) = db.get_set_mut(key)? else {
        return Ok(if count.is_some() {
            empty_set()
        } else {
            Reply::Nil
        });
    };
    let reply = match count {
        None => {
            let i = rng.below(set.len());
            Reply::Bulk(set.swap_remove_index(i).expect("in range"))
        }
        Some(0) => return Ok(empty_set()),
        Some(n) if n as usize >= set.len() => {
            let reply = set_reply(set, max);
            set.clear();
            reply
        }
        Some(n) => {
            // Fewer than the set holds: n O(1) pops.
            let picked = (0..n).map(|_| {
                let i = rng.below(set.len());
                Reply::Bulk(set.swap_remove_index(i).expect("in range"))
            });
            Reply::Set(picked.collect())
        }
    };
    db.notify(events::SET, "spop", key);
    db.touched(key);
    db.remove_if_empty(key);
    Ok(reply)
}

fn srandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(syntax_error());
    }
    let key = ctx.arg(1);
    let count = match ctx.args.get(2) {
        Some(c) => Some(args::random_count(c)?),
        None => None,
    };
    let max = max_intset_entries(ctx);
    let (db, rng) = db_and_rng(ctx);
    let Some(set) = db.get_set(key)? else {
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
            // The picks go straight into the reply (no list of them first);
            // its room is reserved from the count only up to a cap (the
            // allocation rule in `engine/mod.rs`).
            let count = n.unsigned_abs();
            if count > PACK_OVER {
                // One buffer, as Redis's output buffer holds it.
                let mut packed = PackedArray::bulks();
                packed.reserve(count, set.get_index(0).map_or(0, <[u8]>::len));
                // Positions are linear to reach in the packed form: list
                // them once (at most `PACK_MAX_ENTRIES`).
                let table: Option<Vec<&[u8]>> = set.is_packed().then(|| set.iter().collect());
                for _ in 0..count {
                    let i = rng.below(set.len());
                    match &table {
                        Some(t) => packed.push(t[i]),
                        None => packed.push(set.get_index(i).expect("in range")),
                    }
                }
                return Ok(Reply::Packed(packed));
            }
            let mut out = Vec::with_capacity(count.min(1 << 16) as usize);
            out.extend(
                (0..count).map(|_| Reply::Bulk(random_member(set, rng).expect("non-empty"))),
            );
            Reply::Array(out)
        }
        Some(n) if n as usize >= set.len() => {
            Reply::Array(ordered(set, max).into_iter().map(Reply::Bulk).collect())
        }
        Some(n) => Reply::Array(
            rng.distinct(set.len(), n as usize)
                .into_iter()
                .filter_map(|i| {
                    set.get_index(i)
                        .map(|m| Reply::Bulk(Bytes::copy_from_slice(m)))
                })
                .collect(),
        ),
    })
}

fn smove(ctx: &mut Ctx<'_>) -> CmdResult {
    let src = ctx.arg(1);
    let dst = ctx.arg(2);
    let m = ctx.arg(3);
    let db = ctx.db();
    // Redis looks both keys up for writing, answers 0 when the source is
    // missing, and only then checks both types.
    let src_exists = db.kind(src).is_some();
    db.contains(dst);
    if !src_exists {
        return Ok(Reply::Integer(0));
    }
    db.get_set_mut(src)?;
    db.get_set_mut(dst)?;
    if src == dst {
        let found = db.get_set(src)?.is_some_and(|s| s.contains(m));
        return Ok(Reply::Integer(found as i64));
    }
    let removed = db.get_set_mut(src)?.is_some_and(|s| s.swap_remove(m));
    if !removed {
        return Ok(Reply::Integer(0));
    }
    db.notify(events::SET, "srem", src);
    db.touched(src);
    db.remove_if_empty(src);
    if db.set_or_insert(dst)?.insert_ref(m) {
        db.touched(dst);
        db.notify(events::SET, "sadd", dst);
    }
    Ok(Reply::Integer(1))
}

/// Looks every key up once (in argument order), for reading (the STORE
/// forms too, as Redis 7.0 counts their hits and misses), failing with
/// WRONGTYPE on the first key of another type; `None` for missing keys.
/// The sets are borrowed, never copied: a key given many times costs one
/// pointer per repeat.
fn load_sets<'a>(db: &'a mut Db, keys: &[Bytes]) -> Result<Vec<Option<&'a Members>>, Reply> {
    for k in keys {
        db.get_set(k)?;
    }
    let db = &*db;
    Ok(keys
        .iter()
        .map(|k| match db.value(k) {
            Some(Value::Set(s)) => Some(&**s),
            _ => None,
        })
        .collect())
}

/// The intersection, listed in the smallest set's order (as Redis replies).
fn intersect(sets: &[Option<&Members>], max: usize) -> Vec<Bytes> {
    if sets.iter().any(Option::is_none) {
        return Vec::new();
    }
    let mut sets: Vec<&Members> = sets.iter().flatten().copied().collect();
    sets.sort_by_key(|s| s.len());
    let mut out = Vec::new();
    for m in ordered(sets[0], max) {
        if sets[1..].iter().all(|s| s.contains(&m)) {
            out.push(m);
        }
    }
    out
}

fn store_result(db: &mut Db, dst: &Bytes, result: Members, event: &'static str) -> Reply {
    let n = result.len();
    if n > 0 {
        db.insert(dst, Value::Set(Box::new(result)));
        db.notify(events::SET, event, dst);
    } else if db.remove(dst).is_some() {
        db.notify(events::GENERIC, "del", dst);
    }
    Reply::Integer(n as i64)
}

fn sinter(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = &ctx.args[1..];
    let max = max_intset_entries(ctx);
    let sets = load_sets(ctx.db(), keys)?;
    Ok(Reply::Set(
        intersect(&sets, max).into_iter().map(Reply::Bulk).collect(),
    ))
}

fn sinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    let dst = ctx.arg(1);
    let keys = &ctx.args[2..];
    let max = max_intset_entries(ctx);
    let db = ctx.db();
    let sets = load_sets(db, keys)?;
    let result: Members = intersect(&sets, max).into_iter().collect();
    Ok(store_result(db, dst, result, "sinterstore"))
}

fn sintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    let numkeys = args::numkeys(ctx.arg(1))?;
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
            let l = args::int_or(ctx.arg(i + 1), NEGATIVE_LIMIT)?;
            if l < 0 {
                return Err(err(NEGATIVE_LIMIT));
            }
            limit = l as usize;
            i += 2;
        } else {
            return Err(syntax_error());
        }
    }
    let keys = &ctx.args[2..2 + numkeys];
    let sets = load_sets(ctx.db(), keys)?;
    Ok(Reply::Integer(intersect_card(&sets, limit) as i64))
}

/// The size of the intersection (at most `limit` when not 0): the members
/// of the smallest set in its own order, no reply order to build.
fn intersect_card(sets: &[Option<&Members>], limit: usize) -> usize {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<_>>>() else {
        return 0;
    };
    sets.sort_by_key(|s| s.len());
    let mut n = 0;
    for m in sets[0] {
        if sets[1..].iter().all(|s| s.contains(m)) {
            n += 1;
            if n == limit {
                break;
            }
        }
    }
    n
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

fn union_diff(sets: Vec<Option<&Members>>, op: SetOp) -> Members {
    let mut iter = sets.into_iter();
    match op {
        SetOp::Union => {
            let mut out = Members::default();
            for s in iter.flatten() {
                out.extend(s.iter().map(Bytes::copy_from_slice));
            }
            out
        }
        SetOp::Diff => {
            let Some(Some(first)) = iter.next() else {
                return Members::default();
            };
            let mut out = first.clone();
            for s in iter.flatten() {
                if out.is_empty() {
                    break;
                }
                if std::ptr::eq(s, first) {
                    out.clear();
                    break;
                }
                for m in s {
                    out.swap_remove(m);
                }
            }
            out
        }
    }
}

fn union_diff_cmd(ctx: &mut Ctx<'_>, op: SetOp, store: Option<&'static str>) -> CmdResult {
    let first = if store.is_some() { 2 } else { 1 };
    let keys = &ctx.args[first..];
    let dst = ctx.arg(1);
    let max = max_intset_entries(ctx);
    let db = ctx.db();
    let sets = load_sets(db, keys)?;
    let result = union_diff(sets, op);
    Ok(match store {
        Some(event) => store_result(db, dst, result, event),
        None => set_reply(&result, max),
    })
}

fn sunion(ctx: &mut Ctx<'_>) -> CmdResult {
    union_diff_cmd(ctx, SetOp::Union, None)
}

fn sunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    union_diff_cmd(ctx, SetOp::Union, Some("sunionstore"))
}

fn sdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    union_diff_cmd(ctx, SetOp::Diff, None)
}

fn sdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    union_diff_cmd(ctx, SetOp::Diff, Some("sdiffstore"))
}

fn sscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(2))?;
    let key = ctx.arg(1);
    let args = ctx.args;
    let max = max_intset_entries(ctx);
    let Some(set) = ctx.db().get_set(key)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = ScanOpts::parse(&args[3..])?;
    let (next, items) = if is_intset(set, max) {
        (0, ordered(set, max))
    } else {
        scan_page(set.len(), cursor, opts.count, |i| {
            set.get_index(i).map(Bytes::copy_from_slice)
        })
    };
    let items = items
        .into_iter()
        .filter(|m| opts.matches(m))
        .map(Reply::Bulk)
        .collect();
    Ok(scan_reply(next, items))
}
