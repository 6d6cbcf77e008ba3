//! The sorted-set value: members with scores, ordered by `(score, member)`.
//!
//! The engine-II (sorted sets) work owns this file: the representation below
//! is a correct baseline (a member → score map plus an ordered index) whose
//! rank operations are O(n); it is meant to be replaced by a structure with
//! O(log n) rank and range (a skiplist with spans, or an order-statistic
//! tree) behind the same methods. Other modules (keys, DUMP/RESTORE, SORT,
//! OBJECT ENCODING) only use `new`, `len`, `is_empty`, `score`, `insert`,
//! `remove` and `iter`, so those signatures must stay.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;

/// A score with the total order Redis uses (scores are never NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Score) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Score) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A sorted set.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ZSet {
    scores: HashMap<Bytes, f64>,
    order: BTreeSet<(Score, Bytes)>,
}

/// Normalises `-0.0` to `0.0` so the order and the printed score agree with Redis.
fn norm(score: f64) -> f64 {
    if score == 0.0 { 0.0 } else { score }
}

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    #[allow(dead_code)] // the sorted-set group uses it
    /// A member's score.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Adds `member` or updates its score; true when the member is new.
    pub fn insert(&mut self, member: Bytes, score: f64) -> bool {
        let score = norm(score);
        match self.scores.insert(member.clone(), score) {
            Some(old) => {
                if old != score {
                    self.order.remove(&(Score(old), member.clone()));
                    self.order.insert((Score(score), member));
                }
                false
            }
            None => {
                self.order.insert((Score(score), member));
                true
            }
        }
    }

    #[allow(dead_code)] // the sorted-set group uses it
    /// Removes `member`; true when it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove_entry(member) {
            Some((m, score)) => {
                self.order.remove(&(Score(score), m));
                true
            }
            None => false,
        }
    }

    /// Members and scores in ascending `(score, member)` order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + '_ {
        self.order.iter().map(|(s, m)| (m, s.0))
    }

    #[allow(dead_code)] // the sorted-set group uses it
    /// The 0-based rank of `member` in ascending order. O(n) in this
    /// baseline; engine-II replaces it with an O(log n) structure.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(
            self.order
                .range(..(Score(score), Bytes::copy_from_slice(member)))
                .count(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
