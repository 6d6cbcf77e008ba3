//! Slot migration driven from the test: [`MockRedisCluster::migrate_slot`]
//! and the [`SlotMigration`] steps (keys moved, then the slot given away),
//! as `redis-cli --cluster reshard` drives a real cluster.

use super::MockRedisCluster;
use crate::engine::cluster::slot::key_slot;

impl MockRedisCluster {
    /// Starts moving `slot` from the node serving it to node `to`, the way
    /// `redis-cli --cluster reshard` does: `to` marks it IMPORTING, the
    /// owner MIGRATING. From here the owner answers `-ASK` for keys it no
    /// longer holds, and `to` serves them after ASKING. Move keys with
    /// [`SlotMigration::move_keys`] (or one by one), then
    /// [`SlotMigration::finish`] gives the slot to `to`: every node answers
    /// `-MOVED` from then on.
    ///
    /// # Panics
    ///
    /// When no node serves `slot`, `to` is no master of this cluster, or
    /// already serves it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(3).await;
    /// let slot = mock_redis::MockRedisCluster::key_slot("foo");
    /// let migration = cluster.migrate_slot(slot, 0);
    /// assert_eq!(migration.move_keys(), 0);
    /// migration.finish();
    /// assert_eq!(cluster.node_for_key("foo"), 0);
    /// # }
    /// ```
    pub fn migrate_slot(&self, slot: u16, to: usize) -> SlotMigration<'_> {
        let mut t = self.topology();
        let from = t
            .owner(slot)
            .expect("mock-redis: no node serves the slot to migrate");
        assert!(
            to < t.nodes.len() && t.nodes[to].is_master() && to != from,
            "mock-redis: node {to} cannot import slot {slot}"
        );
        t.nodes[from].migrating.insert(slot, to);
        t.nodes[to].importing.insert(slot, from);
        SlotMigration {
            cluster: self,
            slot,
            from,
            to,
        }
    }

    /// Moves the keys of `slot` in `keys` (every key of the slot when
    /// `None`) from node `from` to node `to`, each with its TTL, as
    /// MIGRATE moves them. Returns how many moved.
    pub(super) fn move_keys(
        &self,
        slot: u16,
        from: usize,
        to: usize,
        keys: Option<&[&[u8]]>,
    ) -> usize {
        let _serial = self.moving.lock().unwrap_or_else(|e| e.into_inner());
        let mut source = self.nodes[from].shared().engine();
        let mut target = self.nodes[to].shared().engine();
        source.refresh_time();
        target.refresh_time();
        let names: Vec<bytes::Bytes> = match keys {
            Some(keys) => keys
                .iter()
                .filter(|k| key_slot(k) == slot)
                .map(|k| bytes::Bytes::copy_from_slice(k))
                .collect(),
            None => source.dbs[0]
                .live_keys()
                .filter(|k| key_slot(k) == slot)
                .map(bytes::Bytes::copy_from_slice)
                .collect(),
        };
        let mut moved = 0;
        let mut gone = self.moved.lock().unwrap_or_else(|e| e.into_inner());
        for key in names {
            if let Some(entry) = source.dbs[0].remove(&key) {
                gone.entry(slot).or_default().insert(key.clone());
                target.dbs[0].insert_entry(&key, entry.value, entry.expires_at);
                moved += 1;
            }
        }
        drop(gone);
        source.after_command();
        target.after_command();
        moved
    }
}

/// A slot moving between two nodes, from [`MockRedisCluster::migrate_slot`].
/// Dropping it without [`finish`](SlotMigration::finish) leaves the slot
/// half migrated, as an interrupted `redis-cli --cluster reshard` would.
#[must_use = "the slot stays MIGRATING/IMPORTING until `finish`"]
#[derive(Debug)]
pub struct SlotMigration<'a> {
    cluster: &'a MockRedisCluster,
    slot: u16,
    from: usize,
    to: usize,
}

impl SlotMigration<'_> {
    /// Moves every key of the slot to the importing node; returns how
    /// many moved.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(2).await;
    /// let owner = cluster.node_for_key("k");
    /// cluster.node(owner).db(0).set("k", "v");
    /// let migration = cluster.migrate_slot(mock_redis::MockRedisCluster::key_slot("k"), 1 - owner);
    /// assert_eq!(migration.move_keys(), 1);
    /// assert!(cluster.node(1 - owner).db(0).exists("k"));
    /// # migration.finish();
    /// # }
    /// ```
    pub fn move_keys(&self) -> usize {
        self.cluster.move_keys(self.slot, self.from, self.to, None)
    }

    /// Moves one key (of this slot) to the importing node; true when it
    /// was there to move.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(2).await;
    /// let owner = cluster.node_for_key("{tag}a");
    /// cluster.node(owner).db(0).set("{tag}a", "1");
    /// let slot = mock_redis::MockRedisCluster::key_slot("{tag}a");
    /// let migration = cluster.migrate_slot(slot, 1 - owner);
    /// assert!(migration.move_key("{tag}a"));
    /// assert!(!migration.move_key("{tag}b"));
    /// # migration.finish();
    /// # }
    /// ```
    pub fn move_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.cluster
            .move_keys(self.slot, self.from, self.to, Some(&[key.as_ref()]))
            == 1
    }

    /// Gives the slot to the importing node (`CLUSTER SETSLOT slot NODE`
    /// on both nodes): the marks are cleared and every node redirects
    /// with `-MOVED` to it. Keys not moved yet stay behind on the old
    /// owner, unreachable, as in Redis.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cluster = mock_redis::MockRedisCluster::start(2).await;
    /// cluster.migrate_slot(0, 1).finish();
    /// assert_eq!(cluster.slot_owner(0), Some(1));
    /// # }
    /// ```
    pub fn finish(self) {
        let mut t = self.cluster.topology();
        t.nodes[self.from].migrating.remove(&self.slot);
        t.nodes[self.to].importing.remove(&self.slot);
        t.set_owner(self.slot, Some(self.to));
        t.current_epoch += 1;
        let epoch = t.current_epoch;
        t.nodes[self.to].config_epoch = epoch;
        drop(t);
        let mut gone = self.cluster.moved.lock().unwrap_or_else(|e| e.into_inner());
        gone.remove(&self.slot);
    }
}
