//! XREAD and XREADGROUP, blocking included (Redis 7.0's `xreadCommand`
//! and the stream branch of `serveClientsBlockedOnKey`), and the group
//! delivery core ([`deliver`], [`deliver_history`]) that creates and
//! updates pending entries.

use std::time::Duration;

use bytes::Bytes;

use super::{c_str, entries_reply, entry_reply, id_reply, no_group, parse_strict_id, range_reply};
use crate::engine::Ctx;
use crate::engine::blocking::{BlockOp, block};
use crate::engine::command::CmdResult;
use crate::engine::keyspace::{Db, events};
use crate::engine::types::Kind;
use crate::engine::types::stream::{Consumer, INVALID_ENTRIES_READ, Nack, Stream, StreamId};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NEGATIVE_TIMEOUT, err, syntax_error};
use crate::protocol::{Protocol, Reply};

/// `getkeys` of XREAD and XREADGROUP (Redis's `xreadGetKeys`).
pub(crate) fn xread_keys(args: &[Bytes]) -> Vec<usize> {
    let mut streams_pos = None;
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if is(a, "block") || is(a, "count") {
            i += 1;
        } else if is(a, "group") {
            i += 2;
        } else if is(a, "noack") {
        } else if is(a, "streams") {
            streams_pos = Some(i);
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(pos) = streams_pos else {
        return Vec::new();
    };
    let num = args.len() - pos - 1;
    if num == 0 || num % 2 != 0 {
        return Vec::new();
    }
    (pos + 1..pos + 1 + num / 2).collect()
}

/// Creates the consumer if needed (with its `xgroup-createconsumer`
/// event) and marks it seen now.
pub(super) fn touch_consumer(db: &mut Db, key: &Bytes, group: &Bytes, consumer: &Bytes) {
    let now = db.now_ms();
    let created = match db.get_stream_mut(key) {
        Ok(Some(s)) => match s.groups.get_mut(group) {
            Some(g) => {
                let (c, created) = g.consumer_or_create(consumer, now);
                c.seen_time = now;
                created
            }
            None => false,
        },
        _ => false,
    };
    if created {
        db.notify(events::STREAM, "xgroup-createconsumer", key);
    }
}

/// Redis's `streamReplyWithRange` with a group: delivers the entries from
/// `start` on (at most `count`, 0: all) to `consumer`, advancing the
/// group's last ID and read counter and (unless `noack`) recording them as
/// pending for the consumer.
pub(super) fn deliver(
    s: &mut Stream,
    group: &Bytes,
    consumer: &Bytes,
    start: StreamId,
    count: usize,
    noack: bool,
    now: i64,
) -> Reply {
    let entries = s.range(start, StreamId::MAX, count, false);
    for (id, _) in &entries {
        let id = *id;
        let tombstones = s.has_tombstones_from(id);
        let estimate = s.estimate_distance(id);
        let added = s.entries_added;
        let Some(g) = s.groups.get_mut(group) else {
            break;
        };
        if id > g.last_id {
            if g.entries_read != INVALID_ENTRIES_READ && !tombstones {
                g.entries_read += 1;
            } else if added > 0 {
                g.entries_read = estimate;
            }
            g.last_id = id;
        }
        if noack {
            continue;
        }
        if let Some(nack) = g.pel.get_mut(&id) {
            let old = std::mem::replace(&mut nack.consumer, consumer.clone());
            nack.delivery_time = now;
            nack.delivery_count = 1;
            if let Some(c) = g.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        } else {
            g.pel.insert(
                id,
                Nack {
                    consumer: consumer.clone(),
                    delivery_time: now,
                    delivery_count: 1,
                },
            );
        }
        g.consumers
            .entry(consumer.clone())
            .or_insert_with(|| Consumer {
                seen_time: now,
                pel: Default::default(),
            })
            .pel
            .insert(id);
    }
    entries_reply(entries)
}

/// Redis's `streamReplyWithRangeFromConsumerPEL`: the consumer's pending
/// entries from `start` (at most `count`), a deleted one as `[id, nil]`;
/// each one found counts as delivered again.
pub(super) fn deliver_history(
    s: &mut Stream,
    group: &Bytes,
    consumer: &Bytes,
    start: StreamId,
    count: usize,
    now: i64,
) -> Reply {
    let Some(ids) = s
        .groups
        .get(group)
        .and_then(|g| g.consumers.get(consumer))
        .map(|c| {
            c.pel
                .range(start..)
                .take(if count == 0 { usize::MAX } else { count })
                .copied()
                .collect::<Vec<_>>()
        })
    else {
        return Reply::Array(Vec::new());
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match s.get(id) {
            Some(fields) => {
                out.push(entry_reply((id, fields)));
                if let Some(nack) = s.groups.get_mut(group).and_then(|g| g.pel.get_mut(&id)) {
                    nack.delivery_time = now;
                    nack.delivery_count += 1;
                }
            }
            None => out.push(Reply::Array(vec![id_reply(id), Reply::NilArray])),
        }
    }
    Reply::Array(out)
}

/// The reply of XREAD/XREADGROUP for the keys served.
fn keyed_reply(proto: Protocol, items: Vec<(Bytes, Reply)>) -> Reply {
    if proto == Protocol::Resp3 {
        Reply::Map(
            items
                .into_iter()
                .map(|(k, v)| (Reply::Bulk(k), v))
                .collect(),
        )
    } else {
        Reply::Array(
            items
                .into_iter()
                .map(|(k, v)| Reply::Array(vec![Reply::Bulk(k), v]))
                .collect(),
        )
    }
}

pub(super) fn xread(ctx: &mut Ctx<'_>) -> CmdResult {
    read_generic(ctx, false)
}

pub(super) fn xreadgroup(ctx: &mut Ctx<'_>) -> CmdResult {
    read_generic(ctx, true)
}

/// `>` in XREADGROUP.
const NEW_ENTRIES: StreamId = StreamId::MAX;

fn read_generic(ctx: &mut Ctx<'_>, xreadgroup: bool) -> CmdResult {
    let argc = ctx.args.len();
    let mut timeout: Option<i64> = None;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut group: Option<(Bytes, Bytes)> = None;
    let mut i = 1;
    while i < argc {
        let moreargs = argc - i - 1;
        let o = ctx.arg(i);
        if is(o, "block") && moreargs > 0 {
            i += 1;
            let t = args::int_or(ctx.arg(i), "ERR timeout is not an integer or out of range")?;
            if t < 0 {
                return Err(err(NEGATIVE_TIMEOUT));
            }
            timeout = Some(t);
        } else if is(o, "count") && moreargs > 0 {
            i += 1;
            count = args::int(ctx.arg(i))?.max(0);
        } else if is(o, "streams") && moreargs > 0 {
            streams_arg = i + 1;
            let n = argc - streams_arg;
            if n % 2 != 0 {
                return Err(err(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            streams_count = n / 2;
            break;
        } else if is(o, "group") && moreargs >= 2 {
            if !xreadgroup {
                return Err(err(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((ctx.arg(i + 1).clone(), ctx.arg(i + 2).clone()));
            i += 2;
        } else if is(o, "noack") {
            if !xreadgroup {
                return Err(err(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if streams_arg == 0 {
        return Err(syntax_error());
    }
    if xreadgroup && group.is_none() {
        return Err(err("ERR Missing GROUP option for XREADGROUP"));
    }
    let keys: Vec<Bytes> = ctx.args[streams_arg..streams_arg + streams_count].to_vec();
    let mut ids: Vec<StreamId> = Vec::with_capacity(streams_count);
    for (n, key) in keys.iter().enumerate() {
        let arg = ctx.arg(streams_arg + streams_count + n).clone();
        let db = ctx.db();
        let s = db.get_stream(key)?;
        if let Some((gname, _)) = &group {
            if !s.is_some_and(|s| s.groups.contains_key(gname)) {
                return Err(no_group(key, gname, " in XREADGROUP with GROUP option"));
            }
        }
        if c_str(&arg) == b"$" {
            if xreadgroup {
                return Err(err(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            ids.push(s.map_or(StreamId::ZERO, |s| s.last_id));
            continue;
        }
        if c_str(&arg) == b">" {
            if !xreadgroup {
                return Err(err(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            ids.push(NEW_ENTRIES);
            continue;
        }
        ids.push(parse_strict_id(&arg)?);
    }

    let proto = ctx.client.protocol;
    let now = ctx.engine.now_ms();
    let mut served: Vec<(Bytes, Reply)> = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let db = ctx.db();
        let Some(s) = db.get_stream(key)? else {
            continue;
        };
        let mut gt = ids[n];
        let mut serve = false;
        let mut history = false;
        if let Some((gname, _)) = &group {
            if gt != NEW_ENTRIES {
                serve = true;
                history = true;
            } else if !s.is_empty() {
                let last = s.groups.get(gname).map_or(StreamId::ZERO, |g| g.last_id);
                if s.edge_id(false).is_some_and(|maxid| maxid > last) {
                    serve = true;
                    gt = last;
                }
            }
        } else if !s.is_empty() && s.edge_id(false).is_some_and(|maxid| maxid > gt) {
            serve = true;
        }
        if !serve {
            continue;
        }
        // The consumer is created (or marked seen) only when served.
        if let Some((gname, cname)) = &group {
            touch_consumer(db, key, gname, cname);
        }
        let start = gt.incr().unwrap_or(StreamId::ZERO);
        let Some(s) = db.get_stream_mut(key)? else {
            continue;
        };
        let reply = match &group {
            Some((gname, cname)) if history => {
                deliver_history(s, gname, cname, start, count as usize, now)
            }
            Some((gname, cname)) => deliver(s, gname, cname, start, count as usize, noack, now),
            None => range_reply(s, start, StreamId::MAX, count as usize, false),
        };
        served.push((key.clone(), reply));
    }
    if !served.is_empty() {
        return Ok(keyed_reply(proto, served));
    }
    let Some(timeout) = timeout else {
        return Ok(Reply::NilArray);
    };
    let timeout = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
    let waits: Vec<(Bytes, StreamId)> = keys.iter().cloned().zip(ids).collect();
    let op = match group {
        Some((gname, cname)) => {
            let g2 = gname.clone();
            BlockOp::new(Kind::Stream, move |db, key| {
                serve_group_waiter(db, key, &gname, &cname, count as usize, noack, proto)
            })
            .with_ready(move |db, key| match db.get_stream(key) {
                Ok(Some(s)) => match s.groups.get(&g2) {
                    Some(g) => s.last_id > g.last_id,
                    None => true,
                },
                _ => true,
            })
        }
        None => {
            let w2 = waits.clone();
            BlockOp::new(Kind::Stream, move |db, key| {
                let gt = waits
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or(StreamId::ZERO, |(_, id)| *id);
                let start = gt.incr().unwrap_or(StreamId::ZERO);
                let entries = match db.get_stream(key) {
                    Ok(Some(s)) => range_reply(s, start, StreamId::MAX, count as usize, false),
                    _ => Reply::Array(Vec::new()),
                };
                Ok(keyed_reply(proto, vec![(key.clone(), entries)]))
            })
            .with_ready(move |db, key| {
                let gt = w2
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or(StreamId::ZERO, |(_, id)| *id);
                matches!(db.get_stream(key), Ok(Some(s)) if s.last_id > gt)
            })
        }
    };
    Ok(block(ctx, keys, op, timeout, Reply::NilArray))
}

/// Serves a client blocked in XREADGROUP once its key is ready.
fn serve_group_waiter(
    db: &mut Db,
    key: &Bytes,
    group: &Bytes,
    consumer: &Bytes,
    count: usize,
    noack: bool,
    proto: Protocol,
) -> CmdResult {
    let gt = match db.get_stream(key) {
        Ok(Some(s)) => match s.groups.get(group) {
            Some(g) => g.last_id,
            None => {
                return Err(err(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                ));
            }
        },
        _ => return Err(err("UNBLOCKED the stream key no longer exists")),
    };
    touch_consumer(db, key, group, consumer);
    let now = db.now_ms();
    let start = gt.incr().unwrap_or(StreamId::ZERO);
    let reply = match db.get_stream_mut(key) {
        Ok(Some(s)) => deliver(s, group, consumer, start, count, noack, now),
        _ => Reply::Array(Vec::new()),
    };
    Ok(keyed_reply(proto, vec![(key.clone(), reply)]))
}
