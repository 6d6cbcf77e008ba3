//! HyperLogLog values, in Redis's own representation. A HyperLogLog is a
//! plain string (no [`Value`](super::Value) variant of its own), so its
//! bytes are what `GET`, `DUMP` and `SETRANGE` see, and they must be the
//! bytes Redis 7.0 would hold for the same commands.
//!
//! # Layout
//!
//! A 16-byte header: the magic `HYLL`, one encoding byte (0 dense, 1
//! sparse), three unused bytes, and the cached cardinality (8 bytes, little
//! endian; the top bit of the last byte set means "stale"). Then the
//! 16384 registers (`P` = 14), each the length of the `0...01` run of a
//! 64-bit MurmurHash64A (seed `0xadc83b19`) above the 14 index bits:
//!
//! * dense: 6 bits per register, packed from the least significant bit of
//!   each byte up (12288 bytes);
//! * sparse: a run-length code of `ZERO` (`00xxxxxx`, 1-64 zero
//!   registers), `XZERO` (`01xxxxxx yyyyyyyy`, 1-16384 zero registers) and
//!   `VAL` (`1vvvvvxx`, 1-4 registers of value 1-32) opcodes. A sparse value
//!   turns dense for good once a register needs more than 32 or the code
//!   would outgrow `hll-sparse-max-bytes`.
//!
//! The updates follow Redis's `hllSparseSet` step by step (split the
//! opcode covering the register, then merge neighbouring `VAL`s within a
//! window of five opcodes), so the sparse bytes come out identical; the
//! estimator is Redis 7.0's (Ertl's improved estimator over the register
//! histogram). Corrupted sparse codes are detected exactly where Redis
//! detects them ([`Corrupt`]).

/// Header bytes before the registers.
pub(crate) const HDR_SIZE: usize = 16;
/// Number of registers (`2^P`).
pub(crate) const REGISTERS: usize = 1 << P;
/// Bytes of a dense value, header included.
pub(crate) const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * BITS).div_ceil(8);
/// The encoding byte of a dense value.
pub(crate) const DENSE: u8 = 0;
/// The encoding byte of a sparse value.
pub(crate) const SPARSE: u8 = 1;

const P: usize = 14;
const Q: usize = 64 - P;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
const SEED: u64 = 0xadc8_3b19;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
/// 0.5 / ln(2), the estimator's limit constant.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The value is a corrupted HyperLogLog (`-INVALIDOBJ`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Corrupt;

/// Whether `s` passes Redis's `isHLLObjectOrReply` checks: long enough, the
/// magic, a known encoding, and the exact length when dense.
pub(crate) fn is_hll(s: &[u8]) -> bool {
    s.len() >= HDR_SIZE
        && &s[..4] == b"HYLL"
        && s[4] <= SPARSE
        && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

/// A new, empty HyperLogLog: sparse, one `XZERO` run over every register.
pub(crate) fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR_SIZE + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        push_xzero(&mut v, run);
        left -= run;
    }
    v
}

/// MurmurHash64A, as Redis's `hyperloglog.c` has it (little-endian words).
pub(crate) fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate() {
            h ^= (*b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the length of its `0...01`
/// pattern (1 to `Q + 1`).
fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// --- the dense form --------------------------------------------------------

/// Register `i` of dense registers `r` (a byte past the end reads as 0, as
/// the terminator of Redis's strings does).
fn dense_get(r: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = r[byte] as u32;
    let b1 = r.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u32) as u8
}

fn dense_set(r: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = val as u32;
    r[byte] &= !((REGISTER_MAX as u32) << fb) as u8;
    r[byte] |= (v << fb) as u8;
    if let Some(b) = r.get_mut(byte + 1) {
        *b &= !((REGISTER_MAX as u32) >> (8 - fb)) as u8;
        *b |= (v >> (8 - fb)) as u8;
    }
}

/// Raises dense register `i` to `count`; true when it changed.
fn dense_raise(r: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(r, i) {
        dense_set(r, i, count);
        true
    } else {
        false
    }
}

// --- the sparse form -------------------------------------------------------

fn byte_at(v: &[u8], i: usize) -> u8 {
    v.get(i).copied().unwrap_or(0)
}

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}

fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}

fn xzero_len(b0: u8, b1: u8) -> usize {
    ((((b0 & 0x3f) as usize) << 8) | b1 as usize) + 1
}

fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}

fn val_len(b: u8) -> usize {
    (b & 0x3) as usize + 1
}

fn val_op(value: u8, len: usize) -> u8 {
    (((value - 1) << 2) | (len as u8 - 1)) | 0x80
}

fn push_xzero(v: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    v.push((l >> 8) as u8 | 0x40);
    v.push((l & 0xff) as u8);
}

fn push_zeros(v: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        push_xzero(v, len);
    } else {
        v.push((len - 1) as u8);
    }
}

/// One decoded sparse opcode.
enum Op {
    Zeros(usize),
    Val(u8, usize),
}

/// Walks the sparse code of `hll` from the header on: each opcode with its
/// byte length.
fn ops(hll: &[u8]) -> impl Iterator<Item = Op> + '_ {
    let mut p = HDR_SIZE;
    std::iter::from_fn(move || {
        if p >= hll.len() {
            return None;
        }
        let b = hll[p];
        Some(if is_zero(b) {
            p += 1;
            Op::Zeros(zero_len(b))
        } else if is_xzero(b) {
            let n = xzero_len(b, byte_at(hll, p + 1));
            p += 2;
            Op::Zeros(n)
        } else {
            p += 1;
            Op::Val(val_value(b), val_len(b))
        })
    })
}

/// Converts a sparse value to dense in place (a dense one is left alone),
/// keeping the header (the cached cardinality included).
pub(crate) fn to_dense(hll: &mut Vec<u8>) -> Result<(), Corrupt> {
    if hll[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&hll[..HDR_SIZE]);
    dense[4] = DENSE;
    let mut idx = 0;
    for op in ops(hll) {
        match op {
            Op::Zeros(n) => idx += n,
            Op::Val(v, n) => {
                if idx + n > REGISTERS {
                    break;
                }
                for _ in 0..n {
                    dense_set(&mut dense[HDR_SIZE..], idx, v);
                    idx += 1;
                }
            }
        }
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    *hll = dense;
    Ok(())
}

/// Raises register `index` of a sparse value to `count`, Redis's
/// `hllSparseSet`: `Ok(true)` when the value changed (possibly turning
/// dense), `Ok(false)` when the register already held as much.
fn sparse_set(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    let end = hll.len();
    // Step 1: find the opcode covering the register.
    let mut p = HDR_SIZE;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut span = 0usize;
    while p < end {
        let b = hll[p];
        let mut oplen = 1;
        if is_zero(b) {
            span = zero_len(b);
        } else if is_val(b) {
            span = val_len(b);
        } else {
            span = xzero_len(b, byte_at(hll, p + 1));
            oplen = 2;
        }
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let b = hll[p];
    let oldlen = if is_xzero(b) { 2 } else { 1 };
    let has_next = p + oldlen < end;
    let runlen = if is_zero(b) {
        zero_len(b)
    } else if is_xzero(b) {
        xzero_len(b, byte_at(hll, p + 1))
    } else {
        val_len(b)
    };

    // Step 2: the trivial cases, then the split.
    let trivial = if is_val(b) {
        if val_value(b) >= count {
            return Ok(false);
        }
        runlen == 1
    } else {
        is_zero(b) && runlen == 1
    };
    if trivial {
        hll[p] = val_op(count, 1);
    } else {
        let last = first + span - 1;
        let mut seq = Vec::with_capacity(5);
        if is_val(b) {
            let cur = val_value(b);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        } else {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        // Step 3: put the sequence in place of the opcode.
        let new_len = (end + seq.len()) as isize - oldlen as isize;
        if seq.len() > oldlen && new_len as usize > max_bytes {
            return promote(hll, index, count);
        }
        if has_next {
            hll.splice(p..p + oldlen, seq);
        } else {
            // The last opcode (a truncated XZERO included): the value
            // ends where Redis's length says, whatever was written past it.
            hll.truncate(p);
            hll.extend_from_slice(&seq);
            hll.truncate(new_len as usize);
        }
    }

    // Step 4: merge neighbouring VAL opcodes of equal value, looking at up
    // to five opcodes from the one before the change.
    let mut p = prev.unwrap_or(HDR_SIZE);
    let mut scan = 5;
    while p < hll.len() && scan > 0 {
        scan -= 1;
        let b = hll[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < hll.len() && is_val(hll[p + 1]) {
            let (v1, v2) = (val_value(b), val_value(hll[p + 1]));
            if v1 == v2 {
                let len = val_len(b) + val_len(hll[p + 1]);
                if len <= VAL_MAX_LEN {
                    hll[p + 1] = val_op(v1, len);
                    hll.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate(hll);
    Ok(true)
}

/// Turns a sparse value dense, then raises the register (which changes it).
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(hll)?;
    dense_raise(&mut hll[HDR_SIZE..], index, count);
    Ok(true)
}

/// Raises register `index` to `count` in either encoding. `max_bytes` is
/// `hll-sparse-max-bytes`.
pub(crate) fn set_register(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if hll[4] == DENSE {
        Ok(dense_raise(&mut hll[HDR_SIZE..], index, count))
    } else {
        sparse_set(hll, index, count, max_bytes)
    }
}

/// Adds an element (Redis's `hllAdd`): true when a register changed. A
/// sparse value may turn dense.
pub(crate) fn add(hll: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(ele);
    set_register(hll, index, count, max_bytes)
}

// --- the cached cardinality ------------------------------------------------

/// Marks the cached cardinality stale.
pub(crate) fn invalidate(hll: &mut [u8]) {
    hll[15] |= 0x80;
}

/// The cached cardinality, when it is valid.
pub(crate) fn cached(hll: &[u8]) -> Option<u64> {
    (hll[15] & 0x80 == 0).then(|| u64::from_le_bytes(hll[8..16].try_into().expect("8 bytes")))
}

/// Stores a freshly computed cardinality in the header.
pub(crate) fn set_cached(hll: &mut [u8], card: u64) {
    hll[8..16].copy_from_slice(&card.to_le_bytes());
}

// --- counting and merging --------------------------------------------------

/// The register histogram of a value (`Err` for a sparse code that does not
/// cover exactly every register).
fn histogram(hll: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut h = [0u32; 64];
    if hll[4] == DENSE {
        let r = &hll[HDR_SIZE..];
        for i in 0..REGISTERS {
            h[dense_get(r, i) as usize] += 1;
        }
    } else {
        let mut idx = 0;
        for op in ops(hll) {
            match op {
                Op::Zeros(n) => {
                    idx += n;
                    h[0] += n as u32;
                }
                Op::Val(v, n) => {
                    idx += n;
                    h[v as usize] += n as u32;
                }
            }
        }
        if idx != REGISTERS {
            return Err(Corrupt);
        }
    }
    Ok(h)
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// Redis 7.0's estimator over a register histogram.
fn estimate(h: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The estimated cardinality of a value (ignoring the cache).
pub(crate) fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    histogram(hll).map(|h| estimate(&h))
}

/// The estimated cardinality of plain registers (one byte each), as the
/// multi-key PFCOUNT computes it.
pub(crate) fn count_registers(regs: &[u8]) -> u64 {
    let mut h = [0u32; 64];
    for r in regs {
        h[*r as usize & 63] += 1;
    }
    estimate(&h)
}

/// Raises `max[i]` to register `i` of `hll` for every register (Redis's
/// `hllMerge`).
pub(crate) fn merge_into(max: &mut [u8], hll: &[u8]) -> Result<(), Corrupt> {
    if hll[4] == DENSE {
        let r = &hll[HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(r, i));
        }
        return Ok(());
    }
    let mut i = 0;
    for op in ops(hll) {
        match op {
            Op::Zeros(n) => i += n,
            Op::Val(v, n) => {
                if i + n > REGISTERS {
                    break;
                }
                for m in &mut max[i..i + n] {
                    *m = (*m).max(v);
                }
                i += n;
            }
        }
    }
    if i != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// Every register of a dense value.
pub(crate) fn dense_registers(hll: &[u8]) -> Vec<u8> {
    (0..REGISTERS)
        .map(|i| dense_get(&hll[HDR_SIZE..], i))
        .collect()
}

/// PFDEBUG DECODE's text for a sparse value: `Z:n` (XZERO), `z:n` (ZERO),
/// `v:value,len` (VAL), space separated.
pub(crate) fn decode(hll: &[u8]) -> String {
    let mut out = String::new();
    let mut p = HDR_SIZE;
    while p < hll.len() {
        let b = hll[p];
        if is_zero(b) {
            out.push_str(&format!("z:{} ", zero_len(b)));
            p += 1;
        } else if is_xzero(b) {
            out.push_str(&format!("Z:{} ", xzero_len(b, byte_at(hll, p + 1))));
            p += 2;
        } else {
            out.push_str(&format!("v:{},{} ", val_value(b), val_len(b)));
            p += 1;
        }
    }
    out.trim_matches(' ').to_string()
}

/// PFSELFTEST's register rounds.
pub(crate) const SELFTEST_ROUNDS: usize = 20;
/// PFSELFTEST's element count.
pub(crate) const SELFTEST_ELEMENTS: u64 = 100_000;

/// PFSELFTEST: checks register access on random dense values, then that
/// dense and sparse values agree and stay within the expected error while
/// elements are added. `rand` supplies the random numbers; `max_bytes` is
/// `hll-sparse-max-bytes`. `Err` carries the `TESTFAILED ...` text.
///
/// Redis runs 1,000 register rounds and adds 10 million elements (about a
/// second and a half); this runs [`SELFTEST_ROUNDS`] rounds and adds up to
/// [`SELFTEST_ELEMENTS`], with the same checks at every power of ten, so
/// the command answers promptly in unoptimised test builds too.
pub(crate) fn self_test(mut rand: impl FnMut() -> u64, max_bytes: usize) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut bytes = vec![0u8; REGISTERS];
    for _ in 0..SELFTEST_ROUNDS {
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = (rand() as u8) & REGISTER_MAX;
            *b = r;
            dense_set(&mut dense[HDR_SIZE..], i, r);
        }
        for (i, b) in bytes.iter().enumerate() {
            let got = dense_get(&dense[HDR_SIZE..], i);
            if got != *b {
                return Err(format!(
                    "TESTFAILED Register {i} should be {b} but is {got}"
                ));
            }
        }
    }
    dense[HDR_SIZE..].fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed = rand();
    for j in 1..=SELFTEST_ELEMENTS {
        let ele = (j ^ seed).to_le_bytes();
        let (index, run) = pattern(&ele);
        dense_raise(&mut dense[HDR_SIZE..], index, run);
        add(&mut sparse, &ele, max_bytes).map_err(|_| "TESTFAILED corrupted".to_string())?;
        if j != checkpoint {
            continue;
        }
        if j < (max_bytes / 2) as u64 && sparse[4] != SPARSE {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let d = count(&dense).map_err(|_| "TESTFAILED corrupted".to_string())?;
        let s = count(&sparse).map_err(|_| "TESTFAILED corrupted".to_string())?;
        if d != s {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - d as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_pack_six_bits() {
        let mut r = vec![0u8; DENSE_SIZE - HDR_SIZE];
        for i in 0..REGISTERS {
            dense_set(&mut r, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&r, i), (i % 64) as u8);
        }
    }

    #[test]
    fn empty_values_count_zero() {
        let s = new_sparse();
        assert_eq!(s.len(), 18);
        assert!(is_hll(&s));
        assert_eq!(count(&s), Ok(0));
        assert_eq!(decode(&s), "Z:16384");
        let mut d = s.clone();
        to_dense(&mut d).unwrap();
        assert_eq!(d.len(), DENSE_SIZE);
        assert_eq!(count(&d), Ok(0));
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut s = new_sparse();
        let mut d = new_sparse();
        to_dense(&mut d).unwrap();
        for i in 0..5000u32 {
            let e = i.to_string();
            let a = add(&mut s, e.as_bytes(), 100_000).unwrap();
            let b = add(&mut d, e.as_bytes(), 100_000).unwrap();
            assert_eq!(a, b);
        }
        assert_eq!(s[4], SPARSE);
        assert_eq!(count(&s), count(&d));
        let mut s2 = s.clone();
        to_dense(&mut s2).unwrap();
        assert_eq!(dense_registers(&s2), dense_registers(&d));
    }

    #[test]
    fn truncated_sparse_is_corrupt() {
        let mut s = new_sparse();
        s.truncate(17);
        assert_eq!(count(&s), Err(Corrupt));
        assert_eq!(to_dense(&mut s), Err(Corrupt));
    }
}
