//! Hash commands.
//!
//! Hashes are `HashMap<Bytes, Bytes>` values in the keyspace. Redis keeps a
//! small hash in a listpack (insertion order, scanned in one call) and
//! converts it, one way, to a hash table once it grows past
//! `hash-max-listpack-entries` fields or holds a field or value longer than
//! `hash-max-listpack-value` bytes. [`hash_encoding`] reports which of the
//! two Redis would be using, and HSCAN mirrors the difference: a
//! listpack-sized hash comes back whole with cursor 0.

use std::collections::HashMap;

use bytes::Bytes;

use super::args::{self, OVERFLOW, err, is, syntax_error};
use super::command::{CommandSpec, acl, flags::*};
use super::keyspace::{Db, events, scan_hash};
use super::ldouble::LongDouble;
use super::{Ctx, Engine};
use crate::protocol::{Protocol, Reply};

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

/// Redis 7.0's compiled-in `hash-max-listpack-entries` (the sample
/// redis.conf says 128, but a server started without it uses 512).
pub(crate) const DEFAULT_MAX_LISTPACK_ENTRIES: usize = 512;
/// Redis 7.0's default `hash-max-listpack-value`.
pub(crate) const DEFAULT_MAX_LISTPACK_VALUE: usize = 64;

type Res = Result<Reply, Reply>;

fn done(r: Res) -> Reply {
    r.unwrap_or_else(|e| e)
}

/// The encoding `OBJECT ENCODING` reports for a hash, given
/// `hash-max-listpack-entries` and `hash-max-listpack-value`: `listpack`
/// while the hash has at most `max_entries` fields and no field or value is
/// longer than `max_value` bytes, `hashtable` beyond.
///
/// Redis never converts a hash table back to a listpack, so a hash that
/// grew past a threshold and shrank again stays `hashtable` there; the
/// keyspace keeps no encoding state for hashes, so this answers from the
/// contents alone (the divergence is limited to such shrunk hashes).
///
/// ```ignore
/// let (entries, value) = hashes::listpack_limits(ctx.engine);
/// let enc = hashes::hash_encoding(&h, entries, value);
/// ```
// For OBJECT ENCODING, which lives in keys.rs.
#[allow(dead_code)]
pub(crate) fn hash_encoding(
    hash: &HashMap<Bytes, Bytes>,
    max_entries: usize,
    max_value: usize,
) -> &'static str {
    if is_listpack(hash, max_entries, max_value) {
        "listpack"
    } else {
        "hashtable"
    }
}

/// `hash-max-listpack-entries` and `hash-max-listpack-value` as configured
/// (CONFIG SET), with Redis 7.0's defaults.
pub(crate) fn listpack_limits(engine: &Engine) -> (usize, usize) {
    let get = |name: &str, default: usize| {
        engine
            .config_int(name)
            .map_or(default, |v| v.max(0) as usize)
    };
    (
        get("hash-max-listpack-entries", DEFAULT_MAX_LISTPACK_ENTRIES),
        get("hash-max-listpack-value", DEFAULT_MAX_LISTPACK_VALUE),
    )
}

fn is_listpack(hash: &HashMap<Bytes, Bytes>, max_entries: usize, max_value: usize) -> bool {
    hash.len() <= max_entries
        && hash
            .iter()
            .all(|(f, v)| f.len() <= max_value && v.len() <= max_value)
}

fn hash_arity_ok(ctx: &Ctx<'_>) -> bool {
    ctx.args.len() % 2 == 0
}

/// Sets the pairs in `args` (field, value, field, value...); returns how
/// many fields were new. Signals the modification and queues `hset`.
fn set_pairs(db: &mut Db, key: &Bytes, pairs: &[Bytes]) -> Result<i64, Reply> {
    let hash = db.hash_or_insert(key)?;
    let mut created = 0;
    for pair in pairs.chunks_exact(2) {
        if hash.insert(pair[0].clone(), pair[1].clone()).is_none() {
            created += 1;
        }
    }
    db.touched(key);
    db.notify(events::HASH, "hset", key);
    Ok(created)
}

fn hset(ctx: &mut Ctx<'_>) -> Reply {
    if !hash_arity_ok(ctx) {
        return args::wrong_arity("hset");
    }
    let key = ctx.arg(1).clone();
    let pairs = &ctx.args[2..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    done(set_pairs(db, &key, pairs).map(Reply::int))
}

fn hmset(ctx: &mut Ctx<'_>) -> Reply {
    if !hash_arity_ok(ctx) {
        return args::wrong_arity("hmset");
    }
    let key = ctx.arg(1).clone();
    let pairs = &ctx.args[2..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    done(set_pairs(db, &key, pairs).map(|_| Reply::ok()))
}

fn hsetnx(ctx: &mut Ctx<'_>) -> Reply {
    let (key, field, value) = (ctx.arg(1).clone(), ctx.arg(2).clone(), ctx.arg(3).clone());
    let db = ctx.db();
    done((|| {
        let hash = db.hash_or_insert(&key)?;
        if hash.contains_key(&field) {
            return Ok(Reply::int(0));
        }
        hash.insert(field, value);
        db.touched(&key);
        db.notify(events::HASH, "hset", &key);
        Ok(Reply::int(1))
    })())
}

fn hget(ctx: &mut Ctx<'_>) -> Reply {
    let (key, field) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    done((|| {
        Ok(match ctx.db().get_hash(&key)?.and_then(|h| h.get(&field)) {
            Some(v) => Reply::Bulk(v.clone()),
            None => Reply::Nil,
        })
    })())
}

fn hmget(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    let fields = &ctx.args[2..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    done((|| {
        let hash = db.get_hash(&key)?;
        Ok(Reply::Array(
            fields
                .iter()
                .map(|f| match hash.and_then(|h| h.get(f)) {
                    Some(v) => Reply::Bulk(v.clone()),
                    None => Reply::Nil,
                })
                .collect(),
        ))
    })())
}

fn hdel(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    let fields = &ctx.args[2..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    done((|| {
        let Some(hash) = db.get_hash_mut(&key)? else {
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
            db.touched(&key);
            db.notify(events::HASH, "hdel", &key);
            db.remove_if_empty(&key);
        }
        Ok(Reply::int(deleted))
    })())
}

fn hlen(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    done((|| {
        Ok(Reply::int(
            ctx.db().get_hash(&key)?.map_or(0, |h| h.len()) as i64
        ))
    })())
}

fn hstrlen(ctx: &mut Ctx<'_>) -> Reply {
    let (key, field) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    done((|| {
        let len = ctx
            .db()
            .get_hash(&key)?
            .and_then(|h| h.get(&field))
            .map_or(0, |v| v.len());
        Ok(Reply::int(len as i64))
    })())
}

fn hexists(ctx: &mut Ctx<'_>) -> Reply {
    let (key, field) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    done((|| {
        let found = ctx
            .db()
            .get_hash(&key)?
            .is_some_and(|h| h.contains_key(&field));
        Ok(Reply::int(found as i64))
    })())
}

/// HKEYS, HVALS and HGETALL (Redis's `genericHgetallCommand`).
fn getall(ctx: &mut Ctx<'_>, keys: bool, values: bool) -> Reply {
    let key = ctx.arg(1).clone();
    done((|| {
        let Some(hash) = ctx.db().get_hash(&key)? else {
            return Ok(if keys && values {
                Reply::Map(Vec::new())
            } else {
                Reply::Array(Vec::new())
            });
        };
        Ok(match (keys, values) {
            (true, true) => Reply::Map(
                hash.iter()
                    .map(|(f, v)| (Reply::Bulk(f.clone()), Reply::Bulk(v.clone())))
                    .collect(),
            ),
            (true, false) => Reply::bulks(hash.keys().cloned()),
            _ => Reply::bulks(hash.values().cloned()),
        })
    })())
}

fn hkeys(ctx: &mut Ctx<'_>) -> Reply {
    getall(ctx, true, false)
}

fn hvals(ctx: &mut Ctx<'_>) -> Reply {
    getall(ctx, false, true)
}

fn hgetall(ctx: &mut Ctx<'_>) -> Reply {
    getall(ctx, true, true)
}

fn hincrby(ctx: &mut Ctx<'_>) -> Reply {
    let (key, field) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    done((|| {
        let incr = args::int(ctx.arg(3))?;
        let db = ctx.db();
        let hash = db.hash_or_insert(&key)?;
        let current = match hash.get(&field) {
            Some(v) => crate::protocol::string2ll(v)
                .ok_or_else(|| err("ERR hash value is not an integer"))?,
            None => 0,
        };
        let sum = current.checked_add(incr).ok_or_else(|| err(OVERFLOW))?;
        hash.insert(field, Bytes::from(sum.to_string()));
        db.touched(&key);
        db.notify(events::HASH, "hincrby", &key);
        Ok(Reply::int(sum))
    })())
}

fn hincrbyfloat(ctx: &mut Ctx<'_>) -> Reply {
    let (key, field) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    done((|| {
        let incr = LongDouble::parse(ctx.arg(3)).ok_or_else(|| err(args::NOT_FLOAT))?;
        if !incr.is_finite() {
            return Err(err("ERR value is NaN or Infinity"));
        }
        let db = ctx.db();
        let hash = db.hash_or_insert(&key)?;
        let current = match hash.get(&field) {
            Some(v) => LongDouble::parse(v).ok_or_else(|| err("ERR hash value is not a float"))?,
            None => LongDouble::ZERO,
        };
        let sum = current.add(incr);
        if !sum.is_finite() {
            return Err(err("ERR increment would produce NaN or Infinity"));
        }
        let text = Bytes::from(sum.to_human());
        hash.insert(field, text.clone());
        db.touched(&key);
        db.notify(events::HASH, "hincrbyfloat", &key);
        Ok(Reply::Bulk(text))
    })())
}

/// HRANDFIELD key [count [WITHVALUES]], as Redis 7.0's
/// `hrandfieldCommand`/`hrandfieldWithCountCommand`. Picks come from the
/// engine's seeded generator over the fields in byte order, so they are
/// reproducible after `server.seed(n)`.
fn hrandfield(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let mut count = None;
        let mut with_values = false;
        if ctx.args.len() >= 3 {
            let c = args::int(ctx.arg(2))?;
            if c == i64::MIN {
                return Err(err(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                ));
            }
            if ctx.args.len() == 4 && is(ctx.arg(3), "withvalues") {
                with_values = true;
                if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&c) {
                    return Err(err("ERR value is out of range"));
                }
            } else if ctx.args.len() >= 4 {
                return Err(syntax_error());
            }
            count = Some(c);
        }
        let resp3 = ctx.client.protocol == Protocol::Resp3;
        let key = ctx.arg(1).clone();
        let Engine { dbs, random, .. } = &mut *ctx.engine;
        let Some(hash) = dbs[ctx.client.db].get_hash(&key)? else {
            return Ok(match count {
                Some(_) => Reply::Array(Vec::new()),
                None => Reply::Nil,
            });
        };
        let mut fields: Vec<(&Bytes, &Bytes)> = hash.iter().collect();
        let Some(count) = count else {
            fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
            return Ok(Reply::Bulk(fields[random.below(fields.len())].0.clone()));
        };
        let picks: Vec<(&Bytes, &Bytes)> = if count < 0 {
            fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
            (0..count.unsigned_abs())
                .map(|_| fields[random.below(fields.len())])
                .collect()
        } else if count as u64 >= fields.len() as u64 {
            // The whole hash, in the order HGETALL gives it.
            fields
        } else {
            // Distinct picks: a partial Fisher-Yates shuffle.
            fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let n = count as usize;
            for i in 0..n {
                let j = i + random.below(fields.len() - i);
                fields.swap(i, j);
            }
            fields.truncate(n);
            fields
        };
        Ok(Reply::Array(if with_values && resp3 {
            picks
                .into_iter()
                .map(|(f, v)| Reply::Array(vec![Reply::Bulk(f.clone()), Reply::Bulk(v.clone())]))
                .collect()
        } else if with_values {
            picks
                .into_iter()
                .flat_map(|(f, v)| [Reply::Bulk(f.clone()), Reply::Bulk(v.clone())])
                .collect()
        } else {
            picks
                .into_iter()
                .map(|(f, _)| Reply::Bulk(f.clone()))
                .collect()
        }))
    })())
}

/// A SCAN-family cursor as Redis's `parseScanCursorOrReply` reads it with
/// `strtoul`: optional sign (a negative value wraps around), decimal digits,
/// nothing else; the empty string is cursor 0.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let invalid = || err("ERR invalid cursor");
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        Some(c) if c.is_ascii_whitespace() => return Err(invalid()),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return if arg.is_empty() {
            Ok(0)
        } else {
            Err(invalid())
        };
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if negative { v.wrapping_neg() } else { v })
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]. A hash Redis would keep
/// as a listpack comes back whole, with cursor 0, whatever the cursor and
/// COUNT (as Redis does); a larger one is visited in the order of a fixed
/// hash of each field, the cursor being the next hash to visit, so every
/// field present for the whole iteration is returned exactly once.
fn hscan(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let cursor = parse_cursor(ctx.arg(2))?;
        let key = ctx.arg(1).clone();
        if ctx.db().get_hash(&key)?.is_none() {
            return Ok(Reply::Array(vec![
                Reply::bulk("0"),
                Reply::Array(Vec::new()),
            ]));
        }
        let mut count = 10i64;
        let mut pattern: Option<Bytes> = None;
        let mut i = 3;
        while i < ctx.args.len() {
            let more = i + 1 < ctx.args.len();
            if is(ctx.arg(i), "count") && more {
                count = args::int(ctx.arg(i + 1))?;
                if count < 1 {
                    return Err(syntax_error());
                }
            } else if is(ctx.arg(i), "match") && more {
                let p = ctx.arg(i + 1).clone();
                pattern = (p.as_ref() != b"*").then_some(p);
            } else {
                return Err(syntax_error());
            }
            i += 2;
        }
        let (max_entries, max_value) = listpack_limits(ctx.engine);
        let Some(hash) = ctx.db().get_hash(&key)? else {
            return Ok(Reply::Array(vec![
                Reply::bulk("0"),
                Reply::Array(Vec::new()),
            ]));
        };
        let keep = |f: &Bytes| pattern.as_ref().is_none_or(|p| glob_match(p, f));
        let mut out = Vec::new();
        let mut next = 0u64;
        if is_listpack(hash, max_entries, max_value) {
            for (f, v) in hash.iter().filter(|(f, _)| keep(f)) {
                out.push(Reply::Bulk(f.clone()));
                out.push(Reply::Bulk(v.clone()));
            }
        } else {
            let mut candidates: Vec<(u64, &Bytes, &Bytes)> = hash
                .iter()
                .map(|(f, v)| (scan_hash(f), f, v))
                .filter(|(h, _, _)| *h >= cursor)
                .collect();
            candidates.sort_unstable();
            let count = count as usize;
            if candidates.len() > count {
                let boundary = candidates[count].0;
                candidates.retain(|(h, _, _)| *h < boundary);
                next = boundary;
            }
            for (_, f, v) in candidates.into_iter().filter(|(_, f, _)| keep(f)) {
                out.push(Reply::Bulk(f.clone()));
                out.push(Reply::Bulk(v.clone()));
            }
        }
        Ok(Reply::Array(vec![
            Reply::Bulk(Bytes::from(next.to_string())),
            Reply::Array(out),
        ]))
    })())
}

/// Glob matching as Redis's `stringmatchlen` (case-sensitive): `*`, `?`,
/// `[...]` with ranges and `^` negation, and `\` escapes.
fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    glob(pattern, string, 0)
}

fn glob(mut p: &[u8], mut s: &[u8], depth: usize) -> bool {
    if depth > 1000 {
        return false;
    }
    while let Some(&pc) = p.first() {
        match pc {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for start in 0..=s.len() {
                    if glob(&p[1..], &s[start..], depth + 1) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => {
                if s.is_empty() {
                    return false;
                }
                s = &s[1..];
                p = &p[1..];
            }
            b'[' => {
                let Some(&c) = s.first() else {
                    return false;
                };
                p = &p[1..];
                let negate = p.first() == Some(&b'^');
                if negate {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    match p {
                        [] => break,
                        [b']', ..] => break,
                        [b'\\', e, ..] => {
                            matched |= *e == c;
                            p = &p[2..];
                        }
                        [a, b'-', b, ..] if p.len() >= 3 => {
                            let (lo, hi) = if a <= b { (*a, *b) } else { (*b, *a) };
                            matched |= (lo..=hi).contains(&c);
                            p = &p[3..];
                        }
                        [a, ..] => {
                            matched |= *a == c;
                            p = &p[1..];
                        }
                    }
                }
                if matched == negate {
                    return false;
                }
                // Skip the closing bracket (an unclosed one ends the pattern).
                if !p.is_empty() {
                    p = &p[1..];
                }
                s = &s[1..];
            }
            _ => {
                let lit = if pc == b'\\' && p.len() >= 2 {
                    p = &p[1..];
                    p[0]
                } else {
                    pc
                };
                if s.first() != Some(&lit) {
                    return false;
                }
                s = &s[1..];
                p = &p[1..];
            }
        }
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            return p.is_empty();
        }
    }
    s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs each command (space-separated words) and returns the keyspace
    /// events every one of them queued, as `event:key` strings.
    fn events_of(commands: &[&str]) -> Vec<Vec<String>> {
        use crate::engine::{Config, Engine};
        let mut engine = Engine::new(Config::default());
        let id = engine.connect("a".into(), "b".into());
        let mut client = engine.clients.remove(&id).expect("client");
        // The classes these commands use, so the events are queued whether
        // or not the keyspace filters them by `notify-keyspace-events`.
        let config: Vec<Bytes> = ["CONFIG", "SET", "notify-keyspace-events", "KEglhn"]
            .into_iter()
            .map(|w| Bytes::from_static(w.as_bytes()))
            .collect();
        engine.call_queued(&mut client, &config);
        engine.dbs[0].take_events();
        commands
            .iter()
            .map(|line| {
                let args: Vec<Bytes> = line
                    .split(' ')
                    .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                    .collect();
                engine.refresh_time();
                engine.call_queued(&mut client, &args);
                engine.dbs[0]
                    .take_events()
                    .into_iter()
                    .map(|e| format!("{}:{}", e.event, String::from_utf8_lossy(&e.key)))
                    .collect()
            })
            .collect()
    }

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

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+7"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [&b"18446744073709551616"[..], b" 1", b"-", b"1x", b"+"] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn glob_patterns() {
        assert!(glob_match(b"f*", b"foo"));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"f?o", b"foo"));
        assert!(!glob_match(b"f?o", b"fo"));
        assert!(glob_match(b"[a-c]x", b"bx"));
        assert!(glob_match(b"[c-a]x", b"bx"));
        assert!(!glob_match(b"[^a-c]x", b"bx"));
        assert!(glob_match(b"a\\*", b"a*"));
        assert!(!glob_match(b"a\\*", b"ab"));
        assert!(glob_match(b"*b*", b"abc"));
        assert!(!glob_match(b"*b", b"abc"));
    }

    #[test]
    fn encoding_thresholds() {
        let mut h = HashMap::new();
        h.insert(Bytes::from("f"), Bytes::from(vec![b'x'; 64]));
        assert_eq!(hash_encoding(&h, 512, 64), "listpack");
        h.insert(Bytes::from("g"), Bytes::from(vec![b'x'; 65]));
        assert_eq!(hash_encoding(&h, 512, 64), "hashtable");
        h.remove(&b"g"[..]);
        assert_eq!(hash_encoding(&h, 1, 64), "listpack");
        h.insert(Bytes::from("g"), Bytes::from("1"));
        assert_eq!(hash_encoding(&h, 1, 64), "hashtable");
    }
}
