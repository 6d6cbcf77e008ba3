//! What a standalone redis-server 7.0 with no persistence configured and
//! no replicas answers: ROLE, REPLICAOF / SLAVEOF, FAILOVER, MODULE (LIST,
//! LOAD, LOADEX, UNLOAD, HELP), BGREWRITEAOF and CONFIG REWRITE.

use crate::engine::Ctx;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, syntax_error};
use crate::engine::util::help::help_reply;
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("role", 1, role)
        .flags(NOSCRIPT | LOADING | STALE | FAST)
        .acl(acl::ADMIN | acl::DANGEROUS),
    CommandSpec::new("replicaof", 3, replicaof).flags(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("slaveof", 3, replicaof).flags(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("failover", -1, failover).flags(ADMIN | NOSCRIPT | STALE),
    CommandSpec::new("bgrewriteaof", 1, bgrewriteaof).flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
    CommandSpec::container("module", MODULE),
];

const MODULE: &[CommandSpec] = &[
    CommandSpec::new("list", 2, module_list).flags(ADMIN | NOSCRIPT),
    CommandSpec::new("load", -3, module_load).flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
    CommandSpec::new("loadex", -3, module_load).flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
    CommandSpec::new("unload", 3, module_unload).flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
    CommandSpec::new("help", 2, module_help).flags(LOADING | STALE),
];

/// CONFIG REWRITE, listed with the other CONFIG subcommands.
pub(crate) const CONFIG_REWRITE: CommandSpec =
    CommandSpec::new("rewrite", 2, config_rewrite).flags(ADMIN | NOSCRIPT | LOADING | STALE);

/// A master with no replicas, at replication offset 0.
fn role(ctx: &mut Ctx<'_>) -> CmdResult {
    if let Some(reply) = crate::engine::commands::cluster::role(ctx) {
        return Ok(reply);
    }
    Ok(crate::engine::commands::replication::role_reply(ctx.engine))
}

/// `NO ONE` is what a master already is. Replicating from another server
/// is not modelled: mock-redis refuses it (after Redis's port check)
/// rather than answer OK and never sync.
fn replicaof(ctx: &mut Ctx<'_>) -> CmdResult {
    if is(ctx.arg(1), "no") && is(ctx.arg(2), "one") {
        return Ok(Reply::ok());
    }
    let port = args::int_or(ctx.arg(2), "ERR Invalid master port")?;
    if !(0..=65535).contains(&port) {
        return Err(err("ERR Invalid master port"));
    }
    Err(err("ERR mock-redis cannot replicate from another server"))
}

/// Redis's `failoverCommand`: the options are parsed, then a server with
/// no replicas refuses.
fn failover(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() == 2 && is(ctx.arg(1), "abort") {
        return Err(err("ERR No failover in progress."));
    }
    let (mut timeout, mut host, mut force) = (0i64, false, false);
    let mut j = 1;
    while j < ctx.args.len() {
        let more = ctx.args.len() - j - 1;
        if is(ctx.arg(j), "timeout") && more >= 1 && timeout == 0 {
            timeout = args::int(ctx.arg(j + 1))?;
            if timeout <= 0 {
                return Err(err("ERR FAILOVER timeout must be greater than 0"));
            }
            j += 2;
        } else if is(ctx.arg(j), "to") && more >= 2 && !host {
            args::int(ctx.arg(j + 2))?;
            host = true;
            j += 3;
        } else if is(ctx.arg(j), "force") && !force {
            force = true;
            j += 1;
        } else {
            return Err(syntax_error());
        }
    }
    Err(err("ERR FAILOVER requires connected replicas."))
}

fn bgrewriteaof(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::simple(
        "Background append only file rewriting started",
    ))
}

fn config_rewrite(_ctx: &mut Ctx<'_>) -> CmdResult {
    Err(err("ERR The server is running without a config file"))
}

fn module_list(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::Array(Vec::new()))
}

/// Redis's protected-command check (`enable-module-command`, `no` by
/// default), then the failure of a server that loads no module.
fn module_allowed(ctx: &Ctx<'_>) -> Result<(), Reply> {
    if ctx
        .engine
        .protected_action_allowed("enable-module-command", ctx.client)
    {
        return Ok(());
    }
    Err(err(
        "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
    ))
}

fn module_load(ctx: &mut Ctx<'_>) -> CmdResult {
    module_allowed(ctx)?;
    Err(err(
        "ERR Error loading the extension. Please check the server logs.",
    ))
}

fn module_unload(ctx: &mut Ctx<'_>) -> CmdResult {
    module_allowed(ctx)?;
    Err(err(
        "ERR Error unloading module: no such module with that name",
    ))
}

fn module_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "MODULE",
        &[
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ],
    ))
}
