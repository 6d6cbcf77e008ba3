//! Failures driven from the test: [`MockRedisCluster::fail_node`] (the node
//! goes away, a replica takes over as the cluster's failure detection
//! would decide), [`MockRedisCluster::partition`] (the node goes away
//! unnoticed), [`MockRedisCluster::recover_node`] and the manual
//! [`MockRedisCluster::failover`].

use std::io;

use super::MockRedisCluster;
use crate::engine::cluster::topology::Role;

impl MockRedisCluster {
    /// Node `i` fails: it stops listening and every connection to it
    /// closes (clients see the connection drop), and every other node
    /// flags it `fail`. A failed master with a replica left is replaced at
    /// once by its first healthy replica, which takes its slots (a real
    /// cluster does so after `cluster-node-timeout`): clients that ask any
    /// node then get `-MOVED` to the new master, and `CLUSTER SLOTS` lists
    /// it. Without a replica its slots go unserved and the cluster answers
    /// `-CLUSTERDOWN The cluster is down`. Data is kept: a replica shares
    /// its master's keyspace.
    ///
    /// Returns the node that took over, if one did.
    ///
    /// # Panics
    ///
    /// When there is no node `i`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut cluster = mock_redis::MockRedisCluster::builder().shards(3).replicas(1).start().await;
    /// assert_eq!(cluster.fail_node(0), Some(3));
    /// assert_eq!(cluster.slot_owner(0), Some(3));
    /// assert!(tokio::net::TcpStream::connect(cluster.node(0).addr()).await.is_err());
    /// # }
    /// ```
    pub fn fail_node(&mut self, i: usize) -> Option<usize> {
        self.nodes[i].stop_listening();
        let mut t = self.topology();
        t.nodes[i].failed = true;
        if !t.nodes[i].is_master() {
            return None;
        }
        let heir = t.replicas_of(i).into_iter().find(|&r| !t.nodes[r].failed)?;
        t.promote(heir);
        Some(heir)
    }

    /// Cuts node `i` off from its clients without the cluster noticing
    /// (the moments before `cluster-node-timeout` declares it failed): it
    /// stops listening and its connections close, as in
    /// [`fail_node`](MockRedisCluster::fail_node), but no node flags it and
    /// no replica takes over, so the other nodes keep redirecting its
    /// slots to it and clients following them meet connection errors.
    /// [`recover_node`](MockRedisCluster::recover_node) heals it, and
    /// [`fail_node`](MockRedisCluster::fail_node) lets the failure
    /// detection conclude.
    ///
    /// # Panics
    ///
    /// When there is no node `i`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut cluster = mock_redis::MockRedisCluster::builder().shards(3).replicas(1).start().await;
    /// cluster.partition(0);
    /// assert_eq!(cluster.slot_owner(0), Some(0), "still the owner for the others");
    /// assert!(tokio::net::TcpStream::connect(cluster.node(0).addr()).await.is_err());
    /// cluster.recover_node(0).unwrap();
    /// tokio::net::TcpStream::connect(cluster.node(0).addr()).await.unwrap();
    /// # }
    /// ```
    pub fn partition(&mut self, i: usize) {
        self.nodes[i].stop_listening();
    }

    /// Brings failed node `i` back on its address: it listens again and
    /// the `fail` flag clears. A master that was replaced meanwhile comes
    /// back as a replica of the node that took over, as in Redis.
    ///
    /// # Errors
    ///
    /// When its address cannot be bound again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut cluster = mock_redis::MockRedisCluster::builder().shards(3).replicas(1).start().await;
    /// cluster.fail_node(0);
    /// cluster.recover_node(0).unwrap();
    /// assert_eq!(cluster.master_of(0), 3);
    /// tokio::net::TcpStream::connect(cluster.node(0).addr()).await.unwrap();
    /// # }
    /// ```
    pub fn recover_node(&mut self, i: usize) -> io::Result<()> {
        if !self.nodes[i].is_listening() {
            self.nodes[i].relisten()?;
        }
        self.topology().nodes[i].failed = false;
        Ok(())
    }

    /// A manual failover (`CLUSTER FAILOVER` sent to replica `i`): the
    /// replica becomes the master of its shard and its old master one of
    /// its replicas. No connection drops: clients of the old master get
    /// `-MOVED` to the new one.
    ///
    /// # Panics
    ///
    /// When node `i` is not a replica.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::builder().shards(2).replicas(1).start().await;
    /// cluster.failover(2);
    /// assert_eq!(cluster.slot_owner(0), Some(2));
    /// assert_eq!(cluster.master_of(0), 2);
    /// # }
    /// ```
    pub fn failover(&self, i: usize) {
        let mut t = self.topology();
        assert!(
            matches!(t.nodes[i].role, Role::Replica(_)),
            "mock-redis: node {i} is not a replica"
        );
        t.promote(i);
    }
}
