//! The hash value, [`Hash`](struct@Hash), and its encoding rules.
//!
//! Redis keeps a small hash in a listpack: fields in insertion order (a
//! deleted field leaves the others in place, an updated one keeps its
//! position), so HGETALL, HKEYS, HVALS, HSCAN and a whole-hash HRANDFIELD
//! list them in that order. Once the hash holds more than
//! `hash-max-listpack-entries` fields, or is given a field or value longer
//! than `hash-max-listpack-value` bytes, Redis converts it to a hash table,
//! one way: it stays `hashtable` after shrinking. [`Hash`](struct@Hash) records both the
//! order and that conversion ([`Limits`] carries the thresholds; the hash
//! commands read them from the configuration).

use std::ops::Range;

use bytes::Bytes;
use indexmap::IndexMap;

use super::packed::{self, Packed};

/// Redis 7.0's compiled-in `hash-max-listpack-entries` (the sample
/// redis.conf says 128, but a server started without it uses 512).
pub(crate) const DEFAULT_MAX_LISTPACK_ENTRIES: usize = 512;
/// Redis 7.0's default `hash-max-listpack-value`.
pub(crate) const DEFAULT_MAX_LISTPACK_VALUE: usize = 64;

/// The listpack thresholds a hash write is checked against:
/// `hash-max-listpack-entries` and `hash-max-listpack-value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Most fields a listpack hash holds.
    pub entries: usize,
    /// Longest field or value (bytes) a listpack hash holds.
    pub value: usize,
}

impl Default for Limits {
    /// Redis 7.0's defaults (512 fields, 64 bytes).
    fn default() -> Limits {
        Limits {
            entries: DEFAULT_MAX_LISTPACK_ENTRIES,
            value: DEFAULT_MAX_LISTPACK_VALUE,
        }
    }
}

/// A hash value: field → value, plus the encoding Redis would be using
/// for it, which is also how it is stored.
///
/// While listpack-encoded the hash is [`Packed`]: fields and values
/// alternate in one byte vector, in insertion order, as in Redis's
/// listpack (removing a field keeps the others' order, setting an existing
/// field keeps its position; lookups are linear, as Redis's are, over at
/// most [`Limits::entries`] fields). [`Hash::set`] converts the hash to a
/// hash table (an `IndexMap`, O(1) lookups) when Redis's `hashTypeSet`
/// would (a field or value longer than [`Limits::value`], more fields than
/// [`Limits::entries`]); the conversion is one way, as in Redis. A
/// `hashtable` hash iterates in an unspecified order (Redis's is its
/// dict's hash order). Two hashes are equal when they have the same
/// encoding and the same pairs, in any order.
///
/// ```ignore
/// let mut h = Hash::new();
/// h.set("b".into(), "1".into(), Limits::default());
/// h.set("a".into(), "2".into(), Limits::default());
/// assert_eq!(h.keys().collect::<Vec<_>>(), [&b"b"[..], b"a"]);
/// assert_eq!(h.encoding(), "listpack");
/// ```
#[derive(Clone, Debug, Default)]
pub(crate) struct Hash(Repr);

type Table = IndexMap<Bytes, Bytes>;

#[derive(Clone, Debug)]
enum Repr {
    /// `field value field value ...`, in insertion order.
    Packed(Packed),
    /// Boxed so a small hash pays for the packed form's size only (and
    /// `Value` stays small).
    Table(Box<Table>),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Packed(Packed::default())
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Hash) -> bool {
        self.is_listpack() == other.is_listpack()
            && self.len() == other.len()
            && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

/// Where `field` is in a packed hash: the start of its field element, the
/// value's data and the end of its value element.
fn find(p: &Packed, field: &[u8]) -> Option<(usize, Range<usize>, usize)> {
    let mut spans = p.spans();
    while let (Some((start, f, _)), Some((_, v, end))) = (spans.next(), spans.next()) {
        if p.slice(f) == field {
            return Some((start, v, end));
        }
    }
    None
}

impl Hash {
    /// An empty, listpack-encoded hash.
    pub fn new() -> Hash {
        Hash::default()
    }

    /// A hash built from `(field, value)` pairs in order, as RESTORE loads
    /// one: a later duplicate field overwrites the earlier value. With
    /// `check_lengths`, a field or value over [`Limits::value`] converts it
    /// (RDB's plain hash type); either way more than [`Limits::entries`]
    /// fields do.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (Bytes, Bytes)>,
        limits: Limits,
        check_lengths: bool,
    ) -> Hash {
        let mut hash = Hash::new();
        // Without the length check, a long field or value stays in the
        // listpack; the entry count is checked at every insertion, so a
        // big hash is built in its table, not in a linear-time run.
        let insert_limits = if check_lengths {
            limits
        } else {
            Limits {
                entries: limits.entries,
                value: usize::MAX,
            }
        };
        for (f, v) in pairs {
            hash.set(&f, &v, insert_limits);
        }
        hash
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.len() / 2,
            Repr::Table(t) => t.len(),
        }
    }

    /// Whether the hash has no fields (the keyspace never keeps one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            Repr::Packed(p) => find(p, field).map(|(_, v, _)| p.slice(v)),
            Repr::Table(t) => t.get(field).map(|v| &v[..]),
        }
    }

    /// The value of `field` as `Bytes` (shared with a hash table, copied
    /// out of a listpack).
    pub fn get_bytes(&self, field: &[u8]) -> Option<Bytes> {
        match &self.0 {
            Repr::Packed(p) => find(p, field).map(|(_, v, _)| Bytes::copy_from_slice(p.slice(v))),
            Repr::Table(t) => t.get(field).cloned(),
        }
    }

    /// Whether `field` exists.
    pub fn contains_key(&self, field: &[u8]) -> bool {
        match &self.0 {
            Repr::Packed(p) => find(p, field).is_some(),
            Repr::Table(t) => t.contains_key(field),
        }
    }

    /// `(field, value)` pairs, in insertion order while listpack-encoded.
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Packed(p) => Iter::Packed(p.iter()),
            Repr::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// `(field, value)` pairs as `Bytes`, in [`Hash::iter`] order (shared
    /// with a hash table, copied out of a listpack).
    pub fn iter_bytes(&self) -> impl ExactSizeIterator<Item = (Bytes, Bytes)> + '_ {
        let table = match &self.0 {
            Repr::Table(t) => Some(t),
            Repr::Packed(_) => None,
        };
        self.iter().enumerate().map(move |(i, (f, v))| match table {
            // The table's own handles: no copy.
            Some(t) => {
                let (f, v) = t.get_index(i).expect("iterated in table order");
                (f.clone(), v.clone())
            }
            None => (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)),
        })
    }

    /// The fields, in [`Hash::iter`] order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.iter().map(|(f, _)| f)
    }

    /// The values, in [`Hash::iter`] order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.iter().map(|(_, v)| v)
    }

    /// Random access to the pairs by position in [`Hash::iter`]'s order:
    /// O(1) per lookup once built (a listpack is walked once, here).
    pub fn indexed(&self) -> Indexed<'_> {
        match &self.0 {
            Repr::Packed(_) => Indexed::Pairs(self.iter().collect()),
            Repr::Table(t) => Indexed::Table(t),
        }
    }

    /// Whether Redis would hold this hash as a listpack.
    pub fn is_listpack(&self) -> bool {
        matches!(self.0, Repr::Packed(_))
    }

    /// The name `OBJECT ENCODING` reports: `listpack` or `hashtable`.
    pub fn encoding(&self) -> &'static str {
        if self.is_listpack() {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// Converts a listpack hash to a hash table (same pairs, same order).
    fn convert(&mut self) {
        if let Repr::Packed(p) = &self.0 {
            let mut t = Table::with_capacity(p.len() / 2);
            let mut it = p.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                t.insert(Bytes::copy_from_slice(f), Bytes::copy_from_slice(v));
            }
            self.0 = Repr::Table(Box::new(t));
        }
    }

    /// Sets `field` to `value` (a new field goes last, an existing one
    /// keeps its position); returns whether the field is new. Converts to
    /// `hashtable` as Redis's `hashTypeSet` does: before the write when the
    /// field or value is longer than `limits.value`, after it when the hash
    /// holds more than `limits.entries` fields.
    /// The table clones the `Bytes` it keeps; the packed form copies them.
    pub fn set(&mut self, field: &Bytes, value: &Bytes, limits: Limits) -> bool {
        if field.len() > limits.value || value.len() > limits.value {
            self.convert();
        }
        let new = match &mut self.0 {
            Repr::Packed(p) => match find(p, field) {
                Some((_, v, end)) => {
                    let value_start = v.start - (end - v.end);
                    p.splice(value_start..end, 1, &[value]);
                    false
                }
                None => {
                    p.insert(p.len(), &[field, value]);
                    true
                }
            },
            Repr::Table(t) => t.insert(field.clone(), value.clone()).is_none(),
        };
        if self.len() > limits.entries {
            self.convert();
        }
        new
    }

    /// Removes `field`, returning its value. A listpack keeps the other
    /// fields' order; a hash table does not need to.
    pub fn remove(&mut self, field: &[u8]) -> Option<Bytes> {
        match &mut self.0 {
            Repr::Packed(p) => {
                let (start, v, end) = find(p, field)?;
                let value = Bytes::copy_from_slice(p.slice(v));
                p.splice(start..end, 2, &[]);
                Some(value)
            }
            Repr::Table(t) => t.swap_remove(field),
        }
    }
}

/// The pairs of a [`Hash`], in its order.
pub(crate) enum Iter<'a> {
    Packed(packed::Iter<'a>),
    Table(indexmap::map::Iter<'a, Bytes, Bytes>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(it) => Some((it.next()?, it.next()?)),
            Iter::Table(it) => it.next().map(|(f, v)| (&f[..], &v[..])),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Iter::Packed(it) => it.len() / 2,
            Iter::Table(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A hash's pairs by position (see [`Hash::indexed`]).
pub(crate) enum Indexed<'a> {
    Pairs(Vec<(&'a [u8], &'a [u8])>),
    Table(&'a Table),
}

impl<'a> Indexed<'a> {
    /// The pair at position `i`.
    pub fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            Indexed::Pairs(v) => v.get(i).copied(),
            Indexed::Table(t) => t.get_index(i).map(|(f, v)| (&f[..], &v[..])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn keys(h: &Hash) -> Vec<&str> {
        h.keys().map(|k| std::str::from_utf8(k).unwrap()).collect()
    }

    #[test]
    fn listpack_keeps_insertion_order() {
        let lim = Limits::default();
        let mut h = Hash::new();
        for f in ["c", "a", "d", "b"] {
            assert!(h.set(&b(f), &b("1"), lim));
        }
        assert_eq!(keys(&h), ["c", "a", "d", "b"]);
        assert!(
            !h.set(&b("a"), &b("2"), lim),
            "an update is not a new field"
        );
        assert_eq!(keys(&h), ["c", "a", "d", "b"]);
        assert_eq!(h.remove(b"a"), Some(b("2")));
        assert_eq!(h.remove(b"a"), None);
        assert_eq!(keys(&h), ["c", "d", "b"]);
        h.set(&b("a"), &b("3"), lim);
        assert_eq!(keys(&h), ["c", "d", "b", "a"]);
        assert_eq!(h.get(b"a"), Some(&b"3"[..]));
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn conversion_thresholds_and_one_way() {
        let lim = Limits::default();
        let mut h = Hash::new();
        h.set(&b("f"), &Bytes::from(vec![b'x'; 64]), lim);
        assert_eq!(h.encoding(), "listpack");
        h.set(&b("g"), &Bytes::from(vec![b'x'; 65]), lim);
        assert_eq!(h.encoding(), "hashtable");
        h.remove(b"g");
        assert_eq!(h.encoding(), "hashtable", "Redis never converts back");

        let mut h = Hash::new();
        h.set(&Bytes::from(vec![b'f'; 65]), &b("v"), lim);
        assert_eq!(h.encoding(), "hashtable", "a long field converts too");

        let two = Limits {
            entries: 2,
            value: 64,
        };
        let mut h = Hash::new();
        h.set(&b("a"), &b("1"), two);
        h.set(&b("b"), &b("1"), two);
        assert!(h.is_listpack());
        h.set(&b("c"), &b("1"), two);
        assert!(!h.is_listpack());
        h.remove(b"c");
        h.remove(b"b");
        assert!(!h.is_listpack());
        assert_eq!(keys(&h), ["a"]);
    }

    #[test]
    fn lowered_limits_apply_at_the_next_write() {
        let mut h = Hash::new();
        h.set(&b("a"), &b("1"), Limits::default());
        h.set(&b("b"), &b("2"), Limits::default());
        let one = Limits {
            entries: 1,
            value: 64,
        };
        assert!(h.is_listpack(), "nothing written yet");
        h.set(&b("a"), &b("3"), one);
        assert!(
            !h.is_listpack(),
            "an update re-checks the size, as hashTypeSet"
        );
    }

    #[test]
    fn restored_hashes() {
        let lim = Limits {
            entries: 3,
            value: 4,
        };
        let pairs = |n: usize, v: &str| {
            (0..n)
                .map(|i| (Bytes::from(format!("f{i}")), b(v)))
                .collect::<Vec<_>>()
        };
        let h = Hash::from_pairs(pairs(3, "v"), lim, true);
        assert!(h.is_listpack());
        assert_eq!(keys(&h), ["f0", "f1", "f2"]);
        assert!(!Hash::from_pairs(pairs(4, "v"), lim, true).is_listpack());
        assert!(!Hash::from_pairs(pairs(4, "v"), lim, false).is_listpack());
        assert!(!Hash::from_pairs(pairs(2, "long!"), lim, true).is_listpack());
        assert!(Hash::from_pairs(pairs(2, "long!"), lim, false).is_listpack());
    }

    #[test]
    fn empty_and_binary_fields() {
        let lim = Limits::default();
        let mut h = Hash::new();
        assert!(h.set(&b(""), &b(""), lim));
        assert!(h.set(&Bytes::from_static(b"\0\xff\r\n"), &b("bin"), lim));
        assert!(h.set(&b("x"), &Bytes::from_static(b"\0"), lim));
        assert_eq!(h.get(b""), Some(&b""[..]));
        assert_eq!(h.get(b"\0\xff\r\n"), Some(&b"bin"[..]));
        assert_eq!(h.get(b"\0"), None, "a value is not a field");
        assert!(!h.contains_key(b"bin"));
        assert_eq!(h.len(), 3);
        assert!(!h.set(&b(""), &b("now set"), lim));
        assert_eq!(h.get_bytes(b""), Some(b("now set")));
        assert_eq!(
            h.keys().collect::<Vec<_>>(),
            [&b""[..], b"\0\xff\r\n", b"x"],
            "an update keeps the field's place"
        );
        assert_eq!(h.remove(b"\0\xff\r\n"), Some(b("bin")));
        assert_eq!(
            h.iter_bytes().collect::<Vec<_>>(),
            [(b(""), b("now set")), (b("x"), Bytes::from_static(b"\0"))]
        );
        assert_eq!(h.indexed().get(1), Some((&b"x"[..], &b"\0"[..])));
        assert_eq!(h.indexed().get(2), None);
    }

    #[test]
    fn equality_ignores_order_not_encoding() {
        let lim = Limits::default();
        let pairs = [("a", "1"), ("b", "2")].map(|(f, v)| (b(f), b(v)));
        let ab = Hash::from_pairs(pairs.clone(), lim, true);
        let ba = Hash::from_pairs(pairs.iter().rev().cloned(), lim, true);
        assert_eq!(ab, ba);
        let one = Limits {
            entries: 1,
            value: 64,
        };
        let table = Hash::from_pairs(pairs, one, true);
        assert!(!table.is_listpack());
        assert_ne!(ab, table, "the encoding is part of the value");
        assert_eq!(table.get(b"b"), Some(&b"2"[..]));
        assert_eq!(table.get_bytes(b"a"), Some(b("1")));
    }

    mod model {
        use indexmap::IndexMap;
        use proptest::prelude::*;

        use super::super::*;

        /// The hash as it was before the packed form: an `IndexMap` and the
        /// encoding flag (the reference the packed form is checked against).
        #[derive(Default)]
        struct Model {
            map: IndexMap<Bytes, Bytes>,
            hashtable: bool,
        }

        impl Model {
            fn set(&mut self, f: Bytes, v: Bytes, limits: Limits) -> bool {
                if f.len() > limits.value || v.len() > limits.value {
                    self.hashtable = true;
                }
                let new = self.map.insert(f, v).is_none();
                if self.map.len() > limits.entries {
                    self.hashtable = true;
                }
                new
            }

            fn remove(&mut self, f: &[u8]) -> Option<Bytes> {
                if self.hashtable {
                    self.map.swap_remove(f)
                } else {
                    self.map.shift_remove(f)
                }
            }
        }

        fn text() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                4 => prop::collection::vec(prop::sample::select(vec![b'a', b'b', 0, 0xff]), 0..3),
                1 => prop::collection::vec(any::<u8>(), 5..12),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Same replies, same order (insertion order while packed), same
            /// conversion point as the plain `IndexMap` hash.
            #[test]
            fn packed_and_plain_agree(
                entries in 1usize..10,
                value in 3usize..10,
                ops in prop::collection::vec((any::<bool>(), text(), text()), 0..80),
            ) {
                let limits = Limits { entries, value };
                let mut hash = Hash::new();
                let mut model = Model::default();
                for (set, f, v) in ops {
                    if set {
                        let (f, v) = (Bytes::from(f.clone()), Bytes::from(v));
                        prop_assert_eq!(hash.set(&f, &v, limits), model.set(f, v, limits));
                    } else {
                        prop_assert_eq!(hash.remove(&f), model.remove(&f));
                    }
                    prop_assert_eq!(hash.is_listpack(), !model.hashtable);
                    prop_assert_eq!(hash.len(), model.map.len());
                    prop_assert!(hash.iter().eq(model.map.iter().map(|(f, v)| (&f[..], &v[..]))));
                    prop_assert!(hash.iter_bytes().eq(model.map.iter().map(|(f, v)| (f.clone(), v.clone()))));
                    prop_assert_eq!(hash.get(&f), model.map.get(&f[..]).map(|v| &v[..]));
                    prop_assert_eq!(hash.contains_key(&f), model.map.contains_key(&f[..]));
                }
                let restored = Hash::from_pairs(hash.iter_bytes(), limits, true);
                prop_assert!(restored.iter().eq(hash.iter()));
            }
        }
    }
}
