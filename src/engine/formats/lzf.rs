//! LZF compression as Redis 7.0 runs it when it saves a string longer
//! than 20 bytes (`rdbSaveLzfStringObject`: liblzf 3.6 with `HLOG` 16 and
//! `VERY_FAST`), so DUMP payloads of long strings (HyperLogLogs among them)
//! are the bytes Redis writes. The hash table starts empty; liblzf as Redis
//! builds it leaves it uninitialised, which only matters when stale
//! entries happen to point at matching bytes.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into at most `out_len` bytes, as `lzf_compress`
/// does; `None` when it does not fit.
pub(crate) fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len < 3 || out_len == 0 {
        return None;
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        t.next_generation();
        compress_with(input, out_len, &mut t)
    })
}

thread_local! {
    /// The hash table, kept between calls: a 256 KiB table per long string
    /// would dominate a DUMP of many long elements.
    static TABLE: std::cell::RefCell<Table> = std::cell::RefCell::new(Table {
        generation: 0,
        slots: vec![0; HSIZE],
    });
}

/// Hash slots tagged with the call that wrote them, so each call starts
/// from an empty table without clearing it.
struct Table {
    generation: u32,
    slots: Vec<u64>,
}

impl Table {
    fn next_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.fill(0);
            self.generation = 1;
        }
    }

    /// The position stored in a slot this call (0, "none", otherwise).
    fn get(&self, slot: usize) -> usize {
        let v = self.slots[slot];
        if (v >> 32) as u32 == self.generation {
            (v & 0xffff_ffff) as usize
        } else {
            0
        }
    }

    fn set(&mut self, slot: usize, pos: usize) {
        self.slots[slot] = ((self.generation as u64) << 32) | pos as u64;
    }
}

fn compress_with(input: &[u8], out_len: usize, htab: &mut Table) -> Option<Vec<u8>> {
    let in_len = input.len();
    // Room past `out_len`: the checks below decide success as liblzf's do.
    let mut out = vec![0u8; out_len + 8];
    let mut op: usize = 1; // start a literal run
    let mut lit: usize = 0;
    let mut ip: usize = 0;
    let frst = |p: usize| ((input[p] as u32) << 8) | input[p + 1] as u32;
    let next = |v: u32, p: usize| (v << 8) | input[p + 2] as u32;
    let mut hval = frst(ip);
    while ip < in_len - 2 {
        hval = next(hval, ip);
        let slot = idx(hval);
        let r = htab.get(slot);
        htab.set(slot, ip);
        let off = ip.wrapping_sub(r).wrapping_sub(1);
        if off < MAX_OFF
            && r > 0
            && input[r + 2] == input[ip + 2]
            && input[r..r + 2] == input[ip..ip + 2]
        {
            let mut len: usize = 2;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            if op + 3 + 1 >= out_len && op - (lit == 0) as usize + 3 + 1 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop the run
            op -= (lit == 0) as usize; // undo an empty run
            let mut mismatch = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        mismatch = true;
                        break;
                    }
                }
            }
            if !mismatch {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2; // octets - 1
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start a run
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = frst(ip);
            hval = next(hval, ip);
            htab.set(idx(hval), ip);
            ip += 1;
            hval = next(hval, ip);
            htab.set(idx(hval), ip);
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= (lit == 0) as usize;
    out.truncate(op);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LZF decompression, enough to check round trips.
    fn decompress(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut ip = 0;
        while ip < input.len() {
            let ctrl = input[ip] as usize;
            ip += 1;
            if ctrl < 32 {
                out.extend_from_slice(&input[ip..ip + ctrl + 1]);
                ip += ctrl + 1;
            } else {
                let mut len = ctrl >> 5;
                if len == 7 {
                    len += input[ip] as usize;
                    ip += 1;
                }
                let back = ((ctrl & 0x1f) << 8) + input[ip] as usize + 1;
                ip += 1;
                let start = out.len() - back;
                for i in 0..len + 2 {
                    out.push(out[start + i]);
                }
            }
        }
        out
    }

    #[test]
    fn round_trips() {
        let samples: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"abcabcabcabcabcabcabcabcabcabcabcabcabcxyz".to_vec(),
            (0..5000u32).map(|i| (i % 7 + i / 300) as u8).collect(),
            vec![0; 12304],
        ];
        for s in samples {
            let c = compress(&s, s.len() - 4).expect("compressible");
            assert!(c.len() < s.len());
            assert_eq!(decompress(&c), s);
        }
        let random: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(compress(&random, random.len() - 4), None);
    }
}
