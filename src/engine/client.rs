//! A client connection as the engine sees it: its [`Client`] state (the
//! single owner of the connection's protocol, authentication, selected
//! database, transaction, subscriptions and blocking wait), and how clients
//! join and leave the engine ([`Engine::connect`], [`Engine::disconnect`]).
//!
//! The request-level side of a connection (its parser, the mocks, the reply
//! bytes) is the session's (`src/session/`); it reads this state through
//! [`Engine::client`] rather than keeping copies.
//!
//! [`ClientLimits`] holds the protection limits every connection is held
//! to (`maxclients`, `timeout`, `client-query-buffer-limit`,
//! `client-output-buffer-limit`, `protected-mode`), parsed from the
//! configuration by [`Engine::apply_client_limits`]; idle clients are
//! closed by [`Engine::close_idle_clients`] (the active expiry cycle).

use std::time::Instant;

use bytes::Bytes;

use super::command::CommandName;
use super::commands::transactions;
use super::delivery::OutputLimit;
use super::{Engine, blocking, delivery, keyspace, tracking};
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
    /// Engine-clock Unix ms of the connection's last interaction (a read,
    /// or a write seen by the idle check; for `timeout`).
    pub last_read_ms: i64,
    /// The commands the last script this client ran executed, for the
    /// journal (the session takes them after the command).
    pub script_calls: Vec<Vec<Bytes>>,
    /// `CLIENT TRACKING` mode (`None`: off).
    pub tracking: Option<tracking::ClientTracking>,
    /// `CLIENT REPLY` state.
    pub reply: ReplyMode,
    /// `CLIENT NO-EVICT on`.
    pub no_evict: bool,
    /// In MONITOR mode (a replica-like client: flag `O`).
    pub monitor: bool,
    /// A command of this client waits for `CLIENT PAUSE` to end.
    pub postponed: bool,
    /// Output bytes written to the socket as last seen by the idle check
    /// (a write counts as an interaction, as in Redis).
    pub seen_written: u64,
    /// The ACL user the connection is authenticated as (`default` until
    /// AUTH or HELLO AUTH names another).
    pub user: Bytes,
    /// For a script's client: the caller's `CLIENT INFO` line, which ACL
    /// LOG shows for a command the script was denied (set only when the
    /// caller's user has restrictions).
    #[cfg_attr(not(feature = "scripting"), allow(dead_code))]
    pub script_caller_info: Option<String>,
    /// ASKING was sent: the next command may run on a slot this cluster
    /// node is importing.
    pub asking: bool,
    /// READONLY was sent: a cluster replica serves this client's reads.
    pub readonly: bool,
    /// The cluster node whose listener this connection came in on (a
    /// replica shares its master's engine); `None` outside a cluster.
    pub cluster_node: Option<usize>,
}

/// What `CLIENT REPLY` (and a repeated MONITOR) decided about replies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReplyMode {
    /// `CLIENT REPLY OFF`: no replies until `ON`.
    pub off: bool,
    /// The reply of the running command is skipped (`SKIP` was the previous one).
    pub skip: bool,
    /// `CLIENT REPLY SKIP`: skip the next command's reply.
    pub skip_next: bool,
    /// The running command answers nothing at all (`CLIENT REPLY OFF|SKIP`,
    /// MONITOR while monitoring).
    pub none: bool,
}

impl ReplyMode {
    /// After a command: whether its reply is dropped; moves `SKIP` on.
    pub fn finish_command(&mut self) -> bool {
        let silent = self.off || self.skip || self.none;
        self.none = false;
        self.skip = std::mem::take(&mut self.skip_next);
        silent
    }
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
            last_read_ms: 0,
            script_calls: Vec::new(),
            tracking: None,
            reply: ReplyMode::default(),
            no_evict: false,
            monitor: false,
            postponed: false,
            seen_written: 0,
            user: Bytes::from_static(b"default"),
            script_caller_info: None,
            asking: false,
            readonly: false,
            cluster_node: None,
        }
    }

    /// The name of the ACL user the client is authenticated as (`CLIENT
    /// LIST`'s `user=`, `CLIENT KILL USER`, `ACL WHOAMI`).
    pub(crate) fn user_name(&self) -> &[u8] {
        &self.user
    }

    /// Whether the client connected through a Unix socket (its address is
    /// `path:0`, not an IP address and port).
    pub(crate) fn is_unix(&self) -> bool {
        !self.addr.is_empty() && self.addr.parse::<std::net::SocketAddr>().is_err()
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
        let authenticated = self.default_user_open();
        let mut client = Client::new(id, addr, laddr, authenticated);
        client.last_read_ms = self.clock.now_ms();
        client.cluster_node = self.cluster.as_ref().and_then(|v| v.node_at(&client.laddr));
        self.clients.insert(id, Box::new(client));
        id
    }

    /// Forgets a closed connection.
    pub fn disconnect(&mut self, client_id: u64) {
        if let Some(mut client) = self.clients.remove(&client_id) {
            transactions::unwatch_all(self, &mut client);
            blocking::unblock(self, &mut client);
            delivery::unsubscribe_all(self, &mut client);
            tracking::disable(self, &mut client);
            if client.monitor {
                self.client_admin.monitors.retain(|&id| id != client_id);
            }
        }
        super::commands::replication::forget(self, client_id);
    }

    /// The state of client `id`, if it is connected.
    pub fn client(&self, id: u64) -> Option<&Client> {
        self.clients.get(&id).map(|c| &**c)
    }

    /// Reads the protection limits from the configuration (at the start,
    /// and after every command that may have changed it: CONFIG, EXEC).
    pub fn apply_client_limits(&mut self) {
        let generation = self.runtime.generation();
        if generation == self.limits_generation {
            return;
        }
        self.limits_generation = generation;
        *self.limits = ClientLimits::from_config(&self.runtime, &self.limits);
        self.diagnostics.settings = super::stats::DiagnosticSettings::from_config(&self.runtime);
    }

    /// Whether a new connection may join (`local`: from the loopback
    /// interface or a Unix socket, see [`is_local`]): `Err` holds the
    /// error line to write before closing it, as Redis's
    /// `acceptCommonHandler` (`maxclients`) and `clientAcceptHandler`
    /// (protected mode) do. A refused connection counts in
    /// `rejected_connections`.
    pub fn admit(&mut self, local: bool) -> Result<(), &'static str> {
        let refused = if self.clients.len() >= self.limits.maxclients {
            MAX_CLIENTS_REACHED
        } else if self.limits.protected_mode && self.acl.default_user().nopass() && !local {
            PROTECTED_MODE_DENIED
        } else {
            return Ok(());
        };
        self.stats.rejected_connections += 1;
        Err(refused)
    }

    /// Closes every client idle for longer than `timeout` seconds (by the
    /// engine clock, since its last read or write), except subscribers, monitors
    /// and blocked clients, as Redis's `clientsCronHandleTimeout`: each gets a close
    /// frame on its outbox and no more frames.
    pub fn close_idle_clients(&mut self) {
        let timeout = self.limits.timeout_secs;
        if timeout <= 0 {
            return;
        }
        let now = self.clock.now_ms();
        for client in self.clients.values_mut() {
            // Writes are interaction too (Redis's `writeToClient` updates
            // `lastinteraction`): frames when they are queued (replies go
            // out with the read that caused them), and a long reply still
            // being written when the check sees progress.
            if let Some(outbox) = &client.outbox {
                let backlog = &outbox.backlog;
                client.last_read_ms = client.last_read_ms.max(backlog.last_frame_ms());
                let written = backlog.written();
                if written != client.seen_written {
                    client.seen_written = written;
                    if backlog.buffers().pending > 0 {
                        client.last_read_ms = now;
                    }
                }
            }
            if client.subs.total() > 0
                || client.blocked.is_some()
                || client.monitor
                || now.saturating_sub(client.last_read_ms) <= timeout.saturating_mul(1000)
            {
                continue;
            }
            let Some(outbox) = &client.outbox else {
                continue;
            };
            if outbox.backlog.close() {
                tracing::debug!(client = client.id, addr = %client.addr, "Closing idle client");
                let _ = outbox.sender.send(delivery::OutOfBand {
                    bytes: Bytes::new(),
                    unblocks: false,
                    close: true,
                    seq: 0,
                });
            }
        }
    }
}

/// What Redis answers a connection over `maxclients`.
pub(crate) const MAX_CLIENTS_REACHED: &str = "-ERR max number of clients reached\r\n";

/// What Redis 7.0.15 answers a non-local connection in protected mode
/// (`networking.c`, `clientAcceptHandler`), typo included.
pub(crate) const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because \
protected mode is enabled and no password is set for the default user. In this mode connections \
are only accepted from the loopback interface. If you want to connect from external computers to \
Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the \
command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the \
same host the server is running, however MAKE SURE Redis is not publicly accessible from internet \
if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just \
disable the protected mode by editing the Redis configuration file, and setting the protected mode \
option to 'no', and then restarting the server. 3) If you started the server manually just for \
testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password \
for the default user. NOTE: You only need to do one of the above things in order for the server to \
start accepting connections from the outside.\r\n";

/// Whether a peer counts as local for protected mode, as Redis's
/// `connIsLocal`: a Unix socket (`None`), or a TCP peer whose address is
/// exactly `127.0.0.1` or `::1` (so `127.0.0.2` is not).
pub(crate) fn is_local(peer: Option<std::net::IpAddr>) -> bool {
    match peer {
        None => true,
        Some(std::net::IpAddr::V4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(std::net::IpAddr::V6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
    }
}

/// The protection limits connections are held to, parsed from the
/// configuration (see [`Engine::apply_client_limits`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientLimits {
    /// `client-query-buffer-limit`: unparsed input past which a client is
    /// closed.
    pub query_buffer: usize,
    /// `client-output-buffer-limit`, classes `normal`, `replica` (`slave`)
    /// and `pubsub`.
    pub normal: OutputLimit,
    pub replica: OutputLimit,
    pub pubsub: OutputLimit,
    /// `maxclients`.
    pub maxclients: usize,
    /// `timeout` in seconds (0: never).
    pub timeout_secs: i64,
    /// `protected-mode`.
    pub protected_mode: bool,
    /// `proto-max-bulk-len`: the longest bulk string a request may carry.
    pub proto_max_bulk: i64,
}

impl Default for ClientLimits {
    /// Redis's defaults.
    fn default() -> ClientLimits {
        ClientLimits {
            query_buffer: 1024 * 1024 * 1024,
            normal: OutputLimit::default(),
            replica: OutputLimit {
                hard: 256 * 1024 * 1024,
                soft: 64 * 1024 * 1024,
                soft_seconds: 60,
            },
            pubsub: OutputLimit {
                hard: 32 * 1024 * 1024,
                soft: 8 * 1024 * 1024,
                soft_seconds: 60,
            },
            maxclients: 10_000,
            timeout_secs: 0,
            protected_mode: true,
            proto_max_bulk: 512 * 1024 * 1024,
        }
    }
}

impl ClientLimits {
    /// Parses the limits from the configuration; an unreadable value keeps
    /// the `previous` one (so does a `client-output-buffer-limit` class the
    /// value does not name).
    pub fn from_config(
        config: &super::config::RuntimeConfig,
        previous: &ClientLimits,
    ) -> ClientLimits {
        let mut limits = previous.clone();
        if let Some(v) = config.get_int("client-query-buffer-limit") {
            limits.query_buffer = usize::try_from(v).unwrap_or(limits.query_buffer);
        }
        if let Some(v) = config.get("client-output-buffer-limit") {
            limits.set_output_limits(v);
        }
        if let Some(v) = config.get_int("maxclients") {
            limits.maxclients = usize::try_from(v).unwrap_or(limits.maxclients);
        }
        if let Some(v) = config.get_int("timeout") {
            limits.timeout_secs = v.max(0);
        }
        if let Some(v) = config.get("protected-mode") {
            limits.protected_mode = v != "no";
        }
        if let Some(v) = config.get_int("proto-max-bulk-len") {
            limits.proto_max_bulk = v;
        }
        limits
    }

    /// Applies `client-output-buffer-limit` text: `<class> <hard> <soft>
    /// <seconds>` groups (memory units accepted), each replacing its class
    /// (the classes not named keep their value, as CONFIG SET does in
    /// Redis). A malformed value changes nothing.
    fn set_output_limits(&mut self, text: &str) {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() % 4 != 0 {
            return;
        }
        let mut next = self.clone();
        for group in words.chunks(4) {
            let (Some(hard), Some(soft), Ok(seconds)) = (
                super::config::memtoull(group[1]).and_then(|v| i64::try_from(v).ok()),
                super::config::memtoull(group[2]).and_then(|v| i64::try_from(v).ok()),
                group[3].parse::<i64>(),
            ) else {
                return;
            };
            if hard < 0 || soft < 0 || seconds < 0 {
                return;
            }
            let limit = OutputLimit {
                hard: hard as u64,
                soft: soft as u64,
                soft_seconds: seconds,
            };
            match group[0].to_ascii_lowercase().as_str() {
                "normal" => next.normal = limit,
                "replica" | "slave" => next.replica = limit,
                "pubsub" => next.pubsub = limit,
                _ => return,
            }
        }
        *self = next;
    }

    /// The output limit of `client`'s class: `pubsub` while it has a
    /// subscription, `normal` otherwise (the mock has no replicas).
    pub fn output_for(&self, client: &Client) -> &OutputLimit {
        if client.subs.total() > 0 {
            &self.pubsub
        } else {
            &self.normal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::RuntimeConfig;

    #[test]
    fn limits_follow_the_configuration() {
        let mut config = RuntimeConfig::default();
        let limits = ClientLimits::from_config(&config, &ClientLimits::default());
        assert_eq!(limits.normal, OutputLimit::default());
        assert_eq!(limits.pubsub.hard, 32 << 20);
        assert_eq!(limits.pubsub.soft, 8 << 20);
        assert_eq!(limits.pubsub.soft_seconds, 60);
        assert_eq!(limits.replica.hard, 256 << 20);
        assert_eq!(limits.query_buffer, 1 << 30);
        assert_eq!(limits.maxclients, 10_000);
        assert!(limits.protected_mode);

        config
            .set(
                "client-output-buffer-limit",
                "pubsub 1kb 512 2 normal 1mb 0 0",
            )
            .unwrap();
        config.set("timeout", "5").unwrap();
        let limits = ClientLimits::from_config(&config, &limits);
        assert_eq!(
            limits.pubsub,
            OutputLimit {
                hard: 1024,
                soft: 512,
                soft_seconds: 2
            }
        );
        assert_eq!(limits.normal.hard, 1 << 20);
        assert_eq!(
            limits.replica.hard,
            256 << 20,
            "unnamed classes keep theirs"
        );
        assert_eq!(limits.timeout_secs, 5);

        // A later value naming one class leaves the others as they were.
        config
            .set("client-output-buffer-limit", "normal 0 0 0")
            .unwrap();
        let limits = ClientLimits::from_config(&config, &limits);
        assert_eq!(limits.normal, OutputLimit::default());
        assert_eq!(limits.pubsub.hard, 1024);
        // A malformed value is refused (as Redis refuses it) and changes nothing.
        assert!(
            config
                .set("client-output-buffer-limit", "pubsub 1 2")
                .is_err()
        );
        assert_eq!(ClientLimits::from_config(&config, &limits), limits);
    }

    #[test]
    fn only_the_exact_loopback_addresses_are_local() {
        assert!(is_local(None));
        assert!(is_local(Some("127.0.0.1".parse().unwrap())));
        assert!(is_local(Some("::1".parse().unwrap())));
        assert!(!is_local(Some("127.0.0.2".parse().unwrap())));
        assert!(!is_local(Some("10.1.2.3".parse().unwrap())));
    }
}
