//! Redis Cluster's routing decision (`getNodeByQuery` in Redis 7.0's
//! `cluster.c`): before a command with keys runs on a node, its keys must
//! hash to one slot, that slot must be served, and this node must be the
//! one serving it; otherwise the client gets the redirection or error a
//! real cluster node gives, in the same order of checks:
//!
//! 1. keys in different slots: `-CROSSSLOT` (EXEC checks every queued
//!    command's keys together);
//! 2. the first key's slot has no owner: `-CLUSTERDOWN Hash slot not served`;
//! 3. the cluster is down (a slot unassigned or its master failed):
//!    `-CLUSTERDOWN The cluster is down`;
//! 4. the slot is migrating away from this node and a key is missing:
//!    `-ASK slot ip:port` (`-TRYAGAIN` when some keys are here and some not);
//! 5. the slot is importing and the client sent ASKING: served here
//!    (`-TRYAGAIN` for a multi-key command with keys still missing);
//! 6. a replica serves reads after READONLY;
//! 7. another node serves the slot: `-MOVED slot ip:port`.

use bytes::Bytes;

use super::slot::key_slot;
use super::topology::Role;
use crate::engine::command::{CommandSpec, CommandTable, Resolved, flags};
use crate::engine::{Client, Engine};
use crate::protocol::Reply;

const CROSSSLOT: &str = "CROSSSLOT Keys in request don't hash to the same slot";
const TRYAGAIN: &str = "TRYAGAIN Multiple keys request during rehashing of slot";
const DOWN_UNBOUND: &str = "CLUSTERDOWN Hash slot not served";
const DOWN_STATE: &str = "CLUSTERDOWN The cluster is down";
const READONLY: &str = "READONLY You can't write against a read only replica.";

/// The sharded pub/sub commands, whose channels are routed as keys.
pub(crate) fn is_pubsub_shard(name: &str) -> bool {
    matches!(name, "ssubscribe" | "sunsubscribe" | "spublish")
}

/// Whether the command may run on this node: `Err` carries the redirection
/// or error to send instead. `Ok` when the engine is not a cluster node.
pub(crate) fn check(
    engine: &mut Engine,
    client: &Client,
    spec: &'static CommandSpec,
    parent: Option<&'static CommandSpec>,
    args: &[Bytes],
) -> Result<(), Reply> {
    let Some(view) = engine.cluster.clone() else {
        return Ok(());
    };
    let top = parent.unwrap_or(spec);
    // The commands whose keys decide: EXEC's queue, or the command itself.
    let mut commands: Vec<(&'static CommandSpec, &[Bytes])> = Vec::new();
    if top.name == "exec" {
        for queued in client.multi.iter().flatten() {
            if let Resolved::Found(s, _) = CommandTable::get().resolve(queued) {
                commands.push((s, queued));
            }
        }
    } else {
        commands.push((spec, args));
    }
    let is_write = commands.iter().any(|(s, _)| s.flags & flags::WRITE != 0);
    let topology = view.topology();
    let me = view.me_for(client);
    let mut first: Option<(&Bytes, u16, usize)> = None;
    let (mut multiple_keys, mut migrating, mut importing) = (false, false, false);
    let (mut missing, mut existing) = (0usize, 0usize);
    for (s, a) in &commands {
        for pos in s.keys_in(a) {
            let Some(key) = a.get(pos) else { continue };
            let slot = key_slot(key);
            match first {
                None => {
                    let Some(owner) = topology.owner(slot) else {
                        return Err(Reply::error(DOWN_UNBOUND));
                    };
                    first = Some((key, slot, owner));
                    if owner == me && topology.nodes[me].migrating.contains_key(&slot) {
                        migrating = true;
                    } else if topology.nodes[me].importing.contains_key(&slot) {
                        importing = true;
                    }
                }
                Some((first_key, first_slot, _)) => {
                    if slot != first_slot {
                        return Err(Reply::error(CROSSSLOT));
                    }
                    if !multiple_keys && first_key != key {
                        multiple_keys = true;
                    }
                }
            }
            if migrating || importing {
                if engine.dbs[0].contains(key) {
                    existing += 1;
                } else {
                    missing += 1;
                }
            }
        }
    }
    // No key at all: any node serves it, but a replica no write
    // (processCommand's `-READONLY` check, which follows the routing).
    let Some((_, slot, owner)) = first else {
        if is_write && !topology.nodes[me].is_master() {
            return Err(Reply::error(READONLY));
        }
        return Ok(());
    };
    if !topology.is_ok() {
        // `cluster-allow-reads-when-down` and
        // `cluster-allow-pubsubshard-when-down` are `no` and `yes`.
        if !is_pubsub_shard(top.name) {
            return Err(Reply::error(DOWN_STATE));
        }
    }
    if (migrating || importing) && top.name == "migrate" {
        return Ok(());
    }
    if migrating && missing > 0 {
        if existing > 0 {
            return Err(Reply::error(TRYAGAIN));
        }
        let to = topology.nodes[me].migrating[&slot];
        return Err(redirect("ASK", slot, &topology.nodes[to].endpoint()));
    }
    if importing && (client.asking || top.flags & flags::ASKING != 0) {
        if multiple_keys && missing > 0 {
            return Err(Reply::error(TRYAGAIN));
        }
        return Ok(());
    }
    if (client.readonly || is_pubsub_shard(top.name))
        && !is_write
        && topology.nodes[me].role == Role::Replica(owner)
    {
        return Ok(());
    }
    if owner != me {
        return Err(redirect("MOVED", slot, &topology.nodes[owner].endpoint()));
    }
    Ok(())
}

fn redirect(kind: &str, slot: u16, endpoint: &str) -> Reply {
    Reply::error(format!("{kind} {slot} {endpoint}"))
}
