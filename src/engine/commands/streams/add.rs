//! Writing and reading entries: XADD, XTRIM, XDEL, XSETID, XLEN, XRANGE,
//! XREVRANGE, with Redis 7.0's option parsing (`streamParseAddOrTrimArgsOrReply`)
//! and trimming.

use bytes::Bytes;

use super::{
    ParsedId, id_reply, parse_id_generic, parse_interval_id, parse_strict_id, range_reply,
};
use crate::engine::Ctx;
use crate::engine::Engine;
use crate::engine::command::CmdResult;
use crate::engine::keyspace::{Db, events};
use crate::engine::types::stream::{NodeLimits, Stream, StreamId, Trim};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NO_SUCH_KEY, err, syntax_error, wrong_arity};
use crate::protocol::Reply;

/// The node limits the configuration sets.
pub(crate) fn node_limits(engine: &Engine) -> NodeLimits {
    engine.encoding_limits().stream_node
}

/// Parsed XADD / XTRIM options.
struct AddTrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: i64,
    nomkstream: bool,
    id: Option<ParsedId>,
    /// Where the ID (XADD) is, or the end of the options.
    idpos: usize,
}

const MAXLEN_AND_MINID: &str =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

/// Redis 7.0's `streamParseAddOrTrimArgsOrReply`.
fn parse_add_trim(args: &[Bytes], xadd: bool, max_entries: i64) -> Result<AddTrimArgs, Reply> {
    let mut out = AddTrimArgs {
        trim: None,
        approx: false,
        limit: 0,
        nomkstream: false,
        id: None,
        idpos: args.len(),
    };
    let mut limit_given = false;
    let argc = args.len();
    let mut i = 2;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = &args[i];
        if xadd && opt.first() == Some(&b'*') && opt.get(1).is_none_or(|c| *c == 0) {
            out.idpos = i;
            break;
        } else if is(opt, "maxlen") && moreargs > 0 {
            if out.trim.is_some() {
                return Err(err(MAXLEN_AND_MINID));
            }
            out.approx = false;
            let next = &args[i + 1];
            if moreargs >= 2 && next.first() == Some(&b'~') && next.get(1).is_none_or(|c| *c == 0) {
                out.approx = true;
                i += 1;
            } else if moreargs >= 2
                && next.first() == Some(&b'=')
                && next.get(1).is_none_or(|c| *c == 0)
            {
                i += 1;
            }
            let maxlen = args::int(&args[i + 1])?;
            if maxlen < 0 {
                return Err(err("ERR The MAXLEN argument must be >= 0."));
            }
            i += 1;
            out.trim = Some(Trim::MaxLen(maxlen as u64));
        } else if is(opt, "minid") && moreargs > 0 {
            if out.trim.is_some() {
                return Err(err(MAXLEN_AND_MINID));
            }
            out.approx = false;
            let next = &args[i + 1];
            if moreargs >= 2 && next.first() == Some(&b'~') && next.get(1).is_none_or(|c| *c == 0) {
                out.approx = true;
                i += 1;
            } else if moreargs >= 2
                && next.first() == Some(&b'=')
                && next.get(1).is_none_or(|c| *c == 0)
            {
                i += 1;
            }
            let id = parse_strict_id(&args[i + 1])?;
            i += 1;
            out.trim = Some(Trim::MinId(id));
        } else if is(opt, "limit") && moreargs > 0 {
            let limit = args::int(&args[i + 1])?;
            if limit < 0 {
                return Err(err("ERR The LIMIT argument must be >= 0."));
            }
            out.limit = limit;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            out.nomkstream = true;
        } else if xadd {
            out.id = Some(parse_id_generic(opt, 0, true, true)?);
            out.idpos = i;
            break;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if i >= argc {
        out.idpos = argc;
    }
    if limit_given {
        if out.trim.is_none() {
            return Err(err(
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ));
        }
        if !out.approx {
            return Err(err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if out.approx {
        let mut limit = max_entries.saturating_mul(100);
        if limit <= 0 {
            limit = 10000;
        }
        if limit > 1_000_000 {
            limit = 1_000_000;
        }
        out.limit = limit;
    } else {
        out.limit = 0;
    }
    Ok(out)
}

/// `ERR The ID specified in XADD is equal or smaller than the target stream top item`.
const ID_TOO_SMALL: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";

/// Appends an entry to the stream at `key` as XADD does once its options
/// are parsed (the stream created unless `nomkstream`): `id` is `None`
/// for `*`. Returns the new ID (`Ok(None)`: no stream and `nomkstream`),
/// with the `xadd` event and the modification signal. No trimming.
pub(crate) fn xadd_core(
    db: &mut Db,
    key: &Bytes,
    id: Option<&ParsedId>,
    pairs: &[Bytes],
    nomkstream: bool,
    limits: NodeLimits,
) -> Result<Option<StreamId>, Reply> {
    if let Some(p) = id {
        if p.seq_given && p.id.is_zero() {
            return Err(err("ERR The ID specified in XADD must be greater than 0-0"));
        }
    }
    let now = db.now_ms();
    // One lookup when the stream exists (the common case).
    let new_id = if let Some(s) = db.get_stream_mut(key)? {
        append_entry(s, id, pairs, limits, now)?
    } else if nomkstream {
        return Ok(None);
    } else {
        append_entry(db.stream_or_insert(key)?, id, pairs, limits, now)?
    };
    db.touched(key);
    db.notify(events::STREAM, "xadd", key);
    Ok(Some(new_id))
}

/// XADD's checks and append on the stream found or created: the new ID.
fn append_entry(
    s: &mut Stream,
    id: Option<&ParsedId>,
    pairs: &[Bytes],
    limits: NodeLimits,
    now: i64,
) -> Result<StreamId, Reply> {
    if s.last_id == StreamId::MAX {
        return Err(err(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let total: u64 = pairs.iter().map(|p| p.len() as u64).sum();
    if total > crate::engine::types::stream::LISTPACK_MAX_SIZE {
        return Err(err("ERR Elements are too large to be stored"));
    }
    let new_id = match id {
        Some(p) if p.seq_given => p.id,
        Some(p) => {
            if s.last_id.ms == p.id.ms {
                if s.last_id.seq == u64::MAX {
                    // Redis 7.0 reports this overflow with ERANGE's text.
                    return Err(err("ERR Elements are too large to be stored"));
                }
                StreamId::new(p.id.ms, s.last_id.seq + 1)
            } else {
                p.id
            }
        }
        None => {
            let ms = now.max(0) as u64;
            if ms > s.last_id.ms {
                StreamId::new(ms, 0)
            } else {
                s.last_id.incr().unwrap_or(StreamId::ZERO)
            }
        }
    };
    if new_id <= s.last_id {
        return Err(err(ID_TOO_SMALL));
    }
    s.append(new_id, pairs, limits);
    Ok(new_id)
}

pub(super) fn xadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let limits = node_limits(ctx.engine);
    let parsed = parse_add_trim(ctx.args, true, limits.max_entries as i64)?;
    let field_pos = parsed.idpos + 1;
    let argc = ctx.args.len();
    if argc < field_pos + 2 || (argc - field_pos) % 2 == 1 {
        return Err(wrong_arity("xadd"));
    }
    // The arguments are borrowed apart from the engine: no handle cloned.
    let args = ctx.args;
    let key = &args[1];
    let pairs = &args[field_pos..];
    let db = &mut ctx.engine.dbs[ctx.client.db];
    let Some(id) = xadd_core(
        db,
        key,
        parsed.id.as_ref(),
        pairs,
        parsed.nomkstream,
        limits,
    )?
    else {
        return Ok(Reply::Nil);
    };
    if let Some(strategy) = parsed.trim {
        if let Some(s) = db.get_stream_mut(key)? {
            if s.trim(strategy, parsed.approx, parsed.limit) > 0 {
                db.notify(events::STREAM, "xtrim", key);
            }
        }
    }
    Ok(id_reply(id))
}

pub(super) fn xtrim(ctx: &mut Ctx<'_>) -> CmdResult {
    let limits = node_limits(ctx.engine);
    let parsed = parse_add_trim(ctx.args, false, limits.max_entries as i64)?;
    let key = ctx.arg(1).clone();
    let db = ctx.db();
    let Some(s) = db.get_stream_mut(&key)? else {
        return Ok(Reply::int(0));
    };
    let deleted = match parsed.trim {
        Some(strategy) => s.trim(strategy, parsed.approx, parsed.limit),
        None => 0,
    };
    if deleted > 0 {
        db.notify(events::STREAM, "xtrim", &key);
        db.touched(&key);
    }
    Ok(Reply::int(deleted))
}

pub(super) fn xdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1).clone();
    if ctx.db().get_stream(&key)?.is_none() {
        return Ok(Reply::int(0));
    }
    let ids = ctx.args[2..]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let db = ctx.db();
    let Some(s) = db.get_stream_mut(&key)? else {
        return Ok(Reply::int(0));
    };
    let mut deleted = 0;
    let mut first_entry = false;
    for id in ids {
        if s.delete(id) {
            if id == s.first_id {
                first_entry = true;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.is_empty() || first_entry {
            s.refresh_first_id();
        }
        db.touched(&key);
        db.notify(events::STREAM, "xdel", &key);
    }
    Ok(Reply::int(deleted))
}

pub(super) fn xsetid(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = parse_strict_id(ctx.arg(2))?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::ZERO;
    let argc = ctx.args.len();
    let mut i = 3;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = ctx.arg(i);
        if is(opt, "entriesadded") && moreargs > 0 {
            entries_added = args::int(ctx.arg(i + 1))?;
            if entries_added < 0 {
                return Err(err("ERR entries_added must be positive"));
            }
            i += 2;
        } else if is(opt, "maxdeletedid") && moreargs > 0 {
            max_xdel = parse_strict_id(ctx.arg(i + 1))?;
            if id < max_xdel {
                return Err(err(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            i += 2;
        } else {
            return Err(syntax_error());
        }
    }
    let key = ctx.arg(1).clone();
    let db = ctx.db();
    let Some(s) = db.get_stream_mut(&key)? else {
        return Err(err(NO_SUCH_KEY));
    };
    if !s.is_empty() {
        let maxid = s.edge_id(false).unwrap_or(StreamId::ZERO);
        if id < maxid {
            return Err(err(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added != -1 && s.len() > entries_added as u64 {
            return Err(err(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_id = max_xdel;
    }
    // Redis 7.0's XSETID does not signal the key as modified (WATCH holds).
    db.notify(events::STREAM, "xsetid", &key);
    Ok(Reply::ok())
}

pub(super) fn xlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1).clone();
    let len = ctx.db().get_stream(&key)?.map_or(0, |s| s.len());
    Ok(Reply::int(len as i64))
}

pub(super) fn xrange(ctx: &mut Ctx<'_>) -> CmdResult {
    range_generic(ctx, false)
}

pub(super) fn xrevrange(ctx: &mut Ctx<'_>) -> CmdResult {
    range_generic(ctx, true)
}

fn range_generic(ctx: &mut Ctx<'_>, rev: bool) -> CmdResult {
    let (startarg, endarg) = if rev {
        (ctx.arg(3), ctx.arg(2))
    } else {
        (ctx.arg(2), ctx.arg(3))
    };
    let (mut start, startex) = parse_interval_id(startarg, 0)?;
    if startex {
        start = start
            .incr()
            .ok_or_else(|| err("ERR invalid start ID for the interval"))?;
    }
    let (mut end, endex) = parse_interval_id(endarg, u64::MAX)?;
    if endex {
        end = end
            .decr()
            .ok_or_else(|| err("ERR invalid end ID for the interval"))?;
    }
    let mut count: i64 = -1;
    let argc = ctx.args.len();
    let mut j = 4;
    while j < argc {
        let additional = argc - j - 1;
        if is(ctx.arg(j), "count") && additional >= 1 {
            count = args::int(ctx.arg(j + 1))?.max(0);
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let args = ctx.args;
    let Some(s) = ctx.db().get_stream(&args[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Reply::NilArray);
    }
    let count = if count == -1 { 0 } else { count as usize };
    Ok(range_reply(s, start, end, count, rev))
}
