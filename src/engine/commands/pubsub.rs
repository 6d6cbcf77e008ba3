//! Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, and the rules of
//! RESP2's subscribed mode.
//!
//! The subscription tables, the fan-out of a message and keyspace
//! notifications are in `engine/delivery.rs`; these handlers confirm and
//! report.

use std::collections::HashMap;

use bytes::Bytes;

use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::delivery::{self, SubKind};
use crate::engine::util::errors::subcommand_syntax_error;
use crate::engine::util::help::help_reply;
use crate::engine::{Client, Ctx};
use crate::glob::glob_match;
use crate::protocol::{Protocol, Reply};

const PS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("subscribe", -2, subscribe)
        .flags(PS)
        .doc(
            "pubsub",
            "2.0.0",
            "O(N) where N is the number of channels to subscribe to.",
            "Listen for messages published to the given channels",
        ),
    CommandSpec::new("unsubscribe", -1, unsubscribe)
        .flags(PS)
        .doc(
            "pubsub",
            "2.0.0",
            "O(N) where N is the number of clients already subscribed to a channel.",
            "Stop listening for messages posted to the given channels",
        ),
    CommandSpec::new("psubscribe", -2, psubscribe)
        .flags(PS)
        .doc(
            "pubsub",
            "2.0.0",
            "O(N) where N is the number of patterns the client is already subscribed to.",
            "Listen for messages published to channels matching the given patterns",
        ),
    CommandSpec::new("punsubscribe", -1, punsubscribe)
        .flags(PS)
        .doc(
            "pubsub",
            "2.0.0",
            "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
            "Stop listening for messages posted to channels matching the given patterns",
        ),
    CommandSpec::new("ssubscribe", -2, ssubscribe)
        .flags(PS)
        .keys(1, -1, 1, &["not_key"])
        .doc(
            "pubsub",
            "7.0.0",
            "O(N) where N is the number of shard channels to subscribe to.",
            "Listen for messages published to the given shard channels",
        ),
    CommandSpec::new("sunsubscribe", -1, sunsubscribe)
        .flags(PS)
        .keys(1, -1, 1, &["not_key"])
        .doc(
            "pubsub",
            "7.0.0",
            "O(N) where N is the number of clients already subscribed to a shard channel.",
            "Stop listening for messages posted to the given shard channels",
        ),
    CommandSpec::new("publish", 3, publish_command)
        .flags(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE)
        .doc(
            "pubsub",
            "2.0.0",
            "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
            "Post a message to a channel",
        ),
    CommandSpec::new("spublish", 3, spublish_command)
        .flags(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE)
        .keys(1, 1, 1, &["not_key"])
        .doc(
            "pubsub",
            "7.0.0",
            "O(N) where N is the number of clients subscribed to the receiving shard channel.",
            "Post a message to a shard channel",
        ),
    CommandSpec::container("pubsub", PUBSUB_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc(
            "pubsub",
            "2.8.0",
            "Depends on subcommand.",
            "A container for Pub/Sub commands",
        ),
];

const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("channels", -2, pubsub_channels)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
            "2.8.0",
            "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
            "List active channels",
        ),
    CommandSpec::new("help", 2, pubsub_help)
        .flags(LOADING | STALE)
        .doc(
            "pubsub",
            "6.2.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    CommandSpec::new("numpat", 2, pubsub_numpat)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
            "2.8.0",
            "O(1)",
            "Get the count of unique patterns pattern subscriptions",
        ),
    CommandSpec::new("numsub", -2, pubsub_numsub)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
            "2.8.0",
            "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
            "Get the count of subscribers for channels",
        ),
    CommandSpec::new("shardchannels", -2, pubsub_shardchannels)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
            "7.0.0",
            "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
            "List active shard channels",
        ),
    CommandSpec::new("shardnumsub", -2, pubsub_shardnumsub)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
            "7.0.0",
            "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
            "Get the count of subscribers for shard channels",
        ),
];

/// Commands a RESP2 client may send while it has subscriptions.
pub(crate) fn allowed_in_subscribed_mode(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// PING's reply in RESP2 subscribed mode: `["pong", message or ""]`.
/// `None` when the ordinary reply applies.
pub(crate) fn subscribed_ping(client: &Client, args: &[Bytes]) -> Option<Reply> {
    if client.protocol != Protocol::Resp2 || client.subs.total() == 0 || args.len() > 2 {
        return None;
    }
    let message = args.get(1).cloned().unwrap_or_default();
    Some(Reply::Array(vec![
        Reply::bulk("pong"),
        Reply::Bulk(message),
    ]))
}

/// The word a subscription confirmation starts with.
fn subscribe_word(kind: SubKind) -> &'static str {
    match kind {
        SubKind::Channel => "subscribe",
        SubKind::Pattern => "psubscribe",
        SubKind::Shard => "ssubscribe",
    }
}

/// The word an unsubscription confirmation starts with.
fn unsubscribe_word(kind: SubKind) -> &'static str {
    match kind {
        SubKind::Channel => "unsubscribe",
        SubKind::Pattern => "punsubscribe",
        SubKind::Shard => "sunsubscribe",
    }
}

/// Answers several frames: all but the last go before the command's reply.
fn frames(ctx: &mut Ctx<'_>, mut out: Vec<Reply>) -> Reply {
    let last = out.pop().unwrap_or(Reply::Nil);
    ctx.client.extra.extend(out);
    last
}

fn confirmation(word: &'static str, name: Option<Bytes>, count: usize) -> Reply {
    Reply::Push(vec![
        Reply::bulk(word),
        name.map_or(Reply::Nil, Reply::Bulk),
        Reply::int(count as i64),
    ])
}

fn subscribe_generic(ctx: &mut Ctx<'_>, kind: SubKind) -> Reply {
    let mut out = Vec::with_capacity(ctx.args.len() - 1);
    for name in &ctx.args[1..] {
        delivery::add(ctx.engine, ctx.client, kind, name);
        out.push(confirmation(
            subscribe_word(kind),
            Some(name.clone()),
            kind.count(&ctx.client.subs),
        ));
    }
    frames(ctx, out)
}

fn unsubscribe_generic(ctx: &mut Ctx<'_>, kind: SubKind) -> Reply {
    let names: Vec<Bytes> = if ctx.args.len() > 1 {
        ctx.args[1..].to_vec()
    } else {
        kind.client_list(&mut ctx.client.subs).clone()
    };
    if names.is_empty() {
        // Nothing to unsubscribe from: one confirmation with a null name.
        return confirmation(unsubscribe_word(kind), None, kind.count(&ctx.client.subs));
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        delivery::remove(ctx.engine, ctx.client, kind, &name);
        out.push(confirmation(
            unsubscribe_word(kind),
            Some(name),
            kind.count(&ctx.client.subs),
        ));
    }
    frames(ctx, out)
}

fn subscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(subscribe_generic(ctx, SubKind::Channel))
}

fn psubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(subscribe_generic(ctx, SubKind::Pattern))
}

fn ssubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(subscribe_generic(ctx, SubKind::Shard))
}

fn unsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(unsubscribe_generic(ctx, SubKind::Channel))
}

fn punsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(unsubscribe_generic(ctx, SubKind::Pattern))
}

fn sunsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(unsubscribe_generic(ctx, SubKind::Shard))
}

fn publish_generic(ctx: &mut Ctx<'_>, shard: bool) -> Reply {
    let channel = ctx.arg(1);
    let message = ctx.arg(2);
    ctx.engine
        .pubsub
        .published
        .push((channel.clone(), message.clone()));
    let n = delivery::publish(ctx.engine, Some(ctx.client), channel, message, shard);
    // In a cluster, PUBLISH reaches every node's subscribers (SPUBLISH
    // stays in its shard).
    if let Some(view) = ctx.engine.cluster.as_ref().filter(|_| !shard) {
        view.broadcast
            .publish(view.me, channel.clone(), message.clone());
    }
    Reply::int(n as i64)
}

fn publish_command(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(publish_generic(ctx, false))
}

fn spublish_command(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(publish_generic(ctx, true))
}

fn channels_reply(names: Vec<&Bytes>, pattern: Option<&Bytes>) -> Reply {
    Reply::Array(
        names
            .into_iter()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c)))
            .map(|c| Reply::Bulk(c.clone()))
            .collect(),
    )
}

fn pubsub_channels(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(subcommand_syntax_error(ctx.arg(1), "pubsub"));
    }
    Ok(channels_reply(
        ctx.engine.pubsub.channels.keys().collect(),
        ctx.args.get(2),
    ))
}

fn pubsub_shardchannels(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(subcommand_syntax_error(ctx.arg(1), "pubsub"));
    }
    Ok(channels_reply(
        ctx.engine.pubsub.shard.keys().collect(),
        ctx.args.get(2),
    ))
}

fn numsub_reply(table: &HashMap<Bytes, Vec<u64>>, names: &[Bytes]) -> Reply {
    let mut out = Vec::with_capacity(names.len() * 2);
    for name in names {
        out.push(Reply::Bulk(name.clone()));
        out.push(Reply::int(table.get(name).map_or(0, Vec::len) as i64));
    }
    Reply::Array(out)
}

fn pubsub_numsub(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(numsub_reply(&ctx.engine.pubsub.channels, &ctx.args[2..]))
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(numsub_reply(&ctx.engine.pubsub.shard, &ctx.args[2..]))
}

fn pubsub_numpat(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(ctx.engine.pubsub.patterns.len() as i64))
}

fn pubsub_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    ))
}
