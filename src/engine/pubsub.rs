//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, the delivery of keyspace
//! notifications, and the per-client outbox every out-of-band frame goes
//! through.
//!
//! # Delivery
//!
//! Each connection registers an unbounded channel (its [`Outbox`]). A
//! message for a client is encoded at once in that client's protocol (a
//! RESP3 push frame `>`, or an array `*` in RESP2) and sent there; the
//! connection task writes it. The engine lock is held while sending, so
//! frames reach every outbox in the order the engine produced them. A
//! connection drains its outbox before writing the reply of its own next
//! command, so a message a command caused for its own client (a keyspace
//! event, a PUBLISH to a channel it listens to in RESP3) comes before that
//! command's reply, as in Redis.
//!
//! The client running a command is out of `Engine::clients` meanwhile;
//! functions that may deliver to it take it as `current`.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc::UnboundedSender;

use super::command::{CommandSpec, acl, flags::*};
use super::keyspace::events;
use super::{Client, Ctx, Engine};
use crate::glob::glob_match;
use crate::protocol::{Protocol, Reply};

/// A frame sent to a connection outside its request/reply flow.
#[derive(Debug)]
pub(crate) struct OutOfBand {
    /// The frame, already encoded in the client's protocol.
    pub bytes: Bytes,
    /// This is the reply of the blocking command the client waits on.
    pub unblocks: bool,
}

/// A connection's out-of-band channel.
pub(crate) type Outbox = UnboundedSender<OutOfBand>;

/// The subscriptions of one client, in subscription order.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    pub channels: Vec<Bytes>,
    pub patterns: Vec<Bytes>,
    pub shard: Vec<Bytes>,
}

impl Subscriptions {
    /// Channels and patterns (what SUBSCRIBE and PSUBSCRIBE confirmations count).
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Every subscription, shard channels included (subscribed mode).
    pub fn total(&self) -> usize {
        self.count() + self.shard.len()
    }
}

/// Server-wide subscription tables and the log of published messages.
#[derive(Debug, Default)]
pub(crate) struct PubSub {
    /// Channel → subscribers, in subscription order.
    channels: HashMap<Bytes, Vec<u64>>,
    /// Pattern → subscribers, patterns in the order first subscribed.
    patterns: Vec<(Bytes, Vec<u64>)>,
    /// Shard channel → subscribers.
    shard: HashMap<Bytes, Vec<u64>>,
    /// What clients sent with PUBLISH and SPUBLISH: (channel, message).
    pub published: Vec<(Bytes, Bytes)>,
}

impl PubSub {
    /// Channels with at least one subscriber.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Patterns with at least one subscriber.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Shard channels with at least one subscriber.
    pub fn shard_channel_count(&self) -> usize {
        self.shard.len()
    }
}

/// Which family of subscription a command deals with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }

    fn client_list(self, subs: &mut Subscriptions) -> &mut Vec<Bytes> {
        match self {
            Kind::Channel => &mut subs.channels,
            Kind::Pattern => &mut subs.patterns,
            Kind::Shard => &mut subs.shard,
        }
    }

    /// The count a confirmation reports (Redis counts shard channels apart).
    fn count(self, subs: &Subscriptions) -> usize {
        match self {
            Kind::Shard => subs.shard.len(),
            _ => subs.count(),
        }
    }
}

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

/// Registers the outbox of client `id` (its connection task holds the
/// receiving end).
pub(crate) fn set_outbox(engine: &mut Engine, id: u64, outbox: Outbox) {
    if let Some(c) = engine.clients.get_mut(&id) {
        c.outbox = Some(outbox);
    }
}

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

/// Encodes and sends one frame to client `id` (`current` when it is the
/// client running the command). Returns whether the client exists.
pub(crate) fn send_to(
    engine: &Engine,
    current: Option<&Client>,
    id: u64,
    frame: &Reply,
    unblocks: bool,
) -> bool {
    let client = match current {
        Some(c) if c.id == id => Some(c),
        _ => engine.clients.get(&id),
    };
    let Some(client) = client else {
        return false;
    };
    if let Some(outbox) = &client.outbox {
        let mut out = BytesMut::new();
        frame.encode(client.protocol, &mut out);
        let _ = outbox.send(OutOfBand {
            bytes: out.freeze(),
            unblocks,
        });
    }
    true
}

/// Publishes `message` on `channel` to channel and pattern subscribers (or
/// to shard-channel subscribers when `shard`), as Redis's
/// `pubsubPublishMessage`: channel subscribers in subscription order, then
/// every matching pattern's subscribers. Returns the number of deliveries.
pub(crate) fn publish(
    engine: &mut Engine,
    current: Option<&Client>,
    channel: &[u8],
    message: &Bytes,
    shard: bool,
) -> usize {
    // Keyspace events queued earlier in this command go out first.
    publish_events(engine, current);
    deliver(engine, current, channel, message, shard)
}

fn deliver(
    engine: &Engine,
    current: Option<&Client>,
    channel: &[u8],
    message: &Bytes,
    shard: bool,
) -> usize {
    let channel_b = Bytes::copy_from_slice(channel);
    let mut receivers = 0;
    let table = if shard {
        &engine.pubsub.shard
    } else {
        &engine.pubsub.channels
    };
    if let Some(ids) = table.get(channel) {
        let word = if shard { "smessage" } else { "message" };
        let frame = Reply::Push(vec![
            Reply::bulk(word),
            Reply::Bulk(channel_b.clone()),
            Reply::Bulk(message.clone()),
        ]);
        for &id in ids {
            send_to(engine, current, id, &frame, false);
            receivers += 1;
        }
    }
    if shard {
        return receivers;
    }
    for (pattern, ids) in &engine.pubsub.patterns {
        if !pattern_matches(pattern, channel) {
            continue;
        }
        let frame = Reply::Push(vec![
            Reply::bulk("pmessage"),
            Reply::Bulk(pattern.clone()),
            Reply::Bulk(channel_b.clone()),
            Reply::Bulk(message.clone()),
        ]);
        for &id in ids {
            send_to(engine, current, id, &frame, false);
            receivers += 1;
        }
    }
    receivers
}

/// Redis's `stringmatchlen`, case-sensitive.
fn pattern_matches(pattern: &[u8], channel: &[u8]) -> bool {
    glob_match(pattern, channel)
}

/// Publishes every keyspace event the databases queued, as Redis's
/// `notifyKeyspaceEvent`: `__keyspace@<db>__:<key>` with the event name
/// (flag `K`), then `__keyevent@<db>__:<event>` with the key (flag `E`).
pub(crate) fn publish_events(engine: &mut Engine, current: Option<&Client>) {
    let mut queued = Vec::new();
    for db in &mut engine.dbs {
        let events = db.take_events();
        if !events.is_empty() {
            queued.push((db.id, events));
        }
    }
    if queued.is_empty() {
        return;
    }
    let flags = engine.notify_flags;
    for (db, events) in queued {
        for e in events {
            #[cfg(test)]
            engine.event_log.push((db, e.clone()));
            if flags & e.class == 0 {
                continue;
            }
            if flags & events::KEYSPACE != 0 {
                let mut channel = format!("__keyspace@{db}__:").into_bytes();
                channel.extend_from_slice(&e.key);
                deliver(
                    engine,
                    current,
                    &channel,
                    &Bytes::from_static(e.event.as_bytes()),
                    false,
                );
            }
            if flags & events::KEYEVENT != 0 {
                let channel = format!("__keyevent@{db}__:{}", e.event);
                deliver(engine, current, channel.as_bytes(), &e.key, false);
            }
        }
    }
}

/// Adds `name` to the server table of `kind`; true when the client was not
/// subscribed to it yet.
fn add(engine: &mut Engine, client: &mut Client, kind: Kind, name: &Bytes) -> bool {
    let list = kind.client_list(&mut client.subs);
    if list.contains(name) {
        return false;
    }
    list.push(name.clone());
    let id = client.id;
    match kind {
        Kind::Channel => engine
            .pubsub
            .channels
            .entry(name.clone())
            .or_default()
            .push(id),
        Kind::Shard => engine
            .pubsub
            .shard
            .entry(name.clone())
            .or_default()
            .push(id),
        Kind::Pattern => match engine.pubsub.patterns.iter_mut().find(|(p, _)| p == name) {
            Some((_, ids)) => ids.push(id),
            None => engine.pubsub.patterns.push((name.clone(), vec![id])),
        },
    }
    true
}

/// Removes `name` from the client's `kind` subscriptions; true when it was there.
fn remove(engine: &mut Engine, client: &mut Client, kind: Kind, name: &[u8]) -> bool {
    let list = kind.client_list(&mut client.subs);
    let Some(pos) = list.iter().position(|c| c == name) else {
        return false;
    };
    list.remove(pos);
    let id = client.id;
    let drop_id = |ids: &mut Vec<u64>| ids.retain(|&i| i != id);
    match kind {
        Kind::Channel | Kind::Shard => {
            let table = if kind == Kind::Channel {
                &mut engine.pubsub.channels
            } else {
                &mut engine.pubsub.shard
            };
            if let Some(ids) = table.get_mut(name) {
                drop_id(ids);
                if ids.is_empty() {
                    table.remove(name);
                }
            }
        }
        Kind::Pattern => {
            if let Some(i) = engine.pubsub.patterns.iter().position(|(p, _)| p == name) {
                drop_id(&mut engine.pubsub.patterns[i].1);
                if engine.pubsub.patterns[i].1.is_empty() {
                    engine.pubsub.patterns.remove(i);
                }
            }
        }
    }
    true
}

/// Drops every subscription of a client without confirmations (RESET,
/// disconnect).
pub(crate) fn unsubscribe_all(engine: &mut Engine, client: &mut Client) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        let names = kind.client_list(&mut client.subs).clone();
        for name in names {
            remove(engine, client, kind, &name);
        }
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

fn subscribe_generic(ctx: &mut Ctx<'_>, kind: Kind) -> Reply {
    let mut out = Vec::with_capacity(ctx.args.len() - 1);
    for name in &ctx.args[1..] {
        add(ctx.engine, ctx.client, kind, name);
        out.push(confirmation(
            kind.subscribe_word(),
            Some(name.clone()),
            kind.count(&ctx.client.subs),
        ));
    }
    frames(ctx, out)
}

fn unsubscribe_generic(ctx: &mut Ctx<'_>, kind: Kind) -> Reply {
    let names: Vec<Bytes> = if ctx.args.len() > 1 {
        ctx.args[1..].to_vec()
    } else {
        kind.client_list(&mut ctx.client.subs).clone()
    };
    if names.is_empty() {
        // Nothing to unsubscribe from: one confirmation with a null name.
        return confirmation(kind.unsubscribe_word(), None, kind.count(&ctx.client.subs));
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        remove(ctx.engine, ctx.client, kind, &name);
        out.push(confirmation(
            kind.unsubscribe_word(),
            Some(name),
            kind.count(&ctx.client.subs),
        ));
    }
    frames(ctx, out)
}

fn subscribe(ctx: &mut Ctx<'_>) -> Reply {
    subscribe_generic(ctx, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx<'_>) -> Reply {
    subscribe_generic(ctx, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx<'_>) -> Reply {
    subscribe_generic(ctx, Kind::Shard)
}

fn unsubscribe(ctx: &mut Ctx<'_>) -> Reply {
    unsubscribe_generic(ctx, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx<'_>) -> Reply {
    unsubscribe_generic(ctx, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx<'_>) -> Reply {
    unsubscribe_generic(ctx, Kind::Shard)
}

fn publish_generic(ctx: &mut Ctx<'_>, shard: bool) -> Reply {
    let channel = ctx.arg(1).clone();
    let message = ctx.arg(2).clone();
    ctx.engine
        .pubsub
        .published
        .push((channel.clone(), message.clone()));
    let n = publish(ctx.engine, Some(ctx.client), &channel, &message, shard);
    Reply::int(n as i64)
}

fn publish_command(ctx: &mut Ctx<'_>) -> Reply {
    publish_generic(ctx, false)
}

fn spublish_command(ctx: &mut Ctx<'_>) -> Reply {
    publish_generic(ctx, true)
}

fn channels_reply(names: Vec<&Bytes>, pattern: Option<&Bytes>) -> Reply {
    Reply::Array(
        names
            .into_iter()
            .filter(|c| pattern.is_none_or(|p| pattern_matches(p, c)))
            .map(|c| Reply::Bulk(c.clone()))
            .collect(),
    )
}

fn pubsub_channels(ctx: &mut Ctx<'_>) -> Reply {
    if ctx.args.len() > 3 {
        return wrong_subcommand_arity(ctx.arg(1));
    }
    channels_reply(ctx.engine.pubsub.channels.keys().collect(), ctx.args.get(2))
}

fn pubsub_shardchannels(ctx: &mut Ctx<'_>) -> Reply {
    if ctx.args.len() > 3 {
        return wrong_subcommand_arity(ctx.arg(1));
    }
    channels_reply(ctx.engine.pubsub.shard.keys().collect(), ctx.args.get(2))
}

/// Redis's `PUBSUB CHANNELS a b` error (it checks `argc` itself and
/// quotes the subcommand as typed).
fn wrong_subcommand_arity(sub: &[u8]) -> Reply {
    let mut text = b"ERR unknown subcommand or wrong number of arguments for '".to_vec();
    text.extend_from_slice(sub);
    text.extend_from_slice(b"'. Try PUBSUB HELP.");
    super::one_line_error(text)
}

fn numsub_reply(table: &HashMap<Bytes, Vec<u64>>, names: &[Bytes]) -> Reply {
    let mut out = Vec::with_capacity(names.len() * 2);
    for name in names {
        out.push(Reply::Bulk(name.clone()));
        out.push(Reply::int(table.get(name).map_or(0, Vec::len) as i64));
    }
    Reply::Array(out)
}

fn pubsub_numsub(ctx: &mut Ctx<'_>) -> Reply {
    numsub_reply(&ctx.engine.pubsub.channels, &ctx.args[2..])
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_>) -> Reply {
    numsub_reply(&ctx.engine.pubsub.shard, &ctx.args[2..])
}

fn pubsub_numpat(ctx: &mut Ctx<'_>) -> Reply {
    Reply::int(ctx.engine.pubsub.patterns.len() as i64)
}

fn pubsub_help(_ctx: &mut Ctx<'_>) -> Reply {
    super::connection::help_reply(
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
    )
}
