//! A client connection as the engine sees it: its [`Client`] state (the
//! single owner of the connection's protocol, authentication, selected
//! database, transaction, subscriptions and blocking wait), and how clients
//! join and leave the engine ([`Engine::connect`], [`Engine::disconnect`]).
//!
//! The request-level side of a connection (its parser, the mocks, the reply
//! bytes) is the session's (`src/session/`); it reads this state through
//! [`Engine::client`] rather than keeping copies.

use std::time::Instant;

use bytes::Bytes;

use super::command::CommandName;
use super::{Engine, blocking, keyspace, pubsub, transactions};
use crate::protocol::{Protocol, Reply};

/// One client connection's state.
#[derive(Debug)]
pub(crate) struct Client {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub name: Option<Bytes>,
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
    pub db: usize,
    pub protocol: Protocol,
    pub authenticated: bool,
    pub created: Instant,
    pub last_interaction: Instant,
    pub last_command: CommandName,
    /// Set by QUIT (and protocol errors): write the pending replies, then close.
    pub close_after_reply: bool,
    /// Commands queued since MULTI (`None` outside a transaction).
    pub multi: Option<Vec<Vec<Bytes>>>,
    /// A command was rejected while queueing: EXEC answers EXECABORT.
    pub multi_dirty: bool,
    /// Keys under WATCH: database, key and the mark taken at WATCH time.
    pub watched: Vec<(usize, Bytes, keyspace::WatchMark)>,
    /// Channels, patterns and shard channels the client subscribed to.
    pub subs: pubsub::Subscriptions,
    /// Where pub/sub messages and the replies of blocked commands go
    /// (drained by the connection task); `None` for engine-only clients.
    pub outbox: Option<pubsub::Outbox>,
    /// What the client waits for while a blocking command blocks it.
    pub blocked: Option<blocking::Blocked>,
    /// Frames a command answers before its own reply (SUBSCRIBE a b c
    /// answers three confirmations: the first two go here).
    pub extra: Vec<Reply>,
}

impl Engine {
    /// Registers a new connection and returns its id.
    pub fn connect(&mut self, addr: String, laddr: String) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        self.stats.total_connections_received += 1;
        let now = Instant::now();
        self.clients.insert(
            id,
            Client {
                id,
                addr,
                laddr,
                name: None,
                lib_name: None,
                lib_ver: None,
                db: 0,
                protocol: Protocol::Resp2,
                authenticated: self.config.requirepass.is_none(),
                created: now,
                last_interaction: now,
                last_command: CommandName::NULL,
                close_after_reply: false,
                multi: None,
                multi_dirty: false,
                watched: Vec::new(),
                subs: pubsub::Subscriptions::default(),
                outbox: None,
                blocked: None,
                extra: Vec::new(),
            },
        );
        id
    }

    /// Forgets a closed connection.
    pub fn disconnect(&mut self, client_id: u64) {
        if let Some(mut client) = self.clients.remove(&client_id) {
            transactions::unwatch_all(self, &mut client);
            blocking::unblock(self, &mut client);
            pubsub::unsubscribe_all(self, &mut client);
        }
    }

    /// The state of client `id`, if it is connected.
    pub fn client(&self, id: u64) -> Option<&Client> {
        self.clients.get(&id)
    }
}
