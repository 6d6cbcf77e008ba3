//! The counters `INFO stats`, `INFO errorstats` and `INFO commandstats`
//! report, and `CONFIG RESETSTAT` clears. The dispatcher bumps them; a
//! per-database counter (keyspace hits, misses, expired keys) lives in the
//! database instead (`keyspace::DbStats`).

use std::collections::HashMap;

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
