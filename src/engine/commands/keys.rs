//! Generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, the expiry
//! commands, RENAME, COPY, MOVE, KEYS, SCAN, RANDOMKEY, OBJECT, DUMP and
//! RESTORE. SORT has its own file (`sort.rs`); the DUMP payload format is
//! in `formats/rdb.rs`.

use bytes::Bytes;

use super::hashes::listpack_limits;
use super::scan::{parse_cursor, scan_reply};
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*,
};
use crate::engine::formats::rdb::{deserialize, serialize, verify_payload};
use crate::engine::keyspace::events;
use crate::engine::types::list::list_encoding;
use crate::engine::types::set::set_encoding;
use crate::engine::types::{Kind, StrEncoding, Value};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{
    DB_INDEX_OUT_OF_RANGE, NO_SUCH_KEY, OUT_OF_INT_RANGE, err, error_quoting, invalid_expire_time,
    syntax_error,
};
use crate::engine::util::help::help_reply;
use crate::engine::{Ctx, DATABASES};
use crate::glob::glob_match;
use crate::protocol::{Reply, string2ll};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("copy", -3, copy)
        .flags(WRITE | DENYOOM)
        .acl(acl::KEYSPACE)
        .keys(1, 2, 1, &["RO", "access"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Copy a key"),
    CommandSpec::new("del", -2, del)
        .flags(WRITE)
        .acl(acl::KEYSPACE)
        .keys(1, -1, 1, &["RM", "delete"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Delete a key"),
    CommandSpec::new("dump", 2, dump)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.6.0", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "Return a serialized version of the value stored at the specified key."),
    CommandSpec::new("exists", -2, exists)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, -1, 1, &["RO"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists"),
    CommandSpec::new("expire", -3, expire)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("generic", "1.0.0", "O(1)", "Set a key's time to live in seconds"),
    CommandSpec::new("expireat", -3, expireat)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("generic", "1.2.0", "O(1)", "Set the expiration for a key as a UNIX timestamp"),
    CommandSpec::new("expiretime", 2, expiretime)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key"),
    CommandSpec::new("keys", 2, keys)
        .flags(READONLY)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .doc("generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Find all keys matching the given pattern"),
    CommandSpec::new("move", 3, move_)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("generic", "1.0.0", "O(1)", "Move a key to another database"),
    CommandSpec::new("persist", 2, persist)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("generic", "2.2.0", "O(1)", "Remove the expiration from a key"),
    CommandSpec::new("pexpire", -3, pexpire)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("generic", "2.6.0", "O(1)", "Set a key's time to live in milliseconds"),
    CommandSpec::new("pexpireat", -3, pexpireat)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("generic", "2.6.0", "O(1)", "Set the expiration for a key as a UNIX timestamp specified in milliseconds"),
    CommandSpec::new("pexpiretime", 2, pexpiretime)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key in milliseconds"),
    CommandSpec::new("pttl", 2, pttl)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.6.0", "O(1)", "Get the time to live for a key in milliseconds"),
    CommandSpec::new("randomkey", 1, randomkey)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .tips(&["request_policy:all_shards", "nondeterministic_output"])
        .doc("generic", "1.0.0", "O(1)", "Return a random key from the keyspace"),
    CommandSpec::new("rename", 3, rename)
        .flags(WRITE)
        .acl(acl::KEYSPACE)
        .keys(1, 2, 1, &["RW", "access", "delete"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RW", "access", "delete"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("generic", "1.0.0", "O(1)", "Rename a key"),
    CommandSpec::new("renamenx", 3, renamenx)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 2, 1, &["RW", "access", "delete"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RW", "access", "delete"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["OW", "insert"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("generic", "1.0.0", "O(1)", "Rename a key, only if the new key does not exist"),
    CommandSpec::new("restore", -4, restore)
        .flags(WRITE | DENYOOM)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .keys(1, 1, 1, &["OW", "update"])
        .doc("generic", "2.6.0", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", "Create a key using the provided serialized value, previously obtained using DUMP."),
    // Without cluster support, RESTORE-ASKING is RESTORE.
    CommandSpec::new("restore-asking", -4, restore)
        .flags(WRITE | DENYOOM | ASKING)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .keys(1, 1, 1, &["OW", "update"]),
    CommandSpec::new("scan", -2, scan)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .tips(&["nondeterministic_output", "request_policy:special"])
        .doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate the keys space"),
    CommandSpec::new("touch", -2, touch)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, -1, 1, &["RO"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "3.2.1", "O(N) where N is the number of keys that will be touched.", "Alters the last access time of a key(s). Returns the number of existing keys specified."),
    CommandSpec::new("ttl", 2, ttl)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("generic", "1.0.0", "O(1)", "Get the time to live for a key in seconds"),
    CommandSpec::new("type", 2, type_)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1, &["RO"])
        .doc("generic", "1.0.0", "O(1)", "Determine the type stored at key"),
    CommandSpec::new("unlink", -2, unlink)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(1, -1, 1, &["RM", "delete"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking."),
    CommandSpec::container("object", OBJECT_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc(
            "generic",
            "2.2.3",
            "Depends on subcommand.",
            "A container for object introspection commands",
        ),
];

const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("encoding", 3, object_encoding)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(2, 2, 1, &["RO"])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Inspect the internal encoding of a Redis object",
        ),
    CommandSpec::new("freq", 3, object_freq)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(2, 2, 1, &["RO"])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "4.0.0",
            "O(1)",
            "Get the logarithmic access frequency counter of a Redis object",
        ),
    CommandSpec::new("idletime", 3, object_idletime)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(2, 2, 1, &["RO"])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Get the time since a Redis object was last accessed",
        ),
    CommandSpec::new("refcount", 3, object_refcount)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(2, 2, 1, &["RO"])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Get the number of references to the value of the key",
        ),
    CommandSpec::new("help", 2, object_help)
        .flags(LOADING | STALE)
        .acl(acl::KEYSPACE)
        .doc(
            "generic",
            "6.2.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

/// COPY's and MOVE's reply when source and destination are one key.
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// A database number as MOVE (`getIntFromObjectOrReply`, `int_range`)
/// or COPY (`getLongFromObjectOrReply`) parses it.
fn db_index(arg: &[u8], int_range: bool) -> Result<usize, Reply> {
    let id = args::int(arg)?;
    if int_range && i32::try_from(id).is_err() {
        return Err(err(OUT_OF_INT_RANGE));
    }
    if id < 0 || id as usize >= DATABASES {
        return Err(err(DB_INDEX_OUT_OF_RANGE));
    }
    Ok(id as usize)
}

fn del_generic(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    let mut n = 0;
    for k in keys {
        if db.remove(k).is_some() {
            db.notify(events::GENERIC, "del", k);
            n += 1;
        }
    }
    Ok(Reply::int(n))
}

fn del(ctx: &mut Ctx<'_>) -> CmdResult {
    del_generic(ctx)
}

fn unlink(ctx: &mut Ctx<'_>) -> CmdResult {
    del_generic(ctx)
}

fn exists(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    Ok(Reply::int(
        keys.iter().filter(|k| db.peek(k).is_some()).count() as i64,
    ))
}

fn touch(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    Ok(Reply::int(
        keys.iter().filter(|k| db.get(k).is_some()).count() as i64,
    ))
}

fn type_(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let name = ctx.db().peek(key).map_or("none", |e| e.value.type_name());
    Ok(Reply::simple(name))
}

// --- expiry ------------------------------------------------------------

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: Redis's `expireGenericCommand`.
fn expire_generic(ctx: &mut Ctx<'_>, relative: bool, seconds: bool) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &ctx.args[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(error_quoting("ERR Unsupported option ", opt, ""));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(err(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(err(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    let mut when = args::int(ctx.arg(2))?;
    let invalid = || invalid_expire_time(ctx.client.last_command);
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let base = if relative { ctx.engine.now_ms() } else { 0 };
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;
    let key = ctx.arg(1);
    let now = ctx.engine.now_ms();
    let db = ctx.db();
    if db.get_mut(key).is_none() {
        return Ok(Reply::int(0));
    }
    let current = db.expire_at(key);
    if (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c))
    {
        return Ok(Reply::int(0));
    }
    if when <= now {
        db.remove(key);
        db.notify(events::GENERIC, "del", key);
    } else {
        db.set_expire(key, when);
        db.notify(events::GENERIC, "expire", key);
    }
    Ok(Reply::int(1))
}

fn expire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, true)
}

fn pexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, false)
}

fn expireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, true)
}

fn pexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, false)
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: Redis's `ttlGenericCommand`.
fn ttl_generic(ctx: &mut Ctx<'_>, ms: bool, absolute: bool) -> CmdResult {
    let key = ctx.arg(1);
    let now = ctx.engine.now_ms();
    let db = ctx.db();
    if db.peek(key).is_none() {
        return Ok(Reply::int(-2));
    }
    Ok(match db.expire_at(key) {
        None => Reply::int(-1),
        Some(at) => {
            let ttl = if absolute { at } else { (at - now).max(0) };
            Reply::int(if ms { ttl } else { (ttl + 500) / 1000 })
        }
    })
}

fn ttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, false)
}

fn pttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, false)
}

fn expiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, true)
}

fn pexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, true)
}

fn persist(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db();
    if db.get_mut(key).is_some() && db.persist(key) {
        db.notify(events::GENERIC, "persist", key);
        return Ok(Reply::int(1));
    }
    Ok(Reply::int(0))
}

// --- rename, copy, move ------------------------------------------------

fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.db();
    if db.get_mut(src).is_none() {
        return Err(err(NO_SUCH_KEY));
    }
    if src == dst {
        return Ok(if nx { Reply::int(0) } else { Reply::ok() });
    }
    if db.get_mut(dst).is_some() {
        if nx {
            return Ok(Reply::int(0));
        }
        db.remove(dst);
    }
    let entry = db.remove(src).expect("looked up above");
    db.insert_entry(dst, entry.value, entry.expires_at);
    db.set_str_encoding(dst, entry.str_encoding);
    db.notify(events::GENERIC, "rename_from", src);
    db.notify(events::GENERIC, "rename_to", dst);
    Ok(if nx { Reply::int(1) } else { Reply::ok() })
}

fn rename(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, true)
}

fn copy(ctx: &mut Ctx<'_>) -> CmdResult {
    let src_db = ctx.client.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < ctx.args.len() {
        let opt = ctx.arg(j);
        if is(opt, "replace") {
            replace = true;
        } else if is(opt, "db") && j + 1 < ctx.args.len() {
            dst_db = db_index(ctx.arg(j + 1), false)?;
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    if ctx.engine.cluster.is_some() && (src_db != 0 || dst_db != 0) {
        return Err(err(
            "ERR Copying to another database is not allowed in cluster mode",
        ));
    }
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if src_db == dst_db && src == dst {
        return Err(err(SAME_OBJECT));
    }
    let dbs = &mut ctx.engine.dbs;
    if dbs[src_db].get(src).is_none() {
        return Ok(Reply::int(0));
    }
    let entry = dbs[src_db]
        .entry(src)
        .map(|e| e.cloned())
        .expect("looked up above");
    let target = &mut dbs[dst_db];
    if target.get_mut(dst).is_some() {
        if !replace {
            return Ok(Reply::int(0));
        }
        target.remove(dst);
    }
    target.insert_entry(dst, entry.value, entry.expires_at);
    target.set_str_encoding(dst, entry.str_encoding);
    target.notify(events::GENERIC, "copy_to", dst);
    Ok(Reply::int(1))
}

fn move_(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.engine.cluster.is_some() {
        return Err(err("ERR MOVE is not allowed in cluster mode"));
    }
    let dst_db = db_index(ctx.arg(2), true)?;
    let src_db = ctx.client.db;
    if src_db == dst_db {
        return Err(err(SAME_OBJECT));
    }
    let key = ctx.arg(1);
    let dbs = &mut ctx.engine.dbs;
    if dbs[src_db].get_mut(key).is_none() || dbs[dst_db].get_mut(key).is_some() {
        return Ok(Reply::int(0));
    }
    let entry = dbs[src_db].remove(key).expect("looked up above");
    dbs[dst_db].insert_entry(key, entry.value, entry.expires_at);
    dbs[dst_db].set_str_encoding(key, entry.str_encoding);
    dbs[src_db].notify(events::GENERIC, "move_from", key);
    dbs[dst_db].notify(events::GENERIC, "move_to", key);
    Ok(Reply::int(1))
}

// --- KEYS, SCAN, RANDOMKEY ---------------------------------------------

fn keys(ctx: &mut Ctx<'_>) -> CmdResult {
    let pattern = ctx.arg(1);
    let all = pattern.as_ref() == b"*";
    let db = ctx.db();
    Ok(Reply::Array(
        db.live_keys()
            .filter(|k| all || glob_match(pattern, k))
            .map(|k| Reply::Bulk(Bytes::copy_from_slice(k)))
            .collect(),
    ))
}

/// SCAN: a cursor counts the table positions still to visit (see
/// `types::scan_span`), so every key present for the whole iteration is
/// returned at least once, each call costs O(COUNT), and cursors stay below
/// the number of keys. Filters apply in Redis's order: MATCH, then TYPE,
/// then expiry (an expired key that passed both is deleted, not returned).
fn scan(ctx: &mut Ctx<'_>) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(1))?;
    let mut count = 10i64;
    let mut pattern: Option<Bytes> = None;
    let mut kind: Option<Bytes> = None;
    let mut i = 2;
    while i < ctx.args.len() {
        let left = ctx.args.len() - i;
        let opt = ctx.arg(i);
        if is(opt, "count") && left >= 2 {
            count = args::int(ctx.arg(i + 1))?;
            if count < 1 {
                return Err(syntax_error());
            }
        } else if is(opt, "match") && left >= 2 {
            let p = ctx.arg(i + 1);
            pattern = (p.as_ref() != b"*").then_some(p.clone());
        } else if is(opt, "type") && left >= 2 {
            kind = Some(ctx.arg(i + 1).clone());
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    let db = ctx.db();
    let (next, page) = db.scan(cursor, count as usize);
    let wanted = kind.as_ref().map(|k| Kind::from_name(k));
    let mut out = Vec::with_capacity(page.len());
    for key in page {
        if let Some(p) = &pattern {
            if !glob_match(p, &key) {
                continue;
            }
        }
        if let Some(w) = wanted {
            if db.kind(&key) != w {
                continue;
            }
        }
        if db.expire_if_needed(&key) {
            continue;
        }
        out.push(Reply::Bulk(key));
    }
    Ok(scan_reply(next, out))
}

fn randomkey(ctx: &mut Ctx<'_>) -> CmdResult {
    // As Redis's dbRandomKey: an expired pick is deleted and another drawn,
    // so this ends with a live key or an empty database. O(1) per draw.
    loop {
        let engine = &mut *ctx.engine;
        let db = &mut engine.dbs[ctx.client.db];
        if db.is_empty() {
            return Ok(Reply::Nil);
        }
        let Some(key) = db.nth_key(engine.random.below(db.len())) else {
            return Ok(Reply::Nil);
        };
        if !db.expire_if_needed(&key) {
            return Ok(Reply::Bulk(key));
        }
    }
}

// --- OBJECT --------------------------------------------------------------

/// The encoding name Redis 7.0 reports for a value.
pub(crate) fn encoding_name(ctx: &Ctx<'_>, value: &Value, str_enc: StrEncoding) -> &'static str {
    let cfg = |name: &str, default: i64| ctx.engine.config_int(name).unwrap_or(default);
    match value {
        Value::String(s) => str_enc.name(s),
        Value::List(l) => list_encoding(l),
        Value::Hash(h) => h.encoding(),
        Value::Set(s) => set_encoding(s, cfg("set-max-intset-entries", 512) as usize),
        Value::ZSet(z) => {
            let max_entries = cfg("zset-max-listpack-entries", 128) as usize;
            let max_value = cfg("zset-max-listpack-value", 64) as usize;
            if z.len() <= max_entries && z.iter().all(|(m, _)| m.len() <= max_value) {
                "listpack"
            } else {
                "skiplist"
            }
        }
        Value::Stream(_) => "stream",
    }
}

fn object_encoding(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(2);
    let Some(entry) = ctx.db().entry(key).map(|e| e.cloned()) else {
        return Ok(Reply::Nil);
    };
    Ok(Reply::bulk(encoding_name(
        ctx,
        &entry.value,
        entry.str_encoding,
    )))
}

fn lfu_selected(ctx: &Ctx<'_>) -> bool {
    ctx.engine
        .config_str("maxmemory-policy")
        .is_some_and(|p| p.contains("lfu"))
}

fn object_freq(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(2);
    let Some(counter) = ctx.db().entry(key).map(|e| e.lfu_counter) else {
        return Ok(Reply::Nil);
    };
    if !lfu_selected(ctx) {
        return Err(err(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    Ok(Reply::int(counter as i64))
}

fn object_idletime(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(2);
    let now = ctx.engine.now_ms();
    let Some(accessed) = ctx.db().entry(key).map(|e| e.accessed_ms) else {
        return Ok(Reply::Nil);
    };
    if lfu_selected(ctx) {
        return Err(err(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    Ok(Reply::int(((now - accessed).max(0)) / 1000))
}

fn object_refcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(2);
    let Some(entry) = ctx.db().entry(key).map(|e| e.cloned()) else {
        return Ok(Reply::Nil);
    };
    // Redis shares the objects of the integers 0..9999, unless a maxmemory
    // limit with an LRU/LFU policy needs per-object metadata.
    let per_object = ctx.engine.config_int("maxmemory").unwrap_or(0) != 0
        && ctx
            .engine
            .config_str("maxmemory-policy")
            .is_some_and(|p| p.contains("lru") || p.contains("lfu"));
    let shared = !per_object
        && matches!(&entry.value, Value::String(s)
        if entry.str_encoding == StrEncoding::Auto
            && string2ll(s).is_some_and(|v| (0..10000).contains(&v)));
    Ok(Reply::int(if shared { i32::MAX as i64 } else { 1 }))
}

fn object_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    ))
}

// --- DUMP / RESTORE (the payload format is in `formats/rdb.rs`) -------------

fn dump(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    Ok(match ctx.db().get(key) {
        Some(v) => Reply::Bulk(serialize(v)),
        None => Reply::Nil,
    })
}

fn restore(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (-1i64, -1i64);
    let argc = ctx.args.len();
    let mut j = 4;
    while j < argc {
        let more = argc - j - 1;
        let opt = ctx.arg(j);
        if is(opt, "replace") {
            replace = true;
        } else if is(opt, "absttl") {
            absttl = true;
        } else if is(opt, "idletime") && more >= 1 && freq == -1 {
            idle = args::int(ctx.arg(j + 1))?;
            if idle < 0 {
                return Err(err("ERR Invalid IDLETIME value, must be >= 0"));
            }
            j += 1;
        } else if is(opt, "freq") && more >= 1 && idle == -1 {
            freq = args::int(ctx.arg(j + 1))?;
            if !(0..=255).contains(&freq) {
                return Err(err("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let key = ctx.arg(1);
    if !replace && ctx.db().get_mut(key).is_some() {
        return Err(err("BUSYKEY Target key name already exists."));
    }
    let mut ttl = args::int(ctx.arg(2))?;
    if ttl < 0 {
        return Err(err("ERR Invalid TTL value, must be >= 0"));
    }
    let payload = ctx.arg(3);
    if !verify_payload(payload) {
        return Err(err("ERR DUMP payload version or checksum are wrong"));
    }
    let limits = listpack_limits(ctx.engine);
    let value = deserialize(payload, limits).ok_or_else(|| err("ERR Bad data format"))?;
    let now = ctx.engine.now_ms();
    let db = ctx.db();
    let deleted = replace && db.remove(key).is_some();
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    if ttl != 0 && ttl <= now {
        if deleted {
            db.notify(events::GENERIC, "del", key);
        }
        return Ok(Reply::ok());
    }
    db.insert_entry(key, value, (ttl != 0).then_some(ttl));
    if idle > 0 {
        db.set_accessed(key, now - idle * 1000);
    }
    if freq >= 0 {
        db.set_lfu_counter(key, freq as u8);
    }
    db.notify(events::GENERIC, "restore", key);
    Ok(Reply::ok())
}
