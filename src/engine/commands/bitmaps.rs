//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO. Bitmaps are strings (`Value::String`); a bit write leaves
//! the string `raw`-encoded, as Redis's in-place change does.

use bytes::{Bytes, BytesMut};

use crate::engine::Ctx;
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*,
};
use crate::engine::keyspace::events;
use crate::engine::types::{Str, StrEncoding, Value, writable};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, syntax_error};
use crate::protocol::{Reply, string2ll};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("bitcount", -2, bitcount)
        .flags(READONLY)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "2.6.0", "O(N)", "Count set bits in a string"),
    CommandSpec::new("bitfield", -2, bitfield)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RW", "access", "update", "variable_flags"])
        .key_specs(&[
            KeySpecDef { notes: "This command allows both access and modification of the key", flags: &["RW", "access", "update", "variable_flags"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("bitmap", "3.2.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings"),
    CommandSpec::new("bitfield_ro", -2, bitfield_ro)
        .flags(READONLY | FAST)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "6.0.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"),
    CommandSpec::new("bitop", -4, bitop)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(2, -1, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(3), find: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ])
        .doc("bitmap", "2.6.0", "O(N)", "Perform bitwise operations between strings"),
    CommandSpec::new("bitpos", -3, bitpos)
        .flags(READONLY)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "2.8.7", "O(N)", "Find first bit set or clear in a string"),
    CommandSpec::new("getbit", 3, getbit)
        .flags(READONLY | FAST)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("bitmap", "2.2.0", "O(1)", "Returns the bit value at offset in the string value stored at key"),
    CommandSpec::new("setbit", 4, setbit)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(1, 1, 1, &["RW", "access", "update"])
        .doc("bitmap", "2.2.0", "O(1)", "Sets or clears the bit at offset in the string value stored at key"),
];

/// Redis's `getBitOffsetFromArgument`: a bit offset, optionally `#N` (in
/// units of `bits`) where `hash` is allowed.
fn bit_offset(ctx: &Ctx<'_>, arg: &[u8], hash: bool, bits: i64) -> Result<i64, Reply> {
    const MSG: &str = "ERR bit offset is not an integer or out of range";
    let (digits, scaled) = match arg.first() {
        Some(b'#') if hash => (&arg[1..], true),
        _ => (arg, false),
    };
    let mut v = string2ll(digits).ok_or_else(|| err(MSG))?;
    if scaled {
        v = v.wrapping_mul(bits);
    }
    if v < 0 || (v >> 3) >= ctx.engine.proto_max_bulk_len() {
        return Err(err(MSG));
    }
    Ok(v)
}

/// The string at `key` for a bit write, grown with zero bytes to hold bit
/// `max_bit` (created when missing). Redis's `lookupStringForBitCommand`.
fn string_for_bits(ctx: &mut Ctx<'_>, key: &Bytes, max_bit: i64) -> Result<BytesMut, Reply> {
    let need = (max_bit >> 3) as usize + 1;
    let db = ctx.db();
    // The stored buffer itself (see `types::writable`): `store_bits` puts
    // it back, so a bit write does not copy the string.
    let mut buf = match db.get_string_mut(key)? {
        Some(v) => writable(v),
        None => BytesMut::new(),
    };
    if buf.len() < need {
        buf.resize(need, 0);
    }
    Ok(buf)
}

/// Stores a string modified by a bit command, keeping its deadline.
fn store_bits(ctx: &mut Ctx<'_>, key: &Bytes, buf: BytesMut, event: &'static str) {
    let db = ctx.db();
    let existed = db.contains(key);
    if existed {
        db.insert_keep_ttl(key, Value::String(buf.into()));
    } else {
        db.insert(key, Value::String(buf.into()));
    }
    db.set_str_encoding(key, StrEncoding::Raw);
    db.notify(events::STRING, event, key);
}

fn setbit(ctx: &mut Ctx<'_>) -> CmdResult {
    const MSG: &str = "ERR bit is not an integer or out of range";
    let offset = bit_offset(ctx, ctx.arg(2), false, 0)?;
    let on = args::int_or(ctx.arg(3), MSG)?;
    if on & !1 != 0 {
        return Err(err(MSG));
    }
    let key = ctx.arg(1);
    let mut buf = string_for_bits(ctx, key, offset)?;
    let byte = (offset >> 3) as usize;
    let bit = 7 - (offset & 7) as u8;
    let old = (buf[byte] >> bit) & 1;
    buf[byte] = (buf[byte] & !(1 << bit)) | ((on as u8) << bit);
    store_bits(ctx, key, buf, "setbit");
    Ok(Reply::int(old as i64))
}

fn getbit(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = bit_offset(ctx, ctx.arg(2), false, 0)?;
    let key = ctx.arg(1);
    let Some(v) = ctx.db().get_string(key)? else {
        return Ok(Reply::int(0));
    };
    let byte = (offset >> 3) as usize;
    let bit = match v.get(byte) {
        Some(b) => (b >> (7 - (offset & 7))) & 1,
        None => 0,
    };
    Ok(Reply::int(bit as i64))
}

/// Parses `BYTE|BIT`.
fn bit_unit(arg: &[u8]) -> Result<bool, Reply> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(syntax_error())
    }
}

fn bit_at(v: &[u8], i: i64) -> u8 {
    (v[(i >> 3) as usize] >> (7 - (i & 7))) & 1
}

fn bitcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let argc = ctx.args.len();
    let Some(v) = ctx.db().get_string(key)?.cloned() else {
        return Ok(Reply::int(0));
    };
    let (mut start, mut end, isbit);
    if argc == 4 || argc == 5 {
        start = args::int(ctx.arg(2))?;
        end = args::int(ctx.arg(3))?;
        isbit = if argc == 5 {
            bit_unit(ctx.arg(4))?
        } else {
            false
        };
        let total = if isbit {
            (v.len() as i64) << 3
        } else {
            v.len() as i64
        };
        if start < 0 && end < 0 && start > end {
            return Ok(Reply::int(0));
        }
        if start < 0 {
            start += total;
        }
        if end < 0 {
            end += total;
        }
        start = start.max(0);
        end = end.max(0);
        if end >= total {
            end = total - 1;
        }
    } else if argc == 2 {
        start = 0;
        end = v.len() as i64 - 1;
        isbit = false;
    } else {
        return Err(syntax_error());
    }
    if start > end {
        return Ok(Reply::int(0));
    }
    let count: u64 = if isbit {
        (start..=end).map(|i| bit_at(&v, i) as u64).sum()
    } else {
        v[start as usize..=end as usize]
            .iter()
            .map(|b| b.count_ones() as u64)
            .sum()
    };
    Ok(Reply::int(count as i64))
}

fn bitpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let bit = args::int(ctx.arg(2))?;
    if bit != 0 && bit != 1 {
        return Err(err("ERR The bit argument must be 1 or 0."));
    }
    let key = ctx.arg(1);
    let argc = ctx.args.len();
    let v = match ctx.db().get_string(key)? {
        Some(v) => v.clone(),
        None => return Ok(Reply::int(if bit == 1 { -1 } else { 0 })),
    };
    let len = v.len() as i64;
    let (mut start, mut end, mut isbit, mut end_given) = (0, len - 1, false, false);
    if (4..=6).contains(&argc) {
        start = args::int(ctx.arg(3))?;
        if argc == 6 {
            isbit = bit_unit(ctx.arg(5))?;
        }
        let total = if isbit { len << 3 } else { len };
        if argc >= 5 {
            end = args::int(ctx.arg(4))?;
            end_given = true;
        } else {
            end = total - 1;
        }
        if start < 0 {
            start += total;
        }
        if end < 0 {
            end += total;
        }
        start = start.max(0);
        end = end.max(0);
        if end >= total {
            end = total - 1;
        }
    } else if argc != 3 {
        return Err(syntax_error());
    }
    if start > end {
        return Ok(Reply::int(-1));
    }
    let (first, last) = if isbit {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    };
    let want = bit as u8;
    if let Some(pos) = (first..=last).find(|&i| bit_at(&v, i) == want) {
        return Ok(Reply::int(pos));
    }
    if bit == 1 || end_given {
        return Ok(Reply::int(-1));
    }
    Ok(Reply::int((last / 8 + 1) * 8))
}

fn bitop(ctx: &mut Ctx<'_>) -> CmdResult {
    let op = ctx.arg(1);
    let op = if is(op, "and") {
        0
    } else if is(op, "or") {
        1
    } else if is(op, "xor") {
        2
    } else if is(op, "not") {
        3
    } else {
        return Err(syntax_error());
    };
    if op == 3 && ctx.args.len() != 4 {
        return Err(err(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let dest = ctx.arg(2);
    let sources: Vec<Bytes> = ctx.args[3..].to_vec();
    let db = ctx.db();
    let mut values = Vec::with_capacity(sources.len());
    for k in &sources {
        values.push(db.get_string(k)?.cloned().unwrap_or_default());
    }
    let maxlen = values.iter().map(|v| v.len()).max().unwrap_or(0);
    if maxlen == 0 {
        if db.remove(dest).is_some() {
            db.notify(events::GENERIC, "del", dest);
        }
        return Ok(Reply::int(0));
    }
    let mut out = vec![0u8; maxlen];
    for (i, byte) in out.iter_mut().enumerate() {
        let at = |v: &Str| v.get(i).copied().unwrap_or(0);
        *byte = match op {
            0 => values.iter().fold(0xff, |acc, v| acc & at(v)),
            1 => values.iter().fold(0, |acc, v| acc | at(v)),
            2 => values.iter().fold(0, |acc, v| acc ^ at(v)),
            _ => !at(&values[0]),
        };
    }
    db.insert(dest, Value::String(out.into()));
    db.notify(events::STRING, "set", dest);
    Ok(Reply::int(maxlen as i64))
}

// --- BITFIELD ----------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

enum FieldOp {
    Get,
    Set(i64),
    Incr(i64),
}

struct FieldCmd {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: i64,
    overflow: Overflow,
}

/// Parses `i<N>` / `u<N>` as Redis's `getBitfieldTypeFromArgument`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    const MSG: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    let signed = match arg.first() {
        Some(b'i') | Some(b'I') => true,
        Some(b'u') | Some(b'U') => false,
        _ => return Err(err(MSG)),
    };
    let bits = string2ll(&arg[1..]).ok_or_else(|| err(MSG))?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err(MSG));
    }
    Ok((signed, bits as u32))
}

fn read_field(v: &[u8], offset: i64, bits: u32) -> u64 {
    let mut out = 0u64;
    for i in 0..bits as i64 {
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let bit = v.get(byte).map_or(0, |b| (b >> (7 - (pos & 7))) & 1);
        out = (out << 1) | bit as u64;
    }
    out
}

fn write_field(v: &mut [u8], offset: i64, bits: u32, value: u64) {
    for i in 0..bits as i64 {
        let bit = ((value >> (bits as i64 - 1 - i)) & 1) as u8;
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let shift = 7 - (pos & 7);
        v[byte] = (v[byte] & !(1 << shift)) | (bit << shift);
    }
}

fn as_signed(raw: u64, bits: u32) -> i64 {
    if bits == 64 {
        raw as i64
    } else {
        let shift = 64 - bits;
        ((raw << shift) as i64) >> shift
    }
}

/// `value + incr` in a field of `bits` bits, per the overflow policy;
/// `None` means FAIL triggered.
fn field_incr(signed: bool, bits: u32, value: i64, incr: i64, ov: Overflow) -> Option<i64> {
    if signed {
        let max = if bits == 64 {
            i64::MAX
        } else {
            (1i64 << (bits - 1)) - 1
        };
        let min = -max - 1;
        let sum = value as i128 + incr as i128;
        if sum > max as i128 || sum < min as i128 {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if sum > max as i128 { max } else { min }),
                Overflow::Wrap => {
                    let raw = (value as u64).wrapping_add(incr as u64);
                    let mask = if bits == 64 {
                        u64::MAX
                    } else {
                        (1u64 << bits) - 1
                    };
                    Some(as_signed(raw & mask, bits))
                }
            }
        } else {
            Some(sum as i64)
        }
    } else {
        let max = (1u64 << bits) - 1;
        let sum = value as i128 + incr as i128;
        if sum > max as i128 || sum < 0 {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if sum < 0 { 0 } else { max as i64 }),
                Overflow::Wrap => Some(((value as u64).wrapping_add(incr as u64) & max) as i64),
            }
        } else {
            Some(sum as i64)
        }
    }
}

fn bitfield_generic(ctx: &mut Ctx<'_>, read_only: bool) -> CmdResult {
    let mut cmds = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut writes = false;
    let mut j = 2;
    let argc = ctx.args.len();
    while j < argc {
        let remaining = argc - j - 1;
        let sub = ctx.arg(j);
        let op = if is(sub, "get") && remaining >= 2 {
            0
        } else if is(sub, "set") && remaining >= 3 {
            1
        } else if is(sub, "incrby") && remaining >= 3 {
            2
        } else if is(sub, "overflow") && remaining >= 1 {
            let kind = ctx.arg(j + 1);
            overflow = if is(kind, "wrap") {
                Overflow::Wrap
            } else if is(kind, "sat") {
                Overflow::Sat
            } else if is(kind, "fail") {
                Overflow::Fail
            } else {
                return Err(err("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(syntax_error());
        };
        let (signed, bits) = field_type(ctx.arg(j + 1))?;
        let offset = bit_offset(ctx, ctx.arg(j + 2), true, bits as i64)?;
        let op = match op {
            0 => FieldOp::Get,
            _ => {
                let v = args::int(ctx.arg(j + 3))?;
                writes = true;
                if op == 1 {
                    FieldOp::Set(v)
                } else {
                    FieldOp::Incr(v)
                }
            }
        };
        cmds.push(FieldCmd {
            op,
            signed,
            bits,
            offset,
            overflow,
        });
        j += if matches!(cmds.last().map(|c| &c.op), Some(FieldOp::Get)) {
            3
        } else {
            4
        };
    }
    if read_only && writes {
        return Err(err("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let key = ctx.arg(1);
    // Reads only: the stored string is read where it is, not copied.
    let read_only_value = if writes {
        None
    } else {
        ctx.db().get_string(key)?.cloned()
    };
    let mut buf = if writes {
        let max_bit = cmds
            .iter()
            .filter(|c| !matches!(c.op, FieldOp::Get))
            .map(|c| c.offset + c.bits as i64 - 1)
            .max()
            .unwrap_or(0);
        string_for_bits(ctx, key, max_bit)?
    } else {
        BytesMut::new()
    };
    let mut out = Vec::with_capacity(cmds.len());
    let mut changed = false;
    for c in &cmds {
        let raw = match &read_only_value {
            Some(v) => read_field(v, c.offset, c.bits),
            None => read_field(&buf, c.offset, c.bits),
        };
        let current = if c.signed {
            as_signed(raw, c.bits)
        } else {
            raw as i64
        };
        match c.op {
            FieldOp::Get => out.push(Reply::int(current)),
            FieldOp::Set(v) => {
                let stored = field_set_value(c.signed, c.bits, v, c.overflow);
                match stored {
                    Some(nv) => {
                        write_field(&mut buf, c.offset, c.bits, nv as u64);
                        changed = true;
                        out.push(Reply::int(current));
                    }
                    None => out.push(Reply::Nil),
                }
            }
            FieldOp::Incr(by) => match field_incr(c.signed, c.bits, current, by, c.overflow) {
                Some(nv) => {
                    write_field(&mut buf, c.offset, c.bits, nv as u64);
                    changed = true;
                    out.push(Reply::int(nv));
                }
                None => out.push(Reply::Nil),
            },
        }
    }
    // Redis creates (or zero-extends) the string before running the
    // operations, so a write that FAIL rejects still leaves the key.
    if writes {
        let db = ctx.db();
        let existed = db.contains(key);
        let value = Value::String(buf.into());
        if existed {
            db.insert_keep_ttl(key, value);
        } else {
            db.insert(key, value);
        }
        db.set_str_encoding(key, StrEncoding::Raw);
        if changed {
            db.notify(events::STRING, "setbit", key);
        }
    }
    Ok(Reply::Array(out))
}

/// The value BITFIELD SET stores for `v`, per the overflow policy.
fn field_set_value(signed: bool, bits: u32, v: i64, ov: Overflow) -> Option<i64> {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    if signed {
        let max = if bits == 64 {
            i64::MAX
        } else {
            (1i64 << (bits - 1)) - 1
        };
        let min = -max - 1;
        if v > max || v < min {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if v > max { max } else { min }),
                Overflow::Wrap => Some(as_signed(v as u64 & mask, bits)),
            }
        } else {
            Some(v)
        }
    } else {
        let max = mask as i64;
        if v > max || v < 0 {
            match ov {
                Overflow::Fail => None,
                Overflow::Sat => Some(if v < 0 { 0 } else { max }),
                Overflow::Wrap => Some((v as u64 & mask) as i64),
            }
        } else {
            Some(v)
        }
    }
}

fn bitfield(ctx: &mut Ctx<'_>) -> CmdResult {
    bitfield_generic(ctx, false)
}

fn bitfield_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    bitfield_generic(ctx, true)
}
