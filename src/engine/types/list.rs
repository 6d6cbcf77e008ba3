//! The list value, [`List`], its encoding, and [`End`], the end of a list a
//! command works on.
//!
//! A small list is [`Packed`](super::packed::Packed): its elements in one
//! byte vector, as Redis keeps a list that fits one quicklist node in one
//! listpack. Once it outgrows one node under `list-max-listpack-size`
//! ([`ListLimits`]), it becomes a `VecDeque<Bytes>` (pushes and pops at
//! either end O(1) whatever the length), one way.

use std::collections::VecDeque;
use std::ops::RangeInclusive;

use bytes::Bytes;

use super::packed::{self, Packed};

use crate::engine::util::args::is;
use crate::engine::util::errors::syntax_error;
use crate::protocol::Reply;

/// An end of a list: `LEFT` is the head, `RIGHT` the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Left,
    Right,
}

impl End {
    /// Parses `LEFT` / `RIGHT` (any case), as Redis's
    /// `getListPositionFromObjectOrReply`: anything else is a syntax error.
    pub(crate) fn parse(arg: &[u8]) -> Result<End, Reply> {
        if is(arg, "left") {
            Ok(End::Left)
        } else if is(arg, "right") {
            Ok(End::Right)
        } else {
            Err(syntax_error())
        }
    }

    /// The keyspace event a pop at this end queues.
    pub(crate) fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    /// The keyspace event a push at this end queues.
    pub(crate) fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }
}

/// The encoding `OBJECT ENCODING` reports for a list. Redis 7.0 stores every
/// list as a quicklist (of listpack nodes, `list-max-listpack-size` bounding
/// each node), whatever its length: the plain `listpack` encoding for small
/// lists only arrived in Redis 7.2. (The mock's own packed form is not
/// visible here.)
pub(crate) fn list_encoding(_list: &List) -> &'static str {
    "quicklist"
}

/// `list-max-listpack-size` as the size of one quicklist node: a negative
/// fill bounds its listpack's bytes (-1 → 4 KB ... -5 → 64 KB), a positive
/// one its element count (and 8 KB of bytes, Redis's safety limit). A list
/// stays packed while it fits one such node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ListLimits {
    /// Most bytes of the node's listpack.
    pub bytes: usize,
    /// Most elements in the node.
    pub count: usize,
}

impl ListLimits {
    /// The limits for a `list-max-listpack-size` of `fill`.
    pub fn from_fill(fill: i64) -> ListLimits {
        if fill < 0 {
            ListLimits {
                bytes: 4096usize << (-(fill.max(-64)) - 1).clamp(0, 4),
                count: usize::MAX,
            }
        } else {
            ListLimits {
                bytes: 8192,
                count: fill.max(1) as usize,
            }
        }
    }

    fn exceeded_by(self, p: &Packed) -> bool {
        // A listpack's 7 bytes of header and end mark, then about what
        // the packed run takes per element.
        7 + p.bytes() > self.bytes || p.len() > self.count
    }
}

impl Default for ListLimits {
    /// Redis 7.0's default fill, -2 (8 KB nodes).
    fn default() -> ListLimits {
        ListLimits::from_fill(-2)
    }
}

#[derive(Clone, Debug)]
enum Repr {
    Packed(Packed),
    #[allow(clippy::box_collection)] // keeps `List` (and `Value`) small
    Deque(Box<VecDeque<Bytes>>),
}

/// A list value, head first: [`Packed`] while it fits one quicklist node
/// under [`ListLimits`] (each write that grows it takes the limits from
/// the configuration), a `VecDeque<Bytes>` beyond. Two lists are equal
/// when they hold the same elements, however stored.
///
/// ```ignore
/// let mut l = List::new();
/// l.push_back(Bytes::from("b"), ListLimits::default());
/// l.push_front(Bytes::from("a"), ListLimits::default());
/// assert_eq!(l.iter().collect::<Vec<_>>(), [&b"a"[..], b"b"]);
/// ```
#[derive(Clone, Debug)]
pub(crate) struct List(Repr);

impl Default for List {
    fn default() -> List {
        List(Repr::Packed(Packed::default()))
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl FromIterator<Bytes> for List {
    /// A list of the items in order, under the default limits.
    fn from_iter<I: IntoIterator<Item = Bytes>>(items: I) -> List {
        List::from_items(items, ListLimits::default())
    }
}

impl List {
    /// An empty list.
    pub fn new() -> List {
        List::default()
    }

    /// A list of `items` in order, packed if they fit `limits`.
    pub fn from_items(items: impl IntoIterator<Item = Bytes>, limits: ListLimits) -> List {
        let mut list = List::new();
        for item in items {
            list.push_back(item, limits);
        }
        list
    }

    /// Whether the elements are packed (the small form).
    #[cfg(test)]
    pub fn is_packed(&self) -> bool {
        matches!(self.0, Repr::Packed(_))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.len(),
            Repr::Deque(d) => d.len(),
        }
    }

    /// Whether the list is empty (the keyspace never keeps one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements, head first (tail first with `rev`).
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Packed(p) => Iter::Packed(p.iter()),
            Repr::Deque(d) => Iter::Deque(d.iter()),
        }
    }

    /// The elements at positions `range` (in bounds).
    pub fn range(&self, range: RangeInclusive<usize>) -> Iter<'_> {
        match &self.0 {
            Repr::Packed(p) => {
                let (start, end) = (*range.start(), *range.end());
                let mut it = p.iter();
                if start > 0 {
                    it.nth(start - 1);
                }
                for _ in end + 1..p.len() {
                    it.next_back();
                }
                Iter::Packed(it)
            }
            Repr::Deque(d) => Iter::Deque(d.range(range)),
        }
    }

    /// The elements at positions `range` as `Bytes` (shared with the list
    /// when it is a deque, copied out of a packed one).
    #[cfg(test)]
    pub fn range_bytes(&self, range: RangeInclusive<usize>) -> impl Iterator<Item = Bytes> + '_ {
        let deque = match &self.0 {
            Repr::Deque(d) => Some(d.range(range.clone()).cloned()),
            Repr::Packed(_) => None,
        };
        let packed = match &self.0 {
            Repr::Packed(_) => Some(self.range(range).map(Bytes::copy_from_slice)),
            Repr::Deque(_) => None,
        };
        deque
            .into_iter()
            .flatten()
            .chain(packed.into_iter().flatten())
    }

    /// The element at `index`.
    #[cfg(test)]
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        match &self.0 {
            Repr::Packed(p) => p.get(index),
            Repr::Deque(d) => d.get(index).map(|b| &b[..]),
        }
    }

    /// The element at `index` as `Bytes`.
    pub fn get_bytes(&self, index: usize) -> Option<Bytes> {
        match &self.0 {
            Repr::Packed(p) => p.get(index).map(Bytes::copy_from_slice),
            Repr::Deque(d) => d.get(index).cloned(),
        }
    }

    /// Converts a packed list that no longer fits `limits` to a deque.
    fn check(&mut self, limits: ListLimits) {
        if let Repr::Packed(p) = &self.0 {
            if limits.exceeded_by(p) {
                let d: VecDeque<Bytes> = p.iter().map(Bytes::copy_from_slice).collect();
                self.0 = Repr::Deque(Box::new(d));
            }
        }
    }

    /// Appends `e`.
    pub fn push_back(&mut self, e: Bytes, limits: ListLimits) {
        match &mut self.0 {
            Repr::Packed(p) => p.push_back(&e),
            Repr::Deque(d) => return d.push_back(e),
        }
        self.check(limits);
    }

    /// Prepends `e`.
    pub fn push_front(&mut self, e: Bytes, limits: ListLimits) {
        match &mut self.0 {
            Repr::Packed(p) => p.push_front(&e),
            Repr::Deque(d) => return d.push_front(e),
        }
        self.check(limits);
    }

    /// Removes and returns the head.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        match &mut self.0 {
            Repr::Packed(p) => p.pop_front(),
            Repr::Deque(d) => d.pop_front(),
        }
    }

    /// Removes and returns the tail.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        match &mut self.0 {
            Repr::Packed(p) => p.pop_back(),
            Repr::Deque(d) => d.pop_back(),
        }
    }

    /// Removes the first `n` elements (at most all) and returns them, head first.
    pub fn pop_front_n(&mut self, n: usize) -> Vec<Bytes> {
        let n = n.min(self.len());
        match &mut self.0 {
            Repr::Packed(p) => {
                let out = p.iter().take(n).map(Bytes::copy_from_slice).collect();
                p.remove_range(0..n);
                out
            }
            Repr::Deque(d) => d.drain(..n).collect(),
        }
    }

    /// Removes the last `n` elements (at most all) and returns them, tail first.
    pub fn pop_back_n(&mut self, n: usize) -> Vec<Bytes> {
        let n = n.min(self.len());
        match &mut self.0 {
            Repr::Packed(p) => {
                let out = p.iter().rev().take(n).map(Bytes::copy_from_slice).collect();
                let len = p.len();
                p.remove_range(len - n..len);
                out
            }
            Repr::Deque(d) => (0..n).filter_map(|_| d.pop_back()).collect(),
        }
    }

    /// Keeps only positions `start..=end` (in bounds), as LTRIM.
    pub fn trim(&mut self, start: usize, end: usize) {
        match &mut self.0 {
            Repr::Packed(p) => {
                let len = p.len();
                p.remove_range(end + 1..len);
                p.remove_range(0..start);
            }
            Repr::Deque(d) => {
                d.truncate(end + 1);
                d.drain(..start);
            }
        }
    }

    /// The elements, head first, as owned `Bytes` (a deque's own handles).
    pub fn into_vec(self) -> Vec<Bytes> {
        match self.0 {
            Repr::Packed(p) => p.iter().map(Bytes::copy_from_slice).collect(),
            Repr::Deque(d) => Vec::from(*d),
        }
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        *self = List::new();
    }

    /// Replaces the element at `index` (in bounds) with `e`.
    pub fn set(&mut self, index: usize, e: Bytes, limits: ListLimits) {
        match &mut self.0 {
            Repr::Packed(p) => p.set(index, &e),
            Repr::Deque(d) => return d[index] = e,
        }
        self.check(limits);
    }

    /// Inserts `e` before position `index` (`len` appends).
    pub fn insert(&mut self, index: usize, e: Bytes, limits: ListLimits) {
        match &mut self.0 {
            Repr::Packed(p) => p.insert(index, &[&e]),
            Repr::Deque(d) => return d.insert(index, e),
        }
        self.check(limits);
    }

    /// Keeps only the elements `keep` accepts (head first, one pass).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        match &mut self.0 {
            Repr::Packed(p) => p.retain(keep),
            Repr::Deque(d) => d.retain(|e| keep(e)),
        }
    }
}

/// The elements of a [`List`], from either end.
pub(crate) enum Iter<'a> {
    Packed(packed::Iter<'a>),
    Deque(std::collections::vec_deque::Iter<'a, Bytes>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Iter::Packed(it) => it.next(),
            Iter::Deque(it) => it.next().map(|b| &b[..]),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Packed(it) => it.size_hint(),
            Iter::Deque(it) => it.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(it) => it.next_back(),
            Iter::Deque(it) => it.next_back().map(|b| &b[..]),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_encoding() {
        assert_eq!(End::parse(b"LeFt"), Ok(End::Left));
        assert_eq!(End::parse(b"right"), Ok(End::Right));
        assert_eq!(End::parse(b"middle"), Err(syntax_error()));
        assert_eq!(End::Left.push_event(), "lpush");
        assert_eq!(End::Right.pop_event(), "rpop");
        assert_eq!(list_encoding(&List::new()), "quicklist");
    }

    fn b(s: &[u8]) -> Bytes {
        Bytes::copy_from_slice(s)
    }

    #[test]
    fn a_list_is_32_bytes_in_place() {
        assert_eq!(std::mem::size_of::<List>(), 32);
        assert_eq!(std::mem::size_of::<super::super::hash::Hash>(), 32);
    }

    #[test]
    fn fill_limits() {
        assert_eq!(ListLimits::default(), ListLimits::from_fill(-2));
        assert_eq!(ListLimits::from_fill(-1).bytes, 4096);
        assert_eq!(ListLimits::from_fill(-5).bytes, 65536);
        assert_eq!(ListLimits::from_fill(-100).bytes, 65536);
        assert_eq!(ListLimits::from_fill(i64::MIN).bytes, 65536);
        assert_eq!(ListLimits::from_fill(0).count, 1);
        assert_eq!(
            ListLimits::from_fill(128),
            ListLimits {
                bytes: 8192,
                count: 128
            }
        );
    }

    #[test]
    fn converts_once_it_outgrows_one_node() {
        let three = ListLimits::from_fill(3);
        let mut l = List::new();
        for e in ["a", "b", "c"] {
            l.push_back(b(e.as_bytes()), three);
        }
        assert!(l.is_packed(), "three elements fit a node of 3");
        l.push_front(b(b""), three);
        assert!(!l.is_packed(), "the fourth does not");
        assert_eq!(l.iter().collect::<Vec<_>>(), [&b""[..], b"a", b"b", b"c"]);
        l.pop_front_n(3);
        assert!(!l.is_packed(), "one way");
        assert_eq!(l.get(0), Some(&b"c"[..]));

        // By bytes: 4 KB nodes hold 7 bytes of header plus the elements
        // (here 1 + 100 + 1 bytes each).
        let small = ListLimits::from_fill(-1);
        let mut l = List::new();
        let e = Bytes::from(vec![0xffu8; 100]);
        for _ in 0..40 {
            l.push_back(e.clone(), small);
        }
        assert!(l.is_packed(), "7 + 40 * 102 = 4087 bytes fit");
        l.set(0, Bytes::from(vec![0u8; 108]), small);
        assert!(l.is_packed(), "4095 bytes still fit");
        l.set(0, Bytes::from(vec![0u8; 110]), small);
        assert!(!l.is_packed(), "4097 bytes do not");
        assert_eq!(l.len(), 40);
        assert_eq!(l.get(0).map(<[u8]>::len), Some(110));
    }

    #[test]
    fn equal_however_stored() {
        let items = || (0..20).map(|i| Bytes::from(format!("e{i}")));
        let packed = List::from_items(items(), ListLimits::default());
        let deque = List::from_items(items(), ListLimits::from_fill(1));
        assert!(packed.is_packed() && !deque.is_packed());
        assert_eq!(packed, deque);
        assert_eq!(packed.clone().into_vec(), deque.clone().into_vec());
        assert_eq!(
            packed.range_bytes(3..=5).collect::<Vec<_>>(),
            deque.range_bytes(3..=5).collect::<Vec<_>>()
        );
        assert_ne!(
            packed,
            List::from_items(items().take(19), ListLimits::default())
        );
    }

    mod model {
        use std::collections::VecDeque;

        use proptest::prelude::*;

        use super::super::*;
        use crate::engine::types::packed::element_size;

        #[derive(Clone, Debug)]
        enum Op {
            PushFront(Vec<u8>),
            PushBack(Vec<u8>),
            PopFront,
            PopBack,
            PopFrontN(usize),
            PopBackN(usize),
            Trim(usize, usize),
            Set(usize, Vec<u8>),
            Insert(usize, Vec<u8>),
            RemoveEqual(Vec<u8>),
        }

        fn element() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                Just(Vec::new()),
                prop::collection::vec(prop::sample::select(vec![b'a', 0, b'\r', 0xff]), 1..4),
                prop::collection::vec(any::<u8>(), 120..140),
            ]
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => element().prop_map(Op::PushFront),
                3 => element().prop_map(Op::PushBack),
                1 => Just(Op::PopFront),
                1 => Just(Op::PopBack),
                1 => (0usize..4).prop_map(Op::PopFrontN),
                1 => (0usize..4).prop_map(Op::PopBackN),
                1 => (0usize..30, 0usize..30).prop_map(|(a, b)| Op::Trim(a, b)),
                2 => (0usize..30, element()).prop_map(|(i, e)| Op::Set(i, e)),
                2 => (0usize..30, element()).prop_map(|(i, e)| Op::Insert(i, e)),
                1 => element().prop_map(Op::RemoveEqual),
            ]
        }

        fn exceeds(model: &VecDeque<Bytes>, limits: ListLimits) -> bool {
            let bytes: usize = model.iter().map(|e| element_size(e.len())).sum();
            7 + bytes > limits.bytes || model.len() > limits.count
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// A list behaves as a `VecDeque` whatever its form, and leaves
            /// the packed form exactly when a write makes it outgrow one
            /// node (and never comes back).
            #[test]
            fn packed_and_plain_agree(
                fill in prop_oneof![(1i64..12), Just(-1i64)],
                ops in prop::collection::vec(op(), 0..120),
            ) {
                let limits = ListLimits::from_fill(fill);
                let mut list = List::new();
                let mut model: VecDeque<Bytes> = VecDeque::new();
                let mut converted = false;
                for op in ops {
                    let mut grew = false;
                    match op {
                        Op::PushFront(e) => {
                            list.push_front(Bytes::from(e.clone()), limits);
                            model.push_front(Bytes::from(e));
                            grew = true;
                        }
                        Op::PushBack(e) => {
                            list.push_back(Bytes::from(e.clone()), limits);
                            model.push_back(Bytes::from(e));
                            grew = true;
                        }
                        Op::PopFront => prop_assert_eq!(list.pop_front(), model.pop_front()),
                        Op::PopBack => prop_assert_eq!(list.pop_back(), model.pop_back()),
                        Op::PopFrontN(n) => {
                            let want: Vec<Bytes> = (0..n).filter_map(|_| model.pop_front()).collect();
                            prop_assert_eq!(list.pop_front_n(n), want);
                        }
                        Op::PopBackN(n) => {
                            let want: Vec<Bytes> = (0..n).filter_map(|_| model.pop_back()).collect();
                            prop_assert_eq!(list.pop_back_n(n), want);
                        }
                        Op::Trim(s, e) if s <= e && e < model.len() => {
                            list.trim(s, e);
                            model.truncate(e + 1);
                            model.drain(..s);
                        }
                        Op::Set(i, e) if i < model.len() => {
                            list.set(i, Bytes::from(e.clone()), limits);
                            model[i] = Bytes::from(e);
                            grew = true;
                        }
                        Op::Insert(i, e) if i <= model.len() => {
                            list.insert(i, Bytes::from(e.clone()), limits);
                            model.insert(i, Bytes::from(e));
                            grew = true;
                        }
                        Op::RemoveEqual(e) => {
                            list.retain(|x| x != e);
                            model.retain(|x| *x != e);
                        }
                        _ => {}
                    }
                    if grew && !converted && exceeds(&model, limits) {
                        converted = true;
                    }
                    prop_assert_eq!(list.is_packed(), !converted);
                    prop_assert_eq!(list.len(), model.len());
                    prop_assert!(list.iter().eq(model.iter().map(|e| &e[..])));
                    prop_assert!(list.iter().rev().eq(model.iter().rev().map(|e| &e[..])));
                    if !model.is_empty() {
                        let (s, e) = (model.len() / 3, model.len() - 1);
                        prop_assert!(list.range(s..=e).eq(model.range(s..=e).map(|e| &e[..])));
                        prop_assert!(list.range_bytes(s..=e).eq(model.range(s..=e).cloned()));
                        prop_assert_eq!(list.get_bytes(s), model.get(s).cloned());
                    }
                }
            }
        }
    }
}
