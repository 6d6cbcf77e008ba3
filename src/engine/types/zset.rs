//! The sorted-set value: members with scores, ordered by `(score, member)`.
//!
//! # Representation
//!
//! A small set (listpack-encoded, at most [`PACK_MAX_ENTRIES`] members of
//! at most [`PACK_MAX_VALUE`] bytes) is packed, as Redis's listpack: one
//! exact-size buffer of entries (varint member length, member bytes, the
//! score as a varint for integers within ±2^53, else a tag byte and the
//! double) in `(score, member)` order; every operation on it is linear in
//! its (at most 128) members, and table positions ([`ZSet::at`]) are ranks.
//! Beyond that, the tree form below, which the set keeps until a STORE
//! rebuilds it within the limits ([`ZSet::settle_encoding`]). Members are
//! handed out as `&[u8]`.
//!
//! The tree form: a member → score `HashMap` (O(1) `ZSCORE`, membership) plus an
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

/// The tree form of a sorted set (see the module documentation).
#[derive(Clone, Debug)]
struct Tree {
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

impl Tree {
    /// An empty sorted set.
    fn new() -> Tree {
        Tree {
            scores: IndexMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            prio_state: 0,
            skiplist: false,
        }
    }

    /// Number of members.
    fn len(&self) -> usize {
        self.scores.len()
    }

    /// A member's score.
    fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// `OBJECT ENCODING` of the set as Redis 7.0 reports it: `listpack`
    /// while it has stayed within the listpack limits, `skiplist` once it
    /// has outgrown them (a one-way conversion).
    fn encoding(&self) -> &'static str {
        if self.skiplist {
            "skiplist"
        } else {
            "listpack"
        }
    }

    /// [`ZSet::insert`] with explicit listpack limits: a new member that
    /// would make the set exceed them converts it to `skiplist`, as
    /// Redis's `zsetAdd` does.
    fn insert_with(&mut self, member: Bytes, score: f64, limits: ListpackLimits) -> bool {
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
    fn remove(&mut self, member: &[u8]) -> bool {
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
    fn settle_encoding(&mut self, limits: ListpackLimits) {
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
    fn set_skiplist(&mut self) {
        self.skiplist = true;
    }

    /// The member and score at position `i` of the member table (not a
    /// rank): O(1), for ZSCAN's cursor (`types::scan_span`) and uniform
    /// random picks.
    fn at(&self, i: usize) -> Option<(&Bytes, f64)> {
        self.scores.get_index(i).map(|(m, s)| (m, *s))
    }

    /// Members and scores in ascending `(score, member)` order.
    fn iter(&self) -> TreeIter<'_> {
        self.range(0, self.len())
    }

    /// Members at ranks `start..end` (ascending, 0-based; `end` is
    /// clamped to the length). Reverse it for descending order.
    fn range(&self, start: usize, end: usize) -> TreeIter<'_> {
        let end = end.min(self.len());
        if start >= end {
            return TreeIter {
                set: self,
                front: Vec::new(),
                back: Vec::new(),
                remaining: 0,
            };
        }
        TreeIter {
            set: self,
            front: self.seek(start, true),
            back: self.seek(end - 1, false),
            remaining: end - start,
        }
    }

    /// The 0-based rank of `member` in ascending order. O(log n).
    fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.count_while(|s, m| key_cmp(s, m, score, member) == Ordering::Less))
    }

    /// How many members, from the lowest, satisfy `pred` (which must hold
    /// for a prefix of the order, as "score below x" or "member before y"
    /// do). O(log n).
    fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
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
struct TreeIter<'a> {
    set: &'a Tree,
    front: Vec<u32>,
    back: Vec<u32>,
    remaining: usize,
}

impl<'a> Iterator for TreeIter<'a> {
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

impl DoubleEndedIterator for TreeIter<'_> {
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

// --- the packed form --------------------------------------------------------

/// Entries a sorted set or set keeps in its packed form at most, whatever
/// the configured limits (operations on the packed form are linear).
pub(crate) const PACK_MAX_ENTRIES: usize = 128;
/// The longest member the packed form holds.
pub(crate) const PACK_MAX_VALUE: usize = 64;

/// Appends `v` as an LEB128 varint (7 bits a byte, low bits first).
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads the varint at `pos`: its value and the position after it. Only
/// ever reads buffers this module wrote; a truncated one reads as ending.
pub(crate) fn get_varint(buf: &[u8], mut pos: usize) -> (u64, usize) {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = buf.get(pos) {
        pos += 1;
        if shift < 64 {
            v |= u64::from(b & 0x7f) << shift;
        }
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (v, pos)
}

/// Appends a length-prefixed member.
pub(crate) fn put_member(out: &mut Vec<u8>, member: &[u8]) {
    put_varint(out, member.len() as u64);
    out.extend_from_slice(member);
}

/// Reads the length-prefixed member at `pos`: the member and the position
/// after it.
pub(crate) fn get_member(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let (len, start) = get_varint(buf, pos);
    let end = start.saturating_add(len as usize).min(buf.len());
    (&buf[start.min(end)..end], end)
}

/// The byte that marks an 8-byte double (an integer's first byte is even).
const DOUBLE_TAG: u8 = 1;
/// Integral scores within ±2^53 are stored as varints.
const INT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Appends a score: an integral one within ±2^53 as the varint of its
/// zigzag code shifted left by one (1 to 8 bytes, the first even), any
/// other as [`DOUBLE_TAG`] and the 8 bytes of the double. `-0` is stored
/// as `0`: the packed form only holds listpack-encoded sets, which do too.
fn put_score(out: &mut Vec<u8>, s: f64) {
    if s.trunc() == s && s.abs() < INT_LIMIT {
        let n = s as i64;
        let zigzag = ((n << 1) ^ (n >> 63)) as u64;
        put_varint(out, zigzag << 1);
    } else {
        out.push(DOUBLE_TAG);
        out.extend_from_slice(&s.to_le_bytes());
    }
}

/// Reads the score at `pos`: the score and the position after it.
fn get_score(buf: &[u8], pos: usize) -> (f64, usize) {
    if buf.get(pos) == Some(&DOUBLE_TAG) {
        let mut raw = [0u8; 8];
        let end = (pos + 9).min(buf.len());
        raw[..end - pos - 1].copy_from_slice(&buf[pos + 1..end]);
        (f64::from_le_bytes(raw), end)
    } else {
        let (v, next) = get_varint(buf, pos);
        let zigzag = v >> 1;
        let n = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        (n as f64, next)
    }
}

/// `buf` with bytes `start..end` replaced by `with`, in one allocation of
/// the exact new size (the packed sorted sets and sets keep no slack).
pub(super) fn splice_exact(buf: &[u8], start: usize, end: usize, with: &[u8]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(buf.len() - (end - start) + with.len());
    out.extend_from_slice(&buf[..start]);
    out.extend_from_slice(with);
    out.extend_from_slice(&buf[end..]);
    out.into_boxed_slice()
}

/// One entry of a packed sorted set: where it starts and ends in the
/// buffer, its member and its score.
#[derive(Clone, Copy)]
struct Entry<'a> {
    start: usize,
    end: usize,
    member: &'a [u8],
    score: f64,
}

/// A small sorted set in one buffer, as a listpack holds it: entries
/// (length-prefixed member, compact score) in `(score, member)` order.
#[derive(Clone, Debug, Default)]
struct Packed {
    buf: Box<[u8]>,
    len: u32,
}

impl Packed {
    fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        let buf = &self.buf[..];
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= buf.len() {
                return None;
            }
            let start = pos;
            let (member, after) = get_member(buf, pos);
            let (score, end) = get_score(buf, after);
            pos = end;
            Some(Entry {
                start,
                end,
                member,
                score,
            })
        })
    }

    fn find(&self, member: &[u8]) -> Option<Entry<'_>> {
        self.entries().find(|e| e.member == member)
    }

    /// Replaces bytes `start..end` of the buffer with `with`.
    fn splice(&mut self, start: usize, end: usize, with: &[u8]) {
        self.buf = splice_exact(&self.buf, start, end, with);
    }

    /// Inserts a member known to be absent at its place in the order.
    fn insert_sorted(&mut self, member: &[u8], score: f64) {
        let at = self
            .entries()
            .find(|e| key_cmp(e.score, e.member, score, member) == Ordering::Greater)
            .map_or(self.buf.len(), |e| e.start);
        let mut entry = Vec::with_capacity(member.len() + 10);
        put_member(&mut entry, member);
        put_score(&mut entry, score);
        self.splice(at, at, &entry);
    }

    fn remove_entry(&mut self, start: usize, end: usize) {
        self.splice(start, end, &[]);
        self.len -= 1;
    }
}

// --- the sorted set ---------------------------------------------------------

/// A sorted set: packed while small and listpack-encoded, a tree beyond
/// (see the module documentation).
#[derive(Clone, Debug)]
pub(crate) struct ZSet {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Packed(Packed),
    Tree(Box<Tree>),
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet::new()
    }
}

impl PartialEq for ZSet {
    /// Two sets are equal when they hold the same members with the same
    /// scores (the representation and the encoding do not matter).
    fn eq(&self, other: &ZSet) -> bool {
        self.len() == other.len() && self.iter().all(|(m, s)| other.score(m) == Some(s))
    }
}

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> ZSet {
        ZSet {
            repr: Repr::Packed(Packed::default()),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.len as usize,
            Repr::Tree(t) => t.len(),
        }
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the set is in its packed form (tests and MEMORY USAGE).
    pub fn is_packed(&self) -> bool {
        matches!(self.repr, Repr::Packed(_))
    }

    /// A member's score.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Packed(p) => p.find(member).map(|e| e.score),
            Repr::Tree(t) => t.score(member),
        }
    }

    /// `OBJECT ENCODING` of the set as Redis 7.0 reports it: `listpack`
    /// while it has stayed within the listpack limits, `skiplist` once it
    /// has outgrown them (a one-way conversion).
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Packed(_) => "listpack",
            Repr::Tree(t) => t.encoding(),
        }
    }

    /// Adds `member` or updates its score; true when the member is new.
    /// Follows the default listpack limits for the encoding.
    pub fn insert(&mut self, member: Bytes, score: f64) -> bool {
        self.insert_with(&member, score, ListpackLimits::DEFAULT)
    }

    /// [`ZSet::insert`] with explicit listpack limits: a new member that
    /// would make the set exceed them converts it to `skiplist`, as
    /// Redis's `zsetAdd` does.
    /// The packed form copies `member`; the tree keeps a clone.
    pub fn insert_with(&mut self, member: &Bytes, score: f64, limits: ListpackLimits) -> bool {
        if let Repr::Packed(p) = &mut self.repr {
            if let Some(e) = p.find(member) {
                // C comparison: `-0` and `0` are the same score (no update).
                if e.score != score {
                    let (start, end) = (e.start, e.end);
                    p.splice(start, end, &[]);
                    p.insert_sorted(member, norm(score));
                }
                return false;
            }
            let n = p.len as usize + 1;
            let within = n <= limits.max_entries && member.len() <= limits.max_value;
            if within && n <= PACK_MAX_ENTRIES && member.len() <= PACK_MAX_VALUE {
                p.insert_sorted(member, norm(score));
                p.len += 1;
                return true;
            }
            self.unpack();
        }
        match &mut self.repr {
            Repr::Tree(t) => t.insert_with(member.clone(), score, limits),
            Repr::Packed(_) => unreachable!("unpacked above"),
        }
    }

    /// Converts the packed form to the tree (listpack encoding kept).
    fn unpack(&mut self) {
        if let Repr::Packed(p) = &self.repr {
            let mut t = Tree::new();
            for e in p.entries() {
                t.insert_with(
                    Bytes::copy_from_slice(e.member),
                    e.score,
                    ListpackLimits {
                        max_entries: usize::MAX,
                        max_value: usize::MAX,
                    },
                );
            }
            self.repr = Repr::Tree(Box::new(t));
        }
    }

    /// Removes `member`; true when it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed(p) => match p.find(member) {
                Some(e) => {
                    let (start, end) = (e.start, e.end);
                    p.remove_entry(start, end);
                    true
                }
                None => false,
            },
            Repr::Tree(t) => t.remove(member),
        }
    }

    /// Marks a freshly built set (a STORE destination) with the encoding
    /// Redis's `zsetConvertToListpackIfNeeded` gives it: `listpack` when it
    /// is within `limits`, `skiplist` otherwise.
    pub fn settle_encoding(&mut self, limits: ListpackLimits) {
        if let Repr::Packed(p) = &self.repr {
            let longest = p.entries().map(|e| e.member.len()).max().unwrap_or(0);
            if p.len as usize <= limits.max_entries && longest <= limits.max_value {
                return;
            }
            self.unpack();
        }
        let Repr::Tree(t) = &mut self.repr else {
            return;
        };
        t.settle_encoding(limits);
        let small =
            t.len() <= PACK_MAX_ENTRIES && t.scores.keys().all(|m| m.len() <= PACK_MAX_VALUE);
        if t.encoding() == "listpack" && small {
            let mut p = Packed::default();
            let mut buf = Vec::new();
            for (m, s) in t.iter() {
                put_member(&mut buf, m);
                put_score(&mut buf, s);
            }
            p.buf = buf.into_boxed_slice();
            p.len = t.len() as u32;
            self.repr = Repr::Packed(p);
        }
    }

    /// Forces the skiplist encoding (Redis creates some sets that way).
    pub fn set_skiplist(&mut self) {
        self.unpack();
        if let Repr::Tree(t) = &mut self.repr {
            t.set_skiplist();
        }
    }

    /// The member and score at position `i` of the member table (not a
    /// rank; in the packed form, the rank): O(1) for the tree, O(i)
    /// packed, for ZSCAN's cursor (`types::scan_span`) and uniform random
    /// picks.
    pub fn at(&self, i: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Packed(p) => p.entries().nth(i).map(|e| (e.member, e.score)),
            Repr::Tree(t) => t.at(i).map(|(m, s)| (&m[..], s)),
        }
    }

    /// Members and scores in ascending `(score, member)` order.
    pub fn iter(&self) -> Iter<'_> {
        self.range(0, self.len())
    }

    /// Members at ranks `start..end` (ascending, 0-based; `end` is
    /// clamped to the length). Reverse it for descending order.
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        match &self.repr {
            Repr::Packed(p) => {
                let end = end.min(p.len as usize);
                let items: Vec<(&[u8], f64)> = p
                    .entries()
                    .take(end)
                    .skip(start)
                    .map(|e| (e.member, e.score))
                    .collect();
                Iter(IterRepr::Packed(items.into_iter()))
            }
            Repr::Tree(t) => Iter(IterRepr::Tree(t.range(start, end))),
        }
    }

    /// The 0-based rank of `member` in ascending order. O(log n) (O(n)
    /// packed).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Packed(p) => p.entries().position(|e| e.member == member),
            Repr::Tree(t) => t.rank(member),
        }
    }

    /// The member and score at rank `rank` (ascending, 0-based).
    pub fn nth(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.range(rank, rank.saturating_add(1)).next()
    }

    /// How many members, from the lowest, satisfy `pred` (which must hold
    /// for a prefix of the order, as "score below x" or "member before y"
    /// do). O(log n) (O(n) packed).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.entries().take_while(|e| pred(e.score, e.member)).count(),
            Repr::Tree(t) => t.count_while(pred),
        }
    }

    /// Removes and returns the member at `rank` (ZPOPMIN/ZPOPMAX and the
    /// blocking pops use this).
    pub fn pop_at(&mut self, rank: usize) -> Option<(Bytes, f64)> {
        let (m, s) = self
            .nth(rank)
            .map(|(m, s)| (Bytes::copy_from_slice(m), s))?;
        self.remove(&m);
        Some((m, s))
    }
}

/// An owned copy of an item [`ZSet::iter`] yields (for replies and
/// results that outlive the set's borrow).
pub(crate) fn owned((member, score): (&[u8], f64)) -> (Bytes, f64) {
    (Bytes::copy_from_slice(member), score)
}

/// Iterates members and scores by rank, from either end.
pub(crate) struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Packed(std::vec::IntoIter<(&'a [u8], f64)>),
    Tree(TreeIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        match &mut self.0 {
            IterRepr::Packed(it) => it.next(),
            IterRepr::Tree(it) => it.next().map(|(m, s)| (&m[..], s)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterRepr::Packed(it) => it.size_hint(),
            IterRepr::Tree(it) => it.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Packed(it) => it.next_back(),
            IterRepr::Tree(it) => it.next_back().map(|(m, s)| (&m[..], s)),
        }
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
        let order: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(order, vec![&b"a"[..], b"b", b"c"]);
        assert_eq!(z.rank(b"c"), Some(2));
        assert!(z.remove(b"a"));
        assert!(!z.remove(b"a"));
        assert_eq!(z.len(), 2);
        assert_eq!(z.score(b"c"), Some(2.0));
    }

    /// Checks every operation against a plain sorted vector, through a
    /// long pseudo-random sequence of inserts, updates and removals over
    /// `members` distinct members (few: the set stays packed; many: it
    /// moves to the tree).
    fn check_against_model(members: u64, expect_packed: bool) {
        let mut z = ZSet::new();
        let mut model: Vec<(f64, Bytes)> = Vec::new();
        let rng = crate::engine::random::Rng::from_seed(42 + members);
        let rnd = |n: u64| rng.below(n as usize) as u64;
        for step in 0..4000 {
            let m = b(&format!("m{}", rnd(members)));
            let s = match rnd(8) {
                0 => f64::INFINITY,
                1 => f64::NEG_INFINITY,
                2 => (rnd(1000) as f64) / 7.0 - 50.0,
                3 => 1e300 * (rnd(3) as f64 - 1.0),
                _ => (rnd(50) as f64) - 25.0,
            };
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
                let all: Vec<(Bytes, f64)> = z.iter().map(owned).collect();
                let want: Vec<(Bytes, f64)> = model.iter().map(|(s, m)| (m.clone(), *s)).collect();
                assert_eq!(all, want);
                let rev: Vec<(Bytes, f64)> = z.iter().rev().map(owned).collect();
                assert_eq!(rev, want.iter().rev().cloned().collect::<Vec<_>>());
                for (i, (s, m)) in model.iter().enumerate() {
                    assert_eq!(z.rank(m), Some(i));
                    assert_eq!(z.score(m), Some(*s));
                    assert_eq!(z.nth(i).map(owned), Some((m.clone(), *s)));
                }
                let below = model.iter().filter(|(s, _)| *s < 3.0).count();
                assert_eq!(z.count_while(|s, _| s < 3.0), below);
                let mut table: Vec<Bytes> = (0..z.len())
                    .map(|i| Bytes::copy_from_slice(z.at(i).expect("in range").0))
                    .collect();
                table.sort();
                let mut names: Vec<Bytes> = model.iter().map(|(_, m)| m.clone()).collect();
                names.sort();
                assert_eq!(table, names, "at() covers every member once");
                assert!(z.at(z.len()).is_none());
                if model.len() > 4 {
                    let (a, e) = (1, model.len() - 2);
                    let mid: Vec<Bytes> = z
                        .range(a, e)
                        .map(|(m, _)| Bytes::copy_from_slice(m))
                        .collect();
                    let want: Vec<Bytes> = model[a..e].iter().map(|(_, m)| m.clone()).collect();
                    assert_eq!(mid, want);
                    assert_eq!(z.range(a, e).len(), e - a);
                    let mut it = z.range(a, e);
                    let mut both = Vec::new();
                    while let (Some(f), Some(bk)) = (it.next(), it.next_back()) {
                        both.push(f.0);
                        both.push(bk.0);
                    }
                    assert!(both.len() >= (e - a) - 1);
                }
            }
        }
        assert_eq!(z.is_packed(), expect_packed);
    }

    #[test]
    fn matches_a_sorted_vector() {
        check_against_model(300, false);
    }

    #[test]
    fn packed_matches_a_sorted_vector() {
        check_against_model(40, true);
    }

    /// The same operations on a packed set and on a tree give the same
    /// answers (property-style: random sequences, compared after each
    /// step).
    #[test]
    fn packed_and_tree_agree() {
        let rng = crate::engine::random::Rng::from_seed(7);
        let rnd = |n: u64| rng.below(n as usize) as u64;
        for round in 0..20 {
            let mut packed = ZSet::new();
            let mut tree = ZSet::new();
            tree.unpack();
            for _ in 0..300 {
                let len = rnd(6) as usize;
                let m: Vec<u8> = (0..len)
                    .map(|_| [0u8, 1, 0xff, b'a', b'\r'][rnd(5) as usize])
                    .collect();
                let m = Bytes::from(m);
                let s = [
                    0.0,
                    -0.0,
                    1.5,
                    -1.0,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    1e17,
                    -2e-300,
                ][rnd(8) as usize];
                match rnd(4) {
                    0 => assert_eq!(packed.remove(&m), tree.remove(&m)),
                    1 => assert_eq!(packed.pop_at(0), tree.pop_at(0)),
                    _ => assert_eq!(packed.insert(m.clone(), s), tree.insert(m, s)),
                }
                assert!(packed.is_packed() && !tree.is_packed(), "round {round}");
                let a: Vec<(Bytes, f64)> = packed.iter().map(owned).collect();
                let b: Vec<(Bytes, f64)> = tree.iter().map(owned).collect();
                assert_eq!(a, b);
                // Same signs too (a listpack set stores -0 as 0).
                let signs = |v: &[(Bytes, f64)]| {
                    v.iter()
                        .map(|(_, s)| s.is_sign_negative())
                        .collect::<Vec<_>>()
                };
                assert_eq!(signs(&a), signs(&b));
                assert!(packed == tree);
                assert_eq!(
                    packed.count_while(|s, _| s < 1.0),
                    tree.count_while(|s, _| s < 1.0)
                );
                for (m, _) in &a {
                    assert_eq!(packed.rank(m), tree.rank(m));
                }
                assert_eq!(packed.encoding(), tree.encoding());
            }
        }
    }

    /// Scores round-trip through the compact encoding: small integers in a
    /// byte or two, other values as doubles, infinities included.
    #[test]
    fn score_encoding_round_trips() {
        for s in [
            0.0,
            1.0,
            -1.0,
            63.0,
            64.0,
            -65.0,
            1e15,
            -9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            1e300,
            0.1,
            -2.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ] {
            let mut buf = Vec::new();
            put_score(&mut buf, s);
            let (back, end) = get_score(&buf, 0);
            assert_eq!(back.to_bits(), s.to_bits(), "{s}");
            assert_eq!(end, buf.len());
            if s.trunc() == s && s.abs() < 64.0 / 2.0 {
                assert_eq!(buf.len(), 1, "{s} fits a byte");
            }
        }
        let mut buf = Vec::new();
        put_score(&mut buf, -0.0);
        assert_eq!(get_score(&buf, 0).0.to_bits(), 0.0f64.to_bits());
    }

    /// Packed while within the listpack limits and the packed form's own
    /// caps; the tree beyond, converting exactly where Redis converts the
    /// encoding.
    #[test]
    fn conversion_points() {
        let mut z = ZSet::new();
        for i in 0..128 {
            assert!(z.insert(b(&format!("m{i}")), i as f64));
        }
        assert!(z.is_packed());
        assert_eq!(z.encoding(), "listpack");
        z.insert(b("m0"), 500.0); // an update, not a new member
        assert!(z.is_packed());
        z.insert(b("m128"), 0.0);
        assert!(!z.is_packed());
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.len(), 129);
        assert_eq!(z.nth(0).map(owned), Some((b("m128"), 0.0)));
        assert_eq!(z.score(b"m0"), Some(500.0));

        let mut long = ZSet::new();
        long.insert(b(&"v".repeat(64)), 1.0);
        assert!(long.is_packed());
        long.insert(b(&"w".repeat(65)), 1.0);
        assert!(!long.is_packed());
        assert_eq!(long.encoding(), "skiplist");

        // Smaller configured limits convert earlier.
        let lim = ListpackLimits {
            max_entries: 2,
            max_value: 64,
        };
        let mut small = ZSet::new();
        small.insert_with(&b("a"), 1.0, lim);
        small.insert_with(&b("b"), 1.0, lim);
        assert!(small.is_packed());
        small.insert_with(&b("c"), 1.0, lim);
        assert_eq!(small.encoding(), "skiplist");

        // Larger configured limits: listpack encoding, tree form beyond
        // the packed form's cap.
        let big = ListpackLimits {
            max_entries: 1000,
            max_value: 1000,
        };
        let mut wide = ZSet::new();
        for i in 0..200 {
            wide.insert_with(&b(&format!("{i:03}")), 0.0, big);
        }
        assert!(!wide.is_packed());
        assert_eq!(wide.encoding(), "listpack");

        // A STORE destination within the limits goes back to packed.
        let mut dst = ZSet::new();
        dst.set_skiplist();
        dst.insert(b("x"), -0.0);
        assert!(dst.iter().next().is_some_and(|(_, s)| s.is_sign_negative()));
        dst.settle_encoding(ListpackLimits::DEFAULT);
        assert!(dst.is_packed());
        assert!(
            dst.iter()
                .next()
                .is_some_and(|(_, s)| !s.is_sign_negative())
        );
    }

    /// Equal scores order by member bytes (binary members included);
    /// `-0` ties with `0`.
    #[test]
    fn packed_orders_equal_scores_by_member_bytes() {
        let mut z = ZSet::new();
        for m in [&b"b"[..], b"a\xff", b"a\x00", b"", b"A", b"a"] {
            z.insert(Bytes::copy_from_slice(m), 1.0);
        }
        z.insert(b("zero"), -0.0);
        z.insert(b("neg"), 0.0);
        z.insert(b("inf"), f64::INFINITY);
        z.insert(b("-inf"), f64::NEG_INFINITY);
        let order: Vec<Vec<u8>> = z.iter().map(|(m, _)| m.to_vec()).collect();
        let want: Vec<&[u8]> = vec![
            b"-inf", b"neg", b"zero", b"", b"A", b"a", b"a\x00", b"a\xff", b"b", b"inf",
        ];
        assert_eq!(order, want);
        assert!(z.is_packed());
        // -0 and 0 are the same score: no update.
        assert!(!z.insert(b("zero"), 0.0));
        assert_eq!(z.rank(b"zero"), Some(2));
        assert_eq!(z.pop_at(0), Some((b("-inf"), f64::NEG_INFINITY)));
        assert_eq!(z.len(), 9);
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
