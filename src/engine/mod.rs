//! The in-memory Redis engine: connection state (`client.rs`), the dispatch
//! path (`dispatch.rs`), the command table and one module per command group.
//!
//! All state lives in one [`Engine`] behind one lock. A connection's session
//! (`src/session/`) runs with it held, once for a whole pipelined run of
//! commands and never across an `.await`, so every command runs atomically,
//! as it does in single-threaded Redis.
//!
//! # Adding a command group
//!
//! 1. A module with `pub(crate) const COMMANDS: &[CommandSpec]`, listed in
//!    [`COMMAND_GROUPS`]. Take each entry's arity, flags, ACL categories,
//!    key range, tips and docs from redis-server 7.0's `COMMAND INFO` /
//!    `COMMAND DOCS`; add `.key_specs(..)` where Redis reports more than one
//!    key spec, notes, or keyword/keynum searches, and `.getkeys(..)` for
//!    `movablekeys` commands (see `keys.rs`: SORT).
//! 2. Handlers get a [`Ctx`]: `ctx.db()` is the client's [`keyspace::Db`];
//!    follow the rules at the top of `keyspace.rs` (typed getters return
//!    the WRONGTYPE reply, `touched()` after in-place changes,
//!    `remove_if_empty()` after removing elements, `notify()` with the
//!    event Redis sends). `args.rs` parses integers and floats with Redis's
//!    error texts; `ldouble.rs` is Redis's `long double` (HINCRBYFLOAT).
//! 3. The dispatcher has already checked the command name, arity,
//!    authentication and MULTI (queueing, `no_multi`): handlers only check
//!    their own options.
//! 4. After every command (and once after a whole EXEC) [`Engine::after_command`]
//!    drains each database's keyspace events and touched keys: that is
//!    where pub/sub publishes notifications and where clients blocked on
//!    keys are woken (`Db::set_track_touched(true)` while any are blocked).
//! 5. Time comes from [`Engine::now_ms`] (one clock reading per command),
//!    never from `SystemTime::now()`, so `fast_forward` and frozen clocks
//!    work.

pub(crate) mod args;
pub(crate) mod blocking;
mod client;
pub(crate) mod clock;
pub(crate) mod command;
pub(crate) mod config;
mod connection;
mod dispatch;
mod hashes;
pub(crate) mod keys;
pub(crate) mod keyspace;
pub(crate) mod ldouble;
pub(crate) mod lists;
pub(crate) mod pubsub;
pub(crate) mod random;
mod server;
pub(crate) mod sets;
pub(crate) mod sorted_sets;
mod strings;
#[cfg(test)]
mod tests;
mod transactions;
pub(crate) mod zset;

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use crate::protocol::Reply;
pub(crate) use client::Client;
use clock::Clock;
use command::{CommandName, CommandSpec};
pub(crate) use dispatch::Ctx;
use keyspace::Db;

/// Every command group's table, concatenated into the command table.
pub(crate) const COMMAND_GROUPS: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    server::COMMANDS,
    transactions::COMMANDS,
    strings::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    keys::COMMANDS,
    sets::COMMANDS,
    sorted_sets::COMMANDS,
    pubsub::COMMANDS,
    blocking::COMMANDS,
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

/// Statistics `INFO stats` reports.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub total_error_replies: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// Error replies by their code (`ERR`, `WRONGTYPE`, ...), for `INFO errorstats`.
    pub errors: std::collections::BTreeMap<String, u64>,
    /// Per-command counters, for `INFO commandstats`.
    pub commands: HashMap<CommandName, CommandStats, rustc_hash::FxBuildHasher>,
}

/// One command's `INFO commandstats` counters.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CommandStats {
    pub calls: u64,
    pub rejected: u64,
    pub failed: u64,
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
    rng: u64,
    /// The seeded random source behind HRANDFIELD, SPOP, SRANDMEMBER and
    /// ZRANDMEMBER (random.rs); a future `server.seed(n)` reseeds it with
    /// `random::Rng::seed`.
    pub random: random::Rng,
    /// Every keyspace event the databases queued (unit tests only).
    #[cfg(test)]
    pub event_log: Vec<(usize, keyspace::KeyEvent)>,
    /// Channel and pattern subscriptions, and what clients published.
    pub pubsub: pubsub::PubSub,
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
            rng: (nanos as u64) | 1,
            #[cfg(test)]
            event_log: Vec::new(),
            pubsub: pubsub::PubSub::default(),
            blocking: blocking::Blocking::default(),
            notify_flags: 0,
        };
        engine.seed_runtime_config();
        engine
    }

    /// A pseudo-random number (xorshift), for RANDOMKEY and friends.
    pub fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
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
            db.set_lfu(lfu.then_some(factor));
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
            pubsub::publish_events(self, None);
            if !blocking::serve_ready(self) {
                break;
            }
        }
    }
}

/// An error built from user input: line breaks become spaces, as Redis ensures.
fn rejected(msg: std::fmt::Arguments<'_>) -> Reply {
    one_line_error(format!("ERR {msg}").into_bytes())
}

/// An error reply from raw text, with `\r` and `\n` mapped to spaces.
pub(crate) fn one_line_error(mut text: Vec<u8>) -> Reply {
    for b in &mut text {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    Reply::Error(Bytes::from(text))
}

/// Redis 7.0's reply to an unknown command: the name and the first arguments,
/// each cut at a NUL byte and 128 bytes in all, as its `sdscatprintf` does.
fn unknown_command(args: &[Bytes]) -> Reply {
    let mut listed = Vec::new();
    for arg in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push(b'\'');
        listed.extend_from_slice(c_bytes(arg, room));
        listed.extend_from_slice(b"' ");
    }
    let mut text = b"ERR unknown command '".to_vec();
    text.extend_from_slice(c_bytes(&args[0], 128));
    text.extend_from_slice(b"', with args beginning with: ");
    text.extend_from_slice(&listed);
    one_line_error(text)
}

/// `%.<max>s` of a C string: up to the first NUL, at most `max` bytes.
fn c_bytes(arg: &[u8], max: usize) -> &[u8] {
    let end = arg
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(arg.len())
        .min(max);
    &arg[..end]
}
