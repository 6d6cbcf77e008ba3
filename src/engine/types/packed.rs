//! [`Packed`]: a run of byte strings in one byte vector, the small encoding
//! hashes and lists use while Redis would keep them in a listpack.
//!
//! Each element is stored as `len data backlen`: `len` is the data's
//! length as a LEB128 varint (one byte up to 127), `backlen` the same
//! varint with its bytes reversed, so the run can be walked from either
//! end (as Redis's listpack does with its back-lengths). A 10-element
//! collection of 8-byte strings takes 100 bytes in one allocation, where a
//! `VecDeque<Bytes>` takes a 320-byte buffer plus one heap block per
//! element.
//!
//! Every operation is linear in the run's size at worst (a lookup walks it,
//! an insertion or a removal moves the bytes after it); the owners keep a
//! run within Redis's listpack limits and convert to their big structure
//! beyond, so that cost stays bounded as Redis's does.

use std::ops::Range;

use bytes::Bytes;

/// A packed run of byte strings (see the module docs for the layout).
///
/// ```ignore
/// let mut p = Packed::default();
/// p.push_back(b"b");
/// p.push_front(b"a");
/// assert_eq!(p.iter().collect::<Vec<_>>(), [&b"a"[..], b"b"]);
/// assert_eq!(p.pop_back().as_deref(), Some(&b"b"[..]));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Packed {
    buf: Vec<u8>,
    count: usize,
}

/// Bytes of the varint for `n`.
fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    (bits.max(1) as usize).div_ceil(7)
}

/// Bytes an element of `len` data bytes takes in the run.
pub(crate) fn element_size(len: usize) -> usize {
    len + 2 * varint_len(len)
}

/// Writes the encoded element `data` at the start of `out` (which holds
/// at least [`element_size`] bytes); returns its size.
fn encode_into(out: &mut [u8], data: &[u8]) -> usize {
    let mut n = data.len();
    let mut head = 0;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out[head] = byte;
            head += 1;
            break;
        }
        out[head] = byte | 0x80;
        head += 1;
    }
    out[head..head + data.len()].copy_from_slice(data);
    let tail = head + data.len();
    for i in 0..head {
        out[tail + i] = out[head - 1 - i];
    }
    tail + head
}

/// The element starting at `pos`: its data range and where the next
/// element starts.
fn read_forward(buf: &[u8], pos: usize) -> (Range<usize>, usize) {
    let (mut n, mut shift, mut i) = (0usize, 0u32, pos);
    loop {
        let byte = buf[i];
        i += 1;
        n |= ((byte & 0x7f) as usize) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    let head = i - pos;
    (i..i + n, i + n + head)
}

/// The element ending at `end`: where it starts and its data range.
fn read_backward(buf: &[u8], end: usize) -> (usize, Range<usize>) {
    let (mut n, mut shift, mut i) = (0usize, 0u32, end);
    loop {
        i -= 1;
        let byte = buf[i];
        n |= ((byte & 0x7f) as usize) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    let tail = end - i;
    let data_end = i;
    let data_start = data_end - n;
    (data_start - tail, data_start..data_end)
}

impl Packed {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the run holds no element.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes the encoded run takes (what the limits are checked against).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// The elements, first to last (and back, with `rev`).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: 0,
            back: self.buf.len(),
            left: self.count,
        }
    }

    /// The elements with their byte spans: `(element start, data, element end)`.
    pub(crate) fn spans(&self) -> Spans<'_> {
        Spans {
            buf: &self.buf,
            pos: 0,
        }
    }

    /// The data of the element spanning `data`.
    pub(crate) fn slice(&self, data: Range<usize>) -> &[u8] {
        &self.buf[data]
    }

    /// The byte offset where element `index` starts (the run's end for
    /// `index == len`), walking from the nearer end.
    fn offset_of(&self, index: usize) -> usize {
        debug_assert!(index <= self.count);
        if index <= self.count / 2 {
            let mut pos = 0;
            for _ in 0..index {
                pos = read_forward(&self.buf, pos).1;
            }
            pos
        } else {
            let mut pos = self.buf.len();
            for _ in index..self.count {
                pos = read_backward(&self.buf, pos).0;
            }
            pos
        }
    }

    /// The element at `index`.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.count {
            return None;
        }
        let at = self.offset_of(index);
        Some(&self.buf[read_forward(&self.buf, at).0])
    }

    /// Replaces the bytes `range` of the run with the encoded `elements`;
    /// `removed` is how many elements `range` held. Grows the buffer by a
    /// quarter at least (amortised pushes, little slack on small runs) and
    /// gives back memory once it is less than half used.
    pub(crate) fn splice(&mut self, range: Range<usize>, removed: usize, elements: &[&[u8]]) {
        let added: usize = elements.iter().map(|e| element_size(e.len())).sum();
        let new_len = self.buf.len() - range.len() + added;
        if new_len > self.buf.capacity() {
            let want = new_len.max(self.buf.capacity() + self.buf.capacity() / 4);
            self.buf.reserve_exact(want - self.buf.len());
        }
        // The tail moves once, then the elements are encoded in place.
        let old_len = self.buf.len();
        let at = range.start;
        if new_len > old_len {
            self.buf.resize(new_len, 0);
            self.buf.copy_within(range.end..old_len, at + added);
        } else {
            self.buf.copy_within(range.end..old_len, at + added);
            self.buf.truncate(new_len);
        }
        let mut pos = at;
        for e in elements {
            pos += encode_into(&mut self.buf[pos..], e);
        }
        self.count = self.count - removed + elements.len();
        if self.buf.capacity() > 64 && self.buf.len() < self.buf.capacity() / 2 {
            self.buf.shrink_to(self.buf.len() + self.buf.len() / 4);
        }
    }

    /// Inserts `elements` before element `index` (`len` appends).
    pub fn insert(&mut self, index: usize, elements: &[&[u8]]) {
        let at = self.offset_of(index);
        self.splice(at..at, 0, elements);
    }

    /// Appends `data`.
    pub fn push_back(&mut self, data: &[u8]) {
        let end = self.buf.len();
        self.splice(end..end, 0, &[data]);
    }

    /// Prepends `data`.
    pub fn push_front(&mut self, data: &[u8]) {
        self.splice(0..0, 0, &[data]);
    }

    /// Removes and returns the first element.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        if self.is_empty() {
            return None;
        }
        let (data, end) = read_forward(&self.buf, 0);
        let out = Bytes::copy_from_slice(&self.buf[data]);
        self.splice(0..end, 1, &[]);
        Some(out)
    }

    /// Removes and returns the last element.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        if self.count == 0 {
            return None;
        }
        let (start, data) = read_backward(&self.buf, self.buf.len());
        let out = Bytes::copy_from_slice(&self.buf[data]);
        self.splice(start..self.buf.len(), 1, &[]);
        Some(out)
    }

    /// Removes the elements `range` (by index).
    pub fn remove_range(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let start = self.offset_of(range.start);
        let mut end = start;
        for _ in range.clone() {
            end = read_forward(&self.buf, end).1;
        }
        self.splice(start..end, range.len(), &[]);
    }

    /// Replaces element `index` with `data`.
    pub fn set(&mut self, index: usize, data: &[u8]) {
        let start = self.offset_of(index);
        let end = read_forward(&self.buf, start).1;
        self.splice(start..end, 1, &[data]);
    }

    /// Keeps only the elements `keep` accepts, in one pass.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let mut out = Vec::with_capacity(self.buf.len());
        let mut count = 0;
        for (start, data, end) in self.spans() {
            if keep(&self.buf[data]) {
                out.extend_from_slice(&self.buf[start..end]);
                count += 1;
            }
        }
        if count != self.count {
            out.shrink_to(out.len() + out.len() / 4);
            self.buf = out;
            self.count = count;
        }
    }
}

/// The elements of a [`Packed`] run, from either end.
#[derive(Clone)]
pub(crate) struct Iter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let (data, next) = read_forward(self.buf, self.front);
        self.front = next;
        self.left -= 1;
        Some(&self.buf[data])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let (start, data) = read_backward(self.buf, self.back);
        self.back = start;
        self.left -= 1;
        Some(&self.buf[data])
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The elements of a [`Packed`] run with their byte spans.
pub(crate) struct Spans<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Iterator for Spans<'_> {
    type Item = (usize, Range<usize>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let (data, end) = read_forward(self.buf, start);
        self.pos = end;
        Some((start, data, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(p: &Packed) -> Vec<Vec<u8>> {
        p.iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn varints_at_their_boundaries() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let data = vec![0x80u8; len];
            let mut p = Packed::default();
            p.push_back(b"x");
            p.push_back(&data);
            p.push_back(b"");
            assert_eq!(
                p.bytes(),
                element_size(1) + element_size(len) + element_size(0)
            );
            assert_eq!(p.len(), 3);
            assert_eq!(collect(&p), [b"x".to_vec(), data.clone(), Vec::new()]);
            let back: Vec<&[u8]> = p.iter().rev().collect();
            assert_eq!(back, [&b""[..], &data[..], b"x"]);
            assert_eq!(p.get(1), Some(&data[..]));
            assert_eq!(p.pop_back().as_deref(), Some(&b""[..]));
            assert_eq!(p.pop_back().as_deref(), Some(&data[..]));
            assert_eq!(p.pop_front().as_deref(), Some(&b"x"[..]));
            assert!(p.is_empty() && p.bytes() == 0);
        }
    }

    #[test]
    fn edits_in_the_middle() {
        let mut p = Packed::default();
        for e in [&b"a"[..], b"b", b"c", b"d"] {
            p.push_back(e);
        }
        p.insert(2, &[b"x", b"\0\r\n"]);
        assert_eq!(
            collect(&p),
            [&b"a"[..], b"b", b"x", b"\0\r\n", b"c", b"d"].map(<[u8]>::to_vec)
        );
        p.set(3, b"");
        p.set(0, &[7u8; 200]);
        assert_eq!(p.get(3), Some(&b""[..]));
        assert_eq!(p.get(0), Some(&[7u8; 200][..]));
        assert_eq!(p.get(6), None);
        p.remove_range(1..3);
        assert_eq!(
            collect(&p),
            [&[7u8; 200][..], b"", b"c", b"d"].map(<[u8]>::to_vec)
        );
        p.retain(|e| e != b"c");
        assert_eq!(p.len(), 3);
        assert_eq!(p.iter().rev().nth(1), Some(&b""[..]));
        let mut rebuilt = Packed::default();
        for e in p.iter() {
            rebuilt.push_back(e);
        }
        assert_eq!(rebuilt, p, "one encoding per sequence");
    }
}
