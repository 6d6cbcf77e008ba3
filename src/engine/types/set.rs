//! The set value (`Value::Set`, a [`Members`] table) and its encoding rules.
//!
//! Redis 7.0 encodes a set as an `intset` (sorted integers) while every
//! member is a 64-bit integer and there are at most `set-max-intset-entries`
//! (512) of them, otherwise as a `hashtable`; there is no listpack set
//! before 7.2. Replies that list a whole set follow the encoding: an intset
//! in ascending numeric order, as Redis does, and a hashtable in the
//! table's order (insertion order, a removal moving the last member into
//! the hole), which depends on the commands run, never on the process's
//! hash seeds. SSCAN walks the same positions (see `types::scan_span`),
//! and random choices (SPOP, SRANDMEMBER) pick positions, in O(1) each and
//! reproducibly for a given seed.

use bytes::Bytes;
use indexmap::IndexSet;

use super::zset::{PACK_MAX_ENTRIES, PACK_MAX_VALUE, get_member, put_member, splice_exact};
use crate::protocol::string2ll;

/// The hash-table form: a table with positions (`indexmap`), so SSCAN
/// cursors and random picks are positions.
type Table = IndexSet<Bytes, rustc_hash::FxBuildHasher>;

/// A set's members, in table order: positions are what SSCAN cursors and
/// random picks use. Removals move the last member into the hole
/// (`swap_remove`: what SSCAN's guarantee assumes); nothing is ever
/// inserted at a position.
///
/// Up to [`PACK_MAX_ENTRIES`] members of at most [`PACK_MAX_VALUE`] bytes
/// live packed in one buffer (length-prefixed members in table order, as
/// small as Redis's intset or listpack); membership tests and positions are
/// linear there. Beyond, they move to a hash table for good, keeping the
/// order, so the form never shows in a reply; `OBJECT ENCODING` is
/// derived from the members ([`set_encoding`]).
#[derive(Clone, Debug)]
pub(crate) struct Members {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Packed { buf: Box<[u8]>, len: u32 },
    Table(Box<Table>),
}

impl Default for Members {
    fn default() -> Members {
        Members {
            repr: Repr::Packed {
                buf: Box::default(),
                len: 0,
            },
        }
    }
}

impl PartialEq for Members {
    /// The same members, in any order.
    fn eq(&self, other: &Members) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains(m))
    }
}

impl FromIterator<Bytes> for Members {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Members {
        let mut set = Members::default();
        set.extend(iter);
        set
    }
}

impl Extend<Bytes> for Members {
    fn extend<I: IntoIterator<Item = Bytes>>(&mut self, iter: I) {
        for m in iter {
            self.insert(m);
        }
    }
}

/// The packed members' spans: `(start, end, member)`.
fn spans(buf: &[u8]) -> impl Iterator<Item = (usize, usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= buf.len() {
            return None;
        }
        let start = pos;
        let (m, end) = get_member(buf, pos);
        pos = end;
        Some((start, end, m))
    })
}

impl Members {
    /// An empty set with room for `n` members in the table form when `n`
    /// is beyond the packed form's size (RDB loading; `n` must be bounded
    /// by the caller).
    pub fn with_capacity(n: usize) -> Members {
        if n <= PACK_MAX_ENTRIES {
            return Members::default();
        }
        Members {
            repr: Repr::Table(Box::new(Table::with_capacity_and_hasher(
                n,
                Default::default(),
            ))),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed { len, .. } => *len as usize,
            Repr::Table(t) => t.len(),
        }
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the members are in the packed form.
    pub fn is_packed(&self) -> bool {
        matches!(self.repr, Repr::Packed { .. })
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Packed { buf, .. } => spans(buf).any(|(_, _, m)| m == member),
            Repr::Table(t) => t.contains(member),
        }
    }

    /// The members in table order.
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Packed { buf, .. } => Iter::Packed(buf, 0),
            Repr::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// The member at table position `i`: O(1) in the table, O(i) packed.
    pub fn get_index(&self, i: usize) -> Option<&[u8]> {
        match &self.repr {
            Repr::Packed { buf, .. } => spans(buf).nth(i).map(|(_, _, m)| m),
            Repr::Table(t) => t.get_index(i).map(|m| &m[..]),
        }
    }

    /// Adds `member` at the end of the table; true when it is new.
    pub fn insert(&mut self, member: Bytes) -> bool {
        match self.insert_packed(&member) {
            Some(added) => added,
            None => self.table().insert(member),
        }
    }

    /// [`insert`](Members::insert) of a borrowed member (a command's
    /// argument): the packed form copies it, the table keeps a clone only
    /// when the member is new.
    pub fn insert_ref(&mut self, member: &Bytes) -> bool {
        match self.insert_packed(member) {
            Some(added) => added,
            None => {
                let t = self.table();
                !t.contains(&member[..]) && t.insert(member.clone())
            }
        }
    }

    /// The packed part of an insert: whether `member` was added, or `None`
    /// when the set is (or just became) a table.
    fn insert_packed(&mut self, member: &[u8]) -> Option<bool> {
        if let Repr::Packed { buf, len } = &mut self.repr {
            if spans(buf).any(|(_, _, m)| m == member) {
                return Some(false);
            }
            if (*len as usize) < PACK_MAX_ENTRIES && member.len() <= PACK_MAX_VALUE {
                // One allocation of the exact new size (a member of at
                // most `PACK_MAX_VALUE` < 128 bytes has a one-byte length).
                let mut out = Vec::with_capacity(buf.len() + 1 + member.len());
                out.extend_from_slice(buf);
                put_member(&mut out, member);
                *buf = out.into_boxed_slice();
                *len += 1;
                return Some(true);
            }
            self.unpack();
        }
        None
    }

    /// The table form (after [`insert_packed`](Members::insert_packed)
    /// answered `None`).
    fn table(&mut self) -> &mut Table {
        match &mut self.repr {
            Repr::Table(t) => t,
            Repr::Packed { .. } => unreachable!("unpacked before"),
        }
    }

    /// Moves the packed members to the table, in order.
    fn unpack(&mut self) {
        if let Repr::Packed { buf, len } = &self.repr {
            let mut t = Table::with_capacity_and_hasher(*len as usize + 1, Default::default());
            t.extend(spans(buf).map(|(_, _, m)| Bytes::copy_from_slice(m)));
            self.repr = Repr::Table(Box::new(t));
        }
    }

    /// Removes `member`, moving the last member into its position; true
    /// when it was present.
    pub fn swap_remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed { buf, .. } => {
                let Some(i) = spans(buf).position(|(_, _, m)| m == member) else {
                    return false;
                };
                self.swap_remove_index(i);
                true
            }
            Repr::Table(t) => t.swap_remove(member),
        }
    }

    /// Removes and returns the member at position `i`, moving the last
    /// member into its position.
    pub fn swap_remove_index(&mut self, i: usize) -> Option<Bytes> {
        match &mut self.repr {
            Repr::Packed { buf, len } => {
                let (start, end, m) = spans(buf).nth(i)?;
                let removed = Bytes::copy_from_slice(m);
                let (last_start, last_end, _) = spans(buf).last()?;
                *buf = if last_start == start {
                    splice_exact(buf, start, end, &[])
                } else {
                    // The last member takes the hole; the tail goes.
                    let mut out = Vec::with_capacity(buf.len() - (end - start));
                    out.extend_from_slice(&buf[..start]);
                    out.extend_from_slice(&buf[last_start..last_end]);
                    out.extend_from_slice(&buf[end..last_start]);
                    out.into_boxed_slice()
                };
                *len -= 1;
                Some(removed)
            }
            Repr::Table(t) => t.swap_remove_index(i),
        }
    }

    /// Removes every member.
    pub fn clear(&mut self) {
        *self = Members::default();
    }
}

impl<'a> IntoIterator for &'a Members {
    type Item = &'a [u8];
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The members of a set in table order.
pub(crate) enum Iter<'a> {
    Packed(&'a [u8], usize),
    Table(indexmap::set::Iter<'a, Bytes>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Iter::Packed(buf, pos) => {
                if *pos >= buf.len() {
                    return None;
                }
                let (m, end) = get_member(buf, *pos);
                *pos = end;
                Some(m)
            }
            Iter::Table(it) => it.next().map(|m| &m[..]),
        }
    }
}

/// `set-max-intset-entries` at its Redis 7.0 default.
pub(crate) const SET_MAX_INTSET_ENTRIES: usize = 512;

/// Whether Redis 7.0 would hold `set` as an intset: every member a 64-bit
/// integer in Redis's strict text form, and at most `max`
/// (`set-max-intset-entries`) of them.
///
/// This is derived from the members, so it misses Redis's one-way
/// conversion: a set that once held a non-integer (or more than 512
/// members) stays a hashtable in Redis after those members are removed,
/// while it is reported as an intset here.
pub(crate) fn is_intset(set: &Members, max: usize) -> bool {
    set.len() <= max && set.iter().all(|m| string2ll(m).is_some())
}

/// `OBJECT ENCODING` of a set as Redis 7.0 reports it with
/// `set-max-intset-entries` at `max_intset_entries`: `intset` or
/// `hashtable` (see [`is_intset`] for the one divergence).
pub(crate) fn set_encoding(set: &Members, max_intset_entries: usize) -> &'static str {
    if is_intset(set, max_intset_entries) {
        "intset"
    } else {
        "hashtable"
    }
}

/// The members in the order replies list them: ascending integers for an
/// intset (as Redis), otherwise the table's order (O(n)).
pub(crate) fn ordered(set: &Members, max: usize) -> Vec<Bytes> {
    if is_intset(set, max) {
        let mut v: Vec<(i64, &[u8])> = set.iter().map(|m| (string2ll(m).unwrap_or(0), m)).collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        v.into_iter()
            .map(|(_, m)| Bytes::copy_from_slice(m))
            .collect()
    } else {
        set.iter().map(Bytes::copy_from_slice).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> Members {
        items
            .iter()
            .map(|m| Bytes::copy_from_slice(m.as_bytes()))
            .collect()
    }

    /// What Redis 7.0.15 reports (checked with OBJECT ENCODING), except for
    /// its one-way conversion (see `is_intset`).
    #[test]
    fn encodings() {
        assert_eq!(
            set_encoding(&set(&["1", "-9223372036854775808"]), 512),
            "intset"
        );
        assert_eq!(set_encoding(&set(&["01"]), 512), "hashtable");
        assert_eq!(set_encoding(&set(&["1", "a"]), 512), "hashtable");
        let ints: Vec<String> = (0..512).map(|i| i.to_string()).collect();
        let mut big: Members = ints.iter().map(|m| Bytes::from(m.clone())).collect();
        assert_eq!(set_encoding(&big, 512), "intset");
        big.insert(Bytes::from_static(b"512"));
        assert_eq!(set_encoding(&big, 512), "hashtable");
        let order = ordered(&set(&["10", "-2", "3"]), 512);
        assert_eq!(
            order,
            vec![Bytes::from("-2"), Bytes::from("3"), Bytes::from("10")]
        );
    }

    /// The packed form behaves exactly as the table (same positions after
    /// every insert and `swap_remove`, the same answers), through random
    /// sequences that cross the conversion point (property-style).
    #[test]
    fn packed_matches_the_table() {
        let rng = crate::engine::random::Rng::from_seed(99);
        let rnd = |n: u64| rng.below(n as usize) as u64;
        for universe in [20u64, 150, 400] {
            let mut set = Members::default();
            let mut model = Table::default();
            for step in 0..3000 {
                let len = rnd(4) as usize;
                let mut m: Vec<u8> = (0..len)
                    .map(|_| [0u8, 0xff, b'7', b'x'][rnd(4) as usize])
                    .collect();
                m.extend_from_slice(rnd(universe).to_string().as_bytes());
                if rnd(50) == 0 {
                    m.resize(65, b'L'); // too long for the packed form
                }
                let m = Bytes::from(m);
                match rnd(5) {
                    0 | 1 => assert_eq!(set.swap_remove(&m), model.swap_remove(&m)),
                    2 if !model.is_empty() => {
                        let i = rnd(model.len() as u64) as usize;
                        assert_eq!(set.swap_remove_index(i), model.swap_remove_index(i));
                    }
                    _ => assert_eq!(set.insert(m.clone()), model.insert(m)),
                }
                assert_eq!(set.len(), model.len());
                if step % 37 == 0 {
                    let a: Vec<&[u8]> = set.iter().collect();
                    let b: Vec<&[u8]> = model.iter().map(|m| &m[..]).collect();
                    assert_eq!(a, b, "same order");
                    for (i, m) in b.iter().enumerate() {
                        assert_eq!(set.get_index(i), Some(*m));
                        assert!(set.contains(m));
                    }
                    assert_eq!(set.get_index(b.len()), None);
                    assert!(!set.contains(b"absent"));
                    let copy: Members = model.iter().cloned().collect();
                    assert!(copy == set);
                }
            }
            assert_eq!(
                set.is_packed(),
                universe == 20 && set.iter().all(|m| m.len() <= 64)
            );
        }
    }

    /// Packed up to 128 members of at most 64 bytes, the table beyond (for
    /// good), with the order kept across the move.
    #[test]
    fn conversion_points() {
        let mut s = Members::default();
        for i in 0..128 {
            assert!(s.insert(Bytes::from(format!("m{i}"))));
        }
        assert!(s.is_packed());
        assert!(!s.insert(Bytes::from_static(b"m5")));
        assert!(s.is_packed());
        assert!(s.insert(Bytes::from_static(b"m128")));
        assert!(!s.is_packed());
        let order: Vec<String> = s
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect();
        let want: Vec<String> = (0..129).map(|i| format!("m{i}")).collect();
        assert_eq!(order, want);
        s.swap_remove(b"m128");
        assert!(!s.is_packed(), "no conversion back");

        let mut long = Members::default();
        long.insert(Bytes::from(vec![b'v'; 64]));
        assert!(long.is_packed());
        long.insert(Bytes::from(vec![b'w'; 65]));
        assert!(!long.is_packed());
        assert_eq!(set_encoding(&long, 512), "hashtable");

        // Integer sets report intset whatever the form.
        let ints: Members = (0..200).map(|i| Bytes::from(i.to_string())).collect();
        assert!(!ints.is_packed());
        assert_eq!(set_encoding(&ints, 512), "intset");
        let few: Members = ["3", "-1"].iter().map(|m| Bytes::from(*m)).collect();
        assert!(few.is_packed());
        assert_eq!(set_encoding(&few, 512), "intset");
        assert_eq!(
            ordered(&few, 512),
            vec![Bytes::from("-1"), Bytes::from("3")]
        );
    }

    /// A removal moves the last member into the hole, in the packed form
    /// as in the table; binary members and the empty member included.
    #[test]
    fn packed_swap_remove_and_binary_members() {
        let mut s: Members = [&b""[..], b"\x00\xff", b"a\r\n", b"z"]
            .iter()
            .map(|m| Bytes::copy_from_slice(m))
            .collect();
        assert!(s.contains(b""));
        assert!(s.swap_remove(b""));
        let order: Vec<&[u8]> = s.iter().collect();
        assert_eq!(order, vec![&b"z"[..], b"\x00\xff", b"a\r\n"]);
        assert_eq!(s.swap_remove_index(2), Some(Bytes::from_static(b"a\r\n")));
        assert_eq!(s.swap_remove_index(2), None);
        s.clear();
        assert!(s.is_empty() && s.is_packed());
    }
}
