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
    ("lua-time-limit", "5000"),
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
];

/// Parameters that cannot change at runtime.
const IMMUTABLE: &[&str] = &[
    "databases",
    "daemonize",
    "io-threads",
    "io-threads-do-reads",
    "port",
    "bind",
    "unixsocket",
    "unixsocketperm",
    "logfile",
    "pidfile",
    "supervised",
    "syslog-enabled",
    "syslog-ident",
    "syslog-facility",
    "cluster-enabled",
    "cluster-config-file",
    "aclfile",
    "always-show-logo",
    "enable-debug-command",
    "enable-module-command",
    "enable-protected-configs",
    "protected-mode",
    "tcp-backlog",
    "set-proc-title",
    "proc-title-template",
    "disable-thp",
];

/// Parameters holding a byte count (accepting `kb`, `mb`, `gb` units).
const MEMORY: &[&str] = &[
    "maxmemory",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "repl-backlog-size",
    "auto-aof-rewrite-min-size",
    "active-defrag-ignore-bytes",
    "stream-node-max-bytes",
    "hash-max-listpack-value",
    "zset-max-listpack-value",
    "maxmemory-clients",
];

const ENUMS: &[(&str, &[&str])] = &[
    (
        "maxmemory-policy",
        &[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ],
    ),
    ("appendfsync", &["always", "everysec", "no"]),
    ("loglevel", &["debug", "verbose", "notice", "warning"]),
];

/// The live configuration.
#[derive(Clone, Debug)]
pub(crate) struct RuntimeConfig {
    values: BTreeMap<&'static str, String>,
}

impl Default for RuntimeConfig {
    fn default() -> RuntimeConfig {
        RuntimeConfig {
            values: DEFAULTS
                .iter()
                .map(|(k, v)| (*k, (*v).to_string()))
                .collect(),
        }
    }
}

fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, real)| real)
}

/// A memory value as Redis's `memtoull`: digits with an optional unit.
pub(crate) fn parse_memory(v: &str) -> Option<i64> {
    let lower = v.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit() && c != '-')
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let mul: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<i64>().ok()?.checked_mul(mul)
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
    /// The value of a parameter (aliases accepted).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(canonical(name)).map(String::as_str)
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
        let names: Vec<&str> = self
            .values
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
        let Some((&stored_name, _)) = self.values.get_key_value(key) else {
            return Err(format!("unknown parameter {name}"));
        };
        self.values.insert(stored_name, value.to_string());
        Ok(())
    }

    /// Validates and stores one parameter, with Redis's error texts.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let lower = name.to_ascii_lowercase();
        let key = canonical(&lower);
        let Some((&stored_name, current)) = self.values.get_key_value(key) else {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            ));
        };
        let fail = |why: &str| config_set_failed(&lower, why);

        if IMMUTABLE.contains(&key) {
            return Err(fail("can't set immutable config"));
        }
        let canonical_value = if MEMORY.contains(&key) {
            parse_memory(value)
                .ok_or_else(|| fail("argument must be a memory value"))?
                .to_string()
        } else if let Some((_, options)) = ENUMS.iter().find(|(n, _)| *n == key) {
            let v = value.to_ascii_lowercase();
            if !options.contains(&v.as_str()) {
                return Err(fail(&format!(
                    "argument(s) must be one of the following: {}",
                    options.join(", ")
                )));
            }
            v
        } else if key == "notify-keyspace-events" {
            let flags = parse_notify_flags(value)
                .ok_or_else(|| fail("Invalid event class character. Use 'Ag$lshzxeKEtmdn'."))?;
            notify_flags_string(flags)
        } else if current == "yes" || current == "no" {
            match value.to_ascii_lowercase().as_str() {
                v @ ("yes" | "no") => v.to_string(),
                _ => return Err(fail("argument must be 'yes' or 'no'")),
            }
        } else if current.parse::<i64>().is_ok() {
            value
                .parse::<i64>()
                .map_err(|_| fail("argument couldn't be parsed into an integer"))?
                .to_string()
        } else {
            value.to_string()
        };
        self.values.insert(stored_name, canonical_value);
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
