//! Out-of-band delivery: the per-client outbox every frame outside the
//! request/reply flow goes through, the pub/sub subscription tables, the
//! fan-out of a published message, and keyspace notifications.
//!
//! The pub/sub commands that drive this (SUBSCRIBE, PUBLISH, PUBSUB, ...)
//! are in `commands/pubsub.rs`; blocked clients get their late reply
//! through [`send_to`] too (`blocking.rs`). Anything a client receives
//! without having asked for it in its current command goes through here.
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

use super::keyspace::events;
use super::{Client, Engine};
use crate::glob::glob_match;
use crate::protocol::Reply;

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
    pub channels: HashMap<Bytes, Vec<u64>>,
    /// Pattern → subscribers, patterns in the order first subscribed.
    pub patterns: Vec<(Bytes, Vec<u64>)>,
    /// Shard channel → subscribers.
    pub shard: HashMap<Bytes, Vec<u64>>,
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

/// Which family of subscription: channels (SUBSCRIBE), patterns
/// (PSUBSCRIBE) or shard channels (SSUBSCRIBE).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubKind {
    Channel,
    Pattern,
    Shard,
}

impl SubKind {
    /// The client's subscriptions of this family.
    pub(crate) fn client_list(self, subs: &mut Subscriptions) -> &mut Vec<Bytes> {
        match self {
            SubKind::Channel => &mut subs.channels,
            SubKind::Pattern => &mut subs.patterns,
            SubKind::Shard => &mut subs.shard,
        }
    }

    /// The count a confirmation reports (Redis counts shard channels apart).
    pub(crate) fn count(self, subs: &Subscriptions) -> usize {
        match self {
            SubKind::Shard => subs.shard.len(),
            _ => subs.count(),
        }
    }
}

/// Registers the outbox of client `id` (its connection task holds the
/// receiving end).
pub(crate) fn set_outbox(engine: &mut Engine, id: u64, outbox: Outbox) {
    if let Some(c) = engine.clients.get_mut(&id) {
        c.outbox = Some(outbox);
    }
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
        if !glob_match(pattern, channel) {
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

/// Subscribes `client` to `name` (a channel, pattern or shard channel as
/// `kind` says); true when it was not subscribed to it yet.
pub(crate) fn add(engine: &mut Engine, client: &mut Client, kind: SubKind, name: &Bytes) -> bool {
    let list = kind.client_list(&mut client.subs);
    if list.contains(name) {
        return false;
    }
    list.push(name.clone());
    let id = client.id;
    match kind {
        SubKind::Channel => engine
            .pubsub
            .channels
            .entry(name.clone())
            .or_default()
            .push(id),
        SubKind::Shard => engine
            .pubsub
            .shard
            .entry(name.clone())
            .or_default()
            .push(id),
        SubKind::Pattern => match engine.pubsub.patterns.iter_mut().find(|(p, _)| p == name) {
            Some((_, ids)) => ids.push(id),
            None => engine.pubsub.patterns.push((name.clone(), vec![id])),
        },
    }
    true
}

/// Removes `name` from the client's `kind` subscriptions; true when it was there.
pub(crate) fn remove(engine: &mut Engine, client: &mut Client, kind: SubKind, name: &[u8]) -> bool {
    let list = kind.client_list(&mut client.subs);
    let Some(pos) = list.iter().position(|c| c == name) else {
        return false;
    };
    list.remove(pos);
    let id = client.id;
    let drop_id = |ids: &mut Vec<u64>| ids.retain(|&i| i != id);
    match kind {
        SubKind::Channel | SubKind::Shard => {
            let table = if kind == SubKind::Channel {
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
        SubKind::Pattern => {
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
    for kind in [SubKind::Channel, SubKind::Pattern, SubKind::Shard] {
        let names = kind.client_list(&mut client.subs).clone();
        for name in names {
            remove(engine, client, kind, &name);
        }
    }
}
