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
use super::commands::transactions;
use super::{Engine, blocking, delivery, keyspace};
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
    pub subs: delivery::Subscriptions,
    /// Where pub/sub messages and the replies of blocked commands go
    /// (drained by the connection task); `None` for engine-only clients.
    pub outbox: Option<delivery::Outbox>,
    /// What the client waits for while a blocking command blocks it.
    pub blocked: Option<blocking::Blocked>,
    /// Frames a command answers before its own reply (SUBSCRIBE a b c
    /// answers three confirmations: the first two go here).
    pub extra: Vec<Reply>,
    /// The commands the last script this client ran executed, for the
    /// journal (the session takes them after the command).
    pub script_calls: Vec<Vec<Bytes>>,
}

impl Client {
    fn new(id: u64, addr: String, laddr: String, authenticated: bool) -> Client {
        let now = Instant::now();
        Client {
            id,
            addr,
            laddr,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            protocol: Protocol::Resp2,
            authenticated,
            created: now,
            last_interaction: now,
            last_command: CommandName::NULL,
            close_after_reply: false,
            multi: None,
            multi_dirty: false,
            watched: Vec::new(),
            subs: delivery::Subscriptions::default(),
            outbox: None,
            blocked: None,
            extra: Vec::new(),
            script_calls: Vec::new(),
        }
    }

    /// A client that is no connection, like the fake client Redis runs
    /// scripts with: id 0 (connections start at 1), on database `db`,
    /// speaking RESP3 so replies keep their types (doubles, booleans). The
    /// direct state API runs commands with it ([`Engine::call_detached`]);
    /// it never joins the client table, so `CLIENT LIST` does not show it.
    pub fn detached(db: usize) -> Client {
        let mut client = Client::new(0, String::new(), String::new(), true);
        client.db = db;
        client.protocol = Protocol::Resp3;
        client
    }
}

impl Engine {
    /// Registers a new connection and returns its id.
    pub fn connect(&mut self, addr: String, laddr: String) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        self.stats.total_connections_received += 1;
        let authenticated = self.config.requirepass.is_none();
        self.clients
            .insert(id, Client::new(id, addr, laddr, authenticated));
        id
    }

    /// Forgets a closed connection.
    pub fn disconnect(&mut self, client_id: u64) {
        if let Some(mut client) = self.clients.remove(&client_id) {
            transactions::unwatch_all(self, &mut client);
            blocking::unblock(self, &mut client);
            delivery::unsubscribe_all(self, &mut client);
        }
    }

    /// The state of client `id`, if it is connected.
    pub fn client(&self, id: u64) -> Option<&Client> {
        self.clients.get(&id)
    }
}
