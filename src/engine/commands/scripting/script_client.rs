//! The script's client: one per Lua state, kept from run to run and reset
//! in place before each (Redis's script client is likewise created once).

use std::time::Instant;

use crate::engine::Client;

/// Makes the script's client (kept in the Lua state from run to run) what
/// `Client::detached(db)` speaking RESP2 and created at `now` is, without
/// building a new one (and dropping the old one) for every run. Every
/// field is named here, so a field added to [`Client`] fails to compile
/// until it is reset too.
///
/// A script's commands leave the client's owned state (names, queues,
/// subscriptions, ...) empty in practice: when it is, only the plain
/// fields are written (a short path, which the instruction cache keeps
/// small); otherwise the full reset runs.
pub(super) fn reset_script_client(client: &mut Client, db: usize, now: Instant) {
    let Client {
        id,
        addr,
        laddr,
        name,
        lib_name,
        lib_ver,
        db: client_db,
        protocol,
        authenticated,
        created,
        last_interaction,
        last_command,
        close_after_reply,
        multi,
        multi_dirty,
        watched,
        subs,
        outbox,
        blocked,
        extra,
        last_read_ms,
        script_calls,
        tracking,
        reply,
        no_evict,
        monitor,
        postponed,
        seen_written,
        user: _,
        script_caller_info,
        asking,
        readonly,
        cluster_node,
    } = client;
    let owned_empty = addr.is_empty()
        && laddr.is_empty()
        && name.is_none()
        && lib_name.is_none()
        && lib_ver.is_none()
        && multi.is_none()
        && watched.is_empty()
        && subs.total() == 0
        && outbox.is_none()
        && blocked.is_none()
        && extra.is_empty()
        && script_calls.is_empty()
        && tracking.is_none()
        && script_caller_info.is_none();
    if !owned_empty {
        return reset_script_client_fully(client, db, now);
    }
    *id = 0;
    *client_db = db;
    *protocol = crate::protocol::Protocol::Resp2;
    *authenticated = true;
    *created = now;
    *last_interaction = now;
    *last_command = crate::engine::command::CommandName::NULL;
    *close_after_reply = false;
    *multi_dirty = false;
    *last_read_ms = 0;
    *reply = Default::default();
    *no_evict = false;
    *monitor = false;
    *postponed = false;
    *seen_written = 0;
    *asking = false;
    *readonly = false;
    *cluster_node = None;
    // `user` is the caller's, set by `acl_script_client` right after.
}

/// [`reset_script_client`] when some owned state is left: a new client,
/// as before the reset in place.
#[cold]
#[inline(never)]
fn reset_script_client_fully(client: &mut Client, db: usize, now: Instant) {
    *client = Client::detached(db);
    client.protocol = crate::protocol::Protocol::Resp2;
    client.created = now;
    client.last_interaction = now;
}
