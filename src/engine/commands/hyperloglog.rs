//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
//!
//! A HyperLogLog is a string key holding Redis's own representation (the
//! header, sparse and dense encodings, the estimator: `types/hll.rs`), so
//! GET, DUMP and every PFCOUNT agree with redis-server byte for byte.
//!
//! As in Redis, PFCOUNT on one key stores the cardinality it computed in
//! the value's header: that is a write (the key is touched), and the next
//! PFCOUNT answers from the cache until an update marks it stale. Commands
//! that take a value for update leave it `raw`-encoded, as Redis's
//! `dbUnshareStringValue` does.

use bytes::Bytes;

use crate::engine::Ctx;
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*,
};
use crate::engine::keyspace::{Db, events};
use crate::engine::types::hll::{self, Corrupt};
use crate::engine::types::{Str, StrEncoding, Value};
use crate::engine::util::errors::{err, error_quoting};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("pfadd", -2, pfadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HYPERLOGLOG)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("hyperloglog", "2.8.9", "O(1) to add every element.", "Adds the specified elements to the specified HyperLogLog."),
    CommandSpec::new("pfcount", -2, pfcount)
        .flags(READONLY | MAY_REPLICATE)
        .acl(acl::HYPERLOGLOG)
        .keys(1, -1, 1, &["RW", "access"])
        .key_specs(&[KeySpecDef {
            notes: "RW because it may change the internal representation of the key, and propagate to replicas",
            flags: &["RW", "access"],
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 },
        }])
        .doc("hyperloglog", "2.8.9", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s)."),
    CommandSpec::new("pfdebug", 3, pfdebug)
        .flags(WRITE | DENYOOM | ADMIN)
        .acl(acl::HYPERLOGLOG)
        .keys(2, 2, 1, &["RW", "access"])
        .doc("hyperloglog", "2.8.9", "N/A", "Internal commands for debugging HyperLogLog values"),
    CommandSpec::new("pfmerge", -2, pfmerge)
        .flags(WRITE | DENYOOM)
        .acl(acl::HYPERLOGLOG)
        .keys(1, -1, 1, &["RW", "access", "insert"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RW", "access", "insert"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ])
        .doc("hyperloglog", "2.8.9", "O(N) to merge N HyperLogLogs, but with high constant times.", "Merge N different HyperLogLogs into a single one."),
    CommandSpec::new("pfselftest", 1, pfselftest)
        .flags(ADMIN)
        .acl(acl::HYPERLOGLOG)
        .doc("hyperloglog", "2.8.9", "N/A", "An internal command for testing HyperLogLog values"),
];

/// The reply to a string that is not a HyperLogLog.
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/// The reply to a corrupted HyperLogLog.
const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";

fn corrupt(_: Corrupt) -> Reply {
    err(INVALID)
}

/// `hll-sparse-max-bytes`.
fn sparse_max(ctx: &Ctx<'_>) -> usize {
    ctx.engine
        .config_int("hll-sparse-max-bytes")
        .map_or(3000, |n| n.max(0) as usize)
}

/// Checks a looked-up value the way Redis's `isHLLObjectOrReply` does
/// (WRONGTYPE for another type came from the typed getter already).
fn checked(value: Option<&Str>) -> Result<Option<&Str>, Reply> {
    match value {
        Some(s) if !hll::is_hll(s) => Err(err(NOT_HLL)),
        v => Ok(v),
    }
}

/// Replaces the bytes of an existing HyperLogLog key (its deadline stays),
/// leaving it `raw` as Redis's unshared strings are. Does not signal the
/// change: callers decide (PFDEBUG's conversions do not).
fn replace(db: &mut Db, key: &[u8], hll: Vec<u8>) {
    if let Ok(Some(s)) = db.get_string_mut(key) {
        *s = hll.into();
    }
    db.set_str_encoding(key, StrEncoding::Raw);
}

/// Stores a HyperLogLog under a key that did not exist (a `new` event).
fn create(db: &mut Db, key: &Bytes, hll: Vec<u8>) {
    db.insert(key, Value::String(hll.into()));
    db.set_str_encoding(key, StrEncoding::Raw);
}

fn pfadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let max = sparse_max(ctx);
    let key = ctx.arg(1);
    let args = ctx.args;
    let db = ctx.db();
    let existing = checked(db.get_string_mut(key)?.map(|s| &*s))?.map(|s| s.to_vec());
    let created = existing.is_none();
    let mut hll = existing.unwrap_or_else(hll::new_sparse);
    let mut updated = created;
    for ele in &args[2..] {
        match hll::add(&mut hll, ele, max) {
            Ok(changed) => updated |= changed,
            Err(e) => {
                // Redis updates the value in place: what changed before
                // the corruption was met stays.
                replace(db, key, hll);
                return Err(corrupt(e));
            }
        }
    }
    if updated {
        hll::invalidate(&mut hll);
        if created {
            create(db, key, hll);
        } else {
            replace(db, key, hll);
            db.touched(key);
        }
        db.notify(events::STRING, "pfadd", key);
    } else {
        db.set_str_encoding(key, StrEncoding::Raw);
    }
    Ok(Reply::Integer(updated as i64))
}

fn pfcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    if args.len() > 2 {
        let mut max = vec![0u8; hll::REGISTERS];
        for key in &args[1..] {
            if let Some(s) = checked(db.get_string(key)?)? {
                hll::merge_into(&mut max, s).map_err(corrupt)?;
            }
        }
        return Ok(Reply::Integer(hll::count_registers(&max) as i64));
    }
    let key = &args[1];
    let Some(s) = checked(db.get_string(key)?)? else {
        return Ok(Reply::Integer(0));
    };
    if let Some(card) = hll::cached(s) {
        db.set_str_encoding(key, StrEncoding::Raw);
        return Ok(Reply::Integer(card as i64));
    }
    let mut hll = s.to_vec();
    let card = hll::count(&hll).map_err(|e| {
        db.set_str_encoding(key, StrEncoding::Raw);
        corrupt(e)
    })?;
    hll::set_cached(&mut hll, card);
    replace(db, key, hll);
    db.touched(key);
    Ok(Reply::Integer(card as i64))
}

fn pfmerge(ctx: &mut Ctx<'_>) -> CmdResult {
    let max_bytes = sparse_max(ctx);
    let args = ctx.args;
    let dest = args[1].clone();
    let db = ctx.db();
    let mut max = vec![0u8; hll::REGISTERS];
    let mut use_dense = false;
    for key in &args[1..] {
        if let Some(s) = checked(db.get_string(key)?)? {
            use_dense |= s[4] == hll::DENSE;
            hll::merge_into(&mut max, s).map_err(corrupt)?;
        }
    }
    let existing = db.get_string_mut(&dest)?.map(|s| s.to_vec());
    let created = existing.is_none();
    let mut hll = existing.unwrap_or_else(hll::new_sparse);
    if use_dense {
        // The destination was merged (so checked) above, or is new.
        hll::to_dense(&mut hll).map_err(corrupt)?;
    }
    for (i, m) in max.iter().enumerate() {
        if *m != 0 {
            // Redis ignores a failure here: the value was checked above.
            let _ = hll::set_register(&mut hll, i, *m, max_bytes);
        }
    }
    hll::invalidate(&mut hll);
    if created {
        create(db, &dest, hll);
    } else {
        replace(db, &dest, hll);
        db.touched(&dest);
    }
    db.notify(events::STRING, "pfadd", &dest);
    Ok(Reply::ok())
}

fn pfdebug(ctx: &mut Ctx<'_>) -> CmdResult {
    let sub = ctx.arg(1);
    let key = ctx.arg(2);
    let db = ctx.db();
    let Some(s) = checked(db.get_string_mut(key)?.map(|s| &*s))? else {
        return Err(err("ERR The specified key does not exist"));
    };
    let mut hll = s.to_vec();
    db.set_str_encoding(key, StrEncoding::Raw);
    let sparse = hll[4] == hll::SPARSE;
    let name = String::from_utf8_lossy(sub).to_ascii_lowercase();
    match name.as_str() {
        "getreg" => {
            if sparse {
                hll::to_dense(&mut hll).map_err(corrupt)?;
                replace(db, key, hll.clone());
            }
            Ok(Reply::Array(
                hll::dense_registers(&hll)
                    .into_iter()
                    .map(|r| Reply::Integer(r as i64))
                    .collect(),
            ))
        }
        "decode" => {
            if !sparse {
                return Err(err("ERR HLL encoding is not sparse"));
            }
            Ok(Reply::Bulk(Bytes::from(hll::decode(&hll))))
        }
        "encoding" => Ok(Reply::simple(if sparse { "sparse" } else { "dense" })),
        "todense" => {
            if sparse {
                hll::to_dense(&mut hll).map_err(corrupt)?;
                replace(db, key, hll);
            }
            Ok(Reply::Integer(sparse as i64))
        }
        _ => {
            let shown = sub.split(|b| *b == 0).next().unwrap_or(&[]);
            Err(error_quoting(
                "ERR Unknown PFDEBUG subcommand '",
                shown,
                "'",
            ))
        }
    }
}

fn pfselftest(ctx: &mut Ctx<'_>) -> CmdResult {
    let max = sparse_max(ctx);
    let random = &ctx.engine.random;
    match hll::self_test(|| random.next_u64(), max) {
        Ok(()) => Ok(Reply::ok()),
        Err(text) => Err(Reply::Error(Bytes::from(format!("ERR {text}")))),
    }
}
