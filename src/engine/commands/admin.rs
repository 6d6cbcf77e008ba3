//! Server administration: CONFIG (GET, SET, RESETSTAT, HELP), DEBUG (its
//! subcommands in `introspection/debug.rs`),
//! FLUSHALL / FLUSHDB, SWAPDB, DBSIZE, SAVE / BGSAVE / LASTSAVE, TIME and
//! WAIT. The runtime parameters CONFIG reads and writes are in
//! `engine/config.rs`.

use bytes::Bytes;

use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::config::parse_notify_flags;
use crate::engine::keyspace::Db;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{
    DB_INDEX_OUT_OF_RANGE, NEGATIVE_TIMEOUT, config_set_failed, err, syntax_error,
};
use crate::engine::util::help::help_reply;
use crate::engine::{Ctx, DATABASES};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dbsize", 1, dbsize)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
        .doc("server", "1.0.0", "O(1)", "Return the number of keys in the selected database"),
    CommandSpec::new("flushdb", -1, flushdb)
        .flags(WRITE)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("server", "1.0.0", "O(N) where N is the number of keys in the selected database", "Remove all keys from the current database"),
    CommandSpec::new("flushall", -1, flushall)
        .flags(WRITE)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Remove all keys from all databases"),
    CommandSpec::new("swapdb", 3, swapdb)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("server", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "Swaps two Redis databases"),
    CommandSpec::new("time", 1, time)
        .flags(LOADING | STALE | FAST)
        .acl(0)
        .tips(&["nondeterministic_output"])
        .doc("server", "2.6.0", "O(1)", "Return the current server time"),
    CommandSpec::new("lastsave", 1, lastsave)
        .flags(LOADING | STALE | FAST)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("server", "1.0.0", "O(1)", "Get the UNIX time stamp of the last successful save to disk"),
    CommandSpec::new("save", 1, save)
        .flags(ADMIN | NOSCRIPT | NO_MULTI | NO_ASYNC_LOADING)
        .acl(0)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Synchronously save the dataset to disk"),
    CommandSpec::new("bgsave", -1, bgsave)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING)
        .acl(0)
        .doc("server", "1.0.0", "O(1)", "Asynchronously save the dataset to disk"),
    CommandSpec::new("wait", 3, wait)
        .flags(NOSCRIPT)
        .acl(acl::CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:agg_min"])
        .doc("generic", "3.0.0", "O(1)", "Wait for the synchronous replication of all the write commands sent in the context of the current connection"),
    CommandSpec::new("debug", -2, super::introspection::debug::debug)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(0)
        .doc("server", "1.0.0", "Depends on subcommand.", "A container for debugging commands"),
    CommandSpec::container("config", CONFIG_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc(
            "server",
            "2.0.0",
            "Depends on subcommand.",
            "A container for server configuration commands",
        ),
];

const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    super::introspection::standalone::CONFIG_REWRITE,
    CommandSpec::new("get", -3, config_get)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(0)
        .doc(
            "server",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
            "Get the values of configuration parameters",
        ),
    CommandSpec::new("set", -4, config_set)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(0)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc(
            "server",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
            "Set configuration parameters to the given values",
        ),
    CommandSpec::new("resetstat", 2, config_resetstat)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(0)
        .doc(
            "server",
            "2.0.0",
            "O(1)",
            "Reset the stats returned by INFO",
        ),
    CommandSpec::new("help", 2, config_help)
        .flags(LOADING | STALE)
        .acl(0)
        .doc(
            "server",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

// --- keyspace-wide commands ----------------------------------------------

fn dbsize(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(ctx.db().len() as i64))
}

/// `[ASYNC|SYNC]` of FLUSHDB and FLUSHALL.
fn flush_args(ctx: &Ctx<'_>) -> Result<(), Reply> {
    match ctx.args.len() {
        1 => Ok(()),
        2 if is(ctx.arg(1), "async") || is(ctx.arg(1), "sync") => Ok(()),
        _ => Err(syntax_error()),
    }
}

fn flushdb(ctx: &mut Ctx<'_>) -> CmdResult {
    flush_args(ctx)?;
    ctx.db().flush();
    Ok(Reply::ok())
}

fn flushall(ctx: &mut Ctx<'_>) -> CmdResult {
    flush_args(ctx)?;
    ctx.engine.flushall();
    Ok(Reply::ok())
}

fn swapdb(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.engine.cluster.is_some() {
        return Err(err("ERR SWAPDB is not allowed in cluster mode"));
    }
    let parse = |arg: &[u8], msg: &'static str| -> Result<usize, Reply> {
        let v = args::int_or(arg, msg)?;
        if i32::try_from(v).is_err() {
            return Err(err(msg));
        }
        if v < 0 || v as usize >= DATABASES {
            return Err(err(DB_INDEX_OUT_OF_RANGE));
        }
        Ok(v as usize)
    };
    let a = parse(ctx.arg(1), "ERR invalid first DB index")?;
    let b = parse(ctx.arg(2), "ERR invalid second DB index")?;
    if a != b {
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = ctx.engine.dbs.split_at_mut(hi);
        Db::swap_contents(&mut left[lo], &mut right[0]);
    }
    Ok(Reply::ok())
}

fn time(ctx: &mut Ctx<'_>) -> CmdResult {
    let us = ctx.engine.clock.now_us();
    Ok(Reply::Array(vec![
        Reply::Bulk(Bytes::from(us.div_euclid(1_000_000).to_string())),
        Reply::Bulk(Bytes::from(us.rem_euclid(1_000_000).to_string())),
    ]))
}

fn lastsave(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(ctx.engine.lastsave))
}

fn save(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.engine.lastsave = ctx.engine.clock.now_ms() / 1000;
    ctx.engine.dirty_at_save = ctx.engine.dirty();
    ctx.engine.saves += 1;
    Ok(Reply::ok())
}

fn bgsave(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 2 || (ctx.args.len() == 2 && !is(ctx.arg(1), "schedule")) {
        return Err(syntax_error());
    }
    save(ctx)?;
    Ok(Reply::simple("Background saving started"))
}

fn wait(ctx: &mut Ctx<'_>) -> CmdResult {
    args::int(ctx.arg(1))?;
    let timeout = args::int_or(ctx.arg(2), "ERR timeout is not an integer or out of range")?;
    if timeout < 0 {
        return Err(err(NEGATIVE_TIMEOUT));
    }
    Ok(Reply::int(0))
}

// --- CONFIG ----------------------------------------------------------------

fn config_get(ctx: &mut Ctx<'_>) -> CmdResult {
    let pairs = ctx.engine.runtime.matching(&ctx.args[2..]);
    Ok(Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk(k), Reply::bulk(v)))
            .collect(),
    ))
}

fn config_set(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() % 2 != 0 {
        return Err(syntax_error());
    }
    let mut next = ctx.engine.runtime.clone();
    let mut seen = Vec::new();
    let mut notify = None;
    for pair in ctx.args[2..].chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        if seen.contains(&name) {
            return Err(Reply::error(config_set_failed(
                &name,
                "duplicate parameter",
            )));
        }
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        next.set(&name, &value).map_err(Reply::error)?;
        if name == "notify-keyspace-events" {
            notify = parse_notify_flags(&value);
        }
        seen.push(name);
    }
    ctx.engine.runtime = next;
    if let Some(flags) = notify {
        ctx.engine.notify_flags = flags;
    }
    ctx.engine.apply_notify_config();
    ctx.engine.apply_lfu_config();
    ctx.engine.apply_requirepass();
    Ok(Reply::ok())
}

fn config_resetstat(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.engine.reset_stats();
    Ok(Reply::ok())
}

fn config_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}
