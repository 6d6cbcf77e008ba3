//! String and bitmap commands.

use bytes::{Bytes, BytesMut};

use super::Ctx;
use super::args::{self, NOT_INTEGER, OVERFLOW, err, is, syntax_error};
use super::command::{BeginSearch, CommandSpec, FindKeys, KeySpecDef, acl, flags::*};
use super::keyspace::{Db, StrEncoding, Value, events};
use super::ldouble::LongDouble;
use crate::protocol::{Reply, string2ll};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("append", 3, append)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("string", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Append a value to a key"),
    CommandSpec::new("bitcount", -2, bitcount)
        .flags(READONLY)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "2.6.0", "O(N)", "Count set bits in a string"),
    CommandSpec::new("bitfield", -2, bitfield)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RW", "access", "update", "variable_flags"])
        .key_specs(&[
            KeySpecDef { notes: "This command allows both access and modification of the key", flags: &["RW", "access", "update", "variable_flags"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("bitmap", "3.2.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings"),
    CommandSpec::new("bitfield_ro", -2, bitfield_ro)
        .flags(READONLY | FAST)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "6.0.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"),
    CommandSpec::new("bitop", -4, bitop)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(2, -1, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(3), find: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ])
        .doc("bitmap", "2.6.0", "O(N)", "Perform bitwise operations between strings"),
    CommandSpec::new("bitpos", -3, bitpos)
        .flags(READONLY)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "2.8.7", "O(N)", "Find first bit set or clear in a string"),
    CommandSpec::new("decr", 2, decr)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by one"),
    CommandSpec::new("decrby", 3, decrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by the given number"),
    CommandSpec::new("get", 2, get)
        .flags(READONLY | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("string", "1.0.0", "O(1)", "Get the value of a key"),
    CommandSpec::new("getbit", 3, getbit)
        .flags(READONLY | FAST)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "2.2.0", "O(1)", "Returns the bit value at offset in the string value stored at key"),
    CommandSpec::new("getdel", 2, getdel)
        .flags(WRITE | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "delete"])
        .doc("string", "6.2.0", "O(1)", "Get the value of a key and delete the key"),
    CommandSpec::new("getex", -2, getex)
        .flags(WRITE | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .key_specs(&[
            KeySpecDef { notes: "RW and UPDATE because it changes the TTL", flags: &["RW", "access", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("string", "6.2.0", "O(1)", "Get the value of a key and optionally set its expiration"),
    CommandSpec::new("getrange", 4, getrange)
        .flags(READONLY)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("string", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key"),
    CommandSpec::new("getset", 3, getset)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key and return its old value"),
    CommandSpec::new("incr", 2, incr)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by one"),
    CommandSpec::new("incrby", 3, incrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by the given amount"),
    CommandSpec::new("incrbyfloat", 3, incrbyfloat)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("string", "2.6.0", "O(1)", "Increment the float value of a key by the given amount"),
    CommandSpec::new("lcs", -3, lcs)
        .flags(READONLY)
        .acl(acl::STRING)
        .keys(1, 2, 1, &["RO", "access"])
        .doc("string", "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "Find longest common substring"),
    CommandSpec::new("mget", -2, mget)
        .flags(READONLY | FAST)
        .acl(acl::STRING)
        .keys(1, -1, 1, &["RO", "access"])
        .tips(&["request_policy:multi_shard"])
        .doc("string", "1.0.0", "O(N) where N is the number of keys to retrieve.", "Get the values of all the given keys"),
    CommandSpec::new("mset", -3, mset)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(1, -1, 2, &["OW", "update"])
        .tips(&["request_policy:multi_shard", "response_policy:all_succeeded"])
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values"),
    CommandSpec::new("msetnx", -3, msetnx)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(1, -1, 2, &["OW", "insert"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_min"])
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values, only if none of the keys exist"),
    CommandSpec::new("psetex", 4, psetex)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["OW", "update"])
        .doc("string", "2.6.0", "O(1)", "Set the value and expiration in milliseconds of a key"),
    CommandSpec::new("set", -3, set)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "access", "update", "variable_flags"])
        .key_specs(&[
            KeySpecDef { notes: "RW and ACCESS due to the optional `GET` argument", flags: &["RW", "access", "update", "variable_flags"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key"),
    CommandSpec::new("setbit", 4, setbit)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("bitmap", "2.2.0", "O(1)", "Sets or clears the bit at offset in the string value stored at key"),
    CommandSpec::new("setex", 4, setex)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["OW", "update"])
        .doc("string", "2.0.0", "O(1)", "Set the value and expiration of a key"),
    CommandSpec::new("setnx", 3, setnx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["OW", "insert"])
        .doc("string", "1.0.0", "O(1)", "Set the value of a key, only if the key does not exist"),
    CommandSpec::new("setrange", 4, setrange)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("string", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "Overwrite part of a string at key starting at the specified offset"),
    CommandSpec::new("strlen", 2, strlen)
        .flags(READONLY | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RO"])
        .doc("string", "2.2.0", "O(1)", "Get the length of the value stored in a key"),
    CommandSpec::new("substr", 4, substr)
        .flags(READONLY)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("string", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key"),
];

type Res = Result<Reply, Reply>;

fn done(r: Res) -> Reply {
    r.unwrap_or_else(|e| e)
}

/// The largest string a command may build (`proto-max-bulk-len`).
fn max_len(ctx: &Ctx<'_>) -> i64 {
    ctx.engine.proto_max_bulk_len()
}

/// Redis's `checkStringLength`.
fn check_length(ctx: &Ctx<'_>, size: i64, append: i64) -> Result<(), Reply> {
    match size.checked_add(append) {
        Some(total) if total <= max_len(ctx) => Ok(()),
        _ => Err(err(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// Redis's `getGenericCommand`: the string, nil, or WRONGTYPE.
fn get_string_reply(db: &mut Db, key: &[u8]) -> Res {
    Ok(match db.get_string(key)? {
        Some(v) => Reply::Bulk(v.clone()),
        None => Reply::Nil,
    })
}

fn get(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    done(get_string_reply(ctx.db(), &key))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpireUnit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Options of SET and GETEX, as Redis's `parseExtendedStringArgumentsOrReply`.
#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireUnit, Bytes)>,
}

fn parse_set_options(args: &[Bytes], for_set: bool) -> Result<SetOptions, Reply> {
    let mut o = SetOptions::default();
    let mut j = 0;
    while j < args.len() {
        let opt = &args[j];
        let next = args.get(j + 1);
        let timed = o.expire.is_some();
        let unit_is = |u: ExpireUnit| o.expire.as_ref().is_some_and(|(x, _)| *x == u);
        if is(opt, "nx") && !o.xx && for_set {
            o.nx = true;
        } else if is(opt, "xx") && !o.nx && for_set {
            o.xx = true;
        } else if is(opt, "get") && for_set {
            o.get = true;
        } else if is(opt, "keepttl") && !o.persist && !timed && for_set {
            o.keep_ttl = true;
        } else if is(opt, "persist") && !for_set && !timed && !o.keep_ttl {
            o.persist = true;
        } else if let (Some(unit), Some(next)) = (
            [
                ("ex", ExpireUnit::Ex),
                ("px", ExpireUnit::Px),
                ("exat", ExpireUnit::ExAt),
                ("pxat", ExpireUnit::PxAt),
            ]
            .into_iter()
            .find(|(w, _)| is(opt, w))
            .map(|(_, u)| u),
            next,
        ) {
            // A repeated option of the same unit is accepted (the last wins).
            let others = timed && !unit_is(unit);
            if o.keep_ttl || o.persist || others {
                return Err(syntax_error());
            }
            o.expire = Some((unit, next.clone()));
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute deadline in ms.
fn expire_ms(ctx: &Ctx<'_>, unit: ExpireUnit, arg: &[u8], name: &str) -> Result<i64, Reply> {
    let v = args::int(arg)?;
    let invalid = || {
        Reply::Error(Bytes::from(format!(
            "ERR invalid expire time in '{name}' command"
        )))
    };
    let seconds = matches!(unit, ExpireUnit::Ex | ExpireUnit::ExAt);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(unit, ExpireUnit::Ex | ExpireUnit::Px) {
        ms = ms.wrapping_add(ctx.engine.now_ms());
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// SET, SETNX, SETEX and PSETEX: Redis's `setGenericCommand`.
fn set_generic(
    ctx: &mut Ctx<'_>,
    opts: &SetOptions,
    key: &Bytes,
    value: &Bytes,
    name: &str,
    ok: Reply,
    abort: Reply,
) -> Res {
    let deadline = match &opts.expire {
        Some((unit, arg)) => Some(expire_ms(ctx, *unit, arg, name)?),
        None => None,
    };
    let db = ctx.db();
    let old = if opts.get {
        Some(get_string_reply(db, key)?)
    } else {
        None
    };
    let found = db.get_mut(key).is_some();
    if (opts.nx && found) || (opts.xx && !found) {
        return Ok(old.unwrap_or(abort));
    }
    let value = Value::String(value.clone());
    if opts.keep_ttl {
        db.insert_keep_ttl(key.clone(), value);
    } else {
        db.insert(key.clone(), value);
    }
    db.notify(events::STRING, "set", key);
    if let Some(at) = deadline {
        db.set_expire(key, at);
        db.notify(events::GENERIC, "expire", key);
    }
    Ok(old.unwrap_or(ok))
}

fn set(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let opts = parse_set_options(&ctx.args[3..], true)?;
        let (key, value) = (ctx.arg(1).clone(), ctx.arg(2).clone());
        set_generic(ctx, &opts, &key, &value, "set", Reply::ok(), Reply::Nil)
    })())
}

fn setnx(ctx: &mut Ctx<'_>) -> Reply {
    let opts = SetOptions {
        nx: true,
        ..SetOptions::default()
    };
    let (key, value) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    done(set_generic(
        ctx,
        &opts,
        &key,
        &value,
        "setnx",
        Reply::int(1),
        Reply::int(0),
    ))
}

fn setex_generic(ctx: &mut Ctx<'_>, unit: ExpireUnit, name: &str) -> Reply {
    let opts = SetOptions {
        expire: Some((unit, ctx.arg(2).clone())),
        ..SetOptions::default()
    };
    let (key, value) = (ctx.arg(1).clone(), ctx.arg(3).clone());
    done(set_generic(
        ctx,
        &opts,
        &key,
        &value,
        name,
        Reply::ok(),
        Reply::Nil,
    ))
}

fn setex(ctx: &mut Ctx<'_>) -> Reply {
    setex_generic(ctx, ExpireUnit::Ex, "setex")
}

fn psetex(ctx: &mut Ctx<'_>) -> Reply {
    setex_generic(ctx, ExpireUnit::Px, "psetex")
}

fn getset(ctx: &mut Ctx<'_>) -> Reply {
    let (key, value) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    let db = ctx.db();
    done((|| {
        let old = get_string_reply(db, &key)?;
        db.insert(key.clone(), Value::String(value));
        db.notify(events::STRING, "set", &key);
        Ok(old)
    })())
}

fn getdel(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    let db = ctx.db();
    done((|| {
        let old = get_string_reply(db, &key)?;
        if db.remove(&key).is_some() {
            db.notify(events::GENERIC, "del", &key);
        }
        Ok(old)
    })())
}

fn getex(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let opts = parse_set_options(&ctx.args[2..], false)?;
        let key = ctx.arg(1).clone();
        let value = match ctx.db().get_string(&key)? {
            Some(v) => v.clone(),
            None => return Ok(Reply::Nil),
        };
        let deadline = match &opts.expire {
            Some((unit, arg)) => Some((*unit, expire_ms(ctx, *unit, arg, "getex")?)),
            None => None,
        };
        let now = ctx.engine.now_ms();
        let db = ctx.db();
        match deadline {
            Some((unit, at))
                if matches!(unit, ExpireUnit::ExAt | ExpireUnit::PxAt) && at <= now =>
            {
                db.remove(&key);
                db.notify(events::GENERIC, "del", &key);
            }
            Some((_, at)) => {
                db.set_expire(&key, at);
                db.notify(events::GENERIC, "expire", &key);
            }
            None if opts.persist && db.persist(&key) => {
                db.notify(events::GENERIC, "persist", &key);
            }
            None => {}
        }
        Ok(Reply::Bulk(value))
    })())
}

fn mget(ctx: &mut Ctx<'_>) -> Reply {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    Reply::Array(
        keys.iter()
            .map(|k| match db.get(k) {
                Some(Value::String(v)) => Reply::Bulk(v.clone()),
                _ => Reply::Nil,
            })
            .collect(),
    )
}

fn mset_generic(ctx: &mut Ctx<'_>, nx: bool) -> Reply {
    if ctx.args.len() % 2 == 0 {
        return args::wrong_arity(if nx { "msetnx" } else { "mset" });
    }
    let args = ctx.args;
    let db = &mut ctx.engine.dbs[ctx.client.db];
    if nx && args[1..].chunks(2).any(|kv| db.get_mut(&kv[0]).is_some()) {
        return Reply::int(0);
    }
    for kv in args[1..].chunks(2) {
        db.insert(kv[0].clone(), Value::String(kv[1].clone()));
        db.notify(events::STRING, "set", &kv[0]);
    }
    if nx { Reply::int(1) } else { Reply::ok() }
}

fn mset(ctx: &mut Ctx<'_>) -> Reply {
    mset_generic(ctx, false)
}

fn msetnx(ctx: &mut Ctx<'_>) -> Reply {
    mset_generic(ctx, true)
}

fn append(ctx: &mut Ctx<'_>) -> Reply {
    let (key, suffix) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    done((|| {
        let current = ctx.db().get_string_mut(&key)?.map(|v| v.len());
        let len = match current {
            None => {
                let db = ctx.db();
                db.insert(key.clone(), Value::String(suffix.clone()));
                suffix.len()
            }
            Some(len) => {
                check_length(ctx, len as i64, suffix.len() as i64)?;
                let db = ctx.db();
                let v = db.get_string_mut(&key)?.expect("checked above");
                let mut buf = BytesMut::with_capacity(v.len() + suffix.len());
                buf.extend_from_slice(v);
                buf.extend_from_slice(&suffix);
                *v = buf.freeze();
                let len = v.len();
                db.set_str_encoding(&key, StrEncoding::Raw);
                db.touched(&key);
                len
            }
        };
        ctx.db().notify(events::STRING, "append", &key);
        Ok(Reply::int(len as i64))
    })())
}

fn strlen(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    done((|| {
        Ok(Reply::int(
            ctx.db().get_string(&key)?.map_or(0, |v| v.len() as i64),
        ))
    })())
}

/// INCR, DECR, INCRBY, DECRBY: Redis's `incrDecrCommand`.
fn incr_decr(ctx: &mut Ctx<'_>, by: i64) -> Res {
    let key = ctx.arg(1).clone();
    let db = ctx.db();
    let current = match db.get_string_mut(&key)? {
        Some(v) => Some(string2ll(v).ok_or_else(|| err(NOT_INTEGER))?),
        None => None,
    };
    let old = current.unwrap_or(0);
    let new = old.checked_add(by).ok_or_else(|| err(OVERFLOW))?;
    let text = Bytes::from(new.to_string());
    if current.is_some() {
        db.insert_keep_ttl(key.clone(), Value::String(text));
    } else {
        db.insert(key.clone(), Value::String(text));
    }
    db.notify(events::STRING, "incrby", &key);
    Ok(Reply::int(new))
}

fn incr(ctx: &mut Ctx<'_>) -> Reply {
    done(incr_decr(ctx, 1))
}

fn decr(ctx: &mut Ctx<'_>) -> Reply {
    done(incr_decr(ctx, -1))
}

fn incrby(ctx: &mut Ctx<'_>) -> Reply {
    done(args::int(ctx.arg(2)).and_then(|by| incr_decr(ctx, by)))
}

fn decrby(ctx: &mut Ctx<'_>) -> Reply {
    done(args::int(ctx.arg(2)).and_then(|by| {
        if by == i64::MIN {
            return Err(err("ERR decrement would overflow"));
        }
        incr_decr(ctx, -by)
    }))
}

fn incrbyfloat(ctx: &mut Ctx<'_>) -> Reply {
    let (key, incr) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    let db = ctx.db();
    done((|| {
        let current = match db.get_string_mut(&key)? {
            Some(v) => Some(LongDouble::parse(v).ok_or_else(|| err(args::NOT_FLOAT))?),
            None => None,
        };
        let incr = LongDouble::parse(&incr).ok_or_else(|| err(args::NOT_FLOAT))?;
        let sum = current.unwrap_or(LongDouble::ZERO).add(incr);
        if !sum.is_finite() {
            return Err(err("ERR increment would produce NaN or Infinity"));
        }
        let text = Bytes::from(sum.to_human());
        if current.is_some() {
            db.insert_keep_ttl(key.clone(), Value::String(text.clone()));
        } else {
            db.insert(key.clone(), Value::String(text.clone()));
        }
        db.set_str_encoding(&key, StrEncoding::NoInt);
        db.notify(events::STRING, "incrbyfloat", &key);
        Ok(Reply::Bulk(text))
    })())
}

/// GETRANGE and SUBSTR.
fn getrange(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let mut start = args::int(ctx.arg(2))?;
        let mut end = args::int(ctx.arg(3))?;
        let key = ctx.arg(1).clone();
        let Some(v) = ctx.db().get_string(&key)? else {
            return Ok(Reply::bulk(""));
        };
        let len = v.len() as i64;
        if start < 0 && end < 0 && start > end {
            return Ok(Reply::bulk(""));
        }
        if start < 0 {
            start += len;
        }
        if end < 0 {
            end += len;
        }
        start = start.max(0);
        end = end.max(0);
        if end >= len {
            end = len - 1;
        }
        if start > end || len == 0 {
            return Ok(Reply::bulk(""));
        }
        Ok(Reply::Bulk(v.slice(start as usize..=end as usize)))
    })())
}

fn substr(ctx: &mut Ctx<'_>) -> Reply {
    getrange(ctx)
}

fn setrange(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let offset = args::int(ctx.arg(2))?;
        if offset < 0 {
            return Err(err("ERR offset is out of range"));
        }
        let (key, value) = (ctx.arg(1).clone(), ctx.arg(3).clone());
        let current = ctx.db().get_string_mut(&key)?.map(|v| v.len());
        match current {
            None if value.is_empty() => return Ok(Reply::int(0)),
            Some(len) if value.is_empty() => return Ok(Reply::int(len as i64)),
            _ => check_length(ctx, offset, value.len() as i64)?,
        }
        let db = ctx.db();
        let old = db
            .get_string(&key)
            .ok()
            .flatten()
            .cloned()
            .unwrap_or_default();
        let offset = offset as usize;
        let mut buf = BytesMut::from(&old[..]);
        if buf.len() < offset + value.len() {
            buf.resize(offset + value.len(), 0);
        }
        buf[offset..offset + value.len()].copy_from_slice(&value);
        let len = buf.len();
        if current.is_some() {
            db.insert_keep_ttl(key.clone(), Value::String(buf.freeze()));
        } else {
            db.insert(key.clone(), Value::String(buf.freeze()));
        }
        db.set_str_encoding(&key, StrEncoding::Raw);
        db.notify(events::STRING, "setrange", &key);
        Ok(Reply::int(len as i64))
    })())
}

// --- bitmaps -----------------------------------------------------------

/// Redis's `getBitOffsetFromArgument`: a bit offset, optionally `#N` (in
/// units of `bits`) where `hash` is allowed.
fn bit_offset(ctx: &Ctx<'_>, arg: &[u8], hash: bool, bits: i64) -> Result<i64, Reply> {
    const MSG: &str = "ERR bit offset is not an integer or out of range";
    let (digits, scaled) = match arg.first() {
        Some(b'#') if hash => (&arg[1..], true),
        _ => (arg, false),
    };
    let mut v = string2ll(digits).ok_or_else(|| err(MSG))?;
    if scaled {
        v = v.wrapping_mul(bits);
    }
    if v < 0 || (v >> 3) >= max_len(ctx) {
        return Err(err(MSG));
    }
    Ok(v)
}

/// The string at `key` for a bit write, grown with zero bytes to hold bit
/// `max_bit` (created when missing). Redis's `lookupStringForBitCommand`.
fn string_for_bits(ctx: &mut Ctx<'_>, key: &Bytes, max_bit: i64) -> Result<BytesMut, Reply> {
    let need = (max_bit >> 3) as usize + 1;
    let db = ctx.db();
    let mut buf = match db.get_string_mut(key)? {
        Some(v) => BytesMut::from(&v[..]),
        None => BytesMut::new(),
    };
    if buf.len() < need {
        buf.resize(need, 0);
    }
    Ok(buf)
}

/// Stores a string modified by a bit command, keeping its deadline.
fn store_bits(ctx: &mut Ctx<'_>, key: &Bytes, buf: BytesMut, event: &'static str) {
    let db = ctx.db();
    let existed = db.contains(key);
    if existed {
        db.insert_keep_ttl(key.clone(), Value::String(buf.freeze()));
    } else {
        db.insert(key.clone(), Value::String(buf.freeze()));
    }
    db.set_str_encoding(key, StrEncoding::Raw);
    db.notify(events::STRING, event, key);
}

fn setbit(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        const MSG: &str = "ERR bit is not an integer or out of range";
        let offset = bit_offset(ctx, ctx.arg(2), false, 0)?;
        let on = args::int_or(ctx.arg(3), MSG)?;
        if on & !1 != 0 {
            return Err(err(MSG));
        }
        let key = ctx.arg(1).clone();
        let mut buf = string_for_bits(ctx, &key, offset)?;
        let byte = (offset >> 3) as usize;
        let bit = 7 - (offset & 7) as u8;
        let old = (buf[byte] >> bit) & 1;
        buf[byte] = (buf[byte] & !(1 << bit)) | ((on as u8) << bit);
        store_bits(ctx, &key, buf, "setbit");
        Ok(Reply::int(old as i64))
    })())
}

fn getbit(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let offset = bit_offset(ctx, ctx.arg(2), false, 0)?;
        let key = ctx.arg(1).clone();
        let Some(v) = ctx.db().get_string(&key)? else {
            return Ok(Reply::int(0));
        };
        let byte = (offset >> 3) as usize;
        let bit = match v.get(byte) {
            Some(b) => (b >> (7 - (offset & 7))) & 1,
            None => 0,
        };
        Ok(Reply::int(bit as i64))
    })())
}

/// Parses `BYTE|BIT`.
fn bit_unit(arg: &[u8]) -> Result<bool, Reply> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(syntax_error())
    }
}

fn bit_at(v: &[u8], i: i64) -> u8 {
    (v[(i >> 3) as usize] >> (7 - (i & 7))) & 1
}

fn bitcount(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let key = ctx.arg(1).clone();
        let argc = ctx.args.len();
        let Some(v) = ctx.db().get_string(&key)?.cloned() else {
            return Ok(Reply::int(0));
        };
        let (mut start, mut end, isbit);
        if argc == 4 || argc == 5 {
            start = args::int(ctx.arg(2))?;
            end = args::int(ctx.arg(3))?;
            isbit = if argc == 5 {
                bit_unit(ctx.arg(4))?
            } else {
                false
            };
            let total = if isbit {
                (v.len() as i64) << 3
            } else {
                v.len() as i64
            };
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::int(0));
            }
            if start < 0 {
                start += total;
            }
            if end < 0 {
                end += total;
            }
            start = start.max(0);
            end = end.max(0);
            if end >= total {
                end = total - 1;
            }
        } else if argc == 2 {
            start = 0;
            end = v.len() as i64 - 1;
            isbit = false;
        } else {
            return Err(syntax_error());
        }
        if start > end {
            return Ok(Reply::int(0));
        }
        let count: u64 = if isbit {
            (start..=end).map(|i| bit_at(&v, i) as u64).sum()
        } else {
            v[start as usize..=end as usize]
                .iter()
                .map(|b| b.count_ones() as u64)
                .sum()
        };
        Ok(Reply::int(count as i64))
    })())
}

fn bitpos(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let bit = args::int(ctx.arg(2))?;
        if bit != 0 && bit != 1 {
            return Err(err("ERR The bit argument must be 1 or 0."));
        }
        let key = ctx.arg(1).clone();
        let argc = ctx.args.len();
        let v = match ctx.db().get_string(&key)? {
            Some(v) => v.clone(),
            None => return Ok(Reply::int(if bit == 1 { -1 } else { 0 })),
        };
        let len = v.len() as i64;
        let (mut start, mut end, mut isbit, mut end_given) = (0, len - 1, false, false);
        if (4..=6).contains(&argc) {
            start = args::int(ctx.arg(3))?;
            if argc == 6 {
                isbit = bit_unit(ctx.arg(5))?;
            }
            let total = if isbit { len << 3 } else { len };
            if argc >= 5 {
                end = args::int(ctx.arg(4))?;
                end_given = true;
            } else {
                end = total - 1;
            }
            if start < 0 {
                start += total;
            }
            if end < 0 {
                end += total;
            }
            start = start.max(0);
            end = end.max(0);
            if end >= total {
                end = total - 1;
            }
        } else if argc != 3 {
            return Err(syntax_error());
        }
        if start > end {
            return Ok(Reply::int(-1));
        }
        let (first, last) = if isbit {
            (start, end)
        } else {
            (start * 8, end * 8 + 7)
        };
        let want = bit as u8;
        if let Some(pos) = (first..=last).find(|&i| bit_at(&v, i) == want) {
            return Ok(Reply::int(pos));
        }
        if bit == 1 || end_given {
            return Ok(Reply::int(-1));
        }
        Ok(Reply::int((last / 8 + 1) * 8))
    })())
}

fn bitop(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let op = ctx.arg(1).clone();
        let op = if is(&op, "and") {
            0
        } else if is(&op, "or") {
            1
        } else if is(&op, "xor") {
            2
        } else if is(&op, "not") {
            3
        } else {
            return Err(syntax_error());
        };
        if op == 3 && ctx.args.len() != 4 {
            return Err(err(
                "ERR BITOP NOT must be called with a single source key.",
            ));
        }
        let dest = ctx.arg(2).clone();
        let sources: Vec<Bytes> = ctx.args[3..].to_vec();
        let db = ctx.db();
        let mut values = Vec::with_capacity(sources.len());
        for k in &sources {
            values.push(db.get_string(k)?.cloned().unwrap_or_default());
        }
        let maxlen = values.iter().map(|v| v.len()).max().unwrap_or(0);
        if maxlen == 0 {
            if db.remove(&dest).is_some() {
                db.notify(events::GENERIC, "del", &dest);
            }
            return Ok(Reply::int(0));
        }
        let mut out = vec![0u8; maxlen];
        for (i, byte) in out.iter_mut().enumerate() {
            let at = |v: &Bytes| v.get(i).copied().unwrap_or(0);
            *byte = match op {
                0 => values.iter().fold(0xff, |acc, v| acc & at(v)),
                1 => values.iter().fold(0, |acc, v| acc | at(v)),
                2 => values.iter().fold(0, |acc, v| acc ^ at(v)),
                _ => !at(&values[0]),
            };
        }
        db.insert(dest.clone(), Value::String(Bytes::from(out)));
        db.notify(events::STRING, "set", &dest);
        Ok(Reply::int(maxlen as i64))
    })())
}

// --- BITFIELD ----------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

enum FieldOp {
    Get,
    Set(i64),
    Incr(i64),
}

struct FieldCmd {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: i64,
    overflow: Overflow,
}

/// Parses `i<N>` / `u<N>` as Redis's `getBitfieldTypeFromArgument`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    const MSG: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    let signed = match arg.first() {
        Some(b'i') | Some(b'I') => true,
        Some(b'u') | Some(b'U') => false,
        _ => return Err(err(MSG)),
    };
    let bits = string2ll(&arg[1..]).ok_or_else(|| err(MSG))?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err(MSG));
    }
    Ok((signed, bits as u32))
}

fn read_field(v: &[u8], offset: i64, bits: u32) -> u64 {
    let mut out = 0u64;
    for i in 0..bits as i64 {
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let bit = v.get(byte).map_or(0, |b| (b >> (7 - (pos & 7))) & 1);
        out = (out << 1) | bit as u64;
    }
    out
}

fn write_field(v: &mut [u8], offset: i64, bits: u32, value: u64) {
    for i in 0..bits as i64 {
        let bit = ((value >> (bits as i64 - 1 - i)) & 1) as u8;
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let shift = 7 - (pos & 7);
        v[byte] = (v[byte] & !(1 << shift)) | (bit << shift);
    }
}

fn as_signed(raw: u64, bits: u32) -> i64 {
    if bits == 64 {
        raw as i64
    } else {
        let shift = 64 - bits;
        ((raw << shift) as i64) >> shift
    }
}

/// `value + incr` in a field of `bits` bits, per the overflow policy;
/// `None` means FAIL triggered.
fn field_incr(signed: bool, bits: u32, value: i64, incr: i64, ov: Overflow) -> Option<i64> {
    if signed {
        let max = if bits == 64 {
            i64::MAX
        } else {
            (1i64 << (bits - 1)) - 1
        };
        let min = -max - 1;
        let sum = value as i128 + incr as i128;
        if sum > max as i128 || sum < min as i128 {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if sum > max as i128 { max } else { min }),
                Overflow::Wrap => {
                    let raw = (value as u64).wrapping_add(incr as u64);
                    let mask = if bits == 64 {
                        u64::MAX
                    } else {
                        (1u64 << bits) - 1
                    };
                    Some(as_signed(raw & mask, bits))
                }
            }
        } else {
            Some(sum as i64)
        }
    } else {
        let max = (1u64 << bits) - 1;
        let sum = value as i128 + incr as i128;
        if sum > max as i128 || sum < 0 {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if sum < 0 { 0 } else { max as i64 }),
                Overflow::Wrap => Some(((value as u64).wrapping_add(incr as u64) & max) as i64),
            }
        } else {
            Some(sum as i64)
        }
    }
}

fn bitfield_generic(ctx: &mut Ctx<'_>, read_only: bool) -> Res {
    let mut cmds = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut writes = false;
    let mut j = 2;
    let argc = ctx.args.len();
    while j < argc {
        let remaining = argc - j - 1;
        let sub = ctx.arg(j);
        let op = if is(sub, "get") && remaining >= 2 {
            0
        } else if is(sub, "set") && remaining >= 3 {
            1
        } else if is(sub, "incrby") && remaining >= 3 {
            2
        } else if is(sub, "overflow") && remaining >= 1 {
            let kind = ctx.arg(j + 1);
            overflow = if is(kind, "wrap") {
                Overflow::Wrap
            } else if is(kind, "sat") {
                Overflow::Sat
            } else if is(kind, "fail") {
                Overflow::Fail
            } else {
                return Err(err("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(syntax_error());
        };
        let (signed, bits) = field_type(ctx.arg(j + 1))?;
        let offset = bit_offset(ctx, ctx.arg(j + 2), true, bits as i64)?;
        let op = match op {
            0 => FieldOp::Get,
            _ => {
                let v = args::int(ctx.arg(j + 3))?;
                writes = true;
                if op == 1 {
                    FieldOp::Set(v)
                } else {
                    FieldOp::Incr(v)
                }
            }
        };
        cmds.push(FieldCmd {
            op,
            signed,
            bits,
            offset,
            overflow,
        });
        j += if matches!(cmds.last().map(|c| &c.op), Some(FieldOp::Get)) {
            3
        } else {
            4
        };
    }
    if read_only && writes {
        return Err(err("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let key = ctx.arg(1).clone();
    let mut buf = if writes {
        let max_bit = cmds
            .iter()
            .filter(|c| !matches!(c.op, FieldOp::Get))
            .map(|c| c.offset + c.bits as i64 - 1)
            .max()
            .unwrap_or(0);
        string_for_bits(ctx, &key, max_bit)?
    } else {
        match ctx.db().get_string(&key)? {
            Some(v) => BytesMut::from(&v[..]),
            None => BytesMut::new(),
        }
    };
    let mut out = Vec::with_capacity(cmds.len());
    let mut changed = false;
    for c in &cmds {
        let raw = read_field(&buf, c.offset, c.bits);
        let current = if c.signed {
            as_signed(raw, c.bits)
        } else {
            raw as i64
        };
        match c.op {
            FieldOp::Get => out.push(Reply::int(current)),
            FieldOp::Set(v) => {
                let stored = field_set_value(c.signed, c.bits, v, c.overflow);
                match stored {
                    Some(nv) => {
                        write_field(&mut buf, c.offset, c.bits, nv as u64);
                        changed = true;
                        out.push(Reply::int(current));
                    }
                    None => out.push(Reply::Nil),
                }
            }
            FieldOp::Incr(by) => match field_incr(c.signed, c.bits, current, by, c.overflow) {
                Some(nv) => {
                    write_field(&mut buf, c.offset, c.bits, nv as u64);
                    changed = true;
                    out.push(Reply::int(nv));
                }
                None => out.push(Reply::Nil),
            },
        }
    }
    // Redis creates (or zero-extends) the string before running the
    // operations, so a write that FAIL rejects still leaves the key.
    if writes {
        let db = ctx.db();
        let existed = db.contains(&key);
        let value = Value::String(buf.freeze());
        if existed {
            db.insert_keep_ttl(key.clone(), value);
        } else {
            db.insert(key.clone(), value);
        }
        db.set_str_encoding(&key, StrEncoding::Raw);
        if changed {
            db.notify(events::STRING, "setbit", &key);
        }
    }
    Ok(Reply::Array(out))
}

/// The value BITFIELD SET stores for `v`, per the overflow policy.
fn field_set_value(signed: bool, bits: u32, v: i64, ov: Overflow) -> Option<i64> {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    if signed {
        let max = if bits == 64 {
            i64::MAX
        } else {
            (1i64 << (bits - 1)) - 1
        };
        let min = -max - 1;
        if v > max || v < min {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if v > max { max } else { min }),
                Overflow::Wrap => Some(as_signed(v as u64 & mask, bits)),
            }
        } else {
            Some(v)
        }
    } else {
        let max = mask as i64;
        if v > max || v < 0 {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if v < 0 { 0 } else { max }),
                Overflow::Wrap => Some((v as u64 & mask) as i64),
            }
        } else {
            Some(v)
        }
    }
}

fn bitfield(ctx: &mut Ctx<'_>) -> Reply {
    done(bitfield_generic(ctx, false))
}

fn bitfield_ro(ctx: &mut Ctx<'_>) -> Reply {
    done(bitfield_generic(ctx, true))
}

// --- LCS -------------------------------------------------------------------

fn lcs(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let mut strings = Vec::with_capacity(2);
        for j in 1..=2 {
            let key = ctx.arg(j).clone();
            match ctx.db().get(&key) {
                None => strings.push(Bytes::new()),
                Some(Value::String(v)) => strings.push(v.clone()),
                Some(_) => {
                    return Err(err("ERR The specified keys must contain string values"));
                }
            }
        }
        let (mut getidx, mut getlen, mut withmatchlen, mut minmatchlen) =
            (false, false, false, 0i64);
        let mut j = 3;
        while j < ctx.args.len() {
            let opt = ctx.arg(j);
            let more = ctx.args.len() - 1 - j;
            if is(opt, "idx") {
                getidx = true;
            } else if is(opt, "len") {
                getlen = true;
            } else if is(opt, "withmatchlen") {
                withmatchlen = true;
            } else if is(opt, "minmatchlen") && more > 0 {
                minmatchlen = args::int(ctx.arg(j + 1))?.max(0);
                j += 1;
            } else {
                return Err(syntax_error());
            }
            j += 1;
        }
        if getidx && getlen {
            return Err(err(
                "ERR If you want both the length and indexes, please just use IDX.",
            ));
        }
        let (a, b) = (&strings[0], &strings[1]);
        let (alen, blen) = (a.len(), b.len());
        let w = blen + 1;
        let mut table = vec![0u32; (alen + 1) * w];
        for i in 1..=alen {
            for k in 1..=blen {
                table[i * w + k] = if a[i - 1] == b[k - 1] {
                    table[(i - 1) * w + k - 1] + 1
                } else {
                    table[(i - 1) * w + k].max(table[i * w + k - 1])
                };
            }
        }
        let at = |i: usize, k: usize| table[i * w + k];
        let total = at(alen, blen);
        let mut idx = total as usize;
        let mut result = vec![0u8; idx];
        let mut matches = Vec::new();
        let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0usize, 0usize, 0usize);
        let (mut i, mut k) = (alen, blen);
        let compute = getidx || !getlen;
        while compute && i > 0 && k > 0 {
            let mut emit = false;
            if a[i - 1] == b[k - 1] {
                result[idx - 1] = a[i - 1];
                if a_start == alen {
                    a_start = i - 1;
                    a_end = i - 1;
                    b_start = k - 1;
                    b_end = k - 1;
                } else if a_start == i && b_start == k {
                    a_start -= 1;
                    b_start -= 1;
                } else {
                    emit = true;
                }
                if a_start == 0 || b_start == 0 {
                    emit = true;
                }
                idx -= 1;
                i -= 1;
                k -= 1;
            } else {
                if at(i - 1, k) > at(i, k - 1) {
                    i -= 1;
                } else {
                    k -= 1;
                }
                if a_start != alen {
                    emit = true;
                }
            }
            if emit {
                let match_len = (a_end - a_start + 1) as i64;
                if minmatchlen == 0 || match_len >= minmatchlen {
                    let mut m = vec![
                        Reply::Array(vec![Reply::int(a_start as i64), Reply::int(a_end as i64)]),
                        Reply::Array(vec![Reply::int(b_start as i64), Reply::int(b_end as i64)]),
                    ];
                    if withmatchlen {
                        m.push(Reply::int(match_len));
                    }
                    matches.push(Reply::Array(m));
                }
                a_start = alen;
            }
        }
        Ok(if getidx {
            Reply::map([
                (Reply::bulk("matches"), Reply::Array(matches)),
                (Reply::bulk("len"), Reply::int(total as i64)),
            ])
        } else if getlen {
            Reply::int(total as i64)
        } else {
            Reply::Bulk(Bytes::from(result))
        })
    })())
}
