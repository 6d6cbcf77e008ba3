//! [`PackedArray`]: a long array of bulk strings (and scores) held in one
//! buffer, for replies whose length a client chooses (`SRANDMEMBER s
//! -5000000`), so such a reply costs about what Redis's output buffer
//! holds for it instead of one [`Reply`] per element.

use bytes::{BufMut, BytesMut};

use super::reply::{Protocol, Reply, format_double};

/// Replies of more picks than this are packed (fewer stay plain trees).
pub(crate) const PACK_OVER: u64 = 1024;

/// Most elements a packed array reserves room for up front (the rest grow
/// as they come: the allocation rule in `engine/mod.rs`).
const RESERVE_CAP: usize = 1 << 20;

/// How the elements of a [`PackedArray`] are laid out in the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `[item, item, ...]`.
    Bulks,
    /// `[[item, item], ...]`: items in twos (HRANDFIELD ... WITHVALUES on RESP3).
    BulkPairs,
    /// `[item, score, item, score, ...]` (ZRANDMEMBER ... WITHSCORES on RESP2).
    Scored,
    /// `[[item, score], ...]` (ZRANDMEMBER ... WITHSCORES on RESP3).
    ScoredPairs,
}

/// An array reply of bulk strings, optionally with a double after each,
/// stored as one byte buffer plus the end offset of each string (and the
/// scores): about 8 bytes per element on top of its text, where a
/// [`Reply::Array`] of [`Reply::Bulk`] costs 40 and more.
///
/// The engine answers with one ([`Reply::Packed`]) where a client's count
/// sets the reply's length: SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a
/// negative count of more than a thousand picks. It is written exactly as
/// the equivalent tree, [`PackedArray::to_reply`], in both protocols.
///
/// ```
/// use mock_redis::{Protocol, Reply};
/// # use mock_redis::protocol::PackedArray;
/// fn expand(reply: &Reply) -> Reply {
///     match reply {
///         Reply::Packed(p) => p.to_reply(),
///         other => other.clone(),
///     }
/// }
/// assert_eq!(expand(&Reply::int(1)), Reply::int(1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PackedArray {
    shape: Shape,
    data: Vec<u8>,
    ends: Vec<usize>,
    scores: Vec<f64>,
}

impl PackedArray {
    fn new(shape: Shape) -> PackedArray {
        PackedArray {
            shape,
            data: Vec::new(),
            ends: Vec::new(),
            scores: Vec::new(),
        }
    }

    /// An empty array of bulk strings.
    pub(crate) fn bulks() -> PackedArray {
        PackedArray::new(Shape::Bulks)
    }

    /// An empty array of `[field, value]` pairs in RESP3 (`pairs`), or of
    /// fields and values in turn.
    pub(crate) fn bulk_pairs(pairs: bool) -> PackedArray {
        PackedArray::new(if pairs {
            Shape::BulkPairs
        } else {
            Shape::Bulks
        })
    }

    /// An empty array of members with scores: `[member, score]` pairs in
    /// RESP3 (`pairs`), members and scores in turn otherwise.
    pub(crate) fn scored(pairs: bool) -> PackedArray {
        PackedArray::new(if pairs {
            Shape::ScoredPairs
        } else {
            Shape::Scored
        })
    }

    /// Reserves room for `n` more strings of `len` bytes each (at most
    /// for a million: past that, it grows as items come).
    pub(crate) fn reserve(&mut self, n: u64, len: usize) {
        let n = n.min(RESERVE_CAP as u64) as usize;
        self.ends.reserve(n);
        self.data
            .reserve(n.saturating_mul(len).min(RESERVE_CAP * 16));
        if !matches!(self.shape, Shape::Bulks | Shape::BulkPairs) {
            self.scores.reserve(n);
        }
    }

    /// Appends a string.
    pub(crate) fn push(&mut self, item: &[u8]) {
        self.data.extend_from_slice(item);
        self.ends.push(self.data.len());
    }

    /// Appends a member and its score (arrays made with [`PackedArray::scored`]).
    pub(crate) fn push_scored(&mut self, item: &[u8], score: f64) {
        self.push(item);
        self.scores.push(score);
    }

    /// The strings, in order.
    fn items(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let item = &self.data[start..end];
            start = end;
            item
        })
    }

    /// The number of elements of the top-level array.
    ///
    /// ```
    /// # use mock_redis::Reply;
    /// let n = match Reply::int(1) { Reply::Packed(p) => p.len(), _ => 0 };
    /// assert_eq!(n, 0);
    /// ```
    pub fn len(&self) -> usize {
        match self.shape {
            Shape::Bulks => self.ends.len(),
            Shape::BulkPairs => self.ends.len() / 2,
            Shape::Scored => self.ends.len() * 2,
            Shape::ScoredPairs => self.ends.len(),
        }
    }

    /// Whether the array is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The same reply as a tree of [`Reply`] values (what the engine
    /// answered before packing: bulk strings, and [`Reply::Double`] scores).
    pub fn to_reply(&self) -> Reply {
        let bulk = |b: &[u8]| Reply::Bulk(bytes::Bytes::copy_from_slice(b));
        let items = self.items();
        Reply::Array(match self.shape {
            Shape::Bulks => items.map(bulk).collect(),
            Shape::BulkPairs => {
                let v: Vec<&[u8]> = items.collect();
                v.chunks(2)
                    .map(|p| Reply::Array(p.iter().map(|b| bulk(b)).collect()))
                    .collect()
            }
            Shape::Scored => items
                .zip(&self.scores)
                .flat_map(|(m, s)| [bulk(m), Reply::Double(*s)])
                .collect(),
            Shape::ScoredPairs => items
                .zip(&self.scores)
                .map(|(m, s)| Reply::Array(vec![bulk(m), Reply::Double(*s)]))
                .collect(),
        })
    }

    /// Writes the array as [`Reply::encode`] writes [`PackedArray::to_reply`].
    pub(crate) fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        let resp3 = proto == Protocol::Resp3;
        header(out, b'*', self.len());
        let mut text = String::new();
        let mut score = |out: &mut BytesMut, s: f64| {
            text.clear();
            text.push_str(&format_double(s));
            if resp3 {
                out.reserve(text.len() + 3);
                out.put_u8(b',');
                out.put_slice(text.as_bytes());
                out.put_slice(b"\r\n");
            } else {
                bulk(out, text.as_bytes());
            }
        };
        match self.shape {
            Shape::Bulks => self.items().for_each(|b| bulk(out, b)),
            Shape::BulkPairs => {
                for (i, b) in self.items().enumerate() {
                    if i % 2 == 0 {
                        out.put_slice(b"*2\r\n");
                    }
                    bulk(out, b);
                }
            }
            Shape::Scored => {
                for (m, s) in self.items().zip(&self.scores) {
                    bulk(out, m);
                    score(out, *s);
                }
            }
            Shape::ScoredPairs => {
                for (m, s) in self.items().zip(&self.scores) {
                    out.put_slice(b"*2\r\n");
                    bulk(out, m);
                    score(out, *s);
                }
            }
        }
    }
}

fn header(out: &mut BytesMut, prefix: u8, n: usize) {
    let mut buf = itoa::Buffer::new();
    out.put_u8(prefix);
    out.put_slice(buf.format(n).as_bytes());
    out.put_slice(b"\r\n");
}

fn bulk(out: &mut BytesMut, body: &[u8]) {
    let mut buf = itoa::Buffer::new();
    let len = buf.format(body.len());
    out.reserve(body.len() + len.len() + 5);
    out.put_u8(b'$');
    out.put_slice(len.as_bytes());
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape writes the same bytes as its tree, in both protocols.
    #[test]
    fn packed_arrays_encode_as_their_trees() {
        let items: [&[u8]; 4] = [b"a", b"", b"member", b"\r\n"];
        let scores = [1.5, -0.0, f64::INFINITY, 3.0];
        let mut arrays = vec![PackedArray::bulks()];
        for pairs in [false, true] {
            arrays.push(PackedArray::bulk_pairs(pairs));
            arrays.push(PackedArray::scored(pairs));
        }
        for mut a in arrays {
            for (m, s) in items.iter().zip(scores) {
                if matches!(a.shape, Shape::Scored | Shape::ScoredPairs) {
                    a.push_scored(m, s);
                } else {
                    a.push(m);
                }
            }
            for proto in [Protocol::Resp2, Protocol::Resp3] {
                let tree = a.to_reply();
                let Reply::Array(ref v) = tree else {
                    panic!("an array")
                };
                assert_eq!(v.len(), a.len());
                assert_eq!(
                    Reply::Packed(a.clone()).to_bytes(proto),
                    tree.to_bytes(proto),
                    "{:?} {proto:?}",
                    a.shape
                );
            }
        }
        assert!(PackedArray::bulks().is_empty());
    }
}
