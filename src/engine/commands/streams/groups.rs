//! Consumer groups: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER,
//! DELCONSUMER, HELP), XACK, XPENDING, XCLAIM and XAUTOCLAIM, as Redis
//! 7.0's `t_stream.c` answers them. Idle times follow the engine clock.

use bytes::Bytes;

use super::{
    entry_reply, id_reply, no_group, no_such_group, parse_id, parse_interval_id, parse_strict_id,
};
use crate::engine::Ctx;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::keyspace::events;
use crate::engine::types::stream::{Consumer, Group, INVALID_ENTRIES_READ, Nack, Stream, StreamId};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, subcommand_syntax_error, syntax_error};
use crate::engine::util::help::help_reply;
use crate::protocol::Reply;

pub(super) const XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("destroy", 4, xgroup)
        .flags(WRITE)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RW", "delete"])
        .doc(
            "stream",
            "5.0.0",
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
            "Destroy a consumer group.",
        ),
    CommandSpec::new("createconsumer", 5, xgroup)
        .flags(WRITE | DENYOOM)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RW", "insert"])
        .doc(
            "stream",
            "6.2.0",
            "O(1)",
            "Create a consumer in a consumer group.",
        ),
    CommandSpec::new("setid", -5, xgroup)
        .flags(WRITE)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RW", "update"])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Set a consumer group to an arbitrary last delivered ID value.",
        ),
    CommandSpec::new("create", -5, xgroup)
        .flags(WRITE | DENYOOM)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RW", "insert"])
        .doc("stream", "5.0.0", "O(1)", "Create a consumer group."),
    CommandSpec::new("delconsumer", 5, xgroup)
        .flags(WRITE)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RW", "delete"])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Delete a consumer from a consumer group.",
        ),
    CommandSpec::new("help", 2, xgroup_help)
        .flags(LOADING | STALE)
        .acl(acl::STREAM)
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

fn xgroup_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    ))
}

const ENTRIESREAD_RANGE: &str = "ERR value for ENTRIESREAD must be positive or -1";

/// Redis 7.0's `xgroupCommand` (every subcommand but HELP).
fn xgroup(ctx: &mut Ctx<'_>) -> CmdResult {
    let argc = ctx.args.len();
    let opt = ctx.arg(1).clone();
    let key = ctx.arg(2).clone();
    let gname = ctx.arg(3).clone();
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    if is(&opt, "create") && argc >= 5 {
        let mut i = 5;
        while i < argc {
            if is(ctx.arg(i), "mkstream") {
                mkstream = true;
                i += 1;
            } else if is(ctx.arg(i), "entriesread") && i + 1 < argc {
                entries_read = args::int(ctx.arg(i + 1))?;
                if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                    return Err(err(ENTRIESREAD_RANGE));
                }
                i += 2;
            } else {
                return Err(subcommand_syntax_error(&opt, "xgroup"));
            }
        }
    }
    let db = ctx.db();
    let exists = db.get_stream(&key)?.is_some();
    if !mkstream {
        if !exists {
            return Err(err(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        }
        let has_group = db
            .get_stream(&key)?
            .is_some_and(|s| s.groups.contains_key(&gname));
        if !has_group
            && (is(&opt, "setid") || is(&opt, "createconsumer") || is(&opt, "delconsumer"))
        {
            return Err(no_such_group(&key, &gname));
        }
    }
    if is(&opt, "create") && (5..=8).contains(&argc) {
        let id = if ctx.arg(4).as_ref() == b"$" {
            ctx.db()
                .get_stream(&key)?
                .map_or(StreamId::ZERO, |s| s.last_id)
        } else {
            parse_strict_id(ctx.arg(4))?
        };
        let db = ctx.db();
        if !exists {
            db.stream_or_insert(&key)?;
            db.touched(&key);
        }
        let Some(s) = db.get_stream_mut(&key)? else {
            return Err(err("ERR no such key"));
        };
        if s.groups.contains_key(&gname) {
            return Err(err("BUSYGROUP Consumer Group name already exists"));
        }
        s.groups.insert(gname, Group::new(id, entries_read));
        db.notify(events::STREAM, "xgroup-create", &key);
        Ok(Reply::ok())
    } else if is(&opt, "setid") && (argc == 5 || argc == 7) {
        let id = if ctx.arg(4).as_ref() == b"$" {
            ctx.db()
                .get_stream(&key)?
                .map_or(StreamId::ZERO, |s| s.last_id)
        } else {
            parse_id(ctx.arg(4), 0)?
        };
        if argc == 7 {
            if !is(ctx.arg(5), "entriesread") {
                return Err(subcommand_syntax_error(&opt, "xgroup"));
            }
            entries_read = args::int(ctx.arg(6))?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(err(ENTRIESREAD_RANGE));
            }
        }
        let db = ctx.db();
        if let Some(g) = db
            .get_stream_mut(&key)?
            .and_then(|s| s.groups.get_mut(&gname))
        {
            g.last_id = id;
            g.entries_read = entries_read;
        }
        db.notify(events::STREAM, "xgroup-setid", &key);
        Ok(Reply::ok())
    } else if is(&opt, "destroy") && argc == 4 {
        let db = ctx.db();
        let removed = db
            .get_stream_mut(&key)?
            .is_some_and(|s| s.groups.remove(&gname).is_some());
        if removed {
            db.notify(events::STREAM, "xgroup-destroy", &key);
            db.signal_ready(&key);
        }
        Ok(Reply::int(removed as i64))
    } else if is(&opt, "createconsumer") && argc == 5 {
        let cname = ctx.arg(4).clone();
        let db = ctx.db();
        let now = db.now_ms();
        let created = db
            .get_stream_mut(&key)?
            .and_then(|s| s.groups.get_mut(&gname))
            .is_some_and(|g| g.consumer_or_create(&cname, now).1);
        if created {
            db.notify(events::STREAM, "xgroup-createconsumer", &key);
        }
        Ok(Reply::int(created as i64))
    } else if is(&opt, "delconsumer") && argc == 5 {
        let cname = ctx.arg(4).clone();
        let db = ctx.db();
        let pending = db
            .get_stream_mut(&key)?
            .and_then(|s| s.groups.get_mut(&gname))
            .and_then(|g| {
                let c = g.consumers.remove(&cname)?;
                for id in &c.pel {
                    g.pel.remove(id);
                }
                Some(c.pel.len())
            });
        match pending {
            Some(n) => {
                db.notify(events::STREAM, "xgroup-delconsumer", &key);
                Ok(Reply::int(n as i64))
            }
            None => Ok(Reply::int(0)),
        }
    } else {
        Err(subcommand_syntax_error(&opt, "xgroup"))
    }
}

pub(super) fn xack(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1).clone();
    let gname = ctx.arg(2).clone();
    let has_group = match ctx.db().get_stream(&key)? {
        Some(s) => s.groups.contains_key(&gname),
        None => false,
    };
    if !has_group {
        return Ok(Reply::int(0));
    }
    let ids = ctx.args[3..]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut acked = 0;
    if let Some(g) = ctx
        .db()
        .get_stream_mut(&key)?
        .and_then(|s| s.groups.get_mut(&gname))
    {
        for id in ids {
            if let Some(nack) = g.pel.remove(&id) {
                if let Some(c) = g.consumers.get_mut(&nack.consumer) {
                    c.pel.remove(&id);
                }
                acked += 1;
            }
        }
    }
    Ok(Reply::int(acked))
}

pub(super) fn xpending(ctx: &mut Ctx<'_>) -> CmdResult {
    let argc = ctx.args.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(syntax_error());
    }
    let mut start = StreamId::ZERO;
    let mut end = StreamId::MAX;
    let mut count: i64 = 0;
    let mut minidle: i64 = 0;
    let mut consumer: Option<Bytes> = None;
    if argc >= 6 {
        let mut startidx = 3;
        if is(ctx.arg(3), "idle") {
            minidle = args::int(ctx.arg(4))?;
            if argc < 8 {
                return Err(syntax_error());
            }
            startidx += 2;
        }
        count = args::int(ctx.arg(startidx + 2))?.max(0);
        let (s, sx) = parse_interval_id(ctx.arg(startidx), 0)?;
        start = s;
        if sx {
            start = start
                .incr()
                .ok_or_else(|| err("ERR invalid start ID for the interval"))?;
        }
        let (e, ex) = parse_interval_id(ctx.arg(startidx + 1), u64::MAX)?;
        end = e;
        if ex {
            end = end
                .decr()
                .ok_or_else(|| err("ERR invalid end ID for the interval"))?;
        }
        if startidx + 3 < argc {
            consumer = Some(ctx.arg(startidx + 3).clone());
        }
    }
    let key = ctx.arg(1).clone();
    let gname = ctx.arg(2).clone();
    let now = ctx.engine.now_ms();
    let s = ctx.db().get_stream(&key)?;
    let Some(g) = s.and_then(|s| s.groups.get(&gname)) else {
        return Err(no_group(&key, &gname, ""));
    };
    if justinfo {
        let (Some(first), Some(last)) = (g.pel.keys().next(), g.pel.keys().next_back()) else {
            return Ok(Reply::Array(vec![
                Reply::int(0),
                Reply::Nil,
                Reply::Nil,
                Reply::NilArray,
            ]));
        };
        let consumers = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(name, c)| {
                Reply::Array(vec![
                    Reply::Bulk(name.clone()),
                    Reply::Bulk(Bytes::from(c.pel.len().to_string())),
                ])
            })
            .collect();
        return Ok(Reply::Array(vec![
            Reply::int(g.pel.len() as i64),
            id_reply(*first),
            id_reply(*last),
            Reply::Array(consumers),
        ]));
    }
    let ids: Vec<StreamId> = match &consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) => c.pel.range(start..).copied().collect(),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => g.pel.range(start..).map(|(k, _)| *k).collect(),
    };
    let mut out = Vec::new();
    for id in ids {
        if count == 0 || id > end {
            break;
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        count -= 1;
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::Bulk(nack.consumer.clone()),
            Reply::int((now - nack.delivery_time).max(0)),
            Reply::int(nack.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

/// Moves the pending entry `id` to `consumer` (created if needed, with
/// its event), as XCLAIM and XAUTOCLAIM do.
fn claim_to(
    s: &mut Stream,
    gname: &Bytes,
    consumer: &Bytes,
    id: StreamId,
    now: i64,
    created: &mut bool,
) -> Option<()> {
    let g = s.groups.get_mut(gname)?;
    let c = g.consumers.entry(consumer.clone()).or_insert_with(|| {
        *created = true;
        Consumer {
            seen_time: now,
            pel: Default::default(),
        }
    });
    c.seen_time = now;
    let nack = g.pel.get_mut(&id)?;
    if nack.consumer != *consumer {
        let old = std::mem::replace(&mut nack.consumer, consumer.clone());
        if let Some(oc) = g.consumers.get_mut(&old) {
            oc.pel.remove(&id);
        }
    }
    g.consumers.get_mut(consumer)?.pel.insert(id);
    Some(())
}

/// Drops a pending entry whose stream entry is gone.
fn drop_nack(s: &mut Stream, gname: &Bytes, id: StreamId) {
    if let Some(g) = s.groups.get_mut(gname) {
        if let Some(nack) = g.pel.remove(&id) {
            if let Some(c) = g.consumers.get_mut(&nack.consumer) {
                c.pel.remove(&id);
            }
        }
    }
}

pub(super) fn xclaim(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1).clone();
    let gname = ctx.arg(2).clone();
    let cname = ctx.arg(3).clone();
    let has_group = match ctx.db().get_stream(&key)? {
        Some(s) => s.groups.contains_key(&gname),
        None => false,
    };
    if !has_group {
        return Err(no_group(&key, &gname, ""));
    }
    let minidle = args::int_or(ctx.arg(4), "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    let argc = ctx.args.len();
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argc {
        match parse_strict_id(ctx.arg(j)) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.engine.now_ms();
    let mut force = false;
    let mut justid = false;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut last_id = StreamId::ZERO;
    while j < argc {
        let moreargs = argc - 1 - j;
        let opt = ctx.arg(j).clone();
        if is(&opt, "force") {
            force = true;
        } else if is(&opt, "justid") {
            justid = true;
        } else if is(&opt, "idle") && moreargs > 0 {
            j += 1;
            let idle = args::int_or(ctx.arg(j), "ERR Invalid IDLE option argument for XCLAIM")?;
            deliverytime = now.wrapping_sub(idle);
        } else if is(&opt, "time") && moreargs > 0 {
            j += 1;
            deliverytime = args::int_or(ctx.arg(j), "ERR Invalid TIME option argument for XCLAIM")?;
        } else if is(&opt, "retrycount") && moreargs > 0 {
            j += 1;
            retrycount = args::int_or(
                ctx.arg(j),
                "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            )?;
        } else if is(&opt, "lastid") && moreargs > 0 {
            j += 1;
            last_id = parse_strict_id(ctx.arg(j))?;
        } else {
            let mut text = b"ERR Unrecognized XCLAIM option '".to_vec();
            text.extend_from_slice(super::c_str(&opt));
            text.push(b'\'');
            return Err(Reply::Error(Bytes::from(text)));
        }
        j += 1;
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let db = ctx.db();
    let mut created = false;
    let mut out = Vec::new();
    {
        let Some(s) = db.get_stream_mut(&key)? else {
            return Err(no_group(&key, &gname, ""));
        };
        if let Some(g) = s.groups.get_mut(&gname) {
            if last_id > g.last_id {
                g.last_id = last_id;
            }
        }
        for id in ids {
            let entry = s.get(id);
            let Some(fields) = entry else {
                drop_nack(s, &gname, id);
                continue;
            };
            let Some(g) = s.groups.get_mut(&gname) else {
                break;
            };
            let mut fresh = false;
            if force && !g.pel.contains_key(&id) {
                g.pel.insert(
                    id,
                    Nack {
                        consumer: Bytes::new(),
                        delivery_time: now,
                        delivery_count: 1,
                    },
                );
                fresh = true;
            }
            let Some(nack) = g.pel.get(&id) else {
                continue;
            };
            if !fresh && minidle != 0 && now - nack.delivery_time < minidle {
                continue;
            }
            if fresh {
                // No owner yet: `claim_to` must not look one up.
                if let Some(n) = g.pel.get_mut(&id) {
                    n.consumer = cname.clone();
                }
            }
            claim_to(s, &gname, &cname, id, now, &mut created);
            if let Some(nack) = s.groups.get_mut(&gname).and_then(|g| g.pel.get_mut(&id)) {
                nack.delivery_time = deliverytime;
                if retrycount >= 0 {
                    nack.delivery_count = retrycount as u64;
                } else if !justid {
                    nack.delivery_count += 1;
                }
            }
            out.push(if justid {
                id_reply(id)
            } else {
                entry_reply((id, fields))
            });
        }
    }
    if created {
        db.notify(events::STREAM, "xgroup-createconsumer", &key);
    }
    Ok(Reply::Array(out))
}

pub(super) fn xautoclaim(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1).clone();
    let gname = ctx.arg(2).clone();
    let cname = ctx.arg(3).clone();
    let minidle = args::int_or(
        ctx.arg(4),
        "ERR Invalid min-idle-time argument for XAUTOCLAIM",
    )?
    .max(0);
    let (mut start, startex) = parse_interval_id(ctx.arg(5), 0)?;
    if startex {
        start = start
            .incr()
            .ok_or_else(|| err("ERR invalid start ID for the interval"))?;
    }
    let argc = ctx.args.len();
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argc {
        let moreargs = argc - 1 - j;
        if is(ctx.arg(j), "count") && moreargs > 0 {
            count = args::int_in_range(
                ctx.arg(j + 1),
                1,
                i64::MAX / 16,
                Some("ERR COUNT must be > 0"),
            )?;
            j += 1;
        } else if is(ctx.arg(j), "justid") {
            justid = true;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let has_group = match ctx.db().get_stream(&key)? {
        Some(s) => s.groups.contains_key(&gname),
        None => false,
    };
    if !has_group {
        return Err(no_group(&key, &gname, ""));
    }
    let now = ctx.engine.now_ms();
    let db = ctx.db();
    let Some(s) = db.get_stream_mut(&key)? else {
        return Err(no_group(&key, &gname, ""));
    };
    let mut attempts = count.saturating_mul(10);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut created = false;
    let mut cursor = start;
    loop {
        if attempts == 0 {
            break;
        }
        attempts -= 1;
        if count == 0 {
            break;
        }
        let Some(id) = s
            .groups
            .get(&gname)
            .and_then(|g| g.pel.range(cursor..).next().map(|(k, _)| *k))
        else {
            cursor = StreamId::MAX;
            break;
        };
        cursor = match id.incr() {
            Some(n) => n,
            None => StreamId::MAX,
        };
        let Some(fields) = s.get(id) else {
            drop_nack(s, &gname, id);
            deleted.push(id);
            count -= 1;
            continue;
        };
        let Some(nack) = s.groups.get(&gname).and_then(|g| g.pel.get(&id)) else {
            continue;
        };
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        claim_to(s, &gname, &cname, id, now, &mut created);
        if let Some(nack) = s.groups.get_mut(&gname).and_then(|g| g.pel.get_mut(&id)) {
            nack.delivery_time = now;
            if !justid {
                nack.delivery_count += 1;
            }
        }
        claimed.push(if justid {
            id_reply(id)
        } else {
            entry_reply((id, fields))
        });
        count -= 1;
        if id == StreamId::MAX {
            break;
        }
    }
    let next = s
        .groups
        .get(&gname)
        .and_then(|g| {
            if cursor == StreamId::MAX {
                None
            } else {
                g.pel.range(cursor..).next().map(|(k, _)| *k)
            }
        })
        .unwrap_or(StreamId::ZERO);
    if created {
        db.notify(events::STREAM, "xgroup-createconsumer", &key);
    }
    Ok(Reply::Array(vec![
        id_reply(next),
        Reply::Array(claimed),
        Reply::Array(deleted.into_iter().map(id_reply).collect()),
    ]))
}
