//! String commands: GET, SET and its variants, MGET / MSET, APPEND,
//! GETRANGE / SETRANGE, the INCR family, INCRBYFLOAT and LCS. Bitmap
//! commands (SETBIT, BITCOUNT, BITFIELD, ...) work on strings too but have
//! their own file, `bitmaps.rs`.

use bytes::{Bytes, BytesMut};

use crate::engine::Ctx;
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*,
};
use crate::engine::keyspace::{Db, events};
use crate::engine::types::{Str, StrEncoding, Value, writable};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{
    NAN_OR_INFINITY, NOT_FLOAT, NOT_INTEGER, OVERFLOW, err, invalid_expire_time, syntax_error,
    wrong_arity,
};
use crate::engine::util::ldouble::LongDouble;
use crate::protocol::{Reply, string2ll};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("append", 3, append)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("string", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Append a value to a key"),
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
fn get_string_reply(db: &mut Db, key: &[u8]) -> CmdResult {
    Ok(match db.get_string(key)? {
        Some(v) => Reply::Bulk(v.to_bytes()),
        None => Reply::Nil,
    })
}

fn get(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    get_string_reply(ctx.db(), key)
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
    let invalid = || invalid_expire_time(name);
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
) -> CmdResult {
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
    store_string(db, key, Str::from(value), opts.keep_ttl, deadline);
    Ok(old.unwrap_or(ok))
}

/// Stores the string `value` at `key` the way SET does once its options
/// have been checked: replaces whatever was there (dropping its deadline
/// unless `keep_ttl`), queues `set`, then, with a `deadline` (Unix ms), sets
/// it and queues `expire`. The direct state API's `DbHandle::set` and
/// `set_with_ttl` call it too.
pub(crate) fn store_string(
    db: &mut Db,
    key: &[u8],
    value: Str,
    keep_ttl: bool,
    deadline: Option<i64>,
) {
    let value = Value::String(value);
    if keep_ttl {
        db.insert_keep_ttl(key, value);
    } else {
        db.insert(key, value);
    }
    db.notify(events::STRING, "set", key);
    if let Some(at) = deadline {
        db.set_expire(key, at);
        db.notify(events::GENERIC, "expire", key);
    }
}

fn set(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = parse_set_options(&ctx.args[3..], true)?;
    let (key, value) = (ctx.arg(1), ctx.arg(2));
    set_generic(ctx, &opts, key, value, "set", Reply::ok(), Reply::Nil)
}

fn setnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = SetOptions {
        nx: true,
        ..SetOptions::default()
    };
    let (key, value) = (ctx.arg(1), ctx.arg(2));
    set_generic(
        ctx,
        &opts,
        key,
        value,
        "setnx",
        Reply::int(1),
        Reply::int(0),
    )
}

fn setex_generic(ctx: &mut Ctx<'_>, unit: ExpireUnit, name: &str) -> CmdResult {
    let opts = SetOptions {
        expire: Some((unit, ctx.arg(2).clone())),
        ..SetOptions::default()
    };
    let (key, value) = (ctx.arg(1), ctx.arg(3));
    set_generic(ctx, &opts, key, value, name, Reply::ok(), Reply::Nil)
}

fn setex(ctx: &mut Ctx<'_>) -> CmdResult {
    setex_generic(ctx, ExpireUnit::Ex, "setex")
}

fn psetex(ctx: &mut Ctx<'_>) -> CmdResult {
    setex_generic(ctx, ExpireUnit::Px, "psetex")
}

fn getset(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, value) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.db();
    let old = get_string_reply(db, key)?;
    db.insert(key, Value::String(value.into()));
    db.notify(events::STRING, "set", key);
    Ok(old)
}

fn getdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db();
    let old = get_string_reply(db, key)?;
    if db.remove(key).is_some() {
        db.notify(events::GENERIC, "del", key);
    }
    Ok(old)
}

fn getex(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = parse_set_options(&ctx.args[2..], false)?;
    let key = ctx.arg(1);
    let value = match ctx.db().get_string(key)? {
        Some(v) => v.to_bytes(),
        None => return Ok(Reply::Nil),
    };
    let deadline = match &opts.expire {
        Some((unit, arg)) => Some((*unit, expire_ms(ctx, *unit, arg, "getex")?)),
        None => None,
    };
    let now = ctx.engine.now_ms();
    let db = ctx.db();
    match deadline {
        Some((unit, at)) if matches!(unit, ExpireUnit::ExAt | ExpireUnit::PxAt) && at <= now => {
            db.remove(key);
            db.notify(events::GENERIC, "del", key);
        }
        Some((_, at)) => {
            db.set_expire(key, at);
            db.notify(events::GENERIC, "expire", key);
        }
        None if opts.persist && db.persist(key) => {
            db.notify(events::GENERIC, "persist", key);
        }
        None => {}
    }
    Ok(Reply::Bulk(value))
}

fn mget(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    Ok(Reply::Array(
        keys.iter()
            .map(|k| match db.get(k) {
                Some(Value::String(v)) => Reply::Bulk(v.to_bytes()),
                _ => Reply::Nil,
            })
            .collect(),
    ))
}

fn mset_generic(ctx: &mut Ctx<'_>, nx: bool) -> CmdResult {
    if ctx.args.len() % 2 == 0 {
        return Err(wrong_arity(if nx { "msetnx" } else { "mset" }));
    }
    let args = ctx.args;
    let db = &mut ctx.engine.dbs[ctx.client.db];
    if nx && args[1..].chunks(2).any(|kv| db.get_mut(&kv[0]).is_some()) {
        return Ok(Reply::int(0));
    }
    for kv in args[1..].chunks(2) {
        db.insert(&kv[0], Value::String(Str::from(&kv[1])));
        db.notify(events::STRING, "set", &kv[0]);
    }
    Ok(if nx { Reply::int(1) } else { Reply::ok() })
}

fn mset(ctx: &mut Ctx<'_>) -> CmdResult {
    mset_generic(ctx, false)
}

fn msetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    mset_generic(ctx, true)
}

fn append(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, suffix) = (ctx.arg(1), ctx.arg(2));
    let current = ctx.db().get_string_mut(key)?.map(|v| v.len());
    let len = match current {
        None => {
            let db = ctx.db();
            db.insert(key, Value::String(suffix.into()));
            suffix.len()
        }
        Some(len) => {
            check_length(ctx, len as i64, suffix.len() as i64)?;
            let db = ctx.db();
            let v = db.get_string_mut(key)?.expect("checked above");
            let mut buf = writable(v);
            buf.extend_from_slice(suffix);
            *v = buf.into();
            let len = v.len();
            db.set_str_encoding(key, StrEncoding::Raw);
            db.touched(key);
            len
        }
    };
    ctx.db().notify(events::STRING, "append", key);
    Ok(Reply::int(len as i64))
}

fn strlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    Ok(Reply::int(
        ctx.db().get_string(key)?.map_or(0, |v| v.len() as i64),
    ))
}

/// INCR, DECR, INCRBY, DECRBY: Redis's `incrDecrCommand`.
fn incr_decr(ctx: &mut Ctx<'_>, by: i64) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db();
    let current = match db.get_string_mut(key)? {
        Some(v) => Some(string2ll(v).ok_or_else(|| err(NOT_INTEGER))?),
        None => None,
    };
    let old = current.unwrap_or(0);
    let new = old.checked_add(by).ok_or_else(|| err(OVERFLOW))?;
    let text = Str::from_int(new);
    if current.is_some() {
        db.insert_keep_ttl(key, Value::String(text));
    } else {
        db.insert(key, Value::String(text));
    }
    db.notify(events::STRING, "incrby", key);
    Ok(Reply::int(new))
}

fn incr(ctx: &mut Ctx<'_>) -> CmdResult {
    incr_decr(ctx, 1)
}

fn decr(ctx: &mut Ctx<'_>) -> CmdResult {
    incr_decr(ctx, -1)
}

fn incrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let by = args::int(ctx.arg(2))?;
    incr_decr(ctx, by)
}

fn decrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let by = args::int(ctx.arg(2))?;
    if by == i64::MIN {
        return Err(err("ERR decrement would overflow"));
    }
    incr_decr(ctx, -by)
}

fn incrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, incr) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.db();
    let current = match db.get_string_mut(key)? {
        Some(v) => Some(LongDouble::parse(v).ok_or_else(|| err(NOT_FLOAT))?),
        None => None,
    };
    let incr = LongDouble::parse(incr).ok_or_else(|| err(NOT_FLOAT))?;
    let sum = current.unwrap_or(LongDouble::ZERO).add(incr);
    if !sum.is_finite() {
        return Err(err(NAN_OR_INFINITY));
    }
    let text = Bytes::from(sum.to_human());
    if current.is_some() {
        db.insert_keep_ttl(key, Value::String(text.clone().into()));
    } else {
        db.insert(key, Value::String(text.clone().into()));
    }
    db.set_str_encoding(key, StrEncoding::NoInt);
    db.notify(events::STRING, "incrbyfloat", key);
    Ok(Reply::Bulk(text))
}

/// GETRANGE and SUBSTR.
fn getrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut start = args::int(ctx.arg(2))?;
    let mut end = args::int(ctx.arg(3))?;
    let key = ctx.arg(1);
    let Some(v) = ctx.db().get_string(key)? else {
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
}

fn substr(ctx: &mut Ctx<'_>) -> CmdResult {
    getrange(ctx)
}

fn setrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = args::int(ctx.arg(2))?;
    if offset < 0 {
        return Err(err("ERR offset is out of range"));
    }
    let (key, value) = (ctx.arg(1), ctx.arg(3));
    let current = ctx.db().get_string_mut(key)?.map(|v| v.len());
    match current {
        None if value.is_empty() => return Ok(Reply::int(0)),
        Some(len) if value.is_empty() => return Ok(Reply::int(len as i64)),
        _ => check_length(ctx, offset, value.len() as i64)?,
    }
    let db = ctx.db();
    let offset = offset as usize;
    let write = |buf: &mut BytesMut| {
        if buf.len() < offset + value.len() {
            buf.resize(offset + value.len(), 0);
        }
        buf[offset..offset + value.len()].copy_from_slice(value);
        buf.len()
    };
    let len = match db.get_string_mut(key)? {
        Some(v) => {
            // In place: no copy of the rest of the string.
            let mut buf = writable(v);
            let len = write(&mut buf);
            *v = buf.into();
            db.touched(key);
            len
        }
        None => {
            let mut buf = BytesMut::new();
            let len = write(&mut buf);
            db.insert(key, Value::String(buf.into()));
            len
        }
    };
    db.set_str_encoding(key, StrEncoding::Raw);
    db.notify(events::STRING, "setrange", key);
    Ok(Reply::int(len as i64))
}

// --- LCS -------------------------------------------------------------------

fn lcs(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut strings = Vec::with_capacity(2);
    for j in 1..=2 {
        let key = ctx.arg(j);
        match ctx.db().get(key) {
            None => strings.push(Bytes::new()),
            Some(Value::String(v)) => strings.push(v.to_bytes()),
            Some(_) => {
                return Err(err("ERR The specified keys must contain string values"));
            }
        }
    }
    let (mut getidx, mut getlen, mut withmatchlen, mut minmatchlen) = (false, false, false, 0i64);
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
    if alen as u64 >= u64::from(u32::MAX) - 1 || blen as u64 >= u64::from(u32::MAX) - 1 {
        return Err(err("ERR String too long for LCS"));
    }
    // Redis's bound on the transient table (`lcsCommand`): its size in
    // bytes against `proto-max-bulk-len`, checked before allocating.
    let cells = (alen as u128 + 1) * (blen as u128 + 1);
    if cells * 4 > ctx.engine.proto_max_bulk_len().max(0) as u128 {
        return Err(err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
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
}
