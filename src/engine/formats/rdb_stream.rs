//! Streams in the RDB format (DUMP / RESTORE): Redis 7.0's
//! `RDB_TYPE_STREAM_LISTPACKS_2` (19), and loading of the 5.0–6.2 form
//! `RDB_TYPE_STREAM_LISTPACKS` (15).
//!
//! The payload is the node count, then per node its 16-byte big-endian
//! master ID and its listpack (the master entry `count deleted numfields
//! fields... 0`, then per entry `flags ms-delta seq-delta [numfields
//! fields...] values... lp-count`), then the length, last ID, first ID,
//! largest deleted ID and entries added, then the consumer groups with
//! their PELs and consumers. The framing (type byte, version, CRC) is in
//! `rdb.rs`.

use bytes::{BufMut, BytesMut};

use super::rdb::{Reader, listpack_entries, put_len, put_rdb_string};
use crate::engine::types::stream::{Consumer, Group, INVALID_ENTRIES_READ, Nack, Stream, StreamId};
use crate::protocol::string2ll;
use bytes::Bytes;

/// `RDB_TYPE_STREAM_LISTPACKS`.
pub(super) const TYPE_STREAM_LISTPACKS: u8 = 15;
/// `RDB_TYPE_STREAM_LISTPACKS_2`.
pub(super) const TYPE_STREAM_LISTPACKS_2: u8 = 19;

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// RDB length encoding of a 64-bit value.
fn put_len64(out: &mut BytesMut, n: u64) {
    if n <= u32::MAX as u64 {
        put_len(out, n as usize);
    } else {
        out.put_u8(0x81);
        out.put_u64(n);
    }
}

/// A listpack being built.
struct Listpack {
    body: Vec<u8>,
    count: usize,
}

impl Listpack {
    fn new() -> Listpack {
        Listpack {
            body: Vec::new(),
            count: 0,
        }
    }

    fn backlen(&mut self, l: usize) {
        let mut b = [0u8; 5];
        let n = if l <= 127 {
            b[0] = l as u8;
            1
        } else if l < 16383 {
            b[0] = (l >> 7) as u8;
            b[1] = ((l & 127) | 128) as u8;
            2
        } else if l < 2_097_151 {
            b[0] = (l >> 14) as u8;
            b[1] = (((l >> 7) & 127) | 128) as u8;
            b[2] = ((l & 127) | 128) as u8;
            3
        } else if l < 268_435_455 {
            b[0] = (l >> 21) as u8;
            b[1] = (((l >> 14) & 127) | 128) as u8;
            b[2] = (((l >> 7) & 127) | 128) as u8;
            b[3] = ((l & 127) | 128) as u8;
            4
        } else {
            b[0] = (l >> 28) as u8;
            b[1] = (((l >> 21) & 127) | 128) as u8;
            b[2] = (((l >> 14) & 127) | 128) as u8;
            b[3] = (((l >> 7) & 127) | 128) as u8;
            b[4] = ((l & 127) | 128) as u8;
            5
        };
        self.body.extend_from_slice(&b[..n]);
    }

    fn int(&mut self, v: i64) {
        let start = self.body.len();
        if (0..=127).contains(&v) {
            self.body.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            self.body.push(0xc0 | (u >> 8) as u8);
            self.body.push(u as u8);
        } else if (-32768..=32767).contains(&v) {
            self.body.push(0xf1);
            self.body.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            self.body.push(0xf2);
            self.body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            self.body.push(0xf3);
            self.body.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.body.push(0xf4);
            self.body.extend_from_slice(&v.to_le_bytes());
        }
        let l = self.body.len() - start;
        self.backlen(l);
        self.count += 1;
    }

    fn string(&mut self, s: &[u8]) {
        if s.len() <= 20 {
            if let Some(v) = string2ll(s) {
                self.int(v);
                return;
            }
        }
        let start = self.body.len();
        let len = s.len();
        if len < 64 {
            self.body.push(0x80 | len as u8);
        } else if len < 4096 {
            self.body.push(0xe0 | (len >> 8) as u8);
            self.body.push(len as u8);
        } else {
            self.body.push(0xf0);
            self.body.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.body.extend_from_slice(s);
        let l = self.body.len() - start;
        self.backlen(l);
        self.count += 1;
    }

    fn finish(self) -> Vec<u8> {
        let total = self.body.len() + 7;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(self.count.min(65535) as u16).to_le_bytes());
        out.extend_from_slice(&self.body);
        out.push(0xff);
        out
    }
}

/// Writes a stream's type byte and body (Redis 7.0's format).
pub(super) fn put_stream(out: &mut BytesMut, s: &Stream) {
    out.put_u8(TYPE_STREAM_LISTPACKS_2);
    put_len(out, s.node_count());
    for (master, node) in s.nodes() {
        put_len(out, 16);
        out.put_slice(&master.to_be_bytes());
        let mut lp = Listpack::new();
        lp.int(node.live() as i64);
        lp.int(node.deleted() as i64);
        lp.int(node.master_fields().len() as i64);
        for f in node.master_fields() {
            lp.string(f);
        }
        lp.int(0);
        for (deleted, same, id, pairs) in node.raw_entries(master) {
            let mut flags = 0;
            if deleted {
                flags |= FLAG_DELETED;
            }
            if same {
                flags |= FLAG_SAMEFIELDS;
            }
            lp.int(flags);
            lp.int((id.ms - master.ms) as i64);
            lp.int(id.seq.wrapping_sub(master.seq) as i64);
            let n = pairs.len() / 2;
            if !same {
                lp.int(n as i64);
            }
            for (i, item) in pairs.iter().enumerate() {
                if same && i % 2 == 0 {
                    continue;
                }
                lp.string(item);
            }
            lp.int(n as i64 + 3 + if same { 0 } else { n as i64 + 1 });
        }
        let bytes = lp.finish();
        put_len(out, bytes.len());
        out.put_slice(&bytes);
    }
    put_len64(out, s.len());
    put_len64(out, s.last_id.ms);
    put_len64(out, s.last_id.seq);
    put_len64(out, s.first_id.ms);
    put_len64(out, s.first_id.seq);
    put_len64(out, s.max_deleted_id.ms);
    put_len64(out, s.max_deleted_id.seq);
    put_len64(out, s.entries_added);
    put_len(out, s.groups.len());
    for (name, g) in &s.groups {
        put_rdb_string(out, name);
        put_len64(out, g.last_id.ms);
        put_len64(out, g.last_id.seq);
        put_len64(out, g.entries_read as u64);
        put_len(out, g.pel.len());
        for (id, nack) in &g.pel {
            out.put_slice(&id.to_be_bytes());
            out.put_i64_le(nack.delivery_time);
            put_len64(out, nack.delivery_count);
        }
        put_len(out, g.consumers.len());
        for (cname, c) in &g.consumers {
            put_rdb_string(out, cname);
            out.put_i64_le(c.seen_time);
            put_len(out, c.pel.len());
            for id in &c.pel {
                out.put_slice(&id.to_be_bytes());
            }
        }
    }
}

fn len64(r: &mut Reader<'_>) -> Option<u64> {
    let first = *r.0.first()?;
    if first == 0x81 {
        r.u8()?;
        return Some(u64::from_be_bytes(r.take(8)?.try_into().ok()?));
    }
    r.plain_len().map(|n| n as u64)
}

fn lp_int(b: &Bytes) -> Option<i64> {
    string2ll(b)
}

fn raw_id(r: &mut Reader<'_>) -> Option<StreamId> {
    StreamId::from_be_bytes(r.take(16)?)
}

/// Reads a stream body (after the type byte `kind`); `None` when the
/// payload is malformed or inconsistent.
pub(super) fn load_stream(r: &mut Reader<'_>, kind: u8) -> Option<Stream> {
    let v2 = kind == TYPE_STREAM_LISTPACKS_2;
    let mut s = Stream::new();
    let nodes = r.plain_len()?;
    let mut prev_last: Option<StreamId> = None;
    for _ in 0..nodes {
        let key = r.rdb_string()?;
        let master = StreamId::from_be_bytes(&key)?;
        let lp = r.rdb_string()?;
        let items = listpack_entries(&lp)?;
        let mut it = items.iter();
        let live = lp_int(it.next()?)?;
        let deleted = lp_int(it.next()?)?;
        let nfields = usize::try_from(lp_int(it.next()?)?).ok()?;
        let mut master_fields = Vec::with_capacity(nfields.min(1024));
        for _ in 0..nfields {
            master_fields.push(it.next()?.clone());
        }
        if lp_int(it.next()?)? != 0 {
            return None;
        }
        let mut entries = Vec::new();
        let (mut seen_live, mut seen_deleted) = (0i64, 0i64);
        while let Some(flags) = it.next() {
            let flags = lp_int(flags)?;
            let ms = master
                .ms
                .checked_add(u64::try_from(lp_int(it.next()?)?).ok()?)?;
            let seq = master.seq.wrapping_add(lp_int(it.next()?)? as u64);
            let id = StreamId::new(ms, seq);
            if id < master {
                return None;
            }
            prev_last = prev_last.max(Some(id));
            let mut pairs = Vec::new();
            if flags & FLAG_SAMEFIELDS != 0 {
                for f in &master_fields {
                    pairs.push(f.clone());
                    pairs.push(it.next()?.clone());
                }
            } else {
                let n = usize::try_from(lp_int(it.next()?)?).ok()?;
                for _ in 0..n * 2 {
                    pairs.push(it.next()?.clone());
                }
            }
            it.next()?; // lp-count
            let is_deleted = flags & FLAG_DELETED != 0;
            if is_deleted {
                seen_deleted += 1;
            } else {
                seen_live += 1;
            }
            entries.push((id, is_deleted, pairs));
        }
        if seen_live != live || seen_deleted != deleted || live == 0 {
            return None;
        }
        s.load_node(master, &master_fields, &entries);
    }
    let length = len64(r)?;
    if length != s.len() {
        return None;
    }
    s.last_id = StreamId::new(len64(r)?, len64(r)?);
    if prev_last.is_some_and(|p| p > s.last_id) {
        return None;
    }
    if v2 {
        s.first_id = StreamId::new(len64(r)?, len64(r)?);
        s.max_deleted_id = StreamId::new(len64(r)?, len64(r)?);
        s.entries_added = len64(r)?;
    } else {
        s.refresh_first_id();
        s.entries_added = s.len();
    }
    let groups = r.plain_len()?;
    for _ in 0..groups {
        let name = r.rdb_string()?;
        let last_id = StreamId::new(len64(r)?, len64(r)?);
        let entries_read = if v2 {
            len64(r)? as i64
        } else {
            s.estimate_distance(last_id)
        };
        let mut g = Group::new(last_id, entries_read.max(INVALID_ENTRIES_READ));
        let pel = r.plain_len()?;
        for _ in 0..pel {
            let id = raw_id(r)?;
            let delivery_time = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
            let delivery_count = len64(r)?;
            g.pel.insert(
                id,
                Nack {
                    consumer: Bytes::new(),
                    delivery_time,
                    delivery_count,
                },
            );
        }
        let consumers = r.plain_len()?;
        let mut owned = 0;
        for _ in 0..consumers {
            let cname = r.rdb_string()?;
            let seen_time = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
            let mut c = Consumer {
                seen_time,
                pel: Default::default(),
            };
            let n = r.plain_len()?;
            for _ in 0..n {
                let id = raw_id(r)?;
                let nack = g.pel.get_mut(&id)?;
                nack.consumer = cname.clone();
                if !c.pel.insert(id) {
                    return None;
                }
                owned += 1;
            }
            if g.consumers.insert(cname, c).is_some() {
                return None;
            }
        }
        // Every pending entry must have an owner.
        if owned != g.pel.len() {
            return None;
        }
        if s.groups.insert(name, g).is_some() {
            return None;
        }
    }
    Some(s)
}
