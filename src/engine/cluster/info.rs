//! What INFO says about a cluster node: its own port in `# Server`, and in
//! `# Replication` its role as a redis-server 7.0 in that role prints it:
//! a replica names its master (`role:slave`, `master_host`, `master_port`,
//! `master_link_status`), a master lists its replicas (`connected_slaves`,
//! `slaveN:ip=...,port=...,state=online,offset=...,lag=0`). A replica
//! shares its master's keyspace, so both are always in sync: offsets are
//! 0 and links up unless the test failed the master.

use super::topology::Role;
use crate::engine::{Client, Engine};

/// The port of the node `client` is connected to, when the engine is a
/// cluster node's.
pub(crate) fn node_port(engine: &Engine, client: Option<&Client>) -> Option<u16> {
    let view = engine.cluster.as_ref()?;
    let me = client.map_or(view.me, |c| view.me_for(c));
    view.topology().nodes.get(me).map(|n| n.port)
}

/// The `# Replication` fields of the node `client` is connected to, in
/// redis-server 7.0's order; `None` when the engine is no cluster node's.
pub(crate) fn replication(
    engine: &Engine,
    client: Option<&Client>,
) -> Option<Vec<(String, String)>> {
    let view = engine.cluster.as_ref()?;
    let me = client.map_or(view.me, |c| view.me_for(c));
    let topology = view.topology();
    let node = topology.nodes.get(me)?;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut field = |k: &str, v: String| out.push((k.to_string(), v));
    match node.role {
        Role::Replica(master) => {
            let m = topology.nodes.get(master)?;
            field("role", "slave".into());
            field("master_host", m.ip.clone());
            field("master_port", m.port.to_string());
            let link = if m.failed { "down" } else { "up" };
            field("master_link_status", link.into());
            field(
                "master_last_io_seconds_ago",
                if m.failed { "-1" } else { "0" }.into(),
            );
            field("master_sync_in_progress", "0".into());
            field("slave_read_repl_offset", "0".into());
            field("slave_repl_offset", "0".into());
            if m.failed {
                field("master_link_down_since_seconds", "0".into());
            }
            field("slave_priority", "100".into());
            field("slave_read_only", "1".into());
            field("replica_announced", "1".into());
            field("connected_slaves", "0".into());
        }
        Role::Master => {
            field("role", "master".into());
            let replicas: Vec<usize> = topology
                .replicas_of(me)
                .into_iter()
                .filter(|&r| topology.nodes.get(r).is_some_and(|n| !n.failed))
                .collect();
            field("connected_slaves", replicas.len().to_string());
            for (k, r) in replicas.iter().enumerate() {
                let n = &topology.nodes[*r];
                field(
                    &format!("slave{k}"),
                    format!("ip={},port={},state=online,offset=0,lag=0", n.ip, n.port),
                );
            }
        }
    }
    let backlog = node.role != Role::Master || !topology.replicas_of(me).is_empty();
    field("master_failover_state", "no-failover".into());
    field("master_replid", engine.run_id.to_string());
    field("master_replid2", "0".repeat(40));
    field("master_repl_offset", "0".into());
    field("second_repl_offset", "-1".into());
    field("repl_backlog_active", u8::from(backlog).to_string());
    field("repl_backlog_size", "1048576".into());
    field(
        "repl_backlog_first_byte_offset",
        u8::from(backlog).to_string(),
    );
    field("repl_backlog_histlen", "0".into());
    Some(out)
}
