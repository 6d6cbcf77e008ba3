//! [`Str`], a string value as the keyspace stores it: small strings in
//! place, longer ones in a shared [`Bytes`].
//!
//! Most string values are short (counters, flags, ids): a `Bytes` for an
//! 8-byte value is a 32-byte handle plus a 32-byte heap block (glibc's
//! smallest chunk), where `Str` keeps up to [`Str::INLINE`] bytes inside
//! its own 32 bytes (`docs/BENCHMARKS.md`, "Small string values inline").
//! Longer strings stay a `Bytes`, so GET of a large value still hands out a
//! cheap clone and in-place writes (APPEND, SETRANGE, SETBIT) still reuse
//! the buffer ([`writable`]).
//!
//! Where a string is kept (inline or shared) is storage only: `OBJECT
//! ENCODING`'s `int`/`embstr`/`raw` follows its own rules
//! ([`super::StrEncoding`]).

use bytes::{Bytes, BytesMut};

/// Up to `N` bytes kept in place: the short form of [`Str`] and of the
/// keyspace's `Key`.
#[derive(Clone, Copy)]
pub(crate) struct Inline<const N: usize> {
    len: u8,
    buf: [u8; N],
}

impl<const N: usize> Inline<N> {
    /// A copy of `bytes`, when they fit.
    pub fn new(bytes: &[u8]) -> Option<Inline<N>> {
        (bytes.len() <= N).then(|| {
            let mut buf = [0; N];
            buf[..bytes.len()].copy_from_slice(bytes);
            Inline {
                len: bytes.len() as u8,
                buf,
            }
        })
    }

    /// The bytes kept.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

/// A stored string: up to [`Str::INLINE`] bytes in place, a [`Bytes`]
/// beyond. No bigger than a `Bytes` (a test pins it), so [`super::Value`]
/// does not grow. Dereferences to its bytes; [`Str::to_bytes`] gives a
/// `Bytes` where a reply needs one.
#[derive(Clone)]
pub(crate) enum Str {
    /// Up to [`Str::INLINE`] bytes in place.
    Inline(Inline<{ Str::INLINE }>),
    /// A longer string (never one of [`Str::INLINE`] bytes or fewer).
    Shared(Bytes),
}

impl Str {
    /// The longest string stored in place. The `Bytes` handle's non-null
    /// vtable pointer is the enum's tag, so the inline variant has the
    /// other 24 bytes: a length byte and 23 bytes of text.
    pub const INLINE: usize = 23;

    /// A copy of `bytes`.
    pub fn copy_from_slice(bytes: &[u8]) -> Str {
        match Inline::new(bytes) {
            Some(inline) => Str::Inline(inline),
            None => Str::Shared(Bytes::copy_from_slice(bytes)),
        }
    }

    /// The decimal text of `n` (INCR's result), without an allocation.
    pub fn from_int(n: i64) -> Str {
        // At most 20 bytes ("-9223372036854775808"): always inline.
        Str::copy_from_slice(itoa::Buffer::new().format(n).as_bytes())
    }

    /// The string's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline(inline) => inline.as_bytes(),
            Str::Shared(b) => b,
        }
    }

    /// The string as a `Bytes`, for a reply or an argument: a copy of an
    /// inline string, a cheap clone of a shared one.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Str::Inline(_) => Bytes::copy_from_slice(self.as_bytes()),
            Str::Shared(b) => b.clone(),
        }
    }

    /// The bytes in `range` as a `Bytes` (GETRANGE): a copy of an inline
    /// string's, a slice of a shared one's buffer.
    pub fn slice(&self, range: impl std::ops::RangeBounds<usize>) -> Bytes {
        match self {
            Str::Inline(_) => {
                let bytes = self.as_bytes();
                let range = (range.start_bound().cloned(), range.end_bound().cloned());
                Bytes::copy_from_slice(&bytes[range])
            }
            Str::Shared(b) => b.slice(range),
        }
    }

    /// The string as a `Bytes`, without a copy when it is shared.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Str::Inline(_) => Bytes::copy_from_slice(self.as_bytes()),
            Str::Shared(b) => b,
        }
    }

    /// Whether the string is stored in place.
    #[cfg(test)]
    pub fn is_inline(&self) -> bool {
        matches!(self, Str::Inline(_))
    }
}

impl Default for Str {
    fn default() -> Str {
        Str::copy_from_slice(b"")
    }
}

/// Small strings move in place (the `Bytes` is dropped), longer ones are
/// kept as they are (no copy).
impl From<Bytes> for Str {
    fn from(b: Bytes) -> Str {
        match Inline::new(&b) {
            Some(inline) => Str::Inline(inline),
            None => Str::Shared(b),
        }
    }
}

/// An argument stored as a value: a small one is copied in place, a longer
/// one shared (no copy of its bytes).
impl From<&Bytes> for Str {
    fn from(b: &Bytes) -> Str {
        match Inline::new(b) {
            Some(inline) => Str::Inline(inline),
            None => Str::Shared(b.clone()),
        }
    }
}

impl From<BytesMut> for Str {
    fn from(b: BytesMut) -> Str {
        Str::from(b.freeze())
    }
}

impl From<Vec<u8>> for Str {
    fn from(v: Vec<u8>) -> Str {
        Str::from(Bytes::from(v))
    }
}

impl From<&[u8]> for Str {
    fn from(b: &[u8]) -> Str {
        Str::copy_from_slice(b)
    }
}

impl From<Str> for Bytes {
    fn from(s: Str) -> Bytes {
        s.into_bytes()
    }
}

impl std::ops::Deref for Str {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Str {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

// Equality is the bytes', wherever they are kept.
impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Str {}

impl PartialEq<[u8]> for Str {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<Bytes> for Str {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_bytes() == other.as_ref()
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As a `Bytes` prints: b"..." with escapes.
        match self {
            Str::Inline(_) => write!(f, "{:?}", Bytes::copy_from_slice(self.as_bytes())),
            Str::Shared(b) => write!(f, "{b:?}"),
        }
    }
}

/// Takes a stored string out for an in-place write (APPEND, SETRANGE,
/// SETBIT, BITFIELD), leaving an empty string behind: the buffer itself
/// when it is shared by nothing else (no copy, so a write costs what it
/// changes, not the string's length), a copy when it is inline or shared
/// (a reply not yet written, a request buffer it was sliced from). Put the
/// result back with `Str::from`, which does not copy a long string either
/// (a short one moves in place); GET keeps handing out cheap `Bytes`
/// clones of long strings.
pub(crate) fn writable(s: &mut Str) -> BytesMut {
    match std::mem::take(s) {
        Str::Inline(inline) => BytesMut::from(inline.as_bytes()),
        Str::Shared(b) => b
            .try_into_mut()
            .unwrap_or_else(|shared| BytesMut::from(&shared[..])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_bigger_than_bytes() {
        assert_eq!(std::mem::size_of::<Str>(), std::mem::size_of::<Bytes>());
    }

    #[test]
    fn inline_up_to_the_limit_shared_beyond() {
        for len in [0, 1, Str::INLINE - 1, Str::INLINE, Str::INLINE + 1, 300] {
            let text: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let inline = len <= Str::INLINE;
            for s in [
                Str::copy_from_slice(&text),
                Str::from(Bytes::from(text.clone())),
                Str::from(BytesMut::from(&text[..])),
                Str::from(text.clone()),
            ] {
                assert_eq!(s.is_inline(), inline, "len {len}");
                assert_eq!(s.as_bytes(), &text[..]);
                assert_eq!(&s.to_bytes()[..], &text[..]);
                assert_eq!(&s.clone().into_bytes()[..], &text[..]);
                assert_eq!(s, Bytes::from(text.clone()));
                assert_eq!(s.len(), len);
            }
        }
        assert_eq!(Str::default().as_bytes(), b"");
    }

    #[test]
    fn integers_inline() {
        for n in [0, 1, -1, 42, i64::MAX, i64::MIN] {
            let s = Str::from_int(n);
            assert!(s.is_inline());
            assert_eq!(s.as_bytes(), n.to_string().as_bytes());
        }
    }

    #[test]
    fn slices_alike_inline_and_shared() {
        for len in [5, 100] {
            let text: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let s = Str::from(text.clone());
            assert_eq!(&s.slice(1..=3)[..], &text[1..=3]);
            assert_eq!(&s.slice(..)[..], &text[..]);
            assert_eq!(&s.slice(2..)[..], &text[2..]);
        }
    }

    #[test]
    fn a_shared_string_hands_out_the_same_buffer() {
        let long = Bytes::from(vec![7u8; 100]);
        let s = Str::from(long.clone());
        assert_eq!(s.to_bytes().as_ptr(), long.as_ptr());
        assert_eq!(s.into_bytes().as_ptr(), long.as_ptr());
    }

    #[test]
    fn writable_reuses_an_unshared_buffer_and_copies_otherwise() {
        let mut s = Str::from(vec![1u8; 100]);
        let ptr = s.as_ptr();
        let mut buf = writable(&mut s);
        assert_eq!(s.as_bytes(), b"", "an empty string is left behind");
        assert_eq!(buf.as_ptr(), ptr, "no copy of an unshared buffer");
        buf.extend_from_slice(b"x");
        let s = Str::from(buf);
        assert_eq!(s.len(), 101);

        let held = s.to_bytes();
        let mut s2 = s.clone();
        let buf = writable(&mut s2);
        assert_ne!(buf.as_ptr(), held.as_ptr(), "a shared buffer is copied");
        assert_eq!(&buf[..], &held[..]);

        let mut small = Str::copy_from_slice(b"abc");
        let mut buf = writable(&mut small);
        buf.extend_from_slice(b"def");
        assert_eq!(Str::from(buf), Bytes::from_static(b"abcdef"));
    }

    #[test]
    fn debug_prints_like_bytes() {
        assert_eq!(
            format!("{:?}", Str::copy_from_slice(b"a\n")),
            format!("{:?}", Bytes::from_static(b"a\n"))
        );
    }
}
