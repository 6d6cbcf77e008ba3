//! The cluster's topology, as every node sees it: the nodes (id, address,
//! role, epoch, failure state), which master serves each hash slot, and the
//! slots a node is migrating or importing.
//!
//! In Redis every node holds its own copy of this and the copies converge
//! through the cluster bus; in one process the nodes share one
//! [`Topology`] behind a mutex, so a change (a slot moved, a failover) is
//! seen by every node at once, as a converged real cluster sees it. The
//! migrating/importing marks stay per node, as in Redis (`CLUSTER SETSLOT`
//! sets them on the node it is sent to).

use std::collections::BTreeMap;

use super::slot::SLOTS;

/// No node serves the slot.
const UNASSIGNED: u16 = u16::MAX;

/// A node's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Serves slots.
    Master,
    /// Replicates the master at this index.
    Replica(usize),
}

/// One node of the cluster.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// 40 lowercase hex characters, as Redis's node ids.
    pub id: String,
    /// The address clients are redirected to.
    pub ip: String,
    /// The client port (for the bus port see [`Node::bus_port`]).
    pub port: u16,
    pub role: Role,
    pub config_epoch: u64,
    /// Marked failed (`MockRedisCluster::fail_node`): its slots are not
    /// served until a failover or its recovery.
    pub failed: bool,
    /// Slots this node is migrating, to the node at the index.
    pub migrating: BTreeMap<u16, usize>,
    /// Slots this node is importing, from the node at the index.
    pub importing: BTreeMap<u16, usize>,
    /// When the node joined (Unix ms), for `CLUSTER LINKS`.
    pub created_ms: i64,
}

impl Node {
    /// A master with no slots yet.
    pub fn master(id: String, ip: String, port: u16, config_epoch: u64, created_ms: i64) -> Node {
        Node {
            id,
            ip,
            port,
            role: Role::Master,
            config_epoch,
            failed: false,
            migrating: BTreeMap::new(),
            importing: BTreeMap::new(),
            created_ms,
        }
    }

    /// `ip:port`, as MOVED and ASK name a node.
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// The cluster bus port `CLUSTER NODES` shows: the client port +
    /// 10000, Redis's default; for a client port above 55535, where that
    /// overflows (a real node would need `cluster-port`), the port - 10000.
    pub fn bus_port(&self) -> u16 {
        self.port
            .checked_add(10000)
            .unwrap_or(self.port.wrapping_sub(10000))
    }

    pub fn is_master(&self) -> bool {
        self.role == Role::Master
    }
}

/// The shared view of the cluster.
#[derive(Clone, Debug)]
pub(crate) struct Topology {
    pub nodes: Vec<Node>,
    /// The master serving each slot, or [`UNASSIGNED`].
    owners: Box<[u16]>,
    pub current_epoch: u64,
}

impl Default for Topology {
    fn default() -> Topology {
        Topology {
            nodes: Vec::new(),
            owners: vec![UNASSIGNED; SLOTS].into_boxed_slice(),
            current_epoch: 0,
        }
    }
}

impl Topology {
    /// The node serving `slot`, if any.
    pub fn owner(&self, slot: u16) -> Option<usize> {
        match self.owners[usize::from(slot)] {
            UNASSIGNED => None,
            n => Some(usize::from(n)),
        }
    }

    /// Makes `node` serve `slot` (`None`: unassigns it).
    pub fn set_owner(&mut self, slot: u16, node: Option<usize>) {
        self.owners[usize::from(slot)] = node.map_or(UNASSIGNED, |n| n as u16);
    }

    /// The index of the node with this id.
    pub fn find(&self, id: &[u8]) -> Option<usize> {
        self.nodes.iter().position(|n| n.id.as_bytes() == id)
    }

    /// The contiguous slot ranges `node` serves, in slot order.
    pub fn ranges_of(&self, node: usize) -> Vec<(u16, u16)> {
        self.ranges()
            .into_iter()
            .filter(|&(_, _, n)| n == node)
            .map(|(a, b, _)| (a, b))
            .collect()
    }

    /// Every contiguous run of slots with one owner: `(first, last, owner)`.
    pub fn ranges(&self) -> Vec<(u16, u16, usize)> {
        let mut out = Vec::new();
        let mut start = 0usize;
        for i in 1..=SLOTS {
            if i == SLOTS || self.owners[i] != self.owners[start] {
                if self.owners[start] != UNASSIGNED {
                    out.push((
                        start as u16,
                        (i - 1) as u16,
                        usize::from(self.owners[start]),
                    ));
                }
                start = i;
            }
        }
        out
    }

    /// The replicas of the master at `master`, in node order.
    pub fn replicas_of(&self, master: usize) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].role == Role::Replica(master))
            .collect()
    }

    /// The master a node serves for: itself, or the master it replicates.
    pub fn master_of(&self, node: usize) -> usize {
        match self.nodes[node].role {
            Role::Master => node,
            Role::Replica(m) => m,
        }
    }

    /// Slots with an owner.
    pub fn assigned(&self) -> usize {
        self.owners.iter().filter(|&&o| o != UNASSIGNED).count()
    }

    /// Slots whose owner is failed.
    pub fn failed_slots(&self) -> usize {
        self.owners
            .iter()
            .filter(|&&o| o != UNASSIGNED && self.nodes[usize::from(o)].failed)
            .count()
    }

    /// Redis's cluster state with `cluster-require-full-coverage yes`:
    /// every slot assigned to a master that is not failed.
    pub fn is_ok(&self) -> bool {
        self.assigned() == SLOTS && self.failed_slots() == 0
    }

    /// Masters serving at least one slot (`cluster_size`).
    pub fn size(&self) -> usize {
        let mut serving = vec![false; self.nodes.len()];
        for &o in self.owners.iter() {
            if o != UNASSIGNED {
                serving[usize::from(o)] = true;
            }
        }
        serving.iter().filter(|&&s| s).count()
    }

    /// Makes the replica at `replica` its master's master: it takes the
    /// slots, its old master and fellow replicas replicate it, and it gets a
    /// new config epoch (a failover's outcome, Redis's
    /// `clusterFailoverReplaceYourMaster`).
    pub fn promote(&mut self, replica: usize) {
        let Role::Replica(old) = self.nodes[replica].role else {
            return;
        };
        for owner in self.owners.iter_mut() {
            if usize::from(*owner) == old {
                *owner = replica as u16;
            }
        }
        for node in &mut self.nodes {
            if node.role == Role::Replica(old) {
                node.role = Role::Replica(replica);
            }
        }
        self.nodes[replica].role = Role::Master;
        self.nodes[old].role = Role::Replica(replica);
        self.nodes[old].migrating.clear();
        self.nodes[old].importing.clear();
        self.current_epoch += 1;
        self.nodes[replica].config_epoch = self.current_epoch;
    }

    /// A fresh node id, unique in this topology: 40 hex characters drawn
    /// from `seed` (the caller's generator).
    pub fn new_node_id(&self, mut next: impl FnMut() -> u64) -> String {
        loop {
            let id: String = (0..3)
                .map(|_| format!("{:016x}", next()))
                .collect::<String>()
                .chars()
                .take(40)
                .collect();
            if self.find(id.as_bytes()).is_none() {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Topology {
        let mut t = Topology::default();
        for (i, port) in [7001u16, 7002, 7003].into_iter().enumerate() {
            t.nodes.push(Node::master(
                format!("{i:040}"),
                "127.0.0.1".into(),
                port,
                i as u64 + 1,
                0,
            ));
        }
        for slot in 0..SLOTS as u16 {
            t.set_owner(slot, Some(usize::from(slot) * 3 / SLOTS));
        }
        t.current_epoch = 3;
        t
    }

    #[test]
    fn ranges_follow_slot_order() {
        let mut t = three();
        assert_eq!(
            t.ranges(),
            vec![(0, 5461, 0), (5462, 10922, 1), (10923, 16383, 2)]
        );
        t.set_owner(100, Some(2));
        t.set_owner(16383, None);
        assert_eq!(t.ranges_of(2), vec![(100, 100), (10923, 16382)]);
        assert_eq!(t.ranges_of(0), vec![(0, 99), (101, 5461)]);
        assert!(!t.is_ok());
        assert_eq!(t.assigned(), SLOTS - 1);
    }

    #[test]
    fn promote_moves_slots_and_replicas() {
        let mut t = three();
        for port in [7004u16, 7005] {
            let mut r = Node::master(format!("r{port}"), "127.0.0.1".into(), port, 0, 0);
            r.role = Role::Replica(1);
            t.nodes.push(r);
        }
        t.promote(3);
        assert_eq!(t.nodes[3].role, Role::Master);
        assert_eq!(t.nodes[1].role, Role::Replica(3));
        assert_eq!(t.nodes[4].role, Role::Replica(3));
        assert_eq!(t.ranges_of(3), vec![(5462, 10922)]);
        assert!(t.ranges_of(1).is_empty());
        assert_eq!(t.nodes[3].config_epoch, 4);
        assert!(t.is_ok());
    }

    #[test]
    fn failed_masters_break_coverage() {
        let mut t = three();
        assert!(t.is_ok());
        assert_eq!(t.size(), 3);
        t.nodes[1].failed = true;
        assert!(!t.is_ok());
        assert_eq!(t.failed_slots(), 10922 - 5462 + 1);
    }
}
