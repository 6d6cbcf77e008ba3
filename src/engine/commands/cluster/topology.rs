//! The CLUSTER replies describing the topology: INFO, NODES, SLOTS,
//! SHARDS, LINKS, REPLICAS/SLAVES and COUNT-FAILURE-REPORTS, as a node of a
//! converged Redis 7.0 cluster gives them.

use std::fmt::Write as _;

use super::view;
use crate::engine::Ctx;
use crate::engine::cluster::topology::{Role, Topology};
use crate::engine::command::CmdResult;
use crate::engine::util::errors::err;
use crate::protocol::Reply;

pub(super) fn count_failure_reports(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let topology = view.topology();
    match topology.find(ctx.arg(2)) {
        // Failure reports travel on the cluster bus, which has no peers here.
        Some(_) => Ok(Reply::int(0)),
        None => Err(unknown_node(ctx.arg(2))),
    }
}

pub(super) fn unknown_node(id: &[u8]) -> Reply {
    Reply::error(format!("ERR Unknown node {}", String::from_utf8_lossy(id)))
}

pub(super) fn replicas(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let topology = view.topology();
    let Some(n) = topology.find(ctx.arg(2)) else {
        return Err(unknown_node(ctx.arg(2)));
    };
    if !topology.nodes[n].is_master() {
        return Err(err("ERR The specified node is not a master"));
    }
    let now = ctx.engine.clock.now_ms();
    Ok(Reply::Array(
        topology
            .replicas_of(n)
            .into_iter()
            .map(|r| Reply::bulk(node_line(&topology, r, view.me, now).trim_end().to_owned()))
            .collect(),
    ))
}

/// `CLUSTER INFO`'s text.
pub(super) fn info(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let t = view.topology();
    let master = t.master_of(view.me);
    let assigned = t.assigned();
    let failed = t.failed_slots();
    let mut text = String::new();
    let state = if t.is_ok() { "ok" } else { "fail" };
    let _ = write!(
        text,
        "cluster_state:{state}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{}\r\n\
         cluster_slots_pfail:0\r\ncluster_slots_fail:{failed}\r\ncluster_known_nodes:{}\r\n\
         cluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n\
         cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n\
         total_cluster_links_buffer_limit_exceeded:0\r\n",
        assigned - failed,
        t.nodes.len(),
        t.size(),
        t.current_epoch,
        t.nodes[master].config_epoch,
    );
    Ok(Reply::Verbatim {
        format: *b"txt",
        text: text.into(),
    })
}

/// One line of `CLUSTER NODES`, as node `me` describes node `n`.
fn node_line(t: &Topology, n: usize, me: usize, now_ms: i64) -> String {
    let node = &t.nodes[n];
    let mut flags = String::new();
    if n == me {
        flags.push_str("myself,");
    }
    flags.push_str(if node.is_master() { "master" } else { "slave" });
    if node.failed {
        flags.push_str(",fail");
    }
    let master = match node.role {
        Role::Master => "-".to_string(),
        Role::Replica(m) => t.nodes[m].id.clone(),
    };
    // A replica shows its master's config epoch (`clusterGenNodeDescription`).
    let epoch = match node.role {
        Role::Master => node.config_epoch,
        Role::Replica(m) => t.nodes[m].config_epoch,
    };
    let pong = if n == me {
        now_ms / 1000 * 1000
    } else {
        now_ms
    };
    let link = if node.failed {
        "disconnected"
    } else {
        "connected"
    };
    let mut line = format!(
        "{} {}:{}@{} {flags} {master} 0 {pong} {} {link}",
        node.id,
        node.ip,
        node.port,
        node.bus_port(),
        epoch
    );
    for (a, b) in t.ranges_of(n) {
        if a == b {
            let _ = write!(line, " {a}");
        } else {
            let _ = write!(line, " {a}-{b}");
        }
    }
    if n == me {
        for (slot, to) in &node.migrating {
            let _ = write!(line, " [{slot}->-{}]", t.nodes[*to].id);
        }
        for (slot, from) in &node.importing {
            let _ = write!(line, " [{slot}-<-{}]", t.nodes[*from].id);
        }
    }
    line.push('\n');
    line
}

pub(super) fn nodes(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let t = view.topology();
    let now = ctx.engine.clock.now_ms();
    let text: String = (0..t.nodes.len())
        .map(|n| node_line(&t, n, view.me, now))
        .collect();
    Ok(Reply::Verbatim {
        format: *b"txt",
        text: text.into(),
    })
}

/// A node as `CLUSTER SLOTS` lists it: ip, port, id, and a map of extra
/// endpoints (none here).
fn slots_node(t: &Topology, n: usize) -> Reply {
    let node = &t.nodes[n];
    Reply::Array(vec![
        Reply::bulk(node.ip.clone()),
        Reply::int(i64::from(node.port)),
        Reply::bulk(node.id.clone()),
        Reply::Map(Vec::new()),
    ])
}

pub(super) fn slots(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let t = view.topology();
    let mut out = Vec::new();
    for (a, b, owner) in t.ranges() {
        let mut entry = vec![
            Reply::int(i64::from(a)),
            Reply::int(i64::from(b)),
            slots_node(&t, owner),
        ];
        entry.extend(
            t.replicas_of(owner)
                .into_iter()
                .filter(|&r| !t.nodes[r].failed)
                .map(|r| slots_node(&t, r)),
        );
        out.push(Reply::Array(entry));
    }
    Ok(Reply::Array(out))
}

pub(super) fn shards(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let t = view.topology();
    let offset = ctx.engine.dirty() as i64;
    let shard_node = |n: usize| {
        let node = &t.nodes[n];
        // A replica shares its master's data: in sync, so online.
        let health = if node.failed { "fail" } else { "online" };
        Reply::map([
            (Reply::bulk("id"), Reply::bulk(node.id.clone())),
            (Reply::bulk("port"), Reply::int(i64::from(node.port))),
            (Reply::bulk("ip"), Reply::bulk(node.ip.clone())),
            (Reply::bulk("endpoint"), Reply::bulk(node.ip.clone())),
            (
                Reply::bulk("role"),
                Reply::bulk(if node.is_master() {
                    "master"
                } else {
                    "replica"
                }),
            ),
            (Reply::bulk("replication-offset"), Reply::int(offset)),
            (Reply::bulk("health"), Reply::bulk(health)),
        ])
    };
    let out = (0..t.nodes.len())
        .filter(|&n| t.nodes[n].is_master())
        .map(|m| {
            let slots = t
                .ranges_of(m)
                .into_iter()
                .flat_map(|(a, b)| [Reply::int(i64::from(a)), Reply::int(i64::from(b))]);
            let nodes = std::iter::once(m).chain(t.replicas_of(m)).map(shard_node);
            Reply::map([
                (Reply::bulk("slots"), Reply::array(slots)),
                (Reply::bulk("nodes"), Reply::array(nodes)),
            ])
        });
    Ok(Reply::array(out))
}

pub(super) fn links(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let t = view.topology();
    let mut out = Vec::new();
    for (n, node) in t.nodes.iter().enumerate() {
        if n == view.me || node.failed {
            continue;
        }
        for direction in ["to", "from"] {
            out.push(Reply::map([
                (Reply::bulk("direction"), Reply::bulk(direction)),
                (Reply::bulk("node"), Reply::bulk(node.id.clone())),
                (Reply::bulk("create-time"), Reply::int(node.created_ms)),
                (Reply::bulk("events"), Reply::bulk("r")),
                (Reply::bulk("send-buffer-allocated"), Reply::int(0)),
                (Reply::bulk("send-buffer-used"), Reply::int(0)),
            ]));
        }
    }
    Ok(Reply::Array(out))
}
