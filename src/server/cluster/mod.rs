//! [`MockRedisCluster`]: a Redis Cluster in one process. Every node is a
//! [`MockRedis`] with its own listener, keyspace, mocks and journal; the
//! nodes share one topology (`engine/cluster/`), so a slot moved or a node
//! failed from the test is seen by every node at once, as a converged
//! cluster sees it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

mod failover;
mod migration;
mod mocks;

pub use migration::SlotMigration;

use super::MockRedis;
use crate::engine::cluster::ClusterView;
use crate::engine::cluster::broadcast::Broadcast;
use crate::engine::cluster::slot::{SLOTS, key_slot};
use crate::engine::cluster::topology::{Node, Role, Topology};

/// A Redis Cluster served in process: `shards` masters, each a real
/// listener on loopback, with the 16,384 hash slots split between them as
/// `redis-cli --cluster create` splits them. Cluster clients (redis-rs
/// `cluster`/`cluster-async`, redis-py `RedisCluster`, ioredis `Cluster`)
/// connect to any of [`urls`](MockRedisCluster::urls) and follow `MOVED`
/// and `ASK` as against a real cluster.
///
/// Dropping the handle stops every node.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> redis::RedisResult<()> {
/// use redis::AsyncCommands;
///
/// let cluster = mock_redis::MockRedisCluster::start(3).await;
/// let client = redis::cluster::ClusterClient::new(cluster.urls())?;
/// let mut conn = client.get_async_connection().await?;
/// let () = conn.set("user:1", "alice").await?;
///
/// // The key lives on the node that serves its slot, and only there.
/// let owner = cluster.node_for_key("user:1");
/// assert_eq!(cluster.node(owner).db(0).get("user:1").unwrap().unwrap(), "alice");
/// # Ok(())
/// # }
/// ```
#[must_use = "dropping the cluster stops every node at once"]
pub struct MockRedisCluster {
    nodes: Vec<MockRedis>,
    topology: Arc<Mutex<Topology>>,
    /// Serializes the steps that lock two nodes' engines (moving keys), so
    /// two of them never wait on each other.
    moving: Mutex<()>,
    /// The cluster-wide mocks (`mocks.rs`), which the nodes consult once
    /// one is mounted.
    mocks: Arc<crate::mock::MockState>,
    /// Keys [`SlotMigration`] moved, per slot still migrating: where a
    /// node giving a slot away would answer `-ASK`, for the cluster-wide
    /// mocks' routing, which cannot look into the keyspace.
    moved: Arc<Mutex<MovedKeys>>,
}

/// Keys moved off each migrating slot, by the test's [`SlotMigration`].
pub(crate) type MovedKeys = rustc_hash::FxHashMap<u16, rustc_hash::FxHashSet<bytes::Bytes>>;

/// Options for a [`MockRedisCluster`], from [`MockRedisCluster::builder`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let cluster = mock_redis::MockRedisCluster::builder().shards(2).start().await;
/// assert_eq!(cluster.urls().len(), 2);
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` or `start_blocking`"]
pub struct ClusterBuilder {
    shards: usize,
    replicas: usize,
    ip: IpAddr,
    base_port: u16,
}

impl Default for ClusterBuilder {
    fn default() -> ClusterBuilder {
        ClusterBuilder {
            shards: 3,
            replicas: 0,
            base_port: 0,
            ip: IpAddr::from([127, 0, 0, 1]),
        }
    }
}

impl ClusterBuilder {
    /// The number of masters (3 by default, at least 1, at most 1,000).
    ///
    /// ```
    /// let builder = mock_redis::MockRedisCluster::builder().shards(5);
    /// # drop(builder);
    /// ```
    pub fn shards(mut self, shards: usize) -> ClusterBuilder {
        self.shards = shards.clamp(1, 1000);
        self
    }

    /// Replicas per master (0 by default, at most 10). Node `i` for `i` in
    /// `0..shards` is master `i`; its replicas follow every master, as
    /// nodes `shards + i * replicas + k`. A replica serves its master's data
    /// (the two share one keyspace, as a replica in sync has it) on a
    /// listener, mocks and journal of its own: it answers `-MOVED` to its
    /// master unless the client sent `READONLY`, then serves reads.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::builder().shards(3).replicas(1).start().await;
    /// assert_eq!(cluster.len(), 6);
    /// assert_eq!(cluster.master_of(3), 0);
    /// # }
    /// ```
    pub fn replicas(mut self, replicas: usize) -> ClusterBuilder {
        self.replicas = replicas.min(10);
        self
    }

    /// The address every node binds (on an ephemeral port) and announces
    /// in redirections and `CLUSTER SLOTS`: `127.0.0.1` by default.
    ///
    /// ```
    /// let builder = mock_redis::MockRedisCluster::builder().bind_ip("127.0.0.1".parse().unwrap());
    /// # drop(builder);
    /// ```
    pub fn bind_ip(mut self, ip: IpAddr) -> ClusterBuilder {
        self.ip = ip;
        self
    }

    /// Node `i` listens on `port + i` (consecutive ports, masters then
    /// replicas, as `create-cluster` lays them out) instead of an
    /// ephemeral port each; 0, the default, keeps ephemeral ports.
    ///
    /// ```
    /// let builder = mock_redis::MockRedisCluster::builder().shards(3).base_port(30001);
    /// # drop(builder);
    /// ```
    pub fn base_port(mut self, port: u16) -> ClusterBuilder {
        self.base_port = port;
        self
    }

    /// The address node `i` binds.
    fn addr(&self, i: usize) -> io::Result<std::net::SocketAddr> {
        if self.base_port == 0 {
            return Ok((self.ip, 0).into());
        }
        u16::try_from(usize::from(self.base_port) + i)
            .map(|port| (self.ip, port).into())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "port out of range"))
    }

    /// Starts every node on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// If a node cannot bind; see [`ClusterBuilder::try_start`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::builder().start().await;
    /// # drop(cluster);
    /// # }
    /// ```
    pub async fn start(self) -> MockRedisCluster {
        self.try_start()
            .await
            .expect("mock-redis: cannot start the cluster")
    }

    /// Starts every node on the current tokio runtime, returning bind
    /// errors.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::builder().try_start().await.unwrap();
    /// # drop(cluster);
    /// # }
    /// ```
    pub async fn try_start(self) -> io::Result<MockRedisCluster> {
        self.launch(false)
    }

    /// Starts every node on threads of their own, for tests without a
    /// runtime (sync clients).
    ///
    /// ```
    /// let cluster = mock_redis::MockRedisCluster::builder().start_blocking();
    /// # drop(cluster);
    /// ```
    pub fn start_blocking(self) -> MockRedisCluster {
        self.launch(true)
            .expect("mock-redis: cannot start the cluster")
    }

    fn launch(self, blocking: bool) -> io::Result<MockRedisCluster> {
        let mut nodes: Vec<MockRedis> = Vec::with_capacity(self.shards * (1 + self.replicas));
        for i in 0..self.shards {
            let builder = MockRedis::builder().bind(self.addr(i)?);
            nodes.push(builder.launch_sharing(blocking, None)?);
        }
        for master in 0..self.shards {
            for _ in 0..self.replicas {
                let builder = MockRedis::builder().bind(self.addr(nodes.len())?);
                let replica = builder.launch_sharing(blocking, Some(&nodes[master]))?;
                nodes.push(replica);
            }
        }
        let topology = Arc::new(Mutex::new(initial_topology(
            &nodes,
            self.shards,
            self.replicas,
            self.ip,
        )));
        // One engine per shard, its replicas sharing it.
        let broadcast = Arc::new(Broadcast::default());
        broadcast.set_engines(
            nodes[..self.shards]
                .iter()
                .map(|n| Arc::downgrade(n.shared().engine_arc()))
                .collect(),
        );
        for (i, node) in nodes.iter().enumerate().take(self.shards) {
            node.shared().engine().cluster =
                Some(ClusterView::new(topology.clone(), broadcast.clone(), i));
        }
        let cluster = MockRedisCluster {
            nodes,
            topology,
            moving: Mutex::new(()),
            mocks: Arc::new(crate::mock::MockState::new(false, false)),
            moved: Arc::default(),
        };
        // From the start, so the routing of cluster-wide mocks knows each
        // connection's READONLY even when sent before the first mount.
        cluster.link_mocks();
        Ok(cluster)
    }
}

/// The layout `redis-cli --cluster create` makes: masters with config
/// epochs 1..=n, slots split in contiguous ranges of 16384/n, rounded;
/// then each master's replicas.
fn initial_topology(nodes: &[MockRedis], shards: usize, replicas: usize, ip: IpAddr) -> Topology {
    let mut topology = Topology::default();
    let random = RandomState::new();
    let mut counter = 0u64;
    let mut next = || {
        let mut h = random.build_hasher();
        counter += 1;
        h.write_u64(counter);
        h.finish()
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    for (i, node) in nodes.iter().enumerate() {
        let id = topology.new_node_id(&mut next);
        let mut n = Node::master(id, ip.to_string(), node.port(), 0, now_ms);
        if i < shards {
            n.config_epoch = i as u64 + 1;
        } else {
            n.role = Role::Replica((i - shards) / replicas.max(1));
        }
        topology.nodes.push(n);
    }
    topology.current_epoch = shards as u64;
    let per_node = SLOTS as f64 / shards as f64;
    let (mut first, mut cursor) = (0usize, 0f64);
    for i in 0..shards {
        let mut last = (cursor + per_node - 1.0).round() as usize;
        if last > SLOTS || i == shards - 1 {
            last = SLOTS - 1;
        }
        last = last.max(first);
        for slot in first..=last.min(SLOTS - 1) {
            topology.set_owner(slot as u16, Some(i));
        }
        first = last + 1;
        cursor += per_node;
    }
    topology
}

impl MockRedisCluster {
    /// Starts a cluster of `shards` masters on the current tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(3).await;
    /// assert_eq!(cluster.len(), 3);
    /// # }
    /// ```
    pub async fn start(shards: usize) -> MockRedisCluster {
        MockRedisCluster::builder().shards(shards).start().await
    }

    /// Starts a cluster of `shards` masters on threads of their own.
    ///
    /// ```
    /// let cluster = mock_redis::MockRedisCluster::start_blocking(3);
    /// let client = redis::cluster::ClusterClient::new(cluster.urls()).unwrap();
    /// let mut conn = client.get_connection().unwrap();
    /// let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut conn).unwrap();
    /// ```
    pub fn start_blocking(shards: usize) -> MockRedisCluster {
        MockRedisCluster::builder().shards(shards).start_blocking()
    }

    /// Options before starting.
    ///
    /// ```
    /// let builder = mock_redis::MockRedisCluster::builder();
    /// # drop(builder);
    /// ```
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// Node `i`'s handle: its address, state API, mocks and journal.
    ///
    /// # Panics
    ///
    /// When there is no node `i`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(3).await;
    /// assert!(cluster.node(0).url().starts_with("redis://127.0.0.1:"));
    /// # }
    /// ```
    pub fn node(&self, i: usize) -> &MockRedis {
        &self.nodes[i]
    }

    /// The number of nodes, masters and replicas.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// assert_eq!(mock_redis::MockRedisCluster::start(2).await.len(), 2);
    /// # }
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Every node's `redis://` URL: seed nodes for a cluster client.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(3).await;
    /// let client = redis::cluster::ClusterClient::new(cluster.urls()).unwrap();
    /// # drop(client);
    /// # }
    /// ```
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(MockRedis::url).collect()
    }

    /// Node `i`'s 40-character id, as `CLUSTER MYID` answers on it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(3).await;
    /// assert_eq!(cluster.node_id(0).len(), 40);
    /// # }
    /// ```
    pub fn node_id(&self, i: usize) -> String {
        self.topology().nodes[i].id.clone()
    }

    /// The hash slot of a key (`CLUSTER KEYSLOT`), hash tags included.
    ///
    /// ```
    /// assert_eq!(mock_redis::MockRedisCluster::key_slot("foo"), 12182);
    /// assert_eq!(
    ///     mock_redis::MockRedisCluster::key_slot("{user:1}.cart"),
    ///     mock_redis::MockRedisCluster::key_slot("user:1"),
    /// );
    /// ```
    pub fn key_slot(key: impl AsRef<[u8]>) -> u16 {
        key_slot(key.as_ref())
    }

    /// The node serving `slot`, if any.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(3).await;
    /// assert_eq!(cluster.slot_owner(0), Some(0));
    /// assert_eq!(cluster.slot_owner(16383), Some(2));
    /// # }
    /// ```
    pub fn slot_owner(&self, slot: u16) -> Option<usize> {
        self.topology().owner(slot % SLOTS as u16)
    }

    /// The node serving `key`'s slot.
    ///
    /// # Panics
    ///
    /// When no node serves it (a test removed its slot).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(3).await;
    /// assert_eq!(cluster.node_for_key("foo"), 2); // slot 12182
    /// # }
    /// ```
    pub fn node_for_key(&self, key: impl AsRef<[u8]>) -> usize {
        self.slot_owner(key_slot(key.as_ref()))
            .expect("mock-redis: no node serves this key's slot")
    }

    /// The master node `i` serves: itself when it is a master, else the
    /// master it replicates (this changes with a failover).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::builder().shards(2).replicas(1).start().await;
    /// assert_eq!((cluster.master_of(0), cluster.master_of(2), cluster.master_of(3)), (0, 0, 1));
    /// # }
    /// ```
    pub fn master_of(&self, i: usize) -> usize {
        self.topology().master_of(i)
    }

    /// The replicas of master `i`, in node order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::builder().shards(2).replicas(2).start().await;
    /// assert_eq!(cluster.replicas_of(1), [4, 5]);
    /// # }
    /// ```
    pub fn replicas_of(&self, i: usize) -> Vec<usize> {
        self.topology().replicas_of(i)
    }

    fn topology(&self) -> MutexGuard<'_, Topology> {
        self.topology.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for MockRedisCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockRedisCluster")
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}
