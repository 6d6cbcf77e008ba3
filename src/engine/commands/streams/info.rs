//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and
//! XINFO HELP, with Redis 7.0's fields (entries-read, lag,
//! recorded-first-entry-id, max-deleted-entry-id).

use std::collections::HashSet;

use bytes::Bytes;

use super::{entries_reply, entry_reply, id_reply, no_such_group};
use crate::engine::Ctx;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::types::stream::{INVALID_ENTRIES_READ, Stream, StreamId};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NO_SUCH_KEY, err, subcommand_syntax_error};
use crate::engine::util::help::help_reply;
use crate::protocol::Reply;

pub(super) const XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("help", 2, xinfo_help)
        .flags(LOADING | STALE)
        .acl(acl::STREAM)
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    CommandSpec::new("groups", 3, xinfo_groups)
        .flags(READONLY)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RO", "access"])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "List the consumer groups of a stream",
        ),
    CommandSpec::new("consumers", 4, xinfo_consumers)
        .flags(READONLY)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "List the consumers in a consumer group",
        ),
    CommandSpec::new("stream", -3, xinfo_stream)
        .flags(READONLY)
        .acl(acl::STREAM)
        .keys(2, 2, 1, &["RO", "access"])
        .doc("stream", "5.0.0", "O(1)", "Get information about a stream"),
];

fn xinfo_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    ))
}

fn pair(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

fn key_stream<'a>(ctx: &'a mut Ctx<'_>) -> Result<&'a Stream, Reply> {
    let key = ctx.arg(2).clone();
    ctx.db().get_stream(&key)?.ok_or_else(|| err(NO_SUCH_KEY))
}

/// The number of nodes of Redis's radix tree holding `keys` (16-byte
/// keys): the root, every key, every branching prefix and every child of
/// one (a compressed chain between them is one node).
pub(crate) fn rax_nodes(keys: &[[u8; 16]]) -> usize {
    let mut states: HashSet<&[u8]> = HashSet::new();
    states.insert(&[]);
    for k in keys {
        states.insert(&k[..]);
    }
    for w in keys.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let l = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
        if l < 16 {
            states.insert(&a[..l]);
            states.insert(&a[..l + 1]);
            states.insert(&b[..l + 1]);
        }
    }
    states.len()
}

fn lag_reply(s: &Stream, g: &crate::engine::types::stream::Group) -> Reply {
    match s.group_lag(g) {
        Some(l) => Reply::int(l),
        None => Reply::Nil,
    }
}

fn entries_read_reply(v: i64) -> Reply {
    if v == INVALID_ENTRIES_READ {
        Reply::Nil
    } else {
        Reply::int(v)
    }
}

fn xinfo_stream(ctx: &mut Ctx<'_>) -> CmdResult {
    let argc = ctx.args.len();
    let mut full = false;
    let mut count: i64 = 10;
    match argc - 3 {
        0 => {}
        1 | 3 => {
            if !is(ctx.arg(3), "full") {
                return Err(subcommand_syntax_error(ctx.arg(1), "xinfo"));
            }
            full = true;
            if argc == 6 {
                if !is(ctx.arg(4), "count") {
                    return Err(subcommand_syntax_error(ctx.arg(1), "xinfo"));
                }
                count = args::int(ctx.arg(5))?;
                if count < 0 {
                    count = 10;
                }
            }
        }
        _ => return Err(subcommand_syntax_error(ctx.arg(1), "xinfo")),
    }
    let now = ctx.engine.now_ms();
    let s = key_stream(ctx)?;
    let keys: Vec<[u8; 16]> = s.nodes().map(|(k, _)| k.to_be_bytes()).collect();
    let mut fields = vec![
        pair("length", Reply::int(s.len() as i64)),
        pair("radix-tree-keys", Reply::int(keys.len() as i64)),
        pair("radix-tree-nodes", Reply::int(rax_nodes(&keys) as i64)),
        pair("last-generated-id", id_reply(s.last_id)),
        pair("max-deleted-entry-id", id_reply(s.max_deleted_id)),
        pair("entries-added", Reply::int(s.entries_added as i64)),
        pair("recorded-first-entry-id", id_reply(s.first_id)),
    ];
    if !full {
        fields.push(pair("groups", Reply::int(s.groups.len() as i64)));
        let edge = |rev: bool| {
            let e = s.range(StreamId::ZERO, StreamId::MAX, 1, rev);
            e.into_iter().next().map_or(Reply::Nil, entry_reply)
        };
        fields.push(pair("first-entry", edge(false)));
        fields.push(pair("last-entry", edge(true)));
        return Ok(Reply::Map(fields));
    }
    let limit = count as usize;
    fields.push(pair(
        "entries",
        entries_reply(s.range(StreamId::ZERO, StreamId::MAX, limit, false)),
    ));
    let take = |n: usize| if limit == 0 { n } else { n.min(limit) };
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| {
            let pending = g
                .pel
                .iter()
                .take(take(g.pel.len()))
                .map(|(id, n)| {
                    Reply::Array(vec![
                        id_reply(*id),
                        Reply::Bulk(n.consumer.clone()),
                        Reply::int(n.delivery_time),
                        Reply::int(n.delivery_count as i64),
                    ])
                })
                .collect();
            let consumers = g
                .consumers
                .iter()
                .map(|(cname, c)| {
                    let pending = c
                        .pel
                        .iter()
                        .take(take(c.pel.len()))
                        .filter_map(|id| {
                            let n = g.pel.get(id)?;
                            Some(Reply::Array(vec![
                                id_reply(*id),
                                Reply::int(n.delivery_time),
                                Reply::int(n.delivery_count as i64),
                            ]))
                        })
                        .collect();
                    Reply::Map(vec![
                        pair("name", Reply::Bulk(cname.clone())),
                        pair("seen-time", Reply::int(c.seen_time)),
                        pair("pel-count", Reply::int(c.pel.len() as i64)),
                        pair("pending", Reply::Array(pending)),
                    ])
                })
                .collect();
            Reply::Map(vec![
                pair("name", Reply::Bulk(name.clone())),
                pair("last-delivered-id", id_reply(g.last_id)),
                pair("entries-read", entries_read_reply(g.entries_read)),
                pair("lag", lag_reply(s, g)),
                pair("pel-count", Reply::int(g.pel.len() as i64)),
                pair("pending", Reply::Array(pending)),
                pair("consumers", Reply::Array(consumers)),
            ])
        })
        .collect();
    fields.push(pair("groups", Reply::Array(groups)));
    let _ = now;
    Ok(Reply::Map(fields))
}

fn xinfo_groups(ctx: &mut Ctx<'_>) -> CmdResult {
    let s = key_stream(ctx)?;
    Ok(Reply::Array(
        s.groups
            .iter()
            .map(|(name, g)| {
                Reply::Map(vec![
                    pair("name", Reply::Bulk(name.clone())),
                    pair("consumers", Reply::int(g.consumers.len() as i64)),
                    pair("pending", Reply::int(g.pel.len() as i64)),
                    pair("last-delivered-id", id_reply(g.last_id)),
                    pair("entries-read", entries_read_reply(g.entries_read)),
                    pair("lag", lag_reply(s, g)),
                ])
            })
            .collect(),
    ))
}

fn xinfo_consumers(ctx: &mut Ctx<'_>) -> CmdResult {
    let key: Bytes = ctx.arg(2).clone();
    let gname = ctx.arg(3).clone();
    let now = ctx.engine.now_ms();
    let s = key_stream(ctx)?;
    let Some(g) = s.groups.get(&gname) else {
        return Err(no_such_group(&key, &gname));
    };
    Ok(Reply::Array(
        g.consumers
            .iter()
            .map(|(name, c)| {
                Reply::Map(vec![
                    pair("name", Reply::Bulk(name.clone())),
                    pair("pending", Reply::int(c.pel.len() as i64)),
                    pair("idle", Reply::int((now - c.seen_time).max(0))),
                ])
            })
            .collect(),
    ))
}
