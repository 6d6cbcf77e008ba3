//! The in-memory Redis engine: the [`Engine`] state, the dispatcher, and
//! around them the keyspace, the value types, the command groups and the
//! frameworks they share.
//!
//! All state lives in one [`Engine`] behind one lock. A connection's session
//! (`src/session/`) runs with it held, once for a whole pipelined run of
//! commands and never across an `.await`, so every command runs atomically,
//! as it does in single-threaded Redis.
//!
//! # Where things are
//!
//! * `mod.rs` (here): [`Engine`] (databases, clients, clock, configuration,
//!   counters, the generator); [`COMMAND_GROUPS`] lists the command tables.
//! * `client.rs`: [`Client`], one connection's state, and connect/disconnect.
//! * `dispatch.rs`: [`Ctx`] and the dispatch path ([`Engine::execute`],
//!   Redis's `processCommand` and `call`).
//! * `keyspace.rs`: one database ([`keyspace::Db`]): keys, expiry, WATCH
//!   stamps, keyspace events, the `touched` hook.
//! * `types/`: the value types and their encoding rules ([`types::Value`],
//!   `hash.rs`, `list.rs`, `set.rs`, `zset.rs`, `stream.rs`).
//! * `commands/`: one file (or folder) per command group, each with its
//!   `COMMANDS` table, blocking variants included.
//! * `blocking.rs`: clients blocked on keys (BLPOP & co. build a
//!   [`blocking::BlockOp`] and call [`blocking::block`]).
//! * `delivery.rs`: out-of-band frames: outboxes, pub/sub subscriptions,
//!   keyspace notifications.
//! * `formats/`: persistence formats (DUMP/RESTORE's RDB payload;
//!   `rdb_stream.rs` for streams).
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
//! 3. A handler is `fn(&mut Ctx<'_>) -> CmdResult` ([`command::CmdResult`]
//!    is `Result<Reply, Reply>`): `Ok` carries the reply, `Err` an error
//!    reply, so argument parsers and typed getters chain with `?` (the
//!    dispatcher sends either and counts an error as a failed call):
//!
//!    ```ignore
//!    fn strlen(ctx: &mut Ctx<'_>) -> CmdResult {
//!        let key = ctx.arg(1);
//!        let len = ctx.db().get_string(&key)?.map_or(0, |v| v.len());
//!        Ok(Reply::int(len as i64))
//!    }
//!    ```
//!
//!    `ctx.db()` is the client's [`keyspace::Db`]; follow the rules at the
//!    top of `keyspace.rs` (typed getters return the WRONGTYPE reply,
//!    `touched()` after in-place changes, `remove_if_empty()` after
//!    removing elements, `notify()` with the event Redis sends).
//!    `util/args.rs` parses integers, floats, `numkeys` and counts with
//!    Redis's error texts; `util/errors.rs` holds the texts more than one
//!    group answers and the builders for errors that quote input (a text
//!    only one command answers stays next to it); `util/ldouble.rs` is
//!    Redis's `long double` (HINCRBYFLOAT), `commands/scan.rs` the SCAN
//!    family's cursors and options.
//! 4. The dispatcher has already checked the command name, arity,
//!    authentication and MULTI (queueing, `no_multi`): handlers only check
//!    their own options.
//! 5. A blocking command is a handler like any other: it builds a
//!    [`blocking::BlockOp`] (the type it waits for and how a waiter is
//!    served: a closure returning `CmdResult`, with the same core the
//!    non-blocking command uses) and returns `Ok(blocking::block(..))`;
//!    `blocking.rs` never imports the group.
//! 6. After every command (and once after a whole EXEC) [`Engine::after_command`]
//!    drains each database's keyspace events and touched keys: that is
//!    where `delivery.rs` publishes notifications and where clients blocked
//!    on keys are woken (`Db::set_track_touched(true)` while any are
//!    blocked).
//! 7. Time comes from [`Engine::now_ms`] (one clock reading per command),
//!    never from `SystemTime::now()`, so `fast_forward` and frozen clocks
//!    work; randomness from [`Engine::random`], never a generator of its
//!    own, so `MockRedis::seed` reproduces it.
//! 8. Allocation rule: never size an allocation (`with_capacity`,
//!    `reserve`, `vec![x; n]`, `resize`, `repeat`) by a number a client
//!    sent (a count, an offset, a length in a payload) before checking it
//!    against a bound: the data it will hold (`count.min(set.len())`),
//!    `proto-max-bulk-len` (SETRANGE, SETBIT, LCS's table, as Redis checks
//!    them), the bytes left in a payload (RESTORE), or a fixed cap past
//!    which the vector grows as elements come (`count.min(1 << 16)`). Read
//!    several values at once by borrowing them ([`keyspace::Db::value`]
//!    after a counting [`keyspace::Db::get`]), never by cloning a value per
//!    key given; write strings in place ([`types::writable`]).
//! 9. A handler that panics is a bug, but not a crash: [`Engine::execute`]
//!    catches it, answers the client an error, discards a half-run
//!    transaction and keeps the client (so its cleanup runs when it leaves).
//!    Never hold engine state in a half-changed form across code that may
//!    panic when a simple reordering avoids it.

pub(crate) mod acl;
pub(crate) mod blocking;
pub(crate) mod client;
pub(crate) mod clock;
pub(crate) mod cluster;
pub(crate) mod command;
mod command_docs;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod delivery;
mod dispatch;
pub(crate) mod encoding;
pub(crate) mod formats;
pub(crate) mod keyspace;
pub(crate) mod meta;
pub(crate) mod random;
pub(crate) mod stats;
#[cfg(test)]
mod tests;
pub(crate) mod tracking;
pub(crate) mod types;
pub(crate) mod util;

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use bytes::Bytes;

pub(crate) use client::Client;
use clock::Clock;
use command::CommandSpec;
use commands::{
    admin, bitmaps, cluster as cluster_commands, connection, geo, hashes, hyperloglog,
    introspection, keys, lists, pubsub, sets, sort, sorted_sets, streams, strings, transactions,
};
pub(crate) use dispatch::Ctx;
use keyspace::Db;
use stats::Stats;

/// Every command group's table, concatenated into the command table (in
/// this order: `COMMAND` lists commands in it).
pub(crate) const COMMAND_GROUPS: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    commands::client::COMMANDS,
    introspection::COMMANDS,
    introspection::memory::COMMANDS,
    introspection::slowlog::COMMANDS,
    introspection::lolwut::COMMANDS,
    introspection::standalone::COMMANDS,
    cluster_commands::COMMANDS,
    admin::COMMANDS,
    commands::acl::COMMANDS,
    transactions::COMMANDS,
    strings::COMMANDS,
    bitmaps::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    keys::COMMANDS,
    sort::COMMANDS,
    sets::COMMANDS,
    sorted_sets::COMMANDS,
    hyperloglog::COMMANDS,
    geo::COMMANDS,
    streams::COMMANDS,
    pubsub::COMMANDS,
    #[cfg(feature = "scripting")]
    commands::scripting::COMMANDS,
    commands::shutdown::COMMANDS,
    commands::replication::COMMANDS,
    commands::migrate::COMMANDS,
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

/// The whole server state.
///
/// Its larger parts are boxed (statistics, SLOWLOG and LATENCY, client
/// limits, pub/sub, scripting, tracking, CLIENT state, ACL, replication):
/// a script run moves the engine into the Lua state and back
/// (`commands/scripting/lua.rs`), and a smaller `Engine` is a shorter copy
/// each way (1,560 bytes before, about 500 now).
pub(crate) struct Engine {
    pub config: Config,
    pub clients: HashMap<u64, Box<Client>, rustc_hash::FxBuildHasher>,
    next_client_id: u64,
    pub dbs: Vec<Db>,
    pub started: Instant,
    pub stats: Box<Stats>,
    /// SLOWLOG and LATENCY records (which CONFIG RESETSTAT keeps).
    pub diagnostics: Box<stats::Diagnostics>,
    pub run_id: String,
    /// The clock every expiry decision reads (real time unless a test moved it).
    pub clock: Clock,
    /// The clock reading for the current command (Unix ms).
    now_ms: i64,
    /// The real-time reading [`Engine::execute`] took for the command it
    /// runs, which the command's `call` times itself from (one clock
    /// reading per command instead of two).
    call_started_us: Option<i64>,
    /// `CONFIG GET/SET` parameters.
    pub runtime: config::RuntimeConfig,
    /// The encoding thresholds read from `runtime` (see `encoding.rs`).
    encoding_cache: Box<encoding::EncodingCache>,
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
    pub pubsub: Box<delivery::PubSub>,
    /// Clients blocked on keys, per key in blocking order.
    pub blocking: blocking::Blocking,
    /// The `notify-keyspace-events` classes as last set: parsed from the
    /// letters given, since the printed form loses `n` next to `A`.
    pub notify_flags: u32,
    /// Whether the databases queue keyspace events (`notify-keyspace-events`
    /// names `K` or `E`), as last applied by `apply_notify_config`.
    events_on: bool,
    /// The connection limits (`maxclients`, `timeout`, buffer limits,
    /// protected mode) as last read from the configuration.
    pub limits: Box<client::ClientLimits>,
    /// The configuration generation `limits` (and the diagnostic settings)
    /// were read at: [`Engine::apply_client_limits`] reads them again only
    /// once the configuration changed.
    limits_generation: u64,
    /// Lua scripting: the Lua state (created on first use) and the script
    /// cache (`commands/scripting/`).
    #[cfg(feature = "scripting")]
    pub scripting: Box<commands::scripting::Scripting>,
    /// Client-side caching: the invalidation and prefix tables.
    pub tracking: Box<tracking::Tracking>,
    /// CLIENT PAUSE and the MONITOR clients (`commands/client/`).
    pub client_admin: Box<commands::client::State>,
    /// Frames the running command sent to other connections, which its
    /// connection waits to see written before its reply (`delivery.rs`).
    pub awaited_frames: delivery::AwaitedFrames,
    /// ACL users and the ACL log (`acl/`).
    pub acl: Box<acl::Acl>,
    /// SHUTDOWN's signal to the accept loop and the handle.
    pub shutdown: tokio::sync::watch::Sender<commands::shutdown::Phase>,
    /// This engine's node in a cluster (`MockRedisCluster`); `None` for a
    /// standalone server.
    pub cluster: Option<cluster::ClusterView>,
    /// The master side of replication: replicas, offset, the stream
    /// (`commands/replication.rs`).
    pub repl: Box<commands::replication::Replication>,
    /// MIGRATE jobs waiting to leave with their command's outcome
    /// (`commands/migrate.rs`).
    pub migrations: commands::migrate::Pending,
}

impl Engine {
    pub fn new(config: Config) -> Engine {
        let started_wall = SystemTime::now();
        let nanos = started_wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        // The one wall-clock reading of the start (databases, LASTSAVE).
        let started_ms = i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX);
        // Forty hex digits, least significant first: the digits that
        // differ from one server to the next lead.
        let seed = nanos ^ (std::process::id() as u128) << 64;
        let run_id = (0..40)
            .map(|i| {
                let nibble = if i < 32 { (seed >> (4 * i)) & 0xf } else { 0 };
                char::from_digit(nibble as u32, 16).unwrap_or('0')
            })
            .collect();
        let mut engine = Engine {
            config,
            clients: HashMap::default(),
            next_client_id: 1,
            dbs: (0..DATABASES).map(|id| Db::at(id, started_ms)).collect(),
            started: Instant::now(),
            stats: Box::default(),
            diagnostics: Box::default(),
            run_id,
            clock: Clock::new(),
            now_ms: 0,
            call_started_us: None,
            random: random::Rng::default(),
            runtime: config::RuntimeConfig::default(),
            encoding_cache: Box::default(),
            lastsave: started_ms / 1000,
            dirty_at_save: 0,
            saves: 0,
            #[cfg(test)]
            event_log: Vec::new(),
            pubsub: Box::default(),
            blocking: blocking::Blocking::default(),
            notify_flags: 0,
            events_on: false,
            limits: Box::default(),
            limits_generation: 0,
            #[cfg(feature = "scripting")]
            scripting: Default::default(),
            tracking: Box::default(),
            client_admin: Box::default(),
            awaited_frames: delivery::AwaitedFrames::default(),
            acl: Box::default(),
            shutdown: commands::shutdown::channel(),
            cluster: None,
            repl: Box::new(commands::replication::Replication::new(String::new())),
            migrations: Default::default(),
        };
        engine.seed_runtime_config();
        engine.apply_client_limits();
        engine.repl.replid = engine.run_id.clone();
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
    /// every database, and times out every blocked client past its
    /// deadline (Redis's `clientsCron`). The server's accept loop calls it
    /// every 100 ms (as Redis's `serverCron` does at `hz 10`);
    /// `fast_forward` and `set_time` call it at once.
    pub(crate) fn active_expire_cycle(&mut self) {
        self.refresh_time();
        if !self.diagnostics.active_expire_disabled {
            for db in &mut self.dbs {
                db.expire_due();
            }
        }
        blocking::time_out_due(self);
        commands::client::end_pause_if_due(self);
        self.close_idle_clients();
        self.after_command();
        commands::replication::cron(self);
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
        self.events_on = mask != 0;
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
        *self.stats = Stats::default();
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
        let pass = self.config.requirepass.clone();
        self.acl_update_default_password(pass.as_deref());
    }

    /// Applies a changed `requirepass`: it becomes the default user's
    /// only password (empty: `nopass`), as Redis's
    /// `ACLUpdateDefaultUserPassword`; unchanged, the default user keeps
    /// what `ACL SETUSER` gave it.
    pub fn apply_requirepass(&mut self) {
        let pass = self.config_str("requirepass").unwrap_or("").to_string();
        let pass = (!pass.is_empty()).then(|| Bytes::from(pass));
        if pass == self.config.requirepass {
            return;
        }
        self.config.requirepass = pass;
        let pass = self.config.requirepass.clone();
        self.acl_update_default_password(pass.as_deref());
    }

    /// Takes one clock reading and hands it to every database, so all
    /// expiry decisions within a command (or a whole EXEC) agree, as Redis
    /// 7.0 caches the time for the duration of a call. Returns it (Unix ms).
    pub fn refresh_time(&mut self) -> i64 {
        self.refresh_time_at(clock::real_us())
    }

    /// [`Engine::refresh_time`] from a real-time reading the caller took
    /// ([`clock::real_us`]).
    fn refresh_time_at(&mut self, real_us: i64) -> i64 {
        let now = self.clock.now_ms_at(real_us);
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
        // The databases queue events and touched keys only while
        // notifications are configured or a client waits on a key: without
        // either, no pass over them; with either, nothing queued is still
        // the common case.
        let queued = |engine: &Engine| {
            engine
                .dbs
                .iter()
                .any(|db| db.has_events() || db.has_touched())
        };
        let may_queue = self.events_on || self.blocking.any_waiters();
        debug_assert!(may_queue || !queued(self));
        if !may_queue || !queued(self) {
            tracking::process_writes(self);
            return;
        }
        loop {
            delivery::publish_events(self, None);
            if !blocking::serve_ready(self) {
                break;
            }
        }
        tracking::process_writes(self);
    }
}
