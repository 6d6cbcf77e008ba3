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

use bytes::Bytes;
use indexmap::IndexMap;

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

/// A hash value: field → value with O(1) lookup, plus the encoding Redis
/// would be using for it.
///
/// While listpack-encoded the fields iterate in insertion order, as
/// Redis's listpack does: removing a field keeps the others' order and
/// setting an existing field keeps its position. [`Hash::set`] converts the
/// hash to `hashtable` when Redis's `hashTypeSet` would (a field or value
/// longer than [`Limits::value`], more fields than [`Limits::entries`]);
/// the conversion is one way, as in Redis. A `hashtable` hash iterates in
/// an unspecified order (Redis's is its dict's hash order).
///
/// ```ignore
/// let mut h = Hash::new();
/// h.set("b".into(), "1".into(), Limits::default());
/// h.set("a".into(), "2".into(), Limits::default());
/// assert_eq!(h.keys().collect::<Vec<_>>(), ["b", "a"]);
/// assert_eq!(h.encoding(), "listpack");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Hash {
    map: IndexMap<Bytes, Bytes>,
    hashtable: bool,
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
        for (f, v) in pairs {
            if check_lengths {
                hash.set(f, v, limits);
            } else {
                hash.map.insert(f, v);
            }
        }
        if hash.map.len() > limits.entries {
            hash.hashtable = true;
        }
        hash
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the hash has no fields (the keyspace never keeps one).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        self.map.get(field)
    }

    /// Whether `field` exists.
    pub fn contains_key(&self, field: &[u8]) -> bool {
        self.map.contains_key(field)
    }

    /// `(field, value)` pairs, in insertion order while listpack-encoded.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Bytes, &Bytes)> {
        self.map.iter()
    }

    /// The fields, in [`Hash::iter`] order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Bytes> {
        self.map.keys()
    }

    /// The values, in [`Hash::iter`] order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Bytes> {
        self.map.values()
    }

    /// The pair at position `i` of [`Hash::iter`]'s order.
    pub fn get_index(&self, i: usize) -> Option<(&Bytes, &Bytes)> {
        self.map.get_index(i)
    }

    /// Whether Redis would hold this hash as a listpack.
    pub fn is_listpack(&self) -> bool {
        !self.hashtable
    }

    /// The name `OBJECT ENCODING` reports: `listpack` or `hashtable`.
    pub fn encoding(&self) -> &'static str {
        if self.hashtable {
            "hashtable"
        } else {
            "listpack"
        }
    }

    /// Sets `field` to `value` (a new field goes last, an existing one
    /// keeps its position); returns whether the field is new. Converts to
    /// `hashtable` as Redis's `hashTypeSet` does: before the write when the
    /// field or value is longer than `limits.value`, after it when the hash
    /// holds more than `limits.entries` fields.
    pub fn set(&mut self, field: Bytes, value: Bytes, limits: Limits) -> bool {
        if field.len() > limits.value || value.len() > limits.value {
            self.hashtable = true;
        }
        let new = self.map.insert(field, value).is_none();
        if self.map.len() > limits.entries {
            self.hashtable = true;
        }
        new
    }

    /// Removes `field`, returning its value. A listpack keeps the other
    /// fields' order; a hash table does not need to.
    pub fn remove(&mut self, field: &[u8]) -> Option<Bytes> {
        if self.hashtable {
            self.map.swap_remove(field)
        } else {
            self.map.shift_remove(field)
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
            assert!(h.set(b(f), b("1"), lim));
        }
        assert_eq!(keys(&h), ["c", "a", "d", "b"]);
        assert!(!h.set(b("a"), b("2"), lim), "an update is not a new field");
        assert_eq!(keys(&h), ["c", "a", "d", "b"]);
        assert_eq!(h.remove(b"a"), Some(b("2")));
        assert_eq!(h.remove(b"a"), None);
        assert_eq!(keys(&h), ["c", "d", "b"]);
        h.set(b("a"), b("3"), lim);
        assert_eq!(keys(&h), ["c", "d", "b", "a"]);
        assert_eq!(h.get(b"a"), Some(&b("3")));
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn conversion_thresholds_and_one_way() {
        let lim = Limits::default();
        let mut h = Hash::new();
        h.set(b("f"), Bytes::from(vec![b'x'; 64]), lim);
        assert_eq!(h.encoding(), "listpack");
        h.set(b("g"), Bytes::from(vec![b'x'; 65]), lim);
        assert_eq!(h.encoding(), "hashtable");
        h.remove(b"g");
        assert_eq!(h.encoding(), "hashtable", "Redis never converts back");

        let mut h = Hash::new();
        h.set(Bytes::from(vec![b'f'; 65]), b("v"), lim);
        assert_eq!(h.encoding(), "hashtable", "a long field converts too");

        let two = Limits {
            entries: 2,
            value: 64,
        };
        let mut h = Hash::new();
        h.set(b("a"), b("1"), two);
        h.set(b("b"), b("1"), two);
        assert!(h.is_listpack());
        h.set(b("c"), b("1"), two);
        assert!(!h.is_listpack());
        h.remove(b"c");
        h.remove(b"b");
        assert!(!h.is_listpack());
        assert_eq!(keys(&h), ["a"]);
    }

    #[test]
    fn lowered_limits_apply_at_the_next_write() {
        let mut h = Hash::new();
        h.set(b("a"), b("1"), Limits::default());
        h.set(b("b"), b("2"), Limits::default());
        let one = Limits {
            entries: 1,
            value: 64,
        };
        assert!(h.is_listpack(), "nothing written yet");
        h.set(b("a"), b("3"), one);
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
}
