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
//! # Output buffer limits
//!
//! Every byte queued for a connection and not yet written (its frames in
//! the outbox and the session's unsent replies) is counted in its
//! [`Backlog`], shared by the engine (which adds what it sends) and the
//! session (which adds its own replies and subtracts what the socket
//! wrote). Each time bytes are queued the total is checked against the
//! client's `client-output-buffer-limit` class ([`Backlog::exceeds`], as
//! Redis's `checkClientOutputBufferLimits`); a client over its limit gets
//! no more frames and is closed: [`send_to`] queues a frame with
//! [`OutOfBand::close`] set, and the connection drops without writing
//! what is left.
//!
//! # The published log
//!
//! [`PublishedLog`] keeps what clients published for the test side
//! (`MockRedis::published`): the newest messages only, within a bound
//! (see its docs).
//!
//! The client running a command is out of `Engine::clients` meanwhile;
//! functions that may deliver to it take it as `current`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc::UnboundedSender;

use super::keyspace::events;
use super::{Client, Engine};
use crate::glob::glob_match;
use crate::protocol::Reply;

/// The mock's own cap on a client's unsent output when its class has no
/// limit (`client-output-buffer-limit normal 0 0 0`, Redis's default, which
/// lets a client that never reads grow without bound): 64 MiB, checked as
/// bytes are queued; a reply queued while nothing else was pending may
/// exceed it alone. Set a `normal` limit to replace it.
pub(crate) const SAFETY_OUTPUT_CAP: u64 = 64 * 1024 * 1024;

/// One `client-output-buffer-limit` class: hard and soft limits in bytes
/// (0: none) and how long the soft limit may be exceeded, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: i64,
}

/// A frame sent to a connection outside its request/reply flow.
#[derive(Debug)]
pub(crate) struct OutOfBand {
    /// The frame, already encoded in the client's protocol.
    pub bytes: Bytes,
    /// This is the reply of the blocking command the client waits on.
    pub unblocks: bool,
    /// The client went over its output buffer limit: close the connection
    /// at once, without writing what is pending (`bytes` is empty).
    pub close: bool,
    /// The frame's number on its outbox ([`Backlog::next_frame`]), which the
    /// receiving connection acknowledges once it tried to write the frame;
    /// 0 for frames nobody waits on.
    pub seq: u64,
}

/// A connection's out-of-band channel and the count of its unsent bytes.
#[derive(Debug)]
pub(crate) struct Outbox {
    pub sender: UnboundedSender<OutOfBand>,
    pub backlog: Arc<Backlog>,
}

/// The bytes queued for one connection and not written yet (its outbox's
/// frames and its session's unsent replies), and the state of its output
/// buffer limit. Shared by the engine and the connection's session.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    bytes: AtomicUsize,
    /// Engine-clock ms when the soft limit was first seen exceeded in the
    /// current streak; `i64::MIN` when under it.
    soft_since: AtomicI64,
    /// Over the limit: frames are dropped, the connection closes.
    over: AtomicBool,
    /// Bytes the connection wrote to its socket so far, and the
    /// engine-clock ms of the last frame queued (the idle check counts
    /// writes as interaction).
    written: AtomicU64,
    last_frame_ms: AtomicI64,
    /// The connection's query buffer (length and capacity) and reply
    /// buffer (capacity and peak length), as its session last reported
    /// them (`CLIENT LIST` `qbuf`, `qbuf-free`, `rbs`, `rbp`).
    query_len: AtomicUsize,
    query_cap: AtomicUsize,
    reply_cap: AtomicUsize,
    reply_peak: AtomicUsize,
    /// The last frame number given out, and the last one the connection
    /// acknowledged (`u64::MAX` once it is gone), with the signal of each
    /// acknowledgement: see [`AwaitedFrames`].
    frames_sent: AtomicU64,
    frames_taken: AtomicU64,
    taken_signal: tokio::sync::Notify,
}

/// A connection's buffers as its session reported them (see
/// [`Backlog::report_buffers`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Buffers {
    pub query_len: usize,
    pub query_cap: usize,
    pub reply_cap: usize,
    pub reply_peak: usize,
    /// Bytes queued and not written yet (replies and frames).
    pub pending: usize,
}

impl Backlog {
    /// An empty backlog.
    pub fn new() -> Backlog {
        Backlog {
            bytes: AtomicUsize::new(0),
            soft_since: AtomicI64::new(i64::MIN),
            over: AtomicBool::new(false),
            written: AtomicU64::new(0),
            last_frame_ms: AtomicI64::new(i64::MIN),
            query_len: AtomicUsize::new(0),
            query_cap: AtomicUsize::new(0),
            reply_cap: AtomicUsize::new(0),
            reply_peak: AtomicUsize::new(0),
            frames_sent: AtomicU64::new(0),
            frames_taken: AtomicU64::new(0),
            taken_signal: tokio::sync::Notify::new(),
        }
    }

    /// Numbers a frame about to be queued on this connection's outbox.
    pub fn next_frame(&self) -> u64 {
        self.frames_sent.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The connection tried to write every frame up to `seq` (or, with
    /// `u64::MAX`, is gone): wakes the connections waiting on it.
    pub fn frames_taken(&self, seq: u64) {
        if seq > self.frames_taken.fetch_max(seq, Ordering::AcqRel) {
            self.taken_signal.notify_waiters();
        }
    }

    /// Whether frame `seq` was acknowledged.
    pub fn is_taken(&self, seq: u64) -> bool {
        self.frames_taken.load(Ordering::Acquire) >= seq
    }

    /// Resolves at the next acknowledgement (register it, then check
    /// [`is_taken`](Backlog::is_taken), then await).
    pub fn taken_signal(&self) -> &tokio::sync::Notify {
        &self.taken_signal
    }

    /// Counts `n` bytes written to the socket.
    pub fn wrote(&self, n: usize) {
        self.sub(n);
        self.written.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Bytes written to the socket so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Engine-clock ms of the last out-of-band frame queued (`i64::MIN`: none).
    pub fn last_frame_ms(&self) -> i64 {
        self.last_frame_ms.load(Ordering::Relaxed)
    }

    /// Records the session's buffer sizes (query buffer length and
    /// capacity, reply buffer capacity and length).
    pub fn report_buffers(
        &self,
        query_len: usize,
        query_cap: usize,
        reply_cap: usize,
        reply_len: usize,
    ) {
        self.query_len.store(query_len, Ordering::Relaxed);
        self.query_cap.store(query_cap, Ordering::Relaxed);
        self.reply_cap.store(reply_cap, Ordering::Relaxed);
        self.reply_peak.fetch_max(reply_len, Ordering::Relaxed);
    }

    /// The buffer sizes last reported, and the bytes pending.
    pub fn buffers(&self) -> Buffers {
        Buffers {
            query_len: self.query_len.load(Ordering::Relaxed),
            query_cap: self.query_cap.load(Ordering::Relaxed),
            reply_cap: self.reply_cap.load(Ordering::Relaxed),
            reply_peak: self.reply_peak.load(Ordering::Relaxed),
            pending: self.bytes.load(Ordering::Relaxed),
        }
    }

    /// Counts `n` more queued bytes; returns the new total.
    pub fn add(&self, n: usize) -> usize {
        self.bytes.fetch_add(n, Ordering::Relaxed) + n
    }

    /// Counts `n` bytes written (or dropped).
    pub fn sub(&self, n: usize) {
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_sub(n))
            });
    }

    /// Whether the client went over its limit or is being closed.
    pub fn is_over(&self) -> bool {
        self.over.load(Ordering::Relaxed)
    }

    /// Marks the client as being closed (no more frames); false if it
    /// already was.
    pub fn close(&self) -> bool {
        !self.over.swap(true, Ordering::Relaxed)
    }

    /// Whether `total` queued bytes (of which `before` were queued before
    /// the latest reply or frame) exceed `limit` at engine-clock `now_ms`,
    /// as Redis's `checkClientOutputBufferLimits`: the hard limit at once
    /// (`total >= hard`); the soft limit once it has been exceeded
    /// continuously for more than its seconds (the streak starts at the
    /// first check that finds it exceeded, and ends at the first that does
    /// not). A class without limits (`0 0 0`, Redis's `normal` default)
    /// gets the mock's safety cap ([`SAFETY_OUTPUT_CAP`]) instead, except
    /// for a reply queued while nothing else was (`before == 0`). Marks the
    /// backlog over when exceeded.
    pub fn exceeds(&self, limit: &OutputLimit, total: usize, before: usize, now_ms: i64) -> bool {
        let total = total as u64;
        let over = if limit.hard == 0 && limit.soft == 0 {
            before > 0 && total > SAFETY_OUTPUT_CAP
        } else {
            let hard = limit.hard != 0 && total >= limit.hard;
            let soft = limit.soft != 0 && total >= limit.soft;
            let soft = if soft {
                let since = self.soft_since.load(Ordering::Relaxed);
                if since == i64::MIN {
                    self.soft_since.store(now_ms, Ordering::Relaxed);
                    false
                } else {
                    now_ms.saturating_sub(since) > limit.soft_seconds.saturating_mul(1000)
                }
            } else {
                self.soft_since.store(i64::MIN, Ordering::Relaxed);
                false
            };
            hard || soft
        };
        if over {
            self.over.store(true, Ordering::Relaxed);
        }
        over
    }
}

/// The messages clients published (PUBLISH, SPUBLISH) for the test side:
/// the newest [`PublishedLog::DEFAULT_MESSAGES`] messages (or as many as
/// `Builder::published_log` says; 0 keeps none), and at most
/// [`PublishedLog::MAX_BYTES`] of channel names and payloads, the newest
/// message always kept. Older ones are dropped first.
#[derive(Debug)]
pub(crate) struct PublishedLog {
    messages: VecDeque<(Bytes, Bytes)>,
    bytes: usize,
    limit: usize,
}

impl Default for PublishedLog {
    fn default() -> PublishedLog {
        PublishedLog {
            messages: VecDeque::new(),
            bytes: 0,
            limit: PublishedLog::DEFAULT_MESSAGES,
        }
    }
}

impl PublishedLog {
    /// Messages kept unless the builder says otherwise.
    pub const DEFAULT_MESSAGES: usize = 10_000;
    /// Channel and payload bytes kept at most (the newest message always).
    pub const MAX_BYTES: usize = 64 * 1024 * 1024;

    /// Keeps at most `messages` messages (0: none), dropping the oldest.
    pub fn set_limit(&mut self, messages: usize) {
        self.limit = messages;
        self.trim();
    }

    /// Records a published message.
    pub fn push(&mut self, (channel, message): (Bytes, Bytes)) {
        if self.limit == 0 {
            return;
        }
        self.bytes += channel.len() + message.len();
        self.messages.push_back((channel, message));
        self.trim();
    }

    /// Forgets every message.
    pub fn clear(&mut self) {
        self.messages.clear();
        self.bytes = 0;
    }

    /// The messages kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &(Bytes, Bytes)> {
        self.messages.iter()
    }

    fn trim(&mut self) {
        while self.messages.len() > self.limit
            || (self.bytes > Self::MAX_BYTES && self.messages.len() > 1)
        {
            if let Some((c, m)) = self.messages.pop_front() {
                self.bytes -= c.len() + m.len();
            }
        }
    }
}

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
    /// What clients sent with PUBLISH and SPUBLISH: (channel, message),
    /// the newest only.
    pub published: PublishedLog,
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
/// client running the command). Returns whether the client exists. A
/// client over its output buffer limit gets no frame, and the first time
/// a frame would take it there, a close frame instead.
pub(crate) fn send_to(
    engine: &Engine,
    current: Option<&Client>,
    id: u64,
    frame: &Reply,
    unblocks: bool,
) -> bool {
    let client = match current {
        Some(c) if c.id == id => Some(c),
        _ => engine.clients.get(&id).map(|c| &**c),
    };
    let Some(client) = client else {
        return false;
    };
    let Some(outbox) = &client.outbox else {
        return true;
    };
    let backlog = &outbox.backlog;
    if backlog.is_over() {
        return true;
    }
    let mut out = BytesMut::new();
    frame.encode(client.protocol, &mut out);
    let len = out.len();
    let total = backlog.add(len);
    let limit = engine.limits.output_for(client);
    if backlog.exceeds(limit, total, total - len, engine.now_ms()) {
        backlog.sub(len);
        tracing::warn!(
            client = client.id,
            addr = %client.addr,
            queued = total,
            "Client scheduled to be closed ASAP for overcoming of output buffer limits."
        );
        let _ = outbox.sender.send(OutOfBand {
            bytes: Bytes::new(),
            unblocks: false,
            close: true,
            seq: 0,
        });
        return true;
    }
    let seq = backlog.next_frame();
    if outbox
        .sender
        .send(OutOfBand {
            bytes: out.freeze(),
            unblocks,
            close: false,
            seq,
        })
        .is_err()
    {
        backlog.sub(len);
    } else if current.is_none_or(|c| c.id != id) {
        engine.awaited_frames.add(backlog, seq);
    }
    backlog
        .last_frame_ms
        .fetch_max(engine.now_ms(), Ordering::Relaxed);
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
        if db.has_events() {
            queued.push((db.id, db.take_events()));
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

/// The frames a command sent to other connections (pub/sub messages,
/// invalidations, an unblocked client's reply, MONITOR lines), by outbox:
/// the connection that ran the command writes its own reply only once
/// they were written, as Redis writes every client's output in the same
/// event-loop turn, so a client that sees the reply of a PUBLISH or a SET
/// can already read the message or the invalidation on its other
/// connection. Kept per target (the last frame only), so it stays as small
/// as the client table; the running session takes it after its run.
#[derive(Debug, Default)]
pub(crate) struct AwaitedFrames {
    by_outbox: std::cell::RefCell<HashMap<usize, (Arc<Backlog>, u64)>>,
}

impl AwaitedFrames {
    fn add(&self, backlog: &Arc<Backlog>, seq: u64) {
        let key = Arc::as_ptr(backlog) as usize;
        self.by_outbox
            .borrow_mut()
            .entry(key)
            .and_modify(|e| e.1 = e.1.max(seq))
            .or_insert_with(|| (backlog.clone(), seq));
    }

    /// Forgets what earlier work (expiry, the state API) sent.
    pub fn clear(&self) {
        let mut map = self.by_outbox.borrow_mut();
        if !map.is_empty() {
            map.clear();
        }
    }

    /// The frames sent since the last [`clear`](AwaitedFrames::clear).
    pub fn take(&self) -> Vec<(Arc<Backlog>, u64)> {
        let mut map = self.by_outbox.borrow_mut();
        if map.is_empty() {
            return Vec::new();
        }
        map.drain().map(|(_, v)| v).collect()
    }
}
