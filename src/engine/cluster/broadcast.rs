//! PUBLISH across the cluster: in Redis Cluster a message published on any
//! node reaches the subscribers of every node (the cluster bus carries it).
//! Each shard here has one engine (its replicas share it), so a PUBLISH
//! delivers on its own engine at once, and hands the message to this
//! broadcaster, whose thread delivers it on every other shard's engine.
//! The thread starts on the first broadcast (a cluster that never
//! publishes pays nothing at start-up), locks one engine at a time (never
//! two: no lock order to break) and ends when the cluster's engines are
//! gone. As in Redis, the publisher's reply counts local receivers only,
//! and the other nodes get the message a moment later.

use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock, Weak};

use bytes::Bytes;

use crate::engine::{Engine, delivery};

/// A message to deliver on every shard's engine but the publisher's.
type Message = (usize, Bytes, Bytes);

/// The shards' engines and the delivering thread's queue.
#[derive(Debug, Default)]
pub(crate) struct Broadcast {
    /// One engine per shard, by the index of the master it started with.
    engines: OnceLock<Vec<Weak<Mutex<Engine>>>>,
    queue: Mutex<Option<Sender<Message>>>,
}

impl Broadcast {
    /// Registers the shards' engines (once, when the cluster starts).
    pub fn set_engines(&self, engines: Vec<Weak<Mutex<Engine>>>) {
        let _ = self.engines.set(engines);
    }

    /// Queues `message` on `channel` for every shard but `origin`.
    pub fn publish(&self, origin: usize, channel: Bytes, message: Bytes) {
        let Some(engines) = self.engines.get() else {
            return;
        };
        if engines.len() < 2 {
            return;
        }
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let sender = queue.get_or_insert_with(|| {
            let (tx, rx) = mpsc::channel::<Message>();
            let engines = engines.clone();
            let spawned = std::thread::Builder::new()
                .name("mock-redis-cluster-bus".into())
                .spawn(move || {
                    while let Ok((origin, channel, message)) = rx.recv() {
                        deliver(&engines, origin, &channel, &message);
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(%e, "cannot start the cluster's PUBLISH thread");
            }
            tx
        });
        let _ = sender.send((origin, channel, message));
    }
}

fn deliver(engines: &[Weak<Mutex<Engine>>], origin: usize, channel: &[u8], message: &Bytes) {
    for (i, engine) in engines.iter().enumerate() {
        if i == origin {
            continue;
        }
        let Some(engine) = engine.upgrade() else {
            continue;
        };
        let mut engine = engine.lock().unwrap_or_else(|e| e.into_inner());
        engine.refresh_time();
        delivery::publish(&mut engine, None, channel, message, false);
        engine.after_command();
    }
}
