//! Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH.
//!
//! Queueing happens in the dispatcher (`Engine::dispatch`): inside MULTI,
//! every command that passes the queue-time checks (unknown command,
//! arity, authentication) is queued and answered `+QUEUED`, except the
//! commands [`runs_in_multi`] lists; a command failing those checks gets
//! its error and flags the transaction, so EXEC answers EXECABORT.

use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::util::errors::err;
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::Reply;

const TX: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("multi", 1, multi)
        .flags(TX)
        .acl(acl::TRANSACTION)
        .doc(
            "transactions",
            "1.2.0",
            "O(1)",
            "Mark the start of a transaction block",
        ),
    CommandSpec::new("exec", 1, exec)
        .flags(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG)
        .acl(acl::TRANSACTION)
        .doc(
            "transactions",
            "1.2.0",
            "Depends on commands in the transaction",
            "Execute all commands issued after MULTI",
        ),
    CommandSpec::new("discard", 1, discard)
        .flags(TX)
        .acl(acl::TRANSACTION)
        .doc(
            "transactions",
            "2.0.0",
            "O(N), when N is the number of queued commands",
            "Discard all commands issued after MULTI",
        ),
    CommandSpec::new("watch", -2, watch)
        .flags(TX)
        .acl(acl::TRANSACTION)
        .keys(1, -1, 1, &["RO"])
        .doc(
            "transactions",
            "2.2.0",
            "O(1) for every key.",
            "Watch the given keys to determine execution of the MULTI/EXEC block",
        ),
    CommandSpec::new("unwatch", 1, unwatch)
        .flags(TX)
        .acl(acl::TRANSACTION)
        .doc(
            "transactions",
            "2.2.0",
            "O(1)",
            "Forget about all watched keys",
        ),
];

/// Commands that run at once inside MULTI instead of being queued.
pub(crate) fn runs_in_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Drops every WATCH of a client.
pub(crate) fn unwatch_all(engine: &mut Engine, client: &mut Client) {
    for (db, key, _) in client.watched.drain(..) {
        engine.dbs[db].unwatch(&key);
    }
}

/// Leaves MULTI and forgets the watched keys (Redis's `discardTransaction`).
pub(crate) fn discard_transaction(engine: &mut Engine, client: &mut Client) {
    client.multi = None;
    client.multi_dirty = false;
    unwatch_all(engine, client);
}

fn multi(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(err("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Vec::new());
    ctx.client.multi_dirty = false;
    Ok(Reply::ok())
}

fn discard(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(err("ERR DISCARD without MULTI"));
    }
    discard_transaction(ctx.engine, ctx.client);
    Ok(Reply::ok())
}

fn exec(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(queue) = ctx.client.multi.take() else {
        return Err(err("ERR EXEC without MULTI"));
    };
    let broken = ctx
        .client
        .watched
        .iter()
        .any(|(db, key, mark)| ctx.engine.dbs[*db].watch_broken(key, mark));
    if ctx.client.multi_dirty {
        discard_transaction(ctx.engine, ctx.client);
        return Err(err(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if broken {
        discard_transaction(ctx.engine, ctx.client);
        return Ok(Reply::NilArray);
    }
    unwatch_all(ctx.engine, ctx.client);
    ctx.client.multi_dirty = false;
    // The client stays "in MULTI" while the queue runs (CLIENT LIST shows
    // flags=x and the queue length), as in Redis; nothing can be queued
    // meanwhile, since queued commands do not go through the dispatcher.
    let mut replies = Vec::with_capacity(queue.len());
    ctx.client.multi = Some(queue);
    let count = ctx.client.multi.as_ref().map_or(0, Vec::len);
    for i in 0..count {
        let args = ctx.client.multi.as_ref().map(|q| q[i].clone());
        if let Some(args) = args {
            replies.push(ctx.engine.call_queued(ctx.client, &args));
        }
    }
    ctx.client.multi = None;
    Ok(Reply::Array(replies))
}

fn watch(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(err("ERR WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    for key in &ctx.args[1..] {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k, _)| *d == db && k == key)
        {
            continue;
        }
        let mark = ctx.engine.dbs[db].watch(key);
        ctx.client.watched.push((db, key.clone(), mark));
    }
    Ok(Reply::ok())
}

fn unwatch(ctx: &mut Ctx<'_>) -> CmdResult {
    unwatch_all(ctx.engine, ctx.client);
    Ok(Reply::ok())
}
