//! Cluster mode: what a node of an in-process Redis Cluster knows and
//! checks. [`ClusterView`] is a node's handle on the shared
//! [`topology::Topology`]; `route.rs` is Redis's `getNodeByQuery` (the
//! MOVED, ASK, CROSSSLOT, TRYAGAIN and CLUSTERDOWN decisions the dispatcher
//! makes before running a command); `slot.rs` the hash slots. The CLUSTER
//! command itself is in `commands/cluster.rs`, the `MockRedisCluster`
//! handle that starts the nodes in `server/cluster.rs`.
//!
//! Lock order: a node's engine lock, then the topology lock, never the
//! reverse; the topology lock is held only for a lookup or an update.

pub(crate) mod broadcast;
pub(crate) mod info;
pub(crate) mod route;
pub(crate) mod slot;
pub(crate) mod topology;

use std::sync::{Arc, Mutex, MutexGuard};

use topology::Topology;

/// One node's handle on the cluster: the shared topology and which node
/// this engine serves as.
#[derive(Clone, Debug)]
pub(crate) struct ClusterView {
    topology: Arc<Mutex<Topology>>,
    /// PUBLISH to the other shards.
    pub broadcast: Arc<broadcast::Broadcast>,
    /// This node's index in the topology (for an engine a master shares
    /// with its replicas: the master's; a connection's node is
    /// [`ClusterView::me_for`]).
    pub me: usize,
}

impl ClusterView {
    pub fn new(
        topology: Arc<Mutex<Topology>>,
        broadcast: Arc<broadcast::Broadcast>,
        me: usize,
    ) -> ClusterView {
        ClusterView {
            topology,
            broadcast,
            me,
        }
    }

    /// The node listening on `laddr` (`ip:port`, the port decides): the
    /// node a connection came in on.
    pub fn node_at(&self, laddr: &str) -> Option<usize> {
        let port: u16 = laddr.rsplit(':').next()?.parse().ok()?;
        self.topology().nodes.iter().position(|n| n.port == port)
    }

    /// The node serving `client`: the one it connected to, else `me`.
    pub fn me_for(&self, client: &crate::engine::Client) -> usize {
        client.cluster_node.unwrap_or(self.me)
    }

    /// Locks the topology (briefly: never across another lock's wait).
    pub fn topology(&self) -> MutexGuard<'_, Topology> {
        self.topology.lock().unwrap_or_else(|e| e.into_inner())
    }
}
