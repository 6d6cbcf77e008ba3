//! SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0 answers it
//! (`server.c`, `shutdownCommand` and `prepareForShutdown`).
//!
//! The mock has no replicas to wait for, so a SHUTDOWN that passes its
//! checks finishes at once, as Redis's does without replicas: every client
//! is closed without a reply (the caller included) and the server stops
//! listening ([`Engine::shutdown`] tells the accept loop; the binary then
//! exits with status 0). `ABORT` therefore always finds no shutdown in
//! progress. The mock keeps no files: a shutdown that saves (`SAVE`, or
//! `save` points configured without `NOSAVE`) counts as a save (LASTSAVE,
//! `rdb_saves`) and keeps the keyspace for [`MockRedis::restart`]; one that
//! does not save empties it, as a redis-server without persistence comes
//! back empty.
//!
//! [`MockRedis::restart`]: crate::MockRedis::restart

use bytes::Bytes;
use tokio::sync::watch;

use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::delivery::OutOfBand;
use crate::engine::util::args::is;
use crate::engine::util::errors::{err, syntax_error};
use crate::engine::{Ctx, Engine};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::new("shutdown", -1, shutdown)
    .flags(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY)
    .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
    .doc(
        "server",
        "1.0.0",
        "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        "Synchronously save the dataset to disk and then shut down the server",
    )];

/// Where a server is in its shutdown: the engine's [`Engine::shutdown`]
/// channel, from SHUTDOWN to the accept loop and the handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Serving (again, after a restart).
    Serving,
    /// SHUTDOWN ran: every client got its close frame; the accept loop is
    /// to stop listening and end every connection.
    Requested,
    /// The listeners are closed and every connection task has ended.
    Done,
}

/// The channel behind [`Engine::shutdown`].
pub(crate) fn channel() -> watch::Sender<Phase> {
    watch::Sender::new(Phase::Serving)
}

fn shutdown(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut nosave, mut save, mut abort, mut flagged) = (false, false, false, false);
    for arg in &ctx.args[1..] {
        if is(arg, "nosave") {
            nosave = true;
        } else if is(arg, "save") {
            save = true;
        } else if is(arg, "now") || is(arg, "force") {
            // No replicas to wait for, and no save that can fail: the
            // shutdown is immediate either way.
        } else if is(arg, "abort") {
            abort = true;
            continue;
        } else {
            return Err(syntax_error());
        }
        flagged = true;
    }
    if (abort && flagged) || (nosave && save) {
        return Err(syntax_error());
    }
    if abort {
        return Err(err("ERR No shutdown in progress."));
    }
    let saves = save || (!nosave && has_save_points(ctx.engine));
    shut_down(ctx.engine, saves);
    // Never written: the caller's close frame went first (it is closed
    // with everyone else, as Redis exits without replying).
    close(&ctx.client.outbox);
    Ok(Reply::ok())
}

/// Whether the `save` parameter holds save points.
fn has_save_points(engine: &Engine) -> bool {
    engine
        .config_str("save")
        .is_some_and(|s| !s.trim().is_empty())
}

/// Redis's `prepareForShutdown` and `finishShutdown` without replicas,
/// children or files: logs as Redis does, saves or empties the keyspace,
/// closes every other client and tells the accept loop.
fn shut_down(engine: &mut Engine, saves: bool) {
    tracing::warn!("User requested shutdown...");
    if saves {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        engine.lastsave = engine.clock.now_ms() / 1000;
        engine.dirty_at_save = engine.dirty();
        engine.saves += 1;
        tracing::info!("DB saved on disk");
    } else {
        engine.flushall();
    }
    for client in engine.clients.values() {
        close(&client.outbox);
    }
    engine.shutdown.send_replace(Phase::Requested);
    tracing::warn!("Redis is now ready to exit, bye bye...");
}

/// Sends a client its close frame: the connection drops without writing
/// what it has not sent yet.
fn close(outbox: &Option<crate::engine::delivery::Outbox>) {
    if let Some(outbox) = outbox {
        if outbox.backlog.close() {
            let _ = outbox.sender.send(OutOfBand {
                bytes: Bytes::new(),
                unblocks: false,
                close: true,
                seq: 0,
            });
        }
    }
}
