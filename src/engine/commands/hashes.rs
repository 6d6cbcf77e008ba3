//! Hash commands: HSET ... HSCAN. The value, [`Hash`], and its encoding
//! rules (listpack order, the one-way conversion to `hashtable`) are in
//! `types/hash.rs`; HSCAN mirrors the encoding (a listpack comes back whole
//! with cursor 0).

use bytes::Bytes;

use super::scan::{ScanOpts, parse_cursor, scan_page, scan_reply};
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::keyspace::{Db, events};
use crate::engine::types::hash::Limits;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{
    NAN_OR_INFINITY, NOT_FLOAT, OUT_OF_RANGE, OVERFLOW, err, syntax_error, wrong_arity,
};
use crate::engine::util::ldouble::LongDouble;
use crate::engine::{Ctx, Engine};
use crate::protocol::{PACK_OVER, PackedArray, Protocol, Reply};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hdel", -3, hdel)
        .flags(WRITE | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("hash", "2.0.0", "O(N) where N is the number of fields to be removed.", "Delete one or more hash fields"),
    CommandSpec::new("hexists", 3, hexists)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO"])
        .doc("hash", "2.0.0", "O(1)", "Determine if a hash field exists"),
    CommandSpec::new("hget", 3, hget)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("hash", "2.0.0", "O(1)", "Get the value of a hash field"),
    CommandSpec::new("hgetall", 2, hgetall)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output_order"])
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields and values in a hash"),
    CommandSpec::new("hincrby", 4, hincrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("hash", "2.0.0", "O(1)", "Increment the integer value of a hash field by the given number"),
    CommandSpec::new("hincrbyfloat", 4, hincrbyfloat)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("hash", "2.6.0", "O(1)", "Increment the float value of a hash field by the given amount"),
    CommandSpec::new("hkeys", 2, hkeys)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output_order"])
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields in a hash"),
    CommandSpec::new("hlen", 2, hlen)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO"])
        .doc("hash", "2.0.0", "O(1)", "Get the number of fields in a hash"),
    CommandSpec::new("hmget", -3, hmget)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("hash", "2.0.0", "O(N) where N is the number of fields being requested.", "Get the values of all the given hash fields"),
    CommandSpec::new("hmset", -4, hmset)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("hash", "2.0.0", "O(N) where N is the number of fields being set.", "Set multiple hash fields to multiple values"),
    CommandSpec::new("hrandfield", -2, hrandfield)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("hash", "6.2.0", "O(N) where N is the number of fields returned", "Get one or multiple random fields from a hash"),
    CommandSpec::new("hscan", -3, hscan)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("hash", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate hash fields and associated values"),
    CommandSpec::new("hset", -4, hset)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("hash", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "Set the string value of a hash field"),
    CommandSpec::new("hsetnx", 4, hsetnx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("hash", "2.0.0", "O(1)", "Set the value of a hash field, only if the field does not exist"),
    CommandSpec::new("hstrlen", 3, hstrlen)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO"])
        .doc("hash", "3.2.0", "O(1)", "Get the length of the value of a hash field"),
    CommandSpec::new("hvals", 2, hvals)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output_order"])
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the values in a hash"),
];

/// `hash-max-listpack-entries` and `hash-max-listpack-value` as configured
/// (CONFIG SET), with Redis 7.0's defaults.
pub(crate) fn listpack_limits(engine: &Engine) -> Limits {
    engine.encoding_limits().hash
}

fn hash_arity_ok(ctx: &Ctx<'_>) -> bool {
    ctx.args.len() % 2 == 0
}

/// Sets the pairs in `args` (field, value, field, value...); returns how
/// many fields were new. Signals the modification and queues `hset`.
fn set_pairs(db: &mut Db, key: &Bytes, pairs: &[Bytes], limits: Limits) -> Result<i64, Reply> {
    let hash = db.hash_or_insert(key)?;
    let mut created = 0;
    for pair in pairs.chunks_exact(2) {
        if hash.set(&pair[0], &pair[1], limits) {
            created += 1;
        }
    }
    db.touched(key);
    db.notify(events::HASH, "hset", key);
    Ok(created)
}

fn hset(ctx: &mut Ctx<'_>) -> CmdResult {
    if !hash_arity_ok(ctx) {
        return Err(wrong_arity("hset"));
    }
    let key = ctx.arg(1);
    let pairs = &ctx.args[2..];
    let limits = listpack_limits(ctx.engine);
    let db = &mut ctx.engine.dbs[ctx.client.db];
    set_pairs(db, key, pairs, limits).map(Reply::int)
}

fn hmset(ctx: &mut Ctx<'_>) -> CmdResult {
    if !hash_arity_ok(ctx) {
        return Err(wrong_arity("hmset"));
    }
    let key = ctx.arg(1);
    let pairs = &ctx.args[2..];
    let limits = listpack_limits(ctx.engine);
    let db = &mut ctx.engine.dbs[ctx.client.db];
    set_pairs(db, key, pairs, limits).map(|_| Reply::ok())
}

fn hsetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field, value) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let limits = listpack_limits(ctx.engine);
    let db = ctx.db();
    let hash = db.hash_or_insert(key)?;
    if hash.contains_key(field) {
        return Ok(Reply::int(0));
    }
    hash.set(field, value, limits);
    db.touched(key);
    db.notify(events::HASH, "hset", key);
    Ok(Reply::int(1))
}

fn hget(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    Ok(
        match ctx.db().get_hash(key)?.and_then(|h| h.get_bytes(field)) {
            Some(v) => Reply::Bulk(v),
            None => Reply::Nil,
        },
    )
}

fn hmget(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let fields = &ctx.args[2..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    let hash = db.get_hash(key)?;
    Ok(Reply::Array(
        fields
            .iter()
            .map(|f| match hash.and_then(|h| h.get_bytes(f)) {
                Some(v) => Reply::Bulk(v),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn hdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let fields = &ctx.args[2..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    let Some(hash) = db.get_hash_mut(key)? else {
        return Ok(Reply::int(0));
    };
    let mut deleted = 0;
    for f in fields {
        if hash.remove(f).is_some() {
            deleted += 1;
            if hash.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        db.touched(key);
        db.notify(events::HASH, "hdel", key);
        db.remove_if_empty(key);
    }
    Ok(Reply::int(deleted))
}

fn hlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    Ok(Reply::int(
        ctx.db().get_hash(key)?.map_or(0, |h| h.len()) as i64
    ))
}

fn hstrlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let len = ctx
        .db()
        .get_hash(key)?
        .and_then(|h| h.get(field))
        .map_or(0, |v| v.len());
    Ok(Reply::int(len as i64))
}

fn hexists(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let found = ctx
        .db()
        .get_hash(key)?
        .is_some_and(|h| h.contains_key(field));
    Ok(Reply::int(found as i64))
}

/// HKEYS, HVALS and HGETALL (Redis's `genericHgetallCommand`).
fn getall(ctx: &mut Ctx<'_>, keys: bool, values: bool) -> CmdResult {
    let key = ctx.arg(1);
    let Some(hash) = ctx.db().get_hash(key)? else {
        return Ok(if keys && values {
            Reply::Map(Vec::new())
        } else {
            Reply::Array(Vec::new())
        });
    };
    Ok(match (keys, values) {
        (true, true) => Reply::Map(
            hash.iter_bytes()
                .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
                .collect(),
        ),
        (true, false) => Reply::bulks(hash.iter_bytes().map(|(f, _)| f)),
        _ => Reply::bulks(hash.iter_bytes().map(|(_, v)| v)),
    })
}

fn hkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    getall(ctx, true, false)
}

fn hvals(ctx: &mut Ctx<'_>) -> CmdResult {
    getall(ctx, false, true)
}

fn hgetall(ctx: &mut Ctx<'_>) -> CmdResult {
    getall(ctx, true, true)
}

fn hincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let incr = args::int(ctx.arg(3))?;
    let limits = listpack_limits(ctx.engine);
    let db = ctx.db();
    let hash = db.hash_or_insert(key)?;
    let current = match hash.get(field) {
        Some(v) => {
            crate::protocol::string2ll(v).ok_or_else(|| err("ERR hash value is not an integer"))?
        }
        None => 0,
    };
    let sum = current.checked_add(incr).ok_or_else(|| err(OVERFLOW))?;
    hash.set(field, &Bytes::from(sum.to_string()), limits);
    db.touched(key);
    db.notify(events::HASH, "hincrby", key);
    Ok(Reply::int(sum))
}

fn hincrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let incr = LongDouble::parse(ctx.arg(3)).ok_or_else(|| err(NOT_FLOAT))?;
    if !incr.is_finite() {
        return Err(err("ERR value is NaN or Infinity"));
    }
    let limits = listpack_limits(ctx.engine);
    let db = ctx.db();
    let hash = db.hash_or_insert(key)?;
    let current = match hash.get(field) {
        Some(v) => LongDouble::parse(v).ok_or_else(|| err("ERR hash value is not a float"))?,
        None => LongDouble::ZERO,
    };
    let sum = current.add(incr);
    if !sum.is_finite() {
        return Err(err(NAN_OR_INFINITY));
    }
    let text = Bytes::from(sum.to_human());
    hash.set(field, &text, limits);
    db.touched(key);
    db.notify(events::HASH, "hincrbyfloat", key);
    Ok(Reply::Bulk(text))
}

/// `HRANDFIELD key [count [WITHVALUES]]`, as Redis 7.0's
/// `hrandfieldCommand`/`hrandfieldWithCountCommand`: a count at least the
/// hash's size returns the whole hash in HGETALL order; a smaller positive
/// count returns distinct fields, and from a listpack hash asked for at
/// most a third of its fields they come in the hash's order (Redis's
/// `lpRandomPairsUnique`). Picks come from the engine's seeded generator
/// over the fields in the hash's own (deterministic) order, so they are
/// reproducible after `server.seed(n)`.
fn hrandfield(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut count = None;
    let mut with_values = false;
    if ctx.args.len() >= 3 {
        let c = args::random_count(ctx.arg(2))?;
        if ctx.args.len() == 4 && is(ctx.arg(3), "withvalues") {
            with_values = true;
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&c) {
                return Err(err(OUT_OF_RANGE));
            }
        } else if ctx.args.len() >= 4 {
            return Err(syntax_error());
        }
        count = Some(c);
    }
    let resp3 = ctx.client.protocol == Protocol::Resp3;
    let key = ctx.arg(1);
    let Engine { dbs, random, .. } = &mut *ctx.engine;
    let Some(hash) = dbs[ctx.client.db].get_hash(key)? else {
        return Ok(match count {
            Some(_) => Reply::Array(Vec::new()),
            None => Reply::Nil,
        });
    };
    let size = hash.len();
    let Some(count) = count else {
        let (f, _) = hash.indexed().get(random.below(size)).expect("in range");
        return Ok(Reply::Bulk(Bytes::copy_from_slice(f)));
    };
    // O(1) picks: a listpack is walked once for all of them.
    let indexed = hash.indexed();
    if count < 0 && count.unsigned_abs() > PACK_OVER {
        // One buffer, as Redis's output buffer holds it.
        let n = count.unsigned_abs();
        let mut packed = PackedArray::bulk_pairs(with_values && resp3);
        packed.reserve(n.saturating_mul(1 + with_values as u64), 8);
        for _ in 0..n {
            let (f, v) = indexed.get(random.below(size)).expect("in range");
            packed.push(f);
            if with_values {
                packed.push(v);
            }
        }
        return Ok(Reply::Packed(packed));
    }
    let picks: Vec<(&[u8], &[u8])> = if count < 0 {
        (0..count.unsigned_abs())
            .map(|_| indexed.get(random.below(size)).expect("in range"))
            .collect()
    } else if count as u64 >= size as u64 {
        // The whole hash, in the order HGETALL gives it.
        hash.iter().collect()
    } else {
        // Distinct picks, O(count) expected.
        let n = count as usize;
        let mut positions = random.distinct(size, n);
        if hash.is_listpack() && n * 3 <= size {
            positions.sort_unstable();
        }
        positions
            .into_iter()
            .map(|i| indexed.get(i).expect("in range"))
            .collect()
    };
    let bulk = |s: &[u8]| Reply::Bulk(Bytes::copy_from_slice(s));
    Ok(Reply::Array(if with_values && resp3 {
        picks
            .into_iter()
            .map(|(f, v)| Reply::Array(vec![bulk(f), bulk(v)]))
            .collect()
    } else if with_values {
        picks
            .into_iter()
            .flat_map(|(f, v)| [bulk(f), bulk(v)])
            .collect()
    } else {
        picks.into_iter().map(|(f, _)| bulk(f)).collect()
    }))
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack-encoded hash
/// comes back whole, in insertion order, with cursor 0, whatever the cursor
/// and COUNT (as Redis does); a `hashtable` one is paged by table position
/// (`types::scan_span`): O(COUNT) per call, and every field present for
/// the whole iteration is returned at least once.
fn hscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(2))?;
    let key = ctx.arg(1);
    let args = ctx.args;
    let Some(hash) = ctx.db().get_hash(key)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = ScanOpts::parse(&args[3..])?;
    let keep = |f: &[u8]| opts.matches(f);
    let bulk = |s: &[u8]| Reply::Bulk(Bytes::copy_from_slice(s));
    let mut out = Vec::new();
    let mut next = 0u64;
    if hash.is_listpack() {
        for (f, v) in hash.iter().filter(|(f, _)| keep(f)) {
            out.push(bulk(f));
            out.push(bulk(v));
        }
    } else {
        let page;
        let indexed = hash.indexed();
        (next, page) = scan_page(hash.len(), cursor, opts.count, |i| indexed.get(i));
        for (f, v) in page.into_iter().filter(|(f, _)| keep(f)) {
            out.push(bulk(f));
            out.push(bulk(v));
        }
    }
    Ok(scan_reply(next, out))
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::events_of;

    #[test]
    fn commands_queue_redis_events() {
        let got = events_of(&[
            "HSET h a 1",
            "HMSET h b 2",
            "HSETNX h a 3",
            "HSETNX h c 3",
            "HINCRBY h n 1",
            "HINCRBYFLOAT h x 1.5",
            "HDEL h zz",
            "HDEL h a b c n",
            "HDEL h x",
        ]);
        let want: Vec<Vec<&str>> = vec![
            vec!["new:h", "hset:h"],
            vec!["hset:h"],
            vec![],
            vec!["hset:h"],
            vec!["hincrby:h"],
            vec!["hincrbyfloat:h"],
            vec![],
            vec!["hdel:h"],
            vec!["hdel:h", "del:h"],
        ];
        assert_eq!(got, want);
    }
}
