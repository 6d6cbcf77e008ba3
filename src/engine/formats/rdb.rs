//! DUMP / RESTORE payloads: Redis's RDB object encoding ([`serialize`],
//! [`verify_payload`], [`deserialize`]).
//!
//! A payload is a type byte, the value, a 2-byte RDB version (10, Redis
//! 7.0's) and the CRC-64 (Jones) of everything before it, so payloads move
//! between this engine and redis-server both ways. Strings are written as
//! Redis writes them (integer forms for short integers, LZF for long
//! strings that compress: `lzf.rs`). Aggregates are
//! written in the plain RDB forms (list, set, hash, zset-2), which Redis
//! loads; RESTORE also reads what Redis 7.0 writes (quicklist of
//! listpacks, intset, listpack hashes and sorted sets, and LZF-compressed
//! strings).

use crate::engine::types::list::{List, ListLimits};

use bytes::{BufMut, Bytes, BytesMut};

use crate::engine::types::Value;
use crate::engine::types::hash::{Hash, Limits};
use crate::engine::types::zset::ZSet;
use crate::engine::util::args::parse_strtod;
use crate::protocol::string2ll;

const RDB_VERSION: u16 = 10;
const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;

/// CRC-64 with the Jones polynomial, reflected, as Redis's `crc64`.
pub(super) fn crc64(data: &[u8]) -> u64 {
    static TABLE: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 reflected
        let mut t = [0u64; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u64;
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            }
            *slot = c;
        }
        t
    });
    let mut crc = 0u64;
    for &b in data {
        crc = table[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// RDB length encoding.
pub(super) fn put_len(out: &mut BytesMut, n: usize) {
    if n < 1 << 6 {
        out.put_u8(n as u8);
    } else if n < 1 << 14 {
        out.put_u8(0x40 | (n >> 8) as u8);
        out.put_u8(n as u8);
    } else if n <= u32::MAX as usize {
        out.put_u8(0x80);
        out.put_u32(n as u32);
    } else {
        out.put_u8(0x81);
        out.put_u64(n as u64);
    }
}

/// Redis's `rdbSaveRawString`: short integers in their integer forms,
/// strings over 20 bytes LZF-compressed when that saves space (as with
/// Redis's default `rdbcompression yes`), anything else as length and bytes.
pub(super) fn put_rdb_string(out: &mut BytesMut, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = string2ll(s) {
            if let Ok(v) = i8::try_from(v) {
                out.put_u8(0xc0);
                out.put_i8(v);
                return;
            }
            if let Ok(v) = i16::try_from(v) {
                out.put_u8(0xc1);
                out.put_i16_le(v);
                return;
            }
            if let Ok(v) = i32::try_from(v) {
                out.put_u8(0xc2);
                out.put_i32_le(v);
                return;
            }
        }
    }
    // Redis LZF-compresses longer strings when that saves 4 bytes or more.
    if s.len() > 20 {
        if let Some(packed) = super::lzf::compress(s, s.len() - 4) {
            out.put_u8(0xc3);
            put_len(out, packed.len());
            put_len(out, s.len());
            out.put_slice(&packed);
            return;
        }
    }
    put_len(out, s.len());
    out.put_slice(s);
}

pub(crate) fn serialize(value: &Value) -> Bytes {
    let mut out = BytesMut::new();
    match value {
        Value::String(s) => {
            out.put_u8(TYPE_STRING);
            put_rdb_string(&mut out, s);
        }
        Value::List(l) => {
            out.put_u8(TYPE_LIST);
            put_len(&mut out, l.len());
            l.iter().for_each(|e| put_rdb_string(&mut out, e));
        }
        Value::Set(s) => {
            out.put_u8(TYPE_SET);
            put_len(&mut out, s.len());
            s.iter().for_each(|e| put_rdb_string(&mut out, e));
        }
        Value::ZSet(z) => {
            out.put_u8(TYPE_ZSET_2);
            put_len(&mut out, z.len());
            for (m, s) in z.iter() {
                put_rdb_string(&mut out, m);
                out.put_f64_le(s);
            }
        }
        Value::Hash(h) => {
            out.put_u8(TYPE_HASH);
            put_len(&mut out, h.len());
            // In the hash's order, so a listpack hash restores (here or in
            // Redis, which loads a small plain hash as a listpack) in the
            // same field order.
            for (k, v) in h.iter() {
                put_rdb_string(&mut out, k);
                put_rdb_string(&mut out, v);
            }
        }
        Value::Stream(s) => super::rdb_stream::put_stream(&mut out, s),
    }
    out.put_u16_le(RDB_VERSION);
    let sum = crc64(&out);
    out.put_u64_le(sum);
    out.freeze()
}

/// `body` (a type byte and a value) closed as DUMP closes a payload: the
/// RDB version and the CRC-64 of everything before it (the fuzz targets
/// mutate bodies and let this make them pass the checksum).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn with_footer(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let sum = crc64(&p);
    p.extend_from_slice(&sum.to_le_bytes());
    p
}

/// `RDB_OPCODE_FUNCTION2`: one library's code in a FUNCTION DUMP payload.
#[cfg(feature = "scripting")]
const OPCODE_FUNCTION2: u8 = 245;

/// FUNCTION DUMP's payload: each library's code after the
/// `RDB_OPCODE_FUNCTION2` opcode, then the RDB version and the CRC.
#[cfg(feature = "scripting")]
pub(crate) fn serialize_functions<'a>(codes: impl IntoIterator<Item = &'a [u8]>) -> Bytes {
    let mut out = BytesMut::new();
    for code in codes {
        out.put_u8(OPCODE_FUNCTION2);
        put_rdb_string(&mut out, code);
    }
    out.put_u16_le(RDB_VERSION);
    let sum = crc64(&out);
    out.put_u64_le(sum);
    out.freeze()
}

/// The libraries' codes in a FUNCTION RESTORE payload (already checked
/// with [`verify_payload`]); `Err` with Redis's error for another opcode
/// or a truncated string.
#[cfg(feature = "scripting")]
pub(crate) fn deserialize_functions(p: &[u8]) -> Result<Vec<Bytes>, &'static str> {
    let mut r = Reader(&p[..p.len() - 10]);
    let mut out = Vec::new();
    while let Some(op) = r.u8() {
        if op != OPCODE_FUNCTION2 {
            return Err("ERR given type is not a function");
        }
        out.push(r.rdb_string().ok_or("ERR Failed loading library")?);
    }
    Ok(out)
}

/// Redis's `verifyDumpPayload`: a known RDB version and a matching CRC.
pub(crate) fn verify_payload(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let sum = u64::from_le_bytes(footer[2..].try_into().expect("8 bytes"));
    version <= RDB_VERSION && crc64(&p[..p.len() - 8]) == sum
}

pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl Reader<'_> {
    pub(super) fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    pub(super) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    /// An RDB length; `Err(kind)` for the special string encodings.
    pub(super) fn len(&mut self) -> Option<Result<usize, u8>> {
        let first = self.u8()?;
        Some(match first >> 6 {
            0 => Ok((first & 0x3f) as usize),
            1 => Ok((((first & 0x3f) as usize) << 8) | self.u8()? as usize),
            2 if first == 0x80 => Ok(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize),
            2 if first == 0x81 => {
                Ok(usize::try_from(u64::from_be_bytes(self.take(8)?.try_into().ok()?)).ok()?)
            }
            2 => return None,
            _ => Err(first & 0x3f),
        })
    }
    pub(super) fn plain_len(&mut self) -> Option<usize> {
        self.len()?.ok()
    }
    pub(super) fn rdb_string(&mut self) -> Option<Bytes> {
        match self.len()? {
            Ok(n) => self.take(n).map(Bytes::copy_from_slice),
            Err(0) => Some(Bytes::from((self.u8()? as i8).to_string())),
            Err(1) => Some(Bytes::from(
                i16::from_le_bytes(self.take(2)?.try_into().ok()?).to_string(),
            )),
            Err(2) => Some(Bytes::from(
                i32::from_le_bytes(self.take(4)?.try_into().ok()?).to_string(),
            )),
            Err(3) => {
                let clen = self.plain_len()?;
                let ulen = self.plain_len()?;
                let data = self.take(clen)?;
                lzf_decompress(data, ulen).map(Bytes::from)
            }
            Err(_) => None,
        }
    }
    /// A score of the old RDB_TYPE_ZSET: a length byte and the text, or
    /// 253/254/255 for nan/+inf/-inf.
    fn text_double(&mut self) -> Option<f64> {
        match self.u8()? {
            253 => None,
            254 => Some(f64::INFINITY),
            255 => Some(f64::NEG_INFINITY),
            n => parse_strtod(self.take(n as usize)?),
        }
    }
    fn f64(&mut self) -> Option<f64> {
        self.take(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

/// LZF decompression (the format Redis compresses long strings with).
fn lzf_decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // A back reference of 2 input bytes expands to at most 9 output bytes
    // and a short one (3 bytes) to 264: a declared length past that cannot
    // be met, so it is refused before anything is allocated for it.
    if out_len / 88 > input.len() {
        return None;
    }
    let mut out = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            out.extend_from_slice(input.get(i..i + run)?);
            i += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > out_len {
            return None;
        }
    }
    (out.len() == out_len).then_some(out)
}

/// The elements of a listpack, integers as their decimal text.
pub(super) fn listpack_entries(lp: &[u8]) -> Option<Vec<Bytes>> {
    if lp.len() < 7 || u32::from_le_bytes(lp[..4].try_into().ok()?) as usize != lp.len() {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = 6;
    loop {
        let b = *lp.get(pos)?;
        if b == 0xff {
            break;
        }
        let int = |v: i64| Some(Bytes::from(v.to_string()));
        let le = |n: usize| -> Option<i64> {
            let bytes = lp.get(pos + 1..pos + 1 + n)?;
            let mut v: u64 = 0;
            for (i, byte) in bytes.iter().enumerate() {
                v |= (*byte as u64) << (8 * i);
            }
            let shift = 64 - 8 * n as u32;
            Some(((v << shift) as i64) >> shift)
        };
        let (value, len) = if b & 0x80 == 0 {
            (int((b & 0x7f) as i64)?, 1)
        } else if b & 0xc0 == 0x80 {
            let n = (b & 0x3f) as usize;
            (Bytes::copy_from_slice(lp.get(pos + 1..pos + 1 + n)?), 1 + n)
        } else if b & 0xe0 == 0xc0 {
            let raw = (((b & 0x1f) as i64) << 8) | *lp.get(pos + 1)? as i64;
            (int((raw << 51) >> 51)?, 2)
        } else if b & 0xf0 == 0xe0 {
            let n = (((b & 0x0f) as usize) << 8) | *lp.get(pos + 1)? as usize;
            (Bytes::copy_from_slice(lp.get(pos + 2..pos + 2 + n)?), 2 + n)
        } else {
            match b {
                0xf0 => {
                    let n = u32::from_le_bytes(lp.get(pos + 1..pos + 5)?.try_into().ok()?) as usize;
                    (Bytes::copy_from_slice(lp.get(pos + 5..pos + 5 + n)?), 5 + n)
                }
                0xf1 => (int(le(2)?)?, 3),
                0xf2 => (int(le(3)?)?, 4),
                0xf3 => (int(le(4)?)?, 5),
                0xf4 => (int(le(8)?)?, 9),
                _ => return None,
            }
        };
        let backlen = match len {
            0..128 => 1,
            128..16384 => 2,
            16384..2097152 => 3,
            2097152..268435456 => 4,
            _ => 5,
        };
        out.push(value);
        pos += len + backlen;
    }
    Some(out)
}

/// The members of an intset.
fn intset_members(is: &[u8]) -> Option<Vec<Bytes>> {
    let width = u32::from_le_bytes(is.get(..4)?.try_into().ok()?) as usize;
    let count = u32::from_le_bytes(is.get(4..8)?.try_into().ok()?) as usize;
    if !matches!(width, 2 | 4 | 8) || is.len() != 8 + width * count {
        return None;
    }
    Some(
        is[8..]
            .chunks(width)
            .map(|c| {
                let v = match width {
                    2 => i16::from_le_bytes([c[0], c[1]]) as i64,
                    4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
                    _ => i64::from_le_bytes(c.try_into().expect("8 bytes")),
                };
                Bytes::from(v.to_string())
            })
            .collect(),
    )
}

/// A hash loaded in payload order. Redis 7.0's `rdbLoadObject` converts a
/// plain hash (RDB type 4) to a hash table for too many fields or a long
/// field or value, a listpack one only for too many fields.
fn pairs_to_hash(items: Vec<Bytes>, limits: Limits, check_lengths: bool) -> Option<Value> {
    if items.len() % 2 != 0 {
        return None;
    }
    let mut it = items.into_iter();
    let pairs = std::iter::from_fn(|| Some((it.next()?, it.next()?)));
    Some(Value::Hash(Hash::from_pairs(pairs, limits, check_lengths)))
}

/// Decodes a DUMP payload (already verified); `limits` are the hash
/// listpack thresholds a restored hash is checked against.
pub(crate) fn deserialize(p: &[u8], limits: Limits) -> Option<Value> {
    let mut r = Reader(&p[..p.len() - 10]);
    let value = match r.u8()? {
        TYPE_STRING => Value::String(r.rdb_string()?.into()),
        TYPE_LIST => {
            let n = r.plain_len()?;
            let mut l = List::new();
            for _ in 0..n {
                l.push_back(r.rdb_string()?, ListLimits::default());
            }
            Value::List(l)
        }
        TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.plain_len()?;
            let mut l = List::new();
            for _ in 0..nodes {
                let container = r.plain_len()?;
                let data = r.rdb_string()?;
                match container {
                    1 => l.push_back(data, ListLimits::default()),
                    2 => listpack_entries(&data)?
                        .into_iter()
                        .for_each(|e| l.push_back(e, ListLimits::default())),
                    _ => return None,
                }
            }
            Value::List(l)
        }
        TYPE_SET => {
            let n = r.plain_len()?;
            let mut s = crate::engine::types::set::Members::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                s.insert(r.rdb_string()?);
            }
            Value::Set(Box::new(s))
        }
        TYPE_SET_INTSET => Value::Set(Box::new(
            intset_members(&r.rdb_string()?)?.into_iter().collect(),
        )),
        TYPE_ZSET | TYPE_ZSET_2 => {
            let binary = p[0] == TYPE_ZSET_2;
            let n = r.plain_len()?;
            let mut z = ZSet::new();
            for _ in 0..n {
                let m = r.rdb_string()?;
                let score = if binary { r.f64()? } else { r.text_double()? };
                if score.is_nan() {
                    return None;
                }
                z.insert(m, score);
            }
            Value::ZSet(Box::new(z))
        }
        TYPE_ZSET_LISTPACK => {
            let items = listpack_entries(&r.rdb_string()?)?;
            if items.len() % 2 != 0 {
                return None;
            }
            let mut z = ZSet::new();
            for pair in items.chunks(2) {
                z.insert(pair[0].clone(), parse_strtod(&pair[1])?);
            }
            Value::ZSet(Box::new(z))
        }
        TYPE_HASH => {
            let n = r.plain_len()?;
            let items_n = n.checked_mul(2)?;
            let mut items = Vec::with_capacity(items_n.min(1 << 16));
            for _ in 0..items_n {
                items.push(r.rdb_string()?);
            }
            pairs_to_hash(items, limits, true)?
        }
        kind @ (super::rdb_stream::TYPE_STREAM_LISTPACKS
        | super::rdb_stream::TYPE_STREAM_LISTPACKS_2) => {
            Value::Stream(Box::new(super::rdb_stream::load_stream(&mut r, kind)?))
        }
        TYPE_HASH_LISTPACK => pairs_to_hash(listpack_entries(&r.rdb_string()?)?, limits, false)?,
        _ => return None,
    };
    if !r.0.is_empty() || value.is_empty_aggregate() {
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(body: &[u8]) -> Vec<u8> {
        with_footer(body)
    }

    fn len64(n: u64) -> Vec<u8> {
        [[0x81].as_slice(), &n.to_be_bytes()].concat()
    }

    #[test]
    fn absurd_declared_lengths_are_refused_before_allocating() {
        let bodies = [
            [&[TYPE_STRING][..], &len64(1 << 40), b"abc"].concat(),
            [&[TYPE_STRING][..], &len64(u64::MAX), b"abc"].concat(),
            [&[TYPE_STRING, 0xc3, 0x02][..], &len64(1 << 40), b"\x00a"].concat(),
            [&[TYPE_STRING, 0xc3, 0x02][..], &len64(u64::MAX), b"\x00a"].concat(),
            [&[TYPE_HASH][..], &len64((1 << 63) + 1), b"\x01a\x01b"].concat(),
            [&[TYPE_LIST][..], &len64(u64::MAX), b"\x01a"].concat(),
            [&[TYPE_SET][..], &len64(1 << 40), b"\x01a"].concat(),
            [&[TYPE_ZSET_2][..], &len64(1 << 40), b"\x01a", &[0; 8]].concat(),
            [&[TYPE_LIST_QUICKLIST_2][..], &len64(1 << 40), b"\x01\x01a"].concat(),
        ];
        let limits = Limits {
            entries: 128,
            value: 64,
        };
        for body in bodies {
            let p = payload(&body);
            assert!(verify_payload(&p));
            assert_eq!(deserialize(&p, limits), None, "{body:?}");
        }
    }
}
