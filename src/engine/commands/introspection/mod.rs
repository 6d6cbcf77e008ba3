//! Introspection commands: COMMAND (COUNT, INFO, DOCS, LIST, GETKEYS,
//! GETKEYSANDFLAGS, HELP) over the command table, and INFO over the
//! engine's state and counters. The folder holds the rest of Redis's
//! server introspection: MEMORY (`memory.rs`), SLOWLOG and LATENCY
//! (`slowlog.rs`, `sparkline.rs`), LOLWUT (`lolwut.rs`) and the replication,
//! module and persistence answers (`standalone.rs`).

pub(crate) mod debug;
mod getkeys;
pub(crate) mod lolwut;
pub(crate) mod memory;
pub(crate) mod slowlog;
mod sparkline;
pub(crate) mod standalone;

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::engine::blocking;
use crate::engine::command::{
    CmdResult, CommandSpec, CommandTable, Resolved, acl, docs_reply, flags::*, full_name,
    info_reply,
};
use crate::engine::keyspace::Db;
use crate::engine::util::errors::{err, syntax_error};
use crate::engine::util::help::help_reply;
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::Reply;

const CMD_FLAGS: u32 = LOADING | STALE;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("command", -1, command)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the total number of Redis commands",
            "Get array of Redis command details",
        )
        .with_subcommands(COMMAND_SUBCOMMANDS),
    CommandSpec::new("info", -1, info)
        .flags(CMD_FLAGS)
        .acl(acl::DANGEROUS)
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ])
        .doc(
            "server",
            "1.0.0",
            "O(1)",
            "Get information and statistics about the server",
        ),
];

const COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("count", 2, command_count)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Get total number of Redis commands",
        ),
    CommandSpec::new("info", -2, command_info)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of commands to look up",
            "Get array of specific Redis command details, or all when no argument is given.",
        ),
    CommandSpec::new("docs", -2, command_docs)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of commands to look up",
            "Get array of specific Redis command documentation",
        ),
    CommandSpec::new("getkeys", -4, command_getkeys)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of arguments to the command",
            "Extract keys given a full Redis command",
        ),
    CommandSpec::new("getkeysandflags", -4, command_getkeysandflags)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION),
    CommandSpec::new("list", -2, command_list)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the total number of Redis commands",
            "Get an array of Redis command names",
        ),
    CommandSpec::new("help", 2, command_help)
        .flags(CMD_FLAGS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

fn command(_ctx: &mut Ctx<'_>) -> CmdResult {
    let table = CommandTable::get();
    Ok(Reply::Array(
        table
            .all
            .iter()
            .map(|spec| info_reply(spec, None))
            .collect(),
    ))
}

fn command_count(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(CommandTable::get().all.len() as i64))
}

/// Looks up `name` or `container|sub` as COMMAND INFO and DOCS accept them.
fn lookup_full(name: &[u8]) -> Option<(&'static CommandSpec, Option<&'static CommandSpec>)> {
    let table = CommandTable::get();
    match name.iter().position(|&b| b == b'|') {
        None => table.lookup(name).map(|spec| (spec, None)),
        Some(bar) => {
            let args = [
                Bytes::copy_from_slice(&name[..bar]),
                Bytes::copy_from_slice(&name[bar + 1..]),
            ];
            match table.resolve(&args) {
                Resolved::Found(spec, Some(parent)) => Some((spec, Some(parent))),
                _ => None,
            }
        }
    }
}

fn command_info(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() == 2 {
        return command(ctx);
    }
    Ok(Reply::Array(
        ctx.args[2..]
            .iter()
            .map(|name| match lookup_full(name) {
                Some((spec, parent)) => info_reply(spec, parent),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn command_docs(ctx: &mut Ctx<'_>) -> CmdResult {
    let table = CommandTable::get();
    let specs: Vec<(&CommandSpec, Option<&CommandSpec>)> = if ctx.args.len() == 2 {
        table.all.iter().map(|s| (*s, None)).collect()
    } else {
        ctx.args[2..]
            .iter()
            .filter_map(|n| lookup_full(n))
            .collect()
    };
    Ok(Reply::Map(
        specs
            .into_iter()
            .map(|(spec, parent)| {
                (
                    Reply::bulk(full_name(spec, parent)),
                    docs_reply(spec, parent),
                )
            })
            .collect(),
    ))
}

fn command_list(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 2 {
        // FILTERBY is not modelled; answer as Redis does for an unknown filter.
        return Err(syntax_error());
    }
    let mut names = Vec::new();
    for spec in &CommandTable::get().all {
        names.push(Reply::bulk(spec.name));
        for sub in spec.subcommands {
            names.push(Reply::bulk(full_name(sub, Some(spec))));
        }
    }
    Ok(Reply::Array(names))
}

/// The command COMMAND GETKEYS / GETKEYSANDFLAGS name, with Redis's
/// checks: known, has keys, right arity.
fn keys_command(
    ctx: &Ctx<'_>,
) -> Result<(&'static CommandSpec, Option<&'static CommandSpec>), Reply> {
    let args = &ctx.args[2..];
    let Resolved::Found(spec, parent) = CommandTable::get().resolve(args) else {
        return Err(err("ERR Invalid command specified"));
    };
    // Redis's doesCommandHaveKeys: a getkeys procedure or any key spec.
    if spec.keys.first <= 0 && spec.getkeys.is_none() && spec.key_specs.is_empty() {
        return Err(err("ERR The command has no key arguments"));
    }
    if !spec.arity_ok(args.len()) {
        return Err(err("ERR Invalid number of arguments specified for command"));
    }
    Ok((spec, parent))
}

fn command_getkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    let (spec, _) = keys_command(ctx)?;
    let args = &ctx.args[2..];
    Ok(Reply::Array(
        spec.keys_in(args)
            .into_iter()
            .map(|i| Reply::Bulk(args[i].clone()))
            .collect(),
    ))
}

fn command_getkeysandflags(ctx: &mut Ctx<'_>) -> CmdResult {
    let (spec, parent) = keys_command(ctx)?;
    Ok(getkeys::keys_and_flags(spec, parent, &ctx.args[2..]))
}

fn command_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}

/// Every section `INFO` knows, in Redis 7.0's order.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// What `INFO` and `INFO default` print.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

fn info(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut wanted: Vec<&str> = Vec::new();
    for arg in &ctx.args[1..] {
        let arg = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match arg.as_str() {
            "everything" | "all" => wanted.extend(SECTIONS),
            "default" => wanted.extend(DEFAULT_SECTIONS),
            other => {
                if let Some(s) = SECTIONS.iter().find(|s| **s == other) {
                    wanted.push(s);
                }
            }
        }
    }
    if ctx.args.len() == 1 {
        wanted.extend(DEFAULT_SECTIONS);
    }
    let mut out = String::new();
    for section in SECTIONS.iter().filter(|s| wanted.contains(s)) {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        info_section(ctx.engine, Some(&*ctx.client), section, &mut out);
    }
    Ok(Reply::Verbatim {
        format: *b"txt",
        text: Bytes::from(out),
    })
}

fn info_section(engine: &Engine, client: Option<&Client>, section: &str, out: &mut String) {
    let title = match section {
        "cpu" => "CPU".to_string(),
        other => {
            let mut t = other.to_string();
            t[..1].make_ascii_uppercase();
            t
        }
    };
    out.push_str(&format!("# {title}\r\n"));
    let mut field = |k: &str, v: &dyn std::fmt::Display| out.push_str(&format!("{k}:{v}\r\n"));
    let uptime = engine.started.elapsed().as_secs();
    match section {
        // A cluster node's role, master and replicas (`engine/cluster/info.rs`).
        "replication" if engine.cluster.is_some() => {
            for (k, v) in
                crate::engine::cluster::info::replication(engine, client).unwrap_or_default()
            {
                field(&k, &v);
            }
        }
        "server" => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            field("redis_version", &engine.config.redis_version);
            field("redis_git_sha1", &"00000000");
            field("redis_git_dirty", &0);
            field("redis_build_id", &"0");
            field(
                "redis_mode",
                &crate::engine::commands::connection::server_mode(engine),
            );
            field(
                "os",
                &format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            );
            field("arch_bits", &(usize::BITS));
            field("monotonic_clock", &"POSIX clock_gettime");
            field("multiplexing_api", &"tokio");
            field("atomicvar_api", &"c11-builtin");
            field("gcc_version", &"0.0.0");
            field("process_id", &std::process::id());
            field("process_supervised", &"no");
            field("run_id", &engine.run_id);
            // A cluster replica shares its master's engine, not its port.
            let port = crate::engine::cluster::info::node_port(engine, client);
            field("tcp_port", &port.unwrap_or(engine.config.tcp_port));
            field("server_time_usec", &now.as_micros());
            field("uptime_in_seconds", &uptime);
            field("uptime_in_days", &(uptime / 86400));
            field("hz", &10);
            field("configured_hz", &10);
            field("lru_clock", &(now.as_secs() & ((1 << 24) - 1)));
            field("executable", &"mock-redis");
            field("config_file", &"");
            field("io_threads_active", &0);
        }
        "clients" => {
            // The client running INFO is out of the table meanwhile.
            field("connected_clients", &(engine.clients.len() + 1));
            field("cluster_connections", &0);
            field("maxclients", &engine.limits.maxclients);
            field("client_recent_max_input_buffer", &0);
            field("client_recent_max_output_buffer", &0);
            field("blocked_clients", &blocking::blocked_count(engine));
            field("tracking_clients", &engine.tracking.clients());
            field(
                "clients_in_timeout_table",
                &blocking::timeout_table_count(engine),
            );
        }
        "memory" => {
            let used = engine.used_memory();
            let startup = 1024 * 1024;
            let dataset = used - startup;
            let maxmemory = engine.config_int("maxmemory").unwrap_or(0);
            let human = |n: i64| bytes_to_human(n);
            field("used_memory", &used);
            field("used_memory_human", &human(used));
            field("used_memory_rss", &used);
            field("used_memory_rss_human", &human(used));
            field("used_memory_peak", &used);
            field("used_memory_peak_human", &human(used));
            field("used_memory_peak_perc", &"100.00%");
            field("used_memory_overhead", &startup);
            field("used_memory_startup", &startup);
            field("used_memory_dataset", &dataset);
            field(
                "used_memory_dataset_perc",
                &format!("{:.2}%", dataset as f64 * 100.0 / used.max(1) as f64),
            );
            field("allocator_allocated", &used);
            field("allocator_active", &used);
            field("allocator_resident", &used);
            field("total_system_memory", &0);
            field("total_system_memory_human", &"0B");
            field("used_memory_lua", &0);
            field("used_memory_vm_eval", &0);
            field("used_memory_lua_human", &"0B");
            field("used_memory_scripts_eval", &0);
            field("number_of_cached_scripts", &0);
            field("number_of_functions", &0);
            field("number_of_libraries", &0);
            field("used_memory_vm_functions", &0);
            field("used_memory_vm_total", &0);
            field("used_memory_vm_total_human", &"0B");
            field("used_memory_functions", &0);
            field("used_memory_scripts", &0);
            field("used_memory_scripts_human", &"0B");
            field("maxmemory", &maxmemory);
            field("maxmemory_human", &human(maxmemory));
            field(
                "maxmemory_policy",
                &engine
                    .config_str("maxmemory-policy")
                    .unwrap_or("noeviction"),
            );
            field("allocator_frag_ratio", &"1.00");
            field("allocator_frag_bytes", &0);
            field("allocator_rss_ratio", &"1.00");
            field("allocator_rss_bytes", &0);
            field("rss_overhead_ratio", &"1.00");
            field("rss_overhead_bytes", &0);
            field("mem_fragmentation_ratio", &"1.00");
            field("mem_fragmentation_bytes", &0);
            field("mem_not_counted_for_evict", &0);
            field("mem_replication_backlog", &0);
            field("mem_total_replication_buffers", &0);
            field("mem_clients_slaves", &0);
            field("mem_clients_normal", &0);
            field("mem_cluster_links", &0);
            field("mem_aof_buffer", &0);
            field("mem_allocator", &"libc");
            field("active_defrag_running", &0);
            field("lazyfree_pending_objects", &0);
            field("lazyfreed_objects", &0);
        }
        "persistence" => {
            let aof = engine.config_str("appendonly") == Some("yes");
            field("loading", &0);
            field("async_loading", &0);
            field("current_cow_peak", &0);
            field("current_cow_size", &0);
            field("current_cow_size_age", &0);
            field("current_fork_perc", &"0.00");
            field("current_save_keys_processed", &0);
            field("current_save_keys_total", &0);
            field(
                "rdb_changes_since_last_save",
                &engine.dirty().saturating_sub(engine.dirty_at_save),
            );
            field("rdb_bgsave_in_progress", &0);
            field("rdb_last_save_time", &engine.lastsave);
            field("rdb_last_bgsave_status", &"ok");
            field("rdb_last_bgsave_time_sec", &-1);
            field("rdb_current_bgsave_time_sec", &-1);
            field("rdb_saves", &engine.saves);
            field("rdb_last_cow_size", &0);
            field("rdb_last_load_keys_expired", &0);
            field("rdb_last_load_keys_loaded", &0);
            field("aof_enabled", &(aof as u8));
            field("aof_rewrite_in_progress", &0);
            field("aof_rewrite_scheduled", &0);
            field("aof_last_rewrite_time_sec", &-1);
            field("aof_current_rewrite_time_sec", &-1);
            field("aof_last_bgrewrite_status", &"ok");
            field("aof_rewrites", &0);
            field("aof_rewrites_consecutive_failures", &0);
            field("aof_last_write_status", &"ok");
            field("aof_last_cow_size", &0);
            field("module_fork_in_progress", &0);
            field("module_fork_last_cow_size", &0);
        }
        "modules" => {}
        "errorstats" => {
            for (code, count) in &engine.stats.errors {
                field(&format!("errorstat_{code}"), &format!("count={count}"));
            }
        }
        "commandstats" => {
            let mut commands: Vec<_> = engine
                .stats
                .commands
                .iter()
                .map(|(name, c)| (name.to_string(), c))
                .collect();
            commands.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, c) in commands {
                field(
                    &format!("cmdstat_{name}"),
                    &format!(
                        "calls={},usec=0,usec_per_call=0.00,rejected_calls={},failed_calls={}",
                        c.calls, c.rejected, c.failed
                    ),
                );
            }
        }
        "latencystats" => {
            for (name, value) in slowlog::latencystats(engine) {
                field(&name, &value);
            }
        }
        "stats" => {
            let sum = |f: fn(&Db) -> u64| engine.dbs.iter().map(f).sum::<u64>();
            let st = &engine.stats;
            field("total_connections_received", &st.total_connections_received);
            field("total_commands_processed", &st.total_commands_processed);
            field("instantaneous_ops_per_sec", &0);
            field("total_net_input_bytes", &0);
            field("total_net_output_bytes", &0);
            field("total_net_repl_input_bytes", &0);
            field("total_net_repl_output_bytes", &0);
            field("instantaneous_input_kbps", &"0.00");
            field("instantaneous_output_kbps", &"0.00");
            field("instantaneous_input_repl_kbps", &"0.00");
            field("instantaneous_output_repl_kbps", &"0.00");
            field("rejected_connections", &st.rejected_connections);
            field("sync_full", &0);
            field("sync_partial_ok", &0);
            field("sync_partial_err", &0);
            field("expired_keys", &sum(|d| d.stats.expired));
            field("expired_stale_perc", &"0.00");
            field("expired_time_cap_reached_count", &0);
            field("expire_cycle_cpu_milliseconds", &0);
            field("evicted_keys", &0);
            field("evicted_clients", &0);
            field("total_eviction_exceeded_time", &0);
            field("current_eviction_exceeded_time", &0);
            field("keyspace_hits", &sum(|d| d.stats.hits));
            field("keyspace_misses", &sum(|d| d.stats.misses));
            field("pubsub_channels", &engine.pubsub.channel_count());
            field("pubsub_patterns", &engine.pubsub.pattern_count());
            field("pubsubshard_channels", &engine.pubsub.shard_channel_count());
            field("latest_fork_usec", &0);
            field("total_forks", &0);
            field("migrate_cached_sockets", &0);
            field("slave_expires_tracked_keys", &0);
            field("active_defrag_hits", &0);
            field("active_defrag_misses", &0);
            field("active_defrag_key_hits", &0);
            field("active_defrag_key_misses", &0);
            field("total_active_defrag_time", &0);
            field("current_active_defrag_time", &0);
            field("tracking_total_keys", &engine.tracking.total_keys());
            field("tracking_total_items", &engine.tracking.total_items());
            field("tracking_total_prefixes", &engine.tracking.total_prefixes());
            field("unexpected_error_replies", &0);
            field("total_error_replies", &st.total_error_replies);
            field("dump_payload_sanitizations", &0);
            field("total_reads_processed", &st.total_commands_processed);
            field("total_writes_processed", &st.total_commands_processed);
            field("io_threaded_reads_processed", &0);
            field("io_threaded_writes_processed", &0);
            field("reply_buffer_shrinks", &0);
            field("reply_buffer_expands", &0);
        }
        "replication" => {
            field("role", &"master");
            field("connected_slaves", &engine.repl.replicas.len());
            for (name, value) in crate::engine::commands::replication::info_lines(engine) {
                field(&name, &value);
            }
            field("master_failover_state", &"no-failover");
            field("master_replid", &engine.repl.replid);
            field(
                "master_replid2",
                &"0000000000000000000000000000000000000000",
            );
            field("master_repl_offset", &engine.repl.offset);
            field("second_repl_offset", &-1);
            field("repl_backlog_active", &0);
            field("repl_backlog_size", &1048576);
            field("repl_backlog_first_byte_offset", &0);
            field("repl_backlog_histlen", &0);
        }
        "cpu" => {
            field("used_cpu_sys", &"0.000000");
            field("used_cpu_user", &"0.000000");
            field("used_cpu_sys_children", &"0.000000");
            field("used_cpu_user_children", &"0.000000");
            field("used_cpu_sys_main_thread", &"0.000000");
            field("used_cpu_user_main_thread", &"0.000000");
        }
        "cluster" => field("cluster_enabled", &u8::from(engine.cluster.is_some())),
        "keyspace" => {
            for (i, db) in engine.dbs.iter().enumerate() {
                if !db.is_empty() {
                    let stats = format!(
                        "keys={},expires={},avg_ttl={}",
                        db.len(),
                        db.expires(),
                        db.avg_ttl()
                    );
                    field(&format!("db{i}"), &stats);
                }
            }
        }
        _ => {}
    }
}

/// Redis's `bytesToHuman`.
fn bytes_to_human(n: i64) -> String {
    let n = n as f64;
    const K: f64 = 1024.0;
    if n < K {
        format!("{n}B")
    } else if n < K * K {
        format!("{:.2}K", n / K)
    } else if n < K * K * K {
        format!("{:.2}M", n / (K * K))
    } else if n < K * K * K * K {
        format!("{:.2}G", n / (K * K * K))
    } else {
        format!("{:.2}T", n / (K * K * K * K))
    }
}
