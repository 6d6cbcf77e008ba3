//! List commands, the blocking ones (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
//! BLMPOP) included. The value and its encoding are in `types/list.rs`.
//!
//! * Every push goes through [`Db::touched`] (via [`push`]), which records
//!   the key for blocked-client wakeups; the engine drains those keys in
//!   `Engine::after_command`, where `blocking.rs` serves waiting clients.
//! * The pop/move cores, [`pop_elements`] (LPOP, RPOP, BLPOP, BRPOP),
//!   [`move_element`] (LMOVE, RPOPLPUSH, BLMOVE, BRPOPLPUSH) and
//!   [`mpop_elements`] (LMPOP, BLMPOP), perform the whole operation with
//!   Redis's side effects (notifications, modification signal, deletion of
//!   an emptied list); a blocked client is served with the same core, from
//!   the [`BlockOp`] its command recorded.

use std::time::Duration;

use bytes::Bytes;

use crate::engine::blocking::{BlockOp, block, parse_timeout};
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*, numkeys_at_1,
    numkeys_at_2,
};
use crate::engine::keyspace::{Db, events};
use crate::engine::types::Kind;
use crate::engine::types::list::{End, ListLimits};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NO_SUCH_KEY, NOT_POSITIVE, err, syntax_error, wrong_arity};
use crate::engine::{Ctx, Engine};
use crate::protocol::{PackedArray, Reply};

const BLOCK_LIST: u32 = WRITE | NOSCRIPT | BLOCKING;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("linsert", 5, linsert)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "Insert an element before or after another element in a list"),
    CommandSpec::new("lindex", 3, lindex)
        .flags(READONLY)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("list", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "Get an element from a list by its index"),
    CommandSpec::new("llen", 2, llen)
        .flags(READONLY | FAST)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RO"])
        .doc("list", "1.0.0", "O(1)", "Get the length of a list"),
    // Redis 7.0 describes LMOVE and RPOPLPUSH with two key specs (the
    // source `RW access delete`, the destination `RW insert`); the table
    // has one spec per command, so the first/last/step triple is exact and
    // the key-spec flags are the source's.
    CommandSpec::new("lmove", 5, lmove)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(1, 2, 1, &["RW", "access", "delete"])
        .key_specs(MOVE_KEYS)
        .doc("list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it"),
    // LMPOP's keys follow `numkeys` (a `keynum` key spec in Redis); the
    // triple is 0 0 0 with `movablekeys`, as Redis reports it.
    CommandSpec::new("lmpop", -4, lmpop)
        .flags(WRITE | MOVABLEKEYS)
        .acl(acl::LIST)
        .key_specs(LMPOP_KEYS)
        .getkeys(numkeys_at_1)
        .doc("list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pop elements from a list"),
    CommandSpec::new("lpop", -2, lpop)
        .flags(WRITE | FAST)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "access", "delete"])
        .doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the first elements in a list"),
    CommandSpec::new("lpos", -3, lpos)
        .flags(READONLY)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "Return the index of matching elements on a list"),
    CommandSpec::new("lpush", -3, lpush)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Prepend one or multiple elements to a list"),
    CommandSpec::new("lpushx", -3, lpushx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Prepend an element to a list, only if the list exists"),
    CommandSpec::new("lrange", 4, lrange)
        .flags(READONLY)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "Get a range of elements from a list"),
    CommandSpec::new("lrem", 4, lrem)
        .flags(WRITE)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.", "Remove elements from a list"),
    CommandSpec::new("lset", 4, lset)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("list", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "Set the value of an element in a list by its index"),
    CommandSpec::new("ltrim", 4, ltrim)
        .flags(WRITE)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("list", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.", "Trim a list to the specified range"),
    CommandSpec::new("rpop", -2, rpop)
        .flags(WRITE | FAST)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "access", "delete"])
        .doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the last elements in a list"),
    CommandSpec::new("rpoplpush", 3, rpoplpush)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(1, 2, 1, &["RW", "access", "delete"])
        .key_specs(MOVE_KEYS)
        .doc("list", "1.2.0", "O(1)", "Remove the last element in a list, prepend it to another list and return it"),
    CommandSpec::new("rpush", -3, rpush)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Append one or multiple elements to a list"),
    CommandSpec::new("rpushx", -3, rpushx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(1, 1, 1, &["RW", "insert"])
        .doc("list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Append an element to a list, only if the list exists"),
    CommandSpec::new("blpop", -3, blpop)
        .flags(BLOCK_LIST)
        .acl(acl::LIST)
        .keys(1, -2, 1, &["RW", "access", "delete"])
        .doc(
            "list",
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the first element in a list, or block until one is available",
        ),
    CommandSpec::new("brpop", -3, brpop)
        .flags(BLOCK_LIST)
        .acl(acl::LIST)
        .keys(1, -2, 1, &["RW", "access", "delete"])
        .doc(
            "list",
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the last element in a list, or block until one is available",
        ),
    CommandSpec::new("blmove", 6, blmove)
        .flags(BLOCK_LIST | DENYOOM)
        .acl(acl::LIST)
        .key_specs(MOVE_KEYS)
        .keys(1, 2, 1, &[])
        .doc(
            "list",
            "6.2.0",
            "O(1)",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
        ),
    CommandSpec::new("brpoplpush", 4, brpoplpush)
        .flags(BLOCK_LIST | DENYOOM)
        .acl(acl::LIST)
        .key_specs(MOVE_KEYS)
        .keys(1, 2, 1, &[])
        .doc(
            "list",
            "2.2.0",
            "O(1)",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
        ),
    CommandSpec::new("blmpop", -5, blmpop)
        .flags(WRITE | BLOCKING | MOVABLEKEYS)
        .acl(acl::LIST)
        .key_specs(BLMPOP_KEYS)
        .getkeys(numkeys_at_2)
        .doc(
            "list",
            "7.0.0",
            "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
            "Pop elements from a list, or block until one is available",
        ),
];

/// LMPOP's keys: counted by argument 1, listed after it.
const LMPOP_KEYS: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RW", "access", "delete"],
    begin: BeginSearch::Index(1),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

/// BLMPOP's keys: counted by argument 2 (after the timeout).
const BLMPOP_KEYS: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RW", "access", "delete"],
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

/// LMOVE, RPOPLPUSH, BLMOVE and BRPOPLPUSH: the source, then the destination.
const MOVE_KEYS: &[KeySpecDef] = &[
    KeySpecDef {
        notes: "",
        flags: &["RW", "access", "delete"],
        begin: BeginSearch::Index(1),
        find: FindKeys::Range {
            lastkey: 0,
            keystep: 1,
            limit: 0,
        },
    },
    KeySpecDef {
        notes: "",
        flags: &["RW", "insert"],
        begin: BeginSearch::Index(2),
        find: FindKeys::Range {
            lastkey: 0,
            keystep: 1,
            limit: 0,
        },
    },
];

// --- the cores, shared with the blocking variants ---------------------------

/// `list-max-listpack-size` as configured (CONFIG SET), Redis 7.0's -2 by
/// default: how big a list may grow before it leaves its packed form.
pub(crate) fn list_limits(engine: &Engine) -> ListLimits {
    engine.encoding_limits().list
}

/// Pushes `elements` one by one at `end` of the list at `key`, creating it
/// when missing, with Redis's side effects: the modification signal (which
/// is also the wakeup hook for clients blocked on the key) and the
/// `lpush`/`rpush` event. Returns the new length. The caller has checked the
/// type (or accepts `WRONGTYPE` from here). `limits` say when the list
/// leaves its packed form.
pub(crate) fn push(
    db: &mut Db,
    key: &Bytes,
    end: End,
    elements: &[Bytes],
    limits: ListLimits,
) -> Result<usize, Reply> {
    let list = db.list_or_insert(key)?;
    for e in elements {
        match end {
            End::Left => list.push_front(e.clone(), limits),
            End::Right => list.push_back(e.clone(), limits),
        }
    }
    let len = list.len();
    db.touched(key);
    db.notify(events::LIST, end.push_event(), key);
    Ok(len)
}

/// Pops up to `count` elements from `end` of the list at `key`: `Ok(None)`
/// when the key does not exist, `Err(WRONGTYPE)` for another type. Queues
/// the `lpop`/`rpop` event (and `del` when the list is emptied) and signals
/// the modification. BLPOP and BRPOP serve a blocked client with this.
pub(crate) fn pop_elements(
    db: &mut Db,
    key: &[u8],
    end: End,
    count: usize,
) -> Result<Option<Vec<Bytes>>, Reply> {
    let Some(list) = db.get_list_mut(key)? else {
        return Ok(None);
    };
    let n = count.min(list.len());
    let popped: Vec<Bytes> = match end {
        End::Left => list.pop_front_n(n),
        End::Right => list.pop_back_n(n),
    };
    if n > 0 {
        db.notify(events::LIST, end.pop_event(), key);
        db.remove_if_empty(key);
        db.touched(key);
    }
    Ok(Some(popped))
}

/// Pops one element from `from` of `src` and pushes it at `to` of `dst`, as
/// Redis's `lmoveGenericCommand`: `Ok(None)` when `src` does not exist,
/// `Err(WRONGTYPE)` when either key holds another type (checked before
/// anything moves). BLMOVE and BRPOPLPUSH serve a blocked client with this.
pub(crate) fn move_element(
    db: &mut Db,
    src: &Bytes,
    dst: &Bytes,
    (from, to): (End, End),
    limits: ListLimits,
) -> Result<Option<Bytes>, Reply> {
    match db.get_list_mut(src)? {
        Some(list) if !list.is_empty() => {}
        _ => return Ok(None),
    }
    db.get_list_mut(dst)?;
    let Some(list) = db.get_list_mut(src)? else {
        return Ok(None);
    };
    let value = match from {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    };
    let Some(value) = value else {
        return Ok(None);
    };
    push(db, dst, to, std::slice::from_ref(&value), limits)?;
    db.notify(events::LIST, from.pop_event(), src);
    db.remove_if_empty(src);
    db.touched(src);
    Ok(Some(value))
}

/// Pops up to `count` elements from `end` of the first non-empty list among
/// `keys`, as Redis's `mpopGenericCommand`: `Ok(None)` when none exists,
/// `Err(WRONGTYPE)` at the first key (in order) holding another type.
/// BLMPOP serves a blocked client with this.
pub(crate) fn mpop_elements(
    db: &mut Db,
    keys: &[Bytes],
    end: End,
    count: usize,
) -> Result<Option<(Bytes, Vec<Bytes>)>, Reply> {
    for key in keys {
        if let Some(popped) = pop_elements(db, key, end, count)? {
            if !popped.is_empty() {
                return Ok(Some((key.clone(), popped)));
            }
        }
    }
    Ok(None)
}

/// The LMPOP/BLMPOP reply: `[key, [elements...]]`, or the null array.
pub(crate) fn mpop_reply(popped: Option<(Bytes, Vec<Bytes>)>) -> Reply {
    match popped {
        Some((key, elements)) => Reply::Array(vec![Reply::Bulk(key), Reply::bulks(elements)]),
        None => Reply::NilArray,
    }
}

/// The LPOP/RPOP reply: a bulk string (or nil) without a count, an array
/// (or the null array) with one.
pub(crate) fn pop_reply(popped: Option<Vec<Bytes>>, with_count: bool) -> Reply {
    match (popped, with_count) {
        (None, true) => Reply::NilArray,
        (None, false) => Reply::Nil,
        (Some(v), true) => Reply::bulks(v),
        (Some(mut v), false) => v.pop().map_or(Reply::Nil, Reply::Bulk),
    }
}

// --- commands -------------------------------------------------------------

/// LPUSH, RPUSH, LPUSHX, RPUSHX (Redis's `pushGenericCommand`).
fn push_command(ctx: &mut Ctx<'_>, end: End, only_existing: bool) -> CmdResult {
    let key = ctx.arg(1);
    let elements = &ctx.args[2..];
    let limits = list_limits(ctx.engine);
    let db = &mut ctx.engine.dbs[ctx.client.db];
    if db.get_list_mut(key)?.is_none() && only_existing {
        return Ok(Reply::int(0));
    }
    Ok(Reply::int(push(db, key, end, elements, limits)? as i64))
}

fn lpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push_command(ctx, End::Left, false)
}

fn rpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push_command(ctx, End::Right, false)
}

fn lpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push_command(ctx, End::Left, true)
}

fn rpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push_command(ctx, End::Right, true)
}

/// LPOP and RPOP (Redis's `popGenericCommand`).
fn pop_command(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    if ctx.args.len() > 3 {
        let name = if end == End::Left { "lpop" } else { "rpop" };
        return Err(wrong_arity(name));
    }
    let count = match ctx.args.get(2) {
        Some(arg) => Some(args::int_in_range(arg, 0, i64::MAX, Some(NOT_POSITIVE))? as usize),
        None => None,
    };
    let key = ctx.arg(1);
    let db = ctx.db();
    match db.get_list_mut(key)? {
        None => return Ok(pop_reply(None, count.is_some())),
        Some(_) if count == Some(0) => return Ok(Reply::Array(Vec::new())),
        Some(_) => {}
    }
    let popped = pop_elements(db, key, end, count.unwrap_or(1))?;
    Ok(pop_reply(popped, count.is_some()))
}

fn lpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop_command(ctx, End::Left)
}

fn rpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop_command(ctx, End::Right)
}

fn llen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    Ok(Reply::int(
        ctx.db().get_list(key)?.map_or(0, |l| l.len()) as i64
    ))
}

/// Redis's range normalisation for LRANGE and LTRIM: `Some((start, end))`
/// inclusive and in bounds, or `None` for an empty range.
fn normalize_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

fn lrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let start = args::int(ctx.arg(2))?;
    let end = args::int(ctx.arg(3))?;
    let key = ctx.arg(1);
    let Some(list) = ctx.db().get_list(key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(match normalize_range(start, end, list.len()) {
        // The elements are copied into one buffer, as Redis writes them
        // into its output buffer (not one allocation per element).
        Some((s, e)) => {
            let mut packed = PackedArray::bulks();
            packed.reserve((e - s + 1) as u64, 0);
            for item in list.range(s..=e) {
                packed.push(item);
            }
            Reply::Packed(packed)
        }
        None => Reply::Array(Vec::new()),
    })
}

fn ltrim(ctx: &mut Ctx<'_>) -> CmdResult {
    let start = args::int(ctx.arg(2))?;
    let end = args::int(ctx.arg(3))?;
    let key = ctx.arg(1);
    let db = ctx.db();
    let Some(list) = db.get_list_mut(key)? else {
        return Ok(Reply::ok());
    };
    match normalize_range(start, end, list.len()) {
        Some((s, e)) => list.trim(s, e),
        None => list.clear(),
    }
    db.notify(events::LIST, "ltrim", key);
    db.remove_if_empty(key);
    db.touched(key);
    Ok(Reply::ok())
}

/// A list index (negative from the tail) as a position, if in range.
fn position(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { len + index } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

fn lindex(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let index = ctx.arg(2);
    let Some(list) = ctx.db().get_list(key)? else {
        return Ok(Reply::Nil);
    };
    let index = args::int(index)?;
    Ok(position(index, list.len())
        .and_then(|i| list.get_bytes(i))
        .map_or(Reply::Nil, Reply::Bulk))
}

fn lset(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let value = ctx.arg(3);
    let index = ctx.arg(2);
    let limits = list_limits(ctx.engine);
    let db = ctx.db();
    let Some(list) = db.get_list_mut(key)? else {
        return Err(err(NO_SUCH_KEY));
    };
    let index = args::int(index)?;
    let Some(i) = position(index, list.len()) else {
        return Err(err("ERR index out of range"));
    };
    list.set(i, value.clone(), limits);
    db.touched(key);
    db.notify(events::LIST, "lset", key);
    Ok(Reply::ok())
}

fn linsert(ctx: &mut Ctx<'_>) -> CmdResult {
    let after = if is(ctx.arg(2), "after") {
        true
    } else if is(ctx.arg(2), "before") {
        false
    } else {
        return Err(syntax_error());
    };
    let key = ctx.arg(1);
    let pivot = ctx.arg(3);
    let value = ctx.arg(4);
    let limits = list_limits(ctx.engine);
    let db = ctx.db();
    let Some(list) = db.get_list_mut(key)? else {
        return Ok(Reply::int(0));
    };
    let Some(at) = list.iter().position(|e| e == pivot) else {
        return Ok(Reply::int(-1));
    };
    list.insert(if after { at + 1 } else { at }, value.clone(), limits);
    let len = list.len();
    db.touched(key);
    db.notify(events::LIST, "linsert", key);
    Ok(Reply::int(len as i64))
}

fn lrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let count = args::int(ctx.arg(2))?;
    let key = ctx.arg(1);
    let element = ctx.arg(3);
    let db = ctx.db();
    let Some(list) = db.get_list_mut(key)? else {
        return Ok(Reply::int(0));
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs().min(usize::MAX as u64) as usize
    };
    // One pass whatever the count: O(N) even when many elements go.
    let mut removed = 0usize;
    if count >= 0 {
        list.retain(|e| {
            let drop = removed < limit && e == element;
            removed += drop as usize;
            !drop
        });
    } else {
        let mut doomed: Vec<usize> = Vec::new();
        for (i, e) in list.iter().enumerate().rev() {
            if doomed.len() == limit {
                break;
            }
            if e == element {
                doomed.push(i);
            }
        }
        removed = doomed.len();
        if removed > 0 {
            let first = doomed[removed - 1];
            let mut i = 0usize;
            list.retain(|_| {
                let keep = i < first || doomed.binary_search_by(|d| i.cmp(d)).is_err();
                i += 1;
                keep
            });
        }
    }
    if removed > 0 {
        db.touched(key);
        db.notify(events::LIST, "lrem", key);
        db.remove_if_empty(key);
    }
    Ok(Reply::int(removed as i64))
}

fn lpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let mut j = 3;
    while j < ctx.args.len() {
        let opt = ctx.arg(j);
        let Some(value) = ctx.args.get(j + 1) else {
            return Err(syntax_error());
        };
        if is(opt, "rank") {
            rank = args::int(value)?;
            if rank == 0 {
                return Err(err(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(opt, "count") {
            count = Some(args::int_in_range(
                value,
                0,
                i64::MAX,
                Some("ERR COUNT can't be negative"),
            )?);
        } else if is(opt, "maxlen") {
            maxlen = args::int_in_range(value, 0, i64::MAX, Some("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(syntax_error());
        }
        j += 2;
    }
    let key = ctx.arg(1);
    let element = ctx.arg(2);
    let Some(list) = ctx.db().get_list(key)? else {
        return Ok(match count {
            Some(_) => Reply::Array(Vec::new()),
            None => Reply::Nil,
        });
    };
    // Redis negates a negative rank in a C long, so LONG_MIN stays
    // negative there and every match qualifies; wrapping keeps that.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let len = list.len();
    let mut found = Vec::new();
    let mut matches = 0i64;
    // One walk from the chosen end (O(1) per step in either form).
    let mut walk: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
        Box::new(list.iter().rev())
    } else {
        Box::new(list.iter())
    };
    for step in 0..len {
        if maxlen != 0 && step as i64 >= maxlen {
            break;
        }
        let index = if from_tail { len - 1 - step } else { step };
        if walk.next() != Some(&element[..]) {
            continue;
        }
        matches += 1;
        if matches >= rank {
            found.push(index as i64);
            match count {
                None => break,
                Some(c) if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
                Some(_) => {}
            }
        }
    }
    Ok(match count {
        Some(_) => Reply::Array(found.into_iter().map(Reply::int).collect()),
        None => found.first().map_or(Reply::Nil, |&i| Reply::int(i)),
    })
}

fn lmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let from = End::parse(ctx.arg(3))?;
    let to = End::parse(ctx.arg(4))?;
    move_command(ctx, from, to)
}

fn rpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    move_command(ctx, End::Right, End::Left)
}

fn move_command(ctx: &mut Ctx<'_>, from: End, to: End) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let limits = list_limits(ctx.engine);
    let moved = move_element(ctx.db(), src, dst, (from, to), limits)?;
    Ok(moved.map_or(Reply::Nil, Reply::Bulk))
}

/// The arguments of LMPOP and BLMPOP from `numkeys` on, as Redis's
/// `lmpopGenericCommand` parses them: the keys, the end and the count.
pub(crate) fn parse_mpop_args(args: &[Bytes]) -> Result<(Vec<Bytes>, End, usize), Reply> {
    let numkeys = args::numkeys(&args[0])? as u64;
    let where_idx = numkeys.saturating_add(1);
    if where_idx >= args.len() as u64 {
        return Err(syntax_error());
    }
    let where_idx = where_idx as usize;
    let keys = args[1..where_idx].to_vec();
    let end = End::parse(&args[where_idx])?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if is(&args[j], "count") && j + 1 < args.len() && count.is_none() {
            count = Some(args::positive_count(&args[j + 1])? as usize);
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    Ok((keys, end, count.unwrap_or(1)))
}

fn lmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, end, count) = parse_mpop_args(&ctx.args[1..])?;
    let popped = mpop_elements(ctx.db(), &keys, end, count)?;
    Ok(mpop_reply(popped))
}

// --- blocking commands -------------------------------------------------------

fn blpop(ctx: &mut Ctx<'_>) -> CmdResult {
    blocking_pop(ctx, End::Left)
}

fn brpop(ctx: &mut Ctx<'_>) -> CmdResult {
    blocking_pop(ctx, End::Right)
}

/// BLPOP / BRPOP (Redis's `blockingPopGenericCommand` with no count).
fn blocking_pop(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let n = ctx.args.len();
    let timeout = parse_timeout(&ctx.args[n - 1])?;
    let keys = ctx.args[1..n - 1].to_vec();
    let db = ctx.db();
    for key in &keys {
        if let Some(mut v) = pop_elements(db, key, end, 1)? {
            if let Some(value) = v.pop() {
                return Ok(Reply::Array(vec![
                    Reply::Bulk(key.clone()),
                    Reply::Bulk(value),
                ]));
            }
        }
    }
    Ok(block(
        ctx,
        keys,
        pop_waiter(end, None),
        timeout,
        Reply::NilArray,
    ))
}

fn blmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, end, count) = parse_mpop_args(&ctx.args[2..])?;
    let timeout = parse_timeout(ctx.arg(1))?;
    if let Some(popped) = mpop_elements(ctx.db(), &keys, end, count)? {
        return Ok(mpop_reply(Some(popped)));
    }
    let op = pop_waiter(end, Some(count));
    Ok(block(ctx, keys, op, timeout, Reply::NilArray))
}

fn blmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let from = End::parse(ctx.arg(3))?;
    let to = End::parse(ctx.arg(4))?;
    let timeout = parse_timeout(ctx.arg(5))?;
    blocking_move(ctx, from, to, timeout)
}

fn brpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    let timeout = parse_timeout(ctx.arg(3))?;
    blocking_move(ctx, End::Right, End::Left, timeout)
}

/// Redis's `blmoveGenericCommand`.
fn blocking_move(ctx: &mut Ctx<'_>, from: End, to: End, timeout: Option<Duration>) -> CmdResult {
    let src = ctx.arg(1);
    let dst = ctx.arg(2);
    let limits = list_limits(ctx.engine);
    let db = ctx.db();
    if db.get_list(src)?.is_some() {
        let moved = move_element(db, src, dst, (from, to), limits)?;
        return Ok(moved.map_or(Reply::Nil, Reply::Bulk));
    }
    Ok(block(
        ctx,
        vec![src.clone()],
        move_waiter(dst.clone(), from, to, limits),
        timeout,
        Reply::Nil,
    ))
}

/// How a client blocked by BLPOP / BRPOP (`count: None`) or BLMPOP
/// (`Some(count)`) is served once one of its keys holds a list.
fn pop_waiter(end: End, count: Option<usize>) -> BlockOp {
    BlockOp::new(Kind::List, move |db, key| {
        Ok(match pop_elements(db, key, end, count.unwrap_or(1))? {
            Some(v) if count.is_some() => mpop_reply(Some((key.clone(), v))),
            Some(mut v) if !v.is_empty() => {
                Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(v.remove(0))])
            }
            _ => Reply::NilArray,
        })
    })
}

/// How a client blocked by BLMOVE / BRPOPLPUSH is served (`limits` as
/// configured when it blocked).
fn move_waiter(dst: Bytes, from: End, to: End, limits: ListLimits) -> BlockOp {
    BlockOp::new(Kind::List, move |db, key| {
        let moved = move_element(db, key, &dst, (from, to), limits)?;
        Ok(moved.map_or(Reply::Nil, Reply::Bulk))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    use crate::engine::tests::events_of;

    #[test]
    fn commands_queue_redis_events() {
        let got = events_of(&[
            "LPUSH l a b",
            "RPUSH l c",
            "LPUSHX l z",
            "RPUSHX nokey z",
            "LSET l 0 y",
            "LINSERT l BEFORE y x",
            "LINSERT l BEFORE nothere x",
            "LREM l 1 x",
            "LREM l 1 nothere",
            "LTRIM l 0 -1",
            "LMOVE l d LEFT RIGHT",
            "RPOPLPUSH d l",
            "LPOP l 0",
            "RPOP l",
            "LMPOP 1 l LEFT COUNT 10",
        ]);
        let want: Vec<Vec<&str>> = vec![
            vec!["new:l", "lpush:l"],
            vec!["rpush:l"],
            vec!["lpush:l"],
            vec![],
            vec!["lset:l"],
            vec!["linsert:l"],
            vec![],
            vec!["lrem:l"],
            vec![],
            vec!["ltrim:l"],
            vec!["new:d", "rpush:d", "lpop:l"],
            vec!["lpush:l", "rpop:d", "del:d"],
            vec![],
            vec!["rpop:l"],
            vec!["lpop:l", "del:l"],
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn ranges_follow_redis() {
        assert_eq!(normalize_range(0, -1, 3), Some((0, 2)));
        assert_eq!(normalize_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(normalize_range(2, 1, 3), None);
        assert_eq!(normalize_range(3, 5, 3), None);
        assert_eq!(normalize_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(normalize_range(0, -1, 0), None);
    }

    #[test]
    fn cores_signal_and_clean_up() {
        let mut db = Db::new(0);
        let (k, d) = (b("k"), b("d"));
        let mark = db.watch(&k);
        let lim = ListLimits::default();
        assert_eq!(push(&mut db, &k, End::Right, &[b("a"), b("b")], lim), Ok(2));
        assert!(db.watch_broken(&k, &mark), "a push signals the key");
        assert_eq!(
            move_element(&mut db, &k, &d, (End::Left, End::Right), lim),
            Ok(Some(b("a")))
        );
        assert_eq!(
            pop_elements(&mut db, &k, End::Left, 5),
            Ok(Some(vec![b("b")]))
        );
        assert!(!db.contains(&k), "an emptied list is deleted");
        assert_eq!(
            mpop_elements(&mut db, &[k.clone(), d.clone()], End::Right, 9),
            Ok(Some((d.clone(), vec![b("a")])))
        );
        assert_eq!(mpop_elements(&mut db, &[k, d], End::Right, 9), Ok(None));
    }
}
