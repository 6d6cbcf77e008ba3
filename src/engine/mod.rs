//! The in-memory Redis engine: the [`Engine`] state, the dispatcher, and
//! around them the keyspace, the value types, the command groups and the
//! frameworks they share.
//!
//! All state lives in one [`Engine`] behind one lock. A connection locks it
//! for each command (never across an `.await`), so every command runs
//! atomically, as it does in single-threaded Redis.
//!
//! # Where things are
//!
//! * `mod.rs` (here): [`Engine`] (databases, clients, clock, configuration,
//!   counters, the generator), [`Client`], [`Ctx`] and the dispatcher
//!   ([`Engine::execute`]); [`COMMAND_GROUPS`] lists the command tables.
//! * `keyspace.rs`: one database ([`keyspace::Db`]): keys, expiry, WATCH
//!   stamps, keyspace events, the `touched` hook.
//! * `types/`: the value types and their encoding rules ([`types::Value`],
//!   `hash.rs`, `list.rs`, `set.rs`, `zset.rs`).
//! * `commands/`: one file (or folder) per command group, each with its
//!   `COMMANDS` table, blocking variants included.
//! * `blocking.rs`: clients blocked on keys (BLPOP & co. build a
//!   [`blocking::BlockOp`] and call [`blocking::block`]).
//! * `delivery.rs`: out-of-band frames: outboxes, pub/sub subscriptions,
//!   keyspace notifications.
//! * `formats/`: persistence formats (DUMP/RESTORE's RDB payload).
//! * `util/`: argument parsing, Redis's error texts, HELP replies, `long
//!   double` arithmetic. Glob matching is crate-wide: `crate::glob`.
//! * `command.rs` (the command table, key specs, key extraction),
//!   `config.rs` (CONFIG parameters), `clock.rs`, `random.rs` (the one
//!   seeded generator), `stats.rs` (INFO counters), `tests.rs`.
//!
//! Dependencies point one way: `util` and `types` import nothing above
//! them; `keyspace` imports `types`; the frameworks (`blocking`, `delivery`,
//! `formats`) import those; command groups import all of them; only this
//! file and the server's direct state API import command groups.
//!
//! # Adding a command group
//!
//! 1. A file `commands/<group>.rs` (a folder `commands/<group>/` once it
//!    passes ~1,000 lines, split by theme as `sorted_sets/` is) with
//!    `pub(crate) const COMMANDS: &[CommandSpec]`, declared in
//!    `commands/mod.rs` and listed in [`COMMAND_GROUPS`]. Take each entry's
//!    arity, flags, ACL categories, key range, tips and docs from
//!    redis-server 7.0's `COMMAND INFO` / `COMMAND DOCS`; add
//!    `.key_specs(..)` where Redis reports more than one key spec, notes, or
//!    keynum searches, and `.getkeys(..)` for `movablekeys` commands
//!    (`command.rs` has `numkeys_at_1` & co.; `commands/sort.rs` has its
//!    own).
//! 2. A new value type goes in `types/` (its struct and encoding rules, a
//!    [`types::Value`] and a [`types::Kind`] variant), with typed getters
//!    in `keyspace.rs` (the `typed_access!` list) and its DUMP encoding in
//!    `formats/rdb.rs`. Types never import the keyspace or a command group.
//! 3. Handlers get a [`Ctx`]: `ctx.db()` is the client's [`keyspace::Db`];
//!    follow the rules at the top of `keyspace.rs` (typed getters return
//!    the WRONGTYPE reply, `touched()` after in-place changes,
//!    `remove_if_empty()` after removing elements, `notify()` with the
//!    event Redis sends). `util/args.rs` parses integers and floats with
//!    Redis's error texts, `util/errors.rs` holds the texts several groups
//!    share, `util/ldouble.rs` is Redis's `long double` (HINCRBYFLOAT),
//!    `commands/scan.rs` the SCAN family's cursors and options.
//! 4. The dispatcher has already checked the command name, arity,
//!    authentication and MULTI (queueing, `no_multi`): handlers only check
//!    their own options.
//! 5. A blocking command builds a [`blocking::BlockOp`] (the type it waits
//!    for and how a waiter is served, with the same core the non-blocking
//!    command uses) and calls [`blocking::block`]; `blocking.rs` never
//!    imports the group.
//! 6. After every command (and once after a whole EXEC) [`Engine::after_command`]
//!    drains each database's keyspace events and touched keys: that is
//!    where `delivery.rs` publishes notifications and where clients blocked
//!    on keys are woken (`Db::set_track_touched(true)` while any are
//!    blocked).
//! 7. Time comes from [`Engine::now_ms`] (one clock reading per command),
//!    never from `SystemTime::now()`, so `fast_forward` and frozen clocks
//!    work; randomness from [`Engine::random`], never a generator of its
//!    own, so `MockRedis::seed` reproduces it.

pub(crate) mod blocking;
pub(crate) mod clock;
pub(crate) mod command;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod delivery;
pub(crate) mod formats;
pub(crate) mod keyspace;
pub(crate) mod meta;
pub(crate) mod random;
pub(crate) mod stats;
#[cfg(test)]
mod tests;
pub(crate) mod types;
pub(crate) mod util;

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use crate::protocol::{Protocol, Reply};
use clock::Clock;
use command::{CommandName, CommandSpec, CommandTable, Resolved, flags, full_name};
use commands::{
    admin, bitmaps, connection, hashes, introspection, keys, lists, pubsub, sets, sort,
    sorted_sets, strings, transactions,
};
use keyspace::Db;
use stats::Stats;
use util::errors::{self, unknown_command};

/// Every command group's table, concatenated into the command table (in
/// this order: `COMMAND` lists commands in it).
pub(crate) const COMMAND_GROUPS: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    introspection::COMMANDS,
    admin::COMMANDS,
    transactions::COMMANDS,
    strings::COMMANDS,
    bitmaps::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    keys::COMMANDS,
    sort::COMMANDS,
    sets::COMMANDS,
    sorted_sets::COMMANDS,
    pubsub::COMMANDS,
];

/// Number of logical databases, as Redis's default `databases 16`.
pub(crate) const DATABASES: usize = 16;

/// Settings fixed when the server is built.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// The version `HELLO` and `INFO` report.
    pub redis_version: String,
    /// `requirepass`: when set, clients must `AUTH` first.
    pub requirepass: Option<Bytes>,
    /// The TCP port `INFO` reports.
    pub tcp_port: u16,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            redis_version: "7.0.15".to_string(),
            requirepass: None,
            tcp_port: 0,
        }
    }
}

impl Config {
    /// Whether the configured version is at least `major.minor`.
    pub fn version_at_least(&self, major: u32, minor: u32) -> bool {
        let mut parts = self
            .redis_version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let v = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        v >= (major, minor)
    }
}

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
}

/// What a command handler sees: the engine, the calling client and the arguments.
pub(crate) struct Ctx<'a> {
    pub engine: &'a mut Engine,
    pub client: &'a mut Client,
    pub args: &'a [Bytes],
}

impl Ctx<'_> {
    /// Argument `i` (the command name is argument 0).
    pub fn arg(&self, i: usize) -> &Bytes {
        &self.args[i]
    }

    /// The database the client has selected.
    pub fn db(&mut self) -> &mut Db {
        &mut self.engine.dbs[self.client.db]
    }
}

/// A command's reply and the connection state the connection task needs after it.
pub(crate) struct Outcome {
    /// Frames to write before `reply` (the first confirmations of a
    /// multi-channel SUBSCRIBE, ...).
    pub extra: Vec<Reply>,
    /// The reply (a placeholder, not to be written, when `blocked`).
    pub reply: Reply,
    /// The command blocked the client: its reply arrives later on the
    /// client's outbox, unless the deadline (if any) passes first.
    pub blocked: Option<Option<std::time::Instant>>,
    /// The protocol to encode the reply in (HELLO may just have changed it).
    pub protocol: Protocol,
    /// Write the reply, then close the connection.
    pub close: bool,
    /// Whether the parser must apply the unauthenticated limits.
    pub auth_required: bool,
    /// The database the client has selected after the command.
    pub db: usize,
}

/// The whole server state.
pub(crate) struct Engine {
    pub config: Config,
    pub clients: HashMap<u64, Client, rustc_hash::FxBuildHasher>,
    next_client_id: u64,
    pub dbs: Vec<Db>,
    pub started: Instant,
    pub stats: Stats,
    pub run_id: String,
    /// The clock every expiry decision reads (real time unless a test moved it).
    pub clock: Clock,
    /// The clock reading for the current command (Unix ms).
    now_ms: i64,
    /// `CONFIG GET/SET` parameters.
    pub runtime: config::RuntimeConfig,
    /// Unix time of the last SAVE/BGSAVE (or of the start), for LASTSAVE.
    pub lastsave: i64,
    /// `dirty()` at the last save, for `rdb_changes_since_last_save`.
    pub dirty_at_save: u64,
    /// SAVE and BGSAVE calls, for `rdb_saves`.
    pub saves: u64,
    /// The one seeded generator behind every random pick (RANDOMKEY, SPOP,
    /// SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, LFU counting); `MockRedis::seed`
    /// reseeds it (`random.rs`).
    pub random: random::Rng,
    /// Every keyspace event the databases queued (unit tests only).
    #[cfg(test)]
    pub event_log: Vec<(usize, keyspace::KeyEvent)>,
    /// Channel and pattern subscriptions, and what clients published.
    pub pubsub: delivery::PubSub,
    /// Clients blocked on keys, per key in blocking order.
    pub blocking: blocking::Blocking,
    /// The `notify-keyspace-events` classes as last set: parsed from the
    /// letters given, since the printed form loses `n` next to `A`.
    pub notify_flags: u32,
}

impl Engine {
    pub fn new(config: Config) -> Engine {
        let started_wall = SystemTime::now();
        let nanos = started_wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let run_id = format!("{:040x}", nanos ^ (std::process::id() as u128) << 64)
            .chars()
            .rev()
            .take(40)
            .collect();
        let mut engine = Engine {
            config,
            clients: HashMap::default(),
            next_client_id: 1,
            dbs: (0..DATABASES).map(Db::new).collect(),
            started: Instant::now(),
            stats: Stats::default(),
            run_id,
            clock: Clock::new(),
            now_ms: 0,
            random: random::Rng::default(),
            runtime: config::RuntimeConfig::default(),
            lastsave: Clock::new().now_ms() / 1000,
            dirty_at_save: 0,
            saves: 0,
            #[cfg(test)]
            event_log: Vec::new(),
            pubsub: delivery::PubSub::default(),
            blocking: blocking::Blocking::default(),
            notify_flags: 0,
        };
        engine.seed_runtime_config();
        engine
    }

    /// An integer configuration parameter.
    pub fn config_int(&self, name: &str) -> Option<i64> {
        self.runtime.get_int(name)
    }

    /// A configuration parameter's text.
    pub fn config_str(&self, name: &str) -> Option<&str> {
        self.runtime.get(name)
    }

    /// Modifications since the start (Redis's `server.dirty`, approximately).
    pub fn dirty(&self) -> u64 {
        self.dbs.iter().map(|d| d.version()).sum()
    }

    /// A rough figure for `INFO memory`.
    pub fn used_memory(&self) -> i64 {
        (1024 * 1024
            + self
                .dbs
                .iter()
                .map(|d| d.approximate_memory())
                .sum::<usize>()) as i64
    }

    /// The active expiry cycle: removes every key past its deadline, in
    /// every database. The server's accept loop calls it every 100 ms (as
    /// Redis's `serverCron` does at `hz 10`); `fast_forward` and `set_time`
    /// call it at once.
    pub(crate) fn active_expire_cycle(&mut self) {
        self.refresh_time();
        for db in &mut self.dbs {
            db.expire_due();
        }
        self.after_command();
    }

    /// Empties every database (FLUSHALL).
    pub fn flushall(&mut self) {
        for db in &mut self.dbs {
            db.flush();
        }
    }

    /// Applies `notify-keyspace-events` to every database's event queue.
    pub fn apply_notify_config(&mut self) {
        let flags = self.notify_flags;
        let keyspace = keyspace::events::KEYSPACE | keyspace::events::KEYEVENT;
        let mask = if flags & keyspace == 0 { 0 } else { flags };
        for db in &mut self.dbs {
            db.set_notify_mask(mask);
        }
    }

    /// Applies `maxmemory-policy` and `lfu-log-factor` to LFU counting.
    pub fn apply_lfu_config(&mut self) {
        let lfu = self
            .config_str("maxmemory-policy")
            .is_some_and(|p| p.contains("lfu"));
        let factor = self.config_int("lfu-log-factor").unwrap_or(10).max(0) as u32;
        for db in &mut self.dbs {
            db.set_lfu(lfu.then_some(factor), &self.random);
        }
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&mut self) {
        self.stats = Stats::default();
        for db in &mut self.dbs {
            db.stats = Default::default();
        }
    }

    /// The clock reading for the current command, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// `proto-max-bulk-len`: the largest string a command may build.
    pub fn proto_max_bulk_len(&self) -> i64 {
        self.config_int("proto-max-bulk-len")
            .unwrap_or(512 * 1024 * 1024)
    }

    /// Seeds the parameters the builder decided (`port`, `requirepass`).
    fn seed_runtime_config(&mut self) {
        let port = self.config.tcp_port.to_string();
        let _ = self.runtime.set_fixed("port", &port);
        let pass = self
            .config
            .requirepass
            .as_ref()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        let _ = self.runtime.set("requirepass", &pass);
    }

    /// Applies a changed `requirepass`: new connections must AUTH with it
    /// (empty: no password), as Redis's default user.
    pub fn apply_requirepass(&mut self) {
        let pass = self.config_str("requirepass").unwrap_or("").to_string();
        self.config.requirepass = (!pass.is_empty()).then(|| Bytes::from(pass));
    }

    /// Takes one clock reading and hands it to every database, so all
    /// expiry decisions within a command (or a whole EXEC) agree, as Redis
    /// 7.0 caches the time for the duration of a call. Returns it (Unix ms).
    pub fn refresh_time(&mut self) -> i64 {
        let now = self.clock.now_ms();
        self.now_ms = now;
        for db in &mut self.dbs {
            db.set_now(now);
        }
        now
    }

    /// Runs after every command (and after a whole EXEC): drains what the
    /// databases queued while the command ran.
    ///
    /// This is the hook for the modules built on the keyspace:
    /// * `Db::take_events` → keyspace notifications (pub/sub publishes them
    ///   according to `notify-keyspace-events`);
    /// * `Db::take_touched` → keys modified, to wake clients blocked on them
    ///   (BLPOP, BZPOPMIN, ...).
    ///
    /// Events are published first; then clients blocked on keys that became
    /// ready are served (FIFO per key), which may queue more events and make
    /// more keys ready (BLMOVE), so this repeats until nothing is left, as
    /// Redis's `handleClientsBlockedOnKeys` does.
    pub fn after_command(&mut self) {
        loop {
            delivery::publish_events(self, None);
            if !blocking::serve_ready(self) {
                break;
            }
        }
    }

    /// Whether a client that has not authenticated must do so first.
    pub fn auth_required(&self, client_id: u64) -> bool {
        self.config.requirepass.is_some()
            && !self
                .clients
                .get(&client_id)
                .is_some_and(|c| c.authenticated)
    }

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
                subs: delivery::Subscriptions::default(),
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
            delivery::unsubscribe_all(self, &mut client);
        }
    }

    /// Runs one command for a client, the way Redis's `processCommand` does:
    /// lookup, arity, authentication, then the command itself.
    pub fn execute(&mut self, client_id: u64, args: &[Bytes]) -> Outcome {
        let Some(mut client) = self.clients.remove(&client_id) else {
            return Outcome {
                extra: Vec::new(),
                reply: Reply::error("ERR connection is gone"),
                blocked: None,
                protocol: Protocol::Resp2,
                close: true,
                auth_required: true,
                db: 0,
            };
        };
        self.refresh_time();
        let reply = self.process(&mut client, args);
        let outcome = Outcome {
            extra: std::mem::take(&mut client.extra),
            reply,
            blocked: client.blocked.as_ref().map(|b| b.deadline),
            protocol: client.protocol,
            close: client.close_after_reply,
            auth_required: !client.authenticated,
            db: client.db,
        };
        // Back in the table first, so that what the command triggers
        // (keyspace events, serving blocked clients) reaches this client too.
        self.clients.insert(client_id, client);
        self.after_command();
        outcome
    }

    fn process(&mut self, client: &mut Client, args: &[Bytes]) -> Reply {
        client.last_interaction = Instant::now();
        let reply = self.dispatch(client, args);
        if let Reply::Error(e) = &reply {
            self.stats.total_error_replies += 1;
            let code = e.split(|&b| b == b' ').next().unwrap_or_default();
            let code = String::from_utf8_lossy(code).into_owned();
            if self.stats.errors.len() < 128 || self.stats.errors.contains_key(&code) {
                *self.stats.errors.entry(code).or_default() += 1;
            }
        }
        reply
    }

    fn dispatch(&mut self, client: &mut Client, args: &[Bytes]) -> Reply {
        let (spec, parent) = match self.check(client, args) {
            Ok(found) => found,
            Err(reply) => {
                // Redis's rejectCommand: a queue-time error dooms the transaction.
                if client.multi.is_some() {
                    client.multi_dirty = true;
                }
                self.stats.rejected_calls += 1;
                if let Resolved::Found(spec, parent) = CommandTable::get().resolve(args) {
                    self.stats
                        .commands
                        .entry(CommandName::of(spec, parent))
                        .or_default()
                        .rejected += 1;
                }
                if args[0].eq_ignore_ascii_case(b"exec") {
                    // ... and a rejected EXEC aborts it (`execCommandAbort`).
                    transactions::discard_transaction(self, client);
                    return errors::exec_abort(&reply);
                }
                return reply;
            }
        };
        client.last_command = CommandName::of(spec, parent);
        let top = parent.unwrap_or(spec);
        if client.multi.is_some() && !transactions::runs_in_multi(top.name) {
            if let Some(queue) = &mut client.multi {
                queue.push(args.to_vec());
            }
            return Reply::simple("QUEUED");
        }
        self.call(client, spec, parent, args)
    }

    /// Redis's processCommand checks, in its order: unknown command or
    /// subcommand, arity, authentication.
    fn check(
        &mut self,
        client: &mut Client,
        args: &[Bytes],
    ) -> Result<(&'static CommandSpec, Option<&'static CommandSpec>), Reply> {
        let table = CommandTable::get();
        let (spec, parent) = match table.resolve(args) {
            Resolved::Found(spec, parent) => (spec, parent),
            Resolved::UnknownSubcommand(base) => {
                return Err(errors::unknown_subcommand(&args[1], base.name));
            }
            Resolved::Unknown => return Err(unknown_command(args)),
        };
        if !spec.arity_ok(args.len()) {
            return Err(errors::wrong_arity(&full_name(spec, parent)));
        }
        if !client.authenticated && spec.flags & flags::NO_AUTH == 0 {
            return Err(errors::err(errors::NOAUTH));
        }
        if client.multi.is_none()
            && client.protocol == Protocol::Resp2
            && client.subs.total() > 0
            && !pubsub::allowed_in_subscribed_mode(parent.unwrap_or(spec).name)
        {
            let name = full_name(spec, parent);
            return Err(errors::rejected(format_args!(
                "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )));
        }
        if client.multi.is_some() && spec.flags & flags::NO_MULTI != 0 {
            return Err(errors::err(errors::NOT_IN_TRANSACTION));
        }
        Ok((spec, parent))
    }

    /// Runs a resolved command (Redis's `call`), directly or from EXEC.
    fn call(
        &mut self,
        client: &mut Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
    ) -> Reply {
        self.stats.total_commands_processed += 1;
        let name = CommandName::of(spec, parent);
        self.stats.commands.entry(name).or_default().calls += 1;
        let Some(handler) = spec.handler else {
            // Containers always resolve to a subcommand once arity passed.
            return Reply::error("ERR command has no implementation");
        };
        let reply = handler(&mut Ctx {
            engine: self,
            client,
            args,
        });
        if let Reply::Error(_) = &reply {
            self.stats.failed_calls += 1;
            if let Some(c) = self.stats.commands.get_mut(&name) {
                c.failed += 1;
            }
        }
        reply
    }

    /// Runs one queued command inside EXEC: resolved again (the table is
    /// static, so it cannot fail differently than at queue time).
    pub(crate) fn call_queued(&mut self, client: &mut Client, args: &[Bytes]) -> Reply {
        // `last_command` stays `exec` (CLIENT LIST shows `cmd=exec`), as in Redis.
        match self.check(client, args) {
            Ok((spec, parent)) => self.call(client, spec, parent, args),
            Err(reply) => reply,
        }
    }
}
