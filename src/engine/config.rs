//! Runtime configuration: the parameters `CONFIG GET/SET` read and write
//! (every one Redis 7.0 reports), with their defaults, aliases, types and
//! error texts. The CONFIG commands themselves are in `commands/admin.rs`;
//! a new parameter goes in `DEFAULTS` (and `ENUMS`, `MEMORY` or
//! `IMMUTABLE` as its type requires), and a parameter the engine acts on
//! gets an `Engine::apply_*` call where CONFIG SET applies it.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::keyspace::events;
use super::util::errors::config_set_failed;

/// Redis 7.0.15's parameters and defaults (as `CONFIG GET *` reports them
/// for a server started without a configuration file), except for `port`,
/// `dir`, `bind` and `daemonize`, which describe this process, and
/// `enable-debug-command`: `local` in the library, so a test's own
/// (loopback) connections may run DEBUG; the `mock-redis` binary sets
/// Redis's `no` unless told otherwise (`MockRedis::set_enable_debug_command`).
const DEFAULTS: &[(&str, &str)] = &[
    ("acl-pubsub-default", "resetchannels"),
    ("aclfile", ""),
    ("acllog-max-len", "128"),
    ("active-defrag-cycle-max", "25"),
    ("active-defrag-cycle-min", "1"),
    ("active-defrag-ignore-bytes", "104857600"),
    ("active-defrag-max-scan-fields", "1000"),
    ("active-defrag-threshold-lower", "10"),
    ("active-defrag-threshold-upper", "100"),
    ("active-expire-effort", "1"),
    ("activedefrag", "no"),
    ("activerehashing", "yes"),
    ("always-show-logo", "no"),
    ("aof-disable-auto-gc", "no"),
    ("aof-load-truncated", "yes"),
    ("aof-rewrite-incremental-fsync", "yes"),
    ("aof-timestamp-enabled", "no"),
    ("aof-use-rdb-preamble", "yes"),
    ("aof_rewrite_cpulist", ""),
    ("appenddirname", "appendonlydir"),
    ("appendfilename", "appendonly.aof"),
    ("appendfsync", "everysec"),
    ("appendonly", "no"),
    ("auto-aof-rewrite-min-size", "67108864"),
    ("auto-aof-rewrite-percentage", "100"),
    ("bgsave_cpulist", ""),
    ("bind", "127.0.0.1"),
    ("bind-source-addr", ""),
    ("bio_cpulist", ""),
    ("busy-reply-threshold", "5000"),
    (
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    ("client-query-buffer-limit", "1073741824"),
    ("cluster-allow-pubsubshard-when-down", "yes"),
    ("cluster-allow-reads-when-down", "no"),
    ("cluster-allow-replica-migration", "yes"),
    ("cluster-announce-bus-port", "0"),
    ("cluster-announce-hostname", ""),
    ("cluster-announce-ip", ""),
    ("cluster-announce-port", "0"),
    ("cluster-announce-tls-port", "0"),
    ("cluster-config-file", "nodes.conf"),
    ("cluster-enabled", "no"),
    ("cluster-link-sendbuf-limit", "0"),
    ("cluster-migration-barrier", "1"),
    ("cluster-node-timeout", "15000"),
    ("cluster-port", "0"),
    ("cluster-preferred-endpoint-type", "ip"),
    ("cluster-replica-no-failover", "no"),
    ("cluster-replica-validity-factor", "10"),
    ("cluster-require-full-coverage", "yes"),
    ("cluster-slave-no-failover", "no"),
    ("cluster-slave-validity-factor", "10"),
    ("crash-log-enabled", "yes"),
    ("crash-memcheck-enabled", "yes"),
    ("daemonize", "no"),
    ("databases", "16"),
    ("dbfilename", "dump.rdb"),
    ("dir", ""),
    ("disable-thp", "yes"),
    ("dynamic-hz", "yes"),
    ("enable-debug-command", "local"),
    ("enable-module-command", "no"),
    ("enable-protected-configs", "no"),
    ("hash-max-listpack-entries", "512"),
    ("hash-max-listpack-value", "64"),
    ("hash-max-ziplist-entries", "512"),
    ("hash-max-ziplist-value", "64"),
    ("hll-sparse-max-bytes", "3000"),
    ("hz", "10"),
    ("ignore-warnings", ""),
    ("io-threads", "1"),
    ("io-threads-do-reads", "no"),
    ("jemalloc-bg-thread", "yes"),
    ("latency-monitor-threshold", "0"),
    ("latency-tracking", "yes"),
    ("latency-tracking-info-percentiles", "50 99 99.9"),
    ("lazyfree-lazy-eviction", "no"),
    ("lazyfree-lazy-expire", "no"),
    ("lazyfree-lazy-server-del", "no"),
    ("lazyfree-lazy-user-del", "no"),
    ("lazyfree-lazy-user-flush", "no"),
    ("lfu-decay-time", "1"),
    ("lfu-log-factor", "10"),
    ("list-compress-depth", "0"),
    ("list-max-listpack-size", "-2"),
    ("list-max-ziplist-size", "-2"),
    ("logfile", ""),
    ("loglevel", "notice"),
    ("masterauth", ""),
    ("masteruser", ""),
    ("maxclients", "10000"),
    ("maxmemory", "0"),
    ("maxmemory-clients", "0"),
    ("maxmemory-eviction-tenacity", "10"),
    ("maxmemory-policy", "noeviction"),
    ("maxmemory-samples", "5"),
    ("min-replicas-max-lag", "10"),
    ("min-replicas-to-write", "0"),
    ("min-slaves-max-lag", "10"),
    ("min-slaves-to-write", "0"),
    ("no-appendfsync-on-rewrite", "no"),
    ("notify-keyspace-events", ""),
    ("oom-score-adj", "no"),
    ("oom-score-adj-values", "0 200 800"),
    ("pidfile", ""),
    ("port", "0"),
    ("proc-title-template", "{title} {listen-addr} {server-mode}"),
    ("propagation-error-behavior", "ignore"),
    ("protected-mode", "yes"),
    ("proto-max-bulk-len", "536870912"),
    ("rdb-del-sync-files", "no"),
    ("rdb-save-incremental-fsync", "yes"),
    ("rdbchecksum", "yes"),
    ("rdbcompression", "yes"),
    ("repl-backlog-size", "1048576"),
    ("repl-backlog-ttl", "3600"),
    ("repl-disable-tcp-nodelay", "no"),
    ("repl-diskless-load", "disabled"),
    ("repl-diskless-sync", "yes"),
    ("repl-diskless-sync-delay", "5"),
    ("repl-diskless-sync-max-replicas", "0"),
    ("repl-ping-replica-period", "10"),
    ("repl-ping-slave-period", "10"),
    ("repl-timeout", "60"),
    ("replica-announce-ip", ""),
    ("replica-announce-port", "0"),
    ("replica-announced", "yes"),
    ("replica-ignore-disk-write-errors", "no"),
    ("replica-ignore-maxmemory", "yes"),
    ("replica-lazy-flush", "no"),
    ("replica-priority", "100"),
    ("replica-read-only", "yes"),
    ("replica-serve-stale-data", "yes"),
    ("replicaof", ""),
    ("requirepass", ""),
    ("sanitize-dump-payload", "no"),
    ("save", ""),
    ("server_cpulist", ""),
    ("set-max-intset-entries", "512"),
    ("set-proc-title", "yes"),
    ("shutdown-on-sigint", "default"),
    ("shutdown-on-sigterm", "default"),
    ("shutdown-timeout", "10"),
    ("slave-announce-ip", ""),
    ("slave-announce-port", "0"),
    ("slave-ignore-maxmemory", "yes"),
    ("slave-lazy-flush", "no"),
    ("slave-priority", "100"),
    ("slave-read-only", "yes"),
    ("slave-serve-stale-data", "yes"),
    ("slaveof", ""),
    ("slowlog-log-slower-than", "10000"),
    ("slowlog-max-len", "128"),
    ("socket-mark-id", "0"),
    ("stop-writes-on-bgsave-error", "yes"),
    ("stream-node-max-bytes", "4096"),
    ("stream-node-max-entries", "100"),
    ("supervised", "no"),
    ("syslog-enabled", "no"),
    ("syslog-facility", "local0"),
    ("syslog-ident", "redis"),
    ("tcp-backlog", "511"),
    ("tcp-keepalive", "300"),
    ("timeout", "0"),
    ("tls-auth-clients", "yes"),
    ("tls-ca-cert-dir", ""),
    ("tls-ca-cert-file", ""),
    ("tls-cert-file", ""),
    ("tls-ciphers", ""),
    ("tls-ciphersuites", ""),
    ("tls-client-cert-file", ""),
    ("tls-client-key-file", ""),
    ("tls-client-key-file-pass", ""),
    ("tls-cluster", "no"),
    ("tls-dh-params-file", ""),
    ("tls-key-file", ""),
    ("tls-key-file-pass", ""),
    ("tls-port", "0"),
    ("tls-prefer-server-ciphers", "no"),
    ("tls-protocols", ""),
    ("tls-replication", "no"),
    ("tls-session-cache-size", "20480"),
    ("tls-session-cache-timeout", "300"),
    ("tls-session-caching", "yes"),
    ("tracking-table-max-keys", "1000000"),
    ("unixsocket", ""),
    ("unixsocketperm", "0"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("zset-max-ziplist-entries", "128"),
    ("zset-max-ziplist-value", "64"),
];

/// Old names that Redis keeps as aliases of the current ones.
const ALIASES: &[(&str, &str)] = &[
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("slave-read-only", "replica-read-only"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slave-priority", "replica-priority"),
    ("slave-lazy-flush", "replica-lazy-flush"),
    ("slave-ignore-maxmemory", "replica-ignore-maxmemory"),
    ("slave-announce-ip", "replica-announce-ip"),
    ("slave-announce-port", "replica-announce-port"),
    ("masterauth", "masterauth"),
    ("lua-time-limit", "busy-reply-threshold"),
];

#[path = "config_table.rs"]
mod table;

/// A parameter's type, bounds and flags, as Redis 7.0's `standardConfig`
/// table declares them (`config_table.rs` lists every parameter's).
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `IMMUTABLE_CONFIG`: `can't set immutable config`.
    Immutable,
    /// `PROTECTED_CONFIG` (`dir`, `dbfilename`): `can't set protected config`.
    Protected,
    /// `yes` or `no`.
    Bool,
    /// One of these names (in the order Redis lists them in its error).
    Enum(&'static [&'static str]),
    /// An integer (`string2ll`) within these bounds, inclusive.
    Int(i64, i64),
    /// A byte count (`memtoull`: units accepted) within these bounds.
    Memory(i64, i64),
    /// An unsigned byte count, any value (`maxmemory`).
    UnsignedMemory,
    /// Any text.
    Text,
    /// Redis has a setter of its own: validated in [`set_special`].
    Special,
}

fn kind_of(name: &str) -> Kind {
    table::KINDS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .map_or(Kind::Text, |i| table::KINDS[i].1)
}

/// Redis's `memtoull`: digits and an optional unit (`b`, `k`, `kb`, `m`,
/// `mb`, `g`, `gb`, any case); no sign; no digits reads as 0; an overflow
/// saturates (as `strtoull`) and the unit multiplies with wrap-around (as
/// C's unsigned arithmetic).
pub(crate) fn memtoull(v: &str) -> Option<u64> {
    if v.starts_with('-') {
        return None;
    }
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let n = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(n.wrapping_mul(mul))
}

/// C's `strtoll` over a whole argument: leading white space, a sign,
/// digits (saturating on overflow); `None` when anything follows them.
/// An empty argument reads as 0, as `strtoll` does.
fn strtoll_whole(v: &str) -> Option<i64> {
    let t = v.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        // No conversion: the end pointer stays at the start, so only an
        // empty argument is "whole".
        return v.is_empty().then_some(0);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mag = digits.parse::<i128>().unwrap_or(i128::MAX);
    let v = if neg { -mag } else { mag };
    Some(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// The client classes of `client-output-buffer-limit`, in Redis's order.
const BUFFER_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Redis's own setters (`save`, `client-output-buffer-limit`, ...):
/// validates `value` and returns the text `CONFIG GET` reports after it.
fn set_special(key: &str, value: &str, current: &str) -> Result<String, String> {
    let args: Vec<&str> = if value.is_empty() {
        Vec::new()
    } else {
        value.split(' ').collect()
    };
    match key {
        "save" => {
            const BAD: &str = "Invalid save parameters";
            if args.len() % 2 != 0 {
                return Err(BAD.into());
            }
            let mut out = Vec::new();
            for (j, a) in args.iter().enumerate() {
                let v = strtoll_whole(a).ok_or(BAD)?;
                if (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
                    return Err(BAD.into());
                }
                out.push(if j % 2 == 0 {
                    v.to_string()
                } else {
                    (v as i32).to_string()
                });
            }
            Ok(out.join(" "))
        }
        "client-output-buffer-limit" => {
            if args.len() % 4 != 0 {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut limits: Vec<[String; 3]> = BUFFER_CLASSES
                .iter()
                .map(|class| {
                    let words: Vec<&str> = current.split(' ').collect();
                    let at = words.iter().position(|w| w == class).unwrap_or(words.len());
                    let get = |i: usize| words.get(at + i).copied().unwrap_or("0").to_string();
                    [get(1), get(2), get(3)]
                })
                .collect();
            for quad in args.chunks(4) {
                let class = match quad[0].to_ascii_lowercase().as_str() {
                    "normal" => 0,
                    "slave" | "replica" => 1,
                    "pubsub" => 2,
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        );
                    }
                };
                let bad = || {
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .to_string()
                };
                let hard = memtoull(quad[1]).ok_or_else(bad)?;
                let soft = memtoull(quad[2]).ok_or_else(bad)?;
                let secs = strtoll_whole(quad[3]).filter(|s| *s >= 0).ok_or_else(bad)?;
                limits[class] = [hard.to_string(), soft.to_string(), secs.to_string()];
            }
            Ok(BUFFER_CLASSES
                .iter()
                .zip(&limits)
                .map(|(c, [h, s, t])| format!("{c} {h} {s} {t}"))
                .collect::<Vec<_>>()
                .join(" "))
        }
        "maxmemory-clients" => {
            const BAD: &str = "argument must be a memory or percent value";
            let v: i64 = if value.len() > 1 && value.ends_with('%') {
                match crate::protocol::string2ll(&value.as_bytes()[..value.len() - 1]) {
                    Some(p) if p >= 0 => -p,
                    _ => return Err(BAD.into()),
                }
            } else {
                memtoull(value).ok_or(BAD)? as i64
            };
            if v < -100 {
                return Err("percentage argument must be less or equal to 100".into());
            }
            Ok(if v < 0 {
                format!("{}%", -v)
            } else {
                v.to_string()
            })
        }
        "oom-score-adj-values" => {
            if args.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let values = args
                .iter()
                .map(|a| strtoll_whole(a).filter(|v| (-2000..=2000).contains(v)))
                .collect::<Option<Vec<i64>>>()
                .ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?;
            Ok(values
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(" "))
        }
        "latency-tracking-info-percentiles" => {
            let mut out = Vec::new();
            for a in &args {
                let v = crate::engine::util::args::parse_strtod(a.as_bytes())
                    .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(
                        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                            .into(),
                    );
                }
                out.push(v.to_string());
            }
            Ok(out.join(" "))
        }
        "proc-title-template" => {
            const VARS: &[&str] = &[
                "title",
                "listen-addr",
                "server-mode",
                "port",
                "tls-port",
                "unixsocket",
                "config-file",
            ];
            let mut rest = value;
            let mut ok = !value.is_empty();
            while ok {
                match (rest.find('{'), rest.find('}')) {
                    (None, None) => break,
                    (Some(open), Some(close)) if open < close => {
                        ok = VARS.contains(&&rest[open + 1..close]);
                        rest = &rest[close + 1..];
                    }
                    _ => ok = false,
                }
            }
            if !ok {
                return Err("template format is invalid or contains unknown variables".into());
            }
            Ok(value.to_string())
        }
        "cluster-announce-hostname" => {
            if !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                return Err(
                    "Hostnames may only contain alphanumeric characters, hyphens or dots".into(),
                );
            }
            Ok(value.to_string())
        }
        "notify-keyspace-events" => {
            let flags = parse_notify_flags(value)
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            Ok(notify_flags_string(flags))
        }
        _ => Ok(value.to_string()),
    }
}

/// The live configuration: the parameters written since the start over
/// the process-wide [`defaults`].
#[derive(Clone, Debug)]
pub(crate) struct RuntimeConfig {
    /// The parameters set since the start (CONFIG SET, the bound port, the
    /// builder's options), by canonical name; the others have their
    /// default.
    changed: BTreeMap<&'static str, String>,
    /// Changes with every write, and differs between configurations built
    /// separately: a value read from the configuration may be cached
    /// against it (the engine's encoding thresholds are).
    generation: u64,
}

/// The source of [`RuntimeConfig`] generations, unique in the process.
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for RuntimeConfig {
    fn default() -> RuntimeConfig {
        RuntimeConfig {
            changed: BTreeMap::new(),
            generation: next_generation(),
        }
    }
}

/// Every parameter with its default, sorted by name: built once per
/// process and shared by every server's [`RuntimeConfig`], so that
/// starting a server copies no table (the defaults were most of a start's
/// cost when each server built its own map).
fn defaults() -> &'static BTreeMap<&'static str, &'static str> {
    static TABLE: std::sync::OnceLock<BTreeMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| DEFAULTS.iter().copied().collect())
}

fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, real)| real)
}

/// `notify-keyspace-events` flags from their letters; `None` on a bad letter.
pub(crate) fn parse_notify_flags(v: &str) -> Option<u32> {
    let mut flags = 0;
    for c in v.chars() {
        flags |= match c {
            'A' => events::ALL,
            'g' => events::GENERIC,
            '$' => events::STRING,
            'l' => events::LIST,
            's' => events::SET,
            'h' => events::HASH,
            'z' => events::ZSET,
            'x' => events::EXPIRED,
            'e' => events::EVICTED,
            'K' => events::KEYSPACE,
            'E' => events::KEYEVENT,
            't' => events::STREAM,
            'm' => events::KEY_MISS,
            'd' => events::MODULE,
            'n' => events::NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The letters Redis prints for `notify-keyspace-events` flags.
pub(crate) fn notify_flags_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & events::ALL == events::ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (events::GENERIC, 'g'),
            (events::STRING, '$'),
            (events::LIST, 'l'),
            (events::SET, 's'),
            (events::HASH, 'h'),
            (events::ZSET, 'z'),
            (events::EXPIRED, 'x'),
            (events::EVICTED, 'e'),
            (events::STREAM, 't'),
            (events::MODULE, 'd'),
            (events::NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [
        (events::KEYSPACE, 'K'),
        (events::KEYEVENT, 'E'),
        (events::KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

impl RuntimeConfig {
    /// Changes whenever a parameter is written (see the field).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The value of a parameter (aliases accepted).
    pub fn get(&self, name: &str) -> Option<&str> {
        let key = canonical(name);
        match self.changed.get(key) {
            Some(value) => Some(value.as_str()),
            None => defaults().get(key).copied(),
        }
    }

    /// An integer (or memory) parameter.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.parse().ok())
    }

    /// What `CONFIG GET` answers for `patterns`: a parameter named exactly
    /// (case-insensitively) is reported under the name as given; a glob
    /// (case-insensitive) reports every matching name, aliases included.
    /// Each parameter appears once.
    pub fn matching(&self, patterns: &[Bytes]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let names: Vec<&str> = defaults()
            .keys()
            .copied()
            .chain(ALIASES.iter().map(|(a, _)| *a))
            .collect();
        for p in patterns {
            let is_glob = p.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
            if !is_glob {
                let given = String::from_utf8_lossy(p).into_owned();
                let lower = given.to_ascii_lowercase();
                if let Some(v) = self.get(&lower) {
                    if seen.insert(canonical(&lower).to_string()) {
                        out.push((given, v.to_string()));
                    }
                }
                continue;
            }
            for name in &names {
                if crate::glob::glob_match_nocase(p, name.as_bytes())
                    && seen.insert(name.to_string())
                {
                    if let Some(v) = self.get(name) {
                        out.push((name.to_string(), v.to_string()));
                    }
                }
            }
        }
        out
    }

    /// Stores a parameter CONFIG SET may not change (the bound port).
    pub fn set_fixed(&mut self, name: &str, value: &str) -> Result<(), String> {
        let key = canonical(name);
        let Some((&stored_name, _)) = defaults().get_key_value(key) else {
            return Err(format!("unknown parameter {name}"));
        };
        self.generation = next_generation();
        self.changed.insert(stored_name, value.to_string());
        Ok(())
    }

    /// Validates and stores one parameter, with Redis's error texts.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let lower = name.to_ascii_lowercase();
        let key = canonical(&lower);
        let Some((&stored_name, &default)) = defaults().get_key_value(key) else {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            ));
        };
        let current = self.changed.get(key).map_or(default, String::as_str);
        let fail = |why: &str| config_set_failed(&lower, why);

        let canonical_value = match kind_of(key) {
            Kind::Immutable => return Err(fail("can't set immutable config")),
            Kind::Protected => return Err(fail("can't set protected config")),
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                v @ ("yes" | "no") => v.to_string(),
                _ => return Err(fail("argument must be 'yes' or 'no'")),
            },
            Kind::Enum(options) => {
                let v = value.to_ascii_lowercase();
                if !options.contains(&v.as_str()) {
                    return Err(fail(&format!(
                        "argument(s) must be one of the following: {}",
                        options.join(", ")
                    )));
                }
                v
            }
            Kind::Int(min, max) => {
                let v = crate::protocol::string2ll(value.as_bytes())
                    .ok_or_else(|| fail("argument couldn't be parsed into an integer"))?;
                if !(min..=max).contains(&v) {
                    return Err(fail(&format!(
                        "argument must be between {min} and {max} inclusive"
                    )));
                }
                v.to_string()
            }
            Kind::Memory(min, max) => {
                // Stored in a signed `long long`: past 2^63 it reads negative.
                let v =
                    memtoull(value).ok_or_else(|| fail("argument must be a memory value"))? as i64;
                if !(min..=max).contains(&v) {
                    return Err(fail(&format!(
                        "argument must be between {min} and {max} inclusive"
                    )));
                }
                v.to_string()
            }
            Kind::UnsignedMemory => memtoull(value)
                .ok_or_else(|| fail("argument must be a memory value"))?
                .to_string(),
            Kind::Text => value.to_string(),
            Kind::Special => set_special(key, value, current).map_err(|why| fail(&why))?,
        };
        self.generation = next_generation();
        self.changed.insert(stored_name, canonical_value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units_and_aliases() {
        let mut c = RuntimeConfig::default();
        c.set("maxmemory", "10mb").unwrap();
        assert_eq!(c.get("maxmemory"), Some("10485760"));
        c.set("hash-max-ziplist-entries", "100").unwrap();
        assert_eq!(c.get_int("hash-max-listpack-entries"), Some(100));
        assert!(c.set("appendonly", "maybe").is_err());
        assert!(c.set("nosuch", "1").unwrap_err().contains("Unknown option"));
        c.set("notify-keyspace-events", "KEA").unwrap();
        assert_eq!(c.get("notify-keyspace-events"), Some("AKE"));
    }
}
