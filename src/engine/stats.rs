//! The counters `INFO stats`, `INFO errorstats` and `INFO commandstats`
//! report, and `CONFIG RESETSTAT` clears. The dispatcher bumps them; a
//! per-database counter (keyspace hits, misses, expired keys) lives in the
//! database instead (`keyspace::DbStats`).
//!
//! [`Diagnostics`] holds what `CONFIG RESETSTAT` leaves alone: the SLOWLOG
//! and the LATENCY monitor's events (`commands/introspection/slowlog.rs`
//! records and reports them).

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;

use super::command::CommandName;

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
    /// Per-command counters and latency histograms, for `INFO
    /// commandstats`, `INFO latencystats` and `LATENCY HISTOGRAM` (one
    /// table, so that a call costs one lookup).
    pub commands: HashMap<CommandName, CommandStats, rustc_hash::FxBuildHasher>,
}

/// One command's call durations in power-of-two nanosecond buckets (from
/// 1,024 ns, Redis's `CONFIG_LATENCY_HISTOGRAM_MIN_VALUE`), as Redis's HDR
/// histogram with two significant figures reports them through its
/// logarithmic iterator.
#[derive(Debug, Default, Clone)]
pub(crate) struct Histogram {
    pub calls: u64,
    /// `counts[k]`: calls whose duration falls in the bucket reported at 2^(k+10) ns.
    pub counts: [u64; 21],
}

/// The SLOWLOG entries and LATENCY events.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    /// Newest first.
    pub slowlog: VecDeque<SlowlogEntry>,
    pub slowlog_next_id: u64,
    /// LATENCY events by name (`command`, `fast-command`).
    pub latency: BTreeMap<&'static str, LatencyEvent>,
    /// The parameters the dispatcher reads on every call, read from the
    /// configuration with the client limits (`Engine::apply_client_limits`).
    pub settings: DiagnosticSettings,
    /// `DEBUG SET-ACTIVE-EXPIRE 0`: the active expiry cycle leaves keys
    /// to lazy expiry.
    pub active_expire_disabled: bool,
}

/// `slowlog-log-slower-than`, `slowlog-max-len`,
/// `latency-monitor-threshold`, `latency-tracking` and
/// `busy-reply-threshold` (read once per change, not per command or script).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DiagnosticSettings {
    pub slowlog_slower_than: i64,
    pub slowlog_max_len: usize,
    pub latency_threshold_ms: i64,
    pub latency_tracking: bool,
    pub busy_reply_threshold_ms: i64,
}

impl Default for DiagnosticSettings {
    /// Redis's defaults.
    fn default() -> DiagnosticSettings {
        DiagnosticSettings {
            slowlog_slower_than: 10_000,
            slowlog_max_len: 128,
            latency_threshold_ms: 0,
            latency_tracking: true,
            busy_reply_threshold_ms: 5000,
        }
    }
}

impl DiagnosticSettings {
    /// Reads them from the configuration.
    pub fn from_config(config: &super::config::RuntimeConfig) -> DiagnosticSettings {
        let d = DiagnosticSettings::default();
        DiagnosticSettings {
            slowlog_slower_than: config
                .get_int("slowlog-log-slower-than")
                .unwrap_or(d.slowlog_slower_than),
            slowlog_max_len: config
                .get_int("slowlog-max-len")
                .map_or(d.slowlog_max_len, |n| {
                    n.clamp(0, i64::from(u32::MAX)) as usize
                }),
            latency_threshold_ms: config
                .get_int("latency-monitor-threshold")
                .unwrap_or(d.latency_threshold_ms),
            latency_tracking: config.get("latency-tracking") != Some("no"),
            busy_reply_threshold_ms: config
                .get_int("busy-reply-threshold")
                .unwrap_or(d.busy_reply_threshold_ms),
        }
    }
}

/// One SLOWLOG entry.
#[derive(Debug, Clone)]
pub(crate) struct SlowlogEntry {
    pub id: u64,
    /// Unix seconds.
    pub time: i64,
    pub micros: u64,
    /// The arguments as Redis keeps them: at most 32, each at most 128 bytes.
    pub args: Vec<Bytes>,
    pub addr: String,
    pub name: Bytes,
}

/// One LATENCY event's samples (at most 160, one per second) and maximum.
#[derive(Debug, Default, Clone)]
pub(crate) struct LatencyEvent {
    /// `(unix seconds, milliseconds)`, oldest first.
    pub samples: VecDeque<(i64, u64)>,
    pub max: u64,
}

/// One command's `INFO commandstats` counters.
#[derive(Debug, Default, Clone)]
pub(crate) struct CommandStats {
    pub calls: u64,
    pub rejected: u64,
    pub failed: u64,
    /// The durations of the calls `latency-tracking` timed (none of a
    /// blocked call).
    pub latency: Histogram,
}
