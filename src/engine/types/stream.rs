//! The stream value: entries ordered by [`StreamId`], grouped into nodes the
//! way Redis 7.0 groups them into listpacks in a radix tree, plus the
//! consumer groups with their pending-entries lists.
//!
//! # Representation
//!
//! A [`Stream`] is a `BTreeMap` from a node's master ID (the ID of the first
//! entry ever appended to it) to a [`Node`]. A node keeps its entries packed
//! in one byte buffer (flags, ID deltas, and either the values alone when the
//! entry has the node's master fields, or its own fields and values), with
//! an offset table for binary search and reverse iteration. Deleted entries
//! stay in their node, flagged, as Redis's tombstones do, until the whole
//! node goes (the last live entry deleted, or trimmed away).
//!
//! Node boundaries follow Redis exactly, because approximate trimming
//! (`MAXLEN ~`, `MINID ~`) removes whole nodes only: a node tracks the size
//! its Redis listpack would have ([`Node::lp_bytes`], computed with the
//! listpack's element encodings), and [`Stream::append`] starts a new node
//! when `lp_bytes + new fields and values >= stream-node-max-bytes` or the
//! node holds `stream-node-max-entries` entries (live and deleted), as
//! Redis 7.0's `streamAppendItem` decides.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bytes::Bytes;

use crate::protocol::string2ll;

/// A stream entry ID, `<ms>-<seq>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An ID.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// Whether this is `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::ZERO
    }

    /// The next ID (Redis's `streamIncrID`); `None` past the largest.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (Redis's `streamDecrID`); `None` before `0-0`.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// The `<ms>-<seq>` text.
    pub fn to_bytes(self) -> Bytes {
        let mut buf = [0u8; ID_TEXT_MAX];
        let n = self.write_text(&mut buf);
        Bytes::copy_from_slice(&buf[..n])
    }

    /// Writes the `<ms>-<seq>` text at the start of `out`; its length.
    pub fn write_text(self, out: &mut [u8; ID_TEXT_MAX]) -> usize {
        let mut ms = itoa::Buffer::new();
        let mut seq = itoa::Buffer::new();
        let (ms, seq) = (
            ms.format(self.ms).as_bytes(),
            seq.format(self.seq).as_bytes(),
        );
        out[..ms.len()].copy_from_slice(ms);
        out[ms.len()] = b'-';
        out[ms.len() + 1..ms.len() + 1 + seq.len()].copy_from_slice(seq);
        ms.len() + 1 + seq.len()
    }

    /// The 128-bit big-endian form Redis keys its radix trees with.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    /// The inverse of [`StreamId::to_be_bytes`].
    pub fn from_be_bytes(b: &[u8]) -> Option<StreamId> {
        if b.len() != 16 {
            return None;
        }
        let ms = u64::from_be_bytes(b[..8].try_into().ok()?);
        let seq = u64::from_be_bytes(b[8..].try_into().ok()?);
        Some(StreamId::new(ms, seq))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Writes IDs as text, reusing the `<ms>-` part while consecutive IDs
/// share their milliseconds (as entries added in the same millisecond do).
#[derive(Default)]
pub(crate) struct IdWriter {
    /// The `<ms>-` text of `ms` in its first `len` bytes (none before the
    /// first ID).
    prefix: [u8; 21],
    len: usize,
    ms: u64,
}

impl IdWriter {
    /// Appends the `<ms>-<seq>` text of `id` to `out`.
    pub fn append(&mut self, id: StreamId, out: &mut Vec<u8>) {
        if self.len == 0 || self.ms != id.ms {
            let mut ms = itoa::Buffer::new();
            let ms = ms.format(id.ms).as_bytes();
            self.prefix[..ms.len()].copy_from_slice(ms);
            self.prefix[ms.len()] = b'-';
            self.len = ms.len() + 1;
            self.ms = id.ms;
        }
        out.extend_from_slice(&self.prefix[..self.len]);
        out.extend_from_slice(itoa::Buffer::new().format(id.seq).as_bytes());
    }
}

/// The longest `<ms>-<seq>` text: two 20-digit numbers and the dash.
pub(crate) const ID_TEXT_MAX: usize = 41;

/// An entry as read: its ID and its fields and values, interleaved.
pub(crate) type StreamEntry = (StreamId, Vec<Bytes>);

/// The node limits `stream-node-max-bytes` and `stream-node-max-entries`
/// set (0: no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeLimits {
    pub max_bytes: u64,
    pub max_entries: u64,
}

impl Default for NodeLimits {
    fn default() -> NodeLimits {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

/// Redis's `STREAM_LISTPACK_MAX_SIZE`.
pub(crate) const LISTPACK_MAX_SIZE: u64 = 1 << 30;

// --- Listpack sizes ------------------------------------------------------

/// The bytes a listpack element takes for the integer `v` (encoding, data
/// and the one-byte back length).
pub(crate) fn lp_int_size(v: i64) -> usize {
    let enc = if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        4
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        5
    } else {
        9
    };
    enc + 1
}

/// The bytes a listpack element takes for the string `s` (stored as an
/// integer when it reads as one, as `lpEncodeGetType` decides).
pub(crate) fn lp_str_size(s: &[u8]) -> usize {
    if s.len() <= 20 {
        if let Some(v) = string2ll(s) {
            return lp_int_size(v);
        }
    }
    let len = s.len();
    let enc = if len < 64 {
        1 + len
    } else if len < 4096 {
        2 + len
    } else {
        5 + len
    };
    let backlen = if enc <= 127 {
        1
    } else if enc < 16383 {
        2
    } else if enc < 2_097_151 {
        3
    } else if enc < 268_435_455 {
        4
    } else {
        5
    };
    enc + backlen
}

// --- Varints for the node buffer ----------------------------------------

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

const FLAG_DELETED: u8 = 1;
const FLAG_SAMEFIELDS: u8 = 2;

/// One node: what Redis keeps in one listpack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// The master entry's fields (those of the first entry appended).
    master_fields: Box<[Bytes]>,
    /// Entries, packed: flags byte, ms delta and seq (varints), then for
    /// entries without the master fields the field count and the fields
    /// and values, otherwise the values alone (each length-prefixed).
    data: Vec<u8>,
    /// Where each entry starts in `data`.
    offsets: Vec<u32>,
    /// Live entries.
    live: u32,
    /// Entries flagged deleted.
    deleted: u32,
    /// The listpack's bytes, except the two count elements.
    body: u32,
    /// Whether IDs grow along the node (always, unless XSETID moved the
    /// last ID below a tombstone of this node).
    sorted: bool,
    /// The ID of the last entry appended (deleted or not; `0-0` while
    /// empty).
    last: StreamId,
}

/// Where a live entry is, as [`Stream::range_with`] visits it.
#[derive(Clone, Copy)]
struct At {
    /// Its node's master ID.
    master: StreamId,
    /// Its index in the node.
    i: usize,
    /// Its flags.
    flags: u8,
    /// Where its fields start in the node's buffer.
    pos: usize,
}

/// The fields and values of one entry, interleaved, borrowed from its node
/// (see [`Stream::range_visit`]).
pub(crate) struct EntryItems<'a> {
    data: &'a [u8],
    master_fields: &'a [Bytes],
    /// Where the next stored item is.
    pos: usize,
    /// The index of the next item.
    next: usize,
    /// Items in all.
    len: usize,
    /// Whether the entry has the master fields (only its values stored).
    same: bool,
}

impl<'a> Iterator for EntryItems<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.next == self.len {
            return None;
        }
        let k = self.next;
        self.next += 1;
        if self.same && k % 2 == 0 {
            return Some(&self.master_fields[k / 2]);
        }
        let len = get_varint(self.data, &mut self.pos) as usize;
        let item = &self.data[self.pos..self.pos + len];
        self.pos += len;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for EntryItems<'_> {}

impl Node {
    /// The master ID a node is keyed by is known to the caller; entries
    /// store their ms offset from it.
    fn new(fields: &[Bytes]) -> Node {
        let master_fields: Box<[Bytes]> = fields.to_vec().into_boxed_slice();
        let body = 6
            + 1
            + lp_int_size(master_fields.len() as i64)
            + master_fields.iter().map(|f| lp_str_size(f)).sum::<usize>()
            + lp_int_size(0);
        Node {
            master_fields,
            data: Vec::new(),
            offsets: Vec::new(),
            live: 0,
            deleted: 0,
            body: body as u32,
            sorted: true,
            last: StreamId::ZERO,
        }
    }

    /// The size of Redis's listpack for this node.
    pub fn lp_bytes(&self) -> u64 {
        self.body as u64
            + lp_int_size(self.live as i64) as u64
            + lp_int_size(self.deleted as i64) as u64
    }

    /// Live entries.
    pub fn live(&self) -> u64 {
        self.live as u64
    }

    /// Entries flagged deleted.
    pub fn deleted(&self) -> u64 {
        self.deleted as u64
    }

    /// Entries, live and deleted.
    pub fn total(&self) -> usize {
        self.offsets.len()
    }

    /// The master entry's fields.
    pub fn master_fields(&self) -> &[Bytes] {
        &self.master_fields
    }

    fn push(&mut self, master: StreamId, id: StreamId, pairs: &[Bytes]) {
        let n = pairs.len() / 2;
        let same = n == self.master_fields.len()
            && pairs
                .iter()
                .step_by(2)
                .zip(self.master_fields.iter())
                .all(|(a, b)| a == b);
        let flags = if same { FLAG_SAMEFIELDS } else { 0 };
        if self.sorted && !self.offsets.is_empty() && self.last >= id {
            self.sorted = false;
        }
        self.last = id;
        self.offsets.push(self.data.len() as u32);
        self.data.push(flags);
        let ms_delta = id.ms - master.ms;
        put_varint(&mut self.data, ms_delta);
        put_varint(&mut self.data, id.seq);
        let mut size = lp_int_size(flags as i64)
            + lp_int_size(ms_delta as i64)
            + lp_int_size(id.seq.wrapping_sub(master.seq) as i64);
        if !same {
            put_varint(&mut self.data, n as u64);
            size += lp_int_size(n as i64);
        }
        for (i, item) in pairs.iter().enumerate() {
            if same && i % 2 == 0 {
                continue;
            }
            put_varint(&mut self.data, item.len() as u64);
            self.data.extend_from_slice(item);
            size += lp_str_size(item);
        }
        let lp_count = n as i64 + 3 + if same { 0 } else { n as i64 + 1 };
        size += lp_int_size(lp_count);
        self.body += size as u32;
        self.live += 1;
    }

    /// Flags and ID of entry `i`, and where its fields start.
    fn head(&self, master: StreamId, i: usize) -> (u8, StreamId, usize) {
        let mut pos = self.offsets[i] as usize;
        let flags = self.data[pos];
        pos += 1;
        let ms = get_varint(&self.data, &mut pos);
        let seq = get_varint(&self.data, &mut pos);
        (flags, StreamId::new(master.ms + ms, seq), pos)
    }

    /// ID of entry `i`.
    fn id_at(&self, master: StreamId, i: usize) -> StreamId {
        self.head(master, i).1
    }

    /// Whether entry `i` is flagged deleted.
    fn is_deleted(&self, i: usize) -> bool {
        self.data[self.offsets[i] as usize] & FLAG_DELETED != 0
    }

    /// The fields and values of the entry with `flags` whose fields start
    /// at `pos`, borrowed.
    fn items(&self, flags: u8, mut pos: usize) -> EntryItems<'_> {
        let same = flags & FLAG_SAMEFIELDS != 0;
        let len = if same {
            self.master_fields.len() * 2
        } else {
            get_varint(&self.data, &mut pos) as usize * 2
        };
        EntryItems {
            data: &self.data,
            master_fields: &self.master_fields,
            pos,
            next: 0,
            len,
            same,
        }
    }

    /// The fields and values of entry `i`, interleaved.
    fn fields_at(&self, master: StreamId, i: usize) -> Vec<Bytes> {
        let (flags, _, mut pos) = self.head(master, i);
        let read = |pos: &mut usize| {
            let len = get_varint(&self.data, pos) as usize;
            let b = Bytes::copy_from_slice(&self.data[*pos..*pos + len]);
            *pos += len;
            b
        };
        if flags & FLAG_SAMEFIELDS != 0 {
            let mut out = Vec::with_capacity(self.master_fields.len() * 2);
            for f in self.master_fields.iter() {
                out.push(f.clone());
                out.push(read(&mut pos));
            }
            out
        } else {
            let n = get_varint(&self.data, &mut pos) as usize;
            (0..n * 2).map(|_| read(&mut pos)).collect()
        }
    }

    /// Flags entry `i` deleted (it was live).
    fn mark_deleted(&mut self, i: usize) {
        let pos = self.offsets[i] as usize;
        self.data[pos] |= FLAG_DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// The index of the first entry with an ID `>= id`.
    fn lower_bound(&self, master: StreamId, id: StreamId) -> usize {
        let (mut lo, mut hi) = (0, self.offsets.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.id_at(master, mid) < id {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The ID of the node's last entry (deleted or not).
    fn last_id(&self) -> StreamId {
        self.last
    }

    /// Every entry, deleted ones included, for serialization: whether it
    /// is deleted, whether it has the master fields, its ID, and its fields
    /// and values interleaved.
    pub fn raw_entries(&self, master: StreamId) -> Vec<(bool, bool, StreamId, Vec<Bytes>)> {
        (0..self.total())
            .map(|i| {
                let (flags, id, _) = self.head(master, i);
                (
                    flags & FLAG_DELETED != 0,
                    flags & FLAG_SAMEFIELDS != 0,
                    id,
                    self.fields_at(master, i),
                )
            })
            .collect()
    }

    /// Heap bytes, roughly.
    fn memory(&self) -> usize {
        self.data.capacity()
            + self.offsets.capacity() * 4
            + self
                .master_fields
                .iter()
                .map(|f| f.len() + 32)
                .sum::<usize>()
            + 64
    }
}

/// A pending entry: delivered to a consumer, not acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Nack {
    /// The consumer that owns it.
    pub consumer: Bytes,
    /// Last delivery, Unix ms (engine clock).
    pub delivery_time: i64,
    /// Deliveries so far.
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Consumer {
    /// Last interaction, Unix ms (engine clock).
    pub seen_time: i64,
    /// The IDs it owns in the group's PEL.
    pub pel: BTreeSet<StreamId>,
}

/// Redis's `SCG_INVALID_ENTRIES_READ`.
pub(crate) const INVALID_ENTRIES_READ: i64 = -1;

/// A consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    /// The last ID delivered to the group.
    pub last_id: StreamId,
    /// The logical read counter (`entries-read`), or
    /// [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    /// Pending entries, by ID.
    pub pel: BTreeMap<StreamId, Nack>,
    /// Consumers, by name (Redis keeps them in a radix tree: byte order).
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    /// A group whose last delivered ID is `last_id`.
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// The consumer `name`, created (seen now) when missing; whether it
    /// was created.
    pub fn consumer_or_create(&mut self, name: &Bytes, now: i64) -> (&mut Consumer, bool) {
        let mut created = false;
        let c = self.consumers.entry(name.clone()).or_insert_with(|| {
            created = true;
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            }
        });
        (c, created)
    }
}

/// A stream.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    /// Live entries.
    length: u64,
    /// The last ID ever added (or set by XSETID).
    pub last_id: StreamId,
    /// The first live entry's ID (`0-0` when empty).
    pub first_id: StreamId,
    /// The largest ID XDEL removed.
    pub max_deleted_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups, by name (byte order, as Redis's radix tree).
    pub groups: BTreeMap<Bytes, Group>,
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Live entries.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether no live entry is left.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of nodes (`radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes, by master ID.
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &Node)> + '_ {
        self.nodes.iter().map(|(k, v)| (*k, v))
    }

    /// Appends an entry with ID `id` (greater than [`Stream::last_id`]; the
    /// caller checked) and the interleaved `pairs`, starting a new node
    /// where Redis would.
    pub fn append(&mut self, id: StreamId, pairs: &[Bytes], limits: NodeLimits) {
        let max_bytes = if limits.max_bytes == 0 || limits.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            limits.max_bytes
        };
        let totelelen: u64 = pairs.iter().map(|p| p.len() as u64).sum();
        match self.nodes.last_entry() {
            Some(mut last)
                if !(last.get().lp_bytes() + totelelen >= max_bytes
                    || (limits.max_entries != 0
                        && last.get().total() as u64 >= limits.max_entries)) =>
            {
                let master = *last.key();
                last.get_mut().push(master, id, pairs);
            }
            last => {
                // The tail node is complete: give back its growth slack.
                if let Some(mut last) = last {
                    let last = last.get_mut();
                    last.data.shrink_to_fit();
                    last.offsets.shrink_to_fit();
                }
                let fields: Vec<Bytes> = pairs.iter().step_by(2).cloned().collect();
                let mut node = Node::new(&fields);
                node.push(id, id, pairs);
                self.nodes.insert(id, node);
            }
        }
        if self.length == 0 {
            self.first_id = id;
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
    }

    /// Appends a whole node as loaded (RESTORE): `entries` in ID order,
    /// each with its deleted flag.
    pub fn load_node(
        &mut self,
        master: StreamId,
        master_fields: &[Bytes],
        entries: &[(StreamId, bool, Vec<Bytes>)],
    ) {
        let mut node = Node::new(master_fields);
        for (id, deleted, pairs) in entries {
            node.push(master, *id, pairs);
            if *deleted {
                let last = node.total() - 1;
                node.mark_deleted(last);
            }
        }
        self.length += node.live();
        self.nodes.insert(master, node);
    }

    /// The entries with IDs in `start..=end`, at most `count` (0: all),
    /// oldest first or (`rev`) newest first.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        count: usize,
        rev: bool,
    ) -> Vec<StreamEntry> {
        let mut out = Vec::with_capacity(
            self.length.min(if count == 0 { 16 } else { count as u64 }) as usize,
        );
        self.range_with(start, end, rev, |id, node, at| {
            out.push((id, node.fields_at(at.master, at.i)));
            count == 0 || out.len() < count
        });
        out
    }

    /// Calls `f` with the ID and the fields and values (interleaved,
    /// borrowed) of each live entry with an ID in `start..=end`, at most
    /// `count` (0: all), oldest first or (`rev`) newest first, as
    /// [`Stream::range`] reads them, without copying them.
    pub fn range_visit(
        &self,
        start: StreamId,
        end: StreamId,
        count: usize,
        rev: bool,
        mut f: impl FnMut(StreamId, EntryItems<'_>),
    ) {
        let mut seen = 0;
        self.range_with(start, end, rev, |id, node, at| {
            f(id, node.items(at.flags, at.pos));
            seen += 1;
            count == 0 || seen < count
        });
    }

    /// Calls `f` for each live entry in `start..=end` in order until it
    /// returns false.
    fn range_with(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(StreamId, &Node, At) -> bool,
    ) {
        // Within a node, entries are visited as Redis's stream iterator
        // visits them: an entry outside the range on the near side is
        // skipped, the first live one beyond the far side ends the walk.
        // IDs in a node only go down after XSETID moved the last ID below
        // a tombstone; until then a binary search finds where to start.
        if !rev {
            let first = self
                .nodes
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(StreamId::ZERO);
            for (&master, node) in self.nodes.range(first..) {
                // Every entry of a node is at or above its master ID.
                let from = if node.sorted && start > master {
                    node.lower_bound(master, start)
                } else {
                    0
                };
                for i in from..node.total() {
                    let (flags, id, pos) = node.head(master, i);
                    if id < start || flags & FLAG_DELETED != 0 {
                        continue;
                    }
                    let at = At {
                        master,
                        i,
                        flags,
                        pos,
                    };
                    if id > end || !f(id, node, at) {
                        return;
                    }
                }
            }
        } else {
            for (&master, node) in self.nodes.range(..=end).rev() {
                let upto = match end.incr() {
                    Some(after) if node.sorted && end < node.last => {
                        node.lower_bound(master, after)
                    }
                    _ => node.total(),
                };
                for i in (0..upto).rev() {
                    let (flags, id, pos) = node.head(master, i);
                    if id > end || flags & FLAG_DELETED != 0 {
                        continue;
                    }
                    let at = At {
                        master,
                        i,
                        flags,
                        pos,
                    };
                    if id < start || !f(id, node, at) {
                        return;
                    }
                }
            }
        }
    }

    /// Where the live entry `id` is, found as Redis's iterator finds it.
    fn find(&self, id: StreamId) -> Option<(StreamId, usize)> {
        let mut found = None;
        self.range_with(id, id, false, |_, _, at| {
            found = Some((at.master, at.i));
            false
        });
        found
    }

    /// The entry with ID `id`, if live.
    pub fn get(&self, id: StreamId) -> Option<Vec<Bytes>> {
        let (master, i) = self.find(id)?;
        self.nodes
            .get(&master)
            .map(|node| node.fields_at(master, i))
    }

    /// Deletes the entry `id`; whether it was live. Updates
    /// `max_deleted_id` but not `first_id` (see [`Stream::refresh_first_id`]).
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((master, i)) = self.find(id) else {
            return false;
        };
        let Some(node) = self.nodes.get_mut(&master) else {
            return false;
        };
        if node.live == 1 {
            self.nodes.remove(&master);
        } else {
            node.mark_deleted(i);
        }
        self.length -= 1;
        if id > self.max_deleted_id {
            self.max_deleted_id = id;
        }
        true
    }

    /// The first (or last) live entry's ID, if any.
    pub fn edge_id(&self, first: bool) -> Option<StreamId> {
        let mut found = None;
        self.range_with(StreamId::ZERO, StreamId::MAX, !first, |id, _, _| {
            found = Some(id);
            false
        });
        found
    }

    /// Recomputes `first_id` (`0-0` when empty).
    pub fn refresh_first_id(&mut self) {
        self.first_id = if self.length == 0 {
            StreamId::ZERO
        } else {
            self.edge_id(true).unwrap_or(StreamId::ZERO)
        };
    }

    /// Redis 7.0's `streamTrim`: trims by length (`maxlen`) or by minimum ID
    /// (`minid`), whole nodes only when `approx`, at most `limit` entries
    /// (0: no limit). Returns how many entries went.
    pub fn trim(&mut self, strategy: Trim, approx: bool, limit: i64) -> i64 {
        let mut deleted: i64 = 0;
        let keys: Vec<StreamId> = self.nodes.keys().copied().collect();
        for master in keys {
            if let Trim::MaxLen(maxlen) = strategy {
                if self.length <= maxlen {
                    break;
                }
            }
            let Some(node) = self.nodes.get_mut(&master) else {
                continue;
            };
            let entries = node.live as i64;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match strategy {
                Trim::MaxLen(maxlen) => self.length - entries as u64 >= maxlen,
                Trim::MinId(min) => node.last_id() < min,
            };
            if remove_node {
                self.nodes.remove(&master);
                self.length -= entries as u64;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            for i in 0..node.total() {
                let stop = match strategy {
                    Trim::MaxLen(maxlen) => self.length <= maxlen,
                    Trim::MinId(min) => node.id_at(master, i) >= min,
                };
                if stop {
                    break;
                }
                if !node.is_deleted(i) {
                    node.mark_deleted(i);
                    self.length -= 1;
                    deleted += 1;
                }
            }
            break;
        }
        self.refresh_first_id();
        deleted
    }

    /// Redis's `streamRangeHasTombstones` from `start` to the end.
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// Redis's `streamEstimateDistanceFromFirstEverEntry`.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag, or `None` when it cannot be computed.
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.has_tombstones_from(g.last_id) {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| self.entries_added as i64 - read)
    }

    /// Heap bytes, roughly.
    pub fn memory(&self) -> usize {
        self.nodes.values().map(Node::memory).sum::<usize>()
            + self
                .groups
                .values()
                .map(|g| 64 + g.pel.len() * 64 + g.consumers.len() * 64)
                .sum::<usize>()
    }
}

/// A trimming strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries with smaller IDs.
    MinId(StreamId),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn listpack_sizes() {
        assert_eq!(lp_int_size(0), 2);
        assert_eq!(lp_int_size(127), 2);
        assert_eq!(lp_int_size(128), 3);
        assert_eq!(lp_int_size(-1), 3);
        assert_eq!(lp_int_size(i64::MAX), 10);
        assert_eq!(lp_str_size(b"abc"), 5);
        assert_eq!(lp_str_size(b"12"), 2);
        assert_eq!(lp_str_size(b"012"), 5);
        assert_eq!(lp_str_size(&[b'x'; 63]), 65);
        assert_eq!(lp_str_size(&[b'x'; 64]), 67);
        assert_eq!(lp_str_size(&[b'x'; 126]), 130);
    }

    #[test]
    fn nodes_split_by_count_and_ranges_read_back() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            s.append(
                StreamId::new(i, 0),
                &[b("f"), b(&i.to_string())],
                NodeLimits::default(),
            );
        }
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.len(), 250);
        let r = s.range(StreamId::new(99, 0), StreamId::new(102, 0), 0, false);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].1, vec![b("f"), b("99")]);
        let r = s.range(StreamId::ZERO, StreamId::MAX, 3, true);
        assert_eq!(r[0].0, StreamId::new(250, 0));
        assert!(s.delete(StreamId::new(100, 0)));
        assert!(!s.delete(StreamId::new(100, 0)));
        assert_eq!(s.get(StreamId::new(101, 0)), Some(vec![b("f"), b("101")]));
        assert_eq!(s.trim(Trim::MaxLen(120), true, 0), 99);
        assert_eq!(s.len(), 150);
        assert_eq!(s.first_id, StreamId::new(101, 0));
    }
}
