//! CLIENT and MONITOR: the `CLIENT` container's table and its small
//! subcommands (ID, GETNAME, SETNAME, SETINFO, REPLY, NO-EVICT, HELP),
//! with the rest by theme:
//!
//! * `list.rs`: CLIENT LIST and CLIENT INFO (the client line, its flags
//!   and buffer figures);
//! * `kill.rs`: CLIENT KILL (old form and filters) and CLIENT UNBLOCK;
//! * `pause.rs`: CLIENT PAUSE / UNPAUSE, and the postponing of commands
//!   while paused (the session parks a client through [`postpone`]);
//! * `tracking.rs`: CLIENT TRACKING, CACHING, TRACKINGINFO, GETREDIR (the
//!   tables are the engine's `tracking.rs`);
//! * `monitor.rs`: MONITOR and the feed of monitor lines
//!   ([`feed_monitors`], called by the dispatcher).

mod kill;
mod list;

pub(crate) use list::client_line;
mod monitor;
mod pause;
mod tracking;

use super::connection::validate_name;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::util::errors::{error_quoting, syntax_error, unknown_subcommand};
use crate::engine::util::help::help_reply;
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::Reply;

pub(crate) use monitor::feed_monitors;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use pause::unpause as end_pause;
pub(crate) use pause::{end_pause_if_due, postpone};

/// Server-wide state of the CLIENT administration commands.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The current `CLIENT PAUSE`, if any.
    pub pause: Option<pause::Pause>,
    /// Clients whose command waits for the pause to end, in arrival order.
    pub postponed: Vec<u64>,
    /// Clients in MONITOR mode, in the order they started.
    pub monitors: Vec<u64>,
}

const CONN: u32 = acl::CONNECTION;
const CLIENT_FLAGS: u32 = NOSCRIPT | LOADING | STALE;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::container("client", SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc(
            "connection",
            "2.4.0",
            "Depends on subcommand.",
            "A container for client connection commands",
        ),
    CommandSpec::new("monitor", 1, monitor::monitor)
        .flags(ADMIN | CLIENT_FLAGS)
        .doc(
            "server",
            "1.0.0",
            "",
            "Listen for all requests received by the server in real time",
        ),
];

/// A subcommand of CLIENT: `flags` beyond NOSCRIPT, LOADING and STALE.
const fn sub(
    name: &'static str,
    arity: i32,
    handler: fn(&mut Ctx<'_>) -> CmdResult,
    flags: u32,
) -> CommandSpec {
    CommandSpec::new(name, arity, handler)
        .flags(flags | CLIENT_FLAGS)
        .acl(CONN)
}

const SUBCOMMANDS: &[CommandSpec] = &[
    sub("id", 2, client_id, 0).doc(
        "connection",
        "5.0.0",
        "O(1)",
        "Returns the client ID for the current connection",
    ),
    sub("getname", 2, client_getname, 0).doc(
        "connection",
        "2.6.9",
        "O(1)",
        "Get the current connection name",
    ),
    sub("setname", 3, client_setname, 0).doc(
        "connection",
        "2.6.9",
        "O(1)",
        "Set the current connection name",
    ),
    sub("setinfo", 4, client_setinfo, 0).doc(
        "connection",
        "7.2.0",
        "O(1)",
        "Set client or connection specific info",
    ),
    sub("info", 2, list::client_info, 0)
        .tips(&["nondeterministic_output"])
        .doc(
            "connection",
            "6.2.0",
            "O(1)",
            "Returns information about the current client connection.",
        ),
    sub("list", -2, list::client_list, ADMIN)
        .tips(&["nondeterministic_output"])
        .doc(
            "connection",
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Get the list of client connections",
        ),
    sub("kill", -3, kill::client_kill, ADMIN).doc(
        "connection",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "Kill the connection of a client",
    ),
    sub("unblock", -3, kill::client_unblock, ADMIN).doc(
        "connection",
        "5.0.0",
        "O(log N) where N is the number of client connections",
        "Unblock a client blocked in a blocking command from a different connection",
    ),
    sub("pause", -3, pause::client_pause, ADMIN).doc(
        "connection",
        "2.9.50",
        "O(1)",
        "Stop processing commands from clients for some time",
    ),
    sub("unpause", 2, pause::client_unpause, ADMIN).doc(
        "connection",
        "6.2.0",
        "O(N) Where N is the number of paused clients",
        "Resume processing of clients that were paused",
    ),
    sub("reply", 3, client_reply, 0).doc(
        "connection",
        "3.2.0",
        "O(1)",
        "Instruct the server whether to reply to commands",
    ),
    sub("no-evict", 3, client_no_evict, ADMIN).doc(
        "connection",
        "7.0.0",
        "O(1)",
        "Set client eviction mode for the current connection",
    ),
    sub("tracking", -3, tracking::client_tracking, 0).doc(
        "connection",
        "6.0.0",
        "O(1). Some options may introduce additional complexity.",
        "Enable or disable server assisted client side caching support",
    ),
    sub("trackinginfo", 2, tracking::client_trackinginfo, 0).doc(
        "connection",
        "6.2.0",
        "O(1)",
        "Return information about server assisted client side caching for the current connection",
    ),
    sub("getredir", 2, tracking::client_getredir, 0).doc(
        "connection",
        "6.0.0",
        "O(1)",
        "Get tracking notifications redirection client ID if any",
    ),
    sub("caching", 3, tracking::client_caching, 0).doc(
        "connection",
        "6.0.0",
        "O(1)",
        "Instruct the server about tracking or not keys in the next request",
    ),
    CommandSpec::new("help", 2, client_help)
        .flags(LOADING | STALE)
        .acl(CONN)
        .doc(
            "connection",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

/// What RESET undoes here, as Redis's `clearClientConnectionState`:
/// tracking, `CLIENT REPLY` and MONITOR mode (NO-EVICT stays).
pub(crate) fn reset(engine: &mut Engine, client: &mut Client) {
    crate::engine::tracking::disable(engine, client);
    client.reply = Default::default();
    if client.monitor {
        client.monitor = false;
        engine.client_admin.monitors.retain(|&id| id != client.id);
    }
}

/// After each command of a connection: `CLIENT CACHING` applies to the
/// next command only (kept by CLIENT subcommands and inside MULTI, as
/// Redis's `resetClient`).
pub(crate) fn after_command(client: &mut Client, args: &[bytes::Bytes]) {
    if let Some(mode) = &mut client.tracking {
        if client.multi.is_none() && !args[0].eq_ignore_ascii_case(b"client") {
            mode.caching = false;
        }
    }
}

fn client_id(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(ctx.client.id as i64))
}

fn client_getname(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(ctx.client.name.clone().map_or(Reply::Nil, Reply::Bulk))
}

fn client_setname(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.arg(2);
    validate_name(name)?;
    ctx.client.name = (!name.is_empty()).then_some(name.clone());
    Ok(Reply::ok())
}

/// `CLIENT SETINFO` arrived in Redis 7.2: a server reporting an older version
/// answers as that version does, with the unknown-subcommand error.
fn client_setinfo(ctx: &mut Ctx<'_>) -> CmdResult {
    if !ctx.engine.config.version_at_least(7, 2) {
        return Err(unknown_subcommand(ctx.arg(1), "client"));
    }
    let attr = ctx.arg(2);
    let value = ctx.arg(3);
    if value.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(error_quoting(
            "ERR ",
            &attr.to_ascii_uppercase(),
            " cannot contain spaces, newlines or special characters.",
        ));
    }
    if attr.eq_ignore_ascii_case(b"lib-name") {
        ctx.client.lib_name = (!value.is_empty()).then_some(value.clone());
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        ctx.client.lib_ver = (!value.is_empty()).then_some(value.clone());
    } else {
        return Err(error_quoting("ERR Unrecognized option '", attr, "'"));
    }
    Ok(Reply::ok())
}

/// `CLIENT REPLY ON|OFF|SKIP`: OFF and SKIP answer nothing themselves;
/// SKIP drops the next command's reply (not while OFF).
fn client_reply(ctx: &mut Ctx<'_>) -> CmdResult {
    let mode = &ctx.args[2];
    let reply = &mut ctx.client.reply;
    if mode.eq_ignore_ascii_case(b"on") {
        reply.off = false;
        reply.skip = false;
        reply.skip_next = false;
        return Ok(Reply::ok());
    }
    if mode.eq_ignore_ascii_case(b"off") {
        reply.off = true;
    } else if mode.eq_ignore_ascii_case(b"skip") {
        if !reply.off {
            reply.skip_next = true;
        }
    } else {
        return Err(syntax_error());
    }
    // Inside EXEC the transaction's reply still goes (Redis leaves an
    // element out of it; the mock answers a null there).
    reply.none = ctx.client.multi.is_none();
    Ok(Reply::Nil)
}

/// `CLIENT NO-EVICT on|off` (the mock evicts no client; the flag shows
/// as `e` in CLIENT LIST).
fn client_no_evict(ctx: &mut Ctx<'_>) -> CmdResult {
    let mode = ctx.arg(2);
    if mode.eq_ignore_ascii_case(b"on") {
        ctx.client.no_evict = true;
    } else if mode.eq_ignore_ascii_case(b"off") {
        ctx.client.no_evict = false;
    } else {
        return Err(syntax_error());
    }
    Ok(Reply::ok())
}

fn client_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    ))
}
