//! Sorted-set commands, the blocking pops included. The value, [`ZSet`](crate::engine::types::zset::ZSet)
//! (an order-statistic tree plus a member → score map) and its encoding
//! rules are in `types/zset.rs`.
//!
//! Replies follow Redis 7.0: scores are doubles (`%.17g` bulk strings in
//! RESP2, `,` doubles in RESP3, `inf` and `-inf`), and WITHSCORES replies
//! are flat in RESP2 and `[member, score]` pairs in RESP3.
//!
//! The group is split by theme: this file has the table and the
//! single-member commands (ZADD, ZSCORE, ZRANK, ZREM, ZRANDMEMBER, ZSCAN,
//! ...); [`ranges`] has the score and lex ranges (ZRANGE and its forms,
//! ZCOUNT, ZREMRANGEBY*); [`pops`] the pops, blocking or not; [`algebra`]
//! ZUNION, ZINTER, ZDIFF and their STORE forms. Every write that can
//! create or grow a sorted set goes through `Db::touched` (directly or via
//! `Db::insert`), which is what wakes clients blocked by BZPOPMIN & co.

mod algebra;
mod pops;
mod ranges;

use bytes::Bytes;

use super::scan::{ScanOpts, parse_cursor, scan_page, scan_reply};
use crate::engine::Ctx;
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, dest_then_numkeys_at_2,
    flags::*, numkeys_at_1, numkeys_at_2,
};
use crate::engine::keyspace::{Db, events};
use crate::engine::random::Rng;
use crate::engine::types::zset::{ListpackLimits, owned};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{OUT_OF_RANGE, err, syntax_error};
use crate::protocol::{PACK_OVER, PackedArray, Protocol, Reply, format_double};
use algebra::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore};
use pops::{bzmpop, bzpopmax, bzpopmin, zmpop, zpopmax, zpopmin};
use ranges::{
    zcount, zlexcount, zrange, zrangebylex, zrangebyscore, zrangestore, zremrangebylex,
    zremrangebyrank, zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};

const BLOCK_ZSET: u32 = WRITE | NOSCRIPT | BLOCKING;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, zadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("sorted-set", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Add one or more members to a sorted set, or update its score if it already exists"),
    CommandSpec::new("zcard", 2, zcard)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO"])
        .doc("sorted-set", "1.2.0", "O(1)", "Get the number of members in a sorted set"),
    CommandSpec::new("zcount", 4, zcount)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Count the members in a sorted set with scores within the given values"),
    CommandSpec::new("zdiff", -3, zdiff)
        .flags(READONLY | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(numkeys_at_1)
        .doc("sorted-set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets"),
    CommandSpec::new("zdiffstore", -4, zdiffstore)
        .flags(WRITE | DENYOOM | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(dest_then_numkeys_at_2)
        .doc("sorted-set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    CommandSpec::new("zincrby", 4, zincrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("sorted-set", "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Increment the score of a member in a sorted set"),
    CommandSpec::new("zinter", -3, zinter)
        .flags(READONLY | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(numkeys_at_1)
        .doc("sorted-set", "6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets"),
    CommandSpec::new("zintercard", -3, zintercard)
        .flags(READONLY | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(numkeys_at_1)
        .doc("sorted-set", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Intersect multiple sorted sets and return the cardinality of the result"),
    CommandSpec::new("zinterstore", -4, zinterstore)
        .flags(WRITE | DENYOOM | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(dest_then_numkeys_at_2)
        .doc("sorted-set", "2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    CommandSpec::new("zlexcount", 4, zlexcount)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.", "Count the number of members in a sorted set between a given lexicographical range"),
    CommandSpec::new("zmpop", -4, zmpop)
        .flags(WRITE | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RW", "access", "delete"], begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(numkeys_at_1)
        .doc("sorted-set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set"),
    CommandSpec::new("zmscore", -3, zmscore)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "6.2.0", "O(N) where N is the number of members being requested.", "Get the score associated with the given members in a sorted set"),
    CommandSpec::new("zpopmax", -2, zpopmax)
        .flags(WRITE | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "access", "delete"])
        .doc("sorted-set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the highest scores in a sorted set"),
    CommandSpec::new("zpopmin", -2, zpopmin)
        .flags(WRITE | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "access", "delete"])
        .doc("sorted-set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the lowest scores in a sorted set"),
    CommandSpec::new("zrandmember", -2, zrandmember)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("sorted-set", "6.2.0", "O(N) where N is the number of elements returned", "Get one or multiple random elements from a sorted set"),
    CommandSpec::new("zrange", -4, zrange)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set"),
    CommandSpec::new("zrangebylex", -4, zrangebylex)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range"),
    CommandSpec::new("zrangebyscore", -4, zrangebyscore)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score"),
    CommandSpec::new("zrangestore", -5, zrangestore)
        .flags(WRITE | DENYOOM)
        .acl(acl::SORTEDSET)
        .keys(1, 2, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("sorted-set", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Store a range of members from sorted set into another key"),
    CommandSpec::new("zrank", 3, zrank)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set"),
    CommandSpec::new("zrem", -3, zrem)
        .flags(WRITE | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("sorted-set", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Remove one or more members from a sorted set"),
    CommandSpec::new("zremrangebylex", 4, zremrangebylex)
        .flags(WRITE)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set between the given lexicographical range"),
    CommandSpec::new("zremrangebyrank", 4, zremrangebyrank)
        .flags(WRITE)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("sorted-set", "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given indexes"),
    CommandSpec::new("zremrangebyscore", 4, zremrangebyscore)
        .flags(WRITE)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given scores"),
    CommandSpec::new("zrevrange", -4, zrevrange)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    CommandSpec::new("zrevrangebylex", -4, zrevrangebylex)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    CommandSpec::new("zrevrangebyscore", -4, zrevrangebyscore)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    CommandSpec::new("zrevrank", 3, zrevrank)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    CommandSpec::new("zscan", -3, zscan)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("sorted-set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate sorted sets elements and associated scores"),
    CommandSpec::new("zscore", 3, zscore)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("sorted-set", "1.2.0", "O(1)", "Get the score associated with the given member in a sorted set"),
    CommandSpec::new("zunion", -3, zunion)
        .flags(READONLY | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(numkeys_at_1)
        .doc("sorted-set", "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets"),
    CommandSpec::new("zunionstore", -4, zunionstore)
        .flags(WRITE | DENYOOM | MOVABLEKEYS)
        .acl(acl::SORTEDSET)
        .keys(1, 1, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ])
        .getkeys(dest_then_numkeys_at_2)
        .doc("sorted-set", "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    CommandSpec::new("bzpopmin", -3, bzpopmin)
        .flags(BLOCK_ZSET | FAST)
        .acl(acl::SORTEDSET)
        .keys(1, -2, 1, &["RW", "access", "delete"])
        .doc(
            "sorted-set",
            "5.0.0",
            "O(log(N)) with N being the number of elements in the sorted set.",
            "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        ),
    CommandSpec::new("bzpopmax", -3, bzpopmax)
        .flags(BLOCK_ZSET | FAST)
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
        .key_specs(BZMPOP_KEYS)
        .getkeys(numkeys_at_2)
        .doc(
            "sorted-set",
            "7.0.0",
            "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
            "Remove and return members with scores in a sorted set or block until one is available",
        ),
];

const BZMPOP_KEYS: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RW", "access", "delete"],
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

/// The current `zset-max-listpack-entries` / `zset-max-listpack-value`
/// (CONFIG SET changes them; existing sets convert on their next insert).
/// GEOSEARCHSTORE and GEORADIUS STORE use them for their destination.
pub(crate) fn limits(ctx: &Ctx<'_>) -> ListpackLimits {
    ctx.engine.encoding_limits().zset
}

fn resp3(ctx: &Ctx<'_>) -> bool {
    ctx.client.protocol == Protocol::Resp3
}

fn db_and_rng<'a>(ctx: &'a mut Ctx<'_>) -> (&'a mut Db, &'a Rng) {
    let engine = &mut *ctx.engine;
    (&mut engine.dbs[ctx.client.db], &engine.random)
}

/// Members with (optionally) scores, as Redis 7.0 replies: RESP2 a flat
/// array `member, score, ...`; RESP3 an array of `[member, score]` pairs.
fn members_reply(
    items: impl IntoIterator<Item = (Bytes, f64)>,
    withscores: bool,
    resp3: bool,
) -> Reply {
    let items = items.into_iter();
    // Sized from the items, never from a client's count alone (the
    // allocation rule in `engine/mod.rs`): past the cap, the vector grows
    // as the items come.
    let cap = items.size_hint().0.min(REPLY_PREALLOC);
    if !withscores {
        let mut out = Vec::with_capacity(cap);
        out.extend(items.map(|(m, _)| Reply::Bulk(m)));
        return Reply::Array(out);
    }
    if resp3 {
        let mut out = Vec::with_capacity(cap);
        out.extend(items.map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)])));
        Reply::Array(out)
    } else {
        let mut out = Vec::with_capacity(cap * 2);
        for (m, s) in items {
            out.push(Reply::Bulk(m));
            out.push(Reply::Double(s));
        }
        Reply::Array(out)
    }
}

/// The most elements a reply reserves room for up front.
const REPLY_PREALLOC: usize = 1 << 16;

// --- ZADD and friends -------------------------------------------------------

/// Redis's `zaddGenericCommand` (ZADD, and ZINCRBY with `incr_only`).
fn zadd_generic(ctx: &mut Ctx<'_>, incr_only: bool) -> CmdResult {
    let args = ctx.args;
    let key = &args[1];
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, incr_only);
    let mut idx = 2;
    while idx < args.len() {
        let a = &args[idx];
        if is(a, "nx") {
            nx = true;
        } else if is(a, "xx") {
            xx = true;
        } else if is(a, "ch") {
            ch = true;
        } else if is(a, "incr") {
            incr = true;
        } else if is(a, "gt") {
            gt = true;
        } else if is(a, "lt") {
            lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = args.len() - idx;
    if elements % 2 == 1 || elements == 0 {
        return Err(syntax_error());
    }
    let elements = elements / 2;
    if nx && xx {
        return Err(err(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(err(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 1 {
        return Err(err(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let mut pairs = Vec::with_capacity(elements);
    for i in 0..elements {
        let score = args::float(&args[idx + 2 * i])?;
        pairs.push((score, &args[idx + 2 * i + 1]));
    }
    let lim = limits(ctx);
    let db = ctx.db();
    let exists = db.get_zset_mut(key)?.is_some();
    if !exists && xx {
        return Ok(if incr { Reply::Nil } else { Reply::Integer(0) });
    }
    let z = db.zset_or_insert(key)?;
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut last_score = 0.0;
    let mut nan = false;
    for (score, member) in pairs {
        match z.score(member) {
            Some(cur) => {
                if nx {
                    continue;
                }
                let score = if incr { score + cur } else { score };
                if score.is_nan() {
                    nan = true;
                    break;
                }
                if (lt && score >= cur) || (gt && score <= cur) {
                    continue;
                }
                last_score = score;
                processed += 1;
                if score != cur {
                    z.insert_with(member, score, lim);
                    updated += 1;
                }
            }
            None => {
                if xx {
                    continue;
                }
                last_score = score;
                processed += 1;
                z.insert_with(member, score, lim);
                added += 1;
            }
        }
    }
    if added + updated > 0 {
        db.touched(key);
        db.notify(events::ZSET, if incr { "zincr" } else { "zadd" }, key);
    }
    db.remove_if_empty(key);
    if nan {
        return Err(err("ERR resulting score is not a number (NaN)"));
    }
    Ok(if incr {
        if processed > 0 {
            Reply::Double(last_score)
        } else {
            Reply::Nil
        }
    } else {
        Reply::Integer(if ch { added + updated } else { added })
    })
}

fn zadd(ctx: &mut Ctx<'_>) -> CmdResult {
    zadd_generic(ctx, false)
}

fn zincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    zadd_generic(ctx, true)
}

fn zcard(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    Ok(Reply::Integer(
        ctx.db().get_zset(key)?.map_or(0, |z| z.len() as i64),
    ))
}

fn zscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let m = ctx.arg(2);
    Ok(match ctx.db().get_zset(key)?.and_then(|z| z.score(m)) {
        Some(s) => Reply::Double(s),
        None => Reply::Nil,
    })
}

fn zmscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let z = ctx.db().get_zset(key)?;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                Some(s) => Reply::Double(s),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn rank_generic(ctx: &mut Ctx<'_>, rev: bool) -> CmdResult {
    let key = ctx.arg(1);
    let m = ctx.arg(2);
    let Some(z) = ctx.db().get_zset(key)? else {
        return Ok(Reply::Nil);
    };
    Ok(match z.rank(m) {
        Some(r) if rev => Reply::Integer((z.len() - 1 - r) as i64),
        Some(r) => Reply::Integer(r as i64),
        None => Reply::Nil,
    })
}

fn zrank(ctx: &mut Ctx<'_>) -> CmdResult {
    rank_generic(ctx, false)
}

fn zrevrank(ctx: &mut Ctx<'_>) -> CmdResult {
    rank_generic(ctx, true)
}

fn zrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let db = ctx.db();
    let Some(z) = db.get_zset_mut(key)? else {
        return Ok(Reply::Integer(0));
    };
    let mut removed = 0;
    for m in &args[2..] {
        if z.remove(m) {
            removed += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        db.notify(events::ZSET, "zrem", key);
        db.touched(key);
        db.remove_if_empty(key);
    }
    Ok(Reply::Integer(removed))
}

// --- ZRANDMEMBER ---------------------------------------------------------------

fn zrandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let resp3 = resp3(ctx);
    let args = ctx.args;
    if args.len() == 2 {
        let (db, rng) = db_and_rng(ctx);
        return Ok(match db.get_zset(key)? {
            None => Reply::Nil,
            Some(z) => {
                let (m, _) = z.at(rng.below(z.len())).expect("sets are never empty");
                Reply::Bulk(Bytes::copy_from_slice(m))
            }
        });
    }
    let count = args::random_count(&args[2])?;
    let withscores = match args.len() {
        3 => false,
        4 if is(&args[3], "withscores") => {
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
                return Err(err(OUT_OF_RANGE));
            }
            true
        }
        _ => return Err(syntax_error()),
    };
    let (db, rng) = db_and_rng(ctx);
    let Some(z) = db.get_zset(key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let len = z.len();
    // Positions are linear to reach in the packed form: list them once (at
    // most `PACK_MAX_ENTRIES`) for repeated picks.
    let table: Option<Vec<(&[u8], f64)>> = (count < 0 && z.is_packed()).then(|| z.iter().collect());
    let at = |i: usize| match &table {
        Some(t) => t.get(i).copied(),
        None => z.at(i),
    };
    if count < 0 && count.unsigned_abs() > PACK_OVER {
        // One buffer, as Redis's output buffer holds it.
        let n = count.unsigned_abs();
        let first = z.at(0).map_or(0, |(m, _)| m.len());
        let mut packed = if withscores {
            PackedArray::scored(resp3)
        } else {
            PackedArray::bulks()
        };
        packed.reserve(n, first);
        for _ in 0..n {
            let (m, s) = at(rng.below(len)).expect("in range");
            if withscores {
                packed.push_scored(m, s);
            } else {
                packed.push(m);
            }
        }
        return Ok(Reply::Packed(packed));
    }
    if count < 0 {
        // Built straight into the reply: no list of picks first.
        let picks = (0..count.unsigned_abs()).map(|_| {
            let (m, s) = at(rng.below(len)).expect("in range");
            (Bytes::copy_from_slice(m), s)
        });
        return Ok(members_reply(picks, withscores, resp3));
    }
    let items: Vec<(Bytes, f64)> = if count == 0 {
        Vec::new()
    } else if count as usize >= len {
        // The whole set, highest first, as Redis 7.0 lists it.
        z.iter().rev().map(owned).collect()
    } else {
        rng.distinct(len, count as usize)
            .into_iter()
            .filter_map(|i| z.at(i).map(owned))
            .collect()
    };
    Ok(members_reply(items, withscores, resp3))
}

// --- ZSCAN ----------------------------------------------------------------------

/// A score as a listpack stores it (Redis 7.0's `d2string`): an integral
/// value within ±2^62 as an integer (so `-0` is `0`), otherwise `%.17g`.
/// A skiplist-encoded set is scanned with `%.17g` throughout.
fn listpack_score_text(d: f64) -> String {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // (double)(LLONG_MAX / 2)
    if (-LIMIT..=LIMIT).contains(&d) && d.trunc() == d {
        (d as i64).to_string()
    } else {
        format_double(d)
    }
}

fn zscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(2))?;
    let key = ctx.arg(1);
    let args = ctx.args;
    let Some(z) = ctx.db().get_zset(key)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = ScanOpts::parse(&args[3..])?;
    let listpack = z.encoding() == "listpack";
    let (next, page): (u64, Vec<(Bytes, f64)>) = if listpack {
        (0, z.iter().map(owned).collect())
    } else {
        scan_page(z.len(), cursor, opts.count, |i| z.at(i).map(owned))
    };
    let mut items = Vec::with_capacity(page.len() * 2);
    for (m, s) in page {
        if opts.matches(&m) {
            items.push(Reply::Bulk(m));
            let text = if listpack {
                listpack_score_text(s)
            } else {
                format_double(s)
            };
            items.push(Reply::Bulk(Bytes::from(text)));
        }
    }
    Ok(scan_reply(next, items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Config, Engine};

    fn run(engine: &mut Engine, client: u64, args: &[&str]) -> Reply {
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        engine.execute(client, &args).reply
    }

    fn encoding(engine: &mut Engine, key: &str) -> Option<&'static str> {
        engine.dbs[0]
            .get_zset(key.as_bytes())
            .ok()
            .flatten()
            .map(|z| z.encoding())
    }

    /// Keyspace events per command, as redis-server 7.0.15 publishes them
    /// on `__keyevent@0__:*` with `notify-keyspace-events KEA` (recorded
    /// from the real server; `event(key)` in order).
    #[test]
    fn keyspace_events_match_redis() {
        let script: &[(&str, &str)] = &[
            ("SADD s a b c", "sadd(s)"),
            ("SADD s a", ""),
            ("SREM s a", "srem(s)"),
            ("SPOP s", "spop(s)"),
            ("SPOP s 5", "spop(s) del(s)"),
            ("SADD s a b", "sadd(s)"),
            ("SMOVE s t a", "srem(s) sadd(t)"),
            ("SMOVE s t b", "srem(s) del(s) sadd(t)"),
            ("SADD s x", "sadd(s)"),
            ("SINTERSTORE d s t", ""),
            ("SINTERSTORE d s nokey", ""),
            ("SUNIONSTORE d s", "sunionstore(d)"),
            ("SDIFFSTORE d s s", "del(d)"),
            ("ZADD z 1 a 2 b 3 c", "zadd(z)"),
            ("ZADD z 1 a", ""),
            ("ZADD z INCR 1 a", "zincr(z)"),
            ("ZINCRBY z 1 a", "zincr(z)"),
            ("ZREM z a", "zrem(z)"),
            ("ZREMRANGEBYSCORE z 0 2", "zremrangebyscore(z)"),
            ("ZPOPMIN z 1", "zpopmin(z) del(z)"),
            ("ZADD z 1 a 2 b", "zadd(z)"),
            ("ZMPOP 1 z MAX COUNT 5", "zpopmax(z) del(z)"),
            ("ZADD z 1 a 2 b", "zadd(z)"),
            ("ZRANGESTORE d z 0 -1", "zrangestore(d)"),
            ("ZRANGESTORE d z 5 6", "del(d)"),
            ("ZUNIONSTORE d 1 z", "zunionstore(d)"),
            ("ZINTERSTORE d 1 z", "zinterstore(d)"),
            ("ZDIFFSTORE d 2 z z", "del(d)"),
            ("ZREMRANGEBYRANK z 0 0", "zremrangebyrank(z)"),
            ("ZREMRANGEBYLEX z - +", "zremrangebylex(z) del(z)"),
            ("SADD s 1", "sadd(s)"),
            ("SPOP s 0", ""),
            ("SADD s 1 2 3", "sadd(s)"),
            ("SPOP s 2", "spop(s)"),
            ("SPOP s 1", "spop(s)"),
            ("ZADD z 1 a", "zadd(z)"),
            ("ZADD z XX 1 b", ""),
            ("ZADD z GT 0 a", ""),
            ("ZADD z CH 5 a", "zadd(z)"),
        ];
        let mut e = Engine::new(Config::default());
        let c = e.connect("test".into(), "test".into());
        run(
            &mut e,
            c,
            &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        );
        e.event_log.clear();
        for (cmd, want) in script {
            let args: Vec<&str> = cmd.split(' ').collect();
            run(&mut e, c, &args);
            let got: Vec<String> = e
                .event_log
                .drain(..)
                .map(|(_, ev)| format!("{}({})", ev.event, String::from_utf8_lossy(&ev.key)))
                .collect();
            assert_eq!(got.join(" "), *want, "{cmd}");
        }
    }

    /// The encodings Redis 7.0.15 reports for the same script (checked with
    /// OBJECT ENCODING on the real server).
    #[test]
    fn encodings_follow_redis() {
        let mut e = Engine::new(Config::default());
        let c = e.connect("test".into(), "test".into());
        let mut zadd: Vec<String> = vec!["ZADD".into(), "z".into()];
        for i in 0..129 {
            zadd.push(i.to_string());
            zadd.push(format!("m{i}"));
        }
        let mut first128: Vec<&str> = zadd.iter().map(String::as_str).collect();
        first128.truncate(2 + 2 * 128);
        first128[1] = "y";
        run(&mut e, c, &first128);
        assert_eq!(encoding(&mut e, "y"), Some("listpack"));
        let all: Vec<&str> = zadd.iter().map(String::as_str).collect();
        run(&mut e, c, &all);
        assert_eq!(encoding(&mut e, "z"), Some("skiplist"));
        run(&mut e, c, &["ZREMRANGEBYRANK", "z", "3", "-1"]);
        assert_eq!(encoding(&mut e, "z"), Some("skiplist"), "one-way");
        run(&mut e, c, &["ZUNIONSTORE", "d", "1", "z"]);
        assert_eq!(encoding(&mut e, "d"), Some("listpack"));
        run(&mut e, c, &["ZRANGESTORE", "r", "z", "0", "-1"]);
        assert_eq!(encoding(&mut e, "r"), Some("listpack"));
        let long = "x".repeat(65);
        run(&mut e, c, &["ZADD", "w", "1", &long]);
        assert_eq!(encoding(&mut e, "w"), Some("skiplist"));
        run(&mut e, c, &["ZADD", "w2", "1", &long[..64]]);
        assert_eq!(encoding(&mut e, "w2"), Some("listpack"));
        run(&mut e, c, &["ZUNIONSTORE", "w3", "1", "w"]);
        assert_eq!(encoding(&mut e, "w3"), Some("skiplist"));
    }
}
