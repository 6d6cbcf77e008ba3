//! Stream commands, split by theme: `add.rs` (XADD, XTRIM, XDEL, XSETID,
//! XLEN, XRANGE, XREVRANGE), `read.rs` (XREAD, XREADGROUP, blocking
//! included), `groups.rs` (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) and
//! `info.rs` (XINFO). The value, its nodes and consumer groups are in
//! `types/stream.rs`; its RDB encoding in `formats/rdb_stream.rs`.
//!
//! This file holds the command table, the ID parsers every command shares
//! (Redis's `streamGenericParseIDOrReply` and friends, with their exact
//! errors) and the reply builders for entries.

mod add;
mod groups;
mod info;
mod read;

use bytes::Bytes;

use crate::engine::command::{BeginSearch, CommandSpec, FindKeys, KeySpecDef, acl, flags::*};
use crate::engine::types::stream::{IdWriter, Stream, StreamEntry, StreamId};
use crate::engine::util::errors::err;
use crate::protocol::{Reply, string2ll};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xack", -4, groups::xack)
        .flags(WRITE | FAST)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("stream", "5.0.0", "O(1) for each message ID processed.", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL."),
    CommandSpec::new("xadd", -5, add::xadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RW", "update"])
        .key_specs(XADD_KEYS)
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", "Appends a new entry to a stream"),
    CommandSpec::new("xautoclaim", -6, groups::xautoclaim)
        .flags(WRITE | FAST)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RW", "delete"])
        .tips(&["nondeterministic_output"])
        .doc("stream", "6.2.0", "O(1) if COUNT is small.", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer."),
    CommandSpec::new("xclaim", -6, groups::xclaim)
        .flags(WRITE | FAST)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RW", "update"])
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group.", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer."),
    CommandSpec::new("xdel", -3, add::xdel)
        .flags(WRITE | FAST)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RW", "delete"])
        .doc("stream", "5.0.0", "O(1) for each single item to delete in the stream, regardless of the stream size.", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."),
    CommandSpec::container("xgroup", groups::XGROUP_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc("stream", "5.0.0", "Depends on subcommand.", "A container for consumer groups commands"),
    CommandSpec::container("xinfo", info::XINFO_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc("stream", "5.0.0", "Depends on subcommand.", "A container for stream introspection commands"),
    CommandSpec::new("xlen", 2, add::xlen)
        .flags(READONLY | FAST)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RO"])
        .doc("stream", "5.0.0", "O(1)", "Return the number of entries in a stream"),
    CommandSpec::new("xpending", -3, groups::xpending)
        .flags(READONLY)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RO", "access"])
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged."),
    CommandSpec::new("xrange", -4, add::xrange)
        .flags(READONLY)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Return a range of elements in a stream, with IDs matching the specified IDs interval"),
    CommandSpec::new("xread", -4, read::xread)
        .flags(READONLY | BLOCKING | MOVABLEKEYS)
        .acl(acl::STREAM)
        .key_specs(XREAD_KEYS)
        .getkeys(read::xread_keys)
        .doc("stream", "5.0.0", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block."),
    CommandSpec::new("xreadgroup", -7, read::xreadgroup)
        .flags(WRITE | BLOCKING | MOVABLEKEYS)
        .acl(acl::STREAM)
        .key_specs(XREADGROUP_KEYS)
        .getkeys(read::xread_keys)
        .doc("stream", "5.0.0", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block."),
    CommandSpec::new("xrevrange", -4, add::xrevrange)
        .flags(READONLY)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE"),
    CommandSpec::new("xsetid", -3, add::xsetid)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("stream", "5.0.0", "O(1)", "An internal command for replicating stream values"),
    CommandSpec::new("xtrim", -4, add::xtrim)
        .flags(WRITE)
        .acl(acl::STREAM)
        .keys(1, 1, 1, &["RW", "delete"])
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", "Trims the stream to (approximately if '~' is passed) a certain size"),
];

const XADD_KEYS: &[KeySpecDef] = &[KeySpecDef {
    notes: "UPDATE instead of INSERT because of the optional trimming feature",
    flags: &["RW", "update"],
    begin: BeginSearch::Index(1),
    find: FindKeys::Range {
        lastkey: 0,
        keystep: 1,
        limit: 0,
    },
}];

const XREAD_KEYS: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RO", "access"],
    begin: BeginSearch::Keyword {
        keyword: "STREAMS",
        startfrom: 1,
    },
    find: FindKeys::Range {
        lastkey: -1,
        keystep: 1,
        limit: 2,
    },
}];

const XREADGROUP_KEYS: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RO", "access"],
    begin: BeginSearch::Keyword {
        keyword: "STREAMS",
        startfrom: 4,
    },
    find: FindKeys::Range {
        lastkey: -1,
        keystep: 1,
        limit: 2,
    },
}];

/// `ERR Invalid stream ID specified as stream command argument`.
pub(super) const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// C's `strtoull` in base 10 over the whole string (leading white space,
/// an optional sign, a negative value wrapping), as Redis's `string2ull`
/// falls back to.
fn strtoull(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Redis's `string2ull`.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = string2ll(s) {
        return (v >= 0).then_some(v as u64);
    }
    strtoull(s)
}

/// A parsed ID argument: the ID, and whether its sequence was given (false
/// for `<ms>-*`).
pub(crate) struct ParsedId {
    pub id: StreamId,
    pub seq_given: bool,
}

/// Redis's `streamGenericParseIDOrReply`: `-`, `+` (unless `strict`),
/// `<ms>` (sequence `missing_seq`), `<ms>-<seq>`, and `<ms>-*` when
/// `allow_star_seq`.
pub(super) fn parse_id_generic(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_star_seq: bool,
) -> Result<ParsedId, Reply> {
    let invalid = || err(INVALID_ID);
    if arg.len() > 127 {
        return Err(invalid());
    }
    // The C string ends at the first NUL.
    let buf = match memchr::memchr(0, arg) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if strict && (buf == b"-" || buf == b"+") {
        return Err(invalid());
    }
    if buf == b"-" {
        return Ok(ParsedId {
            id: StreamId::ZERO,
            seq_given: true,
        });
    }
    if buf == b"+" {
        return Ok(ParsedId {
            id: StreamId::MAX,
            seq_given: true,
        });
    }
    let (ms_part, seq_part) = match memchr::memchr(b'-', buf) {
        Some(d) => (&buf[..d], Some(&buf[d + 1..])),
        None => (buf, None),
    };
    let ms = string2ull(ms_part).ok_or_else(invalid)?;
    let mut seq_given = true;
    let seq = match seq_part {
        Some(b"*") if allow_star_seq => {
            seq_given = false;
            0
        }
        Some(p) => string2ull(p).ok_or_else(invalid)?,
        None => missing_seq,
    };
    Ok(ParsedId {
        id: StreamId::new(ms, seq),
        seq_given,
    })
}

/// Redis's `streamParseStrictIDOrReply` (no `-` / `+`), sequence 0 when
/// missing.
pub(super) fn parse_strict_id(arg: &[u8]) -> Result<StreamId, Reply> {
    parse_id_generic(arg, 0, true, false).map(|p| p.id)
}

/// Redis's `streamParseIDOrReply`.
pub(super) fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_generic(arg, missing_seq, false, false).map(|p| p.id)
}

/// Redis's `streamParseIntervalIDOrReply`: an ID, or `(<id>` (exclusive,
/// strict). Returns the ID and whether it is exclusive.
pub(super) fn parse_interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if arg.len() > 1 && arg[0] == b'(' {
        let p = parse_id_generic(&arg[1..], missing_seq, true, false)?;
        Ok((p.id, true))
    } else {
        Ok((parse_id(arg, missing_seq)?, false))
    }
}

/// XRANGE's `start` and `end` arguments as an inclusive range (the state
/// API reads with it); `Err` with XRANGE's error reply.
pub(crate) fn range_bounds(start: &[u8], end: &[u8]) -> Result<(StreamId, StreamId), Reply> {
    let (mut s, sx) = parse_interval_id(start, 0)?;
    if sx {
        s = s
            .incr()
            .ok_or_else(|| err("ERR invalid start ID for the interval"))?;
    }
    let (mut e, ex) = parse_interval_id(end, u64::MAX)?;
    if ex {
        e = e
            .decr()
            .ok_or_else(|| err("ERR invalid end ID for the interval"))?;
    }
    Ok((s, e))
}

/// An ID as a bulk string.
pub(super) fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// One entry: `[id, [field, value, ...]]`.
pub(super) fn entry_reply((id, fields): StreamEntry) -> Reply {
    Reply::Array(vec![
        id_reply(id),
        Reply::Array(fields.into_iter().map(Reply::Bulk).collect()),
    ])
}

/// A list of entries.
pub(super) fn entries_reply(entries: Vec<StreamEntry>) -> Reply {
    Reply::Array(entries.into_iter().map(entry_reply).collect())
}

/// The entries of `s` with IDs in `start..=end`, at most `count` (0: all),
/// oldest first or (`rev`) newest first, as [`entries_reply`] answers
/// them: the IDs, fields and values are copied into one buffer the bulk
/// strings share, rather than each into its own allocation.
pub(super) fn range_reply(
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> Reply {
    let expect = s.len().min(if count == 0 { 16 } else { count as u64 }) as usize;
    let mut buf: Vec<u8> = Vec::with_capacity(expect * 48);
    // The reply is built as the entries are read, each bulk string standing
    // as the integer where its text ends in `buf` until `buf` is complete.
    let mut out = Vec::with_capacity(expect);
    let mut ids = IdWriter::default();
    s.range_visit(start, end, count, rev, |id, items| {
        ids.append(id, &mut buf);
        let id = Reply::Integer(buf.len() as i64);
        let mut fields = Vec::with_capacity(items.len());
        for item in items {
            buf.extend_from_slice(item);
            fields.push(Reply::Integer(buf.len() as i64));
        }
        out.push(Reply::Array(vec![id, Reply::Array(fields)]));
    });
    let all = Bytes::from(buf);
    let mut from = 0;
    let mut fill = |r: &mut Reply| {
        if let Reply::Integer(to) = *r {
            *r = Reply::Bulk(all.slice(from..to as usize));
            from = to as usize;
        }
    };
    for entry in &mut out {
        if let Reply::Array(parts) = entry {
            if let [id, Reply::Array(fields)] = &mut parts[..] {
                fill(id);
                fields.iter_mut().for_each(&mut fill);
            }
        }
    }
    Reply::Array(out)
}

/// `-NOGROUP No such key '<key>' or consumer group '<group>'<suffix>`.
pub(super) fn no_group(key: &[u8], group: &[u8], suffix: &str) -> Reply {
    let mut text = b"NOGROUP No such key '".to_vec();
    text.extend_from_slice(c_str(key));
    text.extend_from_slice(b"' or consumer group '");
    text.extend_from_slice(c_str(group));
    text.extend_from_slice(b"'");
    text.extend_from_slice(suffix.as_bytes());
    Reply::Error(Bytes::from(text))
}

/// `-NOGROUP No such consumer group '<group>' for key name '<key>'`.
pub(super) fn no_such_group(key: &[u8], group: &[u8]) -> Reply {
    let mut text = b"NOGROUP No such consumer group '".to_vec();
    text.extend_from_slice(c_str(group));
    text.extend_from_slice(b"' for key name '");
    text.extend_from_slice(c_str(key));
    text.extend_from_slice(b"'");
    Reply::Error(Bytes::from(text))
}

/// A `%s` argument of a C format: up to the first NUL.
pub(super) fn c_str(s: &[u8]) -> &[u8] {
    match memchr::memchr(0, s) {
        Some(n) => &s[..n],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::Rng;
    use crate::engine::types::stream::NodeLimits;
    use crate::protocol::Protocol;

    /// Ranges read what was appended and not deleted, and the shared-buffer
    /// reply of a range is the tree `entries_reply` builds from copied
    /// entries, byte for byte in both protocols: entries with the
    /// node's master fields and with their own, tombstones, IDs whose
    /// milliseconds repeat and change, node boundaries, both directions.
    #[test]
    fn range_replies_match_the_copied_entries() {
        let rng = Rng::from_seed(11);
        let b = |s: String| Bytes::from(s.into_bytes());
        for round in 0..40 {
            let mut s = Stream::new();
            let limits = NodeLimits {
                max_bytes: [0, 64, 4096][round % 3],
                max_entries: [0, 3, 100][round / 3 % 3],
            };
            let mut id = StreamId::new(rng.below(3) as u64, 0);
            let mut ids = Vec::new();
            // The live entries, in ID order.
            let mut model: Vec<StreamEntry> = Vec::new();
            for _ in 0..rng.below(60) {
                id = if rng.below(3) == 0 {
                    StreamId::new(id.ms + 1 + rng.below(1_000_000_000_000) as u64, 0)
                } else {
                    StreamId::new(id.ms, id.seq + 1 + rng.below(3) as u64)
                };
                let n = 1 + rng.below(3);
                let pairs: Vec<Bytes> = (0..n)
                    .flat_map(|k| {
                        let field = if rng.below(4) == 0 {
                            format!("g{k}")
                        } else {
                            format!("f{k}")
                        };
                        [
                            b(field),
                            b("v".repeat(rng.below(5)) + &rng.below(100).to_string()),
                        ]
                    })
                    .collect();
                s.append(id, &pairs, limits);
                ids.push(id);
                model.push((id, pairs));
            }
            for _ in 0..rng.below(10) {
                if !ids.is_empty() {
                    let gone = ids[rng.below(ids.len())];
                    s.delete(gone);
                    model.retain(|(id, _)| *id != gone);
                }
            }
            for _ in 0..10 {
                let pick = |rng: &Rng| match ids.len() {
                    0 => StreamId::ZERO,
                    n => ids[rng.below(n)],
                };
                let (mut lo, mut hi) = (pick(&rng), pick(&rng));
                if rng.below(4) == 0 {
                    (lo, hi) = (StreamId::ZERO, StreamId::MAX);
                }
                let count = rng.below(12);
                let rev = rng.below(2) == 0;
                let mut expected: Vec<StreamEntry> = model
                    .iter()
                    .filter(|(id, _)| (lo..=hi).contains(id))
                    .cloned()
                    .collect();
                if rev {
                    expected.reverse();
                }
                expected.truncate(if count == 0 { usize::MAX } else { count });
                assert_eq!(s.range(lo, hi, count, rev), expected);
                let packed = range_reply(&s, lo, hi, count, rev);
                let copied = entries_reply(s.range(lo, hi, count, rev));
                for proto in [Protocol::Resp2, Protocol::Resp3] {
                    assert_eq!(packed.to_bytes(proto), copied.to_bytes(proto));
                }
                assert_eq!(packed, copied);
            }
        }
    }

    #[test]
    fn ids_parse_as_redis() {
        let id = |s: &str| parse_id(s.as_bytes(), 0).ok().map(|i| i.to_string());
        assert_eq!(id("1-2").as_deref(), Some("1-2"));
        assert_eq!(id("5").as_deref(), Some("5-0"));
        assert_eq!(id("+5-1").as_deref(), Some("5-1"));
        assert_eq!(id(" 7").as_deref(), Some("7-0"));
        assert_eq!(id("-").as_deref(), Some("0-0"));
        assert_eq!(
            id("18446744073709551615-18446744073709551615").as_deref(),
            Some("18446744073709551615-18446744073709551615")
        );
        assert_eq!(id("18446744073709551616"), None);
        assert_eq!(id("1-2-3"), None);
        assert_eq!(id("-1"), None);
        assert_eq!(id(""), None);
        assert_eq!(id("1-"), None);
        assert_eq!(id("1x"), None);
    }
}
