//! The sorted-set value: members with scores, ordered by `(score, member)`.
//!
//! # Representation
//!
//! A member → score `HashMap` (O(1) `ZSCORE`, membership) plus an
//! order-statistic treap keyed by `(score, member)`: a binary search tree
//! whose nodes carry their subtree size, kept balanced in expectation by
//! random heap priorities. Nodes live in an arena (`Vec`) addressed by `u32`
//! indices with a free list, so there is no `unsafe` and no per-node box.
//!
//! Expected costs, n members:
//! * insert, remove, score update: O(log n);
//! * rank of a member, member at a rank: O(log n);
//! * counting a score or lex range ([`ZSet::count_while`]): O(log n);
//! * iterating `m` members from any rank, either direction
//!   ([`ZSet::range`]): O(log n + m).
//!
//! Redis uses a skiplist with spans for the same bounds; a treap gives them
//! with simpler code. Priorities come from a per-set SplitMix64 sequence, so
//! the shape (never the order) of the tree is deterministic.
//!
//! The set also remembers its `OBJECT ENCODING`, [`ZSet::encoding`]:
//! `listpack` until it first outgrows `zset-max-listpack-entries` /
//! `zset-max-listpack-value`, then `skiplist` for good, as Redis never
//! converts back on deletion. The sorted-set commands pass the configured
//! [`ListpackLimits`] to [`ZSet::insert_with`] and
//! [`ZSet::settle_encoding`]; [`ZSet::insert`] (RESTORE) uses Redis's
//! defaults.

use std::cmp::Ordering;

use bytes::Bytes;
use indexmap::IndexMap;

/// The listpack limits a sorted set's encoding follows
/// (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ListpackLimits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl ListpackLimits {
    /// Redis 7.0's defaults: 128 entries, 64-byte members.
    pub const DEFAULT: ListpackLimits = ListpackLimits {
        max_entries: 128,
        max_value: 64,
    };
}

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    score: f64,
    member: Bytes,
    left: u32,
    right: u32,
    size: u32,
    prio: u64,
}

/// A sorted set.
#[derive(Clone, Debug)]
pub(crate) struct ZSet {
    /// Member → score, with table positions (ZSCAN cursors, random picks:
    /// [`ZSet::at`]); removals are `swap_remove`s.
    scores: IndexMap<Bytes, f64, rustc_hash::FxBuildHasher>,
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    prio_state: u64,
    /// Converted to the skiplist encoding (never undone).
    skiplist: bool,
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet::new()
    }
}

impl PartialEq for ZSet {
    /// Two sets are equal when they hold the same members with the same
    /// scores (the tree's shape and the encoding do not matter).
    fn eq(&self, other: &ZSet) -> bool {
        self.scores == other.scores
    }
}

/// Normalises `-0.0` to `0.0`, as a listpack-encoded set stores it (a
/// skiplist keeps the sign: Redis 7.0 prints `-0` for it).
fn norm(score: f64) -> f64 {
    if score == 0.0 { 0.0 } else { score }
}

/// Redis's skiplist order: by score as C compares doubles (so `-0` and `0`
/// tie), then by member bytes. Scores are never NaN.
fn key_cmp(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2)
        .unwrap_or(Ordering::Equal)
        .then_with(|| m1.cmp(m2))
}

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> ZSet {
        ZSet {
            scores: IndexMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            prio_state: 0,
            skiplist: false,
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// A member's score.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// `OBJECT ENCODING` of the set as Redis 7.0 reports it: `listpack`
    /// while it has stayed within the listpack limits, `skiplist` once it
    /// has outgrown them (a one-way conversion).
    pub fn encoding(&self) -> &'static str {
        if self.skiplist {
            "skiplist"
        } else {
            "listpack"
        }
    }

    /// Adds `member` or updates its score; true when the member is new.
    /// Follows the default listpack limits for the encoding.
    pub fn insert(&mut self, member: Bytes, score: f64) -> bool {
        self.insert_with(member, score, ListpackLimits::DEFAULT)
    }

    /// [`ZSet::insert`] with explicit listpack limits: a new member that
    /// would make the set exceed them converts it to `skiplist`, as
    /// Redis's `zsetAdd` does.
    pub fn insert_with(&mut self, member: Bytes, score: f64, limits: ListpackLimits) -> bool {
        let listpack = !self.skiplist;
        match self.scores.get_mut(&member) {
            Some(old) => {
                let prev = *old;
                // C comparison: `-0` and `0` are the same score (no update).
                if prev != score {
                    let score = if listpack { norm(score) } else { score };
                    *old = score;
                    self.tree_remove(prev, &member);
                    self.tree_insert(score, member);
                }
                false
            }
            None => {
                if self.scores.len() + 1 > limits.max_entries || member.len() > limits.max_value {
                    self.skiplist = true;
                }
                let score = if self.skiplist { score } else { norm(score) };
                self.scores.insert(member.clone(), score);
                self.tree_insert(score, member);
                true
            }
        }
    }

    /// Removes `member`; true when it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.swap_remove_entry(member) {
            Some((m, score)) => {
                self.tree_remove(score, &m);
                true
            }
            None => false,
        }
    }

    /// Marks a freshly built set (a STORE destination) with the encoding
    /// Redis's `zsetConvertToListpackIfNeeded` gives it: `listpack` when it
    /// is within `limits`, `skiplist` otherwise.
    pub fn settle_encoding(&mut self, limits: ListpackLimits) {
        let longest = self.scores.keys().map(Bytes::len).max().unwrap_or(0);
        self.skiplist = !(self.len() <= limits.max_entries && longest <= limits.max_value);
        if !self.skiplist {
            let negative_zeros: Vec<Bytes> = self
                .scores
                .iter()
                .filter(|(_, s)| **s == 0.0 && s.is_sign_negative())
                .map(|(m, _)| m.clone())
                .collect();
            for m in negative_zeros {
                // Same position in the order: only the stored sign changes.
                self.remove(&m);
                self.scores.insert(m.clone(), 0.0);
                self.tree_insert(0.0, m);
            }
        }
    }

    /// Forces the skiplist encoding (Redis creates some sets that way).
    pub fn set_skiplist(&mut self) {
        self.skiplist = true;
    }

    /// The member and score at position `i` of the member table (not a
    /// rank): O(1), for ZSCAN's cursor (`types::scan_span`) and uniform
    /// random picks.
    pub fn at(&self, i: usize) -> Option<(&Bytes, f64)> {
        self.scores.get_index(i).map(|(m, s)| (m, *s))
    }

    /// Members and scores in ascending `(score, member)` order.
    pub fn iter(&self) -> Iter<'_> {
        self.range(0, self.len())
    }

    /// Members at ranks `start..end` (ascending, 0-based; `end` is
    /// clamped to the length). Reverse it for descending order.
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        let end = end.min(self.len());
        if start >= end {
            return Iter {
                set: self,
                front: Vec::new(),
                back: Vec::new(),
                remaining: 0,
            };
        }
        Iter {
            set: self,
            front: self.seek(start, true),
            back: self.seek(end - 1, false),
            remaining: end - start,
        }
    }

    /// The 0-based rank of `member` in ascending order. O(log n).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.count_while(|s, m| key_cmp(s, m, score, member) == Ordering::Less))
    }

    /// The member and score at rank `rank` (ascending, 0-based).
    pub fn nth(&self, rank: usize) -> Option<(&Bytes, f64)> {
        self.range(rank, rank + 1).next()
    }

    /// How many members, from the lowest, satisfy `pred` (which must hold
    /// for a prefix of the order, as "score below x" or "member before y"
    /// do). O(log n).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = self.root;
        let mut acc = 0;
        while t != NIL {
            let n = &self.nodes[t as usize];
            if pred(n.score, &n.member) {
                acc += self.size(n.left) + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        acc
    }

    /// Removes and returns the member at `rank` (ZPOPMIN/ZPOPMAX and the
    /// blocking pops use this).
    pub fn pop_at(&mut self, rank: usize) -> Option<(Bytes, f64)> {
        let (m, s) = self.nth(rank).map(|(m, s)| (m.clone(), s))?;
        self.remove(&m);
        Some((m, s))
    }

    // --- the treap ------------------------------------------------------

    fn size(&self, t: u32) -> usize {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size as usize
        }
    }

    fn update(&mut self, t: u32) {
        let (l, r) = {
            let n = &self.nodes[t as usize];
            (n.left, n.right)
        };
        let size = 1 + self.size(l) + self.size(r);
        self.nodes[t as usize].size = size as u32;
    }

    fn next_prio(&mut self) -> u64 {
        // SplitMix64.
        self.prio_state = self.prio_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.prio_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Splits `t` into the nodes satisfying `pred` (a prefix) and the rest.
    fn split(&mut self, t: u32, pred: &dyn Fn(&Node) -> bool) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if pred(&self.nodes[t as usize]) {
            let (a, b) = self.split(self.nodes[t as usize].right, pred);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        } else {
            let (a, b) = self.split(self.nodes[t as usize].left, pred);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        }
    }

    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let r = self.merge(self.nodes[a as usize].right, b);
            self.nodes[a as usize].right = r;
            self.update(a);
            a
        } else {
            let l = self.merge(a, self.nodes[b as usize].left);
            self.nodes[b as usize].left = l;
            self.update(b);
            b
        }
    }

    fn tree_insert(&mut self, score: f64, member: Bytes) {
        let prio = self.next_prio();
        let node = Node {
            score,
            member,
            left: NIL,
            right: NIL,
            size: 1,
            prio,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        let (score, member) = {
            let n = &self.nodes[idx as usize];
            (n.score, n.member.clone())
        };
        let (l, r) = self.split(self.root, &|n: &Node| {
            key_cmp(n.score, &n.member, score, &member) == Ordering::Less
        });
        let l = self.merge(l, idx);
        self.root = self.merge(l, r);
    }

    fn tree_remove(&mut self, score: f64, member: &[u8]) {
        let (l, r) = self.split(self.root, &|n: &Node| {
            key_cmp(n.score, &n.member, score, member) == Ordering::Less
        });
        let (mid, r) = self.split(r, &|n: &Node| {
            key_cmp(n.score, &n.member, score, member) != Ordering::Greater
        });
        if mid != NIL {
            debug_assert_eq!(self.size(mid), 1);
            self.nodes[mid as usize].member = Bytes::new();
            self.free.push(mid);
        }
        self.root = self.merge(l, r);
        if self.root == NIL {
            self.nodes.clear();
            self.free.clear();
        }
    }

    /// The path to the node at `rank`: for a forward seek, the node and its
    /// ancestors that come after it; for a backward seek, those before it.
    fn seek(&self, rank: usize, forward: bool) -> Vec<u32> {
        let mut stack = Vec::new();
        let mut t = self.root;
        let mut k = rank;
        while t != NIL {
            let n = &self.nodes[t as usize];
            let ls = self.size(n.left);
            match k.cmp(&ls) {
                Ordering::Less => {
                    if forward {
                        stack.push(t);
                    }
                    t = n.left;
                }
                Ordering::Equal => {
                    stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    if !forward {
                        stack.push(t);
                    }
                    k -= ls + 1;
                    t = n.right;
                }
            }
        }
        stack
    }
}

/// Iterates members and scores by rank, from either end.
pub(crate) struct Iter<'a> {
    set: &'a ZSet,
    front: Vec<u32>,
    back: Vec<u32>,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<(&'a Bytes, f64)> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let nodes = &self.set.nodes;
        let t = self.front.pop()?;
        let mut c = nodes[t as usize].right;
        while c != NIL {
            self.front.push(c);
            c = nodes[c as usize].left;
        }
        let n = &nodes[t as usize];
        Some((&n.member, n.score))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let nodes = &self.set.nodes;
        let t = self.back.pop()?;
        let mut c = nodes[t as usize].left;
        while c != NIL {
            self.back.push(c);
            c = nodes[c as usize].right;
        }
        let n = &nodes[t as usize];
        Some((&n.member, n.score))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn orders_by_score_then_member() {
        let mut z = ZSet::new();
        assert!(z.insert(Bytes::from_static(b"b"), 1.0));
        assert!(z.insert(Bytes::from_static(b"a"), 1.0));
        assert!(z.insert(Bytes::from_static(b"c"), 0.5));
        assert!(!z.insert(Bytes::from_static(b"c"), 2.0));
        let order: Vec<&[u8]> = z.iter().map(|(m, _)| &m[..]).collect();
        assert_eq!(order, vec![&b"a"[..], b"b", b"c"]);
        assert_eq!(z.rank(b"c"), Some(2));
        assert!(z.remove(b"a"));
        assert!(!z.remove(b"a"));
        assert_eq!(z.len(), 2);
        assert_eq!(z.score(b"c"), Some(2.0));
    }

    /// Checks every operation against a plain sorted vector, through a
    /// long pseudo-random sequence of inserts, updates and removals.
    #[test]
    fn matches_a_sorted_vector() {
        let mut z = ZSet::new();
        let mut model: Vec<(f64, Bytes)> = Vec::new();
        let mut x: u64 = 42;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for step in 0..4000 {
            let m = b(&format!("m{}", rnd(300)));
            let s = (rnd(50) as f64) - 25.0;
            if rnd(3) == 0 {
                let was = model.iter().position(|(_, mm)| *mm == m);
                assert_eq!(z.remove(&m), was.is_some());
                if let Some(i) = was {
                    model.remove(i);
                }
            } else {
                let was = model.iter().position(|(_, mm)| *mm == m);
                assert_eq!(z.insert(m.clone(), s), was.is_none());
                if let Some(i) = was {
                    model.remove(i);
                }
                model.push((s, m));
                model.sort_by(|a, b| key_cmp(a.0, &a.1, b.0, &b.1));
            }
            assert_eq!(z.len(), model.len());
            if step % 97 == 0 {
                let all: Vec<(Bytes, f64)> = z.iter().map(|(m, s)| (m.clone(), s)).collect();
                let want: Vec<(Bytes, f64)> = model.iter().map(|(s, m)| (m.clone(), *s)).collect();
                assert_eq!(all, want);
                let rev: Vec<(Bytes, f64)> = z.iter().rev().map(|(m, s)| (m.clone(), s)).collect();
                assert_eq!(rev, want.iter().rev().cloned().collect::<Vec<_>>());
                for (i, (s, m)) in model.iter().enumerate() {
                    assert_eq!(z.rank(m), Some(i));
                    assert_eq!(
                        z.nth(i).map(|(mm, ss)| (mm.clone(), ss)),
                        Some((m.clone(), *s))
                    );
                }
                let below = model.iter().filter(|(s, _)| *s < 3.0).count();
                assert_eq!(z.count_while(|s, _| s < 3.0), below);
                if model.len() > 4 {
                    let (a, e) = (1, model.len() - 2);
                    let mid: Vec<Bytes> = z.range(a, e).map(|(m, _)| m.clone()).collect();
                    let want: Vec<Bytes> = model[a..e].iter().map(|(_, m)| m.clone()).collect();
                    assert_eq!(mid, want);
                    let mut it = z.range(a, e);
                    let mut both = Vec::new();
                    while let (Some(f), Some(bk)) = (it.next(), it.next_back()) {
                        both.push(f.0.clone());
                        both.push(bk.0.clone());
                    }
                    assert!(both.len() >= (e - a) - 1);
                }
            }
        }
    }

    #[test]
    fn encoding_is_one_way() {
        let mut z = ZSet::new();
        for i in 0..128 {
            z.insert(b(&format!("{i}")), i as f64);
        }
        assert_eq!(z.encoding(), "listpack");
        z.insert(b("x"), 0.0);
        assert_eq!(z.encoding(), "skiplist");
        z.remove(b"x");
        assert_eq!(z.encoding(), "skiplist");
        let mut small = ZSet::new();
        small.insert(b(&"v".repeat(65)), 1.0);
        assert_eq!(small.encoding(), "skiplist");
        small.settle_encoding(ListpackLimits::DEFAULT);
        assert_eq!(small.encoding(), "skiplist");
        small.remove(&b(&"v".repeat(65)));
        small.insert(b("a"), 1.0);
        small.settle_encoding(ListpackLimits::DEFAULT);
        assert_eq!(small.encoding(), "listpack");
    }
}
