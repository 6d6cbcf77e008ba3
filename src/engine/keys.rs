//! Generic key commands: DEL, EXISTS, TYPE, expiry, RENAME, COPY, MOVE,
//! KEYS, SCAN, RANDOMKEY, OBJECT, SORT, DUMP and RESTORE.

use std::collections::{HashSet, VecDeque};

use bytes::{BufMut, Bytes, BytesMut};

use super::args::{self, NO_SUCH_KEY, err, is, syntax_error};
use super::command::{BeginSearch, CommandSpec, FindKeys, KeySpecDef, acl, flags::*};
use super::connection::help_reply;
use super::hashes;
use super::keyspace::{Db, Kind, StrEncoding, Value, events, scan_hash, wrongtype};
use super::zset::ZSet;
use super::{Ctx, DATABASES};
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
    CommandSpec::new("scan", -2, scan)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .tips(&["nondeterministic_output", "request_policy:special"])
        .doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate the keys space"),
    CommandSpec::new("sort", -2, sort)
        .flags(WRITE | DENYOOM | MOVABLEKEYS)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys(1, 1, 1, &["RO", "access"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: &["RO", "access"], begin: BeginSearch::Unknown, find: FindKeys::Unknown },
            KeySpecDef { notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", flags: &["OW", "update"], begin: BeginSearch::Unknown, find: FindKeys::Unknown },
        ])
        .getkeys(sort_keys)
        .doc("generic", "1.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set"),
    CommandSpec::new("sort_ro", -2, sort_ro)
        .flags(READONLY | MOVABLEKEYS)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys(1, 1, 1, &["RO", "access"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: &["RO", "access"], begin: BeginSearch::Unknown, find: FindKeys::Unknown },
        ])
        .doc("generic", "7.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set. Read-only variant of SORT."),
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

type Res = Result<Reply, Reply>;

fn done(r: Res) -> Reply {
    r.unwrap_or_else(|e| e)
}

fn same_object() -> Reply {
    err("ERR source and destination objects are the same")
}

/// A database number as MOVE (`getIntFromObjectOrReply`, `int_range`)
/// or COPY (`getLongFromObjectOrReply`) parses it.
fn db_index(arg: &[u8], int_range: bool) -> Result<usize, Reply> {
    let id = args::int(arg)?;
    if int_range && i32::try_from(id).is_err() {
        return Err(err(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    if id < 0 || id as usize >= DATABASES {
        return Err(err("ERR DB index is out of range"));
    }
    Ok(id as usize)
}

fn del_generic(ctx: &mut Ctx<'_>) -> Reply {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    let mut n = 0;
    for k in keys {
        if db.remove(k).is_some() {
            db.notify(events::GENERIC, "del", k);
            n += 1;
        }
    }
    Reply::int(n)
}

fn del(ctx: &mut Ctx<'_>) -> Reply {
    del_generic(ctx)
}

fn unlink(ctx: &mut Ctx<'_>) -> Reply {
    del_generic(ctx)
}

fn exists(ctx: &mut Ctx<'_>) -> Reply {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    Reply::int(keys.iter().filter(|k| db.peek(k).is_some()).count() as i64)
}

fn touch(ctx: &mut Ctx<'_>) -> Reply {
    let keys = &ctx.args[1..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    Reply::int(keys.iter().filter(|k| db.get(k).is_some()).count() as i64)
}

fn type_(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    let name = ctx.db().peek(&key).map_or("none", |e| e.value.type_name());
    Reply::simple(name)
}

// --- expiry ------------------------------------------------------------

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: Redis's `expireGenericCommand`.
fn expire_generic(ctx: &mut Ctx<'_>, relative: bool, seconds: bool) -> Reply {
    done((|| {
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
                let mut text = b"ERR Unsupported option ".to_vec();
                text.extend_from_slice(opt);
                return Err(super::one_line_error(text));
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
        let invalid = || {
            Reply::Error(Bytes::from(format!(
                "ERR invalid expire time in '{}' command",
                ctx.client.last_command
            )))
        };
        if seconds {
            when = when.checked_mul(1000).ok_or_else(invalid)?;
        }
        let base = if relative { ctx.engine.now_ms() } else { 0 };
        if when > i64::MAX - base {
            return Err(invalid());
        }
        when += base;
        let key = ctx.arg(1).clone();
        let now = ctx.engine.now_ms();
        let db = ctx.db();
        if db.get_mut(&key).is_none() {
            return Ok(Reply::int(0));
        }
        let current = db.expire_at(&key);
        if (nx && current.is_some())
            || (xx && current.is_none())
            || (gt && current.is_none_or(|c| when <= c))
            || (lt && current.is_some_and(|c| when >= c))
        {
            return Ok(Reply::int(0));
        }
        if when <= now {
            db.remove(&key);
            db.notify(events::GENERIC, "del", &key);
        } else {
            db.set_expire(&key, when);
            db.notify(events::GENERIC, "expire", &key);
        }
        Ok(Reply::int(1))
    })())
}

fn expire(ctx: &mut Ctx<'_>) -> Reply {
    expire_generic(ctx, true, true)
}

fn pexpire(ctx: &mut Ctx<'_>) -> Reply {
    expire_generic(ctx, true, false)
}

fn expireat(ctx: &mut Ctx<'_>) -> Reply {
    expire_generic(ctx, false, true)
}

fn pexpireat(ctx: &mut Ctx<'_>) -> Reply {
    expire_generic(ctx, false, false)
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: Redis's `ttlGenericCommand`.
fn ttl_generic(ctx: &mut Ctx<'_>, ms: bool, absolute: bool) -> Reply {
    let key = ctx.arg(1).clone();
    let now = ctx.engine.now_ms();
    let db = ctx.db();
    if db.peek(&key).is_none() {
        return Reply::int(-2);
    }
    match db.expire_at(&key) {
        None => Reply::int(-1),
        Some(at) => {
            let ttl = if absolute { at } else { (at - now).max(0) };
            Reply::int(if ms { ttl } else { (ttl + 500) / 1000 })
        }
    }
}

fn ttl(ctx: &mut Ctx<'_>) -> Reply {
    ttl_generic(ctx, false, false)
}

fn pttl(ctx: &mut Ctx<'_>) -> Reply {
    ttl_generic(ctx, true, false)
}

fn expiretime(ctx: &mut Ctx<'_>) -> Reply {
    ttl_generic(ctx, false, true)
}

fn pexpiretime(ctx: &mut Ctx<'_>) -> Reply {
    ttl_generic(ctx, true, true)
}

fn persist(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    let db = ctx.db();
    if db.get_mut(&key).is_some() && db.persist(&key) {
        db.notify(events::GENERIC, "persist", &key);
        return Reply::int(1);
    }
    Reply::int(0)
}

// --- rename, copy, move ------------------------------------------------

fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) -> Reply {
    let (src, dst) = (ctx.arg(1).clone(), ctx.arg(2).clone());
    let db = ctx.db();
    if db.get_mut(&src).is_none() {
        return err(NO_SUCH_KEY);
    }
    if src == dst {
        return if nx { Reply::int(0) } else { Reply::ok() };
    }
    if db.get_mut(&dst).is_some() {
        if nx {
            return Reply::int(0);
        }
        db.remove(&dst);
    }
    let entry = db.remove(&src).expect("looked up above");
    db.insert_entry(dst.clone(), entry.value, entry.expires_at);
    db.set_str_encoding(&dst, entry.str_encoding);
    db.notify(events::GENERIC, "rename_from", &src);
    db.notify(events::GENERIC, "rename_to", &dst);
    if nx { Reply::int(1) } else { Reply::ok() }
}

fn rename(ctx: &mut Ctx<'_>) -> Reply {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx<'_>) -> Reply {
    rename_generic(ctx, true)
}

fn copy(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
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
        let (src, dst) = (ctx.arg(1).clone(), ctx.arg(2).clone());
        if src_db == dst_db && src == dst {
            return Err(same_object());
        }
        let dbs = &mut ctx.engine.dbs;
        if dbs[src_db].get(&src).is_none() {
            return Ok(Reply::int(0));
        }
        let entry = dbs[src_db].entry(&src).cloned().expect("looked up above");
        let target = &mut dbs[dst_db];
        if target.get_mut(&dst).is_some() {
            if !replace {
                return Ok(Reply::int(0));
            }
            target.remove(&dst);
        }
        target.insert_entry(dst.clone(), entry.value, entry.expires_at);
        target.set_str_encoding(&dst, entry.str_encoding);
        target.notify(events::GENERIC, "copy_to", &dst);
        Ok(Reply::int(1))
    })())
}

fn move_(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
        let dst_db = db_index(ctx.arg(2), true)?;
        let src_db = ctx.client.db;
        if src_db == dst_db {
            return Err(same_object());
        }
        let key = ctx.arg(1).clone();
        let dbs = &mut ctx.engine.dbs;
        if dbs[src_db].get_mut(&key).is_none() || dbs[dst_db].get_mut(&key).is_some() {
            return Ok(Reply::int(0));
        }
        let entry = dbs[src_db].remove(&key).expect("looked up above");
        dbs[dst_db].insert_entry(key.clone(), entry.value, entry.expires_at);
        dbs[dst_db].set_str_encoding(&key, entry.str_encoding);
        dbs[src_db].notify(events::GENERIC, "move_from", &key);
        dbs[dst_db].notify(events::GENERIC, "move_to", &key);
        Ok(Reply::int(1))
    })())
}

// --- KEYS, SCAN, RANDOMKEY ---------------------------------------------

fn keys(ctx: &mut Ctx<'_>) -> Reply {
    let pattern = ctx.arg(1).clone();
    let all = pattern.as_ref() == b"*";
    let db = ctx.db();
    Reply::Array(
        db.live_keys()
            .filter(|k| all || glob_match(&pattern, k))
            .map(|k| Reply::Bulk(k.clone()))
            .collect(),
    )
}

fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let text = std::str::from_utf8(arg).map_err(|_| err("ERR invalid cursor"))?;
    if let Some(magnitude) = text.strip_prefix('-') {
        // strtoul wraps negative input around.
        return magnitude
            .parse::<u64>()
            .map(|v| v.wrapping_neg())
            .map_err(|_| err("ERR invalid cursor"));
    }
    text.trim_start_matches('+')
        .parse::<u64>()
        .map_err(|_| err("ERR invalid cursor"))
}

/// SCAN: keys are visited in the order of a fixed hash, and the cursor is
/// the next hash to visit, so every key present for the whole iteration is
/// returned exactly once, whatever changes in between.
fn scan(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
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
                let p = ctx.arg(i + 1).clone();
                pattern = (p.as_ref() != b"*").then_some(p);
            } else if is(opt, "type") && left >= 2 {
                kind = Some(ctx.arg(i + 1).clone());
            } else {
                return Err(syntax_error());
            }
            i += 2;
        }
        let db = ctx.db();
        let mut candidates: Vec<(u64, Bytes)> = db
            .keys()
            .map(|k| (scan_hash(k), k.clone()))
            .filter(|(h, _)| *h >= cursor)
            .collect();
        candidates.sort_unstable();
        let count = count as usize;
        let mut next = 0;
        if candidates.len() > count {
            let boundary = candidates[count].0;
            candidates.retain(|(h, _)| *h < boundary);
            next = boundary;
        }
        let wanted = kind.as_ref().map(|k| Kind::from_name(k));
        let mut out = Vec::new();
        for (_, key) in candidates {
            if db.expire_if_needed(&key) {
                continue;
            }
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
            out.push(Reply::Bulk(key));
        }
        Ok(Reply::Array(vec![
            Reply::Bulk(Bytes::from(next.to_string())),
            Reply::Array(out),
        ]))
    })())
}

fn randomkey(ctx: &mut Ctx<'_>) -> Reply {
    // As Redis's dbRandomKey: an expired pick is deleted and another drawn,
    // so this ends with a live key or an empty database.
    loop {
        let seed = ctx.engine.next_random();
        let db = ctx.db();
        if db.is_empty() {
            return Reply::Nil;
        }
        let Some(key) = db.nth_key((seed % db.len() as u64) as usize) else {
            return Reply::Nil;
        };
        if !db.expire_if_needed(&key) {
            return Reply::Bulk(key);
        }
    }
}

// --- OBJECT --------------------------------------------------------------

/// The encoding name Redis 7.0 reports for a value.
pub(crate) fn encoding_name(ctx: &Ctx<'_>, value: &Value, str_enc: StrEncoding) -> &'static str {
    let cfg = |name: &str, default: i64| ctx.engine.config_int(name).unwrap_or(default);
    match value {
        Value::String(s) => {
            let int = s.len() <= 20 && string2ll(s).is_some();
            match str_enc {
                StrEncoding::Auto if int => "int",
                StrEncoding::Raw => "raw",
                _ if s.len() <= 44 => "embstr",
                _ => "raw",
            }
        }
        Value::List(_) => "quicklist",
        Value::Hash(h) => h.encoding(),
        Value::Set(s) => {
            let max = cfg("set-max-intset-entries", 512) as usize;
            if s.len() <= max && s.iter().all(|m| string2ll(m).is_some()) {
                "intset"
            } else {
                "hashtable"
            }
        }
        Value::ZSet(z) => {
            let max_entries = cfg("zset-max-listpack-entries", 128) as usize;
            let max_value = cfg("zset-max-listpack-value", 64) as usize;
            if z.len() <= max_entries && z.iter().all(|(m, _)| m.len() <= max_value) {
                "listpack"
            } else {
                "skiplist"
            }
        }
    }
}

fn object_encoding(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(2).clone();
    let Some(entry) = ctx.db().entry(&key).cloned() else {
        return Reply::Nil;
    };
    Reply::bulk(encoding_name(ctx, &entry.value, entry.str_encoding))
}

fn lfu_selected(ctx: &Ctx<'_>) -> bool {
    ctx.engine
        .config_str("maxmemory-policy")
        .is_some_and(|p| p.contains("lfu"))
}

fn object_freq(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(2).clone();
    let Some(counter) = ctx.db().entry(&key).map(|e| e.lfu_counter) else {
        return Reply::Nil;
    };
    if !lfu_selected(ctx) {
        return err(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
    }
    Reply::int(counter as i64)
}

fn object_idletime(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(2).clone();
    let now = ctx.engine.now_ms();
    let Some(accessed) = ctx.db().entry(&key).map(|e| e.accessed_ms) else {
        return Reply::Nil;
    };
    if lfu_selected(ctx) {
        return err(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
    }
    Reply::int(((now - accessed).max(0)) / 1000)
}

fn object_refcount(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(2).clone();
    let Some(entry) = ctx.db().entry(&key).cloned() else {
        return Reply::Nil;
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
    Reply::int(if shared { i32::MAX as i64 } else { 1 })
}

fn object_help(_ctx: &mut Ctx<'_>) -> Reply {
    help_reply(
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
    )
}

// --- SORT ----------------------------------------------------------------

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the
/// first `*` is replaced by the element, and `->field` reads a hash field.
fn lookup_by_pattern(db: &mut Db, pattern: &[u8], elem: &Bytes) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(elem.clone());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let rest = &pattern[star + 1..];
    let arrow = rest
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < rest.len());
    let (suffix, field) = match arrow {
        Some(i) => (&rest[..i], Some(&rest[i + 2..])),
        None => (rest, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(suffix);
    match (db.get(&key)?, field) {
        (Value::Hash(h), Some(f)) => h.get(f).cloned(),
        (Value::String(s), None) => Some(s.clone()),
        _ => None,
    }
}

fn sort_generic(ctx: &mut Ctx<'_>, readonly: bool) -> Reply {
    done((|| {
        let (mut desc, mut alpha) = (false, false);
        let (mut limit_start, mut limit_count) = (0i64, -1i64);
        let mut store: Option<Bytes> = None;
        let mut by: Option<Bytes> = None;
        let mut dontsort = false;
        let mut gets: Vec<Bytes> = Vec::new();
        let argc = ctx.args.len();
        let mut j = 2;
        while j < argc {
            let left = argc - j - 1;
            let opt = ctx.arg(j);
            if is(opt, "asc") {
                desc = false;
            } else if is(opt, "desc") {
                desc = true;
            } else if is(opt, "alpha") {
                alpha = true;
            } else if is(opt, "limit") && left >= 2 {
                limit_start = args::int(ctx.arg(j + 1))?;
                limit_count = args::int(ctx.arg(j + 2))?;
                j += 2;
            } else if !readonly && is(opt, "store") && left >= 1 {
                store = Some(ctx.arg(j + 1).clone());
                j += 1;
            } else if is(opt, "by") && left >= 1 {
                let p = ctx.arg(j + 1).clone();
                dontsort = !p.contains(&b'*');
                by = Some(p);
                j += 1;
            } else if is(opt, "get") && left >= 1 {
                gets.push(ctx.arg(j + 1).clone());
                j += 1;
            } else {
                return Err(syntax_error());
            }
            j += 1;
        }
        let key = ctx.arg(1).clone();
        let db = ctx.db();
        let source = db.get(&key).cloned();
        let is_set = matches!(source, Some(Value::Set(_)));
        let mut elems: Vec<Bytes> = match source {
            None => Vec::new(),
            Some(Value::List(l)) => {
                // BY <constant> keeps the list's order, walked from the
                // tail for DESC.
                let mut v: Vec<Bytes> = l.into_iter().collect();
                if dontsort && desc {
                    v.reverse();
                }
                v
            }
            Some(Value::Set(s)) => s.into_iter().collect(),
            Some(Value::ZSet(z)) => {
                let mut v: Vec<Bytes> = z.iter().map(|(m, _)| m.clone()).collect();
                if dontsort && desc {
                    v.reverse();
                }
                v
            }
            Some(_) => return Err(wrongtype()),
        };
        if dontsort && is_set && store.is_some() {
            dontsort = false;
            alpha = true;
            by = None;
        }
        let len = elems.len() as i64;
        let mut start = limit_start.max(0);
        let mut end = if limit_count < 0 {
            len - 1
        } else {
            start.saturating_add(limit_count) - 1
        };
        if start >= len {
            start = len - 1;
            end = len - 2;
        }
        if end >= len {
            end = len - 1;
        }
        if !dontsort {
            let mut conversion_error = false;
            let mut keyed: Vec<(Bytes, Option<Bytes>, f64)> = Vec::with_capacity(elems.len());
            for e in elems.drain(..) {
                let byval = match &by {
                    Some(p) => lookup_by_pattern(db, p, &e),
                    None => Some(e.clone()),
                };
                let mut score = 0.0;
                if !alpha {
                    if let Some(v) = &byval {
                        match sort_score(v) {
                            Some(s) => score = s,
                            None => conversion_error = true,
                        }
                    }
                }
                keyed.push((e, byval, score));
            }
            if conversion_error {
                return Err(err("ERR One or more scores can't be converted into double"));
            }
            let by_pattern = by.is_some();
            keyed.sort_by(|a, b| {
                let cmp = if !alpha {
                    a.2.partial_cmp(&b.2)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| a.0.cmp(&b.0))
                } else if by_pattern {
                    match (&a.1, &b.1) {
                        (None, None) => std::cmp::Ordering::Equal,
                        (None, Some(_)) => std::cmp::Ordering::Less,
                        (Some(_), None) => std::cmp::Ordering::Greater,
                        (Some(x), Some(y)) => c_str(x).cmp(c_str(y)),
                    }
                } else {
                    a.0.cmp(&b.0)
                };
                if desc { cmp.reverse() } else { cmp }
            });
            elems = keyed.into_iter().map(|(e, _, _)| e).collect();
        }
        let range: Vec<Bytes> = if start <= end && end >= 0 {
            elems[start as usize..=end as usize].to_vec()
        } else {
            Vec::new()
        };
        let mut out: Vec<Option<Bytes>> = Vec::new();
        for e in &range {
            if gets.is_empty() {
                out.push(Some(e.clone()));
            }
            for g in &gets {
                out.push(lookup_by_pattern(db, g, e));
            }
        }
        match store {
            None => Ok(Reply::Array(
                out.into_iter()
                    .map(|v| v.map_or(Reply::Nil, Reply::Bulk))
                    .collect(),
            )),
            Some(dest) => {
                let n = out.len();
                if n > 0 {
                    let list: VecDeque<Bytes> =
                        out.into_iter().map(Option::unwrap_or_default).collect();
                    db.insert(dest.clone(), Value::List(list));
                    db.notify(events::LIST, "sortstore", &dest);
                } else if db.remove(&dest).is_some() {
                    db.notify(events::GENERIC, "del", &dest);
                }
                Ok(Reply::int(n as i64))
            }
        }
    })())
}

/// Bytes up to the first NUL, as `strcoll` in the C locale compares them.
fn c_str(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// `strtod` as SORT applies it: leading spaces allowed, the rest must parse.
fn sort_score(v: &[u8]) -> Option<f64> {
    let trimmed: &[u8] = {
        let start = v
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(v.len());
        &v[start..]
    };
    if trimmed.is_empty() {
        return Some(0.0);
    }
    args::parse_strtod(trimmed)
}

/// SORT's keys, as Redis's `sortGetKeys`: the sorted key, and the last
/// STORE destination (BY and GET patterns are not keys).
fn sort_keys(args: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if is(a, "limit") {
            i += 2;
        } else if is(a, "get") || is(a, "by") {
            i += 1;
        } else if is(a, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

fn sort(ctx: &mut Ctx<'_>) -> Reply {
    sort_generic(ctx, false)
}

fn sort_ro(ctx: &mut Ctx<'_>) -> Reply {
    sort_generic(ctx, true)
}

// --- DUMP / RESTORE --------------------------------------------------------
//
// Payloads are Redis's RDB object encoding: a type byte, the value, a
// 2-byte RDB version (10, Redis 7.0's) and the CRC-64 (Jones) of everything
// before it, so payloads move between this engine and redis-server both
// ways. Strings are written as Redis writes them (integer forms for short
// integers; long strings stay uncompressed where Redis would LZF-compress
// them). Aggregates are written in the plain RDB forms (list, set, hash,
// zset-2), which Redis loads; RESTORE also reads what Redis 7.0 writes
// (quicklist of listpacks, intset, listpack hashes and sorted sets, and
// LZF-compressed strings).

const RDB_VERSION: u16 = 10;
const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;

/// CRC-64 with the Jones polynomial, reflected, as Redis's `crc64`.
fn crc64(data: &[u8]) -> u64 {
    static TABLE: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 reflected
        let mut t = [0u64; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u64;
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            }
            *slot = c;
        }
        t
    });
    let mut crc = 0u64;
    for &b in data {
        crc = table[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// RDB length encoding.
fn put_len(out: &mut BytesMut, n: usize) {
    if n < 1 << 6 {
        out.put_u8(n as u8);
    } else if n < 1 << 14 {
        out.put_u8(0x40 | (n >> 8) as u8);
        out.put_u8(n as u8);
    } else if n <= u32::MAX as usize {
        out.put_u8(0x80);
        out.put_u32(n as u32);
    } else {
        out.put_u8(0x81);
        out.put_u64(n as u64);
    }
}

/// Redis's `rdbSaveRawString` without compression: short integers in
/// their integer forms, anything else as length and bytes.
fn put_rdb_string(out: &mut BytesMut, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = string2ll(s) {
            if let Ok(v) = i8::try_from(v) {
                out.put_u8(0xc0);
                out.put_i8(v);
                return;
            }
            if let Ok(v) = i16::try_from(v) {
                out.put_u8(0xc1);
                out.put_i16_le(v);
                return;
            }
            if let Ok(v) = i32::try_from(v) {
                out.put_u8(0xc2);
                out.put_i32_le(v);
                return;
            }
        }
    }
    put_len(out, s.len());
    out.put_slice(s);
}

pub(crate) fn serialize(value: &Value) -> Bytes {
    let mut out = BytesMut::new();
    match value {
        Value::String(s) => {
            out.put_u8(TYPE_STRING);
            put_rdb_string(&mut out, s);
        }
        Value::List(l) => {
            out.put_u8(TYPE_LIST);
            put_len(&mut out, l.len());
            l.iter().for_each(|e| put_rdb_string(&mut out, e));
        }
        Value::Set(s) => {
            out.put_u8(TYPE_SET);
            put_len(&mut out, s.len());
            s.iter().for_each(|e| put_rdb_string(&mut out, e));
        }
        Value::ZSet(z) => {
            out.put_u8(TYPE_ZSET_2);
            put_len(&mut out, z.len());
            for (m, s) in z.iter() {
                put_rdb_string(&mut out, m);
                out.put_f64_le(s);
            }
        }
        Value::Hash(h) => {
            out.put_u8(TYPE_HASH);
            put_len(&mut out, h.len());
            // In the hash's order, so a listpack hash restores (here or in
            // Redis, which loads a small plain hash as a listpack) in the
            // same field order.
            for (k, v) in h.iter() {
                put_rdb_string(&mut out, k);
                put_rdb_string(&mut out, v);
            }
        }
    }
    out.put_u16_le(RDB_VERSION);
    let sum = crc64(&out);
    out.put_u64_le(sum);
    out.freeze()
}

/// Redis's `verifyDumpPayload`: a known RDB version and a matching CRC.
fn verify_payload(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let sum = u64::from_le_bytes(footer[2..].try_into().expect("8 bytes"));
    version <= RDB_VERSION && crc64(&p[..p.len() - 8]) == sum
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    /// An RDB length; `Err(kind)` for the special string encodings.
    fn len(&mut self) -> Option<Result<usize, u8>> {
        let first = self.u8()?;
        Some(match first >> 6 {
            0 => Ok((first & 0x3f) as usize),
            1 => Ok((((first & 0x3f) as usize) << 8) | self.u8()? as usize),
            2 if first == 0x80 => Ok(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize),
            2 if first == 0x81 => {
                Ok(usize::try_from(u64::from_be_bytes(self.take(8)?.try_into().ok()?)).ok()?)
            }
            2 => return None,
            _ => Err(first & 0x3f),
        })
    }
    fn plain_len(&mut self) -> Option<usize> {
        self.len()?.ok()
    }
    fn rdb_string(&mut self) -> Option<Bytes> {
        match self.len()? {
            Ok(n) => self.take(n).map(Bytes::copy_from_slice),
            Err(0) => Some(Bytes::from((self.u8()? as i8).to_string())),
            Err(1) => Some(Bytes::from(
                i16::from_le_bytes(self.take(2)?.try_into().ok()?).to_string(),
            )),
            Err(2) => Some(Bytes::from(
                i32::from_le_bytes(self.take(4)?.try_into().ok()?).to_string(),
            )),
            Err(3) => {
                let clen = self.plain_len()?;
                let ulen = self.plain_len()?;
                let data = self.take(clen)?;
                lzf_decompress(data, ulen).map(Bytes::from)
            }
            Err(_) => None,
        }
    }
    /// A score of the old RDB_TYPE_ZSET: a length byte and the text, or
    /// 253/254/255 for nan/+inf/-inf.
    fn text_double(&mut self) -> Option<f64> {
        match self.u8()? {
            253 => None,
            254 => Some(f64::INFINITY),
            255 => Some(f64::NEG_INFINITY),
            n => args::parse_strtod(self.take(n as usize)?),
        }
    }
    fn f64(&mut self) -> Option<f64> {
        self.take(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

/// LZF decompression (the format Redis compresses long strings with).
fn lzf_decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            out.extend_from_slice(input.get(i..i + run)?);
            i += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > out_len {
            return None;
        }
    }
    (out.len() == out_len).then_some(out)
}

/// The elements of a listpack, integers as their decimal text.
fn listpack_entries(lp: &[u8]) -> Option<Vec<Bytes>> {
    if lp.len() < 7 || u32::from_le_bytes(lp[..4].try_into().ok()?) as usize != lp.len() {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = 6;
    loop {
        let b = *lp.get(pos)?;
        if b == 0xff {
            break;
        }
        let int = |v: i64| Some(Bytes::from(v.to_string()));
        let le = |n: usize| -> Option<i64> {
            let bytes = lp.get(pos + 1..pos + 1 + n)?;
            let mut v: u64 = 0;
            for (i, byte) in bytes.iter().enumerate() {
                v |= (*byte as u64) << (8 * i);
            }
            let shift = 64 - 8 * n as u32;
            Some(((v << shift) as i64) >> shift)
        };
        let (value, len) = if b & 0x80 == 0 {
            (int((b & 0x7f) as i64)?, 1)
        } else if b & 0xc0 == 0x80 {
            let n = (b & 0x3f) as usize;
            (Bytes::copy_from_slice(lp.get(pos + 1..pos + 1 + n)?), 1 + n)
        } else if b & 0xe0 == 0xc0 {
            let raw = (((b & 0x1f) as i64) << 8) | *lp.get(pos + 1)? as i64;
            (int((raw << 51) >> 51)?, 2)
        } else if b & 0xf0 == 0xe0 {
            let n = (((b & 0x0f) as usize) << 8) | *lp.get(pos + 1)? as usize;
            (Bytes::copy_from_slice(lp.get(pos + 2..pos + 2 + n)?), 2 + n)
        } else {
            match b {
                0xf0 => {
                    let n = u32::from_le_bytes(lp.get(pos + 1..pos + 5)?.try_into().ok()?) as usize;
                    (Bytes::copy_from_slice(lp.get(pos + 5..pos + 5 + n)?), 5 + n)
                }
                0xf1 => (int(le(2)?)?, 3),
                0xf2 => (int(le(3)?)?, 4),
                0xf3 => (int(le(4)?)?, 5),
                0xf4 => (int(le(8)?)?, 9),
                _ => return None,
            }
        };
        let backlen = match len {
            0..128 => 1,
            128..16384 => 2,
            16384..2097152 => 3,
            2097152..268435456 => 4,
            _ => 5,
        };
        out.push(value);
        pos += len + backlen;
    }
    Some(out)
}

/// The members of an intset.
fn intset_members(is: &[u8]) -> Option<Vec<Bytes>> {
    let width = u32::from_le_bytes(is.get(..4)?.try_into().ok()?) as usize;
    let count = u32::from_le_bytes(is.get(4..8)?.try_into().ok()?) as usize;
    if !matches!(width, 2 | 4 | 8) || is.len() != 8 + width * count {
        return None;
    }
    Some(
        is[8..]
            .chunks(width)
            .map(|c| {
                let v = match width {
                    2 => i16::from_le_bytes([c[0], c[1]]) as i64,
                    4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
                    _ => i64::from_le_bytes(c.try_into().expect("8 bytes")),
                };
                Bytes::from(v.to_string())
            })
            .collect(),
    )
}

/// A hash loaded in payload order. Redis 7.0's `rdbLoadObject` converts a
/// plain hash (RDB type 4) to a hash table for too many fields or a long
/// field or value, a listpack one only for too many fields.
fn pairs_to_hash(items: Vec<Bytes>, limits: hashes::Limits, check_lengths: bool) -> Option<Value> {
    if items.len() % 2 != 0 {
        return None;
    }
    let mut it = items.into_iter();
    let pairs = std::iter::from_fn(|| Some((it.next()?, it.next()?)));
    Some(Value::Hash(Box::new(hashes::Hash::from_pairs(
        pairs,
        limits,
        check_lengths,
    ))))
}

/// Decodes a DUMP payload (already verified); `limits` are the hash
/// listpack thresholds a restored hash is checked against.
pub(crate) fn deserialize(p: &[u8], limits: hashes::Limits) -> Option<Value> {
    let mut r = Reader(&p[..p.len() - 10]);
    let value = match r.u8()? {
        TYPE_STRING => Value::String(r.rdb_string()?),
        TYPE_LIST => {
            let n = r.plain_len()?;
            let mut l = VecDeque::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                l.push_back(r.rdb_string()?);
            }
            Value::List(l)
        }
        TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.plain_len()?;
            let mut l = VecDeque::new();
            for _ in 0..nodes {
                let container = r.plain_len()?;
                let data = r.rdb_string()?;
                match container {
                    1 => l.push_back(data),
                    2 => l.extend(listpack_entries(&data)?),
                    _ => return None,
                }
            }
            Value::List(l)
        }
        TYPE_SET => {
            let n = r.plain_len()?;
            let mut s = HashSet::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                s.insert(r.rdb_string()?);
            }
            Value::Set(Box::new(s))
        }
        TYPE_SET_INTSET => Value::Set(Box::new(
            intset_members(&r.rdb_string()?)?.into_iter().collect(),
        )),
        TYPE_ZSET | TYPE_ZSET_2 => {
            let binary = p[0] == TYPE_ZSET_2;
            let n = r.plain_len()?;
            let mut z = ZSet::new();
            for _ in 0..n {
                let m = r.rdb_string()?;
                let score = if binary { r.f64()? } else { r.text_double()? };
                if score.is_nan() {
                    return None;
                }
                z.insert(m, score);
            }
            Value::ZSet(Box::new(z))
        }
        TYPE_ZSET_LISTPACK => {
            let items = listpack_entries(&r.rdb_string()?)?;
            if items.len() % 2 != 0 {
                return None;
            }
            let mut z = ZSet::new();
            for pair in items.chunks(2) {
                z.insert(pair[0].clone(), args::parse_strtod(&pair[1])?);
            }
            Value::ZSet(Box::new(z))
        }
        TYPE_HASH => {
            let n = r.plain_len()?;
            let mut items = Vec::with_capacity((2 * n).min(1 << 16));
            for _ in 0..2 * n {
                items.push(r.rdb_string()?);
            }
            pairs_to_hash(items, limits, true)?
        }
        TYPE_HASH_LISTPACK => pairs_to_hash(listpack_entries(&r.rdb_string()?)?, limits, false)?,
        _ => return None,
    };
    if !r.0.is_empty() || value.is_empty_aggregate() {
        return None;
    }
    Some(value)
}

fn dump(ctx: &mut Ctx<'_>) -> Reply {
    let key = ctx.arg(1).clone();
    match ctx.db().get(&key) {
        Some(v) => Reply::Bulk(serialize(v)),
        None => Reply::Nil,
    }
}

fn restore(ctx: &mut Ctx<'_>) -> Reply {
    done((|| {
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
        let key = ctx.arg(1).clone();
        if !replace && ctx.db().get_mut(&key).is_some() {
            return Err(err("BUSYKEY Target key name already exists."));
        }
        let mut ttl = args::int(ctx.arg(2))?;
        if ttl < 0 {
            return Err(err("ERR Invalid TTL value, must be >= 0"));
        }
        let payload = ctx.arg(3).clone();
        if !verify_payload(&payload) {
            return Err(err("ERR DUMP payload version or checksum are wrong"));
        }
        let limits = hashes::listpack_limits(ctx.engine);
        let value = deserialize(&payload, limits).ok_or_else(|| err("ERR Bad data format"))?;
        let now = ctx.engine.now_ms();
        let db = ctx.db();
        let deleted = replace && db.remove(&key).is_some();
        if ttl != 0 && !absttl {
            ttl = ttl.saturating_add(now);
        }
        if ttl != 0 && ttl <= now {
            if deleted {
                db.notify(events::GENERIC, "del", &key);
            }
            return Ok(Reply::ok());
        }
        db.insert_entry(key.clone(), value, (ttl != 0).then_some(ttl));
        if idle > 0 {
            db.set_accessed(&key, now - idle * 1000);
        }
        if freq >= 0 {
            db.set_lfu_counter(&key, freq as u8);
        }
        db.notify(events::GENERIC, "restore", &key);
        Ok(Reply::ok())
    })())
}
