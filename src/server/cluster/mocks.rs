//! Cluster-wide mocks: [`Mock::mount_on_cluster`] mounts a mock in the
//! cluster's own registry, which every node consults after its own mocks,
//! but only for a command that node serves (the routing decision below,
//! made before the engine's): a client following `MOVED`/`ASK` reaches
//! the mock once, on the node that owns the key at that moment.
//! [`MockRedisCluster::verify`] and dropping the cluster check the
//! expectations, the report listing what each node received.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rustc_hash::FxHashMap;

use super::{MockRedisCluster, MovedKeys};
use crate::engine::cluster::route::is_pubsub_shard;
use crate::engine::cluster::slot::key_slot;
use crate::engine::cluster::topology::{Role, Topology};
use crate::engine::command::{CommandTable, Resolved, flags};
use crate::mock::{ClusterHook, Mock, MockState, Request, VerificationReport};

/// Connections whose READONLY/ASKING/MULTI state a node's router tracks at
/// most; a connection beyond them is routed as one that sent none.
const TRACKED_CONNECTIONS: usize = 65_536;

/// Commands of each node a failed verification lists.
const LISTED_PER_NODE: usize = 20;

/// What a connection told its node that changes where its commands are
/// served: READONLY (reads on a replica), ASKING (the next command, or the
/// transaction, on an importing node) and an open MULTI (ASKING lasts
/// until its EXEC).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    readonly: bool,
    asking: bool,
    multi: bool,
}

/// One node's routing decision for the cluster-wide mocks.
struct Router {
    topology: Arc<Mutex<Topology>>,
    moved: Arc<Mutex<MovedKeys>>,
    /// The cluster-wide mocks: no routing decision while there are none.
    mocks: Arc<MockState>,
    me: usize,
    connections: Mutex<FxHashMap<u64, Flags>>,
}

impl Router {
    /// Whether node `me` serves `request`, then the connection's flags
    /// updated with it.
    fn serves(&self, request: &Request) -> bool {
        let args = request.args();
        let Some(name) = args.first() else {
            return true;
        };
        let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let id = request.connection_id();
        let before = connections.get(&id).copied().unwrap_or_default();
        let serves = self.mocks.is_active() && self.decide(args, before);
        let mut after = before;
        let is = |word: &str| name.eq_ignore_ascii_case(word.as_bytes());
        if is("readonly") {
            after.readonly = true;
        } else if is("readwrite") {
            after.readonly = false;
        } else if is("multi") {
            after.multi = true;
        } else if is("exec") || is("discard") {
            after.multi = false;
        } else if is("reset") {
            after = Flags::default();
        }
        // ASKING lasts one command, or a transaction until its EXEC.
        if is("asking") {
            after.asking = true;
        } else if !after.multi {
            after.asking = false;
        }
        if after == Flags::default() {
            connections.remove(&id);
        } else if connections.len() < TRACKED_CONNECTIONS || connections.contains_key(&id) {
            connections.insert(id, after);
        }
        serves
    }

    /// Redis Cluster's routing (`engine/cluster/route.rs`) as far as it
    /// depends on the topology and the connection, not on the keyspace: a
    /// node migrating a slot away serves its commands but for the keys the
    /// test moved with [`SlotMigration`](super::SlotMigration) (the engine
    /// answers `-ASK` for those, and the importing node serves them after
    /// ASKING).
    fn decide(&self, args: &[Bytes], connection: Flags) -> bool {
        let Resolved::Found(spec, parent) = CommandTable::get().resolve(args) else {
            // Any node answers an unknown command the same.
            return true;
        };
        let top = parent.unwrap_or(spec);
        let is_write = spec.flags & flags::WRITE != 0;
        let mut slot = None;
        let keys: Vec<&Bytes> = spec
            .keys_in(args)
            .into_iter()
            .filter_map(|pos| args.get(pos))
            .collect();
        for key in &keys {
            let s = key_slot(key);
            match slot {
                None => slot = Some(s),
                Some(first) if first != s => return false, // CROSSSLOT
                Some(_) => {}
            }
        }
        let topology = self.topology.lock().unwrap_or_else(|e| e.into_inner());
        let Some(me) = topology.nodes.get(self.me) else {
            return true;
        };
        let Some(slot) = slot else {
            // Keyless: any node, but no write on a replica.
            return !is_write || me.is_master();
        };
        let Some(owner) = topology.owner(slot) else {
            return false; // CLUSTERDOWN Hash slot not served
        };
        if !topology.is_ok() && !is_pubsub_shard(top.name) {
            return false;
        }
        if owner == self.me && me.migrating.contains_key(&slot) {
            // `-ASK` for a key the test moved away (MockRedisCluster's
            // lock order: topology, then the moved keys).
            let moved = self.moved.lock().unwrap_or_else(|e| e.into_inner());
            let asks = moved
                .get(&slot)
                .is_some_and(|gone| keys.iter().any(|k| gone.contains(*k)));
            return !asks;
        }
        if me.importing.contains_key(&slot) && (connection.asking || top.flags & flags::ASKING != 0)
        {
            return true;
        }
        if (connection.readonly || is_pubsub_shard(top.name))
            && !is_write
            && me.role == Role::Replica(owner)
        {
            return true;
        }
        owner == self.me
    }
}

impl Mock {
    /// Mounts the mock on every node of `cluster` at once: it answers a
    /// command on whichever node serves it when it arrives (the owner of
    /// the command's key, after `MOVED` or `ASK`; any node for a command
    /// without keys), so a cluster client following redirections meets it
    /// once and its expectation counts once. A node's own mocks
    /// ([`mount`](Mock::mount) on [`cluster.node(i)`](MockRedisCluster::node))
    /// are tried first. Expectations are checked by
    /// [`MockRedisCluster::verify`] and when the cluster drops.
    ///
    /// While a slot migrates, the node giving it away keeps answering its
    /// commands from the mock, except for the keys
    /// [`SlotMigration::move_keys`](super::SlotMigration::move_keys) or
    /// [`move_key`](super::SlotMigration::move_key) moved: those get the
    /// engine's `-ASK`, and the importing node answers them from the mock
    /// after `ASKING`. (Keys moved by clients' own `MIGRATE` are not
    /// tracked: the mock answers for them on the source node.)
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// use mock_redis::{Mock, MockRedisCluster, Reply};
    /// use mock_redis::matchers::{command, key};
    ///
    /// let cluster = MockRedisCluster::start(3).await;
    /// Mock::given(command("GET"))
    ///     .and(key("user:1"))
    ///     .respond_with(Reply::bulk("alice"))
    ///     .expect(1)
    ///     .mount_on_cluster(&cluster);
    ///
    /// let client = redis::cluster::ClusterClient::new(cluster.urls())?;
    /// let mut conn = client.get_async_connection().await?;
    /// let name: String = redis::cmd("GET").arg("user:1").query_async(&mut conn).await?;
    /// assert_eq!(name, "alice");
    /// cluster.verify();
    /// # Ok(())
    /// # }
    /// ```
    pub fn mount_on_cluster(self, cluster: &MockRedisCluster) {
        cluster.mocks.mount(self);
    }
}

impl MockRedisCluster {
    /// Links every node to the cluster-wide mocks, at start: each node's
    /// router sees every command from then on.
    pub(super) fn link_mocks(&self) {
        for (i, node) in self.nodes.iter().enumerate() {
            let router = Router {
                topology: self.topology.clone(),
                moved: self.moved.clone(),
                mocks: self.mocks.clone(),
                me: i,
                connections: Mutex::new(FxHashMap::default()),
            };
            node.shared().mocks.set_cluster(ClusterHook {
                mocks: self.mocks.clone(),
                serves: Arc::new(move |request: &Request| router.serves(request)),
            });
        }
    }

    /// Checks the expectations of the cluster-wide mocks
    /// ([`Mock::mount_on_cluster`]); panics with the report if one is not
    /// met. The report lists what each node received (its journal, without
    /// the connections' handshakes). Dropping the cluster does the same
    /// unless the thread is already panicking. Each node's own mocks are
    /// verified by that node ([`MockRedis::verify`](crate::MockRedis::verify)).
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedisCluster, Reply};
    /// use mock_redis::matchers::command;
    ///
    /// let cluster = MockRedisCluster::start_blocking(3);
    /// Mock::given(command("GET")).respond_with(Reply::nil()).expect(1).mount_on_cluster(&cluster);
    /// let client = redis::cluster::ClusterClient::new(cluster.urls()).unwrap();
    /// let mut conn = client.get_connection().unwrap();
    /// let _: Option<String> = redis::cmd("GET").arg("k").query(&mut conn).unwrap();
    /// cluster.verify();
    /// ```
    #[track_caller]
    pub fn verify(&self) {
        if let Err(report) = self.try_verify() {
            panic!("{report}");
        }
    }

    /// [`verify`](MockRedisCluster::verify) without panicking: the report
    /// as an error.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedisCluster, Reply};
    /// use mock_redis::matchers::command;
    ///
    /// let cluster = MockRedisCluster::start_blocking(2);
    /// Mock::given(command("GET")).respond_with(Reply::nil()).expect(1).mount_on_cluster(&cluster);
    /// let report = cluster.try_verify().unwrap_err();
    /// assert!(report.to_string().contains("expected exactly 1 call, received 0"));
    /// assert!(report.to_string().contains("node 1 ("));
    /// cluster.reset_mocks();
    /// ```
    pub fn try_verify(&self) -> Result<(), VerificationReport> {
        // The registry's lock is released before any node's is taken: a
        // connection takes its node's, then the registry's.
        let Err(report) = self.mocks.verify() else {
            return Ok(());
        };
        let text = self.received_per_node(report.to_string());
        Err(VerificationReport::from_text(text))
    }

    /// Unmounts every cluster-wide mock without verifying it; the nodes'
    /// own mocks and journals stay as they are.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedisCluster, Reply};
    /// use mock_redis::matchers::any;
    ///
    /// let cluster = MockRedisCluster::start_blocking(2);
    /// Mock::given(any()).respond_with(Reply::ok()).expect(1).mount_on_cluster(&cluster);
    /// cluster.reset_mocks();
    /// cluster.verify(); // nothing left to verify
    /// ```
    pub fn reset_mocks(&self) {
        self.mocks.reset();
    }

    /// `report` followed by each node's journal.
    fn received_per_node(&self, mut report: String) -> String {
        if !report.ends_with('\n') {
            report.push('\n');
        }
        report.push_str("\nReceived per node (handshakes left out):\n");
        let topology = self.topology().clone();
        for (i, node) in self.nodes.iter().enumerate() {
            let role = match topology.nodes.get(i).map(|n| n.role) {
                Some(Role::Replica(m)) => format!("replica of node {m}"),
                _ => "master".to_string(),
            };
            let _ = write!(report, "  node {i} ({}, {role}): ", node.addr());
            if !node.shared().recording.load(Ordering::Acquire) {
                report.push_str("journal off\n");
                continue;
            }
            let journal = node.shared().mocks.journal_strings(true);
            let _ = writeln!(
                report,
                "{} command{}",
                journal.len(),
                if journal.len() == 1 { "" } else { "s" }
            );
            for args in journal.iter().take(LISTED_PER_NODE) {
                let _ = writeln!(report, "    {}", args.join(" "));
            }
            if journal.len() > LISTED_PER_NODE {
                let _ = writeln!(
                    report,
                    "    ... and {} more",
                    journal.len() - LISTED_PER_NODE
                );
            }
        }
        report
    }
}

impl Drop for MockRedisCluster {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            if let Err(report) = self.try_verify() {
                panic!("{report}");
            }
        }
    }
}
