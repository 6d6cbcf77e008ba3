//! Server-assisted client-side caching (`CLIENT TRACKING`), as Redis 7.0's
//! `tracking.c`: the invalidation table (key → ids of the clients that read
//! it), the prefix table of broadcasting (`BCAST`) clients, and the
//! invalidation messages.
//!
//! The keyspace feeds it through one hook: while any client tracks, every
//! database records the keys written ([`Db::set_track_writes`]; the
//! `touched` path, expiry included, and a FLUSHDB/FLUSHALL marker), and
//! [`Engine::after_command`] calls [`process_writes`]. Reads are remembered
//! by the dispatcher after each read-only command ([`remember_keys`]). The
//! commands (`CLIENT TRACKING`, `CACHING`, `TRACKINGINFO`, `GETREDIR`) are
//! in `commands/client/tracking.rs`.
//!
//! Messages go through the outboxes ([`delivery::send_to`]); for the client
//! whose command caused them they go after that command's reply, as Redis
//! 7.0 postpones them to `afterCommand` (`trailing`).
//!
//! [`Db::set_track_writes`]: super::keyspace::Db::set_track_writes

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use super::command::CommandSpec;
use super::{Client, Engine, delivery};
use crate::protocol::{Protocol, Reply};

/// The channel RESP2 redirect targets receive invalidations on.
pub(crate) const CHANNEL: &str = "__redis__:invalidate";

/// One client's tracking mode (`Client::tracking` is `None` while off).
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientTracking {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// The client invalidations go to (0: this one).
    pub redirect: u64,
    /// The BCAST prefixes, sorted (`""` when BCAST was given none).
    pub prefixes: Vec<Bytes>,
    /// `CLIENT CACHING yes|no` applies to the next command.
    pub caching: bool,
    /// The redirect target went away.
    pub broken: bool,
}

/// The engine-wide tracking tables.
#[derive(Debug, Default)]
pub(crate) struct Tracking {
    /// Key → clients that read it since its last invalidation (default mode).
    keys: HashMap<Bytes, Vec<u64>>,
    /// BCAST prefix → its clients and the keys written under it since the
    /// last broadcast (key → the client that wrote it, 0 for none).
    prefixes: BTreeMap<Bytes, Prefix>,
    /// Clients with tracking on.
    clients: usize,
    /// The client whose command runs (0: none), for NOLOOP and `trailing`.
    pub current: u64,
    /// Messages for the current client, written after its reply.
    pub trailing: Vec<Reply>,
}

#[derive(Debug, Default)]
struct Prefix {
    clients: Vec<u64>,
    pending: BTreeMap<Bytes, u64>,
}

impl Tracking {
    /// Keys in the invalidation table (INFO `tracking_total_keys`).
    pub fn total_keys(&self) -> usize {
        self.keys.len()
    }

    /// Client ids in the invalidation table (INFO `tracking_total_items`).
    pub fn total_items(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    /// Prefixes in the BCAST table (INFO `tracking_total_prefixes`).
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Clients with tracking on (INFO `tracking_clients`).
    pub fn clients(&self) -> usize {
        self.clients
    }
}

/// Turns tracking on for `client` with `mode` (already validated), as
/// Redis's `enableTracking`: flags replaced, BCAST prefixes added (`""`
/// when none is given).
pub(crate) fn enable(
    engine: &mut Engine,
    client: &mut Client,
    mut mode: ClientTracking,
    prefixes: &[Bytes],
) {
    let previous = client.tracking.take();
    if previous.is_none() {
        engine.tracking.clients += 1;
        set_track_writes(engine, true);
    }
    mode.prefixes = previous.map(|p| p.prefixes).unwrap_or_default();
    if mode.bcast {
        let empty = [Bytes::new()];
        let given = if prefixes.is_empty() {
            &empty[..]
        } else {
            prefixes
        };
        for prefix in given {
            let entry = engine.tracking.prefixes.entry(prefix.clone()).or_default();
            if !entry.clients.contains(&client.id) {
                entry.clients.push(client.id);
            }
            if let Err(at) = mode.prefixes.binary_search(prefix) {
                mode.prefixes.insert(at, prefix.clone());
            }
        }
    }
    client.tracking = Some(mode);
}

/// Turns tracking off for `client` (CLIENT TRACKING off, RESET, disconnect).
pub(crate) fn disable(engine: &mut Engine, client: &mut Client) {
    let Some(mode) = client.tracking.take() else {
        return;
    };
    for prefix in &mode.prefixes {
        if let Some(entry) = engine.tracking.prefixes.get_mut(prefix) {
            entry.clients.retain(|&id| id != client.id);
            if entry.clients.is_empty() {
                engine.tracking.prefixes.remove(prefix);
            }
        }
    }
    engine.tracking.clients -= 1;
    if engine.tracking.clients == 0 {
        set_track_writes(engine, false);
    }
}

fn set_track_writes(engine: &mut Engine, on: bool) {
    for db in &mut engine.dbs {
        db.set_track_writes(on);
    }
}

/// Remembers the keys a read-only command of a tracking client named, as
/// Redis's `trackingRememberKeys` (not in BCAST mode; in OPTIN mode only
/// after `CLIENT CACHING yes`, in OPTOUT mode unless `CLIENT CACHING no`).
pub(crate) fn remember_keys(
    engine: &mut Engine,
    client: &Client,
    spec: &CommandSpec,
    args: &[Bytes],
) {
    let Some(mode) = &client.tracking else {
        return;
    };
    if mode.bcast || (mode.optin && !mode.caching) || (mode.optout && mode.caching) {
        return;
    }
    for pos in spec.keys_in(args) {
        let Some(key) = args.get(pos) else { continue };
        let ids = engine.tracking.keys.entry(key.clone()).or_default();
        if !ids.contains(&client.id) {
            ids.push(client.id);
        }
    }
}

/// What an invalidation message carries.
enum Payload {
    Keys(Vec<Bytes>),
    /// FLUSHDB/FLUSHALL: every key.
    All,
}

/// Sends the invalidations the databases recorded since the last call:
/// each written key to the clients that read it, a null to every tracking
/// client after a flush, then the BCAST messages (one per prefix and
/// client, keys in order).
pub(crate) fn process_writes(engine: &mut Engine) {
    // Nobody tracks: the databases record nothing (the common case).
    if engine.tracking.clients == 0 {
        return;
    }
    // FLUSHALL marks every database: one null per flush, not per database.
    let mut nulls = 0;
    for db in 0..engine.dbs.len() {
        let written = engine.dbs[db].take_written();
        let mut flushes = 0;
        for key in written {
            match key {
                Some(key) => invalidate_key(engine, &key),
                None => {
                    flushes += 1;
                    if flushes > nulls {
                        nulls = flushes;
                        invalidate_all(engine);
                    }
                }
            }
        }
    }
    broadcast(engine);
}

fn invalidate_key(engine: &mut Engine, key: &Bytes) {
    let writer = engine.tracking.current;
    for (prefix, entry) in engine.tracking.prefixes.iter_mut() {
        if key.starts_with(prefix) {
            entry.pending.insert(key.clone(), writer);
        }
    }
    let Some(ids) = engine.tracking.keys.remove(key) else {
        return;
    };
    for id in ids {
        let Some(mode) = engine.clients.get(&id).and_then(|c| c.tracking.as_ref()) else {
            continue;
        };
        if mode.bcast || (mode.noloop && id == writer) {
            continue;
        }
        send(engine, id, Payload::Keys(vec![key.clone()]));
    }
}

fn invalidate_all(engine: &mut Engine) {
    let mut ids: Vec<u64> = engine
        .clients
        .values()
        .filter(|c| c.tracking.is_some())
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    for id in ids {
        send(engine, id, Payload::All);
    }
    engine.tracking.keys.clear();
}

fn broadcast(engine: &mut Engine) {
    let mut messages: Vec<(u64, Vec<Bytes>)> = Vec::new();
    for entry in engine.tracking.prefixes.values_mut() {
        if entry.pending.is_empty() {
            continue;
        }
        let pending = std::mem::take(&mut entry.pending);
        for &id in &entry.clients {
            let noloop = engine
                .clients
                .get(&id)
                .and_then(|c| c.tracking.as_ref())
                .is_some_and(|m| m.noloop);
            let keys: Vec<Bytes> = pending
                .iter()
                .filter(|&(_, &writer)| !(noloop && writer == id))
                .map(|(k, _)| k.clone())
                .collect();
            if !keys.is_empty() {
                messages.push((id, keys));
            }
        }
    }
    for (id, keys) in messages {
        send(engine, id, Payload::Keys(keys));
    }
}

/// Redis's `sendTrackingMessage`: to the client itself in RESP3, to its
/// redirect target (a `>invalidate` push in RESP3, a message on
/// [`CHANNEL`] in RESP2 while it is subscribed), or nowhere (RESP2 without
/// redirect). A vanished target marks the redirect broken and tells a
/// RESP3 client with `tracking-redir-broken`.
fn send(engine: &mut Engine, id: u64, payload: Payload) {
    let Some(client) = engine.clients.get(&id) else {
        return;
    };
    let Some(mode) = &client.tracking else { return };
    let redirect = mode.redirect;
    let own_protocol = client.protocol;
    let target_id = if redirect != 0 { redirect } else { id };
    let Some(target) = engine.clients.get(&target_id) else {
        if own_protocol == Protocol::Resp3 {
            let frame = Reply::Push(vec![
                Reply::bulk("tracking-redir-broken"),
                Reply::int(redirect as i64),
            ]);
            deliver(engine, id, frame);
        }
        if let Some(mode) = engine
            .clients
            .get_mut(&id)
            .and_then(|c| c.tracking.as_mut())
        {
            mode.broken = true;
        }
        return;
    };
    let body = match payload {
        Payload::Keys(keys) => Reply::Array(keys.into_iter().map(Reply::Bulk).collect()),
        // The null of the tracking client's protocol, as Redis writes
        // `shared.null[c->resp]` whatever the target speaks.
        Payload::All => Reply::Nil,
    };
    let frame = if target.protocol == Protocol::Resp3 {
        Reply::Push(vec![Reply::bulk("invalidate"), body])
    } else if redirect != 0 && target.subs.total() > 0 {
        Reply::Push(vec![Reply::bulk("message"), Reply::bulk(CHANNEL), body])
    } else {
        return;
    };
    deliver(engine, target_id, frame);
}

/// Sends `frame` to client `id`: after the reply when it is the client
/// whose command runs, through its outbox otherwise.
pub(crate) fn deliver(engine: &mut Engine, id: u64, frame: Reply) {
    if id == engine.tracking.current {
        engine.tracking.trailing.push(frame);
    } else {
        delivery::send_to(engine, None, id, &frame, false);
    }
}
