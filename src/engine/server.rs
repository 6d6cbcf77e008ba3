//! Server introspection: COMMAND and INFO.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::command::{
    CommandSpec, CommandTable, Resolved, acl, docs_reply, flags::*, full_name, info_reply,
};
use super::connection::help_reply;
use super::{Ctx, Engine};
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

fn command(ctx: &mut Ctx<'_>) -> Reply {
    let _ = ctx;
    let table = CommandTable::get();
    Reply::Array(
        table
            .all
            .iter()
            .map(|spec| info_reply(spec, None))
            .collect(),
    )
}

fn command_count(_ctx: &mut Ctx<'_>) -> Reply {
    Reply::int(CommandTable::get().all.len() as i64)
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

fn command_info(ctx: &mut Ctx<'_>) -> Reply {
    if ctx.args.len() == 2 {
        return command(ctx);
    }
    Reply::Array(
        ctx.args[2..]
            .iter()
            .map(|name| match lookup_full(name) {
                Some((spec, parent)) => info_reply(spec, parent),
                None => Reply::Nil,
            })
            .collect(),
    )
}

fn command_docs(ctx: &mut Ctx<'_>) -> Reply {
    let table = CommandTable::get();
    let specs: Vec<(&CommandSpec, Option<&CommandSpec>)> = if ctx.args.len() == 2 {
        table.all.iter().map(|s| (*s, None)).collect()
    } else {
        ctx.args[2..]
            .iter()
            .filter_map(|n| lookup_full(n))
            .collect()
    };
    Reply::Map(
        specs
            .into_iter()
            .map(|(spec, parent)| {
                (
                    Reply::bulk(full_name(spec, parent)),
                    docs_reply(spec, parent),
                )
            })
            .collect(),
    )
}

fn command_list(ctx: &mut Ctx<'_>) -> Reply {
    if ctx.args.len() > 2 {
        // FILTERBY is not modelled; answer as Redis does for an unknown filter.
        return Reply::error("ERR syntax error");
    }
    let mut names = Vec::new();
    for spec in &CommandTable::get().all {
        names.push(Reply::bulk(spec.name));
        for sub in spec.subcommands {
            names.push(Reply::bulk(full_name(sub, Some(spec))));
        }
    }
    Reply::Array(names)
}

fn command_getkeys(ctx: &mut Ctx<'_>) -> Reply {
    let args = &ctx.args[2..];
    let (spec, _) = match CommandTable::get().resolve(args) {
        Resolved::Found(spec, parent) => (spec, parent),
        _ => return Reply::error("ERR Invalid command specified"),
    };
    if spec.keys.first <= 0 {
        return Reply::error("ERR The command has no key arguments");
    }
    if !spec.arity_ok(args.len()) {
        return Reply::error("ERR Invalid number of arguments specified for command");
    }
    Reply::Array(
        spec.key_positions(args.len())
            .into_iter()
            .map(|i| Reply::Bulk(args[i].clone()))
            .collect(),
    )
}

fn command_help(_ctx: &mut Ctx<'_>) -> Reply {
    help_reply(
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
        ],
    )
}

/// The sections `INFO` knows, in Redis's order; `default` prints all of them.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "cluster",
    "keyspace",
];

fn info(ctx: &mut Ctx<'_>) -> Reply {
    let mut wanted: Vec<&str> = Vec::new();
    for arg in &ctx.args[1..] {
        let arg = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match arg.as_str() {
            "all" | "everything" | "default" => wanted.extend(SECTIONS),
            other => {
                if let Some(s) = SECTIONS.iter().find(|s| **s == other) {
                    wanted.push(s);
                }
            }
        }
    }
    if ctx.args.len() == 1 {
        wanted.extend(SECTIONS);
    }
    let mut out = String::new();
    for section in SECTIONS.iter().filter(|s| wanted.contains(s)) {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        info_section(ctx.engine, section, &mut out);
    }
    Reply::Verbatim {
        format: *b"txt",
        text: Bytes::from(out),
    }
}

fn info_section(engine: &Engine, section: &str, out: &mut String) {
    let mut title = section.to_string();
    title[..1].make_ascii_uppercase();
    out.push_str(&format!("# {title}\r\n"));
    let mut field = |k: &str, v: &dyn std::fmt::Display| out.push_str(&format!("{k}:{v}\r\n"));
    let uptime = engine.started.elapsed().as_secs();
    match section {
        "server" => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            field("redis_version", &engine.config.redis_version);
            field("redis_git_sha1", &"00000000");
            field("redis_git_dirty", &0);
            field("redis_build_id", &"0");
            field("redis_mode", &"standalone");
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
            field("tcp_port", &engine.config.tcp_port);
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
            field("connected_clients", &engine.clients.len().max(1));
            field("cluster_connections", &0);
            field("maxclients", &10000);
            field("client_recent_max_input_buffer", &0);
            field("client_recent_max_output_buffer", &0);
            field("blocked_clients", &0);
            field("tracking_clients", &0);
            field("clients_in_timeout_table", &0);
        }
        "memory" => {
            field("used_memory", &0);
            field("used_memory_human", &"0B");
            field("maxmemory", &0);
            field("maxmemory_human", &"0B");
            field("maxmemory_policy", &"noeviction");
            field("mem_allocator", &"rust");
        }
        "persistence" => {
            field("loading", &0);
            field("async_loading", &0);
            field("rdb_changes_since_last_save", &0);
            field("rdb_bgsave_in_progress", &0);
            field("rdb_last_bgsave_status", &"ok");
            field("aof_enabled", &0);
            field("aof_rewrite_in_progress", &0);
        }
        "stats" => {
            field(
                "total_connections_received",
                &engine.stats.total_connections_received,
            );
            field(
                "total_commands_processed",
                &engine.stats.total_commands_processed,
            );
            field("rejected_connections", &engine.stats.rejected_connections);
            field("expired_keys", &0);
            field("evicted_keys", &0);
            field("keyspace_hits", &0);
            field("keyspace_misses", &0);
        }
        "replication" => {
            field("role", &"master");
            field("connected_slaves", &0);
            field("master_failover_state", &"no-failover");
            field("master_replid", &engine.run_id);
            field(
                "master_replid2",
                &"0000000000000000000000000000000000000000",
            );
            field("master_repl_offset", &0);
            field("second_repl_offset", &-1);
            field("repl_backlog_active", &0);
            field("repl_backlog_size", &1048576);
            field("repl_backlog_first_byte_offset", &0);
            field("repl_backlog_histlen", &0);
        }
        "cpu" => {
            field("used_cpu_sys", &"0.000000");
            field("used_cpu_user", &"0.000000");
        }
        "cluster" => field("cluster_enabled", &0),
        "keyspace" => {
            for (i, db) in engine.dbs.iter().enumerate() {
                if !db.is_empty() {
                    let stats = format!("keys={},expires={},avg_ttl=0", db.len(), db.expires());
                    field(&format!("db{i}"), &stats);
                }
            }
        }
        _ => {}
    }
}
