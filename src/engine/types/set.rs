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

use crate::protocol::string2ll;

/// A set's members: a hash table with positions (`indexmap`), so SSCAN
/// cursors and random picks are positions. Remove with `swap_remove`
/// (O(1); what SSCAN's guarantee assumes), never by sorting or inserting
/// at a position.
pub(crate) type Members = IndexSet<Bytes, rustc_hash::FxBuildHasher>;

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
        let mut v: Vec<(i64, &Bytes)> =
            set.iter().map(|m| (string2ll(m).unwrap_or(0), m)).collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, m)| m.clone()).collect()
    } else {
        set.iter().cloned().collect()
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
}
