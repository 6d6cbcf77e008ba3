//! CLUSTER and the cluster-only commands (ASKING, READONLY, READWRITE):
//! the one place for them. On a standalone server every one of them (HELP
//! included) answers, after its arity check, `-ERR This instance has
//! cluster support disabled`, as redis-server without `cluster-enabled`;
//! on a node of a `MockRedisCluster` they read and change the shared
//! topology (`engine/cluster/`). `topology.rs` has the topology replies
//! (INFO, NODES, SLOTS, SHARDS, LINKS, REPLICAS), `slots.rs` the slot
//! commands (ADDSLOTS.., SETSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT) and
//! `nodes.rs` the node management (FAILOVER, FORGET, MEET, REPLICATE,
//! RESET, epochs).

mod nodes;
mod slots;
mod topology;

use crate::engine::Ctx;
use crate::engine::cluster::ClusterView;
use crate::engine::cluster::slot::key_slot;
use crate::engine::cluster::topology::Role;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::util::errors::err;
use crate::engine::util::help::help_reply;
use crate::protocol::Reply;

/// What a server without `cluster-enabled` answers.
pub(crate) const DISABLED: &str = "ERR This instance has cluster support disabled";

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::container("cluster", CLUSTER),
    CommandSpec::new("readonly", 1, readonly)
        .flags(LOADING | STALE | FAST)
        .acl(acl::CONNECTION),
    CommandSpec::new("readwrite", 1, readwrite)
        .flags(LOADING | STALE | FAST)
        .acl(acl::CONNECTION),
    CommandSpec::new("asking", 1, asking)
        .flags(FAST)
        .acl(acl::CONNECTION),
];

const ADMIN_FLAGS: u32 = ADMIN | STALE | NO_ASYNC_LOADING;

const CLUSTER: &[CommandSpec] = &[
    CommandSpec::new("addslots", -3, slots::addslots).flags(ADMIN_FLAGS),
    CommandSpec::new("addslotsrange", -4, slots::addslotsrange).flags(ADMIN_FLAGS),
    CommandSpec::new("bumpepoch", 2, nodes::bumpepoch).flags(ADMIN_FLAGS),
    CommandSpec::new("count-failure-reports", 3, topology::count_failure_reports)
        .flags(ADMIN | STALE),
    CommandSpec::new("countkeysinslot", 3, slots::countkeysinslot).flags(STALE),
    CommandSpec::new("delslots", -3, slots::delslots).flags(ADMIN_FLAGS),
    CommandSpec::new("delslotsrange", -4, slots::delslotsrange).flags(ADMIN_FLAGS),
    CommandSpec::new("failover", -2, nodes::failover).flags(ADMIN_FLAGS),
    CommandSpec::new("flushslots", 2, slots::flushslots).flags(ADMIN_FLAGS),
    CommandSpec::new("forget", 3, nodes::forget).flags(ADMIN_FLAGS),
    CommandSpec::new("getkeysinslot", 4, slots::getkeysinslot).flags(STALE),
    CommandSpec::new("help", 2, help).flags(LOADING | STALE),
    CommandSpec::new("info", 2, topology::info).flags(STALE),
    CommandSpec::new("keyslot", 3, keyslot).flags(STALE),
    CommandSpec::new("links", 2, topology::links).flags(STALE),
    CommandSpec::new("meet", -4, nodes::meet).flags(ADMIN_FLAGS),
    CommandSpec::new("myid", 2, myid).flags(STALE),
    CommandSpec::new("nodes", 2, topology::nodes).flags(STALE),
    CommandSpec::new("replicas", 3, topology::replicas).flags(ADMIN | STALE),
    CommandSpec::new("replicate", 3, nodes::replicate).flags(ADMIN_FLAGS),
    CommandSpec::new("reset", -2, nodes::reset).flags(ADMIN | NOSCRIPT | STALE),
    CommandSpec::new("saveconfig", 2, nodes::saveconfig).flags(ADMIN_FLAGS),
    CommandSpec::new("set-config-epoch", 3, nodes::set_config_epoch).flags(ADMIN_FLAGS),
    CommandSpec::new("setslot", -4, slots::setslot).flags(ADMIN_FLAGS),
    CommandSpec::new("shards", 2, topology::shards).flags(STALE),
    CommandSpec::new("slaves", 3, topology::replicas).flags(ADMIN | STALE),
    CommandSpec::new("slots", 2, topology::slots).flags(STALE),
];

const HELP: &[&str] = &[
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
];

/// This node's view, or the standalone error.
/// (`me` is the node the client connected to.)
pub(super) fn view(ctx: &Ctx<'_>) -> Result<ClusterView, Reply> {
    let mut view = ctx.engine.cluster.clone().ok_or_else(|| err(DISABLED))?;
    view.me = view.me_for(ctx.client);
    Ok(view)
}

/// ROLE on a cluster node: a master lists its replicas (ip, port,
/// offset), a replica names its master, its link `connected` (it shares
/// the master's data) and its offset. `None` outside a cluster.
pub(crate) fn role(ctx: &Ctx<'_>) -> Option<Reply> {
    let view = view(ctx).ok()?;
    let t = view.topology();
    let node = &t.nodes[view.me];
    // The shard's replication offset: the writes its engine has seen; a
    // master without replicas keeps no backlog, so 0, as in Redis.
    let offset = if t.replicas_of(t.master_of(view.me)).is_empty() {
        0
    } else {
        ctx.engine.dirty() as i64
    };
    Some(match node.role {
        Role::Master => Reply::Array(vec![
            Reply::bulk("master"),
            Reply::int(offset),
            Reply::Array(
                t.replicas_of(view.me)
                    .into_iter()
                    .filter(|&r| !t.nodes[r].failed)
                    .map(|r| {
                        Reply::Array(vec![
                            Reply::bulk(t.nodes[r].ip.clone()),
                            Reply::bulk(t.nodes[r].port.to_string()),
                            Reply::bulk(offset.to_string()),
                        ])
                    })
                    .collect(),
            ),
        ]),
        Role::Replica(m) => Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk(t.nodes[m].ip.clone()),
            Reply::int(i64::from(t.nodes[m].port)),
            Reply::bulk(if t.nodes[m].failed {
                "connect"
            } else {
                "connected"
            }),
            Reply::int(offset),
        ]),
    })
}

fn asking(ctx: &mut Ctx<'_>) -> CmdResult {
    view(ctx)?;
    ctx.client.asking = true;
    Ok(Reply::ok())
}

fn readonly(ctx: &mut Ctx<'_>) -> CmdResult {
    view(ctx)?;
    ctx.client.readonly = true;
    Ok(Reply::ok())
}

fn readwrite(ctx: &mut Ctx<'_>) -> CmdResult {
    view(ctx)?;
    ctx.client.readonly = false;
    Ok(Reply::ok())
}

fn help(ctx: &mut Ctx<'_>) -> CmdResult {
    view(ctx)?;
    Ok(help_reply("CLUSTER", HELP))
}

fn myid(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let id = view.topology().nodes[view.me].id.clone();
    Ok(Reply::bulk(id))
}

fn keyslot(ctx: &mut Ctx<'_>) -> CmdResult {
    view(ctx)?;
    Ok(Reply::int(i64::from(key_slot(ctx.arg(2)))))
}
